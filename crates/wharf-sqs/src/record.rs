//! Binary layout of the two records written for every message (its content and its index entry).
//! They are on the hot path of every durable send, so they are laid out by hand instead of as JSON:
//! fixed-width little-endian integers and length-prefixed strings, a leading tag byte that JSON never
//! starts with (`{`), so records written by earlier versions (JSON) still decode.
//!
//! State record (tag 1): `receive_count u32 | first_receive u64 | last_receive u64 | visible_at u64 |
//! receipt_nonce u64 | sent u64 | has_group u8 | group (the rest, UTF-8)`.
//!
//! Message record (tag 2): `visible_at u64 | sent u64 | message_id | body | md5_of_body | sender_id`
//! (each `len u32 | UTF-8`), then `md5_of_attributes | trace_header | md5_of_system_attributes |
//! group_id | deduplication_id | sequence_number | dead_letter_source_arn` (each `len u32 | UTF-8`,
//! `len = u32::MAX` for none), then the message attributes as `len u32 | JSON` (`len = 0`: none).

use crate::fixed::FixedStr;
use crate::model::MessageAttributes;
use crate::persist::{MessageRecord, StateRecord, FORMAT_VERSION};
use crate::queue::{ContentExtra, Message, MessageContent};

const STATE_TAG: u8 = 1;
const MESSAGE_TAG: u8 = 2;
const NONE: u32 = u32::MAX;

/// The index entry of `message`.
pub fn encode_state(message: &Message) -> Vec<u8> {
    let group = message.group.as_deref();
    let mut out = Enc(Vec::with_capacity(46 + group.map_or(0, str::len)));
    out.0.push(STATE_TAG);
    out.u32(message.receive_count);
    out.u64(message.first_receive_millis);
    out.u64(message.last_receive_millis);
    out.u64(message.visible_at_millis);
    out.u64(message.receipt_nonce);
    out.u64(message.sent_millis);
    match group {
        Some(group) => {
            out.0.push(1);
            out.0.extend_from_slice(group.as_bytes());
        }
        None => out.0.push(0),
    }
    out.0
}

pub fn decode_state(bytes: &[u8]) -> Option<StateRecord> {
    if bytes.first() == Some(&b'{') {
        return serde_json::from_slice(bytes).ok();
    }
    let mut d = Dec(bytes);
    if d.u8()? != STATE_TAG {
        return None;
    }
    let mut record = StateRecord {
        v: FORMAT_VERSION,
        receive_count: d.u32()?,
        first_receive_millis: d.u64()?,
        last_receive_millis: d.u64()?,
        visible_at_millis: d.u64()?,
        receipt_nonce: d.u64()?,
        sent_millis: d.u64()?,
        group: None,
    };
    if d.u8()? == 1 {
        record.group = Some(std::str::from_utf8(d.0).ok()?.to_string());
    }
    Some(record)
}

/// The content record of a message (`visible_at_millis`: when it first becomes visible).
pub fn encode_message(content: &MessageContent, visible_at_millis: u64) -> Vec<u8> {
    let extra = content.extra();
    let attributes = if extra.attributes.is_empty() {
        Vec::new()
    } else {
        // Serializing this plain map cannot fail.
        serde_json::to_vec(&extra.attributes).unwrap_or_default()
    };
    let optional = [
        &extra.md5_of_attributes,
        &extra.trace_header,
        &extra.md5_of_system_attributes,
        &extra.group_id,
        &extra.deduplication_id,
        &extra.sequence_number,
        &extra.dead_letter_source_arn,
    ];
    let size = 1
        + 16
        + 4 * 12
        + content.message_id.len()
        + content.body.len()
        + content.md5_of_body.len()
        + content.sender_id.len()
        + optional
            .iter()
            .map(|o| o.as_ref().map_or(0, String::len))
            .sum::<usize>()
        + attributes.len();
    let mut out = Enc(Vec::with_capacity(size));
    out.0.push(MESSAGE_TAG);
    out.u64(visible_at_millis);
    out.u64(content.sent_millis);
    out.bytes(content.message_id.as_bytes());
    out.bytes(content.body.as_bytes());
    out.bytes(content.md5_of_body.as_bytes());
    out.bytes(content.sender_id.as_bytes());
    for field in optional {
        match field {
            Some(value) => out.bytes(value.as_bytes()),
            None => out.u32(NONE),
        }
    }
    out.bytes(&attributes);
    out.0
}

pub fn decode_message(bytes: &[u8]) -> Option<MessageRecord> {
    if bytes.first() == Some(&b'{') {
        return serde_json::from_slice(bytes).ok();
    }
    let mut d = Dec(bytes);
    if d.u8()? != MESSAGE_TAG {
        return None;
    }
    let visible_at_millis = d.u64()?;
    let sent_millis = d.u64()?;
    let message_id = d.fixed()?;
    let body = d.string()?;
    let md5_of_body = d.fixed()?;
    let sender_id = std::str::from_utf8(d.slice()?).ok()?.into();
    let md5_of_attributes = d.opt_string()?;
    let trace_header = d.opt_string()?;
    let md5_of_system_attributes = d.opt_string()?;
    let group_id = d.opt_string()?;
    let deduplication_id = d.opt_string()?;
    let sequence_number = d.opt_string()?;
    let dead_letter_source_arn = d.opt_string()?;
    let attributes = match d.slice()? {
        [] => MessageAttributes::new(),
        json => serde_json::from_slice(json).ok()?,
    };
    Some(MessageRecord {
        v: FORMAT_VERSION,
        content: MessageContent::new(
            message_id,
            body,
            md5_of_body,
            sent_millis,
            sender_id,
            ContentExtra {
                attributes,
                md5_of_attributes,
                trace_header,
                md5_of_system_attributes,
                group_id,
                deduplication_id,
                sequence_number,
                dead_letter_source_arn,
            },
        ),
        visible_at_millis,
    })
}

/// The index entry of a message that has none yet (nothing happened to it since it was sent), from the
/// header of its content record: the body and the other fields are skipped, not copied.
pub fn decode_initial_state(bytes: &[u8]) -> Option<StateRecord> {
    let (visible_at_millis, sent_millis, group) = if bytes.first() == Some(&b'{') {
        let record = decode_message(bytes)?;
        (
            record.visible_at_millis,
            record.content.sent_millis,
            record.content.extra().group_id.clone(),
        )
    } else {
        let mut d = Dec(bytes);
        if d.u8()? != MESSAGE_TAG {
            return None;
        }
        let visible_at_millis = d.u64()?;
        let sent_millis = d.u64()?;
        // message_id, body, md5_of_body, sender_id, md5_of_attributes, trace_header,
        // md5_of_system_attributes
        for _ in 0..4 {
            d.slice()?;
        }
        for _ in 0..3 {
            d.opt_slice()?;
        }
        let group = match d.opt_slice()? {
            Some(bytes) => Some(std::str::from_utf8(bytes).ok()?.to_string()),
            None => None,
        };
        (visible_at_millis, sent_millis, group)
    };
    Some(StateRecord {
        v: FORMAT_VERSION,
        receive_count: 0,
        first_receive_millis: 0,
        last_receive_millis: 0,
        visible_at_millis,
        receipt_nonce: 0,
        sent_millis,
        group,
    })
}

struct Enc(Vec<u8>);

impl Enc {
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn bytes(&mut self, v: &[u8]) {
        // Message fields are far below 4 GiB (the whole message is limited to 1 MiB).
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
    }
}

struct Dec<'a>(&'a [u8]);

impl<'a> Dec<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, rest) = self.0.split_at_checked(n)?;
        self.0 = rest;
        Some(head)
    }

    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_le_bytes(self.take(8)?.try_into().ok()?))
    }

    fn slice(&mut self) -> Option<&'a [u8]> {
        let len = self.u32()? as usize;
        self.take(len)
    }

    fn fixed<const N: usize>(&mut self) -> Option<FixedStr<N>> {
        FixedStr::new(std::str::from_utf8(self.slice()?).ok()?)
    }

    fn string(&mut self) -> Option<String> {
        Some(std::str::from_utf8(self.slice()?).ok()?.to_string())
    }

    /// `Some(None)` for an absent field, `None` for a malformed record.
    fn opt_slice(&mut self) -> Option<Option<&'a [u8]>> {
        let len = self.u32()?;
        if len == NONE {
            return Some(None);
        }
        Some(Some(self.take(len as usize)?))
    }

    fn opt_string(&mut self) -> Option<Option<String>> {
        match self.opt_slice()? {
            Some(bytes) => Some(Some(std::str::from_utf8(bytes).ok()?.to_string())),
            None => Some(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::fixed::{Md5Hex, MessageId};
    use crate::model::{Blob, MessageAttributeValue};
    use crate::queue::MessageState;

    fn content(full: bool) -> MessageContent {
        let mut attributes = MessageAttributes::new();
        if full {
            attributes.insert(
                "a".into(),
                MessageAttributeValue {
                    data_type: Some("Binary".into()),
                    binary_value: Some(Blob(vec![0, 1, 255])),
                    ..Default::default()
                },
            );
        }
        let opt = |s: &str| full.then(|| s.to_string());
        MessageContent::new(
            MessageId::new("0d9c5a8e-2b0f-4c1e-9c61-2d5b1a1e3f00").unwrap(),
            "héllo \u{1F600} {\"json\": true}".into(),
            Md5Hex::new("6f5902ac237024bdd0c176cb93063dc4").unwrap(),
            1_764_000_000_123,
            "AIDAEXAMPLE".into(),
            ContentExtra {
                attributes,
                md5_of_attributes: opt("md5a"),
                trace_header: opt("Root=1-5759e988-bd862e3fe1be46a994272793"),
                md5_of_system_attributes: opt("md5s"),
                group_id: opt("g1"),
                deduplication_id: opt(""),
                sequence_number: opt("18890000000000000001"),
                dead_letter_source_arn: opt("arn:aws:sqs:us-east-1:000000000000:src"),
            },
        )
    }

    #[test]
    fn message_records_round_trip_and_json_ones_still_decode() {
        for full in [false, true] {
            let content = content(full);
            let bytes = encode_message(&content, 42);
            assert_eq!(bytes[0], MESSAGE_TAG);
            let record = decode_message(&bytes).expect("decodes");
            assert_eq!(record.content, content);
            assert_eq!(record.visible_at_millis, 42);
            // every truncation is rejected, never mis-decoded
            for len in 0..bytes.len() {
                assert!(decode_message(&bytes[..len]).is_none(), "{len}");
            }
            let legacy = serde_json::to_vec(&MessageRecord {
                v: 1,
                content: content.clone(),
                visible_at_millis: 7,
            })
            .unwrap();
            let record = decode_message(&legacy).expect("legacy JSON decodes");
            assert_eq!(
                (record.content, record.visible_at_millis),
                (content.clone(), 7)
            );
            for (bytes, visible_at) in [(&bytes, 42), (&legacy, 7)] {
                let state = decode_initial_state(bytes).expect("header decodes");
                assert_eq!(
                    (
                        state.receive_count,
                        state.receipt_nonce,
                        state.visible_at_millis,
                        state.sent_millis,
                        state.group,
                    ),
                    (
                        0,
                        0,
                        visible_at,
                        content.sent_millis,
                        content.extra().group_id.clone()
                    )
                );
            }
        }
    }

    #[test]
    fn state_records_round_trip_and_json_ones_still_decode() {
        for group in [None, Some(Arc::<str>::from("group-1"))] {
            let message = Message {
                seq: 9,
                content: None,
                group: group.clone(),
                sent_millis: 1,
                state: MessageState::InFlight,
                visible_at_millis: 2,
                receive_count: 3,
                first_receive_millis: 4,
                last_receive_millis: 5,
                receipt_nonce: 6,
            };
            let bytes = encode_state(&message);
            let record = decode_state(&bytes).expect("decodes");
            assert_eq!(
                (
                    record.receive_count,
                    record.first_receive_millis,
                    record.last_receive_millis,
                    record.visible_at_millis,
                    record.receipt_nonce,
                    record.sent_millis,
                    record.group.as_deref(),
                ),
                (3, 4, 5, 2, 6, 1, group.as_deref())
            );
            for len in 0..46 {
                assert!(decode_state(&bytes[..len]).is_none(), "{len}");
            }
        }
        let legacy = br#"{"v":1,"rc":1,"fr":2,"lr":3,"va":4,"rn":5,"s":6,"g":"x"}"#;
        let record = decode_state(legacy).expect("legacy JSON decodes");
        assert_eq!(
            (record.receive_count, record.group.as_deref()),
            (1, Some("x"))
        );
    }
}
