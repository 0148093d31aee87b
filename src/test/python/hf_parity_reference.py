#!/usr/bin/python3
"""Independent reference for PretrainedParityTest: tiny random Hugging Face model folders, as
transformers' save_pretrained writes them, with what torch computes from them before and after one
Adafactor step.

The forwards are the hand-written float32 ones of gpt2_reference.py and llama_reference.py (written
from transformers' modeling_gpt2.py, modeling_llama.py, modeling_qwen2.py and modeling_qwen3.py); the
llama family's token embedding is F.embedding with padding_idx = pad_token_id, as transformers'
nn.Embedding(vocab, hidden, padding_idx) is, so that the pad row gets no gradient from the lookup.
The loss is the Java MaskedCrossEntropy's: targets [B, T] (the next token), a float mask [B, T], and
-sum(mask * log_softmax(logits)[target]) / max(sum(mask), 1). The optimizer is Adafactor written here
from docs/adafactor.md (float64 math on the float32 weights and gradients, rounded back to float32),
one step (t = 1) from zero state.

  hf_parity_reference.py OUT   writes OUT/<name>/ for gpt2, llama, qwen2 and qwen3:
      config.json                   a Hugging Face config of a tiny random model
      model.safetensors             its weights (gpt2, qwen3: float32; qwen2: BF16, the dtype transformers
                                    writes a bf16 model in), or for llama the shards
      model-0000i-of-00002.safetensors + model.safetensors.index.json  (float32, as transformers shards:
                                    tensors in state-dict order, a new shard when the size limit is hit,
                                    the index's metadata.total_size and weight_map)
      after.safetensors             every parameter after the step, float32, by its Hugging Face name
      expected.json                 ids, targets and mask [B, T]; log_softmax of the logits before the step
                                    [B, T, V] flattened; the loss; the Adafactor options used

gpt2 is stored as GPT2LMHeadModel saves it (transformer.* names, no lm_head: tied). qwen3 is tied (as
Qwen3-0.6B) and its file also holds what older or other savers wrote and from_pretrained accepts: an
lm_head.weight equal to embed_tokens and the rotary_emb.inv_freq buffers of transformers before 4.31.
The BF16 model computes from its bf16-rounded weights, widened to float32.
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_reference  # noqa: E402
import llama_reference  # noqa: E402
from safetensors_reference import to_bytes, write_file  # noqa: E402

BATCH, LENGTH = 2, 12

LLAMA_COMMON = dict(llama_reference.COMMON)

CONFIGS = {
    "gpt2": dict(gpt2_reference.CONFIG),
    # untied, every optional bias, a pad_token_id whose row must not train through the lookup; sharded
    "llama": dict(LLAMA_COMMON, model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=500.0,
                  attention_bias=True, mlp_bias=True, tie_word_embeddings=False, pad_token_id=3,
                  torch_dtype="float32"),
    # tied, q/k/v biases; stored in bfloat16
    "qwen2": dict(LLAMA_COMMON, model_type="qwen2", architectures=["Qwen2ForCausalLM"], rope_theta=10000.0,
                  tie_word_embeddings=True, use_sliding_window=False, rms_norm_eps=1e-5, torch_dtype="bfloat16"),
    # tied, head_dim 16, q_norm and k_norm
    "qwen3": dict(LLAMA_COMMON, model_type="qwen3", architectures=["Qwen3ForCausalLM"], rope_theta=1000000.0,
                  head_dim=16, attention_bias=False, tie_word_embeddings=True, use_sliding_window=False,
                  torch_dtype="float32"),
}

# Adafactor options per model, as AdafactorOptions names them. Every step is far above the 1e-4
# tolerance: relative steps move a weight by about 1e-2 RMS(X), the fixed rate by 1e-3.
DEFAULTS = {"relative_step": True, "scale_parameter": True, "warmup_init": False, "lr": None,
            "decay_rate": 0.8, "clip_threshold": 1.0, "eps1": 1e-30, "eps2": 1e-3, "weight_decay": 0.0}
OPTIMIZERS = {
    # GPT-2's key bias has a gradient of exactly 0 in exact arithmetic (softmax ignores a score added to
    # every key), so its float32 gradient is rounding noise (about 1e-8 here, the other gradients 1e-3
    # and more), and with eps1 = 1e-30 an unfactored update G / sqrt(G^2 + eps1) is the noise's sign,
    # +-alpha in torch and in Java alike: eps1 = 1e-10 keeps that update near 1e-6
    "gpt2": dict(DEFAULTS, eps1=1e-10),
    "llama": dict(DEFAULTS),
    # the T5 fine-tuning recipe: a fixed rate, no parameter scaling
    "qwen2": dict(DEFAULTS, relative_step=False, scale_parameter=False, lr=1e-3),
    "qwen3": dict(DEFAULTS, weight_decay=0.1),
}


def rms(x):
    return x.pow(2).mean().sqrt()


def adafactor_step(params, options, t=1):
    """One step of docs/adafactor.md from zero state, in float64; returns the new float32 weights."""
    rho = min(1e-6 * t if options["warmup_init"] else 1e-2, 1 / math.sqrt(t)) if options["relative_step"] \
        else options["lr"]
    beta2t = 1 - t ** -options["decay_rate"]
    result = {}
    for name, p in params.items():
        x = p.detach().double()
        g = p.grad.double() if p.grad is not None else torch.zeros_like(x)
        alpha = max(options["eps2"], rms(x).item()) * rho if options["scale_parameter"] else rho
        g2 = g * g + options["eps1"]
        if x.dim() >= 2:
            r = (1 - beta2t) * g2.sum(-1)
            c = (1 - beta2t) * g2.sum(-2)
            v = r[..., :, None] * c[..., None, :] / r.sum(-1)[..., None, None]
        else:
            v = (1 - beta2t) * g2
        u = g / v.sqrt()
        u = u / max(1.0, rms(u).item() / options["clip_threshold"])
        s = alpha * u
        if options["weight_decay"] > 0:
            x = x - options["weight_decay"] * alpha * x
        result[name] = (x - s).float()
    return result


def llama_forward(config, p, ids):
    """llama_reference.forward with the embedding as nn.Embedding(padding_idx=pad_token_id) computes it."""
    eps = config["rms_norm_eps"]
    x = torch.nn.functional.embedding(ids, p["model.embed_tokens.weight"], padding_idx=config.get("pad_token_id"))
    cos, sin = llama_reference.rope(config, ids.size(1))
    for i in range(config["num_hidden_layers"]):
        layer = "model.layers.%d." % i
        h = llama_reference.rms_norm(x, p[layer + "input_layernorm.weight"], eps)
        x = x + llama_reference.attention(config, p, layer, h, cos, sin)
        h = llama_reference.rms_norm(x, p[layer + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(llama_reference.linear(p, layer + "mlp.gate_proj", h))
        x = x + llama_reference.linear(p, layer + "mlp.down_proj", gate * llama_reference.linear(p, layer + "mlp.up_proj", h))
    x = llama_reference.rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if config["tie_word_embeddings"] else p["lm_head.weight"]
    return torch.matmul(x, head.t())


def batch(config, generator):
    """ids [B, T]; targets: the next token; mask: row 0 leaves out a 3-token prompt, row 1 ends in padding."""
    vocab = config["vocab_size"]
    ids = torch.randint(0, vocab, (BATCH, LENGTH), generator=generator)
    pad = config.get("pad_token_id")
    if pad is not None:
        ids[0, 5] = pad  # a real token equal to the pad id: its row still gets no gradient from the lookup
        ids[1, LENGTH - 4:] = pad
    targets = torch.zeros_like(ids)
    targets[:, :-1] = ids[:, 1:]
    mask = torch.ones(BATCH, LENGTH)
    mask[:, -1] = 0
    mask[0, :3] = 0
    mask[1, LENGTH - 5:] = 0
    return ids, targets, mask


def masked_cross_entropy(logits, targets, mask):
    picked = torch.log_softmax(logits, dim=-1).gather(-1, targets.unsqueeze(-1)).squeeze(-1)
    return -(picked * mask).sum() / mask.sum().clamp(min=1)


def plan_shards(tensors, shard_bytes):
    """transformers' sharding: state-dict order, a new shard once the next tensor would pass the limit."""
    shards, current, size = [], [], 0
    for name, value in tensors:
        nbytes = value.numel() * 4
        if current and size + nbytes > shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append((name, "F32", value))
        size += nbytes
    shards.append(current)
    return shards


def write_sharded(folder, tensors):
    """Two shards: the smallest size limit (in 5% steps of the total) that gives two."""
    total = sum(v.numel() * 4 for _, v in tensors)
    shards = next(s for s in (plan_shards(tensors, total * f // 20) for f in range(10, 20)) if len(s) == 2)
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        file_name = "model-%05d-of-%05d.safetensors" % (i + 1, len(shards))
        write_file(os.path.join(folder, file_name), shard, metadata={"format": "pt"})
        for name, _, value in shard:
            weight_map[name] = file_name
            total += len(to_bytes(value))
    with open(os.path.join(folder, "model.safetensors.index.json"), "w") as file:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, file, indent=2)
    return len(shards)


def main(out):
    torch.set_default_dtype(torch.float32)
    generator = torch.Generator().manual_seed(1517)
    for name, config in CONFIGS.items():
        folder = os.path.join(out, name)
        os.makedirs(folder, exist_ok=True)
        gpt2 = name == "gpt2"
        if gpt2:
            params = {k: v.detach() for k, v in gpt2_reference.parameters(config, generator).items()}
        else:
            params = llama_reference.parameters(config, generator)
        stored_type = "BF16" if config.get("torch_dtype") == "bfloat16" else "F32"
        if stored_type == "BF16":
            params = {k: v.to(torch.bfloat16).float() for k, v in params.items()}
        params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
        ids, targets, mask = batch(config, generator)
        forward = gpt2_reference.forward if gpt2 else llama_forward
        logits = forward(config, params, ids)
        loss = masked_cross_entropy(logits, targets, mask)
        loss.backward()
        options = OPTIMIZERS[name]
        after = adafactor_step(params, options)

        with open(os.path.join(folder, "config.json"), "w") as file:
            json.dump(config, file, indent=2)
        tensors = [(k, v.detach()) for k, v in params.items()]
        if name == "llama":
            write_sharded(folder, tensors)
        else:
            stored = [(k, stored_type, v) for k, v in tensors]
            if name == "qwen3":
                stored.append(("lm_head.weight", "F32", params["model.embed_tokens.weight"].detach()))
                hd = llama_reference.head_dim(config)
                inv_freq = 1.0 / (config["rope_theta"] ** (torch.arange(0, hd, 2, dtype=torch.int64).float() / hd))
                for i in range(config["num_hidden_layers"]):
                    stored.append(("model.layers.%d.self_attn.rotary_emb.inv_freq" % i, "F32", inv_freq))
            write_file(os.path.join(folder, "model.safetensors"), stored, metadata={"format": "pt"})
        write_file(os.path.join(folder, "after.safetensors"), [(k, "F32", v) for k, v in after.items()])
        moved = max((after[k] - params[k].detach()).abs().max().item() for k in after)
        with open(os.path.join(folder, "expected.json"), "w") as file:
            json.dump({
                "ids": ids.tolist(),
                "targets": targets.tolist(),
                "mask": mask.tolist(),
                "log_probs": torch.log_softmax(logits, dim=-1).detach().flatten().tolist(),
                "loss": loss.item(),
                "max_weight_change": moved,
                "adafactor": options,
            }, file)
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
