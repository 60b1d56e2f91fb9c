"""Reads a safetensors file into PyTorch tensors by the format's definition (8-byte little-endian
header length, JSON header, raw little-endian data), for machines without the `safetensors` package
(Debian has none). Used by check-pytorch.py and mnist_cnn.py."""
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    """(tensors by name, metadata dict) of the file at `path`."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata
