// Takes a fine-tuning job through the service with the official OpenAI Node SDK, as a user would, and
// prints what the SDK gave back as one JSON object on stdout: OpenAiFineTuningSdkTest (Java) asserts on it.
// A step that throws is recorded under `failures` and the rest still run, so one run shows every refusal.
// Usage: node fine-tuning.mjs '{"baseURL", "apiKey", "model", "trainingFile", "validationFile",
//                               "batchSize", "interval"}'
import fs from "node:fs";
import path from "node:path";
import OpenAI, { toFile } from "openai";

const plan = JSON.parse(process.argv[2]);
const client = new OpenAI({ baseURL: plan.baseURL, apiKey: plan.apiKey, maxRetries: 0, timeout: 120_000 });
const result = {};
const sleep = (ms) => new Promise((done) => setTimeout(done, ms));
const ended = ["succeeded", "failed", "cancelled"];

async function until(id, done, what) {
  const deadline = Date.now() + 240_000;
  for (;;) {
    const job = await client.fineTuning.jobs.retrieve(id);
    if (done(job)) {
      return job;
    }
    if (Date.now() > deadline) {
      throw new Error(`job ${id} did not become ${what}: ${JSON.stringify(job)}`);
    }
    await sleep(100);
  }
}

function described(e) {
  return {
    thrown: true, name: e.constructor.name, status: e.status, code: e.code, param: e.param, type: e.type,
    message: e.message,
    notFoundError: e instanceof OpenAI.NotFoundError,
    badRequestError: e instanceof OpenAI.BadRequestError,
    authenticationError: e instanceof OpenAI.AuthenticationError,
  };
}

async function refusal(call) {
  try {
    await call();
    return { thrown: false };
  } catch (e) {
    if (!(e instanceof OpenAI.APIError)) {
      throw e;
    }
    return described(e);
  }
}

// One step of the tour: what it throws is recorded under its name in `failures`, and the tour goes on.
async function step(name, run) {
  try {
    await run();
  } catch (e) {
    result.failures = result.failures ?? {};
    result.failures[name] = e instanceof OpenAI.APIError ? described(e) : { message: String(e?.stack ?? e) };
  }
}

async function upload(file) {
  const name = path.basename(file);
  return client.files.create({ file: await toFile(fs.createReadStream(file), name), purpose: "fine-tune" });
}

// upload, and list files oldest first two a page (the SDK fetches every page in `for await`)
const training = await upload(plan.trainingFile);
const validation = await upload(plan.validationFile);
result.upload = training;
await step("filesList", async () => {
  const ascending = [];
  for await (const f of client.files.list({ purpose: "fine-tune", order: "asc", limit: 2 })) {
    ascending.push(f.id);
  }
  result.filesAscending = ascending.indexOf(training.id) >= 0
    && ascending.indexOf(training.id) + 1 === ascending.indexOf(validation.id);
});

// the deprecated top-level form, our own settings beside OpenAI's
const extensions = { eval_interval_steps: plan.interval, checkpoint_interval_steps: plan.interval };
const common = { model: plan.model, training_file: training.id, validation_file: validation.id, suffix: "node", seed: 3 };
const created = await client.fineTuning.jobs.create({
  ...common, metadata: { suite: "node", run: "top-level" },
  hyperparameters: { n_epochs: 1, batch_size: plan.batchSize, ...extensions },
});
// the current form, the same settings: the same job, cancelled before it trains
await step("methodForm", async () => {
  const methodForm = await client.fineTuning.jobs.create({
    ...common, metadata: { suite: "node", run: "method" },
    method: { type: "supervised", supervised: { hyperparameters: { n_epochs: 1, batch_size: plan.batchSize, ...extensions } } },
  });
  await client.fineTuning.jobs.cancel(methodForm.id);
  result.methodForm = { hyperparameters: methodForm.hyperparameters, method: methodForm.method };
  result.sameJob = JSON.stringify(methodForm.hyperparameters) === JSON.stringify(created.hyperparameters)
    && JSON.stringify(methodForm.method) === JSON.stringify(created.method);
  result.methodFormCancelled = (await until(methodForm.id, (j) => ended.includes(j.status), "cancelled")).status;
});

const finished = await until(created.id, (j) => ended.includes(j.status), "finished");
result.finished = finished;

await step("events", async () => {
  result.events = [];
  for await (const event of client.fineTuning.jobs.listEvents(created.id, { limit: 3 })) {
    if (!result.events.includes(event.type)) {
      result.events.push(event.type);
    }
    if (event.type === "metrics" && !result.metricsEvent) {
      result.metricsEvent = event;
    }
  }
});

await step("checkpoints", async () => {
  result.checkpoints = [];
  for await (const checkpoint of client.fineTuning.jobs.checkpoints.list(created.id, { limit: 1 })) {
    result.checkpoints.push(checkpoint);
  }
});

await step("results", async () => {
  result.results = await (await client.files.content(finished.result_files[0])).text();
});

// pause a running job, resume it, cancel it
await step("pause", async () => {
  const long = await client.fineTuning.jobs.create({
    model: plan.model, training_file: training.id, metadata: { suite: "node", run: "pause" },
    hyperparameters: { n_epochs: 1000, batch_size: plan.batchSize },
  });
  try {
    await until(long.id, (j) => j.status === "running" && j.progress?.step > 0, "running");
    result.pause = { requested: (await client.fineTuning.jobs.pause(long.id)).status };
    const paused = await until(long.id, (j) => j.status === "paused", "paused");
    result.pause.paused = paused.status;
    result.pause.resumed = (await client.fineTuning.jobs.resume(long.id)).status;
    await until(long.id, (j) => j.status === "running" && j.progress?.step > paused.progress.step, "running again");
  } finally {
    await client.fineTuning.jobs.cancel(long.id);
    result.pause = result.pause ?? {};
    result.pause.cancelled = (await until(long.id, (j) => ended.includes(j.status), "cancelled")).status;
  }
});

// listed once a job with other metadata exists (the paused one), so the filter has something to leave out
await step("jobsList", async () => {
  result.listedByMetadata = [];
  for await (const job of client.fineTuning.jobs.list({ limit: 1, metadata: { suite: "node", run: "top-level" } })) {
    result.listedByMetadata.push(job.id);
  }
  result.listedAll = [];
  for await (const job of client.fineTuning.jobs.list({ limit: 2 })) {
    result.listedAll.push(job.id);
  }
});

await step("delete", async () => {
  const extra = await upload(plan.validationFile);
  result.deleted = await client.files.delete(extra.id);
});

result.errors = {
  notFound: await refusal(() => client.fineTuning.jobs.retrieve("ftjob-doesnotexist")),
  nEpochsZero: await refusal(() => client.fineTuning.jobs.create({
    model: plan.model, training_file: training.id, hyperparameters: { n_epochs: 0 },
  })),
  dpo: await refusal(() => client.fineTuning.jobs.create({
    model: plan.model, training_file: training.id, method: { type: "dpo", dpo: {} },
  })),
  numberSuffix: await refusal(() => client.fineTuning.jobs.create({
    model: plan.model, training_file: training.id, suffix: 5,
  })),
  badKey: await refusal(() => new OpenAI({ baseURL: plan.baseURL, apiKey: "sl-not-a-key-0123456789abcdef", maxRetries: 0 })
    .files.list()),
};

process.stdout.write(JSON.stringify(result));
