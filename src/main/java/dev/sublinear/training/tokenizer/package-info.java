/**
 * Hugging Face tokenizers: {@link dev.sublinear.training.tokenizer.HfTokenizer} loads a {@code
 * tokenizer.json} (and its {@code tokenizer_config.json}) offline through DJL's bundled native
 * library, behind the training layer's {@link dev.sublinear.training.data.Tokenizer} interface;
 * {@link dev.sublinear.training.tokenizer.Gpt2TokenizerJson} assembles GPT-2's {@code tokenizer.json}
 * from its original {@code encoder.json} and {@code vocab.bpe}.
 */
package dev.sublinear.training.tokenizer;
