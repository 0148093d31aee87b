"""Reference renders of chat templates by Jinja2 (Debian's python3-jinja2), configured as transformers'
chat_template_utils configures it: an immutable sandbox with trim_blocks, lstrip_blocks and loop controls,
raise_exception, strftime_now and a tojson that is json.dumps(ensure_ascii=False).

Reads JSON from the file named by its first argument: {"template": str, "variables": {...special tokens...}, "cases": [{"messages": [...],
"add_generation_prompt": bool}]}. Writes JSON to the file named by its second argument: for each case {"text": str} or {"error": str}; with
"spans": true in a case also the assistant turns' character spans found by rendering message prefixes
(the rule documented in docs/data.md), each [start, end, weight].
"""
import json
import sys
from datetime import datetime

import jinja2
from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return datetime.now().strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def render(template, variables, messages, add_generation_prompt):
    turns = [{"role": m["role"], "content": m["content"]} for m in messages]
    return template.render(messages=turns, add_generation_prompt=add_generation_prompt, tools=None,
                           documents=None, **variables)


def spans(template, variables, messages):
    """Each trained-or-not assistant turn's [start, end) in the full render, from prefix renders."""
    full = render(template, variables, messages, False)
    out = []
    for i, m in enumerate(messages):
        if m["role"] != "assistant":
            continue
        before = render(template, variables, messages[:i], True)
        if not full.startswith(before):
            raise ValueError("turn %d: the generation prompt render is not a prefix" % i)
        start = len(before)
        through = render(template, variables, messages[:i + 1], False)
        turn = through[start:]
        if full.startswith(through):
            end = len(through)
        else:
            # the turn as the template writes a last turn may open differently (Qwen3's empty think
            # block): its longest suffix that the full render continues with at start
            end = None
            for k in range(len(turn) + 1):
                if full.startswith(turn[k:], start) and k < len(turn):
                    end = start + len(turn) - k
                    break
            if end is None:
                raise ValueError("turn %d: not found in the full render" % i)
        while end > start and full[end - 1] in " \t\r\n":
            end -= 1
        weight = m.get("weight", 1)
        out.append([start, end, 1 if weight is None else weight])
    return full, out


def main():
    with open(sys.argv[1], encoding="utf-8") as f:
        request = json.load(f)
    template = environment().from_string(request["template"])
    variables = request.get("variables", {})
    results = []
    for case in request["cases"]:
        try:
            if case.get("spans"):
                full, found = spans(template, variables, case["messages"])
                results.append({"text": full, "spans": found})
            else:
                results.append({"text": render(template, variables, case["messages"],
                                               case["add_generation_prompt"])})
        except Exception as e:  # noqa: BLE001 - the error's text is the answer
            results.append({"error": "%s: %s" % (type(e).__name__, e)})
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)


if __name__ == "__main__":
    main()
