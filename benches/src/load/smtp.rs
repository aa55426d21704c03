//! SMTP and LMTP load: messages sent through smtp-proto's client machine (LMTP mode for
//! LMTP), one or more per connection, each timed from `MAIL FROM` (or from the connect,
//! for the first message of a connection) to the last reply after the data.

use std::sync::Arc;
use std::time::Instant;

use smtp_proto::client::{Client, Config, Envelope, Event, Mode, Transfer};
use smtp_proto::types::{Address, MailFrom, MailParams, RcptParams, RcptTo};

use super::conn::{Conn, Target};
use super::stats::{Report, Tally};
use super::{LoadError, RunOptions, Worker, message, numbered, run_workers};

/// What to send.
#[derive(Debug, Clone)]
pub struct SmtpOptions {
    /// SMTP or LMTP.
    pub mode: Mode,
    /// The server.
    pub target: Target,
    /// The sender address.
    pub from: String,
    /// The recipient address; `{n}` is replaced by a user number from 1 to `users`.
    pub to: String,
    /// How many different recipients `{n}` cycles through.
    pub users: usize,
    /// Recipients per message (consecutive user numbers).
    pub recipients: usize,
    /// Message size in bytes.
    pub size: usize,
    /// Messages per connection before QUIT.
    pub per_connection: u64,
    /// The EHLO/LHLO name.
    pub hello: String,
}

/// One open session, ready for a message.
struct Session {
    conn: Conn<Client>,
}

impl Session {
    async fn open(options: &SmtpOptions) -> Result<Self, LoadError> {
        let mut config = Config::smtp(options.hello.clone());
        config.mode = options.mode;
        let mut conn = Conn::open(&options.target, Client::new(config, Instant::now())).await?;
        loop {
            match conn.event().await? {
                Event::Greeting(_) => {}
                Event::Ready { .. } => return Ok(Self { conn }),
                other => return Err(LoadError::unexpected("greeting", &other)),
            }
        }
    }

    /// Sends one message; returns once every recipient has its final reply.
    async fn send(&mut self, envelope: &Envelope<'_>, body: &[u8]) -> Result<(), LoadError> {
        self.conn
            .machine
            .send_mail(envelope)
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        loop {
            match self.conn.event().await? {
                Event::MailReply(_) | Event::Recipient { .. } => {}
                Event::SendBody => {
                    let client = &mut self.conn.machine;
                    client
                        .send_body_chunk(body)
                        .and_then(|()| client.end_body())
                        .map_err(|e| LoadError::Protocol(e.to_string()))?;
                }
                Event::TransactionComplete(result) => {
                    let wanted = envelope.recipients.len();
                    let delivered = result.delivered_count();
                    if delivered == wanted {
                        return Ok(());
                    }
                    let why = result
                        .recipients
                        .iter()
                        .filter_map(|r| r.delivery.as_ref().or(r.rcpt.as_ref()))
                        .chain(result.data.as_ref())
                        .find(|reply| !reply.is_positive())
                        .map_or_else(|| format!("{:?}", result.mail), |r| format!("{r:?}"));
                    return Err(LoadError::Protocol(format!(
                        "delivered to {delivered} of {wanted} recipients: {why}"
                    )));
                }
                other => return Err(LoadError::unexpected("a transaction", &other)),
            }
        }
    }

    async fn quit(mut self) -> Result<(), LoadError> {
        self.conn
            .machine
            .quit()
            .map_err(|e| LoadError::Protocol(e.to_string()))?;
        self.conn.until_closed().await
    }
}

/// The envelope of message number `seq` of a worker.
fn envelope<'a>(options: &'a SmtpOptions, worker: usize, seq: u64, size: usize) -> Envelope<'a> {
    let split = |address: &str| -> Address<'static> {
        let (local, domain) = address.rsplit_once('@').unwrap_or((address, ""));
        Address::new(local.to_owned(), domain.to_owned())
    };
    let users = options.users.max(1);
    let first = worker.wrapping_mul(7919).wrapping_add(seq as usize);
    let recipients = (0..options.recipients.max(1))
        .map(|i| RcptTo {
            recipient: split(&numbered(&options.to, (first + i) % users + 1)),
            params: RcptParams::default(),
        })
        .collect();
    Envelope {
        mail_from: MailFrom {
            sender: Some(split(&options.from)),
            params: MailParams {
                size: Some(size as u64),
                ..MailParams::default()
            },
        },
        recipients,
        transfer: Transfer::Data,
    }
}

async fn worker(w: Worker, options: Arc<SmtpOptions>) -> Tally {
    let mut tally = Tally::default();
    let body = message::build(
        options.size,
        &options.from,
        &numbered(&options.to, 1),
        w.index as u64,
    );
    let mut session: Option<Session> = None;
    let mut sent_here = 0u64;
    let mut seq = 0u64;
    while w.budget.take() {
        let started = Instant::now();
        seq += 1;
        let env = envelope(&options, w.index, seq, body.len());
        let result = w
            .timed(async {
                let open = match session.take() {
                    Some(open) => open,
                    None => {
                        let open = Session::open(&options).await?;
                        tally.sessions += 1;
                        open
                    }
                };
                let open = session.insert(open);
                open.send(&env, &body).await
            })
            .await;
        match result {
            Ok(()) => {
                tally.success(started.elapsed(), body.len() as u64);
                sent_here += 1;
                if sent_here >= options.per_connection.max(1) || !w.budget.left() {
                    if let Some(done) = session.take() {
                        // A failed QUIT does not undo the delivered messages.
                        let _ = w.timed(done.quit()).await;
                    }
                    sent_here = 0;
                }
            }
            Err(e) => {
                tally.failure(e);
                session = None;
                sent_here = 0;
            }
        }
    }
    if let Some(done) = session.take() {
        let _ = w.timed(done.quit()).await;
    }
    tally
}

/// Sends messages until the budget is spent.
pub async fn run(run: &RunOptions, options: SmtpOptions) -> Report {
    let mode = match options.mode {
        Mode::Lmtp => "lmtp",
        _ => "smtp",
    };
    let options = Arc::new(options);
    run_workers(mode, "message", run, |w| worker(w, Arc::clone(&options))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelopes_cycle_through_the_users() {
        let options = SmtpOptions {
            mode: Mode::Smtp,
            target: "127.0.0.1:25".parse().unwrap(),
            from: "load@sender.test".into(),
            to: "u{n}@example.test".into(),
            users: 3,
            recipients: 2,
            size: 1000,
            per_connection: 1,
            hello: "load.test".into(),
        };
        let env = envelope(&options, 0, 2, 1000);
        let names: Vec<String> = env
            .recipients
            .iter()
            .map(|r| r.recipient.to_string())
            .collect();
        assert_eq!(names, ["u3@example.test", "u1@example.test"]);
        assert_eq!(env.mail_from.params.size, Some(1000));
        assert_eq!(
            env.mail_from.sender.unwrap().to_string(),
            "load@sender.test"
        );
    }
}
