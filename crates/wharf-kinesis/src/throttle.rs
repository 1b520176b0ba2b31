//! Per-shard throughput limits and per-account / per-stream control-plane rate limits, as token buckets
//! driven by the injected clock.
//!
//! A bucket holds up to one second of its rate and refills continuously. A request is admitted while the
//! bucket is not empty and then takes its whole cost, so the balance may go negative: this is how Kinesis
//! lets a shard accept an occasional large record (up to 10 MiB, "burst then recover") or a 10 MiB
//! GetRecords response, and then throttles until the debt is paid back.

/// Quotas of one shard (<https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>).
pub const WRITE_BYTES_PER_SEC: u64 = 1024 * 1024;
pub const WRITE_RECORDS_PER_SEC: u64 = 1000;
pub const READ_BYTES_PER_SEC: u64 = 2 * 1024 * 1024;
pub const READ_CALLS_PER_SEC: u64 = 5;
/// GetShardIterator: "a limit of five transactions per second per account per open shard" (API
/// reference). Its bucket holds [`API_BURST_SECONDS`] of that rate, as the control-plane buckets do.
pub const GET_SHARD_ITERATOR_PER_SEC: u64 = 5;

/// A token bucket in milli-tokens (so that refills per millisecond stay exact for small rates).
#[derive(Debug, Clone)]
pub struct Bucket {
    rate_per_sec: u64,
    /// Most tokens the bucket holds (one second of its rate unless built with [`Bucket::with_burst`]).
    capacity_tokens: u64,
    /// Balance in milli-tokens; may be negative after an oversized request.
    balance: i128,
    last_refill_millis: u64,
}

impl Bucket {
    pub fn new(rate_per_sec: u64, now_millis: u64) -> Self {
        Self::with_burst(rate_per_sec, rate_per_sec, now_millis)
    }

    /// A bucket refilled at `rate_per_sec` that holds up to `burst` tokens (and starts full).
    pub fn with_burst(rate_per_sec: u64, burst: u64, now_millis: u64) -> Self {
        let capacity_tokens = burst.max(rate_per_sec).max(1);
        Bucket {
            rate_per_sec,
            capacity_tokens,
            balance: capacity_tokens as i128 * 1000,
            last_refill_millis: now_millis,
        }
    }

    fn capacity(&self) -> i128 {
        self.capacity_tokens as i128 * 1000
    }

    /// Takes one token if the bucket holds one (control-plane calls).
    pub fn try_take_one(&mut self, now_millis: u64) -> bool {
        if self.can_take(1, now_millis) {
            self.take(1, now_millis);
            true
        } else {
            false
        }
    }

    fn refill(&mut self, now_millis: u64) {
        if now_millis > self.last_refill_millis {
            let elapsed = (now_millis - self.last_refill_millis) as i128;
            self.balance =
                (self.balance + elapsed * self.rate_per_sec as i128).min(self.capacity());
            self.last_refill_millis = now_millis;
        }
    }

    /// Whether a request costing `cost` tokens may go ahead now: the bucket must hold at least
    /// `min(cost, one second's worth)` tokens.
    pub fn can_take(&mut self, cost: u64, now_millis: u64) -> bool {
        self.refill(now_millis);
        let needed = (cost as i128 * 1000).min(self.capacity()).max(1);
        self.balance >= needed
    }

    /// Takes `cost` tokens (call after [`Bucket::can_take`] said yes, or to account for work already done).
    pub fn take(&mut self, cost: u64, now_millis: u64) {
        self.refill(now_millis);
        self.balance -= cost as i128 * 1000;
    }
}

/// Control-plane quotas, each from the action's page of the Kinesis API reference ("This operation has a
/// limit of N transactions per second per account / per data stream") and the developer guide's
/// "Quotas and limits" page (<https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiQuota {
    pub action: &'static str,
    pub rate_per_sec: u64,
    /// Counted per data stream (otherwise per account).
    pub per_stream: bool,
}

const fn account(action: &'static str, rate_per_sec: u64) -> ApiQuota {
    ApiQuota {
        action,
        rate_per_sec,
        per_stream: false,
    }
}

const fn per_stream(action: &'static str, rate_per_sec: u64) -> ApiQuota {
    ApiQuota {
        action,
        rate_per_sec,
        per_stream: true,
    }
}

/// AWS documents rates, not bucket sizes. Wharf lets a bucket hold this many seconds of its rate, so a
/// short burst (a test suite creating a handful of streams at once) passes while a sustained rate above
/// the quota is refused.
pub const API_BURST_SECONDS: u64 = 5;

pub mod api {
    use super::{account, per_stream, ApiQuota};

    pub const CREATE_STREAM: ApiQuota = account("CreateStream", 5);
    pub const DELETE_STREAM: ApiQuota = account("DeleteStream", 5);
    pub const DESCRIBE_STREAM: ApiQuota = account("DescribeStream", 10);
    pub const DESCRIBE_STREAM_SUMMARY: ApiQuota = account("DescribeStreamSummary", 20);
    pub const LIST_STREAMS: ApiQuota = account("ListStreams", 5);
    pub const DESCRIBE_LIMITS: ApiQuota = account("DescribeLimits", 1);
    /// 1,000 per data stream in the current API reference (older pages and `aws-fidelity.md` say 100).
    pub const LIST_SHARDS: ApiQuota = per_stream("ListShards", 1000);
    pub const SPLIT_SHARD: ApiQuota = account("SplitShard", 5);
    pub const MERGE_SHARDS: ApiQuota = account("MergeShards", 5);
    /// "Make over 10 TPS. TPS over 10 will trigger the LimitExceededException" (API reference).
    pub const UPDATE_SHARD_COUNT: ApiQuota = account("UpdateShardCount", 10);
    pub const ADD_TAGS_TO_STREAM: ApiQuota = account("AddTagsToStream", 5);
    pub const REMOVE_TAGS_FROM_STREAM: ApiQuota = account("RemoveTagsFromStream", 5);
    pub const LIST_TAGS_FOR_STREAM: ApiQuota = account("ListTagsForStream", 5);
    /// The ARN-based tag actions: 5 per account like their stream-name counterparts (not stated on their
    /// API pages).
    pub const TAG_RESOURCE: ApiQuota = account("TagResource", 5);
    pub const UNTAG_RESOURCE: ApiQuota = account("UntagResource", 5);
    pub const LIST_TAGS_FOR_RESOURCE: ApiQuota = account("ListTagsForResource", 5);
    pub const REGISTER_STREAM_CONSUMER: ApiQuota = account("RegisterStreamConsumer", 5);
    pub const DEREGISTER_STREAM_CONSUMER: ApiQuota = per_stream("DeregisterStreamConsumer", 5);
    pub const DESCRIBE_STREAM_CONSUMER: ApiQuota = per_stream("DescribeStreamConsumer", 20);
    pub const DESCRIBE_ACCOUNT_SETTINGS: ApiQuota = account("DescribeAccountSettings", 5);
    pub const UPDATE_ACCOUNT_SETTINGS: ApiQuota = account("UpdateAccountSettings", 5);
    pub const UPDATE_STREAM_WARM_THROUGHPUT: ApiQuota = account("UpdateStreamWarmThroughput", 5);
    pub const LIST_STREAM_CONSUMERS: ApiQuota = per_stream("ListStreamConsumers", 5);
    /// `DryRun` requests: 1 per second per stream, shared by PutRecord, PutRecords, GetShardIterator,
    /// GetRecords and SubscribeToShard and separate from the shards' throughput (developer guide, "Test
    /// your permissions and request inputs with dry run").
    pub const DRY_RUN: ApiQuota = per_stream("DryRun", 1);
}

/// The four buckets of a shard.
#[derive(Debug, Clone)]
pub struct ShardThrottle {
    pub write_bytes: Bucket,
    pub write_records: Bucket,
    pub read_bytes: Bucket,
    pub read_calls: Bucket,
    pub iterators: Bucket,
}

impl ShardThrottle {
    pub fn new(now_millis: u64) -> Self {
        ShardThrottle {
            write_bytes: Bucket::new(WRITE_BYTES_PER_SEC, now_millis),
            write_records: Bucket::new(WRITE_RECORDS_PER_SEC, now_millis),
            read_bytes: Bucket::new(READ_BYTES_PER_SEC, now_millis),
            read_calls: Bucket::new(READ_CALLS_PER_SEC, now_millis),
            iterators: Bucket::with_burst(
                GET_SHARD_ITERATOR_PER_SEC,
                GET_SHARD_ITERATOR_PER_SEC * API_BURST_SECONDS,
                now_millis,
            ),
        }
    }

    /// Admits one GetShardIterator call.
    pub fn admit_iterator(&mut self, now_millis: u64) -> bool {
        self.iterators.try_take_one(now_millis)
    }

    /// Admits one record of `bytes` (data + partition key), or says it would exceed the shard's write rate.
    pub fn admit_write(&mut self, bytes: u64, now_millis: u64) -> bool {
        if self.write_bytes.can_take(bytes, now_millis)
            && self.write_records.can_take(1, now_millis)
        {
            self.write_bytes.take(bytes, now_millis);
            self.write_records.take(1, now_millis);
            true
        } else {
            false
        }
    }

    /// Admits one GetRecords call (its bytes are charged afterwards with [`ShardThrottle::charge_read`]).
    pub fn admit_read(&mut self, now_millis: u64) -> bool {
        if self.read_calls.can_take(1, now_millis) && self.read_bytes.can_take(1, now_millis) {
            self.read_calls.take(1, now_millis);
            true
        } else {
            false
        }
    }

    pub fn charge_read(&mut self, bytes: u64, now_millis: u64) {
        self.read_bytes.take(bytes, now_millis);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_records_per_second() {
        let mut t = ShardThrottle::new(0);
        for _ in 0..1000 {
            assert!(t.admit_write(1, 0));
        }
        assert!(!t.admit_write(1, 0));
        // One millisecond later exactly one more record fits.
        assert!(t.admit_write(1, 1));
        assert!(!t.admit_write(1, 1));
        assert!(t.admit_write(1, 1001));
    }

    #[test]
    fn large_record_bursts_then_throttles() {
        let mut t = ShardThrottle::new(0);
        assert!(t.admit_write(5 * 1024 * 1024, 0));
        assert!(!t.admit_write(1, 0));
        // 5 MiB of debt at 1 MiB/s: 4 s to get back to zero, and a bit more to hold a 1-byte record.
        assert!(!t.admit_write(1, 4000));
        assert!(t.admit_write(1, 4001));
    }

    #[test]
    fn burst_bucket_holds_several_seconds_and_refills_at_its_rate() {
        let mut b = Bucket::with_burst(5, 5 * API_BURST_SECONDS, 0);
        for _ in 0..25 {
            assert!(b.try_take_one(0));
        }
        assert!(!b.try_take_one(0));
        // 5 per second: one token every 200 ms.
        assert!(!b.try_take_one(199));
        assert!(b.try_take_one(200));
        assert!(!b.try_take_one(200));
        // Refill stops at the burst size.
        for _ in 0..25 {
            assert!(b.try_take_one(60_000));
        }
        assert!(!b.try_take_one(60_000));
    }

    #[test]
    fn shard_iterators_burst_then_five_per_second() {
        let mut t = ShardThrottle::new(0);
        for _ in 0..25 {
            assert!(t.admit_iterator(0));
        }
        assert!(!t.admit_iterator(0));
        assert!(t.admit_iterator(200));
        assert!(!t.admit_iterator(200));
    }

    #[test]
    fn read_calls_and_bytes() {
        let mut t = ShardThrottle::new(0);
        for _ in 0..5 {
            assert!(t.admit_read(0));
        }
        assert!(!t.admit_read(0));
        assert!(t.admit_read(200));
        t.charge_read(10 * 1024 * 1024, 200);
        // 10 MiB at 2 MiB/s: throttled for about 4 more seconds.
        assert!(!t.admit_read(2000));
        assert!(t.admit_read(4300));
    }
}
