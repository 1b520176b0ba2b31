//! SendMessage and SendMessageBatch.

use std::collections::HashSet;
use std::sync::Arc;

use wharf_store::Batch;

use super::ranged;
use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::fixed::MessageId;
use crate::limits::*;
use crate::md5::{md5_hex, md5_of_attributes};
use crate::model::*;
use crate::persist;
use crate::queue::{ContentExtra, DedupEntry, Message, MessageContent, MessageState, QueueState};
use crate::{await_commit, Queue, Sqs};

const INVALID_FOR_QUEUE_TYPE: &str =
    "The request include parameter that is not valid for this queue type.";

/// Body characters SQS accepts: #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF.
/// In UTF-8 the only characters of a `str` outside that set are the C0 controls but tab, LF and CR (one
/// byte each) and U+FFFE/U+FFFF (`EF BF BE`/`EF BF BF`): surrogates cannot occur. So a byte scan, which
/// the compiler vectorises, finds them without decoding characters (this runs over every message body).
pub(crate) fn first_invalid_char(text: &str) -> Option<char> {
    let bytes = text.as_bytes();
    let mut from = 0;
    while let Some(offset) = bytes
        .get(from..)?
        .iter()
        .position(|&b| (b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r')) || b == 0xEF)
    {
        let at = from + offset;
        match bytes.get(at..at + 3) {
            Some([0xEF, 0xBF, 0xBE]) => return Some('\u{FFFE}'),
            Some([0xEF, 0xBF, 0xBF]) => return Some('\u{FFFF}'),
            Some([0xEF, ..]) => from = at + 1,
            // A control character (an 0xEF lead byte is always followed by two more).
            _ => return bytes.get(at).map(|&b| char::from(b)),
        }
    }
    None
}

fn invalid_contents(c: char) -> SqsError {
    SqsError::new(
        ErrorKind::InvalidMessageContents,
        format!(
            "Invalid binary character '#x{:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | #x20 to #xD7FF | #xE000 to #xFFFD | #x10000 to #x10FFFF",
            c as u32
        ),
    )
}

/// FIFO ids: 1..128 characters, alphanumeric and punctuation.
fn validate_fifo_id(name: &str, value: &str) -> SqsResult<()> {
    let ok = !value.is_empty()
        && value.chars().count() <= MAX_FIFO_ID_LEN
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c.is_ascii_punctuation());
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(
            name,
            value,
            &format!("{name} can only include alphanumeric and punctuation characters. 1 to 128 in length."),
        ))
    }
}

/// Validates message attributes as SQS does and returns their size in bytes (names, types and values).
pub(crate) fn validate_message_attributes(
    attributes: &MessageAttributes,
    system: bool,
) -> SqsResult<usize> {
    let kind = if system { "system" } else { "user" };
    if attributes.len() > MAX_MESSAGE_ATTRIBUTES {
        return Err(SqsError::invalid_parameter(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_MESSAGE_ATTRIBUTES}].",
            attributes.len()
        )));
    }
    let mut size = 0;
    for (name, value) in attributes {
        if system {
            if name != "AWSTraceHeader" {
                return Err(SqsError::invalid_parameter(format!(
                    "Message system attribute name '{name}' is invalid."
                )));
            }
        } else {
            let lower = name.to_ascii_lowercase();
            // Alphanumeric is Unicode's: AWS accepts `attr.1øßä` (LocalStack's AWS-validated
            // test_send_message_with_invalid_string_attributes sends it as the valid baseline).
            let valid = !name.is_empty()
                && name.chars().count() <= MAX_MESSAGE_ATTRIBUTE_NAME_LEN
                && name
                    .chars()
                    .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                && !name.starts_with('.')
                && !name.ends_with('.')
                && !name.contains("..")
                && !lower.starts_with("aws.")
                && !lower.starts_with("amazon.");
            if !valid {
                return Err(SqsError::invalid_parameter(format!(
                    "Message (user) attribute name '{name}' is invalid. Attribute names can contain alphanumeric characters, hyphens (-), underscores (_), and periods (.); they must not start or end with a period, contain consecutive periods, or start with AWS. or Amazon."
                )));
            }
        }
        let data_type = value.data_type.as_deref().unwrap_or_default();
        if data_type.is_empty() {
            return Err(SqsError::invalid_parameter(format!(
                "The message ({kind}) attribute '{name}' must contain a non-empty attribute type."
            )));
        }
        let base = data_type.split('.').next().unwrap_or_default();
        if !matches!(base, "String" | "Number" | "Binary") || data_type.len() > MAX_DATA_TYPE_LEN {
            return Err(SqsError::invalid_parameter(format!(
                "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        }
        if system && base != "String" {
            return Err(SqsError::invalid_parameter(format!(
                "The type of message (system) attribute '{name}' is invalid. You must use only the following supported type prefixes: String."
            )));
        }
        if !value.string_list_values.is_empty() || !value.binary_list_values.is_empty() {
            return Err(SqsError::invalid_parameter(format!(
                "Message ({kind}) attribute '{name}' list values are not supported."
            )));
        }
        let value_size = match base {
            "Binary" => match &value.binary_value {
                Some(blob) if !blob.0.is_empty() => blob.0.len(),
                _ => {
                    return Err(SqsError::invalid_parameter(format!(
                        "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{data_type}'."
                    )))
                }
            },
            _ => match &value.string_value {
                Some(text) if !text.is_empty() => {
                    if let Some(c) = first_invalid_char(text) {
                        return Err(SqsError::new(
                            ErrorKind::InvalidParameterValue,
                            format!("Message ({kind}) attribute '{name}' contains the invalid character '#x{:X}'.", c as u32),
                        ));
                    }
                    if base == "Number" && !valid_number(text) {
                        return Err(SqsError::invalid_parameter(format!(
                            "Could not cast message ({kind}) attribute '{name}' value to number."
                        )));
                    }
                    text.len()
                }
                _ => {
                    return Err(SqsError::invalid_parameter(format!(
                        "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{data_type}'."
                    )))
                }
            },
        };
        size += name.len() + data_type.len() + value_size;
    }
    Ok(size)
}

/// `Number` attribute values (developer guide, "Message attribute data types"): "A number can have up to 38
/// digits of precision, and it can be between 10^-128 and 10^+126"; leading and trailing zeroes are not
/// digits of precision. A value is a decimal with an optional sign and exponent (`-1.5`, `+2`, `.5`, `1E-3`);
/// surrounding whitespace is tolerated. Checked exactly, not through a float.
pub fn valid_number(text: &str) -> bool {
    let text = text.trim();
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], Some(&unsigned[at + 1..])),
        None => (unsigned, None),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return false;
    }
    let exponent: i64 = match exponent {
        None => 0,
        Some(digits) => {
            let bare = digits.strip_prefix(['+', '-']).unwrap_or(digits);
            if bare.is_empty() || !bare.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            // Exponents this long only matter for zero; keep them from overflowing.
            match digits.parse::<i64>() {
                Ok(value) => value.clamp(-1_000_000, 1_000_000),
                Err(_) if digits.starts_with('-') => -1_000_000,
                Err(_) => 1_000_000,
            }
        }
    };
    let digits: Vec<u8> = whole.bytes().chain(fraction.bytes()).collect();
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        return true; // zero, whatever its exponent
    };
    let last = digits.iter().rposition(|&d| d != b'0').unwrap_or(first);
    if last - first + 1 > MAX_NUMBER_PRECISION {
        return false;
    }
    // The value is d1.d2d3... x 10^leading, d1 being its first significant digit, so 10^leading <= |value|
    // < 10^(leading+1).
    let leading = whole.len() as i64 - first as i64 - 1 + exponent;
    // 10^-128 <= |value| <= 10^126, the bounds themselves included.
    leading >= MIN_NUMBER_EXPONENT
        && (leading < MAX_NUMBER_EXPONENT
            || leading == MAX_NUMBER_EXPONENT && first == last && digits[first] == b'1')
}

const NO_DEDUPLICATION_ID: &str =
    "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly";

/// A message a send put in memory, to take back out if its commit fails.
pub(crate) struct Inserted {
    seq: u64,
    dedup_key: Option<String>,
}

/// One message to send, from SendMessage or a batch entry.
pub(crate) struct Outgoing<'a> {
    pub body: Option<&'a str>,
    pub delay_seconds: Option<i64>,
    pub attributes: &'a MessageAttributes,
    pub system_attributes: &'a MessageAttributes,
    pub deduplication_id: Option<&'a str>,
    pub group_id: Option<&'a str>,
}

/// The queue settings a send reads, copied under the queue's lock once per request, so that messages
/// are validated, hashed and built without holding it (other requests to the queue are not held up).
#[derive(Debug, Clone, Copy)]
pub(crate) struct SendSettings {
    max_size: u64,
    default_delay_seconds: u64,
    content_based_deduplication: bool,
    per_group_deduplication: bool,
}

impl SendSettings {
    pub(crate) fn of(state: &QueueState) -> SendSettings {
        SendSettings {
            max_size: state.config.maximum_message_size,
            default_delay_seconds: state.config.delay_seconds,
            content_based_deduplication: state.config.content_based_deduplication,
            per_group_deduplication: state.config.deduplication_scope == "messageGroup",
        }
    }
}

/// A validated message, built outside the queue's lock; [`Sqs::enqueue_locked`] gives it its place.
pub(crate) struct Prepared {
    /// Everything but the FIFO sequence number, which comes with the message's place.
    content: MessageContent,
    delay_millis: u64,
    /// FIFO queues: the key in the queue's deduplication window.
    dedup_key: Option<String>,
}

impl<'a> Outgoing<'a> {
    pub(crate) fn of_send(input: &'a SendMessageInput) -> Self {
        Outgoing {
            body: input.message_body.as_deref(),
            delay_seconds: input.delay_seconds,
            attributes: &input.message_attributes,
            system_attributes: &input.message_system_attributes,
            deduplication_id: input.message_deduplication_id.as_deref(),
            group_id: input.message_group_id.as_deref(),
        }
    }

    pub(crate) fn of_batch_entry(entry: &'a SendMessageBatchEntry) -> Self {
        Outgoing {
            body: entry.message_body.as_deref(),
            delay_seconds: entry.delay_seconds,
            attributes: &entry.message_attributes,
            system_attributes: &entry.message_system_attributes,
            deduplication_id: entry.message_deduplication_id.as_deref(),
            group_id: entry.message_group_id.as_deref(),
        }
    }
}

impl Sqs {
    pub async fn send_message(&self, input: SendMessageInput) -> SqsResult<SendMessageOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let outgoing = Outgoing::of_send(&input);
        let now = self.now();
        let settings = SendSettings::of(&queue.state.lock());
        let prepared = self.prepare(&queue, settings, &outgoing, now)?;
        let mut inserted = Vec::with_capacity(1);
        let (result, commit) = {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            let result =
                self.enqueue_locked(&queue, &mut state, prepared, now, &mut batch, &mut inserted);
            (result, self.submit(batch))
        };
        queue.notify.notify_one();
        if let Err(error) = await_commit(commit).await {
            self.roll_back_sends(&queue, &inserted);
            return Err(error);
        }
        Ok(result)
    }

    pub async fn send_message_batch(
        &self,
        input: SendMessageBatchInput,
    ) -> SqsResult<SendMessageBatchOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let ids: Vec<Option<String>> = input.entries.iter().map(|e| e.id.clone()).collect();
        validate_batch_ids(&ids, "SendMessageBatchRequestEntry")?;
        let total: usize = input
            .entries
            .iter()
            .map(|e| {
                e.message_body.as_deref().map_or(0, str::len)
                    + validate_message_attributes(&e.message_attributes, false).unwrap_or(0)
            })
            .sum();
        if total as u64 > MAX_MESSAGE_SIZE {
            return Err(SqsError::new(
                ErrorKind::BatchRequestTooLong,
                format!("Batch requests cannot be longer than {MAX_MESSAGE_SIZE} bytes. You have sent {total} bytes."),
            ));
        }
        let now = self.now();
        let settings = SendSettings::of(&queue.state.lock());
        if queue.fifo {
            // On a FIFO queue an entry without MessageGroupId, or without a deduplication id where the queue
            // has no content-based deduplication, fails the whole request, not just its entry (AWS responses
            // recorded in LocalStack's AWS-validated snapshots test_send_batch_missing_message_group_id_for_fifo_queue
            // and test_send_batch_missing_deduplication_id_for_fifo_queue); SendMessage answers MissingParameter
            // for the group, the batch InvalidParameterValue.
            for entry in &input.entries {
                if entry.message_group_id.is_none() {
                    return Err(SqsError::invalid_parameter(
                        "The request must contain the parameter MessageGroupId.",
                    ));
                }
                if entry.message_deduplication_id.is_none() && !settings.content_based_deduplication
                {
                    return Err(SqsError::invalid_parameter(NO_DEDUPLICATION_ID));
                }
            }
        }
        let prepared: Vec<SqsResult<Prepared>> = input
            .entries
            .iter()
            .map(|entry| {
                let outgoing = Outgoing::of_batch_entry(entry);
                self.prepare(&queue, settings, &outgoing, now)
            })
            .collect();
        let mut output = SendMessageBatchOutput::default();
        let mut inserted = Vec::with_capacity(input.entries.len());
        let commit = {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            for (id, prepared) in ids.into_iter().zip(prepared) {
                let id = id.unwrap_or_default();
                match prepared {
                    Ok(prepared) => {
                        let sent = self.enqueue_locked(
                            &queue,
                            &mut state,
                            prepared,
                            now,
                            &mut batch,
                            &mut inserted,
                        );
                        output.successful.push(SendMessageBatchResultEntry {
                            id,
                            message_id: sent.message_id,
                            md5_of_message_body: sent.md5_of_message_body,
                            md5_of_message_attributes: sent.md5_of_message_attributes,
                            md5_of_message_system_attributes: sent.md5_of_message_system_attributes,
                            sequence_number: sent.sequence_number,
                        })
                    }
                    Err(error) => output.failed.push(batch_error(id, &error)),
                }
            }
            self.submit(batch)
        };
        for _ in 0..output.successful.len() {
            queue.notify.notify_one();
        }
        if let Err(error) = await_commit(commit).await {
            self.roll_back_sends(&queue, &inserted);
            return Err(error);
        }
        Ok(output)
    }

    /// A send whose records could not be made durable was answered with an error: take its messages (and
    /// dedup ids) back out of memory, so what clients can receive matches what a restart would recover.
    fn roll_back_sends(&self, queue: &Queue, inserted: &[Inserted]) {
        let mut state = queue.state.lock();
        for message in inserted {
            state.remove(message.seq);
            if let Some(key) = &message.dedup_key {
                state.dedup.remove(key);
            }
        }
    }

    /// Validates one message (in AWS's order of checks) and builds its content: everything a send does
    /// that needs no lock.
    pub(crate) fn prepare(
        &self,
        queue: &Queue,
        settings: SendSettings,
        outgoing: &Outgoing<'_>,
        now: u64,
    ) -> SqsResult<Prepared> {
        let body = outgoing
            .body
            .filter(|b| !b.is_empty())
            .ok_or_else(|| SqsError::missing("MessageBody"))?;
        if let Some(c) = first_invalid_char(body) {
            return Err(invalid_contents(c));
        }
        let delay = ranged(
            outgoing.delay_seconds,
            "DelaySeconds",
            0,
            MAX_DELAY_SECONDS as i64,
            "DelaySeconds must be >= 0 and <= 900.",
        )?;
        let attributes_size = validate_message_attributes(outgoing.attributes, false)?;
        validate_message_attributes(outgoing.system_attributes, true)?;
        let max_size = settings.max_size;
        if (body.len() + attributes_size) as u64 > max_size {
            return Err(SqsError::invalid_parameter(format!(
                "One or more parameters are invalid. Reason: Message must be shorter than {max_size} bytes."
            )));
        }
        if let Some(group) = outgoing.group_id {
            validate_fifo_id("MessageGroupId", group)?;
        }
        let mut dedup = None;
        if queue.fifo {
            if let Some(d) = delay.filter(|d| *d > 0) {
                return Err(SqsError::invalid_value(
                    "DelaySeconds",
                    d,
                    INVALID_FOR_QUEUE_TYPE,
                ));
            }
            let group = outgoing
                .group_id
                .ok_or_else(|| SqsError::missing("MessageGroupId"))?;
            let dedup_id = match outgoing.deduplication_id {
                Some(id) => {
                    validate_fifo_id("MessageDeduplicationId", id)?;
                    id.to_string()
                }
                None if settings.content_based_deduplication => {
                    crate::md5::sha256_hex(body.as_bytes())
                }
                None => return Err(SqsError::invalid_parameter(NO_DEDUPLICATION_ID)),
            };
            let key = if settings.per_group_deduplication {
                format!("{group}\u{0}{dedup_id}")
            } else {
                dedup_id.clone()
            };
            dedup = Some((key, dedup_id));
        } else if let Some(id) = outgoing.deduplication_id {
            return Err(SqsError::invalid_value(
                "MessageDeduplicationId",
                id,
                INVALID_FOR_QUEUE_TYPE,
            ));
        }
        let delay_seconds = delay.unwrap_or(settings.default_delay_seconds);
        let (dedup_key, deduplication_id) = dedup.unzip();
        Ok(Prepared {
            content: MessageContent::new(
                MessageId::random(),
                body.to_string(),
                md5_hex(body.as_bytes()),
                now,
                Arc::clone(&self.sender_id),
                ContentExtra {
                    attributes: outgoing.attributes.clone(),
                    md5_of_attributes: md5_of_attributes(outgoing.attributes),
                    trace_header: outgoing
                        .system_attributes
                        .get("AWSTraceHeader")
                        .and_then(|v| v.string_value.clone()),
                    md5_of_system_attributes: md5_of_attributes(outgoing.system_attributes),
                    group_id: outgoing.group_id.map(str::to_string),
                    deduplication_id,
                    sequence_number: None,
                    dead_letter_source_arn: None,
                },
            ),
            delay_millis: delay_seconds * 1000,
            dedup_key,
        })
    }

    /// Gives a prepared message its place in the queue (or, for a FIFO duplicate within the
    /// deduplication window, answers with the original); its records go into `batch`.
    pub(crate) fn enqueue_locked(
        &self,
        queue: &Queue,
        state: &mut QueueState,
        prepared: Prepared,
        now: u64,
        batch: &mut Batch,
        inserted: &mut Vec<Inserted>,
    ) -> SendMessageOutput {
        let Prepared {
            mut content,
            delay_millis,
            dedup_key,
        } = prepared;
        if let Some(key) = &dedup_key {
            let dropped = state.prune_dedup(now);
            for old in dropped {
                persist::delete_dedup(batch, queue.id, &old);
            }
            if let Some(original) = state.check_dedup(key, now) {
                // A duplicate within the window is accepted and not enqueued again.
                let extra = content.extra();
                return SendMessageOutput {
                    md5_of_message_attributes: extra.md5_of_attributes.clone(),
                    md5_of_message_system_attributes: extra.md5_of_system_attributes.clone(),
                    md5_of_message_body: content.md5_of_body.to_string(),
                    message_id: original.message_id,
                    sequence_number: original.sequence_number,
                };
            }
        }
        let seq = state.next_seq(now);
        let sequence_number = queue.fifo.then(|| crate::queue::sequence_number(seq));
        if let Some(number) = &sequence_number {
            content.edit_extra(|extra| extra.sequence_number = Some(number.clone()));
        }
        let output = SendMessageOutput {
            md5_of_message_body: content.md5_of_body.to_string(),
            md5_of_message_attributes: content.extra().md5_of_attributes.clone(),
            md5_of_message_system_attributes: content.extra().md5_of_system_attributes.clone(),
            message_id: content.message_id.to_string(),
            sequence_number: sequence_number.clone(),
        };
        if let Some(key) = &dedup_key {
            let entry = DedupEntry {
                expires_millis: now + DEDUP_WINDOW_MILLIS,
                message_id: content.message_id.to_string(),
                sequence_number,
            };
            if self.durable {
                persist::put_dedup(batch, queue.id, key, &entry);
            }
            state.record_dedup(key.clone(), entry);
        }
        let content = Arc::new(content);
        let message = Message {
            seq,
            group: content.extra().group_id.as_deref().map(Arc::from),
            sent_millis: now,
            content: Some(content.clone()),
            state: if delay_millis > 0 {
                MessageState::Delayed
            } else {
                MessageState::Ready
            },
            visible_at_millis: now + delay_millis,
            receive_count: 0,
            first_receive_millis: 0,
            last_receive_millis: 0,
            receipt_nonce: 0,
        };
        if self.durable {
            persist::put_new_message(batch, queue.id, &message, &content);
        }
        inserted.push(Inserted { seq, dedup_key });
        state.insert(message);
        output
    }
}

impl Sqs {
    /// Sends one message to each of several queues (SNS fan-out) with **one** store batch and one commit,
    /// so that the cost of durability does not grow with the number of queues. Each input is what
    /// SendMessage takes (`queue_url` may be a URL or `/<account>/<name>`); the results come back in the
    /// same order, each with SendMessage's validation.
    ///
    /// Lock discipline as everywhere else: every queue's records are submitted while that queue's lock is
    /// held. The queues are locked together, in ascending queue id order (no other path holds two queue
    /// locks at once, and every fan-out takes them in the same order, so this cannot deadlock), the
    /// batch is submitted, the locks are released, and only then is the commit awaited. If the commit
    /// fails, every message this call inserted is taken back out of memory (as a failed SendMessage
    /// does) and every entry that had succeeded reports the commit's error.
    pub async fn send_message_to_queues(
        &self,
        inputs: &[SendMessageInput],
    ) -> Vec<SqsResult<SendMessageOutput>> {
        let mut results: Vec<Option<SqsResult<SendMessageOutput>>> =
            (0..inputs.len()).map(|_| None).collect();
        let mut queues: Vec<Arc<Queue>> = Vec::new();
        let mut resolved: Vec<Option<Arc<Queue>>> = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            match self.resolve(input.queue_url.as_deref()) {
                Ok(queue) => {
                    if !queues.iter().any(|q| q.id == queue.id) {
                        queues.push(Arc::clone(&queue));
                    }
                    resolved.push(Some(queue));
                }
                Err(error) => {
                    results[index] = Some(Err(error));
                    resolved.push(None);
                }
            }
        }
        queues.sort_by_key(|q| q.id);
        let slot_of = |queue: &Queue| queues.iter().position(|q| q.id == queue.id);
        let mut inserted: Vec<Vec<Inserted>> = queues.iter().map(|_| Vec::new()).collect();
        let mut sent: Vec<usize> = vec![0; queues.len()];
        // Validated and built before any queue is locked.
        let now = self.now();
        let mut prepared: Vec<Option<(usize, Prepared)>> = Vec::with_capacity(inputs.len());
        for (index, input) in inputs.iter().enumerate() {
            let Some(queue) = resolved[index].as_deref() else {
                prepared.push(None);
                continue;
            };
            let outgoing = Outgoing::of_send(input);
            let settings = SendSettings::of(&queue.state.lock());
            match (
                self.prepare(queue, settings, &outgoing, now),
                slot_of(queue),
            ) {
                (Ok(message), Some(slot)) => prepared.push(Some((slot, message))),
                (Err(error), _) => {
                    results[index] = Some(Err(error));
                    prepared.push(None);
                }
                (Ok(_), None) => prepared.push(None),
            }
        }
        let commit = {
            let mut states: Vec<_> = queues.iter().map(|q| q.state.lock()).collect();
            let mut batch = Batch::new();
            for (index, message) in prepared.into_iter().enumerate() {
                let Some((slot, message)) = message else {
                    continue;
                };
                let result = self.enqueue_locked(
                    &queues[slot],
                    &mut states[slot],
                    message,
                    now,
                    &mut batch,
                    &mut inserted[slot],
                );
                sent[slot] += 1;
                results[index] = Some(Ok(result));
            }
            self.submit(batch)
        };
        for (queue, count) in queues.iter().zip(&sent) {
            for _ in 0..*count {
                queue.notify.notify_one();
            }
        }
        if let Err(error) = await_commit(commit).await {
            for (queue, inserted) in queues.iter().zip(&inserted) {
                self.roll_back_sends(queue, inserted);
            }
            for result in results.iter_mut().flatten() {
                if result.is_ok() {
                    *result = Err(error.clone());
                }
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(SqsError::queue_does_not_exist())))
            .collect()
    }
}

/// The checks every batch action makes on its entry ids, in AWS's order.
pub(crate) fn validate_batch_ids(ids: &[Option<String>], entry_name: &str) -> SqsResult<()> {
    if ids.is_empty() {
        return Err(SqsError::new(
            ErrorKind::EmptyBatchRequest,
            format!("There should be at least one {entry_name} in the request."),
        ));
    }
    if ids.len() > MAX_BATCH_ENTRIES {
        return Err(SqsError::new(
            ErrorKind::TooManyEntriesInBatchRequest,
            format!(
                "Maximum number of entries per request are {MAX_BATCH_ENTRIES}. You have sent {}.",
                ids.len()
            ),
        ));
    }
    let mut seen = HashSet::new();
    for id in ids {
        let id = id
            .as_deref()
            .ok_or_else(|| SqsError::missing(&format!("{entry_name}.Id")))?;
        let valid = !id.is_empty()
            && id.len() <= MAX_BATCH_ENTRY_ID_LEN
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !valid {
            return Err(SqsError::new(
                ErrorKind::InvalidBatchEntryId,
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.",
            ));
        }
        if !seen.insert(id) {
            return Err(SqsError::new(
                ErrorKind::BatchEntryIdsNotDistinct,
                format!("Id {id} repeated."),
            ));
        }
    }
    Ok(())
}

pub(crate) fn batch_error(id: String, error: &SqsError) -> BatchResultErrorEntry {
    BatchResultErrorEntry {
        id,
        sender_fault: error.kind.sender_fault(),
        code: error.kind.query_code().to_string(),
        message: error.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_characters() {
        assert_eq!(first_invalid_char("ok\t\n\r é 😀"), None);
        assert_eq!(first_invalid_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(first_invalid_char("\u{FFFE}"), Some('\u{FFFE}'));
        assert_eq!(
            first_invalid_char("ab\u{FFFD}\u{EFFF}\u{FBFF}c\u{FFFF}"),
            Some('\u{FFFF}')
        );
        assert_eq!(
            first_invalid_char("\u{FFFD}\u{10FFFF}\u{E000}\u{D7FF} x\u{1F}"),
            Some('\u{1F}')
        );
        assert_eq!(first_invalid_char("\u{7F}\u{80}\u{9F}"), None);
        // Agrees with a character-by-character check over every character.
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let allowed = matches!(c, '\u{9}' | '\u{A}' | '\u{D}' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..='\u{10FFFF}');
            let text = format!("a{c}b");
            assert_eq!(first_invalid_char(&text), (!allowed).then_some(c), "{c:?}");
        }
    }

    #[test]
    fn batch_id_rules() {
        let ids = |v: &[&str]| v.iter().map(|s| Some(s.to_string())).collect::<Vec<_>>();
        assert_eq!(
            validate_batch_ids(&[], "E").unwrap_err().kind,
            ErrorKind::EmptyBatchRequest
        );
        assert_eq!(
            validate_batch_ids(&ids(&["a"; 11]), "E").unwrap_err().kind,
            ErrorKind::TooManyEntriesInBatchRequest
        );
        assert_eq!(
            validate_batch_ids(&ids(&["a", "a"]), "E").unwrap_err().kind,
            ErrorKind::BatchEntryIdsNotDistinct
        );
        assert_eq!(
            validate_batch_ids(&ids(&["a b"]), "E").unwrap_err().kind,
            ErrorKind::InvalidBatchEntryId
        );
        assert!(validate_batch_ids(&ids(&["a", "b-c_1"]), "E").is_ok());
    }

    #[test]
    fn number_values_follow_the_documented_precision_and_range() {
        let ok = [
            "0",
            "-0",
            "+5",
            "-5",
            "1.5",
            ".5",
            "5.",
            "00012",
            " 7 ",
            "1e5",
            "1E+5",
            "1.5e-3",
            "0e999999999999999999999",
            "1e126",
            "-1e126",
            "1e-128",
            "-1E-128",
            "9.99e125",
        ];
        for value in ok {
            assert!(valid_number(value), "{value} should be a valid Number");
        }
        let thirty_eight = "1".repeat(38);
        assert!(valid_number(&thirty_eight));
        assert!(valid_number(&format!("{thirty_eight}000")));
        assert!(valid_number(&format!("0.000{thirty_eight}")));
        assert!(valid_number(&format!("-{thirty_eight}e-10")));
        let bad = [
            "",
            "+",
            "-",
            ".",
            "e5",
            "1e",
            "1e+",
            "1.2.3",
            "+-5",
            "--5",
            "abc",
            "0x10",
            "NaN",
            "Infinity",
            "1,5",
            "1 5",
            "1e127",
            "1.1e126",
            "1e-129",
            "9e-129",
            "1e999999999999999999999",
        ];
        for value in bad {
            assert!(!valid_number(value), "{value} should not be a valid Number");
        }
        assert!(!valid_number(&"1".repeat(39)));
        assert!(!valid_number(&format!("1{}1", "0".repeat(37))));
        assert!(!valid_number(&format!("0.{}", "1".repeat(39))));
    }
}
