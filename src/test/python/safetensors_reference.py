#!/usr/bin/python3
"""Independent reference for the Java safetensors reader and writer (SafetensorsReferenceTest).

The safetensors format is written and read here by hand (struct, json), and every conversion between
float32, float16 and bfloat16 is torch's own, so that the Java code is checked against torch and not
against itself.

  safetensors_reference.py fixtures OUT   writes fixture files and OUT/expected.json, the float32
                                          values torch gives for every tensor (as int32 bit patterns)
  safetensors_reference.py verify DIR     checks the files the Java writer left in DIR against
                                          DIR/source.json (the float32 values it was given) converted
                                          by torch; prints "ok" or exits with the first difference

NaN is compared as NaN, not by its bits: torch's own scalar and vectorised conversions give different
NaN patterns. Every other value is compared bit for bit.
"""
import json
import math
import os
import struct
import sys

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
SIZES = {"F32": 4, "F16": 2, "BF16": 2}


def to_bytes(tensor):
    """Little-endian bytes of a tensor, through an integer view of the same width."""
    tensor = tensor.contiguous()
    if tensor.dtype == torch.float32:
        return tensor.view(torch.int32).numpy().astype("<i4").tobytes()
    return tensor.view(torch.int16).numpy().astype("<i2").tobytes()


def from_bytes(data, dtype_name, shape):
    if dtype_name == "F32":
        ints = torch.tensor(list(struct.unpack("<%di" % (len(data) // 4), data)), dtype=torch.int32)
        return ints.view(torch.float32).reshape(shape)
    ints = torch.tensor(list(struct.unpack("<%dh" % (len(data) // 2), data)), dtype=torch.int16)
    return ints.view(DTYPES[dtype_name]).reshape(shape)


def float_bits(tensor):
    """The int32 bit patterns of a float32 tensor, flattened."""
    return tensor.to(torch.float32).contiguous().view(torch.int32).flatten().tolist()


def write_file(path, tensors, metadata=None, pad=True):
    """tensors: list of (name, dtype name, float32 tensor); converts with torch and writes the file."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    blobs = []
    offset = 0
    stored = {}
    for name, dtype_name, values in tensors:
        converted = values.to(DTYPES[dtype_name])
        data = to_bytes(converted)
        header[name] = {"dtype": dtype_name, "shape": list(values.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
        stored[name] = {"shape": list(values.shape), "bits": float_bits(converted)}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    if pad:
        text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for data in blobs:
            out.write(data)
    return stored


def special_values():
    values = [0.0, -0.0, 1.0, -1.0, 0.1, -2.5, math.pi, 1e-8, -1e-8, 65504.0, 65519.0, 65520.0, 1e5, -1e5,
              6.1035156e-05, 5.9604645e-08, 2.9802322e-08, 4.5e-08, 1e-40, -1e-45, 3.4028235e38, 1.1754944e-38,
              float("inf"), float("-inf"), float("nan")]
    return torch.tensor(values, dtype=torch.float32)


def every_16_bit_pattern(dtype):
    return torch.arange(-32768, 32768, dtype=torch.int32).to(torch.int16).view(dtype).to(torch.float32)


def fixtures(out):
    os.makedirs(out, exist_ok=True)
    generator = torch.Generator().manual_seed(15)
    expected = {}
    matrix = torch.randn(7, 5, 3, generator=generator) * 3
    expected["f32.safetensors"] = write_file(os.path.join(out, "f32.safetensors"), [
        ("special", "F32", special_values()),
        ("matrix", "F32", matrix),
        ("scalar", "F32", torch.tensor(42.5)),
        ("empty", "F32", torch.zeros(0, 4)),
    ], metadata={"format": "pt"})
    expected["f16.safetensors"] = write_file(os.path.join(out, "f16.safetensors"), [
        ("special", "F16", special_values()),
        ("matrix", "F16", matrix),
        ("every", "F16", every_16_bit_pattern(torch.float16)),
    ], metadata={"format": "pt"})
    expected["bf16.safetensors"] = write_file(os.path.join(out, "bf16.safetensors"), [
        ("special", "BF16", special_values()),
        ("matrix", "BF16", matrix),
        ("every", "BF16", every_16_bit_pattern(torch.bfloat16)),
    ], metadata=None, pad=False)
    sharded = os.path.join(out, "sharded")
    os.makedirs(sharded, exist_ok=True)
    first = write_file(os.path.join(sharded, "model-00001-of-00002.safetensors"), [
        ("embed.weight", "F32", torch.randn(11, 4, generator=generator)),
        ("layers.0.weight", "BF16", torch.randn(4, 4, generator=generator)),
    ], metadata={"format": "pt"})
    second = write_file(os.path.join(sharded, "model-00002-of-00002.safetensors"), [
        ("layers.1.weight", "F16", torch.randn(4, 4, generator=generator)),
        ("norm.weight", "F32", torch.ones(4)),
    ], metadata={"format": "pt"})
    weight_map = {name: "model-00001-of-00002.safetensors" for name in first}
    weight_map.update({name: "model-00002-of-00002.safetensors" for name in second})
    with open(os.path.join(sharded, "model.safetensors.index.json"), "w") as index:
        json.dump({"metadata": {"total_size": 11 * 4 * 4 + 16 * 2 + 16 * 2 + 16}, "weight_map": weight_map}, index,
                  indent=2)
    expected["sharded"] = dict(first, **second)
    with open(os.path.join(out, "expected.json"), "w") as file:
        json.dump(expected, file)
    print("ok")


def read_file(path):
    """(metadata, {name: (dtype name, shape, bytes)}) of a safetensors file, its format checked."""
    with open(path, "rb") as file:
        data = file.read()
    (length,) = struct.unpack("<Q", data[:8])
    if length % 8 != 0:
        raise SystemExit("%s: header length %d is not a multiple of 8" % (path, length))
    text = data[8:8 + length].decode("utf-8")
    stripped = text.rstrip(" ")
    if len(text) - len(stripped) > 7 or not stripped.endswith("}"):
        raise SystemExit("%s: header padding is not at most 7 spaces after the JSON" % path)
    header = json.loads(stripped)
    metadata = header.pop("__metadata__", None)
    if metadata != {"format": "pt"}:
        raise SystemExit("%s: __metadata__ is %r, not {'format': 'pt'}" % (path, metadata))
    body = data[8 + length:]
    tensors = {}
    offset = 0
    for name, entry in sorted(header.items(), key=lambda item: item[1]["data_offsets"][0]):
        begin, end = entry["data_offsets"]
        if begin != offset:
            raise SystemExit("%s: %s starts at %d, not %d" % (path, name, begin, offset))
        count = math.prod(entry["shape"])
        if end - begin != count * SIZES[entry["dtype"]]:
            raise SystemExit("%s: %s has %d bytes for shape %r" % (path, name, end - begin, entry["shape"]))
        tensors[name] = (entry["dtype"], entry["shape"], body[begin:end])
        offset = end
    if offset != len(body):
        raise SystemExit("%s: %d bytes of data, tensors cover %d" % (path, len(body), offset))
    return tensors


def same(path, name, expected, actual):
    """Bitwise equality of two tensors of one dtype, NaN equal to any NaN."""
    nan = torch.isnan(expected.to(torch.float32))
    if not torch.equal(nan, torch.isnan(actual.to(torch.float32))):
        raise SystemExit("%s: %s has NaN where torch has none, or the other way round" % (path, name))
    width = torch.int32 if expected.dtype == torch.float32 else torch.int16
    expected_bits = expected.flatten()[~nan.flatten()].view(width)
    actual_bits = actual.flatten()[~nan.flatten()].view(width)
    if not torch.equal(expected_bits, actual_bits):
        where = (expected_bits != actual_bits).nonzero()[0].item()
        raise SystemExit("%s: %s differs from torch's conversion: element %d is %s, torch gives %s" % (
            path, name, where, hex(actual_bits[where].item() & 0xFFFFFFFF),
            hex(expected_bits[where].item() & 0xFFFFFFFF)))


def verify(folder):
    with open(os.path.join(folder, "source.json")) as file:
        source = json.load(file)
    values = {name: torch.tensor(entry["bits"], dtype=torch.int64).to(torch.int32).view(torch.float32)
              .reshape(entry["shape"]) for name, entry in source["tensors"].items()}
    checked = 0
    for file_name, dtype_name in source["files"].items():
        path = os.path.join(folder, file_name)
        if file_name.endswith(".index.json"):
            with open(path) as file:
                index = json.load(file)
            shards = {}
            for name, shard in index["weight_map"].items():
                shards.setdefault(shard, []).append(name)
            total = 0
            seen = set()
            for shard, names in shards.items():
                tensors = read_file(os.path.join(os.path.dirname(path), shard))
                if sorted(tensors) != sorted(names):
                    raise SystemExit("%s: the index places %r there, it holds %r" % (shard, names, sorted(tensors)))
                for name, (stored_dtype, shape, data) in tensors.items():
                    same(shard, name, values[name].to(DTYPES[stored_dtype]), from_bytes(data, stored_dtype, shape))
                    total += len(data)
                    seen.add(name)
                    checked += 1
            if seen != set(values):
                raise SystemExit("%s: the shards hold %r, the source %r" % (path, sorted(seen), sorted(values)))
            if index["metadata"]["total_size"] != total:
                raise SystemExit("%s: total_size %r, the shards hold %d" % (path, index["metadata"], total))
            if len(shards) < 2:
                raise SystemExit("%s: expected several shards, found %d" % (path, len(shards)))
        else:
            tensors = read_file(path)
            if sorted(tensors) != sorted(values):
                raise SystemExit("%s: holds %r, the source %r" % (path, sorted(tensors), sorted(values)))
            for name, (stored_dtype, shape, data) in tensors.items():
                if stored_dtype != dtype_name or shape != list(values[name].shape):
                    raise SystemExit("%s: %s is %s %r" % (path, name, stored_dtype, shape))
                same(path, name, values[name].to(DTYPES[dtype_name]), from_bytes(data, dtype_name, shape))
                checked += 1
    print("ok %d tensors" % checked)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("fixtures", "verify"):
        raise SystemExit("usage: safetensors_reference.py fixtures OUT | verify DIR")
    if sys.argv[1] == "fixtures":
        fixtures(sys.argv[2])
    else:
        verify(sys.argv[2])
