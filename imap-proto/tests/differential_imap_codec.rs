//! Differential test against imap-codec on a corpus of realistic IMAP traffic.
//!
//! The corpus (`tests/corpus/*.imap`) holds raw CRLF transcripts: client command streams
//! as Thunderbird, iOS Mail, Roundcube, mutt and mbsync send them, server response
//! streams (Dovecot, Cyrus, Gmail), greetings, and one invalid message per line in the
//! `invalid-*` files. Each stream is walked message by message and every message is
//! decoded by both codecs. They must
//! - agree on accepting or rejecting it, and on its length when both accept;
//! - agree on its meaning: imap-codec's re-encoding of its value must decode (with this
//!   crate) to this crate's value, and this crate's re-encoding must decode (with
//!   imap-codec) to imap-codec's value. Comparing re-encodings this way needs no mapping
//!   between the two type systems and still notices a lost or altered field.
//!
//! Disagreements are allowed only where listed in [`EXCEPTIONS`], each naming the RFC
//! rule imap-codec does not implement. An exception that no longer occurs fails the test
//! too, so the list stays true.

use std::fmt::{Debug, Write as _};
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use imap_codec::decode::{
    AuthenticateDataDecodeError, CommandDecodeError, Decoder, GreetingDecodeError,
    IdleDoneDecodeError, ResponseDecodeError,
};
use imap_codec::encode::Encoder;
use imap_codec::imap_types;
use imap_codec::{
    AuthenticateDataCodec, CommandCodec, GreetingCodec, IdleDoneCodec, ResponseCodec,
};
use imap_proto::codec::{
    AuthenticateResponse, DecodeError, decode_authenticate_response, decode_command,
    decode_greeting, decode_idle_done, decode_response, encode_command, encode_greeting,
    encode_response,
};
use imap_proto::types::{Command, CommandBody, Greeting, Response};

const MAX_LINE: usize = 64 * 1024;

/// What one codec made of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Decoded, occupying this many bytes.
    Accepted(usize),
    /// Rejected as invalid (with the length to skip, when the codec knows it).
    Rejected(Option<usize>),
    /// Asked for more input although the whole message was there.
    Incomplete,
}

/// How the two codecs disagreed about a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Disagreement {
    /// This crate accepts, imap-codec rejects.
    TheirsRejects,
    /// imap-codec accepts, this crate rejects.
    OursRejects,
    /// Both accept but see messages of different lengths.
    Length,
    /// imap-codec's re-encoding of its value decodes (with this crate) to another value.
    TheirEncodingReadsDifferently,
    /// This crate's re-encoding of its value decodes (with imap-codec) to another value.
    OurEncodingReadsDifferently,
}

/// A disagreement with the message it is about.
#[derive(Debug)]
struct Finding {
    file: String,
    first_line: String,
    kind: Disagreement,
    detail: String,
}

/// A documented disagreement: imap-codec lacks an extension or misreads a rule.
struct Exception {
    file: &'static str,
    /// The message's first line starts with this.
    prefix: &'static str,
    kind: Disagreement,
    /// The RFC rule and why imap-codec is the one that differs.
    why: &'static str,
}

const LIST_EXTENDED: &str = "RFC 5258 section 6: list-select-opts, list-return-opts and \
    mbox-or-pat patterns; imap-codec's LIST has only reference and one pattern";
const LIST_EXTENDED_DATA: &str = "RFC 5258 section 6: mbox-list-extended (CHILDINFO, \
    OLDNAME) after the mailbox name; imap-codec's feature ext_list_extended has the types \
    but no parser";
const ESEARCH: &str = "RFC 4731 section 3 (and RFC 9051): search-return-opts and \
    esearch-response; imap-codec has neither";

/// Disagreements explained by imap-codec: a missing extension or a misread rule.
const EXCEPTIONS: &[Exception] = &[
    Exception {
        file: "thunderbird.imap",
        prefix: "6 list (SUBSCRIBED)",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED,
    },
    Exception {
        file: "roundcube.imap",
        prefix: "A0004 LIST (SUBSCRIBED)",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED,
    },
    Exception {
        file: "misc-commands.imap",
        prefix: "m6 LIST \"\" (",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED,
    },
    Exception {
        file: "misc-commands.imap",
        prefix: "m7 LIST (REMOTE",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED,
    },
    Exception {
        file: "roundcube.imap",
        prefix: "A0010 UID SEARCH RETURN",
        kind: Disagreement::TheirsRejects,
        why: ESEARCH,
    },
    Exception {
        file: "roundcube.imap",
        prefix: "A0024 SEARCH RETURN",
        kind: Disagreement::TheirsRejects,
        why: ESEARCH,
    },
    Exception {
        file: "misc-commands.imap",
        prefix: "m24 FETCH $",
        kind: Disagreement::TheirsRejects,
        why: "RFC 5182 section 6 (and RFC 9051): seq-last-command \"$\" in a sequence set; \
            imap-codec does not implement SEARCHRES",
    },
    Exception {
        file: "misc-commands.imap",
        prefix: "m27 CREATE",
        kind: Disagreement::TheirsRejects,
        why: "RFC 6154 section 6 (and RFC 4466 create-param): CREATE ... (USE (\\Archive)); \
            imap-codec's CREATE takes no parameters",
    },
    Exception {
        file: "dovecot.imap",
        prefix: "* LIST (\\HasNoChildren \\Archive) \"/\" \"Archive/2026\" (\"CHILDINFO\"",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED_DATA,
    },
    Exception {
        file: "dovecot.imap",
        prefix: "* LIST (\\NonExistent) \"/\" Gone (\"OLDNAME\"",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED_DATA,
    },
    Exception {
        file: "dovecot-qresync.imap",
        prefix: "* LIST () \"/\" \"Archive/2026\" (\"CHILDINFO\"",
        kind: Disagreement::TheirsRejects,
        why: LIST_EXTENDED_DATA,
    },
    Exception {
        file: "dovecot-qresync.imap",
        prefix: "* ESEARCH ",
        kind: Disagreement::TheirsRejects,
        why: ESEARCH,
    },
    Exception {
        file: "gmail.imap",
        prefix: "* OK [HIGHESTMODSEQ 9876543]",
        kind: Disagreement::TheirsRejects,
        why: "RFC 9051 section 9: resp-text = [\"[\" resp-text-code \"]\" SP] [text], the \
            text is optional; imap-codec applies RFC 3501's text = 1*TEXT-CHAR unless its \
            quirk_missing_text feature is on",
    },
    Exception {
        file: "invalid-commands.imap",
        prefix: "a14 STATUS INBOX ()",
        kind: Disagreement::OursRejects,
        why: "RFC 9051 / RFC 3501 section 9: status = \"STATUS\" SP mailbox SP \"(\" \
            status-att *(SP status-att) \")\" needs at least one item; imap-codec accepts ()",
    },
];

/// Disagreements where this crate's codec is wrong, reported for a fix in `codec/`.
/// Remove an entry with its fix: a listed disagreement that no longer occurs fails the
/// test.
const OUR_CODEC_BUGS: &[Exception] = &[];

/// What the next client message in a stream is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Command,
    IdleDone,
    AuthenticateData,
}

#[derive(Default)]
struct Report {
    /// The corpus files walked.
    files: Vec<&'static str>,
    messages: usize,
    /// First lines of the messages both codecs accept.
    agreed_accept: Vec<String>,
    agreed_reject: usize,
    findings: Vec<Finding>,
}

impl Report {
    fn record(&mut self, file: &str, input: &[u8], ours: Outcome, theirs: Outcome) -> usize {
        self.messages += 1;
        match (ours, theirs) {
            (Outcome::Accepted(a), Outcome::Accepted(b)) if a == b => {
                self.agreed_accept.push(show(input));
                a
            }
            (Outcome::Accepted(a), Outcome::Accepted(b)) => {
                self.find(
                    file,
                    input,
                    Disagreement::Length,
                    format!("ours {a}, theirs {b}"),
                );
                a
            }
            // imap-codec asking for more of a complete message is a rejection too.
            (Outcome::Rejected(n), Outcome::Rejected(_) | Outcome::Incomplete) => {
                self.agreed_reject += 1;
                n.unwrap_or_else(|| line_len(input))
            }
            (Outcome::Accepted(a), other) => {
                self.find(
                    file,
                    input,
                    Disagreement::TheirsRejects,
                    format!("{other:?}"),
                );
                a
            }
            (other, Outcome::Accepted(b)) => {
                self.find(file, input, Disagreement::OursRejects, format!("{other:?}"));
                b
            }
            (Outcome::Incomplete, _) => {
                panic!("{file}: our decoder wants more input: {}", show(input))
            }
        }
    }

    fn find(&mut self, file: &str, input: &[u8], kind: Disagreement, detail: String) {
        self.findings.push(Finding {
            file: file.to_owned(),
            first_line: String::from_utf8_lossy(&input[..line_len(input)])
                .trim_end()
                .to_owned(),
            kind,
            detail,
        });
    }
}

fn line_len(input: &[u8]) -> usize {
    input
        .windows(2)
        .position(|w| w == b"\r\n")
        .map_or(input.len(), |p| p + 2)
}

fn show(input: &[u8]) -> String {
    let line = &input[..line_len(input)];
    String::from_utf8_lossy(line).trim_end().to_owned()
}

fn ours_outcome<T>(result: &Result<(usize, T), DecodeError>) -> Outcome {
    match result {
        Ok((n, _)) => Outcome::Accepted(*n),
        Err(DecodeError::Invalid { consumed, .. }) => Outcome::Rejected(Some(*consumed)),
        Err(DecodeError::Incomplete | DecodeError::Literal { .. }) => Outcome::Incomplete,
        Err(e) => panic!("unexpected error on corpus input: {e:?}"),
    }
}

fn consumed(input: &[u8], rest: &[u8]) -> Outcome {
    Outcome::Accepted(input.len() - rest.len())
}

// ---------------------------------------------------------------------------------------
// One message of each kind, decoded by both codecs.

/// Encoders and decoders of one message kind in both crates, on owned values.
struct Codecs<O, T> {
    our_encode: fn(&O) -> Vec<u8>,
    our_decode: fn(&[u8]) -> Option<O>,
    their_encode: fn(&T) -> Vec<u8>,
    their_decode: fn(&[u8]) -> Option<T>,
}

/// Checks that both values mean the same, through each other's encodings.
///
/// imap-codec's values keep the wire form (atom, quoted, literal), this crate's do not,
/// so values are compared as this crate reads them: imap-codec's re-encoding must read
/// as ours, and our re-encoding, read by imap-codec and re-encoded, must read as ours.
fn cross_check<O: PartialEq + Debug, T: Debug>(
    report: &mut Report,
    file: &str,
    input: &[u8],
    ours: &O,
    theirs: &T,
    codecs: &Codecs<O, T>,
) {
    let their_wire = (codecs.their_encode)(theirs);
    let reread = (codecs.our_decode)(&their_wire);
    if reread.as_ref() != Some(ours) {
        report.find(
            file,
            input,
            Disagreement::TheirEncodingReadsDifferently,
            format!("their encoding {} reads as {reread:?}", show(&their_wire)),
        );
    }
    let our_wire = (codecs.our_encode)(ours);
    let their_reading = (codecs.their_decode)(&our_wire);
    let reread = their_reading
        .as_ref()
        .and_then(|t| (codecs.our_decode)(&(codecs.their_encode)(t)));
    if reread.as_ref() != Some(ours) {
        report.find(
            file,
            input,
            Disagreement::OurEncodingReadsDifferently,
            format!(
                "our encoding {} reads as {their_reading:?}",
                show(&our_wire)
            ),
        );
    }
}

/// Decodes exactly one message occupying all of `wire`.
fn whole<T>(wire: &[u8], result: Result<(usize, T), DecodeError>) -> Option<T> {
    result
        .ok()
        .filter(|(n, _)| *n == wire.len())
        .map(|(_, v)| v)
}

fn command_codecs() -> Codecs<Command<'static>, imap_types::command::Command<'static>> {
    Codecs {
        our_encode: |c| {
            let mut out = BytesMut::new();
            encode_command(c, &mut out);
            out.to_vec()
        },
        our_decode: |w| whole(w, decode_command(w)).map(Command::into_owned),
        their_encode: |c| CommandCodec::default().encode(c).dump(),
        their_decode: |w| match CommandCodec::default().decode_static(w) {
            Ok((b"", c)) => Some(c),
            _ => None,
        },
    }
}

fn response_codecs() -> Codecs<Response<'static>, imap_types::response::Response<'static>> {
    Codecs {
        our_encode: |r| {
            let mut out = BytesMut::new();
            encode_response(r, &mut out);
            out.to_vec()
        },
        our_decode: |w| whole(w, decode_response(w)).map(Response::into_owned),
        their_encode: |r| ResponseCodec::default().encode(r).dump(),
        their_decode: |w| match ResponseCodec::default().decode_static(w) {
            Ok((b"", r)) => Some(r),
            _ => None,
        },
    }
}

fn greeting_codecs() -> Codecs<Greeting<'static>, imap_types::response::Greeting<'static>> {
    Codecs {
        our_encode: |g| {
            let mut out = BytesMut::new();
            encode_greeting(g, &mut out);
            out.to_vec()
        },
        our_decode: |w| whole(w, decode_greeting(w)).map(Greeting::into_owned),
        their_encode: |g| GreetingCodec::default().encode(g).dump(),
        their_decode: |w| match GreetingCodec::default().decode_static(w) {
            Ok((b"", g)) => Some(g),
            _ => None,
        },
    }
}

fn compare_command(report: &mut Report, file: &str, input: &[u8]) -> (usize, Expect) {
    let ours = decode_command(input);
    let theirs = CommandCodec::default().decode_static(input);
    let theirs_outcome = match &theirs {
        Ok((rest, _)) => consumed(input, rest),
        Err(CommandDecodeError::Failed) => Outcome::Rejected(None),
        Err(CommandDecodeError::Incomplete | CommandDecodeError::LiteralFound { .. }) => {
            Outcome::Incomplete
        }
    };
    let advance = report.record(file, input, ours_outcome(&ours), theirs_outcome);
    let Ok((_, ours)) = ours else {
        return (advance, Expect::Command);
    };
    let next = match &ours.body {
        CommandBody::Idle => Expect::IdleDone,
        CommandBody::Authenticate {
            initial_response: None,
            ..
        } => Expect::AuthenticateData,
        _ => Expect::Command,
    };
    if let Ok((_, theirs)) = &theirs {
        let ours = ours.into_owned();
        cross_check(report, file, input, &ours, theirs, &command_codecs());
    }
    (advance, next)
}

fn compare_response(report: &mut Report, file: &str, input: &[u8]) -> usize {
    let ours = decode_response(input);
    let theirs = ResponseCodec::default().decode_static(input);
    let theirs_outcome = match &theirs {
        Ok((rest, _)) => consumed(input, rest),
        Err(ResponseDecodeError::Failed) => Outcome::Rejected(None),
        Err(ResponseDecodeError::Incomplete | ResponseDecodeError::LiteralFound { .. }) => {
            Outcome::Incomplete
        }
    };
    let advance = report.record(file, input, ours_outcome(&ours), theirs_outcome);
    if let (Ok((_, ours)), Ok((_, theirs))) = (ours, &theirs) {
        let ours = ours.into_owned();
        cross_check(report, file, input, &ours, theirs, &response_codecs());
    }
    advance
}

fn compare_greeting(report: &mut Report, file: &str, input: &[u8]) -> usize {
    let ours = decode_greeting(input);
    let theirs = GreetingCodec::default().decode_static(input);
    let theirs_outcome = match &theirs {
        Ok((rest, _)) => consumed(input, rest),
        Err(GreetingDecodeError::Failed) => Outcome::Rejected(None),
        Err(GreetingDecodeError::Incomplete) => Outcome::Incomplete,
    };
    let advance = report.record(file, input, ours_outcome(&ours), theirs_outcome);
    if let (Ok((_, ours)), Ok((_, theirs))) = (ours, &theirs) {
        let ours = ours.into_owned();
        cross_check(report, file, input, &ours, theirs, &greeting_codecs());
    }
    advance
}

fn compare_idle_done(report: &mut Report, file: &str, input: &[u8]) -> usize {
    let ours = decode_idle_done(input, MAX_LINE).map(|n| (n, ()));
    let theirs = match IdleDoneCodec::default().decode(input) {
        Ok((rest, _)) => consumed(input, rest),
        Err(IdleDoneDecodeError::Failed) => Outcome::Rejected(None),
        Err(IdleDoneDecodeError::Incomplete) => Outcome::Incomplete,
    };
    report.record(file, input, ours_outcome(&ours), theirs)
}

fn compare_authenticate_data(report: &mut Report, file: &str, input: &[u8]) -> usize {
    let ours = decode_authenticate_response(input, MAX_LINE);
    let theirs = AuthenticateDataCodec::default().decode(input);
    let theirs_outcome = match &theirs {
        Ok((rest, _)) => consumed(input, rest),
        Err(AuthenticateDataDecodeError::Failed) => Outcome::Rejected(None),
        Err(AuthenticateDataDecodeError::Incomplete) => Outcome::Incomplete,
    };
    let advance = report.record(file, input, ours_outcome(&ours), theirs_outcome);
    if let (Ok((_, AuthenticateResponse::Data(ours))), Ok((_, theirs))) = (&ours, &theirs) {
        use imap_codec::imap_types::auth::AuthenticateData;
        let same = match theirs {
            AuthenticateData::Continue(data) => data.declassify() == ours.expose(),
            AuthenticateData::Cancel => false,
        };
        if !same {
            report.find(
                file,
                input,
                Disagreement::TheirEncodingReadsDifferently,
                format!("decoded SASL data differs: theirs {theirs:?}"),
            );
        }
    }
    advance
}

// ---------------------------------------------------------------------------------------
// Walking the corpus.

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

fn corpus_file(name: &str) -> Vec<u8> {
    let path = corpus_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn walk_client_stream(report: &mut Report, file: &'static str) {
    report.files.push(file);
    let data = corpus_file(file);
    let mut pos = 0;
    let mut expect = Expect::Command;
    while pos < data.len() {
        let input = &data[pos..];
        let (advance, next) = match expect {
            Expect::Command => compare_command(report, file, input),
            Expect::IdleDone => (compare_idle_done(report, file, input), Expect::Command),
            Expect::AuthenticateData => (
                compare_authenticate_data(report, file, input),
                Expect::Command,
            ),
        };
        assert!(advance > 0, "{file}: no progress at offset {pos}");
        pos += advance;
        expect = next;
    }
}

/// A server stream: the greeting, then responses (or only greetings).
fn walk_server_stream(report: &mut Report, file: &'static str, all_greetings: bool) {
    report.files.push(file);
    let data = corpus_file(file);
    let mut pos = 0;
    while pos < data.len() {
        let input = &data[pos..];
        let advance = if pos == 0 || all_greetings {
            compare_greeting(report, file, input)
        } else {
            compare_response(report, file, input)
        };
        assert!(advance > 0, "{file}: no progress at offset {pos}");
        pos += advance;
    }
}

const CLIENT_STREAMS: &[&str] = &[
    "thunderbird.imap",
    "ios-mail.imap",
    "roundcube.imap",
    "mutt.imap",
    "mbsync.imap",
    "misc-commands.imap",
];
const SERVER_STREAMS: &[&str] = &[
    "dovecot.imap",
    "dovecot-qresync.imap",
    "fetch-heavy.imap",
    "gmail.imap",
];

fn is_excused(finding: &Finding, exception: &Exception) -> bool {
    finding.file == exception.file
        && finding.kind == exception.kind
        && finding.first_line.starts_with(exception.prefix)
}

fn all_exceptions() -> impl Iterator<Item = &'static Exception> {
    EXCEPTIONS.iter().chain(OUR_CODEC_BUGS)
}

fn check(report: &Report) {
    let unexplained: Vec<&Finding> = report
        .findings
        .iter()
        .filter(|f| !all_exceptions().any(|e| is_excused(f, e)))
        .collect();
    let stale: Vec<&Exception> = all_exceptions()
        .filter(|e| report.files.contains(&e.file))
        .filter(|e| !report.findings.iter().any(|f| is_excused(f, e)))
        .collect();
    let mut text = String::new();
    for f in &unexplained {
        let _ = writeln!(
            text,
            "{} | {:?} | {}\n    {}",
            f.file, f.kind, f.first_line, f.detail
        );
    }
    for e in &stale {
        let _ = writeln!(
            text,
            "stale exception: {} {:?} {} ({})",
            e.file, e.kind, e.prefix, e.why
        );
    }
    eprintln!(
        "{} messages: {} accepted by both, {} rejected by both, {} documented exceptions",
        report.messages,
        report.agreed_accept.len(),
        report.agreed_reject,
        report.findings.len() - unexplained.len()
    );
    assert!(text.is_empty(), "codecs disagree:\n{text}");
}

#[test]
fn client_streams_agree() {
    let mut report = Report::default();
    for file in CLIENT_STREAMS {
        walk_client_stream(&mut report, file);
    }
    assert!(
        report.messages >= 120,
        "corpus too small: {}",
        report.messages
    );
    check(&report);
}

#[test]
fn server_streams_agree() {
    let mut report = Report::default();
    for file in SERVER_STREAMS {
        walk_server_stream(&mut report, file, false);
    }
    walk_server_stream(&mut report, "greetings.imap", true);
    assert!(
        report.messages >= 120,
        "corpus too small: {}",
        report.messages
    );
    check(&report);
}

#[test]
fn invalid_commands_are_rejected_by_both() {
    let mut report = Report::default();
    walk_client_stream(&mut report, "invalid-commands.imap");
    check(&report);
    assert!(
        report.agreed_accept.is_empty(),
        "both accept an invalid command: {:?}",
        report.agreed_accept
    );
}

#[test]
fn invalid_responses_are_rejected_by_both() {
    let mut report = Report::default();
    let file = "invalid-responses.imap";
    report.files.push(file);
    let data = corpus_file(file);
    let mut pos = 0;
    while pos < data.len() {
        pos += compare_response(&mut report, file, &data[pos..]);
    }
    check(&report);
    assert!(
        report.agreed_accept.is_empty(),
        "both accept an invalid response: {:?}",
        report.agreed_accept
    );
}
