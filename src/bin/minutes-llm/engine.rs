//! The llama.cpp side: one model, one context, one request at a time on a
//! dedicated thread (generation is CPU-bound and uses every core).
//!
//! The KV cache keeps the tokens of the previous prompt; a new prompt that
//! starts the same way (the system prompt and instructions every chunk
//! shares) only has its new suffix computed. JSON output is constrained by a
//! grammar derived from the requested JSON schema. A prompt that does not
//! fit the context is refused, never truncated.

use std::num::NonZeroU32;
use std::path::Path;
use std::sync::mpsc;
use std::time::Instant;

use llama_cpp_2::context::params::LlamaContextParams;
use llama_cpp_2::llama_backend::LlamaBackend;
use llama_cpp_2::llama_batch::LlamaBatch;
use llama_cpp_2::model::params::LlamaModelParams;
use llama_cpp_2::model::{LlamaChatMessage, LlamaModel};
use llama_cpp_2::token::LlamaToken;

use crate::sample::{Draw, Sampler};

/// One chat completion to run.
pub struct Job {
    pub messages: Vec<(String, String)>,
    pub max_tokens: u32,
    pub temperature: f32,
    pub top_p: f32,
    pub seed: u32,
    /// Penalty on tokens repeated within the last 256 (1.0 = none).
    pub repeat_penalty: f32,
    /// GBNF grammar the output must follow.
    pub grammar: Option<String>,
    pub stop: Vec<String>,
    /// For a streamed answer: `Started` once the prompt is in, then the text
    /// as it is generated. Generation stops when the receiver goes away.
    pub stream: Option<tokio::sync::mpsc::UnboundedSender<Piece>>,
    pub reply: tokio::sync::oneshot::Sender<Result<Done, JobError>>,
}

/// A step of a streamed answer.
pub enum Piece {
    /// The prompt was accepted and computed; text follows.
    Started,
    Text(String),
}

pub struct Done {
    pub text: String,
    pub finish_reason: &'static str,
    pub prompt_tokens: usize,
    pub completion_tokens: usize,
    /// Prompt tokens served from the KV cache (not recomputed).
    pub cached_tokens: usize,
}

#[derive(Debug)]
pub enum JobError {
    /// The prompt does not fit the context (client error).
    TooLong { prompt: usize, context: usize },
    /// The request cannot be served as asked (client error).
    Invalid(String),
    /// llama.cpp failed.
    Engine(String),
}

pub struct Settings {
    pub context: Option<u32>,
    pub threads: i32,
    pub batch: u32,
    pub flash_attn: FlashAttn,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FlashAttn {
    Auto,
    On,
    Off,
}

impl FlashAttn {
    /// llama.cpp's setting for it. Measured on this project's 2-core CPU
    /// reference machine (SmolLM2-135M, `just bench-llm`): flash attention
    /// made prefill ~1.35x and generation ~1.2x faster, so `auto` leaves the
    /// choice to llama.cpp, which turns it on wherever the device supports it.
    fn policy(self) -> i32 {
        const AUTO: i32 = -1;
        const DISABLED: i32 = 0;
        const ENABLED: i32 = 1;
        match self {
            FlashAttn::Auto => AUTO,
            FlashAttn::On => ENABLED,
            FlashAttn::Off => DISABLED,
        }
    }
}

/// Information about the loaded model, for `/v1/models` and logs.
pub struct ModelInfo {
    pub context: usize,
}

/// Loads the model and starts the worker; jobs go into the returned sender.
pub fn start(path: &Path, settings: Settings) -> Result<(mpsc::Sender<Job>, ModelInfo), String> {
    let (ready_tx, ready_rx) = mpsc::channel();
    let (tx, rx) = mpsc::channel::<Job>();
    let path = path.to_path_buf();
    std::thread::Builder::new()
        .name("llama".into())
        .spawn(move || worker(&path, settings, rx, ready_tx))
        .map_err(|e| e.to_string())?;
    let info = ready_rx
        .recv()
        .map_err(|_| "the model worker stopped".to_string())??;
    Ok((tx, info))
}

fn worker(
    path: &Path,
    settings: Settings,
    jobs: mpsc::Receiver<Job>,
    ready: mpsc::Sender<Result<ModelInfo, String>>,
) {
    let backend = match LlamaBackend::init() {
        Ok(b) => b,
        Err(e) => return drop(ready.send(Err(format!("llama.cpp: {e}")))),
    };
    let model = match LlamaModel::load_from_file(&backend, path, &LlamaModelParams::default()) {
        Ok(m) => m,
        Err(e) => {
            return drop(ready.send(Err(format!(
                "{}: not a usable GGUF model ({e})",
                path.display()
            ))));
        }
    };
    let trained = model.n_ctx_train().max(512);
    let n_ctx = settings.context.unwrap_or(8192).min(trained);
    let gpu = backend.supports_gpu_offload();
    let params = LlamaContextParams::default()
        .with_flash_attention_policy(settings.flash_attn.policy())
        .with_n_ctx(NonZeroU32::new(n_ctx))
        .with_n_batch(settings.batch)
        .with_n_threads(settings.threads)
        .with_n_threads_batch(settings.threads);
    let mut ctx = match model.new_context(&backend, params) {
        Ok(c) => c,
        Err(e) => return drop(ready.send(Err(format!("llama.cpp context: {e}")))),
    };
    tracing::info!(
        "context {n_ctx} tokens, {} threads, {}, flash attention {}",
        settings.threads,
        if gpu { "GPU offload" } else { "CPU" },
        match settings.flash_attn {
            FlashAttn::Auto => "llama.cpp's choice",
            FlashAttn::On => "on",
            FlashAttn::Off => "off",
        }
    );
    let template = model.chat_template(None).ok();
    let _ = ready.send(Ok(ModelInfo {
        context: n_ctx as usize,
    }));
    let mut cached: Vec<LlamaToken> = Vec::new();
    for job in jobs {
        let result = run(
            &model,
            &mut ctx,
            template.as_ref(),
            &mut cached,
            n_ctx as usize,
            settings.batch as usize,
            &job,
        );
        if result.is_err() {
            cached.clear();
            let _ = ctx.clear_kv_cache_seq(Some(0), None, None);
        }
        let _ = job.reply.send(result);
    }
}

fn prompt_text(
    model: &LlamaModel,
    template: Option<&llama_cpp_2::model::LlamaChatTemplate>,
    messages: &[(String, String)],
) -> Result<String, JobError> {
    let chat: Vec<LlamaChatMessage> = messages
        .iter()
        .map(|(r, c)| LlamaChatMessage::new(r.clone(), c.clone()))
        .collect::<Result<_, _>>()
        .map_err(|e| JobError::Invalid(format!("bad message: {e}")))?;
    match template {
        Some(t) => model
            .apply_chat_template(t, &chat, true)
            .map_err(|e| JobError::Engine(format!("chat template: {e}"))),
        None => {
            // No template in the file: a plain transcript of the conversation.
            let mut s: String = messages
                .iter()
                .map(|(r, c)| format!("{r}: {c}\n"))
                .collect();
            s.push_str("assistant: ");
            Ok(s)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run(
    model: &LlamaModel,
    ctx: &mut llama_cpp_2::context::LlamaContext<'_>,
    template: Option<&llama_cpp_2::model::LlamaChatTemplate>,
    cached: &mut Vec<LlamaToken>,
    n_ctx: usize,
    n_batch: usize,
    job: &Job,
) -> Result<Done, JobError> {
    let engine = |e: &dyn std::fmt::Display| JobError::Engine(e.to_string());
    let text = prompt_text(model, template, &job.messages)?;
    let vocab = model.vocab();
    let tokens = vocab.tokenize(text.as_bytes(), false, true);
    if tokens.len() + 1 >= n_ctx {
        return Err(JobError::TooLong {
            prompt: tokens.len(),
            context: n_ctx,
        });
    }
    let max_new = (job.max_tokens as usize)
        .min(n_ctx - tokens.len() - 1)
        .max(1);
    // Reuse the cached prefix; at least the last prompt token is decoded again for its logits.
    let common = cached
        .iter()
        .zip(&tokens)
        .take_while(|(a, b)| a == b)
        .count()
        .min(tokens.len() - 1);
    ctx.kv_cache_seq_rm(0, Some(common as u32), None)
        .map_err(|e| engine(&e))?;
    cached.truncate(common);
    let started = Instant::now();
    let mut batch = LlamaBatch::new(n_batch.max(1), 1);
    for (chunk_start, chunk) in tokens[common..]
        .chunks(n_batch.max(1))
        .enumerate()
        .map(|(i, c)| (common + i * n_batch.max(1), c))
    {
        batch.clear();
        for (i, t) in chunk.iter().enumerate() {
            let pos = chunk_start + i;
            batch
                .add(*t, pos as i32, &[0], pos + 1 == tokens.len())
                .map_err(|e| engine(&e))?;
        }
        ctx.decode(&mut batch).map_err(|e| engine(&e))?;
    }
    cached.extend_from_slice(&tokens[common..]);
    let prefill = started.elapsed();
    let mut stream = Stream {
        to: job.stream.as_ref(),
        sent: 0,
        // Text that may be the start of a stop string is held back.
        hold: job.stop.iter().map(String::len).max().unwrap_or(1).max(1) - 1,
    };
    stream.start();
    let mut sampler = sampler(model, job)?;
    let mut out: Vec<u8> = Vec::new();
    let mut finish = "length";
    let mut generated = 0;
    let gen_started = Instant::now();
    let mut logits_index = batch.n_tokens() - 1;
    while generated < max_new {
        if job.reply.is_closed() || stream.gone() {
            // The client went away: its answer is not wanted any more.
            finish = "cancelled";
            break;
        }
        let token = sampler.next(ctx, logits_index);
        if vocab.is_eog(token) {
            finish = "stop";
            break;
        }
        out.extend_from_slice(&vocab.token_to_piece(token, false, None));
        generated += 1;
        if let Some(cut) = job
            .stop
            .iter()
            .filter_map(|s| find(&out, s.as_bytes()))
            .min()
        {
            out.truncate(cut);
            finish = "stop";
            break;
        }
        stream.send(&out, false);
        batch.clear();
        let pos = cached.len();
        batch
            .add(token, pos as i32, &[0], true)
            .map_err(|e| engine(&e))?;
        ctx.decode(&mut batch).map_err(|e| engine(&e))?;
        cached.push(token);
        logits_index = 0;
    }
    stream.send(&out, true);
    let generation = gen_started.elapsed();
    if finish == "cancelled" {
        tracing::info!("the client went away; stopped after {generated} tokens");
    }
    tracing::info!(
        "prompt {} tokens ({} cached) at {:.0} tok/s, generated {generated} at {:.0} tok/s",
        tokens.len(),
        common,
        (tokens.len() - common) as f64 / prefill.as_secs_f64().max(1e-9),
        generated as f64 / generation.as_secs_f64().max(1e-9)
    );
    Ok(Done {
        text: String::from_utf8_lossy(&out).into_owned(),
        finish_reason: finish,
        prompt_tokens: tokens.len(),
        completion_tokens: generated,
        cached_tokens: common,
    })
}

/// The streamed side of an answer: what of the text was sent so far.
struct Stream<'a> {
    to: Option<&'a tokio::sync::mpsc::UnboundedSender<Piece>>,
    sent: usize,
    hold: usize,
}

impl Stream<'_> {
    fn start(&self) {
        if let Some(to) = self.to {
            let _ = to.send(Piece::Started);
        }
    }

    fn gone(&self) -> bool {
        self.to.is_some_and(|to| to.is_closed())
    }

    /// Sends the new text: whole UTF-8 characters, except the held-back
    /// tail, or everything when `last`.
    fn send(&mut self, out: &[u8], last: bool) {
        let Some(to) = self.to else { return };
        if self.sent >= out.len() {
            return;
        }
        let end = if last {
            out.len()
        } else {
            out.len().saturating_sub(self.hold).max(self.sent)
        };
        let new = &out[self.sent..end];
        let whole = match std::str::from_utf8(new) {
            Ok(_) => new.len(),
            Err(e) if !last => e.valid_up_to(),
            Err(_) => new.len(),
        };
        if whole > 0 {
            let text = String::from_utf8_lossy(&new[..whole]).into_owned();
            let _ = to.send(Piece::Text(text));
            self.sent += whole;
        }
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

fn sampler(model: &LlamaModel, job: &Job) -> Result<Sampler, JobError> {
    Sampler::new(
        model,
        &Draw {
            grammar: job.grammar.as_deref(),
            temperature: job.temperature,
            top_p: job.top_p,
            seed: job.seed,
            repeat_penalty: job.repeat_penalty,
        },
    )
    .map_err(|e| JobError::Invalid(format!("grammar: {e}")))
}
