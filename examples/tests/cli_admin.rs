//! `postroom domain|user|alias ...` on a quickstart installation.

mod cli_support;

use cli_support::Install;

#[test]
fn domains() {
    let install = Install::new();
    install.run(&["domain", "add", "Shop.Test"]).expect(0);
    let list = install.run(&["domain", "list"]).expect(0).stdout;
    assert_eq!(list, "example.test\nshop.test\n");
    let dup = install.run(&["domain", "add", "shop.test"]).expect(1);
    assert!(
        dup.stderr.contains("domain shop.test already exists"),
        "{}",
        dup.stderr
    );
    let bad = install.run(&["domain", "add", "not_a_domain"]).expect(1);
    assert!(bad.stderr.contains("invalid address"), "{}", bad.stderr);

    install
        .run(&["user", "add", "ann@shop.test", "--password", "pw"])
        .expect(0);
    let in_use = install.run(&["domain", "remove", "shop.test"]).expect(1);
    assert!(in_use.stderr.contains("--force"), "{}", in_use.stderr);
    install
        .run(&["domain", "remove", "shop.test", "--force"])
        .expect(0);
    let list = install.run(&["domain", "list"]).expect(0).stdout;
    assert_eq!(list, "example.test\n");
    let gone = install.run(&["domain", "remove", "shop.test"]).expect(1);
    assert!(gone.stderr.contains("does not exist"), "{}", gone.stderr);
}

#[test]
fn users() {
    let install = Install::new();
    let added = install
        .run(&[
            "user",
            "add",
            "Jane@Example.test",
            "--password",
            "pw1",
            "--quota",
            "1000",
        ])
        .expect(0);
    assert!(
        added
            .stdout
            .contains("added user jane@example.test (ARGON2ID)"),
        "{}",
        added.stdout
    );
    assert!(
        added.stdout.contains("example.test/jane/Maildir"),
        "{}",
        added.stdout
    );
    install
        .run_with_stdin(
            &["user", "add", "joe@example.test", "--password-stdin"],
            Some("pw2\n"),
        )
        .expect(0);
    // Without --password the password is asked twice (from stdin when it is no terminal).
    install
        .run_with_stdin(&["user", "add", "kim@example.test"], Some("pw3\npw3\n"))
        .expect(0);
    let mismatch = install
        .run_with_stdin(&["user", "add", "lee@example.test"], Some("a\nb\n"))
        .expect(1);
    assert!(
        mismatch.stderr.contains("passwords don't match"),
        "{}",
        mismatch.stderr
    );

    let list = install
        .run(&["user", "list", "example.test"])
        .expect(0)
        .stdout;
    assert_eq!(
        list,
        "demo@example.test\tquota=unlimited\t{ARGON2ID}\n\
         jane@example.test\tquota=1000\t{ARGON2ID}\n\
         joe@example.test\tquota=unlimited\t{ARGON2ID}\n\
         kim@example.test\tquota=unlimited\t{ARGON2ID}\n"
    );
    let dup = install
        .run(&["user", "add", "jane@example.test", "--password", "x"])
        .expect(1);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    let no_domain = install
        .run(&["user", "add", "x@nowhere.test", "--password", "x"])
        .expect(1);
    assert!(
        no_domain
            .stderr
            .contains("postroom domain add nowhere.test"),
        "{}",
        no_domain.stderr
    );

    install
        .run_with_stdin(
            &["user", "passwd", "jane@example.test", "--password-stdin"],
            Some("new\n"),
        )
        .expect(0);
    let missing = install
        .run(&["user", "passwd", "nobody@example.test", "--password", "x"])
        .expect(1);
    assert!(
        missing.stderr.contains("does not exist"),
        "{}",
        missing.stderr
    );

    let removed = install
        .run(&["user", "remove", "joe@example.test"])
        .expect(0);
    assert!(
        removed.stdout.contains("its mail is kept"),
        "{}",
        removed.stdout
    );
    install
        .run(&["user", "remove", "joe@example.test"])
        .expect(1);
    let list = install.run(&["user", "list"]).expect(0).stdout;
    assert!(!list.contains("joe@"), "{list}");
}

#[test]
fn aliases() {
    let install = Install::new();
    install
        .run(&["alias", "add", "Info@example.test", "demo@example.test"])
        .expect(0);
    install
        .run(&["alias", "add", "@example.test", "friend@remote.example"])
        .expect(0);
    let list = install.run(&["alias", "list"]).expect(0).stdout;
    assert_eq!(
        list,
        "@example.test -> friend@remote.example\ninfo@example.test -> demo@example.test\n"
    );
    let dup = install
        .run(&["alias", "add", "info@example.test", "demo@example.test"])
        .expect(1);
    assert!(dup.stderr.contains("already exists"), "{}", dup.stderr);
    let foreign = install
        .run(&["alias", "add", "x@remote.example", "demo@example.test"])
        .expect(1);
    assert!(
        foreign.stderr.contains("remote.example does not exist"),
        "{}",
        foreign.stderr
    );
    install
        .run(&["alias", "remove", "info@example.test", "demo@example.test"])
        .expect(0);
    install
        .run(&["alias", "remove", "info@example.test", "demo@example.test"])
        .expect(1);
    let list = install.run(&["alias", "list"]).expect(0).stdout;
    assert_eq!(list, "@example.test -> friend@remote.example\n");
}

#[test]
fn a_missing_configuration_is_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("nope.toml");
    let run = cli_support::postroom(&["domain", "list", "--config", config.to_str().unwrap()]);
    let run = run.expect(1);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
    assert!(run.stderr.contains("nope.toml"), "{}", run.stderr);
}

#[test]
fn user_test_checks_the_stored_hash() {
    let install = Install::new();
    install
        .run(&[
            "user",
            "add",
            "jane@example.test",
            "--password",
            "right",
            "--quota",
            "7",
        ])
        .expect(0);
    let ok = install
        .run(&["user", "test", "JANE@example.test", "--password", "right"])
        .expect(0);
    assert_eq!(
        ok.stdout,
        "passdb: jane@example.test auth succeeded\n  scheme=ARGON2ID quota=7\n"
    );
    let bad = install
        .run_with_stdin(&["user", "test", "jane@example.test"], Some("wrong\n"))
        .expect(1);
    assert!(
        bad.stderr.contains("passdb: jane@example.test auth failed"),
        "{}",
        bad.stderr
    );
    // The quickstart password works.
    let credentials = std::fs::read_to_string(install.dir.join("demo-credentials.txt")).unwrap();
    let password = credentials
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    install
        .run(&["user", "test", "demo@example.test", "--password", password])
        .expect(0);
}

#[test]
fn resolve_shows_where_mail_goes() {
    let install = Install::new();
    install
        .run(&["alias", "add", "team@example.test", "demo@example.test"])
        .expect(0);
    install
        .run(&["alias", "add", "team@example.test", "Friend@Remote.example"])
        .expect(0);
    let maildir = install.dir.join("vmail/example.test/demo/Maildir");
    let out = install
        .run(&["resolve", "Team+x@Example.test"])
        .expect(0)
        .stdout;
    assert_eq!(
        out,
        format!(
            "local demo@example.test {} quota=unlimited\nforward friend@remote.example\n",
            maildir.display()
        )
    );
    let unknown = install.run(&["resolve", "ghost@example.test"]).expect(1);
    assert!(
        unknown.stderr.contains("no such user or alias"),
        "{}",
        unknown.stderr
    );
    let foreign = install.run(&["resolve", "x@remote.example"]).expect(1);
    assert!(
        foreign.stderr.contains("not one of our domains"),
        "{}",
        foreign.stderr
    );
}
