//! Access to language models: one narrow trait, one HTTP implementation for
//! any OpenAI-compatible server (OpenAI, Ollama, vLLM, llama.cpp's server,
//! LM Studio, Gemini's OpenAI endpoint), usage accounting.
//!
//! The pipeline sees only [`Llm::chat`]: a system and a user message in,
//! text out, with whether the answer was cut off by the token limit and the
//! tokens it cost. Retries, timeouts and JSON-mode negotiation live behind it.

pub mod catalog;
pub mod local;
pub mod openai;
pub mod retry;
pub mod select;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Mutex;

use serde::Serialize;

use crate::error::Result;

/// The pipeline stage a call belongs to (for usage accounting and logs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Stage {
    Correct,
    Map,
    Collapse,
    Reduce,
    /// A judge's verdict in an evaluation (`eval compare`).
    Judge,
}

impl Stage {
    pub fn name(self) -> &'static str {
        match self {
            Stage::Correct => "correct",
            Stage::Map => "map",
            Stage::Collapse => "collapse",
            Stage::Reduce => "reduce",
            Stage::Judge => "judge",
        }
    }
}

/// A JSON schema the answer must follow.
#[derive(Debug, Clone)]
pub struct Schema {
    pub name: &'static str,
    pub schema: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct ChatRequest {
    pub stage: Stage,
    pub system: String,
    /// Few-shot turns before the request: (user, assistant).
    pub examples: Vec<(String, String)>,
    pub user: String,
    pub schema: Option<Schema>,
    pub max_tokens: u32,
    pub temperature: f32,
    /// For reproducible answers, where the server supports it.
    pub seed: Option<u32>,
}

#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Usage {
    pub calls: u64,
    pub prompt_tokens: u64,
    /// Of the prompt tokens, those the server took from its prompt cache
    /// (OpenAI's and `minutes-llm`'s `prompt_tokens_details.cached_tokens`).
    pub cached_prompt_tokens: u64,
    pub completion_tokens: u64,
}

impl Usage {
    /// Adds another call's (or stage's) usage to this one.
    pub fn absorb(&mut self, other: &Usage) {
        self.calls += other.calls;
        self.prompt_tokens += other.prompt_tokens;
        self.cached_prompt_tokens += other.cached_prompt_tokens;
        self.completion_tokens += other.completion_tokens;
    }

    /// What was spent since `earlier`, a reading of the same book.
    pub fn since(&self, earlier: &Usage) -> Usage {
        Usage {
            calls: self.calls.saturating_sub(earlier.calls),
            prompt_tokens: self.prompt_tokens.saturating_sub(earlier.prompt_tokens),
            cached_prompt_tokens: self
                .cached_prompt_tokens
                .saturating_sub(earlier.cached_prompt_tokens),
            completion_tokens: self
                .completion_tokens
                .saturating_sub(earlier.completion_tokens),
        }
    }
}

/// How a call ended, when the server answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// A complete answer.
    Stop,
    /// The answer stopped at the output token limit (`finish_reason = length`).
    Truncated,
    /// The server refused the prompt as larger than the model's context
    /// (`context_length_exceeded`); the caller must send less.
    PromptTooLong,
}

#[derive(Debug, Clone)]
pub struct ChatReply {
    pub content: String,
    pub finish: Finish,
    pub usage: Usage,
}

/// What the summarising pipeline needs from a language model.
pub trait Llm: Send + Sync {
    fn chat(&self, request: &ChatRequest) -> impl Future<Output = Result<ChatReply>> + Send;
    /// The model's name, as recorded in the output.
    fn model(&self) -> &str;
}

/// Token usage per stage, shared by all calls of a run.
#[derive(Debug, Default)]
pub struct UsageBook {
    by_stage: Mutex<BTreeMap<Stage, Usage>>,
}

impl UsageBook {
    pub fn add(&self, stage: Stage, usage: &Usage) {
        let mut book = self.by_stage.lock().unwrap_or_else(|p| p.into_inner());
        book.entry(stage).or_default().absorb(usage);
    }

    pub fn snapshot(&self) -> BTreeMap<Stage, Usage> {
        self.by_stage
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub fn total(&self) -> Usage {
        let mut t = Usage::default();
        for u in self.snapshot().values() {
            t.absorb(u);
        }
        t
    }
}

/// An API key that never prints itself.
#[derive(Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(value)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<none>"
        } else {
            "<redacted>"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_do_not_print() {
        let s = Secret::new("sk-very-secret".into());
        assert!(!format!("{s:?}").contains("sk-"));
    }

    #[test]
    fn usage_adds_up_by_stage() {
        let book = UsageBook::default();
        book.add(
            Stage::Map,
            &Usage {
                calls: 1,
                prompt_tokens: 10,
                cached_prompt_tokens: 0,
                completion_tokens: 2,
            },
        );
        book.add(
            Stage::Map,
            &Usage {
                calls: 1,
                prompt_tokens: 5,
                cached_prompt_tokens: 4,
                completion_tokens: 1,
            },
        );
        book.add(
            Stage::Reduce,
            &Usage {
                calls: 1,
                prompt_tokens: 7,
                cached_prompt_tokens: 0,
                completion_tokens: 3,
            },
        );
        assert_eq!(book.snapshot()[&Stage::Map].prompt_tokens, 15);
        assert_eq!(
            book.total(),
            Usage {
                calls: 3,
                prompt_tokens: 22,
                cached_prompt_tokens: 4,
                completion_tokens: 6
            }
        );
    }
}

/// Whether `url` points at this machine (`localhost`, 127.0.0.0/8, `::1`):
/// such a server is always reached directly, never through a proxy, and a
/// transcript sent to it never leaves the machine.
pub fn is_loopback(url: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(url) else {
        return false;
    };
    match url.host() {
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod loopback_tests {
    #[test]
    fn loopback_hosts() {
        for u in [
            "http://127.0.0.1:8080/v1",
            "http://127.3.4.5/v1",
            "http://localhost:11434/v1",
            "http://LOCALHOST./v1",
            "http://[::1]:9/v1",
        ] {
            assert!(super::is_loopback(u), "{u}");
        }
        for u in [
            "https://api.openai.com/v1",
            "http://10.0.0.1/v1",
            "http://localhost.example.com/v1",
            "http://[::2]/v1",
            "not a url",
        ] {
            assert!(!super::is_loopback(u), "{u}");
        }
    }
}
