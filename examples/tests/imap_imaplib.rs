//! Python's imaplib against the real `postroom` binary, covering every command and
//! capability the IMAP service advertises (issue 7), beyond the session of
//! `imap_interop.rs`. The scripts live in `tests/imaplib/`, one per area, each against
//! its own server: connection and logins (`session.py`), the mailbox tree
//! (`mailboxes.py`), messages (`messages.py`), CONDSTORE and QRESYNC
//! (`condstore.py`) and IDLE (`idle.py`). Run with `cargo test -p postroom --test
//! imap_imaplib -- --ignored`.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use support::{Options, PASSWORD, Postroom, run_bounded};

/// The user whose password is a crypt hash (the configured scheme).
const USER: &str = "pat@example.test";
/// The user whose password is stored as SCRAM-SHA-256 keys.
const SCRAM_USER: &str = "sam@example.test";
/// The user with a 2000 byte quota.
const QUOTA_USER: &str = "full@example.test";

/// How long one script may run.
const LIMIT: Duration = Duration::from_secs(180);

fn scripts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/imaplib")
}

/// The password as SCRAM-SHA-256 keys, made by `postroom pw`.
fn scram_hash() -> String {
    let out = Command::new(support::binary())
        .args(["pw", "-s", "SCRAM-SHA-256", "-p", PASSWORD])
        .output()
        .expect("postroom pw");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// Starts a server (with the SCRAM user) and runs `tests/imaplib/<script>` against it.
fn run_script(script: &str) {
    let mut server = Postroom::setup(&Options::default());
    server.admin(&["user", "passwd", SCRAM_USER, "--hash", &scram_hash()]);
    server.start();
    let out = run_bounded(
        Command::new("python3")
            .arg(scripts().join(script))
            .current_dir(scripts())
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .env("PR_IMAP", server.imap.port().to_string())
            .env("PR_IMAPS", server.imaps.expect("imaps").port().to_string())
            .env("PR_MX", server.mx.port().to_string())
            .env("PR_CA", server.cert.as_ref().expect("certificate"))
            .env("PR_USER", USER)
            .env("PR_PASSWORD", PASSWORD)
            .env("PR_SCRAM_USER", SCRAM_USER)
            .env("PR_QUOTA_USER", QUOTA_USER),
        LIMIT,
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{script} failed:\n{text}\n--- server log ---\n{}",
        server.log()
    );
    let done = format!("{} ok", script.trim_end_matches(".py"));
    assert!(text.contains(&done), "{script} did not finish:\n{text}");
}

#[test]
#[ignore = "interop: python3"]
fn imaplib_session_logins_enable_id_compress() {
    run_script("session.py");
}

#[test]
#[ignore = "interop: python3"]
fn imaplib_mailbox_tree_list_status_quota() {
    run_script("mailboxes.py");
}

#[test]
#[ignore = "interop: python3"]
fn imaplib_append_fetch_store_search_sort_thread_copy_move_expunge() {
    run_script("messages.py");
}

#[test]
#[ignore = "interop: python3"]
fn imaplib_condstore_and_qresync() {
    run_script("condstore.py");
}

#[test]
#[ignore = "interop: python3"]
fn imaplib_idle_shows_changes_within_a_second() {
    run_script("idle.py");
}
