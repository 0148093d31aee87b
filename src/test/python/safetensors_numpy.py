#!/usr/bin/python3
"""A safetensors writer by hand from numpy arrays (float32 and int64), for the reference scripts that
write Hugging Face directories: the header padded with spaces to a multiple of 8 bytes, with
{"format": "pt"} as __metadata__, as transformers' save_pretrained writes it."""
import json
import struct

import numpy

DTYPES = {numpy.dtype("float32"): "F32", numpy.dtype("int64"): "I64"}


def write_safetensors(path, tensors):
    """tensors: list of (name, numpy array of float32 or int64). The header is padded with spaces to
    a multiple of 8 bytes and carries {"format": "pt"}, as the reference writer does."""
    header = {"__metadata__": {"format": "pt"}}
    blobs = []
    offset = 0
    for name, array in tensors:
        dtype = DTYPES[array.dtype]
        data = numpy.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for data in blobs:
            out.write(data)
