//! SELECT and EXAMINE (with CONDSTORE and QRESYNC, RFC 7162), CLOSE and UNSELECT.

use std::num::NonZeroU32;

use imap_proto::server::Status;
use imap_proto::types::{
    Code, Delimiter, Fetch, FetchItem, Flag, FlagPerm, Mailbox, MailboxList, NonEmptyVec, QResync,
    RespText, SelectParams, StatusKind, Untagged,
};

use super::convert::{mailbox_name, message_flags, system_flags, uid_set, wire_name};
use super::{Mail, Mode, Reply, store_failure};
use crate::imap::mailbox::{DELIMITER, Selected};

/// Most keywords a Maildir folder can hold (Dovecot's letters `a` to `z`).
const MAX_KEYWORDS: usize = 26;

fn info(code: Code<'static>, text: &str) -> Option<Untagged<'static>> {
    let text = RespText::new(Some(code), text.to_owned()).ok()?;
    Some(Untagged::Condition {
        status: StatusKind::Ok,
        text,
    })
}

/// SELECT (`examine == false`) or EXAMINE.
pub(super) fn select(
    mail: &mut Mail,
    mode: Mode,
    mailbox: &Mailbox<'_>,
    params: &SelectParams,
    examine: bool,
) -> Reply {
    // The machine has closed any selected mailbox already.
    mail.selected = None;
    mail.saved.clear();
    mail.fetch = None;
    if params.qresync.is_some() && !mode.qresync {
        return Reply::new(Status::bad("QRESYNC is not enabled"));
    }
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    let selected = match Selected::open(&mail.store, &name, examine) {
        Ok(selected) => selected,
        Err(e) => return Reply::new(store_failure(&e)),
    };
    let mut responses = describe(&selected, mode, examine);
    if let Some(qresync) = &params.qresync {
        resync(&selected, mode, qresync, &mut responses);
    }
    mail.selected = Some(selected);
    let verb = if examine { "EXAMINE" } else { "SELECT" };
    Reply::with(responses, Status::ok(format!("{verb} completed")))
}

/// The untagged responses that describe a newly selected mailbox.
fn describe(selected: &Selected, mode: Mode, examine: bool) -> Vec<Untagged<'static>> {
    let messages = selected.messages();
    let count = |pred: &dyn Fn(usize) -> bool| {
        u32::try_from((0..messages.len()).filter(|&i| pred(i)).count()).unwrap_or(u32::MAX)
    };
    let mut out = vec![Untagged::Exists(count(&|_| true))];
    if !mode.rev2 {
        out.push(Untagged::Recent(count(&|i| messages[i].recent)));
        let first_unseen = messages
            .iter()
            .position(|m| !m.flags.contains(maildir::Flag::Seen));
        if let Some(seq) = first_unseen.and_then(|i| NonZeroU32::new(u32::try_from(i + 1).ok()?)) {
            out.extend(info(Code::Unseen(seq), "First unseen"));
        }
    }
    if let Some(v) = NonZeroU32::new(selected.uid_validity()) {
        out.extend(info(Code::UidValidity(v), "UIDs valid"));
    }
    if let Some(next) = NonZeroU32::new(selected.uid_next()) {
        out.extend(info(Code::UidNext(next), "Predicted next UID"));
    }
    out.extend(info(
        Code::HighestModSeq(selected.highest_modseq()),
        "Highest",
    ));
    let mut keywords: Vec<&str> = messages
        .iter()
        .flat_map(|m| m.keywords.iter().map(String::as_str))
        .collect();
    keywords.sort_unstable_by_key(|k| k.to_ascii_lowercase());
    keywords.dedup_by(|a, b| a.eq_ignore_ascii_case(b));
    let keyword_flags: Vec<Flag<'static>> = keywords
        .iter()
        .filter_map(|k| Flag::keyword((*k).to_owned()).ok())
        .collect();
    let mut flags: Vec<Flag<'static>> = system_flags().collect();
    flags.extend(keyword_flags.iter().cloned());
    out.push(Untagged::Flags(flags.clone()));
    let permanent: Vec<FlagPerm<'static>> = if examine {
        Vec::new()
    } else {
        let mut p: Vec<FlagPerm<'static>> = flags.into_iter().map(FlagPerm::Flag).collect();
        if keywords.len() < MAX_KEYWORDS {
            p.push(FlagPerm::Wildcard);
        }
        p
    };
    let text = if examine {
        "No permanent flags permitted"
    } else {
        "Flags permitted"
    };
    out.extend(info(Code::PermanentFlags(permanent), text));
    if mode.rev2
        && let Some(mailbox) = wire_name(selected.name(), mode)
    {
        out.push(Untagged::List(MailboxList {
            attributes: Vec::new(),
            delimiter: Delimiter::new(DELIMITER).ok(),
            mailbox,
            extended: Vec::new(),
        }));
    }
    out
}

/// QRESYNC (RFC 7162 section 3.2.5): with the client's UIDVALIDITY, the UIDs expunged
/// since its HIGHESTMODSEQ (`VANISHED (EARLIER)`) and the messages changed since then.
/// Both are limited to the known UIDs when the client sends them.
fn resync(selected: &Selected, mode: Mode, qresync: &QResync, out: &mut Vec<Untagged<'static>>) {
    if qresync.uid_validity.get() != selected.uid_validity() {
        return;
    }
    let since = qresync.modseq.get();
    let known = qresync.known_uids.as_ref();
    let vanished = selected.vanished_since(since, known);
    if let Some(uids) = uid_set(&vanished) {
        out.push(Untagged::Vanished {
            earlier: true,
            uids,
        });
    }
    let largest = selected.uid_next().saturating_sub(1);
    for (i, meta) in selected.messages().iter().enumerate() {
        if meta.modseq <= since || known.is_some_and(|k| !k.contains(meta.uid, largest)) {
            continue;
        }
        let (Some(seq), Some(uid)) = (
            u32::try_from(i + 1).ok().and_then(NonZeroU32::new),
            NonZeroU32::new(meta.uid),
        ) else {
            continue;
        };
        let items = vec![
            FetchItem::Uid(uid),
            FetchItem::Flags(message_flags(meta, mode)),
            FetchItem::ModSeq(meta.modseq),
        ];
        if let Ok(items) = NonEmptyVec::new(items) {
            out.push(Untagged::Fetch(Fetch { seq, items }));
        }
    }
}

/// CLOSE: expunges `\Deleted` messages silently (not in a read-only mailbox), then
/// deselects.
pub(super) fn close(mail: &mut Mail) -> Reply {
    if let Some(mut selected) = mail.selected.take()
        && !selected.read_only()
    {
        // RFC 9051 section 6.4.1: no untagged EXPUNGE; the mailbox is closed even
        // if the expunge fails.
        let _ = selected.expunge(None);
    }
    deselected(mail);
    Reply::new(Status::ok("CLOSE completed"))
}

/// UNSELECT (RFC 3691): deselects without expunging.
pub(super) fn unselect(mail: &mut Mail) -> Reply {
    mail.selected = None;
    deselected(mail);
    Reply::new(Status::ok("UNSELECT completed"))
}

fn deselected(mail: &mut Mail) {
    mail.saved.clear();
    mail.fetch = None;
}
