//! One owner per queue directory, and how admin commands reach it.
//!
//! The process that opens a queue binds `<dir>/control.sock` ([`Lock`]). The bound
//! socket is the ownership token: a second process that finds the socket answering
//! gets [`QueueError::Busy`]; a socket file nobody answers on is left over from a crash
//! and is replaced. Only the owner changes state files, so changes never race.
//!
//! `postroom queue flush|retry|delete` ([`send`]) connects to the socket and sends one
//! line (`flush`, `retry ID`, `delete ID`); the running queue applies it like its own
//! calls and answers one line (`ok ...` or `error ...`). When nobody answers, no queue
//! runs: the command opens the queue itself (taking the lock for its duration) and
//! applies the change to the files directly.

use std::io;
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tracing::{debug, warn};

use super::store::Store;
use super::{Queue, QueueConfig, QueueError, QueueId};

/// How long a control exchange may take.
const EXCHANGE_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest request line.
const MAX_LINE: u64 = 256;

/// The bound control socket of the process that owns a queue directory.
pub(crate) struct Lock {
    path: PathBuf,
    listener: Mutex<Option<UnixListener>>,
}

impl Lock {
    /// Takes ownership of the queue in `store`, or says who has it.
    pub(crate) fn acquire(store: &Store) -> Result<Self, QueueError> {
        let path = store.socket_path();
        let io_error = |e| QueueError::io(format!("binding {}", path.display()), e);
        // A few tries: an admin command may hold the queue for a moment.
        for attempt in 0..20 {
            match UnixListener::bind(&path) {
                Ok(listener) => {
                    return Ok(Self {
                        path,
                        listener: Mutex::new(Some(listener)),
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::AddrInUse => {}
                Err(e) => return Err(io_error(e)),
            }
            match UnixStream::connect(&path) {
                Ok(_) if attempt < 19 => std::thread::sleep(Duration::from_millis(100)),
                Ok(_) => break,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
                    ) =>
                {
                    debug!("removing the stale control socket {}", path.display());
                    match std::fs::remove_file(&path) {
                        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(io_error(e)),
                        _ => {}
                    }
                }
                Err(e) => return Err(io_error(e)),
            }
        }
        Err(QueueError::Busy(store.root().to_owned()))
    }

    /// The listener, for the one task that serves it.
    fn take_listener(&self) -> Option<UnixListener> {
        self.listener
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .take()
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// A change asked for by an admin command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Request {
    /// Make every pending recipient due now.
    Flush,
    /// Make one message's pending recipients due now.
    Retry(QueueId),
    /// Remove a message without notifying anyone.
    Delete(QueueId),
}

impl Request {
    fn to_line(&self) -> String {
        match self {
            Self::Flush => "flush\n".to_owned(),
            Self::Retry(id) => format!("retry {id}\n"),
            Self::Delete(id) => format!("delete {id}\n"),
        }
    }

    fn parse(line: &str) -> Result<Self, QueueError> {
        let mut words = line.split_whitespace();
        let request = match (words.next(), words.next()) {
            (Some("flush"), None) => Self::Flush,
            (Some("retry"), Some(id)) => Self::Retry(QueueId::parse(id)?),
            (Some("delete"), Some(id)) => Self::Delete(QueueId::parse(id)?),
            _ => return Err(QueueError::Control(format!("unknown request {line:?}"))),
        };
        if words.next().is_some() {
            return Err(QueueError::Control(format!("unknown request {line:?}")));
        }
        Ok(request)
    }
}

impl Queue {
    /// Applies an admin request; returns a one-line summary.
    pub(crate) async fn apply(&self, request: &Request) -> Result<String, QueueError> {
        match request {
            Request::Flush => {
                let count = self.flush().await?;
                Ok(format!("{count} deferred messages are due now"))
            }
            Request::Retry(id) => {
                let count = self.retry(id).await?;
                Ok(format!("{id}: {count} recipients are due now"))
            }
            Request::Delete(id) => {
                self.delete(id).await?;
                Ok(format!("{id} deleted"))
            }
        }
    }

    /// Serves admin requests on the control socket until the task is dropped.
    pub(crate) async fn serve_control(self: Arc<Self>) {
        let Some(listener) = self.lock.take_listener() else {
            return;
        };
        let listener = match listener
            .set_nonblocking(true)
            .and_then(|()| tokio::net::UnixListener::from_std(listener))
        {
            Ok(listener) => listener,
            Err(e) => {
                warn!("queue control socket unusable, admin changes need a restart: {e}");
                return;
            }
        };
        loop {
            let stream = match listener.accept().await {
                Ok((stream, _)) => stream,
                Err(e) => {
                    warn!("queue control socket: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            };
            let queue = Arc::clone(&self);
            tokio::spawn(async move {
                if let Err(e) = tokio::time::timeout(EXCHANGE_TIMEOUT, queue.answer(stream)).await {
                    debug!("queue control request timed out: {e}");
                }
            });
        }
    }

    async fn answer(&self, stream: tokio::net::UnixStream) {
        let (reader, mut writer) = stream.into_split();
        let mut line = String::new();
        let read = BufReader::new(tokio::io::AsyncReadExt::take(reader, MAX_LINE))
            .read_line(&mut line)
            .await;
        let reply = match read {
            Ok(_) => match Request::parse(line.trim_end()) {
                Ok(request) => match self.apply(&request).await {
                    Ok(summary) => format!("ok {summary}\n"),
                    Err(e) => format!("error {e}\n"),
                },
                Err(e) => format!("error {e}\n"),
            },
            Err(e) => format!("error {e}\n"),
        };
        let _ = writer.write_all(reply.as_bytes()).await;
    }
}

/// Applies `request` to the queue in `config.dir`: through the running queue's control
/// socket, or directly when no queue runs. Returns the one-line summary.
pub(crate) async fn send(config: &QueueConfig, request: &Request) -> Result<String, QueueError> {
    let path = Store::new(&config.dir).socket_path();
    for _ in 0..3 {
        match tokio::net::UnixStream::connect(&path).await {
            Ok(stream) => {
                return tokio::time::timeout(EXCHANGE_TIMEOUT, exchange(stream, request))
                    .await
                    .map_err(|_| QueueError::Control("the queue did not answer".to_owned()))?;
            }
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionRefused | io::ErrorKind::NotFound
                ) => {}
            Err(e) => return Err(QueueError::io(format!("connecting {}", path.display()), e)),
        }
        if !config.dir.join("messages").is_dir() {
            return Err(QueueError::io(
                format!("reading {}", config.dir.display()),
                io::Error::new(io::ErrorKind::NotFound, "no queue directory"),
            ));
        }
        match Queue::open(config) {
            Ok(queue) => return queue.apply(request).await,
            // A server started meanwhile: ask it.
            Err(QueueError::Busy(_)) => {}
            Err(e) => return Err(e),
        }
    }
    Err(QueueError::Busy(config.dir.clone()))
}

async fn exchange(stream: tokio::net::UnixStream, request: &Request) -> Result<String, QueueError> {
    let control = |e: io::Error| QueueError::Control(e.to_string());
    let (reader, mut writer) = stream.into_split();
    writer
        .write_all(request.to_line().as_bytes())
        .await
        .map_err(control)?;
    let mut line = String::new();
    BufReader::new(tokio::io::AsyncReadExt::take(reader, 4096))
        .read_line(&mut line)
        .await
        .map_err(control)?;
    let line = line.trim_end();
    if let Some(summary) = line.strip_prefix("ok ") {
        Ok(summary.to_owned())
    } else if let Some(error) = line.strip_prefix("error ") {
        Err(QueueError::Control(error.to_owned()))
    } else {
        Err(QueueError::Control(format!("unexpected answer {line:?}")))
    }
}
