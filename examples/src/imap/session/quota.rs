//! GETQUOTA and GETQUOTAROOT (RFC 9208): one quota root `""` per user, with the
//! limits from the directory (`virtual_users.quota`, kept in `maildirsize`). SETQUOTA
//! is refused: quotas are set in the directory.

use imap_proto::server::Status;
use imap_proto::types::{
    AString, Code, Mailbox, NonEmptyVec, Quota, QuotaResource, QuotaRoot, Resource, Untagged,
};

use super::convert::{mailbox_name, wire_name};
use super::{Mail, Mode, Reply, no, store_failure};

/// The resources of the user's quota, `None` when there is no limit.
fn quota_response(mail: &Mail) -> Result<Option<Untagged<'static>>, Status> {
    let Some(usage) = mail.store.quota().map_err(|e| store_failure(&e))? else {
        return Ok(None);
    };
    let mut resources = Vec::new();
    if let Some(limit) = usage.limits.bytes {
        resources.push(QuotaResource {
            name: Resource::Storage,
            // Both rounded down, as Dovecot does, so usage under the limit never shows above it.
            usage: usage.bytes / 1024,
            limit: limit / 1024,
        });
    }
    if let Some(limit) = usage.limits.messages {
        resources.push(QuotaResource {
            name: Resource::Message,
            usage: usage.messages,
            limit,
        });
    }
    let Ok(resources) = NonEmptyVec::new(resources) else {
        return Ok(None);
    };
    let root = AString::text("").map_err(|_| Status::no("Invalid quota root"))?;
    Ok(Some(Untagged::Quota(Quota { root, resources })))
}

/// `GETQUOTA root`: only `""` exists, and only when the user has a quota.
pub(super) fn get_quota(mail: &Mail, root: &AString<'_>) -> Reply {
    if !root.as_bytes().is_empty() {
        return Reply::new(no(Code::NonExistent, "No such quota root"));
    }
    match quota_response(mail) {
        Ok(Some(quota)) => Reply::with(vec![quota], Status::ok("GETQUOTA completed")),
        Ok(None) => Reply::new(no(Code::NonExistent, "No quota is set")),
        Err(status) => Reply::new(status),
    }
}

/// `GETQUOTAROOT mailbox`: the root `""` (when a quota is set) and its usage.
pub(super) fn get_quota_root(mail: &Mail, mode: Mode, mailbox: &Mailbox<'_>) -> Reply {
    let name = match mailbox_name(mailbox, mode) {
        Ok(name) => name,
        Err(status) => return Reply::new(status),
    };
    if let Err(e) = mail.store.status(&name) {
        return Reply::new(store_failure(&e));
    }
    let quota = match quota_response(mail) {
        Ok(quota) => quota,
        Err(status) => return Reply::new(status),
    };
    let roots = if quota.is_some() {
        AString::text("").ok().into_iter().collect()
    } else {
        Vec::new()
    };
    let Some(wire) = wire_name(&name, mode) else {
        return Reply::new(Status::bad("Invalid mailbox name"));
    };
    let mut responses = vec![Untagged::QuotaRoot(QuotaRoot {
        mailbox: wire,
        roots,
    })];
    responses.extend(quota);
    Reply::with(responses, Status::ok("GETQUOTAROOT completed"))
}
