//! Edge cases of the hand-written byte scanners in the decoders: number limits and
//! leading zeros, keyword and name case, single-space lists, trailing spaces, lenient
//! server forms and the nesting limit. Each lenient input is checked against the
//! canonical bytes it re-encodes to; each invalid one must be refused whole.

use bytes::BytesMut;
use imap_proto::codec::{
    DecodeError, DecodeOptions, ResponseOptions, decode_command, decode_response,
    decode_response_with, encode_command, encode_response,
};
use imap_proto::types::{
    Atom, Capability, Code, Flag, MailboxAttribute, Response, StatusKind, Untagged,
};

fn reencode(input: &str) -> String {
    let (len, resp) = decode_response(input.as_bytes())
        .unwrap_or_else(|e| panic!("{input:?} does not decode: {e:?}"));
    assert_eq!(len, input.len(), "{input:?}");
    let mut out = BytesMut::new();
    encode_response(&resp, &mut out);
    String::from_utf8(out.to_vec()).unwrap()
}

fn assert_invalid(input: &str) {
    match decode_response(input.as_bytes()) {
        Err(DecodeError::Invalid { consumed, .. }) => {
            assert_eq!(consumed, input.len(), "{input:?}")
        }
        other => panic!("{input:?} should be invalid, got {other:?}"),
    }
}

fn invalid_reason(input: &str, max_depth: usize) -> String {
    let opts = ResponseOptions::new(DecodeOptions::new(4096, 4096), max_depth);
    match decode_response_with(input.as_bytes(), &opts) {
        Err(DecodeError::Invalid {
            consumed, reason, ..
        }) => {
            assert_eq!(consumed, input.len(), "{input:?}");
            reason.into_owned()
        }
        other => panic!("{input:?} should be invalid, got {other:?}"),
    }
}

#[test]
fn lenient_responses_reencode_canonically() {
    let cases = [
        // Numbers: leading zeros, the largest values, any case for the keyword.
        ("* 0000000000000000000012 EXISTS\r\n", "* 12 EXISTS\r\n"),
        ("* 4294967295 exists\r\n", "* 4294967295 EXISTS\r\n"),
        ("* 0 recent\r\n", "* 0 RECENT\r\n"),
        ("* 7 expunge\r\n", "* 7 EXPUNGE\r\n"),
        (
            "* 1 FETCH (MODSEQ (18446744073709551615))\r\n",
            "* 1 FETCH (MODSEQ (18446744073709551615))\r\n",
        ),
        (
            "* 1 FETCH (RFC822.SIZE 000000000000000000000000042)\r\n",
            "* 1 FETCH (RFC822.SIZE 42)\r\n",
        ),
        // Item names, flags and NIL in any case.
        (
            "* 1 fetch (uid 7 flags (\\sEEN \\ANSWERED $Fwd \\X-Custom) rfc822.header nil)\r\n",
            "* 1 FETCH (UID 7 FLAGS (\\Seen \\Answered $Fwd \\X-Custom) RFC822.HEADER NIL)\r\n",
        ),
        ("* 1 FETCH (FLAGS ())\r\n", "* 1 FETCH (FLAGS ())\r\n"),
        (
            "* 1 FETCH (INTERNALDATE \" 7-jul-1996 02:44:25 -0700\")\r\n",
            "* 1 FETCH (INTERNALDATE \" 7-Jul-1996 02:44:25 -0700\")\r\n",
        ),
        (
            "* 1 FETCH (INTERNALDATE \"07-Jul-1996 02:44:25 +0000\")\r\n",
            "* 1 FETCH (INTERNALDATE \" 7-Jul-1996 02:44:25 +0000\")\r\n",
        ),
        // An origin, and `<` without a number is not one.
        (
            "* 1 FETCH (BODY[1]<0> NIL BINARY[] ~{3}\r\na\0b)\r\n",
            "* 1 FETCH (BODY[1]<0> NIL BINARY[] ~{3}\r\na\0b)\r\n",
        ),
        // Status responses: any case, bare LF, no text, codes in any case.
        ("* ok [read-write] done\r\n", "* OK [READ-WRITE] done\r\n"),
        ("a1 no\n", "a1 NO \r\n"),
        (
            "* OK [XFOO bar baz] text\r\n",
            "* OK [XFOO bar baz] text\r\n",
        ),
        (
            "* ok [permanentflags (\\seen \\*)] ok\r\n",
            "* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n",
        ),
        // Data responses: trailing spaces before the line end.
        (
            "* LIST (\\hasnochildren \\XAttr) NIL inbox  \r\n",
            "* LIST (\\HasNoChildren \\XAttr) NIL INBOX\r\n",
        ),
        ("* STATUS x ( )\r\n", "* STATUS x ()\r\n"),
        (
            "* STATUS x (MESSAGES 1 )\r\n",
            "* STATUS x (MESSAGES 1)\r\n",
        ),
        (
            "* STATUS x (appendlimit nil deleted-storage 9)\r\n",
            "* STATUS x (APPENDLIMIT NIL DELETED-STORAGE 9)\r\n",
        ),
        ("* SEARCH 2 3 \r\n", "* SEARCH 2 3\r\n"),
        ("* SEARCH 2 (modseq 7)\r\n", "* SEARCH 2 (MODSEQ 7)\r\n"),
        ("* SORT \r\n", "* SORT\r\n"),
        (
            "* VANISHED (earlier) 1:3,7\r\n",
            "* VANISHED (EARLIER) 1:3,7\r\n",
        ),
        // THREAD: adjacent or spaced lists; a single branch folds into the chain.
        (
            "* THREAD (1)(2 3) ((4)(5))\r\n",
            "* THREAD (1)(2 3)((4)(5))\r\n",
        ),
        ("* THREAD (1 (2 (3)))\r\n", "* THREAD (1 2 3)\r\n"),
        // ENVELOPE: `()` and spaces between addresses.
        (
            "* 1 FETCH (ENVELOPE (nil \"s\" () ( (\"a\" NIL \"b\" \"c\") (NIL NIL \"d\" \"e\")) NIL NIL NIL NIL NIL NIL))\r\n",
            "* 1 FETCH (ENVELOPE (NIL \"s\" NIL ((\"a\" NIL \"b\" \"c\")(NIL NIL \"d\" \"e\")) NIL NIL NIL NIL NIL NIL))\r\n",
        ),
        // BODYSTRUCTURE: `()` parameters, spaces between parts, a text part without a
        // line count, a message part without the encapsulated message, extension data.
        (
            "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" () NIL NIL \"7BIT\" 10) (\"message\" \"rfc822\" nil NIL NIL \"7BIT\" 20) \"MIXED\" (\"boundary\" \"x\") NIL (\"en\" \"de\") \"loc\" 5 (6 \"x\" (7))))\r\n",
            "* 1 FETCH (BODYSTRUCTURE ((\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10)(\"message\" \"rfc822\" NIL NIL NIL \"7BIT\" 20) \"MIXED\" (\"boundary\" \"x\") NIL (\"en\" \"de\") \"loc\" 5 (6 \"x\" (7))))\r\n",
        ),
    ];
    for (input, canonical) in cases {
        assert_eq!(reencode(input), canonical, "{input:?}");
    }
}

#[test]
fn invalid_responses_are_refused_whole() {
    let cases = [
        // Numbers out of range, zero where a non-zero number is needed.
        "* 4294967296 EXISTS\r\n",
        "* 1 FETCH (MODSEQ (18446744073709551616))\r\n",
        "* 0 EXPUNGE\r\n",
        "* 0 FETCH (UID 1)\r\n",
        "* 1 FETCH (UID 0)\r\n",
        "* OK [UNSEEN 0] x\r\n",
        "* OK [UIDNEXT abc] x\r\n",
        "* SEARCH 0\r\n",
        // Lists take single spaces between items and none inside the parentheses.
        "* 1 FETCH (FLAGS (\\Seen ))\r\n",
        "* 1 FETCH (FLAGS ( ))\r\n",
        "* 1 FETCH (FLAGS (\\*))\r\n",
        "* 1 FETCH (FLAGS (\\))\r\n",
        "* 1 FETCH (UID 1  FLAGS ())\r\n",
        "* 1 FETCH (UID 1 )\r\n",
        "* 1 FETCH ()\r\n",
        "* STATUS x (MESSAGES 1  )\r\n",
        "* LIST (\\Noselect ) \"/\" x\r\n",
        // A code value may not be empty.
        "* OK [XFOO ] text\r\n",
        // Words run on, or are not whole.
        "a1 OKAY done\r\n",
        "* 3 EXISTSX\r\n",
        "* 1 FETCHX (UID 1)\r\n",
        // Dates: a one-digit day needs its space; zone minutes and days must exist.
        "* 1 FETCH (INTERNALDATE \"7-Jul-1996 02:44:25 -0700\")\r\n",
        "* 1 FETCH (INTERNALDATE \"07-Jul-1996 02:44:25 -0760\")\r\n",
        "* 1 FETCH (INTERNALDATE \"30-Feb-1996 02:44:25 -0700\")\r\n",
        // CAPABILITY must name a revision; a delimiter is one character.
        "* CAPABILITY IDLE\r\n",
        "* LIST () \"ab\" x\r\n",
        // MODSEQ needs numbers; literals in text positions may not hold NUL.
        "* SEARCH (MODSEQ 5)\r\n",
        "* 1 FETCH (RFC822.TEXT {3}\r\na\0b)\r\n",
        // An empty language list, a sequence set ending in a comma.
        "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1 NIL NIL ()))\r\n",
        "* VANISHED 1:3,\r\n",
    ];
    for input in cases {
        assert_invalid(input);
    }
}

#[test]
fn nesting_limit_applies_before_syntax() {
    // An empty extension list at the limit reads as too deep; one level higher it is a
    // syntax error.
    let empty_ext = "* 1 FETCH (BODYSTRUCTURE (\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 10 1 NIL NIL NIL NIL ()))\r\n";
    assert_eq!(invalid_reason(empty_ext, 2), "response nests too deeply");
    assert!(invalid_reason(empty_ext, 3).starts_with("response syntax error"));
    // THREAD always tries one list, so even a flat thread needs two levels.
    assert_eq!(
        invalid_reason("* THREAD (1)\r\n", 1),
        "response nests too deeply"
    );
    assert_eq!(
        invalid_reason("* THREAD\r\n", 0),
        "response nests too deeply"
    );
    let opts = ResponseOptions::new(DecodeOptions::new(4096, 4096), 2);
    assert!(decode_response_with(b"* THREAD (1)\r\n", &opts).is_ok());
}

#[test]
fn capabilities_are_recognised_in_any_case() {
    let input = "* CAPABILITY imap4rev1 auth=plain Thread=References APPENDLIMIT=35651584 \
                 APPENDLIMIT= AUTH= QUOTA=RES-STORAGE X-GM-EXT-1 appendlimit \
                 APPENDLIMIT=00000000000000000001 compress=deflate\r\n";
    let (_, resp) = decode_response(input.as_bytes()).unwrap();
    let Response::Untagged(Untagged::Capability(caps)) = resp else {
        panic!("{resp:?}");
    };
    let atom = |s: &str| Atom::new(s.to_owned()).unwrap();
    assert_eq!(
        caps,
        vec![
            Capability::Imap4Rev1,
            Capability::Auth(atom("plain")),
            Capability::Thread(atom("References")),
            Capability::AppendLimit(Some(35_651_584)),
            Capability::Other(atom("APPENDLIMIT=")),
            Capability::Other(atom("AUTH=")),
            Capability::QuotaRes(atom("STORAGE")),
            Capability::Other(atom("X-GM-EXT-1")),
            Capability::AppendLimit(None),
            // More than 19 digits is not a limit (as `Capability::parse` reads it).
            Capability::Other(atom("APPENDLIMIT=00000000000000000001")),
            Capability::CompressDeflate,
        ]
    );
    // The same as the public constructor, one by one.
    for (cap, name) in caps.iter().zip(input[13..input.len() - 2].split(' ')) {
        assert_eq!(*cap, Capability::parse(name.to_owned()).unwrap(), "{name}");
    }
}

#[test]
fn codes_flags_and_attributes_match_the_public_constructors() {
    let (_, resp) =
        decode_response(b"* OK [PERMANENTFLAGS (\\sEEN \\Deleted \\X-Mine $Junk \\*)] x\r\n")
            .unwrap();
    let Response::Untagged(Untagged::Condition { status, text }) = resp else {
        panic!("{resp:?}");
    };
    assert_eq!(status, StatusKind::Ok);
    let Some(Code::PermanentFlags(flags)) = text.code() else {
        panic!("{text:?}");
    };
    let names = ["\\sEEN", "\\Deleted", "\\X-Mine", "$Junk"];
    for (got, name) in flags.iter().zip(names) {
        let want = Flag::from_name(name.to_owned()).unwrap();
        assert_eq!(format!("{got:?}"), format!("Flag({want:?})"));
    }
    assert_eq!(flags.len(), 5);

    let line = "* LIST (\\NOSELECT \\haschildren \\Sent \\Important \\XFoo) \"/\" x\r\n";
    let (_, resp) = decode_response(line.as_bytes()).unwrap();
    let Response::Untagged(Untagged::List(list)) = resp else {
        panic!("{resp:?}");
    };
    let want: Vec<_> = [
        "\\NOSELECT",
        "\\haschildren",
        "\\Sent",
        "\\Important",
        "\\XFoo",
    ]
    .iter()
    .map(|n| MailboxAttribute::from_name((*n).to_owned()).unwrap())
    .collect();
    assert_eq!(list.attributes, want);
}

#[test]
fn command_arguments_share_the_scanners() {
    let reencode_cmd = |input: &str| {
        let (len, cmd) = decode_command(input.as_bytes())
            .unwrap_or_else(|e| panic!("{input:?} does not decode: {e:?}"));
        assert_eq!(len, input.len());
        let mut out = BytesMut::new();
        encode_command(&cmd, &mut out);
        String::from_utf8(out.to_vec()).unwrap()
    };
    assert_eq!(
        reencode_cmd("a FETCH 0001:*,0005 (FLAGS)\r\n"),
        "a FETCH 1:*,5 FLAGS\r\n"
    );
    assert_eq!(
        reencode_cmd("a STORE 1 +FLAGS (\\seen $Junk)\r\n"),
        "a STORE 1 +FLAGS (\\Seen $Junk)\r\n"
    );
    assert_eq!(
        reencode_cmd("a SEARCH SINCE \"01-feb-1994\"\r\n"),
        "a SEARCH SINCE 1-Feb-1994\r\n"
    );
    assert_eq!(
        reencode_cmd("a ENABLE condstore utf8=accept X-Foo\r\n"),
        "a ENABLE CONDSTORE UTF8=ACCEPT X-Foo\r\n"
    );
    for input in [
        "a ENABLE\r\n",
        "a ENABLE  CONDSTORE\r\n",
        "a ENABLE CONDSTORE \r\n",
        "a FETCH 1:*, FLAGS\r\n",
        "a FETCH 1: FLAGS\r\n",
        "a FETCH 4294967296 FLAGS\r\n",
        "a STORE 1 +FLAGS (\\Seen )\r\n",
        "a SEARCH SINCE 1-Feb-94\r\n",
    ] {
        assert!(
            matches!(
                decode_command(input.as_bytes()),
                Err(DecodeError::Invalid { .. })
            ),
            "{input:?}"
        );
    }
}
