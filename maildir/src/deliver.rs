//! Streaming a message into its `tmp/` file while counting its size and its
//! size with CRLF line endings (IMAP's RFC822.SIZE, Maildir's `W=`).

use std::cell::RefCell;
use std::io::{self, Read, Write};

use crate::flags::Flags;

const CHUNK: usize = 64 * 1024;

/// How a message is delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryOptions {
    /// fsync the message file and the directories before reporting success
    /// (default `true`). Without it a crash may lose a delivered message.
    pub fsync: bool,
    /// Flags to deliver with. A message with flags or keywords goes straight
    /// to `cur/`, otherwise to `new/`.
    pub flags: Flags,
    /// Keywords to deliver with.
    pub keywords: Vec<String>,
}

impl Default for DeliveryOptions {
    fn default() -> Self {
        Self {
            fsync: true,
            flags: Flags::empty(),
            keywords: Vec::new(),
        }
    }
}

/// Counts bytes and bare LFs across chunk boundaries.
#[derive(Debug, Default)]
pub(crate) struct SizeCounter {
    size: u64,
    bare_lf: u64,
    last: Option<u8>,
}

impl SizeCounter {
    pub(crate) fn update(&mut self, chunk: &[u8]) {
        for pos in memchr::memchr_iter(b'\n', chunk) {
            let prev = if pos == 0 {
                self.last
            } else {
                Some(chunk[pos - 1])
            };
            if prev != Some(b'\r') {
                self.bare_lf += 1;
            }
        }
        if let Some(&b) = chunk.last() {
            self.last = Some(b);
        }
        self.size += chunk.len() as u64;
    }

    /// (size, size with every bare LF counted as CRLF).
    pub(crate) fn sizes(&self) -> (u64, u64) {
        (self.size, self.size.saturating_add(self.bare_lf))
    }
}

/// Copies `reader` into `writer`, returning (size, vsize).
pub(crate) fn copy_counting<R: Read, W: Write>(
    mut reader: R,
    mut writer: W,
) -> io::Result<(u64, u64)> {
    thread_local! {
        // One buffer per thread, reused: a fresh zeroed 64 KiB per message showed up
        // in delivery profiles.
        static BUFFER: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buf| {
        buf.resize(CHUNK, 0);
        let mut counter = SizeCounter::default();
        loop {
            let n = match reader.read(buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            writer.write_all(&buf[..n])?;
            counter.update(&buf[..n]);
        }
        writer.flush()?;
        Ok(counter.sizes())
    })
}

/// A writer that fails with "no space left" after a byte budget: lets tests
/// simulate a full disk in the middle of a delivery.
#[cfg(test)]
pub(crate) struct FailingWriter<W> {
    pub(crate) inner: W,
    pub(crate) budget: u64,
}

#[cfg(test)]
impl<W: Write> Write for FailingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.budget == 0 {
            return Err(io::Error::from_raw_os_error(28)); // ENOSPC
        }
        let n = buf
            .len()
            .min(usize::try_from(self.budget).unwrap_or(usize::MAX));
        let written = self.inner.write(&buf[..n])?;
        self.budget -= written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn vsize_direct(data: &[u8]) -> u64 {
        let mut v = 0u64;
        for (i, &b) in data.iter().enumerate() {
            if b == b'\n' && (i == 0 || data[i - 1] != b'\r') {
                v += 1;
            }
            v += 1;
        }
        v
    }

    #[test]
    fn counts_crlf_size() {
        let mut out = Vec::new();
        let sizes = copy_counting(&b"a\nb\r\nc\n"[..], &mut out).unwrap();
        assert_eq!(sizes, (7, 9));
        assert_eq!(out, b"a\nb\r\nc\n");
    }

    #[test]
    fn failing_writer_fails() {
        let mut sink = Vec::new();
        let w = FailingWriter {
            inner: &mut sink,
            budget: 3,
        };
        let e = copy_counting(&b"hello"[..], w).unwrap_err();
        assert_eq!(e.raw_os_error(), Some(28));
        assert_eq!(sink, b"hel");
    }

    proptest! {
        #[test]
        fn chunked_counting_matches(data in prop::collection::vec(prop::sample::select(vec![b'a', b'\r', b'\n']), 0..200),
                                    cut in prop::collection::vec(0usize..200, 0..6)) {
            let mut counter = SizeCounter::default();
            let mut cuts: Vec<usize> = cut.into_iter().map(|c| c.min(data.len())).collect();
            cuts.push(0);
            cuts.push(data.len());
            cuts.sort_unstable();
            for pair in cuts.windows(2) {
                counter.update(&data[pair[0]..pair[1]]);
            }
            prop_assert_eq!(counter.sizes(), (data.len() as u64, vsize_direct(&data)));
        }
    }
}
