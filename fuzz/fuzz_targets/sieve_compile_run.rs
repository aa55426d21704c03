//! Arbitrary bytes compiled as a Sieve script, and, when they compile, run against a
//! message also taken from the input. Neither step may panic; a run ends in an outcome
//! or a runtime error within the configured limits.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sieve::{Config, Envelope, Environment, MemoryVacationStore, MessageContext, Script};

fuzz_target!(|data: &[u8]| {
    // The first NUL splits the input into a script and a message.
    let (script, message) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, &b"From: a@example.org\r\nSubject: x\r\n\r\nbody\r\n"[..]),
    };
    let Ok(script) = Script::compile_with(script, &Config::default()) else {
        return;
    };
    let store = MemoryVacationStore::new();
    let env = Environment::new(&store);
    let envelope = Envelope::new("sender@example.org", "user@example.com");
    let _ = script.evaluate(&MessageContext::new(message), &envelope, &env);
});
