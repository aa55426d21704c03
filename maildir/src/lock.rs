//! Dovecot-compatible dotlocks: `<file>.lock`, created with `O_EXCL` and
//! holding `<pid>:<hostname>`.
//!
//! A lock held by someone else is waited for with a growing, jittered sleep.
//! It is taken over (deleted) when it is stale, by Dovecot's rules:
//! - it is older than 2 seconds, names this host and a process that no longer
//!   exists; or
//! - neither the lock file nor the file it protects has changed for the stale
//!   timeout (Dovecot uses 2 minutes for `dovecot-uidlist`).
//!
//! Giving up after the wait timeout is [`Error::LockTimeout`].

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::error::{Error, Result, io_err};

/// Dovecot does not check the PID of a lock younger than this.
const PID_CHECK_AGE: Duration = Duration::from_secs(2);
const FIRST_WAIT: Duration = Duration::from_millis(1);
const MAX_WAIT: Duration = Duration::from_millis(200);

/// How long to wait for a lock, and when to consider it abandoned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LockOptions {
    /// Give up waiting after this long.
    pub timeout: Duration,
    /// Take over a lock when it and the protected file have not changed for
    /// this long.
    pub stale_timeout: Duration,
}

impl Default for LockOptions {
    /// Dovecot's values for `dovecot-uidlist`: stale after 2 minutes, wait up
    /// to 2 minutes and 2 seconds.
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(122),
            stale_timeout: Duration::from_secs(120),
        }
    }
}

/// A held dotlock; dropping it removes the lock file.
#[derive(Debug)]
pub(crate) struct DotLock {
    path: PathBuf,
    ino: u64,
}

impl DotLock {
    /// Takes the lock that protects `target` (the lock file is `target.lock`).
    pub(crate) fn acquire(target: &Path, host: &str, options: LockOptions) -> Result<Self> {
        let mut lock_name = target.as_os_str().to_owned();
        lock_name.push(".lock");
        let path = PathBuf::from(lock_name);
        let started = Instant::now();
        let mut wait = FIRST_WAIT;
        loop {
            match try_create(&path, host) {
                Ok(ino) => return Ok(Self { path, ino }),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(io_err("create lock", &path)(e)),
            }
            if is_stale(&path, target, host, options.stale_timeout) {
                // Someone else may override it at the same moment; O_EXCL on
                // the next attempt decides who wins.
                let _ = fs::remove_file(&path);
                continue;
            }
            let waited = started.elapsed();
            if waited >= options.timeout {
                return Err(Error::LockTimeout { path, waited });
            }
            thread::sleep(jitter(wait).min(options.timeout - waited));
            wait = (wait * 2).min(MAX_WAIT);
        }
    }
}

impl Drop for DotLock {
    fn drop(&mut self) {
        // Only remove the lock if it is still ours (not overridden as stale).
        if fs::symlink_metadata(&self.path).is_ok_and(|m| m.ino() == self.ino) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Creates the lock file holding `<pid>:<host>`; `AlreadyExists` when it is held.
///
/// The content goes into a temporary file first, which is then hard-linked to the
/// lock name: a lock file is never seen empty, so a process killed while taking the
/// lock leaves one whose dead PID frees it after [`PID_CHECK_AGE`], not after the
/// stale timeout. Where hard links are not supported the lock is created with
/// `O_EXCL` and written afterwards.
fn try_create(path: &Path, host: &str) -> io::Result<u64> {
    let content = format!("{}:{}", std::process::id(), host);
    let temp = temp_name(path);
    // On an error writing the temporary file (a full disk, say), the O_EXCL path
    // below reports what is wrong.
    if write_new(&temp, &content).is_ok() {
        let linked = fs::hard_link(&temp, path);
        let _ = fs::remove_file(&temp);
        match linked {
            Ok(()) => return Ok(fs::symlink_metadata(path)?.ino()),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Err(e),
            Err(_) => {} // no hard links here: fall back to O_EXCL
        }
    }
    let mut file = create_exclusive(path)?;
    // Like Dovecot: a lock whose PID could not be written stays empty.
    if file.write_all(content.as_bytes()).is_err() {
        let _ = file.set_len(0);
    }
    Ok(file.metadata()?.ino())
}

fn create_exclusive(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

/// Creates `path` holding `content`; removes it again if the write fails.
fn write_new(path: &Path, content: &str) -> io::Result<()> {
    let written = create_exclusive(path)?.write_all(content.as_bytes());
    if written.is_err() {
        let _ = fs::remove_file(path);
    }
    written
}

/// `<lock>.tmp.<pid>.<n>`, next to the lock so that a hard link can reach it; the
/// counter keeps the threads of one process apart.
fn temp_name(lock: &Path) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let mut name = lock.as_os_str().to_owned();
    name.push(format!(".tmp.{}.{n}", std::process::id()));
    PathBuf::from(name)
}

fn jitter(base: Duration) -> Duration {
    // Cheap jitter from the clock; spreads out waiters that woke together.
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    base + base.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

fn mtime(meta: &fs::Metadata) -> SystemTime {
    meta.modified().unwrap_or(SystemTime::UNIX_EPOCH)
}

fn is_stale(lock: &Path, target: &Path, host: &str, stale_timeout: Duration) -> bool {
    let Ok(meta) = fs::symlink_metadata(lock) else {
        return false; // gone already: retry at once
    };
    let now = SystemTime::now();
    let lock_age = now.duration_since(mtime(&meta)).unwrap_or_default();
    if lock_age >= PID_CHECK_AGE {
        let dead = read_local_pid(lock, host).is_some_and(|pid| {
            pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists()
        });
        if dead {
            return true;
        }
    }
    // Any change to the protected file counts as activity, as in Dovecot.
    let last_change = fs::metadata(target)
        .map(|m| mtime(&m).max(mtime(&meta)))
        .unwrap_or_else(|_| mtime(&meta))
        .min(now);
    now.duration_since(last_change).unwrap_or_default() > stale_timeout
}

fn read_local_pid(lock: &Path, host: &str) -> Option<u32> {
    let mut content = String::new();
    File::open(lock)
        .ok()?
        .take(512)
        .read_to_string(&mut content)
        .ok()?;
    let (pid, lock_host) = content.trim_end_matches('\n').split_once(':')?;
    if lock_host != host {
        return None;
    }
    pid.parse().ok().filter(|&p| p > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    fn quick() -> LockOptions {
        LockOptions {
            timeout: Duration::from_millis(150),
            stale_timeout: Duration::from_secs(120),
        }
    }

    #[test]
    fn lock_file_holds_pid_and_host_and_goes_away() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dovecot-uidlist");
        let lock = DotLock::acquire(&target, "myhost", quick()).unwrap();
        let content = fs::read_to_string(dir.path().join("dovecot-uidlist.lock")).unwrap();
        assert_eq!(content, format!("{}:myhost", std::process::id()));
        drop(lock);
        assert!(!dir.path().join("dovecot-uidlist.lock").exists());
    }

    #[test]
    fn taking_a_lock_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("dovecot-uidlist");
        let lock = DotLock::acquire(&target, "myhost", quick()).unwrap();
        let names = |dir: &Path| -> Vec<String> {
            fs::read_dir(dir)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        };
        assert_eq!(names(dir.path()), ["dovecot-uidlist.lock"]);
        assert!(DotLock::acquire(&target, "myhost", quick()).is_err());
        assert_eq!(names(dir.path()), ["dovecot-uidlist.lock"]);
        drop(lock);
        assert!(names(dir.path()).is_empty());
    }

    #[test]
    fn held_lock_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let _held = DotLock::acquire(&target, "h", quick()).unwrap();
        let e = DotLock::acquire(&target, "h", quick()).unwrap_err();
        assert!(matches!(e, Error::LockTimeout { .. }), "{e}");
    }

    #[test]
    fn stale_by_age_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let lock_path = dir.path().join("f.lock");
        fs::write(&lock_path, "1:otherhost").unwrap();
        let old = SystemTime::now() - Duration::from_secs(300);
        File::options()
            .write(true)
            .open(&lock_path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let lock = DotLock::acquire(&target, "h", quick()).unwrap();
        assert_eq!(
            fs::read_to_string(&lock_path).unwrap(),
            format!("{}:h", std::process::id())
        );
        drop(lock);
    }

    #[test]
    fn young_foreign_lock_is_respected() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        fs::write(dir.path().join("f.lock"), "1:otherhost").unwrap();
        assert!(matches!(
            DotLock::acquire(&target, "h", quick()),
            Err(Error::LockTimeout { .. })
        ));
    }

    #[test]
    fn dead_local_pid_is_taken_over() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("f");
        let lock_path = dir.path().join("f.lock");
        // PIDs above the kernel's pid_max never exist.
        fs::write(&lock_path, "2147483647:h").unwrap();
        let old = SystemTime::now() - Duration::from_secs(5);
        File::options()
            .write(true)
            .open(&lock_path)
            .unwrap()
            .set_modified(old)
            .unwrap();
        assert!(DotLock::acquire(&target, "h", quick()).is_ok());
    }

    #[test]
    fn threads_exclude_each_other() {
        let dir = tempfile::tempdir().unwrap();
        let target = Arc::new(dir.path().join("f"));
        let inside = Arc::new(AtomicU32::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let target = Arc::clone(&target);
                let inside = Arc::clone(&inside);
                thread::spawn(move || {
                    for _ in 0..20 {
                        let options = LockOptions {
                            timeout: Duration::from_secs(20),
                            ..LockOptions::default()
                        };
                        let _lock = DotLock::acquire(&target, "h", options).unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        thread::sleep(Duration::from_micros(200));
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }
}
