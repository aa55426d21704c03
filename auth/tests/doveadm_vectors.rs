//! Known answers made by real Dovecot: every line of data/doveadm-vectors.txt
//! (regenerate with data/gen-doveadm-vectors.sh) must verify with its password
//! and fail with others.

use auth::{Scheme, SchemeSpec, StoredPassword};

struct Vector {
    spec: String,
    password: String,
    hash: String,
}

fn vectors() -> Vec<Vector> {
    include_str!("data/doveadm-vectors.txt")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|line| {
            let mut f = line.split('\t');
            let (Some(spec), Some(password), Some(hash), None) =
                (f.next(), f.next(), f.next(), f.next())
            else {
                panic!("bad vector line {line:?}");
            };
            Vector {
                spec: spec.to_owned(),
                password: password.to_owned(),
                hash: hash.to_owned(),
            }
        })
        .collect()
}

/// Key-stretching schemes are slow in debug builds (ARGON2 at Dovecot's 64 MiB
/// takes seconds): they get fewer wrong tries.
fn is_slow(p: &StoredPassword) -> bool {
    p.scheme().strength() >= 2
}

fn is_argon2(p: &StoredPassword) -> bool {
    matches!(p.scheme(), Scheme::Argon2id | Scheme::Argon2i)
}

#[test]
fn every_doveadm_vector_verifies() {
    let vectors = vectors();
    assert!(vectors.len() > 200, "vector file truncated?");
    for v in &vectors {
        let stored: StoredPassword = v
            .hash
            .parse()
            .unwrap_or_else(|e| panic!("{}: {} does not parse: {e}", v.spec, v.hash));
        let spec: SchemeSpec = v.spec.parse().unwrap();
        let expected = match spec.scheme {
            Scheme::Crypt => Scheme::BlfCrypt, // doveadm's CRYPT is bcrypt
            s => s,
        };
        assert_eq!(stored.scheme(), expected, "{}", v.hash);
        assert!(
            stored.verify(&v.password),
            "{} {:?}: {}",
            v.spec,
            v.password,
            v.hash
        );
        let mut wrong = Vec::new();
        if !is_argon2(&stored) || v.password == "test" {
            wrong.push(format!("{}x", v.password));
        }
        if !is_slow(&stored) {
            wrong.push(v.password.to_uppercase());
            wrong.push(String::new());
            wrong.push(v.password.chars().skip(1).collect());
        }
        for w in wrong.iter().filter(|w| **w != v.password) {
            // bcrypt only looks at 72 bytes, like Dovecot.
            if stored.scheme() == Scheme::BlfCrypt
                && v.password.len() >= 72
                && w.starts_with(&v.password)
            {
                continue;
            }
            assert!(!stored.verify(w), "{} accepted {w:?}: {}", v.spec, v.hash);
        }
    }
}

fn is_crypt(s: Scheme) -> bool {
    matches!(
        s,
        Scheme::BlfCrypt | Scheme::Sha512Crypt | Scheme::Sha256Crypt | Scheme::Md5Crypt
    )
}

#[test]
fn lower_case_prefixes_and_bare_crypt_strings() {
    for v in vectors().iter().filter(|v| !v.spec.starts_with("ARGON2")) {
        let (prefix, body) = v.hash[1..].split_once('}').unwrap();
        let lower = format!("{{{}}}{body}", prefix.to_lowercase());
        let stored: StoredPassword = lower.parse().unwrap();
        if is_slow(&stored) && v.password != "test" {
            continue;
        }
        assert!(stored.verify(&v.password), "{lower}");
        // Crypt strings also work without a prefix (default scheme CRYPT).
        if stored.spec().encoding.is_none() && is_crypt(stored.scheme()) {
            let bare: StoredPassword = body.parse().unwrap();
            assert!(bare.verify(&v.password), "{body}");
        }
    }
}
