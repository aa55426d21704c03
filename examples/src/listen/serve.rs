//! `postroom serve`: binds every configured listener, runs the accept loops, and shuts
//! down cleanly on SIGINT or SIGTERM.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tracing::{info, warn};

use super::{ConnectionLimits, Endpoint, Limiter, Listener, Shared, accept_loop};
use crate::config::{Config, ListenAddr};
use crate::delivery::Delivery;
use crate::delivery::dispatch::Dispatcher;
use crate::delivery::transport::LocalTransport;
use crate::directory::{Directory, DirectoryError};
use crate::filter::sieve::SieveSetupError;
use crate::filter::{SieveFilter, SpamCheck};
use crate::mx::{Flavor, SmtpService, smtp_config};
use crate::outbound::{SmtpTransport, Transport};
use crate::queue::{Queue, QueueError};
use crate::relay::Router;
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
    /// The outbound queue could not be opened.
    #[error(transparent)]
    Queue(#[from] QueueError),
    /// The global Sieve script is missing or does not compile.
    #[error(transparent)]
    Sieve(#[from] SieveSetupError),
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
    let queue = open_queue(config).await?;
    let sieve = SieveFilter::new(config.sieve.clone(), config.hostname.clone())?;
    let delivery = Arc::new(
        Delivery::new(
            directory.clone(),
            Arc::new(sieve),
            config.hostname.clone(),
            std::env::temp_dir(),
        )
        .with_outbox(Arc::clone(&queue)),
    );
    let dispatcher = Arc::new(Dispatcher::new(Arc::clone(&delivery), Arc::clone(&queue)));
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

    start_queue(config, &directory, &delivery, &queue, &shared)?;

    // Inbound mail; authenticated submission only with `spam.check_submission`.
    let spam = Arc::new(SpamCheck::new(config.spam.clone(), config.hostname.clone()));
    if config.spam.enabled {
        info!(
            "spam check: rspamd over {} at {} (fail_open = {})",
            config.spam.backend.name(),
            config.spam.address(),
            config.spam.fail_open
        );
    }
    let mx = SmtpService::new(
        Flavor::Mx,
        smtp_config(config, Flavor::Mx),
        Arc::clone(&dispatcher),
    );
    let lmtp = crate::lmtp::service(config, Arc::clone(&dispatcher));
    let (mx, lmtp) = if config.spam.enabled {
        (
            mx.with_spam_check(Arc::clone(&spam)),
            lmtp.with_spam_check(Arc::clone(&spam)),
        )
    } else {
        (mx, lmtp)
    };
    let (mx, lmtp) = (Arc::new(mx), Arc::new(lmtp));
    let submission = crate::submission::SubmissionService::new(
        config,
        directory.clone(),
        Arc::clone(&dispatcher),
    );
    let submission = Arc::new(if config.spam.enabled && config.spam.check_submission {
        submission.with_spam_check(Arc::clone(&spam))
    } else {
        submission
    });
    let pop3 = Arc::new(crate::pop3::Pop3Service::new(config, directory.clone()));
    let imap = Arc::new(crate::imap::ImapService::new(config, directory.clone()));
    let managesieve = Arc::new(crate::managesieve::ManagesieveService::new(
        config,
        directory.clone(),
    ));
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
                "submission" | "submissions" => {
                    loops.spawn(accept_loop(
                        service.name,
                        listener,
                        service.implicit_tls,
                        Arc::clone(&submission),
                        shared,
                    ));
                }
                "managesieve" => {
                    loops.spawn(accept_loop(
                        "managesieve",
                        listener,
                        false,
                        Arc::clone(&managesieve),
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

/// Opens the outbound queue of `config` (blocking work: recovery reads every state file).
async fn open_queue(config: &Config) -> Result<Arc<Queue>, ServeError> {
    let queue_config = config.queue.clone();
    let hostname = config.hostname.clone();
    let opened = tokio::task::spawn_blocking(move || {
        Queue::open(&queue_config).map(|q| q.with_hostname(hostname))
    })
    .await
    .map_err(|e| ServeError::Io {
        what: "opening the queue",
        source: std::io::Error::other(e),
    })??;
    Ok(Arc::new(opened))
}

/// Starts the queue runner: local domains are stored like inbound mail (bounces to local
/// senders, retried local copies), every other domain goes out over SMTP.
fn start_queue(
    config: &Config,
    directory: &Directory,
    delivery: &Arc<Delivery>,
    queue: &Arc<Queue>,
    shared: &Shared,
) -> Result<(), ServeError> {
    let own_listeners: Vec<SocketAddr> = config
        .listeners
        .mx
        .iter()
        .filter_map(|addr| match addr {
            ListenAddr::Tcp(sock) => Some(*sock),
            ListenAddr::Unix(_) => None,
        })
        .collect();
    let remote =
        SmtpTransport::new(&config.outbound, &config.hostname, &own_listeners).map_err(|e| {
            ServeError::Io {
                what: "setting up outbound SMTP",
                source: std::io::Error::other(e),
            }
        })?;
    let local = LocalTransport::new(Arc::clone(delivery), Arc::clone(queue));
    let router: Arc<dyn Transport> = Arc::new(Router::new(directory.clone(), local, remote));
    tokio::spawn(Arc::clone(queue).run(router, shared.shutdown.clone()));
    Ok(())
}

fn endpoint(addr: &ListenAddr) -> Endpoint {
    match addr {
        ListenAddr::Tcp(sock) => Endpoint::Tcp(*sock),
        ListenAddr::Unix(path) => Endpoint::Unix(path.clone()),
    }
}
