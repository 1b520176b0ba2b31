"""SendMessageBatch, DeleteMessageBatch and ChangeMessageVisibilityBatch."""

import pytest

from sqs_helpers import (
    expect_error,
    md5_of_body,
    md5_of_message_attributes,
    queue_attr,
    receive_n,
    unique_name,
)


def _received(sqs, url, n):
    msgs = receive_n(sqs, url, n, VisibilityTimeout=60)
    assert len(msgs) == n, f"expected {n} messages, got {len(msgs)}"
    return msgs


def test_send_message_batch(sqs, queue):
    _, url = queue
    entries = [{"Id": f"e{i}", "MessageBody": f"body {i}"} for i in range(3)]
    resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert resp.get("Failed", []) == []
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert set(ok) == {"e0", "e1", "e2"}
    for i in range(3):
        assert ok[f"e{i}"]["MD5OfMessageBody"] == md5_of_body(f"body {i}")
        assert ok[f"e{i}"]["MessageId"]
    assert len({e["MessageId"] for e in ok.values()}) == 3
    bodies = sorted(m["Body"] for m in _received(sqs, url, 3))
    assert bodies == ["body 0", "body 1", "body 2"]


def test_send_message_batch_of_ten(sqs, queue):
    _, url = queue
    entries = [{"Id": f"id_{i}-x", "MessageBody": str(i)} for i in range(10)]
    resp = sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert len(resp["Successful"]) == 10
    assert queue_attr(sqs, url, "ApproximateNumberOfMessages") == "10"


def test_send_message_batch_with_attributes_and_delay(sqs, queue):
    _, url = queue
    attrs = {
        "color": {"DataType": "String", "StringValue": "blue"},
        "size": {"DataType": "Number", "StringValue": "3"},
    }
    resp = sqs.send_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "now", "MessageBody": "now", "MessageAttributes": attrs},
            {"Id": "later", "MessageBody": "later", "DelaySeconds": 60},
        ],
    )
    ok = {e["Id"]: e for e in resp["Successful"]}
    assert ok["now"]["MD5OfMessageAttributes"] == md5_of_message_attributes(attrs)
    assert "MD5OfMessageAttributes" not in ok["later"]
    msgs = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in msgs] == ["now"]
    assert msgs[0]["MessageAttributes"] == attrs
    assert queue_attr(sqs, url, "ApproximateNumberOfMessagesDelayed") == "1"


def test_batch_entry_id_of_80_characters(sqs, queue):
    _, url = queue
    entry_id = "a" * 80
    resp = sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": entry_id, "MessageBody": "x"}])
    assert [e["Id"] for e in resp["Successful"]] == [entry_id]


def test_delete_message_batch(sqs, queue):
    _, url = queue
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(3)]
    )
    msgs = _received(sqs, url, 3)
    resp = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[{"Id": f"d{i}", "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(msgs)],
    )
    assert sorted(e["Id"] for e in resp["Successful"]) == ["d0", "d1", "d2"]
    assert resp.get("Failed", []) == []
    assert queue_attr(sqs, url, "ApproximateNumberOfMessagesNotVisible") == "0"


def test_delete_message_batch_partial_failure(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = _received(sqs, url, 1)[0]
    resp = sqs.delete_message_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "good", "ReceiptHandle": msg["ReceiptHandle"]},
            {"Id": "bad", "ReceiptHandle": "not-a-receipt-handle"},
        ],
    )
    assert [e["Id"] for e in resp["Successful"]] == ["good"]
    assert len(resp["Failed"]) == 1
    failed = resp["Failed"][0]
    assert failed["Id"] == "bad"
    assert failed["Code"] == "ReceiptHandleIsInvalid"
    assert failed["SenderFault"] is True


def test_change_message_visibility_batch(sqs, queue):
    _, url = queue
    sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": str(i)} for i in range(2)]
    )
    msgs = _received(sqs, url, 2)
    resp = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": f"c{i}", "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
            for i, m in enumerate(msgs)
        ],
    )
    assert sorted(e["Id"] for e in resp["Successful"]) == ["c0", "c1"]
    assert resp.get("Failed", []) == []
    again = receive_n(sqs, url, 2)
    assert sorted(m["MessageId"] for m in again) == sorted(m["MessageId"] for m in msgs)


def test_change_message_visibility_batch_partial_failure(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    msg = _received(sqs, url, 1)[0]
    resp = sqs.change_message_visibility_batch(
        QueueUrl=url,
        Entries=[
            {"Id": "good", "ReceiptHandle": msg["ReceiptHandle"], "VisibilityTimeout": 10},
            {"Id": "bad", "ReceiptHandle": "garbage", "VisibilityTimeout": 10},
        ],
    )
    assert [e["Id"] for e in resp["Successful"]] == ["good"]
    assert [(e["Id"], e["Code"], e["SenderFault"]) for e in resp["Failed"]] == [
        ("bad", "ReceiptHandleIsInvalid", True)
    ]


# --------------------------------------------------------------------------
# Request-level batch errors, for all three batch actions
# --------------------------------------------------------------------------

def _entry(action, entry_id):
    if action == "send_message_batch":
        return {"Id": entry_id, "MessageBody": "x"}
    if action == "delete_message_batch":
        return {"Id": entry_id, "ReceiptHandle": "rh"}
    return {"Id": entry_id, "ReceiptHandle": "rh", "VisibilityTimeout": 1}


BATCH_ACTIONS = ["send_message_batch", "delete_message_batch", "change_message_visibility_batch"]


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_empty_batch(sqs, queue, action):
    _, url = queue
    with expect_error(
        "AWS.SimpleQueueService.EmptyBatchRequest", 400, exception="EmptyBatchRequest"
    ):
        getattr(sqs, action)(QueueUrl=url, Entries=[])


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_too_many_entries(sqs, queue, action):
    _, url = queue
    entries = [_entry(action, f"e{i}") for i in range(11)]
    with expect_error(
        "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
        400,
        exception="TooManyEntriesInBatchRequest",
    ):
        getattr(sqs, action)(QueueUrl=url, Entries=entries)


@pytest.mark.parametrize("action", BATCH_ACTIONS)
def test_duplicate_entry_ids(sqs, queue, action):
    _, url = queue
    entries = [_entry(action, "same"), _entry(action, "same")]
    with expect_error(
        "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
        400,
        exception="BatchEntryIdsNotDistinct",
    ):
        getattr(sqs, action)(QueueUrl=url, Entries=entries)


@pytest.mark.parametrize("action", BATCH_ACTIONS)
@pytest.mark.parametrize("bad_id", ["has.dot", "x" * 81], ids=["dot", "81-chars"])
def test_invalid_entry_id(sqs, queue, action, bad_id):
    _, url = queue
    with expect_error(
        "AWS.SimpleQueueService.InvalidBatchEntryId", 400, exception="InvalidBatchEntryId"
    ):
        getattr(sqs, action)(QueueUrl=url, Entries=[_entry(action, bad_id)])


def test_batch_request_too_long(sqs, queue):
    _, url = queue
    # Each message is below the 1 MiB limit, the sum (1,100,000 bytes) is above it.
    entries = [{"Id": f"e{i}", "MessageBody": "b" * 110_000} for i in range(10)]
    with expect_error(
        "AWS.SimpleQueueService.BatchRequestTooLong", 400, exception="BatchRequestTooLong"
    ):
        sqs.send_message_batch(QueueUrl=url, Entries=entries)


def test_batch_on_unknown_queue(sqs, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    with expect_error(
        "AWS.SimpleQueueService.NonExistentQueue", 400, exception="QueueDoesNotExist"
    ):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "a", "MessageBody": "x"}])
