//! Delivering the messages of one destination domain: the hops in order, each address
//! of each host until one answers, one connection for all the messages (up to the
//! per-connection limit), and one outcome per recipient.

use std::borrow::Cow;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::time::Instant;

use smtp_proto::client::{ClientError, Config, Envelope, Event, Transfer};
use smtp_proto::types::{
    Address, Body, Capability, EhloReply, MailFrom, MailParams, Orcpt, RcptParams, RcptTo,
};
use tokio::fs::File;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tracing::{debug, info, warn};

use super::SmtpTransport;
use super::job::{OutboundMessage, Outcome, Progress, Status};
use super::outcome::{Failure, refusal, reply_line, transaction_outcomes};
use super::route::{self, Credentials, Hop, Security};
use super::session::{Io, Peer, Session, SessionError, StartTls};
use super::tls::server_name;
use crate::logging::sanitize;

/// Bytes of the body read from the queue file at a time.
const BODY_CHUNK: usize = 64 * 1024;

/// Why a host (one address of it) could not take the pending messages.
enum HostError {
    /// Try the next address or host.
    Next(Failure),
    /// Stop: the failure applies to every pending message (mail loops back to us).
    Final(Failure),
}

/// Why one message could not be sent over a session.
enum SendError {
    /// The session broke; the message stays pending.
    Session(SessionError),
    /// The queue file could not be read in the middle of the data; the connection is
    /// abandoned so the peer discards the partial message.
    Body(io::Error),
}

impl From<SessionError> for SendError {
    fn from(error: SessionError) -> Self {
        Self::Session(error)
    }
}

impl SmtpTransport {
    /// Delivers `messages` for `domain`; see [`super::Transport::deliver`].
    pub(super) async fn deliver_domain(
        &self,
        domain: &str,
        messages: &[OutboundMessage<'_>],
        progress: Progress,
    ) {
        let mut work = Work::new(messages, progress);
        if !work.pending().is_empty()
            && let Err(failure) = self.try_hops(domain, &mut work).await
        {
            work.fail_pending(&failure);
        }
    }

    /// Tries the hops for `domain` until nothing is pending; the `Err` applies to what
    /// is still pending.
    async fn try_hops(&self, domain: &str, work: &mut Work<'_>) -> Result<(), Failure> {
        let hops = route::plan(&self.config, &self.dns, domain).await?;
        let best = hops.first().map(|hop| hop.preference);
        let mut tried = Tried::default();
        for hop in &hops {
            let ips = match route::addresses(&self.dns, hop).await {
                Ok(ips) => ips,
                Err(failure) => {
                    debug!("no address for {}: {}", hop.host, failure.diagnostic);
                    tried.record(failure);
                    continue;
                }
            };
            if self.is_myself(hop, &ips) {
                if hop.configured || Some(hop.preference) == best {
                    return Err(loops_back(domain, &hop.host));
                }
                // We are a backup MX: the better hosts failed, the others are no better.
                break;
            }
            for ip in ips {
                match self
                    .deliver_to(domain, hop, SocketAddr::new(ip, hop.port), work)
                    .await
                {
                    Ok(()) => return Ok(()),
                    Err(HostError::Next(failure)) => {
                        debug!("{domain}: {}", failure.diagnostic);
                        tried.record(failure);
                    }
                    Err(HostError::Final(failure)) => return Err(failure),
                }
            }
        }
        Err(tried.conclusion(domain))
    }

    fn is_myself(&self, hop: &Hop, ips: &[IpAddr]) -> bool {
        self.myself.is_name(&hop.host)
            || ips
                .iter()
                .any(|&ip| self.myself.is_address(SocketAddr::new(ip, hop.port)))
    }

    /// Sends every pending message to `addr`, reconnecting after the per-connection
    /// limit and after a broken connection that made progress.
    async fn deliver_to(
        &self,
        domain: &str,
        hop: &Hop,
        addr: SocketAddr,
        work: &mut Work<'_>,
    ) -> Result<(), HostError> {
        let mut starttls = true;
        loop {
            let before = work.pending().len();
            if before == 0 {
                return Ok(());
            }
            let session = self.open(domain, hop, addr, &mut starttls).await?;
            if let Err(failure) = self.run(session, work).await
                && work.pending().len() == before
            {
                return Err(HostError::Next(failure));
            }
        }
    }

    /// Connects, greets, secures and authenticates as the hop requires. `starttls`
    /// turns false when an opportunistic handshake failed: the retry is in plain text.
    async fn open(
        &self,
        domain: &str,
        hop: &Hop,
        addr: SocketAddr,
        starttls: &mut bool,
    ) -> Result<Session, HostError> {
        loop {
            let peer = Peer {
                host: hop.host.clone(),
                addr,
            };
            let remote = peer.to_string();
            let io = self.connect(hop, &peer).await.map_err(HostError::Next)?;
            let mut session = Session::new(io, peer, self.client_config(), self.stall());
            let hello = session.ready().await.map_err(|e| {
                HostError::Next(session_failure(&remote, &e, "reading the greeting"))
            })?;
            self.check_loop(domain, &remote, &hello)?;
            let offers_tls = hello.has(&Capability::StartTls);
            let session = match hop.security {
                Security::Opportunistic if *starttls && offers_tls => {
                    match self.start_tls(domain, session, false).await {
                        Ok(StartTls::Established(session)) => session,
                        Ok(StartTls::Refused(session, reply)) => {
                            let reply = reply_line(&reply);
                            info!("{remote} refused STARTTLS ({reply}); going on without TLS");
                            session
                        }
                        Err(HostError::Next(failure)) => {
                            warn!("{}; trying {remote} again without TLS", failure.diagnostic);
                            *starttls = false;
                            continue;
                        }
                        Err(error) => return Err(error),
                    }
                }
                Security::Required { verify } => {
                    let refused = |why: String| {
                        let reason = format!("TLS is required, but host {remote} {why}");
                        HostError::Next(
                            Failure::local(Status::Deferred, "4.7.4", reason).at(&remote),
                        )
                    };
                    if !offers_tls {
                        return Err(refused("does not offer STARTTLS".to_owned()));
                    }
                    match self.start_tls(domain, session, verify).await? {
                        StartTls::Established(session) => session,
                        StartTls::Refused(_, reply) => {
                            return Err(refused(format!("refused it: {}", reply_line(&reply))));
                        }
                    }
                }
                Security::Plain | Security::Opportunistic | Security::Implicit { .. } => session,
            };
            let mut session = session;
            if let Some(credentials) = &hop.credentials {
                authenticate(&mut session, credentials).await?;
            }
            return Ok(session);
        }
    }

    /// A TCP connection, wrapped in TLS from the first byte for implicit-TLS hops.
    async fn connect(&self, hop: &Hop, peer: &Peer) -> Result<Box<dyn Io>, Failure> {
        let addr = peer.addr;
        let connecting = timeout(self.config.timeouts.connect(), TcpStream::connect(addr));
        let stream = match connecting.await {
            Ok(Ok(stream)) => stream,
            Ok(Err(e)) => return Err(connect_failure(peer, &e.to_string())),
            Err(_) => return Err(connect_failure(peer, "connection timed out")),
        };
        let _ = stream.set_nodelay(true);
        let Security::Implicit { verify } = hop.security else {
            return Ok(Box::new(stream));
        };
        let name = server_name(&hop.host, addr.ip());
        let handshake = self.tls.get(verify).connect(name, stream);
        match timeout(self.stall(), handshake).await {
            Ok(Ok(tls)) => Ok(Box::new(tls)),
            Ok(Err(e)) => Err(tls_failure(&peer.to_string(), &e.to_string())),
            Err(_) => Err(tls_failure(&peer.to_string(), "handshake timed out")),
        }
    }

    /// STARTTLS and the TLS handshake; a failed handshake is an `Err` (the caller
    /// falls back to plain text for opportunistic TLS).
    async fn start_tls(
        &self,
        domain: &str,
        session: Session,
        verify: bool,
    ) -> Result<StartTls, HostError> {
        let remote = session.peer.to_string();
        let name = server_name(&session.peer.host, session.peer.addr.ip());
        match session.start_tls(self.tls.get(verify), name).await {
            Ok(StartTls::Established(session)) => {
                if let Some(hello) = session.capabilities() {
                    self.check_loop(domain, &remote, hello)?;
                }
                debug!("TLS established with {remote}");
                Ok(StartTls::Established(session))
            }
            Ok(refused) => Ok(refused),
            Err(SessionError::Handshake(e)) => {
                Err(HostError::Next(tls_failure(&remote, &e.to_string())))
            }
            Err(e) => Err(HostError::Next(session_failure(
                &remote,
                &e,
                "starting TLS",
            ))),
        }
    }

    /// Fails at once when the peer greets us with our own name (Postfix does the same).
    fn check_loop(
        &self,
        domain: &str,
        remote: &str,
        hello: &EhloReply<'_>,
    ) -> Result<(), HostError> {
        if self.myself.is_name(&hello.domain) {
            return Err(HostError::Final(loops_back(domain, remote).at(remote)));
        }
        Ok(())
    }

    /// Sends pending messages over `session`, at most the per-connection limit, then
    /// QUIT. `Err` when the connection broke (the message in flight stays pending).
    async fn run(&self, mut session: Session, work: &mut Work<'_>) -> Result<(), Failure> {
        let remote = session.peer.to_string();
        let batch: Vec<usize> = work
            .pending()
            .into_iter()
            .take(self.config.max_messages_per_connection)
            .collect();
        for index in batch {
            match send_message(&mut session, &work.prepared[index]).await {
                Ok(outcomes) => work.finish(index, outcomes),
                Err(SendError::Session(e)) => {
                    return Err(session_failure(&remote, &e, "sending a message"));
                }
                Err(SendError::Body(e)) => {
                    let path = work.prepared[index].message.body.display().to_string();
                    let failure = Failure::local(
                        Status::Deferred,
                        "4.3.0",
                        format!("error reading queue file {path}: {e}"),
                    );
                    work.finish_all(index, &failure);
                    return Err(failure);
                }
            }
        }
        session.quit().await;
        Ok(())
    }

    fn client_config(&self) -> Config {
        let mut config = Config::smtp(self.helo_name.clone());
        config.timeouts = self.config.timeouts.client();
        config
    }

    /// Limit for a write or a handshake that makes no progress.
    fn stall(&self) -> std::time::Duration {
        self.config.timeouts.command()
    }
}

/// AUTH PLAIN (preferred) or LOGIN, over TLS only.
async fn authenticate(session: &mut Session, credentials: &Credentials) -> Result<(), HostError> {
    let remote = session.peer.to_string();
    let refuse = |reason: String| {
        HostError::Next(Failure::local(Status::Deferred, "4.7.0", reason).at(&remote))
    };
    if !session.is_tls() {
        return Err(refuse(format!(
            "not sending credentials to {remote} without TLS"
        )));
    }
    let offered: Vec<String> = session
        .capabilities()
        .map(|hello| {
            hello
                .auth_mechanisms()
                .iter()
                .map(|m| m.to_ascii_uppercase())
                .collect()
        })
        .unwrap_or_default();
    let user = credentials.username.as_bytes();
    let password = credentials.password.expose().as_bytes();
    let (started, mut responses) = if offered.iter().any(|m| m == "PLAIN") {
        let initial = [&[0][..], user, &[0], password].concat();
        (session.client().auth("PLAIN", Some(&initial)), Vec::new())
    } else if offered.iter().any(|m| m == "LOGIN") {
        let responses = vec![password.to_vec(), user.to_vec()];
        (session.client().auth("LOGIN", None), responses)
    } else {
        return Err(refuse(format!(
            "host {remote} offers neither AUTH PLAIN nor AUTH LOGIN"
        )));
    };
    started.map_err(|e| refuse(format!("AUTH with {remote}: {e}")))?;
    loop {
        let event = session
            .next_event()
            .await
            .map_err(|e| HostError::Next(session_failure(&remote, &e, "authenticating")))?;
        let answered = match event {
            Event::AuthSucceeded(_) => return Ok(()),
            Event::AuthFailed(reply) => {
                return Err(refuse(format!(
                    "SASL authentication failed; server {remote} said: {}",
                    reply_line(&reply)
                )));
            }
            Event::AuthChallenge(_) => match responses.pop() {
                Some(response) => session.client().auth_respond(&response),
                None => session.client().auth_cancel(),
            },
            other => return Err(refuse(format!("unexpected event during AUTH: {other:?}"))),
        };
        answered.map_err(|e| refuse(format!("AUTH with {remote}: {e}")))?;
    }
}

/// One message over an open session: its outcomes for the envelope's recipients.
async fn send_message(
    session: &mut Session,
    prepared: &Prepared<'_>,
) -> Result<Vec<Outcome>, SendError> {
    let remote = session.peer.to_string();
    let message = prepared.message;
    let valid = prepared.valid_count();
    let mut file = match File::open(message.body).await {
        Ok(file) => file,
        Err(e) => {
            let path = message.body.display();
            let failure = Failure::local(
                Status::Deferred,
                "4.3.0",
                format!("cannot open queue file {path}: {e}"),
            );
            return Ok(vec![failure.outcome(); valid]);
        }
    };
    let dsn = session
        .capabilities()
        .is_some_and(|hello| hello.has(&Capability::Dsn));
    let envelope = prepared.envelope(dsn);
    session
        .client()
        .send_mail(&envelope)
        .map_err(|e| SendError::Session(SessionError::Protocol(e)))?;
    loop {
        match session.next_event().await? {
            Event::MailReply(_) | Event::Recipient { .. } => {}
            Event::SendBody => send_body(session, &mut file).await?,
            Event::TransactionComplete(result) => {
                return Ok(transaction_outcomes(&remote, &result));
            }
            Event::MessageRefused(error) => {
                return Ok(vec![refusal(&remote, &error).outcome(); valid]);
            }
            other => {
                let what = format!("{other:?}");
                return Err(SendError::Session(SessionError::Unexpected(what)));
            }
        }
    }
}

/// Streams the queue file into the DATA phase, chunk by chunk.
async fn send_body(session: &mut Session, file: &mut File) -> Result<(), SendError> {
    let protocol = |e: ClientError| SendError::Session(SessionError::Protocol(e));
    let mut chunk = vec![0; BODY_CHUNK];
    loop {
        let n = file.read(&mut chunk).await.map_err(SendError::Body)?;
        if n == 0 {
            break;
        }
        session
            .client()
            .send_body_chunk(&chunk[..n])
            .map_err(protocol)?;
        session.transmit().await?;
    }
    session.client().end_body().map_err(protocol)?;
    Ok(())
}

fn connect_failure(peer: &Peer, reason: &str) -> Failure {
    Failure::local(
        Status::Deferred,
        "4.4.1",
        format!("connect to {peer}:{}: {reason}", peer.addr.port()),
    )
}

fn tls_failure(remote: &str, reason: &str) -> Failure {
    Failure::local(
        Status::Deferred,
        "4.7.5",
        format!("TLS with {remote} failed: {reason}"),
    )
    .at(remote)
}

/// A broken session: the server's own reply when it sent one (a refused greeting, a
/// 421), else a lost connection.
fn session_failure(remote: &str, error: &SessionError, during: &str) -> Failure {
    if let Some(reply) = error.reply() {
        return Failure::reply(remote, reply).deferred();
    }
    let code = match error {
        SessionError::Handshake(_) => "4.7.5",
        _ => "4.4.2",
    };
    Failure::local(
        Status::Deferred,
        code,
        format!("lost connection with {remote} while {during}: {error}"),
    )
    .at(remote)
}

fn loops_back(domain: &str, host: &str) -> Failure {
    Failure::local(
        Status::Failed,
        "5.4.6",
        format!("mail for {domain} loops back to myself ({host})"),
    )
}

/// The failures met while trying hosts; the last one explains the deferral.
#[derive(Default)]
struct Tried {
    last: Option<Failure>,
    any_temporary: bool,
}

impl Tried {
    fn record(&mut self, failure: Failure) {
        self.any_temporary |= failure.status != Status::Failed;
        self.last = Some(failure);
    }

    /// Failed when every host failed for good (no address at all), else deferred.
    fn conclusion(self, domain: &str) -> Failure {
        match self.last {
            None => Failure::local(
                Status::Deferred,
                "4.4.1",
                format!("no host to deliver mail for {domain} to"),
            ),
            Some(last) if self.any_temporary => last.deferred(),
            Some(last) => last,
        }
    }
}

/// A message with its envelope checked before anything is sent.
struct Prepared<'m> {
    message: &'m OutboundMessage<'m>,
    /// The reverse path (`None`: `<>`), or why it cannot be sent.
    sender: Result<Option<Address<'m>>, Failure>,
    /// Each recipient's forward path, or why it cannot be sent.
    recipients: Vec<Result<Address<'m>, Failure>>,
}

impl<'m> Prepared<'m> {
    fn new(message: &'m OutboundMessage<'m>) -> Self {
        let sender = if message.sender.is_empty() {
            Ok(None)
        } else {
            parse_address(message.sender).map(Some).ok_or_else(|| {
                Failure::local(
                    Status::Failed,
                    "5.1.7",
                    format!("bad sender address syntax: {:?}", message.sender),
                )
            })
        };
        let recipients = message
            .recipients
            .iter()
            .map(|r| {
                parse_address(&r.address).ok_or_else(|| {
                    Failure::local(
                        Status::Failed,
                        "5.1.3",
                        format!("bad recipient address syntax: {:?}", r.address),
                    )
                })
            })
            .collect();
        Self {
            message,
            sender,
            recipients,
        }
    }

    fn valid_count(&self) -> usize {
        self.recipients.iter().filter(|r| r.is_ok()).count()
    }

    /// The envelope; DSN parameters only when the peer offers DSN (RFC 3461).
    fn envelope(&self, dsn: bool) -> Envelope<'m> {
        let message = self.message;
        let params = MailParams {
            size: Some(message.size),
            body: message.eight_bit.then_some(Body::EightBitMime),
            smtputf8: message.smtputf8,
            ret: message.ret.filter(|_| dsn),
            envid: message.envid.filter(|_| dsn).map(Cow::Borrowed),
            ..MailParams::default()
        };
        let recipients = message
            .recipients
            .iter()
            .zip(&self.recipients)
            .filter_map(|(recipient, address)| {
                let address = address.as_ref().ok()?;
                let orcpt = recipient
                    .orcpt
                    .as_ref()
                    .filter(|(kind, _)| dsn && is_addr_type(kind))
                    .map(|(kind, original)| Orcpt {
                        addr_type: Cow::Borrowed(kind.as_str()),
                        address: Cow::Borrowed(original.as_str()),
                    });
                Some(RcptTo {
                    recipient: address.clone(),
                    params: RcptParams {
                        notify: recipient.notify.filter(|_| dsn),
                        orcpt,
                        ..RcptParams::default()
                    },
                })
            })
            .collect();
        Envelope {
            mail_from: MailFrom {
                sender: self.sender.clone().ok().flatten(),
                params,
            },
            recipients,
            transfer: Transfer::Data,
        }
    }

    /// The outcomes in recipient order: local failures, and `sent` for the others.
    fn merge(&self, sent: Vec<Outcome>) -> Vec<Outcome> {
        let mut sent = sent.into_iter();
        self.recipients
            .iter()
            .map(|r| match r {
                Err(failure) => failure.outcome(),
                Ok(_) => sent.next().unwrap_or_else(|| {
                    Failure::local(Status::Deferred, "4.3.0", "no result for this recipient")
                        .outcome()
                }),
            })
            .collect()
    }
}

/// `local@domain` (the last `@` splits) as a path, refusing what cannot be sent safely.
fn parse_address(text: &str) -> Option<Address<'_>> {
    if text.is_empty() || text.len() > 1000 || text.chars().any(|c| c.is_control()) {
        return None;
    }
    let (local, domain) = match text.rsplit_once('@') {
        Some((local, domain)) => (local, domain),
        // `<Postmaster>` without a domain (RFC 5321 section 4.1.1.3).
        None if text.eq_ignore_ascii_case("postmaster") => (text, ""),
        None => return None,
    };
    let bad_domain = domain.is_empty() && !local.eq_ignore_ascii_case("postmaster")
        || domain.contains(|c: char| c.is_whitespace() || "<>@,;\"\\".contains(c));
    if local.is_empty() || bad_domain || local.contains(['<', '>']) {
        return None;
    }
    Some(Address::new(local, domain))
}

/// An RFC 3461 addr-type is an atom: letters, digits and hyphens here.
fn is_addr_type(kind: &str) -> bool {
    !kind.is_empty() && kind.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The progress of one `deliver` call; each settled message is reported at once.
struct Work<'m> {
    prepared: Vec<Prepared<'m>>,
    settled: Vec<bool>,
    progress: Progress,
    started: Instant,
}

impl<'m> Work<'m> {
    /// Messages whose envelope is unusable (or empty) are settled at once.
    fn new(messages: &'m [OutboundMessage<'m>], progress: Progress) -> Self {
        let mut work = Self {
            prepared: messages.iter().map(Prepared::new).collect(),
            settled: vec![false; messages.len()],
            progress,
            started: Instant::now(),
        };
        for index in 0..messages.len() {
            let prepared = &work.prepared[index];
            let unusable = prepared.sender.as_ref().err().cloned();
            let empty = prepared.valid_count() == 0;
            if let Some(failure) = unusable {
                work.finish_all(index, &failure);
            } else if empty {
                work.finish(index, Vec::new());
            }
        }
        work
    }

    /// Indices of the messages still without outcomes.
    fn pending(&self) -> Vec<usize> {
        (0..self.settled.len())
            .filter(|&i| !self.settled[i])
            .collect()
    }

    /// Settles message `index` with the outcomes of its sendable recipients, and
    /// reports it to the queue.
    fn finish(&mut self, index: usize, sent: Vec<Outcome>) {
        let prepared = &self.prepared[index];
        let outcomes = prepared.merge(sent);
        let delay = self.started.elapsed().as_secs_f64();
        for (recipient, outcome) in prepared.message.recipients.iter().zip(&outcomes) {
            log_outcome(prepared.message.id, &recipient.address, outcome, delay);
        }
        self.settled[index] = true;
        self.progress.settle(index, outcomes);
    }

    /// Settles message `index` with the same failure for all its sendable recipients.
    fn finish_all(&mut self, index: usize, failure: &Failure) {
        let valid = self.prepared[index].valid_count();
        self.finish(index, vec![failure.outcome(); valid]);
    }

    /// Settles every pending message with `failure`.
    fn fail_pending(&mut self, failure: &Failure) {
        for index in self.pending() {
            self.finish_all(index, failure);
        }
    }
}

/// One Postfix-style line per recipient.
fn log_outcome(id: &str, recipient: &str, outcome: &Outcome, delay: f64) {
    let status = match outcome.status {
        Status::Delivered => "sent",
        Status::Deferred => "deferred",
        Status::Failed => "bounced",
    };
    let relay = outcome.remote.as_deref().unwrap_or("none");
    info!(
        "{}: to=<{}>, relay={}, delay={delay:.1}, dsn={}, status={status} ({})",
        sanitize(id),
        sanitize(recipient),
        sanitize(relay),
        outcome.code,
        sanitize(&outcome.diagnostic),
    );
}
