//! Changes to the directory made by the admin CLI: domains, users, aliases.
//!
//! Everything written is lower-cased and checked first, and every change says clearly
//! when it had nothing to act on, so `postroom domain remove typo.test` is an error
//! rather than a silent no-op.

use auth::StoredPassword;
use sqlx::Row;

use super::{DOMAIN_ID_SQL, Directory, DirectoryError, address, parse, quota_from_db};

/// A row of `postroom user list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct UserEntry {
    /// The address.
    pub(crate) email: String,
    /// Quota in bytes, `None` for unlimited.
    pub(crate) quota: Option<u64>,
    /// The scheme of the stored hash (`ARGON2ID`, `BLF-CRYPT`, ...) or `?` if unparseable.
    pub(crate) scheme: String,
}

/// A row of `postroom alias list`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct AliasEntry {
    /// The source: an address, or `@domain` for a catch-all.
    pub(crate) source: String,
    /// The destination address.
    pub(crate) destination: String,
}

impl Directory {
    /// Adds a domain to `virtual_domains`.
    pub(crate) async fn add_domain(&self, name: &str) -> Result<(), DirectoryError> {
        let domain =
            address::normalize_domain(name).map_err(|e| DirectoryError::invalid(name, e))?;
        if self.domain_id(&domain).await?.is_some() {
            return Err(DirectoryError::DomainExists(domain));
        }
        let sql = self.sql("INSERT INTO virtual_domains (name) VALUES (?)");
        sqlx::query(&sql).bind(domain).execute(&self.pool).await?;
        Ok(())
    }

    /// Every domain, sorted.
    pub(crate) async fn list_domains(&self) -> Result<Vec<String>, DirectoryError> {
        let rows = sqlx::query("SELECT name FROM virtual_domains ORDER BY name")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| r.try_get("name").map_err(Into::into))
            .collect()
    }

    /// Removes a domain. With users or aliases left it fails unless `force`, which
    /// removes them as well (in one transaction). Mail on disk is never deleted.
    pub(crate) async fn remove_domain(
        &self,
        name: &str,
        force: bool,
    ) -> Result<(), DirectoryError> {
        let domain =
            address::normalize_domain(name).map_err(|e| DirectoryError::invalid(name, e))?;
        let id = self
            .domain_id(&domain)
            .await?
            .ok_or_else(|| DirectoryError::NoSuchDomain(domain.clone()))?;
        let users = self.count("virtual_users", id).await?;
        let aliases = self.count("virtual_aliases", id).await?;
        if (users > 0 || aliases > 0) && !force {
            return Err(DirectoryError::DomainInUse {
                domain,
                users,
                aliases,
            });
        }
        let mut tx = self.pool.begin().await?;
        for table in ["virtual_aliases", "virtual_users"] {
            let sql = self.sql(&format!("DELETE FROM {table} WHERE domain_id = ?"));
            sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
        }
        let sql = self.sql("DELETE FROM virtual_domains WHERE id = ?");
        sqlx::query(&sql).bind(id).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds a user with an already hashed password; `quota` in bytes, 0 for none.
    pub(crate) async fn add_user(
        &self,
        email: &str,
        password: &StoredPassword,
        quota: u64,
    ) -> Result<(), DirectoryError> {
        let address = parse(email)?;
        address
            .check_path_safe()
            .map_err(|e| DirectoryError::invalid(email, e))?;
        let domain_id = self
            .domain_id(&address.domain)
            .await?
            .ok_or_else(|| DirectoryError::NoSuchDomain(address.domain.clone()))?;
        if self.user_row(&address).await?.is_some() {
            return Err(DirectoryError::UserExists(address.to_string()));
        }
        let quota = i64::try_from(quota).map_err(|_| DirectoryError::QuotaTooLarge(quota))?;
        let sql = self.sql(
            "INSERT INTO virtual_users (domain_id, email, password, quota) VALUES (?, ?, ?, ?)",
        );
        sqlx::query(&sql)
            .bind(domain_id)
            .bind(address.to_string())
            .bind(password.as_str().to_owned())
            .bind(quota)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Users, sorted by address; only those of `domain` if given.
    pub(crate) async fn list_users(
        &self,
        domain: Option<&str>,
    ) -> Result<Vec<UserEntry>, DirectoryError> {
        let rows = match domain {
            Some(name) => {
                let domain = address::normalize_domain(name)
                    .map_err(|e| DirectoryError::invalid(name, e))?;
                let sql = self.sql(
                    "SELECT u.email, u.password, CAST(u.quota AS BIGINT_TYPE) AS quota \
                     FROM virtual_users u JOIN virtual_domains d ON u.domain_id = d.id \
                     WHERE CI(d.name) = ? ORDER BY u.email",
                );
                sqlx::query(&sql).bind(domain).fetch_all(&self.pool).await?
            }
            None => {
                let sql = self.sql(
                    "SELECT email, password, CAST(quota AS BIGINT_TYPE) AS quota \
                     FROM virtual_users ORDER BY email",
                );
                sqlx::query(&sql).fetch_all(&self.pool).await?
            }
        };
        let mut users = Vec::with_capacity(rows.len());
        for row in rows {
            let stored: String = row.try_get("password")?;
            users.push(UserEntry {
                email: row.try_get("email")?,
                quota: quota_from_db(row.try_get("quota")?),
                scheme: StoredPassword::parse(&stored)
                    .map_or_else(|_| "?".to_owned(), |p| p.spec().to_string()),
            });
        }
        Ok(users)
    }

    /// Removes a user row (the Maildir stays on disk).
    pub(crate) async fn remove_user(&self, email: &str) -> Result<(), DirectoryError> {
        let address = parse(email)?;
        let sql = self.sql("DELETE FROM virtual_users WHERE CI(email) = ?");
        let done = sqlx::query(&sql)
            .bind(address.to_string())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DirectoryError::NoSuchUser(address.to_string()));
        }
        Ok(())
    }

    /// Adds an alias row. `source` is an address or `@domain` (catch-all) in one of our
    /// domains; `destination` is any address (another domain means forwarding).
    pub(crate) async fn add_alias(
        &self,
        source: &str,
        destination: &str,
    ) -> Result<(), DirectoryError> {
        let (source, domain) = alias_source(source)?;
        let destination = alias_destination(destination)?;
        let domain_id = self
            .domain_id(&domain)
            .await?
            .ok_or_else(|| DirectoryError::NoSuchDomain(domain.clone()))?;
        if self.alias_exists(&source, &destination).await? {
            return Err(DirectoryError::AliasExists {
                alias: source,
                destination,
            });
        }
        let sql = self
            .sql("INSERT INTO virtual_aliases (domain_id, source, destination) VALUES (?, ?, ?)");
        sqlx::query(&sql)
            .bind(domain_id)
            .bind(source)
            .bind(destination)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every alias row, sorted by source then destination.
    pub(crate) async fn list_aliases(&self) -> Result<Vec<AliasEntry>, DirectoryError> {
        let rows = sqlx::query(
            "SELECT source, destination FROM virtual_aliases ORDER BY source, destination",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut aliases = Vec::with_capacity(rows.len());
        for row in rows {
            aliases.push(AliasEntry {
                source: row.try_get("source")?,
                destination: row.try_get("destination")?,
            });
        }
        Ok(aliases)
    }

    /// Removes one alias row.
    pub(crate) async fn remove_alias(
        &self,
        source: &str,
        destination: &str,
    ) -> Result<(), DirectoryError> {
        let (source, _domain) = alias_source(source)?;
        let destination = alias_destination(destination)?;
        let sql =
            self.sql("DELETE FROM virtual_aliases WHERE CI(source) = ? AND CI(destination) = ?");
        let done = sqlx::query(&sql)
            .bind(source.clone())
            .bind(destination.clone())
            .execute(&self.pool)
            .await?;
        if done.rows_affected() == 0 {
            return Err(DirectoryError::NoSuchAlias {
                alias: source,
                destination,
            });
        }
        Ok(())
    }

    async fn domain_id(&self, domain: &str) -> Result<Option<i64>, DirectoryError> {
        let sql = self.sql(DOMAIN_ID_SQL);
        let row = sqlx::query(&sql)
            .bind(domain.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get("id")).transpose()?)
    }

    async fn count(&self, table: &str, domain_id: i64) -> Result<i64, DirectoryError> {
        let sql = self.sql(&format!(
            "SELECT COUNT(*) AS n FROM {table} WHERE domain_id = ?"
        ));
        let row = sqlx::query(&sql)
            .bind(domain_id)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get("n")?)
    }

    async fn alias_exists(&self, source: &str, destination: &str) -> Result<bool, DirectoryError> {
        let sql =
            self.sql("SELECT id FROM virtual_aliases WHERE CI(source) = ? AND CI(destination) = ?");
        let row = sqlx::query(&sql)
            .bind(source.to_owned())
            .bind(destination.to_owned())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }
}

/// An alias source, lower-cased, and its domain: `user@domain` or `@domain`.
fn alias_source(source: &str) -> Result<(String, String), DirectoryError> {
    if let Some(domain) = source.trim().strip_prefix('@') {
        let domain =
            address::normalize_domain(domain).map_err(|e| DirectoryError::invalid(source, e))?;
        return Ok((format!("@{domain}"), domain));
    }
    let address = parse(source)?;
    Ok((address.to_string(), address.domain.clone()))
}

/// An alias destination, lower-cased: an address, or `@domain` (same local part there).
fn alias_destination(destination: &str) -> Result<String, DirectoryError> {
    match destination.trim().strip_prefix('@') {
        Some(domain) => address::normalize_domain(domain)
            .map(|d| format!("@{d}"))
            .map_err(|e| DirectoryError::invalid(destination, e)),
        None => Ok(parse(destination)?.to_string()),
    }
}
