//! ReceiveMessage: selection, visibility, dead-letter redrive and event-driven long polling.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use wharf_store::Batch;

use super::ranged;
use crate::error::{SqsError, SqsResult};
use crate::limits::*;
use crate::md5::md5_of_attributes;
use crate::model::*;
use crate::persist;
use crate::queue::{Message, MessageContent, MessageState, ReceiveAttempt};
use crate::{await_commit, Queue, Sqs};

/// System attribute names a receive can ask for.
const SYSTEM_ATTRIBUTES: &[&str] = &[
    "SenderId",
    "SentTimestamp",
    "ApproximateReceiveCount",
    "ApproximateFirstReceiveTimestamp",
    "SequenceNumber",
    "MessageDeduplicationId",
    "MessageGroupId",
    "AWSTraceHeader",
    "DeadLetterQueueSourceArn",
];

/// A receipt handle: queue id, message key and the receive's nonce, base64url.
pub(crate) fn encode_receipt(queue_id: u64, seq: u64, nonce: u64) -> String {
    let mut bytes = [0u8; 24];
    bytes[..8].copy_from_slice(&queue_id.to_be_bytes());
    bytes[8..16].copy_from_slice(&seq.to_be_bytes());
    bytes[16..].copy_from_slice(&nonce.to_be_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub(crate) fn decode_receipt(handle: &str) -> Option<(u64, u64, u64)> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(handle)
        .ok()?;
    if bytes.len() != 24 {
        return None;
    }
    let word = |i: usize| -> Option<u64> {
        Some(u64::from_be_bytes(bytes.get(i..i + 8)?.try_into().ok()?))
    };
    Some((word(0)?, word(8)?, word(16)?))
}

struct Selection {
    system: Vec<&'static str>,
    user_all: bool,
    user_names: Vec<String>,
    user_prefixes: Vec<String>,
}

impl Selection {
    fn new(input: &ReceiveMessageInput) -> Self {
        let names = input
            .attribute_names
            .iter()
            .chain(input.message_system_attribute_names.iter());
        let mut system = Vec::new();
        for name in names {
            if name == "All" {
                system = SYSTEM_ATTRIBUTES.to_vec();
                break;
            }
            if let Some(known) = SYSTEM_ATTRIBUTES.iter().find(|k| **k == name) {
                if !system.contains(known) {
                    system.push(known);
                }
            }
        }
        let mut selection = Selection {
            system,
            user_all: false,
            user_names: Vec::new(),
            user_prefixes: Vec::new(),
        };
        for name in &input.message_attribute_names {
            // AWS (LocalStack's AWS-validated snapshot test_receive_message_message_attribute_names_filters):
            // `*` selects every attribute like `All` and `.*`, and `Hel.*` is the plain prefix `Hel` (it selects
            // `Hello` and `Help.Me`).
            if name == "All" || name == ".*" || name == "*" {
                selection.user_all = true;
            } else if let Some(prefix) = name.strip_suffix(".*") {
                selection.user_prefixes.push(prefix.to_string());
            } else {
                selection.user_names.push(name.clone());
            }
        }
        selection
    }

    fn wants_user(&self, name: &str) -> bool {
        self.user_all
            || self.user_names.iter().any(|n| n == name)
            || self
                .user_prefixes
                .iter()
                .any(|p| name.starts_with(p.as_str()))
    }
}

impl Sqs {
    pub async fn receive_message(
        &self,
        input: ReceiveMessageInput,
    ) -> SqsResult<ReceiveMessageOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let max = ranged(
            input.max_number_of_messages,
            "MaxNumberOfMessages",
            1,
            MAX_RECEIVE_MESSAGES as i64,
            "Must be between 1 and 10, if provided.",
        )?
        .unwrap_or(1) as usize;
        let visibility = ranged(
            input.visibility_timeout,
            "VisibilityTimeout",
            0,
            MAX_VISIBILITY_TIMEOUT as i64,
            "Must be >= 0 and <= 43200, if provided.",
        )?;
        let wait = ranged(
            input.wait_time_seconds,
            "WaitTimeSeconds",
            0,
            MAX_WAIT_TIME_SECONDS as i64,
            "Must be >= 0 and <= 20, if provided.",
        )?;
        let attempt_id = match input.receive_request_attempt_id.as_deref() {
            Some(id) if queue.fifo => {
                let valid = !id.is_empty()
                    && id.len() <= MAX_FIFO_ID_LEN
                    && id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
                if !valid {
                    return Err(SqsError::invalid_value("ReceiveRequestAttemptId", id, "ReceiveRequestAttemptId can only include alphanumeric and punctuation characters. 1 to 128 in length."));
                }
                Some(id.to_string())
            }
            _ => None,
        };
        let selection = Selection::new(&input);
        let wait_millis = wait
            .unwrap_or_else(|| queue.state.lock().config.receive_message_wait_time_seconds)
            * 1000;
        let deadline = tokio::time::Instant::now() + Duration::from_millis(wait_millis);
        loop {
            let notified = queue.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            let (messages, next_change) = self
                .receive_now(&queue, max, visibility, attempt_id.as_deref(), &selection)
                .await?;
            if !messages.is_empty() || queue.is_deleted() {
                return Ok(ReceiveMessageOutput { messages });
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return Ok(ReceiveMessageOutput::default());
            }
            // Wake at the deadline, at the next delay/visibility expiry, or when a message is sent.
            let mut wake = deadline;
            if let Some(at) = next_change {
                let in_millis = at.saturating_sub(self.now());
                wake = wake.min(now + Duration::from_millis(in_millis.max(1)));
            }
            tokio::select! {
                _ = &mut notified => {}
                _ = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// One non-waiting attempt: returns the messages and, when none, the next moment one may become visible.
    async fn receive_now(
        &self,
        queue: &Arc<Queue>,
        max: usize,
        visibility: Option<u64>,
        attempt_id: Option<&str>,
        selection: &Selection,
    ) -> SqsResult<(Vec<ReceivedMessage>, Option<u64>)> {
        let now = self.now();
        let mut to_dead_letter = Vec::new();
        let mut taken = Vec::new();
        let (commit, next_change, dead_letter_arn) = 'locked: {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            state.promote_due(now);
            let expired = state.expire(now);
            let oldest = state.messages.keys().next().copied();
            persist::delete_expired(&mut batch, queue.id, &expired, oldest);
            state.prune_dedup(now);
            if let Some(id) = attempt_id {
                if let Some(attempt) = state.attempts.get(id).cloned() {
                    let still_held = attempt.handles.iter().all(|(seq, nonce)| {
                        state.messages.get(seq).is_some_and(|m| {
                            m.state == MessageState::InFlight && m.receipt_nonce == *nonce
                        })
                    });
                    if still_held {
                        // A retried receive with the same attempt id gets the same messages and handles,
                        // and their visibility timeout starts again.
                        let visibility_millis =
                            visibility.unwrap_or(state.config.visibility_timeout) * 1000;
                        for (seq, _) in &attempt.handles {
                            state.set_invisible_until(*seq, now + visibility_millis, now);
                            if let Some(message) = state.messages.get(seq) {
                                if self.durable {
                                    persist::put_state(&mut batch, queue.id, message);
                                }
                                taken.push(message.clone());
                            }
                        }
                        break 'locked (self.submit(batch), None, None);
                    }
                }
            }
            // In-flight quota: a standard queue answers OverLimit, a FIFO queue simply returns nothing.
            let in_flight_limit = if queue.fifo {
                MAX_INFLIGHT_FIFO
            } else {
                MAX_INFLIGHT_STANDARD
            };
            let max = max.min(in_flight_limit.saturating_sub(state.in_flight_count));
            if max == 0 && !queue.fifo && state.ready_count > 0 {
                return Err(SqsError::new(
                    crate::error::ErrorKind::OverLimit,
                    format!(
                        "Maximum number of inflight messages reached: {MAX_INFLIGHT_STANDARD}."
                    ),
                ));
            }
            let visibility_millis = visibility.unwrap_or(state.config.visibility_timeout) * 1000;
            let redrive = state.config.redrive_policy.clone();
            let mut handles = Vec::new();
            for seq in state.take_ready(max) {
                let over_limit = redrive.as_ref().is_some_and(|p| {
                    state
                        .messages
                        .get(&seq)
                        .is_some_and(|m| u64::from(m.receive_count) >= p.max_receive_count)
                });
                if over_limit {
                    // Its records move in the dead-letter queue's batch, so the move is atomic on disk.
                    if let Some(message) = state.remove(seq) {
                        to_dead_letter.push(message);
                    }
                    continue;
                }
                let nonce = state.next_nonce();
                if let Some(message) = state.messages.get_mut(&seq) {
                    message.receive_count += 1;
                    if message.first_receive_millis == 0 {
                        message.first_receive_millis = now;
                    }
                    message.last_receive_millis = now;
                    message.receipt_nonce = nonce;
                }
                state.set_invisible_until(seq, now + visibility_millis, now);
                if let Some(message) = state.messages.get(&seq) {
                    if self.durable {
                        persist::put_state(&mut batch, queue.id, message);
                    }
                    taken.push(message.clone());
                    handles.push((seq, nonce));
                }
            }
            if let Some(id) = attempt_id {
                if !handles.is_empty() {
                    state.attempts.insert(
                        id.to_string(),
                        ReceiveAttempt {
                            expires_millis: now + DEDUP_WINDOW_MILLIS,
                            handles,
                        },
                    );
                }
            }
            let next_change = state.next_visibility_change();
            (
                self.submit(batch),
                next_change,
                redrive.map(|p| p.dead_letter_target_arn),
            )
        };
        if !to_dead_letter.is_empty() {
            if let Some(arn) = dead_letter_arn {
                self.move_to_dead_letter(queue, &arn, to_dead_letter)
                    .await?;
            }
        }
        let mut out = Vec::with_capacity(taken.len());
        for message in &taken {
            if let Some(content) = self.content_of(queue.id, message).await? {
                out.push(render(queue.id, message, &content, selection));
            }
        }
        await_commit(commit).await?;
        Ok((out, next_change))
    }

    /// A message's content, from memory or from the store; `None` when the message is gone.
    pub(crate) async fn content_of(
        &self,
        queue_id: u64,
        message: &Message,
    ) -> SqsResult<Option<Arc<MessageContent>>> {
        match &message.content {
            Some(content) => Ok(Some(content.clone())),
            None => self.load_content(queue_id, message.seq).await,
        }
    }

    /// Moves messages that exceeded `maxReceiveCount` into the dead-letter queue, keeping id, body,
    /// attributes and sent time.
    async fn move_to_dead_letter(
        &self,
        source: &Queue,
        arn: &str,
        messages: Vec<Message>,
    ) -> SqsResult<()> {
        let mut loaded = Vec::with_capacity(messages.len());
        for message in messages {
            let content = self.content_of(source.id, &message).await?;
            loaded.push((message, content));
        }
        let Some(target) = self.queue_by_arn(arn) else {
            tracing::warn!(queue = %source.name, dead_letter = %arn, "dead-letter queue missing; messages dropped");
            let mut batch = Batch::new();
            for (message, _) in &loaded {
                persist::delete_message(&mut batch, source.id, message.seq);
            }
            return await_commit(self.submit(batch)).await;
        };
        let commit = {
            let mut state = target.state.lock();
            let mut batch = Batch::new();
            for (message, content) in loaded {
                persist::delete_message(&mut batch, source.id, message.seq);
                if let Some(content) = content {
                    self.insert_moved(
                        &target,
                        &mut state,
                        &content,
                        Moved::DeadLetter(source.arn.clone()),
                        &mut batch,
                    );
                }
            }
            self.submit(batch)
        };
        target.notify.notify_waiters();
        await_commit(commit).await
    }

    /// Inserts a message moved from another queue (into a dead-letter queue, by a move task, or back into
    /// the queue it was taken from) as a fresh arrival.
    pub(crate) fn insert_moved(
        &self,
        target: &Queue,
        state: &mut crate::queue::QueueState,
        content: &MessageContent,
        how: Moved,
        batch: &mut Batch,
    ) {
        let now = self.now();
        let seq = state.next_seq(now);
        let mut content = content.clone();
        let dead_letter_source = match how {
            Moved::DeadLetter(source) => Some(source),
            Moved::Redriven => {
                // "The redrive task resets the retention period. All redriven messages are considered new
                // messages" with a new message id and enqueue time
                // (SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
                content.message_id = crate::fixed::MessageId::random();
                content.sent_millis = now;
                None
            }
            Moved::PutBack => None,
        };
        // Retention runs from the original enqueue time, except in a FIFO dead-letter queue, where the
        // enqueue timestamp resets (SQSDeveloperGuide/setting-up-dead-letter-queue-retention.html).
        let enqueued_millis = if dead_letter_source.is_some() && target.fifo {
            now
        } else {
            content.sent_millis
        };
        let message_id = content.message_id.to_string();
        content.edit_extra(|extra| {
            if dead_letter_source.is_some() {
                extra.dead_letter_source_arn = dead_letter_source;
                // A FIFO dead-letter queue gets the message id as deduplication id, so independent messages
                // that shared one are all kept (SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html).
                if target.fifo {
                    extra.deduplication_id = Some(message_id);
                }
            }
            extra.sequence_number = target.fifo.then(|| crate::queue::sequence_number(seq));
        });
        let content = Arc::new(content);
        let moved = Message {
            seq,
            group: content.extra().group_id.as_deref().map(Arc::from),
            sent_millis: enqueued_millis,
            content: Some(content.clone()),
            state: MessageState::Ready,
            visible_at_millis: now,
            receive_count: 0,
            first_receive_millis: 0,
            last_receive_millis: 0,
            receipt_nonce: 0,
        };
        persist::put_new_message(batch, target.id, &moved, &content);
        state.insert(moved);
    }
}

/// How a message came to be moved, for [`Sqs::insert_moved`].
pub(crate) enum Moved {
    /// Into a dead-letter queue from this source queue (ARN): same id and sent time.
    DeadLetter(String),
    /// By a message move task to its destination: a new message.
    Redriven,
    /// Back into the queue it was taken from (a move that could not be done): unchanged.
    PutBack,
}

fn render(
    queue_id: u64,
    message: &Message,
    content: &MessageContent,
    selection: &Selection,
) -> ReceivedMessage {
    let mut attributes = Attributes::new();
    let extra = content.extra();
    for name in &selection.system {
        let value = match *name {
            "SenderId" => Some(content.sender_id.to_string()),
            "SentTimestamp" => Some(content.sent_millis.to_string()),
            "ApproximateReceiveCount" => Some(message.receive_count.to_string()),
            "ApproximateFirstReceiveTimestamp" => {
                (message.first_receive_millis > 0).then(|| message.first_receive_millis.to_string())
            }
            "SequenceNumber" => extra.sequence_number.clone(),
            "MessageDeduplicationId" => extra.deduplication_id.clone(),
            "MessageGroupId" => extra.group_id.clone(),
            "AWSTraceHeader" => extra.trace_header.clone(),
            "DeadLetterQueueSourceArn" => extra.dead_letter_source_arn.clone(),
            _ => None,
        };
        if let Some(value) = value {
            attributes.insert((*name).to_string(), value);
        }
    }
    let (message_attributes, md5) = if selection.user_all {
        (extra.attributes.clone(), extra.md5_of_attributes.clone())
    } else {
        let chosen: MessageAttributes = extra
            .attributes
            .iter()
            .filter(|(n, _)| selection.wants_user(n))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect();
        let md5 = md5_of_attributes(&chosen);
        (chosen, md5)
    };
    ReceivedMessage {
        message_id: content.message_id.to_string(),
        receipt_handle: encode_receipt(queue_id, message.seq, message.receipt_nonce),
        md5_of_body: content.md5_of_body.to_string(),
        body: content.body.clone(),
        attributes,
        md5_of_message_attributes: md5,
        message_attributes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn receipts_round_trip_and_reject_garbage() {
        let handle = encode_receipt(7, 42, 9);
        assert_eq!(decode_receipt(&handle), Some((7, 42, 9)));
        assert_eq!(decode_receipt("not a handle"), None);
        assert_eq!(decode_receipt(""), None);
    }

    async fn dead_letter_retention(fifo: bool) -> usize {
        let clock = crate::ManualClock::new(1_700_000_000_000);
        let sqs = Sqs::open(
            crate::SqsConfig::default(),
            Arc::new(clock.clone()),
            wharf_store::Store::in_memory(),
        )
        .unwrap();
        let suffix = if fifo { ".fifo" } else { "" };
        let fifo_attr = || fifo.then(|| ("FifoQueue".to_string(), "true".to_string()));
        let create = |name: String, mut attributes: Attributes| {
            attributes.extend(fifo_attr());
            sqs.create_queue(CreateQueueInput {
                queue_name: Some(name),
                attributes,
                tags: Default::default(),
            })
        };
        let dlq_attributes = [("MessageRetentionPeriod".to_string(), "60".to_string())];
        let dlq = create(format!("dlq{suffix}"), dlq_attributes.into_iter().collect())
            .await
            .unwrap()
            .queue_url;
        let policy = format!(
            r#"{{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq{suffix}","maxReceiveCount":1}}"#
        );
        let src_attributes = [("RedrivePolicy".to_string(), policy)];
        let src = create(format!("src{suffix}"), src_attributes.into_iter().collect())
            .await
            .unwrap()
            .queue_url;
        sqs.send_message(SendMessageInput {
            queue_url: Some(src.clone()),
            message_body: Some("poison".into()),
            message_group_id: fifo.then(|| "g".to_string()),
            message_deduplication_id: fifo.then(|| "d".to_string()),
            ..Default::default()
        })
        .await
        .unwrap();
        let receive = |url: String| {
            sqs.receive_message(ReceiveMessageInput {
                queue_url: Some(url),
                visibility_timeout: Some(0),
                wait_time_seconds: Some(0),
                ..Default::default()
            })
        };
        assert_eq!(receive(src.clone()).await.unwrap().messages.len(), 1);
        clock.advance_secs(50);
        // The second receive exceeds maxReceiveCount: the message moves to the dead-letter queue.
        assert!(receive(src).await.unwrap().messages.is_empty());
        clock.advance_secs(30);
        receive(dlq).await.unwrap().messages.len()
    }

    #[tokio::test]
    async fn dead_letter_retention_counts_from_original_enqueue_on_standard_queues() {
        assert_eq!(dead_letter_retention(false).await, 0);
    }

    #[tokio::test]
    async fn dead_letter_retention_restarts_on_fifo_queues() {
        assert_eq!(dead_letter_retention(true).await, 1);
    }
}
