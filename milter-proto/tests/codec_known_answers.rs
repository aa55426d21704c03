//! Known answers for every packet, both ways: each value encodes to exactly these bytes
//! and these bytes decode to exactly this value (consuming all of them).

use std::borrow::Cow;

use bytes::BytesMut;
use milter_proto::codec::{
    DecodeError, decode_command, decode_response, encode_command, encode_response,
};
use milter_proto::types::{
    Actions, Address, Command, Connect, EnhancedCode, Envelope, Macro, MacroRequest, MacroStage,
    NegotiationReply, OptionNegotiation, ProtocolFlags, Reply, Response, Text,
};

const MAX: usize = 1 << 20;

fn t(s: &'static str) -> Text<'static> {
    Text::try_from(s).unwrap()
}

/// A packet: big-endian length of code + data, the code, the data.
fn packet(code: u8, data: &[u8]) -> Vec<u8> {
    let mut out = u32::try_from(data.len() + 1)
        .unwrap()
        .to_be_bytes()
        .to_vec();
    out.push(code);
    out.extend_from_slice(data);
    out
}

fn commands() -> Vec<(Command<'static>, Vec<u8>)> {
    vec![
        (
            Command::OptionNegotiation(OptionNegotiation {
                version: 6,
                actions: Actions::ALL,
                protocol: ProtocolFlags::from_bits(0x001f_f7ff),
            }),
            packet(b'O', b"\0\0\0\x06\0\0\x01\xff\0\x1f\xf7\xff"),
        ),
        (
            Command::Macro {
                stage: MacroStage::Connect,
                macros: vec![
                    Macro {
                        name: t("j"),
                        value: t("mx.example.org"),
                    },
                    Macro {
                        name: t("{daemon_name}"),
                        value: t("postroom"),
                    },
                ],
            },
            packet(b'D', b"Cj\0mx.example.org\0{daemon_name}\0postroom\0"),
        ),
        (
            Command::Macro {
                stage: MacroStage::EndOfMessage,
                macros: vec![],
            },
            packet(b'D', b"E"),
        ),
        (
            Command::Connect(Connect {
                hostname: t("mail.example.net"),
                address: Address::Inet {
                    ip: "192.0.2.1".parse().unwrap(),
                    port: 4321,
                },
            }),
            packet(b'C', b"mail.example.net\x004\x10\xe1192.0.2.1\0"),
        ),
        (
            Command::Connect(Connect {
                hostname: t("[2001:db8::1]"),
                address: Address::Inet {
                    ip: "2001:db8::1".parse().unwrap(),
                    port: 25,
                },
            }),
            packet(b'C', b"[2001:db8::1]\x006\x00\x192001:db8::1\0"),
        ),
        (
            Command::Connect(Connect {
                hostname: t("localhost"),
                address: Address::Unix(t("/run/smtp.sock")),
            }),
            packet(b'C', b"localhost\0L\0\0/run/smtp.sock\0"),
        ),
        (
            Command::Connect(Connect {
                hostname: t("unknown"),
                address: Address::Unknown,
            }),
            packet(b'C', b"unknown\0U"),
        ),
        (
            Command::Helo(t("client.example.net")),
            packet(b'H', b"client.example.net\0"),
        ),
        (
            Command::Mail(Envelope {
                address: t("<alice@example.org>"),
                args: vec![t("SIZE=1000"), t("BODY=8BITMIME")],
            }),
            packet(b'M', b"<alice@example.org>\0SIZE=1000\0BODY=8BITMIME\0"),
        ),
        (
            Command::Rcpt(Envelope {
                address: t("<bob@example.net>"),
                args: vec![],
            }),
            packet(b'R', b"<bob@example.net>\0"),
        ),
        (Command::Data, packet(b'T', b"")),
        (
            Command::Header {
                name: t("Subject"),
                value: t("Hello\n\tworld"),
            },
            packet(b'L', b"Subject\0Hello\n\tworld\0"),
        ),
        (Command::EndOfHeaders, packet(b'N', b"")),
        (
            Command::Body(Cow::Borrowed(b"line\r\n")),
            packet(b'B', b"line\r\n"),
        ),
        (Command::EndOfMessage(Cow::Borrowed(b"")), packet(b'E', b"")),
        (Command::Unknown(t("XFOO bar")), packet(b'U', b"XFOO bar\0")),
        (Command::Abort, packet(b'A', b"")),
        (Command::Quit, packet(b'Q', b"")),
        (Command::QuitNewConnection, packet(b'K', b"")),
    ]
}

fn responses() -> Vec<(Response<'static>, Vec<u8>)> {
    vec![
        (
            Response::OptionNegotiation(NegotiationReply {
                version: 6,
                actions: Actions::ADD_HEADERS | Actions::CHANGE_HEADERS,
                protocol: ProtocolFlags::NO_REPLIES,
                macro_requests: vec![],
            }),
            packet(b'O', b"\0\0\0\x06\0\0\0\x11\0\x0f\xf0\x80"),
        ),
        (
            Response::OptionNegotiation(NegotiationReply {
                version: 6,
                actions: Actions::ALL,
                protocol: ProtocolFlags::NONE,
                macro_requests: vec![
                    MacroRequest {
                        stage: MacroStage::Helo,
                        names: t("j {my}"),
                    },
                    MacroRequest {
                        stage: MacroStage::EndOfHeaders,
                        names: t("i"),
                    },
                ],
            }),
            packet(
                b'O',
                b"\0\0\0\x06\0\0\x01\xff\0\0\0\0\0\0\0\x01j {my}\0\0\0\0\x06i\0",
            ),
        ),
        (Response::Accept, packet(b'a', b"")),
        (Response::Continue, packet(b'c', b"")),
        (Response::Discard, packet(b'd', b"")),
        (Response::Reject, packet(b'r', b"")),
        (Response::TempFail, packet(b't', b"")),
        (Response::Skip, packet(b's', b"")),
        (Response::Progress, packet(b'p', b"")),
        (Response::Shutdown, packet(b'4', b"")),
        (Response::ConnectionFailure, packet(b'f', b"")),
        (
            Response::ReplyCode(Reply::parse(b"554 5.7.1 Gtube pattern").unwrap()),
            packet(b'y', b"554 5.7.1 Gtube pattern\0"),
        ),
        (
            Response::ReplyCode(
                Reply::new(
                    451,
                    Some(EnhancedCode {
                        class: 4,
                        subject: 7,
                        detail: 1,
                    }),
                    "greylisted\ncome back later",
                )
                .unwrap(),
            ),
            packet(b'y', b"451-4.7.1 greylisted\r\n451 4.7.1 come back later\0"),
        ),
        (
            Response::AddHeader {
                name: t("X-Spam"),
                value: t("Yes"),
            },
            packet(b'h', b"X-Spam\0Yes\0"),
        ),
        (
            Response::InsertHeader {
                index: 1,
                name: t("DKIM-Signature"),
                value: t("v=1"),
            },
            packet(b'i', b"\0\0\0\x01DKIM-Signature\0v=1\0"),
        ),
        (
            Response::ChangeHeader {
                index: 1,
                name: t("Subject"),
                value: t("[SPAM] hi"),
            },
            packet(b'm', b"\0\0\0\x01Subject\0[SPAM] hi\0"),
        ),
        (
            Response::ChangeHeader {
                index: 2,
                name: t("X-Spam"),
                value: t(""),
            },
            packet(b'm', b"\0\0\0\x02X-Spam\0\0"),
        ),
        (
            Response::AddRecipient(t("<archive@example.org>")),
            packet(b'+', b"<archive@example.org>\0"),
        ),
        (
            Response::DeleteRecipient(t("<bob@example.net>")),
            packet(b'-', b"<bob@example.net>\0"),
        ),
        (
            Response::AddRecipientWithArgs {
                address: t("<c@example.org>"),
                args: Some(t("NOTIFY=NEVER")),
            },
            packet(b'2', b"<c@example.org>\0NOTIFY=NEVER\0"),
        ),
        (
            Response::AddRecipientWithArgs {
                address: t("<c@example.org>"),
                args: None,
            },
            packet(b'2', b"<c@example.org>\0"),
        ),
        (
            Response::ReplaceBody(Cow::Borrowed(b"new body\r\n")),
            packet(b'b', b"new body\r\n"),
        ),
        (
            Response::ChangeFrom {
                address: t("<bounce@example.org>"),
                args: Some(t("SIZE=10")),
            },
            packet(b'e', b"<bounce@example.org>\0SIZE=10\0"),
        ),
        (
            Response::ChangeFrom {
                address: t("<>"),
                args: None,
            },
            packet(b'e', b"<>\0"),
        ),
        (
            Response::Quarantine(t("Rejected by rspamd")),
            packet(b'q', b"Rejected by rspamd\0"),
        ),
        (
            Response::SetSymbolList(MacroRequest {
                stage: MacroStage::Mail,
                names: t("{auth_authen}"),
            }),
            packet(b'l', b"\0\0\0\x02{auth_authen}\0"),
        ),
    ]
}

#[test]
fn every_command_encodes_and_decodes_to_its_known_bytes() {
    for (command, bytes) in commands() {
        let mut out = BytesMut::new();
        encode_command(&command, &mut out).unwrap();
        assert_eq!(&out[..], &bytes[..], "encoding {command:?}");
        let (consumed, decoded) = decode_command(&bytes, MAX).unwrap();
        assert_eq!(
            (consumed, &decoded),
            (bytes.len(), &command),
            "decoding {bytes:?}"
        );
    }
}

#[test]
fn every_response_encodes_and_decodes_to_its_known_bytes() {
    for (response, bytes) in responses() {
        let mut out = BytesMut::new();
        encode_response(&response, &mut out).unwrap();
        assert_eq!(&out[..], &bytes[..], "encoding {response:?}");
        let (consumed, decoded) = decode_response(&bytes, MAX).unwrap();
        assert_eq!(
            (consumed, &decoded),
            (bytes.len(), &response),
            "decoding {bytes:?}"
        );
    }
}

#[test]
fn every_prefix_of_a_packet_is_incomplete() {
    for (_, bytes) in commands() {
        for end in 0..bytes.len() {
            let needed = match end {
                0..4 => 4 - end,
                _ => bytes.len() - end,
            };
            assert_eq!(
                decode_command(&bytes[..end], MAX),
                Err(DecodeError::Incomplete { needed }),
                "{bytes:?} cut at {end}"
            );
        }
    }
    for (_, bytes) in responses() {
        for end in 0..bytes.len() {
            assert!(matches!(
                decode_response(&bytes[..end], MAX),
                Err(DecodeError::Incomplete { .. })
            ));
        }
    }
}

#[test]
fn sendmail_style_ipv6_literal_is_accepted() {
    let bytes = packet(b'C', b"host\x006\x00\x19IPv6:2001:db8::2\0");
    let (_, command) = decode_command(&bytes, MAX).unwrap();
    let Command::Connect(connect) = command else {
        panic!("{command:?}")
    };
    assert_eq!(
        connect.address,
        Address::Inet {
            ip: "2001:db8::2".parse().unwrap(),
            port: 25
        }
    );
}

#[test]
fn malformed_packets_are_refused_whole() {
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (packet(b'y', b"250 ok\0"), "malformed SMTP reply"),
        (packet(b'y', b"554 no terminator"), "reply not terminated"),
        (packet(b'h', b"X-Spam\0Yes"), "header value not terminated"),
        (
            packet(b'h', b"X-Spam\0Yes\0junk"),
            "unexpected bytes after the last field",
        ),
        (packet(b'm', b"\0\0"), "index missing"),
        (packet(b'a', b"x"), "unexpected bytes after the last field"),
        (packet(b'O', b"\0\0\0\x06"), "actions missing"),
        (
            packet(b'O', b"\0\0\0\x06\0\0\0\0\0\0\0\0\0\0\0\x09x\0"),
            "unknown macro stage",
        ),
        (packet(b'l', b"\0\0\0\x07i\0"), "unknown macro stage"),
        (packet(b'Z', b""), "unknown response"),
    ];
    for (bytes, reason) in cases {
        let error = decode_response(&bytes, MAX).unwrap_err();
        assert_eq!(
            error,
            DecodeError::Invalid {
                code: char::from(bytes[4]),
                reason,
                consumed: bytes.len()
            }
        );
    }
    let commands: Vec<(Vec<u8>, &str)> = vec![
        (
            packet(b'C', b"h\x004\0\x19999.1.1.1\0"),
            "malformed IP address",
        ),
        (
            packet(b'C', b"h\x006\0\x19192.0.2.1\0"),
            "address does not match its family",
        ),
        (packet(b'C', b"h\0X"), "unknown address family"),
        (packet(b'D', b"Z"), "unknown stage"),
        (packet(b'D', b"Cj\0"), "macro value missing"),
        (packet(b'M', b""), "address not terminated"),
        (
            packet(b'O', b"\0\0\0\x06\0\0\0\0\0\0\0\0\0"),
            "unexpected bytes after the last field",
        ),
        (packet(b'z', b""), "unknown command"),
    ];
    for (bytes, reason) in commands {
        let error = decode_command(&bytes, MAX).unwrap_err();
        assert_eq!(
            error,
            DecodeError::Invalid {
                code: char::from(bytes[4]),
                reason,
                consumed: bytes.len()
            }
        );
    }
}

#[test]
fn oversized_packets_are_refused_from_the_header() {
    let header = 70_000u32.to_be_bytes();
    assert_eq!(
        decode_response(&header, 65_535),
        Err(DecodeError::TooLarge {
            size: 69_999,
            max: 65_535
        })
    );
    let message = decode_response(&header, 65_535).unwrap_err().to_string();
    assert_eq!(
        message,
        "packet with 69999 bytes of data exceeds the limit of 65535"
    );
}
