//! The Sieve stage with real Maildirs, homes and scripts in temporary directories.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::Path;

use maildir::{Flag, Maildir};

use super::scripts::ACTIVE_LINK;
use super::*;
use crate::filter::testing::{Logs, envelope, spool};

/// A user with a Maildir holding Junk and Work, in `dir`.
fn user(dir: &Path) -> LocalUser {
    let maildir = dir.join("dest.test/pat/Maildir");
    let store = Maildir::create(&maildir).unwrap();
    for folder in ["Junk", "Work"] {
        store.create_folder(folder).unwrap();
    }
    LocalUser {
        email: "pat@dest.test".into(),
        maildir,
        quota: None,
    }
}

fn home(user: &LocalUser) -> &Path {
    user.maildir.parent().unwrap()
}

/// Stores `script` as `sieve/NAME.sieve` and makes it the active one, as ManageSieve
/// does.
fn activate(user: &LocalUser, name: &str, script: &str) {
    let dir = home(user).join("sieve");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join(format!("{name}.sieve")), script).unwrap();
    let link = home(user).join(ACTIVE_LINK);
    let _ = fs::remove_file(&link);
    symlink(format!("sieve/{name}.sieve"), link).unwrap();
}

fn message(headers: &str, body: &str) -> String {
    format!(
        "From: Sender <sender@origin.test>\r\nTo: pat@dest.test\r\n\
         Message-ID: <m1@origin.test>\r\n{headers}\r\n{body}"
    )
}

fn default_filter() -> SieveFilter {
    SieveFilter::new(SieveConfig::default(), "mx.dest.test").unwrap()
}

async fn decide(filter: &SieveFilter, user: &LocalUser, text: &str) -> SieveDecision {
    decide_from(filter, user, text, "sender@origin.test").await
}

async fn decide_from(
    filter: &SieveFilter,
    user: &LocalUser,
    text: &str,
    sender: &str,
) -> SieveDecision {
    let dir = tempfile::tempdir().unwrap();
    let body = spool(dir.path(), text.as_bytes()).await;
    let mut envelope = envelope(&["pat@dest.test"]);
    envelope.sender = Some(sender.to_owned());
    Filter::decide(filter, &envelope, "pat@dest.test", user, &body)
}

/// Like [`decide`], on this thread (so that [`Logs`] sees the log lines).
async fn decide_here(filter: &SieveFilter, user: &LocalUser, text: &str) -> SieveDecision {
    let dir = tempfile::tempdir().unwrap();
    let body = spool(dir.path(), text.as_bytes()).await;
    filter.decide_blocking(&Request {
        session: "S1",
        sender: "sender@origin.test",
        recipient: "pat@dest.test",
        mailbox: user,
        body: &body,
    })
}

fn folders(decision: &SieveDecision) -> Vec<&str> {
    decision.stores.iter().map(|c| c.folder.as_str()).collect()
}

#[tokio::test]
async fn the_global_rule_files_spam_into_junk() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let filter = default_filter();
    let spam = decide(
        &filter,
        &user,
        &message("X-Spam: Yes\r\nSubject: win\r\n", "x"),
    )
    .await;
    assert_eq!(folders(&spam), ["Junk"]);
    assert!(!spam.stores[0].create);
    let ham = decide(
        &filter,
        &user,
        &message("X-Spam: No\r\nSubject: hi\r\n", "x"),
    )
    .await;
    assert_eq!(ham, SieveDecision::inbox());
}

#[tokio::test]
async fn a_first_delivery_creates_junk_with_the_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let user = LocalUser {
        email: "new@dest.test".into(),
        maildir: dir.path().join("dest.test/new/Maildir"),
        quota: None,
    };
    let spam = decide(&default_filter(), &user, &message("X-Spam: Yes\r\n", "x")).await;
    assert_eq!(folders(&spam), ["Junk"]);
    assert!(spam.stores[0].create);
}

#[tokio::test]
async fn user_script_files_with_flags() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "rules",
        "require [\"fileinto\", \"imap4flags\"];\n\
         if header :contains \"Subject\" \"report\" {\n\
           fileinto :flags [\"\\\\Seen\", \"$Work\"] \"Work\";\n\
         }\n\
         addflag \"\\\\Flagged\";\n",
    );
    let filter = default_filter();
    let decision = decide(&filter, &user, &message("Subject: weekly report\r\n", "x")).await;
    assert_eq!(folders(&decision), ["Work"]);
    let copy = &decision.stores[0];
    assert_eq!(copy.flags, maildir::Flags::empty().with(Flag::Seen));
    assert_eq!(copy.keywords, ["$Work"]);
    let options = copy.delivery_options();
    assert!(options.fsync && options.flags.contains(Flag::Seen));

    // Not a report: the implicit keep, with the internal flags.
    let decision = decide(&filter, &user, &message("Subject: lunch\r\n", "x")).await;
    assert_eq!(folders(&decision), ["INBOX"]);
    assert_eq!(
        decision.stores[0].flags,
        maildir::Flags::empty().with(Flag::Flagged)
    );
}

#[tokio::test]
async fn spam_filed_by_the_global_script_skips_the_users_script() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "away",
        "require \"vacation\";\nvacation :days 3 \"I am away.\";\n",
    );
    let spam = decide(&default_filter(), &user, &message("X-Spam: Yes\r\n", "x")).await;
    assert_eq!(folders(&spam), ["Junk"]);
    assert_eq!(spam.vacation, None);
}

#[tokio::test]
async fn stop_in_the_global_script_skips_the_users_script() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let before = dir.path().join("before.sieve");
    fs::write(&before, "if header :is \"X-Vip\" \"yes\" { keep; stop; }\n").unwrap();
    activate(
        &user,
        "junk-all",
        "require \"fileinto\";\nfileinto \"Junk\";\n",
    );
    let filter = SieveFilter::new(
        SieveConfig {
            before: Some(before),
            ..SieveConfig::default()
        },
        "mx.dest.test",
    )
    .unwrap();
    let vip = decide(&filter, &user, &message("X-Vip: yes\r\n", "x")).await;
    assert_eq!(folders(&vip), ["INBOX"]);
    let other = decide(&filter, &user, &message("X-Vip: no\r\n", "x")).await;
    assert_eq!(folders(&other), ["Junk"]);
}

#[tokio::test]
async fn a_broken_user_script_keeps_in_inbox_with_a_log_line() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "broken",
        "require \"fileinto\";\nfileinto \"Junk\"\n",
    );
    let logs = Logs::capture();
    let decision = decide_here(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(decision, SieveDecision::inbox());
    let log = logs.text();
    assert!(log.contains("the user's script is broken"), "{log}");
    assert!(log.contains("line 3, column 1"), "{log}");
    // Spam still goes to Junk: the global script ran.
    let spam = decide(&default_filter(), &user, &message("X-Spam: Yes\r\n", "x")).await;
    assert_eq!(folders(&spam), ["Junk"]);
}

#[tokio::test]
async fn a_link_leaving_the_home_is_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let outside = dir.path().join("evil.sieve");
    fs::write(&outside, "discard;\n").unwrap();
    symlink(&outside, home(&user).join(ACTIVE_LINK)).unwrap();
    let decision = decide(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(decision, SieveDecision::inbox());
}

#[tokio::test]
async fn vacation_answers_once_per_sender() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "away",
        "require \"vacation\";\nvacation :days 3 :subject \"Away\" \"Back on Monday.\";\n",
    );
    let filter = default_filter();
    let text = message("Subject: hello\r\n", "Are you there?\r\n");
    let first = decide(&filter, &user, &text).await;
    assert_eq!(folders(&first), ["INBOX"]);
    let reply = first.vacation.expect("a vacation reply");
    assert_eq!(reply.to, "sender@origin.test");
    let reply = String::from_utf8(reply.message).unwrap();
    assert!(reply.contains("\r\nSubject: Away\r\n"), "{reply}");
    assert!(
        reply.contains("\r\nIn-Reply-To: <m1@origin.test>\r\n"),
        "{reply}"
    );
    assert!(
        reply.contains("\r\nAuto-Submitted: auto-replied"),
        "{reply}"
    );
    assert!(reply.contains(".vacation@mx.dest.test>"), "{reply}");
    assert!(reply.ends_with("\r\n\r\nBack on Monday.\r\n"), "{reply}");

    let second = decide(&filter, &user, &text).await;
    assert_eq!(second.vacation, None);
    // The responses are on disk: a restarted server remembers them.
    assert!(home(&user).join(VACATION_FILE).is_file());
    assert_eq!(decide(&default_filter(), &user, &text).await.vacation, None);
    // Another sender gets an answer.
    let other = decide_from(&filter, &user, &text, "friend@origin.test").await;
    assert_eq!(
        other.vacation.map(|v| v.to).as_deref(),
        Some("friend@origin.test")
    );
}

#[tokio::test]
async fn redirects_are_returned_and_cancel_the_keep_unless_copied() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(&user, "fwd", "redirect \"pat@elsewhere.test\";\n");
    let decision = decide(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(decision.redirects, ["pat@elsewhere.test"]);
    assert!(decision.is_discarded());

    activate(
        &user,
        "copy",
        "require \"copy\";\nredirect :copy \"pat@elsewhere.test\";\n",
    );
    let decision = decide(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(decision.redirects, ["pat@elsewhere.test"]);
    assert_eq!(folders(&decision), ["INBOX"]);

    activate(&user, "drop", "discard;\n");
    let decision = decide(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert!(decision.is_discarded() && decision.redirects.is_empty());
}

#[tokio::test]
async fn folder_names_and_missing_folders() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "folders",
        "require [\"fileinto\", \"mailbox\"];\n\
         fileinto :create \"../../etc\";\n\
         fileinto :create \".hidden\";\n\
         fileinto \"Nope\";\n\
         fileinto :create \"Lists.rust\";\n\
         fileinto \"Work\";\n",
    );
    let logs = Logs::capture();
    let decision = decide_here(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(folders(&decision), ["INBOX", "Lists.rust", "Work"]);
    assert!(!decision.stores[0].create);
    assert!(decision.stores[1].create);
    assert!(!decision.stores[2].create);
    let log = logs.text();
    assert!(log.contains("refusing folder \"../../etc\""), "{log}");
    assert!(log.contains("refusing folder \".hidden\""), "{log}");
    assert!(log.contains("folder \"Nope\" does not exist"), "{log}");
}

#[tokio::test]
async fn mailboxexists_sees_the_maildir() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    activate(
        &user,
        "exists",
        "require [\"fileinto\", \"mailbox\"];\n\
         if mailboxexists \"Work\" { fileinto \"Work\"; }\n",
    );
    let decision = decide(&default_filter(), &user, &message("Subject: x\r\n", "x")).await;
    assert_eq!(folders(&decision), ["Work"]);
}

#[tokio::test]
async fn the_body_is_read_only_for_scripts_that_test_it() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let rule = "require [\"body\", \"fileinto\"];\n\
                if body :contains \"secret\" { fileinto \"Work\"; }\n";
    activate(&user, "body", rule);
    let decision = decide(
        &default_filter(),
        &user,
        &message("Subject: x\r\n", "the secret word\r\n"),
    )
    .await;
    assert_eq!(folders(&decision), ["Work"]);
    let spooled = spool(
        dir.path(),
        message("Subject: x\r\n", "the secret\r\n").as_bytes(),
    )
    .await;
    let head = read_message(&spooled, false).unwrap();
    assert!(head.ends_with(b"Subject: x\r\n\r\n"));
    assert_eq!(
        read_message(&spooled, true).unwrap().len() as u64,
        spooled.len()
    );
}

#[tokio::test]
async fn edited_scripts_are_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let filter = default_filter();
    activate(
        &user,
        "rules",
        "require \"fileinto\";\nfileinto \"Work\";\n",
    );
    assert_eq!(
        folders(&decide(&filter, &user, &message("", "x")).await),
        ["Work"]
    );
    fs::write(home(&user).join("sieve/rules.sieve"), "keep;\n").unwrap();
    assert_eq!(
        folders(&decide(&filter, &user, &message("", "x")).await),
        ["INBOX"]
    );
}

#[tokio::test]
async fn disabled_sieve_keeps_everything_in_inbox() {
    let dir = tempfile::tempdir().unwrap();
    let user = user(dir.path());
    let filter = SieveFilter::new(
        SieveConfig {
            enabled: false,
            ..SieveConfig::default()
        },
        "mx",
    )
    .unwrap();
    let spam = decide(&filter, &user, &message("X-Spam: Yes\r\n", "x")).await;
    assert_eq!(spam, SieveDecision::inbox());
}

#[test]
fn a_bad_global_script_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let missing = SieveConfig {
        before: Some(dir.path().join("none.sieve")),
        ..SieveConfig::default()
    };
    assert!(SieveFilter::new(missing, "mx").is_err());
    let path = dir.path().join("bad.sieve");
    fs::write(&path, "if true {\n").unwrap();
    let broken = SieveConfig {
        before: Some(path),
        ..SieveConfig::default()
    };
    let error = SieveFilter::new(broken, "mx").unwrap_err().to_string();
    assert!(error.contains("bad.sieve"), "{error}");
}

#[test]
fn config_section() {
    let config: SieveConfig = toml::from_str("").unwrap();
    assert_eq!(config, SieveConfig::default());
    let mut config: SieveConfig =
        toml::from_str("before = \"rules/before.sieve\"\nuser_scripts = false\n").unwrap();
    config.resolve_paths(Path::new("/etc/postroom"));
    assert_eq!(
        config.before.as_deref(),
        Some(Path::new("/etc/postroom/rules/before.sieve"))
    );
    assert!(!config.user_scripts && config.enabled);
    assert!(toml::from_str::<SieveConfig>("after = \"x\"\n").is_err());
}
