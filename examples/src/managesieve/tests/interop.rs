//! Debian's sieve-connect against the service in-process: STARTTLS, AUTHENTICATE PLAIN,
//! then upload, list, activate, download, check and delete, checked on disk.

use std::fs;
use std::path::Path;
use std::process::Stdio;

use tokio::io::AsyncWriteExt;

use super::*;
use crate::managesieve::store::ACTIVE_LINK;

/// The longest one sieve-connect run may take.
const RUN_LIMIT: Duration = Duration::from_secs(60);

const RULES: &str = "require [\"fileinto\", \"imap4flags\"];\n\
                     if header :contains \"X-Spam\" \"Yes\" {\n\
                     \x20 addflag \"\\\\Seen\";\n\
                     \x20 fileinto \"Junk\";\n\
                     \x20 stop;\n\
                     }\n";

/// What one sieve-connect run printed, and whether it succeeded.
struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

/// Runs sieve-connect against `h` as ken with `args`; the password goes through fd 0.
async fn sieve_connect(h: &Harness, args: &[&str]) -> Run {
    sieve_connect_with(h, PASSWORD, args).await
}

/// [`sieve_connect`] with another password.
async fn sieve_connect_with(h: &Harness, password: &str, args: &[&str]) -> Run {
    let port = h.addr.port().to_string();
    let mut command = tokio::process::Command::new("sieve-connect");
    command
        .args(["--nosrv", "--server", "127.0.0.1", "--port", &port])
        .args(["--user", "ken@example.test", "--passwordfd", "0"])
        .args(["--notlsverify", "--noclearauth", "--authmech", "PLAIN"])
        .args(args)
        .current_dir(h.dir.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("sieve-connect is installed");
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(format!("{password}\n").as_bytes())
        .await
        .unwrap();
    drop(stdin);
    let output = timeout(RUN_LIMIT, child.wait_with_output())
        .await
        .expect("sieve-connect finishes in time")
        .unwrap();
    Run {
        ok: output.status.success(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The run succeeded, and sieve-connect found nothing odd in the server's answers.
fn assert_ok(run: &Run, what: &str) {
    assert!(
        run.ok,
        "{what} failed\nstdout: {}\nstderr: {}",
        run.stdout, run.stderr
    );
    for complaint in ["Unhandled server line", "violat", "does not return"] {
        assert!(!run.stderr.contains(complaint), "{what}: {}", run.stderr);
    }
}

#[tokio::test]
#[ignore = "interop: sieve-connect"]
async fn sieve_connect_manages_scripts() {
    let h = start(
        "allow_plaintext_auth_on_loopback = false\n",
        Quota::default(),
        true,
    )
    .await;
    h.user("ken").await;
    let home = h.home("ken");
    let local = h.dir.path().join("rules.sieve");
    fs::write(&local, RULES).unwrap();
    let local = local.to_str().unwrap();

    let run = sieve_connect(
        &h,
        &[
            "--upload",
            "--localsieve",
            local,
            "--remotesieve",
            "spam rules",
        ],
    )
    .await;
    assert_ok(&run, "upload");
    assert_eq!(
        fs::read_to_string(home.join("sieve/spam rules.sieve")).unwrap(),
        RULES
    );

    let run = sieve_connect(&h, &["--list", "--debug"]).await;
    assert_ok(&run, "list");
    assert_eq!(run.stdout.trim(), "\"spam rules\"");
    // The session went through STARTTLS before the PLAIN login.
    let starttls = run.stderr.find(">>> STARTTLS").expect("STARTTLS was used");
    let login = run
        .stderr
        .find(">>> AUTHENTICATE \"PLAIN\"")
        .expect("PLAIN was used");
    assert!(starttls < login, "{}", run.stderr);

    let run = sieve_connect(&h, &["--activate", "--remotesieve", "spam rules"]).await;
    assert_ok(&run, "activate");
    assert_eq!(
        fs::read_link(home.join(ACTIVE_LINK)).unwrap(),
        Path::new("sieve/spam rules.sieve")
    );
    let run = sieve_connect(&h, &["--list"]).await;
    assert_ok(&run, "list");
    assert_eq!(run.stdout.trim(), "\"spam rules\" ACTIVE");

    let downloaded = h.dir.path().join("downloaded.sieve");
    let run = sieve_connect(
        &h,
        &[
            "--download",
            "--remotesieve",
            "spam rules",
            "--localsieve",
            downloaded.to_str().unwrap(),
        ],
    )
    .await;
    assert_ok(&run, "download");
    assert_eq!(fs::read_to_string(&downloaded).unwrap(), RULES);

    // A broken script is refused with its line and column, and not stored.
    let broken = h.dir.path().join("broken.sieve");
    fs::write(&broken, "require \"fileinto\";\nfileinto \"Junk\"\nkeep;\n").unwrap();
    let broken = broken.to_str().unwrap();
    let run = sieve_connect(
        &h,
        &[
            "--upload",
            "--localsieve",
            broken,
            "--remotesieve",
            "broken",
        ],
    )
    .await;
    assert!(!run.ok, "a broken script was accepted: {}", run.stdout);
    assert!(run.stderr.contains("line 3"), "{}", run.stderr);
    assert!(!home.join("sieve/broken.sieve").exists());
    let run = sieve_connect(&h, &["--checkscript", "--localsieve", broken]).await;
    assert!(!run.ok && run.stderr.contains("line 3"), "{}", run.stderr);
    let run = sieve_connect(&h, &["--checkscript", "--localsieve", local]).await;
    assert_ok(&run, "checkscript");

    // The active script cannot be deleted; once deactivated it can.
    let run = sieve_connect(&h, &["--delete", "--remotesieve", "spam rules"]).await;
    assert!(!run.ok && run.stderr.contains("ACTIVE"), "{}", run.stderr);
    assert!(home.join("sieve/spam rules.sieve").is_file());
    let run = sieve_connect(&h, &["--deactivate"]).await;
    assert_ok(&run, "deactivate");
    assert!(fs::symlink_metadata(home.join(ACTIVE_LINK)).is_err());
    let run = sieve_connect(&h, &["--delete", "--remotesieve", "spam rules"]).await;
    assert_ok(&run, "delete");
    assert!(!home.join("sieve/spam rules.sieve").exists());
    let run = sieve_connect(&h, &["--list"]).await;
    assert_ok(&run, "list");
    assert_eq!(run.stdout.trim(), "");
}

#[tokio::test]
#[ignore = "interop: sieve-connect"]
async fn sieve_connect_with_a_wrong_password_is_refused() {
    let h = start(
        "allow_plaintext_auth_on_loopback = false\n",
        Quota::default(),
        true,
    )
    .await;
    h.user("ken").await;
    let run = sieve_connect_with(&h, "not-the-password", &["--list"]).await;
    assert!(!run.ok, "{}", run.stdout);
    assert!(
        run.stderr.contains("Authentication failed"),
        "{}",
        run.stderr
    );
}
