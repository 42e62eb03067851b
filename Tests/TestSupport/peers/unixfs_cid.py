#!/usr/bin/env python3
"""(Adapted from the project reference tools.) Compute `ipfs add` CIDs (kubo defaults: size-262144 chunker, balanced DAG, 174 links/node)
with multiformats + ipld-dag-pb, and emit a CARv1 with ipld-car.

usage: unixfs_cid.py FILE [--car out.car]
prints: cidv0 (dag-pb leaves, like `ipfs add`), cidv1 raw-leaves (like `ipfs add --cid-version 1`),
        cidv1 of the whole file as one raw block (bafkrei..., a plain sha256 of the bytes)
"""
import sys
from multiformats import CID, multihash
import ipld_dag_pb
from ipld_dag_pb import PBNode, PBLink
import ipld_car

CHUNK = 262144
MAX_LINKS = 174


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F; n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def unixfs_data(typ, data=None, filesize=None, blocksizes=()):
    # message Data { Type=1 (varint), Data=2 (bytes), filesize=3, blocksizes=4 (repeated) }
    b = b"\x08" + varint(typ)
    if data is not None:
        b += b"\x12" + varint(len(data)) + data
    if filesize is not None:
        b += b"\x18" + varint(filesize)
    for s in blocksizes:
        b += b"\x20" + varint(s)
    return b


def sha(b):
    return multihash.digest(bytes(b), "sha2-256")


def build(data, cid_version=0, raw_leaves=False):
    """returns (root_cid, blocks: dict[cid_str] = bytes)"""
    blocks = {}

    def put(codec, raw):
        c = CID("base58btc" if cid_version == 0 else "base32", cid_version, codec, sha(raw))
        blocks[str(c)] = bytes(raw)
        return c

    chunks = [data[i:i + CHUNK] for i in range(0, len(data), CHUNK)] or [b""]
    # leaves: (cid, filesize, block_len)
    level = []
    for ch in chunks:
        if raw_leaves:
            raw = ch
            level.append((put("raw", raw), len(ch), len(raw)))
        else:
            raw = ipld_dag_pb.encode(PBNode(data=unixfs_data(2, ch, len(ch)), links=[]))
            level.append((put("dag-pb", raw), len(ch), len(raw)))
    if len(level) == 1:
        return level[0][0], blocks
    while len(level) > 1:  # balanced layout
        nxt = []
        for i in range(0, len(level), MAX_LINKS):
            grp = level[i:i + MAX_LINKS]
            links = [PBLink(name="", size=bl, hash=c) for (c, fs, bl) in grp]
            total = sum(fs for (_, fs, _) in grp)
            d = unixfs_data(2, None, total, [fs for (_, fs, _) in grp])
            raw = ipld_dag_pb.encode(PBNode(data=d, links=links))
            # tsize = own block + sum of linked tsize
            nxt.append((put("dag-pb", raw), total, len(raw) + sum(bl for (_, _, bl) in grp)))
        level = nxt
    return level[0][0], blocks


if __name__ == "__main__":
    data = open(sys.argv[1], "rb").read()
    v0, _ = build(data, 0, False)
    v1, blocks = build(data, 1, True)
    whole = CID("base32", 1, "raw", sha(data))
    print("cidv0_dagpb      ", v0)
    print("cidv1_rawleaves  ", v1)
    print("cidv1_raw_whole  ", whole)
    if "--car" in sys.argv:
        out = sys.argv[sys.argv.index("--car") + 1]
        car = ipld_car.encode([v1], [(CID.decode(k), v) for k, v in blocks.items()])
        open(out, "wb").write(bytes(car))
        print("car              ", out, len(car), "bytes,", len(blocks), "blocks")
