//! Recipient resolution with Postfix's virtual-alias semantics, as ISPmail relies on them.
//!
//! For each address, in this order:
//! 1. a domain that is not ours: the address is forwarded (returned as remote);
//! 2. alias rows whose source is exactly the address: each destination is resolved in
//!    turn (one source may have several rows; a row may list several addresses
//!    separated by commas, as Postfix splits table results);
//! 3. a user with exactly this address: delivered to its Maildir;
//! 4. `user+tag@domain`: resolved as `user@domain` (only when 2 and 3 found nothing);
//! 5. the catch-all alias `@domain`: its destinations;
//! 6. otherwise the address is unknown.
//!
//! A destination `@other` keeps the local part (`x@domain` goes to `x@other`), as in
//! Postfix's virtual(5) result rewriting.
//!
//! An address met again on its own expansion path (`a -> a`, the ISPmail "email2email"
//! self-mapping, or a loop `a -> b -> a`) is not expanded again: it is delivered if it is
//! a user and dropped otherwise. Depth and the total number of addresses looked at are
//! bounded, so a hostile or broken alias table cannot stall a session.

use std::collections::HashSet;

use super::{Address, Directory, DirectoryError, Entry, LocalUser};

/// Deepest alias chain followed.
pub(crate) const MAX_ALIAS_DEPTH: usize = 20;
/// Most addresses looked at while resolving one recipient.
pub(crate) const MAX_EXPANSION: usize = 1000;

/// What a recipient address resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Resolution {
    /// The recipient exists: deliver to `local` mailboxes and forward to `remote`
    /// addresses (outside our domains). At least one of the two is non-empty; each is
    /// free of duplicates.
    Found {
        /// Local mailboxes.
        local: Vec<LocalUser>,
        /// Forwarding destinations, as written in the alias table.
        remote: Vec<String>,
    },
    /// The domain is ours, but no user, alias or catch-all matches (or every alias
    /// destination led nowhere).
    Unknown,
    /// The domain is not one of ours: relaying is not allowed.
    NotLocalDomain,
}

/// One address waiting to be expanded, with the addresses that led to it.
struct Pending {
    /// As written (remote destinations keep their case).
    text: String,
    address: Address,
    path: Vec<Address>,
    /// What the directory holds for `address`, when already read.
    entry: Option<Entry>,
}

#[derive(Default)]
struct Expansion {
    local: Vec<LocalUser>,
    remote: Vec<String>,
    /// Domains met on the way that are not ours, so not looked up again.
    remote_domains: HashSet<String>,
}

impl Expansion {
    fn add_local(&mut self, user: LocalUser) {
        if !self
            .local
            .iter()
            .any(|u| u.email.eq_ignore_ascii_case(&user.email))
        {
            self.local.push(user);
        }
    }

    fn add_remote(&mut self, text: String) {
        if !self.remote.iter().any(|r| r.eq_ignore_ascii_case(&text)) {
            self.remote.push(text);
        }
    }
}

impl Directory {
    /// Resolves one recipient (`RCPT TO` of the MX or LMTP) into mailboxes and forwards.
    pub(crate) async fn resolve_recipient(
        &self,
        recipient: &str,
    ) -> Result<Resolution, DirectoryError> {
        let address = Address::parse(recipient)
            .map_err(|reason| DirectoryError::invalid(recipient, reason))?;
        let entry = self.entry(&address).await?;
        if !entry.domain_is_local {
            return Ok(Resolution::NotLocalDomain);
        }
        let mut expansion = Expansion::default();
        let mut stack = vec![Pending {
            text: recipient.trim().to_owned(),
            address,
            path: Vec::new(),
            entry: Some(entry),
        }];
        let mut looked_at = 0usize;
        while let Some(pending) = stack.pop() {
            looked_at += 1;
            if looked_at > MAX_EXPANSION {
                return Err(limit(recipient, "1000 addresses"));
            }
            let next = self.expand_one(&mut expansion, pending).await?;
            for item in next.into_iter().rev() {
                if item.path.len() > MAX_ALIAS_DEPTH {
                    return Err(limit(recipient, "20 nested aliases"));
                }
                stack.push(item);
            }
        }
        if expansion.local.is_empty() && expansion.remote.is_empty() {
            return Ok(Resolution::Unknown);
        }
        Ok(Resolution::Found {
            local: expansion.local,
            remote: expansion.remote,
        })
    }

    /// Applies the rules to one address; returns the addresses it expands to.
    async fn expand_one(
        &self,
        expansion: &mut Expansion,
        pending: Pending,
    ) -> Result<Vec<Pending>, DirectoryError> {
        let Pending {
            text,
            address,
            path,
            entry,
        } = pending;
        let entry = match entry {
            Some(entry) => Some(entry),
            None if expansion.remote_domains.contains(&address.domain) => None,
            None => Some(self.entry(&address).await?),
        };
        let Some(entry) = entry.filter(|e| e.domain_is_local) else {
            expansion.remote_domains.insert(address.domain);
            expansion.add_remote(text);
            return Ok(Vec::new());
        };
        if path.contains(&address) {
            // Met again on its own path: deliver if it is a mailbox, never expand again.
            if let Some(user) = entry.user {
                expansion.add_local(user);
            } else {
                tracing::warn!(%address, "alias loop through an address that is no mailbox");
            }
            return Ok(Vec::new());
        }
        if !entry.aliases.is_empty() {
            return Ok(children(&address, &path, entry.aliases));
        }
        if let Some(user) = entry.user {
            expansion.add_local(user);
            return Ok(Vec::new());
        }
        if let Some(base) = address.without_tag() {
            let mut child_path = path.clone();
            child_path.push(address);
            return Ok(vec![Pending {
                text: base.to_string(),
                address: base,
                path: child_path,
                entry: None,
            }]);
        }
        let catch_all = format!("@{}", address.domain);
        let destinations = self.alias_destinations(&catch_all).await?;
        Ok(children(&address, &path, destinations))
    }
}

/// The parseable destinations of `parent`, each with the path extended by `parent`.
fn children(parent: &Address, path: &[Address], destinations: Vec<String>) -> Vec<Pending> {
    let mut child_path = path.to_vec();
    child_path.push(parent.clone());
    destinations
        .into_iter()
        .map(|d| match d.strip_prefix('@') {
            // Postfix's result rewriting: `@other` means the same local part there.
            Some(domain) => format!("{}@{domain}", parent.local),
            None => d,
        })
        .filter_map(|text| match Address::parse(&text) {
            Ok(address) => Some(Pending {
                text,
                address,
                path: child_path.clone(),
                entry: None,
            }),
            Err(e) => {
                tracing::warn!(alias = %parent, destination = %text, "ignoring alias destination: {e}");
                None
            }
        })
        .collect()
}

fn limit(recipient: &str, limit: &'static str) -> DirectoryError {
    DirectoryError::ExpansionLimit {
        address: recipient.to_owned(),
        limit,
    }
}
