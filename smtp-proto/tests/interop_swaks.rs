//! swaks against the sink example: over a pipe to `sink --stdio`, and over TCP with
//! STARTTLS and PIPELINING.

mod interop_support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use interop_support::{example_binary, messages, run, split_received, start_sink};
use smtp_proto::server::Config;

/// A message without swaks tokens (`%...%`) or backslashes, with CRLF line endings. The
/// data file holds it without its last CRLF, which swaks adds before the final dot.
const MESSAGE: &[u8] = b"From: swaks@example.com\r\nTo: rcpt@example.org\r\nSubject: swaks\r\n\r\n\
    body line\r\n.a leading dot\r\n\r\nlast line\r\n";

fn swaks(extra: &[&str], data_dir: &Path) -> Command {
    let data = data_dir.join("message.txt");
    let file = MESSAGE.strip_suffix(b"\r\n").expect("ends with CRLF");
    std::fs::write(&data, file).expect("write message");
    let mut command = Command::new("swaks");
    command
        .args(["--from", "swaks@example.com", "--to", "rcpt@example.org"])
        .args(["--helo", "swaks.example", "--timeout", "20"])
        .arg("--data")
        .arg(format!("@{}", data.display()))
        .args(extra);
    command
}

fn check_stored(dir: &Path, with: &str, from: &str) {
    let stored = messages(dir);
    assert_eq!(stored.len(), 1, "one message stored");
    let (received, rest) = split_received(&stored[0].1);
    assert_eq!(rest, MESSAGE, "message differs from what swaks sent");
    assert!(received.starts_with(from), "{received}");
    assert!(received.contains(with), "{received}");
    assert!(received.contains("for <rcpt@example.org>;"), "{received}");
}

/// Runs swaks over a pipe to `sink --stdio`; returns swaks' transcript.
fn pipe(tls: bool, sink_args: &str) -> String {
    let out = tempfile::tempdir().expect("temp dir");
    let sink = example_binary("sink");
    let pipe = format!(
        "{} --stdio --hostname sink.example --out {} {sink_args}",
        sink.display(),
        out.path().display()
    );
    let mut extra = vec!["--pipe", pipe.as_str(), "--pipeline"];
    if tls {
        extra.push("-tls");
    }
    let done = run(&mut swaks(&extra, out.path()), b"", Duration::from_secs(60));
    assert!(done.success, "swaks failed: {done:?}");
    assert!(
        done.stdout.contains("250 2.0.0 Ok: saved as 1.eml"),
        "{}",
        done.stdout
    );
    std::fs::remove_file(out.path().join("message.txt")).expect("remove data file");
    let with = if tls { "with ESMTPS" } else { "with ESMTP " };
    check_stored(
        out.path(),
        with,
        "Received: from swaks.example by sink.example",
    );
    done.stdout
}

#[test]
#[ignore = "interop: needs swaks"]
fn swaks_pipe_to_stdio_sink() {
    pipe(false, "");
}

#[test]
#[ignore = "interop: needs swaks"]
fn swaks_pipe_to_stdio_sink_with_starttls() {
    pipe(true, "");
}

/// STARTTLS with a certificate and key given as PEM files.
#[test]
#[ignore = "interop: needs swaks"]
fn swaks_pipe_to_stdio_sink_with_pem_files() {
    let pem = tempfile::tempdir().expect("temp dir");
    let mut params = rcgen::CertificateParams::new(vec!["sink.example".to_owned()]).expect("names");
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "pem-file-test");
    let key_pair = rcgen::KeyPair::generate().expect("key");
    let certificate = params.self_signed(&key_pair).expect("certificate");
    let (cert, key) = (pem.path().join("cert.pem"), pem.path().join("key.pem"));
    std::fs::write(&cert, certificate.pem()).expect("write certificate");
    std::fs::write(&key, key_pair.serialize_pem()).expect("write key");
    let args = format!("--tls-cert {} --tls-key {}", cert.display(), key.display());
    let transcript = pipe(true, &args);
    assert!(transcript.contains("CN=pem-file-test"), "{transcript}");
}

#[test]
#[ignore = "interop: needs swaks"]
fn swaks_starttls_over_tcp() {
    let sink = start_sink(Config::new("sink.example"));
    let files = tempfile::tempdir().expect("temp dir");
    let server = sink.addr.to_string();
    let extra = ["--server", server.as_str(), "-tls", "--pipeline"];
    let done = run(
        &mut swaks(&extra, files.path()),
        b"",
        Duration::from_secs(60),
    );
    assert!(done.success, "swaks failed: {done:?}");
    assert!(done.stdout.contains("TLS started"), "{}", done.stdout);
    check_stored(
        sink.dir.path(),
        "with ESMTPS",
        "Received: from swaks.example ([127.0.0.1]) by sink.example",
    );
}
