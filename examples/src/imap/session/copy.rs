//! COPY and MOVE (RFC 6851), by sequence number or UID, with UIDPLUS's COPYUID.

use std::num::NonZeroU32;

use imap_proto::server::Status;
use imap_proto::types::{Code, Mailbox, RespText, SequenceSet, StatusKind, Untagged};

use super::convert::{mailbox_name, uid_set};
use super::store::expunge_responses;
use super::{Mail, Mode, Reply, no, sets, store_failure};
use crate::imap::mailbox::StoreError;

/// `[UID] COPY set mailbox` or `[UID] MOVE set mailbox`.
pub(super) fn copy(
    mail: &mut Mail,
    mode: Mode,
    uid: bool,
    set: &SequenceSet,
    mailbox: &Mailbox<'_>,
    moving: bool,
) -> Reply {
    let Some(selected) = mail.selected.as_mut() else {
        return Reply::new(Status::bad("No mailbox selected"));
    };
    let target = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    let positions = match sets::resolve(set, uid, selected.messages(), &mail.saved) {
        Ok(positions) => positions,
        Err(status) => return Reply::new(status),
    };
    let uids: Vec<u32> = positions
        .iter()
        .map(|&i| selected.messages()[i].uid)
        .collect();
    let verb = if moving { "MOVE" } else { "COPY" };
    if moving && selected.read_only() {
        return Reply::new(no(Code::Cannot, "Mailbox is read-only"));
    }
    let result = if moving {
        selected.move_to(&uids, &target)
    } else {
        selected
            .copy(&uids, &target)
            .map(|copied| (copied, Vec::new()))
    };
    let ((uid_validity, sources, copies), expunged) = match result {
        Ok(done) => done,
        Err(StoreError::NoSuchMailbox) => {
            return Reply::new(no(Code::TryCreate, "Mailbox does not exist"));
        }
        Err(e) => return Reply::new(store_failure(&e)),
    };
    let copy_uid = match (
        NonZeroU32::new(uid_validity),
        uid_set(&sources),
        uid_set(&copies),
    ) {
        (Some(uid_validity), Some(source), Some(destination)) => Some(Code::CopyUid {
            uid_validity,
            source,
            destination,
        }),
        _ => None,
    };
    let done = Status::ok(format!("{verb} completed"));
    if !moving {
        return Reply::new(match copy_uid {
            Some(code) => done.with_code(code),
            None => done,
        });
    }
    // RFC 6851 section 4.3: COPYUID goes out untagged before the expunges.
    let mut responses = Vec::new();
    if let Some(code) = copy_uid
        && let Ok(text) = RespText::new(Some(code), "Moved")
    {
        responses.push(Untagged::Condition {
            status: StatusKind::Ok,
            text,
        });
    }
    responses.extend(expunge_responses(&expunged, mode));
    Reply::with(responses, done)
}
