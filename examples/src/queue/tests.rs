//! Queue tests: a scripted fake transport, a manual clock (nothing sleeps), and crash
//! leftovers built by hand.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mail_parser::{MessageParser, MimeHeaders, PartType};
use smtp_proto::types::{Notify, Ret};

use super::state::{MessageState, RecipientStatus};
use super::*;
use crate::delivery::{BoxFuture, SpoolWriter};
use crate::outbound::{OutboundMessage, Outcome, Progress, Status, Transport};

const T0: u64 = 1_750_000_000;

/// A clock that moves only when told.
struct ManualClock(Mutex<SystemTime>);

impl ManualClock {
    fn new() -> Arc<Self> {
        Arc::new(Self(Mutex::new(UNIX_EPOCH + Duration::from_secs(T0))))
    }

    fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    fn secs(&self) -> u64 {
        unix_secs(self.now())
    }
}

impl Clock for ManualClock {
    fn now(&self) -> SystemTime {
        *self.0.lock().unwrap()
    }
}

/// One transport call as the fake saw it.
#[derive(Debug, Clone)]
struct Call {
    domain: String,
    /// Per message: (id, sender, recipient addresses, content).
    messages: Vec<(String, String, Vec<String>, Vec<u8>)>,
}

/// Answers from a script per recipient address (then `Delivered`), logs every call.
#[derive(Default)]
struct FakeTransport {
    script: Mutex<HashMap<String, VecDeque<Outcome>>>,
    calls: Mutex<Vec<Call>>,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

fn outcome(status: Status, code: &str, diagnostic: &str) -> Outcome {
    Outcome {
        status,
        code: code.to_owned(),
        remote: Some("mx.remote.test [192.0.2.9]".to_owned()),
        diagnostic: diagnostic.to_owned(),
    }
}

fn deferred() -> Outcome {
    outcome(Status::Deferred, "4.7.1", "451 4.7.1 try again later")
}

fn failed() -> Outcome {
    outcome(Status::Failed, "5.1.1", "550 5.1.1 <x>: no such user")
}

fn delivered() -> Outcome {
    outcome(Status::Delivered, "2.0.0", "250 2.0.0 Ok: queued as 4F2")
}

impl FakeTransport {
    fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    fn script(&self, address: &str, outcomes: impl IntoIterator<Item = Outcome>) {
        self.script
            .lock()
            .unwrap()
            .entry(address.to_owned())
            .or_default()
            .extend(outcomes);
    }

    fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    fn next_outcome(&self, address: &str) -> Outcome {
        self.script
            .lock()
            .unwrap()
            .get_mut(address)
            .and_then(VecDeque::pop_front)
            .unwrap_or_else(delivered)
    }
}

impl Transport for FakeTransport {
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
            self.max_in_flight.fetch_max(now, Ordering::SeqCst);
            // Let other deliveries start, so a missing concurrency limit would show.
            for _ in 0..5 {
                tokio::task::yield_now().await;
            }
            let mut seen = Vec::new();
            for (index, m) in messages.iter().enumerate() {
                let content = std::fs::read(m.body).expect("message file readable");
                assert_eq!(content.len() as u64, m.size);
                let rcpts: Vec<String> = m.recipients.iter().map(|r| r.address.clone()).collect();
                assert!(
                    rcpts
                        .iter()
                        .all(|r| r.to_ascii_lowercase().ends_with(&format!("@{domain}")))
                );
                progress.settle(index, rcpts.iter().map(|r| self.next_outcome(r)).collect());
                seen.push((m.id.to_owned(), m.sender.to_owned(), rcpts, content));
            }
            self.calls.lock().unwrap().push(Call {
                domain: domain.to_owned(),
                messages: seen,
            });
            self.in_flight.fetch_sub(1, Ordering::SeqCst);
        })
    }
}

struct Fixture {
    _tmp: tempfile::TempDir,
    dir: PathBuf,
    clock: Arc<ManualClock>,
    queue: Arc<Queue>,
    transport: Arc<FakeTransport>,
}

fn config(dir: &Path) -> QueueConfig {
    QueueConfig {
        dir: dir.to_owned(),
        ..QueueConfig::default()
    }
}

impl Fixture {
    fn new() -> Self {
        Self::with(|_| {})
    }

    fn with(adjust: impl FnOnce(&mut QueueConfig)) -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("queue");
        let mut config = config(&dir);
        adjust(&mut config);
        let clock = ManualClock::new();
        let queue = Arc::new(open_with(&config, &clock));
        Self {
            _tmp: tmp,
            dir,
            clock,
            queue,
            transport: FakeTransport::new(),
        }
    }

    /// Drops the queue (all the process knew, as a kill would) and opens it again.
    fn reopen(self) -> Self {
        let config = self.queue.config.clone();
        drop(self.queue);
        Self {
            queue: Arc::new(open_with(&config, &self.clock)),
            ..self
        }
    }

    async fn enqueue(&self, message: NewMessage, body: &[u8]) -> QueueId {
        let spool = spooled(self.dir.parent().unwrap(), body).await;
        self.queue
            .enqueue(message, b"Received: by test;\r\n", &spool)
            .await
            .unwrap()
    }

    async fn deliver_due(&self) {
        let transport: Arc<dyn Transport> = self.transport.clone();
        self.queue.deliver_due(&transport).await;
    }

    fn ids(&self) -> Vec<String> {
        Store::new(&self.dir).ids().unwrap()
    }

    fn state(&self, id: &str) -> MessageState {
        Store::new(&self.dir).read_state(id).unwrap()
    }

    /// The DSNs in the queue (null sender), parsed.
    fn dsns(&self) -> Vec<(MessageState, Vec<u8>)> {
        let store = Store::new(&self.dir);
        self.ids()
            .into_iter()
            .map(|id| store.read_state(&id).unwrap())
            .filter(|s| s.sender.is_empty())
            .map(|s| {
                let content = std::fs::read(store.message_path(&s.id)).unwrap();
                (s, content)
            })
            .collect()
    }
}

fn open_with(config: &QueueConfig, clock: &Arc<ManualClock>) -> Queue {
    let clock: Arc<dyn Clock> = clock.clone();
    Queue::open(config)
        .unwrap()
        .with_hostname("mail.postroom.test")
        .with_clock(clock)
}

async fn spooled(dir: &Path, body: &[u8]) -> Spooled {
    let mut writer = SpoolWriter::create(dir);
    writer.write(body).await.unwrap();
    writer.finish().await.unwrap()
}

const BODY: &[u8] = b"From: Ann <ann@origin.test>\r\nTo: bob@a.test\r\nSubject: hello\r\n\
Message-ID: <m1@origin.test>\r\n\r\nHello Bob,\r\nsee you.\r\n";

fn rcpt(address: &str) -> OutboundRecipient {
    OutboundRecipient {
        address: address.to_owned(),
        notify: None,
        orcpt: None,
    }
}

fn message(recipients: &[&str]) -> NewMessage {
    NewMessage {
        sender: "ann@origin.test".to_owned(),
        recipients: recipients.iter().map(|r| rcpt(r)).collect(),
        envid: None,
        ret: None,
        eight_bit: false,
        smtputf8: false,
    }
}

fn notify(success: bool, failure: bool, delay: bool) -> Option<Notify> {
    Some(Notify::On {
        success,
        failure,
        delay,
    })
}

// ---- enqueue and the files -------------------------------------------------------

#[tokio::test]
async fn enqueue_stores_content_and_envelope_durably() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@b.test"]);
    m.envid = Some("ENV-1".into());
    m.ret = Some(Ret::Headers);
    m.eight_bit = true;
    m.recipients[0].notify = notify(true, true, false);
    m.recipients[0].orcpt = Some(("rfc822".into(), "Bob@A.test".into()));
    let id = f.enqueue(m, BODY).await;
    let store = Store::new(&f.dir);
    let content = std::fs::read(store.message_path(id.as_str())).unwrap();
    assert_eq!(
        content,
        [b"Received: by test;\r\n".as_slice(), BODY].concat()
    );
    let state = f.state(id.as_str());
    assert_eq!(state.sender, "ann@origin.test");
    assert_eq!(state.arrival, T0);
    assert_eq!(state.size, content.len() as u64);
    assert_eq!(state.envid.as_deref(), Some("ENV-1"));
    assert_eq!(state.ret, Some(state::RetParam::Hdrs));
    assert!(state.eight_bit && !state.smtputf8);
    let bob = &state.recipients[0];
    assert_eq!(bob.notify.as_deref(), Some("success,failure"));
    assert_eq!(bob.orcpt.as_deref(), Some("Bob@A.test"));
    assert_eq!(
        (bob.status, bob.attempts, bob.next_attempt),
        (RecipientStatus::Pending, 0, T0)
    );
    // Nothing half-written is left, and the state file is readable TOML.
    assert_eq!(std::fs::read_dir(f.dir.join("tmp")).unwrap().count(), 0);
    let text = std::fs::read_to_string(store.state_path(id.as_str())).unwrap();
    assert!(text.contains("status = \"pending\""), "{text}");
    // Round trip of the parameters the transport gets back.
    assert_eq!(bob.outbound().notify, notify(true, true, false));
    assert_eq!(
        bob.outbound().orcpt,
        Some(("rfc822".to_owned(), "Bob@A.test".to_owned()))
    );
}

#[tokio::test]
async fn enqueue_refuses_unusable_envelopes() {
    let f = Fixture::new();
    let spool = spooled(&f.dir, BODY).await;
    for bad in [
        message(&[]),
        message(&["bob@a.test\r\nRCPT TO:<x@y>"]),
        message(&[""]),
    ] {
        let e = f.queue.enqueue(bad, b"", &spool).await.unwrap_err();
        assert!(matches!(e, QueueError::Invalid(_)), "{e}");
    }
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn messages_survive_a_restart_and_ids_are_unique() {
    let f = Fixture::new();
    let a = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let b = f.enqueue(message(&["bob@a.test"]), BODY).await;
    assert_ne!(a, b);
    let f = f.reopen();
    assert_eq!(f.ids(), {
        let mut ids = vec![a.to_string(), b.to_string()];
        ids.sort();
        ids
    });
    f.deliver_due().await;
    assert_eq!(f.transport.calls()[0].messages.len(), 2);
    assert!(f.ids().is_empty());
}

// ---- crash leftovers ---------------------------------------------------------------

/// A state file as enqueue writes it, for building leftovers by hand.
fn state_for(id: &str, size: u64) -> MessageState {
    MessageState {
        version: state::FORMAT_VERSION,
        id: id.to_owned(),
        sender: "ann@origin.test".to_owned(),
        arrival: T0,
        size,
        envid: None,
        ret: None,
        eight_bit: false,
        smtputf8: false,
        recipients: vec![RecipientState::new(&rcpt("bob@a.test"), T0)],
    }
}

#[tokio::test]
async fn recovery_handles_every_crash_leftover() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("queue");
    let store = Store::new(&dir);
    store.create_dirs().unwrap();
    let messages = dir.join("messages");
    // 1. Killed while writing the content: a temp file only.
    std::fs::write(dir.join("tmp/AAAA.1.0.msg"), b"From: half").unwrap();
    // 2. Killed after the content was renamed, before the state: never acknowledged.
    std::fs::write(messages.join("BBBB.msg"), BODY).unwrap();
    // 3. Killed while replacing a state file: the old state and a temp of the new one.
    let mut c = state_for("CCCC", BODY.len() as u64);
    std::fs::write(messages.join("CCCC.msg"), BODY).unwrap();
    store.write_state(&c).unwrap();
    c.recipients[0].attempts = 7;
    std::fs::write(dir.join("tmp/CCCC.1.1.state"), toml::to_string(&c).unwrap()).unwrap();
    // 4. Killed while removing a finished message: its state is gone, the content not.
    std::fs::write(messages.join("DDDD.msg"), BODY).unwrap();
    // 5. A complete message (acknowledged).
    std::fs::write(messages.join("EEEE.msg"), BODY).unwrap();
    store
        .write_state(&state_for("EEEE", BODY.len() as u64))
        .unwrap();
    // 6. Damage from outside: a state without content, and an unreadable state.
    store.write_state(&state_for("FFFF", 10)).unwrap();
    std::fs::write(messages.join("GGGG.msg"), BODY).unwrap();
    std::fs::write(messages.join("GGGG.state"), b"version = 1\nid = \"GG").unwrap();
    // 7. The control socket of a killed server.
    drop(std::os::unix::net::UnixListener::bind(store.socket_path()).unwrap());
    assert!(store.socket_path().exists());

    let clock = ManualClock::new();
    let queue = Arc::new(open_with(&config(&dir), &clock));
    assert_eq!(store.ids().unwrap(), ["CCCC", "EEEE"]);
    assert_eq!(std::fs::read_dir(dir.join("tmp")).unwrap().count(), 0);
    for gone in [
        "BBBB.msg",
        "DDDD.msg",
        "FFFF.state",
        "GGGG.state",
        "GGGG.msg",
    ] {
        assert!(!messages.join(gone).exists(), "{gone}");
    }
    let mut corrupt: Vec<String> = std::fs::read_dir(dir.join("corrupt"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    corrupt.sort();
    assert_eq!(corrupt, ["FFFF.state", "GGGG.msg", "GGGG.state"]);
    // The interrupted update left the old state, and both messages get delivered.
    assert_eq!(store.read_state("CCCC").unwrap().recipients[0].attempts, 0);
    let transport = FakeTransport::new();
    let dyn_transport: Arc<dyn Transport> = transport.clone();
    queue.deliver_due(&dyn_transport).await;
    let calls = transport.calls();
    assert_eq!(calls.len(), 1);
    let ids: Vec<&str> = calls[0].messages.iter().map(|m| m.0.as_str()).collect();
    assert_eq!(ids, ["CCCC", "EEEE"]);
    assert!(store.ids().unwrap().is_empty());
}

/// Settles its first message as delivered, then hangs (a slow remote) until released.
#[derive(Default)]
struct FirstThenHang {
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl Transport for FirstThenHang {
    fn deliver<'a>(
        &'a self,
        _domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            progress.settle(0, vec![delivered(); messages[0].recipients.len()]);
            self.entered.notify_one();
            self.release.notified().await;
        })
    }
}

#[tokio::test]
async fn each_message_is_recorded_while_the_call_goes_on_so_a_kill_resends_only_the_rest() {
    let f = Fixture::new();
    let first = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let second = f.enqueue(message(&["cy@a.test"]), BODY).await;
    let hang = Arc::new(FirstThenHang::default());
    let transport: Arc<dyn Transport> = hang.clone();
    let queue = Arc::clone(&f.queue);
    let run = tokio::spawn(async move { queue.deliver_due(&transport).await });
    hang.entered.notified().await;
    // The first message is finished (its files removed) while the call still runs.
    for _ in 0..500 {
        if f.ids() == [second.to_string()] {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(
        f.ids(),
        [second.to_string()],
        "{first} was not recorded at once"
    );
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    let f = f.reopen();
    f.deliver_due().await;
    let calls = f.transport.calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].messages.len(),
        1,
        "only the unrecorded message: {calls:?}"
    );
    assert_eq!(calls[0].messages[0].2, ["cy@a.test"]);
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn a_message_being_delivered_when_killed_is_retried_and_recorded_results_are_kept() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test", "cy@b.test"]), BODY).await;
    // bob's delivery completes and is recorded; cy's is under way at the kill.
    let gate = Arc::new(Gate::for_domain("b.test"));
    let transport: Arc<dyn Transport> = gate.clone();
    let queue = Arc::clone(&f.queue);
    let run = tokio::spawn(async move { queue.deliver_due(&transport).await });
    gate.entered.notified().await;
    for _ in 0..500 {
        if f.state(id.as_str()).recipients[0].status == RecipientStatus::Delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // The kill: the process and all it had in memory vanish; the files stay.
    run.abort();
    assert!(run.await.unwrap_err().is_cancelled());
    let f = f.reopen();
    let state = f.state(id.as_str());
    assert_eq!(state.recipients[0].status, RecipientStatus::Delivered);
    assert_eq!(state.recipients[1].status, RecipientStatus::Pending);
    assert_eq!(state.recipients[1].attempts, 0);
    f.deliver_due().await;
    let calls = f.transport.calls();
    assert_eq!(calls.len(), 1, "only cy is tried again: {calls:?}");
    assert_eq!(calls[0].messages[0].2, ["cy@b.test"]);
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn a_second_owner_is_refused_while_the_first_lives() {
    let f = Fixture::new();
    let e = Queue::open(&config(&f.dir)).unwrap_err();
    assert!(matches!(e, QueueError::Busy(_)), "{e}");
}

// ---- retries -----------------------------------------------------------------------

#[test]
fn backoff_doubles_from_initial_to_max() {
    let config = QueueConfig::default();
    let minutes: Vec<u64> = (1..=9)
        .map(|n| state::backoff(&config, n).as_secs() / 60)
        .collect();
    assert_eq!(minutes, [5, 10, 20, 40, 80, 160, 240, 240, 240]);
    assert_eq!(state::backoff(&config, u32::MAX), config.retry_max);
}

#[tokio::test]
async fn deferred_recipients_follow_the_backoff_schedule_on_the_clock() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    f.transport
        .script("bob@a.test", std::iter::repeat_n(deferred(), 8));
    let mut gaps = Vec::new();
    for _ in 0..8 {
        f.deliver_due().await;
        let state = f.state(id.as_str());
        let rcpt = &state.recipients[0];
        assert_eq!(rcpt.status, RecipientStatus::Pending);
        assert_eq!(
            rcpt.diagnostic.as_deref(),
            Some("451 4.7.1 try again later")
        );
        let gap = rcpt.next_attempt - f.clock.secs();
        gaps.push(gap / 60);
        // Not due a second early: nothing is sent.
        let calls = f.transport.calls().len();
        f.clock.advance(Duration::from_secs(gap - 1));
        f.deliver_due().await;
        assert_eq!(f.transport.calls().len(), calls);
        f.clock.advance(Duration::from_secs(1));
    }
    assert_eq!(gaps, [5, 10, 20, 40, 80, 160, 240, 240]);
    assert_eq!(f.state(id.as_str()).recipients[0].attempts, 8);
}

#[tokio::test]
async fn a_4xx_then_a_250_delivers_and_removes_the_message() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    f.transport.script("bob@a.test", [deferred()]);
    f.deliver_due().await;
    assert_eq!(f.state(id.as_str()).recipients[0].attempts, 1);
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 1, "not due yet");
    f.clock.advance(Duration::from_secs(300));
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 2);
    assert!(f.ids().is_empty());
    assert!(f.dsns().is_empty(), "no DSN without NOTIFY=SUCCESS");
    let left: Vec<_> = std::fs::read_dir(f.dir.join("messages")).unwrap().collect();
    assert!(left.is_empty());
}

#[tokio::test]
async fn giving_up_after_five_days_bounces_with_the_last_reason() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    f.transport
        .script("bob@a.test", std::iter::repeat_n(deferred(), 100));
    let mut attempts = 0;
    while f.ids().contains(&id.to_string()) {
        f.deliver_due().await;
        attempts += 1;
        assert!(attempts < 60, "never gave up");
        if let Some(next) = f.queue_next(&id) {
            let wait = next.saturating_sub(f.clock.secs());
            f.clock.advance(Duration::from_secs(wait));
        }
    }
    // The last attempt happens exactly at the deadline.
    assert_eq!(f.clock.secs(), T0 + 5 * 86_400);
    let dsns = f.dsns();
    assert_eq!(dsns.len(), 1);
    let report = parse_report(&dsns[0].1);
    assert_eq!(report.recipients[0]["Action"], "failed");
    assert_eq!(report.recipients[0]["Status"], "4.7.1");
    assert!(
        report.recipients[0]["Diagnostic-Code"]
            .starts_with("x-postroom; gave up after 5 days: 451"),
        "{:?}",
        report.recipients[0]
    );
}

impl Fixture {
    fn queue_next(&self, id: &QueueId) -> Option<u64> {
        Store::new(&self.dir)
            .read_state(id.as_str())
            .ok()
            .and_then(|s| s.next_due())
    }
}

// ---- grouping and concurrency ------------------------------------------------------

#[tokio::test]
async fn recipients_are_grouped_by_domain_one_call_each() {
    let f = Fixture::new();
    let one = f
        .enqueue(message(&["bob@a.test", "cy@B.test", "dee@a.test"]), BODY)
        .await;
    let two = f.enqueue(message(&["eve@b.test"]), BODY).await;
    let three = f.enqueue(message(&["fay@a.test"]), BODY).await;
    f.deliver_due().await;
    let mut calls = f.transport.calls();
    calls.sort_by(|a, b| a.domain.cmp(&b.domain));
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[0].domain, "a.test");
    let a: Vec<(String, Vec<String>)> = calls[0]
        .messages
        .iter()
        .map(|m| (m.0.clone(), m.2.clone()))
        .collect();
    assert_eq!(
        a,
        [
            (
                one.to_string(),
                vec!["bob@a.test".into(), "dee@a.test".into()]
            ),
            (three.to_string(), vec!["fay@a.test".into()]),
        ]
    );
    assert_eq!(calls[1].domain, "b.test");
    let b: Vec<(String, Vec<String>)> = calls[1]
        .messages
        .iter()
        .map(|m| (m.0.clone(), m.2.clone()))
        .collect();
    assert_eq!(
        b,
        [
            (one.to_string(), vec!["cy@B.test".into()]),
            (two.to_string(), vec!["eve@b.test".into()]),
        ]
    );
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn at_most_concurrency_domains_at_once() {
    for (limit, expected) in [(1, 1), (3, 3)] {
        let f = Fixture::with(|c| c.concurrency = limit);
        for domain in ["a", "b", "c", "d", "e"] {
            f.enqueue(message(&[&format!("u@{domain}.test")]), BODY)
                .await;
        }
        f.deliver_due().await;
        assert_eq!(f.transport.calls().len(), 5);
        assert_eq!(f.transport.max_in_flight.load(Ordering::SeqCst), expected);
        assert!(f.ids().is_empty());
    }
}

#[tokio::test]
async fn a_short_answer_from_the_transport_defers_the_rest() {
    struct Short;
    impl Transport for Short {
        fn deliver<'a>(
            &'a self,
            _domain: &'a str,
            messages: &'a [OutboundMessage<'a>],
            progress: Progress,
        ) -> BoxFuture<'a, ()> {
            // Settles nothing, and reports a message that does not exist.
            progress.settle(messages.len(), Vec::new());
            Box::pin(async {})
        }
    }
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let transport: Arc<dyn Transport> = Arc::new(Short);
    f.queue.deliver_due(&transport).await;
    let rcpt = f.state(id.as_str()).recipients[0].clone();
    assert_eq!((rcpt.status, rcpt.attempts), (RecipientStatus::Pending, 1));
    assert_eq!(
        rcpt.diagnostic.as_deref(),
        Some("the transport reported no result")
    );
}

// ---- DSNs --------------------------------------------------------------------------

/// The parts of a DSN that tests look at.
struct ParsedReport {
    subject: String,
    to: String,
    human: String,
    per_message: HashMap<String, String>,
    recipients: Vec<HashMap<String, String>>,
    returned_type: String,
    returned: Vec<u8>,
}

/// Parses a DSN with mail-parser and checks its RFC 3464 skeleton.
fn parse_report(raw: &[u8]) -> ParsedReport {
    let message = MessageParser::default().parse(raw).expect("DSN parses");
    let ct = message.content_type().expect("content type");
    assert_eq!(ct.ctype(), "multipart");
    assert_eq!(ct.subtype(), Some("report"));
    assert_eq!(ct.attribute("report-type"), Some("delivery-status"));
    assert_eq!(
        message.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );
    let root = &message.parts[0];
    let PartType::Multipart(children) = &root.body else {
        panic!("not multipart");
    };
    assert_eq!(children.len(), 3);
    let part = |i: usize| &message.parts[children[i] as usize];
    let kind = |i: usize| {
        let ct = part(i).content_type().unwrap();
        format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or(""))
    };
    assert_eq!(kind(0), "text/plain");
    assert_eq!(kind(1), "message/delivery-status");
    let human = part(0).text_contents().unwrap().to_owned();
    let status = String::from_utf8(part(1).contents().to_vec()).unwrap();
    let mut groups = status
        .split("\r\n\r\n")
        .filter(|g| !g.trim().is_empty())
        .map(|group| {
            group
                .lines()
                .map(|line| {
                    let (k, v) = line.split_once(": ").expect("field: value");
                    (k.to_owned(), v.to_owned())
                })
                .collect::<HashMap<_, _>>()
        });
    let per_message = groups.next().unwrap();
    let recipients: Vec<_> = groups.collect();
    let returned_type = kind(2);
    let returned = match &part(2).body {
        PartType::Message(m) => m.raw_message().to_vec(),
        _ => part(2).contents().to_vec(),
    };
    ParsedReport {
        subject: message.subject().unwrap_or("").to_owned(),
        to: message.header_raw("To").unwrap_or("").trim().to_owned(),
        human,
        per_message,
        recipients,
        returned_type,
        returned,
    }
}

#[tokio::test]
async fn a_5xx_bounces_with_an_rfc3464_report_to_the_sender() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@a.test"]);
    m.envid = Some("QQ314159".into());
    m.recipients[0].orcpt = Some(("rfc822".into(), "Bob@a.test".into()));
    let id = f.enqueue(m, BODY).await;
    f.transport.script("bob@a.test", [failed()]);
    f.deliver_due().await;
    // The original is done (cy delivered, bob failed); only the DSN remains.
    let dsns = f.dsns();
    assert_eq!(f.ids().len(), 1);
    assert_eq!(dsns.len(), 1);
    let (envelope, raw) = &dsns[0];
    assert_eq!(envelope.sender, "");
    assert_eq!(envelope.recipients[0].address, "ann@origin.test");
    assert_eq!(envelope.recipients[0].notify.as_deref(), Some("never"));
    assert!(!envelope.eight_bit, "an all-ASCII DSN needs no 8BITMIME");
    assert!(String::from_utf8_lossy(raw).contains("Content-Transfer-Encoding: 7bit\r\n"));
    let r = parse_report(raw);
    assert_eq!(r.subject, "Undelivered Mail Returned to Sender");
    assert_eq!(r.to, "<ann@origin.test>");
    assert!(
        r.human
            .contains("<bob@a.test>: failed: 550 5.1.1 <x>: no such user"),
        "{}",
        r.human
    );
    assert_eq!(r.per_message["Reporting-MTA"], "dns; mail.postroom.test");
    assert_eq!(r.per_message["Original-Envelope-Id"], "QQ314159");
    assert_eq!(
        r.per_message["Arrival-Date"],
        dsn::date(UNIX_EPOCH + Duration::from_secs(T0))
    );
    assert_eq!(r.per_message["X-Postroom-Queue-ID"], id.as_str());
    assert_eq!(
        r.recipients.len(),
        1,
        "only the failed recipient is reported"
    );
    let bob = &r.recipients[0];
    assert_eq!(bob["Final-Recipient"], "rfc822; bob@a.test");
    assert_eq!(bob["Original-Recipient"], "rfc822; Bob@a.test");
    assert_eq!(bob["Action"], "failed");
    assert_eq!(bob["Status"], "5.1.1");
    assert_eq!(bob["Remote-MTA"], "dns; mx.remote.test");
    assert_eq!(bob["Diagnostic-Code"], "smtp; 550 5.1.1 <x>: no such user");
    assert!(bob.contains_key("Last-Attempt-Date"));
    // Without RET=, only the header comes back.
    assert_eq!(r.returned_type, "text/rfc822-headers");
    assert!(String::from_utf8_lossy(&r.returned).contains("Subject: hello"));
    assert!(!String::from_utf8_lossy(&r.returned).contains("Hello Bob"));
    // The DSN refers to the original message.
    let parsed = MessageParser::default().parse(raw).unwrap();
    assert_eq!(parsed.in_reply_to().as_text(), Some("m1@origin.test"));
}

#[tokio::test]
async fn ret_full_returns_the_whole_message_and_ret_hdrs_the_header() {
    for (ret, kind, full) in [
        (Some(Ret::Full), "message/rfc822", true),
        (Some(Ret::Headers), "text/rfc822-headers", false),
    ] {
        let f = Fixture::new();
        let mut m = message(&["bob@a.test"]);
        m.ret = ret;
        m.eight_bit = true;
        f.enqueue(m, BODY).await;
        f.transport.script("bob@a.test", [failed()]);
        f.deliver_due().await;
        let dsns = f.dsns();
        // Returning an 8-bit body makes the DSN 8-bit; its header alone (ASCII) does not.
        assert_eq!(dsns[0].0.eight_bit, full);
        let r = parse_report(&dsns[0].1);
        assert_eq!(r.returned_type, kind);
        let returned = String::from_utf8(r.returned).unwrap();
        assert!(
            returned.contains("Received: by test;\r\nFrom: Ann"),
            "{returned}"
        );
        assert_eq!(
            returned.contains("Hello Bob,\r\nsee you."),
            full,
            "{returned}"
        );
        if full {
            assert!(r.human.contains("Your message is attached."));
        }
    }
}

#[tokio::test]
async fn notify_never_and_failure_only_decide_about_bounces() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@a.test", "dee@a.test"]);
    m.recipients[0].notify = Some(Notify::Never);
    m.recipients[1].notify = notify(false, true, false);
    // dee: no NOTIFY, which means FAILURE.
    f.enqueue(m, BODY).await;
    for r in ["bob@a.test", "cy@a.test", "dee@a.test"] {
        f.transport.script(r, [failed()]);
    }
    f.deliver_due().await;
    let dsns = f.dsns();
    assert_eq!(dsns.len(), 1);
    let r = parse_report(&dsns[0].1);
    let reported: Vec<&str> = r
        .recipients
        .iter()
        .map(|g| g["Final-Recipient"].as_str())
        .collect();
    assert_eq!(reported, ["rfc822; cy@a.test", "rfc822; dee@a.test"]);
}

#[tokio::test]
async fn notify_never_alone_sends_nothing() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test"]);
    m.recipients[0].notify = Some(Notify::Never);
    f.enqueue(m, BODY).await;
    f.transport.script("bob@a.test", [failed()]);
    f.deliver_due().await;
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn notify_success_reports_relayed_or_delivered() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@local.test", "dee@a.test"]);
    m.recipients[0].notify = notify(true, false, false);
    m.recipients[1].notify = notify(true, true, false);
    // dee asked for failures only: her success is not reported.
    f.enqueue(m, BODY).await;
    // A local delivery (the router's Maildir store) has no remote host.
    f.transport.script(
        "cy@local.test",
        [Outcome {
            status: Status::Delivered,
            code: "2.0.0".into(),
            remote: None,
            diagnostic: "delivered to the mailbox".into(),
        }],
    );
    f.deliver_due().await;
    let dsns = f.dsns();
    // One DSN per delivery call that had something to report.
    let mut actions: Vec<(String, String, String)> = dsns
        .iter()
        .flat_map(|(_, raw)| {
            let r = parse_report(raw);
            assert_eq!(r.subject, "Successful Mail Delivery Report");
            r.recipients
                .into_iter()
                .map(|g| {
                    (
                        g["Final-Recipient"].clone(),
                        g["Action"].clone(),
                        g["Status"].clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect();
    actions.sort();
    assert_eq!(
        actions,
        [
            (
                "rfc822; bob@a.test".into(),
                "relayed".into(),
                "2.0.0".into()
            ),
            (
                "rfc822; cy@local.test".into(),
                "delivered".into(),
                "2.0.0".into()
            ),
        ]
    );
}

#[tokio::test]
async fn notify_delay_warns_once_after_the_delay_warning_time() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@a.test"]);
    m.recipients[0].notify = notify(false, true, true);
    // cy did not ask for DELAY.
    let id = f.enqueue(m, BODY).await;
    f.transport
        .script("bob@a.test", std::iter::repeat_n(deferred(), 20));
    f.transport
        .script("cy@a.test", std::iter::repeat_n(deferred(), 20));
    // Keep the warnings in the queue, to count them.
    f.transport
        .script("ann@origin.test", std::iter::repeat_n(deferred(), 20));
    let mut warned_at = Vec::new();
    for _ in 0..12 {
        let before = f.dsns().len();
        f.deliver_due().await;
        if f.dsns().len() > before {
            warned_at.push(f.clock.secs() - T0);
        }
        let next = f.queue_next(&id).unwrap();
        f.clock.advance(Duration::from_secs(next - f.clock.secs()));
    }
    // Attempts at 0, 5, 15, 35, 75, 155, 315 minutes...: the first one at or after 4 h.
    assert_eq!(warned_at, [315 * 60]);
    let dsns = f.dsns();
    assert_eq!(dsns.len(), 1);
    let r = parse_report(&dsns[0].1);
    assert_eq!(r.subject, "Delayed Mail (still being retried)");
    assert_eq!(r.recipients.len(), 1);
    assert_eq!(r.recipients[0]["Final-Recipient"], "rfc822; bob@a.test");
    assert_eq!(r.recipients[0]["Action"], "delayed");
    assert_eq!(r.recipients[0]["Status"], "4.7.1");
    assert_eq!(
        r.recipients[0]["Will-Retry-Until"],
        dsn::date(UNIX_EPOCH + Duration::from_secs(T0 + 5 * 86_400))
    );
    assert!(f.state(id.as_str()).recipients[0].delay_warned);
    assert!(!f.state(id.as_str()).recipients[1].delay_warned);
}

#[tokio::test]
async fn a_failing_bounce_is_dropped_not_bounced() {
    let f = Fixture::new();
    let mut m = message(&["ann@origin.test"]);
    m.sender = String::new();
    f.enqueue(m, BODY).await;
    f.transport.script("ann@origin.test", [failed()]);
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 1);
    assert!(f.ids().is_empty(), "no DSN about a DSN");
}

#[tokio::test]
async fn a_dsn_goes_out_through_the_same_transport() {
    let f = Fixture::new();
    f.enqueue(message(&["bob@a.test"]), BODY).await;
    f.transport.script("bob@a.test", [failed()]);
    f.deliver_due().await;
    f.deliver_due().await;
    let calls = f.transport.calls();
    assert_eq!(calls.len(), 2);
    assert_eq!(calls[1].domain, "origin.test");
    assert_eq!(calls[1].messages[0].1, "", "from the null sender");
    assert_eq!(calls[1].messages[0].2, ["ann@origin.test"]);
    assert!(f.ids().is_empty());
}

// ---- admin -------------------------------------------------------------------------

#[tokio::test]
async fn flush_retry_and_delete_change_the_queue() {
    let f = Fixture::new();
    let a = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let b = f.enqueue(message(&["cy@b.test"]), BODY).await;
    f.transport.script("bob@a.test", [deferred(), deferred()]);
    f.transport.script("cy@b.test", [deferred()]);
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 2);
    // retry: only that message becomes due (and it is persisted).
    assert_eq!(f.queue.retry(&a).await.unwrap(), 1);
    assert_eq!(f.state(a.as_str()).recipients[0].next_attempt, T0);
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 3);
    // flush: everything pending is due.
    assert_eq!(f.queue.flush().await.unwrap(), 2);
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 5);
    assert!(f.ids().is_empty());
    // delete, then unknown ids.
    let c = f.enqueue(message(&["dee@c.test"]), BODY).await;
    f.queue.delete(&c).await.unwrap();
    assert!(f.ids().is_empty());
    assert!(matches!(
        f.queue.delete(&c).await,
        Err(QueueError::NotFound(_))
    ));
    assert!(matches!(
        f.queue.retry(&b).await,
        Err(QueueError::NotFound(_))
    ));
    f.deliver_due().await;
    assert_eq!(f.transport.calls().len(), 5);
}

/// Holds deliveries (to one domain, or all) until released; the others are delivered.
struct Gate {
    domain: Option<&'static str>,
    entered: tokio::sync::Notify,
    release: tokio::sync::Notify,
}

impl Gate {
    fn all() -> Self {
        Self {
            domain: None,
            entered: tokio::sync::Notify::new(),
            release: tokio::sync::Notify::new(),
        }
    }

    fn for_domain(domain: &'static str) -> Self {
        Self {
            domain: Some(domain),
            ..Self::all()
        }
    }
}

impl Transport for Gate {
    fn deliver<'a>(
        &'a self,
        domain: &'a str,
        messages: &'a [OutboundMessage<'a>],
        progress: Progress,
    ) -> BoxFuture<'a, ()> {
        Box::pin(async move {
            let settle_all = |outcome: fn() -> Outcome| {
                for (index, m) in messages.iter().enumerate() {
                    progress.settle(index, vec![outcome(); m.recipients.len()]);
                }
            };
            if self.domain.is_some_and(|d| d != domain) {
                settle_all(delivered);
                return;
            }
            self.entered.notify_one();
            self.release.notified().await;
            settle_all(failed);
        })
    }
}

#[tokio::test]
async fn deleting_a_message_during_its_delivery_drops_the_result() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let gate = Arc::new(Gate::all());
    let transport: Arc<dyn Transport> = gate.clone();
    let queue = Arc::clone(&f.queue);
    let run = tokio::spawn(async move { queue.deliver_due(&transport).await });
    gate.entered.notified().await;
    f.queue.delete(&id).await.unwrap();
    gate.release.notify_one();
    run.await.unwrap();
    assert!(f.ids().is_empty(), "neither the message nor a bounce");
}

#[tokio::test]
async fn the_runner_wakes_on_enqueue_and_serves_admin_requests() {
    let f = Fixture::new();
    let (trigger, shutdown) = crate::shutdown::Shutdown::new(Duration::from_secs(5));
    let transport: Arc<dyn Transport> = f.transport.clone();
    let runner = tokio::spawn(Arc::clone(&f.queue).run(transport, shutdown));
    f.transport.script("bob@a.test", [deferred()]);
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    let wait_for = |n: usize| {
        let transport = Arc::clone(&f.transport);
        async move {
            for _ in 0..500 {
                if transport.calls().len() >= n {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            panic!("the runner did not deliver");
        }
    };
    wait_for(1).await;
    // Deferred for 5 minutes; an admin retry through the control socket wakes it now.
    let config = f.queue.config.clone();
    let summary = control::send(&config, &control::Request::Retry(id.clone()))
        .await
        .unwrap();
    assert_eq!(summary, format!("{id}: 1 recipients are due now"));
    wait_for(2).await;
    let unknown = QueueId::parse("0123ABC").unwrap();
    let e = control::send(&config, &control::Request::Delete(unknown))
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "queue control: no message 0123ABC in the queue"
    );
    trigger.trigger();
    tokio::time::timeout(Duration::from_secs(10), runner)
        .await
        .expect("the runner stops")
        .unwrap();
    assert!(f.ids().is_empty());
}

#[tokio::test]
async fn the_runner_keeps_to_the_concurrency_limit() {
    let f = Fixture::with(|c| c.concurrency = 2);
    for domain in ["a", "b", "c", "d", "e"] {
        f.enqueue(message(&[&format!("u@{domain}.test")]), BODY)
            .await;
    }
    let (trigger, shutdown) = crate::shutdown::Shutdown::new(Duration::from_secs(5));
    let transport: Arc<dyn Transport> = f.transport.clone();
    let runner = tokio::spawn(Arc::clone(&f.queue).run(transport, shutdown));
    for _ in 0..500 {
        if f.ids().is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    trigger.trigger();
    runner.await.unwrap();
    assert!(f.ids().is_empty());
    assert_eq!(f.transport.calls().len(), 5);
    assert_eq!(f.transport.max_in_flight.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn admin_requests_without_a_running_queue_change_the_files() {
    let f = Fixture::new();
    let id = f.enqueue(message(&["bob@a.test"]), BODY).await;
    f.transport.script("bob@a.test", [deferred()]);
    f.deliver_due().await;
    let config = f.queue.config.clone();
    let dir = f.dir.clone();
    drop(f.queue);
    // Far in the future, so the flush (on the system clock) has something to change.
    let store = Store::new(&dir);
    let mut state = store.read_state(id.as_str()).unwrap();
    state.recipients[0].next_attempt = 4_102_444_800;
    store.write_state(&state).unwrap();
    // Nobody owns the queue now: the request opens it and edits the files.
    let summary = control::send(&config, &control::Request::Flush)
        .await
        .unwrap();
    assert_eq!(summary, "1 deferred messages are due now");
    let state = store.read_state(id.as_str()).unwrap();
    assert!(state.recipients[0].next_attempt <= unix_secs(SystemTime::now()));
    control::send(&config, &control::Request::Delete(id))
        .await
        .unwrap();
    assert!(Store::new(&dir).ids().unwrap().is_empty());
}

#[tokio::test]
async fn list_and_show_describe_the_queue() {
    let f = Fixture::new();
    let mut m = message(&["bob@a.test", "cy@b.test"]);
    m.recipients[0].notify = notify(false, true, true);
    let id = f.enqueue(m, BODY).await;
    f.transport.script("bob@a.test", [deferred()]);
    f.deliver_due().await;
    f.clock.advance(Duration::from_secs(60));
    let list = inspect::list(&f.dir, f.clock.now()).unwrap();
    assert_eq!(
        list,
        format!(
            "{id}  age 1m  {} bytes  from <ann@origin.test>\n    to <bob@a.test>  pending, next attempt in 4m, attempts 1: 451 4.7.1 try again later\n    to <cy@b.test>  delivered, attempts 1: 250 2.0.0 Ok: queued as 4F2\n1 messages\n",
            BODY.len() + 20
        )
    );
    let show = inspect::show(&f.dir, &id).unwrap();
    assert!(show.contains("from: <ann@origin.test>\n"), "{show}");
    assert!(
        show.contains("to: <bob@a.test>\n    status: Pending, attempts: 1"),
        "{show}"
    );
    assert!(show.contains("    notify: failure,delay\n"), "{show}");
    assert!(
        show.ends_with("Subject: hello\nMessage-ID: <m1@origin.test>\n"),
        "{show}"
    );
    assert!(!show.contains("Hello Bob"));
    let missing = QueueId::parse("ABC").unwrap();
    assert!(matches!(
        inspect::show(&f.dir, &missing),
        Err(QueueError::NotFound(_))
    ));
    assert!(QueueId::parse("../etc").is_err());
}
