//! Timestamped transcripts and their file formats: plain text, SubRip,
//! WebVTT and JSON.
//!
//! SRT uses `HH:MM:SS,mmm` and numbered cues; VTT starts with `WEBVTT` and
//! uses periods; both are what media players and subtitle editors accept.
//! The JSON form is the tool's own, read back by later stages.

pub mod parse;

use std::fmt::Write as _;

use serde::{Deserialize, Serialize};

/// One recognised stretch of speech, times in seconds from the start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Segment {
    pub start: f64,
    pub end: f64,
    pub text: String,
    /// Who spoke (`S1`, `S2`, … or a name), when speakers are labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
    /// The segment's words with their own times, when the recogniser gave
    /// them (transcripts read from other tools' files have none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub words: Vec<Word>,
}

/// A recognised word (with the space before it, as the recogniser writes
/// it, so a segment's words joined give its text) and when it was said.
/// JSON names the fields as faster-whisper and OpenAI's `verbose_json` do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Word {
    #[serde(rename = "word")]
    pub text: String,
    pub start: f64,
    pub end: f64,
    /// The recogniser's confidence: the mean probability of the word's tokens.
    #[serde(default)]
    pub probability: f32,
    /// Who said it, when speakers are labelled.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speaker: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transcript {
    /// The file the transcript was made from.
    pub source: String,
    /// The speech model used.
    pub model: String,
    /// The spoken language, detected or given.
    pub language: String,
    /// Length of the recording in seconds.
    pub duration: f64,
    /// The day of the meeting (local time zone), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date: Option<jiff::civil::Date>,
    pub segments: Vec<Segment>,
}

impl Segment {
    /// Says who spoke the segment, and so each of its words.
    pub fn label(&mut self, who: Option<String>) {
        for w in &mut self.words {
            w.speaker.clone_from(&who);
        }
        self.speaker = who;
    }
}

impl Transcript {
    /// Whether segments carry speaker labels (more than one voice was told apart).
    pub fn has_speakers(&self) -> bool {
        self.segments.iter().any(|s| s.speaker.is_some())
    }

    /// Plain text: one segment a line; with speakers, `[mm:ss] S1: text`.
    pub fn to_txt(&self) -> String {
        let labelled = self.has_speakers();
        let mut out = String::new();
        for s in &self.segments {
            if labelled {
                let _ = write!(out, "[{}] ", crate::summarize::schema::format_time(s.start));
                if let Some(who) = &s.speaker {
                    let _ = write!(out, "{who}: ");
                }
            }
            out.push_str(s.text.trim());
            out.push('\n');
        }
        out
    }

    /// NIST RTTM, the diarization scoring format: one `SPEAKER` line per
    /// segment; without labels every segment is the one speaker `S1`.
    pub fn to_rttm(&self) -> String {
        let file: String = std::path::Path::new(&self.source)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "recording".into())
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("_");
        let mut out = String::new();
        for s in &self.segments {
            let who: String = s
                .speaker
                .as_deref()
                .unwrap_or("S1")
                .split_whitespace()
                .collect::<Vec<_>>()
                .join("_");
            let _ = writeln!(
                out,
                "SPEAKER {file} 1 {:.3} {:.3} <NA> <NA> {who} <NA> <NA>",
                s.start,
                (s.end - s.start).max(0.0)
            );
        }
        out
    }

    pub fn to_srt(&self) -> String {
        self.to_srt_cues(None)
    }

    /// SubRip; with `words`, one cue per group of at most that many words.
    pub fn to_srt_cues(&self, words: Option<usize>) -> String {
        let mut out = String::new();
        for (i, c) in self.cues(words).iter().enumerate() {
            let _ = write!(
                out,
                "{}\n{} --> {}\n{}\n\n",
                i + 1,
                clock(c.start, ','),
                clock(c.end, ','),
                match c.speaker {
                    Some(who) => format!("{who}: {}", cue_text(&c.text)),
                    None => cue_text(&c.text),
                }
            );
        }
        out
    }

    pub fn to_vtt(&self) -> String {
        self.to_vtt_cues(None)
    }

    /// WebVTT; with `words`, one cue per group of at most that many words.
    pub fn to_vtt_cues(&self, words: Option<usize>) -> String {
        let mut out = String::from("WEBVTT\n\n");
        for c in self.cues(words) {
            let _ = write!(
                out,
                "{} --> {}\n{}\n\n",
                clock(c.start, '.'),
                clock(c.end, '.'),
                match c.speaker {
                    // WebVTT voice span: players show the speaker.
                    Some(who) =>
                        format!("<v {}>{}", vtt_escape(who), vtt_escape(&cue_text(&c.text))),
                    None => vtt_escape(&cue_text(&c.text)),
                }
            );
        }
        out
    }

    /// Subtitle cues: a segment each, or with `words`, groups of that many
    /// of a segment's words, timed by their first and last word (segments
    /// without word times stay whole).
    fn cues(&self, words: Option<usize>) -> Vec<Cue<'_>> {
        let mut out = Vec::new();
        for s in &self.segments {
            let speaker = s.speaker.as_deref();
            match words {
                Some(n) if !s.words.is_empty() => {
                    for group in s.words.chunks(n.max(1)) {
                        let (first, last) = (&group[0], &group[group.len() - 1]);
                        out.push(Cue {
                            start: first.start,
                            end: last.end.max(first.start),
                            speaker,
                            text: group.iter().map(|w| w.text.as_str()).collect(),
                        });
                    }
                }
                _ => out.push(Cue {
                    start: s.start,
                    end: s.end,
                    speaker,
                    text: s.text.clone(),
                }),
            }
        }
        out
    }

    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }
}

/// One subtitle cue.
struct Cue<'a> {
    start: f64,
    end: f64,
    speaker: Option<&'a str>,
    text: String,
}

/// `HH:MM:SS<sep>mmm`, never negative.
pub fn clock(seconds: f64, sep: char) -> String {
    let ms = (seconds.max(0.0) * 1000.0).round() as u64;
    let (h, m, s, ms) = (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000);
    format!("{h:02}:{m:02}:{s:02}{sep}{ms:03}")
}

/// `&`, `<` and `>` start markup in WebVTT cue text.
fn vtt_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Cue text may not contain a blank line (it would end the cue) nor `-->`.
fn cue_text(text: &str) -> String {
    let t = text.trim().replace("-->", "->");
    let lines: Vec<&str> = t.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if lines.is_empty() {
        "…".to_string()
    } else {
        lines.join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Transcript {
        Transcript {
            source: "m.wav".into(),
            model: "tiny".into(),
            language: "en".into(),
            duration: 3725.5,
            date: None,
            segments: vec![
                Segment {
                    start: 0.0,
                    end: 1.5,
                    text: " Hello there.".into(),
                    speaker: None,
                    words: Vec::new(),
                },
                Segment {
                    start: 3723.25,
                    end: 3725.5,
                    text: " a --> b\n\nc".into(),
                    speaker: None,
                    words: Vec::new(),
                },
            ],
        }
    }

    fn word(text: &str, start: f64, end: f64) -> Word {
        Word {
            text: text.into(),
            start,
            end,
            probability: 0.9,
            speaker: Some("S2".into()),
        }
    }

    #[test]
    fn word_cues_group_a_segments_words_and_keep_its_speaker() {
        let mut t = sample();
        t.segments[0].words = vec![
            word(" Hello", 0.2, 0.6),
            word(" there", 0.7, 1.0),
            word(".", 1.0, 1.1),
        ];
        t.segments[0].label(Some("S2".into()));
        let srt = t.to_srt_cues(Some(2));
        assert!(
            srt.starts_with(
                "1\n00:00:00,200 --> 00:00:01,000\nS2: Hello there\n\n2\n00:00:01,000 --> 00:00:01,100\nS2: .\n\n3\n01:02:03,250"
            ),
            "{srt}"
        );
        let vtt = t.to_vtt_cues(Some(1));
        assert!(
            vtt.contains("00:00:00.700 --> 00:00:01.000\n<v S2>there\n\n"),
            "{vtt}"
        );
        // Without words a segment stays one cue.
        assert_eq!(t.to_srt_cues(Some(1)).matches(" --> ").count(), 4);
        assert_eq!(t.to_srt_cues(None), t.to_srt());
    }

    #[test]
    fn srt_uses_commas_and_numbered_cues() {
        let srt = sample().to_srt();
        assert!(srt.starts_with(
            "1\n00:00:00,000 --> 00:00:01,500\nHello there.\n\n2\n01:02:03,250 --> 01:02:05,500\n"
        ));
        assert!(!srt.contains("a --> b"));
        assert!(!srt.contains("\n\nc"));
    }

    #[test]
    fn vtt_has_header_and_periods() {
        let vtt = sample().to_vtt();
        assert!(vtt.starts_with("WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nHello there.\n\n"));
    }

    #[test]
    fn json_round_trips() {
        let t = sample();
        let back: Transcript = serde_json::from_str(&t.to_json()).unwrap();
        assert_eq!(back.segments, t.segments);
        assert_eq!(back.duration, t.duration);
    }
}
