//! `postroom check-config`: everything [`Config::load`] checks, plus the outside world:
//! the certificate and key (readable, matching), the directory database (reachable, with
//! the ISPmail tables), the vmail root and the queue directory (writable), the
//! listening addresses, the global Sieve script (present and compiling) and, with the
//! spam check on, whether rspamd answers (a warning only: it may start later).

use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use super::{Config, ConfigError, ListenAddr};
use crate::directory::Directory;

/// What a check found: problems make the configuration unusable, warnings do not.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Report {
    /// One sentence per problem.
    pub(crate) problems: Vec<String>,
    /// One sentence per warning.
    pub(crate) warnings: Vec<String>,
}

/// Checks the configuration at `path`.
pub(crate) async fn check(path: &Path) -> Report {
    let mut report = Report::default();
    let config = match Config::load(path) {
        Ok(config) => config,
        Err(ConfigError::Invalid { problems, .. }) => {
            report.problems = problems;
            return report;
        }
        Err(e) => {
            report.problems.push(e.to_string());
            return report;
        }
    };
    if let Some(tls) = &config.tls {
        if let Err(e) = crate::tls::Tls::load(&tls.certificate, &tls.key) {
            report.problems.push(format!("tls: {e}"));
        }
    } else {
        let l = &config.listeners;
        if [&l.mx, &l.pop3, &l.imap, &l.submission]
            .iter()
            .any(|addrs| !addrs.is_empty())
        {
            report
                .warnings
                .push("no [tls] section: STARTTLS and STLS will not be offered".to_owned());
        }
        if !l.submission.is_empty() {
            report.warnings.push(
                "listeners.submission without [tls]: mail clients cannot authenticate, \
                 except over loopback with auth.allow_plaintext_auth_on_loopback"
                    .to_owned(),
            );
        }
    }
    check_directory(&config, &mut report).await;
    check_vmail(&config.mail.vmail, &mut report);
    check_queue_dir(&config.queue.dir, &mut report);
    check_listeners(&config, &mut report);
    check_sieve(&config, &mut report);
    check_spam(&config, &mut report).await;
    report
}

/// The global before-script must exist and compile (`serve` refuses to start otherwise).
fn check_sieve(config: &Config, report: &mut Report) {
    if !config.sieve.enabled {
        return;
    }
    if let Err(e) = crate::filter::SieveFilter::new(config.sieve.clone(), config.hostname.clone()) {
        report.problems.push(e.to_string());
    }
}

/// Whether rspamd accepts connections at the configured address.
async fn check_spam(config: &Config, report: &mut Report) {
    let spam = &config.spam;
    if !spam.enabled {
        return;
    }
    let address = spam.address();
    let limit = spam.timeout.min(Duration::from_secs(5));
    let failure = match tokio::time::timeout(limit, tokio::net::TcpStream::connect(address)).await {
        Ok(Ok(_)) => return,
        Ok(Err(e)) => e.to_string(),
        Err(_) => format!("no answer within {limit:?}"),
    };
    let consequence = if spam.fail_open {
        "mail will be accepted unchecked until it is (fail_open = true)"
    } else {
        "mail will be refused with 451 until it is (fail_open = false)"
    };
    report.warnings.push(format!(
        "spam: rspamd ({}) is not reachable at {address}: {failure}; {consequence}",
        spam.backend.name()
    ));
}

async fn check_directory(config: &Config, report: &mut Report) {
    match Directory::connect(&config.directory.url, &config.mail.vmail, 1).await {
        Ok(directory) => {
            if let Err(e) = directory.check_schema().await {
                report.problems.push(format!(
                    "directory: the ISPmail tables are missing or incomplete \
                     (`postroom init` creates them): {e}"
                ));
            }
            directory.close().await;
        }
        Err(e) => report.problems.push(format!("directory: {e}")),
    }
}

fn check_vmail(vmail: &Path, report: &mut Report) {
    match std::fs::metadata(vmail) {
        Ok(meta) if meta.is_dir() => {
            let probe = vmail.join(format!(".postroom-check-{}", std::process::id()));
            match std::fs::write(&probe, b"") {
                Ok(()) => {
                    let _ = std::fs::remove_file(&probe);
                }
                Err(e) => report.problems.push(format!(
                    "mail.vmail {} is not writable: {e}",
                    vmail.display()
                )),
            }
        }
        Ok(_) => report
            .problems
            .push(format!("mail.vmail {} is not a directory", vmail.display())),
        Err(e) => report.problems.push(format!(
            "mail.vmail {}: {e} (`postroom init` creates it)",
            vmail.display()
        )),
    }
}

/// The queue directory must be a writable directory, or creatable (`serve` creates it).
fn check_queue_dir(dir: &Path, report: &mut Report) {
    let existing = dir
        .ancestors()
        .find(|p| p.exists())
        .unwrap_or(Path::new("/"));
    if !existing.is_dir() {
        report.problems.push(format!(
            "queue.dir {}: {} is not a directory",
            dir.display(),
            existing.display()
        ));
        return;
    }
    let probe = existing.join(format!(".postroom-check-{}", std::process::id()));
    match std::fs::write(&probe, b"") {
        Ok(()) => {
            let _ = std::fs::remove_file(&probe);
        }
        Err(e) => report.problems.push(format!(
            "queue.dir {}: {} is not writable: {e}",
            dir.display(),
            existing.display()
        )),
    }
}

fn check_listeners(config: &Config, report: &mut Report) {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    for service in config.listeners.all() {
        for addr in service.addrs {
            match addr {
                ListenAddr::Tcp(sock) if sock.port() < 1024 && !root => {
                    report.warnings.push(format!(
                        "listeners.{}: port {} is privileged; run as root or grant \
                         CAP_NET_BIND_SERVICE",
                        service.name,
                        sock.port()
                    ));
                }
                ListenAddr::Unix(path) => {
                    let parent = path.parent().unwrap_or(Path::new("/"));
                    if !parent.is_dir() {
                        report.problems.push(format!(
                            "listeners.{}: directory {} of the socket does not exist",
                            service.name,
                            parent.display()
                        ));
                    }
                }
                ListenAddr::Tcp(_) => {}
            }
        }
    }
}

/// Runs `postroom check-config`: prints the report; exit code 1 when there are problems.
pub(crate) async fn run(path: &Path) -> ExitCode {
    let report = check(path).await;
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    if report.problems.is_empty() {
        println!("{}: configuration OK", path.display());
        return ExitCode::SUCCESS;
    }
    eprintln!(
        "{}: {} problem(s) found:",
        path.display(),
        report.problems.len()
    );
    for problem in &report.problems {
        eprintln!("  - {problem}");
    }
    ExitCode::FAILURE
}
