//! Framing: literals split at every byte, synchronising and non-synchronising literals,
//! limits, streaming APPEND and the non-command client lines.

use imap_proto::codec::{
    AppendNext, AuthenticateResponse, DecodeError, DecodeOptions, Streamed, decode_append_next,
    decode_authenticate_response, decode_command, decode_command_streaming, decode_command_with,
    decode_idle_done, frame,
};
use imap_proto::types::{CommandBody, Flag, LiteralHeader, Mailbox};

const LOGIN: &[u8] = b"a1 LOGIN {4}\r\nfred {6+}\r\nsecret\r\na2 NOOP\r\n";
const LOGIN_LEN: usize = 33;

/// Every prefix of a message decodes to Incomplete or Literal, never to an error or a
/// wrong value; the full input decodes to the command.
#[test]
fn every_split_point() {
    for cut in 0..LOGIN_LEN {
        match decode_command(&LOGIN[..cut]) {
            Err(DecodeError::Incomplete) => {}
            Err(DecodeError::Literal {
                tag,
                length,
                non_sync,
                offset,
                binary: false,
            }) => {
                assert_eq!(tag.unwrap().as_str(), "a1");
                if cut < 25 {
                    assert_eq!((length, non_sync, offset), (4, false, 14), "cut {cut}");
                } else {
                    assert_eq!((length, non_sync, offset), (6, true, 25), "cut {cut}");
                }
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
    let (n, cmd) = decode_command(LOGIN).unwrap();
    assert_eq!(n, LOGIN_LEN);
    assert_eq!(cmd.body.name(), "LOGIN");
    let (n2, next) = decode_command(&LOGIN[n..]).unwrap();
    assert_eq!((n2, next.body), (9, CommandBody::Noop));
}

/// The synchronising literal is announced as soon as its header's CRLF arrives, and not
/// before (a `{4}` without CRLF could still be followed by more text).
#[test]
fn literal_announced_at_header_end() {
    assert_eq!(
        decode_command(b"a1 LOGIN {4}"),
        Err(DecodeError::Incomplete)
    );
    assert_eq!(
        decode_command(b"a1 LOGIN {4}\r"),
        Err(DecodeError::Incomplete)
    );
    assert!(matches!(
        decode_command(b"a1 LOGIN {4}\r\n"),
        Err(DecodeError::Literal { offset: 14, .. })
    ));
    assert!(matches!(
        decode_command(b"a1 LOGIN {4}\r\nfr"),
        Err(DecodeError::Literal { offset: 14, .. })
    ));
    // literal data containing CRLF and braces does not end the message
    let input = b"a1 LOGIN {6}\r\n{1}\r\nx \"y\"\r\n";
    let (n, _) = decode_command(input).unwrap();
    assert_eq!(n, input.len());
    assert!(matches!(
        decode_command(b"a APPEND x ~{3}\r\n"),
        Err(DecodeError::Literal {
            binary: true,
            length: 3,
            ..
        })
    ));
}

#[test]
fn limits() {
    let opts = DecodeOptions::new(32, 8).with_max_message(64);
    assert!(matches!(
        decode_command_with(b"a1 LOGIN {9}\r\n", &opts),
        Err(DecodeError::LiteralTooLarge {
            consumed: 14,
            length: 9,
            non_sync: false,
            tag: Some(_)
        })
    ));
    assert!(matches!(
        decode_command_with(b"a1 LOGIN {99999999999}\r\n", &opts),
        Err(DecodeError::LiteralTooLarge { consumed: 24, .. })
    ));
    assert!(matches!(
        decode_command_with(b"a1 LOGIN {8}\r\n", &opts),
        Err(DecodeError::Literal { .. })
    ));
    let long = [b"a1 LOGIN ".as_slice(), &[b'x'; 40]].concat();
    assert_eq!(
        decode_command_with(&long, &opts),
        Err(DecodeError::TooLong {
            tag: Some(imap_proto::types::Tag::new("a1").unwrap())
        })
    );
    // a line of exactly the limit is fine, one more byte is not
    let exact = b"a1 LOGIN aaaaaaaaaaaaaaaa bbbb\r\n";
    assert_eq!(exact.len(), 32);
    assert!(decode_command_with(exact, &opts).is_ok());
    let over = b"a1 LOGIN aaaaaaaaaaaaaaaaa bbbb\r\n";
    assert!(matches!(
        decode_command_with(over, &opts),
        Err(DecodeError::TooLong { .. })
    ));
    // many small literals cannot grow one message beyond max_message
    let mut many = b"a1 LOGIN".to_vec();
    for _ in 0..20 {
        many.extend_from_slice(b" {4}\r\nabcd");
    }
    assert!(matches!(
        decode_command_with(&many, &opts),
        Err(DecodeError::LiteralTooLarge { .. } | DecodeError::TooLong { .. })
    ));
    // LITERAL-: non-synchronising literals over the limit are refused
    let minus = DecodeOptions::default().with_max_non_sync_literal(Some(4));
    assert!(matches!(
        decode_command_with(b"a1 LOGIN {5+}\r\n", &minus),
        Err(DecodeError::LiteralTooLarge { non_sync: true, .. })
    ));
    assert!(matches!(
        decode_command_with(b"a1 LOGIN {5}\r\n", &minus),
        Err(DecodeError::Literal { .. })
    ));
    assert_eq!(frame(b"a NOOP\r\n", &opts), Ok(8));
}

#[test]
fn garbage_stays_in_sync() {
    let input = b"a1 FROB {3}\r\n\r\n\r {2}\r\nxy\r\na2 NOOP\r\n";
    let Err(DecodeError::Invalid { consumed, tag, .. }) = decode_command(input) else {
        panic!("expected Invalid");
    };
    assert_eq!(tag.unwrap().as_str(), "a1");
    let (_, next) = decode_command(&input[consumed..]).unwrap();
    assert_eq!(next.body, CommandBody::Noop);
}

const APPEND: &[u8] =
    b"a1 APPEND {5}\r\nInbox (\\Seen) {11}\r\nHello world UTF8 (~{3+}\r\nA\0B)\r\na2 NOOP\r\n";

/// A server streams the message literals: head, data, next head, data, end.
#[test]
fn streaming_append() {
    let opts = DecodeOptions::new(1024, 8);
    // the mailbox literal is an ordinary literal
    assert!(matches!(
        decode_command_streaming(&APPEND[..15], &opts),
        Err(DecodeError::Literal {
            length: 5,
            offset: 15,
            ..
        })
    ));
    let (n, Streamed::Append(start)) = decode_command_streaming(&APPEND[..35], &opts).unwrap()
    else {
        panic!("expected an APPEND head");
    };
    assert_eq!(n, 35);
    assert_eq!(start.tag.as_str(), "a1");
    assert_eq!(start.mailbox, Mailbox::INBOX);
    assert_eq!(start.message.flags, vec![Flag::Seen]);
    // the message literal (11) is larger than max_literal (8): not a framing concern here
    assert_eq!(
        start.message.literal,
        LiteralHeader {
            length: 11,
            binary: false,
            non_sync: false
        }
    );
    let data_end = n + 11;
    assert_eq!(&APPEND[n..data_end], b"Hello world");
    let rest = &APPEND[data_end..];
    for cut in 0..14 {
        assert!(
            matches!(
                decode_append_next(&rest[..cut], &start.message, &opts),
                Err(DecodeError::Incomplete)
            ),
            "cut {cut}"
        );
    }
    let (n2, AppendNext::Message(second)) =
        decode_append_next(rest, &start.message, &opts).unwrap()
    else {
        panic!("expected a second message");
    };
    assert_eq!(n2, 14);
    assert!(second.utf8 && second.literal.binary && second.literal.non_sync);
    let after = &rest[n2 + 3..];
    assert_eq!(
        decode_append_next(after, &second, &opts),
        Ok((3, AppendNext::End))
    );
    let (_, next) = decode_command(&after[3..]).unwrap();
    assert_eq!(next.body, CommandBody::Noop);
}

#[test]
fn streaming_passes_other_commands() {
    let opts = DecodeOptions::default();
    let (n, Streamed::Command(cmd)) = decode_command_streaming(LOGIN, &opts).unwrap() else {
        panic!()
    };
    assert_eq!((n, cmd.body.name()), (LOGIN_LEN, "LOGIN"));
    // a broken APPEND is framed as a whole and reported with its tag
    let bad = b"a3 APPEND x (\\Seen {2}\r\nab\r\n";
    assert!(matches!(
        decode_command_streaming(bad, &opts),
        Err(DecodeError::Invalid {
            consumed: 28,
            tag: Some(_),
            ..
        })
    ));
    // garbage after a streamed message consumes the rest of the command
    let head = imap_proto::codec::AppendMessageHead {
        flags: vec![],
        date: None,
        literal: LiteralHeader {
            length: 1,
            binary: false,
            non_sync: false,
        },
        utf8: false,
    };
    assert!(matches!(
        decode_append_next(b" junk {1}\r\n", &head, &opts),
        Err(DecodeError::Literal {
            length: 1,
            offset: 11,
            ..
        })
    ));
    assert!(matches!(
        decode_append_next(b" junk {1}\r\nx\r\na NOOP\r\n", &head, &opts),
        Err(DecodeError::Invalid {
            consumed: 14,
            tag: None,
            ..
        })
    ));
    assert!(matches!(
        decode_append_next(b" junk\r\na NOOP\r\n", &head, &opts),
        Err(DecodeError::Invalid {
            consumed: 7,
            tag: None,
            ..
        })
    ));
}

#[test]
fn idle_done_and_authenticate_lines() {
    assert_eq!(decode_idle_done(b"DONE\r\nx", 64), Ok(6));
    assert_eq!(decode_idle_done(b"done\r\n", 64), Ok(6));
    assert_eq!(decode_idle_done(b"DON", 64), Err(DecodeError::Incomplete));
    assert!(matches!(
        decode_idle_done(b"a1 NOOP\r\n", 64),
        Err(DecodeError::Invalid { consumed: 9, .. })
    ));
    assert!(matches!(
        decode_idle_done(b"DONEDONEDONE", 8),
        Err(DecodeError::TooLong { .. })
    ));
    assert_eq!(
        decode_authenticate_response(b"*\r\n", 64),
        Ok((3, AuthenticateResponse::Cancel))
    );
    let Ok((6, AuthenticateResponse::Data(d))) = decode_authenticate_response(b"YWJj\r\n", 64)
    else {
        panic!()
    };
    assert_eq!(d.expose(), b"abc");
    let Ok((2, AuthenticateResponse::Data(d))) = decode_authenticate_response(b"\r\n", 64) else {
        panic!()
    };
    assert!(d.expose().is_empty());
    assert!(matches!(
        decode_authenticate_response(b"YW!j\r\n", 64),
        Err(DecodeError::Invalid { consumed: 6, .. })
    ));
}
