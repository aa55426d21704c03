//! LMTP mode (RFC 2033): LHLO, one reply per accepted recipient in RCPT order.

mod server_support;

use server_support::{Policy, lines, session};
use smtp_proto::server::{BodyError, Config, Event};
use smtp_proto::types::Address;

/// RFC 2033 section 4.2's example, with one recipient refused and one mailbox full.
#[test]
fn per_recipient_replies_in_order() {
    let policy = Policy {
        reject_recipient: Some("Green"),
        lmtp_full_mailbox: Some("Brown"),
        ..Policy::default()
    };
    let t = session(
        &Config::lmtp("foo.edu"),
        &policy,
        &[
            b"LHLO foo.edu\r\n",
            b"MAIL FROM:<chris@bar.com>\r\nRCPT TO:<pat@foo.edu>\r\nRCPT TO:<Green@foo.edu>\r\n\
              RCPT TO:<Brown@foo.edu>\r\nRCPT TO:<jones@foo.edu>\r\nDATA\r\n",
            b"Blah blah blah...\r\n.\r\n",
            b"QUIT\r\n",
        ],
    );
    let l = lines(&t);
    assert_eq!(l[0], "220 foo.edu LMTP Postroom");
    assert_eq!(
        l[l.len() - 10..],
        [
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "550 5.1.1 No such user here",
            "250 2.1.5 Ok",
            "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued",
            "452 4.2.2 Mailbox full",
            "250 2.0.0 Ok: queued",
            "221 2.0.0 Bye",
        ]
    );
    let recipients = t.events.iter().find_map(|e| match e {
        Event::MessageEnd { recipients } => Some(recipients.clone()),
        _ => None,
    });
    assert_eq!(
        recipients,
        Some(vec![
            Address::new("pat", "foo.edu"),
            Address::new("Brown", "foo.edu"),
            Address::new("jones", "foo.edu"),
        ])
    );
}

#[test]
fn helo_and_ehlo_refused() {
    let t = session(
        &Config::lmtp("l"),
        &Policy::default(),
        &[b"HELO x\r\nEHLO x\r\nMAIL FROM:<a@b>\r\nLHLO x\r\n"],
    );
    let l = lines(&t);
    assert_eq!(
        l[1..4],
        [
            "500 5.5.2 Error: command not recognized",
            "500 5.5.2 Error: command not recognized",
            "503 5.5.1 Error: send LHLO first",
        ]
    );
    assert_eq!(l[4], "250-l");
    // And LHLO is not SMTP.
    let t = session(&Config::new("s"), &Policy::default(), &[b"LHLO x\r\n"]);
    assert_eq!(lines(&t)[1], "500 5.5.2 Error: command not recognized");
}

#[test]
fn bdat_last_and_rejected_body_answer_every_recipient() {
    let mut c = Config::lmtp("l");
    c.limits.max_message_size = 5;
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nBDAT 3 LAST\r\nabc",
            b"MAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nDATA\r\n",
            b"123456\r\n.\r\n",
            b"MAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nBDAT 6 LAST\r\n123456NOOP\r\n",
        ],
    );
    let l = lines(&t);
    let count = |s: &str| l.iter().filter(|x| x.as_str() == s).count();
    assert_eq!(count("250 2.0.0 Ok: queued"), 2);
    assert_eq!(
        count("552 5.3.4 Error: message size exceeds fixed limit"),
        4
    );
    assert!(
        t.events
            .contains(&Event::MessageRejected(BodyError::TooBig))
    );
    assert_eq!(l.last().unwrap(), "250 2.0.0 Ok");
}

#[test]
fn data_without_valid_recipients_is_503() {
    let policy = Policy {
        reject_recipient: Some("1"),
        ..Policy::default()
    };
    let t = session(
        &Config::lmtp("l"),
        &policy,
        &[b"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nDATA\r\n"],
    );
    assert_eq!(
        lines(&t).last().unwrap(),
        "503 5.5.1 Error: no valid recipients"
    );
}

#[test]
fn accept_message_answers_all_remaining() {
    let now = std::time::Instant::now();
    let mut server = smtp_proto::server::Server::new(Config::lmtp("l"), now);
    let mut t = server_support::Transcript::default();
    server.handle_input(b"LHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<1@x>\r\nRCPT TO:<2@x>\r\nRCPT TO:<3@x>\r\nDATA\r\nhi\r\n.\r\n");
    loop {
        match server.poll_output() {
            smtp_proto::server::Output::Event(Event::Mail(_)) => server.accept_mail().unwrap(),
            smtp_proto::server::Output::Event(Event::Rcpt(_)) => server.accept_rcpt().unwrap(),
            smtp_proto::server::Output::Event(Event::MessageEnd { .. }) => {
                server
                    .recipient_reply(server_support::reply(450, (4, 2, 0), "later"))
                    .unwrap();
                server
                    .accept_message(server_support::reply(250, (2, 0, 0), "done"))
                    .unwrap();
                assert!(
                    server
                        .recipient_reply(server_support::reply(250, (2, 0, 0), "x"))
                        .is_err()
                );
            }
            smtp_proto::server::Output::Transmit(b) => t.sent.extend_from_slice(&b),
            smtp_proto::server::Output::NeedInput => break,
            _ => {}
        }
    }
    let l = lines(&t);
    assert_eq!(
        l[l.len() - 3..],
        ["450 4.2.0 later", "250 2.0.0 done", "250 2.0.0 done"]
    );
}
