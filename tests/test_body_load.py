"""load_body_model: explicit directory → SMPLX_MODEL_DIR → free body; one cached instance per configuration."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

import inference.body as body_pkg
from inference.body import (BodyModel, BodyModelError, FreeBodyModel, clear_body_model_cache, default_device,
                            load_body_model)
from inference.motion import MotionError

from test_body_smplx import write_fake_smplx


@pytest.fixture(scope="module")
def fake_dir(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("smplx_models")
    write_fake_smplx(folder / "SMPLX_NEUTRAL.npz")
    yield folder
    clear_body_model_cache()  # do not keep the fake SMPL-X in memory for the rest of the test session


def test_clearing_the_cache_loads_a_fresh_model(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMPLX_MODEL_DIR", raising=False)
    first = load_body_model(device="cpu")
    clear_body_model_cache()
    second = load_body_model(device="cpu")
    assert second is not first and isinstance(second, FreeBodyModel)


def test_free_body_without_any_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMPLX_MODEL_DIR", raising=False)
    model = load_body_model(device="cpu")
    assert isinstance(model, FreeBodyModel) and isinstance(model, BodyModel)
    assert load_body_model(device="cpu") is model  # cached
    monkeypatch.setenv("SMPLX_MODEL_DIR", "")
    assert load_body_model(device="cpu") is model  # an empty variable counts as unset


def test_environment_variable_selects_smplx(monkeypatch: pytest.MonkeyPatch, fake_dir: Path) -> None:
    monkeypatch.setenv("SMPLX_MODEL_DIR", str(fake_dir))
    model = load_body_model(device="cpu")
    assert model.name == "smplx" and model.num_vertices == 10475
    assert load_body_model(device="cpu") is model
    assert load_body_model(str(fake_dir), device="cpu") is model  # same directory, same cache entry


def test_explicit_directory_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch, fake_dir: Path,
                                                      tmp_path: Path) -> None:
    monkeypatch.setenv("SMPLX_MODEL_DIR", str(tmp_path / "elsewhere"))
    assert load_body_model(fake_dir, device="cpu").name == "smplx"
    with pytest.raises(BodyModelError, match="elsewhere"):
        load_body_model(device="cpu")


def test_missing_gender_file_is_a_clear_error(fake_dir: Path) -> None:
    with pytest.raises(BodyModelError, match="SMPLX_MALE.npz") as info:
        load_body_model(fake_dir, gender="male", device="cpu")
    assert str(fake_dir) in str(info.value)
    assert isinstance(info.value, MotionError) and isinstance(info.value, ValueError)


def test_smplx_class_is_exported() -> None:
    from inference.body import SmplxBodyModel

    assert SmplxBodyModel.name == "smplx"
    assert set(body_pkg.__all__) >= {"BodyModel", "BodyOutput", "FreeBodyModel", "BodyModelError", "load_body_model"}


def test_default_device_follows_cuda_availability() -> None:
    assert default_device().type == ("cuda" if torch.cuda.is_available() else "cpu")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no CUDA device on this machine")
def test_cuda_is_chosen_when_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMPLX_MODEL_DIR", raising=False)
    model = load_body_model()
    assert model.device.type == "cuda"
    out = model.forward(torch.zeros(2, 3), torch.zeros(2, 21, 3), torch.zeros(2, 3), torch.zeros(10))
    assert out.vertices.device.type == "cuda"
