//! The MD5 digests SQS returns: of the body, and of message (system) attributes in AWS's binary encoding
//! (sorted names; each of name, data type and value length-prefixed big-endian; transport type byte 1 for
//! String/Number, 2 for Binary, 3/4 for string/binary lists).
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-message-metadata.html#sqs-attributes-md5-message-digest-calculation>

use md5::{Digest, Md5};

use crate::fixed::Md5Hex;
use crate::model::{MessageAttributeValue, MessageAttributes};

pub fn md5_hex(data: &[u8]) -> Md5Hex {
    let mut out = [0u8; 32];
    hex_into(&Md5::digest(data), &mut out);
    Md5Hex::from_ascii(out)
}

/// Lowercase hex digits of `bytes` into `out` (twice as long).
fn hex_into(bytes: &[u8], out: &mut [u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        pair[0] = DIGITS[(b >> 4) as usize];
        pair[1] = DIGITS[(b & 0xf) as usize];
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut out = vec![0u8; bytes.len() * 2];
    hex_into(bytes, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

fn put_len_prefixed(hasher: &mut Md5, bytes: &[u8]) {
    hasher.update((bytes.len() as u32).to_be_bytes());
    hasher.update(bytes);
}

/// Digest of a set of message attributes, or `None` when there are none.
pub fn md5_of_attributes(attributes: &MessageAttributes) -> Option<String> {
    if attributes.is_empty() {
        return None;
    }
    let mut hasher = Md5::new();
    // BTreeMap iterates in byte order of the names, which is the order AWS sorts by.
    for (name, value) in attributes {
        put_len_prefixed(&mut hasher, name.as_bytes());
        let data_type = value.data_type.as_deref().unwrap_or_default();
        put_len_prefixed(&mut hasher, data_type.as_bytes());
        hash_value(&mut hasher, value);
    }
    Some(hex(&hasher.finalize()))
}

fn hash_value(hasher: &mut Md5, value: &MessageAttributeValue) {
    if let Some(text) = &value.string_value {
        hasher.update([1u8]);
        put_len_prefixed(hasher, text.as_bytes());
    } else if let Some(blob) = &value.binary_value {
        hasher.update([2u8]);
        put_len_prefixed(hasher, &blob.0);
    } else if !value.string_list_values.is_empty() {
        hasher.update([3u8]);
        for text in &value.string_list_values {
            put_len_prefixed(hasher, text.as_bytes());
        }
    } else if !value.binary_list_values.is_empty() {
        hasher.update([4u8]);
        for blob in &value.binary_list_values {
            put_len_prefixed(hasher, &blob.0);
        }
    }
}

/// SHA-256 of the body, the deduplication id of content-based deduplication.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Sha256;
    hex(&Sha256::digest(data))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Blob;

    #[test]
    fn body_digest_matches_known_value() {
        assert_eq!(&*md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    }

    #[test]
    fn attribute_digest_matches_reference_encoding() {
        let mut attributes = MessageAttributes::new();
        attributes.insert(
            "b".into(),
            MessageAttributeValue {
                binary_value: Some(Blob(vec![1, 2])),
                data_type: Some("Binary".into()),
                ..Default::default()
            },
        );
        attributes.insert(
            "a".into(),
            MessageAttributeValue {
                string_value: Some("x".into()),
                data_type: Some("String".into()),
                ..Default::default()
            },
        );
        let mut expected = Vec::new();
        for (name, dt, kind, value) in [
            ("a", "String", 1u8, &b"x"[..]),
            ("b", "Binary", 2, &[1, 2][..]),
        ] {
            expected.extend((name.len() as u32).to_be_bytes());
            expected.extend(name.as_bytes());
            expected.extend((dt.len() as u32).to_be_bytes());
            expected.extend(dt.as_bytes());
            expected.push(kind);
            expected.extend((value.len() as u32).to_be_bytes());
            expected.extend(value);
        }
        assert_eq!(
            md5_of_attributes(&attributes),
            Some(md5_hex(&expected).to_string())
        );
        assert_eq!(md5_of_attributes(&MessageAttributes::new()), None);
    }
}
