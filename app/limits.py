"""Hard limits of the model format and of inputs, each defined once.

Operators can lower the per-request limits through Settings (GATESCOPE_MAX_*); these are the
ceilings that no setting can raise and that the model format itself enforces.
"""

from __future__ import annotations

MAX_UNITS = 4096  # hidden_size, input_size, proj_size, embedding_dim
MAX_LAYERS = 16  # layers of one recurrent block
MAX_BLOCKS = 8  # recurrent blocks chained in one model
MAX_CLASSES = 1000  # classes of a softmax classification head
MAX_VOCABULARY = 1_000_000  # embedding rows, and next-token head outputs
MAX_DENSE_WIDTH = 1_000_000  # outputs of one Dense layer of a head (a next-token head is wide)
MAX_HEAD_LAYERS = 16
MAX_MAXLEN = 10_000  # pad_sequences maxlen, numeric window length
ABSOLUTE_MAX_STEPS = 20_000  # the most GATESCOPE_MAX_STEPS may allow
MAX_BATCH_INPUTS = 10_000  # inputs of one predict call, before the operator's max_batch
MAX_FEATURES = MAX_UNITS  # features per step of a numeric model
MAX_WRITTEN = 2000  # tokens a language model writes in one generate call
MAX_TEMPERATURE = 10.0  # sampling temperature of a generate call
