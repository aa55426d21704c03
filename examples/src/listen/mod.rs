//! Accept loops, connection limits and the ONE driver that pumps bytes between a socket
//! and any Sans-IO protocol machine.
//!
//! A service plugs in with two traits:
//!
//! - [`Machine`]: the protocol state machine, seen through the driving contract every
//!   Postroom protocol crate shares (`handle_input`, `handle_timeout`, `poll_timeout`,
//!   `poll_output`). Adapters for the protocol crates live in the sub-modules
//!   ([`smtp`] covers SMTP and LMTP, [`pop3`] covers POP3, [`imap`] covers IMAP).
//! - [`Session`]: the service's side of one connection, which answers the machine's
//!   events. It never sees the socket.
//!
//! [`Service`] ties them together: it makes a machine and a session for each accepted
//! connection and knows how to refuse one that is over the limits.
//!
//! The driver reads at most one buffer at a time and only while the machine waits for
//! input (never while a decision is pending), writes every transmit in order, runs the
//! TLS handshake when the machine asks for it, wraps the stream in raw DEFLATE when the
//! machine starts compression (IMAP COMPRESS, [`deflate`]), applies the machine's
//! timeouts, and on shutdown closes the session as soon as it is idle, or after the
//! grace period.
//!
//! A session that waits for outside changes (IMAP IDLE, or any selected mailbox) hands
//! the driver a [`tokio::sync::watch::Receiver`] through [`Session::wait_update`]: while
//! the machine waits for input, the driver also wakes on a change and every
//! [`UPDATE_TICK`] (for changes made by other processes, which send no notification),
//! and lets the session push what changed with [`Session::on_update`].

pub(crate) mod deflate;
pub(crate) mod imap;
pub(crate) mod pop3;
pub(crate) mod smtp;

use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener};
use tokio::sync::watch;
use tokio::time::{Instant, sleep_until, timeout};
use tracing::{debug, info, warn};

use self::deflate::DeflateStream;
use crate::shutdown::Shutdown;
use crate::tls::{Tls, TlsInfo};

mod limits;
mod serve;

pub(crate) use limits::{ConnectionLimits, Limiter};
pub(crate) use serve::serve;

/// How many bytes the driver reads at a time.
const READ_SIZE: usize = 16 * 1024;
/// The longest a single write may block on a client that does not read.
const WRITE_TIMEOUT: Duration = Duration::from_secs(300);
/// The longest a TLS handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);
/// The longest the refusal of a connection over the limits may take.
const REFUSAL_TIMEOUT: Duration = Duration::from_secs(5);
/// How often a session waiting for updates is asked to look for changes anyway.
pub(crate) const UPDATE_TICK: Duration = Duration::from_secs(1);

/// Anything the driver can read and write: TCP, a Unix socket, or TLS over either.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Unpin + Send {}

impl<T: AsyncRead + AsyncWrite + Unpin + Send> Stream for T {}

/// A connection as the driver holds it.
pub(crate) type BoxStream = Box<dyn Stream>;

/// One step of a machine's output, in the shape the driver needs.
#[derive(Debug)]
pub(crate) enum Output<E> {
    /// Bytes to write to the peer.
    Transmit(Bytes),
    /// An event for the [`Session`].
    Event(E),
    /// The peer asked for TLS and the go-ahead was queued: hand the stream to TLS.
    StartTls,
    /// Compression was accepted and its go-ahead queued: from now on both directions
    /// are raw DEFLATE. The bytes are compressed input already received, inflated first.
    StartCompression(Bytes),
    /// The session is over (with a description for the log).
    Closed(&'static str),
    /// Nothing more without input, a timeout or a decision.
    NeedInput,
}

/// A Sans-IO protocol state machine, as the driver sees it.
pub(crate) trait Machine: Send {
    /// What the machine hands to the session.
    type Event: Send;

    /// Bytes from the peer.
    fn handle_input(&mut self, bytes: &[u8]);
    /// The current time; fires an expired timeout.
    fn handle_timeout(&mut self, now: std::time::Instant);
    /// When `handle_timeout` must be called next.
    fn poll_timeout(&self) -> Option<std::time::Instant>;
    /// The next output.
    fn poll_output(&mut self) -> Output<Self::Event>;
    /// Whether the machine waits for the session to answer a decision.
    fn awaiting_decision(&self) -> bool;
    /// The TLS handshake after [`Output::StartTls`] succeeded.
    fn tls_established(&mut self);
    /// Closes the session because the server shuts down (`421 4.3.2`, `-ERR [SYS/TEMP]`).
    fn close_for_shutdown(&mut self);
    /// Closes the session because the application failed to answer a decision.
    fn close_internal_error(&mut self);
}

/// What a session wants after handling an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// The event is handled (any decision was answered).
    Done,
    /// Write what the machine produced, then call [`Session::resume`] (e.g. to stream a
    /// large message in chunks without buffering it in the machine).
    Resume,
}

/// Where a connection comes from.
#[derive(Debug, Clone)]
pub(crate) struct Peer {
    /// A number for the log, unique in this process.
    pub(crate) id: u64,
    /// The listener's name (`mx`, `lmtp`, `pop3s`, ...).
    pub(crate) listener: &'static str,
    /// The remote address; `None` for a Unix socket.
    pub(crate) remote: Option<SocketAddr>,
    /// Whether the connection started with TLS (implicit TLS).
    pub(crate) implicit_tls: bool,
}

impl Peer {
    /// The remote IP, or `None` for a Unix socket.
    pub(crate) fn ip(&self) -> Option<IpAddr> {
        self.remote.map(|a| a.ip())
    }

    /// The remote IP for logs and headers (`unix` for a Unix socket).
    pub(crate) fn ip_text(&self) -> String {
        self.ip()
            .map_or_else(|| "unix".to_owned(), |ip| ip.to_string())
    }
}

/// The service's side of one connection: answers the machine's events.
pub(crate) trait Session<M: Machine>: Send {
    /// Handles one event. A decision event must be answered on `machine` before the
    /// future completes (or, with [`Flow::Resume`], in a later [`Session::resume`]).
    fn on_event(&mut self, machine: &mut M, event: M::Event) -> impl Future<Output = Flow> + Send;

    /// Continues after [`Flow::Resume`], once the machine's output was written.
    fn resume(&mut self, machine: &mut M) -> impl Future<Output = Flow> + Send {
        let _ = machine;
        async { Flow::Done }
    }

    /// The TLS handshake succeeded (STARTTLS or implicit TLS).
    fn tls_started(&mut self, info: &TlsInfo) {
        let _ = info;
    }

    /// Whether the session may be closed now for a shutdown without abandoning work in
    /// progress (a message half received, a decision being made).
    fn is_idle(&self) -> bool {
        true
    }

    /// A channel announcing outside changes the session wants to report while the
    /// machine waits for input (asked before every wait). With `Some`, the driver calls
    /// [`Session::on_update`] when its value changes and every [`UPDATE_TICK`].
    fn wait_update(&mut self) -> Option<watch::Receiver<u64>> {
        None
    }

    /// Looks for changes and hands them to `machine` (e.g. unsolicited responses); the
    /// driver then drains the machine.
    fn on_update(&mut self, machine: &mut M) -> impl Future<Output = ()> + Send {
        let _ = machine;
        async {}
    }
}

/// The driver's hold on a session's update channel between waits.
struct UpdateWatch {
    rx: watch::Receiver<u64>,
    /// The sender still exists (once gone, only the tick remains).
    open: bool,
    tick: Duration,
    next_tick: Instant,
}

impl UpdateWatch {
    /// Keeps the current watch if `fresh` is the same channel (so a change seen once is
    /// not seen again), else starts watching `fresh`.
    fn refresh(current: &mut Option<Self>, fresh: Option<watch::Receiver<u64>>, tick: Duration) {
        match fresh {
            None => *current = None,
            Some(rx) if current.as_ref().is_some_and(|w| w.rx.same_channel(&rx)) => {}
            Some(rx) => {
                *current = Some(Self {
                    rx,
                    open: true,
                    tick,
                    next_tick: Instant::now() + tick,
                });
            }
        }
    }

    /// Waits for a change or the next tick.
    async fn wait(&mut self) {
        tokio::select! {
            changed = self.rx.changed(), if self.open => {
                if changed.is_err() {
                    self.open = false;
                }
            }
            () = sleep_until(self.next_tick) => {}
        }
        self.next_tick = Instant::now() + self.tick;
    }
}

/// Waits on `watch`, or forever without one.
async fn next_update(watch: &mut Option<UpdateWatch>) {
    match watch {
        Some(watch) => watch.wait().await,
        None => std::future::pending().await,
    }
}

/// Why the driver woke up.
enum Wake {
    /// Bytes were read into the buffer.
    Input(usize),
    /// The session's update channel changed or ticked.
    Update,
    /// A timeout, the grace deadline or the shutdown signal.
    Timer,
}

/// A protocol service: makes a machine and a session per connection.
pub(crate) trait Service: Send + Sync + 'static {
    /// The protocol machine.
    type Machine: Machine + 'static;
    /// The per-connection state.
    type Session: Session<Self::Machine> + 'static;

    /// A new machine (its greeting queued) and session for `peer`.
    fn open(&self, peer: &Peer) -> (Self::Machine, Self::Session);

    /// The one line sent to a connection refused for being over the limits
    /// (`421 4.7.0 ...` for SMTP and LMTP, `-ERR [SYS/TEMP] ...` for POP3).
    fn refusal(&self) -> Bytes;
}

/// Where a listener listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path (a stale socket file is replaced).
    Unix(PathBuf),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// A bound listening socket.
#[derive(Debug)]
pub(crate) enum Listener {
    /// TCP.
    Tcp(TcpListener),
    /// A Unix socket.
    Unix(UnixListener, PathBuf),
}

impl Listener {
    /// Binds `endpoint`.
    pub(crate) async fn bind(endpoint: &Endpoint) -> io::Result<Self> {
        match endpoint {
            Endpoint::Tcp(addr) => Ok(Self::Tcp(TcpListener::bind(addr).await?)),
            Endpoint::Unix(path) => {
                remove_stale_socket(path)?;
                Ok(Self::Unix(UnixListener::bind(path)?, path.clone()))
            }
        }
    }

    /// The address it is bound to (with the real port when bound to port 0).
    pub(crate) fn endpoint(&self) -> io::Result<Endpoint> {
        match self {
            Self::Tcp(l) => Ok(Endpoint::Tcp(l.local_addr()?)),
            Self::Unix(_, path) => Ok(Endpoint::Unix(path.clone())),
        }
    }

    async fn accept(&self) -> io::Result<(BoxStream, Option<SocketAddr>)> {
        match self {
            Self::Tcp(l) => {
                let (stream, addr) = l.accept().await?;
                // Replies are small and the driver writes whole batches.
                stream.set_nodelay(true)?;
                Ok((Box::new(stream), Some(addr)))
            }
            Self::Unix(l, _) => {
                let (stream, _) = l.accept().await?;
                Ok((Box::new(stream), None))
            }
        }
    }
}

/// Removes a socket file left by an earlier run; refuses to remove anything else.
fn remove_stale_socket(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::FileTypeExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_socket() => std::fs::remove_file(path),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a socket", path.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

/// What every accept loop shares.
#[derive(Clone)]
pub(crate) struct Shared {
    /// Connection limits and counts.
    pub(crate) limiter: Arc<Limiter>,
    /// The TLS configuration, if any certificate is configured.
    pub(crate) tls: Option<Arc<Tls>>,
    /// The shutdown signal.
    pub(crate) shutdown: Shutdown,
}

/// Numbers sessions for the log.
static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

/// Accepts connections on `listener` until shutdown, one task per connection.
pub(crate) async fn accept_loop<S: Service>(
    name: &'static str,
    listener: Listener,
    implicit_tls: bool,
    service: Arc<S>,
    shared: Shared,
) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = shutdown.requested() => break,
        };
        let (stream, remote) = match accepted {
            Ok(conn) => conn,
            Err(e) => {
                // Out of file descriptors and the like: back off instead of spinning.
                warn!("{name}: accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let peer = Peer {
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            listener: name,
            remote,
            implicit_tls,
        };
        let Some(permit) = shared.limiter.try_acquire(peer.ip()) else {
            info!(
                "connection refused: too many connections rip={} listener={name}",
                peer.ip_text()
            );
            let refusal = service.refusal();
            tokio::spawn(refuse(stream, refusal));
            continue;
        };
        let (service, shared) = (Arc::clone(&service), shared.clone());
        tokio::spawn(async move {
            run_connection(&*service, peer, stream, &shared).await;
            drop(permit);
        });
    }
    info!("{name}: stopped accepting");
    if let Listener::Unix(_, path) = &listener {
        let _ = std::fs::remove_file(path);
    }
}

/// Sends the refusal line to a connection over the limits and closes it.
async fn refuse(mut stream: BoxStream, line: Bytes) {
    let _ = timeout(REFUSAL_TIMEOUT, async {
        stream.write_all(&line).await?;
        stream.shutdown().await
    })
    .await;
}

/// Runs one connection from greeting (or TLS handshake) to close, and logs it.
pub(crate) async fn run_connection<S: Service>(
    service: &S,
    peer: Peer,
    stream: BoxStream,
    shared: &Shared,
) {
    info!(
        "connect: session={} listener={} rip={}",
        peer.id,
        peer.listener,
        peer.ip_text()
    );
    let (mut machine, mut session) = service.open(&peer);
    let outcome = async {
        let stream = if peer.implicit_tls {
            let tls = shared
                .tls
                .as_deref()
                .ok_or_else(|| io::Error::other("implicit TLS listener without a certificate"))?;
            let (stream, info) = handshake(tls, stream).await?;
            session.tls_started(&info);
            stream
        } else {
            stream
        };
        let mut driver = Driver {
            stream,
            tls: shared.tls.as_deref(),
            shutdown: shared.shutdown.clone(),
            grace_deadline: None,
            update_tick: UPDATE_TICK,
        };
        driver.run(&mut machine, &mut session).await
    }
    .await;
    match outcome {
        Ok(reason) => info!("disconnect: session={} reason={reason}", peer.id),
        Err(e) => info!("disconnect: session={} reason=error: {e}", peer.id),
    }
}

/// Runs the TLS handshake on `stream`, bounded in time.
async fn handshake(tls: &Tls, stream: BoxStream) -> io::Result<(BoxStream, TlsInfo)> {
    let accept = tls.acceptor().accept(stream);
    let tls_stream = timeout(HANDSHAKE_TIMEOUT, accept)
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "TLS handshake timed out"))??;
    let info = TlsInfo::of(tls_stream.get_ref().1);
    debug!("tls: {info}");
    Ok((Box::new(tls_stream), info))
}

/// The generic driver of one connection.
struct Driver<'a> {
    stream: BoxStream,
    tls: Option<&'a Tls>,
    shutdown: Shutdown,
    /// When a session that was busy at shutdown is closed anyway.
    grace_deadline: Option<Instant>,
    /// How often a session waiting for updates is polled ([`UPDATE_TICK`]).
    update_tick: Duration,
}

impl Driver<'_> {
    /// Pumps bytes until the session ends; returns why it ended.
    async fn run<M: Machine, S: Session<M>>(
        &mut self,
        machine: &mut M,
        session: &mut S,
    ) -> io::Result<&'static str> {
        let mut buf = vec![0; READ_SIZE];
        let mut updates = None;
        loop {
            machine.handle_timeout(std::time::Instant::now());
            if let Some(reason) = self.drain(machine, session).await? {
                return Ok(reason);
            }
            if self.shutdown.is_requested() {
                if session.is_idle() || self.grace_over() {
                    machine.close_for_shutdown();
                    continue;
                }
                self.grace_deadline
                    .get_or_insert_with(|| Instant::now() + self.shutdown.grace());
            }
            UpdateWatch::refresh(&mut updates, session.wait_update(), self.update_tick);
            let deadline = machine.poll_timeout().map(Instant::from_std);
            let wake = earliest(deadline, self.grace_deadline);
            let mut shutdown = self.shutdown.clone();
            let woke = tokio::select! {
                read = self.stream.read(&mut buf) => Wake::Input(read?),
                () = next_update(&mut updates), if updates.is_some() => Wake::Update,
                () = sleep_until(wake.unwrap_or_else(far_future)), if wake.is_some() => Wake::Timer,
                () = shutdown.requested(), if !self.shutdown.is_requested() => Wake::Timer,
            };
            match woke {
                Wake::Input(0) => return Ok("peer closed the connection"),
                Wake::Input(n) => {
                    machine.handle_timeout(std::time::Instant::now());
                    machine.handle_input(&buf[..n]);
                }
                Wake::Update => session.on_update(machine).await,
                Wake::Timer => {}
            }
        }
    }

    fn grace_over(&self) -> bool {
        self.grace_deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Drains the machine until it needs input; `Some(reason)` once the session is over.
    async fn drain<M: Machine, S: Session<M>>(
        &mut self,
        machine: &mut M,
        session: &mut S,
    ) -> io::Result<Option<&'static str>> {
        let mut resume = false;
        loop {
            match machine.poll_output() {
                Output::Transmit(bytes) => self.write(&bytes).await?,
                Output::Event(event) => {
                    resume = session.on_event(machine, event).await == Flow::Resume;
                    // The session may have taken time to decide.
                    machine.handle_timeout(std::time::Instant::now());
                }
                Output::StartTls => {
                    self.flush().await?;
                    self.start_tls(machine, session).await?;
                }
                Output::StartCompression(pending) => {
                    // The go-ahead leaves uncompressed; everything after it is deflated.
                    self.flush().await?;
                    let plain = std::mem::replace(&mut self.stream, placeholder_stream());
                    self.stream = Box::new(DeflateStream::new(plain, pending));
                }
                Output::Closed(reason) => {
                    self.flush().await?;
                    // Best effort: the peer may already be gone.
                    let _ = timeout(REFUSAL_TIMEOUT, self.stream.shutdown()).await;
                    return Ok(Some(reason));
                }
                Output::NeedInput if resume => {
                    self.flush().await?;
                    resume = session.resume(machine).await == Flow::Resume;
                    machine.handle_timeout(std::time::Instant::now());
                }
                Output::NeedInput if machine.awaiting_decision() => {
                    warn!("internal error: a decision was not answered");
                    machine.close_internal_error();
                }
                Output::NeedInput => {
                    self.flush().await?;
                    return Ok(None);
                }
            }
        }
    }

    /// Replaces the stream by a TLS stream over it.
    async fn start_tls<M: Machine, S: Session<M>>(
        &mut self,
        machine: &mut M,
        session: &mut S,
    ) -> io::Result<()> {
        let Some(tls) = self.tls else {
            return Err(io::Error::other("STARTTLS without a certificate"));
        };
        let plain = std::mem::replace(&mut self.stream, placeholder_stream());
        let (stream, info) = handshake(tls, plain).await?;
        self.stream = stream;
        machine.tls_established();
        session.tls_started(&info);
        Ok(())
    }

    async fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        timeout(WRITE_TIMEOUT, self.stream.write_all(bytes))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "write timed out"))?
    }

    async fn flush(&mut self) -> io::Result<()> {
        timeout(WRITE_TIMEOUT, self.stream.flush())
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "flush timed out"))?
    }
}

/// Stands in for the stream while it is being wrapped (TLS, DEFLATE).
fn placeholder_stream() -> BoxStream {
    Box::new(tokio::io::join(tokio::io::empty(), tokio::io::sink()))
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A deadline for the disabled timer branch of `select!` (never awaited).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(86_400 * 365)
}

#[cfg(test)]
mod tests;
