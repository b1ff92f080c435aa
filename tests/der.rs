//! The diarization error scorer (tests/common/der.rs) on hand-made turns,
//! and the reference RTTM files of the multi-speaker fixtures.

use crate::common::der::{Turn, der, parse_rttm, read_rttm};
use crate::common::{fixture, scratch};

fn turns(list: &[(f64, f64, &str)]) -> Vec<Turn> {
    list.iter().map(|&(s, e, w)| Turn::new(s, e, w)).collect()
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// zoe 0–12, amy 12–17, bob 17–20, then zoe again 22–25 after a pause
/// (the one who speaks most sorts last, so no pairing by order passes).
fn meeting() -> Vec<Turn> {
    turns(&[
        (0.0, 12.0, "zoe"),
        (12.0, 17.0, "amy"),
        (17.0, 20.0, "bob"),
        (22.0, 25.0, "zoe"),
    ])
}

#[test]
fn a_perfect_hypothesis_scores_zero() {
    let s = der(&meeting(), &meeting(), 0.0);
    assert!(close(s.error(), 0.0), "{s:?}");
    assert!(close(s.reference_speech, 23.0), "{s:?}");
}

#[test]
fn one_label_for_everyone_costs_the_other_speakers_share() {
    let s = der(&meeting(), &turns(&[(0.0, 25.0, "S1")]), 0.0);
    // S1 is paired with zoe (15 s of 23); amy and bob (8 s) are confused,
    // and the pause 20–22 is a false alarm.
    assert_eq!(s.label_of("zoe"), Some("S1"), "{s:?}");
    assert!(close(s.confusion, 8.0), "{s:?}");
    assert!(close(s.false_alarm, 2.0), "{s:?}");
    assert!(close(s.missed, 0.0), "{s:?}");
    let speech_only = turns(&[(0.0, 20.0, "S1"), (22.0, 25.0, "S1")]);
    let s = der(&meeting(), &speech_only, 0.0);
    assert!(close(s.error(), 8.0 / 23.0), "{s:?}");
}

#[test]
fn labels_are_paired_not_compared_by_name() {
    // The reference's own names, handed out wrongly.
    let swapped = turns(&[
        (0.0, 12.0, "bob"),
        (12.0, 17.0, "zoe"),
        (17.0, 20.0, "amy"),
        (22.0, 25.0, "bob"),
    ]);
    let s = der(&meeting(), &swapped, 0.0);
    assert!(close(s.error(), 0.0), "{s:?}");
    assert_eq!(s.label_of("zoe"), Some("bob"));
    assert_eq!(s.label_of("amy"), Some("zoe"));
    assert_eq!(s.label_of("bob"), Some("amy"));
}

#[test]
fn a_missing_half_is_half_missed() {
    let reference = turns(&[(0.0, 10.0, "a"), (10.0, 20.0, "b")]);
    let s = der(&reference, &turns(&[(0.0, 10.0, "x")]), 0.0);
    assert!(close(s.missed, 10.0), "{s:?}");
    assert!(close(s.confusion + s.false_alarm, 0.0), "{s:?}");
    assert!(close(s.error(), 0.5), "{s:?}");
}

#[test]
fn the_collar_forgives_boundaries_only() {
    let reference = turns(&[(1.0, 11.0, "a"), (11.0, 21.0, "b")]);
    // Every boundary 0.2 s late.
    let late = turns(&[(1.2, 11.2, "x"), (11.2, 21.2, "y")]);
    let s = der(&reference, &late, 0.0);
    // 0.2 missed at the start, 0.2 of b given to x, 0.2 false alarm at the end.
    assert!(close(s.missed, 0.2) && close(s.confusion, 0.2), "{s:?}");
    assert!(close(s.false_alarm, 0.2), "{s:?}");
    let s = der(&reference, &late, 0.25);
    assert!(close(s.error(), 0.0), "{s:?}");
    // The collar takes 0.25 s each side of 1, 11 and 21 out of the 20 s.
    assert!(close(s.reference_speech, 20.0 - 4.0 * 0.25), "{s:?}");
    // An error away from the boundaries still counts.
    let wrong_middle = turns(&[
        (1.0, 5.0, "x"),
        (5.0, 6.0, "y"),
        (6.0, 11.0, "x"),
        (11.0, 21.0, "y"),
    ]);
    let s = der(&reference, &wrong_middle, 0.25);
    assert!(close(s.confusion, 1.0), "{s:?}");
}

#[test]
fn overlapping_speech_is_counted_per_speaker() {
    // a and b talk over each other from 4 to 6.
    let reference = turns(&[(0.0, 6.0, "a"), (4.0, 10.0, "b")]);
    let one_at_a_time = turns(&[(0.0, 5.0, "x"), (5.0, 10.0, "y")]);
    let s = der(&reference, &one_at_a_time, 0.0);
    assert!(close(s.reference_speech, 12.0), "{s:?}");
    assert!(close(s.missed, 2.0), "{s:?}");
    assert!(close(s.confusion + s.false_alarm, 0.0), "{s:?}");
    // Two hypothesis labels in a one-speaker stretch: a false alarm.
    let double = turns(&[(0.0, 6.0, "x"), (4.0, 10.0, "y"), (1.0, 2.0, "z")]);
    let s = der(&reference, &double, 0.0);
    assert!(close(s.false_alarm, 1.0) && close(s.missed, 0.0), "{s:?}");
}

#[test]
fn many_hypothesis_labels_are_paired_cheaply() {
    // Twelve one-second labels over a two-speaker reference: only one per
    // reference speaker can be right.
    let reference = turns(&[(0.0, 6.0, "a"), (6.0, 12.0, "b")]);
    let names: Vec<String> = (0..12).map(|i| format!("S{i}")).collect();
    let hyp: Vec<Turn> = (0..12)
        .map(|i| Turn::new(i as f64, i as f64 + 1.0, &names[i]))
        .collect();
    let s = der(&reference, &hyp, 0.0);
    assert!(close(s.confusion, 10.0), "{s:?}");
    assert_eq!(s.mapping.len(), 2);
}

#[test]
fn rttm_is_read_as_start_and_duration() {
    let dir = scratch();
    let path = dir.path().join("x.rttm");
    std::fs::write(
        &path,
        "SPEAKER meet 1 0.500 2.250 <NA> <NA> reader <NA> <NA>\n\
         ;; a comment\n\
         SPEAKER meet 1 3.000 4.000 <NA> <NA> jfk <NA> <NA>\n",
    )
    .unwrap();
    assert_eq!(
        read_rttm(&path),
        turns(&[(0.5, 2.75, "reader"), (3.0, 7.0, "jfk")])
    );
    assert!(parse_rttm("").is_empty());
}

/// Length of a 16 kHz mono 16-bit WAV as sox writes it, from its header.
fn wav_seconds(path: &std::path::Path) -> f64 {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[..4], b"RIFF", "{}", path.display());
    let data = bytes
        .windows(4)
        .position(|w| w == b"data")
        .expect("no data chunk");
    let len = u32::from_le_bytes(bytes[data + 4..data + 8].try_into().unwrap());
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    assert_eq!(rate, 16000, "{}", path.display());
    len as f64 / 2.0 / rate as f64
}

#[test]
fn the_meeting_fixtures_have_the_turns_their_references_say() {
    // (fixture, speakers, at least this many turns, shortest recording)
    for (name, speakers, min_turns, min_len) in [
        ("speakers-2", 2, 6, 0.0),
        ("speakers-3", 3, 8, 0.0),
        ("one-voice-long", 1, 1, 150.0),
    ] {
        let reference = read_rttm(fixture(&format!("{name}.rttm")));
        let len = wav_seconds(&fixture(&format!("{name}.wav")));
        assert!(len >= min_len, "{name}: {len} s");
        let mut who: Vec<&str> = reference.iter().map(|t| t.speaker.as_str()).collect();
        // A turn is a run of lines by one speaker.
        who.dedup();
        assert!(who.len() >= min_turns, "{name}: {who:?}");
        let mut distinct = who.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), speakers, "{name}: {who:?}");
        for s in &distinct {
            let turns = who.iter().filter(|w| *w == s).count();
            assert!(speakers == 1 || turns >= 2, "{name}: {s} has one turn");
        }
        for w in reference.windows(2) {
            assert!(w[0].end <= w[1].start, "{name}: overlap in {w:?}");
        }
        let last = reference.last().unwrap().end;
        assert!(
            last <= len + 1e-3 && len - last < 1.0,
            "{name}: turns end at {last}, audio at {len}"
        );
        // The reference scores itself perfectly.
        assert!(der(&reference, &reference, 0.25).error() < 1e-9);
    }
}
