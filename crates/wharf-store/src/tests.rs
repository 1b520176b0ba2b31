use std::time::Duration;

use crate::{Batch, FsyncPolicy, Keyspace, Store, StoreError, FORMAT_VERSION};

type Pairs = Vec<(Vec<u8>, Vec<u8>)>;

fn pairs(items: &[(&str, &str)]) -> Pairs {
    items
        .iter()
        .map(|(k, v)| (k.as_bytes().to_vec(), v.as_bytes().to_vec()))
        .collect()
}

fn disk(dir: &tempfile::TempDir) -> Store {
    Store::open(dir.path(), FsyncPolicy::Always).unwrap()
}

/// Runs the same read/write scenario against a store; used for both backends.
fn basic_ops(store: &Store) {
    let mut b = Batch::new();
    assert!(b.is_empty());
    b.put(Keyspace::SqsQueues, "q/a", "1");
    b.put(Keyspace::SqsQueues, "q/b", "2");
    b.put(Keyspace::SqsQueues, "r/a", "3");
    b.put(Keyspace::Meta, "version", "7");
    assert_eq!(b.len(), 4);
    store.submit(b).wait().unwrap();

    assert_eq!(
        store.get(Keyspace::Meta, b"version").unwrap(),
        Some(b"7".to_vec())
    );
    assert_eq!(store.get(Keyspace::Meta, b"q/a").unwrap(), None);
    assert_eq!(
        store.get(Keyspace::SqsQueues, b"q/a").unwrap(),
        Some(b"1".to_vec())
    );
    assert_eq!(
        store.scan_prefix(Keyspace::SqsQueues, b"q/").unwrap(),
        pairs(&[("q/a", "1"), ("q/b", "2")])
    );
    assert_eq!(
        store.scan_prefix(Keyspace::SqsQueues, b"").unwrap().len(),
        3
    );
    assert!(store
        .scan_prefix(Keyspace::SqsState, b"")
        .unwrap()
        .is_empty());

    // delete + overwrite
    let mut b = Batch::new();
    b.delete(Keyspace::SqsQueues, "q/a");
    b.put(Keyspace::SqsQueues, "q/b", "22");
    b.delete(Keyspace::SqsQueues, "missing");
    store.submit(b).wait().unwrap();
    assert_eq!(store.get(Keyspace::SqsQueues, b"q/a").unwrap(), None);
    assert_eq!(
        store.scan_prefix(Keyspace::SqsQueues, b"q/").unwrap(),
        pairs(&[("q/b", "22")])
    );

    // delete_prefix only touches its prefix and keyspace; later puts in the
    // same batch survive it.
    let mut b = Batch::new();
    for i in 0..50 {
        b.put(Keyspace::SqsMessages, format!("m/{i:03}"), "x");
        b.put(Keyspace::SqsState, format!("m/{i:03}"), "s");
    }
    b.put(Keyspace::SqsMessages, "n/1", "keep");
    store.submit(b).wait().unwrap();
    let mut b = Batch::new();
    b.put(Keyspace::SqsMessages, "m/new-before", "gone");
    b.delete_prefix(Keyspace::SqsMessages, "m/");
    b.put(Keyspace::SqsMessages, "m/new-after", "kept");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.scan_prefix(Keyspace::SqsMessages, b"").unwrap(),
        pairs(&[("m/new-after", "kept"), ("n/1", "keep")])
    );
    assert_eq!(
        store.scan_prefix(Keyspace::SqsState, b"m/").unwrap().len(),
        50
    );

    // invalid keys are rejected without touching the store
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "ok", "1");
    b.put(Keyspace::Meta, "", "empty key");
    assert!(matches!(store.submit(b).wait(), Err(StoreError::Engine(_))));
    assert_eq!(store.get(Keyspace::Meta, b"ok").unwrap(), None);
    assert_eq!(store.get(Keyspace::Meta, b"").unwrap(), None);

    // an empty batch is fine
    store.submit(Batch::new()).wait().unwrap();
    store.flush().unwrap();
}

#[test]
fn basic_ops_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    assert_eq!(store.storage_mode(), "disk");
    assert!(store.is_durable());
    basic_ops(&store);
}

#[test]
fn basic_ops_memory() {
    let store = Store::in_memory();
    assert_eq!(store.storage_mode(), "memory");
    assert!(!store.is_durable());
    basic_ops(&store);
    assert_eq!(store.stats().fsyncs, 0);
}

/// Batches submitted back to back (without waiting) land in one group and
/// must still behave as if applied one after the other.
fn ordered_groups(store: &Store) {
    let mut commits = Vec::new();
    for i in 0..500u32 {
        let mut b = Batch::new();
        b.put(Keyspace::SqsState, "counter", i.to_string());
        b.put(Keyspace::SqsState, format!("k/{i:04}"), "v");
        if i % 100 == 99 {
            // wipes k/* including keys put earlier in the same group
            b.delete_prefix(Keyspace::SqsState, "k/");
            b.put(Keyspace::SqsState, format!("k/{i:04}"), "after-wipe");
        }
        commits.push(store.submit(b));
    }
    for c in commits {
        c.wait().unwrap();
    }
    assert_eq!(
        store.get(Keyspace::SqsState, b"counter").unwrap(),
        Some(b"499".to_vec())
    );
    let ks = store.scan_prefix(Keyspace::SqsState, b"k/").unwrap();
    assert_eq!(ks, pairs(&[("k/0499", "after-wipe")]));
}

#[test]
fn batches_apply_in_submit_order_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    ordered_groups(&store);
    let stats = store.stats();
    assert_eq!(stats.batches, 500);
    assert!(stats.commits <= 500);
}

#[test]
fn batches_apply_in_submit_order_memory() {
    ordered_groups(&Store::in_memory());
}

#[test]
fn batch_is_atomic_for_readers() {
    // Every batch rewrites all 64 keys with one value: a scan must never see
    // a mix of two batches.
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            let mut commits = Vec::new();
            for i in 0..300u32 {
                let mut b = Batch::new();
                for k in 0..64u32 {
                    b.put(Keyspace::SqsState, format!("g/{k:02}"), i.to_be_bytes());
                }
                commits.push(store.submit(b));
            }
            for c in commits {
                c.wait().unwrap();
            }
        })
    };
    let mut seen = 0;
    while !writer.is_finished() || seen == 0 {
        let rows = store.scan_prefix(Keyspace::SqsState, b"g/").unwrap();
        if rows.is_empty() {
            continue;
        }
        seen += 1;
        assert_eq!(rows.len(), 64);
        assert!(
            rows.iter().all(|(_, v)| *v == rows[0].1),
            "torn batch: {rows:?}"
        );
    }
    writer.join().unwrap();
    let rows = store.scan_prefix(Keyspace::SqsState, b"g/").unwrap();
    assert!(rows.iter().all(|(_, v)| *v == 299u32.to_be_bytes()));
}

#[test]
fn reopen_recovers_data() {
    let dir = tempfile::tempdir().unwrap();
    for policy in [
        FsyncPolicy::Always,
        FsyncPolicy::Interval(Duration::from_millis(5)),
        FsyncPolicy::Never,
    ] {
        let tag = format!("{policy:?}");
        {
            let store = Store::open(dir.path(), policy).unwrap();
            let mut b = Batch::new();
            b.put(Keyspace::SqsQueues, tag.clone(), "payload");
            b.delete_prefix(Keyspace::Meta, "tmp/");
            b.put(Keyspace::Meta, format!("tmp/{tag}"), "t");
            store.submit(b).wait().unwrap();
            // Not waited for: must still be applied and persisted on drop.
            let mut b = Batch::new();
            b.put(Keyspace::SqsDedup, tag.clone(), "late");
            let _unawaited = store.submit(b);
        }
        let store = Store::open(dir.path(), policy).unwrap();
        assert_eq!(
            store.get(Keyspace::SqsQueues, tag.as_bytes()).unwrap(),
            Some(b"payload".to_vec())
        );
        assert_eq!(
            store.get(Keyspace::SqsDedup, tag.as_bytes()).unwrap(),
            Some(b"late".to_vec())
        );
        // the previous policy's tmp/ key was wiped by this round's delete_prefix
        assert_eq!(store.scan_prefix(Keyspace::Meta, b"tmp/").unwrap().len(), 1);
    }
    let store = disk(&dir);
    assert_eq!(
        store.scan_prefix(Keyspace::SqsQueues, b"").unwrap().len(),
        3
    );
}

#[test]
fn second_open_is_refused_while_locked() {
    let dir = tempfile::tempdir().unwrap();
    let first = disk(&dir);
    let clone = first.clone();
    let err = Store::open(dir.path(), FsyncPolicy::Always).unwrap_err();
    assert!(matches!(err, StoreError::Locked { .. }), "{err:?}");
    assert!(err.to_string().contains("locked"), "{err}");
    drop(first);
    // still open through the clone
    assert!(matches!(
        Store::open(dir.path(), FsyncPolicy::Always),
        Err(StoreError::Locked { .. })
    ));
    drop(clone);
    // released once the last handle is gone
    let again = disk(&dir);
    again.flush().unwrap();
}

#[test]
fn newer_format_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(disk(&dir));
    let format = dir.path().join("FORMAT");
    assert_eq!(
        std::fs::read_to_string(&format).unwrap().trim(),
        FORMAT_VERSION.to_string()
    );
    std::fs::write(&format, "2\n").unwrap();
    let err = Store::open(dir.path(), FsyncPolicy::Always).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedFormat {
                found: 2,
                supported: 1
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("version 2"), "{err}");

    std::fs::write(&format, "garbage").unwrap();
    assert!(matches!(
        Store::open(dir.path(), FsyncPolicy::Always),
        Err(StoreError::Engine(_))
    ));

    // data without a FORMAT file is not silently adopted
    std::fs::remove_file(&format).unwrap();
    assert!(matches!(
        Store::open(dir.path(), FsyncPolicy::Always),
        Err(StoreError::Engine(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_submitters_share_fsyncs() {
    const TASKS: usize = 8;
    const PER_TASK: usize = 200;
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let mut handles = Vec::new();
    for t in 0..TASKS {
        let store = store.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..PER_TASK {
                let mut b = Batch::new();
                b.put(Keyspace::SqsMessages, format!("{t}/{i:04}"), vec![7u8; 100]);
                store.submit(b).await.unwrap();
            }
        }));
    }
    for h in handles {
        h.await.unwrap();
    }
    let stats = store.stats();
    let total = (TASKS * PER_TASK) as u64;
    assert_eq!(stats.batches, total);
    assert_eq!(stats.commits, stats.fsyncs);
    eprintln!("group commit: {stats:?}");
    assert!(
        stats.fsyncs * 2 <= total,
        "expected group commit to share fsyncs: {stats:?}"
    );
    for t in 0..TASKS {
        let rows = store
            .scan_prefix(Keyspace::SqsMessages, format!("{t}/").as_bytes())
            .unwrap();
        assert_eq!(rows.len(), PER_TASK);
    }
}

#[tokio::test]
async fn interval_and_never_policies_complete() {
    for policy in [
        FsyncPolicy::Interval(Duration::from_millis(20)),
        FsyncPolicy::Never,
    ] {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path(), policy).unwrap();
        for i in 0..20u32 {
            let mut b = Batch::new();
            b.put(Keyspace::Meta, i.to_be_bytes(), "v");
            store.submit(b).await.unwrap();
        }
        let before = store.stats().fsyncs;
        store.flush().unwrap();
        assert_eq!(store.stats().fsyncs, before + 1);
        if policy == FsyncPolicy::Never {
            assert_eq!(before, 0);
        } else {
            // one write group every few ms for 20 batches must not fsync each time
            assert!(before < 20, "{policy:?}: {before}");
        }
        assert_eq!(store.scan_prefix(Keyspace::Meta, b"").unwrap().len(), 20);
    }
}

#[test]
fn interval_policy_fsyncs_in_background() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), FsyncPolicy::Interval(Duration::from_millis(10))).unwrap();
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "k", "v");
    store.submit(b).wait().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while store.stats().fsyncs == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "interval fsync never happened"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn commit_is_a_future_that_resolves_in_memory_immediately() {
    let store = Store::in_memory();
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "k", "v");
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    rt.block_on(store.submit(b)).unwrap();
    assert_eq!(store.stats().batches, 1);
    assert_eq!(store.stats().commits, 1);
}

#[test]
fn failed_write_poisons_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "before", "1");
    store.submit(b).wait().unwrap();

    store.fail_next_write();
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "failed", "1");
    let err = store.submit(b).wait().unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");

    let mut b = Batch::new();
    b.put(Keyspace::Meta, "after", "1");
    let err = store.submit(b).wait().unwrap_err();
    assert!(matches!(err, StoreError::Poisoned(_)), "{err:?}");
    assert!(err.to_string().contains("injected write failure"), "{err}");
    assert!(matches!(store.flush(), Err(StoreError::Poisoned(_))));

    assert_eq!(
        store.get(Keyspace::Meta, b"before").unwrap(),
        Some(b"1".to_vec())
    );
    assert_eq!(store.get(Keyspace::Meta, b"failed").unwrap(), None);
    assert_eq!(store.get(Keyspace::Meta, b"after").unwrap(), None);
    drop(store);
    // a restart recovers the state before the failure
    let store = disk(&dir);
    assert_eq!(
        store.scan_prefix(Keyspace::Meta, b"").unwrap(),
        pairs(&[("before", "1")])
    );
}

/// `scan_range` on both backends: half-open bounds, limit, reverse order.
fn range_scans(store: &Store) {
    let mut b = Batch::new();
    for key in ["a", "b", "c", "d", "e"] {
        b.put(Keyspace::KinesisRecords, key, key.to_uppercase());
    }
    store.submit(b).wait().unwrap();
    let ks = Keyspace::KinesisRecords;
    assert_eq!(
        store.scan_range(ks, b"b", b"e", 10, false).unwrap(),
        pairs(&[("b", "B"), ("c", "C"), ("d", "D")])
    );
    assert_eq!(
        store.scan_range(ks, b"b", b"e", 2, false).unwrap(),
        pairs(&[("b", "B"), ("c", "C")])
    );
    assert_eq!(
        store.scan_range(ks, b"a", b"z", 2, true).unwrap(),
        pairs(&[("e", "E"), ("d", "D")])
    );
    assert!(store
        .scan_range(ks, b"e", b"b", 10, false)
        .unwrap()
        .is_empty());
    assert!(store
        .scan_range(ks, b"a", b"z", 0, false)
        .unwrap()
        .is_empty());
}

#[test]
fn range_scans_disk() {
    let dir = tempfile::tempdir().unwrap();
    range_scans(&disk(&dir));
}

#[test]
fn range_scans_memory() {
    range_scans(&Store::in_memory());
}
