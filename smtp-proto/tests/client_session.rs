//! Client sessions against scripted server replies. Every session is replayed with the
//! server's bytes split at every position (see `client_support`).

mod client_support;

use client_support::*;
use smtp_proto::client::{ClientError, Config, Event, Transfer};
use smtp_proto::types::{Capability, EhloReply};
use std::borrow::Cow;

const EHLO_PIPELINING: &[u8] = b"250-mx.example greets client.example\r\n250-PIPELINING\r\n\
250-SIZE 1000\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-AUTH PLAIN LOGIN\r\n250 ENHANCEDSTATUSCODES\r\n";

fn smtp() -> Config {
    Config::smtp("client.example")
}

fn hello(
    domain: &str,
    greeting: Option<&str>,
    capabilities: Vec<Capability<'static>>,
) -> EhloReply<'static> {
    EhloReply {
        domain: Cow::Owned(domain.to_owned()),
        greeting: greeting.map(|g| Cow::Owned(g.to_owned())),
        capabilities,
    }
}

fn pipelining_hello() -> EhloReply<'static> {
    hello(
        "mx.example",
        Some("greets client.example"),
        vec![
            Capability::Pipelining,
            Capability::Size(Some(1000)),
            Capability::EightBitMime,
            Capability::StartTls,
            Capability::Auth(vec![Cow::Borrowed("PLAIN"), Cow::Borrowed("LOGIN")]),
            Capability::EnhancedStatusCodes,
        ],
    )
}

/// Greeting and EHLO with [`EHLO_PIPELINING`]: the common prefix of many sessions.
fn ready_steps() -> Vec<Step> {
    vec![Step::Server(GREETING), Step::Server(EHLO_PIPELINING)]
}

fn ready_log() -> Vec<Out> {
    vec![
        ev(Event::Greeting(reply(220, "mx.example ESMTP ready"))),
        sent("EHLO client.example\r\n"),
        ev(Event::Ready {
            hello: pipelining_hello(),
            extended: true,
        }),
    ]
}

fn steps(mut prefix: Vec<Step>, rest: Vec<Step>) -> Vec<Step> {
    prefix.extend(rest);
    prefix
}

#[test]
fn greeting_then_ehlo() {
    let log = session(&smtp(), &ready_steps());
    assert_eq!(log, ready_log());
}

#[test]
fn multiline_greeting() {
    let log = session(
        &smtp(),
        &[Step::Server(b"220-mx.example first\r\n220 second\r\n")],
    );
    let greeting = smtp_proto::types::Reply::multiline(
        220,
        None,
        vec![Cow::Borrowed("mx.example first"), Cow::Borrowed("second")],
    );
    assert_eq!(
        log,
        vec![
            ev(Event::Greeting(greeting)),
            sent("EHLO client.example\r\n")
        ]
    );
}

#[test]
fn greeting_554_is_refused() {
    let log = session(&smtp(), &[Step::Server(b"554 5.7.1 go away\r\n")]);
    assert_eq!(
        log,
        vec![
            sent("QUIT\r\n"),
            ev(Event::Error(ClientError::GreetingRejected(ereply(
                554,
                (5, 7, 1),
                "go away"
            )))),
            ev(Event::Closed),
        ]
    );
}

#[test]
fn helo_fallback_after_502_and_500() {
    for refusal in [&b"502 5.5.1 EHLO not implemented\r\n"[..], b"500 what?\r\n"] {
        let refusal: &'static [u8] = Box::leak(refusal.to_vec().into_boxed_slice());
        let log = session(
            &smtp(),
            &[
                Step::Server(GREETING),
                Step::Server(refusal),
                Step::Server(b"250 mx.example\r\n"),
            ],
        );
        assert_eq!(
            log[1],
            sent("EHLO client.example\r\nHELO client.example\r\n")
        );
        assert_eq!(
            log[2],
            ev(Event::Ready {
                hello: hello("mx.example", None, vec![]),
                extended: false
            })
        );
        assert_eq!(log.len(), 3);
    }
}

#[test]
fn ehlo_refused_otherwise_ends_session() {
    let log = session(
        &smtp(),
        &[Step::Server(GREETING), Step::Server(b"550 not you\r\n")],
    );
    assert_eq!(
        log[1..],
        [
            sent("EHLO client.example\r\nQUIT\r\n"),
            ev(Event::Error(ClientError::HelloRejected(reply(
                550, "not you"
            )))),
            ev(Event::Closed),
        ]
    );
}

#[test]
fn helo_session_has_no_extensions() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(b"502 no\r\n"),
        Step::Server(b"250 mx.example\r\n"),
        app(|c| {
            assert!(matches!(c.starttls(), Err(ClientError::NotOffered(_))));
            let mut envelope = envelope("a@x.example", &["b@y.example"], Transfer::Data);
            envelope.mail_from.params.size = Some(10);
            c.send_mail(&envelope)
        }),
    ];
    let log = session(&smtp(), &steps);
    // Without SIZE announced the parameter is dropped; without PIPELINING only MAIL goes.
    assert_eq!(log.last(), Some(&sent("MAIL FROM:<a@x.example>\r\n")));
}

#[test]
fn starttls_hand_off_and_fresh_capabilities() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.starttls()),
            Step::Server(b"220 2.0.0 Ready to start TLS\r\n"),
            app(|c| {
                assert!(!c.is_tls());
                c.tls_established()
            }),
            Step::Server(b"250-mx.example\r\n250 AUTH PLAIN\r\n"),
            app(|c| {
                assert!(c.is_tls());
                let caps = c.capabilities().expect("capabilities");
                assert_eq!(
                    caps.capabilities,
                    vec![Capability::Auth(vec![Cow::Borrowed("PLAIN")])]
                );
                assert!(matches!(
                    c.starttls(),
                    Err(ClientError::InvalidState { .. })
                ));
                Ok(())
            }),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("STARTTLS\r\n"),
            ev(Event::StartTls),
            sent("EHLO client.example\r\n"),
            ev(Event::Ready {
                hello: hello(
                    "mx.example",
                    None,
                    vec![Capability::Auth(vec![Cow::Borrowed("PLAIN")])]
                ),
                extended: true
            }),
        ]
    );
}

#[test]
fn starttls_refused_keeps_session() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.starttls()),
            Step::Server(b"454 4.7.0 TLS not available\r\n"),
            app(|c| c.noop()),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("STARTTLS\r\n"),
            ev(Event::StartTlsRefused(ereply(
                454,
                (4, 7, 0),
                "TLS not available"
            ))),
            sent("NOOP\r\n"),
        ]
    );
}

#[test]
fn bytes_after_starttls_220_are_refused() {
    // CVE-2011-0411: a response injected in clear text after the 220 must not survive.
    let injected = steps(
        ready_steps(),
        vec![
            app(|c| c.starttls()),
            Step::Server(b"220 go ahead\r\n250-injected\r\n250 AUTH PLAIN\r\n"),
        ],
    );
    let later = steps(
        ready_steps(),
        vec![
            app(|c| c.starttls()),
            Step::Server(b"220 go ahead\r\n"),
            Step::Server(b"2"),
        ],
    );
    for steps in [injected, later] {
        let log = session(&smtp(), &steps);
        assert_eq!(
            log[3..],
            [
                sent("STARTTLS\r\n"),
                ev(Event::StartTls),
                ev(Event::Error(ClientError::DataBeforeTls)),
                ev(Event::Closed),
            ]
        );
    }
}

#[test]
fn auth_plain_with_initial_response() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.auth("PLAIN", Some(b"\0user\0secret"))),
            Step::Server(b"235 2.7.0 Authentication successful\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("AUTH PLAIN AHVzZXIAc2VjcmV0\r\n"),
            ev(Event::AuthSucceeded(ereply(
                235,
                (2, 7, 0),
                "Authentication successful"
            ))),
        ]
    );
}

#[test]
fn auth_login_challenges() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.auth("login", None)),
            Step::Server(b"334 VXNlcm5hbWU6\r\n"),
            app(|c| c.auth_respond(b"user")),
            Step::Server(b"334 UGFzc3dvcmQ6\r\n"),
            app(|c| c.auth_respond(b"")),
            Step::Server(b"535 5.7.8 bad credentials\r\n"),
            app(|c| c.auth("PLAIN", None)),
            Step::Server(b"334 \r\n"),
            app(|c| c.auth_cancel()),
            Step::Server(b"501 5.0.0 cancelled\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("AUTH LOGIN\r\n"),
            ev(Event::AuthChallenge(b"Username:".to_vec())),
            sent("dXNlcg==\r\n"),
            ev(Event::AuthChallenge(b"Password:".to_vec())),
            sent("\r\n"),
            ev(Event::AuthFailed(ereply(535, (5, 7, 8), "bad credentials"))),
            sent("AUTH PLAIN\r\n"),
            ev(Event::AuthChallenge(Vec::new())),
            sent("*\r\n"),
            ev(Event::AuthFailed(ereply(501, (5, 0, 0), "cancelled"))),
        ]
    );
}

#[test]
fn auth_rules() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| {
                assert!(matches!(
                    c.auth("CRAM-MD5", None),
                    Err(ClientError::NotOffered(_))
                ));
                assert!(matches!(
                    c.auth_respond(b"x"),
                    Err(ClientError::InvalidState { .. })
                ));
                c.auth("LOGIN", None)
            }),
            Step::Server(b"334 not*base64\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("AUTH LOGIN\r\n"),
            ev(Event::Error(ClientError::InvalidChallenge)),
            ev(Event::Closed)
        ]
    );
}

fn rcpt_result(
    rcpt: Option<smtp_proto::types::Reply<'static>>,
    delivery: Option<smtp_proto::types::Reply<'static>>,
) -> smtp_proto::client::RecipientResult {
    smtp_proto::client::RecipientResult { rcpt, delivery }
}

#[test]
fn pipelined_transaction_with_a_rejected_recipient() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| {
                let mut envelope =
                    envelope("a@x.example", &["b@y.example", "c@y.example", "d@y.example"], Transfer::Data);
                envelope.mail_from.params.size = Some(100);
                c.send_mail(&envelope)
            }),
            Step::Server(b"250 2.1.0 ok\r\n250 2.1.5 ok\r\n550 5.1.1 no such user\r\n250 2.1.5 ok\r\n354 go ahead\r\n"),
            app(|c| {
                c.send_body_chunk(b"Subject: x\r\n")?;
                c.send_body_chunk(b".")?;
                c.send_body_chunk(b"hidden\r\n.\r")?;
                c.send_body_chunk(b"\n..x\r\nlast")
            }),
            app(|c| c.end_body()),
            Step::Server(b"250 2.0.0 queued as 1234\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    let queued = ereply(250, (2, 0, 0), "queued as 1234");
    assert_eq!(
        log[3..],
        [
            sent(
                "MAIL FROM:<a@x.example> SIZE=100\r\nRCPT TO:<b@y.example>\r\nRCPT TO:<c@y.example>\r\nRCPT TO:<d@y.example>\r\nDATA\r\n"
            ),
            ev(Event::MailReply(ereply(250, (2, 1, 0), "ok"))),
            ev(Event::Recipient {
                index: 0,
                reply: ereply(250, (2, 1, 5), "ok")
            }),
            ev(Event::Recipient {
                index: 1,
                reply: ereply(550, (5, 1, 1), "no such user")
            }),
            ev(Event::Recipient {
                index: 2,
                reply: ereply(250, (2, 1, 5), "ok")
            }),
            ev(Event::SendBody),
            sent("Subject: x\r\n..hidden\r\n..\r\n...x\r\nlast\r\n.\r\n"),
            ev(Event::TransactionComplete(
                smtp_proto::client::TransactionResult {
                    mail: ereply(250, (2, 1, 0), "ok"),
                    recipients: vec![
                        rcpt_result(Some(ereply(250, (2, 1, 5), "ok")), Some(queued.clone())),
                        rcpt_result(Some(ereply(550, (5, 1, 1), "no such user")), None),
                        rcpt_result(Some(ereply(250, (2, 1, 5), "ok")), Some(queued.clone())),
                    ],
                    data: Some(queued),
                }
            )),
        ]
    );
}

#[test]
fn pipelined_no_recipient_accepted_354_gets_lone_dot() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| {
                c.send_mail(&envelope(
                    "a@x.example",
                    &["b@y.example", "c@y.example"],
                    Transfer::Data,
                ))
            }),
            Step::Server(b"250 ok\r\n550 no\r\n550 no\r\n354 go\r\n"),
            Step::Server(b"554 no valid recipients\r\n"),
            app(|c| {
                assert!(c.is_ready());
                assert!(matches!(
                    c.send_body_chunk(b"x"),
                    Err(ClientError::InvalidState { .. })
                ));
                Ok(())
            }),
        ],
    );
    let log = session(&smtp(), &steps);
    assert!(!log.contains(&ev(Event::SendBody)));
    assert_eq!(log[7], sent(".\r\n"));
    assert_eq!(
        log[8],
        ev(Event::TransactionComplete(
            smtp_proto::client::TransactionResult {
                mail: reply(250, "ok"),
                recipients: vec![
                    rcpt_result(Some(reply(550, "no")), None),
                    rcpt_result(Some(reply(550, "no")), None)
                ],
                data: Some(reply(554, "no valid recipients")),
            }
        ))
    );
    assert_eq!(log.len(), 9);
}

#[test]
fn pipelined_data_refused_is_followed_by_rset() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))),
            Step::Server(b"250 ok\r\n550 no\r\n503 5.5.1 no valid recipients\r\n"),
            Step::Server(b"250 flushed\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(log[6], sent("RSET\r\n"));
    assert_eq!(
        log[7],
        ev(Event::TransactionComplete(
            smtp_proto::client::TransactionResult {
                mail: reply(250, "ok"),
                recipients: vec![rcpt_result(Some(reply(550, "no")), None)],
                data: Some(ereply(503, (5, 5, 1), "no valid recipients")),
            }
        ))
    );
}

const EHLO_PLAIN: &[u8] = b"250-mx.example\r\n250 SIZE\r\n";

#[test]
fn one_command_at_a_time_without_pipelining() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(EHLO_PLAIN),
        app(|c| {
            c.send_mail(&envelope(
                "a@x.example",
                &["b@y.example", "c@y.example"],
                Transfer::Data,
            ))
        }),
        Step::Server(b"250 ok\r\n"),
        Step::Server(b"450 try later\r\n"),
        Step::Server(b"250 ok\r\n"),
        Step::Server(b"354 go\r\n"),
        app(|c| {
            c.send_body_chunk(b"hello")?;
            c.end_body()
        }),
        Step::Server(b"250 done\r\n"),
    ];
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("MAIL FROM:<a@x.example>\r\n"),
            ev(Event::MailReply(reply(250, "ok"))),
            sent("RCPT TO:<b@y.example>\r\n"),
            ev(Event::Recipient {
                index: 0,
                reply: reply(450, "try later")
            }),
            sent("RCPT TO:<c@y.example>\r\n"),
            ev(Event::Recipient {
                index: 1,
                reply: reply(250, "ok")
            }),
            sent("DATA\r\n"),
            ev(Event::SendBody),
            sent("hello\r\n.\r\n"),
            ev(Event::TransactionComplete(
                smtp_proto::client::TransactionResult {
                    mail: reply(250, "ok"),
                    recipients: vec![
                        rcpt_result(Some(reply(450, "try later")), None),
                        rcpt_result(Some(reply(250, "ok")), Some(reply(250, "done"))),
                    ],
                    data: Some(reply(250, "done")),
                }
            )),
        ]
    );
}

#[test]
fn no_recipient_accepted_without_pipelining_resets() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(EHLO_PLAIN),
        app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))),
        Step::Server(b"250 ok\r\n"),
        Step::Server(b"550 no\r\n"),
        Step::Server(b"250 reset\r\n"),
    ];
    let log = session(&smtp(), &steps);
    assert_eq!(log[7], sent("RSET\r\n"));
    assert!(
        matches!(&log[8], Out::Ev(Event::TransactionComplete(r)) if r.delivered_count() == 0 && r.data.is_none())
    );
    assert_eq!(log.len(), 9);
}

#[test]
fn mail_refused_without_pipelining_ends_transaction() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(EHLO_PLAIN),
        app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))),
        Step::Server(b"553 bad sender\r\n"),
        app(|c| c.quit()),
        Step::Server(b"221 bye\r\n"),
    ];
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("MAIL FROM:<a@x.example>\r\n"),
            ev(Event::MailReply(reply(553, "bad sender"))),
            ev(Event::TransactionComplete(
                smtp_proto::client::TransactionResult {
                    mail: reply(553, "bad sender"),
                    recipients: vec![rcpt_result(None, None)],
                    data: None,
                }
            )),
            sent("QUIT\r\n"),
            ev(Event::Closed),
        ]
    );
}

const EHLO_CHUNKING: &[u8] =
    b"250-mx.example\r\n250-PIPELINING\r\n250-CHUNKING\r\n250-BINARYMIME\r\n250 8BITMIME\r\n";

#[test]
fn bdat_transaction() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(EHLO_CHUNKING),
        app(|c| {
            let mut envelope = envelope("a@x.example", &["b@y.example"], Transfer::Bdat);
            envelope.mail_from.params.body = Some(smtp_proto::types::Body::BinaryMime);
            c.send_mail(&envelope)
        }),
        Step::Server(b"250 ok\r\n250 ok\r\n"),
        app(|c| c.send_body_chunk(b"abc\r\n.x\0")),
        Step::Server(b"250 2.0.0 7 octets\r\n"),
        app(|c| {
            assert!(c.send_body_chunk(b"x").is_ok());
            assert!(matches!(
                c.send_body_chunk(b"y"),
                Err(ClientError::InvalidState { .. })
            ));
            Ok(())
        }),
        Step::Server(b"250 1 octet\r\n"),
        app(|c| c.end_body()),
        Step::Server(b"250 2.0.0 queued\r\n"),
    ];
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[3..],
        [
            sent("MAIL FROM:<a@x.example> BODY=BINARYMIME\r\nRCPT TO:<b@y.example>\r\n"),
            ev(Event::MailReply(reply(250, "ok"))),
            ev(Event::Recipient {
                index: 0,
                reply: reply(250, "ok")
            }),
            ev(Event::SendBody),
            sent("BDAT 8\r\nabc\r\n.x\0"),
            ev(Event::SendBody),
            sent("BDAT 1\r\nx"),
            ev(Event::SendBody),
            sent("BDAT 0 LAST\r\n"),
            ev(Event::TransactionComplete(
                smtp_proto::client::TransactionResult {
                    mail: reply(250, "ok"),
                    recipients: vec![rcpt_result(
                        Some(reply(250, "ok")),
                        Some(ereply(250, (2, 0, 0), "queued"))
                    )],
                    data: Some(ereply(250, (2, 0, 0), "queued")),
                }
            )),
        ]
    );
}

#[test]
fn bdat_chunk_failure_resets() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(EHLO_CHUNKING),
        app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Bdat))),
        Step::Server(b"250 ok\r\n250 ok\r\n"),
        app(|c| c.send_body_chunk(b"abc")),
        Step::Server(b"552 too big\r\n"),
        Step::Server(b"250 reset\r\n"),
    ];
    let log = session(&smtp(), &steps);
    assert_eq!(log[7], sent("BDAT 3\r\nabcRSET\r\n"));
    assert!(matches!(&log[8], Out::Ev(Event::TransactionComplete(r))
        if r.data == Some(reply(552, "too big")) && r.delivered_count() == 0));
}

#[test]
fn rset_and_second_message_on_same_connection() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))),
            Step::Server(b"250 ok\r\n250 ok\r\n354 go\r\n"),
            app(|c| {
                c.send_body_chunk(b"one\r\n")?;
                c.end_body()
            }),
            Step::Server(b"250 first\r\n"),
            app(|c| c.rset()),
            Step::Server(b"250 2.0.0 reset\r\n"),
            app(|c| c.send_mail(&envelope("a@x.example", &["c@y.example"], Transfer::Data))),
            Step::Server(b"250 ok\r\n250 ok\r\n354 go\r\n"),
            app(|c| {
                c.send_body_chunk(b"two")?;
                c.end_body()
            }),
            Step::Server(b"250 second\r\n"),
            app(|c| c.quit()),
            Step::Server(b"221 2.0.0 bye\r\n"),
            app(|c| {
                assert!(c.is_closed());
                assert!(matches!(c.noop(), Err(ClientError::InvalidState { .. })));
                Ok(())
            }),
        ],
    );
    let log = session(&smtp(), &steps);
    let sent_text: String = log
        .iter()
        .filter_map(|o| match o {
            Out::Sent(s) => Some(s.as_str()),
            Out::Ev(_) => None,
        })
        .collect();
    assert_eq!(
        sent_text,
        "EHLO client.example\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<b@y.example>\r\nDATA\r\none\r\n.\r\n\
RSET\r\nMAIL FROM:<a@x.example>\r\nRCPT TO:<c@y.example>\r\nDATA\r\ntwo\r\n.\r\nQUIT\r\n"
    );
    let completions: Vec<_> = log
        .iter()
        .filter_map(|o| match o {
            Out::Ev(Event::TransactionComplete(r)) => r.data.clone(),
            _ => None,
        })
        .collect();
    assert_eq!(completions, vec![reply(250, "first"), reply(250, "second")]);
    assert!(log.contains(&ev(Event::Reset(ereply(250, (2, 0, 0), "reset")))));
    assert_eq!(log.last(), Some(&ev(Event::Closed)));
}

#[test]
fn lmtp_per_recipient_results() {
    let steps = vec![
        Step::Server(b"220 lmtp.example LMTP\r\n"),
        Step::Server(b"250-lmtp.example\r\n250-PIPELINING\r\n250 ENHANCEDSTATUSCODES\r\n"),
        app(|c| {
            c.send_mail(&envelope(
                "a@x.example",
                &["b@y.example", "c@y.example", "d@y.example"],
                Transfer::Data,
            ))
        }),
        Step::Server(b"250 ok\r\n250 ok\r\n550 5.1.1 unknown\r\n250 ok\r\n354 go\r\n"),
        app(|c| {
            c.send_body_chunk(b"body\r\n")?;
            c.end_body()
        }),
        Step::Server(b"250 2.1.5 b delivered\r\n"),
        Step::Server(b"452 4.2.2 d over quota\r\n"),
    ];
    let log = session(&Config::lmtp("client.example"), &steps);
    assert_eq!(log[1], sent("LHLO client.example\r\n"));
    let Some(Out::Ev(Event::TransactionComplete(result))) = log.last() else {
        panic!("no result: {log:?}");
    };
    assert_eq!(
        result.recipients,
        vec![
            rcpt_result(
                Some(reply(250, "ok")),
                Some(ereply(250, (2, 1, 5), "b delivered"))
            ),
            rcpt_result(Some(ereply(550, (5, 1, 1), "unknown")), None),
            rcpt_result(
                Some(reply(250, "ok")),
                Some(ereply(452, (4, 2, 2), "d over quota"))
            ),
        ]
    );
    assert_eq!(result.data, None);
    assert_eq!(result.delivered_count(), 1);
}

#[test]
fn lmtp_has_no_helo_fallback() {
    let log = session(
        &Config::lmtp("client.example"),
        &[
            Step::Server(b"220 lmtp\r\n"),
            Step::Server(b"500 unknown command\r\n"),
        ],
    );
    assert_eq!(
        log[1..],
        [
            sent("LHLO client.example\r\nQUIT\r\n"),
            ev(Event::Error(ClientError::HelloRejected(reply(
                500,
                "unknown command"
            )))),
            ev(Event::Closed),
        ]
    );
}

#[test]
fn client_side_refusals() {
    let steps = vec![
        Step::Server(GREETING),
        Step::Server(b"250-mx.example\r\n250 SIZE 1000\r\n"),
        app(|c| {
            let mut big = envelope("a@x.example", &["b@y.example"], Transfer::Data);
            big.mail_from.params.size = Some(1001);
            c.send_mail(&big)?;
            let mut eight = envelope("a@x.example", &["b@y.example"], Transfer::Data);
            eight.mail_from.params.body = Some(smtp_proto::types::Body::EightBitMime);
            c.send_mail(&eight)?;
            let mut utf8 = envelope("a@x.example", &["b@y.example"], Transfer::Data);
            utf8.mail_from.params.smtputf8 = true;
            c.send_mail(&utf8)?;
            let mut binary = envelope("a@x.example", &["b@y.example"], Transfer::Data);
            binary.mail_from.params.body = Some(smtp_proto::types::Body::BinaryMime);
            c.send_mail(&binary)?;
            c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Bdat))?;
            c.send_mail(&envelope("a@x.example", &[], Transfer::Data))?;
            assert!(c.is_ready());
            Ok(())
        }),
    ];
    let log = session(&smtp(), &steps);
    let refused = |e: ClientError| ev(Event::MessageRefused(e));
    assert_eq!(
        log[3..],
        [
            refused(ClientError::MessageTooLarge {
                size: 1001,
                limit: 1000
            }),
            refused(ClientError::NotOffered(Cow::Borrowed("8BITMIME"))),
            refused(ClientError::NotOffered(Cow::Borrowed("SMTPUTF8"))),
            refused(ClientError::BinaryNeedsBdat),
            refused(ClientError::NotOffered(Cow::Borrowed("CHUNKING"))),
            refused(ClientError::NoRecipients),
        ]
    );
}

#[test]
fn wrong_state_calls_are_refused() {
    let steps = vec![app(|c| {
        for result in [
            c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data)),
            c.quit(),
            c.rset(),
            c.end_body(),
            c.tls_established(),
            c.auth_cancel(),
        ] {
            assert!(
                matches!(result, Err(ClientError::InvalidState { .. })),
                "{result:?}"
            );
        }
        Ok(())
    })];
    assert_eq!(session(&smtp(), &steps), vec![]);
}

#[test]
fn garbage_from_server_closes() {
    let cases: Vec<(&'static [u8], &str)> = vec![
        (b"HTTP/1.1 200 OK\r\n", "invalid"),
        (b"250-a\r\n251 b\r\n", "invalid"),
        (b"\0\0\0\0\r\n", "invalid"),
        (b"220 hi\r\n250 a\r\n250 unsolicited\r\n", "unexpected"),
    ];
    for (bytes, kind) in cases {
        let log = session(&smtp(), &[Step::Server(bytes)]);
        let error = log.iter().find_map(|o| match o {
            Out::Ev(Event::Error(e)) => Some(e.clone()),
            _ => None,
        });
        match kind {
            "invalid" => assert!(
                matches!(error, Some(ClientError::InvalidReply { .. })),
                "{bytes:?}: {log:?}"
            ),
            _ => assert!(
                matches!(error, Some(ClientError::UnexpectedReply(_))),
                "{bytes:?}: {log:?}"
            ),
        }
        assert_eq!(log.last(), Some(&ev(Event::Closed)));
    }
}

#[test]
fn service_closing_421_anywhere() {
    let steps = steps(
        ready_steps(),
        vec![
            app(|c| c.send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))),
            Step::Server(b"250 ok\r\n421 4.3.2 shutting down\r\n"),
        ],
    );
    let log = session(&smtp(), &steps);
    assert_eq!(
        log[5..],
        [
            ev(Event::Error(ClientError::ServiceClosing(ereply(
                421,
                (4, 3, 2),
                "shutting down"
            )))),
            ev(Event::Closed),
        ]
    );
}
