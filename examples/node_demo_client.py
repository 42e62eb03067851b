#!/usr/bin/env python3
"""The client side of `make demo` (examples/node-demo.sh): submits tasks to the local coordinator as a Parity
client would, waits for the nodes' results and writes what happened under OUT (Python stdlib only).

  node_demo_client.py tasks --server URL --out DIR [--docker-image IMAGE] [--llm-model NAME] [--num-predict N]
      a command task, a docker task (when --docker-image), an LLM prompt (when --llm-model); writes
      OUT/command.json, OUT/docker.json, OUT/llm.json
  node_demo_client.py fl --server URL --out DIR --config FILE [--rounds 2] [--participants 3]
      a federated-learning session; writes OUT/fl-session.json, OUT/fl-round-N-global.json (the coordinator's
      FedAvg aggregate of round N), OUT/fl-task.json (a round-1 task document, for the held-out test set)
  node_demo_client.py report --server URL --out DIR
      every task the coordinator holds, by node: OUT/tasks.json

Each step prints one line per event; a task that does not finish in time exits 1 with the coordinator's state.
"""
import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.request


def call(server, method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(server + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            raw = response.read()
    except urllib.error.HTTPError as error:
        raise SystemExit(f"demo client: {method} {path}: HTTP {error.code} {error.read()[:300]!r}")
    return json.loads(raw) if raw else None


def wait(server, what, condition, timeout):
    deadline = time.time() + timeout
    state = None
    while time.time() < deadline:
        state = call(server, "GET", "/_test/state")
        if condition(state):
            return state
        time.sleep(0.2)
    sys.stderr.write(f"demo client: timed out after {timeout:.0f} s waiting for {what}\n")
    sys.stderr.write(json.dumps({k: state.get(k) for k in ("counts", "tasks", "results")}, indent=1)[:4000] + "\n")
    raise SystemExit(1)


def save(out, name, document):
    with open(os.path.join(out, name), "w") as handle:
        json.dump(document, handle, indent=1)
        handle.write("\n")


def say(text):
    print("  " + text, flush=True)


def tasks(args):
    server, out = args.server, args.out
    pending = {}  # name -> task id
    command = "echo hello from a prty node"
    task = call(server, "POST", "/api/v1/tasks", {"type": "command", "config": {"command": command}})
    pending["command"] = task["id"]
    say(f"command task {task['id'][:8]}: {command!r}")
    if args.docker_image:
        script = ("echo $GREETING from busybox in the private engine; "
                  "echo memory limit $(cat /sys/fs/cgroup/memory.max 2>/dev/null "
                  "|| cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || echo unreadable); "
                  "echo pids limit $(cat /sys/fs/cgroup/pids.max 2>/dev/null "
                  "|| cat /sys/fs/cgroup/pids/pids.max 2>/dev/null || echo unreadable); id")
        task = call(server, "POST", "/api/v1/tasks", {
            "type": "docker",
            "config": {"image_name": args.docker_image, "resources": {"memory": "64m", "timeout": "60s"}},
            "environment": {"type": "docker", "config": {"workdir": "/", "env": ["GREETING=hello"],
                                                         "command": ["sh", "-c", script]}}})
        pending["docker"] = task["id"]
        say(f"docker task {task['id'][:8]}: {args.docker_image}, memory 64m, sh -c 'echo …; cat the cgroup limits; id'")
    if args.llm_model:
        prompt = "What is the capital of France? Answer in one short sentence."
        task = call(server, "POST", "/api/v1/llm/prompts", {
            "prompt": prompt, "model_name": args.llm_model,
            "options": {"num_predict": args.num_predict, "temperature": 0, "seed": 1}})
        pending["llm"] = task["id"]
        say(f"LLM prompt {task['id'][:8]} to {args.llm_model}: {prompt!r}")

    def done(state):
        for name, task_id in pending.items():
            if name == "llm":
                if state["llm"].get(task_id, {}).get("status") != "completed" and not state["results"].get(task_id):
                    return False
            elif not state["results"].get(task_id):
                return False
        return True

    state = wait(server, "the command, docker and LLM tasks", done, args.timeout)
    for name, task_id in pending.items():
        task = call(server, "GET", f"/api/v1/tasks/{task_id}")
        if name == "llm":
            bodies = state["llm"].get(task_id, {}).get("bodies") or []
            if bodies:
                body = bodies[-1]
                document = {"task_id": task_id, "runner_id": task.get("runner_id"), "ok": True,
                            "response": body.get("response"), "prompt_tokens": body.get("prompt_tokens"),
                            "response_tokens": body.get("response_tokens"),
                            "inference_time_ms": body.get("inference_time_ms")}
                say(f"LLM answer from {task.get('runner_id')}: {body.get('response', '').strip()!r}")
                say(f"    {body.get('prompt_tokens')} prompt tokens, {body.get('response_tokens')} response tokens, "
                    f"{body.get('inference_time_ms')} ms")
            else:
                result = call(server, "GET", f"/api/v1/tasks/{task_id}/result")
                document = {"task_id": task_id, "runner_id": task.get("runner_id"), "ok": False,
                            "error": result.get("error") or result.get("output")}
                say(f"LLM prompt failed on {task.get('runner_id')}: {document['error']}")
        else:
            result = call(server, "GET", f"/api/v1/tasks/{task_id}/result")
            output = (result.get("output") or "").strip()
            document = {"task_id": task_id, "runner_id": task.get("runner_id"),
                        "ok": result.get("exit_code") == 0, "exit_code": result.get("exit_code"),
                        "output": output, "error": result.get("error"),
                        "execution_time": result.get("execution_time")}
            say(f"{name} task ran on {task.get('runner_id')}: exit {result.get('exit_code')}, "
                f"{result.get('execution_time')} ms")
            for line in output.splitlines()[:6]:
                say(f"    | {line}")
            if result.get("error"):
                say(f"    error: {result.get('error')}")
        save(out, f"{name}.json", document)


def fl(args):
    server, out = args.server, args.out
    with open(args.config) as handle:
        config = json.load(handle)
    session = call(server, "POST", "/api/v1/federated-learning/sessions", {
        "total_rounds": args.rounds, "min_participants": args.participants, "config": config})
    session_id = session["id"]
    call(server, "POST", f"/api/v1/federated-learning/sessions/{session_id}/start")
    say(f"session {session_id[:8]}: {config.get('model_type')}, {args.rounds} rounds, {args.participants} "
        f"participants, {config.get('partition_config', {}).get('strategy')} parts")
    seen_rounds = 0
    deadline = time.time() + args.timeout
    while True:
        current = call(server, "GET", f"/api/v1/federated-learning/sessions/{session_id}")
        aggregates = current.get("aggregates") or []
        while seen_rounds < len(aggregates):
            aggregate = aggregates[seen_rounds]
            seen_rounds += 1
            save(out, f"fl-round-{seen_rounds}-global.json", aggregate)
            metrics = aggregate.get("global_metrics") or {}
            say(f"round {seen_rounds}: FedAvg of {aggregate.get('participant_count')} updates, mean validation "
                f"accuracy {metrics.get('average_accuracy', 0) * 100:.1f}%")
        if current.get("status") == "completed":
            break
        if time.time() > deadline:
            sys.stderr.write(f"demo client: the session did not complete in {args.timeout:.0f} s: "
                             f"{json.dumps({k: current.get(k) for k in ('status', 'round', 'round_ids')})}\n")
            raise SystemExit(1)
        time.sleep(0.3)
    state = call(server, "GET", "/_test/state")
    updates = [u for u in state["updates"] if u.get("session_id") == session_id]
    round_ids = current["round_ids"]
    for u in updates:
        u["round"] = round_ids.index(u["round_id"]) + 1 if u.get("round_id") in round_ids else None
    # A round-1 task as a node received it: the held-out test set is split off with the same partition config.
    task_doc = None
    second_has_global = False
    for task_id in state["tasks"]:
        task = call(server, "GET", f"/api/v1/tasks/{task_id}")
        config_of = task.get("config") or {}
        if task.get("type") != "federated_learning" or config_of.get("session_id") != session_id:
            continue
        if config_of.get("round_id") == round_ids[0] and task_doc is None:
            task_doc = dict(config_of)
        if len(round_ids) > 1 and config_of.get("round_id") == round_ids[1] and config_of.get("global_model"):
            second_has_global = True
    save(out, "fl-task.json", task_doc)
    save(out, "fl-session.json", {"session_id": session_id, "status": current["status"], "rounds": len(aggregates),
                                  "round_ids": round_ids, "updates": updates,
                                  "round_2_carried_global_model": second_has_global})
    say(f"round-2 tasks carried the round-1 global_model: {'yes' if second_has_global else 'NO'}")


def report(args):
    server, out = args.server, args.out
    state = call(server, "GET", "/_test/state")
    rows = []
    for task_id, status in state["tasks"].items():
        task = call(server, "GET", f"/api/v1/tasks/{task_id}")
        row = {"id": task_id, "type": task.get("type"), "runner_id": task.get("runner_id"), "status": status}
        if task.get("type") == "llm":
            row["ok"] = state["llm"].get(task_id, {}).get("status") == "completed"
        else:
            results = state["results"].get(task_id)
            if results:
                result = call(server, "GET", f"/api/v1/tasks/{task_id}/result")
                row["ok"] = result.get("exit_code") == 0 and not result.get("error")
            else:
                row["ok"] = False
        rows.append(row)
    runners = {device: {"status": r.get("status"), "wallet_address": r.get("wallet_address")}
               for device, r in state["runners"].items()}
    save(out, "tasks.json", {"tasks": rows, "runners": runners, "counts": state["counts"]})


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("step", choices=["tasks", "fl", "report"])
    parser.add_argument("--server", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--docker-image", default="")
    parser.add_argument("--llm-model", default="")
    parser.add_argument("--num-predict", type=int, default=24)
    parser.add_argument("--config")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--participants", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    {"tasks": tasks, "fl": fl, "report": report}[args.step](args)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit(130)
