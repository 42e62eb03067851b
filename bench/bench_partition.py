"""prty-partition on a 1,000,000-sample Dataset: what share of parse + partition + write is partitioning itself.

The share is measured inside the tool, not by subtracting two wall times: with `--log-format json`, prty-partition
ends with a debug-level NDJSON `timing` event holding `parse_s` (stdin read + Dataset parse), `partition_s` (the
whole plan — held-out split, assignment, row order, overlap, class counts — and copying the part's rows) and
`write_s` (serialising and writing the part). Two wall-clock runs differ by more than the partitioning takes, so
a difference of wall times would measure noise. Goal: partition_s < 10% of the three together.

Reference: Flower's DirichletPartitioner loop (per class, rng.dirichlet then np.split at cumsum·n, then a shuffle
of each partition) written with numpy over the same labels — the partitioning step alone, since Flower gets its
data from a HuggingFace dataset, not a JSON stream. `ratio` compares prty's `partition_s` with it.
"""

import json
import os
import random
import statistics
import subprocess

SAMPLES = 1_000_000
QUICK_SAMPLES = 100_000
FEATURES = 10
CLASSES = 10

STRATEGIES = [
    ("non_iid α=0.5, 10 parts", ["--strategy", "non_iid", "--alpha", "0.5", "--parts", "10", "--index", "3"]),
    ("stratified, 10 parts, holdout 0.2",
     ["--strategy", "stratified", "--parts", "10", "--index", "3", "--holdout", "0.2"]),
    ("random, 10 parts, overlap 0.1", ["--strategy", "random", "--parts", "10", "--index", "3", "--overlap", "0.1"]),
]


def dataset(ctx, samples):
    """A cached classification Dataset: FEATURES features with 6 significant digits, CLASSES skewed classes."""
    path = ctx.data_dir / f"partition-{samples}x{FEATURES}.json"
    if path.exists():
        return path
    ctx.log(f"generating {path.name}")
    ctx.data_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(20240601)
    weights = [k + 1 for k in range(CLASSES)]
    labels = rng.choices(range(CLASSES), weights=weights, k=samples)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as out:
        out.write('{"features":[')
        for i in range(samples):
            if i:
                out.write(",")
            out.write("[" + ",".join(f"{rng.gauss(labels[i], 3):.6g}" for _ in range(FEATURES)) + "]")
        out.write('],"labels":[' + ",".join(map(str, labels)) + "]}")
    os.replace(tmp, path)
    return path


def timed_run(binary, arguments, data):
    """One run: the tool's own timing event (seconds) plus the wall time of the process."""
    with open(data, "rb") as stdin:
        start = _now()
        done = subprocess.run([binary, "--log-format", "json", *arguments], stdin=stdin,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=600)
        wall = _now() - start
    if done.returncode != 0:
        raise RuntimeError(f"prty-partition {' '.join(arguments)} exited {done.returncode}: "
                           f"{done.stderr.decode()[-500:]}")
    events = [json.loads(line) for line in done.stderr.decode().splitlines() if line.startswith("{")]
    timing = next(e for e in reversed(events) if e.get("event") == "timing")
    return {"wall": wall, "parse": timing["parse_s"], "partition": timing["partition_s"], "write": timing["write_s"]}


def _now():
    import time
    return time.perf_counter()


def numpy_dirichlet(labels_path):
    """Flower's DirichletPartitioner assignment (flwr_datasets/partitioner/dirichlet_partitioner.py) in numpy."""
    try:
        import numpy as np
    except ImportError:
        return None
    with open(labels_path) as f:
        labels = np.array(json.load(f)["labels"])

    def partition():
        rng = np.random.default_rng(42)
        parts = [[] for _ in range(10)]
        for k in np.unique(labels):
            rows = np.nonzero(labels == k)[0]
            p = rng.dirichlet(np.repeat(0.5, 10))
            for j, chunk in enumerate(np.split(rows, (np.cumsum(p) * len(rows)).astype(int)[:-1])):
                parts[j].extend(chunk.tolist())
        for part in parts:
            rng.shuffle(part)
        return parts

    return partition


def run(ctx):
    samples = QUICK_SAMPLES if ctx.quick else SAMPLES
    data = dataset(ctx, samples)
    binary = ctx.bin("prty-partition")
    reference = numpy_dirichlet(data)
    reference_s = ctx.time_function(reference) if reference else None
    rows = []
    for name, arguments in STRATEGIES:
        runs = [timed_run(binary, arguments, data) for _ in range(ctx.runs)]
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        share = median["partition"] / (median["parse"] + median["partition"] + median["write"])
        uses_reference = reference_s is not None and arguments[1] == "non_iid"
        rows.append({
            "benchmark": f"partition {samples:,}×{FEATURES} {name}",
            "prty_s": round(median["wall"], 3),
            "reference": "numpy, Flower's Dirichlet loop (partitioning only)" if uses_reference else None,
            "reference_s": round(reference_s, 4) if uses_reference else None,
            "ratio": round(median["partition"] / reference_s, 3) if uses_reference else None,
            "goal": "partitioning < 10% of parse+partition+write",
            "met": share < 0.10,
            "notes": (f"partitioning {share:.1%} of the pipeline: parse {median['parse']:.3f} s, partition "
                      f"{median['partition']:.4f} s, write {median['write']:.3f} s (the tool's own timing event; "
                      f"ratio = prty partition_s / reference)"),
        })
        ctx.log(rows[-1]["benchmark"] + ": " + rows[-1]["notes"])
    return rows


if __name__ == "__main__":  # standalone: python3 bench/bench_partition.py [BIN_DIR]
    import pathlib
    import sys
    import time

    class Context:
        data_dir = pathlib.Path(__file__).parent / "data"
        runs = int(os.environ.get("BENCH_RUNS", "3"))
        quick = os.environ.get("BENCH_QUICK") == "1"

        def bin(self, name):
            return str(pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else ".build/release") / name)

        def time_function(self, fn):
            times = []
            for _ in range(self.runs):
                start = time.perf_counter()
                fn()
                times.append(time.perf_counter() - start)
            return statistics.median(times)

        def log(self, message):
            print(message, file=sys.stderr)

    for row in run(Context()):
        print(json.dumps(row, ensure_ascii=False))
