//! Hash keys: a partition key's MD5 digest read as a big-endian 128-bit unsigned integer selects the open
//! shard whose `HashKeyRange` contains it; `ExplicitHashKey` gives that integer directly.

use md5::{Digest, Md5};

/// The hash key of a partition key: MD5 of its UTF-8 bytes, as an unsigned 128-bit big-endian integer.
pub fn partition_hash(partition_key: &str) -> u128 {
    let digest = Md5::digest(partition_key.as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest);
    u128::from_be_bytes(bytes)
}

/// Whether `text` matches the model pattern `0|([1-9]\d{0,38})`.
pub fn matches_pattern(text: &str) -> bool {
    text == "0"
        || (!text.is_empty()
            && text.len() <= 39
            && text.as_bytes()[0] != b'0'
            && text.bytes().all(|b| b.is_ascii_digit()))
}

/// Parses a hash key that already matches the pattern; `None` if it exceeds 2^128 - 1.
pub fn parse(text: &str) -> Option<u128> {
    text.parse::<u128>().ok()
}

/// The hash-key ranges of `count` shards splitting the whole key space evenly, as CreateStream and
/// UpdateShardCount do: shard `i` starts at `i * floor(2^128 / count)`, the last one ends at 2^128 - 1.
pub fn even_ranges(count: u32) -> Vec<(u128, u128)> {
    even_ranges_within(0, u128::MAX, count)
}

/// `count` even ranges over `[start, end]`.
pub fn even_ranges_within(start: u128, end: u128, count: u32) -> Vec<(u128, u128)> {
    let count = count.max(1) as u128;
    if count == 1 {
        return vec![(start, end)];
    }
    // Size of the span is end - start + 1, which may be 2^128: compute the step without overflow.
    let span_minus_one = end - start;
    let step = if span_minus_one == u128::MAX {
        (u128::MAX / count) + u128::from(u128::MAX % count == count - 1)
    } else {
        (span_minus_one + 1) / count
    };
    (0..count)
        .map(|i| {
            let first = start + i * step;
            let last = if i == count - 1 {
                end
            } else {
                start + (i + 1) * step - 1
            };
            (first, last)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn md5_hash_of_partition_keys() {
        // MD5("a") = 0cc175b9c0f1b6a831c399e269772661
        assert_eq!(
            partition_hash("a"),
            u128::from_str_radix("0cc175b9c0f1b6a831c399e269772661", 16).unwrap()
        );
        // MD5("") = d41d8cd98f00b204e9800998ecf8427e
        assert_eq!(
            partition_hash(""),
            u128::from_str_radix("d41d8cd98f00b204e9800998ecf8427e", 16).unwrap()
        );
    }

    #[test]
    fn even_split_matches_aws() {
        let ranges = even_ranges(3);
        assert_eq!(ranges[0].0, 0);
        assert_eq!(
            ranges[0].1.to_string(),
            "113427455640312821154458202477256070484"
        );
        assert_eq!(
            ranges[2].0.to_string(),
            "226854911280625642308916404954512140970"
        );
        assert_eq!(ranges[2].1, u128::MAX);
        let one = even_ranges(1);
        assert_eq!(one, vec![(0, u128::MAX)]);
        let two = even_ranges(2);
        assert_eq!(two[0].1 + 1, two[1].0);
        assert_eq!(two[1].0, 1u128 << 127);
        let four = even_ranges(4);
        assert_eq!(four[1].0, 1u128 << 126);
        for window in even_ranges(7).windows(2) {
            assert_eq!(window[0].1 + 1, window[1].0);
        }
    }

    #[test]
    fn hash_key_pattern() {
        assert!(matches_pattern("0"));
        assert!(matches_pattern(&u128::MAX.to_string()));
        assert!(!matches_pattern("01"));
        assert!(!matches_pattern(""));
        assert!(!matches_pattern(&"9".repeat(40)));
        assert_eq!(parse("340282366920938463463374607431768211456"), None);
    }
}
