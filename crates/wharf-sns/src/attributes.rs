//! Topic and subscription attributes: which exist, which may be set, how they are validated, and the
//! documents SNS derives from them (default access policy, effective delivery policy, retry policies).

use serde_json::{Map, Value};

use crate::error::{SnsError, SnsResult};
use crate::filter::{FilterPolicy, FilterScope, PolicyError};

/// Topic attributes a caller may set (CreateTopic `Attributes`, SetTopicAttributes).
pub const SETTABLE_TOPIC_ATTRIBUTES: &[&str] = &[
    "DeliveryPolicy",
    "DisplayName",
    "Policy",
    "KmsMasterKeyId",
    "SignatureVersion",
    "TracingConfig",
    "ContentBasedDeduplication",
    "FifoThroughputScope",
    "ArchivePolicy",
    "MaximumMessageSize",
    "ApplicationSuccessFeedbackRoleArn",
    "ApplicationSuccessFeedbackSampleRate",
    "ApplicationFailureFeedbackRoleArn",
    "HTTPSuccessFeedbackRoleArn",
    "HTTPSuccessFeedbackSampleRate",
    "HTTPFailureFeedbackRoleArn",
    "LambdaSuccessFeedbackRoleArn",
    "LambdaSuccessFeedbackSampleRate",
    "LambdaFailureFeedbackRoleArn",
    "SQSSuccessFeedbackRoleArn",
    "SQSSuccessFeedbackSampleRate",
    "SQSFailureFeedbackRoleArn",
    "FirehoseSuccessFeedbackRoleArn",
    "FirehoseSuccessFeedbackSampleRate",
    "FirehoseFailureFeedbackRoleArn",
];

/// Subscription attributes a caller may set (Subscribe `Attributes`, SetSubscriptionAttributes).
pub const SETTABLE_SUBSCRIPTION_ATTRIBUTES: &[&str] = &[
    "DeliveryPolicy",
    "FilterPolicy",
    "FilterPolicyScope",
    "RawMessageDelivery",
    "RedrivePolicy",
    "SubscriptionRoleArn",
    "ReplayPolicy",
];

const BOOLEAN: &[&str] = &["true", "false"];

/// The access policy every topic starts with.
pub fn default_topic_policy(topic_arn: &str, account: &str) -> String {
    format!(
        concat!(
            r#"{{"Version":"2008-10-17","Id":"__default_policy_ID","Statement":[{{"Sid":"__default_statement_ID","#,
            r#""Effect":"Allow","Principal":{{"AWS":"*"}},"Action":["SNS:GetTopicAttributes","SNS:SetTopicAttributes","#,
            r#""SNS:AddPermission","SNS:RemovePermission","SNS:DeleteTopic","SNS:Subscribe","SNS:ListSubscriptionsByTopic","#,
            r#""SNS:Publish"],"Resource":"{arn}","Condition":{{"StringEquals":{{"AWS:SourceOwner":"{account}"}}}}}}]}}"#
        ),
        arn = topic_arn,
        account = account
    )
}

/// Validates one topic attribute for a topic of the given kind (`creating`: FifoTopic is allowed).
pub fn validate_topic_attribute(
    name: &str,
    value: &str,
    fifo: bool,
    creating: bool,
) -> SnsResult<()> {
    match name {
        "FifoTopic" if creating => {
            if !BOOLEAN.contains(&value.to_ascii_lowercase().as_str()) {
                return Err(SnsError::invalid_reason(
                    "Attributes",
                    "FifoTopic: Invalid value [".to_string() + value + "]. Must be true or false.",
                ));
            }
        }
        "ContentBasedDeduplication" => {
            if !fifo {
                return Err(SnsError::invalid_reason(
                    "ContentBasedDeduplication",
                    "Content based deduplication can only be set for FIFO topics",
                ));
            }
            if !BOOLEAN.contains(&value.to_ascii_lowercase().as_str()) {
                return Err(SnsError::invalid_reason(
                    "ContentBasedDeduplication",
                    format!("Invalid value [{value}]. Must be true or false."),
                ));
            }
        }
        "FifoThroughputScope" => {
            if !fifo {
                return Err(SnsError::invalid_reason(
                    "FifoThroughputScope",
                    "FifoThroughputScope can only be set for FIFO topics",
                ));
            }
            if !matches!(value, "Topic" | "MessageGroup") {
                return Err(SnsError::invalid_reason(
                    "FifoThroughputScope",
                    format!("Invalid value [{value}]. Must be Topic or MessageGroup."),
                ));
            }
        }
        "ArchivePolicy" => {
            if !fifo {
                return Err(SnsError::invalid_reason(
                    "ArchivePolicy",
                    "The archive policy can only be set for FIFO topics",
                ));
            }
            validate_archive_policy(value)?;
        }
        "MaximumMessageSize" => {
            if parse_maximum_message_size(value).is_none() {
                return Err(SnsError::invalid_reason(
                    "MaximumMessageSize",
                    format!(
                        "Invalid value [{value}]. Must be an integer between {MIN_MAXIMUM_MESSAGE_SIZE} and {MAX_MAXIMUM_MESSAGE_SIZE}."
                    ),
                ));
            }
        }
        "SignatureVersion" => {
            if !matches!(value, "1" | "2") {
                return Err(SnsError::invalid_reason(
                    "SignatureVersion",
                    "SignatureVersion must be 1 or 2",
                ));
            }
        }
        "TracingConfig" => {
            if !matches!(value, "PassThrough" | "Active") {
                return Err(SnsError::invalid_reason(
                    "TracingConfig",
                    "TracingConfig must be PassThrough or Active",
                ));
            }
        }
        "DisplayName" => {
            if value.chars().count() > 100 {
                return Err(SnsError::invalid_reason(
                    "DisplayName",
                    "DisplayName must be at most 100 characters",
                ));
            }
        }
        "Policy" => {
            if value.len() > MAX_TOPIC_POLICY_BYTES {
                return Err(SnsError::invalid_reason(
                    "Policy",
                    format!("Policy size exceeds the maximum of {MAX_TOPIC_POLICY_BYTES} bytes"),
                ));
            }
            let policy = json_object(value, "Policy")?;
            let statements = match policy.get("Statement") {
                None => return Err(SnsError::invalid("Policy Error: null".to_string())),
                Some(Value::Array(statements)) => statements.len(),
                Some(_) => 1,
            };
            if statements > MAX_TOPIC_POLICY_STATEMENTS {
                return Err(SnsError::invalid_reason(
                    "Policy",
                    format!(
                        "Policy has {statements} statements; the maximum is {MAX_TOPIC_POLICY_STATEMENTS}"
                    ),
                ));
            }
        }
        "DeliveryPolicy" => validate_topic_delivery_policy(value)?,
        name if name.ends_with("SampleRate") => {
            if !value.parse::<u32>().is_ok_and(|v| v <= 100) {
                return Err(SnsError::invalid_reason(
                    name,
                    "Sample rate must be an integer between 0 and 100",
                ));
            }
        }
        name if SETTABLE_TOPIC_ATTRIBUTES.contains(&name) => {}
        _ => return Err(SnsError::invalid("AttributeName")),
    }
    Ok(())
}

/// A topic's `MaximumMessageSize` by default (256 KiB), and the bounds of the values it may be set to.
/// Topic policy quotas: 30 KB and 100 statements.
/// <https://docs.aws.amazon.com/sns/latest/dg/sns-access-policy-language-api-permissions-reference.html>
pub const MAX_TOPIC_POLICY_BYTES: usize = 30 * 1024;
pub const MAX_TOPIC_POLICY_STATEMENTS: usize = 100;

pub const DEFAULT_MAXIMUM_MESSAGE_SIZE: usize = 262_144;
pub const MIN_MAXIMUM_MESSAGE_SIZE: usize = 1_024;
pub const MAX_MAXIMUM_MESSAGE_SIZE: usize = 1_048_576;

/// Protocols a topic whose `MaximumMessageSize` is above 256 KiB may deliver to (and at most
/// [`MAX_LARGE_MESSAGE_SUBSCRIPTIONS`] subscriptions of them).
pub const LARGE_MESSAGE_PROTOCOLS: &[&str] = &["sqs", "firehose", "lambda"];
pub const MAX_LARGE_MESSAGE_SUBSCRIPTIONS: usize = 100;

/// A `MaximumMessageSize` value: an integer number of bytes from 1 KiB to 1 MiB.
pub fn parse_maximum_message_size(value: &str) -> Option<usize> {
    value
        .parse::<usize>()
        .ok()
        .filter(|n| (MIN_MAXIMUM_MESSAGE_SIZE..=MAX_MAXIMUM_MESSAGE_SIZE).contains(n))
}

/// The largest message (body plus attributes) a topic with these attributes accepts.
pub fn topic_maximum_message_size(attributes: &crate::model::Attributes) -> usize {
    attributes
        .get("MaximumMessageSize")
        .and_then(|v| parse_maximum_message_size(v))
        .unwrap_or(DEFAULT_MAXIMUM_MESSAGE_SIZE)
}

/// A topic taking messages above 256 KiB has at most 100 subscriptions, all of them SQS, Firehose or
/// Lambda; `protocols` are those of its subscriptions.
pub fn check_large_message_subscriptions<'a>(
    maximum_message_size: usize,
    protocols: impl ExactSizeIterator<Item = &'a str>,
) -> SnsResult<()> {
    if maximum_message_size <= DEFAULT_MAXIMUM_MESSAGE_SIZE {
        return Ok(());
    }
    let count = protocols.len();
    let mut protocols = protocols;
    if count > MAX_LARGE_MESSAGE_SUBSCRIPTIONS
        || protocols.any(|p| !LARGE_MESSAGE_PROTOCOLS.contains(&p))
    {
        return Err(SnsError::invalid_reason(
            "MaximumMessageSize",
            "A topic with a MaximumMessageSize above 262144 bytes must have 100 or fewer subscriptions, each of them an Amazon SQS, Amazon Data Firehose or Lambda subscription.",
        ));
    }
    Ok(())
}

/// A FIFO topic's `ArchivePolicy`: `{"MessageRetentionPeriod": <days, 1..365>}`, or `{}` (archiving off).
fn validate_archive_policy(text: &str) -> SnsResult<()> {
    let policy = json_object(text, "ArchivePolicy")?;
    if let Some(key) = policy.keys().find(|k| *k != "MessageRetentionPeriod") {
        return Err(SnsError::invalid_reason(
            "ArchivePolicy",
            format!("Unrecognized archive policy key {key}"),
        ));
    }
    if let Some(period) = policy.get("MessageRetentionPeriod") {
        let days = period
            .as_u64()
            .or_else(|| period.as_str().and_then(|s| s.parse().ok()));
        if !days.is_some_and(|d| (1..=365).contains(&d)) {
            return Err(SnsError::invalid_reason(
                "ArchivePolicy",
                "MessageRetentionPeriod must be an integer number of days between 1 and 365",
            ));
        }
    }
    Ok(())
}

/// Whether an (already validated) `ArchivePolicy` turns archiving on (`{}` turns it off).
pub fn archive_policy_active(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("MessageRetentionPeriod").cloned())
        .is_some()
}

fn json_object(text: &str, parameter: &str) -> SnsResult<Map<String, Value>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(SnsError::invalid(format!(
            "{parameter}: failed to parse JSON"
        ))),
    }
}

/// How the delay between retries grows in the backoff phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backoff {
    Linear,
    Arithmetic,
    Geometric,
    Exponential,
}

impl Backoff {
    fn parse(text: &str) -> Option<Self> {
        match text.to_ascii_lowercase().as_str() {
            "linear" => Some(Backoff::Linear),
            "arithmetic" => Some(Backoff::Arithmetic),
            "geometric" => Some(Backoff::Geometric),
            "exponential" => Some(Backoff::Exponential),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Backoff::Linear => "linear",
            Backoff::Arithmetic => "arithmetic",
            Backoff::Geometric => "geometric",
            Backoff::Exponential => "exponential",
        }
    }
}

/// An HTTP/S retry policy (`healthyRetryPolicy`): the four phases of AWS's delivery policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub min_delay_target: u32,
    pub max_delay_target: u32,
    pub num_retries: u32,
    pub num_no_delay_retries: u32,
    pub num_min_delay_retries: u32,
    pub num_max_delay_retries: u32,
    pub backoff: Backoff,
}

impl Default for RetryPolicy {
    /// AWS's default for HTTP/S: three retries, 20 seconds apart.
    fn default() -> Self {
        RetryPolicy {
            min_delay_target: 20,
            max_delay_target: 20,
            num_retries: 3,
            num_no_delay_retries: 0,
            num_min_delay_retries: 0,
            num_max_delay_retries: 0,
            backoff: Backoff::Linear,
        }
    }
}

impl RetryPolicy {
    /// Seconds to wait before retry number `retry` (1-based), or `None` when the policy is exhausted.
    ///
    /// Phases, in order: `numNoDelayRetries` immediate retries; `numMinDelayRetries` retries
    /// `minDelayTarget` apart; the backoff phase (the remaining `numRetries - noDelay - minDelay - maxDelay`
    /// retries), whose delays grow from just above `minDelayTarget` to `maxDelayTarget` along the backoff
    /// function; then `numMaxDelayRetries` retries `maxDelayTarget` apart. With `n` backoff retries and
    /// `j = 1..n`, `min`/`max` the targets:
    /// linear `min + (max-min)·j/n`, arithmetic `min + (max-min)·j(j+1)/(n(n+1))`,
    /// geometric `min·(max/min)^(j/n)`, exponential `min + (max-min)·(2^j-1)/(2^n-1)`.
    pub fn delay_before_retry(&self, retry: u32) -> Option<f64> {
        if retry == 0 || retry > self.num_retries {
            return None;
        }
        let min = f64::from(self.min_delay_target);
        let max = f64::from(self.max_delay_target);
        let no_delay = self.num_no_delay_retries;
        let min_phase = no_delay + self.num_min_delay_retries;
        let backoff_count = self
            .num_retries
            .saturating_sub(min_phase + self.num_max_delay_retries);
        if retry <= no_delay {
            return Some(0.0);
        }
        if retry <= min_phase {
            return Some(min);
        }
        if retry <= min_phase + backoff_count {
            let j = f64::from(retry - min_phase);
            let n = f64::from(backoff_count);
            let delay = match self.backoff {
                Backoff::Linear => min + (max - min) * j / n,
                Backoff::Arithmetic => min + (max - min) * j * (j + 1.0) / (n * (n + 1.0)),
                Backoff::Geometric => min * (max / min).powf(j / n),
                Backoff::Exponential => {
                    min + (max - min) * (2f64.powf(j) - 1.0) / (2f64.powf(n) - 1.0)
                }
            };
            return Some(delay.clamp(min, max));
        }
        Some(max)
    }

    /// Total seconds of waiting the policy allows (AWS caps it at 3,600).
    pub fn total_seconds(&self) -> f64 {
        (1..=self.num_retries)
            .filter_map(|r| self.delay_before_retry(r))
            .sum()
    }

    /// The policy as JSON, keys in the order AWS prints them.
    pub fn to_json_string(&self) -> String {
        format!(
            r#"{{"minDelayTarget":{},"maxDelayTarget":{},"numRetries":{},"numMaxDelayRetries":{},"numNoDelayRetries":{},"numMinDelayRetries":{},"backoffFunction":"{}"}}"#,
            self.min_delay_target,
            self.max_delay_target,
            self.num_retries,
            self.num_max_delay_retries,
            self.num_no_delay_retries,
            self.num_min_delay_retries,
            self.backoff.as_str()
        )
    }

    fn parse(value: &Value, context: &str) -> SnsResult<RetryPolicy> {
        let Value::Object(map) = value else {
            return Err(delivery_error(format!("{context} must be an object")));
        };
        let mut policy = RetryPolicy::default();
        let field = |name: &str, default: u32, max: u32| -> SnsResult<u32> {
            match map.get(name) {
                None | Some(Value::Null) => Ok(default),
                Some(v) => v
                    .as_u64()
                    .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                    .filter(|n| *n <= u64::from(max))
                    .map(|n| n as u32)
                    .ok_or_else(|| {
                        delivery_error(format!(
                            "{context}.{name} must be an integer between 0 and {max}"
                        ))
                    }),
            }
        };
        policy.min_delay_target = field("minDelayTarget", 20, 3600)?;
        policy.max_delay_target = field("maxDelayTarget", 20, 3600)?;
        policy.num_retries = field("numRetries", 3, 100)?;
        policy.num_no_delay_retries = field("numNoDelayRetries", 0, 100)?;
        policy.num_min_delay_retries = field("numMinDelayRetries", 0, 100)?;
        policy.num_max_delay_retries = field("numMaxDelayRetries", 0, 100)?;
        if let Some(f) = map.get("backoffFunction").filter(|v| !v.is_null()) {
            policy.backoff = f.as_str().and_then(Backoff::parse).ok_or_else(|| {
                delivery_error(format!(
                    "{context}.backoffFunction must be one of arithmetic, exponential, geometric, linear"
                ))
            })?;
        }
        if policy.min_delay_target < 1 {
            return Err(delivery_error(format!(
                "{context}.minDelayTarget must be at least 1"
            )));
        }
        if policy.min_delay_target > policy.max_delay_target {
            return Err(delivery_error(format!(
                "{context}.minDelayTarget must be less than or equal to maxDelayTarget"
            )));
        }
        if policy.num_no_delay_retries + policy.num_min_delay_retries + policy.num_max_delay_retries
            > policy.num_retries
        {
            return Err(delivery_error(format!(
                "{context}.numRetries must be greater than or equal to the sum of numNoDelayRetries, numMinDelayRetries and numMaxDelayRetries"
            )));
        }
        if policy.total_seconds() > 3600.0 {
            return Err(delivery_error(format!(
                "{context}: the total retry time must not exceed 3600 seconds"
            )));
        }
        Ok(policy)
    }
}

fn delivery_error(detail: String) -> SnsError {
    SnsError::invalid(format!("DeliveryPolicy: {detail}"))
}

fn validate_throttle(value: &Value, context: &str) -> SnsResult<()> {
    match value {
        Value::Null => Ok(()),
        Value::Object(map) => match map.get("maxReceivesPerSecond") {
            None | Some(Value::Null) => Ok(()),
            Some(v) if v.as_u64().is_some_and(|n| n >= 1) => Ok(()),
            Some(_) => Err(delivery_error(format!(
                "{context}.maxReceivesPerSecond must be an integer greater than or equal to 1"
            ))),
        },
        _ => Err(delivery_error(format!("{context} must be an object"))),
    }
}

fn validate_request_policy(value: &Value, context: &str) -> SnsResult<()> {
    match value {
        Value::Null => Ok(()),
        Value::Object(map) => match map.get("headerContentType") {
            None | Some(Value::Null) => Ok(()),
            Some(Value::String(s)) if s.contains('/') => Ok(()),
            Some(_) => Err(delivery_error(format!(
                "{context}.headerContentType must be a content type"
            ))),
        },
        _ => Err(delivery_error(format!("{context} must be an object"))),
    }
}

/// A topic's `DeliveryPolicy`: `{"http": {"defaultHealthyRetryPolicy", "defaultThrottlePolicy",
/// "defaultRequestPolicy", "disableSubscriptionOverrides"}}`.
pub fn validate_topic_delivery_policy(text: &str) -> SnsResult<()> {
    let map = json_object(text, "DeliveryPolicy")?;
    for (protocol, section) in &map {
        let Value::Object(section) = section else {
            return Err(delivery_error(format!("{protocol} must be an object")));
        };
        if let Some(p) = section.get("defaultHealthyRetryPolicy") {
            RetryPolicy::parse(p, "defaultHealthyRetryPolicy")?;
        }
        if let Some(p) = section
            .get("defaultSicklyRetryPolicy")
            .filter(|v| !v.is_null())
        {
            RetryPolicy::parse(p, "defaultSicklyRetryPolicy")?;
        }
        if let Some(p) = section.get("defaultThrottlePolicy") {
            validate_throttle(p, "defaultThrottlePolicy")?;
        }
        if let Some(p) = section.get("defaultRequestPolicy") {
            validate_request_policy(p, "defaultRequestPolicy")?;
        }
        if let Some(v) = section.get("disableSubscriptionOverrides") {
            if !v.is_boolean() {
                return Err(delivery_error(
                    "disableSubscriptionOverrides must be a boolean".into(),
                ));
            }
        }
    }
    Ok(())
}

/// A subscription's `DeliveryPolicy`: `{"healthyRetryPolicy", "throttlePolicy", "requestPolicy"}`.
pub fn validate_subscription_delivery_policy(text: &str) -> SnsResult<()> {
    let map = json_object(text, "DeliveryPolicy")?;
    if let Some(p) = map.get("healthyRetryPolicy").filter(|v| !v.is_null()) {
        RetryPolicy::parse(p, "healthyRetryPolicy")?;
    }
    if let Some(p) = map.get("sicklyRetryPolicy").filter(|v| !v.is_null()) {
        RetryPolicy::parse(p, "sicklyRetryPolicy")?;
    }
    if let Some(p) = map.get("throttlePolicy") {
        validate_throttle(p, "throttlePolicy")?;
    }
    if let Some(p) = map.get("requestPolicy") {
        validate_request_policy(p, "requestPolicy")?;
    }
    Ok(())
}

/// The delivery settings in force for one HTTP/S subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveDelivery {
    pub retry: RetryPolicy,
    pub content_type: String,
    pub max_receives_per_second: Option<u64>,
}

/// Resolves the subscription's policy over the topic's (unless the topic disables overrides) over AWS's
/// defaults.
pub fn effective_delivery(
    topic_policy: Option<&str>,
    subscription_policy: Option<&str>,
) -> EffectiveDelivery {
    let parse = |text: Option<&str>| {
        text.and_then(|t| serde_json::from_str::<Value>(t).ok())
            .unwrap_or(Value::Null)
    };
    let topic = parse(topic_policy);
    let topic_http = topic.get("http").cloned().unwrap_or(Value::Null);
    let subscription = parse(subscription_policy);
    let overrides_allowed = topic_http
        .get("disableSubscriptionOverrides")
        .and_then(Value::as_bool)
        != Some(true);
    let pick = |sub_key: &str, topic_key: &str| -> Option<Value> {
        let from_sub = subscription.get(sub_key).filter(|v| !v.is_null()).cloned();
        let from_topic = topic_http.get(topic_key).filter(|v| !v.is_null()).cloned();
        if overrides_allowed {
            from_sub.or(from_topic)
        } else {
            from_topic
        }
    };
    let retry = pick("healthyRetryPolicy", "defaultHealthyRetryPolicy")
        .and_then(|v| RetryPolicy::parse(&v, "healthyRetryPolicy").ok())
        .unwrap_or_default();
    let content_type = pick("requestPolicy", "defaultRequestPolicy")
        .and_then(|v| {
            v.get("headerContentType")
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .unwrap_or_else(|| "text/plain; charset=UTF-8".to_string());
    let max_receives_per_second = pick("throttlePolicy", "defaultThrottlePolicy")
        .and_then(|v| v.get("maxReceivesPerSecond").and_then(Value::as_u64));
    EffectiveDelivery {
        retry,
        content_type,
        max_receives_per_second,
    }
}

/// The topic's `EffectiveDeliveryPolicy` attribute.
pub fn topic_effective_delivery_policy(topic_policy: Option<&str>) -> String {
    let effective = effective_delivery(topic_policy, None);
    let topic = topic_policy
        .and_then(|t| serde_json::from_str::<Value>(t).ok())
        .unwrap_or(Value::Null);
    let http = topic.get("http").cloned().unwrap_or(Value::Null);
    let throttle = http
        .get("defaultThrottlePolicy")
        .filter(|v| !v.is_null())
        .map(|v| format!(r#""defaultThrottlePolicy":{v},"#))
        .unwrap_or_default();
    let disable = http
        .get("disableSubscriptionOverrides")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    format!(
        r#"{{"http":{{"defaultHealthyRetryPolicy":{},{throttle}"disableSubscriptionOverrides":{disable},"defaultRequestPolicy":{{"headerContentType":{}}}}}}}"#,
        effective.retry.to_json_string(),
        Value::String(effective.content_type)
    )
}

/// An HTTP/S subscription's `EffectiveDeliveryPolicy` attribute.
pub fn subscription_effective_delivery_policy(
    topic_policy: Option<&str>,
    subscription_policy: Option<&str>,
) -> String {
    let effective = effective_delivery(topic_policy, subscription_policy);
    let throttle = effective
        .max_receives_per_second
        .map(|n| format!(r#"{{"maxReceivesPerSecond":{n}}}"#))
        .unwrap_or_else(|| "null".to_string());
    format!(
        r#"{{"healthyRetryPolicy":{},"sicklyRetryPolicy":null,"throttlePolicy":{throttle},"requestPolicy":{{"headerContentType":{}}},"guaranteed":false}}"#,
        effective.retry.to_json_string(),
        Value::String(effective.content_type)
    )
}

/// A subscription's `RedrivePolicy`: `{"deadLetterTargetArn": "arn:aws:sqs:..."}`; returns the queue ARN.
pub fn parse_redrive_policy(text: &str) -> SnsResult<Option<String>> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let invalid = |reason: &str| SnsError::invalid(format!("RedrivePolicy: {reason}"));
    // AWS: "RedrivePolicy: failed to parse JSON. <parser detail>", as for FilterPolicy.
    let map = match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => map,
        Ok(_) => return Err(invalid("failed to parse JSON")),
        Err(e) => return Err(invalid(&format!("failed to parse JSON. {e}"))),
    };
    let arn = map
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("deadLetterTargetArn is missing"))?;
    if crate::util::parse_arn(arn, "sqs").is_none() {
        return Err(invalid("deadLetterTargetArn is an invalid arn"));
    }
    Ok(Some(arn.to_string()))
}

/// A FIFO queue subscribed to a FIFO topic needs a FIFO queue as its dead-letter queue.
pub fn validate_fifo_redrive(
    topic_fifo: bool,
    endpoint: &str,
    redrive_policy: Option<&str>,
) -> SnsResult<()> {
    let Some(dlq) = redrive_policy
        .map(parse_redrive_policy)
        .transpose()?
        .flatten()
    else {
        return Ok(());
    };
    if topic_fifo && endpoint.ends_with(".fifo") && !dlq.ends_with(".fifo") {
        return Err(SnsError::invalid(
            "RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic.",
        ));
    }
    Ok(())
}

/// Validates one subscription attribute for a subscription of `protocol` on a topic of the given kind;
/// returns the compiled filter policy when `name` touches it.
/// Which action refuses a subscription attribute: Subscribe names its `Attributes` parameter first
/// (AWS: "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [x]. Must be true or
/// false.", "... Attributes Reason: FilterPolicy: ..."), SetSubscriptionAttributes does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeCall {
    Subscribe,
    Set,
}

impl AttributeCall {
    fn refuse(self, reason: String) -> SnsError {
        match self {
            AttributeCall::Subscribe => SnsError::invalid_reason("Attributes", reason),
            AttributeCall::Set => SnsError::invalid(reason),
        }
    }

    /// A filter policy that does not compile: document errors as [`AttributeCall::refuse`] words them, a
    /// scope error the same for both actions.
    pub fn refuse_filter(self, error: PolicyError) -> SnsError {
        if error.in_document {
            self.refuse(error.reason)
        } else {
            SnsError::invalid(error.reason)
        }
    }
}

pub fn validate_subscription_attribute(
    name: &str,
    value: &str,
    protocol: &str,
    call: AttributeCall,
) -> SnsResult<()> {
    match name {
        "RawMessageDelivery" => {
            if !BOOLEAN.contains(&value.to_ascii_lowercase().as_str()) {
                return Err(call.refuse(format!(
                    "RawMessageDelivery: Invalid value [{value}]. Must be true or false."
                )));
            }
            // AWS refuses the attribute itself (even "false") on other protocols.
            if !matches!(protocol, "sqs" | "http" | "https" | "firehose") {
                return Err(SnsError::invalid(format!(
                    "Delivery protocol [{protocol}] does not support raw message delivery."
                )));
            }
        }
        "FilterPolicyScope" => {
            if FilterScope::parse(value).is_none() {
                return Err(SnsError::invalid(format!(
                    "FilterPolicyScope: Invalid value [{value}]. Please use either MessageBody or MessageAttributes"
                )));
            }
        }
        "FilterPolicy" => {}
        "RedrivePolicy" => {
            parse_redrive_policy(value)?;
        }
        "DeliveryPolicy" => {
            if !value.trim().is_empty() {
                validate_subscription_delivery_policy(value)?;
            }
        }
        "SubscriptionRoleArn" => {
            if !value.is_empty() && crate::util::parse_arn(value, "iam").is_none() {
                return Err(SnsError::invalid_reason(
                    "SubscriptionRoleArn",
                    "Invalid role arn",
                ));
            }
        }
        "ReplayPolicy" => {
            if !value.trim().is_empty() {
                json_object(value, "ReplayPolicy")?;
            }
        }
        _ => return Err(SnsError::invalid("AttributeName")),
    }
    Ok(())
}

/// Compiles a subscription's filter policy from its attributes (`None` when it has none).
pub fn compile_filter(
    attributes: &crate::model::Attributes,
) -> Result<Option<std::sync::Arc<FilterPolicy>>, PolicyError> {
    let Some(text) = attributes
        .get("FilterPolicy")
        .filter(|t| !t.trim().is_empty())
    else {
        return Ok(None);
    };
    let scope = attributes
        .get("FilterPolicyScope")
        .and_then(|s| FilterScope::parse(s))
        .unwrap_or(FilterScope::MessageAttributes);
    FilterPolicy::compile(text, scope).map(|p| Some(std::sync::Arc::new(p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_retry_schedule_is_three_retries_twenty_seconds_apart() {
        let p = RetryPolicy::default();
        let delays: Vec<f64> = (1..=4).filter_map(|r| p.delay_before_retry(r)).collect();
        assert_eq!(delays, vec![20.0, 20.0, 20.0]);
    }

    #[test]
    fn four_phases() {
        let p = RetryPolicy {
            min_delay_target: 1,
            max_delay_target: 60,
            num_retries: 10,
            num_no_delay_retries: 2,
            num_min_delay_retries: 2,
            num_max_delay_retries: 2,
            backoff: Backoff::Exponential,
        };
        let delays: Vec<f64> = (1..=11).filter_map(|r| p.delay_before_retry(r)).collect();
        assert_eq!(delays.len(), 10);
        assert_eq!(&delays[..4], &[0.0, 0.0, 1.0, 1.0]);
        assert_eq!(delays[7], 60.0); // the backoff phase ends at the maximum
        assert!(delays[4] < delays[5] && delays[5] < delays[6] && delays[6] < delays[7]);
        assert_eq!(&delays[8..], &[60.0, 60.0]);
        for backoff in [Backoff::Linear, Backoff::Arithmetic, Backoff::Geometric] {
            let q = RetryPolicy { backoff, ..p };
            let d: Vec<f64> = (5..=8).filter_map(|r| q.delay_before_retry(r)).collect();
            assert!(d.windows(2).all(|w| w[0] <= w[1]), "{backoff:?}: {d:?}");
            assert_eq!(d[3], 60.0);
        }
    }

    #[test]
    fn delivery_policy_validation() {
        assert!(validate_subscription_delivery_policy(
            r#"{"healthyRetryPolicy":{"minDelayTarget":5,"maxDelayTarget":10,"numRetries":6,"backoffFunction":"exponential"},"throttlePolicy":{"maxReceivesPerSecond":10},"requestPolicy":{"headerContentType":"application/json"}}"#
        )
        .is_ok());
        assert!(validate_subscription_delivery_policy(
            r#"{"healthyRetryPolicy":{"minDelayTarget":30,"maxDelayTarget":10}}"#
        )
        .is_err());
        assert!(validate_subscription_delivery_policy(
            r#"{"healthyRetryPolicy":{"numRetries":100,"minDelayTarget":3600,"maxDelayTarget":3600}}"#
        )
        .is_err());
        assert!(validate_subscription_delivery_policy(
            r#"{"healthyRetryPolicy":{"backoffFunction":"random"}}"#
        )
        .is_err());
        assert!(validate_topic_delivery_policy(
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3},"disableSubscriptionOverrides":false}}"#
        )
        .is_ok());
        assert!(validate_topic_delivery_policy("nope").is_err());
    }

    #[test]
    fn effective_policy_layers() {
        let topic = r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5,"minDelayTarget":2,"maxDelayTarget":2}}}"#;
        let sub = r#"{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":1,"maxDelayTarget":1},"requestPolicy":{"headerContentType":"application/json"}}"#;
        assert_eq!(effective_delivery(None, None).retry, RetryPolicy::default());
        assert_eq!(effective_delivery(Some(topic), None).retry.num_retries, 5);
        let e = effective_delivery(Some(topic), Some(sub));
        assert_eq!(e.retry.num_retries, 1);
        assert_eq!(e.content_type, "application/json");
        let locked = r#"{"http":{"defaultHealthyRetryPolicy":{"numRetries":5},"disableSubscriptionOverrides":true}}"#;
        assert_eq!(
            effective_delivery(Some(locked), Some(sub))
                .retry
                .num_retries,
            5
        );
        assert_eq!(
            topic_effective_delivery_policy(None),
            r#"{"http":{"defaultHealthyRetryPolicy":{"minDelayTarget":20,"maxDelayTarget":20,"numRetries":3,"numMaxDelayRetries":0,"numNoDelayRetries":0,"numMinDelayRetries":0,"backoffFunction":"linear"},"disableSubscriptionOverrides":false,"defaultRequestPolicy":{"headerContentType":"text/plain; charset=UTF-8"}}}"#
        );
    }

    #[test]
    fn maximum_message_size() {
        for ok in ["1024", "262144", "1048576"] {
            assert!(validate_topic_attribute("MaximumMessageSize", ok, false, false).is_ok());
        }
        for bad in ["1023", "1048577", "x", "", "-1", "1.5"] {
            let err = validate_topic_attribute("MaximumMessageSize", bad, false, true).unwrap_err();
            assert_eq!(err.kind, crate::ErrorKind::InvalidParameter, "{bad}");
        }
        let mut attributes = crate::model::Attributes::new();
        assert_eq!(topic_maximum_message_size(&attributes), 262_144);
        attributes.insert("MaximumMessageSize".into(), "1048576".into());
        assert_eq!(topic_maximum_message_size(&attributes), 1_048_576);
        assert!(
            check_large_message_subscriptions(1_048_576, ["sqs", "lambda"].into_iter()).is_ok()
        );
        assert!(check_large_message_subscriptions(1_048_576, ["sqs", "http"].into_iter()).is_err());
        assert!(check_large_message_subscriptions(262_144, ["email"].into_iter()).is_ok());
        let many = vec!["sqs"; 101];
        assert!(check_large_message_subscriptions(262_145, many.into_iter()).is_err());
    }

    #[test]
    fn archive_policy() {
        for ok in [
            r#"{"MessageRetentionPeriod":"30"}"#,
            r#"{"MessageRetentionPeriod":1}"#,
            r#"{"MessageRetentionPeriod":"365"}"#,
            "{}",
        ] {
            assert!(
                validate_topic_attribute("ArchivePolicy", ok, true, false).is_ok(),
                "{ok}"
            );
        }
        for bad in [
            r#"{"MessageRetentionPeriod":"0"}"#,
            r#"{"MessageRetentionPeriod":366}"#,
            r#"{"MessageRetentionPeriod":"x"}"#,
            r#"{"Retention":"3"}"#,
            "[]",
        ] {
            let err = validate_topic_attribute("ArchivePolicy", bad, true, false).unwrap_err();
            assert_eq!(err.kind, crate::ErrorKind::InvalidParameter, "{bad}");
        }
        assert!(validate_topic_attribute("ArchivePolicy", "{}", false, false).is_err());
        assert!(archive_policy_active(r#"{"MessageRetentionPeriod":"3"}"#));
        assert!(!archive_policy_active("{}"));
    }

    #[test]
    fn redrive_and_raw() {
        assert_eq!(
            parse_redrive_policy(
                r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq"}"#
            )
            .unwrap()
            .as_deref(),
            Some("arn:aws:sqs:us-east-1:000000000000:dlq")
        );
        assert!(parse_redrive_policy(r#"{"deadLetterTargetArn":"nope"}"#).is_err());
        let fifo_queue = "arn:aws:sqs:us-east-1:000000000000:q.fifo";
        let standard_dlq = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq"}"#;
        let fifo_dlq = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq.fifo"}"#;
        assert_eq!(
            validate_fifo_redrive(true, fifo_queue, Some(standard_dlq))
                .unwrap_err()
                .message,
            "Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."
        );
        assert!(validate_fifo_redrive(true, fifo_queue, Some(fifo_dlq)).is_ok());
        assert!(validate_fifo_redrive(true, fifo_queue, None).is_ok());
        assert!(validate_fifo_redrive(true, fifo_queue, Some("")).is_ok());
        // A standard queue on a FIFO topic, or any queue on a standard topic, is not constrained here.
        assert!(validate_fifo_redrive(
            true,
            "arn:aws:sqs:us-east-1:000000000000:q",
            Some(standard_dlq)
        )
        .is_ok());
        assert!(validate_fifo_redrive(
            false,
            "arn:aws:sqs:us-east-1:000000000000:q",
            Some(standard_dlq)
        )
        .is_ok());
        let set = AttributeCall::Set;
        assert!(
            validate_subscription_attribute("RawMessageDelivery", "true", "email", set).is_err()
        );
        assert!(validate_subscription_attribute("RawMessageDelivery", "true", "sqs", set).is_ok());
        assert!(validate_subscription_attribute("Bogus", "x", "sqs", set).is_err());
    }
}
