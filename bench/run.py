#!/usr/bin/env python3
"""prty's benchmark harness: `make bench` runs this under .venv-bench.

Every bench/bench_<name>.py is imported in sorted order and its `run(ctx)` called; it returns rows
(dicts) that compare prty with a reference tool on the same input:

    {"benchmark": "json parse 1M×20", "prty_s": 1.2, "reference": "orjson", "reference_s": 1.5,
     "ratio": 0.8, "goal": "ratio ≤ 1.0", "met": True, "notes": "MB/s, accuracy, …"}

`ratio` is prty's time over the reference's (below 1: prty is faster). A row whose reference could not run
sets "reference_s": None and says why in "notes" (e.g. "skipped: torch not installed"); a module that raises
becomes one error row and the others still run. A row that compares amounts other than time (peak memory) gives
"unit" (e.g. "MB"), "prty_value", "reference_value" and its own "ratio"; its time columns show those amounts.
The table goes to stdout, everything else to stderr, and bench/results.json keeps the rows with the machine they
ran on.

Environment:
  PRTY_BIN_DIR  where the built tools are (the Makefile passes the release build; default .build/release)
  BENCH_ONLY    comma-separated module names without "bench_" (e.g. "json,forest"); default all
  BENCH_RUNS    timed runs per measurement, the median is reported (default 5)
  BENCH_QUICK   1: small inputs, for a smoke run of the harness itself
"""

import gc
import importlib.util
import json
import os
import platform
import statistics
import subprocess
import sys
import time
import traceback
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
COMMAND_TIMEOUT_S = 1800  # no child process runs unbounded


class Context:
    """What a benchmark module gets: where things are, how many runs, and timing helpers."""

    def __init__(self):
        self.bin_dir = Path(os.environ.get("PRTY_BIN_DIR") or ROOT / ".build" / "release")
        self.data_dir = BENCH_DIR / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.runs = max(1, int(os.environ.get("BENCH_RUNS", "5")))
        self.quick = os.environ.get("BENCH_QUICK", "") not in ("", "0")
        self.module = None
        self.last_cpu_s = None  # median CPU seconds (user + system) of the last timed measurement

    def bin(self, name):
        """The path of a built prty tool; a clear error when it has not been built."""
        path = self.bin_dir / name
        if not os.access(path, os.X_OK):
            raise FileNotFoundError(f"{path} is not built (run `make build`, or set PRTY_BIN_DIR)")
        return str(path)

    def write_dataset(self, path, features, labels):
        """Writes a plain JSON dataset ({"features", "labels"}; prty infers task and classes) atomically."""
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w") as out:
            json.dump({"features": features.tolist(), "labels": [int(v) for v in labels]}, out)
        os.replace(tmp, path)

    def log(self, message):
        prefix = f"[{self.module}] " if self.module else ""
        print(f"bench: {prefix}{message}", file=sys.stderr, flush=True)

    def time_command(self, argv, stdin=None, stdout=None, env=None, runs=None, warmup=True):
        """Median wall seconds of a whole process (start-up included), after one untimed warm-up run that
        also fills the page cache. `stdin`/`stdout` are file paths (None: empty stdin, output discarded);
        `env` adds to the environment. A non-zero exit raises with the end of stderr."""
        full_env = dict(os.environ, **(env or {}))
        samples, cpu = [], []
        for attempt in range((1 if warmup else 0) + (runs or self.runs)):
            with open(stdin or os.devnull, "rb") as source, open(stdout or os.devnull, "wb") as sink:
                before = os.times()
                start = time.perf_counter()
                done = subprocess.run([str(a) for a in argv], stdin=source, stdout=sink, stderr=subprocess.PIPE,
                                      env=full_env, timeout=COMMAND_TIMEOUT_S)
                elapsed = time.perf_counter() - start
                after = os.times()
            if done.returncode != 0:
                tail = done.stderr.decode(errors="replace").strip().splitlines()[-3:]
                raise RuntimeError(f"{Path(str(argv[0])).name} exited {done.returncode}: {' | '.join(tail)}")
            if attempt >= (1 if warmup else 0):
                samples.append(elapsed)
                cpu.append(after.children_user + after.children_system - before.children_user
                           - before.children_system)
        self.last_cpu_s = statistics.median(cpu)
        return statistics.median(samples)

    def time_function(self, fn, runs=None, warmup=False):
        """Median seconds of `fn()` in this process, with the cyclic GC off while it runs (as `timeit` does),
        so a reference building millions of objects is not charged for collections it would not need."""
        samples, cpu = [], []
        for attempt in range((1 if warmup else 0) + (runs or self.runs)):
            gc.collect()
            was_enabled = gc.isenabled()
            gc.disable()
            try:
                cpu_start = time.process_time()
                start = time.perf_counter()
                result = fn()
                elapsed = time.perf_counter() - start
                cpu_elapsed = time.process_time() - cpu_start
            finally:
                if was_enabled:
                    gc.enable()
            del result
            if attempt >= (1 if warmup else 0):
                samples.append(elapsed)
                cpu.append(cpu_elapsed)
        self.last_cpu_s = statistics.median(cpu)
        return statistics.median(samples)


def discover(only):
    modules = sorted(BENCH_DIR.glob("bench_*.py"))
    if only:
        wanted = {name.strip() for name in only.split(",") if name.strip()}
        modules = [m for m in modules if any(m.stem == f"bench_{w}" or m.stem.endswith(w) for w in wanted)]
    return modules


def load(path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def normalise(row, module_name):
    """Fills what a row may leave out, and recomputes ratio and met from the times when both exist."""
    row = dict(row)
    row.setdefault("benchmark", module_name)
    row.setdefault("module", module_name)
    row.setdefault("notes", "")
    prty_s, reference_s = row.get("prty_s"), row.get("reference_s")
    if row.get("ratio") is None and prty_s is not None and reference_s:
        row["ratio"] = prty_s / reference_s
    if "met" not in row or row["met"] is None:
        row["met"] = goal_met(row)
    return row


def goal_met(row):
    """Reads goals of the form 'ratio ≤ X' / 'ratio < X' / 'ratio >= X'; None when it cannot tell."""
    goal, ratio = row.get("goal") or "", row.get("ratio")
    if ratio is None:
        return None
    for symbol, test in (("≤", lambda r, x: r <= x), ("<=", lambda r, x: r <= x), ("<", lambda r, x: r < x),
                         ("≥", lambda r, x: r >= x), (">=", lambda r, x: r >= x), (">", lambda r, x: r > x)):
        if goal.startswith("ratio") and symbol in goal:
            try:
                return test(ratio, float(goal.split(symbol, 1)[1].split()[0]))
            except (ValueError, IndexError):
                return None
    return None


def run_module(path, ctx):
    name = path.stem
    ctx.module = name
    started = time.perf_counter()
    try:
        rows = load(path).run(ctx) or []
        rows = [normalise(row, name) for row in rows]
    except Exception as error:  # one broken benchmark must not hide the others
        ctx.log("failed:\n" + traceback.format_exc())
        rows = [{"benchmark": name, "module": name, "error": f"{type(error).__name__}: {error}", "met": False,
                 "notes": "the benchmark raised; see stderr"}]
    ctx.log(f"done in {time.perf_counter() - started:.1f} s")
    ctx.module = None
    return rows


def seconds(value):
    if value is None:
        return "—"
    return f"{value:.3f}" if value >= 0.01 else f"{value * 1000:.2f}ms"


def amount(value, unit):
    return "—" if value is None else f"{value:.0f} {unit}"


def table(rows):
    header = ["benchmark", "prty s", "reference", "ref s", "ratio", "goal", "met", "notes"]
    lines = []
    for row in rows:
        if "error" in row:
            lines.append([row["benchmark"], "—", "—", "—", "—", row.get("goal") or "", "ERROR", row["error"]])
            continue
        ratio = row.get("ratio")
        met = row.get("met")
        if row.get("unit"):
            prty_cell, reference_cell = amount(row.get("prty_value"), row["unit"]), amount(
                row.get("reference_value"), row["unit"])
        else:
            prty_cell = seconds(row.get("prty_s"))
            reference_cell = "skipped" if row.get("reference_s") is None else seconds(row.get("reference_s"))
        lines.append([
            row["benchmark"], prty_cell, row.get("reference") or "—", reference_cell,
            "—" if ratio is None else f"{ratio:.2f}", row.get("goal") or "",
            "—" if met is None else ("goal met" if met else "MISSED"), row.get("notes") or "",
        ])
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines)]
    widths[-1] = 0  # notes run to the end of the line
    out = ["  ".join(str(cell).ljust(width) for cell, width in zip(header, widths)).rstrip()]
    out.append("  ".join("-" * max(width, 5) for width in widths).rstrip())
    out += ["  ".join(str(cell).ljust(width) for cell, width in zip(line, widths)).rstrip() for line in lines]
    return "\n".join(out)


def prty_version(ctx):
    for tool in ("prty-partition", "prty-train", "prty-fetch"):
        try:
            done = subprocess.run([ctx.bin(tool), "--version"], capture_output=True, timeout=30)
            text = (done.stdout or done.stderr).decode(errors="replace").strip()
            if done.returncode == 0 and text:
                return text.splitlines()[0]
        except (OSError, subprocess.SubprocessError):
            continue
    return None


def machine(ctx):
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as info:
            names = [line.split(":", 1)[1].strip() for line in info if line.startswith("model name")]
            cpu = names[0] if names else cpu
    except OSError:
        pass
    return {
        "cpu": cpu, "cpu_count": os.cpu_count(), "platform": platform.platform(),
        "python": platform.python_version(), "prty_version": prty_version(ctx),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }


def main():
    ctx = Context()
    modules = discover(os.environ.get("BENCH_ONLY", ""))
    if not modules:
        print(f"bench: no bench_*.py matches BENCH_ONLY={os.environ.get('BENCH_ONLY')!r}", file=sys.stderr)
        return 2
    info = machine(ctx)
    ctx.log(f"{len(modules)} module(s), median of {ctx.runs} run(s){', quick inputs' if ctx.quick else ''}; "
            f"{info['cpu_count']} CPUs, Python {info['python']}, {info['prty_version'] or 'prty version unknown'}")
    rows = []
    for path in modules:
        rows += run_module(path, ctx)
    print(table(rows))
    results = {"machine": info, "runs": ctx.runs, "quick": ctx.quick,
               "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "rows": rows}
    (BENCH_DIR / "results.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    ctx.log(f"wrote {BENCH_DIR / 'results.json'}")
    return 1 if any("error" in row for row in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
