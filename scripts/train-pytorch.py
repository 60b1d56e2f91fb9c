"""`npm start`'s tuned recipe in PyTorch, for timing beside it (not needed by the tests or CI).

    /usr/bin/python3 scripts/train-pytorch.py [data/mobile-price.csv] [--epochs 50]

20→128→256→512→128→4 sigmoid MLP, standardised features, stratified 80/20 split, batch 8 with
shuffling, Adam 1e-4, cross-entropy, on the CPU (Debian's python3-torch). Prints the training wall
time (as `npm start` prints its own) and the test accuracy.
"""
import csv
import sys
import time

import numpy as np
import torch
import torch.nn as nn


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    epochs = int(sys.argv[sys.argv.index("--epochs") + 1]) if "--epochs" in sys.argv else 50
    if "--epochs" in sys.argv:
        args.remove(str(epochs))
    path = args[0] if args else "data/mobile-price.csv"
    with open(path) as f:
        rows = list(csv.reader(f))
    data = np.array(rows[1:], dtype=np.float32)
    x, y = data[:, :-1], data[:, -1].astype(np.int64)
    rng = np.random.default_rng(0)
    train_rows, test_rows = [], []
    for k in np.unique(y):
        r = rng.permutation(np.flatnonzero(y == k))
        cut = round(0.8 * len(r))
        train_rows += list(r[:cut])
        test_rows += list(r[cut:])
    mean, std = x[train_rows].mean(0), x[train_rows].std(0)
    std[std == 0] = 1
    x = (x - mean) / std
    x_train, y_train = torch.tensor(x[train_rows]), torch.tensor(y[train_rows])
    x_test, y_test = torch.tensor(x[test_rows]), torch.tensor(y[test_rows])

    torch.manual_seed(0)
    sizes = [x.shape[1], 128, 256, 512, 128, int(y.max()) + 1]
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i + 2 < len(sizes):
            layers.append(nn.Sigmoid())
    model = nn.Sequential(*layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
    loss_fn = nn.CrossEntropyLoss()
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(x_train, y_train), batch_size=8, shuffle=True)

    started = time.perf_counter()
    steps = 0
    for epoch in range(epochs):
        for xb, yb in loader:
            optimizer.zero_grad()
            loss_fn(model(xb), yb).backward()
            optimizer.step()
            steps += 1
    seconds = time.perf_counter() - started
    with torch.no_grad():
        accuracy = (model(x_test).argmax(1) == y_test).float().mean().item()
    print(f"pytorch {torch.__version__} on CPU ({torch.get_num_threads()} threads): training {seconds:.1f} s for {steps} steps ({seconds / steps * 1000:.2f} ms/step)")
    print(f"test accuracy: {accuracy:.4f}")


if __name__ == "__main__":
    main()
