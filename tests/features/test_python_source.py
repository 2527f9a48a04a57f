"""Python-source features against hand-labelled snippets: one label character per source
character (`s` in a string, `c` in a comment, digits for depth/indent)."""

from __future__ import annotations

import pytest

from app.features import python_features


def labelled(source: str) -> dict[str, str]:
    """Each feature as a string of one character per source character."""
    out = {}
    for feature in python_features(source):
        if feature.kind == "binary":
            out[feature.name] = "".join("x" if v else "." for v in feature.values)
        else:
            out[feature.name] = "".join(str(int(v)) if v < 10 else "+" for v in feature.values)
    return out


@pytest.mark.parametrize(
    ("source", "strings"),
    [
        pytest.param('a = "b"\n', "....xxx.", id="double-quotes"),
        pytest.param("a = 'it\\'s'\n", "....xxxxxxx.", id="escaped-quote"),
        pytest.param('s = r"\\d"\n', "....xxxxx.", id="raw-prefix"),
        pytest.param('f"{x!r} {y:>3}" + z\n', "xxxxxxxxxxxxxxx.....", id="f-string-whole"),
        pytest.param('"""a\n# b\n"""\nx\n', "xxxxxxxxxxxx...", id="triple-quoted-over-lines"),
        pytest.param(
            "x = 1  # 'not a string'\n", "........................", id="quote-in-comment"
        ),
        pytest.param('b"\\x00" "\\n"\n', "xxxxxxx.xxxx.", id="bytes-then-implicit-concat"),
    ],
)
def test_inside_a_string(source: str, strings: str) -> None:
    assert labelled(source)["in_string"] == strings


@pytest.mark.parametrize(
    ("source", "comments"),
    [
        pytest.param("x = 1  # it's (\n", ".......xxxxxxxx.", id="quote-and-bracket-in-comment"),
        pytest.param('s = "# no"  # yes\n', "............xxxxx.", id="hash-in-string"),
        pytest.param("# a\n    # b\n", "xxx.....xxx.", id="comment-lines"),
    ],
)
def test_inside_a_comment(source: str, comments: str) -> None:
    assert labelled(source)["in_comment"] == comments


@pytest.mark.parametrize(
    ("source", "depth"),
    [
        pytest.param("f(a, [b, {c: d}])\n", "011112222333332100", id="nested"),
        pytest.param('g("(", x)\n', "0111111100", id="bracket-in-string"),
        pytest.param("h(  # (\n  1)\n", "0111111111100", id="over-lines-comment-bracket"),
        pytest.param('f"{a[0]}"\n', "0000000000", id="f-string-brackets-are-string"),
    ],
)
def test_bracket_depth(source: str, depth: str) -> None:
    assert labelled(source)["bracket_depth"] == depth


def test_indentation_and_columns() -> None:
    source = "if a:\n    b = (1,\n  2)\n\n    c\nd\n"
    features = labelled(source)

    assert features["indent"] == "000000" + "1" * 12 + "11111" + "1" + "111111" + "00"
    assert features["column"] == "012345" + "0123456789++" + "01234" + "0" + "012345" + "01"


def test_a_source_cut_off_mid_string_keeps_what_was_read() -> None:
    features = python_features('x = (1\ny = "unfinished')

    assert len(features[0].values) == len('x = (1\ny = "unfinished')
