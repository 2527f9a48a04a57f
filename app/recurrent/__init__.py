"""Pure PyTorch: exact gate traces of recurrent modules and analyses on them (no web imports)."""

from app.recurrent.analysis import GateSaturation, retention, saturation, sensitivity
from app.recurrent.cells import GATE_NAMES, SIGMOID_GATES, CellKind
from app.recurrent.trace import LayerTrace, Trace, cell_kind, trace

__all__ = [
    "GATE_NAMES",
    "SIGMOID_GATES",
    "CellKind",
    "GateSaturation",
    "LayerTrace",
    "Trace",
    "cell_kind",
    "retention",
    "saturation",
    "sensitivity",
    "trace",
]
