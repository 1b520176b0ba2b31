//! TagResource, UntagResource, ListTagsForResource, AddPermission, RemovePermission.

use serde_json::{json, Value};
use wharf_store::Batch;

use super::required;
use super::topics::validate_tags;
use crate::attributes::default_topic_policy;
use crate::error::{ErrorKind, SnsError, SnsResult};
use crate::model::*;
use crate::{await_commit, persist, Sns};

pub(crate) const MAX_TAGS: usize = 50;

/// Actions a topic policy statement may grant.
const TOPIC_ACTIONS: &[&str] = &[
    "AddPermission",
    "ConfirmSubscription",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetTopicAttributes",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "Publish",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "UntagResource",
];

pub(crate) fn tag_limit() -> SnsError {
    SnsError::new(
        ErrorKind::TagLimitExceeded,
        "Could not complete request: tag quota of per resource exceeded",
    )
}

impl Sns {
    /// The topic named by a tagging action's `ResourceArn`.
    fn tagged_topic<'a>(&self, arn: &'a str) -> SnsResult<&'a str> {
        match self.topic_name_of(arn, "ResourceArn") {
            Err(e) if e.kind == ErrorKind::NotFound => Err(SnsError::resource_not_found()),
            other => other,
        }
    }

    pub async fn tag_resource(&self, input: TagResourceInput) -> SnsResult<Empty> {
        let arn = required(&input.resource_arn, "ResourceArn")?;
        let name = self.tagged_topic(arn)?;
        validate_tags(&input.tags)?;
        // The same key twice in one request is refused, whatever the values (as AWS answers).
        let mut keys = std::collections::HashSet::new();
        if !input.tags.iter().all(|tag| keys.insert(tag.key.as_str())) {
            return Err(SnsError::invalid("Duplicated keys are not allowed."));
        }
        let commit = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get_mut(name)
                .ok_or_else(SnsError::resource_not_found)?;
            let mut tags = entry.tags.clone();
            for tag in &input.tags {
                tags.insert(tag.key.clone(), tag.value.clone());
            }
            if tags.len() > MAX_TAGS {
                return Err(tag_limit());
            }
            entry.tags = tags;
            let mut batch = Batch::new();
            persist::put_topic(&mut batch, entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn untag_resource(&self, input: UntagResourceInput) -> SnsResult<Empty> {
        let arn = required(&input.resource_arn, "ResourceArn")?;
        let name = self.tagged_topic(arn)?;
        let commit = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get_mut(name)
                .ok_or_else(SnsError::resource_not_found)?;
            for key in &input.tag_keys {
                entry.tags.remove(key);
            }
            let mut batch = Batch::new();
            persist::put_topic(&mut batch, entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn list_tags_for_resource(
        &self,
        input: ResourceArnInput,
    ) -> SnsResult<ListTagsForResourceOutput> {
        let arn = required(&input.resource_arn, "ResourceArn")?;
        let name = self.tagged_topic(arn)?;
        let registry = self.registry.read();
        let entry = registry
            .topics
            .get(name)
            .ok_or_else(SnsError::resource_not_found)?;
        Ok(ListTagsForResourceOutput {
            tags: entry
                .tags
                .iter()
                .map(|(k, v)| Tag {
                    key: k.clone(),
                    value: v.clone(),
                })
                .collect(),
        })
    }

    pub async fn add_permission(&self, input: AddPermissionInput) -> SnsResult<Empty> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        let label = required(&input.label, "Label")?;
        if label.len() > 255
            || !label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(SnsError::invalid("Label"));
        }
        if input.aws_account_ids.is_empty() {
            return Err(SnsError::invalid("AWSAccountId"));
        }
        if input.action_names.is_empty() {
            return Err(SnsError::invalid("ActionName"));
        }
        let mut actions = Vec::new();
        for action in &input.action_names {
            let bare = action
                .strip_prefix("SNS:")
                .or_else(|| action.strip_prefix("sns:"))
                .unwrap_or(action);
            if bare != "*" && !TOPIC_ACTIONS.contains(&bare) {
                return Err(SnsError::invalid(
                    "Policy statement action out of service scope!",
                ));
            }
            actions.push(Value::String(format!("SNS:{bare}")));
        }
        let principals: Vec<Value> = input
            .aws_account_ids
            .iter()
            .map(|id| {
                if id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit()) {
                    Value::String(format!("arn:aws:iam::{id}:root"))
                } else {
                    Value::String(id.clone())
                }
            })
            .collect();
        let one_or_many = |mut items: Vec<Value>| {
            if items.len() == 1 {
                items.remove(0)
            } else {
                Value::Array(items)
            }
        };
        let statement = json!({
            "Sid": label,
            "Effect": "Allow",
            "Principal": {"AWS": one_or_many(principals)},
            "Action": one_or_many(actions),
            "Resource": arn,
        });
        self.edit_policy(name, |statements| {
            if statements
                .iter()
                .any(|s| s.get("Sid").and_then(Value::as_str) == Some(label))
            {
                return Err(SnsError::invalid("Statement already exists"));
            }
            statements.push(statement);
            Ok(())
        })
        .await
    }

    pub async fn remove_permission(&self, input: RemovePermissionInput) -> SnsResult<Empty> {
        let arn = required(&input.topic_arn, "TopicArn")?;
        let name = self.topic_name_of(arn, "TopicArn")?;
        let label = required(&input.label, "Label")?;
        self.edit_policy(name, |statements| {
            statements.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(label));
            Ok(())
        })
        .await
    }

    async fn edit_policy(
        &self,
        name: &str,
        edit: impl FnOnce(&mut Vec<Value>) -> SnsResult<()>,
    ) -> SnsResult<Empty> {
        let commit = {
            let mut registry = self.registry.write();
            let entry = registry
                .topics
                .get_mut(name)
                .ok_or_else(SnsError::topic_not_found)?;
            let current = entry.attributes.get("Policy").cloned().unwrap_or_else(|| {
                default_topic_policy(&entry.topic.arn, &self.config().account_id)
            });
            let mut policy: Value = serde_json::from_str(&current)
                .unwrap_or_else(|_| json!({"Version": "2008-10-17", "Statement": []}));
            if !policy.is_object() {
                policy = json!({"Version": "2008-10-17", "Statement": []});
            }
            let mut statements = match policy.get("Statement") {
                Some(Value::Array(items)) => items.clone(),
                Some(single @ Value::Object(_)) => vec![single.clone()],
                _ => Vec::new(),
            };
            edit(&mut statements)?;
            policy["Statement"] = Value::Array(statements);
            entry.attributes.insert("Policy".into(), policy.to_string());
            let mut batch = Batch::new();
            persist::put_topic(&mut batch, entry);
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }
}
