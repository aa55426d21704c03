//! SEARCH keys, SORT criteria and THREAD algorithms: parsers and encoders.

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::{tag, tag_no_case, take_while1};
use nom::combinator::{map, map_res, opt, value};
use nom::multi::separated_list1;
use nom::sequence::{delimited, preceded};

use super::encode::Encoder;
use super::primitives::{
    PResult, astring, atom, date, fail, number64, nz_number, paren_list, paren_list1, quoted,
    sequence_set, sp,
};
use crate::types::{
    AString, Date, EntryKind, Flag, ModSeqEntry, NonEmptyVec, SearchKey, SearchReturnOption,
    SortCriterion, SortKey,
};

/// How deeply `NOT`, `OR` and parentheses may nest in a search program.
pub(crate) const MAX_SEARCH_DEPTH: u8 = 32;

/// `1*(SP search-key)` after the command's other arguments.
pub(crate) fn search_keys(i: &[u8]) -> PResult<'_, NonEmptyVec<SearchKey<'_>>> {
    map_res(
        nom::multi::many1(preceded(sp, |i| search_key(i, MAX_SEARCH_DEPTH))),
        NonEmptyVec::new,
    )
    .parse(i)
}

fn boxed(i: &[u8], depth: u8) -> PResult<'_, Box<SearchKey<'_>>> {
    map(|i| search_key(i, depth), Box::new).parse(i)
}

/// One search key, nested at most `depth` levels.
pub(crate) fn search_key<'a>(i: &'a [u8], depth: u8) -> PResult<'a, SearchKey<'a>> {
    let Some(depth) = depth.checked_sub(1) else {
        return fail(i);
    };
    match i.first() {
        Some(b'(') => {
            return map_res(paren_list1(|i| search_key(i, depth)), |keys| {
                NonEmptyVec::new(keys).map(SearchKey::And)
            })
            .parse(i);
        }
        Some(b'0'..=b'9' | b'*' | b'$') => {
            return map(sequence_set, SearchKey::SequenceSet).parse(i);
        }
        _ => {}
    }
    let (rest, word) = take_while1(|b: u8| b.is_ascii_alphabetic()).parse(i)?;
    let word = std::str::from_utf8(word)
        .unwrap_or_default()
        .to_ascii_uppercase();
    use SearchKey as K;
    let simple = match word.as_str() {
        "ALL" => Some(K::All),
        "ANSWERED" => Some(K::Answered),
        "DELETED" => Some(K::Deleted),
        "DRAFT" => Some(K::Draft),
        "FLAGGED" => Some(K::Flagged),
        "NEW" => Some(K::New),
        "OLD" => Some(K::Old),
        "RECENT" => Some(K::Recent),
        "SEEN" => Some(K::Seen),
        "UNANSWERED" => Some(K::Unanswered),
        "UNDELETED" => Some(K::Undeleted),
        "UNDRAFT" => Some(K::Undraft),
        "UNFLAGGED" => Some(K::Unflagged),
        "UNSEEN" => Some(K::Unseen),
        _ => None,
    };
    if let Some(key) = simple {
        return Ok((rest, key));
    }
    let i = rest;
    let arg_str = |make: fn(AString<'a>) -> SearchKey<'a>| preceded(sp, map(astring, make));
    let arg_date = |make: fn(Date) -> SearchKey<'a>| preceded(sp, map(date, make));
    match word.as_str() {
        "BCC" => arg_str(K::Bcc).parse(i),
        "BODY" => arg_str(K::Body).parse(i),
        "CC" => arg_str(K::Cc).parse(i),
        "FROM" => arg_str(K::From).parse(i),
        "SUBJECT" => arg_str(K::Subject).parse(i),
        "TEXT" => arg_str(K::Text).parse(i),
        "TO" => arg_str(K::To).parse(i),
        "BEFORE" => arg_date(K::Before).parse(i),
        "ON" => arg_date(K::On).parse(i),
        "SINCE" => arg_date(K::Since).parse(i),
        "SENTBEFORE" => arg_date(K::SentBefore).parse(i),
        "SENTON" => arg_date(K::SentOn).parse(i),
        "SENTSINCE" => arg_date(K::SentSince).parse(i),
        "KEYWORD" => preceded(sp, map(atom, K::Keyword)).parse(i),
        "UNKEYWORD" => preceded(sp, map(atom, K::Unkeyword)).parse(i),
        "HEADER" => map((sp, astring, sp, astring), |(_, f, _, v)| K::Header(f, v)).parse(i),
        "LARGER" => preceded(sp, map(number64, K::Larger)).parse(i),
        "SMALLER" => preceded(sp, map(number64, K::Smaller)).parse(i),
        "UID" => preceded(sp, map(sequence_set, K::Uid)).parse(i),
        "NOT" => preceded(sp, map(|i| boxed(i, depth), K::Not)).parse(i),
        "OR" => map(
            (sp, |i| boxed(i, depth), sp, |i| boxed(i, depth)),
            |(_, a, _, b)| K::Or(a, b),
        )
        .parse(i),
        "OLDER" => preceded(sp, map(nz_number, K::Older)).parse(i),
        "YOUNGER" => preceded(sp, map(nz_number, K::Younger)).parse(i),
        "MODSEQ" => modseq_key(i),
        _ => fail(i),
    }
}

/// `MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer` (after the word).
fn modseq_key(i: &[u8]) -> PResult<'_, SearchKey<'_>> {
    let entry = map_res(
        (sp, quoted, sp, entry_kind),
        |(_, name, _, kind)| -> Result<ModSeqEntry<'_>, ()> {
            let text = super::primitives::cow_bytes_to_str(name).ok_or(())?;
            let flag_name = text
                .strip_prefix("/flags/")
                .filter(|f| !f.is_empty())
                .ok_or(())?
                .to_owned();
            let flag = Flag::from_name(flag_name).map_err(|_| ())?;
            if flag == Flag::Recent {
                return Err(());
            }
            Ok(ModSeqEntry { flag, kind })
        },
    );
    map((opt(entry), sp, number64), |(entry, _, modseq)| {
        SearchKey::ModSeq { entry, modseq }
    })
    .parse(i)
}

fn entry_kind(i: &[u8]) -> PResult<'_, EntryKind> {
    alt((
        value(EntryKind::Private, tag_no_case(&b"priv"[..])),
        value(EntryKind::Shared, tag_no_case(&b"shared"[..])),
        value(EntryKind::All, tag_no_case(&b"all"[..])),
    ))
    .parse(i)
}

/// `SP "RETURN" SP "(" [option *(SP option)] ")"`.
pub(crate) fn search_return_opts(i: &[u8]) -> PResult<'_, Vec<SearchReturnOption>> {
    let option = alt((
        value(SearchReturnOption::Min, tag_no_case(&b"MIN"[..])),
        value(SearchReturnOption::Max, tag_no_case(&b"MAX"[..])),
        value(SearchReturnOption::All, tag_no_case(&b"ALL"[..])),
        value(SearchReturnOption::Count, tag_no_case(&b"COUNT"[..])),
        value(SearchReturnOption::Save, tag_no_case(&b"SAVE"[..])),
    ));
    preceded((sp, tag_no_case(&b"RETURN"[..]), sp), paren_list(option)).parse(i)
}

const SORT_KEYS: [(SortKey, &str); 9] = [
    (SortKey::Arrival, "ARRIVAL"),
    (SortKey::Cc, "CC"),
    (SortKey::Date, "DATE"),
    (SortKey::From, "FROM"),
    (SortKey::Size, "SIZE"),
    (SortKey::Subject, "SUBJECT"),
    (SortKey::To, "TO"),
    (SortKey::DisplayFrom, "DISPLAYFROM"),
    (SortKey::DisplayTo, "DISPLAYTO"),
];

fn sort_key(i: &[u8]) -> PResult<'_, SortKey> {
    let (rest, word) = take_while1(|b: u8| b.is_ascii_alphabetic()).parse(i)?;
    match SORT_KEYS
        .iter()
        .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(word))
    {
        Some((key, _)) => Ok((rest, *key)),
        None => fail(i),
    }
}

/// `"(" sort-criterion *(SP sort-criterion) ")"`.
pub(crate) fn sort_criteria(i: &[u8]) -> PResult<'_, NonEmptyVec<SortCriterion>> {
    let criterion = map(
        (opt((tag_no_case(&b"REVERSE"[..]), sp)), sort_key),
        |(reverse, key)| SortCriterion {
            reverse: reverse.is_some(),
            key,
        },
    );
    map_res(
        delimited(
            tag(&b"("[..]),
            separated_list1(sp, criterion),
            tag(&b")"[..]),
        ),
        NonEmptyVec::new,
    )
    .parse(i)
}

fn sort_key_name(key: SortKey) -> &'static str {
    SORT_KEYS
        .iter()
        .find(|(k, _)| *k == key)
        .map_or("", |(_, n)| n)
}

pub(crate) fn encode_sort_criteria(e: &mut Encoder, criteria: &[SortCriterion]) {
    e.list(criteria, |e, c| {
        if c.reverse {
            e.raw(b"REVERSE ");
        }
        e.raw(sort_key_name(c.key).as_bytes());
    });
}

pub(crate) fn encode_return_opts(e: &mut Encoder, opts: &[SearchReturnOption]) {
    e.raw(b"RETURN ").list(opts, |e, o| {
        e.raw(match o {
            SearchReturnOption::Min => b"MIN",
            SearchReturnOption::Max => b"MAX",
            SearchReturnOption::All => b"ALL",
            SearchReturnOption::Count => b"COUNT",
            SearchReturnOption::Save => b"SAVE",
        });
    });
}

/// Writes keys separated by spaces.
pub(crate) fn encode_search_keys(e: &mut Encoder, keys: &[SearchKey<'_>]) {
    e.separated(keys, encode_search_key);
}

pub(crate) fn encode_search_key(e: &mut Encoder, key: &SearchKey<'_>) {
    use SearchKey as K;
    let word: &[u8] = match key {
        K::All => b"ALL",
        K::Answered => b"ANSWERED",
        K::Deleted => b"DELETED",
        K::Draft => b"DRAFT",
        K::Flagged => b"FLAGGED",
        K::New => b"NEW",
        K::Old => b"OLD",
        K::Recent => b"RECENT",
        K::Seen => b"SEEN",
        K::Unanswered => b"UNANSWERED",
        K::Undeleted => b"UNDELETED",
        K::Undraft => b"UNDRAFT",
        K::Unflagged => b"UNFLAGGED",
        K::Unseen => b"UNSEEN",
        K::Bcc(s) => return str_key(e, b"BCC ", s),
        K::Body(s) => return str_key(e, b"BODY ", s),
        K::Cc(s) => return str_key(e, b"CC ", s),
        K::From(s) => return str_key(e, b"FROM ", s),
        K::Subject(s) => return str_key(e, b"SUBJECT ", s),
        K::Text(s) => return str_key(e, b"TEXT ", s),
        K::To(s) => return str_key(e, b"TO ", s),
        K::Before(d) => return date_key(e, b"BEFORE ", d),
        K::On(d) => return date_key(e, b"ON ", d),
        K::Since(d) => return date_key(e, b"SINCE ", d),
        K::SentBefore(d) => return date_key(e, b"SENTBEFORE ", d),
        K::SentOn(d) => return date_key(e, b"SENTON ", d),
        K::SentSince(d) => return date_key(e, b"SENTSINCE ", d),
        K::Keyword(a) => {
            e.raw(b"KEYWORD ").atom(a);
            return;
        }
        K::Unkeyword(a) => {
            e.raw(b"UNKEYWORD ").atom(a);
            return;
        }
        K::Header(f, v) => {
            e.raw(b"HEADER ").astring(f).sp().astring(v);
            return;
        }
        K::Larger(n) => {
            e.raw(b"LARGER ").number(*n);
            return;
        }
        K::Smaller(n) => {
            e.raw(b"SMALLER ").number(*n);
            return;
        }
        K::Not(k) => {
            e.raw(b"NOT ");
            return encode_search_key(e, k);
        }
        K::Or(a, b) => {
            e.raw(b"OR ");
            encode_search_key(e, a);
            e.sp();
            return encode_search_key(e, b);
        }
        K::Uid(set) => {
            e.raw(b"UID ").sequence_set(set);
            return;
        }
        K::SequenceSet(set) => {
            e.sequence_set(set);
            return;
        }
        K::And(keys) => {
            e.list(keys, encode_search_key);
            return;
        }
        K::ModSeq { entry, modseq } => {
            e.raw(b"MODSEQ ");
            if let Some(entry) = entry {
                let name = format!("/flags/{}", entry.flag);
                e.string_bytes(name.as_bytes()).sp().raw(match entry.kind {
                    EntryKind::Private => b"priv",
                    EntryKind::Shared => b"shared",
                    EntryKind::All => b"all",
                });
                e.sp();
            }
            e.number(*modseq);
            return;
        }
        K::Older(n) => {
            e.raw(b"OLDER ").number(n.get());
            return;
        }
        K::Younger(n) => {
            e.raw(b"YOUNGER ").number(n.get());
            return;
        }
    };
    e.raw(word);
}

fn str_key(e: &mut Encoder, word: &[u8], s: &AString<'_>) {
    e.raw(word).astring(s);
}

fn date_key(e: &mut Encoder, word: &[u8], d: &Date) {
    e.raw(word).date(d);
}
