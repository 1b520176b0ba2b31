"""FIFO queues: ordering, message groups, deduplication, sequence numbers."""

import re

from sqs_helpers import expect_error, md5_of_body, queue_attr


def _send(sqs, url, body, group="g", dedup=None, **kwargs):
    return sqs.send_message(
        QueueUrl=url,
        MessageBody=body,
        MessageGroupId=group,
        MessageDeduplicationId=dedup or body,
        **kwargs,
    )


def test_fifo_send_returns_sequence_number(sqs, fifo_queue):
    _, url = fifo_queue
    first = _send(sqs, url, "one")
    second = _send(sqs, url, "two")
    for body, resp in (("one", first), ("two", second)):
        assert resp["MD5OfMessageBody"] == md5_of_body(body)
        assert re.fullmatch(r"\d+", resp.get("SequenceNumber", "")), resp
    assert int(second["SequenceNumber"]) > int(first["SequenceNumber"])


def test_fifo_order_within_group(sqs, fifo_queue):
    _, url = fifo_queue
    bodies = [f"m{i}" for i in range(6)]
    for body in bodies:
        _send(sqs, url, body)
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == bodies


def test_fifo_group_is_locked_while_in_flight(sqs, fifo_queue):
    _, url = fifo_queue
    _send(sqs, url, "a1", group="A")
    _send(sqs, url, "a2", group="A")
    _send(sqs, url, "b1", group="B")

    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)["Messages"]
    assert [m["Body"] for m in first] == ["a1"]

    # a2 must not be delivered while a1 of the same group is in flight.
    second = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60)
    assert [m["Body"] for m in second.get("Messages", [])] == ["b1"]

    sqs.delete_message(QueueUrl=url, ReceiptHandle=first[0]["ReceiptHandle"])
    third = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    assert [m["Body"] for m in third.get("Messages", [])] == ["a2"]


def test_fifo_system_attributes(sqs, fifo_queue):
    _, url = fifo_queue
    sent = _send(sqs, url, "body", group="grp-1", dedup="dedup-1")
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    attrs = msg["Attributes"]
    assert attrs.get("MessageGroupId") == "grp-1"
    assert attrs.get("MessageDeduplicationId") == "dedup-1"
    assert attrs.get("SequenceNumber") == sent["SequenceNumber"]
    assert attrs.get("ApproximateReceiveCount") == "1"


def test_fifo_dedup_by_id(sqs, fifo_queue):
    _, url = fifo_queue
    _send(sqs, url, "first", dedup="same-id")
    _send(sqs, url, "second", dedup="same-id")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == ["first"]


def test_fifo_dedup_survives_delete(sqs, fifo_queue):
    _, url = fifo_queue
    _send(sqs, url, "once", dedup="d-1")
    msg = sqs.receive_message(QueueUrl=url)["Messages"][0]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=msg["ReceiptHandle"])
    _send(sqs, url, "once again", dedup="d-1")
    assert sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []) == []


def test_fifo_content_based_dedup(sqs, make_queue):
    _, url = make_queue(
        "cbd", fifo=True, attributes={"ContentBasedDeduplication": "true"}
    )
    assert queue_attr(sqs, url, "ContentBasedDeduplication") == "true"
    for body in ("same", "same", "other"):
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId="g")
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == ["same", "other"]


def test_fifo_explicit_dedup_id_overrides_content(sqs, make_queue):
    _, url = make_queue(
        "cbdx", fifo=True, attributes={"ContentBasedDeduplication": "true"}
    )
    for dedup in ("x1", "x2"):
        sqs.send_message(
            QueueUrl=url, MessageBody="same", MessageGroupId="g", MessageDeduplicationId=dedup
        )
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == ["same", "same"]


def test_fifo_requires_message_group_id(sqs, fifo_queue):
    _, url = fifo_queue
    with expect_error("MissingParameter", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageDeduplicationId="d")


def test_fifo_requires_dedup_id_without_content_based_dedup(sqs, fifo_queue):
    _, url = fifo_queue
    with expect_error("InvalidParameterValue", 400):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")


def test_fifo_rejects_per_message_delay(sqs, fifo_queue):
    _, url = fifo_queue
    with expect_error("InvalidParameterValue", 400):
        _send(sqs, url, "x", DelaySeconds=1)


def test_fifo_batch_preserves_order(sqs, fifo_queue):
    _, url = fifo_queue
    entries = [
        {"Id": f"e{i}", "MessageBody": f"b{i}", "MessageGroupId": "g",
         "MessageDeduplicationId": f"d{i}"}
        for i in range(5)
    ]
    resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert resp.get("Failed", []) == []
    seqs = {e["Id"]: int(e["SequenceNumber"]) for e in resp["Successful"]}
    assert [seqs[f"e{i}"] for i in range(5)] == sorted(seqs.values())
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert [m["Body"] for m in msgs] == [f"b{i}" for i in range(5)]


def test_fifo_high_throughput_attribute_defaults(sqs, fifo_queue):
    _, url = fifo_queue
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["DeduplicationScope", "FifoThroughputLimit"]
    )["Attributes"]
    assert attrs == {"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"}


def test_high_throughput_needs_message_group_deduplication_scope(sqs, make_queue):
    # CreateQueue / SetQueueAttributes, FifoThroughputLimit: "The perMessageGroupId value is allowed only
    # when the value for DeduplicationScope is messageGroup" (the default scope is queue).
    for attributes in (
        {"FifoThroughputLimit": "perMessageGroupId"},
        {"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "queue"},
    ):
        with expect_error("InvalidAttributeValue", 400, exception="InvalidAttributeValue") as info:
            make_queue("ht", fifo=True, attributes=attributes)
        # AWS's wording, as recorded in cloud-service-broker's SQS FIFO notes.
        assert info.value.response["Error"]["Message"] == (
            "Invalid value for the parameter FifoThroughputLimit. Reason: To set FifoThroughputLimit to "
            "perMessageGroupId, the DeduplicationScope must be messageGroup."
        )

    _, url = make_queue(
        "ht", fifo=True, attributes={"FifoThroughputLimit": "perMessageGroupId", "DeduplicationScope": "messageGroup"}
    )
    names = ["DeduplicationScope", "FifoThroughputLimit"]
    high = {"DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perMessageGroupId"}
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"] == high
    with expect_error("InvalidAttributeValue", 400) as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "queue"})
    assert info.value.response["Error"]["Message"].startswith(
        "Invalid value for the parameter DeduplicationScope. Reason: To set FifoThroughputLimit"
    )
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"] == high
    # Back to normal throughput in one request, then high throughput again in one request.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"DeduplicationScope": "queue", "FifoThroughputLimit": "perQueue"})
    sqs.set_queue_attributes(QueueUrl=url, Attributes=high)
    # perQueue with either scope is allowed.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoThroughputLimit": "perQueue"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"] == {
        "DeduplicationScope": "messageGroup", "FifoThroughputLimit": "perQueue"
    }
    # perMessageGroupId on a queue already scoped by message group.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoThroughputLimit": "perMessageGroupId"})
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"] == high


def test_standard_queue_accepts_message_group_id(sqs, queue):
    # Fair queues: MessageGroupId is allowed on standard queues.
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="tenant msg", MessageGroupId="tenant-1")
    msg = sqs.receive_message(QueueUrl=url, MessageSystemAttributeNames=["All"])["Messages"][0]
    assert msg["Body"] == "tenant msg"
