//! DeleteMessage(Batch) and ChangeMessageVisibility(Batch): everything that acts through a receipt handle.

use wharf_store::Batch;

use super::receive::decode_receipt;
use super::required;
use super::send::{batch_error, validate_batch_ids};
use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::limits::*;
use crate::model::*;
use crate::persist;
use crate::queue::{MessageState, QueueState};
use crate::{await_commit, Queue, Sqs};

fn invalid_handle(handle: &str) -> SqsError {
    SqsError::new(
        ErrorKind::ReceiptHandleIsInvalid,
        format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
    )
}

impl Sqs {
    fn delete_locked(
        &self,
        queue: &Queue,
        state: &mut QueueState,
        handle: &str,
        batch: &mut Batch,
    ) -> SqsResult<()> {
        let (queue_id, seq, nonce) =
            decode_receipt(handle).ok_or_else(|| invalid_handle(handle))?;
        if queue_id != queue.id {
            return Err(invalid_handle(handle));
        }
        let Some(message) = state.messages.get(&seq) else {
            // Deleting a message that is already gone succeeds.
            return Ok(());
        };
        if queue.fifo {
            // A FIFO handle is good only while its receive's visibility timeout runs: once it ran out (the
            // message is visible again, or received again under a new handle) AWS answers InvalidParameterValue
            // (LocalStack's AWS-validated snapshot test_fifo_delete_message_with_expired_receipt_handle).
            let now = self.now();
            let in_flight =
                message.state == MessageState::InFlight && message.visible_at_millis > now;
            if message.receipt_nonce != nonce || !in_flight {
                return Err(SqsError::invalid_value(
                    "ReceiptHandle",
                    handle,
                    "The receipt handle has expired.",
                ));
            }
        } else if message.receipt_nonce != nonce {
            // A standard queue accepts a stale handle but only the latest receive's handle deletes.
            return Ok(());
        }
        state.remove(seq);
        persist::delete_message(batch, queue.id, seq);
        Ok(())
    }

    pub async fn delete_message(&self, input: DeleteMessageInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let handle = required(&input.receipt_handle, "ReceiptHandle")?;
        let commit = {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            self.delete_locked(&queue, &mut state, handle, &mut batch)?;
            self.submit(batch)
        };
        // A FIFO group may be unblocked now.
        if queue.fifo {
            queue.notify.notify_one();
        }
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn delete_message_batch(
        &self,
        input: ReceiptBatchInput,
    ) -> SqsResult<ReceiptBatchOutput> {
        self.receipt_batch(
            input,
            "DeleteMessageBatchRequestEntry",
            |sqs, queue, state, _, handle, batch| sqs.delete_locked(queue, state, handle, batch),
        )
        .await
    }

    /// The shared shape of DeleteMessageBatch and ChangeMessageVisibilityBatch: validate the entry ids, apply
    /// `apply` to each entry under one lock and one store batch, report successes and failures per entry.
    async fn receipt_batch(
        &self,
        input: ReceiptBatchInput,
        entry_name: &str,
        apply: impl Fn(
            &Sqs,
            &Queue,
            &mut QueueState,
            &ReceiptBatchEntry,
            &str,
            &mut Batch,
        ) -> SqsResult<()>,
    ) -> SqsResult<ReceiptBatchOutput> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let ids: Vec<Option<String>> = input.entries.iter().map(|e| e.id.clone()).collect();
        validate_batch_ids(&ids, entry_name)?;
        let mut output = ReceiptBatchOutput::default();
        let commit = {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            for entry in &input.entries {
                let id = entry.id.clone().unwrap_or_default();
                let result = required(&entry.receipt_handle, "ReceiptHandle")
                    .and_then(|handle| apply(self, &queue, &mut state, entry, handle, &mut batch));
                match result {
                    Ok(()) => output.successful.push(BatchIdEntry { id }),
                    Err(error) => output.failed.push(batch_error(id, &error)),
                }
            }
            self.submit(batch)
        };
        // A FIFO group may be unblocked, or a message made visible again.
        queue.notify.notify_one();
        await_commit(commit).await?;
        Ok(output)
    }

    fn change_visibility_locked(
        &self,
        queue: &Queue,
        state: &mut QueueState,
        handle: &str,
        timeout: Option<i64>,
        batch: &mut Batch,
    ) -> SqsResult<()> {
        let timeout = timeout.ok_or_else(|| SqsError::missing("VisibilityTimeout"))?;
        if !(0..=MAX_VISIBILITY_TIMEOUT as i64).contains(&timeout) {
            return Err(SqsError::invalid_value(
                "VisibilityTimeout",
                timeout,
                "Must be >= 0 and <= 43200, if provided.",
            ));
        }
        let (queue_id, seq, nonce) =
            decode_receipt(handle).ok_or_else(|| invalid_handle(handle))?;
        if queue_id != queue.id {
            return Err(invalid_handle(handle));
        }
        let now = self.now();
        state.promote_due(now);
        let Some(message) = state.messages.get(&seq) else {
            return Err(SqsError::invalid_value(
                "ReceiptHandle",
                handle,
                "Message does not exist or is not available for visibility timeout change.",
            ));
        };
        // FIFO: only the latest handle of a message in flight. Standard queues, as AWS answers (LocalStack's
        // AWS-validated test_sqs.snapshot.json and test_sqs.py):
        // - an older handle of a message in flight under a newer receive still changes its visibility
        //   (test_terminate_visibility_timeout_after_receive: the first receive's handle makes the message
        //   received again visible at once);
        // - the latest handle of a message whose visibility timeout ran out, not received again since, puts it
        //   back in flight (test_change_message_visibility_after_visibility_timeout_expiration: HTTP 200).
        let in_flight = message.state == MessageState::InFlight;
        let usable = if queue.fifo {
            in_flight && message.receipt_nonce == nonce
        } else {
            in_flight
                || (message.state == MessageState::Ready
                    && message.receipt_nonce == nonce
                    && message.receive_count > 0)
        };
        if !usable {
            return Err(SqsError::new(
                ErrorKind::MessageNotInflight,
                "Message does not exist or is not available for visibility timeout change.",
            ));
        }
        let timeout_millis = timeout as u64 * 1000;
        if now + timeout_millis > message.last_receive_millis + MAX_VISIBILITY_TIMEOUT * 1000 {
            return Err(SqsError::invalid_value(
                "VisibilityTimeout",
                timeout,
                "Total VisibilityTimeout for the message is beyond the limit [43200 seconds]",
            ));
        }
        if !in_flight {
            state.reclaim(seq);
        }
        state.set_invisible_until(seq, now + timeout_millis, now);
        if let Some(message) = state.messages.get(&seq) {
            persist::put_state(batch, queue.id, message);
        }
        if queue.fifo {
            // A receive whose messages had their visibility changed can no longer be retried by its
            // ReceiveRequestAttemptId (API_ReceiveMessage).
            state
                .attempts
                .retain(|_, attempt| attempt.handles.iter().all(|(s, _)| *s != seq));
        }
        Ok(())
    }

    pub async fn change_message_visibility(
        &self,
        input: ChangeMessageVisibilityInput,
    ) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let handle = required(&input.receipt_handle, "ReceiptHandle")?;
        let commit = {
            let mut state = queue.state.lock();
            let mut batch = Batch::new();
            self.change_visibility_locked(
                &queue,
                &mut state,
                handle,
                input.visibility_timeout,
                &mut batch,
            )?;
            self.submit(batch)
        };
        queue.notify.notify_one();
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn change_message_visibility_batch(
        &self,
        input: ReceiptBatchInput,
    ) -> SqsResult<ReceiptBatchOutput> {
        let entry_name = "ChangeMessageVisibilityBatchRequestEntry";
        self.receipt_batch(
            input,
            entry_name,
            |sqs, queue, state, entry, handle, batch| {
                sqs.change_visibility_locked(queue, state, handle, entry.visibility_timeout, batch)
            },
        )
        .await
    }
}
