//! The folders open in this process: one shared [`Folder`] per folder directory, so
//! every session (and every delivery) works on the same modseq state and wakes the
//! others. An entry lives while some session holds it; the sidecar keeps the state in
//! between.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, Weak};

use tokio::sync::watch;

use super::StoreError;
use super::modseq::{FolderState, Record};

/// One folder as all sessions of the process share it.
#[derive(Debug)]
pub(crate) struct Folder {
    pub(crate) mailbox: maildir::Mailbox,
    state: Mutex<FolderState>,
    changes: watch::Sender<u64>,
    /// Set by a delivery or a folder operation: the next sync lists the folder whatever
    /// its stamp says.
    dirty: AtomicBool,
}

impl Folder {
    /// The state, locked. Hold it across every read-modify-write, and never hold two
    /// folders' states at once.
    pub(crate) fn lock(&self) -> MutexGuard<'_, FolderState> {
        // A panic while holding it leaves at worst a state one sync behind the disk.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The state, locked and brought up to date with the disk: listed again unless its
    /// trusted stamp proves nothing changed (see [`stamp`](super::stamp)).
    pub(crate) fn synced(&self) -> Result<MutexGuard<'_, FolderState>, StoreError> {
        let mut state = self.lock();
        // Taken before the sync looks at the disk: a delivery that marks the folder
        // later is seen by the next sync.
        let force = self.dirty.swap(false, Ordering::AcqRel);
        if let Err(e) = state.sync(&self.mailbox, force) {
            if force {
                self.mark_dirty();
            }
            return Err(e);
        }
        Ok(state)
    }

    /// Makes the next [`synced`](Self::synced) list the folder.
    pub(crate) fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
    }

    /// After this process stored `uids` into the folder under `state`'s lock: records
    /// them from `added` (one per UID) when every record is known, otherwise lists the
    /// folder; then wakes the sessions watching it.
    pub(crate) fn record_added(
        &self,
        mut state: MutexGuard<'_, FolderState>,
        uids: &[u32],
        added: Vec<Option<Record>>,
    ) -> Result<(), StoreError> {
        if uids.is_empty() {
            return Ok(());
        }
        if added.iter().all(Option::is_some) {
            for (&uid, record) in uids.iter().zip(added.into_iter().flatten()) {
                state.added(uid, record);
            }
            state.own_change();
            state.save()?;
        } else {
            // Keywords (spelled by the folder's keyword table) or an odd delivery.
            state.distrust();
            drop(state);
            drop(self.synced()?);
        }
        self.notify();
        Ok(())
    }

    /// Wakes every session watching this folder.
    pub(crate) fn notify(&self) {
        self.changes.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver that sees every [`notify`](Self::notify) from now on.
    pub(crate) fn watch(&self) -> watch::Receiver<u64> {
        self.changes.subscribe()
    }
}

type Registry = Mutex<HashMap<PathBuf, Weak<Folder>>>;

static FOLDERS: LazyLock<Registry> = LazyLock::new(Registry::default);

fn registry() -> MutexGuard<'static, HashMap<PathBuf, Weak<Folder>>> {
    FOLDERS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The shared folder for `mailbox` (keyed by its directory), created on first use.
pub(crate) fn open(mailbox: maildir::Mailbox) -> Arc<Folder> {
    let key = mailbox.path().to_owned();
    let mut folders = registry();
    if let Some(folder) = folders.get(&key).and_then(Weak::upgrade) {
        return folder;
    }
    folders.retain(|_, f| f.strong_count() > 0);
    let folder = Arc::new(Folder {
        state: Mutex::new(FolderState::new(key.clone())),
        mailbox,
        changes: watch::channel(0).0,
        dirty: AtomicBool::new(false),
    });
    folders.insert(key, Arc::downgrade(&folder));
    folder
}

/// The folder at `dir`, if a session has it open.
pub(crate) fn find(dir: &Path) -> Option<Arc<Folder>> {
    registry().get(dir).and_then(Weak::upgrade)
}

/// Wakes the sessions that have any folder of the Maildir at `root` open: after a
/// DELETE or RENAME, those whose folder went away find out at their next refresh (which
/// lists the folder).
pub(crate) fn notify_tree(root: &Path) {
    let folders: Vec<Arc<Folder>> = registry()
        .iter()
        .filter(|(path, _)| path.starts_with(root))
        .filter_map(|(_, f)| f.upgrade())
        .collect();
    for folder in folders {
        folder.mark_dirty();
        folder.notify();
    }
}

/// Called by the delivery code after a message landed in the folder at `folder_path`
/// (the Maildir root for INBOX, `<root>/.Name` for a folder): the next sync of the
/// folder lists it in full (so a delivery racing with a change of ours, in the same
/// clock tick, is not hidden behind our trusted stamp), and the sessions that have it
/// selected wake up (IDLE).
pub(crate) fn notify_changed(folder_path: &Path) {
    let canonical = folder_path.canonicalize();
    let path = canonical.as_deref().unwrap_or(folder_path);
    if let Some(folder) = find(path) {
        folder.mark_dirty();
        folder.notify();
    }
}
