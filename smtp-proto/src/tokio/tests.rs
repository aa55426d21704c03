//! The codecs and the driver over in-memory pipes.

use std::time::Duration;

use ::tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream, duplex};
use ::tokio::time::timeout;
use bytes::{Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::{CodecError, CommandCodec, Handler, Incoming, Outcome, ReplyCodec, drive};
use crate::codec::CommandErrorKind;
use crate::server::{CloseReason, Config, Event, Server};
use crate::types::{Command, EnhancedCode, Reply};

#[test]
fn command_codec_frames_commands_errors_and_long_lines() {
    let mut codec = CommandCodec::new(512);
    let mut buf = BytesMut::from(&b"NOOP\r\nFROB\r\nMAIL FROM:<a@b>\r\nRCPT"[..]);
    let mut next = |buf: &mut BytesMut| codec.decode(buf).expect("no error");
    assert_eq!(next(&mut buf), Some(Incoming::Command(Command::Noop(None))));
    let Some(Incoming::Invalid(e)) = next(&mut buf) else {
        panic!("FROB is invalid");
    };
    assert_eq!(e.kind, CommandErrorKind::UnknownCommand);
    assert!(matches!(
        next(&mut buf),
        Some(Incoming::Command(Command::Mail(_)))
    ));
    assert_eq!(next(&mut buf), None);
    assert_eq!(&buf[..], b"RCPT");
    // An overlong line is dropped as it arrives and reported once it ends.
    buf.extend_from_slice(&[b'x'; 600]);
    assert_eq!(next(&mut buf), None);
    assert!(buf.is_empty(), "overlong bytes are not kept");
    buf.extend_from_slice(&[b'y'; 600]);
    assert_eq!(next(&mut buf), None);
    buf.extend_from_slice(b"yy\r\nQUIT\r\n");
    assert_eq!(next(&mut buf), Some(Incoming::LineTooLong));
    assert_eq!(next(&mut buf), Some(Incoming::Command(Command::Quit)));
    assert_eq!(next(&mut buf), None);
}

#[test]
fn command_codec_encodes_replies() {
    let mut out = BytesMut::new();
    let reply = Reply::multiline(250, None, vec!["mx".into(), "PIPELINING".into()]);
    CommandCodec::default()
        .encode(reply, &mut out)
        .expect("encodes");
    assert_eq!(&out[..], b"250-mx\r\n250 PIPELINING\r\n");
}

#[test]
fn reply_codec_decodes_replies_and_encodes_commands() {
    let mut codec = ReplyCodec;
    let mut buf = BytesMut::from(&b"250-mx.example\r\n250-SIZE 100\r\n250 8BITMIME\r\n354 go"[..]);
    let reply = codec.decode(&mut buf).expect("valid").expect("complete");
    assert_eq!(reply.code, 250);
    assert_eq!(reply.lines, ["mx.example", "SIZE 100", "8BITMIME"]);
    assert_eq!(codec.decode(&mut buf).expect("valid"), None);
    buf.extend_from_slice(b" ahead\r\n");
    assert_eq!(
        codec.decode(&mut buf).expect("valid").map(|r| r.code),
        Some(354)
    );
    assert!(buf.is_empty());
    buf.extend_from_slice(b"25x oops\r\n");
    assert!(matches!(
        codec.decode(&mut buf),
        Err(CodecError::InvalidReply { .. })
    ));
    let mut out = BytesMut::new();
    codec.encode(Command::Rset, &mut out).expect("encodes");
    assert_eq!(&out[..], b"RSET\r\n");
}

/// Accepts everything, records events (chunks merged into bodies).
#[derive(Default)]
struct Recorder {
    events: Vec<Event>,
    bodies: Vec<Vec<u8>>,
    /// Leave MAIL unanswered (a buggy handler).
    ignore_mail: bool,
}

impl Handler for Recorder {
    async fn on_event(&mut self, server: &mut Server, event: Event) {
        let ok = || Reply::new(250, Some(EnhancedCode::new(2, 0, 0)), "Ok: stored");
        match &event {
            Event::Mail(_) if self.ignore_mail => {}
            Event::Mail(_) => server.accept_mail().expect("MAIL pending"),
            Event::Rcpt(_) => server.accept_rcpt().expect("RCPT pending"),
            Event::DataStart { .. } => self.bodies.push(Vec::new()),
            Event::DataChunk(b) => self
                .bodies
                .last_mut()
                .expect("started")
                .extend_from_slice(b),
            Event::MessageEnd { .. } => server.accept_message(ok()).expect("end pending"),
            _ => {}
        }
        if !matches!(event, Event::DataChunk(_)) {
            self.events.push(event);
        }
    }
}

fn server() -> Server {
    Server::new(Config::new("mx.example"), std::time::Instant::now())
}

/// Writes `input` from the client end while reading everything the server sends until
/// it closes its end.
async fn client(end: DuplexStream, input: &'static [u8]) -> String {
    let (mut read, mut write) = ::tokio::io::split(end);
    let writer = async move { write.write_all(input).await.expect("write") };
    let reader = async move {
        let mut replies = String::new();
        read.read_to_string(&mut replies).await.expect("read");
        replies
    };
    ::tokio::join!(writer, reader).1
}

#[tokio::test]
async fn drives_a_pipelined_session() {
    let (client_end, server_end) = duplex(64);
    let input = b"EHLO c.example\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\nDATA\r\n\
        line 1\r\n..dotted\r\n.\r\nMAIL FROM:<a@b.example>\r\nRCPT TO:<c@d.example>\r\n\
        BDAT 7 LAST\r\nhello\r\nQUIT\r\n";
    let client = tokio::spawn(client(client_end, input));
    let (mut srv, mut rec) = (server(), Recorder::default());
    let outcome = drive(&mut srv, server_end, &mut rec)
        .await
        .expect("no I/O error");
    assert!(matches!(outcome, Outcome::Closed(CloseReason::Quit)));
    let replies = client.await.expect("client task");
    assert!(replies.starts_with("220 mx.example ESMTP Postroom\r\n250-mx.example\r\n"));
    assert!(
        replies.ends_with(
            "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n354 End data with <CR><LF>.<CR><LF>\r\n\
         250 2.0.0 Ok: stored\r\n250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.0.0 Ok: stored\r\n\
         221 2.0.0 Bye\r\n"
        ),
        "{replies}"
    );
    assert_eq!(
        rec.bodies,
        [b"line 1\r\n.dotted\r\n".to_vec(), b"hello\r\n".to_vec()]
    );
    assert_eq!(rec.events.last(), Some(&Event::Closed(CloseReason::Quit)));
}

/// On STARTTLS the driver writes the 220 and hands the stream back; driving again after
/// `tls_established` continues the session (here without real TLS, which the interop
/// tests cover).
#[tokio::test]
async fn hands_back_the_stream_on_starttls() {
    let (mut client_end, server_end) = duplex(1024);
    let mut config = Config::new("mx.example");
    config.extensions.starttls = true;
    let mut srv = Server::new(config, std::time::Instant::now());
    let mut rec = Recorder::default();
    client_end
        .write_all(b"EHLO c\r\nSTARTTLS\r\nNOOP\r\n")
        .await
        .expect("write");
    let Outcome::StartTls(server_end) = drive(&mut srv, server_end, &mut rec).await.expect("io")
    else {
        panic!("expected STARTTLS");
    };
    let mut buf = vec![0; 1024];
    let n = client_end.read(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(text.ends_with("250 ENHANCEDSTATUSCODES\r\n220 2.0.0 Ready to start TLS\r\n"));
    srv.tls_established().expect("handshake pending");
    client_end
        .write_all(b"EHLO c\r\nQUIT\r\n")
        .await
        .expect("write");
    let outcome = drive(&mut srv, server_end, &mut rec).await.expect("io");
    assert!(matches!(outcome, Outcome::Closed(CloseReason::Quit)));
    assert!(srv.is_tls());
    let mut rest = String::new();
    client_end.read_to_string(&mut rest).await.expect("read");
    // The NOOP pipelined after STARTTLS in plaintext was discarded, never answered.
    assert!(!text.contains("250 2.0.0 Ok\r\n") && !rest.contains("250 2.0.0 Ok\r\n"));
    assert!(rest.starts_with("250-mx.example\r\n") && rest.ends_with("221 2.0.0 Bye\r\n"));
    assert!(
        !rest.contains("STARTTLS"),
        "not offered again over TLS: {rest}"
    );
}

#[tokio::test(start_paused = true)]
async fn idle_client_times_out() {
    let (mut client_end, server_end) = duplex(1024);
    let (mut srv, mut rec) = (server(), Recorder::default());
    let started = ::tokio::time::Instant::now();
    let outcome = drive(&mut srv, server_end, &mut rec).await.expect("io");
    assert!(matches!(outcome, Outcome::Closed(CloseReason::Timeout)));
    assert!(started.elapsed() >= Duration::from_secs(300));
    let mut replies = String::new();
    client_end.read_to_string(&mut replies).await.expect("read");
    assert!(replies.ends_with("421 4.4.2 mx.example Error: timeout exceeded\r\n"));
}

#[tokio::test]
async fn client_disconnect_ends_the_drive() {
    let (mut client_end, server_end) = duplex(1024);
    client_end.write_all(b"EHLO c\r\n").await.expect("write");
    client_end.shutdown().await.expect("half-close");
    let (mut srv, mut rec) = (server(), Recorder::default());
    let outcome = timeout(
        Duration::from_secs(10),
        drive(&mut srv, server_end, &mut rec),
    )
    .await
    .expect("bounded")
    .expect("io");
    assert!(matches!(outcome, Outcome::Disconnected));
    assert!(matches!(rec.events[..], [Event::Hello { .. }]));
}

#[tokio::test]
async fn unanswered_decision_closes_with_421() {
    let (client_end, server_end) = duplex(1024);
    let client = tokio::spawn(client(client_end, b"EHLO c\r\nMAIL FROM:<a@b>\r\n"));
    let mut srv = server();
    let mut rec = Recorder {
        ignore_mail: true,
        ..Recorder::default()
    };
    let outcome = drive(&mut srv, server_end, &mut rec).await.expect("io");
    assert!(matches!(outcome, Outcome::Closed(CloseReason::Application)));
    let replies = client.await.expect("client task");
    assert!(replies.ends_with("421 4.3.0 Error: internal error, decision not made\r\n"));
}

/// The driver never holds a whole body: chunks reach the handler as they are read.
#[tokio::test]
async fn body_chunks_stream_through() {
    let (mut client_end, server_end) = duplex(4096);
    let driver = tokio::spawn(async move {
        let (mut srv, mut rec) = (server(), Recorder::default());
        drive(&mut srv, server_end, &mut rec)
            .await
            .map(|o| (o, rec))
    });
    client_end
        .write_all(b"EHLO c\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\nDATA\r\n")
        .await
        .expect("write");
    let line = Bytes::from(vec![b'z'; 998]);
    for _ in 0..1000 {
        client_end.write_all(&line).await.expect("write");
        client_end.write_all(b"\r\n").await.expect("write");
    }
    client_end.write_all(b".\r\nQUIT\r\n").await.expect("write");
    let mut replies = String::new();
    client_end.read_to_string(&mut replies).await.expect("read");
    let (outcome, rec) = driver.await.expect("task").expect("io");
    assert!(matches!(outcome, Outcome::Closed(CloseReason::Quit)));
    assert_eq!(rec.bodies[0].len(), 1000 * 1000);
    assert!(replies.ends_with("250 2.0.0 Ok: stored\r\n221 2.0.0 Bye\r\n"));
}
