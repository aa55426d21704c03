//! The Maildir root: INBOX, the folder tree, subscriptions and quota.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::{Error, Result, io_err};
use crate::filename::{sanitize_host, unique_base};
use crate::folder::{self, INBOX, SEPARATOR, is_inbox};
use crate::fsutil::{ensure_dir, fsync_dir};
use crate::lock::LockOptions;
use crate::mailbox::Mailbox;
use crate::quota::{self, QuotaLimits, QuotaUsage};
use crate::subscriptions;

/// Settings shared by every folder of a [`Maildir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// fsync control files (uidlist, keywords, ...) and directories after
    /// changes (default `true`). Deliveries have their own switch in
    /// [`DeliveryOptions`](crate::DeliveryOptions).
    pub fsync: bool,
    /// Waiting for, and taking over, Dovecot's dotlocks.
    pub lock: LockOptions,
    /// The host name used in new file names and lock files (default: the
    /// system's host name).
    pub hostname: Option<String>,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            fsync: true,
            lock: LockOptions::default(),
            hostname: None,
        }
    }
}

#[derive(Debug)]
pub(crate) struct Shared {
    pub(crate) root: PathBuf,
    pub(crate) options: Options,
    /// Host name as Dovecot writes it into lock files.
    pub(crate) raw_host: String,
    /// Host name made safe for file names.
    pub(crate) host: String,
}

/// A folder found by [`Maildir::list_folders`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FolderInfo {
    /// The UTF-8 name (`INBOX`, `Archive.2026`).
    pub name: String,
    /// Its directory.
    pub path: PathBuf,
}

/// A Maildir++ root directory: INBOX lives in it, and each folder is a
/// `.Name` directory beside `cur/`, `new/` and `tmp/`.
#[derive(Debug, Clone)]
pub struct Maildir {
    shared: Arc<Shared>,
}

impl Maildir {
    /// Opens an existing Maildir with default [`Options`].
    pub fn open(root: impl AsRef<Path>) -> Result<Self> {
        Self::open_with(root, Options::default())
    }

    /// Opens an existing Maildir; fails with [`Error::NotAMaildir`] when
    /// `cur/`, `new/` or `tmp/` is missing.
    pub fn open_with(root: impl AsRef<Path>, options: Options) -> Result<Self> {
        let root = root.as_ref().to_owned();
        for sub in ["cur", "new", "tmp"] {
            if !root.join(sub).is_dir() {
                return Err(Error::NotAMaildir {
                    path: root,
                    missing: sub,
                });
            }
        }
        let raw_host = options
            .hostname
            .clone()
            .unwrap_or_else(|| gethostname::gethostname().to_string_lossy().into_owned());
        let host = sanitize_host(&raw_host);
        Ok(Self {
            shared: Arc::new(Shared {
                root,
                options,
                raw_host,
                host,
            }),
        })
    }

    /// Creates the Maildir (and missing parents) unless it exists, then opens it.
    pub fn create(root: impl AsRef<Path>) -> Result<Self> {
        Self::create_with(root, Options::default())
    }

    /// [`create`](Self::create) with options.
    pub fn create_with(root: impl AsRef<Path>, options: Options) -> Result<Self> {
        let root = root.as_ref();
        fs::create_dir_all(root).map_err(io_err("mkdir", root))?;
        for sub in ["cur", "new", "tmp"] {
            ensure_dir(&root.join(sub))?;
        }
        Self::open_with(root, options)
    }

    /// The root directory.
    pub fn path(&self) -> &Path {
        &self.shared.root
    }

    /// INBOX, the root folder.
    pub fn inbox(&self) -> Result<Mailbox> {
        Mailbox::new(
            INBOX.to_owned(),
            self.shared.root.clone(),
            Arc::clone(&self.shared),
        )
    }

    /// An existing folder by UTF-8 name (`INBOX` in any case is the root).
    pub fn folder(&self, name: &str) -> Result<Mailbox> {
        if is_inbox(name) {
            return self.inbox();
        }
        let dir = self.shared.root.join(folder::dir_name(name)?);
        if !dir.is_dir() {
            return Err(Error::FolderNotFound {
                name: name.to_owned(),
            });
        }
        Mailbox::new(name.to_owned(), dir, Arc::clone(&self.shared))
    }

    /// Creates a folder with its `cur/`, `new/`, `tmp/` and `maildirfolder`
    /// marker. It is built in `tmp/` and renamed into place, so others never
    /// see it half made.
    pub fn create_folder(&self, name: &str) -> Result<Mailbox> {
        let dir_name = folder::dir_name(name)?;
        let root = &self.shared.root;
        let dest = root.join(&dir_name);
        if dest.exists() {
            return Err(Error::FolderExists {
                name: name.to_owned(),
            });
        }
        let staging = root
            .join("tmp")
            .join(format!(".create.{}", unique_base(&self.shared.host)));
        let built = Self::build_folder(&staging);
        let renamed = built.and_then(|()| match fs::rename(&staging, &dest) {
            Ok(()) => Ok(()),
            Err(e) if matches!(e.raw_os_error(), Some(17 | 39)) => {
                Err(Error::FolderExists {
                    name: name.to_owned(),
                }) // EEXIST, ENOTEMPTY
            }
            Err(e) => Err(io_err("rename", &staging)(e)),
        });
        if let Err(e) = renamed {
            let _ = fs::remove_dir_all(&staging);
            return Err(e);
        }
        if self.shared.options.fsync {
            fsync_dir(root)?;
        }
        Mailbox::new(name.to_owned(), dest, Arc::clone(&self.shared))
    }

    fn build_folder(dir: &Path) -> Result<()> {
        ensure_dir(dir)?;
        for sub in ["cur", "new", "tmp"] {
            ensure_dir(&dir.join(sub))?;
        }
        let marker = dir.join("maildirfolder");
        fs::write(&marker, b"").map_err(io_err("create", &marker))
    }

    /// All folders, INBOX first, then by name.
    pub fn list_folders(&self) -> Result<Vec<FolderInfo>> {
        let root = &self.shared.root;
        let mut folders = Vec::new();
        for entry in fs::read_dir(root).map_err(io_err("read directory", root))? {
            let entry = entry.map_err(io_err("read directory", root))?;
            let Ok(dir_name) = entry.file_name().into_string() else {
                continue;
            };
            let Some(name) = folder::name_from_dir(&dir_name) else {
                continue;
            };
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                folders.push(FolderInfo {
                    name,
                    path: entry.path(),
                });
            }
        }
        folders.sort_by(|a, b| a.name.cmp(&b.name));
        folders.insert(
            0,
            FolderInfo {
                name: INBOX.to_owned(),
                path: root.clone(),
            },
        );
        Ok(folders)
    }

    fn children(&self, name: &str) -> Result<Vec<FolderInfo>> {
        let prefix = format!("{name}{SEPARATOR}");
        Ok(self
            .list_folders()?
            .into_iter()
            .filter(|f| f.name.starts_with(&prefix))
            .collect())
    }

    /// Renames a folder and its sub-folders (and their subscriptions).
    pub fn rename_folder(&self, from: &str, to: &str) -> Result<()> {
        if is_inbox(from) || is_inbox(to) {
            return Err(Error::InboxNotAllowed { op: "rename" });
        }
        let root = &self.shared.root;
        let src = root.join(folder::dir_name(from)?);
        let dest = root.join(folder::dir_name(to)?);
        if !src.is_dir() {
            return Err(Error::FolderNotFound {
                name: from.to_owned(),
            });
        }
        if dest.exists() || to.starts_with(&format!("{from}{SEPARATOR}")) {
            return Err(Error::FolderExists {
                name: to.to_owned(),
            });
        }
        let children = self.children(from)?;
        fs::rename(&src, &dest).map_err(io_err("rename", &src))?;
        for child in children {
            let new_name = format!("{to}{}", &child.name[from.len()..]);
            let new_dir = root.join(folder::dir_name(&new_name)?);
            fs::rename(&child.path, &new_dir).map_err(io_err("rename", &child.path))?;
        }
        if self.shared.options.fsync {
            fsync_dir(root)?;
        }
        subscriptions::rename(
            root,
            from,
            to,
            &self.shared.raw_host,
            self.shared.options.lock,
            self.shared.options.fsync,
        )
    }

    /// Deletes a folder and its messages. Refuses INBOX and folders with
    /// sub-folders ([`Error::FolderHasChildren`]). The folder is first moved
    /// into `tmp/`, so it disappears at once and whole.
    pub fn delete_folder(&self, name: &str) -> Result<()> {
        if is_inbox(name) {
            return Err(Error::InboxNotAllowed { op: "delete" });
        }
        let root = &self.shared.root;
        let dir = root.join(folder::dir_name(name)?);
        if !dir.is_dir() {
            return Err(Error::FolderNotFound {
                name: name.to_owned(),
            });
        }
        if !self.children(name)?.is_empty() {
            return Err(Error::FolderHasChildren {
                name: name.to_owned(),
            });
        }
        self.remove_dir(name, &dir)
    }

    /// Deletes a folder and its messages but leaves its sub-folders, which
    /// live in directories of their own: the name becomes a hole in the
    /// hierarchy (IMAP's `\Noselect`), as IMAP's DELETE asks for a folder
    /// with inferiors and as Dovecot does with Maildir++. Refuses INBOX.
    pub fn remove_folder(&self, name: &str) -> Result<()> {
        if is_inbox(name) {
            return Err(Error::InboxNotAllowed { op: "delete" });
        }
        let dir = self.shared.root.join(folder::dir_name(name)?);
        if !dir.is_dir() {
            return Err(Error::FolderNotFound {
                name: name.to_owned(),
            });
        }
        self.remove_dir(name, &dir)
    }

    /// Moves a folder directory into `tmp/`, so it disappears at once and
    /// whole, then removes it.
    fn remove_dir(&self, name: &str, dir: &Path) -> Result<()> {
        let root = &self.shared.root;
        let trash = root
            .join("tmp")
            .join(format!(".deleted.{}", unique_base(&self.shared.host)));
        match fs::rename(dir, &trash) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                return Err(Error::FolderNotFound {
                    name: name.to_owned(),
                });
            }
            Err(e) => return Err(io_err("rename", dir)(e)),
        }
        if self.shared.options.fsync {
            fsync_dir(root)?;
        }
        fs::remove_dir_all(&trash).map_err(io_err("remove", &trash))
    }

    /// Subscribes to a folder (UTF-8 name).
    pub fn subscribe(&self, name: &str) -> Result<()> {
        self.set_subscribed(name, true)
    }

    /// Unsubscribes from a folder.
    pub fn unsubscribe(&self, name: &str) -> Result<()> {
        self.set_subscribed(name, false)
    }

    fn set_subscribed(&self, name: &str, subscribe: bool) -> Result<()> {
        if !is_inbox(name) {
            folder::dir_name(name)?;
        }
        let s = &self.shared;
        subscriptions::set(
            &s.root,
            name,
            subscribe,
            &s.raw_host,
            s.options.lock,
            s.options.fsync,
        )
    }

    /// The subscribed folders (UTF-8 names), in file order.
    pub fn subscriptions(&self) -> Result<Vec<String>> {
        subscriptions::list(&self.shared.root)
    }

    /// The Maildir++ quota and usage, or `None` when there is no
    /// `maildirsize` file (no quota).
    pub fn quota(&self) -> Result<Option<QuotaUsage>> {
        quota::usage(&self.shared.root, self.shared.options.fsync)
    }

    /// Sets the quota: writes a fresh `maildirsize` with the usage counted
    /// from every folder's listings.
    pub fn set_quota(&self, limits: QuotaLimits) -> Result<QuotaUsage> {
        quota::recalculate(&self.shared.root, limits, self.shared.options.fsync)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remove_folder_keeps_sub_folders() {
        let dir = tempfile::tempdir().unwrap();
        let store = Maildir::create(dir.path()).unwrap();
        let parent = store.create_folder("Archive").unwrap();
        store.create_folder("Archive.2026").unwrap();
        parent
            .deliver(&b"x\n"[..], &crate::DeliveryOptions::default())
            .unwrap();
        assert!(matches!(
            store.delete_folder("Archive"),
            Err(Error::FolderHasChildren { .. })
        ));
        store.remove_folder("Archive").unwrap();
        let names: Vec<String> = store
            .list_folders()
            .unwrap()
            .into_iter()
            .map(|f| f.name)
            .collect();
        assert_eq!(names, ["INBOX", "Archive.2026"]);
        assert!(matches!(
            store.remove_folder("Archive"),
            Err(Error::FolderNotFound { .. })
        ));
        assert!(matches!(
            store.remove_folder("inbox"),
            Err(Error::InboxNotAllowed { .. })
        ));
        // Nothing is left behind in tmp/.
        assert_eq!(fs::read_dir(dir.path().join("tmp")).unwrap().count(), 0);
    }
}
