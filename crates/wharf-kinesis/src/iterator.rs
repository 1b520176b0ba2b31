//! Shard iterators: opaque to clients, self-contained for us.
//!
//! An iterator is URL-safe base64 (no padding) of:
//!
//! ```text
//!  1 byte   format version (1)
//!  8 bytes  stream id (big-endian; ids are never reused: GetRecords falls back to the name only once
//!           the stream is deleted, to read a stream created again under it, as AWS does)
//!  4 bytes  shard index
//! 16 bytes  position: the lowest sequence number the next GetRecords may return
//!  8 bytes  issue time, epoch milliseconds (iterators expire 5 minutes later)
//!  1 byte   stream name length, then the name (for error messages)
//!  4 bytes  first 4 bytes of MD5 over everything before (catches truncated or mangled iterators)
//! ```

use base64::Engine;
use md5::{Digest, Md5};

const FORMAT: u8 = 1;
const ENGINE: base64::engine::GeneralPurpose = base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A decoded shard iterator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShardIterator {
    pub stream_id: u64,
    pub shard_index: u32,
    pub position: u128,
    pub issued_millis: u64,
    pub stream_name: String,
}

impl ShardIterator {
    pub fn encode(&self) -> String {
        let name = self.stream_name.as_bytes();
        let name = &name[..name.len().min(255)];
        let mut bytes = Vec::with_capacity(38 + name.len() + 4);
        bytes.push(FORMAT);
        bytes.extend_from_slice(&self.stream_id.to_be_bytes());
        bytes.extend_from_slice(&self.shard_index.to_be_bytes());
        bytes.extend_from_slice(&self.position.to_be_bytes());
        bytes.extend_from_slice(&self.issued_millis.to_be_bytes());
        bytes.push(name.len() as u8);
        bytes.extend_from_slice(name);
        let check = Md5::digest(&bytes);
        bytes.extend_from_slice(&check[..4]);
        ENGINE.encode(bytes)
    }

    /// `None` for anything that is not an intact iterator of ours. An iterator wrapped in one pair of
    /// double quotes (easily passed that way from a shell, e.g. `jq` output to the AWS CLI) is read
    /// without them, as AWS does.
    pub fn decode(text: &str) -> Option<ShardIterator> {
        let text = text.trim();
        let text = text
            .strip_prefix('"')
            .and_then(|t| t.strip_suffix('"'))
            .unwrap_or(text);
        let bytes = ENGINE.decode(text).ok()?;
        if bytes.len() < 38 + 4 || bytes.first() != Some(&FORMAT) {
            return None;
        }
        let (body, check) = bytes.split_at(bytes.len() - 4);
        if Md5::digest(body)[..4] != *check {
            return None;
        }
        let stream_id = u64::from_be_bytes(body.get(1..9)?.try_into().ok()?);
        let shard_index = u32::from_be_bytes(body.get(9..13)?.try_into().ok()?);
        let position = u128::from_be_bytes(body.get(13..29)?.try_into().ok()?);
        let issued_millis = u64::from_be_bytes(body.get(29..37)?.try_into().ok()?);
        let name_len = *body.get(37)? as usize;
        let name = body.get(38..38 + name_len)?;
        if body.len() != 38 + name_len {
            return None;
        }
        Some(ShardIterator {
            stream_id,
            shard_index,
            position,
            issued_millis,
            stream_name: String::from_utf8(name.to_vec()).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let it = ShardIterator {
            stream_id: 42,
            shard_index: 7,
            position: crate::seq::compose(1_700_000_000_123, 7, 99),
            issued_millis: 1_700_000_000_500,
            stream_name: "my-stream.v1".into(),
        };
        let text = it.encode();
        assert!(text.len() <= 512);
        assert_eq!(ShardIterator::decode(&text), Some(it.clone()));
        let short = ShardIterator {
            stream_name: "s".into(),
            ..it.clone()
        };
        assert_eq!(ShardIterator::decode(&short.encode()), Some(short));
        let long = ShardIterator {
            stream_name: "a".repeat(128),
            ..it
        };
        assert!(long.encode().len() <= 512);
        assert_eq!(ShardIterator::decode(&long.encode()), Some(long));
    }

    #[test]
    fn rejects_garbage_and_tampering() {
        assert_eq!(ShardIterator::decode(""), None);
        assert_eq!(ShardIterator::decode("not an iterator"), None);
        let text = ShardIterator {
            stream_id: 1,
            shard_index: 0,
            position: 0,
            issued_millis: 0,
            stream_name: "s".into(),
        }
        .encode();
        let mut bytes = ENGINE.decode(&text).unwrap();
        bytes[10] ^= 1;
        assert_eq!(ShardIterator::decode(&ENGINE.encode(&bytes)), None);
        assert_eq!(ShardIterator::decode(&text[..text.len() - 2]), None);
    }

    #[test]
    fn reads_an_iterator_in_double_quotes() {
        let it = ShardIterator {
            stream_id: 3,
            shard_index: 1,
            position: 5,
            issued_millis: 9,
            stream_name: "s".into(),
        };
        let text = it.encode();
        assert_eq!(ShardIterator::decode(&format!("\"{text}\"")), Some(it));
        assert_eq!(ShardIterator::decode(&format!("\"{text}")), None);
        assert_eq!(ShardIterator::decode(&format!("'{text}'")), None);
    }
}
