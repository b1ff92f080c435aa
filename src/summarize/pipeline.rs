//! The orchestration of the stages (see the module above for the why).

use std::time::Instant;

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use tokio::sync::{Semaphore, mpsc};

use super::call::{Caller, Failure, OnCutOff};
use super::chunk::{Chunk, Chunker, TokenCounter};
use super::correct::{Corrector, Verdict};
use super::language::{self, Script};
use super::prompts::PromptSet;
use super::schema::budget::answer_tokens;
use super::schema::{Bounds, Minutes, bounded_schema, format_time};
use super::{Event, Gap, Options, Report, StageCache};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::{Llm, Schema, Stage};
use crate::redact::Redactor;
use crate::transcript::{Segment, Transcript};

mod merge;

use merge::{MIN_MERGE_BUDGET, call_merge, collapse, merge_failed};

/// How many times a chunk cut off at the token limit is halved and retried.
const MAX_SPLITS: usize = 3;

struct Ctx<'a, L: Llm> {
    caller: Caller<'a, L>,
    cache: Option<&'a dyn StageCache>,
    prompts: &'a PromptSet,
    opts: &'a Options,
    counter: TokenCounter,
    duration: f64,
    /// Tokens of the whole transcript, once every chunk is in: what the
    /// merged minutes can say is bounded by it.
    talk_tokens: usize,
    /// The recording's language, once the transcription has said it.
    heard: std::sync::OnceLock<String>,
    on_event: &'a (dyn Fn(Event) + Send + Sync),
}

impl<L: Llm> Ctx<'_, L> {
    /// The language code to write in for notes of `text`: the one asked
    /// for, else the recording's, else the one `text` is plainly written in.
    fn language_code(&self, text: &str) -> Option<String> {
        self.opts
            .language_code
            .clone()
            .or_else(|| self.heard.get().cloned())
            .or_else(|| language::guess(text).map(str::to_string))
    }

    /// How the prompts name the language for notes of `text`, and the
    /// script an answer in it is written in (where that tells it apart).
    fn written(&self, text: &str) -> (String, Option<Script>) {
        let code = self.language_code(text);
        let name = self
            .opts
            .language
            .clone()
            .or_else(|| code.as_deref().and_then(language::prompt_name))
            .unwrap_or_else(|| language::UNKNOWN.to_string());
        (name, code.as_deref().and_then(language::script_of))
    }

    fn hear(&self, recording: &Result<Transcript>) {
        if let Ok(t) = recording
            && language::english_name(&t.language).is_some()
        {
            let _ = self.heard.set(t.language.clone());
        }
    }
}

fn schema(name: &'static str, bounds: Bounds) -> Schema {
    Schema {
        name,
        schema: bounded_schema(bounds),
    }
}

/// Runs the whole pipeline over segments as they arrive on `segments`.
/// `recording` is the transcription's outcome, awaited once every segment
/// has arrived: its failure ends the run (it explains a short transcript
/// better than the LLM side could), and its facts (duration) check the
/// minutes' timestamps.
pub async fn run<L: Llm>(
    llm: &L,
    prompts: &PromptSet,
    opts: &Options,
    cache: Option<&dyn StageCache>,
    mut segments: mpsc::Receiver<Segment>,
    recording: impl Future<Output = Result<Transcript>>,
    on_event: &(dyn Fn(Event) + Send + Sync),
) -> Result<Summary> {
    let started = Instant::now();
    let permits = Semaphore::new(opts.jobs.max(1));
    let caller = Caller {
        llm,
        permits: &permits,
        max_output_tokens: opts.max_output_tokens,
        temperature: opts.temperature,
        seed: opts.seed,
    };
    let counter = TokenCounter::for_model(llm.model());
    // Personal data becomes placeholders before any prompt is built: in
    // every segment as it arrives, and in the glossary.
    let mut redactor = opts.redact.as_deref().map(Redactor::new);
    let redacted;
    let sent_opts = match redactor.as_mut() {
        Some(r) => {
            redacted = Options {
                glossary: r.redact(&opts.glossary),
                ..opts.clone()
            };
            &redacted
        }
        None => opts,
    };
    let mut ctx = Ctx {
        caller,
        cache,
        prompts,
        opts: sent_opts,
        counter,
        duration: 0.0,
        talk_tokens: 0,
        heard: std::sync::OnceLock::new(),
        on_event,
    };
    let mut chunker = Chunker::new(counter, opts.chunk_tokens);
    let mut report = Report::default();
    let mut results: Vec<ChunkResult> = Vec::new();
    // The transcription's outcome, once it has come: its language names the
    // language of the notes of every chunk sent after it.
    let mut recording = std::pin::pin!(recording);
    let mut heard: Option<Result<Transcript>> = None;
    {
        let mut pending = FuturesUnordered::new();
        // Chunks waiting for the transcription to end (when not overlapping).
        let mut held = Vec::new();
        loop {
            tokio::select! {
                biased;
                r = &mut recording, if heard.is_none() => {
                    ctx.hear(&r);
                    heard = Some(r);
                }
                next = segments.recv() => match next {
                    Some(mut segment) => {
                        if let Some(r) = redactor.as_mut() {
                            segment.text = r.redact(&segment.text);
                        }
                        for chunk in chunker.push(segment) {
                            on_event(Event::ChunkReady { index: chunk.index });
                            match opts.overlap {
                                true => pending.push(process_chunk(&ctx, chunk)),
                                false => held.push(chunk),
                            }
                        }
                    }
                    None => break,
                },
                Some(done) = pending.next(), if !pending.is_empty() => results.push(done?),
            }
        }
        if let Some(chunk) = chunker.finish() {
            on_event(Event::ChunkReady { index: chunk.index });
            held.push(chunk);
        }
        if heard.is_none() && !held.is_empty() {
            let r = (&mut recording).await;
            ctx.hear(&r);
            heard = Some(r);
        }
        heard = match heard {
            Some(Err(e)) => return Err(e),
            other => other,
        };
        for chunk in held {
            pending.push(process_chunk(&ctx, chunk));
        }
        while let Some(done) = pending.next().await {
            results.push(done?);
        }
    }
    let recording = match heard {
        Some(r) => r?,
        None => recording.await?,
    };
    ctx.duration = recording.duration;
    ctx.talk_tokens = results
        .iter()
        .flat_map(|r| &r.segments)
        .map(|s| ctx.counter.count(&s.text))
        .sum();
    results.sort_by_key(|r| r.index);
    report.chunks = results.len();
    report.seconds.map = started.elapsed().as_secs_f64();
    if results.is_empty() {
        return Err(Error::new(
            ErrorKind::BadInput,
            "nothing was said: the transcript is empty",
        ));
    }
    let mut notes: Vec<Notes> = Vec::new();
    let mut transcript: Vec<Segment> = Vec::new();
    for r in results {
        report.corrections_applied += usize::from(r.correction == Some(true));
        report.corrections_rejected += usize::from(r.correction == Some(false));
        if r.correction == Some(false)
            && let (Some(first), Some(last)) = (r.segments.first(), r.segments.last())
        {
            report.review.push(format!(
                "correction of {}–{} rejected; the recognised words were kept",
                format_time(first.start),
                format_time(last.end)
            ));
        }
        transcript.extend(r.segments);
        match r.outcome {
            Ok(parts) => notes.extend(parts),
            Err(gap) if opts.allow_partial => {
                on_event(Event::Warning(format!(
                    "part {}–{} is missing from the minutes: {}",
                    format_time(gap.start),
                    format_time(gap.end),
                    gap.reason
                )));
                report.review.push(format!(
                    "{}–{} is missing from the minutes: {}",
                    format_time(gap.start),
                    format_time(gap.end),
                    gap.reason
                ));
                report.missing.push(gap);
            }
            Err(gap) => {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!(
                        "the part {}–{} could not be summarised: {}",
                        format_time(gap.start),
                        format_time(gap.end),
                        gap.reason
                    ),
                )
                .with_hint(
                    "run again later, or pass --allow-partial to write minutes without it",
                ));
            }
        }
    }
    if notes.is_empty() {
        return Err(Error::new(
            ErrorKind::Unavailable,
            "no part of the meeting could be summarised",
        ));
    }
    // A merge prompt the model's context cannot hold halves the budget and
    // collapses further, so nothing is cut.
    let mut budget = opts.reduce_tokens;
    // One part's notes are the minutes: a merge of one would only copy
    // them, at the cost of a second call as long as the first.
    let single = (notes.len() == 1).then(|| notes.remove(0).minutes);
    let mut minutes = if let Some(minutes) = single {
        minutes
    } else {
        loop {
            let t = Instant::now();
            notes = collapse(&ctx, notes, &mut budget, &mut report).await?;
            report.seconds.collapse += t.elapsed().as_secs_f64();
            let t = Instant::now();
            on_event(Event::Reduce);
            let reduced = call_merge(&ctx, Stage::Reduce, &notes).await?;
            report.seconds.reduce += t.elapsed().as_secs_f64();
            match reduced {
                Ok(m) => break m,
                Err(Failure::TooLong) if notes.len() > 1 && budget > MIN_MERGE_BUDGET => {
                    // Half of what did not fit, not half of a budget it never
                    // reached: the next round collapses at once.
                    let size: usize = notes.iter().map(|n| ctx.counter.count(&n.render())).sum();
                    budget = budget.min(size) / 2;
                }
                Err(failure) => return Err(merge_failed(Stage::Reduce, &failure)),
            }
        }
    };
    // The real values come back here, before the checks against what was said.
    if let Some(r) = &redactor {
        r.restore_minutes(&mut minutes);
        for s in &mut transcript {
            s.text = r.restore(&s.text);
        }
        report.redactions = r.counts();
    }
    super::checks::check(
        &mut minutes,
        &transcript,
        prompts,
        opts,
        &recording,
        &mut report,
        on_event,
    );
    Ok(Summary {
        minutes,
        report,
        transcript,
        recording,
    })
}

/// What the pipeline made: the minutes, what it did, the corrected
/// transcript, and the recording it was made from.
pub struct Summary {
    pub minutes: Minutes,
    pub report: Report,
    /// The segments after correction.
    pub transcript: Vec<Segment>,
    pub recording: Transcript,
}

/// Notes of one part of the meeting: its JSON and the time range it covers.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Notes {
    start: f64,
    end: f64,
    minutes: Minutes,
}

impl Notes {
    fn render(&self) -> String {
        let body = serde_json::to_string(&self.minutes).unwrap_or_default();
        format!(
            "[{}–{}] {body}",
            format_time(self.start),
            format_time(self.end)
        )
    }
}

struct ChunkResult {
    index: usize,
    /// The chunk's segments, corrected when the correction passed its guard.
    segments: Vec<Segment>,
    correction: Option<bool>,
    outcome: std::result::Result<Vec<Notes>, Gap>,
}

/// A cached correction: the segments after it, and whether it was applied.
#[derive(serde::Serialize, serde::Deserialize)]
struct CachedCorrection {
    applied: bool,
    segments: Vec<Segment>,
}

fn cache_key<L: Llm>(ctx: &Ctx<'_, L>, stage: Stage, extra: &str, segments: &[Segment]) -> String {
    let segments = serde_json::to_string(segments).unwrap_or_default();
    let model = ctx.caller.llm.model();
    crate::hash::parts(&[
        stage.name(),
        model,
        &ctx.prompts.stage_hash(stage),
        extra,
        &segments,
    ])
}

fn cached<T: serde::de::DeserializeOwned>(cache: Option<&dyn StageCache>, key: &str) -> Option<T> {
    cache
        .and_then(|c| c.get(key))
        .and_then(|v| serde_json::from_str(&v).ok())
}

fn store<T: serde::Serialize>(cache: Option<&dyn StageCache>, key: &str, value: &T) {
    if let (Some(c), Ok(v)) = (cache, serde_json::to_string(value)) {
        c.put(key, &v);
    }
}

async fn process_chunk<L: Llm>(ctx: &Ctx<'_, L>, mut chunk: Chunk) -> Result<ChunkResult> {
    let mut correction = None;
    let settings = format!("{}|{}", ctx.opts.glossary, ctx.opts.max_correction);
    let correct_key = cache_key(ctx, Stage::Correct, &settings, &chunk.segments);
    let hit = if ctx.opts.correct {
        cached::<CachedCorrection>(ctx.cache, &correct_key)
    } else {
        None
    };
    if let Some(hit) = hit.filter(|h| h.segments.len() == chunk.segments.len()) {
        chunk.segments = hit.segments;
        correction = Some(hit.applied);
    } else if ctx.opts.correct {
        let verdict = Corrector {
            caller: &ctx.caller,
            prompts: ctx.prompts,
            glossary: &ctx.opts.glossary,
            max_change: ctx.opts.max_correction,
        }
        .correct(&mut chunk)
        .await;
        match verdict {
            Ok(Verdict::Applied { .. }) => correction = Some(true),
            Ok(Verdict::Rejected(why)) => {
                (ctx.on_event)(Event::Warning(format!(
                    "correction of part {} rejected: {why}; keeping the original",
                    chunk.index
                )));
                correction = Some(false);
            }
            Err(e) if e.kind() == ErrorKind::Unavailable => {
                let gap = Gap {
                    start: chunk.start(),
                    end: chunk.end(),
                    reason: e.message().to_string(),
                };
                return Ok(ChunkResult {
                    index: chunk.index,
                    segments: chunk.segments,
                    correction,
                    outcome: Err(gap),
                });
            }
            Err(e) => return Err(e),
        }
        let entry = CachedCorrection {
            applied: correction == Some(true),
            segments: chunk.segments.clone(),
        };
        store(ctx.cache, &correct_key, &entry);
    }
    let text: Vec<&str> = chunk.segments.iter().map(|s| s.text.as_str()).collect();
    let written = ctx.written(&text.join(" "));
    let map_key = cache_key(ctx, Stage::Map, &written.0, &chunk.segments);
    let outcome = match cached::<Vec<Notes>>(ctx.cache, &map_key) {
        Some(notes) => Ok(notes),
        None => {
            let outcome = map_chunk(ctx, &chunk, 0, &written).await?;
            if let Ok(notes) = &outcome {
                store(ctx.cache, &map_key, notes);
            }
            outcome
        }
    };
    (ctx.on_event)(Event::ChunkDone { index: chunk.index });
    Ok(ChunkResult {
        index: chunk.index,
        segments: chunk.segments,
        correction,
        outcome,
    })
}

fn transcript_lines(segments: &[Segment], timed: bool) -> String {
    let mut out = String::new();
    for s in segments {
        if timed {
            out.push_str(&format!("[{}] ", format_time(s.start)));
        }
        // Who said it: the model can attribute decisions and actions.
        if let Some(who) = &s.speaker {
            out.push_str(&format!("{who}: "));
        }
        out.push_str(s.text.trim());
        out.push('\n');
    }
    out
}

/// Maps a chunk to notes; halves it when the answer does not fit the output
/// budget. An unavailable server or a hopeless answer becomes a gap.
async fn map_chunk<L: Llm>(
    ctx: &Ctx<'_, L>,
    chunk: &Chunk,
    depth: usize,
    written: &Written,
) -> Result<std::result::Result<Vec<Notes>, Gap>> {
    let timed = chunk.segments.iter().any(|s| s.end > 0.0);
    let (start, end) = (chunk.start(), chunk.end());
    let vars = [
        ("language", written.0.as_str()),
        ("part", &chunk.index.to_string()),
        ("start", &format_time(start)),
        ("end", &format_time(end)),
        ("transcript", &transcript_lines(&chunk.segments, timed)),
    ];
    let messages = ctx.prompts.render(Stage::Map, &vars);
    let bounds = ctx.opts.bounds.for_talk(chunk.tokens);
    let gap = |reason: String| Gap { start, end, reason };
    let asked = ask_minutes(ctx, Stage::Map, messages, "chunk_notes", bounds, written);
    match asked.await {
        Ok(Ok(minutes)) => Ok(Ok(vec![Notes {
            start,
            end,
            minutes,
        }])),
        Ok(Err(Failure::Truncated | Failure::TooLong))
            if depth < MAX_SPLITS && chunk.segments.len() > 1 =>
        {
            let mut out = Vec::new();
            for part in chunk.halves() {
                match Box::pin(map_chunk(ctx, &part, depth + 1, written)).await? {
                    Ok(notes) => out.extend(notes),
                    Err(g) => return Ok(Err(g)),
                }
            }
            Ok(Ok(out))
        }
        Ok(Err(failure)) => Ok(Err(gap(failure.to_string()))),
        Err(e) if e.kind() == ErrorKind::Unavailable => Ok(Err(gap(e.message().to_string()))),
        Err(e) => Err(e),
    }
}

/// How the prompts name the language to write in, and its script.
type Written = (String, Option<Script>);

/// Asks for minutes (notes of a part, merged notes, the minutes). An answer
/// in another script than the language's (a Korean meeting summarised in
/// English) is asked for once more, with the language said again last; the
/// second answer is kept whatever its language (the checks flag it).
async fn ask_minutes<L: Llm>(
    ctx: &Ctx<'_, L>,
    stage: Stage,
    mut messages: super::prompts::Messages,
    name: &'static str,
    bounds: Bounds,
    written: &Written,
) -> Result<std::result::Result<Minutes, Failure>> {
    let schema = schema(name, bounds);
    let budget = answer_tokens(&schema.schema, written.1);
    // A part of the meeting cut off is halved; merged notes cannot be.
    let on_cut_off = match stage {
        Stage::Map => OnCutOff::GiveUp,
        _ => OnCutOff::AskLonger,
    };
    let ask = |messages| {
        ctx.caller
            .json::<Minutes>(stage, messages, schema.clone(), budget, on_cut_off)
    };
    let first = ask(messages.clone()).await?;
    match (first, written.1) {
        (Ok(minutes), Some(script))
            if !language::written_in(&language::prose(&minutes), script) =>
        {
            tracing::info!(
                "{} answer not in {}; asking once more",
                stage.name(),
                written.0
            );
            messages.user.push_str(&format!(
                "\n\nWrite every text value in {}, not in another language.",
                written.0
            ));
            Ok(Ok(ask(messages).await?.unwrap_or(minutes)))
        }
        (first, _) => Ok(first),
    }
}
