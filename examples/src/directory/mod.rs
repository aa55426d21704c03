//! The directory: domains, users and aliases in the ISPmail tables, through sqlx.
//!
//! `virtual_domains(id, name)`, `virtual_users(id, domain_id, email, password, quota)`
//! and `virtual_aliases(id, domain_id, source, destination)` in SQLite (the embedded
//! default), MariaDB/MySQL or PostgreSQL, chosen by the URL. An existing ISPmail database
//! works unchanged. Queries are plain SQL strings bound at run time, so no database is
//! needed to compile.
//!
//! Keys are compared ignoring case, as Postfix and Dovecot look them up, and every key
//! lookup is served by an index (see [`adapt`] for the `CI(column)` marker):
//! - SQLite and PostgreSQL compare `lower(column)` with the lower-cased key; the schema
//!   has indexes on `lower(email)`, `lower(name)` and `lower(source)` for exactly that
//!   expression, added to an existing database by `postroom init`.
//! - MySQL/MariaDB compare `column = key` and use the plain indexes of the ISPmail
//!   schema. This relies on the column's collation ignoring case, as the defaults do
//!   (`utf8mb4_general_ci` and `utf8_general_ci` on MariaDB, `utf8mb4_0900_ai_ci` on
//!   MySQL 8). Those also ignore accents, so Postroom matches exactly the rows that the
//!   ISPmail guide's Postfix and Dovecot queries (`WHERE email='%s'`) match. A column
//!   with a binary or `_cs` collation makes lookups case-sensitive: keep keys in lower
//!   case there (the admin commands write them so).
//!
//! Recipient resolution ([`Directory::resolve_recipient`]) follows Postfix's virtual alias
//! rules; see [`resolve`].

pub(crate) mod address;
mod admin_ops;
mod resolve;
mod schema;
mod sender_login;

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use auth::{SchemeError, StoredPassword};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

use crate::config::{Config, redact_url};
pub(crate) use address::{Address, AddressError};
pub(crate) use resolve::Resolution;

/// Which SQL dialect the URL selected.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Backend {
    /// `sqlite://path`
    Sqlite,
    /// `mysql://` or `mariadb://`
    MySql,
    /// `postgres://` or `postgresql://`
    Postgres,
}

impl Backend {
    fn from_url(url: &str) -> Option<Self> {
        let scheme = url.split_once(':')?.0;
        match scheme {
            "sqlite" => Some(Self::Sqlite),
            "mysql" | "mariadb" => Some(Self::MySql),
            "postgres" | "postgresql" => Some(Self::Postgres),
            _ => None,
        }
    }
}

/// A mailbox that receives mail here.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct LocalUser {
    /// The address as stored in `virtual_users.email`.
    pub(crate) email: String,
    /// `<vmail>/<domain>/<user>/Maildir`.
    pub(crate) maildir: PathBuf,
    /// Quota in bytes; `None` when the stored quota is 0 (unlimited).
    pub(crate) quota: Option<u64>,
}

/// A user's login data.
#[derive(Clone, Debug)]
pub(crate) struct User {
    /// The address as stored in `virtual_users.email`.
    pub(crate) email: String,
    /// The stored `{SCHEME}hash` (its `Debug` hides the hash).
    pub(crate) password: StoredPassword,
    /// Quota in bytes; `None` when unlimited.
    pub(crate) quota: Option<u64>,
}

/// Why a directory operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum DirectoryError {
    /// The URL names no supported database.
    #[error("unsupported directory URL {url:?}: expected sqlite://, mysql:// or postgres://")]
    UnsupportedUrl {
        /// The URL with its password hidden.
        url: String,
    },
    /// The database could not be reached or opened.
    #[error("cannot connect to {url}: {source}")]
    Connect {
        /// The URL with its password hidden.
        url: String,
        /// What sqlx reported.
        source: sqlx::Error,
    },
    /// A query failed (missing table or column, lost connection, ...).
    #[error("directory query failed: {0}")]
    Database(#[from] sqlx::Error),
    /// An address or domain is malformed.
    #[error("invalid address {address:?}: {reason}")]
    InvalidAddress {
        /// The text given.
        address: String,
        /// What is wrong with it.
        reason: AddressError,
    },
    /// The domain is not in `virtual_domains`.
    #[error("domain {0} does not exist (add it with `postroom domain add {0}`)")]
    NoSuchDomain(String),
    /// The domain is already in `virtual_domains`.
    #[error("domain {0} already exists")]
    DomainExists(String),
    /// Removing the domain would remove users or aliases too.
    #[error(
        "domain {domain} still has {users} user(s) and {aliases} alias(es); use --force to remove them too"
    )]
    DomainInUse {
        /// The domain.
        domain: String,
        /// How many users it has.
        users: i64,
        /// How many aliases it has.
        aliases: i64,
    },
    /// No user has this address.
    #[error("user {0} does not exist")]
    NoSuchUser(String),
    /// A user with this address exists already.
    #[error("user {0} already exists")]
    UserExists(String),
    /// This exact alias exists already.
    #[error("alias {alias} -> {destination} already exists")]
    AliasExists {
        /// The alias source.
        alias: String,
        /// The destination.
        destination: String,
    },
    /// No such alias row.
    #[error("alias {alias} -> {destination} does not exist")]
    NoSuchAlias {
        /// The alias source.
        alias: String,
        /// The destination.
        destination: String,
    },
    /// The quota does not fit the `quota` column (a signed 64-bit integer).
    #[error("quota {0} is larger than the database can store")]
    QuotaTooLarge(u64),
    /// A stored password hash could not be parsed.
    #[error("the stored password of {email} is not usable: {source}")]
    BadStoredPassword {
        /// The user.
        email: String,
        /// Why it does not parse.
        source: SchemeError,
    },
    /// Alias expansion went deeper or wider than the limits
    /// ([`resolve::MAX_ALIAS_DEPTH`], [`resolve::MAX_EXPANSION`]).
    #[error("alias expansion of {address} exceeds the limit of {limit}")]
    ExpansionLimit {
        /// The recipient being resolved.
        address: String,
        /// Which limit: depth or number of addresses.
        limit: &'static str,
    },
}

impl DirectoryError {
    fn invalid(address: &str, reason: AddressError) -> Self {
        Self::InvalidAddress {
            address: address.to_owned(),
            reason,
        }
    }
}

/// A connection pool to the directory database, plus the vmail root for mailbox paths.
#[derive(Clone)]
pub(crate) struct Directory {
    pool: AnyPool,
    backend: Backend,
    vmail: PathBuf,
    url: String,
}

impl fmt::Debug for Directory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Directory")
            .field("url", &redact_url(&self.url))
            .field("vmail", &self.vmail)
            .finish_non_exhaustive()
    }
}

impl Directory {
    /// Connects to the database at `url` (which must exist; see [`Directory::create`]).
    pub(crate) async fn connect(
        url: &str,
        vmail: impl Into<PathBuf>,
        max_connections: u32,
    ) -> Result<Self, DirectoryError> {
        let backend = Backend::from_url(url).ok_or_else(|| DirectoryError::UnsupportedUrl {
            url: redact_url(url),
        })?;
        sqlx::any::install_default_drivers();
        let pool = AnyPoolOptions::new()
            .max_connections(max_connections.max(1))
            .acquire_timeout(Duration::from_secs(10))
            // A pooled SQLite connection is an open file in this process: pinging it
            // before each query only adds a round trip to its worker thread. A server
            // connection may have been dropped by the server, so it is checked.
            .test_before_acquire(backend != Backend::Sqlite)
            .connect(url)
            .await
            .map_err(|source| DirectoryError::Connect {
                url: redact_url(url),
                source,
            })?;
        Ok(Self {
            pool,
            backend,
            vmail: vmail.into(),
            url: url.to_owned(),
        })
    }

    /// Connects with the settings of `config`.
    pub(crate) async fn from_config(config: &Config) -> Result<Self, DirectoryError> {
        Self::connect(
            &config.directory.url,
            &config.mail.vmail,
            config.directory.max_connections,
        )
        .await
    }

    /// Connects, creating an SQLite file if it is missing, and creates the ISPmail tables
    /// that do not exist yet. Existing tables and rows are left alone.
    pub(crate) async fn create(
        url: &str,
        vmail: impl Into<PathBuf>,
        max_connections: u32,
    ) -> Result<Self, DirectoryError> {
        let url = match Backend::from_url(url) {
            Some(Backend::Sqlite) if !url.contains("mode=") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_owned(),
        };
        let directory = Self::connect(&url, vmail, max_connections).await?;
        directory.create_schema().await?;
        Ok(directory)
    }

    /// Runs the `CREATE TABLE IF NOT EXISTS` statements of the ISPmail schema.
    pub(crate) async fn create_schema(&self) -> Result<(), DirectoryError> {
        for statement in schema::statements(self.backend) {
            sqlx::query(statement).execute(&self.pool).await?;
        }
        Ok(())
    }

    /// Checks that the three tables exist with the columns Postroom reads.
    pub(crate) async fn check_schema(&self) -> Result<(), DirectoryError> {
        for probe in [
            "SELECT id, name FROM virtual_domains WHERE 1 = 0",
            "SELECT id, domain_id, email, password, quota FROM virtual_users WHERE 1 = 0",
            "SELECT id, domain_id, source, destination FROM virtual_aliases WHERE 1 = 0",
        ] {
            sqlx::query(probe).fetch_all(&self.pool).await?;
        }
        Ok(())
    }

    /// Closes every pooled connection.
    pub(crate) async fn close(&self) {
        self.pool.close().await;
    }

    /// Whether `domain` is in `virtual_domains` (case-insensitively).
    pub(crate) async fn is_local_domain(&self, domain: &str) -> Result<bool, DirectoryError> {
        let Ok(domain) = address::normalize_domain(domain) else {
            return Ok(false);
        };
        let sql = self.sql(DOMAIN_ID_SQL);
        let row = sqlx::query(&sql)
            .bind(domain)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// The login data of `email`, matched exactly (no `+tag`, no aliases), ignoring case.
    pub(crate) async fn lookup_user(&self, email: &str) -> Result<Option<User>, DirectoryError> {
        let Ok(address) = Address::parse(email) else {
            return Ok(None);
        };
        let Some(row) = self.user_row(&address).await? else {
            return Ok(None);
        };
        let email: String = row.try_get("email")?;
        let stored: String = row.try_get("password")?;
        let password =
            StoredPassword::parse(&stored).map_err(|source| DirectoryError::BadStoredPassword {
                email: email.clone(),
                source,
            })?;
        Ok(Some(User {
            email,
            password,
            quota: quota_from_db(row.try_get("quota")?),
        }))
    }

    /// Replaces the stored hash of `email` (after `user passwd`, or an upgrade at login).
    pub(crate) async fn set_password(
        &self,
        email: &str,
        password: &StoredPassword,
    ) -> Result<(), DirectoryError> {
        let address = parse(email)?;
        let sql = self.sql("UPDATE virtual_users SET password = ? WHERE CI(email) = ?");
        let done = sqlx::query(&sql)
            .bind(password.as_str().to_owned())
            .bind(address.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DirectoryError::NoSuchUser(address.to_string()));
        }
        Ok(())
    }

    /// `<vmail>/<domain>/<user>/Maildir` for `email`, lower-cased as Dovecot's `%Ld/%Ln`.
    pub(crate) fn maildir_path(&self, email: &str) -> Result<PathBuf, DirectoryError> {
        let address = parse(email)?;
        address
            .check_path_safe()
            .map_err(|reason| DirectoryError::invalid(email, reason))?;
        Ok(self
            .vmail
            .join(&address.domain)
            .join(&address.local)
            .join("Maildir"))
    }

    async fn user_row(&self, address: &Address) -> Result<Option<AnyRow>, DirectoryError> {
        let sql = self.sql(USER_ROW_SQL);
        Ok(sqlx::query(&sql)
            .bind(address.to_string())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The destinations of the alias rows whose source is `source` (an address or
    /// `@domain`), split at commas as Postfix splits table results.
    async fn alias_destinations(&self, source: &str) -> Result<Vec<String>, DirectoryError> {
        let sql = self.sql(ALIAS_DESTINATIONS_SQL);
        let rows = sqlx::query(&sql)
            .bind(source.to_owned())
            .fetch_all(&self.pool)
            .await?;
        let mut destinations = Vec::new();
        for row in rows {
            push_destinations(&mut destinations, &row.try_get::<String, _>("destination")?);
        }
        Ok(destinations)
    }

    /// Everything the directory holds for `address`, in one query (one round trip to
    /// the database instead of three): whether its domain is ours, its alias
    /// destinations and its mailbox.
    async fn entry(&self, address: &Address) -> Result<Entry, DirectoryError> {
        let sql = self.sql(ENTRY_SQL);
        let email = address.to_string();
        let rows = sqlx::query(&sql)
            .bind(address.domain.clone())
            .bind(email.clone())
            .bind(email)
            .fetch_all(&self.pool)
            .await?;
        let mut entry = Entry::default();
        for row in rows {
            let kind: String = row.try_get("kind")?;
            let value: String = row.try_get("value")?;
            match kind.as_str() {
                "d" => entry.domain_is_local = true,
                "a" => push_destinations(&mut entry.aliases, &value),
                _ => {
                    entry.user = Some(LocalUser {
                        maildir: self.maildir_path(&value)?,
                        quota: quota_from_db(row.try_get("quota")?),
                        email: value,
                    });
                }
            }
        }
        Ok(entry)
    }

    /// Adapts a query written in the dialect-neutral form to the backend; see [`adapt`].
    fn sql(&self, query: &str) -> String {
        adapt(query, self.backend)
    }
}

/// The id of a domain, by name.
const DOMAIN_ID_SQL: &str = "SELECT id FROM virtual_domains WHERE CI(name) = ?";

/// A user's login data, by address.
const USER_ROW_SQL: &str = "SELECT email, password, CAST(quota AS BIGINT_TYPE) AS quota \
     FROM virtual_users WHERE CI(email) = ?";

/// The alias rows of one source.
const ALIAS_DESTINATIONS_SQL: &str = "SELECT destination FROM virtual_aliases WHERE CI(source) = ?";

/// [`Directory::entry`]: the domain, alias and user rows of one address; binds the
/// domain, then the address twice.
const ENTRY_SQL: &str = "SELECT 'd' AS kind, name AS value, CAST(0 AS BIGINT_TYPE) AS quota \
     FROM virtual_domains WHERE CI(name) = ? \
     UNION ALL SELECT 'a', destination, CAST(0 AS BIGINT_TYPE) \
     FROM virtual_aliases WHERE CI(source) = ? \
     UNION ALL SELECT 'u', email, CAST(quota AS BIGINT_TYPE) \
     FROM virtual_users WHERE CI(email) = ?";

/// Adapts a query to `backend`'s dialect. Queries are written with
/// - `?` placeholders, numbered `$1`, `$2`, ... for PostgreSQL;
/// - `BIGINT_TYPE`, the 64-bit integer type of `CAST` (`SIGNED` on MySQL);
/// - `CI(column)`, the column as compared with an already lower-cased key: `lower(column)`
///   on SQLite and PostgreSQL, which the schema's expression indexes serve, and the bare
///   column on MySQL, whose case-insensitive collations and plain indexes do the same
///   (see the module docs).
fn adapt(query: &str, backend: Backend) -> String {
    let query = query.replace(
        "BIGINT_TYPE",
        match backend {
            Backend::MySql => "SIGNED",
            Backend::Sqlite | Backend::Postgres => "BIGINT",
        },
    );
    let query = case_insensitive_columns(&query, backend);
    if backend != Backend::Postgres {
        return query;
    }
    let mut out = String::with_capacity(query.len() + 8);
    let mut n = 0;
    for c in query.chars() {
        if c == '?' {
            n += 1;
            out.push('$');
            out.push_str(&n.to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// Rewrites every `CI(column)` marker of `query` for `backend`.
fn case_insensitive_columns(query: &str, backend: Backend) -> String {
    const MARKER: &str = "CI(";
    let mut out = String::with_capacity(query.len() + 16);
    let mut rest = query;
    while let Some(start) = rest.find(MARKER) {
        let after = &rest[start + MARKER.len()..];
        let Some(end) = after.find(')') else {
            break;
        };
        out.push_str(&rest[..start]);
        let column = &after[..end];
        match backend {
            Backend::MySql => out.push_str(column),
            Backend::Sqlite | Backend::Postgres => {
                out.push_str("lower(");
                out.push_str(column);
                out.push(')');
            }
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    out
}

/// What the directory holds for one address.
#[derive(Debug, Default)]
struct Entry {
    /// The address's domain is in `virtual_domains`.
    domain_is_local: bool,
    /// The destinations of the alias rows with this source.
    aliases: Vec<String>,
    /// The mailbox with this address.
    user: Option<LocalUser>,
}

/// Adds the destinations of one alias row, split at commas as Postfix splits table
/// results.
fn push_destinations(destinations: &mut Vec<String>, row: &str) {
    destinations.extend(
        row.split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned),
    );
}

fn parse(email: &str) -> Result<Address, DirectoryError> {
    Address::parse(email).map_err(|reason| DirectoryError::invalid(email, reason))
}

/// ISPmail stores 0 for "no quota"; negative values are treated the same way.
fn quota_from_db(quota: i64) -> Option<u64> {
    u64::try_from(quota).ok().filter(|q| *q > 0)
}

#[cfg(test)]
mod tests;
