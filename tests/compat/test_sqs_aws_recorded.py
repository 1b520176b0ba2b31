"""SQS behaviour checked against responses recorded from real AWS.

The evidence is LocalStack's AWS-validated snapshot files (`tests/aws/services/sqs/test_sqs.snapshot.json`
and `test_sqs_move_task.snapshot.json`): each test names the snapshot test and key it follows.
"""

import time

from sqs_helpers import expect_error


# --------------------------------------------------------------------------
# Receipt handles whose visibility timeout ran out
# --------------------------------------------------------------------------

def test_change_visibility_after_timeout_expired_succeeds(sqs, queue):
    # test_change_message_visibility_after_visibility_timeout_expiration / visibility_timeout_expired: 200
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="m")
    handle = sqs.receive_message(QueueUrl=url, VisibilityTimeout=1)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.5)
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=30)
    # the message is in flight again under the same handle
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


def test_change_visibility_with_superseded_handle_still_fails(sqs, queue):
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="m")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    assert len(sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"]) == 1
    with expect_error("AWS.SimpleQueueService.MessageNotInflight"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=10)


def test_fifo_delete_with_expired_receipt_handle(sqs, make_queue):
    # test_fifo_delete_message_with_expired_receipt_handle / error
    _, url = make_queue(
        fifo=True, attributes={"VisibilityTimeout": "1", "ContentBasedDeduplication": "true"}
    )
    sqs.send_message(QueueUrl=url, MessageBody="g1-m1", MessageGroupId="1")
    handle = sqs.receive_message(QueueUrl=url)["Messages"][0]["ReceiptHandle"]
    time.sleep(1.5)
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    assert info.value.response["Error"]["Message"] == (
        f"Value {handle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
    )
    # the message was not deleted
    again = sqs.receive_message(QueueUrl=url)["Messages"]
    assert [m["Body"] for m in again] == ["g1-m1"]
    # a handle superseded by a newer receive is expired too
    with expect_error("InvalidParameterValue", 400):
        sqs.delete_message(QueueUrl=url, ReceiptHandle=handle)
    sqs.delete_message(QueueUrl=url, ReceiptHandle=again[0]["ReceiptHandle"])


# --------------------------------------------------------------------------
# JSON response shapes: empty members are present
# --------------------------------------------------------------------------

def test_empty_results_carry_their_member(sqs, json_raw, queue):
    # test_fifo_deduplication_arrives_once_after_delete / get-messages-duplicate: {"Messages": []}
    # test_tag_untag_queue / get-tag-after-untag: {"Tags": {}}
    # test_sqs_permission_lifecycle / get-queue-policy-attribute-after-removal: {"Attributes": {}}
    _, url = queue
    assert json_raw.call("ReceiveMessage", {"QueueUrl": url}).data == {"Messages": []}
    assert json_raw.call("ListQueueTags", {"QueueUrl": url}).data == {"Tags": {}}
    got = json_raw.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["Policy"]})
    assert got.data == {"Attributes": {}}
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"] == {}
    assert sqs.receive_message(QueueUrl=url)["Messages"] == []
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}


def test_empty_query_results_stay_empty_elements(query, queue):
    _, url = queue
    resp = query.call("ReceiveMessage", {}, queue_url=url)
    assert resp.status == 200 and resp.findall("ReceiveMessageResult/Message") == []
    resp = query.call("GetQueueAttributes", {"AttributeName.1": "Policy"}, queue_url=url)
    assert resp.status == 200 and resp.findall("GetQueueAttributesResult/Attribute") == []
