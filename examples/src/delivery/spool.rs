//! The spool: a message body streamed to an anonymous temporary file as it arrives, so
//! a 50 MB message never sits in memory. The file has no name (it vanishes with the
//! process), because it holds nothing acknowledged: the `250` comes only after the
//! Maildir copies are fsynced.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;

use tokio::io::{AsyncWriteExt, BufWriter};

/// Write buffer between the session and the file.
const BUFFER: usize = 64 * 1024;

/// A body being received.
#[derive(Debug)]
pub(crate) struct SpoolWriter {
    reader: Arc<File>,
    writer: BufWriter<tokio::fs::File>,
    len: u64,
}

/// A complete body, readable any number of times (concurrently, by position).
#[derive(Debug, Clone)]
pub(crate) struct Spooled {
    file: Arc<File>,
    len: u64,
}

impl SpoolWriter {
    /// A new empty spool file in `dir`.
    pub(crate) async fn create(dir: &Path) -> io::Result<Self> {
        let dir = dir.to_owned();
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .map_err(io::Error::other)??;
        let writer = file.try_clone()?;
        Ok(Self {
            reader: Arc::new(file),
            writer: BufWriter::with_capacity(BUFFER, tokio::fs::File::from_std(writer)),
            len: 0,
        })
    }

    /// Appends body bytes.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.writer.write_all(bytes).await?;
        self.len = self.len.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Flushes the body to the file for reading.
    pub(crate) async fn finish(mut self) -> io::Result<Spooled> {
        self.writer.flush().await?;
        Ok(Spooled {
            file: self.reader,
            len: self.len,
        })
    }
}

impl Spooled {
    /// A complete message already on disk (a queued message), read like a spool.
    pub(crate) async fn open(path: &Path) -> io::Result<Self> {
        let file = tokio::fs::File::open(path).await?.into_std().await;
        let len = file.metadata()?.len();
        Ok(Self {
            file: Arc::new(file),
            len,
        })
    }

    /// The body's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// A reader of `prefix` followed by the body.
    pub(crate) fn reader(&self, prefix: Vec<u8>) -> impl Read + use<> {
        io::Cursor::new(prefix).chain(SpoolReader {
            file: Arc::clone(&self.file),
            pos: 0,
            len: self.len,
        })
    }
}

/// Reads the spool by position, so several readers never disturb each other.
struct SpoolReader {
    file: Arc<File>,
    pos: u64,
    len: u64,
}

impl Read for SpoolReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..want], self.pos)?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "spool file shorter than written",
            ));
        }
        self.pos += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn spooled_body_reads_back_with_prefix_twice() {
        let dir = tempfile::tempdir().unwrap();
        let mut w = SpoolWriter::create(dir.path()).await.unwrap();
        let chunk = vec![b'x'; 100_000];
        w.write(b"Subject: s\r\n\r\n").await.unwrap();
        w.write(&chunk).await.unwrap();
        let spooled = w.finish().await.unwrap();
        assert_eq!(spooled.len(), 100_014);
        for _ in 0..2 {
            let mut out = Vec::new();
            spooled
                .reader(b"H: 1\r\n".to_vec())
                .read_to_end(&mut out)
                .unwrap();
            assert_eq!(out.len(), 100_020);
            assert!(out.starts_with(b"H: 1\r\nSubject: s\r\n\r\nxxx"));
        }
        // The spool file has no name in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }
}
