//! `postroom`: the Postroom reference mail server.
//!
//! The server itself (MX, LMTP, POP3, IMAP, submission over Maildir) is built by later
//! issues. Until then `postroom quickstart` reports which parts of the toolkit exist and
//! exits successfully, so that the README's set-up command already works.

use std::process::ExitCode;

/// What the workspace provides today, one line per crate.
const BUILT_SO_FAR: &[(&str, &str)] = &[
    (
        "smtp-proto",
        "Sans-IO SMTP: command and reply codec, server and client state machines",
    ),
    (
        "lmtp-proto",
        "Sans-IO LMTP (RFC 2033) server and client on top of smtp-proto",
    ),
    (
        "auth",
        "Dovecot password schemes ({BLF-CRYPT}, {SHA512-CRYPT}, {ARGON2ID}, ...) and SASL",
    ),
    (
        "maildir",
        "Maildir++ store sharing dovecot-uidlist, keywords and quota with Dovecot",
    ),
];

/// What is planned but not built yet.
const NOT_YET: &[&str] = &[
    "imap-proto (IMAP4rev2/rev1 codec and state machines)",
    "pop3-proto (POP3 codec and state machines)",
    "the server: directory, MX, LMTP, POP3, IMAP, submission, queue, spam checks, Sieve",
];

fn usage() -> &'static str {
    "usage: postroom quickstart\n\n\
     The reference server is not built yet; `quickstart` lists what exists so far."
}

fn quickstart() {
    println!("Postroom {}: the server is not built yet.", env!("CARGO_PKG_VERSION"));
    println!("Built so far (use them as libraries; each has examples under <crate>/examples):");
    for (name, what) in BUILT_SO_FAR {
        println!("  {name:<11} {what}");
    }
    println!("Not yet built:");
    for item in NOT_YET {
        println!("  - {item}");
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("quickstart") => {
            quickstart();
            ExitCode::SUCCESS
        }
        Some("-h" | "--help" | "help") => {
            println!("{}", usage());
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("{}", usage());
            ExitCode::from(2)
        }
    }
}
