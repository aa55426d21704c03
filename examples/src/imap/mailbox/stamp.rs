//! A cheap test of whether a folder changed on disk since its last full sync.
//!
//! Every change to a Maildir folder shows in the modification time of `cur/` or `new/`
//! (a delivery links a file, a flag change or expunge renames or removes one) or of
//! `dovecot-uidlist` (new UIDs). Comparing those three times costs three `stat`s, where
//! a full sync reads the uidlist and lists both directories. Sessions in IDLE check
//! their folder every second, so this keeps thousands of idle sessions cheap.
//!
//! File systems keep these times from a coarse clock: two changes within one tick can
//! leave the same time. So a stamp is only trusted when every time in it is at least
//! [`SETTLED`] older than the moment it was taken; until then each check syncs in full.

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How old the newest modification must be before equal stamps prove "unchanged".
const SETTLED: Duration = Duration::from_secs(2);

/// The modification times (and uidlist size) of one folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DiskStamp {
    cur: SystemTime,
    new: SystemTime,
    uidlist: Option<(SystemTime, u64)>,
}

impl DiskStamp {
    /// The folder's current stamp; `None` if a directory cannot be read.
    pub(crate) fn read(dir: &Path) -> Option<Self> {
        let modified = |name: &str| fs::metadata(dir.join(name)).and_then(|m| m.modified());
        let uidlist = fs::metadata(dir.join("dovecot-uidlist"))
            .and_then(|m| Ok((m.modified()?, m.len())))
            .ok();
        Some(Self {
            cur: modified("cur").ok()?,
            new: modified("new").ok()?,
            uidlist,
        })
    }

    /// Whether every time in the stamp was at least [`SETTLED`] in the past at `now`,
    /// so that a later change cannot share it.
    pub(crate) fn is_settled(&self, now: SystemTime) -> bool {
        let newest = [Some(self.cur), Some(self.new), self.uidlist.map(|u| u.0)]
            .into_iter()
            .flatten()
            .max();
        newest.is_some_and(|t| now.duration_since(t).is_ok_and(|age| age >= SETTLED))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for sub in ["cur", "new", "tmp"] {
            fs::create_dir(dir.path().join(sub)).unwrap();
        }
        fs::write(dir.path().join("dovecot-uidlist"), "3 V1 N1\n").unwrap();
        dir
    }

    #[test]
    fn a_fresh_change_is_not_settled_and_an_old_one_is() {
        let dir = folder();
        let stamp = DiskStamp::read(dir.path()).unwrap();
        let now = SystemTime::now();
        assert!(!stamp.is_settled(now));
        assert!(stamp.is_settled(now + SETTLED + Duration::from_millis(10)));
    }

    #[test]
    fn deliveries_renames_and_uidlist_appends_change_the_stamp() {
        let dir = folder();
        let path = dir.path();
        let before = DiskStamp::read(path).unwrap();
        // Make the directories look old, so that a change gets a visibly newer time.
        let old = SystemTime::now() - Duration::from_secs(60);
        for sub in ["cur", "new"] {
            fs::File::open(path.join(sub))
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        let aged = DiskStamp::read(path).unwrap();
        assert_ne!(before, aged);
        fs::write(path.join("new/1.host"), "x").unwrap();
        let delivered = DiskStamp::read(path).unwrap();
        assert_ne!(aged, delivered);
        fs::rename(path.join("new/1.host"), path.join("cur/1.host:2,S")).unwrap();
        let renamed = DiskStamp::read(path).unwrap();
        assert_ne!(delivered.cur, renamed.cur);
        let mut uidlist = fs::read_to_string(path.join("dovecot-uidlist")).unwrap();
        uidlist.push_str("1 1.host\n");
        fs::write(path.join("dovecot-uidlist"), uidlist).unwrap();
        assert_ne!(renamed, DiskStamp::read(path).unwrap());
    }

    #[test]
    fn a_missing_directory_has_no_stamp() {
        let dir = folder();
        fs::remove_dir(dir.path().join("new")).unwrap();
        assert_eq!(DiskStamp::read(dir.path()), None);
    }
}
