//! Per-shard throughput limits as token buckets driven by the injected clock.
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

/// A token bucket in milli-tokens (so that refills per millisecond stay exact for small rates).
#[derive(Debug, Clone)]
pub struct Bucket {
    rate_per_sec: u64,
    /// Balance in milli-tokens; may be negative after an oversized request.
    balance: i128,
    last_refill_millis: u64,
}

impl Bucket {
    pub fn new(rate_per_sec: u64, now_millis: u64) -> Self {
        Bucket {
            rate_per_sec,
            balance: rate_per_sec as i128 * 1000,
            last_refill_millis: now_millis,
        }
    }

    fn capacity(&self) -> i128 {
        self.rate_per_sec as i128 * 1000
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

/// The four buckets of a shard.
#[derive(Debug, Clone)]
pub struct ShardThrottle {
    pub write_bytes: Bucket,
    pub write_records: Bucket,
    pub read_bytes: Bucket,
    pub read_calls: Bucket,
}

impl ShardThrottle {
    pub fn new(now_millis: u64) -> Self {
        ShardThrottle {
            write_bytes: Bucket::new(WRITE_BYTES_PER_SEC, now_millis),
            write_records: Bucket::new(WRITE_RECORDS_PER_SEC, now_millis),
            read_bytes: Bucket::new(READ_BYTES_PER_SEC, now_millis),
            read_calls: Bucket::new(READ_CALLS_PER_SEC, now_millis),
        }
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
