//! Sequence numbers.
//!
//! Inside Wharf a sequence number is a 128-bit unsigned integer:
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
//!
//! On the wire it is that number shifted left by [`WIRE_SHIFT`] bits and written in decimal: always 56
//! digits, like AWS's (the AWS CLI reference shows `49600883331171471519674795588238531498465399900093808706`;
//! kinesalite's tests, run against production, expect `^\d{56}$`), so the strings also sort like the
//! numbers. Only the text changes: stored records and shard iterators keep the 128-bit value, and a 38-digit
//! sequence number handed out by an earlier Wharf (the 128-bit value itself) is still accepted.

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

/// Bits the wire form is shifted by: `2 << 124` becomes `2 << 184`, a 56-digit decimal.
pub const WIRE_SHIFT: u32 = 60;
/// The largest power of ten in a `u64`: the base the 192-bit wire value is converted in.
const CHUNK: u64 = 10_000_000_000_000_000_000;
const CHUNK_DIGITS: usize = 19;

/// Parses the decimal text of a sequence number: the wire form (see the module documentation), or a
/// number below 2^128 taken as the value itself (what Wharf handed out before the wire form was widened).
/// `None` if it is not a number, or not one a sequence number can be written as.
pub fn parse(text: &str) -> Option<u128> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Ok(value) = text.parse::<u128>() {
        return Some(value);
    }
    // 192 bits, little-endian limbs: value = value * 10 + digit, failing on overflow.
    let mut limbs = [0u64; 3];
    for digit in text.bytes().map(|b| u64::from(b - b'0')) {
        let mut carry = u128::from(digit);
        for limb in &mut limbs {
            let wide = u128::from(*limb) * 10 + carry;
            *limb = wide as u64;
            carry = wide >> 64;
        }
        if carry != 0 {
            return None;
        }
    }
    let [low, mid, high] = limbs;
    // Shifted back by WIRE_SHIFT bits, nothing may be lost below and it must fit 128 bits.
    if low & ((1 << WIRE_SHIFT) - 1) != 0 || high >> WIRE_SHIFT != 0 {
        return None;
    }
    Some(
        (u128::from(high) << (128 - WIRE_SHIFT))
            | (u128::from(mid) << (64 - WIRE_SHIFT))
            | u128::from(low >> WIRE_SHIFT),
    )
}

/// Whether `text` matches the model pattern `0|([1-9]\d{0,128})`.
pub fn matches_pattern(text: &str) -> bool {
    text == "0"
        || (!text.is_empty()
            && text.len() <= 129
            && text.as_bytes()[0] != b'0'
            && text.bytes().all(|b| b.is_ascii_digit()))
}

/// The wire form of `seq`: `seq << WIRE_SHIFT` in decimal.
pub fn render(seq: u128) -> String {
    // The 192-bit value, most significant limb first, divided by 10^19 repeatedly; each remainder gives
    // 19 digits, written from the end of the buffer (at most 58 digits: 2^192 < 10^58).
    let mut limbs = [
        (seq >> (128 - WIRE_SHIFT)) as u64,
        (seq >> (64 - WIRE_SHIFT)) as u64,
        (seq << WIRE_SHIFT) as u64,
    ];
    let mut digits = [b'0'; 3 * CHUNK_DIGITS + 1];
    let mut start = digits.len();
    loop {
        let mut rem: u128 = 0;
        for limb in &mut limbs {
            let cur = (rem << 64) | u128::from(*limb);
            *limb = (cur / u128::from(CHUNK)) as u64;
            rem = cur % u128::from(CHUNK);
        }
        let last = limbs.iter().all(|&l| l == 0);
        let mut chunk = rem as u64;
        for _ in 0..CHUNK_DIGITS {
            start -= 1;
            digits[start] = b'0' + (chunk % 10) as u8;
            chunk /= 10;
            if last && chunk == 0 {
                break;
            }
        }
        if last {
            break;
        }
    }
    // Only ASCII digits were written.
    String::from_utf8_lossy(&digits[start..]).into_owned()
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
        assert_eq!(render(a).len(), 56);
        assert_eq!(render(compose(0, 0, 0)).len(), 56);
        assert_eq!(render(compose(MAX_TIME, u32::MAX, MAX_COUNTER)).len(), 56);
        assert!(render(a) < render(b) && render(b) < render(c));
        assert_eq!(parse(&render(a)), Some(a));
        assert_eq!(parse(&render(c)), Some(c));
        assert_eq!(decompose(5), None);
    }

    #[test]
    fn wire_form_is_the_value_shifted() {
        // 2 << 184 = 2^185, the smallest wire value of version 2.
        assert_eq!(
            render(VERSION << 124),
            "49039857307708443467467104868809893875799651909875269632"
        );
        assert_eq!(render(0), "0");
        assert_eq!(render(1), "1152921504606846976");
        assert_eq!(parse("1152921504606846976"), Some(1152921504606846976));
        // A value that is not a shifted sequence number, or too large, is not one.
        assert_eq!(
            parse("49039857307708443467467104868809893875799651909875269633"),
            None
        );
        assert_eq!(parse(&"9".repeat(58)), None);
        assert_eq!(parse(&"9".repeat(129)), None);
        // The 38-digit form of earlier versions is still read as the value itself.
        let a = compose(1_700_000_000_000, 3, 1);
        assert_eq!(parse(&a.to_string()), Some(a));
        // Round trip over the corners of every field.
        for seq in [
            compose(0, 0, 0),
            compose(MAX_TIME, 0, 0),
            compose(0, u32::MAX, 0),
            compose(0, 0, MAX_COUNTER),
            compose(MAX_TIME, u32::MAX, MAX_COUNTER),
            u128::MAX,
        ] {
            assert_eq!(parse(&render(seq)), Some(seq), "{seq}");
        }
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
