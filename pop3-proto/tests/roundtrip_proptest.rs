//! Round trips: decode(encode(x)) == x for commands, responses, capabilities, and
//! multi-line bodies (stuff then un-stuff, in arbitrary chunks).

use std::borrow::Cow;
use std::num::NonZeroU32;

use bytes::BytesMut;
use pop3_proto::codec::{
    MultilineDecoder, MultilineEncoder, decode_command, decode_response, encode_command,
    encode_response,
};
use pop3_proto::types::{
    ApopDigest, Capability, Command, Expire, Password, Response, ResponseCode, SaslData, Status,
};
use proptest::prelude::*;

fn msg() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|v| NonZeroU32::new(v).unwrap())
}

fn word() -> impl Strategy<Value = String> {
    "[!-~&&[^ ]]{1,40}"
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        "[a-zA-Z0-9@.é_ -]{0,39}[a-zA-Z0-9@.é_-]".prop_map(|s| Command::User(Cow::Owned(s))),
        proptest::collection::vec(
            any::<u8>().prop_filter("no line breaks", |b| !matches!(b, b'\r' | b'\n' | 0)),
            0..60
        )
        .prop_map(|p| Command::Pass(Password::new(p))),
        (word(), any::<[u8; 16]>()).prop_map(|(name, d)| Command::Apop {
            name: Cow::Owned(name),
            digest: ApopDigest(d)
        }),
        (
            "[A-Z0-9_-]{1,20}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..80))
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: Cow::Owned(m),
                initial_response: ir.map(SaslData::new),
            }),
        Just(Command::Stls),
        Just(Command::Capa),
        Just(Command::Utf8),
        proptest::option::of("[a-zA-Z0-9*-]{1,20}").prop_map(|l| Command::Lang(l.map(Cow::Owned))),
        Just(Command::Stat),
        proptest::option::of(msg()).prop_map(Command::List),
        msg().prop_map(Command::Retr),
        msg().prop_map(Command::Dele),
        Just(Command::Noop),
        Just(Command::Rset),
        Just(Command::Quit),
        (msg(), any::<u32>()).prop_map(|(msg, lines)| Command::Top { msg, lines }),
        proptest::option::of(msg()).prop_map(Command::Uidl),
    ]
}

fn code() -> impl Strategy<Value = ResponseCode<'static>> {
    prop_oneof![
        Just(ResponseCode::InUse),
        Just(ResponseCode::LoginDelay),
        Just(ResponseCode::SysTemp),
        Just(ResponseCode::SysPerm),
        Just(ResponseCode::Auth),
        Just(ResponseCode::Utf8),
        "X-[A-Z]{1,8}(/[A-Z0-9-]{1,8}){0,2}".prop_map(|s| ResponseCode::Other(Cow::Owned(s))),
    ]
}

fn status() -> impl Strategy<Value = Status<'static>> {
    (
        proptest::option::of(code()),
        "([^\\[\r\n\0][^\r\n\0]{0,80})?",
    )
        .prop_map(|(code, text)| Status {
            code,
            text: Cow::Owned(text),
        })
}

fn response() -> impl Strategy<Value = Response<'static>> {
    prop_oneof![
        status().prop_map(Response::Ok),
        status().prop_map(Response::Err),
        proptest::collection::vec(any::<u8>(), 0..100)
            .prop_map(|d| Response::Continue(SaslData::new(d))),
    ]
}

fn capability() -> impl Strategy<Value = Capability> {
    prop_oneof![
        Just(Capability::Top),
        Just(Capability::User),
        proptest::collection::vec("[A-Z0-9-]{1,20}", 0..4).prop_map(Capability::Sasl),
        Just(Capability::RespCodes),
        (any::<u32>(), any::<bool>())
            .prop_map(|(seconds, per_user)| Capability::LoginDelay { seconds, per_user }),
        (proptest::option::of(any::<u32>()), any::<bool>()).prop_map(|(d, per_user)| {
            Capability::Expire {
                policy: d.map_or(Expire::Never, Expire::Days),
                per_user,
            }
        }),
        "[!-~]([ !-~]{0,30}[!-~])?".prop_map(Capability::Implementation),
        any::<bool>().prop_map(|user| Capability::Utf8 { user }),
        (
            "X-[A-Z]{1,10}",
            proptest::collection::vec("[!-~]{1,10}", 0..3)
        )
            .prop_map(|(name, args)| Capability::Other { name, args }),
    ]
}

proptest! {
    #[test]
    fn commands_round_trip(c in command()) {
        let mut out = BytesMut::new();
        encode_command(&c, &mut out);
        prop_assert_eq!(decode_command(&out), Ok((out.len(), c)));
    }

    #[test]
    fn responses_round_trip(r in response()) {
        let mut out = BytesMut::new();
        encode_response(&r, &mut out);
        prop_assert_eq!(decode_response(&out), Ok((out.len(), r)));
    }

    #[test]
    fn capabilities_round_trip(c in capability()) {
        prop_assert_eq!(Capability::parse(&c.to_line()), Some(c));
    }

    /// Any CRLF-terminated body survives stuffing and un-stuffing, in any chunking.
    #[test]
    fn multiline_round_trip(
        lines in proptest::collection::vec("[.]{0,3}[^\r\n]{0,20}", 0..20),
        cut in 1usize..50,
    ) {
        let mut body = Vec::new();
        for l in &lines {
            body.extend_from_slice(l.as_bytes());
            body.extend_from_slice(b"\r\n");
        }
        let mut encoder = MultilineEncoder::new();
        let mut wire = BytesMut::new();
        for chunk in body.chunks(cut) {
            encoder.encode(chunk, &mut wire);
        }
        encoder.finish(&mut wire);
        wire.extend_from_slice(b"+OK next");
        let mut decoder = MultilineDecoder::new();
        let mut out = BytesMut::new();
        let mut consumed = 0;
        let mut finished = false;
        for chunk in wire.chunks(cut) {
            if finished { break; }
            let p = decoder.feed(chunk, &mut out);
            consumed += p.consumed;
            finished = p.finished;
        }
        prop_assert!(finished);
        prop_assert_eq!(consumed, wire.len() - b"+OK next".len());
        prop_assert_eq!(&out[..], &body[..]);
    }
}
