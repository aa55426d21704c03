//! A throwaway Dovecot 2.3 serving IMAP on 127.0.0.1 for one test (configuration in a
//! temporary directory, a free port, passwd-file passdb, static userdb,
//! `mail_location = maildir:`), and copying a Maildir for it.

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::free_port;

/// The uid and gid Dovecot's mail processes run as (it refuses root).
pub(crate) const NOBODY: u32 = 65534;
/// Dovecot's user and password.
pub(crate) const USER: &str = "pat";
pub(crate) const PASSWORD: &str = "dovecot-pw";

/// A Dovecot master process, stopped on drop.
pub(crate) struct Dovecot {
    child: Child,
    pub(crate) addr: SocketAddr,
    log: PathBuf,
}

impl Dovecot {
    /// Starts Dovecot's IMAP serving `maildir` (already handed to `nobody`), its state
    /// in `root`. Time zone UTC, as the Postroom server under test uses: `BEFORE`,
    /// `ON` and `SINCE` compare the internal date's day in the server's zone.
    pub(crate) fn start(root: &Path, maildir: &Path) -> Self {
        let r = root.display();
        for sub in ["run", "state", "home"] {
            std::fs::create_dir_all(root.join(sub)).expect("dovecot dirs");
        }
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        std::fs::write(
            root.join("passwd"),
            format!("{USER}:{{PLAIN}}{PASSWORD}::::::\n"),
        )
        .expect("passwd");
        std::os::unix::fs::chown(root.join("home"), Some(NOBODY), Some(NOBODY)).expect("chown");
        let port = free_port();
        let config = root.join("dovecot.conf");
        std::fs::write(
            &config,
            format!(
                "protocols = imap\nlisten = 127.0.0.1\nbase_dir = {r}/run\nstate_dir = {r}/state\n\
                 instance_name = postroom-imap-{port}\n\
                 log_path = {r}/dovecot.log\nssl = no\ndisable_plaintext_auth = no\n\
                 auth_mechanisms = plain\ndefault_internal_user = root\n\
                 default_internal_group = root\ndefault_login_user = nobody\n\
                 first_valid_uid = 1\nfirst_valid_gid = 1\n\
                 mail_location = maildir:{m}\n\
                 passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {r}/passwd\n}}\n\
                 userdb {{\n  driver = static\n  args = uid={NOBODY} gid={NOBODY} home={r}/home\n}}\n\
                 service imap-login {{\n  chroot =\n  inet_listener imap {{\n    address = 127.0.0.1\n    port = {port}\n  }}\n}}\n\
                 service anvil {{\n  chroot =\n}}\n",
                m = maildir.display()
            ),
        )
        .expect("dovecot.conf");
        let child = Command::new("/usr/sbin/dovecot")
            .args(["-F", "-c"])
            .arg(&config)
            .env("TZ", "UTC")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start dovecot");
        let dovecot = Self {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            log: root.join("dovecot.log"),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(dovecot.addr).is_err() {
            assert!(
                Instant::now() < deadline,
                "dovecot does not listen:\n{}",
                dovecot.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        dovecot
    }

    /// Dovecot's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.log();
            let start = log.len().saturating_sub(4000);
            let start = (start..log.len())
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(0);
            eprintln!("dovecot log (end):\n{}", &log[start..]);
        }
        testkit::terminate(&mut self.child);
    }
}

/// Copies the Maildir at `from` (messages, `dovecot-uidlist`, `dovecot-keywords`,
/// folders) to `to`, keeping each file's modification time (a Maildir message's
/// INTERNALDATE), and hands the copy and the directories above it to `nobody`.
pub(crate) fn copy_maildir(from: &Path, to: &Path) {
    copy_tree(from, to);
    chown_tree(to);
    let mut dir = to.parent();
    while let Some(d) = dir {
        if d == Path::new("/") {
            break;
        }
        let mode = std::fs::metadata(d).expect("stat").permissions().mode();
        if mode & 0o005 != 0o005 {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(mode | 0o005))
                .expect("chmod");
        }
        dir = d.parent();
    }
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        let meta = entry.metadata().expect("metadata");
        if meta.is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
            let file = std::fs::File::options()
                .write(true)
                .open(&target)
                .expect("open copy");
            file.set_modified(meta.modified().expect("mtime"))
                .expect("set mtime");
        }
    }
}

fn chown_tree(path: &Path) {
    std::os::unix::fs::chown(path, Some(NOBODY), Some(NOBODY)).expect("chown");
    if path.is_dir() {
        for entry in std::fs::read_dir(path).expect("read dir") {
            chown_tree(&entry.expect("entry").path());
        }
    }
}
