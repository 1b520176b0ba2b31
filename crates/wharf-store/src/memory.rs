//! The in-memory backend: no disk, no writer thread.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::RwLock;

use crate::batch::{key_is_storable, Op};
use crate::{Batch, Keyspace, KvPairs, StoreStats};

type Map = BTreeMap<Vec<u8>, Vec<u8>>;

pub(crate) struct MemoryStore {
    maps: RwLock<Vec<Map>>,
    batches: AtomicU64,
    commits: AtomicU64,
}

impl MemoryStore {
    pub(crate) fn new() -> MemoryStore {
        MemoryStore {
            maps: RwLock::new((0..Keyspace::COUNT).map(|_| Map::new()).collect()),
            batches: AtomicU64::new(0),
            commits: AtomicU64::new(0),
        }
    }

    /// Applies the batch under the write lock, so batches are applied one at
    /// a time, in call order, and readers never see half a batch.
    pub(crate) fn apply(&self, batch: Batch) {
        if !batch.is_empty() {
            let mut maps = self.maps.write();
            for op in batch.ops {
                match op {
                    Op::Put { ks, key, value } => {
                        maps[ks.index()].insert(key, value);
                    }
                    Op::Delete { ks, key } => {
                        maps[ks.index()].remove(&key);
                    }
                    Op::DeleteRange { ks, start, end } => {
                        let map = &mut maps[ks.index()];
                        // Split off the range and everything after it, then put back what follows it.
                        let mut tail = map.split_off(&start);
                        if let Some(end) = end {
                            let mut after = tail.split_off(&end);
                            map.append(&mut after);
                        }
                    }
                    // Reclaiming is a disk matter.
                    Op::ReclaimKeys { .. } | Op::Anchor { .. } | Op::FinishRange { .. } => {}
                }
            }
            self.commits.fetch_add(1, Ordering::Relaxed);
        }
        self.batches.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn get(&self, ks: Keyspace, key: &[u8]) -> Option<Vec<u8>> {
        if !key_is_storable(key) {
            return None;
        }
        self.maps.read()[ks.index()].get(key).cloned()
    }

    pub(crate) fn scan_prefix(&self, ks: Keyspace, prefix: &[u8]) -> KvPairs {
        self.maps.read()[ks.index()]
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    pub(crate) fn visit_prefix(
        &self,
        ks: Keyspace,
        prefix: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]),
    ) {
        let maps = self.maps.read();
        for (k, v) in maps[ks.index()]
            .range(prefix.to_vec()..)
            .take_while(|(k, _)| k.starts_with(prefix))
        {
            visit(k, v);
        }
    }

    pub(crate) fn scan_range(
        &self,
        ks: Keyspace,
        start: &[u8],
        end: &[u8],
        limit: usize,
        reverse: bool,
    ) -> KvPairs {
        let maps = self.maps.read();
        let range = maps[ks.index()].range(start.to_vec()..end.to_vec());
        let pair = |(k, v): (&Vec<u8>, &Vec<u8>)| (k.clone(), v.clone());
        if reverse {
            range.rev().take(limit).map(pair).collect()
        } else {
            range.take(limit).map(pair).collect()
        }
    }

    pub(crate) fn stats(&self) -> StoreStats {
        StoreStats {
            batches: self.batches.load(Ordering::Relaxed),
            commits: self.commits.load(Ordering::Relaxed),
            fsyncs: 0,
        }
    }
}
