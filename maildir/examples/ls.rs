//! Lists the messages of a folder: UID, flags, keywords, size, file name.
//!
//! `cargo run -p maildir --example ls -- <maildir> [--folder NAME]`

use std::process::ExitCode;

use maildir::Maildir;

const USAGE: &str = "usage: ls <maildir> [--folder NAME]";

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
    let store = Maildir::open(root)?;
    let mailbox = match folder {
        Some(name) => store.folder(name)?,
        None => store.inbox()?,
    };
    let view = mailbox.sync()?;
    println!(
        "# UIDVALIDITY {} UIDNEXT {}",
        view.uid_validity, view.uid_next
    );
    for m in &view.messages {
        let flags = if m.flags.is_empty() {
            "-".to_owned()
        } else {
            m.flags.to_string()
        };
        let keywords = if m.keywords.is_empty() {
            "-".to_owned()
        } else {
            m.keywords.join(",")
        };
        println!(
            "{}\t{flags}\t{keywords}\t{}\t{}",
            m.uid, m.size, m.file_name
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let (root, folder) = match parse_args() {
        Ok(v) => v,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ls: {e}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match run(&root, folder.as_deref()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ls: {e}");
            ExitCode::FAILURE
        }
    }
}
