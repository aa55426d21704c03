//! Whole sessions between the client and a scripted in-memory milter.

mod support;

use std::borrow::Cow;
use std::num::NonZeroU32;
use std::time::Duration;

use milter_proto::client::{Action, Client, ClientError, Config, Event, Output, Stage};
use milter_proto::codec::DecodeError;
use milter_proto::types::{
    Actions, Address, Command, Connect, Disposition, Envelope, HeaderOccurrence, Macro,
    MacroRequest, MacroStage, Macros, Modification, ProtocolFlags, Reply, Response, Verdict,
};
use support::{Harness, Script, Split, answering, negotiation, negotiation_with_macros, t};

/// Every action, and no special protocol flags: the milter answers every stage.
fn plain() -> Response<'static> {
    negotiation(Actions::ALL, ProtocolFlags::NONE)
}

fn client_address() -> Address<'static> {
    Address::Inet {
        ip: "192.0.2.1".parse().unwrap(),
        port: 4321,
    }
}

/// Runs one message through every stage and returns the events of the last call.
fn one_message(h: &mut Harness) -> Vec<Event> {
    let connect_macros = Macros::new().with("j", "mx.example.org").unwrap();
    h.call(|c| c.connect("client.example.net", client_address(), &connect_macros));
    h.call(|c| c.helo("client.example.net", &Macros::new()));
    let mail_macros = Macros::new().with("auth_authen", "alice").unwrap();
    h.call(|c| c.mail("alice@example.org", &["SIZE=100"], &mail_macros));
    h.call(|c| c.rcpt("<bob@example.net>", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new().with("i", "4F1").unwrap()));
    h.call(|c| c.header("Subject", b" Hello\r\n"));
    h.call(|c| c.header("From", b" alice@example.org\r\n"));
    h.call(|c| c.end_of_headers(&Macros::new()));
    h.call(|c| c.body(b"Hi Bob\r\n"));
    h.call(|c| c.end_of_message(&Macros::new().with("i", "4F1").unwrap()))
}

fn verdict_of(events: &[Event]) -> Verdict {
    match events {
        [.., Event::Verdict(verdict)] => verdict.clone(),
        other => panic!("no verdict in {other:?}"),
    }
}

fn reply(text: &str) -> Reply {
    Reply::parse(text.as_bytes()).unwrap()
}

#[test]
fn the_offer_is_version_6_with_every_action_and_the_default_flags() {
    let mut client = Client::new(Config::default(), std::time::Instant::now());
    let Output::Transmit(bytes) = client.poll_output() else {
        panic!("OPTNEG first")
    };
    assert_eq!(
        &bytes[..],
        b"\0\0\0\x0dO\0\0\0\x06\0\0\x01\xff\0\x1f\xf7\xff"
    );
    assert_eq!(client.poll_output(), Output::NeedInput);
    assert!(!client.is_ready());
    assert!(client.poll_timeout().is_some());
}

#[test]
fn an_accepted_message_sends_every_stage_with_its_macros() {
    let mut h = Harness::new(
        Config::default(),
        answering(plain(), vec![Response::Accept]),
        Split::Whole,
    );
    let Event::Negotiated(negotiated) = &h.events[0] else {
        panic!("{:?}", h.events)
    };
    assert_eq!((negotiated.version, negotiated.actions), (6, Actions::ALL));
    let events = one_message(&mut h);
    assert_eq!(verdict_of(&events), Verdict::accept());
    assert_eq!(h.milter.codes(), "ODCHDMRDTLLNBDE");
    let received = &h.milter.received;
    assert_eq!(
        received[1],
        Command::Macro {
            stage: MacroStage::Connect,
            macros: vec![Macro {
                name: t("j"),
                value: t("mx.example.org")
            }],
        }
    );
    assert_eq!(
        received[2],
        Command::Connect(Connect {
            hostname: t("client.example.net"),
            address: client_address()
        })
    );
    assert_eq!(
        received[5],
        Command::Mail(Envelope {
            address: t("<alice@example.org>"),
            args: vec![t("SIZE=100")]
        })
    );
    assert_eq!(
        received[4],
        Command::Macro {
            stage: MacroStage::Mail,
            macros: vec![Macro {
                name: t("{auth_authen}"),
                value: t("alice")
            }],
        }
    );
    // Without SMFIP_HDR_LEADSPC the value loses its leading blank and final CRLF.
    assert_eq!(
        received[9],
        Command::Header {
            name: t("Subject"),
            value: t("Hello")
        }
    );
    assert_eq!(received[12], Command::Body(Cow::Borrowed(b"Hi Bob\r\n")));
    let replies = h
        .events
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::Reply {
                    action: Action::Continue,
                    ..
                }
            )
        })
        .count();
    assert_eq!(replies, 9, "one answer per stage: {:?}", h.events);
    assert!(h.client.is_ready());
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn replycode_at_end_of_message_rejects_with_that_reply() {
    let eom = vec![Response::ReplyCode(reply("554 5.7.1 Gtube pattern"))];
    let mut h = Harness::new(Config::default(), answering(plain(), eom), Split::Whole);
    let verdict = verdict_of(&one_message(&mut h));
    assert_eq!(
        verdict.disposition,
        Disposition::Reject(reply("554 5.7.1 Gtube pattern"))
    );
    assert_eq!(
        verdict.reply().unwrap().to_smtp(),
        "554 5.7.1 Gtube pattern\r\n"
    );
}

#[test]
fn tempfail_without_a_reply_uses_the_default_4xx() {
    let mut h = Harness::new(
        Config::default(),
        answering(plain(), vec![Response::TempFail]),
        Split::Whole,
    );
    let verdict = verdict_of(&one_message(&mut h));
    assert_eq!(
        verdict.disposition,
        Disposition::TempFail(Reply::default_tempfail())
    );
    assert_eq!(
        verdict.reply().unwrap().to_smtp(),
        "451 4.7.1 Service unavailable - try again later\r\n"
    );
    let mut h = Harness::new(
        Config::default(),
        answering(plain(), vec![Response::Reject]),
        Split::Whole,
    );
    assert_eq!(
        verdict_of(&one_message(&mut h)).disposition,
        Disposition::Reject(Reply::default_reject())
    );
    let mut h = Harness::new(
        Config::default(),
        answering(plain(), vec![Response::Discard]),
        Split::Whole,
    );
    assert_eq!(
        verdict_of(&one_message(&mut h)).disposition,
        Disposition::Discard
    );
}

#[test]
fn added_headers_and_a_changed_subject_come_with_the_verdict() {
    let eom = vec![
        Response::ChangeHeader {
            index: 1,
            name: t("X-Spam"),
            value: t(""),
        },
        Response::AddHeader {
            name: t("X-Spam"),
            value: t("Yes"),
        },
        Response::InsertHeader {
            index: 0,
            name: t("X-Spam-Score"),
            value: t("7.5"),
        },
        Response::ChangeHeader {
            index: 1,
            name: t("Subject"),
            value: t("[SPAM] Hello"),
        },
        Response::Progress,
        Response::Continue,
    ];
    let mut h = Harness::new(Config::default(), answering(plain(), eom), Split::Whole);
    let events = one_message(&mut h);
    assert!(events.contains(&Event::Progress));
    let verdict = verdict_of(&events);
    let one = NonZeroU32::MIN;
    assert_eq!(
        verdict,
        Verdict {
            disposition: Disposition::Accept,
            modifications: vec![
                Modification::RemoveHeader {
                    name: t("X-Spam"),
                    which: HeaderOccurrence::Nth(one)
                },
                Modification::AddHeader {
                    name: t("X-Spam"),
                    value: t("Yes")
                },
                Modification::InsertHeader {
                    index: 0,
                    name: t("X-Spam-Score"),
                    value: t("7.5")
                },
                Modification::ChangeHeader {
                    index: one,
                    name: t("Subject"),
                    value: t("[SPAM] Hello")
                },
            ],
            body_replaced: false,
        }
    );
    assert_eq!(verdict.header_value("subject").unwrap(), "[SPAM] Hello");
}

#[test]
fn envelope_changes_quarantine_and_a_new_body_are_reported() {
    let eom = vec![
        Response::AddRecipient(t("<archive@example.org>")),
        Response::AddRecipientWithArgs {
            address: t("<c@example.org>"),
            args: Some(t("NOTIFY=NEVER")),
        },
        Response::DeleteRecipient(t("<bob@example.net>")),
        Response::ChangeFrom {
            address: t("<bounce@example.org>"),
            args: None,
        },
        Response::Quarantine(t("held for review")),
        Response::ReplaceBody(Cow::Borrowed(b"new ")),
        Response::ReplaceBody(Cow::Borrowed(b"body\r\n")),
        Response::Accept,
    ];
    let mut h = Harness::new(Config::default(), answering(plain(), eom), Split::Whole);
    let events = one_message(&mut h);
    let body: Vec<u8> = events
        .iter()
        .filter_map(|e| match e {
            Event::ReplacementBody(bytes) => Some(bytes.to_vec()),
            _ => None,
        })
        .flatten()
        .collect();
    assert_eq!(body, b"new body\r\n");
    let verdict = verdict_of(&events);
    assert!(verdict.body_replaced);
    assert_eq!(verdict.quarantine().unwrap(), "held for review");
    assert_eq!(
        verdict.modifications[..4],
        [
            Modification::AddRecipient {
                address: t("<archive@example.org>"),
                args: None
            },
            Modification::AddRecipient {
                address: t("<c@example.org>"),
                args: Some(t("NOTIFY=NEVER"))
            },
            Modification::DeleteRecipient {
                address: t("<bob@example.net>")
            },
            Modification::ChangeFrom {
                address: t("<bounce@example.org>"),
                args: None
            },
        ]
    );
}

#[test]
fn no_reply_flags_send_every_stage_without_waiting_as_rspamd_asks() {
    let eom = vec![
        Response::AddHeader {
            name: t("X-Spam"),
            value: t("Yes"),
        },
        Response::Accept,
    ];
    let rspamd = negotiation(
        Actions::ADD_HEADERS
            | Actions::CHANGE_HEADERS
            | Actions::ADD_RECIPIENT
            | Actions::DELETE_RECIPIENT,
        ProtocolFlags::NO_REPLIES
            | ProtocolFlags::NO_UNKNOWN
            | ProtocolFlags::NO_DATA
            | ProtocolFlags::SKIP,
    );
    let mut h = Harness::new(Config::default(), answering(rspamd, eom), Split::Whole);
    let events = one_message(&mut h);
    assert_eq!(verdict_of(&events).header_value("X-Spam").unwrap(), "Yes");
    // DATA is not sent (NODATA) but its macros are not either; no command waited.
    assert_eq!(h.milter.codes(), "ODCHDMRLLNBDE");
    h.call(|c| c.unknown("XFOO", &Macros::new()));
    assert_eq!(h.milter.codes(), "ODCHDMRLLNBDE", "NOUNKNOWN: not sent");
}

#[test]
fn not_wanted_stages_are_answered_without_sending() {
    let flags = ProtocolFlags::NO_CONNECT
        | ProtocolFlags::NO_HELO
        | ProtocolFlags::NO_RCPT
        | ProtocolFlags::NO_HEADERS
        | ProtocolFlags::NO_EOH
        | ProtocolFlags::NO_BODY;
    let mut h = Harness::new(
        Config::default(),
        answering(negotiation(Actions::ALL, flags), vec![Response::Continue]),
        Split::Whole,
    );
    let events = one_message(&mut h);
    assert_eq!(verdict_of(&events), Verdict::accept());
    assert_eq!(
        h.milter.codes(),
        "ODMDTDE",
        "MAIL, DATA and EOM with their macros"
    );
}

#[test]
fn reject_at_mail_answers_the_rest_of_the_message_without_asking() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Mail(_) => vec![Response::ReplyCode(
            Reply::parse(b"550 5.7.1 go away").unwrap(),
        )],
        Command::Macro { .. } => vec![],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    let events = h.call(|c| c.mail("<a@example.org>", &[], &Macros::new()));
    let refused = Action::Reject(reply("550 5.7.1 go away"));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Mail,
            action: refused.clone()
        }]
    );
    let events = h.call(|c| c.rcpt("<b@example.org>", &[], &Macros::new()));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Rcpt,
            action: refused.clone()
        }]
    );
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    let events = h.call(|c| c.end_of_message(&Macros::new()));
    assert_eq!(
        verdict_of(&events).disposition,
        Disposition::Reject(reply("550 5.7.1 go away"))
    );
    assert_eq!(h.milter.codes(), "OCM", "nothing after MAIL was sent");
    // The next message starts fresh, after an ABORT-free MAIL (the last one ended).
    let events = h.call(|c| c.mail("<c@example.org>", &[], &Macros::new()));
    assert_eq!(
        events[0],
        Event::Reply {
            stage: Stage::Mail,
            action: refused
        }
    );
    assert_eq!(h.milter.codes(), "OCMM");
}

#[test]
fn a_rejected_recipient_does_not_decide_the_message() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Rcpt(envelope) if envelope.address == "<bad@example.org>" => {
            vec![Response::Reject]
        }
        Command::EndOfMessage(_) => vec![Response::Accept],
        Command::Macro { .. } => vec![],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    let events = h.call(|c| c.rcpt("bad@example.org", &[], &Macros::new()));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Rcpt,
            action: Action::Reject(Reply::default_reject())
        }]
    );
    h.call(|c| c.rcpt("good@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    let events = h.call(|c| c.end_of_message(&Macros::new()));
    assert_eq!(verdict_of(&events), Verdict::accept());
    assert_eq!(h.milter.codes(), "OCMRRTNE");
}

#[test]
fn accept_at_connect_ends_filtering_for_the_connection() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Connect(_) => vec![Response::Accept],
        Command::Macro { .. } => vec![],
        _ => panic!("nothing else is sent: {command:?}"),
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    let events = one_message(&mut h);
    assert_eq!(verdict_of(&events), Verdict::accept());
    assert_eq!(h.milter.codes(), "ODC");
    let actions: Vec<_> = h
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Reply { action, .. } => Some(action.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(actions[0], Action::Accept);
    assert!(
        actions[1..].iter().all(|a| *a == Action::Continue),
        "{actions:?}"
    );
}

#[test]
fn shutdown_fails_the_rest_of_the_connection_with_421() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Helo(_) => vec![Response::Shutdown],
        Command::Macro { .. } => vec![],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    let events = h.call(|c| c.helo("h", &Macros::new()));
    let unavailable = Action::TempFail(Reply::service_unavailable());
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Helo,
            action: unavailable.clone()
        }]
    );
    let events = h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Mail,
            action: unavailable
        }]
    );
    assert_eq!(Reply::service_unavailable().code(), 421);
}

#[test]
fn skip_stops_the_body_and_large_bodies_go_in_65535_byte_packets() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => {
            vec![negotiation(Actions::ALL, ProtocolFlags::SKIP)]
        }
        Command::Body(_) => vec![Response::Continue],
        Command::EndOfMessage(_) => vec![Response::Accept],
        Command::Macro { .. } => vec![],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    let body = vec![b'x'; 150_000];
    let events = h.call(|c| c.body(&body));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Body,
            action: Action::Continue
        }]
    );
    let sizes: Vec<usize> = h
        .milter
        .received
        .iter()
        .filter_map(|c| match c {
            Command::Body(bytes) => Some(bytes.len()),
            _ => None,
        })
        .collect();
    assert_eq!(sizes, [65_535, 65_535, 18_930]);

    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![negotiation(Actions::ALL, ProtocolFlags::SKIP)],
        Command::Body(_) => vec![Response::Skip],
        Command::EndOfMessage(_) => vec![Response::Accept],
        Command::Macro { .. } => vec![],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    let events = h.call(|c| c.body(&body));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Body,
            action: Action::Skip
        }]
    );
    let events = h.call(|c| c.body(b"more"));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Body,
            action: Action::Skip
        }]
    );
    let events = h.call(|c| c.end_of_message(&Macros::new()));
    assert_eq!(verdict_of(&events), Verdict::accept());
    assert_eq!(
        h.milter.codes(),
        "OCMTNBE",
        "one body packet, then straight to EOM"
    );
}

#[test]
fn skip_without_negotiating_it_is_a_protocol_error() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Body(_) => vec![Response::Skip],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.end_of_headers(&Macros::new()));
    let events = h.call(|c| c.body(b"x"));
    assert_eq!(
        events,
        [
            Event::Error(ClientError::UnexpectedResponse {
                response: 's',
                waiting_for: "the BODY reply"
            }),
            Event::Closed
        ]
    );
    assert!(h.client.is_closed());
}

#[test]
fn requested_macro_lists_limit_what_is_sent() {
    let negotiated = negotiation_with_macros(
        Actions::ALL,
        ProtocolFlags::NONE,
        vec![MacroRequest {
            stage: MacroStage::Mail,
            names: t("{auth_authen} i"),
        }],
    );
    let mut h = Harness::new(
        Config::default(),
        answering(negotiated, vec![Response::Accept]),
        Split::Whole,
    );
    let macros = Macros::new()
        .with("auth_authen", "alice")
        .unwrap()
        .with("{i}", "Q1")
        .unwrap()
        .with("j", "mx")
        .unwrap();
    h.call(|c| c.connect("h", Address::Unknown, &macros));
    h.call(|c| c.mail("a@example.org", &[], &macros));
    let macro_lists: Vec<_> = h
        .milter
        .received
        .iter()
        .filter_map(|c| match c {
            Command::Macro { stage, macros } => Some((*stage, macros.len())),
            _ => None,
        })
        .collect();
    // CONNECT has no list: all three; MAIL asked for two of them.
    assert_eq!(
        macro_lists,
        [(MacroStage::Connect, 3), (MacroStage::Mail, 2)]
    );
    let negotiated = h.client.negotiated().unwrap();
    assert!(negotiated.wants_macro(MacroStage::Mail, b"{i}"));
    assert!(!negotiated.wants_macro(MacroStage::Mail, b"j"));
}

#[test]
fn header_values_keep_their_leading_space_when_asked() {
    let negotiated = negotiation(Actions::ALL, ProtocolFlags::HEADER_LEADING_SPACE);
    let mut h = Harness::new(
        Config::default(),
        answering(negotiated, vec![Response::Accept]),
        Split::Whole,
    );
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.data(&Macros::new()));
    h.call(|c| c.header("Subject", b" folded\r\n\tline\r\n"));
    assert_eq!(
        h.milter.received.last().unwrap(),
        &Command::Header {
            name: t("Subject"),
            value: t(" folded\n\tline")
        }
    );
}

#[test]
fn progress_restarts_the_end_of_message_timeout_and_silence_ends_the_session() {
    let mut h = Harness::new(Config::default(), answering(plain(), vec![]), Split::Whole);
    let events = one_message(&mut h);
    assert!(events.is_empty(), "no verdict yet: {events:?}");
    assert_eq!(h.advance(Duration::from_secs(200)), []);
    h.client.handle_input(b"\0\0\0\x01p");
    assert_eq!(h.pump(), [Event::Progress]);
    assert_eq!(
        h.advance(Duration::from_secs(200)),
        [],
        "the 300 s restarted at the progress"
    );
    let events = h.advance(Duration::from_secs(101));
    assert_eq!(
        events,
        [
            Event::Error(ClientError::Timeout {
                waiting_for: "the end-of-message reply"
            }),
            Event::Closed
        ]
    );
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn a_silent_milter_times_out_at_each_stage() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        _ => vec![],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    assert_eq!(h.advance(Duration::from_secs(29)), []);
    assert_eq!(
        h.advance(Duration::from_secs(1)),
        [
            Event::Error(ClientError::Timeout {
                waiting_for: "the CONNECT reply"
            }),
            Event::Closed
        ]
    );
    let silent: Script = Box::new(|_| vec![]);
    let mut h = Harness::new(Config::default(), silent, Split::Whole);
    assert_eq!(
        h.advance(Duration::from_secs(30)),
        [
            Event::Error(ClientError::Timeout {
                waiting_for: "the negotiation reply"
            }),
            Event::Closed
        ]
    );
}

#[test]
fn bytes_while_nothing_is_awaited_end_the_session() {
    let mut h = Harness::new(Config::default(), answering(plain(), vec![]), Split::Whole);
    h.client.handle_input(b"\0\0\0\x01c");
    assert_eq!(
        h.pump(),
        [Event::Error(ClientError::UnexpectedData), Event::Closed]
    );
    h.client.handle_input(b"ignored after close");
    assert_eq!(h.pump(), []);
    assert_eq!(h.client.buffered_input(), 0);
}

#[test]
fn modifications_that_were_not_negotiated_are_refused() {
    let eom = vec![Response::ChangeFrom {
        address: t("<x@example.org>"),
        args: None,
    }];
    let negotiated = negotiation(Actions::ADD_HEADERS, ProtocolFlags::NONE);
    let mut h = Harness::new(Config::default(), answering(negotiated, eom), Split::Whole);
    let events = one_message(&mut h);
    assert_eq!(
        events,
        [
            Event::Error(ClientError::ActionNotNegotiated { response: 'e' }),
            Event::Closed
        ]
    );
}

#[test]
fn a_modification_outside_end_of_message_is_refused() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        _ => vec![Response::AddHeader {
            name: t("X"),
            value: t("y"),
        }],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    let events = h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    assert_eq!(
        events,
        [
            Event::Error(ClientError::UnexpectedResponse {
                response: 'h',
                waiting_for: "the CONNECT reply"
            }),
            Event::Closed
        ]
    );
}

#[test]
fn too_many_or_too_large_modifications_end_the_session() {
    let eom: Vec<_> = (0..5)
        .map(|_| Response::AddHeader {
            name: t("X-A"),
            value: t("b"),
        })
        .collect();
    let mut config = Config::default();
    config.max_modifications = 4;
    let mut h = Harness::new(config, answering(plain(), eom), Split::Whole);
    assert_eq!(
        one_message(&mut h),
        [
            Event::Error(ClientError::TooManyModifications { limit: 4 }),
            Event::Closed
        ]
    );
    let eom = vec![Response::AddHeader {
        name: t("X-A"),
        value: t(&"v".repeat(100)),
    }];
    let mut config = Config::default();
    config.max_modification_bytes = 50;
    let mut h = Harness::new(config, answering(plain(), eom), Split::Whole);
    assert_eq!(
        one_message(&mut h),
        [
            Event::Error(ClientError::TooManyModifications { limit: 50 }),
            Event::Closed
        ]
    );
}

#[test]
fn an_oversized_packet_is_refused_from_its_length() {
    let mut config = Config::default();
    config.max_data_size = 1000;
    let mut h = Harness::new(config, answering(plain(), vec![]), Split::Whole);
    one_message(&mut h);
    h.client.handle_input(&5000u32.to_be_bytes());
    let events = h.pump();
    assert_eq!(
        events,
        [
            Event::Error(ClientError::Decode(DecodeError::TooLarge {
                size: 4999,
                max: 1000
            })),
            Event::Closed
        ]
    );
    assert_eq!(
        ClientError::Decode(DecodeError::TooLarge {
            size: 4999,
            max: 1000
        })
        .to_string(),
        "invalid data from the milter: packet with 4999 bytes of data exceeds the limit of 1000"
    );
}

#[test]
fn negotiation_refuses_bad_versions_and_unoffered_flags() {
    let mut config = Config::default();
    config.protocol = ProtocolFlags::NO_CONNECT;
    let script: Script = Box::new(|_| vec![negotiation(Actions::ALL, ProtocolFlags::NR_CONNECT)]);
    let h = Harness::new(config, script, Split::Whole);
    assert_eq!(
        h.events,
        [
            Event::Error(ClientError::UnsupportedProtocolFlags {
                requested: ProtocolFlags::NR_CONNECT,
                offered: ProtocolFlags::NO_CONNECT
            }),
            Event::Closed
        ]
    );
    let script: Script = Box::new(|_| {
        vec![Response::OptionNegotiation(
            milter_proto::types::NegotiationReply {
                version: 7,
                actions: Actions::ALL,
                protocol: ProtocolFlags::NONE,
                macro_requests: vec![],
            },
        )]
    });
    let h = Harness::new(Config::default(), script, Split::Whole);
    assert_eq!(
        h.events,
        [
            Event::Error(ClientError::UnsupportedVersion(7)),
            Event::Closed
        ]
    );
    // Actions beyond the offer (rspamd ORs its own in) are cut down to the offer.
    let mut config = Config::default();
    config.actions = Actions::ADD_HEADERS;
    let script: Script =
        Box::new(|_| vec![negotiation(Actions::ALL, ProtocolFlags::MAX_DATA_SIZE_1M)]);
    let h = Harness::new(config, script, Split::Whole);
    assert_eq!(h.client.negotiated().unwrap().actions, Actions::ADD_HEADERS);
}

#[test]
fn discard_is_not_an_answer_to_connect() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        _ => vec![Response::Discard],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    let events = h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    assert!(matches!(
        events[0],
        Event::Error(ClientError::UnexpectedResponse { response: 'd', .. })
    ));
}

#[test]
fn calls_out_of_order_or_while_waiting_change_nothing() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        _ => vec![],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    let refused = h
        .client
        .rcpt("a@example.org", &[], &Macros::new())
        .unwrap_err();
    assert_eq!(
        refused,
        ClientError::InvalidState {
            operation: "rcpt",
            state: "not connected"
        }
    );
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    let refused = h.client.helo("h", &Macros::new()).unwrap_err();
    assert_eq!(
        refused,
        ClientError::InvalidState {
            operation: "helo",
            state: "waiting for an answer"
        }
    );
    assert_eq!(
        h.client.helo("a\0b", &Macros::new()).unwrap_err(),
        ClientError::InvalidState {
            operation: "helo",
            state: "waiting for an answer"
        }
    );
    assert_eq!(h.milter.codes(), "OC");
}

#[test]
fn nul_in_an_argument_is_refused() {
    let mut h = Harness::new(Config::default(), answering(plain(), vec![]), Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    assert_eq!(
        h.client.helo("a\0b", &Macros::new()),
        Err(ClientError::InvalidArgument("contains NUL"))
    );
    assert!(h.client.is_ready());
}

#[test]
fn a_new_mail_aborts_the_unfinished_message_and_quit_closes() {
    let mut h = Harness::new(Config::default(), answering(plain(), vec![]), Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    h.call(|c| c.mail("a@example.org", &[], &Macros::new()));
    h.call(|c| c.mail("b@example.org", &[], &Macros::new()));
    h.call(|c| c.abort());
    h.call(|c| c.quit_new_connection());
    h.call(|c| c.connect("h2", Address::Unknown, &Macros::new()));
    let events = h.call(|c| c.quit());
    assert_eq!(events, [Event::Closed]);
    assert_eq!(h.milter.codes(), "OCMAMAKCQ");
    assert!(h.client.quit().is_err());
}

#[test]
fn unknown_commands_are_reported_and_answered() {
    let script: Script = Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![plain()],
        Command::Unknown(_) => vec![Response::ReplyCode(Reply::parse(b"502 5.5.1 no").unwrap())],
        _ => vec![Response::Continue],
    });
    let mut h = Harness::new(Config::default(), script, Split::Whole);
    h.call(|c| c.connect("h", Address::Unknown, &Macros::new()));
    let events = h.call(|c| c.unknown("XFOO bar", &Macros::new()));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Unknown,
            action: Action::Reject(reply("502 5.5.1 no"))
        }]
    );
    // It concerned that command only.
    let events = h.call(|c| c.helo("h", &Macros::new()));
    assert_eq!(
        events,
        [Event::Reply {
            stage: Stage::Helo,
            action: Action::Continue
        }]
    );
}
