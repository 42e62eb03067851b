"""Orchestration overhead of prty-runner: webhook received -> Result accepted by the coordinator double.

A prty-runner node registers with the parity-server double (Tests/TestSupport/peers/coordinator.py); the
double creates `true` command tasks one after another (host sandbox) and, for each, times from the moment it
starts the webhook POST to the moment it accepts the Result: the node's webhook answer, its `start` call, the
prty-exec child (spawn, the `true` process, the Result document), the durable outbox write (two fsyncs) and
the Result POST. The median over the tasks is reported. Goal (issue 11): under 50 ms.

There is no reference runner to compare with (the Go runner needs Docker and the real server), so the row
states the goal instead of a ratio. The node's wallet address comes from a stand-in that prints a fixed
address (the node only reads it).
"""

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

TASKS = 40
QUICK_TASKS = 8
GOAL_MS = 50.0


def http(method, url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def run(ctx):
    root = Path(__file__).resolve().parent.parent
    tmp = Path(tempfile.mkdtemp(prefix="prty-bench-runner-"))
    coordinator = node = None
    try:
        coordinator = subprocess.Popen(
            [sys.executable, str(root / "Tests/TestSupport/peers/coordinator.py"), "--port", "0"],
            stdout=subprocess.PIPE, text=True)
        port = json.loads(coordinator.stdout.readline())["port"]
        origin = f"http://127.0.0.1:{port}"
        bin_dir = tmp / "bin"
        bin_dir.mkdir()
        for tool in ("prty-runner", "prty-exec"):  # a command task needs no other tool
            (bin_dir / tool).symlink_to(ctx.bin(tool))
        wallet = bin_dir / "prty-wallet"
        wallet.write_text('#!/bin/sh\necho \'{"address":"0x1111111111111111111111111111111111111111"}\'\n')
        wallet.chmod(0o755)
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(tmp), "PRTY_BIN_DIR": str(bin_dir),
               "RUNNER_SERVER_URL": origin, "RUNNER_WEBHOOK_PORT": "0", "RUNNER_WEBHOOK_HOST": "127.0.0.1",
               "RUNNER_STATE_DIR": str(tmp / "state"), "RUNNER_DEVICE_ID": "bench-node",
               "RUNNER_COMMAND_SANDBOX": "host", "RUNNER_HEARTBEAT_INTERVAL": "30s", "PRTY_LOG_FORMAT": "json"}
        log = open(tmp / "runner.log", "w")
        node = subprocess.Popen([str(bin_dir / "prty-runner")], env=env, cwd=tmp, stdout=log, stderr=log)
        deadline = time.time() + 60
        while time.time() < deadline:
            state = http("GET", origin + "/_test/state")
            if "bench-node" in state["runners"]:
                break
            time.sleep(0.05)
        else:
            raise RuntimeError("the node never registered: " + (tmp / "runner.log").read_text()[-2000:])
        count = QUICK_TASKS if ctx.quick else TASKS
        ids = []
        for _ in range(count):
            task = http("POST", origin + "/api/v1/tasks", {"type": "command", "config": {"command": "true"}})
            ids.append(task["id"])
            deadline = time.time() + 60
            while time.time() < deadline:
                state = http("GET", origin + "/_test/state")
                if task["id"] in state["overhead_ms"]:
                    break
                time.sleep(0.01)
            else:
                raise RuntimeError("no result for " + task["id"] + ": " + (tmp / "runner.log").read_text()[-2000:])
        state = http("GET", origin + "/_test/state")
        samples = [state["overhead_ms"][i] for i in ids[1:]]  # the first pays cold caches
        results = [state["results"].get(i) for i in ids]
        median = statistics.median(samples)
        ok = all(r == 1 for r in results)
        # The node's own share: the total less the prty-exec child's wall time (its `stages.exec` in the node's
        # task_finished event), which is prty-exec's start-up and the `true` process, not orchestration.
        child_ms = {}
        for line in (tmp / "runner.log").read_text().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "task_finished":
                child_ms[event.get("task_id")] = 1000 * (event.get("stages") or {}).get("exec", 0)
        own = [state["overhead_ms"][i] - child_ms[i] for i in ids[1:] if i in child_ms]
        own_median = statistics.median(own) if own else float("nan")
        return [{
            "benchmark": f"runner overhead: webhook -> Result accepted (`true` command, median of {len(samples)})",
            "prty_s": median / 1000, "reference": None, "reference_s": None, "ratio": None,
            "goal": f"median < {GOAL_MS:.0f} ms", "met": median < GOAL_MS and ok,
            "notes": f"median {median:.1f} ms, p90 {sorted(samples)[int(len(samples) * 0.9) - 1]:.1f} ms, "
                     f"min {min(samples):.1f} ms, of which the node itself (total - prty-exec child) median "
                     f"{own_median:.1f} ms; one result per task: {ok}",
        }]
    finally:
        if node and node.poll() is None:
            node.terminate()
            try:
                node.wait(timeout=20)
            except subprocess.TimeoutExpired:
                node.kill()
        if coordinator and coordinator.poll() is None:
            coordinator.terminate()
            coordinator.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
