//! Asking the judge: both orders of a pair through the pipeline's one
//! structured call ([`Caller`]: the shared concurrency limit, a bigger
//! budget after truncation, one repair of broken JSON), with personal data
//! replaced before anything leaves and put back into the reasoning after.

use crate::error::{Error, ErrorKind, Result};
use crate::llm::{Llm, Stage};
use crate::redact::Redactor;
use crate::summarize::call::{Caller, OnCutOff};

use super::rubric::{self, Rubric};
use super::{Judgement, Side};

/// Output tokens asked for one judgement (a few sentences and a verdict);
/// doubled once if the answer is cut off.
const MAX_TOKENS: u32 = 1024;
/// The most a cut-off judgement may ask for.
pub const MAX_OUTPUT_TOKENS: u32 = 2048;

/// The texts of one pair as the judge sees them.
pub struct Shown {
    pub transcript: String,
    pub a: String,
    pub b: String,
    /// The placeholders' values, when personal data was replaced: one
    /// redactor for all three texts, so a value is the same placeholder in
    /// the transcript and in both minutes.
    redactor: Option<Redactor>,
}

impl Shown {
    /// The texts as the judge sees them: with personal data and `redact`'s
    /// terms replaced, or (`None`) as they are.
    pub fn new(transcript: String, a: String, b: String, redact: Option<&[String]>) -> Shown {
        let Some(terms) = redact else {
            return Shown {
                transcript,
                a,
                b,
                redactor: None,
            };
        };
        let mut r = Redactor::new(terms);
        Shown {
            transcript: r.redact(&transcript),
            a: r.redact(&a),
            b: r.redact(&b),
            redactor: Some(r),
        }
    }

    /// How many values of each kind were replaced.
    pub fn redactions(&self) -> std::collections::BTreeMap<String, usize> {
        self.redactor
            .as_ref()
            .map(Redactor::counts)
            .unwrap_or_default()
    }
}

/// A judge: a model behind the shared caller, a rubric, and how errors name it.
pub struct Judge<'a, 'c, L: Llm> {
    pub caller: &'a Caller<'c, L>,
    pub rubric: &'a Rubric,
    /// `MODEL at URL`.
    pub label: String,
}

impl<L: Llm> Judge<'_, '_, L> {
    /// The judgements of pair `name`: A shown first, then B shown first.
    /// Their reasoning has the real values back.
    pub async fn pair(&self, name: &str, shown: &Shown) -> Result<[Judgement; 2]> {
        let (a_first, b_first) = futures::future::try_join(
            self.once(name, Side::A, &shown.transcript, &shown.a, &shown.b),
            self.once(name, Side::B, &shown.transcript, &shown.b, &shown.a),
        )
        .await?;
        Ok([a_first, b_first].map(|mut j| {
            if let Some(r) = &shown.redactor {
                j.reasoning = r.restore(&j.reasoning);
            }
            j
        }))
    }

    async fn once(
        &self,
        name: &str,
        first: Side,
        transcript: &str,
        shown_first: &str,
        shown_second: &str,
    ) -> Result<Judgement> {
        let messages = self.rubric.messages(transcript, shown_first, shown_second);
        let order = format!("{} shown first", first.name());
        match self
            .caller
            .json::<Judgement>(
                Stage::Judge,
                messages,
                rubric::schema(),
                MAX_TOKENS,
                OnCutOff::AskLonger,
            )
            .await
        {
            Ok(Ok(judgement)) => Ok(judgement),
            Ok(Err(failure)) => Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "the judge {} gave no usable judgement of {name} ({order}): {failure}",
                    self.label
                ),
            )
            .with_hint("try another judge model, or a rubric that asks more plainly for the JSON")),
            Err(e) => {
                let wrapped = Error::new(
                    e.kind(),
                    format!(
                        "judging {name} ({order}) with {}: {}",
                        self.label,
                        e.message()
                    ),
                );
                Err(match e.hint() {
                    Some(h) => wrapped.with_hint(h),
                    None => wrapped,
                })
            }
        }
    }
}
