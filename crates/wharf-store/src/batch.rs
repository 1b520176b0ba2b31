//! Keyspaces and write batches.

use crate::StoreError;

/// Largest key the engine accepts (fjall/lsm-tree limit: keys are 1..=65535 bytes).
pub const MAX_KEY_LEN: usize = u16::MAX as usize;

/// Largest value the engine accepts (fjall/lsm-tree limit).
pub const MAX_VALUE_LEN: usize = u32::MAX as usize;

/// The fixed set of named keyspaces. Each one is a separate ordered key
/// space (a fjall keyspace on disk, a `BTreeMap` in memory); a [`Batch`]
/// may span several of them and is still applied atomically.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Keyspace {
    /// Server-wide metadata (e.g. schema version, counters).
    Meta,
    /// One record per SQS queue (attributes, tags, ...).
    SqsQueues,
    /// Message bodies and immutable message data.
    SqsMessages,
    /// Mutable per-message state (visibility, receive counts, ...).
    SqsState,
    /// FIFO deduplication records.
    SqsDedup,
    /// One record per SNS topic (attributes, tags, policies, counters).
    SnsTopics,
    /// One record per SNS subscription (attributes, token, confirmation state).
    SnsSubscriptions,
    /// SNS odds and ends: FIFO dedup entries, outbox, platform applications and endpoints, SMS settings.
    SnsMeta,
    /// Pending SNS deliveries (HTTP/S notifications and retried SQS sends) with their retry state.
    SnsDeliveries,
    /// One record per Kinesis stream (shards, settings, tags, consumers).
    KinesisStreams,
    /// Kinesis data records, keyed by stream id + shard index + sequence number (big-endian).
    KinesisRecords,
}

impl Keyspace {
    /// Every keyspace, in a fixed order (the order of [`Keyspace::index`]).
    pub const ALL: [Keyspace; 11] = [
        Keyspace::Meta,
        Keyspace::SqsQueues,
        Keyspace::SqsMessages,
        Keyspace::SqsState,
        Keyspace::SqsDedup,
        Keyspace::SnsTopics,
        Keyspace::SnsSubscriptions,
        Keyspace::SnsMeta,
        Keyspace::SnsDeliveries,
        Keyspace::KinesisStreams,
        Keyspace::KinesisRecords,
    ];

    /// Number of keyspaces.
    pub const COUNT: usize = Self::ALL.len();

    /// Stable on-disk name of the keyspace (the fjall keyspace name).
    pub const fn name(self) -> &'static str {
        match self {
            Keyspace::Meta => "meta",
            Keyspace::SqsQueues => "sqs_queues",
            Keyspace::SqsMessages => "sqs_messages",
            Keyspace::SqsState => "sqs_state",
            Keyspace::SqsDedup => "sqs_dedup",
            Keyspace::SnsTopics => "sns_topics",
            Keyspace::SnsSubscriptions => "sns_subscriptions",
            Keyspace::SnsMeta => "sns_meta",
            Keyspace::SnsDeliveries => "sns_deliveries",
            Keyspace::KinesisStreams => "kinesis_streams",
            Keyspace::KinesisRecords => "kinesis_records",
        }
    }

    /// Dense index in `0..Keyspace::COUNT`.
    pub const fn index(self) -> usize {
        match self {
            Keyspace::Meta => 0,
            Keyspace::SqsQueues => 1,
            Keyspace::SqsMessages => 2,
            Keyspace::SqsState => 3,
            Keyspace::SqsDedup => 4,
            Keyspace::SnsTopics => 5,
            Keyspace::SnsSubscriptions => 6,
            Keyspace::SnsMeta => 7,
            Keyspace::SnsDeliveries => 8,
            Keyspace::KinesisStreams => 9,
            Keyspace::KinesisRecords => 10,
        }
    }
}

/// One operation of a [`Batch`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Op {
    Put {
        ks: Keyspace,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        ks: Keyspace,
        key: Vec<u8>,
    },
    /// Every key in `start..end` (`end: None`: no upper bound).
    DeleteRange {
        ks: Keyspace,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
    },
    /// Store-internal (the reclaimer): removes those of `keys` that a live range deletion still covers.
    ReclaimKeys {
        ks: Keyspace,
        keys: Vec<Vec<u8>>,
    },
    /// Store-internal (the reclaimer): rewrites the keyspace's anchor key (see `ranges::ANCHOR_KEY`).
    Anchor {
        ks: Keyspace,
    },
    /// Store-internal (the reclaimer): `start..end` of the range deletion `id` is physically gone; forget it
    /// (only if `id` still covers it).
    FinishRange {
        ks: Keyspace,
        id: u64,
        start: Vec<u8>,
        end: Option<Vec<u8>>,
    },
}

/// An ordered list of writes that is applied atomically: after a crash either
/// all of its operations are visible or none is. Operations take effect in
/// the order they were added (a `put` after a `delete_range` survives it).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Batch {
    pub(crate) ops: Vec<Op>,
}

impl Batch {
    /// An empty batch.
    pub fn new() -> Self {
        Batch { ops: Vec::new() }
    }

    /// True if no operation was added.
    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    /// Number of operations.
    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// Inserts or overwrites `key`. Keys must be 1..=65535 bytes long.
    pub fn put(&mut self, keyspace: Keyspace, key: impl Into<Vec<u8>>, value: impl Into<Vec<u8>>) {
        self.ops.push(Op::Put {
            ks: keyspace,
            key: key.into(),
            value: value.into(),
        });
    }

    /// Removes `key` (no-op if absent). Keys must be 1..=65535 bytes long.
    pub fn delete(&mut self, keyspace: Keyspace, key: impl Into<Vec<u8>>) {
        self.ops.push(Op::Delete {
            ks: keyspace,
            key: key.into(),
        });
    }

    /// Removes every key `k` with `start <= k < end` (half-open; nothing if `start >= end`) at a cost
    /// independent of the number of keys: the batch records one range deletion, reads stop returning the
    /// keys at once, and a background reclaimer removes them from disk later (see `docs/storage.md`).
    ///
    /// Intended for ranges the caller never writes again (a deleted queue's id, sequence numbers below a
    /// purge point). Writing into a range still being reclaimed is correct (the write survives, the older
    /// keys stay deleted) but costs what a key-by-key deletion of the range's leftovers costs, at that write.
    /// `start` must be at most 65534 bytes long.
    pub fn delete_range(
        &mut self,
        keyspace: Keyspace,
        start: impl Into<Vec<u8>>,
        end: impl Into<Vec<u8>>,
    ) {
        let (start, end) = (start.into(), end.into());
        if start < end {
            self.ops.push(Op::DeleteRange {
                ks: keyspace,
                start,
                end: Some(end),
            });
        }
    }

    /// Removes every key starting with `prefix` (an empty prefix clears the
    /// keyspace): a [`Batch::delete_range`] of the keys between `prefix` and
    /// the next prefix, with the same cost and the same advice against reuse.
    pub fn delete_prefix(&mut self, keyspace: Keyspace, prefix: impl Into<Vec<u8>>) {
        let start = prefix.into();
        let end = prefix_end(&start);
        self.ops.push(Op::DeleteRange {
            ks: keyspace,
            start,
            end,
        });
    }

    /// Rejects keys/values the engine cannot store, before they reach it.
    pub(crate) fn validate(&self) -> Result<(), StoreError> {
        for op in &self.ops {
            match op {
                Op::Put { ks, key, value } => {
                    check_key(*ks, key)?;
                    if value.len() > MAX_VALUE_LEN {
                        return Err(StoreError::Engine(format!(
                            "invalid batch: value of {} bytes in keyspace {} exceeds the limit of {MAX_VALUE_LEN}",
                            value.len(),
                            ks.name()
                        )));
                    }
                }
                Op::Delete { ks, key } => check_key(*ks, key)?,
                Op::DeleteRange { ks, start, .. } => {
                    // The range's record in the store is keyed by a keyspace byte + `start`.
                    if start.len() >= MAX_KEY_LEN {
                        return Err(StoreError::Engine(format!(
                            "invalid batch: range start of {} bytes in keyspace {} exceeds the limit of {}",
                            start.len(),
                            ks.name(),
                            MAX_KEY_LEN - 1
                        )));
                    }
                }
                Op::ReclaimKeys { .. } | Op::Anchor { .. } | Op::FinishRange { .. } => {}
            }
        }
        Ok(())
    }
}

fn check_key(ks: Keyspace, key: &[u8]) -> Result<(), StoreError> {
    if key == crate::ranges::ANCHOR_KEY {
        return Err(StoreError::Engine(format!(
            "invalid batch: key {:?} in keyspace {} is reserved by the store",
            String::from_utf8_lossy(key),
            ks.name()
        )));
    }
    if key.is_empty() || key.len() > MAX_KEY_LEN {
        return Err(StoreError::Engine(format!(
            "invalid batch: key of {} bytes in keyspace {} (keys must be 1..={MAX_KEY_LEN} bytes)",
            key.len(),
            ks.name()
        )));
    }
    Ok(())
}

/// True if `key` can exist in the store at all (used to short-cut reads).
pub(crate) fn key_is_storable(key: &[u8]) -> bool {
    !key.is_empty() && key.len() <= MAX_KEY_LEN && key != crate::ranges::ANCHOR_KEY
}

/// The smallest key after every key starting with `prefix` (`None`: there is none).
pub(crate) fn prefix_end(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last != u8::MAX {
            end.push(last + 1);
            return Some(end);
        }
    }
    None
}
