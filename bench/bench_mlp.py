"""prty-train's neural network against PyTorch on CPU (issue 4).

Data: make_classification(100,000 × 20, n_informative=10, n_redundant=5, 3 classes, random_state=42), split once
(80% train, 20% test, random_state=0) and used by both sides. Model on both sides: 20-128-3, ReLU, softmax
cross-entropy, Adam (lr 0.001, β 0.9/0.999, ε 1e-8), batch 32, 10 epochs, a fresh shuffle every epoch.

prty: `prty-train --task T --validation-fraction 0 < train.json > update.json`. Two figures per epoch:
- training: the update's training_time_ms / 10 (training plus the final metrics pass; the like-for-like number
  with PyTorch's loop on tensors already in memory) — the row the goal is judged on;
- whole process: wall time of the command / 10 (start-up, parsing the Dataset JSON, writing the update), reported
  in a second row without a goal.
Test accuracy from `prty-train evaluate --model update.json < test.json`.

Reference: torch 2.13 CPU (the CPU wheel pinned in bench/requirements-torch.txt; bench/README.md says where it comes
from), float32 as PyTorch defaults to, at the faster of its default thread count and one thread (for a model this
small one thread usually wins), the idiomatic loop: randperm each epoch, index a batch, zero_grad / forward /
backward / step. Timed in-process on tensors already built. Without torch the module raises: the row is an ERROR
and `make bench` exits 1, never a silent skip.

Goal: per-epoch ratio ≤ 1.0 with test accuracy within 1 point.
"""

import json
import os
import statistics
import subprocess
import time

N_SAMPLES = 100_000
QUICK_SAMPLES = 10_000
HIDDEN = 128
EPOCHS = 10
BATCH = 32
LEARNING_RATE = 0.001
GOAL_RATIO = 1.0


def _data(ctx):
    from sklearn.datasets import make_classification
    from sklearn.model_selection import train_test_split

    samples = QUICK_SAMPLES if ctx.quick else N_SAMPLES
    x, y = make_classification(n_samples=samples, n_features=20, n_informative=10, n_redundant=5, n_classes=3,
                               random_state=42)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    train_path = ctx.data_dir / f"mlp-{samples}x20-train.json"
    test_path = ctx.data_dir / f"mlp-{samples}x20-test.json"
    if not train_path.exists() or not test_path.exists():
        ctx.log(f"writing {train_path.name} and {test_path.name}")
        ctx.write_dataset(train_path, x_train, y_train)
        ctx.write_dataset(test_path, x_test, y_test)
    return samples, x_train, x_test, y_train, y_test, train_path, test_path


def _prty(ctx, task, train_path, update, runs):
    """Median wall seconds and median training seconds of `runs` fits, after one warm-up run."""
    walls, trainings = [], []
    for attempt in range(runs + 1):
        with open(train_path, "rb") as stdin, open(update, "wb") as stdout:
            start = time.perf_counter()
            done = subprocess.run([ctx.bin("prty-train"), "--task", str(task)], stdin=stdin, stdout=stdout,
                                  stderr=subprocess.PIPE, timeout=1800)
            wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"prty-train exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        if attempt > 0:
            walls.append(wall)
            with open(update) as f:
                trainings.append(json.load(f)["training_time_ms"] / 1000)
    return statistics.median(walls), statistics.median(trainings)


def _evaluate(ctx, update, test_path):
    with open(test_path, "rb") as stdin:
        done = subprocess.run([ctx.bin("prty-train"), "evaluate", "--model", str(update)], stdin=stdin,
                              capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"prty-train evaluate exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return json.loads(done.stdout)["accuracy"]


def _torch(ctx, x_train, y_train, x_test, y_test, runs):
    """(seconds for EPOCHS epochs, test accuracy, threads, note) for torch at its faster thread count (its default
    or 1: for a model this small one thread often wins). Without torch it raises: the row is an ERROR, not a skip."""
    try:
        import torch
    except ImportError as error:
        raise RuntimeError(f"PyTorch is not installed ({error}): `make bench` installs the CPU wheel from "
                           "bench/requirements-torch.txt; bench/README.md (PyTorch) says where it comes from") from None
    x = torch.tensor(x_train, dtype=torch.float32)
    y = torch.tensor(y_train, dtype=torch.long)
    fitted = {}

    def fit():
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(20, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 3))
        optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
        loss_fn = torch.nn.CrossEntropyLoss()
        for _ in range(EPOCHS):
            order = torch.randperm(len(x))
            for start in range(0, len(x), BATCH):
                batch = order[start:start + BATCH]
                optimizer.zero_grad()
                loss = loss_fn(model(x[batch]), y[batch])
                loss.backward()
                optimizer.step()
        fitted["model"] = model
        return model

    default_threads = torch.get_num_threads()
    results = []
    for threads in sorted({default_threads, 1}, reverse=True):
        torch.set_num_threads(threads)
        seconds = ctx.time_function(fit, runs=runs)
        with torch.no_grad():
            predicted = fitted["model"](torch.tensor(x_test, dtype=torch.float32)).argmax(dim=1).numpy()
        results.append((seconds, float((predicted == y_test).mean()), threads))
        ctx.log(f"torch with {threads} thread(s): {seconds / EPOCHS:.3f} s per epoch")
    torch.set_num_threads(default_threads)
    note = ", ".join(f"{t} thread(s) {s / EPOCHS:.3f} s/epoch" for s, _, t in results)
    best = min(results)
    return best + (note,)


def run(ctx):
    samples, x_train, x_test, y_train, y_test, train_path, test_path = _data(ctx)
    runs = min(ctx.runs, 3) if not ctx.quick else ctx.runs
    task = ctx.data_dir / "mlp-task.json"
    task.write_text(json.dumps({
        "model_type": "neural_network", "seed": 7, "model_config": {"hidden_sizes": [HIDDEN]},
        "train_config": {"epochs": EPOCHS, "batch_size": BATCH, "learning_rate": LEARNING_RATE, "optimizer": "adam",
                         "validation_fraction": 0},
    }))
    update = ctx.data_dir / "mlp-update.json"
    wall, training = _prty(ctx, task, train_path, update, runs)
    prty_accuracy = _evaluate(ctx, update, test_path)
    name = f"MLP 20-{HIDDEN}-3, Adam, batch {BATCH}, per epoch: {samples:,} × 20, 3 classes"
    torch_s, torch_accuracy, threads, torch_note = _torch(ctx, x_train, y_train, x_test, y_test, runs)
    difference = prty_accuracy - torch_accuracy
    per_epoch_ref = torch_s / EPOCHS
    ratio = training / EPOCHS / per_epoch_ref
    accuracy_note = (f"test accuracy prty {prty_accuracy:.4f} vs torch {torch_accuracy:.4f} "
                     f"({difference * 100:+.2f} points)")
    rows = [{
        "benchmark": name, "prty_s": training / EPOCHS, "reference": f"PyTorch CPU ({threads} threads)",
        "reference_s": per_epoch_ref, "ratio": ratio, "goal": f"ratio ≤ {GOAL_RATIO}, accuracy within 1 point",
        "met": ratio <= GOAL_RATIO and abs(difference) <= 0.01,
        "notes": f"{accuracy_note}; prty = training_time_ms / {EPOCHS} (float64), torch = its loop on tensors in "
                 f"memory (float32), the faster of {torch_note}; median of {runs}",
    }, {
        "benchmark": name.replace("per epoch", "whole process / epochs"), "prty_s": wall / EPOCHS,
        "reference": f"PyTorch CPU ({threads} threads)", "reference_s": per_epoch_ref, "ratio": wall / torch_s,
        "goal": "", "met": None,
        "notes": "prty's whole command (start-up, Dataset JSON in, update out) over 10 epochs, for scale",
    }]
    for row in rows:
        ctx.log(f"{row['benchmark']}: {row['prty_s']:.3f} s vs {row['reference_s']:.3f} s; {row['notes']}")
    return rows


if __name__ == "__main__":  # a quick manual run: python bench/bench_mlp.py (uses PRTY_BIN_DIR)
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run as harness

    for row in run(harness.Context()):
        print(row)
