// All interface text in English and Korean. The Korean follows the class notes' terms:
// 장기 기억 (cell state c), 단기 기억 (hidden state h), 갱신 비율 (update), 재조정 비율 (reset).

const STORAGE_KEY = "gatescope.lang";

const TEXT = {
  en: {
    "app.tagline": "Every gate of a trained recurrent network, step by step",
    "lang.other": "한국어",
    "lang.switch": "Switch the interface to Korean",
    "model.label": "Model",
    "model.loading": "Loading models…",
    "model.none": "No models are installed.",
    "task.sentiment": "Sentiment",
    "task.classification": "Classification",
    "task.next-token": "Next token",
    "task.regression": "Regression",
    "group.input.ko": "Korean text",
    "group.input.en": "English text",
    "group.input.text": "text",
    "group.input.numbers": "numbers",
    "group.uploaded": "Uploaded",
    "model.size": "{layers} layers × {units} units",
    "model.size1": "{units} units",
    "model.bidirectional": "bidirectional",
    "input.text": "Sentence",
    "input.numbers": "Sequence",
    "input.hint.text": "Type a sentence in {language}. Unknown words become <OOV>.",
    "input.hint.numbers":
      "One step per line, {count} values each: {features}. Trained on windows of {seq} steps.",
    "input.placeholder.text": "Type a sentence…",
    "language.ko": "Korean",
    "language.en": "English",
    "examples.label": "Examples",
    "examples.pick": "Pick an example…",
    "run": "Run trace",
    "running": "Running…",
    "empty": "Pick a model and an input, then press “Run trace”.",
    "tokens.text": "Tokens: the input as the model saw it",
    "tokens.numbers": "Scaled input: what the network reads at each step",
    "tokens.word": "word",
    "tokens.oov": "OOV: not in the vocabulary",
    "tokens.pad": "padding",
    "tokens.original": "original",
    "tokens.truncated.start": "{dropped} earlier words were cut: the model reads the last {kept}",
    "tokens.truncated.start.one": "1 earlier word was cut: the model reads the last {kept}",
    "tokens.truncated.end": "{dropped} later words were cut: the model reads the first {kept}",
    "tokens.truncated.end.one": "1 later word was cut: the model reads the first {kept}",
    "player.play": "Play",
    "player.pause": "Pause",
    "player.back": "Step back",
    "player.forward": "Step forward",
    "player.speed": "Speed",
    "player.slider": "Step",
    "player.keys": "Keys: space play/pause · ← → step · Home/End",
    "step.label": "Step {t} / {T}",
    "layer.label": "Layer",
    "layer.option": "Layer {n} · {direction}",
    "layer.option.block": "Block {b} · {kind} layer {n} · {direction}",
    "direction.forward": "forward →",
    "direction.backward": "← backward",
    "gate.input": "Input gate",
    "gate.forget": "Forget gate",
    "gate.candidate.lstm": "Candidate: new long-term memory",
    "gate.output": "Output gate",
    "gate.reset": "Reset gate",
    "gate.update": "Update gate",
    "gate.candidate.gru": "Candidate h̃ (PyTorch’s n)",
    "state.cell": "Cell state: long-term memory",
    "state.hidden": "Hidden state: short-term memory",
    "axis.step": "step",
    "axis.unit": "unit",
    "range.sigmoid": "sigmoid · 0 … 1",
    "range.tanh": "tanh · −1 … 1",
    "range.relu": "relu · 0 …",
    "range.cell": "symmetric · ±{m}",
    "hover": "step %{x} · unit %{y}<br>%{z:.3f}",
    "hover.token": "step %{x} “%{text}” · unit %{y}<br>%{z:.3f}",
    "heatmaps.hint": "Click a unit (a row) in any heatmap to follow it.",
    "bars.title": "Step {t}: every vector at this step",
    "unit.title": "Unit {k} across all steps",
    "heatmap.name": "{title} ({symbol}): heatmap of {units} units over {steps} steps. Arrow keys: ↑ ↓ choose a unit, ← → step.",
    "heatmap.named": "{title}: heatmap of {units} rows over {steps} steps",
    "heatmap.now": "Step {t}{token}, unit {k} is followed. Values at this step: {values}",
    "prediction.title": "Prediction",
    "prediction.pending": "The prediction appears at the last step.",
    "prediction.probability": "{p}% sure",
    "prediction.bystep": "Prediction as it forms",
    "prediction.positive": "P(positive)",
    "prediction.value": "predicted value",
    "prediction.none": "This trace has no prediction.",
    "prediction.classes": "Every class",
    "prediction.probability.axis": "probability",
    "prediction.next": "Next token after step {t}: the most likely",
    "prediction.next.top": "P(top next token)",
    "label.positive": "positive",
    "label.negative": "negative",
    "equation.title": "Equations: step {t}, unit {k}",
    "equation.pytorch": "As PyTorch computes them (⊙ multiplies element by element)",
    "equation.checks": "Both sides agree (to display rounding).",
    "equation.mismatch": "The two sides differ by {d}.",
    "equation.prev.forward": "previous step {t}",
    "equation.prev.backward": "step {t}: the backward direction comes from the end",
    "equation.initial": "0: the zero initial state",
    "equation.absent": "This step is absent (padding the network skipped).",
    "equation.proj": "This LSTM projects h (proj_size): h_t = W_hr (o_t ⊙ tanh(c_t)) mixes units.",
    "equation.relu": "This RNN uses relu instead of tanh.",
    "equation.reset_before": "As this layer computes them: a GRU with reset_after=False (Keras), the class notes’ GRU (⊙ multiplies element by element)",
    "gru.reset_before":
      "This GRU applies r_t BEFORE the matrix product: W_hn (r_t ⊙ h_{t−1}) + b_hn, as the class notes and Keras’s reset_after=False do. PyTorch’s nn.GRU applies it after: r_t ⊙ (W_hn h_{t−1} + b_hn). The line above shows this unit’s entry of r_t ⊙ h_{t−1}.",
    "gru.notes.reset.same": "Here r_t is applied before the matrix product, as in the notes: W · [r_t * h_{t−1}, x_t].",
    "gru.notes.title": "The class notes write the GRU differently",
    "gru.notes.final":
      "PyTorch writes h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}; the notes write h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t. So PyTorch’s z_t is the notes’ 1 − z_t, and PyTorch’s n_t is the notes’ h̃_t.",
    "gru.notes.numbers": "With this step’s numbers, the notes’ z_t = 1 − {z} = {zn}:",
    "gru.notes.reset":
      "PyTorch multiplies by r_t after the matrix product, r_t ⊙ (W_hn h_{t−1} + b_hn); the notes multiply before it, W · [r_t * h_{t−1}, x_t].",
    "error.title": "Something went wrong",
    "error.network": "The server cannot be reached. Is gatescope still running?",
    "error.404": "The model “{model}” is not on this server.",
    "error.422": "The input was not accepted.",
    "error.413": "The input is too large for this server.",
    "error.429": "The server is busy. Try again in a moment.",
    "error.500": "The server failed to compute the trace ({status}).",
    "error.status": "The server answered {status}.",
    "error.400": "The request was not understood.",
    "error.401": "This server needs an access token.",
    "error.404.other": "That was not found on this server.",
    "error.409": "That conflicts with what the server already has (a model of that name?).",
    "error.timeout": "The server took too long to answer. Try a shorter input.",
    "error.at": "Step {step}, value {value}",
    "error.at.step": "Step {step}",
    "error.field": "Field “{field}”",
    "error.parse": "“{text}” is not a number.",
    "error.empty": "The input is empty.",
    "error.noModel": "Pick a model first.",
    "token.title": "This server needs an access token.",
    "token.label": "Access token",
    "token.submit": "Use token",
    "token.wrong": "That token was not accepted.",
  },
  ko: {
    "app.tagline": "학습된 순환 신경망의 모든 게이트를 한 스텝씩",
    "lang.other": "English",
    "lang.switch": "인터페이스를 영어로 바꾸기",
    "model.label": "모델",
    "model.loading": "모델을 불러오는 중…",
    "model.none": "설치된 모델이 없습니다.",
    "task.sentiment": "감성 분류",
    "task.classification": "다중 분류",
    "task.next-token": "다음 토큰 예측",
    "task.regression": "회귀",
    "group.input.ko": "한국어 문장",
    "group.input.en": "영어 문장",
    "group.input.text": "문장",
    "group.input.numbers": "수치 시퀀스",
    "group.uploaded": "업로드한 모델",
    "model.size": "{layers}층 × 유닛 {units}개",
    "model.size1": "유닛 {units}개",
    "model.bidirectional": "양방향",
    "input.text": "문장",
    "input.numbers": "시퀀스",
    "input.hint.text": "{language} 문장을 입력하세요. 사전에 없는 단어는 <OOV>가 됩니다.",
    "input.hint.numbers":
      "한 줄에 한 스텝, 스텝마다 값 {count}개: {features}. 학습 윈도 길이(seq_length) {seq}.",
    "input.placeholder.text": "문장을 입력하세요…",
    "language.ko": "한국어",
    "language.en": "영어",
    "examples.label": "예시 입력",
    "examples.pick": "예시를 고르세요…",
    "run": "추적 실행",
    "running": "계산 중…",
    "empty": "모델과 입력을 고른 뒤 “추적 실행”을 누르세요.",
    "tokens.text": "토큰: 모델이 본 입력",
    "tokens.numbers": "스케일된 입력: 스텝마다 신경망이 읽는 값",
    "tokens.word": "단어",
    "tokens.oov": "OOV: 사전에 없는 단어",
    "tokens.pad": "패딩",
    "tokens.original": "원래 값",
    "tokens.truncated.start": "앞부분 {dropped}개 토큰이 잘렸습니다: 모델은 마지막 {kept}개만 읽습니다",
    "tokens.truncated.end": "뒷부분 {dropped}개 토큰이 잘렸습니다: 모델은 처음 {kept}개만 읽습니다",
    "tokens.truncated.start.one": "앞부분 1개 토큰이 잘렸습니다: 모델은 마지막 {kept}개만 읽습니다",
    "tokens.truncated.end.one": "뒷부분 1개 토큰이 잘렸습니다: 모델은 처음 {kept}개만 읽습니다",
    "player.play": "재생",
    "player.pause": "일시 정지",
    "player.back": "이전 스텝",
    "player.forward": "다음 스텝",
    "player.speed": "속도",
    "player.slider": "스텝",
    "player.keys": "키: 스페이스 재생/정지 · ← → 스텝 이동 · Home/End",
    "step.label": "스텝 {t} / {T}",
    "layer.label": "층",
    "layer.option": "{n}층 · {direction}",
    "layer.option.block": "블록 {b} · {kind} {n}층 · {direction}",
    "direction.forward": "순방향 →",
    "direction.backward": "← 역방향",
    "gate.input": "입력 게이트",
    "gate.forget": "망각 게이트",
    "gate.candidate.lstm": "후보 값: 새 장기 기억 후보",
    "gate.output": "출력 게이트",
    "gate.reset": "리셋 게이트 (재조정 비율)",
    "gate.update": "업데이트 게이트 (갱신 비율)",
    "gate.candidate.gru": "현재 기억 후보 h̃ (PyTorch의 n)",
    "state.cell": "셀 상태: 장기 기억",
    "state.hidden": "은닉 상태: 단기 기억",
    "axis.step": "스텝",
    "axis.unit": "유닛",
    "range.sigmoid": "시그모이드 · 0 … 1",
    "range.tanh": "tanh · −1 … 1",
    "range.relu": "relu · 0 …",
    "range.cell": "0 중심 · ±{m}",
    "hover": "스텝 %{x} · 유닛 %{y}<br>%{z:.3f}",
    "hover.token": "스텝 %{x} “%{text}” · 유닛 %{y}<br>%{z:.3f}",
    "heatmaps.hint": "히트맵에서 유닛(행)을 클릭하면 그 유닛을 따라갑니다.",
    "bars.title": "스텝 {t}: 이 스텝의 모든 벡터",
    "unit.title": "유닛 {k}의 모든 스텝",
    "heatmap.name": "{title} ({symbol}): 유닛 {units}개 × 스텝 {steps}개 히트맵. 방향키: ↑ ↓ 유닛 선택, ← → 스텝 이동.",
    "heatmap.named": "{title}: 행 {units}개 × 스텝 {steps}개 히트맵",
    "heatmap.now": "스텝 {t}{token}, 유닛 {k}를 따라가는 중. 이 스텝의 값: {values}",
    "prediction.title": "예측",
    "prediction.pending": "예측은 마지막 스텝에서 나타납니다.",
    "prediction.probability": "확률 {p}%",
    "prediction.bystep": "스텝마다 만들어지는 예측",
    "prediction.positive": "P(긍정)",
    "prediction.value": "예측값",
    "prediction.none": "이 추적에는 예측이 없습니다.",
    "prediction.classes": "모든 클래스",
    "prediction.probability.axis": "확률",
    "prediction.next": "스텝 {t} 다음 토큰: 가장 그럴듯한 후보",
    "prediction.next.top": "P(1순위 다음 토큰)",
    "label.positive": "긍정",
    "label.negative": "부정",
    "equation.title": "식: 스텝 {t}, 유닛 {k}",
    "equation.pytorch": "PyTorch가 계산하는 식 (⊙는 원소별 곱)",
    "equation.checks": "양변이 (표시 반올림 범위에서) 같습니다.",
    "equation.mismatch": "양변의 차이: {d}",
    "equation.prev.forward": "이전 스텝 {t}",
    "equation.prev.backward": "스텝 {t}: 역방향은 끝에서부터 읽습니다",
    "equation.initial": "0: 초기 상태 (영벡터)",
    "equation.absent": "이 스텝은 없습니다 (신경망이 건너뛴 패딩).",
    "equation.proj": "이 LSTM은 h를 사영합니다 (proj_size): h_t = W_hr (o_t ⊙ tanh(c_t)).",
    "equation.relu": "이 RNN은 tanh 대신 relu를 씁니다.",
    "equation.reset_before": "이 층이 계산하는 식: reset_after=False(Keras)인 GRU, 수업 노트의 GRU (⊙는 원소별 곱)",
    "gru.reset_before":
      "이 GRU는 r_t를 행렬 곱 전에 곱합니다: W_hn (r_t ⊙ h_{t−1}) + b_hn (수업 노트, Keras reset_after=False). PyTorch의 nn.GRU는 곱한 뒤에 곱합니다: r_t ⊙ (W_hn h_{t−1} + b_hn). 위 줄은 이 유닛의 r_t ⊙ h_{t−1} 값입니다.",
    "gru.notes.reset.same": "여기서는 노트처럼 r_t를 행렬 곱 전에 곱합니다: W · [r_t * h_{t−1}, x_t].",
    "gru.notes.title": "수업 노트는 GRU를 다르게 씁니다",
    "gru.notes.final":
      "PyTorch는 h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t−1}, 노트는 h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t 로 씁니다. 즉 PyTorch의 z_t는 노트의 1 − z_t이고, PyTorch의 n_t가 노트의 h̃_t(현재 기억 후보)입니다.",
    "gru.notes.numbers": "이 스텝의 숫자로: 노트의 z_t = 1 − {z} = {zn}",
    "gru.notes.reset":
      "PyTorch는 행렬 곱 뒤에 r_t를 곱하고 (r_t ⊙ (W_hn h_{t−1} + b_hn)), 노트는 곱하기 전에 곱합니다 (W · [r_t * h_{t−1}, x_t]).",
    "error.title": "문제가 생겼습니다",
    "error.network": "서버에 연결할 수 없습니다. gatescope가 실행 중인가요?",
    "error.404": "이 서버에 “{model}” 모델이 없습니다.",
    "error.422": "입력을 받아들일 수 없습니다.",
    "error.413": "입력이 이 서버에서 처리하기에 너무 큽니다.",
    "error.429": "서버가 바쁩니다. 잠시 후 다시 시도하세요.",
    "error.500": "서버가 추적을 계산하지 못했습니다 ({status}).",
    "error.status": "서버 응답: {status}",
    "error.400": "요청을 이해하지 못했습니다.",
    "error.401": "이 서버는 접근 토큰이 필요합니다.",
    "error.404.other": "이 서버에서 찾을 수 없습니다.",
    "error.409": "서버에 이미 있는 것과 충돌합니다 (같은 이름의 모델?).",
    "error.timeout": "서버가 너무 오래 응답하지 않습니다. 더 짧은 입력으로 해 보세요.",
    // The API's stable error codes (detail[].code, with detail[].params) in Korean: exactly the
    // backend's ERROR_CODES (app/api/errors.py; tests/api/test_error_codes_korean.py checks both
    // ways). A placeholder names a param every error of that code carries.
    "code.wrong_input_type": "문장도 스텝 목록도 아닙니다 ({got}).",
    "code.not_text": "이 모델은 문장을 읽습니다. 문자열이 아닌 값이 왔습니다 ({got}).",
    "code.not_utf8": "UTF-8로 나타낼 수 없는 문자가 있습니다.",
    "code.empty_text": "문장이 비어 있습니다.",
    "code.too_long_text": "문장이 너무 깁니다: {characters}자 (최대 {limit}자).",
    "code.no_words": "문장 부호를 빼고 나면 남는 단어가 없습니다.",
    "code.no_known_words": "모델이 아는 단어가 없고, 대신할 OOV 토큰도 없습니다.",
    "code.not_steps": "스텝 목록이어야 합니다. 스텝마다 숫자 {width}개 ({got}).",
    "code.no_steps": "스텝이 하나도 없습니다.",
    "code.too_many_steps": "스텝이 너무 많습니다: {steps}개 (최대 {limit}개).",
    "code.not_a_step": "스텝마다 숫자 {width}개의 목록이어야 합니다 ({got}).",
    "code.wrong_width": "값이 {values}개입니다. 스텝마다 {width}개가 필요합니다.",
    "code.not_a_number": "숫자가 아닙니다 ({got}).",
    "code.not_finite": "NaN이나 무한대는 받을 수 없습니다 ({got}).",
    "code.too_large_number": "숫자가 너무 큽니다: ±{limit} (float32) 안이어야 합니다.",
    "code.too_large_after_scaling": "min-max 스케일링을 하면 유한한 값이 아니게 됩니다 ({got}).",
    "code.too_many_inputs": "입력이 너무 많습니다: {inputs}개 (최대 {limit}개).",
    "code.limit_exceeded": "값이 {value}입니다. 이 서버의 한도는 {limit}입니다.",
    "code.too_large_trace": "추적 결과가 너무 큽니다: 값 {values}개 (최대 {limit}개).",
    "code.layer_out_of_range": "{layer}층은 없습니다. {min}부터 {max} 사이여야 합니다 (음수는 맨 위에서부터 셉니다).",
    "code.direction_not_in_layer": "{layer}층은 순방향으로만 읽습니다. 역방향은 양방향 층에만 있습니다.",
    "code.unknown_model": "이 서버에 “{model_id}” 모델이 없습니다.",
    "code.not_found": "찾을 수 없습니다: {method} {path}",
    "code.method_not_allowed": "이 경로는 {method} 요청을 받지 않습니다: {path}",
    "code.bad_request": "요청 본문을 읽을 수 없습니다: {method} {path}",
    "code.unauthorized": "접근 토큰이 없거나 맞지 않습니다.",
    "code.forbidden": "함께 제공된 모델은 지울 수 없습니다.",
    "code.id_taken": "이미 있는 모델 id입니다.",
    "code.body_too_large": "요청이 이 서버의 크기 한도를 넘습니다.",
    "code.invalid_json": "본문이 올바른 JSON이 아닙니다 ({position}번째 문자).",
    "code.missing": "필요한 값이 없습니다.",
    "code.unknown_field": "이 요청이 받지 않는 필드입니다.",
    "code.not_an_object": "JSON 객체여야 합니다.",
    "code.not_a_list": "목록이어야 합니다.",
    "code.not_a_string": "문자열이어야 합니다.",
    "code.not_an_integer": "정수여야 합니다.",
    "code.not_a_boolean": "true 또는 false여야 합니다.",
    "code.not_allowed": "허용된 값이 아닙니다. 가능한 값: {expected}",
    "code.below_minimum": "값이 너무 작습니다 (최소 {limit}).",
    "code.above_maximum": "값이 너무 큽니다 (최대 {limit}).",
    "code.too_few_items": "항목이 너무 적습니다: {actual_length}개 (최소 {min_length}개).",
    "code.too_many_items": "항목이 너무 많습니다: {actual_length}개 (최대 {max_length}개).",
    "code.wrong_format": "형식이 맞지 않습니다 ({pattern}).",
    "code.rnn_only_option": "이 옵션은 단순 RNN 셀에만 있습니다.",
    "code.invalid_model": "gatescope가 읽을 수 없는 모델 파일입니다.",
    "code.invalid_id": "모델 id에 쓸 수 없는 문자가 있습니다.",
    "code.invalid": "올바르지 않은 값입니다.",
    "code.internal_error": "서버에서 문제가 생겼습니다 (오류는 기록되었습니다).",
    "error.at": "스텝 {step}, 값 {value}",
    "error.at.step": "스텝 {step}",
    "error.field": "필드 “{field}”",
    "error.parse": "“{text}”은(는) 숫자가 아닙니다.",
    "error.empty": "입력이 비어 있습니다.",
    "error.noModel": "먼저 모델을 고르세요.",
    "token.title": "이 서버는 접근 토큰이 필요합니다.",
    "token.label": "접근 토큰",
    "token.submit": "토큰 사용",
    "token.wrong": "토큰이 맞지 않습니다.",
  },
};

export const LANGUAGES = Object.keys(TEXT);
const listeners = new Set();
let current = initialLanguage();

function initialLanguage() {
  let saved = null;
  try {
    saved = localStorage.getItem(STORAGE_KEY);
  } catch {
    saved = null; // storage may be disabled; fall back to the browser's language
  }
  if (saved && TEXT[saved]) return saved;
  const preferred = navigator.languages?.length ? navigator.languages : [navigator.language];
  return preferred.some((tag) => String(tag).toLowerCase().startsWith("ko")) ? "ko" : "en";
}

export function lang() {
  return current;
}

/** The text for `key` in the current language, with {name} placeholders filled in. */
export function t(key, params = {}) {
  const text = TEXT[current][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

export function setLang(next) {
  if (!TEXT[next] || next === current) return;
  current = next;
  try {
    localStorage.setItem(STORAGE_KEY, next);
  } catch {
    // not remembered, but the switch still applies to this page
  }
  applyStatic(document);
  listeners.forEach((listener) => listener(next));
}

export function onLangChange(listener) {
  listeners.add(listener);
}

/** Fill every [data-i18n] element (text) and [data-i18n-attr="attr:key,..."] attribute. */
export function applyStatic(root) {
  document.documentElement.lang = current;
  root.querySelectorAll("[data-i18n]").forEach((el) => {
    el.textContent = t(el.dataset.i18n);
  });
  root.querySelectorAll("[data-i18n-attr]").forEach((el) => {
    for (const pair of el.dataset.i18nAttr.split(",")) {
      const [attr, key] = pair.split(":");
      el.setAttribute(attr.trim(), t(key.trim()));
    }
  });
}
