//! One connection driven by one of our Sans-IO client machines: bytes between a socket
//! (TCP or Unix) and the machine, events handed to the protocol module one at a time.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Instant;

use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};

use super::LoadError;

/// Where a server listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A TCP address.
    Tcp(SocketAddr),
    /// A Unix socket path.
    Unix(PathBuf),
}

impl std::str::FromStr for Target {
    type Err = String;

    /// `HOST:PORT` or `unix:/path`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.strip_prefix("unix:") {
            Some(path) if !path.is_empty() => Ok(Self::Unix(path.into())),
            Some(_) => Err("unix: needs a path".to_owned()),
            None => s
                .parse()
                .map(Self::Tcp)
                .map_err(|e| format!("{s}: {e} (expected HOST:PORT or unix:/path)")),
        }
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Tcp(addr) => write!(f, "{addr}"),
            Self::Unix(path) => write!(f, "unix:{}", path.display()),
        }
    }
}

/// An open socket.
#[derive(Debug)]
enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    async fn connect(target: &Target) -> std::io::Result<Self> {
        match target {
            Target::Tcp(addr) => {
                let tcp = TcpStream::connect(addr).await?;
                tcp.set_nodelay(true)?;
                Ok(Self::Tcp(tcp))
            }
            Target::Unix(path) => Ok(Self::Unix(UnixStream::connect(path).await?)),
        }
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Self::Tcp(s) => s.read(buf).await,
            Self::Unix(s) => s.read(buf).await,
        }
    }

    async fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Self::Tcp(s) => s.write_all(bytes).await,
            Self::Unix(s) => s.write_all(bytes).await,
        }
    }
}

/// One step of a machine's output.
#[derive(Debug)]
pub enum Step<E> {
    /// Bytes to write.
    Send(Bytes),
    /// An event for the protocol module.
    Event(E),
    /// Nothing until more input.
    Wait,
}

/// The driving contract every client machine of the workspace shares.
pub trait Machine {
    /// The machine's event type.
    type Event;
    /// `handle_input`.
    fn feed(&mut self, bytes: &[u8]);
    /// `handle_timeout`.
    fn tick(&mut self, now: Instant);
    /// `poll_timeout`.
    fn deadline(&self) -> Option<Instant>;
    /// `poll_output`.
    fn step(&mut self) -> Step<Self::Event>;
    /// Whether `event` reports the end of the session.
    fn is_closed(event: &Self::Event) -> bool;
}

/// The three clients share the driving contract (DESIGN.md), so one impl shape fits all.
macro_rules! impl_machine {
    ($($client:ident),+) => {$(
        impl Machine for $client::client::Client {
            type Event = $client::client::Event;
            fn feed(&mut self, bytes: &[u8]) {
                self.handle_input(bytes);
            }
            fn tick(&mut self, now: Instant) {
                self.handle_timeout(now);
            }
            fn deadline(&self) -> Option<Instant> {
                self.poll_timeout()
            }
            fn step(&mut self) -> Step<Self::Event> {
                use $client::client::Output;
                match self.poll_output() {
                    Output::Transmit(b) => Step::Send(b),
                    Output::Event(e) => Step::Event(e),
                    Output::NeedInput => Step::Wait,
                }
            }
            fn is_closed(event: &Self::Event) -> bool {
                matches!(event, $client::client::Event::Closed)
            }
        }
    )+};
}

impl_machine!(smtp_proto, imap_proto, pop3_proto);

/// Bytes read per `read` call.
const READ_SIZE: usize = 16 * 1024;

/// A socket and the machine that speaks over it.
#[derive(Debug)]
pub struct Conn<M> {
    stream: Stream,
    /// The machine; call its methods, then [`Conn::event`] to run it.
    pub machine: M,
    out: Vec<u8>,
    buf: Vec<u8>,
}

impl<M: Machine> Conn<M> {
    /// Connects to `target` and hands the socket to `machine`.
    pub async fn open(target: &Target, machine: M) -> Result<Self, LoadError> {
        let stream = Stream::connect(target)
            .await
            .map_err(|e| LoadError::Io(format!("connect to {target}: {e}")))?;
        Ok(Self {
            stream,
            machine,
            out: Vec::new(),
            buf: vec![0; READ_SIZE],
        })
    }

    /// The machine's next event: writes what it transmits (merged, before any read) and
    /// reads from the socket while it needs input.
    pub async fn event(&mut self) -> Result<M::Event, LoadError> {
        loop {
            match self.machine.step() {
                Step::Send(bytes) => self.out.extend_from_slice(&bytes),
                Step::Event(event) => return Ok(event),
                Step::Wait => {
                    self.flush().await?;
                    self.read().await?;
                }
            }
        }
    }

    /// Runs the machine until the session ends (after QUIT), ignoring other events.
    pub async fn until_closed(&mut self) -> Result<(), LoadError> {
        while !M::is_closed(&self.event().await?) {}
        Ok(())
    }

    /// Writes what the machine has transmitted so far.
    async fn flush(&mut self) -> Result<(), LoadError> {
        if !self.out.is_empty() {
            self.stream
                .write_all(&self.out)
                .await
                .map_err(|e| LoadError::Io(format!("write: {e}")))?;
            self.out.clear();
        }
        Ok(())
    }

    /// Reads once (or lets the machine's timer fire) and feeds the machine.
    async fn read(&mut self) -> Result<(), LoadError> {
        let now = Instant::now();
        let read = match self.machine.deadline() {
            Some(at) if at <= now => {
                self.machine.tick(now);
                return Ok(());
            }
            Some(at) => {
                match tokio::time::timeout_at(at.into(), self.stream.read(&mut self.buf)).await {
                    Ok(read) => read,
                    Err(_) => {
                        self.machine.tick(Instant::now());
                        return Ok(());
                    }
                }
            }
            None => self.stream.read(&mut self.buf).await,
        };
        let n = read.map_err(|e| LoadError::Io(format!("read: {e}")))?;
        if n == 0 {
            return Err(LoadError::Closed);
        }
        self.machine.tick(Instant::now());
        self.machine.feed(&self.buf[..n]);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse() {
        assert_eq!(
            "127.0.0.1:25".parse::<Target>(),
            Ok(Target::Tcp(SocketAddr::from(([127, 0, 0, 1], 25))))
        );
        assert_eq!(
            "unix:/run/lmtp".parse::<Target>(),
            Ok(Target::Unix("/run/lmtp".into()))
        );
        assert!("unix:".parse::<Target>().is_err());
        assert!("localhost".parse::<Target>().is_err());
        assert_eq!(Target::Unix("/x".into()).to_string(), "unix:/x");
    }
}
