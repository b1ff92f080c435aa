//! The report of `minutes eval compare`: an aligned table with a totals
//! line for people, or one JSON document with each order's verdict and
//! reasoning for scripts. The judge, the rubric, the tokens spent and the
//! time taken are part of the document: a win rate means nothing without
//! knowing who judged.

use serde::Serialize;

use super::{Judgement, Side, Totals, Verdict, outcome};
use crate::eval::report::aligned;
use crate::llm::Usage;

#[derive(Debug, Serialize)]
pub struct Report {
    pub judge: JudgeInfo,
    pub rubric: RubricInfo,
    pub pairs: Vec<PairResult>,
    pub totals: Totals,
    pub usage: Usage,
    /// Wall time of the evaluation.
    pub seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct JudgeInfo {
    /// The server's URL; `local` for the bundled model.
    pub url: String,
    pub model: String,
}

#[derive(Debug, Serialize)]
pub struct RubricInfo {
    /// `built-in` or the `--rubric` file.
    pub source: String,
    pub version: String,
    pub hash: String,
}

#[derive(Debug, Serialize)]
pub struct PairResult {
    pub name: String,
    pub a: String,
    pub b: String,
    /// A shown first, then B shown first.
    pub orders: [Order; 2],
    pub result: Side,
}

#[derive(Debug, Serialize)]
pub struct Order {
    /// Whose minutes were shown first: `a` or `b`.
    pub first: Side,
    pub better: Verdict,
    pub reasoning: String,
}

impl PairResult {
    pub fn new(name: String, a: String, b: String, [a_first, b_first]: [Judgement; 2]) -> Self {
        PairResult {
            name,
            a,
            b,
            result: outcome(a_first.better, b_first.better),
            orders: [(Side::A, a_first), (Side::B, b_first)].map(|(first, j)| Order {
                first,
                better: j.better,
                reasoning: j.reasoning,
            }),
        }
    }

    fn verdicts(&self) -> (Verdict, Verdict) {
        (self.orders[0].better, self.orders[1].better)
    }
}

impl Report {
    pub fn new(
        judge: JudgeInfo,
        rubric: RubricInfo,
        pairs: Vec<PairResult>,
        usage: Usage,
        seconds: f64,
    ) -> Report {
        let verdicts: Vec<(Verdict, Verdict)> = pairs.iter().map(PairResult::verdicts).collect();
        Report {
            judge,
            rubric,
            totals: Totals::of(&verdicts),
            pairs,
            usage,
            seconds: (seconds * 1000.0).round() / 1000.0,
        }
    }

    /// Pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// One line per pair (the side each order picked, and the result),
    /// then the totals.
    pub fn to_table(&self) -> String {
        let mut rows =
            vec![["pair", "A shown first", "B shown first", "result"].map(str::to_string)];
        for p in &self.pairs {
            let picked = |i: usize| Side::picked(p.orders[i].better, p.orders[i].first);
            rows.push([
                p.name.clone(),
                picked(0).name().to_string(),
                picked(1).name().to_string(),
                p.result.name().to_string(),
            ]);
        }
        let t = &self.totals;
        let mut out = aligned(&rows);
        out.push_str(&format!(
            "A: {} wins, {} ties, {} losses of {} pairs; win rate {}, 95% interval {}; \
             the orders disagreed on {} of {}\n",
            t.a_wins,
            t.ties,
            t.b_wins,
            t.pairs,
            t.win_rate.map_or_else(|| "-".into(), |r| format!("{r:.4}")),
            t.interval
                .map_or_else(|| "-".into(), |[lo, hi]| format!("[{lo:.4}, {hi:.4}]")),
            t.inconsistent,
            t.pairs,
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn said(better: Verdict) -> Judgement {
        Judgement {
            reasoning: "because".into(),
            better,
        }
    }

    #[test]
    fn table_and_json_tell_the_same_result() {
        let pairs = vec![
            PairResult::new(
                "one.json".into(),
                "a/one.json".into(),
                "b/one.json".into(),
                [said(Verdict::First), said(Verdict::Second)],
            ),
            PairResult::new(
                "two.json".into(),
                "a/two.json".into(),
                "b/two.json".into(),
                [said(Verdict::First), said(Verdict::First)],
            ),
        ];
        let judge = JudgeInfo {
            url: "http://127.0.0.1:9/v1".into(),
            model: "m".into(),
        };
        let rubric = RubricInfo {
            source: "built-in".into(),
            version: "1".into(),
            hash: "abc".into(),
        };
        let r = Report::new(judge, rubric, pairs, Usage::default(), 1.23456);
        assert_eq!(
            r.to_table(),
            "pair      A shown first  B shown first  result\n\
             one.json              A              A       A\n\
             two.json              A              B     tie\n\
             A: 1 wins, 1 ties, 0 losses of 2 pairs; win rate 0.7500, 95% interval [0.1979, 0.9733]; \
             the orders disagreed on 1 of 2\n"
        );
        let v: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
        assert_eq!(v["pairs"][0]["result"], "a");
        assert_eq!(v["pairs"][1]["orders"][1]["first"], "b");
        assert_eq!(v["pairs"][1]["orders"][1]["better"], "first");
        assert_eq!(v["totals"]["inconsistent"], 1);
        assert_eq!(v["seconds"], 1.235);
        assert_eq!(v["judge"]["model"], "m");
    }
}
