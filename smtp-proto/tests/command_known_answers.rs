//! Known-answer tables for the command decoder: `(input, consumed, expected)`.

use std::borrow::Cow;

use smtp_proto::codec::{CommandErrorKind, DecodeError, decode_command, parse_command_line};
use smtp_proto::types::{
    Address, Body, Command, InitialResponse, MailFrom, MailParams, Notify, Orcpt, Param,
    RcptParams, RcptTo, Ret,
};

fn addr(local: &str, domain: &str) -> Address<'static> {
    Address::new(local.to_owned(), domain.to_owned())
}

fn mail(sender: Option<Address<'static>>, params: MailParams<'static>) -> Command<'static> {
    Command::Mail(MailFrom { sender, params })
}

fn rcpt(recipient: Address<'static>, params: RcptParams<'static>) -> Command<'static> {
    Command::Rcpt(RcptTo { recipient, params })
}

fn text(s: &str) -> Cow<'static, str> {
    Cow::Owned(s.to_owned())
}

fn check(table: &[(&[u8], usize, Command<'static>)]) {
    for (input, consumed, expected) in table {
        let got = decode_command(input);
        assert_eq!(
            got,
            Ok((*consumed, expected.clone())),
            "input {:?}",
            String::from_utf8_lossy(input)
        );
    }
}

#[test]
fn simple_commands() {
    check(&[
        (
            b"EHLO mail.example.com\r\n",
            23,
            Command::Ehlo(text("mail.example.com")),
        ),
        (
            b"ehlo [192.0.2.1]\r\nQUIT\r\n",
            18,
            Command::Ehlo(text("[192.0.2.1]")),
        ),
        (
            b"HELO relay.example\r\n",
            20,
            Command::Helo(text("relay.example")),
        ),
        (b"Helo my_pc  \r\n", 14, Command::Helo(text("my_pc"))),
        (b"LHLO foo.edu\r\n", 14, Command::Lhlo(text("foo.edu"))),
        (b"DATA\r\n", 6, Command::Data),
        (b"data \r\n", 7, Command::Data),
        (b"RSET\r\n", 6, Command::Rset),
        (b"NOOP\r\n", 6, Command::Noop(None)),
        (
            b"NOOP hello there\r\n",
            18,
            Command::Noop(Some(text("hello there"))),
        ),
        (b"QUIT\r\nEHLO x\r\n", 6, Command::Quit),
        (b"VRFY Smith\r\n", 12, Command::Vrfy(text("Smith"))),
        (
            b"EXPN Example-People\r\n",
            21,
            Command::Expn(text("Example-People")),
        ),
        (b"HELP\r\n", 6, Command::Help(None)),
        (b"HELP MAIL\r\n", 11, Command::Help(Some(text("MAIL")))),
        (b"STARTTLS\r\n", 10, Command::StartTls),
        (b"StartTLS\r\n", 10, Command::StartTls),
        (
            b"BDAT 86\r\n",
            9,
            Command::Bdat {
                size: 86,
                last: false,
            },
        ),
        (
            b"BDAT 0 LAST\r\n",
            13,
            Command::Bdat {
                size: 0,
                last: true,
            },
        ),
        (
            b"bdat 1000 last\r\n",
            16,
            Command::Bdat {
                size: 1000,
                last: true,
            },
        ),
        (
            b"BDAT 18446744073709551615 LAST\r\n",
            32,
            Command::Bdat {
                size: u64::MAX,
                last: true,
            },
        ),
    ]);
}

#[test]
fn auth_commands() {
    let auth = |mech: &str, ir: Option<&[u8]>| Command::Auth {
        mechanism: text(mech),
        initial_response: ir.map(InitialResponse::from_decoded),
    };
    check(&[
        (b"AUTH PLAIN\r\n", 12, auth("PLAIN", None)),
        (b"auth plain =\r\n", 14, auth("PLAIN", Some(b""))),
        (
            b"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n",
            33,
            auth("PLAIN", Some(b"test\0test\x001234")),
        ),
        (b"AUTH SCRAM-SHA-256\r\n", 20, auth("SCRAM-SHA-256", None)),
        (b"AUTH login\r\n", 12, auth("LOGIN", None)),
        (b"AUTH Plain =\r\n", 14, auth("PLAIN", Some(b""))),
        (b"AUTH PLAINX\r\n", 13, auth("PLAINX", None)),
        (b"AUTH plai\r\n", 11, auth("PLAI", None)),
        (b"AUTH LOGIN2\r\n", 13, auth("LOGIN2", None)),
    ]);
}

/// The initial response stays base64 in the command and decodes on demand.
#[test]
fn auth_initial_response_decodes_on_demand() {
    let line = b"AUTH PLAIN AHVzZXIAcGFzcw==\r\n";
    let Ok((
        _,
        Command::Auth {
            initial_response: Some(ir),
            ..
        },
    )) = decode_command(line)
    else {
        panic!("not an AUTH command with a response");
    };
    assert_eq!(ir.as_base64(), b"AHVzZXIAcGFzcw==");
    assert_eq!(ir.decode(), b"\0user\0pass");
    assert!(!ir.is_empty());
    assert_eq!(format!("{ir:?}"), "***");
    let Ok((
        _,
        Command::Auth {
            initial_response: Some(empty),
            ..
        },
    )) = decode_command(b"AUTH PLAIN =\r\n")
    else {
        panic!("not an AUTH command with a response");
    };
    assert!(empty.is_empty() && empty.decode().is_empty());
    // Not canonical (padding bits set, missing padding, bad symbol): rejected when parsed.
    for bad in ["AHVzZXIAcGFzcx==", "AHVzZXIAcGFzcw", "AHVz*XIA"] {
        let line = format!("AUTH PLAIN {bad}\r\n");
        let error = parse_command_line(line.as_bytes()).unwrap_err();
        assert_eq!(error.kind, CommandErrorKind::Syntax, "{bad}");
    }
}

#[test]
fn mail_paths_and_params() {
    let p = MailParams::default;
    check(&[
        (b"MAIL FROM:<>\r\n", 14, mail(None, p())),
        (
            b"MAIL FROM:<Smith@bar.com>\r\n",
            27,
            mail(Some(addr("Smith", "bar.com")), p()),
        ),
        (b"mail from:<a@b>\r\n", 17, mail(Some(addr("a", "b")), p())),
        // Space after the colon: common in the wild, accepted like Postfix does.
        (b"MAIL FROM: <a@b>\r\n", 18, mail(Some(addr("a", "b")), p())),
        (
            b"MAIL FROM:<\"John Doe\"@x.org>\r\n",
            30,
            mail(Some(addr("John Doe", "x.org")), p()),
        ),
        (
            b"MAIL FROM:<@hosta.int,@jkl.org:userc@d.bar.org>\r\n",
            49,
            mail(Some(addr("userc", "d.bar.org")), p()),
        ),
        (
            b"MAIL FROM:<u@[IPv6:2001:db8::1]>\r\n",
            34,
            mail(Some(addr("u", "[IPv6:2001:db8::1]")), p()),
        ),
        (
            "MAIL FROM:<j\u{f6}rg@m\u{fc}nchen.de> SMTPUTF8\r\n".as_bytes(),
            40,
            mail(
                Some(addr("j\u{f6}rg", "m\u{fc}nchen.de")),
                MailParams {
                    smtputf8: true,
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<a@b> SIZE=1000 BODY=8BITMIME\r\n",
            41,
            mail(
                Some(addr("a", "b")),
                MailParams {
                    size: Some(1000),
                    body: Some(Body::EightBitMime),
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<a@b>  body=binarymime  size=0 \r\n",
            43,
            mail(
                Some(addr("a", "b")),
                MailParams {
                    size: Some(0),
                    body: Some(Body::BinaryMime),
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<a@b> BODY=7BIT RET=HDRS ENVID=QQ314159+2Bx REQUIRETLS\r\n",
            66,
            mail(
                Some(addr("a", "b")),
                MailParams {
                    body: Some(Body::SevenBit),
                    ret: Some(Ret::Headers),
                    envid: Some(text("QQ314159+x")),
                    requiretls: true,
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<a@b> RET=full AUTH=e+3Dmc2@example.com\r\n",
            51,
            mail(
                Some(addr("a", "b")),
                MailParams {
                    ret: Some(Ret::Full),
                    auth: Some(text("e=mc2@example.com")),
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<> AUTH=<>\r\n",
            22,
            mail(
                None,
                MailParams {
                    auth: Some(text("<>")),
                    ..p()
                },
            ),
        ),
        (
            b"MAIL FROM:<a@b> X-FOO=bar XYZ\r\n",
            31,
            mail(
                Some(addr("a", "b")),
                MailParams {
                    other: vec![
                        Param {
                            keyword: text("X-FOO"),
                            value: Some(text("bar")),
                        },
                        Param {
                            keyword: text("XYZ"),
                            value: None,
                        },
                    ],
                    ..p()
                },
            ),
        ),
    ]);
}

#[test]
fn rcpt_paths_and_params() {
    let p = RcptParams::default;
    check(&[
        (
            b"RCPT TO:<Jones@XYZ.COM>\r\n",
            25,
            rcpt(addr("Jones", "XYZ.COM"), p()),
        ),
        (
            b"RCPT TO:<Postmaster>\r\n",
            22,
            rcpt(addr("Postmaster", ""), p()),
        ),
        (
            b"rcpt to:<postmaster>\r\n",
            22,
            rcpt(addr("postmaster", ""), p()),
        ),
        (
            b"RCPT TO: <a@[192.0.2.7]>\r\n",
            26,
            rcpt(addr("a", "[192.0.2.7]"), p()),
        ),
        (
            b"RCPT TO:<a@b> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;Bob+40x.org\r\n",
            63,
            rcpt(
                addr("a", "b"),
                RcptParams {
                    notify: Some(Notify::On {
                        success: true,
                        failure: true,
                        delay: false,
                    }),
                    orcpt: Some(Orcpt {
                        addr_type: text("rfc822"),
                        address: text("Bob@x.org"),
                    }),
                    ..p()
                },
            ),
        ),
        (
            b"RCPT TO:<a@b> NOTIFY=never\r\n",
            28,
            rcpt(
                addr("a", "b"),
                RcptParams {
                    notify: Some(Notify::Never),
                    ..p()
                },
            ),
        ),
        (
            b"RCPT TO:<a@b> NOTIFY=delay\r\n",
            28,
            rcpt(
                addr("a", "b"),
                RcptParams {
                    notify: Some(Notify::On {
                        success: false,
                        failure: false,
                        delay: true,
                    }),
                    ..p()
                },
            ),
        ),
    ]);
}

#[test]
fn incomplete_input() {
    for input in [&b""[..], b"MAIL FROM:<a@b>", b"NOOP\r", b"EHLO x"] {
        assert_eq!(decode_command(input), Err(DecodeError::Incomplete));
    }
}

/// `(input, consumed, kind)` for invalid lines: the consumed count lets a server skip
/// exactly the bad line.
#[test]
fn invalid_lines() {
    use CommandErrorKind::*;
    let table: &[(&[u8], usize, CommandErrorKind)] = &[
        (b"FOO bar\r\nQUIT\r\n", 9, UnknownCommand),
        (b"\r\n", 2, UnknownCommand),
        (b"MAILFROM:<a@b>\r\n", 16, UnknownCommand),
        (b"NOOP\n", 5, LineEnding),
        (b"MAIL FROM:<a@b>\nRCPT TO:<c@d>\r\n", 16, LineEnding),
        (b"NOOP\rQUIT\r\n", 11, LineEnding),
        (b"NOOP \0\r\n", 8, LineEnding),
        (b"NOOP \xff\r\n", 8, Encoding),
        (b"EHLO\r\n", 6, Syntax),
        (b"EHLO a b\r\n", 10, Syntax),
        (b"DATA now\r\n", 10, Syntax),
        (b"QUIT x\r\n", 8, Syntax),
        (b"VRFY\r\n", 6, Syntax),
        (b"MAIL TO:<a@b>\r\n", 15, Syntax),
        (b"MAIL FROM <a@b>\r\n", 17, Syntax),
        (b"MAIL FROM:a@b\r\n", 15, Address),
        (b"MAIL FROM:<a@b\r\n", 16, Address),
        (b"MAIL FROM:<Postmaster>\r\n", 24, Address),
        (b"MAIL FROM:<a@b>SIZE=1\r\n", 23, Address),
        (b"RCPT TO:<>\r\n", 12, Address),
        (b"RCPT TO:<a..b@c>\r\n", 18, Address),
        (b"RCPT TO:<a@b> NOTIFY=NEVER,SUCCESS\r\n", 36, Parameter),
        (b"RCPT TO:<a@b> NOTIFY=SUCCESS,SUCCESS\r\n", 38, Parameter),
        (b"RCPT TO:<a@b> ORCPT=rfc822\r\n", 28, Parameter),
        (b"RCPT TO:<a@b> ORCPT=rfc822;a+zz\r\n", 33, Parameter),
        (b"MAIL FROM:<a@b> SIZE=1 SIZE=2\r\n", 31, Parameter),
        (b"MAIL FROM:<a@b> SIZE=-1\r\n", 25, Parameter),
        (
            b"MAIL FROM:<a@b> SIZE=99999999999999999999\r\n",
            43,
            Parameter,
        ),
        (b"MAIL FROM:<a@b> SIZE\r\n", 22, Parameter),
        (b"MAIL FROM:<a@b> BODY=9BIT\r\n", 27, Parameter),
        (b"MAIL FROM:<a@b> SMTPUTF8=yes\r\n", 30, Parameter),
        (b"MAIL FROM:<a@b> SMTPUTF8 SMTPUTF8\r\n", 35, Parameter),
        (b"MAIL FROM:<a@b> RET=ALL\r\n", 25, Parameter),
        (b"MAIL FROM:<a@b> ENVID=a=b\r\n", 27, Parameter),
        (b"MAIL FROM:<a@b> -X=1\r\n", 22, Parameter),
        (b"MAIL FROM:<a@b> X=\r\n", 20, Parameter),
        (b"MAIL FROM:<a@b> REQUIRETLS REQUIRETLS\r\n", 39, Parameter),
        (b"MAIL FROM:<a@b> AUTH=<> AUTH=<>\r\n", 33, Parameter),
        (b"BDAT\r\n", 6, Syntax),
        (b"BDAT x\r\n", 8, Syntax),
        (b"BDAT 1 MORE\r\n", 13, Syntax),
        (b"BDAT 18446744073709551616\r\n", 27, Syntax),
        (b"AUTH\r\n", 6, Syntax),
        (b"AUTH PLAIN !!!\r\n", 16, Syntax),
        (b"AUTH PL@IN\r\n", 12, Syntax),
        (b"AUTH PLAIN a b\r\n", 16, Syntax),
    ];
    for (input, consumed, kind) in table {
        match decode_command(input) {
            Err(DecodeError::Invalid { consumed: c, .. }) => {
                assert_eq!(c, *consumed, "{:?}", String::from_utf8_lossy(input));
            }
            other => panic!(
                "{:?}: expected invalid, got {other:?}",
                String::from_utf8_lossy(input)
            ),
        }
        let line = &input[..*consumed];
        let err = parse_command_line(line).expect_err("invalid");
        assert_eq!(err.kind, *kind, "{:?}", String::from_utf8_lossy(input));
    }
}

#[test]
fn auth_response_is_redacted_in_debug() {
    let (_, cmd) = decode_command(b"AUTH PLAIN dGVzdAB0ZXN0ADEyMzQ=\r\n").unwrap();
    let shown = format!("{cmd:?}");
    assert!(shown.contains("***"), "{shown}");
    assert!(!shown.contains("116"), "{shown}");
}

#[test]
fn into_owned_keeps_value() {
    let input = b"MAIL FROM:<\"a b\"@c> ENVID=x+2By\r\n".to_vec();
    let owned = decode_command(&input).unwrap().1.into_owned();
    drop(input);
    assert_eq!(
        owned,
        mail(
            Some(addr("a b", "c")),
            MailParams {
                envid: Some(text("x+y")),
                ..Default::default()
            }
        )
    );
}
