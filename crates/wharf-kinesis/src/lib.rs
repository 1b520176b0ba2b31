//! Wharf's Kinesis Data Streams engine: streams, shards and records behind typed inputs and outputs; it
//! knows nothing of HTTP, JSON 1.1 or CBOR.
//!
//! Layout:
//! - [`Kinesis`] owns the registry of streams and the store; `ops/` holds one file per group of actions.
//! - [`stream`] is one stream's settings (behind a `RwLock`) and its shards, each with its own mutex over
//!   the shard's hot state: sequence counter, a bounded tail of recent records, throttles.
//! - Records live in the store ([`persist`]): a put assigns sequence numbers and **submits** the batch while
//!   holding the shard's lock (so records apply in order), releases it and **awaits** the group commit
//!   before answering; only then do the records become visible to readers. Reads are served from the
//!   shard's tail when it covers the position, otherwise from a range scan of the store.
//! - [`seq`] is the sequence-number format, [`iterator`] the shard-iterator codec, [`hash`] the hash-key
//!   space, [`throttle`] the per-shard throughput limits; time is injected through [`Clock`].
//! - State transitions (CREATING → ACTIVE, UPDATING → ACTIVE, DELETING → gone) take
//!   [`KinesisConfig::transition_delay_millis`] (500 ms by default, like kinesalite and kinesis-mock).
//!   Statuses are computed from timestamps; what a transition *does* happens at its end (`transitions.rs`):
//!   an UPDATING stream keeps its shards and settings until the window is over, then applies the pending
//!   change (persisted with the stream, so a restart finishes it); a DELETING stream is removed from the
//!   store after its window (also after a restart). Transitions are settled by whichever comes first: the
//!   next request touching the stream, a timer set when the transition starts, or the maintenance pass
//!   ([`Kinesis::spawn_maintenance`], spawned by the binary, which also enforces retention).

pub mod error;
pub mod hash;
pub mod iterator;
pub mod model;
pub mod persist;
pub mod seq;
pub mod stream;
pub mod throttle;
pub mod time;

mod ops;
mod recovery;
mod transitions;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Weak};

use parking_lot::{Mutex, RwLock};
use wharf_store::Batch;

pub use error::{ErrorKind, KinesisError, KinesisResult};
pub use ops::consumers::Subscription;
pub use wharf_sqs::{Clock, ManualClock, SystemClock};
pub use wharf_store::Store;

use model::StreamRef;
use stream::{Stream, STATUS_ACTIVE, STATUS_UPDATING};

/// Identity and tunables of this Kinesis endpoint.
#[derive(Debug, Clone)]
pub struct KinesisConfig {
    pub account_id: String,
    pub region: String,
    /// How long a stream stays CREATING / UPDATING / DELETING (and a consumer CREATING) after a change;
    /// an UPDATING stream's change takes effect at the end. 0 makes every transition instant.
    pub transition_delay_millis: u64,
    /// Enforce the per-shard write (1 MiB/s, 1,000 records/s) and read (5 calls/s, 2 MiB/s) limits.
    pub throughput_limits: bool,
    /// Enforce the control-plane quotas with `LimitExceededException`: call rates (CreateStream 5/s per
    /// account, DescribeStream 10/s, ListShards 1,000/s per stream, ...: [`throttle::api`]), five streams
    /// and five consumers of a stream CREATING at once, ten UpdateShardCount rescalings per stream per day.
    pub control_plane_limits: bool,
    /// Split hot shards of ON_DEMAND streams in the maintenance pass ([`Kinesis::autoscale_on_demand`]).
    pub on_demand_autoscaling: bool,
    /// DescribeLimits' `ShardLimit`: open shards across all streams.
    pub shard_limit: u32,
    /// DescribeLimits' `OnDemandStreamCountLimit`.
    pub on_demand_stream_limit: u32,
    /// Per-shard budget of the in-memory tail of recent records.
    pub tail_cache_bytes: usize,
    pub tail_cache_records: usize,
}

/// The default [`KinesisConfig::transition_delay_millis`]: what kinesalite and kinesis-mock use, so client
/// test suites written against them already wait for it.
pub const DEFAULT_TRANSITION_DELAY_MILLIS: u64 = 500;

impl Default for KinesisConfig {
    fn default() -> Self {
        KinesisConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            transition_delay_millis: DEFAULT_TRANSITION_DELAY_MILLIS,
            throughput_limits: true,
            control_plane_limits: true,
            on_demand_autoscaling: true,
            shard_limit: limits::DEFAULT_SHARD_LIMIT,
            on_demand_stream_limit: limits::DEFAULT_ON_DEMAND_STREAM_LIMIT,
            tail_cache_bytes: 4 * 1024 * 1024,
            tail_cache_records: 10_000,
        }
    }
}

impl KinesisConfig {
    pub fn new(account_id: impl Into<String>, region: impl Into<String>) -> Self {
        KinesisConfig {
            account_id: account_id.into(),
            region: region.into(),
            ..Default::default()
        }
    }
}

/// AWS's limits and defaults (<https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>).
pub mod limits {
    pub const DEFAULT_SHARD_LIMIT: u32 = 20_000;
    pub const DEFAULT_ON_DEMAND_STREAM_LIMIT: u32 = 50;
    pub const ON_DEMAND_DEFAULT_SHARDS: u32 = 4;
    pub const MIN_RETENTION_HOURS: i64 = 24;
    pub const MAX_RETENTION_HOURS: i64 = 8760;
    pub const DEFAULT_MAX_RECORD_SIZE_KIB: u32 = 1024;
    pub const MIN_MAX_RECORD_SIZE_KIB: i64 = 1024;
    pub const MAX_MAX_RECORD_SIZE_KIB: i64 = 10240;
    /// Largest `Data` blob the API model accepts.
    pub const MAX_DATA_BYTES: usize = 10 * 1024 * 1024;
    pub const PUT_RECORDS_MAX_ENTRIES: usize = 500;
    /// Whole PutRecords request, data and partition keys: 10 MiB since the 2025 large-record change
    /// (API reference, PutRecords: "Each record in the request can be as large as 10 MiB, up to a limit
    /// of 10 MiB for the entire request, including partition keys"; was 5 MiB).
    pub const PUT_RECORDS_MAX_BYTES: usize = 10 * 1024 * 1024;
    pub const GET_RECORDS_MAX_LIMIT: i64 = 10_000;
    pub const GET_RECORDS_MAX_BYTES: usize = 10 * 1024 * 1024;
    pub const ITERATOR_LIFETIME_MILLIS: u64 = 300_000;
    pub const MAX_TAGS: usize = 50;
    pub const MAX_CONSUMERS: usize = 20;
    /// Streams that may be CREATING at once per account (API reference, CreateStream).
    pub const MAX_CREATING_STREAMS: usize = 5;
    /// Consumers of a stream that may be CREATING at once (API reference, RegisterStreamConsumer).
    pub const MAX_CREATING_CONSUMERS: usize = 5;
    /// UpdateShardCount: rescalings per stream per rolling 24 hours, and most shards it scales a stream to.
    pub const SHARD_COUNT_UPDATES_PER_DAY: usize = 10;
    pub const SHARD_COUNT_UPDATE_WINDOW_MILLIS: u64 = 24 * 60 * 60 * 1000;
    pub const SHARD_COUNT_UPDATE_MAX_SHARDS: u32 = 10_000;
    /// Largest `MaxResults` ListShards accepts; a page holds at most [`LIST_SHARDS_PAGE`] shards.
    pub const LIST_SHARDS_MAX: i64 = 10_000;
    /// ListShards' default and largest page ("greater than 1000: at most 1000 results").
    pub const LIST_SHARDS_PAGE: usize = 1_000;
    /// DescribeStream's default and largest page of shards ("greater than 100: at most 100").
    pub const DESCRIBE_STREAM_PAGE: usize = 100;
    /// ListStreams' default and largest page of streams ("greater than 100: at most 100").
    pub const LIST_STREAMS_PAGE: usize = 100;
    pub const NEXT_TOKEN_LIFETIME_MILLIS: u64 = 300_000;
}

/// The Kinesis service.
pub struct Kinesis {
    /// This service itself, for the timers that settle transitions.
    me: Weak<Kinesis>,
    config: KinesisConfig,
    clock: Arc<dyn Clock>,
    store: Store,
    streams: RwLock<BTreeMap<String, Arc<Stream>>>,
    by_id: RwLock<HashMap<u64, Arc<Stream>>>,
    last_stream_id: Mutex<u64>,
    account_settings: Mutex<Option<model::MinimumThroughputBillingCommitmentOutput>>,
    /// Control-plane token buckets by (action, stream name — empty for per-account quotas).
    api_buckets: Mutex<HashMap<(&'static str, String), throttle::Bucket>>,
    /// The latest successful SubscribeToShard per (consumer ARN, shard index).
    subscriptions: Mutex<HashMap<(String, u32), ops::consumers::Lease>>,
    /// Turns of the `AUTO` record distribution (which open shard the next record goes to).
    auto_turn: std::sync::atomic::AtomicUsize,
}

impl Kinesis {
    /// Opens the service over `store`, recovering every stream it holds.
    pub fn open(
        config: KinesisConfig,
        clock: Arc<dyn Clock>,
        store: Store,
    ) -> KinesisResult<Arc<Kinesis>> {
        let kinesis = Arc::new_cyclic(|me| Kinesis {
            me: me.clone(),
            config,
            clock,
            store,
            streams: RwLock::new(BTreeMap::new()),
            by_id: RwLock::new(HashMap::new()),
            last_stream_id: Mutex::new(0),
            account_settings: Mutex::new(None),
            api_buckets: Mutex::new(HashMap::new()),
            subscriptions: Mutex::new(HashMap::new()),
            auto_turn: std::sync::atomic::AtomicUsize::new(0),
        });
        kinesis.recover()?;
        Ok(kinesis)
    }

    pub fn config(&self) -> &KinesisConfig {
        &self.config
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    /// Number of streams (for `/_wharf/info`).
    pub fn stream_count(&self) -> usize {
        self.streams.read().len()
    }

    pub(crate) fn stream_arn(&self, name: &str) -> String {
        format!(
            "arn:aws:kinesis:{}:{}:stream/{}",
            self.config.region, self.config.account_id, name
        )
    }

    pub(crate) fn not_found(&self, name: &str) -> KinesisError {
        KinesisError::not_found(format!(
            "Stream {name} under account {} not found.",
            self.config.account_id
        ))
    }

    pub(crate) fn not_active(&self, name: &str, status: &str) -> KinesisError {
        KinesisError::in_use(format!(
            "Stream {name} under account {} not ACTIVE, instead in state {status}",
            self.config.account_id
        ))
    }

    /// Charges one call of `quota` (per account, or per `stream` for per-stream quotas), or answers
    /// `LimitExceededException` with AWS's `Rate exceeded for stream ... under account ....`.
    pub(crate) fn rate_limit(
        &self,
        quota: throttle::ApiQuota,
        stream: Option<&str>,
    ) -> KinesisResult<()> {
        if !self.config.control_plane_limits {
            return Ok(());
        }
        let scope = if quota.per_stream {
            stream.unwrap_or_default().to_string()
        } else {
            String::new()
        };
        if self.admit(quota, scope) {
            return Ok(());
        }
        Err(KinesisError::limit_exceeded(match stream {
            Some(name) => format!(
                "Rate exceeded for stream {name} under account {}.",
                self.config.account_id
            ),
            None => format!("Rate exceeded for account {}.", self.config.account_id),
        }))
    }

    /// Takes one request from the bucket of `quota` for `scope` (a stream name, or empty for an
    /// account-wide quota); the bucket holds [`throttle::API_BURST_SECONDS`] of the quota's rate.
    fn admit(&self, quota: throttle::ApiQuota, scope: String) -> bool {
        let now = self.now();
        self.api_buckets
            .lock()
            .entry((quota.action, scope))
            .or_insert_with(|| {
                throttle::Bucket::with_burst(
                    quota.rate_per_sec,
                    quota.rate_per_sec * throttle::API_BURST_SECONDS,
                    now,
                )
            })
            .try_take_one(now)
    }

    /// [`Kinesis::rate_limit`] for an action addressed by `StreamName` / `StreamARN`.
    pub(crate) fn rate_limit_ref(
        &self,
        quota: throttle::ApiQuota,
        stream: &StreamRef,
    ) -> KinesisResult<()> {
        let name = self.name_of(stream).ok();
        self.rate_limit(quota, name.as_deref())
    }

    /// The answer to a `DryRun` request on `stream` whose checks all passed: `DryRunOperationException`,
    /// or `ThrottlingException` beyond the stream's dry-run rate (1 per second; the bucket holds
    /// [`throttle::API_BURST_SECONDS`] of it, like the control-plane quotas).
    pub(crate) fn dry_run_passed(&self, stream: &str) -> KinesisError {
        let quota = throttle::api::DRY_RUN;
        if self.config.control_plane_limits && !self.admit(quota, stream.to_string()) {
            return KinesisError::new(
                ErrorKind::Throttling,
                format!(
                    "Rate exceeded for DryRun requests on stream {stream} under account {}.",
                    self.config.account_id
                ),
            );
        }
        KinesisError::new(
            ErrorKind::DryRunOperation,
            "Request would have succeeded, but the DryRun flag is set.",
        )
    }

    /// The stream name an ARN designates, if it is a stream ARN of this account (and region).
    pub(crate) fn name_from_arn(&self, arn: &str) -> Option<String> {
        let mut parts = arn.splitn(6, ':');
        let (
            Some("arn"),
            Some(_partition),
            Some("kinesis"),
            Some(region),
            Some(account),
            Some(rest),
        ) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        )
        else {
            return None;
        };
        if account != self.config.account_id || region != self.config.region {
            return None;
        }
        let name = rest.strip_prefix("stream/")?;
        let name = name.split('/').next()?;
        Some(name.to_string())
    }

    /// The stream name a `StreamARN` designates: a stream ARN of this account (and region) whose
    /// resource is `stream/<name>` and nothing more. A consumer ARN (`stream/<name>/consumer/...`) matches
    /// the member's pattern but is not "the ARN of the stream" (API reference): it designates no stream.
    pub(crate) fn stream_name_from_arn(&self, arn: &str) -> Option<String> {
        let name = self.name_from_arn(arn)?;
        let resource = arn.split_once(":stream/").map(|(_, r)| r);
        (resource == Some(name.as_str())).then_some(name)
    }

    /// Resolves `StreamName` / `StreamARN` to the stream's name (both given: they must agree).
    pub(crate) fn name_of(&self, stream: &StreamRef) -> KinesisResult<String> {
        match (&stream.stream_name, &stream.stream_arn) {
            (Some(name), None) => Ok(name.clone()),
            (name, Some(arn)) => {
                let Some(from_arn) = self.stream_name_from_arn(arn) else {
                    let shown = match arn.split_once(":stream/") {
                        Some((_, resource)) if self.name_from_arn(arn).is_some() => resource,
                        _ => arn.rsplit('/').next().unwrap_or(arn),
                    };
                    return Err(self.not_found(shown));
                };
                if let Some(name) = name {
                    if *name != from_arn {
                        return Err(KinesisError::invalid_argument(format!(
                            "StreamARN {arn} and StreamName {name} do not refer to the same stream."
                        )));
                    }
                }
                Ok(from_arn)
            }
            (None, None) => Err(KinesisError::invalid_argument(
                "Either StreamName or StreamARN must be provided.",
            )),
        }
    }

    /// The stream, whatever its state (DELETING included); gone streams are swept on the way, and a
    /// finished UPDATING window is settled (its pending change applied) before the stream is returned.
    pub(crate) fn lookup(&self, name: &str) -> KinesisResult<Arc<Stream>> {
        let stream = self.streams.read().get(name).cloned();
        let Some(stream) = stream else {
            return Err(self.not_found(name));
        };
        let deleting_until = stream.meta.read().deleting_until_millis;
        if let Some(until) = deleting_until {
            if self.now() >= until {
                self.sweep_deleted();
                return Err(self.not_found(name));
            }
        }
        transitions::detach(self.settle(&stream));
        Ok(stream)
    }

    /// The stream, unless it is being deleted.
    pub(crate) fn stream(&self, stream: &StreamRef) -> KinesisResult<Arc<Stream>> {
        let name = self.name_of(stream)?;
        let stream = self.lookup(&name)?;
        if stream.is_deleted() {
            return Err(self.not_found(&name));
        }
        Ok(stream)
    }

    /// The stream, which must be ACTIVE (control-plane changes).
    pub(crate) fn active_stream(&self, stream: &StreamRef) -> KinesisResult<Arc<Stream>> {
        let stream = self.stream(stream)?;
        let status = stream.meta.read().status(self.now());
        if status != STATUS_ACTIVE {
            return Err(self.not_active(&stream.name, status));
        }
        Ok(stream)
    }

    /// The stream, which must accept data (ACTIVE or UPDATING): a CREATING stream is "not found".
    pub(crate) fn writable_stream(&self, stream: &StreamRef) -> KinesisResult<Arc<Stream>> {
        let stream = self.stream(stream)?;
        let status = stream.meta.read().status(self.now());
        if status != STATUS_ACTIVE && status != STATUS_UPDATING {
            return Err(self.not_found(&stream.name));
        }
        Ok(stream)
    }

    /// Submits `batch` (call while holding the lock that orders it) and returns the commit to await once
    /// the lock is released.
    pub(crate) fn submit(&self, batch: Batch) -> Option<wharf_store::Commit> {
        (!batch.is_empty()).then(|| self.store.submit(batch))
    }

    /// Persists the stream's settings (call with the meta lock held, write or read). Nothing for a stream
    /// being deleted: its record is DeleteStream's tombstone, which a late change must not overwrite.
    pub(crate) fn persist_meta(
        &self,
        stream: &Stream,
        meta: &stream::StreamMeta,
    ) -> Option<wharf_store::Commit> {
        if stream.is_deleted() {
            return None;
        }
        let mut batch = Batch::new();
        persist::put_stream(&mut batch, &stream.record(meta));
        self.submit(batch)
    }

    /// Wipes every stream (the admin reset endpoint), durably.
    pub async fn reset(&self) -> KinesisResult<()> {
        let streams: Vec<Arc<Stream>> = std::mem::take(&mut *self.streams.write())
            .into_values()
            .collect();
        self.by_id.write().clear();
        self.api_buckets.lock().clear();
        self.subscriptions.lock().clear();
        let mut batch = Batch::new();
        for stream in &streams {
            stream
                .deleted
                .store(true, std::sync::atomic::Ordering::Release);
            for shard in &stream.meta.read().shards {
                shard.notify.notify_waiters();
            }
            persist::delete_stream(&mut batch, stream.id, &stream.name);
        }
        await_commit(self.submit(batch)).await
    }
}

pub(crate) async fn await_commit(commit: Option<wharf_store::Commit>) -> KinesisResult<()> {
    if let Some(commit) = commit {
        commit.await?;
    }
    Ok(())
}
