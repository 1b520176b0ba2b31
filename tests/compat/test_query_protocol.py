"""The same key behaviours through the AWS Query protocol (form POST, XML)."""

import base64

import pytest

from sqs_helpers import (
    REGION,
    XML_NS,
    md5_of_body,
    md5_of_message_attributes,
    unique_name,
)

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


def _ok(resp, root):
    assert resp.status == 200, resp
    assert resp.root_name == root, resp
    assert resp.namespace == XML_NS, f"unexpected namespace {resp.namespace!r}"
    assert resp.request_id, f"ResponseMetadata/RequestId missing: {resp}"
    return resp


def _error(resp, code, status=400, error_type="Sender"):
    assert resp.status == status, resp
    assert resp.root_name == "ErrorResponse", resp
    assert resp.error_code == code, f"expected {code}, got {resp.error_code}: {resp}"
    assert resp.error_type == error_type, resp
    assert resp.error_message, f"Error/Message missing: {resp}"
    assert resp.request_id, f"RequestId missing: {resp}"
    return resp


@pytest.fixture
def q_queue(query, sqs):
    """A queue created through the Query protocol: ``(name, url)``."""
    name = unique_name("qry")
    resp = _ok(query.call("CreateQueue", {"QueueName": name}), "CreateQueueResponse")
    url = resp.text("CreateQueueResult/QueueUrl")
    yield name, url
    try:
        sqs.delete_queue(QueueUrl=url)
    except Exception:
        pass


def _send(query, url, body, extra=None):
    params = {"MessageBody": body}
    params.update(extra or {})
    return _ok(query.call("SendMessage", params, queue_url=url), "SendMessageResponse")


def _receive(query, url, extra=None):
    params = {"MaxNumberOfMessages": "10"}
    params.update(extra or {})
    resp = _ok(query.call("ReceiveMessage", params, queue_url=url), "ReceiveMessageResponse")
    assert resp.find("ReceiveMessageResult") is not None, resp
    return resp, resp.findall("ReceiveMessageResult/Message")


def test_create_queue(q_queue, endpoint, account_id):
    name, url = q_queue
    assert url == f"{endpoint}/{account_id}/{name}"


def test_create_queue_with_attributes_and_tags(query, sqs, account_id):
    name = unique_name("qattr")
    resp = _ok(
        query.call(
            "CreateQueue",
            {
                "QueueName": name,
                "Attribute.1.Name": "VisibilityTimeout",
                "Attribute.1.Value": "17",
                "Attribute.2.Name": "DelaySeconds",
                "Attribute.2.Value": "3",
                "Tag.1.Key": "team",
                "Tag.1.Value": "wharf",
            },
        ),
        "CreateQueueResponse",
    )
    url = resp.text("CreateQueueResult/QueueUrl")
    try:
        attrs = _ok(
            query.call("GetQueueAttributes", {"AttributeName.1": "All"}, queue_url=url),
            "GetQueueAttributesResponse",
        ).pairs("GetQueueAttributesResult/Attribute")
        assert attrs["VisibilityTimeout"] == "17"
        assert attrs["DelaySeconds"] == "3"
        assert attrs["QueueArn"] == f"arn:aws:sqs:{REGION}:{account_id}:{name}"
        tags = _ok(query.call("ListQueueTags", {}, queue_url=url), "ListQueueTagsResponse")
        assert tags.pairs("ListQueueTagsResult/Tag", key="Key", value="Value") == {"team": "wharf"}
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_get_queue_url(query, q_queue):
    name, url = q_queue
    resp = _ok(query.call("GetQueueUrl", {"QueueName": name}), "GetQueueUrlResponse")
    assert resp.text("GetQueueUrlResult/QueueUrl") == url


def test_list_queues(query, q_queue):
    name, url = q_queue
    resp = _ok(query.call("ListQueues", {"QueueNamePrefix": name}), "ListQueuesResponse")
    assert [e.text for e in resp.findall("ListQueuesResult/QueueUrl")] == [url]


def test_get_selected_queue_attributes(query, q_queue):
    _, url = q_queue
    resp = _ok(
        query.call(
            "GetQueueAttributes",
            {"AttributeName.1": "VisibilityTimeout", "AttributeName.2": "MaximumMessageSize"},
            queue_url=url,
        ),
        "GetQueueAttributesResponse",
    )
    assert resp.pairs("GetQueueAttributesResult/Attribute") == {
        "VisibilityTimeout": "30",
        "MaximumMessageSize": "1048576",
    }


def test_set_queue_attributes(query, q_queue):
    _, url = q_queue
    _ok(
        query.call(
            "SetQueueAttributes",
            {"Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "9"},
            queue_url=url,
        ),
        "SetQueueAttributesResponse",
    )
    resp = query.call("GetQueueAttributes", {"AttributeName.1": "VisibilityTimeout"}, queue_url=url)
    assert resp.pairs("GetQueueAttributesResult/Attribute") == {"VisibilityTimeout": "9"}


def test_send_receive_delete_with_attributes(query, q_queue):
    _, url = q_queue
    body = "<note>Tom & \"Jerry\" é</note>"
    binary = b"\x00\x10\xffbin"
    attrs = {
        "s": {"DataType": "String", "StringValue": "str val"},
        "n": {"DataType": "Number", "StringValue": "42"},
        "b": {"DataType": "Binary", "BinaryValue": binary},
    }
    sent = _send(
        query,
        url,
        body,
        {
            "MessageAttribute.1.Name": "s",
            "MessageAttribute.1.Value.DataType": "String",
            "MessageAttribute.1.Value.StringValue": "str val",
            "MessageAttribute.2.Name": "n",
            "MessageAttribute.2.Value.DataType": "Number",
            "MessageAttribute.2.Value.StringValue": "42",
            "MessageAttribute.3.Name": "b",
            "MessageAttribute.3.Value.DataType": "Binary",
            "MessageAttribute.3.Value.BinaryValue": base64.b64encode(binary).decode(),
        },
    )
    assert sent.text("SendMessageResult/MD5OfMessageBody") == md5_of_body(body)
    assert sent.text("SendMessageResult/MD5OfMessageAttributes") == md5_of_message_attributes(attrs)
    message_id = sent.text("SendMessageResult/MessageId")
    assert message_id

    resp, msgs = _receive(query, url, {"AttributeName.1": "All", "MessageAttributeName.1": "All"})
    assert len(msgs) == 1, resp
    msg = msgs[0]
    assert resp.text("MessageId", msg) == message_id
    assert resp.text("Body", msg) == body
    assert resp.text("MD5OfBody", msg) == md5_of_body(body)
    assert resp.text("MD5OfMessageAttributes", msg) == md5_of_message_attributes(attrs)
    system = resp.pairs("Attribute", msg)
    assert system.get("ApproximateReceiveCount") == "1"
    assert system.get("SentTimestamp", "").isdigit()

    got = {}
    for node in resp.findall("MessageAttribute", msg):
        value = resp.find("Value", node)
        got[resp.text("Name", node)] = {
            "DataType": resp.text("DataType", value),
            "StringValue": resp.text("StringValue", value),
            "BinaryValue": resp.text("BinaryValue", value),
        }
    assert got["s"]["DataType"] == "String" and got["s"]["StringValue"] == "str val"
    assert got["n"]["DataType"] == "Number" and got["n"]["StringValue"] == "42"
    assert got["b"]["DataType"] == "Binary"
    assert base64.b64decode(got["b"]["BinaryValue"]) == binary

    handle = resp.text("ReceiptHandle", msg)
    _ok(query.call("DeleteMessage", {"ReceiptHandle": handle}, queue_url=url), "DeleteMessageResponse")
    _, after = _receive(query, url, {"VisibilityTimeout": "0"})
    assert after == []


def test_send_with_queue_url_parameter_to_endpoint(query, q_queue):
    _, url = q_queue
    resp = _ok(query.call("SendMessage", {"QueueUrl": url, "MessageBody": "via param"}), "SendMessageResponse")
    assert resp.text("SendMessageResult/MD5OfMessageBody") == md5_of_body("via param")
    recv, msgs = _receive(query, url)
    assert [recv.text("Body", m) for m in msgs] == ["via param"]


def test_receive_on_empty_queue(query, q_queue):
    _, url = q_queue
    _, msgs = _receive(query, url)
    assert msgs == []


def test_change_message_visibility(query, q_queue):
    _, url = q_queue
    _send(query, url, "x")
    resp, msgs = _receive(query, url, {"VisibilityTimeout": "60"})
    handle = resp.text("ReceiptHandle", msgs[0])
    _ok(
        query.call(
            "ChangeMessageVisibility",
            {"ReceiptHandle": handle, "VisibilityTimeout": "0"},
            queue_url=url,
        ),
        "ChangeMessageVisibilityResponse",
    )
    _, again = _receive(query, url)
    assert len(again) == 1


def test_batch_send_and_delete(query, q_queue):
    _, url = q_queue
    params = {}
    for i in range(3):
        params[f"SendMessageBatchRequestEntry.{i + 1}.Id"] = f"e{i}"
        params[f"SendMessageBatchRequestEntry.{i + 1}.MessageBody"] = f"batch {i}"
    resp = _ok(query.call("SendMessageBatch", params, queue_url=url), "SendMessageBatchResponse")
    entries = resp.findall("SendMessageBatchResult/SendMessageBatchResultEntry")
    assert sorted(resp.text("Id", e) for e in entries) == ["e0", "e1", "e2"]
    for e in entries:
        i = resp.text("Id", e)[1:]
        assert resp.text("MD5OfMessageBody", e) == md5_of_body(f"batch {i}")
        assert resp.text("MessageId", e)
    assert resp.findall("SendMessageBatchResult/BatchResultErrorEntry") == []

    recv, msgs = _receive(query, url, {"VisibilityTimeout": "60"})
    assert len(msgs) == 3
    params = {}
    for i, m in enumerate(msgs):
        params[f"DeleteMessageBatchRequestEntry.{i + 1}.Id"] = f"d{i}"
        params[f"DeleteMessageBatchRequestEntry.{i + 1}.ReceiptHandle"] = recv.text("ReceiptHandle", m)
    params["DeleteMessageBatchRequestEntry.4.Id"] = "bad"
    params["DeleteMessageBatchRequestEntry.4.ReceiptHandle"] = "garbage"
    resp = _ok(query.call("DeleteMessageBatch", params, queue_url=url), "DeleteMessageBatchResponse")
    ok = resp.findall("DeleteMessageBatchResult/DeleteMessageBatchResultEntry")
    assert sorted(resp.text("Id", e) for e in ok) == ["d0", "d1", "d2"]
    failed = resp.findall("DeleteMessageBatchResult/BatchResultErrorEntry")
    assert len(failed) == 1
    assert resp.text("Id", failed[0]) == "bad"
    assert resp.text("Code", failed[0]) == "ReceiptHandleIsInvalid"
    assert resp.text("SenderFault", failed[0]) == "true"


def test_fifo_send_has_sequence_number(query, sqs):
    name = unique_name("qfifo", fifo=True)
    resp = _ok(
        query.call(
            "CreateQueue",
            {"QueueName": name, "Attribute.1.Name": "FifoQueue", "Attribute.1.Value": "true"},
        ),
        "CreateQueueResponse",
    )
    url = resp.text("CreateQueueResult/QueueUrl")
    try:
        sent = _send(query, url, "f", {"MessageGroupId": "g", "MessageDeduplicationId": "d"})
        assert (sent.text("SendMessageResult/SequenceNumber") or "").isdigit(), sent
    finally:
        sqs.delete_queue(QueueUrl=url)


def test_purge_and_delete_queue(query, sqs):
    name = unique_name("qdel")
    url = _ok(query.call("CreateQueue", {"QueueName": name}), "CreateQueueResponse").text(
        "CreateQueueResult/QueueUrl"
    )
    _send(query, url, "x")
    _ok(query.call("PurgeQueue", {}, queue_url=url), "PurgeQueueResponse")
    _ok(query.call("DeleteQueue", {}, queue_url=url), "DeleteQueueResponse")
    _error(query.call("GetQueueUrl", {"QueueName": name}), NON_EXISTENT)


# --------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------

def test_error_non_existent_queue(query):
    resp = _error(query.call("GetQueueUrl", {"QueueName": unique_name("missing")}), NON_EXISTENT)
    assert resp.namespace == XML_NS
    assert resp.headers.get("content-type", "").startswith("text/xml"), resp.headers


def test_error_non_existent_queue_url(query, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    _error(query.call("SendMessage", {"MessageBody": "x"}, queue_url=url), NON_EXISTENT)


def test_error_queue_already_exists(query, q_queue):
    name, _ = q_queue
    resp = query.call(
        "CreateQueue",
        {"QueueName": name, "Attribute.1.Name": "VisibilityTimeout", "Attribute.1.Value": "99"},
    )
    _error(resp, "QueueAlreadyExists")


def test_error_unknown_action(query):
    _error(query.call("NoSuchAction", {}), "InvalidAction")


def test_error_invalid_parameter_value(query, q_queue):
    _, url = q_queue
    _error(query.call("ReceiveMessage", {"MaxNumberOfMessages": "11"}, queue_url=url), "InvalidParameterValue")


def test_error_invalid_attribute_name(query, q_queue):
    _, url = q_queue
    _error(
        query.call("GetQueueAttributes", {"AttributeName.1": "Bogus"}, queue_url=url),
        "InvalidAttributeName",
    )


def test_error_empty_batch(query, q_queue):
    _, url = q_queue
    _error(query.call("SendMessageBatch", {}, queue_url=url), "AWS.SimpleQueueService.EmptyBatchRequest")


def test_error_invalid_receipt_handle(query, q_queue):
    _, url = q_queue
    _error(query.call("DeleteMessage", {"ReceiptHandle": "garbage"}, queue_url=url), "ReceiptHandleIsInvalid")


def test_error_purge_in_progress(query, q_queue):
    _, url = q_queue
    _ok(query.call("PurgeQueue", {}, queue_url=url), "PurgeQueueResponse")
    _error(
        query.call("PurgeQueue", {}, queue_url=url),
        "AWS.SimpleQueueService.PurgeQueueInProgress",
        status=403,
    )


def test_error_invalid_message_contents(query, q_queue):
    _, url = q_queue
    _error(query.call("SendMessage", {"MessageBody": "bad\u0001char"}, queue_url=url), "InvalidMessageContents")


@pytest.mark.parametrize(
    "params",
    [
        {"AttributeName.0": "All"},
        {"MessageAttributeName.0": "All", "MessageAttributeName.1": "x"},
    ],
    ids=["attribute-name", "message-attribute-name"],
)
def test_error_list_index_zero(query, q_queue, params):
    # Query lists are numbered from 1: AWS refuses index 0 as malformed input.
    _, url = q_queue
    resp = _error(query.call("ReceiveMessage", params, queue_url=url), "MalformedInput")
    assert resp.error_message == "0 is not a valid index", resp


def test_list_indices_from_one_with_a_gap_are_read_in_order(query, q_queue):
    # Not verified against AWS: gaps are accepted, the members read in index order.
    _, url = q_queue
    resp = _ok(
        query.call(
            "GetQueueAttributes",
            {"AttributeName.1": "VisibilityTimeout", "AttributeName.3": "DelaySeconds"},
            queue_url=url,
        ),
        "GetQueueAttributesResponse",
    )
    assert set(resp.pairs("GetQueueAttributesResult/Attribute")) == {"VisibilityTimeout", "DelaySeconds"}


def test_unindexed_name_list_parameter_is_a_one_member_list(query, sqs, q_queue):
    # AWS takes `MessageAttributeName=All` / `AttributeName=All` without the `.N` suffix as a one-member
    # list (elasticmq#448, checked against AWS); `AttributeName.member.1` is not a Query SQS form and is
    # ignored (aws-sdk-go#36).
    _, url = q_queue
    sqs.send_message(
        QueueUrl=url, MessageBody="x", MessageAttributes={"k": {"DataType": "String", "StringValue": "v"}}
    )
    resp = _ok(
        query.call(
            "ReceiveMessage",
            {"AttributeName": "SentTimestamp", "MessageAttributeName": "All", "VisibilityTimeout": "0"},
            queue_url=url,
        ),
        "ReceiveMessageResponse",
    )
    message = resp.find("ReceiveMessageResult/Message")
    assert message is not None, resp
    assert list(resp.pairs("Attribute", message)) == ["SentTimestamp"], resp
    assert resp.pairs("MessageAttribute", message, value="Value/StringValue") == {"k": "v"}, resp
    resp = _ok(
        query.call("GetQueueAttributes", {"AttributeName": "VisibilityTimeout"}, queue_url=url),
        "GetQueueAttributesResponse",
    )
    assert resp.pairs("GetQueueAttributesResult/Attribute") == {"VisibilityTimeout": "30"}, resp


# Batch request errors (API reference, SendMessageBatch / DeleteMessageBatch / ChangeMessageVisibilityBatch
# errors): the same code, HTTP status and message through both protocols.
_BATCH_ENTRY = {
    "SendMessageBatch": ("SendMessageBatchRequestEntry", lambda i: {"MessageBody": f"m{i}"}),
    "DeleteMessageBatch": ("DeleteMessageBatchRequestEntry", lambda i: {"ReceiptHandle": "rh"}),
    "ChangeMessageVisibilityBatch": (
        "ChangeMessageVisibilityBatchRequestEntry",
        lambda i: {"ReceiptHandle": "rh", "VisibilityTimeout": 5},
    ),
}


def _batch_both_ways(query, json_raw, url, action, ids, body_size=None):
    prefix, fields = _BATCH_ENTRY[action]
    entries = []
    for i, entry_id in enumerate(ids):
        entry = {"Id": entry_id, **fields(i)}
        if body_size is not None:
            entry["MessageBody"] = "b" * body_size
        entries.append(entry)
    params = {}
    for n, entry in enumerate(entries, start=1):
        for key, value in entry.items():
            params[f"{prefix}.{n}.{key}"] = str(value)
    q = query.call(action, params, queue_url=url)
    j = json_raw.call(action, {"QueueUrl": url, "Entries": entries})
    return q, j


@pytest.mark.parametrize("action", sorted(_BATCH_ENTRY))
@pytest.mark.parametrize(
    "case,code,message",
    [
        ("eleven", "TooManyEntriesInBatchRequest", "Maximum number of entries per request are 10. You have sent 11."),
        ("duplicate", "BatchEntryIdsNotDistinct", "Id same repeated."),
        ("bad-id", "InvalidBatchEntryId",
         "A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long."),
    ],
)
def test_batch_errors_are_the_same_over_query_and_json(query, json_raw, q_queue, action, case, code, message):
    _, url = q_queue
    ids = {"eleven": [f"e{i}" for i in range(11)], "duplicate": ["same", "same"], "bad-id": ["has.dot"]}[case]
    q, j = _batch_both_ways(query, json_raw, url, action, ids)
    resp = _error(q, f"AWS.SimpleQueueService.{code}")
    assert resp.error_message == message, resp
    assert j.status == 400, j
    assert j.data["__type"] == f"com.amazonaws.sqs#{code}", j
    assert j.data["message"] == message, j
    assert j.headers["x-amzn-query-error"] == f"AWS.SimpleQueueService.{code};Sender", j


@pytest.mark.parametrize("action", sorted(_BATCH_ENTRY))
def test_empty_batch_is_the_same_over_query_and_json(query, json_raw, q_queue, action):
    _, url = q_queue
    q, j = _batch_both_ways(query, json_raw, url, action, [])
    message = f"There should be at least one {_BATCH_ENTRY[action][0]} in the request."
    assert _error(q, "AWS.SimpleQueueService.EmptyBatchRequest").error_message == message
    assert (j.status, j.data["__type"], j.data["message"]) == (400, "com.amazonaws.sqs#EmptyBatchRequest", message), j


def test_batch_request_too_long_is_the_same_over_query_and_json(query, json_raw, q_queue):
    # SendMessageBatch: "the maximum total payload size (the sum of the individual lengths of all of the
    # batched messages) [is] 1 MiB (1,048,576 bytes)".
    _, url = q_queue
    q, j = _batch_both_ways(query, json_raw, url, "SendMessageBatch", [f"e{i}" for i in range(10)], body_size=110_000)
    message = "Batch requests cannot be longer than 1048576 bytes. You have sent 1100000 bytes."
    assert _error(q, "AWS.SimpleQueueService.BatchRequestTooLong").error_message == message
    assert (j.status, j.data["__type"], j.data["message"]) == (400, "com.amazonaws.sqs#BatchRequestTooLong", message), j


def test_batch_entries_numbered_from_two_or_with_gaps(query, q_queue):
    # "Values of n are integers starting from 1" (Query list parameters); what AWS does with a list that
    # starts at 2 or has gaps is not documented: Wharf reads the entries in index order.
    _, url = q_queue
    resp = _ok(
        query.call(
            "SendMessageBatch",
            {
                "SendMessageBatchRequestEntry.2.Id": "b",
                "SendMessageBatchRequestEntry.2.MessageBody": "second",
                "SendMessageBatchRequestEntry.5.Id": "e",
                "SendMessageBatchRequestEntry.5.MessageBody": "fifth",
            },
            queue_url=url,
        ),
        "SendMessageBatchResponse",
    )
    assert [resp.text("Id", e) for e in resp.findall("SendMessageBatchResult/SendMessageBatchResultEntry")] == ["b", "e"]


# botocore releases that spoke Query to SQS (before 1.31.x) serialize an empty list as its JSON member name with
# an empty value (`Entries=`, `AttributeNames=`). That is no Query list parameter ("These lists are specified
# using the param.n notation"), so AWS ignores it: the awsdocs SQS example test
# `test_message_wrapper.py::test_send_messages_wrong_size[0]`, run against AWS with such a botocore, expects
# `AWS.SimpleQueueService.EmptyBatchRequest` for `send_messages(queue, [])`. Wharf answered MalformedInput.
@pytest.mark.parametrize("action", sorted(_BATCH_ENTRY))
def test_empty_list_as_json_member_name_is_ignored_in_batches(query, q_queue, action):
    _, url = q_queue
    resp = _error(query.call(action, {"Entries": ""}, queue_url=url), "AWS.SimpleQueueService.EmptyBatchRequest")
    assert resp.error_message == f"There should be at least one {_BATCH_ENTRY[action][0]} in the request."


def test_empty_lists_as_json_member_names_are_ignored(query, sqs, q_queue):
    _, url = q_queue
    sqs.send_message(QueueUrl=url, MessageBody="x")
    resp, messages = _receive(
        query, url, {"AttributeNames": "", "MessageAttributeNames": "", "MessageSystemAttributeNames": "", "VisibilityTimeout": "0"}
    )
    assert [resp.text("Body", m) for m in messages] == ["x"], resp
    _ok(query.call("GetQueueAttributes", {"AttributeNames": ""}, queue_url=url), "GetQueueAttributesResponse")
    # Required lists sent that way are missing, as if not sent at all.
    for action, params, json_only in [
        ("UntagQueue", {}, {"TagKeys": ""}),
        ("AddPermission", {"Label": "l"}, {"AWSAccountIds": "", "Actions": ""}),
    ]:
        absent = _error(query.call(action, params, queue_url=url), "MissingParameter")
        sent = _error(query.call(action, {**params, **json_only}, queue_url=url), "MissingParameter")
        assert sent.error_message == absent.error_message, sent
