//! Interoperability with Dovecot's own `doveadm pw` (Debian's dovecot-core).
//! `doveadm pw` needs no configuration or running server. Run with
//! `cargo test -p auth --test interop_doveadm -- --ignored`.

use auth::scheme::{Argon2Costs, Encoding};
use auth::{HashPolicy, Scheme, SchemeSpec, StoredPassword};
use std::process::Command;

const PASSWORDS: [&str; 3] = ["interop", "pässwörd ünïcödé", "密码🔑 with spaces"];

/// Every scheme (and encoding) doveadm generates that we verify.
const DOVEADM_SPECS: &[&str] = &[
    "ARGON2ID",
    "ARGON2I",
    "BLF-CRYPT",
    "SHA512-CRYPT",
    "SHA256-CRYPT",
    "MD5-CRYPT",
    "CRYPT",
    "SSHA512",
    "SSHA256",
    "SSHA",
    "SMD5",
    "SHA512",
    "SHA256",
    "SHA",
    "PLAIN",
    "CLEAR",
    "PLAIN-MD5",
    "LDAP-MD5",
    "SCRAM-SHA-1",
    "SCRAM-SHA-256",
    "SHA256.HEX",
    "SSHA512.B64",
    "SSHA256.HEX",
    "SHA512-CRYPT.HEX",
    "PLAIN.B64",
    "SMD5.HEX",
];

fn doveadm(args: &[&str]) -> (bool, String) {
    let out = Command::new("doveadm")
        .args(args)
        .output()
        .expect("doveadm not found: install Debian's dovecot-core");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text)
}

#[test]
#[ignore = "interop: needs doveadm from Debian's dovecot-core"]
fn we_verify_fresh_doveadm_hashes() {
    for spec in DOVEADM_SPECS {
        for (i, password) in PASSWORDS.iter().enumerate() {
            // ARGON2 at Dovecot's costs is slow in debug builds: one password.
            if spec.starts_with("ARGON2") && i > 0 {
                continue;
            }
            let (ok, out) = doveadm(&["pw", "-s", spec, "-p", password]);
            assert!(ok, "doveadm pw -s {spec}: {out}");
            let hash = out.trim();
            let stored: StoredPassword = hash.parse().unwrap_or_else(|e| panic!("{hash}: {e}"));
            assert!(stored.verify(password), "{spec} {password:?}: {hash}");
            assert!(
                !stored.verify(format!("{password}!")),
                "{spec}: wrong password accepted"
            );
        }
    }
}

#[test]
#[ignore = "interop: needs doveadm from Debian's dovecot-core"]
fn doveadm_verifies_our_hashes() {
    let policy = |scheme| HashPolicy {
        // libsodium (Dovecot's ARGON2) needs t >= 3 for argon2i; keep memory small.
        argon2: Argon2Costs {
            memory_kib: 1024,
            iterations: 3,
            parallelism: 1,
        },
        bcrypt_cost: 5,
        sha_crypt_rounds: 5000,
        scram_iterations: 4096,
        ..HashPolicy::new(scheme)
    };
    let mut checked = 0;
    for scheme in Scheme::ALL {
        for encoding in [None, Some(Encoding::Hex), Some(Encoding::Base64)] {
            let spec = SchemeSpec { scheme, encoding };
            for password in PASSWORDS {
                let Ok(stored) = policy(scheme).hash_with(spec, password) else {
                    continue; // verify-only schemes
                };
                let hash = stored.to_string();
                let (ok, out) = doveadm(&["pw", "-t", &hash, "-p", password]);
                assert!(
                    ok && out.contains("(verified)"),
                    "doveadm rejects {hash}: {out}"
                );
                let (ok, _) = doveadm(&["pw", "-t", &hash, "-p", "not the password"]);
                assert!(!ok, "doveadm accepts a wrong password for {hash}");
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} hashes checked");
}
