//! Publish and PublishBatch: validation, FIFO sequencing and deduplication, filtering and fan-out.

use std::collections::HashSet;
use std::sync::Arc;

use serde_json::{Map, Value};
use sha2::Digest;
use wharf_store::Batch;

use super::required;
use crate::attributes::topic_maximum_message_size;
use crate::delivery::{is_transient, sqs_input, DeliveryRecord, Target};
use crate::email;
use crate::envelope::{self, Notification};
use crate::error::{ErrorKind, SnsError, SnsResult};
use crate::filter::MessageView;
use crate::model::*;
use crate::ops::platform::OutboxEntry;
use crate::util::parse_arn;
use crate::{archive, await_commit, persist, DedupEntry, Sns, Subscription, Topic};

/// How far an archiving topic's retention floor moves before its archive is trimmed again.
const ARCHIVE_TRIM_EVERY_MILLIS: u64 = 60_000;

/// Largest message (body plus attributes) a phone number, a platform endpoint or a topic without a
/// `MaximumMessageSize` takes.
pub const MAX_MESSAGE_BYTES: usize = 262_144;
pub const DEDUP_WINDOW_MILLIS: u64 = 5 * 60 * 1000;
const MAX_BATCH_ENTRIES: usize = 10;

fn attribute_error(message: impl Into<String>) -> SnsError {
    SnsError::new(ErrorKind::InvalidParameterValue, message)
}

/// Validates message attributes as SNS does (AWS answers `ParameterValueInvalid`) and returns their size
/// in bytes (names, types and values).
pub(crate) fn validate_message_attributes(attributes: &MessageAttributes) -> SnsResult<usize> {
    let mut size = 0;
    for (name, value) in attributes {
        if name.len() >= 256 {
            return Err(attribute_error(
                "Length of message attribute name must be less than 256 bytes.",
            ));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(attribute_error(format!(
                "Invalid non-alphanumeric character '#x{:X}' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots.",
                c as u32
            )));
        }
        if name.is_empty() || name.starts_with('.') {
            return Err(attribute_error(
                "Invalid message attribute name starting with character '.' was found.",
            ));
        }
        if name.ends_with('.') {
            return Err(attribute_error(
                "Invalid message attribute name ending with character '.' was found.",
            ));
        }
        if name.contains("..") {
            return Err(attribute_error(
                "Message attribute name can not have successive '.' character.",
            ));
        }
        let lower = name.to_ascii_lowercase();
        if (lower.starts_with("aws.") || lower.starts_with("amazon."))
            && !(name.starts_with("AWS.SNS.") || name.starts_with("AWS.MM."))
        {
            return Err(attribute_error(format!(
                "The message attribute name '{name}' is reserved for use by AWS."
            )));
        }
        let data_type = value.data_type.as_deref().unwrap_or_default();
        let (base, custom) = match data_type.split_once('.') {
            Some((base, custom)) => (base, Some(custom)),
            None => (data_type, None),
        };
        // A custom type needs a label after the dot: `String.` alone is no type.
        if !matches!(base, "String" | "Number" | "Binary")
            || custom == Some("")
            || data_type.len() > 256
        {
            return Err(attribute_error(format!(
                "The message attribute '{name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."
            )));
        }
        let field = if base == "Binary" { "Binary" } else { "String" };
        // No value at all is an empty value; a value in the other field is the wrong field.
        if value.string_value.is_none() && value.binary_value.is_none() {
            return Err(attribute_error(format!(
                "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
            )));
        }
        let value_size = if base == "Binary" {
            match &value.binary_value {
                None => {
                    return Err(attribute_error(format!(
                        "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
                    )))
                }
                Some(blob) if blob.0.is_empty() => {
                    return Err(attribute_error(format!(
                        "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                    )))
                }
                Some(blob) => blob.0.len(),
            }
        } else {
            let Some(text) = value.string_value.as_deref() else {
                return Err(attribute_error(format!(
                    "The message attribute '{name}' with type '{data_type}' must use field '{field}'."
                )));
            };
            if text.is_empty() {
                return Err(attribute_error(format!(
                    "The message attribute '{name}' must contain non-empty message attribute value for message attribute type '{data_type}'."
                )));
            }
            // The same rule as SQS's (up to 38 digits of precision, 10^-128..10^+126), which raw
            // deliveries to queues pass through.
            if base == "Number" && !wharf_sqs::valid_number(text) {
                return Err(attribute_error(format!(
                    "Could not cast message attribute '{name}' value to number."
                )));
            }
            if data_type == "String.Array" {
                let valid = match serde_json::from_str::<Value>(text) {
                    Ok(Value::Array(items)) => items
                        .iter()
                        .all(|i| !matches!(i, Value::Object(_) | Value::Array(_))),
                    _ => false,
                };
                if !valid {
                    return Err(attribute_error(format!(
                        "The message attribute '{name}' with type 'String.Array' has an invalid value: it must be a JSON array of strings, numbers, true, false or null."
                    )));
                }
            }
            text.len()
        };
        size += name.len() + data_type.len() + value_size;
    }
    Ok(size)
}

/// FIFO ids: 1..128 characters, alphanumeric and punctuation.
fn validate_fifo_id(name: &str, value: &str) -> SnsResult<()> {
    let ok = !value.is_empty()
        && value.chars().count() <= 128
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if ok {
        Ok(())
    } else {
        Err(SnsError::invalid_reason(
            name,
            format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
        ))
    }
}

/// A validated message, ready to fan out.
pub(crate) struct Outgoing {
    pub message: String,
    pub subject: Option<String>,
    /// Per-protocol messages of `MessageStructure=json`.
    pub structure: Option<Map<String, Value>>,
    pub attributes: MessageAttributes,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
}

impl Outgoing {
    /// The message for one protocol: its key in a JSON structure, else `default`.
    pub fn message_for(&self, protocol: &str) -> &str {
        match &self.structure {
            Some(map) => map
                .get(protocol)
                .and_then(Value::as_str)
                .or_else(|| map.get("default").and_then(Value::as_str))
                .unwrap_or(&self.message),
            None => &self.message,
        }
    }
}

#[cfg(test)]
pub(crate) fn prepare(
    message: Option<&str>,
    subject: Option<&str>,
    structure: Option<&str>,
    attributes: &MessageAttributes,
    group_id: Option<&str>,
    dedup_id: Option<&str>,
) -> SnsResult<Outgoing> {
    let draft = Draft {
        message,
        subject,
        structure,
        attributes,
        group_id,
        dedup_id,
    };
    prepare_sized(draft, MAX_MESSAGE_BYTES, None)
}

/// The message fields of a Publish request or of one PublishBatch entry, as sent.
pub(crate) struct Draft<'a> {
    pub message: Option<&'a str>,
    pub subject: Option<&'a str>,
    pub structure: Option<&'a str>,
    pub attributes: &'a MessageAttributes,
    pub group_id: Option<&'a str>,
    pub dedup_id: Option<&'a str>,
}

impl<'a> From<&'a PublishInput> for Draft<'a> {
    fn from(input: &'a PublishInput) -> Self {
        Draft {
            message: input.message.as_deref(),
            subject: input.subject.as_deref(),
            structure: input.message_structure.as_deref(),
            attributes: &input.message_attributes,
            group_id: input.message_group_id.as_deref(),
            dedup_id: input.message_deduplication_id.as_deref(),
        }
    }
}

impl<'a> From<&'a PublishBatchRequestEntry> for Draft<'a> {
    fn from(entry: &'a PublishBatchRequestEntry) -> Self {
        Draft {
            message: entry.message.as_deref(),
            subject: entry.subject.as_deref(),
            structure: entry.message_structure.as_deref(),
            attributes: &entry.message_attributes,
            group_id: entry.message_group_id.as_deref(),
            dedup_id: entry.message_deduplication_id.as_deref(),
        }
    }
}

/// Validates a message whose body and attributes may take up to `max_bytes`. `platform` is the platform
/// (`GCM`, `APNS`, ...) of the endpoint a message is published to directly, `None` for topics and phones.
pub(crate) fn prepare_sized(
    draft: Draft<'_>,
    max_bytes: usize,
    platform: Option<&str>,
) -> SnsResult<Outgoing> {
    let Draft {
        message,
        subject,
        structure,
        attributes,
        group_id,
        dedup_id,
    } = draft;
    let message = message
        .filter(|m| !m.is_empty())
        .ok_or_else(|| SnsError::invalid("Empty message"))?;
    // Subjects are UTF-8 text without line breaks or control characters, at most 100 characters.
    if let Some(subject) = subject {
        let valid = !subject.is_empty()
            && subject.chars().count() <= 100
            && !subject
                .chars()
                .any(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'));
        if !valid {
            return Err(SnsError::invalid("Subject"));
        }
    }
    let structure = match structure {
        None | Some("") => None,
        Some("json") => {
            let map = parse_structured_message(message).ok_or_else(|| {
                SnsError::invalid("Message Structure - JSON message body failed to parse")
            })?;
            let has_entry = |key: &str| map.get(key).is_some_and(Value::is_string);
            match platform {
                // A platform endpoint takes its own platform's entry in place of `default` (the AWS
                // docs' FCM payloads are `{"GCM": "..."}` alone; AWS's answer without either is quoted
                // in aws/aws-sdk-net#180 and aws/aws-sdk-java#1991). The key is case-sensitive and its
                // value must be a string, as for `default`.
                Some(platform) if !has_entry("default") && !has_entry(platform) => {
                    return Err(SnsError::invalid(format!(
                        "JSON must contain an entry for 'default' or '{platform}'."
                    )));
                }
                None if !has_entry("default") => {
                    return Err(SnsError::invalid(
                        "Message Structure - No default entry in JSON message body",
                    ));
                }
                _ => {}
            }
            Some(map)
        }
        Some(_) => return Err(SnsError::invalid("MessageStructure")),
    };
    let attributes_size = validate_message_attributes(attributes)?;
    if message.len() + attributes_size > max_bytes {
        return Err(SnsError::invalid("Message too long"));
    }
    if let Some(group) = group_id {
        validate_fifo_id("MessageGroupId", group)?;
    }
    if let Some(dedup) = dedup_id {
        validate_fifo_id("MessageDeduplicationId", dedup)?;
    }
    Ok(Outgoing {
        message: message.to_string(),
        subject: subject.map(str::to_string),
        structure,
        attributes: attributes.clone(),
        group_id: group_id.map(str::to_string),
        dedup_id: dedup_id.map(str::to_string),
    })
}

/// The JSON object of a `MessageStructure=json` message, or `None` when the message is not one JSON object
/// or repeats a top-level key (API reference, Publish: "Duplicate keys are not allowed.").
fn parse_structured_message(message: &str) -> Option<Map<String, Value>> {
    use serde::de::{Deserializer, MapAccess, Visitor};

    struct UniqueKeys;

    impl<'de> Visitor<'de> for UniqueKeys {
        type Value = Map<String, Value>;

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("a JSON object without repeated keys")
        }

        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut map = Map::new();
            while let Some((key, value)) = access.next_entry::<String, Value>()? {
                if map.contains_key(&key) {
                    return Err(serde::de::Error::custom(format!("duplicate key {key}")));
                }
                map.insert(key, value);
            }
            Ok(map)
        }
    }

    let mut deserializer = serde_json::Deserializer::from_str(message);
    let map = (&mut deserializer).deserialize_map(UniqueKeys).ok()?;
    deserializer.end().ok()?;
    Some(map)
}

/// What the fan-out needs to know about the topic, read under the registry lock.
struct TopicSnapshot {
    topic: Arc<Topic>,
    content_based_dedup: bool,
    group_scoped_dedup: bool,
    signature_version: String,
    subscriptions: Vec<Arc<Subscription>>,
    /// The archive's retention period in days, when the (FIFO) topic archives its messages.
    archive_days: Option<u64>,
}

/// The FIFO parameters a topic of this kind requires or refuses.
fn check_fifo_parameters(
    fifo: bool,
    content_based_dedup: bool,
    outgoing: &Outgoing,
) -> SnsResult<()> {
    if fifo {
        if outgoing.group_id.is_none() {
            return Err(SnsError::invalid(
                "The MessageGroupId parameter is required for FIFO topics",
            ));
        }
        if outgoing.dedup_id.is_none() && !content_based_dedup {
            return Err(SnsError::invalid(
                "The topic should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly",
            ));
        }
    } else if outgoing.dedup_id.is_some() {
        return Err(SnsError::invalid_reason(
            "MessageDeduplicationId",
            "The request includes MessageDeduplicationId parameter that is not valid for this topic type",
        ));
    }
    Ok(())
}

impl Sns {
    fn topic_snapshot(&self, name: &str) -> SnsResult<TopicSnapshot> {
        let registry = self.registry.read();
        let entry = registry
            .topics
            .get(name)
            .ok_or_else(SnsError::topic_not_found)?;
        let attribute = |k: &str| entry.attributes.get(k).map(String::as_str);
        Ok(TopicSnapshot {
            topic: Arc::clone(&entry.topic),
            content_based_dedup: attribute("ContentBasedDeduplication") == Some("true"),
            group_scoped_dedup: attribute("FifoThroughputScope") == Some("MessageGroup"),
            signature_version: attribute("SignatureVersion").unwrap_or("1").to_string(),
            archive_days: crate::archive::retention_days(&entry.attributes),
            subscriptions: entry
                .subscriptions
                .iter()
                .filter_map(|arn| registry.subscriptions.get(arn))
                .filter(|s| s.confirmed)
                .cloned()
                .collect(),
        })
    }

    pub async fn publish(&self, input: PublishInput) -> SnsResult<PublishOutput> {
        let targets = [&input.topic_arn, &input.target_arn, &input.phone_number]
            .iter()
            .filter(|t| t.as_deref().is_some_and(|t| !t.is_empty()))
            .count();
        if targets == 0 {
            // An empty TopicArn is checked as an ARN (AWS: "An ARN must have at least 6 elements, not 1").
            if let Some(arn) = input.topic_arn.as_deref() {
                self.topic_name_of(arn, "TopicArn")?;
            }
            return Err(SnsError::invalid_reason(
                "TopicArn or TargetArn",
                "no value for required parameter",
            ));
        }
        if targets > 1 {
            return Err(SnsError::invalid_reason(
                "TopicArn",
                "Only one of TopicArn, TargetArn or PhoneNumber may be specified",
            ));
        }
        // A topic's MaximumMessageSize bounds what it takes (phone numbers and endpoints take 256 KiB).
        let max_bytes = match (&input.topic_arn, &input.target_arn) {
            (Some(arn), _) | (None, Some(arn)) if !arn.is_empty() => self.topic_size_limit(arn),
            _ => MAX_MESSAGE_BYTES,
        };
        let arn = input
            .topic_arn
            .as_deref()
            .filter(|t| !t.is_empty())
            .or(input.target_arn.as_deref())
            .unwrap_or_default();
        let is_endpoint = input.topic_arn.is_none()
            && parse_arn(arn, "sns").is_some_and(|p| p.resource.starts_with("endpoint/"));
        // The endpoint is looked at before the message: AWS answers `EndpointDisabled` to a
        // `MessageStructure=json` publish whose message is not JSON (moto's AWS-verified
        // test_publish_to_disabled_platform_endpoint).
        let platform = if is_endpoint {
            Some(self.publishable_endpoint(arn)?)
        } else {
            None
        };
        let outgoing = prepare_sized((&input).into(), max_bytes, platform.as_deref())?;
        if let Some(phone) = input.phone_number.as_deref().filter(|p| !p.is_empty()) {
            return self.publish_sms(phone, &outgoing).await;
        }
        if is_endpoint {
            return self.publish_to_endpoint(arn, &outgoing).await;
        }
        let parameter = if input.topic_arn.is_some() {
            "TopicArn"
        } else {
            "TargetArn"
        };
        let name = self.topic_name_of(arn, parameter)?;
        self.publish_to_topic(name, outgoing).await
    }

    /// The `MaximumMessageSize` of the topic an ARN names, or 256 KiB when it names no (existing) topic.
    fn topic_size_limit(&self, arn: &str) -> usize {
        let Ok(name) = self.topic_name_of(arn, "TopicArn") else {
            return MAX_MESSAGE_BYTES;
        };
        self.registry
            .read()
            .topics
            .get(name)
            .map_or(MAX_MESSAGE_BYTES, |entry| {
                topic_maximum_message_size(&entry.attributes)
            })
    }

    pub async fn publish_batch(&self, input: PublishBatchInput) -> SnsResult<PublishBatchOutput> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        self.topic_snapshot(name)?;
        let max_bytes = self.topic_size_limit(arn);
        let entries = &input.publish_batch_request_entries;
        if entries.is_empty() {
            return Err(SnsError::new(
                ErrorKind::EmptyBatchRequest,
                "The batch request doesn't contain any entries.",
            ));
        }
        if entries.len() > MAX_BATCH_ENTRIES {
            return Err(SnsError::new(
                ErrorKind::TooManyEntriesInBatchRequest,
                "The batch request contains more entries than permissible.",
            ));
        }
        let mut seen = HashSet::new();
        for entry in entries {
            let id = entry.id.as_deref().unwrap_or_default();
            let valid = !id.is_empty()
                && id.len() <= 80
                && id
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(SnsError::new(
                    ErrorKind::InvalidBatchEntryId,
                    "The Id of a batch entry in a batch request doesn't abide by the specification.",
                ));
            }
            if !seen.insert(id) {
                return Err(SnsError::new(
                    ErrorKind::BatchEntryIdsNotDistinct,
                    "Two or more batch entries in the request have the same Id.",
                ));
            }
        }
        let total: usize = entries
            .iter()
            .map(|e| {
                e.message.as_deref().map_or(0, str::len)
                    + validate_message_attributes(&e.message_attributes).unwrap_or(0)
            })
            .sum();
        if total > max_bytes {
            return Err(SnsError::new(
                ErrorKind::BatchRequestTooLong,
                "The length of all the messages put together is more than the limit.",
            ));
        }
        // Every entry is validated before any is published: AWS answers an invalid entry (message
        // attributes, JSON structure, FIFO parameters, ...) with an error for the whole request, as Publish
        // would, and publishes nothing. Only failures while publishing are reported per entry.
        let snapshot = self.topic_snapshot(name)?;
        let mut prepared = Vec::with_capacity(entries.len());
        for entry in entries {
            let outgoing = prepare_sized(entry.into(), max_bytes, None)?;
            check_fifo_parameters(snapshot.topic.fifo, snapshot.content_based_dedup, &outgoing)?;
            prepared.push((entry.id.clone().unwrap_or_default(), outgoing));
        }
        let mut output = PublishBatchOutput::default();
        for (id, outgoing) in prepared {
            let result = self.publish_to_topic(name, outgoing).await;
            match result {
                Ok(published) => output.successful.push(PublishBatchResultEntry {
                    id,
                    message_id: published.message_id,
                    sequence_number: published.sequence_number,
                }),
                Err(error) if error.kind == ErrorKind::ServiceUnavailable => return Err(error),
                Err(error) => output.failed.push(BatchResultErrorEntry {
                    id,
                    code: error.kind.query_code().to_string(),
                    message: error.message,
                    sender_fault: error.kind.sender_fault(),
                }),
            }
        }
        Ok(output)
    }

    pub(crate) async fn publish_to_topic(
        &self,
        name: &str,
        outgoing: Outgoing,
    ) -> SnsResult<PublishOutput> {
        let snapshot = self.topic_snapshot(name)?;
        let topic = Arc::clone(&snapshot.topic);
        check_fifo_parameters(topic.fifo, snapshot.content_based_dedup, &outgoing)?;
        let dedup_id = if topic.fifo {
            let group = outgoing.group_id.as_deref().unwrap_or_default();
            let dedup = match outgoing.dedup_id.clone() {
                Some(id) => id,
                None => {
                    let digest = sha2::Sha256::digest(outgoing.message.as_bytes());
                    digest.iter().map(|b| format!("{b:02x}")).collect()
                }
            };
            let key = if snapshot.group_scoped_dedup {
                format!("{group}\u{0}{dedup}")
            } else {
                dedup.clone()
            };
            Some((key, dedup))
        } else {
            None
        };
        // FIFO: deliveries leave in sequence-number order.
        let _gate = if topic.fifo {
            Some(topic.gate.lock().await)
        } else {
            None
        };
        let now = self.now();
        let message_id = uuid::Uuid::new_v4().to_string();
        let mut sequence_number = None;
        if let Some((key, _)) = &dedup_id {
            let commit = {
                let mut state = topic.publish.lock();
                let mut batch = Batch::new();
                let expired: Vec<String> = state
                    .dedup
                    .iter()
                    .filter(|(_, e)| e.expires_millis <= now)
                    .map(|(k, _)| k.clone())
                    .collect();
                for old in expired {
                    state.dedup.remove(&old);
                    persist::delete_dedup(&mut batch, &topic.name, &old);
                }
                if let Some(original) = state.dedup.get(key) {
                    // A duplicate within the window is accepted and not delivered again.
                    return Ok(PublishOutput {
                        message_id: original.message_id.clone(),
                        sequence_number: original.sequence_number.clone(),
                    });
                }
                let seq = (state.last_seq + 1).max(now << 16);
                state.last_seq = seq;
                let seq_text = format!("{seq:020}");
                let entry = DedupEntry {
                    expires_millis: now + DEDUP_WINDOW_MILLIS,
                    message_id: message_id.clone(),
                    sequence_number: Some(seq_text.clone()),
                };
                persist::put_dedup(&mut batch, &topic.name, key, &entry);
                state.dedup.insert(key.clone(), entry);
                // An archiving topic keeps the message, in the same batch, and drops what is past
                // retention (at most once a minute: each trim is a range deletion; replays skip
                // messages past retention anyway).
                if let Some(days) = snapshot.archive_days {
                    let floor = archive::retention_floor(now, days);
                    if floor >= state.archive_trimmed_to + ARCHIVE_TRIM_EVERY_MILLIS {
                        archive::expire_archive(&mut batch, &topic.name, now, days);
                        state.archive_trimmed_to = floor;
                    }
                    let archived = archive::ArchivedMessage {
                        v: persist::FORMAT_VERSION,
                        message_id: message_id.clone(),
                        message: outgoing.message.clone(),
                        subject: outgoing.subject.clone(),
                        structure: outgoing.structure.is_some(),
                        attributes: outgoing.attributes.clone(),
                        group_id: outgoing.group_id.clone(),
                        dedup_id: dedup_id.as_ref().map(|(_, d)| d.clone()),
                        sequence_number: Some(seq_text.clone()),
                        timestamp_millis: now,
                    };
                    archive::put_archived(&mut batch, &topic.name, seq, &archived);
                }
                sequence_number = Some(seq_text);
                self.submit(batch)
            };
            await_commit(commit).await?;
        }
        let published = Published {
            topic: &topic,
            message_id: &message_id,
            sequence_number: sequence_number.as_deref(),
            dedup_id: dedup_id.as_ref().map(|(_, d)| d.as_str()),
            timestamp: now,
            signature_version: &snapshot.signature_version,
            outgoing: &outgoing,
            replayed: false,
        };
        self.fan_out(&published, &snapshot.subscriptions).await?;
        Ok(PublishOutput {
            message_id,
            sequence_number,
        })
    }

    pub(crate) async fn fan_out(
        &self,
        published: &Published<'_>,
        subscriptions: &[Arc<Subscription>],
    ) -> SnsResult<()> {
        let outgoing = published.outgoing;
        // Message attributes go out only with a plain (String) message, not with MessageStructure=json
        // (they still count for filter policies).
        let no_attributes = MessageAttributes::new();
        let delivered_attributes = if outgoing.structure.is_some() {
            &no_attributes
        } else {
            &outgoing.attributes
        };
        let mut batch = Batch::new();
        let mut queued_http = false;
        let mut signatures: Vec<(&str, String)> = Vec::new();
        let mut queue_sends: Vec<QueueSend<'_>> = Vec::new();
        for sub in subscriptions {
            let message = outgoing.message_for(&sub.protocol);
            if let Some(filter) = &sub.filter {
                if !filter.matches(&MessageView::new(&outgoing.attributes, message)) {
                    continue;
                }
            }
            let raw = sub.raw();
            let notification = Notification {
                message_id: published.message_id,
                topic_arn: &published.topic.arn,
                subject: outgoing.subject.as_deref(),
                message,
                timestamp_millis: published.timestamp,
                sequence_number: published.sequence_number,
                subscription_arn: &sub.arn,
                attributes: delivered_attributes,
                signature_version: published.signature_version,
                replayed: published.replayed,
            };
            // Raw messages and FIFO notifications (no signature members) are not signed.
            let (body, signature) = if raw {
                (message.to_string(), String::new())
            } else if notification.sequence_number.is_some() && sub.protocol != "lambda" {
                let body = envelope::notification(self.base_url(), &notification, "");
                (body, String::new())
            } else {
                // The signature covers the message text but not the subscription: sign each distinct text
                // (one per protocol at most) once.
                let signature = match signatures.iter().find(|(text, _)| *text == message) {
                    Some((_, signature)) => signature.clone(),
                    None => {
                        let signature = self
                            .sign_off_runtime(
                                envelope::notification_string_to_sign(&notification),
                                published.signature_version,
                            )
                            .await?;
                        signatures.push((message, signature.clone()));
                        signature
                    }
                };
                let body = envelope::notification(self.base_url(), &notification, &signature);
                (body, signature)
            };
            let lambda_url = (sub.protocol == "lambda")
                .then(|| self.lambda_url(&sub.endpoint))
                .flatten();
            let mail =
                self.mailer.is_some() && matches!(sub.protocol.as_str(), "email" | "email-json");
            match sub.protocol.as_str() {
                "sqs" => {
                    let queue_fifo = sub.endpoint.ends_with(".fifo");
                    let (group_id, dedup_id) = if queue_fifo {
                        (
                            outgoing.group_id.clone(),
                            published.dedup_id.map(str::to_string),
                        )
                    } else if published.topic.fifo {
                        // A FIFO topic's message reaches a standard queue without its group (AWS
                        // delivers it without a MessageGroupId); a standard topic passes one on.
                        (None, None)
                    } else {
                        (outgoing.group_id.clone(), None)
                    };
                    let attributes = if raw {
                        delivered_attributes.clone()
                    } else {
                        MessageAttributes::new()
                    };
                    let target = Target::Sqs {
                        queue_arn: sub.endpoint.clone(),
                        group_id,
                        dedup_id,
                        attributes,
                    };
                    queue_sends.push(QueueSend {
                        subscription: sub,
                        body,
                        raw,
                        target,
                    });
                }
                "http" | "https" => {
                    let record = DeliveryRecord::new(
                        &sub.arn,
                        &published.topic.arn,
                        "Notification",
                        published.message_id,
                        body,
                        raw,
                        Target::Http {
                            url: sub.endpoint.clone(),
                        },
                        published.timestamp,
                    );
                    self.enqueue_delivery(&mut batch, record);
                    queued_http = true;
                }
                "lambda" if lambda_url.is_some() => {
                    let event = envelope::lambda_event(self.base_url(), &notification, &signature);
                    let record = DeliveryRecord::new(
                        &sub.arn,
                        &published.topic.arn,
                        "Notification",
                        published.message_id,
                        event,
                        false,
                        Target::Lambda {
                            url: lambda_url.unwrap_or_default(),
                        },
                        published.timestamp,
                    );
                    self.enqueue_delivery(&mut batch, record);
                    queued_http = true;
                }
                "email" | "email-json" if mail => {
                    let text = if sub.protocol == "email" {
                        email::notification_text(
                            message,
                            &envelope::unsubscribe_url(self.base_url(), &sub.arn),
                        )
                    } else {
                        body
                    };
                    let subject = outgoing
                        .subject
                        .clone()
                        .unwrap_or_else(|| email::DEFAULT_SUBJECT.to_string());
                    let record = DeliveryRecord::new(
                        &sub.arn,
                        &published.topic.arn,
                        "Notification",
                        published.message_id,
                        text,
                        false,
                        Target::Email {
                            to: sub.endpoint.clone(),
                            subject,
                        },
                        published.timestamp,
                    );
                    self.enqueue_delivery(&mut batch, record);
                    queued_http = true;
                }
                protocol => {
                    let entry = OutboxEntry {
                        seq: 0,
                        kind: protocol.to_string(),
                        target: sub.endpoint.clone(),
                        topic_arn: Some(published.topic.arn.clone()),
                        subscription_arn: Some(sub.arn.clone()),
                        message_id: published.message_id.to_string(),
                        subject: outgoing.subject.clone(),
                        message: if protocol == "email" {
                            message.to_string()
                        } else {
                            body
                        },
                        attributes: delivered_attributes.clone(),
                        timestamp_millis: published.timestamp,
                    };
                    self.outbox_put(&mut batch, entry);
                }
            }
        }
        // Every queue subscription at once: one SQS store batch, one commit, whatever their number.
        if !queue_sends.is_empty() {
            let mut indices = Vec::with_capacity(queue_sends.len());
            let mut inputs = Vec::with_capacity(queue_sends.len());
            let mut unusable = Vec::new();
            for (index, send) in queue_sends.iter().enumerate() {
                let Target::Sqs {
                    queue_arn,
                    group_id,
                    dedup_id,
                    attributes,
                } = &send.target
                else {
                    continue;
                };
                match sqs_input(queue_arn, &send.body, attributes, group_id, dedup_id) {
                    Ok(input) => {
                        indices.push(index);
                        inputs.push(input);
                    }
                    Err(error) => unusable.push((index, error)),
                }
            }
            let sent = self.sqs().send_message_to_queues(&inputs).await;
            drop(inputs);
            let failures = indices
                .into_iter()
                .zip(sent)
                .filter_map(|(index, result)| result.err().map(|error| (index, error)))
                .chain(unusable);
            for (index, error) in failures {
                let send = &queue_sends[index];
                let sub = send.subscription;
                let record = DeliveryRecord::new(
                    &sub.arn,
                    &published.topic.arn,
                    "Notification",
                    published.message_id,
                    send.body.clone(),
                    send.raw,
                    send.target.clone(),
                    published.timestamp,
                );
                if is_transient(&error) {
                    tracing::warn!(%error, subscription = %sub.arn, "queue delivery failed; will retry");
                    self.enqueue_delivery(&mut batch, record);
                    queued_http = true;
                } else {
                    tracing::warn!(%error, subscription = %sub.arn, "queue delivery failed");
                    self.dead_letter(&record, Some(sub)).await;
                }
            }
        }
        let commit = self.submit(batch);
        if queued_http {
            self.wake_deliveries();
        }
        await_commit(commit).await
    }
}

/// A queue delivery of one publish, made together with the others after the subscriptions are walked.
struct QueueSend<'a> {
    subscription: &'a Subscription,
    body: String,
    raw: bool,
    target: Target,
}

/// One accepted publish (or archived message being replayed), as the fan-out sees it.
pub(crate) struct Published<'a> {
    pub topic: &'a Topic,
    pub message_id: &'a str,
    pub sequence_number: Option<&'a str>,
    pub dedup_id: Option<&'a str>,
    pub timestamp: u64,
    pub signature_version: &'a str,
    pub outgoing: &'a Outgoing,
    /// A message replayed from the topic's archive (marked `"Replayed" : true` in the envelope).
    pub replayed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attr(data_type: &str, value: &str) -> MessageAttributes {
        let mut out = MessageAttributes::new();
        out.insert(
            "a".into(),
            MessageAttributeValue {
                data_type: Some(data_type.into()),
                string_value: Some(value.into()),
                binary_value: None,
            },
        );
        out
    }

    #[test]
    fn attribute_validation() {
        assert_eq!(
            validate_message_attributes(&attr("String", "xy")).unwrap(),
            1 + 6 + 2
        );
        assert!(validate_message_attributes(&attr("Number", "12.5")).is_ok());
        assert!(validate_message_attributes(&attr("Number", "twelve")).is_err());
        assert!(validate_message_attributes(&attr("String.Array", r#"["a",1,true,null]"#)).is_ok());
        assert!(validate_message_attributes(&attr("String.Array", r#"{"a":1}"#)).is_err());
        assert!(validate_message_attributes(&attr("String.custom", "x")).is_ok());
        assert!(validate_message_attributes(&attr("Text", "x")).is_err());
        assert!(validate_message_attributes(&attr("String", "")).is_err());
        let mut no_value = attr("Number", "1");
        no_value.get_mut("a").unwrap().string_value = None;
        assert_eq!(
            validate_message_attributes(&no_value).unwrap_err().message,
            "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'Number'."
        );
        let mut wrong_field = no_value.clone();
        wrong_field.get_mut("a").unwrap().binary_value = Some(Blob(vec![1]));
        assert_eq!(
            validate_message_attributes(&wrong_field)
                .unwrap_err()
                .message,
            "The message attribute 'a' with type 'Number' must use field 'String'."
        );
        let mut bad_name = attr("String", "x");
        let v = bad_name.remove("a").unwrap();
        bad_name.insert("AWS.internal".into(), v.clone());
        assert!(validate_message_attributes(&bad_name).is_err());
        let mut sms = MessageAttributes::new();
        sms.insert("AWS.SNS.SMS.SenderID".into(), v);
        assert!(validate_message_attributes(&sms).is_ok());
    }

    #[test]
    fn message_structure() {
        let empty = MessageAttributes::new();
        let out = prepare(
            Some(r#"{"default":"d","sqs":"q"}"#),
            None,
            Some("json"),
            &empty,
            None,
            None,
        )
        .unwrap();
        assert_eq!(out.message_for("sqs"), "q");
        assert_eq!(out.message_for("http"), "d");
        let err = prepare(
            Some(r#"{"sqs":"q"}"#),
            None,
            Some("json"),
            &empty,
            None,
            None,
        )
        .err()
        .unwrap();
        assert_eq!(
            err.message,
            "Invalid parameter: Message Structure - No default entry in JSON message body"
        );
        // Published to a platform endpoint, the platform's own entry stands in for `default`.
        let gcm = r#"{"GCM":"{\"data\":{}}"}"#;
        let sized = |message: &str, platform| {
            let draft = Draft {
                message: Some(message),
                subject: None,
                structure: Some("json"),
                attributes: &empty,
                group_id: None,
                dedup_id: None,
            };
            prepare_sized(draft, MAX_MESSAGE_BYTES, platform)
        };
        assert_eq!(
            sized(gcm, Some("GCM")).unwrap().message_for("GCM"),
            r#"{"data":{}}"#
        );
        for (message, platform) in [
            (gcm, Some("APNS")),
            (r#"{"gcm":"x"}"#, Some("GCM")),
            (r#"{"GCM":{}}"#, Some("GCM")),
        ] {
            assert_eq!(
                sized(message, platform).err().unwrap().message,
                format!(
                    "Invalid parameter: JSON must contain an entry for 'default' or '{}'.",
                    platform.unwrap()
                )
            );
        }
        assert!(sized(r#"{"default":"d"}"#, Some("GCM")).is_ok());
        assert!(sized(gcm, None).is_err());
        // Repeated top-level keys are refused; repeats inside an ignored value are not looked at.
        let duplicate = r#"{"default":"a","default":"b"}"#;
        assert!(prepare(Some(duplicate), None, Some("json"), &empty, None, None).is_err());
        let nested = r#"{"default":"a","other":{"k":1,"k":2}}"#;
        assert!(prepare(Some(nested), None, Some("json"), &empty, None, None).is_ok());
        let err = prepare(Some("nope"), None, Some("json"), &empty, None, None)
            .err()
            .unwrap();
        assert_eq!(
            err.message,
            "Invalid parameter: Message Structure - JSON message body failed to parse"
        );
        assert_eq!(
            prepare(Some(""), None, None, &empty, None, None)
                .err()
                .unwrap()
                .message,
            "Invalid parameter: Empty message"
        );
        assert_eq!(
            prepare(
                Some(&"x".repeat(MAX_MESSAGE_BYTES + 1)),
                None,
                None,
                &empty,
                None,
                None
            )
            .err()
            .unwrap()
            .message,
            "Invalid parameter: Message too long"
        );
        assert!(prepare(Some("m"), Some("line\nbreak"), None, &empty, None, None).is_err());
        assert!(prepare(Some("m"), Some("tab\there"), None, &empty, None, None).is_err());
        // UTF-8 subjects of up to 100 characters are fine.
        let accented = "é".repeat(100);
        assert!(prepare(Some("m"), Some(&accented), None, &empty, None, None).is_ok());
        let too_long = "é".repeat(101);
        assert!(prepare(Some("m"), Some(&too_long), None, &empty, None, None).is_err());
        assert!(prepare(
            Some("m"),
            None,
            None,
            &empty,
            Some("g"),
            Some("bad id with spaces")
        )
        .is_err());
    }
}
