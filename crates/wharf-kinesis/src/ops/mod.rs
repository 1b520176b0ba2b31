//! The Kinesis actions, grouped by what they act on, and the model-constraint checks they share.

pub mod consumers;
mod records;
mod settings;
pub mod shards;
mod streams;
mod tags;

use std::collections::BTreeMap;

use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::StreamRef;
use crate::Kinesis;

pub(crate) const NAME_PATTERN: &str = "[a-zA-Z0-9_.-]+";
pub(crate) const STREAM_ARN_PATTERN: &str = "arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+";
pub(crate) const RESOURCE_ARN_PATTERN: &str = "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+";
pub(crate) const CONSUMER_ARN_PATTERN: &str =
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+";
pub(crate) const HASH_KEY_PATTERN: &str = "0|([1-9]\\d{0,38})";
pub(crate) const SEQUENCE_PATTERN: &str = "0|([1-9]\\d{0,128})";

pub(crate) fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
}

/// `arn:aws.*:kinesis:.*:\d{12}:` followed by `stream/\S+` (or, with `any_prefix`, `.*stream/\S+`).
pub(crate) fn is_stream_arn(text: &str, any_prefix: bool) -> bool {
    let Some(rest) = text.strip_prefix("arn:aws") else {
        return false;
    };
    let Some(at) = rest.find(":kinesis:") else {
        return false;
    };
    let rest = &rest[at + ":kinesis:".len()..];
    // `.*:\d{12}:` — find an account segment of 12 digits followed by ':'.
    let mut found = None;
    for (i, _) in rest.match_indices(':') {
        let account = rest.get(i + 1..i + 13);
        if account.is_some_and(|a| a.bytes().all(|b| b.is_ascii_digit()))
            && rest.get(i + 13..i + 14) == Some(":")
        {
            found = Some(i + 14);
            break;
        }
    }
    let Some(start) = found else {
        return false;
    };
    let tail = &rest[start..];
    let body = if any_prefix {
        match tail.find("stream/") {
            Some(i) => &tail[i + "stream/".len()..],
            None => return false,
        }
    } else {
        match tail.strip_prefix("stream/") {
            Some(body) => body,
            None => return false,
        }
    };
    !body.is_empty() && !body.chars().any(char::is_whitespace)
}

/// `arn:aws.*:kinesis:.*:\d{12}:` followed by `.*stream/<name>/consumer/<name>:<digits>` (the pattern is
/// not anchored at the end: anything may follow the digits).
pub(crate) fn is_consumer_arn(text: &str) -> bool {
    if !is_stream_arn(text, true) {
        return false;
    }
    let name_char = |c: char| c.is_ascii_alphanumeric() || "_.-".contains(c);
    // Some `stream/<name>/consumer/<name>:<digits>` after the account.
    text.match_indices("stream/").any(|(i, _)| {
        let rest = &text[i + "stream/".len()..];
        let Some((stream, rest)) = rest.split_once("/consumer/") else {
            return false;
        };
        let Some((consumer, digits)) = rest.split_once(':') else {
            return false;
        };
        !stream.is_empty()
            && stream.chars().all(name_char)
            && !consumer.is_empty()
            && consumer.chars().all(name_char)
            && digits.starts_with(|c: char| c.is_ascii_digit())
    })
}

pub(crate) fn check_name(v: &mut Validation, value: &str, member: &str) {
    v.pattern(value, member, NAME_PATTERN, is_name(value));
    v.length(value, member, 1, 128);
}

pub(crate) fn check_stream_arn(v: &mut Validation, value: &str, member: &str) {
    v.pattern(
        value,
        member,
        STREAM_ARN_PATTERN,
        is_stream_arn(value, false),
    );
    v.length(value, member, 1, 2048);
}

pub(crate) fn check_resource_arn(v: &mut Validation, value: &str, member: &str) {
    v.pattern(
        value,
        member,
        RESOURCE_ARN_PATTERN,
        is_stream_arn(value, true),
    );
    v.length(value, member, 1, 2048);
}

/// The required `StreamARN` of the actions addressed by ARN only.
pub(crate) fn require_stream_arn(v: &mut Validation, value: &Option<String>) {
    if let Some(arn) = v.required(value, "streamARN") {
        check_stream_arn(v, arn, "streamARN");
    }
}

/// The required `ResourceARN` (a stream or consumer ARN) of the resource-policy and tag actions.
pub(crate) fn require_resource_arn(v: &mut Validation, value: &Option<String>) {
    if let Some(arn) = v.required(value, "resourceARN") {
        check_resource_arn(v, arn, "resourceARN");
    }
}

/// Constraints of `StreamName` / `StreamARN`.
pub(crate) fn check_stream_ref(v: &mut Validation, stream: &StreamRef) {
    if let Some(name) = &stream.stream_name {
        check_name(v, name, "streamName");
    }
    if let Some(arn) = &stream.stream_arn {
        check_stream_arn(v, arn, "streamARN");
    }
}

pub(crate) fn check_shard_id(v: &mut Validation, value: &str, member: &str) {
    check_name(v, value, member);
}

/// Tag map constraints (`TagMap`: 1..200 entries, keys 1..128, values 0..256), reported as AWS does
/// (kinesalite's recordings): one violation for the whole map, printed as Java prints it (`{a=1, b=2}`),
/// with "Map keys must satisfy constraint: [...]" / "Map value must satisfy constraint: [...]".
pub(crate) fn check_tags(v: &mut Validation, tags: &BTreeMap<String, String>, member: &str) {
    let rendered = || {
        let entries: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("{{{}}}", entries.join(", "))
    };
    v.count(tags.len(), member, 1, 200, &format!("'{}'", rendered()));
    let utf16 = |s: &str| s.encode_utf16().count();
    if tags.keys().any(|k| !(1..=128).contains(&utf16(k))) {
        v.fail_rendered(
            &rendered(),
            member,
            "Map keys must satisfy constraint: [Member must have length less than or equal to 128, \
             Member must have length greater than or equal to 1]",
        );
    }
    if tags.values().any(|value| utf16(value) > 256) {
        v.fail_rendered(
            &rendered(),
            member,
            "Map value must satisfy constraint: [Member must have length less than or equal to 256, \
             Member must have length greater than or equal to 0]",
        );
    }
}

/// Tag key list constraints (`TagKeyList`: 1..50 keys of 1..128), reported as AWS does (kinesalite's
/// recordings): the list printed as Java prints it (`[a, b]`), one violation for its members.
pub(crate) fn check_tag_keys(v: &mut Validation, keys: &[String], member: &str) {
    let rendered = format!("[{}]", keys.join(", "));
    v.count(keys.len(), member, 1, 50, &format!("'{rendered}'"));
    if keys
        .iter()
        .any(|k| !(1..=128).contains(&k.encode_utf16().count()))
    {
        v.fail_rendered(
            &rendered,
            member,
            "Member must satisfy constraint: [Member must have length less than or equal to 128, \
             Member must have length greater than or equal to 1]",
        );
    }
}

/// Tag keys and values may only use letters, digits, white space and `_ . / = + - % @` (AWS's tag
/// rules; `:` is accepted too). White space is the Unicode separators: a tab or a line break is refused,
/// as AWS refuses them (kinesalite's recordings).
pub(crate) fn tag_chars_ok(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphanumeric() || (c.is_whitespace() && !c.is_control()) || "_./=+-%@:".contains(c)
    })
}

/// A shard id as Kinesis reads it: the number after the last `-` (or the whole id), at most 2^31 - 1.
pub(crate) fn parse_shard_index(shard_id: &str) -> Option<u32> {
    let digits = shard_id.rsplit('-').next().unwrap_or(shard_id);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let value: u64 = digits.parse().ok()?;
    (value <= i32::MAX as u64).then_some(value as u32)
}

impl Kinesis {
    /// `Could not find shard ...` for an unparseable shard id.
    pub(crate) fn shard_index_or_not_found(
        &self,
        shard_id: &str,
        stream_name: &str,
    ) -> KinesisResult<u32> {
        parse_shard_index(shard_id).ok_or_else(|| {
            KinesisError::not_found(format!(
                "Could not find shard {shard_id} in stream {stream_name} under account {}.",
                self.config.account_id
            ))
        })
    }

    pub(crate) fn shard_does_not_exist(&self, index: u32, stream_name: &str) -> KinesisError {
        KinesisError::not_found(format!(
            "Shard {} in stream {stream_name} under account {} does not exist",
            crate::stream::shard_id(index),
            self.config.account_id
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shard_ids_parse_like_kinesis() {
        assert_eq!(parse_shard_index("shardId-000000000005"), Some(5));
        assert_eq!(parse_shard_index("shardId-5"), Some(5));
        assert_eq!(parse_shard_index("2147483647"), Some(2147483647));
        assert_eq!(
            parse_shard_index("anything-00002147483647"),
            Some(2147483647)
        );
        assert_eq!(parse_shard_index("2147483648"), None);
        assert_eq!(parse_shard_index("ABKLFD8"), None);
        assert_eq!(parse_shard_index("2.14E4"), None);
        assert_eq!(parse_shard_index("shardId-"), None);
    }

    #[test]
    fn arn_patterns() {
        assert!(is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s",
            false
        ));
        assert!(is_stream_arn(
            "arn:aws-cn:kinesis:cn-north-1:123456789012:stream/a.b-c",
            false
        ));
        assert!(!is_stream_arn(
            "arn:aws:kinesis:us-east-1:0000:stream/s",
            false
        ));
        assert!(!is_stream_arn(
            "arn:aws:sqs:us-east-1:000000000000:stream/s",
            false
        ));
        assert!(!is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/",
            false
        ));
        assert!(is_stream_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1",
            true
        ));
    }

    #[test]
    fn consumer_arn_pattern() {
        let ok = "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:1700000000";
        assert!(is_consumer_arn(ok));
        assert!(!is_consumer_arn("bogus"));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c"
        ));
        assert!(!is_consumer_arn(
            "arn:aws:kinesis:us-east-1:000000000000:stream/s/consumer/c:x"
        ));
    }

    #[test]
    fn validation_messages() {
        let mut v = Validation::new();
        check_name(&mut v, "bad name!", "streamName");
        let error = v.finish().unwrap_err();
        assert_eq!(
            error.message,
            "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy \
             constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+"
        );
        let mut v = Validation::new();
        check_name(&mut v, "", "streamName");
        v.null("shardId");
        let error = v.finish().unwrap_err();
        assert!(error.message.starts_with("3 validation errors detected: "));
    }
}
