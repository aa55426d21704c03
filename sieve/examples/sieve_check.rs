//! Compiles a Sieve script and, given a message, shows what it would do.
//!
//! `cargo run -p sieve --example sieve_check -- script.sieve [message.eml [from [to]]]`

use std::process::ExitCode;

use sieve::{Envelope, Environment, MemoryVacationStore, MessageContext, Script};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(script_path) = args.first() else {
        eprintln!("usage: sieve_check SCRIPT [MESSAGE [FROM [TO]]]");
        return ExitCode::from(2);
    };
    let source = match std::fs::read(script_path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{script_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let script = match Script::compile_with(&source, &sieve::Config::default()) {
        Ok(script) => script,
        Err(e) => {
            eprintln!("{script_path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let Some(message_path) = args.get(1) else {
        println!("{script_path}: OK");
        return ExitCode::SUCCESS;
    };
    let raw = match std::fs::read(message_path) {
        Ok(bytes) => bytes,
        Err(e) => {
            eprintln!("{message_path}: {e}");
            return ExitCode::from(2);
        }
    };
    let envelope = Envelope::new(
        args.get(2).cloned().unwrap_or_default(),
        args.get(3)
            .cloned()
            .unwrap_or_else(|| "user@localhost".to_owned()),
    );
    let store = MemoryVacationStore::new();
    let env = Environment::new(&store);
    match script.evaluate(&MessageContext::new(&raw), &envelope, &env) {
        Ok(outcome) => {
            for action in &outcome.actions {
                println!("{action:?}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("runtime error (message kept): {e}");
            ExitCode::FAILURE
        }
    }
}
