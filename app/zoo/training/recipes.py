"""How each shipped model is made: its data, architecture, preprocessing and optimisation.

A `Recipe` is plain data; `RECIPES` holds the seven shipped models', keyed by model id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from app.recurrent import CellKind

SEED = 42


@dataclass(frozen=True)
class Recipe:
    """How one shipped model is made: data, architecture, preprocessing and optimisation."""

    model_id: str
    title: str
    data: str  # "nsmc", "movie_snippets", "weather", or (characters) "python_source", "nsmc_chars"
    cell: CellKind
    hidden_size: int
    epochs: int
    learning_rate: float
    batch_size: int
    num_layers: int = 1
    embedding_dim: int = 0
    num_words: int = 0
    maxlen: int = 0
    analyzer: Literal["whitespace", "morpheme"] = "whitespace"
    dropout: float = 0.0  # on the embedding output / recurrent inputs, training only
    head_dropout: float = 0.0  # on the final hidden state, training only
    weight_decay: float = 0.0
    patience: int | None = None  # early stopping on the validation split
    validation_fraction: float = 0.05
    seq_length: int = 0
    head: tuple[tuple[int, str], ...] = ((1, "sigmoid"),)
    examples: tuple[Any, ...] = ()  # text: (sentence, label); numbers: chosen by date
    gradient_clip: float = 1.0
    # Character language models: truncated BPTT over `batch_size` parallel streams of the
    # training text, `bptt` steps per update; characters seen fewer than `min_count` times (or
    # beyond `max_vocabulary` indices) become the unknown symbol; `max_train_chars` caps the text.
    bptt: int = 0
    min_count: int = 1
    max_vocabulary: int | None = None
    max_train_chars: int | None = None
    final_lr_fraction: float | None = None  # language models: linear decay to this fraction
    separator: str = ""  # written after every document when documents are joined into a stream
    # torch's intra-op threads while training. One for the language models: on a 2-core machine
    # shared with other work, two threads made an LSTM step 5-7 times slower, not faster.
    threads: int = 2

    @property
    def task(self) -> Literal["sentiment", "regression", "next-token"]:
        if self.data in CHARACTER_DATA:
            return "next-token"
        return "regression" if self.data == "weather" else "sentiment"

    @property
    def language(self) -> Literal["ko", "en"] | None:
        languages = {"nsmc": "ko", "nsmc_chars": "ko", "movie_snippets": "en"}
        return languages.get(self.data)  # type: ignore[return-value]


CHARACTER_DATA = ("python_source", "nsmc_chars")


def recipe_for(model_id: str) -> Recipe:
    """The recipe of `model_id`; a KeyError names the known ones."""
    if model_id not in RECIPES:
        raise KeyError(f"no recipe for {model_id!r}; known: {', '.join(sorted(RECIPES))}")
    return RECIPES[model_id]


def description(recipe: Recipe) -> str:
    """One paragraph saying what the model reads and predicts (config.json and card.md)."""
    cell = "plain RNN" if recipe.cell == "rnn" else recipe.cell.upper()
    if recipe.task == "next-token":
        reads = {
            "python_source": "Python source (the CPython 3.11 standard library)",
            "nsmc_chars": "Korean movie reviews (NSMC), Hangul syllables as characters",
        }[recipe.data]
        layers = f"{recipe.num_layers} layers" if recipe.num_layers > 1 else "one layer"
        return (
            f"Reads {reads} one character per step, through an Embedding({recipe.embedding_dim}) "
            f"and an {cell} of {recipe.hidden_size} units ({layers}); Dense(vocabulary, softmax) "
            "gives the probability of every next character. Rare characters are one unknown "
            "symbol."
        )
    if recipe.task == "sentiment":
        language = "Korean" if recipe.language == "ko" else "English"
        tokens = "morphemes (Kiwi)" if recipe.analyzer == "morpheme" else "whitespace words"
        article = "an" if language == "English" else "a"
        cell_article = "an" if cell == "LSTM" else "a"
        return (
            f"Reads {article} {language} movie review as {tokens}, one token per step, through an "
            f"Embedding({recipe.embedding_dim}) and {cell_article} {cell} of {recipe.hidden_size} "
            "units; "
            "Dense(1, sigmoid) gives the probability that the review is positive."
        )
    return (
        f"Reads {recipe.seq_length} days of Seattle weather (precipitation, temp_max, temp_min, "
        f"wind; min-max scaled) through 2 stacked {cell} layers of {recipe.hidden_size} units, "
        "then Dense(100, relu) -> Dense(50, relu) -> Dense(1) predicts the next day's temp_max."
    )


KOREAN_LABELS = ["부정", "긍정"]  # negative, positive
# precipitation, temp_max, temp_min, wind (the order of the weather features)
KOREAN_WEATHER_FEATURES = ["강수량", "최고 기온", "최저 기온", "풍속"]


def korean(recipe: Recipe) -> dict[str, Any]:
    """config.json's `translations["ko"]`: the title, description, labels and feature names."""
    cell = "RNN" if recipe.cell == "rnn" else recipe.cell.upper()
    units = f"{cell} {recipe.hidden_size} 유닛"
    if recipe.task == "next-token":
        source = "파이썬 소스 코드" if recipe.data == "python_source" else "네이버 영화 리뷰"
        return {
            "title": f"{source}, 글자 단위 · {units}",
            "description": (
                f"{source}를 글자 하나씩 읽고, {units}이 스텝마다 다음 글자의 확률을 냅니다 "
                "(글자 단위 언어 모델)."
            ),
        }
    if recipe.task == "sentiment":
        source = "네이버 영화 리뷰" if recipe.language == "ko" else "영어 영화 리뷰"
        tokens = "형태소(Kiwi)" if recipe.analyzer == "morpheme" else "띄어쓰기 단어"
        return {
            "title": f"{source} · {units}",
            "description": (
                f"{source}를 {tokens} 단위로 스텝마다 토큰 하나씩 읽습니다: "
                f"Embedding({recipe.embedding_dim}) -> {units} -> Dense(1, sigmoid)가 리뷰가 "
                "긍정일 확률을 냅니다."
            ),
            "labels": KOREAN_LABELS,
        }
    return {
        "title": f"시애틀 날씨, 다음 날 최고 기온 · {units} 2층",
        "description": (
            f"시애틀 날씨 {recipe.seq_length}일치(강수량, 최고 기온, 최저 기온, 풍속; 최소-최대 "
            f"스케일링)를 {units} 2층에 읽히고, Dense(100, relu) -> Dense(50, relu) -> Dense(1)이 "
            "다음 날 최고 기온을 예측합니다."
        ),
        "features": KOREAN_WEATHER_FEATURES,
    }


KO_EXAMPLES = (
    ("배우들 연기가 정말 좋았고 마지막 장면에서 울었어요", "positive"),
    ("올해 본 영화 중에 최고였다 강력 추천합니다", "positive"),
    ("음악도 좋고 영상미도 훌륭한 영화", "positive"),
    ("시간이 아까웠다 스토리가 너무 지루하다", "negative"),
    ("돈 주고 보기 아까운 최악의 영화", "negative"),
    ("배우는 좋은데 각본이 엉망이라 실망했어요", "negative"),
)
EN_EXAMPLES = (
    ("a warm, funny and beautifully acted film", "positive"),
    ("one of the best movies of the year", "positive"),
    ("a moving story with a wonderful cast", "positive"),
    ("a dull, lifeless mess that goes nowhere", "negative"),
    ("the plot is boring and the jokes fall flat", "negative"),
    ("a tedious waste of two hours", "negative"),
)
# Held-out windows shown as examples: the windows whose next day (the target) is these dates.
WEATHER_EXAMPLE_DATES = ("2015/01/15", "2015/07/15")


def _korean(cell: CellKind, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"sentiment-ko-{cell}",
        title=f"Korean movie reviews · {cell.upper()}, {hidden} units",
        data="nsmc",
        cell=cell,
        hidden_size=hidden,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=128,
        embedding_dim=64,
        num_words=20_000,
        maxlen=40,
        analyzer="morpheme",
        dropout=0.3,
        head_dropout=0.3,
        patience=2,
        examples=KO_EXAMPLES,
    )


def _english(cell: CellKind, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"sentiment-en-{cell}",
        title=f"English movie reviews · {'RNN' if cell == 'rnn' else cell.upper()}, {hidden} units",
        data="movie_snippets",
        cell=cell,
        hidden_size=hidden,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=64,
        embedding_dim=64,
        num_words=10_000,
        maxlen=40,
        dropout=0.4,
        head_dropout=0.4,
        weight_decay=1e-5,
        patience=3,
        validation_fraction=0.1,
        examples=EN_EXAMPLES,
    )


def _weather(cell: CellKind, hidden: int, epochs: int) -> Recipe:
    return Recipe(
        model_id=f"weather-{cell}",
        title=f"Seattle weather, next day's high · {cell.upper()}, 2 layers of {hidden} units",
        data="weather",
        cell=cell,
        hidden_size=hidden,
        num_layers=2,
        epochs=epochs,
        learning_rate=2e-3,
        batch_size=32,
        seq_length=10,
        patience=15,
        validation_fraction=0.15,
        head=((100, "relu"), (50, "relu"), (1, "linear")),
    )


def _characters(model_id: str, title: str, data: str, **options: Any) -> Recipe:
    defaults: dict[str, Any] = {
        "cell": "lstm",
        "learning_rate": 3e-3,
        "batch_size": 64,
        "bptt": 100,
        "gradient_clip": 1.0,
        "validation_fraction": 0.02,
        "threads": 1,
        "final_lr_fraction": 0.1,
    }
    return Recipe(model_id=model_id, title=title, data=data, **{**defaults, **options})


CHARACTER_RECIPES = (
    _characters(
        "chars-python-lstm",
        "Python source, character by character · LSTM, 128 units",
        "python_source",
        hidden_size=128,
        embedding_dim=32,
        epochs=3,
        min_count=10,
    ),
    _characters(
        "chars-ko-lstm",
        "Korean reviews, character by character · LSTM, 128 units",
        "nsmc_chars",
        hidden_size=128,
        embedding_dim=64,
        epochs=2,
        max_vocabulary=1000,
        max_train_chars=2_500_000,
        # More, smaller updates: 1,000 outputs learn slowly, and the updates, not the
        # characters, were what one pass of 64 x 100 lacked (5.3 bits per character).
        batch_size=32,
        bptt=64,
        learning_rate=5e-3,
        separator="\n",
    ),
)

RECIPES: dict[str, Recipe] = {
    recipe.model_id: recipe
    for recipe in (
        _korean("gru", 32, 2),
        _korean("lstm", 32, 2),
        _english("gru", 32, 12),
        _english("lstm", 32, 12),
        _english("rnn", 32, 12),
        _weather("gru", 32, 80),
        _weather("lstm", 32, 80),
        *CHARACTER_RECIPES,
    )
}
