//! The jobs' durable record: one SQLite database in the state directory
//! (through `rusqlite`, SQLite compiled in), one folder per job beside it
//! for the recording and what was made of it.
//!
//! A job exists once its row is committed, and its row is committed only
//! after its recording is whole in its folder: a server killed during an
//! upload leaves a file in the uploads folder (cleared at the next start)
//! and no job. A job's outputs are written (atomically) before its row
//! says `done`, so a done job always has them. At start, jobs that were
//! running go back to the queue: the stage cache makes the work already
//! done cheap to do again. Folders without a row (a kill between the move
//! and the commit) are removed.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;

use crate::error::{Error, ErrorKind, Result};

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    Queued,
    Transcribing,
    Summarizing,
    Done,
    Failed,
    Cancelled,
}

impl State {
    pub fn as_str(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Transcribing => "transcribing",
            State::Summarizing => "summarizing",
            State::Done => "done",
            State::Failed => "failed",
            State::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> State {
        match s {
            "transcribing" => State::Transcribing,
            "summarizing" => State::Summarizing,
            "done" => State::Done,
            "failed" => State::Failed,
            "cancelled" => State::Cancelled,
            _ => State::Queued,
        }
    }

    /// Whether the job has stopped for good.
    pub fn finished(self) -> bool {
        matches!(self, State::Done | State::Failed | State::Cancelled)
    }
}

/// What a job was asked to do: the fields of its form that shape the minutes.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize, PartialEq)]
pub struct Asked {
    /// Language of the minutes; `None`: the meeting's.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Spoken language: `auto` or a code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audio_language: Option<String>,
}

/// Token use of a job's LLM calls.
#[derive(Debug, Clone, Copy, Default, Serialize, serde::Deserialize)]
pub struct Tokens {
    pub prompt_tokens: u64,
    pub cached_prompt_tokens: u64,
    pub completion_tokens: u64,
    pub calls: u64,
}

/// A job as its row holds it.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub id: String,
    pub state: State,
    /// The client's name for the recording (shown only, never a path).
    pub name: String,
    pub asked: Asked,
    /// Unix seconds.
    pub created: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished: Option<f64>,
    /// Seconds of the recording transcribed so far.
    pub heard: f64,
    /// The recording's length, once known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration: Option<f64>,
    pub chunks_done: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tokens: Option<Tokens>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<JobError>,
    /// The recording's file inside the job's folder.
    #[serde(skip)]
    pub input: String,
    #[serde(skip)]
    pub seq: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct JobError {
    pub kind: String,
    pub message: String,
}

pub struct Store {
    db: Mutex<Connection>,
    jobs: PathBuf,
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL,
    name TEXT NOT NULL,
    input TEXT NOT NULL,
    asked TEXT NOT NULL,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    heard REAL NOT NULL DEFAULT 0,
    duration REAL,
    chunks_done INTEGER NOT NULL DEFAULT 0,
    tokens TEXT,
    error_kind TEXT,
    error_message TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state, seq);
";

const COLUMNS: &str = "seq, id, state, name, input, asked, created, started, finished, \
                       heard, duration, chunks_done, tokens, error_kind, error_message";

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

fn db_error(e: rusqlite::Error) -> Error {
    Error::new(ErrorKind::CannotWrite, format!("job store: {e}"))
}

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let asked: String = r.get(5)?;
    let tokens: Option<String> = r.get(12)?;
    let kind: Option<String> = r.get(13)?;
    let message: Option<String> = r.get(14)?;
    Ok(Job {
        seq: r.get(0)?,
        id: r.get(1)?,
        state: State::parse(&r.get::<_, String>(2)?),
        name: r.get(3)?,
        input: r.get(4)?,
        asked: serde_json::from_str(&asked).unwrap_or_default(),
        created: r.get(6)?,
        started: r.get(7)?,
        finished: r.get(8)?,
        heard: r.get(9)?,
        duration: r.get(10)?,
        chunks_done: r.get::<_, i64>(11)?.max(0) as u64,
        tokens: tokens.and_then(|t| serde_json::from_str(&t).ok()),
        error: kind.map(|kind| JobError {
            kind,
            message: message.unwrap_or_default(),
        }),
    })
}

impl Store {
    /// Opens (or makes) the store in `state_dir`, and puts jobs that were
    /// running when the server stopped back in the queue.
    pub fn open(state_dir: &Path) -> Result<Store> {
        let path = state_dir.join("jobs.sqlite3");
        let cannot = |e: rusqlite::Error| {
            Error::new(
                ErrorKind::CannotWrite,
                format!("{}: cannot open the job store: {e}", path.display()),
            )
        };
        let db = Connection::open(&path).map_err(cannot)?;
        db.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(cannot)?;
        db.pragma_update(None, "journal_mode", "WAL")
            .map_err(cannot)?;
        db.pragma_update(None, "synchronous", "FULL")
            .map_err(cannot)?;
        db.execute_batch(SCHEMA).map_err(cannot)?;
        db.execute(
            "UPDATE jobs SET state = 'queued', heard = 0, chunks_done = 0 \
             WHERE state IN ('transcribing', 'summarizing')",
            [],
        )
        .map_err(cannot)?;
        let jobs = state_dir.join("jobs");
        std::fs::create_dir_all(&jobs).map_err(|e| Error::write(&jobs, &e))?;
        let store = Store {
            db: Mutex::new(db),
            jobs,
        };
        store.remove_strays()?;
        Ok(store)
    }

    fn db(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A job's folder.
    pub fn folder(&self, id: &str) -> PathBuf {
        self.jobs.join(id)
    }

    /// Folders no row names: a kill between a recording's move and its commit.
    fn remove_strays(&self) -> Result<()> {
        let Ok(entries) = std::fs::read_dir(&self.jobs) else {
            return Ok(());
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if self.get(&name)?.is_none() {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
        Ok(())
    }

    /// Records a job whose recording is already whole in its folder.
    pub fn insert(&self, id: &str, name: &str, input: &str, asked: &Asked) -> Result<Job> {
        let asked_json = serde_json::to_string(asked).unwrap_or_else(|_| "{}".into());
        self.db()
            .execute(
                "INSERT INTO jobs (id, state, name, input, asked, created) \
                 VALUES (?1, 'queued', ?2, ?3, ?4, ?5)",
                params![id, name, input, asked_json, now()],
            )
            .map_err(db_error)?;
        self.get(id)?
            .ok_or_else(|| Error::internal("a job vanished as it was made"))
    }

    pub fn get(&self, id: &str) -> Result<Option<Job>> {
        self.db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1"),
                params![id],
                row,
            )
            .optional()
            .map_err(db_error)
    }

    /// Up to `limit` jobs, newest first, older than the job `before` if given.
    pub fn list(&self, limit: usize, before: Option<i64>) -> Result<Vec<Job>> {
        let db = self.db();
        let mut query = db
            .prepare(&format!(
                "SELECT {COLUMNS} FROM jobs WHERE seq < ?1 ORDER BY seq DESC LIMIT ?2"
            ))
            .map_err(db_error)?;
        let rows = query
            .query_map(params![before.unwrap_or(i64::MAX), limit as i64], row)
            .map_err(db_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
    }

    /// The oldest job waiting, if any.
    pub fn next_queued(&self) -> Result<Option<Job>> {
        self.db()
            .query_row(
                &format!("SELECT {COLUMNS} FROM jobs WHERE state = 'queued' ORDER BY seq LIMIT 1"),
                [],
                row,
            )
            .optional()
            .map_err(db_error)
    }

    /// Jobs not finished: waiting or running.
    pub fn open_jobs(&self) -> Result<usize> {
        self.db()
            .query_row(
                "SELECT COUNT(*) FROM jobs WHERE state IN ('queued', 'transcribing', 'summarizing')",
                [],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n.max(0) as usize)
            .map_err(db_error)
    }

    /// Counts of jobs by state, for the metrics.
    pub fn by_state(&self) -> Result<Vec<(String, u64)>> {
        let db = self.db();
        let mut query = db
            .prepare("SELECT state, COUNT(*) FROM jobs GROUP BY state")
            .map_err(db_error)?;
        let rows = query
            .query_map([], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })
            .map_err(db_error)?;
        rows.collect::<rusqlite::Result<Vec<_>>>().map_err(db_error)
    }

    /// Marks a waiting job running; `false` if it is no longer waiting
    /// (cancelled since it was picked).
    pub fn start(&self, id: &str) -> Result<bool> {
        let changed = self
            .db()
            .execute(
                "UPDATE jobs SET state = 'transcribing', started = ?2 \
                 WHERE id = ?1 AND state = 'queued'",
                params![id, now()],
            )
            .map_err(db_error)?;
        Ok(changed == 1)
    }

    pub fn heard(&self, id: &str, seconds: f64) -> Result<()> {
        self.exec(
            "UPDATE jobs SET heard = MAX(heard, ?2) WHERE id = ?1",
            params![id, seconds],
        )
    }

    pub fn summarizing(&self, id: &str, chunks_done: u64) -> Result<()> {
        self.exec(
            "UPDATE jobs SET state = 'summarizing', chunks_done = ?2 \
             WHERE id = ?1 AND state IN ('transcribing', 'summarizing')",
            params![id, chunks_done as i64],
        )
    }

    pub fn done(&self, id: &str, duration: f64, tokens: &Tokens) -> Result<()> {
        let tokens = serde_json::to_string(tokens).unwrap_or_default();
        self.exec(
            "UPDATE jobs SET state = 'done', finished = ?2, duration = ?3, heard = ?3, tokens = ?4 \
             WHERE id = ?1 AND state IN ('transcribing', 'summarizing')",
            params![id, now(), duration, tokens],
        )
    }

    pub fn fail(&self, id: &str, kind: &str, message: &str) -> Result<()> {
        self.exec(
            "UPDATE jobs SET state = 'failed', finished = ?2, error_kind = ?3, error_message = ?4 \
             WHERE id = ?1 AND state IN ('queued', 'transcribing', 'summarizing')",
            params![id, now(), kind, message],
        )
    }

    /// Marks a waiting or running job cancelled; `false` if it had finished.
    pub fn cancel(&self, id: &str) -> Result<bool> {
        let changed = self
            .db()
            .execute(
                "UPDATE jobs SET state = 'cancelled', finished = ?2 \
                 WHERE id = ?1 AND state IN ('queued', 'transcribing', 'summarizing')",
                params![id, now()],
            )
            .map_err(db_error)?;
        Ok(changed == 1)
    }

    /// Forgets a finished job and removes its files.
    pub fn remove(&self, id: &str) -> Result<()> {
        self.exec("DELETE FROM jobs WHERE id = ?1", params![id])?;
        let folder = self.folder(id);
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::write(&folder, &e)),
        }
    }

    fn exec(&self, sql: &str, params: impl rusqlite::Params) -> Result<()> {
        self.db().execute(sql, params).map(|_| ()).map_err(db_error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn made(store: &Store, id: &str) -> Job {
        std::fs::create_dir_all(store.folder(id)).unwrap();
        store
            .insert(id, "a.wav", "input.wav", &Asked::default())
            .unwrap()
    }

    #[test]
    fn running_jobs_go_back_to_the_queue_and_strays_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = Store::open(dir.path()).unwrap();
            made(&store, "a");
            made(&store, "b");
            assert!(store.start("a").unwrap());
            store.heard("a", 12.0).unwrap();
            assert!(store.start("b").unwrap());
            store.done("b", 30.0, &Tokens::default()).unwrap();
            std::fs::create_dir_all(store.folder("stray")).unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        let a = store.get("a").unwrap().unwrap();
        assert_eq!((a.state, a.heard), (State::Queued, 0.0));
        assert_eq!(store.get("b").unwrap().unwrap().state, State::Done);
        assert!(!store.folder("stray").exists());
        assert!(store.folder("a").exists());
        assert_eq!(store.next_queued().unwrap().unwrap().id, "a");
    }

    #[test]
    fn listing_pages_newest_first_and_cancel_holds_once() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).unwrap();
        for id in ["a", "b", "c"] {
            made(&store, id);
        }
        let first: Vec<String> = store
            .list(2, None)
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(first, ["c", "b"]);
        let seq = store.get("b").unwrap().unwrap().seq;
        let next: Vec<String> = store
            .list(2, Some(seq))
            .unwrap()
            .into_iter()
            .map(|j| j.id)
            .collect();
        assert_eq!(next, ["a"]);
        assert!(store.cancel("a").unwrap());
        assert!(!store.cancel("a").unwrap());
        // A job cancelled after it was picked neither starts nor ends done.
        assert!(!store.start("a").unwrap());
        store.done("a", 1.0, &Tokens::default()).unwrap();
        assert_eq!(store.get("a").unwrap().unwrap().state, State::Cancelled);
        assert_eq!(store.open_jobs().unwrap(), 2);
        store.remove("a").unwrap();
        assert!(store.get("a").unwrap().is_none());
        assert!(!store.folder("a").exists());
    }
}
