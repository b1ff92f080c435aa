//! `minutes speak` and `summarize --speak/--speak-to`: minutes read aloud or rendered to WAV.

use std::io::Read;
use std::path::Path;

use crate::error::{Error, ErrorKind, Result};
use crate::settings::SpeakSettings;
use crate::speak;
use crate::ui::Printer;

pub fn run(settings: &SpeakSettings, printer: &Printer) -> Result<()> {
    let speech = speak::from_markdown(&read(&settings.file)?, &settings.speech.sections);
    if settings.text_only {
        // `--text`: the sentences that would be spoken, on stdout.
        return crate::sink::stdout(format!("{}\n", speech.text).as_bytes());
    }
    speak::say(&speech, &settings.speech, printer)
}

fn read(file: &Path) -> Result<String> {
    let markdown = if file == Path::new("-") {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .map_err(|e| Error::read(Path::new("<stdin>"), &e))?;
        s
    } else {
        let bytes = std::fs::read(file).map_err(|e| Error::read(file, &e))?;
        String::from_utf8(bytes)
            .map_err(|_| Error::file(ErrorKind::BadInput, file, "not UTF-8 text"))?
    };
    if markdown.trim().is_empty() {
        return Err(Error::file(ErrorKind::BadInput, file, "empty minutes file"));
    }
    Ok(markdown)
}
