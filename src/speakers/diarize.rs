//! Who spoke each segment, from the voice in it.
//!
//! Windows are grouped into units inside segments (a window belongs to the
//! segment holding its centre; windows outside any segment carry no text
//! and are left out). Units are clustered by voice (see
//! `minutes_voice::cluster`), and each segment takes the voice holding most
//! of it. One voice gets no labels at all: a monologue is not cluttered
//! with `S1:` on every line.

use minutes_voice::cluster::{self, Stop};
use minutes_voice::encoder::{self, Embedding};

use super::MAX_SPEAKERS;
use super::voices::Window;
use crate::transcript::{Segment, Word};

/// Units clustered at most: longer recordings group more windows per unit,
/// which keeps the distance matrix to some tens of megabytes.
const MAX_UNITS: usize = 3000;

/// A change of voice inside a segment splits it only when each side
/// holds at least this many seconds of words: shorter runs are the
/// windows' noise, not a turn.
const MIN_TURN: f64 = 1.0;

/// Labels segments `S1`, `S2`, … (and their words) by voice, splitting a
/// segment at the word nearest a change of speaker inside it. Returns the segments and the number of speakers labelled
/// (0, and the segments as they were, when there is one voice or nothing
/// to compare).
pub fn label_by_voice(
    segments: Vec<Segment>,
    windows: &[Window],
    count: Option<usize>,
) -> (Vec<Segment>, usize) {
    // Windows by the segment holding their centre.
    let mut owned: Vec<Vec<&Window>> = vec![Vec::new(); segments.len()];
    let mut s = 0;
    for w in windows {
        let centre = w.centre();
        while s < segments.len() && segments[s].end < centre {
            s += 1;
        }
        if s < segments.len() && segments[s].start <= centre {
            owned[s].push(w);
        }
    }
    let total: usize = owned.iter().map(Vec::len).sum();
    let per_unit = total.div_ceil(MAX_UNITS).max(1);
    // Units: runs of up to `per_unit` windows inside one segment.
    let mut units: Vec<(usize, Embedding, f64)> = Vec::new();
    for (seg, ws) in owned.iter().enumerate() {
        for run in ws.chunks(per_unit) {
            let embeddings: Vec<Embedding> = run.iter().map(|w| w.embedding.clone()).collect();
            if let Some(mean) = encoder::mean(&embeddings) {
                units.push((seg, mean, run.len() as f64));
            }
        }
    }
    if units.len() < 2 {
        return (segments, 0);
    }
    let embeddings: Vec<Embedding> = units.iter().map(|u| u.1.clone()).collect();
    let weights: Vec<f64> = units.iter().map(|u| u.2).collect();
    let stop = match count {
        Some(n) => Stop::Count(n),
        None => Stop::Auto { max: MAX_SPEAKERS },
    };
    let clusters = cluster::cluster(&embeddings, &weights, stop);
    tracing::debug!(
        "voice clustering: {} units; last merges at {:?}; graph eigenvalues {:?}",
        units.len(),
        clusters.heights,
        clusters.eigenvalues
    );
    // Each segment's windows as (centre, voice).
    let mut voices: Vec<Vec<(f64, usize)>> = vec![Vec::new(); segments.len()];
    let mut unit = 0;
    for (seg, ws) in owned.iter().enumerate() {
        for run in ws.chunks(per_unit) {
            let group = clusters.labels[unit];
            voices[seg].extend(run.iter().map(|w| (w.centre(), group)));
            unit += 1;
        }
    }
    let mut pieces: Vec<(Segment, Option<usize>)> = Vec::with_capacity(segments.len());
    for (segment, voices) in segments.into_iter().zip(&voices) {
        split(segment, voices, &mut pieces);
    }
    let chosen: Vec<Option<usize>> = pieces.iter().map(|p| p.1).collect();
    let mut segments: Vec<Segment> = pieces.into_iter().map(|p| p.0).collect();
    // Segments too short to hold a window take the voice of the nearest
    // segment that has one.
    let filled = fill_gaps(&segments, &chosen);
    let mut order: Vec<usize> = Vec::new();
    for g in filled.iter().flatten() {
        if !order.contains(g) {
            order.push(*g);
        }
    }
    if order.len() < 2 {
        return (segments, 0);
    }
    for (segment, g) in segments.iter_mut().zip(&filled) {
        segment.label(
            g.and_then(|g| order.iter().position(|o| *o == g))
                .map(|i| format!("S{}", i + 1)),
        );
    }
    (segments, order.len())
}

/// Pushes `segment` onto `out` with its voice: whole, with the voice
/// holding most of its windows, or in pieces at the words where the voice
/// changes for at least [`MIN_TURN`] on each side.
fn split(segment: Segment, voices: &[(f64, usize)], out: &mut Vec<(Segment, Option<usize>)>) {
    let words = segment.words.as_slice();
    let majority = majority(voices);
    let several = voices.iter().any(|v| Some(v.1) != majority);
    if !several || words.len() < 2 {
        out.push((segment, majority));
        return;
    }
    // The voice of each word: that of the window centred nearest to it.
    let voice_of = |w: &Word| {
        let mid = (w.start + w.end) / 2.0;
        voices
            .iter()
            .min_by(|a, b| (a.0 - mid).abs().total_cmp(&(b.0 - mid).abs()))
            .map(|v| v.1)
    };
    // Runs of words with one voice: (first word, voice).
    let mut runs: Vec<(usize, Option<usize>)> = Vec::new();
    for (i, w) in words.iter().enumerate() {
        let v = voice_of(w);
        if runs.last().is_none_or(|r| r.1 != v) {
            runs.push((i, v));
        }
    }
    // Fold runs shorter than a turn into the one before (the first into the next).
    let span = |runs: &[(usize, Option<usize>)], r: usize| {
        let first = runs[r].0;
        let last = runs.get(r + 1).map_or(words.len(), |n| n.0) - 1;
        words[last].end - words[first].start
    };
    while runs.len() > 1 {
        let Some(short) =
            (0..runs.len()).min_by(|a, b| span(&runs, *a).total_cmp(&span(&runs, *b)))
        else {
            break;
        };
        if span(&runs, short) >= MIN_TURN {
            break;
        }
        if short == 0 {
            runs[1].0 = 0;
        }
        runs.remove(short);
        // Neighbours of one voice become one run.
        let mut r = 1;
        while r < runs.len() {
            if runs[r].1 == runs[r - 1].1 {
                runs.remove(r);
            } else {
                r += 1;
            }
        }
    }
    if runs.len() < 2 {
        let voice = runs.first().and_then(|r| r.1).or(majority);
        out.push((segment, voice));
        return;
    }
    let mut pieces = Vec::with_capacity(runs.len());
    for (r, (first, voice)) in runs.iter().enumerate() {
        let last = runs.get(r + 1).map_or(words.len(), |n| n.0);
        let text: String = words[*first..last]
            .iter()
            .map(|w| w.text.as_str())
            .collect();
        let start = if r == 0 {
            segment.start
        } else {
            words[*first].start
        };
        let end = if r + 1 == runs.len() {
            segment.end
        } else {
            words[last - 1].end.max(start)
        };
        pieces.push((
            Segment {
                start,
                end,
                text: text.trim().to_string(),
                speaker: None,
                words: words[*first..last].to_vec(),
            },
            *voice,
        ));
    }
    out.extend(pieces);
}

/// The voice of most windows.
fn majority(voices: &[(f64, usize)]) -> Option<usize> {
    let mut counts: Vec<(usize, usize)> = Vec::new();
    for (_, v) in voices {
        match counts.iter_mut().find(|c| c.0 == *v) {
            Some(c) => c.1 += 1,
            None => counts.push((*v, 1)),
        }
    }
    counts.iter().max_by_key(|c| c.1).map(|c| c.0)
}

/// `chosen` with gaps taken from the nearest segment in time that has a voice.
fn fill_gaps(segments: &[Segment], chosen: &[Option<usize>]) -> Vec<Option<usize>> {
    (0..segments.len())
        .map(|i| {
            chosen[i].or_else(|| {
                let mid = (segments[i].start + segments[i].end) / 2.0;
                (0..segments.len())
                    .filter_map(|j| chosen[j].map(|g| (j, g)))
                    .min_by(|a, b| {
                        let da = distance(&segments[a.0], mid);
                        let db = distance(&segments[b.0], mid);
                        da.total_cmp(&db)
                    })
                    .map(|(_, g)| g)
            })
        })
        .collect()
}

fn distance(segment: &Segment, t: f64) -> f64 {
    if t < segment.start {
        segment.start - t
    } else if t > segment.end {
        t - segment.end
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: f64, end: f64) -> Segment {
        Segment {
            start,
            end,
            text: "words".into(),
            speaker: None,
            words: Vec::new(),
        }
    }

    fn window(start: f64, voice: usize) -> Window {
        let mut embedding = vec![0.1f32; 8];
        embedding[voice] = 1.0;
        embedding[7] = (start * 0.01) as f32;
        Window {
            start,
            end: start + 1.6,
            embedding,
        }
    }

    #[test]
    fn segments_take_the_voice_of_their_windows() {
        let segs = vec![seg(0.0, 4.0), seg(4.0, 8.0), seg(8.0, 8.3), seg(9.0, 13.0)];
        let windows: Vec<Window> = [0.0, 0.8, 1.6, 2.4]
            .iter()
            .map(|t| window(*t, 0))
            .chain([4.0, 4.8, 5.6].iter().map(|t| window(*t, 1)))
            .chain([9.0, 9.8, 10.6].iter().map(|t| window(*t, 0)))
            .collect();
        let (segs, found) = label_by_voice(segs, &windows, None);
        assert_eq!(found, 2);
        let labels: Vec<_> = segs.iter().map(|s| s.speaker.as_deref()).collect();
        // The short segment without windows takes its nearest neighbour's voice.
        assert_eq!(labels, [Some("S1"), Some("S2"), Some("S2"), Some("S1")]);
    }

    #[test]
    fn one_voice_gets_no_labels() {
        let segs = vec![seg(0.0, 4.0), seg(4.0, 8.0)];
        let windows: Vec<Window> = [0.0, 0.8, 1.6, 4.0, 4.8]
            .iter()
            .map(|t| window(*t, 0))
            .collect();
        let (segs, found) = label_by_voice(segs, &windows, Some(1));
        assert_eq!(found, 0);
        assert!(segs.iter().all(|s| s.speaker.is_none()));
    }

    fn word(start: f64, text: &str) -> Word {
        Word {
            start,
            end: start + 0.4,
            text: text.into(),
            probability: 0.9,
            speaker: None,
        }
    }

    #[test]
    fn a_segment_spanning_a_change_of_speaker_is_split_at_the_word() {
        // One 8 s segment: voice 0 until 4 s, then voice 1; a stray
        // window of voice 1 at 1.6 s is too short to be a turn.
        let mut segs = vec![seg(0.0, 8.0), seg(8.5, 12.0)];
        segs[0].words = (0..16)
            .map(|i| word(i as f64 * 0.5, &format!(" w{i}")))
            .collect();
        let windows: Vec<Window> = [
            (0.0, 0),
            (0.8, 1),
            (1.6, 0),
            (2.4, 0),
            (3.4, 1),
            (4.2, 1),
            (5.0, 1),
            (5.8, 1),
        ]
        .iter()
        .map(|(t, v)| window(*t, *v))
        .chain([8.5, 9.3, 10.1].iter().map(|t| window(*t, 0)))
        .collect();
        let (segs, found) = label_by_voice(segs, &windows, Some(2));
        assert_eq!(found, 2);
        let got: Vec<_> = segs
            .iter()
            .map(|s| {
                (
                    s.start,
                    s.text.as_str(),
                    s.speaker.as_deref().unwrap_or("-"),
                )
            })
            .collect();
        assert_eq!(got.len(), 3, "{got:?}");
        assert_eq!(got[0].1.split(' ').next_back(), Some("w7"), "{got:?}");
        assert_eq!((got[1].0, got[1].2), (4.0, "S2"), "{got:?}");
        assert!(got[1].1.starts_with("w8"), "{got:?}");
        assert_eq!(got[2].2, "S1");
        // Each piece keeps its own words, labelled with its speaker.
        assert_eq!(segs[1].words.len(), 8, "{:?}", segs[1].words);
        assert_eq!(segs[1].words[0].text, " w8");
        assert!(
            segs[1]
                .words
                .iter()
                .all(|w| w.speaker.as_deref() == Some("S2"))
        );
    }
}
