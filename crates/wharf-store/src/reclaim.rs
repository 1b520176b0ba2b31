//! The reclaimer thread: physically removes the keys of live range deletions, then forgets the ranges.
//!
//! For each live range (in its own thread, never a runtime worker):
//!
//! 1. A range with at most [`CHUNK`] keys left is removed key by key in one batch, with the record.
//! 2. Otherwise whole tables inside the range are dropped (`AbstractTree::drop_range`, no rewrite), then
//!    what is left (memtables, tables that also hold other keys) is removed key by key, [`CHUNK`] keys
//!    per batch, and finally the range's record is deleted. The keyspace's memtable is then rotated,
//!    which is when fjall unlinks the files of tables no version refers to any more.
//!
//! Every write goes through the writer thread like any batch, so a fjall batch never holds a key twice,
//! and the writer only applies a removal while a live range still covers the key (a reused range may
//! have been turned into per-key deletions meanwhile, see `Writer::materialize`).
//!
//! **Why the anchor.** `drop_range` is not journaled, and at start-up fjall replays every journaled
//! batch whose sequence number is above the highest one found in the keyspace's tables. Dropping the
//! newest tables lowers that number, so batches still in the journal, including the writes of keys we
//! dropped, would be replayed, and come back once their range is forgotten. Before dropping, the
//! reclaimer therefore rewrites [`ANCHOR_KEY`] (outside every dropped range) and flushes the memtable:
//! the anchor's table is newer than everything in the dropped tables and is never dropped itself, so
//! the highest persisted sequence number never goes below any dropped write.

use std::ops::Bound;
#[cfg(test)]
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use fjall::{AbstractTree, Database, Readable};

use crate::batch::Op;
use crate::disk::{submit_to, Msg, Shared, Tables};
use crate::ranges::{end_le, successor, Tomb, ANCHOR_KEY};
use crate::{Batch, Keyspace, StoreError};

/// Keys removed per batch.
pub(crate) const CHUNK: usize = 1024;

/// Why a reclaim stopped early.
enum Stop {
    /// The store is closing.
    Closing,
    Failed(StoreError),
}

impl From<StoreError> for Stop {
    fn from(e: StoreError) -> Self {
        Stop::Failed(e)
    }
}

impl From<fjall::LsmError> for Stop {
    fn from(e: fjall::LsmError) -> Self {
        Stop::Failed(StoreError::Engine(format!("dropping tables failed: {e}")))
    }
}

impl From<fjall::Error> for Stop {
    fn from(e: fjall::Error) -> Self {
        Stop::Failed(e.into())
    }
}

pub(crate) struct Reclaimer {
    pub(crate) tx: mpsc::Sender<Msg>,
    pub(crate) shared: Arc<Shared>,
    pub(crate) db: Database,
    /// The keyspaces (one that does not exist holds no key to reclaim; the writer creates them).
    pub(crate) tables: Arc<Tables>,
}

impl Reclaimer {
    pub(crate) fn run(self) {
        tracing::debug!("storage reclaimer started");
        let mut seen = 0;
        loop {
            // Wait for a range deletion (or a retry after a failed round).
            {
                let mut signal = self.shared.ranges.signal.lock();
                if signal.stop {
                    break;
                }
                if signal.generation == seen && self.shared.ranges.current().is_empty() {
                    self.shared.ranges.wake.wait(&mut signal);
                    continue;
                }
                seen = signal.generation;
            }
            let ranges = self.shared.ranges.current();
            let mut failed = false;
            'round: for ks in Keyspace::ALL {
                for (start, tomb) in ranges.list(ks) {
                    match self.reclaim(ks, &start, &tomb) {
                        Ok(()) => {}
                        Err(Stop::Closing) => break 'round,
                        Err(Stop::Failed(e)) => {
                            if matches!(e, StoreError::Poisoned(_) | StoreError::Closed) {
                                tracing::debug!(error = %e, "storage reclaimer stops");
                                return;
                            }
                            tracing::warn!(error = %e, keyspace = ks.name(), "reclaiming a deleted key range failed; retrying later");
                            failed = true;
                        }
                    }
                }
            }
            // Ranges that were not finished (failed, or changed meanwhile) are retried after a pause.
            let mut signal = self.shared.ranges.signal.lock();
            if signal.stop {
                break;
            }
            if signal.generation == seen && (failed || !self.shared.ranges.current().is_empty()) {
                self.shared
                    .ranges
                    .wake
                    .wait_for(&mut signal, Duration::from_secs(1));
            }
        }
        tracing::debug!("storage reclaimer stopped");
    }

    fn stopping(&self) -> bool {
        self.shared.ranges.signal.lock().stop
    }

    /// Test hook: the reclaimer takes one more step only while its budget allows.
    fn step(&self) -> Result<(), Stop> {
        #[cfg(test)]
        loop {
            let budget = &self.shared.ranges.budget;
            let left = budget.load(Ordering::SeqCst);
            if left == u64::MAX
                || (left > 0
                    && budget
                        .compare_exchange(left, left - 1, Ordering::SeqCst, Ordering::SeqCst)
                        .is_ok())
            {
                break;
            }
            let mut signal = self.shared.ranges.signal.lock();
            if signal.stop {
                return Err(Stop::Closing);
            }
            if budget.load(Ordering::SeqCst) == 0 {
                self.shared
                    .ranges
                    .wake
                    .wait_for(&mut signal, Duration::from_millis(50));
            }
        }
        if self.stopping() {
            return Err(Stop::Closing);
        }
        Ok(())
    }

    fn commit(&self, ops: Vec<Op>) -> Result<(), StoreError> {
        submit_to(&self.tx, &self.shared, Batch { ops }).wait()
    }

    /// Up to `limit` keys physically present in `from..end` of `ks` (hidden ones included).
    fn keys(
        &self,
        ks: Keyspace,
        from: &[u8],
        end: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<Vec<u8>>, StoreError> {
        let mut out = Vec::new();
        let Some(keyspace) = self.tables.get(ks) else {
            return Ok(out);
        };
        let snapshot = self.db.snapshot();
        for guard in snapshot.range(keyspace, crate::ranges::bounds(from, end)) {
            let key = guard.key()?;
            if &*key != ANCHOR_KEY {
                out.push(key.to_vec());
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn finish(
        &self,
        ks: Keyspace,
        start: &[u8],
        tomb: &Tomb,
        mut ops: Vec<Op>,
    ) -> Result<(), Stop> {
        ops.push(Op::FinishRange {
            ks,
            id: tomb.id,
            start: start.to_vec(),
            end: tomb.end.clone(),
        });
        Ok(self.commit(ops)?)
    }

    fn reclaim(&self, ks: Keyspace, start: &[u8], tomb: &Tomb) -> Result<(), Stop> {
        let end = tomb.end.as_deref();
        let keys = self.keys(ks, start, end, CHUNK + 1)?;
        self.step()?;
        if keys.len() <= CHUNK {
            let ops = if keys.is_empty() {
                Vec::new()
            } else {
                vec![Op::ReclaimKeys { ks, keys }]
            };
            return self.finish(ks, start, tomb, ops);
        }

        // Whole tables first. The anchor must be in a table before any table is dropped (see above).
        self.commit(vec![Op::Anchor { ks }])?;
        // The anchor's write created the keyspace if needed (it holds more than CHUNK keys anyway).
        let keyspace = self.tables.get(ks).ok_or_else(|| {
            StoreError::Engine(format!("keyspace {} vanished during a reclaim", ks.name()))
        })?;
        keyspace.rotate_memtable_and_wait()?;
        while keyspace.tree.sealed_memtable_count() > 0 {
            if self.stopping() {
                return Err(Stop::Closing);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        self.step()?;
        {
            let _drop_lock = self.shared.ranges.drop_lock.lock();
            // Only while the range is live: a write into it turns it into per-key deletions under
            // this lock, and its new key must not be dropped.
            let live = self
                .shared
                .ranges
                .current()
                .covering(ks, start)
                .is_some_and(|(_, t)| t.id == tomb.id && end_le(&tomb.end, &t.end));
            if !live {
                return Ok(());
            }
            let end_bound = end.map_or(Bound::Unbounded, |e| Bound::Excluded(e.to_vec()));
            let anchor_inside = start <= ANCHOR_KEY && end.is_none_or(|e| ANCHOR_KEY < e);
            let parts = if anchor_inside {
                vec![
                    (
                        Bound::Included(start.to_vec()),
                        Bound::Excluded(ANCHOR_KEY.to_vec()),
                    ),
                    (Bound::Excluded(ANCHOR_KEY.to_vec()), end_bound),
                ]
            } else {
                vec![(Bound::Included(start.to_vec()), end_bound)]
            };
            let tables = keyspace.tree.table_count();
            for range in parts {
                keyspace.tree.drop_range::<Vec<u8>, _>(range)?;
            }
            tracing::debug!(
                keyspace = ks.name(),
                dropped = tables.saturating_sub(keyspace.tree.table_count()),
                "dropped tables inside a deleted key range"
            );
        }

        // Then whatever is left, key by key.
        let mut cursor = start.to_vec();
        loop {
            self.step()?;
            let keys = self.keys(ks, &cursor, end, CHUNK)?;
            let Some(last) = keys.last() else {
                break;
            };
            cursor = successor(last);
            let full = keys.len() == CHUNK;
            self.commit(vec![Op::ReclaimKeys { ks, keys }])?;
            if !full {
                break;
            }
        }
        self.step()?;
        self.finish(ks, start, tomb, Vec::new())?;
        // fjall unlinks the files of dropped tables once no version refers to them any more, which
        // it checks when a memtable is rotated: do it now rather than at the next natural rotation
        // (this also writes the removals above to a table).
        keyspace.rotate_memtable()?;
        Ok(())
    }
}
