//! Enhanced fan-out: RegisterStreamConsumer, DescribeStreamConsumer, ListStreamConsumers,
//! DeregisterStreamConsumer, and SubscribeToShard as a [`Subscription`] that pushes events as records
//! become visible (it waits on the shard's `Notify`, never polls).

use std::sync::Arc;
use std::time::Duration;

use super::{
    check_name, check_shard_id, check_stream_arn, records::ITERATOR_TYPES, require_stream_arn,
};
use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::*;
use crate::stream::{ConsumerState, Shard, Stream, StreamMeta, STATUS_ACTIVE};
use crate::throttle::api;
use crate::{await_commit, limits, seq, Kinesis};

/// How long one SubscribeToShard call streams events (measured on the injected clock: a test advances a
/// `ManualClock` past it and the subscription ends at its next event).
pub const SUBSCRIPTION_LIFETIME_MILLIS: u64 = 5 * 60 * 1000;
/// A second SubscribeToShard for the same consumer and shard within this long of a successful one is
/// refused with `ResourceInUseException`; later, it takes the subscription over (the older one fails with
/// `ResourceInUseException` at its next event).
pub const RESUBSCRIBE_AFTER_MILLIS: u64 = 5000;

/// The latest successful SubscribeToShard of a (consumer, shard).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Lease {
    started_millis: u64,
    generation: u64,
}

static NEXT_GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
/// An event is sent at least this often, even without records.
pub const HEARTBEAT: Duration = Duration::from_secs(5);

impl Kinesis {
    pub(crate) fn consumer_arn(&self, stream: &Stream, consumer: &ConsumerState) -> String {
        format!(
            "{}/consumer/{}:{}",
            stream.arn,
            consumer.name,
            consumer.created_millis / 1000
        )
    }

    fn consumer_status(&self, consumer: &ConsumerState, now: u64) -> &'static str {
        if consumer.deleting_until_millis.is_some() {
            "DELETING"
        } else if now < consumer.created_millis + self.config.transition_delay_millis {
            "CREATING"
        } else {
            STATUS_ACTIVE
        }
    }

    /// The name of the consumer of `stream` designated by `arn`, if it exists.
    pub(crate) fn consumer_by_arn(&self, stream: &Stream, arn: &str) -> Option<String> {
        let meta = stream.meta.read();
        meta.consumers
            .values()
            .find(|c| self.consumer_arn(stream, c) == arn)
            .map(|c| c.name.clone())
    }

    fn consumer_not_found(&self, what: &str) -> KinesisError {
        KinesisError::not_found(format!(
            "Consumer {what} under account {} not found.",
            self.config.account_id
        ))
    }

    /// Finds a consumer by `ConsumerARN`, or by `StreamARN` + `ConsumerName`.
    fn resolve_consumer(&self, input: &ConsumerRefInput) -> KinesisResult<(Arc<Stream>, String)> {
        if let Some(arn) = &input.consumer_arn {
            let stream_arn = arn.split("/consumer/").next().unwrap_or_default();
            let stream = self
                .stream(&StreamRef {
                    stream_arn: Some(stream_arn.to_string()),
                    ..Default::default()
                })
                .map_err(|_| self.consumer_not_found(arn))?;
            let name = self
                .consumer_by_arn(&stream, arn)
                .ok_or_else(|| self.consumer_not_found(arn))?;
            // All three may be given, "as long as they don't conflict with each other".
            if input.consumer_name.as_ref().is_some_and(|n| *n != name)
                || input.stream_arn.as_ref().is_some_and(|a| *a != stream.arn)
            {
                return Err(KinesisError::invalid_argument(format!(
                    "ConsumerARN {arn} does not refer to the consumer the StreamARN and ConsumerName \
                     designate."
                )));
            }
            return Ok((stream, name));
        }
        match (&input.stream_arn, &input.consumer_name) {
            (Some(stream_arn), Some(name)) => {
                let stream = self.stream(&StreamRef {
                    stream_arn: Some(stream_arn.clone()),
                    ..Default::default()
                })?;
                if !stream.meta.read().consumers.contains_key(name) {
                    return Err(self.consumer_not_found(name));
                }
                Ok((stream, name.clone()))
            }
            _ => Err(KinesisError::invalid_argument(
                "Either ConsumerARN or both ConsumerName and StreamARN must be provided.",
            )),
        }
    }

    fn check_consumer_ref(v: &mut Validation, input: &ConsumerRefInput) {
        if let Some(arn) = &input.stream_arn {
            check_stream_arn(v, arn, "streamARN");
        }
        if let Some(name) = &input.consumer_name {
            check_name(v, name, "consumerName");
        }
        if let Some(arn) = &input.consumer_arn {
            check_consumer_arn(v, arn);
        }
    }

    pub async fn register_stream_consumer(
        &self,
        input: RegisterStreamConsumerInput,
    ) -> KinesisResult<RegisterStreamConsumerOutput> {
        let mut v = Validation::new();
        require_stream_arn(&mut v, &input.stream_arn);
        if let Some(name) = v.required(&input.consumer_name, "consumerName") {
            check_name(&mut v, name, "consumerName");
        }
        if let Some(tags) = &input.tags {
            super::check_tags(&mut v, tags, "tags");
        }
        v.finish()?;
        let stream_ref = StreamRef {
            stream_arn: input.stream_arn.clone(),
            ..Default::default()
        };
        self.rate_limit_ref(api::REGISTER_STREAM_CONSUMER, &stream_ref)?;
        let stream = self.stream(&stream_ref)?;
        if let Some(tags) = &input.tags {
            super::tags::check_tag_chars(tags.iter().flat_map(|(k, v)| [k, v]))?;
        }
        let name = input.consumer_name.unwrap_or_default();
        let now = self.now();
        let (consumer, commit) = {
            let mut meta = stream.meta.write();
            let status = meta.status(now);
            if status != STATUS_ACTIVE && status != "UPDATING" {
                return Err(self.not_active(&stream.name, status));
            }
            if meta.consumers.contains_key(&name) {
                return Err(KinesisError::in_use(format!(
                    "Consumer {name} under stream {} already exists for account {}.",
                    stream.name, self.config.account_id
                )));
            }
            if meta.consumers.len() >= limits::MAX_CONSUMERS {
                return Err(KinesisError::limit_exceeded(format!(
                    "Consumer limit of {} exceeded for stream {} under account {}.",
                    limits::MAX_CONSUMERS,
                    stream.name,
                    self.config.account_id
                )));
            }
            // "Registering a 6th consumer while there are 5 in a CREATING status results in a
            // LimitExceededException."
            let creating = meta
                .consumers
                .values()
                .filter(|c| self.consumer_status(c, now) == "CREATING")
                .count();
            if self.config.control_plane_limits && creating >= limits::MAX_CREATING_CONSUMERS {
                return Err(KinesisError::limit_exceeded(format!(
                    "Cannot register consumer {name} of stream {} under account {}: {creating} consumers of \
                     the stream are already in the CREATING state, and at most {} may be at once.",
                    stream.name,
                    self.config.account_id,
                    limits::MAX_CREATING_CONSUMERS
                )));
            }
            let consumer = ConsumerState {
                name: name.clone(),
                created_millis: now,
                tags: input.tags.unwrap_or_default(),
                deleting_until_millis: None,
            };
            meta.consumers.insert(name, consumer.clone());
            (consumer, self.persist_meta(&stream, &meta))
        };
        await_commit(commit).await?;
        Ok(RegisterStreamConsumerOutput {
            consumer: Consumer {
                consumer_arn: self.consumer_arn(&stream, &consumer),
                consumer_status: self.consumer_status(&consumer, now).into(),
                consumer_creation_timestamp: Timestamp(consumer.created_millis),
                consumer_name: consumer.name,
            },
        })
    }

    pub fn describe_stream_consumer(
        &self,
        input: ConsumerRefInput,
    ) -> KinesisResult<DescribeStreamConsumerOutput> {
        let mut v = Validation::new();
        Self::check_consumer_ref(&mut v, &input);
        v.finish()?;
        let (stream, name) = self.resolve_consumer(&input)?;
        self.rate_limit(api::DESCRIBE_STREAM_CONSUMER, Some(&stream.name))?;
        let now = self.now();
        let meta = stream.meta.read();
        let consumer = meta
            .consumers
            .get(&name)
            .ok_or_else(|| self.consumer_not_found(&name))?;
        Ok(DescribeStreamConsumerOutput {
            consumer_description: ConsumerDescription {
                consumer_name: consumer.name.clone(),
                consumer_arn: self.consumer_arn(&stream, consumer),
                consumer_status: self.consumer_status(consumer, now).into(),
                consumer_creation_timestamp: Timestamp(consumer.created_millis),
                stream_arn: stream.arn.clone(),
            },
        })
    }

    pub fn list_stream_consumers(
        &self,
        input: ListStreamConsumersInput,
    ) -> KinesisResult<ListStreamConsumersOutput> {
        let mut v = Validation::new();
        require_stream_arn(&mut v, &input.stream_arn);
        if let Some(max) = input.max_results {
            v.range(max, "maxResults", Some(1), Some(10_000));
        }
        v.finish()?;
        let stream_ref = StreamRef {
            stream_arn: input.stream_arn.clone(),
            ..Default::default()
        };
        self.rate_limit_ref(api::LIST_STREAM_CONSUMERS, &stream_ref)?;
        let stream = self.stream(&stream_ref)?;
        let after = match &input.next_token {
            Some(token) => {
                if input.stream_creation_timestamp.is_some() {
                    return Err(KinesisError::invalid_argument(
                        "NextToken and StreamCreationTimestamp cannot be provided together.",
                    ));
                }
                Some(self.decode_next_token(token, "ListStreamConsumers")?)
            }
            None => None,
        };
        let now = self.now();
        // Larger values are accepted, but a page holds at most 100 consumers.
        let max = input.max_results.map_or(100, |m| m as usize).min(100);
        let meta = stream.meta.read();
        // StreamCreationTimestamp picks one stream among those that had this name: not this one.
        if input
            .stream_creation_timestamp
            .is_some_and(|created| created.0 != meta.created_millis)
        {
            return Err(self.not_found(&stream.name));
        }
        let mut page: Vec<&ConsumerState> = meta
            .consumers
            .values()
            .filter(|c| after.as_ref().is_none_or(|a| c.name > *a))
            .take(max + 1)
            .collect();
        let has_more = page.len() > max;
        page.truncate(max);
        let next_token = match page.last() {
            Some(last) if has_more => Some(self.encode_next_token(&last.name, now)),
            _ => None,
        };
        Ok(ListStreamConsumersOutput {
            consumers: page
                .into_iter()
                .map(|c| Consumer {
                    consumer_name: c.name.clone(),
                    consumer_arn: self.consumer_arn(&stream, c),
                    consumer_status: self.consumer_status(c, now).into(),
                    consumer_creation_timestamp: Timestamp(c.created_millis),
                })
                .collect(),
            next_token,
        })
    }

    pub async fn deregister_stream_consumer(
        &self,
        input: ConsumerRefInput,
    ) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        Self::check_consumer_ref(&mut v, &input);
        v.finish()?;
        let (stream, name) = self.resolve_consumer(&input)?;
        self.rate_limit(api::DEREGISTER_STREAM_CONSUMER, Some(&stream.name))?;
        // DELETING for the transition delay (its subscriptions end at once), then gone.
        let delay = self.config.transition_delay_millis;
        let until = self.now() + delay;
        let commit = {
            let mut meta = stream.meta.write();
            match meta.consumers.get_mut(&name) {
                Some(consumer) if consumer.deleting_until_millis.is_none() => {
                    if delay == 0 {
                        meta.consumers.remove(&name);
                    } else {
                        consumer.deleting_until_millis = Some(until);
                    }
                }
                _ => return Err(self.consumer_not_found(&name)),
            }
            for shard in &meta.shards {
                shard.notify.notify_waiters();
            }
            self.persist_meta(&stream, &meta)
        };
        await_commit(commit).await?;
        if delay > 0 {
            self.schedule_settle(until);
        }
        Ok(Empty {})
    }

    /// Starts a SubscribeToShard stream: validates everything up front (errors here are plain error
    /// responses), then returns a [`Subscription`] that yields events for up to five minutes.
    pub fn subscribe_to_shard(
        self: &Arc<Self>,
        input: SubscribeToShardInput,
    ) -> KinesisResult<Subscription> {
        let mut v = Validation::new();
        if let Some(arn) = v.required(&input.consumer_arn, "consumerARN") {
            check_consumer_arn(&mut v, arn);
        }
        if let Some(id) = v.required(&input.shard_id, "shardId") {
            check_shard_id(&mut v, id, "shardId");
        }
        if let Some(position) = v.required(&input.starting_position, "startingPosition") {
            if let Some(kind) = v.required(&position.position_type, "startingPosition.type") {
                v.one_of(kind, "startingPosition.type", ITERATOR_TYPES);
            }
        }
        v.finish()?;
        let consumer_arn = input.consumer_arn.clone().unwrap_or_default();
        let (stream, consumer) = self.resolve_consumer(&ConsumerRefInput {
            consumer_arn: Some(consumer_arn.clone()),
            ..Default::default()
        })?;
        let now = self.now();
        let meta = stream.meta.read();
        let status = meta
            .consumers
            .get(&consumer)
            .map(|c| self.consumer_status(c, now))
            .unwrap_or("DELETING");
        if status != STATUS_ACTIVE {
            return Err(KinesisError::in_use(format!(
                "Consumer {consumer_arn} under account {} is not ACTIVE, instead in state {status}.",
                self.config.account_id
            )));
        }
        let shard_id = input.shard_id.clone().unwrap_or_default();
        let index = self.shard_index_or_not_found(&shard_id, &stream.name)?;
        let shard = meta
            .shard(index)
            .cloned()
            .ok_or_else(|| self.shard_does_not_exist(index, &stream.name))?;
        let position = self.starting_position(
            &meta,
            &shard,
            &stream,
            input.starting_position.unwrap_or_default(),
            now,
        )?;
        drop(meta);
        let lease_key = (consumer_arn.clone(), shard.index);
        if input.dry_run == Some(true) {
            // Checked like a real call (a subscription taken less than 5 s ago included), but none is taken.
            let taken = self
                .subscriptions
                .lock()
                .get(&lease_key)
                .is_some_and(|lease| now < lease.started_millis + RESUBSCRIBE_AFTER_MILLIS);
            if taken {
                return Err(self.subscription_in_use(&consumer_arn));
            }
            return Err(self.dry_run_passed(&stream.name));
        }
        let generation = {
            let mut leases = self.subscriptions.lock();
            if let Some(lease) = leases.get(&lease_key) {
                if now < lease.started_millis + RESUBSCRIBE_AFTER_MILLIS {
                    return Err(self.subscription_in_use(&consumer_arn));
                }
            }
            leases.retain(|_, l| now < l.started_millis + SUBSCRIPTION_LIFETIME_MILLIS);
            let generation = NEXT_GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            leases.insert(
                lease_key.clone(),
                Lease {
                    started_millis: now,
                    generation,
                },
            );
            generation
        };
        // Wakes a subscription this one takes over, so that it fails now rather than at its heartbeat.
        shard.notify.notify_waiters();
        Ok(Subscription {
            kinesis: self.clone(),
            stream,
            shard,
            consumer,
            consumer_arn,
            generation,
            position,
            last_delivered: None,
            deadline_millis: now + SUBSCRIPTION_LIFETIME_MILLIS,
            finished: false,
        })
    }

    fn subscription_in_use(&self, consumer_arn: &str) -> KinesisError {
        KinesisError::in_use(format!(
            "Another active subscription exists for this consumer: {consumer_arn}"
        ))
    }

    fn starting_position(
        &self,
        meta: &StreamMeta,
        shard: &Shard,
        stream: &Stream,
        position: StartingPosition,
        now: u64,
    ) -> KinesisResult<u128> {
        let kind = position.position_type.unwrap_or_default();
        let trim_horizon = self.trim_horizon(shard, meta.retention_millis(), now);
        Ok(match kind.as_str() {
            "TRIM_HORIZON" => trim_horizon,
            "LATEST" => shard.state.lock().last_seq + 1,
            "AT_TIMESTAMP" => {
                let ts = position.timestamp.ok_or_else(|| {
                    KinesisError::invalid_argument(
                        "Timestamp must be specified for StartingPosition type AT_TIMESTAMP.",
                    )
                })?;
                seq::compose(ts.0.min(now), shard.index, 0).max(trim_horizon)
            }
            _ => {
                let text = position.sequence_number.ok_or_else(|| {
                    KinesisError::invalid_argument(format!(
                        "SequenceNumber must be specified for StartingPosition type {kind}."
                    ))
                })?;
                let value = self.check_starting_sequence(&text, shard, &stream.name)?;
                if kind == "AFTER_SEQUENCE_NUMBER" {
                    value.saturating_add(1)
                } else {
                    value
                }
            }
        })
    }
}

/// A running SubscribeToShard: call [`Subscription::next_event`] until it returns `None`.
pub struct Subscription {
    kinesis: Arc<Kinesis>,
    stream: Arc<Stream>,
    shard: Arc<Shard>,
    consumer: String,
    consumer_arn: String,
    /// Which SubscribeToShard this is: a newer one for the same consumer and shard supersedes it.
    generation: u64,
    position: u128,
    last_delivered: Option<u128>,
    deadline_millis: u64,
    finished: bool,
}

impl Subscription {
    /// The next event: as soon as records are visible, or an empty one after [`HEARTBEAT`]; `None` once
    /// the subscription's five minutes are over or the end of a closed shard was delivered; an error if
    /// the stream or consumer went away.
    pub async fn next_event(&mut self) -> Option<KinesisResult<SubscribeToShardEvent>> {
        if self.finished || self.kinesis.now() >= self.deadline_millis {
            self.finished = true;
            return None;
        }
        let heartbeat = tokio::time::sleep(HEARTBEAT);
        tokio::pin!(heartbeat);
        let shard = self.shard.clone();
        loop {
            let notified = shard.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.stream.is_deleted()
                || self
                    .stream
                    .meta
                    .read()
                    .consumers
                    .get(&self.consumer)
                    .is_none_or(|c| c.deleting_until_millis.is_some())
            {
                self.finished = true;
                return Some(Err(KinesisError::not_found(format!(
                    "Consumer {} or stream {} under account {} no longer exists.",
                    self.consumer, self.stream.name, self.kinesis.config.account_id
                ))));
            }
            if self.superseded() {
                self.finished = true;
                return Some(Err(self.kinesis.subscription_in_use(&self.consumer_arn)));
            }
            // A reshard whose UPDATING window is over closes this shard (closing wakes us).
            crate::transitions::detach(self.kinesis.settle(&self.stream));
            let now = self.kinesis.now();
            if now >= self.deadline_millis {
                self.finished = true;
                return None;
            }
            let retention = self.stream.meta.read().retention_millis();
            let read = match self
                .kinesis
                .read_shard(
                    &self.stream,
                    &self.shard,
                    self.position,
                    limits::GET_RECORDS_MAX_LIMIT as usize,
                    retention,
                    now,
                )
                .await
            {
                Ok(read) => read,
                Err(error) => return Some(Err(error)),
            };
            if !read.records.is_empty() || read.shard_ended {
                return Some(Ok(self.event(read)));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = &mut heartbeat => {
                    return Some(Ok(self.event(read)));
                }
            }
        }
    }

    /// Whether a later SubscribeToShard for the same consumer and shard took this one over.
    fn superseded(&self) -> bool {
        self.kinesis
            .subscriptions
            .lock()
            .get(&(self.consumer_arn.clone(), self.shard.index))
            .is_some_and(|lease| lease.generation != self.generation)
    }

    /// The event for `read`. The end of a closed shard is an event of its own, after the shard's last
    /// records: no records, the ChildShards and no ContinuationSequenceNumber (there is nothing to
    /// continue from; consumers such as the KCL take a missing continuation as the shard's end).
    fn event(&mut self, read: super::records::ReadResult) -> SubscribeToShardEvent {
        let end = read.shard_ended && read.records.is_empty();
        self.position = read.next_position;
        if let Some(last) = read.records.last() {
            self.last_delivered = Some(last.seq);
        }
        let continuation = self.last_delivered.unwrap_or_else(|| {
            let before = read.next_position.saturating_sub(1);
            match seq::decompose(before) {
                Some(parts) if parts.shard_index == self.shard.index => before,
                _ => self.shard.starting_seq,
            }
        });
        let (encryption, children) = {
            let meta = self.stream.meta.read();
            (
                meta.encryption_type(),
                end.then(|| meta.children_of(self.shard.index)),
            )
        };
        if end {
            self.finished = true;
        }
        SubscribeToShardEvent {
            records: read
                .records
                .iter()
                .map(|r| super::records::to_model(r, encryption))
                .collect(),
            continuation_sequence_number: (!end).then(|| seq::render(continuation)),
            millis_behind_latest: read.millis_behind_latest,
            child_shards: children,
        }
    }
}

/// `ConsumerARN`: 1..2048 characters of the consumer ARN pattern.
fn check_consumer_arn(v: &mut Validation, arn: &str) {
    v.pattern(
        arn,
        "consumerARN",
        super::CONSUMER_ARN_PATTERN,
        super::is_consumer_arn(arn),
    );
    v.length(arn, "consumerARN", 1, 2048);
}
