// The flows of the AWS SDK for JavaScript v3 code examples that the AWS documentation shows for SQS, SNS
// and Kinesis (awsdocs/aws-doc-sdk-examples, javascriptv3/example_code/{sqs,sns,kinesis} and the "topics
// and queues" cross-service scenario), with the answers their integration tests expect from AWS. Written
// here from those flows (not copied); only what the other files of this suite do not already cover.

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  paginateListQueues,
} from "@aws-sdk/client-sqs";
import {
  CheckIfPhoneNumberIsOptedOutCommand,
  ConfirmSubscriptionCommand,
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSMSAttributesCommand,
  GetTopicAttributesCommand,
  ListPhoneNumbersOptedOutCommand,
  ListSubscriptionsByTopicCommand,
  PublishCommand,
  SetSMSAttributesCommand,
  SetTopicAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  paginateListSubscriptions,
  paginateListTopics,
} from "@aws-sdk/client-sns";
import {
  CreateStreamCommand,
  DescribeStreamSummaryCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  PutRecordsCommand,
  StartStreamEncryptionCommand,
  waitUntilStreamExists,
} from "@aws-sdk/client-kinesis";

import { ACCOUNT_ID, expectError, kinesisClient, snsClient, sqsClient, startWharf, uniqueName } from "./lib/wharf.js";

let wharf;
let sqs;
let sns;
let kinesis;

before(async () => {
  wharf = await startWharf();
  sqs = sqsClient(wharf.endpoint);
  sns = snsClient(wharf.endpoint);
  kinesis = kinesisClient(wharf.endpoint);
});
after(async () => {
  sqs?.destroy();
  sns?.destroy();
  kinesis?.destroy();
  await wharf?.stop();
});

async function queueArn(QueueUrl) {
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return Attributes.QueueArn;
}

async function allPages(paginator, key) {
  const items = [];
  for await (const page of paginator) items.push(...(page[key] ?? []));
  return items;
}

/** One message per ReceiveMessage without MaxNumberOfMessages (the scenario's polling), deleted in batches. */
async function pollBodies(QueueUrl, polls) {
  const bodies = [];
  for (let i = 0; i < polls; i++) {
    const { Messages } = await sqs.send(new ReceiveMessageCommand({ QueueUrl }));
    if (!Messages) continue;
    assert.equal(Messages.length, 1);
    bodies.push(JSON.parse(Messages[0].Body));
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((m) => ({ Id: m.MessageId, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
  }
  return bodies;
}

describe("SQS actions", () => {
  test("queue actions: a message's own delay overrides the queue's; batch delete by MessageId", async () => {
    const QueueName = uniqueName("js-docs");
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName, Attributes: { DelaySeconds: "60", MessageRetentionPeriod: "86400" } }),
    );
    assert.equal((await sqs.send(new GetQueueUrlCommand({ QueueName }))).QueueUrl, QueueUrl);
    const urls = await allPages(paginateListQueues({ client: sqs }, {}), "QueueUrls");
    assert.ok(urls.includes(QueueUrl));

    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "1" } }));
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["DelaySeconds"] }));
    assert.deepEqual(Attributes, { DelaySeconds: "1" });

    // The example sends with DelaySeconds 10 into a queue created with 60: the message's own value wins.
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { DelaySeconds: "60" } }));
    const sent = Date.now();
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        DelaySeconds: 1,
        MessageBody: "bestseller",
        MessageAttributes: {
          Title: { DataType: "String", StringValue: "The Whistler" },
          WeeksOn: { DataType: "Number", StringValue: "6" },
        },
      }),
    );
    await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "a", MessageBody: "two", DelaySeconds: 1 },
          { Id: "b", MessageBody: "three", DelaySeconds: 1 },
        ],
      }),
    );
    let Messages = [];
    while (Messages.length < 3 && Date.now() - sent < 8_000) {
      const page = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl,
          AttributeNames: ["SentTimestamp"],
          MaxNumberOfMessages: 10,
          MessageAttributeNames: ["All"],
          VisibilityTimeout: 20,
          WaitTimeSeconds: 1,
        }),
      );
      Messages = Messages.concat(page.Messages ?? []);
    }
    assert.equal(Messages.length, 3);
    assert.ok(Date.now() - sent >= 900, "delivered before its own delay");
    const first = Messages.find((m) => m.Body === "bestseller");
    assert.deepEqual(Object.keys(first.Attributes), ["SentTimestamp"]);
    assert.equal(first.MessageAttributes.WeeksOn.StringValue, "6");

    // MessageIds (UUIDs, with hyphens) are valid batch entry ids.
    const { Successful, Failed = [] } = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: Messages.map((m) => ({ Id: m.MessageId, ReceiptHandle: m.ReceiptHandle })),
      }),
    );
    assert.equal(Successful.length, 3);
    assert.equal(Failed.length, 0);

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const after = await allPages(paginateListQueues({ client: sqs }, {}), "QueueUrls");
    assert.ok(!after.includes(QueueUrl));
  });

  test("long polling and dead-letter attributes; ChangeMessageVisibility after a 1 s wait", async () => {
    const { QueueUrl } = await sqs.send(
      new CreateQueueCommand({ QueueName: uniqueName("js-docs-lp"), Attributes: { ReceiveMessageWaitTimeSeconds: "20" } }),
    );
    const { QueueUrl: dlq } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("js-docs-dlq") }));
    const deadLetterTargetArn = await queueArn(dlq);
    // maxReceiveCount given as a string, as the example does.
    await sqs.send(
      new SetQueueAttributesCommand({
        QueueUrl,
        Attributes: { RedrivePolicy: JSON.stringify({ deadLetterTargetArn, maxReceiveCount: "10" }) },
      }),
    );
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
    assert.equal(Attributes.ReceiveMessageWaitTimeSeconds, "20");
    assert.deepEqual(JSON.parse(Attributes.RedrivePolicy), { deadLetterTargetArn, maxReceiveCount: 10 });

    // The visibility example receives with WaitTimeSeconds 1 (shorter than the queue's 20).
    const started = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }));
    assert.equal(empty.Messages, undefined);
    assert.ok(Date.now() - started < 5_000);
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "m" }));
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, AttributeNames: ["SentTimestamp"], MaxNumberOfMessages: 1, WaitTimeSeconds: 1 }),
    );
    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: Messages[0].ReceiptHandle, VisibilityTimeout: 20 }),
    );
    const { Attributes: counts } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["ApproximateNumberOfMessagesNotVisible"] }),
    );
    assert.equal(counts.ApproximateNumberOfMessagesNotVisible, "1");
  });
});

describe("SNS actions", () => {
  test("a placeholder TopicArn is InvalidParameter 'An ARN must have at least 6 elements, not 1'", async () => {
    const TopicArn = "TOPIC_ARN";
    const calls = [
      new SubscribeCommand({ TopicArn, Protocol: "application", Endpoint: "ENDPOINT" }),
      new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "usern@me.com" }),
      new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: "ENDPOINT" }),
      new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: "QUEUE_ARN" }),
      new ConfirmSubscriptionCommand({ TopicArn, Token: "TOKEN", AuthenticateOnUnsubscribe: "false" }),
      new PublishCommand({ TopicArn, Message: "Hello from SNS!" }),
      new ListSubscriptionsByTopicCommand({ TopicArn }),
      new GetTopicAttributesCommand({ TopicArn }),
      new SetTopicAttributesCommand({ TopicArn, AttributeName: "DisplayName", AttributeValue: "Test Topic" }),
      new DeleteTopicCommand({ TopicArn }),
    ];
    for (const command of calls) {
      const error = await expectError(sns.send(command), "InvalidParameterException");
      assert.equal(error.message, "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1");
      assert.equal(error.$metadata.httpStatusCode, 400);
    }
  });

  test("SMS: publish to a phone number, opt-out checks, default SMS type", async () => {
    const { MessageId } = await sns.send(new PublishCommand({ Message: "Hello from SNS!", PhoneNumber: "+15555555555" }));
    assert.equal(typeof MessageId, "string");
    const { isOptedOut } = await sns.send(new CheckIfPhoneNumberIsOptedOutCommand({ phoneNumber: "5555555555" }));
    assert.equal(isOptedOut, false);
    const { phoneNumbers } = await sns.send(new ListPhoneNumbersOptedOutCommand({}));
    assert.ok(Array.isArray(phoneNumbers));
    await sns.send(new SetSMSAttributesCommand({ attributes: { DefaultSMSType: "Transactional" } }));
    const { attributes } = await sns.send(new GetSMSAttributesCommand({ attributes: ["DefaultSMSType"] }));
    assert.equal(attributes.DefaultSMSType, "Transactional");
  });

  test("topic and subscriptions: email pending, lambda confirmed, http confirmed by its token", async () => {
    const hits = [];
    let notify;
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => (body += chunk));
      req.on("end", () => {
        hits.push(JSON.parse(body));
        res.end();
        notify?.();
      });
    });
    await new Promise((ok) => server.listen(0, "127.0.0.1", ok));
    try {
      const { TopicArn } = await sns.send(new CreateTopicCommand({ Name: uniqueName("js-docs") }));
      await sns.send(
        new SetTopicAttributesCommand({ TopicArn, AttributeName: "DisplayName", AttributeValue: "Test Topic" }),
      );
      const email = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "email", Endpoint: "usern@me.com" }));
      assert.equal(email.SubscriptionArn, "pending confirmation");
      const lambda = await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: "lambda", Endpoint: `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:fn` }),
      );
      assert.ok(lambda.SubscriptionArn.startsWith(`${TopicArn}:`));

      const confirmation = new Promise((ok) => (notify = ok));
      const http = await sns.send(
        new SubscribeCommand({ TopicArn, Protocol: "http", Endpoint: `http://127.0.0.1:${server.address().port}/hook` }),
      );
      assert.equal(http.SubscriptionArn, "pending confirmation");
      await confirmation;
      assert.equal(hits[0].Type, "SubscriptionConfirmation");
      const confirmed = await sns.send(
        new ConfirmSubscriptionCommand({ TopicArn, Token: hits[0].Token, AuthenticateOnUnsubscribe: "false" }),
      );
      assert.ok(confirmed.SubscriptionArn.startsWith(`${TopicArn}:`));

      const subs = await allPages(paginateListSubscriptions({ client: sns }, { TopicArn }), "Subscriptions");
      const arns = Object.fromEntries(subs.map((s) => [s.Protocol, s.SubscriptionArn]));
      assert.deepEqual(arns, { email: "PendingConfirmation", lambda: lambda.SubscriptionArn, http: confirmed.SubscriptionArn });
      const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
      assert.equal(Attributes.TopicArn, TopicArn);
      assert.equal(Attributes.DisplayName, "Test Topic");
      assert.equal(Attributes.SubscriptionsPending, "1");
      assert.equal(Attributes.SubscriptionsConfirmed, "2");

      await sns.send(new UnsubscribeCommand({ SubscriptionArn: confirmed.SubscriptionArn }));
      await sns.send(new DeleteTopicCommand({ TopicArn }));
      const topics = await allPages(paginateListTopics({ client: sns }, {}), "Topics");
      assert.ok(!topics.some((t) => t.TopicArn === TopicArn));
    } finally {
      server.close();
    }
  });
});

describe("topics and queues scenario", () => {
  async function scenario({ contentBased }) {
    const name = uniqueName("js-news");
    const { TopicArn } = await sns.send(
      new CreateTopicCommand({
        Name: `${name}.fifo`,
        Attributes: { FifoTopic: "true", ...(contentBased ? { ContentBasedDeduplication: "true" } : {}) },
      }),
    );
    const queues = [];
    for (const [prefix, tones] of [
      ["js-good", ["cheerful", "funny"]],
      ["js-bad", ["serious"]],
    ]) {
      // FIFO queues without content-based deduplication of their own.
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: `${uniqueName(prefix)}.fifo`, Attributes: { FifoQueue: "true" } }),
      );
      const arn = await queueArn(QueueUrl);
      const Policy = JSON.stringify({
        Statement: [
          {
            Effect: "Allow",
            Principal: { Service: "sns.amazonaws.com" },
            Action: "sqs:SendMessage",
            Resource: arn,
            Condition: { ArnEquals: { "aws:SourceArn": TopicArn } },
          },
        ],
      });
      await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { Policy } }));
      const { SubscriptionArn } = await sns.send(
        new SubscribeCommand({
          TopicArn,
          Protocol: "sqs",
          Endpoint: arn,
          Attributes: { FilterPolicyScope: "MessageAttributes", FilterPolicy: JSON.stringify({ tone: tones }) },
        }),
      );
      queues.push({ QueueUrl, SubscriptionArn });
    }
    const publish = (Message, MessageDeduplicationId, tones) =>
      sns.send(
        new PublishCommand({
          TopicArn,
          Message,
          MessageGroupId: "g1",
          ...(contentBased ? {} : { MessageDeduplicationId }),
          MessageAttributes: { tone: { DataType: "String.Array", StringValue: JSON.stringify(tones) } },
        }),
      );
    return { TopicArn, queues, publish };
  }

  test("FIFO topic, deduplication ids, String.Array tones filtered per queue", async () => {
    const { TopicArn, queues, publish } = await scenario({ contentBased: false });
    await publish("cheerful news", "d1", ["cheerful"]);
    await publish("serious news", "d2", ["serious", "sincere"]);
    await publish("no tone", "d3", []);
    await publish("same id as the first", "d1", ["funny"]);
    await publish("funny news", "d4", ["funny"]);

    const good = await pollBodies(queues[0].QueueUrl, 3);
    assert.deepEqual(good.map((b) => b.Message), ["cheerful news", "funny news"]);
    assert.equal(good[0].TopicArn, TopicArn);
    assert.match(good[0].SequenceNumber, /^\d+$/);
    assert.deepEqual(good[0].MessageAttributes.tone, { Type: "String.Array", Value: '["cheerful"]' });
    const bad = await pollBodies(queues[1].QueueUrl, 2);
    assert.deepEqual(bad.map((b) => b.Message), ["serious news"]);

    for (const { SubscriptionArn, QueueUrl } of queues) {
      await sns.send(new UnsubscribeCommand({ SubscriptionArn }));
      await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    }
    await sns.send(new DeleteTopicCommand({ TopicArn }));
  });

  test("content-based deduplication on the topic only: its queues drop the repeated body", async () => {
    const { queues, publish } = await scenario({ contentBased: true });
    await publish("m1", undefined, ["funny"]);
    await publish("m1", undefined, ["funny"]);
    await publish("m2", undefined, ["serious"]);
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queues[0].QueueUrl, MaxNumberOfMessages: 10, MessageSystemAttributeNames: ["All"] }),
    );
    assert.deepEqual(Messages.map((m) => JSON.parse(m.Body).Message), ["m1"]);
    assert.equal(Messages[0].Attributes.MessageGroupId, "g1");
    assert.ok(Messages[0].Attributes.MessageDeduplicationId);
    assert.deepEqual((await pollBodies(queues[1].QueueUrl, 2)).map((b) => b.Message), ["m2"]);
  });
});

test("Kinesis PutRecords by StreamARN with empty data into a KMS-encrypted stream", async () => {
  const StreamName = uniqueName("js-docs-stream");
  const wait = () => waitUntilStreamExists({ client: kinesis, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { StreamName });
  await kinesis.send(new CreateStreamCommand({ StreamName, ShardCount: 1 }));
  await wait();
  await kinesis.send(
    new StartStreamEncryptionCommand({
      StreamName,
      EncryptionType: "KMS",
      KeyId: `arn:aws:kms:us-east-1:${ACCOUNT_ID}:key/12345678-1234-1234-1234-123456789012`,
    }),
  );
  await wait();
  const { StreamDescriptionSummary } = await kinesis.send(new DescribeStreamSummaryCommand({ StreamName }));
  assert.equal(StreamDescriptionSummary.EncryptionType, "KMS");
  const StreamARN = StreamDescriptionSummary.StreamARN;

  const put = await kinesis.send(
    new PutRecordsCommand({
      StreamARN,
      Records: [
        { Data: new Uint8Array(), PartitionKey: "TEST_KEY" },
        { Data: new Uint8Array(), PartitionKey: "TEST_KEY" },
      ],
    }),
  );
  assert.equal(put.FailedRecordCount, 0);
  assert.equal(put.EncryptionType, "KMS");
  assert.equal(put.Records.length, 2);

  const { ShardIterator } = await kinesis.send(
    new GetShardIteratorCommand({ StreamARN, ShardId: put.Records[0].ShardId, ShardIteratorType: "TRIM_HORIZON" }),
  );
  const { Records } = await kinesis.send(new GetRecordsCommand({ StreamARN, ShardIterator }));
  assert.deepEqual(
    Records.map((r) => [r.Data.length, r.PartitionKey, r.EncryptionType]),
    [
      [0, "TEST_KEY", "KMS"],
      [0, "TEST_KEY", "KMS"],
    ],
  );
});
