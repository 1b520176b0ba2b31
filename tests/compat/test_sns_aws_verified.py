"""Amazon SNS answers compared with the assertions of moto's tests marked as run against real AWS
(getmoto/moto, tests/test_sns/, ``@pytest.mark.aws_verified`` / ``@sns_aws_verified``; each test here names the
moto test it follows). Only the assertions are reproduced; the calls are rewritten for Wharf."""

import uuid

import pytest

from test_sns import error_of, make_topic, sns  # noqa: F401 (fixtures)


@pytest.fixture
def application(sns):
    """A GCM platform application, deleted (with its endpoints) after the test."""
    arn = sns.create_platform_application(
        Name=f"app-{uuid.uuid4().hex[:8]}", Platform="GCM", Attributes={"PlatformCredential": "key"}
    )["PlatformApplicationArn"]
    yield arn
    sns.delete_platform_application(PlatformApplicationArn=arn)


def test_platform_endpoint_idempotency_and_conflicts(sns, application):
    # test_create_duplicate_default_platform_endpoint: the same token, with nothing or with the default
    # Enabled=true, is the same endpoint.
    first = sns.create_platform_endpoint(PlatformApplicationArn=application, Token="token")["EndpointArn"]
    assert sns.create_platform_endpoint(PlatformApplicationArn=application, Token="token")["EndpointArn"] == first
    assert (
        sns.create_platform_endpoint(PlatformApplicationArn=application, Token="token", Attributes={"Enabled": "true"})[
            "EndpointArn"
        ]
        == first
    )
    # test_create_duplicate_platform_endpoint_with_attrs: same attributes again is idempotent; other
    # CustomUserData or another Enabled is refused, naming the existing endpoint.
    plain = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="token_without_userdata", Attributes={"Enabled": "false"}
    )["EndpointArn"]
    again = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="token_without_userdata", Attributes={"Enabled": "false"}
    )["EndpointArn"]
    assert again == plain
    err = error_of(
        sns.create_platform_endpoint,
        PlatformApplicationArn=application,
        Token="token_without_userdata",
        CustomUserData="some user data",
        Attributes={"Enabled": "false"},
    )
    assert err["Error"]["Code"] == "InvalidParameter"
    assert err["Error"]["Message"] == (
        f"Invalid parameter: Token Reason: Endpoint {plain} already exists with the same Token, but different attributes."
    )
    with_data = dict(
        PlatformApplicationArn=application, Token="token_with_userdata", CustomUserData="some user data"
    )
    endpoint = sns.create_platform_endpoint(**with_data, Attributes={"Enabled": "false"})["EndpointArn"]
    assert sns.create_platform_endpoint(**with_data, Attributes={"Enabled": "false"})["EndpointArn"] == endpoint
    err = error_of(sns.create_platform_endpoint, **with_data, Attributes={"Enabled": "true"})
    assert err["Error"]["Code"] == "InvalidParameter"
    assert err["Error"]["Message"] == (
        f"Invalid parameter: Token Reason: Endpoint {endpoint} already exists with the same Token, but different attributes."
    )
    err = error_of(sns.create_platform_endpoint, PlatformApplicationArn=application + "2", Token="unknown_arn")
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("NotFound", "PlatformApplication does not exist")


def test_list_and_delete_endpoints(sns, application, account_id):
    # test_get_list_endpoints_by_platform_application: CustomUserData given as an attribute is listed;
    # DeleteEndpoint is idempotent; an unknown application is NotFound.
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="some_unique_id", Attributes={"CustomUserData": "some data"}
    )["EndpointArn"]
    listed = sns.list_endpoints_by_platform_application(PlatformApplicationArn=application)["Endpoints"]
    assert [e["EndpointArn"] for e in listed] == [endpoint]
    assert listed[0]["Attributes"]["CustomUserData"] == "some data"
    assert sns.delete_endpoint(EndpointArn=endpoint)["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert sns.delete_endpoint(EndpointArn=endpoint)["ResponseMetadata"]["HTTPStatusCode"] == 200
    err = error_of(sns.list_endpoints_by_platform_application, PlatformApplicationArn=application + "2")
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("NotFound", "PlatformApplication does not exist")
    # test_get_non_existent_endpoint_attributes.
    missing = f"arn:aws:sns:us-east-1:{account_id}:endpoint/APNS/my-application/c1f76c42-192a-4e75-b04f-a9268ce2abf3"
    err = error_of(sns.get_endpoint_attributes, EndpointArn=missing)
    assert (err["Error"]["Type"], err["Error"]["Code"], err["Error"]["Message"]) == (
        "Sender",
        "NotFound",
        "Endpoint does not exist",
    )


def test_publish_to_disabled_endpoint_checks_endpoint_before_message(sns, application):
    # test_publish_to_disabled_platform_endpoint: MessageStructure=json with a message that is not JSON,
    # to a disabled endpoint, is answered EndpointDisabled.
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="some_unique_id", Attributes={"Enabled": "false"}
    )["EndpointArn"]
    err = error_of(sns.publish, Message="msg", MessageStructure="json", TargetArn=endpoint)
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("EndpointDisabled", "Endpoint is disabled")
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    # Enabled, the message itself is checked.
    sns.set_endpoint_attributes(EndpointArn=endpoint, Attributes={"Enabled": "true"})
    err = error_of(sns.publish, Message="msg", MessageStructure="json", TargetArn=endpoint)
    assert err["Error"]["Code"] == "InvalidParameter"


def test_subscribe_to_deleted_platform_endpoint(sns, application, make_topic):
    # test_publish_to_deleted_platform_endpoint (decorated @sns_aws_verified; its docstring says it ran against
    # AWS until GCM credentials were checked): AWS's message has no space between "arn" and the ARN.
    endpoint = sns.create_platform_endpoint(
        PlatformApplicationArn=application, Token="some_unique_id", Attributes={"Enabled": "false"}
    )["EndpointArn"]
    topic = make_topic("deleted-endpoint")
    sns.delete_endpoint(EndpointArn=endpoint)
    err = error_of(sns.subscribe, TopicArn=topic, Endpoint=endpoint, Protocol="application")
    assert (err["Error"]["Code"], err["ResponseMetadata"]["HTTPStatusCode"]) == ("InvalidParameter", 400)
    assert err["Error"]["Message"] == (
        f"Invalid parameter: Endpoint Reason: Endpoint does not exist for endpoint arn{endpoint}"
    )
    assert sns.list_subscriptions_by_topic(TopicArn=topic)["Subscriptions"] == []
