//! Debian's rspamd (`apt-get install rspamd`) started on 127.0.0.1 with a throwaway
//! configuration: a proxy worker in milter mode that scans by itself, a normal worker
//! for HTTP, a controller; no redis, modules that would ask the network disabled, DNS
//! pointed at a closed local port. Stopped when dropped.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// An rspamd started by the test; stopped (SIGTERM, then SIGKILL) when dropped.
pub struct Rspamd {
    child: Child,
    dir: tempfile::TempDir,
    /// The proxy worker in milter mode (scans by itself).
    pub milter: SocketAddr,
    /// The normal worker, which answers `/checkv2` over HTTP.
    pub normal: SocketAddr,
}

impl Drop for Rspamd {
    fn drop(&mut self) {
        crate::terminate(&mut self.child);
    }
}

impl Rspamd {
    /// The last 30 lines of rspamd's log, for failure messages.
    pub fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("rspamd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Starts rspamd and waits (at most two minutes) until both workers listen.
    ///
    /// # Panics
    ///
    /// When rspamd is not installed, exits, or does not listen in time.
    pub fn start() -> Self {
        let binary = rspamd_binary();
        let dir = tempfile::tempdir().unwrap();
        let (milter, normal, controller) =
            (crate::free_port(), crate::free_port(), crate::free_port());
        let config = write_config(dir.path(), milter, normal, controller);
        let d = dir.path().display().to_string();
        let mut command = Command::new(binary);
        command
            .arg("-f")
            .arg("-c")
            .arg(&config)
            .args(["--var", &format!("LOCAL_CONFDIR={d}")])
            .args(["--var", &format!("DBDIR={d}")])
            .args(["--var", &format!("RUNDIR={d}")])
            .args(["--var", &format!("LOGDIR={d}")])
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(dir.path().join("stdout")).unwrap())
            .stderr(std::fs::File::create(dir.path().join("stderr")).unwrap());
        let root = Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.trim_ascii() == b"0");
        if root {
            // rspamd refuses to run its workers as root unless told to.
            command.arg("-i");
        }
        let child = command.spawn().expect("start rspamd");
        let mut rspamd = Self {
            child,
            dir,
            milter: SocketAddr::from(([127, 0, 0, 1], milter)),
            normal: SocketAddr::from(([127, 0, 0, 1], normal)),
        };
        let deadline = Instant::now() + Duration::from_secs(120);
        for addr in [rspamd.milter, rspamd.normal] {
            while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
                if let Ok(Some(status)) = rspamd.child.try_wait() {
                    panic!("rspamd exited ({status}):\n{}", rspamd.log_tail());
                }
                assert!(
                    Instant::now() < deadline,
                    "rspamd did not listen on {addr}:\n{}",
                    rspamd.log_tail()
                );
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        rspamd
    }
}

fn rspamd_binary() -> PathBuf {
    let output = Command::new("which")
        .arg("rspamd")
        .output()
        .expect("run which");
    assert!(
        output.status.success(),
        "rspamd is not installed: apt-get install rspamd (Debian's package)"
    );
    PathBuf::from(String::from_utf8(output.stdout).unwrap().trim())
}

fn write_config(dir: &Path, milter: u16, normal: u16, controller: u16) -> PathBuf {
    let d = dir.display();
    // A tiny public-suffix list: the full one takes a minute to compile at start-up.
    std::fs::write(dir.join("tld.dat"), "com\norg\nnet\ntest\n").unwrap();
    let local = dir.join("local.d");
    std::fs::create_dir(&local).unwrap();
    for module in [
        "fuzzy_check",
        "rbl",
        "asn",
        "phishing",
        "url_redirector",
        "neural",
        "ratelimit",
    ] {
        std::fs::write(local.join(format!("{module}.conf")), "enabled = false;\n").unwrap();
    }
    let config = format!(
        r#".include "$CONFDIR/common.conf"
options {{
    pidfile = "{d}/rspamd.pid";
    url_tld = "{d}/tld.dat";
    .include "$CONFDIR/options.inc"
    dns {{ nameserver = ["127.0.0.1:1"]; timeout = 0.2s; retransmits = 1; }}
}}
logging {{
    type = "file";
    filename = "{d}/rspamd.log";
    level = "info";
}}
worker "normal" {{
    bind_socket = "127.0.0.1:{normal}";
    .include "$CONFDIR/worker-normal.inc"
}}
worker "controller" {{
    bind_socket = "127.0.0.1:{controller}";
    .include "$CONFDIR/worker-controller.inc"
}}
worker "rspamd_proxy" {{
    bind_socket = "127.0.0.1:{milter}";
    milter = yes;
    timeout = 60s;
    upstream "local" {{
        default = yes;
        self_scan = yes;
    }}
}}
"#
    );
    let path = dir.join("rspamd.conf");
    std::fs::write(&path, config).unwrap();
    path
}
