"""A trained playground network saved as an uploaded model, with a generated card, so the
explorer and every teaching page read it like any other upload (app.importers.storage)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path
from typing import Any

from app.importers.storage import check_free, check_model_id, free_id, store_model
from app.playground.network import as_model
from app.playground.runs import RunError, latest_members
from app.playground.tasks import Task
from app.recurrent import CellKind


def save_run(
    data_dir: Path,
    run_id: str,
    cell: CellKind | None,
    model_id: str | None,
    reserved: Collection[str],
) -> str:
    """Store the run's current network (one member) as `<data_dir>/models/<id>`; its id."""
    config, document, members = latest_members(data_dir, run_id)
    chosen = cell or members[0].cell
    member = next((item for item in members if item.cell == chosen), None)
    if member is None:
        raise RunError(
            422,
            "not_allowed",
            f"cell must be one of this run's cells ({', '.join(m.cell for m in members)}), "
            f"got {chosen!r}",
        )
    task = config.task_spec
    if model_id is None:
        model_id = free_id(f"playground-{task.name}-{member.cell}", data_dir, reserved)
    else:
        check_model_id(model_id)
        check_free(model_id, data_dir, reserved)
    title = (
        f"Playground · {task.name} ({config.task_size}) · {member.cell.upper()}, "
        f"{config.hidden} units"
    )
    rows = document["history"][member.cell]
    summary = (
        f"Trained in the playground ({run_id}) for {document['step']} steps on the "
        f"{task.name} task."
    )
    maxlen = max(4 * config.task_size + 20, 64)
    model_config, network = as_model(task, member.network, model_id, title, maxlen, summary)
    text = card(task, config.model_dump(), document, rows[-1] if rows else {}, member.cell, title)
    store_model(network, model_config, text, data_dir)
    return model_id


def card(
    task: Task,
    config: dict[str, Any],
    document: dict[str, Any],
    last: dict[str, Any],
    cell: str,
    title: str,
) -> str:
    """card.md: the task, how it was trained, its last metrics and the hypothesis checks."""
    lines = [
        f"# {title}",
        "",
        task.explain["en"],
        "",
        task.explain["ko"],
        "",
        "## Training",
        "",
        *[f"- {key}: {value}" for key, value in config.items()],
        f"- steps: {document['step']}",
        "",
        "## Metrics (held-out test batch)",
        "",
    ]
    for key in ("test_loss", "test_accuracy", "train_loss"):
        if last.get(key) is not None:
            lines.append(f"- {key.replace('_', ' ')}: {last[key]:.4f}")
    checks = document.get("checks", {}).get(cell, [])
    if checks:
        lines += ["", "## Gate hypotheses (at the last checkpoint)", ""]
        lines += [f"- {check['message']}" for check in checks]
    lines += [
        "",
        "## Reading it",
        "",
        "Symbols are typed one character each (spaces are ignored); the network reads their "
        "one-hot codes through an embedding that is exactly that code. This is a toy model for "
        "teaching, not for any real use.",
        "",
    ]
    return "\n".join(lines)
