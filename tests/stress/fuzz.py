"""Scenario 5: a seeded fuzz run over every documented endpoint, field and URL parameter (docs/api.md).

The requests are generated from the seed up front (the same seed gives the same requests), then sent by four
clients as staff, experts, an applicant, or with no or a wrong token. Counted by status class; every 5xx is kept
with what was sent, and the server log's exception lines for the run are grouped."""

from __future__ import annotations

import json
import random
import re
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .client import Api, multipart
from .fuzz_values import APPLICATION, COMPLETIONS, HOURS, LIST_PARAMS, POOLS, RAW_BODIES, SHAPES, kind_of
from .servers import Server
from .tally import Tally

CALLERS = [("staff", 50), ("expert_cn", 15), ("expert_vn", 5), ("applicant", 15), ("staff2", 5), (None, 5),
           ("wrong", 5)]  # fmt: skip
ENDPOINTS = [("editions", 3), ("applications", 12), ("tasks", 15), ("task", 8), ("claim", 6), ("reassign", 8),
             ("complete", 25), ("case", 8), ("hours", 15)]  # fmt: skip
ERROR_HEADER = re.compile(r"\] ERROR in \w+: (?:Exception on )?(.*)$")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Overflow\w*|Invalid\w*)): ?(.*)$")


@dataclass(frozen=True)
class FuzzRequest:
    caller: str | None
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = None


@dataclass
class Targets:
    """Real ids to aim at, so that most requests get past the lookup to the decoding and validation."""

    tasks: list[tuple[int, str]]  # (task id, form key)
    cases: list[str]  # ids and numbers


@dataclass
class FuzzResult:
    seed: int = 0
    tally: Tally = field(default_factory=lambda: Tally("fuzz"))
    exceptions: Counter[str] = field(default_factory=Counter)

    def lines(self, listed: int = 200) -> list[str]:
        out = [f"seed {self.seed}: " + self.tally.summary()]
        if self.exceptions:
            out.append(f"server exceptions in the log ({sum(self.exceptions.values())}), by kind:")
            out += [f"  {n:>5} x {text}" for text, n in self.exceptions.most_common(40)]
        errors = self.tally.errors
        if errors:
            out.append(f"every 5xx ({len(errors)}):" if len(errors) <= listed else f"5xx (first {listed} of "
                       f"{len(errors)}; all are in the fuzz-5xx file):")  # fmt: skip
            out += [f"  {e.line()}" for e in errors[:listed]]
        return out


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _w in weighted], [w for _v, w in weighted])[0]


def _hostile(rng: random.Random, kind: str) -> Any:
    pool = POOLS[kind] if rng.random() < 0.7 else POOLS[rng.choice(list(POOLS))]
    return rng.choice(pool)


def _mutated(rng: random.Random, base: dict[str, Any]) -> dict[str, Any]:
    body = json.loads(json.dumps(base))
    for name in rng.sample(list(body), k=min(len(body), rng.choice([1, 1, 1, 2, 3]))):
        body[name] = _hostile(rng, kind_of(name)) if rng.random() < 0.75 else rng.choice(SHAPES)
    if rng.random() < 0.1:
        body[rng.choice(["unknown", "csrf_token", "id", "status", "__proto__"])] = _hostile(rng, "text")
    return body


def _encode(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value)
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _json_body(rng: random.Random, base: dict[str, Any]) -> tuple[bytes, str]:
    roll = rng.random()
    if roll < 0.15:
        return rng.choice(RAW_BODIES), rng.choice(["application/json"] * 4 + ["text/plain"])
    if roll < 0.25:
        return json.dumps(base).encode(), "application/json"
    if roll < 0.35:  # the same mutation as multipart form fields (values as text, lists repeated)
        body = _mutated(rng, base)
        try:
            return multipart(body, {})
        except UnicodeEncodeError:  # a lone surrogate cannot be sent as UTF-8 form data; send it as JSON
            return json.dumps(body).encode(), "application/json"
    return json.dumps(_mutated(rng, base)).encode(), "application/json"


def _task(rng: random.Random, targets: Targets) -> tuple[str, str]:
    if targets.tasks and rng.random() < 0.75:
        task_id, form_key = rng.choice(targets.tasks)
        return str(task_id), form_key
    return _encode(rng.choice(POOLS["id"])), rng.choice(list(COMPLETIONS))


def _case(rng: random.Random, targets: Targets) -> str:
    if targets.cases and rng.random() < 0.7:
        return rng.choice(targets.cases)
    return _encode(rng.choice(POOLS["id"]))


def generate(seed: int, count: int, targets: Targets) -> list[FuzzRequest]:
    rng = random.Random(seed)
    requests = []
    for _ in range(count):
        caller, endpoint = _pick(rng, CALLERS), _pick(rng, ENDPOINTS)
        if endpoint == "editions":
            requests.append(FuzzRequest(caller, "GET", "/editions"))
        elif endpoint == "applications":
            requests.append(FuzzRequest(caller, "POST", "/applications", *_json_body(rng, APPLICATION)))
        elif endpoint == "tasks":
            params = []
            for name in rng.sample(list(LIST_PARAMS), k=rng.randint(1, 4)):
                value = rng.choice(LIST_PARAMS[name]) if rng.random() < 0.4 else _hostile(rng, "id")
                params.append(f"{name}={_encode(value)}")
                if rng.random() < 0.1:
                    params.append(f"{name}={_encode(_hostile(rng, 'text'))[:3000]}")  # repeated parameter
            requests.append(FuzzRequest(caller, "GET", "/tasks?" + "&".join(params)))
        elif endpoint == "task":
            requests.append(FuzzRequest(caller, "GET", f"/tasks/{_task(rng, targets)[0]}"))
        elif endpoint == "claim":
            action = rng.choice(["claim", "unclaim"])
            body = rng.choice([None, b"", b"[]", b"{", json.dumps({"x": 1}).encode()])
            path = f"/tasks/{_task(rng, targets)[0]}/{action}"
            requests.append(FuzzRequest(caller, "POST", path, body, "application/json" if body else None))
        elif endpoint == "reassign":
            assignee = rng.choice(["staff2", "expert_cn", "nobody"]) if rng.random() < 0.3 else _hostile(rng, "shape")
            body, content_type = _json_body(rng, {"assignee": assignee})
            requests.append(
                FuzzRequest(caller, "POST", f"/tasks/{_task(rng, targets)[0]}/reassign", body, content_type)
            )
        elif endpoint == "complete":
            task_id, form_key = _task(rng, targets)
            body, content_type = _json_body(rng, COMPLETIONS[form_key])
            requests.append(FuzzRequest(caller, "POST", f"/tasks/{task_id}/complete", body, content_type))
        elif endpoint == "case":
            requests.append(FuzzRequest(caller, "GET", f"/cases/{_case(rng, targets)}"))
        else:
            body, content_type = _json_body(rng, HOURS)
            requests.append(FuzzRequest(caller, "POST", f"/cases/{_case(rng, targets)}/hours", body, content_type))
    return requests


def targets(staff: Api) -> Targets:
    tasks: list[tuple[int, str]] = []
    cases: set[str] = set()
    for status in ("open", "completed"):
        body = staff.get(f"/tasks?status={status}&per_page=200&sort=-created").json() or {}
        for task in body.get("tasks", []):
            tasks.append((task["id"], task["form_key"]))
            cases.update((str(task["case_id"]), task["case_number"]))
    return Targets(tasks, sorted(cases))


def exception_lines(log: str) -> Counter[str]:
    """The server log's errors, one per logged traceback (its last exception line, so a chained exception is
    counted once), keyed by where it was logged (the route with ids as N, or the logger) and the exception."""
    found: Counter[str] = Counter()
    where, last = "", ""
    for line in [*log.splitlines(), "[end] ERROR in end: "]:
        header = ERROR_HEADER.search(line)
        if header:
            if last:
                found[f"{where}: {last}"] += 1
            where, last = re.sub(r"(?<=[/-])\d+", "N", header.group(1).strip())[:60], ""
            continue
        match = EXCEPTION_LINE.match(line.strip())
        if match:
            last = f"{match.group(1)}: {' '.join(match.group(2).split())[:100]}"
    return found


def run(server: Server, tokens: dict[str, str], seed: int, count: int, clients: int = 4) -> FuzzResult:
    result = FuzzResult(seed=seed)
    requests = generate(seed, count, targets(server.api(tokens["staff"])))
    log_start = server.log_size()

    def send(request: FuzzRequest) -> None:
        token = tokens.get(request.caller or "", "not-a-valid-token") if request.caller else None
        api = server.api(token)
        response = api.request(request.method, request.path, request.body, request.content_type)
        result.tally.add(request.method, request.path[:160], response, request.body or b"")

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(send, requests))
    with server.log_path.open("rb") as log:
        log.seek(log_start)
        result.exceptions = exception_lines(log.read().decode("utf-8", "replace"))
    return result
