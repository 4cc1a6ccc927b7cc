"""A bounded, seeded fuzz run over every documented API field and URL parameter (docs/api.md): hostile values
(NUL, lone surrogates, Unicode digits, huge and non-finite numbers, over-long text, wrong JSON types, broken
and deeply nested JSON) must never give a 5xx, and every 4xx must say in Japanese what went wrong.

The generator is a seeded `random.Random`, so a failure names its request and replays exactly."""

from __future__ import annotations

import io
import json
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from wtforms.fields.core import UnboundField

from forms import FORM_CLASSES
from forms.submission import InformationAssetForm, SelfCheckAnswerForm

from .lifecycle import HEARING_OK, PDF, adopt, application, complete, open_task, register

SEED = 20251201
REQUESTS = 400
JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")

HOSTILE_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "²", "٣", "１２", "-1", "0", "-0", "1e308", "1E+30", "-1e308",
    "NaN", "nan", "Infinity", "-Infinity", "sNaN", "1e-400", "1e999999999", "0.25", "24", "9" * 40, "2147483648",
    "9223372036854775808", "0001-01-01", "9999-12-31", "2025-02-30", "2025-07-01", "2100-12-31", "CN", "ZZ",
    "adopt", "y", "<script>alert(1)</script>", "'; DROP TABLE support_case;--", "🎌", "%s%(x)s{0}",
]  # fmt: skip
HOSTILE_OTHER: list[Any] = [
    0, -1, 1.5, 1e308, 10**30, 2**31, 2**63, True, False, None, [], ["CN", "TH"], ["x", ["y"]], {"a": "b"},
    [{"name": "x"}], [{"name": "x"}, "y"], {"": {"": {"": "x"}}},
]  # fmt: skip
RAW_BODIES = [b"{", b"{'a': 1}", b'{"a": }', b"[]", b"[1, 2]", b'"text"', b"1", b"null", b"true", b"\xff\xfe",
              b'{"a": NaN}', b'{"a": Infinity}', b"[" * 5000 + b"]" * 5000, b'{"a":' * 3000 + b"1" + b"}" * 3000,
              b"", b" ", b'{"hours": 1' + b"0" * 5000 + b"}"]  # fmt: skip
ID_TEXT = ["0", "-1", "²", "٣", "１", "2147483647", "2147483648", "9" * 20, "1e3", "+1", "%20" "1", "%00",
           "%ED%A0%80", "FY2025-0001", "FY2025-" + "9" * 40, "x" * 300]  # fmt: skip
QUERY_PARAMS = ["status", "mine", "unclaimed", "role", "country", "stage", "edition", "case", "q", "due", "sort",
                "page", "per_page"]  # fmt: skip
QUERY_VALUES = ["open", "completed", "cancelled", "bogus", "1", "true", "staff", "expert", "CN", "XX", "briefing",
                "FY2025", "FY1999", "overdue", "soon", "due", "-created", "company", "stage", "-due"]  # fmt: skip

BASELINES: dict[str, dict[str, Any]] = {
    "application": application("FY2025", ["CN"], "2025-07-01", company_name="株式会社ファズ"),
    "receipt_confirmation": {"sealed_pdf_confirmed": True, "note": "確認済み"},
    "hearing": HEARING_OK,
    "adoption_decision": {"decision": "reject", "reason": "対象外"},
    "forms_submission": {"assets": [{"name": "製造図面", "category": "technical"}], "self_check": [{"answer": "done"}]},
    "expert_briefing": {"briefing_date": "2025-08-01", "consultation_items": ["A1-1"], "estimated_hours": "10"},
    "plan_confirmation": {
        "start_date": "2025-08-10",
        "end_date": "2026-01-10",
        "schedule": "8月 現状確認",
        "agreed_by_company": True,
        "agreed_by_expert": True,
    },  # fmt: skip
    "service_delivery": {"service_summary": "規程のレビュー", "completed": True},
    "follow_up": {"meeting_date": "2025-12-01", "method": "web", "outcome": "導入済み"},
    "publicity": {
        "publish": True,
        "industry": "精密機器",
        "issues": "課題",
        "support_given": "支援",
        "measures": "対策",
    },
    "hours_entry": {"country": "CN", "work_date": "2025-08-05", "activity": "meeting", "hours": "0.25"},
}
ROW_FIELDS = {"assets": InformationAssetForm, "self_check": SelfCheckAnswerForm}


def field_names(form_class: type) -> list[str]:
    """Every field a form declares (docs/api.md lists the same), rows as `assets`/`self_check`."""
    return sorted(name for name in dir(form_class) if isinstance(getattr(form_class, name, None), UnboundField))


@dataclass
class World:
    """Open tasks of every form, with the user who may act on each."""

    tasks: list[tuple[str, int, str]]  # (form key, task id, username)
    case_id: int
    case_number: str


def build_world(api_as: Any) -> World:
    staff, expert, applicant = api_as("staff"), api_as("expert_cn"), api_as("applicant")
    done = register(staff, "FY2025", ["CN"], "2025-06-20", company_name="株式会社サンプル精機")
    adopt(staff, done["id"])
    assert complete(staff, open_task(staff, done["id"], "forms_submission")["id"],
                    {"form1_file": PDF, "form2_file": PDF}).status_code == 200  # fmt: skip
    steps = [("expert_briefing", expert, BASELINES["expert_briefing"]), ("plan_confirmation", staff, None),
             ("service_delivery", expert, None), ("follow_up", expert, None)]  # fmt: skip
    for form_key, api, payload in steps:
        task = open_task(api, done["id"], form_key, "CN")
        assert complete(api, task["id"], payload or BASELINES[form_key]).status_code == 200
    tasks = [("publicity", open_task(staff, done["id"], "publicity")["id"], "staff")]

    running = register(staff, "FY2025", ["CN", "TH"], "2025-06-21", company_name="株式会社サンプル精機")
    adopt(staff, running["id"])
    tasks.append(("forms_submission", open_task(applicant, running["id"], "forms_submission")["id"], "applicant"))
    assert complete(staff, tasks[-1][1], {"form1_file": PDF, "form2_file": PDF}).status_code == 200
    tasks.append(("expert_briefing", open_task(expert, running["id"], "expert_briefing", "TH")["id"], "expert_cn"))
    task = open_task(expert, running["id"], "expert_briefing", "CN")
    assert complete(expert, task["id"], BASELINES["expert_briefing"]).status_code == 200
    tasks.append(("plan_confirmation", open_task(staff, running["id"], "plan_confirmation", "CN")["id"], "staff"))

    for day, form_key in (("2025-06-22", "adoption_decision"), ("2025-06-23", "hearing"),
                          ("2025-06-24", "receipt_confirmation")):  # fmt: skip
        case = register(staff, "FY2025", ["VN"], day, company_name=f"株式会社{form_key}")
        for step in ("receipt_confirmation", "hearing"):
            if step == form_key:
                break
            payload = {"sealed_pdf_confirmed": True} if step == "receipt_confirmation" else HEARING_OK
            assert complete(staff, open_task(staff, case["id"], step)["id"], payload).status_code == 200
        tasks.append((form_key, open_task(staff, case["id"], form_key)["id"], "staff"))
    return World(tasks=tasks, case_id=running["id"], case_number=running["number"])


# ---------------------------------------------------------------- the generator


def hostile(rng: random.Random) -> Any:
    roll = rng.random()
    if roll < 0.55:
        return rng.choice(HOSTILE_TEXT)
    if roll < 0.85:
        return rng.choice(HOSTILE_OTHER)
    return rng.choice("長a\x00") * rng.choice([99, 101, 201, 301, 501, 1001, 20001])


def mutated(rng: random.Random, form_key: str) -> dict[str, Any]:
    """The form's valid baseline with one to three of its fields (or row fields) given hostile values."""
    payload = json.loads(json.dumps(BASELINES[form_key]))
    names = field_names(FORM_CLASSES[form_key])
    for _ in range(rng.randint(1, 3)):
        name = rng.choice(names)
        if name in ROW_FIELDS and rng.random() < 0.7:
            row = {sub: "x" for sub in field_names(ROW_FIELDS[name])[:2]}
            row[rng.choice(field_names(ROW_FIELDS[name]))] = hostile(rng)
            payload[name] = [row] * rng.choice([1, 2])
        else:
            payload[name] = hostile(rng)
    if rng.random() < 0.1:
        payload[rng.choice(["unknown", "\x00", "\ud800", "a-0-b"])] = hostile(rng)
    return payload


def any_id(rng: random.Random, good: list[str]) -> str:
    return rng.choice(good) if rng.random() < 0.5 else rng.choice(ID_TEXT)


@dataclass
class Call:
    method: str
    path: str
    user: str
    json: Any = None
    raw: bytes | None = None
    form: dict[str, Any] | None = None
    query: dict[str, Any] | None = None


def next_call(rng: random.Random, world: World) -> Call:
    kind = rng.choice(["complete", "complete", "complete", "application", "hours", "reassign", "claim", "list",
                       "show", "raw", "multipart"])  # fmt: skip
    form_key, task_id, actor = rng.choice(world.tasks)
    user = actor if rng.random() < 0.85 else rng.choice(["staff2", "expert_vn", "applicant_other", "admin"])
    case_refs = [str(world.case_id), world.case_number]
    if kind == "complete":
        path = f"/tasks/{task_id if rng.random() < 0.9 else rng.choice(ID_TEXT)}/complete"
        return Call("POST", path, user, json=mutated(rng, form_key))
    if kind == "application":
        return Call(
            "POST", "/applications", rng.choice(["staff", "staff", "applicant"]), json=mutated(rng, "application")
        )
    if kind == "hours":
        path = f"/cases/{any_id(rng, case_refs)}/hours"
        return Call("POST", path, rng.choice(["expert_cn", "expert_cn", "staff"]), json=mutated(rng, "hours_entry"))
    if kind == "reassign":
        body = rng.choice([{"assignee": hostile(rng)}, {"assignee": "staff2"}, hostile(rng)])
        return Call("POST", f"/tasks/{any_id(rng, [str(task_id)])}/reassign", "staff", json=body)
    if kind == "claim":
        return Call("POST", f"/tasks/{any_id(rng, [str(task_id)])}/{rng.choice(['claim', 'unclaim'])}", user)
    if kind == "list":
        query = {rng.choice(QUERY_PARAMS): rng.choice([*QUERY_VALUES, *ID_TEXT, *HOSTILE_TEXT])
                 for _ in range(rng.randint(1, 4))}  # fmt: skip
        return Call("GET", "/tasks", user, query={k: str(v) for k, v in query.items()})
    if kind == "show":
        if rng.random() < 0.5:
            return Call("GET", f"/tasks/{any_id(rng, [str(task_id)])}", user)
        return Call("GET", f"/cases/{any_id(rng, case_refs)}", user)
    if kind == "raw":
        path = rng.choice(["/applications", f"/tasks/{task_id}/complete", f"/tasks/{task_id}/reassign",
                           f"/cases/{world.case_id}/hours"])  # fmt: skip
        return Call("POST", path, rng.choice(["staff", "expert_cn"]), raw=rng.choice(RAW_BODIES))
    form = {k: v for k, v in mutated(rng, form_key).items() if isinstance(v, str | int | float) and v is not True}
    # a post carries UTF-8 bytes: a lone surrogate cannot be sent (the client would fail, not the server)
    form = {_sendable(k): _sendable(str(v)) for k, v in form.items()}
    if rng.random() < 0.3:
        form["sealed_pdf"] = (io.BytesIO(PDF), rng.choice(["a.pdf", "長" * 300 + ".pdf", "\x00.pdf", ".pdf"]))
    return Call("POST", f"/tasks/{task_id}/complete", user, form=form)


def _sendable(text: str) -> str:
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def send(api_as: Any, call: Call) -> Any:
    api = api_as(call.user)
    headers = api._headers()
    url = f"/api/v1{call.path}"
    if call.raw is not None:
        return api.client.post(url, headers=headers, data=call.raw, content_type="application/json")
    if call.form is not None:
        return api.client.post(url, headers=headers, data=call.form, content_type="multipart/form-data")
    if call.method == "GET":
        # a URL cannot carry a lone surrogate: the client sends its UTF-8 bytes, as a browser would
        return api.client.get(url, headers=headers, query_string=urlencode(call.query or {}, errors="surrogatepass"))
    return api.client.post(url, headers=headers, json=call.json)


def fuzz(api_as: Any, count: int = REQUESTS, seed: int = SEED) -> tuple[Counter[int], list[str]]:
    """Sends `count` generated requests; returns the status counts and what went wrong (5xx, a 4xx without a
    Japanese `error`)."""
    world = build_world(api_as)
    rng = random.Random(seed)
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    for number in range(count):
        call = next_call(rng, world)
        try:
            response = send(api_as, call)
        except Exception as exc:  # the test client re-raises what the app did not handle
            statuses[500] += 1
            failures.append(f"#{number} {call}: raised {exc!r}"[:600])
            continue
        statuses[response.status_code] += 1
        body = response.get_json(silent=True)
        if response.status_code >= 500:
            failures.append(f"#{number} {call}: {response.status_code} {response.get_data(as_text=True)[:200]}"[:600])
        elif response.status_code >= 400:
            error = body.get("error") if isinstance(body, dict) else None
            if not isinstance(error, str) or not JAPANESE.search(error):
                failures.append(f"#{number} {call}: {response.status_code} without a Japanese error: {body}"[:600])
    return statuses, failures


def test_fuzzed_requests_never_answer_5xx_and_every_refusal_says_why_in_japanese(app, api_as):
    statuses, failures = fuzz(api_as)
    assert failures == [], f"{len(failures)} bad answers; statuses {dict(statuses)}"
    assert sum(statuses.values()) == REQUESTS
    assert statuses[422] > 0 and statuses[400] > 0 and statuses[404] > 0  # the generator reaches every refusal
