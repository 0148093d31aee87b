#!/usr/bin/python3
"""Independent reference for the Java GPT-2 block (Gpt2ReferenceTest).

A hand-written float32 PyTorch implementation of transformers' GPT2LMHeadModel forward in eval mode
(written from transformers' models/gpt2/modeling_gpt2.py; transformers itself is not needed):
token plus learned position embeddings, pre-LN blocks (ln_1, attention through Conv1D c_attn and
c_proj with the causal mask filled with the dtype's minimum, ln_2, MLP c_fc, gelu_new, c_proj), ln_f,
and an LM head tied to wte. Conv1D weights are (in, out) and compute x @ W + b.

  gpt2_reference.py OUT   writes into OUT:
      config.json         a Hugging Face GPT-2 config of a tiny random model
      model.safetensors   its weights, float32, under GPT2LMHeadModel's state-dict names
                          (transformer.*, without the tied lm_head.weight)
      hub.safetensors     the same weights as Hugging Face GPT-2 checkpoints are found stored: names
                          without "transformer.", the causal-mask buffers h.i.attn.bias and
                          h.i.attn.masked_bias, and lm_head.weight equal to wte.weight
      untied.safetensors  as hub.safetensors with an lm_head.weight that differs from wte.weight
      expected.json       input ids [B, T], log_softmax of the logits [B, T, V], the mean next-token
                          cross-entropy over the ids and its gradient for a few parameters
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_reference import write_file  # noqa: E402

CONFIG = {
    "model_type": "gpt2",
    "architectures": ["GPT2LMHeadModel"],
    "activation_function": "gelu_new",
    "vocab_size": 100,
    "n_positions": 64,
    "n_embd": 32,
    "n_layer": 2,
    "n_head": 4,
    "n_inner": None,
    "layer_norm_epsilon": 1e-5,
    "scale_attn_weights": True,
    "scale_attn_by_inverse_layer_idx": False,
    "reorder_and_upcast_attn": False,
    "tie_word_embeddings": True,
}

GRADIENTS = ["transformer.wte.weight", "transformer.wpe.weight", "transformer.h.0.attn.c_attn.weight",
             "transformer.h.1.mlp.c_fc.bias",
             "transformer.ln_f.weight"]


def parameters(config, generator):
    """Random weights by name and shape; norms and biases random too, so that no term is trivial."""
    d, inner = config["n_embd"], config["n_inner"] or 4 * config["n_embd"]
    shapes = {"transformer.wte.weight": (config["vocab_size"], d), "transformer.wpe.weight": (config["n_positions"], d)}
    for i in range(config["n_layer"]):
        h = "transformer.h.%d." % i
        shapes.update({
            h + "ln_1.weight": (d,), h + "ln_1.bias": (d,),
            h + "attn.c_attn.weight": (d, 3 * d), h + "attn.c_attn.bias": (3 * d,),
            h + "attn.c_proj.weight": (d, d), h + "attn.c_proj.bias": (d,),
            h + "ln_2.weight": (d,), h + "ln_2.bias": (d,),
            h + "mlp.c_fc.weight": (d, inner), h + "mlp.c_fc.bias": (inner,),
            h + "mlp.c_proj.weight": (inner, d), h + "mlp.c_proj.bias": (d,),
        })
    shapes.update({"transformer.ln_f.weight": (d,), "transformer.ln_f.bias": (d,)})
    params = {}
    for name, shape in shapes.items():
        if name.endswith("ln_1.weight") or name.endswith("ln_2.weight") or name.endswith("ln_f.weight"):
            value = 1 + 0.1 * torch.randn(shape, generator=generator)
        elif name.endswith(".bias"):
            value = 0.1 * torch.randn(shape, generator=generator)
        else:
            value = 0.2 * torch.randn(shape, generator=generator)
        params[name] = value.float().requires_grad_(True)
    return params


def conv1d(x, weight, bias):
    """transformers' Conv1D: weight (in, out), x @ W + b."""
    return torch.addmm(bias, x.reshape(-1, x.size(-1)), weight).view(x.size()[:-1] + (weight.size(-1),))


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def attention(config, p, h, x):
    batch, length, d = x.shape
    heads = config["n_head"]
    head_dim = d // heads
    query, key, value = conv1d(x, p[h + "attn.c_attn.weight"], p[h + "attn.c_attn.bias"]).split(d, dim=2)

    def split_heads(t):
        return t.view(batch, length, heads, head_dim).permute(0, 2, 1, 3)

    query, key, value = split_heads(query), split_heads(key), split_heads(value)
    weights = torch.matmul(query, key.transpose(-1, -2)) / torch.full([], value.size(-1) ** 0.5)
    causal = torch.tril(torch.ones((length, length), dtype=torch.bool)).view(1, 1, length, length)
    weights = torch.where(causal, weights, torch.full([], torch.finfo(weights.dtype).min))
    weights = torch.softmax(weights, dim=-1)
    out = torch.matmul(weights, value).permute(0, 2, 1, 3).contiguous().view(batch, length, d)
    return conv1d(out, p[h + "attn.c_proj.weight"], p[h + "attn.c_proj.bias"])


def forward(config, p, ids):
    eps = config["layer_norm_epsilon"]
    d = config["n_embd"]
    length = ids.size(1)
    positions = torch.arange(0, length, dtype=torch.long).unsqueeze(0)
    x = p["transformer.wte.weight"][ids] + p["transformer.wpe.weight"][positions]
    for i in range(config["n_layer"]):
        h = "transformer.h.%d." % i
        residual = x
        x = torch.nn.functional.layer_norm(x, (d,), p[h + "ln_1.weight"], p[h + "ln_1.bias"], eps)
        x = residual + attention(config, p, h, x)
        residual = x
        x = torch.nn.functional.layer_norm(x, (d,), p[h + "ln_2.weight"], p[h + "ln_2.bias"], eps)
        x = gelu_new(conv1d(x, p[h + "mlp.c_fc.weight"], p[h + "mlp.c_fc.bias"]))
        x = residual + conv1d(x, p[h + "mlp.c_proj.weight"], p[h + "mlp.c_proj.bias"])
    x = torch.nn.functional.layer_norm(x, (d,), p["transformer.ln_f.weight"], p["transformer.ln_f.bias"], eps)
    return torch.matmul(x, p["transformer.wte.weight"].t())


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    generator = torch.Generator().manual_seed(1515)
    params = parameters(CONFIG, generator)
    ids = torch.randint(0, CONFIG["vocab_size"], (2, 17), generator=generator)
    logits = forward(CONFIG, params, ids)
    log_probs = torch.log_softmax(logits, dim=-1)
    # GPT2LMHeadModel's loss with labels = ids: position t predicts token t + 1, averaged
    loss = torch.nn.functional.cross_entropy(
        logits[:, :-1, :].reshape(-1, CONFIG["vocab_size"]), ids[:, 1:].reshape(-1))
    loss.backward()
    with open(os.path.join(out, "config.json"), "w") as file:
        json.dump(CONFIG, file, indent=2)
    write_file(os.path.join(out, "model.safetensors"),
               [(name, "F32", value.detach()) for name, value in params.items()], metadata={"format": "pt"})
    hub = []
    for name, value in params.items():
        hub.append((name[len("transformer."):], "F32", value.detach()))
        if name.endswith("ln_1.bias"):
            length = CONFIG["n_positions"]
            prefix = name[len("transformer."):-len("ln_1.bias")]
            hub.append((prefix + "attn.bias", "F32", torch.tril(torch.ones(length, length)).view(1, 1, length, length)))
            hub.append((prefix + "attn.masked_bias", "F32", torch.tensor(-1e4)))
    wte = params["transformer.wte.weight"].detach()
    write_file(os.path.join(out, "hub.safetensors"), hub + [("lm_head.weight", "F32", wte)], metadata={"format": "pt"})
    write_file(os.path.join(out, "untied.safetensors"), hub + [("lm_head.weight", "F32", wte + 0.001)],
               metadata={"format": "pt"})
    expected = {
        "ids": ids.tolist(),
        "log_probs": log_probs.detach().flatten().tolist(),
        "loss": loss.item(),
        "gradients": {name: params[name].grad.flatten().tolist() for name in GRADIENTS},
    }
    with open(os.path.join(out, "expected.json"), "w") as file:
        json.dump(expected, file)
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
