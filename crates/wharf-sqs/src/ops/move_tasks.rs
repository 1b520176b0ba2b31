//! StartMessageMoveTask, CancelMessageMoveTask, ListMessageMoveTasks: redrive a dead-letter queue's
//! messages back to their source queues or to a chosen queue, at a bounded rate, in the background.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use parking_lot::Mutex;
use wharf_store::Batch;

use super::receive::Moved;
use super::{ranged, required};
use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::limits::*;
use crate::model::*;
use crate::persist;
use crate::{await_commit, Queue, Sqs};

/// One move task and its progress.
pub struct MoveTask {
    pub handle: String,
    pub source_arn: String,
    pub destination_arn: Option<String>,
    pub rate: Option<u64>,
    pub started_millis: u64,
    pub to_move: u64,
    moved: AtomicU64,
    cancelled: AtomicBool,
    status: Mutex<(&'static str, Option<String>)>,
}

/// A move task as stored (`Meta` keyspace, key `sqs-move/<handle>`), updated in the same batch as each
/// message it moves, so its progress survives a restart exactly.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(crate) struct MoveTaskRecord {
    v: u32,
    handle: String,
    source_arn: String,
    destination_arn: Option<String>,
    rate: Option<u64>,
    started_millis: u64,
    to_move: u64,
    moved: u64,
    status: String,
    failure: Option<String>,
}

const MOVE_TASK_PREFIX: &str = "sqs-move/";

fn status_name(status: &str) -> &'static str {
    match status {
        "RUNNING" => "RUNNING",
        "COMPLETED" => "COMPLETED",
        "CANCELLING" => "CANCELLING",
        "CANCELLED" => "CANCELLED",
        _ => "FAILED",
    }
}

impl MoveTask {
    fn record(&self, moved: u64) -> MoveTaskRecord {
        let (status, failure) = self.status.lock().clone();
        MoveTaskRecord {
            v: persist::FORMAT_VERSION,
            handle: self.handle.clone(),
            source_arn: self.source_arn.clone(),
            destination_arn: self.destination_arn.clone(),
            rate: self.rate,
            started_millis: self.started_millis,
            to_move: self.to_move,
            moved,
            status: status.to_string(),
            failure,
        }
    }

    fn from_record(record: MoveTaskRecord) -> MoveTask {
        MoveTask {
            handle: record.handle,
            source_arn: record.source_arn,
            destination_arn: record.destination_arn,
            rate: record.rate,
            started_millis: record.started_millis,
            to_move: record.to_move,
            moved: AtomicU64::new(record.moved),
            cancelled: AtomicBool::new(false),
            status: Mutex::new((status_name(&record.status), record.failure)),
        }
    }

    fn put(&self, batch: &mut Batch, moved: u64) {
        let key = format!("{MOVE_TASK_PREFIX}{}", self.handle).into_bytes();
        let value = serde_json::to_vec(&self.record(moved)).unwrap_or_default();
        batch.put(wharf_store::Keyspace::Meta, key, value);
    }

    pub(crate) fn cancel(&self) {
        self.cancelled.store(true, Ordering::Release);
    }

    fn status(&self) -> &'static str {
        self.status.lock().0
    }

    fn finish(&self, status: &'static str, reason: Option<String>) {
        *self.status.lock() = (status, reason);
    }

    fn entry(&self) -> MessageMoveTaskEntry {
        let (status, failure) = self.status.lock().clone();
        MessageMoveTaskEntry {
            task_handle: (status == "RUNNING").then(|| self.handle.clone()),
            status: status.to_string(),
            source_arn: self.source_arn.clone(),
            destination_arn: self.destination_arn.clone(),
            max_number_of_messages_per_second: self.rate,
            approximate_number_of_messages_moved: self.moved.load(Ordering::Acquire),
            approximate_number_of_messages_to_move: self.to_move,
            failure_reason: failure,
            started_timestamp: self.started_millis,
        }
    }
}

/// The source queue ARN of a move task handle (base64 of a JSON object with string `taskId` and `sourceArn`).
fn decode_task_handle(handle: &str) -> Option<String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(handle.trim())
        .ok()?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    doc.get("taskId")?.as_str()?;
    Some(doc.get("sourceArn")?.as_str()?.to_string())
}

fn resource_not_found(what: &str) -> SqsError {
    SqsError::new(
        ErrorKind::ResourceNotFound,
        format!("The resource that you specified for the {what} parameter doesn't exist."),
    )
}

impl Sqs {
    pub fn start_message_move_task(
        self: &Arc<Self>,
        input: StartMessageMoveTaskInput,
    ) -> SqsResult<StartMessageMoveTaskOutput> {
        let source_arn = required(&input.source_arn, "SourceArn")?;
        let rate = ranged(
            input.max_number_of_messages_per_second,
            "MaxNumberOfMessagesPerSecond",
            1,
            MAX_MOVE_RATE as i64,
            "Must be between 1 and 500, if provided.",
        )?;
        let source = self
            .queue_by_arn(source_arn)
            .ok_or_else(|| resource_not_found("SourceArn"))?;
        let is_dead_letter_queue = self.queues.read().values().any(|q| {
            q.state
                .lock()
                .config
                .redrive_policy
                .as_ref()
                .is_some_and(|p| p.dead_letter_target_arn == source.arn)
        });
        if !is_dead_letter_queue {
            return Err(SqsError::invalid_parameter(
                "Source queue must be configured as a Dead Letter Queue.",
            ));
        }
        if let Some(destination) = input.destination_arn.as_deref() {
            let Some(destination) = self.queue_by_arn(destination) else {
                return Err(resource_not_found("DestinationArn"));
            };
            // "If the dead-letter queue is a FIFO queue, the redrive destination queue must be a FIFO queue
            // as well" (SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html); wording not
            // verified against AWS.
            if destination.fifo != source.fifo {
                return Err(SqsError::invalid_parameter(
                    "The source queue and destination queue must be of the same queue type.",
                ));
            }
        }
        let mut tasks = self.move_tasks.lock();
        if tasks
            .iter()
            .any(|t| t.source_arn == source.arn && t.status() == "RUNNING")
        {
            // InvalidParameterValue, as AWS answers (LocalStack's AWS-validated snapshot
            // test_start_multiple_move_tasks).
            return Err(SqsError::invalid_parameter(
                "There is already a task running. Only one active task is allowed for a source queue arn at a given time.",
            ));
        }
        let now = self.now();
        // AWS's handle: base64 of `{"taskId":"<uuid>","sourceArn":"<arn>"}`, in that order.
        let handle_json = format!(
            r#"{{"taskId":"{}","sourceArn":"{}"}}"#,
            uuid::Uuid::new_v4(),
            source.arn
        );
        let task = Arc::new(MoveTask {
            handle: base64::engine::general_purpose::STANDARD.encode(handle_json),
            source_arn: source.arn.clone(),
            destination_arn: input.destination_arn.clone(),
            rate,
            started_millis: now,
            to_move: source.state.lock().ready_count as u64,
            moved: AtomicU64::new(0),
            cancelled: AtomicBool::new(false),
            status: Mutex::new(("RUNNING", None)),
        });
        tasks.push(task.clone());
        drop(tasks);
        let mut batch = Batch::new();
        task.put(&mut batch, 0);
        drop(self.submit(batch));
        let sqs = self.clone();
        let output = StartMessageMoveTaskOutput {
            task_handle: task.handle.clone(),
        };
        tokio::spawn(async move { sqs.run_move_task(source, task).await });
        Ok(output)
    }

    /// Start-up: reloads move tasks and resumes the ones that were running.
    pub(crate) fn recover_move_tasks(self: &Arc<Self>) -> SqsResult<()> {
        let mut records: Vec<MoveTaskRecord> = self
            .store
            .scan_prefix(wharf_store::Keyspace::Meta, MOVE_TASK_PREFIX.as_bytes())?
            .into_iter()
            .filter_map(|(_, value)| persist::parse(&value))
            .collect();
        records.sort_by_key(|r| r.started_millis);
        for record in records {
            let task = Arc::new(MoveTask::from_record(record));
            self.move_tasks.lock().push(task.clone());
            if task.status() != "RUNNING" && task.status() != "CANCELLING" {
                continue;
            }
            let source = self.queue_by_arn(&task.source_arn);
            match (source, tokio::runtime::Handle::try_current()) {
                (Some(source), Ok(runtime)) if task.status() == "RUNNING" => {
                    let sqs = self.clone();
                    runtime.spawn(async move { sqs.run_move_task(source, task).await });
                }
                _ => self.finish_task(&task, "CANCELLED", None),
            }
        }
        Ok(())
    }

    fn finish_task(&self, task: &MoveTask, status: &'static str, reason: Option<String>) {
        task.finish(status, reason);
        let mut batch = Batch::new();
        task.put(&mut batch, task.moved.load(Ordering::Acquire));
        drop(self.submit(batch));
    }

    async fn run_move_task(self: Arc<Self>, source: Arc<Queue>, task: Arc<MoveTask>) {
        let pause = task.rate.map(|r| Duration::from_micros(1_000_000 / r));
        loop {
            if task.cancelled.load(Ordering::Acquire) {
                self.finish_task(&task, "CANCELLED", None);
                return;
            }
            if task.moved.load(Ordering::Acquire) >= task.to_move || source.is_deleted() {
                self.finish_task(&task, "COMPLETED", None);
                return;
            }
            match self.move_one(&source, &task).await {
                Ok(true) => {
                    task.moved.fetch_add(1, Ordering::AcqRel);
                }
                Ok(false) => {
                    self.finish_task(&task, "COMPLETED", None);
                    return;
                }
                Err(reason) => {
                    self.finish_task(&task, "FAILED", Some(reason));
                    return;
                }
            }
            match pause {
                Some(pause) => tokio::time::sleep(pause).await,
                None => tokio::task::yield_now().await,
            }
        }
    }

    /// Moves one ready message; `Ok(false)` when the source has none left.
    async fn move_one(&self, source: &Queue, task: &MoveTask) -> Result<bool, String> {
        let message = {
            let mut state = source.state.lock();
            state.promote_due(self.now());
            let Some(seq) = state.take_ready(1).first().copied() else {
                return Ok(false);
            };
            let Some(message) = state.remove(seq) else {
                return Ok(false);
            };
            message
        };
        let mut batch = Batch::new();
        persist::delete_message(&mut batch, source.id, message.seq);
        let Some(content) = self
            .content_of(source.id, &message)
            .await
            .map_err(|e| e.message)?
        else {
            // Gone from the store already (deleted concurrently): nothing to move.
            return Ok(true);
        };
        let destination_arn = task
            .destination_arn
            .clone()
            .or_else(|| content.extra().dead_letter_source_arn.clone())
            .ok_or_else(|| {
                "The message has no dead-letter source queue to return to.".to_string()
            })?;
        let Some(destination) = self.queue_by_arn(&destination_arn) else {
            // Put the message back before failing.
            let mut state = source.state.lock();
            self.insert_moved(source, &mut state, &content, Moved::PutBack, &mut batch);
            drop(self.submit(batch));
            // AWS reports the error code as the task's FailureReason (LocalStack's AWS-validated snapshot
            // test_move_task_delete_destination_queue_while_running).
            return Err(ErrorKind::QueueDoesNotExist.query_code().to_string());
        };
        let commit = {
            let mut state = destination.state.lock();
            self.insert_moved(
                &destination,
                &mut state,
                &content,
                Moved::Redriven,
                &mut batch,
            );
            task.put(&mut batch, task.moved.load(Ordering::Acquire) + 1);
            self.submit(batch)
        };
        destination.notify.notify_one();
        await_commit(commit).await.map_err(|e| e.message)?;
        Ok(true)
    }

    pub fn cancel_message_move_task(
        &self,
        input: CancelMessageMoveTaskInput,
    ) -> SqsResult<CancelMessageMoveTaskOutput> {
        let handle = required(&input.task_handle, "TaskHandle")?;
        // As AWS answers (LocalStack's AWS-validated snapshots test_cancel_with_invalid_task_handle,
        // test_cancel_with_invalid_source_arn_in_task_handle, test_cancel_with_invalid_task_id_in_task_handle):
        // a handle that is not one → InvalidParameterValue, its source queue missing → ResourceNotFound for
        // SourceArn, no such task of that queue → ResourceNotFound "Task does not exist.".
        let source_arn = decode_task_handle(handle).ok_or_else(|| {
            SqsError::invalid_parameter("Value for parameter TaskHandle is invalid.")
        })?;
        if self.queue_by_arn(&source_arn).is_none() {
            return Err(resource_not_found("SourceArn"));
        }
        let task = self
            .move_tasks
            .lock()
            .iter()
            .find(|t| t.handle == handle.trim())
            .cloned()
            .ok_or_else(|| SqsError::new(ErrorKind::ResourceNotFound, "Task does not exist."))?;
        if task.status() != "RUNNING" {
            return Err(SqsError::new(
                ErrorKind::UnsupportedOperation,
                "Only active tasks can be cancelled.",
            ));
        }
        task.cancel();
        task.finish("CANCELLING", None);
        Ok(CancelMessageMoveTaskOutput {
            approximate_number_of_messages_moved: task.moved.load(Ordering::Acquire),
        })
    }

    pub fn list_message_move_tasks(
        &self,
        input: ListMessageMoveTasksInput,
    ) -> SqsResult<ListMessageMoveTasksOutput> {
        let source_arn = required(&input.source_arn, "SourceArn")?;
        let max = ranged(
            input.max_results,
            "MaxResults",
            1,
            MAX_MOVE_TASK_RESULTS as i64,
            "Must be between 1 and 10, if provided.",
        )?
        .unwrap_or(1) as usize;
        if self.queue_by_arn(source_arn).is_none() {
            return Err(resource_not_found("SourceArn"));
        }
        let results = self
            .move_tasks
            .lock()
            .iter()
            .rev()
            .filter(|t| t.source_arn == source_arn)
            .take(max)
            .map(|t| t.entry())
            .collect();
        Ok(ListMessageMoveTasksOutput { results })
    }
}
