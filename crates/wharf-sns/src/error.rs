//! The SNS error taxonomy: one enum, each variant mapped to AWS's Query error code, HTTP status and fault
//! side (from the API model's error shapes). The wire layer encodes it in one place.

/// An SNS error as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}", code = self.kind.query_code())]
pub struct SnsError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Every error SNS answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    InvalidParameter,
    InvalidParameterValue,
    NotFound,
    ResourceNotFound,
    AuthorizationError,
    InvalidAction,
    /// A Query request without `Action` (AWS's common error).
    MissingAction,
    TopicLimitExceeded,
    SubscriptionLimitExceeded,
    FilterPolicyLimitExceeded,
    TagLimitExceeded,
    TagPolicy,
    InvalidState,
    EndpointDisabled,
    PlatformApplicationDisabled,
    EmptyBatchRequest,
    TooManyEntriesInBatchRequest,
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    InvalidBatchEntryId,
    Throttled,
    OptedOut,
    Validation,
    InternalError,
    ServiceUnavailable,
}

impl ErrorKind {
    /// The `<Code>` of the Query protocol's error response.
    pub fn query_code(self) -> &'static str {
        match self {
            ErrorKind::InvalidParameter => "InvalidParameter",
            ErrorKind::InvalidParameterValue => "ParameterValueInvalid",
            ErrorKind::NotFound => "NotFound",
            ErrorKind::ResourceNotFound => "ResourceNotFound",
            ErrorKind::AuthorizationError => "AuthorizationError",
            ErrorKind::InvalidAction => "InvalidAction",
            ErrorKind::MissingAction => "MissingAction",
            ErrorKind::TopicLimitExceeded => "TopicLimitExceeded",
            ErrorKind::SubscriptionLimitExceeded => "SubscriptionLimitExceeded",
            ErrorKind::FilterPolicyLimitExceeded => "FilterPolicyLimitExceeded",
            ErrorKind::TagLimitExceeded => "TagLimitExceeded",
            ErrorKind::TagPolicy => "TagPolicy",
            ErrorKind::InvalidState => "InvalidState",
            ErrorKind::EndpointDisabled => "EndpointDisabled",
            ErrorKind::PlatformApplicationDisabled => "PlatformApplicationDisabled",
            ErrorKind::EmptyBatchRequest => "EmptyBatchRequest",
            ErrorKind::TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            ErrorKind::BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            ErrorKind::BatchRequestTooLong => "BatchRequestTooLong",
            ErrorKind::InvalidBatchEntryId => "InvalidBatchEntryId",
            ErrorKind::Throttled => "Throttled",
            ErrorKind::OptedOut => "OptedOut",
            ErrorKind::Validation => "ValidationException",
            ErrorKind::InternalError => "InternalError",
            ErrorKind::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// HTTP status of the error response.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::NotFound | ErrorKind::ResourceNotFound => 404,
            ErrorKind::AuthorizationError
            | ErrorKind::TopicLimitExceeded
            | ErrorKind::SubscriptionLimitExceeded
            | ErrorKind::FilterPolicyLimitExceeded => 403,
            ErrorKind::Throttled => 429,
            ErrorKind::InternalError => 500,
            ErrorKind::ServiceUnavailable => 503,
            _ => 400,
        }
    }

    /// Whether the caller (`Sender`) or the service (`Receiver`) is at fault.
    pub fn sender_fault(self) -> bool {
        !matches!(
            self,
            ErrorKind::InternalError | ErrorKind::ServiceUnavailable
        )
    }
}

impl SnsError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        SnsError {
            kind,
            message: message.into(),
        }
    }

    /// `InvalidParameter` with AWS's `Invalid parameter: ` prefix.
    pub fn invalid(detail: impl std::fmt::Display) -> Self {
        Self::new(
            ErrorKind::InvalidParameter,
            format!("Invalid parameter: {detail}"),
        )
    }

    /// `Invalid parameter: <Name> Reason: <reason>`.
    pub fn invalid_reason(parameter: &str, reason: impl std::fmt::Display) -> Self {
        Self::invalid(format!("{parameter} Reason: {reason}"))
    }

    pub fn topic_not_found() -> Self {
        Self::new(ErrorKind::NotFound, "Topic does not exist")
    }

    pub fn subscription_not_found() -> Self {
        Self::new(ErrorKind::NotFound, "Subscription does not exist")
    }

    pub fn resource_not_found() -> Self {
        Self::new(ErrorKind::ResourceNotFound, "Resource does not exist")
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalError, message)
    }
}

impl From<wharf_store::StoreError> for SnsError {
    fn from(error: wharf_store::StoreError) -> Self {
        tracing::error!(%error, "store write failed");
        SnsError::new(
            ErrorKind::ServiceUnavailable,
            "The request has failed due to a temporary failure of the server.",
        )
    }
}

pub type SnsResult<T> = Result<T, SnsError>;
