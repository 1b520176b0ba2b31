//! The Kinesis error taxonomy: one enum of AWS error types, each with its HTTP status. The wire layer
//! encodes it as `{"__type": ..., "message": ...}` (JSON 1.1 or CBOR) in one place.

/// A Kinesis error as AWS reports it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", kind.type_name())]
pub struct KinesisError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Every error type Kinesis answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A member violates its model constraint (length, pattern, range, enum, required).
    Validation,
    /// The request body does not parse into the operation's input shape.
    Serialization,
    InvalidArgument,
    ResourceNotFound,
    ResourceInUse,
    LimitExceeded,
    ProvisionedThroughputExceeded,
    ExpiredIterator,
    ExpiredNextToken,
    AccessDenied,
    /// A `DryRun` request that would have succeeded.
    DryRunOperation,
    /// Too many `DryRun` requests on one stream.
    Throttling,
    UnknownOperation,
    InternalFailure,
}

impl ErrorKind {
    /// The `__type` of the error response (the shape name).
    pub fn type_name(self) -> &'static str {
        match self {
            ErrorKind::Validation => "ValidationException",
            ErrorKind::Serialization => "SerializationException",
            ErrorKind::InvalidArgument => "InvalidArgumentException",
            ErrorKind::ResourceNotFound => "ResourceNotFoundException",
            ErrorKind::ResourceInUse => "ResourceInUseException",
            ErrorKind::LimitExceeded => "LimitExceededException",
            ErrorKind::ProvisionedThroughputExceeded => "ProvisionedThroughputExceededException",
            ErrorKind::ExpiredIterator => "ExpiredIteratorException",
            ErrorKind::ExpiredNextToken => "ExpiredNextTokenException",
            ErrorKind::AccessDenied => "AccessDeniedException",
            ErrorKind::DryRunOperation => "DryRunOperationException",
            ErrorKind::Throttling => "ThrottlingException",
            ErrorKind::UnknownOperation => "UnknownOperationException",
            ErrorKind::InternalFailure => "InternalFailure",
        }
    }

    /// HTTP status of the error response: Kinesis answers every client error with 400.
    pub fn http_status(self) -> u16 {
        match self {
            ErrorKind::InternalFailure => 500,
            _ => 400,
        }
    }
}

impl KinesisError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        KinesisError {
            kind,
            message: message.into(),
        }
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceNotFound, message)
    }

    pub fn in_use(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::ResourceInUse, message)
    }

    pub fn limit_exceeded(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::LimitExceeded, message)
    }

    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InternalFailure, message)
    }
}

impl From<wharf_store::StoreError> for KinesisError {
    fn from(error: wharf_store::StoreError) -> Self {
        tracing::error!(%error, "kinesis store operation failed");
        KinesisError::internal("Internal service failure.")
    }
}

pub type KinesisResult<T> = Result<T, KinesisError>;

/// Collects model-constraint violations and renders them as AWS does:
/// `2 validation errors detected: Value 'x' at 'streamName' failed to satisfy constraint: ...; ...`.
///
/// As recorded against AWS (kinesalite's tests, run against production): the stream's name comes after
/// every other member, and at most [`MAX_REPORTED`](Self::MAX_REPORTED) violations are listed (and counted).
#[derive(Debug, Default)]
pub struct Validation {
    /// (member, rendered violation), in the order found.
    errors: Vec<(String, String)>,
}

impl Validation {
    pub fn new() -> Self {
        Self::default()
    }

    /// AWS lists (and counts) no more than ten violations.
    pub const MAX_REPORTED: usize = 10;

    fn push(&mut self, rendered_value: String, member: &str, constraint: &str) {
        self.errors.push((
            member.to_string(),
            format!(
                "Value {rendered_value} at '{member}' failed to satisfy constraint: {constraint}"
            ),
        ));
    }

    /// A violation for a string value.
    pub fn fail(&mut self, value: &str, member: &str, constraint: &str) {
        self.push(format!("'{value}'"), member, constraint);
    }

    /// A violation for a number (rendered like a string, as AWS does).
    pub fn fail_number(&mut self, value: i64, member: &str, constraint: &str) {
        self.push(format!("'{value}'"), member, constraint);
    }

    /// A violation for a blob (AWS prints the Java buffer).
    pub fn fail_blob(&mut self, len: usize, member: &str, constraint: &str) {
        self.push(
            format!("'java.nio.HeapByteBuffer[pos=0 lim={len} cap={len}]'"),
            member,
            constraint,
        );
    }

    /// A violation for a value rendered by the caller (a list or map, as Java prints it).
    pub fn fail_rendered(&mut self, rendered: &str, member: &str, constraint: &str) {
        self.push(format!("'{rendered}'"), member, constraint);
    }

    /// A missing required member.
    pub fn null(&mut self, member: &str) {
        self.push("null".into(), member, "Member must not be null");
    }

    /// A required member: returns it, or records `Member must not be null`.
    pub fn required<'a, T>(&mut self, value: &'a Option<T>, member: &str) -> Option<&'a T> {
        if value.is_none() {
            self.null(member);
        }
        value.as_ref()
    }

    /// String length bounds (in characters, as the Java model counts UTF-16 units; close enough).
    pub fn length(&mut self, value: &str, member: &str, min: usize, max: usize) {
        let len = value.encode_utf16().count();
        if len < min {
            self.fail(
                value,
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > max {
            self.fail(
                value,
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    /// A regular-expression constraint, checked by `matches` (the pattern text is only for the message).
    pub fn pattern(&mut self, value: &str, member: &str, pattern: &str, matches: bool) {
        if !matches {
            self.fail(
                value,
                member,
                &format!("Member must satisfy regular expression pattern: {pattern}"),
            );
        }
    }

    /// An enum constraint.
    pub fn one_of(&mut self, value: &str, member: &str, allowed: &[&str]) -> bool {
        let ok = allowed.contains(&value);
        if !ok {
            self.fail(
                value,
                member,
                &format!(
                    "Member must satisfy enum value set: [{}]",
                    allowed.join(", ")
                ),
            );
        }
        ok
    }

    /// Integer bounds.
    pub fn range(&mut self, value: i64, member: &str, min: Option<i64>, max: Option<i64>) {
        if let Some(min) = min {
            if value < min {
                self.fail_number(
                    value,
                    member,
                    &format!("Member must have value greater than or equal to {min}"),
                );
            }
        }
        if let Some(max) = max {
            if value > max {
                self.fail_number(
                    value,
                    member,
                    &format!("Member must have value less than or equal to {max}"),
                );
            }
        }
    }

    /// Collection size bounds.
    pub fn count(&mut self, len: usize, member: &str, min: usize, max: usize, rendered: &str) {
        if len < min {
            self.push(
                rendered.to_string(),
                member,
                &format!("Member must have length greater than or equal to {min}"),
            );
        }
        if len > max {
            self.push(
                rendered.to_string(),
                member,
                &format!("Member must have length less than or equal to {max}"),
            );
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// `Ok(())` if nothing failed, otherwise the `ValidationException`.
    pub fn finish(self) -> KinesisResult<()> {
        // The stream reference last (stable: the other members keep their order).
        let (stream, mut errors): (Vec<_>, Vec<_>) = self
            .errors
            .into_iter()
            .partition(|(member, _)| member == "streamName" || member == "streamARN");
        errors.extend(stream);
        errors.truncate(Self::MAX_REPORTED);
        let listed: Vec<String> = errors.into_iter().map(|(_, text)| text).collect();
        match listed.len() {
            0 => Ok(()),
            1 => Err(KinesisError::new(
                ErrorKind::Validation,
                format!("1 validation error detected: {}", listed[0]),
            )),
            n => Err(KinesisError::new(
                ErrorKind::Validation,
                format!("{n} validation errors detected: {}", listed.join("; ")),
            )),
        }
    }
}
