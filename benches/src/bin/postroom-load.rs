//! `postroom-load`: SMTP, LMTP, IMAP and POP3 load against any server (Postroom, Postfix,
//! Dovecot, ...), bounded by a count of operations and a time limit; prints throughput,
//! latency percentiles (p50/p90/p99/max) and errors, and a last `RESULT key=value` line
//! for scripts. `idle` holds N IMAP connections and reports the server's memory.
//!
//! ```text
//! postroom-load -c 8 -n 2000 -d 60 smtp --target 127.0.0.1:25 --to 'u{n}@example.test' --users 10
//! postroom-load -c 8 -n 2000 lmtp --target unix:/run/dovecot/lmtp --to 'u{n}@example.test'
//! postroom-load -c 4 -n 5000 imap --target 127.0.0.1:143 --user 'u{n}@example.test' --password PW
//! postroom-load -c 4 -n 2000 pop3 --target 127.0.0.1:110 --user 'u{n}@example.test' --password PW
//! postroom-load idle --target 127.0.0.1:143 --user u1@example.test --password PW \
//!     --connections 5000 --pid 1234
//! ```

use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use postroom_benches::load::RunOptions;
use postroom_benches::load::conn::Target;
use postroom_benches::load::idle::{self, IdleOptions};
use postroom_benches::load::imap::{self, ImapOptions};
use postroom_benches::load::pop3::{self, Pop3Options};
use postroom_benches::load::smtp::{self, SmtpOptions};
use smtp_proto::client::Mode;

/// Mail-protocol load generator (runs end when --count OR --duration is reached).
#[derive(Debug, Parser)]
#[command(name = "postroom-load", version)]
struct Cli {
    /// Concurrent connections.
    #[arg(short = 'c', long, default_value_t = 4, global = true)]
    concurrency: usize,
    /// Most operations (messages, IMAP commands, RETRs) in the run.
    #[arg(short = 'n', long, default_value_t = 1000, global = true)]
    count: u64,
    /// Time limit of the run, in seconds.
    #[arg(short = 'd', long, default_value_t = 60.0, global = true)]
    duration: f64,
    /// Limit of one operation, in seconds.
    #[arg(long, default_value_t = 30.0, global = true)]
    timeout: f64,
    #[command(subcommand)]
    mode: ModeArgs,
}

#[derive(Debug, Subcommand)]
enum ModeArgs {
    /// Send messages over SMTP.
    Smtp(MailArgs),
    /// Deliver messages over LMTP (TCP or unix:/path).
    Lmtp(MailArgs),
    /// The IMAP mix: LOGIN, SELECT, FETCH, SEARCH, STORE, APPEND, EXPUNGE, LOGOUT.
    Imap(ImapArgs),
    /// POP3 retrieval: USER/PASS, STAT, RETR..., QUIT.
    Pop3(Pop3Args),
    /// Hold N idle IMAP connections and report the server's memory per connection.
    Idle(IdleArgs),
}

#[derive(Debug, Args)]
struct MailArgs {
    /// HOST:PORT or unix:/path.
    #[arg(long)]
    target: Target,
    /// Sender address.
    #[arg(long, default_value = "load@postroom-load.invalid")]
    from: String,
    /// Recipient; {n} becomes a user number from 1 to --users.
    #[arg(long)]
    to: String,
    /// Users {n} cycles through.
    #[arg(long, default_value_t = 1)]
    users: usize,
    /// Recipients per message.
    #[arg(long, default_value_t = 1)]
    recipients: usize,
    /// Message size in bytes.
    #[arg(short = 's', long, default_value_t = 4096)]
    size: usize,
    /// Messages per connection.
    #[arg(long, default_value_t = 1)]
    per_connection: u64,
    /// EHLO/LHLO name.
    #[arg(long, default_value = "postroom-load.invalid")]
    hello: String,
}

#[derive(Debug, Args)]
struct Login {
    /// HOST:PORT.
    #[arg(long)]
    target: Target,
    /// User name; {n} becomes a user number from 1 to --users.
    #[arg(long)]
    user: String,
    /// Users {n} cycles through.
    #[arg(long, default_value_t = 1)]
    users: usize,
    /// Password of every user.
    #[arg(long)]
    password: String,
}

#[derive(Debug, Args)]
struct ImapArgs {
    #[command(flatten)]
    login: Login,
    /// Size of APPENDed messages in bytes.
    #[arg(short = 's', long, default_value_t = 4096)]
    size: usize,
    /// Commands per session (LOGIN, SELECT and LOGOUT included).
    #[arg(long, default_value_t = 100)]
    per_session: u64,
}

#[derive(Debug, Args)]
struct Pop3Args {
    #[command(flatten)]
    login: Login,
    /// RETRs per session.
    #[arg(long, default_value_t = 10)]
    per_session: u64,
}

#[derive(Debug, Args)]
struct IdleArgs {
    #[command(flatten)]
    login: Login,
    /// Connections to hold.
    #[arg(long, default_value_t = 5000)]
    connections: usize,
    /// Connections set up at once.
    #[arg(long, default_value_t = 100)]
    parallel: usize,
    /// A server process to measure with its descendants (repeatable).
    #[arg(long = "pid")]
    pids: Vec<u32>,
    /// Connections opened and closed before the first reading.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
    /// Seconds to wait before each reading.
    #[arg(long, default_value_t = 3.0)]
    settle: f64,
}

fn seconds(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

async fn run(cli: Cli) -> bool {
    let run = RunOptions {
        concurrency: cli.concurrency,
        count: cli.count,
        duration: seconds(cli.duration),
        op_timeout: seconds(cli.timeout),
    };
    let mut report = match cli.mode {
        ModeArgs::Smtp(args) => smtp::run(&run, mail_options(Mode::Smtp, args)).await,
        ModeArgs::Lmtp(args) => smtp::run(&run, mail_options(Mode::Lmtp, args)).await,
        ModeArgs::Imap(args) => {
            let options = ImapOptions {
                target: args.login.target,
                user: args.login.user,
                users: args.login.users,
                password: args.login.password,
                size: args.size,
                per_session: args.per_session,
            };
            imap::run(&run, options).await
        }
        ModeArgs::Pop3(args) => {
            let options = Pop3Options {
                target: args.login.target,
                user: args.login.user,
                users: args.login.users,
                password: args.login.password,
                per_session: args.per_session,
            };
            pop3::run(&run, options).await
        }
        ModeArgs::Idle(args) => {
            let options = IdleOptions {
                target: args.login.target,
                user: args.login.user,
                users: args.login.users,
                password: args.login.password,
                connections: args.connections,
                parallel: args.parallel,
                pids: args.pids,
                warmup: args.warmup,
                settle: seconds(args.settle),
                limit: run.duration,
            };
            let report = idle::run(options).await;
            print!("{}", report.render());
            return report.failed == 0 && report.alive == report.open;
        }
    };
    print!("{}", report.render());
    report.tally.errors == 0
}

fn mail_options(mode: Mode, args: MailArgs) -> SmtpOptions {
    SmtpOptions {
        mode,
        target: args.target,
        from: args.from,
        to: args.to,
        users: args.users,
        recipients: args.recipients,
        size: args.size,
        per_connection: args.per_connection,
        hello: args.hello,
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // One thread: the load tool takes at most one core from the server it measures.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("postroom-load: tokio: {e}");
            return ExitCode::FAILURE;
        }
    };
    if runtime.block_on(run(cli)) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
