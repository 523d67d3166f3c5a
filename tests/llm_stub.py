"""A local OpenAI-compatible endpoint for tests: it answers from a script of behaviours.

Each request takes the next behaviour (the last one repeats): ``"ok:TEXT"`` answers TEXT,
``"http:CODE"`` fails with that status, ``"slow:SECONDS"`` answers late, ``"empty"`` answers "",
``"notjson"`` sends a body that is not JSON, ``"echo-auth"`` fails with the request's
Authorization header in the error body (a server that leaks the key back to us).
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class StubEndpoint:
    def __init__(self, script: list[str]):
        self.script, self.requests = list(script), []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = json.loads(self.rfile.read(length) or b"{}")
                stub.requests.append(body)
                behaviour = stub.script[min(len(stub.requests), len(stub.script)) - 1]
                kind, _, arg = behaviour.partition(":")
                if kind == "http":
                    self._send(int(arg), {"error": {"message": f"scripted {arg}"}})
                elif kind == "echo-auth":
                    leaked = self.headers.get("Authorization", "")
                    self._send(500, {"error": {"message": f"bad request from {leaked}"}})
                elif kind == "notjson":
                    self._raw(200, b"<html>proxy error</html>", "text/html")
                else:
                    if kind == "slow":
                        time.sleep(float(arg))
                    text = "" if kind == "empty" else arg
                    self._send(200, completion(text, body.get("model", "stub")))

            def _send(self, status, payload):
                self._raw(status, json.dumps(payload).encode(), "application/json")

            def _raw(self, status, data, content_type):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except BrokenPipeError:  # the client timed out and left
                    pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


def completion(text: str, model: str) -> dict:
    return {
        "id": "stub",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 10, "total_tokens": 110},
    }
