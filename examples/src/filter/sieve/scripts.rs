//! Finding and compiling scripts: the user's active script as Pigeonhole keeps it
//! (`<home>/.dovecot.sieve`, a symlink into `<home>/sieve/`), and a cache of compiled
//! scripts keyed by path, modification time and size, so a script is compiled once
//! and again only after it changes.

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::SystemTime;

use ::sieve::Script;

/// The active-script link, relative to the user's home (Pigeonhole's default).
pub(crate) const ACTIVE_LINK: &str = ".dovecot.sieve";

/// Most compiled scripts kept; the cache starts over when it is full.
const MAX_CACHED: usize = 10_000;

/// A compiled script, or why there is none.
pub(super) type Compiled = Result<Arc<Script>, String>;

/// Compiled scripts by path.
#[derive(Debug)]
pub(super) struct ScriptCache {
    config: ::sieve::Config,
    entries: Mutex<HashMap<PathBuf, Entry>>,
}

#[derive(Debug)]
struct Entry {
    modified: Option<SystemTime>,
    size: u64,
    compiled: Compiled,
}

impl ScriptCache {
    /// An empty cache compiling with `config`.
    pub(super) fn new(config: ::sieve::Config) -> Self {
        Self {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration scripts are compiled with.
    pub(super) fn config(&self) -> &::sieve::Config {
        &self.config
    }

    /// The script at `path`, compiled; `None` if there is no such file. Blocks.
    pub(super) fn get(&self, path: &Path) -> Option<Compiled> {
        let metadata = match fs::metadata(path) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return None,
            Err(e) => return Some(Err(format!("cannot read {}: {e}", path.display()))),
        };
        if !metadata.is_file() {
            return Some(Err(format!("{} is not a file", path.display())));
        }
        let (modified, size) = (metadata.modified().ok(), metadata.len());
        {
            let entries = self.lock();
            if let Some(entry) = entries.get(path)
                && entry.modified == modified
                && entry.size == size
            {
                return Some(entry.compiled.clone());
            }
        }
        let compiled = self.compile_file(path);
        let mut entries = self.lock();
        if entries.len() >= MAX_CACHED {
            entries.clear();
        }
        entries.insert(
            path.to_owned(),
            Entry {
                modified,
                size,
                compiled: compiled.clone(),
            },
        );
        Some(compiled)
    }

    fn compile_file(&self, path: &Path) -> Compiled {
        let limit = u64::try_from(self.config.max_script_size).unwrap_or(u64::MAX);
        let mut source = Vec::new();
        fs::File::open(path)
            .and_then(|file| file.take(limit.saturating_add(1)).read_to_end(&mut source))
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        Script::compile_with(&source, &self.config)
            .map(Arc::new)
            .map_err(|e| format!("{}: {e}", path.display()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<PathBuf, Entry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The user's active script: the target of `<home>/.dovecot.sieve` (which must stay
/// inside the home), or that file itself if it is a regular file. `Ok(None)` when
/// there is none (no link, or a link to a script that was deleted). Blocks.
pub(super) fn active_script(home: &Path) -> Result<Option<PathBuf>, String> {
    let link = home.join(ACTIVE_LINK);
    let metadata = match fs::symlink_metadata(&link) {
        Ok(metadata) => metadata,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read {}: {e}", link.display())),
    };
    if metadata.is_file() {
        return Ok(Some(link));
    }
    if !metadata.file_type().is_symlink() {
        return Err(format!("{} is not a file or a symlink", link.display()));
    }
    let target = match fs::canonicalize(&link) {
        Ok(target) => target,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot follow {}: {e}", link.display())),
    };
    let home = fs::canonicalize(home).map_err(|e| format!("{}: {e}", home.display()))?;
    if !target.starts_with(&home) {
        return Err(format!(
            "{} points outside the home directory, to {}",
            link.display(),
            target.display()
        ));
    }
    Ok(Some(target))
}
