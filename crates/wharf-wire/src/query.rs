//! The AWS Query protocol's request side: form parameters (`Attribute.1.Name=...`) folded into the same
//! JSON shapes the JSON protocol carries, so both protocols decode into one typed input.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// Parameters whose values are integers in the API model.
const INTEGER_PARAMETERS: &[&str] = &[
    "DelaySeconds",
    "MaxNumberOfMessages",
    "VisibilityTimeout",
    "WaitTimeSeconds",
    "MaxResults",
    "MaxNumberOfMessagesPerSecond",
];

/// The JSON names of the list and map members of SQS inputs. Over Query these are only ever sent in their
/// own forms (`AttributeName.1`, `SendMessageBatchRequestEntry.1.Id`, `Tag.1.Key`, ...); a parameter named
/// like the JSON member is not part of the input and is ignored like any unknown parameter. botocore releases
/// that spoke Query to SQS send an empty list that way (`Entries=`, `AttributeNames=`), and AWS answers them as
/// if the list were absent (an empty batch is `EmptyBatchRequest`, not a malformed request).
const JSON_ONLY_NAMES: &[&str] = &[
    "Entries",
    "AttributeNames",
    "MessageAttributeNames",
    "MessageSystemAttributeNames",
    "TagKeys",
    "AWSAccountIds",
    "Actions",
    "Attributes",
    "Tags",
    "tags",
    "MessageAttributes",
    "MessageSystemAttributes",
];

/// The most dot-separated segments a parameter name may have. The deepest real parameters (an SNS batch
/// entry's message attribute value) have about eight; deeper names cannot name a member of any input, and
/// the tree (built, converted and dropped recursively) must stay shallow whatever a request sends.
const MAX_KEY_SEGMENTS: usize = 16;

/// Query parameters as a tree: `Attribute.1.Name=x` is the path `Attribute` → `1` → `Name`. SQS and SNS
/// each convert it to their JSON input shapes.
#[derive(Debug, Default)]
pub(crate) struct Node {
    pub(crate) value: Option<String>,
    pub(crate) children: BTreeMap<String, Node>,
}

impl Node {
    /// The tree of `params`, without the `Action` and `Version` parameters. Names deeper than
    /// [`MAX_KEY_SEGMENTS`] are ignored like any other parameter that is not part of the input.
    pub(crate) fn from_params(params: &[(String, String)]) -> Node {
        let mut root = Node::default();
        for (key, value) in params {
            if key == "Action" || key == "Version" {
                continue;
            }
            let path: Vec<&str> = key.split('.').take(MAX_KEY_SEGMENTS + 1).collect();
            if path.len() > MAX_KEY_SEGMENTS {
                continue;
            }
            root.insert(&path, value.clone());
        }
        root
    }

    fn insert(&mut self, path: &[&str], value: String) {
        match path.split_first() {
            None => self.value = Some(value),
            Some((head, rest)) => self
                .children
                .entry((*head).to_string())
                .or_default()
                .insert(rest, value),
        }
    }

    /// Children with numeric keys, in index order (the flattened lists of the Query protocol).
    pub(crate) fn items(&self) -> Vec<&Node> {
        let mut items: Vec<(u64, &Node)> = self
            .children
            .iter()
            .filter_map(|(k, v)| k.parse::<u64>().ok().map(|i| (i, v)))
            .collect();
        items.sort_by_key(|(i, _)| *i);
        items.into_iter().map(|(_, node)| node).collect()
    }

    /// The text of child `key`.
    pub(crate) fn text(&self, key: &str) -> Option<&str> {
        self.children.get(key).and_then(|n| n.value.as_deref())
    }

    /// A flattened list of strings (`AttributeName.1=...`). A name sent without an index
    /// (`AttributeName=All`) is a one-member list, as AWS reads it.
    fn strings(&self) -> Value {
        let mut values: Vec<Value> = self
            .items()
            .into_iter()
            .filter_map(|n| n.value.clone())
            .map(Value::String)
            .collect();
        if values.is_empty() {
            values.extend(self.value.clone().map(Value::String));
        }
        Value::Array(values)
    }

    fn pairs(&self, key: &str, value: &str) -> Value {
        let mut map = Map::new();
        for item in self.items() {
            if let Some(k) = item.text(key) {
                let v = item.text(value).unwrap_or_default();
                map.insert(k.to_string(), Value::String(v.to_string()));
            }
        }
        Value::Object(map)
    }

    fn message_attributes(&self) -> Value {
        let mut map = Map::new();
        for item in self.items() {
            let Some(name) = item.text("Name") else {
                continue;
            };
            let mut value = Map::new();
            if let Some(node) = item.children.get("Value") {
                for (key, child) in &node.children {
                    match key.as_str() {
                        "StringListValue" => {
                            value.insert("StringListValues".into(), child.strings());
                        }
                        "BinaryListValue" => {
                            value.insert("BinaryListValues".into(), child.strings());
                        }
                        _ => {
                            if let Some(text) = &child.value {
                                value.insert(key.clone(), Value::String(text.clone()));
                            }
                        }
                    }
                }
            }
            map.insert(name.to_string(), Value::Object(value));
        }
        Value::Object(map)
    }
}

/// A Query parameter that could not be converted.
#[derive(Debug)]
pub enum QueryError {
    /// An integer parameter whose value is not an integer.
    NotAnInteger { parameter: String, value: String },
    /// A list index of 0 (`AttributeName.0`): AWS numbers list members from 1 and refuses the request
    /// (`MalformedInput`, "0 is not a valid index"), whatever the parameter.
    ZeroIndex,
}

/// Folds Query parameters into the JSON shape of `action`'s input.
pub fn to_json(action: &str, params: &[(String, String)]) -> Result<Value, QueryError> {
    let zero_index = params
        .iter()
        .any(|(key, _)| key.split('.').skip(1).any(|segment| segment == "0"));
    if zero_index {
        return Err(QueryError::ZeroIndex);
    }
    convert_object(action, &Node::from_params(params))
}

fn convert_object(action: &str, node: &Node) -> Result<Value, QueryError> {
    let mut out = Map::new();
    for (name, child) in &node.children {
        let (key, value) = match name.as_str() {
            "Attribute" => ("Attributes".to_string(), child.pairs("Name", "Value")),
            "Tag" if action == "CreateQueue" => ("tags".to_string(), child.pairs("Key", "Value")),
            "Tag" => ("Tags".to_string(), child.pairs("Key", "Value")),
            "MessageAttribute" => ("MessageAttributes".to_string(), child.message_attributes()),
            "MessageSystemAttribute" => (
                "MessageSystemAttributes".to_string(),
                child.message_attributes(),
            ),
            "AttributeName" => ("AttributeNames".to_string(), child.strings()),
            "MessageAttributeName" => ("MessageAttributeNames".to_string(), child.strings()),
            "MessageSystemAttributeName" => {
                ("MessageSystemAttributeNames".to_string(), child.strings())
            }
            "TagKey" => ("TagKeys".to_string(), child.strings()),
            "AWSAccountId" => ("AWSAccountIds".to_string(), child.strings()),
            "ActionName" => ("Actions".to_string(), child.strings()),
            entries if entries.ends_with("BatchRequestEntry") => {
                let items = child
                    .items()
                    .into_iter()
                    .map(|item| convert_object(action, item))
                    .collect::<Result<Vec<_>, _>>()?;
                ("Entries".to_string(), Value::Array(items))
            }
            json_only if JSON_ONLY_NAMES.contains(&json_only) => continue,
            scalar => {
                let Some(text) = &child.value else { continue };
                let value = if INTEGER_PARAMETERS.contains(&scalar) {
                    text.trim().parse::<i64>().map(Value::from).map_err(|_| {
                        QueryError::NotAnInteger {
                            parameter: scalar.to_string(),
                            value: text.clone(),
                        }
                    })?
                } else {
                    Value::String(text.clone())
                };
                (scalar.to_string(), value)
            }
        };
        out.insert(key, value);
    }
    Ok(Value::Object(out))
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
    fn folds_maps_lists_and_integers() {
        let value = to_json(
            "SendMessageBatch",
            &params(&[
                ("Action", "SendMessageBatch"),
                ("QueueUrl", "http://x/000000000000/q"),
                ("SendMessageBatchRequestEntry.2.Id", "b"),
                ("SendMessageBatchRequestEntry.2.MessageBody", "two"),
                ("SendMessageBatchRequestEntry.10.Id", "c"),
                ("SendMessageBatchRequestEntry.1.Id", "a"),
                ("SendMessageBatchRequestEntry.1.DelaySeconds", "5"),
                (
                    "SendMessageBatchRequestEntry.1.MessageAttribute.1.Name",
                    "k",
                ),
                (
                    "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.DataType",
                    "String",
                ),
                (
                    "SendMessageBatchRequestEntry.1.MessageAttribute.1.Value.StringValue",
                    "v",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            value,
            json!({
                "QueueUrl": "http://x/000000000000/q",
                "Entries": [
                    {"Id": "a", "DelaySeconds": 5, "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
                    {"Id": "b", "MessageBody": "two"},
                    {"Id": "c"}
                ]
            })
        );
    }

    #[test]
    fn attributes_and_tags() {
        let value = to_json(
            "CreateQueue",
            &params(&[
                ("QueueName", "q"),
                ("Attribute.1.Name", "VisibilityTimeout"),
                ("Attribute.1.Value", "60"),
                ("Tag.1.Key", "team"),
                ("Tag.1.Value", "core"),
                ("AttributeName.1", "All"),
            ]),
        )
        .unwrap();
        assert_eq!(
            value,
            json!({"QueueName": "q", "Attributes": {"VisibilityTimeout": "60"}, "tags": {"team": "core"}, "AttributeNames": ["All"]})
        );
        assert!(to_json("ReceiveMessage", &params(&[("MaxNumberOfMessages", "ten")])).is_err());
    }

    #[test]
    fn list_indices_start_at_one() {
        for key in [
            "AttributeName.0",
            "Attribute.0.Name",
            "SendMessageBatchRequestEntry.1.MessageAttribute.0.Name",
        ] {
            let result = to_json("ReceiveMessage", &params(&[(key, "All")]));
            assert!(matches!(result, Err(QueryError::ZeroIndex)), "{key}");
        }
        assert!(to_json("ReceiveMessage", &params(&[("AttributeName.10", "All")])).is_ok());
    }

    #[test]
    fn an_unindexed_list_name_is_a_one_member_list() {
        let value = to_json(
            "ReceiveMessage",
            &params(&[
                ("MessageAttributeName", "All"),
                ("AttributeName.member.1", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(value["MessageAttributeNames"], json!(["All"]));
        assert_eq!(value["AttributeNames"], json!([]));
    }

    #[test]
    fn json_member_names_of_lists_and_maps_are_ignored() {
        let value = to_json(
            "SendMessageBatch",
            &params(&[
                ("QueueUrl", "u"),
                ("Entries", ""),
                ("AttributeNames", ""),
                ("Tags", "x"),
            ]),
        )
        .unwrap();
        assert_eq!(value, json!({"QueueUrl": "u"}));
        let value = to_json(
            "ReceiveMessage",
            &params(&[("AttributeName.1", "All"), ("AttributeNames", "")]),
        )
        .unwrap();
        assert_eq!(value, json!({"AttributeNames": ["All"]}));
    }

    #[test]
    fn absurdly_deep_names_are_ignored_without_recursing() {
        // A name with a million segments once overflowed the stack (building and dropping the tree).
        let deep = format!("{}x", "a.".repeat(1_000_000));
        let value = to_json(
            "CreateQueue",
            &params(&[("QueueName", "q"), (deep.as_str(), "1")]),
        )
        .unwrap();
        assert_eq!(value, json!({"QueueName": "q"}));
        let tree = Node::from_params(&params(&[(deep.as_str(), "1")]));
        assert!(tree.children.is_empty());
    }
}
