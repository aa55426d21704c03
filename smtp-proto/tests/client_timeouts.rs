//! Reply timeouts (RFC 5321 section 4.5.3.2) with a virtual clock.

mod client_support;

use client_support::{Out, drain, envelope};
use smtp_proto::client::{Client, ClientError, Config, Event, Transfer};
use std::time::{Duration, Instant};

const MIN: Duration = Duration::from_secs(60);

struct Harness {
    client: Client,
    now: Instant,
    log: Vec<Out>,
}

impl Harness {
    fn new(config: Config) -> Self {
        let now = Instant::now();
        let mut client = Client::new(config, now);
        let mut log = Vec::new();
        drain(&mut client, &mut log);
        Self { client, now, log }
    }

    fn input(&mut self, bytes: &[u8]) {
        self.client.handle_input(bytes);
        drain(&mut self.client, &mut self.log);
    }

    /// Advances the virtual clock and lets the client see the time, as a driver would.
    fn advance(&mut self, by: Duration) {
        self.now += by;
        while let Some(at) = self.client.poll_timeout() {
            if at > self.now {
                break;
            }
            self.client.handle_timeout(self.now);
            if self.client.is_closed() {
                break;
            }
        }
        drain(&mut self.client, &mut self.log);
    }

    fn deadline_in(&self) -> Option<Duration> {
        self.client.poll_timeout().map(|at| at - self.now)
    }

    fn timed_out(&self) -> Option<&'static str> {
        self.log.iter().find_map(|o| match o {
            Out::Ev(Event::Error(ClientError::Timeout { waiting_for })) => Some(*waiting_for),
            _ => None,
        })
    }

    /// Checks that the current wait lasts exactly `expected`, then lets it expire.
    fn expect_timeout(&mut self, expected: Duration, waiting_for: &str) {
        self.advance(Duration::ZERO);
        assert_eq!(self.deadline_in(), Some(expected));
        self.advance(expected - Duration::from_secs(1));
        assert_eq!(self.timed_out(), None);
        assert!(!self.client.is_closed());
        self.advance(Duration::from_secs(1));
        assert_eq!(self.timed_out(), Some(waiting_for));
        assert_eq!(self.log.last(), Some(&Out::Ev(Event::Closed)));
        assert!(self.client.is_closed());
        assert_eq!(self.client.poll_timeout(), None);
    }
}

fn smtp() -> Config {
    Config::smtp("client.example")
}

fn ready(ehlo: &[u8]) -> Harness {
    let mut h = Harness::new(smtp());
    h.advance(MIN);
    h.input(b"220 mx\r\n");
    h.advance(MIN);
    h.input(ehlo);
    h.advance(MIN);
    assert!(h.client.is_ready());
    h
}

#[test]
fn greeting_timeout_is_five_minutes() {
    let mut h = Harness::new(smtp());
    h.expect_timeout(5 * MIN, "the greeting");
}

#[test]
fn ehlo_and_idle() {
    let mut h = Harness::new(smtp());
    h.advance(MIN);
    h.input(b"220 mx\r\n");
    h.expect_timeout(5 * MIN, "the reply to EHLO");
    // Idle sessions have no timer: the application decides when to QUIT.
    let h = ready(b"250 mx\r\n");
    assert_eq!(h.client.poll_timeout(), None);
}

#[test]
fn mail_rcpt_data_timeouts() {
    let plain = b"250 mx\r\n";
    let mut h = ready(plain);
    h.client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))
        .unwrap();
    h.expect_timeout(5 * MIN, "the reply to MAIL");

    let mut h = ready(plain);
    h.client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))
        .unwrap();
    h.input(b"250 ok\r\n");
    h.expect_timeout(5 * MIN, "the reply to RCPT");

    let mut h = ready(plain);
    h.client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))
        .unwrap();
    h.input(b"250 ok\r\n");
    h.input(b"250 ok\r\n");
    h.expect_timeout(2 * MIN, "the reply to DATA");
}

fn in_body() -> Harness {
    let mut h = ready(b"250-mx\r\n250 PIPELINING\r\n");
    h.client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Data))
        .unwrap();
    h.input(b"250 ok\r\n250 ok\r\n354 go\r\n");
    h
}

#[test]
fn data_block_timeout_restarts_with_each_chunk() {
    let mut h = in_body();
    h.advance(Duration::ZERO);
    assert_eq!(h.deadline_in(), Some(3 * MIN));
    h.advance(2 * MIN);
    h.client.send_body_chunk(b"more").unwrap();
    h.advance(2 * MIN);
    assert_eq!(h.timed_out(), None, "a chunk restarts the data block timer");
    h.client.send_body_chunk(b"more").unwrap();
    h.expect_timeout(3 * MIN, "the next body chunk");
}

#[test]
fn data_termination_timeout_is_ten_minutes() {
    let mut h = in_body();
    h.client.send_body_chunk(b"x").unwrap();
    h.client.end_body().unwrap();
    h.expect_timeout(10 * MIN, "the reply to the message data");
}

#[test]
fn bdat_chunk_timeout() {
    let mut h = ready(b"250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
    h.client
        .send_mail(&envelope("a@x.example", &["b@y.example"], Transfer::Bdat))
        .unwrap();
    h.input(b"250 ok\r\n250 ok\r\n");
    h.client.send_body_chunk(b"abc").unwrap();
    h.expect_timeout(3 * MIN, "the reply to BDAT");
}

#[test]
fn configured_timeouts_and_no_timer_after_reply() {
    let mut config = smtp();
    config.timeouts.greeting = Duration::from_secs(7);
    let mut h = Harness::new(config.clone());
    h.expect_timeout(Duration::from_secs(7), "the greeting");
    // A reply in time clears the timer it answered.
    let mut h = Harness::new(config);
    h.advance(Duration::from_secs(6));
    h.input(b"220 mx\r\n250 mx\r\n");
    h.advance(Duration::from_secs(60));
    assert_eq!(h.timed_out(), None);
    assert!(h.client.is_ready());
}
