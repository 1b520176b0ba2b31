//! The SQS error taxonomy: one enum, each variant mapped to AWS's legacy Query code, the JSON `__type`,
//! the HTTP status and the fault side. The wire layer encodes it per protocol in one place.

/// An SQS error as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}", code = self.kind.query_code())]
pub struct SqsError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Every error SQS can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidParameterValue,
    MissingParameter,
    /// A JSON member of the wrong type (the JSON protocol's deserializer, before any validation).
    MalformedInput,
    InvalidAction,
    InvalidAttributeName,
    InvalidAttributeValue,
    InvalidMessageContents,
    QueueDoesNotExist,
    QueueNameExists,
    QueueDeletedRecently,
    PurgeQueueInProgress,
    ReceiptHandleIsInvalid,
    MessageNotInflight,
    TooManyEntriesInBatchRequest,
    EmptyBatchRequest,
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    InvalidBatchEntryId,
    OverLimit,
    /// A `QueueUrl` that is neither a URL, a request path nor a queue name.
    InvalidAddress,
    UnsupportedOperation,
    ResourceNotFound,
    InternalError,
    ServiceUnavailable,
}

impl ErrorKind {
    /// The code of the AWS Query protocol (and of the `x-amzn-query-error` header).
    pub fn query_code(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameterValue => "InvalidParameterValue",
            ErrorKind::MissingParameter => "MissingParameter",
            ErrorKind::MalformedInput => "MalformedInput",
            ErrorKind::InvalidAction => "InvalidAction",
            ErrorKind::InvalidAttributeName => "InvalidAttributeName",
            ErrorKind::InvalidAttributeValue => "InvalidAttributeValue",
            ErrorKind::InvalidMessageContents => "InvalidMessageContents",
            ErrorKind::QueueDoesNotExist => "AWS.SimpleQueueService.NonExistentQueue",
            ErrorKind::QueueNameExists => "QueueAlreadyExists",
            ErrorKind::QueueDeletedRecently => "AWS.SimpleQueueService.QueueDeletedRecently",
            ErrorKind::PurgeQueueInProgress => "AWS.SimpleQueueService.PurgeQueueInProgress",
            ErrorKind::ReceiptHandleIsInvalid => "ReceiptHandleIsInvalid",
            ErrorKind::MessageNotInflight => "AWS.SimpleQueueService.MessageNotInflight",
            ErrorKind::TooManyEntriesInBatchRequest => {
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
            }
            ErrorKind::EmptyBatchRequest => "AWS.SimpleQueueService.EmptyBatchRequest",
            ErrorKind::BatchEntryIdsNotDistinct => {
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct"
            }
            ErrorKind::BatchRequestTooLong => "AWS.SimpleQueueService.BatchRequestTooLong",
            ErrorKind::InvalidBatchEntryId => "AWS.SimpleQueueService.InvalidBatchEntryId",
            ErrorKind::OverLimit => "OverLimit",
            ErrorKind::InvalidAddress => "InvalidAddress",
            ErrorKind::UnsupportedOperation => "AWS.SimpleQueueService.UnsupportedOperation",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::InternalError => "InternalError",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// The shape name of the AWS JSON 1.0 protocol's `__type` (without namespace).
    pub fn json_type(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameterValue => "InvalidParameterValueException",
            ErrorKind::MissingParameter => "MissingRequiredParameterException",
            ErrorKind::MalformedInput => "SerializationException",
            ErrorKind::InvalidAction => "UnknownOperationException",
            ErrorKind::InvalidAttributeName => "InvalidAttributeName",
            ErrorKind::InvalidAttributeValue => "InvalidAttributeValue",
            ErrorKind::InvalidMessageContents => "InvalidMessageContents",
            ErrorKind::QueueDoesNotExist => "QueueDoesNotExist",
            ErrorKind::QueueNameExists => "QueueNameExists",
            ErrorKind::QueueDeletedRecently => "QueueDeletedRecently",
            ErrorKind::PurgeQueueInProgress => "PurgeQueueInProgress",
            ErrorKind::ReceiptHandleIsInvalid => "ReceiptHandleIsInvalid",
            ErrorKind::MessageNotInflight => "MessageNotInflight",
            ErrorKind::TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            ErrorKind::EmptyBatchRequest => "EmptyBatchRequest",
            ErrorKind::BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            ErrorKind::BatchRequestTooLong => "BatchRequestTooLong",
            ErrorKind::InvalidBatchEntryId => "InvalidBatchEntryId",
            ErrorKind::OverLimit => "OverLimit",
            ErrorKind::InvalidAddress => "InvalidAddress",
            ErrorKind::UnsupportedOperation => "UnsupportedOperation",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::InternalError => "InternalError",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// HTTP status of the error response.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InternalError => 500,
            ErrorKind::ServiceUnavailable => 503,
            ErrorKind::PurgeQueueInProgress | ErrorKind::OverLimit => 403,
            // Move tasks: AWS answers 404 (LocalStack's AWS-validated test_sqs_move_task.snapshot.json).
            ErrorKind::ResourceNotFound => 404,
            _ => 400,
        }
    }

    /// Whether the error is modeled in the service's API (its JSON `__type` then lives in the service's
    /// namespace); the generic ones come from AWS's common namespace.
    pub fn modeled(self) -> bool {
        !matches!(
            self,
            ErrorKind::InvalidParameterValue
                | ErrorKind::MissingParameter
                | ErrorKind::MalformedInput
                | ErrorKind::InvalidAction
                | ErrorKind::InternalError
                | ErrorKind::ServiceUnavailable
        )
    }

    /// Whether the caller (`Sender`) or the service (`Receiver`) is at fault.
    pub fn sender_fault(self) -> bool {
        !matches!(
            self,
            ErrorKind::InternalError | ErrorKind::ServiceUnavailable
        )
    }
}

impl SqsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SqsError {
            kind,
            message: message.into(),
        }
    }

    pub fn queue_does_not_exist() -> Self {
        Self::new(
            ErrorKind::QueueDoesNotExist,
            "The specified queue does not exist.",
        )
    }

    pub fn missing(parameter: &str) -> Self {
        Self::new(
            ErrorKind::MissingParameter,
            format!("The request must contain the parameter {parameter}."),
        )
    }

    /// `Value X for parameter P is invalid. Reason: R.` — the shape AWS uses for most validation errors.
    pub fn invalid_value(parameter: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Self::new(
            ErrorKind::InvalidParameterValue,
            format!("Value {value} for parameter {parameter} is invalid. Reason: {reason}"),
        )
    }

    pub fn invalid_parameter(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidParameterValue, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalError, message)
    }
}

impl From<wharf_store::StoreError> for SqsError {
    fn from(error: wharf_store::StoreError) -> Self {
        tracing::error!(%error, "store write failed");
        SqsError::new(
            ErrorKind::ServiceUnavailable,
            "The request has failed due to a temporary failure of the server.",
        )
    }
}

pub type SqsResult<T> = Result<T, SqsError>;
