"""Locust load test for Parley: chat (streamed and not, time to first token), conversations the server keeps, and
OpenAI batches, against one silo or a cluster's front end.

    PARLEY_KEY=<user key> locust -f bench/locust/locustfile.py --headless -u 32 -r 8 -t 60s \
        --host http://127.0.0.1:8080 --csv /tmp/parley-locust

Settings (environment): PARLEY_KEY (required: a user key), PARLEY_MODEL (parley-sim), PARLEY_MAX_TOKENS (32),
PARLEY_BATCH_LINES (20), PARLEY_BATCH_POLL_SECONDS (1), PARLEY_BATCH_TIMEOUT_SECONDS (300). User classes and weights:
ChatUser 6, ConversationUser 3, BatchUser 1 (pick some with `locust ... ChatUser ConversationUser`).

Besides each route, the statistics carry three measured entries: "TTFT" (time to the first streamed content, ms),
"stream total" (the whole streamed answer), and "batch completed" (upload to downloaded output).
A failure is any non-2xx answer, a stream without [DONE], or a batch that did not complete with every line answered.
"""

import json
import os
import time
import uuid

from locust import HttpUser, between, events, task

KEY = os.environ.get("PARLEY_KEY", "")
MODEL = os.environ.get("PARLEY_MODEL", "parley-sim")
MAX_TOKENS = int(os.environ.get("PARLEY_MAX_TOKENS", "32"))
BATCH_LINES = int(os.environ.get("PARLEY_BATCH_LINES", "20"))
BATCH_POLL_SECONDS = float(os.environ.get("PARLEY_BATCH_POLL_SECONDS", "1"))
BATCH_TIMEOUT_SECONDS = float(os.environ.get("PARLEY_BATCH_TIMEOUT_SECONDS", "300"))

PROMPTS = [
    "Write a two-line slogan for a bicycle shop.",
    "Summarise the plot of Hamlet in one sentence.",
    "请用一句话介绍长城。",
    "List three uses of a paperclip.",
]


@events.init.add_listener
def _require_key(environment, **_):
    if not KEY:
        raise SystemExit("locustfile: set PARLEY_KEY to a Parley user key (see the README)")


def _headers(extra=None):
    headers = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}
    if extra:
        headers.update(extra)
    return headers


def _fire(environment, name, started, length=0, exception=None):
    environment.events.request.fire(
        request_type="METRIC", name=name, response_time=(time.perf_counter() - started) * 1000,
        response_length=length, exception=exception, context={})


class ChatUser(HttpUser):
    """Stateless chat completions, every other one streamed."""

    weight = 6
    wait_time = between(0.1, 0.5)

    def _body(self, stream):
        body = {"model": MODEL, "max_tokens": MAX_TOKENS,
                "messages": [{"role": "user", "content": PROMPTS[int(time.time() * 1000) % len(PROMPTS)]}]}
        if stream:
            body["stream"] = True
            body["stream_options"] = {"include_usage": True}
        return body

    @task
    def chat(self):
        with self.client.post("/v1/chat/completions", json=self._body(False), headers=_headers(),
                              name="chat", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
            elif not response.json().get("choices"):
                response.failure("no choices")

    @task
    def chat_stream(self):
        started = time.perf_counter()
        first = None
        done = False
        with self.client.post("/v1/chat/completions", json=self._body(True), headers=_headers(),
                              name="chat (stream)", stream=True, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            for line in response.iter_lines():
                if not line.startswith(b"data: "):
                    continue
                data = line[6:]
                if data == b"[DONE]":
                    done = True
                    break
                chunk = json.loads(data)
                if first is None and any(c.get("delta", {}).get("content") for c in chunk.get("choices", [])):
                    first = time.perf_counter()
                    _fire(self.environment, "TTFT", started)
            if not done:
                response.failure("stream ended without [DONE]")
                return
        _fire(self.environment, "stream total", started)


class ConversationUser(HttpUser):
    """Continues a conversation of its own that the server keeps; each turn carries an Idempotency-Key."""

    weight = 3
    wait_time = between(0.2, 1.0)

    def on_start(self):
        self.conversation = None
        self.turns = 0
        with self.client.post("/v1/conversations", json={"model": MODEL, "metadata": {"source": "locust"}},
                              headers=_headers(), name="conversation create", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            self.conversation = response.json()["id"]

    @task(5)
    def turn(self):
        if self.conversation is None:
            self.on_start()
            return
        self.turns += 1
        body = {"model": MODEL, "conversation": self.conversation, "max_tokens": MAX_TOKENS,
                "messages": [{"role": "user", "content": f"Turn {self.turns}: {PROMPTS[self.turns % len(PROMPTS)]}"}]}
        with self.client.post("/v1/chat/completions", json=body, headers=_headers({"Idempotency-Key": str(uuid.uuid4())}),
                              name="conversation turn", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")

    @task(1)
    def history(self):
        if self.conversation is None:
            return
        with self.client.get(f"/v1/conversations/{self.conversation}/items?order=desc&limit=20", headers=_headers(),
                             name="conversation items", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")


class BatchUser(HttpUser):
    """Uploads a JSONL file, creates an OpenAI batch, polls it until it ends, and downloads its output."""

    weight = 1
    wait_time = between(1, 3)

    @task
    def batch(self):
        started = time.perf_counter()
        lines = "\n".join(json.dumps({
            "custom_id": f"line-{i}", "method": "POST", "url": "/v1/chat/completions",
            "body": {"model": MODEL, "max_tokens": MAX_TOKENS, "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}]},
        }) for i in range(BATCH_LINES)) + "\n"
        auth = {"Authorization": f"Bearer {KEY}"}
        with self.client.post("/v1/files", files={"file": ("locust.jsonl", lines, "application/jsonl")}, data={"purpose": "batch"},
                              headers=auth, name="files upload", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            file_id = response.json()["id"]
        with self.client.post("/v1/batches", json={"input_file_id": file_id, "endpoint": "/v1/chat/completions", "completion_window": "24h"},
                              headers=_headers(), name="batches create", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            batch = response.json()
        deadline = time.perf_counter() + BATCH_TIMEOUT_SECONDS
        while batch["status"] not in ("completed", "failed", "expired", "cancelled"):
            if time.perf_counter() > deadline:
                _fire(self.environment, "batch completed", started, exception=TimeoutError(f"batch {batch['id']} still {batch['status']}"))
                return
            time.sleep(BATCH_POLL_SECONDS)
            with self.client.get(f"/v1/batches/{batch['id']}", headers=_headers(), name="batches retrieve", catch_response=True) as response:
                if response.status_code != 200:
                    response.failure(f"{response.status_code}: {response.text[:200]}")
                    return
                batch = response.json()
        counts = batch.get("request_counts", {})
        if batch["status"] != "completed" or counts.get("completed") != BATCH_LINES or not batch.get("output_file_id"):
            _fire(self.environment, "batch completed", started, exception=RuntimeError(f"batch {batch['id']}: {batch['status']} {counts}"))
            return
        with self.client.get(f"/v1/files/{batch['output_file_id']}/content", headers=auth, name="files content", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.text[:200]}")
                return
            answered = sum(1 for line in response.text.splitlines() if line.strip())
            if answered != BATCH_LINES:
                response.failure(f"{answered} output lines for {BATCH_LINES}")
                return
        _fire(self.environment, "batch completed", started, length=BATCH_LINES)
