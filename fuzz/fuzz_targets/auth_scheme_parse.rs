//! Dovecot `{SCHEME}data` password strings: parsing arbitrary text must not panic, and a
//! parsed value must print back to a string that parses to the same scheme and text.
//! Verification runs only for the cheap schemes (the crypt and Argon2 families take
//! their cost from the string, which would only measure the hash functions).
#![no_main]

use auth::{Scheme, StoredPassword};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(stored) = StoredPassword::parse(text) else {
        return;
    };
    let printed = stored.to_string();
    let again = StoredPassword::parse(&printed).expect("a printed password parses");
    assert_eq!(again.scheme(), stored.scheme());
    assert_eq!(again.as_str(), stored.as_str());
    let _ = (
        format!("{stored:?}"),
        stored.spec(),
        stored.cleartext().is_some(),
    );
    let cheap = matches!(
        stored.scheme(),
        Scheme::Plain
            | Scheme::PlainMd5
            | Scheme::LdapMd5
            | Scheme::Sha1
            | Scheme::Sha256
            | Scheme::Sha512
            | Scheme::Ssha
            | Scheme::Ssha256
            | Scheme::Ssha512
            | Scheme::Smd5
    );
    if cheap {
        let _ = stored.verify(data);
    }
});
