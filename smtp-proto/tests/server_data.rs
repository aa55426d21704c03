//! DATA and BDAT bodies: streaming, dot-unstuffing, SMTP smuggling defences, limits.
//! Every session is replayed split at every byte and in random chunk sizes.

mod server_support;

use server_support::{Policy, Transcript, lines, run_chunks, session};
use smtp_proto::server::{BareLineEndings, BodyError, BodyKind, CloseReason, Config, Event};

const ENVELOPE: &[u8] = b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n";

fn data_session(config: &Config, body: &[u8], after: &[u8]) -> Transcript {
    session(config, &Policy::default(), &[ENVELOPE, body, after])
}

fn count(t: &Transcript, f: impl Fn(&Event) -> bool) -> usize {
    t.events.iter().filter(|e| f(e)).count()
}

#[test]
fn body_is_unstuffed_and_streamed() {
    let t = data_session(
        &Config::new("mx"),
        b"Subject: t\r\n\r\n..leading dot\r\n.x\r\n...\r\n\r\nend\r\n.\r\n",
        b"NOOP\r\n",
    );
    assert_eq!(
        t.bodies(),
        vec![b"Subject: t\r\n\r\n.leading dot\r\nx\r\n..\r\n\r\nend\r\n".to_vec()]
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 2..],
        ["250 2.0.0 Ok: queued", "250 2.0.0 Ok"]
    );
}

#[test]
fn empty_body_and_dot_split_across_inputs() {
    let t = data_session(&Config::new("mx"), b".\r\n", b"");
    assert_eq!(t.bodies(), vec![Vec::<u8>::new()]);
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[ENVELOPE, b"hello\r", b"\n.", b"\r", b"\nQUIT\r\n"],
    );
    assert_eq!(t.bodies(), vec![b"hello\r\n".to_vec()]);
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Quit)));
}

/// Long runs of plain lines are handed on as chunks that share the server's input buffer
/// (not copied), the rest is copied; the body is the same whatever the reads, with dots
/// unstuffed at read boundaries too.
#[test]
fn long_bodies_arrive_whole_in_any_reads() {
    let (mut body, mut expected) = (Vec::new(), Vec::new());
    for part in 0..3 {
        for i in 0..700 {
            let line = format!("part {part} line {i:05} of a body long enough to share\r\n");
            body.extend_from_slice(line.as_bytes());
            expected.extend_from_slice(line.as_bytes());
        }
        body.extend_from_slice(b"..stuffed\r\n.x\r\n");
        expected.extend_from_slice(b".stuffed\r\nx\r\n");
    }
    body.extend_from_slice(b".\r\n");
    for read in [997, 8192, 8193, 20_000, 65_536, body.len()] {
        let mut chunks: Vec<&[u8]> = vec![ENVELOPE];
        chunks.extend(body.chunks(read));
        chunks.push(b"QUIT\r\n");
        let t = run_chunks(&Config::new("mx"), &Policy::default(), &chunks);
        assert_eq!(t.bodies(), vec![expected.clone()], "reads of {read}");
        assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Quit)));
    }
}

/// The smuggling payload: a second transaction hidden behind a non-standard end marker.
fn smuggle(marker: &str) -> Vec<u8> {
    format!(
        "Subject: hi\r\n\r\nfirst{marker}MAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nevil\r\n.\r\n"
    )
    .into_bytes()
}

#[test]
fn smuggling_variants_are_rejected_without_injection() {
    let markers = [
        "\n.\n",       // <LF>.<LF>
        "\r.\r",       // <CR>.<CR>
        "\n.\r\n",     // <LF>.<CRLF>
        "\r\n.\n",     // <CR><LF>.<LF>
        "\r.\r\n",     // <CR>.<CRLF>
        "\r\n.\r",     // <CRLF>.<CR>
        "\r\n.\r\r\n", // <CRLF>.<CR><CRLF>
        "\nbare lf\r\n",
        "bare\rcr\r\n",
    ];
    for marker in markers {
        let t = session(
            &Config::new("mx"),
            &Policy::default(),
            &[ENVELOPE, &smuggle(marker), b"QUIT\r\n"],
        );
        assert_eq!(
            count(&t, |e| matches!(e, Event::Mail(_))),
            1,
            "marker {marker:?}"
        );
        assert_eq!(
            count(&t, |e| matches!(e, Event::DataStart { .. })),
            1,
            "marker {marker:?}"
        );
        assert_eq!(
            count(&t, |e| matches!(e, Event::MessageEnd { .. })),
            0,
            "marker {marker:?}"
        );
        assert!(
            t.events
                .contains(&Event::MessageRejected(BodyError::BareLineEnding)),
            "{marker:?}"
        );
        assert_eq!(
            lines(&t)[lines(&t).len() - 3..],
            [
                "354 End data with <CR><LF>.<CR><LF>",
                "550 5.6.0 Error: bare CR or LF in message, lines must end with CRLF",
                "221 2.0.0 Bye",
            ],
            "marker {marker:?}"
        );
    }
}

#[test]
fn normalize_mode_converts_bare_lf_and_never_ends_early() {
    let mut c = Config::new("mx");
    c.bare_line_endings = BareLineEndings::NormalizeLf;
    let t = session(
        &c,
        &Policy::default(),
        &[ENVELOPE, &smuggle("\n.\n"), b"QUIT\r\n"],
    );
    assert_eq!(count(&t, |e| matches!(e, Event::Mail(_))), 1);
    assert_eq!(
        t.bodies(),
        vec![b"Subject: hi\r\n\r\nfirst\r\n.\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<victim@y>\r\nDATA\r\nevil\r\n".to_vec()]
    );
    assert_eq!(lines(&t)[lines(&t).len() - 2], "250 2.0.0 Ok: queued");
    // A bare CR is still rejected in this mode.
    let t = session(
        &c,
        &Policy::default(),
        &[ENVELOPE, &smuggle("\r.\r"), b"QUIT\r\n"],
    );
    assert!(
        t.events
            .contains(&Event::MessageRejected(BodyError::BareLineEnding))
    );
    assert_eq!(count(&t, |e| matches!(e, Event::Mail(_))), 1);
}

#[test]
fn data_line_length_cap() {
    let mut c = Config::new("mx");
    c.limits.max_data_line_length = 1000;
    let ok_line = format!("{}\r\n.\r\n", "x".repeat(998));
    let t = data_session(&c, ok_line.as_bytes(), b"NOOP\r\n");
    assert_eq!(t.bodies()[0].len(), 1000);
    assert!(lines(&t).contains(&"250 2.0.0 Ok: queued".to_owned()));
    let long = format!("ok\r\n.{}\r\nmore\r\n.\r\n", "x".repeat(998));
    let t = data_session(&c, long.as_bytes(), b"NOOP\r\n");
    assert!(
        t.events
            .contains(&Event::MessageRejected(BodyError::LineTooLong))
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 2..],
        ["550 5.6.0 Error: message line too long", "250 2.0.0 Ok"]
    );
}

#[test]
fn message_size_limit_discards_without_buffering() {
    let mut c = Config::new("mx");
    c.limits.max_message_size = 100;
    let exact = format!("{}\r\n.\r\n", "y".repeat(98));
    let t = data_session(&c, exact.as_bytes(), b"");
    assert_eq!(t.bodies()[0].len(), 100);
    assert_eq!(lines(&t).last().unwrap(), "250 2.0.0 Ok: queued");

    let big = format!("{}\r\n.\r\n", "z\r\n".repeat(100_000));
    let t = data_session(&c, big.as_bytes(), b"RSET\r\n");
    assert!(t.bodies()[0].len() <= 100);
    assert!(
        t.events
            .contains(&Event::MessageRejected(BodyError::TooBig))
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 2..],
        [
            "552 5.3.4 Error: message size exceeds fixed limit",
            "250 2.0.0 Ok"
        ]
    );
}

#[test]
fn large_body_streams_with_bounded_buffer() {
    let now = std::time::Instant::now();
    let mut server = smtp_proto::server::Server::new(Config::new("mx"), now);
    let mut t = Transcript::default();
    let policy = Policy::default();
    server.handle_input(ENVELOPE);
    server_support::drain(&mut server, &policy, &mut t);
    let block = b"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcde\r\n".repeat(128);
    for _ in 0..200 {
        server.handle_input(&block);
        server_support::drain(&mut server, &policy, &mut t);
        assert!(server.buffered_input_len() < 8, "body must not be buffered");
    }
    server.handle_input(b".\r\n");
    server_support::drain(&mut server, &policy, &mut t);
    assert_eq!(t.bodies()[0].len(), block.len() * 200);
}

#[test]
fn bdat_chunks_stream_exactly() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"EHLO c\r\nMAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\n",
            b"BDAT 12\r\nhello\r\n.\r\n\n\rBDAT 17 LAST\r\nMAIL FROM:<x@y>\r\n",
            b"NOOP\r\n",
        ],
    );
    assert_eq!(
        t.bodies(),
        vec![b"hello\r\n.\r\n\n\rMAIL FROM:<x@y>\r\n".to_vec()]
    );
    assert_eq!(count(&t, |e| matches!(e, Event::Mail(_))), 1);
    assert_eq!(
        count(&t, |e| *e
            == Event::DataStart {
                kind: BodyKind::Bdat
            }),
        1
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 3..],
        [
            "250 2.0.0 12 octets received",
            "250 2.0.0 Ok: queued",
            "250 2.0.0 Ok"
        ]
    );
}

/// A bare CR or LF in a BDAT body that is not BINARYMIME is refused like one in DATA:
/// relayed with DATA, it could end the message early (SMTP smuggling).
#[test]
fn bdat_bare_line_endings_are_refused_unless_binarymime() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n",
            b"BDAT 8\r\nhi\r\n.\n\r\nBDAT 3 LAST\r\nx\r\n",
            b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3\r\nok\rBDAT 4 LAST\r\n\nok\r",
            b"BDAT 2 LAST\r\n\r\n",
            b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 4 LAST\r\nok\r\n",
        ],
    );
    let refused = "550 5.6.0 Error: bare CR or LF in message, lines must end with CRLF";
    let lines = lines(&t);
    assert_eq!(
        lines[lines.len() - 12..],
        [
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            refused,
            "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "250 2.0.0 3 octets received",
            refused,
            "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "250 2.0.0 Ok: queued",
        ]
    );
    assert_eq!(
        count(&t, |e| *e
            == Event::MessageRejected(BodyError::BareLineEnding)),
        2
    );
    assert_eq!(t.bodies().last().map(Vec::as_slice), Some(&b"ok\r\n"[..]));
}

#[test]
fn bdat_zero_last_and_mixing_rules() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 3\r\nabcDATA\r\nBDAT 0 LAST\r\n",
            b"MAIL FROM:<a@b> BODY=BINARYMIME\r\nRCPT TO:<c@d>\r\nDATA\r\nRSET\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 9..],
        [
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "250 2.0.0 3 octets received",
            "503 5.5.1 Error: DATA after BDAT",
            "250 2.0.0 Ok: queued",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "503 5.5.1 Error: BODY=BINARYMIME requires BDAT",
            "250 2.0.0 Ok",
        ]
    );
    assert_eq!(t.bodies(), vec![b"abc".to_vec()]);
}

#[test]
fn bdat_after_failure_is_read_and_discarded() {
    let mut c = Config::new("mx");
    c.limits.max_message_size = 10;
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"EHLO c\r\nBDAT 4\r\nQUITMAIL FROM:<a@b>\r\nBDAT 4\r\nRSETRCPT TO:<c@d>\r\n",
            b"BDAT 8\r\n12345678BDAT 8\r\nNOOP\r\n\r\nBDAT 3 LAST\r\nabcNOOP\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 8..],
        [
            "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok",
            "503 5.5.1 Error: need RCPT command",
            "250 2.1.5 Ok",
            "250 2.0.0 8 octets received",
            "552 5.3.4 Error: message size exceeds fixed limit",
            "503 5.5.1 Error: need MAIL command",
            "250 2.0.0 Ok",
        ]
    );
    assert!(
        t.events
            .contains(&Event::MessageRejected(BodyError::TooBig))
    );
    assert_eq!(t.bodies(), vec![b"12345678".to_vec()]);
    assert!(
        !t.events.iter().any(|e| matches!(e, Event::Closed(_))),
        "QUIT inside a chunk is data"
    );
}

#[test]
fn bdat_syntax_error_closes_because_framing_is_lost() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nBDAT 12x\r\nRSET\r\n"],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 2..],
        [
            "501 5.5.4 Syntax: BDAT size [LAST]",
            "421 4.7.0 Error: BDAT framing lost, closing"
        ]
    );
    assert_eq!(
        t.events.last(),
        Some(&Event::Closed(CloseReason::LostFraming))
    );
}
