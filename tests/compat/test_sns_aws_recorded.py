"""Amazon SNS answers compared with responses recorded against real AWS in LocalStack's snapshot files
(tests/aws/services/sns/test_sns.snapshot.json; each test names the snapshot key it follows)."""

import json
import uuid

from test_sns import error_of, make_topic, queue_arn, sns, subscribe_queue  # noqa: F401 (fixtures)

TOKEN = "51b2ff3edb475b7d91550e0ab6edf0c1de2a34e6ebaf6c2262a001bcb7e051c43aa00022ceecce70bd2a67b2042da8d8"


def invalid(err, message):
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameter", 400)
    assert err["Error"]["Message"] == message


def test_tag_resource_refuses_duplicate_keys(sns, make_topic):
    """TestSNSTopicCrud::test_tags, duplicate-key-error."""
    topic = make_topic()
    for tags in (
        [{"Key": "k1", "Value": "v1"}, {"Key": "k2", "Value": "v2"}, {"Key": "k2", "Value": "v2"}],
        [{"Key": "k1", "Value": "v1"}, {"Key": "k1", "Value": "other"}],
    ):
        invalid(error_of(sns.tag_resource, ResourceArn=topic, Tags=tags),
                "Invalid parameter: Duplicated keys are not allowed.")
    assert sns.list_tags_for_resource(ResourceArn=topic)["Tags"] == []


def test_publish_empty_subject_and_empty_topic_arn(sns, make_topic):
    """test_publish_with_empty_subject (response-with-empty-subject); test_publish_wrong_arn_format
    (empty-topic)."""
    topic = make_topic()
    invalid(error_of(sns.publish, TopicArn=topic, Subject="", Message="m"), "Invalid parameter: Subject")
    invalid(error_of(sns.publish, TopicArn="", Message="m"),
            "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
    assert sns.publish(TopicArn=topic, Message="m")["MessageId"]


def test_publish_to_unknown_platform_endpoint(sns, account_id):
    """test_publish_non_existent_target (non-existent-endpoint): InvalidParameter, not NotFound."""
    arn = f"arn:aws:sns:us-east-1:{account_id}:endpoint/APNS/abcdef/0f7d5971-aa8b-4bd5-b585-0826e9f93a66"
    invalid(error_of(sns.publish, TargetArn=arn, Message="push"),
            "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")


def test_raw_message_delivery_value_errors(sns, sqs, make_topic, make_queue):
    """test_create_subscriptions_with_attributes (subscribe-wrong-attr) and test_validate_set_sub_attributes
    (raw-message-wrong-value, raw-message-empty-value, invalid-json-redrive-policy)."""
    topic = make_topic()
    _, url = make_queue()
    err = error_of(sns.subscribe, TopicArn=topic, Protocol="sqs", Endpoint=queue_arn(sqs, url),
                   Attributes={"RawMessageDelivery": "wrongvalue"})
    invalid(err, "Invalid parameter: Attributes Reason: RawMessageDelivery: Invalid value [wrongvalue]. "
                 "Must be true or false.")
    sub = subscribe_queue(sns, sqs, topic, url)
    for value in ("test-ValUe", ""):
        err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub,
                       AttributeName="RawMessageDelivery", AttributeValue=value)
        invalid(err, f"Invalid parameter: RawMessageDelivery: Invalid value [{value}]. Must be true or false.")
    err = error_of(sns.set_subscription_attributes, SubscriptionArn=sub,
                   AttributeName="RedrivePolicy", AttributeValue="{invalidjson}")
    assert err["Error"]["Message"].startswith("Invalid parameter: RedrivePolicy: failed to parse JSON. ")


def test_confirm_subscription_token_errors(sns, make_topic):
    """test_sns_confirm_subscription_wrong_token: a token that is not hex is "Invalid token"; a hex token
    unknown to the topic, or given with a topic that does not exist, is "Invalid parameter: Token"."""
    topic = make_topic()
    invalid(error_of(sns.confirm_subscription, TopicArn=topic[:-1] + "i", Token=TOKEN),
            "Invalid parameter: Token")
    invalid(error_of(sns.confirm_subscription, TopicArn=topic, Token="randomtoken"), "Invalid token")
    invalid(error_of(sns.confirm_subscription, TopicArn=topic, Token=TOKEN), "Invalid parameter: Token")


def test_empty_filter_policy_shows_no_filter_attributes(sns, sqs, make_topic, make_queue):
    """test_create_subscriptions_with_attributes (subscribe, get-attrs): RawMessageDelivery "TrUe" is
    stored lower-case; an empty FilterPolicy is no policy, and without one no FilterPolicyScope is shown."""
    topic = make_topic()
    _, url = make_queue()
    sub = subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="TrUe",
                          FilterPolicyScope="MessageBody", FilterPolicy="")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["RawMessageDelivery"] == "true"
    assert "FilterPolicy" not in attrs and "FilterPolicyScope" not in attrs
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"a": ["b"]}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert json.loads(attrs["FilterPolicy"]) == {"a": ["b"]}
    assert attrs["FilterPolicyScope"] == "MessageBody"


def test_subscribe_idempotency_compares_given_attributes_with_defaults(sns, sqs, make_topic, make_queue):
    """test_subscribe_idempotency: the attributes given are compared, unset ones by their defaults."""
    topic = make_topic()
    _, url = make_queue()
    arn = queue_arn(sqs, url)

    def subscribe(**kwargs):
        return sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, ReturnSubscriptionArn=True,
                             **kwargs)["SubscriptionArn"]

    sub = subscribe(Attributes={"RawMessageDelivery": "true"})
    for attributes in (
        {"RawMessageDelivery": "true"},
        {"RawMessageDelivery": "true", "FilterPolicyScope": "MessageAttributes"},
        {},
        {"FilterPolicyScope": "MessageAttributes"},
    ):
        assert subscribe(Attributes=attributes) == sub, attributes
    assert subscribe() == sub
    invalid(error_of(subscribe, Attributes={"RawMessageDelivery": "false", "FilterPolicyScope": "MessageBody"}),
            "Invalid parameter: Attributes Reason: Subscription already exists with different attributes")


def test_unsubscribe_malformed_arns(sns):
    """test_unsubscribe_wrong_arn_format (invalid-unsubscribe-arn-1..4)."""
    invalid(error_of(sns.unsubscribe, SubscriptionArn="randomstring"),
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
    invalid(error_of(sns.unsubscribe, SubscriptionArn="arn:aws:sns:us-east-1:random"),
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 5")
    invalid(error_of(sns.unsubscribe, SubscriptionArn="arn:aws:sns:us-east-1:111111111111:random"),
            "Invalid parameter: SubscriptionId")
    invalid(error_of(sns.unsubscribe, SubscriptionArn=""),
            "Invalid parameter: SubscriptionArn Reason: no value for required parameter")
    # An ARN of another service is no subscription id (TestSNSSubscriptionCrudV2,
    # test_get_subscription_attributes_error_not_exists); neither is the "PendingConfirmation" placeholder
    # (test_delete_subscriptions_on_delete_topic).
    invalid(error_of(sns.get_subscription_attributes,
                     SubscriptionArn="arn:aws:sqs:us-east-1:000000000000:test-queue:66d97e76-31e5-444f-8fa7-b60b680d0d39"),
            "Invalid parameter: SubscriptionId")
    invalid(error_of(sns.get_subscription_attributes, SubscriptionArn="PendingConfirmation"),
            "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 1")
    # A well-formed ARN naming no subscription is fine (unsubscribe-from-non-existing).
    sns.unsubscribe(SubscriptionArn=f"arn:aws:sns:us-east-1:000000000000:t:{uuid.uuid4()}")


def test_message_attribute_name_dots_and_custom_types(sns, make_topic):
    """test_empty_or_wrong_message_attributes (invalid_name_2, invalid_name_3) and
    test_message_attributes_prefixes (publish-error, publish-ok-1, publish-ok-2)."""
    topic = make_topic()

    def publish(name, data_type="String"):
        return sns.publish(TopicArn=topic, Message="test message",
                           MessageAttributes={name: {"DataType": data_type, "StringValue": "v"}})

    for name, message in ((".abc", "Invalid message attribute name starting with character '.' was found."),
                          ("abc.", "Invalid message attribute name ending with character '.' was found.")):
        err = error_of(publish, name)
        assert (err["Error"]["Code"], err["Error"]["Message"]) == ("ParameterValueInvalid", message)
    err = error_of(publish, "attr1", "String.")
    assert err["Error"]["Message"] == ("The message attribute 'attr1' has an invalid message attribute type, "
                                       "the set of supported type prefixes is Binary, Number, and String.")
    assert publish("attr1", "String.prefixed")["MessageId"]
    assert publish("attr1", "String.  prefixed.")["MessageId"]


def test_fifo_topic_envelope_is_not_signed(sns, sqs, make_topic, make_queue):
    """TestSNSSubscriptionSQSFifo::test_message_to_fifo_sqs and test_fifo_topic_to_regular_sqs (messages): a
    FIFO topic's envelope has SequenceNumber and no SignatureVersion, Signature or SigningCertURL, whether the
    queue is FIFO or standard; a standard topic's envelope is signed."""
    fifo_topic = make_topic(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    _, fifo_url = make_queue(fifo=True)
    _, std_url = make_queue()
    subscribe_queue(sns, sqs, fifo_topic, fifo_url)
    subscribe_queue(sns, sqs, fifo_topic, std_url)
    sns.publish(TopicArn=fifo_topic, Message="Test", MessageGroupId="message-group-id-1")
    for url in (fifo_url, std_url):
        [message] = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=5)["Messages"]
        body = json.loads(message["Body"])
        assert list(body) == ["Type", "MessageId", "SequenceNumber", "TopicArn", "Message", "Timestamp",
                              "UnsubscribeURL"]
    topic = make_topic()
    subscribe_queue(sns, sqs, topic, std_url)
    sns.publish(TopicArn=topic, Message="Test", Subject="s")
    for _ in range(10):
        messages = sqs.receive_message(QueueUrl=std_url, WaitTimeSeconds=1).get("Messages", [])
        bodies = [json.loads(m["Body"]) for m in messages]
        if any(b["TopicArn"] == topic for b in bodies):
            break
    [body] = [b for b in bodies if b["TopicArn"] == topic]
    assert list(body) == ["Type", "MessageId", "TopicArn", "Subject", "Message", "Timestamp", "SignatureVersion",
                          "Signature", "SigningCertURL", "UnsubscribeURL"]


def test_subscribe_filter_policy_errors(sns, make_topic):
    """LocalStack's test_sns_filter_policy.snapshot.json, TestSNSFilterPolicyConditions (test_validate_policy,
    ..._string_operators, ..._numeric_operator, ..._exists_operator, ..._nested_anything_but_operator): Subscribe
    names the Attributes parameter; AWS appends its parser's position (not reproduced), so the start is compared."""
    topic = make_topic()
    cases = [
        ({"key": [["value"]]}, "Match value must be String, number, true, false, or null"),
        ({"key": [{"wrong-operator": True}]}, "Unrecognized match type wrong-operator"),
        ({"key": [{"suffix": 100}]}, "suffix match pattern must be a string"),
        ({"key": {"suffix": "value"}}, '"suffix" must be an object or an array'),
        ({"key": [{"numeric": []}]}, "Invalid member in numeric match: ]"),
        ({"key": [{"numeric": ["operator"]}]}, "Unrecognized numeric range operator: operator"),
        ({"key": [{"numeric": [1, "<="]}]}, "Invalid member in numeric match: 1"),
        ({"key": [{"numeric": ["=", "000"]}]}, "Value of equals must be numeric"),
        ({"key": [{"numeric": [">="]}]}, "Value of >= must be numeric"),
        ({"key": [{"numeric": ["<", 100, ">", 10]}]}, "Too many elements in numeric expression"),
        ({"key": [{"numeric": [">=", 1, ">", 2]}]}, "Bad numeric range operator: >"),
        ({"key": [{"numeric": [">", 3, "<", 1]}]}, "Bottom must be less than top"),
        ({"key": [{"numeric": [">", 20, "<="]}]}, "Value of <= must be numeric"),
        ({"key": [{"numeric": [">", 20, 30]}]}, "Bad value in numeric range: 30"),
        ({"key": [{"numeric": [">", 20, "test"]}]}, "Bad numeric range operator: test"),
        ({"key": [{"numeric": [">", 20, "<", "30"]}]}, "Value of < must be numeric"),
        ({"key": [{"numeric": [">", 20, "<", 30, "<", 50]}]}, "Too many terms in numeric range expression"),
        ({"key": [{"exists": None}]}, "exists match pattern must be either true or false."),
        ({"key": [{"anything-but": {"suffix": "test"}}]}, "Unsupported anything-but pattern: suffix"),
        ({"key": [{"anything-but": {"prefix": False}}]}, "prefix match pattern must be a string"),
    ]
    # TestSNSSubscriptionCrudV2::test_subscribe_invalid_filter_policy.
    err = error_of(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint="+123123123",
                   Attributes={"FilterPolicy": "invalid"})
    assert err["Error"]["Message"].startswith("Invalid parameter: Attributes Reason: FilterPolicy: failed to parse JSON. ")
    for policy, message in cases:
        err = error_of(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint="+123123123",
                       Attributes={"FilterPolicy": json.dumps(policy)})
        assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameter", 400)
        assert err["Error"]["Message"].startswith(
            "Invalid parameter: Attributes Reason: FilterPolicy: " + message), (policy, err["Error"]["Message"])


def test_filter_policy_scope_value_and_shape(sns, sqs, make_topic, make_queue):
    """test_sns_filter_policy.snapshot.json, TestSNSFilterPolicyCrud::test_set_subscription_filter_policy_scope:
    a scope without a policy is not shown; a bad scope names the value."""
    topic = make_topic()
    _, url = make_queue()
    sub = subscribe_queue(sns, sqs, topic, url)
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicyScope", AttributeValue="MessageBody")
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert "FilterPolicyScope" not in attrs and "FilterPolicy" not in attrs
    invalid(error_of(sns.set_subscription_attributes, SubscriptionArn=sub, AttributeName="FilterPolicyScope",
                     AttributeValue="RandomValue"),
            "Invalid parameter: FilterPolicyScope: Invalid value [RandomValue]. Please use either MessageBody or "
            "MessageAttributes")
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"attr": ["match-this"]}))
    attrs = sns.get_subscription_attributes(SubscriptionArn=sub)["Attributes"]
    assert attrs["FilterPolicyScope"] == "MessageBody"


def test_subscribe_sms_endpoint_error(sns, make_topic):
    """test_sns.snapshot.json, TestSNSSubscriptionCrudV2::test_subscribe_bad_sms."""
    topic = make_topic()
    invalid(error_of(sns.subscribe, TopicArn=topic, Protocol="sms", Endpoint="invalid-number"),
            "Invalid SMS endpoint: invalid-number")


def test_publish_batch_invalid_entry_fails_the_request(sns, sqs, make_topic, make_queue):
    """test_publish_batch_exceptions (no-group-id, no-dedup-id, no-default-key-json) and
    test_empty_or_wrong_message_attributes (batch-*): an invalid entry is a 400 for the whole request, with
    Publish's code and message, and no entry is published."""
    fifo = make_topic(fifo=True)
    for entry, message in (
        ({"Message": "Test message without Group ID"},
         "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"),
        ({"Message": "Test message without MessageDeduplicationId", "MessageGroupId": "msg1"},
         "Invalid parameter: The topic should either have ContentBasedDeduplication enabled or "
         "MessageDeduplicationId provided explicitly"),
        ({"Message": json.dumps({"sqs": "test sqs"}), "MessageStructure": "json"},
         "Invalid parameter: Message Structure - No default entry in JSON message body"),
    ):
        invalid(error_of(sns.publish_batch, TopicArn=fifo, PublishBatchRequestEntries=[{"Id": "1", **entry}]),
                message)
    topic = make_topic()
    _, url = make_queue()
    subscribe_queue(sns, sqs, topic, url, RawMessageDelivery="true")
    err = error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[
        {"Id": "3", "Message": "valid-batch"},
        {"Id": "1", "Message": "test-batch", "MessageAttributes": {"attr1": {"DataType": "String", "StringValue": ""}}},
    ])
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("ParameterValueInvalid", 400)
    assert err["Error"]["Message"] == ("The message attribute 'attr1' must contain non-empty message attribute "
                                       "value for message attribute type 'String'.")
    assert sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", []) == []


def test_message_group_id_reaches_standard_queues_from_standard_topics_only(sns, sqs, make_topic, make_queue):
    """test_fifo_topic_to_regular_sqs (messages: no MessageGroupId attribute) and test_publish_message_group_id
    (a standard topic's MessageGroupId is the standard queue message's MessageGroupId)."""
    fifo_topic = make_topic(fifo=True, attributes={"ContentBasedDeduplication": "true"})
    topic = make_topic()
    _, from_fifo = make_queue()
    _, from_std = make_queue()
    subscribe_queue(sns, sqs, fifo_topic, from_fifo)
    subscribe_queue(sns, sqs, topic, from_std)
    sns.publish(TopicArn=fifo_topic, Message="Test", MessageGroupId="message-group-id-1")
    sns.publish(TopicArn=topic, Message="Test", MessageGroupId="my-group-id-1")
    [message] = sqs.receive_message(QueueUrl=from_fifo, WaitTimeSeconds=5, AttributeNames=["All"])["Messages"]
    assert "MessageGroupId" not in message["Attributes"] and "MessageDeduplicationId" not in message["Attributes"]
    [message] = sqs.receive_message(QueueUrl=from_std, WaitTimeSeconds=5, AttributeNames=["All"])["Messages"]
    assert message["Attributes"]["MessageGroupId"] == "my-group-id-1"
