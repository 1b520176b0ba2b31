use serde_json::{json, Value};

use super::*;
use crate::model::{Blob, MessageAttributeValue, MessageAttributes};

fn attrs(items: &[(&str, &str, &str)]) -> MessageAttributes {
    items
        .iter()
        .map(|(name, data_type, value)| {
            let value = if *data_type == "Binary" {
                MessageAttributeValue {
                    data_type: Some("Binary".into()),
                    string_value: None,
                    binary_value: Some(Blob(value.as_bytes().to_vec())),
                }
            } else {
                MessageAttributeValue {
                    data_type: Some(data_type.to_string()),
                    string_value: Some(value.to_string()),
                    binary_value: None,
                }
            };
            (name.to_string(), value)
        })
        .collect()
}

fn on_attrs(policy: Value, items: &[(&str, &str, &str)]) -> bool {
    let compiled = FilterPolicy::compile(&policy.to_string(), FilterScope::MessageAttributes)
        .unwrap_or_else(|e| panic!("{policy}: {e:?}"));
    let attributes = attrs(items);
    let result = compiled.matches(&MessageView::new(&attributes, ""));
    assert_eq!(
        result,
        reference::matches(&policy, FilterScope::MessageAttributes, &attributes, ""),
        "reference disagrees on {policy}"
    );
    result
}

fn on_body(policy: Value, body: Value) -> bool {
    let compiled = FilterPolicy::compile(&policy.to_string(), FilterScope::MessageBody)
        .unwrap_or_else(|e| panic!("{policy}: {e:?}"));
    let empty = MessageAttributes::new();
    let text = body.to_string();
    let result = compiled.matches(&MessageView::new(&empty, &text));
    assert_eq!(
        result,
        reference::matches(&policy, FilterScope::MessageBody, &empty, &text),
        "reference disagrees on {policy} / {body}"
    );
    result
}

fn error(policy: &str, scope: FilterScope) -> String {
    FilterPolicy::compile(policy, scope)
        .expect_err(policy)
        .reason
}

#[test]
fn exact_strings_and_numbers() {
    let p = json!({"color": ["red", "blue"], "size": [10]});
    assert!(on_attrs(
        p.clone(),
        &[("color", "String", "red"), ("size", "Number", "10")]
    ));
    assert!(on_attrs(
        p.clone(),
        &[("color", "String", "blue"), ("size", "Number", "10.000001")]
    ));
    assert!(!on_attrs(
        p.clone(),
        &[("color", "String", "green"), ("size", "Number", "10")]
    ));
    assert!(!on_attrs(p.clone(), &[("color", "String", "red")]));
    assert!(!on_attrs(
        p.clone(),
        &[("color", "String", "red"), ("size", "String", "10")]
    ));
    assert!(!on_attrs(json!({"n": ["5"]}), &[("n", "Number", "5")]));
    assert!(on_attrs(json!({"n": [5]}), &[("n", "Number", "5.0")]));
    assert!(on_attrs(json!({"n": [5]}), &[("n", "Number", "5e0")]));
}

#[test]
fn string_arrays_and_binary() {
    let p = json!({"tags": ["b"]});
    assert!(on_attrs(
        p.clone(),
        &[("tags", "String.Array", r#"["a","b"]"#)]
    ));
    assert!(!on_attrs(
        p.clone(),
        &[("tags", "String.Array", r#"["a","c"]"#)]
    ));
    assert!(on_attrs(
        json!({"tags": [3]}),
        &[("tags", "String.Array", r#"["a",3]"#)]
    ));
    assert!(on_attrs(
        json!({"tags": [true]}),
        &[("tags", "String.Array", "[true]")]
    ));
    assert!(!on_attrs(p.clone(), &[("tags", "Binary", "b")]));
    assert!(on_attrs(
        json!({"tags": [{"exists": false}]}),
        &[("tags", "Binary", "b")]
    ));
}

#[test]
fn prefix_suffix_ignore_case() {
    assert!(on_attrs(
        json!({"k": [{"prefix": "ab"}]}),
        &[("k", "String", "abc")]
    ));
    assert!(!on_attrs(
        json!({"k": [{"prefix": "ab"}]}),
        &[("k", "String", "xabc")]
    ));
    assert!(on_attrs(
        json!({"k": [{"suffix": ".png"}]}),
        &[("k", "String", "a.png")]
    ));
    assert!(!on_attrs(
        json!({"k": [{"suffix": ".png"}]}),
        &[("k", "String", "a.jpg")]
    ));
    assert!(on_attrs(
        json!({"k": [{"equals-ignore-case": "ReD"}]}),
        &[("k", "String", "rEd")]
    ));
    assert!(!on_attrs(
        json!({"k": [{"equals-ignore-case": "red"}]}),
        &[("k", "String", "reds")]
    ));
}

#[test]
fn anything_but() {
    let single = json!({"k": [{"anything-but": "a"}]});
    assert!(on_attrs(single.clone(), &[("k", "String", "b")]));
    assert!(!on_attrs(single.clone(), &[("k", "String", "a")]));
    assert!(!on_attrs(single, &[]));
    let list = json!({"k": [{"anything-but": ["a", "b", 3]}]});
    assert!(on_attrs(list.clone(), &[("k", "String", "c")]));
    assert!(!on_attrs(list.clone(), &[("k", "String", "b")]));
    assert!(!on_attrs(list.clone(), &[("k", "Number", "3")]));
    assert!(on_attrs(list, &[("k", "Number", "4")]));
    let prefix = json!({"k": [{"anything-but": {"prefix": "tmp-"}}]});
    assert!(on_attrs(prefix.clone(), &[("k", "String", "prod")]));
    assert!(!on_attrs(prefix.clone(), &[("k", "String", "tmp-1")]));
    assert!(!on_attrs(prefix, &[("k", "Number", "1")]));
}

#[test]
fn numeric_ranges() {
    let range = json!({"p": [{"numeric": [">", 0, "<=", 150]}]});
    assert!(on_attrs(range.clone(), &[("p", "Number", "150")]));
    assert!(on_attrs(range.clone(), &[("p", "Number", "0.00001")]));
    assert!(!on_attrs(range.clone(), &[("p", "Number", "0")]));
    assert!(!on_attrs(range.clone(), &[("p", "Number", "150.00001")]));
    assert!(!on_attrs(range, &[("p", "String", "100")]));
    assert!(on_attrs(
        json!({"p": [{"numeric": ["=", 301.5]}]}),
        &[("p", "Number", "301.50")]
    ));
    assert!(on_attrs(
        json!({"p": [{"numeric": ["<", -1]}]}),
        &[("p", "Number", "-1.5")]
    ));
    assert!(on_attrs(
        json!({"p": [{"numeric": [">=", 10]}]}),
        &[("p", "Number", "10")]
    ));
}

#[test]
fn exists_and_cidr() {
    assert!(on_attrs(
        json!({"k": [{"exists": true}]}),
        &[("k", "String", "x")]
    ));
    assert!(!on_attrs(json!({"k": [{"exists": true}]}), &[]));
    // Only with at least one attribute (developer guide, "Key matching").
    assert!(!on_attrs(json!({"k": [{"exists": false}]}), &[]));
    assert!(on_attrs(
        json!({"k": [{"exists": false}]}),
        &[("other", "String", "x")]
    ));
    assert!(!on_attrs(
        json!({"k": [{"exists": false}]}),
        &[("k", "String", "x")]
    ));
    let v4 = json!({"ip": [{"cidr": "10.0.0.0/24"}]});
    assert!(on_attrs(v4.clone(), &[("ip", "String", "10.0.0.255")]));
    assert!(!on_attrs(v4.clone(), &[("ip", "String", "10.0.1.0")]));
    assert!(!on_attrs(v4, &[("ip", "String", "not an ip")]));
    let v6 = json!({"ip": [{"cidr": "2001:db8::/32"}]});
    assert!(on_attrs(v6.clone(), &[("ip", "String", "2001:db8:1::5")]));
    assert!(!on_attrs(v6, &[("ip", "String", "2001:db9::1")]));
    assert!(on_attrs(
        json!({"ip": [{"cidr": "0.0.0.0/0"}]}),
        &[("ip", "String", "8.8.8.8")]
    ));
}

#[test]
fn or_operator() {
    let p = json!({"source": ["aws.cloudwatch"], "$or": [{"metricName": ["CPUUtilization"]}, {"namespace": ["AWS/EC2"]}]});
    assert!(on_attrs(
        p.clone(),
        &[
            ("source", "String", "aws.cloudwatch"),
            ("namespace", "String", "AWS/EC2")
        ]
    ));
    assert!(on_attrs(
        p.clone(),
        &[
            ("source", "String", "aws.cloudwatch"),
            ("metricName", "String", "CPUUtilization")
        ]
    ));
    assert!(!on_attrs(
        p.clone(),
        &[("source", "String", "aws.cloudwatch")]
    ));
    assert!(!on_attrs(p, &[("namespace", "String", "AWS/EC2")]));
    // Not the operator (fewer than two objects): `$or` is a key like any other.
    assert!(on_attrs(json!({"$or": ["x"]}), &[("$or", "String", "x")]));
}

#[test]
fn message_body_scope() {
    let p = json!({"store": ["example_corp"], "customer": {"interests": ["baseball", "rugby"]}, "price": [{"numeric": [">", 100]}]});
    assert!(on_body(
        p.clone(),
        json!({"store": "example_corp", "customer": {"interests": ["soccer", "rugby"]}, "price": 200})
    ));
    assert!(!on_body(
        p.clone(),
        json!({"store": "example_corp", "customer": {"interests": ["soccer"]}, "price": 200})
    ));
    assert!(!on_body(
        p.clone(),
        json!({"store": "example_corp", "customer": {"interests": ["rugby"]}, "price": "200"})
    ));
    // Arrays of objects on the way are flattened.
    assert!(on_body(
        json!({"items": {"sku": ["b"]}}),
        json!({"items": [{"sku": "a"}, {"sku": "b"}]})
    ));
    assert!(on_body(
        json!({"flag": [true], "gone": [null]}),
        json!({"flag": true, "gone": null})
    ));
    assert!(!on_body(json!({"flag": [true]}), json!({"flag": "true"})));
    assert!(on_body(
        json!({"a": {"b": [{"exists": false}]}}),
        json!({"a": {"c": 1}})
    ));
    assert!(!on_body(
        json!({"a": [{"exists": true}]}),
        json!({"a": {"c": 1}})
    ));
    let compiled = FilterPolicy::compile(r#"{"a": ["x"]}"#, FilterScope::MessageBody).unwrap();
    let empty = MessageAttributes::new();
    assert!(!compiled.matches(&MessageView::new(&empty, "not json")));
    assert!(!compiled.matches(&MessageView::new(&empty, "[1]")));
}

#[test]
fn empty_policy_lets_everything_through() {
    let compiled = FilterPolicy::compile("{}", FilterScope::MessageBody).unwrap();
    assert!(compiled.is_empty());
    let empty = MessageAttributes::new();
    assert!(compiled.matches(&MessageView::new(&empty, "plain text")));
}

#[test]
fn invalid_policies() {
    let attrs = FilterScope::MessageAttributes;
    let body = FilterScope::MessageBody;
    assert_eq!(
        error(r#"{"a": {"b": ["x"]}}"#, attrs),
        "Filter policy scope MessageAttributes does not support nested filter policy"
    );
    assert!(
        FilterPolicy::compile(r#"{"a": {"b": ["x"]}}"#, body)
            .unwrap()
            .nested
    );
    assert_eq!(
        error(r#"{"a": "x"}"#, attrs),
        "FilterPolicy: \"a\" must be an object or an array"
    );
    assert_eq!(
        error(r#"{"a": []}"#, attrs),
        "FilterPolicy: Empty arrays are not allowed"
    );
    assert_eq!(
        error(r#"[1]"#, attrs),
        "FilterPolicy: Filter policy must be a JSON object"
    );
    assert!(error("{", attrs).starts_with("FilterPolicy: failed to parse JSON."));
    assert_eq!(
        error(r#"{"a": [{"wildcard": "x*"}]}"#, attrs),
        "FilterPolicy: Unrecognized match type wildcard"
    );
    assert_eq!(
        error(r#"{"a": [{"prefix": 1}]}"#, attrs),
        "FilterPolicy: prefix match pattern must be a string"
    );
    assert_eq!(
        error(r#"{"a": [{"exists": "yes"}]}"#, attrs),
        "FilterPolicy: exists match pattern must be either true or false."
    );
    assert_eq!(
        error(r#"{"a": [{"numeric": [">", "x"]}]}"#, attrs),
        "FilterPolicy: Value of > must be numeric"
    );
    assert_eq!(
        error(r#"{"a": [{"numeric": ["!", 1]}]}"#, attrs),
        "FilterPolicy: Unrecognized numeric range operator: !"
    );
    assert_eq!(
        error(r#"{"a": [{"numeric": [">", 5, "<", 1]}]}"#, attrs),
        "FilterPolicy: Bottom must be less than top"
    );
    assert_eq!(
        error(r#"{"a": [{"numeric": ["=", 1, "<", 5]}]}"#, attrs),
        "FilterPolicy: Too many elements in numeric expression"
    );
    assert_eq!(
        error(r#"{"a": [{"numeric": [">", 1000000001]}]}"#, attrs),
        "FilterPolicy: Value of > must be numeric"
    );
    assert_eq!(
        error(r#"{"a": [{"cidr": "10.0.0.0"}]}"#, attrs),
        "FilterPolicy: Malformed CIDR, one '/' required"
    );
    assert_eq!(
        error(r#"{"a": [{"cidr": "10.0.0.300/8"}]}"#, attrs),
        "FilterPolicy: Nonstandard IP address: 10.0.0.300"
    );
    assert_eq!(
        error(r#"{"a": [{"anything-but": {"suffix": "x"}}]}"#, attrs),
        "FilterPolicy: Unsupported anything-but pattern: suffix"
    );
    assert_eq!(
        error(r#"{"a": [{"prefix": "a", "suffix": "b"}]}"#, attrs),
        "FilterPolicy: Only one key allowed in match expression"
    );
    assert_eq!(
        error(r#"{"a": [["x"]]}"#, attrs),
        "FilterPolicy: Match value must be String, number, true, false, or null"
    );
}

#[test]
fn limits() {
    let six = json!({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"], "f": ["1"]});
    assert_eq!(
        error(&six.to_string(), FilterScope::MessageAttributes),
        "FilterPolicy: Filter policy can not have more than 5 keys"
    );
    let five = json!({"a": ["1"], "b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]});
    assert!(FilterPolicy::compile(&five.to_string(), FilterScope::MessageAttributes).is_ok());
    // Keys are counted per $or branch, not summed across branches.
    let ors = json!({"a": ["1"], "$or": [{"b": ["1"], "c": ["1"], "d": ["1"], "e": ["1"]}, {"f": ["1"], "g": ["1"]}]});
    assert!(FilterPolicy::compile(&ors.to_string(), FilterScope::MessageAttributes).is_ok());
    let values: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    let ok = json!({"a": values, "b": values, "c": ["1", "2", "3"]}); // 300 combinations
    assert_eq!(
        error(&ok.to_string(), FilterScope::MessageAttributes),
        "FilterPolicy: Filter policy is too complex"
    );
    let fifteen = vec!["1"; 15];
    let fine = json!({"a": values, "b": fifteen}); // 150
    assert!(FilterPolicy::compile(&fine.to_string(), FilterScope::MessageAttributes).is_ok());
    // $or branches add up: 3 * (50 + 1) > 150.
    let fifty: Vec<String> = (0..50).map(|i| i.to_string()).collect();
    let sum = json!({"x": ["1", "2", "3"], "$or": [{"a": fifty}, {"b": ["1"]}]});
    assert_eq!(
        error(&sum.to_string(), FilterScope::MessageAttributes),
        "FilterPolicy: Filter policy is too complex"
    );
    let big = format!(r#"{{"a": ["{}"]}}"#, "x".repeat(MAX_POLICY_BYTES));
    assert_eq!(
        error(&big, FilterScope::MessageAttributes),
        "FilterPolicy: Filter policy is too long"
    );
}

/// A small deterministic generator (xorshift64*), so the property test needs no extra dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const KEYS: &[&str] = &["a", "b", "c"];
const STRINGS: &[&str] = &[
    "x", "xy", "Xy", "yx", "", "10.0.0.7", "10.1.0.1", "::1", "fe80::2",
];
const NUMBERS: &[f64] = &[0.0, 1.0, 1.5, -3.0, 100.0, 0.000001, 999999999.0];

fn gen_scalar(rng: &mut Rng, body: bool) -> Value {
    match rng.below(if body { 5 } else { 2 }) {
        0 => json!(rng.pick(STRINGS)),
        1 => json!(rng.pick(NUMBERS)),
        2 => json!(rng.below(2) == 0),
        3 => Value::Null,
        _ => json!([rng.pick(STRINGS), rng.pick(NUMBERS)]),
    }
}

fn gen_rule(rng: &mut Rng, body: bool) -> Value {
    let s = *rng.pick(STRINGS);
    let n = *rng.pick(NUMBERS);
    match rng.below(if body { 14 } else { 12 }) {
        0 => json!(s),
        1 => json!(n),
        2 => json!({"prefix": s}),
        3 => json!({"suffix": s}),
        4 => json!({"equals-ignore-case": s}),
        5 => json!({"anything-but": s}),
        6 => json!({"anything-but": [s, n]}),
        7 => json!({"anything-but": {"prefix": if s.is_empty() { "x" } else { s }}}),
        8 => match rng.below(4) {
            0 => json!({"numeric": ["=", n]}),
            1 => json!({"numeric": [">", n]}),
            2 => json!({"numeric": ["<=", n]}),
            _ => {
                let (lo, hi) = if n < 50.0 { (n, n + 60.0) } else { (-5.0, n) };
                json!({"numeric": [">=", lo, "<", hi]})
            }
        },
        9 => json!({"exists": rng.below(2) == 0}),
        10 => {
            json!({"cidr": *rng.pick(&["10.0.0.0/24", "10.0.0.0/8", "::/0", "fe80::/16", "0.0.0.0/0"])})
        }
        11 => json!(s),
        12 => json!(rng.below(2) == 0),
        _ => Value::Null,
    }
}

fn gen_policy(rng: &mut Rng, body: bool, depth: usize) -> Value {
    let mut map = serde_json::Map::new();
    for _ in 0..1 + rng.below(2) {
        let key = *rng.pick(KEYS);
        let value = if body && depth < 2 && rng.below(4) == 0 {
            gen_policy(rng, body, depth + 1)
        } else {
            Value::Array((0..1 + rng.below(3)).map(|_| gen_rule(rng, body)).collect())
        };
        map.insert(key.to_string(), value);
    }
    if depth == 0 && rng.below(4) == 0 {
        let branches = (0..2).map(|_| gen_policy(rng, body, 1)).collect();
        map.insert("$or".into(), Value::Array(branches));
    }
    Value::Object(map)
}

fn gen_attributes(rng: &mut Rng) -> MessageAttributes {
    let mut out = MessageAttributes::new();
    for key in KEYS {
        let value = match rng.below(6) {
            0 => continue,
            1 => MessageAttributeValue {
                data_type: Some("Number".into()),
                string_value: Some(rng.pick(NUMBERS).to_string()),
                binary_value: None,
            },
            2 => MessageAttributeValue {
                data_type: Some("String.Array".into()),
                string_value: Some(
                    json!([rng.pick(STRINGS), rng.pick(NUMBERS), rng.below(2) == 0]).to_string(),
                ),
                binary_value: None,
            },
            3 => MessageAttributeValue {
                data_type: Some("Binary".into()),
                string_value: None,
                binary_value: Some(Blob(vec![1, 2])),
            },
            _ => MessageAttributeValue {
                data_type: Some("String".into()),
                string_value: Some(rng.pick(STRINGS).to_string()),
                binary_value: None,
            },
        };
        out.insert(key.to_string(), value);
    }
    out
}

fn gen_body(rng: &mut Rng, depth: usize) -> Value {
    let mut map = serde_json::Map::new();
    for key in KEYS {
        match rng.below(6) {
            0 => {}
            1 if depth < 2 => {
                map.insert(key.to_string(), gen_body(rng, depth + 1));
            }
            2 if depth < 2 => {
                let items = (0..rng.below(3))
                    .map(|_| gen_body(rng, depth + 1))
                    .collect();
                map.insert(key.to_string(), Value::Array(items));
            }
            _ => {
                map.insert(key.to_string(), gen_scalar(rng, true));
            }
        }
    }
    Value::Object(map)
}

#[test]
fn compiled_matcher_agrees_with_reference() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let mut checked = 0;
    let mut matched = 0;
    for round in 0..20_000 {
        let body_scope = round % 2 == 1;
        let policy = gen_policy(&mut rng, body_scope, 0);
        let scope = if body_scope {
            FilterScope::MessageBody
        } else {
            FilterScope::MessageAttributes
        };
        let Ok(compiled) = FilterPolicy::compile(&policy.to_string(), scope) else {
            continue;
        };
        for _ in 0..5 {
            let attributes = gen_attributes(&mut rng);
            let body = gen_body(&mut rng, 0).to_string();
            let got = compiled.matches(&MessageView::new(&attributes, &body));
            let want = reference::matches(&policy, scope, &attributes, &body);
            assert_eq!(
                got, want,
                "policy {policy} scope {scope:?} attributes {attributes:?} body {body}"
            );
            checked += 1;
            matched += usize::from(got);
        }
    }
    assert!(checked > 50_000, "only {checked} cases checked");
    // The generator must exercise both outcomes meaningfully.
    assert!(
        matched > checked / 20 && matched < checked * 19 / 20,
        "{matched}/{checked}"
    );
}
