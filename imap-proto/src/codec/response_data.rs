//! Untagged data responses: parsers and encoders (FETCH is in `response_fetch`).

use nom::Parser;
use nom::branch::alt;
use nom::bytes::complete::tag;
use nom::combinator::{map, map_res, opt, value};
use nom::multi::many1;
use nom::sequence::{delimited, preceded, terminated};

use super::Encoder;
use super::primitives::{
    ATOM, PResult, WORD, astring, atom, byte, fail, flag_list, istring, list_of, mailbox, nstring,
    number, nz_number, paren_list, paren_list1, run1, sequence_set, sp, span, upper,
};
use super::response::{capability_data, capability_list, put_capabilities};
use super::response_common::{
    delimiter, keyword, keyword_at, nil, number64, put_delimiter, sp_items, too_deep,
};
use super::response_fetch::{fetch_data, put_fetch};
use crate::types::{
    ESearch, ExtItem, IString, IdParams, ListExtendedItem, MailboxAttribute, MailboxList,
    MailboxStatus, Namespace, NamespaceDescr, NamespaceExtension, NonEmptyVec, Quota,
    QuotaResource, QuotaRoot, Resource, SearchData, SearchReturn, SearchReturnExt, StatusItem,
    TaggedExtComp, TaggedExtVal, ThreadNode, UidSet, Untagged,
};

/// `uid-set`.
pub(crate) fn uid_set(i: &[u8]) -> PResult<'_, UidSet> {
    map_res(sequence_set, UidSet::new).parse(i)
}

/// Every untagged response other than status responses, without the line end.
pub(crate) fn untagged_data(depth: usize, i: &[u8]) -> PResult<'_, Untagged<'_>> {
    if i.first().is_some_and(u8::is_ascii_digit) {
        return message_data(depth, i);
    }
    let len = i
        .iter()
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'-')
        .count();
    let rest = &i[len..];
    let Some((name, n)) = upper::<12>(&i[..len]) else {
        return fail(i);
    };
    match &name[..n] {
        b"CAPABILITY" => map(capability_data, Untagged::Capability).parse(rest),
        b"ENABLED" => map(capability_list, Untagged::Enabled).parse(rest),
        b"FLAGS" => map(preceded(sp, flag_list), Untagged::Flags).parse(rest),
        b"LIST" => map(preceded(sp, |x| mailbox_list(depth, x)), Untagged::List).parse(rest),
        b"LSUB" => map(preceded(sp, |x| mailbox_list(depth, x)), Untagged::Lsub).parse(rest),
        b"STATUS" => map(preceded(sp, mailbox_status), Untagged::Status).parse(rest),
        b"SEARCH" => map(search_data, Untagged::Search).parse(rest),
        b"SORT" => map(search_data, Untagged::Sort).parse(rest),
        b"ESEARCH" => map(|x| esearch(depth, x), Untagged::ESearch).parse(rest),
        b"THREAD" => map(|x| sp_items_adjacent(depth, x), Untagged::Thread).parse(rest),
        b"VANISHED" => {
            let (rest, earlier) = match rest.get(..10) {
                Some(head) if head.eq_ignore_ascii_case(b" (EARLIER)") => (&rest[10..], true),
                _ => (rest, false),
            };
            let (rest, uids) = preceded(sp, uid_set).parse(rest)?;
            Ok((rest, Untagged::Vanished { earlier, uids }))
        }
        b"NAMESPACE" => map(preceded(sp, namespace), Untagged::Namespace).parse(rest),
        b"ID" => map(preceded(sp, id_params), Untagged::Id).parse(rest),
        b"QUOTA" => map(preceded(sp, quota), Untagged::Quota).parse(rest),
        b"QUOTAROOT" => map(quota_root, Untagged::QuotaRoot).parse(rest),
        _ => fail(i),
    }
}

/// `n EXISTS`, `n RECENT`, `n EXPUNGE`, `n FETCH (...)`.
fn message_data(depth: usize, i: &[u8]) -> PResult<'_, Untagged<'_>> {
    let (rest, n) = number(i)?;
    let (rest, ()) = sp(rest)?;
    let len = span(rest, WORD);
    let Some((word, wlen)) = upper::<8>(&rest[..len]) else {
        return fail(i);
    };
    let after = &rest[len..];
    let seq = std::num::NonZeroU32::new(n);
    match (&word[..wlen], seq) {
        (b"EXISTS", _) => Ok((after, Untagged::Exists(n))),
        (b"RECENT", _) => Ok((after, Untagged::Recent(n))),
        (b"EXPUNGE", Some(seq)) => Ok((after, Untagged::Expunge(seq))),
        (b"FETCH", Some(seq)) => {
            let (after, ()) = sp(after)?;
            map(|x| fetch_data(depth, seq, x), Untagged::Fetch).parse(after)
        }
        _ => fail(i),
    }
}

/// `"\" atom`, a known attribute matched without building a string.
fn mailbox_attribute(i: &[u8]) -> PResult<'_, MailboxAttribute<'_>> {
    let (rest, ()) = byte(i, b'\\')?;
    let (rest, name) = run1(rest, ATOM)?;
    if let Some(a) = known_attribute(name) {
        return Ok((rest, a));
    }
    let text = std::str::from_utf8(&i[..=name.len()]).unwrap_or_default();
    match MailboxAttribute::from_name(text) {
        Ok(a) => Ok((rest, a)),
        Err(_) => fail(i),
    }
}

/// The attribute `\name` names when it is one of the known ones (any case), as
/// [`MailboxAttribute::from_name`] reads it.
pub(crate) fn known_attribute(name: &[u8]) -> Option<MailboxAttribute<'static>> {
    use MailboxAttribute as A;
    let (buf, len) = upper::<16>(name)?;
    Some(match &buf[..len] {
        b"NOINFERIORS" => A::NoInferiors,
        b"NOSELECT" => A::NoSelect,
        b"MARKED" => A::Marked,
        b"UNMARKED" => A::Unmarked,
        b"NONEXISTENT" => A::NonExistent,
        b"SUBSCRIBED" => A::Subscribed,
        b"REMOTE" => A::Remote,
        b"HASCHILDREN" => A::HasChildren,
        b"HASNOCHILDREN" => A::HasNoChildren,
        b"ALL" => A::All,
        b"ARCHIVE" => A::Archive,
        b"DRAFTS" => A::Drafts,
        b"FLAGGED" => A::Flagged,
        b"JUNK" => A::Junk,
        b"SENT" => A::Sent,
        b"TRASH" => A::Trash,
        b"IMPORTANT" => A::Important,
        _ => return None,
    })
}

/// `mailbox-list`.
fn mailbox_list(depth: usize, i: &[u8]) -> PResult<'_, MailboxList<'_>> {
    let (i, attributes) = list_of(i, mailbox_attribute)?;
    let (i, ()) = sp(i)?;
    let (i, delimiter) = delimiter(i)?;
    let (i, ()) = sp(i)?;
    let (i, mailbox) = mailbox(i)?;
    // Anything but ` (` is left for the line end to accept (trailing spaces) or reject.
    let (i, extended) = match i.strip_prefix(b" ") {
        Some(after) if after.starts_with(b"(") => {
            paren_list(|x| list_extended_item(depth, x)).parse(after)?
        }
        _ => (i, Vec::new()),
    };
    Ok((
        i,
        MailboxList {
            attributes,
            delimiter,
            mailbox,
            extended,
        },
    ))
}

fn list_extended_item(depth: usize, i: &[u8]) -> PResult<'_, ListExtendedItem<'_>> {
    let (rest, name) = terminated(astring, sp).parse(i)?;
    let n = name.as_bytes();
    if n.eq_ignore_ascii_case(b"CHILDINFO") {
        return map(
            map_res(paren_list1(istring), NonEmptyVec::new),
            ListExtendedItem::ChildInfo,
        )
        .parse(rest);
    }
    if n.eq_ignore_ascii_case(b"OLDNAME") {
        return map(
            delimited(tag(&b"("[..]), mailbox, tag(&b")"[..])),
            ListExtendedItem::OldName,
        )
        .parse(rest);
    }
    let (rest, value) = tagged_ext_val(depth, rest)?;
    match ExtItem::new(name, value) {
        Ok(item) => Ok((rest, ListExtendedItem::Other(item))),
        Err(_) => fail(i),
    }
}

/// `tagged-ext-val`; a lone number reads as a number.
fn tagged_ext_val(depth: usize, i: &[u8]) -> PResult<'_, TaggedExtVal<'_>> {
    if i.starts_with(b"(") {
        return map(|x| ext_comp_list(depth, x), TaggedExtVal::List).parse(i);
    }
    if let Ok((rest, n)) = number64(i)
        && !rest.starts_with(b",")
        && !rest.starts_with(b":")
    {
        return Ok((rest, TaggedExtVal::Number(n)));
    }
    map(sequence_set, TaggedExtVal::SequenceSet).parse(i)
}

/// `"(" [comp *(SP comp)] ")"` where comp is an astring or a nested list.
fn ext_comp_list(depth: usize, i: &[u8]) -> PResult<'_, Vec<TaggedExtComp<'_>>> {
    let Some(inner) = depth.checked_sub(1) else {
        return too_deep(i);
    };
    paren_list(move |x| {
        alt((
            map(|y| ext_comp_list(inner, y), TaggedExtComp::List),
            map(astring, TaggedExtComp::AString),
        ))
        .parse(x)
    })
    .parse(i)
}

fn status_item(i: &[u8]) -> PResult<'_, StatusItem> {
    let len = i
        .iter()
        .take_while(|&&b| b.is_ascii_alphabetic() || b == b'-')
        .count();
    let (rest, ()) = sp(&i[len..])?;
    let Some((name, n)) = upper::<16>(&i[..len]) else {
        return fail(i);
    };
    match &name[..n] {
        b"MESSAGES" => map(number, StatusItem::Messages).parse(rest),
        b"RECENT" => map(number, StatusItem::Recent).parse(rest),
        b"UIDNEXT" => map(nz_number, StatusItem::UidNext).parse(rest),
        b"UIDVALIDITY" => map(nz_number, StatusItem::UidValidity).parse(rest),
        b"UNSEEN" => map(number, StatusItem::Unseen).parse(rest),
        b"DELETED" => map(number, StatusItem::Deleted).parse(rest),
        b"SIZE" => map(number64, StatusItem::Size).parse(rest),
        b"HIGHESTMODSEQ" => map(number64, StatusItem::HighestModSeq).parse(rest),
        b"APPENDLIMIT" => match nil(rest) {
            Ok((rest, ())) => Ok((rest, StatusItem::AppendLimit(None))),
            Err(_) => map(number64, |n| StatusItem::AppendLimit(Some(n))).parse(rest),
        },
        b"DELETED-STORAGE" => map(number64, StatusItem::DeletedStorage).parse(rest),
        _ => fail(i),
    }
}

/// `mailbox SP "(" [status-att-val *(SP status-att-val)] [SP] ")"`.
fn mailbox_status(i: &[u8]) -> PResult<'_, MailboxStatus<'_>> {
    let (i, mailbox) = mailbox(i)?;
    let (i, ()) = sp(i)?;
    let (mut i, ()) = byte(i, b'(')?;
    let mut items = Vec::new();
    let at_end = |x: &[u8]| x.starts_with(b")") || x.starts_with(b" )");
    if !at_end(i) {
        loop {
            let (rest, item) = status_item(i)?;
            items.push(item);
            i = rest;
            match i.strip_prefix(b" ") {
                Some(after) if !after.starts_with(b")") => i = after,
                _ => break,
            }
        }
    }
    let i = i.strip_prefix(b" ").unwrap_or(i);
    let (i, ()) = byte(i, b')')?;
    Ok((i, MailboxStatus { mailbox, items }))
}

/// `*(SP nz-number) [SP "(" "MODSEQ" SP n ")"]`.
fn search_data(mut i: &[u8]) -> PResult<'_, SearchData> {
    let mut ids = Vec::new();
    while let Some(Ok((rest, n))) = i.strip_prefix(b" ").map(nz_number) {
        ids.push(n);
        i = rest;
    }
    let mut modseq = None;
    if let Some(Ok((rest, n))) = i.strip_prefix(b" (").map(search_modseq) {
        modseq = Some(n);
        i = rest;
    }
    match SearchData::new(ids, modseq) {
        Ok(data) => Ok((i, data)),
        Err(_) => fail(i),
    }
}

/// `"MODSEQ" SP n ")"` after the `(`.
fn search_modseq(i: &[u8]) -> PResult<'_, u64> {
    let (i, ()) = keyword_at(i, b"MODSEQ")?;
    let (i, ()) = sp(i)?;
    let (i, n) = number64(i)?;
    let (i, ()) = byte(i, b')')?;
    Ok((i, n))
}

fn esearch(depth: usize, i: &[u8]) -> PResult<'_, ESearch<'_>> {
    let (i, tag_string) = opt(preceded(
        sp,
        delimited(
            (tag(&b"("[..]), keyword("TAG"), sp),
            astring,
            tag(&b")"[..]),
        ),
    ))
    .parse(i)?;
    let (i, uid) = opt(preceded(sp, keyword("UID"))).parse(i)?;
    let (i, data) = sp_items(|x| search_return(depth, x), i)?;
    Ok((
        i,
        ESearch {
            tag: tag_string,
            uid: uid.is_some(),
            data,
        },
    ))
}

fn search_return(depth: usize, i: &[u8]) -> PResult<'_, SearchReturn<'_>> {
    let len = i
        .iter()
        .take_while(|&&b| crate::types::is_label_char(b))
        .count();
    if len == 0 {
        return fail(i);
    }
    let name = &i[..len];
    let (rest, ()) = sp(&i[len..])?;
    let upper = upper::<8>(name);
    match upper.as_ref().map(|(u, n)| &u[..*n]) {
        Some(b"MIN") => map(nz_number, SearchReturn::Min).parse(rest),
        Some(b"MAX") => map(nz_number, SearchReturn::Max).parse(rest),
        Some(b"ALL") => map(sequence_set, SearchReturn::All).parse(rest),
        Some(b"COUNT") => map(number, SearchReturn::Count).parse(rest),
        Some(b"MODSEQ") => map(number64, SearchReturn::ModSeq).parse(rest),
        _ => {
            let (rest, value) = tagged_ext_val(depth, rest)?;
            let name = std::str::from_utf8(name).unwrap_or_default();
            match SearchReturnExt::new(name, value) {
                Ok(x) => Ok((rest, SearchReturn::Other(x))),
                Err(_) => fail(i),
            }
        }
    }
}

/// `[SP] 1*thread-list` after THREAD: thread lists, adjacent or space-separated.
fn sp_items_adjacent(depth: usize, i: &[u8]) -> PResult<'_, Vec<ThreadNode>> {
    let i = i.strip_prefix(b" ").unwrap_or(i);
    thread_lists(depth, i)
}

/// `*thread-list`, adjacent or separated by a space that is followed by `(` (so a
/// trailing space stays for the line end). Like nom's `many1`, it always tries one
/// list, so that the nesting limit applies even where no list follows.
fn thread_lists(depth: usize, mut i: &[u8]) -> PResult<'_, Vec<ThreadNode>> {
    let mut out = Vec::new();
    loop {
        match thread_list(depth, i) {
            Ok((rest, node)) => {
                out.push(node);
                i = match rest.strip_prefix(b" ") {
                    Some(after) if after.starts_with(b"(") => after,
                    _ => rest,
                };
            }
            Err(nom::Err::Error(_)) => return Ok((i, out)),
            Err(e) => return Err(e),
        }
    }
}

/// `thread-list`; a single branch is folded into the chain (the same thread, written
/// the canonical way).
fn thread_list(depth: usize, i: &[u8]) -> PResult<'_, ThreadNode> {
    let Some(inner) = depth.checked_sub(1) else {
        return too_deep(i);
    };
    let (mut i, ()) = byte(i, b'(')?;
    let mut ids = Vec::new();
    if let Ok((rest, first)) = nz_number(i) {
        ids.push(first);
        i = rest;
        while let Some(Ok((rest, n))) = i.strip_prefix(b" ").map(nz_number) {
            ids.push(n);
            i = rest;
        }
    }
    let i = i.strip_prefix(b" ").unwrap_or(i);
    let (i, children) = thread_lists(inner, i)?;
    let (i, ()) = byte(i, b')')?;
    match normalise_thread(ids, children) {
        Some(node) => Ok((i, node)),
        None => fail(i),
    }
}

fn normalise_thread(
    mut ids: Vec<std::num::NonZeroU32>,
    mut children: Vec<ThreadNode>,
) -> Option<ThreadNode> {
    if children.len() == 1 {
        let child = children.pop()?;
        ids.extend_from_slice(child.ids());
        children = child.children().to_vec();
    }
    ThreadNode::new(ids, children).ok()
}

/// `namespace = nil / "(" 1*namespace-descr ")"`.
fn namespace_list(i: &[u8]) -> PResult<'_, Vec<NamespaceDescr<'_>>> {
    alt((
        value(Vec::new(), nil),
        delimited(
            tag(&b"("[..]),
            many1(preceded(opt(sp), namespace_descr)),
            tag(&b")"[..]),
        ),
    ))
    .parse(i)
}

fn namespace_descr(i: &[u8]) -> PResult<'_, NamespaceDescr<'_>> {
    let (i, _) = tag(&b"("[..]).parse(i)?;
    let (i, prefix) = istring(i)?;
    let (i, delimiter) = preceded(sp, delimiter).parse(i)?;
    let (i, extensions) = sp_items(
        map(
            (istring, sp, map_res(paren_list1(istring), NonEmptyVec::new)),
            |(name, (), values)| NamespaceExtension { name, values },
        ),
        i,
    )?;
    let (i, _) = tag(&b")"[..]).parse(i)?;
    Ok((
        i,
        NamespaceDescr {
            prefix,
            delimiter,
            extensions,
        },
    ))
}

fn namespace(i: &[u8]) -> PResult<'_, Namespace<'_>> {
    map(
        (namespace_list, sp, namespace_list, sp, namespace_list),
        |(personal, (), other, (), shared)| Namespace {
            personal,
            other,
            shared,
        },
    )
    .parse(i)
}

fn id_params(i: &[u8]) -> PResult<'_, Option<IdParams<'_>>> {
    alt((
        value(None, nil),
        map(
            paren_list(map((istring, sp, nstring), |(k, (), v)| (k, v))),
            |list| Some(IdParams(list)),
        ),
    ))
    .parse(i)
}

fn quota(i: &[u8]) -> PResult<'_, Quota<'_>> {
    let resource = map(
        (atom, sp, number64, sp, number64),
        |(name, (), usage, (), limit)| QuotaResource {
            name: Resource::from_atom(name),
            usage,
            limit,
        },
    );
    map(
        (
            astring,
            sp,
            map_res(paren_list1(resource), NonEmptyVec::new),
        ),
        |(root, (), resources)| Quota { root, resources },
    )
    .parse(i)
}

fn quota_root(i: &[u8]) -> PResult<'_, QuotaRoot<'_>> {
    let (i, mailbox) = preceded(sp, mailbox).parse(i)?;
    let (i, roots) = sp_items(astring, i)?;
    Ok((i, QuotaRoot { mailbox, roots }))
}

// ---------------------------------------------------------------------------------------
// Encoding

/// Writes an untagged data response after `* ` (no line end).
pub(crate) fn put_untagged_data(e: &mut Encoder, u: &Untagged<'_>) {
    match u {
        Untagged::Capability(caps) => {
            e.raw(b"CAPABILITY");
            put_capabilities(e, caps);
        }
        Untagged::Enabled(caps) => {
            e.raw(b"ENABLED");
            put_capabilities(e, caps);
        }
        Untagged::Flags(flags) => {
            e.raw(b"FLAGS ").flag_list(flags);
        }
        Untagged::List(list) => {
            e.raw(b"LIST ");
            put_mailbox_list(e, list);
        }
        Untagged::Lsub(list) => {
            e.raw(b"LSUB ");
            put_mailbox_list(e, list);
        }
        Untagged::Status(status) => put_status(e, status),
        Untagged::Search(data) => {
            e.raw(b"SEARCH");
            put_search_data(e, data);
        }
        Untagged::Sort(data) => {
            e.raw(b"SORT");
            put_search_data(e, data);
        }
        Untagged::ESearch(es) => put_esearch(e, es),
        Untagged::Thread(threads) => {
            e.raw(b"THREAD");
            if !threads.is_empty() {
                e.sp();
                for t in threads {
                    put_thread(e, t);
                }
            }
        }
        Untagged::Exists(n) => {
            e.number(*n).raw(b" EXISTS");
        }
        Untagged::Recent(n) => {
            e.number(*n).raw(b" RECENT");
        }
        Untagged::Expunge(n) => {
            e.number(n.get()).raw(b" EXPUNGE");
        }
        Untagged::Fetch(fetch) => put_fetch(e, fetch),
        Untagged::Vanished { earlier, uids } => {
            e.raw(b"VANISHED ");
            if *earlier {
                e.raw(b"(EARLIER) ");
            }
            e.sequence_set(uids.as_set());
        }
        Untagged::Namespace(ns) => {
            e.raw(b"NAMESPACE ");
            put_namespace_list(e, &ns.personal);
            e.sp();
            put_namespace_list(e, &ns.other);
            e.sp();
            put_namespace_list(e, &ns.shared);
        }
        Untagged::Id(params) => {
            e.raw(b"ID ");
            match params {
                None => {
                    e.raw(b"NIL");
                }
                Some(p) => {
                    e.list(&p.0, |e, (k, v)| {
                        e.string(k).sp().nstring(v);
                    });
                }
            }
        }
        Untagged::Quota(q) => {
            e.raw(b"QUOTA ")
                .astring(&q.root)
                .sp()
                .list(&q.resources, |e, r| {
                    e.raw(r.name.as_str().as_bytes())
                        .sp()
                        .number(r.usage)
                        .sp()
                        .number(r.limit);
                });
        }
        Untagged::QuotaRoot(q) => {
            e.raw(b"QUOTAROOT ").mailbox(&q.mailbox);
            for root in &q.roots {
                e.sp().astring(root);
            }
        }
        // Status responses are written by the caller.
        Untagged::Condition { .. } | Untagged::PreAuth(_) | Untagged::Bye(_) => {}
    }
}

fn put_mailbox_list(e: &mut Encoder, list: &MailboxList<'_>) {
    e.list(&list.attributes, |e, a| {
        e.raw(a.to_string().as_bytes());
    });
    e.sp();
    put_delimiter(e, list.delimiter);
    e.sp().mailbox(&list.mailbox);
    if !list.extended.is_empty() {
        e.sp().list(&list.extended, put_extended_item);
    }
}

fn put_extended_item(e: &mut Encoder, item: &ListExtendedItem<'_>) {
    match item {
        ListExtendedItem::ChildInfo(opts) => {
            e.raw(b"\"CHILDINFO\" ").list(opts, |e, o| {
                e.string(o);
            });
        }
        ListExtendedItem::OldName(m) => {
            e.raw(b"\"OLDNAME\" (").mailbox(m).raw(b")");
        }
        ListExtendedItem::Other(x) => {
            e.astring(x.name()).sp();
            put_tagged_ext_val(e, x.value());
        }
    }
}

fn put_tagged_ext_val(e: &mut Encoder, v: &TaggedExtVal<'_>) {
    match v {
        TaggedExtVal::Number(n) => {
            e.number(*n);
        }
        TaggedExtVal::SequenceSet(s) => {
            e.sequence_set(s);
        }
        TaggedExtVal::List(items) => put_ext_comps(e, items),
    }
}

fn put_ext_comps(e: &mut Encoder, items: &[TaggedExtComp<'_>]) {
    e.list(items, |e, c| match c {
        TaggedExtComp::AString(a) => {
            e.astring(a);
        }
        TaggedExtComp::List(inner) => put_ext_comps(e, inner),
    });
}

fn put_status(e: &mut Encoder, status: &MailboxStatus<'_>) {
    e.raw(b"STATUS ").mailbox(&status.mailbox).sp();
    e.list(&status.items, |e, item| {
        match item {
            StatusItem::Messages(n) => e.raw(b"MESSAGES ").number(*n),
            StatusItem::Recent(n) => e.raw(b"RECENT ").number(*n),
            StatusItem::UidNext(n) => e.raw(b"UIDNEXT ").number(n.get()),
            StatusItem::UidValidity(n) => e.raw(b"UIDVALIDITY ").number(n.get()),
            StatusItem::Unseen(n) => e.raw(b"UNSEEN ").number(*n),
            StatusItem::Deleted(n) => e.raw(b"DELETED ").number(*n),
            StatusItem::Size(n) => e.raw(b"SIZE ").number(*n),
            StatusItem::HighestModSeq(n) => e.raw(b"HIGHESTMODSEQ ").number(*n),
            StatusItem::AppendLimit(None) => e.raw(b"APPENDLIMIT NIL"),
            StatusItem::AppendLimit(Some(n)) => e.raw(b"APPENDLIMIT ").number(*n),
            StatusItem::DeletedStorage(n) => e.raw(b"DELETED-STORAGE ").number(*n),
        };
    });
}

fn put_search_data(e: &mut Encoder, data: &SearchData) {
    for id in data.ids() {
        e.sp().number(id.get());
    }
    if let Some(m) = data.modseq() {
        e.raw(b" (MODSEQ ").number(m).raw(b")");
    }
}

fn put_esearch(e: &mut Encoder, es: &ESearch<'_>) {
    e.raw(b"ESEARCH");
    if let Some(t) = &es.tag {
        e.raw(b" (TAG ").string(&IString::from(t.clone())).raw(b")");
    }
    if es.uid {
        e.raw(b" UID");
    }
    for item in &es.data {
        e.sp();
        match item {
            SearchReturn::Min(n) => {
                e.raw(b"MIN ").number(n.get());
            }
            SearchReturn::Max(n) => {
                e.raw(b"MAX ").number(n.get());
            }
            SearchReturn::All(s) => {
                e.raw(b"ALL ").sequence_set(s);
            }
            SearchReturn::Count(n) => {
                e.raw(b"COUNT ").number(*n);
            }
            SearchReturn::ModSeq(n) => {
                e.raw(b"MODSEQ ").number(*n);
            }
            SearchReturn::Other(x) => {
                e.raw(x.name().as_bytes()).sp();
                put_tagged_ext_val(e, x.value());
            }
        }
    }
}

fn put_thread(e: &mut Encoder, t: &ThreadNode) {
    e.raw(b"(");
    e.separated(t.ids(), |e, id| {
        e.number(id.get());
    });
    if !t.children().is_empty() {
        if !t.ids().is_empty() {
            e.sp();
        }
        for child in t.children() {
            put_thread(e, child);
        }
    }
    e.raw(b")");
}

fn put_namespace_list(e: &mut Encoder, list: &[NamespaceDescr<'_>]) {
    if list.is_empty() {
        e.raw(b"NIL");
        return;
    }
    e.raw(b"(");
    for d in list {
        e.raw(b"(").string(&d.prefix).sp();
        put_delimiter(e, d.delimiter);
        for ext in &d.extensions {
            e.sp().string(&ext.name).sp().list(&ext.values, |e, v| {
                e.string(v);
            });
        }
        e.raw(b")");
    }
    e.raw(b")");
}
