//! The directory on PostgreSQL: `postroom init` creates the ISPmail tables, and the admin
//! commands, recipient resolution and login checks work through a `postgres://` URL.
//!
//! The test runs its own `postgres` on 127.0.0.1 with a throwaway data directory, as the
//! `postgres` system user (PostgreSQL refuses to run as root).

mod cli_support;

use std::net::TcpListener;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::postroom_in;

/// The newest installed PostgreSQL's `bin` directory.
fn pg_bin() -> PathBuf {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("/usr/lib/postgresql (apt-get install postgresql)")
        .map(|e| e.unwrap().path().join("bin"))
        .filter(|p| p.join("postgres").exists())
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL server binary")
}

/// Runs `program` as the `postgres` user when we are root (same process, so `kill` works).
fn as_postgres(program: &Path) -> Command {
    let root = std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0);
    if root {
        let mut command = Command::new("setpriv");
        command.args([
            "--reuid=postgres",
            "--regid=postgres",
            "--init-groups",
            "--",
        ]);
        command.arg(program);
        command
    } else {
        Command::new(program)
    }
}

struct Postgres {
    child: Child,
    /// Removed (after the server stopped) when the struct is dropped.
    _dir: tempfile::TempDir,
    port: u16,
}

impl Postgres {
    fn start() -> Self {
        let bin = pg_bin();
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        if std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0) {
            let owner = std::fs::metadata("/var/lib/postgresql")
                .map(|m| (m.uid(), m.gid()))
                .unwrap_or((101, 104));
            std::os::unix::fs::chown(dir.path(), Some(owner.0), Some(owner.1)).unwrap();
        }
        let init = as_postgres(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-A", "trust", "-U", "postgres", "--no-sync"])
            .output()
            .expect("initdb");
        assert!(init.status.success(), "initdb: {init:?}");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = as_postgres(&bin.join("postgres"))
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(dir.path())
            .args(["-c", "listen_addresses=127.0.0.1", "-c", "fsync=off"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("postgres");
        let mut server = Self {
            child,
            _dir: dir,
            port,
        };
        server.wait_ready(&bin);
        server
    }

    fn wait_ready(&mut self, bin: &Path) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("postgres exited with {status}");
            }
            let ready = Command::new(bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
                .output()
                .unwrap();
            if ready.status.success() {
                return;
            }
            assert!(Instant::now() < deadline, "postgres not ready after 60 s");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn psql(&self, database: &str, sql: &str) -> String {
        let out = Command::new(pg_bin().join("psql"))
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args([
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["-c", sql])
            .output()
            .unwrap();
        assert!(out.status.success(), "psql {sql}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        // SIGINT is PostgreSQL's "fast shutdown".
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
#[ignore = "interop: needs Debian's postgresql"]
fn the_directory_works_on_postgresql() {
    let pg = Postgres::start();
    pg.psql("postgres", "CREATE DATABASE mailserver");
    let work = tempfile::tempdir().unwrap();
    let config = work.path().join("postroom.toml");
    std::fs::write(
        &config,
        format!(
            "hostname = \"mail.example.org\"\n\
             [listeners]\nmx = [\"127.0.0.1:2525\"]\n\
             [directory]\nurl = \"postgres://postgres@127.0.0.1:{}/mailserver\"\n\
             [mail]\nvmail = \"vmail\"\n",
            pg.port
        ),
    )
    .unwrap();
    let config = config.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--config", config]);
        postroom_in(work.path(), &all, None)
    };

    let before = run(&["check-config"]).expect(1);
    assert!(
        before.stderr.contains("ISPmail tables are missing"),
        "{}",
        before.stderr
    );
    run(&["init"]).expect(0);
    run(&["check-config"]).expect(0);

    run(&["domain", "add", "Example.ORG"]).expect(0);
    run(&["domain", "add", "example.net"]).expect(0);
    run(&[
        "user",
        "add",
        "john@example.org",
        "--password",
        "secret",
        "--quota",
        "5",
    ])
    .expect(0);
    run(&["alias", "add", "jack@example.org", "John@example.org"]).expect(0);
    run(&["alias", "add", "@example.net", "john@example.org"]).expect(0);
    run(&["alias", "add", "out@example.org", "someone@remote.example"]).expect(0);

    let john = format!(
        "local john@example.org {} quota=5\n",
        work.path().join("vmail/example.org/john/Maildir").display()
    );
    for address in [
        "JOHN@example.org",
        "jack@example.org",
        "john+x@example.org",
        "who@example.net",
    ] {
        assert_eq!(
            run(&["resolve", address]).expect(0).stdout,
            john,
            "{address}"
        );
    }
    assert_eq!(
        run(&["resolve", "out@example.org"]).expect(0).stdout,
        "forward someone@remote.example\n"
    );
    run(&["resolve", "ghost@example.org"]).expect(1);
    run(&["user", "test", "john@example.org", "--password", "secret"]).expect(0);
    run(&["user", "test", "john@example.org", "--password", "nope"]).expect(1);
    run(&["user", "passwd", "john@example.org", "--password", "new"]).expect(0);
    run(&["user", "test", "john@example.org", "--password", "new"]).expect(0);

    // Rows are stored with the ISPmail columns.
    let rows = pg.psql(
        "mailserver",
        "SELECT d.name, u.email, u.quota FROM virtual_users u \
         JOIN virtual_domains d ON d.id = u.domain_id",
    );
    assert_eq!(rows, "example.org|john@example.org|5\n");
    run(&["domain", "remove", "example.org", "--force"]).expect(0);
    assert_eq!(
        pg.psql("mailserver", "SELECT COUNT(*) FROM virtual_aliases"),
        "1\n"
    );
    run(&["resolve", "jack@example.org"]).expect(1);
}
