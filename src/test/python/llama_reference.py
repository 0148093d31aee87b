#!/usr/bin/python3
"""Independent reference for the Java llama-family block (LlamaReferenceTest).

A hand-written float32 PyTorch implementation, in eval mode, of the forwards of transformers'
LlamaForCausalLM, Qwen2ForCausalLM and Qwen3ForCausalLM (written from transformers'
models/llama/modeling_llama.py, models/qwen2/modeling_qwen2.py and models/qwen3/modeling_qwen3.py;
transformers itself is not needed): token embedding, pre-norm decoder layers (RMSNorm in float32,
attention with q/k/v/o nn.Linear projections, rotate-half RoPE, grouped-query attention with k and v
repeated, causal mask filled with the dtype's minimum, RMSNorm, SwiGLU MLP), a final RMSNorm and an
LM head that is lm_head.weight or, tied, embed_tokens. The llama3 rope_scaling type (Llama 3.1 and
later) rescales the rotary frequencies as transformers' modeling_rope_utils does. qwen2 has q/k/v biases; qwen3 has an RMSNorm
over each head of q and k (q_norm, k_norm) before RoPE and an explicit head_dim.

  llama_reference.py OUT   writes, for each of llama, qwen2, qwen3 and llama3 (a llama with llama 3.1's
                           rope_scaling), into OUT/<name>/:
      config.json         a Hugging Face config of a tiny random model
      model.safetensors   its weights, float32, under the model's state-dict names
      expected.json       input ids [B, T] and log_softmax of the logits [B, T, V]
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_reference import write_file  # noqa: E402

COMMON = {
    "vocab_size": 100,
    "hidden_size": 32,
    "intermediate_size": 64,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 64,
    "hidden_act": "silu",
    "rms_norm_eps": 1e-6,
    "rope_scaling": None,
    "attention_dropout": 0.0,
}

CONFIGS = {
    # untied, with every optional bias, a non-default rope_theta
    "llama": dict(COMMON, model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=500.0,
                  attention_bias=True, mlp_bias=True, tie_word_embeddings=False, pretraining_tp=1),
    # tied; q/k/v biases always on, o_proj without
    "qwen2": dict(COMMON, model_type="qwen2", architectures=["Qwen2ForCausalLM"], rope_theta=10000.0,
                  tie_word_embeddings=True, use_sliding_window=False, rms_norm_eps=1e-5),
    # untied; head_dim 16, not hidden_size / num_attention_heads = 8; q_norm and k_norm
    "qwen3": dict(COMMON, model_type="qwen3", architectures=["Qwen3ForCausalLM"], rope_theta=1000000.0,
                  head_dim=16, attention_bias=False, tie_word_embeddings=False, use_sliding_window=False),
    # llama 3.1's rope_scaling; with head_dim 8 and theta 500 the wavelengths 2 pi / inv_freq are 6.3, 30
    # (high frequency: kept), 140 (between 256 / 4 and 256 / 1: smoothed) and 664 (low: divided by 8)
    "llama3": dict(COMMON, model_type="llama", architectures=["LlamaForCausalLM"], rope_theta=500.0,
                   rope_scaling={"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                                 "high_freq_factor": 4.0, "original_max_position_embeddings": 256},
                   tie_word_embeddings=True),
}


def head_dim(config):
    return config.get("head_dim") or config["hidden_size"] // config["num_attention_heads"]


def biases(config):
    """(q/k/v bias, o bias, mlp bias) as each modeling file builds its nn.Linear layers."""
    if config["model_type"] == "qwen2":
        return True, False, False
    attention = config.get("attention_bias", False)
    return attention, attention, config.get("mlp_bias", False)


def shapes(config):
    d, inner, vocab = config["hidden_size"], config["intermediate_size"], config["vocab_size"]
    hd = head_dim(config)
    q, kv = config["num_attention_heads"] * hd, config["num_key_value_heads"] * hd
    qkv_bias, o_bias, mlp_bias = biases(config)
    result = {"model.embed_tokens.weight": (vocab, d)}
    for i in range(config["num_hidden_layers"]):
        layer = "model.layers.%d." % i
        for name, out, inp, bias in [("self_attn.q_proj", q, d, qkv_bias), ("self_attn.k_proj", kv, d, qkv_bias),
                                     ("self_attn.v_proj", kv, d, qkv_bias), ("self_attn.o_proj", d, q, o_bias)]:
            result[layer + name + ".weight"] = (out, inp)
            if bias:
                result[layer + name + ".bias"] = (out,)
        if config["model_type"] == "qwen3":
            result[layer + "self_attn.q_norm.weight"] = (hd,)
            result[layer + "self_attn.k_norm.weight"] = (hd,)
        for name, out, inp in [("mlp.gate_proj", inner, d), ("mlp.up_proj", inner, d), ("mlp.down_proj", d, inner)]:
            result[layer + name + ".weight"] = (out, inp)
            if mlp_bias:
                result[layer + name + ".bias"] = (out,)
        result[layer + "input_layernorm.weight"] = (d,)
        result[layer + "post_attention_layernorm.weight"] = (d,)
    result["model.norm.weight"] = (d,)
    if not config["tie_word_embeddings"]:
        result["lm_head.weight"] = (vocab, d)
    return result


def parameters(config, generator):
    """Random weights; norm weights and biases random too, so that no term is trivial."""
    params = {}
    for name, shape in shapes(config).items():
        if name.endswith("norm.weight"):
            value = 1 + 0.2 * torch.randn(shape, generator=generator)
        elif name.endswith(".bias"):
            value = 0.1 * torch.randn(shape, generator=generator)
        else:
            value = 0.2 * torch.randn(shape, generator=generator)
        params[name] = value.float()
    return params


def rms_norm(x, weight, eps):
    """LlamaRMSNorm / Qwen2RMSNorm / Qwen3RMSNorm: computed in float32, then weight * hidden.to(input_dtype)."""
    input_dtype = x.dtype
    hidden = x.to(torch.float32)
    variance = hidden.pow(2).mean(-1, keepdim=True)
    hidden = hidden * torch.rsqrt(variance + eps)
    return weight * hidden.to(input_dtype)


def linear(p, name, x):
    return torch.nn.functional.linear(x, p[name + ".weight"], p.get(name + ".bias"))


def llama3_inv_freq(inv_freq, scaling):
    """The llama3 rope type (transformers' _compute_llama3_parameters); its attention factor is 1."""
    factor = scaling["factor"]
    low_freq_factor, high_freq_factor = scaling["low_freq_factor"], scaling["high_freq_factor"]
    old_context_len = scaling["original_max_position_embeddings"]
    low_freq_wavelen = old_context_len / low_freq_factor
    high_freq_wavelen = old_context_len / high_freq_factor
    wavelen = 2 * math.pi / inv_freq
    inv_freq_llama = torch.where(wavelen > low_freq_wavelen, inv_freq / factor, inv_freq)
    smooth_factor = (old_context_len / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    smoothed_inv_freq = (1 - smooth_factor) * inv_freq_llama / factor + smooth_factor * inv_freq_llama
    is_medium_freq = ~(wavelen < high_freq_wavelen) * ~(wavelen > low_freq_wavelen)
    return torch.where(is_medium_freq, smoothed_inv_freq, inv_freq_llama)


def rope(config, length):
    """inv_freq = 1 / theta^(arange(0, dim, 2) / dim), llama3-scaled if asked; cos, sin of cat(f, f)."""
    dim = head_dim(config)
    inv_freq = 1.0 / (config["rope_theta"] ** (torch.arange(0, dim, 2, dtype=torch.int64).float() / dim))
    if config.get("rope_scaling"):
        inv_freq = llama3_inv_freq(inv_freq, config["rope_scaling"])
    positions = torch.arange(length, dtype=torch.int64).float()
    freqs = positions[:, None] * inv_freq[None, :]
    emb = torch.cat((freqs, freqs), dim=-1)
    return emb.cos()[None, None], emb.sin()[None, None]


def rotate_half(x):
    x1 = x[..., : x.shape[-1] // 2]
    x2 = x[..., x.shape[-1] // 2:]
    return torch.cat((-x2, x1), dim=-1)


def attention(config, p, layer, x, cos, sin):
    batch, length, _ = x.shape
    hd = head_dim(config)
    heads, kv_heads = config["num_attention_heads"], config["num_key_value_heads"]
    q = linear(p, layer + "self_attn.q_proj", x).view(batch, length, heads, hd)
    k = linear(p, layer + "self_attn.k_proj", x).view(batch, length, kv_heads, hd)
    v = linear(p, layer + "self_attn.v_proj", x).view(batch, length, kv_heads, hd)
    if config["model_type"] == "qwen3":
        q = rms_norm(q, p[layer + "self_attn.q_norm.weight"], config["rms_norm_eps"])
        k = rms_norm(k, p[layer + "self_attn.k_norm.weight"], config["rms_norm_eps"])
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    n_rep = heads // kv_heads
    k = k[:, :, None].expand(batch, kv_heads, n_rep, length, hd).reshape(batch, heads, length, hd)
    v = v[:, :, None].expand(batch, kv_heads, n_rep, length, hd).reshape(batch, heads, length, hd)
    scores = torch.matmul(q, k.transpose(2, 3)) * hd ** -0.5
    causal = torch.tril(torch.ones((length, length), dtype=torch.bool))
    scores = scores.masked_fill(~causal, torch.finfo(scores.dtype).min)
    weights = torch.softmax(scores, dim=-1, dtype=torch.float32)
    out = torch.matmul(weights, v).transpose(1, 2).reshape(batch, length, heads * hd)
    return linear(p, layer + "self_attn.o_proj", out)


def forward(config, p, ids):
    eps = config["rms_norm_eps"]
    x = p["model.embed_tokens.weight"][ids]
    cos, sin = rope(config, ids.size(1))
    for i in range(config["num_hidden_layers"]):
        layer = "model.layers.%d." % i
        x = x + attention(config, p, layer, rms_norm(x, p[layer + "input_layernorm.weight"], eps), cos, sin)
        h = rms_norm(x, p[layer + "post_attention_layernorm.weight"], eps)
        gate = torch.nn.functional.silu(linear(p, layer + "mlp.gate_proj", h))
        x = x + linear(p, layer + "mlp.down_proj", gate * linear(p, layer + "mlp.up_proj", h))
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if config["tie_word_embeddings"] else p["lm_head.weight"]
    return torch.matmul(x, head.t())


def main(out):
    torch.set_default_dtype(torch.float32)
    generator = torch.Generator().manual_seed(1516)
    for model_type, config in CONFIGS.items():
        folder = os.path.join(out, model_type)
        os.makedirs(folder, exist_ok=True)
        params = parameters(config, generator)
        ids = torch.randint(0, config["vocab_size"], (2, 13), generator=generator)
        log_probs = torch.log_softmax(forward(config, params, ids), dim=-1)
        with open(os.path.join(folder, "config.json"), "w") as file:
            json.dump(config, file, indent=2)
        write_file(os.path.join(folder, "model.safetensors"),
                   [(name, "F32", value) for name, value in params.items()], metadata={"format": "pt"})
        with open(os.path.join(folder, "expected.json"), "w") as file:
            json.dump({"ids": ids.tolist(), "log_probs": log_probs.flatten().tolist()}, file)
    print("ok")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    main(sys.argv[1])
