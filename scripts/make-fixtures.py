"""Golden values from PyTorch itself, for tests/fixtures/pytorch.json.

Run with Debian's PyTorch (apt-get install python3-torch):  /usr/bin/python3 scripts/make-fixtures.py
The JSON is committed; the test suite never needs PyTorch.
"""
import copy
import json
import math
import pathlib

import torch

torch.manual_seed(20261127)
out = {"torch_version": torch.__version__}


def values(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


# One step (and three steps) of each optimizer on fixed tensors.
optimizers = [
    ("SGD", {"lr": 0.1}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.01, "initial_accumulator_value": 0.1}),
    ("RMSprop", {"lr": 0.01}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
    ("Adam", {"lr": 0.001}),
    ("Adam", {"lr": 0.01, "betas": (0.8, 0.99), "weight_decay": 0.1, "amsgrad": True}),
]
out["optimizers"] = []
for name, kwargs in optimizers:
    param0 = torch.randn(6, 5)
    grads = [torch.randn(6, 5) for _ in range(3)]
    p = torch.nn.Parameter(param0.clone())
    opt = getattr(torch.optim, name)([p], **kwargs)
    after = []
    for g in grads:
        opt.zero_grad()
        p.grad = g.clone()
        opt.step()
        after.append(values(p))
    out["optimizers"].append({"name": name, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                              "param": values(param0), "shape": list(param0.shape), "grads": [values(g) for g in grads], "after": after})

# BatchNorm train and eval outputs with running statistics.
out["batchnorm"] = []
for cls, shape in ((torch.nn.BatchNorm1d, (8, 5)), (torch.nn.BatchNorm1d, (4, 3, 6)), (torch.nn.BatchNorm2d, (3, 4, 5, 2))):
    bn = cls(shape[1])
    with torch.no_grad():
        bn.weight.copy_(torch.rand(shape[1]) + 0.5)
        bn.bias.copy_(torch.randn(shape[1]))
    x1 = torch.randn(*shape) * 2 + 1
    x2 = torch.randn(*shape)
    bn.train()
    y1 = bn(x1)
    y2 = bn(x2)
    bn.eval()
    y3 = bn(x1)
    out["batchnorm"].append({"module": cls.__name__, "shape": list(shape), "weight": values(bn.weight), "bias": values(bn.bias),
                             "x1": values(x1), "x2": values(x2), "train1": values(y1), "train2": values(y2), "eval": values(y3),
                             "running_mean": values(bn.running_mean), "running_var": values(bn.running_var),
                             "num_batches_tracked": int(bn.num_batches_tracked)})

# Cross-entropy loss and its gradient.
logits = torch.randn(7, 4) * 3
labels = torch.randint(0, 4, (7,))
z = logits.clone().requires_grad_(True)
loss = torch.nn.CrossEntropyLoss()(z, labels)
loss.backward()
out["cross_entropy"] = {"logits": values(logits), "labels": labels.tolist(), "N": 7, "C": 4, "loss": float(loss), "grad": values(z.grad)}

# nn.Linear's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weight and bias.
linear = torch.nn.Linear(20, 128)
out["linear_init"] = {"in_features": 20, "out_features": 128, "bound": 1 / math.sqrt(20),
                      "weight_max_abs": float(linear.weight.abs().max()), "bias_max_abs": float(linear.bias.abs().max())}

# ── numerics: β near 1 over 10 steps, float64 trajectory and PyTorch's own float32 beside it ───────
# The test compares our float32 kernels with the float64 run at a tolerance the float32 run meets.
numerics = [
    ("Adam", {"lr": 0.1, "betas": (0.9, 0.999)}),
    ("Adam", {"lr": 0.1, "betas": (0.9, 0.9999)}),
    ("Adam", {"lr": 0.1, "betas": (0.999, 0.9999), "amsgrad": True}),
    ("AdamW", {"lr": 0.1, "betas": (0.9, 0.9999), "weight_decay": 0.1}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.999}),
    ("RMSprop", {"lr": 0.01, "alpha": 0.9999, "centered": True, "momentum": 0.5}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.999}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.001}),
]
out["numerics"] = []
for name, kwargs in numerics:
    param0 = (torch.rand(203, dtype=torch.float64) * 2 - 1).float().double()
    grads = [torch.randn(203, dtype=torch.float64).float().double() for _ in range(10)]
    finals = {}
    for dtype in (torch.float64, torch.float32):
        p = torch.nn.Parameter(param0.to(dtype).clone())
        opt = getattr(torch.optim, name)([p], **kwargs)
        for g in grads:
            p.grad = g.to(dtype).clone()
            opt.step()
        finals[dtype] = values(p)
    out["numerics"].append({"name": name, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                            "param": values(param0), "grads": [values(g) for g in grads],
                            "float64": finals[torch.float64], "float32": finals[torch.float32]})

# ── learning-rate schedulers: each group's lr after every scheduler.step() ───────────────────────
from torch.optim import lr_scheduler as sched

schedulers = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 10}),
    ("LambdaLR", {}),
    ("ReduceLROnPlateau", {"factor": 0.5, "patience": 2, "cooldown": 1, "min_lr": [0.01, 0.001]}),
    ("ReduceLROnPlateau", {"mode": "max", "threshold": 0.1, "threshold_mode": "abs", "patience": 0}),
    ("ReduceLROnPlateau", {"mode": "max", "threshold": 0.1, "threshold_mode": "rel", "patience": 1}),
    ("ReduceLROnPlateau", {"threshold": 0.07, "threshold_mode": "abs", "patience": 1, "factor": 0.3}),
    ("StepLR+ExponentialLR", {}),
    # A scheduler made later (a warm-up, then another): it starts from each group's initial_lr.
    ("ExponentialLR, then CosineAnnealingLR from epoch 3", {}),
    ("ExponentialLR, then LambdaLR from epoch 3", {}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.25, "end_factor": 0.75, "total_iters": 8}),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.1, "total_iters": 12}),
    ("ConstantLR", {}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 7}),
    ("CosineAnnealingWarmRestarts", {"T_0": 3}),
    ("CosineAnnealingWarmRestarts", {"T_0": 2, "T_mult": 2, "eta_min": 0.001}),
    ("CosineAnnealingWarmRestarts", {"T_0": 1, "T_mult": 3}),
    # OneCycleLR on SGD cycles each group's momentum (Adam's betas[0]: the "with Adam" cases); it may
    # step total_steps times after the constructor's step, and no more.
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 20}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "epochs": 4, "steps_per_epoch": 5, "pct_start": 0.25, "anneal_strategy": "linear"}),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 23, "three_phase": True, "div_factor": 10.0, "final_div_factor": 100.0, "base_momentum": [0.8, 0.7], "max_momentum": 0.9}),
    ("OneCycleLR", {"max_lr": 0.3, "total_steps": 20, "cycle_momentum": False, "pct_start": 0.5}),
    ("OneCycleLR with Adam", {"max_lr": 0.01, "total_steps": 20}),
    ("OneCycleLR with Adam", {"max_lr": [0.01, 0.02], "total_steps": 25, "three_phase": True, "anneal_strategy": "linear", "base_momentum": 0.5}),
    # SequentialLR hands over at each milestone with the next scheduler's step(0): its closed form
    # (the base lrs), or get_lr where it has none (LambdaLR, OneCycleLR), or its own step(0).
    ("SequentialLR: LinearLR, ExponentialLR, CosineAnnealingLR at [4, 9]", {}),
    ("SequentialLR: ConstantLR, CosineAnnealingWarmRestarts, StepLR at [3, 10]", {}),
    ("SequentialLR: LambdaLR, MultiStepLR at [5]", {}),
    ("ChainedScheduler: ConstantLR, ExponentialLR", {}),
    ("ChainedScheduler: LinearLR, CosineAnnealingWarmRestarts", {}),
    ("CosineAnnealingLR", {"T_max": 2.5, "eta_min": 0.002}),  # a fraction: T_max = steps * 0.25 in a ported script
]
plateau_metrics = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.8, 0.85, 0.85, 0.85, 0.85, 0.7, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75, 0.75]
out["schedulers"] = []
for name, kwargs in schedulers:
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    optimizer = torch.optim.Adam if name.endswith("with Adam") else torch.optim.SGD
    opt = optimizer([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    if name == "LambdaLR":
        made = [sched.LambdaLR(opt, lr_lambda=[lambda e: 0.95 ** e, lambda e: 1 / (1 + e)])]
    elif name == "StepLR+ExponentialLR":
        made = [sched.StepLR(opt, step_size=4, gamma=0.5), sched.ExponentialLR(opt, gamma=0.95)]
    elif name.startswith("ExponentialLR, then"):
        made = [sched.ExponentialLR(opt, gamma=0.5)]
    elif name.startswith("OneCycleLR"):
        made = [sched.OneCycleLR(opt, **kwargs)]
    elif name == "SequentialLR: LinearLR, ExponentialLR, CosineAnnealingLR at [4, 9]":
        parts = [sched.LinearLR(opt, start_factor=0.2, total_iters=4), sched.ExponentialLR(opt, gamma=0.9), sched.CosineAnnealingLR(opt, T_max=6, eta_min=0.001)]
        made = [sched.SequentialLR(opt, parts, milestones=[4, 9])]
    elif name == "SequentialLR: ConstantLR, CosineAnnealingWarmRestarts, StepLR at [3, 10]":
        parts = [sched.ConstantLR(opt, factor=0.5, total_iters=2), sched.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=2), sched.StepLR(opt, step_size=3, gamma=0.5)]
        made = [sched.SequentialLR(opt, parts, milestones=[3, 10])]
    elif name == "SequentialLR: LambdaLR, MultiStepLR at [5]":
        parts = [sched.LambdaLR(opt, lr_lambda=lambda e: 0.8 ** e), sched.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)]
        made = [sched.SequentialLR(opt, parts, milestones=[5])]
    elif name == "ChainedScheduler: ConstantLR, ExponentialLR":
        made = [sched.ChainedScheduler([sched.ConstantLR(opt, factor=0.1, total_iters=3), sched.ExponentialLR(opt, gamma=0.9)])]
    elif name == "ChainedScheduler: LinearLR, CosineAnnealingWarmRestarts":
        made = [sched.ChainedScheduler([sched.LinearLR(opt, start_factor=0.5, total_iters=5), sched.CosineAnnealingWarmRestarts(opt, T_0=4)])]
    else:
        made = [getattr(sched, name)(opt, **kwargs)]
    def momenta():
        return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]
    lrs = [[g["lr"] for g in opt.param_groups]]
    moms = [momenta()]
    for epoch in range(20):
        if epoch == 3 and name == "ExponentialLR, then CosineAnnealingLR from epoch 3":
            made.append(sched.CosineAnnealingLR(opt, T_max=4))
        if epoch == 3 and name == "ExponentialLR, then LambdaLR from epoch 3":
            made.append(sched.LambdaLR(opt, lr_lambda=lambda e: 0.9 ** e))
        opt.step()
        for s in made:
            s.step(plateau_metrics[epoch]) if name == "ReduceLROnPlateau" else s.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append(momenta())
    out["schedulers"].append({"name": name, "options": kwargs, "lrs": lrs, "momenta": moms, "metrics": plateau_metrics if name == "ReduceLROnPlateau" else []})

# CosineAnnealingWarmRestarts.step(epoch): fractional epochs (a step per batch), forward and back,
# and step() going on from the last one given.
out["schedulers_warm_restarts_epochs"] = []
for kwargs in ({"T_0": 2, "T_mult": 2, "eta_min": 0.001}, {"T_0": 3}, {"T_0": 1, "T_mult": 3}):
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    warm = sched.CosineAnnealingWarmRestarts(opt, **kwargs)
    epochs = [0.5, 1, 1.75, 2, 3.25, 5.9, 6, 6.0001, 13.999, 14, 30.5, None, None, 2.5, None, 0, 40, 121.3]
    lrs = [[g["lr"] for g in opt.param_groups]]
    for e in epochs:
        opt.step()
        warm.step(e)
        lrs.append([g["lr"] for g in opt.param_groups])
    out["schedulers_warm_restarts_epochs"].append({"options": kwargs, "epochs": epochs, "lrs": lrs, "last_epoch": warm.last_epoch})

# Resumed schedules (last_epoch): 5 epochs, the optimizer's state dict loaded into a new optimizer,
# then a new scheduler with last_epoch=5 and 6 more epochs. PyTorch's constructor steps once more, so
# its first lr is epoch 6's, computed from the loaded lr (StepLR at 6 cuts right away).
resumed = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("MultiStepLR", {"milestones": [2, 6, 8], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.001}),
    ("LambdaLR", {}),
    ("LinearLR", {"start_factor": 0.25, "total_iters": 8}),
    ("ConstantLR", {"factor": 0.5, "total_iters": 7}),
    # T_cur restarts from last_epoch, as if no restart had come before (PyTorch's own way).
    ("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": 12}),
]
out["schedulers_resumed"] = []
for name, kwargs in resumed:
    def made(opt, **more):
        if name == "LambdaLR":
            return sched.LambdaLR(opt, lr_lambda=lambda e: 0.95 ** e, **more)
        return getattr(sched, name)(opt, **kwargs, **more)

    def optimizer():
        a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
        return torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)

    opt = optimizer()
    first = made(opt)
    for epoch in range(5):
        opt.step()
        first.step()
    again = optimizer()
    again.load_state_dict(opt.state_dict())
    second = made(again, last_epoch=5)
    lrs = [[g["lr"] for g in again.param_groups]]
    for epoch in range(6):
        again.step()
        second.step()
        lrs.append([g["lr"] for g in again.param_groups])
    out["schedulers_resumed"].append({"name": name, "options": kwargs, "lrs": lrs})

# ── CrossEntropyLoss options: weight, ignore_index, reduction, label_smoothing ────────────────────
ce_configs = [
    {"reduction": "sum"},
    {"reduction": "none"},
    {"weight": [0.5, 2.0, 1.0, 0.25, 3.0]},
    {"ignore_index": -100},
    {"ignore_index": 2},
    {"label_smoothing": 0.1},
    {"label_smoothing": 0.3, "reduction": "sum"},
    {"weight": [0.5, 2.0, 1.0, 0.25, 3.0], "ignore_index": 3, "label_smoothing": 0.2},
    {"weight": [0.5, 2.0, 1.0, 0.25, 3.0], "ignore_index": -100, "label_smoothing": 0.15, "reduction": "none"},
]
out["cross_entropy_options"] = []
for kwargs in ce_configs:
    N, C = 11, 5
    logits = torch.randn(N, C) * 2
    labels = torch.randint(0, C, (N,))
    labels[3] = kwargs.get("ignore_index", -100) if "ignore_index" in kwargs else labels[3]
    labels[7] = kwargs.get("ignore_index", labels[7].item()) if "ignore_index" in kwargs else labels[7]
    z = logits.clone().requires_grad_(True)
    args = dict(kwargs)
    if "weight" in args:
        args["weight"] = torch.tensor(args["weight"])
    loss = torch.nn.CrossEntropyLoss(**args)(z, labels)
    grad = None
    if kwargs.get("reduction") != "none":
        loss.backward()
        grad = values(z.grad)
    out["cross_entropy_options"].append({"options": kwargs, "N": N, "C": C, "logits": values(logits), "labels": labels.tolist(), "loss": values(loss), "grad": grad})

# ── BatchNorm with momentum=None (cumulative average), four training batches ────────────────────
bn = torch.nn.BatchNorm1d(3, momentum=None)
xs = [torch.randn(6, 3) * (i + 1) + i for i in range(4)]
bn.train()
ys = [values(bn(x)) for x in xs]
out["batchnorm_cumulative"] = {"xs": [values(x) for x in xs], "shape": [6, 3], "running_mean": values(bn.running_mean),
                               "running_var": values(bn.running_var), "num_batches_tracked": int(bn.num_batches_tracked)}

# ── BatchNorm without running statistics: it normalises with the batch's statistics in eval mode too ──
out["batchnorm_no_running_stats"] = []
for cls, shape, affine in ((torch.nn.BatchNorm1d, (6, 4), True), (torch.nn.BatchNorm2d, (3, 2, 4, 3), False)):
    bn = cls(shape[1], affine=affine, track_running_stats=False)
    if affine:
        with torch.no_grad():
            bn.weight.copy_(torch.rand(shape[1]) + 0.5)
            bn.bias.copy_(torch.randn(shape[1]))
    x1 = torch.randn(*shape) * 2 + 1
    x2 = torch.randn(*shape) * 3 - 2
    bn.train()
    y1 = bn(x1)
    bn.eval()
    y2 = bn(x2)
    out["batchnorm_no_running_stats"].append({"module": cls.__name__, "shape": list(shape), "affine": affine,
                                              "weight": values(bn.weight) if affine else None, "bias": values(bn.bias) if affine else None,
                                              "x1": values(x1), "x2": values(x2), "train": values(y1), "eval": values(y2),
                                              "state_dict": list(bn.state_dict().keys())})

# ── optimizers whose lr changes between steps (as a scheduler changes it): six steps, the lr cut ──
# tenfold before the fourth. Only an lr kept out of the optimizer's state follows the cut at once.
lr_change = [
    ("RMSprop", {"lr": 0.01, "momentum": 0.9}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "alpha": 0.9}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.2}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.05}),
    ("Adam", {"lr": 0.01, "amsgrad": True}),
]
out["lr_change"] = []
for name, kwargs in lr_change:
    param0 = torch.randn(37)
    grads = [torch.randn(37) for _ in range(6)]
    lrs = [kwargs["lr"]] * 3 + [kwargs["lr"] / 10] * 3
    p = torch.nn.Parameter(param0.clone())
    opt = getattr(torch.optim, name)([p], **kwargs)
    after = []
    for lr, g in zip(lrs, grads):
        opt.param_groups[0]["lr"] = lr
        p.grad = g.clone()
        opt.step()
        after.append(values(p))
    out["lr_change"].append({"name": name, "options": kwargs, "lrs": lrs, "param": values(param0), "grads": [values(g) for g in grads], "after": after})

# ── frozen parameters: three in one optimizer, a different one frozen (requires_grad False, grad None,
# so step() skips it) at some steps. Each parameter keeps its own step count (Adam's bias correction,
# Adagrad's lr decay, SGD's first momentum step).
frozen_schedule = [["b"], [], ["a"], [], ["c"], ["a", "b"]]
frozen = [
    ("Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01, "amsgrad": True}),
    ("SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.05}),
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.1, "weight_decay": 0.01}),
    ("RMSprop", {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.01}),
]
shapes = {"a": [5, 3], "b": [7], "c": [4, 4]}
out["frozen"] = []
for name, kwargs in frozen:
    param0 = {k: torch.randn(*shape) for k, shape in shapes.items()}
    grads = [{k: torch.randn(*shape) for k, shape in shapes.items()} for _ in frozen_schedule]
    ps = {k: torch.nn.Parameter(v.clone()) for k, v in param0.items()}
    opt = getattr(torch.optim, name)(list(ps.values()), **kwargs)
    after = []
    for off, g in zip(frozen_schedule, grads):
        opt.zero_grad(set_to_none=True)
        for k, p in ps.items():
            p.requires_grad_(k not in off)
            if k not in off:
                p.grad = g[k].clone()
        opt.step()
        after.append({k: values(p) for k, p in ps.items()})
    out["frozen"].append({"name": name, "options": kwargs, "shapes": shapes, "schedule": frozen_schedule,
                          "param": {k: values(v) for k, v in param0.items()},
                          "grads": [{k: values(v) for k, v in g.items()} for g in grads], "after": after})

# ── unused parameters: each step's forward uses some of a, b, c (x → a → b, c the last one's bias), so
# backward() gives the others no gradient. After zero_grad(set_to_none=True) such a parameter's grad is
# None and step() skips it; after zero_grad(set_to_none=False) one that had a grad steps with zeros
# (weight decay and momentum act), and one that never had a grad is still None.
unused_schedule = [(["a"], True), (["a", "b"], True), (["a"], False), (["a", "c"], True), (["b", "c"], False), (["a", "b", "c"], True)]
out["unused"] = []
for name, kwargs in frozen:
    param0 = {"a": torch.randn(4, 4), "b": torch.randn(4, 4), "c": torch.randn(4)}
    x, target = torch.randn(3, 4), torch.randn(3, 4)
    ps = {k: torch.nn.Parameter(v.clone()) for k, v in param0.items()}
    opt = getattr(torch.optim, name)(list(ps.values()), **kwargs)
    after = []
    for used, set_to_none in unused_schedule:
        opt.zero_grad(set_to_none=set_to_none)
        h = x
        if "a" in used:
            h = torch.nn.functional.linear(h, ps["a"], ps["c"] if "c" in used and "b" not in used else None)
        if "b" in used:
            h = torch.nn.functional.linear(h, ps["b"], ps["c"] if "c" in used else None)
        torch.nn.functional.mse_loss(h, target).backward()
        opt.step()
        after.append({k: values(p) for k, p in ps.items()})
    out["unused"].append({"name": name, "options": kwargs, "schedule": [{"used": u, "set_to_none": n} for u, n in unused_schedule],
                          "param": {k: values(v) for k, v in param0.items()}, "x": values(x), "target": values(target), "after": after})

path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pytorch.json"
path.write_text(json.dumps(out) + "\n")
print(f"wrote {path} ({path.stat().st_size} bytes) with torch {torch.__version__}")

# ── more optimizers (tests/fixtures/pytorch-optimizers.json) ──────────────────────────────────────
# Two parameters in one optimizer, 8 steps (RAdam's first 5 unrectified at β2 = 0.999), the
# parameters after every step. "skip": steps at which the second parameter has no gradient (grad
# None: PyTorch skips it, so its step count and NAdam's mu_product fall behind the first's).
# "betas_at": a new betas from that step on (OneCycleLR changes betas[0] so). NAdam runs with
# foreach=True: 1.13's default single-tensor path counts μ_t twice in its second step size, which
# its foreach path, the documented algorithm and PyTorch 2.0 (pytorch#92699) do not.
torch.manual_seed(20261129)
more_optimizers = {"torch_version": torch.__version__, "cases": []}
for name, kwargs, extra in [
    ("Adamax", {}, {}),
    ("Adamax", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.1, "maximize": True}, {"skip": [2, 5]}),
    ("NAdam", {}, {}),
    ("NAdam", {"lr": 0.01, "betas": (0.8, 0.99), "eps": 1e-6, "weight_decay": 0.1, "momentum_decay": 0.01}, {"skip": [1, 2]}),
    ("NAdam", {"lr": 0.01}, {"betas_at": [4, (0.7, 0.999)]}),
    ("RAdam", {"lr": 0.01}, {}),
    ("RAdam", {"lr": 0.01, "betas": (0.8, 0.9), "eps": 1e-6, "weight_decay": 0.1}, {"skip": [3]}),
    ("Adadelta", {}, {}),
    ("Adadelta", {"lr": 0.5, "rho": 0.8, "eps": 1e-4, "weight_decay": 0.1, "maximize": True}, {"skip": [4]}),
    ("Rprop", {}, {}),
    ("Rprop", {"lr": 0.05, "etas": (0.3, 1.5), "step_sizes": (0.01, 0.2), "maximize": True}, {"skip": [3]}),
    ("ASGD", {}, {}),
    ("ASGD", {"lr": 0.05, "lambd": 0.01, "alpha": 0.5, "t0": 2, "weight_decay": 0.1, "maximize": True}, {"skip": [3]}),
]:
    params0 = [torch.randn(6, 5), torch.randn(7)]
    ps = [torch.nn.Parameter(p.clone()) for p in params0]
    opt = getattr(torch.optim, name)(ps, **kwargs, **({"foreach": True} if name == "NAdam" else {}))
    grads, after = [], []
    for step in range(8):
        # Half of the elements keep the previous gradient's sign (Rprop grows those step sizes), some are 0.
        gs = []
        for i, p in enumerate(params0):
            g = torch.randn(p.shape)
            if step > 0:
                keep = torch.arange(p.numel()).reshape(p.shape) % 2 == 0
                g = torch.where(keep, g.abs() * torch.sign(torch.tensor(grads[-1][i]).reshape(p.shape)), g)
            g[torch.arange(p.numel()).reshape(p.shape) % 7 == 3] = 0
            gs.append(g)
        if "betas_at" in extra and step == extra["betas_at"][0]:
            opt.param_groups[0]["betas"] = extra["betas_at"][1]
        opt.zero_grad(set_to_none=True)
        for i, (p, g) in enumerate(zip(ps, gs)):
            if not (i == 1 and step in extra.get("skip", [])):
                p.grad = g.clone()
        opt.step()
        grads.append([values(g) for g in gs])
        after.append([values(p) for p in ps])
    more_optimizers["cases"].append({"name": name, "options": {k: list(v) if isinstance(v, tuple) else v for k, v in kwargs.items()},
                                     "skip": extra.get("skip", []), "betas_at": [extra["betas_at"][0], list(extra["betas_at"][1])] if "betas_at" in extra else None,
                                     "shapes": [list(p.shape) for p in params0], "params": [values(p) for p in params0], "grads": grads, "after": after,
                                     **({"ax": [values(opt.state[p]["ax"]) for p in ps]} if name == "ASGD" else {})})
# LBFGS (without and with the strong Wolfe line search) on a least-squares fit and a small tanh MLP: each step()'s returned loss, the
# parameters after it, and PyTorch's n_iter and func_evals, so where the iterations stop is checked too.
more_optimizers["lbfgs"] = []
for name, kwargs, steps in [
    ("least squares", {}, 3),
    ("mlp", {"lr": 0.5, "max_iter": 7, "history_size": 3}, 4),
    ("mlp", {"lr": 1.0, "max_iter": 10, "tolerance_change": 1e-3}, 3),
    ("mlp", {"max_iter": 10, "line_search_fn": "strong_wolfe"}, 3),
    ("least squares", {"history_size": 4, "line_search_fn": "strong_wolfe"}, 2),
    ("mlp", {"lr": 0.1, "max_iter": 6, "history_size": 2, "line_search_fn": "strong_wolfe"}, 4),
]:
    torch.manual_seed(20261206 + len(more_optimizers["lbfgs"]))
    x, y = torch.randn(16, 4), torch.randn(16, 2)
    layers = [torch.nn.Linear(4, 2)] if name == "least squares" else [torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 2)]
    model = torch.nn.Sequential(*layers)
    initial = {k: values(v) for k, v in model.state_dict().items()}
    opt = torch.optim.LBFGS(model.parameters(), **kwargs)
    def closure():
        opt.zero_grad()
        loss = torch.nn.functional.mse_loss(model(x), y)
        loss.backward()
        return loss
    # The same run in float64, the truth: over ~30 iterations float32's rounding grows (PyTorch's own
    # float32 run is 1e-3 off by the third step of the last case), so the test allows a few times
    # PyTorch's own float32 error ("drift") at each step.
    model64 = copy.deepcopy(model).double()
    opt64 = torch.optim.LBFGS(model64.parameters(), **kwargs)
    def closure64():
        opt64.zero_grad()
        loss = torch.nn.functional.mse_loss(model64(x.double()), y.double())
        loss.backward()
        return loss
    losses, losses64, after, after64, drift, counts, counts64 = [], [], [], [], [], [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure)))
        losses64.append(float(opt64.step(closure64)))
        state64 = opt64.state[opt64._params[0]]
        counts64.append([state64["n_iter"], state64["func_evals"]])
        after.append({k: values(v) for k, v in model.state_dict().items()})
        after64.append({k: values(v) for k, v in model64.state_dict().items()})
        drift.append(max(abs(a - b) for k in after[-1] for a, b in zip(after[-1][k], after64[-1][k])))
        state = opt.state[opt._params[0]]
        counts.append([state["n_iter"], state["func_evals"]])
    more_optimizers["lbfgs"].append({"name": name, "options": kwargs, "x": values(x), "y": values(y), "initial": initial, "losses": losses, "after": after,
                                     "losses64": losses64, "after64": after64, "drift": drift, "counts": counts, "counts64": counts64})
more_optimizers_path = path.parent / "pytorch-optimizers.json"
more_optimizers_path.write_text(json.dumps(more_optimizers) + "\n")
print(f"wrote {more_optimizers_path} ({more_optimizers_path.stat().st_size} bytes)")

# ── more schedulers (tests/fixtures/pytorch-schedulers.json) ──────────────────────────────────────
# MultiplicativeLR, PolynomialLR and CyclicLR on SGD with two param groups (lr 0.1 and 0.05): each
# group's lr and momentum after the constructor and after each of 20 steps, as the schedulers above.
more_schedulers = {"torch_version": torch.__version__, "cases": []}
for name, kwargs in [
    ("MultiplicativeLR", {}),
    ("PolynomialLR", {}),
    ("PolynomialLR", {"total_iters": 8, "power": 2.0}),
    ("PolynomialLR", {"total_iters": 12, "power": 0.5}),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 4}),
    ("CyclicLR", {"base_lr": [0.01, 0.02], "max_lr": [0.1, 0.05], "step_size_up": 3, "step_size_down": 5, "mode": "triangular2", "base_momentum": 0.7, "max_momentum": [0.95, 0.9]}),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 2.5, "mode": "exp_range", "gamma": 0.9, "cycle_momentum": False}),
    ("CyclicLR with scale_fn 1/x per cycle", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 3}),
    ("CyclicLR with scale_fn 0.8^x per iteration", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 2, "step_size_down": 4}),
    ("SequentialLR: LinearLR, PolynomialLR at [3]", {}),
]:
    a, b = torch.nn.Parameter(torch.zeros(2)), torch.nn.Parameter(torch.zeros(3))
    opt = torch.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.05}], lr=0.1)
    if name == "MultiplicativeLR":
        made = sched.MultiplicativeLR(opt, lr_lambda=[lambda e: 0.95, lambda e: 1 - 0.02 * e])
    elif name == "CyclicLR with scale_fn 1/x per cycle":
        made = sched.CyclicLR(opt, **kwargs, scale_fn=lambda x: 1 / x, scale_mode="cycle")
    elif name == "CyclicLR with scale_fn 0.8^x per iteration":
        made = sched.CyclicLR(opt, **kwargs, scale_fn=lambda x: 0.8 ** x, scale_mode="iterations")
    elif name.startswith("SequentialLR"):
        made = sched.SequentialLR(opt, [sched.LinearLR(opt, start_factor=0.25, total_iters=3), sched.PolynomialLR(opt, total_iters=10, power=2.0)], milestones=[3])
    else:
        made = getattr(sched, name)(opt, **kwargs)
    lrs, moms = [[g["lr"] for g in opt.param_groups]], [[g["momentum"] for g in opt.param_groups]]
    for step in range(20):
        opt.step()
        made.step()
        lrs.append([g["lr"] for g in opt.param_groups])
        moms.append([g["momentum"] for g in opt.param_groups])
    more_schedulers["cases"].append({"name": name, "options": kwargs, "lrs": lrs, "momenta": moms})
more_schedulers_path = path.parent / "pytorch-schedulers.json"
more_schedulers_path.write_text(json.dumps(more_schedulers) + "\n")
print(f"wrote {more_schedulers_path} ({more_schedulers_path.stat().st_size} bytes)")

# ── convolutional layers (tests/fixtures/pytorch-conv.json) ──────────────────────────────────────
# Each module on an input of its own shape: the forward output and, for loss = Σ y · dy with a random
# dy, the gradient of the input and of every parameter.
torch.manual_seed(20261128)
conv = {"torch_version": torch.__version__, "modules": []}


def traced(f, x, fields, module=None):
    """y = f(x), and for Σ y · dy with a random dy the input's gradient: a case of fields, x, y, dy and
    dx; with a module, its printout and every parameter with its gradient too."""
    x.requires_grad_(True)
    y = f(x)
    dy = torch.randn(*y.shape)
    (y * dy).sum().backward()
    case = {**fields, "x": values(x), "y": values(y), "y_shape": list(y.shape), "dy": values(dy), "dx": values(x.grad)}
    if module is not None:
        case["repr"] = repr(module)
        for name, p in module.named_parameters():
            case[name] = values(p)
            case["d" + name] = values(p.grad)
    return case


def module_case(kind, kwargs, shape, module, x=None):
    conv["modules"].append(traced(module, torch.randn(*shape) if x is None else x, {"kind": kind, "kwargs": kwargs, "shape": list(shape)}, module))


for kwargs, shape in (
    ({"in_channels": 3, "out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, 7, 6)),
    ({"in_channels": 4, "out_channels": 6, "kernel_size": [3, 2], "stride": [1, 2], "padding": [2, 1], "dilation": [2, 1], "groups": 2, "bias": False}, (1, 4, 8, 7)),
    ({"in_channels": 3, "out_channels": 3, "kernel_size": 3, "padding": 1, "groups": 3}, (2, 3, 5, 5)),
    ({"in_channels": 1, "out_channels": 2, "kernel_size": 1}, (1, 1, 1, 1)),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    module_case("Conv2d", kwargs, shape, torch.nn.Conv2d(**args))
for kwargs, shape, ties in (
    ({"kernel_size": 2}, (2, 3, 6, 7), False),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 7, 7), False),
    ({"kernel_size": 2, "stride": 1}, (2, 2, 5, 5), True),
    ({"kernel_size": [3, 2], "stride": [2, 1], "padding": 1, "dilation": [1, 2]}, (1, 3, 8, 9), False),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    x = torch.randint(-1, 2, shape).float() if ties else None  # many tied maxima
    module_case("MaxPool2d", kwargs, shape, torch.nn.MaxPool2d(**args), x)
    _, indices = torch.nn.functional.max_pool2d(torch.tensor(conv["modules"][-1]["x"]).reshape(shape), **args, return_indices=True)
    conv["modules"][-1]["indices"] = [int(v) for v in indices.reshape(-1).tolist()]
for kwargs, shape in (
    ({"kernel_size": 2}, (2, 3, 6, 7)),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 7, 6)),
    ({"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, (1, 2, 7, 6)),
):
    module_case("AvgPool2d", kwargs, shape, torch.nn.AvgPool2d(**kwargs))
module_case("AdaptiveAvgPool2d", {"output_size": 1}, (2, 3, 4, 5), torch.nn.AdaptiveAvgPool2d(1))
module_case("Flatten", {}, (2, 3, 2, 2), torch.nn.Flatten())

# A small network of every layer, trained one step: loss, every gradient, the running statistics.
net = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                          torch.nn.Conv2d(4, 6, 3, padding=1), torch.nn.BatchNorm2d(6), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
                          torch.nn.Flatten(), torch.nn.Linear(6 * 2 * 2, 3))
x = torch.rand(5, 1, 8, 8)
labels = torch.randint(0, 3, (5,))
initial = {k: values(v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
loss = torch.nn.CrossEntropyLoss()(net(x), labels)
loss.backward()
conv["network"] = {"x": values(x), "shape": list(x.shape), "labels": labels.tolist(), "initial": initial, "loss": float(loss),
                   "grads": {k: values(p.grad) for k, p in net.named_parameters()},
                   "after": {k: values(v) for k, v in net.state_dict().items() if "running" in k}}

# nn.Conv2d's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in/groups * kh * kw.
layer = torch.nn.Conv2d(8, 16, 3)
conv["conv_init"] = {"in_channels": 8, "out_channels": 16, "kernel_size": 3, "bound": 1 / math.sqrt(8 * 9),
                     "weight_max_abs": float(layer.weight.abs().max()), "bias_max_abs": float(layer.bias.abs().max())}

# padding='same' and 'valid' (drawn last, so the cases above keep their numbers).
for kwargs, shape in (
    ({"in_channels": 2, "out_channels": 3, "kernel_size": [3, 5], "padding": "same", "dilation": [2, 1]}, (2, 2, 6, 7)),
    ({"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": "valid"}, (1, 2, 5, 6)),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    module_case("Conv2d", kwargs, shape, torch.nn.Conv2d(**args))

# 1-D layers over [N, C, L] and one sequence [C, L] (appended last, so the cases above keep their draws).
for kwargs, shape in (
    ({"in_channels": 3, "out_channels": 5, "kernel_size": 3, "stride": 2, "padding": 1}, (2, 3, 9)),
    ({"in_channels": 4, "out_channels": 6, "kernel_size": 3, "dilation": 2, "groups": 2, "bias": False}, (1, 4, 11)),
    ({"in_channels": 2, "out_channels": 3, "kernel_size": 5, "padding": "same"}, (2, 2, 7)),
    ({"in_channels": 3, "out_channels": 2, "kernel_size": 2}, (3, 6)),
):
    module_case("Conv1d", kwargs, shape, torch.nn.Conv1d(**kwargs))
for kwargs, shape, ties in (
    ({"kernel_size": 2}, (2, 3, 7), False),
    ({"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2}, (1, 2, 12), False),
    ({"kernel_size": 2, "stride": 1}, (2, 9), True),
):
    x = torch.randint(-1, 2, shape).float() if ties else None
    module_case("MaxPool1d", kwargs, shape, torch.nn.MaxPool1d(**kwargs), x)
    _, indices = torch.nn.functional.max_pool1d(torch.tensor(conv["modules"][-1]["x"]).reshape(shape), **kwargs, return_indices=True)
    conv["modules"][-1]["indices"] = [int(v) for v in indices.reshape(-1).tolist()]
for kwargs, shape in (
    ({"kernel_size": 2}, (2, 3, 7)),
    ({"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, (1, 2, 8)),
    ({"kernel_size": 3, "stride": 1, "padding": 1}, (2, 6)),
):
    module_case("AvgPool1d", kwargs, shape, torch.nn.AvgPool1d(**kwargs))

conv_path = path.parent / "pytorch-conv.json"
conv_path.write_text(json.dumps(conv) + "\n")
print(f"wrote {conv_path} ({conv_path.stat().st_size} bytes)")

# ── activations, softmax and regression losses (tests/fixtures/pytorch-losses.json) ──────────────
# Each case in float32 (what we compare with) and float64 (the truth): the test requires our result
# within a tolerance of the float64 one that PyTorch's own float32 result meets. Non-scalar outputs
# are reduced as Σ y · dy with a random dy; a reduced loss starts backward itself. Inputs are drawn
# in float32, so both precisions start from the same numbers.
torch.manual_seed(20261129)
losses = {"torch_version": torch.__version__, "modules": []}


def float32_values(*shape, scale=1.0):
    return (torch.randn(*shape) * scale).double()


def backward_from(y, dy, dtype):
    """y.backward() for a scalar; else Σ y · dy with dy drawn once (float64, on the first call) and reused. Returns dy."""
    if y.dim() == 0:
        y.backward()
        return dy
    if dy is None:
        dy = torch.randn(y.shape).double()
    (y * dy.to(dtype)).sum().backward()
    return dy


def losses_case(kind, kwargs, make, inputs, grad_of):
    """make(): the module; inputs: float64 tensors; grad_of: which inputs get gradients."""
    case = {"kind": kind, "kwargs": kwargs, "shape": list(inputs[0].shape), "inputs": [values(t) for t in inputs]}
    dy = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        ts = [t.to(dtype).clone().requires_grad_(i in grad_of) for i, t in enumerate(inputs)]
        y = make()(*ts)
        dy = backward_from(y, dy, dtype)
        case["y" + suffix] = values(y)
        case["grads" + suffix] = [values(ts[i].grad) for i in grad_of]
    case["y_shape"] = list(y.shape)
    case["dy"] = values(dy) if dy is not None else None
    losses["modules"].append(case)


x = float32_values(3, 7, scale=4.0)
x[0, :3] = torch.tensor([20.0, -20.0, 0.0])  # tanh saturated both ways, and 0
losses_case("Tanh", {}, torch.nn.Tanh, [x], [0])
for slope, shape in ((None, (4, 5)), (0.2, (2, 3, 4))):
    x = float32_values(*shape)
    x.view(-1)[::7] = 0.0  # exact zeros: PyTorch's gradient there is the slope
    kwargs = {} if slope is None else {"negative_slope": slope}
    losses_case("LeakyReLU", kwargs, lambda: torch.nn.LeakyReLU(**kwargs), [x], [0])
for kind in ("Softmax", "LogSoftmax"):
    for dim, shape, scale in ((1, (5, 7), 3.0), (-1, (3, 4, 6), 3.0), (0, (4, 3), 3.0), (1, (2, 3, 4, 4), 3.0), (-1, (4, 1), 3.0), (1, (3, 5), 1e4)):
        losses_case(kind, {"dim": dim}, lambda: getattr(torch.nn, kind)(dim=dim), [float32_values(*shape, scale=scale)], [0])
for kind in ("MSELoss", "L1Loss"):
    for reduction, shape in (("mean", (6, 4)), ("sum", (3, 5, 2)), ("none", (7, 3)), ("mean", (1,))):
        x, t = float32_values(*shape), float32_values(*shape)
        t.view(-1)[1::4] = x.view(-1)[1::4]  # ties: L1's gradient is 0 there (none in the [1] case)
        losses_case(kind, {"reduction": reduction}, lambda: getattr(torch.nn, kind)(reduction=reduction), [x, t], [0, 1])

# The modules in one network, one backward: Linear-Tanh-Linear-LeakyReLU-Linear-Softmax, MSE to a target.
net = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.Tanh(), torch.nn.Linear(5, 4), torch.nn.LeakyReLU(0.1),
                          torch.nn.Linear(4, 3), torch.nn.Softmax(dim=1))
x, target = torch.randn(9, 6), torch.rand(9, 3)
loss = torch.nn.MSELoss()(net(x), target)
loss.backward()
losses["network"] = {"x": values(x), "target": values(target), "initial": {k: values(v) for k, v in net.state_dict().items()},
                     "loss": float(loss), "grads": {k: values(p.grad) for k, p in net.named_parameters()}}

# BCELoss on probabilities (a sigmoid's output), targets in [0, 1], from a generator of its own (the
# cases above keep their draws): x = 0 and 1 (the clamped logs) and 1e-7 (a slope past 1e6). The
# target's gradient, ±∞ at those x, is checked against float64 in the kernel cases instead.
bce_generator = torch.Generator().manual_seed(20261201)
for reduction, shape in (("mean", (6, 4)), ("sum", (3, 5, 2)), ("none", (7, 3))):
    x = torch.sigmoid(torch.randn(*shape, generator=bce_generator) * 3).float().double()
    t = torch.rand(*shape, generator=bce_generator).double()
    x.view(-1)[:3] = torch.tensor([0.0, 1.0, 1e-7]).float().double()
    t.view(-1)[:3] = torch.tensor([0.0, 1.0, 1.0])
    losses_case("BCELoss", {"reduction": reduction}, lambda: torch.nn.BCELoss(reduction=reduction), [x, t], [0])

# CrossEntropyLoss over K dimensions, against class probabilities, for one sample; NLLLoss. Targets
# are class indices (u32, or i32 when they hold ignore_index) or probabilities (f32, with gradients).
torch.manual_seed(20261130)
losses["class_losses"] = []


def class_loss_case(kind, kwargs, shape, target, target_dtype):
    x = float32_values(*shape, scale=2.0)
    if kind == "NLLLoss":
        x = torch.log_softmax(x, dim=0 if len(shape) == 1 else 1).float().double()  # log-probabilities, as NLL expects
    probabilities = target.is_floating_point()
    case = {"kind": kind, "kwargs": kwargs, "shape": list(shape), "input": values(x), "target": values(target) if probabilities else target.reshape(-1).tolist(),
            "target_shape": list(target.shape) or [1], "target_dtype": target_dtype}
    dy = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        args = dict(kwargs)
        if "weight" in args:
            args["weight"] = torch.tensor(args["weight"], dtype=dtype)
        xs = x.to(dtype).clone().requires_grad_(True)
        ts = target.to(dtype).clone().requires_grad_(True) if probabilities else target
        y = getattr(torch.nn, kind)(**args)(xs, ts)
        dy = backward_from(y, dy, dtype)
        case["y" + suffix] = values(y)
        case["grads" + suffix] = [values(xs.grad)] + ([values(ts.grad)] if probabilities else [])
    case["y_shape"] = list(y.shape) or [1]
    case["dy"] = values(dy) if dy is not None else None
    losses["class_losses"].append(case)


def indices(shape, C, ignore=None):
    t = torch.randint(0, C, shape)
    if ignore is not None:
        t.view(-1)[::3] = ignore
    return t


def probabilities(shape):
    return torch.softmax(torch.randn(*shape), dim=1).float().double()


class_loss_case("CrossEntropyLoss", {}, (4, 5, 3), indices((4, 3), 5), "u32")
class_loss_case("CrossEntropyLoss", {"weight": [0.5, 2.0, 1.0, 0.25], "ignore_index": 1}, (3, 4, 2, 3), indices((3, 2, 3), 4, ignore=1), "i32")
class_loss_case("CrossEntropyLoss", {"label_smoothing": 0.2, "reduction": "sum"}, (2, 6, 5), indices((2, 5), 6), "u32")
class_loss_case("CrossEntropyLoss", {"reduction": "none", "weight": [1.5, 0.5, 1.0, 2.0]}, (3, 4, 2, 2), indices((3, 2, 2), 4), "u32")
class_loss_case("CrossEntropyLoss", {"label_smoothing": 0.1}, (5,), torch.tensor(3), "u32")
class_loss_case("CrossEntropyLoss", {}, (5, 4), probabilities((5, 4)), "f32")
class_loss_case("CrossEntropyLoss", {"weight": [0.5, 2.0, 1.0, 0.25], "label_smoothing": 0.1}, (3, 4, 2), probabilities((3, 4, 2)), "f32")
class_loss_case("CrossEntropyLoss", {"reduction": "none"}, (4, 3), probabilities((4, 3)), "f32")
class_loss_case("CrossEntropyLoss", {"reduction": "sum", "weight": [1.0, 3.0, 0.5]}, (2, 3, 2, 2), probabilities((2, 3, 2, 2)), "f32")
class_loss_case("NLLLoss", {}, (6, 4), indices((6,), 4), "u32")
class_loss_case("NLLLoss", {"weight": [0.5, 2.0, 1.0], "ignore_index": 2}, (5, 3), indices((5,), 3, ignore=2), "i32")
class_loss_case("NLLLoss", {"reduction": "none"}, (3, 4, 5), indices((3, 5), 4), "u32")
class_loss_case("NLLLoss", {"reduction": "sum", "weight": [1.0, 3.0, 0.5]}, (2, 3, 2, 2), indices((2, 2, 2), 3), "u32")
class_loss_case("NLLLoss", {"weight": [1.0, 3.0, 0.5, 2.0]}, (4,), torch.tensor(1), "u32")

losses_path = path.parent / "pytorch-losses.json"
losses_path.write_text(json.dumps(losses) + "\n")
print(f"wrote {losses_path} ({losses_path.stat().st_size} bytes)")

# ── init schemes (tests/fixtures/pytorch-init.json): eye_ and dirac_ exactly; orthogonal_ with the ──
# normal draws it factored (the same seed's normal_ on a rows × cols tensor), so the test can run
# PyTorch's draws through our QR and sign convention.
init = {"torch_version": torch.__version__, "eye": [], "dirac": [], "orthogonal": []}
for shape in ((3, 5), (5, 3), (1, 1), (4, 4)):
    init["eye"].append({"shape": list(shape), "values": values(torch.nn.init.eye_(torch.empty(*shape)))})
for shape, groups in (((3, 2, 3), 1), ((4, 3, 3, 3), 1), ((6, 2, 3, 4), 2), ((6, 4, 3, 3), 3), ((2, 3, 1, 2, 3), 1), ((4, 2, 2, 5, 3), 2)):
    init["dirac"].append({"shape": list(shape), "groups": groups, "values": values(torch.nn.init.dirac_(torch.empty(*shape), groups))})
for seed, (shape, gain) in enumerate((((5, 3), 1.0), ((3, 5), 1.0), ((4, 2, 3, 3), 2.0), ((6, 1), 0.5), ((1, 7), 1.0), ((8, 8), math.sqrt(2)))):
    rows, cols = shape[0], math.prod(shape[1:])
    torch.manual_seed(seed)
    normal = torch.empty(rows, cols).normal_(0, 1)
    torch.manual_seed(seed)
    q = torch.nn.init.orthogonal_(torch.empty(*shape), gain)
    init["orthogonal"].append({"shape": list(shape), "gain": gain, "normal": values(normal), "values": values(q)})

init_path = path.parent / "pytorch-init.json"
init_path.write_text(json.dumps(init) + "\n")
print(f"wrote {init_path} ({init_path.stat().st_size} bytes)")

# ── layout, max/min and broadcasting (tests/fixtures/pytorch-ops.json) ─────────────────────────────
# torch.permute/transpose/expand, sums over a middle dimension, max/min over a dim with their indices
# (ties and a NaN: which index PyTorch keeps, where its gradient goes), max() and amax/amin (ties
# share the gradient), argmax/argmin, broadcasting that spreads both operands, abs and clamp at
# their edges, and maximum/minimum with ties and a NaN. Non-scalar outputs
# are reduced as Σ y · dy with a random dy, in float32 and float64.
torch.manual_seed(20261130)
ops = {"torch_version": torch.__version__, "cases": []}


def op_case(op, args, inputs, fn, grad_of=(0,)):
    case = {"op": op, "args": args, "shapes": [list(t.shape) for t in inputs], "inputs": [values(t) for t in inputs], "grad_of": list(grad_of)}
    dy = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        ts = [t.to(dtype).clone().requires_grad_(i in grad_of) for i, t in enumerate(inputs)]
        result = fn(*ts)
        named = isinstance(result, tuple)  # torch.max(x, dim): (values, indices)
        y = result.values if named else result
        if named:
            case["indices"] = [int(v) for v in result.indices.reshape(-1).tolist()]
        if grad_of:
            if dy is None:
                dy = torch.randn(y.shape).double()
            (y * dy.to(dtype)).sum().backward()
        case["y" + suffix] = values(y)
        case["grads" + suffix] = [values(ts[i].grad) for i in grad_of]
    case["y_shape"] = list(y.shape)
    case["dy"] = values(dy) if dy is not None else None
    ops["cases"].append(case)


def tied(*shape):
    return torch.randint(-3, 4, shape).double() / 2  # 7 values: ties in every row


for shape, dims in (((2, 3, 4), (2, 0, 1)), ((3, 1, 4, 2), (0, 2, 3, 1))):
    op_case("permute", {"dims": list(dims)}, [float32_values(*shape)], lambda x: x.permute(*dims))
for shape, d0, d1 in (((4, 5), 0, 1), ((2, 3, 4), -1, 0)):
    op_case("transpose", {"dim0": d0, "dim1": d1}, [float32_values(*shape)], lambda x: x.transpose(d0, d1))
for shape, size in (((3, 1), (3, 4)), ((4,), (2, 3, 4)), ((2, 1, 3), (-1, 4, -1))):
    op_case("expand", {"size": list(size)}, [float32_values(*shape)], lambda x: x.expand(*size))
op_case("sum", {"dim": 1, "keepdim": False}, [float32_values(4, 6, 5)], lambda x: x.sum(1))
op_case("mean", {"dim": [0, 2], "keepdim": True}, [float32_values(2, 3, 4, 5)], lambda x: x.mean((0, 2), keepdim=True))
for op, shape, dim, keepdim in (("max", (5, 6), 1, False), ("max", (3, 4, 5), -2, True), ("min", (4, 7), 0, False)):
    op_case(op, {"dim": dim, "keepdim": keepdim}, [tied(*shape)], lambda x: getattr(torch, op)(x, dim, keepdim))
x = tied(3, 4)
x[1, 2] = float("nan")
op_case("max", {"dim": 1, "keepdim": False}, [x], lambda x: torch.max(x, 1))
for op in ("max", "min"):
    op_case(op, {}, [tied(4, 5)], lambda x: getattr(torch, op)(x))
op_case("amax", {"dim": [0, 2], "keepdim": False}, [tied(3, 4, 5)], lambda x: torch.amax(x, (0, 2)))
op_case("amin", {"dim": 1, "keepdim": True}, [tied(4, 6)], lambda x: torch.amin(x, 1, keepdim=True))
op_case("argmax", {"dim": 1, "keepdim": False}, [tied(5, 6)], lambda x: torch.argmax(x, 1), grad_of=())
op_case("argmax", {}, [tied(4, 5)], lambda x: torch.argmax(x), grad_of=())
op_case("argmin", {"dim": 0, "keepdim": True}, [tied(4, 7)], lambda x: torch.argmin(x, 0, keepdim=True), grad_of=())
for op, a, b in (("add", (4, 1), (1, 3)), ("mul", (2, 3, 4), (2, 1, 4)), ("sub", (4, 3), (1, 1, 3)), ("div", (3, 1, 1), (1, 2, 1))):
    divisor = float32_values(*b).abs() + 0.5
    op_case(op, {}, [float32_values(*a), divisor], lambda u, v: getattr(torch, op)(u, v), grad_of=(0, 1))

x = tied(4, 6)
x[0, 0], x[1, 1] = float("nan"), -0.0
op_case("abs", {}, [x], torch.abs)
for lo, hi in ((-1.0, 0.5), (0.5, None), (None, -0.5), (1.0, -1.0)):
    op_case("clamp", {"min": lo, "max": hi}, [x], lambda x: torch.clamp(x, lo, hi))
for op, a, b in (("maximum", (4, 5), (4, 5)), ("minimum", (3, 1), (1, 4)), ("maximum", (2, 3, 4), (3, 1))):
    u, v = tied(*a), tied(*b)
    u.view(-1)[1] = float("nan")
    op_case(op, {}, [u, v], lambda u, v: getattr(torch, op)(u, v), grad_of=(0, 1))

op_case("cat", {"dim": 1}, [float32_values(2, 3), float32_values(2, 1), float32_values(2, 4)], lambda *ts: torch.cat(ts, 1), grad_of=(0, 1, 2))
op_case("cat", {"dim": 0}, [float32_values(1, 3), float32_values(2, 3)], lambda *ts: torch.cat(ts, 0), grad_of=(0, 1))
op_case("stack", {"dim": -1}, [float32_values(2, 3), float32_values(2, 3)], lambda *ts: torch.stack(ts, -1), grad_of=(0, 1))

# Picking by index (int64 in PyTorch, i32 here), indices repeated so gradients add up.
index = torch.tensor([[0, 2, 2, 1], [1, 1, 0, 0], [2, 0, 1, 2]])
op_case("gather", {"dim": 1, "index": index.reshape(-1).tolist(), "index_shape": list(index.shape)}, [float32_values(3, 3)], lambda x: torch.gather(x, 1, index))
index = torch.tensor([1, 1, 0])
op_case("gather", {"dim": 0, "index": [[1], [1], [0]], "index_shape": [3, 1]}, [float32_values(2, 1)], lambda x: torch.gather(x, 0, index.reshape(3, 1)))
index = torch.tensor([3, 0, 3, 1, 3])
op_case("index_select", {"dim": 1, "index": index.tolist(), "index_shape": [5]}, [float32_values(2, 4, 3)], lambda x: torch.index_select(x, 1, index))
index = torch.tensor([[4, 0, 4], [2, 2, 1]])
op_case("embedding", {"index": index.reshape(-1).tolist(), "index_shape": [2, 3]}, [float32_values(5, 3)], lambda w: torch.nn.functional.embedding(index, w))
# 20 lookups (the bucketed backward's default past 16) with padding_idx=-2: row 4 gets no gradient.
index = torch.tensor([[4, 0, 4, 5, 1], [2, 2, 1, 4, 4], [0, 3, 4, 5, 5], [1, 1, 2, 0, 4]])
op_case("embedding", {"index": index.reshape(-1).tolist(), "index_shape": [4, 5], "padding_idx": -2}, [float32_values(6, 3)], lambda w: torch.nn.functional.embedding(index, w, padding_idx=-2))

# pow with a tensor exponent: the edges of both gradients, then broadcast over positive bases.
x, e = torch.tensor([2.0, 0.0, 0.0, -2.0, -2.0, 3.0, 0.0, 1.5]).double(), torch.tensor([3.0, 0.0, 2.0, 2.0, 0.5, -1.0, -1.0, 1.7]).double()
op_case("pow", {}, [x, e], lambda x, e: torch.pow(x, e), grad_of=(0, 1))
op_case("pow", {}, [float32_values(3, 1).abs() + 0.2, float32_values(1, 4)], lambda x, e: torch.pow(x, e), grad_of=(0, 1))

# Comparisons (PyTorch's bool masks, as floats) with ties and a NaN, broadcast; where picking, with an
# ∞ on the side not picked, a number on the other side, and a broadcast condition.
u, v = tied(3, 4), tied(1, 4)
u[0, 0], u[1, 1] = float("nan"), float("inf")
for op in ("gt", "ge", "lt", "le", "eq", "ne"):
    op_case(op, {}, [u, v], lambda u, v: getattr(torch, op)(u, v).double(), grad_of=())
    op_case(op, {"other": 0.5}, [u], lambda u: getattr(torch, op)(u, 0.5).double(), grad_of=())
c = (tied(3, 1) > 0).double()
a, b = float32_values(3, 4), float32_values(1, 4)
a[0, 1] = float("inf")  # where c is 0, not picked: no NaN reaches the gradient
op_case("where", {}, [c, a, b], lambda c, a, b: torch.where(c != 0, a, b), grad_of=(1, 2))
op_case("where", {"other": -3.0}, [c, a], lambda c, a: torch.where(c != 0, a, torch.tensor(-3.0, dtype=a.dtype)), grad_of=(1,))

# Slicing: narrow, Python slices (a step, negative and clamped bounds), split by size and by sections,
# chunk (6 in 4 chunks: 3 pieces of 2), unbind; the pieces joined flat, so one output carries every
# piece's values and gradients.
def joined(pieces):
    return torch.cat([p.reshape(-1) for p in pieces])


op_case("narrow", {"dim": 1, "start": -3, "length": 2}, [float32_values(3, 5, 2)], lambda x: x.narrow(1, -3, 2))
op_case("slice", {"dim": -1, "start": -5, "end": None, "step": 2}, [float32_values(2, 7)], lambda x: x[:, -5::2])
op_case("slice", {"dim": 0, "start": 1, "end": 100, "step": 3}, [float32_values(8, 3)], lambda x: x[1:100:3])
op_case("split", {"dim": 1, "split_size_or_sections": 2}, [float32_values(2, 5, 3)], lambda x: joined(torch.split(x, 2, 1)))
op_case("split", {"dim": 0, "split_size_or_sections": [1, 3, 2]}, [float32_values(6, 2)], lambda x: joined(torch.split(x, [1, 3, 2], 0)))
op_case("chunk", {"dim": -1, "chunks": 4}, [float32_values(3, 6)], lambda x: joined(torch.chunk(x, 4, -1)))
op_case("unbind", {"dim": 1}, [float32_values(2, 3, 2)], lambda x: joined(torch.unbind(x, 1)))

# gather with an index smaller than the input off its dimension: PyTorch reads the block from 0.
index = torch.tensor([[[4, 0], [1, 1], [3, 4], [0, 2], [2, 2], [4, 1]], [[0, 0], [3, 1], [1, 4], [2, 2], [0, 3], [4, 4]]])
op_case("gather", {"dim": 1, "index": index.reshape(-1).tolist(), "index_shape": list(index.shape)}, [float32_values(4, 5, 3)], lambda x: torch.gather(x, 1, index))

# sign and the roundings (their gradient 0; halves to even, signed zeros, a NaN), and pow with a
# number base: 2^e, 0^e (∞ and a −∞ gradient below 0) and (−2)^e (NaN off the integers, NaN gradient).
x = torch.tensor([[0.5, 1.5, 2.5, -0.5, -2.5, -0.4], [0.0, -0.0, 3.7, -3.7, float("nan"), 7.0]]).double()
for op in ("sign", "floor", "ceil", "round", "trunc"):
    op_case(op, {}, [x], getattr(torch, op))
for base in (2.0, 0.0, -2.0):
    op_case("pow_base", {"base": base}, [torch.tensor([[0.0, 1.0, -1.0], [2.5, 3.0, -0.5]]).double()], lambda e: torch.pow(base, e))

# Logical ops on masks and on any numbers (nonzero is true, NaN too, −0 false), broadcast; PyTorch's
# bool results as floats.
u, v = tied(3, 4), tied(1, 4)
u[0, 0], u[1, 1], v[0, 2] = float("nan"), -0.0, 0.0
for op in ("logical_and", "logical_or", "logical_xor"):
    op_case(op, {}, [u, v], lambda u, v: getattr(torch, op)(u, v).double(), grad_of=())
op_case("logical_or", {"other": 0.0}, [u], lambda u: torch.logical_or(u, torch.tensor(0.0, dtype=u.dtype)).double(), grad_of=())
op_case("logical_not", {}, [u], lambda u: torch.logical_not(u).double(), grad_of=())

# Cumulative sums: along a middle dimension past one block of 256 (three passes), and a short last one.
op_case("cumsum", {"dim": 1}, [float32_values(2, 300, 2)], lambda x: torch.cumsum(x, 1))
op_case("cumsum", {"dim": -1}, [float32_values(3, 5)], lambda x: torch.cumsum(x, -1))

# clamp with tensor bounds, broadcast, each bound's gradient where it was taken; min > max in some
# columns (max wins there, and takes the gradient).
lo, hi = float32_values(1, 4), float32_values(3, 1)
lo[0, 1], hi[1, 0] = 2.0, -2.0
op_case("clamp_tensors", {}, [float32_values(3, 4) * 2, lo, hi], lambda x, lo, hi: torch.clamp(x, lo, hi), grad_of=(0, 1, 2))
op_case("clamp_tensors", {"max": None}, [float32_values(2, 5), float32_values(2, 1)], lambda x, lo: torch.clamp(x, min=lo), grad_of=(0, 1))
op_case("clamp_tensors", {"min": None}, [float32_values(4, 3), float32_values(3)], lambda x, hi: torch.clamp(x, max=hi), grad_of=(0, 1))

# Composed ops: var and std (dims, corrections, keepdim), logsumexp (a large entry, a row of −∞),
# layer_norm with weight and bias, BCE with logits (weight, pos_weight, each reduction), SiLU,
# softplus across its threshold, ELU through 0.
x = float32_values(3, 4, 5)
op_case("var", {"dim": [0, 2], "correction": 1, "keepdim": False}, [x], lambda x: torch.var(x, (0, 2), unbiased=True))
op_case("var", {"dim": 1, "correction": 0, "keepdim": True}, [x], lambda x: torch.var(x, 1, unbiased=False, keepdim=True))
op_case("std", {"correction": 1}, [x], lambda x: torch.std(x))
op_case("std", {"dim": -1, "correction": 0, "keepdim": False}, [x], lambda x: torch.std(x, -1, unbiased=False))
x = float32_values(3, 6) * 3
x[1, 2] = 100.0
op_case("logsumexp", {"dim": 1, "keepdim": False}, [x], lambda x: torch.logsumexp(x, 1))
op_case("logsumexp", {"dim": [0, 1], "keepdim": True}, [float32_values(2, 3, 4)], lambda x: torch.logsumexp(x, (0, 1), keepdim=True))
x = float32_values(2, 3)
x[0, :] = float("-inf")
op_case("logsumexp", {"dim": 1, "keepdim": False}, [x], lambda x: torch.logsumexp(x, 1), grad_of=())
op_case("layer_norm", {"normalized_shape": [3, 4]}, [float32_values(2, 3, 4) * 2 + 1, float32_values(3, 4) + 1, float32_values(3, 4)], lambda x, w, b: torch.nn.functional.layer_norm(x, (3, 4), w, b), grad_of=(0, 1, 2))
op_case("layer_norm", {"normalized_shape": [5]}, [float32_values(4, 5)], lambda x: torch.nn.functional.layer_norm(x, (5,)))
logits, targets = float32_values(4, 3) * 4, (torch.rand(4, 3) > 0.5).double()
logits[0, 0], logits[1, 1], logits[2, 2], logits[3, 0] = 40.0, -40.0, 0.0, 0.0  # a logit of exactly 0: a zero-initialised head
for reduction in ("mean", "sum", "none"):
    op_case("bce_with_logits", {"reduction": reduction}, [logits, targets], lambda x, t: torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction=reduction))
op_case("bce_with_logits", {"reduction": "mean", "weighted": True}, [logits, targets, float32_values(4, 1).abs(), float32_values(3).abs() + 0.5],
        lambda x, t, w, p: torch.nn.functional.binary_cross_entropy_with_logits(x, t, weight=w, pos_weight=p), grad_of=(0,))
x = float32_values(3, 5) * 4
x[0, 0] = 0.0
op_case("silu", {}, [x], torch.nn.functional.silu)
op_case("softplus", {"beta": 2.0, "threshold": 5.0}, [x], lambda x: torch.nn.functional.softplus(x, 2.0, 5.0))
op_case("elu", {"alpha": 0.5}, [x], lambda x: torch.nn.functional.elu(x, 0.5))
# Large inputs on the side where() leaves out (e^100 is ∞ there), a negative beta, and std of a
# constant row (PyTorch's gradient is 0 there, where √'s is ∞).
x = torch.tensor([[100.0, -100.0, 0.0, 2.0, -3.0]]).double()
op_case("elu", {"alpha": 1.0}, [x], lambda x: torch.nn.functional.elu(x, 1.0))
op_case("softplus", {"beta": 1.0, "threshold": 20.0}, [x], lambda x: torch.nn.functional.softplus(x))
op_case("softplus", {"beta": -1.0, "threshold": 20.0}, [x], lambda x: torch.nn.functional.softplus(x, -1.0))
op_case("std", {"dim": 1, "correction": 1, "keepdim": False}, [torch.tensor([[2.0, 2.0, 2.0, 2.0], [1.0, 2.0, 3.0, 5.0]]).double()], lambda x: torch.std(x, 1))

# GELU, exact and tanh forms, from the far tails (−9, where float32's 1 + erf cancels to 0) through 0.
x = torch.tensor([[-9.0, -5.0, -2.5, -1e-3, 0.0, 1e-3, 0.7, 3.0, 9.0]]).double()
for approximate in ("none", "tanh"):
    op_case("gelu", {"approximate": approximate}, [x], lambda x: torch.nn.functional.gelu(x, approximate=approximate))
    op_case("gelu", {"approximate": approximate}, [float32_values(4, 6) * 3], lambda x: torch.nn.functional.gelu(x, approximate=approximate))

# torch.matmul over leading dimensions (equal, broadcast both ways, a matrix against a batch) and
# torch.bmm, attention's shapes in small.
for a_shape, b_shape in (((2, 3, 4, 5), (2, 3, 5, 6)), ((2, 1, 4, 5), (3, 5, 6)), ((4, 5), (3, 5, 6)), ((3, 7, 4), (1, 4, 9))):
    op_case("matmul", {}, [float32_values(*a_shape), float32_values(*b_shape)], torch.matmul, grad_of=(0, 1))
op_case("bmm", {}, [float32_values(3, 5, 4), float32_values(3, 4, 5)], torch.bmm, grad_of=(0, 1))

# Multi-head attention as PyTorch 1.13's nn.MultiheadAttention runs it (F.multi_head_attention_forward):
# self-attention and cross-attention with L ≠ S, an additive float mask of [L, S] and of [N·heads, L, S];
# the output and the averaged weights, with the gradients of every input and parameter.
def mha(q, k, v, w, b, ow, ob, *mask, heads=2, output=0, average=True):
    return torch.nn.functional.multi_head_attention_forward(q, k, v, q.shape[-1], heads, w, b, None, None, False, 0.0, ow, ob,
                                                            attn_mask=mask[0] if mask else None, average_attn_weights=average)[output]
E, L, S, N = 8, 5, 4, 3
params = [float32_values(3 * E, E) * 0.5, float32_values(3 * E) * 0.1, float32_values(E, E) * 0.5, float32_values(E) * 0.1]
x = float32_values(L, N, E)
op_case("mha", {"num_heads": 2}, [x, x, x] + params, mha, grad_of=(0, 1, 2, 3, 4, 5, 6))
kv = float32_values(S, N, E)
mask = float32_values(L, S)
mask[0, 1] = float("-inf")
op_case("mha", {"num_heads": 4}, [x, kv, kv] + params + [mask], lambda *t: mha(*t, heads=4), grad_of=(0, 1, 2, 3, 4, 5, 6))
op_case("mha", {"num_heads": 2, "output": "weights"}, [x, kv, kv] + params + [float32_values(N * 2, L, S)], lambda *t: mha(*t, output=1), grad_of=(0, 1, 3, 4))
op_case("mha", {"num_heads": 2, "output": "weights", "average": False}, [x, kv, kv] + params, lambda *t: mha(*t, output=1, average=False), grad_of=(0, 1))
# A key padding mask (ours f32, nonzero for padding; PyTorch's bool): the last key of sequence 0, the first two of sequence 2.
padding = torch.zeros(N, S).double()
padding[0, S - 1], padding[2, 0], padding[2, 1] = 1.0, 1.0, 1.0
def mha_padded(q, k, v, w, b, ow, ob, pad, output=0):
    return torch.nn.functional.multi_head_attention_forward(q, k, v, E, 2, w, b, None, None, False, 0.0, ow, ob, key_padding_mask=pad > 0.5)[output]
op_case("mha", {"num_heads": 2, "padding": True}, [x, kv, kv] + params + [padding], mha_padded, grad_of=(0, 1, 2, 3, 4, 5, 6))
op_case("mha", {"num_heads": 2, "padding": True, "output": "weights"}, [x, kv, kv] + params + [padding], lambda *t: mha_padded(*t, output=1), grad_of=(0, 1))

# nn.TransformerEncoderLayer, nn.TransformerEncoder, their decoder twins and nn.Transformer as PyTorch
# 1.13 builds and runs them (dropout 0, train mode: the composed path, not the inference fast path):
# each with PyTorch's own initial weights (loaded into ours through the state dict), masks, and for
# loss = Σ y · dy the gradient of every input sequence and every parameter, in float32 and float64.
def values32(t):
    # A float32 value in 9 significant digits is exact, and half the size of a float64's 17.
    return [float(f"{v:.9g}") for v in t.detach().float().reshape(-1).tolist()]


def transformer_case(kind, kwargs, module, inputs, masks={}, num_layers=1, final_norm=False):
    """inputs: the sequences in forward's order (name → tensor); masks: forward's keywords (float masks, or 0/1 for key padding)."""
    if final_norm:  # a final norm that is not the identity
        with torch.no_grad():
            for norm in [m for name, m in module.named_modules() if name.endswith("norm") and isinstance(m, torch.nn.LayerNorm)]:
                norm.weight.uniform_(0.5, 1.5)
                norm.bias.uniform_(-0.5, 0.5)
    module.train()
    case = {"kind": kind, "kwargs": kwargs, "num_layers": num_layers, "final_norm": final_norm,
            "inputs": {k: {"shape": list(t.shape), "values": values32(t)} for k, t in inputs.items()},
            "masks": {k: {"shape": list(t.shape), "values": values32(t)} for k, t in masks.items()},
            "state": {k: {"shape": list(v.shape), "values": values32(v)} for k, v in module.state_dict().items()}}
    dy = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        m = copy.deepcopy(module).to(dtype)
        xs = [t.to(dtype).clone().requires_grad_(True) for t in inputs.values()]
        keywords = {k: (t > 0.5 if "padding" in k else t.to(dtype)) for k, t in masks.items()}
        y = m(*xs, **keywords)
        if dy is None:
            dy = torch.randn(y.shape).float().double()  # float32 values, as ours
        (y * dy.to(dtype)).sum().backward()
        # float64 to 12 digits: far past the float32 tolerance it is compared at, and smaller.
        write = values32 if dtype == torch.float32 else (lambda t: [float(f"{v:.12g}") for v in t.detach().reshape(-1).tolist()])
        case["y" + suffix] = write(y)
        case["dinputs" + suffix] = {k: write(x.grad) for k, x in zip(inputs, xs)}
        case["grads" + suffix] = {k: write(p.grad) for k, p in m.named_parameters()}
    case["dy"] = values32(dy)
    ops["transformers"].append(case)


ops["transformers"] = []
E = torch.nn.TransformerEncoderLayer
D = torch.nn.TransformerDecoderLayer
def encoder_layer(**kw):
    return E(**kw, dropout=0.0)
def decoder_layer(**kw):
    return D(**kw, dropout=0.0)
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 16}
transformer_case("encoder_layer", kw, encoder_layer(**kw), {"src": float32_values(5, 3, 8)})
mask5 = float32_values(5, 5) * 0.5
mask5[0, 3] = mask5[2, 1] = float("-inf")
padding3x5 = torch.zeros(3, 5).double()
padding3x5[0, 4] = padding3x5[2, 0] = padding3x5[2, 3] = 1.0
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 12, "activation": "gelu", "norm_first": True, "batch_first": True}
transformer_case("encoder_layer", kw, encoder_layer(**kw), {"src": float32_values(3, 5, 8)}, {"src_mask": mask5, "src_key_padding_mask": padding3x5})
kw = {"d_model": 12, "nhead": 3, "dim_feedforward": 20, "layer_norm_eps": 1e-3}
transformer_case("encoder_layer", kw, encoder_layer(**kw), {"src": float32_values(4, 2, 12)}, {"src_mask": mask5[:4, :4].clone()})
kw = {"d_model": 8, "nhead": 4, "dim_feedforward": 12}
transformer_case("encoder", kw, torch.nn.TransformerEncoder(encoder_layer(**kw), 2, norm=torch.nn.LayerNorm(8)), {"src": float32_values(5, 3, 8)}, {"src_key_padding_mask": padding3x5}, num_layers=2, final_norm=True)
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 16, "activation": "gelu", "batch_first": True, "norm_first": True}
transformer_case("encoder", kw, torch.nn.TransformerEncoder(encoder_layer(**kw), 3), {"src": float32_values(3, 5, 8)}, {"mask": mask5}, num_layers=3)
# Decoders: a causal target mask, a memory of another length (S = 5 against T = 4) and its padding.
causal4 = torch.triu(torch.full((4, 4), float("-inf")), diagonal=1).double()
memory_mask = float32_values(4, 5) * 0.5
memory_mask[1, 2] = float("-inf")
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 16}
transformer_case("decoder_layer", kw, decoder_layer(**kw), {"tgt": float32_values(4, 3, 8), "memory": float32_values(5, 3, 8)}, {"tgt_mask": causal4, "memory_key_padding_mask": padding3x5})
padding3x4 = torch.zeros(3, 4).double()
padding3x4[1, 3] = 1.0
kw = {"d_model": 8, "nhead": 4, "dim_feedforward": 12, "activation": "gelu", "norm_first": True, "batch_first": True}
transformer_case("decoder_layer", kw, decoder_layer(**kw), {"tgt": float32_values(3, 4, 8), "memory": float32_values(3, 5, 8)}, {"memory_mask": memory_mask, "tgt_key_padding_mask": padding3x4})
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 12}
transformer_case("decoder", kw, torch.nn.TransformerDecoder(decoder_layer(**kw), 2, norm=torch.nn.LayerNorm(8)), {"tgt": float32_values(4, 3, 8), "memory": float32_values(5, 3, 8)}, {"tgt_mask": causal4}, num_layers=2, final_norm=True)
kw = {"d_model": 8, "nhead": 2, "dim_feedforward": 12, "num_encoder_layers": 2, "num_decoder_layers": 1}
transformer_case("transformer", kw, torch.nn.Transformer(**kw, dropout=0.0), {"src": float32_values(5, 3, 8), "tgt": float32_values(4, 3, 8)},
                 {"tgt_mask": causal4, "src_key_padding_mask": padding3x5, "memory_key_padding_mask": padding3x5}, final_norm=True)

# torch.linalg.vector_norm (torch.norm's vector case): every element, over a dim or two, keepdim, p = 2,
# 1, 3 and ∞ (ties of both signs share the max's gradient), with a zero vector (PyTorch's gradient
# there is 0) and a zero entry (p = 1's sign(0) = 0).
x = float32_values(4, 5)
x[1] = 0.0
x[2, 3] = 0.0
x[3, :3] = torch.tensor([2.0, -2.0, 1.0]).double()
x[3, 3:] = 0.5
for args in ({}, {"p": 1.0}, {"p": 3.0, "dim": 1}, {"p": "inf", "dim": 1}, {"p": 2.0, "dim": -1, "keepdim": True}, {"p": 1.0, "dim": 0}):
    ord_ = math.inf if args.get("p") == "inf" else args.get("p", 2.0)
    op_case("norm", args, [x], lambda t: torch.linalg.vector_norm(t, ord_, args.get("dim"), args.get("keepdim", False)).reshape(-1) if "dim" not in args else torch.linalg.vector_norm(t, ord_, args["dim"], args.get("keepdim", False)))
x3 = float32_values(2, 3, 4)
x3[1, :, 2] = 0.0
op_case("norm", {"p": 2.0, "dim": [0, 2]}, [x3], lambda t: torch.linalg.vector_norm(t, 2.0, (0, 2)))
op_case("norm", {"p": "inf", "dim": [1, 2], "keepdim": True}, [tied(2, 3, 4)], lambda t: torch.linalg.vector_norm(t, math.inf, (1, 2), keepdim=True))

ops_path = path.parent / "pytorch-ops.json"
# JSON has no NaN or infinities: null stands for NaN, the strings "Infinity" and "-Infinity" for those.
text = json.dumps(ops).replace("NaN", "null").replace("-Infinity", '"-Infinity"').replace(" Infinity", ' "Infinity"').replace("[Infinity", '["Infinity"')
ops_path.write_text(text + "\n")
print(f"wrote {ops_path} ({ops_path.stat().st_size} bytes)")

# ── recurrent layers (tests/fixtures/pytorch-recurrent.json) ─────────────────────────────────────
# nn.RNN, nn.LSTM, nn.GRU and their cells with PyTorch's own initial weights (loaded into ours through
# the state dict): the output and last states, and for loss = Σ y · dy + Σ h_n · dh (+ Σ c_n · dc) the
# gradient of the input, the initial states and every parameter, in float32 and float64. A cell runs
# `steps` steps (the input [steps, …]), its h (and c) carried, y its outputs stacked.
torch.manual_seed(20261130)
recurrent = {"torch_version": torch.__version__, "cases": []}


def record_results(case, suffix, dtype, m, xs, results, upstream):
    """Backward from Σ results · upstream (drawn the first time, float32 values), then the results and every gradient into case; returns upstream."""
    if upstream is None:
        upstream = [torch.randn(r.shape).float().double() for r in results]
    sum((r * u.to(dtype)).sum() for r, u in zip(results, upstream)).backward()
    write = values32 if dtype == torch.float32 else (lambda t: [float(f"{v:.12g}") for v in t.detach().reshape(-1).tolist()])
    case["outputs" + suffix] = [write(r) for r in results]
    case["dinputs" + suffix] = {name: write(t.grad) for name, t in zip(case["inputs"], xs)}
    case["grads" + suffix] = {k: write(p.grad) for k, p in m.named_parameters()}
    return upstream


def recurrent_case(kind, kwargs, x, states=(), steps=0):
    module = getattr(torch.nn, kind)(**kwargs)
    case = {"kind": kind, "kwargs": kwargs, "steps": steps, "repr": repr(module),
            "inputs": {name: {"shape": list(t.shape), "values": values32(t)} for name, t in [("x", x), *zip(("h0", "c0"), states)]},
            "state": {k: {"shape": list(v.shape), "values": values32(v)} for k, v in module.state_dict().items()}}
    upstream = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        m = copy.deepcopy(module).to(dtype)
        xs = [t.to(dtype).clone().requires_grad_(True) for t in (x, *states)]
        if steps:
            h = xs[1:] if xs[1:] else None
            ys = []
            for t in range(steps):
                h = m(xs[0][t], tuple(h) if kind == "LSTMCell" and h else (h[0] if h else None))
                h = list(h) if kind == "LSTMCell" else [h]
                ys.append(h[0])
            results = [torch.stack(ys)] + ([h[1]] if kind == "LSTMCell" else [])
        else:
            hx = (tuple(xs[1:]) if kind == "LSTM" else xs[1]) if len(xs) > 1 else None
            y, hn = m(xs[0], hx)
            results = [y, *(hn if kind == "LSTM" else (hn,))]
        upstream = record_results(case, suffix, dtype, m, xs, results, upstream)
    case["output_shapes"] = [list(r.shape) for r in results]
    case["upstream"] = [values32(u) for u in upstream]
    recurrent["cases"].append(case)


recurrent_case("RNN", {"input_size": 3, "hidden_size": 5}, float32_values(7, 2, 3), [float32_values(1, 2, 5)])
recurrent_case("RNN", {"input_size": 4, "hidden_size": 3, "num_layers": 2, "nonlinearity": "relu", "bias": False, "batch_first": True}, float32_values(2, 6, 4))
recurrent_case("RNN", {"input_size": 2, "hidden_size": 4, "bidirectional": True}, float32_values(5, 2), [float32_values(2, 4)])
recurrent_case("LSTM", {"input_size": 4, "hidden_size": 6}, float32_values(5, 3, 4), [float32_values(1, 3, 6), float32_values(1, 3, 6)])
recurrent_case("LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "batch_first": True}, float32_values(2, 5, 3))
recurrent_case("LSTM", {"input_size": 3, "hidden_size": 5, "num_layers": 2, "proj_size": 3}, float32_values(4, 2, 3), [float32_values(2, 2, 3), float32_values(2, 2, 5)])
recurrent_case("LSTM", {"input_size": 3, "hidden_size": 4}, float32_values(6, 3), [float32_values(1, 4), float32_values(1, 4)])
recurrent_case("LSTM", {"input_size": 2, "hidden_size": 3, "num_layers": 3, "bias": False}, float32_values(9, 1, 2))
recurrent_case("GRU", {"input_size": 4, "hidden_size": 5}, float32_values(6, 2, 4), [float32_values(1, 2, 5)])
recurrent_case("GRU", {"input_size": 2, "hidden_size": 3, "num_layers": 2, "bidirectional": True, "bias": False}, float32_values(5, 3, 2))
recurrent_case("GRU", {"input_size": 3, "hidden_size": 4, "bidirectional": True, "batch_first": True}, float32_values(4, 3))
recurrent_case("RNNCell", {"input_size": 4, "hidden_size": 5}, float32_values(3, 3, 4), [float32_values(3, 5)], steps=3)
recurrent_case("RNNCell", {"input_size": 4, "hidden_size": 5, "bias": False, "nonlinearity": "relu"}, float32_values(2, 4), steps=2)
recurrent_case("LSTMCell", {"input_size": 3, "hidden_size": 4}, float32_values(6, 2, 3), [float32_values(2, 4), float32_values(2, 4)], steps=6)
recurrent_case("LSTMCell", {"input_size": 3, "hidden_size": 2, "bias": False}, float32_values(2, 3), steps=2)
recurrent_case("GRUCell", {"input_size": 4, "hidden_size": 5}, float32_values(4, 3, 4), [float32_values(3, 5)], steps=4)
recurrent_case("GRUCell", {"input_size": 4, "hidden_size": 5}, float32_values(1, 4), [float32_values(5)], steps=1)

# Truncated backpropagation through time: an LSTM and a linear head trained by SGD on 6 chunks of a
# sequence, each chunk's last states detached and carried into the next: losses and final weights.
lstm = torch.nn.LSTM(3, 4, num_layers=2, batch_first=True)
head = torch.nn.Linear(4, 1)
initial = {**{"lstm." + k: values32(v) for k, v in lstm.state_dict().items()}, **{"head." + k: values32(v) for k, v in head.state_dict().items()}}
chunks = [(float32_values(2, 5, 3).float(), float32_values(2, 5, 1).float()) for _ in range(6)]
opt = torch.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.5)
hc, losses = None, []
for x, y in chunks:
    opt.zero_grad()
    out, (h, c) = lstm(x, hc)
    loss = torch.nn.functional.mse_loss(head(out), y)
    loss.backward()
    opt.step()
    hc = (h.detach(), c.detach())
    losses.append(float(loss))
recurrent["tbptt"] = {"initial": initial, "chunks": [{"x": values32(x), "y": values32(y)} for x, y in chunks], "losses": losses,
                      "final": {**{"lstm." + k: values32(v) for k, v in lstm.state_dict().items()}, **{"head." + k: values32(v) for k, v in head.state_dict().items()}}}

# Sequences of their own lengths (torch.nn.utils.rnn): packed, through a layer, padded again. For
# loss = Σ out · dy + Σ h_n · dh (+ Σ c_n · dc): the gradients of the padded input, the states and
# every parameter, in float32 and float64; and PyTorch's packing itself (data, batch_sizes).
R = torch.nn.utils.rnn
recurrent["packed"] = []


def packed_case(kind, kwargs, x, lengths, pack_kw, pad_kw, states=(), sequences=False):
    module = getattr(torch.nn, kind)(**kwargs)
    case = {"kind": kind, "kwargs": kwargs, "lengths": lengths, "pack": pack_kw, "pad": pad_kw, "sequences": sequences,
            "inputs": {name: {"shape": list(t.shape), "values": values32(t)} for name, t in [("x", x), *zip(("h0", "c0"), states)]},
            "state": {k: {"shape": list(v.shape), "values": values32(v)} for k, v in module.state_dict().items()}}
    upstream = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        m = copy.deepcopy(module).to(dtype)
        xs = [t.to(dtype).clone().requires_grad_(True) for t in (x, *states)]
        if sequences:  # pack_sequence of each sequence's valid steps (x is [N, L, *], batch first)
            packed = R.pack_sequence([xs[0][n, :l] for n, l in enumerate(lengths)], **pack_kw)
        else:
            packed = R.pack_padded_sequence(xs[0], lengths, **pack_kw)
        if suffix == "":
            case["data"] = values32(packed.data)
            case["batch_sizes"] = packed.batch_sizes.tolist()
            case["sorted_indices"] = None if packed.sorted_indices is None else packed.sorted_indices.tolist()
        hx = (tuple(xs[1:]) if kind == "LSTM" else xs[1]) if len(xs) > 1 else None
        out, hn = m(packed, hx)
        padded, out_lengths = R.pad_packed_sequence(out, **pad_kw)
        results = [padded, *(hn if kind == "LSTM" else (hn,))]
        upstream = record_results(case, suffix, dtype, m, xs, results, upstream)
    case["output_shapes"] = [list(r.shape) for r in results]
    case["out_lengths"] = out_lengths.tolist()
    case["upstream"] = [values32(u) for u in upstream]
    recurrent["packed"].append(case)


packed_case("LSTM", {"input_size": 3, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "batch_first": True}, float32_values(3, 6, 3), [6, 2, 4],
            {"batch_first": True, "enforce_sorted": False}, {"batch_first": True}, [float32_values(4, 3, 4), float32_values(4, 3, 4)])
packed_case("GRU", {"input_size": 2, "hidden_size": 3}, float32_values(5, 4, 2), [5, 5, 3, 1], {}, {"total_length": 7, "padding_value": -1.0}, [float32_values(1, 4, 3)])
packed_case("RNN", {"input_size": 2, "hidden_size": 3, "nonlinearity": "relu", "bidirectional": True}, float32_values(3, 4, 2), [4, 2, 3], {"enforce_sorted": False}, {"batch_first": True}, sequences=True)
packed_case("LSTM", {"input_size": 2, "hidden_size": 5, "proj_size": 2}, float32_values(4, 2, 2), [3, 3], {}, {})

recurrent_path = path.parent / "pytorch-recurrent.json"
recurrent_path.write_text(json.dumps(recurrent) + "\n")
print(f"wrote {recurrent_path} ({recurrent_path.stat().st_size} bytes)")

# ── padding (tests/fixtures/pytorch-pad.json) ─────────────────────────────────────────────────────
# F.pad in each mode (values, and for Σ y · dy the input's gradient), the padding modules' printouts
# and outputs, and convolutions with a padding_mode other than zeros (values and every gradient).
torch.manual_seed(20261201)
padding = {"torch_version": torch.__version__, "pad": [], "modules": [], "convs": []}
for shape, pad, mode, value in (
    ((2, 3, 4, 5), (1, 2), "constant", 0.5),
    ((2, 3, 4, 5), (1, 2, 0, 3), "constant", None),
    ((1, 2, 6), (-1, 2), "constant", None),
    ((3, 4), (1, 0, 2, 1), "constant", -2.0),
    ((2, 3, 5), (2, 3), "reflect", None),
    ((1, 2, 4, 5), (1, 3, 2, 2), "reflect", None),
    ((2, 3, 5), (0, 4), "replicate", None),
    ((1, 2, 3, 4), (2, 1, 3, 0), "replicate", None),
    ((1, 2, 5), (5, 2), "circular", None),
    ((1, 2, 3, 4), (1, 1, 2, 3), "circular", None),
):
    pad_args = {"mode": mode, **({} if value is None else {"value": value})}
    padding["pad"].append(traced(lambda x: torch.nn.functional.pad(x, pad, **pad_args), torch.randn(*shape), {"shape": list(shape), "pad": list(pad), "mode": mode, "value": value}))
for kind, args, shape in (
    ("ZeroPad2d", [(1, 0, 2, 3)], (1, 2, 3, 3)),
    ("ConstantPad1d", [2, 3.5], (2, 3, 4)),
    ("ConstantPad2d", [(1, 1, 0, 2), -1], (2, 3, 3)),
    ("ReflectionPad1d", [2], (2, 3, 4)),
    ("ReflectionPad2d", [(1, 2, 0, 1)], (1, 2, 3, 4)),
    ("ReplicationPad1d", [(0, 3)], (3, 5)),
    ("ReplicationPad2d", [1], (2, 2, 3)),
):
    module = getattr(torch.nn, kind)(*args)
    x = torch.randn(*shape)
    padding["modules"].append({"kind": kind, "args": [list(a) if isinstance(a, tuple) else a for a in args], "shape": list(shape), "x": values(x), "y": values(module(x)), "y_shape": list(module(x).shape), "repr": repr(module)})
for kind, kwargs, shape in (
    ("Conv2d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 1, "padding_mode": "reflect"}, (2, 2, 5, 6)),
    ("Conv2d", {"in_channels": 2, "out_channels": 2, "kernel_size": [3, 2], "padding": [1, 2], "padding_mode": "circular", "bias": False}, (1, 2, 4, 5)),
    ("Conv2d", {"in_channels": 3, "out_channels": 2, "kernel_size": 3, "padding": 2, "stride": 2, "padding_mode": "replicate"}, (1, 3, 5, 5)),
    ("Conv1d", {"in_channels": 2, "out_channels": 3, "kernel_size": 3, "padding": 2, "padding_mode": "replicate"}, (2, 2, 6)),
    ("Conv1d", {"in_channels": 2, "out_channels": 2, "kernel_size": 3, "padding": 1, "padding_mode": "circular"}, (1, 2, 5)),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    module = getattr(torch.nn, kind)(**args)
    padding["convs"].append(traced(module, torch.randn(*shape), {"kind": kind, "kwargs": kwargs, "shape": list(shape)}, module))
padding_path = path.parent / "pytorch-pad.json"
padding_path.write_text(json.dumps(padding) + "\n")
print(f"wrote {padding_path} ({padding_path.stat().st_size} bytes)")

# ── upsampling (tests/fixtures/pytorch-upsampling.json) ──────────────────────────────────────────
# nn.ConvTranspose2d with PyTorch's own initial weights: output, and for Σ y · dy the gradients of
# the input, the weight and the bias; the printout; forward(x, output_size) where given. Then
# F.interpolate in each mode (values, the input's gradient) and the Upsample modules' printouts.
torch.manual_seed(20261202)
upsampling = {"torch_version": torch.__version__, "transposed": [], "interpolate": [], "modules": []}
for kwargs, shape, output_size in (
    ({"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 4, 5), None),
    ({"in_channels": 4, "out_channels": 6, "kernel_size": [2, 3], "stride": [2, 1], "groups": 2, "bias": False, "dilation": [1, 2]}, (1, 4, 3, 4), None),
    ({"in_channels": 2, "out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}, (2, 2, 3, 3), None),
    ({"in_channels": 1, "out_channels": 1, "kernel_size": 1}, (1, 1, 1, 1), None),
    ({"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1}, (1, 3, 4, 4), [8, 8]),
    ({"in_channels": 2, "out_channels": 2, "kernel_size": 3, "stride": 3, "padding": 2}, (2, 3, 3), None),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    module = torch.nn.ConvTranspose2d(**args)
    upsampling["transposed"].append(traced(lambda x: module(x, output_size=output_size), torch.randn(*shape), {"kwargs": kwargs, "shape": list(shape), "output_size": output_size}, module))
layer = torch.nn.ConvTranspose2d(6, 4, 3, groups=2)
upsampling["init"] = {"bound": 1 / math.sqrt(2 * 9), "weight_max_abs": float(layer.weight.abs().max()), "bias_max_abs": float(layer.bias.abs().max())}
for shape, kwargs in (
    ((2, 3, 5), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 4), {"size": 7, "mode": "nearest"}),
    ((1, 2, 7), {"size": 3, "mode": "nearest-exact"}),
    ((2, 2, 4), {"scale_factor": 1.5, "mode": "linear"}),
    ((1, 3, 5), {"size": 9, "mode": "linear", "align_corners": True}),
    ((2, 3, 3, 4), {"scale_factor": 2, "mode": "nearest"}),
    ((1, 2, 3, 5), {"size": [5, 4], "mode": "bilinear"}),
    ((1, 2, 4, 4), {"scale_factor": [2, 3], "mode": "bilinear", "align_corners": True}),
    ((2, 1, 5, 3), {"scale_factor": 0.5, "mode": "bilinear"}),
    ((1, 2, 5, 5), {"scale_factor": 1.7, "mode": "bilinear", "recompute_scale_factor": True}),
    ((1, 1, 4, 6), {"size": [2, 3], "mode": "nearest"}),
):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    upsampling["interpolate"].append(traced(lambda x: torch.nn.functional.interpolate(x, **args), torch.randn(*shape), {"shape": list(shape), "kwargs": kwargs}))
for kind, kwargs in (("Upsample", {"scale_factor": 2}), ("Upsample", {"size": [4, 5], "mode": "bilinear"}), ("Upsample", {"scale_factor": [2, 3], "mode": "bilinear", "align_corners": True}),
                     ("Upsample", {"size": 7, "mode": "linear"}), ("UpsamplingNearest2d", {"scale_factor": 2}), ("UpsamplingBilinear2d", {"size": [3, 3]})):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    upsampling["modules"].append({"kind": kind, "kwargs": kwargs, "repr": repr(getattr(torch.nn, kind)(**args))})
# nn.ConvTranspose1d over [N, C, L] and one sequence (drawn last, so the cases above keep their draws).
upsampling["transposed1d"] = []
for kwargs, shape in (
    ({"in_channels": 3, "out_channels": 2, "kernel_size": 3, "stride": 2, "padding": 1, "output_padding": 1}, (2, 3, 5)),
    ({"in_channels": 4, "out_channels": 2, "kernel_size": 2, "stride": 3, "groups": 2, "bias": False, "dilation": 2}, (1, 4, 4)),
    ({"in_channels": 2, "out_channels": 3, "kernel_size": 4, "stride": 2, "padding": 1}, (2, 6)),
):
    module = torch.nn.ConvTranspose1d(**kwargs)
    upsampling["transposed1d"].append(traced(module, torch.randn(*shape), {"kwargs": kwargs, "shape": list(shape)}, module))
upsampling_path = path.parent / "pytorch-upsampling.json"
upsampling_path.write_text(json.dumps(upsampling) + "\n")
print(f"wrote {upsampling_path} ({upsampling_path.stat().st_size} bytes)")

# ── group and instance norm (tests/fixtures/pytorch-norms.json) ──────────────────────────────────
# nn.GroupNorm, nn.InstanceNorm1d/2d with random affine parameters: output, and for Σ y · dy the
# gradients of the input and of the parameters; printouts.
torch.manual_seed(20261203)
norms = {"torch_version": torch.__version__, "cases": []}
for kind, args, kwargs, shape in (
    ("GroupNorm", [2, 6], {}, (2, 6, 3, 4)),
    ("GroupNorm", [3, 6], {"eps": 1e-3, "affine": False}, (3, 6, 5)),
    ("GroupNorm", [1, 4], {}, (2, 4, 2, 2)),
    ("GroupNorm", [4, 4], {}, (1, 4, 7)),
    ("InstanceNorm2d", [3], {}, (2, 3, 4, 5)),
    ("InstanceNorm2d", [3], {"affine": True}, (3, 4, 4)),
    ("InstanceNorm1d", [4], {"affine": True, "eps": 1e-4}, (2, 4, 6)),
):
    module = getattr(torch.nn, kind)(*args, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.5, 1.5) if p.dim() and p is module.weight else p.uniform_(-0.5, 0.5)
    norms["cases"].append(traced(module, torch.randn(*shape) * 2 + 0.5, {"kind": kind, "args": args, "kwargs": kwargs, "shape": list(shape)}, module))
norms_path = path.parent / "pytorch-norms.json"
norms_path.write_text(json.dumps(norms) + "\n")
print(f"wrote {norms_path} ({norms_path.stat().st_size} bytes)")

# ── adaptive pooling (tests/fixtures/pytorch-pooling.json) ─────────────────────────────────────────
# nn.AdaptiveAvgPool2d/1d and AdaptiveMaxPool2d/1d at output sizes that divide the input, that do not
# (overlapping bins), larger than the input, None (keep that size), one image; the max's indices; and
# F.interpolate(mode='area'). Values and, for Σ y · dy, the input's gradient; printouts.
torch.manual_seed(20261205)
pooling = {"torch_version": torch.__version__, "cases": []}
for kind, output_size, shape, ties in (
    ("AdaptiveAvgPool2d", 7, (2, 3, 14, 14), False),
    ("AdaptiveAvgPool2d", [3, 4], (2, 3, 10, 7), False),
    ("AdaptiveAvgPool2d", [5, 4], (1, 2, 3, 3), False),
    ("AdaptiveAvgPool2d", [None, 2], (2, 2, 5, 9), False),
    ("AdaptiveAvgPool2d", 3, (4, 7, 5), False),
    ("AdaptiveMaxPool2d", 1, (2, 3, 4, 5), False),
    ("AdaptiveMaxPool2d", [3, 4], (2, 3, 10, 7), False),
    ("AdaptiveMaxPool2d", [2, 3], (2, 2, 6, 6), True),
    ("AdaptiveMaxPool2d", [6, 5], (1, 2, 4, 3), False),
    ("AdaptiveMaxPool2d", 2, (3, 5, 5), False),
    ("AdaptiveAvgPool1d", 4, (2, 3, 10), False),
    ("AdaptiveAvgPool1d", 7, (3, 5), False),
    ("AdaptiveMaxPool1d", 3, (2, 3, 10), True),
    ("AdaptiveMaxPool1d", 4, (3, 7), False),
):
    module = getattr(torch.nn, kind)(tuple(output_size) if isinstance(output_size, list) else output_size)
    x = torch.randint(-1, 2, shape).float() if ties else torch.randn(*shape)  # ties: many equal maxima
    case = traced(module, x, {"kind": kind, "output_size": output_size, "shape": list(shape)}, module)
    if "Max" in kind:
        f = torch.nn.functional.adaptive_max_pool2d if kind.endswith("2d") else torch.nn.functional.adaptive_max_pool1d
        case["indices"] = [int(v) for v in f(x.detach(), tuple(output_size) if isinstance(output_size, list) else output_size, return_indices=True)[1].reshape(-1).tolist()]
    pooling["cases"].append(case)
pooling["area"] = []
for shape, kwargs in (((2, 3, 9, 7), {"size": [4, 3]}), ((1, 2, 5, 7), {"scale_factor": 0.5}), ((2, 3, 4, 4), {"scale_factor": 1.75}), ((2, 3, 11), {"size": 4})):
    args = {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}
    pooling["area"].append(traced(lambda v: torch.nn.functional.interpolate(v, mode="area", **args), torch.randn(*shape), {"kwargs": kwargs, "shape": list(shape)}))
pooling_path = path.parent / "pytorch-pooling.json"
pooling_path.write_text(json.dumps(pooling) + "\n")
print(f"wrote {pooling_path} ({pooling_path.stat().st_size} bytes)")

# ── EmbeddingBag (tests/fixtures/pytorch-embedding-bag.json) ──────────────────────────────────────
# nn.EmbeddingBag in each mode over offsets (an empty bag among them) and over 2-D bags, with
# per_sample_weights, include_last_offset and padding_idx: the output, and for Σ y · dy the weight's
# gradient (and per_sample_weights').
torch.manual_seed(20261207)
bags = {"torch_version": torch.__version__, "cases": []}
for kwargs, input_, offsets, weighted in (
    ({"mode": "mean"}, [3, 1, 4, 1, 5, 9, 2, 6], [0, 3, 3, 7], False),
    ({"mode": "sum"}, [3, 1, 4, 1, 5, 9, 2, 6], [0, 2, 2, 5, 8], True),
    ({"mode": "sum", "include_last_offset": True}, [3, 1, 4, 1, 5, 9, 2, 6], [0, 2, 2, 5, 8], True),
    ({"mode": "max"}, [3, 1, 4, 1, 5, 9, 2, 6], [0, 3, 3, 7], False),
    ({"mode": "mean", "padding_idx": 2}, [[2, 2, 2], [1, 2, 7], [5, 5, 0]], None, False),
    ({"mode": "max", "padding_idx": 2}, [[2, 2, 2], [1, 2, 7], [5, 5, 0]], None, False),
    ({"mode": "sum", "padding_idx": 0}, [[2, 0, 3, 3], [0, 0, 1, 9]], None, True),
    ({"mode": "mean"}, [[4], [8]], None, False),
):
    module = torch.nn.EmbeddingBag(10, 3, **kwargs)
    x = torch.tensor(input_)
    off = torch.tensor(offsets) if offsets is not None else None
    psw = (torch.rand(x.shape) + 0.5).requires_grad_(True) if weighted else None
    y = module(x, off, per_sample_weights=psw)
    dy = torch.randn(*y.shape)
    (y * dy).sum().backward()
    case = {"kwargs": kwargs, "input": input_, "offsets": offsets, "weight": values(module.weight), "y": values(y), "y_shape": list(y.shape), "dy": values(dy),
            "dweight": values(module.weight.grad), "repr": repr(module)}
    if weighted:
        case["per_sample_weights"] = values(psw)
        case["dper_sample_weights"] = values(psw.grad)
    bags["cases"].append(case)
bags_path = path.parent / "pytorch-embedding-bag.json"
bags_path.write_text(json.dumps(bags) + "\n")
print(f"wrote {bags_path} ({bags_path.stat().st_size} bytes)")

# ── LocalResponseNorm, Softmax2d, InstanceNorm's running statistics (tests/fixtures/pytorch-lrn.json) ──
# Values and, for Σ y · dy, the input's gradient; 3-, 4- and 5-D inputs, odd and even sizes; printouts.
torch.manual_seed(20261208)
lrn = {"torch_version": torch.__version__, "cases": []}
for kind, args, kwargs, shape in (
    ("LocalResponseNorm", [5], {}, (2, 7, 3, 4)),
    ("LocalResponseNorm", [3], {"alpha": 0.001, "beta": 0.5, "k": 2.0}, (2, 6, 5)),
    ("LocalResponseNorm", [2], {"alpha": 0.5, "beta": 0.75, "k": 1.0}, (1, 4, 2, 2, 3)),
    ("LocalResponseNorm", [1], {"alpha": 1.0}, (3, 1, 4)),
    ("Softmax2d", [], {}, (2, 3, 4, 5)),
    ("Softmax2d", [], {}, (3, 4, 5)),
):
    module = getattr(torch.nn, kind)(*args, **kwargs)
    lrn["cases"].append(traced(module, torch.randn(*shape) * 3, {"kind": kind, "args": args, "kwargs": kwargs, "shape": list(shape)}, module))
# InstanceNorm with track_running_stats: two training batches (outputs and the running statistics
# after each), then eval with the running statistics: output and, for Σ y · dy, the input's gradient.
lrn["instance_running"] = []
for kind, kwargs, shape in (
    ("InstanceNorm2d", {"affine": True, "momentum": 0.2}, (3, 3, 4, 5)),
    ("InstanceNorm1d", {}, (2, 4, 6)),
):
    module = getattr(torch.nn, kind)(shape[1], track_running_stats=True, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.5, 1.5)
    x1, x2, x3 = torch.randn(*shape) * 2 + 1, torch.randn(*shape) - 0.5, torch.randn(*shape)
    module.train()
    y1 = module(x1)
    stats1 = [values(module.running_mean), values(module.running_var)]
    y2 = module(x2)
    stats2 = [values(module.running_mean), values(module.running_var)]
    module.eval()
    case = traced(module, x3, {"kind": kind, "kwargs": kwargs, "shape": list(shape)}, module)
    case.update({"x1": values(x1), "x2": values(x2), "y1": values(y1), "y2": values(y2), "stats1": stats1, "stats2": stats2})
    lrn["instance_running"].append(case)
lrn_path = path.parent / "pytorch-lrn.json"
lrn_path.write_text(json.dumps(lrn) + "\n")
print(f"wrote {lrn_path} ({lrn_path.stat().st_size} bytes)")

# ── more activations and rearrangements (tests/fixtures/pytorch-activations.json) ─────────────────
# Hardtanh, ReLU6, Hardsigmoid, Hardswish, Mish, PReLU (values, the input's and PReLU's weight's
# gradients; inputs drawn with exact boundary values mixed in), PixelShuffle, PixelUnshuffle, Unflatten.
torch.manual_seed(20261204)
activations = {"torch_version": torch.__version__, "cases": []}
for kind, args, kwargs, shape in (
    ("Hardtanh", [], {}, (3, 40)),
    ("Hardtanh", [-2.5, 3.5], {}, (2, 30)),
    ("ReLU6", [], {}, (4, 25)),
    ("Hardsigmoid", [], {}, (4, 25)),
    ("Hardswish", [], {}, (4, 25)),
    ("Mish", [], {}, (3, 30)),
    ("PReLU", [], {}, (2, 3, 4)),
    ("PReLU", [3], {"init": 0.1}, (2, 3, 2, 2)),
    ("PixelShuffle", [2], {}, (2, 8, 3, 2)),
    ("PixelUnshuffle", [3], {}, (1, 2, 6, 3)),
    ("Unflatten", [1, [2, 3]], {}, (4, 6, 2)),
):
    module = getattr(torch.nn, kind)(*[tuple(a) if isinstance(a, list) else a for a in args], **kwargs)
    if kind == "PReLU":
        with torch.no_grad():
            module.weight.uniform_(-0.5, 0.5)
    x = torch.randn(*shape) * 4
    flat = x.view(-1)
    flat[::7] = torch.tensor([-3.0, 0.0, 3.0, 6.0, -1.0, 1.0, 20.0]).repeat(flat[::7].numel() // 7 + 1)[:flat[::7].numel()]
    activations["cases"].append(traced(module, x, {"kind": kind, "args": args, "kwargs": kwargs, "shape": list(shape)}, module))
activations_path = path.parent / "pytorch-activations.json"
activations_path.write_text(json.dumps(activations) + "\n")
print(f"wrote {activations_path} ({activations_path.stat().st_size} bytes)")

# ── the rest of the common activations, and distances (tests/fixtures/pytorch-activations2.json) ──
# LogSigmoid, Softsign, SELU, CELU, GLU, Softmin, Threshold, Tanhshrink, Softshrink, Hardshrink
# (values and the input's gradient; each input drawn with its exact boundaries and ±20, ±100 mixed
# in); F.normalize (zero and tiny rows, ties for p = ∞); CosineSimilarity and PairwiseDistance
# (both inputs' gradients; zero vectors, broadcasting, ties, x1 − x2 + eps exactly 0).
torch.manual_seed(20261205)
activations2 = {"torch_version": torch.__version__, "cases": [], "normalize": [], "pairs": []}


def json_safe(kwargs):
    # JSON has no Infinity: p = ∞ is written "inf", as Python prints it.
    return {k: "inf" if v == math.inf else v for k, v in kwargs.items()}


for kind, args, kwargs, shape, edges in (
    ("LogSigmoid", [], {}, (3, 30), [-100.0, 100.0, -20.0, 20.0, 0.0, -40.0, 40.0]),
    ("Softsign", [], {}, (4, 25), [0.0, -1.0, 1.0, 100.0, -100.0]),
    ("SELU", [], {}, (3, 30), [0.0, -100.0, 100.0, -1.0, 1.0]),
    ("CELU", [], {}, (4, 25), [0.0, -100.0, 100.0, -1.0]),
    ("CELU", [], {"alpha": 2.0}, (2, 3, 7), [0.0, -100.0, 2.0, -2.0]),
    ("GLU", [], {}, (3, 2, 10), [0.0, -100.0, 100.0, 1.0]),
    ("GLU", [], {"dim": 1}, (2, 6, 5), [0.0, -30.0, 30.0]),
    ("Softmin", [], {"dim": 1}, (3, 7), [0.0, -30.0, 30.0]),
    ("Softmin", [], {"dim": 0}, (5, 2, 3), [0.0, 1.0]),
    ("Threshold", [0.1, 20.0], {}, (4, 25), [0.1, 0.0, -0.1, 20.0]),
    ("Threshold", [-1.0, -3.5], {}, (3, 11), [-1.0, 0.0, -3.5, 1.0]),
    ("Tanhshrink", [], {}, (4, 25), [0.0, -100.0, 100.0, 1.0]),
    ("Softshrink", [], {}, (4, 25), [0.5, -0.5, 0.0, 100.0]),
    ("Softshrink", [1.0], {}, (3, 13), [1.0, -1.0, 0.0]),
    ("Hardshrink", [], {}, (4, 25), [0.5, -0.5, 0.0, -100.0]),
    ("Hardshrink", [2.0], {}, (3, 13), [2.0, -2.0, 0.0]),
):
    module = getattr(torch.nn, kind)(*args, **kwargs)
    x = torch.randn(*shape) * 3
    flat = x.view(-1)
    flat[::5] = torch.tensor(edges).repeat(flat[::5].numel() // len(edges) + 1)[:flat[::5].numel()]
    activations2["cases"].append(traced(module, x, {"kind": kind, "args": args, "kwargs": kwargs, "shape": list(shape)}, module))

for kwargs, shape in (
    ({}, (4, 5)),
    ({"p": 1.0, "dim": -1}, (3, 2, 4)),
    ({"p": math.inf, "dim": 0}, (4, 6)),
    ({"p": 3.0, "dim": 1, "eps": 1e-3}, (2, 5, 3)),
):
    x = torch.randn(*shape)
    along = [0] * len(shape)
    along[kwargs.get("dim", 1)] = slice(None)
    x[tuple(along)] = 0.0  # one vector along dim entirely zero
    if kwargs.get("p") == math.inf:
        x[:, 1] = torch.tensor([2.0, -2.0, 1.0, 2.0])  # ties for the max, of both signs
    if kwargs.get("eps") == 1e-3:
        x[1, :, 2] = 1e-5  # a norm below eps, not 0
    activations2["normalize"].append(traced(lambda t: torch.nn.functional.normalize(t, **kwargs), x, {"kwargs": json_safe(kwargs), "shape": list(shape)}))


def traced_pair(module, x1, x2, fields):
    """y = module(x1, x2) and, for Σ y · dy, both inputs' gradients; its printout."""
    x1.requires_grad_(True)
    x2.requires_grad_(True)
    y = module(x1, x2)
    dy = torch.randn(*y.shape)
    (y * dy).sum().backward()
    return {**fields, "x1": values(x1), "x2": values(x2), "y": values(y), "y_shape": list(y.shape), "dy": values(dy), "dx1": values(x1.grad), "dx2": values(x2.grad), "repr": repr(module)}


zero_rows = torch.randn(6, 5)
zero_rows[0] = 0.0
zero_rows[2] = 1e-10  # a norm below eps, not 0
other = torch.randn(6, 5)
other[1] = 0.0
other[0] = 0.0
tied = torch.randn(5, 4)
tied[0] = torch.tensor([1.0, -1.0, 1.0, 0.5])
for kind, kwargs, x1, x2 in (
    ("CosineSimilarity", {}, zero_rows, other),
    ("CosineSimilarity", {"dim": -1, "eps": 1e-3}, torch.randn(3, 1, 5), torch.cat([torch.zeros(1, 5), torch.randn(3, 5) * torch.tensor([[1.0], [1e-4], [0.01]])])),
    ("CosineSimilarity", {"dim": 0}, torch.randn(4, 3), torch.randn(4, 1)),
    ("CosineSimilarity", {"dim": 0}, torch.randn(4, 3), torch.randn(1, 3)),  # x2 spread along dim: its norm is the spread one's
    ("PairwiseDistance", {}, zero_rows, torch.cat([zero_rows[:2], torch.randn(4, 5)])),
    ("PairwiseDistance", {"p": 1.0}, zero_rows, torch.cat([zero_rows[:2], torch.randn(4, 5)])),
    ("PairwiseDistance", {"p": math.inf, "keepdim": True}, tied, torch.cat([torch.zeros(2, 4), torch.randn(3, 4)])),
    ("PairwiseDistance", {"p": 3.0, "eps": 0.0}, torch.randn(2, 3, 4), torch.randn(3, 4)),
    ("PairwiseDistance", {}, torch.zeros(2, 3), torch.full((2, 3), 1e-6)),  # x1 − x2 + eps exactly 0
):
    module = getattr(torch.nn, kind)(**kwargs)
    activations2["pairs"].append(traced_pair(module, x1.clone(), x2.clone(), {"kind": kind, "kwargs": json_safe(kwargs), "shape1": list(x1.shape), "shape2": list(x2.shape)}))
activations2_path = path.parent / "pytorch-activations2.json"
activations2_path.write_text(json.dumps(activations2) + "\n")
print(f"wrote {activations2_path} ({activations2_path.stat().st_size} bytes)")

# ── more losses (tests/fixtures/pytorch-more-losses.json) ─────────────────────────────────────────
# SmoothL1Loss, HuberLoss, KLDivLoss and the composed losses below, each through its module in float32 (what we compare with)
# and float64 (the truth), as the losses above: the value, and every input's gradient (a reduced loss
# starts backward itself; 'none' is reduced as Σ y · dy). Inputs are drawn in float32. SmoothL1 and
# Huber put every sixth input exactly β (δ) from its target, and at β = 0 ties (x = t: PyTorch's
# gradient there is −1 for both); KLDiv's targets hold zeros (xlogy's 0; the target's gradient there
# is NaN, written as null: JSON has no NaN).
import warnings

torch.manual_seed(20261205)
more_losses = {"torch_version": torch.__version__, "cases": []}


def more_loss_case(kind, kwargs, inputs, grad_of=(0, 1)):
    """kind, kwargs: the torch.nn module; inputs: float64 tensors; grad_of: which inputs get gradients."""
    module = getattr(torch.nn, kind)(**kwargs)
    case = {"kind": kind, "kwargs": kwargs, "repr": repr(module), "shapes": [list(t.shape) for t in inputs],
            "inputs": [values(t) for t in inputs], "grad_of": list(grad_of)}
    dy = None
    for dtype, suffix in ((torch.float32, ""), (torch.float64, "64")):
        ts = [t.to(dtype).clone().requires_grad_(i in grad_of) for i, t in enumerate(inputs)]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # KLDivLoss's warning about 'mean'
            y = module(*ts)
        dy = backward_from(y, dy, dtype)
        case["y" + suffix] = values(y)
        case["grads" + suffix] = [values(ts[i].grad) for i in grad_of]
    case["y_shape"] = list(y.shape) or [1]
    case["dy"] = values(dy) if dy is not None else None
    more_losses["cases"].append(case)


def at_knee(shape, knee, ties=False):
    """x and t, t on a grid of 1/8 where every sixth x is t ± knee exactly (or t itself, with ties)."""
    x, t = float32_values(*shape, scale=2.0), float32_values(*shape, scale=2.0)
    flat_x, flat_t = x.view(-1), t.view(-1)
    flat_t[::6] = torch.round(flat_t[::6] * 8) / 8
    signs = torch.tensor([1.0, -1.0]).repeat(flat_t[::6].numel())[:flat_t[::6].numel()].double()
    flat_x[::6] = flat_t[::6] + (0.0 if ties else knee) * signs
    if ties:
        flat_x[1::5] = flat_t[1::5]
    return x, t


for kwargs, shape in (({}, (6, 4)), ({"reduction": "sum", "beta": 0.5}, (3, 5, 2)), ({"reduction": "none", "beta": 2.0}, (7, 3)),
                      ({"beta": 0.0}, (5, 4)), ({"reduction": "none", "beta": 0.0}, (2, 7)), ({"reduction": "sum"}, (1,))):
    beta = kwargs.get("beta", 1.0)
    more_loss_case("SmoothL1Loss", kwargs, list(at_knee(shape, beta, ties=beta == 0.0)))
for kwargs, shape in (({}, (6, 4)), ({"reduction": "sum", "delta": 2.0}, (3, 5, 2)), ({"reduction": "none", "delta": 0.5}, (7, 3)),
                      ({"delta": 0.25}, (1,))):
    more_loss_case("HuberLoss", kwargs, list(at_knee(shape, kwargs.get("delta", 1.0))))


def log_probabilities(*shape):
    return torch.log_softmax(torch.randn(*shape) * 2, dim=1).float().double()


def probabilities_with_zeros(*shape):
    t = torch.softmax(torch.randn(*shape) * 2, dim=1).float().double()
    t.view(-1)[::4] = 0.0
    return t


for reduction, shape in (("mean", (4, 5)), ("batchmean", (4, 5)), ("sum", (3, 4, 2)), ("none", (3, 6)), ("batchmean", (1, 7))):
    more_loss_case("KLDivLoss", {"reduction": reduction}, [log_probabilities(*shape), probabilities_with_zeros(*shape)])
for reduction, shape in (("batchmean", (4, 5)), ("none", (2, 3, 4)), ("mean", (3, 4))):
    more_loss_case("KLDivLoss", {"reduction": reduction, "log_target": True}, [log_probabilities(*shape), log_probabilities(*shape)])

# The composed losses: MarginRankingLoss (inputs exactly at the hinge, where clamp_min passes the
# gradient), SoftMarginLoss, HingeEmbeddingLoss (inputs at the margin, targets of 0 in one case: both
# terms), CosineEmbeddingLoss ([N, D] rows and one vector, its target 0-d), PoissonNLLLoss (counts with
# 0 and 1, the Stirling term's edge; λ = 0 without log_input), GaussianNLLLoss (var of the input's
# shape with entries below eps, one per row [N], and [N, 1]).
def signs(*shape):
    return (torch.randint(0, 2, shape) * 2 - 1).double()


for kwargs, shape in (({}, (5, 4)), ({"margin": 0.5, "reduction": "sum"}, (3, 5, 2)), ({"reduction": "none", "margin": -0.25}, (7, 3))):
    x1, x2, y = float32_values(*shape), float32_values(*shape), signs(*shape)
    margin = kwargs.get("margin", 0.0)
    x2.view(-1)[::5] = torch.round(x2.view(-1)[::5] * 8) / 8
    x1.view(-1)[::5] = x2.view(-1)[::5] + margin * y.view(-1)[::5]  # −y(x1 − x2) + margin = 0 exactly
    more_loss_case("MarginRankingLoss", kwargs, [x1, x2, y], grad_of=(0, 1, 2))
for kwargs, shape in (({}, (6, 4)), ({"reduction": "sum"}, (3, 5, 2)), ({"reduction": "none"}, (7, 3))):
    more_loss_case("SoftMarginLoss", kwargs, [float32_values(*shape, scale=3.0), signs(*shape)], grad_of=(0,))
for kwargs, shape in (({}, (6, 4)), ({"margin": 2.0, "reduction": "sum"}, (3, 5, 2)), ({"reduction": "none"}, (7, 3))):
    x, y = float32_values(*shape, scale=2.0), signs(*shape)
    x.view(-1)[::6] = kwargs.get("margin", 1.0)  # at the margin: clamp_min passes the gradient where y = −1
    if kwargs.get("reduction") == "none":
        y.view(-1)[1::5] = 0.0  # neither 1 nor −1: PyTorch 1.13 adds both terms
    more_loss_case("HingeEmbeddingLoss", kwargs, [x, y], grad_of=(0,))
for kwargs, shape in (({}, (5, 8)), ({"margin": 0.3, "reduction": "sum"}, (6, 4)), ({"reduction": "none", "margin": -0.2}, (4, 3)), ({}, (7,))):
    x1, x2 = float32_values(*shape), float32_values(*shape)
    y = signs(shape[0]) if len(shape) == 2 else torch.tensor(-1.0).double()
    if len(shape) == 2:
        x2[0] = x1[0]  # cos = 1: 1 − cos = 0 where y = 1, the hinge's far side where y = −1
    more_loss_case("CosineEmbeddingLoss", kwargs, [x1, x2, y], grad_of=(0, 1))
for kwargs, shape in (({}, (6, 4)), ({"log_input": False, "full": True, "reduction": "sum"}, (3, 5, 2)), ({"full": True, "reduction": "none"}, (7, 3))):
    x = float32_values(*shape) if kwargs.get("log_input", True) else (torch.rand(*shape) * 3 + 0.05).double()
    t = torch.randint(0, 6, shape).double()
    t.view(-1)[:3] = torch.tensor([0.0, 1.0, 2.0])  # the Stirling term's edge: none at 0 and 1, some at 2
    if not kwargs.get("log_input", True):
        x.view(-1)[3:5] = 0.0  # λ = 0: ln(0 + eps) is eps's alone
    more_loss_case("PoissonNLLLoss", kwargs, [x, t])
for kwargs, shape, var_shape in (({}, (6, 4), (6, 4)), ({"full": True, "reduction": "sum"}, (5, 3), (5,)), ({"eps": 1e-3, "reduction": "none"}, (4, 3), (4, 1))):
    var = (torch.rand(*var_shape) * 2 + 0.1).double()
    if not kwargs.get("full"):  # (with full, ½ ln 2π must stand out of the sum: no tiny variances there)
        var.view(-1)[::4] = 1e-8  # below eps: clamped in value, the gradient taken there as if not
    more_loss_case("GaussianNLLLoss", kwargs, [float32_values(*shape), float32_values(*shape), var], grad_of=(0, 1, 2))

more_losses_path = path.parent / "pytorch-more-losses.json"
more_losses_path.write_text(json.dumps(more_losses).replace("NaN", "null") + "\n")
print(f"wrote {more_losses_path} ({more_losses_path.stat().st_size} bytes)")

# ── 3-D layers (tests/fixtures/pytorch-conv3d.json) ────────────────────────────────────────────────
# nn.Conv3d, MaxPool3d, AvgPool3d, AdaptiveAvgPool3d/MaxPool3d, BatchNorm3d and InstanceNorm3d at
# several option sets over [N, C, D, H, W] and one volume [C, D, H, W]: printouts, outputs, the max
# pools' indices, and for Σ y · dy the gradients of the input and of every parameter (traced() above).
# BatchNorm3d: a training batch (traced), a second one, the running statistics after each, then eval.
# Then a small 3-D CNN, one SGD step: loss, every gradient, the running statistics, the parameters after.
torch.manual_seed(20261210)
conv3d = {"torch_version": torch.__version__, "modules": []}


def tupled(kwargs):
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def case3d(kind, kwargs, shape, module, x=None, args=()):
    x = torch.randn(*shape) if x is None else x
    case = traced(module, x, {"kind": kind, "args": list(args), "kwargs": kwargs, "shape": list(shape)}, module)
    conv3d["modules"].append(case)
    return case


for args, kwargs, shape in (
    ([3, 5, 3], {"stride": 2, "padding": 1}, (2, 3, 5, 6, 7)),
    ([4, 6, [3, 2, 2]], {"stride": [1, 2, 1], "padding": [2, 1, 0], "dilation": [2, 1, 2], "groups": 2, "bias": False}, (1, 4, 7, 6, 7)),
    ([3, 3, 3], {"padding": 1, "groups": 3}, (2, 3, 4, 5, 5)),
    ([2, 3, [3, 5, 3]], {"padding": "same", "dilation": [1, 1, 2]}, (1, 2, 5, 6, 7)),
    ([2, 3, 3], {"padding": "valid"}, (2, 4, 5, 6)),
    ([2, 2, 3], {"padding": 1, "padding_mode": "reflect"}, (1, 2, 4, 4, 4)),
    ([3, 2, 2], {"stride": 3}, (2, 3, 7, 7, 7)),
    ([1, 2, 1], {}, (1, 1, 1, 1, 1)),
):
    case3d("Conv3d", kwargs, shape, torch.nn.Conv3d(*[tuple(a) if isinstance(a, list) else a for a in args], **tupled(kwargs)), args=args)
for kwargs, shape, ties in (
    ({"kernel_size": 2}, (2, 3, 4, 6, 7), False),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 5, 7, 7), False),
    ({"kernel_size": 2, "stride": 1}, (2, 2, 4, 4, 4), True),
    ({"kernel_size": [3, 2, 2], "stride": [2, 1, 2], "padding": 1, "dilation": [1, 2, 1]}, (1, 2, 7, 8, 9), False),
    ({"kernel_size": 2, "stride": 3}, (1, 2, 7, 7, 7), False),
    ({"kernel_size": 2}, (3, 4, 4, 5), False),
):
    x = torch.randint(-1, 2, shape).float() if ties else torch.randn(*shape)  # ties: many equal maxima
    case = case3d("MaxPool3d", kwargs, shape, torch.nn.MaxPool3d(**tupled(kwargs)), x)
    case["indices"] = [int(v) for v in torch.nn.functional.max_pool3d(x.detach(), **tupled(kwargs), return_indices=True)[1].reshape(-1).tolist()]
for kwargs, shape in (
    ({"kernel_size": 2}, (2, 3, 4, 6, 7)),
    ({"kernel_size": 3, "stride": 2, "padding": 1}, (1, 2, 5, 7, 6)),
    ({"kernel_size": [3, 2, 3], "stride": [2, 1, 2], "padding": [1, 1, 0], "count_include_pad": False}, (1, 2, 5, 7, 6)),
    ({"kernel_size": 2, "stride": 3}, (1, 2, 7, 7, 7)),
    ({"kernel_size": 3, "stride": 1, "padding": 1}, (2, 3, 4, 5)),
):
    case3d("AvgPool3d", kwargs, shape, torch.nn.AvgPool3d(**tupled(kwargs)))
for kind, output_size, shape, ties in (
    ("AdaptiveAvgPool3d", 1, (2, 3, 4, 5, 6), False),
    ("AdaptiveAvgPool3d", [2, 3, None], (2, 2, 5, 7, 4), False),
    ("AdaptiveAvgPool3d", [3, 2, 5], (1, 2, 2, 3, 3), False),
    ("AdaptiveAvgPool3d", 2, (3, 4, 5, 6), False),
    ("AdaptiveMaxPool3d", [2, 3, 2], (2, 3, 5, 7, 4), False),
    ("AdaptiveMaxPool3d", 2, (1, 2, 4, 4, 4), True),
    ("AdaptiveMaxPool3d", [3, 4, 5], (1, 2, 2, 3, 3), False),
    ("AdaptiveMaxPool3d", [None, 2, 2], (3, 3, 5, 6), False),
):
    size = tuple(output_size) if isinstance(output_size, list) else output_size
    x = torch.randint(-1, 2, shape).float() if ties else torch.randn(*shape)
    case = case3d(kind, {"output_size": output_size}, shape, getattr(torch.nn, kind)(size), x)
    if "Max" in kind:
        case["indices"] = [int(v) for v in torch.nn.functional.adaptive_max_pool3d(x.detach(), size, return_indices=True)[1].reshape(-1).tolist()]
for kind, args, kwargs, shape in (
    ("InstanceNorm3d", [3], {"affine": True}, (2, 3, 4, 5, 3)),
    ("InstanceNorm3d", [4], {"eps": 1e-3}, (4, 3, 4, 5)),
):
    module = getattr(torch.nn, kind)(*args, **kwargs)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(0.5, 1.5) if p is module.weight else p.uniform_(-0.5, 0.5)
    case3d(kind, kwargs, shape, module, torch.randn(*shape) * 2 + 0.5, args=args)

# BatchNorm3d: training batch 1 traced (output, input's, weight's and bias's gradients), the running
# statistics after it; training batch 2's output and statistics (momentum None averages the two);
# then eval traced on a third input (the running statistics, or the batch's without them).
conv3d["batchnorm"] = []
for kwargs, shape in (
    ({}, (2, 3, 3, 4, 5)),
    ({"momentum": None, "eps": 1e-3}, (3, 2, 2, 3, 4)),
    ({"affine": False, "momentum": 0.3}, (2, 4, 3, 3, 2)),
    ({"track_running_stats": False}, (2, 3, 2, 2, 3)),
):
    module = torch.nn.BatchNorm3d(shape[1], **kwargs)
    if module.affine:
        with torch.no_grad():
            module.weight.uniform_(0.5, 1.5)
            module.bias.uniform_(-0.5, 0.5)
    x1, x2, x3 = torch.randn(*shape) * 2 + 1, torch.randn(*shape) - 0.5, torch.randn(*shape)
    module.train()
    case = traced(module, x1, {"kwargs": kwargs, "shape": list(shape)}, module)
    stats = lambda: [values(module.running_mean), values(module.running_var)] if module.track_running_stats else None
    case["stats1"] = stats()
    case["x2"], case["y2"], case["stats2"] = values(x2), values(module(x2)), stats()
    module.eval()
    module.zero_grad()
    case["eval"] = traced(module, x3, {"shape": list(shape)}, module)
    conv3d["batchnorm"].append(case)

# A small 3-D CNN, one SGD step (momentum 0.9, weight decay 1e-4) from a cross-entropy loss.
net = torch.nn.Sequential(torch.nn.Conv3d(1, 4, 3, padding=1), torch.nn.BatchNorm3d(4), torch.nn.ReLU(), torch.nn.MaxPool3d(2),
                          torch.nn.Flatten(), torch.nn.Linear(4 * 2 * 3 * 3, 3))
x = torch.rand(5, 1, 4, 6, 6)
labels = torch.randint(0, 3, (5,))
initial = {k: values(v) for k, v in net.state_dict().items() if not k.endswith("num_batches_tracked")}
optimizer = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
loss = torch.nn.CrossEntropyLoss()(net(x), labels)
loss.backward()
grads = {k: values(p.grad) for k, p in net.named_parameters()}
optimizer.step()
conv3d["network"] = {"x": values(x), "shape": list(x.shape), "labels": labels.tolist(), "initial": initial, "loss": float(loss), "grads": grads,
                     "running": {k: values(v) for k, v in net.state_dict().items() if "running" in k},
                     "params_after": {k: values(p) for k, p in net.named_parameters()}}

# nn.Conv3d's default init: U(-1/sqrt(fan_in), 1/sqrt(fan_in)), fan_in = in/groups * kd * kh * kw.
layer = torch.nn.Conv3d(4, 16, 3)
conv3d["conv_init"] = {"in_channels": 4, "out_channels": 16, "kernel_size": 3, "bound": 1 / math.sqrt(4 * 27),
                       "weight_max_abs": float(layer.weight.abs().max()), "bias_max_abs": float(layer.bias.abs().max())}
conv3d_path = path.parent / "pytorch-conv3d.json"
conv3d_path.write_text(json.dumps(conv3d) + "\n")
print(f"wrote {conv3d_path} ({conv3d_path.stat().st_size} bytes)")

# ── Tensor creation (tests/fixtures/pytorch-creation.json) ───────────────────────────────────────
# torch.tensor, zeros, ones, full, arange, linspace and eye: each call's values, shape and dtype
# (int64 here is wgslgrad's i32). arange and linspace on the CPU round as its AVX2 loop does
# (blocks of 8 from a block's first value); under 32,768 elements the thread count changes nothing.
creation = {"torch_version": torch.__version__, "cases": []}
DTYPES = {torch.float32: "f32", torch.int64: "i32", torch.int32: "i32"}
for fn, args, kwargs in (
    ("tensor", [[[1.5, -2.0, 3.25], [0.1, 1e-7, -4e5]]], {}),
    ("tensor", [[[[1, 2], [3, 4]], [[5, 6], [7, -8]], [[0.5, 0.25], [1e30, -1e-30]]]], {}),
    ("tensor", [[[1, -2, 3], [2147483647, -2147483648, 0]]], {"dtype": "i32"}),
    ("zeros", [2, 3], {}),
    ("zeros", [[4]], {"dtype": "i32"}),
    ("ones", [[3, 1, 2]], {}),
    ("full", [[2, 3], 7.5], {}),
    ("full", [[5], -3], {"dtype": "i32"}),
    ("arange", [5], {}),
    ("arange", [2, 20, 3], {}),
    ("arange", [10, -10, -3], {}),
    ("arange", [0, 1, 0.1], {}),
    ("arange", [0.5, 7], {}),
    ("arange", [-math.pi, math.pi, 0.01], {}),
    ("arange", [1.5, -3.7, -0.013], {}),
    ("arange", [-3.5, 7, 0.7], {}),  # crossing 0: the fused start + step·i leaves −2.2e-16 where unfused gives 0
    ("arange", [-0.3, 0.4, 0.1], {}),
    ("arange", [0, 100], {"dtype": "f32"}),
    ("linspace", [-math.pi, math.pi, 2000], {}),
    ("linspace", [-10, 10, 7], {}),
    ("linspace", [0, 1, 11], {}),
    ("linspace", [3, -2, 100], {}),
    ("linspace", [0.001, 5.5, 33], {}),
    ("linspace", [0, 1e6, 1001], {}),
    ("linspace", [2.5, 9, 1], {}),
    ("linspace", [2.5, 9, 2], {}),
    ("eye", [3], {}),
    ("eye", [2, 4], {}),
    ("eye", [4, 2], {"dtype": "i32"}),
):
    torch_kwargs = {"dtype": {"f32": torch.float32, "i32": torch.int32}[kwargs["dtype"]]} if "dtype" in kwargs else {}
    t = getattr(torch, fn)(*args, **torch_kwargs)
    creation["cases"].append({"fn": fn, "args": args, "kwargs": kwargs, "shape": list(t.shape), "dtype": DTYPES[t.dtype], "values": [v if t.dtype != torch.float32 else float(v) for v in t.reshape(-1).tolist()]})
creation_path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pytorch-creation.json"
creation_path.write_text(json.dumps(creation) + "\n")
print(f"wrote {creation_path} ({creation_path.stat().st_size} bytes)")

# ── sampling at positions (tests/fixtures/pytorch-sampling.json) ─────────────────────────────────
# F.affine_grid for a batch of thetas (values and theta's gradient for Σ grid · dgrid), and
# F.grid_sample in every mode, padding and align_corners on 4-D and 5-D input: the output, and for
# Σ y · dy the gradients of the input and of the grid. Positions reach past the input (zeros, the
# clip) and far past it (reflection's repeated flips); some lie exactly on samples and borders.
torch.manual_seed(20261130)
sampling = {"torch_version": torch.__version__, "affine_grid": [], "grid_sample": []}
for theta_shape, size, align in (
    ((2, 2, 3), (2, 3, 4, 5), False),
    ((2, 2, 3), (2, 1, 3, 3), True),
    ((1, 2, 3), (1, 2, 1, 4), False),
    ((1, 2, 3), (1, 2, 5, 1), True),
    ((2, 3, 4), (2, 1, 2, 3, 4), False),
    ((1, 3, 4), (1, 2, 3, 2, 2), True),
):
    theta = (torch.eye(theta_shape[1], theta_shape[2]) + 0.3 * torch.randn(*theta_shape)).requires_grad_(True)
    grid = torch.nn.functional.affine_grid(theta, size, align_corners=align)
    dgrid = torch.randn(*grid.shape)
    (grid * dgrid).sum().backward()
    sampling["affine_grid"].append({"theta_shape": list(theta_shape), "size": list(size), "align_corners": align, "theta": values(theta), "grid": values(grid), "grid_shape": list(grid.shape), "dgrid": values(dgrid), "dtheta": values(theta.grad)})


def grid_sample_case(shape, grid, kwargs, name):
    x = torch.randn(*shape).requires_grad_(True)
    grid = grid.clone().requires_grad_(True)
    y = torch.nn.functional.grid_sample(x, grid, **kwargs)
    dy = torch.randn(*y.shape)
    (y * dy).sum().backward()
    sampling["grid_sample"].append({"name": name, "shape": list(shape), "grid_shape": list(grid.shape), "kwargs": kwargs, "x": values(x), "grid": values(grid), "y": values(y), "y_shape": list(y.shape), "dy": values(dy), "dx": values(x.grad), "dgrid": values(grid.grad)})


for mode in ("bilinear", "nearest"):
    for padding in ("zeros", "border", "reflection"):
        for align in (False, True):
            kwargs = {"mode": mode, "padding_mode": padding, "align_corners": align}
            grid_sample_case((2, 3, 4, 5), torch.rand(2, 3, 6, 2) * 2.6 - 1.3, kwargs, "2-D, within and past the edges")
            grid_sample_case((1, 2, 3, 4, 3), torch.rand(1, 2, 3, 2, 3) * 2.6 - 1.3, kwargs, "3-D")
    grid_sample_case((1, 2, 5, 4), torch.rand(1, 4, 4, 2) * 8 - 4, {"mode": mode, "padding_mode": "reflection", "align_corners": False}, "reflection far past the edges (several flips)")
    grid_sample_case((1, 2, 5, 4), torch.rand(1, 4, 4, 2) * 8 - 4, {"mode": mode, "padding_mode": "reflection", "align_corners": True}, "reflection far past the edges (several flips), align_corners")
# Positions on the samples themselves and on the borders (align_corners: −1 and 1 are the corner
# samples): the border's gradient is 0 there in PyTorch, and the clip's at the bounds too.
on_samples = torch.tensor([-1.0, -0.5, 0.0, 0.5, 1.0])
exact = torch.stack(torch.meshgrid(on_samples, on_samples, indexing="xy"), -1).unsqueeze(0)
for padding in ("zeros", "border", "reflection"):
    grid_sample_case((1, 2, 5, 5), exact, {"mode": "bilinear", "padding_mode": padding, "align_corners": True}, "on the samples and the borders")
# Ties for nearest (positions halfway between samples): PyTorch rounds half to even.
grid_sample_case((1, 2, 4, 4), exact, {"mode": "nearest", "padding_mode": "zeros", "align_corners": False}, "nearest, halfway between samples")
grid_sample_case((1, 1, 1, 1), torch.rand(1, 2, 3, 2) * 2 - 1, {"mode": "bilinear", "padding_mode": "reflection", "align_corners": True}, "one sample, reflection with align_corners (a span of 0)")
grid_sample_case((1, 1, 1, 3), torch.rand(1, 2, 3, 2) * 3 - 1.5, {"mode": "bilinear", "padding_mode": "border", "align_corners": False}, "one row, border")
# The spatial transformer's pair: affine_grid of theta, then grid_sample; theta's gradient through both.
x = torch.randn(3, 2, 6, 7)
theta = (torch.eye(2, 3) + 0.2 * torch.randn(3, 2, 3)).requires_grad_(True)
y = torch.nn.functional.grid_sample(x, torch.nn.functional.affine_grid(theta, x.size(), align_corners=False), align_corners=False)
dy = torch.randn(*y.shape)
(y * dy).sum().backward()
sampling["transformer"] = {"x": values(x), "shape": list(x.shape), "theta": values(theta), "y": values(y), "dy": values(dy), "dtheta": values(theta.grad)}
# torch.searchsorted and torch.bucketize: a shared 1-D sequence and one per row, ties, ±∞ and values
# on the elements, left and right; an integer sequence; a number as the value.
sampling["searchsorted"] = []
tied = torch.tensor([-2.0, -1.0, -1.0, 0.0, 0.0, 0.0, 1.5, float("inf")])
rows = torch.sort(torch.round(torch.randn(3, 7) * 2) / 2, dim=1).values
for name, seq, vals in (
    ("a shared sequence with ties and ∞", tied, torch.tensor([[-3.0, -1.0, 0.0, 0.25], [1.5, 2.0, float("inf"), -float("inf")]])),
    ("a sequence per row", rows, torch.round(torch.randn(3, 5) * 4) / 4),
    ("an integer sequence", torch.tensor([1, 3, 5, 7, 9], dtype=torch.int32), torch.tensor([[3, 6, 9], [0, 10, 5]], dtype=torch.int32)),
    ("a number", torch.tensor([0.5, 1.0, 2.0]), 1.0),
):
    for right in (False, True):
        out = torch.searchsorted(seq, vals, right=right)
        sampling["searchsorted"].append({"name": name, "sequence": [float(v) for v in seq.reshape(-1).tolist()], "sequence_shape": list(seq.shape), "sequence_dtype": "i32" if seq.dtype == torch.int32 else "f32",
                                         "values": vals if isinstance(vals, float) else [float(v) for v in vals.reshape(-1).tolist()], "values_shape": [] if isinstance(vals, float) else list(vals.shape),
                                         "right": right, "out": out.reshape(-1).tolist(), "out_shape": list(out.shape),
                                         "bucketize": None if seq.dim() != 1 or isinstance(vals, float) else torch.bucketize(vals, seq, right=right).reshape(-1).tolist()})
sampling_path = pathlib.Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "pytorch-sampling.json"
# JSON has no infinities: the strings "Infinity" and "-Infinity" stand for them.
sampling_path.write_text(json.dumps(sampling).replace("-Infinity", '"-Infinity"').replace(" Infinity", ' "Infinity"').replace("[Infinity", '["Infinity"') + "\n")
print(f"wrote {sampling_path} ({sampling_path.stat().st_size} bytes)")
