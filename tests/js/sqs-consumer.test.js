// sqs-consumer (bbc/sqs-consumer) driving Wharf through @aws-sdk/client-sqs.

import { after, before, test } from "node:test";
import assert from "node:assert/strict";

import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  SendMessageBatchCommand,
} from "@aws-sdk/client-sqs";
import { Consumer } from "sqs-consumer";

import { sqsClient, startWharf, uniqueName } from "./lib/wharf.js";

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

async function queueWith(count, Attributes) {
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: uniqueName("js-consumer"), Attributes }));
  for (let start = 0; start < count; start += 10) {
    const Entries = [];
    for (let i = start; i < Math.min(count, start + 10); i++) Entries.push({ Id: `m${i}`, MessageBody: `body-${i}` });
    const { Failed = [] } = await sqs.send(new SendMessageBatchCommand({ QueueUrl, Entries }));
    assert.deepEqual(Failed, []);
  }
  return QueueUrl;
}

async function counts(QueueUrl) {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl,
      AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    }),
  );
  return [Number(Attributes.ApproximateNumberOfMessages), Number(Attributes.ApproximateNumberOfMessagesNotVisible)];
}

/** Runs `consumer` until `done()` is true (or 15 s pass), failing on any consumer error event. */
async function runUntil(consumer, done) {
  const errors = [];
  for (const event of ["error", "processing_error", "timeout_error"]) consumer.on(event, (e) => errors.push(e));
  consumer.start();
  const deadline = Date.now() + 15_000;
  while (!done() && Date.now() < deadline && errors.length === 0) await new Promise((ok) => setTimeout(ok, 50));
  const stopped = new Promise((ok) => consumer.once("stopped", ok));
  consumer.stop({ abort: true });
  await stopped;
  return errors;
}

test("handleMessage processes every message once and deletes it", async () => {
  const N = 25;
  const QueueUrl = await queueWith(N);
  const seen = [];
  const consumer = Consumer.create({
    queueUrl: QueueUrl,
    sqs,
    waitTimeSeconds: 1,
    messageAttributeNames: ["All"],
    handleMessage: async (message) => {
      seen.push(message.Body);
      return message;
    },
  });
  let deleted = 0;
  consumer.on("message_processed", () => deleted++);
  const errors = await runUntil(consumer, () => deleted >= N);
  assert.deepEqual(errors, []);
  assert.equal(seen.length, N);
  assert.deepEqual([...seen].sort(), Array.from({ length: N }, (_, i) => `body-${i}`).sort());
  assert.deepEqual(await counts(QueueUrl), [0, 0], "the queue ends empty");
});

test("handleMessageBatch processes batches and deletes them with DeleteMessageBatch", async () => {
  const N = 30;
  const QueueUrl = await queueWith(N);
  const seen = new Set();
  const sizes = [];
  const consumer = Consumer.create({
    queueUrl: QueueUrl,
    sqs,
    batchSize: 10,
    waitTimeSeconds: 1,
    handleMessageBatch: async (messages) => {
      sizes.push(messages.length);
      for (const m of messages) seen.add(m.Body);
      return messages;
    },
  });
  let processed = 0;
  consumer.on("message_processed", () => processed++);
  const errors = await runUntil(consumer, () => processed >= N);
  assert.deepEqual(errors, []);
  assert.equal(seen.size, N);
  assert.ok(sizes.every((n) => n >= 1 && n <= 10));
  assert.deepEqual(await counts(QueueUrl), [0, 0], "the queue ends empty");
});

test("a failed message is made visible again (terminateVisibilityTimeout) and retried", async () => {
  const QueueUrl = await queueWith(1, { VisibilityTimeout: "30" });
  let attempts = 0;
  const consumer = Consumer.create({
    queueUrl: QueueUrl,
    sqs,
    waitTimeSeconds: 1,
    terminateVisibilityTimeout: true,
    messageSystemAttributeNames: ["ApproximateReceiveCount"],
    handleMessage: async (message) => {
      attempts++;
      if (attempts === 1) throw new Error("first attempt fails");
      assert.equal(message.Attributes.ApproximateReceiveCount, "2");
      return message;
    },
  });
  let processed = 0;
  consumer.on("message_processed", () => processed++);
  const failures = [];
  consumer.on("processing_error", (e) => failures.push(e));
  consumer.start();
  const deadline = Date.now() + 15_000;
  while (processed < 1 && Date.now() < deadline) await new Promise((ok) => setTimeout(ok, 50));
  const stopped = new Promise((ok) => consumer.once("stopped", ok));
  consumer.stop({ abort: true });
  await stopped;
  assert.equal(failures.length, 1);
  assert.equal(attempts, 2, "the message came back at once instead of after 30 s");
  assert.deepEqual(await counts(QueueUrl), [0, 0]);
});

test("heartbeats (ChangeMessageVisibility) keep a slow message hidden past its visibility timeout", async () => {
  const QueueUrl = await queueWith(1, { VisibilityTimeout: "3" });
  let calls = 0;
  let duringHandling;
  const consumer = Consumer.create({
    queueUrl: QueueUrl,
    sqs,
    waitTimeSeconds: 1,
    visibilityTimeout: 3,
    heartbeatInterval: 1,
    handleMessage: async (message) => {
      calls++;
      await new Promise((ok) => setTimeout(ok, 4500)); // longer than the 3 s visibility timeout
      duringHandling = await counts(QueueUrl);
      return message;
    },
  });
  let processed = 0;
  consumer.on("message_processed", () => processed++);
  const errors = await runUntil(consumer, () => processed >= 1);
  assert.deepEqual(errors, []);
  assert.equal(calls, 1);
  assert.deepEqual(duringHandling, [0, 1], "ChangeMessageVisibility heartbeats kept the message hidden");
  assert.deepEqual(await counts(QueueUrl), [0, 0]);
});

test("a Consumer that builds its own SQS client from the environment (AWS_ENDPOINT_URL) works unchanged", async () => {
  const QueueUrl = await queueWith(3);
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL: wharf.endpoint,
    AWS_REGION: "us-east-1",
    AWS_ACCESS_KEY_ID: "test",
    AWS_SECRET_ACCESS_KEY: "test",
  });
  try {
    const seen = [];
    // No `sqs` option: sqs-consumer creates an SQSClient with only a region; the SDK takes the endpoint
    // and credentials from the environment, as an application deployed against Wharf would.
    const consumer = Consumer.create({
      queueUrl: QueueUrl,
      waitTimeSeconds: 1,
      handleMessage: async (message) => {
        seen.push(message.Body);
        return message;
      },
    });
    let processed = 0;
    consumer.on("message_processed", () => processed++);
    const errors = await runUntil(consumer, () => processed >= 3);
    assert.deepEqual(errors, []);
    assert.deepEqual(seen.sort(), ["body-0", "body-1", "body-2"]);
    assert.deepEqual(await counts(QueueUrl), [0, 0]);
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
});
