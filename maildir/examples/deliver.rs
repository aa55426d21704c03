//! Delivers a message from standard input.
//!
//! `cargo run -p maildir --example deliver -- <maildir> [--folder NAME] < message`
//!
//! Prints the new file name and UID.

use std::process::ExitCode;

use maildir::{DeliveryOptions, Maildir};

const USAGE: &str = "usage: deliver <maildir> [--folder NAME] < message";

fn parse_args() -> Result<(String, Option<String>), String> {
    let mut args = std::env::args().skip(1);
    let mut root = None;
    let mut folder = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--folder" => folder = Some(args.next().ok_or("--folder needs a name")?),
            "-h" | "--help" => return Err(String::new()),
            a if a.starts_with('-') => return Err(format!("unknown option {a}")),
            _ if root.is_some() => return Err(format!("unexpected argument {arg}")),
            _ => root = Some(arg),
        }
    }
    Ok((root.ok_or("missing <maildir>")?, folder))
}

fn run(root: &str, folder: Option<&str>) -> Result<(), maildir::Error> {
    let store = Maildir::create(root)?;
    let mailbox = match folder {
        Some(name) => store.folder(name)?,
        None => store.inbox()?,
    };
    let delivered = mailbox.deliver(std::io::stdin().lock(), &DeliveryOptions::default())?;
    println!("{} UID {}", delivered.file_name, delivered.uid);
    Ok(())
}

fn main() -> ExitCode {
    let (root, folder) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("deliver: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&root, folder.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("deliver: {e}");
            ExitCode::FAILURE
        }
    }
}
