//! Sequence numbers.
//!
//! A sequence number is a 128-bit unsigned integer, written in decimal (always 38 digits, so the decimal
//! strings also sort like the numbers):
//!
//! ```text
//!  bits 127..124  version nibble, always 2
//!  bits 123..80   time in epoch milliseconds (44 bits, good until the year 2527)
//!  bits  79..48   shard index (the number in `shardId-000000000007`)
//!  bits  47..0    per-shard counter (0 is reserved for a shard's StartingSequenceNumber)
//! ```
//!
//! Within one shard the time never goes backwards (it is clamped to the shard's last record) and the
//! counter only grows, so sequence numbers are strictly increasing per shard; across shards they roughly
//! follow time. Because the time is in the high bits, the lowest sequence number of any record that arrived
//! at or after time `t` is simply `compose(t, shard, 0)`, which is how `AT_TIMESTAMP` iterators and retention
//! find their place without an index.

pub const VERSION: u128 = 2;
const TIME_BITS: u32 = 44;
const SHARD_BITS: u32 = 32;
const COUNTER_BITS: u32 = 48;
pub const MAX_TIME: u64 = (1 << TIME_BITS) - 1;
pub const MAX_COUNTER: u64 = (1 << COUNTER_BITS) - 1;

/// The parts of a sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeqParts {
    pub time_millis: u64,
    pub shard_index: u32,
    pub counter: u64,
}

/// Builds a sequence number.
pub fn compose(time_millis: u64, shard_index: u32, counter: u64) -> u128 {
    (VERSION << 124)
        | ((time_millis.min(MAX_TIME) as u128) << (SHARD_BITS + COUNTER_BITS))
        | ((shard_index as u128) << COUNTER_BITS)
        | (counter.min(MAX_COUNTER) as u128)
}

/// Splits a sequence number; `None` if it is not one of ours (wrong version).
pub fn decompose(seq: u128) -> Option<SeqParts> {
    if seq >> 124 != VERSION {
        return None;
    }
    Some(SeqParts {
        time_millis: ((seq >> (SHARD_BITS + COUNTER_BITS)) as u64) & MAX_TIME,
        shard_index: ((seq >> COUNTER_BITS) & 0xFFFF_FFFF) as u32,
        counter: (seq as u64) & MAX_COUNTER,
    })
}

/// Parses the decimal text of a sequence number (`0|([1-9]\d{0,128})`); `None` if it is not a number that
/// fits 128 bits.
pub fn parse(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse::<u128>().ok()
}

/// Whether `text` matches the model pattern `0|([1-9]\d{0,128})`.
pub fn matches_pattern(text: &str) -> bool {
    text == "0"
        || (!text.is_empty()
            && text.len() <= 129
            && text.as_bytes()[0] != b'0'
            && text.bytes().all(|b| b.is_ascii_digit()))
}

pub fn render(seq: u128) -> String {
    seq.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_order() {
        let a = compose(1_700_000_000_000, 3, 1);
        let b = compose(1_700_000_000_000, 3, 2);
        let c = compose(1_700_000_000_001, 3, 0);
        assert!(a < b && b < c);
        assert_eq!(
            decompose(b),
            Some(SeqParts {
                time_millis: 1_700_000_000_000,
                shard_index: 3,
                counter: 2
            })
        );
        assert_eq!(render(a).len(), 38);
        assert_eq!(render(compose(MAX_TIME, u32::MAX, MAX_COUNTER)).len(), 38);
        assert_eq!(parse(&render(a)), Some(a));
        assert_eq!(decompose(5), None);
    }

    #[test]
    fn pattern() {
        assert!(matches_pattern("0"));
        assert!(matches_pattern("123"));
        assert!(!matches_pattern("0123"));
        assert!(!matches_pattern(""));
        assert!(!matches_pattern("12a"));
        assert_eq!(parse("1".repeat(40).as_str()), None);
    }
}
