//! CreateStream, DeleteStream, DescribeStream, DescribeStreamSummary, ListStreams, DescribeLimits.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine;
use parking_lot::RwLock;
use wharf_store::{Batch, Keyspace};

use super::{check_name, check_stream_ref, check_tags};
use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::*;
use crate::persist::PendingChange;
use crate::stream::{
    Shard, Stream, StreamMeta, DISTRIBUTION_AUTO, DISTRIBUTION_BY_KEY, STATUS_ACTIVE,
    STATUS_CREATING,
};
use crate::throttle::api;
use crate::{await_commit, hash, limits, persist, Kinesis};

pub(crate) const MODES: &[&str] = &["PROVISIONED", "ON_DEMAND"];
pub(crate) const DISTRIBUTION_STRATEGIES: &[&str] = &[DISTRIBUTION_AUTO, DISTRIBUTION_BY_KEY];

impl Kinesis {
    pub async fn create_stream(&self, input: CreateStreamInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        if let Some(name) = v.required(&input.stream_name, "streamName") {
            check_name(&mut v, name, "streamName");
        }
        if let Some(count) = input.shard_count {
            v.range(count, "shardCount", Some(1), None);
        }
        if let Some(details) = &input.stream_mode_details {
            if let Some(mode) = v.required(&details.stream_mode, "streamModeDetails.streamMode") {
                v.one_of(mode, "streamModeDetails.streamMode", MODES);
            }
        }
        if let Some(tags) = &input.tags {
            check_tags(&mut v, tags, "tags");
        }
        if let Some(size) = input.max_record_size_in_kib {
            v.range(
                size,
                "maxRecordSizeInKiB",
                Some(limits::MIN_MAX_RECORD_SIZE_KIB),
                Some(limits::MAX_MAX_RECORD_SIZE_KIB),
            );
        }
        if let Some(warm) = input.warm_throughput_mi_bps {
            v.range(warm, "warmThroughputMiBps", Some(0), None);
        }
        if let Some(strategy) = &input.record_distribution_strategy {
            v.one_of(
                strategy,
                "recordDistributionStrategy",
                DISTRIBUTION_STRATEGIES,
            );
        }
        v.finish()?;
        let name = input.stream_name.unwrap_or_default();
        self.rate_limit(api::CREATE_STREAM, Some(&name))?;
        let mode = input
            .stream_mode_details
            .and_then(|d| d.stream_mode)
            .unwrap_or_else(|| {
                if input.shard_count.is_some() {
                    "PROVISIONED".into()
                } else {
                    "ON_DEMAND".into()
                }
            });
        // "The record distribution strategy is only supported for streams that use the on-demand capacity
        // mode."
        let auto_distribution =
            input.record_distribution_strategy.as_deref() == Some(DISTRIBUTION_AUTO);
        if auto_distribution && mode != "ON_DEMAND" {
            return Err(KinesisError::invalid_argument(format!(
                "The AUTO record distribution strategy is only supported for ON_DEMAND streams; stream \
                 {name} under account {} would be in {mode} mode.",
                self.config.account_id
            )));
        }
        let shard_count = if mode == "ON_DEMAND" {
            limits::ON_DEMAND_DEFAULT_SHARDS
        } else {
            match input.shard_count {
                Some(count) => u32::try_from(count).unwrap_or(u32::MAX),
                None => {
                    return Err(KinesisError::invalid_argument(
                        "ShardCount must be specified for a stream in PROVISIONED mode.",
                    ))
                }
            }
        };
        if let Some(tags) = &input.tags {
            super::tags::check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
            if tags.len() > limits::MAX_TAGS {
                return Err(KinesisError::invalid_argument(format!(
                    "Failed to create stream {name} under account {}: a stream may have at most {} tags.",
                    self.config.account_id,
                    limits::MAX_TAGS
                )));
            }
        }

        let now = self.now();
        let commit = {
            let mut streams = self.streams.write();
            if let Some(existing) = streams.get(&name) {
                let deleting = existing.meta.read().deleting_until_millis;
                match deleting {
                    Some(until) if now >= until => {
                        // The old stream's deletion is over: finish it in the store first (submitted
                        // before the new stream's record, which reuses the key).
                        let mut batch = Batch::new();
                        persist::delete_stream(&mut batch, existing.id, &existing.name);
                        crate::transitions::detach(self.submit(batch));
                        streams.remove(&name);
                    }
                    _ => {
                        return Err(KinesisError::in_use(format!(
                            "Stream {name} under account {} already exists.",
                            self.config.account_id
                        )))
                    }
                }
            }
            self.check_shard_limit(&streams, shard_count, 0)?;
            // "Have more than five streams in the CREATING state at any point in time." (A quota like
            // the call rates: off with them.)
            let creating = streams
                .values()
                .filter(|s| !s.is_deleted() && s.meta.read().status(now) == STATUS_CREATING)
                .count();
            if self.config.control_plane_limits && creating >= limits::MAX_CREATING_STREAMS {
                return Err(KinesisError::limit_exceeded(format!(
                    "Cannot create stream {name} under account {}: {creating} streams are already in the \
                     CREATING state, and at most {} may be at once.",
                    self.config.account_id,
                    limits::MAX_CREATING_STREAMS
                )));
            }
            if mode == "ON_DEMAND" {
                let on_demand = streams
                    .values()
                    .filter(|s| s.meta.read().mode == "ON_DEMAND" && !s.is_deleted())
                    .count();
                if on_demand >= self.config.on_demand_stream_limit as usize {
                    return Err(KinesisError::limit_exceeded(format!(
                        "This request would exceed the on-demand stream count limit for the account {} in {}. \
                         Current on-demand stream count: {on_demand}. Limit: {}.",
                        self.config.account_id, self.config.region, self.config.on_demand_stream_limit
                    )));
                }
            }
            let id = {
                let mut last = self.last_stream_id.lock();
                *last += 1;
                *last
            };
            let shards: Vec<Arc<Shard>> = hash::even_ranges(shard_count)
                .into_iter()
                .enumerate()
                .map(|(i, range)| Arc::new(Shard::new(i as u32, Vec::new(), range, now)))
                .collect();
            let mut meta = StreamMeta {
                stream_id_text: new_stream_id_text(),
                created_millis: now,
                ready_at_millis: now + self.config.transition_delay_millis,
                updating_until_millis: 0,
                pending: None,
                deleting_until_millis: None,
                mode,
                retention_hours: limits::MIN_RETENTION_HOURS as u32,
                tags: input.tags.unwrap_or_default(),
                encryption_key: None,
                shard_level_metrics: BTreeSet::new(),
                max_record_size_kib: input
                    .max_record_size_in_kib
                    .map_or(limits::DEFAULT_MAX_RECORD_SIZE_KIB, |k| k as u32),
                warm_throughput_mibps: input.warm_throughput_mi_bps,
                auto_distribution,
                shard_count_updates: Vec::new(),
                next_shard_index: shard_count,
                shards,
                open: Vec::new(),
                consumers: BTreeMap::new(),
                policies: BTreeMap::new(),
            };
            meta.rebuild_open();
            let stream = Arc::new(Stream {
                id,
                arn: self.stream_arn(&name),
                name: name.clone(),
                meta: RwLock::new(meta),
                deleted: AtomicBool::new(false),
            });
            let mut batch = Batch::new();
            batch.put(
                Keyspace::Meta,
                persist::LAST_STREAM_ID_KEY.to_vec(),
                id.to_string().into_bytes(),
            );
            persist::put_stream(&mut batch, &stream.record(&stream.meta.read()));
            streams.insert(name, stream.clone());
            self.by_id.write().insert(id, stream);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    /// `LimitExceededException` if `adding` more open shards (while `removing` some) would pass the limit.
    pub(crate) fn check_shard_limit(
        &self,
        streams: &BTreeMap<String, Arc<Stream>>,
        adding: u32,
        removing: u32,
    ) -> KinesisResult<()> {
        // A stream UPDATING towards more shards counts them already.
        let open: u32 = streams
            .values()
            .filter(|s| !s.is_deleted())
            .map(|s| {
                let meta = s.meta.read();
                (meta.open.len() as u32).max(meta.open_after_pending())
            })
            .sum();
        let after = open.saturating_sub(removing).saturating_add(adding);
        if adding > removing && after > self.config.shard_limit {
            return Err(KinesisError::limit_exceeded(format!(
                "This request would exceed the shard limit for the account {} in {}. Current shard count \
                 for the account: {open}. Limit: {}. Number of additional shards that would have resulted \
                 from this request: {}. Refer to the AWS Service Limits page \
                 (http://docs.aws.amazon.com/general/latest/gr/aws_service_limits.html) for current limits \
                 and how to request higher limits.",
                self.config.account_id,
                self.config.region,
                self.config.shard_limit,
                adding - removing
            )));
        }
        Ok(())
    }

    pub async fn delete_stream(&self, input: DeleteStreamInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        v.finish()?;
        self.rate_limit_ref(api::DELETE_STREAM, &input.stream)?;
        let stream = self.stream(&input.stream)?;
        let now = self.now();
        let commit = {
            let mut meta = stream.meta.write();
            if stream.is_deleted() {
                return Err(self.not_found(&stream.name));
            }
            // A CREATING stream may be deleted: it goes DELETING at once (AWS's answers recorded in
            // kinesalite's deleteStream test, run against production).
            let registered = meta
                .consumers
                .values()
                .any(|c| c.deleting_until_millis.is_none());
            if registered && input.enforce_consumer_deletion != Some(true) {
                return Err(KinesisError::in_use(format!(
                    "Stream {} under account {} has registered consumers. Deregister the consumers or set \
                     EnforceConsumerDeletion to true.",
                    stream.name, self.config.account_id
                )));
            }
            let delay = self.config.transition_delay_millis;
            stream.deleted.store(true, Ordering::Release);
            meta.consumers.clear();
            // A change the stream was UPDATING towards no longer matters.
            meta.pending = None;
            meta.deleting_until_millis = Some(now + delay);
            for shard in &meta.shards {
                shard.notify.notify_waiters();
            }
            let mut batch = Batch::new();
            if delay == 0 {
                persist::delete_stream(&mut batch, stream.id, &stream.name);
            } else {
                // DELETING survives a restart: the record stays, marked, until the window is over
                // (then the sweep, or recovery, removes it and the records).
                persist::put_stream(&mut batch, &stream.record(&meta));
                self.schedule_settle(now + delay);
            }
            self.by_id.write().remove(&stream.id);
            self.submit(batch)
        };
        if self.config.transition_delay_millis == 0 {
            let mut streams = self.streams.write();
            if streams
                .get(&stream.name)
                .is_some_and(|s| Arc::ptr_eq(s, &stream))
            {
                streams.remove(&stream.name);
            }
        }
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn describe_stream(
        &self,
        input: DescribeStreamInput,
    ) -> KinesisResult<DescribeStreamOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(limit) = input.limit {
            v.range(limit, "limit", Some(1), Some(10_000));
        }
        if let Some(id) = &input.exclusive_start_shard_id {
            super::check_shard_id(&mut v, id, "exclusiveStartShardId");
        }
        v.finish()?;
        let name = self.name_of(&input.stream)?;
        self.rate_limit(api::DESCRIBE_STREAM, Some(&name))?;
        let stream = self.lookup(&name)?;
        let now = self.now();
        let meta = stream.meta.read();
        // Larger limits are accepted, but a page holds at most 100 shards.
        let limit = input
            .limit
            .map_or(limits::DESCRIBE_STREAM_PAGE, |l| l as usize)
            .min(limits::DESCRIBE_STREAM_PAGE);
        let after = input
            .exclusive_start_shard_id
            .as_deref()
            .map(|id| super::parse_shard_index(id).map_or(i64::MAX, i64::from));
        // A CREATING stream has no shards yet (AWS answers `Shards: []` until it is ACTIVE), nor has one
        // deleted while CREATING (kinesalite's deleteStream recording: DELETING with `Shards: []`).
        let creating = now < meta.ready_at_millis;
        let mut shards: Vec<Shard_> = meta
            .shards
            .iter()
            .filter(|_| !creating)
            .filter(|s| after.is_none_or(|a| i64::from(s.index) > a))
            .map(|s| s.describe())
            .collect();
        let has_more = shards.len() > limit;
        shards.truncate(limit);
        Ok(DescribeStreamOutput {
            stream_description: StreamDescription {
                stream_name: stream.name.clone(),
                stream_arn: stream.arn.clone(),
                stream_status: meta.status(now).into(),
                stream_mode_details: StreamModeDetails {
                    stream_mode: Some(meta.mode.clone()),
                },
                shards,
                has_more_shards: has_more,
                retention_period_hours: meta.retention_hours,
                stream_creation_timestamp: Timestamp(meta.created_millis),
                enhanced_monitoring: vec![EnhancedMetrics {
                    shard_level_metrics: meta.shard_level_metrics.iter().cloned().collect(),
                }],
                encryption_type: meta.encryption_type().into(),
                key_id: meta.encryption_key.clone(),
            },
        })
    }

    pub fn describe_stream_summary(
        &self,
        input: StreamOnlyInput,
    ) -> KinesisResult<DescribeStreamSummaryOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        v.finish()?;
        let name = self.name_of(&input.stream)?;
        self.rate_limit(api::DESCRIBE_STREAM_SUMMARY, Some(&name))?;
        let stream = self.lookup(&name)?;
        let now = self.now();
        let meta = stream.meta.read();
        Ok(DescribeStreamSummaryOutput {
            stream_description_summary: StreamDescriptionSummary {
                stream_name: stream.name.clone(),
                stream_arn: stream.arn.clone(),
                stream_id: meta.stream_id_text.clone(),
                stream_status: meta.status(now).into(),
                stream_mode_details: StreamModeDetails {
                    stream_mode: Some(meta.mode.clone()),
                },
                retention_period_hours: meta.retention_hours,
                stream_creation_timestamp: Timestamp(meta.created_millis),
                enhanced_monitoring: vec![EnhancedMetrics {
                    shard_level_metrics: meta.shard_level_metrics.iter().cloned().collect(),
                }],
                encryption_type: meta.encryption_type().into(),
                key_id: meta.encryption_key.clone(),
                open_shard_count: if now < meta.ready_at_millis {
                    0
                } else {
                    meta.open.len() as u32
                },
                consumer_count: meta.consumers.len() as u32,
                // While an UpdateStreamWarmThroughput is under way the stream scales towards its target.
                warm_throughput: match &meta.pending {
                    Some(PendingChange::WarmThroughput { mibps }) => Some(WarmThroughputObject {
                        target_mi_bps: Some(*mibps),
                        current_mi_bps: meta.warm_throughput_mibps,
                    }),
                    _ => meta.warm_throughput_mibps.map(|w| WarmThroughputObject {
                        target_mi_bps: Some(w),
                        current_mi_bps: Some(w),
                    }),
                },
                max_record_size_in_kib: meta.max_record_size_kib,
                record_distribution_strategy: (meta.mode == "ON_DEMAND")
                    .then(|| meta.distribution_strategy().to_string()),
            },
        })
    }

    pub fn list_streams(&self, input: ListStreamsInput) -> KinesisResult<ListStreamsOutput> {
        let mut v = Validation::new();
        if let Some(limit) = input.limit {
            v.range(limit, "limit", Some(1), Some(10_000));
        }
        if let Some(name) = &input.exclusive_start_stream_name {
            check_name(&mut v, name, "exclusiveStartStreamName");
        }
        if let Some(token) = &input.next_token {
            v.length(token, "nextToken", 1, 1_048_576);
        }
        v.finish()?;
        self.rate_limit(api::LIST_STREAMS, None)?;
        if input.next_token.is_some() && input.exclusive_start_stream_name.is_some() {
            return Err(KinesisError::invalid_argument(
                "NextToken and ExclusiveStartStreamName cannot be provided together.",
            ));
        }
        let start_after = match &input.next_token {
            Some(token) => Some(self.decode_next_token(token, "ListStreams")?),
            None => input.exclusive_start_stream_name.clone(),
        };
        self.sweep_deleted();
        let now = self.now();
        // Larger limits are accepted, but a page holds at most 100 streams.
        let limit = input
            .limit
            .map_or(limits::LIST_STREAMS_PAGE, |l| l as usize)
            .min(limits::LIST_STREAMS_PAGE);
        let streams = self.streams.read();
        let mut page: Vec<&Arc<Stream>> = streams
            .range::<String, _>((
                start_after
                    .as_ref()
                    .map_or(std::ops::Bound::Unbounded, std::ops::Bound::Excluded),
                std::ops::Bound::Unbounded,
            ))
            .map(|(_, s)| s)
            .take(limit + 1)
            .collect();
        let has_more = page.len() > limit;
        page.truncate(limit);
        let next_token = (has_more && !page.is_empty())
            .then(|| self.encode_next_token(&page[page.len() - 1].name, now));
        Ok(ListStreamsOutput {
            stream_names: page.iter().map(|s| s.name.clone()).collect(),
            has_more_streams: has_more,
            next_token,
            stream_summaries: page
                .iter()
                .map(|s| {
                    let meta = s.meta.read();
                    StreamSummary {
                        stream_name: s.name.clone(),
                        stream_arn: s.arn.clone(),
                        stream_status: meta.status(now).into(),
                        stream_mode_details: StreamModeDetails {
                            stream_mode: Some(meta.mode.clone()),
                        },
                        stream_creation_timestamp: Timestamp(meta.created_millis),
                    }
                })
                .collect(),
        })
    }

    /// An opaque, expiring pagination token holding the last key of the page.
    pub(crate) fn encode_next_token(&self, last: &str, now: u64) -> String {
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("1|{now}|{last}"))
    }

    /// The last key of the previous page, or `InvalidArgumentException` / `ExpiredNextTokenException`.
    pub(crate) fn decode_next_token(&self, token: &str, operation: &str) -> KinesisResult<String> {
        let invalid =
            || KinesisError::invalid_argument(format!("Invalid NextToken for {operation}."));
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(token)
            .map_err(|_| invalid())?;
        let text = String::from_utf8(bytes).map_err(|_| invalid())?;
        let mut parts = text.splitn(3, '|');
        let (Some("1"), Some(issued), Some(last)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(invalid());
        };
        let issued: u64 = issued.parse().map_err(|_| invalid())?;
        if self.now().saturating_sub(issued) > limits::NEXT_TOKEN_LIFETIME_MILLIS {
            return Err(KinesisError::new(
                crate::ErrorKind::ExpiredNextToken,
                format!("The NextToken for {operation} has expired."),
            ));
        }
        Ok(last.to_string())
    }

    pub fn describe_limits(
        &self,
        _input: DescribeLimitsInput,
    ) -> KinesisResult<DescribeLimitsOutput> {
        self.rate_limit(api::DESCRIBE_LIMITS, None)?;
        self.settle_all();
        let streams = self.streams.read();
        let live = streams.values().filter(|s| !s.is_deleted());
        let mut open = 0u32;
        let mut on_demand = 0u32;
        for stream in live {
            let meta = stream.meta.read();
            open += meta.open.len() as u32;
            if meta.mode == "ON_DEMAND" {
                on_demand += 1;
            }
        }
        Ok(DescribeLimitsOutput {
            shard_limit: self.config.shard_limit,
            open_shard_count: open,
            on_demand_stream_count: on_demand,
            on_demand_stream_count_limit: self.config.on_demand_stream_limit,
        })
    }

    /// Whether the stream is ACTIVE (for tests and the binary's start-up declarations).
    pub fn is_active(&self, name: &str) -> bool {
        self.lookup(name)
            .map(|s| s.meta.read().status(self.now()) == STATUS_ACTIVE)
            .unwrap_or(false)
    }
}

type Shard_ = crate::model::Shard;

/// A `StreamId` in AWS's shape `[a-z0-9]{20}-[a-z0-9]{3}`.
fn new_stream_id_text() -> String {
    let hex = uuid::Uuid::new_v4().simple().to_string();
    format!("{}-{}", &hex[..20], &hex[20..23])
}
