//! Client sessions against scripted server bytes, each replayed split at every byte.

mod client_support;

use std::num::NonZeroU32;

use client_support::{GREETING, Out, Step, app, chunk, ev, sent, session};
use pop3_proto::client::{ClientError, Event};
use pop3_proto::types::{Capabilities, Capability, CommandKind, ResponseCode, SaslData, Status};

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

fn greeting() -> Out {
    ev(Event::Greeting {
        status: Status::new("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
        apop_timestamp: Some("<1896.697170952@dbc.mtview.ca.us>".into()),
    })
}

fn completed(command: CommandKind, text: &str) -> Out {
    ev(Event::Completed {
        command,
        status: Status::new(text.to_owned()),
    })
}

/// RFC 1939 section 10, from the client's side.
#[test]
fn rfc1939_example_session() {
    let log = session(&[
        Step::Server(GREETING),
        app(|c| c.apop("mrose", b"tanstaaf")),
        Step::Server(b"+OK mrose's maildrop has 2 messages (320 octets)\r\n"),
        app(|c| c.stat()),
        Step::Server(b"+OK 2 320\r\n"),
        app(|c| c.list(None)),
        Step::Server(b"+OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n"),
        app(|c| c.retr(n(1))),
        Step::Server(b"+OK 120 octets\r\nSubject: x\r\n\r\n..dot line\r\n.\r\n"),
        app(|c| c.dele(n(1))),
        Step::Server(b"+OK message 1 deleted\r\n"),
        app(|c| c.quit()),
        Step::Server(b"+OK dewey POP3 server signing off (maildrop empty)\r\n"),
    ]);
    assert_eq!(
        log,
        [
            greeting(),
            sent("APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n"),
            completed(
                CommandKind::Apop,
                "mrose's maildrop has 2 messages (320 octets)"
            ),
            sent("STAT\r\n"),
            ev(Event::Stat {
                count: 2,
                size: 320
            }),
            completed(CommandKind::Stat, "2 320"),
            sent("LIST\r\n"),
            ev(Event::ListEntry {
                msg: n(1),
                size: 120
            }),
            ev(Event::ListEntry {
                msg: n(2),
                size: 200
            }),
            completed(CommandKind::List, "2 messages (320 octets)"),
            sent("RETR 1\r\n"),
            chunk(b"Subject: x\r\n\r\n.dot line\r\n"),
            completed(CommandKind::Retr, "120 octets"),
            sent("DELE 1\r\n"),
            completed(CommandKind::Dele, "message 1 deleted"),
            sent("QUIT\r\n"),
            completed(
                CommandKind::Quit,
                "dewey POP3 server signing off (maildrop empty)"
            ),
            ev(Event::Closed),
        ]
    );
}

#[test]
fn capa_stls_user_pass_uidl_top() {
    let log = session(&[
        Step::Server(b"+OK ready\r\n"),
        app(|c| c.capa()),
        Step::Server(b"+OK Capability list follows\r\nTOP\r\nUSER\r\nSASL PLAIN\r\nSTLS\r\n.\r\n"),
        app(|c| c.stls()),
        Step::Server(b"+OK Begin TLS negotiation\r\n"),
        app(|c| c.tls_established()),
        app(|c| c.login("mrose", b"tan staaf")),
        Step::Server(b"+OK send PASS\r\n"),
        Step::Server(b"+OK logged in\r\n"),
        app(|c| c.uidl(None)),
        Step::Server(b"+OK\r\n1 whqtswO00WBw418f9t5JxYwZ\r\n2 QhdPYR:00WBw1Ph7x7\r\n.\r\n"),
        app(|c| c.uidl(Some(n(2)))),
        Step::Server(b"+OK 2 QhdPYR:00WBw1Ph7x7\r\n"),
        app(|c| c.top(n(1), 0)),
        Step::Server(b"+OK\r\nSubject: x\r\n\r\n.\r\n"),
        app(|c| c.list(Some(n(2)))),
        Step::Server(b"+OK 2 200\r\n"),
        app(|c| c.noop()),
        Step::Server(b"+OK\r\n"),
        app(|c| c.rset()),
        Step::Server(b"+OK\r\n"),
    ]);
    assert_eq!(
        log,
        [
            ev(Event::Greeting {
                status: Status::new("ready"),
                apop_timestamp: None
            }),
            sent("CAPA\r\n"),
            ev(Event::Capabilities(Capabilities(vec![
                Capability::Top,
                Capability::User,
                Capability::Sasl(vec!["PLAIN".into()]),
                Capability::Stls
            ]))),
            completed(CommandKind::Capa, "Capability list follows"),
            sent("STLS\r\n"),
            ev(Event::StartTls),
            sent("USER mrose\r\nPASS tan staaf\r\n"),
            completed(CommandKind::Pass, "logged in"),
            sent("UIDL\r\n"),
            ev(Event::UidlEntry {
                msg: n(1),
                uid: "whqtswO00WBw418f9t5JxYwZ".into()
            }),
            ev(Event::UidlEntry {
                msg: n(2),
                uid: "QhdPYR:00WBw1Ph7x7".into()
            }),
            completed(CommandKind::Uidl, ""),
            sent("UIDL 2\r\n"),
            ev(Event::UidlEntry {
                msg: n(2),
                uid: "QhdPYR:00WBw1Ph7x7".into()
            }),
            completed(CommandKind::Uidl, "2 QhdPYR:00WBw1Ph7x7"),
            sent("TOP 1 0\r\n"),
            chunk(b"Subject: x\r\n\r\n"),
            completed(CommandKind::Top, ""),
            sent("LIST 2\r\n"),
            ev(Event::ListEntry {
                msg: n(2),
                size: 200
            }),
            completed(CommandKind::List, "2 200"),
            sent("NOOP\r\n"),
            completed(CommandKind::Noop, ""),
            sent("RSET\r\n"),
            completed(CommandKind::Rset, ""),
        ]
    );
}

/// RFC 5034 section 6-style exchange: challenges, a response, a cancel, and failures.
#[test]
fn sasl_exchange() {
    let log = session(&[
        Step::Server(b"+OK ready\r\n"),
        app(|c| c.auth("plain", None)),
        Step::Server(b"+ \r\n"),
        app(|c| c.auth_respond(b"\0mrose\0tanstaaf")),
        Step::Server(b"-ERR [AUTH] nope\r\n"),
        app(|c| c.auth("CRAM-MD5", None)),
        Step::Server(b"+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UuZXhhbXBsZS5uZXQ+\r\n"),
        app(|c| c.auth_cancel()),
        Step::Server(b"-ERR cancelled\r\n"),
        app(|c| c.auth("PLAIN", Some(b""))),
        Step::Server(b"+OK welcome\r\n"),
    ]);
    assert_eq!(
        log[1..],
        [
            sent("AUTH PLAIN\r\n"),
            ev(Event::AuthChallenge(SaslData::default())),
            sent("AG1yb3NlAHRhbnN0YWFm\r\n"),
            ev(Event::Failed {
                command: CommandKind::Auth,
                status: Status::with_code(ResponseCode::Auth, "nope")
            }),
            sent("AUTH CRAM-MD5\r\n"),
            ev(Event::AuthChallenge(SaslData::new(
                b"<1896.697170952@postoffice.example.net>".to_vec()
            ))),
            sent("*\r\n"),
            ev(Event::Failed {
                command: CommandKind::Auth,
                status: Status::new("cancelled")
            }),
            sent("AUTH PLAIN =\r\n"),
            completed(CommandKind::Auth, "welcome"),
        ]
    );
}

#[test]
fn failures_keep_the_session() {
    let log = session(&[
        Step::Server(b"+OK ready\r\n"),
        app(|c| c.login("mrose", b"x")),
        Step::Server(b"-ERR [AUTH] no plaintext\r\n"),
        app(|c| c.login("mrose", b"x")),
        Step::Server(b"+OK\r\n-ERR [IN-USE] locked\r\n"),
        app(|c| c.utf8()),
        Step::Server(b"+OK\r\n"),
        app(|c| c.lang(None)),
        Step::Server(b"+OK Language listing follows\r\nen English\r\n.\r\n"),
        app(|c| c.quit()),
        Step::Server(b"+OK bye\r\n"),
    ]);
    assert_eq!(
        log[1..],
        [
            sent("USER mrose\r\n"),
            ev(Event::Failed {
                command: CommandKind::User,
                status: Status::with_code(ResponseCode::Auth, "no plaintext")
            }),
            sent("USER mrose\r\nPASS x\r\n"),
            ev(Event::Failed {
                command: CommandKind::Pass,
                status: Status::with_code(ResponseCode::InUse, "locked")
            }),
            sent("UTF8\r\n"),
            completed(CommandKind::Utf8, ""),
            sent("LANG\r\n"),
            ev(Event::Language {
                tag: "en".into(),
                description: "English".into()
            }),
            completed(CommandKind::Lang, "Language listing follows"),
            sent("QUIT\r\n"),
            completed(CommandKind::Quit, "bye"),
            ev(Event::Closed),
        ]
    );
}

/// Garbage from the server gives one clear error event and closes; never a panic.
#[test]
fn hostile_server_bytes() {
    type Setup = fn(&mut pop3_proto::client::Client) -> Result<(), ClientError>;
    let login: Setup = |c| c.login("u", b"p");
    let stat: Setup = |c| c.stat();
    let list: Setup = |c| c.list(None);
    let retr: Setup = |c| c.retr(NonZeroU32::MIN);
    let stls: Setup = |c| c.stls();
    let table: &[(Option<Setup>, &'static [u8], ClientError)] = &[
        (
            None,
            b"HELLO\r\n",
            ClientError::InvalidResponse {
                reason: "response does not start with +OK, -ERR or +".into(),
            },
        ),
        (
            None,
            b"-ERR go away\r\n",
            ClientError::GreetingRejected(Status::new("go away")),
        ),
        (
            None,
            b"+OK\n",
            ClientError::InvalidResponse {
                reason: "lines must end with CRLF".into(),
            },
        ),
        (
            None,
            b"+OK ready\r\n+OK extra\r\n",
            ClientError::UnexpectedData,
        ),
        (
            Some(login),
            b"+ YWJj\r\n",
            ClientError::InvalidResponse {
                reason: "unexpected SASL continuation".into(),
            },
        ),
        (
            Some(stat),
            b"+OK many\r\n",
            ClientError::InvalidResponse {
                reason: "invalid STAT response".into(),
            },
        ),
        (
            Some(list),
            b"+OK\r\n0 12\r\n.\r\n",
            ClientError::InvalidResponse {
                reason: "invalid message number".into(),
            },
        ),
        (
            Some(list),
            b"+OK\r\n1 -5\r\n.\r\n",
            ClientError::InvalidResponse {
                reason: "invalid message size".into(),
            },
        ),
        (
            Some(list),
            b"+OK\r\n1 99999999999999999999999\r\n.\r\n",
            ClientError::InvalidResponse {
                reason: "invalid message size".into(),
            },
        ),
        (
            Some(retr),
            b"+OK\r\nbody\r\n.\r\n+OK\r\n",
            ClientError::UnexpectedData,
        ),
        (
            Some(stls),
            b"+OK go\r\ninjected\r\n",
            ClientError::DataBeforeTls,
        ),
    ];
    // Run each case directly (the setups differ in whether they log in first).
    for (setup, bytes, error) in table {
        let mut client = pop3_proto::client::Client::new(
            pop3_proto::client::Config::default(),
            std::time::Instant::now(),
        );
        let mut log = Vec::new();
        if let Some(setup) = setup {
            client.handle_input(b"+OK ready\r\n");
            client_support::drain(&mut client, &mut log);
            let needs_login =
                !matches!(*setup as usize, x if x == login as usize || x == stls as usize);
            if needs_login {
                client.login("u", b"p").unwrap();
                client.handle_input(b"+OK\r\n+OK\r\n");
                client_support::drain(&mut client, &mut log);
                assert!(client.in_transaction());
            }
            setup(&mut client).unwrap();
        }
        for byte in bytes.chunks(1) {
            client.handle_input(byte);
            client_support::drain(&mut client, &mut log);
        }
        let tail: Vec<Out> = log.iter().rev().take(2).rev().cloned().collect();
        assert_eq!(
            tail,
            [ev(Event::Error(error.clone())), ev(Event::Closed)],
            "{:?}",
            String::from_utf8_lossy(bytes)
        );
        assert!(client.is_closed());
    }
}

#[test]
fn methods_refuse_wrong_state() {
    let mut client = pop3_proto::client::Client::new(
        pop3_proto::client::Config::default(),
        std::time::Instant::now(),
    );
    assert!(matches!(
        client.stat(),
        Err(ClientError::InvalidState { .. })
    ));
    client.handle_input(b"+OK no timestamp\r\n");
    while !matches!(client.poll_output(), pop3_proto::client::Output::NeedInput) {}
    assert_eq!(client.apop("u", b"s"), Err(ClientError::NoApopTimestamp));
    assert!(matches!(
        client.retr(NonZeroU32::MIN),
        Err(ClientError::InvalidState { .. })
    ));
    assert!(matches!(
        client.login("a\r\nDELE 1", b"x"),
        Err(ClientError::InvalidArgument(_))
    ));
    assert!(matches!(
        client.auth("BAD MECH", None),
        Err(ClientError::InvalidArgument(_))
    ));
    client.noop().unwrap_err();
    client.capa().unwrap();
    assert!(matches!(
        client.capa(),
        Err(ClientError::InvalidState { .. })
    ));
    assert!(client.auth_respond(b"x").is_err());
}

#[test]
fn reply_timeout() {
    use std::time::{Duration, Instant};
    let start = Instant::now();
    let mut client = pop3_proto::client::Client::new(pop3_proto::client::Config::default(), start);
    assert_eq!(
        client.poll_timeout(),
        Some(start + Duration::from_secs(600))
    );
    client.handle_input(b"+OK hi\r\n");
    let mut log = Vec::new();
    client_support::drain(&mut client, &mut log);
    assert_eq!(client.poll_timeout(), None, "idle between commands");
    client.handle_timeout(start + Duration::from_secs(10));
    client.stat().unwrap_err();
    client.capa().unwrap();
    assert_eq!(
        client.poll_timeout(),
        Some(start + Duration::from_secs(610))
    );
    client.handle_timeout(start + Duration::from_secs(610));
    client_support::drain(&mut client, &mut log);
    assert_eq!(
        log[log.len() - 2..],
        [
            ev(Event::Error(ClientError::Timeout {
                waiting_for: "a response"
            })),
            ev(Event::Closed)
        ]
    );
}

#[test]
fn overlong_lines_are_refused() {
    let mut client = pop3_proto::client::Client::new(
        pop3_proto::client::Config::default(),
        std::time::Instant::now(),
    );
    let mut log = Vec::new();
    for _ in 0..100 {
        client.handle_input(&[b'x'; 100]);
        client_support::drain(&mut client, &mut log);
    }
    assert_eq!(
        log,
        [
            ev(Event::Error(ClientError::LineTooLong { limit: 4096 })),
            ev(Event::Closed)
        ]
    );
}
