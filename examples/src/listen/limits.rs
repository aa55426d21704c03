//! Connection limits: in total and per remote IP (IPv6 per /64, which one host usually
//! holds as a whole).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::Notify;

/// How many connections are allowed at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectionLimits {
    /// In total, over every listener.
    pub(crate) total: usize,
    /// From one remote IP (Unix socket connections count only towards the total).
    pub(crate) per_ip: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            total: 1000,
            per_ip: 20,
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    per_ip: HashMap<IpAddr, usize>,
}

/// Counts open connections and refuses those over the limits.
#[derive(Debug)]
pub(crate) struct Limiter {
    limits: ConnectionLimits,
    counts: Mutex<Counts>,
    idle: Notify,
}

/// One admitted connection; dropping it frees its place.
#[derive(Debug)]
pub(crate) struct Permit {
    limiter: Arc<Limiter>,
    key: Option<IpAddr>,
}

/// The key an address is counted under.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                IpAddr::V6(Ipv6Addr::from(prefix))
            }
        },
    }
}

impl Limiter {
    /// A limiter with no connection open.
    pub(crate) fn new(limits: ConnectionLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            counts: Mutex::new(Counts::default()),
            idle: Notify::new(),
        })
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Admits a connection from `ip` (`None`: a Unix socket), or `None` if that would
    /// exceed a limit.
    pub(crate) fn try_acquire(self: &Arc<Self>, ip: Option<IpAddr>) -> Option<Permit> {
        let mut counts = self.counts();
        if counts.total >= self.limits.total {
            return None;
        }
        let key = ip.map(key);
        if let Some(k) = key {
            let n = counts.per_ip.entry(k).or_insert(0);
            if *n >= self.limits.per_ip {
                return None;
            }
            *n += 1;
        }
        counts.total += 1;
        Some(Permit {
            limiter: Arc::clone(self),
            key,
        })
    }

    /// Connections open now.
    pub(crate) fn active(&self) -> usize {
        self.counts().total
    }

    /// Waits until no connection is open.
    pub(crate) async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.active() == 0 {
                return;
            }
            notified.await;
        }
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut counts = self.limiter.counts();
        if let Some(k) = self.key
            && let Some(n) = counts.per_ip.get_mut(&k)
        {
            *n -= 1;
            if *n == 0 {
                counts.per_ip.remove(&k);
            }
        }
        counts.total -= 1;
        let idle = counts.total == 0;
        drop(counts);
        if idle {
            self.limiter.idle.notify_waiters();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(total: usize, per_ip: usize) -> Arc<Limiter> {
        Limiter::new(ConnectionLimits { total, per_ip })
    }

    #[test]
    fn per_ip_limit_refuses_and_frees() {
        let l = limiter(10, 2);
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        let a = l.try_acquire(Some(ip)).unwrap();
        let _b = l.try_acquire(Some(ip)).unwrap();
        assert!(l.try_acquire(Some(ip)).is_none());
        assert!(l.try_acquire(Some(other)).is_some());
        drop(a);
        assert!(l.try_acquire(Some(ip)).is_some());
    }

    #[test]
    fn total_limit_counts_unix_sockets() {
        let l = limiter(2, 5);
        let _a = l.try_acquire(None).unwrap();
        let _b = l.try_acquire(Some("192.0.2.1".parse().unwrap())).unwrap();
        assert!(l.try_acquire(None).is_none());
        assert!(l.try_acquire(Some("192.0.2.9".parse().unwrap())).is_none());
        assert_eq!(l.active(), 2);
    }

    #[test]
    fn ipv6_counts_per_64_and_mapped_v4_as_v4() {
        let l = limiter(10, 1);
        let _a = l
            .try_acquire(Some("2001:db8:1:2::1".parse().unwrap()))
            .unwrap();
        assert!(
            l.try_acquire(Some("2001:db8:1:2::ffff".parse().unwrap()))
                .is_none()
        );
        assert!(
            l.try_acquire(Some("2001:db8:1:3::1".parse().unwrap()))
                .is_some()
        );
        let _v4 = l.try_acquire(Some("192.0.2.7".parse().unwrap())).unwrap();
        assert!(
            l.try_acquire(Some("::ffff:192.0.2.7".parse().unwrap()))
                .is_none()
        );
    }

    #[tokio::test]
    async fn wait_idle_returns_once_all_permits_dropped() {
        let l = limiter(10, 10);
        let p = l.try_acquire(None).unwrap();
        let waiter = tokio::spawn({
            let l = Arc::clone(&l);
            async move { l.wait_idle().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drop(p);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiter)
            .await
            .expect("wait_idle returned")
            .unwrap();
    }
}
