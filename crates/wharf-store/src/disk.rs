//! The fjall-backed backend and its group-commit writer thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::Instant;

use fjall::{Database, KeyspaceCreateOptions, PersistMode, Readable};
use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};

use crate::batch::{key_is_storable, prefix_end, Op};
use crate::commit::Reply;
use crate::ranges::{bounds, RangeSet, ANCHOR_KEY, RANGES_KEYSPACE};
use crate::reclaim::Reclaimer;
use crate::{dir, Batch, Commit, FsyncPolicy, Keyspace, KvPairs, StoreError, StoreStats};

/// At most this many batches are merged into one group commit...
const MAX_GROUP_BATCHES: usize = 1024;
/// ...and the group is closed once it holds this many operations.
const MAX_GROUP_OPS: usize = 64 * 1024;

pub(crate) enum Msg {
    Batch(Batch, Reply),
    Flush(mpsc::SyncSender<Result<(), StoreError>>),
}

/// State shared between the handles, the writer thread and the reclaimer thread.
pub(crate) struct Shared {
    poisoned: AtomicBool,
    poison_reason: Mutex<String>,
    batches: AtomicU64,
    commits: AtomicU64,
    fsyncs: AtomicU64,
    pub(crate) ranges: Ranges,
    /// Test hook: make the next group write fail like an I/O error.
    #[cfg(test)]
    fail_next_write: AtomicBool,
}

/// The live range deletions and the coordination around them.
pub(crate) struct Ranges {
    /// Replaced (under the write lock, around the fjall commit) by every group that changes it, so a
    /// reader taking the read lock and a snapshot sees both as of the same group.
    pub(crate) set: RwLock<Arc<RangeSet>>,
    /// Held by the reclaimer while it drops tables of a range, and by the writer while it turns a range
    /// into per-key deletions because of a write into it: tables are only dropped while the range is live.
    pub(crate) drop_lock: Mutex<()>,
    /// Bumped when a range is added or the store closes; the reclaimer waits on it.
    pub(crate) signal: Mutex<Signal>,
    pub(crate) wake: Condvar,
    /// Test hook: steps the reclaimer may still take (`u64::MAX`: unlimited).
    #[cfg(test)]
    pub(crate) budget: AtomicU64,
}

#[derive(Default)]
pub(crate) struct Signal {
    pub(crate) generation: u64,
    pub(crate) stop: bool,
}

impl Ranges {
    pub(crate) fn current(&self) -> Arc<RangeSet> {
        Arc::clone(&self.set.read())
    }

    fn notify(&self, stop: bool) {
        let mut signal = self.signal.lock();
        signal.generation += 1;
        signal.stop |= stop;
        self.wake.notify_all();
    }
}

impl Shared {
    pub(crate) fn poison_error(&self) -> Option<StoreError> {
        if self.poisoned.load(Ordering::Acquire) {
            Some(StoreError::Poisoned(self.poison_reason.lock().clone()))
        } else {
            None
        }
    }

    fn poison(&self, reason: String) {
        tracing::error!(%reason, "storage write failed; store is now poisoned and rejects all writes");
        let mut slot = self.poison_reason.lock();
        if !self.poisoned.load(Ordering::Acquire) {
            *slot = reason;
            self.poisoned.store(true, Ordering::Release);
        }
    }
}

/// Per-keyspace memtable size (fjall's default is 64 MiB).
const MAX_MEMTABLE_BYTES: u64 = 8 * 1024 * 1024;
/// Journal size beyond which fjall flushes memtables (fjall's default is 512 MiB). It bounds the data
/// held in memtables, during a load and after a crash (the journal is replayed into memtables).
const MAX_JOURNAL_BYTES: u64 = 64 * 1024 * 1024;
/// Block cache (fjall's default is 32 MiB); the OS page cache sits behind it.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;
/// fjall's background threads (memtable flushes and compactions). One: with more than one, fjall's
/// worker 0 hands every compaction request back to the shared queue and takes it again, a busy loop
/// for as long as another worker is compacting (measured: a quarter of the server's CPU samples
/// under a durable send load on 2 cores, fjall 3.1).
const BACKGROUND_WORKERS: usize = 1;

/// Slot of the store-internal range deletion keyspace in [`Tables`] (after the [`Keyspace`]s).
const RANGES_SLOT: usize = Keyspace::COUNT;

/// The fjall keyspaces, shared by the handles (reads), the writer and the reclaimer.
///
/// Creating a fjall keyspace costs a dozen or more fsyncs (its directory, its configuration in fjall's
/// meta keyspace, ...), and fjall creates them one at a time: creating all of them at open made a first
/// start on an empty directory take hundreds of milliseconds. So a keyspace that exists is opened at
/// start-up (no fsync), and one that does not is created by the writer thread on the first group that
/// writes into it. Until then it holds nothing: reads of it are empty, deletes in it are no-ops. The
/// on-disk format is unchanged (a directory where every keyspace exists opens exactly as before).
pub(crate) struct Tables {
    db: Database,
    /// Indexed by [`Keyspace::index`], then [`RANGES_SLOT`]; filled once, never emptied.
    slots: Vec<OnceLock<fjall::Keyspace>>,
    /// Serializes creations (only the writer creates, this is a safeguard).
    create: Mutex<()>,
    /// Test hook: make the next keyspace creation fail like an I/O error.
    #[cfg(test)]
    fail_next_create: AtomicBool,
}

impl Tables {
    fn name(slot: usize) -> &'static str {
        Keyspace::ALL
            .get(slot)
            .map_or(RANGES_KEYSPACE, |ks| ks.name())
    }

    fn options(slot: usize) -> KeyspaceCreateOptions {
        if slot == RANGES_SLOT {
            KeyspaceCreateOptions::default()
        } else {
            KeyspaceCreateOptions::default().max_memtable_size(MAX_MEMTABLE_BYTES)
        }
    }

    /// Opens the keyspaces that exist in `db` (opening an existing keyspace writes nothing).
    fn open(db: &Database) -> Result<Tables, StoreError> {
        let slots: Vec<OnceLock<fjall::Keyspace>> =
            (0..=RANGES_SLOT).map(|_| OnceLock::new()).collect();
        for (slot, cell) in slots.iter().enumerate() {
            let name = Self::name(slot);
            if db.keyspace_exists(name) {
                let keyspace = db.keyspace(name, || Self::options(slot))?;
                let _ = cell.set(keyspace);
            }
        }
        Ok(Tables {
            db: db.clone(),
            slots,
            create: Mutex::new(()),
            #[cfg(test)]
            fail_next_create: AtomicBool::new(false),
        })
    }

    /// The keyspace `ks`, if it exists (`None`: it was never written to, so it is empty).
    pub(crate) fn get(&self, ks: Keyspace) -> Option<&fjall::Keyspace> {
        self.slots[ks.index()].get()
    }

    fn ranges(&self) -> Option<&fjall::Keyspace> {
        self.slots[RANGES_SLOT].get()
    }

    /// The keyspace in `slot`, created (durably, by fjall) if it does not exist yet.
    fn get_or_create(&self, slot: usize) -> Result<&fjall::Keyspace, StoreError> {
        if let Some(keyspace) = self.slots[slot].get() {
            return Ok(keyspace);
        }
        let _creating = self.create.lock();
        if let Some(keyspace) = self.slots[slot].get() {
            return Ok(keyspace);
        }
        let name = Self::name(slot);
        #[cfg(test)]
        if self.fail_next_create.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Io(std::io::Error::other(format!(
                "injected failure creating keyspace {name}"
            ))));
        }
        let keyspace = self.db.keyspace(name, || Self::options(slot))?;
        tracing::debug!(keyspace = name, "created keyspace on its first write");
        Ok(self.slots[slot].get_or_init(|| keyspace))
    }

    /// Test hook: the names of the keyspaces that exist.
    #[cfg(test)]
    pub(crate) fn existing(&self) -> Vec<&'static str> {
        (0..=RANGES_SLOT)
            .filter(|&slot| self.slots[slot].get().is_some())
            .map(Self::name)
            .collect()
    }
}

pub(crate) struct DiskStore {
    tx: Option<mpsc::Sender<Msg>>,
    writer: Option<JoinHandle<()>>,
    reclaimer: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    tables: Arc<Tables>,
    db: Database,
    // Dropped last: the directory stays locked until fjall has shut down.
    _lock: File,
}

impl DiskStore {
    pub(crate) fn open(path: &Path, policy: FsyncPolicy) -> Result<DiskStore, StoreError> {
        let lock = dir::lock(path)?;
        dir::check_format(path)?;
        // Bounded memory: small memtables and a bounded journal keep a large backlog on disk (an
        // unflushed journal is replayed into memtables at start-up).
        let db = Database::builder(path.join(dir::ENGINE_DIR))
            .max_journaling_size(MAX_JOURNAL_BYTES)
            .cache_size(CACHE_BYTES)
            .worker_threads(BACKGROUND_WORKERS)
            .open()?;
        let tables = Arc::new(Tables::open(&db)?);
        let mut ranges = RangeSet::new();
        if let Some(ranges_ks) = tables.ranges() {
            for guard in ranges_ks.iter() {
                let (key, value) = guard.into_inner()?;
                ranges.load_record(&key, &value)?;
            }
        }
        if !ranges.is_empty() {
            tracing::info!(
                ranges = ranges.len(),
                "resuming the reclaim of deleted key ranges"
            );
        }
        let shared = Arc::new(Shared {
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(String::new()),
            batches: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            ranges: Ranges {
                set: RwLock::new(Arc::new(ranges)),
                drop_lock: Mutex::new(()),
                signal: Mutex::new(Signal::default()),
                wake: Condvar::new(),
                #[cfg(test)]
                budget: AtomicU64::new(u64::MAX),
            },
            #[cfg(test)]
            fail_next_write: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            rx,
            db: db.clone(),
            tables: Arc::clone(&tables),
            shared: Arc::clone(&shared),
            policy,
            last_sync: Instant::now(),
            dirty: false,
        };
        let handle = std::thread::Builder::new()
            .name("wharf-store-writer".into())
            .spawn(move || writer.run())?;
        let reclaimer = Reclaimer {
            tx: tx.clone(),
            shared: Arc::clone(&shared),
            db: db.clone(),
            tables: Arc::clone(&tables),
        };
        let reclaimer = match std::thread::Builder::new()
            .name("wharf-store-reclaim".into())
            .spawn(move || reclaimer.run())
        {
            Ok(handle) => handle,
            Err(e) => {
                drop(tx);
                let _ = handle.join();
                return Err(e.into());
            }
        };
        tracing::info!(dir = %path.display(), ?policy, "opened disk store");
        Ok(DiskStore {
            tx: Some(tx),
            writer: Some(handle),
            reclaimer: Some(reclaimer),
            shared,
            tables,
            db,
            _lock: lock,
        })
    }

    pub(crate) fn submit(&self, batch: Batch) -> Commit {
        let Some(tx) = &self.tx else {
            return Commit::ready(Err(StoreError::Closed));
        };
        submit_to(tx, &self.shared, batch)
    }

    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let Some(tx) = &self.tx else {
            return Err(StoreError::Closed);
        };
        let (reply, done) = mpsc::sync_channel(1);
        tx.send(Msg::Flush(reply)).map_err(|_| StoreError::Closed)?;
        done.recv().map_err(|_| StoreError::Closed)?
    }

    /// A snapshot and the range deletions as of the same group commit.
    fn view(&self) -> (fjall::Snapshot, Arc<RangeSet>) {
        let set = self.shared.ranges.set.read();
        (self.db.snapshot(), Arc::clone(&set))
    }

    pub(crate) fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if !key_is_storable(key) {
            return Ok(None);
        }
        // Reads go through a snapshot (the last fully applied write): plain
        // keyspace reads could observe a group commit that is half inserted.
        let (snapshot, ranges) = self.view();
        if ranges.covers(ks, key) {
            return Ok(None);
        }
        // A keyspace created after the snapshot was taken holds nothing the snapshot sees.
        let Some(keyspace) = self.tables.get(ks) else {
            return Ok(None);
        };
        Ok(snapshot.get(keyspace, key)?.map(|v| v.to_vec()))
    }

    /// Calls `visit` with every visible pair of `ks` in `start..end` (`end: None`: to the last key), in
    /// key order or `reverse`d, until it returns false. Keys under a live range deletion are skipped by
    /// seeking past the range, not by reading them.
    fn visit_range(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: Option<&[u8]>,
        reverse: bool,
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        let (snapshot, ranges) = self.view();
        let Some(keyspace) = self.tables.get(ks) else {
            return Ok(());
        };
        let mut parts = if ranges.has_any(ks) {
            ranges.gaps(ks, start, end)
        } else {
            vec![(start.to_vec(), end.map(<[u8]>::to_vec))]
        };
        if reverse {
            parts.reverse();
        }
        for (from, to) in &parts {
            let iter = snapshot.range(keyspace, bounds(from, to.as_deref()));
            let iter: Box<dyn Iterator<Item = fjall::Guard>> = if reverse {
                Box::new(iter.rev())
            } else {
                Box::new(iter)
            };
            for guard in iter {
                let (k, v) = guard.into_inner()?;
                if &*k != ANCHOR_KEY && !visit(&k, &v) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    pub(crate) fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        let mut out = Vec::new();
        self.visit_prefix(ks, prefix, &mut |k, v| out.push((k.to_vec(), v.to_vec())))?;
        Ok(out)
    }

    pub(crate) fn visit_prefix(
        &self,
        ks: Keyspace,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<(), StoreError> {
        if prefix.len() > crate::batch::MAX_KEY_LEN {
            return Ok(());
        }
        let end = prefix_end(prefix);
        self.visit_range(ks, prefix, end.as_deref(), false, &mut |k, v| {
            visit(k, v);
            true
        })
    }

    pub(crate) fn scan_range(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: &[u8],
        limit: usize,
        reverse: bool,
    ) -> Result<KvPairs, StoreError> {
        let mut out = Vec::new();
        self.visit_range(ks, start, Some(end), reverse, &mut |k, v| {
            out.push((k.to_vec(), v.to_vec()));
            out.len() < limit
        })?;
        Ok(out)
    }

    /// Range deletions recorded but not yet fully reclaimed from disk.
    pub(crate) fn pending_range_deletes(&self) -> usize {
        self.shared.ranges.current().len()
    }

    /// Test hook: every key physically present in `ks` (hidden or not), except the anchor.
    #[cfg(test)]
    pub(crate) fn raw_len(&self, ks: Keyspace) -> usize {
        self.tables.get(ks).map_or(0, |keyspace| {
            keyspace
                .iter()
                .filter_map(|guard| guard.key().ok())
                .filter(|key| &**key != ANCHOR_KEY)
                .count()
        })
    }

    /// Test hook: the names of the fjall keyspaces that exist.
    #[cfg(test)]
    pub(crate) fn existing_keyspaces(&self) -> Vec<&'static str> {
        self.tables.existing()
    }

    /// Test hook: make the next keyspace creation fail.
    #[cfg(test)]
    pub(crate) fn fail_next_create(&self) {
        self.tables.fail_next_create.store(true, Ordering::SeqCst);
    }

    /// Test hook: limits the reclaimer to `steps` more steps (`u64::MAX`: unlimited).
    #[cfg(test)]
    pub(crate) fn set_reclaim_budget(&self, steps: u64) {
        self.shared.ranges.budget.store(steps, Ordering::SeqCst);
        self.shared.ranges.notify(false);
    }

    /// Test hook: the reclaimer's remaining budget (`None`: unlimited).
    #[cfg(test)]
    pub(crate) fn reclaim_budget(&self) -> Option<u64> {
        let left = self.shared.ranges.budget.load(Ordering::SeqCst);
        (left != u64::MAX).then_some(left)
    }

    /// Test hook: flushes every memtable and runs a major compaction of every keyspace.
    #[cfg(test)]
    pub(crate) fn compact(&self) -> Result<(), StoreError> {
        for keyspace in Keyspace::ALL.iter().filter_map(|&ks| self.tables.get(ks)) {
            keyspace.rotate_memtable_and_wait()?;
            keyspace.major_compact()?;
        }
        Ok(())
    }

    /// Test hook: flushes the memtable of `ks` (fjall then also unlinks unreferenced table files).
    #[cfg(test)]
    pub(crate) fn rotate(&self, ks: Keyspace) -> Result<(), StoreError> {
        match self.tables.get(ks) {
            Some(keyspace) => Ok(keyspace.rotate_memtable_and_wait()?),
            None => Ok(()),
        }
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            batches: self.shared.batches.load(Ordering::Relaxed),
            commits: self.shared.commits.load(Ordering::Relaxed),
            fsyncs: self.shared.fsyncs.load(Ordering::Relaxed),
        }
    }

    #[cfg(test)]
    pub(crate) fn fail_next_write(&self) {
        self.shared.fail_next_write.store(true, Ordering::SeqCst);
    }
}

impl Drop for DiskStore {
    fn drop(&mut self) {
        // The reclaimer stops first (it submits through the writer); what it
        // did not finish is resumed at the next open.
        self.shared.ranges.notify(true);
        if let Some(handle) = self.reclaimer.take() {
            if handle.join().is_err() {
                tracing::error!("storage reclaimer thread panicked");
            }
        }
        // Closing the channel lets the writer drain what is queued, fsync and
        // exit; only then are the fjall handles and the LOCK file released.
        drop(self.tx.take());
        if let Some(handle) = self.writer.take() {
            if handle.join().is_err() {
                tracing::error!("storage writer thread panicked");
                // The writer did not get to its final fsync; do it here.
                if self.shared.poison_error().is_none() {
                    if let Err(e) = self.db.persist(PersistMode::SyncAll) {
                        tracing::error!(error = %e, "final storage fsync failed");
                    }
                }
            }
        }
        tracing::debug!("disk store closed");
    }
}

/// Validates `batch` and queues it for the writer.
pub(crate) fn submit_to(tx: &mpsc::Sender<Msg>, shared: &Shared, batch: Batch) -> Commit {
    if let Err(e) = batch.validate() {
        return Commit::ready(Err(e));
    }
    if let Some(e) = shared.poison_error() {
        return Commit::ready(Err(e));
    }
    let (reply, commit) = Commit::channel();
    if tx.send(Msg::Batch(batch, reply)).is_err() {
        return Commit::ready(Err(StoreError::Closed));
    }
    commit
}

struct Writer {
    rx: mpsc::Receiver<Msg>,
    db: Database,
    /// The keyspaces; the writer creates those a group writes into.
    tables: Arc<Tables>,
    shared: Arc<Shared>,
    policy: FsyncPolicy,
    /// When the journal was last fsynced (`Interval` policy).
    last_sync: Instant,
    /// Written but not fsynced yet (`Interval` policy).
    dirty: bool,
}

impl Writer {
    fn run(mut self) {
        tracing::debug!("storage writer started");
        while let Some(first) = self.next_message() {
            let mut batches: Vec<(Batch, Reply)> = Vec::new();
            let mut flushes = Vec::new();
            let mut ops = 0;
            let mut msg = Some(first);
            while let Some(m) = msg.take() {
                match m {
                    Msg::Batch(batch, reply) => {
                        ops += batch.len();
                        batches.push((batch, reply));
                    }
                    // A flush covers everything queued before it: close the group.
                    Msg::Flush(reply) => {
                        flushes.push(reply);
                        break;
                    }
                }
                if batches.len() >= MAX_GROUP_BATCHES || ops >= MAX_GROUP_OPS {
                    break;
                }
                msg = self.rx.try_recv().ok();
            }
            self.process(batches, flushes);
        }
        // All handles are gone and the queue is drained.
        if self.shared.poison_error().is_none() {
            self.sync();
        }
        tracing::debug!("storage writer stopped");
    }

    /// Next queued message; with a pending `Interval` fsync, waits at most
    /// until it is due and performs it. `None` once every sender is gone.
    fn next_message(&mut self) -> Option<Msg> {
        loop {
            let FsyncPolicy::Interval(every) = self.policy else {
                return self.rx.recv().ok();
            };
            if !self.dirty {
                return self.rx.recv().ok();
            }
            let due = self.last_sync + every;
            let now = Instant::now();
            if now >= due {
                self.sync();
                continue;
            }
            match self.rx.recv_timeout(due - now) {
                Ok(msg) => return Some(msg),
                Err(RecvTimeoutError::Timeout) => self.sync(),
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    fn process(
        &mut self,
        batches: Vec<(Batch, Reply)>,
        flushes: Vec<mpsc::SyncSender<Result<(), StoreError>>>,
    ) {
        if let Some(e) = self.shared.poison_error() {
            fail_all(batches.into_iter().map(|(_, r)| r), flushes, &e);
            return;
        }
        let count = batches.len() as u64;
        let (batches, replies): (Vec<Batch>, Vec<Reply>) = batches.into_iter().unzip();
        if let Err(e) = self.write_group(batches) {
            self.shared.poison(e.to_string());
            fail_all(replies, flushes, &e);
            return;
        }
        self.shared.batches.fetch_add(count, Ordering::Relaxed);
        // Durable per policy: fsynced for `Always`, written for the others.
        for reply in replies {
            // The caller may have dropped its Commit; that is fine.
            let _ = reply.send(Ok(()));
        }

        if !flushes.is_empty() {
            self.sync();
            let poisoned = self.shared.poison_error();
            for reply in flushes {
                let _ = reply.send(match &poisoned {
                    Some(e) => Err(e.duplicate()),
                    None => Ok(()),
                });
            }
        } else if let FsyncPolicy::Interval(every) = self.policy {
            if self.dirty && self.last_sync.elapsed() >= every {
                self.sync();
            }
        }
    }

    /// Applies all batches, in order, as one atomic fjall batch; with
    /// `FsyncPolicy::Always` the journal is fsynced before returning.
    fn write_group(&mut self, batches: Vec<Batch>) -> Result<(), StoreError> {
        // Final state of every touched key, per keyspace. All items of one
        // fjall batch share a sequence number, so a key must appear at most
        // once; folding the operations here also gives `delete_prefix` the
        // exact sequential semantics across the batches of the group.
        let mut pending: Vec<BTreeMap<Vec<u8>, Option<Vec<u8>>>> =
            (0..Keyspace::COUNT).map(|_| BTreeMap::new()).collect();
        // Range deletions as of the current op; `changed` is a private copy once the group alters them.
        let shared = Arc::clone(&self.shared);
        let current = shared.ranges.current();
        let mut ranges = RangeEdit {
            current: &current,
            changed: None,
            added: false,
            drop_lock: None,
        };
        for batch in batches {
            for op in batch.ops {
                match op {
                    Op::Put { ks, key, value } => {
                        if ranges.get().covers(ks, &key) {
                            self.materialize(&shared, &mut ranges, &mut pending, ks, &key)?;
                        }
                        pending[ks.index()].insert(key, Some(value));
                    }
                    Op::Delete { ks, key } => {
                        pending[ks.index()].insert(key, None);
                    }
                    other => ranges.apply(other, &mut pending),
                }
            }
        }
        let records = ranges.records();
        if pending.iter().all(BTreeMap::is_empty) && records.is_empty() {
            ranges.publish(&shared, None);
            return Ok(());
        }

        let always = matches!(self.policy, FsyncPolicy::Always);
        let mode = if always {
            PersistMode::SyncAll
        } else {
            PersistMode::Buffer
        };
        #[cfg(test)]
        if self.shared.fail_next_write.swap(false, Ordering::SeqCst) {
            return Err(StoreError::Io(std::io::Error::other(
                "injected write failure",
            )));
        }
        // Keyspaces are created on their first write (see `Tables`); a failed creation fails the group
        // like a failed journal write. Deletions in a keyspace that does not exist have nothing to delete.
        let mut targets = Vec::with_capacity(Keyspace::COUNT);
        for (slot, map) in pending.into_iter().enumerate() {
            if map.values().any(Option::is_some) {
                targets.push((self.tables.get_or_create(slot)?, map));
            } else if let Some(keyspace) = self.tables.slots[slot].get() {
                if !map.is_empty() {
                    targets.push((keyspace, map));
                }
            }
        }
        let ranges_ks = if records.is_empty() {
            None
        } else {
            Some(self.tables.get_or_create(RANGES_SLOT)?)
        };
        let mut wb = self.db.batch().durability(Some(mode));
        for (ks, map) in targets {
            for (key, value) in map {
                match value {
                    Some(value) => wb.insert(ks, key, value),
                    None => wb.remove(ks, key),
                }
            }
        }
        if let Some(ranges_ks) = ranges_ks {
            for (key, value) in records {
                match value {
                    Some(value) => wb.insert(ranges_ks, key, value),
                    None => wb.remove(ranges_ks, key),
                }
            }
        }
        if wb.is_empty() {
            // Only deletions in keyspaces that do not exist: nothing to write.
            ranges.publish(&shared, None);
            return Ok(());
        }
        // Readers see the new range deletions together with the data of the group.
        let published = ranges.changed.is_some().then(|| shared.ranges.set.write());
        wb.commit()?;
        ranges.publish(&shared, published);
        self.shared.commits.fetch_add(1, Ordering::Relaxed);
        if always {
            self.shared.fsyncs.fetch_add(1, Ordering::Relaxed);
        } else {
            self.dirty = true;
        }
        Ok(())
    }

    /// A write lands in a live range deletion (the caller reuses a deleted range): the range's
    /// remaining keys become per-key deletions of this group and the range is forgotten, so the
    /// write survives and nothing older in the range comes back. Costs what `delete_prefix` cost
    /// before range deletions existed (one tombstone per remaining key).
    fn materialize<'s>(
        &self,
        shared: &'s Shared,
        ranges: &mut RangeEdit<'_, 's>,
        pending: &mut [BTreeMap<Vec<u8>, Option<Vec<u8>>>],
        ks: Keyspace,
        key: &[u8],
    ) -> Result<(), StoreError> {
        // Not while the reclaimer drops tables of the range, nor after it until the change is
        // published: it only drops tables of ranges that are live.
        if ranges.drop_lock.is_none() {
            ranges.drop_lock = Some(shared.ranges.drop_lock.lock());
        }
        let Some((start, end)) = ranges.edit().remove_covering(ks, key) else {
            return Ok(());
        };
        tracing::debug!(
            keyspace = ks.name(),
            "write into a deleted key range: deleting its remaining keys one by one"
        );
        let map = &mut pending[ks.index()];
        for (_, value) in map.range_mut(bounds(&start, end.as_deref())) {
            *value = None;
        }
        if let Some(keyspace) = self.tables.get(ks) {
            for guard in keyspace.range(bounds(&start, end.as_deref())) {
                let key = guard.key()?;
                if &*key != ANCHOR_KEY {
                    map.insert(key.to_vec(), None);
                }
            }
        }
        Ok(())
    }

    /// fsyncs the journal; a failure poisons the store.
    fn sync(&mut self) {
        if self.shared.poison_error().is_some() {
            self.dirty = false;
            return;
        }
        match self.db.persist(PersistMode::SyncAll) {
            Ok(()) => {
                self.shared.fsyncs.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => self.shared.poison(format!("fsync failed: {e}")),
        }
        self.dirty = false;
        self.last_sync = Instant::now();
    }
}

/// The range deletions while a group is folded.
struct RangeEdit<'a, 's> {
    current: &'a Arc<RangeSet>,
    changed: Option<RangeSet>,
    /// A range was added (the reclaimer has work).
    added: bool,
    drop_lock: Option<MutexGuard<'s, ()>>,
}

impl RangeEdit<'_, '_> {
    fn get(&self) -> &RangeSet {
        self.changed.as_ref().unwrap_or(self.current)
    }

    fn edit(&mut self) -> &mut RangeSet {
        self.changed
            .get_or_insert_with(|| RangeSet::clone(self.current))
    }

    /// Folds a range op (or a store-internal op) into the group.
    fn apply(&mut self, op: Op, pending: &mut [BTreeMap<Vec<u8>, Option<Vec<u8>>>]) {
        match op {
            Op::Put { .. } | Op::Delete { .. } => unreachable!("handled by write_group"),
            Op::DeleteRange { ks, start, end } => {
                // Earlier writes of the group inside the range need not reach the disk: the range hides
                // them, and the reclaimer removes whatever older version exists.
                let map = &mut pending[ks.index()];
                let doomed: Vec<Vec<u8>> = map
                    .range(bounds(&start, end.as_deref()))
                    .map(|(k, _)| k.clone())
                    .filter(|k| k.as_slice() != ANCHOR_KEY)
                    .collect();
                for key in doomed {
                    map.remove(&key);
                }
                self.edit().insert(ks, start, end);
                self.added = true;
            }
            Op::ReclaimKeys { ks, keys } => {
                let ranges = self.get();
                let covered: Vec<Vec<u8>> = keys
                    .into_iter()
                    .filter(|key| ranges.covers(ks, key))
                    .collect();
                let map = &mut pending[ks.index()];
                for key in covered {
                    map.insert(key, None);
                }
            }
            Op::Anchor { ks } => {
                pending[ks.index()].insert(ANCHOR_KEY.to_vec(), Some(b"anchor".to_vec()));
            }
            Op::FinishRange { ks, id, start, end } => {
                if self
                    .get()
                    .covering(ks, &start)
                    .is_some_and(|(_, t)| t.id == id)
                {
                    self.edit().subtract(ks, id, &start, &end);
                }
            }
        }
    }

    /// Record changes to write with the group.
    fn records(&self) -> Vec<(Vec<u8>, Option<Vec<u8>>)> {
        self.changed
            .as_ref()
            .map(|set| set.diff(self.current))
            .unwrap_or_default()
    }

    /// Makes the new range deletions visible (after the group's fjall commit, under `slot` if given).
    fn publish(
        self,
        shared: &Shared,
        slot: Option<parking_lot::RwLockWriteGuard<'_, Arc<RangeSet>>>,
    ) {
        if let Some(set) = self.changed {
            match slot {
                Some(mut slot) => *slot = Arc::new(set),
                None => *shared.ranges.set.write() = Arc::new(set),
            }
            if self.added {
                shared.ranges.notify(false);
            }
        }
        drop(self.drop_lock);
    }
}

fn fail_all(
    replies: impl IntoIterator<Item = Reply>,
    flushes: Vec<mpsc::SyncSender<Result<(), StoreError>>>,
    error: &StoreError,
) {
    for reply in replies {
        let _ = reply.send(Err(error.duplicate()));
    }
    for reply in flushes {
        let _ = reply.send(Err(error.duplicate()));
    }
}
