//! AddPermission and RemovePermission: statements in the queue's `Policy` attribute, keyed by label (`Sid`).
//! Enforcement of policies belongs to the auth layer; here they are validated and stored.

use serde_json::{json, Value};
use wharf_store::Batch;

use super::required;
use crate::error::{ErrorKind, SqsError, SqsResult};
use crate::limits::MAX_PERMISSION_ACTIONS;
use crate::model::*;
use crate::persist;
use crate::{await_commit, Sqs};

/// Actions AddPermission may grant.
const GRANTABLE: &[&str] = &[
    "*",
    "ChangeMessageVisibility",
    "DeleteMessage",
    "GetQueueAttributes",
    "GetQueueUrl",
    "ListDeadLetterSourceQueues",
    "PurgeQueue",
    "ReceiveMessage",
    "SendMessage",
    "ListQueueTags",
];

fn statements(policy: &Option<String>) -> Vec<Value> {
    policy
        .as_deref()
        .and_then(|p| serde_json::from_str::<Value>(p).ok())
        .and_then(|v| v.get("Statement").and_then(Value::as_array).cloned())
        .unwrap_or_default()
}

/// An AWS account number: 12 decimal digits.
fn is_account_id(id: &str) -> bool {
    id.len() == 12 && id.bytes().all(|b| b.is_ascii_digit())
}

fn has_label(statements: &[Value], label: &str) -> bool {
    statements
        .iter()
        .any(|s| s.get("Sid").and_then(Value::as_str) == Some(label))
}

impl Sqs {
    pub async fn add_permission(&self, input: AddPermissionInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let label = required(&input.label, "Label")?;
        let label_ok = !label.is_empty()
            && label.len() <= 80
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if !label_ok {
            return Err(SqsError::invalid_value("Label", label, "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length."));
        }
        if input.aws_account_ids.is_empty() {
            return Err(SqsError::missing("AWSAccountIds"));
        }
        // "AddPermission does not support adding a non-account principal" (API reference): an entry that is not
        // a 12-digit account number (`*`, an IAM ARN, the CLI reference's placeholder `12345EXAMPLE`) is refused
        // as AWS refuses a principal it cannot verify. AWS's answers on record: "Unable to verify." for `*` and
        // for a short string, "Unable to verify principal." for an IAM user's ARN (aws/aws-cli#7416).
        if let Some(bad) = input.aws_account_ids.iter().find(|a| !is_account_id(a)) {
            let reason = if bad.starts_with("arn:") {
                "Unable to verify principal."
            } else {
                "Unable to verify."
            };
            return Err(SqsError::invalid_value(
                "PrincipalId",
                format!("[{bad}]"),
                reason,
            ));
        }
        if input.actions.is_empty() {
            return Err(SqsError::missing("Actions"));
        }
        if input.actions.len() > MAX_PERMISSION_ACTIONS {
            return Err(SqsError::new(
                ErrorKind::OverLimit,
                format!(
                    "{} Actions were found, maximum allowed is {MAX_PERMISSION_ACTIONS}.",
                    input.actions.len()
                ),
            ));
        }
        for action in &input.actions {
            if !GRANTABLE.contains(&action.as_str()) {
                return Err(SqsError::invalid_value(
                    "ActionName",
                    action,
                    "Please refer to the appropriate WSDL for a list of valid actions.",
                ));
            }
        }
        let commit = {
            let mut state = queue.state.lock();
            let mut list = statements(&state.config.policy);
            if has_label(&list, label) {
                return Err(SqsError::invalid_value("Label", label, "Already exists."));
            }
            let principals: Vec<String> = input
                .aws_account_ids
                .iter()
                .map(|a| format!("arn:aws:iam::{a}:root"))
                .collect();
            let actions: Vec<String> = input.actions.iter().map(|a| format!("SQS:{a}")).collect();
            list.push(json!({
                "Sid": label,
                "Effect": "Allow",
                "Principal": {"AWS": if principals.len() == 1 { json!(principals[0]) } else { json!(principals) }},
                "Action": if actions.len() == 1 { json!(actions[0]) } else { json!(actions) },
                "Resource": queue.arn,
            }));
            let policy = policy_document(&state.config.policy, &queue.arn, list);
            state.config.policy = Some(policy.to_string());
            state.last_modified_millis = self.now();
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }

    pub async fn remove_permission(&self, input: RemovePermissionInput) -> SqsResult<Empty> {
        let queue = self.resolve(input.queue_url.as_deref())?;
        let label = required(&input.label, "Label")?;
        let commit = {
            let mut state = queue.state.lock();
            let mut list = statements(&state.config.policy);
            if !has_label(&list, label) {
                return Err(SqsError::invalid_value("Label", label, "can't find label."));
            }
            list.retain(|s| s.get("Sid").and_then(Value::as_str) != Some(label));
            state.config.policy = if list.is_empty() {
                None
            } else {
                Some(policy_document(&state.config.policy, &queue.arn, list).to_string())
            };
            state.last_modified_millis = self.now();
            let mut batch = Batch::new();
            persist::put_queue(&mut batch, &self.queue_record(&queue, &state));
            self.submit(batch)
        };
        await_commit(commit).await?;
        Ok(Empty {})
    }
}

/// The queue policy AddPermission / RemovePermission write: the existing document's `Version` and `Id`
/// kept, otherwise AWS's defaults, `2008-10-17` and `<queue arn>/SQSDefaultPolicy` (AWS's policy as recorded in
/// LocalStack's AWS-validated test_sqs.snapshot.json, test_sqs_permission_lifecycle).
fn policy_document(existing: &Option<String>, queue_arn: &str, statements: Vec<Value>) -> Value {
    let existing: Option<Value> = existing
        .as_deref()
        .and_then(|p| serde_json::from_str(p).ok());
    let field = |name: &str| {
        existing
            .as_ref()
            .and_then(|doc| doc.get(name))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let version = field("Version").unwrap_or_else(|| "2008-10-17".to_string());
    let id = field("Id").unwrap_or_else(|| format!("{queue_arn}/SQSDefaultPolicy"));
    json!({"Version": version, "Id": id, "Statement": statements})
}
