//! APPEND and MULTIAPPEND (RFC 3502): each message streams into a file in the
//! Maildir's `tmp/`, never into memory; when the command ends all of them are stored
//! at once (all or nothing) and answered with APPENDUID (RFC 4315).

use std::path::PathBuf;

use imap_proto::server::{AppendMessageInfo, Server, Status};
use imap_proto::types::Code;
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;
use tracing::warn;

use super::convert::{from_date_time, mailbox_name, store_flags, uid_set};
use super::{ImapSession, Mail, Reply, no, store_failure, updates};
use crate::imap::mailbox::{AppendData, AppendItem, StoreError};

/// Most messages in one MULTIAPPEND.
const MAX_MESSAGES: usize = 1000;

/// An APPEND being received.
pub(super) struct Upload {
    /// The target folder (store name).
    mailbox: String,
    /// The messages received so far, each in its temporary file.
    messages: Vec<Pending>,
    /// The file the current message is written to.
    file: Option<tokio::fs::File>,
    /// Octets the messages announced so far (for the quota check).
    announced: u64,
    /// Writing failed: the command ends with this status.
    failed: Option<Status>,
}

/// One received message.
struct Pending {
    path: TempPath,
    flags: maildir::Flags,
    keywords: Vec<String>,
    date: Option<std::time::SystemTime>,
}

/// What the check of a new message found.
enum Admission {
    /// Write the message to this file.
    Accept(std::fs::File, TempPath),
    /// Refuse it with this status.
    Refuse(Status),
}

/// `Event::AppendMessage`: checks the target, the flags and the quota, then opens a
/// temporary file for the data.
pub(super) async fn message(
    session: &mut ImapSession,
    machine: &mut Server,
    info: AppendMessageInfo,
) {
    let mode = session.mode(machine);
    if info.index == 0 {
        session.upload = None;
    }
    let refused = |machine: &mut Server, status: Status| {
        let _ = machine.reject_literal(status);
    };
    if info.index >= MAX_MESSAGES {
        return refused(machine, no(Code::Limit, "Too many messages in one APPEND"));
    }
    let (flags, keywords) = match store_flags(&info.flags) {
        Ok(parsed) => parsed,
        Err(status) => return refused(machine, status),
    };
    let name = match &session.upload {
        Some(upload) => upload.mailbox.clone(),
        None => match mailbox_name(&info.mailbox, mode) {
            Ok(name) => name,
            Err(status) => return refused(machine, status),
        },
    };
    let announced = session.upload.as_ref().map_or(0, |u| u.announced);
    let total = announced.saturating_add(u64::from(info.length));
    let checked_name = name.clone();
    let admission = session
        .with_mail(machine, move |mail| admit(mail, &checked_name, total))
        .await;
    let (file, path) = match admission {
        Some(Admission::Accept(file, path)) => (file, path),
        Some(Admission::Refuse(status)) => return refused(machine, status),
        None => return,
    };
    let upload = session.upload.get_or_insert_with(|| Upload {
        mailbox: name,
        messages: Vec::new(),
        file: None,
        announced: 0,
        failed: None,
    });
    upload.announced = total;
    upload.file = Some(tokio::fs::File::from_std(file));
    upload.messages.push(Pending {
        path,
        flags,
        keywords,
        date: info.date.as_ref().map(from_date_time),
    });
    let _ = machine.accept_literal();
}

/// Whether the folder exists and `total` more octets fit the quota; a temporary file.
fn admit(mail: &Mail, name: &str, total: u64) -> Admission {
    match mail.store.status(name) {
        Ok(_) => {}
        Err(StoreError::NoSuchMailbox) => {
            return Admission::Refuse(no(Code::TryCreate, "Mailbox does not exist"));
        }
        Err(e) => return Admission::Refuse(store_failure(&e)),
    }
    if let Ok(Some(usage)) = mail.store.quota()
        && usage
            .limits
            .bytes
            .is_some_and(|limit| usage.bytes.saturating_add(total) > limit)
    {
        return Admission::Refuse(no(Code::OverQuota, "Quota exceeded"));
    }
    let dir: PathBuf = mail.store.path().join("tmp");
    match tempfile::NamedTempFile::with_prefix_in("postroom-append.", &dir) {
        Ok(file) => {
            let (file, path) = file.into_parts();
            Admission::Accept(file, path)
        }
        Err(e) => {
            warn!("imap: cannot create a file in {}: {e}", dir.display());
            Admission::Refuse(no(Code::ServerBug, "Cannot store the message now"))
        }
    }
}

/// `Event::AppendChunk`: more of the current message.
pub(super) async fn chunk(session: &mut ImapSession, data: &[u8]) {
    let Some(upload) = session.upload.as_mut() else {
        return;
    };
    if upload.failed.is_some() {
        return;
    }
    let Some(file) = upload.file.as_mut() else {
        return;
    };
    if let Err(e) = file.write_all(data).await {
        warn!("imap: writing an appended message failed: {e}");
        upload.failed = Some(no(Code::ServerBug, "Cannot store the message now"));
    }
}

/// `Event::AppendEnd`: stores every message at once and completes the command.
pub(super) async fn end(session: &mut ImapSession, machine: &mut Server) {
    let Some(mut upload) = session.upload.take() else {
        let _ = machine.complete(Status::no("No message received"));
        return;
    };
    if let Some(file) = upload.file.take()
        && let Err(e) = file.sync_all().await
    {
        warn!("imap: writing an appended message failed: {e}");
        upload
            .failed
            .get_or_insert_with(|| no(Code::ServerBug, "Cannot store the message now"));
    }
    if let Some(status) = upload.failed {
        let _ = machine.complete(status);
        return;
    }
    let mode = session.mode(machine);
    let reply = session
        .with_mail(machine, move |mail| {
            let mut reply = store_all(mail, upload);
            updates::collect(mail, mode, &mut reply.responses);
            reply
        })
        .await;
    if let Some(reply) = reply {
        session.send_reply(machine, reply);
    }
}

fn store_all(mail: &mut Mail, upload: Upload) -> Reply {
    let items = upload
        .messages
        .iter()
        .map(|m| AppendItem {
            path_or_bytes: AppendData::File(m.path.to_path_buf()),
            flags: m.flags,
            keywords: m.keywords.clone(),
            internal_date: m.date,
        })
        .collect();
    let result = mail.store.append(&upload.mailbox, items);
    // The temporary files go now.
    drop(upload);
    match result {
        Ok((uid_validity, uids)) => {
            let code = std::num::NonZeroU32::new(uid_validity)
                .zip(uid_set(&uids))
                .map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids });
            let done = Status::ok("APPEND completed");
            Reply::new(match code {
                Some(code) => done.with_code(code),
                None => done,
            })
        }
        Err(StoreError::NoSuchMailbox) => Reply::new(no(Code::TryCreate, "Mailbox does not exist")),
        Err(e) => Reply::new(store_failure(&e)),
    }
}
