//! ListShards and resharding: SplitShard, MergeShards, UpdateShardCount.
//!
//! Resharding closes the parent shards (each gets an `EndingSequenceNumber` above all its records, so
//! readers drain it and then get `NextShardIterator: null` with `ChildShards`) and opens children whose
//! hash ranges tile the parents' ranges. Like AWS, it is asynchronous: the request is validated against the
//! ACTIVE stream and answered at once with the stream UPDATING; the shards change when the UPDATING
//! window ends (see `crate::transitions`). Until then records keep going to the old, still open shards.

use std::sync::Arc;

use super::{check_shard_id, check_stream_ref, HASH_KEY_PATTERN};
use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::*;
use crate::persist::PendingChange;
use crate::stream::{Shard, Stream, StreamMeta};
use crate::throttle::api;
use crate::{await_commit, hash, limits, seq, Kinesis};

const FILTER_TYPES: &[&str] = &[
    "AFTER_SHARD_ID",
    "AT_TRIM_HORIZON",
    "FROM_TRIM_HORIZON",
    "AT_LATEST",
    "AT_TIMESTAMP",
    "FROM_TIMESTAMP",
];

/// What ListShards pages over, carried in its NextToken.
struct ListShardsCursor {
    stream_name: String,
    after_index: Option<u32>,
    filter_type: Option<String>,
    filter_shard: Option<u32>,
    filter_time: Option<u64>,
}

impl ListShardsCursor {
    fn encode(&self) -> String {
        let opt = |v: Option<String>| v.unwrap_or_default();
        format!(
            "{}/{}/{}/{}/{}",
            self.stream_name,
            opt(self.after_index.map(|i| i.to_string())),
            opt(self.filter_type.clone()),
            opt(self.filter_shard.map(|i| i.to_string())),
            opt(self.filter_time.map(|t| t.to_string())),
        )
    }

    fn decode(text: &str) -> Option<ListShardsCursor> {
        let parts: Vec<&str> = text.split('/').collect();
        let [name, after, filter_type, filter_shard, filter_time] = parts.as_slice() else {
            return None;
        };
        let num = |s: &str| -> Option<Option<u64>> {
            if s.is_empty() {
                Some(None)
            } else {
                s.parse().ok().map(Some)
            }
        };
        Some(ListShardsCursor {
            stream_name: name.to_string(),
            after_index: num(after)?.map(|v| v as u32),
            filter_type: (!filter_type.is_empty()).then(|| filter_type.to_string()),
            filter_shard: num(filter_shard)?.map(|v| v as u32),
            filter_time: num(filter_time)?,
        })
    }
}

impl Kinesis {
    pub fn list_shards(&self, input: ListShardsInput) -> KinesisResult<ListShardsOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(token) = &input.next_token {
            v.length(token, "nextToken", 1, 1_048_576);
        }
        if let Some(id) = &input.exclusive_start_shard_id {
            check_shard_id(&mut v, id, "exclusiveStartShardId");
        }
        if let Some(max) = input.max_results {
            v.range(max, "maxResults", Some(1), Some(limits::LIST_SHARDS_MAX));
        }
        if let Some(filter) = &input.shard_filter {
            if let Some(kind) = v.required(&filter.filter_type, "shardFilter.type") {
                v.one_of(kind, "shardFilter.type", FILTER_TYPES);
            }
            if let Some(id) = &filter.shard_id {
                check_shard_id(&mut v, id, "shardFilter.shardId");
            }
        }
        v.finish()?;
        let now = self.now();
        let cursor = match &input.next_token {
            Some(token) => {
                // AWS names the member that was given (StreamARN: its answer quoted in aws/aws-cli#9635).
                if input.stream.stream_name.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and StreamName cannot be provided together.",
                    ));
                }
                if input.stream.stream_arn.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and StreamARN cannot be provided together.",
                    ));
                }
                if input.exclusive_start_shard_id.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and ExclusiveStartShardId cannot be provided together.",
                    ));
                }
                if input.stream_creation_timestamp.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and StreamCreationTimestamp cannot be provided together.",
                    ));
                }
                // AWS's answer quoted in apache/beam#33478.
                if input.shard_filter.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and ShardFilter cannot be provided together.",
                    ));
                }
                let last = self.decode_next_token(token, "ListShards")?;
                ListShardsCursor::decode(&last).ok_or_else(|| {
                    KinesisError::invalid_argument("Invalid NextToken for ListShards.")
                })?
            }
            None => {
                // AWS's wording (kinesalite's recording), from before StreamARN existed.
                if input.stream.stream_name.is_none() && input.stream.stream_arn.is_none() {
                    return Err(KinesisError::invalid_argument(
                        "Either NextToken or StreamName should be provided.",
                    ));
                }
                let name = self.name_of(&input.stream)?;
                let filter = input.shard_filter.clone().unwrap_or_default();
                let filter_type = filter.filter_type.as_deref().unwrap_or_default();
                // `ShardId` belongs to AFTER_SHARD_ID only, `Timestamp` to AT_ / FROM_TIMESTAMP only.
                if filter.shard_id.is_some() && filter_type != "AFTER_SHARD_ID" {
                    return Err(KinesisError::invalid_argument(format!(
                        "ShardId can only be specified when the ShardFilter type is AFTER_SHARD_ID, \
                         not {filter_type}."
                    )));
                }
                if filter.timestamp.is_some()
                    && !matches!(filter_type, "AT_TIMESTAMP" | "FROM_TIMESTAMP")
                {
                    return Err(KinesisError::invalid_argument(format!(
                        "Timestamp can only be specified when the ShardFilter type is AT_TIMESTAMP or \
                         FROM_TIMESTAMP, not {filter_type}."
                    )));
                }
                let filter_shard = match (&filter.filter_type, &filter.shard_id) {
                    (Some(t), Some(id)) if t == "AFTER_SHARD_ID" => {
                        Some(self.shard_index_or_not_found(id, &name)?)
                    }
                    (Some(t), None) if t == "AFTER_SHARD_ID" => {
                        return Err(KinesisError::invalid_argument(
                            "ShardId must be specified when the ShardFilter type is AFTER_SHARD_ID.",
                        ))
                    }
                    _ => None,
                };
                let filter_time = match (&filter.filter_type, filter.timestamp) {
                    (Some(t), ts) if t == "AT_TIMESTAMP" || t == "FROM_TIMESTAMP" => match ts {
                        Some(ts) => Some(ts.0),
                        None => {
                            return Err(KinesisError::invalid_argument(format!(
                                "Timestamp must be specified when the ShardFilter type is {t}."
                            )))
                        }
                    },
                    _ => None,
                };
                let after_index = match &input.exclusive_start_shard_id {
                    Some(id) => Some(self.shard_index_or_not_found(id, &name)?),
                    None => None,
                };
                ListShardsCursor {
                    stream_name: name,
                    after_index,
                    filter_type: filter.filter_type,
                    filter_shard,
                    filter_time,
                }
            }
        };
        self.rate_limit(api::LIST_SHARDS, Some(&cursor.stream_name))?;
        let stream = self.lookup(&cursor.stream_name)?;
        let meta = stream.meta.read();
        // StreamCreationTimestamp picks one stream among those that had this name: not this one.
        if input
            .stream_creation_timestamp
            .is_some_and(|created| created.0 != meta.created_millis)
        {
            return Err(self.not_found(&stream.name));
        }
        let status = meta.status(now);
        if status == "CREATING" {
            return Err(self.not_active(&stream.name, status));
        }
        let retention_floor = now
            .saturating_sub(meta.retention_millis())
            .max(meta.created_millis);
        let open_at = |shard: &Shard, t: u64| -> bool {
            let state = shard.state.lock();
            (shard.created_millis <= t || shard.parents.is_empty())
                && state.closed_millis.is_none_or(|closed| closed >= t)
        };
        // Larger values are accepted, but a page holds at most 1,000 shards.
        let max = input
            .max_results
            .map_or(limits::LIST_SHARDS_PAGE, |m| m as usize)
            .min(limits::LIST_SHARDS_PAGE);
        let mut selected: Vec<&Arc<Shard>> = meta
            .shards
            .iter()
            .filter(|s| cursor.after_index.is_none_or(|a| s.index > a))
            .filter(|s| match cursor.filter_type.as_deref() {
                Some("AFTER_SHARD_ID") => cursor.filter_shard.is_none_or(|a| s.index > a),
                Some("AT_TRIM_HORIZON") => open_at(s, retention_floor),
                Some("AT_LATEST") => !s.is_closed(),
                Some("AT_TIMESTAMP") => open_at(
                    s,
                    cursor.filter_time.unwrap_or(now).max(meta.created_millis),
                ),
                Some("FROM_TIMESTAMP") => {
                    let t = cursor.filter_time.unwrap_or(now);
                    s.state
                        .lock()
                        .closed_millis
                        .is_none_or(|closed| closed >= t)
                }
                _ => true,
            })
            .take(max + 1)
            .collect();
        let has_more = selected.len() > max;
        selected.truncate(max);
        let next_token = match selected.last() {
            Some(last) if has_more => Some(
                self.encode_next_token(
                    &ListShardsCursor {
                        after_index: Some(last.index),
                        stream_name: stream.name.clone(),
                        filter_type: cursor.filter_type.clone(),
                        filter_shard: cursor.filter_shard,
                        filter_time: cursor.filter_time,
                    }
                    .encode(),
                    now,
                ),
            ),
            _ => None,
        };
        Ok(ListShardsOutput {
            shards: selected.iter().map(|s| s.describe()).collect(),
            next_token,
        })
    }

    pub async fn split_shard(&self, input: SplitShardInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(key) = v.required(&input.new_starting_hash_key, "newStartingHashKey") {
            v.pattern(
                key,
                "newStartingHashKey",
                HASH_KEY_PATTERN,
                hash::matches_pattern(key),
            );
        }
        if let Some(id) = v.required(&input.shard_to_split, "shardToSplit") {
            check_shard_id(&mut v, id, "shardToSplit");
        }
        v.finish()?;
        let name = self.name_of(&input.stream)?;
        self.rate_limit(api::SPLIT_SHARD, Some(&name))?;
        let shard_id = input.shard_to_split.as_deref().unwrap_or_default();
        let index = self.shard_index_or_not_found(shard_id, &name)?;
        let stream = self.stream(&input.stream)?;
        let key_text = input.new_starting_hash_key.as_deref().unwrap_or_default();
        let now = self.now();
        self.check_shard_limit(&self.streams.read(), 2, 1)?;
        let commit = {
            let mut meta = stream.meta.write();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let shard = self.open_shard_for_reshard(&meta, index, &stream, "splitting")?;
            let new_start = hash::parse(key_text);
            let valid = new_start
                .is_some_and(|k| k > shard.hash_start.saturating_add(1) && k < shard.hash_end);
            let Some(new_start) = new_start.filter(|_| valid) else {
                return Err(KinesisError::invalid_argument(format!(
                    "NewStartingHashKey {key_text} used in SplitShard() on shard {} in stream {} under \
                     account {} is not both greater than one plus the shard's StartingHashKey {} and less \
                     than the shard's EndingHashKey {}.",
                    shard.id, stream.name, self.config.account_id, shard.hash_start, shard.hash_end
                )));
            };
            let change = PendingChange::Split {
                shard: shard.index,
                new_start: new_start.to_string(),
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn merge_shards(&self, input: MergeShardsInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(id) = v.required(&input.shard_to_merge, "shardToMerge") {
            check_shard_id(&mut v, id, "shardToMerge");
        }
        if let Some(id) = v.required(&input.adjacent_shard_to_merge, "adjacentShardToMerge") {
            check_shard_id(&mut v, id, "adjacentShardToMerge");
        }
        v.finish()?;
        let name = self.name_of(&input.stream)?;
        self.rate_limit(api::MERGE_SHARDS, Some(&name))?;
        let first_index = self
            .shard_index_or_not_found(input.shard_to_merge.as_deref().unwrap_or_default(), &name)?;
        let second_index = self.shard_index_or_not_found(
            input.adjacent_shard_to_merge.as_deref().unwrap_or_default(),
            &name,
        )?;
        let stream = self.stream(&input.stream)?;
        let now = self.now();
        let commit = {
            let mut meta = stream.meta.write();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let first = self.open_shard_for_reshard(&meta, first_index, &stream, "merging")?;
            let second = self.open_shard_for_reshard(&meta, second_index, &stream, "merging")?;
            // ShardToMerge must be the lower of the pair: AWS refuses the inverted order with the same
            // answer as for shards that do not touch (kinesalite's recording, run against production).
            if first_index == second_index
                || first.hash_end.checked_add(1) != Some(second.hash_start)
            {
                return Err(KinesisError::invalid_argument(format!(
                    "Shards {} and {} in stream {} under account {} are not an adjacent pair of shards \
                     eligible for merging",
                    first.id, second.id, stream.name, self.config.account_id
                )));
            }
            let change = PendingChange::Merge {
                first: first.index,
                second: second.index,
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn update_shard_count(
        &self,
        input: UpdateShardCountInput,
    ) -> KinesisResult<UpdateShardCountOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(target) = v.required(&input.target_shard_count, "targetShardCount") {
            v.range(*target, "targetShardCount", Some(1), None);
        }
        if let Some(kind) = v.required(&input.scaling_type, "scalingType") {
            v.one_of(kind, "scalingType", &["UNIFORM_SCALING"]);
        }
        v.finish()?;
        self.rate_limit_ref(api::UPDATE_SHARD_COUNT, &input.stream)?;
        let target = u32::try_from(input.target_shard_count.unwrap_or(1)).unwrap_or(u32::MAX);
        let stream = self.stream(&input.stream)?;
        let now = self.now();
        // Checked before taking the write lock: the check reads every stream's settings.
        let open_now = stream.meta.read().open.len() as u32;
        // AWS's wording for UpdateShardCount (kinesalite's recording, run against production).
        self.check_shard_limit(&self.streams.read(), target, open_now)
            .map_err(|_| {
                KinesisError::limit_exceeded(format!(
                    "Target shard count or number of open shards cannot be greater than {}. Current open \
                     shard count: {open_now}, Target shard count: {target}",
                    self.config.shard_limit
                ))
            })?;
        let (current, commit) = {
            let mut meta = stream.meta.write();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            if meta.mode == "ON_DEMAND" {
                return Err(KinesisError::invalid_argument(format!(
                    "UpdateShardCount is not supported for stream {} under account {} in ON_DEMAND mode.",
                    stream.name, self.config.account_id
                )));
            }
            let current = meta.open.len() as u32;
            if u64::from(target) > u64::from(current) * 2 {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale up over double your current open shard count. Current \
                     open shard count: {current}, Target shard count: {target}"
                )));
            }
            if u64::from(target) * 2 < u64::from(current) {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale down below half your current open shard count. Current \
                     open shard count: {current}, Target shard count: {target}"
                )));
            }
            // "Scale up to more than 10000 shards in a stream" / "Scale a stream with more than 10000 shards
            // down unless the result is less than 10000 shards".
            let max = limits::SHARD_COUNT_UPDATE_MAX_SHARDS;
            if target > max && (target > current || current <= max) {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot scale a stream to more than {max} shards. Current open shard \
                     count: {current}, Target shard count: {target}"
                )));
            }
            // "Scale more than ten times per rolling 24-hour period per stream".
            meta.shard_count_updates
                .retain(|&at| now.saturating_sub(at) < limits::SHARD_COUNT_UPDATE_WINDOW_MILLIS);
            if self.config.control_plane_limits
                && target != current
                && meta.shard_count_updates.len() >= limits::SHARD_COUNT_UPDATES_PER_DAY
            {
                return Err(KinesisError::limit_exceeded(format!(
                    "UpdateShardCount cannot be used more than {} times per rolling 24 hours on stream {} \
                     under account {}.",
                    limits::SHARD_COUNT_UPDATES_PER_DAY,
                    stream.name,
                    self.config.account_id
                )));
            }
            let commit = if target != current {
                meta.shard_count_updates.push(now);
                self.begin_update(
                    &stream,
                    &mut meta,
                    PendingChange::ShardCount { target },
                    now,
                )
            } else {
                self.persist_meta(&stream, &meta)
            };
            (current, commit)
        };
        await_commit(commit).await?;
        Ok(UpdateShardCountOutput {
            stream_name: stream.name.clone(),
            current_shard_count: current,
            target_shard_count: target,
            stream_arn: stream.arn.clone(),
        })
    }

    /// The shard to split or merge: it must exist and be open.
    fn open_shard_for_reshard(
        &self,
        meta: &StreamMeta,
        index: u32,
        stream: &Stream,
        action: &str,
    ) -> KinesisResult<Arc<Shard>> {
        let shard = meta.shard(index).cloned().ok_or_else(|| {
            KinesisError::not_found(format!(
                "Could not find shard {} in stream {} under account {}.",
                crate::stream::shard_id(index),
                stream.name,
                self.config.account_id
            ))
        })?;
        if shard.is_closed() {
            return Err(KinesisError::invalid_argument(format!(
                "Shard {} in stream {} under account {} has already been merged or split, and thus is not \
                 eligible for {action}.",
                shard.id, stream.name, self.config.account_id
            )));
        }
        Ok(shard)
    }
}

/// Closes `shard` (open) and opens its two children, `[start, new_start - 1]` and `[new_start, end]`
/// (call with the stream's meta write-locked, then [`StreamMeta::rebuild_open`]).
pub(crate) fn split_open_shard(meta: &mut StreamMeta, shard: &Shard, new_start: u128, now: u64) {
    shard.close(now);
    let first = meta.next_shard_index;
    let child_time = child_creation_time(shard, now);
    meta.shards.push(Arc::new(Shard::new(
        first,
        vec![shard.index],
        (shard.hash_start, new_start - 1),
        child_time,
    )));
    meta.shards.push(Arc::new(Shard::new(
        first + 1,
        vec![shard.index],
        (new_start, shard.hash_end),
        child_time,
    )));
    meta.next_shard_index += 2;
}

/// ON_DEMAND scaling: a shard is measured over a window of at least this long.
pub const AUTOSCALE_WINDOW_MILLIS: u64 = 30_000;
/// ... and split when the writes offered to it over the window exceeded this share of its capacity.
pub const AUTOSCALE_THRESHOLD_PERCENT: u64 = 80;

impl Kinesis {
    /// One ON_DEMAND scaling pass (run by the maintenance task). Wharf's policy — AWS only documents that an
    /// on-demand stream starts with 4 MiB/s of write capacity (4 shards) and scales with its traffic:
    /// every open shard of an ACTIVE ON_DEMAND stream whose offered writes (accepted or throttled) over
    /// the last window of at least [`AUTOSCALE_WINDOW_MILLIS`] exceeded [`AUTOSCALE_THRESHOLD_PERCENT`]
    /// of a shard's 1 MiB/s or 1,000 records/s is split at the middle of its hash range, like SplitShard
    /// (parents close with an ending sequence number, children list them as parents). So capacity at most
    /// doubles per window, where the load is; the stream stays ACTIVE, and the account's shard limit
    /// still applies. Returns the number of shards split.
    pub async fn autoscale_on_demand(&self) -> KinesisResult<usize> {
        if !self.config.on_demand_autoscaling {
            return Ok(0);
        }
        let now = self.now();
        let streams: Vec<Arc<Stream>> = self.streams.read().values().cloned().collect();
        let mut split = 0;
        for stream in streams {
            if stream.is_deleted() {
                continue;
            }
            // A finished UPDATING window first (e.g. a switch to ON_DEMAND).
            await_commit(self.settle(&stream)).await?;
            let hot: Vec<u32> = {
                let meta = stream.meta.read();
                if meta.mode != "ON_DEMAND" || meta.status(now) != "ACTIVE" {
                    continue;
                }
                meta.open
                    .iter()
                    .filter(|shard| is_hot(shard, now) && shard.hash_end > shard.hash_start)
                    .map(|shard| shard.index)
                    .collect()
            };
            if hot.is_empty() {
                continue;
            }
            if let Err(error) =
                self.check_shard_limit(&self.streams.read(), hot.len() as u32 * 2, hot.len() as u32)
            {
                tracing::warn!(stream = %stream.name, %error, "on-demand scaling stopped at the shard limit");
                continue;
            }
            let commit = {
                let mut meta = stream.meta.write();
                if stream.is_deleted() {
                    continue;
                }
                let mut done = 0;
                for index in hot {
                    let Some(shard) = meta.shard(index).cloned() else {
                        continue;
                    };
                    if shard.is_closed() {
                        continue;
                    }
                    let middle = shard.hash_start + (shard.hash_end - shard.hash_start) / 2 + 1;
                    split_open_shard(&mut meta, &shard, middle, now);
                    done += 1;
                }
                if done == 0 {
                    continue;
                }
                split += done;
                meta.rebuild_open();
                self.persist_meta(&stream, &meta)
            };
            await_commit(commit).await?;
        }
        Ok(split)
    }
}

/// Whether the shard's window is over and its offered writes exceeded the threshold; starts a new window.
fn is_hot(shard: &Shard, now: u64) -> bool {
    let mut state = shard.state.lock();
    let elapsed = now.saturating_sub(state.window_start_millis);
    if elapsed < AUTOSCALE_WINDOW_MILLIS {
        return false;
    }
    let bytes_capacity = u128::from(crate::throttle::WRITE_BYTES_PER_SEC) * u128::from(elapsed);
    let records_capacity = u128::from(crate::throttle::WRITE_RECORDS_PER_SEC) * u128::from(elapsed);
    let threshold = u128::from(AUTOSCALE_THRESHOLD_PERCENT);
    // offered / (rate * elapsed / 1000) > threshold / 100
    let hot = u128::from(state.offered_bytes) * 100_000 > threshold * bytes_capacity
        || u128::from(state.offered_records) * 100_000 > threshold * records_capacity;
    state.offered_bytes = 0;
    state.offered_records = 0;
    state.window_start_millis = now;
    hot
}

/// Closes two adjacent open shards and opens one child over both ranges (call with the stream's meta
/// write-locked, then [`StreamMeta::rebuild_open`]).
pub(crate) fn merge_open_shards(meta: &mut StreamMeta, first: &Shard, second: &Shard, now: u64) {
    let (low, high) = if first.hash_start < second.hash_start {
        (first, second)
    } else {
        (second, first)
    };
    first.close(now);
    second.close(now);
    let index = meta.next_shard_index;
    let child_time = child_creation_time(first, now).max(child_creation_time(second, now));
    meta.shards.push(Arc::new(Shard::new(
        index,
        vec![first.index, second.index],
        (low.hash_start, high.hash_end),
        child_time,
    )));
    meta.next_shard_index += 1;
}

/// Children start after their parent's last record, so sequence numbers keep increasing along lineage.
fn child_creation_time(parent: &Shard, now: u64) -> u64 {
    let state = parent.state.lock();
    let ending_time = state
        .ending_seq
        .and_then(seq::decompose)
        .map_or(now, |p| p.time_millis);
    now.max(ending_time)
}

/// Closes every open shard and opens `target` shards over even hash ranges; each new shard's parents are
/// the old shards its range overlaps.
pub(crate) fn reshard_uniformly(meta: &mut StreamMeta, target: u32, now: u64) {
    let old: Vec<Arc<Shard>> = meta.open.clone();
    for shard in &old {
        shard.close(now);
    }
    let child_time = old
        .iter()
        .map(|s| child_creation_time(s, now))
        .max()
        .unwrap_or(now);
    for range in hash::even_ranges(target) {
        let parents: Vec<u32> = old
            .iter()
            .filter(|s| s.hash_start <= range.1 && range.0 <= s.hash_end)
            .map(|s| s.index)
            .collect();
        let index = meta.next_shard_index;
        meta.shards
            .push(Arc::new(Shard::new(index, parents, range, child_time)));
        meta.next_shard_index += 1;
    }
    meta.rebuild_open();
}
