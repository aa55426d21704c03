//! The ISPmail schema, per database: same tables, columns and foreign keys everywhere.
//!
//! The MariaDB statements are the ones the ISPmail guide gives, so a database made by
//! either works with both Postfix/Dovecot and Postroom.

use super::Backend;

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
];

/// The `CREATE ... IF NOT EXISTS` statements for `backend`, to run one by one.
pub(super) fn statements(backend: Backend) -> &'static [&'static str] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::MySql => MYSQL,
        Backend::Postgres => POSTGRES,
    }
}
