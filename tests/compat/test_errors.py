"""Error shapes of the AWS JSON 1.0 protocol and cross-cutting error cases."""

import boto3
import pytest
from botocore.config import Config

from sqs_helpers import REGION, expect_error, suite_client, unique_name

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


@pytest.fixture
def missing_url(endpoint, account_id):
    return f"{endpoint}/{account_id}/{unique_name('missing')}"


@pytest.mark.parametrize(
    "call",
    [
        lambda c, u: c.send_message(QueueUrl=u, MessageBody="x"),
        lambda c, u: c.receive_message(QueueUrl=u),
        lambda c, u: c.get_queue_attributes(QueueUrl=u, AttributeNames=["All"]),
        lambda c, u: c.set_queue_attributes(QueueUrl=u, Attributes={"DelaySeconds": "1"}),
        lambda c, u: c.purge_queue(QueueUrl=u),
        lambda c, u: c.delete_queue(QueueUrl=u),
        lambda c, u: c.change_message_visibility(QueueUrl=u, ReceiptHandle="rh", VisibilityTimeout=1),
        lambda c, u: c.delete_message(QueueUrl=u, ReceiptHandle="rh"),
        lambda c, u: c.untag_queue(QueueUrl=u, TagKeys=["a"]),
        lambda c, u: c.remove_permission(QueueUrl=u, Label="x"),
    ],
    ids=[
        "SendMessage", "ReceiveMessage", "GetQueueAttributes", "SetQueueAttributes",
        "PurgeQueue", "DeleteQueue", "ChangeMessageVisibility", "DeleteMessage",
        "UntagQueue", "RemovePermission",
    ],
)
def test_unknown_queue_error(sqs, missing_url, call):
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist") as info:
        call(sqs, missing_url)
    assert info.value.response["Error"].get("Type") == "Sender"


def test_json_error_wire_format(json_raw, missing_url):
    resp = json_raw.call("GetQueueAttributes", {"QueueUrl": missing_url, "AttributeNames": ["All"]})
    assert resp.status == 400
    assert resp.headers.get("x-amzn-query-error") == f"{NON_EXISTENT};Sender", resp
    assert resp.headers.get("content-type", "").startswith("application/x-amz-json-1.0"), resp.headers
    assert resp.headers.get("x-amzn-requestid"), "x-amzn-RequestId header missing"
    assert resp.data.get("__type", "").split("#")[-1] == "QueueDoesNotExist", resp
    assert resp.data.get("message") == "The specified queue does not exist.", resp


def test_json_success_wire_format(json_raw, endpoint, account_id):
    name = unique_name("raw")
    resp = json_raw.call("CreateQueue", {"QueueName": name})
    try:
        assert resp.status == 200, resp
        assert resp.headers.get("content-type", "").startswith("application/x-amz-json-1.0")
        assert resp.headers.get("x-amzn-requestid")
        assert resp.data == {"QueueUrl": f"{endpoint}/{account_id}/{name}"}
    finally:
        json_raw.call("DeleteQueue", {"QueueUrl": f"{endpoint}/{account_id}/{name}"})


def test_json_error_header_for_modeled_error_with_legacy_code(json_raw, sqs, queue):
    _, url = queue
    resp = json_raw.call("SendMessageBatch", {"QueueUrl": url, "Entries": []})
    assert resp.status == 400
    assert resp.headers.get("x-amzn-query-error") == (
        "AWS.SimpleQueueService.EmptyBatchRequest;Sender"
    ), resp
    assert resp.data.get("__type", "").split("#")[-1] == "EmptyBatchRequest", resp


def test_invalid_parameter_message_names_parameter(sqs, queue):
    _, url = queue
    with expect_error("InvalidParameterValue", 400) as info:
        sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=11)
    assert "MaxNumberOfMessages" in info.value.response["Error"]["Message"]


def test_any_credentials_are_accepted(endpoint, queue):
    _, url = queue
    other = boto3.client(
        "sqs",
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="SOMEOTHERKEY",
        aws_secret_access_key="another-secret",
        config=Config(retries={"total_max_attempts": 1}),
    )
    other.send_message(QueueUrl=url, MessageBody="from another key")
    assert other.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "from another key"


def test_missing_required_parameter(json_raw, queue):
    _, url = queue
    # SendMessage without MessageBody (botocore would refuse to send this).
    resp = json_raw.call("SendMessage", {"QueueUrl": url})
    assert resp.status == 400, resp
    assert resp.headers.get("x-amzn-query-error", "").startswith("MissingParameter;"), resp


def test_json_error_header_for_queue_name_exists(json_raw, make_queue):
    name, _ = make_queue("rawdup", attributes={"VisibilityTimeout": "5"})
    resp = json_raw.call(
        "CreateQueue", {"QueueName": name, "Attributes": {"VisibilityTimeout": "6"}}
    )
    assert resp.status == 400, resp
    assert resp.headers.get("x-amzn-query-error") == "QueueAlreadyExists;Sender", resp
    assert resp.data.get("__type", "").split("#")[-1] == "QueueNameExists", resp


def test_json_purge_in_progress_is_403(json_raw, queue):
    _, url = queue
    assert json_raw.call("PurgeQueue", {"QueueUrl": url}).status == 200
    resp = json_raw.call("PurgeQueue", {"QueueUrl": url})
    assert resp.status == 403, resp
    assert resp.headers.get("x-amzn-query-error") == (
        "AWS.SimpleQueueService.PurgeQueueInProgress;Sender"
    ), resp


def test_set_queue_attributes_without_attributes(sqs, query, queue):
    # AWS answers MissingParameter naming the Query protocol's `Attribute.Name`, for an empty map too.
    _, url = queue
    with expect_error("MissingParameter", 400) as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={})
    assert info.value.response["Error"]["Message"] == (
        "The request must contain the parameter Attribute.Name."
    )
    resp = query.call("SetQueueAttributes", {"QueueUrl": url})
    assert resp.status == 400, resp
    assert resp.error_code == "MissingParameter", resp
    assert resp.error_message == "The request must contain the parameter Attribute.Name.", resp


SSE_CONFLICT = (
    "You can use one type of server-side encryption (SSE) at one time. "
    "You can either enable KMS SSE or SQS SSE."
)


def test_sse_kms_and_sse_sqs_in_one_request_are_refused(sqs, queue):
    both = {"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "true"}
    with expect_error("InvalidAttributeName", 400) as info:
        sqs.create_queue(QueueName=unique_name("sse"), Attributes=both)
    assert info.value.response["Error"]["Message"] == SSE_CONFLICT
    _, url = queue
    with expect_error("InvalidAttributeName", 400) as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes=both)
    assert info.value.response["Error"]["Message"] == SSE_CONFLICT
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "KmsMasterKeyId" not in attrs
    # Turning SSE-SQS off while choosing a KMS key is one consistent choice.
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/aws/sqs", "SqsManagedSseEnabled": "false"}
    )
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["KmsMasterKeyId"] == "alias/aws/sqs"
    assert attrs["SqsManagedSseEnabled"] == "false"


@pytest.mark.parametrize(
    "action,payload,message",
    [
        ("ReceiveMessage", {"MaxNumberOfMessages": "ten"}, "STRING_VALUE can not be converted to an Integer"),
        ("SendMessage", {"MessageBody": "x", "DelaySeconds": True}, "TRUE_VALUE can not be converted to an Integer"),
        ("SendMessage", {"MessageBody": 5}, "NUMBER_VALUE can not be converted to a String"),
        ("SendMessageBatch", {"Entries": {}}, "Start of structure or map found where not expected."),
        ("SetQueueAttributes", {"Attributes": {"DelaySeconds": []}}, "Start of list found where not expected"),
    ],
    ids=["string-for-integer", "boolean-for-integer", "number-for-string", "map-for-list", "list-for-string"],
)
def test_json_member_of_the_wrong_type_is_a_serialization_error(json_raw, queue, action, payload, message):
    # The JSON protocol's deserializer refuses these before any validation: SerializationException in
    # the common namespace, legacy code MalformedInput.
    _, url = queue
    resp = json_raw.call(action, {"QueueUrl": url, **payload})
    assert resp.status == 400, resp
    assert resp.data.get("__type") == "com.amazon.coral.service#SerializationException", resp
    assert resp.headers.get("x-amzn-query-error") == "MalformedInput;Sender", resp
    assert resp.data.get("message") == message, resp


def test_wrong_type_through_boto3_without_client_validation(endpoint, queue):
    _, url = queue
    unchecked = suite_client("sqs", endpoint, parameter_validation=False)
    with expect_error("MalformedInput", 400):
        unchecked.receive_message(QueueUrl=url, MaxNumberOfMessages="ten")


@pytest.mark.parametrize(
    "address",
    [
        "sqs.us-east-1.amazonaws.com/000000000000/{name}",
        "{{'QueueUrl': 'http://localhost/000000000000/{name}'}}",
        "ftp://localhost/000000000000/{name}",
    ],
    ids=["no-scheme", "not-a-url", "other-scheme"],
)
def test_queue_url_that_is_not_an_address_is_invalid_address(sqs, query, queue, address):
    # AWS: InvalidAddress "The address X is not valid for this endpoint." (modeled for every action
    # taking a QueueUrl), over both protocols.
    name, _ = queue
    bad = address.format(name=name)
    with expect_error("InvalidAddress", 400, exception="InvalidAddress") as info:
        sqs.send_message(QueueUrl=bad, MessageBody="x")
    assert info.value.response["Error"]["Message"] == f"The address {bad} is not valid for this endpoint."
    with expect_error("InvalidAddress", 400, exception="InvalidAddress"):
        sqs.get_queue_attributes(QueueUrl=bad, AttributeNames=["All"])
    resp = query.call("ReceiveMessage", {"QueueUrl": bad})
    assert resp.status == 400, resp
    assert resp.error_code == "InvalidAddress", resp
    assert resp.error_message == f"The address {bad} is not valid for this endpoint.", resp


def test_queue_url_may_be_the_bare_queue_name(sqs, queue):
    # AWS accepts a queue's name where its URL is expected (moto reverted its validation after checking).
    name, url = queue
    sqs.send_message(QueueUrl=name, MessageBody="by name")
    assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "by name"
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.send_message(QueueUrl=unique_name("missing"), MessageBody="x")
