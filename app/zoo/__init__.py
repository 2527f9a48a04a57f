"""Model specs, loading and saving of models, and the training recipes of the shipped zoo."""

from app.zoo.errors import InputError, ModelFormatError
from app.zoo.loaded import LoadedModel, Prediction, PreparedInput, TracedInput
from app.zoo.network import GateNet
from app.zoo.spec import ModelConfig
from app.zoo.store import ModelRegistry, load_model, save_model

__all__ = [
    "GateNet",
    "InputError",
    "LoadedModel",
    "ModelConfig",
    "ModelFormatError",
    "ModelRegistry",
    "Prediction",
    "PreparedInput",
    "TracedInput",
    "load_model",
    "save_model",
]
