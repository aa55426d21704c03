//! Differential test of the IMAP service against Debian's Dovecot 2.3: a corpus of
//! messages (generated in `imap_dovecot_diff/corpus.rs`) is appended to a Postroom
//! mailbox, the Maildir is copied (with `dovecot-uidlist`, so UIDs match) and served by
//! a throwaway Dovecot, and both servers must answer alike: ENVELOPE, BODY,
//! BODYSTRUCTURE, every BODY[section] form with partials, BINARY and BINARY.SIZE,
//! SEARCH, SORT and THREAD. Responses are compared as parsed trees after the
//! normalisations of `imap_dovecot_diff/normalise.rs`. Where the answers differ and
//! Postroom's stands (Dovecot deviates from the RFCs, or both stay within what they
//! allow), the case is listed in [`DEVIATIONS`] with both servers' exact answers and
//! the reason; every listed case must still occur.
//!
//! Run with `cargo test -p postroom --test imap_dovecot_diff -- --ignored`.

mod support;

#[path = "imap_dovecot_diff/corpus.rs"]
mod corpus;
#[path = "imap_dovecot_diff/deviations.rs"]
mod deviations;
#[path = "imap_dovecot_diff/normalise.rs"]
mod normalise;
#[path = "imap_dovecot_diff/wire.rs"]
mod wire;

use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;

use deviations::DEVIATIONS;
use support::dovecot_imap as dovecot;
use support::{Options, PASSWORD, Postroom};
use wire::{Answer, Client, Value};

/// The comparisons made and the differences found.
struct Report {
    compared: usize,
    mismatches: Vec<String>,
    used: Vec<bool>,
}

impl Report {
    fn new() -> Self {
        Self {
            compared: 0,
            mismatches: Vec::new(),
            used: vec![false; DEVIATIONS.len()],
        }
    }

    /// Compares one answer of both servers: equal, or exactly as a documented
    /// deviation says.
    fn compare(&mut self, key: &str, ours: &str, theirs: &str) {
        self.compared += 1;
        let (ours_seen, theirs_seen) = (deviations::expected(ours), deviations::expected(theirs));
        let snippet = || {
            format!(
                "  Deviation {{ key: {key:?}, ours: {ours_seen:?}, dovecot: {theirs_seen:?}, why: ... }}"
            )
        };
        if let Some(i) = DEVIATIONS.iter().position(|d| d.key == key) {
            self.used[i] = true;
            let d = &DEVIATIONS[i];
            if ours_seen != d.ours || theirs_seen != d.dovecot {
                self.mismatches.push(format!(
                    "{key}: the documented deviation changed\n{}\n{}",
                    show_difference(ours, theirs),
                    snippet()
                ));
            }
            return;
        }
        if ours != theirs {
            self.mismatches.push(format!(
                "{key}:\n{}\n{}",
                show_difference(ours, theirs),
                snippet()
            ));
        }
    }

    fn finish(&self) {
        let unused: Vec<&str> = DEVIATIONS
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(d, _)| d.key)
            .collect();
        assert!(
            self.mismatches.is_empty() && unused.is_empty(),
            "{} of {} comparisons differ:\n\n{}\n\nunused deviations: {unused:?}",
            self.mismatches.len(),
            self.compared,
            self.mismatches.join("\n\n")
        );
        assert!(self.compared > 1000, "only {} comparisons", self.compared);
        eprintln!(
            "{} comparisons, {} of them documented deviations",
            self.compared,
            DEVIATIONS.len()
        );
    }
}

/// Both texts around their first difference (whole when short).
fn show_difference(ours: &str, theirs: &str) -> String {
    const CONTEXT: usize = 300;
    let first = ours
        .bytes()
        .zip(theirs.bytes())
        .position(|(a, b)| a != b)
        .unwrap_or(ours.len().min(theirs.len()));
    let cut = |s: &str| {
        let mut start = first.saturating_sub(CONTEXT);
        while !s.is_char_boundary(start) {
            start -= 1;
        }
        let mut end = (first + CONTEXT).min(s.len());
        while !s.is_char_boundary(end) {
            end += 1;
        }
        format!(
            "{}{}{} ({} bytes)",
            if start > 0 { "..." } else { "" },
            &s[start..end],
            if end < s.len() { "..." } else { "" },
            s.len()
        )
    };
    format!("  ours:    {}\n  dovecot: {}", cut(ours), cut(theirs))
}

/// The status of an answer for comparison: `OK`, `NO [CODE]` or `BAD` (the human
/// text after the status is free-form, RFC 9051 section 7.1).
fn status(answer: &Answer) -> String {
    match (&answer.code, answer.status.as_str()) {
        (_, "BAD") => "BAD".to_owned(),
        (Some(code), status) if status != "OK" => format!("{status} [{code}]"),
        (_, status) => status.to_owned(),
    }
}

/// The FETCH items of the answer for one message: normalised name -> normalised value.
fn fetch_items(answer: &Answer) -> BTreeMap<String, Value> {
    let mut items = BTreeMap::new();
    for response in answer.responses("FETCH") {
        let Some(list) = response.first().and_then(Value::list) else {
            continue;
        };
        for pair in list.chunks(2) {
            let [name, value] = pair else { continue };
            let name = normalise::item_name(&name.to_string());
            let value = normalise::item(&name, value);
            items.insert(name, value);
        }
    }
    items
}

/// How to open a session that has EXAMINEd INBOX.
struct Login {
    addr: SocketAddr,
    login: String,
}

impl Login {
    fn open(&self) -> Client {
        let mut client = Client::connect(self.addr);
        client.ok(&self.login);
        client.ok("EXAMINE INBOX");
        client
    }
}

/// The two servers, each with a session that has EXAMINEd INBOX.
struct Pair {
    ours: Client,
    theirs: Client,
    logins: [Login; 2],
    report: Report,
}

impl Pair {
    /// Sends `command` to both; a server that ended the session (`BYE`) gets a new one
    /// for the next command.
    fn both(&mut self, command: &str) -> (Answer, Answer) {
        let ours = self.ours.command(command);
        let theirs = self.theirs.command(command);
        if ours.status == "BAD" && theirs.status == "BAD" {
            self.report
                .mismatches
                .push(format!("{command}: both servers answer BAD: {}", ours.line));
        }
        if ours.status == "BYE" {
            self.ours = self.logins[0].open();
        }
        if theirs.status == "BYE" {
            self.theirs = self.logins[1].open();
        }
        (ours, theirs)
    }

    /// Sends `command` to both and compares the status and the FETCH items. When only
    /// one server fails, the status of each and the items of the other are compared as
    /// one answer; when both fail alike, only the status is: what a failed FETCH sends
    /// before its `NO` is not specified (RFC 9051 section 7.1.2).
    fn fetch(&mut self, what: &str, uid: u32, items: &str) {
        let command = format!("UID FETCH {uid} ({items})");
        let (ours, theirs) = self.both(&command);
        let (ours_status, theirs_status) = (status(&ours), status(&theirs));
        let (ours, theirs) = (fetch_items(&ours), fetch_items(&theirs));
        if ours_status != theirs_status {
            let whole = |status: &str, items: &BTreeMap<String, Value>| {
                let mut text = status.to_owned();
                if status == "OK" {
                    for (name, value) in items {
                        text.push_str(&format!(" {name} {value}"));
                    }
                }
                text
            };
            self.report.compare(
                &format!("{what}: {items}"),
                &whole(&ours_status, &ours),
                &whole(&theirs_status, &theirs),
            );
            return;
        }
        self.report.compared += 1;
        if ours_status != "OK" {
            return;
        }
        for name in ours.keys().chain(theirs.keys()).collect::<BTreeSet<_>>() {
            let show = |map: &BTreeMap<String, Value>| {
                map.get(name)
                    .map_or_else(|| "(missing)".to_owned(), ToString::to_string)
            };
            let key = if items.eq_ignore_ascii_case(name) || items.contains(".PEEK") {
                format!("{what}: {name}")
            } else {
                format!("{what}: {items} -> {name}")
            };
            self.report.compare(&key, &show(&ours), &show(&theirs));
        }
    }

    /// Sends `command` to both and compares the status and the untagged responses
    /// starting with `word` (`SEARCH`, `SORT`, `THREAD`, `ESEARCH`), `sorted` when
    /// their order carries no meaning: a SEARCH response lists the matching messages
    /// in no particular order (RFC 3501 section 7.2.5 prescribes none), unlike SORT.
    fn results(&mut self, command: &str, word: &str, sorted: bool) {
        let (ours, theirs) = self.both(command);
        self.report.compare(
            &format!("{command} status"),
            &status(&ours),
            &status(&theirs),
        );
        let show = |answer: &Answer| {
            let mut values: Vec<String> = answer
                .responses(word)
                .into_iter()
                .flatten()
                .filter(|v| !is_tag_correlator(v))
                .map(|v| v.to_string())
                .collect();
            if sorted {
                values.sort_by_key(|v| (v.len(), v.clone()));
            }
            values.join(" ")
        };
        self.report.compare(command, &show(&ours), &show(&theirs));
    }
}

/// `(TAG "x")` of an ESEARCH response: it names the client's command tag (RFC 4731
/// section 3.1), and the two sessions number their commands differently.
fn is_tag_correlator(value: &Value) -> bool {
    value
        .list()
        .and_then(<[Value]>::first)
        .and_then(Value::atom)
        .is_some_and(|a| a.eq_ignore_ascii_case("TAG"))
}

/// A part of a message: its number and what it is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum PartKind {
    Leaf,
    Multipart,
    Message,
}

/// The parts of a message from its BODYSTRUCTURE: (`1.2`, kind), in order.
fn parts(structure: &Value) -> Vec<(String, PartKind)> {
    let mut out = Vec::new();
    children(structure, "", &mut out);
    out
}

/// The numbered parts under a body: a multipart's parts, or part 1 of anything else.
fn children(body: &Value, prefix: &str, out: &mut Vec<(String, PartKind)>) {
    let Some(items) = body.list() else { return };
    let subparts: Vec<&Value> = items.iter().take_while(|v| v.list().is_some()).collect();
    if subparts.is_empty() {
        visit(body, &format!("{prefix}1"), out);
    } else {
        for (i, part) in subparts.iter().enumerate() {
            visit(part, &format!("{prefix}{}", i + 1), out);
        }
    }
}

fn visit(part: &Value, path: &str, out: &mut Vec<(String, PartKind)>) {
    let Some(items) = part.list() else { return };
    if items.first().and_then(Value::list).is_some() {
        out.push((path.to_owned(), PartKind::Multipart));
        children(part, &format!("{path}."), out);
        return;
    }
    let is = |i: usize, want: &str| {
        items
            .get(i)
            .and_then(Value::bytes)
            .is_some_and(|b| b.eq_ignore_ascii_case(want.as_bytes()))
    };
    if is(0, "message") && (is(1, "rfc822") || is(1, "global")) && items.len() > 8 {
        out.push((path.to_owned(), PartKind::Message));
        // The encapsulated message's parts continue the numbering.
        let inner = &items[8];
        if inner
            .list()
            .and_then(|l| l.first())
            .and_then(Value::list)
            .is_some()
        {
            children(inner, &format!("{path}."), out);
        } else {
            out.push((format!("{path}.1"), PartKind::Leaf));
        }
    } else {
        out.push((path.to_owned(), PartKind::Leaf));
    }
}

/// Every FETCH item asked of one message.
fn fetch_items_for(structure: &Value) -> Vec<String> {
    let mut items: Vec<String> = [
        "ENVELOPE",
        "BODYSTRUCTURE",
        "BODY",
        "RFC822.SIZE",
        "FLAGS",
        "INTERNALDATE",
        "RFC822.HEADER",
        "RFC822.TEXT",
        "RFC822",
        "BODY.PEEK[]",
        "BODY.PEEK[HEADER]",
        "BODY.PEEK[TEXT]",
        "BODY.PEEK[HEADER.FIELDS (FROM TO SUBJECT DATE MESSAGE-ID X-NONE)]",
        "BODY.PEEK[HEADER.FIELDS (content-type Subject)]",
        "BODY.PEEK[HEADER.FIELDS.NOT (FROM TO SUBJECT DATE X-LONG-FOLDED)]",
        "BODY.PEEK[]<0.100>",
        "BODY.PEEK[]<100.50>",
        "BODY.PEEK[HEADER]<10.20>",
        "BODY.PEEK[TEXT]<3.40>",
        "BODY.PEEK[TEXT]<1000000.10>",
        "BODY.PEEK[1]<5.1000000>",
        "BODY.PEEK[9]",
        "BODY.PEEK[9.MIME]",
        "BODY.PEEK[1.9]",
        "BINARY.PEEK[]",
        "BINARY.SIZE[]",
        "BINARY.PEEK[1]<0.10>",
        "BINARY.PEEK[9]",
        "BINARY.SIZE[9]",
    ]
    .map(str::to_owned)
    .to_vec();
    for (path, kind) in parts(structure) {
        items.push(format!("BODY.PEEK[{path}]"));
        items.push(format!("BODY.PEEK[{path}.MIME]"));
        items.push(format!("BODY.PEEK[{path}]<2.7>"));
        items.push(format!("BINARY.PEEK[{path}]"));
        items.push(format!("BINARY.SIZE[{path}]"));
        match kind {
            PartKind::Message => {
                items.push(format!("BODY.PEEK[{path}.HEADER]"));
                items.push(format!("BODY.PEEK[{path}.TEXT]"));
                items.push(format!("BODY.PEEK[{path}.HEADER.FIELDS (FROM SUBJECT)]"));
                items.push(format!(
                    "BODY.PEEK[{path}.HEADER.FIELDS.NOT (FROM SUBJECT)]"
                ));
            }
            PartKind::Leaf => {
                items.push(format!("BODY.PEEK[{path}.TEXT]"));
                items.push(format!("BODY.PEEK[{path}.HEADER]"));
            }
            PartKind::Multipart => {}
        }
    }
    items
}

/// SEARCH criteria, each sent as `SEARCH x` and `UID SEARCH x`.
///
/// `RECENT`, `NEW` and `OLD` are left out: `\Recent` belongs to whichever session saw
/// a message first (RFC 3501 section 2.3.2), which differs between two servers. So is
/// `MODSEQ`: mod-sequences are each server's own counters (RFC 7162 section 3.1).
const SEARCHES: &[&str] = &[
    "ALL",
    "1:5",
    "2,4:6,*",
    "*:40",
    "NOT 1:10",
    "UID 3:7",
    "UID 1,10:*",
    "SEEN",
    "UNSEEN",
    "ANSWERED",
    "UNANSWERED",
    "FLAGGED",
    "UNFLAGGED",
    "DELETED",
    "UNDELETED",
    "DRAFT",
    "UNDRAFT",
    "KEYWORD $Work",
    "KEYWORD $Forwarded",
    "UNKEYWORD $work",
    "KEYWORD $Missing",
    "FROM alice",
    "FROM \"Alice Example\"",
    "FROM example.org",
    "FROM \"Jürgen\"",
    "FROM \"andré\"",
    "FROM \"zoë\"",
    "FROM \"François\"",
    "FROM \"Last, First\"",
    "TO bob",
    "TO \"Привет\"",
    "TO \"€uro\"",
    "TO \"undisclosed\"",
    "TO \"Spaced\"",
    "TO \"中文\"",
    "CC dave",
    "CC \"Quoted Name\"",
    "CC \"member2\"",
    "CC \"routed@example.com\"",
    "BCC eve",
    "BCC \"quoted local\"",
    "SUBJECT report",
    "SUBJECT \"Übersicht\"",
    "SUBJECT \"übersicht\"",
    "SUBJECT \"GRÜSSE\"",
    "SUBJECT \"grüße\"",
    "SUBJECT \"żaba\"",
    "SUBJECT \"日本語\"",
    "SUBJECT \"한국\"",
    "SUBJECT \"Café\"",
    "SUBJECT \"Re:\"",
    "SUBJECT \"\"",
    "SUBJECT \"lunch plans\"",
    "SUBJECT \"unterminated\"",
    "SUBJECT \"bad_encoding\"",
    "HEADER Message-ID \"<t1@\"",
    "HEADER X-Encoded needle_in_header",
    "HEADER X-Encoded \"needle_in\"",
    "HEADER X-Filler-599 needle-huge-599",
    "HEADER X-Long-Folded \"folded-line-0899\"",
    "HEADER X-Long-Folded \"folded-line-0001 abcde\"",
    "HEADER References t4@",
    "HEADER In-Reply-To \"\"",
    "HEADER Reply-To \"\"",
    "HEADER X-Missing \"\"",
    "HEADER Content-Type multipart/mixed",
    "HEADER content-type \"boundary\"",
    "HEADER subject \"no space\"",
    "BODY pizza",
    "BODY \"needle-b64\"",
    "BODY \"needle-qp\"",
    "BODY \"needle-deep\"",
    "BODY \"café\"",
    "BODY cafe",
    "BODY \"CAFÉ\"",
    "SUBJECT cafe",
    "BODY \"Straße\"",
    "BODY \"STRASSE\"",
    "BODY \"ΟΔΟΣ\"",
    "BODY \"οδος\"",
    "BODY \"東京\"",
    "BODY \"münchen\"",
    "BODY \"Grüße\"",
    "BODY \"line two\"",
    "BODY \"soft-broken\"",
    "BODY \"a=b\"",
    "BODY \"soft break\"",
    "BODY \"softbreak\"",
    "BODY \"tab\t\tend\"",
    "BODY report",
    "BODY \"Subject\"",
    "BODY \"original text\"",
    "BODY \"entry two\"",
    "BODY \"not a message\"",
    "BODY \"lost part\"",
    "BODY \"just text\"",
    "BODY \"never closed\"",
    "BODY \"no close delimiter\"",
    "BODY \"not a header field\"",
    "BODY \"rates\"",
    "BODY \"jpeg\"",
    "BODY \"unix line ends\"",
    "BODY \"large body line\"",
    "BODY \"\"",
    "TEXT pizza",
    "TEXT needle_in_header",
    "TEXT \"needle-huge-300\"",
    "TEXT \"From:\"",
    "TEXT \"Übersicht\"",
    "TEXT \"Caf\"",
    "TEXT \"t14@example.com\"",
    "TEXT \"ünïcödé\"",
    "TEXT \"\"",
    "CHARSET UTF-8 BODY \"Grüße\"",
    "CHARSET UTF-8 TEXT \"東京\"",
    "CHARSET UTF-8 SUBJECT \"Übersicht\"",
    "CHARSET US-ASCII BODY pizza",
    "CHARSET ISO-8859-1 BODY pizza",
    "CHARSET X-UNKNOWN BODY pizza",
    "BEFORE 10-Jan-2024",
    "BEFORE 3-Jan-2024",
    "SINCE 20-Jan-2024",
    "SINCE 1-Feb-2024",
    "ON 15-Jan-2024",
    "ON 2-Jan-2024",
    "ON 3-Jan-2024",
    "ON 8-Jan-2024",
    "SENTBEFORE 5-Jan-2024",
    "SENTBEFORE 1-Jan-2000",
    "SENTSINCE 27-Jan-2024",
    "SENTSINCE 1-Jan-2030",
    "SENTON 27-Jan-2024",
    "SENTON 26-Jan-2024",
    "SENTON 2-Jan-2024",
    "SENTON 3-Feb-1999",
    "SENTON 4-Feb-1999",
    "SENTON 1-Feb-2024",
    "SENTON 28-Jan-2024",
    "SENTON 1-Jan-2001",
    "SENTON 3-Jan-2024",
    "LARGER 5000",
    "SMALLER 1000",
    "LARGER 100000",
    "SMALLER 400",
    "OR SEEN FLAGGED",
    "OR FROM bob TO bob",
    "NOT OR SEEN DRAFT",
    "OR OR ANSWERED DRAFT DELETED",
    "(OR 1:3 5) UNSEEN",
    "NOT NOT SEEN",
    "OR NOT SUBJECT lunch BODY pizza",
    "(FROM example.com (SUBJECT lunch OR TO team CC dave))",
    "NOT (OR (SINCE 20-Jan-2024) (LARGER 5000))",
    "OR (UID 1:5 SEEN) (UID 40:* NOT SEEN)",
    "UNDELETED UNSEEN SENTSINCE 10-Jan-2024 NOT HEADER Message-ID t1",
];

/// SORT criteria, each sent as `SORT (x) UTF-8 ALL`.
const SORTS: &[&str] = &[
    "ARRIVAL",
    "REVERSE ARRIVAL",
    "DATE",
    "REVERSE DATE",
    "SIZE",
    "REVERSE SIZE",
    "SUBJECT",
    "REVERSE SUBJECT",
    "FROM",
    "REVERSE FROM",
    "TO",
    "CC",
    "REVERSE CC",
    "FROM DATE",
    "SUBJECT REVERSE DATE",
    "CC REVERSE FROM SIZE",
    "TO SUBJECT ARRIVAL",
    "REVERSE SUBJECT REVERSE SIZE",
];

/// Sort criteria of RFC 5957, compared when Dovecot advertises `SORT=DISPLAY`.
const DISPLAY_SORTS: &[&str] = &[
    "DISPLAYFROM",
    "REVERSE DISPLAYFROM",
    "DISPLAYTO",
    "DISPLAYTO DATE",
];

/// Sorts and threads over a subset of the mailbox.
const SUBSET_COMMANDS: &[(&str, &str)] = &[
    ("SORT (DATE) UTF-8 SUBJECT lunch", "SORT"),
    ("UID SORT (SUBJECT) UTF-8 ALL", "SORT"),
    ("UID SORT (REVERSE DATE) UTF-8 UID 10:30", "SORT"),
    ("SORT (FROM) US-ASCII OR FROM bob FROM alice", "SORT"),
    ("SORT (SUBJECT) UTF-8 BODY \"Grüße\"", "SORT"),
    ("THREAD REFERENCES UTF-8 ALL", "THREAD"),
    ("THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD"),
    ("UID THREAD REFERENCES UTF-8 ALL", "THREAD"),
    ("UID THREAD ORDEREDSUBJECT UTF-8 ALL", "THREAD"),
    ("THREAD REFERENCES UTF-8 SUBJECT lunch", "THREAD"),
    ("THREAD REFERENCES UTF-8 NOT SUBJECT lunch", "THREAD"),
    ("THREAD ORDEREDSUBJECT UTF-8 SINCE 20-Jan-2024", "THREAD"),
    ("THREAD REFERENCES UTF-8 UID 20:40", "THREAD"),
    ("THREAD REFERENCES US-ASCII SUBJECT budget", "THREAD"),
];

/// Prints the end of the server's log when the test fails (a closed connection or a
/// failed command then shows its cause).
struct LogsOnPanic<'a>(&'a Postroom);

impl Drop for LogsOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = self.0.log();
            let start = log.len().saturating_sub(4000);
            let start = (start..log.len())
                .find(|&i| log.is_char_boundary(i))
                .unwrap_or(0);
            eprintln!("postroom log (end):\n{}", &log[start..]);
        }
    }
}

#[test]
#[ignore = "interop: dovecot-imapd"]
fn postroom_and_dovecot_answer_alike_for_one_maildir() {
    let corpus = corpus::corpus();
    assert!(
        (30..=60).contains(&corpus.len()),
        "{} messages",
        corpus.len()
    );
    let server = Postroom::start_with(&Options {
        message_size: 4_000_000,
        ..Options::default()
    });
    let _logs = LogsOnPanic(&server);
    let mut ours = Client::connect(server.imap);
    ours.ok(&format!("LOGIN \"pat@{}\" \"{PASSWORD}\"", support::DOMAIN));
    for (i, mail) in corpus.iter().enumerate() {
        let answer = ours.append(mail.flags, mail.internal_date, &mail.raw);
        let want = format!(" {}]", i + 1);
        assert!(
            answer.status == "OK" && answer.line.contains(&want),
            "APPEND of {}: {}",
            mail.what,
            answer.line
        );
    }
    ours.ok("LOGOUT");

    let root = tempfile::tempdir().expect("temp dir");
    let copy = root.path().join("Maildir");
    dovecot::copy_maildir(&server.maildir("pat"), &copy);
    let dovecot = dovecot::Dovecot::start(root.path(), &copy);
    let mut theirs = Client::connect(dovecot.addr);
    theirs.ok(&format!("LOGIN {} {}", dovecot::USER, dovecot::PASSWORD));
    let capabilities = theirs.ok("CAPABILITY");
    let display = capabilities
        .untagged
        .iter()
        .any(|c| c.windows(12).any(|w| w == b"SORT=DISPLAY"));

    let logins = [
        Login {
            addr: server.imap,
            login: format!("LOGIN \"pat@{}\" \"{PASSWORD}\"", support::DOMAIN),
        },
        Login {
            addr: dovecot.addr,
            login: format!("LOGIN {} {}", dovecot::USER, dovecot::PASSWORD),
        },
    ];
    let mut ours = Client::connect(server.imap);
    ours.ok(&logins[0].login);
    let ours_examine = ours.ok("EXAMINE INBOX");
    let theirs_examine = theirs.ok("EXAMINE INBOX");
    let mut pair = Pair {
        ours,
        theirs,
        logins,
        report: Report::new(),
    };
    let exists = |a: &Answer| {
        a.untagged
            .iter()
            .find_map(|r| {
                let text = String::from_utf8_lossy(r);
                text.strip_suffix(" EXISTS").map(str::to_owned)
            })
            .unwrap_or_default()
    };
    assert_eq!(exists(&ours_examine), corpus.len().to_string());
    assert_eq!(
        exists(&theirs_examine),
        corpus.len().to_string(),
        "{}",
        dovecot.log()
    );
    // Same UIDs for the same messages.
    pair.results("UID SEARCH ALL", "SEARCH", true);
    pair.results("FETCH 1:* (UID RFC822.SIZE)", "FETCH", false);

    for (i, mail) in corpus.iter().enumerate() {
        let uid = u32::try_from(i + 1).expect("uid");
        let structure = pair.theirs.ok(&format!("UID FETCH {uid} (BODYSTRUCTURE)"));
        let structure = fetch_items(&structure)
            .remove("BODYSTRUCTURE")
            .unwrap_or_else(|| panic!("no BODYSTRUCTURE for {}", mail.what));
        for item in fetch_items_for(&structure) {
            pair.fetch(mail.what, uid, &item);
        }
    }
    for criteria in SEARCHES {
        pair.results(&format!("SEARCH {criteria}"), "SEARCH", true);
        pair.results(&format!("UID SEARCH {criteria}"), "SEARCH", true);
    }
    pair.results(
        "SEARCH RETURN (MIN MAX COUNT) FROM example.com",
        "ESEARCH",
        false,
    );
    pair.results("UID SEARCH RETURN (ALL) SUBJECT lunch", "ESEARCH", false);
    let display_sorts = if display { DISPLAY_SORTS } else { &[] };
    for criteria in SORTS.iter().chain(display_sorts) {
        pair.results(&format!("SORT ({criteria}) UTF-8 ALL"), "SORT", false);
    }
    for (command, word) in SUBSET_COMMANDS {
        pair.results(command, word, false);
    }
    pair.ours.ok("LOGOUT");
    pair.theirs.ok("LOGOUT");
    drop(dovecot);
    pair.report.finish();
}
