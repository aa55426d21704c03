//! A cheap test of whether a folder changed on disk since the state last matched it.
//!
//! Every change to a Maildir folder shows in the modification time of `cur/` or `new/`
//! (a delivery links a file, a flag change or expunge renames or removes one) or of
//! `dovecot-uidlist` (new UIDs). Comparing those three times costs three `stat`s, where
//! a full sync reads the uidlist and lists both directories.
//!
//! File systems keep these times from a coarse clock: a change made by someone else in
//! the same tick as the stamp we hold leaves the stamp as it was. A [`Trust`] therefore
//! says how long equal stamps prove "unchanged":
//!
//! - after a full sync whose stamp is [`SETTLED`] (every time in it at least that old),
//!   for as long as the stamp stays the same: a later change cannot share its times;
//! - after a full sync whose stamp is still fresh, and after a change this process made
//!   itself under the folder lock (the stamp read right after our write becomes the
//!   trusted one, see [`Trust::after_own_change`]), only until a deadline [`SETTLED`]
//!   after the first such untrusted moment; then one full sync verifies the state. A
//!   chain of own changes keeps the first deadline, so a change another process (Dovecot
//!   on the same Maildir) makes in the same clock tick as one of ours is seen at most
//!   about [`SETTLED`] late, at the next command after the deadline.
//!
//! Deliveries inside this process do not rely on this: they mark the folder for a full
//! sync ([`notify_changed`](super::notify_changed)).

use std::fs;
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How old the newest modification must be before equal stamps prove "unchanged"; also
/// how long a stamp that is not settled yet is trusted before a full sync verifies it.
pub(crate) const SETTLED: Duration = Duration::from_secs(2);

/// The time stamps are judged by: the system clock (a frozen one in tests).
pub(crate) fn now() -> SystemTime {
    #[cfg(test)]
    if let Some(frozen) = test_clock::get() {
        return frozen;
    }
    SystemTime::now()
}

/// A per-thread test clock for [`now`]: frozen, then moved forward, so tests pass the
/// settle window without sleeping and no deadline passes while they run.
#[cfg(test)]
pub(crate) mod test_clock {
    use std::cell::Cell;
    use std::time::{Duration, SystemTime};

    thread_local! {
        static FROZEN: Cell<Option<SystemTime>> = const { Cell::new(None) };
    }

    /// Stops this thread's clock at the current time.
    pub(crate) fn freeze() {
        FROZEN.with(|f| f.set(Some(SystemTime::now())));
    }

    /// Moves this thread's frozen clock forward.
    pub(crate) fn advance(by: Duration) {
        FROZEN.with(|f| f.set(Some(f.get().unwrap_or_else(SystemTime::now) + by)));
    }

    pub(super) fn get() -> Option<SystemTime> {
        FROZEN.with(Cell::get)
    }
}

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

/// A stamp the folder state is known to match, and until when equal stamps alone prove
/// that nothing changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Trust {
    stamp: DiskStamp,
    /// `None`: settled, trusted while the stamp stays the same. `Some(t)`: a full sync is
    /// due at `t`.
    verify_at: Option<SystemTime>,
}

impl Trust {
    /// After a full sync that began by reading `stamp` at `now`.
    pub(crate) fn after_sync(stamp: DiskStamp, now: SystemTime) -> Self {
        let verify_at = (!stamp.is_settled(now)).then(|| now + SETTLED);
        Self { stamp, verify_at }
    }

    /// After a change this process made while the state matched `self`, given the stamp
    /// read right after the write: trusted until the earlier of the deadline already
    /// running and [`SETTLED`] from `now`.
    pub(crate) fn after_own_change(&self, stamp: DiskStamp, now: SystemTime) -> Self {
        let due = now + SETTLED;
        let verify_at = Some(self.verify_at.map_or(due, |t| t.min(due)));
        Self { stamp, verify_at }
    }

    /// Whether `current`, read at `now`, proves the folder unchanged.
    pub(crate) fn covers(&self, current: &DiskStamp, now: SystemTime) -> bool {
        self.stamp == *current && self.verify_at.is_none_or(|t| now < t)
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
    fn trust_ends_at_the_first_deadline_of_a_chain_of_own_changes() {
        let dir = folder();
        let stamp = DiskStamp::read(dir.path()).unwrap();
        let now = SystemTime::now();
        let later = now + SETTLED + Duration::from_millis(10);
        // A fresh stamp is trusted until the deadline, a settled one for good.
        let fresh = Trust::after_sync(stamp.clone(), now);
        assert!(fresh.covers(&stamp, now));
        assert!(!fresh.covers(&stamp, later));
        let settled = Trust::after_sync(stamp.clone(), later);
        assert!(settled.covers(&stamp, later + SETTLED * 100));
        // Own changes keep the deadline already running; from a settled state one starts.
        let second = fresh.after_own_change(stamp.clone(), now + SETTLED / 2);
        assert!(!second.covers(&stamp, later));
        let own = settled.after_own_change(stamp.clone(), later);
        assert!(own.covers(&stamp, later) && !own.covers(&stamp, later + SETTLED));
        // A different stamp is never covered.
        fs::write(dir.path().join("dovecot-uidlist"), "3 V1 N2\n1 x\n").unwrap();
        let other = DiskStamp::read(dir.path()).unwrap();
        assert!(!settled.covers(&other, later));
    }

    #[test]
    fn a_missing_directory_has_no_stamp() {
        let dir = folder();
        fs::remove_dir(dir.path().join("new")).unwrap();
        assert_eq!(DiskStamp::read(dir.path()), None);
    }
}
