"""prty-runner's webhook under load and through the tunnel (issue 12), side by side in one run:

1. the webhook under 200 concurrent keep-alive connections (wrk, POST of a doorbell the node answers 200 without
   work) vs nginx answering a static 200 on 127.0.0.1 with the same load: p50/p99, requests/s, errors;
   goal: p99 ≤ 2× nginx's, zero errors;
2. resident memory of an idle registered node after 60 s (goal ≤ 20 MB), and its growth after 1,000 webhook
   deliveries (goal ≤ 2 MB);
3. tunnel overhead: webhook latency p50 through the bore server double vs direct.

The node registers with a stand-in of the server's runner-facing API (in this process) from a temporary HOME;
nothing leaves 127.0.0.1.
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEERS = ROOT / "Tests" / "TestSupport" / "peers"
DOORBELL = b'{"type":"bench_ping","payload":{}}'


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_line(process, timeout):
    """The first stdout line of a peer (its announcement), within `timeout` seconds."""
    end = time.monotonic() + timeout
    line = b""
    os.set_blocking(process.stdout.fileno(), False)
    while time.monotonic() < end:
        chunk = process.stdout.readline()
        if chunk:
            line += chunk
            if line.endswith(b"\n"):
                return json.loads(line)
        elif process.poll() is not None:
            break
        else:
            time.sleep(0.02)
    raise RuntimeError(f"{process.args[1]} did not announce itself within {timeout} s")


def python():
    venv = ROOT / ".venv" / "bin" / "python"
    return os.environ.get("PRTY_PYTHON") or (str(venv) if venv.exists() else sys.executable)


def stop(process):
    if process and process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGESIZE")


def private_bytes(pid):
    """Memory only this process holds (Private_Clean + Private_Dirty of smaps_rollup): RSS less the shared
    library pages (Foundation, ICU data, libcurl…) that every Swift tool on the machine shares."""
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                fields[parts[0][:-1]] = int(parts[1]) * 1024
    return fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0)


def wait_http(url, timeout=30):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if post(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def post(url, connection=None):
    """One POST of the doorbell; (status, seconds)."""
    host, port, path = re.match(r"http://([^:/]+):(\d+)(/.*)", url).groups()
    conn = connection or http.client.HTTPConnection(host, int(port), timeout=10)
    start = time.perf_counter()
    conn.request("POST", path, DOORBELL, {"Content-Type": "application/json"})
    response = conn.getresponse()
    response.read()
    elapsed = time.perf_counter() - start
    if connection is None:
        conn.close()
    return response.status, elapsed


class Coordinator:
    """The runner-facing API, just enough to be joined (register 201, heartbeat 200, unregister 200), in this
    process on 127.0.0.1: the bench measures the node, not a server."""

    def __init__(self):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if self.command == "POST" and self.path == "/api/v1/runners":
                    status, reply = 201, b'{"id":0,"status":"online"}'
                    try:
                        Handler.webhooks.append(json.loads(body).get("webhook"))
                    except ValueError:
                        pass
                elif self.path.startswith("/api/v1/runners"):
                    status, reply = 200, b"{}"
                else:
                    status, reply = 404, b'{"error":"not found"}'
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            do_POST = do_GET = do_DELETE = _answer

            def log_message(self, *args):
                pass

        Handler.webhooks = []
        self.handler = Handler
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    @property
    def webhooks(self):
        return list(self.handler.webhooks)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Node:
    """A prty-runner registered with the coordinator stand-in, in a temporary HOME; its wallet address comes from
    a stand-in `prty-wallet address` (the bench needs no keystore) and `prty-exec models` reports no models."""

    def __init__(self, ctx, extra_env=None):
        self.dir = Path(tempfile.mkdtemp(prefix="prty-bench-node-"))
        self.coordinator = Coordinator()
        bin_dir = self.dir / "bin"
        bin_dir.mkdir()
        (bin_dir / "prty-runner").symlink_to(ctx.bin("prty-runner"))
        for name, reply in (("prty-wallet", '{"address":"0x00000000000000000000000000000000000000aa"}'),
                            ("prty-exec", '{"model_capabilities":[]}')):
            (bin_dir / name).write_text(f"#!/bin/sh\necho '{reply}'\n")
            (bin_dir / name).chmod(0o755)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RUNNER_", "PRTY_", "PARITY_"))}
        env.update(HOME=str(self.dir), RUNNER_SERVER_URL=self.coordinator.url, RUNNER_WEBHOOK_PORT=str(self.port),
                   RUNNER_STATE_DIR=str(self.dir / "state"), RUNNER_METRICS_ADDR="", RUNNER_HEARTBEAT_INTERVAL="5s",
                   RUNNER_DEVICE_ID="b" * 64, PRTY_BIN_DIR=str(bin_dir))
        env.update(extra_env or {})
        self.log = open(self.dir / "runner.log", "wb")
        self.process = subprocess.Popen([str(bin_dir / "prty-runner")], env=env, stdout=subprocess.DEVNULL,
                                        stderr=self.log, cwd=self.dir)
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        try:
            wait_http(self.url)
            self.public = self.registered()
        except Exception:
            self.close()
            raise

    def registered(self, timeout=30):
        """The webhook URL the node registered."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.coordinator.webhooks:
                return self.coordinator.webhooks[-1]
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        log = (self.dir / "runner.log").read_text(errors="replace").strip().splitlines()[-3:]
        raise RuntimeError(f"the node did not register: {' | '.join(log)}")

    def close(self):
        stop(self.process)
        self.coordinator.close()
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Nginx:
    """nginx (Debian) answering a static 200 on 127.0.0.1, one worker, access log off."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="prty-bench-nginx-"))
        self.port = free_port()
        (self.dir / "nginx.conf").write_text(f"""
daemon off;
worker_processes 1;
pid {self.dir}/nginx.pid;
error_log {self.dir}/error.log;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {self.dir}/body;
    proxy_temp_path {self.dir}/proxy;
    fastcgi_temp_path {self.dir}/fastcgi;
    uwsgi_temp_path {self.dir}/uwsgi;
    scgi_temp_path {self.dir}/scgi;
    keepalive_requests 1000000;
    server {{
        listen 127.0.0.1:{self.port};
        location / {{ default_type application/json; return 200 '{{"status":"ok"}}'; }}
    }}
}}
""")
        self.process = subprocess.Popen(["nginx", "-p", str(self.dir), "-c", str(self.dir / "nginx.conf")],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/webhook"
        wait_http(self.url)

    def close(self):
        stop(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


def wrk(url, seconds, connections=200, threads=2):
    """wrk with a POST of the doorbell: {p50_s, p99_s, rps, errors, non2xx}."""
    script = Path(tempfile.mkstemp(suffix=".lua")[1])
    body = DOORBELL.decode().replace("\\", "\\\\").replace('"', '\\"')
    script.write_text(f'wrk.method = "POST"\nwrk.body = "{body}"\n'
                      'wrk.headers["Content-Type"] = "application/json"\n')
    try:
        done = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "-s",
                               str(script), url], capture_output=True, text=True, timeout=seconds + 60)
    finally:
        script.unlink()
    out = done.stdout
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip()[-300:]}")

    def latency(percent):
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        value, unit = float(match.group(1)), match.group(2)
        return value * {"us": 1e-6, "ms": 1e-3, "s": 1.0}[unit]

    errors = 0
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"p50_s": latency(50), "p99_s": latency(99), "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out)[1]),
            "errors": errors + (int(non2xx[1]) if non2xx else 0)}


def p50(url, count):
    """Median latency of `count` sequential POSTs, each on a new connection (as the server's dispatch does)."""
    samples = []
    for _ in range(count):
        status, seconds = post(url)
        if status != 200:
            raise RuntimeError(f"{url} answered {status}")
        samples.append(seconds)
    return statistics.median(samples)


def run(ctx):
    for tool in ("wrk", "nginx"):
        if shutil.which(tool) is None:
            return [{"benchmark": "webhook load", "reference": "nginx", "reference_s": None,
                     "notes": f"skipped: {tool} is not installed (apt: wrk nginx-light)"}]
    seconds = 3 if ctx.quick else 10
    rows = []
    nginx = None
    node = Node(ctx)
    try:
        # Resident memory: idle (registered, heartbeating) after 60 s, then after 1,000 deliveries.
        idle_wait = 10 if ctx.quick else 60
        time.sleep(idle_wait)
        idle = rss_bytes(node.process.pid)
        idle_private = private_bytes(node.process.pid)
        connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
        for index in range(1000):
            if index % 100 == 0:  # a fresh connection now and then, as the server's dispatches come
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", node.port, timeout=10)
            post(node.url, connection)
        connection.close()
        time.sleep(1)
        after = rss_bytes(node.process.pid)
        after_private = private_bytes(node.process.pid)
        rows.append({"benchmark": f"idle node RSS after {idle_wait} s", "prty_s": None, "reference": None,
                     "reference_s": None, "goal": "≤ 20 MB", "met": idle <= 20 << 20,
                     "notes": f"RSS {idle / 2**20:.1f} MB, of which private {idle_private / 2**20:.1f} MB (the rest: "
                              "shared Swift/Foundation/ICU/libcurl pages); registered, heartbeating every 5 s"})
        rows.append({"benchmark": "RSS growth after 1,000 deliveries", "prty_s": None, "reference": None,
                     "reference_s": None, "goal": "≤ 2 MB", "met": after - idle <= 2 << 20,
                     "notes": f"{(after - idle) / 2**20:+.2f} MB RSS ({idle / 2**20:.1f} → {after / 2**20:.1f} MB), "
                              f"private {(after_private - idle_private) / 2**20:+.2f} MB"})

        # The webhook under load vs nginx, same wrk, same run.
        nginx = Nginx()
        wrk(node.url, 1)  # warm-up
        ours = wrk(node.url, seconds)
        wrk(nginx.url, 1)
        theirs = wrk(nginx.url, seconds)
        rows.append({
            "benchmark": "webhook p99, 200 keep-alive conns", "prty_s": ours["p99_s"], "reference": "nginx (static 200)",
            "reference_s": theirs["p99_s"], "goal": "ratio ≤ 2",
            "met": ours["p99_s"] <= 2 * theirs["p99_s"] and ours["errors"] == 0,
            "notes": (f"p50 {ours['p50_s'] * 1e3:.2f} ms vs {theirs['p50_s'] * 1e3:.2f} ms; "
                      f"{ours['rps']:.0f} vs {theirs['rps']:.0f} req/s; errors {ours['errors']} vs {theirs['errors']}; "
                      f"wrk -t2 -c200 -d{seconds}s"),
        })
    finally:
        node.close()
        if nginx:
            nginx.close()

    # Tunnel overhead: the same node reached through the bore double vs directly.
    bore = subprocess.Popen([python(), str(PEERS / "bore_server.py")], stdout=subprocess.PIPE,
                            stdin=subprocess.PIPE, stderr=subprocess.DEVNULL)
    tunnelled = None
    try:
        control = first_line(bore, 60)["control_port"]
        tunnelled = Node(ctx, {"RUNNER_TUNNEL_ENABLED": "true", "RUNNER_TUNNEL_SERVER_URL": f"127.0.0.1:{control}"})
        public = tunnelled.public
        count = 50 if ctx.quick else 300
        p50(public, 20)
        p50(tunnelled.url, 20)
        through, direct = p50(public, count), p50(tunnelled.url, count)
        rows.append({"benchmark": "webhook p50 through bore", "prty_s": through, "reference": "direct (same node)",
                     "reference_s": direct, "goal": None,
                     "notes": f"{count} POSTs, new connection each; overhead {(through - direct) * 1e3:.2f} ms "
                              "(the bore double is Python asyncio)"})
    finally:
        if tunnelled:
            tunnelled.close()
        stop(bore)
    return rows
