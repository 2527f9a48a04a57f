"""The playground's tasks: seeded generators of toy sequences with long dependencies.

Every task makes batches of right-padded sequences: one-hot symbols (or numbers) in, and a
target at the scored steps (`mask`): a class or a value at the last step (`readout == "final"`)
or at every step (`"steps"`). A batch also carries per-step facts (depth, count, filler...)
that the gate hypotheses (hypotheses.py) read. A generator draws only from the
`torch.Generator` it is given, so a seed fixes every batch.

Baselines are what a network that ignores its input can score: the loss of always predicting
the class frequencies (classes) or the mean (values), and the accuracy of always predicting
the most frequent class (or the mean), estimated on a fixed seeded sample.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal

import torch
from torch import Tensor

Split = Literal["train", "test"]
Output = Literal["classes", "value"]
Readout = Literal["final", "steps"]

BASELINE_SAMPLE = 2048
BASELINE_SEED = 20_240_514
PROBE_SEED = 7


@dataclass(frozen=True)
class Batch:
    """Right-padded sequences; every tensor is batch first."""

    inputs: Tensor  # (batch, steps, features), float32; zeros past each length
    targets: Tensor  # (batch, steps): class ids (long) or values (float32); 0 where not scored
    mask: Tensor  # (batch, steps), bool: the steps the loss and accuracy score
    lengths: Tensor  # (batch,), long
    facts: dict[str, Tensor] = field(default_factory=dict)  # (batch, steps) each

    @property
    def present(self) -> Tensor:
        """(batch, steps), bool: the steps inside each sequence."""
        steps = torch.arange(self.inputs.shape[1])
        return steps[None, :] < self.lengths[:, None]


Generate = Callable[[int, int, torch.Generator, Split], Batch]


@dataclass(frozen=True)
class Task:
    """One task: how to make its sequences, how they are scored, and what it teaches."""

    name: str
    generate: Generate
    features: tuple[str, ...]  # input symbols (one-hot) or the names of numeric inputs
    output: Output
    readout: Readout
    classes: tuple[str, ...] = ()  # class names, for output == "classes"
    symbolic: bool = True  # inputs are one-hot symbols (else numbers)
    size_default: int = 20
    size_min: int = 2
    size_max: int = 100
    size_name: dict[str, str] = field(default_factory=dict)  # {"en", "ko"}
    explain: dict[str, str] = field(default_factory=dict)  # {"en", "ko"}
    tolerance: float = 0.0  # values: a prediction within this counts as correct
    longer_test: bool = False  # the test set holds longer sequences than training

    @property
    def width(self) -> int:
        """How many numbers one input step has."""
        return len(self.features)

    @property
    def outputs(self) -> int:
        """How many numbers the readout gives per step."""
        return len(self.classes) if self.output == "classes" else 1

    def check_size(self, size: int) -> int:
        if not self.size_min <= size <= self.size_max:
            raise ValueError(
                f"size must be between {self.size_min} and {self.size_max} for {self.name}, "
                f"got {size}"
            )
        return size


# -- small helpers ---------------------------------------------------------------------------


def randint(low: int, high: int, shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """Uniform integers in [low, high], both included."""
    return torch.randint(low, high + 1, shape, generator=generator)


def one_hot(symbols: Tensor, width: int, present: Tensor) -> Tensor:
    """(batch, steps) symbol ids -> (batch, steps, width) one-hot; zeros where not present."""
    coded = torch.nn.functional.one_hot(symbols.clamp(0, width - 1), width).float()
    return coded * present[..., None]


def steps_below(lengths: Tensor, steps: int) -> Tensor:
    return torch.arange(steps)[None, :] < lengths[:, None]


def last_step_mask(lengths: Tensor, steps: int) -> Tensor:
    return torch.arange(steps)[None, :] == (lengths - 1)[:, None]


def final_targets(values: Tensor, lengths: Tensor, steps: int) -> Tensor:
    """A target at each sequence's last step, zero elsewhere."""
    targets = torch.zeros(len(lengths), steps, dtype=values.dtype)
    targets[torch.arange(len(lengths)), lengths - 1] = values
    return targets


def length_range(size: int, split: Split) -> tuple[int, int]:
    """Training lengths 1..size; test lengths size+1..2*size (the longer ones)."""
    return (1, size) if split == "train" else (size + 1, 2 * size)


# -- the generators --------------------------------------------------------------------------


def counter(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """a^n b^n; after each symbol, what may come next: 'a or b', 'b', or the end."""
    low, high = length_range(size, split)
    n = randint(low, high, (batch,), generator)[:, None]
    lengths = 2 * n[:, 0]
    steps = int(lengths.max())
    t = torch.arange(steps)[None, :]
    present = t < 2 * n
    is_b = (t >= n) & present
    b_read = (t - n + 1).clamp(min=0)
    targets = torch.where(is_b, torch.where(b_read < n, 1, 2), 0) * present
    count = torch.where(t < n, t + 1, n - b_read) * present
    return Batch(
        inputs=one_hot(is_b.long(), 2, present),
        targets=targets,
        mask=present,
        lengths=lengths,
        facts={"count": count.float()},
    )


SELECTIVE_MAX_COUNT = 9


def selective_counter(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """T symbols, k of them 'a' and the rest distractors 'x'/'y'; at the end, k."""
    k = randint(0, min(SELECTIVE_MAX_COUNT, size), (batch,), generator)
    ranks = torch.rand(batch, size, generator=generator).argsort(dim=1).argsort(dim=1)
    is_a = ranks < k[:, None]
    distractor = randint(1, 2, (batch, size), generator)
    symbols = torch.where(is_a, 0, distractor)
    lengths = torch.full((batch,), size)
    present = torch.ones(batch, size, dtype=torch.bool)
    return Batch(
        inputs=one_hot(symbols, 3, present),
        targets=final_targets(k, lengths, size),
        mask=last_step_mask(lengths, size),
        lengths=lengths,
        facts={"count": is_a.cumsum(dim=1).float(), "distractor": (~is_a).float()},
    )


LATCH_SYMBOLS = ("A", "B", "C", "D")


def latch(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """One of four symbols, then `size` fillers '_'; at the end, the first symbol."""
    first = randint(0, len(LATCH_SYMBOLS) - 1, (batch,), generator)
    steps = size + 1
    symbols = torch.full((batch, steps), len(LATCH_SYMBOLS))
    symbols[:, 0] = first
    lengths = torch.full((batch,), steps)
    present = torch.ones(batch, steps, dtype=torch.bool)
    filler = torch.ones(batch, steps)
    filler[:, 0] = 0
    return Batch(
        inputs=one_hot(symbols, len(LATCH_SYMBOLS) + 1, present),
        targets=final_targets(first, lengths, steps),
        mask=last_step_mask(lengths, steps),
        lengths=lengths,
        facts={"filler": filler},
    )


def dyck1(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """Balanced brackets of even length (train 2..size, test size+2..2*size); after each symbol,
    whether ')' may come next (depth > 0) or only '(' and the end (depth 0)."""
    low, high = length_range(size // 2, split)
    lengths = 2 * randint(low, high, (batch,), generator)
    steps = int(lengths.max())
    coins = torch.rand(batch, steps, generator=generator) < 0.5
    depth = torch.zeros(batch, dtype=torch.long)
    symbols = torch.zeros(batch, steps, dtype=torch.long)
    depths = torch.zeros(batch, steps, dtype=torch.long)
    for t in range(steps):
        remaining = lengths - t
        opens = (depth == 0) | ((depth < remaining) & coins[:, t])
        active = t < lengths
        depth = depth + torch.where(active, torch.where(opens, 1, -1), 0)
        symbols[:, t] = torch.where(opens, 0, 1)
        depths[:, t] = depth
    present = steps_below(lengths, steps)
    return Batch(
        inputs=one_hot(symbols, 2, present),
        targets=(depths > 0).long() * present,
        mask=present,
        lengths=lengths,
        facts={"depth": depths.float()},
    )


def parity(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """Bits of length 1..size (test size+1..2*size); at the end, whether the count of 1s is odd."""
    low, high = length_range(size, split)
    lengths = randint(low, high, (batch,), generator)
    steps = int(lengths.max())
    present = steps_below(lengths, steps)
    bits = randint(0, 1, (batch, steps), generator) * present
    running = bits.cumsum(dim=1) % 2
    final = running[torch.arange(batch), lengths - 1]
    return Batch(
        inputs=one_hot(bits, 2, present),
        targets=final_targets(final, lengths, steps),
        mask=last_step_mask(lengths, steps),
        lengths=lengths,
        facts={"parity": running.float()},
    )


def adding(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """(value, marker) pairs; two markers, one in each half; at the end, the marked values' sum."""
    values = torch.rand(batch, size, generator=generator)
    half = size // 2
    first = randint(0, half - 1, (batch,), generator)
    second = randint(half, size - 1, (batch,), generator)
    rows = torch.arange(batch)
    markers = torch.zeros(batch, size)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    total = values[rows, first] + values[rows, second]
    lengths = torch.full((batch,), size)
    return Batch(
        inputs=torch.stack([values, markers], dim=-1),
        targets=final_targets(total, lengths, size),
        mask=last_step_mask(lengths, size),
        lengths=lengths,
        facts={"marker": markers, "unmarked": 1.0 - markers},
    )


COPY_LENGTH = 10
COPY_SYMBOLS = ("a", "b", "c", "d", "e", "f", "g", "h")
COPY_BLANK = "_"
COPY_DELIMITER = ":"


def copy(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """Ten symbols, size-1 blanks, ':', ten blanks; the output is blanks until the ':' has been
    read, then the ten symbols again (Arjovsky et al. 2016, with T = size)."""
    data = randint(0, len(COPY_SYMBOLS) - 1, (batch, COPY_LENGTH), generator)
    steps = size + 2 * COPY_LENGTH
    blank, delimiter = len(COPY_SYMBOLS), len(COPY_SYMBOLS) + 1
    symbols = torch.full((batch, steps), blank)
    symbols[:, :COPY_LENGTH] = data
    symbols[:, COPY_LENGTH + size - 1] = delimiter
    targets = torch.zeros(batch, steps, dtype=torch.long)
    targets[:, -COPY_LENGTH:] = data + 1  # class 0 is the blank
    present = torch.ones(batch, steps, dtype=torch.bool)
    return Batch(
        inputs=one_hot(symbols, len(COPY_SYMBOLS) + 2, present),
        targets=targets,
        mask=present,
        lengths=torch.full((batch,), steps),
        facts={"blank": (symbols == blank).float()},
    )


SINE_NOISE = 0.05


def sine(size: int, batch: int, generator: torch.Generator, split: Split) -> Batch:
    """`size` values of a noisy sine (random frequency and phase); the target is the next one."""
    omega = 0.15 + 0.45 * torch.rand(batch, 1, generator=generator)
    phase = 2 * math.pi * torch.rand(batch, 1, generator=generator)
    t = torch.arange(size + 1)[None, :]
    noise = SINE_NOISE * torch.randn(batch, size + 1, generator=generator)
    series = torch.sin(omega * t + phase) + noise
    lengths = torch.full((batch,), size)
    return Batch(
        inputs=series[:, :size, None],
        targets=final_targets(series[:, size], lengths, size),
        mask=last_step_mask(lengths, size),
        lengths=lengths,
    )


# -- the catalogue ---------------------------------------------------------------------------

TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            name="counter",
            generate=counter,
            features=("a", "b"),
            output="classes",
            readout="steps",
            classes=("a or b", "b", "end"),
            size_default=10,
            size_min=2,
            size_max=50,
            size_name={"en": "largest n in training", "ko": "학습에 쓰는 가장 큰 n"},
            longer_test=True,
            explain={
                "en": "a…a b…b with as many b's as a's (aⁿbⁿ). After each symbol the network "
                "says what may come next: 'a or b' while reading a's, 'b' while b's are still "
                "owed, 'end' after the last b. It must count: up on a, down on b. The test "
                "uses longer strings (n up to twice the training n).",
                "ko": "a를 n개, 이어서 b를 n개 읽는 aⁿbⁿ 문자열입니다. 기호마다 다음에 올 수 "
                "있는 것을 맞힙니다: a를 읽는 동안은 'a 또는 b', b가 남아 있으면 'b', 마지막 b "
                "뒤에는 '끝'. a에서 올리고 b에서 내리는 셈을 해야 합니다. 시험은 학습보다 긴 "
                "문자열(n이 최대 두 배)로 합니다.",
            },
        ),
        Task(
            name="selective-counter",
            generate=selective_counter,
            features=("a", "x", "y"),
            output="classes",
            readout="final",
            classes=tuple(str(count) for count in range(SELECTIVE_MAX_COUNT + 1)),
            size_default=20,
            size_min=5,
            size_max=100,
            size_name={"en": "sequence length T", "ko": "시퀀스 길이 T"},
            explain={
                "en": "T symbols: a few a's among distractors x and y. At the end the network "
                "says how many a's it saw (0-9). It must count the a's and ignore the rest: "
                "the input gate should close on distractors.",
                "ko": "방해 기호 x, y 사이에 a가 몇 개 섞인 T개의 기호입니다. 끝에서 a가 몇 "
                "개였는지(0~9) 답합니다. a만 세고 나머지는 무시해야 하므로 방해 기호에서는 "
                "입력 게이트가 닫혀야 합니다.",
            },
        ),
        Task(
            name="latch",
            generate=latch,
            features=(*LATCH_SYMBOLS, "_"),
            output="classes",
            readout="final",
            classes=LATCH_SYMBOLS,
            size_default=20,
            size_min=1,
            size_max=200,
            size_name={"en": "fillers T", "ko": "채움 기호 수 T"},
            explain={
                "en": "One of A, B, C, D, then T fillers '_'. At the end the network names the "
                "first symbol. It must write once and hold: forget gate near 1 and input gate "
                "near 0 across the fillers. A plain RNN's memory fades with T.",
                "ko": "A, B, C, D 중 하나 뒤에 채움 기호 '_'가 T개 이어집니다. 끝에서 첫 기호를 "
                "맞힙니다. 한 번 쓰고 유지해야 하므로 채움 기호 동안 망각 게이트는 1 가까이, "
                "입력 게이트는 0 가까이 있어야 합니다. 기본 RNN의 기억은 T가 길수록 흐려집니다.",
            },
        ),
        Task(
            name="dyck1",
            generate=dyck1,
            features=("(", ")"),
            output="classes",
            readout="steps",
            classes=("( or end", ") allowed"),
            size_default=50,
            size_min=4,
            size_max=100,
            size_name={"en": "longest training string", "ko": "학습 문자열의 최대 길이"},
            longer_test=True,
            explain={
                "en": "Balanced brackets. After each bracket the network says whether ')' may "
                "come next (some bracket is still open) or only '(' and the end. It trains on "
                "lengths 2-50 and is tested on 52-100: to generalise, one cell must track the "
                "depth.",
                "ko": "짝이 맞는 괄호열입니다. 괄호마다 다음에 ')'가 올 수 있는지(열린 괄호가 "
                "남았는지), 아니면 '('와 끝만 올 수 있는지 답합니다. 길이 2~50으로 배우고 "
                "52~100으로 시험하므로, 일반화하려면 셀 하나가 깊이를 세어야 합니다.",
            },
        ),
        Task(
            name="parity",
            generate=parity,
            features=("0", "1"),
            output="classes",
            readout="final",
            classes=("even", "odd"),
            size_default=10,
            size_min=2,
            size_max=50,
            size_name={"en": "longest training string", "ko": "학습 비트열의 최대 길이"},
            longer_test=True,
            explain={
                "en": "A string of bits; at the end, is the number of 1s odd? One unit must "
                "flip on every 1 and hold on every 0: a flip-flop. The test uses longer "
                "strings than training.",
                "ko": "비트열을 읽고 끝에서 1의 개수가 홀수인지 답합니다. 1마다 뒤집히고 0에서는 "
                "그대로인 유닛(플립플롭)이 필요합니다. 시험은 학습보다 긴 비트열로 합니다.",
            },
        ),
        Task(
            name="adding",
            generate=adding,
            features=("value", "marker"),
            output="value",
            readout="final",
            symbolic=False,
            size_default=50,
            size_min=4,
            size_max=200,
            size_name={"en": "sequence length T", "ko": "시퀀스 길이 T"},
            tolerance=0.04,
            explain={
                "en": "T pairs (value, marker); two steps are marked, one in each half. At the "
                "end the network gives the sum of the two marked values (Hochreiter & "
                "Schmidhuber 1997). The input gate should open on markers and the forget gate "
                "stay near 1 elsewhere. Correct: within 0.04.",
                "ko": "(값, 표시) 쌍이 T개 있고 앞뒤 절반에 하나씩 두 단계가 표시되어 있습니다. "
                "끝에서 표시된 두 값의 합을 답합니다(Hochreiter & Schmidhuber 1997). 입력 "
                "게이트는 표시에서 열리고 그 밖에서는 망각 게이트가 1 가까이 있어야 합니다. "
                "오차 0.04 이내면 정답입니다.",
            },
        ),
        Task(
            name="copy",
            generate=copy,
            features=(*COPY_SYMBOLS, COPY_BLANK, COPY_DELIMITER),
            output="classes",
            readout="steps",
            classes=(COPY_BLANK, *COPY_SYMBOLS),
            size_default=10,
            size_min=1,
            size_max=100,
            size_name={"en": "blanks T", "ko": "빈칸 수 T"},
            explain={
                "en": "Ten symbols from a-h, T blanks with a ':' as the last, then ten blanks "
                "during which the network must write the ten symbols back (Arjovsky et al. "
                "2016). The state must hold ten symbols across the blanks.",
                "ko": "a~h 중 열 개의 기호, 마지막이 ':'인 T개의 빈칸, 그리고 열 개의 빈칸이 "
                "이어지며, 마지막 열 칸 동안 처음 열 기호를 그대로 다시 써야 합니다(Arjovsky "
                "외 2016). 빈칸 내내 상태가 열 기호를 붙잡고 있어야 합니다.",
            },
        ),
        Task(
            name="sine",
            generate=sine,
            features=("x",),
            output="value",
            readout="final",
            symbolic=False,
            size_default=20,
            size_min=5,
            size_max=100,
            size_name={"en": "window length T", "ko": "창 길이 T"},
            tolerance=0.1,
            explain={
                "en": "T values of a noisy sine with a random frequency and phase; the network "
                "predicts the next value, like the class notes' window regression. Correct: "
                "within 0.1.",
                "ko": "주파수와 위상이 무작위인, 잡음 섞인 사인파 T개 값을 읽고 다음 값을 "
                "예측합니다(수업 노트의 창 회귀와 같습니다). 오차 0.1 이내면 정답입니다.",
            },
        ),
    )
}


def get_task(name: str) -> Task:
    try:
        return TASKS[name]
    except KeyError:
        raise ValueError(f"there is no task {name!r}; the tasks are: {', '.join(TASKS)}") from None


def make_batch(task: Task, size: int, batch: int, seed: int, split: Split = "train") -> Batch:
    """A batch fixed by `seed` alone."""
    return task.generate(task.check_size(size), batch, torch.Generator().manual_seed(seed), split)


# -- scoring ---------------------------------------------------------------------------------


def loss(task: Task, outputs: Tensor, batch: Batch) -> Tensor:
    """The mean loss over the scored steps: cross-entropy (classes) or squared error (values).

    `outputs` is (batch, steps, task.outputs): logits, or the predicted value.
    """
    mask = batch.mask
    if task.output == "classes":
        return torch.nn.functional.cross_entropy(outputs[mask], batch.targets[mask])
    return torch.nn.functional.mse_loss(outputs[..., 0][mask], batch.targets[mask])


def correct_sequences(task: Task, outputs: Tensor, batch: Batch) -> Tensor:
    """(batch,), bool: every scored step right (the class, or the value within tolerance)."""
    if task.output == "classes":
        right = outputs.argmax(dim=-1) == batch.targets
    else:
        right = (outputs[..., 0] - batch.targets).abs() < task.tolerance
    return (right | ~batch.mask).all(dim=1)


def accuracy(task: Task, outputs: Tensor, batch: Batch) -> float:
    return float(correct_sequences(task, outputs, batch).float().mean())


@dataclass(frozen=True)
class Baseline:
    """What a network that ignores its input scores (on the test split)."""

    loss: float
    accuracy: float
    kind: str  # "chance" (class frequencies) or "mean"


@lru_cache(maxsize=256)
def baseline(name: str, size: int) -> Baseline:
    task = get_task(name)
    batch = make_batch(task, size, BASELINE_SAMPLE, BASELINE_SEED, "test")
    targets = batch.targets[batch.mask]
    steps = batch.mask.shape[1]
    if task.output == "classes":
        counts = torch.bincount(targets, minlength=task.outputs).float()
        frequencies = counts / counts.sum()
        entropy = -(frequencies[frequencies > 0] * frequencies[frequencies > 0].log()).sum()
        constant = torch.zeros(len(batch.lengths), steps, task.outputs)
        constant[..., int(counts.argmax())] = 1.0
        return Baseline(float(entropy), accuracy(task, constant, batch), "chance")
    mean = targets.mean()
    constant = torch.full((len(batch.lengths), steps, 1), float(mean))
    variance = float(((targets - mean) ** 2).mean())
    return Baseline(variance, accuracy(task, constant, batch), "mean")


# -- text for one sequence (probes and traces) -----------------------------------------------


def encode(task: Task, text: str) -> Tensor:
    """A probe as the page writes it -> (1, steps, features).

    Symbols: one character each ("aaabbb", spaces ignored). Numbers: one step per line (or
    separated by ';'), the step's values separated by commas or spaces.
    """
    if task.symbolic:
        symbols = [char for char in text if not char.isspace()]
        if not symbols:
            raise ValueError("input is empty; type one symbol per step")
        unknown = sorted({char for char in symbols if char not in task.features})
        if unknown:
            raise ValueError(
                f"input has {', '.join(map(repr, unknown))}, which the {task.name} task does "
                f"not use; its symbols are {' '.join(task.features)}"
            )
        ids = torch.tensor([[task.features.index(char) for char in symbols]])
        return one_hot(ids, task.width, torch.ones_like(ids, dtype=torch.bool))
    return torch.tensor([_number_rows(task, text)], dtype=torch.float32)


def _number_rows(task: Task, text: str) -> list[list[float]]:
    lines = [line for line in re.split(r"[\n;]", text) if line.strip()]
    if not lines:
        raise ValueError(f"input is empty; type one step per line, {task.width} value(s) each")
    rows = []
    for step, line in enumerate(lines):
        parts = [part for part in re.split(r"[,\s]+", line.strip()) if part]
        if len(parts) != task.width:
            raise ValueError(
                f"input step {step + 1} has {len(parts)} value(s); the {task.name} task reads "
                f"{task.width}: {', '.join(task.features)}"
            )
        try:
            row = [float(part) for part in parts]
        except ValueError:
            raise ValueError(f"input step {step + 1} is not numbers: {line.strip()!r}") from None
        if not all(math.isfinite(value) for value in row):
            raise ValueError(f"input step {step + 1} must hold finite numbers")
        rows.append(row)
    return rows


def decode(task: Task, batch: Batch, row: int = 0) -> str:
    """One sequence of a batch written as `encode` reads it."""
    steps = int(batch.lengths[row])
    inputs = batch.inputs[row, :steps]
    if task.symbolic:
        return "".join(task.features[int(index)] for index in inputs.argmax(dim=-1))
    return "\n".join(", ".join(f"{value:.3g}" for value in step.tolist()) for step in inputs)


@lru_cache(maxsize=256)
def probe(name: str, size: int) -> str:
    """The task's probe sequence: the first of a fixed training batch."""
    task = get_task(name)
    return decode(task, make_batch(task, size, 1, PROBE_SEED, "train"))
