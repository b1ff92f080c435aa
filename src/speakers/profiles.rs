//! Voice profiles: people enrolled by voice, so a transcript says `Michael`
//! where it would say `S2`.
//!
//! A profile is the unit-length mean of the speaker embeddings of a
//! person's enrolled speech: the same 1.5 s CAM++ windows `voices` computes
//! while transcribing, so comparing a voice with a profile is one cosine.
//! Profiles are kept in one small JSON file (`voices.json` in the data
//! directory, one profile a line), written atomically. A store that cannot
//! be read is an error naming it, and is never overwritten: profiles are
//! made from recordings the user may no longer have. The store's bytes are
//! part of the transcript cache key, so a changed profile re-labels.
//!
//! Naming is conservative because a wrong name is worse than none: after
//! the voices of a recording are told apart, each voice's embedding (the
//! mean of its windows nearest their mean, see [`CORE`]) gets a profile's
//! name only when it is at least [`THRESHOLD`] alike, and
//! at least [`MARGIN`] more alike than that profile is to any other voice
//! and than that voice is to any other profile. Names go one to a voice,
//! best pairs first. A recording of one voice is named as a whole.

use std::path::{Path, PathBuf};

use minutes_voice::campplus::CamPlus;
use minutes_voice::encoder::{self, Embedding};
use serde::{Deserialize, Serialize};

use super::voices::{self, Window};
use crate::error::{Error, ErrorKind, Result};
use crate::media;
use crate::stt::vad;
use crate::transcript::Segment;

mod store;
pub use store::{FORMAT, STORE_FILE, Store, check_name, default_path};

/// A voice's embedding is the mean of this share of its windows, those
/// nearest the mean of all of them. Clustering leaves some windows of other
/// voices in a voice (across turn changes, short replies); they are the
/// farthest from its mean and pull a plain mean towards another person.
pub const CORE: f64 = 0.75;

/// Embedded windows (1.5 s every 0.8 s, each at least half voice) a file
/// needs to be enrolled, and a voice needs to be named: 4 windows are
/// about 3 s of speech. Fewer give a mean too noisy to trust.
pub const MIN_WINDOWS: usize = 4;

/// A voice is named after a profile when the cosine of its embedding and
/// the profile is at least this.
///
/// Measured on the fixtures with CAM++, profiles made from `enroll-A.wav`
/// (michael), `enroll-B.wav` (the reader) and `stranger.wav`, through the
/// real pipeline (tiny.en segments, voices clustered, this module's
/// embedding):
/// - the same person, a whole voice against its profile: 0.876–0.991
///   (michael 0.890 in speakers-2, 0.876 in speakers-3, 0.959 in
///   one-voice-long; the reader 0.991, 0.966 and 0.988 in librivox, on
///   clips the profile was not made from);
/// - different people: at most 0.282 (michael's profile against the
///   reader's voice in speakers-3); JFK at most 0.192; the stranger at most
///   0.077.
///
/// 0.6 lies about halfway. Where a voice misses, it keeps its `S` label.
pub const THRESHOLD: f32 = 0.6;

/// How much more alike a voice and a profile must be than the profile and
/// any other voice (of at least [`MIN_WINDOWS`]), and than the voice and
/// any other profile. On the fixtures the pairs named lead the runner-up by
/// 0.59–0.79. A voice that is two people mixed, or one person split into
/// two voices, leads by less, and is not named.
pub const MARGIN: f32 = 0.1;

/// One enrolled person.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub added: jiff::Timestamp,
    /// Seconds of voice in the enrolled files.
    pub seconds: f64,
    /// Windows the profile is the mean of.
    pub windows: usize,
    /// The files enrolled, as given.
    pub files: Vec<String>,
    /// Unit length, `minutes_voice::encoder::DIM` values.
    pub embedding: Embedding,
}

/// The speech of one enrollment file.
#[derive(Debug, Clone)]
pub struct Speech {
    pub embeddings: Vec<Embedding>,
    /// Seconds the voice detector found voice in.
    pub seconds: f64,
}

/// Decodes and embeds one enrollment file; too little speech is bad input.
pub fn embed_file(model: &CamPlus, path: &Path) -> Result<Speech> {
    let mut audio = Vec::new();
    for block in media::open(path)? {
        audio.extend_from_slice(&block?);
    }
    let windows = voices::embed_all(model, &audio);
    let voiced = vad::voiced_frames(&audio).iter().filter(|v| **v).count();
    let seconds = (voiced * vad::FRAME) as f64 / f64::from(media::SAMPLE_RATE);
    if windows.len() < MIN_WINDOWS {
        return Err(Error::file(
            ErrorKind::BadInput,
            path,
            format!(
                "too little speech to enroll: about {seconds:.1} s of voice, {} window{} of it; at least {MIN_WINDOWS} windows (about 3 s) are needed",
                windows.len(),
                if windows.len() == 1 { "" } else { "s" }
            ),
        )
        .with_hint("give 10–30 s of the person speaking alone"));
    }
    Ok(Speech {
        embeddings: windows.into_iter().map(|w| w.embedding).collect(),
        seconds,
    })
}

impl Profile {
    /// The profile of `name` from the speech of `files`; `None` without speech.
    pub fn new(name: &str, files: &[PathBuf], speech: &[Speech]) -> Option<Profile> {
        let all: Vec<Embedding> = speech.iter().flat_map(|s| s.embeddings.clone()).collect();
        Some(Profile {
            name: name.to_string(),
            added: jiff::Timestamp::now(),
            seconds: (speech.iter().map(|s| s.seconds).sum::<f64>() * 10.0).round() / 10.0,
            windows: all.len(),
            files: files.iter().map(|f| f.display().to_string()).collect(),
            embedding: encoder::mean(&all)?,
        })
    }
}

/// The file whose speech sounds least like that of the others, when it
/// sounds like another person: (its index, the similarity).
pub fn odd_one_out(speech: &[Speech]) -> Option<(usize, f32)> {
    if speech.len() < 2 {
        return None;
    }
    (0..speech.len())
        .filter_map(|i| {
            let own = encoder::mean(&speech[i].embeddings)?;
            let others: Vec<Embedding> = speech
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .flat_map(|(_, s)| s.embeddings.clone())
                .collect();
            Some((i, encoder::cosine(&own, &encoder::mean(&others)?)))
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|(_, sim)| *sim < THRESHOLD)
}

/// The mean of the [`CORE`] share of `embeddings` nearest their mean.
fn core_mean(embeddings: &[Embedding]) -> Option<Embedding> {
    let mean = encoder::mean(embeddings)?;
    let keep = ((embeddings.len() as f64 * CORE).ceil() as usize)
        .max(MIN_WINDOWS)
        .min(embeddings.len());
    let mut near: Vec<(f32, &Embedding)> = embeddings
        .iter()
        .map(|e| (encoder::cosine(e, &mean), e))
        .collect();
    near.sort_by(|a, b| b.0.total_cmp(&a.0));
    let kept: Vec<Embedding> = near[..keep].iter().map(|(_, e)| (*e).clone()).collect();
    encoder::mean(&kept)
}

/// What naming made of one voice.
#[derive(Debug, Clone)]
pub struct Naming {
    /// The voice's label; `None` for a recording of one voice.
    pub label: Option<String>,
    pub windows: usize,
    /// The most alike profile and how alike.
    pub best: Option<(String, f32)>,
    /// The name given, if any.
    pub name: Option<String>,
}

/// Names the voices of `segments` that match a profile (see the module
/// docs): each label's segments take the name, or every segment when none
/// is labelled (one voice). `windows` are the recording's embeddings.
pub fn name_voices(
    segments: &mut [Segment],
    windows: &[Window],
    profiles: &[Profile],
) -> Vec<Naming> {
    if profiles.is_empty() || segments.is_empty() {
        return Vec::new();
    }
    // Voices: labels in order of first appearance, or one for all.
    let labelled = segments.iter().any(|s| s.speaker.is_some());
    let mut groups: Vec<Option<String>> = Vec::new();
    if labelled {
        for s in segments.iter() {
            if s.speaker.is_some() && !groups.contains(&s.speaker) {
                groups.push(s.speaker.clone());
            }
        }
    } else {
        groups.push(None);
    }
    let group_of = |s: &Segment| match labelled {
        true => groups.iter().position(|g| *g == s.speaker && g.is_some()),
        false => Some(0),
    };
    // Each voice's windows: those centred inside one of its segments.
    let mut members: Vec<Vec<Embedding>> = vec![Vec::new(); groups.len()];
    for w in windows {
        let centre = w.centre();
        let after = segments.partition_point(|s| s.start <= centre);
        let holder = segments[..after]
            .iter()
            .rev()
            .take(2)
            .find(|s| centre <= s.end);
        if let Some(g) = holder.and_then(group_of) {
            members[g].push(w.embedding.clone());
        }
    }
    let sims: Vec<Vec<f32>> = members
        .iter()
        .map(|m| match core_mean(m) {
            Some(mean) => profiles
                .iter()
                .map(|p| encoder::cosine(&mean, &p.embedding))
                .collect(),
            None => vec![-1.0; profiles.len()],
        })
        .collect();
    tracing::debug!(
        "voice profiles {:?} against voices {:?} ({:?} windows): {:?}",
        profiles.iter().map(|p| &p.name).collect::<Vec<_>>(),
        groups,
        members.iter().map(Vec::len).collect::<Vec<_>>(),
        sims
    );
    let enough = |g: usize| members[g].len() >= MIN_WINDOWS;
    let mut pairs: Vec<(usize, usize, f32)> = (0..groups.len())
        .filter(|g| enough(*g))
        .flat_map(|g| (0..profiles.len()).map(move |p| (g, p)))
        .map(|(g, p)| (g, p, sims[g][p]))
        .filter(|(_, _, sim)| *sim >= THRESHOLD)
        .collect();
    pairs.sort_by(|a, b| b.2.total_cmp(&a.2));
    let mut named: Vec<Option<usize>> = vec![None; groups.len()];
    for (g, p, sim) in pairs {
        if named[g].is_some() || named.contains(&Some(p)) {
            continue;
        }
        let other_voice = (0..groups.len())
            .filter(|h| *h != g && enough(*h))
            .map(|h| sims[h][p])
            .fold(-1.0f32, f32::max);
        let other_person = (0..profiles.len())
            .filter(|q| *q != p)
            .map(|q| sims[g][q])
            .fold(-1.0f32, f32::max);
        if sim - other_voice >= MARGIN && sim - other_person >= MARGIN {
            named[g] = Some(p);
        }
    }
    for s in segments.iter_mut() {
        if let Some(p) = group_of(s).and_then(|g| named[g]) {
            s.label(Some(profiles[p].name.clone()));
        }
    }
    (0..groups.len())
        .map(|g| Naming {
            label: groups[g].clone(),
            windows: members[g].len(),
            best: (0..profiles.len())
                .max_by(|a, b| sims[g][*a].total_cmp(&sims[g][*b]))
                .filter(|_| !members[g].is_empty())
                .map(|p| (profiles[p].name.clone(), sims[g][p])),
            name: named[g].map(|p| profiles[p].name.clone()),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A unit vector along `axis` of 8, nudged by `jitter` on the last axis.
    fn along(axis: usize, jitter: f32) -> Embedding {
        let mut v = vec![0.0f32; 8];
        v[axis] = 1.0;
        v[7] = jitter;
        encoder::mean(&[v]).unwrap()
    }

    fn profile(name: &str, embedding: Embedding) -> Profile {
        Profile {
            name: name.into(),
            added: jiff::Timestamp::UNIX_EPOCH,
            seconds: 10.0,
            windows: 12,
            files: vec![],
            embedding,
        }
    }

    fn seg(start: f64, end: f64, label: Option<&str>) -> Segment {
        Segment {
            start,
            end,
            text: "words".into(),
            speaker: label.map(str::to_string),
            words: Vec::new(),
        }
    }

    /// Windows centred 1 s apart from `from`, embedding `e(i)`.
    fn windows(from: f64, n: usize, e: impl Fn(usize) -> Embedding) -> Vec<Window> {
        (0..n)
            .map(|i| Window {
                start: from + i as f64 - 0.8 + 0.5,
                end: from + i as f64 + 0.8 + 0.5,
                embedding: e(i),
            })
            .collect()
    }

    fn labels(segments: &[Segment]) -> Vec<Option<&str>> {
        segments.iter().map(|s| s.speaker.as_deref()).collect()
    }

    #[test]
    fn enrolled_voices_are_named_and_others_keep_their_labels() {
        let mut segs = vec![
            seg(0.0, 6.0, Some("S1")),
            seg(6.0, 12.0, Some("S2")),
            seg(12.0, 18.0, Some("S3")),
            seg(18.0, 24.0, Some("S1")),
        ];
        let jitter = |i: usize| (i % 3) as f32 * 0.1;
        let mut ws = windows(0.0, 6, |i| along(0, jitter(i)));
        ws.extend(windows(6.0, 6, |i| along(1, jitter(i))));
        ws.extend(windows(12.0, 6, |i| along(2, jitter(i))));
        ws.extend(windows(18.0, 6, |i| along(0, jitter(i))));
        let profiles = [profile("Bea", along(1, 0.0)), profile("Al", along(0, 0.0))];
        let found = name_voices(&mut segs, &ws, &profiles);
        assert_eq!(
            labels(&segs),
            [Some("Al"), Some("Bea"), Some("S3"), Some("Al")]
        );
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].windows, 12);
        assert_eq!(found[2].name, None);
        // A voice like no profile keeps its label; so does every voice without profiles.
        let mut segs = vec![seg(0.0, 6.0, Some("S1")), seg(6.0, 12.0, Some("S2"))];
        let stranger = [profile("Cy", along(3, 0.0))];
        name_voices(&mut segs, &ws, &stranger);
        assert_eq!(labels(&segs), [Some("S1"), Some("S2")]);
        assert!(name_voices(&mut segs, &ws, &[]).is_empty());
    }

    #[test]
    fn one_voice_is_named_as_a_whole() {
        let mut segs = vec![
            seg(0.0, 5.0, None),
            seg(5.0, 5.3, None),
            seg(6.0, 10.0, None),
        ];
        let ws = windows(0.0, 10, |i| along(0, (i % 2) as f32 * 0.2));
        let found = name_voices(&mut segs, &ws, &[profile("Al", along(0, 0.0))]);
        assert_eq!(
            labels(&segs),
            [Some("Al"); 3],
            "also the segment without windows"
        );
        assert_eq!(found[0].label, None);
        // Too little of it to tell: not named.
        let mut segs = vec![seg(0.0, 3.0, None)];
        name_voices(&mut segs, &ws[..3], &[profile("Al", along(0, 0.0))]);
        assert_eq!(labels(&segs), [None]);
    }

    #[test]
    fn a_voice_alike_to_two_profiles_or_a_profile_alike_to_two_voices_is_not_named() {
        let mut segs = vec![seg(0.0, 6.0, Some("S1")), seg(6.0, 12.0, Some("S2"))];
        let mut ws = windows(0.0, 6, |_| along(0, 0.0));
        ws.extend(windows(6.0, 6, |_| along(1, 0.0)));
        // Two profiles near S1 (0.99 and 0.95 alike).
        let near = |w: f32| encoder::mean(&[vec![1.0, 0.0, w, 0.0, 0.0, 0.0, 0.0, 0.0]]).unwrap();
        let twins = [profile("Al", near(0.1)), profile("Ann", near(-0.33))];
        name_voices(&mut segs, &ws, &twins);
        assert_eq!(labels(&segs), [Some("S1"), Some("S2")]);
        // One profile near both voices (S2 is S1 with a cold): neither is named.
        let mut ws = windows(0.0, 6, |_| along(0, 0.0));
        ws.extend(windows(6.0, 6, |_| near(0.3)));
        name_voices(&mut segs, &ws, &[profile("Al", near(0.15))]);
        assert_eq!(labels(&segs), [Some("S1"), Some("S2")]);
    }

    #[test]
    fn windows_of_another_voice_left_in_a_voice_do_not_sway_it() {
        // S1 is Al, with 10 of Bea's windows left in among his 11 by
        // clustering: the plain mean leads Bea's profile by less than the
        // margin, so it would name nobody.
        let mut segs = vec![seg(0.0, 21.0, Some("S1")), seg(21.0, 31.0, Some("S2"))];
        let mut ws = windows(0.0, 21, |i| along(i % 2, 0.0));
        ws.extend(windows(21.0, 10, |_| along(1, 0.0)));
        let all: Vec<Embedding> = ws[..21].iter().map(|w| w.embedding.clone()).collect();
        let plain = encoder::mean(&all).unwrap();
        let lead =
            encoder::cosine(&plain, &along(0, 0.0)) - encoder::cosine(&plain, &along(1, 0.0));
        assert!(lead > 0.0 && lead < MARGIN, "{lead}");
        let profiles = [profile("Al", along(0, 0.0)), profile("Bea", along(1, 0.0))];
        name_voices(&mut segs, &ws, &profiles);
        assert_eq!(labels(&segs), [Some("Al"), Some("Bea")]);
    }

    #[test]
    fn files_of_another_voice_are_pointed_out() {
        let speech = |axis: usize| Speech {
            embeddings: (0..5).map(|i| along(axis, i as f32 * 0.05)).collect(),
            seconds: 4.0,
        };
        assert_eq!(odd_one_out(&[speech(0), speech(0)]), None);
        assert_eq!(odd_one_out(&[speech(0)]), None);
        let odd = odd_one_out(&[speech(0), speech(1), speech(0)]).unwrap();
        assert_eq!(odd.0, 1);
        let p = Profile::new(
            "Al",
            &[PathBuf::from("a.wav"), PathBuf::from("b.wav")],
            &[speech(0), speech(0)],
        )
        .unwrap();
        assert_eq!((p.windows, p.seconds, p.files.len()), (10, 8.0, 2));
    }
}
