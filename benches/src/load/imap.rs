//! The IMAP mix: sessions of LOGIN, SELECT INBOX, then a repeating cycle of FETCH
//! (headers, whole message), SEARCH, STORE (set and clear `\Seen`), APPEND, STORE
//! `\Deleted` and EXPUNGE, then LOGOUT; every command is one timed operation, sent
//! through imap-proto's client machine.
//!
//! Each cycle appends one message and expunges one (the last in the session's view), so
//! the mailbox keeps its size. Message numbers come from the session's own `EXISTS`
//! count; the INBOX should hold some messages before the run (see the README).

use std::sync::Arc;
use std::time::Instant;

use imap_proto::client::{Client, Config, Event};
use imap_proto::codec::decode_command;
use imap_proto::types::{CommandBody, Fetch, FetchItem, StatusKind, Untagged};

use super::conn::{Conn, Target};
use super::stats::{Report, Tally};
use super::{LoadError, RunOptions, Worker, message, numbered, run_workers};

/// Who to log in as and how long sessions are.
#[derive(Debug, Clone)]
pub struct ImapOptions {
    /// The server.
    pub target: Target,
    /// The user name; `{n}` is replaced by a user number from 1 to `users`.
    pub user: String,
    /// How many users `{n}` cycles through (worker `i` logs in as user `i % users + 1`).
    pub users: usize,
    /// The password of every user.
    pub password: String,
    /// Size of the APPENDed message in bytes.
    pub size: usize,
    /// Commands per session, LOGIN, SELECT and LOGOUT included (at least 3).
    pub per_session: u64,
}

/// The commands after SELECT, in order, repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    FetchHeader,
    FetchBody,
    Search,
    SetSeen,
    ClearSeen,
    Append,
    MarkDeleted,
    Expunge,
}

const MIX: [Step; 8] = [
    Step::FetchHeader,
    Step::FetchBody,
    Step::Search,
    Step::SetSeen,
    Step::ClearSeen,
    Step::Append,
    Step::MarkDeleted,
    Step::Expunge,
];

/// The text of a command after its tag (with a `{n+}` literal for APPEND).
fn command_text(step: Step, pick: u32, exists: u32, append: &[u8]) -> Vec<u8> {
    let text = match step {
        _ if exists == 0 && step != Step::Append && step != Step::Expunge => "NOOP".to_owned(),
        Step::FetchHeader => format!("FETCH {pick} (UID FLAGS RFC822.SIZE BODY.PEEK[HEADER])"),
        Step::FetchBody => format!("FETCH {pick} BODY.PEEK[]"),
        Step::Search => "SEARCH UNSEEN".to_owned(),
        Step::SetSeen => format!("STORE {pick} +FLAGS (\\Seen)"),
        Step::ClearSeen => format!("STORE {pick} -FLAGS (\\Seen)"),
        Step::Append => {
            let mut text = format!("APPEND INBOX {{{}+}}\r\n", append.len()).into_bytes();
            text.extend_from_slice(append);
            return text;
        }
        Step::MarkDeleted => format!("STORE {exists} +FLAGS.SILENT (\\Deleted)"),
        Step::Expunge => "EXPUNGE".to_owned(),
    };
    text.into_bytes()
}

/// Parses `text` (a command without its tag) into the body the client machine takes.
pub(super) fn parse_body(text: &[u8]) -> Result<CommandBody<'static>, LoadError> {
    let mut line = b"x ".to_vec();
    line.extend_from_slice(text);
    line.extend_from_slice(b"\r\n");
    decode_command(&line)
        .map(|(_, command)| command.into_owned().body)
        .map_err(|e| LoadError::Protocol(format!("bad command text: {e}")))
}

/// An IMAP connection and what the session knows of the selected mailbox.
pub(super) struct Session {
    pub(super) conn: Conn<Client>,
    exists: u32,
}

impl Session {
    pub(super) async fn open(target: &Target) -> Result<Self, LoadError> {
        let mut conn = Conn::open(target, Client::new(Config::default(), Instant::now())).await?;
        loop {
            match conn.event().await? {
                Event::Greeting(_) => return Ok(Self { conn, exists: 0 }),
                Event::Capabilities(_) => {}
                other => return Err(LoadError::unexpected("the greeting", &other)),
            }
        }
    }

    /// Sends `body`; returns the literal bytes received once its tagged OK came.
    pub(super) async fn command(&mut self, body: CommandBody<'static>) -> Result<u64, LoadError> {
        let tag = self
            .conn
            .machine
            .command(body)
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        let mut bytes = 0u64;
        loop {
            match self.conn.event().await? {
                Event::Completed {
                    tag: done,
                    status,
                    text,
                    ..
                } if done == tag => {
                    return match status {
                        StatusKind::Ok => Ok(bytes),
                        _ => Err(LoadError::Protocol(format!("{status:?} {text:?}"))),
                    };
                }
                Event::Untagged(Untagged::Exists(n)) => self.exists = n,
                Event::Untagged(Untagged::Expunge(_)) => {
                    self.exists = self.exists.saturating_sub(1);
                }
                Event::LiteralChunk(chunk) => bytes += chunk.len() as u64,
                Event::Untagged(Untagged::Fetch(fetch)) => bytes += section_bytes(&fetch),
                event @ (Event::Bye(_) | Event::Error(_) | Event::Closed) => {
                    return Err(LoadError::unexpected("a command", &event));
                }
                _ => {}
            }
        }
    }

    async fn logout(&mut self) -> Result<(), LoadError> {
        self.conn
            .machine
            .logout()
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        loop {
            match self.conn.event().await? {
                Event::Closed => return Ok(()),
                Event::Error(e) => return Err(LoadError::Protocol(e.to_string())),
                _ => {}
            }
        }
    }
}

/// Octets of the `BODY[...]` data in a FETCH response that was not streamed.
fn section_bytes(fetch: &Fetch<'_>) -> u64 {
    fetch
        .items
        .iter()
        .map(|item| match item {
            FetchItem::BodySection { data, .. } => {
                data.0.as_ref().map_or(0, |s| s.as_bytes().len() as u64)
            }
            _ => 0,
        })
        .sum()
}

/// Runs one command of the plan: `index` 0 connects and logs in, 1 selects INBOX, the
/// last logs out, the others follow [`MIX`].
async fn step(
    session: &mut Option<Session>,
    index: u64,
    options: &ImapOptions,
    user: &str,
    append: &[u8],
    tally: &mut Tally,
) -> Result<u64, LoadError> {
    let last = options.per_session.max(3) - 1;
    if index == 0 {
        let mut open = Session::open(&options.target).await?;
        let login = format!("LOGIN {} {}", quoted(user), quoted(&options.password));
        open.command(parse_body(login.as_bytes())?).await?;
        tally.sessions += 1;
        *session = Some(open);
        return Ok(0);
    }
    let Some(open) = session.as_mut() else {
        return Err(LoadError::Protocol("no session".to_owned()));
    };
    if index == 1 {
        return open.command(parse_body(b"SELECT INBOX")?).await;
    }
    if index == last {
        open.logout().await?;
        *session = None;
        return Ok(0);
    }
    let step = MIX[((index - 2) % MIX.len() as u64) as usize];
    let pick = if open.exists == 0 {
        0
    } else {
        (index as u32).wrapping_mul(7) % open.exists + 1
    };
    let text = command_text(step, pick, open.exists, append);
    let received = open.command(parse_body(&text)?).await?;
    Ok(if step == Step::Append {
        append.len() as u64
    } else {
        received
    })
}

pub(super) fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

async fn worker(w: Worker, options: Arc<ImapOptions>) -> Tally {
    let mut tally = Tally::default();
    let user = numbered(&options.user, w.index % options.users.max(1) + 1);
    let append = message::build(
        options.size,
        "load@postroom-load.invalid",
        &user,
        w.index as u64,
    );
    let mut session: Option<Session> = None;
    let mut index = 0u64;
    while w.budget.take() {
        let started = Instant::now();
        let result = w
            .timed(step(
                &mut session,
                index,
                &options,
                &user,
                &append,
                &mut tally,
            ))
            .await;
        match result {
            Ok(bytes) => {
                tally.success(started.elapsed(), bytes);
                index = if session.is_some() { index + 1 } else { 0 };
            }
            Err(e) => {
                tally.failure(e);
                session = None;
                index = 0;
            }
        }
    }
    if let Some(mut open) = session.take() {
        let _ = w.timed(open.logout()).await;
    }
    tally
}

/// Runs the IMAP mix until the budget is spent.
pub async fn run(run: &RunOptions, options: ImapOptions) -> Report {
    let options = Arc::new(options);
    run_workers("imap", "command", run, |w| worker(w, Arc::clone(&options))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_parses() {
        let append = message::build(500, "a@b.test", "c@d.test", 1);
        for step in MIX {
            let text = command_text(step, 3, 5, &append);
            let body = parse_body(&text).unwrap();
            let name = format!("{body:?}");
            assert!(!name.starts_with("Noop"), "{step:?}: {name}");
        }
        let body = parse_body(&command_text(Step::Append, 0, 0, &append)).unwrap();
        assert!(matches!(body, CommandBody::Append { .. }));
        let body = parse_body(&command_text(Step::FetchBody, 0, 0, &append)).unwrap();
        assert_eq!(body, CommandBody::Noop);
    }

    #[test]
    fn credentials_are_quoted() {
        let body =
            parse_body(format!("LOGIN {} {}", quoted("a\"b"), quoted("p\\w")).as_bytes()).unwrap();
        assert!(matches!(body, CommandBody::Login { .. }));
    }
}
