//! SNS over the AWS Query protocol: form parameters in, XML out (namespace
//! `http://sns.amazonaws.com/doc/2010-03-31/`). Unlike SQS's, SNS's Query serialization is not flattened:
//! lists are `Name.member.N[.Field]`, maps are `Name.entry.N.key/value` (`MessageAttributes.entry.N.Name`
//! and `.Value.DataType/StringValue/BinaryValue`), and responses wrap lists in `<Name><member>` and maps
//! in `<Name><entry><key/><value/></entry>`.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::query::Node;
use crate::xml::text as xml_text;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use wharf_sns::{ErrorKind, Sns, SnsError};

pub const SNS_NAMESPACE: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// Every action SNS has.
pub const ACTIONS: &[&str] = &[
    "AddPermission",
    "CheckIfPhoneNumberIsOptedOut",
    "ConfirmSubscription",
    "CreatePlatformApplication",
    "CreatePlatformEndpoint",
    "CreateSMSSandboxPhoneNumber",
    "CreateTopic",
    "DeleteEndpoint",
    "DeletePlatformApplication",
    "DeleteSMSSandboxPhoneNumber",
    "DeleteTopic",
    "GetDataProtectionPolicy",
    "GetEndpointAttributes",
    "GetPlatformApplicationAttributes",
    "GetSMSAttributes",
    "GetSMSSandboxAccountStatus",
    "GetSubscriptionAttributes",
    "GetTopicAttributes",
    "ListEndpointsByPlatformApplication",
    "ListOriginationNumbers",
    "ListPhoneNumbersOptedOut",
    "ListPlatformApplications",
    "ListSMSSandboxPhoneNumbers",
    "ListSubscriptions",
    "ListSubscriptionsByTopic",
    "ListTagsForResource",
    "ListTopics",
    "OptInPhoneNumber",
    "Publish",
    "PublishBatch",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetEndpointAttributes",
    "SetPlatformApplicationAttributes",
    "SetSMSAttributes",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Subscribe",
    "TagResource",
    "Unsubscribe",
    "UntagResource",
    "VerifySMSSandboxPhoneNumber",
];

/// Whether `action` belongs to SNS and not to SQS (`AddPermission` and `RemovePermission` belong to both:
/// route those by the credential scope or by a `TopicArn` parameter).
pub fn is_sns_only_action(action: &str) -> bool {
    ACTIONS.contains(&action) && !matches!(action, "AddPermission" | "RemovePermission")
}

/// Whether a Query request without an SNS credential scope is for SNS: an SNS-only action, or
/// `AddPermission`/`RemovePermission` naming a `TopicArn`.
pub fn is_sns_request(action: &str, params: &[(String, String)]) -> bool {
    is_sns_only_action(action)
        || (matches!(action, "AddPermission" | "RemovePermission")
            && params.iter().any(|(k, _)| k == "TopicArn"))
}

/// Actions whose response has no `<...Result>` element (no output shape in the model).
const NO_RESULT: &[&str] = &[
    "AddPermission",
    "DeleteEndpoint",
    "DeletePlatformApplication",
    "DeleteTopic",
    "PutDataProtectionPolicy",
    "RemovePermission",
    "SetEndpointAttributes",
    "SetPlatformApplicationAttributes",
    "SetSubscriptionAttributes",
    "SetTopicAttributes",
    "Unsubscribe",
];

/// Output members that are maps (`<entry><key/><value/></entry>`).
const MAP_MEMBERS: &[&str] = &["Attributes", "attributes"];

/// SNS's conversion of the Query parameter tree (shared with SQS, `crate::query`).
impl Node {
    /// A node as a JSON value: `member` lists, `entry` maps, structures, or text. An empty scalar stands
    /// for an absent member (botocore sends `Name=` for an empty list), except inside a map value.
    fn to_value(&self) -> Option<Value> {
        self.convert(false)
    }

    fn convert(&self, keep_empty: bool) -> Option<Value> {
        if let Some(list) = self.children.get("member") {
            return Some(Value::Array(
                list.items()
                    .into_iter()
                    .map(|item| {
                        if item.children.is_empty() {
                            Value::String(item.value.clone().unwrap_or_default())
                        } else {
                            item.convert(keep_empty).unwrap_or(Value::Null)
                        }
                    })
                    .collect(),
            ));
        }
        if let Some(entries) = self.children.get("entry") {
            let mut map = Map::new();
            for item in entries.items() {
                let Some(key) = item.text("key").or_else(|| item.text("Name")) else {
                    continue;
                };
                let value = match (item.children.get("value"), item.children.get("Value")) {
                    (Some(v), _) => Value::String(v.value.clone().unwrap_or_default()),
                    (None, Some(v)) if !v.children.is_empty() => {
                        v.convert(true).unwrap_or(Value::Null)
                    }
                    (None, Some(v)) => Value::String(v.value.clone().unwrap_or_default()),
                    (None, None) => Value::String(String::new()),
                };
                map.insert(key.to_string(), value);
            }
            return Some(Value::Object(map));
        }
        if !self.children.is_empty() {
            let mut map = Map::new();
            for (name, child) in &self.children {
                if let Some(value) = child.convert(keep_empty) {
                    map.insert(name.clone(), value);
                }
            }
            return Some(Value::Object(map));
        }
        self.value
            .as_ref()
            .filter(|v| keep_empty || !v.is_empty())
            .map(|v| Value::String(v.clone()))
    }
}

/// Top-level members whose empty value AWS validates as given rather than as absent: Publish with
/// `Subject=` is an invalid subject, with `TopicArn=` an invalid ARN.
fn keep_empty_members(action: &str, params: &[(String, String)], input: &mut Value) {
    const KEPT: &[(&str, &str)] = &[("Publish", "Subject"), ("Publish", "TopicArn")];
    let Value::Object(map) = input else { return };
    for (name, value) in params {
        if value.is_empty() && KEPT.contains(&(action, name.as_str())) {
            map.entry(name.clone())
                .or_insert_with(|| Value::String(String::new()));
        }
    }
}

/// Folds SNS Query parameters into the JSON shape of the action's input.
pub fn to_json(params: &[(String, String)]) -> Value {
    Node::from_params(params)
        .to_value()
        .unwrap_or(Value::Object(Map::new()))
}

fn decode<T: DeserializeOwned>(input: &Value) -> Result<T, SnsError> {
    serde_json::from_value(input.clone()).map_err(|error| {
        SnsError::new(
            ErrorKind::InvalidParameter,
            format!("Invalid parameter: The request could not be parsed: {error}"),
        )
    })
}

fn output<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

macro_rules! call {
    ($input:expr, |$i:ident| $body:expr) => {{
        let $i = decode($input)?;
        output($body?)
    }};
}

/// Runs a publish in a task of its own, so that it finishes even when the request is dropped (hyper
/// drops the request's future when the client closes its connection). A publish to a FIFO topic
/// records its deduplication id before it fans out: dropped in between, the message was published
/// but never delivered, and the SDK's retry with the same id was deduplicated away.
async fn to_completion<T: Send + 'static>(
    work: impl std::future::Future<Output = Result<T, SnsError>> + Send + 'static,
) -> Result<T, SnsError> {
    match tokio::spawn(work).await {
        Ok(result) => result,
        Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
        Err(_) => Err(SnsError::internal("The publish was cancelled")),
    }
}

/// Runs `action` with Query `params` on the engine and renders the XML response body.
pub async fn dispatch(
    sns: &Arc<Sns>,
    action: &str,
    params: &[(String, String)],
) -> Result<String, SnsError> {
    dispatch_with_request_id(sns, action, params, &uuid::Uuid::new_v4().to_string()).await
}

/// [`dispatch`] with the request id the router also puts in `x-amzn-RequestId`.
pub async fn dispatch_with_request_id(
    sns: &Arc<Sns>,
    action: &str,
    params: &[(String, String)],
    request_id: &str,
) -> Result<String, SnsError> {
    let mut input = to_json(params);
    keep_empty_members(action, params, &mut input);
    let input = &input;
    let value = match action {
        "CreateTopic" => call!(input, |i| sns.create_topic(i).await),
        "DeleteTopic" => call!(input, |i| sns.delete_topic(i).await),
        "ListTopics" => call!(input, |i| sns.list_topics(i)),
        "GetTopicAttributes" => call!(input, |i| sns.get_topic_attributes(i)),
        "SetTopicAttributes" => call!(input, |i| sns.set_topic_attributes(i).await),
        "Subscribe" => call!(input, |i| sns.subscribe(i).await),
        "ConfirmSubscription" => call!(input, |i| sns.confirm_subscription(i).await),
        "Unsubscribe" => call!(input, |i| sns.unsubscribe(i).await),
        "ListSubscriptions" => call!(input, |i| sns.list_subscriptions(i)),
        "ListSubscriptionsByTopic" => call!(input, |i| sns.list_subscriptions_by_topic(i)),
        "GetSubscriptionAttributes" => call!(input, |i| sns.get_subscription_attributes(i)),
        "SetSubscriptionAttributes" => {
            call!(input, |i| sns.set_subscription_attributes(i).await)
        }
        "Publish" => {
            let input: wharf_sns::model::PublishInput = decode(input)?;
            let sns = sns.clone();
            output(to_completion(async move { sns.publish(input).await }).await?)
        }
        "PublishBatch" => {
            let input: wharf_sns::model::PublishBatchInput = decode(input)?;
            let sns = sns.clone();
            output(to_completion(async move { sns.publish_batch(input).await }).await?)
        }
        "TagResource" => call!(input, |i| sns.tag_resource(i).await),
        "UntagResource" => call!(input, |i| sns.untag_resource(i).await),
        "ListTagsForResource" => call!(input, |i| sns.list_tags_for_resource(i)),
        "AddPermission" => call!(input, |i| sns.add_permission(i).await),
        "RemovePermission" => call!(input, |i| sns.remove_permission(i).await),
        "GetDataProtectionPolicy" => call!(input, |i| sns.get_data_protection_policy(i)),
        "PutDataProtectionPolicy" => call!(input, |i| sns.put_data_protection_policy(i).await),
        "CreatePlatformApplication" => {
            call!(input, |i| sns.create_platform_application(i).await)
        }
        "GetPlatformApplicationAttributes" => {
            call!(input, |i| sns.get_platform_application_attributes(i))
        }
        "SetPlatformApplicationAttributes" => {
            call!(input, |i| sns.set_platform_application_attributes(i).await)
        }
        "DeletePlatformApplication" => {
            call!(input, |i| sns.delete_platform_application(i).await)
        }
        "ListPlatformApplications" => call!(input, |i| sns.list_platform_applications(i)),
        "CreatePlatformEndpoint" => call!(input, |i| sns.create_platform_endpoint(i).await),
        "GetEndpointAttributes" => call!(input, |i| sns.get_endpoint_attributes(i)),
        "SetEndpointAttributes" => call!(input, |i| sns.set_endpoint_attributes(i).await),
        "DeleteEndpoint" => call!(input, |i| sns.delete_endpoint(i).await),
        "ListEndpointsByPlatformApplication" => {
            call!(input, |i| sns.list_endpoints_by_platform_application(i))
        }
        "GetSMSAttributes" => call!(input, |i| sns.get_sms_attributes(i)),
        "SetSMSAttributes" => call!(input, |i| sns.set_sms_attributes(i).await),
        "CheckIfPhoneNumberIsOptedOut" => {
            call!(input, |i| sns.check_if_phone_number_is_opted_out(i))
        }
        "ListPhoneNumbersOptedOut" => call!(input, |i| sns.list_phone_numbers_opted_out(i)),
        "OptInPhoneNumber" => call!(input, |i| sns.opt_in_phone_number(i)),
        "GetSMSSandboxAccountStatus" => output(sns.get_sms_sandbox_account_status()?),
        "CreateSMSSandboxPhoneNumber" => {
            call!(input, |i| sns.create_sms_sandbox_phone_number(i).await)
        }
        "VerifySMSSandboxPhoneNumber" => {
            call!(input, |i| sns.verify_sms_sandbox_phone_number(i).await)
        }
        "DeleteSMSSandboxPhoneNumber" => {
            call!(input, |i| sns.delete_sms_sandbox_phone_number(i).await)
        }
        "ListSMSSandboxPhoneNumbers" => {
            call!(input, |i| sns.list_sms_sandbox_phone_numbers(i))
        }
        "ListOriginationNumbers" => call!(input, |i| sns.list_origination_numbers(i)),
        other => {
            return Err(SnsError::new(
                ErrorKind::InvalidAction,
                format!("The action {other} is not valid for this endpoint."),
            ))
        }
    };
    Ok(success_xml(action, &value, request_id))
}

/// The XML of a successful response.
pub fn success_xml(action: &str, output: &Value, request_id: &str) -> String {
    let mut xml = String::with_capacity(256);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\"?>\n<{action}Response xmlns=\"{SNS_NAMESPACE}\">"
    );
    if !NO_RESULT.contains(&action) {
        let _ = write!(xml, "<{action}Result>");
        if let Value::Object(fields) = output {
            for (name, value) in fields {
                member(&mut xml, name, value);
            }
        }
        let _ = write!(xml, "</{action}Result>");
    }
    let _ = write!(
        xml,
        "<ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
        xml_text(request_id)
    );
    xml
}

/// The XML of an error response (send it with `err.kind.http_status()`).
pub fn error_xml(err: &SnsError, request_id: &str) -> String {
    let fault = if err.kind.sender_fault() {
        "Sender"
    } else {
        "Receiver"
    };
    format!(
        "<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{SNS_NAMESPACE}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
        xml_text(err.kind.query_code()),
        xml_text(&err.message),
        xml_text(request_id)
    )
}

fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn member(xml: &mut String, name: &str, value: &Value) {
    match value {
        Value::Null => {}
        Value::Object(map) if MAP_MEMBERS.contains(&name) => {
            let _ = write!(xml, "<{name}>");
            for (k, v) in map {
                let _ = write!(
                    xml,
                    "<entry><key>{}</key><value>{}</value></entry>",
                    xml_text(k.as_str()),
                    xml_text(scalar(v).unwrap_or_default().as_str())
                );
            }
            let _ = write!(xml, "</{name}>");
        }
        Value::Array(items) => {
            let _ = write!(xml, "<{name}>");
            for item in items {
                xml.push_str("<member>");
                match item {
                    Value::Object(fields) => {
                        for (k, v) in fields {
                            member(xml, k, v);
                        }
                    }
                    other => xml.push_str(&xml_text(scalar(other).unwrap_or_default().as_str())),
                }
                xml.push_str("</member>");
            }
            let _ = write!(xml, "</{name}>");
        }
        Value::Object(fields) => {
            let _ = write!(xml, "<{name}>");
            for (k, v) in fields {
                member(xml, k, v);
            }
            let _ = write!(xml, "</{name}>");
        }
        other => {
            let _ = write!(
                xml,
                "<{name}>{}</{name}>",
                xml_text(scalar(other).unwrap_or_default().as_str())
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn folds_entries_members_and_message_attributes() {
        let value = to_json(&params(&[
            ("Action", "CreateTopic"),
            ("Name", "t"),
            ("Attributes.entry.1.key", "DisplayName"),
            ("Attributes.entry.1.value", ""),
            ("Attributes.entry.2.key", "FifoTopic"),
            ("Attributes.entry.2.value", "true"),
            ("Tags.member.2.Key", "b"),
            ("Tags.member.2.Value", "2"),
            ("Tags.member.1.Key", "a"),
            ("Tags.member.1.Value", "1"),
        ]));
        assert_eq!(
            value,
            json!({"Name": "t", "Attributes": {"DisplayName": "", "FifoTopic": "true"},
                   "Tags": [{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}]})
        );
        let value = to_json(&params(&[
            ("TopicArn", "arn"),
            ("PublishBatchRequestEntries.member.1.Id", "one"),
            ("PublishBatchRequestEntries.member.1.Message", "m"),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Name",
                "k",
            ),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.DataType",
                "Binary",
            ),
            (
                "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.BinaryValue",
                "AAE=",
            ),
            ("AWSAccountId.member.1", "123456789012"),
            ("Tags", ""),
        ]));
        assert_eq!(
            value,
            json!({"TopicArn": "arn", "AWSAccountId": ["123456789012"], "PublishBatchRequestEntries": [
                {"Id": "one", "Message": "m", "MessageAttributes": {"k": {"DataType": "Binary", "BinaryValue": "AAE="}}}
            ]})
        );
        let input: wharf_sns::model::PublishBatchInput = decode(&value).unwrap();
        let attr = &input.publish_batch_request_entries[0].message_attributes["k"];
        assert_eq!(attr.binary_value.as_ref().unwrap().0, vec![0, 1]);
    }

    #[test]
    fn renders_members_entries_and_nothing_for_no_result_actions() {
        let xml = success_xml(
            "ListTopics",
            &json!({"Topics": [{"TopicArn": "a<b"}], "NextToken": "n"}),
            "rid",
        );
        // Member order follows serde_json's (sorted) maps; Query clients do not depend on it.
        assert!(
            xml.contains("<Topics><member><TopicArn>a&lt;b</TopicArn></member></Topics>"),
            "{xml}"
        );
        assert!(xml.contains("<NextToken>n</NextToken>"), "{xml}");
        assert!(xml.contains(&format!("<ListTopicsResponse xmlns=\"{SNS_NAMESPACE}\">")));
        let xml = success_xml(
            "GetTopicAttributes",
            &json!({"Attributes": {"Owner": "1", "DisplayName": ""}}),
            "rid",
        );
        assert!(xml.contains("<Attributes><entry><key>DisplayName</key><value></value></entry><entry><key>Owner</key><value>1</value></entry></Attributes>"), "{xml}");
        let xml = success_xml("DeleteTopic", &json!({}), "rid");
        assert!(!xml.contains("DeleteTopicResult"));
        assert!(xml.contains("<RequestId>rid</RequestId>"));
        let xml = success_xml("TagResource", &json!({}), "rid");
        assert!(xml.contains("<TagResourceResult></TagResourceResult>"));
        let xml = success_xml(
            "PublishBatch",
            &json!({"Successful": [], "Failed": [{"Id": "x", "Code": "InvalidParameter", "Message": "m", "SenderFault": true}]}),
            "rid",
        );
        assert!(xml.contains("<Successful></Successful>"), "{xml}");
        assert!(xml.contains("<Failed><member><Code>InvalidParameter</Code><Id>x</Id><Message>m</Message><SenderFault>true</SenderFault></member></Failed>"), "{xml}");
    }

    #[test]
    fn error_document() {
        let xml = error_xml(&SnsError::topic_not_found(), "rid");
        assert_eq!(
            xml,
            format!("<?xml version=\"1.0\"?>\n<ErrorResponse xmlns=\"{SNS_NAMESPACE}\"><Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error><RequestId>rid</RequestId></ErrorResponse>")
        );
        assert!(is_sns_only_action("Publish"));
        let topic = vec![("TopicArn".to_string(), "arn".to_string())];
        assert!(is_sns_request("AddPermission", &topic));
        assert!(!is_sns_request("AddPermission", &[]));
        let empty = to_json(&params(&[
            ("MessageAttributes.entry.1.Name", "k"),
            ("MessageAttributes.entry.1.Value.DataType", "String"),
            ("MessageAttributes.entry.1.Value.StringValue", ""),
        ]));
        assert_eq!(
            empty,
            json!({"MessageAttributes": {"k": {"DataType": "String", "StringValue": ""}}})
        );
        assert!(!is_sns_only_action("AddPermission"));
        assert!(!is_sns_only_action("SendMessage"));
    }
}
