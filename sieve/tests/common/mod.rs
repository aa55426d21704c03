//! Helpers shared by the integration tests.
#![allow(dead_code)]

use sieve::{Action, Envelope, Environment, MemoryVacationStore, MessageContext, Outcome, Script};

/// Message A of RFC 5228 section 1.2.
pub(crate) const MESSAGE_A: &str = "Date: Tue, 1 Apr 1997 09:06:31 -0800 (PST)\r\n\
From: coyote@desert.example.org\r\n\
To: roadrunner@acme.example.com\r\n\
Subject: I have a present for you\r\n\
\r\n\
Look, I'm sorry about the whole anvil thing, and I really\r\n\
didn't mean to try and drop it on you from the top of the\r\n\
cliff.  I want to try to make it up to you.  I've got some\r\n\
great birdseed over here at my place--top of the line\r\n\
stuff--and if you come by, I'll have it all wrapped up\r\n\
for you.  I'm really sorry for all the problems I've caused\r\n\
for you over the years, but I know we can work this out.\r\n\
--\r\n\
Wile E. Coyote   \"Super Genius\"   coyote@desert.example.org\r\n";

/// Message B of RFC 5228 section 1.2.
pub(crate) const MESSAGE_B: &str = "From: youcouldberich!@reply-by-postal-mail.invalid\r\n\
Sender: b1ff@de.res.example.com\r\n\
To: rube@landru.example.com\r\n\
Date:  Mon, 31 Mar 1997 18:26:10 -0800\r\n\
Subject: $$$ YOU, TOO, CAN BE A MILLIONAIRE! $$$\r\n\
\r\n\
YOU MAY HAVE ALREADY WON TEN MILLION DOLLARS, BUT I DOUBT\r\n\
IT!  SO JUST POST THIS TO SIX HUNDRED NEWSGROUPS!  IT WILL\r\n\
GUARANTEE THAT YOU GET AT LEAST FIVE RESPONSES WITH MONEY!\r\n\
MONEY! MONEY! COLD HARD CASH!  YOU WILL RECEIVE OVER\r\n\
$20,000 IN LESS THAN TWO MONTHS!  AND IT'S LEGAL!!!!!!!!!\r\n\
!!!!!!!!!!!!!!!!!!111111111!!!!!!!11111111111!!1  JUST\r\n\
SEND $5 IN SMALL, UNMARKED BILLS TO THE ADDRESSES BELOW!\r\n";

pub(crate) fn compile(script: &str) -> Script {
    match Script::compile(script) {
        Ok(s) => s,
        Err(e) => panic!("script does not compile: {e}\n{script}"),
    }
}

pub(crate) fn envelope() -> Envelope {
    Envelope::new("coyote@desert.example.org", "roadrunner@acme.example.com")
}

/// Runs `script` on `message` with a fresh store and the default envelope.
pub(crate) fn run(script: &str, message: &str) -> Outcome {
    let store = MemoryVacationStore::new();
    run_with(script, message, &envelope(), &Environment::new(&store))
}

pub(crate) fn run_with(
    script: &str,
    message: &str,
    envelope: &Envelope,
    env: &Environment<'_>,
) -> Outcome {
    let compiled = compile(script);
    let msg = MessageContext::new(message.as_bytes());
    match compiled.evaluate(&msg, envelope, env) {
        Ok(outcome) => outcome,
        Err(e) => panic!("script failed: {e}\n{script}"),
    }
}

/// Whether `test` is true for `message`: runs `if <test> { fileinto "yes"; }`.
pub(crate) fn holds(requires: &str, test: &str, message: &str) -> bool {
    let script = format!("require [\"fileinto\"{requires}];\nif {test} {{ fileinto \"yes\"; }}");
    let outcome = run(&script, message);
    outcome.mailboxes().any(|m| m == "yes")
}

pub(crate) fn keep() -> Action {
    Action::Keep { flags: vec![] }
}

pub(crate) fn fileinto(mailbox: &str) -> Action {
    Action::FileInto {
        mailbox: mailbox.into(),
        flags: vec![],
        create: false,
        copy: false,
    }
}

pub(crate) fn redirect(address: &str) -> Action {
    Action::Redirect {
        address: address.into(),
        copy: false,
    }
}

/// The compile error message of `script`.
pub(crate) fn compile_error(script: &str) -> sieve::CompileError {
    match Script::compile(script) {
        Ok(_) => panic!("script compiled but should not:\n{script}"),
        Err(e) => e,
    }
}
