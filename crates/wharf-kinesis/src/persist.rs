//! How Kinesis state is laid out in the store (format version 1).
//!
//! | keyspace         | key                                                   | value                          |
//! |------------------|-------------------------------------------------------|--------------------------------|
//! | `KinesisStreams` | stream name                                           | [`StreamRecord`] (JSON, `v:1`) |
//! | `KinesisRecords` | stream id (8 B BE) + shard index (4 B BE) + seq (16 B BE) | [`encode_record`]: version byte 1, partition key length (2 B BE), partition key, data |
//! | `Meta`           | `kinesis/last-stream-id`                              | decimal, never reused          |
//! | `Meta`           | `kinesis/account-settings`                            | JSON                           |
//!
//! Record keys sort by stream, shard and sequence number, so a shard's records are one contiguous range
//! read in order by range scans, retention deletes the range below a computed sequence number, and
//! deleting a stream removes its 8-byte prefix. A record's arrival time is the time part of its sequence
//! number (see [`crate::seq`]), so it is not stored twice.
//!
//! A stream record also carries the state of an unfinished transition, so that a restart finishes it:
//! `pending` (the change an UPDATING stream applies when its window ends at `updating_until_millis`) and
//! `deleting_until_millis` (a DELETING stream: its records and its record are removed once that time has
//! passed). Both fields are optional and absent from older records.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use wharf_store::{Batch, Keyspace};

pub const FORMAT_VERSION: u32 = 1;
const RECORD_FORMAT: u8 = 1;
pub const LAST_STREAM_ID_KEY: &[u8] = b"kinesis/last-stream-id";
pub const ACCOUNT_SETTINGS_KEY: &[u8] = b"kinesis/account-settings";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShardRecord {
    pub index: u32,
    pub parents: Vec<u32>,
    /// Decimal: JSON numbers cannot hold 128 bits.
    pub hash_start: String,
    pub hash_end: String,
    pub starting_seq: String,
    pub ending_seq: Option<String>,
    pub created_millis: u64,
    pub closed_millis: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ConsumerRecord {
    pub name: String,
    pub created_millis: u64,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Deregistered: DELETING until then.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until_millis: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StreamRecord {
    pub v: u32,
    pub id: u64,
    pub name: String,
    pub stream_id_text: String,
    pub created_millis: u64,
    pub ready_at_millis: u64,
    pub updating_until_millis: u64,
    pub mode: String,
    pub retention_hours: u32,
    pub tags: BTreeMap<String, String>,
    pub encryption_key: Option<String>,
    pub shard_level_metrics: Vec<String>,
    pub max_record_size_kib: u32,
    pub warm_throughput_mibps: Option<i64>,
    /// The `AUTO` record distribution strategy (absent in records written before it existed).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_distribution: bool,
    /// When UpdateShardCount rescaled the stream within the last 24 hours (absent in older records).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shard_count_updates: Vec<u64>,
    pub next_shard_index: u32,
    pub shards: Vec<ShardRecord>,
    pub consumers: Vec<ConsumerRecord>,
    pub policies: BTreeMap<String, String>,
    /// The change an UPDATING stream applies at `updating_until_millis`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<PendingChange>,
    /// Set by DeleteStream: the stream is DELETING until then, and removed (records included) after.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deleting_until_millis: Option<u64>,
}

/// A change AWS applies asynchronously: the stream shows UPDATING until the transition delay is over,
/// and only then does the change take effect (resharding, capacity mode, retention, encryption, maximum
/// record size, enhanced monitoring).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PendingChange {
    /// SplitShard: close `shard`, open children `[start, new_start - 1]` and `[new_start, end]`.
    Split { shard: u32, new_start: String },
    /// MergeShards: close both (adjacent, open) shards, open one child over their ranges.
    Merge { first: u32, second: u32 },
    /// UpdateShardCount (UNIFORM_SCALING): close every open shard, open `target` even ranges.
    ShardCount { target: u32 },
    /// UpdateStreamMode.
    Mode {
        mode: String,
        warm_throughput_mibps: Option<i64>,
    },
    /// Increase/DecreaseStreamRetentionPeriod.
    Retention { hours: u32 },
    /// Start/StopStreamEncryption (`None`: stop).
    Encryption { key_id: Option<String> },
    /// UpdateMaxRecordSize.
    MaxRecordSize { kib: u32 },
    /// Enable/DisableEnhancedMonitoring: the desired set of shard-level metrics.
    Monitoring { metrics: Vec<String> },
    /// UpdateStreamWarmThroughput: the target write throughput of an on-demand stream.
    WarmThroughput { mibps: i64 },
}

pub fn put_stream(batch: &mut Batch, record: &StreamRecord) {
    // Serializing this plain struct cannot fail.
    let value = serde_json::to_vec(record).unwrap_or_default();
    batch.put(
        Keyspace::KinesisStreams,
        record.name.as_bytes().to_vec(),
        value,
    );
}

pub fn delete_stream(batch: &mut Batch, id: u64, name: &str) {
    batch.delete(Keyspace::KinesisStreams, name.as_bytes().to_vec());
    batch.delete_prefix(Keyspace::KinesisRecords, id.to_be_bytes().to_vec());
}

pub fn record_key(stream_id: u64, shard_index: u32, seq: u128) -> Vec<u8> {
    let mut key = Vec::with_capacity(28);
    key.extend_from_slice(&stream_id.to_be_bytes());
    key.extend_from_slice(&shard_index.to_be_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

/// The exclusive end of a shard's key range.
pub fn shard_end_key(stream_id: u64, shard_index: u32) -> Vec<u8> {
    let mut key = Vec::with_capacity(12);
    key.extend_from_slice(&stream_id.to_be_bytes());
    match shard_index.checked_add(1) {
        Some(next) => key.extend_from_slice(&next.to_be_bytes()),
        None => {
            key.truncate(0);
            key.extend_from_slice(&(stream_id + 1).to_be_bytes());
        }
    }
    key
}

pub fn seq_of_key(key: &[u8]) -> Option<u128> {
    Some(u128::from_be_bytes(key.get(12..28)?.try_into().ok()?))
}

pub fn encode_record(partition_key: &str, data: &[u8]) -> Vec<u8> {
    let pk = partition_key.as_bytes();
    let mut out = Vec::with_capacity(3 + pk.len() + data.len());
    out.push(RECORD_FORMAT);
    out.extend_from_slice(&(pk.len() as u16).to_be_bytes());
    out.extend_from_slice(pk);
    out.extend_from_slice(data);
    out
}

/// `(partition key, data)` of a stored record.
pub fn decode_record(value: &[u8]) -> Option<(String, Vec<u8>)> {
    if value.first() != Some(&RECORD_FORMAT) {
        return None;
    }
    let len = u16::from_be_bytes(value.get(1..3)?.try_into().ok()?) as usize;
    let pk = String::from_utf8(value.get(3..3 + len)?.to_vec()).ok()?;
    Some((pk, value.get(3 + len..)?.to_vec()))
}

pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

/// Retention: removes a shard's records with sequence numbers in `from..below` as one store range deletion
/// (new records always get higher sequence numbers, so the range is never written again).
pub fn trim_shard(batch: &mut Batch, stream_id: u64, shard_index: u32, from: u128, below: u128) {
    batch.delete_range(
        Keyspace::KinesisRecords,
        record_key(stream_id, shard_index, from),
        record_key(stream_id, shard_index, below),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_by_shard_then_sequence() {
        let a = record_key(1, 0, 5);
        let b = record_key(1, 0, 6);
        let c = record_key(1, 1, 0);
        let d = record_key(2, 0, 0);
        assert!(a < b && b < c && c < d);
        assert!(b < shard_end_key(1, 0) && shard_end_key(1, 0) <= c);
        assert_eq!(seq_of_key(&b), Some(6));
        assert!(record_key(1, u32::MAX, u128::MAX) < shard_end_key(1, u32::MAX));
    }

    #[test]
    fn stream_records_without_transition_fields_still_parse() {
        let old = r#"{"v":1,"id":3,"name":"s","stream_id_text":"x","created_millis":1,"ready_at_millis":1,
            "updating_until_millis":0,"mode":"PROVISIONED","retention_hours":24,"tags":{},
            "encryption_key":null,"shard_level_metrics":[],"max_record_size_kib":1024,
            "warm_throughput_mibps":null,"next_shard_index":1,"shards":[],"consumers":[],"policies":{}}"#;
        let mut record: StreamRecord = parse(old.as_bytes()).unwrap();
        assert_eq!(
            (&record.pending, record.deleting_until_millis),
            (&None, None)
        );
        record.pending = Some(PendingChange::Split {
            shard: 0,
            new_start: "170141183460469231731687303715884105728".into(),
        });
        record.deleting_until_millis = Some(5);
        let text = serde_json::to_vec(&record).unwrap();
        let back: StreamRecord = parse(&text).unwrap();
        assert_eq!(back.pending, record.pending);
        assert_eq!(back.deleting_until_millis, Some(5));
    }

    #[test]
    fn record_round_trip() {
        let value = encode_record("pk", b"\x00data");
        assert_eq!(
            decode_record(&value),
            Some(("pk".to_string(), b"\x00data".to_vec()))
        );
        assert_eq!(decode_record(b""), None);
        assert_eq!(decode_record(&[1, 0, 9, b'a']), None);
    }
}
