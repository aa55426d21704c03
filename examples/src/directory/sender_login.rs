//! Who may use an envelope sender: the ISPmail sender-login check, Postfix's
//! `smtpd_sender_login_maps` with `reject_sender_login_mismatch`.
//!
//! ISPmail's map is `SELECT email FROM virtual_users WHERE email='%s' UNION SELECT
//! destination FROM virtual_aliases WHERE source='%s'`: an address is owned by the user
//! with that address and by every destination of an alias with that source. Postfix
//! looks the sender up as `user+tag@domain`, then `user@domain`, then `@domain`, and the
//! first key with a result decides. So `pat+lists@example.org` belongs to pat, an alias
//! `sales@` -> `pat@, sam@` may be used by both, and the destinations of a catch-all
//! `@example.org` own every address of the domain that is neither a user nor an alias.
//! An address listed nowhere is owned by nobody.

use sqlx::Row;

use super::{Address, Directory, DirectoryError};

impl Directory {
    /// The login names that own `sender` (`local@domain`), in lookup order; empty when
    /// nobody does (or the address does not parse).
    pub(crate) async fn sender_owners(&self, sender: &str) -> Result<Vec<String>, DirectoryError> {
        let Ok(address) = Address::parse(sender) else {
            return Ok(Vec::new());
        };
        let mut keys = vec![address.to_string()];
        if let Some(base) = address.without_tag() {
            keys.push(base.to_string());
        }
        keys.push(format!("@{}", address.domain));
        for key in keys {
            let mut owners = Vec::new();
            if let Ok(user) = Address::parse(&key)
                && let Some(row) = self.user_row(&user).await?
            {
                owners.push(row.try_get("email")?);
            }
            owners.extend(self.alias_destinations(&key).await?);
            if !owners.is_empty() {
                return Ok(owners);
            }
        }
        Ok(Vec::new())
    }

    /// Whether the user who logged in as `login` may send with the envelope sender
    /// `sender` (see the [module docs](self)). Names compare case-insensitively.
    pub(crate) async fn may_send_as(
        &self,
        login: &str,
        sender: &str,
    ) -> Result<bool, DirectoryError> {
        let owners = self.sender_owners(sender).await?;
        Ok(owners.iter().any(|owner| owner.eq_ignore_ascii_case(login)))
    }
}

#[cfg(test)]
mod tests {
    use auth::StoredPassword;

    use super::*;

    async fn directory(dir: &std::path::Path) -> Directory {
        let url = format!("sqlite://{}", dir.join("d.db").display());
        let db = Directory::create(&url, dir.join("vmail"), 2).await.unwrap();
        db.add_domain("example.test").await.unwrap();
        db.add_domain("other.test").await.unwrap();
        let pw = StoredPassword::parse("{PLAIN}pw").unwrap();
        for user in ["pat@example.test", "sam@example.test", "kim@other.test"] {
            db.add_user(user, &pw, 0).await.unwrap();
        }
        db
    }

    /// Asserts what `may_send_as(login, sender)` answers, case by case.
    async fn check(db: &Directory, cases: &[(&str, &str, bool)]) {
        for &(login, sender, expected) in cases {
            let answer = db.may_send_as(login, sender).await.unwrap();
            assert_eq!(answer, expected, "{login} sending as {sender}");
        }
    }

    #[tokio::test]
    async fn users_own_their_address_and_its_tags() {
        let dir = tempfile::tempdir().unwrap();
        let db = directory(dir.path()).await;
        check(
            &db,
            &[
                ("pat@example.test", "pat@example.test", true),
                ("PAT@example.test", "Pat@Example.TEST", true),
                ("pat@example.test", "pat+lists@example.test", true),
                ("pat@example.test", "sam@example.test", false),
                ("pat@example.test", "sam+x@example.test", false),
                // Nobody owns an address listed nowhere, in our domains or elsewhere.
                ("pat@example.test", "ghost@example.test", false),
                ("pat@example.test", "pat@gmail.example", false),
                ("pat@example.test", "not an address", false),
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn alias_destinations_own_the_alias() {
        let dir = tempfile::tempdir().unwrap();
        let db = directory(dir.path()).await;
        db.add_alias("sales@example.test", "pat@example.test")
            .await
            .unwrap();
        db.add_alias("sales@example.test", "kim@other.test")
            .await
            .unwrap();
        // `alias add` takes one destination per row; ISPmail tables may hold lists.
        let list = "INSERT INTO virtual_aliases (domain_id, source, destination) \
                    SELECT id, 'info@example.test', 'sam@example.test, pat@example.test' \
                    FROM virtual_domains WHERE name = 'example.test'";
        sqlx::query(list).execute(&db.pool).await.unwrap();
        db.add_alias("fwd@example.test", "someone@elsewhere.example")
            .await
            .unwrap();
        check(
            &db,
            &[
                ("pat@example.test", "sales@example.test", true),
                ("kim@other.test", "sales@example.test", true),
                ("sam@example.test", "sales@example.test", false),
                // One row may list several destinations, as Postfix splits table results.
                ("pat@example.test", "info@example.test", true),
                ("sam@example.test", "info@example.test", true),
                ("pat@example.test", "fwd@example.test", false),
            ],
        )
        .await;
        let mut owners = db.sender_owners("sales@example.test").await.unwrap();
        owners.sort();
        assert_eq!(owners, ["kim@other.test", "pat@example.test"]);
    }

    #[tokio::test]
    async fn first_key_with_owners_decides_and_catch_all_comes_last() {
        let dir = tempfile::tempdir().unwrap();
        let db = directory(dir.path()).await;
        db.add_alias("@example.test", "pat@example.test")
            .await
            .unwrap();
        // The catch-all's owner may use addresses that are nothing else...
        check(
            &db,
            &[
                ("pat@example.test", "anything@example.test", true),
                // ...but not a user's address, which its user owns.
                ("pat@example.test", "sam@example.test", false),
                ("sam@example.test", "anything@example.test", false),
            ],
        )
        .await;
        // The email2email self-mapping of ISPmail changes nothing.
        db.add_alias("sam@example.test", "sam@example.test")
            .await
            .unwrap();
        assert_eq!(
            db.sender_owners("sam@example.test").await.unwrap(),
            ["sam@example.test", "sam@example.test"]
        );
    }
}
