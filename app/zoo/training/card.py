"""card.md of a trained model: what it reads, its data and split, held-out metrics, how it was
trained and what it is (not) for."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.zoo.training.recipes import SEED, Recipe, description

if TYPE_CHECKING:
    from app.zoo.training.runs import Run


@dataclass(frozen=True)
class Timing:
    """How long a training run took, and whether it was cut short."""

    wall: float
    cpu: float
    threads: int
    epochs_run: int
    quick: str  # "" for the full recipe, else what was cut short


def quick_note(limit: int | None, epochs: int | None) -> str:
    """What a quick run changed from the recipe ("limit=300, epochs=1"), or ""."""
    parts = [f"limit={limit}" if limit is not None else "", f"epochs={epochs}" if epochs else ""]
    return ", ".join(part for part in parts if part)


def card(recipe: Recipe, run: Run, metrics: dict[str, float], timing: Timing) -> str:
    """The whole card.md as Markdown."""
    lines = [
        f"# {recipe.title}",
        "",
        f"`{recipe.model_id}`: {description(recipe)}",
        "",
        "## Data",
        "",
        *_data_lines(run, timing),
        "",
        "## Held-out metrics",
        "",
        *_metric_lines(recipe, metrics),
        "",
        "## Training",
        "",
        *_training_lines(recipe, timing),
        "",
        "## Intended use and limits",
        "",
        *_use_lines(recipe),
        "",
    ]
    return "\n".join(lines)


def _data_lines(run: Run, timing: Timing) -> list[str]:
    if run.recipe.task == "next-token":
        return _char_data_lines(run, timing)
    return [
        f"- File: `{run.data_file}` (from the shared data folder, `../shared/data`).",
        f"- Split: {run.split}.",
        f"- Rows: {run.train_rows} for training, {run.validation_rows} for validation (carved "
        f"from the training part, to pick the best epoch), {run.held_out_rows} held out"
        + (f" (a quick run: {timing.quick})" if timing.quick else "")
        + ".",
    ]


def _char_data_lines(run: Run, timing: Timing) -> list[str]:
    names = getattr(run, "held_out_names", [])
    lines = [
        f"- Files: `{run.data_file}` (from the shared data folder, `../shared/data`).",
        f"- Split: {run.split}.",
        f"- Characters: {run.train_rows:,} for training, {run.validation_rows:,} for validation "
        f"(to pick the best epoch), {run.held_out_rows:,} held out"
        + (f" (a quick run: {timing.quick})" if timing.quick else "")
        + ".",
        f"- Vocabulary: {run.network.head.layers[-1].out_features} symbols (padding, the unknown "
        "symbol, and the characters seen often enough in training), in config.json as the "
        "tokenizer and the labels.",
    ]
    if names:
        lines.append(f"- Held-out files: {', '.join(f'`{name}`' for name in names)}.")
    return lines


def _metric_lines(recipe: Recipe, metrics: dict[str, float]) -> list[str]:
    if recipe.task == "next-token":
        return _bits_lines(metrics)
    if recipe.task == "sentiment":
        return [
            f"- accuracy: {metrics['accuracy']:.4f} (held out)",
            f"- training accuracy: {metrics['train_accuracy']:.4f}",
        ]
    return [
        f"- RMSE: {metrics['rmse']:.3f} °C (held out)",
        f"- persistence baseline RMSE (tomorrow = today): {metrics['persistence_rmse']:.3f} °C",
        f"- MAE: {metrics['mae']:.3f} °C",
    ]


def _bits_lines(metrics: dict[str, float]) -> list[str]:
    """Held-out bits per character of the model and of the baselines, and where it stands."""
    model = metrics["bpc"]
    rows = [
        ("this LSTM", model),
        ("unigram (add-one)", metrics["unigram_bpc"]),
        ("3-gram (interpolated Kneser-Ney)", metrics["trigram_bpc"]),
        ("5-gram (interpolated Kneser-Ney)", metrics["fivegram_bpc"]),
    ]
    lines = [
        "Bits per character on the held-out text (lower is better; every model scores the same "
        "characters, each given the text before it; the n-grams are fitted on the same training "
        "characters and the same vocabulary, rare characters as one unknown symbol):",
        "",
        "| model | bits per character |",
        "|---|---|",
        *[f"| {name} | {value:.3f} |" for name, value in rows],
        "",
        f"- Against the 3-gram: {_standing(model, metrics['trigram_bpc'])}.",
        f"- Against the 5-gram: {_standing(model, metrics['fivegram_bpc'])}.",
    ]
    return lines


def _standing(model: float, baseline: float) -> str:
    difference = baseline - model
    if difference > 0:
        return f"better by {difference:.3f} bits per character"
    return f"worse by {-difference:.3f} bits per character"


def _training_lines(recipe: Recipe, timing: Timing) -> list[str]:
    if recipe.task == "next-token":
        return _char_training_lines(recipe, timing)
    return [
        f"- Command: `gatescope train {recipe.model_id}`"
        + (f" (this copy: {timing.quick})" if timing.quick else ""),
        f"- Wall time: {timing.wall:.0f} s (CPU time {timing.cpu:.0f} s, {timing.threads} torch "
        f"thread(s), on a 2-core machine shared with other work); {timing.epochs_run} epoch(s), "
        "the best by validation kept.",
        f"- Adam, learning rate {recipe.learning_rate}, batch {recipe.batch_size}, weight decay "
        f"{recipe.weight_decay}; dropout {recipe.dropout} on the recurrent inputs and "
        f"{recipe.head_dropout} before the head in training only; seed {SEED}.",
    ]


def _char_training_lines(recipe: Recipe, timing: Timing) -> list[str]:
    return [
        f"- Command: `gatescope train {recipe.model_id}`"
        + (f" (this copy: {timing.quick})" if timing.quick else ""),
        f"- Wall time: {timing.wall:.0f} s (CPU time {timing.cpu:.0f} s, {timing.threads} torch "
        f"thread(s), on a 2-core machine shared with other work); {timing.epochs_run} epoch(s), "
        "the best by validation bits per character kept.",
        f"- Truncated backpropagation through time: {recipe.batch_size} parallel streams of the "
        f"training text, {recipe.bptt} steps per update, the state carried across windows; "
        f"Adam, learning rate {recipe.learning_rate}"
        + (
            f" falling linearly to {recipe.final_lr_fraction:g} of it by the last update"
            if recipe.final_lr_fraction is not None
            else ""
        )
        + ", gradient norm clipped to "
        f"{recipe.gradient_clip}; seed {SEED}.",
    ]


def _use_lines(recipe: Recipe) -> list[str]:
    if recipe.task == "next-token":
        return [
            "- For teaching: watch a character-level LSTM read or write text step by step, see "
            "what it expected next at every character, and find its interpretable cells "
            "(`gatescope cells`).",
            "- Not a code or text generator for real use: a small model trained for minutes; "
            "what it writes looks like its training text and means nothing.",
        ]
    if recipe.task == "sentiment":
        return [
            "- For teaching: watch the gates of a small recurrent network read a review token "
            "by token.",
            "- Not a production sentiment model: trained on short movie reviews only, it "
            "misreads sarcasm, negation far from the end, other domains and spelling it has "
            "not seen (unknown tokens become <OOV>).",
        ]
    return [
        "- For teaching: the notes' stacked-GRU regression on real data, to see what the "
        "gates keep across days.",
        "- Not a forecast: four years of one city, no seasons encoded beyond the window; "
        "it has never seen weather outside 2012-2015 Seattle.",
    ]
