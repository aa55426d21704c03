//! Idle connections: opens N IMAP connections (LOGIN, SELECT INBOX, IDLE), holds them,
//! and reports the memory the server's processes gained per connection; at the end every
//! connection ends IDLE with `DONE` and must get its tagged OK (so all were still served).

use std::sync::Arc;
use std::time::{Duration, Instant};

use imap_proto::client::Event;
use imap_proto::types::{StatusKind, Tag};
use tokio::sync::Semaphore;

use super::conn::Target;
use super::imap::{Session, parse_body, quoted};
use super::procmem::{Usage, usage};
use super::{LoadError, numbered};

/// How many connections, as whom, and which processes to measure.
#[derive(Debug, Clone)]
pub struct IdleOptions {
    /// The server.
    pub target: Target,
    /// The user name; `{n}` is replaced by a user number from 1 to `users`.
    pub user: String,
    /// How many users `{n}` cycles through.
    pub users: usize,
    /// The password of every user.
    pub password: String,
    /// Connections to hold.
    pub connections: usize,
    /// Connections being set up at once.
    pub parallel: usize,
    /// Server processes to measure (each with its descendants); none: no memory figures.
    pub pids: Vec<u32>,
    /// Connections opened and closed before the first reading (one-time costs).
    pub warmup: usize,
    /// Pause before each memory reading.
    pub settle: Duration,
    /// Limit for opening all connections, and for closing them.
    pub limit: Duration,
}

/// What an idle run measured.
#[derive(Debug, Clone, Default)]
pub struct IdleReport {
    /// Connections that reached IDLE.
    pub open: usize,
    /// Connections that failed to.
    pub failed: usize,
    /// The first failure, if any.
    pub first_failure: Option<String>,
    /// Seconds to open them.
    pub ramp_secs: f64,
    /// The server's processes before (after the warm-up) and with all connections idle.
    pub before: Usage,
    /// See `before`.
    pub after: Usage,
    /// Connections still answering at the end.
    pub alive: usize,
}

impl IdleReport {
    /// RSS gained per open connection, in KiB.
    pub fn rss_per_connection(&self) -> f64 {
        self.after.rss_kib.saturating_sub(self.before.rss_kib) as f64 / self.open.max(1) as f64
    }

    /// PSS gained per open connection, in KiB.
    pub fn pss_per_connection(&self) -> f64 {
        self.after.pss_kib.saturating_sub(self.before.pss_kib) as f64 / self.open.max(1) as f64
    }

    /// The human-readable report, ending with a `RESULT` line.
    pub fn render(&self) -> String {
        let mut out = format!(
            "idle: {} connections idle in {:.1} s, {} failed\n",
            self.open, self.ramp_secs, self.failed
        );
        if let Some(why) = &self.first_failure {
            out.push_str(&format!("first failure: {why}\n"));
        }
        for (label, u) in [("before", self.before), ("after", self.after)] {
            out.push_str(&format!(
                "server {label}: {} process(es), RSS {} KiB, PSS {} KiB\n",
                u.processes, u.rss_kib, u.pss_kib
            ));
        }
        out.push_str(&format!(
            "per idle connection: RSS {:.1} KiB, PSS {:.1} KiB\n\
             still served at the end (DONE answered OK): {} of {}\n\
             RESULT mode=idle ok={} errors={} alive={} rss_before_kib={} rss_after_kib={} \
             pss_before_kib={} pss_after_kib={} rss_per_conn_kib={:.2} pss_per_conn_kib={:.2}\n",
            self.rss_per_connection(),
            self.pss_per_connection(),
            self.alive,
            self.open,
            self.open,
            self.failed,
            self.alive,
            self.before.rss_kib,
            self.after.rss_kib,
            self.before.pss_kib,
            self.after.pss_kib,
            self.rss_per_connection(),
            self.pss_per_connection(),
        ));
        out
    }
}

/// A connection in IDLE and the tag of its IDLE command.
struct Idling {
    session: Session,
    tag: Tag<'static>,
}

async fn start_idle(options: &IdleOptions, n: usize) -> Result<Idling, LoadError> {
    let user = numbered(&options.user, n % options.users.max(1) + 1);
    let mut session = Session::open(&options.target).await?;
    let login = format!("LOGIN {} {}", quoted(&user), quoted(&options.password));
    session.command(parse_body(login.as_bytes())?).await?;
    session.command(parse_body(b"SELECT INBOX")?).await?;
    let tag = session
        .conn
        .machine
        .idle()
        .map_err(|e| LoadError::Protocol(e.to_string()))?;
    loop {
        match session.conn.event().await? {
            Event::IdleStarted { .. } => return Ok(Idling { session, tag }),
            event @ (Event::Completed { .. } | Event::Bye(_) | Event::Error(_) | Event::Closed) => {
                return Err(LoadError::Protocol(format!("IDLE refused: {event:?}")));
            }
            _ => {}
        }
    }
}

async fn end_idle(mut idling: Idling) -> Result<(), LoadError> {
    idling
        .session
        .conn
        .machine
        .done()
        .map_err(|e| LoadError::Protocol(e.to_string()))?;
    loop {
        match idling.session.conn.event().await? {
            Event::Completed { tag, status, .. } if tag == idling.tag => {
                return match status {
                    StatusKind::Ok => Ok(()),
                    other => Err(LoadError::Protocol(format!("DONE answered {other:?}"))),
                };
            }
            event @ (Event::Bye(_) | Event::Error(_) | Event::Closed) => {
                return Err(LoadError::Protocol(format!("{event:?}")));
            }
            _ => {}
        }
    }
}

/// Opens `count` idle connections, `parallel` at a time, within the limit.
async fn open_all(
    options: &Arc<IdleOptions>,
    count: usize,
    first: usize,
) -> (Vec<Idling>, Vec<String>) {
    let gate = Arc::new(Semaphore::new(options.parallel.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for n in first..first + count {
        let gate = Arc::clone(&gate);
        let options = Arc::clone(options);
        tasks.spawn(async move {
            let _permit = gate
                .acquire_owned()
                .await
                .map_err(|e| LoadError::Protocol(e.to_string()))?;
            start_idle(&options, n).await
        });
    }
    let mut open = Vec::with_capacity(count);
    let mut failures = Vec::new();
    let deadline = tokio::time::Instant::now() + options.limit;
    loop {
        match tokio::time::timeout_at(deadline, tasks.join_next()).await {
            Ok(Some(Ok(Ok(idling)))) => open.push(idling),
            Ok(Some(Ok(Err(e)))) => failures.push(e.to_string()),
            Ok(Some(Err(e))) => failures.push(e.to_string()),
            Ok(None) => break,
            Err(_) => {
                let left = tasks.len();
                tasks.abort_all();
                failures.extend(std::iter::repeat_n(
                    format!("not idle after {:?}", options.limit),
                    left,
                ));
                break;
            }
        }
    }
    (open, failures)
}

/// Ends IDLE on every connection; returns how many answered OK.
async fn close_all(open: Vec<Idling>, limit: Duration) -> usize {
    let mut tasks = tokio::task::JoinSet::new();
    for idling in open {
        tasks.spawn(end_idle(idling));
    }
    let mut alive = 0;
    let deadline = tokio::time::Instant::now() + limit;
    while let Ok(Some(joined)) = tokio::time::timeout_at(deadline, tasks.join_next()).await {
        if matches!(joined, Ok(Ok(()))) {
            alive += 1;
        }
    }
    tasks.abort_all();
    alive
}

/// Runs the idle-connection measurement.
pub async fn run(options: IdleOptions) -> IdleReport {
    let options = Arc::new(options);
    if options.warmup > 0 {
        let (warm, _) = open_all(&options, options.warmup, 0).await;
        close_all(warm, options.limit).await;
        tokio::time::sleep(options.settle).await;
    }
    let before = usage(&options.pids);
    let started = Instant::now();
    let (open, failures) = open_all(&options, options.connections, options.warmup).await;
    let ramp_secs = started.elapsed().as_secs_f64();
    tokio::time::sleep(options.settle).await;
    let after = usage(&options.pids);
    let opened = open.len();
    let alive = close_all(open, options.limit).await;
    IdleReport {
        open: opened,
        failed: failures.len(),
        first_failure: failures.into_iter().next(),
        ramp_secs,
        before,
        after,
        alive,
    }
}
