//! CreateTopic, DeleteTopic, ListTopics, Get/SetTopicAttributes, Get/PutDataProtectionPolicy.

use std::sync::Arc;

use parking_lot::Mutex;
use wharf_store::Batch;

use super::required;
use crate::attributes::{
    archive_policy_active, check_large_message_subscriptions, default_topic_policy,
    parse_maximum_message_size, topic_effective_delivery_policy, validate_topic_attribute,
};
use crate::error::{SnsError, SnsResult};
use crate::model::*;
use crate::util::{iso8601, page, parse_arn, valid_topic_name, PAGE_SIZE};
use crate::{await_commit, persist, PublishState, Registry, Sns, Topic, TopicEntry};

const FIFO_NAME_RULE: &str = "Fifo Topic names must end with .fifo and must be made up of only uppercase and lowercase ASCII letters, numbers, underscores, and hyphens, and must be between 1 and 256 characters long.";

/// Attributes whose empty value removes them.
const REMOVABLE: &[&str] = &[
    "DeliveryPolicy",
    "KmsMasterKeyId",
    "ArchivePolicy",
    "TracingConfig",
    "SignatureVersion",
];

pub(crate) fn validate_tags(tags: &[Tag]) -> SnsResult<()> {
    for tag in tags {
        if tag.key.is_empty() || tag.key.chars().count() > 128 {
            return Err(SnsError::invalid_reason(
                "Tags",
                "Tag keys must be between 1 and 128 characters in length.",
            ));
        }
        if tag.value.chars().count() > 256 {
            return Err(SnsError::invalid_reason(
                "Tags",
                "Tag values must be between 0 and 256 characters in length.",
            ));
        }
    }
    Ok(())
}

/// Keeps `BeginningArchiveTime` (from when a FIFO topic's archive starts, the earliest point a replay can
/// start from) in step with the topic's `ArchivePolicy`: set when archiving turns on, kept while it stays
/// on, gone when it is turned off.
fn sync_archive_time(attributes: &mut Attributes, now: u64) {
    if attributes
        .get("ArchivePolicy")
        .is_some_and(|p| archive_policy_active(p))
    {
        attributes
            .entry("BeginningArchiveTime".to_string())
            .or_insert_with(|| iso8601(now));
    } else {
        attributes.remove("BeginningArchiveTime");
    }
}

/// Topics per account (API reference, CreateTopic).
const MAX_STANDARD_TOPICS: usize = 100_000;
const MAX_FIFO_TOPICS: usize = 1_000;

impl Sns {
    /// Resolves a topic ARN to the topic's name, checking its form (`parameter` names it in errors).
    pub(crate) fn topic_name_of<'a>(&self, arn: &'a str, parameter: &str) -> SnsResult<&'a str> {
        let elements = arn.split(':').count();
        if elements < 6 {
            return Err(SnsError::invalid_reason(
                parameter,
                format!("An ARN must have at least 6 elements, not {elements}"),
            ));
        }
        let parts = parse_arn(arn, "sns").ok_or_else(|| SnsError::invalid(parameter))?;
        let name = parts.resource;
        if !valid_topic_name(name, name.ends_with(".fifo")) {
            return Err(SnsError::invalid(parameter));
        }
        if parts.region != self.config().region || parts.account != self.config().account_id {
            return Err(SnsError::topic_not_found());
        }
        Ok(name)
    }

    pub(crate) fn topic_summary(&self, registry: &Registry, entry: &TopicEntry) -> Attributes {
        let topic = &entry.topic;
        let mut attributes = Attributes::new();
        let (mut confirmed, mut pending) = (0u64, 0u64);
        for arn in &entry.subscriptions {
            match registry.subscriptions.get(arn) {
                Some(sub) if sub.confirmed => confirmed += 1,
                Some(_) => pending += 1,
                None => {}
            }
        }
        attributes.insert("TopicArn".into(), topic.arn.clone());
        attributes.insert("Owner".into(), self.config().account_id.clone());
        attributes.insert(
            "Policy".into(),
            default_topic_policy(&topic.arn, &self.config().account_id),
        );
        attributes.insert("DisplayName".into(), String::new());
        attributes.insert("SubscriptionsConfirmed".into(), confirmed.to_string());
        attributes.insert("SubscriptionsPending".into(), pending.to_string());
        attributes.insert(
            "SubscriptionsDeleted".into(),
            entry.subscriptions_deleted.to_string(),
        );
        attributes.insert(
            "EffectiveDeliveryPolicy".into(),
            topic_effective_delivery_policy(
                entry.attributes.get("DeliveryPolicy").map(String::as_str),
            ),
        );
        if topic.fifo {
            attributes.insert("FifoTopic".into(), "true".into());
            attributes.insert("ContentBasedDeduplication".into(), "false".into());
            attributes.insert("FifoThroughputScope".into(), "Topic".into());
        }
        for (k, v) in &entry.attributes {
            attributes.insert(k.clone(), v.clone());
        }
        attributes
    }

    pub async fn create_topic(&self, input: CreateTopicInput) -> SnsResult<CreateTopicOutput> {
        let name = required(&input.name, "Name")?;
        let fifo = input
            .attributes
            .get("FifoTopic")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if !valid_topic_name(name, fifo) {
            return Err(SnsError::invalid(if fifo {
                FIFO_NAME_RULE
            } else {
                "Topic Name"
            }));
        }
        let mut attributes = Attributes::new();
        for (key, value) in &input.attributes {
            validate_topic_attribute(key, value, fifo, true)?;
            if key == "FifoTopic" || (value.is_empty() && REMOVABLE.contains(&key.as_str())) {
                continue;
            }
            let value = if key == "ContentBasedDeduplication" {
                value.to_ascii_lowercase()
            } else {
                value.clone()
            };
            attributes.insert(key.clone(), value);
        }
        validate_tags(&input.tags)?;
        if input.tags.len() > super::tags::MAX_TAGS {
            return Err(super::tags::tag_limit());
        }
        if let Some(policy) = input.data_protection_policy.as_deref() {
            validate_data_protection_policy(policy)?;
        }
        let now = self.now();
        sync_archive_time(&mut attributes, now);
        let arn = self.topic_arn_of(name);
        let commit = {
            let mut registry = self.registry.write();
            if let Some(existing) = registry.topics.get(name) {
                let current = self.topic_summary(&registry, existing);
                let same_attributes = input.attributes.iter().all(|(k, v)| match k.as_str() {
                    "FifoTopic" => existing.topic.fifo == fifo,
                    "ContentBasedDeduplication" => current
                        .get(k)
                        .map(|c| c.eq_ignore_ascii_case(v))
                        .unwrap_or(false),
                    _ => current.get(k).map(String::as_str).unwrap_or("") == v.as_str(),
                });
                if !same_attributes {
                    return Err(SnsError::invalid_reason(
                        "Attributes",
                        "Topic already exists with different attributes",
                    ));
                }
                let same_tags = input
                    .tags
                    .iter()
                    .all(|t| existing.tags.get(&t.key) == Some(&t.value));
                if !same_tags {
                    return Err(SnsError::invalid_reason(
                        "Tags",
                        "Topic already exists with different tags",
                    ));
                }
                return Ok(CreateTopicOutput { topic_arn: arn });
            }
            // "Users can create at most 100,000 standard topics (at most 1,000 FIFO topics)."
            let same_kind = registry
                .topics
                .values()
                .filter(|t| t.topic.fifo == fifo)
                .count();
            let quota = if fifo {
                MAX_FIFO_TOPICS
            } else {
                MAX_STANDARD_TOPICS
            };
            if same_kind >= quota {
                return Err(SnsError::new(
                    crate::ErrorKind::TopicLimitExceeded,
                    "Topic limit exceeded",
                ));
            }
            let entry = TopicEntry {
                topic: Arc::new(Topic {
                    name: name.to_string(),
                    arn: arn.clone(),
                    fifo,
                    publish: Mutex::new(PublishState::default()),
                    gate: tokio::sync::Mutex::new(()),
                }),
                attributes,
                tags: input
                    .tags
                    .iter()
                    .map(|t| (t.key.clone(), t.value.clone()))
                    .collect(),
                data_protection_policy: input.data_protection_policy.clone(),
                subscriptions: Vec::new(),
                subscriptions_deleted: 0,
                created_millis: now,
            };
            let mut batch = Batch::new();
            persist::put_topic(&mut batch, &entry);
            registry.topics.insert(name.to_string(), entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(CreateTopicOutput { topic_arn: arn })
    }

    /// Deletes a topic and its subscriptions. Deleting a topic that does not exist succeeds.
    pub async fn delete_topic(&self, input: TopicArnInput) -> SnsResult<Empty> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = match self.topic_name_of(arn, "TopicArn") {
            Ok(name) => name,
            Err(e) if e.kind == crate::ErrorKind::NotFound => return Ok(Empty {}),
            Err(e) => return Err(e),
        };
        let commit = {
            let mut registry = self.registry.write();
            let Some(entry) = registry.topics.remove(name) else {
                return Ok(Empty {});
            };
            let mut batch = Batch::new();
            for sub in &entry.subscriptions {
                registry.subscriptions.remove(sub);
                persist::delete_subscription(&mut batch, sub);
                if self.replay_status(sub).is_some() {
                    self.set_replay(&mut batch, sub, name, None);
                }
            }
            persist::delete_topic(&mut batch, name);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn list_topics(&self, input: NextTokenInput) -> SnsResult<ListTopicsOutput> {
        let registry = self.registry.read();
        let items = registry.topics.iter().map(|(name, entry)| {
            (
                name.clone(),
                TopicItem {
                    topic_arn: entry.topic.arn.clone(),
                },
            )
        });
        let (topics, next_token) = page(items, input.next_token.as_deref(), PAGE_SIZE)?;
        Ok(ListTopicsOutput { topics, next_token })
    }

    pub fn get_topic_attributes(&self, input: TopicArnInput) -> SnsResult<AttributesOutput> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        let registry = self.registry.read();
        let entry = registry
            .topics
            .get(name)
            .ok_or_else(SnsError::topic_not_found)?;
        Ok(AttributesOutput {
            attributes: self.topic_summary(&registry, entry),
        })
    }

    pub async fn set_topic_attributes(&self, input: SetTopicAttributesInput) -> SnsResult<Empty> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        let attribute = required(&input.attribute_name, "AttributeName")?;
        let value = input.attribute_value.clone().unwrap_or_default();
        let now = self.now();
        let commit = {
            let mut registry = self.registry.write();
            if attribute == "MaximumMessageSize" {
                // Above 256 KiB only a topic with few SQS/Firehose/Lambda subscriptions qualifies.
                let entry = registry
                    .topics
                    .get(name)
                    .ok_or_else(SnsError::topic_not_found)?;
                validate_topic_attribute(attribute, &value, entry.topic.fifo, false)?;
                let protocols: Vec<&str> = entry
                    .subscriptions
                    .iter()
                    .filter_map(|arn| registry.subscriptions.get(arn))
                    .map(|sub| sub.protocol.as_str())
                    .collect();
                check_large_message_subscriptions(
                    parse_maximum_message_size(&value).unwrap_or_default(),
                    protocols.into_iter(),
                )?;
            }
            let entry = registry
                .topics
                .get_mut(name)
                .ok_or_else(SnsError::topic_not_found)?;
            if value.is_empty() && REMOVABLE.contains(&attribute) {
                entry.attributes.remove(attribute);
            } else if attribute == "Policy" && value.is_empty() {
                entry.attributes.remove("Policy");
            } else {
                validate_topic_attribute(attribute, &value, entry.topic.fifo, false)?;
                let value = if attribute == "ContentBasedDeduplication" {
                    value.to_ascii_lowercase()
                } else {
                    value
                };
                entry.attributes.insert(attribute.to_string(), value);
            }
            let was_archiving = entry.attributes.contains_key("BeginningArchiveTime");
            sync_archive_time(&mut entry.attributes, now);
            let mut batch = Batch::new();
            // Turning archiving off deletes the archive.
            if was_archiving && !entry.attributes.contains_key("BeginningArchiveTime") {
                crate::archive::delete_archive(&mut batch, name);
            }
            persist::put_topic(&mut batch, entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn get_data_protection_policy(
        &self,
        input: ResourceArnInput,
    ) -> SnsResult<GetDataProtectionPolicyOutput> {
        let arn = required(&input.resource_arn, "ResourceArn")?;
        let name = self.topic_name_of(arn, "ResourceArn")?;
        let registry = self.registry.read();
        let entry = registry
            .topics
            .get(name)
            .ok_or_else(SnsError::topic_not_found)?;
        Ok(GetDataProtectionPolicyOutput {
            data_protection_policy: entry.data_protection_policy.clone(),
        })
    }

    pub async fn put_data_protection_policy(
        &self,
        input: PutDataProtectionPolicyInput,
    ) -> SnsResult<Empty> {
        let arn = required(&input.resource_arn, "ResourceArn")?;
        let name = self.topic_name_of(arn, "ResourceArn")?;
        let policy = input.data_protection_policy.clone().unwrap_or_default();
        if !policy.is_empty() {
            validate_data_protection_policy(&policy)?;
        }
        let commit = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get_mut(name)
                .ok_or_else(SnsError::topic_not_found)?;
            entry.data_protection_policy = (!policy.is_empty()).then_some(policy);
            let mut batch = Batch::new();
            persist::put_topic(&mut batch, entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }
}

/// Data protection policies are stored, not enforced; they must be JSON objects with a `Statement`.
fn validate_data_protection_policy(text: &str) -> SnsResult<()> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Object(map)) if map.contains_key("Statement") => Ok(()),
        _ => Err(SnsError::invalid(
            "DataProtectionPolicy: the policy must be a JSON object with a Statement",
        )),
    }
}
