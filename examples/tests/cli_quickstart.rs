//! `postroom quickstart --init-only`: creates everything once, then reuses it.

mod cli_support;

use std::fs;
use std::os::unix::fs::PermissionsExt;

use cli_support::{Install, postroom};

fn mode(path: &std::path::Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn first_run_creates_the_installation() {
    let install = Install::new();
    let dir = &install.dir;
    for file in [
        "postroom.toml",
        "directory.db",
        "demo-credentials.txt",
        "tls/cert.pem",
        "tls/key.pem",
    ] {
        assert!(dir.join(file).is_file(), "{file} missing");
    }
    assert!(dir.join("vmail").is_dir());
    assert_eq!(mode(&dir.join("demo-credentials.txt")), 0o600);
    assert_eq!(mode(&dir.join("tls/key.pem")), 0o600);
    assert!(
        fs::read_to_string(dir.join("tls/cert.pem"))
            .unwrap()
            .starts_with("-----BEGIN CERTIFICATE-----")
    );

    let credentials = fs::read_to_string(dir.join("demo-credentials.txt")).unwrap();
    assert!(credentials.contains("user: demo@example.test\n"));
    let password = credentials
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap();
    assert!(password.len() >= 16);

    let out = &install.first_run.stdout;
    assert!(
        out.contains(&format!("demo@example.test / {password}")),
        "{out}"
    );
    for row in [
        ("MX", "127.0.0.1:2525", "STARTTLS"),
        ("LMTP", "127.0.0.1:2424", "plain"),
        ("POP3", "127.0.0.1:1110", "STLS"),
        ("POP3S", "127.0.0.1:1995", "implicit TLS"),
    ] {
        assert!(
            out.lines().any(|l| {
                let words: Vec<&str> = l.split_whitespace().collect();
                words.len() >= 3 && words[0] == row.0 && words[1] == row.1 && l.ends_with(row.2)
            }),
            "no row {row:?} in\n{out}"
        );
    }

    // The directory holds the demo domain and user, hashed with ARGON2ID.
    let domains = install.run(&["domain", "list"]).expect(0).stdout;
    assert_eq!(domains, "example.test\n");
    let users = install.run(&["user", "list"]).expect(0).stdout;
    assert_eq!(users, "demo@example.test\tquota=unlimited\t{ARGON2ID}\n");
    install.run(&["check-config"]).expect(0);
}

#[test]
fn second_run_reuses_everything() {
    let install = Install::new();
    let files = [
        "postroom.toml",
        "demo-credentials.txt",
        "tls/cert.pem",
        "tls/key.pem",
    ];
    let before: Vec<Vec<u8>> = files
        .iter()
        .map(|f| fs::read(install.dir.join(f)).unwrap())
        .collect();
    // A change made by the admin survives a second quickstart.
    install
        .run(&["user", "add", "extra@example.test", "--password", "x"])
        .expect(0);
    let dir = install.dir.to_str().unwrap();
    let second = postroom(&["quickstart", "--init-only", "--dir", dir]).expect(0);
    for (file, old) in files.iter().zip(&before) {
        assert_eq!(
            &fs::read(install.dir.join(file)).unwrap(),
            old,
            "{file} changed"
        );
    }
    let password_line = |out: &str| {
        out.lines()
            .find(|l| l.contains("demo@example.test /"))
            .map(str::to_owned)
    };
    assert_eq!(
        password_line(&second.stdout),
        password_line(&install.first_run.stdout)
    );
    let users = install.run(&["user", "list"]).expect(0).stdout;
    assert_eq!(users.lines().count(), 2, "{users}");
}

#[test]
fn a_lone_certificate_is_not_replaced() {
    let install = Install::new();
    fs::remove_file(install.dir.join("tls/key.pem")).unwrap();
    let dir = install.dir.to_str().unwrap();
    let run = postroom(&["quickstart", "--init-only", "--dir", dir]).expect(1);
    assert!(run.stderr.contains("key.pem is missing"), "{}", run.stderr);
    assert!(install.dir.join("tls/cert.pem").exists());
}
