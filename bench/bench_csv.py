"""CSV → Dataset: prty-fetch's CSV reader and the whole CSV → Dataset document path, against pandas.

Input: bench_fetch.py's 1,000,000 rows × 20 features + an integer label (numpy Gaussians printed at full
precision by pandas, about 400 MB), generated once with a fixed seed and cached in bench/data; BENCH_QUICK=1
uses 20,000 rows.

Rows (issue 15):
1. CSV parse: prty-fetch's own `timing` event (`prty-fetch parse FILE --log-format json`: `parse_s`, from
   mapping the file to the Dataset in memory, on every core) against `pandas.read_csv(path).to_numpy()`
   in-process. Goal: ratio ≤ 0.8.
2. CSV → Dataset document: `prty-fetch parse FILE > /dev/null` as a whole process (start-up, reading, parsing,
   writing the document) against, in-process, `pandas.read_csv` then the reference writer of bench_json.py,
   `orjson.dumps` with sorted keys, of the same document (numpy arrays serialised natively,
   `OPT_SERIALIZE_NUMPY`). Goal: ratio ≤ 1.0. The Python side skips interpreter start-up and imports.
"""

import json
import statistics
import subprocess

import bench_fetch


def reference_document(frame, orjson, np):
    """What prty-fetch writes for this CSV, built and serialised the way a Python pipeline would."""
    values = frame.to_numpy()
    features = np.ascontiguousarray(values[:, :-1], dtype=np.float64)
    labels = values[:, -1].astype(np.int64)
    document = {"classes": sorted(set(labels.tolist())), "feature_names": list(frame.columns[:-1]),
                "features": features, "format": "prty.dataset/1", "labels": labels,
                "source": {"format": "csv"}, "task": "classification"}
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def run(ctx):
    rows = bench_fetch.QUICK_ROWS if ctx.quick else bench_fetch.ROWS
    features = bench_fetch.FEATURES
    path = bench_fetch.csv_path(ctx, rows)
    mb = path.stat().st_size / 1e6
    fetch = ctx.bin("prty-fetch")

    # prty's document must be what the reference writes, byte for byte apart from number spelling: check it
    # once on the quick input (the full one is too big to load twice in Python).
    out = ctx.data_dir / "csv-dataset.json"
    with open(out, "wb") as stdout:
        subprocess.run([fetch, "parse", str(path)], stdout=stdout, stderr=subprocess.PIPE, check=True, timeout=1800)
    written = out.stat().st_size
    if ctx.quick and len(json.loads(out.read_bytes())["features"]) != rows:
        raise RuntimeError("prty-fetch parse lost rows")
    out.unlink()

    document_s = ctx.time_command([fetch, "parse", str(path)])
    document_cpu = ctx.last_cpu_s
    parse_s = statistics.median(bench_fetch.tool_parse_seconds(fetch, path) for _ in range(ctx.runs))

    try:
        import numpy as np
        import orjson
        import pandas as pd
    except ImportError as error:
        note = f"skipped: {error.name} not installed"
        return [{"benchmark": f"CSV parse {rows}×{features} (in-process)", "prty_s": parse_s,
                 "reference": "pandas.read_csv", "reference_s": None, "goal": "ratio ≤ 0.8", "notes": note},
                {"benchmark": f"CSV → Dataset document {rows}×{features}", "prty_s": document_s,
                 "reference": "pandas.read_csv + orjson.dumps", "reference_s": None, "goal": "ratio ≤ 1.0",
                 "notes": note}]

    pandas_s = ctx.time_function(lambda: pd.read_csv(path).to_numpy(), warmup=True)
    pandas_cpu = ctx.last_cpu_s
    reference_size = len(reference_document(pd.read_csv(path), orjson, np))
    reference_s = ctx.time_function(lambda: reference_document(pd.read_csv(path), orjson, np))
    reference_cpu = ctx.last_cpu_s
    ctx.log(f"prty parse {parse_s:.3f} s, whole {document_s:.3f} s; pandas {pandas_s:.3f} s, "
            f"pandas + orjson {reference_s:.3f} s")
    return [
        {"benchmark": f"CSV parse {rows}×{features} (in-process)", "prty_s": parse_s,
         "reference": "pandas.read_csv + to_numpy", "reference_s": pandas_s, "goal": "ratio ≤ 0.8",
         "reference_cpu_s": pandas_cpu,
         "notes": f"{mb:.0f} MB CSV; prty's timing event (map the file, parse into the Dataset, all cores); "
                  f"pandas CPU {pandas_cpu:.2f} s"},
        {"benchmark": f"CSV → Dataset document {rows}×{features}", "prty_s": document_s,
         "reference": "pandas.read_csv + orjson.dumps", "reference_s": reference_s, "goal": "ratio ≤ 1.0",
         "prty_cpu_s": document_cpu, "reference_cpu_s": reference_cpu,
         "notes": f"prty: whole process to /dev/null, {written / 1e6:.0f} MB document; reference in-process, {reference_size / 1e6:.0f} MB; CPU {document_cpu:.2f} s "
                  f"vs {reference_cpu:.2f} s"},
    ]


if __name__ == "__main__":
    raise SystemExit("run through bench/run.py (make bench, BENCH_ONLY=csv)")
