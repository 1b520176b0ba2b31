//! Start-up: rebuilds every stream's settings and each shard's position from the store, and finishes the
//! transitions a restart interrupted: a DELETING stream whose window is over is removed (records
//! included), an UPDATING stream whose window is over gets its pending change applied; unfinished ones
//! keep their deadline.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use parking_lot::RwLock;
use wharf_store::{Batch, Keyspace};

use crate::error::KinesisResult;
use crate::persist::{self, StreamRecord};
use crate::stream::{ConsumerState, Shard, Stream, StreamMeta};
use crate::{seq, Kinesis};

impl Kinesis {
    pub(crate) fn recover(&self) -> KinesisResult<()> {
        let mut last_id = self
            .store
            .get(Keyspace::Meta, persist::LAST_STREAM_ID_KEY)?
            .and_then(|v| String::from_utf8(v).ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        if let Some(settings) = self
            .store
            .get(Keyspace::Meta, persist::ACCOUNT_SETTINGS_KEY)?
            .and_then(|v| persist::parse(&v))
        {
            *self.account_settings.lock() = Some(settings);
        }
        let now = self.now();
        let mut finished = Batch::new();
        let mut deadlines = Vec::new();
        for (_, value) in self.store.scan_prefix(Keyspace::KinesisStreams, b"")? {
            let Some(record) = persist::parse::<StreamRecord>(&value) else {
                tracing::error!("skipping an unreadable kinesis stream record");
                continue;
            };
            last_id = last_id.max(record.id);
            if let Some(until) = record.deleting_until_millis {
                if now >= until {
                    persist::delete_stream(&mut finished, record.id, &record.name);
                    continue;
                }
                deadlines.push(until);
            }
            if record.pending.is_some() {
                deadlines.push(record.updating_until_millis);
            }
            let stream = Arc::new(self.recover_stream(record)?);
            if !stream.is_deleted() {
                self.by_id.write().insert(stream.id, stream.clone());
            }
            self.streams.write().insert(stream.name.clone(), stream);
        }
        *self.last_stream_id.lock() = last_id;
        crate::transitions::detach(self.submit(finished));
        // UPDATING windows that ended while the server was down.
        let streams: Vec<Arc<Stream>> = self.streams.read().values().cloned().collect();
        for stream in streams {
            crate::transitions::detach(self.settle(&stream));
        }
        for deadline in deadlines.into_iter().filter(|d| *d > now) {
            self.schedule_settle(deadline);
        }
        Ok(())
    }

    fn recover_stream(&self, record: StreamRecord) -> KinesisResult<Stream> {
        let mut shards = Vec::with_capacity(record.shards.len());
        for shard_record in &record.shards {
            let (Some(start), Some(end)) = (
                shard_record.hash_start.parse::<u128>().ok(),
                shard_record.hash_end.parse::<u128>().ok(),
            ) else {
                tracing::error!(stream = %record.name, shard = shard_record.index, "unreadable shard");
                continue;
            };
            let shard = Shard::new(
                shard_record.index,
                shard_record.parents.clone(),
                (start, end),
                shard_record.created_millis,
            );
            {
                let mut state = shard.state.lock();
                state.ending_seq = shard_record
                    .ending_seq
                    .as_deref()
                    .and_then(|s| s.parse::<u128>().ok());
                state.closed_millis = shard_record.closed_millis;
                // The shard's last record fixes where its sequence numbers continue.
                let last = self.store.scan_range(
                    Keyspace::KinesisRecords,
                    &persist::record_key(record.id, shard.index, 0),
                    &persist::shard_end_key(record.id, shard.index),
                    1,
                    true,
                )?;
                if let Some(last_seq) = last.first().and_then(|(k, _)| persist::seq_of_key(k)) {
                    if let Some(parts) = seq::decompose(last_seq) {
                        state.last_seq = last_seq;
                        state.visible_seq = last_seq;
                        state.last_time = state.last_time.max(parts.time_millis);
                        state.counter = parts.counter;
                    }
                }
                state.cached_from = state.last_seq + 1;
            }
            shards.push(Arc::new(shard));
        }
        shards.sort_by_key(|s| s.index);
        let mut meta = StreamMeta {
            stream_id_text: record.stream_id_text,
            created_millis: record.created_millis,
            ready_at_millis: record.ready_at_millis,
            updating_until_millis: record.updating_until_millis,
            pending: record.pending,
            deleting_until_millis: record.deleting_until_millis,
            mode: record.mode,
            retention_hours: record.retention_hours,
            tags: record.tags,
            encryption_key: record.encryption_key,
            shard_level_metrics: record
                .shard_level_metrics
                .into_iter()
                .collect::<BTreeSet<_>>(),
            max_record_size_kib: record.max_record_size_kib,
            warm_throughput_mibps: record.warm_throughput_mibps,
            auto_distribution: record.auto_distribution,
            shard_count_updates: record.shard_count_updates,
            next_shard_index: record.next_shard_index,
            shards,
            open: Vec::new(),
            consumers: record
                .consumers
                .into_iter()
                .map(|c| {
                    (
                        c.name.clone(),
                        ConsumerState {
                            name: c.name,
                            created_millis: c.created_millis,
                            tags: c.tags,
                            deleting_until_millis: c.deleting_until_millis,
                        },
                    )
                })
                .collect::<BTreeMap<_, _>>(),
            policies: record.policies,
        };
        meta.rebuild_open();
        let deleting = meta.deleting_until_millis.is_some();
        Ok(Stream {
            id: record.id,
            arn: self.stream_arn(&record.name),
            name: record.name,
            meta: RwLock::new(meta),
            deleted: AtomicBool::new(deleting),
        })
    }
}
