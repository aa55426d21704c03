use std::path::Path;
use std::time::Duration;

use super::*;

fn load(text: &str) -> Result<Config, ConfigError> {
    Config::from_toml(text, Path::new("/etc/postroom/postroom.toml"))
}

const MINIMAL: &str = r#"
hostname = "mail.example.org"
[listeners]
mx = ["0.0.0.0:25"]
[directory]
url = "sqlite://directory.db"
[mail]
vmail = "/var/vmail"
"#;

#[test]
fn quickstart_template_parses_and_resolves_relative_paths() {
    let config = Config::from_toml(&quickstart_toml(), Path::new("/srv/pr/postroom.toml")).unwrap();
    assert_eq!(config.hostname, "localhost");
    assert_eq!(config.mail.vmail, Path::new("/srv/pr/vmail"));
    let tls = config.tls.as_ref().unwrap();
    assert_eq!(tls.certificate, Path::new("/srv/pr/tls/cert.pem"));
    assert_eq!(tls.key, Path::new("/srv/pr/tls/key.pem"));
    assert_eq!(config.directory.url, "sqlite:///srv/pr/directory.db");
    let ports: Vec<u16> = config
        .listeners
        .all()
        .iter()
        .flat_map(|s| s.addrs.iter())
        .map(|a| match a {
            ListenAddr::Tcp(sock) => sock.port(),
            ListenAddr::Unix(_) => 0,
        })
        .collect();
    assert_eq!(
        ports,
        [2525, 2424, 1110, 1995, 1143, 1993, 2587, 2465, 14190]
    );
    let implicit: Vec<&str> = config
        .listeners
        .all()
        .iter()
        .filter(|s| s.implicit_tls)
        .map(|s| s.name)
        .collect();
    assert_eq!(implicit, ["pop3s", "imaps", "submissions"]);
    assert_eq!(config.auth.default_scheme.to_string(), "ARGON2ID");
}

#[test]
fn defaults_apply_to_missing_sections() {
    let config = load(MINIMAL).unwrap();
    assert_eq!(config.limits.message_size, 50 * 1024 * 1024);
    assert!(config.auth.allow_plaintext_auth_on_loopback);
    assert!(config.tls.is_none());
    assert_eq!(config.directory.url, "sqlite:///etc/postroom/directory.db");
}

#[test]
fn unix_lmtp_socket_and_absolute_urls() {
    let text = MINIMAL.replace(
        "mx = [\"0.0.0.0:25\"]",
        "lmtp = [\"unix:/var/spool/postfix/private/postroom-lmtp\", \"[::1]:24\"]",
    );
    let text = text.replace(
        "sqlite://directory.db",
        "mysql://mail:pw@127.0.0.1/mailserver",
    );
    let config = load(&text).unwrap();
    assert_eq!(
        config.listeners.lmtp,
        [
            ListenAddr::Unix("/var/spool/postfix/private/postroom-lmtp".into()),
            ListenAddr::Tcp("[::1]:24".parse().unwrap()),
        ]
    );
    assert_eq!(config.directory.url, "mysql://mail:pw@127.0.0.1/mailserver");
    assert!(
        !format!("{config:?}").contains("pw@"),
        "Debug hides the password"
    );
}

#[test]
fn every_problem_is_listed() {
    let text = r#"
hostname = "not a host"
[listeners]
mx = ["127.0.0.1:0", "127.0.0.1:2525"]
pop3 = ["unix:/tmp/x"]
pop3s = ["127.0.0.1:2525"]
imap = ["unix:/tmp/imap"]
imaps = ["127.0.0.1:2525"]
[directory]
url = "redis://localhost"
[mail]
vmail = "v"
[limits]
recipients = 0
"#;
    let Err(ConfigError::Invalid { problems, .. }) = load(text) else {
        panic!("expected Invalid");
    };
    let expected = [
        "hostname",
        "port 0",
        "listeners.pop3: unix sockets are only supported for lmtp",
        "listeners.imap: unix sockets are only supported for lmtp",
        "listeners.pop3s: 127.0.0.1:2525 is used by more than one listener",
        "listeners.imaps: 127.0.0.1:2525 is used by more than one listener",
        "pop3s needs a [tls] section",
        "imaps needs a [tls] section",
        "directory.url",
        "limits.recipients",
    ];
    for needle in expected {
        assert!(
            problems.iter().any(|p| p.contains(needle)),
            "{needle:?} missing from {problems:#?}"
        );
    }
    assert_eq!(problems.len(), expected.len(), "{problems:#?}");
}

#[test]
fn imap_listeners_and_the_certificate_implicit_tls_needs() {
    let text = MINIMAL.replace(
        "mx = [\"0.0.0.0:25\"]",
        "imap = [\"0.0.0.0:143\", \"[::]:143\"]\nimaps = [\"0.0.0.0:993\"]",
    );
    let Err(ConfigError::Invalid { problems, .. }) = load(&text) else {
        panic!("imaps without [tls] must be refused");
    };
    assert_eq!(problems, ["listeners.imaps needs a [tls] section"]);

    let with_tls = format!("{text}\n[tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\n");
    let config = load(&with_tls).unwrap();
    assert_eq!(
        config.listeners.imap,
        [
            ListenAddr::Tcp("0.0.0.0:143".parse().unwrap()),
            ListenAddr::Tcp("[::]:143".parse().unwrap()),
        ]
    );
    assert_eq!(
        config.listeners.imaps,
        [ListenAddr::Tcp("0.0.0.0:993".parse().unwrap())]
    );
    // STARTTLS is optional: plain IMAP alone needs no certificate.
    let plain_only = MINIMAL.replace("mx = [\"0.0.0.0:25\"]", "imap = [\"127.0.0.1:143\"]");
    assert_eq!(load(&plain_only).unwrap().listeners.imap.len(), 1);
}

#[test]
fn typos_and_bad_values_are_parse_errors_with_positions() {
    let err = load(&MINIMAL.replace("hostname", "hostnme")).unwrap_err();
    assert!(
        matches!(&err, ConfigError::Parse { message, .. } if message.contains("hostnme")),
        "{err}"
    );
    let err = load(&MINIMAL.replace("0.0.0.0:25", "mail.example.org:25")).unwrap_err();
    assert!(err.to_string().contains("neither host:port"), "{err}");
    let bad_scheme = format!("{MINIMAL}\n[auth]\ndefault_scheme = \"NOPE\"\n");
    assert!(load(&bad_scheme).unwrap_err().to_string().contains("NOPE"));
    let verify_only = format!("{MINIMAL}\n[auth]\ndefault_scheme = \"PLAIN-MD5\"\n");
    assert!(
        load(&verify_only)
            .unwrap_err()
            .to_string()
            .contains("verify-only")
    );
}

#[test]
fn url_redaction() {
    assert_eq!(
        redact_url("mysql://mail:secret@db.example/mailserver"),
        "mysql://mail:***@db.example/mailserver"
    );
    assert_eq!(redact_url("postgres://db/x"), "postgres://db/x");
    assert_eq!(
        redact_url("sqlite:///var/lib/d.db"),
        "sqlite:///var/lib/d.db"
    );
}

#[test]
fn submission_listeners_and_the_queue_section() {
    let text = MINIMAL.replace(
        "mx = [\"0.0.0.0:25\"]",
        "submission = [\"0.0.0.0:587\"]\nsubmissions = [\"0.0.0.0:465\"]",
    );
    let Err(ConfigError::Invalid { problems, .. }) = load(&text) else {
        panic!("submissions without [tls] must be refused");
    };
    assert_eq!(problems, ["listeners.submissions needs a [tls] section"]);

    let with_tls = format!("{text}\n[tls]\ncertificate = \"c.pem\"\nkey = \"k.pem\"\n");
    let config = load(&with_tls).unwrap();
    assert_eq!(
        config.listeners.submission,
        [ListenAddr::Tcp("0.0.0.0:587".parse().unwrap())]
    );
    let submissions = config.listeners.all()[7];
    assert_eq!(
        (submissions.name, submissions.implicit_tls),
        ("submissions", true)
    );
    // The queue defaults to `queue` next to the configuration file.
    assert_eq!(config.queue.dir, Path::new("/etc/postroom/queue"));

    let queue = format!("{MINIMAL}\n[queue]\ndir = \"/var/spool/postroom\"\nconcurrency = 0\n");
    let Err(ConfigError::Invalid { problems, .. }) = load(&queue) else {
        panic!("a queue without concurrency must be refused");
    };
    assert_eq!(problems, ["queue.concurrency must be at least 1"]);
    let queue = queue.replace("concurrency = 0", "give_up = \"2d\"");
    assert_eq!(
        load(&queue).unwrap().queue.dir,
        Path::new("/var/spool/postroom")
    );
}

#[test]
fn spam_is_off_and_sieve_on_by_default() {
    let config = load(MINIMAL).unwrap();
    assert!(!config.spam.enabled);
    assert!(config.spam.fail_open);
    assert!(config.sieve.enabled && config.sieve.user_scripts);
    assert_eq!(config.sieve.before, None);
    // The quickstart template spells out both sections with the same defaults.
    let quick = Config::from_toml(&quickstart_toml(), Path::new("/srv/pr/postroom.toml")).unwrap();
    assert_eq!(quick.spam, SpamConfig::default());
    assert_eq!(quick.sieve, SieveConfig::default());
}

#[test]
fn spam_and_sieve_sections() {
    let text = format!(
        "{MINIMAL}\n[spam]\nenabled = true\nbackend = \"http\"\naddress = \"10.0.0.5:11333\"\n\
         timeout = \"5s\"\nfail_open = false\n\
         [sieve]\nbefore = \"sieve/before.sieve\"\nuser_scripts = false\n"
    );
    let config = load(&text).unwrap();
    assert!(config.spam.enabled && !config.spam.fail_open);
    assert_eq!(config.spam.address(), "10.0.0.5:11333");
    assert_eq!(config.spam.timeout, Duration::from_secs(5));
    // A relative before-script is relative to the configuration file.
    assert_eq!(
        config.sieve.before.as_deref(),
        Some(Path::new("/etc/postroom/sieve/before.sieve"))
    );
    assert!(!config.sieve.user_scripts);

    let bad = format!("{MINIMAL}\n[spam]\nenabled = true\naddress = \"rspamd\"\ntimeout = 0\n");
    let Err(ConfigError::Invalid { problems, .. }) = load(&bad) else {
        panic!("a spam section without port and timeout must be refused");
    };
    assert_eq!(problems.len(), 2, "{problems:#?}");
    assert!(
        problems.iter().all(|p| p.starts_with("spam.")),
        "{problems:#?}"
    );
    let typo = format!("{MINIMAL}\n[sieve]\nbefor = \"x\"\n");
    assert!(matches!(load(&typo), Err(ConfigError::Parse { .. })));
}

#[tokio::test]
async fn check_config_reports_a_broken_global_script_and_an_absent_rspamd() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("postroom.toml");
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    std::fs::write(
        dir.path().join("before.sieve"),
        "if true { fileinto \"Junk\"; }\n",
    )
    .unwrap();
    let text = MINIMAL
        .replace("/var/vmail", "vmail")
        .replace("0.0.0.0:25", "127.0.0.1:2525");
    std::fs::write(
        &path,
        format!(
            "{text}\n[spam]\nenabled = true\naddress = \"127.0.0.1:{port}\"\n\
             [sieve]\nbefore = \"before.sieve\"\n"
        ),
    )
    .unwrap();
    let report = check::check(&path).await;
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("sieve.before:")),
        "{report:#?}"
    );
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("rspamd (milter) is not reachable")
                && w.contains("fail_open = true")),
        "{report:#?}"
    );
}
