"""Runs on disk: determinism across call splits, the NaN guard, limits, the queue, idle sweeps."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file

from app.playground.runs import (
    STATE_FILE,
    Limits,
    RunConfig,
    RunError,
    TrainingSlots,
    checkpoint_trace,
    create_run,
    delete_run,
    get_run,
    run_dir,
    sweep_idle,
    train,
)

TINY = RunConfig(
    task="dyck1", size=8, cell="all", hidden=3, batch_size=8, eval_every=4, checkpoint_every=6
)


def weights(data_dir: Path, run_id: str) -> dict[str, torch.Tensor]:
    return load_file(str(run_dir(data_dir, run_id) / STATE_FILE))


def test_same_config_and_steps_give_the_same_weights_and_metrics_however_split(
    tmp_path: Path,
) -> None:
    limits = Limits()
    whole = create_run(tmp_path, TINY, limits)["id"]
    split = create_run(tmp_path, TINY, limits)["id"]
    train(tmp_path, whole, limits, steps=20)
    for steps in (3, 9, 1, 7):
        train(tmp_path, split, limits, steps=steps)
    first, second = weights(tmp_path, whole), weights(tmp_path, split)
    assert first.keys() == second.keys()
    assert all(torch.equal(first[name], second[name]) for name in first)
    a, b = get_run(tmp_path, whole), get_run(tmp_path, split)
    assert a["history"] == b["history"] and a["checkpoints"] == b["checkpoints"]
    assert [row["step"] for row in a["history"]["gru"]] == [0, 4, 8, 12, 16, 20]
    assert [point["step"] for point in a["checkpoints"]] == [0, 6, 12, 18]
    other = create_run(tmp_path, TINY.model_copy(update={"seed": 1}), limits)["id"]
    train(tmp_path, other, limits, steps=20)
    assert not torch.equal(
        weights(tmp_path, other)["gru.model.readout.weight"], first["gru.model.readout.weight"]
    )


def test_racing_cells_start_from_the_same_seed_and_see_the_same_batches(tmp_path: Path) -> None:
    run = create_run(tmp_path, TINY, Limits())
    assert run["cells"] == ["rnn", "lstm", "gru"]
    assert set(run["history"]) == {"rnn", "lstm", "gru"}
    trace = checkpoint_trace(tmp_path, run["id"], 0, "(())")
    assert [
        layer["kind"]
        for cell in ("rnn", "lstm", "gru")
        for layer in trace["traces"][cell]["layers"]
    ] == ["rnn", "lstm", "gru"]
    assert set(trace["traces"]["lstm"]["layers"][0]["gates"]) == {
        "input",
        "forget",
        "candidate",
        "output",
    }
    assert trace["traces"]["gru"]["tokens"] == ["(", "(", ")", ")"]


def test_a_nan_pauses_the_run_with_a_message_and_keeps_the_last_good_weights(
    tmp_path: Path,
) -> None:
    config = RunConfig(
        task="sine",
        size=5,
        cell="rnn",
        hidden=4,
        optimizer="sgd",
        learning_rate=100,
        gradient_clip=None,
        batch_size=4,
    )
    run_id = create_run(tmp_path, config, Limits())["id"]
    trained = train(tmp_path, run_id, Limits(), steps=50)
    assert trained.stopped == "paused"
    run = trained.run
    assert run["status"] == "paused"
    assert "Training paused at step" in run["message"] and "learning rate" in run["message"]
    assert all(torch.isfinite(tensor).all() for tensor in weights(tmp_path, run_id).values())
    with pytest.raises(RunError) as caught:
        train(tmp_path, run_id, Limits(), steps=1)
    assert caught.value.code == "run_paused" and caught.value.status == 409


def test_limits_stop_a_run_and_refuse_what_is_too_big(tmp_path: Path) -> None:
    limits = Limits(max_steps=5, max_call_steps=10)
    run_id = create_run(tmp_path, TINY, limits)["id"]
    trained = train(tmp_path, run_id, limits, steps=10)
    assert (trained.steps, trained.stopped, trained.run["step"]) == (5, "limit", 5)
    assert "limit of 5 steps" in trained.run["message"]
    with pytest.raises(RunError, match="at most 10"):
        train(tmp_path, run_id, limits, steps=11)
    big = RunConfig(task="copy", size=100, cell="all", hidden=64, layers=2, batch_size=256)
    with pytest.raises(RunError) as caught:
        create_run(tmp_path, big, Limits(max_memory_mb=50))
    assert caught.value.code == "run_too_large"


def test_a_call_stops_at_its_time_budget(tmp_path: Path) -> None:
    run_id = create_run(tmp_path, TINY, Limits())["id"]
    trained = train(tmp_path, run_id, Limits(), seconds=0.05)
    assert trained.stopped == "time" and trained.steps >= 1


def test_idle_runs_are_swept_and_deleted_runs_are_gone(tmp_path: Path) -> None:
    kept = create_run(tmp_path, TINY, Limits())["id"]
    old = create_run(tmp_path, TINY, Limits())["id"]
    time.sleep(0.05)
    train(tmp_path, kept, Limits(), steps=1)
    assert sweep_idle(tmp_path, idle_seconds=0.04) == [old]
    delete_run(tmp_path, kept)
    for run_id in (kept, old):
        with pytest.raises(RunError) as caught:
            get_run(tmp_path, run_id)
        assert caught.value.status == 404


def test_slots_let_a_limited_number_in_and_queue_the_rest_in_order() -> None:
    slots = TrainingSlots(1)
    first, second, third = object(), object(), object()
    assert slots.enter(first)
    entered: list[object] = []

    def wait(ticket: object) -> None:
        slots.enter(ticket)
        entered.append(ticket)
        slots.leave()

    threads = [threading.Thread(target=wait, args=(ticket,)) for ticket in (second, third)]
    for thread in threads:
        thread.start()
        time.sleep(0.05)
    assert (slots.position(second), slots.position(third), slots.position(first)) == (1, 2, 0)
    slots.leave()
    for thread in threads:
        thread.join(5)
    assert entered == [second, third]
    full = TrainingSlots(1)
    assert full.enter(object())
    late = object()
    assert full.enter(late, timeout=0.01) is False
    assert full.position(late) == 0  # a ticket that gave up leaves the queue
