use super::history::{self, Entry, History, LlmId, PromptsId, RunSettings};
use super::*;
use crate::eval::minutes::Support;

fn touch(dir: &Path, name: &str) {
    std::fs::write(dir.join(name), "x").unwrap();
}

fn names(found: &[CaseFiles]) -> Vec<&str> {
    found.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn cases_pair_transcripts_with_their_facts() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in [
        "b.json",
        "b.facts.yaml",
        "a.srt",
        "a.facts.yaml",
        "README.md",
        ".hidden.json",
    ] {
        touch(d, f);
    }
    std::fs::create_dir(d.join("sub.json")).unwrap();
    let found = find(d).unwrap();
    assert_eq!(names(&found), ["a", "b"]);
    assert_eq!(found[0].transcript, d.join("a.srt"));
    assert_eq!(found[0].facts, d.join("a.facts.yaml"));
}

#[test]
fn every_incomplete_case_is_a_fault_of_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    for f in [
        "lonely.json",
        "rec.wav",
        "rec.facts.yaml",
        "two.txt",
        "two.vtt",
        "two.facts.yaml",
        "ok.json",
        "ok.facts.yaml",
    ] {
        touch(d, f);
    }
    let errors = find(d).unwrap_err();
    let text: Vec<String> = errors.iter().map(|e| e.message().to_string()).collect();
    assert_eq!(errors.len(), 3, "{text:?}");
    assert!(errors.iter().all(|e| e.kind() == ErrorKind::BadInput));
    assert!(text[0].contains("lonely.json") && text[0].contains("lonely.facts.yaml"));
    assert!(text[1].contains("rec.facts.yaml") && text[1].contains("no transcript"));
    assert!(errors[1].hint().unwrap().contains("transcribe"));
    assert!(text[2].contains("two.txt") && text[2].contains("two.vtt"));
}

#[test]
fn a_missing_or_empty_folder_is_one_error() {
    let dir = tempfile::tempdir().unwrap();
    touch(dir.path(), "notes.md");
    let e = find(dir.path()).unwrap_err();
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind(), ErrorKind::BadInput);
    assert!(e[0].message().contains("no cases"));
    let e = find(&dir.path().join("nope")).unwrap_err();
    assert_eq!(e[0].kind(), ErrorKind::MissingInput);
    let e = find(&dir.path().join("notes.md")).unwrap_err();
    assert_eq!(e[0].kind(), ErrorKind::BadInput);
}

fn case(name: &str, items: usize, supported: usize, decisions: (usize, usize)) -> CaseScores {
    let recall = |expected, matched| KindRecall {
        expected,
        matched,
        recall: (expected > 0).then(|| matched as f64 / expected as f64),
    };
    CaseScores {
        name: name.into(),
        precision: Precision {
            items,
            supported,
            precision: (items > 0).then(|| supported as f64 / items as f64),
            decisions: Support { items, supported },
            action_items: Support::default(),
            open_questions: Support::default(),
        },
        recall: Recall {
            decisions: recall(decisions.0, decisions.1),
            action_items: recall(1, 1),
            open_questions: recall(0, 0),
        },
        owners: Tally {
            given: 1,
            correct: 1,
        },
        dues: Tally::default(),
        judge: None,
        seconds: 0.5,
    }
}

#[test]
fn totals_give_means_over_cases_and_pooled_counts() {
    // Precision 1/1 and 1/3: mean 2/3, pooled 2/4. Decisions 1/1 and 0/3:
    // mean 1/2, pooled 1/4. A case without items has no precision to average.
    let t = Totals::of(&[
        case("a", 1, 1, (1, 1)),
        case("b", 3, 1, (3, 0)),
        case("c", 0, 0, (0, 0)),
    ]);
    assert_eq!((t.cases, t.items, t.supported), (3, 4, 2));
    assert_eq!(t.precision, Some(2.0 / 3.0));
    assert_eq!(t.pooled_precision, Some(0.5));
    assert_eq!(
        t.decisions,
        KindTotals {
            expected: 4,
            matched: 1,
            mean: Some(0.5),
            pooled: Some(0.25)
        }
    );
    assert_eq!(t.open_questions.mean, None);
    assert_eq!(t.owners.given, 3);
    assert_eq!(t.judge, None);
}

fn entry(model: &str) -> Entry {
    let cases = vec![case("a", 2, 1, (1, 1))];
    Entry {
        format: history::FORMAT,
        date: "2025-03-14T09:30:00+09:00".into(),
        suite: "/suites/release".into(),
        prompts: PromptsId {
            name: "default".into(),
            versions: "correct@1".into(),
            hash: "0123456789ab".into(),
        },
        model: model.into(),
        llm: LlmId {
            kind: "url".into(),
            url: "http://127.0.0.1:8080/v1".into(),
        },
        settings: RunSettings {
            language: None,
            temperature: 0.2,
            seed: None,
            chunk_tokens: 2000,
            redact: false,
            correct: true,
        },
        judge: None,
        totals: Totals::of(&cases),
        cases,
        usage: Default::default(),
        judge_usage: None,
        seconds: 1.5,
        version: "0.1.0".into(),
    }
}

#[test]
fn history_lines_are_appended_whole_and_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("deep/er/history.jsonl");
    History::open(&path)
        .unwrap()
        .append(&[entry("m1"), entry("m2")])
        .unwrap();
    // A hand-edited file without its last newline still gets whole lines.
    let mut text = std::fs::read_to_string(&path).unwrap();
    text.pop();
    std::fs::write(&path, &text).unwrap();
    History::open(&path)
        .unwrap()
        .append(&[entry("m3")])
        .unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 3);
    assert!(text.ends_with("}\n"));
    let read = history::read(&path).unwrap();
    assert_eq!(read, vec![entry("m1"), entry("m2"), entry("m3")]);
}

#[test]
fn a_line_that_is_not_an_entry_is_named_by_number() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("h.jsonl");
    let good = serde_json::to_string(&entry("m")).unwrap();
    std::fs::write(&path, format!("{good}\n\n{{\"format\": 1\n{good}\n")).unwrap();
    let e = history::read(&path).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BadInput);
    assert!(
        e.message().starts_with(&format!("{}:3: ", path.display())),
        "{}",
        e.message()
    );
    let e = history::read(&dir.path().join("none.jsonl")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::MissingInput);
}

#[test]
fn report_tables_show_means_and_pooled_tallies() {
    let mut report = report::Report::new("/s".into(), None, vec!["a".into()], false);
    report.runs = vec![entry("m1")];
    assert_eq!(
        report.to_table(),
        "prompts          hash  model  cases  items  supported  precision  decisions  actions  questions  owners  dues  prompt  completion  seconds\n\
         default  0123456789ab     m1      1      2          1     0.5000     1.0000   1.0000          -     1/1     -       0           0        2\n"
    );
    let listing = report::Listing {
        history: "h".into(),
        runs: vec![entry("m1")],
    };
    assert_eq!(
        listing.to_table(),
        "date                         suite  prompts          hash  model  cases  items  supported  precision  decisions  actions  questions  owners  dues  prompt  completion  seconds\n\
         2025-03-14T09:30:00+09:00  release  default  0123456789ab     m1      1      2          1     0.5000     1.0000   1.0000          -     1/1     -       0           0        2\n"
    );
}
