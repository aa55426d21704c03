//! The ISPmail schema, per database: same tables, columns and foreign keys everywhere.
//!
//! The MariaDB statements are the ones the ISPmail guide gives (plus an index on
//! `virtual_aliases.source` in a new table), so a database made by either works with both
//! Postfix/Dovecot and Postroom.
//!
//! Lookups compare keys ignoring case (see the module docs of `directory`). On SQLite and
//! PostgreSQL they compare `lower(column)`, which a plain index cannot serve, so both get
//! indexes on those expressions; being `IF NOT EXISTS`, they are added to an existing
//! database the next time the schema statements run (`postroom init`). MariaDB/MySQL
//! compare the bare column under its case-insensitive collation and use the plain
//! indexes. An ISPmail guide database has none on `virtual_aliases.source`; one can be
//! added by hand with `CREATE INDEX virtual_aliases_source ON virtual_aliases (source)`
//! (MySQL has no `CREATE INDEX IF NOT EXISTS`, so Postroom does not alter existing tables).

use super::Backend;

/// The expression indexes of the case-insensitive lookups on SQLite and PostgreSQL (same
/// syntax on both). Not UNIQUE: an existing database may hold keys differing only in case.
const LOWER_EMAIL_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS virtual_users_lower_email ON virtual_users (lower(email))";
const LOWER_NAME_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS virtual_domains_lower_name ON virtual_domains (lower(name))";
const LOWER_SOURCE_INDEX: &str =
    "CREATE INDEX IF NOT EXISTS virtual_aliases_lower_source ON virtual_aliases (lower(source))";

const SQLITE: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS virtual_domains (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name VARCHAR(50) NOT NULL UNIQUE
    )",
    "CREATE TABLE IF NOT EXISTS virtual_users (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_id INTEGER NOT NULL REFERENCES virtual_domains(id) ON DELETE CASCADE,
        email VARCHAR(100) NOT NULL UNIQUE,
        password VARCHAR(150) NOT NULL,
        quota BIGINT NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS virtual_aliases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        domain_id INTEGER NOT NULL REFERENCES virtual_domains(id) ON DELETE CASCADE,
        source VARCHAR(100) NOT NULL,
        destination VARCHAR(100) NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS virtual_aliases_source ON virtual_aliases(source)",
    LOWER_EMAIL_INDEX,
    LOWER_NAME_INDEX,
    LOWER_SOURCE_INDEX,
];

const MYSQL: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS `virtual_domains` (
        `id` int(11) NOT NULL auto_increment,
        `name` varchar(50) NOT NULL,
        PRIMARY KEY (`id`),
        UNIQUE KEY name (`name`)
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE IF NOT EXISTS `virtual_users` (
        `id` int(11) NOT NULL auto_increment,
        `domain_id` int(11) NOT NULL,
        `email` varchar(100) NOT NULL,
        `password` varchar(150) NOT NULL,
        `quota` bigint(11) NOT NULL DEFAULT 0,
        PRIMARY KEY (`id`),
        UNIQUE KEY `email` (`email`),
        FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
    "CREATE TABLE IF NOT EXISTS `virtual_aliases` (
        `id` int(11) NOT NULL auto_increment,
        `domain_id` int(11) NOT NULL,
        `source` varchar(100) NOT NULL,
        `destination` varchar(100) NOT NULL,
        PRIMARY KEY (`id`),
        KEY `source` (`source`),
        FOREIGN KEY (domain_id) REFERENCES virtual_domains(id) ON DELETE CASCADE
    ) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4",
];

const POSTGRES: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS virtual_domains (
        id SERIAL PRIMARY KEY,
        name VARCHAR(50) NOT NULL UNIQUE
    )",
    "CREATE TABLE IF NOT EXISTS virtual_users (
        id SERIAL PRIMARY KEY,
        domain_id INTEGER NOT NULL REFERENCES virtual_domains(id) ON DELETE CASCADE,
        email VARCHAR(100) NOT NULL UNIQUE,
        password VARCHAR(150) NOT NULL,
        quota BIGINT NOT NULL DEFAULT 0
    )",
    "CREATE TABLE IF NOT EXISTS virtual_aliases (
        id SERIAL PRIMARY KEY,
        domain_id INTEGER NOT NULL REFERENCES virtual_domains(id) ON DELETE CASCADE,
        source VARCHAR(100) NOT NULL,
        destination VARCHAR(100) NOT NULL
    )",
    "CREATE INDEX IF NOT EXISTS virtual_aliases_source ON virtual_aliases(source)",
    LOWER_EMAIL_INDEX,
    LOWER_NAME_INDEX,
    LOWER_SOURCE_INDEX,
];

/// The `CREATE ... IF NOT EXISTS` statements for `backend`, to run one by one.
pub(super) fn statements(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::MySql => MYSQL,
        Backend::Postgres => POSTGRES,
    }
}
