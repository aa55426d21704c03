//! `postroom serve`: binds every configured listener, runs the accept loops, and shuts
//! down cleanly on SIGINT or SIGTERM.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tracing::{info, warn};

use super::{ConnectionLimits, Endpoint, Limiter, Listener, Shared, accept_loop};
use crate::config::{Config, ListenAddr};
use crate::delivery::{Delivery, InboxOnly};
use crate::directory::{Directory, DirectoryError};
use crate::mx::{Flavor, SmtpService, smtp_config};
use crate::shutdown::{self, Shutdown};
use crate::tls::{self, Tls, TlsError};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ServeError {
    /// The directory database is unusable.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// The certificate or key could not be loaded.
    #[error("tls: {0}")]
    Tls(#[from] TlsError),
    /// A listener could not be bound.
    #[error("cannot listen on {endpoint} ({service}): {source}")]
    Bind {
        /// The service (`mx`, `lmtp`, ...).
        service: &'static str,
        /// The address.
        endpoint: Endpoint,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Signal handlers or other runtime resources could not be set up.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: &'static str,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}

/// How long sessions still busy at shutdown may go on.
const GRACE: Duration = shutdown::DEFAULT_GRACE;

/// Serves `config` until SIGINT or SIGTERM, then shuts down cleanly.
pub(crate) async fn serve(config: &Config) -> Result<(), ServeError> {
    let signal = shutdown::wait_for_signal();
    let signal = async {
        match signal.await {
            Ok(name) => info!("{name} received: shutting down"),
            Err(e) => warn!("cannot wait for signals ({e}); shutting down"),
        }
    };
    serve_until(config, signal).await
}

/// Serves `config` until `stop` completes.
pub(crate) async fn serve_until(
    config: &Config,
    stop: impl Future<Output = ()>,
) -> Result<(), ServeError> {
    let directory = Directory::from_config(config).await?;
    directory.check_schema().await?;
    let tls = match &config.tls {
        Some(files) => {
            let tls = Arc::new(Tls::load(&files.certificate, &files.key)?);
            tls::reload_on_sighup(Arc::clone(&tls)).map_err(|source| ServeError::Io {
                what: "installing the SIGHUP handler",
                source,
            })?;
            Some(tls)
        }
        None => None,
    };
    let delivery = Arc::new(Delivery::new(
        directory.clone(),
        Arc::new(InboxOnly),
        config.hostname.clone(),
        std::env::temp_dir(),
    ));
    let limiter = Limiter::new(ConnectionLimits {
        total: config.limits.connections,
        per_ip: config.limits.connections_per_ip,
    });
    let (trigger, shutdown) = Shutdown::new(GRACE);
    let shared = Shared {
        limiter: Arc::clone(&limiter),
        tls,
        shutdown,
    };

    let mx = Arc::new(SmtpService::new(
        Flavor::Mx,
        smtp_config(config, Flavor::Mx),
        Arc::clone(&delivery),
    ));
    let lmtp = Arc::new(crate::lmtp::service(config, Arc::clone(&delivery)));
    let pop3 = Arc::new(crate::pop3::Pop3Service::new(config, directory.clone()));
    let imap = Arc::new(crate::imap::ImapService::new(config, directory.clone()));
    let mut loops = JoinSet::new();
    for service in config.listeners.all() {
        for addr in service.addrs {
            let endpoint = endpoint(addr);
            let listener = Listener::bind(&endpoint)
                .await
                .map_err(|source| ServeError::Bind {
                    service: service.name,
                    endpoint: endpoint.clone(),
                    source,
                })?;
            let shared = shared.clone();
            let bound = listener.endpoint().unwrap_or(endpoint);
            match service.name {
                "mx" => {
                    loops.spawn(accept_loop("mx", listener, false, Arc::clone(&mx), shared));
                }
                "lmtp" => {
                    loops.spawn(accept_loop(
                        "lmtp",
                        listener,
                        false,
                        Arc::clone(&lmtp),
                        shared,
                    ));
                }
                "pop3" | "pop3s" => {
                    loops.spawn(accept_loop(
                        service.name,
                        listener,
                        service.implicit_tls,
                        Arc::clone(&pop3),
                        shared,
                    ));
                }
                "imap" | "imaps" => {
                    loops.spawn(accept_loop(
                        service.name,
                        listener,
                        service.implicit_tls,
                        Arc::clone(&imap),
                        shared,
                    ));
                }
                other => {
                    warn!("{other} on {bound}: this service is not built yet; not listening");
                    continue;
                }
            }
            info!("listening: {} on {bound}", service.name);
        }
    }

    stop.await;
    trigger.trigger();
    while loops.join_next().await.is_some() {}
    let active = limiter.active();
    if active > 0 {
        info!("waiting for {active} session(s) to finish (at most {GRACE:?})");
    }
    // Busy sessions get the grace period, then are closed by their driver; a little more
    // lets them write their last reply.
    let finished = tokio::time::timeout(GRACE + Duration::from_secs(5), limiter.wait_idle());
    if finished.await.is_err() {
        warn!(
            "{} session(s) still open after the grace period",
            limiter.active()
        );
    }
    directory.close().await;
    info!("shutdown complete");
    Ok(())
}

fn endpoint(addr: &ListenAddr) -> Endpoint {
    match addr {
        ListenAddr::Tcp(sock) => Endpoint::Tcp(*sock),
        ListenAddr::Unix(path) => Endpoint::Unix(path.clone()),
    }
}
