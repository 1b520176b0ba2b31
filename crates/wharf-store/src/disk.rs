//! The fjall-backed backend and its group-commit writer thread.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Instant;

use fjall::{Database, KeyspaceCreateOptions, PersistMode, Readable};
use parking_lot::Mutex;

use crate::batch::{key_is_storable, Op};
use crate::commit::Reply;
use crate::{dir, Batch, Commit, FsyncPolicy, Keyspace, KvPairs, StoreError, StoreStats};

/// At most this many batches are merged into one group commit...
const MAX_GROUP_BATCHES: usize = 1024;
/// ...and the group is closed once it holds this many operations.
const MAX_GROUP_OPS: usize = 64 * 1024;

enum Msg {
    Batch(Batch, Reply),
    Flush(mpsc::SyncSender<Result<(), StoreError>>),
}

/// State shared between the handles and the writer thread.
struct Shared {
    poisoned: AtomicBool,
    poison_reason: Mutex<String>,
    batches: AtomicU64,
    commits: AtomicU64,
    fsyncs: AtomicU64,
    /// Test hook: make the next group write fail like an I/O error.
    #[cfg(test)]
    fail_next_write: AtomicBool,
}

impl Shared {
    fn poison_error(&self) -> Option<StoreError> {
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
const MAX_MEMTABLE_BYTES: u64 = 16 * 1024 * 1024;
/// Journal size beyond which fjall flushes memtables (fjall's default is 512 MiB).
const MAX_JOURNAL_BYTES: u64 = 128 * 1024 * 1024;

pub(crate) struct DiskStore {
    tx: Option<mpsc::Sender<Msg>>,
    writer: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
    keyspaces: Vec<fjall::Keyspace>,
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
            .open()?;
        let keyspaces = Keyspace::ALL
            .iter()
            .map(|ks| {
                db.keyspace(ks.name(), || {
                    KeyspaceCreateOptions::default().max_memtable_size(MAX_MEMTABLE_BYTES)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Shared {
            poisoned: AtomicBool::new(false),
            poison_reason: Mutex::new(String::new()),
            batches: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            fsyncs: AtomicU64::new(0),
            #[cfg(test)]
            fail_next_write: AtomicBool::new(false),
        });
        let (tx, rx) = mpsc::channel();
        let writer = Writer {
            rx,
            db: db.clone(),
            keyspaces: keyspaces.clone(),
            shared: Arc::clone(&shared),
            policy,
            last_sync: Instant::now(),
            dirty: false,
        };
        let handle = std::thread::Builder::new()
            .name("wharf-store-writer".into())
            .spawn(move || writer.run())?;
        tracing::info!(dir = %path.display(), ?policy, "opened disk store");
        Ok(DiskStore {
            tx: Some(tx),
            writer: Some(handle),
            shared,
            keyspaces,
            db,
            _lock: lock,
        })
    }

    pub(crate) fn submit(&self, batch: Batch) -> Commit {
        if let Err(e) = batch.validate() {
            return Commit::ready(Err(e));
        }
        if let Some(e) = self.shared.poison_error() {
            return Commit::ready(Err(e));
        }
        let Some(tx) = &self.tx else {
            return Commit::ready(Err(StoreError::Closed));
        };
        let (reply, commit) = Commit::channel();
        if tx.send(Msg::Batch(batch, reply)).is_err() {
            return Commit::ready(Err(StoreError::Closed));
        }
        commit
    }

    pub(crate) fn flush(&self) -> Result<(), StoreError> {
        let Some(tx) = &self.tx else {
            return Err(StoreError::Closed);
        };
        let (reply, done) = mpsc::sync_channel(1);
        tx.send(Msg::Flush(reply)).map_err(|_| StoreError::Closed)?;
        done.recv().map_err(|_| StoreError::Closed)?
    }

    pub(crate) fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        if !key_is_storable(key) {
            return Ok(None);
        }
        // Reads go through a snapshot (the last fully applied write): plain
        // keyspace reads could observe a group commit that is half inserted.
        let snapshot = self.db.snapshot();
        Ok(snapshot.get(self.keyspace(ks), key)?.map(|v| v.to_vec()))
    }

    pub(crate) fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        if prefix.len() > crate::batch::MAX_KEY_LEN {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        let snapshot = self.db.snapshot();
        for guard in snapshot.prefix(self.keyspace(ks), prefix) {
            let (k, v) = guard.into_inner()?;
            out.push((k.to_vec(), v.to_vec()));
        }
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
        let snapshot = self.db.snapshot();
        for guard in snapshot.prefix(self.keyspace(ks), prefix) {
            let (k, v) = guard.into_inner()?;
            visit(&k, &v);
        }
        Ok(())
    }

    pub(crate) fn scan_range(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: &[u8],
        limit: usize,
        reverse: bool,
    ) -> Result<KvPairs, StoreError> {
        let snapshot = self.db.snapshot();
        let iter = snapshot.range(self.keyspace(ks), start..end);
        let mut out = Vec::new();
        if reverse {
            for guard in iter.rev().take(limit) {
                let (k, v) = guard.into_inner()?;
                out.push((k.to_vec(), v.to_vec()));
            }
        } else {
            for guard in iter.take(limit) {
                let (k, v) = guard.into_inner()?;
                out.push((k.to_vec(), v.to_vec()));
            }
        }
        Ok(out)
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

    fn keyspace(&self, ks: Keyspace) -> &fjall::Keyspace {
        &self.keyspaces[ks.index()]
    }
}

impl Drop for DiskStore {
    fn drop(&mut self) {
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

struct Writer {
    rx: mpsc::Receiver<Msg>,
    db: Database,
    keyspaces: Vec<fjall::Keyspace>,
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
        for batch in batches {
            for op in batch.ops {
                match op {
                    Op::Put { ks, key, value } => {
                        pending[ks.index()].insert(key, Some(value));
                    }
                    Op::Delete { ks, key } => {
                        pending[ks.index()].insert(key, None);
                    }
                    Op::DeletePrefix { ks, prefix } => {
                        let map = &mut pending[ks.index()];
                        for (key, value) in map.range_mut(prefix.clone()..) {
                            if !key.starts_with(&prefix) {
                                break;
                            }
                            *value = None;
                        }
                        for guard in self.keyspaces[ks.index()].prefix(&prefix) {
                            map.insert(guard.key()?.to_vec(), None);
                        }
                    }
                }
            }
        }
        if pending.iter().all(BTreeMap::is_empty) {
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
        let mut wb = self.db.batch().durability(Some(mode));
        for (ks, map) in self.keyspaces.iter().zip(pending) {
            for (key, value) in map {
                match value {
                    Some(value) => wb.insert(ks, key, value),
                    None => wb.remove(ks, key),
                }
            }
        }
        wb.commit()?;
        self.shared.commits.fetch_add(1, Ordering::Relaxed);
        if always {
            self.shared.fsyncs.fetch_add(1, Ordering::Relaxed);
        } else {
            self.dirty = true;
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
