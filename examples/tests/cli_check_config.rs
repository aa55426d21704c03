//! `postroom check-config`: a clear list of problems and exit code 1.

mod cli_support;

use std::fs;

use cli_support::{Install, postroom};

#[test]
fn a_quickstart_configuration_is_ok() {
    let install = Install::new();
    let run = install.run(&["check-config"]).expect(0);
    assert!(
        run.stdout.ends_with("postroom.toml: configuration OK\n"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_missing_file_is_a_problem() {
    let run = postroom(&["check-config", "--config", "/nonexistent/postroom.toml"]).expect(1);
    assert!(run.stderr.contains("1 problem(s) found"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("cannot read /nonexistent/postroom.toml"),
        "{}",
        run.stderr
    );
}

#[test]
fn every_problem_of_the_outside_world_is_listed() {
    let install = Install::new();
    let other = Install::new();
    // A key that does not match the certificate.
    fs::copy(
        other.dir.join("tls/key.pem"),
        install.dir.join("tls/key.pem"),
    )
    .unwrap();
    // The vmail root is a file; the database file is gone.
    fs::remove_dir_all(install.dir.join("vmail")).unwrap();
    fs::write(install.dir.join("vmail"), b"").unwrap();
    fs::remove_file(install.dir.join("directory.db")).unwrap();
    let run = install.run(&["check-config"]).expect(1);
    assert!(run.stderr.contains("3 problem(s) found"), "{}", run.stderr);
    for needle in ["tls:", "directory: cannot connect", "is not a directory"] {
        assert!(
            run.stderr.contains(needle),
            "{needle:?} missing:\n{}",
            run.stderr
        );
    }
}

#[test]
fn a_database_without_tables_and_bad_values_are_reported() {
    let install = Install::new();
    fs::write(install.dir.join("empty.db"), b"").unwrap();
    let config = fs::read_to_string(&install.config).unwrap();
    let config = config.replace("sqlite://directory.db", "sqlite://empty.db");
    fs::write(&install.config, &config).unwrap();
    let run = install.run(&["check-config"]).expect(1);
    assert!(
        run.stderr.contains("ISPmail tables are missing"),
        "{}",
        run.stderr
    );
    // `init` creates the tables; then the configuration is fine.
    install.run(&["init"]).expect(0);
    install.run(&["check-config"]).expect(0);

    let broken = config
        .replace("127.0.0.1:2424", "127.0.0.1:0")
        .replace("recipients = 100", "recipients = 0");
    fs::write(&install.config, broken).unwrap();
    let run = install.run(&["check-config"]).expect(1);
    assert!(run.stderr.contains("2 problem(s) found"), "{}", run.stderr);
    assert!(
        run.stderr.contains("listeners.lmtp: port 0 is not valid"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("limits.recipients must be at least 1"),
        "{}",
        run.stderr
    );

    fs::write(&install.config, "hostname = \n").unwrap();
    let run = install.run(&["check-config"]).expect(1);
    assert!(run.stderr.contains("line 1"), "{}", run.stderr);
}
