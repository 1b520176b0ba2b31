//! Message archiving and replay for FIFO topics.
//!
//! While a FIFO topic's `ArchivePolicy` sets a `MessageRetentionPeriod`, every message it accepts is kept
//! in the store (in the same batch as its dedup entry) under `archive/<topic>\0<publish time, 8 B BE>
//! <sequence number, 8 B BE>`, so that a scan returns the archive in publish order. Messages older than the
//! retention period are deleted (one range deletion at a publish, at most once a minute per topic) and
//! skipped by replays; `{}` or deleting the topic deletes the whole archive.
//!
//! A subscription's `ReplayPolicy` (`{"PointType":"Timestamp","StartingPoint":..,"EndingPoint":..}`)
//! starts a replay: the archived messages published in the window (up to the moment the replay was asked
//! for when there is no `EndingPoint`; later ones reach the subscription anyway) go through the normal
//! fan-out to that one subscription, filter policy included, with their original `MessageId`, `Timestamp`
//! and sequence number and `"Replayed" : true` in the envelope. The replay's state (`ReplayStatus`: Pending,
//! In progress, Completed, Failed) and a cursor (the last key delivered) are kept under
//! `replay/<subscription ARN>`; after a restart an unfinished replay resumes after its cursor. A new
//! `ReplayPolicy` supersedes a running replay; an empty one stops it.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use wharf_store::{Batch, Keyspace};

use crate::error::{SnsError, SnsResult};
use crate::model::{Attributes, MessageAttributes};
use crate::ops::publish::{Outgoing, Published};
use crate::persist::{self, FORMAT_VERSION};
use crate::{await_commit, Sns};

pub const DAY_MILLIS: u64 = 24 * 60 * 60 * 1000;
/// Archived messages read (and delivered) per store scan of a replay.
const REPLAY_PAGE: usize = 64;

pub const STATUS_PENDING: &str = "Pending";
pub const STATUS_IN_PROGRESS: &str = "In progress";
pub const STATUS_COMPLETED: &str = "Completed";
pub const STATUS_FAILED: &str = "Failed";

/// One archived message: what a replay needs to deliver it again as it was.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ArchivedMessage {
    pub v: u32,
    pub message_id: String,
    pub message: String,
    pub subject: Option<String>,
    /// Published with `MessageStructure=json` (`message` is then the JSON structure).
    pub structure: bool,
    pub attributes: MessageAttributes,
    pub group_id: Option<String>,
    pub dedup_id: Option<String>,
    pub sequence_number: Option<String>,
    pub timestamp_millis: u64,
}

/// A subscription's replay: its window, progress and status.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReplayRecord {
    pub v: u32,
    pub subscription_arn: String,
    pub topic_name: String,
    /// Distinguishes this replay from the one it superseded (a running task stops when it changes).
    pub generation: u64,
    pub start_millis: u64,
    /// Inclusive.
    pub end_millis: u64,
    pub status: String,
    /// The key of the last archived message handled.
    pub cursor: Option<Vec<u8>>,
}

impl ReplayRecord {
    fn runnable(&self) -> bool {
        self.status == STATUS_PENDING || self.status == STATUS_IN_PROGRESS
    }
}

pub(crate) fn archive_prefix(topic: &str) -> Vec<u8> {
    format!("archive/{topic}\u{0}").into_bytes()
}

pub(crate) fn archive_key(topic: &str, timestamp_millis: u64, seq: u64) -> Vec<u8> {
    let mut key = archive_prefix(topic);
    key.extend_from_slice(&timestamp_millis.to_be_bytes());
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

pub(crate) fn replay_key(subscription_arn: &str) -> Vec<u8> {
    format!("replay/{subscription_arn}").into_bytes()
}

pub(crate) const REPLAY_PREFIX: &[u8] = b"replay/";

/// The retention period, in days, of a topic whose attributes turn archiving on.
pub(crate) fn retention_days(attributes: &Attributes) -> Option<u64> {
    let policy: Value = serde_json::from_str(attributes.get("ArchivePolicy")?).ok()?;
    let period = policy.get("MessageRetentionPeriod")?;
    period
        .as_u64()
        .or_else(|| period.as_str().and_then(|s| s.trim().parse().ok()))
}

/// The oldest publish time still in an archive kept `days` days, at `now`.
pub(crate) fn retention_floor(now: u64, days: u64) -> u64 {
    now.saturating_sub(days.saturating_mul(DAY_MILLIS))
}

/// Deletes, in `batch`, the messages of `topic`'s archive published before the retention floor.
pub(crate) fn expire_archive(batch: &mut Batch, topic: &str, now: u64, days: u64) {
    batch.delete_range(
        Keyspace::SnsMeta,
        archive_prefix(topic),
        archive_key(topic, retention_floor(now, days), 0),
    );
}

pub(crate) fn delete_archive(batch: &mut Batch, topic: &str) {
    batch.delete_prefix(Keyspace::SnsMeta, archive_prefix(topic));
}

pub(crate) fn put_archived(batch: &mut Batch, topic: &str, seq: u64, message: &ArchivedMessage) {
    batch.put(
        Keyspace::SnsMeta,
        archive_key(topic, message.timestamp_millis, seq),
        persist::json(message),
    );
}

/// Epoch milliseconds of an ISO-8601 date and time: `YYYY-MM-DDThh:mm:ss[.fraction](Z|±hh:mm)` (the zone
/// may be left out for UTC).
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't'])?;
    let mut parts = date.split('-');
    let year: i32 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let month: u8 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    let day: u8 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    if parts.next().is_some() {
        return None;
    }
    let (clock, offset_minutes) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0i64)
    } else if let Some(at) = rest.rfind(['+', '-']).filter(|&at| at >= 8) {
        let (clock, zone) = rest.split_at(at);
        let sign = if zone.starts_with('-') { -1 } else { 1 };
        let (h, m) = zone[1..].split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m): (i64, i64) = (h.parse().ok()?, m.parse().ok()?);
        if h > 23 || m > 59 {
            return None;
        }
        (clock, sign * (h * 60 + m))
    } else {
        (rest, 0)
    };
    let (hms, fraction) = match clock.split_once('.') {
        Some((hms, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (hms, f),
        Some(_) => return None,
        None => (clock, ""),
    };
    let mut fields = hms.split(':');
    let mut field = || -> Option<u8> { fields.next().filter(|f| f.len() == 2)?.parse().ok() };
    let (hour, minute, second) = (field()?, field()?, field()?);
    if fields.next().is_some() {
        return None;
    }
    let date =
        time::Date::from_calendar_date(year, time::Month::try_from(month).ok()?, day).ok()?;
    let time = time::Time::from_hms(hour, minute, second).ok()?;
    let seconds = time::PrimitiveDateTime::new(date, time)
        .assume_utc()
        .unix_timestamp()
        - offset_minutes * 60;
    let millis: i64 = format!("{:0<3}", &fraction[..fraction.len().min(3)])
        .parse()
        .ok()?;
    u64::try_from(seconds.checked_mul(1000)?.checked_add(millis)?).ok()
}

fn replay_error(reason: &str) -> SnsError {
    SnsError::invalid_reason("ReplayPolicy", reason)
}

/// Checks a `ReplayPolicy` against its topic (FIFO, archiving on, the starting point inside the archive)
/// and returns its window: starting point and inclusive ending point (`now` without an `EndingPoint`).
pub(crate) fn replay_window(
    text: &str,
    fifo: bool,
    topic_attributes: &Attributes,
    now: u64,
) -> SnsResult<(u64, u64)> {
    let policy = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        _ => return Err(replay_error("failed to parse JSON")),
    };
    if let Some(key) = policy
        .keys()
        .find(|k| !matches!(k.as_str(), "PointType" | "StartingPoint" | "EndingPoint"))
    {
        return Err(replay_error(&format!(
            "Unrecognized replay policy key {key}"
        )));
    }
    match policy.get("PointType") {
        Some(Value::String(t)) if t == "Timestamp" => {}
        Some(_) => return Err(replay_error("PointType must be Timestamp")),
        None => return Err(replay_error("PointType is required")),
    }
    let point = |name: &str| -> SnsResult<Option<u64>> {
        match policy.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => parse_iso8601(s)
                .map(Some)
                .ok_or_else(|| replay_error(&format!("{name} must be an ISO-8601 date and time"))),
            Some(_) => Err(replay_error(&format!(
                "{name} must be an ISO-8601 date and time"
            ))),
        }
    };
    let start = point("StartingPoint")?.ok_or_else(|| replay_error("StartingPoint is required"))?;
    let end = point("EndingPoint")?;
    if !fifo {
        return Err(replay_error(
            "Message replay is only supported for FIFO topics",
        ));
    }
    let Some(days) = retention_days(topic_attributes) else {
        return Err(replay_error(
            "Message archiving is not enabled on the topic",
        ));
    };
    let beginning = topic_attributes
        .get("BeginningArchiveTime")
        .and_then(|t| parse_iso8601(t))
        .unwrap_or(now)
        .max(retention_floor(now, days));
    if start < beginning {
        return Err(replay_error(
            "StartingPoint must not be earlier than the topic's BeginningArchiveTime",
        ));
    }
    if start > now {
        return Err(replay_error("StartingPoint must not be in the future"));
    }
    if let Some(end) = end {
        if end <= start {
            return Err(replay_error("EndingPoint must be later than StartingPoint"));
        }
    }
    Ok((start, end.unwrap_or(now).min(now)))
}

impl Sns {
    /// Starts (or, with `window` `None`, stops) the replay of a subscription, in `batch`: call under the
    /// registry write lock, then [`Sns::wake_replays`] once the batch is committed.
    pub(crate) fn set_replay(
        &self,
        batch: &mut Batch,
        subscription_arn: &str,
        topic_name: &str,
        window: Option<(u64, u64)>,
    ) {
        let mut replays = self.replays.lock();
        match window {
            Some((start_millis, end_millis)) => {
                let record = ReplayRecord {
                    v: FORMAT_VERSION,
                    subscription_arn: subscription_arn.to_string(),
                    topic_name: topic_name.to_string(),
                    generation: self.next_replay_generation(),
                    start_millis,
                    end_millis,
                    status: STATUS_PENDING.to_string(),
                    cursor: None,
                };
                batch.put(
                    Keyspace::SnsMeta,
                    replay_key(subscription_arn),
                    persist::json(&record),
                );
                replays.insert(subscription_arn.to_string(), record);
            }
            None => {
                batch.delete(Keyspace::SnsMeta, replay_key(subscription_arn));
                replays.remove(subscription_arn);
            }
        }
    }

    /// The `ReplayStatus` of a subscription that has (had) a replay.
    pub(crate) fn replay_status(&self, subscription_arn: &str) -> Option<String> {
        self.replays
            .lock()
            .get(subscription_arn)
            .map(|r| r.status.clone())
    }

    pub(crate) fn wake_replays(&self) {
        self.replay_wake.notify_one();
    }

    /// The replay worker: runs the pending replays one at a time, oldest request first.
    pub(crate) async fn run_replays(self: Arc<Self>) {
        loop {
            let next = self
                .replays
                .lock()
                .values()
                .filter(|r| r.runnable())
                .min_by_key(|r| r.generation)
                .cloned();
            match next {
                Some(record) => self.run_replay(record).await,
                None => self.replay_wake.notified().await,
            }
        }
    }

    /// Saves a replay's new state unless a newer replay superseded it; false when it was superseded (or
    /// the subscription is gone).
    async fn save_replay(&self, record: &ReplayRecord) -> bool {
        let commit = {
            let mut replays = self.replays.lock();
            match replays.get(&record.subscription_arn) {
                Some(current) if current.generation == record.generation => {}
                _ => return false,
            }
            replays.insert(record.subscription_arn.clone(), record.clone());
            let mut batch = Batch::new();
            batch.put(
                Keyspace::SnsMeta,
                replay_key(&record.subscription_arn),
                persist::json(record),
            );
            self.submit(batch)
        };
        if let Err(error) = await_commit(commit).await {
            tracing::warn!(%error, subscription = %record.subscription_arn, "could not save a replay's progress");
        }
        true
    }

    async fn run_replay(&self, mut record: ReplayRecord) {
        record.status = STATUS_IN_PROGRESS.to_string();
        if !self.save_replay(&record).await {
            return;
        }
        let status = match self.replay_messages(&mut record).await {
            Ok(true) => STATUS_COMPLETED,
            Ok(false) => return,
            Err(error) => {
                tracing::warn!(%error, subscription = %record.subscription_arn, "message replay failed");
                STATUS_FAILED
            }
        };
        record.status = status.to_string();
        self.save_replay(&record).await;
    }

    /// Delivers the replay's messages from its cursor on; `Ok(false)` when it was superseded or its
    /// subscription is gone.
    async fn replay_messages(&self, record: &mut ReplayRecord) -> SnsResult<bool> {
        let topic = &record.topic_name;
        let end = archive_key(topic, record.end_millis.saturating_add(1), 0);
        loop {
            let (sub, snapshot_topic, signature_version, days) = {
                let registry = self.registry.read();
                let Some(sub) = registry
                    .subscriptions
                    .get(&record.subscription_arn)
                    .cloned()
                else {
                    drop(registry);
                    self.replays.lock().remove(&record.subscription_arn);
                    return Ok(false);
                };
                let entry = registry
                    .topics
                    .get(topic)
                    .ok_or_else(SnsError::topic_not_found)?;
                let days = retention_days(&entry.attributes).ok_or_else(|| {
                    SnsError::invalid("Message archiving was turned off on the topic")
                })?;
                let signature_version = entry
                    .attributes
                    .get("SignatureVersion")
                    .cloned()
                    .unwrap_or_else(|| "1".into());
                (sub, Arc::clone(&entry.topic), signature_version, days)
            };
            if !sub.confirmed {
                return Err(SnsError::invalid("The subscription is not confirmed"));
            }
            let floor = record.start_millis.max(retention_floor(self.now(), days));
            let mut from = archive_key(topic, floor, 0);
            if let Some(cursor) = &record.cursor {
                let mut after = cursor.clone();
                after.push(0);
                from = from.max(after);
            }
            // A page of the archive, read on a blocking thread (never a runtime worker).
            let store = self.store.clone();
            let (page_from, page_end) = (from.clone(), end.clone());
            let page = tokio::task::spawn_blocking(move || {
                store.scan_range(Keyspace::SnsMeta, &page_from, &page_end, REPLAY_PAGE, false)
            })
            .await
            .map_err(|e| SnsError::internal(format!("the archive read failed: {e}")))??;
            let done = page.len() < REPLAY_PAGE;
            for (key, value) in page {
                if self
                    .replays
                    .lock()
                    .get(&record.subscription_arn)
                    .is_none_or(|r| r.generation != record.generation)
                {
                    return Ok(false);
                }
                if let Some(archived) = persist::parse::<ArchivedMessage>(&value) {
                    let structure = if archived.structure {
                        match serde_json::from_str::<Value>(&archived.message) {
                            Ok(Value::Object(map)) => Some(map),
                            _ => None,
                        }
                    } else {
                        None
                    };
                    let outgoing = Outgoing {
                        message: archived.message.clone(),
                        subject: archived.subject.clone(),
                        structure,
                        attributes: archived.attributes.clone(),
                        group_id: archived.group_id.clone(),
                        dedup_id: archived.dedup_id.clone(),
                    };
                    let published = Published {
                        topic: &snapshot_topic,
                        message_id: &archived.message_id,
                        sequence_number: archived.sequence_number.as_deref(),
                        dedup_id: archived.dedup_id.as_deref(),
                        timestamp: archived.timestamp_millis,
                        signature_version: &signature_version,
                        outgoing: &outgoing,
                        replayed: true,
                    };
                    let _gate = snapshot_topic.gate.lock().await;
                    self.fan_out(&published, std::slice::from_ref(&sub)).await?;
                } else {
                    tracing::error!("skipping an unreadable archived message");
                }
                record.cursor = Some(key);
                if !self.save_replay(record).await {
                    return Ok(false);
                }
            }
            if done {
                return Ok(true);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_points() {
        assert_eq!(parse_iso8601("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(
            parse_iso8601("2023-08-01T00:00:00.000Z"),
            Some(1_690_848_000_000)
        );
        assert_eq!(
            parse_iso8601("2023-08-01T02:00:00.5+02:00"),
            Some(1_690_848_000_500)
        );
        assert_eq!(
            parse_iso8601("2023-08-01T00:00:00"),
            Some(1_690_848_000_000)
        );
        for bad in [
            "",
            "2023-08-01",
            "2023-13-01T00:00:00Z",
            "yesterday",
            "2023-08-01T25:00:00Z",
        ] {
            assert_eq!(parse_iso8601(bad), None, "{bad}");
        }
    }

    #[test]
    fn archive_keys_sort_by_publish_time_then_sequence() {
        let a = archive_key("t.fifo", 5, 9);
        let b = archive_key("t.fifo", 6, 1);
        let c = archive_key("t.fifo", 6, 2);
        assert!(a < b && b < c);
        assert!(a.starts_with(&archive_prefix("t.fifo")));
        assert!(!archive_key("t2.fifo", 0, 0).starts_with(&archive_prefix("t.fifo")));
    }

    #[test]
    fn replay_policy_validation() {
        let mut attributes = Attributes::new();
        attributes.insert(
            "ArchivePolicy".into(),
            r#"{"MessageRetentionPeriod":"2"}"#.into(),
        );
        attributes.insert(
            "BeginningArchiveTime".into(),
            "2023-08-01T00:00:00.000Z".into(),
        );
        let now = parse_iso8601("2023-08-02T00:00:00Z").unwrap();
        let ok = r#"{"PointType":"Timestamp","StartingPoint":"2023-08-01T01:00:00Z"}"#;
        assert_eq!(
            replay_window(ok, true, &attributes, now).unwrap(),
            (parse_iso8601("2023-08-01T01:00:00Z").unwrap(), now)
        );
        let windowed = r#"{"PointType":"Timestamp","StartingPoint":"2023-08-01T01:00:00Z","EndingPoint":"2023-08-01T02:00:00Z"}"#;
        assert_eq!(
            replay_window(windowed, true, &attributes, now).unwrap().1,
            parse_iso8601("2023-08-01T02:00:00Z").unwrap()
        );
        assert!(replay_window(ok, false, &attributes, now).is_err());
        assert!(replay_window(ok, true, &Attributes::new(), now).is_err());
        for bad in [
            "nope",
            r#"{"PointType":"Sequence","StartingPoint":"2023-08-01T01:00:00Z"}"#,
            r#"{"StartingPoint":"2023-08-01T01:00:00Z"}"#,
            r#"{"PointType":"Timestamp"}"#,
            r#"{"PointType":"Timestamp","StartingPoint":"soon"}"#,
            r#"{"PointType":"Timestamp","StartingPoint":"2023-07-31T00:00:00Z"}"#,
            r#"{"PointType":"Timestamp","StartingPoint":"2023-08-03T00:00:00Z"}"#,
            r#"{"PointType":"Timestamp","StartingPoint":"2023-08-01T02:00:00Z","EndingPoint":"2023-08-01T01:00:00Z"}"#,
            r#"{"PointType":"Timestamp","StartingPoint":"2023-08-01T01:00:00Z","Other":1}"#,
        ] {
            assert!(replay_window(bad, true, &attributes, now).is_err(), "{bad}");
        }
        // Past the retention period, the archive starts later than BeginningArchiveTime.
        let later = parse_iso8601("2023-08-04T00:00:00Z").unwrap();
        assert!(replay_window(ok, true, &attributes, later).is_err());
    }
}
