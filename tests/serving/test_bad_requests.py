"""Bad requests get a 4xx, never a 5xx: requests generated from the app's own OpenAPI
(schemathesis), then hand-written ones: malformed JSON, oversized bodies, wrong content types,
path tricks, malformed HTTP, and missing or wrong tokens on a server that has one."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err

from tests.serving.conftest import one_row, server_errors, start_server, stop_server

pytestmark = pytest.mark.slow

TOKEN = "s3cret-token"
JSON = {"content-type": "application/json"}


def _serve_checked(
    model_project: tuple[Path, list[str]], log: Path, env: dict[str, str] | None = None
) -> Iterator[tuple[str, list[str]]]:
    """A server logging to its own SQLite file; once stopped, its stderr must hold no traceback
    (an exception a handler swallowed would not show as a 500)."""
    root, features = model_project
    proc, url = start_server(root, "--log", f"sqlite:///{log}", "--poll", "60", env=env)
    try:
        yield url, features
    finally:
        stop_server(proc)
    errors = server_errors(root, url)
    assert "Traceback" not in errors, f"the server at {url} raised:\n{errors[-4000:]}"


@pytest.fixture(scope="module")
def open_server(
    model_project: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """A server without a token."""
    log = tmp_path_factory.mktemp("bad-requests") / "predictions.db"
    yield from _serve_checked(model_project, log)


@pytest.fixture(scope="module")
def token_server(
    model_project: tuple[Path, list[str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[str]]]:
    """A server with CANDOR_TOKEN set (on loopback, where it is optional but honoured)."""
    log = tmp_path_factory.mktemp("bad-tokens") / "predictions.db"
    yield from _serve_checked(model_project, log, env={"CANDOR_TOKEN": TOKEN})


def _raw(url: str, request: bytes) -> int:
    """Send ``request`` as it is (no client normalises its path or headers); the status code."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as s:
        s.sendall(request)
        head = b""
        while b"\r\n" not in head:
            chunk = s.recv(65536)
            if not chunk:
                break
            head += chunk
    status_line = head.split(b"\r\n", 1)[0].decode(errors="replace")
    assert status_line.startswith("HTTP/1.1 "), f"no HTTP answer: {status_line!r}"
    return int(status_line.split()[1])


# -- generated from the OpenAPI -------------------------------------------------------------------
# Not schemathesis.pytest.from_fixture: schemathesis 4.32 sets the private Node._nodeid, which
# pytest 9.2 no longer has. Each operation's strategy is run with Hypothesis directly instead.
@pytest.mark.parametrize("mode", list(GenerationMode), ids=lambda m: m.value)
def test_no_request_generated_from_the_openapi_gets_a_5xx(
    open_server: tuple[str, list[str]], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_url(f"{open_server[0]}/openapi.json")
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):  # the app's own OpenAPI does not hold together
            raise result.err()
        operations.append(result.ok())
    assert len(operations) >= 3
    failures: dict[str, str] = {}
    for operation in operations:

        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=12,  # per operation and mode: under a minute for both on two busy cores
            deadline=None,
            database=None,  # no .hypothesis folder in the working tree
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def no_5xx(case: schemathesis.Case) -> None:
            response = case.call(timeout=30)
            case.validate_response(response, checks=[not_a_server_error])

        try:
            no_5xx()
        except Unsatisfiable:  # no parameters and no body: nothing to get wrong
            assert mode is GenerationMode.NEGATIVE, operation.label
        except Exception as exc:  # every operation is tried; all failures are reported
            failures[operation.label] = str(exc)
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())


def test_the_openapi_lists_the_routes_the_generated_requests_cover(
    open_server: tuple[str, list[str]],
) -> None:
    paths = httpx.get(f"{open_server[0]}/openapi.json").json()["paths"]
    assert {"/predict", "/health", "/metrics"} <= set(paths)


# -- bodies ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"[",
        b'{"mean radius": 1',
        b"null",
        b"42",
        b'"a row"',
        b"[" * 100_000 + b"]" * 100_000,  # deeper than Python's parser recurses
        b'{"mean radius": "\xff"}',  # not UTF-8
        b'{"mean radius": 1' + b"0" * 5000 + b"}",  # an integer Python will not convert
        b'{"mean radius": 1e999}',  # infinity, spelled as a number
        b'{"mean radius": NaN}',
    ],
    ids=[
        "broken",
        "empty",
        "open-bracket",
        "truncated",
        "null",
        "number",
        "string",
        "deep",
        "not-utf8",
        "huge-int",
        "1e999",
        "nan",
    ],
)
def test_malformed_json_is_a_400_or_422(open_server: tuple[str, list[str]], body: bytes) -> None:
    r = httpx.post(f"{open_server[0]}/predict", content=body, headers=JSON, timeout=60)
    assert r.status_code in (400, 422), r.text[:500]


def test_a_body_over_the_limit_is_a_413(open_server: tuple[str, list[str]]) -> None:
    body = b"[" + b"1," * 3_000_000 + b"1]"
    r = httpx.post(f"{open_server[0]}/predict", content=body, headers=JSON, timeout=60)
    assert r.status_code == 413 and "4,000,000" in r.text


def test_a_chunked_body_over_the_limit_is_a_413(open_server: tuple[str, list[str]]) -> None:
    # no Content-Length: httpx streams a generator with Transfer-Encoding: chunked
    chunks = (part for part in [b'{"mean radius": "', *[b"a" * 1000] * 6000, b'"}'])
    r = httpx.post(f"{open_server[0]}/predict", content=chunks, headers=JSON, timeout=120)
    assert r.status_code == 413, r.text[:300]


def test_a_long_list_under_the_size_limit_gets_a_short_422(
    open_server: tuple[str, list[str]],
) -> None:
    # 20,000 items in 40 kB: each item is validated, and its errors listed, before the
    # 1,000-row limit is checked (a 4 MB body of these takes the server minutes)
    body = b"[" + b"1," * 19_999 + b"1]"
    r = httpx.post(f"{open_server[0]}/predict", content=body, headers=JSON, timeout=120)
    assert r.status_code in (413, 422)
    assert len(r.content) < 100_000, f"a {len(r.content):,}-byte 422 for a {len(body):,}-byte body"


def test_a_huge_finite_value_is_a_422_not_a_500(open_server: tuple[str, list[str]]) -> None:
    url, features = open_server
    row = {**one_row(features), "mean smoothness": 1e308}  # finite, so the schema accepts it
    r = httpx.post(f"{url}/predict", json=row, timeout=30)
    assert r.status_code == 422, r.text


@pytest.mark.parametrize(
    ("content", "headers"),
    [
        ("a=1", {"content-type": "text/plain"}),
        ("<row/>", {"content-type": "application/xml"}),
        ('{"a": 1}', {}),
        ('{"a": 1}', {"content-type": "application/json; charset=latin-1"}),
    ],
    ids=["text", "xml", "none", "json-latin1"],
)
def test_a_wrong_content_type_is_a_4xx(
    open_server: tuple[str, list[str]], content: str, headers: dict[str, str]
) -> None:
    r = httpx.post(f"{open_server[0]}/predict", content=content, headers=headers)
    assert r.status_code in (415, 422), r.text[:300]


def test_form_and_multipart_bodies_are_a_4xx(open_server: tuple[str, list[str]]) -> None:
    url, features = open_server
    form = httpx.post(f"{url}/predict", data={k: "1" for k in features})
    multipart = httpx.post(f"{url}/predict", files={"rows": ("rows.json", b"{}")})
    assert form.status_code in (415, 422) and multipart.status_code in (415, 422)


@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"])
def test_other_methods_on_predict_are_a_405(
    open_server: tuple[str, list[str]], method: str
) -> None:
    assert httpx.request(method, f"{open_server[0]}/predict").status_code == 405


# -- paths and raw HTTP ---------------------------------------------------------------------------
TRICKY_PATHS = [
    "/predict/../health",
    "/predict/%2e%2e/health",
    "/%2e%2e/health",
    "/health/..%2fpredict",
    "//health",
    "/health%00",
    "/static/../openapi.json",
    "/static/%2e%2e/%2e%2e/etc/passwd",
    "/static/..%2f..%2f..%2fetc%2fpasswd",
    "/review/..%2fapi%2fqueue",
    "/kpis/../api/kpis",
]


@pytest.mark.parametrize("path", TRICKY_PATHS)
def test_dot_dot_and_encoded_paths_are_a_4xx(open_server: tuple[str, list[str]], path: str) -> None:
    status = _raw(open_server[0], f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    assert 400 <= status < 500


@pytest.mark.parametrize(
    "path",
    [
        "/health/../predict",  # starts with the one open path
        "/health/%2e%2e/predict",
        "/static/../predict",  # starts with the open static files
        "/static/%2e%2e/predict",
        "/review/../predict",  # starts with a page (pages check a cookie, not the token)
        "/review/..%2fpredict",
        "/kpis/../predict",
        "/api/../predict",
    ],
)
def test_a_path_that_starts_like_an_open_one_does_not_predict_without_the_token(
    token_server: tuple[str, list[str]], path: str
) -> None:
    url, features = token_server
    body = httpx.Request("POST", url, json=one_row(features)).read()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    assert _raw(url, request) in (401, 404, 405)


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        b"POST /predict HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 9999999\r\n\r\n{}",
        b"HELLO\r\n\r\n",
    ],
    ids=["length-not-a-number", "negative-length", "two-lengths", "not-http"],
)
def test_malformed_http_is_a_400(open_server: tuple[str, list[str]], request_bytes: bytes) -> None:
    assert _raw(open_server[0], request_bytes) == 400


# -- tokens ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"authorization": "Bearer wrong"},
        {"authorization": "Bearer"},
        {"authorization": f"Basic {TOKEN}"},
        {"authorization": f"Bearer {TOKEN}x"},
        {"authorization": f"Bearer {TOKEN[:-1]}"},
        {"authorization": b"Bearer \xff\xfe"},  # not ASCII
        {"authorization": "Bearer " + "a" * 8000},
        {"x-candor-token": "wrong"},
    ],
    ids=[
        "none",
        "wrong",
        "bare-scheme",
        "basic",
        "longer",
        "shorter",
        "non-ascii",
        "8k",
        "wrong-header-token",
    ],
)
def test_a_missing_or_wrong_token_is_a_401(
    token_server: tuple[str, list[str]], headers: dict[str, Any]
) -> None:
    url, features = token_server
    r = httpx.post(f"{url}/predict", json=one_row(features), headers=headers)
    assert r.status_code == 401 and "token" in r.json()["detail"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/metrics"),
        ("GET", "/openapi.json"),
        ("GET", "/docs"),
        ("GET", "/api/queue"),
        ("GET", "/api/kpis"),
        ("GET", "/api/review/" + "0" * 32),
        ("POST", "/feedback/" + "0" * 32),
        ("POST", "/api/review/" + "0" * 32),
    ],
)
def test_every_api_route_needs_the_token(
    token_server: tuple[str, list[str]], method: str, path: str
) -> None:
    r = httpx.request(method, f"{token_server[0]}{path}", json={"reason": "x"})
    assert r.status_code == 401


def test_the_right_token_in_either_header_predicts_and_health_needs_none(
    token_server: tuple[str, list[str]],
) -> None:
    url, features = token_server
    assert httpx.get(f"{url}/health").status_code == 200
    for headers in ({"authorization": f"Bearer {TOKEN}"}, {"x-candor-token": TOKEN}):
        r = httpx.post(f"{url}/predict", json=one_row(features), headers=headers)
        assert r.status_code == 200, r.text
