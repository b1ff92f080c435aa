//! Merging notes: groups of chunk notes collapsed until they fit one
//! reduce call, and the reduce call itself. Apart from the map side of the
//! pipeline because the two fail differently: a chunk's failure is a gap
//! in the minutes, a merge's failure leaves no minutes at all.

use super::{Ctx, Notes, ask_minutes};
use crate::error::{Error, ErrorKind, Result};
use crate::llm::{Llm, Stage};
use crate::summarize::Event;
use crate::summarize::Report;
use crate::summarize::call::Failure;
use crate::summarize::language;
use crate::summarize::schema::{Minutes, format_time};

/// Merges groups of notes until all of them fit one reduce call of `budget`
/// tokens. A group the model's context cannot hold halves the budget.
pub(super) async fn collapse<L: Llm>(
    ctx: &Ctx<'_, L>,
    mut notes: Vec<Notes>,
    budget: &mut usize,
    report: &mut Report,
) -> Result<Vec<Notes>> {
    loop {
        let sizes: Vec<usize> = notes
            .iter()
            .map(|n| ctx.counter.count(&n.render()))
            .collect();
        if sizes.iter().sum::<usize>() <= *budget || notes.len() == 1 {
            return Ok(notes);
        }
        let mut groups: Vec<Vec<Notes>> = vec![Vec::new()];
        let mut size = 0;
        for (n, s) in notes.iter().zip(sizes) {
            let current = groups.last_mut().expect("one group");
            if size + s > *budget && current.len() >= 2 {
                groups.push(Vec::new());
                size = 0;
            }
            size += s;
            groups.last_mut().expect("one group").push(n.clone());
        }
        if groups.len() >= notes.len() {
            return Err(Error::internal("collapsing the notes made no progress"));
        }
        report.collapse_rounds += 1;
        (ctx.on_event)(Event::Collapse {
            round: report.collapse_rounds,
            groups: groups.len(),
        });
        let merged = futures::future::join_all(groups.iter().map(|g| merge(ctx, g))).await;
        let mut next = Vec::with_capacity(merged.len());
        let mut too_long = false;
        for m in merged {
            match m? {
                Ok(n) => next.push(n),
                Err(Failure::TooLong) => too_long = true,
                Err(failure) => return Err(merge_failed(Stage::Collapse, &failure)),
            }
        }
        if !too_long {
            notes = next;
        } else if *budget > MIN_MERGE_BUDGET {
            *budget /= 2;
        } else {
            return Err(merge_failed(Stage::Collapse, &Failure::TooLong));
        }
    }
}

/// The smallest merge budget worth trying before giving up.
pub(super) const MIN_MERGE_BUDGET: usize = 256;

pub(super) fn merge_failed(stage: Stage, failure: &Failure) -> Error {
    Error::new(
        ErrorKind::Unavailable,
        format!("the {} step failed: {failure}", stage.name()),
    )
}

async fn merge<L: Llm>(
    ctx: &Ctx<'_, L>,
    group: &[Notes],
) -> Result<std::result::Result<Notes, Failure>> {
    let (start, end) = (
        group.first().map(|n| n.start).unwrap_or(0.0),
        group.last().map(|n| n.end).unwrap_or(0.0),
    );
    if group.len() == 1 {
        return Ok(Ok(group[0].clone()));
    }
    Ok(call_merge(ctx, Stage::Collapse, group)
        .await?
        .map(|minutes| Notes {
            start,
            end,
            minutes,
        }))
}

pub(super) async fn call_merge<L: Llm>(
    ctx: &Ctx<'_, L>,
    stage: Stage,
    notes: &[Notes],
) -> Result<std::result::Result<Minutes, Failure>> {
    let duration = if ctx.duration > 0.0 {
        format_time(ctx.duration)
    } else {
        "unknown".into()
    };
    let text: Vec<String> = notes.iter().map(|n| language::prose(&n.minutes)).collect();
    let written = ctx.written(&text.join(" "));
    let notes: Vec<String> = notes.iter().map(Notes::render).collect();
    let notes = notes.join("\n");
    let vars = [
        ("language", written.0.as_str()),
        ("notes", notes.as_str()),
        ("duration", duration.as_str()),
    ];
    let messages = ctx.prompts.render(stage, &vars);
    let name = if stage == Stage::Reduce {
        "minutes"
    } else {
        "merged_notes"
    };
    let bounds = ctx.opts.bounds.for_talk(ctx.talk_tokens);
    ask_minutes(ctx, stage, messages, name, bounds, &written).await
}
