//! Helpers shared by the fuzz targets: a driver that plays an application answering a
//! Sans-IO SMTP/LMTP server's decisions with choices drawn from the fuzz input.

use std::time::{Duration, Instant};

use arbitrary::{Result, Unstructured};
use smtp_proto::codec::decode_reply;
use smtp_proto::server::{Event, Output, Server};
use smtp_proto::types::{EnhancedCode, Reply};

/// At most this many bytes per `handle_input` call.
pub const MAX_READ: usize = 4096;

/// Picks one of a few replies an application would give.
fn reply(u: &mut Unstructured<'_>, positive: bool) -> Result<Reply<'static>> {
    let code = if positive {
        *u.choose(&[250, 251, 252])?
    } else {
        *u.choose(&[421, 450, 451, 452, 550, 551, 552, 553, 554])?
    };
    let enhanced = if u.arbitrary()? {
        Some(EnhancedCode::new(
            u.int_in_range(2..=5)?,
            u.arbitrary()?,
            u.arbitrary()?,
        ))
    } else {
        None
    };
    let text: String = u.arbitrary()?;
    let text: String = text.chars().filter(|c| !c.is_control()).take(64).collect();
    Ok(Reply::new(code, enhanced, text))
}

/// Answers the decision `event` asks for (if any), with choices from `u`.
fn answer(server: &mut Server, event: &Event, u: &mut Unstructured<'_>) -> Result<()> {
    let positive = u.ratio(3u8, 4)?;
    // Errors mean "not waiting for that decision": impossible here, so they must not occur.
    let result = match event {
        Event::Mail(_) if positive => server.accept_mail(),
        Event::Mail(_) => server.reject_mail(reply(u, false)?),
        Event::Rcpt(_) if positive => server.accept_rcpt(),
        Event::Rcpt(_) => server.reject_rcpt(reply(u, false)?),
        Event::MessageEnd { recipients } => match u.int_in_range(0..=2)? {
            0 => server.accept_message(reply(u, true)?),
            1 => server.reject_message(reply(u, false)?),
            _ => {
                // One reply per recipient in LMTP, one in SMTP: answer while asked.
                let mut result = Ok(());
                let mut answered = 0;
                while result.is_ok() && server.awaiting_decision() {
                    let positive = u.arbitrary()?;
                    result = server.recipient_reply(reply(u, positive)?);
                    answered += 1;
                }
                assert!(
                    answered <= recipients.len().max(1),
                    "{answered} replies asked"
                );
                result
            }
        },
        Event::Auth { .. } | Event::AuthResponse(_) => match u.int_in_range(0..=2)? {
            0 => {
                let challenge: &[u8] = u.arbitrary()?;
                server.auth_challenge(challenge)
            }
            1 => server.auth_success("fuzz@example.org"),
            _ => server.auth_failure(reply(u, false)?),
        },
        Event::Vrfy(_) | Event::Expn(_) => server.answer_lookup(reply(u, positive)?),
        Event::StartTls => server.tls_established(),
        _ => return Ok(()),
    };
    assert!(
        result.is_ok(),
        "decision refused after {event:?}: {result:?}"
    );
    Ok(())
}

/// Checks that a transmit is a sequence of complete, valid replies.
fn check_transmit(bytes: &[u8]) {
    let mut rest = bytes;
    while !rest.is_empty() {
        match decode_reply(rest) {
            Ok((consumed, _)) => rest = &rest[consumed..],
            Err(e) => panic!(
                "server sent an invalid reply {:?}: {e}",
                String::from_utf8_lossy(rest)
            ),
        }
    }
}

/// Feeds the rest of `u` to `server` in chunks of arbitrary sizes, answering every
/// decision, occasionally letting time pass, and checking after every drain that the
/// input buffered inside the machine stays within its documented bound.
pub fn drive_server(mut server: Server, u: &mut Unstructured<'_>) -> Result<()> {
    let start = Instant::now();
    let mut now = start;
    let limits = server.config().limits.clone();
    let line_limit = limits.max_line_length.max(limits.max_auth_line_length);
    let mut steps = 0u32;
    while !u.is_empty() && !server.is_closed() && steps < 10_000 {
        steps += 1;
        if u.ratio(1u8, 16)? {
            now += Duration::from_secs(u.int_in_range(1..=900)?);
            server.handle_timeout(now);
        }
        let len = u.int_in_range(1..=MAX_READ)?;
        let chunk = u.bytes(len.min(u.len()))?;
        server.handle_input(chunk);
        loop {
            match server.poll_output() {
                Output::Transmit(bytes) => check_transmit(&bytes),
                Output::Event(event) => answer(&mut server, &event, u)?,
                Output::NeedInput => break,
            }
        }
        let held = server.buffered_input_len();
        if server.awaiting_decision() {
            assert!(
                held <= line_limit + limits.max_pending_input,
                "holds {held} bytes"
            );
        } else {
            assert!(
                held < line_limit,
                "holds {held} bytes with no decision pending"
            );
        }
    }
    Ok(())
}
