"""(Adapted from the project reference tools.) Minimal independent CARv1 reader: checks every block's sha2-256 against its CID (v0 and v1)."""
import sys, hashlib, dag_cbor
from multiformats import CID
def uv(b, i):
    n = s = 0
    while True:
        x = b[i]; i += 1; n |= (x & 0x7F) << s; s += 7
        if not x & 0x80: return n, i
buf = open(sys.argv[1], 'rb').read()
hl, i = uv(buf, 0); hdr = dag_cbor.decode(buf[i:i+hl]); i += hl
n = bad = 0
while i < len(buf):
    sl, i = uv(buf, i); end = i + sl; j = i
    if buf[j] == 0x12 and buf[j+1] == 0x20: j += 34
    else:
        _, j = uv(buf, j); _, j = uv(buf, j); _, j = uv(buf, j); dl, j = uv(buf, j); j += dl
    cid = CID.decode(bytes(buf[i:j])); data = buf[j:end]
    n += 1; bad += hashlib.sha256(data).digest() != bytes(cid.raw_digest)
    i = end
print("roots", [str(r.set(base='base32') if r.version == 1 else r) for r in hdr['roots']], "version", hdr['version'], "blocks", n, "hash mismatches", bad)
