"""prty's SHA-256 against coreutils' `sha256sum`, both hashing the same 1 GiB file from the page cache (issue 15 §4).

Input: 1 GiB of seeded random bytes (numpy's default_rng(SEED)), generated once into bench/data.

prty: `prty-fetch add --cid-version 1 FILE`, the whole-process command that hashes a file: it maps the file, hashes
every 256 KiB chunk as a raw leaf (the file's bytes once) and a few dozen small dag-pb nodes, and prints the CID.
Its hasher is Shared's SHA256, which uses the CPU's SHA extensions where there are any (Sources/CSHA256) and its
Swift compression function elsewhere. Rows:
1. one core: both commands pinned to CPU 0 with `taskset -c 0` (prty-fetch hashes chunks on every core it may
   use). Goal: at least sha256sum's speed, ratio ≤ 1.0.
2. the same, against OpenSSL's SHA-256 (Python's hashlib, reading the file in 1 MiB pieces, in-process, one core),
   for scale; no goal.
3. all cores: prty-fetch unpinned against the same sha256sum (single-threaded by design); for scale.
MB/s are the file's size over median wall seconds (start-up included for both commands); each row also gives the
CPU-time ratio (user + system), which a loaded machine distorts less, and the 1-minute load average when it ran.
BENCH_QUICK=1 uses 64 MiB.
"""

import hashlib
import os
import shutil

SIZE = 1 << 30
QUICK_SIZE = 64 << 20
SEED = 15
PIECE = 64 << 20


def content_path(ctx, size):
    path = ctx.data_dir / f"sha256-{size >> 20}m.bin"
    if not path.exists():
        ctx.log(f"generating {path.name} (once)")
        import numpy as np
        rng = np.random.default_rng(SEED)
        tmp = path.with_suffix(".tmp")
        with open(tmp, "wb") as out:
            for start in range(0, size, PIECE):
                out.write(rng.bytes(min(PIECE, size - start)))
        os.replace(tmp, path)
    return path


def openssl_file(path):
    def digest():
        h = hashlib.sha256()
        with open(path, "rb", buffering=0) as f:
            while piece := f.read(1 << 20):
                h.update(piece)
        return h.hexdigest()
    return digest


def load():
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def run(ctx):
    size = QUICK_SIZE if ctx.quick else SIZE
    path = content_path(ctx, size)
    mb = size / 1e6
    fetch = ctx.bin("prty-fetch")
    if shutil.which("sha256sum") is None:
        raise FileNotFoundError("sha256sum (GNU coreutils) is not on PATH")
    pin = ["taskset", "-c", "0"] if shutil.which("taskset") else []
    if not pin:
        ctx.log("taskset not found: the one-core row runs unpinned (see the notes)")
    label = f"SHA-256 of a {size >> 20} MiB file, page cache"
    pinned_note = "both pinned to CPU 0 (taskset -c 0)" if pin else "NOT pinned: taskset missing"

    sha256sum_s = ctx.time_command(pin + ["sha256sum", str(path)])
    sha256sum_cpu = ctx.last_cpu_s
    load_reference = load()
    prty_s = ctx.time_command(pin + [fetch, "add", "--cid-version", "1", str(path)])
    prty_cpu = ctx.last_cpu_s
    load_prty = load()
    all_cores_s = ctx.time_command([fetch, "add", "--cid-version", "1", str(path)])
    all_cores_cpu = ctx.last_cpu_s
    load_all = load()
    openssl_s = ctx.time_function(openssl_file(path), warmup=True)
    openssl_cpu = ctx.last_cpu_s
    load_openssl = load()
    ctx.log(f"prty one core {mb / prty_s:.0f} MB/s, all cores {mb / all_cores_s:.0f} MB/s, sha256sum "
            f"{mb / sha256sum_s:.0f} MB/s, OpenSSL {mb / openssl_s:.0f} MB/s")

    def note(prty_seconds, prty_cpu_s, prty_load, ref_name, ref_seconds, ref_cpu_s, ref_load, extra):
        return (f"prty {mb / prty_seconds:.0f} MB/s ({prty_cpu_s:.2f} s CPU, load {prty_load:.2f}), {ref_name} "
                f"{mb / ref_seconds:.0f} MB/s ({ref_cpu_s:.2f} s CPU, load {ref_load:.2f}); CPU-time ratio "
                f"{prty_cpu_s / ref_cpu_s:.2f}; {extra}")

    command = "prty = `prty-fetch add --cid-version 1 FILE` (whole process)"
    return [
        {"benchmark": f"{label}, one core", "prty_s": prty_s, "reference": "sha256sum", "reference_s": sha256sum_s,
         "goal": "ratio ≤ 1.0", "prty_cpu_s": prty_cpu, "reference_cpu_s": sha256sum_cpu,
         "notes": note(prty_s, prty_cpu, load_prty, "sha256sum", sha256sum_s, sha256sum_cpu, load_reference,
                       f"{pinned_note}; {command}")},
        {"benchmark": f"{label}, one core", "prty_s": prty_s, "reference": "OpenSSL sha256 (hashlib)",
         "reference_s": openssl_s, "goal": "", "prty_cpu_s": prty_cpu, "reference_cpu_s": openssl_cpu,
         "notes": note(prty_s, prty_cpu, load_prty, "OpenSSL", openssl_s, openssl_cpu, load_openssl,
                       "OpenSSL in-process, 1 MiB reads, unpinned but single-threaded; for scale")},
        {"benchmark": f"{label}, all cores", "prty_s": all_cores_s, "reference": "sha256sum",
         "reference_s": sha256sum_s, "goal": "", "prty_cpu_s": all_cores_cpu, "reference_cpu_s": sha256sum_cpu,
         "notes": note(all_cores_s, all_cores_cpu, load_all, "sha256sum", sha256sum_s, sha256sum_cpu,
                       load_reference, f"prty on all {os.cpu_count()} CPUs; for scale")},
    ]
