//! Command decoding (RFC 9051 / RFC 3501 section 9 grammar and the extensions).
//!
//! Leniency: command names, keywords and search keys are case-insensitive; quoted strings
//! may carry 8-bit (UTF-8) text in any session. Strict elsewhere: single spaces, CRLF line
//! ends, no NUL, and every argument validated as the types require.

use std::borrow::Cow;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;
use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while, take_while1};
use nom::combinator::{map, map_res, opt, value};
use nom::multi::{many1, separated_list0, separated_list1};
use nom::sequence::{delimited, preceded};

use super::fetch::{fetch_items, fetch_modifiers};
use super::frame::{frame, read_tag};
use super::primitives::{
    PResult, astring, atom, crlf, date_time, fail, flag, flag_list, istring, list_mailbox,
    literal_header, literal_value, mailbox, nstring, number64, nz_number, nz_number64, paren_list,
    paren_list1, sequence_set, sp, tag_value,
};
use super::response::capability_list;
use super::search::{search_keys, search_return_opts, sort_criteria};
use super::{DecodeError, DecodeOptions};
use crate::types::{
    AppendData, AppendMessage, Command, CommandBody, DateTime, Flag, List, ListPattern,
    ListReturnOption, ListSelectOption, Literal, LiteralHeader, MailboxAttribute, NonEmptyVec,
    QResync, QuotaLimit, Resource, Search, Secret, SelectParams, Sort, StatusAttribute,
    StoreAction, Thread, ThreadAlgorithm,
};

/// Decodes one command from the start of `buf` with the default [`DecodeOptions`].
///
/// Returns the bytes consumed and the command, which borrows from `buf`. The whole command
/// must be buffered, literals included; see [`decode_command_streaming`] for a server that
/// streams APPEND messages instead.
///
/// [`decode_command_streaming`]: super::decode_command_streaming
pub fn decode_command(buf: &[u8]) -> Result<(usize, Command<'_>), DecodeError> {
    decode_command_with(buf, &DecodeOptions::default())
}

/// Decodes one command from the start of `buf` with the given limits.
pub fn decode_command_with<'a>(
    buf: &'a [u8],
    opts: &DecodeOptions,
) -> Result<(usize, Command<'a>), DecodeError> {
    let len = frame(buf, opts)?;
    parse_framed_command(&buf[..len])
        .map(|command| (len, command))
        .map_err(|reason| DecodeError::Invalid {
            consumed: len,
            tag: read_tag(buf),
            reason,
        })
}

/// Parses one complete, framed command (literals included, ending in CRLF).
pub fn parse_framed_command(framed: &[u8]) -> Result<Command<'_>, Cow<'static, str>> {
    if !framed.ends_with(b"\r\n") {
        return Err(Cow::Borrowed("line must end with CRLF"));
    }
    let (rest, tag) = tag_value(framed).map_err(|_| Cow::Borrowed("missing or invalid tag"))?;
    let rest = rest
        .strip_prefix(b" ")
        .ok_or(Cow::Borrowed("missing command"))?;
    let (args, name) = command_name(rest).map_err(|_| Cow::Borrowed("missing command"))?;
    let (args, name, uid) = if name.eq_ignore_ascii_case(b"UID") {
        let (args, sub) = preceded(sp, command_name)
            .parse(args)
            .map_err(|_| Cow::Borrowed("UID needs a command"))?;
        (args, sub, true)
    } else {
        (args, name, false)
    };
    let Some(parser) = command_parser(name, uid) else {
        return Err(Cow::Owned(format!(
            "unknown command {}",
            printable(&display_name(name, uid))
        )));
    };
    match (parser, crlf).parse(args) {
        Ok((b"", (body, ()))) => Ok(Command { tag, body }),
        _ => Err(Cow::Owned(format!(
            "syntax error in {}",
            display_name(name, uid)
        ))),
    }
}

/// The command name for an error message, upper-cased (`UID FETCH`).
fn display_name(name: &[u8], uid: bool) -> String {
    let name = String::from_utf8_lossy(name).to_ascii_uppercase();
    if uid { format!("UID {name}") } else { name }
}

fn printable(name: &str) -> String {
    name.chars()
        .take(32)
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .collect()
}

fn command_name(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(|b: u8| b.is_ascii_alphanumeric() || b == b'-' || b == b'_').parse(i)
}

type BodyParser = for<'a> fn(&'a [u8]) -> PResult<'a, CommandBody<'a>>;

/// Longer than every command name this crate knows.
const MAX_NAME: usize = 16;

/// The parser for a command name (any case), after `UID` if `uid`.
fn command_parser(name: &[u8], uid: bool) -> Option<BodyParser> {
    if name.len() > MAX_NAME {
        return None;
    }
    let mut upper = [0u8; MAX_NAME];
    let upper = &mut upper[..name.len()];
    upper.copy_from_slice(name);
    upper.make_ascii_uppercase();
    if uid {
        uid_command_parser(upper)
    } else {
        plain_command_parser(upper)
    }
}

/// The parser for `UID <name>` (`name` upper-cased).
fn uid_command_parser(name: &[u8]) -> Option<BodyParser> {
    Some(match name {
        b"SEARCH" => |i| search(i, true),
        b"FETCH" => |i| fetch(i, true),
        b"STORE" => |i| store(i, true),
        b"COPY" => |i| copy_move(i, true, false),
        b"MOVE" => |i| copy_move(i, true, true),
        b"EXPUNGE" => |i| preceded(sp, map(sequence_set, CommandBody::UidExpunge)).parse(i),
        b"SORT" => |i| sort(i, true),
        b"THREAD" => |i| thread(i, true),
        _ => return None,
    })
}

/// The parser for a command other than `UID ...` (`name` upper-cased).
fn plain_command_parser(name: &[u8]) -> Option<BodyParser> {
    Some(match name {
        b"CAPABILITY" => |i| Ok((i, CommandBody::Capability)),
        b"NOOP" => |i| Ok((i, CommandBody::Noop)),
        b"LOGOUT" => |i| Ok((i, CommandBody::Logout)),
        b"STARTTLS" => |i| Ok((i, CommandBody::StartTls)),
        b"NAMESPACE" => |i| Ok((i, CommandBody::Namespace)),
        b"IDLE" => |i| Ok((i, CommandBody::Idle)),
        b"CHECK" => |i| Ok((i, CommandBody::Check)),
        b"CLOSE" => |i| Ok((i, CommandBody::Close)),
        b"UNSELECT" => |i| Ok((i, CommandBody::Unselect)),
        b"EXPUNGE" => |i| Ok((i, CommandBody::Expunge)),
        b"AUTHENTICATE" => authenticate,
        b"LOGIN" => login,
        b"ENABLE" => enable,
        b"SELECT" => |i| select(i, false),
        b"EXAMINE" => |i| select(i, true),
        b"CREATE" => create,
        b"DELETE" => |i| preceded(sp, map(mailbox, CommandBody::Delete)).parse(i),
        b"RENAME" => |i| {
            map((sp, mailbox, sp, mailbox), |(_, from, _, to)| {
                CommandBody::Rename { from, to }
            })
            .parse(i)
        },
        b"SUBSCRIBE" => |i| preceded(sp, map(mailbox, CommandBody::Subscribe)).parse(i),
        b"UNSUBSCRIBE" => |i| preceded(sp, map(mailbox, CommandBody::Unsubscribe)).parse(i),
        b"LIST" => list,
        b"LSUB" => lsub,
        b"STATUS" => status,
        b"APPEND" => append,
        b"SEARCH" => |i| search(i, false),
        b"FETCH" => |i| fetch(i, false),
        b"STORE" => |i| store(i, false),
        b"COPY" => |i| copy_move(i, false, false),
        b"MOVE" => |i| copy_move(i, false, true),
        b"SORT" => |i| sort(i, false),
        b"THREAD" => |i| thread(i, false),
        b"ID" => id,
        b"GETQUOTA" => |i| preceded(sp, map(astring, CommandBody::GetQuota)).parse(i),
        b"GETQUOTAROOT" => |i| preceded(sp, map(mailbox, CommandBody::GetQuotaRoot)).parse(i),
        b"SETQUOTA" => setquota,
        b"COMPRESS" => |i| {
            value(
                CommandBody::CompressDeflate,
                (sp, tag_no_case(&b"DEFLATE"[..])),
            )
            .parse(i)
        },
        _ => return None,
    })
}

fn is_base64_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// Base64 (with padding) or `=` for an empty response, decoded.
pub(crate) fn sasl_response(i: &[u8]) -> PResult<'_, Vec<u8>> {
    let (rest, text) = take_while1(is_base64_char).parse(i)?;
    if text == b"=" {
        return Ok((rest, Vec::new()));
    }
    match BASE64.decode(text) {
        Ok(data) => Ok((rest, data)),
        Err(_) => fail(i),
    }
}

fn authenticate(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    map(
        (sp, atom, opt(preceded(sp, sasl_response))),
        |(_, mechanism, ir)| CommandBody::Authenticate {
            mechanism,
            initial_response: ir.map(|data| Secret(Cow::Owned(data))),
        },
    )
    .parse(i)
}

fn login(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    map((sp, astring, sp, astring), |(_, username, _, password)| {
        CommandBody::Login {
            username,
            password: Secret(password),
        }
    })
    .parse(i)
}

fn enable(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let (rest, caps) = capability_list(i)?;
    match NonEmptyVec::new(caps) {
        Ok(caps) => Ok((rest, CommandBody::Enable(caps))),
        Err(_) => fail(i),
    }
}

fn select(i: &[u8], examine: bool) -> PResult<'_, CommandBody<'_>> {
    let (i, (_, mailbox, params)) = (sp, mailbox, opt(preceded(sp, select_params))).parse(i)?;
    let params = params.unwrap_or_default();
    let body = if examine {
        CommandBody::Examine { mailbox, params }
    } else {
        CommandBody::Select { mailbox, params }
    };
    Ok((i, body))
}

fn select_params(i: &[u8]) -> PResult<'_, SelectParams> {
    #[derive(Clone)]
    enum Param {
        CondStore,
        QResync(QResync),
    }
    let param = alt((
        value(Param::CondStore, tag_no_case(&b"CONDSTORE"[..])),
        map(
            preceded((tag_no_case(&b"QRESYNC"[..]), sp), qresync),
            Param::QResync,
        ),
    ));
    let (rest, list) = paren_list1(param).parse(i)?;
    let mut params = SelectParams::default();
    for p in list {
        match p {
            Param::CondStore if !params.condstore => params.condstore = true,
            Param::QResync(q) if params.qresync.is_none() => params.qresync = Some(q),
            _ => return fail(i),
        }
    }
    Ok((rest, params))
}

fn qresync(i: &[u8]) -> PResult<'_, QResync> {
    let seq_match = delimited(
        tag(&b"("[..]),
        (sequence_set, sp, sequence_set),
        tag(&b")"[..]),
    );
    map(
        delimited(
            tag(&b"("[..]),
            (
                nz_number,
                sp,
                nz_number64,
                opt(preceded(sp, sequence_set)),
                opt(preceded(sp, seq_match)),
            ),
            tag(&b")"[..]),
        ),
        |(uid_validity, _, modseq, known_uids, seq_match)| QResync {
            uid_validity,
            modseq,
            known_uids,
            seq_match: seq_match.map(|(a, _, b)| (a, b)),
        },
    )
    .parse(i)
}

fn create(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let use_attr = map_res(
        take_while1(|b: u8| b == b'\\' || crate::types::is_atom_char(b)),
        |b: &[u8]| MailboxAttribute::from_name(String::from_utf8_lossy(b).into_owned()),
    );
    let create_param = preceded((tag_no_case(&b"USE"[..]), sp), paren_list(use_attr));
    map(
        (sp, mailbox, opt(preceded(sp, paren_list1(create_param)))),
        |(_, mailbox, params)| CommandBody::Create {
            mailbox,
            special_use: params.into_iter().flatten().flatten().collect(),
        },
    )
    .parse(i)
}

fn pattern(i: &[u8]) -> PResult<'_, ListPattern<'_>> {
    map_res(list_mailbox, ListPattern::new).parse(i)
}

fn list(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let select_opt = map(atom, |a| match a.as_str().to_ascii_uppercase().as_str() {
        "SUBSCRIBED" => ListSelectOption::Subscribed,
        "REMOTE" => ListSelectOption::Remote,
        "RECURSIVEMATCH" => ListSelectOption::RecursiveMatch,
        "SPECIAL-USE" => ListSelectOption::SpecialUse,
        _ => ListSelectOption::Other(a),
    });
    let patterns = alt((
        map_res(paren_list1(pattern), NonEmptyVec::new),
        map(pattern, NonEmptyVec::one),
    ));
    let return_opts = preceded(
        (sp, tag_no_case(&b"RETURN"[..]), sp),
        paren_list(list_return_option),
    );
    let (rest, (_, selection, reference, _, patterns, return_options)) = (
        sp,
        opt((paren_list(select_opt), sp)),
        mailbox,
        sp,
        patterns,
        opt(return_opts),
    )
        .parse(i)?;
    let selection = selection.map(|(s, _)| s).unwrap_or_default();
    let recursive_alone = selection.contains(&ListSelectOption::RecursiveMatch)
        && selection
            .iter()
            .all(|s| *s == ListSelectOption::RecursiveMatch);
    if recursive_alone {
        return fail(i);
    }
    Ok((
        rest,
        CommandBody::List(List {
            selection,
            reference,
            patterns,
            return_options: return_options.unwrap_or_default(),
        }),
    ))
}

fn list_return_option(i: &[u8]) -> PResult<'_, ListReturnOption<'_>> {
    alt((
        map(
            preceded((tag_no_case(&b"STATUS"[..]), sp), status_attributes),
            ListReturnOption::Status,
        ),
        map(atom, |a| match a.as_str().to_ascii_uppercase().as_str() {
            "SUBSCRIBED" => ListReturnOption::Subscribed,
            "CHILDREN" => ListReturnOption::Children,
            "SPECIAL-USE" => ListReturnOption::SpecialUse,
            _ => ListReturnOption::Other(a),
        }),
    ))
    .parse(i)
}

fn status_attributes(i: &[u8]) -> PResult<'_, NonEmptyVec<StatusAttribute>> {
    let item = map_res(
        take_while1(|b: u8| b.is_ascii_alphabetic() || b == b'-'),
        |b: &[u8]| StatusAttribute::from_name(&String::from_utf8_lossy(b)).ok_or(()),
    );
    map_res(paren_list1(item), NonEmptyVec::new).parse(i)
}

fn lsub(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    map((sp, mailbox, sp, pattern), |(_, reference, _, pattern)| {
        CommandBody::Lsub { reference, pattern }
    })
    .parse(i)
}

fn status(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    map(
        (sp, mailbox, sp, status_attributes),
        |(_, mailbox, _, items)| CommandBody::Status { mailbox, items },
    )
    .parse(i)
}

/// `[flag-list SP] [date-time SP]` before an APPEND message.
pub(crate) fn append_options(i: &[u8]) -> PResult<'_, (Vec<Flag<'_>>, Option<DateTime>)> {
    map(
        (opt((flag_list, sp)), opt((date_time, sp))),
        |(flags, date)| {
            (
                flags.map(|(f, _)| f).unwrap_or_default(),
                date.map(|(d, _)| d),
            )
        },
    )
    .parse(i)
}

fn append_data(i: &[u8]) -> PResult<'_, AppendData<'_>> {
    alt((
        map(literal_value, AppendData::new),
        map_res(
            delimited(
                (tag_no_case(&b"UTF8"[..]), sp, tag(&b"("[..])),
                literal_value,
                tag(&b")"[..]),
            ),
            |lit: Literal<'_>| {
                if lit.is_binary() {
                    AppendData::utf8(lit.into_data())
                } else {
                    Err(crate::types::ValidationError::new(
                        "APPEND UTF8",
                        "needs a literal8",
                    ))
                }
            },
        ),
    ))
    .parse(i)
}

fn append_message(i: &[u8]) -> PResult<'_, AppendMessage<'_>> {
    map(
        preceded(sp, (append_options, append_data)),
        |((flags, date), data)| AppendMessage { flags, date, data },
    )
    .parse(i)
}

fn append(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    map_res(
        (sp, mailbox, many1(append_message)),
        |(_, mailbox, messages)| {
            NonEmptyVec::new(messages).map(|messages| CommandBody::Append { mailbox, messages })
        },
    )
    .parse(i)
}

/// The head of an APPEND message up to its literal header: `SP [flags SP] [date SP]`
/// then `{n}`, `~{n}` or `UTF8 (~{n}`. Returns the options, the header and the UTF8 flag.
pub(crate) fn append_message_head(
    i: &[u8],
) -> PResult<'_, (Vec<Flag<'_>>, Option<DateTime>, LiteralHeader, bool)> {
    let utf8_header = preceded(
        (tag_no_case(&b"UTF8"[..]), sp, tag(&b"("[..])),
        literal_header,
    );
    let header = alt((
        map(literal_header, |h| (h, false)),
        map_res(
            utf8_header,
            |h| if h.binary { Ok((h, true)) } else { Err(()) },
        ),
    ));
    map(
        preceded(sp, (append_options, header)),
        |((flags, date), (header, utf8))| (flags, date, header, utf8),
    )
    .parse(i)
}

fn search(i: &[u8], uid: bool) -> PResult<'_, CommandBody<'_>> {
    map(
        (
            opt(search_return_opts),
            opt(preceded((sp, tag_no_case(&b"CHARSET"[..]), sp), astring)),
            search_keys,
        ),
        move |(return_options, charset, criteria)| {
            CommandBody::Search(Search {
                uid,
                return_options,
                charset,
                criteria,
            })
        },
    )
    .parse(i)
}

fn fetch(i: &[u8], uid: bool) -> PResult<'_, CommandBody<'_>> {
    let (rest, (_, set, _, items, modifiers)) =
        (sp, sequence_set, sp, fetch_items, opt(fetch_modifiers)).parse(i)?;
    let modifiers = modifiers.unwrap_or_default();
    let vanished = modifiers.changed_since.is_some_and(|c| c.vanished);
    if vanished && !uid {
        return fail(i);
    }
    Ok((
        rest,
        CommandBody::Fetch {
            uid,
            set,
            items,
            modifiers,
        },
    ))
}

fn store(i: &[u8], uid: bool) -> PResult<'_, CommandBody<'_>> {
    let unchanged = delimited(
        (sp, tag(&b"("[..]), tag_no_case(&b"UNCHANGEDSINCE"[..]), sp),
        number64,
        tag(&b")"[..]),
    );
    let action = alt((
        value(StoreAction::Add, tag(&b"+"[..])),
        value(StoreAction::Remove, tag(&b"-"[..])),
        value(StoreAction::Replace, take_while(|_| false)),
    ));
    let flags = alt((flag_list, separated_list1(sp, flag)));
    map(
        (
            sp,
            sequence_set,
            opt(unchanged),
            sp,
            action,
            tag_no_case(&b"FLAGS"[..]),
            opt(tag_no_case(&b".SILENT"[..])),
            sp,
            flags,
        ),
        move |(_, set, unchanged_since, _, action, _, silent, _, flags)| CommandBody::Store {
            uid,
            set,
            unchanged_since,
            action,
            silent: silent.is_some(),
            flags,
        },
    )
    .parse(i)
}

fn copy_move(i: &[u8], uid: bool, is_move: bool) -> PResult<'_, CommandBody<'_>> {
    map(
        (sp, sequence_set, sp, mailbox),
        move |(_, set, _, mailbox)| {
            if is_move {
                CommandBody::Move { uid, set, mailbox }
            } else {
                CommandBody::Copy { uid, set, mailbox }
            }
        },
    )
    .parse(i)
}

fn sort(i: &[u8], uid: bool) -> PResult<'_, CommandBody<'_>> {
    map(
        (sp, sort_criteria, sp, astring, search_keys),
        move |(_, criteria, _, charset, search)| {
            CommandBody::Sort(Sort {
                uid,
                criteria,
                charset,
                search,
            })
        },
    )
    .parse(i)
}

fn thread(i: &[u8], uid: bool) -> PResult<'_, CommandBody<'_>> {
    map(
        (sp, atom, sp, astring, search_keys),
        move |(_, algorithm, _, charset, search)| {
            CommandBody::Thread(Thread {
                uid,
                algorithm: ThreadAlgorithm::from_atom(algorithm),
                charset,
                search,
            })
        },
    )
    .parse(i)
}

fn id(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let pair = map((istring, sp, nstring), |(k, _, v)| (k, v));
    let params = alt((
        value(None, tag_no_case(&b"NIL"[..])),
        map(
            delimited(tag(&b"("[..]), separated_list0(sp, pair), tag(&b")"[..])),
            Some,
        ),
    ));
    preceded(sp, map(params, CommandBody::Id)).parse(i)
}

fn setquota(i: &[u8]) -> PResult<'_, CommandBody<'_>> {
    let limit = map((atom, sp, number64), |(name, _, limit)| QuotaLimit {
        resource: Resource::from_atom(name),
        limit,
    });
    map(
        (sp, astring, sp, paren_list(limit)),
        |(_, root, _, limits)| CommandBody::SetQuota { root, limits },
    )
    .parse(i)
}
