#!/usr/bin/env python3
"""IPFS trustless gateway double for prty's tests (a subset of ipfs/specs trustless-gateway.md), 127.0.0.1 only.

usage: trustless_gw.py [--port N] [MODE...] FILE...

Each FILE is chunked like `ipfs add` (unixfs_cid.build, on multiformats + ipld-dag-pb: independent of the Swift
code) three ways: CIDv0 dag-pb leaves, CIDv1 raw leaves, CIDv1 dag-pb leaves. Once listening it prints one JSON
line: {"port": N, "files": [{"path", "size", "v0", "v1", "v1_dagpb", "blocks_v0", "blocks_v1"}]}.

GET /ipfs/<cid>?format=raw | Accept: application/vnd.ipld.raw   -> that block
GET /ipfs/<cid>?format=car | Accept: application/vnd.ipld.car   -> CARv1, depth-first (dag-scope=entity|all|block)
GET /ipfs/<cid>                                                  -> the file's bytes (a deserialized response)
GET /ipfs/bafkqaaa                                               -> 200, always (the spec's health probe)
GET /_log                                                        -> JSON list of the requests served so far

Modes, to misbehave on purpose (the probe is always answered normally):
  --corrupt N|all       flip a byte of the N-th block in depth-first order of every DAG (0 = root), or of all
  --car-truncate        cut every CAR in the middle of its last section
  --car-missing         leave the last block out of every CAR (it ends cleanly, but incomplete)
  --car-extra           append a block that is not in the DAG to every CAR
  --no-car              answer CAR requests 406 (a raw-only gateway)
  --status CODE         answer every request with CODE (404, 500, 503, ...)
  --stall               accept requests and never answer
  --delay SECONDS       wait before answering each request
  --bomb                also serve a DAG bomb: 6 levels of nodes linking one child 174 times (printed as "bomb")
  --forms LIST          which DAGs to build, comma-separated from v0,v1,v1_dagpb (default all; others print null)
"""
import hashlib, json, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from multiformats import CID, multihash
import ipld_dag_pb
from ipld_dag_pb import PBNode, PBLink
import os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unixfs_cid import build, unixfs_data, varint

BLOCKS = {}      # raw sha2-256 digest -> block bytes (CIDv0 and CIDv1 of one block share it)
POSITION = {}    # digest -> depth-first positions of that block in the DAGs served (for --corrupt N)
LOG = []
LOCK = threading.Lock()
OPTS = {"corrupt": None, "car_truncate": False, "car_missing": False, "car_extra": False, "no_car": False,
        "status": None, "stall": False, "delay": 0.0, "bomb": False, "port": 0, "forms": "v0,v1,v1_dagpb"}


def parse_args(argv):
    files = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--port": OPTS["port"] = int(argv[i + 1]); i += 1
        elif a == "--corrupt": OPTS["corrupt"] = argv[i + 1]; i += 1
        elif a == "--status": OPTS["status"] = int(argv[i + 1]); i += 1
        elif a == "--delay": OPTS["delay"] = float(argv[i + 1]); i += 1
        elif a == "--forms": OPTS["forms"] = argv[i + 1]; i += 1
        elif a in ("--car-truncate", "--car-missing", "--car-extra", "--no-car", "--stall", "--bomb"):
            OPTS[a[2:].replace("-", "_")] = True
        elif a.startswith("--"): sys.exit("unknown option " + a)
        else: files.append(a)
        i += 1
    return files


def digest_of(c):
    return bytes(c.raw_digest)


def add_blocks(blocks):
    for key, raw in blocks.items():
        BLOCKS[digest_of(CID.decode(key))] = raw


def dfs(root):
    """Depth-first order of a DAG's blocks, each once: (CID, bytes)."""
    out, seen, stack = [], set(), [root]
    while stack:
        c = stack.pop()
        d = digest_of(c)
        if d in seen: continue
        seen.add(d)
        raw = BLOCKS.get(d)
        if raw is None: break  # a missing child ends the walk, as a real gateway cuts the stream
        out.append((c, raw))
        if c.codec.name == "dag-pb":
            stack.extend(reversed([l.hash for l in ipld_dag_pb.decode(raw).links]))
    return out


def make_bomb():
    """A tiny DAG that claims 174^6 chunks: each node links the same child 174 times."""
    leaf = ipld_dag_pb.encode(PBNode(data=unixfs_data(2, b"x" * 16, 16), links=[]))
    child = CID("base58btc", 0, "dag-pb", multihash.digest(leaf, "sha2-256"))
    BLOCKS[digest_of(child)] = leaf
    size, tsize = 16, len(leaf)
    for _ in range(6):
        links = [PBLink(name="", size=tsize, hash=child) for _ in range(174)]
        raw = ipld_dag_pb.encode(PBNode(data=unixfs_data(2, None, size * 174, [size] * 174), links=links))
        child = CID("base58btc", 0, "dag-pb", multihash.digest(raw, "sha2-256"))
        BLOCKS[digest_of(child)] = raw
        size, tsize = size * 174, len(raw) + tsize * 174
    return str(child)


def flip(raw):
    raw = bytearray(raw)
    raw[len(raw) // 2] ^= 0x01
    return bytes(raw)


def should_corrupt(digest):
    which = OPTS["corrupt"]
    return which == "all" or (which is not None and int(which) in POSITION.get(digest, ()))


def corrupt(blocks):
    """Applies --corrupt to a depth-first list of (CID, bytes)."""
    return [(c, flip(raw) if should_corrupt(digest_of(c)) else raw) for c, raw in blocks]


CARS = {}  # (root digest, scope) -> the CAR body: built once, so serving a big CAR again costs only the copy


def car_bytes(root, scope):
    key = (digest_of(root), scope)
    if key not in CARS:
        CARS[key] = build_car(root, scope)
    return CARS[key]


def build_car(root, scope):
    blocks = dfs(root)
    if scope == "block": blocks = blocks[:1]
    blocks = corrupt(blocks)
    if OPTS["car_missing"] and len(blocks) > 1: blocks = blocks[:-1]
    if OPTS["car_extra"]:
        extra = b"not part of this DAG"
        blocks = blocks + [(CID("base32", 1, "raw", multihash.digest(extra, "sha2-256")), extra)]
    import dag_cbor
    header = dag_cbor.encode({"roots": [root], "version": 1})
    parts = [varint(len(header)), header]
    for c, raw in blocks:
        cb = bytes(c)
        parts += [varint(len(cb) + len(raw)), cb, raw]
    body = b"".join(parts)
    if OPTS["car_truncate"] and blocks:
        last = len(bytes(blocks[-1][0])) + len(blocks[-1][1])
        body = body[:len(body) - last // 2]
    return body


def file_bytes(root):
    out = bytearray()
    for c, raw in dfs_with_repeats(root):
        if c.codec.name == "raw":
            out += raw
        else:
            node = ipld_dag_pb.decode(raw)
            if not node.links:
                d = bytes(node.data); i = 0
                while i < len(d):
                    tag = d[i]; i += 1
                    if tag & 7 == 0:
                        while d[i] & 0x80: i += 1
                        i += 1
                    else:
                        n = s = 0
                        while True:
                            b = d[i]; i += 1; n |= (b & 0x7F) << s; s += 7
                            if not b & 0x80: break
                        if tag >> 3 == 2: out += d[i:i + n]
                        i += n
    return bytes(out)


def dfs_with_repeats(c):
    raw = BLOCKS[digest_of(c)]
    yield c, raw
    if c.codec.name == "dag-pb":
        for l in ipld_dag_pb.decode(raw).links:
            yield from dfs_with_repeats(l.hash)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send(self, code, ctype, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra: self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urllib.parse.urlparse(self.path)
        query = urllib.parse.parse_qs(url.query)
        accept = self.headers.get("Accept", "")
        if url.path == "/_log":
            with LOCK: body = json.dumps(LOG).encode()
            return self.send(200, "application/json", body)
        if url.path in ("/ipfs/bafkqaaa", "/ipfs/bafkqaaa/"):
            return self.send(200, "application/vnd.ipld.raw" if "raw" in accept or query.get("format") == ["raw"]
                             else "text/plain", b"")
        fmt = (query.get("format") or [""])[0]
        with LOCK:
            LOG.append({"path": url.path, "format": fmt, "accept": accept,
                        "scope": (query.get("dag-scope") or [""])[0]})
        if OPTS["stall"]:
            time.sleep(3600)
            return
        if OPTS["delay"]: time.sleep(OPTS["delay"])
        if OPTS["status"]:
            return self.send(OPTS["status"], "text/plain", b"gateway double: status mode\n")
        parts = url.path.split("/")
        if len(parts) < 3 or parts[1] != "ipfs" or not parts[2]:
            return self.send(400, "text/plain", b"expected /ipfs/<cid>\n")
        try:
            root = CID.decode(parts[2])
        except Exception:
            return self.send(400, "text/plain", b"invalid cid\n")
        if len([p for p in parts[3:] if p]) > 0:
            return self.send(501, "text/plain", b"paths are not served by this double\n")
        key = digest_of(root)
        if key not in BLOCKS:
            return self.send(404, "text/plain", b"block not found\n")
        if fmt == "raw" or (not fmt and "application/vnd.ipld.raw" in accept):
            raw = BLOCKS[key]
            if should_corrupt(key): raw = flip(raw)
            return self.send(200, "application/vnd.ipld.raw", raw, [("X-Ipfs-Roots", str(root))])
        if fmt == "car" or (not fmt and "application/vnd.ipld.car" in accept):
            if OPTS["no_car"]:
                return self.send(406, "text/plain", b"this gateway serves raw blocks only\n")
            scope = (query.get("dag-scope") or ["all"])[0]
            return self.send(200, "application/vnd.ipld.car; version=1", car_bytes(root, scope),
                             [("Content-Disposition", "attachment")])
        return self.send(200, "application/octet-stream", file_bytes(root), [("Etag", '"%s"' % root)])


def main():
    files = parse_args(sys.argv[1:])
    listing = []
    roots = []
    for path in files:
        data = open(path, "rb").read()
        entry = {"path": path, "size": len(data)}
        for name, version, raw_leaves in (("v0", 0, False), ("v1", 1, True), ("v1_dagpb", 1, False)):
            if name not in OPTS["forms"].split(","):
                entry[name], entry["blocks_" + name] = None, 0
                continue
            root, blocks = build(data, version, raw_leaves)
            add_blocks(blocks)
            entry[name] = str(root)
            entry["blocks_" + name] = len(blocks)
            roots.append(root)
        listing.append(entry)
    document = {"files": listing}
    if OPTS["bomb"]:
        document["bomb"] = make_bomb()
        roots.append(CID.decode(document["bomb"]))
    for root in roots:
        for i, (c, _) in enumerate(dfs(root)):
            POSITION.setdefault(digest_of(c), set()).add(i)
    server = ThreadingHTTPServer(("127.0.0.1", OPTS["port"]), Handler)
    server.daemon_threads = True
    document["port"] = server.server_address[1]
    print(json.dumps(document), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
