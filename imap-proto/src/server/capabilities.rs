//! The capability list the machine advertises in its current state.

use crate::types::{Atom, Capability};

use super::{Config, NonSyncLiterals, State};

/// Capabilities for the greeting, CAPABILITY, and the OK after authentication.
///
/// Before authentication: STARTTLS (not yet over TLS), then either `AUTH=` mechanisms
/// and SASL-IR (authentication allowed) or LOGINDISABLED. After authentication these
/// are left out. The application's extensions are always listed.
pub(crate) fn advertised(config: &Config, tls: bool, state: State) -> Vec<Capability<'static>> {
    let mut caps = Vec::new();
    if config.imap4rev1 {
        caps.push(Capability::Imap4Rev1);
    }
    if config.imap4rev2 {
        caps.push(Capability::Imap4Rev2);
    }
    if state == State::NotAuthenticated {
        if config.starttls && !tls {
            caps.push(Capability::StartTls);
        }
        if tls || config.plaintext_auth {
            caps.extend(
                config
                    .auth_mechanisms
                    .iter()
                    .filter_map(|m| Atom::new(m.clone()).ok())
                    .map(Capability::Auth),
            );
            if config.sasl_ir && !config.auth_mechanisms.is_empty() {
                caps.push(Capability::SaslIr);
            }
        } else {
            caps.push(Capability::LoginDisabled);
        }
    }
    caps.push(match config.non_sync_literals {
        NonSyncLiterals::Minus => Capability::LiteralMinus,
        NonSyncLiterals::Plus => Capability::LiteralPlus,
    });
    if config.idle {
        caps.push(Capability::Idle);
    }
    if config.enable {
        caps.push(Capability::Enable);
    }
    if config.advertise_append_limit {
        caps.push(Capability::AppendLimit(Some(u64::from(
            config.limits.max_append_size,
        ))));
    }
    for ext in &config.extensions {
        if !caps.contains(ext) && !is_machine_capability(ext) {
            caps.push(ext.clone());
        }
    }
    caps
}

/// Capabilities whose advertisement the machine controls itself; listing them in
/// [`Config::extensions`] has no effect.
fn is_machine_capability(cap: &Capability<'_>) -> bool {
    matches!(
        cap,
        Capability::Imap4Rev1
            | Capability::Imap4Rev2
            | Capability::StartTls
            | Capability::LoginDisabled
            | Capability::Auth(_)
            | Capability::SaslIr
            | Capability::LiteralPlus
            | Capability::LiteralMinus
            | Capability::Idle
            | Capability::Enable
            | Capability::AppendLimit(_)
    )
}
