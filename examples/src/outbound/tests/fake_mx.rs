//! A fake remote MTA for the transport's tests: smtp-proto's server machine on a
//! loopback TCP listener, with scripted answers (per recipient, after the data), an
//! optional self-signed certificate for STARTTLS, optional AUTH, and a record of what
//! each session saw.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rustls::ServerConfig;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use smtp_proto::server::{Config, Event, Extensions, Server};
use smtp_proto::tokio::{Handler, Outcome, drive};
use smtp_proto::types::{EnhancedCode, MailFrom, RcptTo, Reply};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_rustls::TlsAcceptor;

/// A self-signed certificate for `names`, as (PEM text, rustls server config).
pub(super) fn self_signed(names: &[&str]) -> (String, Arc<ServerConfig>) {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let generated = rcgen::generate_simple_self_signed(names).expect("generate certificate");
    let cert = CertificateDer::from(generated.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(
        generated.signing_key.serialize_der(),
    ));
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_no_client_auth()
        .with_single_cert(vec![cert], key)
        .expect("server certificate");
    (generated.cert.pem(), Arc::new(config))
}

/// How the fake server behaves.
#[derive(Clone)]
pub(super) struct Script {
    /// The name in the greeting and EHLO reply.
    pub(super) hostname: String,
    /// Extensions offered (STARTTLS is added when `tls` is set).
    pub(super) extensions: Extensions,
    /// The SIZE limit announced.
    pub(super) max_size: u64,
    /// Replies for given recipients (lower-case address); others are accepted.
    pub(super) rcpt_replies: HashMap<String, Reply<'static>>,
    /// The reply after the data.
    pub(super) data_reply: Reply<'static>,
    /// Offer STARTTLS with this configuration.
    pub(super) tls: Option<Arc<ServerConfig>>,
    /// After the 220 to STARTTLS, send garbage instead of doing the handshake.
    pub(super) broken_tls: bool,
    /// Offer these SASL mechanisms and require AUTH with this user and password.
    pub(super) auth: Option<(Vec<String>, String, String)>,
}

impl Script {
    /// Accepts everything, offers PIPELINING, SIZE, 8BITMIME, SMTPUTF8 (no DSN).
    pub(super) fn new(hostname: &str) -> Self {
        Self {
            hostname: hostname.to_owned(),
            extensions: Extensions::default(),
            max_size: 10 * 1024 * 1024,
            rcpt_replies: HashMap::new(),
            data_reply: reply(250, (2, 0, 0), "Ok: queued as FAKE"),
            tls: None,
            broken_tls: false,
            auth: None,
        }
    }

    /// Answers RCPT for `address` with `reply`.
    pub(super) fn rcpt(mut self, address: &str, reply: Reply<'static>) -> Self {
        self.rcpt_replies
            .insert(address.to_ascii_lowercase(), reply);
        self
    }
}

/// A reply with an enhanced code.
pub(super) fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply<'static> {
    let (class, subject, detail) = enhanced;
    Reply::new(
        code,
        Some(EnhancedCode::new(class, subject, detail)),
        text.to_owned(),
    )
}

/// One message as the fake server received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Received {
    /// MAIL FROM with its parameters.
    pub(super) mail: MailFrom<'static>,
    /// The RCPT commands, accepted or not.
    pub(super) rcpts: Vec<RcptTo<'static>>,
    /// The body, un-dot-stuffed.
    pub(super) body: Vec<u8>,
}

/// What the fake server saw.
#[derive(Debug, Default)]
pub(super) struct Log {
    /// Connections accepted.
    pub(super) connections: usize,
    /// EHLO names given by the client.
    pub(super) ehlo: Vec<String>,
    /// Sessions in which TLS was established.
    pub(super) tls_sessions: usize,
    /// Identities that authenticated.
    pub(super) authenticated: Vec<String>,
    /// MAIL commands seen (including refused transactions).
    pub(super) mails: usize,
    /// Messages whose data was received (accepted or rejected at the end).
    pub(super) messages: Vec<Received>,
}

/// A running fake server; stops when dropped.
pub(super) struct FakeMx {
    /// Where it listens.
    pub(super) addr: SocketAddr,
    log: Arc<Mutex<Log>>,
    task: JoinHandle<()>,
}

impl FakeMx {
    /// Serves `script` on `bind` (port 0 picks a free one).
    pub(super) async fn start(bind: SocketAddr, script: Script) -> Self {
        let listener = TcpListener::bind(bind).await.expect("bind fake MX");
        let addr = listener.local_addr().expect("fake MX address");
        let log = Arc::new(Mutex::new(Log::default()));
        let shared = Arc::clone(&log);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                lock(&shared).connections += 1;
                let session = serve(stream, script.clone(), Arc::clone(&shared));
                tokio::spawn(session);
            }
        });
        Self { addr, log, task }
    }

    /// Serves `script` on a free port of 127.0.0.1.
    pub(super) async fn local(script: Script) -> Self {
        Self::start(SocketAddr::from(([127, 0, 0, 1], 0)), script).await
    }

    /// What the server saw so far.
    pub(super) fn log(&self) -> std::sync::MutexGuard<'_, Log> {
        lock(&self.log)
    }
}

impl Drop for FakeMx {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn lock(log: &Mutex<Log>) -> std::sync::MutexGuard<'_, Log> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One session: plain first, then TLS after STARTTLS.
async fn serve(stream: tokio::net::TcpStream, script: Script, log: Arc<Mutex<Log>>) {
    let mut config = Config::new(script.hostname.clone());
    config.extensions = script.extensions.clone();
    config.extensions.starttls = script.tls.is_some();
    config.limits.max_message_size = script.max_size;
    if let Some((mechanisms, _, _)) = &script.auth {
        config.auth_mechanisms.clone_from(mechanisms);
        config.require_auth = true;
    }
    let mut server = Server::new(config, Instant::now());
    let mut handler = Fake {
        script: script.clone(),
        log: Arc::clone(&log),
        current: None,
        login_user: None,
    };
    let Ok(Outcome::StartTls(mut plain)) = drive(&mut server, stream, &mut handler).await else {
        return;
    };
    if script.broken_tls {
        use tokio::io::AsyncWriteExt;
        let _ = plain.write_all(b"this is not a TLS server hello\r\n").await;
        return;
    }
    let Some(tls) = script.tls.clone() else {
        return;
    };
    let Ok(stream) = TlsAcceptor::from(tls).accept(plain).await else {
        return;
    };
    lock(&log).tls_sessions += 1;
    if server.tls_established().is_ok() {
        let _ = drive(&mut server, stream, &mut handler).await;
    }
}

/// The fake's decisions.
struct Fake {
    script: Script,
    log: Arc<Mutex<Log>>,
    current: Option<Received>,
    /// AUTH LOGIN: the user name given so far.
    login_user: Option<String>,
}

impl Fake {
    fn check_credentials(&mut self, server: &mut Server, user: &str, password: &str) {
        let Some((_, want_user, want_password)) = &self.script.auth else {
            return;
        };
        if user == want_user && password == want_password {
            lock(&self.log).authenticated.push(user.to_owned());
            let _ = server.auth_success(user);
        } else {
            let _ = server.auth_failure(reply(535, (5, 7, 8), "authentication failed"));
        }
    }

    fn on_auth(&mut self, server: &mut Server, mechanism: &str, data: Option<Vec<u8>>) {
        match (mechanism, data) {
            ("PLAIN", Some(data)) => {
                let parts: Vec<&[u8]> = data.split(|&b| b == 0).collect();
                let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
                match parts.as_slice() {
                    [_, user, password] => {
                        self.check_credentials(server, &text(user), &text(password))
                    }
                    _ => {
                        let _ = server.auth_failure(reply(501, (5, 5, 2), "bad PLAIN"));
                    }
                }
            }
            ("PLAIN", None) => {
                let _ = server.auth_challenge(b"");
            }
            ("LOGIN", None) => {
                let _ = server.auth_challenge(b"Username:");
            }
            (_, data) => {
                let _ = server.auth_failure(reply(504, (5, 5, 4), &format!("{data:?}")));
            }
        }
    }

    fn on_auth_response(&mut self, server: &mut Server, data: Vec<u8>) {
        let text = String::from_utf8_lossy(&data).into_owned();
        let login = self
            .script
            .auth
            .as_ref()
            .is_some_and(|(m, _, _)| m.iter().any(|m| m == "LOGIN"));
        match self.login_user.take() {
            None if login => {
                self.login_user = Some(text);
                let _ = server.auth_challenge(b"Password:");
            }
            Some(user) => self.check_credentials(server, &user, &text),
            None => self.on_auth(server, "PLAIN", Some(data)),
        }
    }
}

impl Handler for Fake {
    async fn on_event(&mut self, server: &mut Server, event: Event) {
        match event {
            Event::Hello { domain, .. } => lock(&self.log).ehlo.push(domain),
            Event::Mail(mail) => {
                lock(&self.log).mails += 1;
                self.current = Some(Received {
                    mail,
                    rcpts: Vec::new(),
                    body: Vec::new(),
                });
                let _ = server.accept_mail();
            }
            Event::Rcpt(rcpt) => {
                let address = rcpt.recipient.to_string().to_ascii_lowercase();
                let scripted = self.script.rcpt_replies.get(&address).cloned();
                if let Some(current) = &mut self.current {
                    current.rcpts.push(rcpt);
                }
                let _ = match scripted {
                    Some(reply) => server.reject_rcpt(reply),
                    None => server.accept_rcpt(),
                };
            }
            Event::DataChunk(bytes) => {
                if let Some(current) = &mut self.current {
                    current.body.extend_from_slice(&bytes);
                }
            }
            Event::MessageEnd { .. } => {
                if let Some(received) = self.current.take() {
                    lock(&self.log).messages.push(received);
                }
                let answer = self.script.data_reply.clone();
                let _ = if answer.is_positive() {
                    server.accept_message(answer)
                } else {
                    server.reject_message(answer)
                };
            }
            Event::Auth {
                mechanism,
                initial_response,
            } => self.on_auth(server, &mechanism, initial_response.map(|d| d.0)),
            Event::AuthResponse(data) => self.on_auth_response(server, data.0),
            _ => {}
        }
    }
}
