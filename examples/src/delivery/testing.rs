//! A table resolver and a delivery over it, for tests of delivery and the sessions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::{Delivery, InboxOnly, Resolver};
use crate::directory::{DirectoryError, LocalUser, Resolution};

/// Resolves from a table; every address of `example.test` not in the table is caught
/// by a catch-all that forwards off-site, so a relay trick that reached the resolver
/// would come back as a remote forward instead of a refusal.
pub(crate) struct Table {
    entries: HashMap<String, Resolution>,
    /// Every address looked up, in order.
    pub(crate) asked: Mutex<Vec<String>>,
}

impl Resolver for Table {
    async fn resolve(&self, recipient: &str) -> Result<Resolution, DirectoryError> {
        self.asked.lock().unwrap().push(recipient.to_owned());
        if !recipient.ends_with("@example.test") {
            return Ok(Resolution::NotLocalDomain);
        }
        Ok(self
            .entries
            .get(recipient)
            .cloned()
            .unwrap_or_else(|| Resolution::Found {
                local: Vec::new(),
                remote: vec![format!("catchall@elsewhere.example")],
            }))
    }
}

pub(crate) fn user(vmail: &Path, name: &str, quota: Option<u64>) -> LocalUser {
    LocalUser {
        email: format!("{name}@example.test"),
        maildir: vmail.join("example.test").join(name).join("Maildir"),
        quota,
    }
}

/// A delivery for `pat`, `team` (an alias of pat), `full` (quota 10 bytes), `nobody`
/// (unknown) and `fwd` (pat and an off-site address), all `@example.test`.
pub(crate) fn delivery(vmail: &Path) -> Delivery<Table> {
    let pat = user(vmail, "pat", None);
    let full = user(vmail, "full", Some(10));
    let found = |local: Vec<LocalUser>| Resolution::Found {
        local,
        remote: Vec::new(),
    };
    let entries = HashMap::from([
        ("pat@example.test".to_owned(), found(vec![pat.clone()])),
        ("team@example.test".to_owned(), found(vec![pat.clone()])),
        ("full@example.test".to_owned(), found(vec![full])),
        ("nobody@example.test".to_owned(), Resolution::Unknown),
        (
            "fwd@example.test".to_owned(),
            Resolution::Found {
                local: vec![pat],
                remote: vec!["someone@elsewhere.example".to_owned()],
            },
        ),
    ]);
    let table = Table {
        entries,
        asked: Mutex::new(Vec::new()),
    };
    Delivery::new(
        table,
        Arc::new(InboxOnly),
        "mx.example.test",
        vmail.to_owned(),
    )
}
