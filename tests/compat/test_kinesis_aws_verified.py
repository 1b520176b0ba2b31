"""Kinesis Data Streams behaviour settled from AWS-observed sources (client issues reporting what AWS answered,
clients' code written against AWS) and the current API reference, checked with boto3.

moto's Kinesis tests (tests/test_kinesis/ of getmoto/moto, as stored) carry no ``aws_verified`` marker, so
none of their assertions is used here."""

import pytest
from botocore.exceptions import ClientError

from test_kinesis import error_of, kinesis, make_stream, stream_name, wait_active  # noqa: F401


def test_retention_change_shows_once_the_update_window_ends(kinesis, make_stream):
    # Observed on AWS (aws/aws-sdk-go#566, 2016): DescribeStream right after IncreaseStreamRetentionPeriod
    # (24 -> 100) still reported 24 hours; Terraform's AWS provider then waited for the stream to leave
    # UPDATING after each retention change (hashicorp/terraform#5223, and waitStreamUpdated after both
    # calls in terraform-provider-aws's aws_kinesis_stream today).
    name = make_stream(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=100)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    assert summary["RetentionPeriodHours"] == 24
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.describe_stream(StreamName=name)["StreamDescription"]["RetentionPeriodHours"] == 100

    kinesis.decrease_stream_retention_period(StreamName=name, RetentionPeriodHours=48)
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert (summary["StreamStatus"], summary["RetentionPeriodHours"]) == ("UPDATING", 100)
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 48


def test_increase_retention_to_the_current_value_is_accepted(kinesis, make_stream):
    # Terraform's aws_kinesis_stream calls IncreaseStreamRetentionPeriod with its default of 24 hours right
    # after creating every stream (already at 24 hours) and expects success; floci-io/floci#342 reports the
    # same of AWS. Only a shorter period is refused.
    name = make_stream(shards=1)
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=24)
    assert wait_active(kinesis, name) == "ACTIVE"
    assert kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["RetentionPeriodHours"] == 24
    kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=30)
    assert wait_active(kinesis, name) == "ACTIVE"
    with pytest.raises(ClientError) as excinfo:
        kinesis.increase_stream_retention_period(StreamName=name, RetentionPeriodHours=25)
    assert error_of(excinfo) == (
        "InvalidArgumentException",
        f"Requested retention period (25 hours) for stream {name} can not be shorter than existing retention "
        "period (30 hours). Use DecreaseRetentionPeriod API.",
    )


def test_warm_throughput_update_to_the_same_value_goes_through_updating(kinesis, make_stream):
    # API reference, UpdateStreamWarmThroughput: "To release excess capacity, call the API again and set the
    # warm throughput to the same or a lower value", and the update "is an asynchronous operation ... sets the
    # status of the stream to UPDATING". A stream whose warm throughput was never set shows none
    # (WarmThroughputObject.CurrentMiBps is optional; the docs give no default).
    name = make_stream(StreamModeDetails={"StreamMode": "ON_DEMAND"})
    assert "WarmThroughput" not in kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    out = kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=50)
    assert out["WarmThroughput"] == {"TargetMiBps": 50}
    assert wait_active(kinesis, name) == "ACTIVE"

    out = kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=50)
    assert out["WarmThroughput"] == {"TargetMiBps": 50, "CurrentMiBps": 50}
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["StreamStatus"] == "UPDATING"
    assert summary["WarmThroughput"] == {"TargetMiBps": 50, "CurrentMiBps": 50}
    assert wait_active(kinesis, name) == "ACTIVE"

    out = kinesis.update_stream_warm_throughput(StreamName=name, WarmThroughputMiBps=0)
    assert out["WarmThroughput"] == {"TargetMiBps": 0, "CurrentMiBps": 50}
    assert wait_active(kinesis, name) == "ACTIVE"
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["WarmThroughput"] == {"TargetMiBps": 0, "CurrentMiBps": 0}
