//! Encoder known answers and proptest round trips `decode(encode(x)) == x` for every
//! command variant.

use std::borrow::Cow;

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::codec::{decode_command, encode_command};
use smtp_proto::types::{
    Address, Body, Command, InitialResponse, MailFrom, MailParams, Notify, Orcpt, Param,
    RcptParams, RcptTo, Ret,
};

fn encode(cmd: &Command<'_>) -> String {
    let mut out = BytesMut::new();
    encode_command(cmd, &mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn s(v: &str) -> Cow<'static, str> {
    Cow::Owned(v.to_owned())
}

#[test]
fn encoder_known_answers() {
    let mail = Command::Mail(MailFrom {
        sender: Some(Address::new("a b", "x.org")),
        params: MailParams {
            size: Some(12),
            body: Some(Body::EightBitMime),
            smtputf8: true,
            ret: Some(Ret::Full),
            envid: Some(s("id=1+2")),
            requiretls: true,
            auth: Some(s("<>")),
            other: vec![Param {
                keyword: s("X-A"),
                value: None,
            }],
        },
    });
    assert_eq!(
        encode(&mail),
        "MAIL FROM:<\"a b\"@x.org> SIZE=12 BODY=8BITMIME SMTPUTF8 RET=FULL ENVID=id+3D1+2B2 REQUIRETLS AUTH=<> X-A\r\n"
    );
    let rcpt = Command::Rcpt(RcptTo {
        recipient: Address::postmaster(),
        params: RcptParams {
            notify: Some(Notify::On {
                success: true,
                failure: false,
                delay: true,
            }),
            orcpt: Some(Orcpt {
                addr_type: s("rfc822"),
                address: s("b c@d"),
            }),
            other: vec![],
        },
    });
    assert_eq!(
        encode(&rcpt),
        "RCPT TO:<Postmaster> NOTIFY=SUCCESS,DELAY ORCPT=rfc822;b+20c@d\r\n"
    );
    assert_eq!(
        encode(&Command::Mail(MailFrom::default())),
        "MAIL FROM:<>\r\n"
    );
    assert_eq!(
        encode(&Command::Auth {
            mechanism: s("PLAIN"),
            initial_response: Some(InitialResponse::from_decoded(b""))
        }),
        "AUTH PLAIN =\r\n"
    );
    assert_eq!(
        encode(&Command::Auth {
            mechanism: s("PLAIN"),
            initial_response: Some(InitialResponse::from_decoded(b"\0a\0b"))
        }),
        "AUTH PLAIN AGEAYg==\r\n"
    );
    assert_eq!(
        encode(&Command::Bdat {
            size: 7,
            last: true
        }),
        "BDAT 7 LAST\r\n"
    );
    assert_eq!(encode(&Command::StartTls), "STARTTLS\r\n");
}

fn text_word() -> impl Strategy<Value = String> {
    "[!-~\u{e0}-\u{ff}]{1,12}"
}

fn free_text() -> impl Strategy<Value = String> {
    "[!-~][ -~]{0,10}[!-~]|[!-~]"
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,6}[a-z0-9])?(\\.[a-z0-9\u{e4}]([a-z0-9-]{0,5}[a-z0-9])?){0,3}",
        "\\[(25[0-5]|1[0-9][0-9]|[1-9]?[0-9])(\\.(25[0-5]|1[0-9][0-9]|[1-9]?[0-9])){3}\\]",
        Just("[IPv6:2001:db8::1]".to_owned()),
        Just("[x-tag:abc]".to_owned()),
    ]
}

fn local_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~\u{f0}-\u{ff}-]{1,8}(\\.[a-z0-9]{1,4}){0,2}",
        "[ -~\u{e0}]{0,10}",
    ]
}

fn address() -> impl Strategy<Value = Address<'static>> {
    (local_part(), domain()).prop_map(|(l, d)| Address::new(l, d))
}

fn xtext_value() -> impl Strategy<Value = String> {
    "[ -~\u{e9}]{1,12}"
}

fn param() -> impl Strategy<Value = Param<'static>> {
    ("X-[A-Z0-9]{1,6}", proptest::option::of("[!-<>-~]{1,8}")).prop_map(|(k, v)| Param {
        keyword: k.into(),
        value: v.map(Into::into),
    })
}

fn mail_params() -> impl Strategy<Value = MailParams<'static>> {
    (
        proptest::option::of(any::<u64>()),
        proptest::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        proptest::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        proptest::option::of(xtext_value()),
        any::<bool>(),
        proptest::option::of(prop_oneof![Just("<>".to_owned()), xtext_value()]),
        proptest::collection::vec(param(), 0..3),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, requiretls, auth, other)| MailParams {
                size,
                body,
                smtputf8,
                ret,
                envid: envid.map(Into::into),
                requiretls,
                auth: auth.map(Into::into),
                other,
            },
        )
}

fn notify() -> impl Strategy<Value = Notify> {
    prop_oneof![
        Just(Notify::Never),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_filter("non-empty", |(a, b, c)| *a || *b || *c)
            .prop_map(|(success, failure, delay)| Notify::On {
                success,
                failure,
                delay
            }),
    ]
}

fn rcpt_params() -> impl Strategy<Value = RcptParams<'static>> {
    (
        proptest::option::of(notify()),
        proptest::option::of(("rfc822|utf-8|x-t", xtext_value())),
        proptest::collection::vec(param(), 0..3),
    )
        .prop_map(|(notify, orcpt, other)| RcptParams {
            notify,
            orcpt: orcpt.map(|(t, a)| Orcpt {
                addr_type: t.into(),
                address: a.into(),
            }),
            other,
        })
}

fn command() -> impl Strategy<Value = Command<'static>> {
    prop_oneof![
        text_word().prop_map(|d| Command::Ehlo(d.into())),
        text_word().prop_map(|d| Command::Helo(d.into())),
        text_word().prop_map(|d| Command::Lhlo(d.into())),
        (proptest::option::of(address()), mail_params())
            .prop_map(|(sender, params)| Command::Mail(MailFrom { sender, params })),
        (
            prop_oneof![
                address(),
                "[pP][oO][sS][tT][mM][aA][sS][tT][eE][rR]".prop_map(|p| Address::new(p, ""))
            ],
            rcpt_params()
        )
            .prop_map(|(recipient, params)| Command::Rcpt(RcptTo { recipient, params })),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        proptest::option::of(free_text()).prop_map(|t| Command::Noop(t.map(Into::into))),
        Just(Command::Quit),
        free_text().prop_map(|t| Command::Vrfy(t.into())),
        free_text().prop_map(|t| Command::Expn(t.into())),
        proptest::option::of(free_text()).prop_map(|t| Command::Help(t.map(Into::into))),
        Just(Command::StartTls),
        (
            "[A-Z0-9_-]{1,20}",
            proptest::option::of(proptest::collection::vec(any::<u8>(), 0..40))
        )
            .prop_map(|(m, ir)| Command::Auth {
                mechanism: m.into(),
                initial_response: ir.as_deref().map(InitialResponse::from_decoded),
            }),
    ]
}

proptest! {
    #[test]
    fn round_trip(cmd in command()) {
        let mut out = BytesMut::new();
        encode_command(&cmd, &mut out);
        let decoded = decode_command(&out);
        prop_assert_eq!(decoded, Ok((out.len(), cmd.clone())));
    }

    #[test]
    fn decoder_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let _ = decode_command(&bytes);
    }
}
