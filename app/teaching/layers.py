"""Which layer a teaching view draws: every layer-direction of every block, and the one rule that
picks one (a layer index counted over all blocks, negative from the top, and a direction).

A view that draws one layer (compare, padding) lists the choices so a page can offer them, and
asks `chosen_layers` for the layer a request names; a request for a layer or a direction the
model does not have is an InputError on `layer` or `direction` that names what it may be.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.recurrent import Trace
from app.recurrent.trace import Direction, LayerTrace
from app.zoo.errors import InputError

DIRECTIONS: tuple[str, ...] = ("forward", "backward")
LAYER_CODES: dict[str, str] = {
    "layer_out_of_range": "a layer index the model does not have",
    "direction_not_in_layer": "a backward direction on a layer that reads forward only",
}


@dataclass(frozen=True)
class LayerChoice:
    """One layer-direction a view can draw, named as the explorer's selector names it."""

    layer: int  # over all blocks, from 0
    block: int  # from 0
    block_layer: int  # inside its block, from 0
    kind: str  # rnn, lstm or gru
    direction: str
    units: int

    def as_dict(self) -> dict[str, int | str]:
        return dict(self.__dict__)


def choice_of(layer: LayerTrace) -> LayerChoice:
    return LayerChoice(
        layer.layer, layer.block, layer.block_layer, layer.kind, layer.direction, layer.units
    )


def layer_choices(traces: Sequence[Trace]) -> list[LayerChoice]:
    """The first trace's layer-directions that every trace has (siblings may be shallower or
    read one way only), bottom first, forward before backward."""
    shared = min(trace.num_layers for trace in traces)
    return [
        choice_of(layer)
        for layer in traces[0].layers
        if layer.layer < shared
        and all(layer.direction in trace.directions_of(layer.layer) for trace in traces)
    ]


def chosen_layers(traces: Sequence[Trace], layer: int, direction: Direction) -> list[LayerTrace]:
    """Layer `layer` (negative: from each trace's top) in `direction` of every trace.

    Raises InputError (`layer_out_of_range` on `layer`, `direction_not_in_layer` on `direction`)
    naming the allowed range or direction.
    """
    shared = min(trace.num_layers for trace in traces)
    if not -shared <= layer < shared:
        raise InputError(
            "layer",
            "layer_out_of_range",
            f"must be between {-shared} and {shared - 1} (the model has {shared} "
            f"layer{'s' if shared > 1 else ''}; negative counts from the top), got {layer}",
            {"layer": layer, "min": -shared, "max": shared - 1},
        )
    for trace in traces:
        if direction not in trace.directions_of(layer):
            raise InputError(
                "direction",
                "direction_not_in_layer",
                f"must be 'forward' for layer {layer}: that layer reads forward only "
                f"(only a bidirectional layer has a backward direction), got {direction!r}",
                {"direction": direction, "layer": layer},
            )
    return [trace.layer(layer, direction) for trace in traces]
