//! `postroom quickstart` and `postroom serve`.
//!
//! The first quickstart run creates, in `--dir` (default `./postroom-data`):
//! `postroom.toml`, the SQLite directory `directory.db` with the ISPmail tables, the
//! domain `example.test` with the user `demo@example.test` (its generated password is
//! printed and kept in `demo-credentials.txt`, mode 0600), a self-signed certificate for
//! localhost in `tls/` (key mode 0600), and the vmail root `vmail/`. Later runs reuse
//! whatever exists and never overwrite it. Then every listener is served on 127.0.0.1,
//! unless `--init-only` is given (for scripts and tests).

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use clap::Args;

use crate::admin::{CliError, create_vmail_root};
use crate::config::{self, Config};
use crate::directory::{Directory, DirectoryError};

/// The demo domain and user.
pub(crate) const DEMO_DOMAIN: &str = "example.test";
/// The demo user's address.
pub(crate) const DEMO_USER: &str = "demo@example.test";
/// Where the demo password is kept.
pub(crate) const CREDENTIALS_FILE: &str = "demo-credentials.txt";
/// The configuration file's name inside the quickstart directory.
pub(crate) const CONFIG_FILE: &str = "postroom.toml";

/// `postroom quickstart` options.
#[derive(Debug, Args)]
pub(crate) struct QuickstartArgs {
    /// The directory holding the configuration, database, certificate and mail.
    #[arg(long, value_name = "DIR", default_value = "postroom-data")]
    dir: PathBuf,
    /// Create (or check) the installation, print it, and exit without serving.
    #[arg(long)]
    init_only: bool,
}

/// Runs `postroom quickstart`.
pub(crate) async fn run(args: &QuickstartArgs) -> Result<(), CliError> {
    let config = prepare(&args.dir).await?;
    let directory = Directory::from_config(&config).await?;
    let password = demo_password(&args.dir, &directory).await;
    directory.close().await;
    print_summary(&config, &args.dir, &password?);
    if args.init_only {
        return Ok(());
    }
    serve_config(&config).await
}

/// Runs `postroom serve --config FILE`.
pub(crate) async fn serve(config_path: &Path) -> Result<(), CliError> {
    let config = Config::load(config_path)?;
    tracing::info!(
        config = %config.path.display(),
        directory = %config::redact_url(&config.directory.url),
        "starting"
    );
    serve_config(&config).await
}

async fn serve_config(config: &Config) -> Result<(), CliError> {
    crate::listen::serve(config)
        .await
        .map_err(|e| CliError::Serve(e.to_string()))
}

/// Creates what is missing in `dir` and returns the loaded configuration.
async fn prepare(dir: &Path) -> Result<Config, CliError> {
    make_dir(dir, 0o700)?;
    let config_path = dir.join(CONFIG_FILE);
    if !config_path.exists() {
        write_new_file(&config_path, 0o644, &config::quickstart_toml())?;
        println!("created {}", config_path.display());
    }
    let config = Config::load(&config_path)?;
    if let Some(tls) = &config.tls {
        ensure_certificate(&tls.certificate, &tls.key)?;
    }
    create_vmail_root(&config.mail.vmail)?;
    let directory = Directory::create(
        &config.directory.url,
        &config.mail.vmail,
        config.directory.max_connections,
    )
    .await?;
    match directory.add_domain(DEMO_DOMAIN).await {
        Ok(()) | Err(DirectoryError::DomainExists(_)) => {}
        Err(e) => return Err(e.into()),
    }
    directory.close().await;
    Ok(config)
}

/// Generates a self-signed certificate when neither file exists; never overwrites.
fn ensure_certificate(cert: &Path, key: &Path) -> Result<(), CliError> {
    match (cert.exists(), key.exists()) {
        (true, true) => Ok(()),
        (false, false) => {
            if let Some(parent) = cert.parent() {
                make_dir(parent, 0o755)?;
            }
            if let Some(parent) = key.parent() {
                make_dir(parent, 0o700)?;
            }
            let names = ["localhost".to_owned(), "127.0.0.1".to_owned()];
            crate::tls::write_self_signed(&names, cert, key)?;
            println!(
                "created a self-signed certificate for localhost: {}",
                cert.display()
            );
            Ok(())
        }
        (cert_exists, _) => {
            let missing = if cert_exists { key } else { cert };
            Err(CliError::io(
                format!(
                    "{} is missing but its partner exists; restore it or remove both to \
                     generate a new pair",
                    missing.display()
                ),
                std::io::ErrorKind::NotFound.into(),
            ))
        }
    }
}

/// The demo user's password: read from the credentials file, or generated and saved
/// (and the user created) on the first run.
async fn demo_password(dir: &Path, directory: &Directory) -> Result<String, CliError> {
    let file = dir.join(CREDENTIALS_FILE);
    let saved = match std::fs::read_to_string(&file) {
        Ok(text) => parse_credentials(&text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(CliError::io(format!("reading {}", file.display()), e)),
    };
    let password = match saved {
        Some(password) => password,
        None => {
            let password = generate_password()?;
            let text = format!(
                "# Postroom quickstart demo account\nuser: {DEMO_USER}\npassword: {password}\n"
            );
            write_new_file(&file, 0o600, &text)?;
            password
        }
    };
    if directory.lookup_user(DEMO_USER).await?.is_none() {
        let stored = tokio::task::spawn_blocking({
            let password = password.clone();
            move || auth::HashPolicy::default().hash(password.as_bytes())
        })
        .await
        .map_err(|e| CliError::Serve(e.to_string()))??;
        directory.add_user(DEMO_USER, &stored, 0).await?;
    }
    Ok(password)
}

fn parse_credentials(text: &str) -> Option<String> {
    text.lines()
        .find_map(|line| line.strip_prefix("password: "))
        .map(str::to_owned)
        .filter(|p| !p.is_empty())
}

/// 20 characters from an alphabet without look-alikes (about 115 bits).
fn generate_password() -> Result<String, CliError> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut password = String::with_capacity(20);
    while password.len() < 20 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes)
            .map_err(|e| CliError::io("random source", std::io::Error::other(e.to_string())))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - 256 % ALPHABET.len();
        for b in bytes {
            if usize::from(b) < limit && password.len() < 20 {
                password.push(char::from(ALPHABET[usize::from(b) % ALPHABET.len()]));
            }
        }
    }
    Ok(password)
}

fn make_dir(path: &Path, mode: u32) -> Result<(), CliError> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .map_err(|e| CliError::io(format!("creating {}", path.display()), e))
}

/// Writes a file that must not exist yet, with `mode` from the start.
fn write_new_file(path: &Path, mode: u32, text: &str) -> Result<(), CliError> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| CliError::io(format!("writing {}", path.display()), e))
}

fn print_summary(config: &Config, dir: &Path, password: &str) {
    println!(
        "Postroom quickstart in {}",
        crate::admin::display_path(dir).display()
    );
    println!("  configuration  {}", config.path.display());
    println!("  demo account   {DEMO_USER} / {password}");
    println!(
        "                 (also in {})",
        dir.join(CREDENTIALS_FILE).display()
    );
    println!("  mail           {}", config.mail.vmail.display());
    println!("  outbound queue {}", config.queue.dir.display());
    println!();
    println!("  {:<11} {:<22} SECURITY", "SERVICE", "ADDRESS");
    for service in config.listeners.all() {
        let security = match (service.name, service.implicit_tls, config.tls.is_some()) {
            (_, true, _) => "implicit TLS",
            ("mx" | "imap" | "submission" | "managesieve", _, true) => "STARTTLS",
            ("pop3", _, true) => "STLS",
            _ => "plain",
        };
        for addr in service.addrs {
            let name = service.name.to_ascii_uppercase();
            println!("  {name:<11} {:<22} {security}", addr.to_string());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_passwords_differ_and_use_the_alphabet() {
        let a = generate_password().unwrap();
        let b = generate_password().unwrap();
        assert_eq!(a.len(), 20);
        assert_ne!(a, b);
        assert!(
            a.chars()
                .all(|c| c.is_ascii_alphanumeric() && !"lIO01".contains(c))
        );
    }

    #[test]
    fn credentials_file_round_trip() {
        let text = format!("# x\nuser: {DEMO_USER}\npassword: s3cret\n");
        assert_eq!(parse_credentials(&text).as_deref(), Some("s3cret"));
        assert_eq!(parse_credentials("password: \n"), None);
    }
}
