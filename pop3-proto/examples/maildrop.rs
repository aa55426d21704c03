//! A small POP3 server over a directory of `.eml` files, driving the Sans-IO
//! [`pop3_proto::server::Server`] with tokio and rustls.
//!
//! ```sh
//! cargo run -p pop3-proto --features tokio --example maildrop -- \
//!     --listen 127.0.0.1:1110 --dir DIR --user USER --password PW
//! ```
//!
//! One user, one maildrop: every `*.eml` file in DIR is a message (sorted by name; the
//! file name is its unique id). USER/PASS, APOP and AUTH PLAIN are accepted; STLS is
//! offered with a self-signed certificate made at start-up. Plaintext login is allowed
//! without TLS only for clients on loopback. Deletions are committed in UPDATE by
//! removing the files. A `.pop3.lock` file in DIR is the maildrop lock.
//!
//! Tests include this file as a module and call [`spawn`].
#![allow(dead_code)]

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use clap::Parser;
use pop3_proto::server::{Config, Event, MessageInfo, Output, Server};
use pop3_proto::types::{ResponseCode, SaslData, Status};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;

/// Command-line options.
#[derive(Debug, Clone, Parser)]
#[command(about = "POP3 server over a directory of .eml files")]
pub struct Options {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:1110")]
    pub listen: SocketAddr,
    /// Directory holding the .eml files.
    #[arg(long)]
    pub dir: PathBuf,
    /// The one user name.
    #[arg(long)]
    pub user: String,
    /// Its password (also the APOP secret).
    #[arg(long)]
    pub password: String,
}

/// A running server, for tests.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The self-signed certificate offered with STLS, PEM.
    pub cert_pem: String,
}

/// Binds `options.listen` and serves on a background thread until the process exits.
pub fn spawn(options: Options) -> io::Result<Running> {
    let std_listener = std::net::TcpListener::bind(options.listen)?;
    std_listener.set_nonblocking(true)?;
    let addr = std_listener.local_addr()?;
    let (acceptor, cert_pem) = tls_acceptor()?;
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = TcpListener::from_std(std_listener).expect("listener");
            serve(listener, Arc::new(options), acceptor).await
        })
    });
    Ok(Running { addr, cert_pem })
}

/// A TLS acceptor with a fresh self-signed certificate for localhost, and its PEM.
pub fn tls_acceptor() -> io::Result<(TlsAcceptor, String)> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let certified = rcgen::generate_simple_self_signed(names).map_err(io::Error::other)?;
    let cert_pem = certified.cert.pem();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.signing_key.serialize_der().into());
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(io::Error::other)?
        .with_no_client_auth()
        .with_single_cert(vec![certified.cert.der().clone()], key)
        .map_err(io::Error::other)?;
    Ok((TlsAcceptor::from(Arc::new(config)), cert_pem))
}

/// Accepts connections forever, one task each.
pub async fn serve(listener: TcpListener, options: Arc<Options>, tls: TlsAcceptor) {
    let connections = Arc::new(AtomicU64::new(0));
    loop {
        let Ok((stream, peer)) = listener.accept().await else {
            continue;
        };
        let options = Arc::clone(&options);
        let tls = tls.clone();
        let id = connections.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            if let Err(error) = connection(stream, peer, &options, &tls, id).await {
                eprintln!("maildrop: {peer}: {error}");
            }
        });
    }
}

/// How a driving loop ended.
enum Outcome {
    StartTls,
    Closed,
}

async fn connection(
    mut stream: TcpStream,
    peer: SocketAddr,
    options: &Options,
    tls: &TlsAcceptor,
    id: u64,
) -> io::Result<()> {
    let mut config = Config::new("localhost");
    config.stls = true;
    config.allow_plaintext_without_tls = peer.ip().is_loopback();
    config.auth_mechanisms = vec!["PLAIN".into()];
    config.implementation = Some("postroom maildrop example".into());
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    config.apop_uniqueness = Some(format!("{}.{id}.{nanos}", std::process::id()));
    let mut server = Server::new(config, Instant::now());
    let mut store = Store::new(options);
    if let Outcome::StartTls = drive(&mut server, &mut stream, &mut store).await? {
        let mut stream = tls.accept(stream).await?;
        server.tls_established().map_err(io::Error::other)?;
        drive(&mut server, &mut stream, &mut store).await?;
    }
    Ok(())
}

/// Pumps bytes between `stream` and the machine and answers its events, until the
/// session ends or asks for TLS.
async fn drive<S>(server: &mut Server, stream: &mut S, store: &mut Store<'_>) -> io::Result<Outcome>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut buf = vec![0u8; 16 * 1024];
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => stream.write_all(&bytes).await?,
            Output::Event(Event::StartTls) => {
                stream.flush().await?;
                return Ok(Outcome::StartTls);
            }
            Output::Event(Event::Closed(_)) => {
                stream.flush().await?;
                return Ok(Outcome::Closed);
            }
            Output::Event(event) => answer(server, stream, store, event).await?,
            Output::NeedInput => {
                stream.flush().await?;
                let read = match server.poll_timeout() {
                    Some(at) => {
                        let at = tokio::time::Instant::from_std(at);
                        tokio::time::timeout_at(at, stream.read(&mut buf))
                            .await
                            .ok()
                    }
                    None => Some(stream.read(&mut buf).await),
                };
                server.handle_timeout(Instant::now());
                match read {
                    Some(Ok(0)) => return Ok(Outcome::Closed),
                    Some(Ok(n)) => server.handle_input(&buf[..n]),
                    Some(Err(e)) => return Err(e),
                    None => {} // timed out: handle_timeout above closed the session
                }
            }
        }
    }
}

async fn answer<S>(
    server: &mut Server,
    stream: &mut S,
    store: &mut Store<'_>,
    event: Event,
) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let invalid = || Status::with_code(ResponseCode::Auth, "invalid credentials");
    let options = store.options;
    let result = match event {
        Event::Login { user, password } => {
            if user == options.user && password.expose() == options.password.as_bytes() {
                server.accept_login()
            } else {
                server.reject_login(invalid())
            }
        }
        Event::Apop {
            user,
            timestamp,
            digest,
        } => {
            if user == options.user && digest.verify(&timestamp, options.password.as_bytes()) {
                server.accept_login()
            } else {
                server.reject_login(invalid())
            }
        }
        Event::Auth {
            initial_response: None,
            ..
        } => server.auth_challenge(b""),
        Event::Auth {
            initial_response: Some(data),
            ..
        }
        | Event::AuthResponse(data) => match plain_identity(&data, options) {
            Some(user) => server.auth_success(user),
            None => server.auth_failure(invalid()),
        },
        Event::OpenMaildrop { .. } => match store.open() {
            Ok(Some(listing)) => server.maildrop_ready(listing),
            Ok(None) => server.maildrop_in_use(),
            Err(e) => server.maildrop_failed(Status::with_code(
                ResponseCode::SysTemp,
                format!("cannot open maildrop: {e}"),
            )),
        },
        Event::Retrieve { msg, .. } => {
            return stream_message(server, stream, store, msg.get() as usize - 1).await;
        }
        Event::Update { deleted } => {
            let indexes: Vec<usize> = deleted.iter().map(|n| n.get() as usize - 1).collect();
            if store.delete(&indexes) {
                server.update_complete()
            } else {
                server.update_failed()
            }
        }
        _ => Ok(()),
    };
    result.map_err(io::Error::other)
}

/// Streams a message file in chunks, writing each transmit before reading on.
async fn stream_message<S>(
    server: &mut Server,
    stream: &mut S,
    store: &Store<'_>,
    index: usize,
) -> io::Result<()>
where
    S: AsyncWrite + Unpin,
{
    let Some(path) = store.files.get(index) else {
        return server
            .message_unavailable(Status::with_code(ResponseCode::SysPerm, "no such file"))
            .map_err(io::Error::other);
    };
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => {
            let status = Status::with_code(ResponseCode::SysTemp, format!("cannot read: {e}"));
            return server.message_unavailable(status).map_err(io::Error::other);
        }
    };
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        let more = server.message_chunk(&buf[..n]).map_err(io::Error::other)?;
        while let Output::Transmit(bytes) = server.poll_output() {
            stream.write_all(&bytes).await?;
        }
        if !more {
            break;
        }
    }
    server.message_end().map_err(io::Error::other)
}

/// The user of a valid SASL PLAIN response (`authzid NUL authcid NUL password`).
fn plain_identity(data: &SaslData, options: &Options) -> Option<String> {
    let mut parts = data.expose().split(|&b| b == 0);
    let (authz, authc, password) = (parts.next()?, parts.next()?, parts.next()?);
    let ok = parts.next().is_none()
        && (authz.is_empty() || authz == authc)
        && authc == options.user.as_bytes()
        && password == options.password.as_bytes();
    ok.then(|| options.user.clone())
}

/// The maildrop directory, its lock and the files of the listing.
struct Store<'a> {
    options: &'a Options,
    files: Vec<PathBuf>,
    locked: bool,
}

impl<'a> Store<'a> {
    fn new(options: &'a Options) -> Self {
        Self {
            options,
            files: Vec::new(),
            locked: false,
        }
    }

    fn lock_path(&self) -> PathBuf {
        self.options.dir.join(".pop3.lock")
    }

    /// Locks the maildrop and lists it; `None` if another session holds the lock.
    fn open(&mut self) -> io::Result<Option<Vec<MessageInfo>>> {
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(self.lock_path())
        {
            Ok(_) => self.locked = true,
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut files: Vec<PathBuf> = std::fs::read_dir(&self.options.dir)?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "eml"))
            .collect();
        files.sort();
        let mut listing = Vec::with_capacity(files.len());
        for path in &files {
            listing.push(MessageInfo::new(wire_size(path)?, unique_id(path)));
        }
        self.files = files;
        Ok(Some(listing))
    }

    /// Removes the files at `indexes`; false if any removal failed.
    fn delete(&mut self, indexes: &[usize]) -> bool {
        let mut ok = true;
        for &i in indexes {
            if let Some(path) = self.files.get(i) {
                ok &= std::fs::remove_file(path).is_ok();
            }
        }
        ok
    }
}

impl Drop for Store<'_> {
    fn drop(&mut self) {
        if self.locked {
            let _ = std::fs::remove_file(self.lock_path());
        }
    }
}

/// The size a message has on the wire: bare LFs count as CRLF, and a missing final line
/// ending is not counted (the server adds it).
fn wire_size(path: &Path) -> io::Result<u64> {
    let bytes = std::fs::read(path)?;
    let bare_lf = bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
        .count();
    Ok((bytes.len() + bare_lf) as u64)
}

/// The file name as unique id, restricted to 0x21..=0x7E and 70 characters.
fn unique_id(path: &Path) -> String {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut id: String = name
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '_' })
        .take(70)
        .collect();
    if id.is_empty() {
        id.push('_');
    }
    id
}

fn main() -> io::Result<()> {
    let options = Options::parse();
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(options.listen).await?;
        eprintln!(
            "maildrop: serving {} on {}",
            options.dir.display(),
            listener.local_addr()?
        );
        let (tls, _) = tls_acceptor()?;
        serve(listener, Arc::new(options), tls).await;
        Ok(())
    })
}
