//! Queue attributes: the settable ones parsed and validated into a typed [`QueueConfig`], and rendered back
//! as AWS returns them.
//! <https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SetQueueAttributes.html>

use serde_json::Value;

use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::limits::*;
use crate::model::Attributes;

/// Every attribute name `GetQueueAttributes` knows, in AWS's order.
pub const ALL_ATTRIBUTE_NAMES: &[&str] = &[
    "Policy",
    "VisibilityTimeout",
    "MaximumMessageSize",
    "MessageRetentionPeriod",
    "ApproximateNumberOfMessages",
    "ApproximateNumberOfMessagesNotVisible",
    "CreatedTimestamp",
    "LastModifiedTimestamp",
    "QueueArn",
    "ApproximateNumberOfMessagesDelayed",
    "DelaySeconds",
    "ReceiveMessageWaitTimeSeconds",
    "RedrivePolicy",
    "FifoQueue",
    "ContentBasedDeduplication",
    "KmsMasterKeyId",
    "KmsDataKeyReusePeriodSeconds",
    "DeduplicationScope",
    "FifoThroughputLimit",
    "RedriveAllowPolicy",
    "SqsManagedSseEnabled",
];

const FIFO_ONLY: &[&str] = &[
    "ContentBasedDeduplication",
    "DeduplicationScope",
    "FifoThroughputLimit",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedrivePolicy {
    pub dead_letter_target_arn: String,
    pub max_receive_count: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RedrivePermission {
    AllowAll,
    DenyAll,
    ByQueue(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RedriveAllowPolicy {
    pub permission: RedrivePermission,
}

/// The settable attributes of a queue, typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    pub fifo: bool,
    pub visibility_timeout: u64,
    pub maximum_message_size: u64,
    pub message_retention_period: u64,
    pub delay_seconds: u64,
    pub receive_message_wait_time_seconds: u64,
    pub policy: Option<String>,
    pub redrive_policy: Option<RedrivePolicy>,
    pub redrive_allow_policy: Option<RedriveAllowPolicy>,
    pub content_based_deduplication: bool,
    pub deduplication_scope: String,
    pub fifo_throughput_limit: String,
    pub kms_master_key_id: Option<String>,
    pub kms_data_key_reuse_period_seconds: u64,
    pub sqs_managed_sse_enabled: bool,
}

impl QueueConfig {
    pub fn defaults(fifo: bool) -> Self {
        QueueConfig {
            fifo,
            visibility_timeout: DEFAULT_VISIBILITY_TIMEOUT,
            maximum_message_size: MAX_MESSAGE_SIZE,
            message_retention_period: DEFAULT_RETENTION_PERIOD,
            delay_seconds: 0,
            receive_message_wait_time_seconds: 0,
            policy: None,
            redrive_policy: None,
            redrive_allow_policy: None,
            content_based_deduplication: false,
            deduplication_scope: "queue".into(),
            fifo_throughput_limit: "perQueue".into(),
            kms_master_key_id: None,
            kms_data_key_reuse_period_seconds: DEFAULT_KMS_REUSE,
            // New queues get SSE-SQS by default (AWS, since 2022).
            sqs_managed_sse_enabled: true,
        }
    }

    /// Applies `attributes` (from CreateQueue or SetQueueAttributes) after validating every one of them;
    /// nothing changes when any is invalid.
    pub fn apply(&mut self, attributes: &Attributes, creating: bool) -> SqsResult<()> {
        self.apply_checked(attributes, creating, true)
    }

    /// Applies a queue's stored attributes at recovery: a combination that a later check refuses (a queue
    /// created before it) is kept rather than losing the queue's whole configuration.
    pub fn restore(&mut self, attributes: &Attributes) -> SqsResult<()> {
        self.apply_checked(attributes, false, false)
    }

    fn apply_checked(
        &mut self,
        attributes: &Attributes,
        creating: bool,
        check_combinations: bool,
    ) -> SqsResult<()> {
        let mut next = self.clone();
        for (name, value) in attributes {
            next.apply_one(name, value, creating)?;
        }
        // SSE-KMS and SSE-SQS exclude each other within one request (switching between them on an
        // existing queue is fine: the later setting replaces the earlier).
        if next.sqs_managed_sse_enabled
            && attributes.contains_key("SqsManagedSseEnabled")
            && attributes
                .get("KmsMasterKeyId")
                .is_some_and(|key| !key.is_empty())
        {
            return Err(SqsError::new(
                ErrorKind::InvalidAttributeName,
                "You can use one type of server-side encryption (SSE) at one time. You can either enable KMS SSE or SQS SSE.",
            ));
        }
        // "The perMessageGroupId value is allowed only when the value for DeduplicationScope is
        // messageGroup" (CreateQueue / SetQueueAttributes, FifoThroughputLimit), checked on the resulting
        // configuration: the request may set either attribute, or both.
        if check_combinations
            && next.fifo_throughput_limit == "perMessageGroupId"
            && next.deduplication_scope != "messageGroup"
            && (attributes.contains_key("FifoThroughputLimit")
                || attributes.contains_key("DeduplicationScope"))
        {
            let name = if attributes.contains_key("FifoThroughputLimit") {
                "FifoThroughputLimit"
            } else {
                "DeduplicationScope"
            };
            return Err(SqsError::new(
                ErrorKind::InvalidAttributeValue,
                format!("Invalid value for the parameter {name}. Reason: To set FifoThroughputLimit to perMessageGroupId, the DeduplicationScope must be messageGroup."),
            ));
        }
        if next.kms_master_key_id.is_some() && attributes.contains_key("KmsMasterKeyId") {
            next.sqs_managed_sse_enabled = false;
        }
        *self = next;
        Ok(())
    }

    fn apply_one(&mut self, name: &str, value: &str, creating: bool) -> SqsResult<()> {
        if FIFO_ONLY.contains(&name) && !self.fifo {
            // AWS's answers (recorded responses): ContentBasedDeduplication is unknown to a standard queue,
            // the high-throughput attributes are refused with their own message; both InvalidAttributeName.
            return Err(match name {
                "DeduplicationScope" | "FifoThroughputLimit" => SqsError::new(
                    ErrorKind::InvalidAttributeName,
                    format!("You can specify the {name} only when FifoQueue is set to true."),
                ),
                _ => unknown_attribute(name),
            });
        }
        match name {
            "VisibilityTimeout" => {
                self.visibility_timeout = ranged(name, value, 0, MAX_VISIBILITY_TIMEOUT)?
            }
            "MaximumMessageSize" => {
                self.maximum_message_size =
                    ranged(name, value, MIN_MAXIMUM_MESSAGE_SIZE, MAX_MESSAGE_SIZE)?
            }
            "MessageRetentionPeriod" => {
                self.message_retention_period =
                    ranged(name, value, MIN_RETENTION_PERIOD, MAX_RETENTION_PERIOD)?
            }
            "DelaySeconds" => self.delay_seconds = ranged(name, value, 0, MAX_DELAY_SECONDS)?,
            "ReceiveMessageWaitTimeSeconds" => {
                self.receive_message_wait_time_seconds =
                    ranged(name, value, 0, MAX_WAIT_TIME_SECONDS)?
            }
            "Policy" => {
                if value.is_empty() {
                    self.policy = None;
                } else {
                    let Some(document) = (value.len() <= MAX_POLICY_LEN)
                        .then(|| serde_json::from_str::<Value>(value).ok())
                        .flatten()
                    else {
                        return Err(invalid_attribute(name));
                    };
                    if let Some(actions) =
                        most_statement_actions(&document).filter(|&n| n > MAX_PERMISSION_ACTIONS)
                    {
                        // AWS's answer as quoted in ministryofjustice/cloud-platform-environments#9082
                        // (2022, SetQueueAttributes through Terraform).
                        return Err(SqsError::new(
                            ErrorKind::OverLimit,
                            format!(
                                "{actions} actions were found in a statement from the submitted policy, \
                                 max allowed is {MAX_PERMISSION_ACTIONS}"
                            ),
                        ));
                    }
                    self.policy = Some(value.to_string());
                }
            }
            "RedrivePolicy" => {
                self.redrive_policy = if value.is_empty() {
                    None
                } else {
                    Some(parse_redrive_policy(value)?)
                }
            }
            "RedriveAllowPolicy" => {
                self.redrive_allow_policy = if value.is_empty() {
                    None
                } else {
                    Some(parse_redrive_allow_policy(value)?)
                }
            }
            "FifoQueue" => {
                // The queue type is fixed at creation (the name decides); only a consistent value is accepted.
                // SetQueueAttributes, as AWS answers (LocalStack's AWS-validated snapshot
                // test_set_unsupported_attribute_fifo): unknown to a standard queue, `true` accepted on a FIFO
                // queue, `false` refused there.
                if !creating && !self.fifo {
                    return Err(unknown_attribute(name));
                }
                let wanted = boolean(name, value)?;
                if !creating {
                    if !wanted {
                        return Err(SqsError::new(
                            ErrorKind::InvalidAttributeValue,
                            "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported.",
                        ));
                    }
                    return Ok(());
                }
                if wanted != self.fifo {
                    return Err(SqsError::invalid_parameter(
                        "The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix and be 1 to 80 in length.",
                    ));
                }
            }
            "ContentBasedDeduplication" => self.content_based_deduplication = boolean(name, value)?,
            "DeduplicationScope" => {
                if value != "queue" && value != "messageGroup" {
                    return Err(invalid_attribute(name));
                }
                self.deduplication_scope = value.to_string();
            }
            "FifoThroughputLimit" => {
                if value != "perQueue" && value != "perMessageGroupId" {
                    return Err(invalid_attribute(name));
                }
                self.fifo_throughput_limit = value.to_string();
            }
            "KmsMasterKeyId" => {
                self.kms_master_key_id = if value.is_empty() {
                    None
                } else {
                    Some(value.to_string())
                }
            }
            "KmsDataKeyReusePeriodSeconds" => {
                self.kms_data_key_reuse_period_seconds = ranged(name, value, 60, 86_400)?
            }
            "SqsManagedSseEnabled" => {
                self.sqs_managed_sse_enabled = boolean(name, value)?;
                if self.sqs_managed_sse_enabled {
                    self.kms_master_key_id = None;
                }
            }
            _ => return Err(unknown_attribute(name)),
        }
        Ok(())
    }

    /// The settable attributes as AWS renders them, by name (`None` when the attribute is unset).
    pub fn render(&self, name: &str) -> Option<String> {
        Some(match name {
            "VisibilityTimeout" => self.visibility_timeout.to_string(),
            "MaximumMessageSize" => self.maximum_message_size.to_string(),
            "MessageRetentionPeriod" => self.message_retention_period.to_string(),
            "DelaySeconds" => self.delay_seconds.to_string(),
            "ReceiveMessageWaitTimeSeconds" => self.receive_message_wait_time_seconds.to_string(),
            "Policy" => self.policy.clone()?,
            "RedrivePolicy" => {
                let policy = self.redrive_policy.as_ref()?;
                serde_json::json!({
                    "deadLetterTargetArn": policy.dead_letter_target_arn,
                    "maxReceiveCount": policy.max_receive_count,
                })
                .to_string()
            }
            "RedriveAllowPolicy" => {
                let policy = self.redrive_allow_policy.as_ref()?;
                match &policy.permission {
                    RedrivePermission::AllowAll => {
                        r#"{"redrivePermission":"allowAll"}"#.to_string()
                    }
                    RedrivePermission::DenyAll => r#"{"redrivePermission":"denyAll"}"#.to_string(),
                    RedrivePermission::ByQueue(arns) => serde_json::json!({
                        "redrivePermission": "byQueue",
                        "sourceQueueArns": arns,
                    })
                    .to_string(),
                }
            }
            "FifoQueue" if self.fifo => "true".into(),
            "ContentBasedDeduplication" if self.fifo => {
                self.content_based_deduplication.to_string()
            }
            "DeduplicationScope" if self.fifo => self.deduplication_scope.clone(),
            "FifoThroughputLimit" if self.fifo => self.fifo_throughput_limit.clone(),
            "KmsMasterKeyId" => self.kms_master_key_id.clone()?,
            "KmsDataKeyReusePeriodSeconds" if self.kms_master_key_id.is_some() => {
                self.kms_data_key_reuse_period_seconds.to_string()
            }
            "SqsManagedSseEnabled" => self.sqs_managed_sse_enabled.to_string(),
            _ => return None,
        })
    }

    /// Every settable attribute with a value, for persistence and for CreateQueue's comparison.
    pub fn to_attributes(&self) -> Attributes {
        let mut out = Attributes::new();
        for name in ALL_ATTRIBUTE_NAMES {
            if let Some(value) = self.render(name) {
                out.insert((*name).to_string(), value);
            }
        }
        out
    }

    /// The first attribute in `requested` whose value differs from this configuration (CreateQueue on an
    /// existing queue).
    pub fn first_difference(&self, requested: &Attributes) -> SqsResult<Option<String>> {
        let mut wanted = self.clone();
        wanted.apply(requested, true)?;
        for name in requested.keys() {
            if wanted.render(name) != self.render(name) {
                return Ok(Some(name.clone()));
            }
        }
        Ok(None)
    }
}

pub fn unknown_attribute(name: &str) -> SqsError {
    SqsError::new(
        ErrorKind::InvalidAttributeName,
        format!("Unknown Attribute {name}."),
    )
}

pub fn invalid_attribute(name: &str) -> SqsError {
    SqsError::new(
        ErrorKind::InvalidAttributeValue,
        format!("Invalid value for the parameter {name}."),
    )
}

fn ranged(name: &str, value: &str, min: u64, max: u64) -> SqsResult<u64> {
    match value.trim().parse::<u64>() {
        Ok(number) if (min..=max).contains(&number) => Ok(number),
        _ => Err(invalid_attribute(name)),
    }
}

fn boolean(name: &str, value: &str) -> SqsResult<bool> {
    match value.to_ascii_lowercase().as_str() {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(invalid_attribute(name)),
    }
}

/// The most actions one statement of a policy document lists (`Action` as a string counts one; `Statement`
/// may be a list or a single statement). `None` if there are no statements.
fn most_statement_actions(document: &Value) -> Option<usize> {
    let statements = match document.get("Statement")? {
        Value::Array(list) => list.iter().collect::<Vec<_>>(),
        single => vec![single],
    };
    statements
        .into_iter()
        .map(|statement| match statement.get("Action") {
            Some(Value::Array(actions)) => actions.len(),
            Some(_) => 1,
            None => 0,
        })
        .max()
}

fn parse_redrive_policy(value: &str) -> SqsResult<RedrivePolicy> {
    let bad = |reason: &str| SqsError::invalid_value("RedrivePolicy", value, reason);
    let json: Value =
        serde_json::from_str(value).map_err(|_| bad("Redrive policy is not a valid JSON map."))?;
    let object = json
        .as_object()
        .ok_or_else(|| bad("Redrive policy is not a valid JSON map."))?;
    for key in object.keys() {
        if key != "deadLetterTargetArn" && key != "maxReceiveCount" {
            return Err(bad(
                "Only following attributes are supported: [deadLetterTargetArn, maxReceiveCount].",
            ));
        }
    }
    let arn = object
        .get("deadLetterTargetArn")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad("Redrive policy does not contain mandatory attribute: deadLetterTargetArn.")
        })?;
    let count = match object.get("maxReceiveCount") {
        Some(Value::Number(n)) => n.as_u64(),
        Some(Value::String(s)) => s.parse::<u64>().ok(),
        None => {
            return Err(bad(
                "Redrive policy does not contain mandatory attribute: maxReceiveCount.",
            ))
        }
        _ => None,
    };
    let count = match count {
        Some(c) if (1..=MAX_RECEIVE_COUNT).contains(&c) => c,
        _ => {
            return Err(bad(
                "Invalid value for maxReceiveCount: must be an integer from 1 to 1000.",
            ))
        }
    };
    if !arn.starts_with("arn:aws:sqs:") || arn.split(':').count() != 6 {
        return Err(bad("Invalid value for deadLetterTargetArn."));
    }
    Ok(RedrivePolicy {
        dead_letter_target_arn: arn.to_string(),
        max_receive_count: count,
    })
}

fn parse_redrive_allow_policy(value: &str) -> SqsResult<RedriveAllowPolicy> {
    let bad = |reason: &str| SqsError::invalid_value("RedriveAllowPolicy", value, reason);
    let json: Value = serde_json::from_str(value)
        .map_err(|_| bad("Redrive allow policy is not a valid JSON map."))?;
    let permission = json
        .get("redrivePermission")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            bad("Redrive allow policy does not contain mandatory attribute: redrivePermission.")
        })?;
    let sources: Vec<String> = match json.get("sourceQueueArns") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| bad("sourceQueueArns must be a list of queue ARNs."))?,
        Some(_) => return Err(bad("sourceQueueArns must be a list of queue ARNs.")),
    };
    let permission = match permission {
        "allowAll" | "denyAll" if !sources.is_empty() => {
            return Err(bad(
                "Cannot specify sourceQueueArns with allowAll or denyAll redrivePermission.",
            ))
        }
        "allowAll" => RedrivePermission::AllowAll,
        "denyAll" => RedrivePermission::DenyAll,
        "byQueue" => {
            if sources.is_empty() || sources.len() > MAX_REDRIVE_ALLOW_SOURCES {
                return Err(bad(
                    "Must specify between 1 and 10 sourceQueueArns with byQueue redrivePermission.",
                ));
            }
            RedrivePermission::ByQueue(sources)
        }
        _ => {
            return Err(bad(
                "Invalid value for redrivePermission: must be allowAll, denyAll or byQueue.",
            ))
        }
    };
    Ok(RedriveAllowPolicy { permission })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(pairs: &[(&str, &str)]) -> Attributes {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn validates_ranges_and_names() {
        let mut config = QueueConfig::defaults(false);
        assert!(config
            .apply(&attrs(&[("VisibilityTimeout", "43200")]), true)
            .is_ok());
        let err = config
            .apply(&attrs(&[("VisibilityTimeout", "43201")]), true)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidAttributeValue);
        let err = config.apply(&attrs(&[("Bogus", "1")]), true).unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidAttributeName);
        let err = config
            .apply(&attrs(&[("ContentBasedDeduplication", "true")]), true)
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidAttributeName);
        assert_eq!(config.visibility_timeout, 43200);
    }

    #[test]
    fn redrive_policy_round_trips() {
        let mut config = QueueConfig::defaults(false);
        let policy = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":"3"}"#;
        config
            .apply(&attrs(&[("RedrivePolicy", policy)]), true)
            .unwrap();
        assert_eq!(
            config.render("RedrivePolicy").unwrap(),
            r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":3}"#
        );
        let bad = r#"{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:000000000000:dlq","maxReceiveCount":0}"#;
        assert!(config
            .apply(&attrs(&[("RedrivePolicy", bad)]), false)
            .is_err());
    }

    #[test]
    fn per_message_group_throughput_needs_message_group_scope() {
        let mut config = QueueConfig::defaults(true);
        let err = config
            .apply(
                &attrs(&[("FifoThroughputLimit", "perMessageGroupId")]),
                true,
            )
            .unwrap_err();
        assert_eq!(err.kind, ErrorKind::InvalidAttributeValue);
        let high = attrs(&[
            ("FifoThroughputLimit", "perMessageGroupId"),
            ("DeduplicationScope", "messageGroup"),
        ]);
        config.apply(&high, true).unwrap();
        let err = config
            .apply(&attrs(&[("DeduplicationScope", "queue")]), false)
            .unwrap_err();
        assert!(err.message.contains("DeduplicationScope"), "{err:?}");
        assert_eq!(config.deduplication_scope, "messageGroup");
        // A queue stored with the combination (created before the check) keeps its settings.
        let mut restored = QueueConfig::defaults(true);
        restored
            .restore(&attrs(&[
                ("FifoThroughputLimit", "perMessageGroupId"),
                ("DeduplicationScope", "queue"),
                ("VisibilityTimeout", "7"),
            ]))
            .unwrap();
        assert_eq!(restored.fifo_throughput_limit, "perMessageGroupId");
        assert_eq!(restored.visibility_timeout, 7);
    }
}
