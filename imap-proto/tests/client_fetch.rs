//! FETCH responses with large literals are streamed: the client hands the literal out in
//! chunks and never buffers it whole.

mod client_support;

use std::num::NonZeroU32;

use client_support::*;
use imap_proto::client::{Client, Config, Event, Output};
use imap_proto::types::{
    CommandBody, FetchAttribute, FetchItem, FetchItems, FetchModifiers, NonEmptyVec, Section,
    SequenceSet, StatusKind, StreamedItem,
};

fn fetch_body() -> CommandBody<'static> {
    CommandBody::Fetch {
        uid: false,
        set: SequenceSet::single(1).unwrap(),
        items: FetchItems::Attributes(
            NonEmptyVec::new(vec![
                FetchAttribute::Uid,
                FetchAttribute::BodySection {
                    peek: false,
                    section: Section::default(),
                    partial: None,
                },
            ])
            .unwrap(),
        ),
        modifiers: FetchModifiers::default(),
    }
}

fn seq(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap()
}

fn body_item() -> StreamedItem<'static> {
    StreamedItem::BodySection {
        section: Section::default(),
        origin: None,
    }
}

fn small_threshold() -> Config {
    let mut config = Config::default();
    config.stream_threshold = 16;
    config
}

#[test]
fn literal_above_threshold_is_streamed() {
    let body: &[u8] = b"Subject: hi\r\n\r\nThis body is forty bytes!";
    assert_eq!(body.len(), 40);
    let mut reply = b"* 3 EXISTS\r\n* 1 FETCH (UID 7 BODY[] {40}\r\n".to_vec();
    reply.extend_from_slice(body);
    reply.extend_from_slice(b" FLAGS (\\Seen))\r\n* 2 FETCH (UID 8 BODY[] {5}\r\nshort)\r\n");
    reply.extend_from_slice(b"A1 OK FETCH completed\r\n");
    let log = session(
        &small_threshold(),
        &[
            server(GREETING),
            app(|c| c.command(fetch_body())),
            server(reply),
        ],
    );
    assert_eq!(
        log[2..],
        [
            sent("A1 FETCH 1 (UID BODY[])\r\n"),
            untagged(b"* 3 EXISTS\r\n"),
            ev(Event::FetchStart { seq: seq(1) }),
            ev(Event::FetchItem {
                seq: seq(1),
                item: FetchItem::Uid(seq(7))
            }),
            ev(Event::LiteralStart {
                seq: seq(1),
                item: body_item(),
                length: 40,
                binary: false
            }),
            ev(Event::LiteralChunk(bytes::Bytes::from_static(body))),
            ev(Event::LiteralEnd),
            ev(Event::FetchItem {
                seq: seq(1),
                item: FetchItem::Flags(vec![imap_proto::types::Flag::Seen])
            }),
            ev(Event::FetchEnd { seq: seq(1) }),
            // Below the threshold: one whole response.
            untagged(b"* 2 FETCH (UID 8 BODY[] {5}\r\nshort)\r\n"),
            done("A1", StatusKind::Ok, "FETCH completed"),
        ]
    );
}

#[test]
fn garbage_inside_a_streamed_fetch_closes() {
    let log = session(
        &small_threshold(),
        &[
            server(GREETING),
            server(b"* 1 FETCH (BODY[] {20}\r\n01234567890123456789 FOO)\r\nA1 OK\r\n"),
        ],
    );
    assert_eq!(log[2], ev(Event::FetchStart { seq: seq(1) }));
    assert_eq!(log[5], ev(Event::LiteralEnd));
    assert!(
        matches!(&log[6], Out::Ev(Event::Error(e)) if e.to_string().contains("FOO")),
        "{:?}",
        log[6]
    );
    assert_eq!(log[7..], [ev(Event::Closed)]);
}

/// Feeds a 30 MB `BODY[]` in chunks of the sizes `next_chunk` gives; checks every byte
/// arrives in order and returns the largest number of bytes the client buffered.
fn stream_big_body(mut next_chunk: impl FnMut() -> usize) -> usize {
    const SIZE: usize = 30 * 1024 * 1024;
    let pattern = |i: usize| (i % 251) as u8;
    let mut client = Client::new(Config::default(), std::time::Instant::now());
    let mut received = 0usize;
    let mut events = Vec::new();
    let pump = |client: &mut Client, received: &mut usize, events: &mut Vec<String>| loop {
        match client.poll_output() {
            Output::Event(Event::LiteralChunk(chunk)) => {
                for (i, b) in chunk.iter().enumerate() {
                    assert_eq!(*b, pattern(*received + i), "byte {}", *received + i);
                }
                *received += chunk.len();
            }
            Output::Event(e) => {
                let name = format!("{e:?}");
                events.push(name.split([' ', '(', '{']).next().unwrap_or("").to_owned());
            }
            Output::Transmit(_) => {}
            Output::NeedInput => return,
        }
    };
    client.handle_input(GREETING);
    client.command(fetch_body()).unwrap();
    client.handle_input(format!("* 1 FETCH (UID 9 BODY[] {{{SIZE}}}\r\n").as_bytes());
    pump(&mut client, &mut received, &mut events);
    let mut max_buffered = 0;
    let mut chunk = Vec::new();
    let mut sent = 0;
    while sent < SIZE {
        let n = next_chunk().min(SIZE - sent);
        chunk.clear();
        chunk.extend((sent..sent + n).map(pattern));
        client.handle_input(&chunk);
        max_buffered = max_buffered.max(client.buffered_len());
        pump(&mut client, &mut received, &mut events);
        max_buffered = max_buffered.max(client.buffered_len());
        sent += n;
    }
    client.handle_input(b")\r\nA1 OK FETCH completed\r\n");
    pump(&mut client, &mut received, &mut events);
    assert_eq!(received, SIZE);
    assert_eq!(
        events,
        [
            "Greeting",
            "Capabilities",
            "FetchStart",
            "FetchItem",
            "LiteralStart",
            "LiteralEnd",
            "FetchEnd",
            "Completed"
        ]
    );
    max_buffered
}

#[test]
fn thirty_megabyte_body_is_streamed_in_chunks() {
    let max = stream_big_body(|| 64 * 1024);
    assert!(max <= 64 * 1024, "buffered {max} bytes");
}

#[test]
fn thirty_megabyte_body_in_random_chunks() {
    let mut state = 7u64;
    let max = stream_big_body(|| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        1 + (state >> 47) as usize // up to 128 KiB
    });
    assert!(max <= 128 * 1024, "buffered {max} bytes");
}
