//! STORE / UID STORE (with `.SILENT` and CONDSTORE's UNCHANGEDSINCE), EXPUNGE and
//! UID EXPUNGE.

use std::collections::HashSet;
use std::num::NonZeroU32;

use imap_proto::server::Status;
use imap_proto::types::{Code, Flag, SequenceSet, StoreAction, Untagged};

use super::convert::{sequence_set, store_flags, uid_set};
use super::updates::flags_fetch;
use super::{Mail, Mode, Reply, no, sets, store_failure};

/// A STORE command's arguments.
pub(super) struct Request<'a> {
    pub(super) uid: bool,
    pub(super) set: &'a SequenceSet,
    pub(super) unchanged_since: Option<u64>,
    pub(super) action: StoreAction,
    pub(super) silent: bool,
    pub(super) flags: &'a [Flag<'a>],
}

fn read_only() -> Status {
    no(Code::Cannot, "Mailbox is read-only")
}

/// `[UID] STORE set [(UNCHANGEDSINCE n)] [+|-]FLAGS[.SILENT] (flags)`.
pub(super) fn store(mail: &mut Mail, mode: Mode, request: Request<'_>) -> Reply {
    let Some(selected) = mail.selected.as_mut() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let (flags, keywords) = match store_flags(request.flags) {
        Ok(parsed) => parsed,
        Err(status) => return Reply::new(status),
    };
    let positions = match sets::resolve(request.set, request.uid, selected.messages(), &mail.saved)
    {
        Ok(positions) => positions,
        Err(status) => return Reply::new(status),
    };
    if selected.read_only() {
        return Reply::new(read_only());
    }
    let uids: Vec<u32> = positions
        .iter()
        .map(|&i| selected.messages()[i].uid)
        .collect();
    let (changed, failed) = match selected.store(
        &uids,
        request.action,
        flags,
        &keywords,
        request.unchanged_since,
    ) {
        Ok(result) => result,
        Err(e) => return Reply::new(store_failure(&e)),
    };
    let mut responses = Vec::new();
    let failed_set: HashSet<u32> = failed.iter().copied().collect();
    let report: Vec<u32> = if request.silent {
        // RFC 7162 section 3.1.3: with CONDSTORE, a silent STORE still reports the new
        // mod-sequences (without the flags the client just set).
        if mode.condstore { changed } else { Vec::new() }
    } else {
        positions
            .iter()
            .filter_map(|&i| u32::try_from(i + 1).ok())
            .filter(|seq| !failed_set.contains(seq))
            .collect()
    };
    for seq in report {
        let Some(meta) = selected.messages().get(seq as usize - 1) else {
            continue;
        };
        if request.silent {
            responses.extend(modseq_fetch(seq, meta.uid, meta.modseq, request.uid));
        } else {
            responses.extend(flags_fetch(seq, meta, mode, request.uid));
        }
    }
    let status = if failed.is_empty() {
        Status::ok("STORE completed")
    } else {
        let ids: Vec<u32> = if request.uid {
            failed
                .iter()
                .filter_map(|&seq| selected.messages().get(seq as usize - 1).map(|m| m.uid))
                .collect()
        } else {
            failed
        };
        match sequence_set(&ids) {
            Some(set) => Status::ok("Conditional STORE failed for some messages")
                .with_code(Code::Modified(set)),
            None => Status::ok("STORE completed"),
        }
    };
    Reply::with(responses, status)
}

/// `* seq FETCH ([UID n] MODSEQ (m))`.
fn modseq_fetch(seq: u32, uid: u32, modseq: u64, with_uid: bool) -> Option<Untagged<'static>> {
    use imap_proto::types::{Fetch, FetchItem, NonEmptyVec};
    let mut items = Vec::with_capacity(2);
    if with_uid {
        items.push(FetchItem::Uid(NonZeroU32::new(uid)?));
    }
    items.push(FetchItem::ModSeq(modseq));
    Some(Untagged::Fetch(Fetch {
        seq: NonZeroU32::new(seq)?,
        items: NonEmptyVec::new(items).ok()?,
    }))
}

/// `EXPUNGE` (`set == None`) or `UID EXPUNGE set`: removes `\Deleted` messages and
/// reports each (EXPUNGE, or one VANISHED with QRESYNC).
pub(super) fn expunge(mail: &mut Mail, mode: Mode, set: Option<&SequenceSet>) -> Reply {
    let Some(selected) = mail.selected.as_mut() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    if selected.read_only() {
        return Reply::new(read_only());
    }
    let uids = match set {
        None => None,
        Some(set) => match sets::resolve(set, true, selected.messages(), &mail.saved) {
            Ok(positions) => Some(
                positions
                    .iter()
                    .map(|&i| selected.messages()[i].uid)
                    .collect::<Vec<_>>(),
            ),
            Err(status) => return Reply::new(status),
        },
    };
    match selected.expunge(uids.as_deref()) {
        Ok(expunged) => Reply::with(
            expunge_responses(&expunged, mode),
            Status::ok("EXPUNGE completed"),
        ),
        Err(e) => Reply::new(store_failure(&e)),
    }
}

/// EXPUNGE responses for (seq, uid) pairs given highest sequence number first, or one
/// `VANISHED` with QRESYNC.
pub(super) fn expunge_responses(expunged: &[(u32, u32)], mode: Mode) -> Vec<Untagged<'static>> {
    if mode.qresync {
        let mut uids: Vec<u32> = expunged.iter().map(|&(_, uid)| uid).collect();
        uids.sort_unstable();
        return uid_set(&uids)
            .map(|uids| Untagged::Vanished {
                earlier: false,
                uids,
            })
            .into_iter()
            .collect();
    }
    expunged
        .iter()
        .filter_map(|&(seq, _)| NonZeroU32::new(seq).map(Untagged::Expunge))
        .collect()
}
