//! CreateQueue, DeleteQueue, GetQueueUrl, ListQueues, Get/SetQueueAttributes, PurgeQueue,
//! ListDeadLetterSourceQueues.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use base64::Engine as _;
use parking_lot::Mutex;
use tokio::sync::Notify;
use wharf_store::Batch;

use super::{ranged, required};
use crate::attributes::{unknown_attribute, QueueConfig, RedrivePermission, ALL_ATTRIBUTE_NAMES};
use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::limits::*;
use crate::model::*;
use crate::persist::{self, QueueRecord, FORMAT_VERSION};
use crate::queue::QueueState;
use crate::{await_commit, Queue, Sqs};

const NAME_RULE: &str =
    "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length";
const FIFO_NAME_RULE: &str = "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.";

fn valid_name(name: &str) -> bool {
    let base = name.strip_suffix(".fifo").unwrap_or(name);
    !name.is_empty()
        && name.len() <= MAX_QUEUE_NAME_LEN
        && !base.is_empty()
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn encode_token(name: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(name)
}

fn decode_token(token: &str) -> SqsResult<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| SqsError::invalid_parameter("Invalid NextToken value."))
}

/// Applies `MaxResults`/`NextToken` paging over names sorted ascending.
fn page(
    names: Vec<String>,
    max_results: Option<i64>,
    next_token: &Option<String>,
) -> SqsResult<(Vec<String>, Option<String>)> {
    let max = ranged(
        max_results,
        "MaxResults",
        1,
        MAX_LIST_RESULTS as i64,
        "MaxResults must be an integer between 1 and 1000.",
    )?;
    let after = match next_token.as_deref().filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let mut names: Vec<String> = names
        .into_iter()
        .filter(|n| after.as_ref().is_none_or(|a| n > a))
        .collect();
    let limit = max.map(|m| m as usize).unwrap_or(MAX_LIST_RESULTS);
    let mut token = None;
    if names.len() > limit {
        names.truncate(limit);
        // AWS hands out a NextToken only to callers that asked for paging with MaxResults.
        if max.is_some() {
            token = names.last().map(|n| encode_token(n));
        }
    }
    Ok((names, token))
}

impl Sqs {
    pub(crate) fn queue_record(&self, queue: &Queue, state: &QueueState) -> QueueRecord {
        QueueRecord {
            v: FORMAT_VERSION,
            id: queue.id,
            name: queue.name.clone(),
            attributes: state.config.to_attributes(),
            tags: state.tags.clone(),
            created_millis: state.created_millis,
            last_modified_millis: state.last_modified_millis,
            last_purge_millis: state.last_purge_millis,
        }
    }

    pub async fn create_queue(&self, input: CreateQueueInput) -> SqsResult<QueueUrlOutput> {
        let name = required(&input.queue_name, "QueueName")?;
        let fifo = name.ends_with(".fifo");
        if !valid_name(name) {
            return Err(SqsError::invalid_parameter(if fifo {
                FIFO_NAME_RULE
            } else {
                NAME_RULE
            }));
        }
        let wants_fifo = input
            .attributes
            .get("FifoQueue")
            .map(|v| v.eq_ignore_ascii_case("true"));
        if wants_fifo == Some(true) && !fifo || fifo && wants_fifo != Some(true) {
            return Err(SqsError::invalid_parameter(FIFO_NAME_RULE));
        }
        validate_tags(&input.tags, 0)?;
        let now = self.now();
        let mut config = QueueConfig::defaults(fifo);
        config.apply(&input.attributes, true)?;
        if input.attributes.contains_key("RedrivePolicy") {
            self.check_dead_letter_target(&self.arn_of(name), &config, &input.attributes)?;
        }

        if let Some(existing) = self.queues.read().get(name).cloned() {
            return self.existing_queue(&existing, &input.attributes);
        }
        let (queue, commit) = {
            let mut queues = self.queues.write();
            if let Some(existing) = queues.get(name).cloned() {
                return self.existing_queue(&existing, &input.attributes);
            }
            {
                let mut deleted = self.deleted_recently.lock();
                if let Some(at) = deleted.get(name) {
                    if now < at + QUEUE_DELETE_COOLDOWN_MILLIS {
                        return Err(SqsError::new(
                            ErrorKind::QueueDeletedRecently,
                            "You must wait 60 seconds after deleting a queue before you can create another with the same name.",
                        ));
                    }
                    deleted.remove(name);
                }
            }
            let id = {
                let mut last = self.last_queue_id.lock();
                *last = (*last + 1).max(now);
                *last
            };
            let mut state = QueueState::new(config, now, self.budget.clone());
            state.tags = input.tags.clone();
            let queue = Arc::new(Queue {
                id,
                name: name.to_string(),
                arn: self.arn_of(name),
                url: self.url_of(name),
                fifo,
                state: Mutex::new(QueueState::new(
                    QueueConfig::defaults(fifo),
                    now,
                    self.budget.clone(),
                )),
                notify: Notify::new(),
                deleted: AtomicBool::new(false),
            });
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            batch.delete(wharf_store::Keyspace::Meta, persist::deleted_key(name));
            *queue.state.lock() = state;
            let commit = self.submit(batch);
            queues.insert(name.to_string(), queue.clone());
            (queue, commit)
        };
        await_commit(commit).await?;
        Ok(QueueUrlOutput {
            queue_url: queue.url.clone(),
        })
    }

    fn existing_queue(&self, queue: &Queue, requested: &Attributes) -> SqsResult<QueueUrlOutput> {
        let state = queue.state.lock();
        if let Some(name) = state.config.first_difference(requested)? {
            return Err(SqsError::new(
                ErrorKind::QueueNameExists,
                format!("A queue already exists with the same name and a different value for attribute {name}"),
            ));
        }
        Ok(QueueUrlOutput {
            queue_url: queue.url.clone(),
        })
    }

    pub async fn delete_queue(&self, input: QueueUrlInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let now = self.now();
        let commit = {
            let mut queues = self.queues.write();
            if !queues
                .get(&queue.name)
                .is_some_and(|q| Arc::ptr_eq(q, &queue))
            {
                return Err(SqsError::queue_does_not_exist());
            }
            queues.remove(&queue.name);
            queue.deleted.store(true, Ordering::Release);
            self.deleted_recently.lock().insert(queue.name.clone(), now);
            let mut batch = Batch::new();
            persist::delete_queue(&mut batch, queue.id, &queue.name, now);
            self.submit(batch)
        };
        queue.notify.notify_waiters();
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn get_queue_url(&self, input: GetQueueUrlInput) -> SqsResult<QueueUrlOutput> {
        let name = required(&input.queue_name, "QueueName")?;
        if let Some(owner) = input.queue_owner_aws_account_id.as_deref() {
            if owner != self.config.account_id {
                return Err(SqsError::queue_does_not_exist());
            }
        }
        let queue = self.queue_by_name(name)?;
        Ok(QueueUrlOutput {
            queue_url: queue.url.clone(),
        })
    }

    pub fn list_queues(&self, input: ListQueuesInput) -> SqsResult<ListQueuesOutput> {
        let prefix = input.queue_name_prefix.unwrap_or_default();
        let names: Vec<String> = self
            .queues
            .read()
            .keys()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        let (names, next_token) = page(names, input.max_results, &input.next_token)?;
        Ok(ListQueuesOutput {
            queue_urls: names.iter().map(|n| self.url_of(n)).collect(),
            next_token,
        })
    }

    pub fn get_queue_attributes(
        &self,
        input: GetQueueAttributesInput,
    ) -> SqsResult<GetQueueAttributesOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        for name in &input.attribute_names {
            if name != "All" && !ALL_ATTRIBUTE_NAMES.contains(&name.as_str()) {
                return Err(unknown_attribute(name));
            }
        }
        let all = input.attribute_names.iter().any(|n| n == "All");
        let now = self.now();
        let mut state = queue.state.lock();
        state.promote_due(now);
        let expired = state.expire(now);
        let mut attributes = Attributes::new();
        for name in ALL_ATTRIBUTE_NAMES {
            if !all && !input.attribute_names.iter().any(|n| n == name) {
                continue;
            }
            let value = match *name {
                "ApproximateNumberOfMessages" => Some(state.ready_count.to_string()),
                "ApproximateNumberOfMessagesNotVisible" => Some(state.in_flight_count.to_string()),
                "ApproximateNumberOfMessagesDelayed" => Some(state.delayed_count.to_string()),
                "CreatedTimestamp" => Some((state.created_millis / 1000).to_string()),
                "LastModifiedTimestamp" => Some((state.last_modified_millis / 1000).to_string()),
                "QueueArn" => Some(queue.arn.clone()),
                other => state.config.render(other),
            };
            if let Some(value) = value {
                attributes.insert((*name).to_string(), value);
            }
        }
        if !expired.is_empty() {
            let mut batch = Batch::new();
            let oldest = state.messages.keys().next().copied();
            persist::delete_expired(&mut batch, queue.id, &expired, oldest);
            // Expiry needs no acknowledgement: a lost removal is redone at the next start.
            drop(self.submit(batch));
        }
        Ok(GetQueueAttributesOutput { attributes })
    }

    /// Removes the messages whose retention period is over from every queue, including queues nobody
    /// touches (requests expire their own queue's messages as they go). Returns how many were removed.
    /// Each queue's removals are one batch: a contiguous run of expired messages is one range deletion.
    pub fn expire_retained(&self) -> usize {
        let queues: Vec<Arc<Queue>> = self.queues.read().values().cloned().collect();
        let now = self.now();
        let mut removed = 0;
        for queue in queues {
            let mut state = queue.state.lock();
            let expired = state.expire(now);
            if expired.is_empty() {
                continue;
            }
            removed += expired.len();
            let mut batch = Batch::new();
            let oldest = state.messages.keys().next().copied();
            persist::delete_expired(&mut batch, queue.id, &expired, oldest);
            // Submitted under the queue lock like every other record of the queue; no acknowledgement is
            // needed: a lost removal is redone at the next start.
            drop(self.submit(batch));
        }
        removed
    }

    /// Runs [`Sqs::expire_retained`] every `interval` until the engine is dropped.
    pub fn spawn_maintenance(
        self: &Arc<Self>,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let sqs = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(sqs) = sqs.upgrade() else {
                    return;
                };
                let removed = sqs.expire_retained();
                if removed > 0 {
                    tracing::debug!(removed, "expired messages past their retention period");
                }
            }
        })
    }

    pub async fn set_queue_attributes(&self, input: SetQueueAttributesInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        // AWS names the Query protocol's first parameter even for a JSON request, and an empty map is as
        // missing as an absent one.
        let attributes = input
            .attributes
            .filter(|attributes| !attributes.is_empty())
            .ok_or_else(|| SqsError::missing("Attribute.Name"))?;
        if attributes.contains_key("RedrivePolicy") {
            // Validated on a copy first: the dead-letter queue's lock may be this queue's own.
            let mut preview = queue.state.lock().config.clone();
            preview.apply(&attributes, false)?;
            self.check_dead_letter_target(&queue.arn, &preview, &attributes)?;
        }
        let commit = {
            let mut state = queue.state.lock();
            state.config.apply(&attributes, false)?;
            state.last_modified_millis = self.now();
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        queue.notify.notify_waiters();
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn purge_queue(&self, input: QueueUrlInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let now = self.now();
        let commit = {
            let mut state = queue.state.lock();
            if let Some(last) = state.last_purge_millis {
                if now < last + PURGE_COOLDOWN_MILLIS {
                    return Err(SqsError::new(
                        ErrorKind::PurgeQueueInProgress,
                        format!(
                            "Only one PurgeQueue operation on {} is allowed every 60 seconds.",
                            queue.name
                        ),
                    ));
                }
            }
            let below_seq = state.messages.keys().next_back().map_or(0, |&seq| seq + 1);
            for seq in state.all_seqs() {
                state.remove(seq);
            }
            state.last_purge_millis = Some(now);
            let mut batch = Batch::new();
            persist::purge_messages(&mut batch, queue.id, below_seq);
            // A purge also empties the FIFO deduplication window: a message sent again with a purged message's
            // deduplication id is delivered (AWS-validated assertions of LocalStack's
            // test_purge_queue_clears_fifo_deduplication_cache).
            if state.clear_dedup() {
                persist::delete_all_dedup(&mut batch, queue.id);
            }
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    /// A redrive policy's dead-letter queue must exist, be of the source's type (FIFO or standard) and allow
    /// the source by its `RedriveAllowPolicy`.
    /// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html>
    fn check_dead_letter_target(
        &self,
        source_arn: &str,
        config: &QueueConfig,
        attributes: &Attributes,
    ) -> SqsResult<()> {
        let Some(policy) = config.redrive_policy.as_ref() else {
            return Ok(());
        };
        let value = attributes
            .get("RedrivePolicy")
            .map(String::as_str)
            .unwrap_or_default();
        let bad = |reason: &str| SqsError::invalid_value("RedrivePolicy", value, reason);
        let target_arn = &policy.dead_letter_target_arn;
        let target = if target_arn == source_arn {
            None
        } else {
            self.queue_by_arn(target_arn)
        };
        let (target_fifo, allow) = match &target {
            Some(target) => (
                target.fifo,
                target.state.lock().config.redrive_allow_policy.clone(),
            ),
            None if target_arn == source_arn => (config.fifo, config.redrive_allow_policy.clone()),
            None => return Err(bad("Dead letter target does not exist.")),
        };
        if target_fifo != config.fifo {
            return Err(bad(
                "Dead-letter queue must be same type of queue as the source.",
            ));
        }
        let allowed = match allow.map(|a| a.permission) {
            None | Some(RedrivePermission::AllowAll) => true,
            Some(RedrivePermission::DenyAll) => false,
            Some(RedrivePermission::ByQueue(sources)) => sources.iter().any(|a| a == source_arn),
        };
        if !allowed {
            return Err(bad(&format!(
                "Queue {source_arn} is not allowed to use {target_arn} as a dead-letter queue by its RedriveAllowPolicy."
            )));
        }
        Ok(())
    }

    pub fn list_dead_letter_source_queues(
        &self,
        input: ListDeadLetterSourceQueuesInput,
    ) -> SqsResult<ListDeadLetterSourceQueuesOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let names: Vec<String> = self
            .queues
            .read()
            .values()
            .filter(|source| {
                source
                    .state
                    .lock()
                    .config
                    .redrive_policy
                    .as_ref()
                    .is_some_and(|p| p.dead_letter_target_arn == queue.arn)
            })
            .map(|source| source.name.clone())
            .collect();
        let (names, next_token) = page(names, input.max_results, &input.next_token)?;
        Ok(ListDeadLetterSourceQueuesOutput {
            queue_urls: names.iter().map(|n| self.url_of(n)).collect(),
            next_token,
        })
    }
}

/// Tag rules: at most 50 per queue, keys 1..128 and values 0..256 characters, no `aws:` prefix.
/// <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-queues.html>
pub(crate) fn validate_tags(
    tags: &std::collections::BTreeMap<String, String>,
    existing: usize,
) -> SqsResult<()> {
    if tags.len() + existing > MAX_TAGS {
        return Err(SqsError::invalid_parameter(format!(
            "Too many tags added for queue. The maximum number of tags is {MAX_TAGS}."
        )));
    }
    for (key, value) in tags {
        if key.is_empty() || key.chars().count() > MAX_TAG_KEY_LEN {
            return Err(SqsError::invalid_parameter(
                "Tag keys must be between 1 and 128 characters in length.",
            ));
        }
        if value.chars().count() > MAX_TAG_VALUE_LEN {
            return Err(SqsError::invalid_parameter(
                "Tag values may only be up to 256 characters in length.",
            ));
        }
        if key.starts_with("aws:") || value.starts_with("aws:") {
            return Err(SqsError::invalid_parameter(
                "Tag keys and values may not begin with the reserved prefix aws:.",
            ));
        }
        if !tag_characters(key) || !tag_characters(value) {
            return Err(SqsError::invalid_parameter(
                "Tag keys and values may only contain Unicode letters, digits, white space, and the characters _ . : / = + - @.",
            ));
        }
    }
    Ok(())
}

/// Tag text: Unicode letters and digits, white space and `_ . : / = + - @` (the quotas page's rules).
fn tag_characters(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_alphanumeric()
            || c.is_whitespace()
            || matches!(c, '_' | '.' | ':' | '/' | '=' | '+' | '-' | '@')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_names() {
        assert!(valid_name("a"));
        assert!(valid_name("a-b_c.fifo"));
        assert!(!valid_name(".fifo"));
        assert!(!valid_name("a.b"));
        assert!(!valid_name(&"x".repeat(81)));
        assert!(valid_name(&"x".repeat(80)));
    }

    #[test]
    fn tag_rules() {
        let tags = |k: &str, v: &str| std::iter::once((k.to_string(), v.to_string())).collect();
        assert!(validate_tags(&tags("cost center", "a_b.c:d/e=f+g-h@i"), 0).is_ok());
        assert!(validate_tags(&tags("Ünïcode", ""), 0).is_ok());
        assert!(validate_tags(&tags("aws:key", "v"), 0).is_err());
        assert!(validate_tags(&tags("key", "aws:v"), 0).is_err());
        assert!(validate_tags(&tags("a#b", "v"), 0).is_err());
        assert!(validate_tags(&tags("k", "v"), MAX_TAGS).is_err());
    }
}
