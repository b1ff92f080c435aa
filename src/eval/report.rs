//! The report of `minutes eval transcript`: an aligned plain-text table for
//! people (the alignment shared with `eval minutes`), or one JSON document
//! for scripts. Rates are fractions (0.25, not
//! 25%); the counts behind them are always given, so results over several
//! files can be pooled by summing counts rather than averaging rates.

use serde::Serialize;

use super::{Reference, Scores, Script};

/// One JSON document for a reference and its hypotheses.
#[derive(Debug, Serialize)]
pub struct Report {
    pub reference: String,
    pub normalize: &'static str,
    /// Whether characters were counted without spaces (Korean, Chinese, Japanese).
    pub cjk: bool,
    pub results: Vec<Row>,
}

/// The scores of one hypothesis file.
#[derive(Debug, Serialize)]
pub struct Row {
    pub file: String,
    pub wer: f64,
    pub cer: f64,
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
    pub hits: usize,
    pub reference_words: usize,
    pub char: CharRow,
}

#[derive(Debug, Serialize)]
pub struct CharRow {
    pub substitutions: usize,
    pub deletions: usize,
    pub insertions: usize,
    pub hits: usize,
    pub reference_chars: usize,
}

impl Report {
    pub fn new(reference_name: String, reference: &Reference) -> Report {
        Report {
            reference: reference_name,
            normalize: reference.normalize().name(),
            cjk: reference.script() == Script::Cjk,
            results: Vec::new(),
        }
    }

    pub fn push(&mut self, file: String, s: &Scores) {
        self.results.push(Row {
            file,
            wer: s.wer(),
            cer: s.cer(),
            substitutions: s.words.substitutions,
            deletions: s.words.deletions,
            insertions: s.words.insertions,
            hits: s.words.hits,
            reference_words: s.words.reference_len(),
            char: CharRow {
                substitutions: s.chars.substitutions,
                deletions: s.chars.deletions,
                insertions: s.chars.insertions,
                hits: s.chars.hits,
                reference_chars: s.chars.reference_len(),
            },
        });
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// One line per hypothesis under a header; the file name left-aligned,
    /// numbers right-aligned, columns two spaces apart, rates to 4 places.
    pub fn to_table(&self) -> String {
        const HEADER: [&str; 8] = [
            "file",
            "wer",
            "cer",
            "hits",
            "subs",
            "dels",
            "ins",
            "ref_words",
        ];
        let mut rows: Vec<[String; 8]> = vec![HEADER.map(str::to_string)];
        for r in &self.results {
            rows.push([
                r.file.clone(),
                format!("{:.4}", r.wer),
                format!("{:.4}", r.cer),
                r.hits.to_string(),
                r.substitutions.to_string(),
                r.deletions.to_string(),
                r.insertions.to_string(),
                r.reference_words.to_string(),
            ]);
        }
        aligned(&rows)
    }
}

/// Rows as text: the first column left-aligned, the others right-aligned,
/// columns two spaces apart, no trailing spaces.
pub(crate) fn aligned<R: AsRef<[String]>>(rows: &[R]) -> String {
    let columns = rows.iter().map(|r| r.as_ref().len()).max().unwrap_or(0);
    let mut widths = vec![0usize; columns];
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row.as_ref()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, (cell, &w)) in row.as_ref().iter().zip(&widths).enumerate() {
            if i == 0 {
                line.push_str(&format!("{cell:<w$}"));
            } else {
                line.push_str(&format!("  {cell:>w$}"));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::Normalize;

    #[test]
    fn table_and_json_carry_the_same_counts() {
        let r = Reference::new("the cat sat on the mat", Normalize::Basic, None).unwrap();
        let mut report = Report::new("ref.txt".into(), &r);
        report.push("hyp.srt".into(), &r.score("the cat sit on mat"));
        report.push("a-much-longer-name.json".into(), &r.score(""));
        assert_eq!(
            report.to_table(),
            "file                        wer     cer  hits  subs  dels  ins  ref_words\n\
             hyp.srt                  0.3333  0.2273     4     1     1    0          6\n\
             a-much-longer-name.json  1.0000  1.0000     0     0     6    0          6\n"
        );
        let v: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(v["normalize"], "basic");
        assert_eq!(v["cjk"], false);
        assert_eq!(v["results"][0]["substitutions"], 1);
        assert_eq!(v["results"][0]["char"]["reference_chars"], 22);
        assert_eq!(v["results"][1]["wer"], 1.0);
    }
}
