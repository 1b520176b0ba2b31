//! SQS over both wire protocols: the one place where an action name meets the engine.

use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use wharf_sqs::{ErrorKind, Sqs, SqsError};

/// Every action SQS has.
pub const ACTIONS: &[&str] = &[
    "AddPermission",
    "CancelMessageMoveTask",
    "ChangeMessageVisibility",
    "ChangeMessageVisibilityBatch",
    "CreateQueue",
    "DeleteMessage",
    "DeleteMessageBatch",
    "DeleteQueue",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "ListMessageMoveTasks",
    "ListQueueTags",
    "ListQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "RemovePermission",
    "SendMessage",
    "SendMessageBatch",
    "SetQueueAttributes",
    "StartMessageMoveTask",
    "TagQueue",
    "UntagQueue",
];

/// A decoded request's input: either JSON bytes (JSON protocol) or a value folded from Query parameters.
pub enum Input<'a> {
    Json(&'a [u8]),
    Value(Value),
}

/// The output, kept typed until the protocol encodes it.
pub struct Output(Box<dyn ErasedOutput + Send>);

pub trait ErasedOutput {
    fn to_json_bytes(&self) -> Vec<u8>;
    fn to_value(&self) -> Value;
}

impl<T: Serialize> ErasedOutput for T {
    fn to_json_bytes(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_else(|_| b"{}".to_vec())
    }
    fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Output {
    fn new<T: Serialize + Send + 'static>(value: T) -> Self {
        Output(Box::new(value))
    }
    pub fn json_bytes(&self) -> Vec<u8> {
        self.0.to_json_bytes()
    }
    pub fn value(&self) -> Value {
        self.0.to_value()
    }
}

fn decode<T: DeserializeOwned + Default>(input: Input<'_>) -> Result<T, SqsError> {
    let result = match input {
        Input::Json(bytes) => {
            let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
            match first {
                None => return Ok(T::default()),
                // serde would read a top-level array as the input structure's members in order.
                Some(b'[') => {
                    return Err(SqsError::new(
                        ErrorKind::MalformedInput,
                        "Start of list found where not expected",
                    ))
                }
                // A top-level scalar is not a member of the wrong type: it keeps the generic answer.
                Some(b'{') => serde_json::from_slice(bytes),
                Some(_) => return Err(unparseable(serde_json::from_slice::<Value>(bytes).err())),
            }
        }
        Input::Value(value) => serde_json::from_value(value),
    };
    result.map_err(
        |error| match crate::type_errors::wrong_type_message(&error) {
            Some(message) => SqsError::new(ErrorKind::MalformedInput, message),
            None => unparseable(Some(error)),
        },
    )
}

fn unparseable(error: Option<serde_json::Error>) -> SqsError {
    let detail = error.map_or_else(|| "not a JSON object".to_string(), |e| e.to_string());
    SqsError::new(
        ErrorKind::InvalidParameterValue,
        format!("The request could not be parsed: {detail}"),
    )
}

macro_rules! call {
    ($input:expr, |$i:ident| $body:expr) => {{
        let $i = decode($input)?;
        Output::new($body?)
    }};
}

/// Runs `action` on the engine.
pub async fn dispatch(sqs: &Arc<Sqs>, action: &str, input: Input<'_>) -> Result<Output, SqsError> {
    Ok(match action {
        "CreateQueue" => call!(input, |i| sqs.create_queue(i).await),
        "DeleteQueue" => call!(input, |i| sqs.delete_queue(i).await),
        "GetQueueUrl" => call!(input, |i| sqs.get_queue_url(i)),
        "ListQueues" => call!(input, |i| sqs.list_queues(i)),
        "GetQueueAttributes" => call!(input, |i| sqs.get_queue_attributes(i)),
        "SetQueueAttributes" => call!(input, |i| sqs.set_queue_attributes(i).await),
        "PurgeQueue" => call!(input, |i| sqs.purge_queue(i).await),
        "SendMessage" => call!(input, |i| sqs.send_message(i).await),
        "SendMessageBatch" => call!(input, |i| sqs.send_message_batch(i).await),
        "ReceiveMessage" => call!(input, |i| sqs.receive_message(i).await),
        "DeleteMessage" => call!(input, |i| sqs.delete_message(i).await),
        "DeleteMessageBatch" => call!(input, |i| sqs.delete_message_batch(i).await),
        "ChangeMessageVisibility" => call!(input, |i| sqs.change_message_visibility(i).await),
        "ChangeMessageVisibilityBatch" => {
            call!(input, |i| sqs.change_message_visibility_batch(i).await)
        }
        "TagQueue" => call!(input, |i| sqs.tag_queue(i).await),
        "UntagQueue" => call!(input, |i| sqs.untag_queue(i).await),
        "ListQueueTags" => call!(input, |i| sqs.list_queue_tags(i)),
        "AddPermission" => call!(input, |i| sqs.add_permission(i).await),
        "RemovePermission" => call!(input, |i| sqs.remove_permission(i).await),
        "ListDeadLetterSourceQueues" => call!(input, |i| sqs.list_dead_letter_source_queues(i)),
        "StartMessageMoveTask" => call!(input, |i| sqs.start_message_move_task(i)),
        "CancelMessageMoveTask" => call!(input, |i| sqs.cancel_message_move_task(i)),
        "ListMessageMoveTasks" => call!(input, |i| sqs.list_message_move_tasks(i)),
        other => {
            return Err(SqsError::new(
                ErrorKind::InvalidAction,
                format!("The action {other} is not valid for this endpoint."),
            ))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wharf_sqs::model::{ReceiveMessageInput, SendMessageBatchInput};

    fn message<T: DeserializeOwned + Default + std::fmt::Debug>(json: &str) -> SqsError {
        decode::<T>(Input::Json(json.as_bytes())).unwrap_err()
    }

    #[test]
    fn wrong_json_types_read_as_aws_deserializer_errors() {
        let cases = [
            (
                r#"{"MaxNumberOfMessages": "ten"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"MaxNumberOfMessages": true}"#,
                "TRUE_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"QueueUrl": 5}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"QueueUrl": false}"#,
                "FALSE_VALUE can not be converted to a String",
            ),
            (
                r#"{"QueueUrl": {}}"#,
                "Start of structure or map found where not expected.",
            ),
            (
                r#"{"QueueUrl": ["x"]}"#,
                "Start of list found where not expected",
            ),
            (r#"{"AttributeNames": "All"}"#, "Expected list or null"),
        ];
        for (json, expected) in cases {
            let error = message::<ReceiveMessageInput>(json);
            assert_eq!(error.kind, ErrorKind::MalformedInput, "{json}");
            assert_eq!(error.message, expected, "{json}");
        }
        let error = message::<SendMessageBatchInput>(r#"{"Entries": {}}"#);
        assert_eq!(
            error.message,
            "Start of structure or map found where not expected."
        );
    }

    #[test]
    fn a_top_level_array_is_not_read_as_the_input() {
        let error = message::<ReceiveMessageInput>(r#" ["http://localhost/000000000000/q"]"#);
        assert_eq!(error.kind, ErrorKind::MalformedInput);
        assert_eq!(error.message, "Start of list found where not expected");
    }

    #[test]
    fn unparseable_bodies_keep_their_error() {
        let error = message::<ReceiveMessageInput>("{\"QueueUrl\":");
        assert_eq!(error.kind, ErrorKind::InvalidParameterValue);
    }
}
