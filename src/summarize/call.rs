//! One structured LLM call as the pipeline needs it: a concurrency permit
//! shared by every stage, JSON out, tolerant parsing and one repair attempt
//! for broken JSON. An answer cut off at its budget is asked again with the
//! largest one only where nothing smaller would do ([`OnCutOff`]): a stage
//! that can halve its input does that instead.

use serde::de::DeserializeOwned;
use tokio::sync::Semaphore;

use crate::error::Result;
use crate::llm::{ChatRequest, Finish, Llm, Schema, Stage};

/// Why a call produced no usable value (the server itself answered).
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    /// Cut off at its output budget (see [`OnCutOff`]).
    Truncated,
    /// Not valid JSON of the right shape, even after a repair attempt.
    InvalidJson(String),
    /// The prompt does not fit the model's context: send less.
    TooLong,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Truncated => f.write_str("the answer was cut off at the output token limit"),
            Failure::InvalidJson(e) => write!(f, "the answer was not valid JSON ({e})"),
            Failure::TooLong => f.write_str("the prompt does not fit the model's context"),
        }
    }
}

/// What a call does with an answer cut off at its output budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnCutOff {
    /// Report [`Failure::Truncated`]: the caller halves its input, or keeps
    /// what it had.
    GiveUp,
    /// Ask once more with the largest budget (merging notes, which cannot
    /// be halved without a further round).
    AskLonger,
}

pub struct Caller<'a, L: Llm> {
    pub llm: &'a L,
    pub permits: &'a Semaphore,
    /// The largest output budget of any call.
    pub max_output_tokens: u32,
    pub temperature: f32,
    pub seed: Option<u32>,
}

impl<L: Llm> Caller<'_, L> {
    /// Calls the model and parses its answer as `T`.
    pub async fn json<T: DeserializeOwned>(
        &self,
        stage: Stage,
        messages: super::prompts::Messages,
        schema: Schema,
        max_tokens: u32,
        on_cut_off: OnCutOff,
    ) -> Result<std::result::Result<T, Failure>> {
        let budget = max_tokens.min(self.max_output_tokens);
        let mut request = ChatRequest {
            stage,
            system: messages.system,
            examples: messages.examples,
            user: messages.user,
            schema: Some(schema),
            max_tokens: budget,
            temperature: self.temperature,
            seed: self.seed,
        };
        let reply = loop {
            let reply = self.once(&request).await?;
            tracing::trace!(
                "{} answer ({:?}): {}",
                stage.name(),
                reply.finish,
                reply.content
            );
            match reply.finish {
                Finish::Stop => break reply,
                Finish::PromptTooLong => return Ok(Err(Failure::TooLong)),
                Finish::Truncated => {}
            }
            if on_cut_off == OnCutOff::GiveUp || request.max_tokens >= self.max_output_tokens {
                return Ok(Err(Failure::Truncated));
            }
            tracing::info!(
                "{} answer cut off at {} output tokens; asking again with {}",
                stage.name(),
                request.max_tokens,
                self.max_output_tokens
            );
            request.max_tokens = self.max_output_tokens;
        };
        match parse_json::<T>(&reply.content) {
            Ok(v) => Ok(Ok(v)),
            Err(first) => {
                tracing::info!(
                    "{} answer is not valid JSON ({first}); asking for a repair",
                    stage.name()
                );
                let repair = ChatRequest {
                    system: "You repair JSON. Return only the corrected JSON document, matching the schema; \
                             change nothing else."
                        .to_string(),
                    user: format!("Error: {first}\n<json>\n{}\n</json>", reply.content),
                    examples: Vec::new(),
                    ..request.clone()
                };
                let fixed = self.once(&repair).await?;
                if fixed.finish == Finish::PromptTooLong {
                    return Ok(Err(Failure::TooLong));
                }
                Ok(parse_json::<T>(&fixed.content).map_err(Failure::InvalidJson))
            }
        }
    }

    async fn once(&self, request: &ChatRequest) -> Result<crate::llm::ChatReply> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| crate::error::Error::internal("LLM permits closed"))?;
        self.llm.chat(request).await
    }
}

/// Parses JSON leniently: code fences and text around the outermost object are ignored.
pub fn parse_json<T: DeserializeOwned>(text: &str) -> std::result::Result<T, String> {
    let trimmed = text.trim();
    if let Ok(v) = serde_json::from_str::<T>(trimmed) {
        return Ok(v);
    }
    let (Some(a), Some(b)) = (trimmed.find('{'), trimmed.rfind('}')) else {
        return Err("no JSON object in the answer".into());
    };
    if b < a {
        return Err("no JSON object in the answer".into());
    }
    serde_json::from_str::<T>(&trimmed[a..=b]).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct A {
        a: u32,
    }

    #[test]
    fn tolerant_parsing() {
        assert_eq!(parse_json::<A>("{\"a\": 1}").unwrap(), A { a: 1 });
        assert_eq!(
            parse_json::<A>("```json\n{\"a\": 2}\n```").unwrap(),
            A { a: 2 }
        );
        assert_eq!(
            parse_json::<A>("Sure! {\"a\": 3} Hope this helps").unwrap(),
            A { a: 3 }
        );
        assert!(parse_json::<A>("{\"a\": ").is_err());
        assert!(parse_json::<A>("nothing").is_err());
    }
}
