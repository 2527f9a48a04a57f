"""Every task generator's targets against an independent computation on the decoded sequence,
the baselines against their closed forms, and the gate hypotheses on hand-set networks."""

from __future__ import annotations

import math

import pytest
import torch

from app.playground.hypotheses import check_all
from app.playground.network import build_network
from app.playground.tasks import TASKS, Batch, Task, baseline, decode, encode, make_batch, probe

SEEDS = (0, 1, 2)


def symbols(task: Task, batch: Batch, row: int) -> str:
    return decode(task, batch, row)


def scored(batch: Batch, row: int) -> dict[int, float]:
    """step -> target at the scored steps of one row."""
    steps = batch.mask[row].nonzero().flatten().tolist()
    return {step: float(batch.targets[row, step]) for step in steps}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("split", ["train", "test"])
def test_counter_targets_say_what_may_come_next(seed: int, split: str) -> None:
    task = TASKS["counter"]
    batch = make_batch(task, 6, 32, seed, split)  # type: ignore[arg-type]
    for row in range(32):
        text = symbols(task, batch, row)
        n = text.count("a")
        assert text == "a" * n + "b" * n
        assert (1 <= n <= 6) if split == "train" else (7 <= n <= 12)
        expected = {}
        for step in range(2 * n):
            b_read = text[: step + 1].count("b")
            expected[step] = 0 if b_read == 0 else (1 if b_read < n else 2)
        assert scored(batch, row) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_selective_counter_target_is_the_number_of_as(seed: int) -> None:
    task = TASKS["selective-counter"]
    batch = make_batch(task, 15, 64, seed)
    for row in range(64):
        text = symbols(task, batch, row)
        assert len(text) == 15 and set(text) <= {"a", "x", "y"}
        assert scored(batch, row) == {14: float(text.count("a"))}


@pytest.mark.parametrize("seed", SEEDS)
def test_latch_target_is_the_first_symbol(seed: int) -> None:
    task = TASKS["latch"]
    batch = make_batch(task, 12, 64, seed)
    for row in range(64):
        text = symbols(task, batch, row)
        assert text[1:] == "_" * 12 and text[0] in "ABCD"
        assert scored(batch, row) == {12: float("ABCD".index(text[0]))}


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(("split", "low", "high"), [("train", 2, 50), ("test", 52, 100)])
def test_dyck1_strings_are_balanced_and_targets_say_whether_a_close_may_follow(
    seed: int, split: str, low: int, high: int
) -> None:
    task = TASKS["dyck1"]
    batch = make_batch(task, 50, 64, seed, split)  # type: ignore[arg-type]
    for row in range(64):
        text = symbols(task, batch, row)
        assert low <= len(text) <= high and len(text) % 2 == 0
        depth, expected = 0, {}
        for step, char in enumerate(text):
            depth += 1 if char == "(" else -1
            assert depth >= 0
            expected[step] = float(depth > 0)
        assert depth == 0
        assert scored(batch, row) == expected


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("split", ["train", "test"])
def test_parity_target_is_the_count_of_ones_mod_two(seed: int, split: str) -> None:
    task = TASKS["parity"]
    batch = make_batch(task, 8, 64, seed, split)  # type: ignore[arg-type]
    for row in range(64):
        text = symbols(task, batch, row)
        assert (1 <= len(text) <= 8) if split == "train" else (9 <= len(text) <= 16)
        assert scored(batch, row) == {len(text) - 1: float(text.count("1") % 2)}


@pytest.mark.parametrize("seed", SEEDS)
def test_adding_target_is_the_sum_of_the_two_marked_values(seed: int) -> None:
    task = TASKS["adding"]
    batch = make_batch(task, 30, 64, seed)
    for row in range(64):
        values, markers = batch.inputs[row].T.tolist()
        marked = [step for step, marker in enumerate(markers) if marker == 1.0]
        assert len(marked) == 2 and marked[0] < 15 <= marked[1]
        assert all(0.0 <= value < 1.0 for value in values)
        target = scored(batch, row)
        assert list(target) == [29]
        assert target[29] == pytest.approx(values[marked[0]] + values[marked[1]], abs=1e-6)


@pytest.mark.parametrize("seed", SEEDS)
def test_copy_outputs_the_first_ten_symbols_after_the_delimiter(seed: int) -> None:
    task = TASKS["copy"]
    batch = make_batch(task, 7, 32, seed)
    for row in range(32):
        text = symbols(task, batch, row)
        assert len(text) == 7 + 20
        assert text[10:] == "_" * 6 + ":" + "_" * 10
        expected = {step: 0.0 for step in range(17)}
        expected.update({17 + k: float(1 + "abcdefgh".index(text[k])) for k in range(10)})
        assert scored(batch, row) == expected


@pytest.mark.parametrize("seed", SEEDS)
def test_sine_target_continues_the_window(seed: int) -> None:
    """A noisy sine obeys s[t+1] = 2 cos(w) s[t] - s[t-1]; fit 2 cos(w) on the window by least
    squares and predict the target from the last two values."""
    task = TASKS["sine"]
    batch = make_batch(task, 40, 64, seed)
    errors = []
    for row in range(64):
        x = batch.inputs[row, :, 0].double()
        a = ((x[2:] + x[:-2]) * x[1:-1]).sum() / (x[1:-1] ** 2).sum()
        predicted = float(a * x[-1] - x[-2])
        errors.append(abs(predicted - float(batch.targets[row, 39])))
    assert sum(errors) / len(errors) < 0.15


@pytest.mark.parametrize("name", list(TASKS))
def test_a_seed_fixes_the_batch(name: str) -> None:
    task = TASKS[name]
    first, second = (make_batch(task, task.size_default, 8, 5) for _ in range(2))
    assert torch.equal(first.inputs, second.inputs)
    assert torch.equal(first.targets, second.targets)
    other = make_batch(task, task.size_default, 8, 6)
    assert not torch.equal(first.inputs, other.inputs)


@pytest.mark.parametrize(
    ("name", "size", "expected"),
    [
        pytest.param("adding", 50, 1 / 6, id="adding-variance-of-two-uniforms"),
        pytest.param("parity", 10, math.log(2), id="parity-log2"),
        pytest.param("latch", 20, math.log(4), id="latch-log4"),
        pytest.param("selective-counter", 30, math.log(10), id="selective-log10"),
    ],
)
def test_baselines_match_their_closed_forms(name: str, size: int, expected: float) -> None:
    assert baseline(name, size).loss == pytest.approx(expected, rel=0.05)


@pytest.mark.parametrize("name", list(TASKS))
def test_probe_round_trips_through_encode(name: str) -> None:
    task = TASKS[name]
    text = probe(name, task.size_default)
    inputs = encode(task, text)
    assert inputs.shape[0] == 1 and inputs.shape[2] == task.width
    if task.symbolic:
        assert (
            decode(
                task,
                Batch(inputs, inputs[..., 0], inputs[..., 0] > 2, torch.tensor([inputs.shape[1]])),
            )
            == text
        )


def test_encode_names_the_symbols_it_does_not_know() -> None:
    with pytest.raises(ValueError, match=r"'z'.*its symbols are \( \)"):
        encode(TASKS["dyck1"], "(()z)")
    with pytest.raises(ValueError, match="step 2 has 1 value"):
        encode(TASKS["adding"], "0.5, 1\n0.3")


def latch_lstm(keep: bool) -> torch.nn.Module:
    """An LSTM with one unit that writes on a symbol and (if keep) holds it across fillers."""
    task = TASKS["latch"]
    network = build_network(task, "lstm", 2, 1, 0)
    lstm = network.blocks[0]
    with torch.no_grad():
        for parameter in lstm.parameters():
            parameter.zero_()
        i, f, g, o = lstm.weight_ih_l0.chunk(4, dim=0)
        bi, bf, bg, bo = lstm.bias_ih_l0.chunk(4)
        i[0, :4], i[0, 4] = 10.0, -10.0  # input gate: open on A-D, shut on '_'
        bf[0] = 10.0 if keep else -10.0  # forget gate: keep (or drop) the cell
        g[0, :4] = torch.tensor([-1.0, -0.5, 0.5, 1.0])  # the symbol as a level
        bo[0] = 10.0
    return network


@pytest.mark.parametrize(("keep", "passed"), [(True, True), (False, False)])
def test_latch_hypotheses_on_a_hand_set_lstm(keep: bool, passed: bool) -> None:
    task = TASKS["latch"]
    network = latch_lstm(keep)
    batch = make_batch(task, 10, 64, 3)
    traced, _ = network.trace(batch.inputs)
    forget, write = check_all(task, traced, batch)
    assert forget.where == "layer 1, unit 1"
    assert forget.passed is passed
    assert forget.measured == pytest.approx(1.0 if keep else 0.0, abs=1e-3)
    assert write.passed is True and write.measured < 1e-3
    assert "(expected > 0.9)" in forget.message


def test_gate_hypotheses_do_not_apply_to_the_plain_rnn() -> None:
    task = TASKS["latch"]
    network = build_network(task, "rnn", 4, 1, 0)
    batch = make_batch(task, 10, 16, 3)
    traced, _ = network.trace(batch.inputs)
    assert [check.passed for check in check_all(task, traced, batch)] == [None, None]


def test_dyck1_depth_check_passes_on_a_counting_rnn() -> None:
    """A linear-ish RNN unit that adds 0.1 on '(' and subtracts it on ')' tracks the depth."""
    task = TASKS["dyck1"]
    network = build_network(task, "rnn", 1, 1, 0)
    rnn = network.blocks[0]
    with torch.no_grad():
        for parameter in rnn.parameters():
            parameter.zero_()
        rnn.weight_ih_l0[0] = torch.tensor([0.05, -0.05])
        rnn.weight_hh_l0[0, 0] = 1.0
    batch = make_batch(task, 20, 32, 1)
    traced, _ = network.trace(batch.inputs)
    (depth,) = check_all(task, traced, batch)
    assert depth.passed and depth.measured > 0.95  # tanh bends the count a little
