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
    let newer = FORMAT_VERSION + 1;
    std::fs::write(&format, format!("{newer}\n")).unwrap();
    let err = Store::open(dir.path(), FsyncPolicy::Always).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::UnsupportedFormat {
                found,
                supported: FORMAT_VERSION
            } if found == newer
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(&format!("version {newer}")),
        "{err}"
    );

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

// ---- range deletions ----

fn key(prefix: &str, i: usize) -> Vec<u8> {
    format!("{prefix}/{i:08}").into_bytes()
}

fn put_many(store: &Store, ks: Keyspace, prefix: &str, n: usize, value: &[u8]) {
    for chunk in (0..n).collect::<Vec<_>>().chunks(5000) {
        let mut b = Batch::new();
        for &i in chunk {
            b.put(ks, key(prefix, i), value.to_vec());
        }
        store.submit(b).wait().unwrap();
    }
}

fn wait_reclaimed(store: &Store) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.pending_range_deletes() > 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "range deletions not reclaimed in time"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Waits until the reclaimer used up its test budget.
fn wait_budget_spent(store: &Store) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while store.disk().reclaim_budget().is_some_and(|left| left > 0) {
        assert!(std::time::Instant::now() < deadline, "reclaimer stuck");
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Every read path hides a deleted range at once; other keys and keyspaces are untouched.
fn range_delete_hides_keys(store: &Store) {
    let ks = Keyspace::SqsMessages;
    let mut b = Batch::new();
    for k in ["a/1", "a/2", "b/1", "b/2", "b/3", "c/1"] {
        b.put(ks, k, k.to_uppercase());
        b.put(Keyspace::SqsState, k, "s");
    }
    store.submit(b).wait().unwrap();

    let mut b = Batch::new();
    b.put(ks, "b/0", "written before the range: deleted");
    b.delete_range(ks, "b/", "b0");
    b.put(ks, "c/2", "C/2");
    b.delete_range(ks, "z", "a"); // empty: nothing
    store.submit(b).wait().unwrap();

    assert_eq!(store.get(ks, b"b/2").unwrap(), None);
    assert_eq!(store.get(ks, b"b/0").unwrap(), None);
    assert_eq!(store.get(ks, b"a/2").unwrap(), Some(b"A/2".to_vec()));
    assert_eq!(store.get(ks, b"c/1").unwrap(), Some(b"C/1".to_vec()));
    assert!(store.scan_prefix(ks, b"b/").unwrap().is_empty());
    assert_eq!(
        store.scan_prefix(ks, b"").unwrap(),
        pairs(&[
            ("a/1", "A/1"),
            ("a/2", "A/2"),
            ("c/1", "C/1"),
            ("c/2", "C/2")
        ])
    );
    let mut seen = Vec::new();
    store
        .visit_prefix(ks, b"", &mut |k, _| seen.push(k.to_vec()))
        .unwrap();
    assert_eq!(seen.len(), 4);
    assert_eq!(
        store.scan_range(ks, b"a/2", b"c/2", 10, false).unwrap(),
        pairs(&[("a/2", "A/2"), ("c/1", "C/1")])
    );
    assert_eq!(
        store.scan_range(ks, b"a", b"z", 2, true).unwrap(),
        pairs(&[("c/2", "C/2"), ("c/1", "C/1")])
    );
    assert_eq!(
        store.scan_range(ks, b"a/2", b"c", 5, true).unwrap(),
        pairs(&[("a/2", "A/2")])
    );
    assert!(store
        .scan_range(ks, b"b", b"b1", 5, false)
        .unwrap()
        .is_empty());
    // The same keys in another keyspace are untouched.
    assert_eq!(
        store.scan_prefix(Keyspace::SqsState, b"b/").unwrap().len(),
        3
    );

    // delete_prefix is a range deletion too; an empty prefix is the whole keyspace.
    let mut b = Batch::new();
    b.delete_prefix(Keyspace::SqsState, "");
    b.put(Keyspace::SqsState, "after", "kept");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.scan_prefix(Keyspace::SqsState, b"").unwrap(),
        pairs(&[("after", "kept")])
    );
    // Puts outside the range after it are unaffected.
    let mut b = Batch::new();
    b.put(ks, "b0", "just after the range");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.get(ks, b"b0").unwrap(),
        Some(b"just after the range".to_vec())
    );

    // The store's reserved key is refused.
    let mut b = Batch::new();
    b.put(ks, crate::ranges::ANCHOR_KEY, "x");
    assert!(matches!(store.submit(b).wait(), Err(StoreError::Engine(_))));
    // A range start too long for its record is refused.
    let mut b = Batch::new();
    b.delete_range(ks, vec![1u8; crate::MAX_KEY_LEN], vec![2u8]);
    assert!(matches!(store.submit(b).wait(), Err(StoreError::Engine(_))));
}

#[test]
fn range_delete_hides_keys_disk() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    range_delete_hides_keys(&store);
    wait_reclaimed(&store);
    assert_eq!(store.disk().raw_len(Keyspace::SqsMessages), 5);
    assert_eq!(store.disk().raw_len(Keyspace::SqsState), 1);
}

#[test]
fn range_delete_hides_keys_memory() {
    let store = Store::in_memory();
    range_delete_hides_keys(&store);
    assert_eq!(store.pending_range_deletes(), 0);
}

#[test]
fn range_delete_survives_reopen_before_and_after_reclaim() {
    let dir = tempfile::tempdir().unwrap();
    let ks = Keyspace::KinesisRecords;
    {
        let store = disk(&dir);
        store.disk().set_reclaim_budget(0);
        put_many(&store, ks, "s1", 3000, b"v");
        put_many(&store, ks, "s2", 10, b"v");
        let mut b = Batch::new();
        b.delete_prefix(ks, "s1/");
        store.submit(b).wait().unwrap();
        assert!(store.scan_prefix(ks, b"s1/").unwrap().is_empty());
        assert_eq!(store.pending_range_deletes(), 1);
        // nothing reclaimed yet
        assert_eq!(store.disk().raw_len(ks), 3010);
    }
    {
        // Reopened before the reclaim: still hidden, and the reclaim resumes.
        let store = disk(&dir);
        assert!(store.get(ks, &key("s1", 7)).unwrap().is_none());
        assert!(store.scan_prefix(ks, b"s1/").unwrap().is_empty());
        assert_eq!(store.scan_prefix(ks, b"s2/").unwrap().len(), 10);
        wait_reclaimed(&store);
        assert_eq!(store.disk().raw_len(ks), 10);
    }
    // Reopened after the reclaim: nothing comes back.
    let store = disk(&dir);
    assert_eq!(store.pending_range_deletes(), 0);
    assert!(store.scan_prefix(ks, b"s1/").unwrap().is_empty());
    assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 10);
    assert_eq!(store.disk().raw_len(ks), 10);
}

/// A range larger than one reclaim chunk, partly in tables and partly in the memtable, with writes
/// outside the range going on while it is reclaimed.
#[test]
fn large_range_is_reclaimed_while_other_writes_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let ks = Keyspace::SqsMessages;
    put_many(&store, ks, "q1", 20_000, &[7u8; 100]);
    store.disk().compact().unwrap();
    put_many(&store, ks, "q1x", 3000, &[7u8; 100]); // in the memtable, inside the range below
    put_many(&store, ks, "q0", 100, b"keep");
    let mut b = Batch::new();
    b.delete_range(ks, "q1", "q2");
    store.submit(b).wait().unwrap();
    for i in 0..200 {
        let mut b = Batch::new();
        b.put(ks, key("q3", i), "new");
        b.delete(ks, key("q0", i % 50));
        store.submit(b).wait().unwrap();
    }
    wait_reclaimed(&store);
    assert_eq!(store.disk().raw_len(ks), 50 + 200);
    assert_eq!(store.scan_prefix(ks, b"q0/").unwrap().len(), 50);
    assert_eq!(store.scan_prefix(ks, b"q3/").unwrap().len(), 200);
    drop(store);
    let store = disk(&dir);
    assert_eq!(store.disk().raw_len(ks), 250);
    assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 250);
}

/// The process stops (the store is dropped: no fsync beyond what each commit did, so the journal is
/// replayed at the next open as after a crash) once tables are dropped and one chunk is removed.
#[test]
fn reopen_while_reclaim_is_half_done() {
    let dir = tempfile::tempdir().unwrap();
    let ks = Keyspace::SqsState;
    {
        let store = disk(&dir);
        put_many(&store, ks, "q1", 12_000, &[1u8; 64]);
        store.disk().compact().unwrap();
        put_many(&store, ks, "q1m", 4000, &[1u8; 64]);
        put_many(&store, ks, "q2", 100, b"keep");
        // probe, tables dropped, one chunk removed
        store.disk().set_reclaim_budget(3);
        let mut b = Batch::new();
        b.delete_prefix(ks, "q1");
        store.submit(b).wait().unwrap();
        wait_budget_spent(&store);
        std::thread::sleep(Duration::from_millis(100));
        let left = store.disk().raw_len(ks);
        assert!(left > 100 && left < 16_100, "{left} keys left");
        assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 100);
    }
    {
        let store = disk(&dir);
        assert!(store.scan_prefix(ks, b"q1").unwrap().is_empty());
        assert!(store.get(ks, &key("q1m", 3)).unwrap().is_none());
        assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 100);
        wait_reclaimed(&store);
        assert_eq!(store.disk().raw_len(ks), 100);
    }
    let store = disk(&dir);
    assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 100);
    assert_eq!(store.disk().raw_len(ks), 100);
}

/// Writing into a deleted range (a reused prefix): the write survives, the older keys stay deleted.
fn write_into_deleted_range(store: &Store) {
    let ks = Keyspace::Meta;
    put_many(store, ks, "task", 50, b"old");
    let mut b = Batch::new();
    b.delete_prefix(ks, "task/");
    store.submit(b).wait().unwrap();
    let mut b = Batch::new();
    b.put(ks, key("task", 3), "new");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.scan_prefix(ks, b"task/").unwrap(),
        vec![(key("task", 3), b"new".to_vec())]
    );
    assert_eq!(store.pending_range_deletes(), 0);
}

#[test]
fn write_into_deleted_range_disk() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = disk(&dir);
        store.disk().set_reclaim_budget(0);
        write_into_deleted_range(&store);
        assert_eq!(store.disk().raw_len(Keyspace::Meta), 1);
    }
    let store = disk(&dir);
    assert_eq!(store.scan_prefix(Keyspace::Meta, b"").unwrap().len(), 1);
}

#[test]
fn write_into_deleted_range_memory() {
    write_into_deleted_range(&Store::in_memory());
}

#[test]
fn format_1_is_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = disk(&dir);
        let mut b = Batch::new();
        b.put(Keyspace::Meta, "k", "v");
        store.submit(b).wait().unwrap();
    }
    std::fs::write(dir.path().join("FORMAT"), "1\n").unwrap();
    let store = disk(&dir);
    assert_eq!(
        store.get(Keyspace::Meta, b"k").unwrap(),
        Some(b"v".to_vec())
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("FORMAT"))
            .unwrap()
            .trim(),
        FORMAT_VERSION.to_string()
    );
}

/// Bytes of the files under `path`, without fjall's journal (preallocated to 64 MiB whatever it holds).
fn data_size(path: &std::path::Path) -> u64 {
    std::fs::read_dir(path)
        .unwrap()
        .map(|entry| {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            if meta.is_dir() {
                data_size(&entry.path())
            } else if entry.path().extension().is_some_and(|e| e == "jnl") {
                0
            } else {
                meta.len()
            }
        })
        .sum()
}

fn list_files(path: &std::path::Path) {
    for entry in std::fs::read_dir(path).unwrap() {
        let entry = entry.unwrap();
        let meta = entry.metadata().unwrap();
        if meta.is_dir() {
            list_files(&entry.path());
        } else if meta.len() > 100_000 {
            println!("{:>12} {}", meta.len(), entry.path().display());
        }
    }
}

/// fjall unlinks unreferenced table files when a memtable is rotated.
fn settle(store: &Store) {
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "tick", "1");
    store.submit(b).wait().unwrap();
    store.disk().rotate(Keyspace::Meta).unwrap();
}

struct SpaceRun {
    before: u64,
    after_reclaim: u64,
    after_compaction: u64,
    submitted: Duration,
    reclaimed: Duration,
}

/// Writes `n` values of `len` bytes into one range, deletes it, waits for the reclaim, then for a major
/// compaction; measures the data directory (without the journal) at each point.
fn space_comes_back(n: usize, len: usize) -> SpaceRun {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let ks = Keyspace::SqsMessages;
    put_many(&store, ks, "keep", 100, b"keep");
    // Incompressible values (xorshift), different per key.
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    for chunk in (0..n).collect::<Vec<_>>().chunks(2000) {
        let mut b = Batch::new();
        for &i in chunk {
            let value: Vec<u8> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect();
            b.put(ks, key("q", i), value);
        }
        store.submit(b).wait().unwrap();
    }
    store.disk().compact().unwrap();
    settle(&store);
    let before = data_size(dir.path());
    let started = std::time::Instant::now();
    let mut b = Batch::new();
    b.delete_prefix(ks, "q/");
    store.submit(b).wait().unwrap();
    let submitted = started.elapsed();
    wait_reclaimed(&store);
    let reclaimed = started.elapsed();
    // The reclaimer's rotation unlinks the dropped files in the background.
    std::thread::sleep(Duration::from_millis(200));
    let after_reclaim = data_size(dir.path());
    store.disk().compact().unwrap();
    settle(&store);
    let after_compaction = data_size(dir.path());
    if std::env::var_os("WHARF_LIST_FILES").is_some() {
        list_files(dir.path());
    }
    assert_eq!(store.disk().raw_len(ks), 100);
    assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 100);
    SpaceRun {
        before,
        after_reclaim,
        after_compaction,
        submitted,
        reclaimed,
    }
}

#[test]
fn disk_space_comes_back_after_a_range_delete() {
    let run = space_comes_back(20_000, 1024);
    assert!(run.before > 20_000_000, "{}", run.before);
    assert!(
        run.after_compaction < run.before / 20,
        "before {} B, after {} B",
        run.before,
        run.after_compaction
    );
}

/// `cargo test --release -p wharf-store -- --ignored --nocapture disk_space_measurement`
#[test]
#[ignore]
fn disk_space_measurement() {
    let run = space_comes_back(200_000, 1024);
    println!(
        "200,000 x 1 KiB values in one range: data files {} B before; delete_range committed in {:?}; \
         reclaimed in {:?}, data files then {} B; after a major compaction {} B (journal not counted)",
        run.before, run.submitted, run.reclaimed, run.after_reclaim, run.after_compaction
    );
    assert!(run.after_compaction < run.before / 20);

    // For comparison, what a purge cost before range deletions: one tombstone per key, in the request's
    // group commit (plus the scan that found the keys, not counted here).
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    put_many(&store, Keyspace::SqsMessages, "q", 200_000, &[5u8; 1024]);
    let mut b = Batch::new();
    for i in 0..200_000 {
        b.delete(Keyspace::SqsMessages, key("q", i));
    }
    let started = std::time::Instant::now();
    store.submit(b).wait().unwrap();
    println!(
        "per-key deletion of the same 200,000 keys in one batch: committed in {:?}",
        started.elapsed()
    );
}

/// Every read path of `ks` returns nothing.
fn assert_empty(store: &Store, ks: Keyspace) {
    assert_eq!(store.get(ks, b"k").unwrap(), None);
    assert!(store.scan_prefix(ks, b"").unwrap().is_empty());
    assert!(store
        .scan_range(ks, b"", b"\xff", 10, false)
        .unwrap()
        .is_empty());
    assert!(store
        .scan_range(ks, b"", b"\xff", 10, true)
        .unwrap()
        .is_empty());
    let mut seen = 0;
    store.visit_prefix(ks, b"", &mut |_, _| seen += 1).unwrap();
    assert_eq!(seen, 0);
}

#[test]
fn a_fresh_directory_creates_no_keyspace_until_a_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    assert!(store.disk().existing_keyspaces().is_empty());
    // Reads (start-up recovery reads every keyspace) create nothing.
    for ks in Keyspace::ALL {
        assert_empty(&store, ks);
    }
    // Deletions in keyspaces that do not exist have nothing to delete: no keyspace, no write.
    let mut b = Batch::new();
    b.delete(Keyspace::SqsState, "gone");
    b.delete(Keyspace::Meta, "gone");
    store.submit(b).wait().unwrap();
    assert!(store.disk().existing_keyspaces().is_empty());
    assert_eq!(store.stats().commits, 0);

    // The first write creates exactly the keyspaces it writes into.
    let mut b = Batch::new();
    b.put(Keyspace::SqsQueues, "q", "1");
    b.delete(Keyspace::SqsState, "gone");
    store.submit(b).wait().unwrap();
    assert_eq!(store.disk().existing_keyspaces(), vec!["sqs_queues"]);
    assert_eq!(
        store.get(Keyspace::SqsQueues, b"q").unwrap(),
        Some(b"1".to_vec())
    );
    assert_empty(&store, Keyspace::SqsState);
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "m", "2");
    b.put(Keyspace::SqsQueues, "r", "3");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.disk().existing_keyspaces(),
        vec!["meta", "sqs_queues"]
    );
    drop(store);

    // A restart opens what exists, and only that.
    let store = disk(&dir);
    assert_eq!(
        store.disk().existing_keyspaces(),
        vec!["meta", "sqs_queues"]
    );
    assert_eq!(
        store.scan_prefix(Keyspace::SqsQueues, b"").unwrap(),
        pairs(&[("q", "1"), ("r", "3")])
    );
    assert_eq!(
        store.get(Keyspace::Meta, b"m").unwrap(),
        Some(b"2".to_vec())
    );
    assert_empty(&store, Keyspace::KinesisRecords);
    // A keyspace first written after a restart survives the next one too.
    let mut b = Batch::new();
    b.put(Keyspace::KinesisRecords, "r", "4");
    store.submit(b).wait().unwrap();
    drop(store);
    let store = disk(&dir);
    assert_eq!(
        store.disk().existing_keyspaces(),
        vec!["meta", "sqs_queues", "kinesis_records"]
    );
    assert_eq!(
        store.get(Keyspace::KinesisRecords, b"r").unwrap(),
        Some(b"4".to_vec())
    );
}

/// A directory where every keyspace exists (as every earlier version created them at open) opens as
/// before, without creating anything.
#[test]
fn a_directory_with_every_keyspace_opens_as_before() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = disk(&dir);
        let mut b = Batch::new();
        for ks in Keyspace::ALL {
            b.put(ks, "k", ks.name());
        }
        b.delete_prefix(Keyspace::SqsDedup, "x/");
        store.submit(b).wait().unwrap();
        assert_eq!(store.disk().existing_keyspaces().len(), Keyspace::COUNT + 1);
    }
    let store = disk(&dir);
    assert_eq!(store.disk().existing_keyspaces().len(), Keyspace::COUNT + 1);
    for ks in Keyspace::ALL {
        assert_eq!(
            store.get(ks, b"k").unwrap(),
            Some(ks.name().as_bytes().to_vec())
        );
    }
}

#[test]
fn range_deletes_work_on_lazily_created_keyspaces() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    // A range deletion in a keyspace that does not exist records the range (creating only the range
    // keyspace), hides nothing, and a later write into it lands.
    let mut b = Batch::new();
    b.delete_prefix(Keyspace::SnsMeta, "p/");
    store.submit(b).wait().unwrap();
    assert_eq!(store.disk().existing_keyspaces(), vec!["store_ranges"]);
    wait_reclaimed(&store);
    let mut b = Batch::new();
    b.put(Keyspace::SnsMeta, "p/1", "new");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.scan_prefix(Keyspace::SnsMeta, b"p/").unwrap(),
        pairs(&[("p/1", "new")])
    );

    // Written, deleted and written again in one group of a keyspace created by that group.
    let ks = Keyspace::SqsDedup;
    let mut b = Batch::new();
    b.put(ks, "a/1", "old");
    b.put(ks, "b/1", "keep");
    b.delete_prefix(ks, "a/");
    b.put(ks, "a/2", "new");
    store.submit(b).wait().unwrap();
    assert_eq!(
        store.scan_prefix(ks, b"").unwrap(),
        pairs(&[("a/2", "new"), ("b/1", "keep")])
    );

    // A range larger than one reclaim chunk (tables dropped) in a keyspace created by its first write.
    let ks = Keyspace::KinesisRecords;
    store.disk().set_reclaim_budget(0);
    put_many(&store, ks, "s1", 3 * crate::reclaim::CHUNK, b"v");
    put_many(&store, ks, "s2", 10, b"v");
    store.disk().compact().unwrap();
    let mut b = Batch::new();
    b.delete_prefix(ks, "s1/");
    store.submit(b).wait().unwrap();
    assert!(store.scan_prefix(ks, b"s1/").unwrap().is_empty());
    store.disk().set_reclaim_budget(u64::MAX);
    wait_reclaimed(&store);
    assert_eq!(store.disk().raw_len(ks), 10);
    drop(store);
    let store = disk(&dir);
    assert_eq!(store.pending_range_deletes(), 0);
    assert_eq!(store.scan_prefix(ks, b"").unwrap().len(), 10);
    assert_eq!(store.disk().raw_len(ks), 10);
    assert_eq!(
        store.scan_prefix(Keyspace::SqsDedup, b"a/").unwrap(),
        pairs(&[("a/2", "new")])
    );
    assert_eq!(
        store.get(Keyspace::SnsMeta, b"p/1").unwrap(),
        Some(b"new".to_vec())
    );
}

#[test]
fn a_failed_keyspace_creation_poisons_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = disk(&dir);
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "before", "1");
    store.submit(b).wait().unwrap();

    store.disk().fail_next_create();
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "failed", "1");
    b.put(Keyspace::SqsQueues, "failed", "1");
    let err = store.submit(b).wait().unwrap_err();
    assert!(matches!(err, StoreError::Io(_)), "{err:?}");
    let mut b = Batch::new();
    b.put(Keyspace::Meta, "after", "1");
    let err = store.submit(b).wait().unwrap_err();
    assert!(matches!(err, StoreError::Poisoned(_)), "{err:?}");
    assert!(
        err.to_string().contains("creating keyspace sqs_queues"),
        "{err}"
    );
    assert_eq!(store.get(Keyspace::Meta, b"failed").unwrap(), None);
    assert_empty(&store, Keyspace::SqsQueues);
    drop(store);
    let store = disk(&dir);
    assert_eq!(
        store.scan_prefix(Keyspace::Meta, b"").unwrap(),
        pairs(&[("before", "1")])
    );
    assert_empty(&store, Keyspace::SqsQueues);
}
