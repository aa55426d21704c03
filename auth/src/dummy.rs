//! Constant work for unknown users: [`dummy_verify`].

use crate::StoredPassword;
use std::sync::OnceLock;

/// An ARGON2ID hash with the default policy's costs, of a password nobody is
/// meant to know (`doveadm pw -s ARGON2ID`); only the work of checking it matters.
const DUMMY_HASH: &str = "{ARGON2ID}$argon2id$v=19$m=65536,t=3,p=1$jM+445oEQkDBojZKKrY0BQ$8ZT37KzW8OK2EGkWSj8sSSO4Zjq75d/6IO/YNP/cdXg";

fn dummy_hash() -> Option<&'static StoredPassword> {
    static DUMMY: OnceLock<Option<StoredPassword>> = OnceLock::new();
    DUMMY.get_or_init(|| DUMMY_HASH.parse().ok()).as_ref()
}

#[cfg(test)]
thread_local! {
    /// How often this thread ran a dummy verification (tests only).
    pub(crate) static DUMMY_RUNS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Verifies `password` against a fixed hash of the default scheme
/// ([`HashPolicy::default`](crate::HashPolicy::default): ARGON2ID with
/// [`Argon2Costs::DEFAULT`](crate::scheme::Argon2Costs::DEFAULT)) and throws the
/// result away.
///
/// Call it when the user of a password check does not exist, so that the
/// answer takes as long as for a wrong password and its timing does not tell
/// which names exist. It is blocking CPU work like [`StoredPassword::verify`]:
/// run it on the same blocking pool. [`ServerMechanism::answer`] does it by
/// itself for [`Answer::UnknownUser`] to PLAIN and LOGIN; a server checking
/// passwords itself (POP3 `USER`/`PASS`, or before answering [`Answer::Reject`])
/// calls it directly. A server whose stored hashes mostly use another scheme
/// can do the same with a hash of its own (`HashPolicy::hash` of a random
/// password, made once).
///
/// [`ServerMechanism::answer`]: crate::sasl::ServerMechanism::answer
/// [`Answer::UnknownUser`]: crate::sasl::Answer::UnknownUser
/// [`Answer::Reject`]: crate::sasl::Answer::Reject
///
/// ```
/// // The user is unknown: spend the time a verification takes, then refuse.
/// auth::dummy_verify("guessed password");
/// ```
pub fn dummy_verify(password: impl AsRef<[u8]>) {
    #[cfg(test)]
    DUMMY_RUNS.with(|runs| runs.set(runs.get() + 1));
    if let Some(hash) = dummy_hash() {
        std::hint::black_box(hash.verify(std::hint::black_box(password.as_ref())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HashPolicy;

    #[test]
    fn the_dummy_hash_has_the_default_scheme_and_costs() {
        let hash = dummy_hash().expect("the dummy hash parses");
        let policy = HashPolicy::default();
        assert_eq!(hash.scheme(), policy.spec.scheme);
        // Costs at least the policy's: verifying it is no cheaper than a real hash.
        assert!(!policy.needs_upgrade(hash));
        assert!(!hash.verify("guessed password"));
        assert!(!hash.verify(""));
    }

    #[test]
    fn dummy_verify_runs_a_verification() {
        let before = DUMMY_RUNS.with(std::cell::Cell::get);
        dummy_verify(b"x");
        assert_eq!(DUMMY_RUNS.with(std::cell::Cell::get), before + 1);
    }
}
