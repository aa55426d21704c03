//! Delivering due recipients: claim them grouped by domain, hand each group to the
//! transport, record each message's outcomes as soon as the transport reports them, send DSNs, and wait for the next due time, an
//! enqueue or an admin request.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use smtp_proto::types::Ret;
use tokio::task::JoinSet;
use tracing::{error, info, warn};

use crate::outbound::{
    OutboundMessage, OutboundRecipient, Outcome, Progress, Settled, Status, Transport,
};
use crate::shutdown::Shutdown;

use super::dsn::{self, Action};
use super::state::{Report, from_unix_secs, unix_secs};
use super::{Entry, Queue, QueueError, QueueId};

/// The most messages handed to the transport in one call.
const MAX_BATCH: usize = 100;

/// The longest sleep between looks at the queue (guards against clock jumps).
const MAX_IDLE: Duration = Duration::from_secs(60);

/// Due recipients of one domain, claimed for one transport call.
pub(super) struct Group {
    pub(super) domain: String,
    items: Vec<Item>,
}

/// One message's claimed recipients, with what the transport needs.
struct Item {
    id: String,
    entry: Arc<Entry>,
    indices: Vec<usize>,
    recipients: Vec<OutboundRecipient>,
    sender: String,
    envid: Option<String>,
    ret: Option<Ret>,
    size: u64,
    eight_bit: bool,
    smtputf8: bool,
    body: PathBuf,
}

impl Queue {
    /// Delivers until `shutdown`: due recipients go to `transport`, one call per
    /// destination domain, at most `concurrency` domains at once. Also serves admin
    /// requests (control socket). Deliveries still running at shutdown get the grace
    /// period, then are abandoned: their recipients stay pending and are retried.
    pub(crate) async fn run(self: Arc<Self>, transport: Arc<dyn Transport>, shutdown: Shutdown) {
        let control = tokio::spawn(Arc::clone(&self).serve_control());
        let mut running: JoinSet<()> = JoinSet::new();
        let mut active: HashMap<tokio::task::Id, String> = HashMap::new();
        let mut stop = shutdown.clone();
        loop {
            let free = self.config.concurrency.saturating_sub(active.len());
            if free > 0 {
                let busy: HashSet<String> = active.values().cloned().collect();
                for group in self.claim_due(&busy, free).await {
                    let domain = group.domain.clone();
                    let (queue, transport) = (Arc::clone(&self), Arc::clone(&transport));
                    let task = running.spawn(async move {
                        queue.deliver_group(transport.as_ref(), group).await;
                    });
                    active.insert(task.id(), domain);
                }
            }
            let idle = self.time_until_due().await.min(MAX_IDLE);
            tokio::select! {
                () = stop.requested() => break,
                Some(done) = running.join_next_with_id() => {
                    let id = match done {
                        Ok((id, ())) => id,
                        Err(e) => {
                            // Its recipients stay claimed until the next start.
                            error!("queue: a delivery task failed: {e}");
                            e.id()
                        }
                    };
                    active.remove(&id);
                }
                () = self.wake.notified() => {}
                () = tokio::time::sleep(idle) => {}
            }
        }
        control.abort();
        if !running.is_empty() {
            info!("queue: waiting for {} deliveries to finish", running.len());
            let drain = async { while running.join_next().await.is_some() {} };
            if tokio::time::timeout(shutdown.grace(), drain).await.is_err() {
                warn!("queue: abandoning unfinished deliveries; they will be retried");
                running.abort_all();
            }
        }
    }

    /// Delivers what is due now, `concurrency` domains at a time, and waits for it;
    /// messages queued meanwhile (DSNs) wait for the next call. The runner's work
    /// without its waiting, so tests can step the clock.
    #[cfg(test)]
    pub(crate) async fn deliver_due(self: &Arc<Self>, transport: &Arc<dyn Transport>) {
        let slots = Arc::new(tokio::sync::Semaphore::new(self.config.concurrency));
        let mut running = JoinSet::new();
        for group in self.claim_due(&HashSet::new(), usize::MAX).await {
            let (queue, transport) = (Arc::clone(self), Arc::clone(transport));
            let slots = Arc::clone(&slots);
            running.spawn(async move {
                let _slot = slots.acquire().await.expect("semaphore open");
                queue.deliver_group(transport.as_ref(), group).await;
            });
        }
        while let Some(done) = running.join_next().await {
            done.expect("delivery task");
        }
    }

    /// How long until the next pending recipient is due (zero if one is due now).
    async fn time_until_due(&self) -> Duration {
        let now = unix_secs(self.now());
        let entries: Vec<Arc<Entry>> = self.entries().values().cloned().collect();
        let mut next = None::<u64>;
        for entry in entries {
            let tracked = entry.inner.lock().await;
            let due = tracked
                .state
                .recipients
                .iter()
                .zip(&tracked.busy)
                .filter(|(r, busy)| !**busy && r.status == super::state::RecipientStatus::Pending)
                .map(|(r, _)| r.next_attempt)
                .min();
            next = match (next, due) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
        }
        next.map_or(MAX_IDLE, |at| Duration::from_secs(at.saturating_sub(now)))
    }

    /// Claims the due recipients of at most `limit` domains not in `active`, oldest
    /// messages first, at most [`MAX_BATCH`] messages per domain.
    pub(super) async fn claim_due(&self, active: &HashSet<String>, limit: usize) -> Vec<Group> {
        if limit == 0 {
            return Vec::new();
        }
        let now = unix_secs(self.now());
        let mut entries: Vec<(String, Arc<Entry>)> = self
            .entries()
            .iter()
            .map(|(id, entry)| (id.clone(), Arc::clone(entry)))
            .collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut groups: Vec<Group> = Vec::new();
        let mut by_domain: HashMap<String, usize> = HashMap::new();
        for (id, entry) in entries {
            let mut tracked = entry.inner.lock().await;
            if tracked.gone {
                continue;
            }
            let mut claimed: HashMap<usize, Vec<usize>> = HashMap::new();
            for index in 0..tracked.state.recipients.len() {
                let rcpt = &tracked.state.recipients[index];
                if tracked.busy[index] || !rcpt.is_due(now) {
                    continue;
                }
                let domain = rcpt.domain();
                if active.contains(&domain) {
                    continue;
                }
                let group = match by_domain.get(&domain) {
                    Some(&g) if groups[g].items.len() < MAX_BATCH || claimed.contains_key(&g) => g,
                    Some(_) => continue,
                    None if groups.len() < limit => {
                        groups.push(Group {
                            domain: domain.clone(),
                            items: Vec::new(),
                        });
                        by_domain.insert(domain, groups.len() - 1);
                        groups.len() - 1
                    }
                    None => continue,
                };
                claimed.entry(group).or_default().push(index);
            }
            let mut claimed: Vec<(usize, Vec<usize>)> = claimed.into_iter().collect();
            claimed.sort_unstable();
            for (group, indices) in claimed {
                for &index in &indices {
                    tracked.busy[index] = true;
                }
                let state = &tracked.state;
                groups[group].items.push(Item {
                    id: id.clone(),
                    entry: Arc::clone(&entry),
                    recipients: indices
                        .iter()
                        .map(|&i| state.recipients[i].outbound())
                        .collect(),
                    indices,
                    sender: state.sender.clone(),
                    envid: state.envid.clone(),
                    ret: state.ret.map(Into::into),
                    size: state.size,
                    eight_bit: state.eight_bit,
                    smtputf8: state.smtputf8,
                    body: self.store.message_path(&id),
                });
            }
        }
        groups
    }

    /// One transport call for a claimed group. Each message's outcomes are recorded
    /// as the transport reports them, while it goes on with the next message; those it
    /// never reported are deferred when the call ends.
    pub(super) async fn deliver_group(&self, transport: &dyn Transport, group: Group) {
        let messages: Vec<OutboundMessage<'_>> = group
            .items
            .iter()
            .map(|item| OutboundMessage {
                id: &item.id,
                sender: &item.sender,
                recipients: &item.recipients,
                envid: item.envid.as_deref(),
                ret: item.ret,
                body: &item.body,
                size: item.size,
                eight_bit: item.eight_bit,
                smtputf8: item.smtputf8,
            })
            .collect();
        let (progress, mut settled) = Progress::channel();
        let mut recorded = vec![false; group.items.len()];
        let recording = async {
            while let Some(Settled { index, outcomes }) = settled.recv().await {
                match recorded.get_mut(index) {
                    Some(done @ false) => {
                        *done = true;
                        self.record(&group.items[index], &outcomes).await;
                    }
                    _ => warn!(
                        "queue: transport reported message {index} of {} to {} again or out of range",
                        group.items.len(),
                        group.domain
                    ),
                }
            }
        };
        tokio::join!(
            transport.deliver(&group.domain, &messages, progress),
            recording
        );
        drop(messages);
        for (item, _) in group
            .items
            .iter()
            .zip(&recorded)
            .filter(|(_, done)| !**done)
        {
            warn!(
                "queue: transport reported no result for {} to {}",
                item.id, group.domain
            );
            self.record(item, &[]).await;
        }
    }

    /// Records one message's outcomes: DSNs first (durable), then the state file (or
    /// its removal when every recipient is done).
    async fn record(&self, item: &Item, outcomes: &[Outcome]) {
        let missing = Outcome {
            status: Status::Deferred,
            code: "4.3.0".to_owned(),
            remote: None,
            diagnostic: "the transport reported no result".to_owned(),
        };
        let now = self.now();
        let now_secs = unix_secs(now);
        let mut tracked = item.entry.inner.lock().await;
        for &index in &item.indices {
            if let Some(busy) = tracked.busy.get_mut(index) {
                *busy = false;
            }
        }
        if tracked.gone {
            return;
        }
        let mut reports = Vec::new();
        for (k, &index) in item.indices.iter().enumerate() {
            let outcome = outcomes.get(k).unwrap_or(&missing);
            let report = tracked.state.record(&self.config, index, outcome, now_secs);
            log_outcome(&item.id, &tracked.state.recipients[index], outcome);
            let action = match report {
                Report::None => continue,
                Report::Failure => Action::Failed,
                Report::Delay => Action::Delayed,
                Report::Success if outcome.remote.is_some() => Action::Relayed,
                Report::Success => Action::Delivered,
            };
            reports.push((index, action));
        }
        if !reports.is_empty() {
            self.notify_sender(&tracked.state, &reports, now).await;
        }
        let done = tracked.state.is_done();
        let store = self.store.clone();
        let state = tracked.state.clone();
        let written = tokio::task::spawn_blocking(move || {
            if done {
                store.remove(&state.id)
            } else {
                store.write_state(&state)
            }
        })
        .await
        .map_err(std::io::Error::other)
        .and_then(|r| r);
        match written {
            Ok(()) if done => {
                info!("queue: {} finished and removed", item.id);
                tracked.gone = true;
                self.entries().remove(&item.id);
            }
            Ok(()) => {}
            Err(e) => error!("queue: cannot record the state of {}: {e}", item.id),
        }
    }

    /// Queues a DSN about `reports` to the sender of `original` (unless it is a bounce).
    async fn notify_sender(
        &self,
        original: &super::state::MessageState,
        reports: &[(usize, Action)],
        now: std::time::SystemTime,
    ) {
        if !dsn::may_notify(original) {
            warn!(
                "queue: {} is from the null sender; no DSN for {} recipients (never bounce a bounce)",
                original.id,
                reports.len()
            );
            return;
        }
        let retry_until = from_unix_secs(
            original
                .arrival
                .saturating_add(self.config.give_up.as_secs()),
        );
        let report = dsn::Report {
            hostname: &self.hostname,
            original,
            content: &self.store.message_path(&original.id),
            recipients: reports,
            now,
            retry_until,
        };
        let built = match dsn::build(&report) {
            Ok(built) => built,
            Err(e) => {
                error!("queue: cannot build a DSN for {}: {e}", original.id);
                return;
            }
        };
        match self
            .enqueue_from(built.message, built.size, built.content)
            .await
        {
            Ok(id) => info!(
                "queue: DSN {id} for {} to <{}>",
                original.id, original.sender
            ),
            Err(e) => error!("queue: cannot queue a DSN for {}: {e}", original.id),
        }
    }

    /// Makes every pending recipient due now; returns how many messages had one.
    pub(crate) async fn flush(&self) -> Result<usize, QueueError> {
        let ids: Vec<String> = self.entries().keys().cloned().collect();
        let mut count = 0;
        for id in ids {
            match self.retry(&QueueId(id)).await {
                Ok(0) | Err(QueueError::NotFound(_)) => {}
                Ok(_) => count += 1,
                Err(e) => return Err(e),
            }
        }
        Ok(count)
    }

    /// Makes one message's pending recipients due now; returns how many.
    pub(crate) async fn retry(&self, id: &QueueId) -> Result<usize, QueueError> {
        let entry = self
            .entry(id.as_str())
            .ok_or_else(|| QueueError::NotFound(id.to_string()))?;
        let mut tracked = entry.inner.lock().await;
        if tracked.gone {
            return Err(QueueError::NotFound(id.to_string()));
        }
        let now = unix_secs(self.now());
        let mut state = tracked.state.clone();
        let count = state.make_due(now);
        if count > 0 && state != tracked.state {
            let store = self.store.clone();
            let to_write = state.clone();
            tokio::task::spawn_blocking(move || store.write_state(&to_write))
                .await
                .map_err(|e| QueueError::io("writing state", std::io::Error::other(e)))?
                .map_err(|e| QueueError::io(format!("writing the state of {id}"), e))?;
            tracked.state = state;
        }
        drop(tracked);
        self.wake.notify_one();
        Ok(count)
    }

    /// Removes a message without notifying anyone. A delivery under way finishes, but
    /// its outcome is not recorded.
    pub(crate) async fn delete(&self, id: &QueueId) -> Result<(), QueueError> {
        let entry = self
            .entry(id.as_str())
            .ok_or_else(|| QueueError::NotFound(id.to_string()))?;
        let mut tracked = entry.inner.lock().await;
        if tracked.gone {
            return Err(QueueError::NotFound(id.to_string()));
        }
        let store = self.store.clone();
        let name = id.to_string();
        tokio::task::spawn_blocking(move || store.remove(&name))
            .await
            .map_err(|e| QueueError::io("removing", std::io::Error::other(e)))?
            .map_err(|e| QueueError::io(format!("removing {id}"), e))?;
        tracked.gone = true;
        drop(tracked);
        self.entries().remove(id.as_str());
        info!("queue: {id} deleted by the administrator");
        Ok(())
    }
}

fn log_outcome(id: &str, rcpt: &super::state::RecipientState, outcome: &Outcome) {
    let status = match rcpt.status {
        super::state::RecipientStatus::Delivered => "sent",
        super::state::RecipientStatus::Failed => "bounced",
        super::state::RecipientStatus::Pending => "deferred",
    };
    info!(
        "queue: id={id} to=<{}> status={status} code={} remote={} attempts={} diagnostic={:?}",
        rcpt.address,
        outcome.code,
        outcome.remote.as_deref().unwrap_or("none"),
        rcpt.attempts,
        outcome.diagnostic
    );
}
