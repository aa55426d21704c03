//! Clean shutdown on SIGINT (Ctrl-C) or SIGTERM: listeners stop accepting, sessions
//! finish what they are doing within a grace period, idle sessions are told `421 4.3.2`.
//! Nothing acknowledged is lost because every acknowledgement follows an fsync.

use std::time::Duration;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

/// The default grace period for busy sessions.
pub(crate) const DEFAULT_GRACE: Duration = Duration::from_secs(30);

/// Starts a shutdown; the server holds it for as long as it runs.
#[derive(Debug)]
pub(crate) struct Trigger {
    tx: watch::Sender<bool>,
}

/// What listeners and sessions watch.
#[derive(Debug, Clone)]
pub(crate) struct Shutdown {
    rx: watch::Receiver<bool>,
    grace: Duration,
}

impl Trigger {
    /// Signals every [`Shutdown`] handle.
    pub(crate) fn trigger(&self) {
        self.tx.send_replace(true);
    }
}

impl Shutdown {
    /// A new trigger and the handle to clone to listeners and sessions.
    pub(crate) fn new(grace: Duration) -> (Trigger, Self) {
        let (tx, rx) = watch::channel(false);
        (Trigger { tx }, Self { rx, grace })
    }

    /// Whether shutdown has started.
    pub(crate) fn is_requested(&self) -> bool {
        *self.rx.borrow()
    }

    /// How long a busy session may go on after shutdown started.
    pub(crate) fn grace(&self) -> Duration {
        self.grace
    }

    /// Completes once shutdown has started.
    pub(crate) async fn requested(&mut self) {
        if self.rx.wait_for(|stop| *stop).await.is_err() {
            // The trigger is gone without firing: the server is going away regardless.
            std::future::pending::<()>().await;
        }
    }
}

/// Waits for SIGINT or SIGTERM and returns the signal's name.
pub(crate) async fn wait_for_signal() -> std::io::Result<&'static str> {
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    Ok(tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn requested_completes_after_trigger() {
        let (trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
        let mut watcher = shutdown.clone();
        assert!(!shutdown.is_requested());
        let wait = tokio::spawn(async move { watcher.requested().await });
        tokio::task::yield_now().await;
        assert!(!wait.is_finished());
        trigger.trigger();
        tokio::time::timeout(Duration::from_secs(5), wait)
            .await
            .expect("shutdown seen")
            .unwrap();
        assert!(shutdown.is_requested());
    }
}
