"""CORS for browser applications (the AWS SDK for JavaScript v3 in a browser), over raw HTTP.

A browser preflights the SDK's requests (they carry authorization, x-amz-* and amz-sdk-* headers) with
OPTIONS, then sends them with an Origin header and only lets the page read the response, and the headers
listed in Access-Control-Expose-Headers, when Access-Control-Allow-Origin names the page's origin.
By default Wharf allows pages served from loopback addresses and refuses (403) requests from other origins
before doing anything, so a web page elsewhere cannot use a developer's local queues.
"""

import http.client
import json
import os
import subprocess
import time
import urllib.parse
from pathlib import Path

import pytest

from sqs_helpers import unique_name

PAGE = "http://localhost:5173"
ELSEWHERE = "https://evil.example"
SDK_HEADERS = (
    "amz-sdk-invocation-id,amz-sdk-request,authorization,content-type,x-amz-content-sha256,"
    "x-amz-date,x-amz-security-token,x-amz-target,x-amz-user-agent"
)
SQS_JSON = "application/x-amz-json-1.0"
KINESIS_JSON = "application/x-amz-json-1.1"
FORM = "application/x-www-form-urlencoded"


def _auth(service):
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/{service}/aws4_request, "
        "SignedHeaders=host, Signature=0"
    )


def _call(endpoint, method, path="/", body=b"", headers=None):
    """(status, headers as a lower-cased dict, body)."""
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def _sqs_json(endpoint, action, payload, origin=None):
    headers = {"Content-Type": SQS_JSON, "X-Amz-Target": f"AmazonSQS.{action}", "Authorization": _auth("sqs")}
    if origin:
        headers["Origin"] = origin
    return _call(endpoint, "POST", body=json.dumps(payload).encode(), headers=headers)


def _kinesis(endpoint, action, payload, origin=None):
    headers = {
        "Content-Type": KINESIS_JSON,
        "X-Amz-Target": f"Kinesis_20131202.{action}",
        "Authorization": _auth("kinesis"),
    }
    if origin:
        headers["Origin"] = origin
    return _call(endpoint, "POST", body=json.dumps(payload).encode(), headers=headers)


def _assert_exposed(headers, origin):
    assert headers.get("access-control-allow-origin") == origin
    assert "origin" in headers.get("vary", "").lower()
    exposed = [h.strip().lower() for h in headers["access-control-expose-headers"].split(",")]
    for name in ("x-amzn-requestid", "x-amzn-query-error", "x-amz-request-id", "x-amz-id-2", "date"):
        assert name in exposed


def _no_cors_headers(headers):
    return not [h for h in headers if h.startswith("access-control-")]


def _preflight(endpoint, origin, method="POST"):
    return _call(
        endpoint,
        "OPTIONS",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": SDK_HEADERS,
        },
    )


@pytest.mark.parametrize("origin", [PAGE, "https://127.0.0.1:8443", "http://[::1]:3000", "http://localhost"])
def test_preflight_from_loopback_page(endpoint, origin):
    status, headers, body = _preflight(endpoint, origin)
    assert status == 200
    assert body == b""
    assert headers["access-control-allow-origin"] == origin
    assert "origin" in headers["vary"].lower()
    methods = [m.strip() for m in headers["access-control-allow-methods"].split(",")]
    assert "POST" in methods and "GET" in methods
    allowed = [h.strip().lower() for h in headers["access-control-allow-headers"].split(",")]
    assert sorted(allowed) == sorted(SDK_HEADERS.split(","))
    assert int(headers["access-control-max-age"]) > 0


@pytest.mark.parametrize("origin", [ELSEWHERE, "http://localhost.evil.example:5173", "null"])
def test_preflight_from_other_origin_is_refused(endpoint, origin):
    status, headers, _ = _preflight(endpoint, origin)
    assert status == 403
    assert _no_cors_headers(headers)


def test_simple_request_from_other_origin_does_nothing(endpoint, sqs):
    """A form-encoded Query POST needs no preflight: it must be refused, not executed."""
    name = unique_name("cors-csrf")
    body = urllib.parse.urlencode({"Action": "CreateQueue", "QueueName": name, "Version": "2012-11-05"})
    status, headers, _ = _call(endpoint, "POST", body=body.encode(), headers={"Content-Type": FORM, "Origin": ELSEWHERE})
    assert status == 403
    assert _no_cors_headers(headers)
    assert not sqs.list_queues(QueueNamePrefix=name).get("QueueUrls")


def test_sqs_json_success_and_error_are_readable(endpoint):
    name = unique_name("cors")
    status, headers, body = _sqs_json(endpoint, "CreateQueue", {"QueueName": name}, origin=PAGE)
    assert status == 200, body
    _assert_exposed(headers, PAGE)
    assert headers["x-amzn-requestid"]

    status, headers, body = _sqs_json(endpoint, "GetQueueUrl", {"QueueName": name + "-missing"}, origin=PAGE)
    assert status == 400
    _assert_exposed(headers, PAGE)
    # The JS SDK maps the SQS JSON error to its Query code through this header.
    assert headers["x-amzn-query-error"] == "AWS.SimpleQueueService.NonExistentQueue;Sender"
    assert json.loads(body)["__type"].endswith("QueueDoesNotExist")


def test_sns_query_response_is_readable(endpoint):
    body = urllib.parse.urlencode({"Action": "ListTopics", "Version": "2010-03-31"})
    status, headers, body = _call(
        endpoint,
        "POST",
        body=body.encode(),
        headers={"Content-Type": FORM, "Authorization": _auth("sns"), "Origin": PAGE},
    )
    assert status == 200, body
    assert b"ListTopicsResponse" in body
    _assert_exposed(headers, PAGE)


def test_kinesis_response_is_readable(endpoint):
    status, headers, body = _kinesis(endpoint, "ListStreams", {}, origin=PAGE)
    assert status == 200, body
    _assert_exposed(headers, PAGE)
    status, headers, _ = _kinesis(endpoint, "DescribeStreamSummary", {"StreamName": "cors-missing"}, origin=PAGE)
    assert status == 400
    _assert_exposed(headers, PAGE)


def test_admin_endpoints_are_readable(endpoint):
    for path in ("/_wharf/health", "/_wharf/info"):
        status, headers, _ = _call(endpoint, "GET", path, headers={"Origin": PAGE})
        assert status == 200
        _assert_exposed(headers, PAGE)


def test_request_without_origin_is_unchanged(endpoint):
    status, headers, _ = _sqs_json(endpoint, "ListQueues", {})
    assert status == 200
    assert _no_cors_headers(headers)
    # OPTIONS without Origin is no preflight: answered as any request without an action.
    status, headers, _ = _call(endpoint, "OPTIONS")
    assert status == 400
    assert _no_cors_headers(headers)


def _wait(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_subscribe_to_shard_event_stream_is_readable(endpoint):
    name = unique_name("cors-ks")
    assert _kinesis(endpoint, "CreateStream", {"StreamName": name, "ShardCount": 1})[0] == 200

    def summary():
        return json.loads(_kinesis(endpoint, "DescribeStreamSummary", {"StreamName": name})[2])[
            "StreamDescriptionSummary"
        ]

    _wait(lambda: summary()["StreamStatus"] == "ACTIVE")
    arn = summary()["StreamARN"]
    status, _, body = _kinesis(endpoint, "RegisterStreamConsumer", {"StreamARN": arn, "ConsumerName": "web"})
    assert status == 200, body
    consumer = json.loads(body)["Consumer"]["ConsumerARN"]
    _wait(
        lambda: json.loads(_kinesis(endpoint, "DescribeStreamConsumer", {"ConsumerARN": consumer})[2])[
            "ConsumerDescription"
        ]["ConsumerStatus"]
        == "ACTIVE"
    )
    parsed = urllib.parse.urlsplit(endpoint)
    conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        payload = {"ConsumerARN": consumer, "ShardId": "shardId-000000000000", "StartingPosition": {"Type": "LATEST"}}
        conn.request(
            "POST",
            "/",
            body=json.dumps(payload),
            headers={
                "Content-Type": KINESIS_JSON,
                "X-Amz-Target": "Kinesis_20131202.SubscribeToShard",
                "Authorization": _auth("kinesis"),
                "Origin": PAGE,
            },
        )
        resp = conn.getresponse()  # the headers; the event stream goes on
        assert resp.status == 200
        assert resp.getheader("content-type") == "application/vnd.amazon.eventstream"
        _assert_exposed({k.lower(): v for k, v in resp.getheaders()}, PAGE)
    finally:
        conn.close()
    _kinesis(endpoint, "DeleteStream", {"StreamName": name, "EnforceConsumerDeletion": True})


def _server(origins):
    """Starts another server with ``WHARF_CORS_ALLOWED_ORIGINS=origins``; (process, endpoint or None)."""
    if os.environ.get("WHARF_ENDPOINT"):
        pytest.skip("needs WHARF_BIN to start servers of its own")
    binary = os.environ.get("WHARF_BIN", str(Path(__file__).resolve().parents[2] / "target" / "debug" / "wharf"))
    env = dict(os.environ, WHARF_CORS_ALLOWED_ORIGINS=origins)
    proc = subprocess.Popen(
        [binary, "serve", "--in-memory", "--port", "0"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    line = proc.stdout.readline()
    if "ready on " not in line:
        proc.wait(timeout=10)
        return proc, None
    return proc, line.split("ready on ")[1].split()[0]


@pytest.mark.parametrize(
    "origins, allowed, refused",
    [
        ("https://app.test:8443, loopback", ["https://app.test:8443", PAGE], ["https://app.test", ELSEWHERE]),
        ("https://app.test:8443", ["https://app.test:8443"], [PAGE]),
        ("*", [ELSEWHERE, PAGE, "null"], []),
        ("", [], [PAGE, ELSEWHERE]),
    ],
)
def test_configured_origins(origins, allowed, refused):
    proc, url = _server(origins)
    try:
        assert url, proc.stderr.read()
        for origin in allowed:
            status, headers, _ = _preflight(url, origin)
            assert (status, headers.get("access-control-allow-origin")) == (200, origin)
        for origin in refused:
            status, headers, _ = _preflight(url, origin)
            assert status == 403 and _no_cors_headers(headers)
        status, headers, _ = _sqs_json(url, "ListQueues", {})
        assert status == 200 and _no_cors_headers(headers)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_invalid_origin_setting_stops_start():
    proc, url = _server("localhost:3000")
    assert url is None
    assert proc.returncode != 0
    assert "cors" in proc.stderr.read().lower()
