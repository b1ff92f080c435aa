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
//! a bare "yes" or "okay" backs nothing. A whole line copied by a model is
//! cut at the schema's length limit, often inside a word: a quote's last
//! word may be the start of the word said, after at least [`MIN_WORDS`]
//! whole ones. A line copied with a slip or two (a word in another
//! language, two words run together) still holds, shown as said
//! ([`near`]).
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
        self.search(form, &pieces, cjk, near).or_else(|| {
            // A model that copies a whole line is cut off at the schema's
            // length limit, often inside a word: its last word may be the
            // start of the one said, when enough whole words come before it.
            if cjk || size <= MIN_WORDS {
                return None;
            }
            let mut cut = pieces.clone();
            cut.last_mut()?.pop();
            self.search(form, &cut, cjk, near)
        })
    }

    /// Where `pieces` occur in order in `form`, nearest to `near`.
    fn search(
        &self,
        form: &Form,
        pieces: &[String],
        cjk: bool,
        near: Option<f64>,
    ) -> Option<Found> {
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
            let found = match self.find(&e.quote, near) {
                Some(f) => Some((f.segment, e.quote.trim().to_string())),
                None => near::find(self.segments, self.without_line_prefix(&e.quote), near)
                    .map(|n| (n.segment, n.quote)),
            };
            if let Some((segment, quote)) = found
                && !checked.iter().any(|c| c.segment == Some(segment))
            {
                let start = self.segments[segment].start;
                checked.push(Evidence {
                    segment: Some(segment),
                    start: self.timed.then_some(start),
                    time: self.timed.then(|| format_time(start)),
                    quote,
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

mod near;
#[cfg(test)]
mod tests;
