"""A scripted stand-in for an OpenAI-compatible endpoint, over real HTTP on 127.0.0.1.

    with OpenAIStandin() as server:                 # or the `openai_standin` pytest fixture
        server.script("Hello!", ToolCalls(("search_feedback", {"query": "price"})), HTTPError(500))
        ChatOpenAI(base_url=server.url, api_key="x").invoke("hi")   # -> "Hello!"
        server.requests[-1].body["messages"]                       # what the client sent

Speaks the part of the protocol that langchain-openai and the openai client use:
    POST /v1/chat/completions   JSON, or SSE with `"stream": true` (`data: {chunk}` lines with delta content
                                and delta tool_calls, a usage chunk when `stream_options.include_usage`,
                                then `data: [DONE]`)
    GET  /v1/models             the model list

Each chat request takes the next scripted response, in order:
    "text" or Reply(text)                    an assistant message (streamed in word-sized pieces)
    ToolCalls((name, args), ...)             one or more tool calls (arguments streamed in pieces)
    HTTPError(status, message)               an error body like OpenAI's; `retry_after` sets Retry-After-Ms
    any of them with delay=SECONDS           wait first (a client timeout shorter than that gives up)
An unscripted request answers HTTP 400 "no scripted response left", which the client does not retry.
Every request is recorded in `requests` (method, path, headers, parsed JSON body), so tests can check
the messages, tools, tool_choice and response_format the client sent.

Run by hand: python tests/openai_standin.py "first answer" "second answer" [--port 8000]
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Union


@dataclass(frozen=True)
class Reply:
    """A plain assistant message."""

    text: str
    delay: float = 0.0
    finish_reason: str = "stop"


@dataclass(frozen=True)
class ToolCalls:
    """An assistant message calling tools: ToolCalls(("name", {"arg": 1}), ...)."""

    calls: tuple[tuple[str, dict], ...]
    delay: float = 0.0
    text: str = ""

    def __init__(self, *calls: tuple[str, dict], delay: float = 0.0, text: str = ""):
        object.__setattr__(self, "calls", tuple((name, dict(args)) for name, args in calls))
        object.__setattr__(self, "delay", delay)
        object.__setattr__(self, "text", text)


@dataclass(frozen=True)
class HTTPError:
    """An error answer: status code and OpenAI-style error body."""

    status: int
    message: str = "scripted error"
    delay: float = 0.0
    retry_after: float | None = None  # seconds, sent as Retry-After-Ms (the openai client honours it)


Response = Union[str, Reply, ToolCalls, HTTPError]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the stand-in received."""

    method: str
    path: str
    headers: dict[str, str]
    body: dict[str, Any] = field(default_factory=dict)

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))


class OpenAIStandin:
    """The server: `url` (ends in /v1), `script(...)`, `requests`, `chat_requests`; a context manager."""

    def __init__(self, models: tuple[str, ...] = ("gpt-4o-mini",), *, api_key: str | None = None,
                 host: str = "127.0.0.1", port: int = 0):
        self.models = tuple(models)
        self.api_key = api_key  # when set, requests without "Bearer <api_key>" answer 401
        self._queue: deque[Response] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[RecordedRequest] = []
        standin = self

        class Handler(_Handler):
            server_ref = standin

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------- control
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def script(self, *responses: Response) -> "OpenAIStandin":
        """Queue responses for the next chat requests, in order."""
        with self._lock:
            self._queue.extend(responses)
        return self

    @property
    def pending(self) -> int:
        """Scripted responses not used yet."""
        return len(self._queue)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """The recorded POST /v1/chat/completions requests."""
        return [r for r in self.requests if r.path.endswith("/chat/completions")]

    def reset(self) -> None:
        """Forget the script and the recorded requests."""
        with self._lock:
            self._queue.clear()
            self.requests.clear()

    def start(self) -> "OpenAIStandin":
        self._thread = threading.Thread(target=self._server.serve_forever, name="openai-standin", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers waiting out a delay
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> "OpenAIStandin":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    # ------------------------------------------------------------- internals
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _next(self) -> Response | None:
        with self._lock:
            return self._queue.popleft() if self._queue else None


def _pieces(text: str) -> list[str]:
    """Word-sized pieces that join back to `text` (each keeps its leading space)."""
    pieces, current = [], ""
    for ch in text:
        if ch == " " and current.strip():
            pieces.append(current)
            current = ""
        current += ch
    return pieces + [current] if current else pieces


class _Handler(BaseHTTPRequestHandler):
    server_ref: OpenAIStandin
    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):  # keep test output clean
        pass

    def handle(self) -> None:
        try:
            super().handle()
        except (ConnectionResetError, BrokenPipeError):  # a client that hung up (timeouts, retries)
            pass

    # ------------------------------------------------------------- routing
    def do_GET(self) -> None:
        self._recorded({})
        if not self._authorized():
            return
        if self.path.rstrip("/").endswith("/models"):
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "standin"} for m in self.server_ref.models]
            return self._json(200, {"object": "list", "data": data})
        self._json(404, _error_body(f"no route GET {self.path}", "not_found"))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            self._recorded({"_raw": raw.decode("utf-8", "replace")})
            return self._json(400, _error_body("request body is not JSON", "invalid_request_error"))
        self._recorded(body)
        if not self._authorized():
            return
        if not self.path.rstrip("/").endswith("/chat/completions"):
            return self._json(404, _error_body(f"no route POST {self.path}", "not_found"))
        response = self.server_ref._next()
        if response is None:
            return self._json(400, _error_body("openai stand-in: no scripted response left for this request",
                                               "invalid_request_error"))
        if isinstance(response, str):
            response = Reply(response)
        if response.delay and self.server_ref._stopping.wait(response.delay):
            return
        try:
            if isinstance(response, HTTPError):
                headers = {"Retry-After-Ms": str(int(response.retry_after * 1000))} if response.retry_after is not None else {}
                kind = "authentication_error" if response.status == 401 else "server_error" if response.status >= 500 else "invalid_request_error"
                return self._json(response.status, _error_body(response.message, kind), headers)
            model = body.get("model", self.server_ref.models[0])
            if body.get("stream"):
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                return self._sse(_chunks(response, model, include_usage))
            return self._json(200, _completion(response, model))
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (timeout) while we answered
            pass

    # ------------------------------------------------------------- helpers
    def _recorded(self, body: dict) -> None:
        headers = {k.lower(): v for k, v in self.headers.items()}
        self.server_ref._record(RecordedRequest(self.command, self.path, headers, body))

    def _authorized(self) -> bool:
        key = self.server_ref.api_key
        if key is None or self.headers.get("Authorization") == f"Bearer {key}":
            return True
        self._json(401, _error_body("Incorrect API key provided", "invalid_request_error", "invalid_api_key"))
        return False

    def _json(self, status: int, payload: dict, headers: dict | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, chunks: list[dict]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")  # the end of the body is the end of the connection
        self.end_headers()
        self.close_connection = True
        for chunk in chunks:
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


def _error_body(message: str, kind: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def _usage(response: Reply | ToolCalls) -> dict:
    completion = len(response.text.split()) + sum(len(json.dumps(a).split()) for _, a in getattr(response, "calls", ()))
    return {"prompt_tokens": 10, "completion_tokens": completion, "total_tokens": 10 + completion}


def _tool_call_dicts(response: ToolCalls) -> list[dict]:
    return [{"id": f"call_{uuid.uuid4().hex[:16]}", "type": "function",
             "function": {"name": name, "arguments": json.dumps(args)}} for name, args in response.calls]


def _completion(response: Reply | ToolCalls, model: str) -> dict:
    message: dict[str, Any] = {"role": "assistant", "content": response.text or None}
    finish = "stop"
    if isinstance(response, ToolCalls):
        message["tool_calls"] = _tool_call_dicts(response)
        finish = "tool_calls"
    else:
        finish = response.finish_reason
    return {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion", "created": int(time.time()),
            "model": model, "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
            "usage": _usage(response)}


def _chunks(response: Reply | ToolCalls, model: str, include_usage: bool) -> list[dict]:
    base = {"id": f"chatcmpl-{uuid.uuid4().hex[:12]}", "object": "chat.completion.chunk",
            "created": int(time.time()), "model": model}

    def chunk(delta: dict, finish: str | None = None) -> dict:
        return {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}]}

    out = [chunk({"role": "assistant", "content": ""})]
    out += [chunk({"content": piece}) for piece in _pieces(response.text)]
    finish = getattr(response, "finish_reason", "stop")
    if isinstance(response, ToolCalls):
        finish = "tool_calls"
        for index, call in enumerate(_tool_call_dicts(response)):
            out.append(chunk({"tool_calls": [{"index": index, "id": call["id"], "type": "function",
                                              "function": {"name": call["function"]["name"], "arguments": ""}}]}))
            arguments = call["function"]["arguments"]
            for start in range(0, len(arguments), 8):  # arguments arrive in fragments, as from real servers
                out.append(chunk({"tool_calls": [{"index": index,
                                                  "function": {"arguments": arguments[start:start + 8]}}]}))
    out.append(chunk({}, finish))
    if include_usage:
        out.append({**base, "choices": [], "usage": _usage(response)})
    return out


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("replies", nargs="*", help="answers to give, in order")
    parser.add_argument("--port", type=int, default=8000)
    args = parser.parse_args(argv)
    with OpenAIStandin(port=args.port) as server:
        server.script(*args.replies)
        print(f"ASSISTANT_LLM_BASE_URL={server.url}", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
