//! What others changed in the selected mailbox, as untagged responses: EXPUNGE (or
//! VANISHED with QRESYNC), EXISTS (with RECENT for IMAP4rev1) and FETCH of new flags.

use std::num::NonZeroU32;

use imap_proto::types::{Fetch, FetchItem, NonEmptyVec, Untagged};
use tracing::warn;

use super::convert::{message_flags, uid_set};
use super::{Mail, Mode};
use crate::imap::mailbox::{Change, MessageMeta, StoreError};

/// Refreshes the selected mailbox and appends what changed to `out`.
pub(super) fn collect(mail: &mut Mail, mode: Mode, out: &mut Vec<Untagged<'static>>) {
    let Some(selected) = mail.selected.as_mut() else {
        return;
    };
    let changes = match selected.refresh(mode.expunge_ok) {
        Ok(changes) => changes,
        Err(StoreError::NoSuchMailbox | StoreError::Invalid(_)) => {
            mail.lost = true;
            return;
        }
        Err(e) => {
            warn!("imap: cannot refresh {}: {e}", selected.name());
            return;
        }
    };
    let mut vanished = Vec::new();
    for change in changes {
        match change {
            Change::Expunge { seq, uid } => {
                if mode.qresync {
                    vanished.push(uid);
                } else if let Some(seq) = NonZeroU32::new(seq) {
                    out.push(Untagged::Expunge(seq));
                }
            }
            Change::Exists(count) => {
                flush_vanished(&mut vanished, out);
                out.push(Untagged::Exists(count));
                if !mode.rev2 {
                    let recent = selected.messages().iter().filter(|m| m.recent).count();
                    out.push(Untagged::Recent(u32::try_from(recent).unwrap_or(u32::MAX)));
                }
            }
            Change::Flags { seq } => {
                flush_vanished(&mut vanished, out);
                let meta = seq
                    .checked_sub(1)
                    .and_then(|i| selected.messages().get(i as usize));
                if let Some(meta) = meta {
                    out.extend(flags_fetch(seq, meta, mode, true));
                }
            }
        }
    }
    flush_vanished(&mut vanished, out);
}

fn flush_vanished(uids: &mut Vec<u32>, out: &mut Vec<Untagged<'static>>) {
    if let Some(uids) = uid_set(&std::mem::take(uids)) {
        out.push(Untagged::Vanished {
            earlier: false,
            uids,
        });
    }
}

/// `* seq FETCH (UID n FLAGS (...) MODSEQ (m))` for a flag change: UID when asked (or
/// with QRESYNC, where the client tracks UIDs), MODSEQ once CONDSTORE is enabled.
pub(super) fn flags_fetch(
    seq: u32,
    meta: &MessageMeta,
    mode: Mode,
    with_uid: bool,
) -> Option<Untagged<'static>> {
    let seq = NonZeroU32::new(seq)?;
    let mut items = Vec::with_capacity(3);
    if with_uid || mode.qresync {
        items.extend(NonZeroU32::new(meta.uid).map(FetchItem::Uid));
    }
    items.push(FetchItem::Flags(message_flags(meta, mode)));
    if mode.condstore {
        items.push(FetchItem::ModSeq(meta.modseq));
    }
    let items = NonEmptyVec::new(items).ok()?;
    Some(Untagged::Fetch(Fetch { seq, items }))
}
