//! The spam check against Debian's rspamd (`apt-get install rspamd`), started by the
//! test on 127.0.0.1 with a throwaway configuration (the approach of milter-proto's
//! interop test): a proxy worker in milter mode that scans by itself, a normal worker
//! for HTTP, a controller; no redis, modules that would ask the network disabled, DNS
//! pointed at a closed local port. rspamd is stopped at the end.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::*;
use crate::filter::testing::{Logs, envelope, spool};

const GTUBE: &str = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X";

/// An rspamd started by the test; stopped (SIGTERM, then SIGKILL) when dropped.
struct Rspamd {
    child: Child,
    dir: tempfile::TempDir,
    milter: SocketAddr,
    normal: SocketAddr,
}

impl Drop for Rspamd {
    fn drop(&mut self) {
        testkit::terminate(&mut self.child);
    }
}

impl Rspamd {
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.dir.path().join("rspamd.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    fn start() -> Self {
        let binary = rspamd_binary();
        let dir = tempfile::tempdir().unwrap();
        let (milter, normal, controller) = (
            testkit::free_port(),
            testkit::free_port(),
            testkit::free_port(),
        );
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

fn message(body: &str) -> Vec<u8> {
    format!(
        "From: Sender <sender@origin.test>\r\n\
         To: rcpt@dest.test\r\n\
         Subject: lunch\r\n\
         Date: Thu, 26 Nov 2026 10:00:00 +0000\r\n\
         Message-ID: <{}.interop@origin.test>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=us-ascii\r\n\
         \r\n\
         {body}\r\n",
        body.len()
    )
    .into_bytes()
}

fn config(backend: SpamBackend, addr: SocketAddr) -> SpamConfig {
    SpamConfig {
        enabled: true,
        backend,
        address: Some(addr.to_string()),
        timeout: Duration::from_secs(60),
        ..SpamConfig::default()
    }
}

#[tokio::test]
#[ignore = "interop: rspamd"]
async fn rspamd_rejects_gtube_accepts_ham_and_its_absence_follows_the_policy() {
    let rspamd = Rspamd::start();
    let dir = tempfile::tempdir().unwrap();
    let gtube = spool(dir.path(), &message(&format!("Hello,\r\n\r\n{GTUBE}\r\n"))).await;
    let ham = spool(
        dir.path(),
        &message("Shall we meet at noon at the usual place?\r\nAlice"),
    )
    .await;
    let env = envelope(&["rcpt@dest.test"]);

    for (backend, addr) in [
        (SpamBackend::Milter, rspamd.milter),
        (SpamBackend::Http, rspamd.normal),
    ] {
        let check = SpamCheck::new(config(backend, addr), "mx.dest.test");
        let decision = check.check(&env, &gtube).await;
        let SpamDecision::Reject(reply) = &decision else {
            panic!(
                "{backend:?}: GTUBE not rejected: {decision:?}\n{}",
                rspamd.log_tail()
            );
        };
        assert_eq!(reply.code, 554, "{backend:?}");
        assert_eq!(reply.enhanced, Some(EnhancedCode::new(5, 7, 1)));
        assert!(reply.text().contains("Gtube"), "{backend:?}: {reply:?}");

        let decision = check.check(&env, &ham).await;
        let SpamDecision::Accept(accepted) = &decision else {
            panic!(
                "{backend:?}: ham refused: {decision:?}\n{}",
                rspamd.log_tail()
            );
        };
        assert!(accepted.checked, "{backend:?}");
        if backend == SpamBackend::Http {
            // Without DNS (SPF, DKIM, rDNS all fail) ham may still reach "add header".
            let score = accepted.score.expect("a score over HTTP");
            assert!(score < 15.0, "{score}");
            let header = accepted.changes.value_of("X-Spam-Score");
            assert_eq!(header, Some(format!("{score:.2}")));
        }
    }

    let stopped = [
        (SpamBackend::Milter, rspamd.milter),
        (SpamBackend::Http, rspamd.normal),
    ];
    drop(rspamd);
    for (backend, addr) in stopped {
        let logs = Logs::capture();
        let open = SpamCheck::new(config(backend, addr), "mx.dest.test");
        let decision = open.check(&env, &ham).await;
        assert_eq!(decision, SpamDecision::Accept(Accepted::unchecked()));
        assert!(
            logs.text()
                .contains("accepting the message unchecked (fail_open)"),
            "{}",
            logs.text()
        );
        let closed = SpamCheck::new(
            SpamConfig {
                fail_open: false,
                ..config(backend, addr)
            },
            "mx.dest.test",
        );
        let decision = closed.check(&env, &gtube).await;
        assert_eq!(decision.reply().map(|r| r.code), Some(451), "{backend:?}");
    }
}
