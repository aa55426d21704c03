//! Known-answer tables for the command and response codecs: every command and response
//! example of RFC 1939, RFC 2449 and RFC 5034, plus invalid input.

use std::borrow::Cow;
use std::num::NonZeroU32;

use bytes::BytesMut;
use pop3_proto::codec::{
    DecodeError, decode_command, decode_response, encode_command, encode_response,
};
use pop3_proto::types::{ApopDigest, Command, Password, Response, ResponseCode, SaslData, Status};

fn n(v: u32) -> NonZeroU32 {
    NonZeroU32::new(v).unwrap()
}

fn user(name: &'static str) -> Command<'static> {
    Command::User(Cow::Borrowed(name))
}

#[test]
fn commands_from_the_rfcs() {
    let digest = ApopDigest::from_hex("c4c9334bac560ecc979e58001b3e22fb").unwrap();
    let table: Vec<(&[u8], usize, Command<'static>)> = vec![
        // RFC 1939 sections 4 to 7 and 10.
        (b"QUIT\r\n", 6, Command::Quit),
        (b"STAT\r\n", 6, Command::Stat),
        (b"LIST\r\n", 6, Command::List(None)),
        (b"LIST 2\r\n", 8, Command::List(Some(n(2)))),
        (b"LIST 3\r\n", 8, Command::List(Some(n(3)))),
        (b"RETR 1\r\n", 8, Command::Retr(n(1))),
        (b"DELE 1\r\n", 8, Command::Dele(n(1))),
        (b"DELE 2\r\n", 8, Command::Dele(n(2))),
        (b"NOOP\r\n", 6, Command::Noop),
        (b"RSET\r\n", 6, Command::Rset),
        (
            b"TOP 1 10\r\n",
            10,
            Command::Top {
                msg: n(1),
                lines: 10,
            },
        ),
        (
            b"TOP 100 3\r\n",
            11,
            Command::Top {
                msg: n(100),
                lines: 3,
            },
        ),
        (b"UIDL\r\n", 6, Command::Uidl(None)),
        (b"UIDL 2\r\n", 8, Command::Uidl(Some(n(2)))),
        (b"USER frated\r\n", 13, user("frated")),
        (b"USER mrose\r\n", 12, user("mrose")),
        (
            b"PASS secret\r\n",
            13,
            Command::Pass(Password::new(&b"secret"[..])),
        ),
        (
            b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            45,
            Command::Apop {
                name: Cow::Borrowed("mrose"),
                digest,
            },
        ),
        // RFC 2449, RFC 2595, RFC 6856.
        (b"CAPA\r\n", 6, Command::Capa),
        (b"STLS\r\n", 6, Command::Stls),
        (b"UTF8\r\n", 6, Command::Utf8),
        (b"LANG\r\n", 6, Command::Lang(None)),
        (b"LANG fr\r\n", 9, Command::Lang(Some(Cow::Borrowed("fr")))),
        (b"LANG *\r\n", 8, Command::Lang(Some(Cow::Borrowed("*")))),
        // RFC 5034 section 6.
        (
            b"AUTH GSSAPI\r\n",
            13,
            Command::Auth {
                mechanism: Cow::Borrowed("GSSAPI"),
                initial_response: None,
            },
        ),
        (
            b"AUTH PLAIN dGVzdAB0ZXN0AHRlc3Q=\r\n",
            33,
            Command::Auth {
                mechanism: Cow::Borrowed("PLAIN"),
                initial_response: Some(SaslData::new(b"test\0test\0test".to_vec())),
            },
        ),
        (
            b"AUTH EXTERNAL =\r\n",
            17,
            Command::Auth {
                mechanism: Cow::Borrowed("EXTERNAL"),
                initial_response: Some(SaslData::default()),
            },
        ),
        // Case and spacing leniency; trailing input is left alone.
        (b"stat\r\nQUIT\r\n", 6, Command::Stat),
        (b"list  1 \r\n", 10, Command::List(Some(n(1)))),
        (
            b"PASS with spaces \r\n",
            19,
            Command::Pass(Password::new(&b"with spaces "[..])),
        ),
        (b"PASS \r\n", 7, Command::Pass(Password::new(&b""[..]))),
        (
            b"auth plain\r\n",
            12,
            Command::Auth {
                mechanism: Cow::Borrowed("PLAIN"),
                initial_response: None,
            },
        ),
        (b"USER j\xc3\xb6rg\r\n", 12, user("j\u{f6}rg")),
    ];
    for (input, consumed, expected) in table {
        let got = decode_command(input);
        assert_eq!(
            got,
            Ok((consumed, expected)),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn invalid_commands() {
    let table: &[(&[u8], usize, &str)] = &[
        (b"XTND\r\n", 6, "unknown command"),
        (b"RETR\r\n", 6, "a message number is required"),
        (b"RETR 0\r\n", 8, "invalid message number"),
        (b"RETR 4294967296\r\n", 17, "invalid message number"),
        (b"RETR 1 2\r\n", 10, "too many arguments"),
        (
            b"TOP 1\r\n",
            7,
            "TOP needs a message number and a line count",
        ),
        (b"TOP 1 -1\r\n", 10, "invalid line count"),
        (b"NOOP x\r\n", 8, "this command takes no arguments"),
        (b"NOOP\n", 5, "lines must end with CRLF"),
        (b"USER\r\n", 6, "USER needs a name"),
        (b"USER a\x00\r\n", 9, "invalid character in command"),
        (b"USER \xff\r\n", 8, "argument is not valid UTF-8"),
        (b"APOP mrose\r\n", 12, "APOP needs a name and a digest"),
        (
            b"APOP mrose 123\r\n",
            16,
            "the APOP digest must be 32 hexadecimal digits",
        ),
        (b"AUTH\r\n", 6, "AUTH needs a mechanism"),
        (
            b"AUTH PLAIN %%%\r\n",
            16,
            "invalid base64 in initial response",
        ),
        (b"AUTH A B C\r\n", 12, "too many AUTH arguments"),
    ];
    for (input, consumed, reason) in table {
        assert_eq!(
            decode_command(input),
            Err(DecodeError::Invalid {
                consumed: *consumed,
                reason: Cow::Borrowed(*reason)
            }),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(decode_command(b"STAT"), Err(DecodeError::Incomplete));
    assert_eq!(decode_command(b""), Err(DecodeError::Incomplete));
}

#[test]
fn encodes_commands() {
    let table: Vec<(Command<'static>, &str)> = vec![
        (
            Command::Top {
                msg: n(1),
                lines: 0,
            },
            "TOP 1 0\r\n",
        ),
        (Command::List(None), "LIST\r\n"),
        (user("a\r\nDELE 1"), "USER a  DELE 1\r\n"),
        (
            Command::Auth {
                mechanism: Cow::Borrowed("PLAIN"),
                initial_response: Some(SaslData::default()),
            },
            "AUTH PLAIN =\r\n",
        ),
    ];
    for (command, wire) in table {
        let mut out = BytesMut::new();
        encode_command(&command, &mut out);
        assert_eq!(&out[..], wire.as_bytes());
    }
}

#[test]
fn responses_from_the_rfcs() {
    let ok = |t: &'static str| Response::Ok(Status::new(t));
    let err = |t: &'static str| Response::Err(Status::new(t));
    let code = |c, t: &'static str| Response::Err(Status::with_code(c, t));
    let table: Vec<(&[u8], Response<'static>)> = vec![
        (
            b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            ok("POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
        ),
        (
            b"+OK mrose's maildrop has 2 messages (320 octets)\r\n",
            ok("mrose's maildrop has 2 messages (320 octets)"),
        ),
        (b"+OK 2 320\r\n", ok("2 320")),
        (b"+OK 2 200\r\n", ok("2 200")),
        (
            b"-ERR no such message, only 2 messages in maildrop\r\n",
            err("no such message, only 2 messages in maildrop"),
        ),
        (b"+OK\r\n", ok("")),
        (
            b"+OK dewey POP3 server signing off (maildrop empty)\r\n",
            ok("dewey POP3 server signing off (maildrop empty)"),
        ),
        (b"-ERR permission denied\r\n", err("permission denied")),
        (
            b"+OK Capability list follows\r\n",
            ok("Capability list follows"),
        ),
        // RFC 2449 section 8 and RFC 3206.
        (
            b"-ERR [IN-USE] Do you have another POP session running?\r\n",
            code(
                ResponseCode::InUse,
                "Do you have another POP session running?",
            ),
        ),
        (
            b"-ERR [LOGIN-DELAY] wait 15 minutes\r\n",
            code(ResponseCode::LoginDelay, "wait 15 minutes"),
        ),
        (
            b"-ERR [SYS/TEMP] Disk full\r\n",
            code(ResponseCode::SysTemp, "Disk full"),
        ),
        (
            b"-ERR [SYS/PERM] Your account is locked\r\n",
            code(ResponseCode::SysPerm, "Your account is locked"),
        ),
        (
            b"-ERR [AUTH] Invalid password\r\n",
            code(ResponseCode::Auth, "Invalid password"),
        ),
        (b"-ERR [UTF8]\r\n", code(ResponseCode::Utf8, "")),
        (
            b"-ERR [X-FOO/BAR] other\r\n",
            code(ResponseCode::Other(Cow::Borrowed("X-FOO/BAR")), "other"),
        ),
        (b"-ERR [not a code\r\n", err("[not a code")),
        (b"-ERR [] empty\r\n", err("[] empty")),
        (
            b"+OK [sys/temp] case\r\n",
            Response::Ok(Status::with_code(ResponseCode::SysTemp, "case")),
        ),
        // RFC 5034 section 6.
        (b"+ \r\n", Response::Continue(SaslData::default())),
        (b"+\r\n", Response::Continue(SaslData::default())),
        (
            b"+ YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=\r\n",
            Response::Continue(SaslData::new({
                use base64::Engine;
                base64::engine::general_purpose::STANDARD
                    .decode(
                        "YGgGCSqGSIb3EgECAgIBAAD/////6jcyG4GE3KkTzBeBiVHeceP2CWY0SR0fAQAgAAQEBAQ=",
                    )
                    .unwrap()
            })),
        ),
    ];
    for (input, expected) in table {
        assert_eq!(
            decode_response(input),
            Ok((input.len(), expected.clone())),
            "{:?}",
            String::from_utf8_lossy(input)
        );
        let mut out = BytesMut::new();
        encode_response(&expected, &mut out);
        assert_eq!(decode_response(&out), Ok((out.len(), expected)));
    }
}

#[test]
fn invalid_responses() {
    let table: &[&[u8]] = &[
        b"OK\r\n",
        b"+OKAY\r\n",
        b"-ERROR\r\n",
        b"+ !!!\r\n",
        b"\r\n",
        b"+OK\n",
        b"+OK a\rb\r\n",
        b"* OK imap\r\n",
        b"220 smtp\r\n",
    ];
    for input in table {
        assert!(
            matches!(decode_response(input), Err(DecodeError::Invalid { consumed, .. }) if consumed == input.len()),
            "{:?}",
            String::from_utf8_lossy(input)
        );
    }
    assert_eq!(decode_response(b"+OK"), Err(DecodeError::Incomplete));
}
