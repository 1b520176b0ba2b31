//! Wharf's SQS engine: queue semantics behind typed inputs and outputs; it knows nothing of HTTP.
//!
//! Layout:
//! - [`Sqs`] owns the registry of queues and the store; `ops/` holds one file per group of actions.
//! - [`queue`] is one queue's hot state (ready groups, timeline, retention, dedup) behind its own mutex —
//!   there is no global lock on the message path.
//! - [`persist`] is the record format written to the store; every mutation is submitted to the store while
//!   the queue's lock is held (so records apply in order) and awaited after it is released (group commit).
//! - [`clock`] injects time; [`limits`] holds AWS's limits; [`error`] the error taxonomy.

pub mod attributes;
pub mod clock;
pub mod error;
pub mod fixed;
pub mod limits;
pub mod md5;
pub mod message_map;
pub mod model;
pub mod persist;
pub mod queue;
pub mod record;

mod ops;
mod recovery;

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use parking_lot::{Mutex, RwLock};
use tokio::sync::Notify;
use wharf_store::{Batch, Store};

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{ErrorKind, SqsError, SqsResult};
pub use ops::move_tasks::MoveTask;
pub use ops::send::valid_number;

use queue::{BodyBudget, MessageContent, QueueState};

/// Identity of this SQS endpoint.
#[derive(Debug, Clone)]
pub struct SqsConfig {
    pub account_id: String,
    pub region: String,
    /// Base of queue URLs, e.g. `http://localhost:4566`.
    pub base_url: String,
    /// Bytes of message content kept in memory across all queues when the store is durable; the rest is
    /// read back from the store on receive.
    pub resident_content_limit: usize,
}

impl Default for SqsConfig {
    fn default() -> Self {
        SqsConfig {
            account_id: "000000000000".into(),
            region: "us-east-1".into(),
            base_url: "http://localhost:4566".into(),
            resident_content_limit: 32 * 1024 * 1024,
        }
    }
}

/// One queue: its identity and its state.
pub struct Queue {
    pub id: u64,
    pub name: String,
    pub arn: String,
    pub url: String,
    pub fifo: bool,
    pub(crate) state: Mutex<QueueState>,
    pub(crate) notify: Notify,
    pub(crate) deleted: AtomicBool,
}

impl Queue {
    pub(crate) fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }
}

/// The SQS service.
pub struct Sqs {
    config: SqsConfig,
    /// The `SenderId` of the messages sent here (the account id), shared by all of them.
    sender_id: Arc<str>,
    clock: Arc<dyn Clock>,
    store: Store,
    /// Whether records are written at all (`false` for `--in-memory`: the engine's state is the only copy).
    pub(crate) durable: bool,
    pub(crate) budget: Arc<BodyBudget>,
    queues: RwLock<BTreeMap<String, Arc<Queue>>>,
    deleted_recently: Mutex<HashMap<String, u64>>,
    last_queue_id: Mutex<u64>,
    move_tasks: Mutex<Vec<Arc<MoveTask>>>,
}

impl Sqs {
    /// Opens the service over `store`, recovering every queue and message it holds.
    pub fn open(config: SqsConfig, clock: Arc<dyn Clock>, store: Store) -> SqsResult<Arc<Sqs>> {
        let durable = store.is_durable();
        let limit = if durable {
            config.resident_content_limit
        } else {
            usize::MAX
        };
        let sqs = Arc::new(Sqs {
            sender_id: config.account_id.as_str().into(),
            config,
            clock,
            store,
            durable,
            budget: Arc::new(BodyBudget::new(limit)),
            queues: RwLock::new(BTreeMap::new()),
            deleted_recently: Mutex::new(HashMap::new()),
            last_queue_id: Mutex::new(0),
            move_tasks: Mutex::new(Vec::new()),
        });
        sqs.recover()?;
        sqs.recover_move_tasks()?;
        Ok(sqs)
    }

    pub fn config(&self) -> &SqsConfig {
        &self.config
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_millis()
    }

    pub fn queue_count(&self) -> usize {
        self.queues.read().len()
    }

    /// Total messages held across all queues (for `/_wharf/info`).
    pub fn message_count(&self) -> usize {
        self.queues
            .read()
            .values()
            .map(|q| q.state.lock().messages.len())
            .sum()
    }

    pub(crate) fn arn_of(&self, name: &str) -> String {
        format!(
            "arn:aws:sqs:{}:{}:{}",
            self.config.region, self.config.account_id, name
        )
    }

    pub(crate) fn url_of(&self, name: &str) -> String {
        format!(
            "{}/{}/{}",
            self.config.base_url.trim_end_matches('/'),
            self.config.account_id,
            name
        )
    }

    /// Finds a queue by its URL (any host; the path's last segment is the name, the one before it the
    /// account), by a request path (`/account/name`, the Query protocol's addressing) or by a bare queue
    /// name, which AWS accepts too. Anything else is not an address: `InvalidAddress`, as AWS answers
    /// for values such as `sqs.us-east-1.amazonaws.com/123456789012/q` (no scheme).
    pub fn resolve(&self, queue_url: Option<&str>) -> SqsResult<Arc<Queue>> {
        let url = queue_url
            .filter(|u| !u.is_empty())
            .ok_or_else(|| SqsError::missing("QueueUrl"))?;
        let path = queue_path(url).ok_or_else(|| {
            SqsError::new(
                ErrorKind::InvalidAddress,
                format!("The address {url} is not valid for this endpoint."),
            )
        })?;
        let mut segments = path.trim_end_matches('/').rsplit('/');
        let name = segments.next().unwrap_or_default();
        if let Some(account) = segments.next() {
            if account.len() == 12
                && account.bytes().all(|b| b.is_ascii_digit())
                && account != self.config.account_id
            {
                return Err(SqsError::queue_does_not_exist());
            }
        }
        self.queue_by_name(name)
    }

    pub(crate) fn queue_by_name(&self, name: &str) -> SqsResult<Arc<Queue>> {
        self.queues
            .read()
            .get(name)
            .cloned()
            .ok_or_else(SqsError::queue_does_not_exist)
    }

    pub(crate) fn queue_by_arn(&self, arn: &str) -> Option<Arc<Queue>> {
        let name = arn.rsplit(':').next()?;
        let queue = self.queues.read().get(name).cloned()?;
        (queue.arn == arn).then_some(queue)
    }

    /// Submits `batch` (call while holding the queue lock, so records apply in order) and returns the
    /// commit to await once the lock is released.
    pub(crate) fn submit(&self, batch: Batch) -> Option<wharf_store::Commit> {
        (self.durable && !batch.is_empty()).then(|| self.store.submit(batch))
    }

    /// Bytes of message content currently held in memory.
    pub fn resident_content_bytes(&self) -> usize {
        self.budget.used()
    }

    /// Reads a message's content back from the store (it was not kept in memory). `None` when the message
    /// is gone. A record submitted but not yet applied is waited for with an empty batch, which completes
    /// only after every batch submitted before it.
    pub(crate) async fn load_content(
        &self,
        queue_id: u64,
        seq: u64,
    ) -> SqsResult<Option<Arc<MessageContent>>> {
        for attempt in 0..2 {
            let store = self.store.clone();
            let key = persist::message_key(queue_id, seq);
            let bytes = tokio::task::spawn_blocking(move || {
                store.get(wharf_store::Keyspace::SqsMessages, &key)
            })
            .await
            .map_err(|e| SqsError::internal(e.to_string()))??;
            if let Some(record) = bytes.and_then(|b| record::decode_message(&b)) {
                return Ok(Some(Arc::new(record.content)));
            }
            if attempt == 0 {
                self.store.submit(Batch::new()).await?;
            }
        }
        Ok(None)
    }

    /// Wipes every queue (the admin reset endpoint), durably.
    pub async fn reset(&self) -> SqsResult<()> {
        let queues: Vec<Arc<Queue>> = std::mem::take(&mut *self.queues.write())
            .into_values()
            .collect();
        let mut batch = Batch::new();
        for queue in &queues {
            queue.deleted.store(true, Ordering::Release);
            queue.notify.notify_waiters();
            persist::delete_queue(&mut batch, queue.id, &queue.name, 0);
            batch.delete(
                wharf_store::Keyspace::Meta,
                persist::deleted_key(&queue.name),
            );
        }
        batch.delete_prefix(wharf_store::Keyspace::Meta, b"sqs-move/".to_vec());
        self.deleted_recently.lock().clear();
        for task in self.move_tasks.lock().drain(..) {
            task.cancel();
        }
        if let Some(commit) = self.submit(batch) {
            commit.await?;
        }
        Ok(())
    }
}

/// The part of a `QueueUrl` that names the queue: the path of an `http(s)://host/...` URL, a request path
/// as it is, or a bare queue name. `None` for anything else (no scheme, spaces, another scheme...).
fn queue_path(url: &str) -> Option<&str> {
    let url = url.split(['?', '#']).next().unwrap_or_default();
    let scheme_end = url.find("://");
    if let Some(end) = scheme_end {
        let scheme = &url[..end];
        if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
            return None;
        }
        let rest = &url[end + 3..];
        let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let host_ok = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-._:[]@".contains(&b));
        return host_ok.then_some(path);
    }
    if url.starts_with('/') {
        return Some(url);
    }
    let bare_name = url
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    bare_name.then_some(url)
}

pub(crate) async fn await_commit(commit: Option<wharf_store::Commit>) -> SqsResult<()> {
    if let Some(commit) = commit {
        commit.await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::queue_path;

    #[test]
    fn queue_urls_paths_and_bare_names_are_addresses() {
        let cases = [
            (
                "http://localhost:4566/000000000000/q",
                Some("/000000000000/q"),
            ),
            (
                "HTTPS://sqs.us-east-1.amazonaws.com/1/q.fifo",
                Some("/1/q.fifo"),
            ),
            (
                "http://[::1]:4566/000000000000/q?x=1",
                Some("/000000000000/q"),
            ),
            ("http://host-without-path", Some("")),
            ("/000000000000/q", Some("/000000000000/q")),
            ("my-queue_1.fifo", Some("my-queue_1.fifo")),
        ];
        for (url, path) in cases {
            assert_eq!(queue_path(url), path, "{url}");
        }
    }

    #[test]
    fn other_values_are_not_addresses() {
        for url in [
            "sqs.us-east-1.amazonaws.com/000000000000/q",
            "ftp://host/000000000000/q",
            "http:///000000000000/q",
            "http://bad host/000000000000/q",
            "{'QueueUrl': 'http://localhost/000000000000/q'}",
            "not a url",
        ] {
            assert_eq!(queue_path(url), None, "{url}");
        }
    }
}
