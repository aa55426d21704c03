//! POP3 retrieval: sessions of USER/PASS, STAT, a number of RETRs and QUIT, through
//! pop3-proto's client machine. One operation is one RETR (the first of a session also
//! carries the connect, the login and STAT); nothing is deleted, so runs can repeat.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Instant;

use pop3_proto::client::{Client, Config, Event};
use pop3_proto::types::CommandKind;

use super::conn::{Conn, Target};
use super::stats::{Report, Tally};
use super::{LoadError, RunOptions, Worker, numbered, run_workers};

/// Who to log in as and how much to retrieve per session.
#[derive(Debug, Clone)]
pub struct Pop3Options {
    /// The server.
    pub target: Target,
    /// The user name; `{n}` is replaced by a user number from 1 to `users`.
    pub user: String,
    /// How many users `{n}` cycles through (worker `i` logs in as user `i % users + 1`).
    pub users: usize,
    /// The password of every user.
    pub password: String,
    /// RETRs per session before QUIT (fewer if the maildrop holds fewer messages).
    pub per_session: u64,
}

/// A logged-in POP3 session.
struct Session {
    conn: Conn<Client>,
    messages: u64,
    retrieved: u64,
}

impl Session {
    async fn open(options: &Pop3Options, user: &str) -> Result<Self, LoadError> {
        let mut conn = Conn::open(
            &options.target,
            Client::new(Config::default(), Instant::now()),
        )
        .await?;
        match conn.event().await? {
            Event::Greeting { .. } => {}
            other => return Err(LoadError::unexpected("the greeting", &other)),
        }
        conn.machine
            .login(user, options.password.as_bytes())
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        let mut session = Self {
            conn,
            messages: 0,
            retrieved: 0,
        };
        session.finish(CommandKind::Pass).await?;
        session
            .conn
            .machine
            .stat()
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        session.finish(CommandKind::Stat).await?;
        if session.messages == 0 {
            return Err(LoadError::Protocol(format!(
                "the maildrop of {user} is empty"
            )));
        }
        Ok(session)
    }

    /// Waits for the end of command `kind`; returns the message bytes it carried.
    async fn finish(&mut self, kind: CommandKind) -> Result<u64, LoadError> {
        let mut bytes = 0u64;
        loop {
            match self.conn.event().await? {
                Event::Completed { command, .. } if command == kind => return Ok(bytes),
                Event::Failed { command, status } => {
                    return Err(LoadError::Protocol(format!(
                        "{command:?} failed: -ERR {}",
                        status.text
                    )));
                }
                Event::Stat { count, .. } => self.messages = count,
                Event::MessageChunk(chunk) => bytes += chunk.len() as u64,
                event @ (Event::Error(_) | Event::Closed) => {
                    return Err(LoadError::unexpected("a command", &event));
                }
                _ => {}
            }
        }
    }

    /// Retrieves the next message; returns its size.
    async fn retr(&mut self) -> Result<u64, LoadError> {
        let number = self.retrieved % self.messages + 1;
        let number = u32::try_from(number)
            .ok()
            .and_then(NonZeroU32::new)
            .ok_or_else(|| LoadError::Protocol(format!("message {number} out of range")))?;
        self.conn
            .machine
            .retr(number)
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        let bytes = self.finish(CommandKind::Retr).await?;
        self.retrieved += 1;
        Ok(bytes)
    }

    async fn quit(mut self) -> Result<(), LoadError> {
        self.conn
            .machine
            .quit()
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        self.conn.until_closed().await
    }
}

async fn worker(w: Worker, options: Arc<Pop3Options>) -> Tally {
    let mut tally = Tally::default();
    let user = numbered(&options.user, w.index % options.users.max(1) + 1);
    let mut session: Option<Session> = None;
    while w.budget.take() {
        let started = Instant::now();
        let result = w
            .timed(async {
                let open = match session.take() {
                    Some(open) => open,
                    None => {
                        let open = Session::open(&options, &user).await?;
                        tally.sessions += 1;
                        open
                    }
                };
                session.insert(open).retr().await
            })
            .await;
        match result {
            Ok(bytes) => {
                tally.success(started.elapsed(), bytes);
                let done = session
                    .as_ref()
                    .is_some_and(|s| s.retrieved >= options.per_session.max(1).min(s.messages));
                if (done || !w.budget.left())
                    && let Some(open) = session.take()
                {
                    let _ = w.timed(open.quit()).await;
                }
            }
            Err(e) => {
                tally.failure(e);
                session = None;
            }
        }
    }
    if let Some(open) = session.take() {
        let _ = w.timed(open.quit()).await;
    }
    tally
}

/// Retrieves messages until the budget is spent.
pub async fn run(run: &RunOptions, options: Pop3Options) -> Report {
    let options = Arc::new(options);
    run_workers("pop3", "retr", run, |w| worker(w, Arc::clone(&options))).await
}
