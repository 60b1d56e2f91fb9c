"""Loads a model written by `npm start` into the course's PyTorch PhonePriceModel and re-evaluates it.

    /usr/bin/python3 scripts/check-pytorch.py out/model.safetensors [DATA.csv]

DATA.csv is the file the model was trained on: the case study's data/mobile-price.csv by default; a
model trained with --data needs its file named (the model records its name and SHA-256). Needs PyTorch and pandas (Debian: apt-get install python3-torch python3-pandas). Reads the safetensors
file with the `safetensors` package when it is installed, else by the format's definition (8-byte
header length, JSON header, raw little-endian data). Exits non-zero if the accuracy differs.
"""
import hashlib
import json
import math
import os
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
    """The course's model: Linear layers with a sigmoid (or ReLU) between, named linear1 … linearN.
    Dropout has no parameters and does nothing in eval mode, so it is left out."""

    def __init__(self, sizes, activation="sigmoid"):
        super().__init__()
        self.count = len(sizes) - 1
        self.activation = torch.sigmoid if activation == "sigmoid" else torch.relu
        for i in range(self.count):
            setattr(self, f"linear{i + 1}", nn.Linear(sizes[i], sizes[i + 1]))

    def forward(self, x):
        for i in range(self.count):
            x = getattr(self, f"linear{i + 1}")(x)
            if i + 1 < self.count:
                x = self.activation(x)
        return x


def class_name(value, numeric):
    """A label as wgslgrad names it: numeric labels by their value ('1.0' is class '1')."""
    if not numeric:
        return str(value)
    v = float(value)
    return str(int(v)) if v.is_integer() and abs(v) < 1e21 else repr(v)


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def fail(message):
    print(f"check-pytorch: {message}", file=sys.stderr)
    sys.exit(2)


def main():
    model_path = sys.argv[1] if len(sys.argv) > 1 else "out/model.safetensors"
    default_data = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "mobile-price.csv")
    try:
        state, meta = read_safetensors(model_path)
    except Exception as error:  # OSError, ValueError, or the safetensors package's own error
        fail(str(error))
    if meta.get("wgslgrad") != "wgslgrad-classifier-1":
        hint = ": an MNIST CNN, checked by scripts/mnist_cnn.py check" if meta.get("wgslgrad") == "wgslgrad-mnist-cnn-1" else ""
        fail(f"{model_path} is not a wgslgrad phone-price classifier (metadata 'wgslgrad' is {meta.get('wgslgrad')!r}){hint}")
    trained_on = json.loads(meta["data"]) if "data" in meta else None
    if len(sys.argv) > 2:
        data_path = sys.argv[2]
    elif trained_on and trained_on["name"] != "mobile-price.csv":
        fail(f"{model_path} was trained on {trained_on['name']} ({trained_on['rows']} rows): name that file after the model")
    else:
        data_path = default_data
    if trained_on:
        with open(data_path, "rb") as f:
            digest = hashlib.sha256(f.read()).hexdigest()
        if digest != trained_on["sha256"]:
            print(f"check-pytorch: warning: {data_path} is not the file the model was trained on "
                  f"({trained_on['name']}, sha256 {trained_on['sha256'][:12]}…)", file=sys.stderr)
    arch = json.loads(meta["architecture"])
    if arch.get("batchNorm"):
        fail("this check builds the course's MLP without batch norm; the model has batch norm")
    model = PhonePriceModel([arch["features"], *arch["hidden"], arch["classes"]], arch["activation"])
    model.load_state_dict(state, strict=True)
    model.eval()

    frame = pd.read_csv(data_path, sep=None, engine="python")  # the delimiter sniffed, as --delimiter allows
    features, label = json.loads(meta["features"]), meta["label"]
    classes = json.loads(meta["classes"])
    rows = json.loads(meta["test_rows"])
    missing = [c for c in [*features, label] if c not in frame.columns]
    if missing:
        fail(f"{data_path} lacks the model's columns {missing[:8]}: is it the file the model was trained on?")
    x = frame[features].to_numpy(dtype=np.float64)[rows]
    scaler = json.loads(meta["scaler"])
    if scaler is not None:
        x = (x - np.array(scaler["mean"])) / np.array(scaler["scale"])
    numeric = all(_is_number(c) for c in classes)
    y = np.array([classes.index(class_name(v, numeric)) for v in frame[label].to_numpy()[rows]])
    with torch.no_grad():
        predicted = model(torch.tensor(x, dtype=torch.float32)).argmax(dim=1).numpy()
    accuracy = float((predicted == y).mean())
    saved = float(meta["test_accuracy"])
    print(f"PyTorch {torch.__version__}: load_state_dict(strict=True) ok; {len(rows)} test rows; "
          f"accuracy {accuracy:.4f} (wgslgrad reported {saved:.4f})")
    sys.exit(0 if abs(accuracy - saved) < 0.5 / len(rows) else 1)


if __name__ == "__main__":
    main()
