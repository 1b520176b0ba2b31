//! Typed inputs and outputs of every SNS action. Member names follow the AWS API model (PascalCase, and the
//! few camelCase members of the SMS actions), so the wire layer folds Query parameters into these shapes
//! and renders outputs from them.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};

pub use wharf_sqs::model::Blob;

pub type Attributes = BTreeMap<String, String>;

/// A boolean that the Query protocol carries as `"true"`/`"false"`.
fn flex_bool<'de, D: Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flex {
        Bool(bool),
        Text(String),
    }
    match Option::<Flex>::deserialize(deserializer)? {
        None => Ok(false),
        Some(Flex::Bool(b)) => Ok(b),
        Some(Flex::Text(t)) => match t.trim().to_ascii_lowercase().as_str() {
            "true" => Ok(true),
            "false" | "" => Ok(false),
            _ => Err(serde::de::Error::custom(format!(
                "Invalid boolean value {t}"
            ))),
        },
    }
}

/// An integer that the Query protocol carries as text.
fn flex_int<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Flex {
        Int(i64),
        Text(String),
    }
    match Option::<Flex>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Flex::Int(i)) => Ok(Some(i)),
        Some(Flex::Text(t)) => t
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("Invalid integer value {t}"))),
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MessageAttributeValue {
    #[serde(default)]
    pub data_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub string_value: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_value: Option<Blob>,
}

pub type MessageAttributes = BTreeMap<String, MessageAttributeValue>;

/// The empty output of actions that return nothing.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Empty {}

// ---- topics ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTopicInput {
    pub name: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
    #[serde(default)]
    pub tags: Vec<Tag>,
    pub data_protection_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateTopicOutput {
    pub topic_arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicArnInput {
    pub topic_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct NextTokenInput {
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TopicItem {
    pub topic_arn: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTopicsOutput {
    pub topics: Vec<TopicItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributesOutput {
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetTopicAttributesInput {
    pub topic_arn: Option<String>,
    pub attribute_name: Option<String>,
    pub attribute_value: Option<String>,
}

// ---- subscriptions ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscribeInput {
    pub topic_arn: Option<String>,
    pub protocol: Option<String>,
    pub endpoint: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
    #[serde(default, deserialize_with = "flex_bool")]
    pub return_subscription_arn: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionArnOutput {
    pub subscription_arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ConfirmSubscriptionInput {
    pub topic_arn: Option<String>,
    pub token: Option<String>,
    pub authenticate_on_unsubscribe: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionArnInput {
    pub subscription_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetSubscriptionAttributesInput {
    pub subscription_arn: Option<String>,
    pub attribute_name: Option<String>,
    pub attribute_value: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSubscriptionsByTopicInput {
    pub topic_arn: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubscriptionItem {
    pub subscription_arn: String,
    pub owner: String,
    pub protocol: String,
    pub endpoint: String,
    pub topic_arn: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSubscriptionsOutput {
    pub subscriptions: Vec<SubscriptionItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- tags, permissions, data protection ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagResourceInput {
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct UntagResourceInput {
    pub resource_arn: Option<String>,
    #[serde(default)]
    pub tag_keys: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ResourceArnInput {
    pub resource_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListTagsForResourceOutput {
    pub tags: Vec<Tag>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermissionInput {
    pub topic_arn: Option<String>,
    pub label: Option<String>,
    #[serde(default, rename = "AWSAccountId")]
    pub aws_account_ids: Vec<String>,
    #[serde(default, rename = "ActionName")]
    pub action_names: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RemovePermissionInput {
    pub topic_arn: Option<String>,
    pub label: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetDataProtectionPolicyOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_protection_policy: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PutDataProtectionPolicyInput {
    pub resource_arn: Option<String>,
    pub data_protection_policy: Option<String>,
}

// ---- publishing ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishInput {
    pub topic_arn: Option<String>,
    pub target_arn: Option<String>,
    pub phone_number: Option<String>,
    pub message: Option<String>,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    #[serde(default)]
    pub message_attributes: MessageAttributes,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishOutput {
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchRequestEntry {
    pub id: Option<String>,
    pub message: Option<String>,
    pub subject: Option<String>,
    pub message_structure: Option<String>,
    #[serde(default)]
    pub message_attributes: MessageAttributes,
    pub message_deduplication_id: Option<String>,
    pub message_group_id: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchInput {
    pub topic_arn: Option<String>,
    #[serde(default)]
    pub publish_batch_request_entries: Vec<PublishBatchRequestEntry>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchResultEntry {
    pub id: String,
    pub message_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BatchResultErrorEntry {
    pub id: String,
    pub code: String,
    pub message: String,
    pub sender_fault: bool,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublishBatchOutput {
    pub successful: Vec<PublishBatchResultEntry>,
    pub failed: Vec<BatchResultErrorEntry>,
}

// ---- mobile push (platform applications and endpoints) ----

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlatformApplicationInput {
    pub name: Option<String>,
    pub platform: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlatformApplicationOutput {
    pub platform_application_arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlatformApplicationArnInput {
    pub platform_application_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetPlatformApplicationAttributesInput {
    pub platform_application_arn: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PlatformApplicationItem {
    pub platform_application_arn: String,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListPlatformApplicationsOutput {
    pub platform_applications: Vec<PlatformApplicationItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreatePlatformEndpointInput {
    pub platform_application_arn: Option<String>,
    pub token: Option<String>,
    pub custom_user_data: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CreateEndpointOutput {
    pub endpoint_arn: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointArnInput {
    pub endpoint_arn: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SetEndpointAttributesInput {
    pub endpoint_arn: Option<String>,
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEndpointsByPlatformApplicationInput {
    pub platform_application_arn: Option<String>,
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointItem {
    pub endpoint_arn: String,
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListEndpointsOutput {
    pub endpoints: Vec<EndpointItem>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

// ---- SMS ----

#[derive(Debug, Clone, Default, Deserialize)]
pub struct GetSmsAttributesInput {
    #[serde(default)]
    pub attributes: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct SmsAttributesOutput {
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct SetSmsAttributesInput {
    #[serde(default)]
    pub attributes: Attributes,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct PhoneNumberInput {
    #[serde(rename = "phoneNumber")]
    pub phone_number: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct CheckIfPhoneNumberIsOptedOutOutput {
    #[serde(rename = "isOptedOut")]
    pub is_opted_out: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListPhoneNumbersOptedOutInput {
    #[serde(rename = "nextToken")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ListPhoneNumbersOptedOutOutput {
    #[serde(rename = "phoneNumbers")]
    pub phone_numbers: Vec<String>,
    #[serde(rename = "nextToken", skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSmsSandboxAccountStatusOutput {
    pub is_in_sandbox: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct SandboxPhoneNumberInput {
    pub phone_number: Option<String>,
    pub language_code: Option<String>,
    pub one_time_password: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct PagedInput {
    pub next_token: Option<String>,
    #[serde(default, deserialize_with = "flex_int")]
    pub max_results: Option<i64>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SandboxPhoneNumber {
    pub phone_number: String,
    pub status: String,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListSmsSandboxPhoneNumbersOutput {
    pub phone_numbers: Vec<SandboxPhoneNumber>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListOriginationNumbersOutput {
    pub phone_numbers: Vec<Attributes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_text_booleans_and_integers() {
        let input: SubscribeInput = serde_json::from_value(serde_json::json!({
            "TopicArn": "t", "Protocol": "sqs", "ReturnSubscriptionArn": "true"
        }))
        .unwrap();
        assert!(input.return_subscription_arn);
        let input: SubscribeInput = serde_json::from_value(serde_json::json!({})).unwrap();
        assert!(!input.return_subscription_arn);
        let paged: PagedInput =
            serde_json::from_value(serde_json::json!({"MaxResults": "7"})).unwrap();
        assert_eq!(paged.max_results, Some(7));
        assert!(serde_json::from_value::<SubscribeInput>(
            serde_json::json!({"ReturnSubscriptionArn": "maybe"})
        )
        .is_err());
    }
}
