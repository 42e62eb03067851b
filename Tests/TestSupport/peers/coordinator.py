#!/usr/bin/env python3
"""A parity-server double for prty-runner's end-to-end tests (Python stdlib only).

Implements the runner-facing API of parity-server with its quirks (docs/protocol.md):
  POST   /api/v1/runners                         register (upsert by X-Device-ID; clears task_id; 400 without wallet)
  POST   /api/v1/runners/heartbeat               500 {"error":"runner not found"} for an unknown runner;
                                                 public_ip overwrites the stored webhook
  DELETE /api/v1/runners/webhooks                unregister (offline, webhook "", wallet "")
  POST   /api/v1/runners/tasks/{id}/start        409 runner unavailable / task unavailable, 500 unknown or not pending
  POST   /api/v1/runners/tasks/{id}/complete     403 other runner, 500 unless running
  POST   /api/v1/runners/tasks/{id}/result       403 wrong runner; any exit code marks the task completed
  POST   /api/v1/llm/prompts/{id}/complete       400 on an empty response or a zero count; 200 if already done
  POST   /api/v1/llm/prompts/{id}/fail           404 (the route does not exist)
  POST   /api/v1/federated-learning/model-updates  FedAvg by data_size when a round is complete -> next round's
                                                 tasks carry it as global_model
Dispatch: pending tasks go to online idle runners (webhook POST with X-Device-ID, reduced payload, fresh nonce;
non-200 reverts the assignment). LLM prompts are delivered twice (dispatch, then the full task), as the server does.

Client API for tests and demos:
  POST /api/v1/tasks {type, config, array?, environment?}  create a task (array=true: deliver the payload as an
                                                 array; environment: a docker task's {type, config})
  GET  /api/v1/tasks/{id}, GET /api/v1/tasks/{id}/result
  POST /api/v1/llm/prompts {prompt, model_name, options?}  an llm task (options: the double's extension, e.g.
                                                 num_predict, handed to the node in config.options)
  POST /api/v1/federated-learning/sessions {...}  create; POST .../sessions/{id}/start; GET .../sessions/{id}
  GET  /_test/state                               counters: results/updates/completions per task, registrations...
  POST /_test/forget_runners                      the server "restarted" and lost its runners table
  POST /_test/outage {"seconds": N}               runner-facing calls answer 503 for N seconds
  POST /_test/reject_results {"status": N}        the next result posts answer N (403, 400...), "count" times

Usage: coordinator.py [--port 0]; prints {"port": N} on its first stdout line. Stop it with SIGTERM.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
import urllib.request
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.RLock()
RUNNERS = {}  # device_id -> runner dict
TASKS = {}  # id -> task dict
ORDER = []  # task ids in creation order
RESULTS = {}  # task_id -> [result bodies]
LLM = {}  # prompt id -> {"status", "runner", "completions": [..]}
SESSIONS = {}  # session id -> session
UPDATES = []  # every model update received
COUNTS = {"registrations": 0, "heartbeats": 0, "unregisters": 0, "starts": 0, "task_completes": 0,
          "llm_fails": 0, "webhooks": 0, "webhook_failures": 0, "llm_forwards": 0, "llm_forwards_ok": 0}
OUTAGE = {"until": 0.0}
REJECT = {"status": 0, "count": 0}
DISPATCH_WAKE = threading.Event()
TIMINGS = {}  # task id -> {"dispatched": t, "accepted": t} (perf_counter seconds), for the overhead benchmark


def now_iso():
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + "Z"


def reduced(task):
    return {k: task.get(k) for k in ("id", "title", "description", "type", "config", "environment", "nonce", "status")}


def post_webhook(url, device_id, payload, as_array=False):
    body = json.dumps({"type": "available_tasks", "payload": [payload] if as_array else payload}).encode()
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Device-ID": device_id})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except Exception:
        return 0


def try_assign():
    """Every online idle runner gets the oldest pending task it may take (server §11.1)."""
    deliveries = []
    with LOCK:
        for device, runner in RUNNERS.items():
            if runner["status"] != "online" or runner.get("task_id") or not runner.get("webhook"):
                continue
            for task_id in ORDER:
                task = TASKS[task_id]
                if task["status"] != "pending":
                    continue
                if task.get("runner_id") and task["runner_id"] != device:
                    continue
                if task.get("assigning"):
                    continue
                task["runner_id"] = device
                task["nonce"] = uuid.uuid4().hex + uuid.uuid4().hex
                task["assigning"] = True
                runner["task_id"] = task_id
                deliveries.append((device, runner["webhook"], dict(task)))
                break
    for device, url, task in deliveries:
        threading.Thread(target=deliver, args=(device, url, task), daemon=True).start()


def deliver(device, url, task):
    with LOCK:
        TIMINGS.setdefault(task["id"], {})["dispatched"] = time.perf_counter()
    status = post_webhook(url, device, reduced(task), task.get("array", False))
    with LOCK:
        COUNTS["webhooks"] += 1
        current = TASKS[task["id"]]
        current["assigning"] = False
        if status != 200:
            COUNTS["webhook_failures"] += 1
            if current["status"] == "pending" and current.get("runner_id") == device and not current.get("pinned"):
                current["runner_id"] = ""
            runner = RUNNERS.get(device)
            if runner and runner.get("task_id") == task["id"]:
                runner["task_id"] = None
            return
    if task["type"] == "llm":  # the server's LLM forward: the same task again, the full struct
        forwarded = post_webhook(url, device, {k: v for k, v in TASKS[task["id"]].items()
                                                if k not in ("assigning", "array", "pinned")})
        with LOCK:
            COUNTS["llm_forwards"] += 1
            COUNTS["llm_forwards_ok"] += 1 if forwarded == 200 else 0


def dispatcher():
    while True:
        DISPATCH_WAKE.wait(0.5)
        DISPATCH_WAKE.clear()
        try_assign()


def wake():
    DISPATCH_WAKE.set()


def create_task(kind, config, extra=None):
    task_id = str(uuid.uuid4())
    task = {"id": task_id, "title": kind, "description": kind, "type": kind, "status": "pending",
            "config": config, "environment": None, "nonce": "", "runner_id": "",
            "creator_device_id": "client", "creator_address": "client", "created_at": now_iso()}
    if extra:
        task.update(extra)
    with LOCK:
        TASKS[task_id] = task
        ORDER.append(task_id)
    wake()
    return task


def fedavg(updates):
    total = sum(max(0, u.get("data_size", 0)) for u in updates)
    if total <= 0:
        return None
    def average(section):
        out = {}
        first = updates[0].get(section) or {}
        for name, values in first.items():
            n = len(values)
            acc = [0.0] * n
            for u in updates:
                w = u.get("data_size", 0)
                vec = (u.get(section) or {}).get(name, [])
                for i in range(min(n, len(vec))):
                    acc[i] += w * vec[i]
            out[name] = [a / total for a in acc]
        return out
    weights = average("weights")
    gradients = average("gradients")
    losses = [u.get("loss", 0.0) for u in updates]
    avg_loss = sum(u.get("data_size", 0) * u.get("loss", 0.0) for u in updates) / total
    avg_acc = sum(u.get("data_size", 0) * u.get("accuracy", 0.0) for u in updates) / total
    mean = sum(losses) / len(losses)
    variance = sum((x - mean) ** 2 for x in losses) / (len(losses) - 1) if len(losses) > 1 else 0.0
    return {"method": "fedavg", "aggregated_model": weights or gradients, "weights": weights,
            "gradients": gradients, "participant_count": len(updates),
            "global_metrics": {"average_loss": avg_loss, "average_accuracy": avg_acc, "variance": variance},
            "round_summary": {"participants": len(updates)}}


def start_round(session):
    session["round"] += 1
    round_id = str(uuid.uuid4())
    session["round_id"] = round_id
    session["round_ids"].append(round_id)
    participants = session["participants"]
    for index, device in enumerate(participants):
        config = dict(session["config"])
        config.update({"session_id": session["id"], "round_id": round_id,
                       "global_model": session.get("global_model")})
        partition = dict(config.get("partition_config") or {})
        partition.update({"total_parts": len(participants), "part_index": index})
        config["partition_config"] = partition
        create_task("federated_learning", config, {"runner_id": device, "pinned": True,
                                                   "creator_device_id": "fl-coordinator"})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, status, body=None, content_type="application/json"):
        data = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        if not raw:
            return {}
        try:
            return json.loads(raw)
        except ValueError:
            return None

    def do_GET(self):
        self.route("GET")

    def do_POST(self):
        self.route("POST")

    def do_DELETE(self):
        self.route("DELETE")

    def route(self, method):
        path = self.path.split("?")[0]
        device = self.headers.get("X-Device-ID", "")
        runner_facing = path.startswith("/api/v1/runners") or path.startswith("/api/v1/llm/prompts/") and (
            path.endswith("/complete") or path.endswith("/fail")) or path == "/api/v1/federated-learning/model-updates"
        if runner_facing and time.time() < OUTAGE["until"]:
            return self.reply(503, {"error": "outage"})
        body = self.body() if method == "POST" else {}
        if body is None:
            return self.reply(400, {"error": "Invalid request body"})
        m = lambda pattern: re.fullmatch(pattern, path)
        if method == "GET" and path in ("/", "/health"):
            return self.reply(200, {"status": "healthy", "service": "coordinator double"})
        # --- runner-facing ---
        if method == "POST" and path == "/api/v1/runners":
            if not device or not body.get("wallet_address"):
                return self.reply(400, {"error": "Invalid request body"})
            with LOCK:
                COUNTS["registrations"] += 1
                runner = RUNNERS.get(device)
                if runner is None:
                    runner = {"device_id": device, "wallet_address": body["wallet_address"]}
                    RUNNERS[device] = runner
                runner.update({"status": "online", "webhook": body.get("webhook", ""), "task_id": None,
                               "last_heartbeat": time.time()})
                if body.get("model_capabilities"):
                    runner["model_capabilities"] = body["model_capabilities"]
                result = dict(runner)
            wake()
            return self.reply(201, result)
        if method == "POST" and path == "/api/v1/runners/heartbeat":
            if not device:
                return self.reply(400, {"error": "Invalid request body"})
            with LOCK:
                COUNTS["heartbeats"] += 1
                runner = RUNNERS.get(device)
                if runner is None:
                    return self.reply(500, {"error": "runner not found"})
                runner["status"] = "online"
                runner["last_heartbeat"] = time.time()
                if body.get("public_ip"):
                    runner["webhook"] = body["public_ip"]
            wake()
            return self.reply(200)
        if method == "DELETE" and path == "/api/v1/runners/webhooks":
            with LOCK:
                COUNTS["unregisters"] += 1
                runner = RUNNERS.get(device)
                if runner is None:
                    return self.reply(500, {"error": "runner not found"})
                runner.update({"status": "offline", "webhook": "", "task_id": None, "wallet_address": ""})
            return self.reply(200)
        hit = m(r"/api/v1/runners/tasks/([^/]+)/start")
        if method == "POST" and hit:
            task_id = hit.group(1)
            with LOCK:
                COUNTS["starts"] += 1
                task, runner = TASKS.get(task_id), RUNNERS.get(device)
                if task is None or runner is None:
                    return self.reply(500, {"error": "task or runner not found"})
                if runner.get("task_id") and runner["task_id"] != task_id:
                    return self.reply(409, {"error": "runner unavailable"})
                if task["status"] != "pending":
                    return self.reply(409, {"error": "task unavailable"})
                runner["task_id"] = task_id
                task["runner_id"] = device
                task["status"] = "running"
                task["updated_at"] = now_iso()
                return self.reply(200, {k: v for k, v in task.items() if k not in ("assigning", "array", "pinned")})
        hit = m(r"/api/v1/runners/tasks/([^/]+)/complete")
        if method == "POST" and hit:
            with LOCK:
                task = TASKS.get(hit.group(1))
                COUNTS["task_completes"] += 1
                if task is None:
                    return self.reply(500, {"error": "task not found"})
                if task.get("runner_id") != device:
                    return self.reply(403, {"error": "task is assigned to a different runner"})
                if task["status"] != "running":
                    return self.reply(500, {"error": "task is not running"})
                task["status"] = "completed"
                return self.reply(200, task)
        hit = m(r"/api/v1/runners/tasks/([^/]+)/result")
        if method == "POST" and hit:
            task_id = hit.group(1)
            with LOCK:
                if REJECT["count"] > 0:
                    REJECT["count"] -= 1
                    return self.reply(REJECT["status"], {"error": "rejected by the test"})
                task = TASKS.get(task_id)
                if not device:
                    return self.reply(400, {"error": "missing device"})
                if task is None:
                    return self.reply(500, {"error": "task not found"})
                if task.get("runner_id") != device:
                    return self.reply(403, {"error": "task is assigned to a different runner"})
                if task["status"] not in ("pending", "running", "completed"):
                    return self.reply(500, {"error": "task is not in a valid status"})
                if "id" in body and not re.fullmatch(r"[0-9a-fA-F-]{36}", str(body["id"])):
                    return self.reply(400, {"error": "Invalid request body"})
                if "estimated_cycles" in body and not (isinstance(body["estimated_cycles"], int)
                                                       and body["estimated_cycles"] >= 0):
                    return self.reply(400, {"error": "Invalid request body"})
                RESULTS.setdefault(task_id, []).append(body)
                TIMINGS.setdefault(task_id, {}).setdefault("accepted", time.perf_counter())
                task["status"] = "completed"
                runner = RUNNERS.get(device)
                if runner:
                    runner["task_id"] = None
                    runner["status"] = "online"
            wake()
            return self.reply(200)
        hit = m(r"/api/v1/llm/prompts/([^/]+)/complete")
        if method == "POST" and hit:
            prompt_id = hit.group(1)
            if not device:
                return self.reply(400, {"error": "missing device"})
            if not body.get("response") or not all(body.get(k) for k in (
                    "prompt_tokens", "response_tokens", "inference_time_ms")):
                return self.reply(400, {"error": "Invalid request body"})
            with LOCK:
                prompt = LLM.get(prompt_id)
                if prompt is None:
                    return self.reply(500, {"error": "prompt not found"})
                task = TASKS[prompt_id]
                if task.get("runner_id") != device:
                    return self.reply(403, {"error": "prompt is assigned to a different runner"})
                prompt["completions"].append(body)
                if prompt["status"] == "completed":
                    return self.reply(200, {"message": "already completed"})
                prompt["status"] = "completed"
                prompt["response"] = body["response"]
                runner = RUNNERS.get(device)
                if runner:
                    runner["task_id"] = None
            wake()
            return self.reply(200, {"message": "completed"})
        if method == "POST" and m(r"/api/v1/llm/prompts/([^/]+)/fail"):
            with LOCK:
                COUNTS["llm_fails"] += 1
            return self.reply(404, b"404 page not found", "text/plain")
        if method == "POST" and path == "/api/v1/federated-learning/model-updates":
            if not isinstance(body.get("gradients"), dict):
                return self.reply(400, {"error": "gradients required"})
            with LOCK:
                UPDATES.append(body)
                session = SESSIONS.get(body.get("session_id"))
                if session and body.get("round_id") == session.get("round_id"):
                    round_updates = [u for u in UPDATES if u.get("round_id") == session["round_id"]]
                    by_runner = {}
                    for u in round_updates:
                        by_runner[u.get("runner_id")] = u
                    if len(by_runner) >= len(session["participants"]):
                        aggregate = fedavg(list(by_runner.values()))
                        session["aggregates"].append(aggregate)
                        session["global_model"] = aggregate
                        if session["round"] >= session["total_rounds"]:
                            session["status"] = "completed"
                        else:
                            start_round(session)
            return self.reply(200, {"message": "Model update submitted successfully"})
        # --- client API ---
        if method == "POST" and path == "/api/v1/tasks":
            kind = body.get("type", "command")
            extra = {"array": True} if body.get("array") else {}
            if isinstance(body.get("environment"), dict):  # a docker task's {type, config: {command, env...}}
                extra["environment"] = body["environment"]
            task = create_task(kind, body.get("config") or {}, extra)
            return self.reply(201, task)
        hit = m(r"/api/v1/tasks/([^/]+)")
        if method == "GET" and hit:
            with LOCK:
                task = TASKS.get(hit.group(1))
                return self.reply(200, task) if task else self.reply(404, {"error": "not found"})
        hit = m(r"/api/v1/tasks/([^/]+)/result")
        if method == "GET" and hit:
            with LOCK:
                results = RESULTS.get(hit.group(1))
                return self.reply(200, results[-1]) if results else self.reply(404, {"error": "no result"})
        if method == "POST" and path == "/api/v1/llm/prompts":
            config = {"model": body.get("model_name", ""), "prompt": body.get("prompt", "")}
            if isinstance(body.get("options"), dict):  # the double's extension: generation options (num_predict)
                config["options"] = body["options"]
            task = create_task("llm", config,
                               {"creator_device_id": "server",
                                "environment": {"type": "llm", "config": {"MODEL": body.get("model_name")}}})
            with LOCK:
                LLM[task["id"]] = {"status": "processing", "completions": []}
            return self.reply(202, {"id": task["id"], "status": "processing"})
        if method == "POST" and path == "/api/v1/federated-learning/sessions":
            session_id = str(uuid.uuid4())
            with LOCK:
                SESSIONS[session_id] = {"id": session_id, "status": "pending", "config": body.get("config") or {},
                                        "total_rounds": int(body.get("total_rounds", 1)),
                                        "min_participants": int(body.get("min_participants") or 2),
                                        "round": 0, "round_ids": [], "aggregates": [], "participants": []}
            return self.reply(201, {"id": session_id})
        hit = m(r"/api/v1/federated-learning/sessions/([^/]+)/start")
        if method == "POST" and hit:
            with LOCK:
                session = SESSIONS.get(hit.group(1))
                if session is None:
                    return self.reply(404, {"error": "not found"})
                online = sorted(d for d, r in RUNNERS.items() if r["status"] == "online")
                if len(online) < session["min_participants"]:
                    return self.reply(400, {"error": "not enough online runners"})
                session["participants"] = online
                session["status"] = "active"
                start_round(session)
            return self.reply(200, {"status": "active"})
        hit = m(r"/api/v1/federated-learning/sessions/([^/]+)")
        if method == "GET" and hit:
            with LOCK:
                session = SESSIONS.get(hit.group(1))
                return self.reply(200, session) if session else self.reply(404, {"error": "not found"})
        # --- test controls ---
        if method == "GET" and path == "/_test/state":
            with LOCK:
                state = {
                    "counts": COUNTS,
                    "runners": RUNNERS,
                    "results": {k: len(v) for k, v in RESULTS.items()},
                    "overhead_ms": {k: (t["accepted"] - t["dispatched"]) * 1000 for k, t in TIMINGS.items()
                                    if "accepted" in t and "dispatched" in t},
                    "tasks": {k: t["status"] for k, t in TASKS.items()},
                    "llm": {k: {"status": p["status"], "completions": len(p["completions"]),
                                "bodies": p["completions"]} for k, p in LLM.items()},
                    "updates": [{"session_id": u.get("session_id"), "round_id": u.get("round_id"),
                                 "runner_id": u.get("runner_id"), "data_size": u.get("data_size"),
                                 "training_time_ms": u.get("training_time_ms"),
                                 "training_time": u.get("training_time"), "loss": u.get("loss")} for u in UPDATES],
                }
            return self.reply(200, state)
        if method == "POST" and path == "/_test/forget_runners":
            with LOCK:
                RUNNERS.clear()
            return self.reply(200, {"status": "forgotten"})
        if method == "POST" and path == "/_test/outage":
            OUTAGE["until"] = time.time() + float(body.get("seconds", 5))
            return self.reply(200, {"until": OUTAGE["until"]})
        if method == "POST" and path == "/_test/reject_results":
            REJECT["status"] = int(body.get("status", 403))
            REJECT["count"] = int(body.get("count", 1))
            return self.reply(200, REJECT)
        return self.reply(404, {"error": "not found"})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=dispatcher, daemon=True).start()
    print(json.dumps({"port": server.server_address[1], "pid": os.getpid()}), flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
