//! The evidence check: every decision, action item and open question must
//! quote what was said, and the quote must be found in the transcript.
//!
//! The model is asked for each item's evidence (the time of a transcript
//! line and a few of its words, copied). A model can make up an item; it
//! cannot make up a quote that the tool then finds in the transcript. The
//! check is mechanical and strict: case, punctuation and spacing are
//! ignored, the words are not. Korean, Chinese and Japanese quotes are
//! compared without spaces (spacing in Korean transcripts varies from
//! recogniser to recogniser). A quote may leave words out with `...`; each
//! piece must then be found, in order, close together. A quote must be at
//! least [`MIN_WORDS`] words ([`MIN_CJK_CHARS`] characters in CJK scripts):
//! a bare "yes" or "okay" backs nothing.
//!
//! Where the quote is found decides the item's timestamp, not the time the
//! model gave: of several places the quote occurs, the one nearest the
//! model's time is taken. An item none of whose quotes is found is
//! unverified: dropped, or kept and marked when the user asks for it.

use super::schema::{ActionItem, Decision, Evidence, Minutes, Question, format_time, parse_time};
use crate::transcript::Segment;

/// Fewest words a quote must have (Latin and other spaced scripts).
pub const MIN_WORDS: usize = 3;
/// Fewest characters a quote in Korean, Chinese or Japanese must have.
pub const MIN_CJK_CHARS: usize = 5;
/// How far apart (in normalised characters) the pieces of an elided quote may be.
const ELISION_SPAN: usize = 400;

/// The transcript, normalised twice (words, and characters without spaces),
/// with where each segment starts in each form.
pub struct Transcript<'a> {
    segments: &'a [Segment],
    /// Speaker labels and names, which a model may copy into a quote from
    /// the lines it read (`S1: we ship`): they are not what was said.
    speakers: Vec<&'a str>,
    words: Form,
    compact: Form,
    timed: bool,
}

struct Form {
    text: String,
    /// Byte offset of each segment's text in `text`.
    starts: Vec<usize>,
}

impl Form {
    fn new(segments: &[Segment], normalise: fn(&str) -> String, sep: &str) -> Form {
        let mut text = String::from(sep);
        let mut starts = Vec::with_capacity(segments.len());
        for s in segments {
            starts.push(text.len());
            let n = normalise(&s.text);
            if !n.is_empty() {
                text.push_str(&n);
                text.push_str(sep);
            }
        }
        Form { text, starts }
    }

    /// The segment the byte `at` of the text belongs to.
    fn segment_at(&self, at: usize) -> usize {
        self.starts.partition_point(|s| *s <= at).saturating_sub(1)
    }
}

/// Lower-case words separated by single spaces, with a space at each end
/// (so that finding ` a b ` matches whole words only).
fn words(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        out.push_str(&w.to_lowercase());
        out.push(' ');
    }
    out.pop();
    out
}

/// Lower-case letters and digits only.
fn compact(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF // Hangul
        | 0x3040..=0x30FF // Kana
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF) // Han
}

/// Where a quote was found: the segment and its start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found {
    pub segment: usize,
    pub start: f64,
}

impl<'a> Transcript<'a> {
    pub fn new(segments: &'a [Segment]) -> Self {
        let mut speakers: Vec<&str> = segments
            .iter()
            .filter_map(|s| s.speaker.as_deref())
            .collect();
        speakers.sort_unstable();
        speakers.dedup();
        Transcript {
            segments,
            speakers,
            words: Form::new(segments, words, " "),
            compact: Form::new(segments, compact, ""),
            timed: segments.iter().any(|s| s.end > 0.0),
        }
    }

    /// Finds `quote` in the transcript, nearest to `near` (seconds) when it
    /// occurs more than once. `None` when it is not there or too short.
    pub fn find(&self, quote: &str, near: Option<f64>) -> Option<Found> {
        let quote = self.without_line_prefix(quote);
        let cjk = quote.chars().any(is_cjk);
        let (form, pieces): (&Form, Vec<String>) = if cjk {
            let pieces = split_elisions(quote).map(compact);
            (&self.compact, pieces.filter(|p| !p.is_empty()).collect())
        } else {
            let pieces = split_elisions(quote).map(words);
            let pieces = pieces.filter(|p| !p.is_empty());
            (&self.words, pieces.map(|p| format!(" {p} ")).collect())
        };
        let size: usize = match cjk {
            true => pieces.iter().map(|p| p.chars().count()).sum(),
            false => pieces.iter().map(|p| p.split_whitespace().count()).sum(),
        };
        if size < if cjk { MIN_CJK_CHARS } else { MIN_WORDS } {
            return None;
        }
        let first = pieces.first()?;
        let mut best: Option<Found> = None;
        for (at, _) in form.text.match_indices(first.as_str()) {
            if !rest_follows(&form.text, at + first.len(), &pieces[1..]) {
                continue;
            }
            // ` a b ` begins with the space that ends the previous segment.
            let segment = form.segment_at(if cjk { at } else { at + 1 });
            let found = Found {
                segment,
                start: self.segments[segment].start,
            };
            let distance = |f: &Found| near.map_or(0.0, |t| (f.start - t).abs());
            if best.is_none_or(|b| distance(&found) < distance(&b)) {
                best = Some(found);
            }
        }
        best
    }

    /// The quote without what starts a transcript line as the model reads
    /// it: a time (`[12:04]`) and a speaker's label (`S1:`).
    fn without_line_prefix<'q>(&self, quote: &'q str) -> &'q str {
        let mut q = quote.trim_start();
        if let Some(rest) = q.strip_prefix('[')
            && let Some((time, rest)) = rest.split_once(']')
            && parse_time(time).is_some()
        {
            q = rest.trim_start();
        }
        for who in &self.speakers {
            if let Some(rest) = q.strip_prefix(who).and_then(|r| r.strip_prefix(':')) {
                return rest.trim_start();
            }
        }
        q
    }

    /// Checks an item's evidence: quotes found keep their place (segment,
    /// start, time), the others are dropped. Returns whether any was found.
    fn check(&self, evidence: &mut Vec<Evidence>) -> bool {
        let mut checked: Vec<Evidence> = Vec::new();
        for e in evidence.iter() {
            let near = e.time.as_deref().and_then(parse_time);
            if let Some(found) = self.find(&e.quote, near)
                && !checked.iter().any(|c| c.segment == Some(found.segment))
            {
                checked.push(Evidence {
                    segment: Some(found.segment),
                    start: self.timed.then_some(found.start),
                    time: self.timed.then(|| format_time(found.start)),
                    quote: e.quote.trim().to_string(),
                });
            }
        }
        let verified = !checked.is_empty();
        if verified {
            checked.sort_by_key(|e| e.segment);
            *evidence = checked;
        }
        verified
    }
}

/// `a ... b … c` → `a`, `b`, `c`.
fn split_elisions(quote: &str) -> impl Iterator<Item = &str> {
    quote.split("...").flat_map(|p| p.split('…'))
}

/// Whether each of `pieces` follows in `text` after `from`, in order, each
/// within [`ELISION_SPAN`] of the previous one.
fn rest_follows(text: &str, mut from: usize, pieces: &[String]) -> bool {
    for p in pieces {
        let mut window_end = (from + ELISION_SPAN + p.len()).min(text.len());
        while !text.is_char_boundary(window_end) {
            window_end -= 1;
        }
        match text[from..window_end].find(p.as_str()) {
            Some(i) => from += i + p.len(),
            None => return false,
        }
    }
    true
}

/// What the evidence check did to the minutes.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Items whose evidence was not found and that were removed, as
    /// `kind: text` lines for the reader.
    pub dropped: Vec<String>,
    /// Items whose evidence was not found, kept and marked (`--keep-unverified`).
    pub kept: Vec<String>,
}

/// An item that must rest on what was said.
trait Backed {
    const KIND: &'static str;
    fn text(&self) -> &str;
    fn parts(&mut self) -> (&mut Vec<Evidence>, &mut Option<String>, &mut Option<bool>);
}

impl Backed for Decision {
    const KIND: &'static str = "decision";
    fn text(&self) -> &str {
        &self.decision
    }
    fn parts(&mut self) -> (&mut Vec<Evidence>, &mut Option<String>, &mut Option<bool>) {
        (&mut self.evidence, &mut self.time, &mut self.verified)
    }
}

impl Backed for ActionItem {
    const KIND: &'static str = "action item";
    fn text(&self) -> &str {
        &self.task
    }
    fn parts(&mut self) -> (&mut Vec<Evidence>, &mut Option<String>, &mut Option<bool>) {
        (&mut self.evidence, &mut self.time, &mut self.verified)
    }
}

impl Backed for Question {
    const KIND: &'static str = "open question";
    fn text(&self) -> &str {
        &self.question
    }
    fn parts(&mut self) -> (&mut Vec<Evidence>, &mut Option<String>, &mut Option<bool>) {
        (&mut self.evidence, &mut self.time, &mut self.verified)
    }
}

fn check_items<T: Backed>(
    items: &mut Vec<T>,
    transcript: &Transcript,
    keep_unverified: bool,
    out: &mut Outcome,
) {
    items.retain_mut(|item| {
        let line = format!("{}: {}", T::KIND, item.text().trim());
        let (evidence, time, verified) = item.parts();
        let ok = transcript.check(evidence);
        *verified = Some(ok);
        // The item's time is where its evidence was said, never the model's say-so.
        *time = match ok {
            true => evidence.first().and_then(|e| e.time.clone()),
            false => None,
        };
        if !ok {
            evidence.iter_mut().for_each(|e| e.time = None);
            match keep_unverified {
                true => out.kept.push(line),
                false => out.dropped.push(line),
            }
        }
        ok || keep_unverified
    });
}

/// Checks the evidence of every decision, action item and open question of
/// `minutes` against `segments` (the transcript the model read, after
/// correction, with personal data restored).
pub fn check(minutes: &mut Minutes, segments: &[Segment], keep_unverified: bool) -> Outcome {
    let transcript = Transcript::new(segments);
    let mut out = Outcome::default();
    check_items(
        &mut minutes.decisions,
        &transcript,
        keep_unverified,
        &mut out,
    );
    check_items(
        &mut minutes.action_items,
        &transcript,
        keep_unverified,
        &mut out,
    );
    check_items(
        &mut minutes.open_questions,
        &transcript,
        keep_unverified,
        &mut out,
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(start: f64, text: &str) -> Segment {
        Segment {
            start,
            end: start + 4.0,
            text: text.into(),
            speaker: None,
            words: Vec::new(),
        }
    }

    fn segments() -> Vec<Segment> {
        vec![
            seg(0.0, "Good morning, everyone."),
            seg(4.0, "We'll ship the release on Friday, the 18th."),
            seg(8.0, "Mina, can you send the report"),
            seg(12.0, "to the client by Monday?"),
            seg(16.0, "다음 주 금요일까지 보고서를 제출 하겠습니다."),
            seg(20.0, "We'll ship the release on Friday, the 18th."),
        ]
    }

    #[test]
    fn quotes_are_found_whatever_their_case_punctuation_and_spacing() {
        let s = segments();
        let t = Transcript::new(&s);
        let at = |q: &str, near: Option<f64>| t.find(q, near).map(|f| f.segment);
        assert_eq!(at("we'll SHIP the release", None), Some(1));
        // Across a segment boundary: found where it starts.
        assert_eq!(at("send the report to the client", None), Some(2));
        // Korean without spaces, whatever the spacing.
        assert_eq!(at("보고서를 제출하겠습니다", None), Some(4));
        assert_eq!(at("금요일 까지 보고서", None), Some(4));
        // Elided words.
        assert_eq!(at("Mina, can you ... by Monday", None), Some(2));
        // Said twice: the place nearest the model's time.
        assert_eq!(at("ship the release on friday", Some(21.0)), Some(5));
        assert_eq!(at("ship the release on friday", Some(3.0)), Some(1));
    }

    #[test]
    fn the_time_and_speaker_a_model_copies_from_the_line_are_not_part_of_the_quote() {
        let mut s = segments();
        s[2].speaker = Some("S2".into());
        s[4].speaker = Some("민수".into());
        let t = Transcript::new(&s);
        let at = |q: &str| t.find(q, None).map(|f| f.segment);
        assert_eq!(at("[00:08] S2: Mina, can you send the report"), Some(2));
        assert_eq!(at("S2: Mina, can you send"), Some(2));
        assert_eq!(at("민수: 보고서를 제출 하겠습니다"), Some(4));
        // A label that is nobody's stays part of the quote.
        assert_eq!(at("S9: Mina, can you send"), None);
    }

    #[test]
    fn words_never_said_and_bare_words_back_nothing() {
        let s = segments();
        let t = Transcript::new(&s);
        assert_eq!(t.find("we will ship the release", None), None);
        assert_eq!(t.find("ship the yacht on friday", None), None);
        // Whole words only: "the rep" is not "the report".
        assert_eq!(t.find("send the rep", None), None);
        // Too short to back anything.
        assert_eq!(t.find("Good morning", None), None);
        assert_eq!(t.find("제출", None), None);
        assert_eq!(t.find("", None), None);
        assert_eq!(t.find("...", None), None);
        // Pieces must keep their order.
        assert_eq!(t.find("by Monday ... Mina, can you", None), None);
    }

    #[test]
    fn unverified_items_are_dropped_or_kept_and_marked() {
        let s = segments();
        let quote = |q: &str, time: &str| Evidence {
            quote: q.into(),
            time: Some(time.into()),
            ..Evidence::default()
        };
        let minutes = Minutes {
            decisions: vec![
                Decision {
                    decision: "Ship on Friday".into(),
                    time: Some("59:00".into()),
                    evidence: vec![
                        quote("we'll ship the release on Friday", "00:21"),
                        quote("a line nobody ever said", "00:01"),
                    ],
                    verified: None,
                },
                Decision {
                    decision: "Buy a yacht".into(),
                    time: Some("00:04".into()),
                    evidence: vec![quote("we will buy a yacht", "00:04")],
                    verified: None,
                },
            ],
            open_questions: vec![Question::from("Who pays?")],
            ..Minutes::default()
        };
        let mut dropped = minutes.clone();
        let out = check(&mut dropped, &s, false);
        assert_eq!(dropped.decisions.len(), 1);
        let d = &dropped.decisions[0];
        assert_eq!((d.time.as_deref(), d.verified), (Some("00:20"), Some(true)));
        assert_eq!(d.evidence.len(), 1);
        assert_eq!(
            (d.evidence[0].segment, d.evidence[0].start),
            (Some(5), Some(20.0))
        );
        assert!(dropped.open_questions.is_empty());
        assert_eq!(
            out.dropped,
            ["decision: Buy a yacht", "open question: Who pays?"]
        );
        assert!(out.kept.is_empty());

        let mut kept = minutes.clone();
        let out = check(&mut kept, &s, true);
        assert_eq!(kept.decisions.len(), 2);
        let d = &kept.decisions[1];
        assert_eq!((d.time.as_deref(), d.verified), (None, Some(false)));
        assert_eq!(d.evidence[0].time, None);
        assert_eq!(out.kept.len(), 2);
        assert!(out.dropped.is_empty());
    }

    #[test]
    fn an_untimed_transcript_gives_segments_but_no_times() {
        let s: Vec<Segment> = segments()
            .into_iter()
            .map(|mut s| {
                s.end = 0.0;
                s.start = 0.0;
                s
            })
            .collect();
        let mut m = Minutes {
            action_items: vec![ActionItem {
                task: "Send the report".into(),
                evidence: vec![Evidence {
                    quote: "can you send the report".into(),
                    ..Evidence::default()
                }],
                ..ActionItem::default()
            }],
            ..Minutes::default()
        };
        check(&mut m, &s, false);
        let a = &m.action_items[0];
        assert_eq!((a.time.as_deref(), a.evidence[0].segment), (None, Some(2)));
        assert_eq!(a.evidence[0].start, None);
    }
}
