//! DNS for outbound mail: MX records (RFC 5321 section 5.1, RFC 7505 null MX) and the
//! addresses of the hosts they name, through hickory-resolver.

use std::net::{IpAddr, SocketAddr};

use hickory_resolver::TokioResolver;
use hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{Name, RData};

use super::OutboundError;

/// What a lookup found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Answer<T> {
    /// The records, never empty.
    Records(Vec<T>),
    /// The name exists but has no record of the type asked.
    NoData,
    /// The name does not exist (NXDOMAIN).
    NxDomain,
}

/// An MX record: preference and exchange host (`.` for a null MX).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Mx {
    /// Lower is tried first.
    pub(super) preference: u16,
    /// The host, without the trailing dot; empty for the root (`.`).
    pub(super) exchange: String,
}

/// A lookup that could not be answered now (timeout, SERVFAIL, no server reachable).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct TemporaryFailure(pub(super) String);

/// The resolver used for MX and address lookups.
#[derive(Clone)]
pub(super) struct Dns {
    resolver: TokioResolver,
}

impl std::fmt::Debug for Dns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Dns")
    }
}

impl Dns {
    /// A resolver asking `nameservers` (UDP, then TCP for truncated answers), or the
    /// servers of `/etc/resolv.conf` when the list is empty.
    pub(super) fn new(nameservers: &[SocketAddr]) -> Result<Self, OutboundError> {
        let dns_error = |e: NetError| OutboundError::Dns(e.to_string());
        let builder = if nameservers.is_empty() {
            TokioResolver::builder_tokio().map_err(dns_error)?
        } else {
            let servers = nameservers.iter().map(|addr| {
                let mut server = NameServerConfig::udp_and_tcp(addr.ip());
                for connection in &mut server.connections {
                    connection.port = addr.port();
                }
                server
            });
            let config = ResolverConfig::from_name_servers(servers.collect());
            TokioResolver::builder_with_config(config, TokioRuntimeProvider::default())
                .with_options(ResolverOpts::default())
        };
        let resolver = builder.build().map_err(dns_error)?;
        Ok(Self { resolver })
    }

    /// The MX records of `domain`, in no particular order.
    pub(super) async fn mx(&self, domain: &Name) -> Result<Answer<Mx>, TemporaryFailure> {
        match self.resolver.mx_lookup(domain.clone()).await {
            Ok(lookup) => {
                let records: Vec<Mx> = lookup
                    .answers()
                    .iter()
                    .filter_map(|record| match &record.data {
                        RData::MX(mx) => Some(Mx {
                            preference: mx.preference,
                            exchange: host_text(&mx.exchange),
                        }),
                        _ => None,
                    })
                    .collect();
                Ok(non_empty(records))
            }
            Err(e) => classify(&e),
        }
    }

    /// The IPv4 addresses of `host`, or its IPv6 addresses when it has none.
    pub(super) async fn addresses(&self, host: &Name) -> Result<Answer<IpAddr>, TemporaryFailure> {
        match self.resolver.lookup_ip(host.clone()).await {
            Ok(lookup) => Ok(non_empty(lookup.iter().collect())),
            Err(e) => classify(&e),
        }
    }
}

/// A domain as a fully qualified DNS name (so no search domain is appended), or `None`
/// when it cannot be one.
pub(super) fn fqdn(domain: &str) -> Option<Name> {
    let mut name = Name::from_utf8(domain).ok()?;
    if name.is_root() {
        return None;
    }
    name.set_fqdn(true);
    Some(name)
}

/// A name as text without the trailing dot; the root is the empty string.
fn host_text(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_owned()
}

fn non_empty<T>(records: Vec<T>) -> Answer<T> {
    if records.is_empty() {
        Answer::NoData
    } else {
        Answer::Records(records)
    }
}

fn classify<T>(error: &NetError) -> Result<Answer<T>, TemporaryFailure> {
    match error {
        NetError::Dns(DnsError::NoRecordsFound(none)) => match none.response_code {
            ResponseCode::NXDomain => Ok(Answer::NxDomain),
            ResponseCode::NoError => Ok(Answer::NoData),
            other => Err(TemporaryFailure(format!("DNS error {other}"))),
        },
        other => Err(TemporaryFailure(other.to_string())),
    }
}
