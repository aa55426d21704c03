//! A user's Sieve scripts on disk, laid out as Dovecot's Pigeonhole keeps them with
//! `sieve = file:~/sieve;active=~/.dovecot.sieve`, so the same home works with either
//! server:
//!
//! ```text
//! <vmail>/<domain>/<user>/Maildir/             the mail
//! <vmail>/<domain>/<user>/sieve/NAME.sieve     one file per script
//! <vmail>/<domain>/<user>/sieve/tmp/           uploads in progress
//! <vmail>/<domain>/<user>/.dovecot.sieve -> sieve/NAME.sieve   the active script
//! ```
//!
//! Writes are durable: a script is written to `sieve/tmp/`, synced, renamed into place,
//! and the directory synced. Activation makes a new symlink under a temporary name and
//! renames it over `.dovecot.sieve`, so the active script changes atomically. A
//! `.dovecot.sieve` that is a regular file (a script written before ManageSieve was
//! used) is first moved into the storage as `dovecot.orig`, as Pigeonhole does.
//! Names are [`ScriptName`]s, which cannot leave the `sieve` directory.
//!
//! Everything here blocks: call it from the blocking pool, under [`StoreLocks`].

use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use super::proto::ScriptName;

/// The script directory, relative to the user's home.
pub(crate) const SCRIPT_DIR: &str = "sieve";
/// The active-script symlink, relative to the user's home.
pub(crate) const ACTIVE_LINK: &str = ".dovecot.sieve";
/// The upload directory inside the script directory.
const TMP_DIR: &str = "tmp";
/// The file name extension of scripts.
const EXTENSION: &str = ".sieve";
/// Pigeonhole's compiled form of a script, removed with it.
const BINARY_EXTENSION: &str = ".svbin";
/// The name a regular-file `.dovecot.sieve` gets in the storage.
const ORIGINAL_NAME: &str = "dovecot.orig";

/// Limits per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quota {
    /// Most scripts. Default 64.
    pub(crate) max_scripts: usize,
    /// Largest script in octets. Default 1 MiB (the Sieve interpreter's own limit).
    pub(crate) max_script_size: u64,
    /// Most octets of all scripts together. Default 8 MiB.
    pub(crate) max_storage: u64,
}

impl Default for Quota {
    fn default() -> Self {
        Self {
            max_scripts: 64,
            max_script_size: 1 << 20,
            max_storage: 8 << 20,
        }
    }
}

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum StoreError {
    /// No script of that name.
    #[error("there is no script named \"{0}\"")]
    NonExistent(String),
    /// A script of that name exists already.
    #[error("a script named \"{0}\" exists already")]
    AlreadyExists(String),
    /// The script is active and cannot be deleted.
    #[error("script \"{0}\" is active and cannot be deleted")]
    Active(String),
    /// The user has the most scripts allowed.
    #[error("too many scripts (at most {limit})")]
    TooManyScripts {
        /// The limit.
        limit: usize,
    },
    /// The script is larger than allowed.
    #[error("script too large ({size} octets, at most {limit})")]
    TooLarge {
        /// Its size.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The scripts together would exceed the storage quota.
    #[error("storage quota exceeded ({needed} octets needed, at most {limit})")]
    StorageFull {
        /// The total size after the change.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// A file system operation failed.
    #[error("{what} {}: {source}", path.display())]
    Io {
        /// What was being done.
        what: &'static str,
        /// On which path.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

fn io_error(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_owned();
    move |source| StoreError::Io { what, path, source }
}

/// One script of a listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ScriptInfo {
    /// Its name.
    pub(crate) name: ScriptName,
    /// Its size in octets.
    pub(crate) size: u64,
    /// Whether it is the active script.
    pub(crate) active: bool,
}

/// Serialises the store operations of each user within this process (stripes of
/// locks, chosen by the home directory).
#[derive(Debug)]
pub(crate) struct StoreLocks {
    stripes: Vec<Mutex<()>>,
}

impl Default for StoreLocks {
    fn default() -> Self {
        Self {
            stripes: (0..64).map(|_| Mutex::new(())).collect(),
        }
    }
}

impl StoreLocks {
    /// Locks the store of `home` until the guard is dropped.
    pub(crate) fn lock(&self, home: &Path) -> MutexGuard<'_, ()> {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        home.hash(&mut hasher);
        let index = (hasher.finish() % self.stripes.len() as u64) as usize;
        // A panic while holding the lock leaves no state behind: go on.
        self.stripes[index]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The scripts of one user.
#[derive(Debug, Clone)]
pub(crate) struct ScriptStore {
    home: PathBuf,
    quota: Quota,
}

impl ScriptStore {
    /// The store in the user's `home` (the parent of the Maildir).
    pub(crate) fn new(home: PathBuf, quota: Quota) -> Self {
        Self { home, quota }
    }

    /// The user's home directory.
    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    fn script_dir(&self) -> PathBuf {
        self.home.join(SCRIPT_DIR)
    }

    fn active_link(&self) -> PathBuf {
        self.home.join(ACTIVE_LINK)
    }

    fn script_path(&self, name: &ScriptName) -> PathBuf {
        self.script_dir().join(file_name(name))
    }

    /// Every script, sorted by name.
    pub(crate) fn list(&self) -> Result<Vec<ScriptInfo>, StoreError> {
        let dir = self.script_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(io_error("listing", &dir)(e)),
        };
        let active = self.active()?;
        let mut scripts = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_error("listing", &dir))?;
            let file_name = entry.file_name();
            let Some(stem) = file_name.to_str().and_then(|n| n.strip_suffix(EXTENSION)) else {
                continue;
            };
            let Ok(name) = ScriptName::new(stem) else {
                continue;
            };
            let meta = entry
                .metadata()
                .map_err(io_error("reading", &entry.path()))?;
            if !meta.is_file() {
                continue;
            }
            let active = active.as_ref() == Some(&name);
            scripts.push(ScriptInfo {
                name,
                size: meta.len(),
                active,
            });
        }
        scripts.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(scripts)
    }

    /// The active script: the one `.dovecot.sieve` links to, if it is in the storage
    /// and exists.
    pub(crate) fn active(&self) -> Result<Option<ScriptName>, StoreError> {
        let link = self.active_link();
        let target = match fs::read_link(&link) {
            Ok(target) => target,
            // Missing, or a regular file (not a script of the storage).
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::InvalidInput
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(io_error("reading the link", &link)(e)),
        };
        let target = if target.is_relative() {
            self.home.join(target)
        } else {
            target
        };
        if target.parent() != Some(self.script_dir().as_path()) {
            return Ok(None);
        }
        let name = target
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(EXTENSION))
            .and_then(|n| ScriptName::new(n).ok());
        Ok(name.filter(|name| self.script_path(name).is_file()))
    }

    /// The content of `name`.
    pub(crate) fn read(&self, name: &ScriptName) -> Result<Vec<u8>, StoreError> {
        let path = self.script_path(name);
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NonExistent(name.to_string()));
            }
            Err(e) => return Err(io_error("opening", &path)(e)),
        };
        let limit = self.quota.max_script_size;
        let size = file.metadata().map_err(io_error("reading", &path))?.len();
        if size > limit {
            return Err(StoreError::TooLarge { size, limit });
        }
        let mut content = Vec::new();
        // The file may grow meanwhile: never read more than the limit allows.
        file.take(limit.saturating_add(1))
            .read_to_end(&mut content)
            .map_err(io_error("reading", &path))?;
        let size = content.len() as u64;
        if size > limit {
            return Err(StoreError::TooLarge { size, limit });
        }
        Ok(content)
    }

    /// Whether `name` could be stored with `size` octets (HAVESPACE, and before
    /// PUTSCRIPT).
    pub(crate) fn check_space(&self, name: &ScriptName, size: u64) -> Result<(), StoreError> {
        let quota = self.quota;
        if size > quota.max_script_size {
            return Err(StoreError::TooLarge {
                size,
                limit: quota.max_script_size,
            });
        }
        let scripts = self.list()?;
        let replaced = scripts.iter().find(|s| &s.name == name).map(|s| s.size);
        if replaced.is_none() && scripts.len() >= quota.max_scripts {
            return Err(StoreError::TooManyScripts {
                limit: quota.max_scripts,
            });
        }
        let used: u64 = scripts.iter().map(|s| s.size).sum();
        let needed = used
            .saturating_sub(replaced.unwrap_or(0))
            .saturating_add(size);
        if needed > quota.max_storage {
            return Err(StoreError::StorageFull {
                needed,
                limit: quota.max_storage,
            });
        }
        Ok(())
    }

    /// Stores `content` as `name`, replacing any script of that name.
    pub(crate) fn put(&self, name: &ScriptName, content: &[u8]) -> Result<(), StoreError> {
        self.check_space(name, content.len() as u64)?;
        let dir = self.script_dir();
        let tmp_dir = dir.join(TMP_DIR);
        self.create_dirs(&tmp_dir)?;
        let tmp = tmp_dir.join(unique_name("upload"));
        let written = write_synced(&tmp, content).map_err(io_error("writing", &tmp));
        if let Err(e) = written {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        let path = self.script_path(name);
        if let Err(e) = fs::rename(&tmp, &path) {
            let _ = fs::remove_file(&tmp);
            return Err(io_error("storing", &path)(e));
        }
        sync_dir(&dir)
    }

    /// Creates `tmp_dir` and its parents (mode 0700), syncing what was new.
    fn create_dirs(&self, tmp_dir: &Path) -> Result<(), StoreError> {
        if tmp_dir.is_dir() {
            return Ok(());
        }
        let existed = self.script_dir().is_dir();
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(tmp_dir)
            .map_err(io_error("creating", tmp_dir))?;
        if !existed {
            sync_dir(&self.home)?;
        }
        sync_dir(&self.script_dir())
    }

    /// Makes `name` the active script, or deactivates scripts with `None`.
    pub(crate) fn set_active(&self, name: Option<&ScriptName>) -> Result<(), StoreError> {
        if let Some(name) = name.filter(|name| !self.script_path(name).is_file()) {
            return Err(StoreError::NonExistent(name.to_string()));
        }
        self.preserve_regular_active()?;
        let link = self.active_link();
        match name {
            Some(name) => self.point_active_link(name),
            None => match fs::remove_file(&link) {
                Ok(()) => sync_dir(&self.home),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(io_error("removing", &link)(e)),
            },
        }
    }

    /// Replaces `.dovecot.sieve` by a symlink to `name`, atomically.
    fn point_active_link(&self, name: &ScriptName) -> Result<(), StoreError> {
        let link = self.active_link();
        let tmp = self
            .home
            .join(format!("{ACTIVE_LINK}.{}", unique_name("link")));
        let target = Path::new(SCRIPT_DIR).join(file_name(name));
        std::os::unix::fs::symlink(&target, &tmp).map_err(io_error("linking", &tmp))?;
        if let Err(e) = fs::rename(&tmp, &link) {
            let _ = fs::remove_file(&tmp);
            return Err(io_error("activating", &link)(e));
        }
        sync_dir(&self.home)
    }

    /// Moves a regular-file `.dovecot.sieve` into the storage, so activating another
    /// script does not destroy it.
    fn preserve_regular_active(&self) -> Result<(), StoreError> {
        let link = self.active_link();
        match fs::symlink_metadata(&link) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error("reading", &link)(e)),
        }
        self.create_dirs(&self.script_dir().join(TMP_DIR))?;
        let mut n = 0u32;
        let destination = loop {
            let candidate = if n == 0 {
                ORIGINAL_NAME.to_owned()
            } else {
                format!("{ORIGINAL_NAME}-{n}")
            };
            let Ok(name) = ScriptName::new(&candidate) else {
                return Err(StoreError::AlreadyExists(candidate));
            };
            let path = self.script_path(&name);
            if !path.exists() {
                break path;
            }
            n += 1;
            if n > 1000 {
                return Err(StoreError::AlreadyExists(candidate));
            }
        };
        fs::rename(&link, &destination).map_err(io_error("moving", &link))?;
        sync_dir(&self.script_dir())?;
        sync_dir(&self.home)
    }

    /// Deletes `name`, unless it is the active script.
    pub(crate) fn delete(&self, name: &ScriptName) -> Result<(), StoreError> {
        if self.active()?.as_ref() == Some(name) {
            return Err(StoreError::Active(name.to_string()));
        }
        let path = self.script_path(name);
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => {}
            Ok(_) => return Err(StoreError::NonExistent(name.to_string())),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::NonExistent(name.to_string()));
            }
            Err(e) => return Err(io_error("reading", &path)(e)),
        }
        fs::remove_file(&path).map_err(io_error("deleting", &path))?;
        self.remove_binary(name);
        sync_dir(&self.script_dir())
    }

    /// Renames `from` to `to`; the active script stays active under its new name.
    pub(crate) fn rename(&self, from: &ScriptName, to: &ScriptName) -> Result<(), StoreError> {
        let old = self.script_path(from);
        if !old.is_file() {
            return Err(StoreError::NonExistent(from.to_string()));
        }
        let new = self.script_path(to);
        // A hard link cannot replace an existing script, unlike rename.
        match fs::hard_link(&old, &new) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::AlreadyExists(to.to_string()));
            }
            Err(e) => return Err(io_error("renaming", &old)(e)),
        }
        let dir = self.script_dir();
        sync_dir(&dir)?;
        if self.active()?.as_ref() == Some(from) {
            self.point_active_link(to)?;
        }
        fs::remove_file(&old).map_err(io_error("renaming", &old))?;
        self.remove_binary(from);
        sync_dir(&dir)
    }

    /// Removes Pigeonhole's compiled copy of `name`, if any (it would be stale).
    fn remove_binary(&self, name: &ScriptName) {
        let binary = self
            .script_dir()
            .join(format!("{}{BINARY_EXTENSION}", name.as_str()));
        let _ = fs::remove_file(binary);
    }
}

/// `NAME.sieve`.
fn file_name(name: &ScriptName) -> String {
    format!("{}{EXTENSION}", name.as_str())
}

/// A name no other writer in this process or another uses at the same time.
fn unique_name(kind: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{kind}.{nanos}.P{}.C{n}.tmp", std::process::id())
}

/// Writes a new file (mode 0600) and syncs it to disk.
fn write_synced(path: &Path, content: &[u8]) -> io::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(content)?;
    file.sync_all()
}

/// Makes the entries of `dir` durable.
fn sync_dir(dir: &Path) -> Result<(), StoreError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io_error("syncing", dir))
}
