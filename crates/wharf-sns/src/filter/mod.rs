//! SNS subscription filter policies: validation with AWS's limits and messages, compiled once per
//! subscription into a matcher evaluated on every publish.
//!
//! Semantics (AWS's documentation, "Amazon SNS message filtering"):
//! - A policy is a JSON object. Its keys are ANDed; the values of one key's array are ORed. `"$or": [{..},
//!   {..}]` (an array of at least two objects) ORs sub-policies; otherwise `$or` is an ordinary key.
//! - Scope `MessageAttributes` (default): flat policies only, matched against String, String.Array (each
//!   element of the JSON array is a candidate) and Number attributes; Binary attributes are ignored.
//!   Scope `MessageBody`: nested objects navigate the JSON body; arrays met on the way (and at the leaf)
//!   are flattened, and a key matches when any of its values matches.
//! - Rules: exact string, exact number (numbers compare with five decimals), `true`/`false`/`null` (body),
//!   `prefix`, `suffix`, `equals-ignore-case`, `anything-but` (a value, a list of values, or
//!   `{"prefix": ..}`), `numeric` (`=`, or a range of `>`/`>=` then `<`/`<=`), `exists`, `cidr` (IPv4 and
//!   IPv6). A key whose value is absent matches only `{"exists": false}`, and that only when the message
//!   has at least one attribute (scope `MessageAttributes`): a message without attributes matches no
//!   policy but `{}`.
//! - Limits: at most 5 keys on any path through `$or` branches, at most 150 combinations (the product of
//!   the array lengths, summed over `$or` branches), policy JSON at most 256 KiB, numbers within ±1e9.

#[cfg(test)]
mod reference;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::net::IpAddr;

use serde_json::{Map, Value};

use crate::model::MessageAttributes;

pub const MAX_KEYS: usize = 5;
pub const MAX_COMBINATIONS: u64 = 150;
pub const MAX_POLICY_BYTES: usize = 256 * 1024;
const MAX_NUMBER: f64 = 1e9;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FilterScope {
    MessageAttributes,
    MessageBody,
}

impl FilterScope {
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "MessageAttributes" => Some(FilterScope::MessageAttributes),
            "MessageBody" => Some(FilterScope::MessageBody),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FilterScope::MessageAttributes => "MessageAttributes",
            FilterScope::MessageBody => "MessageBody",
        }
    }
}

/// Why a policy was refused: the text after `Invalid parameter: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub reason: String,
    /// The reason is about the policy document (`FilterPolicy: ...`), not about its scope.
    pub in_document: bool,
}

impl PolicyError {
    fn policy(detail: impl Into<String>) -> Self {
        PolicyError {
            reason: format!("FilterPolicy: {}", detail.into()),
            in_document: true,
        }
    }
}

/// A compiled filter policy.
#[derive(Debug)]
pub struct FilterPolicy {
    pub scope: FilterScope,
    root: Conj,
    /// Whether the policy uses nested objects (only valid for `MessageBody`).
    pub nested: bool,
}

/// Conditions ANDed, each `$or` group needing one of its branches.
#[derive(Debug, Default)]
struct Conj {
    conds: Vec<Cond>,
    ors: Vec<Vec<Conj>>,
}

#[derive(Debug)]
struct Cond {
    path: Vec<String>,
    rules: Rules,
}

#[derive(Debug, Default)]
struct Rules {
    strings: HashSet<String>,
    numbers: HashSet<i128>,
    trues: bool,
    falses: bool,
    nulls: bool,
    prefixes: Vec<String>,
    suffixes: Vec<String>,
    ignore_case: HashSet<String>,
    ranges: Vec<Range>,
    cidrs: Vec<Cidr>,
    anything_but: Vec<AnythingBut>,
    exists_true: bool,
    exists_false: bool,
    /// Values in the policy's array, for the complexity limit.
    count: usize,
}

#[derive(Debug, Clone, Copy)]
struct Range {
    low: Option<(i128, bool)>,
    high: Option<(i128, bool)>,
}

impl Range {
    fn contains(&self, n: i128) -> bool {
        self.low.is_none_or(|(b, incl)| n > b || (incl && n == b))
            && self.high.is_none_or(|(b, incl)| n < b || (incl && n == b))
    }
}

#[derive(Debug, Clone, Copy)]
struct Cidr {
    v6: bool,
    network: u128,
    mask: u128,
}

impl Cidr {
    fn contains(&self, ip: IpAddr) -> bool {
        match (ip, self.v6) {
            (IpAddr::V4(v4), false) => (u128::from(u32::from(v4)) & self.mask) == self.network,
            (IpAddr::V6(v6), true) => (u128::from(v6) & self.mask) == self.network,
            _ => false,
        }
    }
}

#[derive(Debug)]
enum AnythingBut {
    Values {
        strings: HashSet<String>,
        numbers: HashSet<i128>,
    },
    Prefix(String),
}

/// Numbers compare with five decimals of precision.
pub(crate) fn quantize(x: f64) -> i128 {
    (x * 100_000.0).round() as i128
}

/// One value a condition is checked against.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cand {
    Str(String),
    Num(i128),
    Bool(bool),
    Null,
}

impl Rules {
    fn matches(&self, cand: &Cand) -> bool {
        match cand {
            Cand::Str(s) => {
                self.strings.contains(s)
                    || self.prefixes.iter().any(|p| s.starts_with(p.as_str()))
                    || self.suffixes.iter().any(|p| s.ends_with(p.as_str()))
                    || (!self.ignore_case.is_empty()
                        && self.ignore_case.contains(&s.to_lowercase()))
                    || (!self.cidrs.is_empty()
                        && s.parse::<IpAddr>()
                            .is_ok_and(|ip| self.cidrs.iter().any(|c| c.contains(ip))))
                    || self.anything_but.iter().any(|ab| match ab {
                        AnythingBut::Values { strings, .. } => !strings.contains(s),
                        AnythingBut::Prefix(p) => !s.starts_with(p.as_str()),
                    })
            }
            Cand::Num(n) => {
                self.numbers.contains(n)
                    || self.ranges.iter().any(|r| r.contains(*n))
                    || self.anything_but.iter().any(|ab| match ab {
                        AnythingBut::Values { numbers, .. } => !numbers.contains(n),
                        AnythingBut::Prefix(_) => false,
                    })
            }
            Cand::Bool(b) => {
                (if *b { self.trues } else { self.falses })
                    || self
                        .anything_but
                        .iter()
                        .any(|ab| matches!(ab, AnythingBut::Values { .. }))
            }
            Cand::Null => self.nulls,
        }
    }

    fn matches_all(&self, cands: &[Cand]) -> bool {
        if cands.is_empty() {
            return self.exists_false;
        }
        self.exists_true || cands.iter().any(|c| self.matches(c))
    }
}

/// What a policy is matched against: a published message, seen by one subscription.
pub struct MessageView<'a> {
    attributes: &'a MessageAttributes,
    body: &'a str,
    parsed_body: std::cell::OnceCell<Option<Value>>,
}

impl<'a> MessageView<'a> {
    pub fn new(attributes: &'a MessageAttributes, body: &'a str) -> Self {
        MessageView {
            attributes,
            body,
            parsed_body: std::cell::OnceCell::new(),
        }
    }

    fn body(&self) -> Option<&Value> {
        self.parsed_body
            .get_or_init(|| {
                serde_json::from_str::<Value>(self.body)
                    .ok()
                    .filter(Value::is_object)
            })
            .as_ref()
    }
}

/// The candidates of a message attribute: String → the string, Number → the number, String.Array → each
/// element; Binary (and anything unreadable) → none.
pub(crate) fn attribute_candidates(attributes: &MessageAttributes, name: &str) -> Vec<Cand> {
    let Some(value) = attributes.get(name) else {
        return Vec::new();
    };
    let data_type = value.data_type.as_deref().unwrap_or_default();
    let text = value.string_value.as_deref();
    match (data_type.split('.').next().unwrap_or_default(), text) {
        ("String", Some(text)) if data_type == "String.Array" => {
            match serde_json::from_str::<Value>(text) {
                Ok(Value::Array(items)) => {
                    let mut out = Vec::new();
                    for item in &items {
                        json_candidates(item, &mut out);
                    }
                    out
                }
                _ => Vec::new(),
            }
        }
        ("String", Some(text)) => vec![Cand::Str(text.to_string())],
        ("Number", Some(text)) => text
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(|n| vec![Cand::Num(quantize(n))])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

/// Leaf candidates of a JSON value (arrays flattened, objects have none).
pub(crate) fn json_candidates(value: &Value, out: &mut Vec<Cand>) {
    match value {
        Value::String(s) => out.push(Cand::Str(s.clone())),
        Value::Number(n) => {
            if let Some(f) = n.as_f64() {
                out.push(Cand::Num(quantize(f)));
            }
        }
        Value::Bool(b) => out.push(Cand::Bool(*b)),
        Value::Null => out.push(Cand::Null),
        Value::Array(items) => items.iter().for_each(|i| json_candidates(i, out)),
        Value::Object(_) => {}
    }
}

/// Candidates at `path` in a JSON body, flattening arrays met on the way.
pub(crate) fn body_candidates(body: &Value, path: &[String]) -> Vec<Cand> {
    let mut current: Vec<&Value> = vec![body];
    for key in path {
        let mut next = Vec::new();
        for value in current {
            collect_key(value, key, &mut next);
        }
        current = next;
    }
    let mut out = Vec::new();
    for value in current {
        json_candidates(value, &mut out);
    }
    out
}

fn collect_key<'v>(value: &'v Value, key: &str, out: &mut Vec<&'v Value>) {
    match value {
        Value::Object(map) => {
            if let Some(v) = map.get(key) {
                out.push(v);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_key(i, key, out)),
        _ => {}
    }
}

impl FilterPolicy {
    /// Compiles `text` for `scope`, or says why AWS would refuse it.
    pub fn compile(text: &str, scope: FilterScope) -> Result<FilterPolicy, PolicyError> {
        if text.len() > MAX_POLICY_BYTES {
            return Err(PolicyError::policy("Filter policy is too long"));
        }
        let value: Value = serde_json::from_str(text)
            .map_err(|e| PolicyError::policy(format!("failed to parse JSON. {e}")))?;
        let Value::Object(map) = value else {
            return Err(PolicyError::policy("Filter policy must be a JSON object"));
        };
        let mut nested = false;
        let root = compile_object(&map, &mut Vec::new(), &mut nested)?;
        if nested && scope == FilterScope::MessageAttributes {
            return Err(PolicyError {
                reason:
                    "Filter policy scope MessageAttributes does not support nested filter policy"
                        .into(),
                in_document: false,
            });
        }
        if max_keys(&root) > MAX_KEYS {
            return Err(PolicyError::policy(format!(
                "Filter policy can not have more than {MAX_KEYS} keys"
            )));
        }
        if combinations(&root) > MAX_COMBINATIONS {
            return Err(PolicyError::policy("Filter policy is too complex"));
        }
        Ok(FilterPolicy {
            scope,
            root,
            nested,
        })
    }

    /// Whether the policy has no condition at all (`{}`), which lets every message through.
    pub fn is_empty(&self) -> bool {
        self.root.conds.is_empty() && self.root.ors.is_empty()
    }

    pub fn matches(&self, message: &MessageView<'_>) -> bool {
        if self.is_empty() {
            return true;
        }
        match self.scope {
            // "`exists: false` only matches if at least one attribute is present": a message without
            // attributes matches no policy but the empty one (developer guide, "Key matching").
            FilterScope::MessageAttributes if message.attributes.is_empty() => false,
            FilterScope::MessageAttributes => self
                .root
                .matches(&|path: &[String]| attribute_candidates(message.attributes, &path[0])),
            FilterScope::MessageBody => match message.body() {
                Some(body) => self
                    .root
                    .matches(&|path: &[String]| body_candidates(body, path)),
                None => false,
            },
        }
    }
}

impl Conj {
    fn matches(&self, lookup: &dyn Fn(&[String]) -> Vec<Cand>) -> bool {
        self.conds
            .iter()
            .all(|c| c.rules.matches_all(&lookup(&c.path)))
            && self
                .ors
                .iter()
                .all(|branches| branches.iter().any(|b| b.matches(lookup)))
    }
}

fn max_keys(conj: &Conj) -> usize {
    conj.conds.len()
        + conj
            .ors
            .iter()
            .map(|branches| branches.iter().map(max_keys).max().unwrap_or(0))
            .sum::<usize>()
}

fn combinations(conj: &Conj) -> u64 {
    let mut total: u64 = conj
        .conds
        .iter()
        .map(|c| c.rules_len() as u64)
        .fold(1u64, |a, b| a.saturating_mul(b));
    for branches in &conj.ors {
        let sum = branches
            .iter()
            .map(combinations)
            .fold(0u64, |a, b| a.saturating_add(b));
        total = total.saturating_mul(sum.max(1));
    }
    total
}

impl Cond {
    fn rules_len(&self) -> usize {
        self.rules.count
    }
}

/// Whether `$or` at this position is the OR operator: an array of at least two objects.
fn is_or_operator(key: &str, value: &Value) -> bool {
    key == "$or"
        && matches!(value, Value::Array(items) if items.len() >= 2 && items.iter().all(Value::is_object))
}

fn compile_object(
    map: &Map<String, Value>,
    path: &mut Vec<String>,
    nested: &mut bool,
) -> Result<Conj, PolicyError> {
    let mut conj = Conj::default();
    for (key, value) in map {
        if is_or_operator(key, value) {
            let Value::Array(items) = value else {
                unreachable!("checked by is_or_operator")
            };
            let mut branches = Vec::new();
            for item in items {
                let Value::Object(branch) = item else {
                    unreachable!("checked by is_or_operator")
                };
                branches.push(compile_object(branch, path, nested)?);
            }
            conj.ors.push(branches);
            continue;
        }
        path.push(key.clone());
        match value {
            Value::Array(items) => {
                let rules = compile_rules(key, items)?;
                conj.conds.push(Cond {
                    path: path.clone(),
                    rules,
                });
            }
            Value::Object(inner) => {
                *nested = true;
                let sub = compile_object(inner, path, nested)?;
                conj.conds.extend(sub.conds);
                conj.ors.extend(sub.ors);
            }
            _ => {
                return Err(PolicyError::policy(format!(
                    "\"{key}\" must be an object or an array"
                )))
            }
        }
        path.pop();
    }
    Ok(conj)
}

fn number_of(value: &Value, context: &str) -> Result<f64, PolicyError> {
    let n = value
        .as_f64()
        .ok_or_else(|| PolicyError::policy(format!("Value of {context} must be numeric")))?;
    if !(-MAX_NUMBER..=MAX_NUMBER).contains(&n) {
        return Err(PolicyError::policy(format!(
            "Value of {context} must be numeric"
        )));
    }
    Ok(n)
}

fn string_of<'v>(value: &'v Value, operator: &str) -> Result<&'v str, PolicyError> {
    value
        .as_str()
        .ok_or_else(|| PolicyError::policy(format!("{operator} match pattern must be a string")))
}

/// Rules counted for the complexity limit, kept beside the compiled sets.
impl Rules {
    fn with_count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }
}

fn compile_rules(key: &str, items: &[Value]) -> Result<Rules, PolicyError> {
    if items.is_empty() {
        return Err(PolicyError::policy("Empty arrays are not allowed"));
    }
    let mut rules = Rules::default();
    for item in items {
        match item {
            Value::String(s) => {
                rules.strings.insert(s.clone());
            }
            Value::Number(_) => {
                rules.numbers.insert(quantize(number_of(item, key)?));
            }
            Value::Bool(true) => rules.trues = true,
            Value::Bool(false) => rules.falses = true,
            Value::Null => rules.nulls = true,
            Value::Array(_) => {
                return Err(PolicyError::policy(
                    "Match value must be String, number, true, false, or null",
                ))
            }
            Value::Object(operator) => compile_operator(operator, &mut rules)?,
        }
    }
    Ok(rules.with_count(items.len()))
}

fn compile_operator(operator: &Map<String, Value>, rules: &mut Rules) -> Result<(), PolicyError> {
    let mut entries = operator.iter();
    let (Some((name, value)), None) = (entries.next(), entries.next()) else {
        return Err(PolicyError::policy(if operator.is_empty() {
            "Empty objects are not allowed"
        } else {
            "Only one key allowed in match expression"
        }));
    };
    match name.as_str() {
        "prefix" => rules.prefixes.push(string_of(value, "prefix")?.to_string()),
        "suffix" => rules.suffixes.push(string_of(value, "suffix")?.to_string()),
        "equals-ignore-case" => {
            rules
                .ignore_case
                .insert(string_of(value, "equals-ignore-case")?.to_lowercase());
        }
        "exists" => match value {
            Value::Bool(true) => rules.exists_true = true,
            Value::Bool(false) => rules.exists_false = true,
            _ => {
                return Err(PolicyError::policy(
                    "exists match pattern must be either true or false.",
                ))
            }
        },
        "numeric" => rules.ranges.push(compile_numeric(value)?),
        "cidr" => rules.cidrs.push(compile_cidr(string_of(value, "cidr")?)?),
        "anything-but" => rules.anything_but.push(compile_anything_but(value)?),
        other => {
            return Err(PolicyError::policy(format!(
                "Unrecognized match type {other}"
            )))
        }
    }
    Ok(())
}

fn compile_anything_but(value: &Value) -> Result<AnythingBut, PolicyError> {
    let mut strings = HashSet::new();
    let mut numbers = HashSet::new();
    let mut add = |v: &Value| -> Result<(), PolicyError> {
        match v {
            Value::String(s) => {
                strings.insert(s.clone());
                Ok(())
            }
            Value::Number(_) => {
                numbers.insert(quantize(number_of(v, "anything-but")?));
                Ok(())
            }
            _ => Err(PolicyError::policy(
                "Inside anything but list, start|null|boolean is not supported.",
            )),
        }
    };
    match value {
        Value::String(_) | Value::Number(_) => add(value)?,
        Value::Array(items) => {
            if items.is_empty() {
                return Err(PolicyError::policy("Empty arrays are not allowed"));
            }
            for item in items {
                add(item)?;
            }
        }
        Value::Object(inner) => {
            let mut entries = inner.iter();
            return match (entries.next(), entries.next()) {
                (Some((name, v)), None) if name == "prefix" => {
                    // AWS: a non-string is "must be a string"; an empty one "must be a non-empty string".
                    let prefix = v.as_str().ok_or_else(|| {
                        PolicyError::policy("prefix match pattern must be a string")
                    })?;
                    if prefix.is_empty() {
                        return Err(PolicyError::policy(
                            "prefix match pattern must be a non-empty string",
                        ));
                    }
                    Ok(AnythingBut::Prefix(prefix.to_string()))
                }
                (Some((name, _)), None) => Err(PolicyError::policy(format!(
                    "Unsupported anything-but pattern: {name}"
                ))),
                _ => Err(PolicyError::policy(
                    "Value of anything-but must be an array or single string/number value.",
                )),
            };
        }
        _ => {
            return Err(PolicyError::policy(
                "Value of anything-but must be an array or single string/number value.",
            ))
        }
    }
    Ok(AnythingBut::Values { strings, numbers })
}

fn compile_numeric(value: &Value) -> Result<Range, PolicyError> {
    let Value::Array(items) = value else {
        return Err(PolicyError::policy("Value of numeric must be an array."));
    };
    let op_at = |i: usize| -> Result<&str, PolicyError> {
        items[i].as_str().ok_or_else(|| {
            PolicyError::policy(format!("Invalid member in numeric match: {}", items[i]))
        })
    };
    if items.is_empty() {
        return Err(PolicyError::policy("Invalid member in numeric match: ]"));
    }
    let first = op_at(0)?;
    if !matches!(first, "=" | "<" | "<=" | ">" | ">=") {
        return Err(PolicyError::policy(format!(
            "Unrecognized numeric range operator: {first}"
        )));
    }
    if items.len() < 2 {
        return Err(PolicyError::policy(format!(
            "Value of {first} must be numeric"
        )));
    }
    // AWS names the `=` operator "equals" in this message.
    let context = if first == "=" { "equals" } else { first };
    let first_value = quantize(number_of(&items[1], context)?);
    let mut range = Range {
        low: None,
        high: None,
    };
    match first {
        "=" => {
            if items.len() > 2 {
                return Err(PolicyError::policy(
                    "Too many elements in numeric expression",
                ));
            }
            return Ok(Range {
                low: Some((first_value, true)),
                high: Some((first_value, true)),
            });
        }
        ">" | ">=" => range.low = Some((first_value, first == ">=")),
        "<" | "<=" => {
            if items.len() > 2 {
                return Err(PolicyError::policy(
                    "Too many elements in numeric expression",
                ));
            }
            range.high = Some((first_value, first == "<="));
            return Ok(range);
        }
        other => {
            return Err(PolicyError::policy(format!(
                "Unrecognized numeric range operator: {other}"
            )))
        }
    }
    if items.len() == 2 {
        return Ok(range);
    }
    // After a lower bound only an upper bound may follow (AWS's wordings for each way it can fail).
    let Some(second) = items[2].as_str() else {
        return Err(PolicyError::policy(format!(
            "Bad value in numeric range: {}",
            items[2]
        )));
    };
    if !matches!(second, "<" | "<=") {
        return Err(PolicyError::policy(format!(
            "Bad numeric range operator: {second}"
        )));
    }
    let Some(top) = items.get(3) else {
        return Err(PolicyError::policy(format!(
            "Value of {second} must be numeric"
        )));
    };
    let top = quantize(number_of(top, second)?);
    if top <= first_value {
        return Err(PolicyError::policy("Bottom must be less than top"));
    }
    if items.len() > 4 {
        return Err(PolicyError::policy(
            "Too many terms in numeric range expression",
        ));
    }
    range.high = Some((top, second == "<="));
    Ok(range)
}

fn compile_cidr(text: &str) -> Result<Cidr, PolicyError> {
    let mut parts = text.split('/');
    let (Some(address), Some(bits), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(PolicyError::policy("Malformed CIDR, one '/' required"));
    };
    let ip: IpAddr = address
        .parse()
        .map_err(|_| PolicyError::policy(format!("Nonstandard IP address: {address}")))?;
    let width = if ip.is_ipv4() { 32 } else { 128 };
    let bits: u32 = bits.parse().ok().filter(|b| *b <= width).ok_or_else(|| {
        PolicyError::policy(format!(
            "Malformed CIDR, mask bits must be an integer between 0 and {width}"
        ))
    })?;
    let (v6, value, full) = match ip {
        IpAddr::V4(v4) => (false, u128::from(u32::from(v4)), u128::from(u32::MAX)),
        IpAddr::V6(v6) => (true, u128::from(v6), u128::MAX),
    };
    let mask = if bits == 0 {
        0
    } else {
        (full >> (width - bits)) << (width - bits) & full
    };
    Ok(Cidr {
        v6,
        network: value & mask,
        mask,
    })
}
