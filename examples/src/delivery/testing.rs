//! A table resolver and a delivery over it, and a queue in a temporary directory, for
//! tests of delivery and the sessions.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::dispatch::Dispatcher;
use super::{Delivery, Envelope, Filter, InboxOnly, Resolver, Spooled};
use crate::directory::{DirectoryError, LocalUser, Resolution};
use crate::filter::SieveDecision;
use crate::queue::{Queue, QueueConfig};

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

    async fn is_local_domain(&self, domain: &str) -> Result<bool, DirectoryError> {
        Ok(domain.eq_ignore_ascii_case("example.test"))
    }
}

pub(crate) fn user(vmail: &Path, name: &str, quota: Option<u64>) -> LocalUser {
    LocalUser {
        email: format!("{name}@example.test"),
        maildir: vmail.join("example.test").join(name).join("Maildir"),
        quota,
    }
}

/// A filter that always decides the same, and remembers what it was asked.
pub(crate) struct Fixed {
    decision: SieveDecision,
    /// `recipient mailbox-address` per decision, in order.
    pub(crate) asked: Mutex<Vec<String>>,
}

impl Fixed {
    /// A filter deciding `decision` for every mailbox.
    pub(crate) fn new(decision: SieveDecision) -> Arc<Self> {
        Arc::new(Self {
            decision,
            asked: Mutex::new(Vec::new()),
        })
    }
}

impl Filter for Fixed {
    fn decide(
        &self,
        _envelope: &Envelope,
        recipient: &str,
        mailbox: &LocalUser,
        _body: &Spooled,
    ) -> SieveDecision {
        self.asked
            .lock()
            .unwrap()
            .push(format!("{recipient} {}", mailbox.email));
        self.decision.clone()
    }
}

/// A delivery for `pat`, `team` (an alias of pat), `full` (quota 10 bytes), `nobody`
/// (unknown) and `fwd` (pat and an off-site address), all `@example.test`.
pub(crate) fn delivery(vmail: &Path) -> Delivery<Table> {
    delivery_with(vmail, Arc::new(InboxOnly))
}

/// [`delivery`] through `filter`.
pub(crate) fn delivery_with(vmail: &Path, filter: Arc<dyn Filter>) -> Delivery<Table> {
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
    Delivery::new(table, filter, "mx.example.test", vmail.to_owned())
}

/// A queue in `<dir>/queue`.
pub(crate) fn queue(dir: &Path) -> Arc<Queue> {
    let config = QueueConfig {
        dir: dir.join("queue"),
        ..QueueConfig::default()
    };
    Arc::new(Queue::open(&config).expect("open the test queue"))
}

/// [`delivery`] and [`queue`] in `dir` together.
pub(crate) fn dispatcher(dir: &Path) -> (Arc<Dispatcher<Table>>, Arc<Queue>) {
    let queue = queue(dir);
    let dispatcher = Dispatcher::new(Arc::new(delivery(dir)), Arc::clone(&queue));
    (Arc::new(dispatcher), queue)
}

/// A message as the queue holds it, for assertions.
#[derive(Debug)]
pub(crate) struct Queued {
    /// The envelope sender (`""` for `<>`).
    pub(crate) sender: String,
    /// Each recipient as `address notify=... orcpt=type;address`.
    pub(crate) recipients: Vec<String>,
    /// `ENVID=`.
    pub(crate) envid: Option<String>,
    /// `RET=`, as `Full` or `Hdrs`.
    pub(crate) ret: Option<String>,
    /// 8-bit content.
    pub(crate) eight_bit: bool,
    /// `SMTPUTF8`.
    pub(crate) smtputf8: bool,
    /// The stored content (trace headers and message).
    pub(crate) content: String,
}

/// Every message in `queue`, oldest first.
pub(crate) fn queued(queue: &Queue) -> Vec<Queued> {
    let store = crate::queue::store::Store::new(queue.dir());
    crate::queue::inspect::messages(queue.dir())
        .expect("read the queue")
        .into_iter()
        .map(|state| Queued {
            content: String::from_utf8_lossy(
                &std::fs::read(store.message_path(&state.id)).expect("queued content"),
            )
            .into_owned(),
            recipients: state
                .recipients
                .iter()
                .map(|r| {
                    let mut text = r.address.clone();
                    if let Some(notify) = &r.notify {
                        text.push_str(&format!(" notify={notify}"));
                    }
                    if let (Some(kind), Some(orcpt)) = (&r.orcpt_type, &r.orcpt) {
                        text.push_str(&format!(" orcpt={kind};{orcpt}"));
                    }
                    text
                })
                .collect(),
            sender: state.sender,
            envid: state.envid,
            ret: state.ret.map(|r| format!("{r:?}")),
            eight_bit: state.eight_bit,
            smtputf8: state.smtputf8,
        })
        .collect()
}

/// The messages in the INBOX of the Maildir at `path`, in UID order (none if it does
/// not exist).
pub(crate) fn inbox_texts(path: &Path) -> Vec<String> {
    use std::io::Read;

    let Ok(store) = maildir::Maildir::open(path) else {
        return Vec::new();
    };
    let inbox = store.inbox().expect("INBOX");
    let mut uids: Vec<u32> = inbox
        .sync()
        .expect("sync")
        .messages
        .iter()
        .map(|m| m.uid)
        .collect();
    uids.sort_unstable();
    uids.iter()
        .map(|&uid| {
            let mut text = String::new();
            inbox
                .open_message(uid)
                .expect("message")
                .read_to_string(&mut text)
                .expect("read");
            text
        })
        .collect()
}
