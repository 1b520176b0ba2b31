// The SDK's fetch-based request handler (what edge and serverless runtimes use instead of node:http):
// the same wire traffic through undici's stricter HTTP client, for the three services.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import { CreateQueueCommand, GetQueueUrlCommand, ReceiveMessageCommand, SendMessageCommand } from "@aws-sdk/client-sqs";
import { CreateTopicCommand, GetTopicAttributesCommand } from "@aws-sdk/client-sns";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";
import { FetchHttpHandler } from "@smithy/fetch-http-handler";

import { expectError, kinesisClient, snsClient, sqsClient, startWharf, uniqueName } from "./lib/wharf.js";

let wharf;
let clients;

before(async () => {
  wharf = await startWharf();
  const requestHandler = new FetchHttpHandler();
  clients = {
    sqs: sqsClient(wharf.endpoint, { requestHandler }),
    sns: snsClient(wharf.endpoint, { requestHandler }),
    kinesis: kinesisClient(wharf.endpoint, { requestHandler }),
  };
});
after(async () => {
  for (const client of Object.values(clients ?? {})) client.destroy();
  await wharf?.stop();
});

test("SQS over fetch", async () => {
  const { sqs } = clients;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("js-fetch") }));
  await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "via fetch" }));
  const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 2 }));
  assert.equal(Messages[0].Body, "via fetch");
  await expectError(sqs.send(new GetQueueUrlCommand({ QueueName: uniqueName("js-none") })), "QueueDoesNotExist");
});

test("SNS over fetch", async () => {
  const { sns } = clients;
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("js-fetch") }));
  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.TopicArn, TopicArn);
  await expectError(sns.send(new GetTopicAttributesCommand({ TopicArn: `${TopicArn}-missing` })), "NotFoundException");
});

test("Kinesis over fetch", async () => {
  const { kinesis } = clients;
  const StreamName = uniqueName("js-fetch");
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
  await waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName });
  const put = await kinesis.send(new PutRecordCommand({ StreamName, PartitionKey: "p", Data: new TextEncoder().encode("f") }));
  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamName, ShardId: put.ShardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const { Records } = await kinesis.send(new GetRecordsCommand({ ShardIterator }));
  assert.equal(Records[0].SequenceNumber, put.SequenceNumber);
  await expectError(kinesis.send(new DescribeStreamSummaryCommand({ StreamName: uniqueName("js-none") })), "ResourceNotFoundException");
});
