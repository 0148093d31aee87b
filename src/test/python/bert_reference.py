#!/usr/bin/python3
"""Independent reference for the Java BERT block (BertReferenceTest).

A hand-written float32 PyTorch implementation of transformers' BertForSequenceClassification forward
in eval mode (written from transformers' models/bert/modeling_bert.py; transformers itself is not
needed): word + token-type + absolute position embeddings, LayerNorm; post-norm layers (self-attention
with scores / sqrt(head_dim) plus the extended mask (1 - mask) * finfo(float32).min, softmax, output
dense + residual + LayerNorm; intermediate dense, erf GELU, output dense + residual + LayerNorm);
pooler tanh(dense(h[:, 0])); classifier. Eval mode: no dropout.

  bert_reference.py OUT   writes into OUT:
      config.json            a tiny random BERT's config with three labels in id2label/label2id
      model.safetensors      its weights under BertForSequenceClassification's names (bert.*, classifier.*)
      base.safetensors       the encoder as an old BertModel checkpoint stores it: no "bert." prefix,
                             the int64 buffer embeddings.position_ids, LayerNorm.gamma/beta, no classifier
      pretraining.safetensors  bert.* plus BertForPreTraining's cls.* heads, no classifier
      expected.json          ids [B, T] with right padding (pad id 0), mask, token types; the logits
                             without and with the token types; the last hidden state and pooled output;
                             the mean cross-entropy for the labels and its gradient for some parameters
"""
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import write_safetensors  # noqa: E402

LABELS = ["negative", "neutral", "positive"]

CONFIG = {
    "architectures": ["BertForSequenceClassification"],
    "model_type": "bert",
    "vocab_size": 100,
    "hidden_size": 32,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "intermediate_size": 64,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 40,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "id2label": {str(i): label for i, label in enumerate(LABELS)},
    "label2id": {label: i for i, label in enumerate(LABELS)},
}

GRADIENTS = ["bert.embeddings.word_embeddings.weight", "bert.embeddings.position_embeddings.weight",
             "bert.encoder.layer.0.attention.self.query.weight", "bert.encoder.layer.1.output.LayerNorm.bias",
             "bert.pooler.dense.weight", "classifier.bias"]


def shapes(config):
    d, inner = config["hidden_size"], config["intermediate_size"]
    result = {
        "bert.embeddings.word_embeddings.weight": (config["vocab_size"], d),
        "bert.embeddings.position_embeddings.weight": (config["max_position_embeddings"], d),
        "bert.embeddings.token_type_embeddings.weight": (config["type_vocab_size"], d),
        "bert.embeddings.LayerNorm.weight": (d,), "bert.embeddings.LayerNorm.bias": (d,),
    }
    for i in range(config["num_hidden_layers"]):
        p = "bert.encoder.layer.%d." % i
        for name in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense"]:
            result[p + name + ".weight"] = (d, d)
            result[p + name + ".bias"] = (d,)
        result[p + "attention.output.LayerNorm.weight"] = (d,)
        result[p + "attention.output.LayerNorm.bias"] = (d,)
        result[p + "intermediate.dense.weight"] = (inner, d)
        result[p + "intermediate.dense.bias"] = (inner,)
        result[p + "output.dense.weight"] = (d, inner)
        result[p + "output.dense.bias"] = (d,)
        result[p + "output.LayerNorm.weight"] = (d,)
        result[p + "output.LayerNorm.bias"] = (d,)
    result["bert.pooler.dense.weight"] = (d, d)
    result["bert.pooler.dense.bias"] = (d,)
    result["classifier.weight"] = (len(LABELS), d)
    result["classifier.bias"] = (len(LABELS),)
    return result


def parameters(config, generator):
    """Random weights; norms and biases random too, so that no term is trivial."""
    params = {}
    for name, shape in shapes(config).items():
        if name.endswith("LayerNorm.weight"):
            value = 1 + 0.1 * torch.randn(shape, generator=generator)
        elif name.endswith(".bias"):
            value = 0.1 * torch.randn(shape, generator=generator)
        else:
            value = 0.3 * torch.randn(shape, generator=generator)
        params[name] = value.float().requires_grad_(True)
    return params


def linear(p, name, x):
    return torch.nn.functional.linear(x, p[name + ".weight"], p[name + ".bias"])


def layer_norm(config, p, name, x):
    return torch.nn.functional.layer_norm(
        x, (config["hidden_size"],), p[name + ".weight"], p[name + ".bias"], config["layer_norm_eps"])


def gelu(x):
    """ACT2FN["gelu"]: the exact form, x * Phi(x) with the error function."""
    return 0.5 * x * (1.0 + torch.erf(x / math.sqrt(2.0)))


def self_attention(config, p, prefix, x, extended_mask):
    batch, length, d = x.shape
    heads = config["num_attention_heads"]
    head_dim = d // heads

    def split(t):
        return t.view(batch, length, heads, head_dim).permute(0, 2, 1, 3)

    query = split(linear(p, prefix + "query", x))
    key = split(linear(p, prefix + "key", x))
    value = split(linear(p, prefix + "value", x))
    scores = torch.matmul(query, key.transpose(-1, -2)) / math.sqrt(head_dim)
    scores = scores + extended_mask
    probs = torch.softmax(scores, dim=-1)
    context = torch.matmul(probs, value).permute(0, 2, 1, 3).contiguous()
    return context.view(batch, length, d)


def encoder(config, p, ids, mask, token_types):
    length = ids.size(1)
    if token_types is None:
        token_types = torch.zeros_like(ids)
    positions = torch.arange(length).unsqueeze(0)
    x = p["bert.embeddings.word_embeddings.weight"][ids] + p["bert.embeddings.token_type_embeddings.weight"][
        token_types]
    x = x + p["bert.embeddings.position_embeddings.weight"][positions]
    x = layer_norm(config, p, "bert.embeddings.LayerNorm", x)
    extended = (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
    for i in range(config["num_hidden_layers"]):
        prefix = "bert.encoder.layer.%d." % i
        context = self_attention(config, p, prefix + "attention.self.", x, extended)
        a = layer_norm(config, p, prefix + "attention.output.LayerNorm",
                       linear(p, prefix + "attention.output.dense", context) + x)
        inner = gelu(linear(p, prefix + "intermediate.dense", a))
        x = layer_norm(config, p, prefix + "output.LayerNorm", linear(p, prefix + "output.dense", inner) + a)
    pooled = torch.tanh(linear(p, "bert.pooler.dense", x[:, 0]))
    return x, pooled


def forward(config, p, ids, mask, token_types=None):
    hidden, pooled = encoder(config, p, ids, mask, token_types)
    return linear(p, "classifier", pooled), hidden, pooled


def numpy_of(tensor):
    return tensor.detach().contiguous().numpy()


def main(out):
    os.makedirs(out, exist_ok=True)
    torch.set_default_dtype(torch.float32)
    generator = torch.Generator().manual_seed(2024)
    params = parameters(CONFIG, generator)
    lengths = [12, 7, 3]
    length = max(lengths)
    ids = torch.randint(1, CONFIG["vocab_size"], (len(lengths), length), generator=generator)
    mask = torch.zeros(len(lengths), length)
    for row, n in enumerate(lengths):
        mask[row, :n] = 1
        ids[row, n:] = CONFIG["pad_token_id"]
    token_types = torch.randint(0, 2, ids.shape, generator=generator) * mask.long()
    labels = torch.tensor([2, 0, 1])
    logits, hidden, pooled = forward(CONFIG, params, ids, mask)
    typed_logits, _, _ = forward(CONFIG, params, ids, mask, token_types)
    # BertForSequenceClassification's loss for single-label classification
    loss = torch.nn.functional.cross_entropy(logits, labels)
    loss.backward()
    # the reference's own check of the padding semantics: a padded row's logits are its unpadded ones
    alone, _, _ = forward(CONFIG, params, ids[2:, :lengths[2]], mask[2:, :lengths[2]])
    assert torch.allclose(alone, logits[2:], atol=1e-5), (alone, logits[2:])

    with open(os.path.join(out, "config.json"), "w") as file:
        json.dump(CONFIG, file, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"),
                      [(name, numpy_of(value)) for name, value in params.items()])
    base = [("embeddings.position_ids", torch.arange(CONFIG["max_position_embeddings"]).unsqueeze(0).numpy())]
    for name, value in params.items():
        if name.startswith("bert."):
            name = name[len("bert."):].replace("LayerNorm.weight", "LayerNorm.gamma").replace(
                "LayerNorm.bias", "LayerNorm.beta")
            base.append((name, numpy_of(value)))
    write_safetensors(os.path.join(out, "base.safetensors"), base)
    d, vocab = CONFIG["hidden_size"], CONFIG["vocab_size"]
    heads = [("cls.predictions.bias", torch.zeros(vocab)), ("cls.predictions.transform.dense.weight", torch.ones(d, d)),
             ("cls.seq_relationship.weight", torch.ones(2, d))]
    write_safetensors(os.path.join(out, "pretraining.safetensors"),
                      [(name, numpy_of(value)) for name, value in params.items() if name.startswith("bert.")]
                      + [(name, value.numpy()) for name, value in heads])
    expected = {
        "ids": ids.tolist(),
        "mask": mask.tolist(),
        "token_types": token_types.tolist(),
        "labels": labels.tolist(),
        "logits": logits.detach().flatten().tolist(),
        "typed_logits": typed_logits.detach().flatten().tolist(),
        "hidden": hidden.detach().flatten().tolist(),
        "pooled": pooled.detach().flatten().tolist(),
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
