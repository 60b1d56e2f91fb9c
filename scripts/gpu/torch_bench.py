#!/usr/bin/env python3
"""PyTorch's time for the work wgslgrad's GPU bundle measures, on the same machine in the same run.

float32 matmul C = A @ B at 1024, 2048 and 4096 (TF32 off, then on: reported apart), and the tuned
phone-price training step (20→128→256→512→128→4, sigmoid, cross-entropy, Adam 1e-4) at batch 8 and
512. CUDA times come from CUDA events around many runs after warm-up; the training step is timed
per step, wall clock including the synchronisation, as wgslgrad's is. Writes JSON to argv[1].
Usage: python3 torch_bench.py torch.json [--cpu]  (--cpu only proves the script where no GPU is).
"""
import json
import statistics
import sys
import time

import torch


def median_ms(fn, device, runs):
    """Median milliseconds of fn() over runs, after warm-up."""
    for _ in range(3):
        fn()
    times = []
    for _ in range(runs):
        if device.type == "cuda":
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            times.append(start.elapsed_time(end))
        else:
            t = time.perf_counter()
            fn()
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def matmul_rows(device, sizes, runs):
    rows = []
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        for n in sizes:
            a = torch.rand(n, n, device=device) * 2 - 1
            b = torch.rand(n, n, device=device) * 2 - 1
            c = torch.empty(n, n, device=device)
            ms = median_ms(lambda: torch.matmul(a, b, out=c), device, runs)
            rows.append({"name": f"matmul {n} tf32 {'on' if tf32 else 'off'}", "ms": ms, "gflops": 2 * n**3 / ms / 1e6})
    torch.backends.cuda.matmul.allow_tf32 = False
    return rows


def training_step_rows(device, batches, steps):
    rows = []
    sizes = [20, 128, 256, 512, 128, 4]
    for batch in batches:
        torch.manual_seed(0)
        layers = []
        for i in range(len(sizes) - 1):
            layers.append(torch.nn.Linear(sizes[i], sizes[i + 1]))
            if i + 2 < len(sizes):
                layers.append(torch.nn.Sigmoid())
        model = torch.nn.Sequential(*layers).to(device)
        optimizer = torch.optim.Adam(model.parameters(), lr=1e-4)
        loss_fn = torch.nn.CrossEntropyLoss()
        x = torch.rand(batch, 20, device=device) * 2 - 1
        y = torch.arange(batch, device=device) % 4

        def step():
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()

        def timed():
            t = time.perf_counter()
            step()
            if device.type == "cuda":
                torch.cuda.synchronize()
            return (time.perf_counter() - t) * 1000

        for _ in range(10):
            timed()
        times = [timed() for _ in range(steps)]
        rows.append({"name": f"training step batch {batch}", "ms": statistics.median(times), "p10": sorted(times)[len(times) // 10], "p90": sorted(times)[9 * len(times) // 10]})
    return rows


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cpu = "--cpu" in sys.argv
    if not cpu and not torch.cuda.is_available():
        sys.exit("torch_bench.py: PyTorch sees no CUDA device (pass --cpu to time the CPU instead)")
    device = torch.device("cpu" if cpu else "cuda")
    name = "CPU" if cpu else torch.cuda.get_device_name(0)
    sizes = [256, 512] if cpu else [1024, 2048, 4096]
    rows = matmul_rows(device, sizes, 5 if cpu else 50) + training_step_rows(device, [8, 512], 50 if cpu else 200)
    result = {"device": f"{name}, torch {torch.__version__}" + ("" if cpu else f", CUDA {torch.version.cuda}"), "rows": rows}
    with open(sys.argv[1], "w") as f:
        json.dump(result, f, indent=2)
    for r in rows:
        print(f"  torch {r['name']}: {r['ms']:.3f} ms" + (f" {r['gflops']:.0f} GFLOP/s" if "gflops" in r else ""))


if __name__ == "__main__":
    main()
