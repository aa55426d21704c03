//! Session tests for the POP3 server: the RFC 1939 example session, every command in
//! both states, UPDATE, CAPA, STLS, AUTH, UTF8/LANG and pipelining. Every session is
//! replayed split at every byte and in random chunk sizes (see `server_support::session`).

mod server_support;

use std::num::NonZeroU32;

use pop3_proto::server::{CloseReason, Config, Event};
use pop3_proto::types::{ApopDigest, Password, SaslData};
use server_support::{Policy, open_config, session};

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

/// RFC 1939 section 10: the example session (APOP, STAT, LIST, RETR, DELE, QUIT), with a
/// maildrop of 120 and 200 octets as in the RFC.
#[test]
fn rfc1939_example_session() {
    let one: &'static [u8] = Box::leak(vec![b'a'; 118].into_boxed_slice());
    let mut m1 = one.to_vec();
    m1.extend_from_slice(b"\r\n");
    let mut m2 = vec![b'b'; 198];
    m2.extend_from_slice(b"\r\n");
    let policy = Policy {
        messages: vec![
            Box::leak(m1.into_boxed_slice()),
            Box::leak(m2.into_boxed_slice()),
        ],
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            b"STAT\r\n",
            b"LIST\r\n",
            b"RETR 1\r\n",
            b"DELE 1\r\n",
            b"RETR 2\r\n",
            b"DELE 2\r\n",
            b"QUIT\r\n",
        ],
    );
    let text = t.text();
    let expected_head = "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n\
         +OK maildrop has 2 messages (320 octets)\r\n\
         +OK 2 320\r\n\
         +OK 2 messages (320 octets)\r\n1 120\r\n2 200\r\n.\r\n\
         +OK 120 octets\r\n";
    assert!(text.starts_with(expected_head), "{text}");
    assert!(text.contains("+OK message 1 deleted\r\n+OK 200 octets\r\n"));
    assert!(text.ends_with(
        "+OK message 2 deleted\r\n+OK dbc.mtview.ca.us POP3 server signing off (maildrop empty)\r\n"
    ));
    assert_eq!(t.update(), Some(vec![1, 2]));
    let apop = t.events.iter().find_map(|e| match e {
        Event::Apop {
            user,
            timestamp,
            digest,
        } => Some((user.clone(), timestamp.clone(), *digest)),
        _ => None,
    });
    assert_eq!(
        apop,
        Some((
            "mrose".to_owned(),
            "<1896.697170952@dbc.mtview.ca.us>".to_owned(),
            ApopDigest::from_hex("c4c9334bac560ecc979e58001b3e22fb").unwrap()
        ))
    );
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Quit)));
}

#[test]
fn user_pass_list_uidl_retr_top() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"USER mrose\r\n",
            b"PASS tanstaaf\r\n",
            b"LIST 2\r\nUIDL\r\nUIDL 1\r\n",
            b"RETR 2\r\n",
            b"TOP 2 1\r\nTOP 1 0\r\n",
            b"QUIT\r\n",
        ],
    );
    let text = t.text();
    assert!(text.contains("+OK send PASS\r\n+OK maildrop has 2 messages (90 octets)\r\n"));
    assert!(text.contains(
        "+OK 2 59\r\n+OK unique-id listing follows\r\n1 uid-1\r\n2 uid-2\r\n.\r\n+OK 1 uid-1\r\n"
    ));
    // RETR: every line starting with '.' is stuffed; the terminator follows.
    assert!(text.contains(
        "+OK 59 octets\r\nSubject: two\r\nX: y\r\n\r\n..starts with dot\r\nline 2\r\n..\r\nline 4\r\n.\r\n"
    ));
    // TOP 2 1: the header, the blank line and one body line.
    assert!(text.contains(
        "+OK top of message follows\r\nSubject: two\r\nX: y\r\n\r\n..starts with dot\r\n.\r\n"
    ));
    assert!(text.contains("+OK top of message follows\r\nSubject: one\r\n\r\n.\r\n"));
    let login = t.events.iter().find_map(|e| match e {
        Event::Login { user, password } => Some((user.clone(), password.clone())),
        _ => None,
    });
    assert_eq!(
        login,
        Some(("mrose".to_owned(), Password::new(b"tanstaaf".to_vec())))
    );
    assert!(t.events.contains(&Event::Retrieve {
        msg: n(2),
        top: Some(1)
    }));
    assert_eq!(t.update(), Some(vec![]));
}

#[test]
fn dele_rset_and_errors_on_deleted_messages() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"USER mrose\r\nPASS tanstaaf\r\n",
            b"DELE 1\r\nDELE 1\r\nRETR 1\r\nLIST 1\r\nSTAT\r\nLIST\r\n",
            b"RSET\r\nSTAT\r\nRETR 3\r\nDELE 2\r\nNOOP\r\nQUIT\r\n",
        ],
    );
    let lines = t.lines();
    let expected = [
        "+OK message 1 deleted",
        "-ERR message 1 already deleted",
        "-ERR message 1 already deleted",
        "-ERR message 1 already deleted",
        "+OK 1 59",
        "+OK 1 messages (59 octets)",
        "2 59",
        ".",
        "+OK maildrop has 2 messages (90 octets)",
        "+OK 2 90",
        "-ERR no such message, only 2 messages in maildrop",
        "+OK message 2 deleted",
        "+OK",
        "+OK dbc.mtview.ca.us POP3 server signing off (1 messages left)",
    ];
    assert_eq!(&lines[3..], expected);
    assert_eq!(t.update(), Some(vec![2]));
}

#[test]
fn failed_logins_and_retry() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"PASS early\r\n",
            b"USER mrose\r\nPASS wrong\r\n",
            b"PASS tanstaaf\r\n",
            b"APOP mrose 00000000000000000000000000000000\r\n",
            b"USER mrose\r\nPASS tanstaaf\r\nSTAT\r\n",
        ],
    );
    let lines = t.lines();
    assert_eq!(
        &lines[1..],
        [
            "-ERR send USER first",
            "+OK send PASS",
            "-ERR [AUTH] invalid credentials",
            "-ERR send USER first",
            "-ERR [AUTH] invalid credentials",
            "+OK send PASS",
            "+OK maildrop has 2 messages (90 octets)",
            "+OK 2 90",
        ]
    );
}

#[test]
fn commands_in_the_wrong_state() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"STAT\r\nRETR 1\r\nNOOP\r\n",
            b"USER mrose\r\nPASS tanstaaf\r\n",
            b"USER x\r\nSTLS\r\nUTF8\r\nAUTH PLAIN\r\n",
        ],
    );
    let lines = t.lines();
    assert_eq!(lines[1], "-ERR command not valid in AUTHORIZATION state");
    assert_eq!(lines[2], lines[1]);
    assert_eq!(lines[3], lines[1]);
    assert_eq!(
        &lines[6..],
        ["-ERR command not valid in TRANSACTION state"; 4]
    );
}

#[test]
fn maildrop_in_use_stays_in_authorization() {
    let policy = Policy {
        in_use: true,
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[b"USER mrose\r\nPASS tanstaaf\r\nSTAT\r\nQUIT\r\n"],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+OK send PASS",
            "-ERR [IN-USE] maildrop is locked by another session",
            "-ERR command not valid in AUTHORIZATION state",
            "+OK dbc.mtview.ca.us POP3 server signing off",
        ]
    );
    assert_eq!(t.update(), None);
}

#[test]
fn update_failure_answers_sys_temp() {
    let policy = Policy {
        update_fails: true,
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[b"USER mrose\r\nPASS tanstaaf\r\nDELE 2\r\nQUIT\r\n"],
    );
    assert!(
        t.text()
            .ends_with("-ERR [SYS/TEMP] some deleted messages not removed\r\n")
    );
    assert_eq!(t.update(), Some(vec![2]));
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Quit)));
}

#[test]
fn message_unavailable_answers_err() {
    let policy = Policy {
        unavailable: Some(1),
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[b"USER mrose\r\nPASS tanstaaf\r\nRETR 1\r\nRETR 2\r\n"],
    );
    assert!(
        t.text()
            .contains("-ERR [SYS/TEMP] cannot read message\r\n+OK 59 octets\r\n")
    );
}

/// Bare LF in stored messages becomes CRLF, and a last line without a line ending is
/// completed; the size in the listing is the CRLF size.
#[test]
fn bare_lf_messages_are_normalized() {
    let policy = Policy {
        messages: vec![b"Subject: lf\n\n.dot\nno end"],
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[b"USER mrose\r\nPASS tanstaaf\r\nLIST\r\nRETR 1\r\n"],
    );
    assert!(t.text().contains("1 27\r\n"));
    assert!(
        t.text()
            .contains("+OK 27 octets\r\nSubject: lf\r\n\r\n..dot\r\nno end\r\n.\r\n")
    );
}

#[test]
fn capa_by_state_and_tls() {
    let mut config = open_config();
    config.allow_plaintext_without_tls = false;
    config.auth_mechanisms = vec!["PLAIN".into(), "SCRAM-SHA-256".into()];
    config.login_delay = Some(900);
    config.expire = Some(pop3_proto::types::Expire::Never);
    config.implementation = Some("Postroom".into());
    let t = session(
        &config,
        &Policy::default(),
        &[
            b"CAPA\r\n",
            b"STLS\r\n",
            b"CAPA\r\n",
            b"USER mrose\r\nPASS tanstaaf\r\nCAPA\r\n",
        ],
    );
    let text = t.text();
    let before = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
                  PIPELINING\r\nSASL SCRAM-SHA-256\r\nSTLS\r\nUTF8\r\nLANG\r\nLOGIN-DELAY 900\r\n\
                  EXPIRE NEVER\r\nIMPLEMENTATION Postroom\r\n.\r\n";
    let after_tls = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
                  PIPELINING\r\nUSER\r\nSASL PLAIN SCRAM-SHA-256\r\nUTF8\r\nLANG\r\nLOGIN-DELAY 900\r\n\
                  EXPIRE NEVER\r\nIMPLEMENTATION Postroom\r\n.\r\n";
    let transaction = "+OK Capability list follows\r\nTOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n\
                  PIPELINING\r\nLANG\r\nLOGIN-DELAY 900\r\nEXPIRE NEVER\r\nIMPLEMENTATION Postroom\r\n.\r\n";
    assert!(
        text.contains(&format!("{before}+OK Begin TLS negotiation\r\n{after_tls}")),
        "{text}"
    );
    assert!(text.ends_with(transaction), "{text}");
    assert!(t.events.contains(&Event::StartTls));
}

/// Without TLS and without the embedder's permission, USER/PASS and PLAIN are refused
/// with [AUTH] and not advertised.
#[test]
fn plaintext_refused_before_tls() {
    let mut config = open_config();
    config.allow_plaintext_without_tls = false;
    let t = session(
        &config,
        &Policy::default(),
        &[b"USER mrose\r\nPASS tanstaaf\r\nAUTH PLAIN AG1yb3NlAHRhbnN0YWFm\r\nQUIT\r\n"],
    );
    let refused = "-ERR [AUTH] plaintext authentication disallowed on non-secure connections";
    assert_eq!(&t.lines()[1..4], [refused; 3]);
    assert!(
        !t.events
            .iter()
            .any(|e| matches!(e, Event::Login { .. } | Event::Auth { .. }))
    );
}

/// RFC 2595 / CVE-2011-0411: commands pipelined behind STLS are discarded, never run.
#[test]
fn stls_discards_pipelined_commands() {
    let policy = Policy {
        complete_tls: false,
        ..Policy::default()
    };
    let t = session(
        &open_config(),
        &policy,
        &[
            b"STLS\r\nUSER mrose\r\nPASS tanstaaf\r\n",
            b"USER again\r\n",
        ],
    );
    assert_eq!(t.lines()[1..], ["+OK Begin TLS negotiation"]);
    assert_eq!(t.events, [Event::StartTls]);
}

/// After the handshake the session starts afresh: a USER given before STLS is forgotten.
#[test]
fn stls_resets_session() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[b"USER mrose\r\nSTLS\r\n", b"PASS tanstaaf\r\nSTLS\r\n"],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+OK send PASS",
            "+OK Begin TLS negotiation",
            "-ERR send USER first",
            "-ERR TLS already active",
        ]
    );
}

/// RFC 5034: AUTH with initial response, with `+` challenges, `=` and `*`.
#[test]
fn sasl_exchanges() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"AUTH PLAIN\r\n",
            b"*\r\n",
            b"AUTH PLAIN =\r\n",
            b"AUTH plain\r\n",
            b"bW9yZQ==\r\n",
            b"AG1yb3NlAHRhbnN0YWFm\r\n",
            b"STAT\r\n",
        ],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+ ",
            "-ERR authentication cancelled",
            "-ERR [AUTH] invalid credentials",
            "+ ",
            "+ YWdhaW4=",
            "+OK maildrop has 2 messages (90 octets)",
            "+OK 2 90",
        ]
    );
    let sasl: Vec<&Event> = t
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Auth { .. } | Event::AuthResponse(_) | Event::AuthCancelled
            )
        })
        .collect();
    assert_eq!(
        sasl,
        [
            &Event::Auth {
                mechanism: "PLAIN".into(),
                initial_response: None
            },
            &Event::AuthCancelled,
            &Event::Auth {
                mechanism: "PLAIN".into(),
                initial_response: Some(SaslData::default())
            },
            &Event::Auth {
                mechanism: "PLAIN".into(),
                initial_response: None
            },
            &Event::AuthResponse(SaslData::new(b"more".to_vec())),
            &Event::AuthResponse(SaslData::new(b"\0mrose\0tanstaaf".to_vec())),
        ]
    );
    assert!(t.events.contains(&Event::OpenMaildrop {
        user: "mrose".into()
    }));
}

#[test]
fn sasl_errors() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[
            b"AUTH CRAM-MD5\r\n",
            b"AUTH PLAIN\r\n",
            b"not base64!\r\n",
            b"AUTH PLAIN !!!\r\n",
        ],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "-ERR unsupported authentication mechanism",
            "+ ",
            "-ERR invalid base64 in SASL response",
            "-ERR invalid base64 in initial response",
        ]
    );
}

#[test]
fn utf8_and_lang() {
    let mut config = open_config();
    config.utf8_user = true;
    let t = session(
        &config,
        &Policy::default(),
        &[
            b"LANG\r\nLANG en\r\nLANG *\r\nLANG de\r\n",
            "UTF8\r\nUSER j\u{f6}rg\r\n".as_bytes(),
        ],
    );
    assert_eq!(
        &t.lines()[1..],
        [
            "+OK Language listing follows",
            "en English",
            ".",
            "+OK Language is now en",
            "+OK Language is now en",
            "-ERR invalid language",
            "+OK UTF8 enabled",
            "+OK send PASS",
        ]
    );
    let t = session(
        &open_config(),
        &Policy::default(),
        &["USER j\u{f6}rg\r\n".as_bytes()],
    );
    assert_eq!(
        t.lines()[1],
        "-ERR [UTF8] UTF-8 user names are not supported"
    );
}

/// Pipelined commands are answered in order, each decision waited for; the whole batch
/// leaves as few transmits as the decisions allow.
#[test]
fn pipelined_session() {
    let t = session(
        &open_config(),
        &Policy::default(),
        &[b"CAPA\r\nUSER mrose\r\nPASS tanstaaf\r\nSTAT\r\nRETR 1\r\nDELE 1\r\nQUIT\r\n"],
    );
    let lines = t.lines();
    assert!(lines.ends_with(&[
        "+OK 2 90".to_owned(),
        "+OK 31 octets".to_owned(),
        "Subject: one".to_owned(),
        "first message".to_owned(),
        ".".to_owned(),
        "+OK message 1 deleted".to_owned(),
        "+OK dbc.mtview.ca.us POP3 server signing off (1 messages left)".to_owned(),
    ]));
    assert_eq!(t.update(), Some(vec![1]));
}

#[test]
fn quit_in_authorization_does_not_update() {
    let t = session(
        &Config::new("pop.example"),
        &Policy::default(),
        &[b"quit\r\n"],
    );
    assert_eq!(
        t.text(),
        "+OK Postroom POP3 server ready\r\n+OK pop.example POP3 server signing off\r\n"
    );
    assert_eq!(t.events, [Event::Closed(CloseReason::Quit)]);
}
