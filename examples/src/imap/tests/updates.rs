//! Several sessions on one mailbox: the EXPUNGE rules, IDLE waking on deliveries and
//! on other sessions' changes, CONDSTORE and QRESYNC, and COMPRESS=DEFLATE.

use super::*;

const MESSAGE: &[u8] = b"Subject: hello\r\n\r\nbody\r\n";

/// Reads responses until one starts with `prefix` (within the test timeout).
async fn wait_for(c: &mut Client, prefix: &str) -> String {
    loop {
        let line = c.response().await;
        if line.starts_with(prefix) {
            return line;
        }
    }
}

/// The first number after `name` in a response line.
fn number_after(line: &str, name: &str) -> u64 {
    let start = line.find(name).unwrap() + name.len();
    line[start..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn expunges_wait_for_a_command_that_allows_them() {
    let h = harness("").await;
    h.user("pat", 0).await;
    for _ in 0..3 {
        h.deliver("pat", MESSAGE);
    }
    let mut a = h.login("pat").await;
    assert!(a.cmd("SELECT INBOX").await.has("* 3 EXISTS"));
    let mut b = h.login("pat").await;
    assert!(b.cmd("SELECT INBOX").await.ok());
    assert!(b.cmd("STORE 2 +FLAGS.SILENT (\\Deleted)").await.ok());
    assert_eq!(b.cmd("EXPUNGE").await.untagged, ["* 2 EXPUNGE"]);

    // FETCH, STORE and SEARCH by sequence number must not expunge (RFC 9051 7.5.1).
    let fetch = a.cmd("FETCH 1:* (FLAGS)").await;
    assert_eq!(fetch.with("* ").len(), 3, "{fetch:?}");
    assert!(
        !fetch.untagged.iter().any(|l| l.contains("EXPUNGE")),
        "{fetch:?}"
    );
    let search = a.cmd("SEARCH ALL").await;
    assert_eq!(search.untagged, ["* SEARCH 1 2 3"]);
    let gone = a.cmd("FETCH 2 BODY.PEEK[]").await;
    assert!(gone.status.starts_with("NO [EXPUNGEISSUED]"), "{gone:?}");
    // NOOP may.
    h.deliver("pat", MESSAGE);
    let noop = a.cmd("NOOP").await;
    assert!(noop.has("* 2 EXPUNGE"), "{noop:?}");
    assert!(noop.has("* 3 EXISTS"), "{noop:?}");
    let after = a.cmd("SEARCH ALL").await;
    assert_eq!(after.untagged, ["* SEARCH 1 2 3"]);
}

#[tokio::test]
async fn idle_reports_deliveries_and_other_sessions_changes() {
    let h = harness("").await;
    h.user("pat", 0).await;
    h.deliver("pat", MESSAGE);
    let mut a = h.login("pat").await;
    assert!(a.cmd("SELECT INBOX").await.ok());
    a.send(b"i1 IDLE\r\n").await;
    assert_eq!(a.response().await, "+ idling");

    h.deliver("pat", MESSAGE);
    assert_eq!(wait_for(&mut a, "* ").await, "* 2 EXISTS");

    let mut b = h.login("pat").await;
    assert!(b.cmd("SELECT INBOX").await.ok());
    assert!(b.cmd("STORE 1 +FLAGS (\\Flagged)").await.ok());
    let fetch = wait_for(&mut a, "* 1 FETCH").await;
    assert!(
        fetch.starts_with("* 1 FETCH (UID 1 FLAGS (\\Flagged"),
        "{fetch}"
    );
    assert!(b.cmd("STORE 1 +FLAGS.SILENT (\\Deleted)").await.ok());
    assert!(b.cmd("EXPUNGE").await.ok());
    assert_eq!(wait_for(&mut a, "* 1 EXPUNGE").await, "* 1 EXPUNGE");

    // A change by another process (no notification) shows within the update tick.
    let maildir = maildir::Maildir::open(h.maildir("pat")).unwrap();
    let options = maildir::DeliveryOptions {
        fsync: false,
        ..maildir::DeliveryOptions::default()
    };
    maildir.inbox().unwrap().deliver(MESSAGE, &options).unwrap();
    assert_eq!(wait_for(&mut a, "* ").await, "* 2 EXISTS");

    a.send(b"DONE\r\n").await;
    assert_eq!(a.until("i1").await.status, "OK IDLE terminated");
    assert!(a.cmd("NOOP").await.ok());
}

#[tokio::test]
async fn condstore_and_qresync() {
    let h = harness("").await;
    h.user("pat", 0).await;
    for _ in 0..3 {
        h.deliver("pat", MESSAGE);
    }
    let mut c = h.login("pat").await;
    assert!(c.cmd("ENABLE QRESYNC").await.has("* ENABLED QRESYNC"));
    let select = c.cmd("SELECT INBOX").await;
    assert!(select.ok(), "{select:?}");
    let highest = number_after(select.with("* OK [HIGHESTMODSEQ")[0], "HIGHESTMODSEQ");
    let validity = number_after(select.with("* OK [UIDVALIDITY")[0], "UIDVALIDITY");
    let fetch = c.cmd("FETCH 1:2 (MODSEQ)").await;
    let modseq = number_after(&fetch.untagged[0], "MODSEQ (");
    let second = number_after(&fetch.untagged[1], "MODSEQ (");
    let store = c
        .cmd(&format!(
            "STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS (\\Seen)"
        ))
        .await;
    assert!(store.ok(), "{store:?}");
    let line = &store.untagged[0];
    assert!(line.starts_with("* 1 FETCH (UID 1 FLAGS (\\Seen"), "{line}");
    let new_modseq = number_after(line, "MODSEQ (");
    assert!(new_modseq > modseq.max(highest).max(second), "{line}");
    let since = modseq.max(second);
    let conflict = c
        .cmd(&format!(
            "STORE 1:2 (UNCHANGEDSINCE {since}) +FLAGS (\\Flagged)"
        ))
        .await;
    assert_eq!(
        conflict.status,
        "OK [MODIFIED 1] Conditional STORE failed for some messages"
    );
    assert_eq!(conflict.untagged.len(), 1, "{conflict:?}");
    assert!(
        conflict.untagged[0].starts_with("* 2 FETCH (UID 2 FLAGS (\\Flagged"),
        "{conflict:?}"
    );
    let changed = c
        .cmd(&format!(
            "UID FETCH 1:* (FLAGS) (CHANGEDSINCE {new_modseq})"
        ))
        .await;
    assert_eq!(changed.untagged.len(), 1, "{changed:?}");
    assert!(
        changed.untagged[0].starts_with("* 2 FETCH (UID 2 "),
        "{changed:?}"
    );

    assert!(c.cmd("STORE 3 +FLAGS.SILENT (\\Deleted)").await.ok());
    let expunge = c.cmd("EXPUNGE").await;
    assert_eq!(expunge.untagged, ["* VANISHED 3"]);
    let vanished = c
        .cmd(&format!(
            "UID FETCH 1:* (FLAGS) (CHANGEDSINCE {highest} VANISHED)"
        ))
        .await;
    assert_eq!(vanished.untagged[0], "* VANISHED (EARLIER) 3");
    assert_eq!(vanished.untagged.len(), 3, "{vanished:?}");

    // A client that was away resynchronises in one SELECT.
    let mut d = h.login("pat").await;
    assert!(d.cmd("ENABLE QRESYNC").await.ok());
    let resync = d
        .cmd(&format!(
            "SELECT INBOX (QRESYNC ({validity} {highest} 1:3))"
        ))
        .await;
    assert!(resync.ok(), "{resync:?}");
    assert!(resync.has("* VANISHED (EARLIER) 3"), "{resync:?}");
    let fetches = resync.with("* 1 FETCH");
    assert!(
        fetches[0].starts_with("* 1 FETCH (UID 1 FLAGS (\\Seen"),
        "{resync:?}"
    );
    let stale = d.cmd("SELECT INBOX (QRESYNC (1 1))").await;
    assert!(
        stale.ok() && stale.with("* VANISHED").is_empty(),
        "{stale:?}"
    );
    let mut e = h.login("pat").await;
    let bad = e
        .cmd(&format!("SELECT INBOX (QRESYNC ({validity} {highest}))"))
        .await;
    assert!(bad.status.starts_with("BAD"), "{bad:?}");
    // CONDSTORE enabled by SELECT: updates carry MODSEQ.
    assert!(e.cmd("SELECT INBOX (CONDSTORE)").await.ok());
    assert!(c.cmd("STORE 2 +FLAGS (\\Answered)").await.ok());
    let noop = e.cmd("NOOP").await;
    let update = noop.with("* 2 FETCH")[0];
    assert!(
        update.contains("\\Answered") && update.contains(" MODSEQ ("),
        "{noop:?}"
    );
}

#[tokio::test]
async fn compress_deflate_wraps_the_session() {
    use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress};
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.login("pat").await;
    assert_eq!(c.cmd("COMPRESS DEFLATE").await.status, "OK DEFLATE active");
    let mut deflate = Compress::new(Compression::default(), false);
    let mut out = Vec::with_capacity(4096);
    deflate
        .compress_vec(
            b"z1 SELECT INBOX\r\nz2 NOOP\r\n",
            &mut out,
            FlushCompress::Sync,
        )
        .unwrap();
    c.send(&out).await;
    let mut inflate = Decompress::new(false);
    let mut text = Vec::new();
    let mut buf = vec![0; 4096];
    while !text.windows(6).any(|w| w == b"z2 OK ") {
        let n = timeout(WAIT, c.stream.read(&mut buf))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed");
        let mut input = &buf[..n];
        while !input.is_empty() {
            let mut chunk = Vec::with_capacity(64 * 1024);
            let before = inflate.total_in();
            inflate
                .decompress_vec(input, &mut chunk, FlushDecompress::Sync)
                .unwrap();
            let used = usize::try_from(inflate.total_in() - before).unwrap();
            input = &input[used..];
            text.extend_from_slice(&chunk);
        }
    }
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("* 0 EXISTS\r\n"), "{text}");
    assert!(
        text.contains("z1 OK [READ-WRITE] SELECT completed\r\n"),
        "{text}"
    );
}

#[tokio::test]
async fn a_session_whose_mailbox_is_deleted_ends() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut a = h.login("pat").await;
    assert!(a.cmd("CREATE Work").await.ok());
    assert!(a.cmd("SELECT Work").await.ok());
    let mut b = h.login("pat").await;
    assert!(b.cmd("DELETE Work").await.ok());
    a.send(b"n1 NOOP\r\n").await;
    let mut lines = Vec::new();
    loop {
        let line = a.response().await;
        let bye = line.starts_with("* BYE ");
        lines.push(line);
        if bye {
            break;
        }
    }
    // The BYE may come before NOOP's OK: the session ends at once.
    assert_eq!(
        lines.last().unwrap(),
        "* BYE Selected mailbox was deleted or renamed, have to disconnect"
    );
}
