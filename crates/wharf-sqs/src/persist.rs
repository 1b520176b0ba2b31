//! How SQS state is laid out in the store (format version 1). Every mutation is a small record:
//!
//! | keyspace       | key                         | value (JSON, with `"v":1`, unless noted)            |
//! |----------------|-----------------------------|-----------------------------------------------------|
//! | `SqsQueues`    | queue name                  | [`QueueRecord`]: id, attributes, tags, timestamps    |
//! | `SqsMessages`  | queue id (8 B BE) + seq (8 B BE) | [`MessageRecord`]: content fixed at send (binary, |
//! |                |                             | see [`crate::record`]; JSON from earlier versions)   |
//! | `SqsState`     | queue id + seq              | [`StateRecord`]: the message's index entry (sent time,|
//! |                |                             | group, receive count, visibility deadline; binary),  |
//! |                |                             | written at the first change after the send: until    |
//! |                |                             | then the content record's header is the index entry  |
//! | `SqsDedup`     | queue id + dedup key        | [`DedupRecord`]: expiry, original id and sequence    |
//! | `Meta`         | `sqs-deleted/` + name       | deletion time (the 60-second re-create rule)          |
//!
//! Keys of one queue share the 8-byte id prefix, so deleting or purging a queue removes whole ranges.
//! Those removals are store range deletions (one record, whatever the number of messages; the store
//! reclaims the space in the background). They rely on keys never being written again once deleted:
//! queue ids are never reused (a new id is at least the creation time in milliseconds), and message
//! sequence numbers only grow (see `QueueState::next_seq`), so a purge or an expiry deletes the range
//! below a sequence number that later messages are above.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use wharf_store::{Batch, Keyspace};

use crate::queue::{DedupEntry, Message, MessageContent, MessageState};
use crate::record;

pub const FORMAT_VERSION: u32 = 1;

pub fn message_key(queue_id: u64, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(16);
    key.extend_from_slice(&queue_id.to_be_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

pub fn queue_prefix(queue_id: u64) -> Vec<u8> {
    queue_id.to_be_bytes().to_vec()
}

pub fn seq_of_key(key: &[u8]) -> Option<u64> {
    let bytes: [u8; 8] = key.get(8..16)?.try_into().ok()?;
    Some(u64::from_be_bytes(bytes))
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueRecord {
    pub v: u32,
    pub id: u64,
    pub name: String,
    pub attributes: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub created_millis: u64,
    pub last_modified_millis: u64,
    pub last_purge_millis: Option<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MessageRecord {
    pub v: u32,
    pub content: MessageContent,
    pub visible_at_millis: u64,
}

/// A message's index entry: everything recovery needs to rebuild the message's place in the queue without
/// reading its content (which is loaded lazily). Written at send and at every state change. Short keys keep
/// it small: a million-message backlog recovers from ~100 MB of these.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StateRecord {
    pub v: u32,
    #[serde(rename = "rc")]
    pub receive_count: u32,
    #[serde(rename = "fr")]
    pub first_receive_millis: u64,
    #[serde(rename = "lr")]
    pub last_receive_millis: u64,
    #[serde(rename = "va")]
    pub visible_at_millis: u64,
    #[serde(rename = "rn")]
    pub receipt_nonce: u64,
    #[serde(rename = "s")]
    pub sent_millis: u64,
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DedupRecord {
    pub v: u32,
    pub expires_millis: u64,
    pub message_id: String,
    pub sequence_number: Option<String>,
}

fn json<T: Serialize>(value: &T) -> Vec<u8> {
    // Serializing these plain structs cannot fail.
    serde_json::to_vec(value).unwrap_or_default()
}

pub fn put_queue(batch: &mut Batch, record: &QueueRecord) {
    batch.put(
        Keyspace::SqsQueues,
        record.name.as_bytes().to_vec(),
        json(record),
    );
}

/// Removes the queue's record and, as one range deletion per keyspace, all its messages, their state and
/// its deduplication entries.
pub fn delete_queue(batch: &mut Batch, queue_id: u64, name: &str, deleted_at_millis: u64) {
    batch.delete(Keyspace::SqsQueues, name.as_bytes().to_vec());
    batch.delete_prefix(Keyspace::SqsMessages, queue_prefix(queue_id));
    batch.delete_prefix(Keyspace::SqsState, queue_prefix(queue_id));
    delete_all_dedup(batch, queue_id);
    batch.put(
        Keyspace::Meta,
        deleted_key(name),
        deleted_at_millis.to_string().into_bytes(),
    );
}

pub fn deleted_key(name: &str) -> Vec<u8> {
    format!("sqs-deleted/{name}").into_bytes()
}

/// PurgeQueue: removes every message whose sequence number is below `below_seq` (one past the queue's
/// newest message; later messages get higher numbers) as one range deletion per keyspace.
pub fn purge_messages(batch: &mut Batch, queue_id: u64, below_seq: u64) {
    if below_seq == 0 {
        return;
    }
    let (start, end) = (message_key(queue_id, 0), message_key(queue_id, below_seq));
    batch.delete_range(Keyspace::SqsMessages, start.clone(), end.clone());
    batch.delete_range(Keyspace::SqsState, start, end);
}

/// Fewer expired messages than this are deleted key by key: a range deletion also costs a record and a
/// pass of the store's reclaimer.
const EXPIRY_RANGE_MIN: usize = 16;

/// Removes the records of messages past their retention period (`expired`, already taken out of the
/// queue; `oldest_remaining`: the lowest sequence number still in the queue). The expired messages below
/// every remaining one (usually all of them: sequence numbers follow send order) go as one range deletion
/// per keyspace; the others (a message moved in from a dead-letter source keeps its original send time
/// under a new, higher number) key by key.
pub fn delete_expired(
    batch: &mut Batch,
    queue_id: u64,
    expired: &[u64],
    oldest_remaining: Option<u64>,
) {
    let Some(&newest) = expired.iter().max() else {
        return;
    };
    let bound = newest
        .saturating_add(1)
        .min(oldest_remaining.unwrap_or(u64::MAX));
    let (below, stragglers): (Vec<u64>, Vec<u64>) = expired.iter().partition(|&&s| s < bound);
    match below.iter().min() {
        Some(&first) if below.len() >= EXPIRY_RANGE_MIN => {
            let (start, end) = (message_key(queue_id, first), message_key(queue_id, bound));
            batch.delete_range(Keyspace::SqsMessages, start.clone(), end.clone());
            batch.delete_range(Keyspace::SqsState, start, end);
        }
        _ => {
            for &seq in &below {
                delete_message(batch, queue_id, seq);
            }
        }
    }
    for seq in stragglers {
        delete_message(batch, queue_id, seq);
    }
}

/// Writes a message's record; `content` is the message's full content (it may not be resident).
pub fn put_message(batch: &mut Batch, queue_id: u64, message: &Message, content: &MessageContent) {
    batch.put(
        Keyspace::SqsMessages,
        message_key(queue_id, message.seq),
        record::encode_message(content, message.visible_at_millis),
    );
}

/// Writes a new message: its content record and, only when recovery could not derive it from that
/// record (see [`record::decode_initial_state`]), its index entry. A plain send is one record.
pub fn put_new_message(
    batch: &mut Batch,
    queue_id: u64,
    message: &Message,
    content: &MessageContent,
) {
    put_message(batch, queue_id, message, content);
    let derivable = message.receive_count == 0
        && message.first_receive_millis == 0
        && message.last_receive_millis == 0
        && message.receipt_nonce == 0
        && message.sent_millis == content.sent_millis
        && message.group.as_deref() == content.extra().group_id.as_deref();
    if !derivable {
        put_state(batch, queue_id, message);
    }
}

/// Writes a message's index entry; from then on it, not the content record, says where the message is.
pub fn put_state(batch: &mut Batch, queue_id: u64, message: &Message) {
    batch.put(
        Keyspace::SqsState,
        message_key(queue_id, message.seq),
        record::encode_state(message),
    );
}

pub fn delete_message(batch: &mut Batch, queue_id: u64, seq: u64) {
    batch.delete(Keyspace::SqsMessages, message_key(queue_id, seq));
    batch.delete(Keyspace::SqsState, message_key(queue_id, seq));
}

fn dedup_key(queue_id: u64, key: &str) -> Vec<u8> {
    let mut out = queue_prefix(queue_id);
    out.extend_from_slice(key.as_bytes());
    out
}

pub fn put_dedup(batch: &mut Batch, queue_id: u64, key: &str, entry: &DedupEntry) {
    let record = DedupRecord {
        v: FORMAT_VERSION,
        expires_millis: entry.expires_millis,
        message_id: entry.message_id.clone(),
        sequence_number: entry.sequence_number.clone(),
    };
    batch.put(Keyspace::SqsDedup, dedup_key(queue_id, key), json(&record));
}

pub fn delete_dedup(batch: &mut Batch, queue_id: u64, key: &str) {
    batch.delete(Keyspace::SqsDedup, dedup_key(queue_id, key));
}

/// Every deduplication entry of the queue, as one range deletion.
pub fn delete_all_dedup(batch: &mut Batch, queue_id: u64) {
    batch.delete_prefix(Keyspace::SqsDedup, queue_prefix(queue_id));
}

/// Rebuilds a message from its index entry, deciding its state as of `now_millis`; its content stays on
/// disk until the message is received.
pub fn recover_message(seq: u64, state: StateRecord, now_millis: u64) -> Message {
    let mut message = Message {
        seq,
        group: state.group.as_deref().map(Arc::from),
        sent_millis: state.sent_millis,
        content: None,
        state: MessageState::Ready,
        visible_at_millis: state.visible_at_millis,
        receive_count: state.receive_count,
        first_receive_millis: state.first_receive_millis,
        last_receive_millis: state.last_receive_millis,
        receipt_nonce: state.receipt_nonce,
    };
    if message.visible_at_millis > now_millis {
        message.state = if message.receive_count > 0 {
            MessageState::InFlight
        } else {
            MessageState::Delayed
        };
    }
    message
}

pub fn parse<T: for<'de> Deserialize<'de>>(bytes: &[u8]) -> Option<T> {
    serde_json::from_slice(bytes).ok()
}

pub fn dedup_key_of(key: &[u8]) -> Option<String> {
    String::from_utf8(key.get(8..)?.to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expired_messages_below_every_remaining_one_go_as_one_range() {
        let expired: Vec<u64> = (100..120).chain([500]).collect();
        let mut batch = Batch::new();
        delete_expired(&mut batch, 7, &expired, Some(300));
        let mut expected = Batch::new();
        // up to the oldest remaining message: nothing in between is still in the queue
        for ks in [Keyspace::SqsMessages, Keyspace::SqsState] {
            expected.delete_range(ks, message_key(7, 100), message_key(7, 300));
        }
        delete_message(&mut expected, 7, 500);
        assert_eq!(batch, expected);

        // the queue is empty: the range ends after the newest expired message
        let mut batch = Batch::new();
        delete_expired(&mut batch, 7, &expired, None);
        let mut expected = Batch::new();
        for ks in [Keyspace::SqsMessages, Keyspace::SqsState] {
            expected.delete_range(ks, message_key(7, 100), message_key(7, 501));
        }
        assert_eq!(batch, expected);

        // a few: key by key
        let mut batch = Batch::new();
        delete_expired(&mut batch, 7, &[3, 4], Some(10));
        let mut expected = Batch::new();
        delete_message(&mut expected, 7, 3);
        delete_message(&mut expected, 7, 4);
        assert_eq!(batch, expected);
    }

    #[test]
    fn purge_deletes_below_the_newest_message() {
        let mut batch = Batch::new();
        purge_messages(&mut batch, 7, 0);
        assert!(batch.is_empty());
        purge_messages(&mut batch, 7, 42);
        let mut expected = Batch::new();
        for ks in [Keyspace::SqsMessages, Keyspace::SqsState] {
            expected.delete_range(ks, message_key(7, 0), message_key(7, 42));
        }
        assert_eq!(batch, expected);
    }
}
