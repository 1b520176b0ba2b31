//! The end of a stream's transitions: an UPDATING stream's pending change takes effect when its window is
//! over, a DELETING stream leaves the store when its window is over, and so does a deregistered (DELETING)
//! consumer.
//!
//! A control-plane change that AWS applies asynchronously (SplitShard, MergeShards, UpdateShardCount,
//! UpdateStreamMode, retention, encryption, maximum record size, enhanced monitoring) is validated at once,
//! then stored as the stream's [`PendingChange`] together with the end of the UPDATING window, in the same
//! durable write that answers the request. Until the window ends the stream keeps its shards and settings:
//! records go to the old (still open) shards, reads see the old settings. The change is applied by
//! [`Kinesis::settle`], which runs on the first of: any request that looks the stream up, a timer started
//! with the change, the maintenance pass, or start-up recovery.
//!
//! Applying a change is deterministic: it uses the end of the window as its time (a parent's ending
//! sequence number and its children's starting ones derive from it and from the parent's last record), so
//! recovery re-applying a change whose settled state had not reached the disk yet reaches the same state
//! that was shown. The settled state is submitted before anything that depends on it (later writes to the
//! new shards are submitted after it, and the store applies batches in submission order).

use std::sync::Arc;
use std::time::Duration;

use wharf_store::{Batch, Commit};

use crate::ops::shards::{merge_open_shards, reshard_uniformly, split_open_shard};
use crate::persist::{self, PendingChange};
use crate::stream::{Stream, StreamMeta};
use crate::{hash, Kinesis};

/// Lets a submitted commit finish on its own: with a runtime, a task awaits it and logs a failure;
/// without one (synchronous start-up), the batch is still applied, only the notification is dropped.
pub(crate) fn detach(commit: Option<Commit>) {
    let Some(commit) = commit else {
        return;
    };
    match tokio::runtime::Handle::try_current() {
        Ok(runtime) => {
            runtime.spawn(async move {
                if let Err(error) = commit.await {
                    tracing::warn!(%error, "persisting a finished kinesis stream transition failed");
                }
            });
        }
        Err(_) => drop(commit),
    }
}

impl Kinesis {
    /// Starts an UPDATING window for `change` (call with the stream's meta write-locked, after validating
    /// the change against the ACTIVE stream), or applies it at once when transitions are instant. Returns
    /// the commit persisting it, to await once the lock is released.
    pub(crate) fn begin_update(
        &self,
        stream: &Stream,
        meta: &mut StreamMeta,
        change: PendingChange,
        now: u64,
    ) -> Option<Commit> {
        let delay = self.config.transition_delay_millis;
        if delay == 0 {
            self.apply_change(stream, meta, change, now);
        } else {
            meta.pending = Some(change);
            meta.updating_until_millis = now + delay;
            self.schedule_settle(now + delay);
        }
        self.persist_meta(stream, meta)
    }

    /// Applies the stream's pending change if its UPDATING window is over; returns the commit of the new
    /// state (which callers may [`detach`]: see the module documentation).
    pub(crate) fn settle(&self, stream: &Stream) -> Option<Commit> {
        let now = self.now();
        let due = |meta: &StreamMeta| {
            (meta.pending.is_some() && now >= meta.updating_until_millis)
                || meta.consumers.values().any(|c| c.gone_by(now))
        };
        if !due(&stream.meta.read()) {
            return None;
        }
        let mut meta = stream.meta.write();
        if stream.is_deleted() || !due(&meta) {
            return None;
        }
        // Deregistered consumers whose DELETING window is over are gone.
        meta.consumers.retain(|_, c| !c.gone_by(now));
        if now >= meta.updating_until_millis {
            if let Some(change) = meta.pending.take() {
                let at = meta.updating_until_millis;
                self.apply_change(stream, &mut meta, change, at);
            }
        }
        self.persist_meta(stream, &meta)
    }

    /// Settles every stream whose window is over: deletions finish, pending changes apply.
    pub(crate) fn settle_all(&self) {
        self.sweep_deleted();
        let streams: Vec<Arc<Stream>> = self.streams.read().values().cloned().collect();
        for stream in streams {
            detach(self.settle(&stream));
        }
    }

    /// Settles transitions at `at_millis` (on this service's clock), if a runtime is there to run a timer.
    pub(crate) fn schedule_settle(&self, at_millis: u64) {
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let delay = Duration::from_millis(at_millis.saturating_sub(self.now()));
        let me = self.me.clone();
        runtime.spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(kinesis) = me.upgrade() {
                kinesis.settle_all();
            }
        });
    }

    /// Removes the streams whose DELETING window is over, from the registry and (records included) from
    /// the store. The deletion is submitted while the registry is write-locked, so it is ordered before a
    /// CreateStream that reuses the name.
    pub(crate) fn sweep_deleted(&self) {
        let now = self.now();
        let due = |stream: &Arc<Stream>| {
            stream
                .meta
                .read()
                .deleting_until_millis
                .is_some_and(|until| now >= until)
        };
        if !self.streams.read().values().any(due) {
            return;
        }
        let mut streams = self.streams.write();
        let gone: Vec<String> = streams
            .iter()
            .filter(|(_, stream)| due(stream))
            .map(|(name, _)| name.clone())
            .collect();
        let mut batch = Batch::new();
        for name in gone {
            if let Some(stream) = streams.remove(&name) {
                persist::delete_stream(&mut batch, stream.id, &stream.name);
            }
        }
        detach(self.submit(batch));
    }

    /// Applies `change` as of time `at` (call with the meta write-locked).
    pub(crate) fn apply_change(
        &self,
        stream: &Stream,
        meta: &mut StreamMeta,
        change: PendingChange,
        at: u64,
    ) {
        match change {
            PendingChange::Split { shard, new_start } => {
                let parent = meta.shard(shard).cloned();
                let key = hash::parse(&new_start);
                match (parent, key) {
                    (Some(parent), Some(key))
                        if !parent.is_closed()
                            && key > parent.hash_start.saturating_add(1)
                            && key < parent.hash_end =>
                    {
                        split_open_shard(meta, &parent, key, at);
                        meta.rebuild_open();
                    }
                    _ => {
                        tracing::error!(stream = %stream.name, shard, "pending split no longer applies")
                    }
                }
            }
            PendingChange::Merge { first, second } => {
                let (Some(a), Some(b)) = (meta.shard(first).cloned(), meta.shard(second).cloned())
                else {
                    tracing::error!(stream = %stream.name, first, second, "pending merge no longer applies");
                    return;
                };
                let (low, high) = if a.hash_start < b.hash_start {
                    (&a, &b)
                } else {
                    (&b, &a)
                };
                if a.is_closed()
                    || b.is_closed()
                    || low.hash_end.checked_add(1) != Some(high.hash_start)
                {
                    tracing::error!(stream = %stream.name, first, second, "pending merge no longer applies");
                    return;
                }
                merge_open_shards(meta, &a, &b, at);
                meta.rebuild_open();
            }
            PendingChange::ShardCount { target } => {
                if target > 0 && target as usize != meta.open.len() {
                    reshard_uniformly(meta, target, at);
                }
            }
            PendingChange::Mode {
                mode,
                warm_throughput_mibps,
            } => {
                meta.mode = mode;
                if warm_throughput_mibps.is_some() {
                    meta.warm_throughput_mibps = warm_throughput_mibps;
                }
            }
            PendingChange::Retention { hours } => meta.retention_hours = hours,
            PendingChange::Encryption { key_id } => meta.encryption_key = key_id,
            PendingChange::MaxRecordSize { kib } => meta.max_record_size_kib = kib,
            PendingChange::Monitoring { metrics } => {
                meta.shard_level_metrics = metrics.into_iter().collect();
            }
            PendingChange::WarmThroughput { mibps } => meta.warm_throughput_mibps = Some(mibps),
        }
    }
}
