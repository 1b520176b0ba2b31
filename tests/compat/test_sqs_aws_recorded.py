"""SQS behaviour checked against responses recorded from real AWS.

The evidence is LocalStack's AWS-validated snapshot files (`tests/aws/services/sqs/test_sqs.snapshot.json`
and `test_sqs_move_task.snapshot.json`): each test names the snapshot test and key it follows.
"""

import base64
import json
import time
import urllib.error
import urllib.request
import uuid

import pytest

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


def test_change_visibility_with_superseded_handle_of_a_message_in_flight(sqs, queue):
    # test_terminate_visibility_timeout_after_receive (AWS-validated assertions): the first receive's handle
    # makes the message, received again since, visible at once
    _, url = queue
    sqs.send_message(QueueUrl=url, MessageBody="test")
    first = sqs.receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]["ReceiptHandle"]
    second = sqs.receive_message(QueueUrl=url, VisibilityTimeout=30)["Messages"][0]["ReceiptHandle"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=first, VisibilityTimeout=0)
    third = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"][0]["ReceiptHandle"]
    # once the message is visible again (latest handle), an older handle no longer applies
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=third, VisibilityTimeout=0)
    with expect_error("AWS.SimpleQueueService.MessageNotInflight"):
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=second, VisibilityTimeout=10)


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
    # test_tag_untag_queue / get-tag-after-untag: {"Tags": {}}
    # test_sqs_permission_lifecycle / get-queue-policy-attribute-after-removal: {"Attributes": {}}
    # An empty receive is the exception: AWS answers {} (no Messages member; floci-io/floci#773, #780,
    # where the .NET SDK v4 and Java v2 see Messages as null against AWS).
    _, url = queue
    assert json_raw.call("ReceiveMessage", {"QueueUrl": url}).data == {}
    assert json_raw.call("ListQueueTags", {"QueueUrl": url}).data == {"Tags": {}}
    got = json_raw.call("GetQueueAttributes", {"QueueUrl": url, "AttributeNames": ["Policy"]})
    assert got.data == {"Attributes": {}}
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"] == {}
    assert "Messages" not in sqs.receive_message(QueueUrl=url)
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {}


def test_empty_query_results_stay_empty_elements(query, queue):
    _, url = queue
    resp = query.call("ReceiveMessage", {}, queue_url=url)
    assert resp.status == 200 and resp.findall("ReceiveMessageResult/Message") == []
    resp = query.call("GetQueueAttributes", {"AttributeName.1": "Policy"}, queue_url=url)
    assert resp.status == 200 and resp.findall("GetQueueAttributesResult/Attribute") == []


# --------------------------------------------------------------------------
# FIFO SendMessageBatch: missing ids fail the whole request
# --------------------------------------------------------------------------

@pytest.mark.parametrize(
    "second, message",
    [
        # test_send_batch_missing_message_group_id_for_fifo_queue / test_missing_message_group_id_for_fifo_queue
        ({"MessageDeduplicationId": "d2"}, "The request must contain the parameter MessageGroupId."),
        # test_send_batch_missing_deduplication_id_for_fifo_queue / test_missing_deduplication_id_for_fifo_queue
        (
            {"MessageGroupId": "g"},
            "The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId "
            "provided explicitly",
        ),
    ],
    ids=["no-group", "no-dedup-id"],
)
def test_fifo_batch_entry_without_ids_fails_the_request(sqs, fifo_queue, second, message):
    _, url = fifo_queue
    entries = [
        {"Id": "a", "MessageBody": "m", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
        {"Id": "b", "MessageBody": "m", **second},
    ]
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.send_message_batch(QueueUrl=url, Entries=entries)
    assert info.value.response["Error"]["Message"] == message
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []


# --------------------------------------------------------------------------
# SetQueueAttributes FifoQueue, empty attribute values
# --------------------------------------------------------------------------

def test_set_queue_attributes_fifo_queue(sqs, queue, fifo_queue):
    # test_set_unsupported_attribute_fifo / invalid-attr-name-1, invalid-attr-name-2
    _, url = queue
    with expect_error("InvalidAttributeName", 400) as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"FifoQueue": "true"})
    assert info.value.response["Error"]["Message"] == "Unknown Attribute FifoQueue."
    _, fifo_url = fifo_queue
    sqs.set_queue_attributes(QueueUrl=fifo_url, Attributes={"FifoQueue": "true"})
    with expect_error("InvalidAttributeValue", 400) as info:
        sqs.set_queue_attributes(QueueUrl=fifo_url, Attributes={"FifoQueue": "false"})
    assert info.value.response["Error"]["Message"] == (
        "Invalid value for the parameter FifoQueue. Reason: Modifying queue type is not supported."
    )


def test_empty_string_attribute_value_message(sqs, queue):
    # test_send_message_with_empty_string_attribute / empty-string-attr
    _, url = queue
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.send_message(
            QueueUrl=url,
            MessageBody="test",
            MessageAttributes={"ErrorDetails": {"StringValue": "", "DataType": "String"}},
        )
    assert info.value.response["Error"]["Message"] == (
        "Message (user) attribute 'ErrorDetails' must contain a non-empty value of type 'String'."
    )


# --------------------------------------------------------------------------
# Message move tasks (test_sqs_move_task.snapshot.json)
# --------------------------------------------------------------------------

def _arn(sqs, url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def _handle(task_id, source_arn):
    doc = '{"taskId":"%s","sourceArn":"%s"}' % (task_id, source_arn)
    return base64.b64encode(doc.encode()).decode()


def test_cancel_move_task_errors(sqs, make_queue, account_id):
    # test_cancel_with_invalid_task_handle
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.cancel_message_move_task(TaskHandle="foobared")
    assert info.value.response["Error"]["Message"] == "Value for parameter TaskHandle is invalid."
    # test_cancel_with_invalid_source_arn_in_task_handle
    missing = f"arn:aws:sqs:us-east-1:{account_id}:test-queue-doesnt-exist-123456"
    with expect_error("ResourceNotFoundException", 404) as info:
        sqs.cancel_message_move_task(TaskHandle=_handle("10f57157-fc38-4da9-a113-4de7e12d05dd", missing))
    assert info.value.response["Error"]["Message"] == (
        "The resource that you specified for the SourceArn parameter doesn't exist."
    )
    # test_cancel_with_invalid_task_id_in_task_handle
    _, url = make_queue("src")
    with expect_error("ResourceNotFoundException", 404) as info:
        sqs.cancel_message_move_task(TaskHandle=_handle("10f57157-fc38-4da9-a113-4de7e12d05aa", _arn(sqs, url)))
    assert info.value.response["Error"]["Message"] == "Task does not exist."


def test_start_move_task_errors(sqs, make_queue):
    _, dlq_url = make_queue("dlq")
    dlq_arn = _arn(sqs, dlq_url)
    make_queue("src", attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
    _, dest_url = make_queue("dest")
    dest_arn = _arn(sqs, dest_url)
    # test_destination_needs_to_exist
    with expect_error("ResourceNotFoundException", 404) as info:
        sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn + "doesntexist")
    assert info.value.response["Error"]["Message"] == (
        "The resource that you specified for the DestinationArn parameter doesn't exist."
    )
    # test_start_multiple_move_tasks
    for i in range(5):
        sqs.send_message(QueueUrl=dlq_url, MessageBody=f"m{i}")
    started = sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn, MaxNumberOfMessagesPerSecond=1)
    # test_basic_move_task_workflow: the handle decodes to {"taskId": <uuid>, "sourceArn": <source arn>}
    doc = json.loads(base64.b64decode(started["TaskHandle"]))
    assert doc["sourceArn"] == dlq_arn and str(uuid.UUID(doc["taskId"])) == doc["taskId"]
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=dest_arn, MaxNumberOfMessagesPerSecond=1)
    assert info.value.response["Error"]["Message"] == (
        "There is already a task running. Only one active task is allowed for a source queue arn at a given time."
    )
    sqs.cancel_message_move_task(TaskHandle=started["TaskHandle"])


# --------------------------------------------------------------------------
# ReceiveMessage MessageAttributeNames filters
# --------------------------------------------------------------------------

def test_message_attribute_name_filters(sqs, make_queue):
    # test_receive_message_message_attribute_names_filters: all_wildcard_asterisk, all_wildcard, prefix_filter,
    # only_existing, illegal_name_1
    _, url = make_queue(attributes={"VisibilityTimeout": "0"})
    sqs.send_message(
        QueueUrl=url,
        MessageBody="msg",
        MessageAttributes={
            "Help.Me": {"DataType": "String", "StringValue": "Me"},
            "Hello": {"DataType": "String", "StringValue": "There"},
            "General": {"DataType": "String", "StringValue": "Kenobi"},
        },
    )

    def names(filters):
        message = sqs.receive_message(QueueUrl=url, MessageAttributeNames=filters)["Messages"][0]
        return sorted(message.get("MessageAttributes", {}))

    everything = ["General", "Hello", "Help.Me"]
    assert names(["*"]) == everything
    assert names([".*"]) == everything
    assert names(["All"]) == everything
    assert names(["Hel.*"]) == ["Hello", "Help.Me"]
    assert names(["Hello", "General"]) == ["General", "Hello"]
    assert names(["AWS."]) == []


# --------------------------------------------------------------------------
# Query protocol specifics, queue policy written by AddPermission
# --------------------------------------------------------------------------

def test_query_missing_queue_wording(query, sqs, endpoint, account_id):
    # test_non_existent_queue / queue-does-not-exist-query (Query) and queue-does-not-exist (JSON)
    url = f"{endpoint}/{account_id}/no-such-queue-{uuid.uuid4().hex[:8]}"
    resp = query.call("GetQueueAttributes", {"AttributeName.1": "QueueArn"}, queue_url=url)
    assert resp.status == 400
    assert resp.error_code == "AWS.SimpleQueueService.NonExistentQueue"
    assert resp.error_message == "The specified queue does not exist for this wsdl version."
    with expect_error("AWS.SimpleQueueService.NonExistentQueue", 400) as info:
        sqs.get_queue_attributes(QueueUrl=url)
    assert info.value.response["Error"]["Message"] == "The specified queue does not exist."


def test_query_account_actions_refused_on_a_queue_url(query, queue):
    # TestSqsQueryApi::test_get_create_queue_fails, test_get_list_queues_fails (AWS-validated assertions)
    name, url = queue
    resp = query.call("CreateQueue", {"QueueName": f"other-{uuid.uuid4().hex[:8]}"}, queue_url=url)
    assert (resp.status, resp.error_code) == (400, "InvalidAction")
    assert resp.error_message == "The action CreateQueue is not valid for this endpoint."
    resp = query.call("ListQueues", {}, queue_url=url)
    assert (resp.status, resp.error_code) == (400, "InvalidAction")
    assert resp.error_message == "The action ListQueues is not valid for this endpoint."
    # test_get_queue_url_works_for_same_queue: GetQueueUrl is accepted there
    resp = query.call("GetQueueUrl", {"QueueName": name}, queue_url=url)
    assert resp.status == 200 and resp.text("GetQueueUrlResult/QueueUrl") == url


def test_add_permission_policy_document(sqs, queue, account_id):
    # test_sqs_permission_lifecycle / get-queue-policy-attribute
    _, url = queue
    sqs.add_permission(
        QueueUrl=url, AWSAccountIds=[account_id], Actions=["ReceiveMessage"], Label="crossaccountpermission"
    )
    policy = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"])
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    assert policy["Version"] == "2008-10-17"
    assert policy["Id"] == f"{arn}/SQSDefaultPolicy"
    assert policy["Statement"] == [
        {
            "Sid": "crossaccountpermission",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "SQS:ReceiveMessage",
            "Resource": arn,
        }
    ]


# --------------------------------------------------------------------------
# FIFO message groups served again once their head message is visible
# --------------------------------------------------------------------------

def _bodies(resp):
    return [m["Body"] for m in resp.get("Messages", [])]


def test_fifo_group_serves_its_head_again_while_a_later_message_is_in_flight(sqs, make_queue):
    # test_fifo_message_group_visibility_after_terminate_visibility_timeout (AWS-validated assertions)
    _, url = make_queue(fifo=True, attributes={"VisibilityTimeout": "30", "ContentBasedDeduplication": "true"})
    for body, group in [("g1-m1", "group-1"), ("g1-m2", "group-1"), ("g2-m1", "group-2")]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert _bodies(first) == ["g1-m1", "g1-m2"]
    sqs.change_message_visibility(
        QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"], VisibilityTimeout=0
    )
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=3, WaitTimeSeconds=1)
    assert sorted(_bodies(got)) == ["g1-m1", "g2-m1"]


def test_fifo_group_stays_blocked_while_its_head_is_in_flight(sqs, make_queue):
    # test_fifo_message_group_visibility_after_partial_delete (AWS-validated assertions)
    _, url = make_queue(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    for body, group in [("g1-m1", "group-1"), ("g2-m1", "group-2"), ("g1-m2", "group-1"), ("g1-m3", "group-1")]:
        sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
    first = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=2)
    assert _bodies(first) == ["g1-m1", "g1-m2"]
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["Messages"][0]["ReceiptHandle"])
    assert _bodies(sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)) == ["g2-m1"]


def test_unicode_letters_in_message_attribute_names(sqs, queue):
    # test_send_message_with_invalid_string_attributes: its valid baseline uses "attr.1øßä"
    _, url = queue
    attributes = {"attr.1øßä": {"StringValue": "Valida", "DataType": "String"}}
    sqs.send_message(QueueUrl=url, MessageBody="test", MessageAttributes=attributes)
    got = sqs.receive_message(QueueUrl=url, MessageAttributeNames=["All"])["Messages"][0]
    assert got["MessageAttributes"] == attributes


def test_purge_clears_the_fifo_deduplication_window(sqs, fifo_queue):
    # test_purge_queue_clears_fifo_deduplication_cache (AWS-validated assertions)
    _, url = fifo_queue
    sqs.send_message(QueueUrl=url, MessageBody="message-1", MessageGroupId="g", MessageDeduplicationId="d")
    sqs.purge_queue(QueueUrl=url)
    sqs.send_message(QueueUrl=url, MessageBody="message-2", MessageGroupId="g", MessageDeduplicationId="d")
    got = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in got] == ["message-2"]


def test_bare_get_of_a_queue_url_is_an_unknown_operation(queue):
    # TestSqsQueryApi::test_get_without_query_returns_unknown_operation and
    # test_get_without_query_json_format_returns_returns_xml (AWS-validated assertions)
    _, url = queue
    for headers in ({}, {"Accept": "application/json"}):
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=10)
        assert info.value.code == 404
        assert b"<UnknownOperationException" in info.value.read()


def test_move_task_fails_with_the_error_code_when_its_destination_is_deleted(sqs, make_queue):
    # test_move_task_delete_destination_queue_while_running / list: FailureReason
    _, dlq_url = make_queue("dlq")
    dlq_arn = _arn(sqs, dlq_url)
    make_queue("src", attributes={"RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1})})
    _, dest_url = make_queue("dest")
    for i in range(10):
        sqs.send_message(QueueUrl=dlq_url, MessageBody=f"m{i}")
    sqs.start_message_move_task(SourceArn=dlq_arn, DestinationArn=_arn(sqs, dest_url), MaxNumberOfMessagesPerSecond=1)
    sqs.delete_queue(QueueUrl=dest_url)
    deadline = time.monotonic() + 10
    while True:
        task = sqs.list_message_move_tasks(SourceArn=dlq_arn)["Results"][0]
        if task["Status"] != "RUNNING" or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert task["Status"] == "FAILED"
    assert task["FailureReason"] == "AWS.SimpleQueueService.NonExistentQueue"
    assert "TaskHandle" not in task
    assert sqs.receive_message(QueueUrl=dlq_url)["Messages"]
