//! Shared code of the Postroom benchmarks and load tools.
//!
//! [`load`] is the library behind the `postroom-load` binary: SMTP, LMTP, IMAP and POP3
//! load on Postroom's own client state machines, against any server.
//!
//! ```
//! use postroom_benches::load::stats::Latencies;
//! use std::time::Duration;
//!
//! let mut latencies = Latencies::default();
//! for ms in 1..=100 {
//!     latencies.record(Duration::from_millis(ms));
//! }
//! assert_eq!(latencies.percentile(50.0), Duration::from_millis(50));
//! assert_eq!(latencies.max(), Duration::from_millis(100));
//! ```

pub mod load;
