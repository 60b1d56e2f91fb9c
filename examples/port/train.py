"""A PyTorch training script, ported line by line to wgslgrad in train.ts beside it.

The phone-price classifier: param groups (weight decay on the weights only), AdamW, a cosine learning
rate, label smoothing and a validation pass after every epoch. Both scripts print the same losses to
4 significant digits. Run from the repository root (Debian: apt-get install python3-torch):

    /usr/bin/python3 examples/port/train.py | tee examples/port/train.out

Our generator is not PyTorch's, so this script also writes what the port needs to start where it
started: the initial weights (initial.safetensors) and each epoch's batch order (orders.safetensors).
"""
import json
import pathlib
import struct

import numpy as np
import torch
from torch import nn

try:
    from safetensors.torch import save_file
except ImportError:  # Debian's python3-torch comes without safetensors: write the format by its definition

    def save_file(tensors, path):
        dtypes = {torch.float32: "F32", torch.int64: "I64"}
        header, data = {}, b""
        for name, t in tensors.items():
            raw = t.contiguous().numpy().tobytes()
            header[name] = {"dtype": dtypes[t.dtype], "shape": list(t.shape), "data_offsets": [len(data), len(data) + len(raw)]}
            data += raw
        text = json.dumps(header).encode()
        pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + data)


HERE = pathlib.Path(__file__).parent
EPOCHS, BATCH, TRAIN = 5, 32, 1600

# The data: 2000 phones, 20 features, 4 price classes; the first 1600 train, the last 400 validate.
data = np.loadtxt(HERE / "../../data/mobile-price.csv", delimiter=",", skiprows=1, dtype=np.float32)
x, y = torch.from_numpy(data[:, :-1]), torch.from_numpy(data[:, -1]).long()
mean, std = x[:TRAIN].mean(0), x[:TRAIN].std(0, unbiased=False)  # StandardScaler on the training rows
x = (x - mean) / std
x_train, y_train, x_val, y_val = x[:TRAIN], y[:TRAIN], x[TRAIN:], y[TRAIN:]

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 4))
orders = torch.stack([torch.randperm(TRAIN) for _ in range(EPOCHS)])  # each epoch's shuffle
save_file(model.state_dict(), HERE / "initial.safetensors")
save_file({"orders": orders}, HERE / "orders.safetensors")

decay = [p for name, p in model.named_parameters() if name.endswith("weight")]
no_decay = [p for name, p in model.named_parameters() if name.endswith("bias")]
optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05}, {"params": no_decay, "weight_decay": 0.0}], lr=3e-3)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=EPOCHS)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)

for epoch in range(EPOCHS):
    lr = optimizer.param_groups[0]["lr"]
    model.train()
    total = 0.0
    for i in range(0, TRAIN, BATCH):
        batch = orders[epoch, i : i + BATCH]
        optimizer.zero_grad()
        loss = loss_fn(model(x_train[batch]), y_train[batch])
        loss.backward()
        optimizer.step()
        total += loss.item()
    scheduler.step()

    model.eval()
    with torch.no_grad():
        logits = model(x_val)
        val_loss = loss_fn(logits, y_val).item()
        val_accuracy = (logits.argmax(1) == y_val).float().mean().item()
    print(f"epoch {epoch + 1}: lr {lr:.4g}, train loss {total / (TRAIN // BATCH):.4g}, val loss {val_loss:.4g}, val accuracy {val_accuracy:.4g}")
