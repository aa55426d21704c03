//! Session tests for the SMTP server: RFC 5321 Appendix D scenarios, sequencing,
//! extensions, STARTTLS, AUTH and pipelining. Every session is replayed split at every
//! byte and in random chunk sizes (see `server_support::session`).

mod server_support;

use server_support::{Policy, full_config, lines, reply, session};
use smtp_proto::server::{BodyKind, CloseReason, Config, Event, HelloKind, LookupPolicy};
use smtp_proto::types::Address;

fn d1_config() -> Config {
    let mut c = Config::new("foo.com");
    c.greeting = "Simple Mail Transfer Service Ready".into();
    c
}

/// RFC 5321 Appendix D.1: a typical SMTP transaction, one recipient refused.
#[test]
fn appendix_d1_typical_transaction() {
    let policy = Policy {
        reject_recipient: Some("Green"),
        ..Policy::default()
    };
    let t = session(
        &d1_config(),
        &policy,
        &[
            b"EHLO bar.com\r\n",
            b"MAIL FROM:<Smith@bar.com>\r\n",
            b"RCPT TO:<Jones@foo.com>\r\n",
            b"RCPT TO:<Green@foo.com>\r\n",
            b"RCPT TO:<Brown@foo.com>\r\n",
            b"DATA\r\n",
            b"Blah blah blah...\r\n...etc. etc. etc.\r\n.\r\n",
            b"QUIT\r\n",
        ],
    );
    assert_eq!(
        t.text(),
        "220 foo.com Simple Mail Transfer Service Ready\r\n\
         250-foo.com\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-8BITMIME\r\n250-CHUNKING\r\n\
         250-BINARYMIME\r\n250-SMTPUTF8\r\n250 ENHANCEDSTATUSCODES\r\n\
         250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n550 5.1.1 No such user here\r\n250 2.1.5 Ok\r\n\
         354 End data with <CR><LF>.<CR><LF>\r\n250 2.0.0 Ok: queued\r\n221 2.0.0 Bye\r\n"
    );
    assert_eq!(
        t.bodies(),
        vec![b"Blah blah blah...\r\n..etc. etc. etc.\r\n".to_vec()]
    );
    let end = t.events.iter().find_map(|e| match e {
        Event::MessageEnd { recipients } => Some(recipients.clone()),
        _ => None,
    });
    assert_eq!(
        end,
        Some(vec![
            Address::new("Jones", "foo.com"),
            Address::new("Brown", "foo.com")
        ])
    );
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Quit)));
}

/// RFC 5321 Appendix D.2 (in spirit): a transaction aborted with RSET, then a new one.
#[test]
fn appendix_d2_aborted_transaction() {
    let t = session(
        &d1_config(),
        &Policy::default(),
        &[
            b"EHLO bar.com\r\n",
            b"MAIL FROM:<Smith@bar.com>\r\nRCPT TO:<Jones@foo.com>\r\nRSET\r\n",
            b"RCPT TO:<Jones@foo.com>\r\n",
            b"QUIT\r\n",
        ],
    );
    let l = lines(&t);
    assert_eq!(
        &l[l.len() - 5..],
        [
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
            "250 2.0.0 Ok",
            "503 5.5.1 Error: need MAIL command",
            "221 2.0.0 Bye"
        ]
    );
    assert!(t.events.contains(&Event::Reset));
}

/// RFC 5321 Appendix D.4: verifying, then sending, with VRFY answered by the application.
#[test]
fn appendix_d4_verify_then_send() {
    let mut c = d1_config();
    c.vrfy = LookupPolicy::Ask;
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"EHLO bar.com\r\n",
            b"VRFY Jones\r\n",
            b"MAIL FROM:<Smith@bar.com>\r\n",
            b"RCPT TO:<Jones@foo.com>\r\n",
            b"DATA\r\n",
            b"Blah\r\n.\r\n",
            b"QUIT\r\n",
        ],
    );
    let l = lines(&t);
    assert!(
        l.contains(&"250 2.1.5 Jones <jones@foo.com>".to_owned()),
        "{l:?}"
    );
    assert!(t.events.contains(&Event::Vrfy("Jones".into())));
    assert_eq!(t.bodies(), vec![b"Blah\r\n".to_vec()]);
}

#[test]
fn sequencing_errors() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"MAIL FROM:<a@b>\r\n",
            b"RCPT TO:<a@b>\r\n",
            b"DATA\r\n",
            b"HELO client\r\n",
            b"RCPT TO:<a@b>\r\n",
            b"DATA\r\n",
            b"MAIL FROM:<a@b>\r\n",
            b"DATA\r\n",
            b"MAIL FROM:<c@d>\r\n",
            b"BDAT 3 LAST\r\nabc",
            b"RCPT TO:<x@y>\r\n",
            b"DATA\r\n",
            b".\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[1..],
        [
            "503 5.5.1 Error: send HELO/EHLO first",
            "503 5.5.1 Error: need MAIL command",
            "503 5.5.1 Error: need MAIL command",
            "250 mx",
            "503 5.5.1 Error: need MAIL command",
            "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok",
            "503 5.5.1 Error: need RCPT command",
            "503 5.5.1 Error: nested MAIL command",
            "502 5.5.1 Error: command not implemented",
            "250 2.1.5 Ok",
            "354 End data with <CR><LF>.<CR><LF>",
            "250 2.0.0 Ok: queued",
        ]
    );
    assert!(t.events.contains(&Event::Hello {
        kind: HelloKind::Helo,
        domain: "client".into()
    }));
}

#[test]
fn helo_session_refuses_esmtp_parameters() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"HELO c\r\n",
            b"MAIL FROM:<a@b> SIZE=10\r\n",
            b"MAIL FROM:<a@b>\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[2..],
        ["555 5.5.4 Unsupported option: SIZE", "250 2.1.0 Ok"]
    );
}

#[test]
fn noop_help_rset_vrfy_expn_unknown() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[
            b"NOOP\r\nNOOP hi\r\nHELP\r\nRSET\r\nVRFY x\r\nEXPN list\r\nFOO\r\nMAIL FROM:<a@b\r\nQUIT\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[1..],
        [
            "250 2.0.0 Ok",
            "250 2.0.0 Ok",
            "214 2.0.0 See RFC 5321",
            "250 2.0.0 Ok",
            "252 2.5.0 Cannot VRFY user, but will accept message and attempt delivery",
            "502 5.5.1 Error: command not implemented",
            "500 5.5.2 Error: command not recognized",
            "501 5.1.7 bad sender address syntax",
            "221 2.0.0 Bye",
        ]
    );
    // One batch of input, one transmit of replies (after the greeting).
    assert_eq!(t.transmits.len(), 2);
}

#[test]
fn input_after_quit_is_ignored() {
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[b"QUIT\r\nNOOP\r\n", b"NOOP\r\n"],
    );
    assert_eq!(lines(&t)[1..], ["221 2.0.0 Bye"]);
    assert_eq!(t.events, vec![Event::Closed(CloseReason::Quit)]);
}

#[test]
fn ehlo_advertises_configuration() {
    let mut c = full_config();
    c.extensions.pipelining = false;
    c.extensions.binary_mime = false;
    c.limits.max_message_size = 1000;
    let t = session(
        &c,
        &Policy::default(),
        &[b"EHLO c\r\n", b"STARTTLS\r\n", b"EHLO c\r\n"],
    );
    let l = lines(&t);
    let before = &l[1..8];
    assert_eq!(
        before,
        [
            "250-mx.example.org",
            "250-SIZE 1000",
            "250-8BITMIME",
            "250-CHUNKING",
            "250-SMTPUTF8",
            "250-DSN",
            "250-STARTTLS",
        ]
    );
    assert_eq!(l[8], "250 ENHANCEDSTATUSCODES", "AUTH needs TLS by default");
    assert_eq!(l[9], "220 2.0.0 Ready to start TLS");
    assert_eq!(
        &l[10..],
        [
            "250-mx.example.org",
            "250-SIZE 1000",
            "250-8BITMIME",
            "250-CHUNKING",
            "250-SMTPUTF8",
            "250-DSN",
            "250-AUTH PLAIN LOGIN",
            "250-ENHANCEDSTATUSCODES",
            "250 REQUIRETLS",
        ]
    );
}

#[test]
fn disabled_extension_parameters_get_555() {
    let mut c = Config::new("mx");
    c.extensions = smtp_proto::server::Extensions {
        pipelining: false,
        size: false,
        eight_bit_mime: false,
        binary_mime: false,
        chunking: false,
        smtputf8: false,
        dsn: false,
        starttls: false,
        requiretls: false,
    };
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"EHLO c\r\n",
            b"MAIL FROM:<a@b> SIZE=1\r\nMAIL FROM:<a@b> BODY=8BITMIME\r\nMAIL FROM:<a@b> SMTPUTF8\r\n\
              MAIL FROM:<a@b> RET=FULL\r\nMAIL FROM:<a@b> ENVID=x\r\nMAIL FROM:<a@b> REQUIRETLS\r\n\
              MAIL FROM:<a@b> AUTH=<>\r\nMAIL FROM:<a@b> X-Y=1\r\nMAIL FROM:<a@b>\r\n\
              RCPT TO:<c@d> NOTIFY=NEVER\r\nRCPT TO:<c@d> ORCPT=rfc822;c@d\r\nRCPT TO:<c@d> FOO\r\n\
              BDAT 3\r\nabcSTARTTLS\r\n",
        ],
    );
    let l = lines(&t);
    let want = [
        "SIZE",
        "BODY",
        "SMTPUTF8",
        "RET",
        "ENVID",
        "REQUIRETLS",
        "AUTH",
        "X-Y",
    ];
    for (line, keyword) in l[3..11].iter().zip(want) {
        assert_eq!(line, &format!("555 5.5.4 Unsupported option: {keyword}"));
    }
    assert_eq!(
        &l[11..],
        [
            "250 2.1.0 Ok",
            "555 5.5.4 Unsupported option: NOTIFY",
            "555 5.5.4 Unsupported option: ORCPT",
            "555 5.5.4 Unsupported option: FOO",
            "502 5.5.1 Error: command not implemented",
            "502 5.5.1 Error: command not implemented",
        ]
    );
}

#[test]
fn enabled_parameters_reach_the_application() {
    let t = session(
        &full_config(),
        &Policy::default(),
        &[
            b"EHLO c\r\n",
            b"MAIL FROM:<a@b> SIZE=100 BODY=8BITMIME RET=HDRS ENVID=e+2B1 SMTPUTF8\r\n",
            "RCPT TO:<j\u{f6}rg@b\u{fc}cher.de> NOTIFY=FAILURE ORCPT=rfc822;x@y\r\n".as_bytes(),
        ],
    );
    match &t.events[1] {
        Event::Mail(m) => {
            assert_eq!(m.params.size, Some(100));
            assert_eq!(m.params.envid.as_deref(), Some("e+1"));
        }
        e => panic!("{e:?}"),
    }
    match &t.events[2] {
        Event::Rcpt(r) => assert_eq!(r.recipient.local_part, "j\u{f6}rg"),
        e => panic!("{e:?}"),
    }
}

#[test]
fn non_ascii_address_needs_smtputf8_and_size_limit_checked_at_mail() {
    let mut c = Config::new("mx");
    c.limits.max_message_size = 500;
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"EHLO c\r\n",
            "MAIL FROM:<j\u{f6}rg@x.de>\r\n".as_bytes(),
            b"MAIL FROM:<a@b> SIZE=501\r\n",
            b"MAIL FROM:<a@b> SIZE=500\r\n",
            "RCPT TO:<\u{fc}@x.de>\r\n".as_bytes(),
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 4..],
        [
            "553 5.6.7 Error: non-ASCII address requires SMTPUTF8",
            "552 5.3.4 Error: message size exceeds fixed limit",
            "250 2.1.0 Ok",
            "553 5.6.7 Error: non-ASCII address requires SMTPUTF8",
        ]
    );
}

#[test]
fn rejected_sender_and_decisions_one_at_a_time() {
    let policy = Policy {
        reject_sender: Some("spammer"),
        ..Policy::default()
    };
    let t = session(
        &Config::new("mx"),
        &policy,
        &[
            b"EHLO c\r\n",
            b"MAIL FROM:<spammer@x>\r\nRCPT TO:<a@b>\r\nMAIL FROM:<ok@x>\r\nRCPT TO:<a@b>\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[t.text().lines().count() - 4..],
        [
            "550 5.7.1 Sender rejected",
            "503 5.5.1 Error: need MAIL command",
            "250 2.1.0 Ok",
            "250 2.1.5 Ok",
        ]
    );
}

/// PIPELINING: a batch gets its replies in one transmit; each decision is asked only
/// after the previous one was answered.
#[test]
fn pipelining_batches_replies_and_asks_one_at_a_time() {
    let now = std::time::Instant::now();
    let mut server = smtp_proto::server::Server::new(Config::new("mx"), now);
    let mut t = server_support::Transcript::default();
    server_support::drain(&mut server, &Policy::default(), &mut t);
    server.handle_input(b"EHLO c\r\n");
    server_support::drain(&mut server, &Policy::default(), &mut t);
    let before = t.transmits.len();
    server.handle_input(b"MAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nRCPT TO:<e@f>\r\nDATA\r\n");
    let mut seen = Vec::new();
    // Manual answering: only one decision event may be outstanding at a time.
    loop {
        match server.poll_output() {
            smtp_proto::server::Output::Event(Event::Mail(_)) => {
                seen.push("mail");
                assert_eq!(server.poll_output(), smtp_proto::server::Output::NeedInput);
                assert!(server.awaiting_decision());
                server.accept_mail().unwrap();
            }
            smtp_proto::server::Output::Event(Event::Rcpt(_)) => {
                seen.push("rcpt");
                assert_eq!(server.poll_output(), smtp_proto::server::Output::NeedInput);
                assert!(server.accept_mail().is_err(), "wrong decision is refused");
                server.accept_rcpt().unwrap();
            }
            smtp_proto::server::Output::Event(Event::DataStart { kind }) => {
                assert_eq!(kind, BodyKind::Data);
                seen.push("data");
            }
            smtp_proto::server::Output::Transmit(b) => t.transmits.push(b),
            smtp_proto::server::Output::Event(e) => panic!("unexpected {e:?}"),
            smtp_proto::server::Output::NeedInput => break,
        }
    }
    assert_eq!(seen, ["mail", "rcpt", "rcpt", "data"]);
    assert_eq!(
        t.transmits.len(),
        before + 1,
        "one transmit for the whole batch"
    );
    assert_eq!(
        &t.transmits[before][..],
        b"250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n"
    );
}

#[test]
fn no_valid_recipients() {
    let policy = Policy {
        reject_recipient: Some("x"),
        ..Policy::default()
    };
    let t = session(
        &Config::new("mx"),
        &policy,
        &[
            b"EHLO c\r\n",
            b"MAIL FROM:<a@b>\r\nRCPT TO:<x@y>\r\nDATA\r\n",
            b"NOOP\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 3..],
        [
            "550 5.1.1 No such user here",
            "554 5.5.1 Error: no valid recipients",
            "250 2.0.0 Ok"
        ]
    );
}

/// CVE-2011-0411: commands pipelined after STARTTLS are discarded, not executed.
#[test]
fn starttls_discards_pipelined_plaintext() {
    let policy = Policy {
        complete_tls: false,
        ..Policy::default()
    };
    let t = session(
        &full_config(),
        &policy,
        &[
            b"EHLO c\r\n",
            b"STARTTLS\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<a@b>\r\n",
            b"DATA\r\n",
        ],
    );
    let l = lines(&t);
    assert_eq!(
        l.last().map(String::as_str),
        Some("220 2.0.0 Ready to start TLS")
    );
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e, Event::Mail(_) | Event::Rcpt(_)))
    );
    assert_eq!(t.events.last(), Some(&Event::StartTls));
}

#[test]
fn starttls_resets_session_and_requires_ehlo_again() {
    let mut server = smtp_proto::server::Server::new(full_config(), std::time::Instant::now());
    let policy = Policy::default();
    let mut t = server_support::Transcript::default();
    for input in [
        &b"EHLO c\r\n"[..],
        b"STARTTLS\r\n",
        b"MAIL FROM:<a@b>\r\n",
        b"EHLO c\r\n",
        b"STARTTLS\r\n",
    ] {
        server.handle_input(input);
        server_support::drain(&mut server, &policy, &mut t);
    }
    assert!(server.is_tls());
    assert_eq!(
        lines(&t)
            .iter()
            .filter(|l| l.starts_with("503"))
            .collect::<Vec<_>>(),
        [
            "503 5.5.1 Error: send HELO/EHLO first",
            "503 5.5.1 Error: TLS already active"
        ]
    );
}

#[test]
fn starttls_not_offered_or_in_transaction() {
    let t = session(&Config::new("mx"), &Policy::default(), &[b"STARTTLS\r\n"]);
    assert_eq!(lines(&t)[1], "502 5.5.1 Error: command not implemented");
    let t = session(
        &full_config(),
        &Policy::default(),
        &[b"EHLO c\r\n", b"MAIL FROM:<a@b>\r\n", b"STARTTLS\r\n"],
    );
    assert_eq!(
        lines(&t).last().unwrap(),
        "503 5.5.1 Error: MAIL transaction in progress"
    );
}

fn tls_auth_config() -> Config {
    let mut c = full_config();
    c.implicit_tls = true;
    c
}

#[test]
fn auth_with_initial_response_and_challenge() {
    // "secret" in base64 is c2VjcmV0.
    let t = session(
        &tls_auth_config(),
        &Policy::default(),
        &[b"EHLO c\r\n", b"AUTH PLAIN c2VjcmV0\r\n", b"AUTH PLAIN\r\n"],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 2..],
        [
            "235 2.7.0 Authentication successful",
            "503 5.5.1 Error: already authenticated"
        ]
    );
    let policy = Policy {
        auth_challenge: b"challenge",
        ..Policy::default()
    };
    let t = session(
        &tls_auth_config(),
        &policy,
        &[
            b"EHLO c\r\n",
            b"AUTH LOGIN\r\n",
            b"d3Jvbmc=\r\n",
            b"AUTH login\r\n",
            b"c2VjcmV0\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 4..],
        [
            "334 Y2hhbGxlbmdl",
            "535 5.7.8 Authentication failed",
            "334 Y2hhbGxlbmdl",
            "235 2.7.0 Authentication successful",
        ]
    );
    assert!(
        matches!(&t.events[1], Event::Auth { mechanism, initial_response: None } if mechanism == "LOGIN")
    );
}

#[test]
fn auth_cancel_bad_base64_and_policy_errors() {
    let t = session(
        &tls_auth_config(),
        &Policy::default(),
        &[
            b"EHLO c\r\n",
            b"AUTH PLAIN\r\n",
            b"*\r\n",
            b"AUTH PLAIN\r\n",
            b"!!\r\n",
            b"AUTH CRAM-MD5\r\n",
            b"AUTH PLAIN =\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 6..],
        [
            "334 ",
            "501 5.0.0 Authentication cancelled",
            "334 ",
            "501 5.5.2 Error: invalid base64 data",
            "504 5.5.4 Unrecognized authentication type",
            "535 5.7.8 Authentication failed",
        ]
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| **e == Event::AuthCancelled)
            .count(),
        2
    );
    // Not over TLS: AUTH is neither offered nor accepted.
    let t = session(
        &full_config(),
        &Policy::default(),
        &[b"EHLO c\r\n", b"AUTH PLAIN\r\n"],
    );
    assert_eq!(
        lines(&t).last().unwrap(),
        "538 5.7.11 Encryption required for requested authentication mechanism"
    );
    // A server that requires TLS answers AUTH as it answers MAIL (RFC 3207 section 4).
    let mut tls_only = full_config();
    tls_only.require_tls = true;
    let t = session(
        &tls_only,
        &Policy::default(),
        &[b"EHLO c\r\n", b"AUTH PLAIN\r\n"],
    );
    assert_eq!(
        lines(&t).last().unwrap(),
        "530 5.7.0 Must issue a STARTTLS command first"
    );
    // AUTH not configured.
    let t = session(
        &Config::new("mx"),
        &Policy::default(),
        &[b"EHLO c\r\n", b"AUTH PLAIN\r\n"],
    );
    assert_eq!(
        lines(&t).last().unwrap(),
        "503 5.5.1 Error: authentication not enabled"
    );
}

#[test]
fn require_auth_for_submission() {
    let mut c = tls_auth_config();
    c.require_auth = true;
    let t = session(
        &c,
        &Policy::default(),
        &[
            b"EHLO c\r\n",
            b"MAIL FROM:<a@b>\r\n",
            b"AUTH PLAIN c2VjcmV0\r\n",
            b"MAIL FROM:<a@b> AUTH=<>\r\n",
        ],
    );
    assert_eq!(
        lines(&t)[lines(&t).len() - 3..],
        [
            "530 5.7.0 Authentication required",
            "235 2.7.0 Authentication successful",
            "250 2.1.0 Ok"
        ]
    );
}

#[test]
fn auth_secret_is_redacted() {
    let t = session(
        &tls_auth_config(),
        &Policy::default(),
        &[b"EHLO c\r\n", b"AUTH PLAIN c2VjcmV0\r\n"],
    );
    let shown = format!("{:?}", t.events);
    assert!(
        shown.contains("***") && !shown.contains("secret"),
        "{shown}"
    );
}

#[test]
fn application_replies_get_enhanced_codes() {
    let policy = Policy {
        message_reply: smtp_proto::types::Reply::new(250, None, "queued"),
        ..Policy::default()
    };
    let t = session(
        &Config::new("mx"),
        &policy,
        &[
            b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n",
            b".\r\n",
        ],
    );
    assert_eq!(lines(&t).last().unwrap(), "250 2.0.0 queued");
    let _ = reply(250, (2, 0, 0), "");
}
