//! Quotes copied with slips. A small model asked to copy a line copies
//! most of it and slips on a word or two: a word in another language
//! ("deploy to 周四" for "to Thursday"), two words run together
//! ("thattoday"), a word dropped. Such a quote is still the transcript's
//! words, and the item it backs was said; the exact check would drop it.
//!
//! This match is the fallback the exact one takes. Within one segment, the
//! quote's words are aligned in order with the segment's (the longest
//! common subsequence); the quote holds when at least [`SHARE`] of its
//! words are found, at least [`MIN_MATCHED`] of them, close together (the
//! aligned stretch of the segment is at most a quarter longer than the
//! quote). The quote shown is then the transcript's own stretch, never the
//! model's version of it. Korean, Chinese and Japanese count by character.
//! Invented quotes share a few common words with many lines, never four
//! fifths of their words in order.

use crate::transcript::Segment;

/// Share of a quote's words that must be found, in order, in one segment.
pub const SHARE: f64 = 0.8;
/// Fewest words (CJK: characters) that must be found.
pub const MIN_MATCHED: usize = 5;

/// A quote found with slips: the segment and the transcript's own words.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub segment: usize,
    pub quote: String,
}

/// Words of `text` (each Korean, Chinese or Japanese character on its own),
/// lower-cased, with their byte ranges in `text`.
fn tokens(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut word: Option<usize> = None;
    let close = |out: &mut Vec<(usize, usize, String)>, from: usize, to: usize| {
        out.push((from, to, text[from..to].to_lowercase()));
    };
    for (i, c) in text.char_indices() {
        let cjk = super::is_cjk(c);
        if !c.is_alphanumeric() || cjk {
            if let Some(from) = word.take() {
                close(&mut out, from, i);
            }
            if cjk {
                close(&mut out, i, i + c.len_utf8());
            }
        } else if word.is_none() {
            word = Some(i);
        }
    }
    if let Some(from) = word {
        close(&mut out, from, text.len());
    }
    out
}

/// The longest in-order alignment of `quote` with `line`: how many tokens
/// match, and the first and last matched token of `line`.
fn align(
    quote: &[(usize, usize, String)],
    line: &[(usize, usize, String)],
) -> (usize, usize, usize) {
    let (n, m) = (quote.len(), line.len());
    let mut table = vec![0u16; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[at(i, j)] = if quote[i].2 == line[j].2 {
                table[at(i + 1, j + 1)] + 1
            } else {
                table[at(i + 1, j)].max(table[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let (mut first, mut last) = (None, 0);
    while i < n && j < m {
        if quote[i].2 == line[j].2 {
            first.get_or_insert(j);
            last = j;
            i += 1;
            j += 1;
        } else if table[at(i + 1, j)] >= table[at(i, j + 1)] {
            i += 1;
        } else {
            j += 1;
        }
    }
    (usize::from(table[at(0, 0)]), first.unwrap_or(0), last)
}

/// Finds `quote` with slips in one of `segments`, the one nearest `near`
/// (seconds) among equally good ones.
pub fn find(segments: &[Segment], quote: &str, near: Option<f64>) -> Option<Near> {
    let q = tokens(quote);
    let needed = ((q.len() as f64 * SHARE).ceil() as usize).max(MIN_MATCHED);
    if q.len() < MIN_MATCHED || q.len() > u16::MAX as usize {
        return None;
    }
    // The aligned stretch of a line may be a quarter longer than the quote.
    let width = q.len() + q.len().div_ceil(4);
    let mut best: Option<(usize, f64, Near)> = None;
    for (index, s) in segments.iter().enumerate() {
        let line = tokens(&s.text);
        if line.len() < needed || line.len() > u16::MAX as usize {
            continue;
        }
        let distance = near.map_or(0.0, |t| (s.start - t).abs());
        for from in 0..=line.len().saturating_sub(width) {
            let window = &line[from..(from + width).min(line.len())];
            let (matched, first, last) = align(&q, window);
            if matched < needed {
                continue;
            }
            if best
                .as_ref()
                .is_none_or(|(m, d, _)| matched > *m || (matched == *m && distance < *d))
            {
                let quote = s.text[window[first].0..window[last].1].to_string();
                best = Some((
                    matched,
                    distance,
                    Near {
                        segment: index,
                        quote,
                    },
                ));
            }
        }
    }
    best.map(|(_, _, n)| n)
}

#[cfg(test)]
mod tests {
    use super::super::tests::seg;
    use super::*;

    #[test]
    fn a_line_copied_with_slips_is_found_and_shown_as_said() {
        let s = [
            seg(0.0, "Okay, let's start."),
            seg(
                68.0,
                " Okay, um, any objections to Thursday? No? Then we move the staging deploy to Thursday. I'll tell the release channel.",
            ),
            seg(
                77.0,
                " From my side, I'm finishing the onboarding flow mockups. I still need to book the design review with the product folks, I'll do that today.",
            ),
            seg(90.0, " 네, 배포는 다음 주 화요일로 하죠."),
        ];
        let found = find(
            &s,
            "Okay, um, any objections to Thursday? No? Then we move the staging deploy to周四. ",
            Some(68.0),
        );
        assert_eq!(
            found,
            Some(Near {
                segment: 1,
                quote:
                    "Okay, um, any objections to Thursday? No? Then we move the staging deploy to"
                        .into()
            })
        );
        let found = find(
            &s,
            "I still need to book the design review with the product folks, I'll do thattoday",
            None,
        );
        // Aligned where the quote's words are together, not from the
        // line's earlier "I'm".
        assert_eq!(
            found.map(|n| n.quote),
            Some("I still need to book the design review with the product folks, I'll do".into())
        );
        let found = find(&s, "배포는 다음주 수요일로 하죠", None);
        assert_eq!(
            found.map(|n| n.quote),
            Some("배포는 다음 주 화요일로 하죠".into())
        );
    }

    #[test]
    fn invented_or_scattered_quotes_are_not_found() {
        let s = [
            seg(
                0.0,
                " We will ship the release on Friday and then we will talk to the team about the budget for next year.",
            ),
            seg(9.0, " Short line."),
        ];
        // Common words, not the line's.
        assert_eq!(find(&s, "we will buy the yacht for the team", None), None);
        // Most words present, but spread over the whole line.
        assert_eq!(find(&s, "we ship then team budget year", None), None);
        // Too short to say anything.
        assert_eq!(find(&s, "ship the release", None), None);
        // The line's start, then a story of the model's own: two thirds found.
        assert_eq!(
            find(&s, "we will ship the release on a boat to mars", None),
            None
        );
        // Three of five words found: not enough.
        assert_eq!(find(&s, "we will ship a rocket", None), None);
    }
}
