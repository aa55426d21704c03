//! The machine in memory: a scripted application answers its events, a virtual clock
//! drives its timeouts, and every session is replayed in every chunking.

use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::config::Config;
use super::event::DecisionError;
use super::types::SaslData;
use super::*;

const EXTENSIONS: &str = "fileinto envelope vacation";

fn config() -> Config {
    let mut config = Config::new(EXTENSIONS);
    config.max_redirects = Some(4);
    config.allow_plaintext_without_tls = true;
    config
}

/// What happened in a session: the bytes sent and the events seen.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
struct Transcript {
    sent: String,
    events: Vec<Event>,
}

/// The application of these tests: knows user `ken` with password `secret`, two
/// scripts (`vacation` active), and answers every decision at once.
fn answer(server: &mut Server, event: &Event) {
    match event {
        Event::Authenticate { initial: None, .. } => server.auth_challenge(b"").unwrap(),
        Event::Authenticate {
            initial: Some(data),
            ..
        }
        | Event::AuthResponse(data) => {
            if data.expose() == b"\0ken\0secret" {
                server.auth_success("ken").unwrap();
            } else {
                server
                    .auth_failure(&Status::new("Authentication failed."))
                    .unwrap();
            }
        }
        Event::ListScripts => {
            let list = [
                (ScriptName::new("spam").unwrap(), false),
                (ScriptName::new("vacation").unwrap(), true),
            ];
            server.scripts_listed(&list).unwrap();
        }
        Event::GetScript { name } if name.as_str() == "spam" => {
            server.script_content(b"keep;\r\n").unwrap();
        }
        Event::GetScript { .. } | Event::DeleteScript { .. } => server
            .command_failed(&Status::with_code(
                ResponseCode::NonExistent,
                "No such script.",
            ))
            .unwrap(),
        Event::PutScript { content, .. } | Event::CheckScript { content }
            if content.starts_with(b"bad") =>
        {
            server
                .command_failed(&Status::new("line 1, column 1: unknown command 'bad'"))
                .unwrap();
        }
        Event::PutScript { .. }
        | Event::CheckScript { .. }
        | Event::SetActive { .. }
        | Event::RenameScript { .. }
        | Event::HaveSpace { .. } => server.command_ok(&Status::new("Done.")).unwrap(),
        Event::StartTls => server.tls_established().unwrap(),
        _ => {}
    }
}

/// Feeds `input` in chunks of the sizes in `chunks` (then the rest), answering events.
fn run_chunked(config: Config, input: &[u8], chunks: &[usize]) -> (Server, Transcript) {
    let start = Instant::now();
    let mut server = Server::new(config, start);
    let mut transcript = Transcript::default();
    drain(&mut server, &mut transcript);
    let mut rest = input;
    let mut sizes = chunks.iter();
    while !rest.is_empty() {
        let size = sizes
            .next()
            .copied()
            .unwrap_or(rest.len())
            .clamp(1, rest.len());
        server.handle_input(&rest[..size]);
        rest = &rest[size..];
        drain(&mut server, &mut transcript);
    }
    (server, transcript)
}

fn drain(server: &mut Server, transcript: &mut Transcript) {
    loop {
        match server.poll_output() {
            Output::Transmit(bytes) => transcript.sent.push_str(&String::from_utf8_lossy(&bytes)),
            Output::Event(event) => {
                answer(server, &event);
                transcript.events.push(event);
            }
            Output::NeedInput => return,
        }
    }
}

fn run(config: Config, input: &[u8]) -> (Server, Transcript) {
    run_chunked(config, input, &[])
}

/// The greeting's capability block for [`config`] before login.
fn capabilities(mechanisms: &str, extra: &str) -> String {
    format!(
        "\"IMPLEMENTATION\" \"Postroom\"\r\n\"SASL\" \"{mechanisms}\"\r\n\"SIEVE\" \"{EXTENSIONS}\"\r\n\
         {extra}\"MAXREDIRECTS\" \"4\"\r\n\"UNAUTHENTICATE\"\r\n\"VERSION\" \"1.0\"\r\n"
    )
}

const GREETING_OK: &str = "OK \"Postroom ManageSieve ready.\"\r\n";
const PLAIN_KEN: &str = "AGtlbgBzZWNyZXQ=";

#[test]
fn greeting_lists_the_capabilities() {
    let (_, t) = run(config(), b"");
    let expected = capabilities("PLAIN LOGIN SCRAM-SHA-256", "") + GREETING_OK;
    assert_eq!(t.sent, expected);

    let mut tls_offered = config();
    tls_offered.starttls = true;
    tls_offered.allow_plaintext_without_tls = false;
    let (_, t) = run(tls_offered, b"");
    let expected = capabilities("SCRAM-SHA-256", "\"STARTTLS\"\r\n") + GREETING_OK;
    assert_eq!(t.sent, expected);
}

/// A session with most commands, used as is and replayed in chunks.
fn full_session() -> Vec<u8> {
    [
        "NOOP \"STARTTLS-RESYNC-CAPA\"\r\n",
        "LISTSCRIPTS\r\n",
        &format!("AUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\n"),
        "CAPABILITY\r\n",
        "LISTSCRIPTS\r\n",
        "GETSCRIPT \"spam\"\r\n",
        "GETSCRIPT \"missing\"\r\n",
        "PUTSCRIPT \"new\" {14+}\r\nkeep;\r\nstop;\r\n\r\n",
        "CHECKSCRIPT {5+}\r\nbad;\n\r\n",
        "HAVESPACE \"new\" 1000\r\n",
        "SETACTIVE \"new\"\r\n",
        "RENAMESCRIPT \"new\" \"newer\"\r\n",
        "DELETESCRIPT \"gone\"\r\n",
        "UNAUTHENTICATE\r\n",
        "GETSCRIPT \"spam\"\r\n",
        "LOGOUT\r\n",
        "NOOP\r\n",
    ]
    .concat()
    .into_bytes()
}

#[test]
fn a_full_session() {
    let (server, t) = run(config(), &full_session());
    let after_login = capabilities("PLAIN LOGIN SCRAM-SHA-256", "").replace(
        "\"UNAUTHENTICATE\"",
        "\"OWNER\" \"ken\"\r\n\"UNAUTHENTICATE\"",
    );
    let expected = [
        capabilities("PLAIN LOGIN SCRAM-SHA-256", ""),
        GREETING_OK.to_owned(),
        "OK (TAG \"STARTTLS-RESYNC-CAPA\") \"Done\"\r\n".to_owned(),
        "NO \"Authenticate first.\"\r\n".to_owned(),
        "OK \"Logged in.\"\r\n".to_owned(),
        after_login,
        "OK \"Capability completed.\"\r\n".to_owned(),
        "\"spam\"\r\n\"vacation\" ACTIVE\r\nOK \"Listscripts completed.\"\r\n".to_owned(),
        "{7}\r\nkeep;\r\n\r\nOK \"Getscript completed.\"\r\n".to_owned(),
        "NO (NONEXISTENT) \"No such script.\"\r\n".to_owned(),
        "OK \"Done.\"\r\n".to_owned(),
        "NO \"line 1, column 1: unknown command 'bad'\"\r\n".to_owned(),
        "OK \"Done.\"\r\n".repeat(3),
        "NO (NONEXISTENT) \"No such script.\"\r\n".to_owned(),
        "OK \"Unauthenticated.\"\r\n".to_owned(),
        "NO \"Authenticate first.\"\r\n".to_owned(),
        "OK \"Logout completed.\"\r\n".to_owned(),
    ]
    .concat();
    assert_eq!(t.sent, expected);
    let name = |n: &str| ScriptName::new(n).unwrap();
    let expected_events = vec![
        Event::Authenticate {
            mechanism: "PLAIN".into(),
            initial: Some(SaslData(b"\0ken\0secret".to_vec())),
        },
        Event::ListScripts,
        Event::GetScript { name: name("spam") },
        Event::GetScript {
            name: name("missing"),
        },
        Event::PutScript {
            name: name("new"),
            content: bytes::Bytes::from_static(b"keep;\r\nstop;\r\n"),
        },
        Event::CheckScript {
            content: bytes::Bytes::from_static(b"bad;\n"),
        },
        Event::HaveSpace {
            name: name("new"),
            size: 1000,
        },
        Event::SetActive {
            name: Some(name("new")),
        },
        Event::RenameScript {
            from: name("new"),
            to: name("newer"),
        },
        Event::DeleteScript { name: name("gone") },
        Event::Unauthenticated,
        Event::Closed(CloseReason::Logout),
    ];
    assert_eq!(t.events, expected_events);
    assert!(server.is_closed());
    assert_eq!(server.user(), None);
}

#[test]
fn a_full_session_split_at_every_byte() {
    let input = full_session();
    let (_, whole) = run(config(), &input);
    for split in 1..input.len() {
        let (_, t) = run_chunked(config(), &input, &[split]);
        assert_eq!(t, whole, "split at {split}");
    }
    let (_, bytewise) = run_chunked(config(), &input, &vec![1; input.len()]);
    assert_eq!(bytewise, whole);
}

proptest! {
    #[test]
    fn a_full_session_in_random_chunks(chunks in prop::collection::vec(1usize..40, 0..200)) {
        let input = full_session();
        let (_, whole) = run(config(), &input);
        let (_, t) = run_chunked(config(), &input, &chunks);
        prop_assert_eq!(t, whole);
    }

    #[test]
    fn hostile_input_never_panics(input in prop::collection::vec(any::<u8>(), 0..600)) {
        let (_, t) = run_chunked(config(), &input, &[5, 1, 17, 3]);
        prop_assert!(t.sent.starts_with("\"IMPLEMENTATION\""));
    }
}

#[test]
fn sasl_with_challenges_and_cancel() {
    let input = format!(
        "AUTHENTICATE \"PLAIN\"\r\n\"*\"\r\nAUTHENTICATE \"PLAIN\"\r\n{{16+}}\r\n{PLAIN_KEN}\r\n"
    );
    let (server, t) = run(config(), input.as_bytes());
    assert_eq!(
        t.sent,
        capabilities("PLAIN LOGIN SCRAM-SHA-256", "")
            + GREETING_OK
            + "\"\"\r\nNO \"Authentication cancelled.\"\r\n\"\"\r\nOK \"Logged in.\"\r\n"
    );
    let auth = Event::Authenticate {
        mechanism: "PLAIN".into(),
        initial: None,
    };
    assert_eq!(
        t.events,
        vec![
            auth.clone(),
            Event::AuthCancelled,
            auth,
            Event::AuthResponse(SaslData(b"\0ken\0secret".to_vec())),
        ]
    );
    assert_eq!(server.user(), Some("ken"));
}

#[test]
fn failed_and_broken_logins() {
    let input = "AUTHENTICATE \"PLAIN\" \"AGtlbgB3cm9uZw==\"\r\n\
                 AUTHENTICATE \"PLAIN\"\r\n\"not base64!\"\r\n\
                 AUTHENTICATE \"CRAM-MD5\"\r\n\
                 AUTHENTICATE \"PLAIN\" \"AGtlbgBzZWNyZXQ=\"\r\n\
                 AUTHENTICATE \"PLAIN\" \"AGtlbgBzZWNyZXQ=\"\r\n";
    let (server, t) = run(config(), input.as_bytes());
    assert_eq!(
        t.sent,
        capabilities("PLAIN LOGIN SCRAM-SHA-256", "")
            + GREETING_OK
            + "NO \"Authentication failed.\"\r\n\"\"\r\n\
               NO \"Authentication failed: invalid base64 in SASL data.\"\r\n\
               NO \"Unsupported authentication mechanism.\"\r\n\
               OK \"Logged in.\"\r\nNO \"Already authenticated.\"\r\n"
    );
    assert!(t.events.contains(&Event::AuthCancelled));
    assert_eq!(server.user(), Some("ken"));
}

#[test]
fn plaintext_needs_tls_and_starttls_discards_pipelined_input() {
    let mut config = config();
    config.starttls = true;
    config.allow_plaintext_without_tls = false;
    // The LOGOUT after STARTTLS arrives in the same packet: an injection attempt.
    let input = format!("AUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\nSTARTTLS\r\nLOGOUT\r\n");
    let (mut server, t) = run(config, input.as_bytes());
    let after_tls = capabilities("PLAIN LOGIN SCRAM-SHA-256", "");
    assert_eq!(
        t.sent,
        capabilities("SCRAM-SHA-256", "\"STARTTLS\"\r\n")
            + GREETING_OK
            + "NO (ENCRYPT-NEEDED) \"Plaintext authentication requires TLS: use STARTTLS first.\"\r\n\
               OK \"Begin TLS negotiation now.\"\r\n"
            + &after_tls
            + "OK \"TLS negotiation successful.\"\r\n"
    );
    assert_eq!(t.events, vec![Event::StartTls]);
    assert!(server.is_tls() && !server.is_closed());
    // Now PLAIN works, and STARTTLS is refused.
    server
        .handle_input(format!("STARTTLS\r\nAUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\n").as_bytes());
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    assert_eq!(
        t.sent,
        "NO \"TLS is already active.\"\r\nOK \"Logged in.\"\r\n"
    );
}

#[test]
fn implicit_tls_and_unavailable_starttls() {
    let mut implicit = config();
    implicit.implicit_tls = true;
    implicit.starttls = false;
    let (server, t) = run(implicit, b"STARTTLS\r\n");
    assert!(server.is_tls());
    assert!(t.sent.ends_with("NO \"TLS is already active.\"\r\n"));
    let (_, t) = run(config(), b"STARTTLS\r\n");
    assert!(t.sent.ends_with("NO \"STARTTLS is not available.\"\r\n"));
}

#[test]
fn the_machine_waits_for_each_decision() {
    let mut server = Server::new(config(), Instant::now());
    let mut t = Transcript::default();
    // Drain the greeting without answering anything.
    while let Output::Transmit(_) = server.poll_output() {}
    server.handle_input(
        format!("AUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\nLISTSCRIPTS\r\nNOOP\r\n").as_bytes(),
    );
    let Output::Event(Event::Authenticate { .. }) = server.poll_output() else {
        panic!("expected the AUTHENTICATE decision");
    };
    assert!(server.awaiting_decision());
    assert!(matches!(server.poll_output(), Output::NeedInput));
    assert_eq!(
        server.command_ok(&Status::default()),
        Err(DecisionError::Unexpected {
            waiting_for: "an AUTHENTICATE answer"
        })
    );
    server.auth_success("ken").unwrap();
    let Output::Transmit(ok) = server.poll_output() else {
        panic!("expected the OK");
    };
    assert_eq!(&ok[..], b"OK \"Logged in.\"\r\n");
    let Output::Event(Event::ListScripts) = server.poll_output() else {
        panic!("expected LISTSCRIPTS");
    };
    assert!(matches!(server.poll_output(), Output::NeedInput));
    assert_eq!(
        server.script_content(b""),
        Err(DecisionError::Unexpected {
            waiting_for: "a script list"
        })
    );
    server
        .command_failed(&Status::new("Disk on fire."))
        .unwrap();
    drain(&mut server, &mut t);
    assert_eq!(t.sent, "NO \"Disk on fire.\"\r\nOK \"Done\"\r\n");
    assert_eq!(
        server.auth_success("x"),
        Err(DecisionError::Unexpected {
            waiting_for: "nothing"
        })
    );
}

#[test]
fn bad_commands_end_the_session() {
    let mut config = config();
    config.limits.max_bad_commands = 3;
    let (server, t) = run(config, b"FOO\r\nGETSCRIPT \"x\"\r\n\r\nBAR baz\r\nNOOP\r\n");
    assert!(t.sent.ends_with(
        "NO \"Unknown command.\"\r\nNO \"Authenticate first.\"\r\nBYE \"Too many invalid commands.\"\r\n"
    ));
    assert_eq!(t.events, vec![Event::Closed(CloseReason::TooManyErrors)]);
    assert!(server.is_closed());
}

#[test]
fn oversized_commands_are_refused_without_desynchronising() {
    let mut config = config();
    config.limits.max_line = 64;
    config.limits.max_literal = 32;
    let input = [
        format!("AUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\n").into_bytes(),
        b"PUTSCRIPT \"big\" {40+}\r\n".to_vec(),
        b"LOGOUT\r\n".repeat(5),
        b"\r\n".to_vec(),
        [b"NOOP \"".as_slice(), &[b'x'; 80], b"\"\r\n"].concat(),
        b"NOOP \"ok\"\r\nPUTSCRIPT \"a\" {99999999999+}\r\nNOOP\r\n".to_vec(),
    ]
    .concat();
    let (server, t) = run(config, &input);
    assert!(
        t.sent.ends_with(
            "OK \"Logged in.\"\r\n\
             NO (QUOTA/MAXSIZE) \"Command refused: string too large (at most 32 octets).\"\r\n\
             NO \"Command refused: line too long.\"\r\n\
             OK (TAG \"ok\") \"Done\"\r\n\
             BYE \"Protocol error: invalid literal length.\"\r\n"
        ),
        "{}",
        t.sent
    );
    assert_eq!(
        t.events.last(),
        Some(&Event::Closed(CloseReason::ProtocolError))
    );
    assert!(server.is_closed());
}

#[test]
fn timeouts_close_the_session() {
    let start = Instant::now();
    let mut config = config();
    config.timeouts.idle = Duration::from_secs(60);
    config.timeouts.decision = Duration::from_secs(10);
    let mut server = Server::new(config.clone(), start);
    assert_eq!(server.poll_timeout(), Some(start + Duration::from_secs(60)));
    server.handle_timeout(start + Duration::from_secs(59));
    assert!(!server.is_closed());
    server.handle_input(b"NOOP\r\n");
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    // The idle time counts from the last input.
    assert_eq!(
        server.poll_timeout(),
        Some(start + Duration::from_secs(119))
    );
    server.handle_timeout(start + Duration::from_secs(118));
    assert!(!server.is_closed());
    server.handle_timeout(start + Duration::from_secs(119));
    drain(&mut server, &mut t);
    assert!(t.sent.ends_with("BYE \"Disconnected for inactivity.\"\r\n"));
    assert_eq!(t.events, vec![Event::Closed(CloseReason::Timeout)]);
    assert_eq!(server.poll_timeout(), None);

    // A decision the application never answers.
    let mut server = Server::new(config, start);
    server.handle_input(b"AUTHENTICATE \"SCRAM-SHA-256\"\r\n");
    while !matches!(server.poll_output(), Output::NeedInput) {}
    assert_eq!(server.poll_timeout(), Some(start + Duration::from_secs(10)));
    server.handle_timeout(start + Duration::from_secs(10));
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    assert_eq!(t.sent, "BYE (TRYLATER) \"Server timed out.\"\r\n");
}

#[test]
fn input_piling_up_during_a_decision_closes_the_session() {
    let mut config = config();
    config.limits.max_line = 100;
    config.limits.max_literal = 100;
    config.limits.max_pending_input = 100;
    let mut server = Server::new(config, Instant::now());
    server.handle_input(b"AUTHENTICATE \"SCRAM-SHA-256\"\r\n");
    while !matches!(server.poll_output(), Output::NeedInput) {}
    assert!(server.awaiting_decision());
    server.handle_input(&[b'x'; 250]);
    assert!(!server.is_closed());
    server.handle_input(&[b'x'; 100]);
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    assert_eq!(t.sent, "BYE \"Too much input while busy.\"\r\n");
    assert_eq!(t.events, vec![Event::Closed(CloseReason::TooMuchInput)]);
}

#[test]
fn shutdown_says_bye_with_trylater() {
    let mut server = Server::new(config(), Instant::now());
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    server.close_with(&Status::with_code(
        ResponseCode::TryLater,
        "Server shutting down.",
    ));
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    assert_eq!(t.sent, "BYE (TRYLATER) \"Server shutting down.\"\r\n");
    assert_eq!(t.events, vec![Event::Closed(CloseReason::Application)]);
    server.handle_input(b"NOOP\r\n");
    assert!(matches!(server.poll_output(), Output::NeedInput));
}

/// Feeds each `(seconds after the start, bytes)` at its time, then tells the machine
/// the time `end` seconds after the start; the clock is virtual.
fn timed(config: Config, inputs: &[(u64, &[u8])], end: u64) -> (Server, Transcript) {
    let start = Instant::now();
    let at = |secs: u64| start + Duration::from_secs(secs);
    let mut server = Server::new(config, start);
    let mut t = Transcript::default();
    drain(&mut server, &mut t);
    for &(secs, bytes) in inputs {
        server.handle_timeout(at(secs));
        server.handle_input(bytes);
        drain(&mut server, &mut t);
    }
    server.handle_timeout(at(end));
    drain(&mut server, &mut t);
    (server, t)
}

fn idle_config(secs: u64) -> Config {
    let mut config = config();
    config.timeouts.idle = Duration::from_secs(secs);
    config
}

/// Slowloris: one byte of a command every 5 s never reaches a complete line, so the
/// 10 s idle timeout still closes the session at 10 s.
#[test]
fn trickled_bytes_do_not_extend_the_idle_timeout() {
    let inputs: [(u64, &[u8]); 2] = [(4, b"N"), (8, b"O")];
    let (server, _) = timed(idle_config(10), &inputs, 9);
    assert!(!server.is_closed());
    // Closed 10 s after the greeting, not 10 s after the last byte.
    let (server, t) = timed(idle_config(10), &inputs, 10);
    assert!(server.is_closed());
    assert!(t.sent.ends_with("BYE \"Disconnected for inactivity.\"\r\n"));
    assert_eq!(t.events.last(), Some(&Event::Closed(CloseReason::Timeout)));
}

/// A completed command restarts the clock at its last byte.
#[test]
fn a_completed_command_resets_the_idle_timeout() {
    let inputs: [(u64, &[u8]); 2] = [(8, b"NO"), (9, b"OP\r\n")];
    let (server, t) = timed(idle_config(10), &inputs, 18);
    assert!(!server.is_closed());
    assert!(t.sent.ends_with("OK \"Done\"\r\n"));
    assert!(timed(idle_config(10), &inputs, 19).0.is_closed());
}

/// PUTSCRIPT with a literal sent 4 bytes every 8 s (longer than the 10 s timeout in
/// all) completes: literal data is progress.
#[test]
fn a_slow_literal_upload_is_not_cut_off() {
    let auth = format!("AUTHENTICATE \"PLAIN\" \"{PLAIN_KEN}\"\r\n");
    let script: &[u8] = b"keep;\r\nstop;\r\nkeep;\r\n";
    let mut inputs: Vec<(u64, &[u8])> =
        vec![(0, auth.as_bytes()), (1, b"PUTSCRIPT \"slow\" {21+}\r\n")];
    let mut secs = 1;
    for chunk in script.chunks(4) {
        secs += 8;
        inputs.push((secs, chunk));
    }
    inputs.push((secs + 8, b"\r\n"));
    let (server, t) = timed(idle_config(10), &inputs, secs + 17);
    assert!(!server.is_closed(), "{}", t.sent);
    assert!(t.events.iter().any(|e| matches!(
        e,
        Event::PutScript { content, .. } if content.as_ref() == script
    )));
    assert!(t.sent.ends_with("OK \"Done.\"\r\n"), "{}", t.sent);
}
