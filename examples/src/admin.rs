//! The admin CLI: domains, users, aliases, `init`, and a `doveadm pw` work-alike.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use auth::{HashPolicy, Scheme, SchemeError, SchemeSpec, StoredPassword};
use clap::{Args, Subcommand};

use crate::config::{Config, ConfigError};
use crate::directory::{Directory, DirectoryError, Resolution};

/// Why a command failed; printed as `postroom: <message>` with exit code 1.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum CliError {
    /// The configuration is unusable.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The directory refused or failed.
    #[error(transparent)]
    Directory(#[from] DirectoryError),
    /// A password could not be hashed.
    #[error("cannot hash the password: {0}")]
    Hash(#[from] SchemeError),
    /// A certificate could not be generated or loaded.
    #[error(transparent)]
    Tls(#[from] crate::tls::TlsError),
    /// A file or terminal operation failed.
    #[error("{what}: {source}")]
    Io {
        /// What was being done.
        what: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The two passwords typed differ.
    #[error("passwords don't match")]
    PasswordMismatch,
    /// `resolve`: the address leads nowhere.
    #[error("{0}")]
    Unresolved(String),
    /// `user test`: the password does not match.
    #[error("passdb: {0} auth failed")]
    AuthFailed(String),
    /// The server stopped with an error.
    #[error("server error: {0}")]
    Serve(String),
    /// A queue command failed.
    #[error(transparent)]
    Queue(#[from] crate::queue::QueueError),
}

impl CliError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }
}

/// `postroom domain ...`
#[derive(Debug, Subcommand)]
pub(crate) enum DomainCommand {
    /// Add a domain.
    Add {
        /// The domain name.
        name: String,
    },
    /// List the domains.
    List,
    /// Remove a domain (mail on disk is kept).
    Remove {
        /// The domain name.
        name: String,
        /// Also remove the domain's users and aliases.
        #[arg(long)]
        force: bool,
    },
}

/// Where a new password comes from.
#[derive(Debug, Args)]
pub(crate) struct PasswordSource {
    /// The password (visible in the process list; prefer --password-stdin or the prompt).
    #[arg(long, short = 'p', conflicts_with = "password_stdin")]
    password: Option<String>,
    /// Read the password from the first line of standard input.
    #[arg(long)]
    password_stdin: bool,
    /// Store this `{SCHEME}hash` as is (e.g. from `doveadm pw`), instead of hashing a
    /// password.
    #[arg(long, value_name = "HASH", conflicts_with_all = ["password", "password_stdin"])]
    hash: Option<String>,
}

/// `postroom user ...`
#[derive(Debug, Subcommand)]
pub(crate) enum UserCommand {
    /// Add a user; the password is hashed with the configured scheme (ARGON2ID by default).
    Add {
        /// The address, e.g. jane@example.org (its domain must exist).
        email: String,
        #[command(flatten)]
        password: PasswordSource,
        /// Quota in bytes (0: unlimited).
        #[arg(long, default_value_t = 0)]
        quota: u64,
    },
    /// Set a user's password.
    Passwd {
        /// The address.
        email: String,
        #[command(flatten)]
        password: PasswordSource,
    },
    /// Check a user's password against the directory, like `doveadm auth test`.
    Test {
        /// The address.
        email: String,
        /// The password (asked once when absent).
        #[arg(long, short = 'p', conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users (of one domain if given).
    List {
        /// Only this domain's users.
        domain: Option<String>,
    },
    /// Remove a user (the Maildir is kept).
    Remove {
        /// The address.
        email: String,
    },
}

/// `postroom alias ...`
#[derive(Debug, Subcommand)]
pub(crate) enum AliasCommand {
    /// Add an alias: mail to SOURCE (an address, or @domain for a catch-all) goes to
    /// DESTINATION (a local address, or a remote one to forward).
    Add {
        /// user@domain or @domain.
        source: String,
        /// The destination address.
        destination: String,
    },
    /// List the aliases.
    List,
    /// Remove one alias row.
    Remove {
        /// user@domain or @domain.
        source: String,
        /// The destination address.
        destination: String,
    },
}

/// `postroom queue ...`: works while the server runs (changes go through its control
/// socket) and when it does not (changes go straight to the queue directory).
#[derive(Debug, Subcommand)]
pub(crate) enum QueueCommand {
    /// List the queued messages with each recipient's state.
    List,
    /// Show a message's envelope, recipient states and header.
    Show {
        /// The queue id.
        id: String,
    },
    /// Make every deferred message due now.
    Flush,
    /// Make one message due now.
    Retry {
        /// The queue id.
        id: String,
    },
    /// Remove a message without notifying its sender.
    Delete {
        /// The queue id.
        id: String,
    },
}

/// `postroom queue ...`
pub(crate) async fn queue(config: &Path, command: QueueCommand) -> Result<(), CliError> {
    use crate::queue::{QueueId, control, inspect};
    let config = Config::load(config)?.queue;
    let output = match command {
        QueueCommand::List => inspect::list(&config.dir, std::time::SystemTime::now())?,
        QueueCommand::Show { id } => inspect::show(&config.dir, &QueueId::parse(&id)?)?,
        QueueCommand::Flush => control::send(&config, &control::Request::Flush).await? + "\n",
        QueueCommand::Retry { id } => {
            let request = control::Request::Retry(QueueId::parse(&id)?);
            control::send(&config, &request).await? + "\n"
        }
        QueueCommand::Delete { id } => {
            let request = control::Request::Delete(QueueId::parse(&id)?);
            control::send(&config, &request).await? + "\n"
        }
    };
    print!("{output}");
    Ok(())
}

async fn open(config: &Path) -> Result<(Config, Directory), CliError> {
    let config = Config::load(config)?;
    let directory = Directory::from_config(&config).await?;
    Ok((config, directory))
}

/// `postroom init`: the ISPmail tables and the vmail root.
pub(crate) async fn init(config_path: &Path) -> Result<(), CliError> {
    let config = Config::load(config_path)?;
    let directory = Directory::create(
        &config.directory.url,
        &config.mail.vmail,
        config.directory.max_connections,
    )
    .await?;
    create_vmail_root(&config.mail.vmail)?;
    directory.close().await;
    println!(
        "directory tables ready at {}; vmail root {}",
        crate::config::redact_url(&config.directory.url),
        config.mail.vmail.display()
    );
    Ok(())
}

/// Creates the vmail root (mode 0700 when new).
pub(crate) fn create_vmail_root(path: &Path) -> Result<(), CliError> {
    use std::os::unix::fs::DirBuilderExt;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(path)
        .map_err(|e| CliError::io(format!("creating {}", path.display()), e))
}

/// `postroom domain ...`
pub(crate) async fn domain(config: &Path, command: DomainCommand) -> Result<(), CliError> {
    match command {
        DomainCommand::Add { name } => {
            let (_, dir) = open(config).await?;
            dir.add_domain(&name).await?;
            println!("added domain {}", name.to_ascii_lowercase());
        }
        DomainCommand::List => {
            let (_, dir) = open(config).await?;
            for name in dir.list_domains().await? {
                println!("{name}");
            }
        }
        DomainCommand::Remove { name, force } => {
            let (_, dir) = open(config).await?;
            dir.remove_domain(&name, force).await?;
            println!("removed domain {}", name.to_ascii_lowercase());
        }
    }
    Ok(())
}

/// `postroom user ...`
pub(crate) async fn user(config: &Path, command: UserCommand) -> Result<(), CliError> {
    match command {
        UserCommand::Add {
            email,
            password,
            quota,
        } => {
            let (config, dir) = open(config).await?;
            let stored = hash_new_password(&password, &config.auth.hash_policy())?;
            dir.add_user(&email, &stored, quota).await?;
            println!(
                "added user {} ({}), mail in {}",
                email.to_lowercase(),
                stored.spec(),
                dir.maildir_path(&email)?.display()
            );
        }
        UserCommand::Passwd { email, password } => {
            let (config, dir) = open(config).await?;
            if dir.lookup_user(&email).await?.is_none() {
                return Err(DirectoryError::NoSuchUser(email.to_lowercase()).into());
            }
            let stored = hash_new_password(&password, &config.auth.hash_policy())?;
            dir.set_password(&email, &stored).await?;
            println!(
                "password of {} changed ({})",
                email.to_lowercase(),
                stored.spec()
            );
        }
        UserCommand::Test {
            email,
            password,
            password_stdin,
        } => {
            let (_, dir) = open(config).await?;
            let password = match (password, password_stdin) {
                (Some(p), _) => p,
                (None, true) => read_stdin_line()?,
                (None, false) => prompt("Password: ")?,
            };
            let Some(user) = dir.lookup_user(&email).await? else {
                return Err(DirectoryError::NoSuchUser(email.to_lowercase()).into());
            };
            let stored = user.password.clone();
            let ok = tokio::task::spawn_blocking(move || stored.verify(password.as_bytes()))
                .await
                .map_err(|e| CliError::io("verifying", std::io::Error::other(e)))?;
            if !ok {
                return Err(CliError::AuthFailed(user.email));
            }
            let quota = user
                .quota
                .map_or_else(|| "unlimited".to_owned(), |q| q.to_string());
            println!("passdb: {} auth succeeded", user.email);
            println!("  scheme={} quota={quota}", user.password.spec());
        }
        UserCommand::List { domain } => {
            let (_, dir) = open(config).await?;
            for user in dir.list_users(domain.as_deref()).await? {
                let quota = user
                    .quota
                    .map_or_else(|| "unlimited".to_owned(), |q| q.to_string());
                println!("{}\tquota={quota}\t{{{}}}", user.email, user.scheme);
            }
        }
        UserCommand::Remove { email } => {
            let (_, dir) = open(config).await?;
            let maildir = dir.maildir_path(&email)?;
            dir.remove_user(&email).await?;
            println!(
                "removed user {}; its mail is kept in {}",
                email.to_lowercase(),
                maildir.display()
            );
        }
    }
    Ok(())
}

/// `postroom resolve ADDRESS`: where mail to an address goes, like `postmap -q`.
pub(crate) async fn resolve(config: &Path, address: &str) -> Result<(), CliError> {
    let (_, dir) = open(config).await?;
    match dir.resolve_recipient(address).await? {
        Resolution::Found { local, remote } => {
            for user in local {
                let quota = user
                    .quota
                    .map_or_else(|| "unlimited".to_owned(), |q| q.to_string());
                println!(
                    "local {} {} quota={quota}",
                    user.email,
                    user.maildir.display()
                );
            }
            for address in remote {
                println!("forward {address}");
            }
            Ok(())
        }
        Resolution::Unknown => Err(CliError::Unresolved(format!(
            "{address}: no such user or alias"
        ))),
        Resolution::NotLocalDomain => Err(CliError::Unresolved(format!(
            "{address}: not one of our domains"
        ))),
    }
}

/// `postroom alias ...`
pub(crate) async fn alias(config: &Path, command: AliasCommand) -> Result<(), CliError> {
    match command {
        AliasCommand::Add {
            source,
            destination,
        } => {
            let (_, dir) = open(config).await?;
            dir.add_alias(&source, &destination).await?;
            println!(
                "added alias {} -> {}",
                source.to_lowercase(),
                destination.to_lowercase()
            );
        }
        AliasCommand::List => {
            let (_, dir) = open(config).await?;
            for alias in dir.list_aliases().await? {
                println!("{} -> {}", alias.source, alias.destination);
            }
        }
        AliasCommand::Remove {
            source,
            destination,
        } => {
            let (_, dir) = open(config).await?;
            dir.remove_alias(&source, &destination).await?;
            println!(
                "removed alias {} -> {}",
                source.to_lowercase(),
                destination.to_lowercase()
            );
        }
    }
    Ok(())
}

fn hash_new_password(
    source: &PasswordSource,
    policy: &HashPolicy,
) -> Result<StoredPassword, CliError> {
    if let Some(hash) = &source.hash {
        return Ok(StoredPassword::parse(hash)?);
    }
    let password = match (&source.password, source.password_stdin) {
        (Some(p), _) => p.clone(),
        (None, true) => read_stdin_line()?,
        (None, false) => prompt_new_password()?,
    };
    Ok(policy.hash(password.as_bytes())?)
}

/// The first line of standard input without its line ending.
fn read_stdin_line() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::io("reading the password from standard input", e))?;
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_owned())
}

/// Reads a password: without echo from the terminal when standard input is one,
/// otherwise a line of standard input (so scripts can pipe it in).
fn prompt(text: &str) -> Result<String, CliError> {
    if std::io::stdin().is_terminal() {
        return rpassword::prompt_password(text)
            .map_err(|e| CliError::io("reading the password from the terminal", e));
    }
    eprint!("{text}");
    let _ = std::io::stderr().flush();
    read_stdin_line()
}

/// Asks twice, as `doveadm pw` does.
fn prompt_new_password() -> Result<String, CliError> {
    let first = prompt("Enter new password: ")?;
    let second = prompt("Retype new password: ")?;
    if first != second {
        return Err(CliError::PasswordMismatch);
    }
    Ok(first)
}

/// `postroom pw`: the options and output of `doveadm pw`.
#[derive(Debug, Args)]
pub(crate) struct PwArgs {
    /// List the known schemes.
    #[arg(short = 'l')]
    list: bool,
    /// The password (asked twice on the terminal when absent).
    #[arg(short = 'p', value_name = "PASSWORD")]
    password: Option<String>,
    /// Rounds (bcrypt cost, SHA-crypt rounds, SCRAM iterations, ARGON2 passes).
    #[arg(short = 'r', value_name = "ROUNDS")]
    rounds: Option<u32>,
    /// The scheme of the new hash (default ARGON2ID; doveadm's default is CRYPT).
    #[arg(short = 's', value_name = "SCHEME")]
    scheme: Option<String>,
    /// Test whether the password matches this {SCHEME}hash instead of making one.
    #[arg(short = 't', value_name = "HASH")]
    test: Option<String>,
    /// Verify the new hash and append " (verified)".
    #[arg(short = 'V')]
    verify: bool,
}

/// Runs `postroom pw`; failures print `Fatal: ...` and exit with 75, as doveadm does.
pub(crate) fn pw(args: &PwArgs) -> ExitCode {
    match pw_output(args) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("Fatal: {message}");
            ExitCode::from(75)
        }
    }
}

/// The line `pw` prints, or the text after `Fatal: `.
fn pw_output(args: &PwArgs) -> Result<String, String> {
    if args.list {
        let names: Vec<&str> = Scheme::ALL.iter().map(|s| s.name()).collect();
        return Ok(names.join(" "));
    }
    if let Some(hash) = &args.test {
        let stored = parse_for_test(hash)?;
        let password = match &args.password {
            Some(p) => p.clone(),
            None => prompt("Enter password to verify: ").map_err(|e| e.to_string())?,
        };
        if !stored.verify(password.as_bytes()) {
            return Err("reverse password verification check failed: Password mismatch".into());
        }
        return Ok(format!("{hash} (verified)"));
    }
    let policy = pw_policy(args)?;
    let password = match &args.password {
        Some(p) => p.clone(),
        None => prompt_new_password().map_err(|e| match e {
            CliError::PasswordMismatch => "Passwords don't match!".to_owned(),
            other => other.to_string(),
        })?,
    };
    let stored = policy
        .hash(password.as_bytes())
        .map_err(|e| e.to_string())?;
    if args.verify {
        if !stored.verify(password.as_bytes()) {
            return Err("reverse password verification check failed: Password mismatch".into());
        }
        return Ok(format!("{stored} (verified)"));
    }
    Ok(stored.to_string())
}

fn parse_for_test(hash: &str) -> Result<StoredPassword, String> {
    StoredPassword::parse(hash).map_err(|e| match e {
        _ if !hash.starts_with('{') => "Missing {scheme} prefix from hash".to_owned(),
        SchemeError::UnknownScheme { .. } => "reverse decode check failed: Unknown scheme".into(),
        other => format!("reverse decode check failed: {other}"),
    })
}

fn pw_policy(args: &PwArgs) -> Result<HashPolicy, String> {
    let spec = match &args.scheme {
        Some(name) => name
            .parse::<SchemeSpec>()
            .map_err(|_| format!("Unknown scheme: {name}"))?,
        None => HashPolicy::default().spec,
    };
    let mut policy = HashPolicy {
        spec,
        ..HashPolicy::default()
    };
    if let Some(rounds) = args.rounds {
        policy.bcrypt_cost = rounds;
        policy.sha_crypt_rounds = rounds;
        policy.scram_iterations = rounds;
        policy.argon2.iterations = rounds;
    }
    Ok(policy)
}

/// Where `quickstart` keeps files, for messages.
pub(crate) fn display_path(path: &Path) -> PathBuf {
    std::path::absolute(path).unwrap_or_else(|_| path.to_owned())
}
