"""prty-train's random forest against scikit-learn's RandomForestClassifier (issue 4).

Two datasets, each split once (75% train, 25% test, random_state 0) and used by both sides:
- a 100,000 × 20 synthetic 3-class set: make_classification(n_informative=10, n_redundant=5, random_state=42);
- scikit-learn's bundled digits set (1,797 × 64, 10 classes).

prty: the whole process `prty-train --task T --validation-fraction 0 < train.json > update.json` with model_type
random_forest and model_config {num_trees: 100, max_depth: 0 (unlimited, up to the operator's depth cap of 64),
oob_score: false} — start-up, parsing the Dataset JSON, growing the trees, the training metrics and writing the
model update (weights.trees plus the structured metadata.forest) all count. Test accuracy comes from
`prty-train evaluate --model update.json < test.json`.

Reference: RandomForestClassifier(n_estimators=100, n_jobs=2, max_depth=None) fitted in-process on numpy arrays
already in memory (so the comparison favours it), accuracy from .score on the test split. `oob_score` is off on
both sides because scikit-learn's default does not compute it.

Goal: ratio ≤ 0.5 (prty at most half scikit-learn's fit time) with test accuracy within 1 point.
"""

import json
import os
import subprocess
import time

N_SAMPLES = 100_000
QUICK_SAMPLES = 10_000
TREES = 100
GOAL_RATIO = 0.5


def _datasets(ctx):
    """(name, X_train, X_test, y_train, y_test, train path, test path) for both sets, cached in bench/data."""
    from sklearn.datasets import load_digits, make_classification
    from sklearn.model_selection import train_test_split

    samples = QUICK_SAMPLES if ctx.quick else N_SAMPLES
    x, y = make_classification(n_samples=samples, n_features=20, n_informative=10, n_redundant=5, n_classes=3,
                               random_state=42)
    digits = load_digits()
    out = []
    for name, label, features, labels in [
        (f"synthetic-{samples}x20", f"{samples:,} × 20 synthetic, 3 classes", x, y),
        ("digits", "digits 1,797 × 64, 10 classes", digits.data, digits.target),
    ]:
        x_train, x_test, y_train, y_test = train_test_split(features, labels, test_size=0.25, random_state=0)
        train_path = ctx.data_dir / f"forest-{name}-train.json"
        test_path = ctx.data_dir / f"forest-{name}-test.json"
        if not train_path.exists() or not test_path.exists():
            ctx.log(f"writing {train_path.name} and {test_path.name}")
            ctx.write_dataset(train_path, x_train, y_train)
            ctx.write_dataset(test_path, x_test, y_test)
        out.append((label, x_train, x_test, y_train, y_test, train_path, test_path))
    return out


def _prty_accuracy(ctx, update, test_path):
    with open(test_path, "rb") as stdin:
        done = subprocess.run([ctx.bin("prty-train"), "evaluate", "--model", str(update)], stdin=stdin,
                              capture_output=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"prty-train evaluate exited {done.returncode}: {done.stderr.decode(errors='replace')}")
    return json.loads(done.stdout)["accuracy"]


def run(ctx):
    from sklearn.ensemble import RandomForestClassifier

    task = ctx.data_dir / "forest-task.json"
    task.write_text(json.dumps({
        "model_type": "random_forest", "seed": 7,
        "model_config": {"num_trees": TREES, "max_depth": 0, "oob_score": False},
    }))
    rows = []
    for label, x_train, x_test, y_train, y_test, train_path, test_path in _datasets(ctx):
        large = len(y_train) > 10_000
        runs = min(ctx.runs, 3) if large else ctx.runs  # the reference takes tens of seconds on the large set
        update = ctx.data_dir / "forest-update.json"
        prty_s = ctx.time_command([ctx.bin("prty-train"), "--task", str(task), "--validation-fraction", "0"],
                                  stdin=train_path, stdout=update, runs=runs)
        prty_accuracy = _prty_accuracy(ctx, update, test_path)

        fitted = {}

        def fit():
            model = RandomForestClassifier(n_estimators=TREES, n_jobs=2, max_depth=None, random_state=0)
            model.fit(x_train, y_train)
            fitted["model"] = model
            return model

        reference_s = ctx.time_function(fit, runs=runs)
        reference_accuracy = fitted["model"].score(x_test, y_test)
        del fitted["model"]
        difference = prty_accuracy - reference_accuracy
        ratio = prty_s / reference_s
        rows.append({
            "benchmark": f"random forest fit, {TREES} trees, unlimited depth: {label}",
            "prty_s": prty_s, "reference": "scikit-learn RandomForestClassifier(n_jobs=2)",
            "reference_s": reference_s, "ratio": ratio, "goal": f"ratio ≤ {GOAL_RATIO}, accuracy within 1 point",
            "met": ratio <= GOAL_RATIO and abs(difference) <= 0.01,
            "notes": f"test accuracy prty {prty_accuracy:.4f} vs sklearn {reference_accuracy:.4f} "
                     f"({difference * 100:+.2f} points); prty = whole process (JSON in, update out), sklearn = "
                     f"fit on arrays in memory; median of {runs}",
        })
        ctx.log(rows[-1]["benchmark"] + f": {prty_s:.3f} s vs {reference_s:.3f} s, " + rows[-1]["notes"])
    return rows


if __name__ == "__main__":  # a quick manual run: python bench/bench_forest.py (uses PRTY_BIN_DIR)
    import sys

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import run as harness

    context = harness.Context()
    started = time.perf_counter()
    for row in run(context):
        print(row)
    print(f"{time.perf_counter() - started:.1f} s", file=sys.stderr)
