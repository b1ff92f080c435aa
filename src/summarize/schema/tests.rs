use super::*;

#[test]
fn times_outside_the_recording_are_dropped() {
    let mut m = Minutes {
        decisions: vec![
            Decision {
                decision: "a".into(),
                time: Some("01:30".into()),
                ..Decision::default()
            },
            Decision {
                decision: "b".into(),
                time: Some("99:00".into()),
                ..Decision::default()
            },
            Decision {
                decision: "c".into(),
                time: Some("soon".into()),
                ..Decision::default()
            },
        ],
        topics: vec![Topic {
            title: "t".into(),
            start: Some("[1:02:03]".into()),
        }],
        ..Default::default()
    };
    assert_eq!(m.check_times(4000.0), 2);
    assert_eq!(m.decisions[0].time.as_deref(), Some("01:30"));
    assert_eq!(m.decisions[1].time, None);
    assert_eq!(m.topics[0].start.as_deref(), Some("1:02:03"));
}

#[test]
fn schema_requires_every_property() {
    let s = minutes_schema();
    assert_eq!(s["required"].as_array().unwrap().len(), 7);
    let evidence = &s["properties"]["decisions"]["items"]["properties"]["evidence"];
    assert_eq!(evidence["items"]["required"], json!(["time", "quote"]));
    assert_eq!(
        s["properties"]["action_items"]["items"]["additionalProperties"],
        false
    );
}

#[test]
fn names_never_said_are_removed() {
    let mut m = Minutes {
        participants: vec![
            "Mina Park".into(),
            "John Smith".into(),
            "김민수".into(),
            "이영희".into(),
            "Al".into(),
        ],
        action_items: vec![
            ActionItem {
                task: "a".into(),
                owner: Some("Mina".into()),
                ..ActionItem::default()
            },
            ActionItem {
                task: "b".into(),
                owner: Some("Bob Brown".into()),
                ..ActionItem::default()
            },
            ActionItem {
                task: "c".into(),
                owner: Some("민수".into()),
                ..ActionItem::default()
            },
        ],
        ..Minutes::default()
    };
    let said = Said::new("Okay, mina will send it. 민수가 검토합니다. Also: announcements.");
    assert_eq!(m.check_names(&said).len(), 4);
    assert_eq!(m.participants, ["Mina Park", "김민수"]);
    let owners: Vec<Option<&str>> = m.action_items.iter().map(|a| a.owner.as_deref()).collect();
    assert_eq!(owners, [Some("Mina"), None, Some("민수")]);
}

#[test]
fn due_dates_never_said_are_removed() {
    let said =
        Said::new("Send it by the 18th of December. 보고서는 금요일까지. Next week we review.");
    let dues = [
        ("2024-12-18", true),
        ("December", true),
        ("next week", true),
        ("다음 주 금요일", true),
        ("2023-12-01 15:47:56.945", false),
        ("end of Q3", false),
        ("Monday", false),
    ];
    let mut m = Minutes {
        action_items: dues
            .iter()
            .map(|(d, _)| ActionItem {
                due: Some(d.to_string()),
                ..ActionItem::default()
            })
            .collect(),
        ..Minutes::default()
    };
    assert_eq!(m.check_dues(&said).len(), 3);
    for (a, (d, kept)) in m.action_items.iter().zip(dues) {
        assert_eq!(a.due.is_some(), kept, "{d}");
    }
}
