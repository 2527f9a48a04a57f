"""The one input validator: every rule gives its code, field, wording and params."""

from __future__ import annotations

from typing import Any

import pytest

from app.limits import ABSOLUTE_MAX_STEPS
from app.zoo.errors import InputError, InputErrors
from app.zoo.inputs import (
    FLOAT32_MAX,
    INPUT_CODES,
    MOST_REPORTED,
    InputLimits,
    check_at_most,
    check_batch,
    check_input,
    check_lengths,
    check_number,
    check_steps,
    check_text,
    check_trace_values,
    input_errors,
)

LIMITS = InputLimits(max_steps=5, max_text_chars=10, max_batch=3)


def error_of(call: Any, *args: Any) -> InputError:
    with pytest.raises(InputError) as caught:
        call(*args)
    error = caught.value
    assert error.code in INPUT_CODES, error.code
    assert str(error).startswith(f"{error.field}: ") or not error.field
    return error


@pytest.mark.parametrize(
    ("raw", "field", "code", "message", "params"),
    [
        pytest.param(
            None,
            "input",
            "wrong_input_type",
            "must be a sentence (a string) or a list of steps (lists of numbers), got null",
            {"got": "null"},
            id="null",
        ),
        pytest.param({"a": 1}, "input", "wrong_input_type", None, {"got": "an object"}, id="dict"),
        pytest.param(
            "",
            "input",
            "empty_text",
            "is empty or only whitespace: type a sentence",
            {},
            id="empty",
        ),
        pytest.param(" \t\n", "input", "empty_text", None, {}, id="whitespace"),
        pytest.param("a \ud800 b", "input", "not_utf8", None, {}, id="lone-surrogate"),
        pytest.param(
            "x" * 11,
            "input",
            "too_long_text",
            "has 11 characters; the limit is 10",
            {"characters": 11, "limit": 10},
            id="too-long",
        ),
        pytest.param([], "input", "no_steps", "has no steps", {}, id="no-steps"),
        pytest.param(
            [1.0] * 6,
            "input",
            "too_many_steps",
            "has 6 steps; the limit is 5",
            {"steps": 6, "limit": 5},
            id="too-many-steps",
        ),
        pytest.param(
            [[1, "x"]],
            "input[0][1]",
            "not_a_number",
            "must be a number, got 'x'",
            {"got": "'x'"},
            id="string",
        ),
        pytest.param([[True]], "input[0][0]", "not_a_number", None, {"got": "true"}, id="bool"),
        pytest.param([[[1]]], "input[0][0]", "not_a_number", None, {"got": "a list"}, id="list"),
        pytest.param(
            [float("nan")],
            "input[0]",
            "not_finite",
            "must be a finite number, got nan",
            {"got": "nan"},
            id="nan",
        ),
        pytest.param(
            [[1, float("-inf")]], "input[0][1]", "not_finite", None, {"got": "-inf"}, id="minus-inf"
        ),
        pytest.param(
            [[1e39]],
            "input[0][0]",
            "too_large_number",
            None,
            {"limit": FLOAT32_MAX},
            id="beyond-float32",
        ),
        pytest.param(
            [10**400],
            "input[0]",
            "too_large_number",
            None,
            {"limit": FLOAT32_MAX},
            id="huge-integer",
        ),
    ],
)
def test_each_rule_has_its_code_field_wording_and_params(
    raw: Any, field: str, code: str, message: str | None, params: dict[str, Any]
) -> None:
    error = error_of(check_input, raw, "input", LIMITS)

    assert (error.field, error.code, error.params) == (field, code, params)
    if message is not None:
        assert error.message == message


@pytest.mark.parametrize(
    "raw", ["a film", "한국어 문장", [1.0, 2.0], [[1, 2.5], [3, 4]], [[1], [2, 3]]]
)
def test_good_inputs_pass_whatever_model_reads_them(raw: Any) -> None:
    assert input_errors(raw, "input", LIMITS) == []


def test_many_problems_are_reported_together_up_to_a_bound() -> None:
    errors = input_errors([[1, "x"]] * 500, "input")

    assert len(errors) == MOST_REPORTED
    assert [error.field for error in errors[:2]] == ["input[0][1]", "input[1][1]"]
    with pytest.raises(InputErrors) as caught:
        check_input([[1, "x"]] * 3, "input")
    assert len(caught.value.errors) == 3
    assert str(caught.value).count("must be a number") == 3


def test_steps_never_pass_the_hard_ceiling_whatever_the_limit() -> None:
    error = error_of(check_input, [1.0] * (ABSOLUTE_MAX_STEPS + 1), "input", InputLimits(10**9))

    assert error.params == {"steps": ABSOLUTE_MAX_STEPS + 1, "limit": ABSOLUTE_MAX_STEPS}


def test_messages_never_echo_more_than_a_glimpse_of_the_input() -> None:
    error = error_of(check_input, [["x" * 50 + "SECRET"]], "input")

    assert "SECRET" not in str(error)


@pytest.mark.parametrize(
    ("raw", "width", "field", "code", "params"),
    [
        pytest.param("1, 2", 2, "input", "not_steps", {"width": 2, "got": "'1, 2'"}, id="text"),
        pytest.param(
            [1.0, 2.0], 2, "input[0]", "not_a_step", {"width": 2, "got": "1.0"}, id="flat-for-two"
        ),
        pytest.param(
            [[1, 2], [1]], 2, "input[1]", "wrong_width", {"values": 1, "width": 2}, id="ragged"
        ),
        pytest.param(
            [[1, 2, 3]], 2, "input[0]", "wrong_width", {"values": 3, "width": 2}, id="too-wide"
        ),
    ],
)
def test_steps_of_a_numbers_model_have_its_width(
    raw: Any, width: int, field: str, code: str, params: dict[str, Any]
) -> None:
    error = error_of(check_steps, raw, "input", width)

    assert (error.field, error.code, error.params) == (field, code, params)


def test_wrong_width_counts_in_good_english() -> None:
    assert error_of(check_steps, [[1]], "input", 2).message == "has 1 value; each step needs 2"
    assert error_of(check_steps, [[1, 2, 3]], "x", 2).message == "has 3 values; each step needs 2"


def test_check_steps_returns_float_rows_and_reads_a_flat_list_as_one_feature() -> None:
    assert check_steps([1, 2.5], "input", 1) == [[1.0], [2.5]]
    assert check_steps([[1, 2]], "input", 2, max_steps=1) == [[1.0, 2.0]]
    assert error_of(check_steps, [[1, 2]] * 2, "input", 2, 1).code == "too_many_steps"


def test_check_text_refuses_what_is_not_a_string() -> None:
    error = error_of(check_text, ["a", "film"], "inputs[2]")

    assert (error.field, error.code, error.params) == ("inputs[2]", "not_text", {"got": "a list"})
    assert "sentence" in error.message
    assert check_text("a film", "input", 6) == "a film"


def test_check_number() -> None:
    assert check_number(3, "x") == 3.0
    assert error_of(check_number, "3", "x").code == "not_a_number"


def test_lengths_check_only_the_sizes() -> None:
    check_lengths([[1, "x"]], "input", LIMITS)  # not its business
    assert error_of(check_lengths, "x" * 11, "input", LIMITS).code == "too_long_text"
    assert error_of(check_lengths, [1] * 6, "next_input", LIMITS).field == "next_input"


def test_batches_are_bounded_and_each_input_is_within_the_sizes() -> None:
    error = error_of(check_batch, ["a"] * 4, "inputs", LIMITS)
    assert (error.code, error.params) == ("too_many_inputs", {"inputs": 4, "limit": 3})
    assert error.message == "has 4 inputs; the limit is 3"

    error = error_of(check_batch, ["a", "x" * 11], "inputs", LIMITS)
    assert (error.field, error.code) == ("inputs[1]", "too_long_text")


def test_sizes_and_trace_values_have_their_limits() -> None:
    error = error_of(check_at_most, 600, "hidden_size", 512)
    assert (error.code, error.params) == ("limit_exceeded", {"value": 600, "limit": 512})
    assert error.message == "is 600; the limit is 512"
    check_at_most(512, "hidden_size", 512)

    error = error_of(check_trace_values, 11, 10)
    assert (error.field, error.code, error.params) == (
        "",
        "too_large_trace",
        {"values": 11, "limit": 10},
    )
    check_trace_values(10, 10)


def test_errors_can_be_moved_under_a_field() -> None:
    error = input_errors([[1, "x"], [None, 1]], "")
    moved = InputErrors(error).under("inputs[3]")

    assert [item.field for item in moved.errors] == ["inputs[3][0][1]", "inputs[3][1][0]"]
    assert moved.field == "inputs[3][0][1]"
