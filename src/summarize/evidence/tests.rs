use super::*;

pub(super) fn seg(start: f64, text: &str) -> Segment {
    Segment {
        start,
        end: start + 4.0,
        text: text.into(),
        speaker: None,
        words: Vec::new(),
    }
}

fn segments() -> Vec<Segment> {
    vec![
        seg(0.0, "Good morning, everyone."),
        seg(4.0, "We'll ship the release on Friday, the 18th."),
        seg(8.0, "Mina, can you send the report"),
        seg(12.0, "to the client by Monday?"),
        seg(16.0, "다음 주 금요일까지 보고서를 제출 하겠습니다."),
        seg(20.0, "We'll ship the release on Friday, the 18th."),
    ]
}

#[test]
fn quotes_are_found_whatever_their_case_punctuation_and_spacing() {
    let s = segments();
    let t = Transcript::new(&s);
    let at = |q: &str, near: Option<f64>| t.find(q, near).map(|f| f.segment);
    assert_eq!(at("we'll SHIP the release", None), Some(1));
    // Across a segment boundary: found where it starts.
    assert_eq!(at("send the report to the client", None), Some(2));
    // Korean without spaces, whatever the spacing.
    assert_eq!(at("보고서를 제출하겠습니다", None), Some(4));
    assert_eq!(at("금요일 까지 보고서", None), Some(4));
    // Elided words.
    assert_eq!(at("Mina, can you ... by Monday", None), Some(2));
    // Said twice: the place nearest the model's time.
    assert_eq!(at("ship the release on friday", Some(21.0)), Some(5));
    assert_eq!(at("ship the release on friday", Some(3.0)), Some(1));
}

#[test]
fn the_time_and_speaker_a_model_copies_from_the_line_are_not_part_of_the_quote() {
    let mut s = segments();
    s[2].speaker = Some("S2".into());
    s[4].speaker = Some("민수".into());
    let t = Transcript::new(&s);
    let at = |q: &str| t.find(q, None).map(|f| f.segment);
    assert_eq!(at("[00:08] S2: Mina, can you send the report"), Some(2));
    assert_eq!(at("S2: Mina, can you send"), Some(2));
    assert_eq!(at("민수: 보고서를 제출 하겠습니다"), Some(4));
    // A label that is nobody's stays part of the quote.
    assert_eq!(at("S9: Mina, can you send"), None);
}

#[test]
fn words_never_said_and_bare_words_back_nothing() {
    let s = segments();
    let t = Transcript::new(&s);
    assert_eq!(t.find("we will ship the release", None), None);
    assert_eq!(t.find("ship the yacht on friday", None), None);
    // Whole words only: "the rep" is not "the report"...
    assert_eq!(t.find("send the rep", None), None);
    // Too short to back anything.
    assert_eq!(t.find("Good morning", None), None);
    assert_eq!(t.find("제출", None), None);
    assert_eq!(t.find("", None), None);
    assert_eq!(t.find("...", None), None);
    // Pieces must keep their order.
    assert_eq!(t.find("by Monday ... Mina, can you", None), None);
}

#[test]
fn unverified_items_are_dropped_or_kept_and_marked() {
    let s = segments();
    let quote = |q: &str, time: &str| Evidence {
        quote: q.into(),
        time: Some(time.into()),
        ..Evidence::default()
    };
    let minutes = Minutes {
        decisions: vec![
            Decision {
                decision: "Ship on Friday".into(),
                time: Some("59:00".into()),
                evidence: vec![
                    quote("we'll ship the release on Friday", "00:21"),
                    quote("a line nobody ever said", "00:01"),
                ],
                verified: None,
            },
            Decision {
                decision: "Buy a yacht".into(),
                time: Some("00:04".into()),
                evidence: vec![quote("we will buy a yacht", "00:04")],
                verified: None,
            },
        ],
        open_questions: vec![Question::from("Who pays?")],
        ..Minutes::default()
    };
    let mut dropped = minutes.clone();
    let out = check(&mut dropped, &s, false);
    assert_eq!(dropped.decisions.len(), 1);
    let d = &dropped.decisions[0];
    assert_eq!((d.time.as_deref(), d.verified), (Some("00:20"), Some(true)));
    assert_eq!(d.evidence.len(), 1);
    assert_eq!(
        (d.evidence[0].segment, d.evidence[0].start),
        (Some(5), Some(20.0))
    );
    assert!(dropped.open_questions.is_empty());
    assert_eq!(
        out.dropped,
        ["decision: Buy a yacht", "open question: Who pays?"]
    );
    assert!(out.kept.is_empty());

    let mut kept = minutes.clone();
    let out = check(&mut kept, &s, true);
    assert_eq!(kept.decisions.len(), 2);
    let d = &kept.decisions[1];
    assert_eq!((d.time.as_deref(), d.verified), (None, Some(false)));
    assert_eq!(d.evidence[0].time, None);
    assert_eq!(out.kept.len(), 2);
    assert!(out.dropped.is_empty());
}

#[test]
fn an_untimed_transcript_gives_segments_but_no_times() {
    let s: Vec<Segment> = segments()
        .into_iter()
        .map(|mut s| {
            s.end = 0.0;
            s.start = 0.0;
            s
        })
        .collect();
    let mut m = Minutes {
        action_items: vec![ActionItem {
            task: "Send the report".into(),
            evidence: vec![Evidence {
                quote: "can you send the report".into(),
                ..Evidence::default()
            }],
            ..ActionItem::default()
        }],
        ..Minutes::default()
    };
    check(&mut m, &s, false);
    let a = &m.action_items[0];
    assert_eq!((a.time.as_deref(), a.evidence[0].segment), (None, Some(2)));
    assert_eq!(a.evidence[0].start, None);
}

#[test]
fn a_quote_cut_off_inside_its_last_word_is_found_after_enough_whole_words() {
    let s = segments();
    let t = Transcript::new(&s);
    let at = |q: &str| t.find(q, None).map(|f| f.segment);
    // A whole line copied and cut at the schema's length limit.
    assert_eq!(at("Mina, can you send the rep"), Some(2));
    assert_eq!(at("ship the release on Fri"), Some(1));
    // ...unless too few whole words come before the cut one.
    assert_eq!(at("send the rep"), None);
    // Only the last word may be cut, and only to its start.
    assert_eq!(at("Mina, can you sen the report"), None);
    assert_eq!(at("Mina, can you send the repx"), None);
}
