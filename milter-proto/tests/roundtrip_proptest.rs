//! decode(encode(x)) == x for every command and response.

use std::borrow::Cow;

use bytes::BytesMut;
use milter_proto::codec::{decode_command, decode_response, encode_command, encode_response};
use milter_proto::types::{
    Actions, Address, Command, Connect, EnhancedCode, Envelope, Macro, MacroRequest, MacroStage,
    NegotiationReply, OptionNegotiation, ProtocolFlags, Reply, Response, Text,
};
use proptest::prelude::*;

fn text() -> impl Strategy<Value = Text<'static>> {
    proptest::collection::vec(1u8..=255, 0..20).prop_map(|bytes| Text::new(bytes).unwrap())
}

fn bytes() -> impl Strategy<Value = Cow<'static, [u8]>> {
    proptest::collection::vec(any::<u8>(), 0..64).prop_map(Cow::Owned)
}

fn address() -> impl Strategy<Value = Address<'static>> {
    prop_oneof![
        Just(Address::Unknown),
        (any::<std::net::IpAddr>(), any::<u16>()).prop_map(|(ip, port)| Address::Inet { ip, port }),
        text().prop_map(Address::Unix),
    ]
}

fn macro_stage() -> impl Strategy<Value = MacroStage> {
    proptest::sample::select(MacroStage::ALL.to_vec())
}

fn requestable_stage() -> impl Strategy<Value = MacroStage> {
    macro_stage().prop_filter("has an index", |s| s.symbol_list_index().is_some())
}

fn envelope() -> impl Strategy<Value = Envelope<'static>> {
    (text(), proptest::collection::vec(text(), 0..4))
        .prop_map(|(address, args)| Envelope { address, args })
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        (any::<u32>(), any::<u32>(), any::<u32>()).prop_map(|(version, a, p)| {
            Command::OptionNegotiation(OptionNegotiation {
                version,
                actions: Actions::from_bits(a),
                protocol: ProtocolFlags::from_bits(p),
            })
        }),
        (
            macro_stage(),
            proptest::collection::vec((text(), text()), 0..4)
        )
            .prop_map(|(stage, pairs)| {
                Command::Macro {
                    stage,
                    macros: pairs
                        .into_iter()
                        .map(|(name, value)| Macro { name, value })
                        .collect(),
                }
            }),
        (text(), address())
            .prop_map(|(hostname, address)| Command::Connect(Connect { hostname, address })),
        text().prop_map(Command::Helo),
        envelope().prop_map(Command::Mail),
        envelope().prop_map(Command::Rcpt),
        Just(Command::Data),
        (text(), text()).prop_map(|(name, value)| Command::Header { name, value }),
        Just(Command::EndOfHeaders),
        bytes().prop_map(Command::Body),
        bytes().prop_map(Command::EndOfMessage),
        text().prop_map(Command::Unknown),
        Just(Command::Abort),
        Just(Command::Quit),
        Just(Command::QuitNewConnection),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    let lines = proptest::collection::vec("[A-Za-z][ -~]{0,20}", 1..4);
    (400u16..600, any::<bool>(), 0u16..1000, 0u16..1000, lines).prop_map(
        |(code, enhanced, subject, detail, lines)| {
            let class = u8::try_from(code / 100).unwrap();
            let enhanced = enhanced.then_some(EnhancedCode {
                class,
                subject,
                detail,
            });
            Reply::new(code, enhanced, &lines.join("\n")).unwrap()
        },
    )
}

fn macro_request() -> impl Strategy<Value = MacroRequest<'static>> {
    (requestable_stage(), text()).prop_map(|(stage, names)| MacroRequest { stage, names })
}

fn response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            proptest::collection::vec(macro_request(), 0..3)
        )
            .prop_map(
                |(version, a, p, macro_requests)| Response::OptionNegotiation(NegotiationReply {
                    version,
                    actions: Actions::from_bits(a),
                    protocol: ProtocolFlags::from_bits(p),
                    macro_requests,
                })
            ),
        proptest::sample::select(vec![
            Response::Accept,
            Response::Continue,
            Response::Discard,
            Response::Reject,
            Response::TempFail,
            Response::Skip,
            Response::Progress,
            Response::Shutdown,
            Response::ConnectionFailure,
        ]),
        reply().prop_map(Response::ReplyCode),
        (text(), text()).prop_map(|(name, value)| Response::AddHeader { name, value }),
        (any::<u32>(), text(), text()).prop_map(|(index, name, value)| Response::InsertHeader {
            index,
            name,
            value
        }),
        (any::<u32>(), text(), text()).prop_map(|(index, name, value)| Response::ChangeHeader {
            index,
            name,
            value
        }),
        text().prop_map(Response::AddRecipient),
        text().prop_map(Response::DeleteRecipient),
        (text(), proptest::option::of(text()))
            .prop_map(|(address, args)| Response::AddRecipientWithArgs { address, args }),
        bytes().prop_map(Response::ReplaceBody),
        (text(), proptest::option::of(text()))
            .prop_map(|(address, args)| Response::ChangeFrom { address, args }),
        text().prop_map(Response::Quarantine),
        macro_request().prop_map(Response::SetSymbolList),
    ]
}

proptest! {
    #[test]
    fn commands_round_trip(command in command()) {
        let mut out = BytesMut::new();
        encode_command(&command, &mut out).unwrap();
        let (consumed, decoded) = decode_command(&out, 1 << 20).unwrap();
        prop_assert_eq!(consumed, out.len());
        prop_assert_eq!(decoded, command);
    }

    #[test]
    fn responses_round_trip(response in response()) {
        let mut out = BytesMut::new();
        encode_response(&response, &mut out).unwrap();
        let (consumed, decoded) = decode_response(&out, 1 << 20).unwrap();
        prop_assert_eq!(consumed, out.len());
        prop_assert_eq!(decoded, response);
    }
}
