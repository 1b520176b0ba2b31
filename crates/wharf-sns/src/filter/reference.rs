//! A deliberately plain interpreter of filter policies, walking the policy JSON on every call. It exists only
//! to check the compiled matcher against (see the property test in `tests.rs`).

use std::net::IpAddr;

use serde_json::{Map, Value};

use super::FilterScope;
use crate::model::MessageAttributes;

fn q(x: f64) -> i128 {
    (x * 100_000.0).round() as i128
}

/// Leaf values of a JSON value: arrays are flattened, objects contribute nothing.
fn leaves(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.iter().flat_map(leaves).collect(),
        Value::Object(_) => Vec::new(),
        other => vec![other.clone()],
    }
}

fn lookup_attribute(attributes: &MessageAttributes, name: &str) -> Vec<Value> {
    let Some(attr) = attributes.get(name) else {
        return Vec::new();
    };
    let Some(text) = attr.string_value.clone() else {
        return Vec::new();
    };
    match attr.data_type.as_deref() {
        Some("String.Array") => match serde_json::from_str::<Value>(&text) {
            Ok(v @ Value::Array(_)) => leaves(&v),
            _ => Vec::new(),
        },
        Some(t) if t == "String" || t.starts_with("String.") => vec![Value::String(text)],
        Some(t) if t == "Number" || t.starts_with("Number.") => match text.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => serde_json::Number::from_f64(n)
                .map(|n| vec![Value::Number(n)])
                .unwrap_or_default(),
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

fn lookup_body(body: &Value, path: &[String]) -> Vec<Value> {
    fn walk(value: &Value, path: &[String], out: &mut Vec<Value>) {
        match value {
            Value::Array(items) => items.iter().for_each(|i| walk(i, path, out)),
            Value::Object(map) => {
                if let Some((head, rest)) = path.split_first() {
                    if let Some(next) = map.get(head) {
                        walk(next, rest, out);
                    }
                }
            }
            other => {
                if path.is_empty() {
                    out.push(other.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some((head, rest)) = path.split_first() {
        if let Some(next) = body.get(head) {
            walk(next, rest, &mut out);
        }
    }
    out
}

fn in_cidr(text: &str, cidr: &str) -> bool {
    let Some((net, bits)) = cidr.split_once('/') else {
        return false;
    };
    let (Ok(ip), Ok(net), Ok(bits)) = (
        text.parse::<IpAddr>(),
        net.parse::<IpAddr>(),
        bits.parse::<usize>(),
    ) else {
        return false;
    };
    let (a, b): (Vec<u8>, Vec<u8>) = match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        (IpAddr::V6(a), IpAddr::V6(b)) => (a.octets().to_vec(), b.octets().to_vec()),
        _ => return false,
    };
    (0..bits).all(|i| {
        let byte = i / 8;
        let bit = 7 - (i % 8);
        (a[byte] >> bit) & 1 == (b[byte] >> bit) & 1
    })
}

fn rule_matches(rule: &Value, cand: &Value) -> bool {
    match rule {
        Value::String(s) => cand.as_str() == Some(s.as_str()),
        Value::Number(n) => cand.is_number() && q(cand.as_f64().unwrap()) == q(n.as_f64().unwrap()),
        Value::Bool(b) => cand.as_bool() == Some(*b),
        Value::Null => cand.is_null(),
        Value::Object(op) => {
            let (name, arg) = op.iter().next().unwrap();
            match name.as_str() {
                "prefix" => cand
                    .as_str()
                    .is_some_and(|c| c.starts_with(arg.as_str().unwrap())),
                "suffix" => cand
                    .as_str()
                    .is_some_and(|c| c.ends_with(arg.as_str().unwrap())),
                "equals-ignore-case" => cand
                    .as_str()
                    .is_some_and(|c| c.to_lowercase() == arg.as_str().unwrap().to_lowercase()),
                "exists" => arg.as_bool() == Some(true),
                "cidr" => cand
                    .as_str()
                    .is_some_and(|c| in_cidr(c, arg.as_str().unwrap())),
                "numeric" => {
                    let Some(x) = cand.as_f64().filter(|_| cand.is_number()) else {
                        return false;
                    };
                    let x = q(x);
                    let items = arg.as_array().unwrap();
                    items.chunks(2).all(|pair| {
                        let bound = q(pair[1].as_f64().unwrap());
                        match pair[0].as_str().unwrap() {
                            "=" => x == bound,
                            "<" => x < bound,
                            "<=" => x <= bound,
                            ">" => x > bound,
                            ">=" => x >= bound,
                            _ => false,
                        }
                    })
                }
                "anything-but" => {
                    let equal = |v: &Value| match (v, cand) {
                        (Value::String(a), Value::String(b)) => a == b,
                        (Value::Number(a), Value::Number(b)) => {
                            q(a.as_f64().unwrap()) == q(b.as_f64().unwrap())
                        }
                        _ => false,
                    };
                    match arg {
                        Value::Object(inner) => {
                            let prefix = inner["prefix"].as_str().unwrap();
                            cand.as_str().is_some_and(|c| !c.starts_with(prefix))
                        }
                        Value::Array(items) => !cand.is_null() && !items.iter().any(equal),
                        single => !cand.is_null() && !equal(single),
                    }
                }
                _ => false,
            }
        }
        Value::Array(_) => false,
    }
}

fn key_matches(rules: &[Value], cands: &[Value]) -> bool {
    if cands.is_empty() {
        return rules
            .iter()
            .any(|r| r.get("exists").and_then(Value::as_bool) == Some(false));
    }
    rules
        .iter()
        .any(|rule| cands.iter().any(|cand| rule_matches(rule, cand)))
}

fn eval(
    policy: &Map<String, Value>,
    path: &[String],
    lookup: &dyn Fn(&[String]) -> Vec<Value>,
) -> bool {
    policy.iter().all(|(key, value)| {
        let is_or = key == "$or"
            && value
                .as_array()
                .is_some_and(|a| a.len() >= 2 && a.iter().all(Value::is_object));
        if is_or {
            return value
                .as_array()
                .unwrap()
                .iter()
                .any(|branch| eval(branch.as_object().unwrap(), path, lookup));
        }
        let mut child = path.to_vec();
        child.push(key.clone());
        match value {
            Value::Object(inner) => eval(inner, &child, lookup),
            Value::Array(rules) => key_matches(rules, &lookup(&child)),
            _ => false,
        }
    })
}

/// Whether `policy` (already known to be valid) lets the message through.
pub fn matches(
    policy: &Value,
    scope: FilterScope,
    attributes: &MessageAttributes,
    body: &str,
) -> bool {
    let policy = policy.as_object().unwrap();
    if policy.is_empty() {
        return true;
    }
    match scope {
        FilterScope::MessageAttributes if attributes.is_empty() => false,
        FilterScope::MessageAttributes => eval(policy, &[], &|path: &[String]| {
            lookup_attribute(attributes, &path[0])
        }),
        FilterScope::MessageBody => match serde_json::from_str::<Value>(body) {
            Ok(body @ Value::Object(_)) => {
                eval(policy, &[], &|path: &[String]| lookup_body(&body, path))
            }
            _ => false,
        },
    }
}
