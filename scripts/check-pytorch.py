"""Loads a model written by `npm start` into the course's PyTorch PhonePriceModel and re-evaluates it.

    /usr/bin/python3 scripts/check-pytorch.py out/model.safetensors [data/mobile-price.csv]

Needs PyTorch and pandas (Debian: apt-get install python3-torch python3-pandas). Reads the safetensors
file with the `safetensors` package when it is installed, else by the format's definition (8-byte
header length, JSON header, raw little-endian data). Exits non-zero if the accuracy differs.
"""
import json
import sys

import numpy as np
import pandas as pd
import torch
import torch.nn as nn

from safetensors_file import read_safetensors as read_safetensors_by_definition


def read_safetensors(path):
    try:
        from safetensors.torch import load_file
        from safetensors import safe_open
        with safe_open(path, framework="pt") as f:
            metadata = f.metadata()
        return load_file(path), metadata
    except ImportError:
        return read_safetensors_by_definition(path)


class PhonePriceModel(nn.Module):
    """The course's model: Linear layers with a sigmoid between, named linear1 … linearN."""

    def __init__(self, sizes):
        super().__init__()
        self.count = len(sizes) - 1
        for i in range(self.count):
            setattr(self, f"linear{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        for i in range(self.count):
            x = getattr(self, f"linear{i + 1}")(x)
            if i + 1 < self.count:
                x = torch.sigmoid(x)
        return x


def main():
    model_path = sys.argv[1] if len(sys.argv) > 1 else "out/model.safetensors"
    data_path = sys.argv[2] if len(sys.argv) > 2 else "data/mobile-price.csv"
    state, meta = read_safetensors(model_path)
    arch = json.loads(meta["architecture"])
    assert arch["activation"] == "sigmoid" and not arch["batchNorm"], "this check builds the course's sigmoid MLP"
    model = PhonePriceModel([arch["features"], *arch["hidden"], arch["classes"]])
    model.load_state_dict(state, strict=True)
    model.eval()

    frame = pd.read_csv(data_path)
    features, label = json.loads(meta["features"]), meta["label"]
    classes = json.loads(meta["classes"])
    rows = json.loads(meta["test_rows"])
    x = frame[features].to_numpy(dtype=np.float64)[rows]
    scaler = json.loads(meta["scaler"])
    if scaler is not None:
        x = (x - np.array(scaler["mean"])) / np.array(scaler["scale"])
    y = np.array([classes.index(str(v)) for v in frame[label].to_numpy()[rows]])
    with torch.no_grad():
        predicted = model(torch.tensor(x, dtype=torch.float32)).argmax(dim=1).numpy()
    accuracy = float((predicted == y).mean())
    saved = float(meta["test_accuracy"])
    print(f"PyTorch {torch.__version__}: load_state_dict(strict=True) ok; {len(rows)} test rows; "
          f"accuracy {accuracy:.4f} (wgslgrad reported {saved:.4f})")
    sys.exit(0 if abs(accuracy - saved) < 0.5 / len(rows) else 1)


if __name__ == "__main__":
    main()
