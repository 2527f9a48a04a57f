"""The pages say every API error code in Korean: static/js/i18n.js's `code.*` table covers
exactly the backend's ERROR_CODES, and each message only names params that code's errors carry
(README's Errors table lists them), so no Korean sentence shows a raw {placeholder}."""

from __future__ import annotations

import re
from pathlib import Path

from app.api.errors import ERROR_CODES

ROOT = Path(__file__).resolve().parents[2]
KOREAN = re.compile(r'^\s*"code\.(\w+)":\s*"([^"]*)",\s*$', re.MULTILINE)
README_ROW = re.compile(r"^\| \d{3} \| `(\w+)` \| [^|]* \| ([^|]*) \|$", re.MULTILINE)


def korean_codes() -> dict[str, str]:
    source = (ROOT / "static" / "js" / "i18n.js").read_text(encoding="utf-8")
    korean = source[source.index("  ko: {") :]
    found = KOREAN.findall(korean)
    assert len(found) == len(dict(found)), "a code is listed twice"
    return dict(found)


def documented_params() -> dict[str, set[str]]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    errors = readme[readme.index("### Errors") :]
    return {
        code: set(re.findall(r"`(\w+)`", params)) for code, params in README_ROW.findall(errors)
    }


def test_every_backend_code_has_a_korean_message() -> None:
    missing = sorted(set(ERROR_CODES) - set(korean_codes()))
    assert missing == [], f"codes without a Korean message in static/js/i18n.js: {missing}"


def test_no_korean_message_for_a_code_the_backend_does_not_have() -> None:
    stale = sorted(set(korean_codes()) - set(ERROR_CODES))
    assert stale == [], f"Korean messages for codes the API never sends: {stale}"


def test_korean_messages_name_only_params_their_code_carries() -> None:
    params = documented_params()
    for code, text in korean_codes().items():
        named = set(re.findall(r"\{(\w+)\}", text))
        assert named <= params.get(code, set()), (code, named, params.get(code))
