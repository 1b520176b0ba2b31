// Amazon SQS through @aws-sdk/client-sqs (AWS JSON 1.0, query-compatible errors).

import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  DeleteQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListQueuesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  SetQueueAttributesCommand,
  QueueDoesNotExist,
  QueueNameExists,
  BatchEntryIdsNotDistinct,
  EmptyBatchRequest,
  ReceiptHandleIsInvalid,
  SQSServiceException,
} from "@aws-sdk/client-sqs";

import { ACCOUNT_ID, expectError, sqsClient, startWharf, uniqueName } from "./lib/wharf.js";

let wharf;
let sqs;

before(async () => {
  wharf = await startWharf();
  sqs = sqsClient(wharf.endpoint);
});
after(async () => {
  sqs?.destroy();
  await wharf?.stop();
});

const md5Hex = (data) => createHash("md5").update(data).digest("hex");

/** MD5 of message attributes as SQS documents it: names sorted, each field length-prefixed. */
function md5OfAttributes(attributes) {
  const parts = [];
  const field = (bytes) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    parts.push(length, bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    const { DataType, StringValue, BinaryValue } = attributes[name];
    field(Buffer.from(name, "utf8"));
    field(Buffer.from(DataType, "utf8"));
    if (BinaryValue !== undefined) {
      parts.push(Buffer.from([2]));
      field(Buffer.from(BinaryValue));
    } else {
      parts.push(Buffer.from([1]));
      field(Buffer.from(StringValue, "utf8"));
    }
  }
  return md5Hex(Buffer.concat(parts));
}

async function makeQueue(prefix = "js", Attributes = undefined) {
  const QueueName = Attributes?.FifoQueue === "true" ? `${uniqueName(prefix)}.fifo` : uniqueName(prefix);
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName, Attributes }));
  return { QueueName, QueueUrl };
}

async function receiveAll(QueueUrl, expected, extra = {}) {
  const messages = [];
  const deadline = Date.now() + 10_000;
  while (messages.length < expected && Date.now() < deadline) {
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1, ...extra }),
    );
    messages.push(...Messages);
  }
  return messages;
}

describe("queues", () => {
  test("create, get url, list, delete", async () => {
    const { QueueName, QueueUrl } = await makeQueue("js-lifecycle");
    assert.equal(QueueUrl, `${wharf.endpoint}/${ACCOUNT_ID}/${QueueName}`);

    const { QueueUrl: again } = await sqs.send(new CreateQueueCommand({ QueueName }));
    assert.equal(again, QueueUrl, "CreateQueue is idempotent for the same attributes");

    const got = await sqs.send(new GetQueueUrlCommand({ QueueName }));
    assert.equal(got.QueueUrl, QueueUrl);

    const listed = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: QueueName }));
    assert.deepEqual(listed.QueueUrls, [QueueUrl]);

    await sqs.send(new CreateQueueCommand({ QueueName: `${QueueName}-2` }));
    const paged = await sqs.send(new ListQueuesCommand({ QueueNamePrefix: QueueName, MaxResults: 1 }));
    assert.deepEqual(paged.QueueUrls, [QueueUrl]);
    assert.ok(paged.NextToken, "MaxResults below the count gives a NextToken");
    const rest = await sqs.send(
      new ListQueuesCommand({ QueueNamePrefix: QueueName, MaxResults: 1, NextToken: paged.NextToken }),
    );
    assert.deepEqual(rest.QueueUrls, [`${QueueUrl}-2`]);
    assert.equal(rest.NextToken, undefined);

    await sqs.send(new DeleteQueueCommand({ QueueUrl }));
    const error = await expectError(sqs.send(new GetQueueUrlCommand({ QueueName })), "QueueDoesNotExist");
    assert.ok(error instanceof QueueDoesNotExist);
    assert.ok(error instanceof SQSServiceException);
    assert.equal(error.$metadata.httpStatusCode, 400);
    assert.equal(error.$fault, "client");
    // The query-compatible code from the x-amzn-query-error header.
    assert.equal(error.Code, "AWS.SimpleQueueService.NonExistentQueue");
    assert.equal(error.Type, "Sender");
    assert.ok(error.$metadata.requestId, "errors carry a request id");
  });

  test("attributes round trip", async () => {
    const { QueueUrl, QueueName } = await makeQueue("js-attrs", {
      VisibilityTimeout: "45",
      MessageRetentionPeriod: "3600",
      DelaySeconds: "2",
      ReceiveMessageWaitTimeSeconds: "3",
      MaximumMessageSize: "2048",
    });
    const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }));
    assert.equal(Attributes.VisibilityTimeout, "45");
    assert.equal(Attributes.MessageRetentionPeriod, "3600");
    assert.equal(Attributes.DelaySeconds, "2");
    assert.equal(Attributes.ReceiveMessageWaitTimeSeconds, "3");
    assert.equal(Attributes.MaximumMessageSize, "2048");
    assert.equal(Attributes.QueueArn, `arn:aws:sqs:us-east-1:${ACCOUNT_ID}:${QueueName}`);
    assert.equal(Attributes.ApproximateNumberOfMessages, "0");
    assert.match(Attributes.CreatedTimestamp, /^\d+$/);

    const dlq = await makeQueue("js-dlq");
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ["QueueArn"] }))
    ).Attributes.QueueArn;
    const RedrivePolicy = JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 });
    await sqs.send(new SetQueueAttributesCommand({ QueueUrl, Attributes: { VisibilityTimeout: "10", RedrivePolicy } }));
    const after = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["VisibilityTimeout", "RedrivePolicy"] }),
    );
    assert.equal(after.Attributes.VisibilityTimeout, "10");
    assert.deepEqual(JSON.parse(after.Attributes.RedrivePolicy), { deadLetterTargetArn: dlqArn, maxReceiveCount: 3 });
    assert.deepEqual(Object.keys(after.Attributes).sort(), ["RedrivePolicy", "VisibilityTimeout"]);
  });

  test("CreateQueue with other attributes for an existing name is QueueNameExists", async () => {
    const { QueueName } = await makeQueue("js-exists", { VisibilityTimeout: "30" });
    const error = await expectError(
      sqs.send(new CreateQueueCommand({ QueueName, Attributes: { VisibilityTimeout: "60" } })),
      "QueueNameExists",
    );
    assert.ok(error instanceof QueueNameExists);
    assert.equal(error.Code, "QueueAlreadyExists");
    assert.equal(error.$metadata.httpStatusCode, 400);
  });

  test("an unknown queue URL is QueueDoesNotExist for every queue action", async () => {
    const QueueUrl = `${wharf.endpoint}/${ACCOUNT_ID}/${uniqueName("js-missing")}`;
    for (const command of [
      new SendMessageCommand({ QueueUrl, MessageBody: "x" }),
      new ReceiveMessageCommand({ QueueUrl }),
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ["All"] }),
      new DeleteQueueCommand({ QueueUrl }),
    ]) {
      const error = await expectError(sqs.send(command), "QueueDoesNotExist");
      assert.ok(error instanceof QueueDoesNotExist);
    }
  });
});

describe("messages", () => {
  test("send, receive and delete with String, Number and Binary attributes; MD5s match", async () => {
    const { QueueUrl } = await makeQueue("js-msg");
    const MessageAttributes = {
      color: { DataType: "String", StringValue: "blue ✓" },
      count: { DataType: "Number", StringValue: "42" },
      blob: { DataType: "Binary", BinaryValue: new Uint8Array([0, 1, 2, 254, 255]) },
      "price.custom": { DataType: "Number.float", StringValue: "3.5" },
    };
    const MessageBody = "héllo from the JS SDK 👋";
    // The SDK's own middleware rejects the response if MD5OfMessageBody is wrong.
    const sent = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody, MessageAttributes }));
    assert.equal(sent.MD5OfMessageBody, md5Hex(MessageBody));
    assert.equal(sent.MD5OfMessageAttributes, md5OfAttributes(MessageAttributes));
    assert.match(sent.MessageId, /^[0-9a-f-]{36}$/);

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MessageAttributeNames: ["All"],
        MessageSystemAttributeNames: ["All"],
        WaitTimeSeconds: 2,
      }),
    );
    assert.equal(Messages.length, 1);
    const [message] = Messages;
    assert.equal(message.Body, MessageBody);
    assert.equal(message.MessageId, sent.MessageId);
    assert.equal(message.MD5OfBody, md5Hex(MessageBody));
    assert.equal(message.MD5OfMessageAttributes, sent.MD5OfMessageAttributes);
    assert.equal(message.MessageAttributes.color.StringValue, "blue ✓");
    assert.equal(message.MessageAttributes.count.DataType, "Number");
    assert.equal(message.MessageAttributes.count.StringValue, "42");
    assert.equal(message.MessageAttributes["price.custom"].DataType, "Number.float");
    assert.ok(message.MessageAttributes.blob.BinaryValue instanceof Uint8Array);
    assert.deepEqual([...message.MessageAttributes.blob.BinaryValue], [0, 1, 2, 254, 255]);
    assert.equal(message.Attributes.ApproximateReceiveCount, "1");
    assert.match(message.Attributes.SentTimestamp, /^\d+$/);
    assert.equal(message.Attributes.SenderId !== undefined, true);

    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl,
        AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
      }),
    );
    assert.equal(Attributes.ApproximateNumberOfMessages, "0");
    assert.equal(Attributes.ApproximateNumberOfMessagesNotVisible, "0");
  });

  test("only the requested message attributes come back", async () => {
    const { QueueUrl } = await makeQueue("js-msgattr");
    await sqs.send(
      new SendMessageCommand({
        QueueUrl,
        MessageBody: "b",
        MessageAttributes: {
          "trace.id": { DataType: "String", StringValue: "t1" },
          "trace.span": { DataType: "String", StringValue: "s1" },
          other: { DataType: "String", StringValue: "o" },
        },
      }),
    );
    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MessageAttributeNames: ["trace.*"], WaitTimeSeconds: 2 }),
    );
    assert.deepEqual(Object.keys(Messages[0].MessageAttributes).sort(), ["trace.id", "trace.span"]);
    // Computed over the attributes returned (SDKs that check it, like the Java SDK, hash what they got).
    assert.equal(
      Messages[0].MD5OfMessageAttributes,
      md5OfAttributes({
        "trace.id": { DataType: "String", StringValue: "t1" },
        "trace.span": { DataType: "String", StringValue: "s1" },
      }),
    );
  });

  test("batch send and delete report partial failures per entry", async () => {
    const { QueueUrl } = await makeQueue("js-batch", { MaximumMessageSize: "1024" });
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: [
          { Id: "a", MessageBody: "first" },
          { Id: "b", MessageBody: "second", DelaySeconds: 0 },
          { Id: "too-big", MessageBody: "x".repeat(2048) },
          { Id: "c", MessageBody: "third", MessageAttributes: { k: { DataType: "String", StringValue: "v" } } },
        ],
      }),
    );
    assert.deepEqual(sent.Successful.map((e) => e.Id).sort(), ["a", "b", "c"]);
    for (const entry of sent.Successful) assert.match(entry.MD5OfMessageBody, /^[0-9a-f]{32}$/);
    assert.equal(sent.Successful.find((e) => e.Id === "c").MD5OfMessageAttributes,
      md5OfAttributes({ k: { DataType: "String", StringValue: "v" } }));
    assert.equal(sent.Failed.length, 1);
    assert.equal(sent.Failed[0].Id, "too-big");
    assert.equal(sent.Failed[0].SenderFault, true);
    assert.ok(sent.Failed[0].Code);

    const messages = await receiveAll(QueueUrl, 3);
    assert.deepEqual(messages.map((m) => m.Body).sort(), ["first", "second", "third"]);

    const deleted = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl,
        Entries: [
          ...messages.map((m, i) => ({ Id: `m${i}`, ReceiptHandle: m.ReceiptHandle })),
          { Id: "bogus", ReceiptHandle: "not-a-receipt-handle" },
        ],
      }),
    );
    assert.deepEqual(deleted.Successful.map((e) => e.Id).sort(), ["m0", "m1", "m2"]);
    assert.equal(deleted.Failed.length, 1);
    assert.equal(deleted.Failed[0].Id, "bogus");
    assert.equal(deleted.Failed[0].Code, "ReceiptHandleIsInvalid");
    assert.equal(deleted.Failed[0].SenderFault, true);
  });

  test("batch request errors are their own exception classes", async () => {
    const { QueueUrl } = await makeQueue("js-batcherr");
    const dup = await expectError(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: [
            { Id: "same", MessageBody: "1" },
            { Id: "same", MessageBody: "2" },
          ],
        }),
      ),
      "BatchEntryIdsNotDistinct",
    );
    assert.ok(dup instanceof BatchEntryIdsNotDistinct);
    assert.equal(dup.Code, "AWS.SimpleQueueService.BatchEntryIdsNotDistinct");

    const empty = await expectError(
      sqs.send(new DeleteMessageBatchCommand({ QueueUrl, Entries: [] })),
      "EmptyBatchRequest",
    );
    assert.ok(empty instanceof EmptyBatchRequest);

    await expectError(
      sqs.send(
        new SendMessageBatchCommand({
          QueueUrl,
          Entries: Array.from({ length: 11 }, (_, i) => ({ Id: `e${i}`, MessageBody: "x" })),
        }),
      ),
      "TooManyEntriesInBatchRequest",
    );
    await expectError(
      sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries: [{ Id: "bad id!", MessageBody: "x" }] })),
      "InvalidBatchEntryId",
    );
  });

  test("change visibility makes a message visible again, or hides it longer", async () => {
    const { QueueUrl } = await makeQueue("js-vis", { VisibilityTimeout: "30" });
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "v" }));
    const [first] = await receiveAll(QueueUrl, 1);
    assert.equal((await sqs.send(new ReceiveMessageCommand({ QueueUrl }))).Messages, undefined, "in flight");

    await sqs.send(
      new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: first.ReceiptHandle, VisibilityTimeout: 0 }),
    );
    const [second] = await receiveAll(QueueUrl, 1, { MessageSystemAttributeNames: ["ApproximateReceiveCount"] });
    assert.equal(second.MessageId, first.MessageId);
    assert.equal(second.Attributes.ApproximateReceiveCount, "2");
    assert.notEqual(second.ReceiptHandle, first.ReceiptHandle);

    const error = await expectError(
      sqs.send(new ChangeMessageVisibilityCommand({ QueueUrl, ReceiptHandle: "garbage", VisibilityTimeout: 5 })),
      "ReceiptHandleIsInvalid",
    );
    assert.ok(error instanceof ReceiptHandleIsInvalid);
  });

  test("long polling waits for a message sent later", async () => {
    const { QueueUrl } = await makeQueue("js-poll");
    const started = Date.now();
    const empty = await sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 1 }));
    assert.equal(empty.Messages, undefined);
    assert.ok(Date.now() - started >= 900, "an empty long poll waits WaitTimeSeconds");

    const polling = sqs.send(new ReceiveMessageCommand({ QueueUrl, WaitTimeSeconds: 10 }));
    await new Promise((ok) => setTimeout(ok, 300));
    const sendAt = Date.now();
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "late" }));
    const { Messages } = await polling;
    assert.equal(Messages?.[0]?.Body, "late");
    assert.ok(Date.now() - sendAt < 3000, "the poll returns soon after the message arrives");
  });
});

describe("FIFO", () => {
  test("group and deduplication ids, sequence numbers, order within a group", async () => {
    const { QueueUrl } = await makeQueue("js-fifo", { FifoQueue: "true" });
    const first = await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: "one", MessageGroupId: "g1", MessageDeduplicationId: "d1" }),
    );
    assert.match(first.SequenceNumber, /^\d+$/);
    const duplicate = await sqs.send(
      new SendMessageCommand({ QueueUrl, MessageBody: "one again", MessageGroupId: "g1", MessageDeduplicationId: "d1" }),
    );
    assert.equal(duplicate.MessageId, first.MessageId, "a duplicate within 5 minutes is accepted but not added");
    assert.equal(duplicate.SequenceNumber, first.SequenceNumber);

    const batch = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl,
        Entries: ["two", "three"].map((body, i) => ({
          Id: body,
          MessageBody: body,
          MessageGroupId: "g1",
          MessageDeduplicationId: `d${i + 2}`,
        })),
      }),
    );
    assert.equal(batch.Successful.length, 2);
    const sequences = [first.SequenceNumber, ...batch.Successful.map((e) => e.SequenceNumber)].map(BigInt);
    assert.ok(sequences[0] < sequences[1] && sequences[1] < sequences[2], "sequence numbers increase");

    const { Messages } = await sqs.send(
      new ReceiveMessageCommand({
        QueueUrl,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ["All"],
        WaitTimeSeconds: 1,
      }),
    );
    assert.deepEqual(Messages.map((m) => m.Body), ["one", "two", "three"]);
    assert.equal(Messages[0].Attributes.MessageGroupId, "g1");
    assert.equal(Messages[0].Attributes.MessageDeduplicationId, "d1");
    assert.equal(Messages[0].Attributes.SequenceNumber, first.SequenceNumber);

    const missingGroup = await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageDeduplicationId: "d9" })),
      "MissingParameter",
    );
    assert.equal(missingGroup.$metadata.httpStatusCode, 400);
    await expectError(
      sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "x", MessageGroupId: "g" })),
      "InvalidParameterValue",
    );
  });

  test("content-based deduplication", async () => {
    const { QueueUrl } = await makeQueue("js-cbd", { FifoQueue: "true", ContentBasedDeduplication: "true" });
    const a = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "same", MessageGroupId: "g" }));
    const b = await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: "same", MessageGroupId: "g" }));
    assert.equal(a.MessageId, b.MessageId);
    const messages = await receiveAll(QueueUrl, 1);
    assert.equal(messages.length, 1);
  });
});
