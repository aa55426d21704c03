//! `dovecot-uidlist` on disk: whole reads, appends of new records, and
//! atomic rewrites.
//!
//! Adding messages appends their records, as Dovecot 2.3 does: one `write`
//! at the end of the file under the dotlock, then `fdatasync`, so that a
//! delivery costs the same in a folder of ten messages or of a million. The
//! header is left alone (the next UID follows from the last record). The
//! file is rewritten (temporary file, fsync, rename) only when appending is
//! not enough: when it does not exist yet, when records must go (the
//! messages are gone), when it is in version 1 format, or when it ends with
//! a line cut short by a crashed or failed writer, which an append would
//! glue onto the new record.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::FileExt;
use std::path::Path;

use crate::error::{Error, Result, io_err};
use crate::fsutil::{read_optional, replace_file};
use crate::uidlist::{AppendPoint, Record, Uidlist};

/// How much of the start and the end of the file an appender reads: the
/// header and the last record line fit in it unless they are absurdly long,
/// in which case the whole file is read.
const PEEK: u64 = 4096;

/// A whole uidlist as read.
#[derive(Debug)]
pub(crate) struct Loaded {
    pub(crate) list: Uidlist,
    /// Version 3 and ending with a complete line: records may be appended.
    pub(crate) appendable: bool,
}

/// Reads and parses the whole file; `None` if it does not exist.
pub(crate) fn load(path: &Path) -> Result<Option<Loaded>> {
    let Some(text) = read_optional(path)? else {
        return Ok(None);
    };
    let (list, appendable) = Uidlist::parse_file(&text).map_err(|e| Error::CorruptUidlist {
        path: path.to_owned(),
        line: e.line,
        reason: e.reason,
    })?;
    Ok(Some(Loaded { list, appendable }))
}

/// The UIDVALIDITY and next UID, from the first and last lines only.
/// `None` when appending is not possible or not known to be safe (no file,
/// version 1, a cut-short or unparsable last line): the caller then reads
/// the whole file, which also reports corruption precisely.
pub(crate) fn append_point(path: &Path) -> Result<Option<AppendPoint>> {
    let file = match File::open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_err("open", path)(e)),
    };
    let len = file.metadata().map_err(io_err("stat", path))?.len();
    let head = read_chunk(&file, 0, len.min(PEEK)).map_err(io_err("read", path))?;
    let Some(header_end) = memchr::memchr(b'\n', &head) else {
        return Ok(None);
    };
    let tail_start = len.saturating_sub(PEEK);
    let tail = read_chunk(&file, tail_start, len - tail_start).map_err(io_err("read", path))?;
    let Some((&b'\n', before_newline)) = tail.split_last() else {
        return Ok(None); // cut short (or empty)
    };
    let last = match memchr::memrchr(b'\n', before_newline) {
        // When `i` is the header's own newline, what follows is the only record.
        Some(i) => Some(&before_newline[i + 1..]),
        None if tail_start == 0 => None, // the header is the only line
        None => return Ok(None),         // a last line longer than PEEK
    };
    let (Ok(header), Ok(last)) = (
        std::str::from_utf8(&head[..header_end]),
        last.map(std::str::from_utf8).transpose(),
    ) else {
        return Ok(None);
    };
    Ok(Uidlist::append_point(header, last))
}

fn read_chunk(file: &File, offset: u64, len: u64) -> io::Result<Vec<u8>> {
    let mut buf = vec![0u8; usize::try_from(len).unwrap_or(usize::MAX)];
    file.read_exact_at(&mut buf, offset)?;
    Ok(buf)
}

/// Appends `records` with one write and makes them durable (`fdatasync`)
/// when `fsync` is set. On failure the file is cut back to its old length,
/// so no fragment is left for the next writer.
pub(crate) fn append(path: &Path, records: &[Record], fsync: bool) -> Result<()> {
    let mut text = String::with_capacity(records.len() * 64);
    for record in records {
        record.write_line(&mut text);
    }
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .map_err(io_err("open", path))?;
    let old_len = file.metadata().map_err(io_err("stat", path))?.len();
    let written = file
        .write_all(text.as_bytes())
        .map_err(io_err("write", path))
        .and_then(|()| {
            if fsync {
                file.sync_data().map_err(io_err("fsync", path))?;
            }
            Ok(())
        });
    if written.is_err() {
        // We hold the lock: nobody else has written after us.
        let _ = file.set_len(old_len);
    }
    written
}

/// Replaces the file with `list`, atomically.
pub(crate) fn rewrite(dir: &Path, name: &str, list: &Uidlist, fsync: bool) -> Result<()> {
    replace_file(dir, name, list.to_text().as_bytes(), fsync)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn point(text: &str) -> Option<AppendPoint> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dovecot-uidlist");
        fs::write(&path, text).unwrap();
        append_point(&path).unwrap()
    }

    fn at(uid_validity: u32, next_uid: u32) -> Option<AppendPoint> {
        Some(AppendPoint {
            uid_validity,
            next_uid,
        })
    }

    #[test]
    fn append_point_reads_header_and_last_line() {
        assert_eq!(point("3 V7 N1 Gab\n"), at(7, 1));
        assert_eq!(point("3 V7 N3 Gab\n1 :a\n2 W5 :b\n"), at(7, 3));
        // The header lags behind appended records, or is ahead of them.
        assert_eq!(point("3 V7 N2\n1 :a\n9 :b\n"), at(7, 10));
        assert_eq!(point("3 V7 N40\n1 :a\n9 :b\n"), at(7, 40));
        // A single record after the header counts too (the file was rewritten
        // empty, then one message was appended).
        assert_eq!(point("3 V7 N3 Gab\n3 :c\n"), at(7, 4));
        assert_eq!(point("3 V7 N1\n5 :a\n"), at(7, 6));
    }

    #[test]
    fn append_point_declines_what_needs_a_full_read() {
        assert_eq!(point(""), None);
        assert_eq!(point("3 V7 N3"), None);
        assert_eq!(point("3 V7 N3\n1 :a\n2 :b"), None, "cut short");
        assert_eq!(point("1 7 3\n1 a\n"), None, "version 1");
        assert_eq!(point("3 V7 N3\n1 :a\ngarbage\n"), None);
        let long = format!("3 V7 N3\n1 :{}\n", "x".repeat(5000));
        assert_eq!(point(&long), None);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(append_point(&dir.path().join("missing")).unwrap(), None);
    }

    #[test]
    fn append_point_in_a_long_file() {
        let mut text = "3 V7 N1 G0123\n".to_owned();
        for uid in 1..=500u32 {
            text.push_str(&format!("{uid} :{uid}.M1P1.host,S=10,W=11\n"));
        }
        assert_eq!(point(&text), at(7, 501));
    }

    #[test]
    fn append_adds_lines_and_keeps_the_inode() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("dovecot-uidlist");
        fs::write(&path, "3 V7 N2 Gab\n1 :a\n").unwrap();
        let ino = fs::metadata(&path).unwrap().ino();
        let records = [
            Record {
                uid: 2,
                extensions: vec![('W', "9".into())],
                base: "b".into(),
            },
            Record {
                uid: 3,
                extensions: Vec::new(),
                base: "c".into(),
            },
        ];
        append(&path, &records, true).unwrap();
        assert_eq!(
            fs::read_to_string(&path).unwrap(),
            "3 V7 N2 Gab\n1 :a\n2 W9 :b\n3 :c\n"
        );
        assert_eq!(fs::metadata(&path).unwrap().ino(), ino);
        assert_eq!(append_point(&path).unwrap(), at(7, 4));
    }
}
