//! Read-only views of a queue directory for `postroom queue list|show`. They read the
//! files directly (safe while a server runs: state files are replaced atomically) and
//! skip messages that finish while they look.

use std::fmt::Write as _;
use std::io;
use std::path::Path;
use std::time::SystemTime;

use super::dsn::{date, read_headers};
use super::state::{MessageState, RecipientStatus, RetParam, from_unix_secs, unix_secs};
use super::store::Store;
use super::{QueueError, QueueId};

/// Every message in the queue in `dir`, oldest first.
pub(crate) fn messages(dir: &Path) -> Result<Vec<MessageState>, QueueError> {
    let store = Store::new(dir);
    let ids = store
        .ids()
        .map_err(|e| QueueError::io(format!("reading {}", dir.display()), e))?;
    let mut states = Vec::with_capacity(ids.len());
    for id in ids {
        match store.read_state(&id) {
            Ok(state) => states.push(state),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(QueueError::io(format!("reading message {id}"), e)),
        }
    }
    Ok(states)
}

/// `postroom queue list`: one line per message, one indented line per recipient.
pub(crate) fn list(dir: &Path, now: SystemTime) -> Result<String, QueueError> {
    let states = messages(dir)?;
    let mut out = String::new();
    let now = unix_secs(now);
    for state in &states {
        let sender = if state.sender.is_empty() {
            "<> (bounce)".to_owned()
        } else {
            format!("<{}>", state.sender)
        };
        let _ = writeln!(
            out,
            "{}  age {}  {} bytes  from {sender}",
            state.id,
            span(now.saturating_sub(state.arrival)),
            state.size
        );
        for rcpt in &state.recipients {
            let _ = write!(out, "    to <{}>  ", rcpt.address);
            match rcpt.status {
                RecipientStatus::Pending if rcpt.next_attempt <= now => {
                    let _ = write!(out, "pending, due now");
                }
                RecipientStatus::Pending => {
                    let _ = write!(
                        out,
                        "pending, next attempt in {}",
                        span(rcpt.next_attempt - now)
                    );
                }
                RecipientStatus::Delivered => out.push_str("delivered"),
                RecipientStatus::Failed => out.push_str("failed"),
            }
            let _ = write!(out, ", attempts {}", rcpt.attempts);
            if let Some(diagnostic) = &rcpt.diagnostic {
                let _ = write!(out, ": {}", one_line(diagnostic));
            }
            out.push('\n');
        }
    }
    let _ = writeln!(out, "{} messages", states.len());
    Ok(out)
}

/// `postroom queue show ID`: the envelope, each recipient's state, and the header.
pub(crate) fn show(dir: &Path, id: &QueueId) -> Result<String, QueueError> {
    let store = Store::new(dir);
    let state = store.read_state(id.as_str()).map_err(|e| match e.kind() {
        io::ErrorKind::NotFound => QueueError::NotFound(id.to_string()),
        _ => QueueError::io(format!("reading message {id}"), e),
    })?;
    let headers = read_headers(&store.message_path(id.as_str()))
        .map_err(|e| QueueError::io(format!("reading message {id}"), e))?;
    let mut out = String::new();
    let _ = writeln!(out, "id: {}", state.id);
    let _ = writeln!(out, "from: <{}>", state.sender);
    let _ = writeln!(out, "arrival: {}", date(from_unix_secs(state.arrival)));
    let _ = writeln!(out, "size: {}", state.size);
    if let Some(envid) = &state.envid {
        let _ = writeln!(out, "envid: {}", one_line(envid));
    }
    match state.ret {
        Some(RetParam::Full) => out.push_str("ret: FULL\n"),
        Some(RetParam::Hdrs) => out.push_str("ret: HDRS\n"),
        None => {}
    }
    let _ = writeln!(
        out,
        "8bitmime: {}  smtputf8: {}",
        state.eight_bit, state.smtputf8
    );
    for rcpt in &state.recipients {
        let _ = writeln!(out, "to: <{}>", rcpt.address);
        let _ = write!(
            out,
            "    status: {:?}, attempts: {}",
            rcpt.status, rcpt.attempts
        );
        if rcpt.status == RecipientStatus::Pending {
            let _ = write!(
                out,
                ", next attempt: {}",
                date(from_unix_secs(rcpt.next_attempt))
            );
        }
        out.push('\n');
        if let Some(notify) = &rcpt.notify {
            let _ = writeln!(out, "    notify: {notify}");
        }
        if let (Some(kind), Some(orcpt)) = (&rcpt.orcpt_type, &rcpt.orcpt) {
            let _ = writeln!(out, "    orcpt: {kind};{}", one_line(orcpt));
        }
        if let Some(remote) = &rcpt.remote {
            let _ = writeln!(out, "    remote: {}", one_line(remote));
        }
        if let Some(diagnostic) = &rcpt.diagnostic {
            let _ = writeln!(out, "    last: {}", one_line(diagnostic));
        }
    }
    out.push('\n');
    out.push_str(&String::from_utf8_lossy(&headers).replace("\r\n", "\n"));
    Ok(out)
}

/// `3d 4h`, `2h 5m`, `5m`, `30s`.
fn span(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, _) => format!("{m}m"),
        (0, _, _) => format!("{h}h {m}m"),
        _ => format!("{d}d {h}h"),
    }
}

/// Control characters shown as spaces, so a remote reply cannot forge output lines.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
