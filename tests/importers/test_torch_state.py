"""PyTorch weights: gatescope's own format (safetensors + config.json), torch.save state dicts
(opened weights-only) and zipped model directories."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import save as safetensors_bytes

from app.importers import ModelImportError, import_model_bytes, import_model_file
from app.zoo import GateNet, ModelConfig
from tests.conftest import tiny_numbers_config, tiny_text_config
from tests.importers.helpers import stored_entries


def network_and_config(config: ModelConfig) -> tuple[GateNet, bytes]:
    torch.manual_seed(0)
    return GateNet(config).eval(), config.model_dump_json().encode()


def same_outputs(a: GateNet, b: GateNet, width: int) -> None:
    inputs = torch.randn(8, 5, width)
    with torch.no_grad():
        torch.testing.assert_close(a(inputs), b(inputs), rtol=0, atol=0)


def test_safetensors_with_config_imports_exactly(data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("weather", "lstm", num_layers=2))
    weights = safetensors_bytes(network.state_dict())

    model = import_model_bytes(weights, "weights.safetensors", config=config, data_dir=data_dir)

    assert model.id == "weather"  # the config's own id, as no other was asked for
    assert model.source == "uploaded"
    same_outputs(network, model.network, 2)


def test_torch_save_state_dict_imports_with_its_config(tmp_path: Path, data_dir: Path) -> None:
    network, config = network_and_config(tiny_text_config("tiny", "gru", bidirectional=True))
    path = tmp_path / "state.pt"
    torch.save(network.state_dict(), path)
    (tmp_path / "config.json").write_bytes(config)

    model = import_model_file(
        path, config=tmp_path / "config.json", model_id="my-gru", title="My GRU", data_dir=data_dir
    )

    assert (model.id, model.config.title) == ("my-gru", "My GRU")
    assert (data_dir / "models" / "my-gru" / "weights.safetensors").is_file()
    ids = torch.tensor([[1, 2, 3, 4]])
    with torch.no_grad():
        torch.testing.assert_close(
            network(network.embed(ids)), model.network(model.network.embed(ids)), rtol=0, atol=0
        )


def test_zipped_model_directory_imports(data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("zipped", "gru"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("zipped/config.json", config)
        archive.writestr("zipped/weights.safetensors", safetensors_bytes(network.state_dict()))
        archive.writestr("zipped/card.md", "# Zipped\n")

    model = import_model_bytes(buffer.getvalue(), "zipped.zip", data_dir=data_dir)

    same_outputs(network, model.network, 2)
    assert "# Zipped" in model.card


def test_pytorch_weights_without_config_are_refused(data_dir: Path) -> None:
    network, _ = network_and_config(tiny_numbers_config("x", "gru"))

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(
            safetensors_bytes(network.state_dict()), "w.safetensors", data_dir=data_dir
        )

    assert caught.value.field == "config"
    assert "docs/model-format.md" in caught.value.message


def test_state_dict_that_does_not_fit_the_config_names_the_tensors(data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("x", "gru"))
    state = {"rnn.weight_ih_l0": torch.zeros(9, 2), **network.state_dict()}
    buffer = io.BytesIO()
    torch.save(state, buffer)

    with pytest.raises(ModelImportError, match="unexpected.*rnn.weight_ih_l0"):
        import_model_bytes(buffer.getvalue(), "state.pt", config=config, data_dir=data_dir)
    assert stored_entries(data_dir) == []


@pytest.mark.parametrize(
    ("tensor", "phrase"),
    [
        pytest.param(torch.full((9, 2), float("nan")), "NaN", id="nan"),
        pytest.param(torch.zeros(9, 2, dtype=torch.int64), "weights are floats", id="integers"),
    ],
)
def test_bad_tensors_are_refused(tensor: torch.Tensor, phrase: str, data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("x", "gru"))
    state = {**network.state_dict(), "recurrent.weight_ih_l0": tensor}
    buffer = io.BytesIO()
    torch.save(state, buffer)

    with pytest.raises(ModelImportError, match=phrase):
        import_model_bytes(buffer.getvalue(), "state.pt", config=config, data_dir=data_dir)


def test_legacy_torch_serialization_is_refused_unread(data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("x", "gru"))
    buffer = io.BytesIO()
    torch.save(network.state_dict(), buffer, _use_new_zipfile_serialization=False)

    with pytest.raises(ModelImportError, match="not a zip-format PyTorch file"):
        import_model_bytes(buffer.getvalue(), "old.pt", config=config, data_dir=data_dir)


def test_config_errors_name_the_setting(data_dir: Path) -> None:
    network, config = network_and_config(tiny_numbers_config("x", "gru"))
    broken = json.loads(config)
    broken["blocks"][0]["hidden_size"] = 0

    with pytest.raises(ModelImportError) as caught:
        import_model_bytes(
            safetensors_bytes(network.state_dict()),
            "w.safetensors",
            config=json.dumps(broken).encode(),
            data_dir=data_dir,
        )

    assert caught.value.field == "config"
    assert "blocks.0.hidden_size" in caught.value.message


def version_1(config: ModelConfig, state: dict[str, torch.Tensor]) -> tuple[bytes, bytes]:
    """The config and weights as format version 1 wrote them: one module under `recurrent`."""
    document = config.model_dump(mode="json")
    (block,) = document.pop("blocks")
    document |= {"format_version": 1, "recurrent": block}
    renamed = {name.replace("blocks.0.", "recurrent.", 1): tensor for name, tensor in state.items()}
    return json.dumps(document).encode(), safetensors_bytes(renamed)


def test_version_1_config_and_weights_import_as_one_block(data_dir: Path) -> None:
    spec = tiny_numbers_config("old", "lstm", num_layers=2)
    network, _ = network_and_config(spec)
    config, weights = version_1(spec, network.state_dict())

    model = import_model_bytes(weights, "weights.safetensors", config=config, data_dir=data_dir)

    assert model.config.format_version == 2
    assert [block.cell for block in model.config.blocks] == ["lstm"]
    stored = json.loads((data_dir / "models" / "old" / "config.json").read_text())
    assert stored["format_version"] == 2 and "recurrent" not in stored
    same_outputs(network, model.network, 2)


def test_version_2_chain_of_blocks_imports_exactly(data_dir: Path) -> None:
    document = tiny_numbers_config("chain", "gru").model_dump(mode="json")
    document["blocks"] = [
        {
            "cell": "gru",
            "input_size": 2,
            "hidden_size": 5,
            "bidirectional": True,
            "reset_after": False,
        },
        {"cell": "lstm", "input_size": 10, "hidden_size": 3, "num_layers": 2},
    ]
    network, config = network_and_config(ModelConfig.model_validate(document))

    model = import_model_bytes(
        safetensors_bytes(network.state_dict()), "w.safetensors", config=config, data_dir=data_dir
    )

    assert [(block.cell, block.reset_after) for block in model.config.blocks] == [
        ("gru", False),
        ("lstm", True),
    ]
    same_outputs(network, model.network, 2)
