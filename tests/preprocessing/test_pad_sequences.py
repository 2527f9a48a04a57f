"""pad_sequences: Keras's padding and truncation at either end."""

import os
from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.preprocessing import pad_sequences

SIDES = ["pre", "post"]
ragged = st.lists(st.lists(st.integers(1, 50), max_size=8), max_size=6)
maxlens = st.none() | st.integers(0, 10)


def test_defaults_pad_and_truncate_at_the_front() -> None:
    padded = pad_sequences([[1, 2, 3], [4]], maxlen=2)
    np.testing.assert_array_equal(padded, [[2, 3], [0, 4]])
    assert padded.dtype == np.int32


@pytest.mark.parametrize(
    ("padding", "truncating", "expected"),
    [
        pytest.param("pre", "pre", [[3, 4, 5], [0, 1, 2]], id="pre-pre"),
        pytest.param("pre", "post", [[1, 2, 3], [0, 1, 2]], id="pad-pre-truncate-post"),
        pytest.param("post", "pre", [[3, 4, 5], [1, 2, 0]], id="pad-post-truncate-pre"),
        pytest.param("post", "post", [[1, 2, 3], [1, 2, 0]], id="post-post"),
    ],
)
def test_text_longer_than_maxlen(padding: str, truncating: str, expected: list[list[int]]) -> None:
    padded = pad_sequences(
        [[1, 2, 3, 4, 5], [1, 2]], maxlen=3, padding=padding, truncating=truncating
    )
    np.testing.assert_array_equal(padded, expected)


def test_maxlen_none_pads_to_the_longest_sequence() -> None:
    np.testing.assert_array_equal(
        pad_sequences([[1], [2, 3, 4], []]), [[0, 0, 1], [2, 3, 4], [0, 0, 0]]
    )


@pytest.mark.parametrize("padding", SIDES)
def test_empty_sequences_become_rows_of_padding(padding: str) -> None:
    padded = pad_sequences([[], [7]], maxlen=3, padding=padding, value=-1)
    np.testing.assert_array_equal(padded[0], [-1, -1, -1])


@pytest.mark.parametrize(
    ("sequences", "maxlen", "shape"),
    [
        pytest.param([], None, (0, 0), id="no-sequences"),
        pytest.param([[], []], None, (2, 0), id="only-empty-sequences"),
        pytest.param([[1, 2], [3]], 0, (2, 0), id="maxlen-zero"),
    ],
)
def test_degenerate_shapes(
    sequences: list[list[int]], maxlen: int | None, shape: tuple[int, ...]
) -> None:
    assert pad_sequences(sequences, maxlen=maxlen).shape == shape


def test_dtype_and_value_are_honoured() -> None:
    padded = pad_sequences([[0.5, 1.5]], maxlen=3, dtype="float32", value=-1.0)
    assert padded.dtype == np.float32
    np.testing.assert_array_equal(padded, [[-1.0, 0.5, 1.5]])


def test_string_padding_with_object_dtype() -> None:
    padded = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert padded.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_sequences_of_vectors_keep_their_element_shape() -> None:
    padded = pad_sequences([[[1, 2], [3, 4]], [[5, 6]]])
    assert padded.shape == (2, 2, 2)
    np.testing.assert_array_equal(padded[1], [[0, 0], [5, 6]])


@pytest.mark.parametrize(
    ("options", "message"),
    [
        pytest.param(
            {"padding": "left"}, 'padding must be "pre" or "post"; got \'left\'', id="padding"
        ),
        pytest.param(
            {"truncating": "end"},
            'truncating must be "pre" or "post"; got \'end\'',
            id="truncating",
        ),
        pytest.param({"maxlen": -1}, "maxlen must be None or a non-negative integer", id="maxlen"),
        pytest.param({"value": "<pad>"}, "padding value '<pad>' is a string", id="string-value"),
    ],
)
def test_bad_options_are_refused(options: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        pad_sequences([[1, 2]], **options)  # type: ignore[arg-type]


def test_bad_side_is_refused_even_without_sequences_to_pad() -> None:
    with pytest.raises(ValueError, match="padding must be"):
        pad_sequences([], padding="middle")


def test_mismatched_element_shapes_are_refused() -> None:
    with pytest.raises(ValueError, match=r"Sequence 1 has elements of shape \(3,\)"):
        pad_sequences([[[1, 2]], [[1, 2, 3]]])


def test_a_scalar_among_the_sequences_is_refused() -> None:
    with pytest.raises(ValueError, match="Sequence 1 is not a sequence: 5"):
        pad_sequences([[1], 5])  # type: ignore[list-item]


@given(ragged, maxlens, st.sampled_from(SIDES), st.sampled_from(SIDES))
def test_every_row_holds_the_kept_part_and_padding_elsewhere(
    sequences: list[list[int]], maxlen: int | None, padding: str, truncating: str
) -> None:
    padded = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    width = max(map(len, sequences), default=0) if maxlen is None else maxlen
    assert padded.shape == (len(sequences), width)
    for row, sequence in zip(padded, sequences, strict=True):
        kept = len(sequence) if len(sequence) <= width else width
        expected = sequence[len(sequence) - kept :] if truncating == "pre" else sequence[:kept]
        content = row[width - kept :] if padding == "pre" else row[:kept]
        assert content.tolist() == expected
        assert int(np.count_nonzero(row)) == kept  # the rest is padding (values are >= 1)


@pytest.fixture(scope="module")
def keras_pad_sequences() -> Callable[..., npt.NDArray[Any]]:
    """Keras 3's own pad_sequences, when Keras is installed (torch is our only backend)."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    keras_utils = pytest.importorskip("keras.utils")
    return keras_utils.pad_sequences  # type: ignore[no-any-return]


@given(ragged, st.integers(1, 10), st.sampled_from(SIDES), st.sampled_from(SIDES))
def test_matches_keras_pad_sequences(
    keras_pad_sequences: Callable[..., npt.NDArray[Any]],
    sequences: list[list[int]],
    maxlen: int,
    padding: str,
    truncating: str,
) -> None:
    # maxlen starts at 1: with maxlen=0 Keras itself fails (s[-0:] keeps the whole sequence).
    ours = pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    theirs = keras_pad_sequences(sequences, maxlen=maxlen, padding=padding, truncating=truncating)
    np.testing.assert_array_equal(ours, theirs)
    assert ours.dtype == theirs.dtype
