"""Sending, receiving and deleting messages on standard queues."""

import threading
import time

import pytest

from sqs_helpers import (
    expect_error,
    md5_of_body,
    md5_of_message_attributes,
    queue_attr,
    receive_n,
)

TRACE_HEADER = "Root=1-5e1b4151-5ac6c58f5d1a2b3c4d5e6f70;Parent=53995c3f42cd8ad8;Sampled=1"


def _attrs(sqs, url, *names):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(names))["Attributes"]


# --------------------------------------------------------------------------
# Basic send / receive / delete
# --------------------------------------------------------------------------

def test_send_receive_delete(sqs, queue):
    _, url = queue
    body = "hello wharf"
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    assert sent["MessageId"]
    assert "MD5OfMessageAttributes" not in sent

    msgs = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert len(msgs) == 1
    msg = msgs[0]
    assert msg["Body"] == body
    assert msg["MessageId"] == sent["MessageId"]
    assert msg["MD5OfBody"] == md5_of_body(body)
    assert msg["ReceiptHandle"]

    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    assert _attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []


def test_receive_on_empty_queue_returns_no_messages(sqs, queue):
    _, url = queue
    resp = sqs.receive_message(QueueUrl=url)
    assert resp.get("Messages", []) == []


def test_receive_defaults_to_one_message(sqs, queue):
    _, url = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_receive_up_to_ten_messages(sqs, queue):
    _, url = queue
    bodies = {f"body-{i}" for i in range(12)}
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert 1 <= len(first) <= 10
    rest = receive_n(sqs, url, 12 - len(first))
    got = [m["Body"] for m in first + rest]
    assert sorted(got) == sorted(bodies), "every message must be received exactly once"


@pytest.mark.parametrize(
    "body",
    [
        "plain ascii",
        "tab\tnewline\ncarriage\rreturn",
        "<xml attr=\"1\">&amp; 'quotes' </xml>",
        "unicode: é ü 漢字 Ω",
        "astral: \U0001F600 \U00010348",
        "\ue000\ufffd",
        "{\"json\": [1, 2, {\"k\": null}]}",
        " leading and trailing spaces ",
    ],
    ids=["ascii", "whitespace", "xml", "bmp", "astral", "private-use", "json", "spaces"],
)
def test_body_roundtrip(sqs, queue, body):
    _, url = queue
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert msg["Body"] == body
    assert msg["MD5OfBody"] == md5_of_body(body)


@pytest.mark.parametrize(
    "body", ["nul\u0000char", "unit\u001fsep", "nonchar\ufffe", "nonchar\uffff", "lone\ud800lead", "lone\udfffend"],
    ids=["U+0000", "U+001F", "U+FFFE", "U+FFFF", "lone-U+D800", "lone-U+DFFF"],
)
def test_invalid_body_characters(sqs, queue, body):
    _, url = queue
    with expect_error("InvalidMessageContents", 400, exception="InvalidMessageContents"):
        sqs.send_message(QueueUrl=url, MessageBody=body)


def test_lone_surrogate_in_a_batch_fails_only_its_entry(sqs, queue):
    # A lone UTF-16 surrogate (JSON "\ud800") is outside SQS's allowed characters like any other: the
    # entry fails with InvalidMessageContents, the request itself is well-formed.
    _, url = queue
    resp = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[{"Id": "ok", "MessageBody": "fine"}, {"Id": "bad", "MessageBody": "x\ud800y"}],
    )
    assert [e["Id"] for e in resp["Successful"]] == ["ok"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in resp["Failed"]] == [
        ("bad", "InvalidMessageContents", True)
    ]


def test_empty_body_is_rejected(sqs, queue):
    _, url = queue
    with pytest.raises(Exception) as info:
        sqs.send_message(QueueUrl=url, MessageBody="")
    resp = getattr(info.value, "response", None)
    if resp is not None:
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_message_size_limit_of_queue(sqs, make_queue):
    _, url = make_queue("small", attributes={"MaximumMessageSize": "1024"})
    sqs.send_message(QueueUrl=url, MessageBody="x" * 1024)
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x" * 1025)


def test_message_size_limit_counts_bytes_not_characters(sqs, make_queue):
    _, url = make_queue("bytes", attributes={"MaximumMessageSize": "1024"})
    # 400 characters of a 3-byte UTF-8 character = 1200 bytes.
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="漢" * 400)


def test_message_size_limit_includes_attributes(sqs, make_queue):
    _, url = make_queue("attrsize", attributes={"MaximumMessageSize": "1024"})
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(
            QueueUrl=url,
            MessageBody="x" * 1000,
            MessageAttributes={"a": {"DataType": "String", "StringValue": "y" * 30}},
        )


def test_default_maximum_message_size_is_one_mib(sqs, queue):
    _, url = queue
    body = "z" * 1_048_576
    sent = sqs.send_message(QueueUrl=url, MessageBody=body)
    assert sent["MD5OfMessageBody"] == md5_of_body(body)
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody=body + "z")


def test_deduplication_id_not_allowed_on_standard_queue(sqs, queue):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d1")


# --------------------------------------------------------------------------
# Message attributes
# --------------------------------------------------------------------------

ATTRS = {
    "str": {"DataType": "String", "StringValue": "text value ü"},
    "num": {"DataType": "Number", "StringValue": "-1234.5"},
    "bin": {"DataType": "Binary", "BinaryValue": b"\x00\x01\xfe\xff binary"},
    "custom": {"DataType": "String.custom-label", "StringValue": "labelled"},
    "pre.one": {"DataType": "String", "StringValue": "p1"},
    "pre.two": {"DataType": "Number.int", "StringValue": "2"},
}


def test_message_attributes_md5_on_send(sqs, queue):
    _, url = queue
    sent = sqs.send_message(QueueUrl=url, MessageBody="with attrs", MessageAttributes=ATTRS)
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(ATTRS)


def test_message_attributes_all(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="with attrs", MessageAttributes=ATTRS)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    got = msg["MessageAttributes"]
    assert set(got) == set(ATTRS)
    for name, attr in ATTRS.items():
        assert got[name]["DataType"] == attr["DataType"], name
        if "BinaryValue" in attr:
            assert got[name]["BinaryValue"] == attr["BinaryValue"], name
        else:
            assert got[name]["StringValue"] == attr["StringValue"], name
    assert msg["MD5OfMessageAttributes"] == md5_of_message_attributes(ATTRS)


def test_message_attributes_dot_star(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRS)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=[".*"])["Messages"][0]
    assert set(msg["MessageAttributes"]) == set(ATTRS)


def test_message_attributes_prefix(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRS)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["pre.*"])["Messages"][0]
    assert set(msg["MessageAttributes"]) == {"pre.one", "pre.two"}


def test_message_attributes_by_name(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRS)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["num", "missing"])["Messages"][0]
    assert msg["MessageAttributes"] == {"num": {"DataType": "Number", "StringValue": "-1234.5"}}


def test_message_attributes_not_returned_unless_requested(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=ATTRS)
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "MessageAttributes" not in msg


def test_too_many_message_attributes(sqs, queue):
    _, url = queue
    attrs = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(11)}
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)


def test_ten_message_attributes_are_allowed(sqs, queue):
    _, url = queue
    attrs = {f"a{i}": {"DataType": "String", "StringValue": "v"} for i in range(10)}
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(attrs)


@pytest.mark.parametrize(
    "name,attr",
    [
        ("AWS.reserved", {"DataType": "String", "StringValue": "v"}),
        ("double..dot", {"DataType": "String", "StringValue": "v"}),
        ("bad name", {"DataType": "String", "StringValue": "v"}),
        ("empty", {"DataType": "String", "StringValue": ""}),
        ("nan", {"DataType": "Number", "StringValue": "not-a-number"}),
        ("badtype", {"DataType": "Float", "StringValue": "1"}),
    ],
    ids=["aws-prefix", "double-dot", "space", "empty-value", "bad-number", "unknown-type"],
)
def test_invalid_message_attribute(sqs, queue, name, attr):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={name: attr})


# Developer guide, message attribute data types: "A number can have up to 38 digits of precision, and it
# can be between 10^-128 and 10^+126"; leading and trailing zeroes are not digits of precision.
THIRTY_EIGHT = "1" * 38


@pytest.mark.parametrize(
    "value",
    [THIRTY_EIGHT, f"-{THIRTY_EIGHT}", THIRTY_EIGHT + "000", "0.000" + THIRTY_EIGHT, "+5", "-0.5", ".5",
     "1E+5", "1.5e-3", "1e126", "1e-128", "0"],
)
def test_number_attribute_values_within_the_documented_limits(sqs, queue, value):
    _, url = queue
    attrs = {"n": {"DataType": "Number", "StringValue": value}}
    sent = sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    assert sent["MD5OfMessageAttributes"] == md5_of_message_attributes(attrs)
    msg = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert msg["MessageAttributes"]["n"] == {"DataType": "Number", "StringValue": value}


@pytest.mark.parametrize(
    "value",
    ["1" * 39, "1" + "0" * 37 + "1", "0." + "1" * 39, "1e127", "1.1e126", "1e-129", "1E-130", "1e", "--1", "1.2.3"],
    ids=["39-digits", "39-significant", "39-decimals", "above-1e126", "just-above-1e126", "below-1e-128",
         "far-below-1e-128", "bare-exponent", "two-signs", "two-points"],
)
def test_number_attribute_values_beyond_the_documented_limits(sqs, queue, value):
    _, url = queue
    attrs = {"n": {"DataType": "Number.custom", "StringValue": value}}
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes=attrs)
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageAttributes={"n": dict(attrs["n"], DataType="Number")})


def test_empty_number_attribute_value_is_rejected(sqs, queue):
    # "Name, type, value and the message body must not be empty or null" (MessageAttributeValue).
    _, url = queue
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.send_message(
            QueueUrl=url, MessageBody="x", MessageAttributes={"n": {"DataType": "Number", "StringValue": ""}}
        )
    assert "non-empty" in info.value.response["Error"]["Message"]


# --------------------------------------------------------------------------
# System attributes
# --------------------------------------------------------------------------

def test_system_attributes_all(sqs, queue):
    _, url = queue
    before_ms = int(time.time() * 1000)
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    attrs = msg["Attributes"]
    for key in ("SenderId", "SentTimestamp", "ApproximateReceiveCount",
                "ApproximateFirstReceiveTimestamp"):
        assert key in attrs, f"{key} missing in {attrs}"
    assert attrs["ApproximateReceiveCount"] == "1"
    sent_ms = int(attrs["SentTimestamp"])
    first_ms = int(attrs["ApproximateFirstReceiveTimestamp"])
    assert abs(sent_ms - before_ms) < 60_000, "SentTimestamp must be epoch milliseconds"
    assert first_ms >= sent_ms
    assert "MessageGroupId" not in attrs and "SequenceNumber" not in attrs


def test_system_attributes_legacy_attribute_names(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url, AttributeNames=["All"])["Messages"][0]
    assert msg["Attributes"]["ApproximateReceiveCount"] == "1"


def test_system_attributes_selected(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(
        QueueUrl=url, MessageSystemAttributeNames=["SentTimestamp"]
    )["Messages"][0]
    assert set(msg["Attributes"]) == {"SentTimestamp"}


def test_system_attributes_not_returned_unless_requested(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    assert "Attributes" not in msg


def test_unknown_attribute_names_in_receive_are_ignored(sqs, queue):
    # Not settled by the docs: InvalidAttributeName is not among ReceiveMessage's errors (API reference,
    # botocore's model) and botocore does not check the QueueAttributeName / MessageSystemAttributeName
    # enums, so an unknown name reaches the server; Wharf ignores it and returns the known ones.
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(
        QueueUrl=url,
        AttributeNames=["NoSuchAttribute"],
        MessageSystemAttributeNames=["SentTimestamp", "NoSuchSystemAttribute"],
        MessageAttributeNames=["no.such.*", "NoSuchAttribute"],
    )["Messages"][0]
    assert list(msg["Attributes"]) == ["SentTimestamp"]
    assert "MessageAttributes" not in msg


def test_receive_count_increments(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    handles = []
    firsts = set()
    for expected in ("1", "2", "3"):
        msg = sqs.receive_message(
            QueueUrl=url, VisibilityTimeout=0, MessageSystemAttributeNames=["All"]
        )["Messages"][0]
        assert msg["Attributes"]["ApproximateReceiveCount"] == expected
        handles.append(msg["ReceiptHandle"])
        firsts.add(msg["Attributes"]["ApproximateFirstReceiveTimestamp"])
    assert len(set(handles)) == 3, "every receive must hand out a new receipt handle"
    assert len(firsts) == 1, "ApproximateFirstReceiveTimestamp must not change"


def test_aws_trace_header_roundtrip(sqs, queue):
    _, url = queue
    sent = sqs.send_message(
        QueueUrl=url,
        MessageBody="traced",
        MessageSystemAttributes={
            "AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}
        },
    )
    assert sent.get("MD5OfMessageSystemAttributes") == md5_of_message_attributes(
        {"AWSTraceHeader": {"DataType": "String", "StringValue": TRACE_HEADER}}
    )
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert msg["Attributes"].get("AWSTraceHeader") == TRACE_HEADER


# --------------------------------------------------------------------------
# Delete / receipt handles
# --------------------------------------------------------------------------

def test_delete_with_invalid_receipt_handle(sqs, queue):
    _, url = queue
    with expect_error("ReceiptHandleIsInvalid", 400, exception="ReceiptHandleIsInvalid"):
        sqs.delete_message(QueueUrl=url, ReceiptHandle="not-a-receipt-handle")


def test_delete_with_latest_receipt_handle(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=second["ReceiptHandle"])
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []


# --------------------------------------------------------------------------
# Visibility timeout
# --------------------------------------------------------------------------

def test_received_message_is_invisible_then_reappears(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert queue_attr(sqs, url, "ApproximateNumberOfMessagesNotVisible") == "1"
    time.sleep(1.3)
    again = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert again["MessageId"] == first["MessageId"]
    assert again["Attributes"]["ApproximateReceiveCount"] == "2"


def test_queue_visibility_timeout_is_used_by_default(sqs, make_queue):
    _, url = make_queue("vt", attributes={"VisibilityTimeout": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    time.sleep(1.3)
    assert len(sqs.receive_message(QueueUrl=url).get("Messages", [])) == 1


def test_change_visibility_to_zero_releases_message(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=0)
    again = sqs.receive_message(QueueUrl=url).get("Messages", [])
    assert [m["MessageId"] for m in again] == [msg["MessageId"]]


def test_change_visibility_extends_timeout(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=30)
    time.sleep(1.3)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    # The receipt handle is still valid for deleting the in-flight message.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    assert queue_attr(sqs, url, "ApproximateNumberOfMessagesNotVisible") == "0"


def test_change_visibility_above_twelve_hours(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    with expect_error("InvalidParameterValue", 400):
        sqs.change_message_visibility(
            QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"], VisibilityTimeout=43201
        )


def test_change_visibility_invalid_receipt_handle(sqs, queue):
    _, url = queue
    with expect_error("ReceiptHandleIsInvalid", 400, exception="ReceiptHandleIsInvalid"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="garbage", VisibilityTimeout=5)


def test_receive_visibility_timeout_above_twelve_hours(sqs, queue):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.receive_message(QueueUrl=url, VisibilityTimeout=43201)


# --------------------------------------------------------------------------
# Delays
# --------------------------------------------------------------------------

def test_per_message_delay(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=1)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    assert queue_attr(sqs, url, "ApproximateNumberOfMessagesDelayed") == "1"
    time.sleep(1.3)
    msgs = receive_n(sqs, url, 1, timeout=1.0)
    assert [m["Body"] for m in msgs] == ["later"]


def test_queue_delay(sqs, make_queue):
    _, url = make_queue("delayq", attributes={"DelaySeconds": "1"})
    sqs.send_message(QueueUrl=url, MessageBody="later")
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    time.sleep(1.3)
    assert [m["Body"] for m in receive_n(sqs, url, 1, timeout=1.0)] == ["later"]


def test_per_message_delay_overrides_queue_delay(sqs, make_queue):
    _, url = make_queue("delayo", attributes={"DelaySeconds": "60"})
    sqs.send_message(QueueUrl=url, MessageBody="now", DelaySeconds=0)
    assert [m["Body"] for m in sqs.receive_message(QueueUrl=url).get("Messages", [])] == ["now"]


@pytest.mark.parametrize("delay", [901, -1])
def test_delay_out_of_range(sqs, queue, delay):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", DelaySeconds=delay)


# --------------------------------------------------------------------------
# ReceiveMessage parameters and long polling
# --------------------------------------------------------------------------

@pytest.mark.parametrize("count", [0, 11])
def test_max_number_of_messages_out_of_range(sqs, queue, count):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=count)


def test_wait_time_above_twenty_seconds(sqs, queue):
    _, url = queue
    with expect_error("InvalidParameterValue", 400):
        sqs.receive_message(QueueUrl=url, WaitTimeSeconds=21)


def test_long_poll_on_empty_queue_waits(sqs, queue):
    _, url = queue
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2)
    elapsed = time.monotonic() - start
    assert resp.get("Messages", []) == []
    assert 1.8 <= elapsed <= 3.5, f"long poll of 2s took {elapsed:.2f}s"


def test_long_poll_returns_message_sent_during_wait(sqs, queue):
    _, url = queue

    def later():
        time.sleep(0.5)
        sqs.send_message(QueueUrl=url, MessageBody="arrived")

    sender = threading.Thread(target=later)
    start = time.monotonic()
    sender.start()
    try:
        resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    finally:
        sender.join()
    elapsed = time.monotonic() - start
    assert [m["Body"] for m in resp.get("Messages", [])] == ["arrived"]
    assert elapsed < 2.5, f"message sent after 0.5s returned only after {elapsed:.2f}s"


def test_long_poll_returns_immediately_when_messages_available(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="ready")
    start = time.monotonic()
    resp = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)
    assert len(resp["Messages"]) == 1
    assert time.monotonic() - start < 1.0


def test_queue_receive_wait_time_attribute(sqs, make_queue):
    _, url = make_queue("lp", attributes={"ReceiveMessageWaitTimeSeconds": "1"})
    start = time.monotonic()
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    elapsed = time.monotonic() - start
    assert 0.8 <= elapsed <= 2.5, f"queue long poll of 1s took {elapsed:.2f}s"


def test_wait_time_zero_overrides_queue_attribute(sqs, make_queue):
    _, url = make_queue("sp", attributes={"ReceiveMessageWaitTimeSeconds": "20"})
    start = time.monotonic()
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=0).get("Messages", []) == []
    assert time.monotonic() - start < 1.0


# --------------------------------------------------------------------------
# PurgeQueue
# --------------------------------------------------------------------------

def test_purge_queue(sqs, queue):
    _, url = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.receive_message(QueueUrl=url, VisibilityTimeout=60)  # one in flight
    sqs.purge_queue(QueueUrl=url)
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []
    assert _attrs(sqs, url, "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible") == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_second_purge_within_60_seconds(sqs, queue):
    _, url = queue
    sqs.purge_queue(QueueUrl=url)
    with expect_error(
        "AWS.SimpleQueueService.PurgeQueueInProgress", 403, exception="PurgeQueueInProgress"
    ):
        sqs.purge_queue(QueueUrl=url)
