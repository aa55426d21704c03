//! Maildir file names on arbitrary text: splitting base and info, reading the `S=`/`W=`
//! sizes, flag letters, and host sanitising must not panic, and must be consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maildir::{Flag, Flags, filename};

fuzz_target!(|data: &[u8]| {
    let Ok(name) = std::str::from_utf8(data) else {
        return;
    };
    let (base, info) = filename::split(name);
    match info {
        Some(info) => assert_eq!(format!("{base}:{info}"), name),
        None => assert_eq!(base, name),
    }
    assert!(!base.contains(filename::INFO_SEPARATOR));
    let _ = filename::sizes(base);
    // Flags keep every capital letter (Dovecot keeps unknown ones) and nothing else.
    let info = info.unwrap_or("");
    let mut flags = Flags::default();
    for letter in info.chars() {
        assert_eq!(flags.insert_letter(letter), letter.is_ascii_uppercase());
        if let Some(flag) = Flag::from_letter(letter) {
            assert!(flags.contains(flag));
        }
    }
    assert!(flags.letters().all(|l| info.contains(l)));
    let host = filename::sanitize_host(name);
    assert!(!host.contains(['/', ':', ',']), "{host:?}");
});
