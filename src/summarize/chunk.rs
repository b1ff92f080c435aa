//! Splitting a transcript into chunks by real token counts, at segment
//! boundaries, as segments arrive.
//!
//! Tokens are counted with tiktoken's `o200k_base` (exact for current
//! OpenAI models); for other models the count is scaled up by a safety
//! margin, since their tokenizers are usually less efficient. A segment
//! longer than a whole chunk is cut at word boundaries, never dropped.

use std::sync::OnceLock;

use tiktoken_rs::CoreBPE;

use crate::transcript::Segment;

/// Counts tokens the way the model will (or a little pessimistically).
#[derive(Clone, Copy, Debug)]
pub struct TokenCounter {
    /// Multiplier applied to the o200k count (1.0 for OpenAI models).
    margin: f64,
}

fn bpe() -> &'static CoreBPE {
    static BPE: OnceLock<CoreBPE> = OnceLock::new();
    BPE.get_or_init(|| tiktoken_rs::o200k_base().expect("embedded tokenizer data"))
}

impl TokenCounter {
    pub fn for_model(model: &str) -> Self {
        let exact = ["gpt-4o", "gpt-4.1", "gpt-5", "o1", "o3", "o4"]
            .iter()
            .any(|p| model.starts_with(p));
        TokenCounter {
            margin: if exact { 1.0 } else { 1.3 },
        }
    }

    pub fn count(&self, text: &str) -> usize {
        (bpe().encode_ordinary(text).len() as f64 * self.margin).ceil() as usize
    }
}

/// A run of consecutive segments, numbered from 1.
#[derive(Debug, Clone)]
pub struct Chunk {
    pub index: usize,
    pub segments: Vec<Segment>,
    pub tokens: usize,
}

impl Chunk {
    pub fn start(&self) -> f64 {
        self.segments.first().map(|s| s.start).unwrap_or(0.0)
    }

    pub fn end(&self) -> f64 {
        self.segments.last().map(|s| s.end).unwrap_or(0.0)
    }

    /// The chunk cut in two at its middle segment (for an answer or a prompt
    /// that did not fit); tokens are shared in proportion to segments.
    pub fn halves(&self) -> [Chunk; 2] {
        let mid = self.segments.len() / 2;
        let share = |n: usize| self.tokens * n / self.segments.len().max(1);
        let part = |segments: &[Segment]| Chunk {
            index: self.index,
            segments: segments.to_vec(),
            tokens: share(segments.len()),
        };
        [part(&self.segments[..mid]), part(&self.segments[mid..])]
    }
}

/// Collects segments and hands out chunks of at most `limit` tokens.
pub struct Chunker {
    counter: TokenCounter,
    limit: usize,
    current: Vec<Segment>,
    tokens: usize,
    next_index: usize,
}

impl Chunker {
    pub fn new(counter: TokenCounter, limit: usize) -> Self {
        Chunker {
            counter,
            limit: limit.max(50),
            current: Vec::new(),
            tokens: 0,
            next_index: 1,
        }
    }

    /// Adds a segment; returns the chunks it completed.
    pub fn push(&mut self, segment: Segment) -> Vec<Chunk> {
        let mut done = Vec::new();
        for piece in self.split_long(segment) {
            let t = self.counter.count(&piece.text) + 4;
            if self.tokens + t > self.limit && !self.current.is_empty() {
                done.push(self.take());
            }
            self.tokens += t;
            self.current.push(piece);
        }
        done
    }

    /// The last, partial chunk.
    pub fn finish(&mut self) -> Option<Chunk> {
        (!self.current.is_empty()).then(|| self.take())
    }

    fn take(&mut self) -> Chunk {
        let chunk = Chunk {
            index: self.next_index,
            segments: std::mem::take(&mut self.current),
            tokens: self.tokens,
        };
        self.next_index += 1;
        self.tokens = 0;
        chunk
    }

    /// Cuts a segment too long for one chunk into word-bounded pieces, with
    /// times shared out in proportion to their length.
    fn split_long(&self, segment: Segment) -> Vec<Segment> {
        let total = self.counter.count(&segment.text);
        if total + 4 <= self.limit {
            return vec![segment];
        }
        let words: Vec<&str> = segment.text.split_whitespace().collect();
        let parts = total.div_ceil(self.limit / 2).max(2);
        let per = words.len().div_ceil(parts).max(1);
        let span = segment.end - segment.start;
        let n = words.len().max(1) as f64;
        words
            .chunks(per)
            .enumerate()
            .map(|(i, w)| {
                let a = segment.start + span * (i * per) as f64 / n;
                let b = segment.start + span * ((i * per + w.len()) as f64 / n).min(1.0);
                Segment {
                    start: a,
                    end: b,
                    text: w.join(" "),
                    speaker: None,
                    words: Vec::new(),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(i: usize, text: &str) -> Segment {
        Segment {
            start: i as f64,
            end: i as f64 + 1.0,
            text: text.into(),
            speaker: None,
            words: Vec::new(),
        }
    }

    #[test]
    fn chunks_respect_the_limit_and_keep_every_segment() {
        let counter = TokenCounter::for_model("gpt-4o-mini");
        let mut c = Chunker::new(counter, 100);
        let mut chunks = Vec::new();
        for i in 0..200 {
            chunks.extend(c.push(seg(i, &format!("segment number {i} says something useful"))));
        }
        chunks.extend(c.finish());
        assert!(chunks.len() > 5);
        assert!(chunks.iter().all(|ch| ch.tokens <= 100));
        let n: usize = chunks.iter().map(|ch| ch.segments.len()).sum();
        assert_eq!(n, 200);
        assert!(
            chunks
                .windows(2)
                .all(|w| w[0].index + 1 == w[1].index && w[0].end() <= w[1].start())
        );
    }

    #[test]
    fn a_giant_segment_is_split_not_lost() {
        let counter = TokenCounter::for_model("llama3");
        let mut c = Chunker::new(counter, 60);
        let text: Vec<String> = (0..300).map(|i| format!("w{i}")).collect();
        let mut chunks = c.push(Segment {
            start: 0.0,
            end: 300.0,
            text: text.join(" "),
            speaker: None,
            words: Vec::new(),
        });
        chunks.extend(c.finish());
        let joined: Vec<String> = chunks
            .iter()
            .flat_map(|ch| ch.segments.iter().map(|s| s.text.clone()))
            .collect();
        assert_eq!(joined.join(" "), text.join(" "));
        assert!(
            chunks.iter().all(|ch| ch.tokens <= 60),
            "{:?}",
            chunks.iter().map(|c| c.tokens).collect::<Vec<_>>()
        );
    }

    #[test]
    fn other_models_are_counted_pessimistically() {
        let text = "The quarterly budget review is scheduled for Thursday.";
        assert!(
            TokenCounter::for_model("qwen2.5").count(text)
                > TokenCounter::for_model("gpt-4o").count(text)
        );
    }
}
