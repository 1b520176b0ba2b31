//! PutRecord, PutRecords, GetShardIterator, GetRecords.

use std::sync::Arc;

use wharf_store::{Batch, Keyspace};

use super::{check_shard_id, check_stream_ref, HASH_KEY_PATTERN, SEQUENCE_PATTERN};
use crate::error::{ErrorKind, KinesisError, KinesisResult, Validation};
use crate::iterator::ShardIterator;
use crate::model::*;
use crate::stream::{Shard, StoredRecord, Stream};
use crate::{await_commit, hash, limits, persist, seq, Kinesis};

/// In the order AWS lists them in its "Member must satisfy enum value set" message (kinesalite's
/// getShardIterator recording).
pub(crate) const ITERATOR_TYPES: &[&str] = &[
    "AFTER_SEQUENCE_NUMBER",
    "LATEST",
    "AT_TIMESTAMP",
    "AT_SEQUENCE_NUMBER",
    "TRIM_HORIZON",
];

/// One validated record on its way into a shard.
struct Pending {
    hash: u128,
    partition_key: String,
    data: Vec<u8>,
}

/// What a put did to one record.
enum Outcome {
    Stored { shard: Arc<Shard>, seq: u128 },
    Throttled { shard_id: String },
}

/// Where a read starts and what it found.
pub(crate) struct ReadResult {
    pub records: Vec<Arc<StoredRecord>>,
    /// The next position to read from.
    pub next_position: u128,
    /// Whether the reader reached the end of a closed shard.
    pub shard_ended: bool,
    pub millis_behind_latest: u64,
}

impl Kinesis {
    pub async fn put_record(&self, input: PutRecordInput) -> KinesisResult<PutRecordOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        // In AWS's order (kinesalite's recordings): sequenceNumberForOrdering, partitionKey,
        // explicitHashKey, data, then the stream.
        if let Some(seq) = &input.sequence_number_for_ordering {
            v.pattern(
                seq,
                "sequenceNumberForOrdering",
                SEQUENCE_PATTERN,
                seq::matches_pattern(seq),
            );
        }
        // Required unless the stream distributes records itself (checked below, once the stream is known).
        if let Some(key) = &input.partition_key {
            v.length(key, "partitionKey", 1, 256);
        }
        if let Some(key) = &input.explicit_hash_key {
            v.pattern(
                key,
                "explicitHashKey",
                HASH_KEY_PATTERN,
                hash::matches_pattern(key),
            );
        }
        if let Some(data) = v.required(&input.data, "data") {
            if data.0.len() > limits::MAX_DATA_BYTES {
                v.fail_blob(
                    data.0.len(),
                    "data",
                    &format!(
                        "Member must have length less than or equal to {}",
                        limits::MAX_DATA_BYTES
                    ),
                );
            }
        }
        v.finish()?;
        let stream = self.writable_stream(&input.stream)?;
        let auto = stream.meta.read().auto_distribution;
        if !auto {
            let mut v = Validation::new();
            v.required(&input.partition_key, "partitionKey");
            v.finish()?;
        } else if input.sequence_number_for_ordering.is_some() {
            return Err(KinesisError::invalid_argument(format!(
                "SequenceNumberForOrdering cannot be used with stream {} under account {}: it uses the AUTO \
                 record distribution strategy.",
                stream.name, self.config.account_id
            )));
        }
        let hash = if auto {
            0
        } else {
            record_hash(
                input.partition_key.as_deref().unwrap_or_default(),
                input.explicit_hash_key.as_deref(),
            )?
        };
        let data = input.data.map(|d| d.0).unwrap_or_default();
        let partition_key = input.partition_key.unwrap_or_default();
        self.check_record_size(&stream, &partition_key, &data)?;
        let ordering = match &input.sequence_number_for_ordering {
            Some(text) => Some(self.parse_ordering(text, &stream)?),
            None => None,
        };
        if input.dry_run == Some(true) {
            return Err(self.dry_run_passed(&stream.name));
        }
        let pending = vec![Pending {
            hash,
            partition_key,
            data,
        }];
        let (outcomes, encryption) = self.store_records(&stream, pending, ordering).await?;
        match outcomes.into_iter().next() {
            Some(Outcome::Stored { shard, seq }) => Ok(PutRecordOutput {
                shard_id: shard.id.clone(),
                sequence_number: seq::render(seq),
                encryption_type: encryption,
            }),
            Some(Outcome::Throttled { shard_id }) => {
                Err(self.shard_throttled(&shard_id, &stream.name))
            }
            None => Err(KinesisError::internal("Internal service failure.")),
        }
    }

    pub async fn put_records(&self, input: PutRecordsInput) -> KinesisResult<PutRecordsOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(records) = v.required(&input.records, "records") {
            v.count(
                records.len(),
                "records",
                1,
                limits::PUT_RECORDS_MAX_ENTRIES,
                if records.is_empty() {
                    "'[]'"
                } else {
                    "'[...]'"
                },
            );
            for (i, record) in records.iter().enumerate() {
                // AWS's order (kinesalite's recordings): partitionKey, explicitHashKey, data.
                let at = |m: &str| format!("records.{}.member.{m}", i + 1);
                if let Some(key) = &record.partition_key {
                    v.length(key, &at("partitionKey"), 1, 256);
                }
                if let Some(key) = &record.explicit_hash_key {
                    v.pattern(
                        key,
                        &at("explicitHashKey"),
                        HASH_KEY_PATTERN,
                        hash::matches_pattern(key),
                    );
                }
                if let Some(data) = v.required(&record.data, &at("data")) {
                    if data.0.len() > limits::MAX_DATA_BYTES {
                        v.fail_blob(
                            data.0.len(),
                            &at("data"),
                            &format!(
                                "Member must have length less than or equal to {}",
                                limits::MAX_DATA_BYTES
                            ),
                        );
                    }
                }
            }
        }
        v.finish()?;
        let stream = self.writable_stream(&input.stream)?;
        let auto = stream.meta.read().auto_distribution;
        let records = input.records.unwrap_or_default();
        if !auto {
            let mut v = Validation::new();
            for (i, record) in records.iter().enumerate() {
                if record.partition_key.is_none() {
                    v.null(&format!("records.{}.member.partitionKey", i + 1));
                }
            }
            v.finish()?;
        }
        let total: usize = records
            .iter()
            .map(|r| {
                r.data.as_ref().map_or(0, |d| d.0.len())
                    + r.partition_key.as_ref().map_or(0, String::len)
            })
            .sum();
        if total > limits::PUT_RECORDS_MAX_BYTES {
            return Err(KinesisError::invalid_argument(format!(
                "Records size exceeds {} MB limit",
                limits::PUT_RECORDS_MAX_BYTES / (1024 * 1024)
            )));
        }
        let mut pending = Vec::with_capacity(records.len());
        for record in records {
            let partition_key = record.partition_key.unwrap_or_default();
            let hash = if auto {
                0
            } else {
                record_hash(&partition_key, record.explicit_hash_key.as_deref())?
            };
            let data = record.data.map(|d| d.0).unwrap_or_default();
            self.check_record_size(&stream, &partition_key, &data)?;
            pending.push(Pending {
                hash,
                partition_key,
                data,
            });
        }
        if input.dry_run == Some(true) {
            return Err(self.dry_run_passed(&stream.name));
        }
        let (outcomes, encryption) = self.store_records(&stream, pending, None).await?;
        let mut failed = 0;
        let entries = outcomes
            .into_iter()
            .map(|outcome| match outcome {
                Outcome::Stored { shard, seq } => PutRecordsResultEntry {
                    sequence_number: Some(seq::render(seq)),
                    shard_id: Some(shard.id.clone()),
                    ..Default::default()
                },
                Outcome::Throttled { shard_id } => {
                    failed += 1;
                    PutRecordsResultEntry {
                        error_code: Some("ProvisionedThroughputExceededException".into()),
                        error_message: Some(self.rate_exceeded_message(&shard_id, &stream.name)),
                        ..Default::default()
                    }
                }
            })
            .collect();
        Ok(PutRecordsOutput {
            failed_record_count: failed,
            records: entries,
            encryption_type: encryption,
        })
    }

    fn rate_exceeded_message(&self, shard_id: &str, stream_name: &str) -> String {
        format!(
            "Rate exceeded for shard {shard_id} in stream {stream_name} under account {}.",
            self.config.account_id
        )
    }

    /// A shard's read or write quota is used up.
    fn shard_throttled(&self, shard_id: &str, stream_name: &str) -> KinesisError {
        KinesisError::new(
            ErrorKind::ProvisionedThroughputExceeded,
            self.rate_exceeded_message(shard_id, stream_name),
        )
    }

    fn check_record_size(
        &self,
        stream: &Stream,
        partition_key: &str,
        data: &[u8],
    ) -> KinesisResult<()> {
        let max_kib = stream.meta.read().max_record_size_kib as usize;
        let size = data.len() + partition_key.len();
        if size > max_kib * 1024 {
            return Err(KinesisError::invalid_argument(format!(
                "Record size {size} bytes (data plus partition key) exceeds the maximum record size of \
                 {max_kib} KiB of stream {} under account {}.",
                stream.name, self.config.account_id
            )));
        }
        Ok(())
    }

    /// `SequenceNumberForOrdering`: must be one of our sequence numbers and not from the future.
    fn parse_ordering(&self, text: &str, stream: &Stream) -> KinesisResult<u128> {
        let invalid = || {
            KinesisError::invalid_argument(format!(
                "ExclusiveMinimumSequenceNumber {text} used in PutRecord on stream {} under account {} is invalid.",
                stream.name, self.config.account_id
            ))
        };
        let value = seq::parse(text).ok_or_else(invalid)?;
        let parts = seq::decompose(value).ok_or_else(invalid)?;
        if parts.time_millis > self.now() + 1000 {
            return Err(invalid());
        }
        Ok(value)
    }

    /// Routes each record to its open shard, assigns sequence numbers and submits one batch while holding
    /// the shard locks (ascending shard index, so concurrent puts cannot deadlock), then awaits the commit
    /// and makes the records visible.
    async fn store_records(
        &self,
        stream: &Arc<Stream>,
        pending: Vec<Pending>,
        ordering: Option<u128>,
    ) -> KinesisResult<(Vec<Outcome>, String)> {
        let now = self.now();
        let limits_on = self.config.throughput_limits;
        let (outcomes, encryption, commit, touched) = {
            let meta = stream.meta.read();
            if stream.is_deleted() {
                return Err(self.not_found(&stream.name));
            }
            let mut routed: Vec<Arc<Shard>> = Vec::with_capacity(pending.len());
            for record in &pending {
                let shard = if meta.auto_distribution {
                    // AUTO: the open shards in turn, whatever the keys.
                    let turn = self
                        .auto_turn
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    meta.open.get(turn % meta.open.len().max(1))
                } else {
                    meta.route(record.hash)
                }
                .ok_or_else(|| KinesisError::internal("No open shard covers the hash key."))?;
                routed.push(shard.clone());
            }
            let mut touched: Vec<Arc<Shard>> = routed.clone();
            touched.sort_by_key(|s| s.index);
            touched.dedup_by_key(|s| s.index);
            let mut guards: Vec<_> = touched.iter().map(|s| s.state.lock()).collect();
            let mut batch = Batch::new();
            let mut outcomes = Vec::with_capacity(pending.len());
            for (record, shard) in pending.into_iter().zip(&routed) {
                let slot = touched
                    .binary_search_by_key(&shard.index, |s| s.index)
                    .map_err(|_| KinesisError::internal("Internal service failure."))?;
                let state = &mut guards[slot];
                if state.ending_seq.is_some() {
                    // Closed meanwhile: cannot happen while `meta` is read-locked, but never write to it.
                    return Err(KinesisError::internal("Internal service failure."));
                }
                let bytes = (record.data.len() + record.partition_key.len()) as u64;
                state.offered_bytes += bytes;
                state.offered_records += 1;
                if limits_on && !state.throttle.admit_write(bytes, now) {
                    outcomes.push(Outcome::Throttled {
                        shard_id: shard.id.clone(),
                    });
                    continue;
                }
                if let Some(minimum) = ordering {
                    // Records after `minimum` in time order: never go below it within this shard.
                    if let Some(parts) = seq::decompose(minimum) {
                        state.last_time = state.last_time.max(parts.time_millis);
                    }
                }
                let seq = state.next_seq(shard.index, now);
                batch.put(
                    Keyspace::KinesisRecords,
                    persist::record_key(stream.id, shard.index, seq),
                    persist::encode_record(&record.partition_key, &record.data),
                );
                let stored = Arc::new(StoredRecord {
                    seq,
                    partition_key: record.partition_key,
                    data: record.data,
                });
                state.tail_bytes += stored.size();
                state.tail.push_back(stored);
                outcomes.push(Outcome::Stored {
                    shard: shard.clone(),
                    seq,
                });
            }
            let commit = self.submit(batch);
            drop(guards);
            (
                outcomes,
                meta.encryption_type().to_string(),
                commit,
                touched,
            )
        };
        await_commit(commit).await?;
        for shard in &touched {
            let mut state = shard.state.lock();
            let newest = outcomes
                .iter()
                .filter_map(|o| match o {
                    Outcome::Stored { shard: s, seq } if s.index == shard.index => Some(*seq),
                    _ => None,
                })
                .max();
            if let Some(newest) = newest {
                state.visible_seq = state.visible_seq.max(newest);
            }
            state.trim_tail(self.config.tail_cache_bytes, self.config.tail_cache_records);
            drop(state);
            shard.notify.notify_waiters();
        }
        Ok((outcomes, encryption))
    }

    pub fn get_shard_iterator(
        &self,
        input: GetShardIteratorInput,
    ) -> KinesisResult<GetShardIteratorOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(id) = v.required(&input.shard_id, "shardId") {
            check_shard_id(&mut v, id, "shardId");
        }
        if let Some(kind) = v.required(&input.shard_iterator_type, "shardIteratorType") {
            v.one_of(kind, "shardIteratorType", ITERATOR_TYPES);
        }
        if let Some(seq) = &input.starting_sequence_number {
            v.pattern(
                seq,
                "startingSequenceNumber",
                SEQUENCE_PATTERN,
                seq::matches_pattern(seq),
            );
        }
        v.finish()?;
        let name = self.name_of(&input.stream)?;
        let shard_id = input.shard_id.as_deref().unwrap_or_default();
        let kind = input.shard_iterator_type.as_deref().unwrap_or_default();
        let index = self.shard_index_or_not_found(shard_id, &name)?;
        let stream = match self.lookup(&name) {
            Ok(stream) if !stream.is_deleted() => stream,
            _ => return Err(self.shard_does_not_exist(index, &name)),
        };
        let now = self.now();
        let meta = stream.meta.read();
        // A CREATING stream has no shards yet.
        if meta.status(now) == crate::stream::STATUS_CREATING {
            return Err(self.shard_does_not_exist(index, &name));
        }
        let shard = meta
            .shard(index)
            .cloned()
            .ok_or_else(|| self.shard_does_not_exist(index, &name))?;
        let needs_seq = matches!(kind, "AT_SEQUENCE_NUMBER" | "AFTER_SEQUENCE_NUMBER");
        match (&input.starting_sequence_number, needs_seq) {
            (None, true) => {
                return Err(KinesisError::invalid_argument(format!(
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and \
                     StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. \
                     Request specified {kind} and no StartingSequenceNumber."
                )))
            }
            (Some(_), false) if kind != "AT_TIMESTAMP" => {
                return Err(KinesisError::invalid_argument(format!(
                    "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and \
                     StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber. \
                     Request specified {kind} and also a StartingSequenceNumber."
                )))
            }
            _ => {}
        }
        let trim_horizon = self.trim_horizon(&shard, meta.retention_millis(), now);
        let position = match kind {
            "TRIM_HORIZON" => trim_horizon,
            "LATEST" => shard.state.lock().last_seq + 1,
            "AT_TIMESTAMP" => {
                let Some(ts) = input.timestamp else {
                    return Err(KinesisError::invalid_argument(
                        "Must specify timestampInMillis parameter for iterator of type AT_TIMESTAMP. \
                         Current request has no timestamp parameter.",
                    ));
                };
                if ts.0 > now {
                    return Err(KinesisError::invalid_argument(format!(
                        "The timestampInMillis parameter cannot be greater than the \
                         currentTimestampInMillis. timestampInMillis: {}, currentTimestampInMillis: {now}",
                        ts.0
                    )));
                }
                seq::compose(ts.0, index, 0).max(trim_horizon)
            }
            _ => {
                let text = input
                    .starting_sequence_number
                    .as_deref()
                    .unwrap_or_default();
                let value = self.check_starting_sequence(text, &shard, &name)?;
                if kind == "AFTER_SEQUENCE_NUMBER" {
                    value.saturating_add(1)
                } else {
                    value
                }
            }
        };
        if input.dry_run == Some(true) {
            return Err(self.dry_run_passed(&stream.name));
        }
        if self.config.throughput_limits && !shard.state.lock().throttle.admit_iterator(now) {
            return Err(self.shard_throttled(&shard.id, &stream.name));
        }
        Ok(GetShardIteratorOutput {
            shard_iterator: ShardIterator {
                stream_id: stream.id,
                shard_index: index,
                position,
                issued_millis: now,
                stream_name: stream.name.clone(),
            }
            .encode(),
        })
    }

    /// A starting sequence number must be ours, of this shard, and not older than the shard.
    pub(crate) fn check_starting_sequence(
        &self,
        text: &str,
        shard: &Shard,
        stream_name: &str,
    ) -> KinesisResult<u128> {
        let invalid = |suffix: &str| {
            KinesisError::invalid_argument(format!(
                "StartingSequenceNumber {text} used in GetShardIterator on shard {} in stream {stream_name} \
                 under account {} is invalid{suffix}.",
                shard.id, self.config.account_id
            ))
        };
        let value = seq::parse(text).ok_or_else(|| invalid(""))?;
        let parts = seq::decompose(value).ok_or_else(|| invalid(""))?;
        if parts.shard_index != shard.index {
            return Err(KinesisError::invalid_argument(format!(
                "Invalid StartingSequenceNumber. It encodes {}, while it was used in a call to a shard with {}",
                crate::stream::shard_id(parts.shard_index),
                shard.id
            )));
        }
        if value < shard.starting_seq {
            return Err(invalid(" because it did not come from this stream"));
        }
        Ok(value)
    }

    /// The oldest position still within retention.
    pub(crate) fn trim_horizon(&self, shard: &Shard, retention_millis: u64, now: u64) -> u128 {
        let cutoff = seq::compose(now.saturating_sub(retention_millis), shard.index, 0);
        let trimmed = shard.state.lock().trimmed_below;
        shard.starting_seq.max(cutoff).max(trimmed)
    }

    pub async fn get_records(&self, input: GetRecordsInput) -> KinesisResult<GetRecordsOutput> {
        let mut v = Validation::new();
        // `limit` before `shardIterator`, as AWS lists them (kinesalite's getRecords recording).
        // Below the model's minimum is a validation error; above 10,000 the API reference documents
        // InvalidArgumentException ("If you specify a value that is greater than 10,000, GetRecords throws
        // InvalidArgumentException").
        if let Some(limit) = input.limit {
            v.range(limit, "limit", Some(1), None);
        }
        if let Some(iterator) = v.required(&input.shard_iterator, "shardIterator") {
            v.length(iterator, "shardIterator", 1, 512);
        }
        if let Some(arn) = &input.stream_arn {
            super::check_stream_arn(&mut v, arn, "streamARN");
        }
        v.finish()?;
        if let Some(limit) = input.limit.filter(|&l| l > limits::GET_RECORDS_MAX_LIMIT) {
            return Err(KinesisError::invalid_argument(format!(
                "Limit {limit} is greater than the maximum of {}.",
                limits::GET_RECORDS_MAX_LIMIT
            )));
        }
        let text = input.shard_iterator.as_deref().unwrap_or_default();
        let iterator = ShardIterator::decode(text)
            .ok_or_else(|| KinesisError::invalid_argument("Invalid ShardIterator."))?;
        let now = self.now();
        if now.saturating_sub(iterator.issued_millis) > limits::ITERATOR_LIFETIME_MILLIS {
            return Err(KinesisError::new(
                ErrorKind::ExpiredIterator,
                format!(
                    "Iterator expired. The iterator was created at time {} while right now it is {} which \
                     is further in the future than the tolerated delay of {} milliseconds.",
                    crate::time::java_date(iterator.issued_millis),
                    crate::time::java_date(now),
                    limits::ITERATOR_LIFETIME_MILLIS
                ),
            ));
        }
        if let Some(arn) = &input.stream_arn {
            if self.stream_name_from_arn(arn).as_deref() != Some(iterator.stream_name.as_str()) {
                return Err(KinesisError::invalid_argument(format!(
                    "StreamARN {arn} does not match the stream of the shard iterator."
                )));
            }
        }
        let stream = self.by_id.read().get(&iterator.stream_id).cloned();
        // An iterator of a deleted stream reads the stream created again under its name, if that has
        // the shard (AWS's answer recorded in kinesalite's getRecords test: 200 and a NextShardIterator
        // for shardId-000000000000 of the new one-shard stream, "does not exist" for shardId-000000000001).
        let stream = stream.filter(|s| !s.is_deleted()).or_else(|| {
            self.lookup(&iterator.stream_name)
                .ok()
                .filter(|s| !s.is_deleted())
        });
        let Some(stream) = stream else {
            return Err(self.shard_does_not_exist(iterator.shard_index, &iterator.stream_name));
        };
        // A finished reshard closes this shard: readers reach its end and the children.
        crate::transitions::detach(self.settle(&stream));
        let (shard, children, retention) = {
            let meta = stream.meta.read();
            // A CREATING stream (only reachable here through a re-created name) has no shards yet.
            let creating = meta.status(now) == crate::stream::STATUS_CREATING;
            let shard = meta
                .shard(iterator.shard_index)
                .filter(|_| !creating)
                .cloned()
                .ok_or_else(|| self.shard_does_not_exist(iterator.shard_index, &stream.name))?;
            let children = meta.children_of(shard.index);
            (shard, children, meta.retention_millis())
        };
        // A dry run checks the iterator and its shard, then reads nothing (and uses no read quota).
        if input.dry_run == Some(true) {
            return Err(self.dry_run_passed(&stream.name));
        }
        if self.config.throughput_limits && !shard.state.lock().throttle.admit_read(now) {
            return Err(self.shard_throttled(&shard.id, &stream.name));
        }
        let limit = input.limit.unwrap_or(limits::GET_RECORDS_MAX_LIMIT) as usize;
        let read = self
            .read_shard(&stream, &shard, iterator.position, limit, retention, now)
            .await?;
        let bytes: usize = read.records.iter().map(|r| r.size()).sum();
        if self.config.throughput_limits {
            shard.state.lock().throttle.charge_read(bytes as u64, now);
        }
        let encryption = stream.meta.read().encryption_type();
        let next_shard_iterator = (!read.shard_ended).then(|| {
            ShardIterator {
                stream_id: stream.id,
                position: read.next_position,
                issued_millis: now,
                ..iterator.clone()
            }
            .encode()
        });
        Ok(GetRecordsOutput {
            records: read
                .records
                .iter()
                .map(|r| to_model(r, encryption))
                .collect(),
            next_shard_iterator,
            millis_behind_latest: read.millis_behind_latest,
            child_shards: read.shard_ended.then_some(children),
        })
    }

    /// Reads up to `limit` visible records of `shard` from `position` on: from the tail when it covers the
    /// position, otherwise from the store (off the async threads).
    pub(crate) async fn read_shard(
        &self,
        stream: &Stream,
        shard: &Arc<Shard>,
        position: u128,
        limit: usize,
        retention_millis: u64,
        now: u64,
    ) -> KinesisResult<ReadResult> {
        let start = position.max(self.trim_horizon(shard, retention_millis, now));
        let (cached, visible, ending) = {
            let state = shard.state.lock();
            (
                state.read_tail(start, limit, limits::GET_RECORDS_MAX_BYTES),
                state.visible_seq,
                state.ending_seq,
            )
        };
        let records = match cached {
            Some(records) => records,
            None => {
                self.scan_records(stream.id, shard.index, start, visible, limit)
                    .await?
            }
        };
        let next_position = records.last().map_or(start, |r| r.seq + 1);
        // No record has the shard's starting number (the counter starts at 1), so a visible number
        // still equal to it means the shard holds nothing: a reader of an empty shard is caught up.
        let caught_up = next_position > visible || visible == shard.starting_seq;
        let shard_ended = caught_up && ending.is_some();
        let millis_behind_latest = match records.last() {
            Some(last) if !caught_up => now.saturating_sub(last.arrival_millis()),
            _ => 0,
        };
        Ok(ReadResult {
            records,
            next_position,
            shard_ended,
            millis_behind_latest,
        })
    }

    /// Committed records of one shard in `[from, through]`, at most `limit` and about 10 MiB.
    async fn scan_records(
        &self,
        stream_id: u64,
        shard_index: u32,
        from: u128,
        through: u128,
        limit: usize,
    ) -> KinesisResult<Vec<Arc<StoredRecord>>> {
        if from > through {
            return Ok(Vec::new());
        }
        let store = self.store.clone();
        let task = tokio::task::spawn_blocking(move || -> KinesisResult<Vec<Arc<StoredRecord>>> {
            const CHUNK: usize = 256;
            let end = persist::record_key(stream_id, shard_index, through.saturating_add(1));
            let end = if through == u128::MAX {
                persist::shard_end_key(stream_id, shard_index)
            } else {
                end
            };
            let mut out: Vec<Arc<StoredRecord>> = Vec::new();
            let mut bytes = 0usize;
            let mut cursor = persist::record_key(stream_id, shard_index, from);
            loop {
                let want = CHUNK.min(limit - out.len());
                let chunk =
                    store.scan_range(Keyspace::KinesisRecords, &cursor, &end, want, false)?;
                let exhausted = chunk.len() < want;
                for (key, value) in chunk {
                    let (Some(seq), Some((partition_key, data))) =
                        (persist::seq_of_key(&key), persist::decode_record(&value))
                    else {
                        continue;
                    };
                    let record = StoredRecord {
                        seq,
                        partition_key,
                        data,
                    };
                    if !out.is_empty() && bytes + record.size() > limits::GET_RECORDS_MAX_BYTES {
                        return Ok(out);
                    }
                    bytes += record.size();
                    cursor = persist::record_key(stream_id, shard_index, seq.saturating_add(1));
                    out.push(Arc::new(record));
                }
                if exhausted || out.len() >= limit {
                    return Ok(out);
                }
            }
        });
        task.await
            .map_err(|_| KinesisError::internal("Internal service failure."))?
    }
}

/// The hash key of a record: its `ExplicitHashKey`, or the MD5 of its partition key.
fn record_hash(partition_key: &str, explicit: Option<&str>) -> KinesisResult<u128> {
    match explicit {
        Some(text) => hash::parse(text).ok_or_else(|| {
            KinesisError::invalid_argument(format!(
                "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. \
                 Specified value was {text}"
            ))
        }),
        None => Ok(hash::partition_hash(partition_key)),
    }
}

pub(crate) fn to_model(record: &StoredRecord, encryption: &str) -> Record {
    Record {
        sequence_number: seq::render(record.seq),
        approximate_arrival_timestamp: Timestamp(record.arrival_millis()),
        data: Blob(record.data.clone()),
        partition_key: record.partition_key.clone(),
        encryption_type: (encryption == "KMS").then(|| "KMS".to_string()),
    }
}
