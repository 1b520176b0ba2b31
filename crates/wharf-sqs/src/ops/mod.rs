//! The SQS actions, grouped by what they act on.

pub mod move_tasks;
mod permissions;
mod queues;
mod receipts;
mod receive;
pub(crate) mod send;
mod tags;

use crate::error::{SqsError, SqsResult};

/// A required parameter, or AWS's `MissingParameter`.
pub(crate) fn required<'a>(value: &'a Option<String>, name: &str) -> SqsResult<&'a str> {
    value.as_deref().ok_or_else(|| SqsError::missing(name))
}

/// An optional integer parameter within `min..=max`, or `InvalidParameterValue` with `reason`.
pub(crate) fn ranged(
    value: Option<i64>,
    name: &str,
    min: i64,
    max: i64,
    reason: &str,
) -> SqsResult<Option<u64>> {
    match value {
        None => Ok(None),
        Some(v) if (min..=max).contains(&v) => Ok(Some(v as u64)),
        Some(v) => Err(SqsError::invalid_value(name, v, reason)),
    }
}
