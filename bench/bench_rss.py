"""Peak resident memory of prty-fetch, prty-partition and prty-train on the 1M × 20 Dataset (issue 15 §4).

Input: bench_json.py's 1,000,000 × 20 classification Dataset (same seed, same cached file in bench/data, about
390 MB of JSON). Its numbers take rows × 21 × 8 bytes as doubles (20 features and the label): 168 MB, the
yardstick. Each command runs once as a fresh child under GNU time; its peak RSS is `%M`, the kernel's ru_maxrss
for that child, which counts every page it touched: the shared Swift/Foundation pages every tool maps, the input as
it is read, and the parsed numbers.
- `prty-fetch parse big.json > /dev/null` (a local Dataset → Dataset document);
- `prty-partition --strategy sequential --parts 1 --index 0 < big.json > /dev/null` (parse, copy, write);
- `prty-train --task T < big.json > /dev/null` (fit: a 20-8-3 network, one epoch, batch 256).
Goal: peak RSS ≤ 1.5 × the numbers' size, i.e. ratio ≤ 1.5. The notes give the tool's start-up RSS
(`--version`) for scale and the 1-minute load average.
"""

import json
import os
import subprocess
import tempfile
import time
from pathlib import Path

import bench_json

TIMEOUT_S = 1800
GNU_TIME = "/usr/bin/time"


def peak_rss(argv, stdin=None):
    """(peak RSS in bytes, wall seconds) of one fresh child, from GNU time's %M; raises with the end of stderr on a
    non-zero exit. Not os.wait4 from here: Linux keeps a process's high-water mark across execve, so a child forked
    from this (large) Python process would report Python's resident size at the fork when the tool's is smaller.
    GNU time forks the tool from a process of a megabyte or two."""
    if not os.access(GNU_TIME, os.X_OK):
        raise FileNotFoundError(f"{GNU_TIME} (Debian package `time`, in the Makefile's APT_PACKAGES) is missing")
    with open(stdin or os.devnull, "rb") as source, open(os.devnull, "wb") as sink, \
            tempfile.NamedTemporaryFile(suffix=".rss") as report, tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        done = subprocess.run([GNU_TIME, "-f", "%M", "-o", report.name] + [str(a) for a in argv], stdin=source,
                              stdout=sink, stderr=errors, timeout=TIMEOUT_S)
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{Path(str(argv[0])).name} exited {done.returncode}: {' | '.join(tail)}")
        kilobytes = int(Path(report.name).read_text().split()[-1])
    return kilobytes * 1024, elapsed


def run(ctx):
    rows = bench_json.QUICK_ROWS if ctx.quick else bench_json.ROWS
    path = bench_json.dataset_path(ctx, rows)
    numbers = rows * (bench_json.WIDTH + 1) * 8
    label = f"{rows // 1000}k" if rows < 1_000_000 else f"{rows // 1_000_000}M"
    task = ctx.data_dir / "rss-task.json"
    task.write_text(json.dumps({
        "model_type": "neural_network", "seed": 7, "model_config": {"hidden_sizes": [8]},
        "train_config": {"epochs": 1, "batch_size": 256, "learning_rate": 0.01, "optimizer": "adam",
                         "validation_fraction": 0},
    }))
    commands = [
        ("prty-fetch", "parse (Dataset → Dataset)", [ctx.bin("prty-fetch"), "parse", path], None),
        ("prty-partition", "sequential, 1 part", [ctx.bin("prty-partition"), "--strategy", "sequential", "--parts",
                                                  "1", "--index", "0"], path),
        ("prty-train", "fit 20-8-3 network, 1 epoch", [ctx.bin("prty-train"), "--task", task], path),
    ]
    out = []
    for tool, what, argv, stdin in commands:
        startup, _ = peak_rss([ctx.bin(tool), "--version"])
        peak, seconds = peak_rss(argv, stdin)
        load = os.getloadavg()[0]
        ratio = peak / numbers
        ctx.log(f"{tool} {what}: peak RSS {peak / 1e6:.0f} MB ({ratio:.2f}× the numbers), {seconds:.2f} s")
        out.append({
            "benchmark": f"peak RSS {tool} {what}, {label}×{bench_json.WIDTH}", "unit": "MB",
            "prty_value": peak / 1e6, "reference": f"numbers in memory ({label}×21×8 B)",
            "reference_value": numbers / 1e6, "ratio": ratio, "goal": "ratio ≤ 1.5", "prty_rss_bytes": peak,
            "numbers_bytes": numbers, "prty_s": seconds,
            "notes": f"peak {peak / 1e6:.0f} MB vs {numbers / 1e6:.0f} MB of doubles; start-up RSS "
                     f"({tool} --version) {startup / 1e6:.0f} MB; input {path.stat().st_size / 1e6:.0f} MB of JSON; "
                     f"{seconds:.2f} s wall, load {load:.2f}",
        })
    task.unlink(missing_ok=True)
    return out
