"""`train(model_id)`: recipe -> data -> fitted network -> held-out metrics -> models/<id>/."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import torch

from app.config import PROJECT_ROOT
from app.zoo.store import save_model
from app.zoo.training.card import Timing, card, quick_note
from app.zoo.training.datasets import DEFAULT_DATA_DIR
from app.zoo.training.loop import fit, fit_stream, seed_everything
from app.zoo.training.recipes import SEED, Recipe, recipe_for
from app.zoo.training.runs import CharRun, build_run

DEFAULT_OUT_DIR = PROJECT_ROOT / "models"


@dataclass(frozen=True)
class TrainReport:
    """What `train` did: where it wrote, the held-out numbers, and how long it took."""

    model_id: str
    directory: Path
    metrics: dict[str, float]
    seconds: float
    epochs_run: int
    train_rows: int
    held_out_rows: int
    history: list[dict[str, float]] = field(default_factory=list)


def train(
    model_id: str,
    data_dir: Path = DEFAULT_DATA_DIR,
    out_dir: Path = DEFAULT_OUT_DIR,
    *,
    limit: int | None = None,
    epochs: int | None = None,
    progress: bool = True,
    threads: int | None = None,
) -> TrainReport:
    """Train the shipped model `model_id` from scratch and write it to `out_dir/<model_id>/`.

    `limit` caps the training rows and the held-out rows (for quick checks); `epochs`
    overrides the recipe's; `threads` is torch's intra-op thread count while training (the
    recipe's unless given; the previous count is restored). Seeded: the same arguments give
    the same weights.
    """
    recipe = recipe_for(model_id)
    previous_threads = torch.get_num_threads()
    torch.set_num_threads(threads or recipe.threads)
    try:
        return _train(recipe, Path(data_dir), Path(out_dir), limit, epochs, progress)
    finally:
        torch.set_num_threads(previous_threads)


def _train(
    recipe: Recipe,
    data_dir: Path,
    out_dir: Path,
    limit: int | None,
    epochs: int | None,
    progress: bool,
) -> TrainReport:
    wall, cpu = time.perf_counter(), time.process_time()
    seed_everything(SEED)
    run = build_run(recipe, data_dir, limit)
    if isinstance(run, CharRun):
        history = fit_stream(
            run, run.train_tensors()[0], run.schedule(epochs), recipe.bptt, progress
        )
    else:
        history = fit(run, *run.train_tensors(), run.schedule(epochs), progress)
    metrics = run.evaluate()
    timing = Timing(
        wall=time.perf_counter() - wall,
        cpu=time.process_time() - cpu,
        threads=torch.get_num_threads(),
        epochs_run=len(history),
        quick=quick_note(limit, epochs),
    )
    text = card(recipe, run, metrics, timing)
    directory = save_model(run.network, run.config(), text, out_dir / recipe.model_id)
    return TrainReport(
        model_id=recipe.model_id,
        directory=directory,
        metrics=metrics,
        seconds=timing.wall,
        epochs_run=timing.epochs_run,
        train_rows=run.train_rows,
        held_out_rows=run.held_out_rows,
        history=history,
    )
