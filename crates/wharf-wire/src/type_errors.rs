//! AWS's wording for a JSON member of the wrong type. SQS (JSON 1.0) and Kinesis (JSON 1.1, CBOR) share one
//! deserializer on AWS's side: it answers `SerializationException` before any validation, with messages
//! such as `STRING_VALUE can not be converted to an Integer` or `Start of list found where not expected`.
//! Only combinations whose wording was observed on AWS are mapped; callers decide what to say otherwise.

/// The message for a serde data error that is a JSON type mismatch, `None` for any other error.
pub(crate) fn wrong_type_message(error: &serde_json::Error) -> Option<String> {
    if !error.is_data() {
        return None;
    }
    let text = error.to_string();
    // Errors from bytes end with the position (" at line 1 column 9"); AWS's messages carry none.
    let text = match text.rfind(" at line ") {
        Some(at) if error.line() > 0 => &text[..at],
        _ => text.as_str(),
    };
    let (found, expected) = text
        .strip_prefix("invalid type: ")?
        .rsplit_once(", expected ")?;
    if found == "map" {
        return Some("Start of structure or map found where not expected.".into());
    }
    if found == "sequence" {
        return Some("Start of list found where not expected".into());
    }
    let found = if found.starts_with("string ") {
        "STRING_VALUE"
    } else if found == "boolean `true`" {
        "TRUE_VALUE"
    } else if found == "boolean `false`" {
        "FALSE_VALUE"
    } else if found.starts_with("integer ") {
        "NUMBER_VALUE"
    } else {
        return None;
    };
    let integer = matches!(
        expected,
        "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64"
    );
    Some(match expected {
        _ if integer && found != "NUMBER_VALUE" => {
            format!("{found} can not be converted to an Integer")
        }
        "a string" => format!("{found} can not be converted to a String"),
        "a boolean" if found == "NUMBER_VALUE" => {
            "NUMBER_VALUE can not be converted to a Boolean".into()
        }
        "a boolean" if found == "STRING_VALUE" => {
            "STRING_VALUE can not be converted to an Boolean".into()
        }
        "a sequence" => "Expected list or null".into(),
        "a map" => "Expected map or null".into(),
        _ if expected.starts_with("struct ") => "Expected null".into(),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "PascalCase")]
    struct Inner {
        name: Option<String>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "PascalCase")]
    struct Input {
        limit: Option<i64>,
        count: Option<u32>,
        name: Option<String>,
        flag: Option<bool>,
        list: Option<Vec<String>>,
        map: Option<BTreeMap<String, String>>,
        inner: Option<Inner>,
    }

    fn message(json: &str) -> Option<String> {
        let error = serde_json::from_str::<Input>(json).unwrap_err();
        wrong_type_message(&error)
    }

    #[test]
    fn observed_combinations() {
        let cases = [
            (
                r#"{"Limit": "ten"}"#,
                "STRING_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Count": false}"#,
                "FALSE_VALUE can not be converted to an Integer",
            ),
            (
                r#"{"Name": 5}"#,
                "NUMBER_VALUE can not be converted to a String",
            ),
            (
                r#"{"Name": true}"#,
                "TRUE_VALUE can not be converted to a String",
            ),
            (
                r#"{"Flag": 1}"#,
                "NUMBER_VALUE can not be converted to a Boolean",
            ),
            (
                r#"{"Flag": "yes"}"#,
                "STRING_VALUE can not be converted to an Boolean",
            ),
            (
                r#"{"Name": {}}"#,
                "Start of structure or map found where not expected.",
            ),
            (r#"{"Map": []}"#, "Start of list found where not expected"),
            (r#"{"List": "x"}"#, "Expected list or null"),
            (r#"{"Map": 1}"#, "Expected map or null"),
            (r#"{"Inner": "x"}"#, "Expected null"),
            (
                r#"{"Inner": {"Name": []}}"#,
                "Start of list found where not expected",
            ),
        ];
        for (json, expected) in cases {
            assert_eq!(message(json).as_deref(), Some(expected), "{json}");
        }
    }

    #[test]
    fn other_errors_are_not_worded() {
        assert_eq!(message(r#"{"Limit": 1.5}"#), None);
        assert_eq!(message(r#"{"Limit": "#), None);
        let error = serde_json::from_str::<Input>("{\"Limit\": \"x\"}").unwrap_err();
        assert!(error.line() > 0);
        assert!(!wrong_type_message(&error).unwrap().contains("line"));
    }
}
