//! `dovecot-uidlist` parsing on arbitrary text: no panic, and a parsed list written back
//! with `to_text` (version 3) must parse to the same list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use maildir::uidlist::Uidlist;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(list) = Uidlist::parse(text) else {
        return;
    };
    for record in &list.records {
        let _ = record.extension('G');
    }
    let written = list.to_text();
    let again = Uidlist::parse(&written).expect("a written uidlist parses");
    assert_eq!(again, list, "{written:?}");
});
