"""Teaching knobs: one click clamps a gate in every layer of its cell, in the notes' words.

The GRU update gate: the class notes write h_t = (1 - z_t) * h_{t-1} + z_t * h~_t, PyTorch writes
h_t = (1 - z_t) * n_t + z_t * h_{t-1}. So the notes' z is PyTorch's 1 - z: the knob "update gate
z always 0" (the notes' z, keep the old state) sets PyTorch's update gate to 1, and "z always 1"
(take the candidate) sets it to 0. ``pytorch_value`` is what the site is set to.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.recurrent import CellKind, Intervention, InterventionError, Trace


@dataclass(frozen=True)
class Knob:
    """A named clamp of one gate, with what it means for the equations."""

    id: str
    cell: CellKind
    gate: str
    pytorch_value: float
    en: str
    ko: str
    meaning_en: str
    meaning_ko: str


KNOBS: tuple[Knob, ...] = (
    Knob(
        "forget-always-1",
        "lstm",
        "forget",
        1.0,
        "forget gate always 1 (never forget)",
        "망각 게이트 항상 1 (잊지 않음)",
        "c_t = c_{t-1} + i_t * g_t: the cell state only adds, nothing is ever forgotten.",
        "c_t = c_{t-1} + i_t * g_t: 셀 상태에 더하기만 하고 아무것도 잊지 않습니다.",
    ),
    Knob(
        "forget-always-0",
        "lstm",
        "forget",
        0.0,
        "forget gate always 0",
        "망각 게이트 항상 0",
        "c_t = i_t * g_t: nothing carries over from the step before.",
        "c_t = i_t * g_t: 이전 단계의 셀 상태가 전혀 이어지지 않습니다.",
    ),
    Knob(
        "input-always-0",
        "lstm",
        "input",
        0.0,
        "input gate always 0",
        "입력 게이트 항상 0",
        "c_t = f_t * c_{t-1}: nothing new is written into the cell state.",
        "c_t = f_t * c_{t-1}: 새로운 내용이 셀 상태에 쓰이지 않습니다.",
    ),
    Knob(
        "output-always-1",
        "lstm",
        "output",
        1.0,
        "output gate always 1",
        "출력 게이트 항상 1",
        "h_t = tanh(c_t): the whole cell state is shown.",
        "h_t = tanh(c_t): 셀 상태 전체가 은닉 상태로 나갑니다.",
    ),
    Knob(
        "reset-always-1",
        "gru",
        "reset",
        1.0,
        "reset gate always 1",
        "리셋 게이트 항상 1",
        "The candidate reads all of h_{t-1}.",
        "후보 상태가 h_{t-1} 전체를 읽습니다.",
    ),
    Knob(
        "reset-always-0",
        "gru",
        "reset",
        0.0,
        "reset gate always 0",
        "리셋 게이트 항상 0",
        "The candidate ignores h_{t-1}: it depends on the current input only.",
        "후보 상태가 h_{t-1}을 무시하고 현재 입력만 봅니다.",
    ),
    Knob(
        "update-always-0",
        "gru",
        "update",
        1.0,
        "update gate z always 0",
        "업데이트 게이트 z 항상 0",
        "Notes: h_t = (1 - z) h_{t-1} + z h~_t, so z = 0 keeps h_{t-1}: the input is never "
        "taken in. PyTorch's z is the notes' 1 - z, so PyTorch's update gate is set to 1.",
        "노트: h_t = (1 - z) h_{t-1} + z h~_t 이므로 z = 0이면 h_{t-1}이 그대로 "
        "유지되어 입력이 반영되지 않습니다. PyTorch의 z는 노트의 1 - z이므로 "
        "PyTorch의 업데이트 게이트를 1로 둡니다.",
    ),
    Knob(
        "update-always-1",
        "gru",
        "update",
        0.0,
        "update gate z always 1",
        "업데이트 게이트 z 항상 1",
        "Notes: z = 1 gives h_t = h~_t: the state is replaced by the candidate at every step. "
        "PyTorch's z is the notes' 1 - z, so PyTorch's update gate is set to 0.",
        "노트: z = 1이면 h_t = h~_t, 매 단계 후보 상태로 바뀝니다. "
        "PyTorch의 z는 노트의 1 - z이므로 PyTorch의 업데이트 게이트를 0으로 둡니다.",
    ),
)
KNOBS_BY_ID: dict[str, Knob] = {knob.id: knob for knob in KNOBS}


def knob_interventions(knob_id: str, clean: Trace) -> list[Intervention]:
    """The knob as interventions: its gate set at every step and unit of every layer-direction
    of its cell (InterventionError naming "knobs" when the model has no such layer)."""
    knob = KNOBS_BY_ID.get(knob_id)
    if knob is None:
        raise InterventionError(
            "knobs", f"unknown knob {knob_id[:40]!r}; known: {', '.join(KNOBS_BY_ID)}"
        )
    found = [
        Intervention(
            f"layer{layer.layer}.{layer.direction}.{knob.gate}", "set", value=knob.pytorch_value
        )
        for layer in clean.layers
        if layer.kind == knob.cell
    ]
    if not found:
        raise InterventionError(
            "knobs", f"{knob.id} needs an {knob.cell.upper()} layer; this model has none"
        )
    return found
