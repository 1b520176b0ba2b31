//! The SNS actions, grouped by what they act on.

pub mod platform;
pub(crate) mod publish;
mod subscriptions;
mod tags;
mod topics;

use crate::error::{SnsError, SnsResult};

/// A required parameter, or AWS's `Invalid parameter: <Name>`.
pub(crate) fn required<'a>(value: &'a Option<String>, name: &str) -> SnsResult<&'a str> {
    value
        .as_deref()
        .filter(|v| !v.is_empty())
        .ok_or_else(|| SnsError::invalid(name))
}
