//! One stream's state: its settings behind a `RwLock` (read on the data path, written by control-plane
//! actions), and each shard's hot state (sequence counter, recent tail, throttles) behind the shard's own
//! mutex, so that writers to different shards never contend.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;

use crate::model;
use crate::persist::{ConsumerRecord, PendingChange, ShardRecord, StreamRecord, FORMAT_VERSION};
use crate::seq;
use crate::throttle::ShardThrottle;

pub const STATUS_CREATING: &str = "CREATING";
pub const STATUS_ACTIVE: &str = "ACTIVE";
pub const STATUS_UPDATING: &str = "UPDATING";
pub const STATUS_DELETING: &str = "DELETING";
/// Record distribution strategies (CreateStream, UpdateStreamRecordDistributionStrategy).
pub const DISTRIBUTION_BY_KEY: &str = "USER_PARTITION_KEY";
pub const DISTRIBUTION_AUTO: &str = "AUTO";

pub fn shard_id(index: u32) -> String {
    format!("shardId-{index:012}")
}

/// A record as kept in a shard's in-memory tail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub seq: u128,
    pub partition_key: String,
    pub data: Vec<u8>,
}

impl StoredRecord {
    /// Bytes counted against read limits (data + partition key).
    pub fn size(&self) -> usize {
        self.data.len() + self.partition_key.len()
    }

    pub fn arrival_millis(&self) -> u64 {
        seq::decompose(self.seq).map_or(0, |p| p.time_millis)
    }
}

/// A shard's mutable state.
#[derive(Debug)]
pub struct ShardState {
    pub ending_seq: Option<u128>,
    pub closed_millis: Option<u64>,
    /// The last sequence number handed out (the shard's StartingSequenceNumber before any record).
    pub last_seq: u128,
    pub last_time: u64,
    pub counter: u64,
    /// Every record up to this sequence number is committed to the store and may be read.
    pub visible_seq: u128,
    /// The most recent records, oldest first.
    pub tail: VecDeque<Arc<StoredRecord>>,
    pub tail_bytes: usize,
    /// Every record with a sequence number at or above this one is in `tail`.
    pub cached_from: u128,
    /// Records below this sequence number were removed by retention.
    pub trimmed_below: u128,
    pub throttle: ShardThrottle,
    /// Writes offered to the shard (accepted or throttled) since `window_start_millis`: the load that
    /// ON_DEMAND autoscaling measures.
    pub offered_bytes: u64,
    pub offered_records: u64,
    pub window_start_millis: u64,
}

impl ShardState {
    /// The next sequence number: time never goes backwards within the shard, the counter always grows.
    pub fn next_seq(&mut self, index: u32, now: u64) -> u128 {
        self.last_time = self.last_time.max(now);
        self.counter += 1;
        let seq = seq::compose(self.last_time, index, self.counter);
        self.last_seq = seq;
        seq
    }

    /// Records at or after `from`, visible, at most `limit` of them and about `max_bytes` (always at least
    /// one record). `None` if the tail does not cover `from`.
    pub fn read_tail(
        &self,
        from: u128,
        limit: usize,
        max_bytes: usize,
    ) -> Option<Vec<Arc<StoredRecord>>> {
        if from < self.cached_from {
            return None;
        }
        let start = self.tail.partition_point(|r| r.seq < from);
        let mut out = Vec::new();
        let mut bytes = 0;
        for record in self.tail.iter().skip(start) {
            if record.seq > self.visible_seq || out.len() >= limit {
                break;
            }
            if !out.is_empty() && bytes + record.size() > max_bytes {
                break;
            }
            bytes += record.size();
            out.push(record.clone());
        }
        Some(out)
    }

    /// Evicts the oldest committed records while the tail is over its budget.
    pub fn trim_tail(&mut self, max_bytes: usize, max_records: usize) {
        while self.tail_bytes > max_bytes || self.tail.len() > max_records {
            match self.tail.front() {
                Some(front) if front.seq <= self.visible_seq => {
                    self.cached_from = front.seq + 1;
                    self.tail_bytes -= front.size();
                    self.tail.pop_front();
                }
                _ => break,
            }
        }
    }
}

/// One shard.
#[derive(Debug)]
pub struct Shard {
    pub index: u32,
    pub id: String,
    /// The shards this one was split or merged from (UpdateShardCount may give it more than two; AWS's
    /// `ParentShardId` and `AdjacentParentShardId` show the first two).
    pub parents: Vec<u32>,
    pub hash_start: u128,
    pub hash_end: u128,
    pub starting_seq: u128,
    pub created_millis: u64,
    pub state: Mutex<ShardState>,
    /// Woken when new records become visible (SubscribeToShard waits on it).
    pub notify: Notify,
}

impl Shard {
    pub fn new(index: u32, parents: Vec<u32>, range: (u128, u128), created_millis: u64) -> Shard {
        let starting_seq = seq::compose(created_millis, index, 0);
        Shard {
            index,
            id: shard_id(index),
            parents,
            hash_start: range.0,
            hash_end: range.1,
            starting_seq,
            created_millis,
            state: Mutex::new(ShardState {
                ending_seq: None,
                closed_millis: None,
                last_seq: starting_seq,
                last_time: created_millis,
                counter: 0,
                visible_seq: starting_seq,
                tail: VecDeque::new(),
                tail_bytes: 0,
                cached_from: 0,
                trimmed_below: 0,
                throttle: ShardThrottle::new(created_millis),
                offered_bytes: 0,
                offered_records: 0,
                window_start_millis: created_millis,
            }),
            notify: Notify::new(),
        }
    }

    pub fn is_closed(&self) -> bool {
        self.state.lock().ending_seq.is_some()
    }

    pub fn hash_range(&self) -> model::HashKeyRange {
        model::HashKeyRange {
            starting_hash_key: self.hash_start.to_string(),
            ending_hash_key: self.hash_end.to_string(),
        }
    }

    pub fn describe(&self) -> model::Shard {
        let ending = self.state.lock().ending_seq;
        model::Shard {
            shard_id: self.id.clone(),
            parent_shard_id: self.parents.first().copied().map(shard_id),
            adjacent_parent_shard_id: self.parents.get(1).copied().map(shard_id),
            hash_key_range: self.hash_range(),
            sequence_number_range: model::SequenceNumberRange {
                starting_sequence_number: seq::render(self.starting_seq),
                ending_sequence_number: ending.map(seq::render),
            },
        }
    }

    /// Closes the shard: no record is accepted after this, readers reach its end.
    pub fn close(&self, now: u64) {
        let mut state = self.state.lock();
        if state.ending_seq.is_none() {
            state.last_time = state.last_time.max(now);
            state.ending_seq = Some(seq::compose(state.last_time, self.index, seq::MAX_COUNTER));
            state.closed_millis = Some(now);
        }
        drop(state);
        self.notify.notify_waiters();
    }

    pub fn record(&self) -> ShardRecord {
        let state = self.state.lock();
        ShardRecord {
            index: self.index,
            parents: self.parents.clone(),
            hash_start: self.hash_start.to_string(),
            hash_end: self.hash_end.to_string(),
            starting_seq: self.starting_seq.to_string(),
            ending_seq: state.ending_seq.map(|s| s.to_string()),
            created_millis: self.created_millis,
            closed_millis: state.closed_millis,
        }
    }
}

/// An enhanced fan-out consumer.
#[derive(Debug, Clone)]
pub struct ConsumerState {
    pub name: String,
    pub created_millis: u64,
    pub tags: BTreeMap<String, String>,
    /// Deregistered: DELETING until then, gone after (see [`Kinesis::settle`](crate::Kinesis)).
    pub deleting_until_millis: Option<u64>,
}

impl ConsumerState {
    /// Deregistered and its DELETING window over at `now`.
    pub fn gone_by(&self, now: u64) -> bool {
        self.deleting_until_millis.is_some_and(|until| now >= until)
    }
}

/// A stream's settings and shard list.
#[derive(Debug)]
pub struct StreamMeta {
    pub stream_id_text: String,
    pub created_millis: u64,
    pub ready_at_millis: u64,
    pub updating_until_millis: u64,
    /// The change this stream is UPDATING towards, applied at `updating_until_millis`
    /// ([`crate::Kinesis`]'s `settle`); until then reads, writes and routing use the current settings and
    /// shards.
    pub pending: Option<PendingChange>,
    /// Set by DeleteStream: the stream shows DELETING until then, and is gone after.
    pub deleting_until_millis: Option<u64>,
    pub mode: String,
    pub retention_hours: u32,
    pub tags: BTreeMap<String, String>,
    pub encryption_key: Option<String>,
    pub shard_level_metrics: BTreeSet<String>,
    pub max_record_size_kib: u32,
    pub warm_throughput_mibps: Option<i64>,
    /// [`DISTRIBUTION_AUTO`]: records go to shards in turn, whatever their partition and hash keys.
    pub auto_distribution: bool,
    /// When UpdateShardCount rescaled this stream within the last 24 hours (at most ten times a day).
    pub shard_count_updates: Vec<u64>,
    pub next_shard_index: u32,
    /// Every shard still listed (open ones and closed ones within retention), by index.
    pub shards: Vec<Arc<Shard>>,
    /// The open shards, by hash range (they tile the whole hash key space).
    pub open: Vec<Arc<Shard>>,
    pub consumers: BTreeMap<String, ConsumerState>,
    pub policies: BTreeMap<String, String>,
}

impl StreamMeta {
    /// The record distribution strategy's name.
    pub fn distribution_strategy(&self) -> &'static str {
        if self.auto_distribution {
            DISTRIBUTION_AUTO
        } else {
            DISTRIBUTION_BY_KEY
        }
    }

    pub fn status(&self, now: u64) -> &'static str {
        if self.deleting_until_millis.is_some() {
            STATUS_DELETING
        } else if now < self.ready_at_millis {
            STATUS_CREATING
        } else if now < self.updating_until_millis {
            STATUS_UPDATING
        } else {
            STATUS_ACTIVE
        }
    }

    /// Open shards once the pending change is applied (the larger of now and then counts against the
    /// account's shard limit).
    pub fn open_after_pending(&self) -> u32 {
        let open = self.open.len() as u32;
        match &self.pending {
            Some(PendingChange::Split { .. }) => open + 1,
            Some(PendingChange::Merge { .. }) => open.saturating_sub(1),
            Some(PendingChange::ShardCount { target }) => *target,
            _ => open,
        }
    }

    /// Recomputes `open` from `shards` (call after any reshard).
    pub fn rebuild_open(&mut self) {
        let mut open: Vec<Arc<Shard>> = self
            .shards
            .iter()
            .filter(|s| !s.is_closed())
            .cloned()
            .collect();
        open.sort_by_key(|s| s.hash_start);
        self.open = open;
    }

    /// The open shard whose hash range holds `hash`.
    pub fn route(&self, hash: u128) -> Option<&Arc<Shard>> {
        let i = self.open.partition_point(|s| s.hash_start <= hash);
        let shard = self.open.get(i.checked_sub(1)?)?;
        (hash <= shard.hash_end).then_some(shard)
    }

    pub fn shard(&self, index: u32) -> Option<&Arc<Shard>> {
        self.shards
            .binary_search_by_key(&index, |s| s.index)
            .ok()
            .and_then(|i| self.shards.get(i))
    }

    pub fn children_of(&self, index: u32) -> Vec<model::ChildShard> {
        self.shards
            .iter()
            .filter(|s| s.parents.contains(&index))
            .map(|s| model::ChildShard {
                shard_id: s.id.clone(),
                parent_shards: s.parents.iter().copied().map(shard_id).collect(),
                hash_key_range: s.hash_range(),
            })
            .collect()
    }

    pub fn encryption_type(&self) -> &'static str {
        if self.encryption_key.is_some() {
            "KMS"
        } else {
            "NONE"
        }
    }

    pub fn retention_millis(&self) -> u64 {
        u64::from(self.retention_hours) * 3_600_000
    }
}

/// One stream.
#[derive(Debug)]
pub struct Stream {
    pub id: u64,
    pub name: String,
    pub arn: String,
    pub meta: RwLock<StreamMeta>,
    pub deleted: AtomicBool,
}

impl Stream {
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    /// The persisted form of the stream (call with the meta lock held).
    pub fn record(&self, meta: &StreamMeta) -> StreamRecord {
        StreamRecord {
            v: FORMAT_VERSION,
            id: self.id,
            name: self.name.clone(),
            stream_id_text: meta.stream_id_text.clone(),
            created_millis: meta.created_millis,
            ready_at_millis: meta.ready_at_millis,
            updating_until_millis: meta.updating_until_millis,
            mode: meta.mode.clone(),
            retention_hours: meta.retention_hours,
            tags: meta.tags.clone(),
            encryption_key: meta.encryption_key.clone(),
            shard_level_metrics: meta.shard_level_metrics.iter().cloned().collect(),
            max_record_size_kib: meta.max_record_size_kib,
            warm_throughput_mibps: meta.warm_throughput_mibps,
            auto_distribution: meta.auto_distribution,
            shard_count_updates: meta.shard_count_updates.clone(),
            next_shard_index: meta.next_shard_index,
            shards: meta.shards.iter().map(|s| s.record()).collect(),
            consumers: meta
                .consumers
                .values()
                .map(|c| ConsumerRecord {
                    name: c.name.clone(),
                    created_millis: c.created_millis,
                    tags: c.tags.clone(),
                    deleting_until_millis: c.deleting_until_millis,
                })
                .collect(),
            policies: meta.policies.clone(),
            pending: meta.pending.clone(),
            deleting_until_millis: meta.deleting_until_millis,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hash;

    fn meta_with(shards: Vec<Arc<Shard>>) -> StreamMeta {
        let mut meta = StreamMeta {
            stream_id_text: String::new(),
            created_millis: 0,
            ready_at_millis: 0,
            updating_until_millis: 0,
            pending: None,
            deleting_until_millis: None,
            mode: "PROVISIONED".into(),
            retention_hours: 24,
            tags: BTreeMap::new(),
            encryption_key: None,
            shard_level_metrics: BTreeSet::new(),
            max_record_size_kib: 1024,
            warm_throughput_mibps: None,
            auto_distribution: false,
            shard_count_updates: Vec::new(),
            next_shard_index: shards.len() as u32,
            shards,
            open: Vec::new(),
            consumers: BTreeMap::new(),
            policies: BTreeMap::new(),
        };
        meta.rebuild_open();
        meta
    }

    #[test]
    fn routing_by_hash_range() {
        let shards: Vec<Arc<Shard>> = hash::even_ranges(3)
            .into_iter()
            .enumerate()
            .map(|(i, r)| Arc::new(Shard::new(i as u32, Vec::new(), r, 1000)))
            .collect();
        let meta = meta_with(shards);
        assert_eq!(meta.route(0).unwrap().index, 0);
        assert_eq!(meta.route(u128::MAX).unwrap().index, 2);
        let boundary = hash::even_ranges(3)[1].0;
        assert_eq!(meta.route(boundary - 1).unwrap().index, 0);
        assert_eq!(meta.route(boundary).unwrap().index, 1);
        // Closing shard 1 leaves a gap until its children open.
        meta.shards[1].close(2000);
        let mut meta = meta;
        meta.rebuild_open();
        assert!(meta.route(boundary).is_none());
    }

    #[test]
    fn sequence_numbers_increase_even_if_the_clock_goes_back() {
        let shard = Shard::new(4, Vec::new(), (0, u128::MAX), 5000);
        let mut state = shard.state.lock();
        let a = state.next_seq(4, 6000);
        let b = state.next_seq(4, 6000);
        let c = state.next_seq(4, 5500);
        assert!(shard.starting_seq < a && a < b && b < c);
        assert_eq!(seq::decompose(c).unwrap().time_millis, 6000);
        assert_eq!(seq::decompose(c).unwrap().shard_index, 4);
    }

    #[test]
    fn closed_shard_ends_after_its_records() {
        let shard = Shard::new(0, Vec::new(), (0, u128::MAX), 1000);
        let last = shard.state.lock().next_seq(0, 3000);
        shard.close(2000);
        let state = shard.state.lock();
        assert!(state.ending_seq.unwrap() > last);
    }

    #[test]
    fn tail_reads_only_visible_records_and_evicts_committed_ones() {
        let shard = Shard::new(0, Vec::new(), (0, u128::MAX), 1000);
        let mut state = shard.state.lock();
        let mut seqs = Vec::new();
        for i in 0..4u8 {
            let seq = state.next_seq(0, 1000 + u64::from(i));
            seqs.push(seq);
            let record = Arc::new(StoredRecord {
                seq,
                partition_key: "k".into(),
                data: vec![i; 10],
            });
            state.tail_bytes += record.size();
            state.tail.push_back(record);
        }
        state.visible_seq = seqs[1];
        let read = state.read_tail(0, 10, usize::MAX).unwrap();
        assert_eq!(read.len(), 2);
        // Over budget, but only committed records may leave the tail.
        state.trim_tail(0, 0);
        assert_eq!(state.tail.len(), 2);
        assert_eq!(state.cached_from, seqs[1] + 1);
        assert!(state.read_tail(seqs[0], 10, usize::MAX).is_none());
        state.visible_seq = seqs[3];
        assert_eq!(state.read_tail(seqs[2], 10, usize::MAX).unwrap().len(), 2);
        assert_eq!(state.read_tail(seqs[2], 1, usize::MAX).unwrap().len(), 1);
        assert_eq!(state.read_tail(seqs[2], 10, 5).unwrap().len(), 1);
    }
}
