//! The generic driver with a second protocol: a POP3 session that streams a large
//! message in chunks through [`Flow::Resume`], so the machine never holds it whole.

use std::time::Duration;

use pop3_proto::server::{Config, Event, MessageInfo, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::*;
use crate::shutdown::Shutdown;

const LINES: usize = 5000;
const LINE: &[u8] = b".dotted line of a large message\r\n";
const CHUNK: usize = 4096;

struct Pop3Test;

/// Streams the message `CHUNK` bytes per resume.
struct Pop3Session {
    message: Vec<u8>,
    sent: usize,
}

impl Service for Pop3Test {
    type Machine = Server;
    type Session = Pop3Session;

    fn open(&self, _peer: &Peer) -> (Server, Pop3Session) {
        let mut config = Config::new("pop.example.test");
        config.allow_plaintext_without_tls = true;
        let session = Pop3Session {
            message: LINE.repeat(LINES),
            sent: 0,
        };
        (Server::new(config, std::time::Instant::now()), session)
    }

    fn refusal(&self) -> Bytes {
        pop3::refusal()
    }
}

impl Pop3Session {
    fn stream_chunk(&mut self, machine: &mut Server) -> Flow {
        let end = (self.sent + CHUNK).min(self.message.len());
        machine
            .message_chunk(&self.message[self.sent..end])
            .unwrap();
        self.sent = end;
        if self.sent == self.message.len() {
            machine.message_end().unwrap();
            Flow::Done
        } else {
            Flow::Resume
        }
    }
}

impl Session<Server> for Pop3Session {
    async fn on_event(&mut self, machine: &mut Server, event: Event) -> Flow {
        match event {
            Event::Login { .. } => machine.accept_login().unwrap(),
            Event::OpenMaildrop { .. } => {
                let size = self.message.len() as u64;
                machine
                    .maildrop_ready(vec![MessageInfo::new(size, "uid-1")])
                    .unwrap();
            }
            Event::Retrieve { .. } => {
                self.sent = 0;
                return self.stream_chunk(machine);
            }
            Event::Update { .. } => machine.update_complete().unwrap(),
            _ => {}
        }
        Flow::Done
    }

    async fn resume(&mut self, machine: &mut Server) -> Flow {
        self.stream_chunk(machine)
    }
}

#[tokio::test]
async fn pop3_retr_streams_through_resume() {
    let (mut client, server_side) = tokio::io::duplex(8192);
    let (_trigger, shutdown) = Shutdown::new(Duration::from_secs(1));
    let shared = Shared {
        limiter: Limiter::new(ConnectionLimits::default()),
        tls: None,
        shutdown,
    };
    let peer = Peer {
        id: 9,
        listener: "pop3",
        remote: Some("127.0.0.1:1100".parse().unwrap()),
        implicit_tls: false,
    };
    let session = tokio::spawn(async move {
        run_connection(&Pop3Test, peer, Box::new(server_side), &shared).await;
    });
    client
        .write_all(b"USER pat\r\nPASS pw\r\nRETR 1\r\nQUIT\r\n")
        .await
        .unwrap();
    let mut out = Vec::new();
    timeout(Duration::from_secs(10), client.read_to_end(&mut out))
        .await
        .expect("the session ends after QUIT")
        .unwrap();
    session.await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let stuffed = format!("..{}", std::str::from_utf8(&LINE[1..]).unwrap()).repeat(LINES);
    let expected = format!("+OK {} octets\r\n{stuffed}.\r\n", LINE.len() * LINES);
    assert!(text.contains(&expected), "{}", &text[..200.min(text.len())]);
    let tail = &text[text.len().saturating_sub(100)..];
    assert!(
        tail.ends_with(".\r\n+OK pop.example.test POP3 server signing off (1 messages left)\r\n"),
        "{tail}"
    );
}
