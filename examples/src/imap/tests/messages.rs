//! Messages: APPEND and MULTIAPPEND, every FETCH item with its exact bytes, STORE,
//! SEARCH (with ESEARCH and SEARCHRES), SORT, THREAD, COPY, MOVE, EXPUNGE.

use super::*;

const REPLY: &[u8] = b"From: Carl <carl@example.test>\r\n\
Subject: Re: Report\r\n\
Date: Wed, 4 Feb 2026 10:00:00 +0100\r\n\
Message-ID: <m2@example.test>\r\n\
In-Reply-To: <m1@example.test>\r\n\
References: <m1@example.test>\r\n\
\r\n\
Thanks\r\n";

const LUNCH: &[u8] = b"From: Zed <zed@example.test>\n\
Subject: Lunch\n\
Date: Mon, 2 Feb 2026 09:00:00 +0100\n\
Message-ID: <m3@example.test>\n\
\n\
Pizza?\n";

/// The UIDVALIDITY of `mailbox`.
async fn uid_validity(c: &mut Client, mailbox: &str) -> String {
    let status = c.cmd(&format!("STATUS {mailbox} (UIDVALIDITY)")).await;
    let line = &status.untagged[0];
    let start = line.find("UIDVALIDITY ").unwrap() + "UIDVALIDITY ".len();
    line[start..].trim_end_matches(')').to_owned()
}

/// A session with MULTIPART (flagged), REPLY (recent) and LUNCH (`$Work`, bare LF
/// line ends) in INBOX, selected.
async fn three_messages(h: &Harness) -> Client {
    h.user("pat", 0).await;
    let mut c = h.login("pat").await;
    let v = uid_validity(&mut c, "INBOX").await;
    let first = c
        .append(
            "INBOX (\\Flagged) \"17-Jul-1996 02:44:25 -0700\"",
            MULTIPART,
        )
        .await;
    assert_eq!(
        first.status,
        format!("OK [APPENDUID {v} 1] APPEND completed")
    );
    assert!(c.append("INBOX", REPLY).await.ok());
    assert!(c.append("INBOX ($Work)", LUNCH).await.ok());
    assert!(c.cmd("SELECT INBOX").await.ok());
    c
}

#[tokio::test]
async fn fetch_returns_every_item_exactly() {
    let h = harness("").await;
    let mut c = three_messages(&h).await;
    let size = MULTIPART.len();
    let fast = c.cmd("FETCH 1 (FLAGS INTERNALDATE RFC822.SIZE UID)").await;
    assert_eq!(
        fast.untagged,
        [format!(
            "* 1 FETCH (FLAGS (\\Flagged) INTERNALDATE \"17-Jul-1996 09:44:25 +0000\" RFC822.SIZE {size} UID 1)"
        )]
    );
    let body = c.cmd("FETCH 1 BODY.PEEK[]").await;
    let text = String::from_utf8_lossy(MULTIPART);
    assert_eq!(
        body.untagged,
        [format!("* 1 FETCH (BODY[] {{{size}}}\r\n{text})")]
    );
    let fields = c.cmd("FETCH 1 BODY.PEEK[HEADER.FIELDS (Subject)]").await;
    assert_eq!(
        fields.untagged,
        ["* 1 FETCH (BODY[HEADER.FIELDS (Subject)] {19}\r\nSubject: Report\r\n\r\n)"]
    );
    let part = c
        .cmd("FETCH 1 (BODY.PEEK[1] BODY.PEEK[1.MIME] BINARY.SIZE[2])")
        .await;
    assert_eq!(
        part.untagged,
        [
            "* 1 FETCH (BODY[1] \"Hello Bob\" BODY[1.MIME] {43}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n BINARY.SIZE[2] 4)"
        ]
    );
    c.send(b"b1 FETCH 1 BINARY.PEEK[2]\r\n").await;
    assert_eq!(
        c.response_bytes().await,
        b"* 1 FETCH (BINARY[2] ~{4}\r\n\x00\x01\x02\x03)"
    );
    assert!(c.until("b1").await.ok());
    let header_end = text.find("\r\n\r\n").unwrap() + 4;
    let header = c.cmd("FETCH 1 RFC822.HEADER").await;
    assert_eq!(
        header.untagged,
        [format!(
            "* 1 FETCH (RFC822.HEADER {{{header_end}}}\r\n{})",
            &text[..header_end]
        )]
    );
    let envelope = c.cmd("FETCH 1 ENVELOPE").await;
    assert!(
        envelope.untagged[0].starts_with(
            "* 1 FETCH (ENVELOPE (\"Tue, 3 Feb 2026 10:00:00 +0100\" \"Report\" ((\"Ann Example\" NIL \"ann\" \"example.test\"))"
        ),
        "{envelope:?}"
    );
    let structure = c.cmd("FETCH 1 (BODY BODYSTRUCTURE)").await;
    let line = &structure.untagged[0];
    assert!(
        line.starts_with("* 1 FETCH (BODY ((\"TEXT\" \"PLAIN\" (\"CHARSET\" \"utf-8\")"),
        "{line}"
    );
    assert!(
        line.contains(" BODYSTRUCTURE ((\"TEXT\" \"PLAIN\""),
        "{line}"
    );
    assert!(line.contains("\"MIXED\" (\"BOUNDARY\" \"b1\")"), "{line}");
    // Bare LF on disk is CRLF on the wire, sizes included.
    let lunch = c.cmd("FETCH 3 (RFC822.SIZE BODY.PEEK[TEXT])").await;
    assert_eq!(
        lunch.untagged,
        ["* 3 FETCH (RFC822.SIZE 125 BODY[TEXT] {8}\r\nPizza?\r\n)"]
    );
    // A non-PEEK fetch sets \Seen and says so.
    let partial = c.cmd("FETCH 1 BODY[TEXT]<0.5>").await;
    assert_eq!(
        partial.untagged,
        ["* 1 FETCH (BODY[TEXT]<0> {5}\r\n--b1\r FLAGS (\\Seen \\Flagged))"]
    );
    let uid = c.cmd("UID FETCH 2:* (FLAGS)").await;
    assert_eq!(
        uid.untagged,
        [
            "* 2 FETCH (UID 2 FLAGS (\\Recent))",
            "* 3 FETCH (UID 3 FLAGS ($Work))"
        ]
    );
    let rfc822 = c.cmd("FETCH 3 RFC822").await;
    assert!(rfc822.untagged[0].starts_with("* 3 FETCH (RFC822 {125}\r\nFrom: Zed"));
    assert!(rfc822.untagged[0].ends_with("Pizza?\r\n FLAGS (\\Seen $Work))"));
    let bad = c.cmd("FETCH 4 FLAGS").await;
    assert!(bad.status.starts_with("BAD"), "{bad:?}");
    assert!(c.cmd("UID FETCH 4:10 FLAGS").await.untagged.is_empty());
}

#[tokio::test]
async fn store_flags_and_keywords() {
    let h = harness("").await;
    let mut c = three_messages(&h).await;
    let add = c.cmd("STORE 2 +FLAGS (\\Answered $Label)").await;
    assert_eq!(
        add.untagged,
        ["* 2 FETCH (FLAGS (\\Answered $Label \\Recent))"]
    );
    let silent = c.cmd("STORE 2 -FLAGS.SILENT ($Label)").await;
    assert!(silent.ok() && silent.untagged.is_empty(), "{silent:?}");
    let replace = c.cmd("STORE 1:2 FLAGS (\\Draft)").await;
    assert_eq!(
        replace.untagged,
        [
            "* 1 FETCH (FLAGS (\\Draft))",
            "* 2 FETCH (FLAGS (\\Draft \\Recent))"
        ]
    );
    let uid = c.cmd("UID STORE 2 +FLAGS (\\Seen)").await;
    assert_eq!(
        uid.untagged,
        ["* 2 FETCH (UID 2 FLAGS (\\Seen \\Draft \\Recent))"]
    );
    let bad = c.cmd("STORE 1 +FLAGS (\\Bogus)").await;
    assert!(bad.status.starts_with("BAD"), "{bad:?}");
    let flags = c.cmd("FETCH 1:* FLAGS").await;
    assert_eq!(flags.untagged.len(), 3);
    // On disk, as Dovecot reads it.
    let on_disk = maildir::Maildir::open(h.maildir("pat"))
        .unwrap()
        .inbox()
        .unwrap()
        .sync()
        .unwrap();
    let second = on_disk.get(2).unwrap();
    assert!(second.flags.contains(maildir::Flag::Seen));
    assert!(second.flags.contains(maildir::Flag::Draft));
    assert!(!second.flags.contains(maildir::Flag::Replied));
}

#[tokio::test]
async fn search_esearch_searchres_sort_and_thread() {
    let h = harness("").await;
    let mut c = three_messages(&h).await;
    let cases = [
        ("SEARCH ALL", "* SEARCH 1 2 3"),
        ("SEARCH SUBJECT report", "* SEARCH 1 2"),
        ("SEARCH KEYWORD $Work", "* SEARCH 3"),
        ("SEARCH BODY pizza", "* SEARCH 3"),
        ("SEARCH OR FROM carl FROM zed", "* SEARCH 2 3"),
        ("SEARCH FLAGGED", "* SEARCH 1"),
        ("SEARCH NOT FLAGGED RECENT", "* SEARCH 2"),
        ("SEARCH SENTBEFORE 3-Feb-2026", "* SEARCH 3"),
        ("SEARCH HEADER Message-ID m2", "* SEARCH 2"),
        ("SEARCH LARGER 196", "* SEARCH 1"),
        ("UID SEARCH UID 2:*", "* SEARCH 2 3"),
        ("SEARCH CHARSET UTF-8 TEXT thanks", "* SEARCH 2"),
    ];
    for (command, expected) in cases {
        let done = c.cmd(command).await;
        assert_eq!(done.untagged, [expected], "{command}");
    }
    let bad = c.cmd("SEARCH CHARSET KOI8-R ALL").await;
    assert_eq!(
        bad.status,
        "NO [BADCHARSET (UTF-8 US-ASCII)] Unsupported charset"
    );
    let esearch = c
        .cmd("UID SEARCH RETURN (MIN MAX COUNT ALL) SUBJECT report")
        .await;
    assert_eq!(
        esearch.untagged,
        [format!(
            "* ESEARCH (TAG \"a{}\") UID MIN 1 MAX 2 ALL 1:2 COUNT 2",
            7 + cases.len() + 1
        )]
    );
    let empty = c.cmd("SEARCH RETURN (COUNT) SUBJECT nothing").await;
    assert!(empty.untagged[0].ends_with(" COUNT 0"), "{empty:?}");
    let save = c.cmd("SEARCH RETURN (SAVE) SUBJECT lunch").await;
    assert!(save.ok() && save.untagged.is_empty(), "{save:?}");
    let saved = c.cmd("FETCH $ (UID)").await;
    assert_eq!(saved.untagged, ["* 3 FETCH (UID 3)"]);
    let and_saved = c.cmd("SEARCH $ OR KEYWORD $Work FLAGGED").await;
    assert_eq!(and_saved.untagged, ["* SEARCH 3"]);
    let sorts = [
        ("SORT (SUBJECT) UTF-8 ALL", "* SORT 3 1 2"),
        ("SORT (REVERSE DATE) UTF-8 ALL", "* SORT 2 1 3"),
        ("SORT (FROM) UTF-8 ALL", "* SORT 1 2 3"),
        ("UID SORT (SIZE) UTF-8 NOT FLAGGED", "* SORT 3 2"),
        ("THREAD ORDEREDSUBJECT UTF-8 ALL", "* THREAD (3)(1 2)"),
        ("THREAD REFERENCES UTF-8 ALL", "* THREAD (3)(1 2)"),
        (
            "UID THREAD REFERENCES UTF-8 SUBJECT report",
            "* THREAD (1 2)",
        ),
    ];
    for (command, expected) in sorts {
        let done = c.cmd(command).await;
        assert_eq!(done.untagged, [expected], "{command}");
    }
    // IMAP4rev2 answers SEARCH with ESEARCH.
    let mut rev2 = h.login("pat").await;
    assert!(rev2.cmd("ENABLE IMAP4rev2").await.ok());
    assert!(rev2.cmd("EXAMINE INBOX").await.ok());
    let done = rev2.cmd("SEARCH SUBJECT report").await;
    assert_eq!(done.untagged, ["* ESEARCH (TAG \"a4\") ALL 1:2"]);
    let none = rev2.cmd("UID SEARCH SUBJECT nothing").await;
    assert_eq!(none.untagged, ["* ESEARCH (TAG \"a5\") UID"]);
}

#[tokio::test]
async fn copy_move_and_multiappend_report_uids() {
    let h = harness("").await;
    let mut c = three_messages(&h).await;
    let trash = uid_validity(&mut c, "Trash").await;
    let copy = c.cmd("COPY 1:2 Trash").await;
    assert_eq!(
        copy.status,
        format!("OK [COPYUID {trash} 1:2 1:2] COPY completed")
    );
    let junk = uid_validity(&mut c, "Junk").await;
    let moved = c.cmd("UID MOVE 3 Junk").await;
    assert_eq!(
        moved.untagged,
        [
            format!("* OK [COPYUID {junk} 3 1] Moved"),
            "* 3 EXPUNGE".to_owned()
        ]
    );
    assert_eq!(moved.status, "OK MOVE completed");
    let missing = c.cmd("COPY 1 Nowhere").await;
    assert_eq!(missing.status, "NO [TRYCREATE] Mailbox does not exist");
    let empty = c.cmd("UID COPY 99 Trash").await;
    assert_eq!(empty.status, "OK COPY completed");
    let status = c.cmd("STATUS Trash (MESSAGES)").await;
    assert_eq!(status.untagged, ["* STATUS Trash (MESSAGES 2)"]);

    let drafts = uid_validity(&mut c, "Drafts").await;
    c.send(b"m1 APPEND Drafts (\\Draft) {5+}\r\nhello (\\Seen) {5+}\r\nworld\r\n")
        .await;
    let multi = c.until("m1").await;
    assert_eq!(
        multi.status,
        format!("OK [APPENDUID {drafts} 1:2] APPEND completed")
    );
    let missing = c.append("Nowhere", b"x").await;
    assert_eq!(missing.status, "NO [TRYCREATE] Mailbox does not exist");
    // A MULTIAPPEND that fails stores nothing.
    c.send(b"m2 APPEND Drafts {3+}\r\none (\\Bogus) {3+}\r\ntwo\r\n")
        .await;
    assert!(c.until("m2").await.status.starts_with("BAD"));
    let status = c.cmd("STATUS Drafts (MESSAGES)").await;
    assert_eq!(status.untagged, ["* STATUS Drafts (MESSAGES 2)"]);
}

#[tokio::test]
async fn expunge_uid_expunge_and_close() {
    let h = harness("").await;
    let mut c = three_messages(&h).await;
    assert!(c.cmd("STORE 1:3 +FLAGS.SILENT (\\Deleted)").await.ok());
    let uid = c.cmd("UID EXPUNGE 2").await;
    assert_eq!(uid.untagged, ["* 2 EXPUNGE"]);
    let all = c.cmd("EXPUNGE").await;
    assert_eq!(all.untagged, ["* 2 EXPUNGE", "* 1 EXPUNGE"]);
    let appended = c.append("INBOX (\\Deleted)", b"Subject: x\r\n\r\n").await;
    assert!(appended.has("* 1 EXISTS"), "{appended:?}");
    let close = c.cmd("CLOSE").await;
    assert!(close.ok() && close.untagged.is_empty(), "{close:?}");
    let status = c.cmd("STATUS INBOX (MESSAGES)").await;
    assert_eq!(status.untagged, ["* STATUS INBOX (MESSAGES 0)"]);
}

#[tokio::test]
async fn large_fetches_are_answered_in_batches() {
    let h = harness("").await;
    h.user("pat", 0).await;
    let mut c = h.login("pat").await;
    let messages: Vec<Vec<u8>> = (0..4u8)
        .map(|i| {
            let mut m = format!("Subject: big {i}\r\n\r\n").into_bytes();
            let line = format!("{}\r\n", char::from(b'a' + i).to_string().repeat(98));
            m.extend(line.repeat(3000).into_bytes());
            m
        })
        .collect();
    for m in &messages {
        assert!(c.append("INBOX", m).await.ok());
    }
    assert!(c.cmd("SELECT INBOX").await.ok());
    c.send(b"f1 FETCH 1:4 (UID BODY.PEEK[])\r\n").await;
    for (i, m) in messages.iter().enumerate() {
        let mut expected = format!(
            "* {} FETCH (UID {} BODY[] {{{}}}\r\n",
            i + 1,
            i + 1,
            m.len()
        )
        .into_bytes();
        expected.extend_from_slice(m);
        expected.push(b')');
        assert!(c.response_bytes().await == expected, "message {}", i + 1);
    }
    assert_eq!(c.until("f1").await.status, "OK FETCH completed");
}
