//! Brute-force throttling of logins, per remote IP and per account: every failure makes
//! the next failure wait longer, and past a threshold further attempts are refused for a
//! while without the password being checked.
//!
//! The rules (see [`Policy::default`] for the numbers):
//! - after the n-th recent failure of an IP or an account (whichever has more), the
//!   failed login waits `base * 2^(n-1)`, doubling at most [`Policy::max_doublings`]
//!   times and never longer than [`Policy::max_delay`]; `base` is the service's fixed
//!   failure delay (Dovecot's `auth_failure_delay`, 2 s), so the waits go 2, 4, 8, 15,
//!   15... seconds;
//! - once an IP has [`Policy::ip_lockout_after`] recent failures, or an account
//!   [`Policy::account_lockout_after`], its next attempts are refused as a temporary
//!   failure until [`Policy::lockout`] after its last failure; an attempt allowed after
//!   that and failing again locks it out again at once;
//! - a success resets the account (and the IP, when known);
//! - an entry is forgotten [`Policy::forget_after`] after its last failure, and each table
//!   holds at most [`Policy::capacity`] entries (expired ones go first, then the oldest),
//!   so memory stays bounded whatever names and addresses an attacker uses.
//!
//! The throttle is Sans-IO: every method takes the current time, so the tests drive it
//! with a manual clock.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The throttling rules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Policy {
    /// How many times the base delay doubles at most.
    pub(crate) max_doublings: u32,
    /// The longest wait after a failure (unless the base delay itself is longer).
    pub(crate) max_delay: Duration,
    /// Recent failures from one IP before its attempts are refused.
    pub(crate) ip_lockout_after: u32,
    /// Recent failures for one account before its attempts are refused.
    pub(crate) account_lockout_after: u32,
    /// How long attempts are refused, counted from the last failure.
    pub(crate) lockout: Duration,
    /// How long after its last failure an entry is forgotten.
    pub(crate) forget_after: Duration,
    /// The most entries kept per table (IPs, accounts).
    pub(crate) capacity: usize,
}

impl Default for Policy {
    /// At most 3 doublings and 15 s (as Dovecot's auth penalty), lockout after 10 failures per IP or
    /// per account, for 5 minutes; entries forgotten after 1 hour; 10,000 entries per
    /// table.
    fn default() -> Self {
        Self {
            max_doublings: 3,
            max_delay: Duration::from_secs(15),
            ip_lockout_after: 10,
            account_lockout_after: 10,
            lockout: Duration::from_secs(5 * 60),
            forget_after: Duration::from_secs(60 * 60),
            capacity: 10_000,
        }
    }
}

/// Why an attempt is refused without checking the password.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Too many recent failures from the client's IP.
    Ip,
    /// Too many recent failures for the account.
    Account,
}

/// The failures of one IP or account.
#[derive(Clone, Copy, Debug)]
struct Failures {
    count: u32,
    last: Instant,
}

/// A map with a capacity whose entries expire `ttl` after they were last touched.
#[derive(Debug)]
struct Bounded<K, V> {
    entries: HashMap<K, (V, Instant)>,
    capacity: usize,
    ttl: Duration,
}

impl<K: Eq + Hash + Clone, V> Bounded<K, V> {
    fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            entries: HashMap::new(),
            capacity: capacity.max(1),
            ttl,
        }
    }

    fn expired(&self, touched: Instant, now: Instant) -> bool {
        now.saturating_duration_since(touched) >= self.ttl
    }

    /// The live value of `key`.
    fn get(&self, key: &K, now: Instant) -> Option<&V> {
        let (value, touched) = self.entries.get(key)?;
        (!self.expired(*touched, now)).then_some(value)
    }

    /// Stores `value` for `key`, making room first if the table is full.
    fn insert(&mut self, key: K, value: V, now: Instant) {
        if !self.entries.contains_key(&key) && self.entries.len() >= self.capacity {
            let ttl = self.ttl;
            self.entries
                .retain(|_, (_, touched)| now.saturating_duration_since(*touched) < ttl);
            if self.entries.len() >= self.capacity {
                let oldest = self
                    .entries
                    .iter()
                    .min_by_key(|(_, (_, touched))| *touched)
                    .map(|(k, _)| k.clone());
                if let Some(oldest) = oldest {
                    self.entries.remove(&oldest);
                }
            }
        }
        self.entries.insert(key, (value, now));
    }

    fn remove(&mut self, key: &K) {
        self.entries.remove(key);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

/// The key of an account: the name as given, ASCII-lowercased and cut at 256 bytes (a
/// longer name cannot be a real address).
fn account_key(name: &str) -> String {
    let mut end = name.len().min(256);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    name[..end].to_ascii_lowercase()
}

/// The failure tables, per IP and per account.
#[derive(Debug)]
pub(crate) struct Throttle {
    policy: Policy,
    ips: Bounded<IpAddr, Failures>,
    accounts: Bounded<String, Failures>,
}

impl Throttle {
    /// An empty throttle with `policy`.
    pub(crate) fn new(policy: Policy) -> Self {
        let (capacity, ttl) = (policy.capacity, policy.forget_after);
        Self {
            ips: Bounded::new(capacity, ttl),
            accounts: Bounded::new(capacity, ttl),
            policy,
        }
    }

    /// Refuses the attempt for `account` from `ip` if either is locked out.
    pub(crate) fn check(
        &self,
        ip: Option<IpAddr>,
        account: &str,
        now: Instant,
    ) -> Result<(), Refusal> {
        if let Some(ip) = ip
            && self.locked(self.ips.get(&ip, now), self.policy.ip_lockout_after, now)
        {
            return Err(Refusal::Ip);
        }
        let failures = self.accounts.get(&account_key(account), now);
        if self.locked(failures, self.policy.account_lockout_after, now) {
            return Err(Refusal::Account);
        }
        Ok(())
    }

    fn locked(&self, failures: Option<&Failures>, threshold: u32, now: Instant) -> bool {
        failures.is_some_and(|f| {
            f.count >= threshold && now.saturating_duration_since(f.last) < self.policy.lockout
        })
    }

    /// Counts a failure of `account` (if named) from `ip` (if known); returns how long the
    /// failed login waits before its reply, growing from `base`.
    pub(crate) fn record_failure(
        &mut self,
        ip: Option<IpAddr>,
        account: Option<&str>,
        base: Duration,
        now: Instant,
    ) -> Duration {
        let mut worst = 0;
        if let Some(ip) = ip {
            worst = worst.max(bump(&mut self.ips, ip, now));
        }
        if let Some(account) = account {
            worst = worst.max(bump(&mut self.accounts, account_key(account), now));
        }
        self.delay(base, worst.max(1))
    }

    /// The wait after the `failures`-th failure: `base * 2^(failures-1)`, capped.
    pub(crate) fn delay(&self, base: Duration, failures: u32) -> Duration {
        let doublings = failures
            .saturating_sub(1)
            .min(self.policy.max_doublings)
            .min(31);
        base.checked_mul(1 << doublings)
            .unwrap_or(Duration::MAX)
            .min(self.policy.max_delay.max(base))
    }

    /// Forgets the failures of `accounts` and of `ip` after a successful login.
    pub(crate) fn record_success(&mut self, ip: Option<IpAddr>, accounts: &[&str]) {
        if let Some(ip) = ip {
            self.ips.remove(&ip);
        }
        for account in accounts {
            self.accounts.remove(&account_key(account));
        }
    }

    /// How many IPs and accounts have recent failures (expired entries may be counted
    /// until they are pruned).
    #[cfg(test)]
    fn sizes(&self) -> (usize, usize) {
        (self.ips.len(), self.accounts.len())
    }
}

/// Adds one failure to `key`'s entry (a fresh count if it expired); returns the count.
fn bump<K: Eq + Hash + Clone>(table: &mut Bounded<K, Failures>, key: K, now: Instant) -> u32 {
    let count = table
        .get(&key, now)
        .map_or(1, |f| f.count.saturating_add(1));
    table.insert(key, Failures { count, last: now }, now);
    count
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: Duration = Duration::from_secs(2);

    fn ip(last: u8) -> Option<IpAddr> {
        Some(IpAddr::from([192, 0, 2, last]))
    }

    #[test]
    fn delays_grow_per_ip_and_cap() {
        let mut throttle = Throttle::new(Policy::default());
        let now = Instant::now();
        let delays: Vec<u64> = (0..6)
            .map(|i| {
                let name = format!("user{i}@example.test");
                throttle
                    .record_failure(ip(1), Some(&name), BASE, now)
                    .as_secs()
            })
            .collect();
        assert_eq!(delays, [2, 4, 8, 15, 15, 15]);
        // Another IP and another account start from the base delay.
        assert_eq!(
            throttle.record_failure(ip(2), Some("other@example.test"), BASE, now),
            BASE
        );
    }

    #[test]
    fn delays_grow_per_account_across_ips() {
        let mut throttle = Throttle::new(Policy::default());
        let now = Instant::now();
        let delays: Vec<u64> = (1..=4)
            .map(|i| {
                throttle
                    .record_failure(ip(i), Some("Pat@Example.Test"), BASE, now)
                    .as_secs()
            })
            .collect();
        assert_eq!(delays, [2, 4, 8, 15]);
        // The account key ignores ASCII case.
        assert_eq!(
            throttle.record_failure(ip(9), Some("pat@example.test"), BASE, now),
            Duration::from_secs(15)
        );
    }

    #[test]
    fn lockout_per_ip_refuses_until_it_expires() {
        let policy = Policy::default();
        let mut throttle = Throttle::new(policy.clone());
        let start = Instant::now();
        for i in 0..policy.ip_lockout_after {
            assert_eq!(throttle.check(ip(1), &format!("u{i}"), start), Ok(()));
            throttle.record_failure(ip(1), Some(&format!("u{i}")), BASE, start);
        }
        assert_eq!(throttle.check(ip(1), "fresh", start), Err(Refusal::Ip));
        assert_eq!(throttle.check(ip(2), "fresh", start), Ok(()));
        assert_eq!(throttle.check(None, "fresh", start), Ok(()));
        let later = start + policy.lockout - Duration::from_secs(1);
        assert_eq!(throttle.check(ip(1), "fresh", later), Err(Refusal::Ip));
        let after = start + policy.lockout;
        assert_eq!(throttle.check(ip(1), "fresh", after), Ok(()));
        // One more failure locks it out again at once.
        throttle.record_failure(ip(1), Some("fresh"), BASE, after);
        assert_eq!(throttle.check(ip(1), "x", after), Err(Refusal::Ip));
    }

    #[test]
    fn lockout_per_account_holds_from_any_ip() {
        let policy = Policy::default();
        let mut throttle = Throttle::new(policy.clone());
        let now = Instant::now();
        for i in 0..policy.account_lockout_after {
            throttle.record_failure(ip(i as u8), Some("pat@example.test"), BASE, now);
        }
        assert_eq!(
            throttle.check(ip(200), "PAT@example.test", now),
            Err(Refusal::Account)
        );
        assert_eq!(throttle.check(ip(200), "sam@example.test", now), Ok(()));
    }

    #[test]
    fn success_resets_ip_and_account() {
        let mut throttle = Throttle::new(Policy::default());
        let now = Instant::now();
        for _ in 0..3 {
            throttle.record_failure(ip(1), Some("pat@example.test"), BASE, now);
        }
        throttle.record_success(ip(1), &["Pat@example.test"]);
        assert_eq!(
            throttle.record_failure(ip(1), Some("pat@example.test"), BASE, now),
            BASE
        );
    }

    #[test]
    fn entries_expire() {
        let policy = Policy::default();
        let mut throttle = Throttle::new(policy.clone());
        let start = Instant::now();
        for _ in 0..4 {
            throttle.record_failure(ip(1), Some("pat"), BASE, start);
        }
        let later = start + policy.forget_after;
        assert_eq!(
            throttle.record_failure(ip(1), Some("pat"), BASE, later),
            BASE
        );
    }

    #[test]
    fn tables_are_capped() {
        let policy = Policy {
            capacity: 100,
            ..Policy::default()
        };
        let mut throttle = Throttle::new(policy);
        let start = Instant::now();
        for i in 0..10_000u32 {
            let at = start + Duration::from_millis(u64::from(i));
            let addr = IpAddr::from(i.to_be_bytes());
            throttle.record_failure(Some(addr), Some(&format!("user{i}")), BASE, at);
        }
        assert_eq!(throttle.sizes(), (100, 100));
        // The newest entries are the ones kept.
        let last = IpAddr::from(9_999u32.to_be_bytes());
        let at = start + Duration::from_secs(10);
        assert_eq!(
            throttle.record_failure(Some(last), None, BASE, at),
            BASE * 2
        );
    }

    #[test]
    fn unnamed_failures_count_for_the_ip_only() {
        let mut throttle = Throttle::new(Policy::default());
        let now = Instant::now();
        assert_eq!(throttle.record_failure(ip(1), None, BASE, now), BASE);
        assert_eq!(throttle.record_failure(None, None, BASE, now), BASE);
        assert_eq!(throttle.record_failure(ip(1), None, BASE, now), BASE * 2);
    }

    #[test]
    fn huge_names_and_zero_base_are_harmless() {
        let mut throttle = Throttle::new(Policy::default());
        let now = Instant::now();
        let huge = "é".repeat(100_000);
        for _ in 0..40 {
            throttle.record_failure(ip(1), Some(&huge), BASE, now);
        }
        assert_eq!(throttle.check(None, &huge, now), Err(Refusal::Account));
        assert_eq!(throttle.delay(Duration::ZERO, 40), Duration::ZERO);
        assert_eq!(throttle.delay(BASE, u32::MAX), Duration::from_secs(15));
        // A short base (as in the services' unit tests) grows by at most 8 times.
        let short = Duration::from_millis(10);
        assert_eq!(throttle.delay(short, 40), Duration::from_millis(80));
    }
}
