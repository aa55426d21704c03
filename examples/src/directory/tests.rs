//! Every alias rule and admin operation, on a throwaway SQLite database.

use std::path::{Path, PathBuf};

use auth::StoredPassword;

use super::*;

struct Fixture {
    _dir: tempfile::TempDir,
    vmail: PathBuf,
    db: Directory,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let vmail = dir.path().join("vmail");
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    let db = Directory::create(&url, &vmail, 2).await.unwrap();
    db.add_domain("example.test").await.unwrap();
    db.add_domain("other.test").await.unwrap();
    Fixture {
        _dir: dir,
        vmail,
        db,
    }
}

fn plain(password: &str) -> StoredPassword {
    StoredPassword::parse(&format!("{{PLAIN}}{password}")).unwrap()
}

impl Fixture {
    async fn user(&self, email: &str) {
        self.db.add_user(email, &plain("pw"), 0).await.unwrap();
    }

    async fn alias(&self, source: &str, destination: &str) {
        self.db.add_alias(source, destination).await.unwrap();
    }

    fn maildir(&self, email: &str) -> PathBuf {
        let (local, domain) = email.split_once('@').unwrap();
        self.vmail.join(domain).join(local).join("Maildir")
    }

    /// The resolution as (local emails, remote addresses), sorted.
    async fn resolve(&self, address: &str) -> Option<(Vec<String>, Vec<String>)> {
        match self.db.resolve_recipient(address).await.unwrap() {
            Resolution::Found { local, remote } => {
                for user in &local {
                    assert_eq!(user.maildir, self.maildir(&user.email));
                }
                let mut local: Vec<String> = local.into_iter().map(|u| u.email).collect();
                let mut remote = remote;
                local.sort();
                remote.sort();
                Some((local, remote))
            }
            Resolution::Unknown => None,
            Resolution::NotLocalDomain => panic!("{address}: not a local domain"),
        }
    }

    async fn raw(&self, sql: &str) {
        sqlx::query(sql).execute(&self.db.pool).await.unwrap();
    }
}

fn local(emails: &[&str]) -> Option<(Vec<String>, Vec<String>)> {
    Some((emails.iter().map(|e| (*e).to_owned()).collect(), Vec::new()))
}

#[tokio::test]
async fn user_resolves_to_its_maildir_ignoring_case() {
    let f = fixture().await;
    f.user("Jane@Example.TEST").await;
    assert_eq!(
        f.resolve("jane@example.test").await,
        local(&["jane@example.test"])
    );
    assert_eq!(
        f.resolve("<JANE@EXAMPLE.test>").await,
        local(&["jane@example.test"])
    );
    let Resolution::Found { local, .. } =
        f.db.resolve_recipient("jane@example.test").await.unwrap()
    else {
        panic!()
    };
    assert_eq!(local[0].maildir, f.vmail.join("example.test/jane/Maildir"));
    assert_eq!(local[0].quota, None);
}

/// The domain `Mixed.Test` and its user `Bob@Mixed.Test` with `quota`, written in mixed
/// case as other tools may write them.
async fn mixed_case_bob(f: &Fixture, quota: u32) {
    f.raw("INSERT INTO virtual_domains (name) VALUES ('Mixed.Test')")
        .await;
    f.raw(&format!(
        "INSERT INTO virtual_users (domain_id, email, password, quota) \
         SELECT id, 'Bob@Mixed.Test', '{{PLAIN}}x', {quota} FROM virtual_domains \
         WHERE name = 'Mixed.Test'"
    ))
    .await;
}

#[tokio::test]
async fn mixed_case_rows_written_by_other_tools_match() {
    let f = fixture().await;
    mixed_case_bob(&f, 1000).await;
    assert!(f.db.is_local_domain("MIXED.test").await.unwrap());
    let Resolution::Found { local, remote } =
        f.db.resolve_recipient("bob@mixed.test").await.unwrap()
    else {
        panic!("bob not found")
    };
    assert!(remote.is_empty());
    assert_eq!(local[0].email, "Bob@Mixed.Test");
    assert_eq!(local[0].quota, Some(1000));
    assert_eq!(local[0].maildir, f.vmail.join("mixed.test/bob/Maildir"));
}

#[tokio::test]
async fn mixed_case_rows_match_logins_aliases_and_admin_commands() {
    let f = fixture().await;
    mixed_case_bob(&f, 0).await;
    f.raw(
        "INSERT INTO virtual_aliases (domain_id, source, destination) \
         SELECT id, 'Sales@MIXED.test', 'BOB@mixed.TEST' FROM virtual_domains \
         WHERE name = 'Mixed.Test'",
    )
    .await;
    let user = f.db.lookup_user("bob@mixed.test").await.unwrap().unwrap();
    assert_eq!(user.email, "Bob@Mixed.Test");
    f.db.set_password("BOB@mixed.test", &plain("new"))
        .await
        .unwrap();
    assert!(
        f.db.lookup_user("bob@MIXED.test")
            .await
            .unwrap()
            .unwrap()
            .password
            .verify("new")
    );
    let Resolution::Found { local, .. } = f.db.resolve_recipient("sales@mixed.test").await.unwrap()
    else {
        panic!("the mixed-case alias was not found")
    };
    assert_eq!(local[0].email, "Bob@Mixed.Test");

    // The admin commands find the same rows.
    assert!(matches!(
        f.db.add_user("bob@mixed.test", &plain("pw"), 0).await,
        Err(DirectoryError::UserExists(_))
    ));
    assert!(matches!(
        f.db.add_domain("mixed.test").await,
        Err(DirectoryError::DomainExists(_))
    ));
    let users = f.db.list_users(Some("mixed.test")).await.unwrap();
    assert_eq!(users.len(), 1);
    assert!(matches!(
        f.db.add_alias("sales@mixed.test", "bob@mixed.test").await,
        Err(DirectoryError::AliasExists { .. })
    ));
    f.db.remove_alias("sales@mixed.test", "bob@mixed.test")
        .await
        .unwrap();
    f.db.remove_user("bob@mixed.test").await.unwrap();
    assert!(f.db.lookup_user("bob@mixed.test").await.unwrap().is_none());
    assert_eq!(f.resolve("sales@mixed.test").await, None);
}

#[test]
fn the_case_insensitive_marker_suits_each_backend() {
    assert_eq!(
        adapt(USER_ROW_SQL, Backend::Sqlite),
        "SELECT email, password, CAST(quota AS BIGINT) AS quota \
         FROM virtual_users WHERE lower(email) = ?"
    );
    assert_eq!(
        adapt(USER_ROW_SQL, Backend::MySql),
        "SELECT email, password, CAST(quota AS SIGNED) AS quota \
         FROM virtual_users WHERE email = ?"
    );
    assert_eq!(
        adapt(
            "DELETE FROM virtual_aliases WHERE CI(source) = ? AND CI(destination) = ?",
            Backend::Postgres
        ),
        "DELETE FROM virtual_aliases WHERE lower(source) = $1 AND lower(destination) = $2"
    );
    let mysql = adapt(ENTRY_SQL, Backend::MySql);
    assert!(
        mysql.contains("WHERE name = ?")
            && mysql.contains("WHERE source = ?")
            && mysql.contains("WHERE email = ?")
            && !mysql.contains("lower(")
            && !mysql.contains("CI("),
        "{mysql}"
    );
    let postgres = adapt(ENTRY_SQL, Backend::Postgres);
    assert!(
        postgres.contains("WHERE lower(name) = $1")
            && postgres.contains("WHERE lower(source) = $2")
            && postgres.contains("WHERE lower(email) = $3"),
        "{postgres}"
    );
}

/// The lines of SQLite's `EXPLAIN QUERY PLAN` for a lookup, with `binds` bound.
async fn query_plan(db: &Directory, query: &str, binds: &[&str]) -> Vec<String> {
    let mut conn = db.pool.acquire().await.unwrap();
    // An EXPLAIN does not check that the connection's copy of the schema is current (a
    // real query does, and re-plans), so read the schema first: a change made through
    // another pooled connection is then seen.
    sqlx::query("SELECT count(*) FROM sqlite_master")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    let sql = format!("EXPLAIN QUERY PLAN {}", db.sql(query));
    let mut explain = sqlx::query(&sql).persistent(false);
    for bind in binds {
        explain = explain.bind((*bind).to_owned());
    }
    explain
        .fetch_all(&mut *conn)
        .await
        .unwrap()
        .iter()
        .map(|row| row.try_get("detail").unwrap())
        .collect()
}

/// Asserts that `plan` reads each `(table, index)` through that index and scans nothing.
fn assert_searches(plan: &[String], expected: &[(&str, &str)]) {
    assert!(
        !plan.iter().any(|line| line.starts_with("SCAN")),
        "a full scan: {plan:#?}"
    );
    for (table, index) in expected {
        let wanted = [
            format!("SEARCH {table} USING INDEX {index} "),
            format!("SEARCH {table} USING COVERING INDEX {index} "),
        ];
        assert!(
            plan.iter()
                .any(|line| wanted.iter().any(|w| line.starts_with(w.as_str()))),
            "{table} is not searched with {index}: {plan:#?}"
        );
    }
}

const USERS: (&str, &str) = ("virtual_users", "virtual_users_lower_email");
const ALIASES: (&str, &str) = ("virtual_aliases", "virtual_aliases_lower_source");
const DOMAINS: (&str, &str) = ("virtual_domains", "virtual_domains_lower_name");

/// A key lookup the directory runs, with its binds and the (table, index) pairs it must
/// search.
struct Lookup {
    query: &'static str,
    binds: &'static [&'static str],
    indexes: &'static [(&'static str, &'static str)],
}

const JANE: &str = "jane@example.test";

const LOOKUPS: [Lookup; 4] = [
    Lookup {
        query: USER_ROW_SQL,
        binds: &[JANE],
        indexes: &[USERS],
    },
    Lookup {
        query: ALIAS_DESTINATIONS_SQL,
        binds: &[JANE],
        indexes: &[ALIASES],
    },
    Lookup {
        query: DOMAIN_ID_SQL,
        binds: &["example.test"],
        indexes: &[DOMAINS],
    },
    Lookup {
        query: ENTRY_SQL,
        binds: &["example.test", JANE, JANE],
        indexes: &[DOMAINS, ALIASES, USERS],
    },
];

async fn assert_lookups_use_indexes(db: &Directory) {
    for lookup in &LOOKUPS {
        let plan = query_plan(db, lookup.query, lookup.binds).await;
        assert_searches(&plan, lookup.indexes);
    }
}

/// A directory with some hundred rows per table: on a nearly empty table SQLite's
/// planner may rightly prefer a scan, which is not what these tests are about.
async fn populated() -> Fixture {
    let f = fixture().await;
    f.raw(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
         INSERT INTO virtual_domains (name) SELECT 'd' || i || '.test' FROM n",
    )
    .await;
    for (table, columns, values) in [
        (
            "virtual_users",
            "email, password",
            "'u' || i || '@example.test', '{PLAIN}x'",
        ),
        (
            "virtual_aliases",
            "source, destination",
            "'a' || i || '@example.test', 'x@y.test'",
        ),
    ] {
        f.raw(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
             INSERT INTO {table} (domain_id, {columns}) SELECT 1, {values} FROM n"
        ))
        .await;
    }
    f
}

#[tokio::test]
async fn sqlite_lookups_use_the_lower_case_indexes() {
    let f = populated().await;
    assert_lookups_use_indexes(&f.db).await;
}

#[tokio::test]
async fn create_schema_adds_the_indexes_to_an_older_database() {
    let f = populated().await;
    f.user("jane@example.test").await;
    for index in [USERS.1, ALIASES.1, DOMAINS.1] {
        f.raw(&format!("DROP INDEX {index}")).await;
    }
    let plan = query_plan(&f.db, USER_ROW_SQL, &[JANE]).await;
    assert_eq!(plan, ["SCAN virtual_users"], "without the index");
    f.db.create_schema().await.unwrap();
    assert_lookups_use_indexes(&f.db).await;
    assert!(
        f.db.lookup_user("JANE@example.test")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn unknown_users_and_foreign_domains() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    assert_eq!(f.resolve("nobody@example.test").await, None);
    assert_eq!(
        f.db.resolve_recipient("jane@elsewhere.test").await.unwrap(),
        Resolution::NotLocalDomain
    );
    assert!(matches!(
        f.db.resolve_recipient("no-at-sign").await,
        Err(DirectoryError::InvalidAddress { .. })
    ));
}

#[tokio::test]
async fn one_source_several_destinations_local_and_remote() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    f.user("joe@other.test").await;
    f.alias("team@example.test", "jane@example.test").await;
    f.alias("team@example.test", "joe@other.test").await;
    f.alias("team@example.test", "Partner@Remote.example").await;
    assert_eq!(
        f.resolve("team@example.test").await,
        Some((
            vec!["jane@example.test".into(), "joe@other.test".into()],
            vec!["partner@remote.example".into()]
        ))
    );
}

#[tokio::test]
async fn comma_separated_destinations_in_one_row() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    f.user("joe@other.test").await;
    f.raw(
        "INSERT INTO virtual_aliases (domain_id, source, destination) SELECT id, \
         'both@example.test', 'jane@example.test, joe@other.test' FROM virtual_domains \
         WHERE name = 'example.test'",
    )
    .await;
    assert_eq!(
        f.resolve("both@example.test").await,
        local(&["jane@example.test", "joe@other.test"])
    );
}

#[tokio::test]
async fn an_alias_overrides_a_user_unless_it_maps_to_itself() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    f.user("joe@example.test").await;
    f.alias("jane@example.test", "joe@example.test").await;
    assert_eq!(
        f.resolve("jane@example.test").await,
        local(&["joe@example.test"])
    );
    // ISPmail's "email2email" row: the address keeps its own mailbox as well.
    f.alias("jane@example.test", "jane@example.test").await;
    assert_eq!(
        f.resolve("jane@example.test").await,
        local(&["jane@example.test", "joe@example.test"])
    );
}

#[tokio::test]
async fn chains_are_followed() {
    let f = fixture().await;
    f.user("carol@other.test").await;
    f.alias("a@example.test", "b@example.test").await;
    f.alias("b@example.test", "c@other.test").await;
    f.alias("c@other.test", "carol@other.test").await;
    assert_eq!(
        f.resolve("a@example.test").await,
        local(&["carol@other.test"])
    );
}

#[tokio::test]
async fn loops_stop_and_deliver_only_to_mailboxes() {
    let f = fixture().await;
    f.alias("a@example.test", "b@example.test").await;
    f.alias("b@example.test", "a@example.test").await;
    assert_eq!(
        f.resolve("a@example.test").await,
        None,
        "a loop of aliases only"
    );
    // Back at a mailbox: delivered there, not expanded again.
    f.user("a@example.test").await;
    assert_eq!(
        f.resolve("a@example.test").await,
        local(&["a@example.test"])
    );
    // b's path meets b again, which is no mailbox (a's alias overrides a's mailbox).
    assert_eq!(f.resolve("b@example.test").await, None);
}

#[tokio::test]
async fn diamonds_deliver_once() {
    let f = fixture().await;
    f.user("d@example.test").await;
    f.alias("a@example.test", "b@example.test").await;
    f.alias("a@example.test", "c@example.test").await;
    f.alias("b@example.test", "d@example.test").await;
    f.alias("c@example.test", "D@Example.test").await;
    assert_eq!(
        f.resolve("a@example.test").await,
        local(&["d@example.test"])
    );
}

#[tokio::test]
async fn depth_and_width_are_bounded() {
    let f = fixture().await;
    for i in 0..=resolve::MAX_ALIAS_DEPTH {
        f.alias(
            &format!("l{i}@example.test"),
            &format!("l{}@example.test", i + 1),
        )
        .await;
    }
    f.user(&format!("l{}@example.test", resolve::MAX_ALIAS_DEPTH + 1))
        .await;
    assert!(matches!(
        f.db.resolve_recipient("l0@example.test").await,
        Err(DirectoryError::ExpansionLimit { .. })
    ));
    // One level less is fine.
    assert_eq!(
        f.resolve("l1@example.test").await,
        local(&[&format!("l{}@example.test", resolve::MAX_ALIAS_DEPTH + 1)])
    );
    // Width: one source with more destinations than the expansion limit.
    f.raw(&format!(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {}) \
         INSERT INTO virtual_aliases (domain_id, source, destination) \
         SELECT (SELECT id FROM virtual_domains WHERE name = 'example.test'), \
         'wide@example.test', 'w' || i || '@remote.example' FROM n",
        resolve::MAX_EXPANSION
    ))
    .await;
    assert!(matches!(
        f.db.resolve_recipient("wide@example.test").await,
        Err(DirectoryError::ExpansionLimit { .. })
    ));
}

#[tokio::test]
async fn catch_all_applies_only_without_an_exact_match() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    f.user("catch@example.test").await;
    f.user("joe@other.test").await;
    f.alias("sales@example.test", "joe@other.test").await;
    f.alias("@example.test", "catch@example.test").await;
    assert_eq!(
        f.resolve("jane@example.test").await,
        local(&["jane@example.test"])
    );
    assert_eq!(
        f.resolve("sales@example.test").await,
        local(&["joe@other.test"])
    );
    assert_eq!(
        f.resolve("anything@example.test").await,
        local(&["catch@example.test"])
    );
    // No catch-all for other.test.
    assert_eq!(f.resolve("anything@other.test").await, None);
}

#[tokio::test]
async fn catch_all_to_a_domain_keeps_the_local_part() {
    let f = fixture().await;
    f.user("joe@other.test").await;
    f.alias("@example.test", "@Other.test").await;
    assert_eq!(
        f.resolve("joe@example.test").await,
        local(&["joe@other.test"])
    );
    assert_eq!(f.resolve("ann@example.test").await, None);
    // The same rewriting for an exact source (Postfix's "@otherdomain" result).
    f.user("ann@other.test").await;
    f.alias("ann@example.test", "@other.test").await;
    assert_eq!(
        f.resolve("ann@example.test").await,
        local(&["ann@other.test"])
    );
}

#[tokio::test]
async fn catch_all_to_a_missing_address_in_the_same_domain_stops() {
    let f = fixture().await;
    f.alias("@example.test", "nobody@example.test").await;
    assert_eq!(f.resolve("x@example.test").await, None);
}

#[tokio::test]
async fn plus_tags_go_to_the_base_address() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    f.user("joe@example.test").await;
    f.user("catch@example.test").await;
    assert_eq!(
        f.resolve("jane+news@example.test").await,
        local(&["jane@example.test"])
    );
    assert_eq!(
        f.resolve("Jane+A+B@example.test").await,
        local(&["jane@example.test"])
    );
    // user+tag as its own user or alias wins over the base address.
    f.user("jane+work@example.test").await;
    assert_eq!(
        f.resolve("jane+work@example.test").await,
        local(&["jane+work@example.test"])
    );
    f.alias("jane+lists@example.test", "joe@example.test").await;
    assert_eq!(
        f.resolve("jane+lists@example.test").await,
        local(&["joe@example.test"])
    );
    // The base address's own alias applies.
    f.alias("sales@example.test", "joe@example.test").await;
    assert_eq!(
        f.resolve("sales+x@example.test").await,
        local(&["joe@example.test"])
    );
    // Unknown base: not found, or the catch-all when there is one.
    assert_eq!(f.resolve("ghost+x@example.test").await, None);
    f.alias("@example.test", "catch@example.test").await;
    assert_eq!(
        f.resolve("ghost+x@example.test").await,
        local(&["catch@example.test"])
    );
}

#[tokio::test]
async fn lookup_user_is_exact_and_ignores_case() {
    let f = fixture().await;
    let stored = auth::HashPolicy::new(auth::Scheme::Ssha512)
        .hash("s3cret")
        .unwrap();
    f.db.add_user("jane@example.test", &stored, 5_000_000)
        .await
        .unwrap();
    f.alias("alias@example.test", "jane@example.test").await;
    let user =
        f.db.lookup_user("JANE@example.TEST")
            .await
            .unwrap()
            .unwrap();
    assert_eq!(user.email, "jane@example.test");
    assert_eq!(user.quota, Some(5_000_000));
    assert!(user.password.verify("s3cret"));
    assert!(!user.password.verify("wrong"));
    assert!(
        f.db.lookup_user("jane+tag@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        f.db.lookup_user("alias@example.test")
            .await
            .unwrap()
            .is_none()
    );
    assert!(f.db.lookup_user("garbage").await.unwrap().is_none());

    f.db.set_password("jane@example.test", &plain("new"))
        .await
        .unwrap();
    let user =
        f.db.lookup_user("jane@example.test")
            .await
            .unwrap()
            .unwrap();
    assert!(user.password.verify("new"));

    f.raw("UPDATE virtual_users SET password = '{NOPE}x'").await;
    assert!(matches!(
        f.db.lookup_user("jane@example.test").await,
        Err(DirectoryError::BadStoredPassword { .. })
    ));
}

#[tokio::test]
async fn maildir_paths_are_lower_case_and_safe() {
    let f = fixture().await;
    assert_eq!(
        f.db.maildir_path("Jane.Doe@Example.Test").unwrap(),
        f.vmail.join("example.test/jane.doe/Maildir")
    );
    for bad in ["../x@example.test", "..@example.test", "a/b@example.test"] {
        assert!(f.db.maildir_path(bad).is_err(), "{bad}");
    }
    assert!(matches!(
        f.db.add_user("..@example.test", &plain("x"), 0).await,
        Err(DirectoryError::InvalidAddress { .. })
    ));
}

#[tokio::test]
async fn domain_admin() {
    let f = fixture().await;
    assert_eq!(
        f.db.list_domains().await.unwrap(),
        ["example.test", "other.test"]
    );
    assert!(matches!(
        f.db.add_domain("EXAMPLE.test").await,
        Err(DirectoryError::DomainExists(d)) if d == "example.test"
    ));
    assert!(matches!(
        f.db.add_domain("bad_domain").await,
        Err(DirectoryError::InvalidAddress { .. })
    ));
    f.user("jane@example.test").await;
    f.alias("x@example.test", "jane@example.test").await;
    assert!(matches!(
        f.db.remove_domain("example.test", false).await,
        Err(DirectoryError::DomainInUse {
            users: 1,
            aliases: 1,
            ..
        })
    ));
    f.db.remove_domain("example.test", true).await.unwrap();
    assert_eq!(f.db.list_domains().await.unwrap(), ["other.test"]);
    assert!(f.db.list_users(None).await.unwrap().is_empty());
    assert!(f.db.list_aliases().await.unwrap().is_empty());
    assert!(matches!(
        f.db.remove_domain("example.test", false).await,
        Err(DirectoryError::NoSuchDomain(_))
    ));
    f.db.remove_domain("other.test", false).await.unwrap();
}

#[tokio::test]
async fn user_admin() {
    let f = fixture().await;
    assert!(matches!(
        f.db.add_user("jane@nowhere.test", &plain("x"), 0).await,
        Err(DirectoryError::NoSuchDomain(d)) if d == "nowhere.test"
    ));
    f.db.add_user("jane@example.test", &plain("x"), 42)
        .await
        .unwrap();
    f.user("joe@other.test").await;
    assert!(matches!(
        f.db.add_user("JANE@example.test", &plain("x"), 0).await,
        Err(DirectoryError::UserExists(_))
    ));
    let users = f.db.list_users(None).await.unwrap();
    assert_eq!(users.len(), 2);
    assert_eq!(users[0].email, "jane@example.test");
    assert_eq!(users[0].quota, Some(42));
    assert_eq!(users[0].scheme, "PLAIN");
    let only_other = f.db.list_users(Some("Other.Test")).await.unwrap();
    assert_eq!(only_other.len(), 1);
    assert_eq!(only_other[0].email, "joe@other.test");
    f.db.remove_user("Jane@Example.test").await.unwrap();
    assert!(matches!(
        f.db.remove_user("jane@example.test").await,
        Err(DirectoryError::NoSuchUser(_))
    ));
    assert!(matches!(
        f.db.set_password("jane@example.test", &plain("y")).await,
        Err(DirectoryError::NoSuchUser(_))
    ));
}

#[tokio::test]
async fn alias_admin() {
    let f = fixture().await;
    f.alias("Info@Example.test", "someone@remote.example").await;
    f.alias("@other.test", "info@example.test").await;
    assert!(matches!(
        f.db.add_alias("info@example.test", "SOMEONE@remote.example")
            .await,
        Err(DirectoryError::AliasExists { .. })
    ));
    assert!(matches!(
        f.db.add_alias("x@remote.example", "info@example.test")
            .await,
        Err(DirectoryError::NoSuchDomain(_))
    ));
    assert!(matches!(
        f.db.add_alias("x@example.test", "not-an-address").await,
        Err(DirectoryError::InvalidAddress { .. })
    ));
    let aliases = f.db.list_aliases().await.unwrap();
    let pairs: Vec<(&str, &str)> = aliases
        .iter()
        .map(|a| (a.source.as_str(), a.destination.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("@other.test", "info@example.test"),
            ("info@example.test", "someone@remote.example")
        ]
    );
    f.db.remove_alias("@OTHER.test", "info@example.test")
        .await
        .unwrap();
    assert!(matches!(
        f.db.remove_alias("@other.test", "info@example.test").await,
        Err(DirectoryError::NoSuchAlias { .. })
    ));
    assert_eq!(f.db.list_aliases().await.unwrap().len(), 1);
}

#[tokio::test]
async fn create_is_idempotent_and_keeps_rows() {
    let f = fixture().await;
    f.user("jane@example.test").await;
    let url = f.db.url.clone();
    f.db.close().await;
    let again = Directory::create(&url, Path::new("/unused"), 1)
        .await
        .unwrap();
    again.check_schema().await.unwrap();
    assert!(
        again
            .lookup_user("jane@example.test")
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn connect_errors_are_typed() {
    assert!(matches!(
        Directory::connect("redis://x", "/v", 1).await,
        Err(DirectoryError::UnsupportedUrl { .. })
    ));
    let dir = tempfile::tempdir().unwrap();
    let missing = format!("sqlite://{}", dir.path().join("missing.db").display());
    assert!(matches!(
        Directory::connect(&missing, "/v", 1).await,
        Err(DirectoryError::Connect { .. })
    ));
    let empty = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("empty.db").display()
    );
    let db = Directory::connect(&empty, "/v", 1).await.unwrap();
    assert!(db.check_schema().await.is_err(), "no tables yet");
}
