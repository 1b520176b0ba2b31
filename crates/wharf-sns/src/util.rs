//! Small helpers: timestamps, tokens, paging, ARNs.

use base64::Engine as _;

use crate::error::{SnsError, SnsResult};

/// The UTC date and time of epoch milliseconds (the epoch itself for values `time` cannot represent).
pub(crate) fn utc(millis: u64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `2024-05-02T00:54:06.655Z` for epoch milliseconds.
pub fn iso8601(millis: u64) -> String {
    let t = utc(millis);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

/// A random lowercase hex string of `len` characters (UUID v4 randomness).
pub fn random_hex(len: usize) -> String {
    let mut out = String::with_capacity(len + 32);
    while out.len() < len {
        out.push_str(&uuid::Uuid::new_v4().simple().to_string());
    }
    out.truncate(len);
    out
}

pub fn encode_token(key: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)
}

pub fn decode_token(token: &str) -> SnsResult<String> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(|| SnsError::invalid("NextToken"))
}

/// Items per page of the List* actions.
pub const PAGE_SIZE: usize = 100;

/// One page of `items` (sorted by key) after the key encoded in `next_token`.
pub fn page<T>(
    items: impl IntoIterator<Item = (String, T)>,
    next_token: Option<&str>,
    page_size: usize,
) -> SnsResult<(Vec<T>, Option<String>)> {
    let after = match next_token.filter(|t| !t.is_empty()) {
        Some(token) => Some(decode_token(token)?),
        None => None,
    };
    let mut out = Vec::new();
    let mut last_key = None;
    let mut more = false;
    for (key, item) in items {
        if after.as_ref().is_some_and(|a| key.as_str() <= a.as_str()) {
            continue;
        }
        if out.len() == page_size {
            more = true;
            break;
        }
        last_key = Some(key);
        out.push(item);
    }
    let token = if more {
        last_key.map(|k| encode_token(&k))
    } else {
        None
    };
    Ok((out, token))
}

/// The parts of an SNS ARN: `arn:<partition>:sns:<region>:<account>:<resource>`.
pub struct ArnParts<'a> {
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

pub fn parse_arn<'a>(arn: &'a str, service: &str) -> Option<ArnParts<'a>> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(partition), Some(svc), Some(region), Some(account), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    if partition.is_empty() || svc != service || resource.is_empty() {
        return None;
    }
    Some(ArnParts {
        region,
        account,
        resource,
    })
}

/// `Y` for a valid topic name: 1..256 of `[A-Za-z0-9_-]`, with `.fifo` allowed at the end when `fifo`.
pub fn valid_topic_name(name: &str, fifo: bool) -> bool {
    let base = if fifo {
        match name.strip_suffix(".fifo") {
            Some(base) => base,
            None => return false,
        }
    } else {
        name
    };
    !base.is_empty()
        && name.len() <= 256
        && base
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Percent-encodes a query-string value.
pub fn url_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(iso8601(1_335_920_046_655), "2012-05-02T00:54:06.655Z");
        assert_eq!(iso8601(951_782_400_000), "2000-02-29T00:00:00.000Z");
        assert_eq!(iso8601(4_102_444_799_999), "2099-12-31T23:59:59.999Z");
    }

    #[test]
    fn paging() {
        let items = (0..250).map(|i| (format!("k{i:03}"), i));
        let (first, token) = page(items.clone(), None, 100).unwrap();
        assert_eq!(first.len(), 100);
        let (second, token) = page(items.clone(), token.as_deref(), 100).unwrap();
        assert_eq!(second[0], 100);
        let (third, token) = page(items.clone(), token.as_deref(), 100).unwrap();
        assert_eq!(third.len(), 50);
        assert!(token.is_none());
        let (exact, token) = page((0..100).map(|i| (format!("{i:03}"), i)), None, 100).unwrap();
        assert_eq!(exact.len(), 100);
        assert!(token.is_none());
        assert!(page(items, Some("%%%"), 100).is_err());
    }

    #[test]
    fn names_and_arns() {
        assert!(valid_topic_name("a-b_C9", false));
        assert!(!valid_topic_name("a.fifo", false));
        assert!(valid_topic_name("a.fifo", true));
        assert!(!valid_topic_name(".fifo", true));
        assert!(!valid_topic_name("a", true));
        assert!(valid_topic_name(&"x".repeat(256), false));
        assert!(!valid_topic_name(&"x".repeat(257), false));
        let parts = parse_arn("arn:aws:sns:us-east-1:000000000000:t:sub", "sns").unwrap();
        assert_eq!(parts.resource, "t:sub");
        assert!(parse_arn("arn:aws:sqs:us-east-1:0:q", "sns").is_none());
        assert!(parse_arn("nonsense", "sns").is_none());
        assert_eq!(url_encode("a:b/c d"), "a%3Ab%2Fc%20d");
    }
}
