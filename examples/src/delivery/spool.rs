//! The spool: a message body kept as it arrives, readable any number of times. Small
//! bodies stay in memory; a body larger than [`IN_MEMORY_MAX`], or one that arrives
//! while in-memory bodies already hold [`MEMORY_BUDGET`] bytes, goes to an anonymous
//! temporary file, so a 50 MB message never sits in memory and neither do many large
//! ones at once. Neither form outlives the process, because the spool holds nothing
//! acknowledged: the `250` comes only after the Maildir copies are fsynced.
//!
//! Keeping small bodies in memory saves, per message, a file created and freed (an
//! inode allocation on ext4, costly right after many deletions) and the blocking-pool
//! round trips of file writes.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

use tokio::io::{AsyncWriteExt, BufWriter};

/// Write buffer between the session and a spool file.
const BUFFER: usize = 64 * 1024;
/// The largest body kept in memory.
pub(crate) const IN_MEMORY_MAX: usize = 256 * 1024;
/// The most bytes all in-memory bodies of the process hold together.
pub(crate) const MEMORY_BUDGET: usize = 64 * 1024 * 1024;

/// The process's budget for in-memory bodies.
static PROCESS_BUDGET: LazyLock<Arc<MemoryBudget>> =
    LazyLock::new(|| Arc::new(MemoryBudget::new(MEMORY_BUDGET)));

/// Bytes that in-memory bodies may hold together.
#[derive(Debug)]
pub(crate) struct MemoryBudget {
    limit: usize,
    used: AtomicUsize,
}

impl MemoryBudget {
    /// A budget of `limit` bytes.
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            limit,
            used: AtomicUsize::new(0),
        }
    }

    /// Bytes held now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

/// Bytes of a [`MemoryBudget`] held by one body; given back when dropped.
#[derive(Debug)]
struct Held {
    budget: Arc<MemoryBudget>,
    bytes: usize,
}

impl Held {
    /// Takes `bytes` more from the budget; `false` (and nothing taken) if over its limit.
    fn take(&mut self, bytes: usize) -> bool {
        let budget = &self.budget;
        let taken = budget
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes)
                    .filter(|&total| total <= budget.limit)
            })
            .is_ok();
        if taken {
            self.bytes += bytes;
        }
        taken
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        self.budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
    }
}

/// A body being received.
#[derive(Debug)]
pub(crate) struct SpoolWriter {
    dir: PathBuf,
    sink: Sink,
    len: u64,
}

/// Where a body being received goes.
#[derive(Debug)]
enum Sink {
    Memory(Vec<u8>, Held),
    File {
        reader: Arc<File>,
        writer: BufWriter<tokio::fs::File>,
    },
}

/// A complete body, readable any number of times (concurrently).
#[derive(Debug, Clone)]
pub(crate) struct Spooled {
    body: Body,
    len: u64,
}

#[derive(Debug, Clone)]
enum Body {
    Memory(Arc<MemoryBody>),
    File(Arc<File>),
}

#[derive(Debug)]
struct MemoryBody {
    bytes: Vec<u8>,
    _held: Held,
}

impl SpoolWriter {
    /// A new empty spool: in memory, in the process's budget, and in a file in `dir`
    /// if it grows too large (the file is made then).
    pub(crate) fn create(dir: &Path) -> Self {
        Self::within(dir, &PROCESS_BUDGET)
    }

    /// A new empty spool in memory from `budget`, spilling into a file in `dir`.
    pub(crate) fn within(dir: &Path, budget: &Arc<MemoryBudget>) -> Self {
        let held = Held {
            budget: Arc::clone(budget),
            bytes: 0,
        };
        Self {
            dir: dir.to_owned(),
            sink: Sink::Memory(Vec::new(), held),
            len: 0,
        }
    }

    /// Appends body bytes.
    pub(crate) async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        if let Sink::Memory(buf, held) = &mut self.sink {
            if fits_in_memory(buf.len(), held, bytes.len()) {
                // The buffer grows only as far as the budget taken, so the budget
                // counts the memory really held.
                buf.reserve_exact(held.bytes - buf.len());
                buf.extend_from_slice(bytes);
            } else {
                self.spill().await?;
            }
        }
        if let Sink::File { writer, .. } = &mut self.sink {
            writer.write_all(bytes).await?;
        }
        self.len = self.len.saturating_add(bytes.len() as u64);
        Ok(())
    }

    /// Moves what is in memory into a new spool file, which takes the rest.
    async fn spill(&mut self) -> io::Result<()> {
        let dir = self.dir.clone();
        let file = tokio::task::spawn_blocking(move || tempfile::tempfile_in(dir))
            .await
            .map_err(io::Error::other)??;
        let mut writer =
            BufWriter::with_capacity(BUFFER, tokio::fs::File::from_std(file.try_clone()?));
        if let Sink::Memory(buf, _) = &self.sink {
            writer.write_all(buf).await?;
        }
        // Dropping the memory sink gives its bytes back to the budget.
        self.sink = Sink::File {
            reader: Arc::new(file),
            writer,
        };
        Ok(())
    }

    /// The complete body, for reading.
    pub(crate) async fn finish(self) -> io::Result<Spooled> {
        let body = match self.sink {
            Sink::Memory(bytes, held) => Body::Memory(Arc::new(MemoryBody { bytes, _held: held })),
            Sink::File { reader, mut writer } => {
                writer.flush().await?;
                Body::File(reader)
            }
        };
        Ok(Spooled {
            body,
            len: self.len,
        })
    }

    /// Whether the body went to a file.
    #[cfg(test)]
    fn in_file(&self) -> bool {
        matches!(self.sink, Sink::File { .. })
    }
}

/// Whether `more` bytes can join the `buffered` ones in memory, taking budget for them
/// if so. The budget is taken in steps of at least 16 KiB, doubling what is held, so a
/// body arriving in small chunks touches the shared counter (and grows its buffer) a few
/// times, not once per chunk.
fn fits_in_memory(buffered: usize, held: &mut Held, more: usize) -> bool {
    const STEP: usize = 16 * 1024;
    let wanted = buffered + more;
    if wanted > IN_MEMORY_MAX {
        return false;
    }
    if wanted <= held.bytes {
        return true;
    }
    let step = (wanted - held.bytes)
        .max(STEP)
        .max(held.bytes)
        .min(IN_MEMORY_MAX - held.bytes);
    held.take(step) || held.take(wanted - held.bytes)
}

impl Spooled {
    /// A complete message already on disk (a queued message), read like a spool.
    pub(crate) async fn open(path: &Path) -> io::Result<Self> {
        let file = tokio::fs::File::open(path).await?.into_std().await;
        let len = file.metadata()?.len();
        Ok(Self {
            body: Body::File(Arc::new(file)),
            len,
        })
    }

    /// The body's size in bytes.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// A reader of `prefix` followed by the body.
    pub(crate) fn reader(&self, prefix: Vec<u8>) -> impl Read + use<> {
        io::Cursor::new(prefix).chain(BodyReader {
            body: self.body.clone(),
            pos: 0,
            len: self.len,
        })
    }
}

/// Reads a body by position, so several readers never disturb each other.
struct BodyReader {
    body: Body,
    pos: u64,
    len: u64,
}

impl Read for BodyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.len - self.pos;
        let want = buf.len().min(usize::try_from(left).unwrap_or(usize::MAX));
        if want == 0 {
            return Ok(0);
        }
        let n = match &self.body {
            Body::Memory(memory) => {
                // `pos < len == bytes.len()`, which fits in memory, so in a usize.
                let at = self.pos as usize;
                buf[..want].copy_from_slice(&memory.bytes[at..at + want]);
                want
            }
            Body::File(file) => file.read_at(&mut buf[..want], self.pos)?,
        };
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

    fn read_all(spooled: &Spooled, prefix: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        spooled
            .reader(prefix.to_vec())
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    /// `len` bytes that differ from one position to the next, in `chunk`-byte writes.
    async fn write_pattern(w: &mut SpoolWriter, len: usize, chunk: usize) -> Vec<u8> {
        let body: Vec<u8> = (0..len).map(|i| (i % 251) as u8).collect();
        for part in body.chunks(chunk) {
            w.write(part).await.unwrap();
        }
        body
    }

    #[tokio::test]
    async fn small_body_stays_in_memory_and_reads_back_with_prefix_twice() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Arc::new(MemoryBudget::new(MEMORY_BUDGET));
        let mut w = SpoolWriter::within(dir.path(), &budget);
        w.write(b"Subject: s\r\n\r\n").await.unwrap();
        let body = write_pattern(&mut w, 100_000, 999).await;
        assert!(!w.in_file());
        let spooled = w.finish().await.unwrap();
        assert_eq!(spooled.len(), 100_014);
        assert!(budget.used() >= 100_014);
        let Body::Memory(memory) = &spooled.body else {
            panic!("a small body went to a file");
        };
        assert!(
            memory.bytes.capacity() <= budget.used(),
            "memory beyond the budget"
        );
        for _ in 0..2 {
            let out = read_all(&spooled, b"H: 1\r\n");
            assert_eq!(out.len(), 100_020);
            assert!(out.starts_with(b"H: 1\r\nSubject: s\r\n\r\n"));
            assert_eq!(&out[20..], &body[..]);
        }
        let copy = spooled.clone();
        drop(spooled);
        assert!(budget.used() > 0, "a clone still holds the body");
        drop(copy);
        assert_eq!(budget.used(), 0);
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn the_buffer_never_holds_more_than_the_budget_taken() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Arc::new(MemoryBudget::new(MEMORY_BUDGET));
        let mut w = SpoolWriter::within(dir.path(), &budget);
        // A Vec left to itself would double 10,000 to 20,000 bytes here, past the
        // 16 KiB step taken.
        for chunk in [10_000, 1_000, 6_000, 30_000] {
            w.write(&vec![b'x'; chunk]).await.unwrap();
            let Sink::Memory(buf, held) = &w.sink else {
                panic!("a small body went to a file");
            };
            assert!(
                buf.capacity() <= held.bytes,
                "{} > {}",
                buf.capacity(),
                held.bytes
            );
            assert_eq!(held.bytes, budget.used());
        }
    }

    #[tokio::test]
    async fn large_body_spills_into_an_unnamed_file_and_gives_its_memory_back() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Arc::new(MemoryBudget::new(MEMORY_BUDGET));
        let mut w = SpoolWriter::within(dir.path(), &budget);
        let body = write_pattern(&mut w, IN_MEMORY_MAX + 70_000, 8_192).await;
        assert!(w.in_file());
        assert_eq!(budget.used(), 0);
        let spooled = w.finish().await.unwrap();
        assert_eq!(spooled.len(), body.len() as u64);
        for _ in 0..2 {
            assert_eq!(read_all(&spooled, b""), body);
        }
        // The spool file has no name in the directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn bodies_beyond_the_budget_go_to_files_until_memory_is_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let budget = Arc::new(MemoryBudget::new(40_000));
        let mut first = SpoolWriter::within(dir.path(), &budget);
        let first_body = write_pattern(&mut first, 30_000, 1_000).await;
        let first = first.finish().await.unwrap();

        let mut second = SpoolWriter::within(dir.path(), &budget);
        let second_body = write_pattern(&mut second, 20_000, 1_000).await;
        assert!(second.in_file(), "30,000 + 20,000 bytes exceed the budget");
        let second = second.finish().await.unwrap();
        assert_eq!(read_all(&first, b""), first_body);
        assert_eq!(read_all(&second, b""), second_body);

        drop(first);
        let mut third = SpoolWriter::within(dir.path(), &budget);
        write_pattern(&mut third, 20_000, 1_000).await;
        assert!(!third.in_file());
        drop(third);
        assert_eq!(budget.used(), 0);
    }
}
