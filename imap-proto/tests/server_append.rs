//! APPEND and MULTIAPPEND: message literals stream to the application in chunks, never
//! buffered; refusals, limits and syntax errors keep the session in sync.

mod server_support;

use imap_proto::server::{CloseReason, Event, Server, Status};
use imap_proto::types::{Flag, Mailbox};
use server_support::{Policy, Step, inputs, open_config, run, session};

const LOGIN: &[u8] = b"a1 LOGIN joe secret\r\n";

#[test]
fn append_one_message() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            LOGIN,
            b"a2 APPEND INBOX (\\Seen) {11}\r\n",
            b"Hello world\r\n",
            b"a3 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "+ Ready for literal data",
            "a2 OK [APPENDUID 7 100] APPEND completed",
            "a3 OK NOOP completed"
        ]
    );
    assert_eq!(t.appended(), [b"Hello world".to_vec()]);
    let Event::AppendMessage(info) = &t.events[1] else {
        panic!("{:?}", t.events)
    };
    assert_eq!(
        (
            info.tag.as_str(),
            &info.mailbox,
            info.index,
            &info.flags,
            info.length
        ),
        ("a2", &Mailbox::INBOX, 0, &vec![Flag::Seen], 11)
    );
    assert_eq!(
        t.kinds(),
        [
            "Command",
            "AppendMessage",
            "AppendChunk",
            "AppendEnd",
            "Noop"
        ]
    );
}

/// RFC 3502 MULTIAPPEND with a synchronising and a non-synchronising message.
#[test]
fn multiappend() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            LOGIN,
            b"a2 APPEND Sent {5}\r\n",
            b"hello (\\Flagged) \"05-May-2024 10:00:00 +0000\" {6+}\r\nworld!\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "+ Ready for literal data",
            "a2 OK [APPENDUID 7 100:101] APPEND completed"
        ]
    );
    assert_eq!(t.appended(), [b"hello".to_vec(), b"world!".to_vec()]);
    let infos: Vec<_> = t
        .events
        .iter()
        .filter_map(|e| match e {
            Event::AppendMessage(i) => Some((i.index, i.flags.clone(), i.date.is_some())),
            _ => None,
        })
        .collect();
    assert_eq!(infos, [(0, vec![], false), (1, vec![Flag::Flagged], true)]);
}

/// A 1 MB message streams through in chunks no bigger than one read; the machine's input
/// buffer stays empty after every drain.
#[test]
fn large_append_is_never_buffered() {
    let size = 1024 * 1024;
    let body: Vec<u8> = (0..size).map(|i| b"abcdefghij\r\n"[i % 12]).collect();
    let header = format!("a2 APPEND INBOX {{{size}}}\r\n");
    let mut steps = vec![Step::Input(LOGIN), Step::Input(header.as_bytes())];
    steps.extend(body.chunks(16 * 1024).map(Step::Input));
    steps.push(Step::Input(b"\r\n"));
    let (_, t) = run(&open_config(), &Policy::default(), &steps);
    assert_eq!(t.appended(), std::slice::from_ref(&body));
    assert!(t.max_chunk <= 16 * 1024, "chunk of {} bytes", t.max_chunk);
    assert_eq!(t.max_buffered, 0);
    assert!(
        t.text()
            .ends_with("a2 OK [APPENDUID 7 100] APPEND completed\r\n")
    );
    // and the same result however the input is cut
    let whole = [header.as_bytes(), &body, b"\r\n"].concat();
    let t2 = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[LOGIN, &whole]),
    );
    assert_eq!(t2.text(), t.text());
    assert_eq!(t2.appended(), [body]);
}

#[test]
fn append_refused_and_limits() {
    let mut c = open_config();
    c.limits.max_append_size = 100;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[
            b"a0 APPEND INBOX {3}\r\n",
            LOGIN,
            b"a2 APPEND missing {3}\r\n",
            b"a3 APPEND missing {3+}\r\nabc\r\n",
            b"a4 APPEND INBOX {101}\r\n",
            b"a5 APPEND INBOX {3}\r\n",
            b"abc junk\r\n",
            b"a6 APPEND INBOX {3}\r\n",
            b"abc junk {2}\r\n",
            b"a7 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a0 BAD Command not valid before authentication",
            "a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Logged in",
            "a2 NO [TRYCREATE] No such mailbox",
            "a3 NO [TRYCREATE] No such mailbox",
            "a4 NO [TOOBIG] Message too large",
            "+ Ready for literal data",
            "a5 BAD Syntax error in APPEND",
            "+ Ready for literal data",
            "a6 BAD Syntax error in APPEND",
            "a7 OK NOOP completed",
        ]
    );
    assert_eq!(
        t.kinds(),
        [
            "Command",
            "AppendMessage",
            "AppendAborted",
            "AppendMessage",
            "AppendAborted",
            "AppendMessage",
            "AppendChunk",
            "AppendAborted",
            "AppendMessage",
            "AppendChunk",
            "AppendAborted",
            "Noop"
        ]
    );
}

/// A non-synchronising APPEND message over the LITERAL- limit: BAD, BYE, close.
#[test]
fn non_sync_append_over_literal_minus_limit_closes() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[LOGIN, b"a2 APPEND INBOX {5000+}\r\nxxxx"]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "a2 BAD [TOOBIG] Non-synchronizing literal too large",
            "* BYE Non-synchronizing literal too large"
        ]
    );
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::TooLong)));
}

/// The application answers APPEND only after all data arrived; until then the next
/// pipelined command waits.
#[test]
fn append_end_is_a_decision() {
    let mut server = Server::new(open_config(), std::time::Instant::now());
    server.handle_input(b"a1 LOGIN joe secret\r\na2 APPEND INBOX {2+}\r\nhi\r\na3 NOOP\r\n");
    let mut saw_end = false;
    loop {
        match server.poll_output() {
            imap_proto::server::Output::Event(Event::Command(_)) => {
                server.complete(Status::ok("in")).unwrap()
            }
            imap_proto::server::Output::Event(Event::AppendMessage(_)) => {
                server.accept_literal().unwrap()
            }
            imap_proto::server::Output::Event(Event::AppendEnd { .. }) => saw_end = true,
            imap_proto::server::Output::NeedInput => break,
            _ => {}
        }
    }
    assert!(saw_end && server.awaiting_decision());
    assert_eq!(server.buffered_input_len(), b"a3 NOOP\r\n".len());
    assert!(server.accept_literal().is_err());
    server.complete(Status::ok("APPEND completed")).unwrap();
    let mut out = Vec::new();
    loop {
        match server.poll_output() {
            imap_proto::server::Output::Transmit(b) => out.extend_from_slice(&b),
            imap_proto::server::Output::NeedInput => break,
            _ => {}
        }
    }
    assert!(
        String::from_utf8(out)
            .unwrap()
            .ends_with("a2 OK APPEND completed\r\na3 OK NOOP completed\r\n")
    );
}

/// A NUL octet is only allowed in a literal8: the streamed data of a plain `{n}` literal
/// with one ends the APPEND with BAD, and the rest of that literal (which here looks like
/// a command) is discarded, not executed. A `~{n}` literal carries NUL as is.
#[test]
fn nul_in_plain_literal_is_bad() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            LOGIN,
            b"a2 APPEND INBOX {15}\r\n",
            b"\0a\r\nb9 LOGOUT\r\n",
            b"\r\n",
            b"a3 APPEND INBOX ~{3}\r\n",
            b"a\0b\r\n",
            b"a4 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[2..],
        [
            "+ Ready for literal data",
            "a2 BAD NUL octet in literal (use literal8 ~{n})",
            "+ Ready for literal data",
            "a3 OK [APPENDUID 7 100] APPEND completed",
            "a4 OK NOOP completed",
        ]
    );
    // The NUL is the first byte, so no chunk of a2 is passed on however the input is
    // split (data before a NUL may reach the application, then AppendAborted follows).
    assert_eq!(t.appended(), [b"".to_vec(), b"a\0b".to_vec()]);
    let kinds = t.kinds();
    assert!(kinds.iter().any(|k| k == "AppendAborted"), "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "Logout"), "{kinds:?}");
}
