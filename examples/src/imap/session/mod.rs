//! One IMAP connection: answers the machine's events.
//!
//! Every command that touches the Maildir runs on the blocking pool: the session's
//! [`Mail`] (the user's store, the selected mailbox, the SEARCHRES result) moves into
//! the task and back, and the command is a plain function from `Mail` to a [`Reply`]
//! (untagged responses and the tagged status). After each command the selected
//! mailbox is refreshed and what others changed is reported ([`updates`]), with
//! EXPUNGE only where RFC 9051 section 7.5.1 allows it. A FETCH that carries much
//! message data answers in batches ([`Flow::Resume`]), so the written responses never
//! pile up.

mod append;
mod convert;
mod copy;
mod fetch;
mod id;
mod login;
mod mailboxes;
mod quota;
mod search;
mod select;
mod sets;
mod store;
mod updates;

use std::sync::Arc;

use imap_proto::server::{Event, Server, Status};
use imap_proto::types::{Capability, Code, Command, CommandBody, Tag, Untagged};
use tokio::sync::watch;
use tracing::warn;

use super::Shared;
use super::mailbox::{Selected, StoreError, UserStore};
use crate::listen::{Flow, Peer, Session};
use crate::login::SaslExchange;

/// What a logged-in session works on; moved to the blocking pool for each command.
struct Mail {
    /// The user's Maildir.
    store: UserStore,
    /// The selected mailbox.
    selected: Option<Selected>,
    /// The result saved by `SEARCH RETURN (SAVE)` (RFC 5182), as UIDs.
    saved: Vec<u32>,
    /// A FETCH answered in batches.
    fetch: Option<fetch::Job>,
    /// The selected mailbox was deleted, renamed or got a new UIDVALIDITY: the
    /// session must end (as Dovecot ends it).
    lost: bool,
}

impl Mail {
    fn new(store: UserStore) -> Self {
        Self {
            store,
            selected: None,
            saved: Vec::new(),
            fetch: None,
            lost: false,
        }
    }
}

/// How the client asked to be answered, read from the machine before each command.
#[derive(Debug, Clone, Copy, Default)]
struct Mode {
    /// IMAP4rev2 semantics (ENABLE IMAP4rev2): no `\Recent`, ESEARCH, LIST in SELECT.
    rev2: bool,
    /// Mailbox names and strings in UTF-8 (IMAP4rev2 or UTF8=ACCEPT).
    utf8: bool,
    /// CONDSTORE is enabled: MODSEQ in flag updates (RFC 7162 section 3.1).
    condstore: bool,
    /// QRESYNC is enabled: VANISHED instead of EXPUNGE.
    qresync: bool,
    /// An EXPUNGE may be sent now (RFC 9051 section 7.5.1).
    expunge_ok: bool,
}

/// The answer to a command: untagged responses, then the tagged status.
#[derive(Debug)]
struct Reply {
    responses: Vec<Untagged<'static>>,
    status: Status,
    /// More responses follow in a later batch (FETCH).
    more: bool,
}

impl Reply {
    fn new(status: Status) -> Self {
        Self {
            responses: Vec::new(),
            status,
            more: false,
        }
    }

    fn with(responses: Vec<Untagged<'static>>, status: Status) -> Self {
        Self {
            responses,
            status,
            more: false,
        }
    }
}

/// `NO` with a response code.
fn no(code: Code<'static>, text: &str) -> Status {
    Status::no(text).with_code(code)
}

/// The tagged `NO` for a failed store operation.
fn store_failure(e: &StoreError) -> Status {
    match e {
        StoreError::NoSuchMailbox => no(Code::NonExistent, "Mailbox does not exist"),
        StoreError::AlreadyExists => no(Code::AlreadyExists, "Mailbox already exists"),
        StoreError::NoSuchMessage => no(
            Code::ExpungeIssued,
            "Some of the requested messages no longer exist",
        ),
        StoreError::OverQuota => no(Code::OverQuota, "Quota exceeded"),
        StoreError::Invalid(reason) => no(Code::Cannot, reason),
        other => {
            warn!("imap: mail store failure: {other}");
            no(Code::ServerBug, "Internal error, try again later")
        }
    }
}

/// One IMAP connection.
pub(crate) struct ImapSession {
    shared: Arc<Shared>,
    peer: Peer,
    /// The SASL exchange in progress.
    sasl: Option<SaslExchange>,
    /// The logged-in user's mail; `None` before login (and while a command runs).
    mail: Option<Box<Mail>>,
    /// CONDSTORE was enabled by a command that uses it (RFC 7162 section 3.1).
    condstore_used: bool,
    /// The client is in IDLE; changes of the selected mailbox are pushed.
    idling: bool,
    /// What wakes an IDLE: the selected mailbox's change channel.
    watch: Option<watch::Receiver<u64>>,
    /// The APPEND being received.
    upload: Option<append::Upload>,
    /// A FETCH is being answered in batches.
    fetching: bool,
}

impl ImapSession {
    pub(crate) fn new(shared: Arc<Shared>, peer: Peer) -> Self {
        Self {
            shared,
            peer,
            sasl: None,
            mail: None,
            condstore_used: false,
            idling: false,
            watch: None,
            upload: None,
            fetching: false,
        }
    }

    /// The answering mode as the machine sees it now.
    fn mode(&self, machine: &Server) -> Mode {
        let qresync = machine.is_enabled(&Capability::QResync);
        Mode {
            rev2: machine.is_rev2(),
            utf8: machine.utf8_enabled(),
            condstore: qresync || self.condstore_used || machine.is_enabled(&Capability::CondStore),
            qresync,
            expunge_ok: machine.may_send_expunge(),
        }
    }

    /// Runs `work` on the user's mail on the blocking pool. `None` when nobody is logged
    /// in, or when the task failed (the session is then closed: its state is lost).
    async fn with_mail<T: Send + 'static>(
        &mut self,
        machine: &mut Server,
        work: impl FnOnce(&mut Mail) -> T + Send + 'static,
    ) -> Option<T> {
        let mut mail = self.mail.take()?;
        let task = tokio::task::spawn_blocking(move || {
            let out = work(&mut mail);
            (mail, out)
        });
        match task.await {
            Ok((mail, out)) => {
                self.mail = Some(mail);
                Some(out)
            }
            Err(e) => {
                warn!("imap: session={} command failed: {e}", self.peer.id);
                machine.close("Internal server error");
                None
            }
        }
    }

    /// Sends a command's responses; completes it unless more batches follow.
    fn send_reply(&mut self, machine: &mut Server, reply: Reply) -> Flow {
        for response in reply.responses {
            if machine.send_untagged(response).is_err() {
                break;
            }
        }
        if reply.more {
            self.fetching = true;
            return Flow::Resume;
        }
        self.fetching = false;
        let _ = machine.complete(reply.status);
        self.close_if_lost(machine);
        Flow::Done
    }

    /// Ends the session when the selected mailbox is gone.
    fn close_if_lost(&mut self, machine: &mut Server) {
        if self.mail.as_ref().is_some_and(|m| m.lost) {
            machine.close("Selected mailbox was deleted or renamed, have to disconnect");
        }
    }

    async fn on_command(&mut self, machine: &mut Server, command: Command<'static>) -> Flow {
        let Command { tag, body } = command;
        match body {
            CommandBody::Login { username, password } => {
                login::login(self, machine, &username, password.expose().as_bytes()).await;
                return Flow::Done;
            }
            CommandBody::Id(params) => {
                let reply = id::id(&self.peer, params.as_deref());
                return self.send_reply(machine, reply);
            }
            _ => {}
        }
        if self.mail.is_none() {
            let _ = machine.complete(Status::bad("Not logged in"));
            return Flow::Done;
        }
        if uses_condstore(&body) {
            self.condstore_used = true;
        }
        let mode = self.mode(machine);
        let reply = self
            .with_mail(machine, move |mail| execute(mail, mode, &tag, body))
            .await;
        match reply {
            Some(reply) => self.send_reply(machine, reply),
            None => Flow::Done,
        }
    }

    /// Pushes what others changed in the selected mailbox (NOOP, IDLE, the driver's
    /// update hook).
    async fn push_updates(&mut self, machine: &mut Server) {
        if self.mail.as_ref().is_none_or(|m| m.selected.is_none()) || machine.is_closed() {
            return;
        }
        let mode = self.mode(machine);
        let responses = self
            .with_mail(machine, move |mail| {
                let mut out = Vec::new();
                updates::collect(mail, mode, &mut out);
                out
            })
            .await
            .unwrap_or_default();
        for response in responses {
            if machine.push_unsolicited(response).is_err() {
                break;
            }
        }
        self.close_if_lost(machine);
    }

    async fn on_idle_start(&mut self, machine: &mut Server) {
        self.idling = true;
        self.watch = self
            .mail
            .as_ref()
            .and_then(|m| m.selected.as_ref())
            .map(Selected::watch);
        if let Some(watch) = &mut self.watch {
            watch.borrow_and_update();
        }
        self.push_updates(machine).await;
    }
}

/// Whether a command enables CONDSTORE by using it (RFC 7162 section 3.1).
fn uses_condstore(body: &CommandBody<'_>) -> bool {
    use imap_proto::types::{FetchAttribute, FetchItems, StatusAttribute};
    match body {
        CommandBody::Select { params, .. } | CommandBody::Examine { params, .. } => {
            params.condstore || params.qresync.is_some()
        }
        CommandBody::Status { items, .. } => items.contains(&StatusAttribute::HighestModSeq),
        CommandBody::Fetch {
            items, modifiers, ..
        } => {
            modifiers.changed_since.is_some()
                || matches!(items, FetchItems::Attributes(list)
                    if list.contains(&FetchAttribute::ModSeq))
        }
        CommandBody::Store {
            unchanged_since, ..
        } => unchanged_since.is_some(),
        CommandBody::Search(s) => search::uses_modseq(&s.criteria),
        CommandBody::Sort(s) => search::uses_modseq(&s.search),
        CommandBody::Thread(t) => search::uses_modseq(&t.search),
        _ => false,
    }
}

/// Runs one command on the blocking pool; adds the selected mailbox's updates.
fn execute(mail: &mut Mail, mode: Mode, tag: &Tag<'static>, body: CommandBody<'static>) -> Reply {
    use CommandBody as C;
    let mut reply = match body {
        C::Select { mailbox, params } => select::select(mail, mode, &mailbox, &params, false),
        C::Examine { mailbox, params } => select::select(mail, mode, &mailbox, &params, true),
        C::Create {
            mailbox,
            special_use,
        } => mailboxes::create(mail, mode, &mailbox, &special_use),
        C::Delete(mailbox) => mailboxes::delete(mail, mode, &mailbox),
        C::Rename { from, to } => mailboxes::rename(mail, mode, &from, &to),
        C::Subscribe(mailbox) => mailboxes::subscribe(mail, mode, &mailbox, true),
        C::Unsubscribe(mailbox) => mailboxes::subscribe(mail, mode, &mailbox, false),
        C::List(list) => mailboxes::list(mail, mode, &list),
        C::Lsub { reference, pattern } => mailboxes::lsub(mail, mode, &reference, &pattern),
        C::Namespace => mailboxes::namespace(),
        C::Status { mailbox, items } => mailboxes::status(mail, mode, &mailbox, &items),
        C::Check => Reply::new(Status::ok("CHECK completed")),
        C::Close => select::close(mail),
        C::Unselect => select::unselect(mail),
        C::Expunge => store::expunge(mail, mode, None),
        C::UidExpunge(set) => store::expunge(mail, mode, Some(&set)),
        C::Search(s) => search::search(mail, mode, tag, &s),
        C::Sort(s) => search::sort(mail, mode, &s),
        C::Thread(t) => search::thread(mail, mode, &t),
        C::Fetch {
            uid,
            set,
            items,
            modifiers,
        } => fetch::start(mail, mode, uid, &set, &items, modifiers),
        C::Store {
            uid,
            set,
            unchanged_since,
            action,
            silent,
            flags,
        } => store::store(
            mail,
            mode,
            store::Request {
                uid,
                set: &set,
                unchanged_since,
                action,
                silent,
                flags: &flags,
            },
        ),
        C::Copy { uid, set, mailbox } => copy::copy(mail, mode, uid, &set, &mailbox, false),
        C::Move { uid, set, mailbox } => copy::copy(mail, mode, uid, &set, &mailbox, true),
        C::GetQuota(root) => quota::get_quota(mail, &root),
        C::GetQuotaRoot(mailbox) => quota::get_quota_root(mail, mode, &mailbox),
        C::SetQuota { .. } => Reply::new(no(
            Code::NoPerm,
            "Quotas are set in the user directory, not over IMAP",
        )),
        C::Append { .. } => Reply::new(Status::bad("APPEND is streamed")),
        other => Reply::new(Status::bad(format!(
            "{} is not expected here",
            other.name()
        ))),
    };
    if !reply.more {
        updates::collect(mail, mode, &mut reply.responses);
    }
    reply
}

impl Session<Server> for ImapSession {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Command(command) => return self.on_command(machine, command).await,
            Event::Noop { .. } => self.push_updates(machine).await,
            Event::Authenticate {
                mechanism,
                initial_response,
                ..
            } => {
                let initial = initial_response.map(|r| r.0);
                login::authenticate(self, machine, &mechanism, initial.as_deref()).await;
            }
            Event::AuthResponse(data) => login::auth_response(self, machine, &data.0).await,
            Event::AuthCancelled => self.sasl = None,
            Event::Literal { .. } => {
                // Every literal within the limits is welcome.
                let _ = machine.accept_literal();
            }
            Event::AppendMessage(info) => append::message(self, machine, info).await,
            Event::AppendChunk(chunk) => append::chunk(self, &chunk).await,
            Event::AppendEnd { .. } => append::end(self, machine).await,
            Event::AppendAborted => self.upload = None,
            Event::IdleStart => self.on_idle_start(machine).await,
            Event::IdleDone => {
                self.idling = false;
                self.watch = None;
            }
            Event::Compress { .. } => {
                // rustls never compresses, so DEFLATE is always welcome.
                let _ = machine.accept_compression();
            }
            // StartTls, StartCompression and Closed are handled by the driver.
            _ => {}
        }
        Flow::Done
    }

    async fn resume(&mut self, machine: &mut Server) -> Flow {
        let mode = self.mode(machine);
        let reply = self
            .with_mail(machine, move |mail| {
                let mut reply = fetch::resume(mail, mode);
                if !reply.more {
                    updates::collect(mail, mode, &mut reply.responses);
                }
                reply
            })
            .await;
        match reply {
            Some(reply) => self.send_reply(machine, reply),
            None => Flow::Done,
        }
    }

    fn is_idle(&self) -> bool {
        self.upload.is_none() && !self.fetching
    }

    fn wait_update(&mut self) -> Option<watch::Receiver<u64>> {
        if self.idling {
            self.watch.clone()
        } else {
            None
        }
    }

    async fn on_update(&mut self, machine: &mut Server) {
        if !self.idling {
            return;
        }
        if let Some(watch) = &mut self.watch {
            watch.borrow_and_update();
        }
        self.push_updates(machine).await;
    }
}
