//! `postroom`: the Postroom reference mail server.
//!
//! ```text
//! postroom quickstart [--dir ./postroom-data] [--init-only]   try it on 127.0.0.1
//! postroom serve --config FILE                                run a real deployment
//! postroom init --config FILE                                 create the tables and vmail root
//! postroom check-config --config FILE                         validate before serving
//! postroom domain add|list|remove ...                         manage the directory
//! postroom user add|passwd|test|list|remove ...
//! postroom alias add|list|remove ...
//! postroom resolve ADDRESS                                    where mail to ADDRESS goes
//! postroom pw [-s SCHEME] [-p PASSWORD] [-t HASH]              like `doveadm pw`
//! postroom queue list|show ID|flush|retry ID|delete ID        the outbound queue
//! ```
//!
//! Every command but `quickstart` and `pw` reads the configuration given with `--config`
//! (default `./postroom-data/postroom.toml`, the file `quickstart` writes). Logs go to
//! standard error through `tracing`, filtered by `RUST_LOG`.

mod admin;
mod config;
mod delivery;
mod directory;
mod filter;
#[allow(dead_code)] // Until the IMAP service is complete (issue 7, in progress).
mod imap;
mod listen;
mod lmtp;
mod logging;
mod login;
mod managesieve;
mod mx;
mod outbound;
mod pop3;
mod queue;
mod quickstart;
mod relay;
mod shutdown;
mod submission;
mod tls;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The configuration file used when `--config` is not given.
const DEFAULT_CONFIG: &str = "postroom-data/postroom.toml";

/// Postroom: an ISPmail-compatible mail server (MX, LMTP, submission, POP3, IMAP,
/// ManageSieve) over Maildir.
#[derive(Debug, Parser)]
#[command(name = "postroom", version, about)]
struct Cli {
    /// The configuration file (not used by `quickstart` and `pw`).
    #[arg(
        long,
        short = 'c',
        global = true,
        value_name = "FILE",
        default_value = DEFAULT_CONFIG
    )]
    config: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a complete test installation in a directory (once) and serve it on 127.0.0.1.
    Quickstart(quickstart::QuickstartArgs),
    /// Serve every listener of a configuration until SIGTERM or Ctrl-C.
    Serve,
    /// Create the ISPmail tables (if missing) and the vmail root of a configuration.
    Init,
    /// Validate a configuration: files, certificate, database, vmail root, ports.
    CheckConfig,
    /// Manage domains (virtual_domains).
    #[command(subcommand)]
    Domain(admin::DomainCommand),
    /// Manage users (virtual_users).
    #[command(subcommand)]
    User(admin::UserCommand),
    /// Manage aliases and forwards (virtual_aliases).
    #[command(subcommand)]
    Alias(admin::AliasCommand),
    /// Show where mail to an address goes (users, aliases, catch-all, +tags).
    Resolve {
        /// The recipient address.
        address: String,
    },
    /// Hash or test a password, like `doveadm pw`.
    Pw(admin::PwArgs),
    /// Inspect and manage the outbound queue.
    #[command(subcommand)]
    Queue(admin::QueueCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Pw(args) = &cli.command {
        // No runtime and no logging needed: `pw` prints like doveadm and nothing else.
        return admin::pw(args);
    }
    logging::init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("postroom: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    runtime.block_on(run(&cli.config, cli.command))
}

async fn run(config_path: &Path, command: Command) -> ExitCode {
    let result = match command {
        Command::Quickstart(args) => quickstart::run(&args).await,
        Command::Serve => quickstart::serve(config_path).await,
        Command::Init => admin::init(config_path).await,
        Command::CheckConfig => return config::check::run(config_path).await,
        Command::Domain(cmd) => admin::domain(config_path, cmd).await,
        Command::User(cmd) => admin::user(config_path, cmd).await,
        Command::Alias(cmd) => admin::alias(config_path, cmd).await,
        Command::Resolve { address } => admin::resolve(config_path, &address).await,
        Command::Pw(args) => return admin::pw(&args),
        Command::Queue(cmd) => admin::queue(config_path, cmd).await,
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("postroom: {e}");
            ExitCode::FAILURE
        }
    }
}
