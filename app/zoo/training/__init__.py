"""Training recipes that reproduce the shipped models from the shared data, seeded, on a CPU.

`train("sentiment-ko-gru")` reads the data set its recipe names, fits the preprocessing on the
training part only, trains a GateNet with Adam, measures it on the held-out part and writes
`<out_dir>/<id>/` (config.json, weights.safetensors, card.md) with `save_model`.

Dropout is used in training only (on the recurrent inputs and before the head); it vanishes at
inference, so the saved network is exactly "Embedding -> blocks -> Dense" as the config says.

recipes.py   what each shipped model is (Recipe, RECIPES)
datasets.py  reading and splitting the shared data; held_out; the cached Kiwi morphemes
loop.py      seeding, batches, train_step, fit (epochs, early stopping, progress bar)
runs.py      one run per task: tensors, network config, loss and metrics
card.py      card.md
pipeline.py  train(): all of the above, in order
"""

from app.zoo.training.datasets import DEFAULT_DATA_DIR, HeldOut, held_out, morpheme_batch
from app.zoo.training.loop import Schedule, StepResult, fit, train_step
from app.zoo.training.pipeline import DEFAULT_OUT_DIR, TrainReport, train
from app.zoo.training.recipes import RECIPES, SEED, Recipe

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_OUT_DIR",
    "RECIPES",
    "SEED",
    "HeldOut",
    "Recipe",
    "Schedule",
    "StepResult",
    "TrainReport",
    "fit",
    "held_out",
    "morpheme_batch",
    "train",
    "train_step",
]
