//! `postroom pw`: the output and exit codes of `doveadm pw`.

mod cli_support;

use cli_support::{postroom, postroom_in};

#[test]
fn hashes_print_as_scheme_and_hash() {
    let run = postroom(&["pw", "-s", "SHA512-CRYPT", "-p", "test"]).expect(0);
    assert!(
        run.stdout.starts_with("{SHA512-CRYPT}$6$"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout.lines().count(), 1);
    assert!(run.stderr.is_empty(), "{}", run.stderr);

    let default = postroom(&["pw", "-p", "test"]).expect(0);
    assert!(
        default
            .stdout
            .starts_with("{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$")
    );

    let verified = postroom(&["pw", "-V", "-s", "ssha512", "-p", "x"]).expect(0);
    assert!(
        verified.stdout.starts_with("{SSHA512}"),
        "{}",
        verified.stdout
    );
    assert!(
        verified.stdout.ends_with(" (verified)\n"),
        "{}",
        verified.stdout
    );

    let rounds = postroom(&["pw", "-s", "SHA256-CRYPT", "-r", "6000", "-p", "x"]).expect(0);
    assert!(
        rounds.stdout.starts_with("{SHA256-CRYPT}$5$rounds=6000$"),
        "{}",
        rounds.stdout
    );
}

#[test]
fn test_mode_verifies_or_fails_with_75() {
    let hash = postroom(&["pw", "-s", "BLF-CRYPT", "-r", "4", "-p", "secret"])
        .expect(0)
        .stdout
        .trim_end()
        .to_owned();
    let ok = postroom(&["pw", "-t", &hash, "-p", "secret"]).expect(0);
    assert_eq!(ok.stdout, format!("{hash} (verified)\n"));

    let wrong = postroom(&["pw", "-t", &hash, "-p", "nope"]).expect(75);
    assert_eq!(
        wrong.stderr,
        "Fatal: reverse password verification check failed: Password mismatch\n"
    );
    assert!(wrong.stdout.is_empty());

    let no_prefix = postroom(&["pw", "-t", "garbage", "-p", "x"]).expect(75);
    assert_eq!(
        no_prefix.stderr,
        "Fatal: Missing {scheme} prefix from hash\n"
    );
    let unknown = postroom(&["pw", "-t", "{NOPE}x", "-p", "x"]).expect(75);
    assert_eq!(
        unknown.stderr,
        "Fatal: reverse decode check failed: Unknown scheme\n"
    );
    let bad_scheme = postroom(&["pw", "-s", "NOPE", "-p", "x"]).expect(75);
    assert_eq!(bad_scheme.stderr, "Fatal: Unknown scheme: NOPE\n");
}

#[test]
fn prompts_twice_without_p() {
    let tmp = tempfile::tempdir().unwrap();
    let run = postroom_in(
        tmp.path(),
        &["pw", "-s", "PLAIN"],
        Some("hunter2\nhunter2\n"),
    )
    .expect(0);
    assert_eq!(run.stdout, "{PLAIN}hunter2\n");
    assert_eq!(run.stderr, "Enter new password: Retype new password: ");
    let mismatch = postroom_in(tmp.path(), &["pw"], Some("a\nb\n")).expect(75);
    assert!(
        mismatch.stderr.ends_with("Fatal: Passwords don't match!\n"),
        "{}",
        mismatch.stderr
    );
    let verify = postroom_in(tmp.path(), &["pw", "-t", "{PLAIN}abc"], Some("abc\n")).expect(0);
    assert_eq!(verify.stdout, "{PLAIN}abc (verified)\n");
}

#[test]
fn lists_schemes() {
    let run = postroom(&["pw", "-l"]).expect(0);
    let names: Vec<&str> = run.stdout.split_whitespace().collect();
    for name in ["ARGON2ID", "BLF-CRYPT", "SHA512-CRYPT", "SSHA512", "PLAIN"] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
}

/// Our hashes verify with Dovecot's `doveadm pw -t`, and Dovecot's with ours.
#[test]
#[ignore = "interop: needs Debian's dovecot-core (doveadm)"]
fn agrees_with_doveadm() {
    use std::process::Command;
    for scheme in [
        "BLF-CRYPT",
        "SHA512-CRYPT",
        "ARGON2ID",
        "SSHA512",
        "SCRAM-SHA-256",
    ] {
        let ours = postroom(&["pw", "-s", scheme, "-p", "pässword"]).expect(0);
        let hash = ours.stdout.trim_end();
        let dove = Command::new("doveadm")
            .args(["pw", "-t", hash, "-p", "pässword"])
            .output()
            .expect("doveadm");
        assert!(
            dove.status.success(),
            "doveadm refused our {scheme}: {dove:?}"
        );
        assert_eq!(
            String::from_utf8_lossy(&dove.stdout),
            format!("{hash} (verified)\n")
        );

        let theirs = Command::new("doveadm")
            .args(["pw", "-s", scheme, "-p", "pässword"])
            .output()
            .expect("doveadm");
        assert!(theirs.status.success());
        let hash = String::from_utf8(theirs.stdout).unwrap();
        let hash = hash.trim_end();
        postroom(&["pw", "-t", hash, "-p", "pässword"]).expect(0);
        postroom(&["pw", "-t", hash, "-p", "password"]).expect(75);
    }
}
