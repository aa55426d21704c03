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
use nom::bytes::complete::{tag, take_while1};
use nom::combinator::{map, opt, peek, value};
use nom::sequence::{delimited, preceded, terminated};

use super::frame::ends_in_literal_header;
use super::primitives::{
    ATOM, PResult, WORD, atom, byte, fail, flag, list_of, nz_number, run1, sequence_set, sp, span,
    tag_value, upper,
};
use super::response_common::{
    DEFAULT_MAX_DEPTH, TOO_DEEP, is_too_deep, line_end, number64, put_quoted,
};
use super::response_data::{put_untagged_data, uid_set, untagged_data};
use super::{DecodeError, DecodeOptions, EncodeOptions, Encoder, frame, frame_line, read_tag};
use crate::types::{
    Atom, Capability, Charset, Code, Continuation, ContinueText, FlagPerm, Greeting, OtherCode,
    RespText, Response, StatusKind, Tagged, Text, Untagged,
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
    match response(opts.max_depth, framed) {
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
    let first = &buf[..line];
    // A first line without a literal header is the whole response, as `frame` would find
    // (this saves it searching for the same line end again).
    if is_status_line(first) || (line <= opts.max_message && !ends_in_literal_header(first)) {
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
    let len = rest.iter().take_while(|b| b.is_ascii_alphabetic()).count();
    if !matches!(rest.get(len), Some(b' ' | b'\r' | b'\n')) {
        return false;
    }
    let Some((word, len)) = upper::<8>(&rest[..len]) else {
        return false;
    };
    match &word[..len] {
        b"OK" | b"NO" | b"BAD" => true,
        b"BYE" | b"PREAUTH" => line.starts_with(b"* "),
        _ => false,
    }
}

/// `response` (one of them).
fn response(depth: usize, i: &[u8]) -> PResult<'_, Response<'_>> {
    match i {
        [b'+', ..] => {
            let (rest, c) = continuation(i)?;
            Ok((rest, Response::Continuation(c)))
        }
        [b'*', b' ', after @ ..] => {
            let (rest, u) = untagged(depth, after)?;
            Ok((rest, Response::Untagged(u)))
        }
        _ => {
            let (rest, t) = tagged(i)?;
            Ok((rest, Response::Tagged(t)))
        }
    }
}

/// The status word at the start of `i` (any case, a whole word), or `None`.
fn status_word(i: &[u8]) -> Option<(&[u8], Status)> {
    let len = span(i, WORD);
    let (word, len) = upper::<8>(&i[..len])?;
    let status = match &word[..len] {
        b"OK" => Status::Kind(StatusKind::Ok),
        b"NO" => Status::Kind(StatusKind::No),
        b"BAD" => Status::Kind(StatusKind::Bad),
        b"PREAUTH" => Status::PreAuth,
        b"BYE" => Status::Bye,
        _ => return None,
    };
    Some((&i[len..], status))
}

/// The words that start a status response.
#[derive(Clone, Copy)]
enum Status {
    Kind(StatusKind),
    PreAuth,
    Bye,
}

fn tagged(i: &[u8]) -> PResult<'_, Tagged<'_>> {
    let (rest, tag) = tag_value(i)?;
    let (rest, ()) = sp(rest)?;
    let Some((rest, Status::Kind(status))) = status_word(rest) else {
        return fail(rest);
    };
    let (rest, text) = resp_text_after_keyword(rest)?;
    Ok((rest, Tagged { tag, status, text }))
}

fn untagged(depth: usize, i: &[u8]) -> PResult<'_, Untagged<'_>> {
    if let Some((rest, status)) = status_word(i) {
        let (rest, text) = resp_text_after_keyword(rest)?;
        let u = match status {
            Status::Kind(status) => Untagged::Condition { status, text },
            Status::PreAuth => Untagged::PreAuth(text),
            Status::Bye => Untagged::Bye(text),
        };
        return Ok((rest, u));
    }
    let (i, data) = untagged_data(depth, i)?;
    let (i, ()) = line_end(i)?;
    Ok((i, data))
}

/// After `OK`/`NO`/...: `SP resp-text CRLF`, or a bare CRLF (empty text).
fn resp_text_after_keyword(i: &[u8]) -> PResult<'_, RespText<'_>> {
    if let Ok((rest, ())) = line_crlf(i) {
        return Ok((rest, RespText::default()));
    }
    let (rest, ()) = sp(i)?;
    let (rest, text) = resp_text(rest)?;
    let (rest, ()) = line_crlf(rest)?;
    Ok((rest, text))
}

/// `[CR] LF`.
fn line_crlf(i: &[u8]) -> PResult<'_, ()> {
    match i {
        [b'\n', rest @ ..] | [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        _ => fail(i),
    }
}

/// The rest of the line as text (lossy UTF-8), without CR/LF.
fn text(i: &[u8]) -> PResult<'_, Text<'_>> {
    let len = memchr::memchr3(0, b'\r', b'\n', i).unwrap_or(i.len());
    let (raw, rest) = i.split_at(len);
    let text = match std::str::from_utf8(raw) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => String::from_utf8_lossy(raw),
    };
    match Text::new(text) {
        Ok(t) => Ok((rest, t)),
        Err(_) => fail(i),
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] [text]` (the SP may be missing at line end).
fn resp_text(i: &[u8]) -> PResult<'_, RespText<'_>> {
    if let Some(after) = i.strip_prefix(b"[") {
        let (rest, code) = code(after)?;
        let (rest, ()) = byte(rest, b']')?;
        let rest = rest.strip_prefix(b" ").unwrap_or(rest);
        let (rest, text) = text(rest)?;
        return Ok((rest, RespText::from_parts(Some(code), text)));
    }
    let (rest, text) = text(i)?;
    Ok((rest, RespText::from_parts(None, text)))
}

/// Longer than every code name this crate knows.
const MAX_CODE_NAME: usize = 24;

/// `resp-text-code`.
fn code(i: &[u8]) -> PResult<'_, Code<'_>> {
    let (rest, name) = run1(i, ATOM)?;
    let Some((upper, len)) = upper::<MAX_CODE_NAME>(name) else {
        return other_code(i);
    };
    let upper = &upper[..len];
    match upper {
        b"CAPABILITY" => {
            let (rest, caps) = capability_data(rest)?;
            return Ok((rest, Code::Capability(caps)));
        }
        b"PERMANENTFLAGS" => {
            let (rest, ()) = sp(rest)?;
            let (rest, flags) = list_of(rest, flag_perm)?;
            return Ok((rest, Code::PermanentFlags(flags)));
        }
        b"UIDNEXT" => return map(preceded(sp, nz_number), Code::UidNext).parse(rest),
        b"UIDVALIDITY" => return map(preceded(sp, nz_number), Code::UidValidity).parse(rest),
        b"UNSEEN" => return map(preceded(sp, nz_number), Code::Unseen).parse(rest),
        b"APPENDUID" => {
            let (rest, uid_validity) = preceded(sp, nz_number).parse(rest)?;
            let (rest, uids) = preceded(sp, uid_set).parse(rest)?;
            return Ok((rest, Code::AppendUid { uid_validity, uids }));
        }
        b"COPYUID" => {
            let (rest, uid_validity) = preceded(sp, nz_number).parse(rest)?;
            let (rest, source) = preceded(sp, uid_set).parse(rest)?;
            let (rest, destination) = preceded(sp, uid_set).parse(rest)?;
            let code = Code::CopyUid {
                uid_validity,
                source,
                destination,
            };
            return Ok((rest, code));
        }
        b"HIGHESTMODSEQ" => return map(preceded(sp, number64), Code::HighestModSeq).parse(rest),
        b"MODIFIED" => return map(preceded(sp, sequence_set), Code::Modified).parse(rest),
        b"BADCHARSET" => {
            return map(opt(preceded(sp, bad_charset_list)), |c| {
                Code::BadCharset(c.unwrap_or_default())
            })
            .parse(rest);
        }
        _ => {}
    }
    match crate::types::simple_codes()
        .iter()
        .find(|(n, _)| n.as_bytes() == upper)
    {
        Some((_, c)) => Ok((rest, c.clone())),
        None => other_code(i),
    }
}

/// A PERMANENTFLAGS entry: a flag or `\*`.
fn flag_perm(i: &[u8]) -> PResult<'_, FlagPerm<'_>> {
    if let [b'\\', b'*', rest @ ..] = i {
        return Ok((rest, FlagPerm::Wildcard));
    }
    let (rest, f) = flag(i)?;
    Ok((rest, FlagPerm::Flag(f)))
}

/// `atom [SP 1*<any TEXT-CHAR except "]">]`.
fn other_code(i: &[u8]) -> PResult<'_, Code<'_>> {
    let (mut rest, name) = atom(i)?;
    let mut value = None;
    if let Some(after) = rest.strip_prefix(b" ") {
        let len = after
            .iter()
            .position(|&b| matches!(b, b']' | b'\r' | b'\n' | 0))
            .unwrap_or(after.len());
        if len > 0 {
            value = Some(String::from_utf8_lossy(&after[..len]));
            rest = &after[len..];
        }
    }
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

/// `capability-data` after its name: the list must name IMAP4rev1 or IMAP4rev2 (RFC 3501
/// and RFC 9051 section 9 each require their own revision; a server may offer both).
pub(crate) fn capability_data(i: &[u8]) -> PResult<'_, Vec<Capability<'_>>> {
    let (rest, caps) = capability_list(i)?;
    if caps
        .iter()
        .any(|c| matches!(c, Capability::Imap4Rev1 | Capability::Imap4Rev2))
    {
        Ok((rest, caps))
    } else {
        fail(i)
    }
}

/// `*(SP capability)`.
///
/// Capabilities are ASCII, so the list lies within the UTF-8 prefix of the input; that is
/// checked once, and each capability is a slice of it.
pub(crate) fn capability_list(i: &[u8]) -> PResult<'_, Vec<Capability<'_>>> {
    let text = match std::str::from_utf8(i) {
        Ok(text) => text,
        Err(e) => std::str::from_utf8(&i[..e.valid_up_to()]).unwrap_or_default(),
    };
    let bytes = text.as_bytes();
    // Room for the usual 8 to 12 bytes per capability, so that long lists do not
    // reallocate over and over.
    let mut caps = Vec::with_capacity(bytes.len().min(4096) / 8 + 1);
    let mut pos = 0;
    while bytes.get(pos) == Some(&b' ') {
        let len = span(&bytes[pos + 1..], ATOM);
        if len == 0 {
            break;
        }
        let Some(cap) = capability_from_name(&text[pos + 1..pos + 1 + len]) else {
            break;
        };
        caps.push(cap);
        pos += 1 + len;
    }
    Ok((&i[pos..], caps))
}

/// The capability an atom names, exactly as [`Capability::from_atom`] reads it, but
/// matched on an upper-cased stack copy and borrowing the mechanism or algorithm part.
/// `None` only if `name` is not an atom.
pub(crate) fn capability_from_name(text: &str) -> Option<Capability<'_>> {
    let name = text.as_bytes();
    if let Some((buf, len)) = upper::<20>(name) {
        let known = match &buf[..len] {
            b"IMAP4REV1" => Some(Capability::Imap4Rev1),
            b"IMAP4REV2" => Some(Capability::Imap4Rev2),
            b"LOGINDISABLED" => Some(Capability::LoginDisabled),
            b"STARTTLS" => Some(Capability::StartTls),
            b"IDLE" => Some(Capability::Idle),
            b"LITERAL+" => Some(Capability::LiteralPlus),
            b"LITERAL-" => Some(Capability::LiteralMinus),
            b"SASL-IR" => Some(Capability::SaslIr),
            b"ENABLE" => Some(Capability::Enable),
            b"UIDPLUS" => Some(Capability::UidPlus),
            b"MOVE" => Some(Capability::Move),
            b"UNSELECT" => Some(Capability::Unselect),
            b"NAMESPACE" => Some(Capability::Namespace),
            b"ID" => Some(Capability::Id),
            b"CHILDREN" => Some(Capability::Children),
            b"SPECIAL-USE" => Some(Capability::SpecialUse),
            b"CREATE-SPECIAL-USE" => Some(Capability::CreateSpecialUse),
            b"LIST-EXTENDED" => Some(Capability::ListExtended),
            b"LIST-STATUS" => Some(Capability::ListStatus),
            b"ESEARCH" => Some(Capability::ESearch),
            b"SEARCHRES" => Some(Capability::SearchRes),
            b"WITHIN" => Some(Capability::Within),
            b"CONDSTORE" => Some(Capability::CondStore),
            b"QRESYNC" => Some(Capability::QResync),
            b"QUOTA" => Some(Capability::Quota),
            b"QUOTASET" => Some(Capability::QuotaSet),
            b"SORT" => Some(Capability::Sort),
            b"BINARY" => Some(Capability::Binary),
            b"MULTIAPPEND" => Some(Capability::MultiAppend),
            b"UTF8=ACCEPT" => Some(Capability::Utf8Accept),
            b"UTF8=ONLY" => Some(Capability::Utf8Only),
            b"STATUS=SIZE" => Some(Capability::StatusSize),
            b"COMPRESS=DEFLATE" => Some(Capability::CompressDeflate),
            b"APPENDLIMIT" => Some(Capability::AppendLimit(None)),
            _ => None,
        };
        if known.is_some() {
            return known;
        }
    }
    if let Some(digits) = strip_prefix_no_case(name, b"APPENDLIMIT=") {
        let valid = !digits.is_empty() && digits.len() <= 19;
        if let (true, Ok((b"", n))) = (valid, super::primitives::number_u64(digits)) {
            return Some(Capability::AppendLimit(Some(n)));
        }
    }
    type Make<'a> = fn(Atom<'a>) -> Capability<'a>;
    let prefixed: [(&[u8], Make<'_>); 3] = [
        (b"AUTH=", Capability::Auth),
        (b"THREAD=", Capability::Thread),
        (b"QUOTA=RES-", Capability::QuotaRes),
    ];
    for (prefix, make) in prefixed {
        if strip_prefix_no_case(name, prefix).is_some_and(|r| !r.is_empty()) {
            return Atom::new(&text[prefix.len()..]).ok().map(make);
        }
    }
    Atom::new(text).ok().map(Capability::Other)
}

/// `s` without `prefix` (compared in any case).
fn strip_prefix_no_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    match s.get(..prefix.len()) {
        Some(head) if head.eq_ignore_ascii_case(prefix) => Some(&s[prefix.len()..]),
        _ => None,
    }
}

/// `continue-req`.
fn continuation(i: &[u8]) -> PResult<'_, Continuation<'_>> {
    let (i, ()) = byte(i, b'+')?;
    let i = i.strip_prefix(b" ").unwrap_or(i);
    let len = i
        .iter()
        .position(|&b| matches!(b, b'\r' | b'\n'))
        .unwrap_or(i.len());
    let (raw, rest) = i.split_at(len);
    let (rest, ()) = line_crlf(rest)?;
    if !raw.starts_with(b"[")
        && let Some(data) = crate::types::base64_decode(raw)
    {
        return Ok((rest, Continuation::Base64(Cow::Owned(data))));
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

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::codec::response_data::known_attribute;
    use crate::types::{Flag, MailboxAttribute};

    /// Every name `Capability::from_atom` treats specially, in several cases, and names
    /// around them.
    const NAMES: &[&str] = &[
        "IMAP4rev1",
        "IMAP4REV2",
        "imap4rev3",
        "LOGINDISABLED",
        "STARTTLS",
        "IDLE",
        "LITERAL+",
        "LITERAL-",
        "LITERAL",
        "SASL-IR",
        "ENABLE",
        "UIDPLUS",
        "MOVE",
        "UNSELECT",
        "NAMESPACE",
        "ID",
        "CHILDREN",
        "SPECIAL-USE",
        "CREATE-SPECIAL-USE",
        "LIST-EXTENDED",
        "LIST-STATUS",
        "ESEARCH",
        "SEARCHRES",
        "WITHIN",
        "CONDSTORE",
        "QRESYNC",
        "QUOTA",
        "QUOTASET",
        "QUOTA=RES-STORAGE",
        "QUOTA=RES-",
        "QUOTA=res-x",
        "SORT",
        "SORT=DISPLAY",
        "BINARY",
        "MULTIAPPEND",
        "UTF8=ACCEPT",
        "UTF8=ONLY",
        "STATUS=SIZE",
        "COMPRESS=DEFLATE",
        "COMPRESS=GZIP",
        "APPENDLIMIT",
        "APPENDLIMIT=",
        "APPENDLIMIT=0",
        "APPENDLIMIT=35651584",
        "APPENDLIMIT=9999999999999999999",
        "APPENDLIMIT=00000000000000000001",
        "APPENDLIMIT=1x",
        "AUTH=",
        "AUTH=PLAIN",
        "auth=xoauth2",
        "THREAD=",
        "THREAD=REFERENCES",
        "X-GM-EXT-1",
        "XLIST",
        "CREATE-SPECIAL-USEX",
    ];

    fn case_variants(name: &str) -> [String; 3] {
        let mixed: String = name
            .chars()
            .enumerate()
            .map(|(k, c)| {
                if k % 2 == 0 {
                    c.to_ascii_lowercase()
                } else {
                    c
                }
            })
            .collect();
        [name.to_owned(), name.to_ascii_lowercase(), mixed]
    }

    fn public(name: &str) -> Capability<'_> {
        Capability::from_atom(Atom::new(name).unwrap())
    }

    #[test]
    fn capability_names_match_from_atom() {
        for name in NAMES {
            for variant in case_variants(name) {
                assert_eq!(
                    capability_from_name(&variant),
                    Some(public(&variant)),
                    "{variant}"
                );
            }
        }
    }

    #[test]
    fn simple_code_names_and_arguments_match_their_variants() {
        for (name, want) in crate::types::simple_codes() {
            let line = format!("[{}] x", name.to_ascii_lowercase());
            let (_, text) = resp_text(line.as_bytes()).unwrap();
            assert_eq!(text.code(), Some(want), "{name}");
        }
        let (_, text) = resp_text(b"[HIGHESTMODSEQ 18446744073709551615] x").unwrap();
        assert_eq!(text.code(), Some(&Code::HighestModSeq(u64::MAX)));
        assert!(resp_text(b"[HIGHESTMODSEQ 18446744073709551616] x").is_err());
    }

    #[test]
    fn status_lines_are_recognised_by_their_word() {
        assert!(is_status_line(b"+\r\n"));
        assert!(is_status_line(b"* preauth x\r\n"));
        assert!(is_status_line(b"a1 bad\n"));
        assert!(is_status_line(b"a1 OK {5}\r\n"));
        assert!(!is_status_line(b"a1 BYE x\r\n"));
        assert!(!is_status_line(b"a1 OKAY x\r\n"));
        assert!(!is_status_line(b"a1 OK1 x\r\n"));
        assert!(!is_status_line(b"* 1 FETCH (BODY[] {5}\r\n"));
        assert!(!is_status_line(b"* OK"));
    }

    #[test]
    fn known_flags_and_attributes_match_their_constructors() {
        let attributes = [
            "Noinferiors",
            "Noselect",
            "Marked",
            "Unmarked",
            "NonExistent",
            "Subscribed",
            "Remote",
            "HasChildren",
            "HasNoChildren",
            "All",
            "Archive",
            "Drafts",
            "Flagged",
            "Junk",
            "Sent",
            "Trash",
            "Important",
            "Other",
            "Sents",
            "Al",
        ];
        let flags = [
            "Seen", "Answered", "Flagged", "Deleted", "Draft", "Recent", "Seen2", "Draf",
        ];
        for name in attributes.iter().chain(&flags) {
            for variant in case_variants(name) {
                let text = format!("\\{variant}");
                let public = MailboxAttribute::from_name(text.as_str()).unwrap();
                match known_attribute(variant.as_bytes()) {
                    Some(a) => assert_eq!(a, public),
                    None => assert!(matches!(public, MailboxAttribute::Extension(_)), "{text}"),
                }
                let (rest, flag) = flag(text.as_bytes()).unwrap();
                assert!(rest.is_empty());
                assert_eq!(flag, Flag::from_name(text.as_str()).unwrap());
            }
        }
    }

    proptest! {
        #[test]
        fn any_atom_reads_as_from_atom_does(
            prefix in prop::sample::select(vec![
                "", "AUTH=", "auth=", "THREAD=", "Thread=", "QUOTA=RES-", "quota=res-",
                "APPENDLIMIT=", "appendlimit=", "IMAP4rev", "UTF8=", "STATUS=", "LITERAL",
            ]),
            rest in "[A-Za-z0-9=+.-]{0,22}",
        ) {
            let name = format!("{prefix}{rest}");
            prop_assume!(!name.is_empty());
            prop_assert_eq!(capability_from_name(&name), Some(public(&name)));
        }

        #[test]
        fn flags_and_attributes_read_as_their_constructors_do(name in "[A-Za-z$-]{1,16}") {
            let text = format!("\\{name}");
            let (_, parsed) = flag(text.as_bytes()).unwrap();
            prop_assert_eq!(parsed, Flag::from_name(text.as_str()).unwrap());
            let (_, parsed) = flag(name.as_bytes()).unwrap();
            prop_assert_eq!(parsed, Flag::from_name(name.as_str()).unwrap());
            let known = known_attribute(name.as_bytes());
            if let Some(a) = known {
                prop_assert_eq!(a, MailboxAttribute::from_name(text.as_str()).unwrap());
            } else {
                let public = MailboxAttribute::from_name(text.as_str()).unwrap();
                prop_assert!(matches!(public, MailboxAttribute::Extension(_)), "{:?}", public);
            }
        }
    }
}
