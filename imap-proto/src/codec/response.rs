//! Response decoding and encoding (RFC 9051 section 9 `response`, RFC 3501 section 9).
//!
//! [`decode_response`] frames first, then parses: status responses (`tag OK ...`,
//! `* BYE ...`, `+ ...`) are one line, everything else may span literals. A response
//! that does not parse is reported as [`DecodeError::Invalid`] with the bytes it occupies,
//! so a client can skip it and stay in sync.
//!
//! Whole-response decoding buffers every literal. For FETCH responses carrying large
//! literals (a 30 MB `BODY[]`), use [`ResponseStream`](super::ResponseStream), which hands
//! the literal out in chunks.

use std::borrow::Cow;

use bytes::BytesMut;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, take_while, take_while1};
use nom::combinator::{map, opt, peek, value, verify};
use nom::sequence::{delimited, preceded, terminated};

use super::primitives::{
    PResult, atom, fail, flag, flag_perm_wildcard, nz_number, sequence_set, sp, tag_value,
};
use super::response_common::{
    DEFAULT_MAX_DEPTH, TOO_DEEP, is_too_deep, keyword, line_end, number64, put_quoted, sp_items,
};
use super::response_data::{put_untagged_data, uid_set, untagged_data};
use super::{DecodeError, DecodeOptions, EncodeOptions, Encoder, frame, frame_line, read_tag};
use crate::types::{
    Capability, Charset, Code, Continuation, ContinueText, FlagPerm, Greeting, OtherCode, RespText,
    Response, StatusKind, Tagged, Text, Untagged,
};

/// Limits for decoding responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ResponseOptions {
    /// Line, literal and whole-response limits (see [`DecodeOptions`]).
    pub framing: DecodeOptions,
    /// Deepest nesting of BODYSTRUCTURE, THREAD and extension values.
    pub max_depth: usize,
}

impl Default for ResponseOptions {
    /// Limits for a client: lines up to 4 MiB (a long SEARCH result), literals up to
    /// 64 MiB, whole responses up to 72 MiB, nesting up to 64 levels.
    fn default() -> Self {
        let framing = DecodeOptions::new(4 * 1024 * 1024, 64 * 1024 * 1024)
            .with_max_message(72 * 1024 * 1024);
        Self {
            framing,
            max_depth: DEFAULT_MAX_DEPTH,
        }
    }
}

impl ResponseOptions {
    /// Options with the given framing limits and nesting depth.
    pub fn new(framing: DecodeOptions, max_depth: usize) -> Self {
        Self { framing, max_depth }
    }
}

/// Decodes one response from the start of `buf` with the default [`ResponseOptions`].
///
/// Returns the bytes it occupies and the response, borrowing from `buf`.
/// [`DecodeError::Incomplete`] and [`DecodeError::Literal`] mean "wait for more bytes";
/// [`DecodeError::Invalid`] gives the length of a response that could not be parsed
/// (skip it); [`DecodeError::TooLong`] and [`DecodeError::LiteralTooLarge`] mean the
/// limits were exceeded and the connection cannot continue safely.
pub fn decode_response(buf: &[u8]) -> Result<(usize, Response<'_>), DecodeError> {
    decode_response_with(buf, &ResponseOptions::default())
}

/// Decodes one response like [`decode_response`] with explicit limits.
pub fn decode_response_with<'a>(
    buf: &'a [u8],
    opts: &ResponseOptions,
) -> Result<(usize, Response<'a>), DecodeError> {
    let len = frame_response(buf, &opts.framing)?;
    let framed = &buf[..len];
    match response(opts.max_depth)(framed) {
        Ok(([], resp)) => Ok((len, resp)),
        Ok((rest, _)) => Err(invalid(buf, len, syntax_reason(len - rest.len()))),
        Err(e) if is_too_deep(&e) => Err(invalid(buf, len, Cow::Borrowed(TOO_DEEP))),
        Err(nom::Err::Error(e) | nom::Err::Failure(e)) => {
            Err(invalid(buf, len, syntax_reason(len - e.input.len())))
        }
        Err(nom::Err::Incomplete(_)) => Err(invalid(buf, len, Cow::Borrowed("truncated response"))),
    }
}

/// Decodes the server greeting: `* OK`, `* PREAUTH` or `* BYE`. Any other response is
/// [`DecodeError::Invalid`].
pub fn decode_greeting(buf: &[u8]) -> Result<(usize, Greeting<'_>), DecodeError> {
    let (len, resp) = decode_response(buf)?;
    Greeting::try_from(resp)
        .map(|g| (len, g))
        .map_err(|_| invalid(buf, len, Cow::Borrowed("not a greeting")))
}

fn syntax_reason(offset: usize) -> Cow<'static, str> {
    Cow::Owned(format!("response syntax error at offset {offset}"))
}

pub(crate) fn invalid(buf: &[u8], consumed: usize, reason: Cow<'static, str>) -> DecodeError {
    DecodeError::Invalid {
        consumed,
        tag: read_tag(buf),
        reason,
    }
}

/// Frames one response. Status responses and continuation requests cannot contain
/// literals, so they end at the first line end even when their text ends in `{n}`.
pub(crate) fn frame_response(buf: &[u8], opts: &DecodeOptions) -> Result<usize, DecodeError> {
    let line = frame_line(buf, opts.max_line)?;
    if is_status_line(&buf[..line]) {
        Ok(line)
    } else {
        frame(buf, opts)
    }
}

/// Whether the line is `+ ...`, `* OK|NO|BAD|BYE|PREAUTH ...` or `tag OK|NO|BAD ...`.
fn is_status_line(line: &[u8]) -> bool {
    if line.starts_with(b"+") {
        return true;
    }
    let Some(sp_at) = line.iter().position(|&b| b == b' ') else {
        return false;
    };
    let rest = &line[sp_at + 1..];
    let words: &[&str] = if line.starts_with(b"* ") {
        &["OK", "NO", "BAD", "BYE", "PREAUTH"]
    } else {
        &["OK", "NO", "BAD"]
    };
    words.iter().any(|w| {
        rest.len() > w.len()
            && rest[..w.len()].eq_ignore_ascii_case(w.as_bytes())
            && matches!(rest[w.len()], b' ' | b'\r' | b'\n')
    })
}

/// `response` (one of them).
fn response(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, Response<'_>> {
    move |i| {
        alt((
            map(continuation, Response::Continuation),
            map(
                preceded(tag(&b"* "[..]), untagged(depth)),
                Response::Untagged,
            ),
            map(tagged, Response::Tagged),
        ))
        .parse(i)
    }
}

fn status_kind(i: &[u8]) -> PResult<'_, StatusKind> {
    alt((
        value(StatusKind::Ok, keyword("OK")),
        value(StatusKind::No, keyword("NO")),
        value(StatusKind::Bad, keyword("BAD")),
    ))
    .parse(i)
}

fn tagged(i: &[u8]) -> PResult<'_, Tagged<'_>> {
    let (i, tag) = tag_value(i)?;
    let (i, status) = preceded(sp, status_kind).parse(i)?;
    let (i, text) = resp_text_after_keyword(i)?;
    Ok((i, Tagged { tag, status, text }))
}

fn untagged(depth: usize) -> impl FnMut(&[u8]) -> PResult<'_, Untagged<'_>> {
    move |i| {
        if let Ok((rest, status)) = status_kind(i) {
            let (rest, text) = resp_text_after_keyword(rest)?;
            return Ok((rest, Untagged::Condition { status, text }));
        }
        if let Ok((rest, ())) = keyword("PREAUTH").parse(i) {
            let (rest, text) = resp_text_after_keyword(rest)?;
            return Ok((rest, Untagged::PreAuth(text)));
        }
        if let Ok((rest, ())) = keyword("BYE").parse(i) {
            let (rest, text) = resp_text_after_keyword(rest)?;
            return Ok((rest, Untagged::Bye(text)));
        }
        let (i, data) = untagged_data(depth, i)?;
        let (i, ()) = line_end(i)?;
        Ok((i, data))
    }
}

/// After `OK`/`NO`/...: `SP resp-text CRLF`, or a bare CRLF (empty text).
fn resp_text_after_keyword(i: &[u8]) -> PResult<'_, RespText<'_>> {
    alt((
        map(line_crlf, |()| RespText::default()),
        delimited(sp, resp_text, line_crlf),
    ))
    .parse(i)
}

fn line_crlf(i: &[u8]) -> PResult<'_, ()> {
    value((), (opt(tag(&b"\r"[..])), tag(&b"\n"[..]))).parse(i)
}

/// The rest of the line as text (lossy UTF-8), without CR/LF.
fn text(i: &[u8]) -> PResult<'_, Text<'_>> {
    let (rest, raw) = take_while(|b| !matches!(b, b'\r' | b'\n' | 0)).parse(i)?;
    let text = String::from_utf8_lossy(raw);
    match Text::new(text) {
        Ok(t) => Ok((rest, t)),
        Err(_) => fail(i),
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] [text]` (the SP may be missing at line end).
fn resp_text(i: &[u8]) -> PResult<'_, RespText<'_>> {
    if i.starts_with(b"[") {
        let (rest, code) = delimited(tag(&b"["[..]), code, tag(&b"]"[..])).parse(i)?;
        let (rest, _) = opt(sp).parse(rest)?;
        let (rest, text) = text(rest)?;
        return Ok((rest, RespText::from_parts(Some(code), text)));
    }
    map(text, |t| RespText::from_parts(None, t)).parse(i)
}

fn code_name(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(crate::types::is_atom_char).parse(i)
}

/// `resp-text-code`.
fn code(i: &[u8]) -> PResult<'_, Code<'_>> {
    let (rest, name) = code_name(i)?;
    let upper = name.to_ascii_uppercase();
    if let Some((_, c)) = crate::types::simple_codes()
        .iter()
        .find(|(n, _)| n.as_bytes() == upper.as_slice())
    {
        return Ok((rest, c.clone()));
    }
    match upper.as_slice() {
        b"BADCHARSET" => map(opt(preceded(sp, bad_charset_list)), |c| {
            Code::BadCharset(c.unwrap_or_default())
        })
        .parse(rest),
        b"CAPABILITY" => map(capability_data, Code::Capability).parse(rest),
        b"PERMANENTFLAGS" => map(
            preceded(
                sp,
                super::primitives::paren_list(alt((
                    value(FlagPerm::Wildcard, flag_perm_wildcard),
                    map(flag, FlagPerm::Flag),
                ))),
            ),
            Code::PermanentFlags,
        )
        .parse(rest),
        b"UIDNEXT" => map(preceded(sp, nz_number), Code::UidNext).parse(rest),
        b"UIDVALIDITY" => map(preceded(sp, nz_number), Code::UidValidity).parse(rest),
        b"UNSEEN" => map(preceded(sp, nz_number), Code::Unseen).parse(rest),
        b"APPENDUID" => map(
            (preceded(sp, nz_number), preceded(sp, uid_set)),
            |(uid_validity, uids)| Code::AppendUid { uid_validity, uids },
        )
        .parse(rest),
        b"COPYUID" => map(
            (
                preceded(sp, nz_number),
                preceded(sp, uid_set),
                preceded(sp, uid_set),
            ),
            |(uid_validity, source, destination)| Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
        )
        .parse(rest),
        b"HIGHESTMODSEQ" => map(preceded(sp, number64), Code::HighestModSeq).parse(rest),
        b"MODIFIED" => map(preceded(sp, sequence_set), Code::Modified).parse(rest),
        _ => other_code(i),
    }
}

/// `atom [SP 1*<any TEXT-CHAR except "]">]`.
fn other_code(i: &[u8]) -> PResult<'_, Code<'_>> {
    let (rest, name) = atom(i)?;
    let (rest, value) = opt(preceded(
        sp,
        take_while1(|b| !matches!(b, b']' | b'\r' | b'\n' | 0)),
    ))
    .parse(rest)?;
    let value = value.map(String::from_utf8_lossy);
    match OtherCode::new(name, value) {
        Ok(code) => Ok((rest, Code::Other(code))),
        Err(_) => fail(i),
    }
}

/// The charsets after `BADCHARSET SP`: `"(" charset *(SP charset) ")"`, or, as the
/// generic `atom SP 1*<TEXT-CHAR except "]">` form of a code allows (RFC 9051 shows
/// `[BADCHARSET UTF-8]`), charsets without parentheses; other text is ignored.
fn bad_charset_list(i: &[u8]) -> PResult<'_, Vec<Charset<'_>>> {
    let list = nom::multi::separated_list1(sp, charset);
    let bare = terminated(
        nom::multi::separated_list1(sp, charset),
        peek(tag(&b"]"[..])),
    );
    let other_text = value(
        Vec::new(),
        take_while1(|b| !matches!(b, b']' | b'\r' | b'\n' | 0)),
    );
    alt((
        terminated(
            delimited(tag(&b"("[..]), list, tag(&b")"[..])),
            peek(tag(&b"]"[..])),
        ),
        bare,
        other_text,
    ))
    .parse(i)
}

/// `charset = atom / quoted`.
fn charset(i: &[u8]) -> PResult<'_, Charset<'_>> {
    let (rest, raw) = alt((
        map(atom, |a| Cow::Owned(a.as_str().to_owned())),
        map(super::primitives::quoted, |q| {
            Cow::Owned(String::from_utf8_lossy(&q).into_owned())
        }),
    ))
    .parse(i)?;
    match Charset::new(raw) {
        Ok(c) => Ok((rest, c)),
        Err(_) => fail(i),
    }
}

/// `capability`.
/// `capability-data` after its name: the list must name IMAP4rev1 or IMAP4rev2 (RFC 3501
/// and RFC 9051 section 9 each require their own revision; a server may offer both).
pub(crate) fn capability_data(i: &[u8]) -> PResult<'_, Vec<Capability<'_>>> {
    verify(
        |x| sp_items(capability, x),
        |caps: &Vec<Capability<'_>>| {
            caps.iter()
                .any(|c| matches!(c, Capability::Imap4Rev1 | Capability::Imap4Rev2))
        },
    )
    .parse(i)
}

pub(crate) fn capability(i: &[u8]) -> PResult<'_, Capability<'_>> {
    map(atom, Capability::from_atom).parse(i)
}

/// `continue-req`.
fn continuation(i: &[u8]) -> PResult<'_, Continuation<'_>> {
    let (i, _) = tag(&b"+"[..]).parse(i)?;
    let (i, _) = opt(sp).parse(i)?;
    let (rest, raw) = take_while(|b| !matches!(b, b'\r' | b'\n')).parse(i)?;
    let (rest, ()) = line_crlf(rest)?;
    if !raw.starts_with(b"[") {
        if let Some(data) = crate::types::base64_decode(raw) {
            return Ok((rest, Continuation::Base64(Cow::Owned(data))));
        }
    }
    let (after, text) = resp_text(i)?;
    let (after, ()) = line_crlf(after)?;
    Ok((after, Continuation::Text(ContinueText::from_decoded(text))))
}

// ---------------------------------------------------------------------------------------
// Encoding

/// Encodes a response onto `out`, as a server sends it (literals are synchronising and
/// not waited for; strings that are not 7-bit are sent as literals).
pub fn encode_response(resp: &Response<'_>, out: &mut BytesMut) {
    encode_response_with(resp, EncodeOptions::default(), out);
}

/// Encodes a response with explicit options: `utf8` allows UTF-8 in quoted strings
/// (IMAP4rev2 or `UTF8=ACCEPT` enabled).
pub fn encode_response_with(resp: &Response<'_>, opts: EncodeOptions, out: &mut BytesMut) {
    let mut e = Encoder::flat(opts, out);
    put_response(&mut e, resp);
    e.finish_flat(out);
}

/// Encodes a greeting.
pub fn encode_greeting(greeting: &Greeting<'_>, out: &mut BytesMut) {
    encode_response(&greeting.clone().into_response(), out);
}

fn put_response(e: &mut Encoder, resp: &Response<'_>) {
    match resp {
        Response::Continuation(c) => put_continuation(e, c),
        Response::Tagged(t) => {
            e.tag(&t.tag).sp().raw(t.status.as_str().as_bytes()).sp();
            put_resp_text(e, &t.text);
        }
        Response::Untagged(u) => {
            e.raw(b"* ");
            match u {
                Untagged::Condition { status, text } => {
                    e.raw(status.as_str().as_bytes()).sp();
                    put_resp_text(e, text);
                }
                Untagged::PreAuth(text) => {
                    e.raw(b"PREAUTH ");
                    put_resp_text(e, text);
                }
                Untagged::Bye(text) => {
                    e.raw(b"BYE ");
                    put_resp_text(e, text);
                }
                data => put_untagged_data(e, data),
            }
        }
    }
    e.crlf();
}

fn put_continuation(e: &mut Encoder, c: &Continuation<'_>) {
    e.raw(b"+ ");
    match c {
        Continuation::Text(t) => put_resp_text(e, t.resp_text()),
        Continuation::Base64(data) => {
            e.raw(crate::types::base64_text(data).as_bytes());
        }
    }
}

/// `["[" code "]" SP] text`.
fn put_resp_text(e: &mut Encoder, text: &RespText<'_>) {
    if let Some(code) = text.code() {
        e.raw(b"[");
        put_code(e, code);
        e.raw(b"] ");
    }
    e.raw(text.text().as_bytes());
}

fn put_code(e: &mut Encoder, code: &Code<'_>) {
    if let Some((name, _)) = crate::types::simple_codes().iter().find(|(_, c)| c == code) {
        e.raw(name.as_bytes());
        return;
    }
    match code {
        Code::BadCharset(list) => {
            e.raw(b"BADCHARSET");
            if !list.is_empty() {
                e.sp().list(list, |e, c| put_charset(e, c));
            }
        }
        Code::Capability(caps) => {
            e.raw(b"CAPABILITY");
            put_capabilities(e, caps);
        }
        Code::PermanentFlags(flags) => {
            e.raw(b"PERMANENTFLAGS ").list(flags, |e, f| {
                e.raw(f.to_string().as_bytes());
            });
        }
        Code::UidNext(n) => {
            e.raw(b"UIDNEXT ").number(n.get());
        }
        Code::UidValidity(n) => {
            e.raw(b"UIDVALIDITY ").number(n.get());
        }
        Code::Unseen(n) => {
            e.raw(b"UNSEEN ").number(n.get());
        }
        Code::AppendUid { uid_validity, uids } => {
            e.raw(b"APPENDUID ")
                .number(uid_validity.get())
                .sp()
                .sequence_set(uids.as_set());
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            e.raw(b"COPYUID ")
                .number(uid_validity.get())
                .sp()
                .sequence_set(source.as_set())
                .sp()
                .sequence_set(destination.as_set());
        }
        Code::HighestModSeq(n) => {
            e.raw(b"HIGHESTMODSEQ ").number(*n);
        }
        Code::Modified(set) => {
            e.raw(b"MODIFIED ").sequence_set(set);
        }
        Code::Other(other) => {
            e.raw(other.name().as_bytes());
            if let Some(v) = other.value() {
                e.sp().raw(v.as_bytes());
            }
        }
        // The simple codes were written above.
        _ => {}
    }
}

fn put_charset(e: &mut Encoder, c: &Charset<'_>) {
    let s = c.as_str();
    if s.bytes().all(crate::types::is_atom_char) {
        e.raw(s.as_bytes());
    } else {
        put_quoted(e, s);
    }
}

/// Writes `SP capability` for each capability.
pub(crate) fn put_capabilities(e: &mut Encoder, caps: &[Capability<'_>]) {
    for cap in caps {
        e.sp().raw(cap.to_string().as_bytes());
    }
}
