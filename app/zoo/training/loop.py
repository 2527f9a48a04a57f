"""The training loop: seeding, shuffled batches, one optimiser step, epochs with early stopping.

Nothing here knows about recipes or data sets. `train_step` is the unit a caller can drive on
its own (model, batch, optimiser -> loss); `fit` runs epochs of it over tensors, keeps the best
epoch by a validation score, and shows a progress bar.
"""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from torch import Tensor, nn

from app.zoo.network import GateNet

# (inputs, targets) -> the batch's mean loss, a scalar with a graph back to the parameters.
LossFn = Callable[[Tensor, Tensor], Tensor]


@dataclass(frozen=True)
class Schedule:
    """How long and how hard to train: the optimisation half of a recipe."""

    name: str  # shown on the progress bar
    epochs: int
    batch_size: int
    learning_rate: float
    seed: int
    weight_decay: float = 0.0
    gradient_clip: float | None = 1.0  # max gradient norm; None: no clipping
    patience: int | None = None  # epochs without a better validation score before stopping
    # fit_stream only: the learning rate falls linearly to this fraction of itself by the last
    # update (None: constant).
    final_lr_fraction: float | None = None


@dataclass(frozen=True)
class StepResult:
    """What one optimiser step did."""

    loss: float  # the batch's mean loss, before the step
    rows: int
    gradient_norm: float = math.nan  # the gradients' total norm, before clipping
    applied: bool = True  # False when skip_nonfinite kept a NaN/inf step from the weights


class Trainable(Protocol):
    """What `fit` trains: a network, its loss, and a validation score (higher is better)."""

    @property
    def network(self) -> nn.Module: ...

    def loss(self, inputs: Tensor, targets: Tensor) -> Tensor: ...

    def validation_score(self) -> float: ...

    def shown(self, score: float) -> str:
        """The validation score as the progress bar shows it."""
        ...


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def batches(size: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    """Row indices of one epoch, shuffled by `generator`, in batches of `batch_size`."""
    order = torch.randperm(size, generator=generator)
    yield from order.split(batch_size)


def forward_with_dropout(
    network: GateNet, features: Tensor, dropout: float, head_dropout: float
) -> Tensor:
    """GateNet's forward with dropout on the recurrent inputs and on what the head reads.

    Dropout acts only while `network.training`; in eval mode this is exactly `network(features)`.
    """
    features = nn.functional.dropout(features, dropout, network.training)
    outputs, state = network.run_blocks(features)
    read = nn.functional.dropout(network.head_input(outputs, state), head_dropout, network.training)
    return network.head(read)  # type: ignore[no-any-return]


def adam(network: nn.Module, schedule: Schedule) -> torch.optim.Optimizer:
    return torch.optim.Adam(
        network.parameters(), lr=schedule.learning_rate, weight_decay=schedule.weight_decay
    )


def train_step(
    network: nn.Module,
    loss_fn: LossFn,
    inputs: Tensor,
    targets: Tensor,
    optimiser: torch.optim.Optimizer,
    gradient_clip: float | None = None,
    skip_nonfinite: bool = False,
) -> StepResult:
    """One optimiser step on one batch: loss, gradients (clipped to a norm), update.

    With `skip_nonfinite`, a step whose loss or gradient norm is NaN or infinite is not applied
    (the playground pauses there instead of training on garbage).
    """
    loss = loss_fn(inputs, targets)
    optimiser.zero_grad()
    loss.backward()  # type: ignore[no-untyped-call]
    # clip_grad_norm_ returns the norm before clipping; with no limit it only measures it.
    limit = gradient_clip if gradient_clip is not None else math.inf
    norm = float(nn.utils.clip_grad_norm_(network.parameters(), limit))
    value = loss.item()
    finite = math.isfinite(value) and math.isfinite(norm)
    if finite or not skip_nonfinite:
        optimiser.step()
    return StepResult(
        loss=value, rows=len(inputs), gradient_norm=norm, applied=finite or not skip_nonfinite
    )


def progress_bar(enabled: bool) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]:.4f}"),
        TextColumn("{task.fields[metric]}"),
        TimeElapsedColumn(),
        disable=not enabled,
    )


class _BestEpoch:
    """The best validation score so far with its weights, and the epochs waited since."""

    def __init__(self, patience: int | None) -> None:
        self.patience = patience
        self.score: float | None = None
        self.state: dict[str, Tensor] = {}
        self.waited = 0

    def offer(self, score: float, network: nn.Module) -> bool:
        """Keep `network`'s weights if `score` is the best yet; say whether it was."""
        if self.score is None or score > self.score:
            self.score, self.state, self.waited = score, copy.deepcopy(network.state_dict()), 0
            return True
        self.waited += 1
        return False

    @property
    def patience_ran_out(self) -> bool:
        return self.patience is not None and self.waited >= self.patience


def fit(
    task: Trainable,
    inputs: Tensor,
    targets: Tensor,
    schedule: Schedule,
    progress: bool = True,
) -> list[dict[str, float]]:
    """Train `task.network` for up to `schedule.epochs` epochs; keep the best epoch's weights.

    Returns one {"epoch", "loss", "validation"} row per epoch run. The network ends in eval mode.
    """
    network = task.network
    optimiser = adam(network, schedule)
    generator = torch.Generator().manual_seed(schedule.seed)
    steps = math.ceil(len(inputs) / schedule.batch_size)
    history: list[dict[str, float]] = []
    best = _BestEpoch(schedule.patience)
    with progress_bar(progress) as bar:
        shown = bar.add_task(schedule.name, total=schedule.epochs * steps, loss=0.0, metric="")
        for epoch in range(1, schedule.epochs + 1):
            description = f"{schedule.name} epoch {epoch}/{schedule.epochs}"
            bar.update(shown, description=description)
            loss = _epoch(task, inputs, targets, schedule, optimiser, generator, bar, shown)
            network.eval()
            score = task.validation_score()
            history.append({"epoch": epoch, "loss": loss, "validation": score})
            bar.update(shown, metric=task.shown(score))
            if not best.offer(score, network) and best.patience_ran_out:
                break
    network.load_state_dict(best.state)
    network.eval()
    return history


def _epoch(
    task: Trainable,
    inputs: Tensor,
    targets: Tensor,
    schedule: Schedule,
    optimiser: torch.optim.Optimizer,
    generator: torch.Generator,
    bar: Progress,
    shown: TaskID,
) -> float:
    """One pass over the training rows in shuffled batches; the mean loss per row."""
    task.network.train()
    total = 0.0
    for batch in batches(len(inputs), schedule.batch_size, generator):
        step = train_step(
            task.network,
            task.loss,
            inputs[batch],
            targets[batch],
            optimiser,
            schedule.gradient_clip,
        )
        total += step.loss * step.rows
        bar.update(shown, advance=1, loss=step.loss)
    return total / len(inputs)


# -- language models: truncated backpropagation through time ---------------------------------


class StreamTrainable(Trainable, Protocol):
    """A language model trained on one long stream: its loss carries the recurrent state
    from one window to the next, and `reset_state` forgets it (at each epoch's start)."""

    def reset_state(self) -> None: ...


def streams_of(ids: Tensor, batch_size: int) -> Tensor:
    """One long id sequence as `batch_size` parallel streams (batch_size, length); the tail
    that does not fill a row is dropped."""
    length = len(ids) // batch_size
    return ids[: length * batch_size].view(batch_size, length)


def windows_of(streams: Tensor, bptt: int) -> Iterator[tuple[Tensor, Tensor]]:
    """(inputs, targets) windows of up to `bptt` steps; targets are the inputs one step on."""
    length = streams.shape[1]
    for start in range(0, length - 1, bptt):
        end = min(start + bptt, length - 1)
        yield streams[:, start:end], streams[:, start + 1 : end + 1]


def fit_stream(
    task: StreamTrainable, ids: Tensor, schedule: Schedule, bptt: int, progress: bool = True
) -> list[dict[str, float]]:
    """Truncated BPTT: every epoch walks `schedule.batch_size` parallel streams of `ids` in
    windows of `bptt` steps, one `train_step` per window, the state carried (detached) between
    windows. Keeps the best epoch by `task.validation_score()`; the network ends in eval mode."""
    network = task.network
    optimiser = adam(network, schedule)
    streams = streams_of(ids, schedule.batch_size)
    steps = math.ceil((streams.shape[1] - 1) / bptt)
    decay = _linear_decay(optimiser, schedule.final_lr_fraction, schedule.epochs * steps)
    history: list[dict[str, float]] = []
    best = _BestEpoch(schedule.patience)
    with progress_bar(progress) as bar:
        shown = bar.add_task(schedule.name, total=schedule.epochs * steps, loss=0.0, metric="")
        for epoch in range(1, schedule.epochs + 1):
            bar.update(shown, description=f"{schedule.name} epoch {epoch}/{schedule.epochs}")
            network.train()
            task.reset_state()
            total, rows = 0.0, 0
            for inputs, targets in windows_of(streams, bptt):
                step = train_step(
                    network, task.loss, inputs, targets, optimiser, schedule.gradient_clip
                )
                total, rows = total + step.loss, rows + 1
                bar.update(shown, advance=1, loss=step.loss)
                if decay is not None:
                    decay.step()
            network.eval()
            score = task.validation_score()
            history.append({"epoch": epoch, "loss": total / max(rows, 1), "validation": score})
            bar.update(shown, metric=task.shown(score))
            if not best.offer(score, network) and best.patience_ran_out:
                break
    network.load_state_dict(best.state)
    network.eval()
    return history


def _linear_decay(
    optimiser: torch.optim.Optimizer, final: float | None, updates: int
) -> torch.optim.lr_scheduler.LambdaLR | None:
    """The learning rate times 1 at the first update, falling linearly to `final` at the last."""
    if final is None:
        return None
    span = max(updates - 1, 1)
    return torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda update: 1.0 - (1.0 - final) * min(update, span) / span
    )
