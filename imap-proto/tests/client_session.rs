//! Client sessions against scripted server bytes. Every session is replayed with the
//! server's bytes split at every position and in random chunks (see `client_support`).

mod client_support;

use client_support::*;
use imap_proto::client::{ClientError, Config, Event};
use imap_proto::codec::decode_greeting;
use imap_proto::types::{
    AString, AppendData, AppendMessage, Atom, Capability, CommandBody, FetchAttribute, FetchItems,
    FetchModifiers, List, ListPattern, Literal, Mailbox, NonEmptyVec, Secret, SelectParams,
    SequenceSet, StatusAttribute, StatusKind,
};

fn caps(names: &[&str]) -> Out {
    ev(Event::Capabilities(
        names
            .iter()
            .map(|n| Capability::parse(n.to_string()).unwrap())
            .collect(),
    ))
}

fn greeting(line: &[u8]) -> Out {
    let (_, g) = decode_greeting(line).unwrap();
    ev(Event::Greeting(g.into_owned()))
}

/// The greeting every session below starts with, and what it produces.
fn greeted(steps: Vec<Step>) -> Vec<Step> {
    let mut all = vec![server(GREETING)];
    all.extend(steps);
    all
}

fn greeted_log(rest: Vec<Out>) -> Vec<Out> {
    let mut all = vec![
        greeting(GREETING),
        caps(&["IMAP4rev1", "SASL-IR", "AUTH=PLAIN", "STARTTLS", "IDLE"]),
    ];
    all.extend(rest);
    all
}

fn login() -> CommandBody<'static> {
    CommandBody::Login {
        username: AString::text("alice").unwrap(),
        password: Secret(AString::text("s3cret").unwrap()),
    }
}

fn append(messages: &[&'static [u8]]) -> CommandBody<'static> {
    let messages = messages
        .iter()
        .map(|m| AppendMessage {
            flags: Vec::new(),
            date: None,
            data: AppendData::new(Literal::new(*m).unwrap()),
        })
        .collect();
    CommandBody::Append {
        mailbox: Mailbox::INBOX,
        messages: NonEmptyVec::new(messages).unwrap(),
    }
}

fn select() -> CommandBody<'static> {
    CommandBody::Select {
        mailbox: Mailbox::INBOX,
        params: SelectParams::default(),
    }
}

/// FETCH of message `n`, or of `1:*` for 0.
fn fetch(uid: bool, n: u32, attribute: FetchAttribute<'static>) -> CommandBody<'static> {
    let set = if n == 0 {
        SequenceSet::all()
    } else {
        SequenceSet::single(n).unwrap()
    };
    CommandBody::Fetch {
        uid,
        set,
        items: FetchItems::Attributes(NonEmptyVec::one(attribute)),
        modifiers: FetchModifiers::default(),
    }
}

fn plain() -> Atom<'static> {
    Atom::new("PLAIN").unwrap()
}

#[test]
fn greeting_with_capabilities() {
    let log = session(&Config::default(), &[server(GREETING)]);
    assert_eq!(log, greeted_log(vec![]));
}

#[test]
fn greeting_without_capabilities_asks_before_sending_queued_commands() {
    let log = session(
        &Config::default(),
        &[
            // Given before the greeting: waits, and is encoded once LITERAL+ is known.
            app(|c| c.command(append(&[b"Hi"]))),
            server(b"* OK server ready\r\n"),
            server(b"* CAPABILITY IMAP4rev1 LITERAL+\r\nA2 OK CAPABILITY completed\r\n"),
            server(b"A1 OK APPEND completed\r\n"),
        ],
    );
    assert_eq!(
        log,
        vec![
            greeting(b"* OK server ready\r\n"),
            sent("A2 CAPABILITY\r\n"),
            caps(&["IMAP4rev1", "LITERAL+"]),
            sent("A1 APPEND INBOX {2+}\r\nHi\r\n"),
            done("A1", StatusKind::Ok, "APPEND completed"),
        ]
    );
}

#[test]
fn preauth_greeting() {
    let line = b"* PREAUTH [CAPABILITY IMAP4rev2 IDLE] welcome back\r\n";
    let log = session(&Config::default(), &[server(line)]);
    assert_eq!(log, vec![greeting(line), caps(&["IMAP4rev2", "IDLE"])]);
    let mut h = Harness::new(&Config::default());
    assert!(!h.client.is_authenticated());
    h.input(line);
    assert!(h.client.is_authenticated());
}

#[test]
fn bye_greeting_closes() {
    let log = session(
        &Config::default(),
        &[server(b"* BYE too many connections\r\n")],
    );
    let text = imap_proto::types::RespText::plain("too many connections").unwrap();
    assert_eq!(log, vec![ev(Event::Bye(text)), ev(Event::Closed)]);
    let mut h = Harness::new(&Config::default());
    h.input(b"* BYE go away\r\n");
    assert!(h.client.is_closed());
    assert!(matches!(
        h.client.command(CommandBody::Noop),
        Err(ClientError::InvalidState { .. })
    ));
}

#[test]
fn login_forgets_and_asks_for_capabilities() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(login())),
            server(b"A1 OK LOGIN completed\r\n"),
            server(b"* CAPABILITY IMAP4rev1 IDLE MOVE\r\nA2 OK done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 LOGIN alice s3cret\r\n"),
            done("A1", StatusKind::Ok, "LOGIN completed"),
            sent("A2 CAPABILITY\r\n"),
            caps(&["IMAP4rev1", "IDLE", "MOVE"]),
        ])
    );
}

#[test]
fn login_with_capability_code_does_not_ask() {
    let ok = b"A1 OK [CAPABILITY IMAP4rev1 MOVE] logged in\r\n";
    let log = session(
        &Config::default(),
        &greeted(vec![app(|c| c.command(login())), server(ok)]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 LOGIN alice s3cret\r\n"),
            completed(ok),
            caps(&["IMAP4rev1", "MOVE"]),
        ])
    );
}

#[test]
fn failed_login_keeps_capabilities() {
    let no = b"A1 NO [AUTHENTICATIONFAILED] invalid credentials\r\n";
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.command(login()));
    h.input(no);
    let log = h.take();
    assert_eq!(log.last(), Some(&completed(no)));
    assert!(h.client.offers(&Capability::Idle));
    assert!(!h.client.is_authenticated());
}

#[test]
fn authenticate_plain_with_sasl_ir() {
    let ok = b"A1 OK [CAPABILITY IMAP4rev1 IDLE] authenticated\r\n";
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.authenticate(plain(), Some(b"\0alice\0pw"))),
            server(ok),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 AUTHENTICATE PLAIN AGFsaWNlAHB3\r\n"),
            completed(ok),
            caps(&["IMAP4rev1", "IDLE"]),
        ])
    );
}

#[test]
fn authenticate_plain_without_sasl_ir_answers_the_empty_challenge() {
    let greet = b"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n";
    let log = session(
        &manual_caps(),
        &[
            server(greet),
            app(|c| c.authenticate(plain(), Some(b"\0alice\0pw"))),
            server(b"+ \r\n"),
            server(b"A1 OK done\r\n"),
        ],
    );
    assert_eq!(
        log,
        vec![
            greeting(greet),
            caps(&["IMAP4rev1", "AUTH=PLAIN"]),
            sent("A1 AUTHENTICATE PLAIN\r\n"),
            sent("AGFsaWNlAHB3\r\n"),
            done("A1", StatusKind::Ok, "done"),
        ]
    );
}

#[test]
fn authenticate_two_step_exchange_holds_back_other_commands() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.authenticate(Atom::new("LOGIN").unwrap(), None)),
            // Queued behind the exchange.
            app(|c| c.command(CommandBody::Noop)),
            server(b"+ VXNlcm5hbWU6\r\n"),
            app(|c| c.auth_respond(b"alice")),
            server(b"+ UGFzc3dvcmQ6\r\n"),
            app(|c| c.auth_respond(b"pw")),
            server(b"A1 OK authenticated\r\n"),
            server(b"* CAPABILITY IMAP4rev1\r\nA3 OK done\r\n"),
            server(b"A2 OK NOOP done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 AUTHENTICATE LOGIN\r\n"),
            ev(Event::AuthChallenge {
                tag: tag("A1"),
                data: b"Username:".to_vec()
            }),
            sent("YWxpY2U=\r\n"),
            ev(Event::AuthChallenge {
                tag: tag("A1"),
                data: b"Password:".to_vec()
            }),
            sent("cHc=\r\n"),
            done("A1", StatusKind::Ok, "authenticated"),
            sent("A3 CAPABILITY\r\n"),
            caps(&["IMAP4rev1"]),
            sent("A2 NOOP\r\n"),
            done("A2", StatusKind::Ok, "NOOP done"),
        ])
    );
}

#[test]
fn authenticate_cancel() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.authenticate(Atom::new("SCRAM-SHA-256").unwrap(), None)),
            server(b"+ \r\n"),
            app(|c| c.auth_cancel()),
            server(b"A1 BAD AUTHENTICATE cancelled\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 AUTHENTICATE SCRAM-SHA-256\r\n"),
            ev(Event::AuthChallenge {
                tag: tag("A1"),
                data: Vec::new()
            }),
            sent("*\r\n"),
            done("A1", StatusKind::Bad, "AUTHENTICATE cancelled"),
        ])
    );
}

#[test]
fn auth_answers_are_refused_without_a_challenge() {
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    assert!(matches!(
        h.client.auth_respond(b"x"),
        Err(ClientError::InvalidState { .. })
    ));
    h.call(|c| c.authenticate(plain(), None));
    // Sent, but no challenge yet.
    assert!(matches!(
        h.client.auth_cancel(),
        Err(ClientError::InvalidState { .. })
    ));
}

#[test]
fn starttls_hands_off_and_forgets_capabilities() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.starttls()),
            // Queued: must not be sent in clear text after STARTTLS.
            app(|c| c.command(CommandBody::Noop)),
            server(b"A1 OK begin TLS now\r\n"),
            app(|c| c.tls_established()),
            server(b"* CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=SCRAM-SHA-256\r\nA3 OK done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 STARTTLS\r\n"),
            done("A1", StatusKind::Ok, "begin TLS now"),
            ev(Event::StartTls),
            sent("A3 CAPABILITY\r\n"),
            caps(&["IMAP4rev1", "AUTH=PLAIN", "AUTH=SCRAM-SHA-256"]),
            sent("A2 NOOP\r\n"),
        ])
    );
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.starttls());
    h.input(b"A1 OK go\r\n");
    assert!(h.client.capabilities().is_some());
    h.call(|c| c.tls_established());
    assert!(h.client.is_tls());
    assert_eq!(h.client.capabilities(), None);
    assert!(matches!(
        h.client.starttls(),
        Err(ClientError::InvalidState { .. })
    ));
}

#[test]
fn starttls_injection_is_an_error() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.starttls()),
            server(b"A1 OK begin TLS now\r\n* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] injected\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 STARTTLS\r\n"),
            done("A1", StatusKind::Ok, "begin TLS now"),
            ev(Event::StartTls),
            ev(Event::Error(ClientError::DataBeforeTls)),
            ev(Event::Closed),
        ])
    );
}

#[test]
fn starttls_refused_continues_in_clear() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.starttls()),
            app(|c| c.command(CommandBody::Noop)),
            server(b"A1 NO not now\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 STARTTLS\r\n"),
            done("A1", StatusKind::No, "not now"),
            sent("A2 NOOP\r\n"),
        ])
    );
}

#[test]
fn append_with_synchronising_literal_waits_for_continuation() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(append(&[b"Hello\r\n"]))),
            // Pipelined after the APPEND, but only once its literal is out.
            app(|c| c.command(CommandBody::Noop)),
            server(b"* 3 EXISTS\r\n"),
            server(b"+ Ready for literal data\r\n"),
            server(b"A1 OK [APPENDUID 38505 3955] APPEND completed\r\nA2 OK done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 APPEND INBOX {7}\r\n"),
            untagged(b"* 3 EXISTS\r\n"),
            sent("Hello\r\n\r\nA2 NOOP\r\n"),
            completed(b"A1 OK [APPENDUID 38505 3955] APPEND completed\r\n"),
            done("A2", StatusKind::Ok, "done"),
        ])
    );
}

#[test]
fn append_with_literal_plus_does_not_wait() {
    let greet = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n";
    let log = session(
        &Config::default(),
        &[
            server(greet),
            app(|c| c.command(append(&[b"Hello\r\n"]))),
            server(b"A1 OK APPEND completed\r\n"),
        ],
    );
    assert_eq!(
        log,
        vec![
            greeting(greet),
            caps(&["IMAP4rev1", "LITERAL+"]),
            sent("A1 APPEND INBOX {7+}\r\nHello\r\n\r\n"),
            done("A1", StatusKind::Ok, "APPEND completed"),
        ]
    );
}

#[test]
fn literal_minus_waits_only_for_large_literals() {
    static BIG: [u8; 5000] = [b'x'; 5000];
    let greet = b"* OK [CAPABILITY IMAP4rev1 LITERAL-] hi\r\n";
    let mut h = Harness::new(&Config::default());
    h.input(greet);
    h.take();
    h.call(|c| c.command(append(&[b"small"])));
    assert_eq!(h.take(), vec![sent("A1 APPEND INBOX {5+}\r\nsmall\r\n")]);
    h.call(|c| c.command(append(&[&BIG])));
    assert_eq!(h.take(), vec![sent("A2 APPEND INBOX {5000}\r\n")]);
    h.input(b"+ go\r\n");
    let log = h.take();
    assert_eq!(log.len(), 1);
    assert!(matches!(&log[0], Out::Sent(s) if s.len() == 5002 && s.ends_with("x\r\n")));
}

#[test]
fn multiappend_waits_for_each_literal() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(append(&[b"abc", b"defg"]))),
            server(b"+ go\r\n"),
            server(b"+ go on\r\n"),
            server(b"A1 OK [APPENDUID 7 10:11] MULTIAPPEND done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 APPEND INBOX {3}\r\n"),
            sent("abc {4}\r\n"),
            sent("defg\r\n"),
            completed(b"A1 OK [APPENDUID 7 10:11] MULTIAPPEND done\r\n"),
        ])
    );
}

#[test]
fn refused_literal_ends_the_command_and_releases_the_queue() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(append(&[b"abc", b"defg"]))),
            app(|c| c.command(CommandBody::Noop)),
            server(b"+ go\r\n"),
            server(b"A1 NO [TOOBIG] message too large\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 APPEND INBOX {3}\r\n"),
            sent("abc {4}\r\n"),
            completed(b"A1 NO [TOOBIG] message too large\r\n"),
            sent("A2 NOOP\r\n"),
        ])
    );
}

#[test]
fn select_with_untagged_data() {
    let data: &[&[u8]] = &[
        b"* 172 EXISTS\r\n",
        b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n",
        b"* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n",
        b"* OK [UIDVALIDITY 3857529045] UIDs valid\r\n",
        b"* OK [UIDNEXT 4392] Predicted next UID\r\n",
        b"* LIST () \"/\" INBOX\r\n",
    ];
    let ok = b"A1 OK [READ-WRITE] SELECT completed\r\n";
    let mut reply = data.concat();
    reply.extend_from_slice(ok);
    let log = session(
        &Config::default(),
        &greeted(vec![app(|c| c.command(select())), server(reply)]),
    );
    let mut expected = vec![sent("A1 SELECT INBOX\r\n")];
    expected.extend(data.iter().map(|line| untagged(line)));
    expected.push(completed(ok));
    assert_eq!(log, greeted_log(expected));
}

#[test]
fn idle_with_pushed_updates_and_done() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.idle()),
            server(b"+ idling\r\n"),
            server(b"* 4 EXISTS\r\n* 2 EXPUNGE\r\n* 3 FETCH (FLAGS (\\Seen))\r\n"),
            // Waits for the end of IDLE.
            app(|c| c.command(CommandBody::Noop)),
            app(|c| c.done()),
            server(b"A1 OK IDLE terminated\r\n"),
            server(b"A2 OK NOOP completed\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 IDLE\r\n"),
            ev(Event::IdleStarted { tag: tag("A1") }),
            untagged(b"* 4 EXISTS\r\n"),
            untagged(b"* 2 EXPUNGE\r\n"),
            untagged(b"* 3 FETCH (FLAGS (\\Seen))\r\n"),
            sent("DONE\r\n"),
            done("A1", StatusKind::Ok, "IDLE terminated"),
            sent("A2 NOOP\r\n"),
            done("A2", StatusKind::Ok, "NOOP completed"),
        ])
    );
}

#[test]
fn done_before_the_server_accepts_idle() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.idle()),
            app(|c| c.done()),
            server(b"+ idling\r\nA1 OK IDLE terminated\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 IDLE\r\n"),
            ev(Event::IdleStarted { tag: tag("A1") }),
            sent("DONE\r\n"),
            done("A1", StatusKind::Ok, "IDLE terminated"),
        ])
    );
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    assert!(matches!(
        h.client.done(),
        Err(ClientError::InvalidState { .. })
    ));
}

#[test]
fn idle_refused() {
    let log = session(
        &Config::default(),
        &greeted(vec![app(|c| c.idle()), server(b"A1 BAD no IDLE here\r\n")]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 IDLE\r\n"),
            done("A1", StatusKind::Bad, "no IDLE here"),
        ])
    );
}

#[test]
fn unsolicited_responses_in_the_middle_of_a_command() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(fetch(false, 1, FetchAttribute::Flags))),
            server(
                b"* 1 FETCH (FLAGS (\\Seen))\r\n* 5 EXISTS\r\n* OK [ALERT] maintenance at 22:00\r\n\
* 2 FETCH (FLAGS (\\Deleted))\r\nA1 OK FETCH completed\r\n",
            ),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 FETCH 1 FLAGS\r\n"),
            untagged(b"* 1 FETCH (FLAGS (\\Seen))\r\n"),
            untagged(b"* 5 EXISTS\r\n"),
            untagged(b"* OK [ALERT] maintenance at 22:00\r\n"),
            untagged(b"* 2 FETCH (FLAGS (\\Deleted))\r\n"),
            done("A1", StatusKind::Ok, "FETCH completed"),
        ])
    );
}

#[test]
fn unsolicited_capability_code_updates_capabilities() {
    let line = b"* OK [CAPABILITY IMAP4rev1 LITERAL+] changed\r\n";
    let log = session(
        &Config::default(),
        &greeted(vec![server(line), app(|c| c.command(append(&[b"x"])))]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            untagged(line),
            caps(&["IMAP4rev1", "LITERAL+"]),
            sent("A1 APPEND INBOX {1+}\r\nx\r\n"),
        ])
    );
}

#[test]
fn pipelined_commands_completed_out_of_order() {
    let status = CommandBody::Status {
        mailbox: Mailbox::new("Sent").unwrap(),
        items: NonEmptyVec::new(vec![StatusAttribute::Messages, StatusAttribute::Unseen]).unwrap(),
    };
    let list = CommandBody::List(List {
        selection: Vec::new(),
        reference: Mailbox::new("").unwrap(),
        patterns: NonEmptyVec::one(ListPattern::new("*").unwrap()),
        return_options: Vec::new(),
    });
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(CommandBody::Noop)),
            app(move |c| c.command(status.clone())),
            app(move |c| c.command(list.clone())),
            server(b"* STATUS Sent (MESSAGES 2 UNSEEN 0)\r\nA2 OK STATUS done\r\n"),
            server(b"* LIST () \"/\" Sent\r\nA3 OK LIST done\r\nA1 OK NOOP done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            // Each sent at once, before any completion.
            sent("A1 NOOP\r\n"),
            sent("A2 STATUS Sent (MESSAGES UNSEEN)\r\n"),
            sent("A3 LIST \"\" *\r\n"),
            untagged(b"* STATUS Sent (MESSAGES 2 UNSEEN 0)\r\n"),
            done("A2", StatusKind::Ok, "STATUS done"),
            untagged(b"* LIST () \"/\" Sent\r\n"),
            done("A3", StatusKind::Ok, "LIST done"),
            done("A1", StatusKind::Ok, "NOOP done"),
        ])
    );
}

#[test]
fn state_changing_commands_are_not_pipelined() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(CommandBody::Noop)),
            app(|c| c.command(select())),
            app(|c| c.command(fetch(true, 0, FetchAttribute::Flags))),
            server(b"A1 OK NOOP done\r\n"),
            server(b"A2 OK [READ-WRITE] SELECT done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 NOOP\r\n"),
            done("A1", StatusKind::Ok, "NOOP done"),
            sent("A2 SELECT INBOX\r\n"),
            completed(b"A2 OK [READ-WRITE] SELECT done\r\n"),
            sent("A3 UID FETCH 1:* FLAGS\r\n"),
        ])
    );
}

#[test]
fn sequence_numbers_wait_for_commands_that_allow_expunge() {
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.take();
    // Two non-UID FETCHes: the server may not expunge during either; pipelined.
    h.call(|c| c.command(fetch(false, 1, FetchAttribute::Flags)));
    h.call(|c| c.command(fetch(false, 2, FetchAttribute::Flags)));
    assert_eq!(
        h.take(),
        vec![sent("A1 FETCH 1 FLAGS\r\n"), sent("A2 FETCH 2 FLAGS\r\n")]
    );
    // A UID FETCH may see EXPUNGEs: a later message-number command waits for it.
    h.call(|c| c.command(fetch(true, 5, FetchAttribute::Flags)));
    h.call(|c| c.command(fetch(false, 3, FetchAttribute::Flags)));
    assert_eq!(h.take(), vec![sent("A3 UID FETCH 5 FLAGS\r\n")]);
    h.input(b"A3 OK done\r\n");
    assert_eq!(
        h.take(),
        vec![
            done("A3", StatusKind::Ok, "done"),
            sent("A4 FETCH 3 FLAGS\r\n")
        ]
    );
}

#[test]
fn without_pipelining_commands_go_one_by_one() {
    let mut config = Config::default();
    config.pipelining = false;
    let log = session(
        &config,
        &greeted(vec![
            app(|c| c.command(CommandBody::Noop)),
            app(|c| c.command(CommandBody::Check)),
            server(b"A1 OK done\r\nA2 OK done\r\n"),
        ]),
    );
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 NOOP\r\n"),
            done("A1", StatusKind::Ok, "done"),
            sent("A2 CHECK\r\n"),
            done("A2", StatusKind::Ok, "done"),
        ])
    );
}

#[test]
fn logout_with_bye() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.logout()),
            server(b"* BYE IMAP4rev1 Server logging out\r\nA1 OK LOGOUT completed\r\n"),
        ]),
    );
    let bye = imap_proto::types::RespText::plain("IMAP4rev1 Server logging out").unwrap();
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 LOGOUT\r\n"),
            ev(Event::Bye(bye)),
            done("A1", StatusKind::Ok, "LOGOUT completed"),
            ev(Event::Closed),
        ])
    );
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    h.call(|c| c.logout());
    assert!(matches!(
        h.client.command(CommandBody::Noop),
        Err(ClientError::InvalidState { .. })
    ));
}

#[test]
fn unsolicited_bye_closes() {
    let log = session(
        &Config::default(),
        &greeted(vec![
            app(|c| c.command(CommandBody::Noop)),
            server(b"* BYE server shutting down\r\n"),
        ]),
    );
    let bye = imap_proto::types::RespText::plain("server shutting down").unwrap();
    assert_eq!(
        log,
        greeted_log(vec![
            sent("A1 NOOP\r\n"),
            ev(Event::Bye(bye)),
            ev(Event::Closed)
        ])
    );
}

#[test]
fn compress_needs_the_capability() {
    let mut h = Harness::new(&Config::default());
    h.input(GREETING);
    assert_eq!(
        h.client.command(CommandBody::CompressDeflate),
        Err(ClientError::InvalidState {
            operation: "compress",
            reason: "the server does not offer COMPRESS=DEFLATE",
        })
    );
}

#[test]
fn passwords_stay_out_of_debug_output() {
    let mut h = Harness::new(&Config::default());
    h.call(|c| c.command(login()));
    let debug = format!("{:?}", h.client);
    assert!(!debug.contains("s3cret"), "{debug}");
}
