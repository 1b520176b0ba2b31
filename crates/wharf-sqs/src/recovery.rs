//! Start-up: rebuilds every queue's in-memory state from the store.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::Notify;
use wharf_store::Keyspace;

use crate::attributes::QueueConfig;
use crate::error::SqsResult;
use crate::persist::{self, DedupRecord, QueueRecord, StateRecord};
use crate::queue::{DedupEntry, QueueState};
use crate::record;
use crate::{Queue, Sqs};

impl Sqs {
    pub(crate) fn recover(&self) -> SqsResult<()> {
        let now = self.now();
        for (key, value) in self.store.scan_prefix(Keyspace::Meta, b"sqs-deleted/")? {
            let name = String::from_utf8_lossy(&key["sqs-deleted/".len()..]).to_string();
            if let Some(at) = std::str::from_utf8(&value)
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
            {
                self.deleted_recently.lock().insert(name, at);
            }
        }
        let mut last_id = 0;
        for (_, value) in self.store.scan_prefix(Keyspace::SqsQueues, b"")? {
            let Some(record) = persist::parse::<QueueRecord>(&value) else {
                tracing::error!("skipping an unreadable queue record");
                continue;
            };
            last_id = last_id.max(record.id);
            let queue = self.recover_queue(record, now)?;
            self.queues
                .write()
                .insert(queue.name.clone(), Arc::new(queue));
        }
        *self.last_queue_id.lock() = last_id;
        Ok(())
    }

    fn recover_queue(&self, record: QueueRecord, now: u64) -> SqsResult<Queue> {
        let fifo = record.name.ends_with(".fifo");
        let mut config = QueueConfig::defaults(fifo);
        let mut attributes = record.attributes.clone();
        attributes.remove("FifoQueue");
        if let Err(error) = config.restore(&attributes) {
            tracing::error!(queue = %record.name, %error, "stored attributes no longer valid; using defaults");
        }
        let mut state = QueueState::new(config, record.created_millis, self.budget.clone());
        state.tags = record.tags;
        state.last_modified_millis = record.last_modified_millis;
        state.last_purge_millis = record.last_purge_millis;
        let prefix = persist::queue_prefix(record.id);
        // Index entries of messages something happened to since their send; the others' come from
        // the header of their content record (the content itself is loaded when received).
        let mut entries: Vec<(u64, StateRecord)> = Vec::new();
        let mut unreadable = 0usize;
        self.store
            .visit_prefix(Keyspace::SqsState, &prefix, &mut |key, value| match (
                persist::seq_of_key(key),
                record::decode_state(value),
            ) {
                (Some(seq), Some(entry)) => entries.push((seq, entry)),
                _ => unreadable += 1,
            })?;
        // Both keyspaces are in sequence order: one pass over the content records merges them.
        let mut entries = entries.into_iter().peekable();
        let mut orphans = 0usize;
        self.store
            .visit_prefix(Keyspace::SqsMessages, &prefix, &mut |key, value| {
                let Some(seq) = persist::seq_of_key(key) else {
                    unreadable += 1;
                    return;
                };
                while entries.next_if(|(s, _)| *s < seq).is_some() {
                    orphans += 1;
                }
                let entry = match entries.next_if(|(s, _)| *s == seq) {
                    Some((_, entry)) => Some(entry),
                    None => record::decode_initial_state(value),
                };
                match entry {
                    Some(entry) => state.insert(persist::recover_message(seq, entry, now)),
                    None => unreadable += 1,
                }
            })?;
        orphans += entries.count();
        if orphans > 0 {
            tracing::warn!(queue = %record.name, orphans, "skipped index entries without a message");
        }
        if unreadable > 0 {
            tracing::error!(queue = %record.name, unreadable, "skipped unreadable message index entries");
        }
        for (key, value) in self.store.scan_prefix(Keyspace::SqsDedup, &prefix)? {
            let (Some(dedup_key), Some(entry)) = (
                persist::dedup_key_of(&key),
                persist::parse::<DedupRecord>(&value),
            ) else {
                continue;
            };
            state.record_dedup(
                dedup_key,
                DedupEntry {
                    expires_millis: entry.expires_millis,
                    message_id: entry.message_id,
                    sequence_number: entry.sequence_number,
                },
            );
        }
        state.last_seq = state.last_seq.max(now << 16);
        Ok(Queue {
            id: record.id,
            arn: self.arn_of(&record.name),
            url: self.url_of(&record.name),
            fifo,
            name: record.name,
            state: Mutex::new(state),
            notify: Notify::new(),
            deleted: AtomicBool::new(false),
        })
    }
}
