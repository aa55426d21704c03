//! A mail sink: accepts mail for anyone and writes each message to a directory.
//!
//! ```text
//! cargo run -p smtp-proto --features tokio --example sink -- --listen 127.0.0.1:2525 --out DIR
//! swaks --pipe 'target/debug/examples/sink --stdio --out DIR' --to someone@example.org
//! ```
//!
//! Each message is stored as `DIR/<n>.eml`, byte for byte as received (after un-dot-
//! stuffing), with a `Received:` header prepended. It is written to a temporary file,
//! fsync'd and renamed before the `250` reply. STARTTLS uses `--tls-cert`/`--tls-key`
//! (PEM files) or a self-signed certificate generated at start. One line per message is
//! logged to stderr. `lmtp-proto`'s `lmtp-sink` example runs this same code in LMTP mode.
#![allow(clippy::print_stderr)]

use std::io;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use smtp_proto::server::{Config, Event, HelloKind, Mode, Server};
use smtp_proto::tokio::{Handler, Outcome, drive};
use smtp_proto::types::{Address, EnhancedCode, Reply};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// What every session of the sink shares.
pub struct Sink {
    config: Config,
    out: PathBuf,
    tls: TlsAcceptor,
    next_id: AtomicU64,
}

impl Sink {
    /// A sink writing to `out`, created if needed (numbering after the highest `<n>.eml`
    /// already there).
    /// STARTTLS and DSN are turned on in `config`.
    pub fn new(mut config: Config, out: PathBuf, tls: TlsAcceptor) -> io::Result<Arc<Self>> {
        config.extensions.starttls = true;
        config.extensions.dsn = true;
        config.extensions.binary_mime = false;
        std::fs::create_dir_all(&out)?;
        let last = std::fs::read_dir(&out)?
            .filter_map(|e| {
                e.ok()?
                    .file_name()
                    .to_str()?
                    .strip_suffix(".eml")?
                    .parse()
                    .ok()
            })
            .max()
            .unwrap_or(0);
        let next_id = AtomicU64::new(last + 1);
        Ok(Arc::new(Self {
            config,
            out,
            tls,
            next_id,
        }))
    }

    /// Accepts connections forever, one task per session.
    pub async fn serve(self: Arc<Self>, listener: TcpListener) -> io::Result<()> {
        loop {
            let (stream, peer) = listener.accept().await?;
            let sink = Arc::clone(&self);
            tokio::spawn(async move {
                if let Err(e) = sink.session(stream, Some(peer)).await {
                    eprintln!("sink: session with {peer}: {e}");
                }
            });
        }
    }

    /// Runs one session over `stream`, with STARTTLS when the client asks for it.
    pub async fn session<S>(&self, stream: S, peer: Option<SocketAddr>) -> Result<(), Error>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let mut server = Server::new(self.config.clone(), Instant::now());
        let mut handler = Session {
            sink: self,
            peer,
            recipients: Vec::new(),
            message: None,
        };
        if let Outcome::StartTls(stream) = drive(&mut server, stream, &mut handler).await? {
            let stream = self.tls.accept(stream).await?;
            server.tls_established()?;
            drive(&mut server, stream, &mut handler).await?;
        }
        handler.discard().await;
        Ok(())
    }
}

/// One connection's state: the accepted recipients and the message being written.
struct Session<'a> {
    sink: &'a Sink,
    peer: Option<SocketAddr>,
    recipients: Vec<String>,
    message: Option<Message>,
}

/// A message being written to its temporary file; `file` is `None` after a write error.
struct Message {
    id: u64,
    temp: PathBuf,
    file: Option<tokio::fs::File>,
    size: usize,
}

impl Handler for Session<'_> {
    async fn on_event(&mut self, server: &mut Server, event: Event) {
        let answered = match event {
            Event::Mail(_) => server.accept_mail(),
            Event::Rcpt(rcpt) => {
                self.recipients.push(rcpt.recipient.to_string());
                server.accept_rcpt()
            }
            Event::DataStart { .. } => {
                self.start(server).await;
                Ok(())
            }
            Event::DataChunk(bytes) => {
                self.write(&bytes).await;
                Ok(())
            }
            Event::MessageEnd { recipients } => {
                let saved = self.finish().await;
                if server.config().mode == Mode::Lmtp {
                    recipients.iter().try_for_each(|rcpt| {
                        server.recipient_reply(saved_reply(&saved, Some(rcpt)))
                    })
                } else {
                    server.accept_message(saved_reply(&saved, None))
                }
            }
            Event::MessageRejected(_) | Event::Reset | Event::Closed(_) => {
                self.discard().await;
                Ok(())
            }
            _ => Ok(()),
        };
        answered.expect("the server waits for exactly this decision");
    }
}

impl Session<'_> {
    /// Opens the temporary file and writes the Received header.
    async fn start(&mut self, server: &Server) {
        let id = self.sink.next_id.fetch_add(1, Ordering::Relaxed);
        let temp = self.sink.out.join(format!(".{id}.eml.tmp"));
        let header = self.received(server, id);
        let file = match tokio::fs::File::create(&temp).await {
            Ok(mut file) => file
                .write_all(header.as_bytes())
                .await
                .is_ok()
                .then_some(file),
            Err(_) => None,
        };
        self.message = Some(Message {
            id,
            temp,
            file,
            size: 0,
        });
    }

    async fn write(&mut self, bytes: &[u8]) {
        let Some(message) = &mut self.message else {
            return;
        };
        message.size += bytes.len();
        if let Some(file) = &mut message.file
            && file.write_all(bytes).await.is_err()
        {
            message.file = None;
        }
    }

    /// Flushes, fsyncs and renames the message into place; returns its file name.
    async fn finish(&mut self) -> io::Result<String> {
        let message = self
            .message
            .take()
            .ok_or_else(|| io::Error::other("no message"))?;
        let recipients = std::mem::take(&mut self.recipients);
        let Some(mut file) = message.file else {
            let _ = tokio::fs::remove_file(&message.temp).await;
            return Err(io::Error::other("write failed"));
        };
        let name = format!("{}.eml", message.id);
        file.flush().await?;
        file.sync_all().await?;
        tokio::fs::rename(&message.temp, self.sink.out.join(&name)).await?;
        tokio::fs::File::open(&self.sink.out)
            .await?
            .sync_all()
            .await?;
        let peer = self
            .peer
            .map_or_else(|| "stdio".to_owned(), |p| p.to_string());
        eprintln!(
            "sink: {name} {} octets, {} recipient(s), from {peer}",
            message.size,
            recipients.len()
        );
        Ok(name)
    }

    /// Drops the transaction and any half-written message.
    async fn discard(&mut self) {
        self.recipients.clear();
        if let Some(message) = self.message.take() {
            drop(message.file);
            let _ = tokio::fs::remove_file(&message.temp).await;
        }
    }

    /// The trace header of RFC 5321 section 4.4 (`for` only with a single recipient).
    fn received(&self, server: &Server, id: u64) -> String {
        let helo = server.hello_domain().unwrap_or("unknown");
        let tcp_info = match self.peer {
            Some(SocketAddr::V4(a)) => format!(" ([{}])", a.ip()),
            Some(SocketAddr::V6(a)) => format!(" ([IPv6:{}])", a.ip()),
            None => String::new(),
        };
        let (lmtp, tls) = (server.config().mode == Mode::Lmtp, server.is_tls());
        let with = match (lmtp, server.hello_kind(), tls) {
            (true, _, false) => "LMTP",
            (true, _, true) => "LMTPS",
            (false, Some(HelloKind::Helo), _) => "SMTP",
            (false, _, false) => "ESMTP",
            (false, _, true) => "ESMTPS",
        };
        let host = &server.config().hostname;
        let rcpt = match &self.recipients[..] {
            [one] => format!("\r\n\tfor <{one}>"),
            _ => String::new(),
        };
        let date = rfc5322_date(SystemTime::now());
        format!(
            "Received: from {helo}{tcp_info}\r\n\tby {host} with {with} id {id}{rcpt};\r\n\t{date}\r\n"
        )
    }
}

/// The end-of-data reply: for one LMTP recipient (`rcpt`), or the SMTP one.
fn saved_reply(saved: &io::Result<String>, rcpt: Option<&Address<'_>>) -> Reply<'static> {
    let rcpt = rcpt.map_or_else(String::new, |r| format!("<{r}> "));
    match saved {
        Ok(name) => Reply::new(
            250,
            Some(EnhancedCode::new(2, 0, 0)),
            format!("{rcpt}Ok: saved as {name}"),
        ),
        Err(e) => Reply::new(
            451,
            Some(EnhancedCode::new(4, 3, 0)),
            format!("{rcpt}Error: cannot save: {e}"),
        ),
    }
}

/// `Thu, 26 Nov 2026 22:31:48 +0000` (UTC).
fn rfc5322_date(time: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = secs / 86_400;
    // Civil date from days since 1970-01-01 (proleptic Gregorian, eras of 400 years).
    let z = days + 719_468;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = era * 400 + yoe + u64::from(month <= 2);
    let (h, m, s) = (secs / 3600 % 24, secs / 60 % 60, secs % 60);
    let weekday = DAYS[(days % 7) as usize];
    let month = MONTHS[(month - 1) as usize];
    format!("{weekday}, {day} {month} {year} {h:02}:{m:02}:{s:02} +0000")
}

/// A TLS acceptor from PEM files, or with a self-signed certificate for `hostname`.
pub fn tls_acceptor(files: Option<(&Path, &Path)>, hostname: &str) -> Result<TlsAcceptor, Error> {
    let (certs, key) = match files {
        Some((cert, key)) => (
            CertificateDer::pem_file_iter(cert)?.collect::<Result<Vec<_>, _>>()?,
            PrivateKeyDer::from_pem_file(key)?,
        ),
        None => {
            let names = vec![hostname.to_owned(), "localhost".to_owned()];
            let generated = rcgen::generate_simple_self_signed(names)?;
            let key = PrivateKeyDer::Pkcs8(generated.signing_key.serialize_der().into());
            (vec![generated.cert.der().clone()], key)
        }
    };
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(certs, key)?;
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Command-line options.
struct Args {
    listen: String,
    out: Option<PathBuf>,
    stdio: bool,
    tls_files: (Option<PathBuf>, Option<PathBuf>),
    hostname: String,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        listen: "127.0.0.1:2525".to_owned(),
        out: None,
        stdio: false,
        tls_files: (None, None),
        hostname: gethostname::gethostname().to_string_lossy().into_owned(),
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = || words.next().ok_or(format!("{word} needs a value"));
        match word.as_str() {
            "--listen" => args.listen = value()?,
            "--out" => args.out = Some(value()?.into()),
            "--stdio" => args.stdio = true,
            "--tls-cert" => args.tls_files.0 = Some(value()?.into()),
            "--tls-key" => args.tls_files.1 = Some(value()?.into()),
            "--hostname" => args.hostname = value()?,
            _ => return Err(format!("unknown argument {word}")),
        }
    }
    Ok(args)
}

/// Parses the command line and runs the sink with the configuration `config` makes for
/// the host name: SMTP here, LMTP in `lmtp-sink`.
pub fn main_with(config: impl FnOnce(String) -> Config) -> Result<(), Error> {
    const USAGE: &str = "usage: sink (--listen ADDR | --stdio) --out DIR \
                         [--tls-cert PEM --tls-key PEM] [--hostname NAME]";
    let args = parse_args().map_err(|e| format!("{e}\n{USAGE}"))?;
    let out = args.out.ok_or(USAGE)?;
    let tls_files = match &args.tls_files {
        (Some(cert), Some(key)) => Some((cert.as_path(), key.as_path())),
        (None, None) => None,
        _ => return Err("--tls-cert and --tls-key go together".into()),
    };
    let tls = tls_acceptor(tls_files, &args.hostname)?;
    let sink = Sink::new(config(args.hostname), out, tls)?;
    let runtime = tokio::runtime::Runtime::new()?;
    if args.stdio {
        let stdio = tokio::io::join(tokio::io::stdin(), tokio::io::stdout());
        let result = runtime.block_on(sink.session(stdio, None));
        // Tokio's stdin read cannot be cancelled; do not wait for it.
        runtime.shutdown_background();
        return result;
    }
    runtime.block_on(async {
        let listener = TcpListener::bind(&args.listen).await?;
        eprintln!("sink: listening on {}", listener.local_addr()?);
        sink.serve(listener).await?;
        Ok(())
    })
}

#[allow(dead_code)]
fn main() -> Result<(), Error> {
    main_with(Config::new)
}
