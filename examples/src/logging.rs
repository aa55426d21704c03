//! Logs: `tracing` with one line per session event, filtered by `RUST_LOG`
//! (default `info`), written to standard error.
//!
//! Failed logins get one stable line that fail2ban can match, whatever the service:
//!
//! ```text
//! auth failed: user=<alice@example.org> rip=192.0.2.7 service=pop3
//! ```
//!
//! A fail2ban filter for it: `failregex = auth failed: user=<.*> rip=<HOST> service=`.

use std::fmt::Write as _;
use std::net::IpAddr;

use tracing_subscriber::EnvFilter;

/// The `tracing` target of the failed-login lines, so they can be filtered on their own
/// (`RUST_LOG=warn,postroom::auth=info`).
#[allow(
    dead_code,
    reason = "used by the POP3 service, the first to authenticate"
)]
pub(crate) const AUTH_TARGET: &str = "postroom::auth";

/// Installs the subscriber: `RUST_LOG` if set and valid, `info` otherwise.
/// Calling it twice is harmless (the second call changes nothing).
pub(crate) fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}

/// Logs a failed login with the remote IP (`None`: a Unix socket, logged as `unix`).
#[allow(
    dead_code,
    reason = "used by the POP3 service, the first to authenticate"
)]
pub(crate) fn auth_failed(user: &str, rip: Option<IpAddr>, service: &str) {
    tracing::warn!(target: AUTH_TARGET, "{}", auth_failed_line(user, rip, service));
}

/// The text of [`auth_failed`]'s line.
#[allow(
    dead_code,
    reason = "used by the POP3 service, the first to authenticate"
)]
pub(crate) fn auth_failed_line(user: &str, rip: Option<IpAddr>, service: &str) -> String {
    let rip = rip.map_or_else(|| "unix".to_owned(), |ip| ip.to_string());
    format!(
        "auth failed: user=<{}> rip={rip} service={service}",
        sanitize(user)
    )
}

/// Makes client-chosen text safe for a one-line log entry: control characters, `<`, `>`,
/// `\` and non-ASCII are escaped, and the text is cut at 256 characters, so a user name
/// cannot forge a second line or a fake `rip=`.
pub(crate) fn sanitize(text: &str) -> String {
    const MAX: usize = 256;
    let mut out = String::with_capacity(text.len().min(MAX));
    for (i, c) in text.chars().enumerate() {
        if i == MAX {
            out.push_str("...");
            break;
        }
        match c {
            ' '..='~' if !matches!(c, '<' | '>' | '\\') => out.push(c),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_failed_line_is_stable() {
        let ip: IpAddr = "192.0.2.7".parse().unwrap();
        assert_eq!(
            auth_failed_line("alice@example.org", Some(ip), "pop3"),
            "auth failed: user=<alice@example.org> rip=192.0.2.7 service=pop3"
        );
        assert_eq!(
            auth_failed_line("bob", None, "lmtp"),
            "auth failed: user=<bob> rip=unix service=lmtp"
        );
    }

    #[test]
    fn hostile_user_names_cannot_forge_fields_or_lines() {
        let ip: IpAddr = "2001:db8::1".parse().unwrap();
        let line = auth_failed_line("x> rip=10.0.0.1\nauth failed: user=<y", Some(ip), "pop3");
        assert_eq!(line.lines().count(), 1);
        assert!(line.ends_with(" rip=2001:db8::1 service=pop3"), "{line}");
        assert_eq!(line.matches('>').count(), 1, "{line}");
        assert!(line.contains("\\u{a}"), "{line}");
    }

    #[test]
    fn long_names_are_cut() {
        let long = "a".repeat(10_000);
        assert!(sanitize(&long).len() < 300);
    }
}
