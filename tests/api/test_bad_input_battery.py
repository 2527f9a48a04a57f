"""No input reaches the last-resort 500: junk from hypothesis and handpicked nasties, over HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.api.errors import ERROR_CODES
from app.apibench import UvicornProcess

POSTS = [
    "/api/v1/models/tiny-text-gru/trace",
    "/api/v1/models/tiny-numbers-lstm/trace",
    "/api/v1/models/tiny-series-birnn/trace",
    "/api/v1/models/tiny-text-bilstm/predict",
    "/api/v1/models/tiny-numbers-lstm/predict",
    "/api/v1/trace",
]
JSON = {"Content-Type": "application/json"}
BATTERY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

# Every code point, lone surrogates included (json.dumps writes them as \\udXXX escapes).
texts = st.text(st.characters(exclude_categories=()), max_size=20)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=25,
)
adhoc_bodies = st.fixed_dictionaries(
    {},
    optional={
        "cell": st.sampled_from(["rnn", "lstm", "gru", "LSTM", ""]) | json_values,
        "input_size": st.integers(-2, 300) | json_values,
        "hidden_size": st.integers(-2, 600) | json_values,
        "num_layers": st.integers(-1, 6) | json_values,
        "bidirectional": st.booleans() | json_values,
        "nonlinearity": st.sampled_from(["tanh", "relu", "sigmoid"]),
        "seed": st.integers(-5, 2**64) | json_values,
        "input": st.lists(st.lists(st.floats(-1e40, 1e40), max_size=4), max_size=6) | json_values,
    },
)


def post(client: httpx.Client, path: str, content: bytes, headers: dict[str, str]) -> int:
    """The status; a 4xx must come in the one error shape, every item with a documented code."""
    response = client.post(path, content=content, headers=headers)
    if 400 <= response.status_code < 500:
        body = response.json()
        assert body["detail"], body
        for item in body["detail"]:
            assert item["code"] in ERROR_CODES, item
            assert isinstance(item["params"], dict), item
    return response.status_code


@BATTERY
@given(path=st.sampled_from(POSTS), value=json_values, key=st.sampled_from(["input", "inputs"]))
def test_junk_json_values_are_never_a_5xx(
    http: httpx.Client, path: str, value: Any, key: str
) -> None:
    content = json.dumps({key: value}, allow_nan=True).encode()
    assert post(http, path, content, JSON) < 500


@BATTERY
@given(path=st.sampled_from(POSTS), value=json_values)
def test_junk_whole_bodies_are_never_a_5xx(http: httpx.Client, path: str, value: Any) -> None:
    assert post(http, path, json.dumps(value, allow_nan=True).encode(), JSON) < 500


@BATTERY
@given(body=adhoc_bodies)
def test_junk_adhoc_networks_are_never_a_5xx(http: httpx.Client, body: dict[str, Any]) -> None:
    assert post(http, "/api/v1/trace", json.dumps(body, allow_nan=True).encode(), JSON) < 500


@BATTERY
@given(path=st.sampled_from(POSTS), content=st.binary(max_size=200))
def test_random_bytes_are_never_a_5xx(http: httpx.Client, path: str, content: bytes) -> None:
    assert post(http, path, content, JSON) < 500


NASTIES: list[Any] = [
    pytest.param(b'{"input": 1e999}', id="overflowing-float"),
    pytest.param(b'{"input": [[1e308, -1e308]]}', id="huge-floats"),
    pytest.param(b'{"input": [[' + b"9" * 5000 + b", 1]]}", id="5000-digit-integer"),
    pytest.param(b'{"input": ' + b"[" * 5000 + b"]" * 5000 + b"}", id="deeply-nested"),
    pytest.param(b'{"input": [' + b"[1, 2]," * 10_000 + b"[1, 2]]}", id="10k-steps"),
    pytest.param(b'{"inputs": [' + b'"a",' * 10_000 + b'"a"]}', id="10k-inputs"),
    pytest.param(b'{"input": "' + "한국어 😀 \u202e \u0000".encode() * 50 + b'"}', id="unicode"),
    pytest.param(b'{"input": "\\ud800"}', id="lone-surrogate"),
    pytest.param(b'{"\\udfff": 1, "input": "a"}', id="lone-surrogate-key"),
    pytest.param(b'{"input": ["\\ud800", 1]}', id="lone-surrogate-in-list"),
    pytest.param(b'{"input": [[1, 2], [3, "\\udfff"]]}', id="lone-surrogate-as-number"),
    pytest.param(b'{"input": "\xff\xfe\xfd"}', id="invalid-utf8"),
    pytest.param(b'{"input": "a film"', id="truncated"),
    pytest.param(b'{"input": "a film"}}}}', id="trailing-garbage"),
    pytest.param(b'{"input": "a", "input": [1]}', id="duplicate-keys"),
    pytest.param(b'{"input": ["1", "2"]}', id="strings-as-numbers"),
    pytest.param(b'{"input": [NaN, Infinity, -Infinity]}', id="nan-literals"),
    pytest.param(b'{"input": null}', id="null"),
    pytest.param(b"\x00\x01\x02", id="binary"),
    pytest.param(b"", id="empty"),
    pytest.param(
        b'{"cell": "lstm", "input_size": 1, "hidden_size": 512, "num_layers": 4,'
        b' "bidirectional": true, "input": [' + b"1," * 1999 + b"1]}",
        id="largest-adhoc",
    ),
]


@pytest.mark.parametrize("content", NASTIES)
@pytest.mark.parametrize("path", POSTS)
def test_handpicked_nasties_are_4xx_or_fine(http: httpx.Client, path: str, content: bytes) -> None:
    assert post(http, path, content, JSON) < 500


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        "",
    ],
)
def test_wrong_content_types_are_4xx(http: httpx.Client, content_type: str) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    for path in POSTS:
        assert post(http, path, b'{"input": "a film"}', headers) < 500


def test_the_battery_never_reached_the_last_resort_handler(
    http: httpx.Client, tiny_server: UvicornProcess
) -> None:
    assert http.get("/healthz").status_code == 200
    assert "unhandled error" not in tiny_server.log()
    assert "Traceback" not in tiny_server.log()
