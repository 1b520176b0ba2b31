"""Shared helpers for the Wharf SQS compatibility suite (no fixtures here)."""

import contextlib
import hashlib
import json
import struct
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "secret"
API_VERSION = "2012-11-05"

# Content types of raw requests, and an SNS Authorization header (Wharf tells SNS from SQS Query requests
# by the SigV4 credential scope; the signature itself is not checked).
SQS_JSON = "application/x-amz-json-1.0"
KINESIS_JSON = "application/x-amz-json-1.1"
KINESIS_CBOR = "application/x-amz-cbor-1.1"
FORM = "application/x-www-form-urlencoded"
SNS_AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/sns/aws4_request, "
    "SignedHeaders=host, Signature=0"
)

XML_NS = "http://queue.amazonaws.com/doc/2012-11-05/"


def suite_client(service, endpoint, **config):
    """boto3 client for the server with the suite's credentials and region, one attempt per call and short
    timeouts; ``config`` adds or overrides botocore ``Config`` options (``parameter_validation=False``...)."""
    options = {"retries": {"total_max_attempts": 1}, "connect_timeout": 5, "read_timeout": 30, **config}
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        config=Config(**options),
    )


def unique_name(prefix="q", fifo=False):
    """Queue name that no other test uses (valid SQS characters only)."""
    name = f"{prefix}-{uuid.uuid4().hex[:16]}"
    return name + ".fifo" if fifo else name


# --------------------------------------------------------------------------
# MD5 digests as SQS computes them
# --------------------------------------------------------------------------

def md5_of_body(body: str) -> str:
    return hashlib.md5(body.encode("utf-8")).hexdigest()


def _length_prefixed(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def md5_of_message_attributes(attributes: dict) -> str:
    """MD5OfMessageAttributes per the SQS developer guide.

    Attributes are sorted by name; for each one the buffer gets the name,
    the data type (each as 4-byte big-endian length + UTF-8 bytes), one
    transport-type byte (1 = String/Number, 2 = Binary) and the value
    (4-byte length + bytes).  ``attributes`` uses the boto3 shape
    ``{name: {"DataType": ..., "StringValue"|"BinaryValue": ...}}``.
    """
    buf = b""
    for name in sorted(attributes):
        attr = attributes[name]
        data_type = attr["DataType"]
        buf += _length_prefixed(name.encode("utf-8"))
        buf += _length_prefixed(data_type.encode("utf-8"))
        if "BinaryValue" in attr:
            value = attr["BinaryValue"]
            if isinstance(value, str):
                value = value.encode("utf-8")
            buf += b"\x02" + _length_prefixed(value)
        else:
            buf += b"\x01" + _length_prefixed(attr["StringValue"].encode("utf-8"))
    return hashlib.md5(buf).hexdigest()


# --------------------------------------------------------------------------
# Error assertions for boto3 (JSON protocol)
# --------------------------------------------------------------------------

@contextlib.contextmanager
def expect_error(code, status=400, exception=None):
    """Assert the block raises a botocore ClientError with this error code.

    ``code`` is what botocore surfaces as ``e.response['Error']['Code']``.
    Against real SQS (JSON protocol with the ``x-amzn-query-error`` header)
    that is the legacy Query error code, e.g.
    ``AWS.SimpleQueueService.NonExistentQueue``.  ``exception`` optionally
    names the modeled exception class botocore must raise, e.g.
    ``QueueDoesNotExist``.
    """
    with pytest.raises(ClientError) as info:
        yield info
    err = info.value.response.get("Error", {})
    got_status = info.value.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    assert err.get("Code") == code, (
        f"expected error code {code!r}, got {err.get('Code')!r} "
        f"(HTTP {got_status}, message {err.get('Message')!r})"
    )
    if status is not None:
        assert got_status == status, (
            f"expected HTTP {status} for {code}, got {got_status}"
        )
    if exception is not None:
        assert type(info.value).__name__ == exception, (
            f"expected botocore to raise {exception}, got {type(info.value).__name__} "
            f"(Error: {err})"
        )


# --------------------------------------------------------------------------
# Receiving helpers
# --------------------------------------------------------------------------

def receive_n(sqs, url, n, timeout=3.0, **kwargs):
    """Receive until ``n`` messages were collected or ``timeout`` passed."""
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < n and time.monotonic() < deadline:
        resp = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=min(10, n - len(got)), **kwargs
        )
        got.extend(resp.get("Messages", []))
        if len(got) < n:
            time.sleep(0.05)
    return got


def queue_attr(sqs, url, name):
    resp = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[name])
    return resp.get("Attributes", {}).get(name)


# --------------------------------------------------------------------------
# Signed raw HTTP
# --------------------------------------------------------------------------

def _signed_request(url, body: bytes, headers: dict):
    req = AWSRequest(method="POST", url=url, data=body, headers=headers)
    SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY), "sqs", REGION).add_auth(req)
    return urllib.request.Request(url, data=body, headers=dict(req.headers.items()), method="POST")


def _send(request, timeout=30):
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            return resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, {k.lower(): v for k, v in err.headers.items()}, err.read()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class QueryResponse:
    """Parsed AWS Query protocol response."""

    def __init__(self, status, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.root = ET.fromstring(body)
        except ET.ParseError as exc:
            raise AssertionError(
                f"HTTP {status}: response is not XML ({exc}): {body[:500]!r}"
            ) from None

    # -- navigation (namespace-agnostic) ---------------------------------
    @property
    def root_name(self):
        return _local(self.root.tag)

    @property
    def namespace(self):
        return self.root.tag[1:].split("}", 1)[0] if self.root.tag.startswith("{") else None

    @staticmethod
    def _children(elem, name):
        return [c for c in elem if _local(c.tag) == name]

    def findall(self, path, elem=None):
        """All elements at a '/'-separated path of local names below ``elem``."""
        current = [self.root if elem is None else elem]
        for part in path.split("/"):
            nxt = []
            for e in current:
                nxt.extend(self._children(e, part))
            current = nxt
        return current

    def find(self, path, elem=None):
        found = self.findall(path, elem)
        return found[0] if found else None

    def text(self, path, elem=None):
        node = self.find(path, elem)
        return None if node is None else (node.text or "")

    def pairs(self, path, elem=None, key="Name", value="Value"):
        """Turn repeated ``<X><Name/><Value/></X>`` elements into a dict."""
        out = {}
        for node in self.findall(path, elem):
            out[self.text(key, node)] = self.text(value, node)
        return out

    # -- errors ----------------------------------------------------------
    @property
    def is_error(self):
        return self.root_name == "ErrorResponse"

    @property
    def error_code(self):
        return self.text("Error/Code")

    @property
    def error_type(self):
        return self.text("Error/Type")

    @property
    def error_message(self):
        return self.text("Error/Message")

    @property
    def request_id(self):
        if self.is_error:
            return self.text("RequestId")
        return self.text("ResponseMetadata/RequestId")

    def __repr__(self):
        return f"<QueryResponse HTTP {self.status} {self.body[:300]!r}>"


class QueryClient:
    """Sends SigV4-signed AWS Query requests (form-encoded POST)."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, action, params=None, queue_url=None, version=API_VERSION):
        """POST ``Action=...`` to ``queue_url`` (if given) or the endpoint."""
        fields = [("Action", action)]
        if version is not None:
            fields.append(("Version", version))
        for key, value in (params or {}).items():
            fields.append((key, value))
        body = urllib.parse.urlencode(fields).encode("utf-8")
        url = queue_url or self.endpoint + "/"
        request = _signed_request(
            url, body, {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        )
        return QueryResponse(*_send(request))


class JsonResponse:
    def __init__(self, status, headers, body: bytes):
        self.status = status
        self.headers = headers
        self.body = body
        try:
            self.data = json.loads(body) if body.strip() else {}
        except ValueError:
            self.data = {"<non-json body>": body[:500].decode("utf-8", "replace")}

    def __repr__(self):
        return f"<JsonResponse HTTP {self.status} {self.headers.get('x-amzn-query-error')} {self.body[:300]!r}>"


class JsonClient:
    """Sends SigV4-signed AWS JSON 1.0 requests and returns the raw result."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def call(self, action, payload):
        body = json.dumps(payload).encode("utf-8")
        request = _signed_request(
            self.endpoint + "/",
            body,
            {
                "Content-Type": "application/x-amz-json-1.0",
                "X-Amz-Target": f"AmazonSQS.{action}",
            },
        )
        return JsonResponse(*_send(request))
