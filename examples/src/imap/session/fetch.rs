//! FETCH and UID FETCH: every data item of RFC 9051, RFC 3516 (BINARY) and RFC 7162
//! (MODSEQ, CHANGEDSINCE, VANISHED), answered in batches of bounded size.
//!
//! Non-PEEK body items set `\Seen` (in a read-write mailbox) and the response then
//! carries the new FLAGS. Message data with NUL octets is sent with each NUL replaced
//! by 0x80 in BODY sections (as Dovecot does; a `string` cannot hold NUL); BINARY sends
//! NULs as they are, in a `literal8`.

use std::borrow::Cow;
use std::num::NonZeroU32;

use imap_proto::server::Status;
use imap_proto::types::{
    Code, Fetch, FetchAttribute, FetchItem, FetchItems, FetchModifiers, IString, NString,
    NonEmptyVec, Partial, Section, SectionText, SequenceSet, Untagged,
};
use tracing::warn;

use super::convert::{internal_date, message_flags, uid_set};
use super::{Mail, Mode, Reply, no, sets, store_failure};
use crate::imap::mailbox::{Selected, StoreError};
use crate::imap::mime::{BinaryError, Message};

/// Message data gathered before a batch is handed to the driver.
const BATCH_BYTES: usize = 256 * 1024;
/// Messages answered per batch at most.
const BATCH_MESSAGES: usize = 1000;

/// A FETCH in progress.
#[derive(Debug)]
pub(super) struct Job {
    uid: bool,
    /// Positions of the messages still to answer, in order.
    positions: Vec<usize>,
    next: usize,
    attrs: Vec<FetchAttribute<'static>>,
    changed_since: Option<u64>,
    /// Some messages were expunged meanwhile and could not be read.
    missing: bool,
}

/// `[UID] FETCH set items [(CHANGEDSINCE n [VANISHED])]`.
pub(super) fn start(
    mail: &mut Mail,
    mode: Mode,
    uid: bool,
    set: &SequenceSet,
    items: &FetchItems<'_>,
    modifiers: FetchModifiers,
) -> Reply {
    mail.fetch = None;
    let Some(selected) = mail.selected.as_ref() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let changed_since = modifiers.changed_since;
    if changed_since.is_some_and(|c| c.vanished) && !(uid && mode.qresync) {
        return Reply::new(Status::bad("VANISHED needs UID FETCH and QRESYNC enabled"));
    }
    let positions = match sets::resolve(set, uid, selected.messages(), &mail.saved) {
        Ok(positions) => positions,
        Err(status) => return Reply::new(status),
    };
    let mut attrs = items.expand();
    if uid && !attrs.contains(&FetchAttribute::Uid) {
        attrs.insert(0, FetchAttribute::Uid);
    }
    if changed_since.is_some() && !attrs.contains(&FetchAttribute::ModSeq) {
        attrs.push(FetchAttribute::ModSeq);
    }
    let mut responses = Vec::new();
    if let Some(c) = changed_since.filter(|c| c.vanished) {
        let vanished = if set.is_saved() {
            let saved = uid_set(&mail.saved).map(|s| s.as_set().clone());
            saved.map_or_else(Vec::new, |s| selected.vanished_since(c.modseq, Some(&s)))
        } else {
            selected.vanished_since(c.modseq, Some(set))
        };
        if let Some(uids) = uid_set(&vanished) {
            responses.push(Untagged::Vanished {
                earlier: true,
                uids,
            });
        }
    }
    mail.fetch = Some(Job {
        uid,
        positions,
        next: 0,
        attrs,
        changed_since: changed_since.map(|c| c.modseq),
        missing: false,
    });
    let mut reply = resume(mail, mode);
    responses.append(&mut reply.responses);
    reply.responses = responses;
    reply
}

/// Answers the next batch of the FETCH in progress.
pub(super) fn resume(mail: &mut Mail, mode: Mode) -> Reply {
    let (Some(job), Some(selected)) = (mail.fetch.as_mut(), mail.selected.as_mut()) else {
        mail.fetch = None;
        return Reply::new(Status::ok("FETCH completed"));
    };
    let mut responses = Vec::new();
    let mut bytes = 0usize;
    let mut answered = 0usize;
    while job.next < job.positions.len() {
        if bytes >= BATCH_BYTES || answered >= BATCH_MESSAGES {
            return Reply {
                responses,
                status: Status::ok("FETCH in progress"),
                more: true,
            };
        }
        let position = job.positions[job.next];
        job.next += 1;
        match answer(selected, position, job, mode) {
            Ok(Some((response, size))) => {
                responses.push(response);
                bytes = bytes.saturating_add(size);
                answered += 1;
            }
            Ok(None) => {}
            Err(status) => {
                mail.fetch = None;
                return Reply::with(responses, status);
            }
        }
    }
    let missing = job.missing;
    mail.fetch = None;
    let status = if missing {
        no(
            Code::ExpungeIssued,
            "Some of the requested messages no longer exist",
        )
    } else {
        Status::ok("FETCH completed")
    };
    Reply::with(responses, status)
}

/// Whether an item needs the message's content.
fn needs_content(attr: &FetchAttribute<'_>) -> bool {
    use FetchAttribute as A;
    !matches!(
        attr,
        A::Flags | A::InternalDate | A::Rfc822Size | A::Uid | A::ModSeq
    )
}

/// Whether an item sets `\Seen`.
fn sets_seen(attr: &FetchAttribute<'_>) -> bool {
    use FetchAttribute as A;
    matches!(
        attr,
        A::Rfc822
            | A::Rfc822Text
            | A::BodySection { peek: false, .. }
            | A::Binary { peek: false, .. }
    )
}

/// The FETCH response for the message at `position` and the size of the message data
/// in it; `None` when it is skipped (unchanged since CHANGEDSINCE, or expunged).
fn answer(
    selected: &mut Selected,
    position: usize,
    job: &mut Job,
    mode: Mode,
) -> Result<Option<(Untagged<'static>, usize)>, Status> {
    let Some(meta) = selected.messages().get(position) else {
        return Ok(None);
    };
    if job.changed_since.is_some_and(|since| meta.modseq <= since) {
        return Ok(None);
    }
    let uid = meta.uid;
    let raw = if job.attrs.iter().any(needs_content) {
        match selected.read(uid) {
            Ok(raw) => Some(raw),
            Err(StoreError::NoSuchMessage) => {
                job.missing = true;
                return Ok(None);
            }
            Err(e) => return Err(store_failure(&e)),
        }
    } else {
        None
    };
    let message = raw.as_deref().map(Message::parse);
    let mut seen_now = false;
    let unseen = !meta.flags.contains(maildir::Flag::Seen);
    if unseen && !selected.read_only() && job.attrs.iter().any(sets_seen) {
        match selected.mark_seen(uid) {
            Ok(()) => seen_now = true,
            Err(StoreError::NoSuchMessage) => {}
            Err(e) => warn!("imap: cannot set \\Seen on UID {uid}: {e}"),
        }
    }
    let Some(meta) = selected.messages().get(position) else {
        return Ok(None);
    };
    let mut items = Vec::with_capacity(job.attrs.len() + 2);
    let mut size = 0usize;
    for attr in &job.attrs {
        let item = item(attr, meta, message.as_ref(), mode)?;
        if let Some((item, data)) = item {
            size = size.saturating_add(data);
            items.push(item);
        }
    }
    if seen_now {
        if !job.attrs.contains(&FetchAttribute::Flags) {
            items.push(FetchItem::Flags(message_flags(meta, mode)));
        }
        if mode.condstore && !job.attrs.contains(&FetchAttribute::ModSeq) {
            items.push(FetchItem::ModSeq(meta.modseq));
        }
    }
    let (Some(seq), Ok(items)) = (
        u32::try_from(position + 1).ok().and_then(NonZeroU32::new),
        NonEmptyVec::new(items),
    ) else {
        return Ok(None);
    };
    Ok(Some((Untagged::Fetch(Fetch { seq, items }), size)))
}

/// One data item and the size of the message data in it.
fn item(
    attr: &FetchAttribute<'_>,
    meta: &crate::imap::mailbox::MessageMeta,
    message: Option<&Message<'_>>,
    mode: Mode,
) -> Result<Option<(FetchItem<'static>, usize)>, Status> {
    use FetchAttribute as A;
    let plain = |item: FetchItem<'static>| Ok(Some((item, 0)));
    let Some(message) = message.filter(|_| needs_content(attr)) else {
        return match attr {
            A::Flags => plain(FetchItem::Flags(message_flags(meta, mode))),
            A::InternalDate => match internal_date(meta.internal_date()) {
                Some(date) => plain(FetchItem::InternalDate(date)),
                None => Ok(None),
            },
            A::Rfc822Size => plain(FetchItem::Rfc822Size(meta.size)),
            A::Uid => match NonZeroU32::new(meta.uid) {
                Some(uid) => plain(FetchItem::Uid(uid)),
                None => Ok(None),
            },
            A::ModSeq => plain(FetchItem::ModSeq(meta.modseq)),
            _ => Ok(None),
        };
    };
    let text = |data: Cow<'_, [u8]>| {
        let n = data.len();
        (text_string(data), n)
    };
    Ok(Some(match attr {
        A::Envelope => (FetchItem::Envelope(Box::new(message.envelope())), 0),
        A::Body => (FetchItem::Body(Box::new(message.body_structure(false))), 0),
        A::BodyStructure => (
            FetchItem::BodyStructure(Box::new(message.body_structure(true))),
            0,
        ),
        A::Rfc822 => {
            let (data, n) = text(Cow::Borrowed(message.raw()));
            (FetchItem::Rfc822(data), n)
        }
        A::Rfc822Header => {
            let section = Section::new(Vec::new(), Some(SectionText::Header)).unwrap_or_default();
            let (data, n) = text(message.section(&section));
            (FetchItem::Rfc822Header(data), n)
        }
        A::Rfc822Text => {
            let section = Section::new(Vec::new(), Some(SectionText::Text)).unwrap_or_default();
            let (data, n) = text(message.section(&section));
            (FetchItem::Rfc822Text(data), n)
        }
        A::BodySection {
            section, partial, ..
        } => {
            let (data, origin) = apply_partial(message.section(section), *partial);
            let (data, n) = text(data);
            (
                FetchItem::BodySection {
                    section: section.clone().into_owned(),
                    origin,
                    data,
                },
                n,
            )
        }
        A::Binary { part, partial, .. } => {
            let numbers: Vec<u32> = part.iter().map(|n| n.get()).collect();
            match message.binary(&numbers) {
                Ok(content) => {
                    let (data, origin) = apply_partial(content, *partial);
                    let n = data.len();
                    let data = Some(Cow::Owned(data.into_owned()));
                    (
                        FetchItem::Binary {
                            part: part.clone(),
                            origin,
                            data,
                        },
                        n,
                    )
                }
                // A part the message lacks is empty, as in BODY[] and as BINARY.SIZE
                // reports it (0): RFC 3516 section 4.3 wants the size to match the data.
                Err(BinaryError::NoSuchPart) => (
                    FetchItem::Binary {
                        part: part.clone(),
                        origin: partial.map(|p| origin_of(p.offset)),
                        data: Some(Cow::Borrowed(&[][..])),
                    },
                    0,
                ),
                Err(_) => return Err(unknown_cte()),
            }
        }
        A::BinarySize { part } => {
            let numbers: Vec<u32> = part.iter().map(|n| n.get()).collect();
            match message.binary_size(&numbers) {
                Ok(size) => (
                    FetchItem::BinarySize {
                        part: part.clone(),
                        size: u32::try_from(size).unwrap_or(u32::MAX),
                    },
                    0,
                ),
                Err(BinaryError::NoSuchPart) => (
                    FetchItem::BinarySize {
                        part: part.clone(),
                        size: 0,
                    },
                    0,
                ),
                Err(_) => return Err(unknown_cte()),
            }
        }
        _ => return Ok(None),
    }))
}

fn unknown_cte() -> Status {
    no(Code::UnknownCte, "Unknown Content-Transfer-Encoding")
}

/// `<origin>` of a partial fetch (offsets past 4 GiB cannot occur in a message).
fn origin_of(offset: u64) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// Applies `<offset.length>`: the bytes in range (empty past the end) and the origin.
fn apply_partial(data: Cow<'_, [u8]>, partial: Option<Partial>) -> (Cow<'_, [u8]>, Option<u32>) {
    let Some(partial) = partial else {
        return (data, None);
    };
    let len = data.len() as u64;
    let start = partial.offset.min(len);
    let end = start.saturating_add(partial.length.get()).min(len);
    // Both fit in usize: they are at most the data's length.
    let (start, end) = (start as usize, end as usize);
    let part = match data {
        Cow::Borrowed(b) => Cow::Borrowed(&b[start..end]),
        Cow::Owned(mut v) => {
            v.truncate(end);
            v.drain(..start);
            Cow::Owned(v)
        }
    };
    (part, Some(origin_of(partial.offset)))
}

/// Message text as an `nstring`: NUL octets become 0x80 (so it is never `NIL`).
fn text_string(data: Cow<'_, [u8]>) -> NString<'static> {
    let bytes: Vec<u8> = data
        .iter()
        .map(|&b| if b == 0 { 0x80 } else { b })
        .collect();
    NString(IString::new(bytes).ok())
}

#[cfg(test)]
mod tests {
    use std::num::NonZeroU64;

    use super::*;

    #[test]
    fn partials_cut_and_report_their_origin() {
        let data = Cow::Borrowed(&b"0123456789"[..]);
        let p = |offset, length| {
            Some(Partial {
                offset,
                length: NonZeroU64::new(length).unwrap(),
            })
        };
        assert_eq!(
            apply_partial(data.clone(), p(2, 3)),
            (Cow::Borrowed(&b"234"[..]), Some(2))
        );
        assert_eq!(apply_partial(data.clone(), p(8, 10)).0.as_ref(), b"89");
        assert_eq!(apply_partial(data.clone(), p(20, 1)).0.as_ref(), b"");
        let owned: Cow<'_, [u8]> = Cow::Owned(b"abcdef".to_vec());
        assert_eq!(apply_partial(owned, p(1, 2)).0.as_ref(), b"bc");
        assert_eq!(
            apply_partial(data, None),
            (Cow::Borrowed(&b"0123456789"[..]), None)
        );
    }

    #[test]
    fn binary_of_a_missing_part_is_empty_like_its_size() {
        let meta = crate::imap::mailbox::MessageMeta {
            uid: 1,
            flags: maildir::Flags::default(),
            keywords: Default::default(),
            recent: false,
            modseq: 1,
            size: 20,
            date: 0,
        };
        let message = Message::parse(b"Subject: x\r\n\r\nbody\r\n");
        let nine = vec![NonZeroU32::new(9).unwrap()];
        let binary = FetchAttribute::Binary {
            peek: true,
            part: nine.clone(),
            partial: None,
        };
        let Ok(Some((FetchItem::Binary { data, .. }, 0))) =
            item(&binary, &meta, Some(&message), Mode::default())
        else {
            panic!("no BINARY item");
        };
        // Dovecot sends "" too; NIL would not match BINARY.SIZE 0.
        assert_eq!(data.as_deref(), Some(&b""[..]));
        let size = FetchAttribute::BinarySize { part: nine };
        let Ok(Some((FetchItem::BinarySize { size, .. }, _))) =
            item(&size, &meta, Some(&message), Mode::default())
        else {
            panic!("no BINARY.SIZE item");
        };
        assert_eq!(size, 0);
    }

    #[test]
    fn nul_becomes_0x80_in_strings() {
        let s = text_string(Cow::Borrowed(b"a\0b"));
        assert_eq!(s.0.unwrap().as_bytes(), b"a\x80b");
    }
}
