//! Debian's Postfix (`apt-get install postfix`) as a test peer on 127.0.0.1:
//!
//! - [`Postfix`]: a throwaway instance with its own configuration, queue, log and
//!   mailboxes in a temporary directory (chroot off, no system service touched), smtpd
//!   on a free loopback port, optionally with STARTTLS and a self-signed certificate.
//!   Mail for its virtual mailbox domains lands in Maildirs under [`Postfix::vmail`];
//!   other routes (an LMTP `virtual_transport`, ...) come from extra `main.cf` lines.
//! - [`SmtpSink`]: Postfix's `smtp-sink`, dumping each message into a file.
//!
//! Both are stopped when dropped. Both need root (the daemons run as `postfix`).

use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How a [`Postfix`] instance is set up.
#[derive(Debug, Clone)]
pub struct Config {
    /// `myhostname` (the greeting and EHLO name, and the certificate's name).
    pub hostname: String,
    /// Offer STARTTLS with a self-signed certificate for `hostname`.
    pub tls: bool,
    /// Virtual mailboxes: the address and its Maildir below [`Postfix::vmail`], such as
    /// `("bob@postfix.test", "postfix.test/bob/")` (the trailing `/` means Maildir).
    /// Their domains become `virtual_mailbox_domains`.
    pub mailboxes: Vec<(String, String)>,
    /// Lines appended to `main.cf` (later settings win over earlier ones).
    pub main_cf: String,
}

impl Config {
    /// No TLS, no mailboxes, nothing extra.
    pub fn new(hostname: impl Into<String>) -> Self {
        Self {
            hostname: hostname.into(),
            tls: false,
            mailboxes: Vec::new(),
            main_cf: String::new(),
        }
    }
}

/// A running throwaway Postfix; stopped (`postfix stop`) when dropped.
pub struct Postfix {
    dir: tempfile::TempDir,
    /// Where its smtpd listens.
    pub smtp: SocketAddr,
}

impl Postfix {
    /// Writes the configuration and starts Postfix; waits (at most 30 s) until its
    /// smtpd accepts connections.
    ///
    /// # Panics
    ///
    /// When Postfix is not installed, refuses the configuration or does not listen.
    pub fn start(config: &Config) -> Self {
        let dir = world_readable_dir();
        let root = dir.path();
        for sub in ["conf", "queue", "data", "vmail"] {
            std::fs::create_dir(root.join(sub)).expect("mkdir");
        }
        chown("postfix", &root.join("data"));
        chown("nobody", &root.join("vmail"));
        let smtp = SocketAddr::from(([127, 0, 0, 1], crate::free_port()));
        std::fs::write(root.join("conf/main.cf"), main_cf(root, config)).expect("main.cf");
        std::fs::write(root.join("conf/master.cf"), master_cf(smtp)).expect("master.cf");
        let postfix = Self { dir, smtp };
        postfix.control("start");
        wait_listening(smtp, "postfix smtpd", || postfix.log());
        postfix
    }

    /// The configuration directory (`postfix -c`).
    pub fn conf(&self) -> PathBuf {
        self.dir.path().join("conf")
    }

    /// The base directory of the virtual mailboxes.
    pub fn vmail(&self) -> PathBuf {
        self.dir.path().join("vmail")
    }

    /// Postfix's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// Runs `postfix -c CONF action`.
    ///
    /// # Panics
    ///
    /// When the command fails.
    pub fn control(&self, action: &str) {
        let output = Command::new("postfix")
            .arg("-c")
            .arg(self.conf())
            .arg(action)
            .stdin(Stdio::null())
            .output()
            .expect("run postfix");
        assert!(
            output.status.success(),
            "postfix {action}: {}{}",
            String::from_utf8_lossy(&output.stderr),
            self.log()
        );
    }

    /// The messages in the Maildir `maildir` (relative to [`Postfix::vmail`]), waiting
    /// at most `limit` for `count` of them.
    ///
    /// # Panics
    ///
    /// When fewer than `count` arrive in time.
    pub fn wait_for_mail(&self, maildir: &str, count: usize, limit: Duration) -> Vec<String> {
        let new = self.vmail().join(maildir).join("new");
        let deadline = Instant::now() + limit;
        loop {
            let mail = read_files(&new);
            if mail.len() >= count {
                return mail;
            }
            assert!(
                Instant::now() < deadline,
                "{} of {count} messages arrived in {maildir}:\n{}",
                mail.len(),
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(self.conf())
            .arg("stop")
            .stdin(Stdio::null())
            .output();
    }
}

fn main_cf(root: &Path, config: &Config) -> String {
    let d = root.display();
    let mut cf = format!(
        "compatibility_level = 3.6\n\
         queue_directory = {d}/queue\n\
         data_directory = {d}/data\n\
         maillog_file = {d}/maillog\n\
         maillog_file_prefixes = {d}\n\
         mail_owner = postfix\n\
         setgid_group = postdrop\n\
         inet_interfaces = 127.0.0.1\n\
         inet_protocols = ipv4\n\
         myhostname = {}\n\
         mydestination =\n\
         mynetworks = 127.0.0.0/8\n\
         alias_maps =\n\
         alias_database =\n",
        config.hostname
    );
    if config.tls {
        let (cert, key) = write_certificate(root, &config.hostname);
        cf.push_str(&format!(
            "smtpd_tls_security_level = may\n\
             smtpd_tls_cert_file = {}\n\
             smtpd_tls_key_file = {}\n\
             smtpd_tls_loglevel = 1\n",
            cert.display(),
            key.display()
        ));
    }
    if !config.mailboxes.is_empty() {
        let map: String = config
            .mailboxes
            .iter()
            .map(|(address, maildir)| format!("{address} {maildir}\n"))
            .collect();
        std::fs::write(root.join("conf/vmailbox"), map).expect("write the mailbox map");
        let mut domains: Vec<&str> = config
            .mailboxes
            .iter()
            .filter_map(|(address, _)| address.rsplit_once('@').map(|(_, d)| d))
            .collect();
        domains.sort_unstable();
        domains.dedup();
        cf.push_str(&format!(
            "virtual_mailbox_domains = {}\n\
             virtual_mailbox_base = {d}/vmail\n\
             virtual_mailbox_maps = texthash:{d}/conf/vmailbox\n\
             virtual_uid_maps = static:65534\n\
             virtual_gid_maps = static:65534\n",
            domains.join(", ")
        ));
    }
    cf.push_str(&config.main_cf);
    cf
}

/// The services a test needs, chroot off ("n"): the queue is in a temporary directory.
fn master_cf(smtp: SocketAddr) -> String {
    let services = [
        format!("{smtp} inet n - n - - smtpd"),
        "pickup unix n - n 60 1 pickup".into(),
        "cleanup unix n - n - 0 cleanup".into(),
        "qmgr unix n - n 300 1 qmgr".into(),
        "tlsmgr unix - - n 1000? 1 tlsmgr".into(),
        "rewrite unix - - n - - trivial-rewrite".into(),
        "bounce unix - - n - 0 bounce".into(),
        "defer unix - - n - 0 bounce".into(),
        "trace unix - - n - 0 bounce".into(),
        "verify unix - - n - 1 verify".into(),
        "flush unix n - n 1000? 0 flush".into(),
        "proxymap unix - - n - - proxymap".into(),
        "showq unix n - n - - showq".into(),
        "error unix - - n - - error".into(),
        "retry unix - - n - - error".into(),
        "discard unix - - n - - discard".into(),
        "virtual unix - n n - - virtual".into(),
        "smtp unix - - n - - smtp".into(),
        "lmtp unix - - n - - lmtp".into(),
        "anvil unix - - n - 1 anvil".into(),
        "scache unix - - n - 1 scache".into(),
        "postlog unix-dgram n - n - 1 postlogd".into(),
    ];
    services.join("\n") + "\n"
}

/// A self-signed certificate for `name`: (cert.pem, key.pem).
fn write_certificate(root: &Path, name: &str) -> (PathBuf, PathBuf) {
    let generated =
        rcgen::generate_simple_self_signed(vec![name.to_owned()]).expect("generate certificate");
    let (cert, key) = (root.join("cert.pem"), root.join("key.pem"));
    std::fs::write(&cert, generated.cert.pem()).expect("write cert");
    std::fs::write(&key, generated.signing_key.serialize_pem()).expect("write key");
    (cert, key)
}

/// A running `smtp-sink`; killed when dropped.
pub struct SmtpSink {
    child: Child,
    dumps: tempfile::TempDir,
    /// Where it listens.
    pub addr: SocketAddr,
}

impl SmtpSink {
    /// `smtp-sink` on a free port with `options` (such as `["-r", "RCPT"]`), greeting
    /// as `sink.test` and dumping each message into a file; waits until it listens.
    ///
    /// # Panics
    ///
    /// When smtp-sink is not installed or does not listen within 30 seconds.
    pub fn start(options: &[&str]) -> Self {
        let dumps = world_readable_dir();
        chown("postfix", dumps.path());
        let addr = SocketAddr::from(([127, 0, 0, 1], crate::free_port()));
        let template = format!("{}/%M.", dumps.path().display());
        let child = Command::new("smtp-sink")
            .args(["-u", "postfix", "-h", "sink.test", "-d", &template])
            .args(options)
            .arg(addr.to_string())
            .arg("10")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("start smtp-sink");
        wait_listening(addr, "smtp-sink", String::new);
        Self { child, dumps, addr }
    }

    /// The messages dumped so far (with smtp-sink's `X-*-Args` headers, LF line ends).
    pub fn dumps(&self) -> Vec<String> {
        read_files(self.dumps.path())
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The contents of the files in `dir` (none if it does not exist).
pub fn read_files(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_file())
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect()
}

/// A temporary directory the postfix user can enter.
fn world_readable_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    dir
}

fn chown(owner: &str, path: &Path) {
    let status = Command::new("chown")
        .args(["-R", owner])
        .arg(path)
        .status()
        .expect("run chown");
    assert!(status.success(), "chown {owner} {}", path.display());
}

fn wait_listening(addr: SocketAddr, what: &str, log: impl Fn() -> String) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not start on {addr}:\n{}",
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
