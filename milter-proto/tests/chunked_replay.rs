//! A whole session replayed with the milter's bytes split at every offset, and byte by
//! byte: the client's events are identical every time.

mod support;

use std::borrow::Cow;

use milter_proto::client::{Config, Event};
use milter_proto::types::{
    Actions, Address, Command, MacroRequest, MacroStage, Macros, ProtocolFlags, Reply, Response,
};
use support::{Harness, Script, Split, negotiation_with_macros, t};

fn script() -> Script {
    Box::new(|command| match command {
        Command::OptionNegotiation(_) => vec![negotiation_with_macros(
            Actions::ALL,
            ProtocolFlags::SKIP | ProtocolFlags::NR_HEADER,
            vec![
                MacroRequest {
                    stage: MacroStage::Connect,
                    names: t("j {daemon_name}"),
                },
                MacroRequest {
                    stage: MacroStage::EndOfMessage,
                    names: t("i"),
                },
            ],
        )],
        Command::Macro { .. } | Command::Header { .. } | Command::Abort | Command::Quit => vec![],
        Command::Rcpt(envelope) if envelope.address == "<nobody@example.org>" => {
            vec![Response::Progress, Response::TempFail]
        }
        Command::EndOfMessage(_) => vec![
            Response::Progress,
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
                value: t("12.5 / 15"),
            },
            Response::ChangeHeader {
                index: 1,
                name: t("Subject"),
                value: t("[SPAM] lunch"),
            },
            Response::ReplaceBody(Cow::Owned(vec![b'z'; 3000])),
            Response::Quarantine(t("suspicious")),
            Response::Progress,
            Response::ReplyCode(
                Reply::parse(b"550-5.7.1 Spam\r\n550 5.7.1 see https://example.org").unwrap(),
            ),
        ],
        _ => vec![Response::Continue],
    })
}

fn session(split: Split) -> (Vec<Event>, usize) {
    let mut h = Harness::new(Config::default(), script(), split);
    let macros = Macros::new()
        .with("j", "mx.example.org")
        .unwrap()
        .with("daemon_name", "postroom")
        .unwrap()
        .with("i", "Q42")
        .unwrap();
    h.call(|c| {
        c.connect(
            "client.example.net",
            Address::Inet {
                ip: "2001:db8::7".parse().unwrap(),
                port: 2525,
            },
            &macros,
        )
    });
    h.call(|c| c.helo("client.example.net", &macros));
    h.call(|c| c.mail("<a@example.org>", &["BODY=8BITMIME"], &macros));
    h.call(|c| c.rcpt("<nobody@example.org>", &[], &macros));
    h.call(|c| c.rcpt("<b@example.org>", &[], &macros));
    h.call(|c| c.data(&macros));
    h.call(|c| c.header("Subject", b" lunch\r\n"));
    h.call(|c| c.end_of_headers(&macros));
    h.call(|c| c.body(&vec![b'x'; 70_000]));
    h.call(|c| c.end_of_message(&macros));
    h.call(|c| c.quit());
    let delivered = h.delivered();
    (h.events, delivered)
}

#[test]
fn events_do_not_depend_on_how_the_input_is_split() {
    let (expected, total) = session(Split::Whole);
    assert!(matches!(expected.first(), Some(Event::Negotiated(_))));
    assert!(matches!(expected.last(), Some(Event::Closed)));
    let verdict = expected.iter().find_map(|e| match e {
        Event::Verdict(v) => Some(v),
        _ => None,
    });
    assert_eq!(verdict.unwrap().modifications.len(), 5);
    assert!(total > 3000);
    assert_eq!(session(Split::ByteByByte).0, expected, "byte by byte");
    for offset in 0..=total {
        assert_eq!(session(Split::At(offset)).0, expected, "split at {offset}");
    }
}
