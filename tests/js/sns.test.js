// Amazon SNS through @aws-sdk/client-sns (AWS Query protocol), delivering to SQS queues.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetSubscriptionAttributesCommand,
  GetTopicAttributesCommand,
  ListSubscriptionsByTopicCommand,
  ListTopicsCommand,
  PublishBatchCommand,
  PublishCommand,
  SetSubscriptionAttributesCommand,
  SubscribeCommand,
  UnsubscribeCommand,
  NotFoundException,
  InvalidParameterException,
  SNSServiceException,
} from "@aws-sdk/client-sns";
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";

import { ACCOUNT_ID, expectError, snsClient, sqsClient, startWharf, uniqueName } from "./lib/wharf.js";

let wharf;
let sns;
let sqs;

before(async () => {
  wharf = await startWharf();
  sns = snsClient(wharf.endpoint);
  sqs = sqsClient(wharf.endpoint);
});
after(async () => {
  sns?.destroy();
  sqs?.destroy();
  await wharf?.stop();
});

async function makeTopic(Attributes) {
  const Name = Attributes?.FifoTopic === "true" ? `${uniqueName("js-topic")}.fifo` : uniqueName("js-topic");
  const { TopicArn } = await sns.send(new CreateTopicCommand({ Name, Attributes }));
  return { Name, TopicArn };
}

async function makeQueue() {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("js-sub") }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  return { QueueUrl, QueueArn: Attributes.QueueArn };
}

async function receive(QueueUrl, expected, waitMs = 5000) {
  const messages = [];
  const deadline = Date.now() + waitMs;
  while (messages.length < expected && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, MessageAttributeNames: ["All"] }),
    );
    messages.push(...Messages);
  }
  return messages;
}

test("topic lifecycle and attributes", async () => {
  const { Name, TopicArn } = await makeTopic({ DisplayName: "JS topic" });
  assert.equal(TopicArn, `arn:aws:sns:us-east-1:${ACCOUNT_ID}:${Name}`);
  const again = await sns.send(new CreateTopicCommand({ Name }));
  assert.equal(again.TopicArn, TopicArn);

  const { Attributes } = await sns.send(new GetTopicAttributesCommand({ TopicArn }));
  assert.equal(Attributes.TopicArn, TopicArn);
  assert.equal(Attributes.DisplayName, "JS topic");
  assert.equal(Attributes.Owner, ACCOUNT_ID);

  const listed = [];
  let NextToken;
  do {
    const page = await sns.send(new ListTopicsCommand({ NextToken }));
    listed.push(...page.Topics.map((t) => t.TopicArn));
    NextToken = page.NextToken;
  } while (NextToken);
  assert.ok(listed.includes(TopicArn));

  await sns.send(new DeleteTopicCommand({ TopicArn }));
  const error = await expectError(sns.send(new GetTopicAttributesCommand({ TopicArn })), "NotFoundException");
  assert.ok(error instanceof NotFoundException);
  assert.ok(error instanceof SNSServiceException);
  assert.equal(error.$metadata.httpStatusCode, 404);
  assert.equal(error.$fault, "client");
  assert.ok(error.$metadata.requestId);
});

test("envelope and raw delivery to SQS, with message attributes", async () => {
  const { TopicArn } = await makeTopic();
  const envelope = await makeQueue();
  const raw = await makeQueue();
  const sub = await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: envelope.QueueArn, ReturnSubscriptionArn: true }));
  assert.ok(sub.SubscriptionArn.startsWith(`${TopicArn}:`));
  const rawSub = await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: raw.QueueArn,
      Attributes: { RawMessageDelivery: "true" },
      ReturnSubscriptionArn: true,
    }),
  );
  const subAttrs = await sns.send(new GetSubscriptionAttributesCommand({ SubscriptionArn: rawSub.SubscriptionArn }));
  assert.equal(subAttrs.Attributes.RawMessageDelivery, "true");
  assert.equal(subAttrs.Attributes.TopicArn, TopicArn);
  assert.equal(subAttrs.Attributes.Endpoint, raw.QueueArn);

  const { Subscriptions } = await sns.send(new ListSubscriptionsByTopicCommand({ TopicArn }));
  assert.deepEqual(Subscriptions.map((s) => s.Endpoint).sort(), [envelope.QueueArn, raw.QueueArn].sort());

  const published = await sns.send(
    new PublishCommand({
      TopicArn,
      Subject: "greeting",
      Message: "hello subscribers",
      MessageAttributes: {
        kind: { DataType: "String", StringValue: "greeting" },
        n: { DataType: "Number", StringValue: "7" },
        bin: { DataType: "Binary", BinaryValue: new Uint8Array([1, 2, 3]) },
      },
    }),
  );
  assert.match(published.MessageId, /^[0-9a-f-]{36}$/);

  const [wrapped] = await receive(envelope.QueueUrl, 1);
  const body = JSON.parse(wrapped.Body);
  assert.equal(body.Type, "Notification");
  assert.equal(body.MessageId, published.MessageId);
  assert.equal(body.TopicArn, TopicArn);
  assert.equal(body.Subject, "greeting");
  assert.equal(body.Message, "hello subscribers");
  assert.deepEqual(body.MessageAttributes.kind, { Type: "String", Value: "greeting" });
  assert.deepEqual(body.MessageAttributes.n, { Type: "Number", Value: "7" });
  assert.deepEqual(body.MessageAttributes.bin, { Type: "Binary", Value: Buffer.from([1, 2, 3]).toString("base64") });
  assert.equal(body.SignatureVersion, "1");
  assert.ok(body.Signature && body.SigningCertURL && body.UnsubscribeURL && body.Timestamp);

  const [plain] = await receive(raw.QueueUrl, 1);
  assert.equal(plain.Body, "hello subscribers");
  assert.equal(plain.MessageAttributes.kind.StringValue, "greeting");
  assert.equal(plain.MessageAttributes.n.DataType, "Number");
  assert.deepEqual([...plain.MessageAttributes.bin.BinaryValue], [1, 2, 3]);

  await sns.send(new UnsubscribeCommand({ SubscriptionArn: rawSub.SubscriptionArn }));
  await sns.send(new PublishCommand({ TopicArn, Message: "after unsubscribe" }));
  assert.equal((await receive(envelope.QueueUrl, 1)).length, 1);
  assert.equal((await receive(raw.QueueUrl, 1, 1200)).length, 0);
});

test("a filter policy on message attributes selects what reaches the queue", async () => {
  const { TopicArn } = await makeTopic();
  const queue = await makeQueue();
  const { SubscriptionArn } = await sns.send(
    new SubscribeCommand({
      TopicArn,
      Protocol: "sqs",
      Endpoint: queue.QueueArn,
      ReturnSubscriptionArn: true,
      Attributes: {
        RawMessageDelivery: "true",
        FilterPolicy: JSON.stringify({ color: ["red", { prefix: "bl" }], size: [{ numeric: [">", 10] }] }),
      },
    }),
  );
  const publish = (Message, attributes) =>
    sns.send(
      new PublishCommand({
        TopicArn,
        Message,
        MessageAttributes: Object.fromEntries(
          Object.entries(attributes).map(([k, v]) => [
            k,
            typeof v === "number" ? { DataType: "Number", StringValue: String(v) } : { DataType: "String", StringValue: v },
          ]),
        ),
      }),
    );
  await publish("red-big", { color: "red", size: 11 });
  await publish("red-small", { color: "red", size: 3 });
  await publish("blue-big", { color: "blue", size: 100 });
  await publish("green-big", { color: "green", size: 100 });
  await publish("no-size", { color: "red" });
  const received = await receive(queue.QueueUrl, 2);
  assert.deepEqual(received.map((m) => m.Body).sort(), ["blue-big", "red-big"]);

  // Body-based filtering, switched on the live subscription.
  await sns.send(new SetSubscriptionAttributesCommand({ SubscriptionArn, AttributeName: "FilterPolicyScope", AttributeValue: "MessageBody" }));
  await sns.send(
    new SetSubscriptionAttributesCommand({
      SubscriptionArn,
      AttributeName: "FilterPolicy",
      AttributeValue: JSON.stringify({ order: { status: ["paid"] } }),
    }),
  );
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: "open" } }) }));
  await sns.send(new PublishCommand({ TopicArn, Message: JSON.stringify({ order: { status: "paid" } }) }));
  const bodies = await receive(queue.QueueUrl, 1);
  assert.deepEqual(bodies.map((m) => JSON.parse(m.Body).order.status), ["paid"]);
});

test("PublishBatch reports successes; an invalid entry fails the whole request", async () => {
  const { TopicArn } = await makeTopic();
  const queue = await makeQueue();
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: queue.QueueArn, Attributes: { RawMessageDelivery: "true" } }));
  const valid = [
    { Id: "one", Message: "first", MessageAttributes: { a: { DataType: "String", StringValue: "1" } } },
    { Id: "two", Message: "second" },
  ];
  // As AWS answers (LocalStack's AWS-recorded test_sns.snapshot.json, test_empty_or_wrong_message_attributes).
  const error = await expectError(
    sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [...valid, { Id: "bad", Message: "third", MessageAttributes: { a: { DataType: "String" } } }],
      }),
    ),
    "InvalidParameterValueException", // code ParameterValueInvalid
  );
  assert.equal(error.$metadata.httpStatusCode, 400);
  const result = await sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: valid }));
  assert.deepEqual(result.Successful.map((e) => e.Id).sort(), ["one", "two"]);
  for (const entry of result.Successful) assert.match(entry.MessageId, /^[0-9a-f-]{36}$/);
  assert.equal((result.Failed ?? []).length, 0);
  const received = await receive(queue.QueueUrl, 3, 2000);
  assert.deepEqual(received.map((m) => m.Body).sort(), ["first", "second"]);

  await expectError(
    sns.send(
      new PublishBatchCommand({
        TopicArn,
        PublishBatchRequestEntries: [
          { Id: "x", Message: "1" },
          { Id: "x", Message: "2" },
        ],
      }),
    ),
    "BatchEntryIdsNotDistinctException",
  );
  await expectError(
    sns.send(new PublishBatchCommand({ TopicArn, PublishBatchRequestEntries: [] })),
    "EmptyBatchRequestException",
  );
});

test("FIFO topic to FIFO queue keeps group order and deduplicates", async () => {
  const { TopicArn } = await makeTopic({ FifoTopic: "true", ContentBasedDeduplication: "true" });
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: `${uniqueName("js-sub")}.fifo`, Attributes: { FifoQueue: "true" } }),
  );
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["QueueArn"] }));
  await sns.send(new SubscribeCommand({ TopicArn, Protocol: "sqs", Endpoint: Attributes.QueueArn, Attributes: { RawMessageDelivery: "true" } }));
  const first = await sns.send(new PublishCommand({ TopicArn, Message: "a", MessageGroupId: "g" }));
  assert.match(first.SequenceNumber, /^\d+$/);
  await sns.send(new PublishCommand({ TopicArn, Message: "a", MessageGroupId: "g" }));
  await sns.send(new PublishCommand({ TopicArn, Message: "b", MessageGroupId: "g" }));
  const received = await receive(QueueUrl, 2);
  assert.deepEqual(received.map((m) => m.Body), ["a", "b"]);

  await expectError(sns.send(new PublishCommand({ TopicArn, Message: "no group" })), "InvalidParameterException");
});

test("errors surface as the SDK's exception classes", async () => {
  const missing = `arn:aws:sns:us-east-1:${ACCOUNT_ID}:${uniqueName("js-nope")}`;
  const notFound = await expectError(sns.send(new PublishCommand({ TopicArn: missing, Message: "x" })), "NotFoundException");
  assert.ok(notFound instanceof NotFoundException);
  assert.match(notFound.message, /not exist|not found/i);

  const badName = await expectError(sns.send(new CreateTopicCommand({ Name: "bad name!" })), "InvalidParameterException");
  assert.ok(badName instanceof InvalidParameterException);
  assert.equal(badName.$metadata.httpStatusCode, 400);

  const { TopicArn } = await makeTopic();
  await expectError(
    sns.send(new SubscribeCommand({ TopicArn, Protocol: "carrier-pigeon", Endpoint: "coop" })),
    "InvalidParameterException",
  );
  await expectError(
    sns.send(
      new SubscribeCommand({
        TopicArn,
        Protocol: "sqs",
        Endpoint: (await makeQueue()).QueueArn,
        Attributes: { FilterPolicy: "{not json" },
      }),
    ),
    "InvalidParameterException",
  );
  await expectError(sns.send(new PublishCommand({ TopicArn, Message: "" })), "InvalidParameterException");
});
