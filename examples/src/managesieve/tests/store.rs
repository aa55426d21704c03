//! The script store on a real file system: Pigeonhole's layout, atomic activation,
//! quotas, and homes that Dovecot (or a user) left behind.

use std::fs;
use std::path::{Path, PathBuf};

use super::super::proto::ScriptName;
use super::super::store::{ACTIVE_LINK, Quota, SCRIPT_DIR, ScriptInfo, ScriptStore, StoreError};

fn name(text: &str) -> ScriptName {
    ScriptName::new(text).unwrap()
}

fn store(quota: Quota) -> (tempfile::TempDir, ScriptStore) {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("example.test").join("ken");
    (dir, ScriptStore::new(home, quota))
}

fn link_target(home: &Path) -> PathBuf {
    fs::read_link(home.join(ACTIVE_LINK)).unwrap()
}

/// Every entry of `dir`, sorted.
fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn scripts_live_where_pigeonhole_keeps_them() {
    let (_dir, store) = store(Quota::default());
    let home = store.home().to_owned();
    assert_eq!(store.list().unwrap(), []);
    assert_eq!(store.active().unwrap(), None);

    store.put(&name("spam"), b"keep;\n").unwrap();
    store.put(&name("Ferien Müll"), b"discard;\n").unwrap();
    assert_eq!(fs::read(home.join("sieve/spam.sieve")).unwrap(), b"keep;\n");
    assert_eq!(
        fs::read(home.join("sieve/Ferien Müll.sieve")).unwrap(),
        b"discard;\n"
    );
    // Nothing is left in the upload directory.
    assert_eq!(entries(&home.join("sieve/tmp")), Vec::<String>::new());

    store.set_active(Some(&name("spam"))).unwrap();
    assert_eq!(link_target(&home), Path::new("sieve/spam.sieve"));
    assert_eq!(fs::read(home.join(ACTIVE_LINK)).unwrap(), b"keep;\n");
    assert_eq!(
        store.list().unwrap(),
        [
            ScriptInfo {
                name: name("Ferien Müll"),
                size: 9,
                active: false
            },
            ScriptInfo {
                name: name("spam"),
                size: 6,
                active: true
            },
        ]
    );
    // Activating another script swaps the link; no temporary link stays behind.
    store.set_active(Some(&name("Ferien Müll"))).unwrap();
    assert_eq!(link_target(&home), Path::new("sieve/Ferien Müll.sieve"));
    assert_eq!(entries(&home), [ACTIVE_LINK, SCRIPT_DIR]);

    // Replacing a script keeps it active.
    store.put(&name("Ferien Müll"), b"keep;\n").unwrap();
    assert_eq!(fs::read(home.join(ACTIVE_LINK)).unwrap(), b"keep;\n");
    assert_eq!(store.read(&name("Ferien Müll")).unwrap(), b"keep;\n");

    store.set_active(None).unwrap();
    assert!(fs::symlink_metadata(home.join(ACTIVE_LINK)).is_err());
    assert_eq!(store.active().unwrap(), None);
    // Deactivating twice is not an error (RFC 5804 section 2.8).
    store.set_active(None).unwrap();
}

#[test]
fn missing_scripts_and_the_active_one_are_refused() {
    let (_dir, store) = store(Quota::default());
    store.put(&name("a"), b"keep;").unwrap();
    store.set_active(Some(&name("a"))).unwrap();
    assert!(matches!(
        store.set_active(Some(&name("nope"))),
        Err(StoreError::NonExistent(n)) if n == "nope"
    ));
    // The active script survives a failed activation.
    assert_eq!(store.active().unwrap(), Some(name("a")));
    assert!(matches!(
        store.read(&name("nope")),
        Err(StoreError::NonExistent(_))
    ));
    assert!(matches!(
        store.delete(&name("nope")),
        Err(StoreError::NonExistent(_))
    ));
    assert!(matches!(store.delete(&name("a")), Err(StoreError::Active(n)) if n == "a"));
    assert!(store.home().join("sieve/a.sieve").is_file());
}

#[test]
fn delete_removes_the_script_and_its_compiled_copy() {
    let (_dir, store) = store(Quota::default());
    store.put(&name("a"), b"keep;").unwrap();
    let binary = store.home().join("sieve/a.svbin");
    fs::write(&binary, b"compiled by dovecot").unwrap();
    store.delete(&name("a")).unwrap();
    assert!(!store.home().join("sieve/a.sieve").exists());
    assert!(!binary.exists());
    assert_eq!(store.list().unwrap(), []);
}

#[test]
fn rename_keeps_the_active_script_active_and_never_overwrites() {
    let (_dir, store) = store(Quota::default());
    let home = store.home().to_owned();
    store.put(&name("a"), b"keep;").unwrap();
    store.put(&name("b"), b"discard;").unwrap();
    store.set_active(Some(&name("a"))).unwrap();

    assert!(matches!(
        store.rename(&name("a"), &name("b")),
        Err(StoreError::AlreadyExists(n)) if n == "b"
    ));
    assert!(matches!(
        store.rename(&name("a"), &name("a")),
        Err(StoreError::AlreadyExists(_))
    ));
    assert!(matches!(
        store.rename(&name("x"), &name("y")),
        Err(StoreError::NonExistent(n)) if n == "x"
    ));
    assert_eq!(fs::read(home.join("sieve/b.sieve")).unwrap(), b"discard;");

    store.rename(&name("a"), &name("renamed")).unwrap();
    assert_eq!(link_target(&home), Path::new("sieve/renamed.sieve"));
    assert_eq!(store.active().unwrap(), Some(name("renamed")));
    assert!(!home.join("sieve/a.sieve").exists());
    assert_eq!(store.read(&name("renamed")).unwrap(), b"keep;");

    store.rename(&name("b"), &name("c")).unwrap();
    assert_eq!(store.active().unwrap(), Some(name("renamed")));
    let names: Vec<String> = store
        .list()
        .unwrap()
        .into_iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, ["c", "renamed"]);
}

#[test]
fn quotas_limit_count_size_and_storage() {
    let quota = Quota {
        max_scripts: 2,
        max_script_size: 10,
        max_storage: 15,
    };
    let (_dir, store) = store(quota);
    assert!(matches!(
        store.put(&name("big"), &[b'x'; 11]),
        Err(StoreError::TooLarge {
            size: 11,
            limit: 10
        })
    ));
    store.put(&name("a"), &[b'x'; 10]).unwrap();
    assert!(matches!(
        store.check_space(&name("b"), 6),
        Err(StoreError::StorageFull {
            needed: 16,
            limit: 15
        })
    ));
    store.put(&name("b"), &[b'x'; 5]).unwrap();
    assert!(matches!(
        store.check_space(&name("c"), 0),
        Err(StoreError::TooManyScripts { limit: 2 })
    ));
    // Replacing a script counts its new size only, and is not a new script.
    store.check_space(&name("a"), 10).unwrap();
    store.put(&name("b"), &[b'y'; 5]).unwrap();
    assert!(matches!(
        store.put(&name("a"), &[b'x'; 11]),
        Err(StoreError::TooLarge { .. })
    ));
    assert_eq!(store.list().unwrap().len(), 2);
}

#[test]
fn a_regular_dovecot_sieve_file_is_kept_as_dovecot_orig() {
    let (_dir, store) = store(Quota::default());
    let home = store.home().to_owned();
    fs::create_dir_all(&home).unwrap();
    fs::write(home.join(ACTIVE_LINK), b"# hand-written\nkeep;\n").unwrap();
    // A regular file is not a script of the storage.
    assert_eq!(store.active().unwrap(), None);
    store.put(&name("new"), b"stop;").unwrap();
    store.set_active(Some(&name("new"))).unwrap();
    assert_eq!(link_target(&home), Path::new("sieve/new.sieve"));
    assert_eq!(
        store.read(&name("dovecot.orig")).unwrap(),
        b"# hand-written\nkeep;\n"
    );

    // The same again finds the next free name.
    fs::remove_file(home.join(ACTIVE_LINK)).unwrap();
    fs::write(home.join(ACTIVE_LINK), b"discard;").unwrap();
    store.set_active(None).unwrap();
    assert_eq!(store.read(&name("dovecot.orig-1")).unwrap(), b"discard;");
    assert!(fs::symlink_metadata(home.join(ACTIVE_LINK)).is_err());
}

#[test]
fn foreign_and_dangling_links_are_not_active_scripts() {
    let (dir, store) = store(Quota::default());
    let home = store.home().to_owned();
    store.put(&name("a"), b"keep;").unwrap();
    let elsewhere = dir.path().join("global.sieve");
    fs::write(&elsewhere, b"keep;").unwrap();
    std::os::unix::fs::symlink(&elsewhere, home.join(ACTIVE_LINK)).unwrap();
    assert_eq!(store.active().unwrap(), None);
    // Activation replaces the foreign link (it holds no data of its own).
    store.set_active(Some(&name("a"))).unwrap();
    assert_eq!(store.active().unwrap(), Some(name("a")));
    assert_eq!(fs::read(&elsewhere).unwrap(), b"keep;");

    // An absolute link into the storage counts; a dangling one does not.
    fs::remove_file(home.join(ACTIVE_LINK)).unwrap();
    std::os::unix::fs::symlink(home.join("sieve/a.sieve"), home.join(ACTIVE_LINK)).unwrap();
    assert_eq!(store.active().unwrap(), Some(name("a")));
    fs::remove_file(home.join(ACTIVE_LINK)).unwrap();
    std::os::unix::fs::symlink("sieve/gone.sieve", home.join(ACTIVE_LINK)).unwrap();
    assert_eq!(store.active().unwrap(), None);
    store.delete(&name("a")).unwrap();
}

#[test]
fn listing_skips_what_is_not_a_script() {
    let (_dir, store) = store(Quota::default());
    let dir = store.home().join(SCRIPT_DIR);
    store.put(&name("real"), b"keep;").unwrap();
    fs::write(dir.join("real.svbin"), b"binary").unwrap();
    fs::write(dir.join(".hidden.sieve"), b"keep;").unwrap();
    fs::write(dir.join("notes.txt"), b"hello").unwrap();
    fs::create_dir(dir.join("folder.sieve")).unwrap();
    let names: Vec<String> = store
        .list()
        .unwrap()
        .into_iter()
        .map(|s| s.name.to_string())
        .collect();
    assert_eq!(names, ["real"]);
}

#[test]
fn oversized_files_on_disk_are_not_read_whole() {
    let quota = Quota {
        max_script_size: 8,
        ..Quota::default()
    };
    let (_dir, store) = store(quota);
    store.put(&name("a"), b"keep;").unwrap();
    fs::write(store.home().join("sieve/a.sieve"), [b'#'; 100]).unwrap();
    assert!(matches!(
        store.read(&name("a")),
        Err(StoreError::TooLarge {
            size: 100,
            limit: 8
        })
    ));
}
