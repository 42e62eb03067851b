"""prty-train's linear regression against scikit-learn's SGDRegressor (issue 4).

Data: make_regression(100,000 × 20, n_informative=15, noise=10, random_state=42), split once (80% train, 20% test,
random_state=0) and used by both sides.

prty: `prty-train --task T < train.json > update.json` with linear_regression, 5 epochs, batch 32, SGD learning rate
0.01, validation_fraction 0 (features and target are standardised inside and folded back into the weights). Two
figures: the training time (the update's training_time_ms: standardising, the epochs, the final metrics pass),
judged against the goal, and the whole command's wall time (start-up, Dataset JSON in, update out), for scale.
R² on the test split from `prty-train evaluate`.

Reference: SGDRegressor(random_state=0) with its defaults (squared error, L2 1e-4, invscaling from eta0 0.01,
max_iter 1000, tol 1e-3 with early stopping of the epochs), fitted in-process on arrays in memory; R² from .score.

Goal: ratio ≤ 1.0 with test R² within 0.01.
"""

import json
import os
import statistics
import subprocess
import time

N_SAMPLES = 100_000
QUICK_SAMPLES = 10_000
GOAL_RATIO = 1.0


def _data(ctx):
    from sklearn.datasets import make_regression
    from sklearn.model_selection import train_test_split

    samples = QUICK_SAMPLES if ctx.quick else N_SAMPLES
    x, y = make_regression(n_samples=samples, n_features=20, n_informative=15, noise=10, random_state=42)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.2, random_state=0)
    paths = []
    for part, features, labels in (("train", x_train, y_train), ("test", x_test, y_test)):
        path = ctx.data_dir / f"linear-{samples}x20-{part}.json"
        if not path.exists():
            ctx.log(f"writing {path.name}")
            tmp = path.with_suffix(".tmp")
            with open(tmp, "w") as out:
                json.dump({"features": features.tolist(), "labels": labels.tolist(), "task": "regression"}, out)
            os.replace(tmp, path)
        paths.append(path)
    return samples, x_train, x_test, y_train, y_test, paths[0], paths[1]


def run(ctx):
    from sklearn.linear_model import SGDRegressor

    samples, x_train, x_test, y_train, y_test, train_path, test_path = _data(ctx)
    task = ctx.data_dir / "linear-task.json"
    task.write_text(json.dumps({
        "model_type": "linear_regression", "seed": 7,
        "train_config": {"epochs": 5, "batch_size": 32, "learning_rate": 0.01, "validation_fraction": 0},
    }))
    update = ctx.data_dir / "linear-update.json"
    walls, trainings = [], []
    for attempt in range(ctx.runs + 1):  # one warm-up run
        with open(train_path, "rb") as stdin, open(update, "wb") as stdout:
            start = time.perf_counter()
            done = subprocess.run([ctx.bin("prty-train"), "--task", str(task)], stdin=stdin, stdout=stdout,
                                  stderr=subprocess.PIPE, timeout=600)
            wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(f"prty-train exited {done.returncode}: {done.stderr.decode(errors='replace')}")
        if attempt > 0:
            walls.append(wall)
            with open(update) as f:
                trainings.append(json.load(f)["training_time_ms"] / 1000)
    wall, training = statistics.median(walls), statistics.median(trainings)
    with open(test_path, "rb") as stdin:
        done = subprocess.run([ctx.bin("prty-train"), "evaluate", "--model", str(update)], stdin=stdin,
                              capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"prty-train evaluate exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    prty_r2 = json.loads(done.stdout)["r2"]

    fitted = {}

    def fit():
        model = SGDRegressor(random_state=0)
        model.fit(x_train, y_train)
        fitted["model"] = model
        return model

    reference_s = ctx.time_function(fit)
    reference_r2 = fitted["model"].score(x_test, y_test)
    iterations = fitted["model"].n_iter_
    difference = prty_r2 - reference_r2
    ratio = training / reference_s
    name = f"linear regression fit: {samples:,} × 20"
    rows = [{
        "benchmark": name, "prty_s": training, "reference": "scikit-learn SGDRegressor", "reference_s": reference_s,
        "ratio": ratio, "goal": f"ratio ≤ {GOAL_RATIO}, R² within 0.01",
        "met": ratio <= GOAL_RATIO and abs(difference) <= 0.01,
        "notes": f"test R² prty {prty_r2:.5f} vs sklearn {reference_r2:.5f} ({difference:+.5f}); prty = "
                 f"training_time_ms (5 epochs, batch 32), sklearn = fit on arrays in memory ({iterations} epochs, "
                 f"per-sample); median of {ctx.runs}",
    }, {
        "benchmark": f"linear regression whole process: {samples:,} × 20", "prty_s": wall,
        "reference": "scikit-learn SGDRegressor", "reference_s": reference_s, "ratio": wall / reference_s,
        "goal": "", "met": None,
        "notes": "prty's whole command (start-up, Dataset JSON in, update out) against sklearn's fit alone, for scale",
    }]
    for row in rows:
        ctx.log(f"{row['benchmark']}: {row['prty_s']:.3f} s vs {row['reference_s']:.3f} s; {row['notes']}")
    return rows


if __name__ == "__main__":  # a quick manual run: python bench/bench_linear.py (uses PRTY_BIN_DIR)
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run as harness

    for row in run(harness.Context()):
        print(row)
