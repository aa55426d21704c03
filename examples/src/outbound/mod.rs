//! Outbound SMTP: carries messages from the queue to the next hop.
//!
//! [`SmtpTransport`] implements the queue's [`Transport`]: for a destination domain it
//! finds the next hop ([`route`]: a static route, the smarthost, or the MX hosts found
//! with hickory-resolver), connects to each address of each host in turn until one
//! answers, secures the connection as configured (opportunistic STARTTLS by default,
//! like Postfix's `smtp_tls_security_level = may`), and sends every message of the call
//! over that one connection with the Sans-IO client of smtp-proto ([`session`]), which
//! pipelines MAIL/RCPT/DATA when the peer offers PIPELINING. The body streams from the
//! queue file in chunks. Each message's outcomes are reported to the queue ([`Progress`])
//! as soon as its reply arrives. Each recipient gets an [`Outcome`] (delivered, deferred or
//! failed, with the RFC 3463 code and the remote reply) and one Postfix-style log line:
//!
//! ```text
//! 1a2b3c: to=<bob@example.net>, relay=mx.example.net [192.0.2.1], delay=0.4, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued)
//! ```
//!
//! | situation | outcome |
//! | --- | --- |
//! | 2xx after the data | delivered, the reply's code (or 2.0.0) |
//! | 4xx/5xx to RCPT, MAIL or after the data | deferred/failed, the reply's code (or 4.0.0/5.0.0) |
//! | domain does not exist (NXDOMAIN) | failed 5.1.2 |
//! | null MX (RFC 7505) | failed 5.1.10 |
//! | no MX and no address | failed 5.4.4 |
//! | DNS temporarily failing | deferred 4.4.3 |
//! | every host refused or timed out | deferred 4.4.1 (4.4.2 lost connection, 4.7.x TLS) |
//! | an MX host is this server | failed 5.4.6 "mail for ... loops back to myself" |
//! | message larger than the peer's SIZE | failed 5.3.4, nothing sent |
//! | 8-bit body, peer without 8BITMIME | failed 5.6.3 (no downgrade) |
//! | UTF-8 envelope, peer without SMTPUTF8 | failed 5.6.7 |

mod config;
mod deliver;
mod dns;
mod job;
mod outcome;
mod route;
mod session;
mod tls;

#[cfg(test)]
mod testdns;
#[cfg(test)]
mod tests;

use std::net::SocketAddr;
use std::path::PathBuf;

pub(crate) use config::OutboundConfig;
#[cfg(test)]
pub(crate) use job::deliver_all;
pub(crate) use job::{
    OutboundMessage, OutboundRecipient, Outcome, Progress, Settled, Status, Transport,
};

use crate::delivery::BoxFuture;

/// Why the transport could not be built from its configuration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum OutboundError {
    /// The settings are inconsistent.
    #[error("invalid outbound configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
    /// The resolver could not be set up (unreadable `/etc/resolv.conf`, ...).
    #[error("DNS resolver: {0}")]
    Dns(String),
    /// The CA file could not be read.
    #[error("outbound.ca_file {path}: {reason}")]
    CaFile {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the TLS client settings.
    #[error("TLS client configuration: {0}")]
    Tls(#[source] rustls::Error),
}

/// Delivers queued mail over SMTP to the next hop. See the [module docs](self).
#[derive(Debug)]
pub(crate) struct SmtpTransport {
    config: OutboundConfig,
    helo_name: String,
    dns: dns::Dns,
    tls: tls::Connectors,
    myself: route::Myself,
}

impl SmtpTransport {
    /// A transport with these settings. `hostname` is the server's name (the default EHLO
    /// name); `own_listeners` are the addresses our MX service listens on, which outbound
    /// mail must never be sent to. Must be called inside a tokio runtime.
    pub(crate) fn new(
        config: &OutboundConfig,
        hostname: &str,
        own_listeners: &[SocketAddr],
    ) -> Result<Self, OutboundError> {
        let problems = config.problems();
        if !problems.is_empty() {
            return Err(OutboundError::Invalid(problems));
        }
        let helo_name = config
            .helo_name
            .clone()
            .unwrap_or_else(|| hostname.to_owned());
        Ok(Self {
            config: config.clone(),
            myself: route::Myself::new(&[hostname, &helo_name], own_listeners),
            helo_name,
            dns: dns::Dns::new(&config.nameservers)?,
            tls: tls::Connectors::new(config.ca_file.as_deref())?,
        })
    }
}

impl Transport for SmtpTransport {
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(self.deliver_domain(domain, messages, progress))
    }
}
