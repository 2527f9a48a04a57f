"""app.serialize on its own: absent steps, rounding, the order of arrays."""

from __future__ import annotations

import io

import numpy as np
import orjson
import torch

from app.recurrent import trace
from app.serialize import TraceView, rounded, to_csv, to_json, to_npz


def packed_view() -> TraceView:
    """A GRU traced on a right-padded batch: the second step of the first sequence is absent."""
    torch.manual_seed(0)
    module = torch.nn.GRU(1, 2, batch_first=True).eval()
    traced = trace(module, torch.ones(2, 3, 1), lengths=[2, 3])
    return TraceView(cell="gru", layers=traced.layers, values=[[1.0], [1.0], [1.0]])


def test_absent_steps_are_null_in_json_and_empty_in_csv() -> None:
    view = packed_view()
    body = orjson.loads(to_json(view, 4))
    assert body["layers"][0]["hidden"][2] == [None, None]
    assert body["layers"][0]["gates"]["reset"][2] == [None, None]
    assert all(value is not None for value in body["layers"][0]["hidden"][1])
    rows = to_csv(view, 4).decode().splitlines()
    assert rows[-1].endswith(",,,,") and rows[-1].startswith("0,0,gru,forward,2,1,")


def test_absent_steps_are_nan_in_npz() -> None:
    with np.load(io.BytesIO(to_npz(packed_view())), allow_pickle=False) as arrays:
        assert np.isnan(arrays["layer0_forward_hidden"][2]).all()
        assert arrays["layer0_forward_hidden"].dtype == np.float32


def test_rounding_happens_in_float64_so_decimals_stay_short() -> None:
    values = torch.tensor([[[0.123456, -0.987654, 1 / 3]]], dtype=torch.float32)
    assert orjson.dumps(rounded(values, 4), option=orjson.OPT_SERIALIZE_NUMPY) == (
        b"[[0.1235,-0.9877,0.3333]]"
    )
    assert rounded(values, None).dtype == np.float32
