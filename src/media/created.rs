//! When a recording was made, from the container's own header.
//!
//! The meeting's date should not depend on when a file was copied: MP4/MOV
//! (phones, Zoom, Teams, OBS) record their creation time in the movie header
//! (`moov/mvhd`), which symphonia reads past without exposing. Only box
//! headers are read, never media data, so this costs a few small reads.
//! Files decoded through ffmpeg get ffprobe's `creation_time` tag instead.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use jiff::Timestamp;

/// Seconds from 1904-01-01 (the MP4 epoch) to 1970-01-01.
const MP4_EPOCH_OFFSET: i64 = 2_082_844_800;

/// The creation time in an MP4/MOV file's movie header, when it has one.
/// Zero (a muxer that left it blank) and unreadable headers give `None`.
pub fn mp4_creation_time(path: &Path) -> Option<Timestamp> {
    let mut file = File::open(path).ok()?;
    let end = file.metadata().ok()?.len();
    let (moov, moov_end) = find_box(&mut file, 0, end, b"moov")?;
    let (mvhd, _) = find_box(&mut file, moov, moov_end, b"mvhd")?;
    file.seek(SeekFrom::Start(mvhd)).ok()?;
    let mut version = [0u8; 4];
    file.read_exact(&mut version).ok()?;
    let seconds = match version[0] {
        0 => {
            let mut b = [0u8; 4];
            file.read_exact(&mut b).ok()?;
            i64::from(u32::from_be_bytes(b))
        }
        1 => {
            let mut b = [0u8; 8];
            file.read_exact(&mut b).ok()?;
            i64::try_from(u64::from_be_bytes(b)).ok()?
        }
        _ => return None,
    };
    if seconds == 0 {
        return None;
    }
    Timestamp::from_second(seconds.checked_sub(MP4_EPOCH_OFFSET)?).ok()
}

/// The payload range of the first box of type `kind` between `start` and `end`.
fn find_box(file: &mut File, start: u64, end: u64, kind: &[u8; 4]) -> Option<(u64, u64)> {
    let mut at = start;
    while at.checked_add(8)? <= end {
        file.seek(SeekFrom::Start(at)).ok()?;
        let mut header = [0u8; 8];
        file.read_exact(&mut header).ok()?;
        let size32 = u32::from_be_bytes([header[0], header[1], header[2], header[3]]);
        let (size, header_len) = match size32 {
            0 => (end - at, 8),
            1 => {
                let mut large = [0u8; 8];
                file.read_exact(&mut large).ok()?;
                (u64::from_be_bytes(large), 16)
            }
            n => (u64::from(n), 8),
        };
        if size < header_len || at.checked_add(size)? > end {
            return None;
        }
        if &header[4..8] == kind {
            return Some((at + header_len, at + size));
        }
        at += size;
    }
    None
}

/// ffprobe's `creation_time` tag (ISO 8601, usually UTC with `Z`).
pub fn parse_tag(value: &str) -> Option<Timestamp> {
    value.trim().parse::<Timestamp>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mp4_with_mvhd(version: u8, seconds: u64) -> Vec<u8> {
        let mut mvhd = vec![version, 0, 0, 0];
        match version {
            0 => mvhd.extend_from_slice(&(seconds as u32).to_be_bytes()),
            _ => mvhd.extend_from_slice(&seconds.to_be_bytes()),
        }
        mvhd.extend_from_slice(&[0u8; 20]);
        let boxed = |kind: &[u8; 4], body: &[u8]| {
            let mut b = ((body.len() + 8) as u32).to_be_bytes().to_vec();
            b.extend_from_slice(kind);
            b.extend_from_slice(body);
            b
        };
        let mut file = boxed(b"ftyp", b"isomiso2");
        file.extend(boxed(b"free", &[0u8; 3]));
        file.extend(boxed(b"moov", &boxed(b"mvhd", &mvhd)));
        file
    }

    #[test]
    fn reads_the_movie_header_creation_time() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.mp4");
        // 2026-11-29T23:30:00Z
        let unix = 1_795_995_000i64;
        for version in [0, 1] {
            std::fs::write(&p, mp4_with_mvhd(version, (unix + MP4_EPOCH_OFFSET) as u64)).unwrap();
            assert_eq!(
                mp4_creation_time(&p),
                Some(Timestamp::from_second(unix).unwrap())
            );
        }
        std::fs::write(&p, mp4_with_mvhd(0, 0)).unwrap();
        assert_eq!(mp4_creation_time(&p), None, "a blank time is no time");
        std::fs::write(&p, b"\x00\x00\x00\x08moov\xff\xff").unwrap();
        assert_eq!(mp4_creation_time(&p), None);
        std::fs::write(&p, b"\xff\xff\xff\xffmoov").unwrap();
        assert_eq!(mp4_creation_time(&p), None, "a box larger than the file");
    }

    #[test]
    fn reads_ffprobe_tags() {
        assert_eq!(
            parse_tag("2026-11-29T23:30:00.000000Z"),
            Some(Timestamp::from_second(1_795_995_000).unwrap())
        );
        assert_eq!(parse_tag("yesterday"), None);
    }
}
