//! The `postroom-load` tool: SMTP, LMTP, IMAP and POP3 load against any server, driven by
//! the workspace's own Sans-IO client machines, and an idle-connection memory probe.
//!
//! Every run is bounded by a count of operations AND a time limit ([`Budget`]):
//! `concurrency` workers, each with its own connection, take operations from the budget
//! until either runs out; a failed operation counts as an error, closes the worker's
//! connection and the worker opens a new one for its next operation. The run ends with a
//! [`stats::Report`]: throughput, latency percentiles and errors.
//!
//! ```
//! use postroom_benches::load::Budget;
//! use std::time::Duration;
//!
//! let budget = Budget::new(2, Duration::from_secs(60));
//! assert!(budget.take());
//! assert!(budget.take());
//! assert!(!budget.take());
//! ```

pub mod conn;
pub mod idle;
pub mod imap;
pub mod message;
pub mod pop3;
pub mod procmem;
pub mod smtp;
pub mod stats;

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use stats::{Report, Tally};

/// Why an operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// A socket error (connect, read, write).
    #[error("{0}")]
    Io(String),
    /// The server closed the connection.
    #[error("connection closed by the server")]
    Closed,
    /// The server refused a command or sent something unexpected.
    #[error("{0}")]
    Protocol(String),
    /// The operation did not finish within the per-operation timeout.
    #[error("timed out after {0:?}")]
    Timeout(Duration),
}

impl LoadError {
    /// An event the session did not expect at this point.
    pub(crate) fn unexpected(during: &str, event: &impl std::fmt::Debug) -> Self {
        Self::Protocol(format!("during {during}: {event:?}"))
    }
}

/// The shared bound of a run: at most `count` operations, none started after the deadline.
#[derive(Debug)]
pub struct Budget {
    remaining: AtomicU64,
    deadline: Instant,
}

impl Budget {
    /// A budget of `count` operations within `limit` from now.
    pub fn new(count: u64, limit: Duration) -> Self {
        Self {
            remaining: AtomicU64::new(count),
            deadline: Instant::now() + limit,
        }
    }

    /// Takes one operation; `false` once the count is spent or the time is up.
    pub fn take(&self) -> bool {
        if Instant::now() >= self.deadline {
            return false;
        }
        self.remaining
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
            .is_ok()
    }

    /// Whether operations remain (without taking one).
    pub fn left(&self) -> bool {
        Instant::now() < self.deadline && self.remaining.load(Ordering::Relaxed) > 0
    }
}

/// Settings every protocol shares.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Concurrent connections (workers).
    pub concurrency: usize,
    /// Most operations in the whole run.
    pub count: u64,
    /// Time limit of the run.
    pub duration: Duration,
    /// Limit of one operation (connection set-up included).
    pub op_timeout: Duration,
}

/// What a worker gets: its index and the shared budget.
#[derive(Debug, Clone)]
pub struct Worker {
    /// 0-based worker number.
    pub index: usize,
    /// The run's bound.
    pub budget: Arc<Budget>,
    /// Limit of one operation.
    pub op_timeout: Duration,
}

impl Worker {
    /// Runs `op` under the per-operation timeout.
    pub async fn timed<T>(
        &self,
        op: impl Future<Output = Result<T, LoadError>>,
    ) -> Result<T, LoadError> {
        tokio::time::timeout(self.op_timeout, op)
            .await
            .unwrap_or(Err(LoadError::Timeout(self.op_timeout)))
    }
}

/// Runs `concurrency` workers made by `work` until the budget is spent; sums their tallies.
pub async fn run_workers<F, Fut>(
    mode: &'static str,
    unit: &'static str,
    options: &RunOptions,
    work: F,
) -> Report
where
    F: Fn(Worker) -> Fut,
    Fut: Future<Output = Tally> + Send + 'static,
{
    let budget = Arc::new(Budget::new(options.count, options.duration));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..options.concurrency.max(1) {
        tasks.spawn(work(Worker {
            index,
            budget: Arc::clone(&budget),
            op_timeout: options.op_timeout,
        }));
    }
    let mut tally = Tally::default();
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok(worker) => tally.merge(worker),
            Err(e) => tally.failure(format!("worker failed: {e}")),
        }
    }
    Report {
        mode,
        unit,
        concurrency: options.concurrency.max(1),
        elapsed: started.elapsed(),
        tally,
    }
}

/// `pattern` with `{n}` replaced by `n` (user and recipient names per connection).
pub fn numbered(pattern: &str, n: usize) -> String {
    pattern.replace("{n}", &n.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_stops_at_the_deadline() {
        let budget = Budget::new(10, Duration::ZERO);
        assert!(!budget.take());
        assert!(!budget.left());
    }

    #[test]
    fn patterns_are_numbered() {
        assert_eq!(numbered("load{n}@example.test", 7), "load7@example.test");
        assert_eq!(numbered("pat", 7), "pat");
    }

    #[tokio::test]
    async fn workers_share_the_count() {
        let options = RunOptions {
            concurrency: 3,
            count: 10,
            duration: Duration::from_secs(60),
            op_timeout: Duration::from_secs(5),
        };
        let report = run_workers("test", "op", &options, |w| async move {
            let mut tally = Tally::default();
            while w.budget.take() {
                tally.success(Duration::from_micros(1), 1);
            }
            tally
        })
        .await;
        assert_eq!(report.tally.latencies.len(), 10);
        assert_eq!(report.tally.bytes, 10);
    }
}
