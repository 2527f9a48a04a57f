"""What trained gates are known to do on each task, checked on a trained network's exact traces.

A check reads a trace (app.recurrent.trace_chain) of a test batch and the batch's per-step facts,
measures one number and compares it with a threshold. Gates are read by name: the "keep" gate
is the LSTM's forget gate or the GRU's update gate (h = (1 - z) n + z h, so z near 1 keeps);
the "write" gate is the LSTM's input gate or the GRU's 1 - z. A plain RNN has no gates, so its
gate checks say "not applicable" (passed is None) rather than fail.

The "memory unit" is the unit whose final state best tells the targets apart (largest share of
between-class variance, or largest |correlation| with a value target): a network with 16 units
may hold the answer in one of them and let the others drift.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import Tensor

from app.playground.tasks import Batch, Task
from app.recurrent import LayerTrace, Trace


@dataclass(frozen=True)
class CheckResult:
    """One hypothesis, measured."""

    id: str
    passed: bool | None  # None: not applicable to this cell
    measured: float | None
    expected: str  # "> 0.9"
    text: dict[str, str]  # {"en", "ko"}: what was measured
    where: str = ""  # "layer 1, unit 3"

    @property
    def message(self) -> str:
        if self.measured is None:
            return f"{self.text['en']}: not applicable ({self.where})"
        where = f" ({self.where})" if self.where else ""
        verdict = "pass" if self.passed else "fail"
        return (
            f"{self.text['en']}{where} = {self.measured:.3f} (expected {self.expected}): {verdict}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "passed": self.passed,
            "measured": self.measured,
            "expected": self.expected,
            "text": self.text,
            "where": self.where,
            "message": self.message,
        }


def compare(measured: float, expected: str) -> bool:
    """`measured` against "> 0.9" or "< 0.1"."""
    operator, threshold = expected.split()
    return measured > float(threshold) if operator == ">" else measured < float(threshold)


def result(
    check_id: str, measured: float | None, expected: str, text: dict[str, str], where: str
) -> CheckResult:
    passed = None if measured is None else compare(measured, expected)
    return CheckResult(check_id, passed, measured, expected, text, where)


# -- what a layer holds ----------------------------------------------------------------------


def state_of(layer: LayerTrace) -> Tensor:
    """The memory a layer carries: the LSTM's cell state, else the hidden state."""
    return layer.cell if layer.cell is not None else layer.hidden


def keep_gate(layer: LayerTrace) -> Tensor | None:
    if layer.kind == "lstm":
        return layer.gates["forget"]
    if layer.kind == "gru":
        return layer.gates["update"]
    return None


def write_gate(layer: LayerTrace) -> Tensor | None:
    if layer.kind == "lstm":
        return layer.gates["input"]
    if layer.kind == "gru":
        return 1.0 - layer.gates["update"]
    return None


def correlations(values: Tensor, target: Tensor) -> Tensor:
    """|Pearson correlation| of each column of values (rows, units) with target (rows,)."""
    values = values - values.mean(dim=0)
    target = target - target.mean()
    scale = values.norm(dim=0) * target.norm()
    corr = (values * target[:, None]).sum(dim=0) / scale.clamp(min=1e-12)
    return torch.nan_to_num(corr.abs(), nan=0.0)


def separation(values: Tensor, classes: Tensor) -> Tensor:
    """Per unit: the share of its variance explained by the class (between / total)."""
    total = ((values - values.mean(dim=0)) ** 2).sum(dim=0)
    between = torch.zeros(values.shape[1], dtype=values.dtype)
    for label in classes.unique():
        group = values[classes == label]
        between += len(group) * (group.mean(dim=0) - values.mean(dim=0)) ** 2
    return torch.nan_to_num(between / total.clamp(min=1e-12), nan=0.0)


def final_values(layer: LayerTrace, batch: Batch) -> Tensor:
    """(batch, units): each sequence's state at its last step."""
    return state_of(layer)[torch.arange(len(batch.lengths)), batch.lengths - 1]


def final_targets(batch: Batch) -> Tensor:
    return batch.targets[torch.arange(len(batch.lengths)), batch.lengths - 1]


def memory_unit(trace: Trace, batch: Batch, task: Task) -> tuple[LayerTrace, int]:
    """The layer and unit whose final state best tells the final targets apart."""
    best: tuple[float, LayerTrace, int] | None = None
    targets = final_targets(batch)
    for layer in trace.layers:
        values = final_values(layer, batch).double()
        if task.output == "classes":
            scores = separation(values, targets)
        else:
            scores = correlations(values, targets.double())
        unit = int(scores.argmax())
        if best is None or float(scores[unit]) > best[0]:
            best = (float(scores[unit]), layer, unit)
    assert best is not None
    return best[1], best[2]


def where(layer: LayerTrace, unit: int | None = None) -> str:
    place = f"layer {layer.layer + 1}"
    return place if unit is None else f"{place}, unit {unit + 1}"


def masked_mean(values: Tensor, mask: Tensor) -> float | None:
    chosen = values[mask]
    return float(chosen.mean()) if chosen.numel() else None


# -- the checks ------------------------------------------------------------------------------

Check = Callable[[Trace, Batch, Task], CheckResult]


def tracks(fact: str, text: dict[str, str], threshold: str = "> 0.9") -> Check:
    """Some unit's memory follows a per-step fact (count, depth): best |correlation|."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        present = batch.present
        target = batch.facts[fact][present].double()
        best: tuple[float, str] = (0.0, "")
        for layer in trace.layers:
            scores = correlations(state_of(layer)[present].double(), target)
            unit = int(scores.argmax())
            if float(scores[unit]) > best[0]:
                best = (float(scores[unit]), where(layer, unit))
        return result(f"tracks-{fact}", best[0], threshold, text, best[1])

    return check


def keeps_on(fact: str, text: dict[str, str], threshold: str = "> 0.9") -> Check:
    """The memory unit's keep gate, averaged over the steps where `fact` holds."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        layer, unit = memory_unit(trace, batch, task)
        gate = keep_gate(layer)
        steps = (batch.facts[fact] > 0) & batch.present
        measured = None if gate is None else masked_mean(gate[..., unit], steps)
        return result(f"keeps-on-{fact}", measured, threshold, text, _where_gate(layer, unit))

    return check


def writes_on(fact: str, text: dict[str, str], threshold: str) -> Check:
    """The memory unit's write gate, averaged over the steps where `fact` holds."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        layer, unit = memory_unit(trace, batch, task)
        gate = write_gate(layer)
        steps = (batch.facts[fact] > 0) & batch.present
        measured = None if gate is None else masked_mean(gate[..., unit], steps)
        return result(f"writes-on-{fact}", measured, threshold, text, _where_gate(layer, unit))

    return check


def writes_more_on(fact: str, text: dict[str, str], threshold: str = "> 0.3") -> Check:
    """The memory unit's write gate on `fact` steps minus on the other steps."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        layer, unit = memory_unit(trace, batch, task)
        gate = write_gate(layer)
        marked = (batch.facts[fact] > 0) & batch.present
        other = (batch.facts[fact] == 0) & batch.present
        measured = None
        if gate is not None:
            on, off = masked_mean(gate[..., unit], marked), masked_mean(gate[..., unit], other)
            measured = None if on is None or off is None else on - off
        return result(f"writes-more-on-{fact}", measured, threshold, text, _where_gate(layer, unit))

    return check


def keeps_everywhere_on(fact: str, text: dict[str, str], threshold: str = "> 0.9") -> Check:
    """Every unit's keep gate, averaged over the steps where `fact` holds (copy: all units hold)."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        layer = trace.layers[-1]
        gate = keep_gate(layer)
        steps = (batch.facts[fact] > 0) & batch.present
        measured = None if gate is None else masked_mean(gate.mean(dim=-1), steps)
        place = where(layer) if gate is not None else "a plain RNN has no gates"
        return result(f"keeps-all-on-{fact}", measured, threshold, text, place)

    return check


def flip_flop(text: dict[str, str], threshold: str = "> 0.95") -> Check:
    """Some unit's sign follows the running parity (or its opposite) on the present steps."""

    def check(trace: Trace, batch: Batch, task: Task) -> CheckResult:
        present = batch.present
        parity = batch.facts["parity"][present] > 0.5
        best: tuple[float, str] = (0.0, "")
        for layer in trace.layers:
            signs = layer.hidden[present] > 0  # (rows, units)
            agree = (signs == parity[:, None]).float().mean(dim=0)
            scores = torch.maximum(agree, 1.0 - agree)
            unit = int(scores.argmax())
            if float(scores[unit]) > best[0]:
                best = (float(scores[unit]), where(layer, unit))
        return result("flip-flop", best[0], threshold, text, best[1])

    return check


def _where_gate(layer: LayerTrace, unit: int) -> str:
    return where(layer, unit) if layer.kind != "rnn" else "a plain RNN has no gates"


HYPOTHESES: dict[str, tuple[Check, ...]] = {
    "counter": (
        tracks(
            "count",
            {
                "en": "best |correlation| of a unit's state with (a's - b's) so far",
                "ko": "지금까지의 (a 수 - b 수)와 한 유닛 상태의 가장 큰 |상관계수|",
            },
        ),
    ),
    "selective-counter": (
        tracks(
            "count",
            {
                "en": "best |correlation| of a unit's state with the a's counted so far",
                "ko": "지금까지 센 a의 수와 한 유닛 상태의 가장 큰 |상관계수|",
            },
        ),
        writes_on(
            "distractor",
            {
                "en": "memory unit's input (write) gate on distractor steps",
                "ko": "방해 기호에서 기억 유닛의 입력(쓰기) 게이트 평균",
            },
            "< 0.3",
        ),
    ),
    "latch": (
        keeps_on(
            "filler",
            {
                "en": "memory unit's forget (keep) gate on filler steps",
                "ko": "채움 기호에서 기억 유닛의 망각(유지) 게이트 평균",
            },
        ),
        writes_on(
            "filler",
            {
                "en": "memory unit's input (write) gate on filler steps",
                "ko": "채움 기호에서 기억 유닛의 입력(쓰기) 게이트 평균",
            },
            "< 0.1",
        ),
    ),
    "dyck1": (
        tracks(
            "depth",
            {
                "en": "best |correlation| of a unit's state with the bracket depth",
                "ko": "괄호 깊이와 한 유닛 상태의 가장 큰 |상관계수|",
            },
        ),
    ),
    "parity": (
        flip_flop(
            {
                "en": "share of steps where a unit's sign matches the running parity",
                "ko": "한 유닛의 부호가 지금까지의 홀짝과 맞는 단계의 비율",
            },
        ),
    ),
    "adding": (
        writes_more_on(
            "marker",
            {
                "en": "memory unit's input (write) gate on markers minus elsewhere",
                "ko": "표시된 단계와 그 밖에서 기억 유닛 입력(쓰기) 게이트 평균의 차",
            },
        ),
        keeps_on(
            "unmarked",
            {
                "en": "memory unit's forget (keep) gate on unmarked steps",
                "ko": "표시되지 않은 단계에서 기억 유닛의 망각(유지) 게이트 평균",
            },
        ),
    ),
    "copy": (
        keeps_everywhere_on(
            "blank",
            {
                "en": "mean forget (keep) gate over all units on blank steps",
                "ko": "빈칸에서 모든 유닛의 망각(유지) 게이트 평균",
            },
        ),
    ),
    "sine": (),
}


def check_all(task: Task, trace: Trace, batch: Batch) -> list[CheckResult]:
    """Every hypothesis of `task` on this trace of `batch`."""
    return [check(trace, batch, task) for check in HYPOTHESES[task.name]]
