//! The AWS Query protocol's response side: an action's JSON-shaped output rendered as SQS's XML.

use std::borrow::Cow;
use std::fmt::Write as _;

use serde_json::Value;

pub const SQS_NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// Actions whose Query response carries no `<...Result>` element.
const NO_RESULT: &[&str] = &[
    "DeleteQueue",
    "SetQueueAttributes",
    "DeleteMessage",
    "ChangeMessageVisibility",
    "PurgeQueue",
    "TagQueue",
    "UntagQueue",
    "AddPermission",
    "RemovePermission",
];

/// `s` as XML element content. Beyond the five markup characters: a carriage return is written as
/// `&#xD;` (an XML parser turns a raw CR into LF, so a body sent with `\r` would come back changed,
/// which SQS avoids the same way), and the characters an XML 1.0 document cannot hold at all
/// (controls other than tab, LF and CR; U+FFFE, U+FFFF) become U+FFFD: a value echoed in an error
/// message or stored from a request must never make the whole response unparseable.
pub fn text(s: &str) -> Cow<'_, str> {
    // 0xEF leads the UTF-8 of U+FFFE/U+FFFF (and of other characters, which the slow path keeps).
    let plain = |b: u8| {
        !matches!(b, b'<' | b'>' | b'&' | b'"' | b'\'' | 0xEF)
            && (b >= 0x20 || b == b'\t' || b == b'\n')
    };
    if s.bytes().all(plain) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

pub fn success(action: &str, output: &Value, request_id: &str) -> String {
    let mut xml = String::with_capacity(256);
    let _ = write!(
        xml,
        "<?xml version=\"1.0\"?><{action}Response xmlns=\"{SQS_NAMESPACE}\">"
    );
    if !NO_RESULT.contains(&action) {
        let _ = write!(xml, "<{action}Result>");
        if let Value::Object(fields) = output {
            for (name, value) in fields {
                member(&mut xml, action, name, value);
            }
        }
        let _ = write!(xml, "</{action}Result>");
    }
    let _ = write!(
        xml,
        "<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{action}Response>"
    );
    xml
}

pub fn error(sender_fault: bool, code: &str, message: &str, request_id: &str) -> String {
    let fault = if sender_fault { "Sender" } else { "Receiver" };
    format!(
        "<?xml version=\"1.0\"?><ErrorResponse xmlns=\"{SQS_NAMESPACE}\"><Error><Type>{fault}</Type><Code>{}</Code><Message>{}</Message><Detail/></Error><RequestId>{request_id}</RequestId></ErrorResponse>",
        text(code),
        text(message)
    )
}

fn element(xml: &mut String, name: &str, value: &str) {
    let _ = write!(xml, "<{name}>{}</{name}>", text(value));
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn member(xml: &mut String, action: &str, name: &str, value: &Value) {
    match (name, value) {
        ("Attributes", Value::Object(map)) => {
            for (k, v) in map {
                xml.push_str("<Attribute>");
                element(xml, "Name", k);
                element(xml, "Value", &scalar(v));
                xml.push_str("</Attribute>");
            }
        }
        ("Tags", Value::Object(map)) => {
            for (k, v) in map {
                xml.push_str("<Tag>");
                element(xml, "Key", k);
                element(xml, "Value", &scalar(v));
                xml.push_str("</Tag>");
            }
        }
        ("MessageAttributes", Value::Object(map)) => {
            for (k, v) in map {
                xml.push_str("<MessageAttribute>");
                element(xml, "Name", k);
                xml.push_str("<Value>");
                if let Value::Object(fields) = v {
                    for (field, text) in fields {
                        match (field.as_str(), text) {
                            ("StringListValues", Value::Array(items)) => items
                                .iter()
                                .for_each(|i| element(xml, "StringListValue", &scalar(i))),
                            ("BinaryListValues", Value::Array(items)) => items
                                .iter()
                                .for_each(|i| element(xml, "BinaryListValue", &scalar(i))),
                            _ => element(xml, field, &scalar(text)),
                        }
                    }
                }
                xml.push_str("</Value></MessageAttribute>");
            }
        }
        (_, Value::Array(items)) => {
            let item_name = match name {
                "QueueUrls" | "queueUrls" => "QueueUrl".to_string(),
                "Messages" => "Message".to_string(),
                "Successful" => format!("{action}ResultEntry"),
                "Failed" => "BatchResultErrorEntry".to_string(),
                "Results" => format!("{action}ResultEntry"),
                other => other.to_string(),
            };
            for item in items {
                match item {
                    Value::Object(fields) => {
                        let _ = write!(xml, "<{item_name}>");
                        for (k, v) in fields {
                            member(xml, action, k, v);
                        }
                        let _ = write!(xml, "</{item_name}>");
                    }
                    other => element(xml, &item_name, &scalar(other)),
                }
            }
        }
        (_, Value::Object(fields)) => {
            let _ = write!(xml, "<{name}>");
            for (k, v) in fields {
                member(xml, action, k, v);
            }
            let _ = write!(xml, "</{name}>");
        }
        (_, other) => element(xml, name, &scalar(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn renders_flattened_lists_and_maps() {
        let xml = success(
            "ReceiveMessage",
            &json!({"Messages": [{"MessageId": "m", "Body": "a<b", "Attributes": {"SentTimestamp": "1"},
                "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}}]}),
            "rid",
        );
        for piece in [
            "<ReceiveMessageResult><Message>",
            "<MessageId>m</MessageId>",
            "<Body>a&lt;b</Body>",
            "<Attribute><Name>SentTimestamp</Name><Value>1</Value></Attribute>",
            "<MessageAttribute><Name>k</Name><Value><DataType>String</DataType><StringValue>v</StringValue></Value></MessageAttribute>",
            "</Message></ReceiveMessageResult>",
        ] {
            assert!(xml.contains(piece), "{piece} missing from {xml}");
        }
        let xml = success("DeleteQueue", &json!({}), "rid");
        assert!(!xml.contains("DeleteQueueResult"));
        let xml = success(
            "SendMessageBatch",
            &json!({"Successful": [{"Id": "1"}], "Failed": []}),
            "rid",
        );
        assert!(
            xml.contains("<SendMessageBatchResultEntry><Id>1</Id></SendMessageBatchResultEntry>")
        );
    }

    #[test]
    fn text_keeps_carriage_returns_and_drops_what_xml_cannot_hold() {
        assert!(matches!(text("plain \u{e9}\u{4e2d}\t\n"), Cow::Borrowed(_)));
        assert_eq!(text("a<b>&\"'"), "a&lt;b&gt;&amp;&quot;&apos;");
        assert_eq!(text("a\r\nb"), "a&#xD;\nb");
        assert_eq!(
            text("\u{0}x\u{1}\u{1f}\u{fffe}\u{ffff}\u{fffd}\u{f000}"),
            "\u{fffd}x\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{fffd}\u{f000}"
        );
        let xml = error(
            true,
            "InvalidAddress",
            "The address \u{0} is not valid",
            "rid",
        );
        assert!(
            xml.contains("<Message>The address \u{fffd} is not valid</Message>"),
            "{xml}"
        );
    }
}
