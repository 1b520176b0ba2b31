"""Malformed requests over raw HTTP: every one gets a 4xx error and the server keeps serving.

No SDK here: the point is bytes no SDK would send (broken JSON/CBOR, absurd Query names, lying
Content-Length headers, broken chunked encoding).
"""

import http.client
import json
import socket
import time
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor

import pytest

from sqs_helpers import FORM, KINESIS_CBOR, KINESIS_JSON, SNS_AUTH, SQS_JSON, unique_name



def _post(endpoint, body, headers, timeout=30):
    if isinstance(body, str):
        body = body.encode()
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=timeout)
    try:
        conn.request("POST", "/", body=body, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.getheader("content-type"), resp.read()
    finally:
        conn.close()


def _healthy(endpoint):
    with urllib.request.urlopen(endpoint + "/health", timeout=5) as resp:
        return resp.status == 200


def _raw_exchange(endpoint, data, wait):
    """Sends raw bytes and reads until the server closes; returns (bytes, seconds) or None on a hang."""
    parsed = urllib.parse.urlsplit(endpoint)
    started = time.monotonic()
    with socket.create_connection((parsed.hostname, parsed.port)) as sock:
        sock.settimeout(wait)
        sock.sendall(data)
        received = b""
        try:
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    return received, time.monotonic() - started
                received += chunk
        except socket.timeout:
            return None


def _sqs_json(endpoint, action, body):
    status, ctype, data = _post(
        endpoint, body, {"X-Amz-Target": f"AmazonSQS.{action}", "Content-Type": SQS_JSON}
    )
    return status, ctype, json.loads(data)


@pytest.mark.parametrize(
    "body",
    ["not json", "42", "null", '{"QueueName":', b'{"QueueName":"\xff"}'],
    ids=["text", "number", "null", "truncated", "invalid-utf8"],
)
def test_sqs_json_unparseable_body_is_a_400(endpoint, body):
    status, ctype, error = _sqs_json(endpoint, "CreateQueue", body)
    assert status == 400
    assert ctype == SQS_JSON
    assert error["__type"].endswith("#InvalidParameterValueException")
    assert _healthy(endpoint)


@pytest.mark.parametrize("body", ["[]", "[" * 100000 + "]" * 100000], ids=["empty", "deeply-nested"])
def test_sqs_json_array_body_is_a_serialization_error(endpoint, body):
    status, ctype, error = _sqs_json(endpoint, "CreateQueue", body)
    assert status == 400
    assert ctype == SQS_JSON
    assert error == {
        "__type": "com.amazon.coral.service#SerializationException",
        "message": "Start of list found where not expected",
    }
    assert _healthy(endpoint)


def test_sqs_json_integer_out_of_range_is_a_400(endpoint):
    name = unique_name("malformed")
    status, _, created = _sqs_json(endpoint, "CreateQueue", json.dumps({"QueueName": name}))
    assert status == 200
    body = json.dumps(
        {"QueueUrl": created["QueueUrl"], "MessageBody": "x", "DelaySeconds": 10**30}
    )
    status, _, error = _sqs_json(endpoint, "SendMessage", body)
    assert status == 400
    assert "InvalidParameterValue" in error["__type"]


def test_kinesis_json_body_that_is_not_an_object(endpoint):
    status, ctype, data = _post(
        endpoint,
        "[1, 2]",
        {"X-Amz-Target": "Kinesis_20131202.PutRecord", "Content-Type": KINESIS_JSON},
    )
    assert status == 400
    assert ctype == KINESIS_JSON
    assert json.loads(data) == {
        "__type": "SerializationException",
        "message": "Start of list found where not expected",
    }


@pytest.mark.parametrize(
    "target",
    ["Kinesis_20131202.ListStream", "Kinesis_20131201.ListStreams", None],
    ids=["unknown-operation", "unknown-version", "no-target"],
)
def test_kinesis_unknown_operation_has_no_message(endpoint, target):
    # As AWS (kinesalite's connection test, run against production): a Kinesis (JSON 1.1) request naming
    # no known operation gets a bare UnknownOperationException, whatever the target (or none).
    headers = {"Content-Type": KINESIS_JSON}
    if target:
        headers["X-Amz-Target"] = target
    status, ctype, data = _post(endpoint, "{}", headers)
    assert status == 400
    assert ctype == KINESIS_JSON
    assert json.loads(data) == {"__type": "UnknownOperationException"}


@pytest.mark.parametrize("body", ["not json", '{"StreamName":', "42", "null"], ids=["text", "truncated", "number", "null"])
def test_kinesis_json_unparseable_body_has_no_message(endpoint, body):
    # As AWS (kinesalite's recordings): a bare SerializationException, nothing from the parser.
    status, ctype, data = _post(
        endpoint, body, {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": KINESIS_JSON}
    )
    assert status == 400
    assert ctype == KINESIS_JSON
    assert json.loads(data) == {"__type": "SerializationException"}


@pytest.mark.parametrize(
    "payload,message",
    [
        ({"StreamName": "s", "PartitionKey": 5, "Data": "eA=="}, "NUMBER_VALUE can not be converted to a String"),
        ({"StreamName": "s", "PartitionKey": "k", "Data": {}}, "Start of structure or map found where not expected."),
        ({"StreamName": ["s"], "PartitionKey": "k", "Data": "eA=="}, "Start of list found where not expected"),
    ],
    ids=["number-for-string", "map-for-blob", "list-for-string"],
)
def test_kinesis_json_member_of_the_wrong_type(endpoint, payload, message):
    status, ctype, data = _post(
        endpoint,
        json.dumps(payload),
        {"X-Amz-Target": "Kinesis_20131202.PutRecord", "Content-Type": KINESIS_JSON},
    )
    assert status == 400
    assert json.loads(data) == {"__type": "SerializationException", "message": message}


def test_kinesis_json_wrong_type_for_an_integer_or_a_list(endpoint):
    status, _, data = _post(
        endpoint,
        json.dumps({"Limit": "ten"}),
        {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": KINESIS_JSON},
    )
    assert status == 400
    assert json.loads(data) == {
        "__type": "SerializationException",
        "message": "STRING_VALUE can not be converted to an Integer",
    }
    status, _, data = _post(
        endpoint,
        json.dumps({"StreamName": "s", "Records": "x"}),
        {"X-Amz-Target": "Kinesis_20131202.PutRecords", "Content-Type": KINESIS_JSON},
    )
    assert status == 400
    assert json.loads(data) == {"__type": "SerializationException", "message": "Expected list or null"}


@pytest.mark.parametrize(
    "body",
    [b"\xff\x00garbage", b"\x9f" * 100000, b"\x5b\xff\xff\xff\xff\xff\xff\xff\xff"],
    ids=["garbage", "deeply-nested", "huge-declared-length"],
)
def test_kinesis_cbor_garbage_is_a_serialization_error(endpoint, body):
    status, ctype, data = _post(
        endpoint,
        body,
        {"X-Amz-Target": "Kinesis_20131202.ListStreams", "Content-Type": KINESIS_CBOR},
    )
    assert status == 400
    assert ctype == KINESIS_CBOR
    assert b"SerializationException" in data
    # No parser internals in the answer: a bare SerializationException, as for JSON.
    assert b"message" not in data, data
    assert _healthy(endpoint)


def test_query_without_action_is_missing_parameter(endpoint):
    status, _, data = _post(endpoint, "QueueName=x", {"Content-Type": FORM})
    assert status == 400
    assert b"<Code>MissingParameter</Code>" in data


def test_sns_query_without_action_is_an_sns_missing_action(endpoint):
    # Signed for SNS: the answer is SNS's Query error shape (namespace, code) rather than SQS's.
    status, ctype, data = _post(
        endpoint, "TopicArn=arn:aws:sns:us-east-1:000000000000:t", {"Content-Type": FORM, "Authorization": SNS_AUTH}
    )
    assert status == 400
    assert ctype == "text/xml"
    root = ET.fromstring(data)
    assert root.tag == "{http://sns.amazonaws.com/doc/2010-03-31/}ErrorResponse", data
    ns = {"sns": "http://sns.amazonaws.com/doc/2010-03-31/"}
    assert root.findtext("sns:Error/sns:Code", namespaces=ns) == "MissingAction", data
    assert root.findtext("sns:Error/sns:Type", namespaces=ns) == "Sender", data
    assert root.findtext("sns:RequestId", namespaces=ns), data


def test_sqs_query_parameter_name_with_a_million_segments(endpoint):
    # Once overflowed the stack and killed the whole server.
    name = unique_name("deepname")
    body = f"Action=CreateQueue&QueueName={name}&" + "a." * 1_000_000 + "a=1"
    status, _, data = _post(endpoint, body, {"Content-Type": FORM})
    assert status == 200
    assert f"/{name}</QueueUrl>".encode() in data
    assert _healthy(endpoint)


def test_sns_query_parameter_name_with_a_million_segments(endpoint):
    body = "Action=ListTopics&" + "MessageAttributes.entry.1." * 200_000 + "x=1"
    status, _, data = _post(
        endpoint, body, {"Content-Type": FORM, "Authorization": SNS_AUTH}
    )
    assert status == 200
    assert b"<ListTopicsResponse" in data
    assert _healthy(endpoint)


def test_body_over_the_size_limit_is_refused(endpoint):
    status, _, _ = _post(
        endpoint,
        b"x" * (17 * 1024 * 1024),
        {"X-Amz-Target": "AmazonSQS.ListQueues", "Content-Type": SQS_JSON},
        timeout=120,
    )
    assert status == 413
    assert _healthy(endpoint)


def test_broken_chunked_encoding_is_a_400(endpoint):
    request = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\n{}\r\n0\r\n\r\n"
    )
    answer = _raw_exchange(endpoint, request, wait=10)
    assert answer is not None, "server never answered"
    assert answer[0].startswith(b"HTTP/1.1 400 ")


def test_stalled_requests_do_not_hold_connections_forever(endpoint):
    # A Content-Length larger than the body sent, and headers that never end: both used to hang forever.
    short_body = (
        b"POST / HTTP/1.1\r\nHost: x\r\nX-Amz-Target: AmazonSQS.ListQueues\r\n"
        b"Content-Type: application/x-amz-json-1.0\r\nContent-Length: 100\r\n\r\n{}"
    )
    half_headers = b"POST / HTTP/1.1\r\nHost: x\r\n"
    with ThreadPoolExecutor(2) as pool:
        body_answer = pool.submit(_raw_exchange, endpoint, short_body, 60)
        header_answer = pool.submit(_raw_exchange, endpoint, half_headers, 60)
        body_answer, header_answer = body_answer.result(), header_answer.result()
    assert body_answer is not None, "a short body held the connection for a minute"
    assert body_answer[0].startswith(b"HTTP/1.1 408 ")
    assert header_answer is not None, "unfinished headers held the connection for a minute"
    assert _healthy(endpoint)
