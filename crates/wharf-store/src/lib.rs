//! Wharf storage: a small ordered key-value store with atomic, group-committed
//! write batches, used by the SQS engine to persist queues and messages.
//!
//! # Model
//!
//! Data lives in a fixed set of named [`Keyspace`]s, each an ordered map from
//! byte keys to byte values. Writers build a [`Batch`] (puts, deletes and
//! range/prefix deletes, possibly across keyspaces) and [`Store::submit`] it; the
//! returned [`Commit`] future resolves once the batch is durable according to
//! the [`FsyncPolicy`]. Reads ([`Store::get`], [`Store::scan_prefix`]) are
//! blocking and meant for start-up recovery and rare lookups.
//!
//! # On-disk layout (`Store::open(dir, ..)`)
//!
//! ```text
//! dir/LOCK     exclusive advisory lock held while the store is open (contains the holder's pid)
//! dir/FORMAT   on-disk format version as ASCII decimal (currently `2`)
//! dir/fjall/   fjall 3 database: write-ahead journal + one LSM-tree per keyspace
//!              (fjall keyspaces "meta", "sqs_queues", "sqs_messages", "sqs_state", "sqs_dedup",
//!              "sns_topics", "sns_subscriptions", "sns_meta", "sns_deliveries", "kinesis_streams",
//!              "kinesis_records", and the store-internal "store_ranges": one record per live
//!              range deletion, key = keyspace index byte + range start, value = version byte 1,
//!              then 0 (no end) or 1 + end key)
//! ```
//!
//! A fjall keyspace is created on the first write into it (by the writer thread, before the group's
//! fjall batch is built; creating one costs fjall a dozen fsyncs), not at open: a fresh directory has
//! none, and reads of a keyspace that does not exist yet are empty. Opening opens the ones that exist.
//!
//! A second `open` of a locked directory fails with [`StoreError::Locked`]; a
//! directory with a newer `FORMAT` is refused with
//! [`StoreError::UnsupportedFormat`]. Formats 1 and 2 are upgraded in place (the
//! `FORMAT` file is rewritten; nothing else changes): format 2 added the
//! `store_ranges` keyspace, which format 1 servers would ignore (and so resurrect
//! deleted ranges); format 3 marks directories whose SQS message records may be
//! binary and whose sends may have no index entry (`wharf-sqs/src/record.rs`), which
//! format 2 servers would skip as unreadable — hence the version bumps.
//!
//! # Range deletions
//!
//! [`Batch::delete_range`] (and [`Batch::delete_prefix`]) cost one record whatever
//! the number of keys: reads stop returning the keys at once (the live ranges are
//! kept in memory and every read skips them), and a background reclaimer thread
//! drops whole tables inside the range, removes the rest key by key in small
//! batches through the writer, and then deletes the record. It resumes after a
//! restart. See `docs/storage.md`.
//!
//! # Write path and durability
//!
//! `submit` never touches the disk: it queues the batch for a single dedicated
//! writer thread. The writer takes every batch already waiting (up to a cap),
//! folds them, in submit order, into **one** atomic fjall write batch, writes it
//! to the journal, and then, depending on the policy:
//!
//! * [`FsyncPolicy::Always`]: fsyncs the journal (`PersistMode::SyncAll`) once
//!   for the whole group and then completes every caller: concurrent writers
//!   share one fsync (group commit). A completed commit survives power loss.
//! * [`FsyncPolicy::Interval`]: completes callers as soon as the journal write
//!   reached the OS, and fsyncs at most once per interval. A process crash
//!   loses nothing; a power loss can lose up to one interval of commits.
//! * [`FsyncPolicy::Never`]: like `Interval` but only fsyncs on
//!   [`Store::flush`] and on shutdown.
//!
//! Batches are applied in exactly the order `submit` was called, and a batch
//! is never partially visible, neither to readers nor after a crash.
//!
//! A failed journal write or fsync **poisons** the store: the callers of the
//! failed group get the error and every later write is rejected with
//! [`StoreError::Poisoned`]; the process should restart and recover from the
//! journal. Dropping the last [`Store`] handle drains the queue, fsyncs, stops
//! the writer thread and releases the directory lock.
//!
//! [`Store::in_memory`] provides the same API without any disk: commits
//! complete immediately and nothing survives the process.

#![deny(clippy::unwrap_used)]
#![cfg_attr(test, allow(clippy::unwrap_used))]
#![warn(missing_docs)]

mod batch;
mod commit;
mod dir;
mod disk;
mod error;
mod memory;
mod ranges;
mod reclaim;

#[cfg(test)]
mod tests;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

pub use batch::{Batch, Keyspace, MAX_KEY_LEN, MAX_VALUE_LEN};
pub use commit::Commit;
pub use error::StoreError;

use disk::DiskStore;
use memory::MemoryStore;

/// Key/value pairs in key order, as returned by [`Store::scan_prefix`].
pub type KvPairs = Vec<(Vec<u8>, Vec<u8>)>;

/// On-disk format version written to and expected in `dir/FORMAT` (older
/// versions down to 1 are upgraded in place).
pub const FORMAT_VERSION: u32 = 3;

/// When the writer fsyncs the journal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum FsyncPolicy {
    /// fsync every group commit before acknowledging it (safest).
    #[default]
    Always,
    /// Acknowledge after the write; fsync at most once per interval.
    Interval(Duration),
    /// Acknowledge after the write; fsync only on flush/shutdown.
    Never,
}

/// Counters describing the work done by the store since it was opened.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StoreStats {
    /// Batches successfully applied (including empty ones).
    pub batches: u64,
    /// Atomic engine writes (group commits) performed; each may carry many batches.
    pub commits: u64,
    /// Journal fsyncs performed (always 0 in memory).
    pub fsyncs: u64,
}

/// Handle to the store. Cheap to clone; all clones share one backend, and
/// dropping the last one shuts it down cleanly.
#[derive(Clone)]
pub struct Store {
    inner: Arc<Backend>,
}

enum Backend {
    Disk(DiskStore),
    Memory(MemoryStore),
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("mode", &self.storage_mode())
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens (creating if needed) the store in `dir` and starts its writer
    /// thread. Fails with [`StoreError::Locked`] if the directory is in use
    /// and with [`StoreError::UnsupportedFormat`] if it has another format.
    pub fn open(dir: &Path, policy: FsyncPolicy) -> Result<Store, StoreError> {
        Ok(Store {
            inner: Arc::new(Backend::Disk(DiskStore::open(dir, policy)?)),
        })
    }

    /// A store without any disk: commits complete at once, data is kept in
    /// ordered in-memory maps and lost when the last handle is dropped.
    pub fn in_memory() -> Store {
        Store {
            inner: Arc::new(Backend::Memory(MemoryStore::new())),
        }
    }

    /// Queues `batch` for the writer and returns a future that resolves once
    /// it is durable per the [`FsyncPolicy`]. Never blocks on disk. Batches
    /// are applied in the order of `submit` calls, even if their `Commit`s
    /// are awaited in another order or dropped.
    ///
    /// Batches containing an empty or over-long key (see [`MAX_KEY_LEN`])
    /// are rejected with [`StoreError::Engine`] without affecting the store.
    pub fn submit(&self, batch: Batch) -> Commit {
        match &*self.inner {
            Backend::Disk(disk) => disk.submit(batch),
            Backend::Memory(mem) => {
                if let Err(e) = batch.validate() {
                    return Commit::ready(Err(e));
                }
                mem.apply(batch);
                Commit::ready(Ok(()))
            }
        }
    }

    /// All `(key, value)` pairs of `ks` whose key starts with `prefix`, in
    /// key order. Blocking; sees every batch whose `Commit` has resolved.
    pub fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> Result<KvPairs, StoreError> {
        match &*self.inner {
            Backend::Disk(disk) => disk.scan_prefix(ks, prefix),
            Backend::Memory(mem) => Ok(mem.scan_prefix(ks, prefix)),
        }
    }

    /// Calls `visit` with every `(key, value)` of `ks` whose key starts with `prefix`, in key order, without
    /// collecting them (start-up recovery of large keyspaces). Blocking.
    pub fn visit_prefix(
        &self,
        ks: Keyspace,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) -> Result<(), StoreError> {
        match &*self.inner {
            Backend::Disk(disk) => disk.visit_prefix(ks, prefix, visit),
            Backend::Memory(mem) => {
                mem.visit_prefix(ks, prefix, visit);
                Ok(())
            }
        }
    }

    /// Up to `limit` pairs of `ks` with `start <= key < end`, in key order
    /// (`reverse`: in descending key order, i.e. the last `limit` of the
    /// range). Blocking; sees every batch whose `Commit` has resolved.
    pub fn scan_range(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: &[u8],
        limit: usize,
        reverse: bool,
    ) -> Result<KvPairs, StoreError> {
        if start >= end || limit == 0 {
            return Ok(Vec::new());
        }
        match &*self.inner {
            Backend::Disk(disk) => disk.scan_range(ks, start, end, limit, reverse),
            Backend::Memory(mem) => Ok(mem.scan_range(ks, start, end, limit, reverse)),
        }
    }

    /// The value stored under `key` in `ks`, if any. Blocking.
    pub fn get(&self, ks: Keyspace, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        match &*self.inner {
            Backend::Disk(disk) => disk.get(ks, key),
            Backend::Memory(mem) => Ok(mem.get(ks, key)),
        }
    }

    /// True if data is persisted on disk and survives a restart (any
    /// [`FsyncPolicy`]); false for [`Store::in_memory`].
    pub fn is_durable(&self) -> bool {
        matches!(&*self.inner, Backend::Disk(_))
    }

    /// Blocks until every batch submitted before this call is applied and
    /// the journal is fsynced, whatever the policy. Intended for shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        match &*self.inner {
            Backend::Disk(disk) => disk.flush(),
            Backend::Memory(_) => Ok(()),
        }
    }

    /// Range deletions ([`Batch::delete_range`], [`Batch::delete_prefix`]) whose
    /// keys are hidden but not yet all removed from disk by the background
    /// reclaimer (always 0 in memory, where they are removed at once).
    pub fn pending_range_deletes(&self) -> usize {
        match &*self.inner {
            Backend::Disk(disk) => disk.pending_range_deletes(),
            Backend::Memory(_) => 0,
        }
    }

    /// `"disk"` or `"memory"`.
    pub fn storage_mode(&self) -> &'static str {
        match &*self.inner {
            Backend::Disk(_) => "disk",
            Backend::Memory(_) => "memory",
        }
    }

    #[cfg(test)]
    pub(crate) fn fail_next_write(&self) {
        if let Backend::Disk(disk) = &*self.inner {
            disk.fail_next_write();
        }
    }

    #[cfg(test)]
    pub(crate) fn disk(&self) -> &DiskStore {
        match &*self.inner {
            Backend::Disk(disk) => disk,
            Backend::Memory(_) => panic!("not a disk store"),
        }
    }

    /// Work counters since open (e.g. to observe group commit: `fsyncs`
    /// is much smaller than `batches` under concurrent load).
    pub fn stats(&self) -> StoreStats {
        match &*self.inner {
            Backend::Disk(disk) => disk.stats(),
            Backend::Memory(mem) => mem.stats(),
        }
    }
}
