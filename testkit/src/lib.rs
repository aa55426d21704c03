//! Helpers shared by the tests of the Postroom crates. Not published.
//!
//! ```
//! let port = testkit::free_port();
//! let listener = std::net::TcpListener::bind(("127.0.0.1", port)).unwrap();
//! testkit::wait_for_port(listener.local_addr().unwrap());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod postfix;
pub mod rspamd;

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// The first port [`free_port`] hands out.
const FIRST: u32 = 20_000;
/// How many ports [`free_port`] chooses from (all below 32768).
const COUNT: u32 = 12_000;

/// A free TCP port on 127.0.0.1 for a server the test starts moments later.
///
/// The port is free now and no other caller in this process has been given it. Ports
/// come from below Linux's ephemeral range (32768 and up), so the kernel cannot hand one
/// to an outgoing connection between this check and the server's own bind, which
/// happens with ports taken from `bind(":0")` when tests run in parallel. Each process
/// starts at a different offset, so test binaries running at once rarely meet.
///
/// # Panics
///
/// When no port in the range is free.
pub fn free_port() -> u16 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let start = std::process::id().wrapping_mul(7_919) % COUNT;
    for _ in 0..COUNT {
        let offset = (start + NEXT.fetch_add(1, Ordering::Relaxed)) % COUNT;
        let Ok(port) = u16::try_from(FIRST + offset) else {
            continue;
        };
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
    panic!("no free port between {FIRST} and {}", FIRST + COUNT);
}

/// Waits until something accepts connections on `addr`, for at most 10 seconds.
///
/// # Panics
///
/// When nothing accepts within 10 seconds.
pub fn wait_for_port(addr: SocketAddr) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
        assert!(Instant::now() < deadline, "nothing listens on {addr}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Stops a server the test started: SIGTERM, up to 10 seconds for it to exit cleanly,
/// then SIGKILL. For `Drop` impls, so it never panics.
pub fn terminate(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_distinct_and_bindable_below_the_ephemeral_range() {
        let a = free_port();
        let b = free_port();
        assert_ne!(a, b);
        for port in [a, b] {
            assert!((20_000..32_000).contains(&port));
            // A process forked by a parallel test (before its exec) can hold the probing
            // socket for a moment, so allow a short wait, as a server started later has.
            let deadline = Instant::now() + Duration::from_secs(2);
            while let Err(e) = TcpListener::bind(("127.0.0.1", port)) {
                assert!(Instant::now() < deadline, "port {port} stays taken: {e}");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    #[test]
    fn terminate_stops_a_running_child() {
        let mut child = Command::new("sleep").arg("60").spawn().unwrap();
        terminate(&mut child);
        assert!(child.try_wait().unwrap().is_some(), "the child has exited");
    }
}
