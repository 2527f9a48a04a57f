"""Pure PyTorch: exact gate traces of recurrent modules and analyses on them (no web imports)."""

from app.recurrent.analysis import (
    GateSaturation,
    retention,
    saturation,
    sensitivity,
    sensitivity_chain,
)
from app.recurrent.cells import GATE_NAMES, SIGMOID_GATES, CellKind
from app.recurrent.factory import RecurrentOptions, build_recurrent, options_of
from app.recurrent.intervene import Intervened, Intervention, InterventionError, Site, intervene
from app.recurrent.names import ParameterName, parameter_name, parse_parameter_name
from app.recurrent.reset_before import GRUResetBefore
from app.recurrent.trace import LayerTrace, Trace, TraceCell, cell_kind, trace, trace_chain

__all__ = [
    "GATE_NAMES",
    "SIGMOID_GATES",
    "CellKind",
    "GRUResetBefore",
    "GateSaturation",
    "Intervened",
    "Intervention",
    "InterventionError",
    "LayerTrace",
    "ParameterName",
    "RecurrentOptions",
    "Site",
    "Trace",
    "TraceCell",
    "build_recurrent",
    "cell_kind",
    "intervene",
    "options_of",
    "parameter_name",
    "parse_parameter_name",
    "retention",
    "saturation",
    "sensitivity",
    "sensitivity_chain",
    "trace",
    "trace_chain",
]
