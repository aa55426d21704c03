//! Our client against our server, in memory: LOGIN, SELECT, APPEND with literals (a
//! non-synchronising one and one that waits for `+`), a streamed FETCH, IDLE with a
//! pushed update, and LOGOUT.

use std::num::NonZeroU32;
use std::time::Instant;

use imap_proto::client::{self, Client};
use imap_proto::server::{self, Server, Status};
use imap_proto::types::{
    AString, AppendData, AppendMessage, Code, CommandBody, Fetch, FetchAttribute, FetchItem,
    FetchItems, FetchModifiers, IString, Literal, Mailbox, NString, NonEmptyVec, Secret, Section,
    SelectParams, SequenceSet, StatusKind, Tag, UidSet, Untagged,
};

struct Pair {
    client: Client,
    server: Server,
    now: Instant,
    events: Vec<client::Event>,
    /// Messages the server application stored.
    mailbox: Vec<Vec<u8>>,
    appending: Vec<u8>,
}

impl Pair {
    fn new() -> Self {
        let now = Instant::now();
        let mut server_config = server::Config::new();
        server_config.plaintext_auth = true;
        let mut client_config = client::Config::default();
        client_config.stream_threshold = 1024;
        let mut pair = Self {
            client: Client::new(client_config, now),
            server: Server::new(server_config, now),
            now,
            events: Vec::new(),
            mailbox: Vec::new(),
            appending: Vec::new(),
        };
        pair.pump();
        pair
    }

    /// Moves bytes both ways and answers the server's decisions until both are idle.
    fn pump(&mut self) {
        for _ in 0..10_000 {
            let mut progress = false;
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
            loop {
                match self.client.poll_output() {
                    client::Output::Transmit(bytes) => self.server.handle_input(&bytes),
                    client::Output::Event(event) => self.events.push(event),
                    client::Output::NeedInput => break,
                }
                progress = true;
            }
            loop {
                match self.server.poll_output() {
                    server::Output::Transmit(bytes) => self.client.handle_input(&bytes),
                    server::Output::Event(event) => self.decide(event),
                    server::Output::NeedInput => break,
                }
                progress = true;
            }
            if !progress {
                return;
            }
        }
        panic!("pair did not settle");
    }

    /// The server application: one mailbox, INBOX, holding what was appended.
    fn decide(&mut self, event: server::Event) {
        match event {
            server::Event::Command(command) => {
                let status = self.answer(&command.body);
                self.server.complete(status).unwrap();
            }
            server::Event::Literal { .. } | server::Event::AppendMessage(_) => {
                self.server.accept_literal().unwrap();
            }
            server::Event::AppendChunk(chunk) => self.appending.extend_from_slice(&chunk),
            server::Event::AppendEnd { .. } => {
                self.mailbox.push(std::mem::take(&mut self.appending));
                let uid = u32::try_from(self.mailbox.len()).unwrap();
                let code = Code::AppendUid {
                    uid_validity: nz(1),
                    uids: UidSet::new(SequenceSet::single(uid).unwrap()).unwrap(),
                };
                self.server
                    .complete(Status::ok("APPEND completed").with_code(code))
                    .unwrap();
            }
            server::Event::IdleStart => {
                self.server.push_unsolicited(Untagged::Exists(3)).unwrap();
            }
            _ => {}
        }
    }

    fn answer(&mut self, body: &CommandBody<'_>) -> Status {
        match body {
            CommandBody::Login { username, password } => {
                if username.as_bytes() == b"alice" && password.expose().as_bytes() == b"pw" {
                    Status::ok("LOGIN completed")
                } else {
                    Status::no("bad password")
                }
            }
            CommandBody::Select { .. } => {
                let count = u32::try_from(self.mailbox.len()).unwrap();
                self.server.send_untagged(Untagged::Exists(count)).unwrap();
                Status::ok("SELECT completed")
            }
            CommandBody::Fetch { .. } => {
                let data = IString::new(self.mailbox[0].clone()).unwrap();
                let items = vec![
                    FetchItem::Uid(nz(1)),
                    FetchItem::BodySection {
                        section: Section::default(),
                        origin: None,
                        data: NString(Some(data)),
                    },
                ];
                let fetch = Fetch {
                    seq: nz(1),
                    items: NonEmptyVec::new(items).unwrap(),
                };
                self.server.send_untagged(Untagged::Fetch(fetch)).unwrap();
                Status::ok("FETCH completed")
            }
            _ => Status::no("not in this test"),
        }
    }

    /// Queues a command, runs the pair, and returns the command's completion.
    fn run(&mut self, body: CommandBody<'_>) -> (Tag<'static>, StatusKind, Option<Code<'static>>) {
        let tag = self.client.command(body).unwrap();
        self.pump();
        self.completion(&tag)
    }

    fn completion(&self, tag: &Tag<'static>) -> (Tag<'static>, StatusKind, Option<Code<'static>>) {
        self.events
            .iter()
            .find_map(|e| match e {
                client::Event::Completed {
                    tag: t,
                    status,
                    code,
                    ..
                } if t == tag => Some((t.clone(), *status, code.clone())),
                _ => None,
            })
            .unwrap_or_else(|| panic!("{tag} not completed: {:?}", self.events))
    }
}

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn append(message: &[u8]) -> CommandBody<'static> {
    CommandBody::Append {
        mailbox: Mailbox::INBOX,
        messages: NonEmptyVec::one(AppendMessage {
            flags: Vec::new(),
            date: None,
            data: AppendData::new(Literal::new(message.to_vec()).unwrap()),
        }),
    }
}

#[test]
fn client_against_server() {
    let mut pair = Pair::new();
    assert!(matches!(pair.events[0], client::Event::Greeting(_)));
    assert!(
        pair.client
            .offers(&imap_proto::types::Capability::LiteralMinus)
    );

    let login = CommandBody::Login {
        username: AString::text("alice").unwrap(),
        password: Secret(AString::text("pw").unwrap()),
    };
    assert_eq!(pair.run(login).1, StatusKind::Ok);
    assert!(pair.client.is_authenticated());

    let select = CommandBody::Select {
        mailbox: Mailbox::INBOX,
        params: SelectParams::default(),
    };
    let (_, status, code) = pair.run(select);
    assert_eq!((status, code), (StatusKind::Ok, Some(Code::ReadWrite)));
    assert!(
        pair.events
            .contains(&client::Event::Untagged(Untagged::Exists(0)))
    );

    // Above 4096 octets LITERAL- does not apply: the client waits for `+`.
    let big: Vec<u8> = (0..10_000u32)
        .map(|i| {
            if i % 80 == 79 {
                b'\n'
            } else {
                b'a' + (i % 26) as u8
            }
        })
        .collect();
    let (_, status, code) = pair.run(append(&big));
    assert_eq!(status, StatusKind::Ok);
    assert!(matches!(code, Some(Code::AppendUid { .. })));
    let (_, status, _) = pair.run(append(b"Subject: small\r\n\r\nhi\r\n"));
    assert_eq!(status, StatusKind::Ok);
    assert_eq!(
        pair.mailbox,
        vec![big.clone(), b"Subject: small\r\n\r\nhi\r\n".to_vec()]
    );

    // The FETCH literal is above the client's streaming threshold.
    pair.events.clear();
    let fetch = CommandBody::Fetch {
        uid: false,
        set: SequenceSet::single(1).unwrap(),
        items: FetchItems::Attributes(NonEmptyVec::one(FetchAttribute::BodySection {
            peek: true,
            section: Section::default(),
            partial: None,
        })),
        modifiers: FetchModifiers::default(),
    };
    assert_eq!(pair.run(fetch).1, StatusKind::Ok);
    let mut body = Vec::new();
    for event in &pair.events {
        if let client::Event::LiteralChunk(chunk) = event {
            body.extend_from_slice(chunk);
        }
    }
    assert_eq!(body, big);
    assert!(matches!(pair.events[0], client::Event::FetchStart { seq } if seq == nz(1)));

    // IDLE: the server pushes an EXISTS; DONE ends it.
    pair.events.clear();
    let idle = pair.client.idle().unwrap();
    pair.pump();
    assert_eq!(
        pair.events,
        vec![
            client::Event::IdleStarted { tag: idle.clone() },
            client::Event::Untagged(Untagged::Exists(3)),
        ]
    );
    pair.client.done().unwrap();
    pair.pump();
    assert_eq!(pair.completion(&idle).1, StatusKind::Ok);

    pair.events.clear();
    let logout = pair.client.logout().unwrap();
    pair.pump();
    assert!(matches!(pair.events[0], client::Event::Bye(_)));
    assert_eq!(pair.completion(&logout).1, StatusKind::Ok);
    assert_eq!(pair.events.last(), Some(&client::Event::Closed));
    assert!(pair.client.is_closed());
    assert!(pair.server.is_closed());
}
