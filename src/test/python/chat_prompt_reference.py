#!/usr/bin/python3
"""Renders a chat template as transformers' apply_chat_template does (add_generation_prompt=True), with
Debian's python3-jinja2: a sandboxed environment, trim_blocks and lstrip_blocks, raise_exception.

  chat_prompt_reference.py TEMPLATE MESSAGES OUT
      TEMPLATE  a file holding the Jinja template
      MESSAGES  a JSON file: a list of {"role", "content"}
      OUT       written: the rendered prompt (UTF-8, as is)
"""
import json
import sys

from jinja2.exceptions import TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment


def raise_exception(message):
    raise TemplateError(message)


def main():
    template_file, messages_file, out = sys.argv[1:4]
    with open(template_file, encoding="utf-8") as f:
        source = f.read()
    with open(messages_file, encoding="utf-8") as f:
        messages = json.load(f)
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    text = env.from_string(source).render(messages=messages, add_generation_prompt=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()
