//! Maildir store: delivery rate (with and without fsync), delivery into
//! folders that already hold 10,000 and 100,000 messages (the cost of
//! recording one UID in a long `dovecot-uidlist`), syncing a 100,000-message
//! folder, flag changes.
//!
//! `cargo bench -p postroom-benches --bench maildir`

use std::fs;
use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use maildir::{DeliveryOptions, Flag, Flags, Maildir, Options};

const MESSAGE_SIZE: usize = 4096;
/// Deliveries per fresh folder, so that the uidlist stays of similar size.
const PER_FOLDER: u64 = 500;
const BIG_FOLDER: usize = 100_000;

fn message() -> Vec<u8> {
    let mut m = b"From: a@example.org\nTo: b@example.org\nSubject: bench\n\n".to_vec();
    while m.len() < MESSAGE_SIZE {
        m.extend_from_slice(b"The quick brown fox jumps over the lazy dog.\n");
    }
    m
}

fn options() -> Options {
    Options {
        hostname: Some("bench".into()),
        ..Options::default()
    }
}

fn deliver(c: &mut Criterion) {
    let msg = message();
    let mut group = c.benchmark_group("maildir_deliver");
    group.throughput(Throughput::Elements(1));
    for fsync in [true, false] {
        let name = if fsync { "4k_fsync" } else { "4k_no_fsync" };
        let delivery = DeliveryOptions {
            fsync,
            ..DeliveryOptions::default()
        };
        group.bench_function(name, |b| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                let mut done = 0;
                while done < iters {
                    let dir = tempfile::tempdir().unwrap();
                    let store = Maildir::create_with(dir.path(), options()).unwrap();
                    let inbox = store.inbox().unwrap();
                    let batch = PER_FOLDER.min(iters - done);
                    let start = Instant::now();
                    for _ in 0..batch {
                        black_box(inbox.deliver(&msg[..], &delivery).unwrap());
                    }
                    total += start.elapsed();
                    done += batch;
                }
                total
            });
        });
    }
    group.finish();
}

/// A folder of `count` messages in cur/ (tiny files: sync never reads them).
fn big_folder(count: usize) -> (tempfile::TempDir, Maildir) {
    let dir = tempfile::tempdir().unwrap();
    let store = Maildir::create_with(dir.path(), options()).unwrap();
    let cur = dir.path().join("cur");
    for i in 0..count {
        let name = format!(
            "{}.M{}P1Q{i}.bench,S=4096,W=4180:2,S",
            1_700_000_000 + i / 1000,
            i % 1000
        );
        fs::write(cur.join(name), b"x").unwrap();
    }
    store.inbox().unwrap().sync().unwrap(); // assigns the UIDs once
    (dir, store)
}

/// One delivery into a folder that already has many messages: what matters
/// is how the cost of recording the UID grows with the uidlist.
fn deliver_into_big(c: &mut Criterion) {
    let msg = message();
    let mut group = c.benchmark_group("maildir_deliver_into");
    group.sample_size(10);
    group.throughput(Throughput::Elements(1));
    for (name, count) in [("10k", 10_000), ("100k", BIG_FOLDER)] {
        let (_dir, store) = big_folder(count);
        let inbox = store.inbox().unwrap();
        for fsync in [true, false] {
            let delivery = DeliveryOptions {
                fsync,
                ..DeliveryOptions::default()
            };
            let suffix = if fsync { "fsync" } else { "no_fsync" };
            group.bench_function(format!("{name}_{suffix}"), |b| {
                b.iter(|| black_box(inbox.deliver(&msg[..], &delivery).unwrap()));
            });
        }
    }
    group.finish();
}

fn sync(c: &mut Criterion) {
    let (_dir, store) = big_folder(BIG_FOLDER);
    let mut group = c.benchmark_group("maildir_sync");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BIG_FOLDER as u64));
    group.bench_function("100k_messages", |b| {
        b.iter(|| {
            // A fresh handle: no cached state, as after a restart.
            let inbox = store.inbox().unwrap();
            let view = inbox.sync().unwrap();
            assert_eq!(view.messages.len(), BIG_FOLDER);
            black_box(view)
        });
    });
    group.finish();
}

fn flags(c: &mut Criterion) {
    let (_dir, store) = big_folder(1000);
    let inbox = store.inbox().unwrap();
    inbox.sync().unwrap();
    let seen = Flags::empty().with(Flag::Seen);
    let flagged = seen.with(Flag::Flagged);
    // Each round over the folder flips the flags, so every call renames.
    let mut n = 0u32;
    let mut group = c.benchmark_group("maildir_flags");
    group.throughput(Throughput::Elements(1));
    group.bench_function("set_flags_rename", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            let f = if (n / 1000).is_multiple_of(2) {
                flagged
            } else {
                seen
            };
            black_box(inbox.set_flags(n % 1000 + 1, f, &[]).unwrap())
        });
    });
    group.bench_function("set_flags_keyword", |b| {
        b.iter(|| {
            n = n.wrapping_add(1);
            let keywords: &[&str] = if (n / 1000).is_multiple_of(2) {
                &["$Important"]
            } else {
                &[]
            };
            black_box(inbox.set_flags(n % 1000 + 1, seen, keywords).unwrap())
        });
    });
    group.finish();
}

criterion_group!(benches, deliver, deliver_into_big, sync, flags);
criterion_main!(benches);
