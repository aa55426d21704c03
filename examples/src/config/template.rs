//! The configuration file `postroom quickstart` writes.

/// File names inside a quickstart directory, relative to the configuration file.
pub(crate) const CERT_FILE: &str = "tls/cert.pem";
/// The private key's file name (mode 0600).
pub(crate) const KEY_FILE: &str = "tls/key.pem";
/// The SQLite directory database.
pub(crate) const DB_FILE: &str = "directory.db";
/// The vmail root.
pub(crate) const VMAIL_DIR: &str = "vmail";
/// The outbound queue.
pub(crate) const QUEUE_DIR: &str = "queue";

/// A commented configuration serving every listener on 127.0.0.1 with unprivileged ports.
pub(crate) fn quickstart_toml() -> String {
    format!(
        r#"# Postroom configuration, written by `postroom quickstart`.
# Relative paths are relative to this file's directory.
# For a real deployment copy this file, use the standard ports (25, 24 or a unix
# socket for LMTP, 110, 995, 143, 993, 587, 465, 4190), your Let's Encrypt files, and run
#   postroom check-config --config FILE && postroom serve --config FILE

# Host name used in greetings and Received: lines.
hostname = "localhost"

[listeners]
mx = ["127.0.0.1:2525"]      # inbound SMTP (STARTTLS)
lmtp = ["127.0.0.1:2424"]    # LMTP; "unix:/var/spool/postfix/private/postroom-lmtp" also works
pop3 = ["127.0.0.1:1110"]    # POP3 (STLS)
pop3s = ["127.0.0.1:1995"]   # POP3 over implicit TLS
imap = ["127.0.0.1:1143"]    # IMAP (STARTTLS)
imaps = ["127.0.0.1:1993"]   # IMAP over implicit TLS
submission = ["127.0.0.1:2587"]   # mail clients send here: STARTTLS, then AUTH
submissions = ["127.0.0.1:2465"]  # the same over implicit TLS (RFC 8314)
managesieve = ["127.0.0.1:14190"] # ManageSieve (STARTTLS): Sieve rules from Roundcube, sieve-connect

[tls]
certificate = "{CERT_FILE}"  # e.g. /etc/letsencrypt/live/HOST/fullchain.pem
key = "{KEY_FILE}"           # e.g. /etc/letsencrypt/live/HOST/privkey.pem

[directory]
# The ISPmail tables. Also: "mysql://mailadmin:PASSWORD@127.0.0.1/mailserver",
# "postgres://mailadmin:PASSWORD@127.0.0.1/mailserver".
url = "sqlite://{DB_FILE}"

[mail]
# Mail for user@domain is stored in <vmail>/<domain>/<user>/Maildir.
vmail = "{VMAIL_DIR}"

[limits]
message_size = 52428800      # bytes
recipients = 100             # per message
connections_per_ip = 20
connections = 1000
auth_concurrency = 4         # password verifications at once
idle_timeout_secs = 300

[auth]
allow_plaintext_auth_on_loopback = true
default_scheme = "ARGON2ID"  # for new hashes; any scheme of `postroom pw -l`
upgrade_hashes = true        # re-hash weaker stored passwords after a login

[queue]
# Outbound mail (submission, forwarding aliases, bounces) waits here until delivered.
dir = "{QUEUE_DIR}"

[spam]
# rspamd checks inbound mail (MX and LMTP, not authenticated submission) at the end of
# DATA: reject -> 5xx, soft reject/greylist -> 4xx, add header -> X-Spam: Yes (the
# Sieve rule below then files it into Junk). Off until you run rspamd.
enabled = false
backend = "milter"           # rspamd's proxy worker (milter = yes); or "http" (/checkv2)
# address = "127.0.0.1:11332"  # default: 11332 for milter, 11333 for http
timeout = "20s"
fail_open = true             # rspamd down or slow: accept with a log line; false: 451

[sieve]
# Sieve at delivery: the global before-script, then each user's active script
# (uploaded over ManageSieve, kept as Dovecot's Pigeonhole does in the user's home).
enabled = true
# before = "before.sieve"    # default: the built-in rule "X-Spam: Yes goes to Junk"
user_scripts = true
"#
    )
}
