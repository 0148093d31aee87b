// Drives the service with the official OpenAI Node SDK, as a user would, and prints what the SDK
// parsed as one JSON object on stdout: OpenAiSdkTest (Java) asserts on it.
// Usage: node drive.mjs '{"baseURL": "...", "apiKey": "...", "model": "...", "prompt": "...", "messages": [...]}'
import OpenAI from "openai";

const plan = JSON.parse(process.argv[2]);
const client = new OpenAI({ baseURL: plan.baseURL, apiKey: plan.apiKey, maxRetries: 0, timeout: 120_000 });
const result = {};

result.completion = await client.completions.create({
  model: plan.model, prompt: plan.prompt, max_tokens: plan.maxTokens, temperature: 0, logprobs: 2, echo: true,
});

// the same greedy completion, streamed: chunks as the SDK's async iterator yields them
const completionStream = await client.completions.create({
  model: plan.model, prompt: plan.prompt, max_tokens: plan.maxTokens, temperature: 0, stream: true,
});
result.completionStream = { chunks: [] };
for await (const chunk of completionStream) {
  result.completionStream.chunks.push(chunk);
}

result.chat = await client.chat.completions.create({
  model: plan.model, messages: plan.messages, max_completion_tokens: plan.maxTokens, temperature: 0,
  logprobs: true, top_logprobs: 2,
});

const chatStream = await client.chat.completions.create({
  model: plan.model, messages: plan.messages, max_completion_tokens: plan.maxTokens, temperature: 0,
  stream: true, stream_options: { include_usage: true },
});
result.chatStream = { chunks: [] };
for await (const chunk of chatStream) {
  result.chatStream.chunks.push(chunk);
}

// a refused request reaches the SDK's user as the SDK's own error, with the status and the problem's words
try {
  await client.chat.completions.create({ model: "no-such-model", messages: plan.messages });
  result.unknownModel = { thrown: false };
} catch (e) {
  result.unknownModel = { thrown: true, type: e.constructor.name, status: e.status, message: e.message };
}

process.stdout.write(JSON.stringify(result));
