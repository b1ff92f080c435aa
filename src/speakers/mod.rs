//! Who spoke when.
//!
//! Channels first, then voices. A recording whose channels carry different talkers (a phone call, two
//! microphones, a conference bridge that records each side) says who spoke
//! with no model at all: in each segment one channel is much louder than
//! the others. That is checked over the whole recording before anyone is
//! labelled: a stereo file that is really one microphone twice (both
//! channels alike) gets no labels, and neither does one that only one
//! channel ever dominates (one voice), so labels never clutter a
//! transcript with a single speaker.
//!
//! Everything else (one microphone) is told apart by voice: speaker
//! embeddings of short windows, computed while whisper works (`voices`),
//! clustered and mapped onto segments (`diarize`).

use crate::error::{Error, Result};
use crate::media::levels::ChannelLevels;
use crate::transcript::Segment;

pub mod convert;
pub mod diarize;
mod pickle;
pub mod profiles;
pub mod voices;

/// `--speakers`: how to tell speakers apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SpeakerMode {
    /// By channel when the channels carry different talkers, else by voice
    /// (when the speaker model is installed), the count found automatically.
    #[default]
    Auto,
    /// By voice, into exactly this many speakers.
    Count(usize),
    /// Label by channel whenever there are several channels.
    Channels,
    /// No labels.
    Off,
}

/// The most speakers `--speakers N` takes: beyond this, voices of one
/// recording are not told apart reliably anyway.
pub const MAX_SPEAKERS: usize = 20;

impl SpeakerMode {
    pub fn parse(text: &str) -> Result<SpeakerMode> {
        let value = text.trim().to_ascii_lowercase();
        match value.as_str() {
            "auto" => Ok(SpeakerMode::Auto),
            "channels" => Ok(SpeakerMode::Channels),
            "off" | "none" => Ok(SpeakerMode::Off),
            _ => match value.parse::<i64>() {
                Ok(n) if (1..=MAX_SPEAKERS as i64).contains(&n) => {
                    Ok(SpeakerMode::Count(n as usize))
                }
                Ok(n) => Err(Error::usage(format!(
                    "--speakers {n}: the number of speakers must be between 1 and {MAX_SPEAKERS}"
                ))),
                Err(_) => Err(Error::usage(format!(
                    "--speakers takes auto, a number of speakers, channels or off, not {text:?}"
                ))),
            },
        }
    }

    /// For cache and manifest keys.
    pub fn key(self) -> String {
        match self {
            SpeakerMode::Auto => "auto".into(),
            SpeakerMode::Count(n) => n.to_string(),
            SpeakerMode::Channels => "channels".into(),
            SpeakerMode::Off => "off".into(),
        }
    }

    /// Whether voices are compared (the speaker model is used).
    pub fn by_voice(self) -> bool {
        matches!(self, SpeakerMode::Auto | SpeakerMode::Count(_))
    }
}

/// A segment's channel is clear when it holds this share of the energy.
const CLEAR_SHARE: f64 = 0.7;
/// Channels carry different talkers when this share of the speech is clear…
const SEPARATED_SPEECH: f64 = 0.8;
/// …and at least two channels each dominate this share of it.
const SPEAKER_SHARE: f64 = 0.1;

/// Labels `segments` by their loudest channel (`S1`, `S2`, … in order of
/// first appearance) when `mode` asks for it and the channels say so.
/// Returns the number of speakers labelled: 0 when none were (one voice, a
/// duplicated channel, silence, or labelling off).
pub fn label_by_channels(
    segments: &mut [Segment],
    levels: &ChannelLevels,
    mode: SpeakerMode,
) -> usize {
    if mode == SpeakerMode::Off || levels.channels < 2 {
        return 0;
    }
    // The loudest channel of each segment, and how clearly it is loudest.
    let dominant: Vec<Option<(usize, f64)>> = segments
        .iter()
        .map(|s| {
            let energy = levels.between(s.start, s.end);
            let total: f64 = energy.iter().sum();
            (total > 1e-9).then(|| {
                let (channel, top) = energy.iter().enumerate().fold((0, 0.0), |best, (c, e)| {
                    if *e > best.1 { (c, *e) } else { best }
                });
                (channel, top / total)
            })
        })
        .collect();
    let mut speech = 0.0;
    let mut clear = 0.0;
    let mut per_channel = vec![0.0; levels.channels];
    for (s, d) in segments.iter().zip(&dominant) {
        let Some((channel, share)) = d else { continue };
        let length = (s.end - s.start).max(0.0);
        speech += length;
        if *share >= CLEAR_SHARE {
            clear += length;
            per_channel[*channel] += length;
        }
    }
    let talkers = per_channel
        .iter()
        .filter(|d| **d >= SPEAKER_SHARE * speech && **d > 0.0)
        .count();
    let separated = speech > 0.0 && clear >= SEPARATED_SPEECH * speech && talkers >= 2;
    if !(separated || mode == SpeakerMode::Channels) {
        return 0;
    }
    let mut order: Vec<usize> = Vec::new();
    for d in dominant.iter().flatten() {
        if !order.contains(&d.0) {
            order.push(d.0);
        }
    }
    if order.len() < 2 {
        return 0;
    }
    for (s, d) in segments.iter_mut().zip(&dominant) {
        s.label(d.and_then(|(channel, _)| {
            order
                .iter()
                .position(|c| *c == channel)
                .map(|i| format!("S{}", i + 1))
        }));
    }
    order.len()
}

/// `--speaker-names S1=Alice,S2=Bob`.
pub fn parse_names(text: &str) -> Result<Vec<(String, String)>> {
    let bad = |why: &str| {
        Error::usage(format!("--speaker-names: {why} in {text:?}"))
            .with_hint("write LABEL=NAME pairs separated by commas, e.g. S1=Alice,S2=Bob")
    };
    let mut names = Vec::new();
    for pair in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (label, name) = pair
            .split_once('=')
            .ok_or_else(|| bad("a pair without '='"))?;
        let (label, name) = (label.trim(), name.trim());
        if label.is_empty() || name.is_empty() {
            return Err(bad("an empty label or name"));
        }
        if name.chars().any(char::is_control) || name.contains(':') {
            return Err(bad("a name with ':' or a control character"));
        }
        names.push((label.to_string(), name.to_string()));
    }
    if names.is_empty() {
        return Err(bad("no names"));
    }
    Ok(names)
}

/// Replaces labels by the names given for them.
pub fn rename(segments: &mut [Segment], names: &[(String, String)]) {
    for s in segments.iter_mut() {
        if let Some(who) = &s.speaker
            && let Some((_, name)) = names.iter().find(|(label, _)| label == who)
        {
            s.label(Some(name.clone()));
        }
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

    /// Levels of 1-second turns: `who[i]` is the loud channel of second i
    /// (`None`: both alike), the other channel at `leak` of its level.
    fn levels(who: &[Option<usize>], leak: f32) -> ChannelLevels {
        let mut frames = Vec::new();
        for w in who {
            for _ in 0..10 {
                frames.push(match w {
                    Some(0) => vec![1.0, leak],
                    Some(_) => vec![leak, 1.0],
                    None => vec![1.0, 1.0],
                });
            }
        }
        ChannelLevels {
            frame_seconds: 0.1,
            channels: 2,
            frames,
        }
    }

    #[test]
    fn separate_talkers_are_labelled_in_order_of_appearance() {
        let l = levels(&[Some(1), Some(0), Some(1), Some(0)], 0.05);
        let mut segs: Vec<Segment> = (0..4).map(|i| seg(i as f64, i as f64 + 1.0)).collect();
        assert_eq!(label_by_channels(&mut segs, &l, SpeakerMode::Auto), 2);
        let labels: Vec<_> = segs.iter().map(|s| s.speaker.as_deref()).collect();
        assert_eq!(labels, [Some("S1"), Some("S2"), Some("S1"), Some("S2")]);
    }

    #[test]
    fn one_microphone_twice_or_one_voice_gets_no_labels() {
        let mut segs: Vec<Segment> = (0..4).map(|i| seg(i as f64, i as f64 + 1.0)).collect();
        let alike = levels(&[None, None, None, None], 0.0);
        assert_eq!(label_by_channels(&mut segs, &alike, SpeakerMode::Auto), 0);
        let one = levels(&[Some(0), Some(0), Some(0), Some(0)], 0.05);
        assert_eq!(label_by_channels(&mut segs, &one, SpeakerMode::Auto), 0);
        assert_eq!(label_by_channels(&mut segs, &one, SpeakerMode::Channels), 0);
        assert!(segs.iter().all(|s| s.speaker.is_none()));
        let two = levels(&[Some(1), Some(0), Some(1), Some(0)], 0.05);
        assert_eq!(label_by_channels(&mut segs, &two, SpeakerMode::Off), 0);
    }

    #[test]
    fn channels_mode_labels_even_when_channels_leak() {
        // Heavy crosstalk: no segment is clearly one channel's.
        let l = levels(&[Some(1), Some(0), Some(1), Some(0)], 0.8);
        let mut segs: Vec<Segment> = (0..4).map(|i| seg(i as f64, i as f64 + 1.0)).collect();
        assert_eq!(label_by_channels(&mut segs, &l, SpeakerMode::Auto), 0);
        assert_eq!(label_by_channels(&mut segs, &l, SpeakerMode::Channels), 2);
    }

    #[test]
    fn names_replace_labels() {
        let names = parse_names("S1=Alice, S2 = 김민수").unwrap();
        let mut segs = vec![seg(0.0, 1.0), seg(1.0, 2.0), seg(2.0, 3.0)];
        segs[0].speaker = Some("S1".into());
        segs[1].speaker = Some("S2".into());
        rename(&mut segs, &names);
        let labels: Vec<_> = segs.iter().map(|s| s.speaker.as_deref()).collect();
        assert_eq!(labels, [Some("Alice"), Some("김민수"), None]);
        for bad in ["", "S1", "S1=", "=Bob", "S1=a:b"] {
            assert!(parse_names(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn speaker_counts_are_checked() {
        assert_eq!(SpeakerMode::parse("3").unwrap(), SpeakerMode::Count(3));
        assert_eq!(SpeakerMode::parse(" Auto ").unwrap(), SpeakerMode::Auto);
        for bad in ["0", "-3", "abc", "21", "2.5", "99999999999999999999"] {
            let err = SpeakerMode::parse(bad).unwrap_err();
            assert_eq!(err.kind(), crate::error::ErrorKind::Usage, "{bad}");
        }
    }
}
