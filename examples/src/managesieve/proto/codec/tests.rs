//! Known-answer tests of the framer, parser and encoders (the RFC 5804 examples
//! included), a replay of every framing case in every chunking, and round trips.

use proptest::prelude::*;

use super::*;

const LIMITS: FrameLimits = FrameLimits {
    max_line: 40,
    max_literal: 64,
    max_literals: 2,
};

/// What the framer made of an input.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Seen {
    Command(Vec<u8>),
    Rejected(FrameError),
    Fatal(FrameError),
}

/// Feeds `input` in chunks of the sizes `chunks` yields (the rest at once) and
/// collects what the framer found, dropping input exactly as a server does.
fn frame_chunked(input: &[u8], limits: FrameLimits, chunks: &[usize]) -> Vec<Seen> {
    let mut framer = Framer::new(limits);
    let mut buf = Vec::new();
    let mut seen = Vec::new();
    let mut rest = input;
    let mut sizes = chunks.iter();
    loop {
        loop {
            match framer.next(&buf) {
                Framed::NeedMore => break,
                Framed::Command(n) => seen.push(Seen::Command(buf.drain(..n).collect())),
                Framed::Discard(n) => {
                    assert!(n > 0 && n <= buf.len(), "discard {n} of {}", buf.len());
                    buf.drain(..n);
                }
                Framed::Rejected { discard, error } => {
                    buf.drain(..discard);
                    seen.push(Seen::Rejected(error));
                }
                Framed::Fatal(error) => {
                    seen.push(Seen::Fatal(error));
                    return seen;
                }
            }
        }
        if rest.is_empty() {
            return seen;
        }
        let size = sizes
            .next()
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        buf.extend_from_slice(&rest[..size]);
        rest = &rest[size..];
    }
}

fn command(text: &[u8]) -> Seen {
    Seen::Command(text.to_vec())
}

/// `(input, what the framer finds)` with [`LIMITS`].
fn framing_cases() -> Vec<(Vec<u8>, Vec<Seen>)> {
    let long = [b"NOOP \"".as_slice(), &[b'x'; 60], b"\"\r\n"].concat();
    let long_with_literal = [
        b"PUTSCRIPT \"".as_slice(),
        &[b'x'; 60],
        b"\" {6+}\r\nab\r\ncd\r\nLOGOUT\r\n",
    ]
    .concat();
    let smuggled = [
        b"PUTSCRIPT \"a\" {80+}\r\n".as_slice(),
        &b"LOGOUT\r\n".repeat(10),
        b"\r\nNOOP\r\n",
    ]
    .concat();
    vec![
        (b"CAPABILITY\r\n".to_vec(), vec![command(b"CAPABILITY\r\n")]),
        (
            b"NOOP\nLOGOUT\r\n".to_vec(),
            vec![command(b"NOOP\n"), command(b"LOGOUT\r\n")],
        ),
        (
            b"PUTSCRIPT \"a\" {6+}\r\nab\r\ncd\r\nNOOP\r\n".to_vec(),
            vec![
                command(b"PUTSCRIPT \"a\" {6+}\r\nab\r\ncd\r\n"),
                command(b"NOOP\r\n"),
            ],
        ),
        (
            b"PUTSCRIPT {1+}\r\na {3}\r\nxyz\r\n".to_vec(),
            vec![command(b"PUTSCRIPT {1+}\r\na {3}\r\nxyz\r\n")],
        ),
        (
            b"CHECKSCRIPT {0+}\r\n\r\n".to_vec(),
            vec![command(b"CHECKSCRIPT {0+}\r\n\r\n")],
        ),
        // Braces inside a quoted string, or not a number: no literal.
        (
            b"NOOP \"{5+}\"\r\n".to_vec(),
            vec![command(b"NOOP \"{5+}\"\r\n")],
        ),
        (b"NOOP {abc}\r\n".to_vec(), vec![command(b"NOOP {abc}\r\n")]),
        (
            [long.as_slice(), b"LOGOUT\r\n"].concat(),
            vec![
                Seen::Rejected(FrameError::LineTooLong),
                command(b"LOGOUT\r\n"),
            ],
        ),
        // The literal announced at the end of an overlong line is skipped too: its
        // CRLF does not end the command.
        (
            long_with_literal,
            vec![
                Seen::Rejected(FrameError::LineTooLong),
                command(b"LOGOUT\r\n"),
            ],
        ),
        // A literal over the limit is skipped whole: nothing inside it is executed.
        (
            smuggled,
            vec![
                Seen::Rejected(FrameError::LiteralTooLarge { limit: 64 }),
                command(b"NOOP\r\n"),
            ],
        ),
        // The limit is on all literals of a command together.
        (
            [
                b"PUTSCRIPT {40+}\r\n".as_slice(),
                &[b'n'; 40],
                b" {40+}\r\n",
                &[b's'; 40],
                b"\r\nNOOP\r\n",
            ]
            .concat(),
            vec![
                Seen::Rejected(FrameError::LiteralTooLarge { limit: 64 }),
                command(b"NOOP\r\n"),
            ],
        ),
        (
            b"X {1+}\r\na {1+}\r\nb {1+}\r\nc\r\nNOOP\r\n".to_vec(),
            vec![
                Seen::Rejected(FrameError::TooManyLiterals),
                command(b"NOOP\r\n"),
            ],
        ),
        (
            b"PUTSCRIPT \"a\" {99999999999+}\r\nNOOP\r\n".to_vec(),
            vec![Seen::Fatal(FrameError::BadLiteralLength)],
        ),
        (
            [&long[..50], b" {4294967296+}\r\n".as_slice()].concat(),
            vec![Seen::Fatal(FrameError::BadLiteralLength)],
        ),
    ]
}

#[test]
fn framing_known_answers() {
    for (input, expected) in framing_cases() {
        let seen = frame_chunked(&input, LIMITS, &[]);
        assert_eq!(seen, expected, "{}", String::from_utf8_lossy(&input));
    }
}

#[test]
fn framing_is_the_same_split_at_every_byte() {
    for (input, expected) in framing_cases() {
        for split in 1..input.len() {
            let seen = frame_chunked(&input, LIMITS, &[split]);
            assert_eq!(
                seen,
                expected,
                "split at {split}: {}",
                String::from_utf8_lossy(&input)
            );
        }
        let bytewise = frame_chunked(&input, LIMITS, &vec![1; input.len()]);
        assert_eq!(bytewise, expected, "byte by byte");
    }
}

proptest! {
    #[test]
    fn framing_is_the_same_in_random_chunks(
        case in 0..framing_cases().len(),
        chunks in prop::collection::vec(1usize..9, 0..80),
    ) {
        let (input, expected) = &framing_cases()[case];
        prop_assert_eq!(&frame_chunked(input, LIMITS, &chunks), expected);
    }

    #[test]
    fn framing_never_panics_and_always_consumes(input in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = frame_chunked(&input, LIMITS, &[7, 1, 13]);
    }

    /// Any bytes survive encode_string and the parser (as a NOOP tag).
    #[test]
    fn encoded_strings_round_trip(tag in prop::collection::vec(any::<u8>(), 0..1100)) {
        let mut out = BytesMut::from(&b"NOOP "[..]);
        encode_string(&tag, &mut out);
        out.put_slice(b"\r\n");
        let limits = FrameLimits { max_line: 4096, max_literal: 4096, max_literals: 2 };
        let seen = frame_chunked(&out, limits, &[]);
        prop_assert_eq!(seen.len(), 1);
        let parsed = parse_command(&out.freeze());
        prop_assert_eq!(parsed, Ok(Command::Noop { tag: Some(tag) }));
    }
}

fn parse(text: &[u8]) -> Result<Command, ParseError> {
    parse_command(&Bytes::copy_from_slice(text))
}

fn name(text: &str) -> ScriptName {
    ScriptName::new(text).unwrap()
}

#[test]
fn commands_of_the_rfc_examples() {
    let cases: Vec<(&[u8], Command)> = vec![
        (b"CAPABILITY\r\n", Command::Capability),
        (b"capability\r\n", Command::Capability),
        (b"Listscripts\r\n", Command::ListScripts),
        (b"LOGOUT\r\n", Command::Logout),
        (b"StartTls\r\n", Command::StartTls),
        (b"UNAUTHENTICATE\r\n", Command::Unauthenticate),
        (
            b"Authenticate \"DIGEST-MD5\"\r\n",
            Command::Authenticate {
                mechanism: "DIGEST-MD5".into(),
                initial: None,
            },
        ),
        (
            b"AUTHENTICATE \"PLAIN\" {16+}\r\nAGtlbgBzZWNyZXQ=\r\n",
            Command::Authenticate {
                mechanism: "PLAIN".into(),
                initial: Some(SaslData(b"\0ken\0secret".to_vec())),
            },
        ),
        (
            b"AUTHENTICATE scram-sha-256 \"\"\r\n",
            Command::Authenticate {
                mechanism: "SCRAM-SHA-256".into(),
                initial: Some(SaslData(Vec::new())),
            },
        ),
        (
            b"Putscript \"foo\" {31+}\r\n#comment\r\nInvalidSieveCommand\r\n\r\n",
            Command::PutScript {
                name: name("foo"),
                content: Bytes::from_static(b"#comment\r\nInvalidSieveCommand\r\n"),
            },
        ),
        (
            b"HAVESPACE \"myscript\" 999999\r\n",
            Command::HaveSpace {
                name: name("myscript"),
                size: 999_999,
            },
        ),
        (
            b"Setactive \"vacationscript\"\r\n",
            Command::SetActive {
                name: Some(name("vacationscript")),
            },
        ),
        (b"SETACTIVE \"\"\r\n", Command::SetActive { name: None }),
        (
            b"Getscript \"myscript\"\r\n",
            Command::GetScript {
                name: name("myscript"),
            },
        ),
        (
            b"Deletescript \"foo\"\r\n",
            Command::DeleteScript { name: name("foo") },
        ),
        (
            b"Renamescript \"foo\" \"bar\"\r\n",
            Command::RenameScript {
                from: name("foo"),
                to: name("bar"),
            },
        ),
        (
            b"CheckScript {13+}\r\nkeep; # done\n\r\n",
            Command::CheckScript {
                content: Bytes::from_static(b"keep; # done\n"),
            },
        ),
        (
            b"NOOP \"STARTTLS-SYNC-42\"\r\n",
            Command::Noop {
                tag: Some(b"STARTTLS-SYNC-42".to_vec()),
            },
        ),
        (b"NOOP\n", Command::Noop { tag: None }),
        (
            b"GETSCRIPT \"a\\\"b\\\\c\"\r\n",
            Command::GetScript {
                name: name("a\"b\\c"),
            },
        ),
        (
            b"GETSCRIPT  {5+}\r\nM\xc3\xbcll\r\n",
            Command::GetScript {
                name: name("Müll")
            },
        ),
    ];
    for (input, expected) in cases {
        let parsed = parse(input);
        assert_eq!(parsed, Ok(expected), "{}", String::from_utf8_lossy(input));
    }
}

#[test]
fn malformed_commands_are_refused_with_a_reason() {
    let syntax = |s| Err(ParseError::Syntax(s));
    let cases: Vec<(&[u8], Result<Command, ParseError>)> = vec![
        (b"FOO\r\n", Err(ParseError::UnknownCommand)),
        (b"\r\n", syntax("expected a command name")),
        (b"\"NOOP\"\r\n", syntax("expected a command name")),
        (b"GETSCRIPT\r\n", syntax("the command takes a script name")),
        (
            b"GETSCRIPT foo\r\n",
            syntax("the command takes a script name"),
        ),
        (
            b"GETSCRIPT \"a\" \"b\"\r\n",
            syntax("the command takes a script name"),
        ),
        (
            b"GETSCRIPT \"a/b\"\r\n",
            Err(ParseError::Name(NameError::Slash)),
        ),
        (
            b"GETSCRIPT \"..\"\r\n",
            Err(ParseError::Name(NameError::LeadingDot)),
        ),
        (
            b"GETSCRIPT \"\"\r\n",
            Err(ParseError::Name(NameError::Empty)),
        ),
        (
            b"GETSCRIPT {2+}\r\n\xff\xfe\r\n",
            Err(ParseError::Name(NameError::NotUtf8)),
        ),
        (
            b"GETSCRIPT {3+}\r\na\nb\r\n",
            Err(ParseError::Name(NameError::ControlCharacter)),
        ),
        (
            b"GETSCRIPT \"caf\xe9\"\r\n",
            syntax("quoted string is not UTF-8"),
        ),
        (
            b"GETSCRIPT \"open\r\n",
            syntax("unterminated quoted string"),
        ),
        (
            b"GETSCRIPT \"a\\q\"\r\n",
            syntax("invalid escape in quoted string"),
        ),
        (
            b"GETSCRIPT \"a\"\"b\"\r\n",
            syntax("expected a space between arguments"),
        ),
        (b"GETSCRIPT (a)\r\n", syntax("unexpected character")),
        (b"NOOP {abc}\r\n", syntax("invalid literal")),
        (b"LOGOUT now\r\n", syntax("the command takes no arguments")),
        (b"HAVESPACE \"a\" -1\r\n", syntax("invalid number")),
        (b"HAVESPACE \"a\" 4294967296\r\n", syntax("invalid number")),
        (
            b"HAVESPACE \"a\" \"10\"\r\n",
            syntax("HAVESPACE takes a name and a number"),
        ),
        (
            b"PUTSCRIPT \"a\"\r\n",
            syntax("PUTSCRIPT takes a name and a script"),
        ),
        (
            b"RENAMESCRIPT \"a\"\r\n",
            syntax("RENAMESCRIPT takes two names"),
        ),
        (
            b"AUTHENTICATE \"PLAIN\" \"!!\"\r\n",
            Err(ParseError::Base64),
        ),
        (
            b"AUTHENTICATE \"PL AIN\"\r\n",
            syntax("invalid SASL mechanism name"),
        ),
        (
            b"Authenticate \"PLAIN\" \"QJIrweAPyo6Q1T9xu\"\r\n",
            Err(ParseError::Base64),
        ),
        (
            b"AUTHENTICATE \"PL$IN\"\r\n",
            syntax("invalid SASL mechanism name"),
        ),
        (
            b"AUTHENTICATE\r\n",
            syntax("AUTHENTICATE takes a mechanism and an optional initial response"),
        ),
    ];
    for (input, expected) in cases {
        assert_eq!(parse(input), expected, "{}", String::from_utf8_lossy(input));
    }
    let long = [b"NOOP \"".as_slice(), &[b'a'; MAX_QUOTED + 1], b"\"\r\n"].concat();
    assert_eq!(parse(&long), syntax("quoted string too long"));
    let max = [b"NOOP \"".as_slice(), &[b'a'; MAX_QUOTED], b"\"\r\n"].concat();
    assert!(parse(&max).is_ok());
}

#[test]
fn sasl_replies() {
    let reply = |text: &[u8]| parse_sasl_reply(&Bytes::copy_from_slice(text));
    let data = |bytes: &[u8]| Ok(SaslReply::Data(SaslData(bytes.to_vec())));
    assert_eq!(reply(b"\"AGtlbgBzZWNyZXQ=\"\r\n"), data(b"\0ken\0secret"));
    assert_eq!(
        reply(b"{16+}\r\nAGtlbgBzZWNyZXQ=\r\n"),
        data(b"\0ken\0secret")
    );
    assert_eq!(reply(b"AGtlbgBzZWNyZXQ=\r\n"), data(b"\0ken\0secret"));
    assert_eq!(reply(b"\"\"\r\n"), data(b""));
    assert_eq!(reply(b"{0+}\r\n\r\n"), data(b""));
    assert_eq!(reply(b"\r\n"), data(b""));
    assert_eq!(reply(b"\"*\"\r\n"), Ok(SaslReply::Cancel));
    assert_eq!(reply(b"*\r\n"), Ok(SaslReply::Cancel));
    assert_eq!(reply(b"\"@@\"\r\n"), Err(ParseError::Base64));
    assert_eq!(
        reply(b"\"a\" \"b\"\r\n"),
        Err(ParseError::Syntax("expected one string"))
    );
}

fn encoded(f: impl FnOnce(&mut BytesMut)) -> String {
    let mut out = BytesMut::new();
    f(&mut out);
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn strings_are_quoted_when_they_can_be() {
    let cases: [(&[u8], &str); 6] = [
        (b"abc", "\"abc\""),
        (b"", "\"\""),
        (b"a\"b\\c", "\"a\\\"b\\\\c\""),
        ("Müll".as_bytes(), "\"Müll\""),
        (b"a\r\nb", "{4}\r\na\r\nb"),
        (b"nul\0", "{4}\r\nnul\0"),
    ];
    for (input, expected) in cases {
        assert_eq!(encoded(|out| encode_string(input, out)), expected);
    }
    assert_eq!(
        encoded(|out| encode_string(b"\xff", out)),
        "{1}\r\n\u{fffd}"
    );
    let long = "a".repeat(MAX_QUOTED + 1);
    assert!(encoded(|out| encode_string(long.as_bytes(), out)).starts_with("{1025}\r\naaa"));
}

#[test]
fn responses_of_the_rfc_examples() {
    let cases = [
        (Outcome::Ok, Status::default(), "OK\r\n"),
        (
            Outcome::No,
            Status::with_code(ResponseCode::QuotaMaxSize, "Quota exceeded"),
            "NO (QUOTA/MAXSIZE) \"Quota exceeded\"\r\n",
        ),
        (
            Outcome::Ok,
            Status {
                code: Some(ResponseCode::Tag(b"STARTTLS-SYNC-42".to_vec())),
                text: Some("Done".into()),
            },
            "OK (TAG \"STARTTLS-SYNC-42\") \"Done\"\r\n",
        ),
        (
            Outcome::No,
            Status::with_code(ResponseCode::NonExistent, "There is no script by that name"),
            "NO (NONEXISTENT) \"There is no script by that name\"\r\n",
        ),
        (
            Outcome::No,
            Status::with_code(ResponseCode::Active, "You may not delete an active script"),
            "NO (ACTIVE) \"You may not delete an active script\"\r\n",
        ),
        (
            Outcome::No,
            Status::with_code(ResponseCode::AlreadyExists, "bar exists"),
            "NO (ALREADYEXISTS) \"bar exists\"\r\n",
        ),
        (
            Outcome::No,
            Status::new("line 2: Syntax error"),
            "NO \"line 2: Syntax error\"\r\n",
        ),
        (
            Outcome::Bye,
            Status::with_code(ResponseCode::TryLater, "Server shutting down."),
            "BYE (TRYLATER) \"Server shutting down.\"\r\n",
        ),
        (
            Outcome::No,
            Status::with_code(ResponseCode::EncryptNeeded, "use TLS"),
            "NO (ENCRYPT-NEEDED) \"use TLS\"\r\n",
        ),
        (
            Outcome::No,
            Status::new("two\nlines"),
            "NO {9}\r\ntwo\nlines\r\n",
        ),
    ];
    for (outcome, status, expected) in cases {
        assert_eq!(
            encoded(|out| encode_response(outcome, &status, out)),
            expected
        );
    }
    let codes = [
        (ResponseCode::Quota, "QUOTA"),
        (ResponseCode::QuotaMaxScripts, "QUOTA/MAXSCRIPTS"),
    ];
    for (code, text) in codes {
        let status = Status {
            code: Some(code),
            text: None,
        };
        assert_eq!(
            encoded(|out| encode_response(Outcome::Ok, &status, out)),
            format!("OK ({text})\r\n")
        );
    }
}
