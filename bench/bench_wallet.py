"""Keystore decryption: prty-wallet against Python's hashlib.scrypt (OpenSSL) on the same scrypt parameters.

A keystore is written once by `prty-wallet auth` with the parameters it always uses (go-ethereum's standard
scrypt N=2^18, r=8, p=1: 256 MiB of memory), in a private HOME under bench/data. Goal (issue 9): decryption
within 1.5× of OpenSSL's scrypt, i.e. ratio ≤ 1.5.

How each side is timed:
- prty as a whole process: `prty-wallet address --verify` reads the keystore and the password file, derives the
  key with scrypt, checks the Keccak-256 MAC, decrypts with AES-128-CTR and derives the address with
  libsecp256k1 (start-up included).
- Python in-process, on the same password, salt and parameters: `hashlib.scrypt(…, n=2**18, r=8, p=1,
  dklen=32)` only (no interpreter start-up, no MAC, no AES, no key check). Both favour the reference.
"""

import hashlib
import json
import os
import shutil
import subprocess

PASSWORD = "bench password"
KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"  # a public test vector key


def run(ctx):
    wallet = ctx.bin("prty-wallet")
    home = ctx.data_dir / "wallet-home"
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    password_file = home / "password"
    password_file.write_text(PASSWORD + "\n")
    env = {"HOME": str(home), "PRTY_PASSWORD_FILE": str(password_file), "PARITY_CONFIG_PATH": ""}
    done = subprocess.run([wallet, "auth", "--private-key-file", "-"], input=KEY.encode(), capture_output=True,
                          env=dict(os.environ, **env), cwd=home, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"prty-wallet auth exited {done.returncode}: {done.stderr.decode()[-300:]}")
    keystore = json.loads((home / ".parity" / "keystore.json").read_text())
    params = keystore["crypto"]["kdfparams"]
    assert (params["n"], params["r"], params["p"]) == (1 << 18, 8, 1), params

    prty_s = ctx.time_command([wallet, "address", "--verify"], env=env)
    prty_cpu = ctx.last_cpu_s
    salt = bytes.fromhex(params["salt"])

    def derive():
        return hashlib.scrypt(PASSWORD.encode(), salt=salt, n=params["n"], r=params["r"], p=params["p"],
                              dklen=params["dklen"], maxmem=1 << 30)

    ref_s = ctx.time_function(derive, warmup=True)
    ref_cpu = ctx.last_cpu_s
    shutil.rmtree(home, ignore_errors=True)
    return [{
        "benchmark": "keystore decrypt, scrypt N=2^18 r=8 p=1",
        "prty_s": prty_s, "reference": "hashlib.scrypt (OpenSSL)", "reference_s": ref_s,
        "goal": "ratio ≤ 1.5",
        "notes": f"prty: whole process (scrypt + MAC + AES + address); CPU ratio {prty_cpu / ref_cpu:.2f}",
    }]
