"""The MNIST CNN of `npm start -- --task mnist`, in PyTorch, with the same names (conv1, bn1, conv2, bn2, fc).

    /usr/bin/python3 scripts/mnist_cnn.py check out/mnist/model.safetensors   # load our model, re-evaluate
    /usr/bin/python3 scripts/mnist_cnn.py train [--seed 0] [--epochs 5]       # the same recipe in PyTorch, timed
    /usr/bin/python3 scripts/mnist_cnn.py train --save FILE                     # … and save it for wgslgrad (--task mnist --eval, the page)

Needs PyTorch (Debian: apt-get install python3-torch) and numpy. Reads data/mnist-10k.u8.gz (checked
against its SHA-256) and safetensors files by the format's definition. `check` exits non-zero when the
accuracy differs from the one recorded in the file by more than one test image in a thousand.
`train` uses one thread (torch.set_num_threads(1)) unless --threads says otherwise.
"""
import argparse
import gzip
import hashlib
import json
import pathlib
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from safetensors_file import read_safetensors

ROOT = pathlib.Path(__file__).resolve().parent.parent
SHA256 = "bc6b63550c8a82f6ecccd9458252069fb030ee802997b8242e71d5146b0cbf0e"


class MnistCNN(nn.Module):
    """Conv(1→8, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Conv(8→16, 3, pad 1)-BN2d-ReLU-MaxPool(2) → Flatten → Linear(784→10)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 16, 3, padding=1)
        self.bn2 = nn.BatchNorm2d(16)
        self.fc = nn.Linear(16 * 7 * 7, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)
        x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)
        return self.fc(torch.flatten(x, 1))


def load_digits():
    raw = gzip.decompress((ROOT / "data" / "mnist-10k.u8.gz").read_bytes())
    if hashlib.sha256(raw).hexdigest() != SHA256:
        sys.exit("data/mnist-10k.u8.gz: SHA-256 differs from data/mnist.md")
    k = np.frombuffer(raw[:10000 * 784], dtype=np.uint8)
    values = np.round(np.arange(256) / 255 * 1000) / 1000  # the package's round(k / 255, 3)
    x = torch.from_numpy(values[k].astype(np.float32).reshape(10000, 1, 28, 28))
    y = torch.from_numpy(np.frombuffer(raw[10000 * 784:], dtype=np.uint8).astype(np.int64))
    return x, y


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return (model(x).argmax(1) == y).float().mean().item()


def check(path):
    try:
        tensors, metadata = read_safetensors(path)
    except (OSError, ValueError) as error:
        sys.exit(f"mnist_cnn: {error}")
    if metadata.get("wgslgrad") != "wgslgrad-mnist-cnn-1":
        hint = ": a phone-price classifier, checked by scripts/check-pytorch.py" if metadata.get("wgslgrad") == "wgslgrad-classifier-1" else ""
        sys.exit(f"mnist_cnn: {path} is not a wgslgrad MNIST CNN (metadata 'wgslgrad' is {metadata.get('wgslgrad')!r}){hint}")
    model = MnistCNN()
    try:
        model.load_state_dict(tensors)  # strict: every name and shape must match
    except RuntimeError as error:
        sys.exit(f"mnist_cnn: {path} does not load into MnistCNN: {str(error).splitlines()[0]}")
    x, y = load_digits()
    rows = torch.tensor(json.loads(metadata["test_rows"]))
    ours = float(metadata["test_accuracy"])
    theirs = accuracy(model, x[rows], y[rows])
    print(f"PyTorch {torch.__version__}: {path} loaded into MnistCNN; test accuracy {theirs:.4f} on {len(rows)} test digits (wgslgrad recorded {ours:.4f})")
    if abs(theirs - ours) > 1e-3 + 1e-9:
        sys.exit("accuracies differ")


def write_safetensors(path, tensors, metadata):
    """The safetensors format by its definition: 8-byte header length, JSON header, raw little-endian data."""
    header, chunks, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        array = t.detach().numpy().astype(np.int64 if t.dtype == torch.int64 else np.float32)
        data = array.tobytes()
        header[name] = {"dtype": "I64" if array.dtype == np.int64 else "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(chunks))


def train(seed, epochs, threads, save=None):
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x, y = load_digits()
    # stratified 80/20 split, as wgslgrad's (a different generator, so different rows)
    rng = np.random.default_rng(seed)
    train_rows, test_rows = [], []
    for digit in range(10):
        rows = rng.permutation(np.flatnonzero(y.numpy() == digit))
        cut = round(0.8 * len(rows))
        train_rows += rows[:cut].tolist()
        test_rows += rows[cut:].tolist()
    xtr, ytr, xte, yte = x[train_rows], y[train_rows], x[test_rows], y[test_rows]
    model = MnistCNN()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    seconds, steps = 0.0, 0  # training only, as `npm start -- --task mnist` counts it (not the per-epoch test)
    for epoch in range(1, epochs + 1):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(ytr))
        for i in range(0, len(order), 32):
            batch = order[i:i + 32]
            opt.zero_grad()
            loss_fn(model(xtr[batch]), ytr[batch]).backward()
            opt.step()
            steps += 1
        seconds += time.perf_counter() - started
        print(f"epoch {epoch}: test accuracy {accuracy(model, xte, yte):.4f}, {seconds:.1f} s of training")
    # The same line as `npm start -- --task mnist` prints, for the two to sit side by side.
    print(f"training: {seconds:.1f} s for {steps} steps ({steps / seconds:.1f} steps/s, {1000 * seconds / steps:.1f} ms/step), PyTorch {torch.__version__}, {threads} thread(s)")
    final = accuracy(model, xte, yte)
    print(f"test accuracy: {final:.4f}")
    if save:
        training = {"epochs": epochs, "batchSize": 32, "lr": 1e-3, "seed": seed, "trainedBy": f"PyTorch {torch.__version__} (scripts/mnist_cnn.py)"}
        metadata = {"format": "pt", "wgslgrad": "wgslgrad-mnist-cnn-1", "architecture": MnistCNN.__doc__, "data_sha256": SHA256,
                    "classes": json.dumps(list("0123456789")), "test_rows": json.dumps(sorted(int(r) for r in test_rows)),
                    "training": json.dumps(training), "test_accuracy": f"{final:.6f}"}
        write_safetensors(save, model.state_dict(), metadata)
        print(f"wrote {save}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["check", "train"])
    parser.add_argument("model", nargs="?", default="out/mnist/model.safetensors")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--save", help="write the trained model as a wgslgrad MNIST model file")
    args = parser.parse_args()
    check(args.model) if args.command == "check" else train(args.seed, args.epochs, args.threads, args.save)
