#!/usr/bin/env python3
"""End-to-end test of gate's hooks under the real Claude Code, Codex CLI and Gemini CLI.

Started by scripts/agents-e2e.sh, which installs the pinned agents with npm; this file needs
only Python 3.11's standard library. Everything is offline: each agent talks to a fake model
API on 127.0.0.1 (one thread per API, a random free port each, every request logged), which
answers the first turn with a shell tool call running the command under test and the next
turn, once the tool result is in the conversation, with a final text. Every agent gets a
temporary HOME of its own (its settings, gate's policy and ledger), and its hooks registered
by `gate hooks install AGENT` when gate has that command, otherwise by writing the README's
hook configuration by hand.

Subcommands:
  run ...                the checks (see --help)
  hook-tee LOG -- CMD    a hook wrapper for --trace-hooks: records the hook's stdin, stdout,
                         stderr and exit status in LOG (JSON lines), passes them through
"""

from __future__ import annotations

import argparse
import ctypes
import gzip
import http.server
import json
import os
import pty
import select
import shutil
import signal
import socketserver
import subprocess
import sys
import threading
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

AGENTS = ("claude", "codex", "gemini")
# What each agent is called in `gate hook NAME` / `gate hooks install NAME`.
HOOK_NAME = {"claude": "claude-code", "codex": "codex", "gemini": "gemini"}
# The environment markers gate reads (src/context.rs); `gate approve` must run without them.
AGENT_MARKERS = (
    "CLAUDECODE",
    "CLAUDE_CODE_ENTRYPOINT",
    "CODEX_SANDBOX",
    "CODEX_SANDBOX_NETWORK_DISABLED",
    "CODEX_HOME",
    "CODEX_THREAD_ID",
    "GEMINI_CLI",
    "CURSOR_AGENT",
    "AIDER_MODEL",
    "OPENHANDS_RUNTIME",
    "GOOSE_PROVIDER",
    "GATE_AGENT",
)
FINAL_TEXT = "gate-e2e: finished"


def log(msg: str) -> None:
    print(f"[e2e {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def short(text: str, n: int = 160) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


# --------------------------------------------------------------------------------------------
# Fake model APIs
# --------------------------------------------------------------------------------------------


@dataclass
class Scenario:
    """What the fakes answer while one agent run is under way."""

    agent: str
    check: str
    command: str
    log_path: Path


class FakeState:
    def __init__(self, root: Path):
        self.lock = threading.Lock()
        self.scenario: Scenario | None = None
        self.all_log = root / "api-requests.jsonl"
        self.counter = 0

    def next_id(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def record(self, api: str, method: str, path: str, headers: dict, body) -> None:
        with self.lock:
            sc = self.scenario
            entry = {
                "time": time.time(),
                "api": api,
                "method": method,
                "path": path,
                "headers": headers,
                "agent": sc.agent if sc else None,
                "check": sc.check if sc else None,
                "body": body,
            }
            line = json.dumps(entry) + "\n"
            with open(self.all_log, "a", encoding="utf-8") as f:
                f.write(line)
            if sc is not None:
                with open(sc.log_path, "a", encoding="utf-8") as f:
                    f.write(line)


def sse(events: list[tuple[str | None, dict]]) -> bytes:
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        out.append(f"data: {json.dumps(data)}\n\n")
    return "".join(out).encode()


def decode_body(raw: bytes, encoding: str):
    try:
        if encoding == "gzip":
            raw = gzip.decompress(raw)
        elif encoding == "deflate":
            raw = zlib.decompress(raw)
    except Exception:  # noqa: BLE001 - logged as raw below
        pass
    try:
        return json.loads(raw.decode("utf-8"))
    except Exception:  # noqa: BLE001
        return {"_raw": raw[:20000].decode("utf-8", "replace"), "_encoding": encoding}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    api = "?"
    state: FakeState

    def log_message(self, fmt, *args):  # quiet
        pass

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size_line = self.rfile.readline().strip()
                size = int(size_line.split(b";")[0] or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status: int, body: bytes, ctype: str = "application/json", extra=None):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()

    def handle_any(self, method: str):
        raw = self.read_body() if method in ("POST", "PUT", "PATCH") else b""
        body = decode_body(raw, self.headers.get("Content-Encoding", "")) if raw else None
        keep = ("content-type", "user-agent", "anthropic-beta", "anthropic-version", "accept")
        headers = {k.lower(): v for k, v in self.headers.items() if k.lower() in keep}
        self.state.record(self.api, method, self.path, headers, body)
        if method == "HEAD":  # a reachability probe (Claude Code sends one): headers only
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        try:
            status, payload, ctype = self.reply(method, self.path, body if isinstance(body, dict) else {})
        except Exception as e:  # noqa: BLE001 - a fake must answer, and say why it could not
            status, payload, ctype = 500, json.dumps({"error": {"message": f"fake: {e!r}"}}).encode(), "application/json"
        self.send(status, payload, ctype)

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_HEAD(self):
        self.handle_any("HEAD")

    def reply(self, method, path, body):  # overridden
        return 404, b"{}", "application/json"


def not_found(path: str) -> tuple[int, bytes, str]:
    return 404, json.dumps({"error": {"type": "not_found_error", "message": f"fake API: no {path}"}}).encode(), "application/json"


class AnthropicHandler(Handler):
    """The Messages API (POST /v1/messages, streamed as SSE when `stream` is set)."""

    api = "anthropic"

    def reply(self, method, path, body):
        p = path.split("?")[0]
        if method == "POST" and p.endswith("/v1/messages/count_tokens"):
            return 200, json.dumps({"input_tokens": 12}).encode(), "application/json"
        if method != "POST" or not p.endswith("/v1/messages"):
            return not_found(path)
        sc = self.state.scenario
        tools = [t.get("name") for t in body.get("tools") or [] if isinstance(t, dict)]
        model = body.get("model", "claude-fake")
        n = self.state.next_id()
        if sc is not None and "Bash" in tools and not self.has_tool_result(body):
            block = {
                "type": "tool_use",
                "id": f"toolu_e2e_{sc.check}_{n:04d}",
                "name": "Bash",
                "input": {"command": sc.command, "description": f"gate e2e check {sc.check}"},
            }
            stop = "tool_use"
        else:
            block = {"type": "text", "text": FINAL_TEXT if "Bash" in tools else "ok"}
            stop = "end_turn"
        usage = {"input_tokens": 12, "output_tokens": 6, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        message = {
            "id": f"msg_e2e_{n:04d}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [block],
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            return 200, json.dumps(message).encode(), "application/json"
        start = dict(message, content=[], stop_reason=None)
        if block["type"] == "tool_use":
            first = dict(block, input={})
            delta = {"type": "input_json_delta", "partial_json": json.dumps(block["input"])}
        else:
            first = {"type": "text", "text": ""}
            delta = {"type": "text_delta", "text": block["text"]}
        events = [
            ("message_start", {"type": "message_start", "message": start}),
            ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": first}),
            ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": delta}),
            ("content_block_stop", {"type": "content_block_stop", "index": 0}),
            ("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None}, "usage": {"output_tokens": 6}}),
            ("message_stop", {"type": "message_stop"}),
        ]
        return 200, sse(events), "text/event-stream"

    @staticmethod
    def has_tool_result(body) -> bool:
        for m in body.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
                return True
        return False


class OpenAIHandler(Handler):
    """The Responses API (POST /v1/responses, SSE), as Codex speaks it."""

    api = "openai"

    def reply(self, method, path, body):
        p = path.split("?")[0]
        if method == "GET" and p.endswith("/models"):
            return 200, json.dumps({"object": "list", "data": [], "models": []}).encode(), "application/json"
        if method != "POST" or not p.endswith("/responses"):
            return not_found(path)
        sc = self.state.scenario
        n = self.state.next_id()
        rid = f"resp_e2e_{n:04d}"
        items = body.get("input") or []
        answered = any(
            isinstance(i, dict) and i.get("type") in ("function_call_output", "custom_tool_call_output", "local_shell_call_output")
            for i in items
        )
        tools = body.get("tools") or []
        names = {t.get("name") or t.get("type") for t in tools if isinstance(t, dict)}
        if sc is not None and not answered and names:
            item = self.shell_call(sc, names, n)
        else:
            item = {
                "type": "message",
                "role": "assistant",
                "id": f"msg_e2e_{n:04d}",
                "content": [{"type": "output_text", "text": FINAL_TEXT}],
            }
        usage = {"input_tokens": 12, "input_tokens_details": None, "output_tokens": 6, "output_tokens_details": None, "total_tokens": 18}
        events = [
            ("response.created", {"type": "response.created", "response": {"id": rid}}),
            ("response.output_item.done", {"type": "response.output_item.done", "item": item}),
            ("response.completed", {"type": "response.completed", "response": {"id": rid, "usage": usage}}),
        ]
        return 200, sse(events), "text/event-stream"

    @staticmethod
    def shell_call(sc: Scenario, names: set, n: int) -> dict:
        call_id = f"call_e2e_{sc.check}_{n:04d}"
        # Codex offers one of these shell tools, depending on the model and its features.
        if "shell_command" in names:
            name, args = "shell_command", {"command": sc.command}
        elif "exec_command" in names:
            name, args = "exec_command", {"cmd": sc.command}
        elif "shell" in names:
            name, args = "shell", {"command": ["bash", "-lc", sc.command]}
        elif "local_shell" in names:
            return {
                "type": "local_shell_call",
                "call_id": call_id,
                "status": "completed",
                "action": {"type": "exec", "command": ["bash", "-lc", sc.command]},
            }
        else:
            name, args = "shell_command", {"command": sc.command}
        return {"type": "function_call", "call_id": call_id, "name": name, "arguments": json.dumps(args)}


class GeminiHandler(Handler):
    """generateContent / streamGenerateContent (?alt=sse) / countTokens, as the Gemini CLI speaks them."""

    api = "gemini"

    def reply(self, method, path, body):
        p = path.split("?")[0]
        if method == "POST" and p.endswith(":countTokens"):
            return 200, json.dumps({"totalTokens": 12}).encode(), "application/json"
        if method != "POST" or not (p.endswith(":generateContent") or p.endswith(":streamGenerateContent")):
            return not_found(path)
        sc = self.state.scenario
        n = self.state.next_id()
        decls = [
            d.get("name")
            for t in body.get("tools") or []
            if isinstance(t, dict)
            for d in t.get("functionDeclarations") or []
            if isinstance(d, dict)
        ]
        main = "run_shell_command" in decls
        if sc is not None and main and not self.has_function_response(body):
            part = {
                "functionCall": {
                    "id": f"call_e2e_{sc.check}_{n:04d}",
                    "name": "run_shell_command",
                    "args": {"command": sc.command, "description": f"gate e2e check {sc.check}"},
                }
            }
        elif main:
            part = {"text": FINAL_TEXT}
        else:
            part = {"text": self.side_answer(body)}
        chunk = {
            "candidates": [{"content": {"role": "model", "parts": [part]}, "finishReason": "STOP", "index": 0}],
            "usageMetadata": {"promptTokenCount": 12, "candidatesTokenCount": 6, "totalTokenCount": 18},
            "modelVersion": p.rsplit("/", 1)[-1].split(":")[0],
            "responseId": f"resp_e2e_{n:04d}",
        }
        if p.endswith(":streamGenerateContent"):
            return 200, sse([(None, chunk)]), "text/event-stream"
        return 200, json.dumps(chunk).encode(), "application/json"

    @staticmethod
    def has_function_response(body) -> bool:
        for c in body.get("contents") or []:
            for part in (c.get("parts") or []) if isinstance(c, dict) else []:
                if isinstance(part, dict) and "functionResponse" in part:
                    return True
        return False

    @staticmethod
    def side_answer(body) -> str:
        # Gemini CLI's helper calls (routing, next-speaker checks, ...) ask for JSON; one object
        # with the keys they read keeps each of them on its default path.
        cfg = body.get("generationConfig") or {}
        if cfg.get("responseMimeType") == "application/json" or cfg.get("responseJsonSchema") or cfg.get("responseSchema"):
            return json.dumps({"reasoning": "gate e2e fake", "next_speaker": "user", "model_choice": "flash", "complexity_score": 1})
        return "ok"


class ThreadingServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def start_fake(handler_cls, state: FakeState) -> ThreadingServer:
    cls = type(handler_cls.__name__ + "Bound", (handler_cls,), {"state": state})
    server = ThreadingServer(("127.0.0.1", 0), cls)
    threading.Thread(target=server.serve_forever, name=handler_cls.api, daemon=True).start()
    return server


# --------------------------------------------------------------------------------------------
# Processes: children are ours; a subreaper keeps the ones that detach ours too
# --------------------------------------------------------------------------------------------

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except Exception:  # noqa: BLE001 - then only process groups are cleaned up
        pass


def descendants(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            tasks = os.listdir(f"/proc/{p}/task")
        except OSError:
            continue
        for t in tasks:
            try:
                kids = Path(f"/proc/{p}/task/{t}/children").read_text().split()
            except OSError:
                continue
            for k in kids:
                out.append(int(k))
                todo.append(int(k))
    return out


def zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return "?"


def kill_descendants() -> list[str]:
    """End every process this one started that is still there (by pid), and reap them; say
    which they were."""
    reap()  # orphans that already ended (zombies reparented here)
    left = [f"{pid} {short(cmdline(pid), 80)}" for pid in descendants(os.getpid()) if not zombie(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in descendants(os.getpid()):
            try:
                os.kill(pid, sig)
            except OSError:
                pass
        deadline = time.time() + 3
        while time.time() < deadline and descendants(os.getpid()):
            reap()
            time.sleep(0.1)
    reap()
    return left


def reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def kill_group(p: subprocess.Popen) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            pass
        try:
            p.wait(timeout=3)
            return
        except subprocess.TimeoutExpired:
            continue


# --------------------------------------------------------------------------------------------
# gate
# --------------------------------------------------------------------------------------------


class Gate:
    def __init__(self, binary: Path, bindir: Path):
        self.binary = binary
        self.bindir = bindir  # holds a `gate` link, first on the agents' PATH

    def run(self, env: dict, *args: str, timeout: float = 60, stdin: bytes | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(self.binary), *args],
            env=env,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            timeout=timeout,
            stdin=None if stdin is not None else subprocess.DEVNULL,
        )

    def has_hooks_command(self, env: dict) -> tuple[bool, str]:
        r = self.run(env, "hooks", "--help", timeout=20)
        return r.returncode == 0, f"`gate hooks --help` exit {r.returncode}"

    def log_json(self, env: dict) -> list[dict]:
        r = self.run(env, "log", "--json", "-n", "200", timeout=60)
        return parse_json_lines(r.stdout)

    def pending_json(self, env: dict) -> list[dict]:
        r = self.run(env, "pending", "--json", timeout=30)
        return parse_json_lines(r.stdout)

    def approve_on_pty(self, env: dict, request_id: str, timeout: float = 30) -> tuple[int, str]:
        """`gate approve ID` with a pseudo-terminal as its controlling terminal, as a person in
        another terminal would run it: a new session, nothing of the agent's environment."""
        argv = [str(self.binary), "approve", request_id, "--comment", "gate agents e2e"]
        pid, fd = pty.fork()
        if pid == 0:  # the child: pty.fork made the pty its controlling terminal
            try:
                os.execve(argv[0], argv, env)
            finally:
                os._exit(127)
        out = b""
        deadline = time.time() + timeout
        status = None
        while time.time() < deadline:
            r, _, _ = select.select([fd], [], [], 0.2)
            if r:
                try:
                    data = os.read(fd, 4096)
                except OSError:
                    data = b""
                if data:
                    out += data
                    continue
            wpid, st = os.waitpid(pid, os.WNOHANG)
            if wpid == pid:
                status = st
                break
        if status is None:
            os.kill(pid, signal.SIGKILL)
            _, status = os.waitpid(pid, 0)
        try:
            while True:
                r, _, _ = select.select([fd], [], [], 0.05)
                if not r:
                    break
                data = os.read(fd, 4096)
                if not data:
                    break
                out += data
        except OSError:
            pass
        os.close(fd)
        code = os.waitstatus_to_exitcode(status)
        return code, out.decode("utf-8", "replace")


def parse_json_lines(raw: bytes) -> list[dict]:
    out = []
    for line in raw.decode("utf-8", "replace").splitlines():
        line = line.strip()
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                pass
    return out


# --------------------------------------------------------------------------------------------
# Agents
# --------------------------------------------------------------------------------------------

GATE_POLICY = """\
# gate agents e2e: every built-in rule pack (as with no policy file), approval only through
# `gate approve ID` from another terminal (the local channel), within the hooks' timeouts
[defaults]
packs = ["all"]
channels = ["local"]
timeout = "45s"
"""


@dataclass
class Agent:
    name: str
    root: Path  # TMP/<agent>
    npm_bin: Path
    gate: Gate
    ports: dict
    trace_hooks: bool
    helper: Path
    home: Path = field(init=False)
    work: Path = field(init=False)
    hooks_how: str = ""
    hooks_installed: bool = False
    hooks_note: str = ""

    def __post_init__(self):
        self.home = self.root / "home"
        self.work = self.root / "work"

    # the environment of everything run for this agent: nothing of the caller's but PATH's system part
    def base_env(self) -> dict:
        path = [str(self.gate.bindir), str(self.npm_bin), str(Path(shutil.which("node") or "/usr/bin/node").parent), "/usr/local/bin", "/usr/bin", "/bin"]
        env = {
            "PATH": ":".join(dict.fromkeys(path)),
            "HOME": str(self.home),
            "USER": os.environ.get("USER", "root"),
            "LOGNAME": os.environ.get("LOGNAME", os.environ.get("USER", "root")),
            "SHELL": "/bin/bash",
            "TERM": "dumb",
            "LANG": "C.UTF-8",
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_DATA_HOME": str(self.home / ".local/share"),
            "NO_COLOR": "1",
            "GIT_CONFIG_NOSYSTEM": "1",
        }
        if os.environ.get("TMPDIR"):
            env["TMPDIR"] = os.environ["TMPDIR"]
        return env

    def approver_env(self) -> dict:
        env = self.base_env()
        for k in AGENT_MARKERS:
            env.pop(k, None)
        return env

    def hook_command(self) -> str:
        cmd = f"gate hook {HOOK_NAME[self.name]}"
        if self.trace_hooks:
            log_path = self.root / "hook-calls.jsonl"
            cmd = f"python3 {self.helper} hook-tee {log_path} -- {cmd}"
        return cmd

    # --- set-up --------------------------------------------------------------------------

    def prepare(self) -> None:
        for d in (self.home, self.work, self.home / ".config/gate"):
            d.mkdir(parents=True, exist_ok=True)
        (self.home / ".config/gate/policy.toml").write_text(GATE_POLICY)
        # A project with an origin that accepts a force push, for the ask check.
        env = self.base_env()
        origin = self.root / "origin.git"
        git = lambda *a, cwd=self.work: subprocess.run(["git", *a], cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: E731
        git("init", "-q", "--bare", str(origin), cwd=self.root)
        git("init", "-q", "-b", "main")
        git("config", "user.email", "e2e@example.com")
        git("config", "user.name", "gate e2e")
        (self.work / "README").write_text("gate agents e2e\n")
        git("add", "README")
        git("commit", "-q", "-m", "init")
        git("remote", "add", "origin", str(origin))
        git("push", "-q", "origin", "main")
        self.write_agent_settings()
        self.register_hooks()

    def write_agent_settings(self) -> None:
        """What the agent needs besides its hooks (before `gate hooks install`, which must keep it)."""

    def register_hooks(self) -> None:
        env = self.base_env()
        has, why = self.gate.has_hooks_command(env)
        if has:
            r = self.gate.run(env, "hooks", "install", HOOK_NAME[self.name], timeout=60)
            text = (r.stdout + r.stderr).decode("utf-8", "replace")
            if r.returncode == 0:
                self.hooks_how = f"`gate hooks install {HOOK_NAME[self.name]}`"
                self.hooks_installed = True
                self.hooks_note = short(text, 200)
                if self.trace_hooks:
                    self.hooks_note += " (--trace-hooks ignored: gate wrote the hooks)"
                return
            self.hooks_note = f"`gate hooks install {HOOK_NAME[self.name]}` exit {r.returncode}: {short(text, 200)}"
        else:
            self.hooks_note = f"no `gate hooks` ({why})"
        self.write_readme_hooks()
        self.hooks_how = "README's configuration, written by hand"

    def write_readme_hooks(self) -> None:
        raise NotImplementedError

    # --- runs ----------------------------------------------------------------------------

    def prompt(self, check: str) -> str:
        return f"gate e2e check `{check}`: run the shell command you are given, then stop."

    def argv(self, check: str, bypass_trust: bool = True) -> list[str]:
        raise NotImplementedError

    def env(self) -> dict:
        return self.base_env()


def merge_json(path: Path, extra: dict) -> None:
    data = {}
    if path.exists():
        data = json.loads(path.read_text() or "{}")
    for k, v in extra.items():
        if isinstance(v, dict) and isinstance(data.get(k), dict):
            data[k].update(v)
        else:
            data[k] = v
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2) + "\n")


class Claude(Agent):
    def write_readme_hooks(self) -> None:
        cmd = self.hook_command()
        hooks = {
            "PreToolUse": [
                {"matcher": "Bash|Write|Edit|MultiEdit|NotebookEdit", "hooks": [{"type": "command", "command": cmd, "timeout": 60}]}
            ],
            "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": cmd}]}],
        }
        if self.trace_hooks:
            # Only to see what Claude Code sends when a command fails; gate's README does not
            # register it (yet).
            hooks["PostToolUseFailure"] = [{"matcher": "Bash", "hooks": [{"type": "command", "command": cmd}]}]
        merge_json(self.home / ".claude/settings.json", {"hooks": hooks})

    def argv(self, check: str, bypass_trust: bool = True) -> list[str]:
        return [str(self.npm_bin / "claude"), "-p", self.prompt(check), "--output-format", "text", "--max-turns", "4"]

    def env(self) -> dict:
        env = self.base_env()
        env.update(
            {
                "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{self.ports['anthropic']}",
                "ANTHROPIC_API_KEY": "sk-ant-gate-e2e-dummy",
                "DISABLE_TELEMETRY": "1",
                "DISABLE_ERROR_REPORTING": "1",
                "DISABLE_AUTOUPDATER": "1",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
                "CLAUDE_CODE_MAX_RETRIES": "1",
                "GATE_HOOK_ASK": "gate",  # asks go to gate's channels (here: `gate approve`)
            }
        )
        return env


class Codex(Agent):
    PROVIDER = "gatee2e"

    def write_readme_hooks(self) -> None:
        cmd = self.hook_command().replace("\\", "\\\\").replace('"', '\\"')
        text = f"""
# gate's hooks, as README.md documents them
[[hooks.PreToolUse]]
matcher = "Bash|apply_patch"

[[hooks.PreToolUse.hooks]]
type = "command"
command = "{cmd}"
timeout = 600

[[hooks.PostToolUse]]
matcher = "Bash"

[[hooks.PostToolUse.hooks]]
type = "command"
command = "{cmd}"
"""
        path = self.home / ".codex/config.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as f:
            f.write(text)

    def argv(self, check: str, bypass_trust: bool = True) -> list[str]:
        base = f"http://127.0.0.1:{self.ports['openai']}/v1"
        p = self.PROVIDER
        overrides = [
            f'model_provider="{p}"',
            f'model_providers.{p}.name="gate e2e fake"',
            f'model_providers.{p}.base_url="{base}"',
            f'model_providers.{p}.wire_api="responses"',
            f'model_providers.{p}.env_key="GATE_E2E_OPENAI_KEY"',
            f"model_providers.{p}.request_max_retries=0",
            f"model_providers.{p}.stream_max_retries=0",
            'model="gpt-5.5"',
            "check_for_update_on_startup=false",
        ]
        argv = [str(self.npm_bin / "codex"), "exec", "--skip-git-repo-check", "--sandbox", "danger-full-access", "--color", "never"]
        if bypass_trust:
            argv.append("--dangerously-bypass-hook-trust")
        for o in overrides:
            argv += ["-c", o]
        return argv + [self.prompt(check)]

    def env(self) -> dict:
        env = self.base_env()
        env["GATE_E2E_OPENAI_KEY"] = "sk-gate-e2e-dummy"
        return env


class Gemini(Agent):
    def write_agent_settings(self) -> None:
        merge_json(
            self.home / ".gemini/settings.json",
            {
                # An API key (GEMINI_API_KEY) at GOOGLE_GEMINI_BASE_URL; without this the base
                # URL alone selects the "gateway" auth, which headless runs reject.
                "security": {"auth": {"selectedType": "gemini-api-key"}},
                "privacy": {"usageStatisticsEnabled": False},
                "telemetry": {"enabled": False},
                "general": {"disableAutoUpdate": True, "disableUpdateNag": True},
            },
        )

    def write_readme_hooks(self) -> None:
        cmd = self.hook_command()
        hooks = {
            "BeforeTool": [
                {"matcher": "run_shell_command|write_file|replace", "hooks": [{"name": "gate", "type": "command", "command": cmd, "timeout": 600000}]}
            ]
        }
        if self.trace_hooks:
            # Only to see what Gemini CLI sends after a tool; gate's README does not register it.
            hooks["AfterTool"] = [{"matcher": "run_shell_command", "hooks": [{"name": "gate-after", "type": "command", "command": cmd, "timeout": 60000}]}]
        merge_json(self.home / ".gemini/settings.json", {"hooksConfig": {"enabled": True}, "hooks": hooks})

    def argv(self, check: str, bypass_trust: bool = True) -> list[str]:
        return [
            str(self.npm_bin / "gemini"),
            "-p",
            self.prompt(check),
            "--approval-mode",
            "yolo",
            # a trusted folder: in an untrusted one a headless run drops yolo and exits 55
            "--skip-trust",
            "-m",
            "gemini-2.5-flash",
            "-o",
            "text",
        ]

    def env(self) -> dict:
        env = self.base_env()
        env.update(
            {
                "GEMINI_API_KEY": "gate-e2e-dummy-key",
                "GOOGLE_GEMINI_BASE_URL": f"http://127.0.0.1:{self.ports['gemini']}",
            }
        )
        return env


AGENT_CLASSES = {"claude": Claude, "codex": Codex, "gemini": Gemini}


# --------------------------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------------------------


@dataclass
class Result:
    agent: str
    check: str
    ok: bool
    seen: str


@dataclass
class Run:
    rc: int | None
    timed_out: bool
    seconds: float
    out: str
    err: str
    requests: list[dict]
    approvals: list[str]
    leftovers: list[str]


class Runner:
    def __init__(self, args, state: FakeState, gate: Gate, ports: dict):
        self.args = args
        self.state = state
        self.gate = gate
        self.ports = ports
        self.deadline = time.time() + args.budget
        self.results: list[Result] = []

    def remaining(self) -> float:
        return self.deadline - time.time()

    def add(self, agent: str, check: str, ok: bool, seen: str) -> None:
        r = Result(agent, check, ok, seen)
        self.results.append(r)
        print(f"{'PASS' if ok else 'FAIL'}: {agent} {check}: {seen}", flush=True)

    # one agent run with the fakes set to `command`
    def run_agent(self, agent: Agent, check: str, command: str, approve_token: str | None = None, bypass_trust: bool = True) -> Run:
        rundir = agent.root / "runs" / check
        rundir.mkdir(parents=True, exist_ok=True)
        api_log = rundir / "api-requests.jsonl"
        api_log.write_text("")
        with self.state.lock:
            self.state.scenario = Scenario(agent.name, check, command, api_log)
        timeout = max(1.0, min(self.args.agent_timeout, self.remaining()))
        out_path, err_path = rundir / "stdout.txt", rundir / "stderr.txt"
        approvals: list[str] = []
        start = time.time()
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            p = subprocess.Popen(
                agent.argv(check, bypass_trust=bypass_trust),
                cwd=agent.work,
                env=agent.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                start_new_session=True,
            )
            timed_out = False
            approved: set[str] = set()
            while True:
                try:
                    p.wait(timeout=0.5)
                    break
                except subprocess.TimeoutExpired:
                    pass
                if time.time() - start > timeout:
                    timed_out = True
                    kill_group(p)
                    break
                if approve_token:
                    for req in self.gate.pending_json(agent.approver_env()):
                        rid = str(req.get("id", ""))
                        if rid and rid not in approved and approve_token in json.dumps(req):
                            approved.add(rid)
                            code, text = self.gate.approve_on_pty(agent.approver_env(), rid)
                            approvals.append(f"`gate approve {rid}` on a pty: exit {code}: {short(text, 200)}")
                            log(f"{agent.name} {check}: approved {rid} from a pty (exit {code})")
            # the agent's group, and anything it left behind (reparented here: a subreaper)
            kill_group(p)
            leftovers = kill_descendants()
        with self.state.lock:
            self.state.scenario = None
        reqs = [json.loads(l) for l in api_log.read_text().splitlines() if l.strip()]
        return Run(
            rc=None if timed_out else p.returncode,
            timed_out=timed_out,
            seconds=time.time() - start,
            out=out_path.read_text(errors="replace"),
            err=err_path.read_text(errors="replace"),
            requests=reqs,
            approvals=approvals,
            leftovers=leftovers,
        )

    @staticmethod
    def describe_run(run: Run) -> str:
        left = f" (left behind, ended: {'; '.join(run.leftovers)})" if run.leftovers else ""
        if run.timed_out:
            return f"agent TIMED OUT (hung) after {run.seconds:.0f}s and was killed{left}"
        return f"agent exit {run.rc} in {run.seconds:.0f}s{left}"

    def finish(self, agent: Agent, check: str, ok: bool, seen: str, run: Run, show_output: bool) -> None:
        """One check's line: a hung or failing agent is a FAIL, shown with its output."""
        seen = f"{seen}; {self.describe_run(run)}"
        if show_output or run.timed_out or run.rc != 0:
            seen += f"; stdout: {short(run.out, 200)!r}; stderr tail: {short(run.err[-1200:], 300)!r}"
        self.add(agent.name, check, ok and not run.timed_out, seen)

    def ledger_entry(self, agent: Agent, command: str) -> dict | None:
        entries = [e for e in self.gate.log_json(agent.approver_env()) if e.get("script") == command or command in json.dumps(e.get("command"))]
        return entries[0] if entries else None  # newest first

    @staticmethod
    def ledger_text(e: dict | None) -> str:
        if e is None:
            return "ledger: no request for this command"
        rules = ",".join(r.get("rule", "?") for r in e.get("rules") or [])
        appr = ",".join(f"{a.get('verdict')} by {a.get('approver')} via {a.get('channel')}" for a in e.get("approvals") or [])
        parts = [f"ledger {e.get('id')}: decision={e.get('decision')}", f"status={e.get('status')}", f"exit_code={e.get('exit_code')}"]
        if rules:
            parts.append(f"rules={rules}")
        if appr:
            parts.append(f"approvals=[{appr}]")
        return " ".join(parts)

    @staticmethod
    def model_requests(run: Run) -> list[dict]:
        """The agent's requests to its model API (not its side calls, not other endpoints)."""
        out = []
        for r in run.requests:
            b = r.get("body") or {}
            if r.get("method") != "POST" or not isinstance(b, dict):
                continue
            if r["api"] == "anthropic" and any(t.get("name") == "Bash" for t in b.get("tools") or [] if isinstance(t, dict)):
                out.append(r)
            elif r["api"] == "openai" and r["path"].split("?")[0].endswith("/responses"):
                out.append(r)
            elif r["api"] == "gemini" and "run_shell_command" in json.dumps(b.get("tools") or []):
                out.append(r)
        return out

    def tool_result_text(self, run: Run) -> str:
        """What the agent sent its model back as the tool's result (the request after the call)."""
        reqs = self.model_requests(run)
        texts = []
        for r in reqs[1:]:
            b = r["body"]
            if r["api"] == "anthropic":
                for m in b.get("messages") or []:
                    c = m.get("content")
                    if isinstance(c, list):
                        texts += [json.dumps(x.get("content")) for x in c if isinstance(x, dict) and x.get("type") == "tool_result"]
            elif r["api"] == "openai":
                texts += [json.dumps(i.get("output")) for i in b.get("input") or [] if isinstance(i, dict) and i.get("type", "").endswith("_output")]
            else:
                for c in b.get("contents") or []:
                    texts += [json.dumps(p["functionResponse"]) for p in c.get("parts") or [] if isinstance(p, dict) and "functionResponse" in p]
        return "\n".join(texts)

    def tool_called(self, run: Run) -> bool:
        return len(self.model_requests(run)) >= 1

    # --- the checks ----------------------------------------------------------------------

    def check_allow(self, agent: Agent) -> None:
        cmd = "echo gate-e2e-hello"
        run = self.run_agent(agent, "allow", cmd)
        e = self.ledger_entry(agent, cmd)
        result = self.tool_result_text(run)
        # Codex gives its hooks no exit code (PostToolUse comes for failures too, with the
        # output only): gate records the code as unknown, never as 0.
        want = None if agent.name == "codex" else 0
        ok = e is not None and e.get("decision") == "allow" and e.get("status") == "ran" and e.get("exit_code") == want
        output_seen = "gate-e2e-hello" in result
        seen = f"{self.ledger_text(e)} (want status=ran exit_code={want}); command output {'returned' if output_seen else 'NOT returned'} to the model"
        self.finish(agent, "allow", ok and output_seen, seen, run, show_output=e is None or not output_seen)

    def check_fail(self, agent: Agent) -> None:
        cmd = "sh -c 'exit 3'"
        run = self.run_agent(agent, "fail", cmd)
        e = self.ledger_entry(agent, cmd)
        want = None if agent.name == "codex" else 3
        ok = e is not None and e.get("status") == "ran" and e.get("exit_code") == want
        seen = f"{self.ledger_text(e)} (want status=ran exit_code={want})"
        self.finish(agent, "fail-exit-code", ok, seen, run, show_output=e is None)

    def check_deny(self, agent: Agent) -> None:
        marker = agent.work / "deny.marker"
        cmd = f"rm -rf /gate-e2e-absent-{os.getpid()}; touch {marker}"
        run = self.run_agent(agent, "deny", cmd)
        e = self.ledger_entry(agent, cmd)
        result = self.tool_result_text(run)
        reason = "gate denied" in result or "fs.rm-root" in result
        ran = marker.exists()
        ok = not ran and e is not None and e.get("decision") == "deny" and e.get("status") == "denied" and reason
        seen = (
            f"marker {'CREATED (the command ran)' if ran else 'absent'}; {self.ledger_text(e)}; "
            f"next model request {'carries' if reason else 'does NOT carry'} gate's reason"
        )
        if result:
            seen += f" ({short(result, 160)!r})"
        self.finish(agent, "deny", ok, seen, run, show_output=not ok)

    def check_ask(self, agent: Agent) -> None:
        marker = agent.work / "ask.marker"
        cmd = f"git push --force origin main && touch {marker}"
        c = self.gate.run(agent.approver_env(), "check", "--shell", cmd, timeout=30)
        if c.returncode != 1:
            self.add(agent.name, "ask-approve", False, f"`gate check --shell {cmd!r}` exit {c.returncode}, not 1 (ask): the policy does not ask about it")
            return
        run = self.run_agent(agent, "ask", cmd, approve_token="git push --force origin main")
        e = self.ledger_entry(agent, cmd)
        ran = marker.exists()
        approved = e is not None and any(a.get("verdict") in ("approve", "approved") for a in e.get("approvals") or [])
        ok = ran and e is not None and e.get("decision") == "ask" and approved and e.get("status") == "ran"
        approvals = "; ".join(run.approvals) or "no pending request was found to approve"
        seen = f"{approvals}; marker {'created' if ran else 'ABSENT'}; {self.ledger_text(e)}"
        self.finish(agent, "ask-approve", ok, seen, run, show_output=e is None or not run.approvals)

    def check_wrapped(self, agent: Agent) -> None:
        marker = agent.work / "wrapped.marker"
        cmd = f"env sh -c 'rm -rf /gate-e2e-absent-{os.getpid()}; touch {marker}'"
        run = self.run_agent(agent, "wrapped", cmd)
        e = self.ledger_entry(agent, cmd)
        ran = marker.exists()
        ok = not ran and e is not None and e.get("decision") == "deny" and e.get("status") == "denied"
        seen = f"marker {'CREATED (the command ran)' if ran else 'absent'}; {self.ledger_text(e)}"
        self.finish(agent, "wrapped-deny", ok, seen, run, show_output=not ok)

    def check_hooks(self, agent: Agent) -> None:
        seen = f"hooks registered by {agent.hooks_how}; {agent.hooks_note}"
        ok = agent.hooks_installed
        if agent.hooks_installed and agent.name == "codex":
            # `gate hooks install codex` should leave the hooks trusted: a run without
            # --dangerously-bypass-hook-trust must still reach gate.
            cmd = "echo gate-e2e-trusted"
            run = self.run_agent(agent, "trust", cmd, bypass_trust=False)
            e = self.ledger_entry(agent, cmd)
            ok = e is not None
            seen += f"; without --dangerously-bypass-hook-trust: {'gate saw the command' if e else 'gate NEVER saw the command (hook untrusted, skipped)'} ({self.describe_run(run)})"
        self.add(agent.name, "hooks-install", ok, seen)


CHECKS = ("allow", "fail", "deny", "ask", "wrapped")


class Stopped(Exception):
    pass


def on_signal(signum, _frame):
    raise Stopped(f"stopped by signal {signum}")


def cmd_run(args) -> int:
    become_subreaper()
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGHUP, on_signal)
    root = Path(args.workdir).resolve()
    root.mkdir(parents=True, exist_ok=True)
    gate_bin = Path(args.gate).resolve()
    bindir = root / "bin"
    bindir.mkdir(exist_ok=True)
    link = bindir / "gate"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(gate_bin)
    gate = Gate(gate_bin, bindir)

    state = FakeState(root)
    servers = {
        "anthropic": start_fake(AnthropicHandler, state),
        "openai": start_fake(OpenAIHandler, state),
        "gemini": start_fake(GeminiHandler, state),
    }
    ports = {k: s.server_address[1] for k, s in servers.items()}
    log(f"fake APIs on 127.0.0.1: {ports}; every request logged to {state.all_log}")
    runner = Runner(args, state, gate, ports)
    skipped = [a.split("=", 1) for a in args.skip]
    for name, why in skipped:
        print(f"SKIP: {name}: {why}", flush=True)
    failed_installs = dict(a.split("=", 1) for a in args.install_failed)
    for name, why in failed_installs.items():
        runner.add(name, "install", False, why)
    agents = [a for a in args.agents.split(",") if a and a not in {n for n, _ in skipped} and a not in failed_installs]
    only = set(args.checks.split(",")) if args.checks else set(CHECKS) | {"hooks"}
    try:
        run_all(runner, args, root, gate, ports, agents, only)
    except Stopped as e:
        runner.add("-", "run", False, f"{e}: the checks not reported above did not run")
    finally:
        left = kill_descendants()
        for s in servers.values():
            s.shutdown()
            s.server_close()
        if left:
            log(f"ended {len(left)} leftover process(es): {left}")
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGHUP, signal.SIG_DFL)
    return summary(runner, skipped, root)


def run_all(runner: Runner, args, root: Path, gate: Gate, ports: dict, agents: list[str], only: set[str]) -> None:
    for name in agents:
        npm_bin = Path(args.npm_bin[name]) if name in args.npm_bin else None
        if npm_bin is None:
            runner.add(name, "install", False, "no npm bin directory given")
            continue
        agent = AGENT_CLASSES[name](name, root / name, npm_bin, gate, ports, args.trace_hooks, Path(__file__).resolve())
        try:
            agent.prepare()
        except Exception as e:  # noqa: BLE001
            runner.add(name, "setup", False, f"setting up {name} failed: {e!r}")
            continue
        log(f"{name}: HOME={agent.home}, hooks by {agent.hooks_how}")
        for check in ("hooks", *CHECKS):
            if check not in only:
                continue
            if runner.remaining() < 10:
                runner.add(name, check, False, f"not run: the time budget ({args.budget:.0f}s) is used up")
                continue
            log(f"{name}: {check}")
            if check == "hooks":
                runner.check_hooks(agent)
            else:
                getattr(runner, f"check_{check}")(agent)


def summary(runner: Runner, skipped: list, root: Path) -> int:
    print()
    print("Summary")
    w = max([len(r.check) for r in runner.results] + [5])
    print(f"{'agent':<7} {'check':<{w}} result  seen")
    for name, why in skipped:
        print(f"{name:<7} {'-':<{w}} SKIP    {short(why, 300)}")
    for r in runner.results:
        print(f"{r.agent:<7} {r.check:<{w}} {'PASS' if r.ok else 'FAIL'}    {short(r.seen, 400)}")
    fails = sum(not r.ok for r in runner.results)
    print(f"details: {root} (kept with --keep)")
    print(f"e2e: {len(runner.results) - fails} passed, {fails} failed, {len(skipped)} skipped")
    return 1 if fails else 0


def cmd_hook_tee(args) -> int:
    data = sys.stdin.buffer.read()
    p = subprocess.run(args.hook_cmd, input=data, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        parsed = json.loads(data)
    except Exception:  # noqa: BLE001
        parsed = data.decode("utf-8", "replace")
    with open(args.log, "a", encoding="utf-8") as f:
        f.write(json.dumps({"time": time.time(), "input": parsed, "stdout": p.stdout.decode("utf-8", "replace"), "stderr": p.stderr.decode("utf-8", "replace"), "exit": p.returncode}) + "\n")
    sys.stdout.buffer.write(p.stdout)
    sys.stderr.buffer.write(p.stderr)
    return p.returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the checks")
    r.add_argument("--workdir", required=True, help="a temporary directory for homes, logs and fakes")
    r.add_argument("--gate", required=True, help="the gate binary")
    r.add_argument("--agents", default=",".join(AGENTS))
    r.add_argument("--npm-bin", action="append", default=[], metavar="AGENT=DIR", help="where an agent's executable is")
    r.add_argument("--skip", action="append", default=[], metavar="AGENT=WHY", help="an agent npm could not install for want of a registry")
    r.add_argument("--install-failed", action="append", default=[], metavar="AGENT=WHY", help="an agent npm failed to install otherwise (a FAIL)")
    r.add_argument("--checks", default="", help=f"a comma-separated subset of: hooks,{','.join(CHECKS)}")
    r.add_argument("--agent-timeout", type=float, default=120)
    r.add_argument("--budget", type=float, default=780, help="seconds for all agent runs together")
    r.add_argument(
        "--trace-hooks",
        action="store_true",
        help="record every hook call's input and answer in AGENT/hook-calls.jsonl (hand-written hooks only; also registers "
        "Claude Code's PostToolUseFailure and Gemini CLI's AfterTool, to see what they send)",
    )
    t = sub.add_parser("hook-tee", help=argparse.SUPPRESS)
    t.add_argument("log")
    t.add_argument("hook_cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    if args.cmd == "hook-tee":
        cmd = args.hook_cmd
        args.hook_cmd = cmd[1:] if cmd and cmd[0] == "--" else cmd
        return cmd_hook_tee(args)
    args.npm_bin = dict(x.split("=", 1) for x in args.npm_bin)
    return cmd_run(args)


if __name__ == "__main__":
    sys.exit(main())
