#!/usr/bin/env python3
"""Writes prty-wallet's known-answer fixtures under Tests/Fixtures/wallet/ from independent implementations:
pycryptodome's Keccak-256 and AES, Python's hashlib (OpenSSL) scrypt and PBKDF2, eth-account's keystores.
The RFC 7914 vectors it writes are the RFC's own (OpenSSL reproduces them). Run once with the .venv python;
the output is committed.  Usage: .venv/bin/python Tests/TestSupport/peers/wallet_vectors.py
"""
import hashlib, json, os, pathlib
from Crypto.Hash import keccak
from eth_account import Account

OUT = pathlib.Path(__file__).resolve().parents[2] / "Fixtures" / "wallet"
OUT.mkdir(parents=True, exist_ok=True)


def k256(b):
    return keccak.new(digest_bits=256, data=b).hexdigest()


def dump(name, value):
    (OUT / name).write_text(json.dumps(value, indent=1, sort_keys=True) + "\n")


# Keccak-256 around the 136-byte rate boundary, plus the classic sentences.
inputs = [b"", b"abc", b"The quick brown fox jumps over the lazy dog", bytes(range(256)) * 4]
inputs += [bytes((i * 7 + 3) % 256 for i in range(n)) for n in (1, 55, 56, 135, 136, 137, 271, 272, 273)]
dump("keccak256.json", [{"input": b.hex(), "digest": k256(b)} for b in inputs])

# RFC 7914 §12 (scrypt) and §11 (PBKDF2-HMAC-SHA256).
scrypt = [("", "", 16, 1, 1, 64), ("password", "NaCl", 1024, 8, 16, 64), ("pleaseletmein", "SodiumChloride", 16384, 8, 1, 64)]
dump("scrypt.json", [{"password": p, "salt": s, "n": n, "r": r, "p": pp, "dklen": dk,
                      "derived": hashlib.scrypt(p.encode(), salt=s.encode(), n=n, r=r, p=pp, dklen=dk,
                                                maxmem=1 << 30).hex()} for p, s, n, r, pp, dk in scrypt])
pbkdf2 = [("passwd", "salt", 1, 64), ("Password", "NaCl", 80000, 64), ("password", "salt", 4096, 32)]
dump("pbkdf2.json", [{"password": p, "salt": s, "c": c, "dklen": dk,
                      "derived": hashlib.pbkdf2_hmac("sha256", p.encode(), s.encode(), c, dk).hex()}
                     for p, s, c, dk in pbkdf2])

# Light keystores written by eth-account (scrypt n=2^10, pbkdf2 c=1000): interoperability and fast tests.
# Keys: anvil's public development keys #3/#4 (never hold value on a real chain).
light = []
for kdf, iterations, key in (("scrypt", 1 << 10, "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6"),
                             ("pbkdf2", 1000, "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a")):
    doc = Account.encrypt(key, "correct horse", kdf=kdf, iterations=iterations)
    light.append({"json": doc, "password": "correct horse", "priv": key[2:],
                  "address": Account.from_key(key).address})
dump("keystore-light.json", light)
print("wrote", sorted(p.name for p in OUT.iterdir()))
