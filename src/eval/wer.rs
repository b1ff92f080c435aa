//! Levenshtein alignment of a hypothesis against a reference, counted as
//! hits, substitutions, deletions and insertions, as jiwer and sclite report
//! them: WER (over words) and CER (over characters) are both
//! `(S + D + I) / N` with `N = H + S + D`, the length of the reference.
//!
//! The alignment is the standard dynamic programme with unit costs. Instead
//! of a backtrace matrix (n·m cells, gigabytes for the characters of a long
//! meeting), each cell carries the counts of the best path into it, so
//! memory is two rows whatever the length; reading the counts off the last
//! cell is the same as tracing back the path the cells chose. Ties go to the
//! diagonal (a hit or a substitution), then a deletion, then an insertion.
//! A common prefix and suffix are matched before the programme runs, which
//! keeps near-identical texts fast; time is otherwise O(n·m).

use serde::Serialize;

/// Edit counts of one alignment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub hits: usize,
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
}

impl Counts {
    /// Tokens in the reference: hits, substitutions and deletions.
    pub fn reference_len(&self) -> usize {
        self.hits + self.substitutions + self.deletions
    }

    pub fn errors(&self) -> usize {
        self.substitutions + self.deletions + self.insertions
    }

    /// `(S + D + I) / N`; above 1 when the hypothesis adds many tokens. An
    /// empty reference has no rate: 0 for an empty hypothesis, else infinity
    /// (callers refuse empty references before they get here).
    pub fn rate(&self) -> f64 {
        match self.reference_len() {
            0 if self.errors() == 0 => 0.0,
            0 => f64::INFINITY,
            n => self.errors() as f64 / n as f64,
        }
    }
}

/// Aligns `hypothesis` to `reference` with the fewest edits and counts them.
pub fn align<T: PartialEq>(reference: &[T], hypothesis: &[T]) -> Counts {
    let prefix = reference
        .iter()
        .zip(hypothesis)
        .take_while(|(r, h)| r == h)
        .count();
    let (r, h) = (&reference[prefix..], &hypothesis[prefix..]);
    let suffix = r
        .iter()
        .rev()
        .zip(h.iter().rev())
        .take_while(|(r, h)| r == h)
        .count();
    let (r, h) = (&r[..r.len() - suffix], &h[..h.len() - suffix]);
    let mut counts = table(r, h);
    counts.hits += prefix + suffix;
    counts
}

/// One cell of the programme: the edits of the best path into it (hits and
/// insertions follow from them and the cell's place). `u32` halves the
/// memory traffic of `usize`; no text held in memory has 4 billion tokens.
#[derive(Clone, Copy)]
struct Cell {
    errors: u32,
    substitutions: u32,
    deletions: u32,
}

/// The dynamic programme over two rows; `row[j]` holds the best path for
/// the reference so far against the first `j` hypothesis tokens.
fn table<T: PartialEq>(r: &[T], h: &[T]) -> Counts {
    let mut prev: Vec<Cell> = (0..=h.len())
        .map(|j| Cell {
            errors: j as u32,
            substitutions: 0,
            deletions: 0,
        })
        .collect();
    let mut cur = prev.clone();
    for (i, rt) in r.iter().enumerate() {
        let deleted = i as u32 + 1;
        cur[0] = Cell {
            errors: deleted,
            substitutions: 0,
            deletions: deleted,
        };
        // Walks the row with the left and diagonal neighbours in hand: no
        // index, no bounds check, in the loop that does all the work.
        let (mut left, mut diagonal) = (cur[0], prev[0]);
        for ((ht, &up), out) in h.iter().zip(&prev[1..]).zip(&mut cur[1..]) {
            let mut best = if rt == ht {
                diagonal
            } else {
                Cell {
                    errors: diagonal.errors + 1,
                    substitutions: diagonal.substitutions + 1,
                    ..diagonal
                }
            };
            if up.errors + 1 < best.errors {
                best = Cell {
                    errors: up.errors + 1,
                    deletions: up.deletions + 1,
                    ..up
                };
            }
            if left.errors + 1 < best.errors {
                best = Cell {
                    errors: left.errors + 1,
                    ..left
                };
            }
            *out = best;
            (left, diagonal) = (best, up);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    let end = prev[h.len()];
    let (s, d) = (end.substitutions as usize, end.deletions as usize);
    Counts {
        hits: r.len() - s - d,
        substitutions: s,
        deletions: d,
        insertions: end.errors as usize - s - d,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    fn counts(h: usize, s: usize, d: usize, i: usize) -> Counts {
        Counts {
            hits: h,
            substitutions: s,
            deletions: d,
            insertions: i,
        }
    }

    #[test]
    fn one_substitution_and_one_deletion() {
        let c = align(
            &words("the cat sat on the mat"),
            &words("the cat sit on mat"),
        );
        assert_eq!(c, counts(4, 1, 1, 0));
        assert_eq!(c.rate(), 2.0 / 6.0);
    }

    #[test]
    fn each_kind_of_edit_alone() {
        let r = words("a b c d");
        assert_eq!(align(&r, &words("a x c d")), counts(3, 1, 0, 0));
        assert_eq!(align(&r, &words("a c d")), counts(3, 0, 1, 0));
        assert_eq!(align(&r, &words("a b y c d")), counts(4, 0, 0, 1));
        assert_eq!(align(&r, &words("a b y c d")).rate(), 0.25);
        assert_eq!(align(&r, &r), counts(4, 0, 0, 0));
    }

    #[test]
    fn empty_sides() {
        let r = words("a b c");
        let c = align(&r, &[]);
        assert_eq!(c, counts(0, 0, 3, 0));
        assert_eq!(c.rate(), 1.0);
        assert_eq!(align(&[], &r), counts(0, 0, 0, 3));
        assert_eq!(align::<&str>(&[], &[]).rate(), 0.0);
    }

    #[test]
    fn insertions_can_push_the_rate_above_one() {
        let c = align(&words("yes"), &words("no no no"));
        assert_eq!(c, counts(0, 1, 0, 2));
        assert_eq!(c.rate(), 3.0);
    }

    #[test]
    fn characters_align_like_words() {
        let r: Vec<char> = "kitten".chars().collect();
        let h: Vec<char> = "sitting".chars().collect();
        // k→s, e→i, +g: the textbook distance of 3.
        assert_eq!(align(&r, &h), counts(4, 2, 0, 1));
    }

    #[test]
    fn matches_a_full_backtrace_on_scrambled_input() {
        // The counts' total is the edit distance from a plain textbook table.
        let r: Vec<u8> = (0..200u32).map(|i| (i * 7 % 5) as u8).collect();
        let h: Vec<u8> = (0..180u32).map(|i| (i * 3 % 4) as u8).collect();
        let mut d: Vec<Vec<usize>> = vec![vec![0; h.len() + 1]; r.len() + 1];
        for (i, row) in d.iter_mut().enumerate() {
            row[0] = i;
        }
        for (j, cell) in d[0].iter_mut().enumerate() {
            *cell = j;
        }
        for i in 1..=r.len() {
            for j in 1..=h.len() {
                d[i][j] = (d[i - 1][j - 1] + usize::from(r[i - 1] != h[j - 1]))
                    .min(d[i - 1][j] + 1)
                    .min(d[i][j - 1] + 1);
            }
        }
        let c = align(&r, &h);
        assert_eq!(c.errors(), d[r.len()][h.len()]);
        assert_eq!(c.reference_len(), r.len());
        assert_eq!(c.hits + c.substitutions + c.insertions, h.len());
    }
}
