"""Schemathesis against the API's own OpenAPI document: no input gives a 500.

The document is read from the app (``/api/openapi.json``) and every operation is
called in-process through the WSGI app (no server), with a Harbin office
manager's token, on SQLite and PostgreSQL. Schemathesis generates valid and
invalid input from the schemas (NUL characters, lone surrogates, huge numbers,
odd dates, wrong types, missing and extra fields); each answer must not be a
server error, and every refusal must be the API's JSON error
(``{"code", "message", "errors"}``). Half the generated ticket ids and serials
are swapped for real ones, so the steps meet real tickets in whatever state the
earlier examples left them. The examples are bounded and derandomised: the run
is the same every time and takes seconds.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from backoffice.services import tickets, tokens
from backoffice.services.tickets import Report

#: examples per operation and mode (16 operations, valid and invalid input, two databases)
EXAMPLES = 15
#: generate and run; no shrinking (a failure is reported with the example as it came)
PHASES = (Phase.explicit, Phase.generate)


@pytest.fixture
def known(world):
    """A Harbin manager's token and three of Harbin's tickets."""
    manager = world.users["harbin_manager"]
    opened = [tickets.open_ticket(manager, Report(summary=f"alarm {n}", serial="SN-HRB-0001"))
              for n in range(3)]
    return {"token": tokens.create(manager, "schemathesis").secret,
            "ticket_ids": [t.id for t in opened]}


def an_api_error(ctx, response, case):
    """A refusal is the API's JSON error, never an HTML page or an empty body."""
    if response.status_code < 400:
        return
    content_type = response.headers.get("content-type", [""])[0]
    assert content_type.startswith("application/json"), \
        f"{response.status_code} is not JSON: {response.text[:200]!r}"
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert isinstance(body["code"], str) and body["code"] and body["message"], body
    assert all(isinstance(v, list) and all(isinstance(m, str) for m in v)
               for v in body["errors"].values()), body
    return


def _real_ones(case, known) -> None:
    """Swap about half the generated ids, serials and usernames for real ones, and drop
    half the generated times (mostly in the future or years ago), so that valid input
    also reaches the services' success paths."""
    path = case.path_parameters or {}
    if isinstance(path.get("ticket_id"), int) and path["ticket_id"] % 2 == 0:
        path["ticket_id"] = known["ticket_ids"][path["ticket_id"] // 2 % 3]
    if isinstance(path.get("serial"), str) and len(path["serial"]) % 2 == 0:
        path["serial"] = "SN-HRB-0001"
    body = case.body if isinstance(case.body, dict) else {}
    for name, real in (("serial", "SN-HRB-0001"), ("engineer", "harbin_engineer")):
        if isinstance(body.get(name), str) and len(body[name]) % 2 == 0:
            body[name] = real
    for name in ("received", "at", "planned_arrival"):
        if isinstance(body.get(name), str) and len(body[name]) % 2 == 0:
            del body[name]


def test_no_input_gives_a_server_error(app, known):
    """Every operation of the document, valid and invalid input alike."""
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = {"Authorization": f"Bearer {known['token']}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 15, [op.label for op in operations]
    failures = []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                      suppress_health_check=list(HealthCheck), phases=PHASES)
            def run(case):
                _real_ones(case, known)
                case.call_and_validate(headers=headers,
                                       checks=[not_a_server_error, an_api_error])
            try:
                run()
            except Exception as exc:  # noqa: BLE001 - every operation's failure is reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
    assert failures == []
