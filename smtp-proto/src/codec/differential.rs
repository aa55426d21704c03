//! Differential tests: the single-pass command parser against the previous one
//! (`reference`), on generated lines that are mostly valid commands with every kind of
//! fault mixed in. Commands and errors (kind, verb and reason) must be identical.
//!
//! `PROPTEST_CASES` raises the number of cases for a longer run.

use proptest::prelude::*;
use proptest::sample::select;
use proptest::test_runner::FileFailurePersistence;

use super::{decode_command, parse_command_line, reference};

/// Pieces from which text is made: ASCII classes, grammar delimiters, and UTF-8
/// (including U+0085, a C1 control, and U+00A0, which share their first byte).
const PIECES: &[&[u8]] = &[
    b"a",
    b"Z",
    b"0",
    b"9",
    b"-",
    b"_",
    b".",
    b"..",
    b"+",
    b"=",
    b"!",
    b"#",
    b"'",
    b"~",
    b" ",
    b"  ",
    b"\t",
    b"@",
    b"<",
    b">",
    b"\"",
    b"\\",
    b"[",
    b"]",
    b":",
    b";",
    b",",
    b"/",
    b"\x7f",
    b"\x01",
    "\u{e9}".as_bytes(),
    "\u{fc}".as_bytes(),
    "\u{a0}".as_bytes(),
    "\u{85}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{1f600}".as_bytes(),
];

/// Bytes that break a line: CR, LF, NUL and invalid UTF-8.
const BAD_PIECES: &[&[u8]] = &[b"\xc2", b"\xff", b"\x80", b"\xe2\x80", b"\r", b"\n", b"\0"];

fn junk(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(select(PIECES), 0..max).prop_map(|p| p.concat())
}

/// `word` in a random mix of upper and lower case.
fn any_case(word: &'static str) -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(any::<bool>(), word.len()).prop_map(move |upper| {
        word.bytes()
            .zip(upper)
            .map(|(b, u)| {
                if u {
                    b.to_ascii_uppercase()
                } else {
                    b.to_ascii_lowercase()
                }
            })
            .collect()
    })
}

fn atom() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => select(&["user", "a", "first.last", "x+tag", "b\u{fc}cher", "o'neil", "9"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => junk(4),
    ]
}

fn local_part() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        6 => prop::collection::vec(atom(), 1..3).prop_map(|a| a.join(&b"."[..])),
        1 => junk(5).prop_map(|inner| [&b"\""[..], &inner, b"\""].concat()),
        1 => select(&["\"a b\"", "\"a\\\"b\"", "\"\\\\\"", "\"\"", "\"x\\\u{e9}\"", "\"a"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn domain() -> impl Strategy<Value = Vec<u8>> {
    let label = prop_oneof![
        24 => select(&["example", "org", "mail-1", "b\u{fc}cher", "x", "1"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        2 => select(&["-a", "a-", ""][..]).prop_map(|s| s.as_bytes().to_vec()),
        1 => junk(3),
    ];
    prop_oneof![
        10 => prop::collection::vec(label, 1..4).prop_map(|l| l.join(&b"."[..])),
        2 => select(
            &[
                "[192.0.2.1]",
                "[1.2.3]",
                "[01.2.3.4]",
                "[IPv6:2001:db8::1]",
                "[ipv6:::1]",
                "[IPv6:zz]",
                "[IPv6:]",
                "[x-tag:abc]",
                "[-x:a]",
                "[ipv6:a]",
                "[tag:]",
                "[]",
                "[1.2.3.4",
                "[a b]",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
    ]
}

fn path() -> impl Strategy<Value = Vec<u8>> {
    let route = prop_oneof![
        6 => Just(Vec::new()),
        1 => prop::collection::vec(domain(), 1..3).prop_map(|d| {
            let hops: Vec<Vec<u8>> = d.into_iter().map(|d| [&b"@"[..], &d].concat()).collect();
            [hops.join(&b","[..]), b":".to_vec()].concat()
        }),
    ];
    prop_oneof![
        16 => (route, local_part(), domain()).prop_map(|(r, l, d)| {
            [&b"<"[..], &r, &l, b"@", &d, b">"].concat()
        }),
        1 => select(&["<>", "<Postmaster>", "<pOSTmaster>", "<postmaster@x>", "<a@b", "a@b", "<a>"][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => junk(6).prop_map(|j| [&b"<"[..], &j, b">"].concat()),
    ]
}

/// Keywords, each with values that are valid for it.
const PARAMS: &[(&str, &[&str])] = &[
    (
        "SIZE",
        &["123", "0", "18446744073709551615", "00000000000000000001"],
    ),
    ("BODY", &["7BIT", "8bitmime", "BINARYMIME"]),
    ("RET", &["FULL", "hdrs"]),
    ("ENVID", &["abc", "a+2Bb+3Dc", "+C3+A9", "x<y>"]),
    ("AUTH", &["<>", "user+40example.org", "e+C3+A9"]),
    (
        "NOTIFY",
        &[
            "NEVER",
            "success",
            "SUCCESS,FAILURE",
            "delay,success,failure",
        ],
    ),
    ("ORCPT", &["rfc822;a@b", "utf-8;x+2By", "x-a!;+C3+BC"]),
    ("X-FOO", &["bar", "\u{e9}t\u{e9}", "<>"]),
    ("HOLDFOR", &["10"]),
];

/// Values that are invalid for some or all keywords.
const ODD_VALUES: &[&str] = &[
    "18446744073709551616",
    "123456789012345678901",
    "12a",
    "",
    "SUCCESS,SUCCESS",
    "SUCCESS,",
    "NEVER,DELAY",
    "x@y;z",
    ";a",
    "rfc822",
    "+0D",
    "+FF",
    "a+2",
    "a=b",
];

fn param() -> impl Strategy<Value = Vec<u8>> {
    let pair = select(PARAMS).prop_flat_map(|(key, values)| (any_case(key), select(values)));
    let key = select(PARAMS).prop_flat_map(|(key, _)| any_case(key));
    let flag = select(&["SMTPUTF8", "REQUIRETLS", "X-FLAG"][..]).prop_flat_map(any_case);
    let any_value = prop_oneof![
        select(PARAMS).prop_flat_map(|(_, values)| select(values)),
        select(ODD_VALUES),
    ];
    prop_oneof![
        10 => pair.prop_map(|(k, v)| [&k[..], b"=", v.as_bytes()].concat()),
        3 => flag,
        3 => (key.clone(), any_value).prop_map(|(k, v)| [&k[..], b"=", v.as_bytes()].concat()),
        1 => key,
        1 => (junk(3), junk(3)).prop_map(|(k, v)| [k, b"=".to_vec(), v].concat()),
        1 => junk(3),
    ]
}

/// Separators between parameters: usually one space.
fn gap() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![16 => Just(b" ".to_vec()), 2 => Just(b"   ".to_vec()), 1 => junk(2)]
}

fn params() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec((gap(), param()), 0..4)
        .prop_map(|ps| ps.into_iter().flat_map(|(g, p)| [g, p]).flatten().collect())
}

fn mail_or_rcpt() -> impl Strategy<Value = Vec<u8>> {
    let command = prop_oneof![
        8 => select(&[("MAIL", "FROM:"), ("RCPT", "TO:")][..])
            .prop_flat_map(|(verb, keyword)| (any_case(verb), any_case(keyword))),
        1 => (
            select(&["MAIL", "RCPT"][..]).prop_flat_map(any_case),
            select(&["FROM", "TO :", "FROM:TO:", "", "TO:", "FROM:"][..])
                .prop_map(|s| s.as_bytes().to_vec()),
        ),
    ];
    let space = prop_oneof![
        8 => Just(Vec::new()),
        1 => select(&[" ", "  ", "\t", " \t"][..]).prop_map(|s| s.as_bytes().to_vec()),
    ];
    (command, space, path(), params())
        .prop_map(|((v, k), s, p, ps)| [v, b" ".to_vec(), k, s, p, ps].concat())
}

fn auth() -> impl Strategy<Value = Vec<u8>> {
    let mechanism = prop_oneof![
        8 => select(&["PLAIN", "LOGIN", "CRAM-MD5", "X-UNKNOWN_1", "SCRAM-SHA-256-PLUS"][..])
            .prop_flat_map(any_case),
        1 => select(&["ABCDEFGHIJKLMNOPQRST", "ABCDEFGHIJKLMNOPQRSTU", "X.Y", ""][..])
            .prop_map(|s| s.as_bytes().to_vec()),
        1 => junk(3),
    ];
    let response = select(
        &[
            "",
            " =",
            " AHVzZXIAcGFzcw==",
            " AHVzZXIAcGFzcw",
            " AHVzZXIAcGFzcw=",
            " dGVzdA==",
            " dGVzdB==",
            " !!!!",
            " = extra",
            " dGVzdA== extra",
            "  dGVzdA==  ",
        ][..],
    )
    .prop_map(|s| s.as_bytes().to_vec());
    (any_case("AUTH"), mechanism, response).prop_map(|(a, m, r)| [a, b" ".to_vec(), m, r].concat())
}

fn other_command() -> impl Strategy<Value = Vec<u8>> {
    let verb = prop_oneof![
        8 => select(
            &[
                "EHLO", "HELO", "LHLO", "DATA", "BDAT", "RSET", "NOOP", "QUIT", "VRFY", "EXPN",
                "HELP", "STARTTLS", "AUTH", "MAIL", "RCPT",
            ][..],
        )
        .prop_flat_map(any_case),
        1 => select(&["MAI", "DATAX", "STARTTL", "STARTTLSX", "X"][..]).prop_flat_map(any_case),
    ];
    let args = prop_oneof![
        2 => Just(Vec::new()),
        2 => select(
            &[
                "mail.example.com",
                "[192.0.2.1]",
                "my_pc",
                "b\u{fc}cher.de",
                "a b",
                "65536",
                "1234 LAST",
                "0 last",
                "1 LAST x",
                "18446744073709551616",
                "12 FIRST",
                "hello there",
                "Smith",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
        1 => junk(6),
    ];
    let space = select(&["", " ", "  "][..]).prop_map(|s| s.as_bytes().to_vec());
    (verb, space.clone(), args, space).prop_map(|(v, s1, a, s2)| [v, s1, a, s2].concat())
}

/// A command line: a generated command, sometimes damaged, with a line ending that is
/// usually CRLF, and sometimes the start of another command after it.
fn line() -> impl Strategy<Value = Vec<u8>> {
    let command = prop_oneof![
        10 => mail_or_rcpt(),
        2 => auth(),
        4 => other_command(),
        1 => junk(12),
    ];
    let damage = prop_oneof![
        20 => Just(None),
        1 => (any::<prop::sample::Index>(), select(PIECES)).prop_map(Some),
        1 => (any::<prop::sample::Index>(), select(BAD_PIECES)).prop_map(Some),
    ];
    let ending = prop_oneof![
        20 => Just("\r\n"),
        1 => select(&["\n", "\r", "", " \r\n", "\r\r\n"][..]),
    ];
    let next = select(&["", "", "QUIT\r\n", "RCPT TO:<"][..]);
    (command, damage, ending, next).prop_map(|(mut line, damage, ending, next)| {
        if let Some((at, piece)) = damage {
            let at = at.index(line.len() + 1);
            line.splice(at..at, piece.iter().copied());
        }
        [line, ending.as_bytes().to_vec(), next.as_bytes().to_vec()].concat()
    })
}

fn config() -> ProptestConfig {
    // PROPTEST_CASES, when set, reaches only the default configuration.
    let cases = match std::env::var_os("PROPTEST_CASES") {
        Some(_) => ProptestConfig::default().cases,
        None => 10_000,
    };
    ProptestConfig {
        // Failures found in the past are kept next to this file and tried first.
        failure_persistence: Some(Box::new(FileFailurePersistence::SourceParallel(
            "proptest-regressions",
        ))),
        ..ProptestConfig::with_cases(cases)
    }
}

proptest! {
    #![proptest_config(config())]

    /// The line is placed at any alignment: the parser validates text from aligned
    /// addresses (see `scan::Line`).
    #[test]
    fn decode_command_matches_reference(buf in line(), shift in 0..8usize) {
        let shifted = [&vec![b'x'; shift][..], &buf].concat();
        let buf = &shifted[shift..];
        prop_assert_eq!(decode_command(buf), reference::decode_command(buf));
    }

    #[test]
    fn parse_command_line_matches_reference(buf in line()) {
        if let Some(lf) = buf.iter().position(|&b| b == b'\n') {
            let framed = &buf[..=lf];
            prop_assert_eq!(parse_command_line(framed), reference::parse_command_line(framed));
        }
    }
}

/// Hand-picked lines next to the generated ones, each at a boundary of the grammar.
#[test]
fn crafted_lines_match_reference() {
    let lines: &[&[u8]] = &[
        b"DATA\r\n",
        b"DA A\r\n",
        b"DATA\t\r\n",
        b"STARTTLS \r\n",
        b"STARTTL\r\n",
        b"STAR\r\n",
        b"ehlo \xc2\x85x\r\n",
        b"EHLO \xc2\xa0x\r\n",
        b"EHLO \xc2\r\n",
        b"NOOP \xff\t\r\n",
        b"NOOP a\tb\r\n",
        b"NOOP \xc2\x85\r\n",
        b"HELP  \r\n",
        b"VRFY \x7f\r\n",
        b"MAIL FROM:<a@b> SIZE=1 SIZE=x\r\n",
        b"MAIL FROM:<a@b> size=1 SIZE=2\r\n",
        b"MAIL FROM:<a@b> envid=a+2 \r\n",
        b"MAIL FROM:<a@b> AUTH=<> AUTH=<>\r\n",
        b"MAIL FROM:<a@b> X=\xc3\xa9 Y Z=1\r\n",
        b"MAIL FROM:<a@b> \xc3\xa9=1\r\n",
        b"MAIL FROM:<a@b> SMTPUTF8=\xff\r\n",
        b"MAIL FROM:<> BODY=7BIT\r\n",
        b"MAIL FROM:<>\t\r\n",
        b"MAIL FROM:\t<@a,@[1.2.3.4]:u@c>\r\n",
        b"MAIL FROM:<@\xc3\xa9,@b:u@c>\r\n",
        b"MAIL FROM:<@\xff,@b:u@c>\r\n",
        b"RCPT TO:<\"a\\\xc3\xa9\"@b>\r\n",
        b"RCPT TO:<\"a\\\"b\"@b> ORCPT=rfc822;a+40b NOTIFY=DELAY\r\n",
        b"RCPT TO:<Postmaster> ORCPT=;x\r\n",
        b"RCPT TO:<postmaster\xc3\xa9>\r\n",
        b"RCPT TO:<a@[IPv6:2001:db8::1]> X-Y\r\n",
        b"AUTH plain dGVzdA==\r\n",
        b"AUTH x-mech\r\n",
        b"AUTH X-MECH =\r\n",
        b"AUTH PLAIN dGVzdA== x\r\n",
        b"BDAT 00000000000000000001 last\r\n",
        b"\r\n",
        b"\n",
        b"",
    ];
    for line in lines {
        assert_eq!(
            decode_command(line),
            reference::decode_command(line),
            "{:?}",
            String::from_utf8_lossy(line)
        );
    }
}

/// The generated lines must reach deep into the grammar, or the comparison above proves
/// little: every verb is accepted, MAIL and RCPT often with parameters, and many lines
/// are rejected for various reasons.
#[test]
fn generated_lines_cover_the_grammar() {
    use std::collections::HashSet;

    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    use crate::types::Command;

    let mut runner = TestRunner::deterministic();
    let (mut verbs, mut reasons) = (HashSet::new(), HashSet::new());
    let (mut with_params, mut rejected) = (0, 0);
    let cases = 4000;
    for _ in 0..cases {
        let buf = line().new_tree(&mut runner).unwrap().current();
        match decode_command(&buf) {
            Ok((_, command)) => {
                verbs.insert(command.verb());
                let params = match &command {
                    Command::Mail(m) => m.params != Default::default(),
                    Command::Rcpt(r) => r.params != Default::default(),
                    _ => false,
                };
                with_params += usize::from(params);
            }
            Err(e) => {
                rejected += 1;
                reasons.insert(e.to_string());
            }
        }
    }
    assert_eq!(verbs.len(), 15, "accepted verbs: {verbs:?}");
    assert!(with_params > cases / 20, "{with_params} with parameters");
    assert!(
        rejected > cases / 5 && rejected < cases * 3 / 4,
        "{rejected} rejected"
    );
    assert!(reasons.len() > 40, "{} distinct errors", reasons.len());
}
