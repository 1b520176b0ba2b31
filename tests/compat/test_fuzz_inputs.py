"""Adversarial inputs generated from botocore's service models: every answer is AWS-shaped.

For every operation of SQS (AWS JSON 1.0 and AWS Query), SNS (AWS Query) and Kinesis (JSON 1.1 and
CBOR), each input member gets values of the wrong type, out-of-range numbers, control characters,
huge and deeply nested values; Query requests also get bad list indexes, repeated and
percent-broken parameters. Seeded and bounded (a few thousand requests): the same cases every run.

Each answer must be a success or a 4xx in the protocol's error shape (JSON/CBOR with ``__type``,
well-formed XML ``ErrorResponse``), never a 5xx, an internal error, a dropped connection or a hang;
the server must stay healthy and the fixture resources readable afterwards.

Complements ``test_malformed.py`` (hand-written broken bodies, stalled connections), whose cases
are not repeated here.
"""

import base64
import copy
import http.client
import json
import random
import socket
import struct
import time
import urllib.parse
import xml.etree.ElementTree as ET

import pytest
from botocore.loaders import Loader
from botocore.model import ServiceModel
from botocore.serialize import QuerySerializer

from sqs_helpers import FORM, KINESIS_CBOR, KINESIS_JSON, SNS_AUTH, SQS_JSON, unique_name

SEED = 20261205
# Bad values tried per member (a seeded sample of each pool keeps the run to a few seconds).
PER_MEMBER = 4
PER_PARAM = 4

_LOADER = Loader()


def _model(service, protocol=None):
    raw = copy.deepcopy(_LOADER.load_service_model(service, "service-2"))
    if protocol:
        raw["metadata"]["protocol"] = protocol
        raw["metadata"]["protocols"] = [protocol]
    return ServiceModel(raw, service)


# --------------------------------------------------------------------------
# transport and checks
# --------------------------------------------------------------------------


def _send(endpoint, body, headers, path="/", method="POST", timeout=15):
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type"), resp.read()
    except (OSError, http.client.HTTPException) as exc:
        return 0, None, repr(exc).encode()
    finally:
        conn.close()


def _healthy(endpoint):
    return _send(endpoint, None, {}, path="/health", method="GET", timeout=5)[0] == 200


def _json_problem(status, ctype, data, want_ctype):
    """Why this answer is not AWS-shaped (None when it is)."""
    if status == 0:
        return "no answer"
    if status >= 500:
        return "5xx"
    if status < 400:
        return None
    if ctype != want_ctype:
        return f"content type {ctype}"
    if want_ctype == KINESIS_CBOR:
        error = _cbor_decode(data)
    else:
        try:
            error = json.loads(data)
        except ValueError:
            return "error body is not JSON"
    if not isinstance(error, dict) or not isinstance(error.get("__type"), str):
        return "error without __type"
    if "InternalFailure" in error["__type"] or "InternalError" in error["__type"]:
        return "internal error"
    return None


def _xml_problem(status, ctype, data):
    if status == 0:
        return "no answer"
    if status >= 500:
        return "5xx"
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        return f"not well-formed XML ({exc})"
    if status >= 400:
        if not root.tag.endswith("}ErrorResponse"):
            return f"error root {root.tag}"
        codes = [e.text for e in root.iter() if e.tag.endswith("}Code")]
        if not codes or not codes[0]:
            return "error without Code"
        if "Internal" in codes[0]:
            return "internal error"
    return None


# --------------------------------------------------------------------------
# CBOR (just enough to write any value, including wrong types, and read errors back)
# --------------------------------------------------------------------------


def _cbor_head(major, n):
    if n < 24:
        return bytes([major << 5 | n])
    for info, fmt, limit in ((24, ">B", 2**8), (25, ">H", 2**16), (26, ">I", 2**32), (27, ">Q", 2**64)):
        if n < limit:
            return bytes([major << 5 | info]) + struct.pack(fmt, n)
    raise ValueError(n)


def _cbor(value):
    if value is None:
        return b"\xf6"
    if value is True:
        return b"\xf5"
    if value is False:
        return b"\xf4"
    if isinstance(value, int):
        if value >= 2**64 or value < -(2**64):
            magnitude = value if value >= 0 else -1 - value
            raw = magnitude.to_bytes((magnitude.bit_length() + 7) // 8, "big")
            return (b"\xc2" if value >= 0 else b"\xc3") + _cbor_head(2, len(raw)) + raw
        return _cbor_head(0, value) if value >= 0 else _cbor_head(1, -1 - value)
    if isinstance(value, float):
        return b"\xfb" + struct.pack(">d", value)
    if isinstance(value, str):
        raw = value.encode("utf-8", "surrogatepass")
        return _cbor_head(3, len(raw)) + raw
    if isinstance(value, bytes):
        return _cbor_head(2, len(value)) + value
    if isinstance(value, list):
        return _cbor_head(4, len(value)) + b"".join(_cbor(v) for v in value)
    if isinstance(value, dict):
        return _cbor_head(5, len(value)) + b"".join(_cbor(k) + _cbor(v) for k, v in value.items())
    raise TypeError(value)


def _cbor_decode(data):
    """Decodes a definite-length CBOR map of text strings (an error body); None if it is not one."""

    def item(pos):
        major, info = data[pos] >> 5, data[pos] & 31
        pos += 1
        if info < 24:
            n = info
        elif 24 <= info <= 27:
            size = 1 << (info - 24)
            n = int.from_bytes(data[pos : pos + size], "big")
            pos += size
        else:
            raise ValueError("unsupported")
        if major == 3:
            return data[pos : pos + n].decode(), pos + n
        if major == 5:
            out = {}
            for _ in range(n):
                key, pos = item(pos)
                out[key], pos = item(pos)
            return out, pos
        if major == 0:
            return n, pos
        raise ValueError("unsupported")

    try:
        value, end = item(0)
    except (ValueError, IndexError, UnicodeDecodeError):
        return None
    return value if end == len(data) else None


# --------------------------------------------------------------------------
# inputs from the models
# --------------------------------------------------------------------------

HUGE = "x" * 300_000
BAD_VALUES = [
    None, True, False, 0, -1, 1.5, 2**63, 2**64 + 5, 10**30, -(10**30), 1e308, -1e308,
    "NaN", "Infinity", "", "-1", "99999999999999999999", "1e400", "\x00", "a\x01\r\n\t\ufffe", "\ud800x",
    HUGE, [], [1], ["a", None], {}, {"a": 1}, {"": {}}, [[[[]]]],
]
BAD_QUERY_VALUES = [
    "", "NaN", "-1", "0", "99999999999999999999", "1.5", "1e400", "true", "%FF", "%00", "%01%0D",
    "%zz", "%", "a%2", "%EF%BF%BE", HUGE,
]
BAD_INDEXES = ["0", "-1", "99999999999", "18446744073709551616", "abc", "", "01", "1.5"]
# Never run against the fixture resources themselves.
DESTRUCTIVE = {"DeleteQueue", "PurgeQueue", "DeleteTopic", "Unsubscribe", "DeleteStream"}
# Account-wide settings nothing can delete again: sent as generated, not broken (the server is shared
# with the rest of the session).
ACCOUNT_WIDE = {"SetSMSAttributes", "UpdateAccountSettings"}


def _deep_list(depth):
    value = []
    for _ in range(depth):
        value = [value]
    return value


class Names:
    def __init__(self, endpoint):
        self.queue = unique_name("fuzz")
        self.queue_url = f"{endpoint}/000000000000/{self.queue}"
        self.topic = unique_name("fuzz")
        self.topic_arn = f"arn:aws:sns:us-east-1:000000000000:{self.topic}"
        self.stream = unique_name("fuzz")
        self.stream_arn = f"arn:aws:kinesis:us-east-1:000000000000:stream/{self.stream}"

    def known(self):
        return {
            "queueurl": self.queue_url, "queuename": self.queue, "topicarn": self.topic_arn,
            "streamname": self.stream, "streamarn": self.stream_arn, "resourcearn": self.stream_arn,
            "shardid": "shardId-000000000000", "partitionkey": "k", "protocol": "sqs",
            "endpoint": f"arn:aws:sqs:us-east-1:000000000000:{self.queue}", "message": "hi",
            "messagebody": "hi", "id": "a1", "receipthandle": "rh", "consumername": "c1",
            "consumerarn": self.stream_arn + "/consumer/c1:1", "sharditeratortype": "TRIM_HORIZON",
            "waittimeseconds": 0, "name": self.topic,
        }

    def harmless(self, value):
        """The same request aimed at resources that do not exist (for destructive actions)."""
        if isinstance(value, str):
            for name in (self.queue, self.topic, self.stream):
                value = value.replace(name, "fuzz-absent")
            return value
        if isinstance(value, dict):
            return {k: self.harmless(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.harmless(v) for v in value)
        return value


def _base(name, shape, known):
    kind = shape.type_name
    if kind == "structure":
        return {m: _base(m, shape.members[m], known) for m in shape.required_members}
    if kind == "list":
        return [_base(name, shape.member, known)]
    if kind == "map":
        return {"k": _base("v", shape.value, known)}
    if name.lower() in known:
        return known[name.lower()]
    if kind == "string":
        return shape.enum[0] if shape.enum else "x"
    if kind in ("integer", "long"):
        return 1
    if kind == "boolean":
        return False
    if kind == "blob":
        return b"x"
    if kind == "timestamp":
        return 0
    if kind in ("double", "float"):
        return 1.0
    return "x"


def _member_paths(shape, prefix=(), depth=0):
    if depth > 4:
        return
    if shape.type_name == "structure":
        for name, member in shape.members.items():
            yield prefix + (name,), member
            yield from _member_paths(member, prefix + (name,), depth + 1)
    elif shape.type_name == "list":
        yield from _member_paths(shape.member, prefix + (0,), depth + 1)
    elif shape.type_name == "map":
        yield from _member_paths(shape.value, prefix + ("k",), depth + 1)


def _set_path(doc, path, value, shape, known):
    cur = doc
    for key in path[:-1]:
        if shape.type_name == "structure":
            shape = shape.members[key]
        elif shape.type_name == "list":
            shape = shape.member
        else:
            shape = shape.value
        if isinstance(cur, dict):
            if not isinstance(cur.get(key), (dict, list)) or not cur[key]:
                cur[key] = _base(str(key), shape, known)
            cur = cur[key]
        else:
            cur = cur[0]
    if isinstance(cur, list):
        cur[0] = value
    else:
        cur[path[-1]] = value


def _json_cases(model, known, rng):
    """(operation, label, input document) for every operation and member."""
    for op_name in model.operation_names:
        shape = model.operation_model(op_name).input_shape
        if shape is None:
            yield op_name, "no-input", {}
            continue
        base = _base("", shape, known)
        yield op_name, "base", base
        for path, member in _member_paths(shape):
            label = ".".join(map(str, path))
            values = rng.sample(BAD_VALUES, PER_MEMBER) + [_deep_list(300)]
            if member.type_name == "list":
                values.append([_base("x", member.member, known)] * 1001)
            for value in values:
                doc = copy.deepcopy(base)
                _set_path(doc, path, value, shape, known)
                yield op_name, f"{label}={str(value)[:20]!r}", doc


def _jsonable(value):
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _query_params(model, op_name, known):
    """Serialized Query parameters of a valid-looking request that fills in every top-level member."""
    op = model.operation_model(op_name)
    shape = op.input_shape
    doc = _base("", shape, known) if shape is not None else {}
    if shape is not None:
        for name, member in shape.members.items():
            if name in doc:
                continue
            if member.type_name == "structure":
                doc[name] = {k: _base(k, s, known) for k, s in member.members.items()}
            elif member.type_name == "list" and member.member.type_name == "structure":
                doc[name] = [{k: _base(k, s, known) for k, s in member.member.members.items()}]
            else:
                doc[name] = _base(name, member, known)
    body = QuerySerializer().serialize_to_request(doc, op)["body"]
    return list(body.items())


def _query_variants(params, rng):
    yield "base", params
    for i, (key, value) in enumerate(params):
        if key in ("Action", "Version"):
            continue
        for bad in rng.sample(BAD_QUERY_VALUES, PER_PARAM):
            changed = list(params)
            changed[i] = (key, bad)
            yield f"{key}={bad[:12]!r}", changed
        yield f"{key} twice", params + [(key, "again")]
        parts = key.split(".")
        for j, part in enumerate(parts):
            if part.isdigit():
                for index in rng.sample(BAD_INDEXES, 3):
                    renamed = ".".join(parts[:j] + [index] + parts[j + 1 :])
                    changed = list(params)
                    changed[i] = (renamed, value)
                    yield f"{key} as {renamed}", changed
    yield "no Version", [(k, v) for k, v in params if k != "Version"]
    yield "old Version", [(k, "1999-01-01" if k == "Version" else v) for k, v in params]
    yield "empty Action", [(k, "" if k == "Action" else v) for k, v in params]
    yield "Action twice", params + [("Action", "GetQueueUrl")]


def _form(params):
    # '%' stays raw so that broken escapes reach the server as sent.
    return "&".join(
        f"{urllib.parse.quote(str(k), safe='.%')}={urllib.parse.quote(str(v), safe='%')}"
        for k, v in params
    )


# --------------------------------------------------------------------------
# fixture resources
# --------------------------------------------------------------------------


def _resources(endpoint):
    """Queue URLs, topic ARNs and stream names on the server (the sweeps create some by accident)."""
    _, _, data = _send(endpoint, json.dumps({"MaxResults": 1000}),
                       {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": SQS_JSON})
    queues = set(json.loads(data).get("QueueUrls", []))
    topics, token = set(), None
    while True:
        params = [("Action", "ListTopics")] + ([("NextToken", token)] if token else [])
        _, _, data = _send(endpoint, _form(params), {"Content-Type": FORM, "Authorization": SNS_AUTH})
        root = ET.fromstring(data)
        topics |= {e.text for e in root.iter() if e.tag.endswith("}TopicArn")}
        token = next((e.text for e in root.iter() if e.tag.endswith("}NextToken")), None)
        if not token:
            break
    _, _, data = _send(endpoint, json.dumps({"Limit": 10000}),
                       {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": KINESIS_JSON})
    streams = set(json.loads(data).get("StreamNames", []))
    return queues, topics, streams


@pytest.fixture(scope="module")
def names(endpoint):
    before = _resources(endpoint)
    names = Names(endpoint)
    status, _, data = _send(
        endpoint, json.dumps({"QueueName": names.queue}),
        {"X-Amz-Target": "AmazonSQS.CreateQueue", "Content-Type": SQS_JSON},
    )
    assert status == 200, data
    status, _, data = _send(
        endpoint, f"Action=CreateTopic&Name={names.topic}", {"Content-Type": FORM, "Authorization": SNS_AUTH}
    )
    assert status == 200, data
    status, _, data = _send(
        endpoint, json.dumps({"StreamName": names.stream, "ShardCount": 1}),
        {"X-Amz-Target": "Kinesis_20131202.CreateStream", "Content-Type": KINESIS_JSON},
    )
    assert status == 200, data
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        _, _, data = _send(
            endpoint, json.dumps({"StreamName": names.stream}),
            {"X-Amz-Target": "Kinesis_20131202.DescribeStreamSummary", "Content-Type": KINESIS_JSON},
        )
        if b'"ACTIVE"' in data:
            break
        time.sleep(0.1)
    yield names
    queues, topics, streams = _resources(endpoint)
    for url in queues - before[0]:
        _send(endpoint, json.dumps({"QueueUrl": url}),
              {"X-Amz-Target": "AmazonSQS.DeleteQueue", "Content-Type": SQS_JSON})
    for arn in topics - before[1]:
        _send(endpoint, _form([("Action", "DeleteTopic"), ("TopicArn", arn)]),
              {"Content-Type": FORM, "Authorization": SNS_AUTH})
    for name in streams - before[2]:
        _send(endpoint, json.dumps({"StreamName": name, "EnforceConsumerDeletion": True}),
              {"X-Amz-Target": "Kinesis_20131202.DeleteStream", "Content-Type": KINESIS_JSON})


def _still_readable(endpoint, names):
    status, _, data = _send(
        endpoint, json.dumps({"QueueUrl": names.queue_url, "AttributeNames": ["All"]}),
        {"X-Amz-Target": "AmazonSQS.GetQueueAttributes", "Content-Type": SQS_JSON},
    )
    assert status == 200, data
    for action in ("GetQueueAttributes", "ListQueueTags", "ReceiveMessage"):
        status, ctype, data = _send(
            endpoint, _form([("Action", action), ("QueueUrl", names.queue_url), ("AttributeName.1", "All"),
                             ("MessageAttributeName.1", "All"), ("MaxNumberOfMessages", "10")]),
            {"Content-Type": FORM},
        )
        assert status == 200 and _xml_problem(status, ctype, data) is None, (action, data[:500])
    for action in ("GetTopicAttributes", "ListTagsForResource"):
        status, ctype, data = _send(
            endpoint, _form([("Action", action), ("TopicArn", names.topic_arn), ("ResourceArn", names.topic_arn)]),
            {"Content-Type": FORM, "Authorization": SNS_AUTH},
        )
        assert status == 200 and _xml_problem(status, ctype, data) is None, (action, data[:500])
    status, _, data = _send(
        endpoint, json.dumps({"StreamName": names.stream}),
        {"X-Amz-Target": "Kinesis_20131202.DescribeStreamSummary", "Content-Type": KINESIS_JSON},
    )
    assert status in (200, 400), data  # 400: LimitExceeded after the fuzzing burst is fine
    assert _healthy(endpoint)


# --------------------------------------------------------------------------
# the sweeps
# --------------------------------------------------------------------------


def _note(problems, endpoint, what, problem, status, data):
    """Records a bad answer; True when the server no longer answers at all (nothing left to learn)."""
    if not problem:
        return False
    problems.append(f"{what}: {problem}: HTTP {status} {data[:200]!r}")
    return status == 0 and not _healthy(endpoint)


def _finish(problems, endpoint, names):
    assert not problems, "\n".join(problems[:20])
    _still_readable(endpoint, names)


@pytest.mark.parametrize(
    "service,prefix,ctype",
    [
        ("sqs", "AmazonSQS", SQS_JSON),
        ("kinesis", "Kinesis_20131202", KINESIS_JSON),
        ("kinesis", "Kinesis_20131202", KINESIS_CBOR),
    ],
    ids=["sqs-json", "kinesis-json", "kinesis-cbor"],
)
def test_every_member_of_the_wrong_shape(endpoint, names, service, prefix, ctype):
    rng = random.Random(SEED)
    model = _model(service)
    problems = []
    for op_name, label, doc in _json_cases(model, names.known(), rng):
        if op_name in ACCOUNT_WIDE and label != "base":
            continue
        if op_name in DESTRUCTIVE:
            doc = names.harmless(doc)
        if ctype == KINESIS_CBOR:
            body = _cbor(doc)
        else:
            body = json.dumps(_jsonable(doc)).encode("utf-8", "surrogatepass")
        status, got_ctype, data = _send(endpoint, body, {"X-Amz-Target": f"{prefix}.{op_name}", "Content-Type": ctype})
        problem = _json_problem(status, got_ctype, data, ctype)
        if _note(problems, endpoint, f"{op_name} {label}", problem, status, data):
            break
    _finish(problems, endpoint, names)


@pytest.mark.parametrize("service", ["sqs", "sns"])
def test_every_query_parameter_broken(endpoint, names, service):
    rng = random.Random(SEED)
    model = _model(service, "query")
    headers = {"Content-Type": FORM}
    if service == "sns":
        headers["Authorization"] = SNS_AUTH
    problems = []
    for op_name in model.operation_names:
        params = _query_params(model, op_name, names.known())
        variants = [("base", params)] if op_name in ACCOUNT_WIDE else _query_variants(params, rng)
        for label, variant in variants:
            if op_name in DESTRUCTIVE:
                variant = names.harmless(variant)
            status, ctype, data = _send(endpoint, _form(variant), headers)
            problem = _xml_problem(status, ctype, data)
            if _note(problems, endpoint, f"{op_name} {label}", problem, status, data):
                break
    _finish(problems, endpoint, names)


def _whole_bodies(good, is_cbor):
    yield "empty", b""
    yield "whitespace", b"   "
    yield "byte-order-mark", b"\xef\xbb\xbf" + good
    yield "trailing-nul", good + b"\x00"
    yield "trailing-garbage", good + b"garbage"
    yield "twice", good + good
    for cut in range(1, len(good)):
        yield f"cut-at-{cut}", good[:cut]
    one_more = bytes([good[0] + 1]) + good[1:]  # the map header counts one more pair
    if is_cbor:
        yield "indefinite-map", b"\xbf" + good[1:] + b"\xff"
        yield "indefinite-map-unterminated", b"\xbf" + good[1:]
        yield "duplicate-key", one_more + _cbor("StreamName") + _cbor("other")
        yield "tagged-map", b"\xc1" + good
        yield "half-float-nan", one_more + _cbor("Limit") + b"\xf9\x7e\x00"
        yield "undefined", one_more + _cbor("Limit") + b"\xf7"
        yield "simple-value", one_more + _cbor("Limit") + b"\xf8\x20"
        yield "lone-break", b"\xff"
        yield "integer-key", one_more + _cbor(1) + _cbor(1)
        yield "bytes-key", one_more + _cbor(b"k") + _cbor(1)
        yield "deep-maps", b"\xa1\x61a" * 20000 + b"\x01"
        yield "deep-tags", b"\xc6" * 100000 + b"\x01"
        yield "tagged-nan-timestamp", one_more + _cbor("Timestamp") + b"\xc1\xfb" + struct.pack(">d", float("nan"))
    else:
        text = good.decode()
        yield "duplicate-key-last", text[:-1].encode() + b',"QueueUrl":"other","StreamName":"other"}'
        yield "duplicate-key-first", b'{"MessageBody":1,' + text[1:].encode()
        yield "invalid-utf8-key", b'{"\xff":1,' + text[1:].encode()
        yield "bad-escape", text.replace('"k"', '"\\q"').replace('"x"', '"\\q"').encode()
        yield "5000-digit-number", text[:-1].encode() + b',"X":1' + b"0" * 5000 + b"}"
        yield "deep-objects", b'{"a":' * 20000 + b"1" + b"}" * 20000
        yield "deep-member", text[:-1].encode() + b',"Attributes":' + b"[" * 50000 + b"]" * 50000 + b"}"


def test_whole_body_damage(endpoint, names):
    cases = [
        ("AmazonSQS.SendMessage", SQS_JSON, {"QueueUrl": names.queue_url, "MessageBody": "x"}),
        ("Kinesis_20131202.PutRecord", KINESIS_JSON, {"StreamName": names.stream, "PartitionKey": "k", "Data": "eA=="}),
        ("Kinesis_20131202.PutRecord", KINESIS_CBOR, {"StreamName": names.stream, "PartitionKey": "k", "Data": b"x"}),
    ]
    problems = []
    for target, ctype, doc in cases:
        is_cbor = ctype == KINESIS_CBOR
        good = _cbor(doc) if is_cbor else json.dumps(doc).encode()
        for label, body in _whole_bodies(good, is_cbor):
            status, got_ctype, data = _send(endpoint, body, {"X-Amz-Target": target, "Content-Type": ctype})
            _note(problems, endpoint, f"{target} {ctype} {label}", _json_problem(status, got_ctype, data, ctype), status, data)
        service = target.split(".")[0]
        for label, headers in [
            ("unknown-target", {"X-Amz-Target": f"{service}.Nope", "Content-Type": ctype}),
            ("empty-operation", {"X-Amz-Target": f"{service}.", "Content-Type": ctype}),
            ("dotted-operation", {"X-Amz-Target": f"{target}.x.y", "Content-Type": ctype}),
            ("huge-target", {"X-Amz-Target": target + "x" * 60000, "Content-Type": ctype}),
            ("huge-authorization", {"X-Amz-Target": target, "Content-Type": ctype,
                                    "Authorization": "AWS4-HMAC-SHA256 Credential=" + "a/" * 30000}),
        ]:
            status, got_ctype, data = _send(endpoint, good, headers)
            _note(problems, endpoint, f"{target} {label}", _json_problem(status, got_ctype, data, ctype), status, data)
    _finish(problems, endpoint, names)


@pytest.mark.parametrize("signed_for_sns", [False, True], ids=["sqs", "sns"])
def test_query_body_damage(endpoint, names, signed_for_sns):
    headers = {"Authorization": SNS_AUTH} if signed_for_sns else {}
    bodies = [
        b"Action=ListQueues&QueueNamePrefix=%zz", b"Action=ListQueues&QueueNamePrefix=%",
        b"Action=ListQueues&QueueNamePrefix=%4", b"Action=ListQueues&QueueNamePrefix=\xff",
        b"Action=ListQueues&QueueNamePrefix=%FF", b"Action=ListQueues&%zz=1", b"Action=List%51ueues",
        b"Action=%FF", b"Action=%00", b"Action=ListQueues%00", b"Action=ListQueues\x00", b"&&&&", b"=",
        b"=x", b"Action", b"Action=", b"action=ListQueues", b"Action=ListQueues;QueueNamePrefix=a",
        b"Action=Frobnicate%01%0D", b"Action=" + b"A" * 200_000, b"Action=ListQueues" + b"&a=1" * 100_000,
        b"Action=Publish&TopicArn=" + names.topic_arn.encode() + b"&Message=%zz",
        b"Action=Publish&TopicArn=" + names.topic_arn.encode() + b"&Message=hi&Subject=%01",
    ]
    problems = []
    for body in bodies:
        status, ctype, data = _send(endpoint, body, {"Content-Type": FORM, **headers})
        _note(problems, endpoint, f"POST {body[:60]!r}", _xml_problem(status, ctype, data), status, data)
        if len(body) < 4000:
            query = urllib.parse.quote(body, safe="=&%;")
            status, ctype, data = _send(endpoint, None, headers, path="/?" + query, method="GET")
            _note(problems, endpoint, f"GET {body[:60]!r}", _xml_problem(status, ctype, data), status, data)
    for path in [f"/000000000000/{names.queue}", "/000000000000/", f"/000000000000/{names.queue}/extra",
                 "/x/y/z", "/%zz", "/000000000000/%FF", "/000000000000/%00"]:
        status, ctype, data = _send(endpoint, b"Action=GetQueueAttributes&AttributeName.1=All",
                                    {"Content-Type": FORM, **headers}, path=path)
        _note(problems, endpoint, f"POST {path}", _xml_problem(status, ctype, data), status, data)
    _finish(problems, endpoint, names)


# --------------------------------------------------------------------------
# what the sweeps found, pinned with real clients
# --------------------------------------------------------------------------


def test_query_receive_keeps_a_carriage_return(sqs, queue, query):
    # A raw CR in XML text reaches the client as LF (XML end-of-line handling): the body must carry
    # it as a character reference, as SQS does, or Query clients get another body than was sent.
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="a\r\nb\rc")
    resp = query.call("ReceiveMessage", {"WaitTimeSeconds": "1"}, queue_url=url)
    assert resp.text("ReceiveMessageResult/Message/Body") == "a\r\nb\rc"


def test_stored_control_characters_do_not_break_the_xml(endpoint):
    # SNS takes any characters in a tag or DisplayName; answering them raw made every later
    # GetTopicAttributes / ListTagsForResource unparseable for SDKs (an XML 1.0 document cannot hold
    # U+0001). The writer now replaces characters XML cannot carry with U+FFFD.
    import boto3

    sns = boto3.client(
        "sns", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret",
    )
    arn = sns.create_topic(Name=unique_name("ctl"))["TopicArn"]
    try:
        sns.tag_resource(ResourceArn=arn, Tags=[{"Key": "k\x01", "Value": "v\x02"}])
        sns.set_topic_attributes(TopicArn=arn, AttributeName="DisplayName", AttributeValue="d\x1f")
        assert sns.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "k\ufffd", "Value": "v\ufffd"}]
        assert sns.get_topic_attributes(TopicArn=arn)["Attributes"]["DisplayName"] == "d\ufffd"
    finally:
        sns.delete_topic(TopicArn=arn)


def test_error_echoing_a_nul_is_well_formed_xml(endpoint):
    for headers in ({}, {"Authorization": SNS_AUTH}):
        status, ctype, data = _send(
            endpoint, "Action=GetQueueAttributes&QueueUrl=%00&AttributeName.1=All&TopicArn=%00",
            {"Content-Type": FORM, **headers},
        )
        assert status == 400
        assert _xml_problem(status, ctype, data) is None, data


def test_fifo_publish_from_a_client_that_goes_away_is_still_delivered(endpoint):
    # The client sends Publish and closes its side at once (as one does after timing out). Publish
    # records the deduplication id before fanning out; the request used to be dropped in between, so
    # the message was never delivered and the SDK's retry with the same id was deduplicated away.
    import boto3

    kwargs = dict(endpoint_url=endpoint, region_name="us-east-1",
                  aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    sqs, sns = boto3.client("sqs", **kwargs), boto3.client("sns", **kwargs)
    name = unique_name("gone", fifo=True)
    url = sqs.create_queue(QueueName=name, Attributes={"FifoQueue": "true"})["QueueUrl"]
    topic = sns.create_topic(Name=name, Attributes={"FifoTopic": "true"})["TopicArn"]
    try:
        # Not raw: signing the envelope is where the request used to be dropped.
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=f"arn:aws:sqs:us-east-1:000000000000:{name}")
        parsed = urllib.parse.urlsplit(endpoint)
        count = 20
        for i in range(count):
            body = _form([("Action", "Publish"), ("TopicArn", topic), ("Message", f"m{i}"),
                          ("MessageGroupId", "g"), ("MessageDeduplicationId", f"d{i}")]).encode()
            request = (
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Type: " + FORM.encode()
                + b"\r\nAuthorization: " + SNS_AUTH.encode()
                + b"\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
            )
            with socket.create_connection((parsed.hostname, parsed.port)) as sock:
                sock.sendall(request)
                sock.shutdown(socket.SHUT_WR)
                sock.settimeout(10)
                sock.recv(100)
            # The SDK retries: same deduplication id.
            sns.publish(TopicArn=topic, Message=f"m{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        bodies = []
        deadline = time.monotonic() + 10
        while len(bodies) < count and time.monotonic() < deadline:
            received = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1)
            for message in received.get("Messages", []):
                bodies.append(json.loads(message["Body"])["Message"])
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        assert bodies == [f"m{i}" for i in range(count)]
    finally:
        sns.delete_topic(TopicArn=topic)
        sqs.delete_queue(QueueUrl=url)
