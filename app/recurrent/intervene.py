"""Interventions: change a gate, the cell state or the hidden state, and run on exactly.

A site is named after the trace: ``layer{L}.{direction}.{name}``, with L the layer's index through
the whole chain of blocks and name one of that layer's gates (LSTM input, forget, candidate,
output; GRU reset, update, candidate), ``cell`` (LSTM) or ``hidden``. An intervention picks units
and steps of a site and changes them: ``set`` a value, ``scale``, ``add``, ``zero``, ``mean`` (the
unit's mean over a reference run, by default this input's clean run) or ``patch`` (the value the
same site had in a second input's clean run).

The run is exact. Every op is an affine map ``v -> scale * v + shift`` where a mask says, so a
forced value is written, not computed. Each layer-direction's steps before the first one that
changes (in its reading order: a backward direction reads from the last step) are the clean
trace's own values; from there the cell is stepped by hand, with the intervention applied where
the equations use the value, so later steps, the layers and blocks above, the other direction and
whatever reads the final state follow. A layer-direction nothing reaches stays the clean trace.

Edits may be batched: every tensor is (batch, steps, units) with batch 1 meaning "shared by
every run", so a sweep runs many patched copies of one input as one batch (see run_edits).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal, get_args

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence

from app.recurrent.cells import DirectionWeights, affine
from app.recurrent.factory import RecurrentModule, RecurrentOptions, options_of
from app.recurrent.trace import (
    Direction,
    LayerTrace,
    State,
    Trace,
    batch_first_inputs,
    chain_modules,
    chain_trace,
    direction_weights,
    module_output,
    stacked_initial_states,
    trace,
    trace_chain,
    unbatch_state,
)

Operation = Literal["set", "scale", "add", "mean", "zero", "patch"]
OPERATIONS: tuple[str, ...] = get_args(Operation)
VALUED_OPERATIONS = frozenset({"set", "scale", "add"})
_SITE = re.compile(r"layer(\d+)\.(forward|backward)\.([a-z]+)")

__all__ = [
    "OPERATIONS",
    "Edit",
    "Intervened",
    "Intervention",
    "InterventionError",
    "Site",
    "intervene",
    "resolve",
    "run_edits",
    "site_names",
    "site_values",
]


class InterventionError(ValueError):
    """An intervention that does not fit the model or the input; ``field`` names the culprit
    (site, units, steps, op, value, source_input) and ``index`` the intervention."""

    def __init__(self, field: str, message: str, index: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.index = index
        self.message = message


@dataclass(frozen=True)
class Site:
    """One series of one layer-direction: a gate, ``cell`` or ``hidden``."""

    layer: int
    direction: Direction
    name: str

    def __str__(self) -> str:
        return f"layer{self.layer}.{self.direction}.{self.name}"

    @classmethod
    def parse(cls, text: str) -> Site:
        found = _SITE.fullmatch(text) if isinstance(text, str) else None
        if found is None:
            raise InterventionError(
                "site",
                f"site must read layer<L>.<forward|backward>.<name> (e.g. layer0.forward.forget), "
                f"got {str(text)[:40]!r}",
            )
        direction: Direction = "forward" if found[2] == "forward" else "backward"
        return cls(int(found[1]), direction, found[3])


def site_names(layer: LayerTrace) -> tuple[str, ...]:
    """What can be changed in one layer-direction: its gates, the LSTM cell state, h."""
    return (*layer.gate_names, *(("cell",) if layer.kind == "lstm" else ()), "hidden")


def site_values(found: Trace, site: Site) -> Tensor:
    """A site's values in a trace, (batch, steps, units)."""
    layer = found.layer(site.layer, site.direction)
    if site.name == "hidden":
        return layer.hidden
    if site.name == "cell":
        assert layer.cell is not None
        return layer.cell
    return layer.gates[site.name]


def check_site(found: Trace, site: Site | str) -> Site:
    """The site, if this trace has it (InterventionError naming the field "site" if not)."""
    parsed = Site.parse(site) if isinstance(site, str) else site
    if parsed.layer >= found.num_layers:
        raise InterventionError(
            "site", f"{parsed}: the model has layers 0 to {found.num_layers - 1}"
        )
    directions = found.directions_of(parsed.layer)
    if parsed.direction not in directions:
        raise InterventionError(
            "site", f"{parsed}: layer {parsed.layer} reads {' and '.join(directions)} only"
        )
    names = site_names(found.layer(parsed.layer, parsed.direction))
    if parsed.name not in names:
        kind = found.layer(parsed.layer, parsed.direction).kind.upper()
        raise InterventionError(
            "site", f"{parsed}: an {kind} layer has {', '.join(names)}; not {parsed.name!r}"
        )
    return parsed


@dataclass(frozen=True)
class Intervention:
    """Change ``units`` (None: all) at ``steps`` (None: all, in input order) of a site.

    ``value`` is what set writes, scale multiplies by and add adds. ``reference`` is, for mean,
    the unit means (units,) or a trace to average the site over (default: this input's clean
    run); for patch, the source input's clean trace (same number of steps).
    """

    site: Site | str
    op: Operation
    units: Sequence[int] | None = None
    steps: Sequence[int] | None = None
    value: float | None = None
    reference: Tensor | Trace | None = None


@dataclass(frozen=True)
class Edit:
    """v -> scale * v + shift wherever ``mask`` holds; tensors (batch or 1, steps, units)."""

    site: Site
    mask: Tensor
    scale: Tensor
    shift: Tensor

    def at(self, value: Tensor, t: int, rows: slice) -> Tensor:
        """The edited values of one step, for the rows (runs) being stepped."""
        pick = _rows(self.mask, rows)[:, t]
        changed = value * _rows(self.scale, rows)[:, t] + _rows(self.shift, rows)[:, t]
        return torch.where(pick, changed, value)

    @property
    def changes(self) -> Tensor:
        """(batch or 1, steps): the steps where some unit changes."""
        return self.mask.any(dim=-1)


def _rows(values: Tensor, rows: slice) -> Tensor:
    """The rows of a batched tensor; a shared one (batch 1) as it is."""
    return values if values.shape[0] == 1 else values[rows]


def resolve(intervention: Intervention, clean: Trace, index: int | None = None) -> Edit:
    """The edit an intervention makes to this trace (InterventionError naming the field)."""
    try:
        site = check_site(clean, intervention.site)
        values = site_values(clean, site)
        mask = _mask(values, intervention.units, intervention.steps)
        scale, shift = _affine_of(intervention, site, values, clean)
    except InterventionError as error:
        raise InterventionError(error.field, error.message, index) from None
    return Edit(site, mask, scale.expand_as(mask), shift.expand_as(mask))


def _mask(values: Tensor, units: Sequence[int] | None, steps: Sequence[int] | None) -> Tensor:
    _, length, width = values.shape
    unit_mask = _positions("units", units, width, values.device)
    step_mask = _positions("steps", steps, length, values.device)
    return (step_mask.unsqueeze(-1) & unit_mask).unsqueeze(0)


def _positions(field: str, chosen: Sequence[int] | None, size: int, device: torch.device) -> Tensor:
    if chosen is None:
        return torch.ones(size, dtype=torch.bool, device=device)
    picked = list(chosen)
    if not picked:
        raise InterventionError(field, f"{field} must list at least one index (or be all)")
    bad: list[object] = [
        item
        for item in picked
        if isinstance(item, bool) or not isinstance(item, int) or not 0 <= item < size
    ]
    if bad:
        raise InterventionError(
            field, f"{field} must be integers from 0 to {size - 1}, got {str(bad[0])[:40]}"
        )
    mask = torch.zeros(size, dtype=torch.bool, device=device)
    mask[torch.tensor(picked, dtype=torch.long, device=device)] = True
    return mask


def _affine_of(
    intervention: Intervention, site: Site, values: Tensor, clean: Trace
) -> tuple[Tensor, Tensor]:
    """(scale, shift) of one op, shaped to broadcast against (1, steps, units)."""
    op, value = intervention.op, intervention.value
    if op not in OPERATIONS:
        raise InterventionError("op", f"op must be one of {', '.join(OPERATIONS)}, got {op!r}")
    if op in VALUED_OPERATIONS:
        value = _finite_value(op, value)
    zero, one = values.new_zeros(()), values.new_ones(())
    if op == "set":
        return zero, values.new_tensor(value)
    if op == "scale":
        return values.new_tensor(value), zero
    if op == "add":
        return one, values.new_tensor(value)
    if op == "zero":
        return zero, zero
    if op == "mean":
        return zero, _unit_means(site, values, clean, intervention.reference)
    return zero, _patch_values(site, values, intervention.reference)


def _finite_value(op: str, value: float | None) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InterventionError("value", f"{op} needs a number in value, got {value!r}")
    if value != value or value in (float("inf"), float("-inf")):
        raise InterventionError("value", f"{op} needs a finite value, got {value!r}")
    return float(value)


def _unit_means(
    site: Site, values: Tensor, clean: Trace, reference: Tensor | Trace | None
) -> Tensor:
    """Each unit's mean over the present steps of a reference run (this input's by default)."""
    if isinstance(reference, Tensor):
        if reference.shape != (values.shape[-1],):
            raise InterventionError(
                "value", f"mean needs one value per unit ({values.shape[-1]}) as its reference"
            )
        return reference.to(values)
    source = reference if reference is not None else clean
    found = site_values(source, check_site(source, site))
    return found.detach().nanmean(dim=(0, 1))


def _patch_values(site: Site, values: Tensor, reference: Tensor | Trace | None) -> Tensor:
    if not isinstance(reference, Trace):
        raise InterventionError("source_input", "patch needs a source input to take values from")
    found = site_values(reference, check_site(reference, site))
    if found.shape[1:] != values.shape[1:]:
        raise InterventionError(
            "source_input",
            f"the source input has {found.shape[1]} steps and this input {values.shape[1]}; "
            "patch needs inputs of the same length",
        )
    return found[:1].detach()


# -- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Intervened:
    """The clean run and the patched run of one input, as traces."""

    clean: Trace
    patched: Trace


def intervene(
    blocks: nn.Module | Sequence[nn.Module],
    inputs: Tensor,
    interventions: Sequence[Intervention],
    *,
    lengths: Tensor | list[int] | None = None,
    initial_states: Sequence[State | None] | None = None,
) -> Intervened:
    """Trace ``inputs`` through one module (any layout) or a chain of batch-first blocks, then
    run it again with the interventions applied, in order.

    ``lengths`` and ``initial_states`` (one per block) are as trace_chain takes them. Raises
    InterventionError (with the field and the intervention's index) for a bad intervention.
    """
    single = isinstance(blocks, nn.Module)
    modules = chain_modules(
        [blocks] if isinstance(blocks, nn.Module) else blocks, chained=not single
    )
    states = list(initial_states) if initial_states is not None else [None] * len(modules)
    with torch.no_grad():
        if single:
            clean = trace(modules[0], inputs, states[0], lengths)
        else:
            clean = trace_chain(modules, inputs, lengths, states)
        edits = [resolve(item, clean, index) for index, item in enumerate(interventions)]
        x, _ = batch_first_inputs(modules[0], inputs)
        patched = run_edits(modules, x, clean, edits, initial_states=states)
    return Intervened(clean, patched)


def run_edits(
    modules: Sequence[RecurrentModule],
    x: Tensor,
    clean: Trace,
    edits: Sequence[Edit],
    *,
    initial_states: Sequence[State | None] | None = None,
    record: bool = True,
) -> Trace:
    """The patched trace: ``x`` (batch or 1, steps, features), batch first, is the input of
    ``clean``; edits may carry a larger batch (one run per row). Without ``record`` only h is
    kept (gates and cell states of stepped layers are left empty), for sweeps."""
    batch = max([x.shape[0], clean.batch_size, *(edit.mask.shape[0] for edit in edits)])
    states = list(initial_states) if initial_states is not None else [None] * len(modules)
    run = _Run(clean, edits, batch, record)
    layer_input, touched = x, x.new_zeros((1, x.shape[1]), dtype=torch.bool)
    parts: list[Trace] = []
    for module, state in zip(modules, states, strict=True):
        h0, c0 = stacked_initial_states(module, options_of(module).cell, state, clean.batched, x)
        found, layer_input, touched = run.block(module, layer_input, touched, h0, c0)
        parts.append(found)
    if len(parts) == 1:
        return parts[0]
    return chain_trace(parts, _renumbered(parts))


def _renumbered(parts: list[Trace]) -> list[LayerTrace]:
    """Every block's layers numbered through the chain (a block's own trace numbers from 0)."""
    layers: list[LayerTrace] = []
    for block, part in enumerate(parts):
        first = len({(layer.block, layer.layer) for layer in layers})
        layers += [replace(layer, layer=first + layer.layer, block=block) for layer in part.layers]
    return layers


@dataclass
class _Run:
    """One patched run through every block: the clean trace, the edits, the batch size."""

    clean: Trace
    edits: Sequence[Edit]
    batch: int
    record: bool
    first_layer: int = 0

    def block(
        self,
        module: RecurrentModule,
        layer_input: Tensor,
        touched: Tensor,
        h0: Tensor,
        c0: Tensor | None,
    ) -> tuple[Trace, Tensor, Tensor]:
        """One block's patched layers; returns its trace, its output and the touched steps."""
        options = options_of(module)
        layers: list[LayerTrace] = []
        finals: list[tuple[Tensor, Tensor | None]] = []
        for block_layer in range(module.num_layers):
            found, layer_input, touched = self._layer(
                module, options, block_layer, layer_input, touched, h0, c0
            )
            for layer in found:
                layers.append(replace(layer, layer=block_layer, block=0))
                finals.append(_final_of(layer, self.clean.lengths))
        self.first_layer += module.num_layers
        return self._block_trace(module, layers, finals, layer_input), layer_input, touched

    def _layer(
        self,
        module: RecurrentModule,
        options: RecurrentOptions,
        block_layer: int,
        layer_input: Tensor,
        touched: Tensor,
        h0: Tensor,
        c0: Tensor | None,
    ) -> tuple[list[LayerTrace], Tensor, Tensor]:
        directions: tuple[Direction, ...] = (
            ("forward", "backward") if module.bidirectional else ("forward",)
        )
        found: list[LayerTrace] = []
        started_any = touched.new_zeros((1, touched.shape[1]))
        for index, direction in enumerate(directions):
            row = block_layer * len(directions) + index
            layer = self.clean.layer(self.first_layer + block_layer, direction)
            edits = [
                edit
                for edit in self.edits
                if edit.site.layer == layer.layer and edit.site.direction == direction
            ]
            started = _started(touched, edits, direction == "backward")
            if bool(started.any()):
                weights = direction_weights(module, block_layer, direction)
                stepper = _Stepper(options, weights, edits, self.record)
                layer = stepper.run(
                    layer, layer_input, started, h0[row], c0[row] if c0 is not None else None
                )
            found.append(layer)
            started_any = started_any | started
        widest = max(layer.hidden.shape[0] for layer in found)
        output = torch.cat([_batch(layer.hidden, widest) for layer in found], dim=-1)
        return found, output, started_any

    def _block_trace(
        self,
        module: RecurrentModule,
        layers: list[LayerTrace],
        finals: list[tuple[Tensor, Tensor | None]],
        top: Tensor,
    ) -> Trace:
        batch = self.batch
        h_n = torch.stack([_batch(h, batch) for h, _ in finals])
        c_ns = [_batch(c, batch) for _, c in finals if c is not None]
        state: State = (h_n, torch.stack(c_ns)) if c_ns else h_n
        kind = layers[0].kind
        return Trace(
            cell=kind,
            output=self._output(module, _batch(top, batch)),
            final_state=unbatch_state(state, self.clean.batched),
            layers=[_expanded(layer, batch) for layer in layers],
            lengths=self.clean.lengths,
            nonlinearity=layers[0].nonlinearity,
            batched=self.clean.batched,
            bidirectional=module.bidirectional,
            gate_names=layers[0].gate_names,
        )

    def _output(self, module: RecurrentModule, top: Tensor) -> Tensor:
        """The top layer's h side by side, in the module's own layout (packed with lengths)."""
        if isinstance(self.clean.output, Tensor):  # no lengths: no step is absent
            padded = top
            output = module_output(module, padded, self.clean.batched)
            assert isinstance(output, Tensor)
            return output
        padded = torch.nan_to_num(top, nan=0.0)
        lengths = _batch(self.clean.lengths, top.shape[0])
        packed = pack_padded_sequence(padded, lengths, batch_first=True, enforce_sorted=False)
        return packed  # type: ignore[return-value]


def _started(touched: Tensor, edits: list[Edit], reverse: bool) -> Tensor:
    """(batch or 1, steps): where a layer-direction no longer equals the clean run, from its
    first changed step (in reading order) on."""
    changes = touched
    for edit in edits:
        changes = changes | edit.changes
    order = changes.flip(1) if reverse else changes
    started = order.cumsum(dim=1) > 0
    return started.flip(1) if reverse else started


def _batch(values: Tensor, batch: int) -> Tensor:
    return values if values.shape[0] == batch else values.expand(batch, *values.shape[1:])


def _expanded(layer: LayerTrace, batch: int) -> LayerTrace:
    if layer.hidden.shape[0] == batch:
        return layer
    return replace(
        layer,
        gates={name: _batch(value, batch) for name, value in layer.gates.items()},
        hidden=_batch(layer.hidden, batch),
        cell=_batch(layer.cell, batch) if layer.cell is not None else None,
        present=_batch(layer.present, batch),
    )


def _final_of(layer: LayerTrace, lengths: Tensor) -> tuple[Tensor, Tensor | None]:
    """h_n (and c_n) of one layer-direction: the last step read (step 0 reading backward)."""
    if layer.direction == "backward":
        last = torch.zeros_like(lengths)
    else:
        last = lengths - 1
    last = last.to(layer.hidden.device)
    last = _batch(last, layer.hidden.shape[0])
    rows = torch.arange(layer.hidden.shape[0], device=layer.hidden.device)
    cell = layer.cell[rows, last] if layer.cell is not None else None
    return layer.hidden[rows, last], cell


# -- stepping one layer-direction by hand -----------------------------------------------------

EditFn = Callable[[str, Tensor], Tensor]


@dataclass(frozen=True)
class _Stepper:
    """One layer-direction stepped by hand from where it first changes, edits applied."""

    options: RecurrentOptions
    weights: DirectionWeights
    edits: list[Edit]
    record: bool

    def run(
        self, clean: LayerTrace, x: Tensor, started: Tensor, h0: Tensor, c0: Tensor | None
    ) -> LayerTrace:
        sizes = [x.shape[0], started.shape[0], clean.hidden.shape[0]]
        batch = max(sizes + [edit.mask.shape[0] for edit in self.edits])
        reverse = clean.direction == "backward"
        present = _batch(clean.present, batch)
        h, c = _batch(h0, batch), (_batch(c0, batch) if c0 is not None else None)
        # An input every run shares (batch 1) needs its product only once.
        shared = None
        if x.shape[0] == 1:
            shared = affine(x, self.weights.weight_ih, self.weights.bias_ih)
        steps = clean.hidden.shape[1]
        ragged = not bool(present.all())
        found: dict[str, list[Tensor]] = {}
        for t in reversed(range(steps)) if reverse else range(steps):
            started_t = _batch(started[:, t], batch)
            now = _bounds(started_t)
            values = self._clean_step(clean, t, batch)
            if now is not None:
                xw = (
                    shared[:, t]
                    if shared is not None
                    else affine(x[now, t], self.weights.weight_ih, self.weights.bias_ih)
                )
                stepped = self._step(xw, h[now], c[now] if c is not None else None, t, now)
                values = _merged(values, stepped, started_t, now)
            if ragged:
                # A step past a sequence's end leaves its state as it was.
                keep = present[:, t].unsqueeze(-1)
                h = torch.where(keep, values["hidden"], h)
                c = torch.where(keep, values["cell"], c) if c is not None else None
            else:
                h, c = values["hidden"], values.get("cell")
            for name, value in values.items():
                found.setdefault(name, []).append(value)
        return self._layer_trace(clean, found, present, reverse)

    def _clean_step(self, clean: LayerTrace, t: int, batch: int) -> dict[str, Tensor]:
        values = {"hidden": _batch(clean.hidden[:, t], batch)}
        if clean.cell is not None:
            values["cell"] = _batch(clean.cell[:, t], batch)
        if self.record:
            values.update({name: _batch(value[:, t], batch) for name, value in clean.gates.items()})
        return values

    def _layer_trace(
        self, clean: LayerTrace, found: dict[str, list[Tensor]], present: Tensor, reverse: bool
    ) -> LayerTrace:
        absent = ~present
        ragged = bool(absent.any())

        def stacked(name: str) -> Tensor:
            steps = found[name][::-1] if reverse else found[name]
            values = torch.stack(steps, dim=1)
            return values.masked_fill(absent.unsqueeze(-1), float("nan")) if ragged else values

        gates = {name: stacked(name) for name in clean.gates} if self.record else {}
        cell = stacked("cell") if clean.cell is not None else None
        return replace(clean, gates=gates, hidden=stacked("hidden"), cell=cell, present=present)

    def _step(
        self, xw: Tensor, h: Tensor, c: Tensor | None, t: int, rows: slice
    ) -> dict[str, Tensor]:
        def edit(name: str, value: Tensor) -> Tensor:
            for item in self.edits:
                if item.site.name == name:
                    value = item.at(value, t, rows)
            return value

        xw = xw.expand(h.shape[0], -1)
        if self.options.cell == "lstm":
            assert c is not None
            return lstm_step(xw, h, c, self.weights, edit)
        if self.options.cell == "gru" and self.options.reset_after:
            return gru_step(xw, h, self.weights, edit)
        if self.options.cell == "gru":
            return gru_reset_before_step(xw, h, self.weights, edit)
        return rnn_step(xw, h, self.weights, self.options.nonlinearity, edit)


def _merged(
    clean: dict[str, Tensor], stepped: dict[str, Tensor], started: Tensor, rows: slice
) -> dict[str, Tensor]:
    """One step's values: the stepped ones for the runs that have started, clean for the rest."""
    if rows == slice(0, started.shape[0]) and bool(started.all()):
        return {name: stepped[name] for name in clean}
    pick = started[rows].unsqueeze(-1)
    merged: dict[str, Tensor] = {}
    for name, value in clean.items():
        full = value.clone()
        full[rows] = torch.where(pick, stepped[name], value[rows])
        merged[name] = full
    return merged


def _bounds(started: Tensor) -> slice | None:
    """The rows from the first to the last run that is being stepped at this step."""
    rows = started.nonzero()
    if rows.numel() == 0:
        return None
    return slice(int(rows[0, 0]), int(rows[-1, 0]) + 1)


def lstm_step(
    xw: Tensor, h: Tensor, c: Tensor, w: DirectionWeights, edit: EditFn
) -> dict[str, Tensor]:
    """One LSTM step; ``xw`` is W_i* x_t + b_i* for all four gates."""
    i, f, g, o = (xw + affine(h, w.weight_hh, w.bias_hh)).chunk(4, dim=-1)
    # i_t = sigma(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
    i = edit("input", torch.sigmoid(i))
    # f_t = sigma(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
    f = edit("forget", torch.sigmoid(f))
    # g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
    g = edit("candidate", torch.tanh(g))
    # o_t = sigma(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
    o = edit("output", torch.sigmoid(o))
    # c_t = f_t * c_{t-1} + i_t * g_t
    c = edit("cell", f * c + i * g)
    # h_t = o_t * tanh(c_t), projected by W_hr when the LSTM has proj_size
    h = o * torch.tanh(c)
    if w.weight_hr is not None:
        h = affine(h, w.weight_hr, None)
    h = edit("hidden", h)
    return {"input": i, "forget": f, "candidate": g, "output": o, "cell": c, "hidden": h}


def gru_step(xw: Tensor, h: Tensor, w: DirectionWeights, edit: EditFn) -> dict[str, Tensor]:
    """One step of PyTorch's GRU (the reset gate after the recurrent product)."""
    x_r, x_z, x_n = xw.chunk(3, dim=-1)
    h_r, h_z, h_n = affine(h, w.weight_hh, w.bias_hh).chunk(3, dim=-1)
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    r = edit("reset", torch.sigmoid(x_r + h_r))
    # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    z = edit("update", torch.sigmoid(x_z + h_z))
    # n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
    n = edit("candidate", torch.tanh(x_n + r * h_n))
    # h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    h = edit("hidden", (1 - z) * n + z * h)
    return {"reset": r, "update": z, "candidate": n, "hidden": h}


def gru_reset_before_step(
    xw: Tensor, h: Tensor, w: DirectionWeights, edit: EditFn
) -> dict[str, Tensor]:
    """One step of the GRU that resets h before the recurrent product (GRUResetBefore)."""
    x_r, x_z, x_n = xw.chunk(3, dim=-1)
    w_hr, w_hz, w_hn = w.weight_hh.chunk(3)
    b_hr, b_hz, b_hn = w.bias_hh.chunk(3) if w.bias_hh is not None else (None, None, None)
    # r_t = sigma(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
    r = edit("reset", torch.sigmoid(x_r + affine(h, w_hr, b_hr)))
    # z_t = sigma(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
    z = edit("update", torch.sigmoid(x_z + affine(h, w_hz, b_hz)))
    # n_t = tanh(W_in x_t + b_in + W_hn (r_t * h_{t-1}) + b_hn)
    n = edit("candidate", torch.tanh(x_n + affine(r * h, w_hn, b_hn)))
    # h_t = (1 - z_t) * n_t + z_t * h_{t-1}
    h = edit("hidden", (1 - z) * n + z * h)
    return {"reset": r, "update": z, "candidate": n, "hidden": h}


def rnn_step(
    xw: Tensor, h: Tensor, w: DirectionWeights, nonlinearity: str, edit: EditFn
) -> dict[str, Tensor]:
    """One plain RNN step: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)."""
    pre = xw + affine(h, w.weight_hh, w.bias_hh)
    h = torch.relu(pre) if nonlinearity == "relu" else torch.tanh(pre)
    return {"hidden": edit("hidden", h)}
