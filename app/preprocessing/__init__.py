"""Keras-compatible text and sequence preparation: tokenizer, padding, windows, scaling.

Everything here is plain Python and NumPy, so the class's Keras preprocessing carries over
to gatescope's PyTorch models unchanged.
"""

from app.preprocessing.korean import morpheme_tokens
from app.preprocessing.scaling import MinMaxScaler
from app.preprocessing.sequence import pad_sequences
from app.preprocessing.series import timeseries_windows
from app.preprocessing.text import DEFAULT_FILTERS, text_to_word_sequence, whitespace_tokens
from app.preprocessing.tokenizer import Tokenizer, tokenizer_from_config, tokenizer_from_json

__all__ = [
    "DEFAULT_FILTERS",
    "MinMaxScaler",
    "Tokenizer",
    "morpheme_tokens",
    "pad_sequences",
    "text_to_word_sequence",
    "timeseries_windows",
    "tokenizer_from_config",
    "tokenizer_from_json",
    "whitespace_tokens",
]
