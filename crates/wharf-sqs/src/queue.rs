//! One queue's hot state: every message with its state, the per-group ready sets served round-robin (FIFO
//! order and fair queues), the timeline of delayed and in-flight messages ordered by the moment they become
//! visible, the retention order, and the FIFO deduplication window.
//!
//! All of it sits behind the queue's own mutex; no operation here blocks or does I/O.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use crate::attributes::QueueConfig;
use crate::fixed::{Md5Hex, MessageId};
use crate::message_map::{MessageMap, SeqSet};
use crate::model::MessageAttributes;

/// The FIFO `SequenceNumber` of a message key: 20 decimal digits, increasing with the key.
pub fn sequence_number(seq: u64) -> String {
    (10_000_000_000_000_000_000u128 + u128::from(seq)).to_string()
}

/// Where a message is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageState {
    Delayed,
    Ready,
    InFlight,
}

/// The parts of a message fixed at send time.
///
/// What only some messages carry (attributes, FIFO ids, trace header, dead-letter source) sits behind one
/// box, so a plain message's content is ~130 bytes instead of ~330: a send-only load keeps every message,
/// and the page faults of that growth were a sixth of the in-memory server's CPU.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(from = "FlatContent", into = "FlatContent")]
pub struct MessageContent {
    pub message_id: MessageId,
    pub body: String,
    pub md5_of_body: Md5Hex,
    pub sent_millis: u64,
    /// Shared by the messages of one sender (no allocation per message).
    pub sender_id: Arc<str>,
    /// `None` when every field of [`ContentExtra`] is empty.
    extra: Option<Box<ContentExtra>>,
}

/// The optional parts of a [`MessageContent`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContentExtra {
    pub attributes: MessageAttributes,
    pub md5_of_attributes: Option<String>,
    pub trace_header: Option<String>,
    pub md5_of_system_attributes: Option<String>,
    pub group_id: Option<String>,
    pub deduplication_id: Option<String>,
    pub sequence_number: Option<String>,
    pub dead_letter_source_arn: Option<String>,
}

static NO_EXTRA: ContentExtra = ContentExtra {
    attributes: MessageAttributes::new(),
    md5_of_attributes: None,
    trace_header: None,
    md5_of_system_attributes: None,
    group_id: None,
    deduplication_id: None,
    sequence_number: None,
    dead_letter_source_arn: None,
};

impl ContentExtra {
    fn is_empty(&self) -> bool {
        self == &NO_EXTRA
    }
}

impl MessageContent {
    pub fn new(
        message_id: MessageId,
        body: String,
        md5_of_body: Md5Hex,
        sent_millis: u64,
        sender_id: Arc<str>,
        extra: ContentExtra,
    ) -> MessageContent {
        MessageContent {
            message_id,
            body,
            md5_of_body,
            sent_millis,
            sender_id,
            extra: (!extra.is_empty()).then(|| Box::new(extra)),
        }
    }

    /// The optional parts (all empty for a plain message).
    pub fn extra(&self) -> &ContentExtra {
        self.extra.as_deref().unwrap_or(&NO_EXTRA)
    }

    /// Changes the optional parts (boxes them if the message had none; emptied ones are dropped).
    pub fn edit_extra(&mut self, edit: impl FnOnce(&mut ContentExtra)) {
        let mut extra = self.extra.take().unwrap_or_default();
        edit(&mut extra);
        if !extra.is_empty() {
            self.extra = Some(extra);
        }
    }
}

/// The JSON shape of message records written before the binary layout (`record.rs`).
#[derive(serde::Serialize, serde::Deserialize)]
struct FlatContent {
    message_id: MessageId,
    body: String,
    md5_of_body: Md5Hex,
    #[serde(default)]
    attributes: MessageAttributes,
    md5_of_attributes: Option<String>,
    trace_header: Option<String>,
    md5_of_system_attributes: Option<String>,
    sent_millis: u64,
    sender_id: String,
    group_id: Option<String>,
    deduplication_id: Option<String>,
    sequence_number: Option<String>,
    dead_letter_source_arn: Option<String>,
}

impl From<FlatContent> for MessageContent {
    fn from(flat: FlatContent) -> MessageContent {
        MessageContent::new(
            flat.message_id,
            flat.body,
            flat.md5_of_body,
            flat.sent_millis,
            flat.sender_id.into(),
            ContentExtra {
                attributes: flat.attributes,
                md5_of_attributes: flat.md5_of_attributes,
                trace_header: flat.trace_header,
                md5_of_system_attributes: flat.md5_of_system_attributes,
                group_id: flat.group_id,
                deduplication_id: flat.deduplication_id,
                sequence_number: flat.sequence_number,
                dead_letter_source_arn: flat.dead_letter_source_arn,
            },
        )
    }
}

impl From<MessageContent> for FlatContent {
    fn from(content: MessageContent) -> FlatContent {
        let extra = content.extra.map(|extra| *extra).unwrap_or_default();
        FlatContent {
            message_id: content.message_id,
            body: content.body,
            md5_of_body: content.md5_of_body,
            attributes: extra.attributes,
            md5_of_attributes: extra.md5_of_attributes,
            trace_header: extra.trace_header,
            md5_of_system_attributes: extra.md5_of_system_attributes,
            sent_millis: content.sent_millis,
            sender_id: content.sender_id.to_string(),
            group_id: extra.group_id,
            deduplication_id: extra.deduplication_id,
            sequence_number: extra.sequence_number,
            dead_letter_source_arn: extra.dead_letter_source_arn,
        }
    }
}

/// Bytes of message content held in memory, across all queues. Content beyond the limit stays only in the
/// store and is read back when a message is received, so a large backlog costs little RAM.
#[derive(Debug)]
pub struct BodyBudget {
    used: AtomicUsize,
    limit: usize,
}

impl BodyBudget {
    pub fn new(limit: usize) -> Self {
        BodyBudget {
            used: AtomicUsize::new(0),
            limit,
        }
    }

    fn try_reserve(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                (used + bytes <= self.limit).then_some(used + bytes)
            })
            .is_ok()
    }

    fn release(&self, bytes: usize) {
        self.used.fetch_sub(bytes, Ordering::AcqRel);
    }

    pub fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }
}

impl MessageContent {
    /// Approximate bytes this content occupies in memory.
    pub fn resident_size(&self) -> usize {
        let attributes: usize = self
            .extra()
            .attributes
            .iter()
            .map(|(name, value)| {
                name.len()
                    + value.string_value.as_ref().map_or(0, String::len)
                    + value.binary_value.as_ref().map_or(0, |b| b.0.len())
                    + 64
            })
            .sum();
        let extra = if self.extra.is_some() { 224 } else { 0 };
        // The content inline, the `Arc`'s counts (the sender id is shared) and the body's heap block.
        self.body.len() + attributes + extra + std::mem::size_of::<MessageContent>() + 16
    }
}

#[derive(Debug, Clone)]
pub struct Message {
    pub seq: u64,
    /// The content when it is resident in memory; `None` when it lives only in the store.
    pub content: Option<Arc<MessageContent>>,
    pub group: Option<Arc<str>>,
    pub sent_millis: u64,
    pub state: MessageState,
    pub visible_at_millis: u64,
    pub receive_count: u32,
    /// 0 until the first receive.
    pub first_receive_millis: u64,
    pub last_receive_millis: u64,
    /// Changes at every receive; part of the receipt handle, so older handles are recognised as stale.
    pub receipt_nonce: u64,
}

/// A message group (a clone of the messages' own `Arc`: no allocation per message).
type GroupKey = Option<Arc<str>>;

#[derive(Debug, Default)]
struct Group {
    ready: SeqSet,
    in_flight: usize,
    /// FIFO queues only: which messages are in flight (a group is served while its oldest message is ready).
    in_flight_seqs: SeqSet,
    scheduled: bool,
}

impl Group {
    /// FIFO: the group's oldest message is ready, so the group can be served, up to its first in-flight
    /// message. AWS serves a group again as soon as its head message is visible again, even while later
    /// messages of the group are still in flight (LocalStack's AWS-validated
    /// test_fifo_message_group_visibility_after_terminate_visibility_timeout and _after_change_message_visibility),
    /// and not while the head is in flight (test_fifo_message_group_visibility_after_partial_delete).
    fn fifo_head_ready(&self) -> bool {
        match (self.ready.first(), self.in_flight_seqs.first()) {
            (Some(ready), Some(in_flight)) => ready < in_flight,
            (Some(_), None) => true,
            (None, _) => false,
        }
    }

    /// One of the group's messages goes in flight (the FIFO set is kept for FIFO queues only).
    fn enter_flight(&mut self, seq: u64, fifo: bool) {
        self.in_flight += 1;
        if fifo {
            self.in_flight_seqs.insert(seq);
        }
    }

    /// One of the group's in-flight messages leaves flight (deleted, or visible again).
    fn leave_flight(&mut self, seq: u64) {
        self.in_flight -= 1;
        self.in_flight_seqs.remove(&seq);
    }
}

#[derive(Debug, Clone)]
pub struct DedupEntry {
    pub expires_millis: u64,
    pub message_id: String,
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ReceiveAttempt {
    pub expires_millis: u64,
    pub handles: Vec<(u64, u64)>,
}

pub struct QueueState {
    pub config: QueueConfig,
    budget: Arc<BodyBudget>,
    pub tags: std::collections::BTreeMap<String, String>,
    pub created_millis: u64,
    pub last_modified_millis: u64,
    pub last_purge_millis: Option<u64>,
    /// Chunked by sequence number: ~82 bytes per message, no growth spikes with millions of messages.
    pub messages: MessageMap,
    /// Keyed by message group (`None`: messages sent without one).
    groups: HashMap<GroupKey, Group>,
    schedule: VecDeque<GroupKey>,
    /// Delayed and in-flight messages by (visible at, seq).
    timeline: BTreeSet<(u64, u64)>,
    /// Every message by (sent at, seq), for retention.
    retention: BTreeSet<(u64, u64)>,
    pub ready_count: usize,
    pub in_flight_count: usize,
    pub delayed_count: usize,
    pub last_seq: u64,
    pub last_nonce: u64,
    pub dedup: HashMap<String, DedupEntry>,
    dedup_order: VecDeque<(u64, String)>,
    pub attempts: HashMap<String, ReceiveAttempt>,
}

impl Drop for QueueState {
    /// A deleted queue gives its resident content back to the shared budget.
    fn drop(&mut self) {
        let resident: usize = self
            .messages
            .values()
            .filter_map(|m| m.content.as_ref())
            .map(|c| c.resident_size())
            .sum();
        self.budget.release(resident);
    }
}

impl QueueState {
    pub fn new(config: QueueConfig, created_millis: u64, budget: Arc<BodyBudget>) -> Self {
        QueueState {
            config,
            budget,
            tags: Default::default(),
            created_millis,
            last_modified_millis: created_millis,
            last_purge_millis: None,
            messages: MessageMap::new(),
            groups: HashMap::new(),
            schedule: VecDeque::new(),
            timeline: BTreeSet::new(),
            retention: BTreeSet::new(),
            ready_count: 0,
            in_flight_count: 0,
            delayed_count: 0,
            last_seq: 0,
            last_nonce: 0,
            dedup: HashMap::new(),
            dedup_order: VecDeque::new(),
            attempts: HashMap::new(),
        }
    }

    /// A new message key: increasing, and increasing across restarts (it starts from the clock).
    pub fn next_seq(&mut self, now_millis: u64) -> u64 {
        self.last_seq = (self.last_seq + 1).max(now_millis << 16);
        self.last_seq
    }

    pub fn next_nonce(&mut self) -> u64 {
        self.last_nonce += 1;
        self.last_nonce
    }

    fn group_key(&self, message: &Message) -> GroupKey {
        message.group.clone()
    }

    /// A group is scheduled for receives when it has ready messages, and for FIFO queues nothing in flight.
    fn reschedule(&mut self, key: &GroupKey) {
        let fifo = self.config.fifo;
        let Some(group) = self.groups.get_mut(key) else {
            return;
        };
        let eligible = !group.ready.is_empty() && (!fifo || group.fifo_head_ready());
        if eligible && !group.scheduled {
            group.scheduled = true;
            self.schedule.push_back(key.clone());
        }
        if group.ready.is_empty() && group.in_flight == 0 && !group.scheduled {
            self.groups.remove(key);
        }
    }

    /// Adds a message in the state it carries (recovery and send).
    pub fn insert(&mut self, mut message: Message) {
        let seq = message.seq;
        let key = self.group_key(&message);
        if let Some(content) = &message.content {
            if !self.budget.try_reserve(content.resident_size()) {
                message.content = None;
            }
        }
        self.retention.insert((message.sent_millis, seq));
        let group = self.groups.entry(key.clone()).or_default();
        match message.state {
            MessageState::Ready => {
                group.ready.insert(seq);
                self.ready_count += 1;
            }
            MessageState::InFlight => {
                group.enter_flight(seq, self.config.fifo);
                self.in_flight_count += 1;
                self.timeline.insert((message.visible_at_millis, seq));
            }
            MessageState::Delayed => {
                self.delayed_count += 1;
                self.timeline.insert((message.visible_at_millis, seq));
            }
        }
        self.last_seq = self.last_seq.max(seq);
        self.last_nonce = self.last_nonce.max(message.receipt_nonce);
        self.messages.insert(seq, message);
        self.reschedule(&key);
    }

    /// Takes a message out entirely (delete, expiry, purge, move to a dead-letter queue).
    pub fn remove(&mut self, seq: u64) -> Option<Message> {
        let message = self.messages.remove(&seq)?;
        let key = self.group_key(&message);
        if let Some(content) = &message.content {
            self.budget.release(content.resident_size());
        }
        self.retention.remove(&(message.sent_millis, seq));
        match message.state {
            MessageState::Ready => {
                if let Some(group) = self.groups.get_mut(&key) {
                    group.ready.remove(&seq);
                }
                self.ready_count -= 1;
            }
            MessageState::InFlight => {
                self.timeline.remove(&(message.visible_at_millis, seq));
                if let Some(group) = self.groups.get_mut(&key) {
                    group.leave_flight(seq);
                }
                self.in_flight_count -= 1;
            }
            MessageState::Delayed => {
                self.timeline.remove(&(message.visible_at_millis, seq));
                self.delayed_count -= 1;
            }
        }
        self.reschedule(&key);
        Some(message)
    }

    /// Moves every delayed or in-flight message whose moment has come back to ready.
    pub fn promote_due(&mut self, now_millis: u64) {
        while let Some(&(visible_at, seq)) = self.timeline.first() {
            if visible_at > now_millis {
                break;
            }
            self.timeline.pop_first();
            let Some(message) = self.messages.get_mut(&seq) else {
                continue;
            };
            let key = message.group.clone();
            match message.state {
                MessageState::Delayed => self.delayed_count -= 1,
                MessageState::InFlight => {
                    self.in_flight_count -= 1;
                    if let Some(group) = self.groups.get_mut(&key) {
                        group.leave_flight(seq);
                    }
                }
                MessageState::Ready => continue,
            }
            message.state = MessageState::Ready;
            self.ready_count += 1;
            self.groups
                .entry(key.clone())
                .or_default()
                .ready
                .insert(seq);
            self.reschedule(&key);
        }
    }

    /// Removes messages older than the retention period; returns their keys.
    pub fn expire(&mut self, now_millis: u64) -> Vec<u64> {
        let retention_millis = self.config.message_retention_period * 1000;
        let mut expired = Vec::new();
        while let Some(&(sent, seq)) = self.retention.first() {
            if sent + retention_millis > now_millis {
                break;
            }
            self.remove(seq);
            expired.push(seq);
        }
        expired
    }

    /// The earliest moment a delayed or in-flight message becomes visible.
    pub fn next_visibility_change(&self) -> Option<u64> {
        self.timeline.first().map(|(at, _)| *at)
    }

    /// Picks up to `max` ready messages: round-robin across message groups (fair queues), whole runs of one
    /// group for FIFO queues (AWS returns messages of the same group together, in order).
    pub fn take_ready(&mut self, max: usize) -> Vec<u64> {
        let mut taken = Vec::new();
        let fifo = self.config.fifo;
        while taken.len() < max {
            let Some(key) = self.schedule.pop_front() else {
                break;
            };
            let Some(group) = self.groups.get_mut(&key) else {
                continue;
            };
            group.scheduled = false;
            if !fifo || group.fifo_head_ready() {
                let per_turn = if fifo { max - taken.len() } else { 1 };
                // FIFO: the ready run before the group's first in-flight message.
                let limit = if fifo {
                    group.in_flight_seqs.first().unwrap_or(u64::MAX)
                } else {
                    u64::MAX
                };
                for _ in 0..per_turn {
                    if fifo && group.ready.first().is_none_or(|seq| seq >= limit) {
                        break;
                    }
                    let Some(seq) = group.ready.pop_first() else {
                        break;
                    };
                    group.enter_flight(seq, fifo);
                    taken.push(seq);
                }
            }
            self.reschedule(&key);
        }
        for &seq in &taken {
            if let Some(message) = self.messages.get_mut(&seq) {
                message.state = MessageState::InFlight;
                self.ready_count -= 1;
                self.in_flight_count += 1;
            }
        }
        taken
    }

    /// Puts one ready message back in flight without a new receive: ChangeMessageVisibility with the latest
    /// receipt handle of a standard-queue message whose visibility timeout ran out before anyone received it
    /// again. The caller sets its new deadline. `false` when the message is not ready.
    pub fn reclaim(&mut self, seq: u64) -> bool {
        let Some(message) = self.messages.get_mut(&seq) else {
            return false;
        };
        if message.state != MessageState::Ready {
            return false;
        }
        message.state = MessageState::InFlight;
        let key = message.group.clone();
        self.ready_count -= 1;
        self.in_flight_count += 1;
        let fifo = self.config.fifo;
        let group = self.groups.entry(key.clone()).or_default();
        group.ready.remove(&seq);
        group.enter_flight(seq, fifo);
        self.reschedule(&key);
        true
    }

    /// Sets the visibility deadline of an in-flight message (receive, ChangeMessageVisibility).
    pub fn set_invisible_until(&mut self, seq: u64, visible_at_millis: u64, now_millis: u64) {
        let Some(message) = self.messages.get_mut(&seq) else {
            return;
        };
        if message.state == MessageState::InFlight {
            self.timeline.remove(&(message.visible_at_millis, seq));
        }
        message.visible_at_millis = visible_at_millis;
        if message.state == MessageState::InFlight {
            self.timeline.insert((visible_at_millis, seq));
        }
        if visible_at_millis <= now_millis {
            self.promote_due(now_millis);
        }
    }

    /// Records a deduplication id; `None` when it is new, the original when it is a duplicate.
    pub fn check_dedup(&mut self, key: &str, now_millis: u64) -> Option<DedupEntry> {
        self.prune_dedup(now_millis);
        self.dedup.get(key).cloned()
    }

    pub fn record_dedup(&mut self, key: String, entry: DedupEntry) {
        self.dedup_order
            .push_back((entry.expires_millis, key.clone()));
        self.dedup.insert(key, entry);
    }

    /// Forgets every deduplication id and receive attempt (PurgeQueue); `true` if there were any ids.
    pub fn clear_dedup(&mut self) -> bool {
        self.dedup_order.clear();
        self.attempts.clear();
        let had_ids = !self.dedup.is_empty();
        self.dedup.clear();
        had_ids
    }

    /// Drops expired deduplication ids and receive attempts; returns the dropped dedup keys.
    pub fn prune_dedup(&mut self, now_millis: u64) -> Vec<String> {
        let mut dropped = Vec::new();
        while let Some((expires, _)) = self.dedup_order.front() {
            if *expires > now_millis {
                break;
            }
            if let Some((expires, key)) = self.dedup_order.pop_front() {
                if self
                    .dedup
                    .get(&key)
                    .is_some_and(|entry| entry.expires_millis == expires)
                {
                    self.dedup.remove(&key);
                    dropped.push(key);
                }
            }
        }
        self.attempts
            .retain(|_, attempt| attempt.expires_millis > now_millis);
        dropped
    }

    /// Every message key, for purge and delete.
    pub fn all_seqs(&self) -> Vec<u64> {
        self.messages.keys().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn budget() -> Arc<BodyBudget> {
        Arc::new(BodyBudget::new(usize::MAX))
    }

    fn message(seq: u64, group: Option<&str>, state: MessageState, visible_at: u64) -> Message {
        Message {
            seq,
            group: group.map(Arc::from),
            sent_millis: 1000,
            content: Some(Arc::new(MessageContent::new(
                crate::fixed::MessageId::random(),
                "b".into(),
                crate::md5::md5_hex(b"b"),
                1000,
                "s".into(),
                ContentExtra {
                    group_id: group.map(str::to_string),
                    ..ContentExtra::default()
                },
            ))),
            state,
            visible_at_millis: visible_at,
            receive_count: 0,
            first_receive_millis: 0,
            last_receive_millis: 0,
            receipt_nonce: 0,
        }
    }

    #[test]
    fn fifo_group_blocks_while_in_flight_and_keeps_order() {
        let mut state = QueueState::new(QueueConfig::defaults(true), 0, budget());
        for seq in 1..=3 {
            state.insert(message(seq, Some("g"), MessageState::Ready, 0));
        }
        state.insert(message(4, Some("h"), MessageState::Ready, 0));
        let first = state.take_ready(2);
        assert_eq!(first, vec![1, 2]);
        // group g is blocked: only h is served
        assert_eq!(state.take_ready(10), vec![4]);
        assert!(state.take_ready(10).is_empty());
        // visibility of 1 and 2 expires: they come back before 3
        state.set_invisible_until(1, 5, 0);
        state.set_invisible_until(2, 5, 0);
        state.promote_due(10);
        assert_eq!(state.take_ready(10), vec![1, 2, 3]);
        assert_eq!((state.ready_count, state.in_flight_count), (0, 4));
    }

    #[test]
    fn fifo_group_is_served_again_once_its_head_is_visible() {
        let mut state = QueueState::new(QueueConfig::defaults(true), 0, budget());
        for seq in 1..=3 {
            state.insert(message(seq, Some("g"), MessageState::Ready, 0));
        }
        assert_eq!(state.take_ready(2), vec![1, 2]);
        // 1 becomes visible while 2 is still in flight: 1 is served, 3 (behind 2) is not
        state.set_invisible_until(1, 0, 5);
        assert_eq!(state.take_ready(10), vec![1]);
        assert!(state.take_ready(10).is_empty());
        // the head in flight blocks the group even when a later message is visible again
        state.set_invisible_until(2, 0, 6);
        assert!(state.take_ready(10).is_empty());
    }

    #[test]
    fn fair_queue_serves_groups_round_robin() {
        let mut state = QueueState::new(QueueConfig::defaults(false), 0, budget());
        for seq in 1..=5 {
            state.insert(message(seq, Some("noisy"), MessageState::Ready, 0));
        }
        state.insert(message(6, Some("quiet"), MessageState::Ready, 0));
        let taken = state.take_ready(2);
        assert!(
            taken.contains(&6),
            "the quiet group is not starved: {taken:?}"
        );
    }

    #[test]
    fn content_beyond_the_budget_is_not_kept_in_memory() {
        let budget = Arc::new(BodyBudget::new(200));
        let mut state = QueueState::new(QueueConfig::defaults(false), 0, budget.clone());
        state.insert(message(1, None, MessageState::Ready, 0));
        state.insert(message(2, None, MessageState::Ready, 0));
        assert!(state.messages.get(&1).unwrap().content.is_some());
        assert!(state.messages.get(&2).unwrap().content.is_none());
        state.remove(1);
        assert_eq!(budget.used(), 0);
        state.insert(message(3, None, MessageState::Ready, 0));
        assert!(budget.used() > 0);
        drop(state);
        assert_eq!(budget.used(), 0, "a dropped queue releases its content");
    }

    #[test]
    fn delayed_messages_become_ready_on_time() {
        let mut state = QueueState::new(QueueConfig::defaults(false), 0, budget());
        state.insert(message(1, None, MessageState::Delayed, 500));
        assert!(state.take_ready(1).is_empty());
        state.promote_due(499);
        assert_eq!(state.delayed_count, 1);
        state.promote_due(500);
        assert_eq!(state.take_ready(1), vec![1]);
    }
}
