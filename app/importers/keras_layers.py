"""A Keras model config (JSON) read as a chain of layers, without importing Keras.

Both the Keras 3 layout (``.keras`` config.json, and ``model_config`` in .h5 files written by
Keras 3) and the tf.keras 2 layout (``model_config`` in older .h5 files) are understood: the
layer configs are the same, only the functional graph's ``inbound_nodes`` are written differently.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from app.importers.errors import ModelImportError

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class KerasLayer:
    """One layer of the model: its class, its name and its config as Keras wrote them."""

    kind: str
    name: str
    config: Mapping[str, Any]

    @property
    def label(self) -> str:
        """How messages name the layer: GRU 'gru_1'."""
        return f"{self.kind} {self.name!r}"

    def option(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)


@dataclass(frozen=True)
class KerasModel:
    """The layers in the order data flows through them, plus what fixes the input shape."""

    name: str
    layers: list[KerasLayer]
    saved_order: list[KerasLayer]  # model.layers as Keras lists them (weights are saved so)
    input_shape: Shape | None
    sequential: bool


def read_model_config(document: Any) -> KerasModel:
    """Parse the model config Keras saved (``{"class_name": "Sequential", "config": ...}``)."""
    if not isinstance(document, dict):
        raise ModelImportError("file", "holds a Keras model config that is not a JSON object.")
    kind = document.get("class_name")
    config = document.get("config")
    if kind == "Sequential":
        return _sequential(config)
    if kind in ("Functional", "Model"):
        return _functional(config)
    raise ModelImportError(
        "file",
        f"holds a Keras {kind!r}; gatescope imports Sequential and functional (keras.Model) "
        "models built from Keras's own layers.",
    )


def layer_of(entry: Any) -> KerasLayer:
    """A layer from its serialised form ``{"class_name": ..., "config": {...}}``."""
    if not isinstance(entry, dict) or not isinstance(entry.get("config"), dict):
        raise ModelImportError("file", "has a layer entry that is not a Keras layer config.")
    kind = entry.get("class_name")
    config = entry["config"]
    name = entry.get("name", config.get("name"))
    if not isinstance(kind, str) or not isinstance(name, str):
        raise ModelImportError("file", "has a layer without a class name or a name.")
    return KerasLayer(kind=kind, name=name, config=config)


def snake_case(name: str) -> str:
    """Keras's ``naming.to_snake_case``: how .keras weight files name a layer's group."""
    name = re.sub(r"\W+", "", name)
    name = re.sub("(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub("([a-z])([A-Z])", r"\1_\2", name).lower()


def _sequential(config: Any) -> KerasModel:
    entries = config.get("layers") if isinstance(config, dict) else config
    if not isinstance(entries, list):
        raise ModelImportError("file", "has a Sequential config without a list of layers.")
    layers = [layer_of(entry) for entry in entries]
    shape = _shape(config.get("build_input_shape")) if isinstance(config, dict) else None
    for layer in layers[:1]:
        shape = _layer_input_shape(layer) or shape
    saved = [layer for layer in layers if layer.kind != "InputLayer"]
    name = config.get("name", "sequential") if isinstance(config, dict) else "sequential"
    return KerasModel(str(name), layers, saved, shape, sequential=True)


def _layer_input_shape(layer: KerasLayer) -> Shape | None:
    for key in ("batch_shape", "batch_input_shape"):
        shape = _shape(layer.option(key))
        if shape is not None:
            return shape
    return None


def _shape(value: Any) -> Shape | None:
    if not isinstance(value, list | tuple) or not value:
        return None
    if not all(
        item is None or (isinstance(item, int) and not isinstance(item, bool)) for item in value
    ):
        return None
    return tuple(value)


def _functional(config: Any) -> KerasModel:
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        raise ModelImportError("file", "has a functional model config without a list of layers.")
    entries: list[Any] = config["layers"]
    layers = [layer_of(entry) for entry in entries]
    by_name = {layer.name: layer for layer in layers}
    inputs = _endpoints(config.get("input_layers"), "inputs")
    outputs = _endpoints(config.get("output_layers"), "outputs")
    sources = {
        layer.name: _inbound_names(entry) for layer, entry in zip(layers, entries, strict=True)
    }
    chain = _chain(inputs[0], outputs[0], sources, by_name)
    return KerasModel(
        str(config.get("name", "model")),
        chain,
        layers,
        _layer_input_shape(by_name[inputs[0]]),
        sequential=False,
    )


def _endpoints(value: Any, what: str) -> list[str]:
    """Layer names of ``input_layers``/``output_layers`` (one tensor or a list of them)."""
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = [value]
    names = [item[0] for item in value or [] if isinstance(item, list) and item]
    if len(names) != 1 or not isinstance(names[0], str):
        raise ModelImportError(
            "file",
            f"has a functional model with {len(names)} {what}; gatescope imports models with "
            "one input and one output.",
        )
    return names


def _inbound_names(entry: Mapping[str, Any]) -> list[list[str]]:
    """For each call of the layer, the layers whose outputs it read."""
    nodes = entry.get("inbound_nodes") or []
    if not isinstance(nodes, list):
        return []
    return [list(_histories(node)) for node in nodes]


def _histories(node: Any) -> Iterator[str]:
    """Source layer names in one inbound node, in either Keras layout."""
    if isinstance(node, dict):
        history = node.get("keras_history")
        if isinstance(history, list) and history and isinstance(history[0], str):
            yield history[0]
            return
        for value in node.values():
            yield from _histories(value)
    elif isinstance(node, list):
        if len(node) >= 3 and isinstance(node[0], str) and isinstance(node[1], int):
            yield node[0]  # tf.keras 2: [layer_name, node_index, tensor_index, kwargs]
            return
        for item in node:
            yield from _histories(item)


def _chain(
    first: str,
    last: str,
    sources: Mapping[str, list[list[str]]],
    by_name: Mapping[str, KerasLayer],
) -> list[KerasLayer]:
    """The layers from ``first`` to ``last`` when each reads exactly the one before it."""
    readers: dict[str, list[str]] = {name: [] for name in by_name}
    for name, calls in sources.items():
        if len(calls) > 1:
            raise _not_a_chain(f"layer {name!r} is called {len(calls)} times (shared layer)")
        for call in calls:
            if len(call) != 1:
                raise _not_a_chain(f"layer {name!r} reads {len(call)} inputs")
            if call[0] not in readers:
                raise _not_a_chain(f"layer {name!r} reads an unknown layer {call[0]!r}")
            readers[call[0]].append(name)
    chain = [by_name[first]]
    while chain[-1].name != last:
        following = readers[chain[-1].name]
        if len(following) != 1:
            raise _not_a_chain(f"layer {chain[-1].name!r} feeds {len(following)} layers")
        chain.append(by_name[following[0]])
        if len(chain) > len(by_name):
            raise _not_a_chain("its layers form a loop")
    unused = [name for name in by_name if name not in {layer.name for layer in chain}]
    if unused:
        raise _not_a_chain(f"layers {', '.join(map(repr, unused))} are off the main path")
    return chain


def _not_a_chain(reason: str) -> ModelImportError:
    return ModelImportError(
        "file",
        f"has a functional model that is not a single chain of layers ({reason}); gatescope "
        "imports Input -> [Embedding] -> recurrent layers -> Dense layers.",
    )
