//! Stream and account settings: retention, encryption, enhanced monitoring, capacity mode, maximum record
//! size, warm throughput, account settings and resource policies; plus retention enforcement.

use std::sync::Arc;

use wharf_store::{Batch, Keyspace};

use super::{check_stream_arn, check_stream_ref, require_resource_arn, require_stream_arn};
use crate::error::{KinesisError, KinesisResult, Validation};
use crate::model::*;
use crate::persist::PendingChange;
use crate::stream::{Stream, DISTRIBUTION_AUTO, STATUS_ACTIVE};
use crate::throttle::api;
use crate::{await_commit, limits, persist, seq, Kinesis};

const METRICS: &[&str] = &[
    "IncomingBytes",
    "IncomingRecords",
    "OutgoingBytes",
    "OutgoingRecords",
    "WriteProvisionedThroughputExceeded",
    "ReadProvisionedThroughputExceeded",
    "IteratorAgeMilliseconds",
    "ALL",
];

impl Kinesis {
    pub async fn increase_stream_retention_period(
        &self,
        input: RetentionInput,
    ) -> KinesisResult<Empty> {
        self.change_retention(input, true).await
    }

    pub async fn decrease_stream_retention_period(
        &self,
        input: RetentionInput,
    ) -> KinesisResult<Empty> {
        self.change_retention(input, false).await
    }

    async fn change_retention(
        &self,
        input: RetentionInput,
        increase: bool,
    ) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        v.required(&input.retention_period_hours, "retentionPeriodHours");
        v.finish()?;
        let hours = input.retention_period_hours.unwrap_or_default();
        if hours < limits::MIN_RETENTION_HOURS {
            return Err(KinesisError::invalid_argument(format!(
                "Minimum allowed retention period is {} hours. Requested retention period ({hours} hours) \
                 is too short.",
                limits::MIN_RETENTION_HOURS
            )));
        }
        if hours > limits::MAX_RETENTION_HOURS {
            return Err(KinesisError::invalid_argument(format!(
                "Maximum allowed retention period is {} hours. Requested retention period ({hours} hours) \
                 is too long.",
                limits::MAX_RETENTION_HOURS
            )));
        }
        let stream = self.active_stream(&input.stream)?;
        let commit = {
            let mut meta = stream.meta.write();
            let status = meta.status(self.now());
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let current = i64::from(meta.retention_hours);
            if increase && hours < current {
                return Err(KinesisError::invalid_argument(format!(
                    "Requested retention period ({hours} hours) for stream {} can not be shorter than \
                     existing retention period ({current} hours). Use DecreaseRetentionPeriod API.",
                    stream.name
                )));
            }
            if !increase && hours > current {
                return Err(KinesisError::invalid_argument(format!(
                    "Requested retention period ({hours} hours) for stream {} can not be longer than \
                     existing retention period ({current} hours). Use IncreaseRetentionPeriod API.",
                    stream.name
                )));
            }
            let now = self.now();
            let change = PendingChange::Retention {
                hours: hours as u32,
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn start_stream_encryption(&self, input: EncryptionInput) -> KinesisResult<Empty> {
        self.change_encryption(input, true).await
    }

    pub async fn stop_stream_encryption(&self, input: EncryptionInput) -> KinesisResult<Empty> {
        self.change_encryption(input, false).await
    }

    async fn change_encryption(&self, input: EncryptionInput, start: bool) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(kind) = v.required(&input.encryption_type, "encryptionType") {
            v.one_of(kind, "encryptionType", &["NONE", "KMS"]);
        }
        if let Some(key) = v.required(&input.key_id, "keyId") {
            v.length(key, "keyId", 1, 2048);
        }
        v.finish()?;
        if input.encryption_type.as_deref() != Some("KMS") {
            return Err(KinesisError::invalid_argument(
                "Only KMS encryption type is supported.",
            ));
        }
        let stream = self.active_stream(&input.stream)?;
        let commit = {
            let mut meta = stream.meta.write();
            let now = self.now();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let change = PendingChange::Encryption {
                key_id: start.then(|| input.key_id.clone().unwrap_or_default()),
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn enable_enhanced_monitoring(
        &self,
        input: MonitoringInput,
    ) -> KinesisResult<EnhancedMonitoringOutput> {
        self.change_monitoring(input, true).await
    }

    pub async fn disable_enhanced_monitoring(
        &self,
        input: MonitoringInput,
    ) -> KinesisResult<EnhancedMonitoringOutput> {
        self.change_monitoring(input, false).await
    }

    async fn change_monitoring(
        &self,
        input: MonitoringInput,
        enable: bool,
    ) -> KinesisResult<EnhancedMonitoringOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(metrics) = v.required(&input.shard_level_metrics, "shardLevelMetrics") {
            v.count(metrics.len(), "shardLevelMetrics", 1, 7, "'[...]'");
            for (i, metric) in metrics.iter().enumerate() {
                v.one_of(
                    metric,
                    &format!("shardLevelMetrics.{}.member", i + 1),
                    METRICS,
                );
            }
        }
        v.finish()?;
        let stream = self.active_stream(&input.stream)?;
        let requested = input.shard_level_metrics.unwrap_or_default();
        let expanded: Vec<String> = if requested.iter().any(|m| m == "ALL") {
            METRICS
                .iter()
                .filter(|m| **m != "ALL")
                .map(|m| m.to_string())
                .collect()
        } else {
            requested
        };
        // The response shows the metrics before and after; the change itself is applied when the
        // stream's UPDATING window ends.
        let (current, desired, commit) = {
            let mut meta = stream.meta.write();
            let now = self.now();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let current: Vec<String> = meta.shard_level_metrics.iter().cloned().collect();
            let mut desired_set = meta.shard_level_metrics.clone();
            for metric in expanded {
                if enable {
                    desired_set.insert(metric);
                } else {
                    desired_set.remove(&metric);
                }
            }
            let desired: Vec<String> = desired_set.into_iter().collect();
            let change = PendingChange::Monitoring {
                metrics: desired.clone(),
            };
            (
                current,
                desired,
                self.begin_update(&stream, &mut meta, change, now),
            )
        };
        await_commit(commit).await?;
        Ok(EnhancedMonitoringOutput {
            stream_name: stream.name.clone(),
            current_shard_level_metrics: current,
            desired_shard_level_metrics: desired,
            stream_arn: stream.arn.clone(),
        })
    }

    pub async fn update_stream_mode(&self, input: UpdateStreamModeInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_stream_arn(&mut v, &input.stream_arn);
        if let Some(details) = v.required(&input.stream_mode_details, "streamModeDetails") {
            if let Some(mode) = v.required(&details.stream_mode, "streamModeDetails.streamMode") {
                v.one_of(mode, "streamModeDetails.streamMode", super::streams::MODES);
            }
        }
        if let Some(warm) = input.warm_throughput_mi_bps {
            v.range(warm, "warmThroughputMiBps", Some(0), None);
        }
        v.finish()?;
        let reference = StreamRef {
            stream_arn: input.stream_arn.clone(),
            ..Default::default()
        };
        let stream = self.active_stream(&reference)?;
        let mode = input
            .stream_mode_details
            .and_then(|d| d.stream_mode)
            .unwrap_or_default();
        let commit = {
            let mut meta = stream.meta.write();
            if meta.mode == mode {
                return Err(KinesisError::invalid_argument(format!(
                    "Stream {} under account {} is already in {mode} mode.",
                    stream.name, self.config.account_id
                )));
            }
            let now = self.now();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let change = PendingChange::Mode {
                mode,
                warm_throughput_mibps: input.warm_throughput_mi_bps,
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn update_max_record_size(
        &self,
        input: UpdateMaxRecordSizeInput,
    ) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        if let Some(arn) = &input.stream_arn {
            check_stream_arn(&mut v, arn, "streamARN");
        }
        if let Some(size) = v.required(&input.max_record_size_in_kib, "maxRecordSizeInKiB") {
            v.range(
                *size,
                "maxRecordSizeInKiB",
                Some(limits::MIN_MAX_RECORD_SIZE_KIB),
                Some(limits::MAX_MAX_RECORD_SIZE_KIB),
            );
        }
        v.finish()?;
        let reference = StreamRef {
            stream_arn: input.stream_arn.clone(),
            ..Default::default()
        };
        let stream = self.active_stream(&reference)?;
        let commit = {
            let mut meta = stream.meta.write();
            let now = self.now();
            let status = meta.status(now);
            if status != "ACTIVE" {
                return Err(self.not_active(&stream.name, status));
            }
            let change = PendingChange::MaxRecordSize {
                kib: input.max_record_size_in_kib.unwrap_or_default() as u32,
            };
            self.begin_update(&stream, &mut meta, change, now)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    /// Switches between `AUTO` and `USER_PARTITION_KEY` at once (no UPDATING window): "the change takes
    /// effect immediately"; `AUTO` needs an on-demand stream.
    pub async fn update_stream_record_distribution_strategy(
        &self,
        input: UpdateStreamRecordDistributionStrategyInput,
    ) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_stream_arn(&mut v, &input.stream_arn);
        if let Some(strategy) = v.required(
            &input.record_distribution_strategy,
            "recordDistributionStrategy",
        ) {
            v.one_of(
                strategy,
                "recordDistributionStrategy",
                super::streams::DISTRIBUTION_STRATEGIES,
            );
        }
        v.finish()?;
        let reference = StreamRef {
            stream_arn: input.stream_arn.clone(),
            ..Default::default()
        };
        let stream = self.active_stream(&reference)?;
        let auto = input.record_distribution_strategy.as_deref() == Some(DISTRIBUTION_AUTO);
        let commit = {
            let mut meta = stream.meta.write();
            let status = meta.status(self.now());
            if status != STATUS_ACTIVE {
                return Err(self.not_active(&stream.name, status));
            }
            if auto && meta.mode != "ON_DEMAND" {
                return Err(KinesisError::invalid_argument(format!(
                    "The AUTO record distribution strategy is only supported for ON_DEMAND streams; stream \
                     {} under account {} is in {} mode.",
                    stream.name, self.config.account_id, meta.mode
                )));
            }
            if meta.auto_distribution == auto {
                None
            } else {
                meta.auto_distribution = auto;
                self.persist_meta(&stream, &meta)
            }
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn update_stream_warm_throughput(
        &self,
        input: UpdateStreamWarmThroughputInput,
    ) -> KinesisResult<UpdateStreamWarmThroughputOutput> {
        let mut v = Validation::new();
        check_stream_ref(&mut v, &input.stream);
        if let Some(warm) = v.required(&input.warm_throughput_mi_bps, "warmThroughputMiBps") {
            v.range(*warm, "warmThroughputMiBps", Some(0), None);
        }
        v.finish()?;
        self.rate_limit_ref(api::UPDATE_STREAM_WARM_THROUGHPUT, &input.stream)?;
        let stream = self.active_stream(&input.stream)?;
        let target = input.warm_throughput_mi_bps.unwrap_or_default();
        // "Updating the warm throughput is an asynchronous operation ... sets the status of the stream to
        // UPDATING. After the update is complete, Kinesis Data Streams sets the status of the stream back
        // to ACTIVE" (API reference): the stream scales towards the target meanwhile.
        let (commit, current) = {
            let mut meta = stream.meta.write();
            let now = self.now();
            let status = meta.status(now);
            if status != STATUS_ACTIVE {
                return Err(self.not_active(&stream.name, status));
            }
            if meta.mode != "ON_DEMAND" {
                return Err(KinesisError::invalid_argument(format!(
                    "Warm throughput is only supported for ON_DEMAND streams; stream {} under account {} \
                     is in {} mode.",
                    stream.name, self.config.account_id, meta.mode
                )));
            }
            let change = PendingChange::WarmThroughput { mibps: target };
            let commit = self.begin_update(&stream, &mut meta, change, now);
            (commit, meta.warm_throughput_mibps)
        };
        await_commit(commit).await?;
        Ok(UpdateStreamWarmThroughputOutput {
            stream_arn: stream.arn.clone(),
            stream_name: stream.name.clone(),
            warm_throughput: WarmThroughputObject {
                target_mi_bps: Some(target),
                current_mi_bps: current,
            },
        })
    }

    pub fn describe_account_settings(&self, _input: Empty) -> KinesisResult<AccountSettingsOutput> {
        self.rate_limit(api::DESCRIBE_ACCOUNT_SETTINGS, None)?;
        Ok(AccountSettingsOutput {
            minimum_throughput_billing_commitment: self.account_settings.lock().clone(),
        })
    }

    pub async fn update_account_settings(
        &self,
        input: UpdateAccountSettingsInput,
    ) -> KinesisResult<AccountSettingsOutput> {
        let mut v = Validation::new();
        let commitment = v
            .required(
                &input.minimum_throughput_billing_commitment,
                "minimumThroughputBillingCommitment",
            )
            .cloned();
        if let Some(commitment) = &commitment {
            if let Some(status) = v.required(
                &commitment.status,
                "minimumThroughputBillingCommitment.status",
            ) {
                v.one_of(
                    status,
                    "minimumThroughputBillingCommitment.status",
                    &["ENABLED", "DISABLED"],
                );
            }
        }
        v.finish()?;
        self.rate_limit(api::UPDATE_ACCOUNT_SETTINGS, None)?;
        let status = commitment.and_then(|c| c.status).unwrap_or_default();
        let now = self.now();
        let (settings, commit) = {
            let mut current = self.account_settings.lock();
            let settings = if status == "ENABLED" {
                MinimumThroughputBillingCommitmentOutput {
                    status: "ENABLED".into(),
                    started_at: Some(Timestamp(now)),
                    ended_at: None,
                    earliest_allowed_end_at: Some(Timestamp(now + 24 * 3_600_000)),
                }
            } else {
                let previous = current.clone().unwrap_or_default();
                MinimumThroughputBillingCommitmentOutput {
                    status: "DISABLED".into(),
                    started_at: previous.started_at,
                    ended_at: previous.started_at.map(|_| Timestamp(now)),
                    earliest_allowed_end_at: None,
                }
            };
            *current = Some(settings.clone());
            let mut batch = Batch::new();
            batch.put(
                Keyspace::Meta,
                persist::ACCOUNT_SETTINGS_KEY.to_vec(),
                serde_json::to_vec(&settings).unwrap_or_default(),
            );
            (settings, self.submit(batch))
        };
        await_commit(commit).await?;
        Ok(AccountSettingsOutput {
            minimum_throughput_billing_commitment: Some(settings),
        })
    }

    /// The stream an ARN (of a stream or of one of its consumers) belongs to.
    pub(crate) fn stream_of_resource(&self, arn: &str) -> KinesisResult<Arc<Stream>> {
        let name = self
            .name_from_arn(arn)
            .ok_or_else(|| KinesisError::not_found(format!("Resource {arn} not found.")))?;
        let stream = self.lookup(&name)?;
        if stream.is_deleted() {
            return Err(self.not_found(&name));
        }
        if arn.contains("/consumer/") && self.consumer_by_arn(&stream, arn).is_none() {
            return Err(KinesisError::not_found(format!(
                "Consumer {arn} under account {} not found.",
                self.config.account_id
            )));
        }
        Ok(stream)
    }

    pub async fn put_resource_policy(&self, input: ResourcePolicyInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        v.required(&input.policy, "policy");
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        let policy = input.policy.unwrap_or_default();
        if serde_json::from_str::<serde_json::Value>(&policy)
            .map(|p| !p.is_object())
            .unwrap_or(true)
        {
            return Err(KinesisError::invalid_argument(
                "The policy is not a valid JSON document.",
            ));
        }
        let stream = self.stream_of_resource(&arn)?;
        let commit = {
            let mut meta = stream.meta.write();
            meta.policies.insert(arn, policy);
            self.persist_meta(&stream, &meta)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub fn get_resource_policy(
        &self,
        input: ResourcePolicyInput,
    ) -> KinesisResult<GetResourcePolicyOutput> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        let stream = self.stream_of_resource(&arn)?;
        let policy = stream
            .meta
            .read()
            .policies
            .get(&arn)
            .cloned()
            .unwrap_or_else(|| "{}".into());
        Ok(GetResourcePolicyOutput { policy })
    }

    pub async fn delete_resource_policy(&self, input: ResourcePolicyInput) -> KinesisResult<Empty> {
        let mut v = Validation::new();
        require_resource_arn(&mut v, &input.resource_arn);
        v.finish()?;
        let arn = input.resource_arn.unwrap_or_default();
        let stream = self.stream_of_resource(&arn)?;
        let commit = {
            let mut meta = stream.meta.write();
            if meta.policies.remove(&arn).is_none() {
                return Err(KinesisError::not_found(format!(
                    "No resource policy found for resource ARN {arn}."
                )));
            }
            self.persist_meta(&stream, &meta)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    /// One maintenance pass: removes records past retention (and closed shards whose records have all
    /// expired) and forgets streams whose deletion finished. A shard's expired records go as one store
    /// range deletion. Returns the number of shards whose expired records were removed.
    pub async fn enforce_retention(&self) -> KinesisResult<usize> {
        // Finished transitions first (a retention change takes effect when its UPDATING window ends).
        self.settle_all();
        let now = self.now();
        let streams: Vec<Arc<Stream>> = self.streams.read().values().cloned().collect();
        let mut removed = 0;
        for stream in streams {
            if stream.is_deleted() {
                continue;
            }
            let (shards, retention) = {
                let meta = stream.meta.read();
                (meta.shards.clone(), meta.retention_millis())
            };
            let cutoff_time = now.saturating_sub(retention);
            for shard in &shards {
                let cutoff = seq::compose(cutoff_time, shard.index, 0);
                let from = shard.state.lock().trimmed_below;
                if from >= cutoff {
                    continue;
                }
                // One key tells whether anything expired (the store skips deleted ranges unread).
                let store = self.store.clone();
                let (stream_id, index) = (stream.id, shard.index);
                let first = tokio::task::spawn_blocking(move || {
                    store.scan_range(
                        Keyspace::KinesisRecords,
                        &persist::record_key(stream_id, index, from),
                        &persist::record_key(stream_id, index, cutoff),
                        1,
                        false,
                    )
                })
                .await
                .map_err(|_| KinesisError::internal("Internal service failure."))??;
                let mut batch = Batch::new();
                if let Some(oldest) = first.first().and_then(|(k, _)| persist::seq_of_key(k)) {
                    persist::trim_shard(&mut batch, stream_id, index, oldest, cutoff);
                    removed += 1;
                }
                let commit = {
                    let mut state = shard.state.lock();
                    while state.tail.front().is_some_and(|r| r.seq < cutoff) {
                        if let Some(front) = state.tail.pop_front() {
                            state.tail_bytes -= front.size();
                        }
                    }
                    state.trimmed_below = state.trimmed_below.max(cutoff);
                    self.submit(batch)
                };
                await_commit(commit).await?;
            }
            // Closed shards whose every record is past retention are no longer listed.
            let commit = {
                let mut meta = stream.meta.write();
                let before = meta.shards.len();
                meta.shards.retain(|s| {
                    let state = s.state.lock();
                    state
                        .closed_millis
                        .is_none_or(|closed| closed >= cutoff_time)
                });
                (meta.shards.len() != before).then(|| self.persist_meta(&stream, &meta))
            };
            if let Some(commit) = commit {
                await_commit(commit).await?;
            }
        }
        Ok(removed)
    }

    /// Runs [`Kinesis::enforce_retention`] (which first settles finished stream transitions) and
    /// [`Kinesis::autoscale_on_demand`] every `interval`, the first time at once, until the returned task
    /// is aborted. The binary spawns this once after [`Kinesis::open`].
    pub fn spawn_maintenance(
        self: &Arc<Self>,
        interval: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let kinesis = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let Some(kinesis) = kinesis.upgrade() else {
                    return;
                };
                if let Err(error) = kinesis.enforce_retention().await {
                    tracing::warn!(%error, "kinesis retention pass failed");
                }
                if let Err(error) = kinesis.autoscale_on_demand().await {
                    tracing::warn!(%error, "kinesis on-demand scaling pass failed");
                }
            }
        })
    }
}
