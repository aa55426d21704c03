//! Session tests for the IMAP server: greeting, capabilities, login and AUTHENTICATE,
//! STARTTLS, state changes, per-state validity, garbage, literals, pipelining, LOGOUT and
//! RFC 9051 example sessions. Every session is replayed split at every byte and in random
//! chunk sizes (see `server_support::session`).

mod server_support;

use imap_proto::server::{
    CloseReason, Config, Event, GreetingKind, LiteralPolicy, SaslData, State,
};
use imap_proto::types::Capability;
use server_support::{Policy, Step, inputs, open_config, run, session};

#[test]
fn greeting_and_capability_before_tls() {
    let mut c = Config::new();
    c.starttls = true;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[b"a1 CAPABILITY\r\n", b"a2 LOGOUT\r\n"]),
    );
    assert_eq!(
        t.lines(),
        [
            "* OK [CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED LITERAL- IDLE ENABLE] Postroom IMAP ready",
            "* CAPABILITY IMAP4rev1 IMAP4rev2 STARTTLS LOGINDISABLED LITERAL- IDLE ENABLE",
            "a1 OK CAPABILITY completed",
            "* BYE Logging out",
            "a2 OK LOGOUT completed",
        ]
    );
    assert_eq!(t.events, [Event::Closed(CloseReason::Logout)]);
}

#[test]
fn capabilities_follow_config_and_tls() {
    let mut c = Config::new();
    c.implicit_tls = true;
    c.auth_mechanisms = vec!["plain".into(), "SCRAM-SHA-256".into()];
    c.non_sync_literals = imap_proto::server::NonSyncLiterals::Plus;
    c.imap4rev1 = false;
    c.advertise_append_limit = true;
    c.extensions = vec![Capability::UidPlus, Capability::Idle];
    let t = session(&c, &Policy::default(), &[]);
    assert_eq!(
        t.lines(),
        [
            "* OK [CAPABILITY IMAP4rev2 AUTH=PLAIN AUTH=SCRAM-SHA-256 SASL-IR LITERAL+ IDLE ENABLE APPENDLIMIT=52428800 UIDPLUS] Postroom IMAP ready"
        ]
    );
}

#[test]
fn preauth_and_bye_greetings() {
    let mut c = Config::new();
    c.greeting = GreetingKind::PreAuth;
    let (server, t) = run(&c, &Policy::default(), &inputs(&[b"a1 SELECT INBOX\r\n"]));
    assert!(t.lines()[0].starts_with("* PREAUTH [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL-"));
    assert!(
        t.lines()
            .contains(&"a1 OK [READ-WRITE] Selected".to_owned())
    );
    assert_eq!(server.state(), State::Selected { read_only: false });

    c.greeting = GreetingKind::Bye;
    c.greeting_text = "Too many connections".into();
    let (server, t) = run(&c, &Policy::default(), &inputs(&[b"a1 NOOP\r\n"]));
    assert_eq!(t.lines(), ["* BYE Too many connections"]);
    assert_eq!(t.events, [Event::Closed(CloseReason::Refused)]);
    assert!(server.is_closed());
}

/// Before TLS: LOGINDISABLED, LOGIN and AUTHENTICATE refused with PRIVACYREQUIRED;
/// STARTTLS discards pipelined plaintext; after TLS the mechanisms appear and LOGIN works.
#[test]
fn login_refused_before_tls_then_starttls() {
    let mut c = Config::new();
    c.starttls = true;
    let policy = Policy {
        complete_tls: false,
        ..Policy::default()
    };
    let t = session(
        &c,
        &policy,
        &[
            Step::Input(b"a1 LOGIN joe secret\r\n"),
            Step::Input(b"a2 AUTHENTICATE PLAIN AGpvZQBzZWNyZXQ=\r\n"),
            Step::Input(b"a3 STARTTLS\r\na4 LOGIN joe secret\r\n"),
            Step::Input(b"a5 LOGIN joe secret\r\n"),
            Step::Tls,
            Step::Input(b"a6 CAPABILITY\r\na7 LOGIN joe secret\r\na8 STARTTLS\r\n"),
        ],
    );
    let lines = t.lines();
    assert_eq!(
        &lines[1..],
        [
            "a1 NO [PRIVACYREQUIRED] Login not allowed without TLS",
            "a2 NO [PRIVACYREQUIRED] Authentication not allowed without TLS",
            "a3 OK Begin TLS negotiation now",
            "* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR LITERAL- IDLE ENABLE",
            "a6 OK CAPABILITY completed",
            "a7 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- IDLE ENABLE] Logged in",
            "a8 BAD Command not valid in the authenticated state",
        ]
    );
    assert_eq!(t.kinds(), ["StartTls", "Command"]);
}

#[test]
fn login_plaintext_allowed_and_failures_counted() {
    let mut c = open_config();
    c.limits.max_auth_failures = 2;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[
            b"a1 LOGIN joe wrong\r\n",
            b"a2 LOGIN \"joe\" {6}\r\n",
            b"nope!!\r\n",
            b"a3 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 NO [AUTHENTICATIONFAILED] Invalid credentials",
            "+ Ready for literal data",
            "a2 NO [AUTHENTICATIONFAILED] Invalid credentials",
            "* BYE Too many authentication failures",
        ]
    );
    assert_eq!(
        t.events.last(),
        Some(&Event::Closed(CloseReason::TooManyAuthFailures))
    );
}

#[test]
fn authenticate_plain_with_sasl_ir() {
    let (server, t) = run(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 authenticate plain AGpvZQBzZWNyZXQ=\r\n"]),
    );
    assert_eq!(
        t.lines()[1],
        "a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Authenticated"
    );
    assert_eq!(server.state(), State::Authenticated);
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 authenticate plain AGpvZQBzZWNyZXQ=\r\n"]),
    );
    let Event::Authenticate {
        mechanism,
        initial_response,
        tag,
    } = &t.events[0]
    else {
        panic!("{:?}", t.events)
    };
    assert_eq!((mechanism.as_str(), tag.as_str()), ("PLAIN", "a1"));
    assert_eq!(initial_response, &Some(SaslData(b"\0joe\0secret".to_vec())));
    // SASL-IR "=" is an empty initial response
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a2 AUTHENTICATE PLAIN =\r\n"]),
    );
    assert!(
        matches!(&t.events[0], Event::Authenticate { initial_response: Some(r), .. } if r.0.is_empty())
    );
    assert_eq!(
        t.lines()[1],
        "a2 NO [AUTHENTICATIONFAILED] Authentication failed"
    );
}

#[test]
fn authenticate_with_continuation_and_cancel() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 AUTHENTICATE PLAIN\r\n",
            b"*\r\n",
            b"a2 AUTHENTICATE PLAIN\r\n",
            b"!!notbase64\r\n",
            b"a3 AUTHENTICATE X-UNKNOWN\r\n",
            b"a4 AUTHENTICATE PLAIN\r\n",
            b"AGpvZQBzZWNyZXQ=\r\n",
            b"a5 LOGOUT\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+ ",
            "a1 BAD Authentication cancelled",
            "+ ",
            "a2 BAD Invalid base64 in authentication exchange",
            "a3 NO [CANNOT] Unsupported authentication mechanism",
            "+ ",
            "a4 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Authenticated",
            "* BYE Logging out",
            "a5 OK LOGOUT completed",
        ]
    );
    assert_eq!(
        t.kinds(),
        [
            "Authenticate",
            "AuthCancelled",
            "Authenticate",
            "AuthCancelled",
            "Authenticate",
            "AuthResponse",
            "Closed"
        ]
    );
}

/// STARTTLS injection (CVE-2011-0411 style): everything after the STARTTLS line in the
/// same plaintext read, and anything before the handshake completes, is discarded.
#[test]
fn starttls_discards_injected_commands() {
    let mut c = open_config();
    c.starttls = true;
    let policy = Policy {
        complete_tls: false,
        ..Policy::default()
    };
    let t = session(
        &c,
        &policy,
        &[
            Step::Input(b"a1 STARTTLS\r\na2 LOGIN joe secret\r\na3 SELECT INBOX\r\n"),
            Step::Input(b"a4 LOGIN joe secret\r\n"),
            Step::Tls,
            Step::Input(b"b1 CAPABILITY\r\n"),
        ],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 OK Begin TLS negotiation now",
            "* CAPABILITY IMAP4rev1 IMAP4rev2 AUTH=PLAIN SASL-IR LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND",
            "b1 OK CAPABILITY completed",
        ]
    );
    assert_eq!(t.events, [Event::StartTls]);
}

#[test]
fn select_examine_close_unselect_change_state() {
    let login = b"a1 LOGIN joe secret\r\n".as_slice();
    let steps = inputs(&[
        login,
        b"a2 SELECT INBOX\r\n",
        b"a3 EXAMINE Archive\r\n",
        b"a4 SELECT missing\r\n",
        b"a5 FETCH 1 FLAGS\r\n",
        b"a6 EXAMINE INBOX\r\n",
        b"a7 UNSELECT\r\n",
        b"a8 CLOSE\r\n",
        b"a9 SELECT INBOX\r\n",
        b"b1 CLOSE\r\n",
    ]);
    let t = session(&open_config(), &Policy::default(), &steps);
    let tagged: Vec<String> = t
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with('*'))
        .collect();
    assert_eq!(
        &tagged[1..],
        [
            "a2 OK [READ-WRITE] Selected",
            "a3 OK [READ-ONLY] Selected",
            "a4 NO [NONEXISTENT] No such mailbox",
            "a5 BAD No mailbox selected",
            "a6 OK [READ-ONLY] Selected",
            "a7 OK UNSELECT completed",
            "a8 BAD No mailbox selected",
            "a9 OK [READ-WRITE] Selected",
            "b1 OK CLOSE completed",
        ]
    );
    let (server, _) = run(&open_config(), &Policy::default(), &steps[..6]);
    assert_eq!(server.state(), State::Selected { read_only: true });
}

/// With IMAP4rev2 enabled, selecting while a mailbox is selected first reports
/// `* OK [CLOSED]`; ENABLE is bookkept and reported.
#[test]
fn enable_and_closed_code() {
    let steps = inputs(&[
        b"a1 LOGIN joe secret\r\n",
        b"a2 ENABLE IMAP4rev2 CONDSTORE X-UNKNOWN\r\n",
        b"a3 ENABLE CONDSTORE\r\n",
        b"a4 SELECT INBOX\r\n",
        b"a5 SELECT Sent\r\n",
        b"a6 ENABLE QRESYNC\r\n",
    ]);
    let (server, t) = run(&open_config(), &Policy::default(), &steps);
    let lines = t.lines();
    assert_eq!(
        &lines[2..6],
        [
            "* ENABLED IMAP4rev2 CONDSTORE",
            "a2 OK ENABLE completed",
            "* ENABLED",
            "a3 OK ENABLE completed"
        ]
    );
    let closed = lines
        .iter()
        .position(|l| l == "* OK [CLOSED] Previous mailbox is now closed")
        .unwrap();
    assert_eq!(lines[closed - 1], "a4 OK [READ-WRITE] Selected");
    assert_eq!(lines[closed + 1], "* 3 EXISTS");
    assert_eq!(
        lines.last().unwrap(),
        "a6 BAD Command not valid in the selected state"
    );
    assert!(server.is_rev2() && server.utf8_enabled());
    assert_eq!(
        server.enabled(),
        [Capability::Imap4Rev2, Capability::CondStore]
    );
    assert_eq!(
        t.events
            .iter()
            .filter(|e| matches!(e, Event::Enabled(_)))
            .count(),
        1
    );
    session(&open_config(), &Policy::default(), &steps);
}

#[test]
fn commands_invalid_per_state() {
    let mut c = open_config();
    c.idle = false;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[
            b"a1 SELECT INBOX\r\na2 FETCH 1 FLAGS\r\na3 ENABLE CONDSTORE\r\n",
            b"a4 LOGIN joe secret\r\n",
            b"a5 LOGIN joe secret\r\na6 AUTHENTICATE PLAIN\r\na7 STORE 1 +FLAGS (\\Seen)\r\na8 IDLE\r\na9 SORT (DATE) UTF-8 ALL\r\n",
            b"b1 SELECT INBOX\r\nb2 ENABLE CONDSTORE\r\nb3 STATUS INBOX (MESSAGES)\r\n",
        ]),
    );
    let tagged: Vec<String> = t
        .lines()
        .into_iter()
        .filter(|l| !l.starts_with('*'))
        .collect();
    assert_eq!(
        tagged,
        [
            "a1 BAD Command not valid before authentication",
            "a2 BAD Command not valid before authentication",
            "a3 BAD Command not valid before authentication",
            "a4 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Logged in",
            "a5 BAD Command not valid in the authenticated state",
            "a6 BAD Command not valid in the authenticated state",
            "a7 BAD No mailbox selected",
            "a8 BAD IDLE not supported",
            "a9 BAD No mailbox selected",
            "b1 OK [READ-WRITE] Selected",
            "b2 BAD Command not valid in the selected state",
            "b3 OK STATUS completed",
        ]
    );
}

/// Garbage lines: the tag is echoed when readable, `* BAD` otherwise; literal data inside
/// a bad command is skipped, never executed.
#[test]
fn garbage_lines_recover_with_tag() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 FROB\r\n",
            b"*garbage*\r\n",
            b"a2 LOGIN {8+}\r\na3 NOOP\r\n",
            b"a4 FROB {9}\r\n",
            b"a5 NOOP\r\n\r\n",
            b"\r\n",
            b"a6 NOOP\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 BAD unknown command FROB",
            "* BAD missing or invalid tag",
            "a2 BAD syntax error in LOGIN",
            "+ Ready for literal data",
            "a4 BAD unknown command FROB",
            "* BAD missing or invalid tag",
            "a6 OK NOOP completed",
        ]
    );
    assert_eq!(t.kinds(), ["Literal", "Noop"]);
}

#[test]
fn sync_literals_accepted_and_rejected() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[
            b"a1 LOGIN {3}\r\n",
            b"joe {6}\r\n",
            b"secret\r\n",
            b"a2 CREATE {2000}\r\n",
            b"a3 CREATE {100000}\r\n",
            b"a4 CREATE {4}\r\nabcd\r\n",
            b"a5 LOGIN {1}\r\nx {1}\r\ny\r\n",
        ]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+ Ready for literal data",
            "+ Ready for literal data",
            "a1 OK [CAPABILITY IMAP4rev1 IMAP4rev2 LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Logged in",
            "a2 NO [TOOBIG] Literal too big",
            "a3 NO [TOOBIG] Literal too large",
            "+ Ready for literal data",
            "a4 OK CREATE completed",
            "+ Ready for literal data",
            "+ Ready for literal data",
            "a5 BAD Command not valid in the authenticated state",
        ]
    );
    let Event::Literal {
        tag,
        command,
        length,
        binary,
    } = &t.events[0]
    else {
        panic!()
    };
    assert_eq!(
        (
            tag.as_ref().unwrap().as_str(),
            command.as_deref(),
            *length,
            *binary
        ),
        ("a1", Some("LOGIN"), 3, false)
    );
    // LiteralPolicy::Accept sends `+` without asking
    let mut c = open_config();
    c.literal_policy = LiteralPolicy::Accept;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[b"a1 LOGIN {3}\r\n", b"joe secret\r\n"]),
    );
    assert_eq!(t.lines()[1], "+ Ready for literal data");
    assert_eq!(t.kinds(), ["Command"]);
}

#[test]
fn non_sync_literals() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 LOGIN {3+}\r\njoe {6+}\r\nsecret\r\n"]),
    );
    assert!(t.lines()[1].starts_with("a1 OK [CAPABILITY"));
    assert_eq!(t.kinds(), ["Command"]);
    // LITERAL-: over 4096 octets the end of the command cannot be found: BAD, BYE, close
    let big = [b"a2 LOGIN {5000+}\r\n".as_slice(), &[b'x'; 100]].concat();
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[&big, b"a3 NOOP\r\n"]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a2 BAD [TOOBIG] Non-synchronizing literal too large",
            "* BYE Non-synchronizing literal too large"
        ]
    );
    assert_eq!(t.events, [Event::Closed(CloseReason::TooLong)]);
}

/// Pipelined commands are answered in order, one at a time to the application.
#[test]
fn pipelining_order() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 LOGIN joe secret\r\na2 SELECT INBOX\r\na3 FETCH 1 FLAGS\r\na4 NOOP\r\na5 CAPABILITY\r\na6 LIST \"\" *\r\na7 LOGOUT\r\nzz NOOP\r\n"]),
    );
    let tags: Vec<String> = t
        .lines()
        .iter()
        .filter(|l| !l.starts_with('*'))
        .map(|l| l.split(' ').next().unwrap().to_owned())
        .collect();
    assert_eq!(tags, ["a1", "a2", "a3", "a4", "a5", "a6", "a7"]);
    assert_eq!(
        t.kinds(),
        ["Command", "Command", "Command", "Noop", "Command", "Closed"]
    );
    assert!(
        t.text()
            .contains("* 1 FETCH (FLAGS (\\Seen))\r\na3 OK FETCH completed\r\n")
    );
}

#[test]
fn logout_ignores_later_input() {
    let (server, t) = run(
        &open_config(),
        &Policy::default(),
        &inputs(&[b"a1 LOGOUT\r\na2 NOOP\r\n", b"a3 NOOP\r\n"]),
    );
    assert_eq!(
        &t.lines()[1..],
        ["* BYE Logging out", "a1 OK LOGOUT completed"]
    );
    assert_eq!(server.state(), State::Logout);
    assert!(server.is_closed() && server.poll_timeout().is_none());
}

#[test]
fn bad_command_limit_closes() {
    let mut c = open_config();
    c.limits.max_bad_commands = 3;
    let t = session(
        &c,
        &Policy::default(),
        &inputs(&[b"a1 FROB\r\n\r\n", b"a3 SELECT INBOX\r\na4 NOOP\r\n"]),
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 BAD unknown command FROB",
            "* BAD missing or invalid tag",
            "a3 BAD Command not valid before authentication",
            "* BYE Too many invalid commands",
        ]
    );
    assert_eq!(t.events, [Event::Closed(CloseReason::TooManyErrors)]);
}

#[test]
fn overlong_line_closes() {
    let mut line = b"a1 LOGIN ".to_vec();
    line.extend(std::iter::repeat_n(b'x', 70 * 1024));
    let (server, t) = run(&open_config(), &Policy::default(), &inputs(&[&line]));
    assert_eq!(
        &t.lines()[1..],
        [
            "a1 BAD [TOOBIG] Command line too long",
            "* BYE Command line too long"
        ]
    );
    assert!(server.is_closed());
}

/// RFC 9051 section 8 sample session, server side (lower-case commands are accepted).
#[test]
fn rfc9051_sample_session() {
    let mut c = open_config();
    c.imap4rev1 = false;
    let policy = Policy {
        exists: 18,
        ..Policy::default()
    };
    let policy = Policy {
        user: "mrc",
        ..policy
    };
    let t = session(
        &c,
        &policy,
        &inputs(&[
            b"a001 login mrc secret\r\n",
            b"a002 select inbox\r\n",
            b"a003 fetch 12 full\r\n",
            b"a004 fetch 12 body[header]\r\n",
            b"a005 store 12 +flags \\deleted\r\n",
            b"a006 logout\r\n",
        ]),
    );
    let tagged: Vec<String> = t
        .lines()
        .into_iter()
        .filter(|l| l.starts_with('a'))
        .collect();
    assert_eq!(
        tagged,
        [
            "a001 OK [CAPABILITY IMAP4rev2 LITERAL- IDLE ENABLE UIDPLUS MOVE CONDSTORE QRESYNC MULTIAPPEND] Logged in",
            "a002 OK [READ-WRITE] Selected",
            "a003 OK FETCH completed",
            "a004 OK FETCH completed",
            "a005 OK STORE completed",
            "a006 OK LOGOUT completed",
        ]
    );
    assert!(t.text().contains("* 18 EXISTS\r\n"));
}

#[test]
fn the_application_closes_with_a_plain_or_a_coded_bye() {
    use imap_proto::server::{Output, Server, Status};
    use imap_proto::types::Code;

    let drain = |server: &mut Server| {
        let mut out = Vec::new();
        let mut events = Vec::new();
        loop {
            match server.poll_output() {
                Output::Transmit(b) => out.extend_from_slice(&b),
                Output::Event(e) => events.push(e),
                Output::NeedInput => return (String::from_utf8(out).unwrap(), events),
            }
        }
    };
    let now = std::time::Instant::now();

    let mut plain = Server::new(open_config(), now);
    drain(&mut plain);
    plain.close("[UNAVAILABLE] is text here");
    let (text, events) = drain(&mut plain);
    assert_eq!(text, "* BYE (UNAVAILABLE] is text here\r\n");
    assert_eq!(events, [Event::Closed(CloseReason::Application)]);

    let mut coded = Server::new(open_config(), now);
    drain(&mut coded);
    coded.close_with(Status::ok("Server shutting down").with_code(Code::Unavailable));
    let (text, events) = drain(&mut coded);
    assert_eq!(text, "* BYE [UNAVAILABLE] Server shutting down\r\n");
    assert_eq!(events, [Event::Closed(CloseReason::Application)]);
    assert!(coded.is_closed());
    coded.close_with(Status::ok("again"));
    assert_eq!(
        drain(&mut coded).0,
        "",
        "a closed session sends nothing more"
    );
}
