//! Where mail for a domain goes: a static route, else the smarthost, else the domain's
//! MX hosts (RFC 5321 section 5.1), as an ordered list of [`Hop`]s; and whether a hop is
//! this server itself (mail must never loop back to our own listener).

use std::net::{IpAddr, SocketAddr, UdpSocket};

use super::config::{OutboundConfig, Password, SmarthostTls, TlsPolicy};
use super::dns::{Answer, Dns, Mx, fqdn};
use super::job::Status;
use super::outcome::Failure;

/// Most MX hosts tried for one domain (Postfix tries 5 addresses; a few more is fine).
const MAX_MX_HOSTS: usize = 10;
/// Most addresses tried for one host.
const MAX_ADDRESSES: usize = 4;

/// How a connection to a hop is secured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Security {
    /// Never TLS.
    Plain,
    /// STARTTLS when offered, unverified; plain text when it fails.
    Opportunistic,
    /// STARTTLS required; `verify` checks the certificate.
    Required {
        /// Check the certificate chain and name.
        verify: bool,
    },
    /// TLS from the first byte; `verify` checks the certificate.
    Implicit {
        /// Check the certificate chain and name.
        verify: bool,
    },
}

impl From<TlsPolicy> for Security {
    fn from(policy: TlsPolicy) -> Self {
        match policy {
            TlsPolicy::May => Self::Opportunistic,
            TlsPolicy::Verify => Self::Required { verify: true },
            TlsPolicy::None => Self::Plain,
        }
    }
}

/// Credentials for the smarthost.
#[derive(Debug, Clone)]
pub(super) struct Credentials {
    /// The user name.
    pub(super) username: String,
    /// The password.
    pub(super) password: Password,
}

/// One host to try.
#[derive(Debug, Clone)]
pub(super) struct Hop {
    /// Host name (no trailing dot) or IP address.
    pub(super) host: String,
    /// Port to connect to.
    pub(super) port: u16,
    /// MX preference (0 for static hops).
    pub(super) preference: u16,
    /// TLS policy for this hop.
    pub(super) security: Security,
    /// AUTH with these (smarthost only).
    pub(super) credentials: Option<Credentials>,
    /// A configured hop (route, smarthost) rather than an MX host.
    pub(super) configured: bool,
}

/// The hops for `domain`, best first, or why there are none.
pub(super) async fn plan(
    config: &OutboundConfig,
    dns: &Dns,
    domain: &str,
) -> Result<Vec<Hop>, Failure> {
    let key = domain.trim_end_matches('.').to_ascii_lowercase();
    if let Some(route) = config.routes.iter().find_map(|(d, route)| {
        d.trim_end_matches('.')
            .eq_ignore_ascii_case(&key)
            .then_some(route)
    }) {
        return Ok(vec![Hop {
            host: route.host.clone(),
            port: route.port.unwrap_or(config.port),
            preference: 0,
            security: route.tls.unwrap_or(config.tls).into(),
            credentials: None,
            configured: true,
        }]);
    }
    if let Some(relay) = &config.smarthost {
        let verify = relay.verify_certificate;
        let security = match relay.tls {
            SmarthostTls::Starttls => Security::Required { verify },
            SmarthostTls::Implicit => Security::Implicit { verify },
            SmarthostTls::None => Security::Plain,
        };
        let credentials = relay
            .username
            .clone()
            .zip(relay.password.clone())
            .map(|(username, password)| Credentials { username, password });
        return Ok(vec![Hop {
            host: relay.host.clone(),
            port: relay.port(),
            preference: 0,
            security,
            credentials,
            configured: true,
        }]);
    }
    mx_plan(config, dns, &key).await
}

/// The MX hosts of `domain`, or the domain itself when it has no MX (RFC 5321 5.1).
async fn mx_plan(config: &OutboundConfig, dns: &Dns, domain: &str) -> Result<Vec<Hop>, Failure> {
    let hop = |host: String, preference: u16| Hop {
        host,
        port: config.port,
        preference,
        security: config.tls.into(),
        credentials: None,
        configured: false,
    };
    if let Some(ip) = address_literal(domain) {
        return Ok(vec![hop(ip.to_string(), 0)]);
    }
    let Some(name) = fqdn(domain) else {
        return Err(Failure::local(
            Status::Failed,
            "5.1.2",
            format!("bad destination domain {domain:?}"),
        ));
    };
    let records = match dns.mx(&name).await {
        Ok(Answer::Records(records)) => records,
        Ok(Answer::NoData) => return Ok(vec![hop(domain.to_owned(), 0)]),
        Ok(Answer::NxDomain) => {
            return Err(Failure::local(
                Status::Failed,
                "5.1.2",
                format!("Host or domain name not found: {domain} does not exist (MX lookup)"),
            ));
        }
        Err(temporary) => {
            return Err(Failure::local(
                Status::Deferred,
                "4.4.3",
                format!("MX lookup for {domain} failed: {}", temporary.0),
            ));
        }
    };
    let hosts = order_mx(records);
    if hosts.is_empty() {
        // RFC 7505: a single MX of "." says the domain accepts no mail.
        return Err(Failure::local(
            Status::Failed,
            "5.1.10",
            format!("Recipient address rejected: domain {domain} does not accept mail (null MX)"),
        ));
    }
    Ok(hosts
        .into_iter()
        .map(|mx| hop(mx.exchange, mx.preference))
        .collect())
}

/// MX records best first, shuffled among equal preferences, without null-MX entries.
fn order_mx(mut records: Vec<Mx>) -> Vec<Mx> {
    records.retain(|mx| !mx.exchange.is_empty());
    records.sort_by_key(|mx| mx.preference);
    let mut start = 0;
    while start < records.len() {
        let preference = records[start].preference;
        let end = records[start..]
            .iter()
            .position(|mx| mx.preference != preference)
            .map_or(records.len(), |n| start + n);
        shuffle(&mut records[start..end]);
        start = end;
    }
    records.truncate(MAX_MX_HOSTS);
    records
}

/// Fisher-Yates with the OS's randomness; without randomness the order is kept.
fn shuffle<T>(items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let Ok(random) = getrandom::u64() else {
            return;
        };
        let j = usize::try_from(random % (i as u64 + 1)).unwrap_or(0);
        items.swap(i, j);
    }
}

/// The addresses of a hop's host, or why it has none.
pub(super) async fn addresses(dns: &Dns, hop: &Hop) -> Result<Vec<IpAddr>, Failure> {
    if let Some(ip) = ip_of(&hop.host) {
        return Ok(vec![ip]);
    }
    let host = &hop.host;
    let Some(name) = fqdn(host) else {
        return Err(Failure::local(
            Status::Failed,
            "5.4.4",
            format!("bad host name {host:?}"),
        ));
    };
    let failure = match dns.addresses(&name).await {
        Ok(Answer::Records(mut ips)) => {
            ips.truncate(MAX_ADDRESSES);
            return Ok(ips);
        }
        Ok(Answer::NoData | Answer::NxDomain) => Failure::local(
            Status::Failed,
            "5.4.4",
            format!("Host or domain name not found: no A or AAAA record for {host}"),
        ),
        Err(temporary) => Failure::local(
            Status::Deferred,
            "4.4.3",
            format!("address lookup for {host} failed: {}", temporary.0),
        ),
    };
    // A configured relay that cannot be found is our configuration's problem, not a
    // reason to bounce the sender's mail.
    Err(if hop.configured {
        failure.deferred()
    } else {
        failure
    })
}

/// `[192.0.2.1]` or `[IPv6:2001:db8::1]` as a domain (RFC 5321 section 4.1.3).
fn address_literal(domain: &str) -> Option<IpAddr> {
    let inner = domain.strip_prefix('[')?.strip_suffix(']')?;
    let inner = inner
        .strip_prefix("IPv6:")
        .or_else(|| inner.strip_prefix("ipv6:"))
        .unwrap_or(inner);
    inner.parse().ok()
}

/// The host as an IP address, bracketed or not.
fn ip_of(host: &str) -> Option<IpAddr> {
    host.parse().ok().or_else(|| address_literal(host))
}

/// What "this server" is, to avoid delivering to ourselves in a loop.
#[derive(Debug, Clone)]
pub(super) struct Myself {
    /// Our name (EHLO name and hostname), lower case.
    names: Vec<String>,
    /// The addresses our SMTP listeners are bound to (`0.0.0.0:25` means every local
    /// address on port 25).
    listeners: Vec<SocketAddr>,
}

impl Myself {
    /// Ourselves, known by these names and listening on these addresses.
    pub(super) fn new(names: &[&str], listeners: &[SocketAddr]) -> Self {
        let mut names: Vec<String> = names
            .iter()
            .map(|n| n.trim_end_matches('.').to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .collect();
        names.dedup();
        Self {
            names,
            listeners: listeners.to_vec(),
        }
    }

    /// Whether `name` is one of our names.
    pub(super) fn is_name(&self, name: &str) -> bool {
        let name = name.trim_end_matches('.');
        self.names.iter().any(|n| n.eq_ignore_ascii_case(name))
    }

    /// Whether connecting to `addr` would reach one of our own listeners.
    pub(super) fn is_address(&self, addr: SocketAddr) -> bool {
        self.listeners.iter().any(|listener| {
            listener.port() == addr.port()
                && (listener.ip() == addr.ip()
                    || (listener.ip().is_unspecified() && is_local(addr.ip())))
        })
    }
}

/// Whether `ip` belongs to this machine: binding to it works only if it does.
fn is_local(ip: IpAddr) -> bool {
    ip.is_loopback() || UdpSocket::bind((ip, 0)).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mx(preference: u16, exchange: &str) -> Mx {
        Mx {
            preference,
            exchange: exchange.to_owned(),
        }
    }

    #[test]
    fn mx_order_is_by_preference_and_drops_null_entries() {
        let ordered = order_mx(vec![mx(20, "c"), mx(10, "a"), mx(0, ""), mx(30, "d")]);
        let names: Vec<_> = ordered.iter().map(|m| m.exchange.as_str()).collect();
        assert_eq!(names, ["a", "c", "d"]);
    }

    #[test]
    fn equal_preferences_are_shuffled_within_their_group() {
        let mut seen_first = std::collections::BTreeSet::new();
        for _ in 0..64 {
            let ordered = order_mx(vec![mx(5, "z"), mx(10, "a"), mx(10, "b"), mx(10, "c")]);
            assert_eq!(ordered[0].exchange, "z");
            let mut group: Vec<_> = ordered[1..].iter().map(|m| m.exchange.clone()).collect();
            seen_first.insert(group[0].clone());
            group.sort();
            assert_eq!(group, ["a", "b", "c"]);
        }
        // 64 draws of a uniform choice among 3 miss one with probability < 1e-11.
        assert_eq!(seen_first.len(), 3);
    }

    #[test]
    fn only_a_lone_root_mx_is_null() {
        assert!(order_mx(vec![mx(0, "")]).is_empty());
        assert_eq!(order_mx(vec![mx(0, ""), mx(10, "mx")]).len(), 1);
    }

    #[test]
    fn address_literals_parse() {
        assert_eq!(address_literal("[192.0.2.1]"), Some([192, 0, 2, 1].into()));
        assert_eq!(
            address_literal("[IPv6:2001:db8::1]"),
            "2001:db8::1".parse().ok()
        );
        assert_eq!(address_literal("example.org"), None);
        assert_eq!(ip_of("127.0.0.1"), Some([127, 0, 0, 1].into()));
    }

    #[test]
    fn myself_matches_names_and_listeners() {
        let listener: SocketAddr = "0.0.0.0:2525".parse().unwrap();
        let exact: SocketAddr = "192.0.2.7:25".parse().unwrap();
        let me = Myself::new(&["Mail.Example.org."], &[listener, exact]);
        assert!(me.is_name("mail.example.org"));
        assert!(!me.is_name("mx.example.org"));
        assert!(me.is_address("127.0.0.1:2525".parse().unwrap()));
        assert!(!me.is_address("127.0.0.1:2526".parse().unwrap()));
        assert!(me.is_address(exact));
        // A documentation address is not on this machine, whatever the port.
        assert!(!me.is_address("192.0.2.8:2525".parse().unwrap()));
    }
}
