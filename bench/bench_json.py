"""Dataset JSON throughput: prty's streaming reader and writer against Python's `json` and PyPI `orjson`.

Input: a 1,000,000 × 20 classification Dataset (3 classes, Gaussian features at full double precision, as
numpy or scikit-learn would print them), generated once with a fixed seed by Python's `json` and cached in
bench/data. Goal (issue 2): parse and write at least as fast as orjson, i.e. ratio ≤ 1.0.

How each side is timed:
- prty is timed as whole processes (start-up and reading stdin from the page cache included):
  `prty-partition --stats < big.json` parses and prints a few lines of stats (parse);
  `prty-partition --strategy sequential --parts 1 --index 0 < big.json > /dev/null` parses, copies the rows
  and writes them back (full); write = full − parse. Writing to /dev/null times the serialising and the
  write(2) calls but not the file system's copy into the page cache, which orjson.dumps never pays. One more
  run writes a real file (its size gives MB/s) with `--log-format json`, whose `timing` event is shown in the
  notes as a cross-check. Each row also gives the CPU-time ratio, which a loaded machine distorts less.
- Python is timed in-process on bytes already in memory (interpreter start-up and file reading excluded, the
  cyclic GC off as `timeit` does): `orjson.loads` / `json.loads` for parse, `orjson.dumps(…, OPT_SORT_KEYS)` /
  `json.dumps(…, sort_keys=True, separators=(",", ":"))` of the parsed document for write.
  Both favour the references, so a ratio ≤ 1 is an honest win.
"""

import json
import os
import random
import subprocess

ROWS = 1_000_000
QUICK_ROWS = 20_000
WIDTH = 20
CLASSES = 3
SEED = 20240601


def dataset_path(ctx, rows):
    """The cached input: a prty.dataset/1 document with sorted keys, written by Python's json."""
    path = ctx.data_dir / f"json-{rows}x{WIDTH}.json"
    if path.exists():
        return path
    ctx.log(f"generating {path.name} (once)")
    rng = random.Random(SEED)
    labels = [rng.randrange(CLASSES) for _ in range(rows)]
    centres = [[(k - 1) * ((j % 5) + 1) / 5 for j in range(WIDTH)] for k in range(CLASSES)]
    features = [[rng.gauss(centres[label][j], 1.0) for j in range(WIDTH)] for label in labels]
    document = {"classes": list(range(CLASSES)), "features": features, "format": "prty.dataset/1",
                "labels": labels, "task": "classification"}
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as out:
        json.dump(document, out, sort_keys=True, separators=(",", ":"))
        out.write("\n")
    os.replace(tmp, path)
    return path


def tool_timing(ctx, partition, path, out_path):
    """prty-partition's own timing event for one full run (parse_s, partition_s, write_s); its output goes to
    `out_path`, to be measured and checked."""
    with open(path, "rb") as stdin, open(out_path, "wb") as stdout:
        done = subprocess.run([partition, "--log-format", "json", "--strategy", "sequential", "--parts", "1",
                               "--index", "0"], stdin=stdin, stdout=stdout, stderr=subprocess.PIPE,
                              timeout=1800)
    if done.returncode != 0:
        return None
    for line in reversed(done.stderr.decode(errors="replace").splitlines()):
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "timing":
            return event
    return None


def mb_per_s(size, seconds):
    return f"{size / seconds / 1e6:.0f} MB/s" if seconds and seconds > 0 else "— MB/s"


def run(ctx):
    rows_count = QUICK_ROWS if ctx.quick else ROWS
    label = f"{rows_count // 1000}k" if rows_count < 1_000_000 else f"{rows_count // 1_000_000}M"
    path = dataset_path(ctx, rows_count)
    data = path.read_bytes()
    size = len(data)
    ctx.log(f"input {path.name}: {size / 1e6:.0f} MB")

    partition = ctx.bin("prty-partition")
    out_path = ctx.data_dir / f"json-{rows_count}x{WIDTH}.out.json"
    prty_parse = ctx.time_command([partition, "--stats"], stdin=path)
    parse_cpu = ctx.last_cpu_s
    # Output to /dev/null: the serialising and the write(2) calls are timed, not the file system's copy into
    # the page cache (a quarter of the run when writing 400 MB to a file here), which orjson.dumps never pays.
    prty_full = ctx.time_command([partition, "--strategy", "sequential", "--parts", "1", "--index", "0"],
                                 stdin=path)
    full_cpu = ctx.last_cpu_s
    prty_write = max(prty_full - prty_parse, 1e-9)
    write_cpu = max(full_cpu - parse_cpu, 1e-9)
    timing = tool_timing(ctx, partition, path, out_path)
    written = out_path.stat().st_size
    if written < size * 0.9:
        raise RuntimeError(f"prty-partition wrote {written} bytes for a {size}-byte input")
    inside = (f"; in-tool parse {timing['parse_s']:.3f} s, write {timing['write_s']:.3f} s" if timing else "")
    ctx.log(f"prty parse {prty_parse:.3f} s, full {prty_full:.3f} s{inside}")

    document = json.loads(data)
    # The pure-Python json module is slow on 400 MB: at most three runs each.
    json_runs = min(ctx.runs, 3)
    rows = []
    try:
        import orjson
    except ImportError:
        orjson = None
    references = []
    if orjson is not None:
        references.append(("orjson", lambda: orjson.loads(data),
                           lambda: orjson.dumps(document, option=orjson.OPT_SORT_KEYS), ctx.runs))
    references.append(("json", lambda: json.loads(data),
                       lambda: json.dumps(document, sort_keys=True, separators=(",", ":")), json_runs))

    process_note = "prty: whole process incl. start-up and stdin read; reference: in-process, bytes in memory"
    for name, load, dump, runs in references:
        parse_s = ctx.time_function(load, runs=runs)
        load_cpu = ctx.last_cpu_s
        dumped_size = len(dump())
        write_s = ctx.time_function(dump, runs=runs)
        dump_cpu = ctx.last_cpu_s
        ctx.log(f"{name}: parse {parse_s:.3f} s, write {write_s:.3f} s")
        rows.append({
            "benchmark": f"Dataset JSON parse {label}×{WIDTH}", "prty_s": prty_parse, "reference": name,
            "reference_s": parse_s, "goal": "ratio ≤ 1.0",
            "prty_cpu_s": parse_cpu, "reference_cpu_s": load_cpu,
            "notes": f"prty {mb_per_s(size, prty_parse)}, {name} {mb_per_s(size, parse_s)}; CPU-time ratio "
                     f"{parse_cpu / load_cpu:.2f} ({parse_cpu:.2f} s / {load_cpu:.2f} s){inside}; {process_note}",
        })
        rows.append({
            "benchmark": f"Dataset JSON write {label}×{WIDTH}", "prty_s": prty_write, "reference": name,
            "reference_s": write_s, "goal": "ratio ≤ 1.0",
            "prty_cpu_s": write_cpu, "reference_cpu_s": dump_cpu,
            "notes": f"prty {mb_per_s(written, prty_write)} (full {prty_full:.3f} s − parse, stdout /dev/null), "
                     f"{name} {mb_per_s(dumped_size, write_s)}; CPU-time ratio {write_cpu / dump_cpu:.2f} "
                     f"({write_cpu:.2f} s / {dump_cpu:.2f} s)",
        })
    if orjson is None:
        for kind in ("parse", "write"):
            rows.insert(0, {"benchmark": f"Dataset JSON {kind} {label}×{WIDTH}", "reference": "orjson",
                            "prty_s": prty_parse if kind == "parse" else prty_write, "reference_s": None,
                            "goal": "ratio ≤ 1.0", "notes": "skipped: orjson not installed (pip install -r "
                                                          "bench/requirements.txt)"})
    rows.sort(key=lambda row: (" write " in row["benchmark"], row["reference"] != "orjson"))
    out_path.unlink(missing_ok=True)
    return rows
