//! The HTTP backend: any OpenAI-compatible chat-completions server, through
//! async-openai with [`RetryService`](super::retry::RetryService) underneath.
//!
//! Structured output is negotiated once per run: `json_schema` first; a
//! server that rejects it gets `json_object`; one that rejects that gets a
//! plain request (the prompt asks for JSON either way, and answers are
//! parsed tolerantly). Error messages name the server, never the key.

use std::sync::atomic::{AtomicU8, Ordering};

use async_openai::Client;
use async_openai::config::Config;
use async_openai::error::OpenAIError;
use async_openai::types::chat::{
    ChatCompletionRequestAssistantMessage, ChatCompletionRequestMessage,
    ChatCompletionRequestSystemMessage, ChatCompletionRequestUserMessage,
    CreateChatCompletionRequest, FinishReason, ResponseFormat, ResponseFormatJsonSchema,
};
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::retry::{GiveUp, RetryPolicy, RetryService};
use super::{ChatReply, ChatRequest, Finish, Llm, Secret, Usage, UsageBook};
use crate::error::{Error, ErrorKind, Result};

const MODE_SCHEMA: u8 = 0;
const MODE_OBJECT: u8 = 1;
const MODE_PLAIN: u8 = 2;

pub struct OpenAiLlm {
    client: Client<ServerConfig>,
    base_url: String,
    model: String,
    json_mode: AtomicU8,
    usage: std::sync::Arc<UsageBook>,
}

impl OpenAiLlm {
    pub fn new(
        base_url: &str,
        model: &str,
        key: &Secret,
        policy: RetryPolicy,
        usage: std::sync::Arc<UsageBook>,
    ) -> Result<Self> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(std::time::Duration::from_secs(20))
            .user_agent(concat!("minutes/", env!("CARGO_PKG_VERSION")));
        // A server on this machine is never reached through a proxy: company
        // proxies cannot reach our loopback (and must not see the meeting).
        if super::is_loopback(base_url) {
            http = http.no_proxy();
        }
        let http = http
            .build()
            .map_err(|e| Error::internal(format!("HTTP client: {e}")))?;
        let config = ServerConfig {
            api_base: base_url.trim_end_matches('/').to_string(),
            api_key: SecretString::from(key.expose()),
        };
        let client = Client::with_config(config).with_http_service(RetryService::new(http, policy));
        Ok(OpenAiLlm {
            client,
            base_url: base_url.to_string(),
            model: model.to_string(),
            json_mode: AtomicU8::new(MODE_SCHEMA),
            usage,
        })
    }

    fn build(&self, req: &ChatRequest, mode: u8) -> CreateChatCompletionRequest {
        // Without `json_schema` the server does not see the schema: the
        // prompt shows it, or the model guesses the fields and leaves most empty.
        let system = match (&req.schema, mode) {
            (Some(s), MODE_OBJECT | MODE_PLAIN) => format!(
                "{}\n\nAnswer with one JSON object that follows this JSON schema:\n{}",
                req.system, s.schema
            ),
            _ => req.system.clone(),
        };
        let mut messages = vec![ChatCompletionRequestMessage::System(
            ChatCompletionRequestSystemMessage::from(system.as_str()),
        )];
        for (user, assistant) in &req.examples {
            messages.push(ChatCompletionRequestMessage::User(
                ChatCompletionRequestUserMessage::from(user.as_str()),
            ));
            messages.push(ChatCompletionRequestMessage::Assistant(
                ChatCompletionRequestAssistantMessage::from(assistant.as_str()),
            ));
        }
        messages.push(ChatCompletionRequestMessage::User(
            ChatCompletionRequestUserMessage::from(req.user.as_str()),
        ));
        let response_format = match (&req.schema, mode) {
            (Some(s), MODE_SCHEMA) => Some(ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: None,
                    name: s.name.to_string(),
                    schema: s.schema.clone(),
                    strict: Some(true),
                },
            }),
            (Some(_), MODE_OBJECT) => Some(ResponseFormat::JsonObject),
            _ => None,
        };
        // OpenAI wants `max_completion_tokens`; many compatible servers know only `max_tokens`.
        let openai = self.base_url.contains("api.openai.com");
        #[allow(deprecated)]
        CreateChatCompletionRequest {
            model: self.model.clone(),
            messages,
            temperature: Some(req.temperature),
            seed: req.seed.map(i64::from),
            max_completion_tokens: openai.then_some(req.max_tokens),
            max_tokens: (!openai).then_some(req.max_tokens),
            response_format,
            ..Default::default()
        }
    }

    fn error(&self, err: OpenAIError) -> Error {
        let server = &self.base_url;
        match err {
            OpenAIError::ApiError(api) => {
                let code = api.status_code.as_u16();
                let message = api.api_error.message.clone();
                let kind = match code {
                    401 | 403 | 404 => ErrorKind::Config,
                    _ => ErrorKind::Unavailable,
                };
                let err = Error::new(
                    kind,
                    format!("LLM server {server}: HTTP {code}: {}", one_line(&message)),
                );
                match code {
                    401 | 403 => {
                        err.with_hint("check the API key (MINUTES_LLM_API_KEY or OPENAI_API_KEY)")
                    }
                    404 => err.with_hint(format!(
                        "check --llm and --llm-model (model {})",
                        self.model
                    )),
                    _ => err,
                }
            }
            OpenAIError::Reqwest(e) if e.is_connect() => Error::new(
                ErrorKind::Unavailable,
                format!("LLM server {server}: cannot connect"),
            )
            .with_hint("is the server running? check --llm"),
            OpenAIError::Boxed(b)
                if b.downcast_ref::<GiveUp>()
                    .is_some_and(|g| matches!(g, GiveUp::Deadline)) =>
            {
                Error::new(
                    ErrorKind::Temporary,
                    format!("LLM server {server}: the run's deadline passed"),
                )
            }
            other => Error::new(
                ErrorKind::Unavailable,
                format!("LLM server {server}: {}", one_line(&other.to_string())),
            ),
        }
    }
}

/// Where requests go and the one key they carry. async-openai's own config
/// fills an empty key from `OPENAI_API_KEY` (and an organisation from
/// `OPENAI_ORG_ID`), which would hand OpenAI's credentials to any server:
/// this one reads nothing from the environment, and sends no
/// `Authorization` header at all without a key.
#[derive(Clone)]
struct ServerConfig {
    api_base: String,
    api_key: SecretString,
}

impl Config for ServerConfig {
    fn headers(&self) -> HeaderMap {
        let mut headers = HeaderMap::new();
        let key = self.api_key.expose_secret();
        if !key.is_empty()
            && let Ok(mut value) = HeaderValue::from_str(&format!("Bearer {key}"))
        {
            value.set_sensitive(true);
            headers.insert(AUTHORIZATION, value);
        }
        headers
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api_base)
    }

    fn query(&self) -> Vec<(&str, &str)> {
        Vec::new()
    }

    fn api_base(&self) -> &str {
        &self.api_base
    }

    fn api_key(&self) -> &SecretString {
        &self.api_key
    }
}

fn one_line(s: &str) -> String {
    let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() > 300 {
        s.chars().take(300).collect::<String>() + "…"
    } else {
        s
    }
}

/// Whether the server refused the prompt as larger than the model's context.
/// OpenAI and this package's local server say `context_length_exceeded`,
/// llama.cpp's server `exceed_context_size_error`, vLLM only in the message.
fn exceeds_context(err: &OpenAIError) -> bool {
    let OpenAIError::ApiError(api) = err else {
        return false;
    };
    if !matches!(api.status_code.as_u16(), 400 | 413) {
        return false;
    }
    let e = &api.api_error;
    let message = e.message.to_lowercase();
    e.code.as_deref() == Some("context_length_exceeded")
        || e.r#type.as_deref() == Some("exceed_context_size_error")
        || message.contains("maximum context length")
        || message.contains("exceeds the context")
        || message.contains("exceeds the available context")
}

/// Whether a 400 answer is the server saying it does not do this response format.
fn rejects_format(err: &OpenAIError) -> bool {
    match err {
        OpenAIError::ApiError(api)
            if api.status_code.as_u16() == 400 || api.status_code.as_u16() == 422 =>
        {
            let m = api.api_error.message.to_lowercase();
            m.contains("response_format") || m.contains("json_schema") || m.contains("json_object")
        }
        _ => false,
    }
}

impl Llm for OpenAiLlm {
    async fn chat(&self, req: &ChatRequest) -> Result<ChatReply> {
        loop {
            let mode = self.json_mode.load(Ordering::Relaxed);
            let request = self.build(req, mode);
            match self.client.chat().create(request).await {
                Ok(resp) => {
                    let usage = resp
                        .usage
                        .as_ref()
                        .map(|u| Usage {
                            calls: 1,
                            prompt_tokens: u64::from(u.prompt_tokens),
                            cached_prompt_tokens: u
                                .prompt_tokens_details
                                .as_ref()
                                .and_then(|d| d.cached_tokens)
                                .map_or(0, u64::from),
                            completion_tokens: u64::from(u.completion_tokens),
                        })
                        .unwrap_or(Usage {
                            calls: 1,
                            ..Usage::default()
                        });
                    self.usage.add(req.stage, &usage);
                    let choice = resp.choices.into_iter().next();
                    let finish = match choice.as_ref().and_then(|c| c.finish_reason) {
                        Some(FinishReason::Length) => Finish::Truncated,
                        _ => Finish::Stop,
                    };
                    let content = choice.and_then(|c| c.message.content).unwrap_or_default();
                    return Ok(ChatReply {
                        content,
                        finish,
                        usage,
                    });
                }
                Err(e) if exceeds_context(&e) => {
                    tracing::info!(
                        "{}: the prompt does not fit the model's context",
                        req.stage.name()
                    );
                    return Ok(ChatReply {
                        content: String::new(),
                        finish: Finish::PromptTooLong,
                        usage: Usage::default(),
                    });
                }
                Err(e) if req.schema.is_some() && mode < MODE_PLAIN && rejects_format(&e) => {
                    let next = mode + 1;
                    tracing::warn!(
                        "LLM server does not accept this response format; falling back (level {next})"
                    );
                    let _ = self.json_mode.compare_exchange(
                        mode,
                        next,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    );
                }
                Err(e) => return Err(self.error(e)),
            }
        }
    }

    fn model(&self) -> &str {
        &self.model
    }
}
