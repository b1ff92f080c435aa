use super::*;
use crate::summarize::schema::{ActionItem, Decision};

fn n(v: &str) -> Specific {
    Specific::Number(v.into())
}

#[test]
fn numbers_are_one_number_in_digits_words_and_korean_numerals() {
    assert_eq!(
        of("다음 달 십오일로"),
        vec![n("15"), Specific::Relative("next month")]
    );
    assert_eq!(of("the 15th"), vec![n("15")]);
    assert_eq!(of("on the fifteenth"), vec![n("15")]);
    assert_eq!(of("twenty-first"), vec![n("21")]);
    assert_eq!(of("이십일일까지"), vec![n("21")]);
    assert_eq!(of("오만 원"), vec![n("50000")]);
    assert_eq!(of("5만 원"), vec![n("50000")]);
    assert_eq!(of("$50,000"), vec![n("50000")]);
    assert_eq!(of("two hundred users"), vec![n("200")]);
    assert_eq!(of("version 2.4"), vec![n("2.4")]);
    assert_eq!(of("v2.4.1"), vec![n("2.4.1")]);
    assert_eq!(of("two weeks"), vec![n("2")]);
}

#[test]
fn months_weekdays_and_relative_days_in_either_language() {
    assert_eq!(of("October 10th"), vec![n("10"), Specific::Month(10)]);
    assert_eq!(of("10월 10일"), vec![n("10"), Specific::Month(10)]);
    assert_eq!(of("시월"), vec![Specific::Month(10)]);
    assert_eq!(of("삼월에"), vec![Specific::Month(3)]);
    assert_eq!(
        of("다음 주 화요일"),
        vec![Specific::Weekday(2), Specific::Relative("next week")]
    );
    assert_eq!(of("next Tuesday"), vec![Specific::Weekday(2)]);
    assert_eq!(of("by next week"), vec![Specific::Relative("next week")]);
    assert_eq!(
        of("일요일 오늘"),
        vec![Specific::Weekday(7), Specific::Relative("today")]
    );
    assert_eq!(of("May 5"), vec![n("5"), Specific::Month(5)]);
}

#[test]
fn words_that_only_look_like_numbers_or_dates_are_not_specifics() {
    assert!(of("No one may object; first we check the 일정.").is_empty());
    assert!(of("일정을 확정하려고 합니다").is_empty());
    assert!(of("만들어 주세요, 천천히").is_empty());
    assert!(of("Jan and Jun will review it").is_empty());
}

#[test]
fn an_item_restates_its_quote_or_adds_to_it() {
    let quote = "출시 일정을 다음 달 십오일로 확정하려고 합니다";
    assert!(unbacked("출시일을 다음 달 15일로 확정한다", quote).is_empty());
    assert!(unbacked("The release is set for the 15th of next month.", quote).is_empty());
    assert_eq!(
        unbacked("Set the release date to October 10th.", quote),
        vec![n("10"), Specific::Month(10)]
    );
    assert!(unbacked("We ship on March 14.", "we move it to 3/14").is_empty());
    assert_eq!(
        unbacked("We ship on March 14, 2027.", "we move it to March 14"),
        vec![n("2027")]
    );
}

fn evidence(quote: &str, segment: usize) -> Vec<Evidence> {
    vec![Evidence {
        segment: Some(segment),
        start: Some(0.0),
        time: Some("00:00".into()),
        quote: quote.into(),
    }]
}

fn segments() -> Vec<Segment> {
    let seg = |text: &str| Segment {
        start: 0.0,
        end: 1.0,
        text: text.into(),
        speaker: None,
        words: Vec::new(),
    };
    vec![
        seg("출시 일정을 다음 달 십오일로 확정하려고 합니다."),
        seg("Jin, can you update the changelog for version 2.4 by Wednesday?"),
    ]
}

fn minutes() -> Minutes {
    Minutes {
        decisions: vec![
            Decision {
                decision: "Set the release date to October 10th.".into(),
                evidence: evidence("다음 달 십오일로 확정하려고", 0),
                verified: Some(true),
                ..Decision::default()
            },
            Decision {
                decision: "출시일은 다음 달 15일이다.".into(),
                evidence: evidence("다음 달 십오일로 확정하려고", 0),
                verified: Some(true),
                ..Decision::default()
            },
        ],
        action_items: vec![ActionItem {
            // 2.4 is in the segment the quote was found in, not in the quote.
            task: "Update the changelog for 2.4".into(),
            owner: Some("Jin".into()),
            evidence: evidence("can you update the changelog", 1),
            verified: Some(true),
            ..ActionItem::default()
        }],
        ..Minutes::default()
    }
}

#[test]
fn an_item_that_adds_a_date_is_dropped_and_a_faithful_one_stays() {
    let mut m = minutes();
    let out = check(&mut m, &segments(), false);
    assert_eq!(m.decisions.len(), 1);
    assert_eq!(m.decisions[0].decision, "출시일은 다음 달 15일이다.");
    assert_eq!(m.action_items.len(), 1, "the segment quoted backs 2.4");
    assert_eq!(out.dropped.len(), 1);
    assert!(
        out.dropped[0].contains("(10, October)"),
        "{:?}",
        out.dropped
    );
}

#[test]
fn with_keep_unverified_it_is_kept_and_marked() {
    let mut m = minutes();
    let out = check(&mut m, &segments(), true);
    assert_eq!(m.decisions.len(), 2);
    assert_eq!(m.decisions[0].verified, Some(false));
    assert_eq!(m.decisions[1].verified, Some(true));
    assert_eq!(out.kept.len(), 1);
}
