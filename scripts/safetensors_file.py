"""Reads a safetensors file into PyTorch tensors by the format's definition (8-byte little-endian
header length, JSON header, raw little-endian data), for machines without the `safetensors` package
(Debian has none). Used by check-pytorch.py and mnist_cnn.py."""
import json
import struct

import numpy as np
import torch

DTYPES = {"F32": np.float32, "I64": np.int64}


def read_safetensors(path):
    """(tensors by name, metadata dict) of the file at `path`; a ValueError naming the file and the
    problem when it is not a safetensors file (truncated, a header that is not JSON, data out of range)."""
    with open(path, "rb") as f:
        data = f.read()

    def bad(why):
        return ValueError(f"{path}: not a valid safetensors file ({why})")

    if len(data) < 8:
        raise bad(f"{len(data)} bytes, shorter than the 8-byte header length")
    (n,) = struct.unpack("<Q", data[:8])
    if 8 + n > len(data):
        raise bad(f"a header of {n} bytes in a file of {len(data)}")
    try:
        header = json.loads(data[8:8 + n])
    except ValueError:
        raise bad("the header is not JSON") from None
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        begin, end = entry["data_offsets"]
        if entry["dtype"] not in DTYPES:
            raise bad(f"tensor {name}: dtype {entry['dtype']} (this reader knows {', '.join(DTYPES)})")
        if 8 + n + end > len(data) or end - begin != int(np.prod(entry["shape"])) * np.dtype(DTYPES[entry["dtype"]]).itemsize:
            raise bad(f"tensor {name}: bytes {begin}–{end} do not hold shape {entry['shape']} within the file (truncated?)")
        array = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=DTYPES[entry["dtype"]]).reshape(entry["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata
