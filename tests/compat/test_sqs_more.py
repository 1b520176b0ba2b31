"""More SQS fidelity checks written from the API reference and developer guide:
dead-letter queue targets, tag restrictions, receive parameters and batch entry errors."""

import json
import time

import pytest

from sqs_helpers import expect_error, queue_attr


def _redrive(dlq_arn, max_receive_count=3):
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive_count})


# --------------------------------------------------------------------------
# RedrivePolicy: the dead-letter queue must exist and be of the source's type
# (SQSDeveloperGuide/sqs-dead-letter-queues.html)
# --------------------------------------------------------------------------

def test_redrive_policy_to_missing_queue_is_rejected(sqs, queue, account_id):
    _, url = queue
    missing = f"arn:aws:sqs:us-east-1:{account_id}:no-such-dlq-queue"
    with expect_error("InvalidParameterValue") as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": _redrive(missing)})
    message = info.value.response["Error"]["Message"]
    assert "RedrivePolicy" in message
    assert "Dead letter target does not exist" in message
    assert queue_attr(sqs, url, "RedrivePolicy") is None


def test_create_queue_with_redrive_policy_to_missing_queue_fails(sqs, make_queue, account_id):
    missing = f"arn:aws:sqs:us-east-1:{account_id}:no-such-dlq-queue"
    with expect_error("InvalidParameterValue"):
        make_queue("src", attributes={"RedrivePolicy": _redrive(missing)})


def test_standard_queue_cannot_use_fifo_dead_letter_queue(sqs, make_queue, queue):
    _, fifo_url = make_queue("dlq", fifo=True)
    fifo_arn = queue_attr(sqs, fifo_url, "QueueArn")
    _, url = queue
    with expect_error("InvalidParameterValue") as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": _redrive(fifo_arn)})
    assert "same type" in info.value.response["Error"]["Message"]


def test_fifo_queue_cannot_use_standard_dead_letter_queue(sqs, make_queue):
    _, dlq_url = make_queue("dlq")
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    with expect_error("InvalidParameterValue"):
        make_queue("src", fifo=True, attributes={"RedrivePolicy": _redrive(dlq_arn)})


def test_fifo_queue_with_fifo_dead_letter_queue(sqs, make_queue):
    _, dlq_url = make_queue("dlq", fifo=True)
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    _, url = make_queue("src", fifo=True, attributes={"RedrivePolicy": _redrive(dlq_arn, 2)})
    policy = json.loads(queue_attr(sqs, url, "RedrivePolicy"))
    assert policy["deadLetterTargetArn"] == dlq_arn


def test_redrive_allow_policy_deny_all_refuses_sources(sqs, make_queue, queue):
    _, dlq_url = make_queue(
        "dlq", attributes={"RedriveAllowPolicy": json.dumps({"redrivePermission": "denyAll"})}
    )
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    _, url = queue
    with expect_error("InvalidParameterValue"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"RedrivePolicy": _redrive(dlq_arn)})


def test_redrive_allow_policy_by_queue(sqs, make_queue):
    _, allowed_url = make_queue("allowed")
    allowed_arn = queue_attr(sqs, allowed_url, "QueueArn")
    _, other_url = make_queue("other")
    allow = json.dumps({"redrivePermission": "byQueue", "sourceQueueArns": [allowed_arn]})
    _, dlq_url = make_queue("dlq", attributes={"RedriveAllowPolicy": allow})
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    sqs.set_queue_attributes(QueueUrl=allowed_url, Attributes={"RedrivePolicy": _redrive(dlq_arn)})
    with expect_error("InvalidParameterValue"):
        sqs.set_queue_attributes(QueueUrl=other_url, Attributes={"RedrivePolicy": _redrive(dlq_arn)})
    assert queue_attr(sqs, other_url, "RedrivePolicy") is None


# --------------------------------------------------------------------------
# Tags (SQSDeveloperGuide/quotas-queues.html: no aws: prefix; letters, digits,
# white space and _ . : / = + - @)
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "tags",
    [{"aws:team": "x"}, {"team": "aws:x"}, {"a#b": "x"}, {"team": "x*y"}],
    ids=["aws-key", "aws-value", "key-char", "value-char"],
)
def test_invalid_tags_are_rejected(sqs, queue, tags):
    _, url = queue
    with expect_error("InvalidParameterValue"):
        sqs.tag_queue(QueueUrl=url, Tags=tags)
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}


def test_invalid_tags_at_create_are_rejected(sqs, make_queue):
    with expect_error("InvalidParameterValue"):
        make_queue("tagged", tags={"aws:created": "1"})


def test_tags_with_allowed_characters(sqs, queue):
    _, url = queue
    tags = {"cost center": "a_b.c:d/e=f+g-h@i", "Ünïcode1": "värde 2", "empty": ""}
    sqs.tag_queue(QueueUrl=url, Tags=tags)
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == tags


def test_fifty_tags_allowed_fifty_one_refused(sqs, queue):
    _, url = queue
    sqs.tag_queue(QueueUrl=url, Tags={f"k{i}": "v" for i in range(50)})
    with expect_error("InvalidParameterValue"):
        sqs.tag_queue(QueueUrl=url, Tags={"one-more": "v"})
    # Overwriting an existing key does not count as a new tag.
    sqs.tag_queue(QueueUrl=url, Tags={"k0": "changed"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"]["k0"] == "changed"


def test_fifo_dead_letter_queue_uses_message_id_as_deduplication_id(sqs, make_queue):
    # SQSDeveloperGuide/sqs-configure-dead-letter-queue-redrive.html: a message moved from a FIFO queue to a
    # FIFO dead-letter queue has its deduplication id replaced by its message id.
    _, dlq_url = make_queue("dlq", fifo=True)
    dlq_arn = queue_attr(sqs, dlq_url, "QueueArn")
    _, url = make_queue("src", fifo=True, attributes={"RedrivePolicy": _redrive(dlq_arn, 1)})
    sent = sqs.send_message(
        QueueUrl=url, MessageBody="poison", MessageGroupId="g", MessageDeduplicationId="dedup-1"
    )
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"]
    assert first[0]["MessageId"] == sent["MessageId"]
    assert sqs.receive_message(QueueUrl=url, VisibilityTimeout=0).get("Messages", []) == []
    moved = sqs.receive_message(
        QueueUrl=dlq_url, MessageSystemAttributeNames=["All"], WaitTimeSeconds=1
    )["Messages"][0]
    assert moved["MessageId"] == sent["MessageId"]
    assert moved["Attributes"]["MessageGroupId"] == "g"
    assert moved["Attributes"]["MessageDeduplicationId"] == sent["MessageId"]
    assert moved["Attributes"]["DeadLetterQueueSourceArn"] == queue_attr(sqs, url, "QueueArn")
    assert "SequenceNumber" in moved["Attributes"]


def test_receive_request_attempt_id_retry_resets_visibility_timeout(sqs, fifo_queue):
    # API_ReceiveMessage: a retry with the same ReceiveRequestAttemptId returns the same messages and receipt
    # handles, and resets the visibility timeout.
    _, url = fifo_queue
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=2, ReceiveRequestAttemptId="attempt-1")
    time.sleep(1.5)
    retry = sqs.receive_message(QueueUrl=url, VisibilityTimeout=2, ReceiveRequestAttemptId="attempt-1")
    assert [m["ReceiptHandle"] for m in retry["Messages"]] == [
        m["ReceiptHandle"] for m in first["Messages"]
    ]
    time.sleep(1.0)
    # 2.5 s after the first receive, 1 s after the retry: still invisible.
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    time.sleep(1.5)
    assert len(sqs.receive_message(QueueUrl=url)["Messages"]) == 1


def test_receive_request_attempt_id_not_retryable_after_visibility_change(sqs, fifo_queue):
    # API_ReceiveMessage: a receive can be retried with its ReceiveRequestAttemptId only while none of its
    # messages was modified (deleted or had its visibility changed); afterwards the id starts a new receive.
    _, url = fifo_queue
    sqs.send_message(QueueUrl=url, MessageBody="m", MessageGroupId="g", MessageDeduplicationId="d")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30, ReceiveRequestAttemptId="attempt-2")
    handle = first["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=60)
    retry = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1, ReceiveRequestAttemptId="attempt-2")
    assert retry.get("Messages", []) == []
    # The visibility change still holds: the retry did not shorten it to 1 second.
    time.sleep(1.5)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
