"""Saving and loading model directories: round trip, strict weights, corrupt files."""

from __future__ import annotations

import json
import os
import pickle
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from app.zoo import GateNet, ModelFormatError, ModelRegistry, load_model, save_model, store
from app.zoo.spec import ModelConfig
from app.zoo.store import CARD_FILE, CONFIG_FILE, WEIGHTS_FILE
from tests.zoo.builders import numbers_config, text_config

CARD = "# Tiny\n\nHeld-out accuracy: 0.5 (a coin).\n"


def saved(tmp_path: Path, config: ModelConfig | None = None, seed: int = 0) -> Path:
    config = config or text_config("lstm", num_layers=2, bidirectional=True)
    torch.manual_seed(seed)
    return save_model(GateNet(config), config, CARD, tmp_path / config.id)


@pytest.mark.parametrize(
    "config",
    [
        pytest.param(text_config("gru"), id="text-gru"),
        pytest.param(text_config("lstm", num_layers=2, bidirectional=True), id="text-bilstm-2"),
        pytest.param(numbers_config("rnn", num_layers=2), id="numbers-rnn-2"),
        pytest.param(numbers_config("gru", scaled=False, features=("level",)), id="series-gru"),
    ],
)
def test_save_then_load_gives_back_config_weights_and_card(
    tmp_path: Path, config: ModelConfig
) -> None:
    torch.manual_seed(3)
    network = GateNet(config)
    directory = save_model(network, config, CARD, tmp_path / config.id)

    model = load_model(directory)

    assert model.config == config
    assert model.card == CARD
    assert model.source == "shipped"
    original = network.state_dict()
    restored = model.network.state_dict()
    assert sorted(restored) == sorted(original)
    for name, tensor in original.items():
        assert torch.equal(restored[name], tensor), name
    assert not model.network.training


def test_saved_directory_holds_exactly_the_three_files_readable_by_all(tmp_path: Path) -> None:
    directory = saved(tmp_path)

    assert sorted(path.name for path in directory.iterdir()) == [
        CARD_FILE,
        CONFIG_FILE,
        WEIGHTS_FILE,
    ]
    assert [path.name for path in tmp_path.iterdir()] == [directory.name]  # no staging left
    assert directory.stat().st_mode & 0o755 == 0o755
    assert all(path.stat().st_mode & 0o644 == 0o644 for path in directory.iterdir())


def test_saving_over_a_model_replaces_it_whole(tmp_path: Path) -> None:
    first = saved(tmp_path, seed=1)
    (first / "stray.txt").write_text("from an older version")
    second = saved(tmp_path, seed=2)

    assert first == second
    assert not (second / "stray.txt").exists()
    assert [path.name for path in tmp_path.iterdir()] == [second.name]


def test_save_refuses_a_network_that_does_not_fit_the_config(tmp_path: Path) -> None:
    config = text_config("gru")
    other = GateNet(text_config("lstm"))

    with pytest.raises(ModelFormatError, match="shape"):
        save_model(other, config, CARD, tmp_path / config.id)
    assert list(tmp_path.iterdir()) == []


def test_weights_are_safetensors_named_like_pytorch(tmp_path: Path) -> None:
    directory = saved(tmp_path, text_config("lstm", num_layers=2, bidirectional=True))

    names = set(load_file(str(directory / WEIGHTS_FILE)))

    assert {"embedding.weight", "head.layers.0.weight", "head.layers.0.bias"} <= names
    assert {"blocks.0.weight_ih_l1_reverse", "blocks.0.bias_hh_l0"} <= names


# -- strict weights -----------------------------------------------------------------------------


def rewrite_weights(directory: Path, change: dict[str, torch.Tensor | None]) -> None:
    state = load_file(str(directory / WEIGHTS_FILE))
    for name, tensor in change.items():
        if tensor is None:
            del state[name]
        else:
            state[name] = tensor
    save_file(state, str(directory / WEIGHTS_FILE))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"blocks.0.bias_hh_l1": None}, "missing", id="missing"),
        pytest.param({"blocks.0.extra": torch.zeros(2)}, "unexpected", id="unexpected"),
        pytest.param({"head.layers.0.bias": torch.zeros(2)}, "shape", id="wrong-shape"),
        pytest.param(
            {"head.layers.0.bias": torch.zeros(1, dtype=torch.int64)}, "int64", id="integer-dtype"
        ),
        pytest.param(
            {"head.layers.0.bias": torch.zeros(1, dtype=torch.float64)}, "mix", id="mixed"
        ),
        pytest.param({"head.layers.0.bias": torch.tensor([float("nan")])}, "NaN", id="nan"),
        pytest.param({"head.layers.0.bias": torch.tensor([float("inf")])}, "infinite", id="inf"),
    ],
)
def test_load_rejects_weights_that_do_not_fit_exactly(
    tmp_path: Path, change: dict[str, torch.Tensor | None], message: str
) -> None:
    directory = saved(tmp_path)
    rewrite_weights(directory, change)

    with pytest.raises(ModelFormatError, match=message):
        load_model(directory)


def test_float64_weights_load_as_float64(tmp_path: Path) -> None:
    config = numbers_config("gru")
    directory = save_model(GateNet(config).double(), config, CARD, tmp_path / config.id)

    model = load_model(directory)

    assert all(p.dtype == torch.float64 for p in model.network.parameters())
    assert model.run_trace([[0.0, 1.0, 2.0, 3.0]]).prediction.value is not None


# -- corrupt and foreign files ------------------------------------------------------------------


def test_missing_config_is_a_format_error(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / CONFIG_FILE).unlink()

    with pytest.raises(ModelFormatError, match="config.json is missing"):
        load_model(directory)


def test_missing_weights_is_a_format_error(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / WEIGHTS_FILE).unlink()

    with pytest.raises(ModelFormatError, match="weights.safetensors is missing"):
        load_model(directory)


def test_missing_card_loads_with_an_empty_card(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / CARD_FILE).unlink()

    assert load_model(directory).card == ""


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(b"", id="empty"),
        pytest.param(b"\x00" * 64, id="zeros"),
        pytest.param(b"not a safetensors file at all", id="text"),
        pytest.param(b"\xff\xff\xff\xff\xff\xff\xff\x7f{}", id="huge-header-length"),
    ],
)
def test_garbage_weights_are_a_format_error(tmp_path: Path, content: bytes) -> None:
    directory = saved(tmp_path)
    (directory / WEIGHTS_FILE).write_bytes(content)

    with pytest.raises(ModelFormatError, match="safetensors"):
        load_model(directory)


def test_truncated_weights_are_a_format_error(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    weights = directory / WEIGHTS_FILE
    weights.write_bytes(weights.read_bytes()[:-100])

    with pytest.raises(ModelFormatError):
        load_model(directory)


class Boom:
    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, ("raise SystemExit('unpickled!')",))


def test_a_pickle_posing_as_weights_is_never_unpickled(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / WEIGHTS_FILE).write_bytes(pickle.dumps({"embedding.weight": Boom()}))

    with pytest.raises(ModelFormatError):
        load_model(directory)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(lambda c: "{not json", "valid model config", id="not-json"),
        pytest.param(lambda c: json.dumps([1, 2]), "valid model config", id="not-an-object"),
        pytest.param(lambda c: json.dumps({**c, "extra": 1}), "extra", id="unknown-field"),
        pytest.param(lambda c: json.dumps({**c, "format_version": 3}), "format_version", id="v3"),
        pytest.param(lambda c: json.dumps({**c, "id": "../etc"}), "id", id="path-in-id"),
        pytest.param(
            lambda c: json.dumps({**c, "blocks": [{**c["blocks"][0], "cell": "tcn"}]}),
            "cell",
            id="unknown-cell",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "blocks": [{**c["blocks"][0], "input_size": 5}]}),
            "input_size",
            id="input-size-not-embedding",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "head": [{"out_features": 1, "activation": "relu"}]}),
            "sigmoid",
            id="sentiment-without-sigmoid",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "blocks": [*c["blocks"], {**c["blocks"][0]}]}),
            r"blocks\[1\].input_size must be 3",
            id="second-block-reads-the-wrong-width",
        ),
        pytest.param(lambda c: json.dumps({**c, "blocks": []}), "blocks", id="no-blocks"),
        pytest.param(
            lambda c: json.dumps({**c, "blocks": [{**c["blocks"][0], "reset_after": False}] * 9}),
            "blocks",
            id="more-blocks-than-the-limit",
        ),
        pytest.param(
            lambda c: json.dumps(
                {
                    **c,
                    "task": "classification",
                    "labels": None,
                    "head": [{"out_features": 3, "activation": "softmax"}],
                }
            ),
            "names its 3 classes",
            id="classes-without-labels",
        ),
        pytest.param(
            lambda c: json.dumps(
                {
                    **c,
                    "task": "classification",
                    "labels": ["a", "b"],
                    "head": [{"out_features": 3, "activation": "softmax"}],
                }
            ),
            "name the 3 classes",
            id="classes-with-too-few-labels",
        ),
        pytest.param(
            lambda c: json.dumps(
                {
                    **c,
                    "task": "classification",
                    "labels": ["a"] * 1001,
                    "head": [{"out_features": 1001, "activation": "softmax"}],
                }
            ),
            "2 to 1000 classes",
            id="too-many-classes",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "task": "regression", "head": [{"out_features": 2}]}),
            "multi-output regression is not supported",
            id="multi-output-regression",
        ),
        pytest.param(
            lambda c: json.dumps(
                {**c, "blocks": [{**c["blocks"][0], "cell": "lstm", "reset_after": False}]}
            ),
            "reset_after is a GRU option only",
            id="reset-after-on-an-lstm",
        ),
        pytest.param(
            lambda c: json.dumps(
                {
                    **c,
                    "task": "next-token",
                    "labels": ["x"] * 5,
                    "blocks": [{**c["blocks"][0], "bidirectional": True}],
                    "head": [{"out_features": 5, "activation": "softmax"}],
                }
            ),
            "reads left to right",
            id="bidirectional-next-token",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "embedding": {**c["embedding"], "num_embeddings": 3}}),
            "embedding",
            id="vocabulary-larger-than-embedding",
        ),
        pytest.param(
            lambda c: json.dumps(
                {**c, "preprocessing": {**c["preprocessing"], "analyzer": "morpheme"}}
            ),
            "analyzer",
            id="analyzer-disagrees-with-tokenizer",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "preprocessing": {**c["preprocessing"], "tokenizer": {}}}),
            "tokenizer",
            id="no-tokenizer",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "translations": {"ko": {"labels": ["부정"]}}}),
            r"translations.ko.labels has 1 names for the 2 labels",
            id="translated-labels-miscounted",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "translations": {"ko": {"features": ["기온"]}}}),
            "translations.ko.features is given but this model has no features",
            id="translated-features-of-a-text-model",
        ),
        pytest.param(
            lambda c: json.dumps({**c, "translations": {"fr": {"title": "Critiques"}}}),
            "translations",
            id="translation-to-an-unknown-language",
        ),
    ],
)
def test_bad_config_is_a_format_error(tmp_path: Path, edit: object, message: str) -> None:
    directory = saved(tmp_path, text_config("gru"))
    config_path = directory / CONFIG_FILE
    config = json.loads(config_path.read_text(encoding="utf-8"))
    config_path.write_text(edit(config), encoding="utf-8")  # type: ignore[operator]

    with pytest.raises(ModelFormatError, match=message):
        load_model(directory)


def test_non_finite_scaler_constants_are_a_format_error(tmp_path: Path) -> None:
    directory = saved(tmp_path, numbers_config("gru"))
    config_path = directory / CONFIG_FILE
    text = config_path.read_text(encoding="utf-8").replace(
        '"target_max": 10.0', '"target_max": NaN'
    )
    config_path.write_text(text, encoding="utf-8")

    with pytest.raises(ModelFormatError):
        load_model(directory)


def test_a_card_that_is_not_utf8_is_a_format_error(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    (directory / CARD_FILE).write_bytes(b"\xff\xfe\xfa")

    with pytest.raises(ModelFormatError, match="card"):
        load_model(directory)


# -- the registry -------------------------------------------------------------------------------


def test_registry_loads_shipped_and_picks_up_uploads(tmp_path: Path) -> None:
    shipped, uploads = tmp_path / "shipped", tmp_path / "uploads"
    saved(shipped, text_config("gru", model_id="one"))
    registry = ModelRegistry(shipped, uploads)
    assert [model.id for model in registry.all()] == ["one"]

    saved(uploads, numbers_config("gru", model_id="two"))
    (uploads / ".two.staging").mkdir()  # hidden staging folders are not models
    broken = saved(uploads, numbers_config("gru", model_id="three"))
    (broken / WEIGHTS_FILE).write_bytes(b"broken")

    assert [model.id for model in registry.all()] == ["one", "two"]
    two = registry.get("two")
    assert two is not None and two.source == "uploaded"
    assert registry.get("three") is None


def test_registry_refuses_a_shipped_model_in_a_folder_named_otherwise(tmp_path: Path) -> None:
    directory = saved(tmp_path, text_config("gru", model_id="right-name"))
    directory.rename(tmp_path / "wrong-name")

    with pytest.raises(ModelFormatError, match="folder"):
        ModelRegistry(tmp_path)


def _age(directory: Path) -> None:
    """Date directory's mtime a minute back, past the registry's settling window."""
    stamp = directory.stat().st_mtime_ns - 60 * 10**9
    os.utime(directory, ns=(stamp, stamp))


def test_registry_rescans_uploads_only_when_the_folder_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    uploads = tmp_path / "uploads"
    scans: list[Path] = []
    real_model_directories = store.model_directories

    def counted(root: Path) -> Iterator[Path]:
        scans.append(root)
        return real_model_directories(root)

    monkeypatch.setattr(store, "model_directories", counted)
    registry = ModelRegistry(tmp_path / "shipped", uploads)
    scans.clear()
    assert registry.all() == [] and registry.get("new") is None
    assert len(scans) == 1  # no folder yet, and still none: scanned once

    saved(uploads, numbers_config("gru", model_id="new"))  # the folder appears
    _age(uploads)
    assert [model.id for model in registry.all()] == ["new"]
    assert registry.get("new") is not None and registry.get("gone") is None
    assert len(scans) == 2  # unchanged since: one stat per request, no listing

    saved(uploads, numbers_config("gru", model_id="gone"))
    _age(uploads)
    assert [model.id for model in registry.all()] == ["gone", "new"]
    shutil.rmtree(uploads / "gone")
    _age(uploads)
    assert [model.id for model in registry.all()] == ["new"]
    shutil.rmtree(uploads)  # the folder disappears
    assert registry.all() == [] and registry.all() == []
    assert len(scans) == 5


def test_registry_keeps_scanning_while_the_folder_changed_moments_ago(tmp_path: Path) -> None:
    uploads = tmp_path / "uploads"
    saved(uploads, numbers_config("gru", model_id="first"))
    registry = ModelRegistry(tmp_path / "shipped", uploads)
    assert [model.id for model in registry.all()] == ["first"]

    # Written within the same mtime tick as the scan above: only a fresh scan can tell.
    mtime = uploads.stat().st_mtime_ns
    saved(uploads, numbers_config("gru", model_id="second"))
    os.utime(uploads, ns=(mtime, mtime))

    assert [model.id for model in registry.all()] == ["first", "second"]


# -- format version 1 ---------------------------------------------------------------------------


def write_version_1(directory: Path) -> None:
    """Rewrite a saved one-block model as format 1 wrote it: `recurrent` and its weight names."""
    config_path = directory / CONFIG_FILE
    document = json.loads(config_path.read_text(encoding="utf-8"))
    (block,) = document.pop("blocks")
    document.update(format_version=1, recurrent=block)
    config_path.write_text(json.dumps(document), encoding="utf-8")
    state = load_file(str(directory / WEIGHTS_FILE))
    renamed = {name.replace("blocks.0.", "recurrent.", 1): value for name, value in state.items()}
    save_file(renamed, str(directory / WEIGHTS_FILE))


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_version_1_directories_load_as_the_one_block_case(tmp_path: Path, cell: str) -> None:
    config = text_config(cell, num_layers=2, bidirectional=True)
    current = load_model(saved(tmp_path / "v2", config))
    old_directory = saved(tmp_path / "v1", config)
    write_version_1(old_directory)
    assert "recurrent" in json.loads((old_directory / CONFIG_FILE).read_text(encoding="utf-8"))

    old = load_model(old_directory)

    assert old.config == current.config and old.config.format_version == 2
    assert old.predict(["a great film"]) == current.predict(["a great film"])
    for name, tensor in current.network.state_dict().items():
        assert torch.equal(old.network.state_dict()[name], tensor), name


def test_version_1_weight_names_are_not_read_under_a_version_2_config(tmp_path: Path) -> None:
    directory = saved(tmp_path)
    state = load_file(str(directory / WEIGHTS_FILE))
    renamed = {name.replace("blocks.0.", "recurrent.", 1): value for name, value in state.items()}
    save_file(renamed, str(directory / WEIGHTS_FILE))

    with pytest.raises(ModelFormatError, match="missing"):
        load_model(directory)
