"""Queue lifecycle: create, get URL, list, delete, attributes, tags."""

import json
import re
import time

import pytest

from sqs_helpers import REGION, expect_error, queue_attr, unique_name

NON_EXISTENT = "AWS.SimpleQueueService.NonExistentQueue"


# --------------------------------------------------------------------------
# CreateQueue / GetQueueUrl / DeleteQueue
# --------------------------------------------------------------------------

def test_create_queue_returns_url_with_account_and_name(sqs, make_queue, endpoint, account_id):
    name, url = make_queue("create")
    assert url == f"{endpoint}/{account_id}/{name}", f"unexpected queue URL {url!r}"


def test_get_queue_url_matches_create(sqs, queue):
    name, url = queue
    assert sqs.get_queue_url(QueueName=name)["QueueUrl"] == url


def test_get_queue_url_with_owner_account(sqs, queue, account_id):
    name, url = queue
    resp = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account_id)
    assert resp["QueueUrl"] == url


def test_create_queue_is_idempotent_with_same_attributes(sqs, make_queue):
    name, url = make_queue("idem", attributes={"VisibilityTimeout": "7"})
    again = sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "7"})
    assert again["QueueUrl"] == url


def test_create_queue_without_attributes_on_existing_queue_returns_url(sqs, queue):
    name, url = queue
    assert sqs.create_queue(QueueName=name)["QueueUrl"] == url


def test_create_queue_with_different_attributes_fails(sqs, make_queue):
    name, _ = make_queue("conflict", attributes={"VisibilityTimeout": "7"})
    # JSON error QueueNameExists, legacy query code QueueAlreadyExists (HTTP 400).
    with expect_error("QueueAlreadyExists", 400, exception="QueueNameExists"):
        sqs.create_queue(QueueName=name, Attributes={"VisibilityTimeout": "8"})


def test_delete_queue_then_get_url_fails(sqs, make_queue):
    name, url = make_queue("del")
    sqs.delete_queue(QueueUrl=url)
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.get_queue_url(QueueName=name)


def test_deleted_queue_is_not_listed(sqs, make_queue):
    prefix = unique_name("dl")
    _, keep = make_queue(name=prefix + "-keep")
    _, gone = make_queue(name=prefix + "-gone")
    sqs.delete_queue(QueueUrl=gone)
    urls = sqs.list_queues(QueueNamePrefix=prefix).get("QueueUrls", [])
    assert urls == [keep]


def test_queue_names_are_case_sensitive(sqs, make_queue):
    base = unique_name("case")
    _, lower = make_queue(name=base)
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.get_queue_url(QueueName=base.upper())
    _, upper = make_queue(name=base.upper())
    assert upper != lower


def test_queue_name_of_80_characters_is_accepted(sqs, make_queue):
    name = (unique_name("long") + "x" * 80)[:80]
    got_name, url = make_queue(name=name)
    assert url.endswith("/" + name)


@pytest.mark.parametrize(
    "bad_name",
    [
        "has space",
        "bang!",
        "dot.in.name",
        "slash/name",
        "x" * 81,
    ],
    ids=["space", "bang", "dots", "slash", "81-chars"],
)
def test_invalid_queue_names_are_rejected(sqs, bad_name):
    with expect_error("InvalidParameterValue", 400):
        sqs.create_queue(QueueName=bad_name)


def test_empty_queue_name_is_rejected(sqs):
    with pytest.raises(Exception) as info:
        sqs.create_queue(QueueName="")
    # botocore may reject it client-side (ParamValidationError) or the server
    # answers 400; both are fine, a created queue is not.
    resp = getattr(info.value, "response", None)
    if resp is not None:
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_fifo_suffix_requires_fifo_attribute(sqs):
    with expect_error("InvalidParameterValue", 400):
        sqs.create_queue(QueueName=unique_name("nofifoattr", fifo=True))


def test_fifo_attribute_requires_fifo_suffix(sqs):
    with expect_error("InvalidParameterValue", 400):
        sqs.create_queue(QueueName=unique_name("nosuffix"), Attributes={"FifoQueue": "true"})


def test_get_queue_url_of_unknown_queue(sqs):
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.get_queue_url(QueueName=unique_name("missing"))


def test_delete_unknown_queue(sqs, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.delete_queue(QueueUrl=url)


# --------------------------------------------------------------------------
# ListQueues
# --------------------------------------------------------------------------

def test_list_queues_with_prefix(sqs, make_queue):
    prefix = unique_name("lst")
    urls = {make_queue(name=f"{prefix}-{i}")[1] for i in range(3)}
    make_queue(name=unique_name("other"))
    resp = sqs.list_queues(QueueNamePrefix=prefix)
    assert set(resp.get("QueueUrls", [])) == urls
    assert "NextToken" not in resp, "NextToken must only be returned when MaxResults is set"


def test_list_queues_prefix_is_case_sensitive(sqs, make_queue):
    prefix = unique_name("lcase")
    make_queue(name=prefix + "-a")
    resp = sqs.list_queues(QueueNamePrefix=prefix.upper())
    assert resp.get("QueueUrls", []) == []


def test_list_queues_unknown_prefix_returns_no_urls(sqs):
    resp = sqs.list_queues(QueueNamePrefix=unique_name("none"))
    assert resp.get("QueueUrls", []) == []


def test_list_queues_without_prefix_contains_new_queue(sqs, queue):
    _, url = queue
    seen = []
    kwargs = {"MaxResults": 1000}
    while True:
        resp = sqs.list_queues(**kwargs)
        seen.extend(resp.get("QueueUrls", []))
        if "NextToken" not in resp:
            break
        kwargs["NextToken"] = resp["NextToken"]
    assert url in seen


def test_list_queues_pagination(sqs, make_queue):
    prefix = unique_name("page")
    urls = {make_queue(name=f"{prefix}-{i}")[1] for i in range(5)}

    first = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert len(first["QueueUrls"]) == 2
    assert first.get("NextToken"), "MaxResults < number of queues must yield a NextToken"

    seen = list(first["QueueUrls"])
    token = first["NextToken"]
    pages = 1
    while token:
        page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=token)
        assert 1 <= len(page["QueueUrls"]) <= 2
        seen.extend(page["QueueUrls"])
        token = page.get("NextToken")
        pages += 1
        assert pages <= 5, "pagination does not terminate"
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5, f"pages overlap or miss queues: {seen}"
    assert set(seen) == urls


def test_list_queues_max_results_equal_to_count_has_no_token(sqs, make_queue):
    prefix = unique_name("exact")
    for i in range(2):
        make_queue(name=f"{prefix}-{i}")
    resp = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=10)
    assert len(resp["QueueUrls"]) == 2
    assert not resp.get("NextToken")


def test_list_queues_max_results_out_of_range(sqs):
    # Documented range for MaxResults is 1 to 1000.
    with expect_error("InvalidParameterValue", 400):
        sqs.list_queues(MaxResults=1001)


# --------------------------------------------------------------------------
# Attributes
# --------------------------------------------------------------------------

def test_default_attributes(sqs, queue, account_id):
    name, url = queue
    before = int(time.time())
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    expected = {
        "VisibilityTimeout": "30",
        "MessageRetentionPeriod": "345600",
        "MaximumMessageSize": "1048576",
        "DelaySeconds": "0",
        "ReceiveMessageWaitTimeSeconds": "0",
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
        "ApproximateNumberOfMessagesDelayed": "0",
        "QueueArn": f"arn:aws:sqs:{REGION}:{account_id}:{name}",
    }
    for key, value in expected.items():
        assert attrs.get(key) == value, f"{key}: expected {value!r}, got {attrs.get(key)!r}"
    for key in ("CreatedTimestamp", "LastModifiedTimestamp"):
        assert key in attrs, f"{key} missing from All attributes"
        assert re.fullmatch(r"\d+", attrs[key]), f"{key} must be integer epoch seconds: {attrs[key]!r}"
        assert abs(int(attrs[key]) - before) < 120, f"{key} not close to now: {attrs[key]}"
    assert "RedrivePolicy" not in attrs
    assert "Policy" not in attrs


def test_get_selected_attributes_only(sqs, queue):
    _, url = queue
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"]
    )["Attributes"]
    assert attrs == {"VisibilityTimeout": "30", "DelaySeconds": "0"}


def test_get_attributes_without_names_returns_nothing(sqs, queue):
    _, url = queue
    resp = sqs.get_queue_attributes(QueueUrl=url)
    assert resp.get("Attributes", {}) == {}


def test_create_with_attributes(sqs, make_queue):
    attrs_in = {
        "VisibilityTimeout": "45",
        "MessageRetentionPeriod": "120",
        "MaximumMessageSize": "2048",
        "DelaySeconds": "2",
        "ReceiveMessageWaitTimeSeconds": "3",
    }
    _, url = make_queue("attrs", attributes=attrs_in)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=list(attrs_in))["Attributes"]
    assert attrs == attrs_in


def test_set_queue_attributes(sqs, queue):
    _, url = queue
    sqs.set_queue_attributes(
        QueueUrl=url, Attributes={"VisibilityTimeout": "5", "DelaySeconds": "1"}
    )
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["VisibilityTimeout", "DelaySeconds"]
    )["Attributes"]
    assert attrs == {"VisibilityTimeout": "5", "DelaySeconds": "1"}


def test_set_queue_attributes_updates_last_modified(sqs, queue):
    _, url = queue
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "6"})
    attrs = sqs.get_queue_attributes(
        QueueUrl=url, AttributeNames=["CreatedTimestamp", "LastModifiedTimestamp"]
    )["Attributes"]
    assert int(float(attrs["LastModifiedTimestamp"])) >= int(float(attrs["CreatedTimestamp"]))


def test_get_unknown_attribute_name(sqs, queue):
    _, url = queue
    with expect_error("InvalidAttributeName", 400, exception="InvalidAttributeName"):
        sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["NoSuchAttribute"])


def test_set_unknown_attribute_name(sqs, queue):
    _, url = queue
    with expect_error("InvalidAttributeName", 400, exception="InvalidAttributeName"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={"NoSuchAttribute": "1"})


@pytest.mark.parametrize(
    "name,value,message",
    [
        ("ContentBasedDeduplication", "true", "Unknown Attribute ContentBasedDeduplication."),
        ("ContentBasedDeduplication", "false", "Unknown Attribute ContentBasedDeduplication."),
        ("DeduplicationScope", "messageGroup", "You can specify the DeduplicationScope only when FifoQueue is set to true."),
        ("FifoThroughputLimit", "perQueue", "You can specify the FifoThroughputLimit only when FifoQueue is set to true."),
    ],
)
def test_fifo_only_attributes_on_a_standard_queue(sqs, make_queue, queue, name, value, message):
    # The attributes "apply only to FIFO (first-in-first-out) queues" (CreateQueue); AWS's answers as
    # recorded by users (cloud-service-broker's SQS FIFO notes, emulator suites checked against AWS).
    with expect_error("InvalidAttributeName", 400, exception="InvalidAttributeName") as info:
        make_queue("std", attributes={name: value})
    assert info.value.response["Error"]["Message"] == message
    _, url = queue
    with expect_error("InvalidAttributeName", 400, exception="InvalidAttributeName") as info:
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})
    assert info.value.response["Error"]["Message"] == message


@pytest.mark.parametrize(
    "name,value",
    [
        ("VisibilityTimeout", "43201"),
        ("MessageRetentionPeriod", "59"),
        ("MaximumMessageSize", "1048577"),
        ("DelaySeconds", "901"),
        ("ReceiveMessageWaitTimeSeconds", "21"),
        ("VisibilityTimeout", "abc"),
    ],
)
def test_set_attribute_out_of_range(sqs, queue, name, value):
    _, url = queue
    with expect_error("InvalidAttributeValue", 400, exception="InvalidAttributeValue"):
        sqs.set_queue_attributes(QueueUrl=url, Attributes={name: value})


def test_create_with_out_of_range_attribute(sqs):
    with expect_error("InvalidAttributeValue", 400, exception="InvalidAttributeValue"):
        sqs.create_queue(
            QueueName=unique_name("badattr"), Attributes={"VisibilityTimeout": "43201"}
        )


def test_attribute_bounds_are_inclusive(sqs, make_queue):
    _, url = make_queue(
        "bounds",
        attributes={
            "VisibilityTimeout": "43200",
            "MessageRetentionPeriod": "1209600",
            "MaximumMessageSize": "1024",
            "DelaySeconds": "900",
            "ReceiveMessageWaitTimeSeconds": "20",
        },
    )
    sqs.set_queue_attributes(
        QueueUrl=url,
        Attributes={
            "VisibilityTimeout": "0",
            "MessageRetentionPeriod": "60",
            "MaximumMessageSize": "1048576",
            "DelaySeconds": "0",
            "ReceiveMessageWaitTimeSeconds": "0",
        },
    )
    assert queue_attr(sqs, url, "MessageRetentionPeriod") == "60"


def test_fifo_queue_attributes(sqs, fifo_queue, account_id):
    name, url = fifo_queue
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs.get("FifoQueue") == "true"
    assert attrs.get("ContentBasedDeduplication") == "false"
    assert attrs.get("QueueArn") == f"arn:aws:sqs:{REGION}:{account_id}:{name}"


def test_approximate_counts(sqs, queue):
    _, url = queue
    for i in range(3):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    sqs.send_message(QueueUrl=url, MessageBody="late", DelaySeconds=60)
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1, VisibilityTimeout=60)
    attrs = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=[
            "ApproximateNumberOfMessages",
            "ApproximateNumberOfMessagesNotVisible",
            "ApproximateNumberOfMessagesDelayed",
        ],
    )["Attributes"]
    assert attrs == {
        "ApproximateNumberOfMessages": "2",
        "ApproximateNumberOfMessagesNotVisible": "1",
        "ApproximateNumberOfMessagesDelayed": "1",
    }


def test_policy_attribute_roundtrip(sqs, queue, account_id):
    name, url = queue
    arn = f"arn:aws:sqs:{REGION}:{account_id}:{name}"
    policy = {
        "Version": "2012-10-17",
        "Id": "compat-policy",
        "Statement": [
            {
                "Sid": "AllowSend",
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
                "Action": "SQS:SendMessage",
                "Resource": arn,
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    got = json.loads(queue_attr(sqs, url, "Policy"))
    assert got["Statement"][0]["Sid"] == "AllowSend"
    assert got["Statement"][0]["Resource"] == arn


# --------------------------------------------------------------------------
# Tags
# --------------------------------------------------------------------------

def test_tags_at_create(sqs, make_queue):
    _, url = make_queue("tagged", tags={"team": "wharf", "env": "test"})
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags") == {"team": "wharf", "env": "test"}


def test_tag_untag_and_list(sqs, queue):
    _, url = queue
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}
    sqs.tag_queue(QueueUrl=url, Tags={"a": "1", "b": "2"})
    sqs.tag_queue(QueueUrl=url, Tags={"b": "22", "c": "3"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"a": "1", "b": "22", "c": "3"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["a", "c", "not-there"])
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"b": "22"}
    sqs.untag_queue(QueueUrl=url, TagKeys=["b"])
    assert sqs.list_queue_tags(QueueUrl=url).get("Tags", {}) == {}


def test_tags_are_case_sensitive(sqs, queue):
    _, url = queue
    sqs.tag_queue(QueueUrl=url, Tags={"Key": "A", "key": "b"})
    assert sqs.list_queue_tags(QueueUrl=url)["Tags"] == {"Key": "A", "key": "b"}


def test_tag_unknown_queue(sqs, endpoint, account_id):
    url = f"{endpoint}/{account_id}/{unique_name('missing')}"
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.tag_queue(QueueUrl=url, Tags={"a": "1"})
    with expect_error(NON_EXISTENT, 400, exception="QueueDoesNotExist"):
        sqs.list_queue_tags(QueueUrl=url)
