//! A real HTTP server speaking OpenAI's chat-completions protocol, started
//! by the test, answering like a diligent model would (it carries every
//! planted `TOKEN-n` of its input into its notes) and injecting the faults a
//! test asks for. As the judge of `eval compare` it prefers the minutes
//! holding a marker, or whatever is shown first; as the judge of `eval
//! minutes` it gives the scores a test sets (both in [`judge`]). It records
//! every request for assertions.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

// Beside this file, however it is included (the bench example takes it by path).
#[path = "judge.rs"]
pub mod judge;
pub use judge::Judge;

#[derive(Debug, Clone)]
pub struct Seen {
    pub at: Instant,
    pub stage: String,
    pub auth: String,
    pub body: Value,
}

/// Faults to inject; each `*_once` fires on the first matching request only.
#[derive(Debug, Default, Clone)]
pub struct Faults {
    /// Latency of every answer.
    pub delay: Duration,
    /// First map request: this status, with this Retry-After header value.
    pub map_status_once: Option<(u16, Option<&'static str>)>,
    /// Every request fails with this status.
    pub always_status: Option<u16>,
    /// Map requests whose transcript contains this text fail with 500, always.
    pub fail_map_containing: Option<String>,
    /// First map answer is cut off (`finish_reason = length`).
    pub truncate_map_once: bool,
    /// First map answer is broken JSON (a trailing comma).
    pub invalid_json_map_once: bool,
    /// `response_format: json_schema` is refused with 400.
    pub reject_json_schema: bool,
    /// The correction rewrites everything (the guard must reject it).
    pub rewrite_corrections: bool,
    /// The model's context in characters of the user message: a longer
    /// prompt is refused with 400 `context_length_exceeded`, as OpenAI does.
    pub context_chars: Option<usize>,
    /// Map notes name a participant, an owner and a due date nobody mentioned.
    pub invent_names: bool,
    /// Map notes carry a decision quoting words nobody said.
    pub invent_evidence: bool,
    /// The due date of the action item the map notes carry.
    pub due: Option<&'static str>,
    /// How the judge of `eval compare` (schema `judgement`) answers;
    /// `None`: always "tie".
    pub judge: Option<Judge>,
    /// Judge answers (`judgement` and `scores`), and the repairs asked
    /// for them, are not JSON.
    pub judge_garbage: bool,
    /// How the scoring judge of `eval minutes` (schema `scores`) answers:
    /// the n-th answer gives the n-th list (cycling) as the scores of the
    /// criteria in the rubric's order; a shorter list leaves the rest out.
    /// Empty: every criterion 3.
    pub scores: Vec<Vec<u8>>,
    /// How the matching judge (schema `matches`) reads: an expected fact
    /// and an item state the same fact when they are equal (case aside) or
    /// the fact contains the first and the item the second text of a pair.
    pub same: Vec<(String, String)>,
    /// The matching judge gives the first item for every fact.
    pub match_first: bool,
}

#[derive(Default)]
struct State {
    faults: Faults,
    seen: Vec<Seen>,
    fired: Vec<&'static str>,
    /// Scoring answers given so far.
    scored: usize,
}

pub struct FakeLlm {
    pub server: MockServer,
    state: Arc<Mutex<State>>,
    _rt: tokio::runtime::Runtime,
}

impl FakeLlm {
    pub fn start(faults: Faults) -> FakeLlm {
        let rt = tokio::runtime::Runtime::new().unwrap();
        let state = Arc::new(Mutex::new(State {
            faults,
            ..State::default()
        }));
        let server = rt.block_on(async {
            let server = MockServer::start().await;
            Mock::given(method("POST"))
                .and(path("/v1/chat/completions"))
                .respond_with(Responder(state.clone()))
                .mount(&server)
                .await;
            server
        });
        FakeLlm {
            server,
            state,
            _rt: rt,
        }
    }

    pub fn url(&self) -> String {
        format!("{}/v1", self.server.uri())
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.state.lock().unwrap().seen.clone()
    }

    pub fn stages(&self) -> Vec<String> {
        self.seen().into_iter().map(|s| s.stage).collect()
    }
}

struct Responder(Arc<Mutex<State>>);

fn stage_of(body: &Value) -> String {
    let schema = body["response_format"]["json_schema"]["name"]
        .as_str()
        .unwrap_or("");
    let system = body["messages"][0]["content"].as_str().unwrap_or("");
    match schema {
        _ if system.contains("You repair JSON") => "repair",
        "corrected_segments" => "correct",
        "chunk_notes" => "map",
        "merged_notes" => "collapse",
        "minutes" => "reduce",
        "judgement" => "judge",
        "scores" => "score",
        "matches" => "match",
        _ if system.contains("proofread") => "correct",
        _ if system.contains("You merge meeting notes") => "collapse",
        _ if system.contains("You write the minutes") => "reduce",
        _ => "map",
    }
    .to_string()
}

/// The last user message of a request (earlier ones may be examples).
pub fn last_user(body: &Value) -> String {
    body["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .rev()
        .find(|m| m["role"] == "user")
        .and_then(|m| m["content"].as_str())
        .unwrap_or("")
        .to_string()
}

/// Every `TOKEN-n` in `text`, in order of first appearance.
pub fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (i, _) in text.match_indices("TOKEN-") {
        let digits: String = text[i + 6..]
            .chars()
            .take_while(|c| c.is_ascii_digit())
            .collect();
        let t = format!("TOKEN-{digits}");
        if !digits.is_empty() && !out.contains(&t) {
            out.push(t);
        }
    }
    out
}

fn between<'a>(text: &'a str, open: &str, close: &str) -> &'a str {
    let a = text.find(open).map(|i| i + open.len()).unwrap_or(0);
    let b = text[a..].find(close).map(|i| a + i).unwrap_or(text.len());
    &text[a..b]
}

/// Prompt tokens every answer says came from the server's prompt cache.
pub const CACHED_TOKENS: u64 = 100;

fn answer(content: &str, finish: &str, body: &Value) -> ResponseTemplate {
    let prompt = body.to_string().len() as u64 / 4;
    ResponseTemplate::new(200).set_body_json(json!({
        "id": "chatcmpl-test", "object": "chat.completion", "created": 1, "model": body["model"],
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {"prompt_tokens": prompt, "completion_tokens": content.len() / 4, "total_tokens": prompt + content.len() as u64 / 4,
                  "prompt_tokens_details": {"cached_tokens": CACHED_TOKENS.min(prompt)}}
    }))
}

/// The time and first words of the first transcript line with a few words:
/// evidence a diligent model would copy.
fn evidence_of(transcript: &str) -> Value {
    for line in transcript.lines() {
        let (time, text) = match line
            .trim()
            .strip_prefix('[')
            .and_then(|r| r.split_once("] "))
        {
            Some((time, text)) => (Some(time), text),
            None => (None, line.trim()),
        };
        // Without the speaker label (`S1: `).
        let text = match text.split_once(": ") {
            Some((who, rest)) if !who.contains(' ') => rest,
            _ => text,
        };
        let words: Vec<&str> = text.split_whitespace().take(6).collect();
        if words.len() >= 3 {
            return json!([{"time": time, "quote": words.join(" ")}]);
        }
    }
    json!([])
}

fn map_notes(f: &Faults, user: &str) -> Value {
    let transcript = between(user, "<transcript>", "</transcript>");
    let first_time = transcript
        .trim()
        .strip_prefix('[')
        .and_then(|r| r.split(']').next())
        .map(str::to_string);
    let evidence = evidence_of(transcript);
    let words: Vec<&str> = transcript
        .split_whitespace()
        // Timestamps (`[12:04]`), not placeholders (`[EMAIL_1]`).
        .filter(|w| !(w.starts_with('[') && w.contains(':')))
        .take(8)
        .collect();
    let mut summary = vec![format!("They said: {}", words.join(" "))];
    summary.extend(
        tokens(transcript)
            .into_iter()
            .map(|t| format!("Discussed {t}")),
    );
    let mut notes = json!({
        "title": "Part", "summary": summary,
        "decisions": [{"decision": "Adopt the plan", "evidence": evidence}],
        "action_items": [{"task": "Send the report", "owner": "Mina", "due": f.due, "evidence": evidence}],
        "open_questions": [{"question": "Is the plan on track?", "evidence": evidence}],
        "topics": [{"title": "Planning", "start": first_time}], "participants": ["Mina"]
    });
    if f.invent_names {
        notes["participants"] = json!(["Mina", "Zebediah Quarles"]);
        notes["action_items"].as_array_mut().unwrap().push(
            json!({"task": "Book the room", "owner": "Zebediah", "due": "2019-07-31", "evidence": evidence}),
        );
    }
    if f.invent_evidence {
        notes["decisions"]
            .as_array_mut()
            .unwrap()
            .push(json!({"decision": "Buy a yacht",
            "evidence": [{"time": first_time, "quote": "we will buy the yacht for the team"}]}));
    }
    notes
}

fn merged_notes(user: &str, title: &str) -> Value {
    let notes = between(user, "<notes>", "</notes>");
    let mut out = json!({"title": title, "summary": [], "decisions": [], "action_items": [], "open_questions": [], "topics": [], "participants": []});
    for line in notes.lines() {
        let Some(i) = line.find('{') else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&line[i..]) else {
            continue;
        };
        for key in ["summary", "topics"] {
            if let (Some(dst), Some(src)) = (out[key].as_array_mut().cloned(), v[key].as_array()) {
                let mut merged = dst;
                merged.extend(src.iter().cloned());
                out[key] = Value::Array(merged);
            }
        }
        // Duplicates combined, as the prompt asks, keeping up to two quotes.
        for (key, text) in [
            ("decisions", "decision"),
            ("action_items", "task"),
            ("open_questions", "question"),
        ] {
            for item in v[key].as_array().into_iter().flatten() {
                let list = out[key].as_array_mut().unwrap();
                match list.iter_mut().find(|o| o[text] == item[text]) {
                    Some(o) => {
                        let evidence = o["evidence"].as_array_mut().unwrap();
                        let more = item["evidence"].as_array().into_iter().flatten();
                        evidence.extend(more.cloned());
                        evidence.truncate(2);
                    }
                    None => list.push(item.clone()),
                }
            }
        }
        for p in v["participants"].as_array().into_iter().flatten() {
            let list = out["participants"].as_array_mut().unwrap();
            if !list.contains(p) {
                list.push(p.clone());
            }
        }
    }
    out
}

impl Respond for Responder {
    fn respond(&self, req: &Request) -> ResponseTemplate {
        let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
        let stage = stage_of(&body);
        let auth = req
            .headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let mut st = self.0.lock().unwrap();
        st.seen.push(Seen {
            at: Instant::now(),
            stage: stage.clone(),
            auth,
            body: body.clone(),
        });
        let f = st.faults.clone();
        let delay = f.delay;
        let user = last_user(&body);
        let mut once = |name: &'static str, armed: bool| {
            let fire = armed && !st.fired.contains(&name);
            if fire {
                st.fired.push(name);
            }
            fire
        };
        let reply = if let Some(code) = f.always_status {
            ResponseTemplate::new(code).set_body_json(
                json!({"error": {"message": "down for maintenance", "type": "server_error"}}),
            )
        } else if f.judge_garbage && ["judge", "score", "match"].contains(&stage.as_str()) {
            answer(
                "I would say the first one, mostly. Hope this helps!",
                "stop",
                &body,
            )
        } else if f.context_chars.is_some_and(|n| user.chars().count() > n) {
            ResponseTemplate::new(400).set_body_json(json!({"error": {
                "message": format!("This model's maximum context length is {} tokens. However, your messages resulted in more.", f.context_chars.unwrap() / 4),
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}))
        } else if f.reject_json_schema && body["response_format"]["type"] == "json_schema" {
            ResponseTemplate::new(400)
                .set_body_json(json!({"error": {"message": "response_format json_schema is not supported", "type": "invalid_request_error"}}))
        } else if stage == "map" && once("status", f.map_status_once.is_some()) {
            let (code, retry_after) = f.map_status_once.unwrap();
            let mut t = ResponseTemplate::new(code).set_body_json(
                json!({"error": {"message": "slow down", "type": "rate_limit_error"}}),
            );
            if let Some(s) = retry_after {
                t = t.insert_header("retry-after", s);
            }
            t
        } else if stage == "map"
            && f.fail_map_containing
                .as_ref()
                .is_some_and(|s| user.contains(s.as_str()))
        {
            ResponseTemplate::new(500).set_body_json(
                json!({"error": {"message": "internal error", "type": "server_error"}}),
            )
        } else {
            match stage.as_str() {
                "correct" => {
                    let segs: Vec<Value> = between(&user, "<transcript>", "</transcript>")
                        .lines()
                        .filter_map(|l| l.split_once('\t'))
                        // Like the prompt asks: only the segments it changed.
                        .filter(|(_, text)| f.rewrite_corrections || text.contains("teh"))
                        .map(|(id, text)| {
                            let text = if f.rewrite_corrections {
                                "completely different words here".to_string()
                            } else {
                                text.replace("teh", "the")
                            };
                            json!({"id": id.trim().parse::<u64>().unwrap_or(0), "text": text})
                        })
                        .collect();
                    answer(&json!({"segments": segs}).to_string(), "stop", &body)
                }
                "map" if once("truncate", f.truncate_map_once) => {
                    answer("{\"title\": \"Pa", "length", &body)
                }
                "map" if once("invalid", f.invalid_json_map_once) => {
                    let text = map_notes(&f, &user)
                        .to_string()
                        .replacen("\"summary\":[", "\"summary\":[\"extra\",", 1)
                        .replacen("]", ",]", 1);
                    answer(&format!("Here are the notes:\n{text}"), "stop", &body)
                }
                "map" => {
                    let notes = bounded(map_notes(&f, &user), &body);
                    answer(&notes.to_string(), "stop", &body)
                }
                "judge" => answer(&judge::verdict(&f, &user), "stop", &body),
                "match" => answer(&judge::matches(&f, &user), "stop", &body),
                "score" => {
                    st.scored += 1;
                    answer(&judge::scores(&f, st.scored - 1), "stop", &body)
                }
                "repair" => {
                    let broken = between(&user, "<json>", "</json>");
                    let fixed = broken.replace(",]", "]").replace(",}", "}");
                    answer(fixed.trim(), "stop", &body)
                }
                "collapse" => {
                    let notes = bounded(merged_notes(&user, "Merged"), &body);
                    answer(&notes.to_string(), "stop", &body)
                }
                _ => {
                    let notes = bounded(merged_notes(&user, "Weekly sync: budget & plans"), &body);
                    answer(&notes.to_string(), "stop", &body)
                }
            }
        };
        reply.set_delay(delay)
    }
}

/// What a server that honours `response_format: json_schema` could return:
/// each top-level list cut to the schema's `maxItems`. (Without a schema in
/// the request, nothing constrains the answer.)
fn bounded(mut notes: Value, body: &Value) -> Value {
    let props = &body["response_format"]["json_schema"]["schema"]["properties"];
    if let Some(fields) = notes.as_object_mut() {
        for (key, value) in fields.iter_mut() {
            if let (Some(list), Some(max)) = (
                value.as_array_mut(),
                props[key.as_str()]["maxItems"].as_u64(),
            ) {
                list.truncate(max as usize);
            }
        }
    }
    notes
}

/// Planted tokens in the notes handed to the merge stages (collapse and
/// reduce): what the pipeline kept of every chunk. The minutes themselves
/// hold what the model chose within the schema's bounds.
pub fn merged_tokens(seen: &[Seen]) -> Vec<String> {
    let mut found: Vec<String> = seen
        .iter()
        .filter(|s| s.stage == "collapse" || s.stage == "reduce")
        .flat_map(|s| tokens(&last_user(&s.body)))
        .collect();
    found.sort();
    found.dedup();
    found
}

/// Largest number of requests in flight at once, from arrival times and a fixed latency.
pub fn max_in_flight(seen: &[Seen], latency: Duration) -> usize {
    let slack = Duration::from_millis(30);
    seen.iter()
        .map(|s| {
            seen.iter()
                .filter(|o| o.at <= s.at && s.at + slack < o.at + latency)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// A transcript (the tool's JSON) of `n` segments a minute apart, each planting `TOKEN-i`.
pub fn planted_transcript(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let segments: Vec<Value> = (1..=n)
        .map(|i| {
            let start = (i - 1) as f64 * 60.0;
            json!({"start": start, "end": start + 50.0,
                   "text": format!("Item {i}: we talked about teh budget line TOKEN-{i} and agreed to review it with Mina next week.")})
        })
        .collect();
    let t = json!({"source": "planted", "model": "tiny.en", "language": "en", "duration": n as f64 * 60.0, "segments": segments});
    let p = dir.join("meeting.json");
    std::fs::write(&p, serde_json::to_string_pretty(&t).unwrap()).unwrap();
    p
}
