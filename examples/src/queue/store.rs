//! The queue directory on disk, and the crash-safe ways it changes.
//!
//! ```text
//! <dir>/messages/<ID>.msg     the message as it is sent (trace headers + body); never changes
//! <dir>/messages/<ID>.state   envelope + per-recipient state (TOML); replaced atomically
//! <dir>/tmp/                  files being written; emptied when the queue opens
//! <dir>/corrupt/              state files that cannot be read, kept for a human
//! <dir>/control.sock          the running queue's control socket (see `control`)
//! ```
//!
//! Every file is written in `tmp/`, fsynced, renamed into `messages/`, and then
//! `messages/` itself is fsynced. A message exists once its `.state` file does:
//! [`Store::create`] writes the `.msg` first and the `.state` last, [`Store::remove`]
//! removes the `.state` first and the `.msg` last. So after a crash at any moment a
//! `.msg` without a `.state` is a message that was never acknowledged or is already
//! finished, and [`Store::recover`] removes it; a `.state` always has its `.msg`.

use std::fmt::Write as _;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use super::state::MessageState;

/// Names of the files of one message.
const MESSAGE_EXT: &str = "msg";
const STATE_EXT: &str = "state";

/// Makes temporary file names unique within the process.
static TEMP_SEQ: AtomicU64 = AtomicU64::new(0);

/// The layout of a queue directory.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    root: PathBuf,
}

/// What [`Store::recover`] found and did.
#[derive(Debug, Default)]
pub(crate) struct Recovery {
    /// The messages in the queue.
    pub(crate) messages: Vec<MessageState>,
    /// Unfinished temporary files removed.
    pub(crate) temp_removed: usize,
    /// Message files without a state file removed (unacknowledged or finished).
    pub(crate) orphans_removed: usize,
    /// State files moved to `corrupt/`.
    pub(crate) corrupt: usize,
}

impl Store {
    /// The queue in `root` (nothing is touched yet).
    pub(crate) fn new(root: &Path) -> Self {
        Self {
            root: root.to_owned(),
        }
    }

    /// The queue directory.
    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    fn messages_dir(&self) -> PathBuf {
        self.root.join("messages")
    }

    fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    fn corrupt_dir(&self) -> PathBuf {
        self.root.join("corrupt")
    }

    /// The control socket's path.
    pub(crate) fn socket_path(&self) -> PathBuf {
        self.root.join("control.sock")
    }

    /// The content file of message `id`.
    pub(crate) fn message_path(&self, id: &str) -> PathBuf {
        self.messages_dir().join(format!("{id}.{MESSAGE_EXT}"))
    }

    /// The state file of message `id`.
    pub(crate) fn state_path(&self, id: &str) -> PathBuf {
        self.messages_dir().join(format!("{id}.{STATE_EXT}"))
    }

    /// Creates the directories (mode 0700) when missing.
    pub(crate) fn create_dirs(&self) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        for dir in [
            self.root.clone(),
            self.messages_dir(),
            self.tmp_dir(),
            self.corrupt_dir(),
        ] {
            fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(&dir)?;
        }
        Ok(())
    }

    /// A fresh temporary file in `tmp/`.
    fn temp_file(&self, id: &str, ext: &str) -> io::Result<(PathBuf, File)> {
        loop {
            let seq = TEMP_SEQ.fetch_add(1, Ordering::Relaxed);
            let path = self
                .tmp_dir()
                .join(format!("{id}.{}.{seq}.{ext}", std::process::id()));
            match fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
            {
                Ok(file) => return Ok((path, file)),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes `content` to `tmp/`, fsyncs it and renames it to `target` (then fsyncs
    /// `messages/`). Returns the number of bytes written.
    fn install(
        &self,
        id: &str,
        ext: &str,
        content: &mut dyn Read,
        target: &Path,
    ) -> io::Result<u64> {
        let (temp, mut file) = self.temp_file(id, ext)?;
        let written = (|| -> io::Result<u64> {
            let mut writer = io::BufWriter::with_capacity(64 * 1024, &mut file);
            let n = io::copy(content, &mut writer)?;
            writer.flush()?;
            drop(writer);
            file.sync_all()?;
            fs::rename(&temp, target)?;
            Ok(n)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        let written = written?;
        sync_dir(&self.messages_dir())?;
        Ok(written)
    }

    /// Stores a new message: its content (from `content`) and then its state. Durable
    /// when this returns `Ok`; on an error nothing of it is left behind.
    pub(crate) fn create(&self, state: &MessageState, content: &mut dyn Read) -> io::Result<u64> {
        let id = state.id.as_str();
        let result = self
            .install(id, MESSAGE_EXT, content, &self.message_path(id))
            .and_then(|size| self.write_state(state).map(|()| size));
        if result.is_err() {
            let _ = fs::remove_file(self.state_path(id));
            let _ = fs::remove_file(self.message_path(id));
        }
        result
    }

    /// Replaces the state file of `state.id` atomically.
    pub(crate) fn write_state(&self, state: &MessageState) -> io::Result<()> {
        let text = toml::to_string(state).map_err(io::Error::other)?;
        let id = state.id.as_str();
        self.install(id, STATE_EXT, &mut text.as_bytes(), &self.state_path(id))
            .map(|_| ())
    }

    /// Removes message `id`: the state file first (the message is gone from then on),
    /// then the content. A missing file is not an error.
    pub(crate) fn remove(&self, id: &str) -> io::Result<()> {
        remove_if_present(&self.state_path(id))?;
        sync_dir(&self.messages_dir())?;
        remove_if_present(&self.message_path(id))?;
        sync_dir(&self.messages_dir())
    }

    /// Reads and checks the state file of `id`.
    pub(crate) fn read_state(&self, id: &str) -> io::Result<MessageState> {
        let text = fs::read_to_string(self.state_path(id))?;
        let state: MessageState = toml::from_str(&text)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?;
        state
            .validate(id)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        Ok(state)
    }

    /// The ids with a state file, sorted (ids sort by arrival).
    pub(crate) fn ids(&self) -> io::Result<Vec<String>> {
        let mut ids = Vec::new();
        for entry in fs::read_dir(self.messages_dir())? {
            let name = entry?.file_name();
            let Some(name) = name.to_str() else { continue };
            if let Some(id) = name.strip_suffix(".state")
                && is_valid_id(id)
            {
                ids.push(id.to_owned());
            }
        }
        ids.sort();
        Ok(ids)
    }

    /// Brings the directory back to a consistent state after a stop at any moment, and
    /// returns the messages in it. Only the process that owns the queue may call this.
    pub(crate) fn recover(&self) -> io::Result<Recovery> {
        let mut recovery = Recovery::default();
        for entry in fs::read_dir(self.tmp_dir())? {
            remove_if_present(&entry?.path())?;
            recovery.temp_removed += 1;
        }
        let mut names = Vec::new();
        for entry in fs::read_dir(self.messages_dir())? {
            names.push(entry?.file_name());
        }
        for name in &names {
            let path = self.messages_dir().join(name);
            let name = name.to_string_lossy();
            match name.rsplit_once('.') {
                Some((id, MESSAGE_EXT)) if self.state_path(id).exists() => {}
                Some((_, MESSAGE_EXT)) => {
                    remove_if_present(&path)?;
                    recovery.orphans_removed += 1;
                }
                Some((id, STATE_EXT)) => match self.load(id) {
                    Ok(state) => recovery.messages.push(state),
                    Err(reason) => {
                        tracing::error!(
                            "queue: state file {} is unusable ({reason}); moved to {}",
                            path.display(),
                            self.corrupt_dir().display()
                        );
                        fs::rename(&path, self.corrupt_dir().join(name.as_ref()))?;
                        let content = self.message_path(id);
                        if content.exists() {
                            fs::rename(
                                &content,
                                self.corrupt_dir().join(format!("{id}.{MESSAGE_EXT}")),
                            )?;
                        }
                        recovery.corrupt += 1;
                    }
                },
                _ => tracing::warn!("queue: ignoring unknown file {}", path.display()),
            }
        }
        sync_dir(&self.messages_dir())?;
        recovery.messages.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(recovery)
    }

    /// A state file and its content file, checked.
    fn load(&self, id: &str) -> Result<MessageState, String> {
        if !is_valid_id(id) {
            return Err("not a queue id".to_owned());
        }
        if !self.message_path(id).exists() {
            return Err("its message file is missing".to_owned());
        }
        self.read_state(id).map_err(|e| e.to_string())
    }
}

/// fsyncs a directory, so renames and removals in it are durable.
pub(crate) fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Orders ids made in the same microsecond.
static ID_SEQ: AtomicU64 = AtomicU64::new(0);

/// A new queue id, 24 upper-case hex digits: the arrival time in microseconds, a
/// sequence number (so ids sort by arrival, also within one microsecond), and 24
/// random bits (so ids of different processes differ).
pub(crate) fn new_id(now_micros: u128) -> String {
    let mut random = [0u8; 3];
    // Without an entropy source the time and sequence still make the id unique here.
    let _ = getrandom::fill(&mut random);
    let seq = ID_SEQ.fetch_add(1, Ordering::Relaxed) & 0xFFFF;
    let mut id = format!("{:014X}{seq:04X}", now_micros & 0xFF_FFFF_FFFF_FFFF);
    for byte in random {
        let _ = write!(id, "{byte:02X}");
    }
    id
}

/// Whether `id` looks like a queue id (so it is safe in a path).
pub(crate) fn is_valid_id(id: &str) -> bool {
    (1..=64).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_alphanumeric())
}
