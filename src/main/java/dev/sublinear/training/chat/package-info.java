/**
 * Conversations and the chat templates that turn them into a model's prompt: a model's own Jinja
 * template (from its {@code tokenizer_config.json} or {@code chat_template.jinja}), rendered by a
 * Jinja engine as transformers' {@code apply_chat_template} renders it.
 */
package dev.sublinear.training.chat;
