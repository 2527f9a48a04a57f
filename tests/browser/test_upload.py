"""The explorer's "use your own model" form, in real headless Chromium against a real server.

A student picks (or drops) a Keras model and its tokenizer, uploads it, and the new model is
selected and traced; a broken file shows the server's reason in place; labels follow the page's
language.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LiveServer
from tests.importers.kerasmodels import Case, text_case

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def upload_server(start_server: Callable[..., LiveServer], tiny_models_dir: Path) -> LiveServer:
    """A server of its own, so uploads never show up in other browser tests' model lists."""
    env = {"GATESCOPE_MODELS_DIR": str(tiny_models_dir), "GATESCOPE_MAX_UPLOAD_BYTES": "9000000"}
    return start_server(env)


@pytest.fixture(scope="module")
def keras_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The notes' Embedding -> GRU -> Dense(1, sigmoid), trained briefly, and its tokenizer."""
    os.environ["KERAS_BACKEND"] = "torch"  # tests only: the product never imports keras
    keras = pytest.importorskip("keras")
    keras.backend.clear_session()
    layers = keras.layers
    case: Case = text_case(
        keras, [layers.Embedding(60, 8), layers.GRU(6), layers.Dense(1, activation="sigmoid")]
    )
    folder = tmp_path_factory.mktemp("browser-upload")
    files = {
        "model": folder / "class-gru.keras",
        "tokenizer": folder / "tokenizer.json",
        "broken": folder / "broken.keras",
    }
    case.model.save(files["model"])
    assert case.tokenizer_json is not None
    files["tokenizer"].write_bytes(case.tokenizer_json)
    files["broken"].write_bytes(files["model"].read_bytes()[:300])
    return files


def test_uploaded_model_is_added_selected_and_traced(
    open_page: Callable[..., Any], upload_server: LiveServer, keras_files: dict[str, Path]
) -> None:
    explorer = open_page(upload_server.url)
    explorer.open()
    explorer.testid("upload-panel").locator("summary").click()

    explorer.testid("upload-file").set_input_files(keras_files["model"])
    explorer.testid("upload-tokenizer").set_input_files(keras_files["tokenizer"])
    explorer.testid("upload-title").fill("Our class GRU")
    explorer.testid("upload-submit").click()

    explorer.page.wait_for_function(
        "() => document.querySelector('[data-testid=model-select]').value === 'class-gru'"
    )
    explorer.wait_idle()
    explorer.wait_shown(model="class-gru")
    status = explorer.testid("upload-status")
    status.filter(has_text="class-gru").wait_for()
    assert "Our class GRU" in status.inner_text()
    selected = explorer.testid("model-select").locator("option:checked")
    assert "Our class GRU" in selected.inner_text()
    explorer.run("good plot and great acting")
    assert explorer.testid("error-message").is_hidden()
    explorer.assert_clean()


def test_broken_upload_shows_the_reason_and_keeps_the_selection(
    open_page: Callable[..., Any], upload_server: LiveServer, keras_files: dict[str, Path]
) -> None:
    explorer = open_page(upload_server.url)
    explorer.open()
    before = explorer.testid("model-select").input_value()
    explorer.testid("upload-panel").locator("summary").click()

    explorer.testid("upload-file").set_input_files(keras_files["broken"])
    explorer.testid("upload-submit").click()

    status = explorer.testid("upload-status")
    status.filter(has_text="not a readable zip archive").wait_for()
    assert status.inner_text().startswith("The model was not added")
    assert explorer.testid("upload-file").get_attribute("aria-invalid") == "true"
    assert explorer.testid("model-select").input_value() == before
    explorer.assert_clean(allow_status=(422,))


def test_dropped_file_is_taken_and_labels_follow_the_language(
    open_page: Callable[..., Any], upload_server: LiveServer, keras_files: dict[str, Path]
) -> None:
    explorer = open_page(upload_server.url)
    explorer.open()
    summary = explorer.testid("upload-panel").locator("summary")
    summary.click()
    data = base64.b64encode(keras_files["model"].read_bytes()).decode()

    explorer.page.evaluate(
        """(data) => {
            const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], "dropped.keras"));
            const zone = document.querySelector('[data-testid="upload-drop"]');
            zone.dispatchEvent(new DragEvent("drop", { dataTransfer: transfer, bubbles: true }));
        }""",
        data,
    )

    assert explorer.testid("upload-chosen").inner_text().startswith("dropped.keras")
    chosen = explorer.page.evaluate(
        "() => document.querySelector('[data-testid=upload-file]').files[0].name"
    )
    assert chosen == "dropped.keras"
    assert summary.inner_text() == "Use your own model"
    explorer.testid("lang-toggle").click()
    assert summary.inner_text() == "내 모델 사용하기"
    assert explorer.testid("upload-submit").inner_text() == "업로드하고 선택"
    assert explorer.testid("upload-chosen").inner_text().startswith("dropped.keras")
    explorer.assert_clean()
