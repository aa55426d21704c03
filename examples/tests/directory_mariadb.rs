//! An ISPmail database in MariaDB, made the way the ISPmail guide makes it (with a
//! `{BLF-CRYPT}` password from `doveadm pw`), works unchanged through a `mysql://` URL:
//! recipient resolution, aliases, login checks, and admin changes that Dovecot can read.
//!
//! The test runs its own `mariadbd` on 127.0.0.1 with a throwaway data directory.

mod cli_support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use cli_support::postroom_in;

/// A private MariaDB server, stopped on drop.
struct MariaDb {
    child: Child,
    dir: tempfile::TempDir,
    port: u16,
}

impl MariaDb {
    fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        let install = Command::new("mariadb-install-db")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .args([
                "--auth-root-authentication-method=normal",
                "--user=root",
                "--skip-test-db",
            ])
            .output()
            .expect("mariadb-install-db (apt-get install mariadb-server)");
        assert!(install.status.success(), "mariadb-install-db: {install:?}");
        let port = testkit::free_port();
        let child = Command::new("mariadbd")
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--socket={}", dir.path().join("sock").display()))
            .arg(format!("--pid-file={}", dir.path().join("pid").display()))
            .arg(format!(
                "--log-error={}",
                dir.path().join("error.log").display()
            ))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--user=root",
                "--innodb-buffer-pool-size=16M",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("mariadbd");
        let mut server = Self { child, dir, port };
        server.wait_ready();
        server
    }

    fn socket(&self) -> PathBuf {
        self.dir.path().join("sock")
    }

    fn wait_ready(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("mariadbd exited with {status}: {}", self.error_log());
            }
            let ping = Command::new("mariadb-admin")
                .arg("--no-defaults")
                .arg(format!("--socket={}", self.socket().display()))
                .args(["-uroot", "ping"])
                .output()
                .unwrap();
            if ping.status.success() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "mariadbd not ready after 60 s: {}",
                self.error_log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn error_log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("error.log")).unwrap_or_default()
    }

    /// Runs SQL as root through the socket; returns the tab-separated output.
    fn sql(&self, sql: &str) -> String {
        let mut child = Command::new("mariadb")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-uroot", "--batch", "--skip-column-names"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(sql.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "SQL failed: {sql}\n{out:?}");
        String::from_utf8(out.stdout).unwrap()
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        let _ = Command::new("mariadb-admin")
            .arg("--no-defaults")
            .arg(format!("--socket={}", self.socket().display()))
            .args(["-uroot", "shutdown"])
            .output();
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

fn doveadm_pw(args: &[&str]) -> std::process::Output {
    Command::new("doveadm")
        .arg("pw")
        .args(args)
        .output()
        .expect("doveadm (dovecot-core)")
}

/// The ISPmail guide's schema (MariaDB), and its way of adding data.
fn ispmail_setup(db: &MariaDb, john_hash: &str) {
    db.sql(&format!(
        "CREATE DATABASE mailserver;
         CREATE USER 'mailadmin'@'127.0.0.1' IDENTIFIED BY 'admin-pw';
         GRANT ALL PRIVILEGES ON mailserver.* TO 'mailadmin'@'127.0.0.1';
         USE mailserver;
         CREATE TABLE IF NOT EXISTS `virtual_domains` (
             `id` int(11) NOT NULL auto_increment,
             `name` varchar(50) NOT NULL,
             PRIMARY KEY (`id`),
             UNIQUE KEY name (`name`)
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
         CREATE TABLE IF NOT EXISTS `virtual_users` (
             `id` int(11) NOT NULL auto_increment,
             `domain_id` int(11) NOT NULL,
             `email` varchar(100) NOT NULL,
             `password` varchar(150) NOT NULL,
             `quota` bigint(11) NOT NULL DEFAULT 0,
             PRIMARY KEY (`id`),
             UNIQUE KEY `email` (`email`),
             FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
         CREATE TABLE IF NOT EXISTS `virtual_aliases` (
             `id` int(11) NOT NULL auto_increment,
             `domain_id` int(11) NOT NULL,
             `source` varchar(100) NOT NULL,
             `destination` varchar(100) NOT NULL,
             PRIMARY KEY (`id`),
             FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
         ) ENGINE=InnoDB DEFAULT CHARSET=utf8;
         REPLACE INTO virtual_domains (id, name) VALUES ('1', 'example.org');
         REPLACE INTO virtual_domains (id, name) VALUES ('2', 'example.net');
         REPLACE INTO virtual_users (id, domain_id, password, email, quota)
             VALUES ('1', '1', '{john_hash}', 'john@example.org', 1073741824);
         REPLACE INTO virtual_aliases (id, domain_id, source, destination)
             VALUES ('1', '1', 'jack@example.org', 'john@example.org');
         REPLACE INTO virtual_aliases (id, domain_id, source, destination)
             VALUES ('2', '1', 'forward@example.org', 'someone@remote.example');
         REPLACE INTO virtual_aliases (id, domain_id, source, destination)
             VALUES ('3', '2', '@example.net', 'john@example.org');"
    ));
}

fn write_config(dir: &Path, port: u16) -> PathBuf {
    let path = dir.join("postroom.toml");
    std::fs::write(
        &path,
        format!(
            "hostname = \"mail.example.org\"\n\
             [listeners]\nmx = [\"127.0.0.1:2525\"]\n\
             [directory]\nurl = \"mysql://mailadmin:admin-pw@127.0.0.1:{port}/mailserver\"\n\
             [mail]\nvmail = \"vmail\"\n"
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.join("vmail")).unwrap();
    path
}

#[test]
#[ignore = "interop: needs Debian's mariadb-server and dovecot-core (doveadm)"]
fn an_ispmail_mariadb_database_works_unchanged() {
    let john = doveadm_pw(&["-s", "BLF-CRYPT", "-p", "john-secret"]);
    assert!(john.status.success(), "{john:?}");
    let john_hash = String::from_utf8(john.stdout)
        .unwrap()
        .trim_end()
        .to_owned();
    assert!(john_hash.starts_with("{BLF-CRYPT}$2y$"), "{john_hash}");

    let db = MariaDb::start();
    ispmail_setup(&db, &john_hash);
    let work = tempfile::tempdir().unwrap();
    let config = write_config(work.path(), db.port);
    let config = config.to_str().unwrap();
    let run = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--config", config]);
        postroom_in(work.path(), &all, None)
    };
    let john_maildir = work.path().join("vmail/example.org/john/Maildir");
    let john_line = format!(
        "local john@example.org {} quota=1073741824\n",
        john_maildir.display()
    );

    let check = run(&["check-config"]).expect(0);
    assert!(
        check.stdout.contains("configuration OK"),
        "{}",
        check.stdout
    );

    // Resolution: user, alias, +tag, catch-all, forward, unknown, foreign.
    assert_eq!(
        run(&["resolve", "John@Example.ORG"]).expect(0).stdout,
        john_line
    );
    assert_eq!(
        run(&["resolve", "jack@example.org"]).expect(0).stdout,
        john_line
    );
    assert_eq!(
        run(&["resolve", "john+list@example.org"]).expect(0).stdout,
        john_line
    );
    assert_eq!(
        run(&["resolve", "anyone@example.net"]).expect(0).stdout,
        john_line
    );
    assert_eq!(
        run(&["resolve", "forward@example.org"]).expect(0).stdout,
        "forward someone@remote.example\n"
    );
    run(&["resolve", "ghost@example.org"]).expect(1);
    run(&["resolve", "x@remote.example"]).expect(1);

    // Logins against Dovecot's BLF-CRYPT hash.
    let ok = run(&[
        "user",
        "test",
        "john@example.org",
        "--password",
        "john-secret",
    ])
    .expect(0);
    assert!(ok.stdout.contains("scheme=BLF-CRYPT"), "{}", ok.stdout);
    run(&["user", "test", "john@example.org", "--password", "wrong"]).expect(1);

    // `init` on the existing schema changes nothing.
    run(&["init"]).expect(0);
    assert_eq!(
        run(&["domain", "list"]).expect(0).stdout,
        "example.net\nexample.org\n"
    );

    // A user added by Postroom is readable by Dovecot.
    run(&[
        "user",
        "add",
        "jane@example.org",
        "--password",
        "jane-secret",
    ])
    .expect(0);
    let stored =
        db.sql("SELECT password FROM mailserver.virtual_users WHERE email = 'jane@example.org'");
    let stored = stored.trim_end();
    assert!(stored.starts_with("{ARGON2ID}"), "{stored}");
    let verified = doveadm_pw(&["-t", stored, "-p", "jane-secret"]);
    assert!(verified.status.success(), "doveadm: {verified:?}");

    // Aliases and a cascading domain removal.
    run(&["alias", "add", "team@example.org", "jane@example.org"]).expect(0);
    let list = run(&["alias", "list"]).expect(0).stdout;
    assert!(
        list.contains("team@example.org -> jane@example.org\n"),
        "{list}"
    );
    run(&["domain", "remove", "example.net"]).expect(1);
    run(&["domain", "remove", "example.net", "--force"]).expect(0);
    let left = db.sql("SELECT COUNT(*) FROM mailserver.virtual_aliases WHERE domain_id = 2");
    assert_eq!(left.trim(), "0");
    run(&["resolve", "anyone@example.net"]).expect(1);
}
