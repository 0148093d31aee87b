#!/usr/bin/python3
"""Reads a Hugging Face model directory as transformers' from_pretrained would, and scores token ids.

Used by the tests that download what the service exports: the directory's config.json (its
model_type picks the hand-written reference forward of gpt2_reference.py or llama_reference.py,
config defaults filled as transformers' config classes fill them), its safetensors (one file, or the
shards model.safetensors.index.json maps, every file's format checked by safetensors_reference.py:
header padded to 8 bytes, __metadata__ {"format": "pt"}), weights in float32 whatever type they are
stored in, as from_pretrained(torch_dtype=torch.float32) gives them.

  hf_export_logprobs.py DIR IDS OUT
      DIR  the model directory
      IDS  a JSON file: a list of rows of token ids (equal lengths)
      OUT  written: {"log_probs": log_softmax of the logits [B, T, V], "dtypes": {name: stored type}}
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gpt2_reference  # noqa: E402
import llama_reference  # noqa: E402
from safetensors_reference import from_bytes, read_file  # noqa: E402

GPT2_DEFAULTS = {"n_inner": None, "layer_norm_epsilon": 1e-5}
LLAMA_DEFAULTS = {"rms_norm_eps": 1e-6, "rope_theta": 10000.0, "tie_word_embeddings": False,
                  "attention_bias": False, "mlp_bias": False, "rope_scaling": None}


def weights(folder):
    index = os.path.join(folder, "model.safetensors.index.json")
    if os.path.exists(index):
        with open(index) as file:
            files = sorted(set(json.load(file)["weight_map"].values()))
    else:
        files = ["model.safetensors"]
    params, dtypes = {}, {}
    for name in files:
        for key, (dtype, shape, data) in read_file(os.path.join(folder, name)).items():
            params[key] = from_bytes(data, dtype, shape).to(torch.float32)
            dtypes[key] = dtype
    return params, dtypes


def main(folder, ids_file, out):
    with open(os.path.join(folder, "config.json")) as file:
        config = json.load(file)
    params, dtypes = weights(folder)
    with open(ids_file) as file:
        ids = torch.tensor(json.load(file), dtype=torch.long)
    if config["model_type"] == "gpt2":
        for key, value in GPT2_DEFAULTS.items():
            config.setdefault(key, value)
        logits = gpt2_reference.forward(config, params, ids)
    elif config["model_type"] in ("llama", "qwen2", "qwen3"):
        for key, value in LLAMA_DEFAULTS.items():
            config.setdefault(key, value)
        config.setdefault("num_key_value_heads", config["num_attention_heads"])
        logits = llama_reference.forward(config, params, ids)
    else:
        raise SystemExit("model_type %r has no reference here" % config["model_type"])
    with open(out, "w") as file:
        json.dump({"log_probs": torch.log_softmax(logits, dim=-1).tolist(), "dtypes": dtypes}, file)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    with torch.no_grad():
        main(*sys.argv[1:])
