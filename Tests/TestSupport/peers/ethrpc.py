#!/usr/bin/env python3
"""prty-wallet's test chain: an Ethereum JSON-RPC-over-HTTP dev node, eth-tester + py-evm behind http.server.

Loopback only. Every transaction is mined immediately into its own block (auto-mine), and the node behaves
like geth where clients notice: it checks the chain id of raw transactions, refuses unprotected ones, reports
reverts as JSON-RPC error 3 "execution reverted: <reason>", and returns receipts with a logsBloom.

With --deploy DIR it deploys the real ParityToken and ParityWallet bytecode from DIR (Tests/Fixtures/contracts)
with development key #0, plus a stake contract double that reverts every write with Error("stake contract
paused") ("reverter"), funds the --fund-token addresses from the deployer's tokens, and announces, as the
first stdout line, one JSON object: {"port", "chain_id", "token", "stake_wallet", "reverter", "deployer"}.

GET /_state?address=0x..&device=ID answers what the chain holds, decoded here by web3 (independently of the
Swift code under test): {"eth", "token", "allowance", "nonce", "stake", "stake_exists", "stake_wallet",
"contract_tokens"} (integers as decimal strings).

Usage: python ethrpc.py [--port 0] [--chain-id 31337] [--fund 0xADDR=WEI ...] [--deploy DIR]
                        [--fund-token 0xADDR=BASE_UNITS ...]
"""
import argparse, json, sys, threading, traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from eth_tester import EthereumTester, PyEVMBackend
from eth_tester.exceptions import TransactionFailed
from eth_tester.backends.pyevm.main import get_default_account_state, get_default_account_keys
from eth_utils import to_canonical_address
from web3.providers.eth_tester import EthereumTesterProvider
from web3.providers.eth_tester.defaults import API_ENDPOINTS
from web3 import Web3

# Well-known public development keys (anvil/hardhat mnemonic "test test ... junk"), index 0..2.
DEV_KEYS = [
    "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cc7b607a",
]
ONE_ETHER = 10**18


def build_tester(chain_id, extra_funds, balance):
    from eth_keys import keys as ek
    state = {}
    for pk in DEV_KEYS:
        addr = ek.PrivateKey(bytes.fromhex(pk[2:])).public_key.to_canonical_address()
        state[addr] = get_default_account_state(overrides={"balance": balance})
    for pk in get_default_account_keys(quantity=3):  # eth-tester's own keys 0x..01,02,03
        state[pk.public_key.to_canonical_address()] = get_default_account_state(overrides={"balance": balance})
    for addr, wei in extra_funds:
        state[to_canonical_address(addr)] = get_default_account_state(overrides={"balance": wei})
    backend = PyEVMBackend(genesis_state=state)
    # eth-tester hard-codes chain id 131277322940537; rebuild the chain object on the same DB
    # with a different chain_id (genesis does not depend on it).
    old = backend.chain
    cls = type(old).configure(__name__="DevChain", chain_id=chain_id)
    backend.chain = cls(old.chaindb.db, old.header)
    return EthereumTester(backend)


def jsonable(x):
    """eth-tester/web3 results -> JSON-RPC wire format (ints become 0x-quantities)."""
    if isinstance(x, bool) or x is None or isinstance(x, float):
        return x
    if isinstance(x, int):
        return hex(x)
    if isinstance(x, (bytes, bytearray)):
        return "0x" + bytes(x).hex()
    if isinstance(x, str):
        return x
    if isinstance(x, dict) or hasattr(x, "items"):
        out = {}
        for k, v in x.items():
            if k == "y_parity":
                k = "yParity"
            if k == "logsBloom" and isinstance(v, int):  # eth-tester gives an int; clients need 256 bytes
                out[k] = "0x%0512x" % v
            else:
                out[k] = jsonable(v)
        return out
    if isinstance(x, (list, tuple)):
        return [jsonable(v) for v in x]
    return str(x)


def check_raw_tx_chain_id(raw_hex, chain_id):
    """geth semantics: reject unprotected (pre-EIP-155) and wrong-chain transactions.
    py-evm itself does NOT check the chain id of a legacy EIP-155 signature."""
    import rlp
    raw = bytes.fromhex(raw_hex[2:] if raw_hex.startswith("0x") else raw_hex)
    if not raw:
        return "empty transaction"
    if raw[0] < 0x7f:  # typed tx: type byte || rlp([chainId, ...])
        tx_chain = int.from_bytes(rlp.decode(raw[1:])[0], "big")
    else:
        v = int.from_bytes(rlp.decode(raw)[6], "big")
        if v in (27, 28):
            return "only replay-protected (EIP-155) transactions allowed over RPC"
        tx_chain = (v - 35) // 2
    if tx_chain != chain_id:
        return f"invalid chain id for signer: have {tx_chain} want {chain_id}"
    return None


def fix_receipt(r):
    """Add fields go-ethereum's receipt decoder requires (logsBloom) / expects (removed)."""
    from eth_bloom import BloomFilter
    if "logsBloom" not in r:
        bloom = BloomFilter()
        for lg in r.get("logs", []):
            bloom.add(bytes.fromhex(lg["address"][2:]))
            for t in lg.get("topics", []):
                bloom.add(bytes.fromhex(t[2:]))
        r["logsBloom"] = "0x%0512x" % int(bloom)
    r.pop("state_root", None)
    for lg in r.get("logs", []):
        lg.setdefault("removed", False)
        lg.pop("type", None)


class Node:
    def __init__(self, chain_id, funds, balance):
        self.chain_id = chain_id
        self.tester = build_tester(chain_id, funds, balance)
        endpoints = {ns: dict(v) for ns, v in API_ENDPOINTS.items()}
        endpoints["eth"]["chainId"] = lambda *_: chain_id
        endpoints["net"]["version"] = lambda *_: str(chain_id)
        self.provider = EthereumTesterProvider(self.tester, api_endpoints=endpoints)
        self.w3 = Web3(self.provider)
        self.call = self.provider.request_func(self.w3, self.w3.middleware_onion)
        self.lock = threading.Lock()

    def handle_one(self, req):
        rid = req.get("id")
        method = req.get("method", "")
        params = list(req.get("params") or [])
        # go-ethereum >=1.13 sends call data as "input"; eth-tester only knows "data".
        if method in ("eth_call", "eth_estimateGas", "eth_sendTransaction") and params and isinstance(params[0], dict):
            tx = dict(params[0])
            if "input" in tx:
                tx.setdefault("data", tx.pop("input"))
            for k in ("type", "blobVersionedHashes", "maxFeePerBlobGas"):
                tx.pop(k, None)
            if tx.get("to") is None:
                tx.pop("to", None)
            params[0] = tx
        # eth-tester rejects "pending" for estimate/call; treat it as "latest" (auto-mine => same state)
        if method in ("eth_estimateGas", "eth_call") and len(params) > 1 and params[1] == "pending":
            params[1] = "latest"
        if method == "eth_sendRawTransaction" and params:
            err = check_raw_tx_chain_id(params[0], self.chain_id)
            if err:
                return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": err}}
        try:
            with self.lock:
                resp = self.call(method, params)
            if "error" in resp:
                return {"jsonrpc": "2.0", "id": rid, "error": resp["error"]}
            result = jsonable(resp.get("result"))
            if method == "eth_getTransactionReceipt" and isinstance(result, dict):
                fix_receipt(result)
            return {"jsonrpc": "2.0", "id": rid, "result": result}
        except TransactionFailed as e:
            msg = str(e.args[0]) if e.args else "execution reverted"
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": 3, "message": msg}}
        except Exception as e:  # validation errors: bad nonce, insufficient funds, bad chain id...
            if VERBOSE:
                traceback.print_exc()
            return {"jsonrpc": "2.0", "id": rid, "error": {"code": -32000, "message": f"{type(e).__name__}: {e}"}}


VERBOSE = False
NODE = None
CONTRACTS = {}


def rpc(method, *params):
    resp = NODE.handle_one({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    if "error" in resp:
        raise RuntimeError(f"{method}: {resp['error']}")
    return resp["result"]


def send_signed(key, to, data, gas=3_000_000):
    """Signs with eth-account (legacy EIP-155) and sends through the node's own raw-transaction path."""
    from eth_account import Account
    acct = Account.from_key(key)
    tx = {"nonce": int(rpc("eth_getTransactionCount", acct.address, "latest"), 16), "gasPrice": 2 * 10**9,
          "gas": gas, "value": 0, "data": data, "chainId": NODE.chain_id}
    if to:
        tx["to"] = to
    raw = Account.sign_transaction(tx, key).raw_transaction
    txhash = rpc("eth_sendRawTransaction", "0x" + raw.hex())
    receipt = rpc("eth_getTransactionReceipt", txhash)
    if int(receipt["status"], 16) != 1:
        raise RuntimeError(f"deployment transaction {txhash} failed")
    return receipt


def reverter_code():
    """Creation code of a stake-contract double: getWalletInfo(string) answers (10^30, "", 0x0, true) so that a
    client goes on to write; every other call reverts with Error("stake contract paused")."""
    from eth_abi import encode
    info = encode(["uint256", "string", "address", "bool"], [10**30, "", "0x" + "00" * 20, True])
    error = bytes.fromhex("08c379a0") + encode(["string"], ["stake contract paused"])
    head_len = 41  # bytes of code before the data, fixed by the layout below
    err_off, info_off = head_len, head_len + len(error)
    code = bytes([0x60, 0x00, 0x35, 0x60, 0xE0, 0x1C,            # PUSH1 0 CALLDATALOAD PUSH1 224 SHR
                  0x63]) + bytes.fromhex("13c6bbfb") + bytes([   # PUSH4 getWalletInfo
                  0x14, 0x60, 0x00, 0x57,                         # EQ PUSH1 <info> JUMPI (patched below)
                  0x60, len(error), 0x60, err_off, 0x60, 0x00, 0x39,  # CODECOPY(0, err_off, len)
                  0x60, len(error), 0x60, 0x00, 0xFD,             # REVERT(0, len)
                  0x5B,                                           # info: JUMPDEST
                  0x60, len(info), 0x61]) + info_off.to_bytes(2, "big") + bytes([0x60, 0x00, 0x39,
                  0x60, len(info), 0x60, 0x00, 0xF3])             # RETURN(0, len)
    jumpdest = code.index(0x5B, 20)
    code = code[:13] + bytes([jumpdest]) + code[14:]
    assert len(code) == head_len, len(code)
    runtime = code + error + info
    n = len(runtime)
    init = bytes([0x61]) + n.to_bytes(2, "big") + bytes([0x60, 0x0E, 0x60, 0x00, 0x39,   # CODECOPY(0, 14, n)
                                                      0x61]) + n.to_bytes(2, "big") + bytes([0x60, 0x00, 0xF3])
    assert len(init) == 14
    return init + runtime


def deploy(directory, token_funds):
    """Deploys token, stake wallet and the reverter with dev key #0; returns their addresses."""
    from eth_abi import encode
    from eth_account import Account
    import pathlib
    d = pathlib.Path(directory)
    key = DEV_KEYS[0]
    supply = 1_000_000 * 10**18
    token_bin = bytes.fromhex((d / "ParityToken.bin").read_text().strip().removeprefix("0x"))
    wallet_bin = bytes.fromhex((d / "ParityWallet.bin").read_text().strip().removeprefix("0x"))
    token = send_signed(key, None, token_bin + encode(["uint256"], [supply]))["contractAddress"]
    wallet = send_signed(key, None, wallet_bin + encode(["address"], [token]))["contractAddress"]
    reverter = send_signed(key, None, reverter_code())["contractAddress"]
    w3 = NODE.w3
    CONTRACTS["token"] = w3.eth.contract(address=Web3.to_checksum_address(token),
                                         abi=json.loads((d / "ParityToken.abi.json").read_text()))
    CONTRACTS["wallet"] = w3.eth.contract(address=Web3.to_checksum_address(wallet),
                                          abi=json.loads((d / "ParityWallet.abi.json").read_text()))
    for addr, amount in token_funds:
        data = CONTRACTS["token"].encode_abi("transfer", args=[Web3.to_checksum_address(addr), amount])
        send_signed(key, token, bytes.fromhex(data[2:]), gas=100_000)
    return {"token": Web3.to_checksum_address(token), "stake_wallet": Web3.to_checksum_address(wallet),
            "reverter": Web3.to_checksum_address(reverter), "deployer": Account.from_key(key).address}


def chain_state(address, device):
    """What the chain holds for a test to compare with, decoded by web3."""
    token, wallet = CONTRACTS["token"], CONTRACTS["wallet"]
    addr = Web3.to_checksum_address(address)
    with NODE.lock:
        balance, stored_device, stored_wallet, exists = wallet.functions.getWalletInfo(device).call()
        return {
            "eth": str(NODE.w3.eth.get_balance(addr)),
            "token": str(token.functions.balanceOf(addr).call()),
            "allowance": str(token.functions.allowance(addr, wallet.address).call()),
            "nonce": NODE.w3.eth.get_transaction_count(addr),
            "stake": str(balance), "stake_exists": exists, "stake_wallet": stored_wallet,
            "contract_tokens": str(token.functions.balanceOf(wallet.address).call()),
        }


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if VERBOSE:
            sys.stderr.write("rpc: " + fmt % args + "\n")

    def do_GET(self):
        from urllib.parse import urlparse, parse_qs
        url = urlparse(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/_state" and CONTRACTS:
            data = json.dumps(chain_state(query.get("address", ""), query.get("device", ""))).encode()
            self.send_response(200)
        else:
            data = b'{"error": "not found"}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            req = json.loads(body)
        except Exception:
            out = {"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "parse error"}}
        else:
            if isinstance(req, list):
                out = [NODE.handle_one(r) for r in req]
            else:
                out = NODE.handle_one(req)
            if VERBOSE:
                sys.stderr.write(f"rpc: {json.dumps(req)[:300]} -> {json.dumps(out)[:300]}\n")
        data = json.dumps(out).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main():
    global NODE, VERBOSE
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "localhost", "::1"])
    ap.add_argument("--port", type=int, default=8545)
    ap.add_argument("--chain-id", type=int, default=31337)
    ap.add_argument("--balance-ether", type=int, default=10_000)
    ap.add_argument("--fund", action="append", default=[], help="0xADDR=WEI (repeatable)")
    ap.add_argument("--deploy", help="directory with ParityToken.bin, ParityWallet.bin and their .abi.json")
    ap.add_argument("--fund-token", action="append", default=[], help="0xADDR=BASE_UNITS (repeatable; needs --deploy)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    VERBOSE = a.verbose
    funds = [(f.split("=")[0], int(f.split("=")[1])) for f in a.fund]
    NODE = Node(a.chain_id, funds, a.balance_ether * ONE_ETHER)
    deployed = deploy(a.deploy, [(f.split("=")[0], int(f.split("=")[1])) for f in a.fund_token]) if a.deploy else {}
    srv = ThreadingHTTPServer((a.host, a.port), Handler)
    if a.deploy:
        print(json.dumps(dict(deployed, port=srv.server_address[1], chain_id=a.chain_id)), flush=True)
    else:
        print(f"ethrpc listening on http://{a.host}:{srv.server_address[1]} chain_id={a.chain_id}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
