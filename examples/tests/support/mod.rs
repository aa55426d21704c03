//! Starting the real `postroom` binary for integration tests: a throwaway installation
//! in a temporary directory (configuration with free ports on 127.0.0.1, SQLite
//! directory, self-signed certificate, vmail), and a guard that kills the server on drop.
#![allow(
    dead_code,
    reason = "each test file uses a different part of the helpers"
)]

pub(crate) mod attack;
pub(crate) mod dovecot_imap;
pub(crate) mod imap;
pub(crate) mod pop3;
pub(crate) mod smtp_peer;
pub(crate) mod submit;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The domain every test installation serves.
pub(crate) const DOMAIN: &str = "example.test";
/// The password of every test user.
pub(crate) const PASSWORD: &str = "Secret-pw-1";

/// How a test installation is set up.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// Connections allowed from one IP.
    pub(crate) connections_per_ip: usize,
    /// Largest message in bytes.
    pub(crate) message_size: u64,
    /// Serve STARTTLS with a generated certificate.
    pub(crate) tls: bool,
    /// Also listen for LMTP on a Unix socket.
    pub(crate) lmtp_unix: bool,
    /// Users to create (local part, quota in bytes; 0 is unlimited).
    pub(crate) users: Vec<(&'static str, u64)>,
    /// Aliases to create (source, destination).
    pub(crate) aliases: Vec<(&'static str, &'static str)>,
    /// `auth.allow_plaintext_auth_on_loopback` (POP3 USER/PASS before STLS).
    pub(crate) plaintext_on_loopback: bool,
    /// TOML appended to the generated configuration, right after the `[outbound]`
    /// table: bare keys extend `[outbound]`, and any `[table]` may follow.
    pub(crate) extra_config: String,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            connections_per_ip: 20,
            message_size: 1_000_000,
            tls: true,
            lmtp_unix: false,
            users: vec![("pat", 0), ("sam", 0), ("full", 2000)],
            aliases: Vec::new(),
            plaintext_on_loopback: true,
            extra_config: String::new(),
        }
    }
}

pub(crate) use testkit::free_port;

/// The SASL PLAIN response (RFC 4616) for `user` and `password`, base64-encoded.
pub(crate) fn sasl_plain(user: &str, password: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(format!("\0{user}\0{password}"))
}

/// A test installation and, while started, its server process.
pub(crate) struct Postroom {
    /// Keeps the directory alive; removed on drop.
    pub(crate) dir: tempfile::TempDir,
    /// The configuration file.
    pub(crate) config: PathBuf,
    /// The MX listener.
    pub(crate) mx: SocketAddr,
    /// The LMTP TCP listener.
    pub(crate) lmtp: SocketAddr,
    /// The POP3 listener (STLS when TLS is on).
    pub(crate) pop3: SocketAddr,
    /// The POP3S (implicit TLS) listener, if TLS is on.
    pub(crate) pop3s: Option<SocketAddr>,
    /// The IMAP listener (STARTTLS when TLS is on).
    pub(crate) imap: SocketAddr,
    /// The IMAPS (implicit TLS) listener, if TLS is on.
    pub(crate) imaps: Option<SocketAddr>,
    /// The submission listener (STARTTLS when TLS is on, then AUTH).
    pub(crate) submission: SocketAddr,
    /// The submissions (implicit TLS) listener, if TLS is on.
    pub(crate) submissions: Option<SocketAddr>,
    /// The LMTP Unix socket, if configured.
    pub(crate) lmtp_socket: Option<PathBuf>,
    /// The certificate (PEM), if TLS is on.
    pub(crate) cert: Option<PathBuf>,
    child: Option<Child>,
    log: PathBuf,
    starts: usize,
}

/// The path of the binary under test.
pub(crate) fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_postroom")
}

impl Postroom {
    /// Creates the installation (configuration, tables, domain, users) without serving.
    pub(crate) fn setup(options: &Options) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let config = dir.path().join("postroom.toml");
        let mx = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let lmtp = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let pop3 = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let pop3s = options
            .tls
            .then(|| SocketAddr::from(([127, 0, 0, 1], free_port())));
        let imap = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let imaps = options
            .tls
            .then(|| SocketAddr::from(([127, 0, 0, 1], free_port())));
        let submission = SocketAddr::from(([127, 0, 0, 1], free_port()));
        let submissions = options
            .tls
            .then(|| SocketAddr::from(([127, 0, 0, 1], free_port())));
        let lmtp_socket = options.lmtp_unix.then(|| dir.path().join("lmtp.sock"));
        let cert = options.tls.then(|| write_certificate(dir.path()));
        let mut lmtp_listeners = format!("\"{lmtp}\"");
        if let Some(socket) = &lmtp_socket {
            lmtp_listeners.push_str(&format!(", \"unix:{}\"", socket.display()));
        }
        let mut reader_listeners = format!("pop3 = [\"{pop3}\"]\n");
        if let Some(pop3s) = pop3s {
            reader_listeners.push_str(&format!("pop3s = [\"{pop3s}\"]\n"));
        }
        reader_listeners.push_str(&format!("imap = [\"{imap}\"]\n"));
        if let Some(imaps) = imaps {
            reader_listeners.push_str(&format!("imaps = [\"{imaps}\"]\n"));
        }
        reader_listeners.push_str(&format!("submission = [\"{submission}\"]\n"));
        if let Some(submissions) = submissions {
            reader_listeners.push_str(&format!("submissions = [\"{submissions}\"]\n"));
        }
        let tls = if options.tls {
            "[tls]\ncertificate = \"cert.pem\"\nkey = \"key.pem\"\n"
        } else {
            ""
        };
        // Outbound DNS goes to a closed loopback port: no test asks a real resolver, and
        // mail queued for other domains stays deferred where the tests can list it.
        let toml = format!(
            "hostname = \"mx.{DOMAIN}\"\n\
             [listeners]\nmx = [\"{mx}\"]\nlmtp = [{lmtp_listeners}]\n\
             {reader_listeners}\
             {tls}\
             [directory]\nurl = \"sqlite://directory.db\"\n\
             [mail]\nvmail = \"vmail\"\n\
             [limits]\nmessage_size = {}\nconnections_per_ip = {}\nidle_timeout_secs = 60\n\
             [auth]\ndefault_scheme = \"SHA512-CRYPT\"\nallow_plaintext_auth_on_loopback = {}\n\
             [outbound]\nnameservers = [\"127.0.0.1:1\"]\n{}",
            options.message_size,
            options.connections_per_ip,
            options.plaintext_on_loopback,
            options.extra_config
        );
        std::fs::write(&config, toml).expect("write config");
        let installation = Self {
            dir,
            config,
            mx,
            lmtp,
            pop3,
            pop3s,
            imap,
            imaps,
            submission,
            submissions,
            lmtp_socket,
            cert,
            child: None,
            log: PathBuf::new(),
            starts: 0,
        };
        installation.admin(&["init"]);
        installation.admin(&["domain", "add", DOMAIN]);
        for (user, quota) in &options.users {
            let email = format!("{user}@{DOMAIN}");
            let quota = quota.to_string();
            installation.admin(&["user", "add", &email, "-p", PASSWORD, "--quota", &quota]);
        }
        for (source, destination) in &options.aliases {
            installation.admin(&["alias", "add", source, destination]);
        }
        installation
    }

    /// Runs an admin command against this installation; panics if it fails.
    pub(crate) fn admin(&self, args: &[&str]) {
        let output = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run postroom");
        assert!(
            output.status.success(),
            "postroom {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Sets up and starts a server.
    pub(crate) fn start_with(options: &Options) -> Self {
        let mut p = Self::setup(options);
        p.start();
        p
    }

    /// Starts `postroom serve` and waits until the MX accepts connections.
    pub(crate) fn start(&mut self) {
        assert!(self.child.is_none(), "already started");
        self.starts += 1;
        self.log = self.dir.path().join(format!("server-{}.log", self.starts));
        let log = std::fs::File::create(&self.log).expect("log file");
        let child = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("start postroom serve");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(30);
        while TcpStream::connect(self.mx).is_err() {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                panic!("postroom exited with {status}:\n{}", self.log());
            }
            assert!(
                Instant::now() < deadline,
                "the MX did not come up:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        // The probe above holds a connection slot until the server sees it closed; wait
        // for that, so tests of the per-IP limit start from zero.
        while !self.log().contains("disconnect: session=") {
            assert!(
                Instant::now() < deadline,
                "the probe connection was not closed:\n{}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The server's log so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends a signal (`TERM`, `KILL`, `HUP`, ...) to the server.
    pub(crate) fn signal(&self, name: &str) {
        let child = self.child.as_ref().expect("started");
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(child.id().to_string())
            .status()
            .expect("run kill");
        assert!(status.success());
    }

    /// Waits (bounded) for the server to exit; returns whether it exited successfully.
    pub(crate) fn wait(&mut self, limit: Duration) -> bool {
        let mut child = self.child.take().expect("started");
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = child.try_wait().expect("wait") {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("postroom did not exit within {limit:?}:\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Kills the server at once (SIGKILL), as a crash would.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// A user's Maildir.
    pub(crate) fn maildir(&self, user: &str) -> PathBuf {
        self.dir
            .path()
            .join("vmail")
            .join(DOMAIN)
            .join(user)
            .join("Maildir")
    }

    /// The messages in a user's INBOX (`new/` and `cur/`), sorted by file name.
    pub(crate) fn inbox(&self, user: &str) -> Vec<String> {
        messages_in(&self.maildir(user))
    }

    /// Runs an admin command against this installation; returns its standard output
    /// (panics if it fails).
    pub(crate) fn admin_output(&self, args: &[&str]) -> String {
        let output = Command::new(binary())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run postroom");
        assert!(
            output.status.success(),
            "postroom {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Postroom {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The message files of the Maildir folder at `dir` (`new/` and `cur/`), sorted by name.
pub(crate) fn message_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = ["new", "cur"]
        .iter()
        .filter_map(|sub| std::fs::read_dir(dir.join(sub)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    files
}

/// The messages of the Maildir folder at `dir`, sorted by file name.
pub(crate) fn messages_in(dir: &Path) -> Vec<String> {
    message_files(dir)
        .iter()
        .map(|f| String::from_utf8_lossy(&std::fs::read(f).expect("read message")).into_owned())
        .collect()
}

/// Writes a self-signed certificate for `localhost` and `mx.example.test`; returns the
/// certificate's path.
fn write_certificate(dir: &Path) -> PathBuf {
    let names = vec!["localhost".to_owned(), format!("mx.{DOMAIN}")];
    let generated = rcgen::generate_simple_self_signed(names).expect("certificate");
    let cert = dir.join("cert.pem");
    std::fs::write(&cert, generated.cert.pem()).expect("write cert");
    std::fs::write(dir.join("key.pem"), generated.signing_key.serialize_pem()).expect("write key");
    cert
}

/// A line-oriented client for SMTP and LMTP tests, with a read timeout so a test can
/// never hang.
pub(crate) struct LineClient<S: Read + Write> {
    reader: BufReader<S>,
}

/// A connection to a TCP listener.
pub(crate) fn connect(addr: SocketAddr) -> LineClient<TcpStream> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    LineClient {
        reader: BufReader::new(stream),
    }
}

/// A connection to a Unix socket listener.
pub(crate) fn connect_unix(path: &Path) -> LineClient<std::os::unix::net::UnixStream> {
    let stream = std::os::unix::net::UnixStream::connect(path).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    LineClient {
        reader: BufReader::new(stream),
    }
}

impl<S: Read + Write> LineClient<S> {
    /// The underlying stream (for STARTTLS), once no reply is left unread.
    pub(crate) fn into_stream(self) -> S {
        self.reader.into_inner()
    }

    /// Sends raw bytes.
    pub(crate) fn send(&mut self, bytes: &str) {
        let stream = self.reader.get_mut();
        stream.write_all(bytes.as_bytes()).expect("send");
        stream.flush().expect("flush");
    }

    /// Reads one complete reply (all its lines); returns its last line, e.g.
    /// `250 2.0.0 Ok`. An empty string means the server closed the connection.
    pub(crate) fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return String::new(),
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return String::new(),
                Err(e) => panic!("reading a reply: {e}"),
            }
            let line = line.trim_end().to_owned();
            if line.as_bytes().get(3) != Some(&b'-') {
                return line;
            }
        }
    }

    /// Reads one reply with all its lines joined by `\n`.
    pub(crate) fn reply_lines(&mut self) -> String {
        let mut all = Vec::new();
        loop {
            let mut line = String::new();
            if self.reader.read_line(&mut line).expect("read") == 0 {
                break;
            }
            let line = line.trim_end().to_owned();
            let last = line.as_bytes().get(3) != Some(&b'-');
            all.push(line);
            if last {
                break;
            }
        }
        all.join("\n")
    }

    /// Sends a command line and returns the reply's last line.
    pub(crate) fn command(&mut self, line: &str) -> String {
        self.send(&format!("{line}\r\n"));
        self.reply()
    }

    /// The reply code of [`LineClient::command`] with its enhanced code, e.g. `550 5.1.1`.
    pub(crate) fn code(&mut self, line: &str) -> String {
        let reply = self.command(line);
        reply.chars().take(9).collect()
    }
}

/// Runs a client program with a deadline, reading its output as it comes (a large
/// output must not fill the pipe); kills it (by its own pid) if it overruns.
pub(crate) fn run_bounded(command: &mut Command, limit: Duration) -> std::process::Output {
    let child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the client program runs");
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(limit) {
        Ok(output) => output.expect("output"),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("{command:?} timed out");
        }
    }
}
