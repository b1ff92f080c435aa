//! `minutes speakers`: enroll people by voice (`add`), show the profiles
//! (`list`) and forget one (`remove`). Transcripts then name enrolled
//! voices (see `speakers::profiles`).
//!
//! `add` on a name that exists replaces that profile rather than averaging
//! into it: running the same command twice gives the same profile, and a
//! bad recording (the wrong person, a noisy room) is undone by enrolling
//! again instead of staying mixed in for good. More speech for one person
//! is given as several files in one `add`. The store is checked before the
//! slow part (embedding) and read again just before it is written, so
//! another run's change made meanwhile is kept.

use std::path::{Path, PathBuf};

use unicode_width::UnicodeWidthStr as _;

use crate::error::{Error, ErrorKind, Result};
use crate::settings::{SpeakersAction, SpeakersSettings};
use crate::speakers::profiles::{self, Profile, Store};
use crate::speakers::{convert, voices};
use crate::ui::Printer;

pub fn run(settings: &SpeakersSettings, printer: &Printer) -> Result<()> {
    match &settings.action {
        SpeakersAction::Add { name, files } => add(settings, name, files, printer),
        SpeakersAction::List => list(&settings.voices, printer),
        SpeakersAction::Remove { name } => remove(&settings.voices, name, printer),
    }
}

fn add(
    settings: &SpeakersSettings,
    name: &str,
    files: &[PathBuf],
    printer: &Printer,
) -> Result<()> {
    // A store that cannot be read stops the run before any work.
    Store::load(&settings.voices)?;
    let model_path = convert::model_path(&settings.models_dir);
    if !model_path.is_file() {
        return Err(Error::file(
            ErrorKind::MissingInput,
            &model_path,
            "the speaker model is not installed; enrolling a voice needs it",
        )
        .with_hint(format!(
            "run `minutes models pull {}` (or pass --models-dir)",
            convert::NAME
        )));
    }
    let model = voices::load(&model_path)?;
    let mut speech = Vec::with_capacity(files.len());
    for file in files {
        printer.status(format!("embedding the speech in {}", file.display()));
        speech.push(profiles::embed_file(&model, file)?);
    }
    if let Some((i, similarity)) = profiles::odd_one_out(&speech) {
        printer.warn(format!(
            "{}: does not sound like the other files (similarity {similarity:.2}); are they all {name}?",
            files[i].display()
        ));
    }
    let profile = Profile::new(name, files, &speech)
        .ok_or_else(|| Error::internal("enrolled speech has no embedding"))?;
    let (seconds, windows) = (profile.seconds, profile.windows);
    let mut store = Store::load(&settings.voices)?;
    let replaced = store.put(profile);
    store.save()?;
    let what = format!(
        "{name}: {seconds:.1} s of speech ({windows} windows) from {} file{}",
        files.len(),
        if files.len() == 1 { "" } else { "s" }
    );
    match replaced {
        Some(old) => printer.status(format!(
            "replaced the voice profile of {} ({:.1} s of speech, added {}) with {what}",
            old.name,
            old.seconds,
            local_date(old.added)
        )),
        None => printer.status(format!("enrolled {what}")),
    }
    printer.status(format!("voice profiles: {}", store.path().display()));
    Ok(())
}

/// A table on stdout: NAME, SPEECH (seconds enrolled), ADDED (local date).
fn list(path: &Path, printer: &Printer) -> Result<()> {
    let store = Store::load(path)?;
    let width = store
        .profiles()
        .iter()
        .map(|p| p.name.width())
        .max()
        .unwrap_or(0)
        .max(24);
    let mut out = format!("{:<width$} {:>8}  {}\n", "NAME", "SPEECH", "ADDED");
    for p in store.profiles() {
        // Padded by display width: `{:<w}` counts characters.
        let pad = " ".repeat(width - p.name.width());
        out.push_str(&format!(
            "{}{pad} {:>8}  {}\n",
            p.name,
            format!("{:.1} s", p.seconds),
            local_date(p.added)
        ));
    }
    if store.profiles().is_empty() {
        printer.status(format!(
            "no voice profiles in {}; enroll one with `minutes speakers add NAME FILE…`",
            path.display()
        ));
    }
    crate::sink::stdout(out.as_bytes())
}

fn remove(path: &Path, name: &str, printer: &Printer) -> Result<()> {
    let mut store = Store::load(path)?;
    let Some(gone) = store.remove(name) else {
        return Err(Error::new(
            ErrorKind::MissingInput,
            format!("no voice profile named {name:?} in {}", path.display()),
        )
        .with_hint("`minutes speakers list` shows the names"));
    };
    store.save()?;
    printer.status(format!("removed the voice profile of {}", gone.name));
    Ok(())
}

fn local_date(t: jiff::Timestamp) -> jiff::civil::Date {
    t.to_zoned(jiff::tz::TimeZone::system()).date()
}
