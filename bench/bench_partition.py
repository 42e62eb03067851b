"""prty-partition on a 1,000,000-sample Dataset: what share of parse + partition + write is partitioning itself.

Rows: one per strategy with that share (goal: under 10%), and one comparing the Dirichlet partitioning itself with
a numpy reference.

The share is measured inside the tool, not by subtracting two wall times: with `--log-format json`,
prty-partition ends with a debug-level NDJSON `timing` event holding `parse_s` (stdin read + Dataset parse),
`partition_s` (the whole plan — held-out split, assignment, row order, overlap, class counts — and copying the
part's rows) and `write_s` (serialising and writing the part). Two wall-clock runs differ by more than the
partitioning takes, so a difference of wall times would measure noise.

Reference: Flower's DirichletPartitioner loop (per class, rng.dirichlet then np.split at cumsum·n, then a shuffle
of each partition) in numpy over the same labels — the partitioning step alone, since Flower gets its data from a
HuggingFace dataset, not a JSON stream. That row's `ratio` is prty's `partition_s` over numpy's time.
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


def numpy_dirichlet(data_path):
    """Flower's DirichletPartitioner assignment (flwr_datasets/partitioner/dirichlet_partitioner.py) in numpy:
    per class, rng.dirichlet, np.split at (cumsum·n).astype(int), then a shuffle of every partition."""
    try:
        import numpy as np
    except ImportError:
        return None
    text = data_path.read_bytes()
    start = text.rindex(b'"labels":[') + len(b'"labels":')
    labels = np.array(json.loads(text[start:text.index(b"]", start) + 1]))

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
    rows = []
    dirichlet_s = None
    for name, arguments in STRATEGIES:
        runs = [timed_run(binary, arguments, data) for _ in range(ctx.runs)]
        median = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        share = median["partition"] / (median["parse"] + median["partition"] + median["write"])
        if arguments[1] == "non_iid":
            dirichlet_s = median["partition"]
        rows.append({
            "benchmark": f"partition {samples:,}×{FEATURES} {name}: share of the pipeline",
            "prty_s": round(median["wall"], 3),
            "reference": None,
            "reference_s": None,
            "ratio": None,
            "goal": "partitioning < 10% of parse+partition+write",
            "met": share < 0.10,
            "notes": (f"partitioning {share:.1%}: parse {median['parse']:.3f} s, partition {median['partition']:.4f} s, "
                      f"write {median['write']:.3f} s (medians of the tool's own timing event; prty_s is the "
                      f"process's wall time)"),
        })
        ctx.log(rows[-1]["benchmark"] + ": " + rows[-1]["notes"])
    reference = numpy_dirichlet(data)
    if dirichlet_s is not None:
        reference_s = ctx.time_function(reference) if reference else None
        rows.append({
            "benchmark": f"Dirichlet partitioning of {samples:,} labels (α=0.5, 10 parts), assignment only",
            "prty_s": round(dirichlet_s, 4),
            "reference": "numpy: Flower's DirichletPartitioner loop",
            "reference_s": round(reference_s, 4) if reference_s else None,
            "ratio": round(dirichlet_s / reference_s, 3) if reference_s else None,
            "goal": "ratio ≤ 1.0",
            "met": dirichlet_s <= reference_s if reference_s else None,
            "notes": ("prty: the tool's partition_s (whole plan, ordering and copying part 3's rows); numpy: the "
                      "assignment of every row to a partition and the shuffles" if reference_s
                      else "skipped: numpy not installed"),
        })
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
