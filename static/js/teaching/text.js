// The teaching views' words in English and Korean. The language itself is the page's (i18n.js:
// lang(), setLang(), onLangChange()); these strings live here, under data-teaching-i18n attributes,
// and fall back to the page's own strings (t from i18n.js) for shared keys.
// The Korean follows the class notes: 장기 기억 (cell state), 단기 기억 (hidden state).

import { applyStatic, lang, t as pageText } from "../i18n.js";

const TEXT = {
  en: {
    "links.label": "Views of this input:",
    "teaching.explorer.title": "Explorer",
    "teaching.compare.title": "Compare cells",
    "teaching.gradient.title": "Vanishing gradient",
    "teaching.saturation.title": "Gate saturation",
    "teaching.padding.title": "Padding and masking",
    "teaching.state.title": "Stacking and state",
    "teaching.whatif.title": "What if",
    "teaching.whatif.explain":
      "<p>Seeing a gate's value does not say whether it mattered: change it and see what follows. " +
      "A <b>knob</b> clamps one gate in every layer of its cell; an <b>intervention</b> sets, scales, adds to, zeroes, " +
      "averages or patches some units of one gate or state at some steps. The run is exact: the steps before the first change are " +
      "the clean run, and from there every later step, upper layer, the other direction and the head follow.</p>" +
      "<p>The heatmaps show one gate or state of one layer clean, patched, and their difference (patched − clean). " +
      "<b>Patching</b> runs a corrupted input (one word swapped) with one place at a time taken from the clean run: " +
      "1 means that place alone restores the clean prediction, 0 that it changes nothing. " +
      "<b>Attribution</b> says how much each token drove the prediction.</p>",
    "teaching.run": "Show",
    "teaching.running": "Computing…",
    "teaching.explain": "What am I looking at?",
    "teaching.compare.explain":
      "<p>The same input goes through the sibling models trained on the same task and data: an <b>LSTM</b>, a <b>GRU</b> " +
      "and, for English sentiment, a plain <b>RNN</b>. " +
      "The plain RNN has no gates: h<sub>t</sub> = tanh(W<sub>ih</sub> x<sub>t</sub> + W<sub>hh</sub> h<sub>t−1</sub> + b). " +
      "The LSTM has four weight blocks (input, forget, candidate, output) and a cell state c, its long-term memory; " +
      "the GRU has three (reset, update, candidate) and no c.</p>" +
      "<p>So a GRU layer has <b>3/4</b> of the parameters of an LSTM layer of the same size, and a plain RNN 1/4: " +
      "the table below answers the class question “does a GRU have fewer parameters?” with this model's numbers. " +
      "The lines show each model's prediction after every step; the big marker is the step that moved it most.</p>",
    "teaching.gradient.explain":
      "<p>How much does the final hidden state h<sub>T</sub> still depend on the input at step t? " +
      "The left chart shows the size of the gradient ‖∂h<sub>T</sub>/∂x<sub>t</sub>‖ at every step, on a log scale. " +
      "What these numbers say about this input is written above the charts.</p>" +
      "<p><b>Background, the textbook picture:</b> going back one step multiplies the gradient by one more matrix; " +
      "in a plain RNN these products usually shrink fast over long sequences, " +
      "so the early words barely reach the end: that is the <b>vanishing gradient</b>. " +
      "It is a statement about long dependencies, not about every chart.</p>" +
      "<p>The right chart shows what the gates keep: the product of the forget gates f (LSTM) or of PyTorch's update gate z (GRU) " +
      "from step t+1 to the end, averaged over units. Near 1, the cell carries step t's information to the end unchanged. " +
      "(PyTorch's z is the notes' 1 − z: a z near 1 keeps the old state.)</p>",
    "teaching.saturation.explain":
      "<p>Every point is one unit of one gate (Karpathy, Johnson and Fei-Fei, 2015). " +
      "x: the fraction of steps the gate is below 0.1, nearly shut. y: the fraction above 0.9, wide open.</p>" +
      "<p>Top left: gates that stay open (a forget gate there keeps its long-term memory). Bottom right: gates that stay shut. " +
      "Near the line x + y = 1: gates that switch hard between the two. Near the origin: gates that work in between. " +
      "With a short input the fractions come in steps of 1/T. Click a point to follow that unit in the explorer.</p>",
    "teaching.padding.explain":
      "<p>Keras's <code>pad_sequences</code> fills short sentences with index 0 up to maxlen, in front by default (<code>padding='pre'</code>). " +
      "The network reads pad steps like words unless they are masked (<code>Embedding(mask_zero=True)</code>).</p>" +
      "<p><b>pre</b>: the pads come first, the state settles during them, and the words come right before the prediction. " +
      "<b>post</b>: the network keeps reading pads after the last word, and the state can drift away from what the words said. " +
      "<b>masked</b>: only the real tokens are read. Compare the three predictions, and how much the gates move on pad steps.</p>",
    "teaching.state.explain":
      "<p><code>return_sequences=True</code>: layer 1 hands its h at <b>every</b> step to layer 2, so layer 1's whole output matrix is layer 2's input. " +
      "Only the top layer's last h goes into the Dense head (<code>return_sequences=False</code>).</p>" +
      "<p><code>stateful=True</code>: the next input starts from the previous input's final state instead of zeros. " +
      "Here the input is cut in two; the second part is read once from the first part's final state and once from zeros. " +
      "With the state carried, the result is exactly that of reading the whole input at once.</p>",
    "compare.predictions": "The prediction after every step",
    "compare.parameters": "Parameters per layer",
    "compare.gates": "Gates: mean over units at every step",
    "compare.nogates": "No gates: h_t = tanh(W_ih x_t + W_hh h_{t−1} + b)",
    "compare.hidden": "Hidden state h (short-term memory)",
    "compare.alone": "This model has no sibling with another cell; it is shown alone.",
    "compare.alone.chain":
      "This model chains blocks of different cells, so no sibling model differs from it in one cell only: it is shown alone. Pick a layer above to see each block's gates.",
    "compare.tipped": "moved most",
    "compare.nosteps":
      "A layer of this model also reads backward (from the end of the input), so there is no prediction “so far” after each step: only the final one.",
    "forming.word": "“{token}” tipped it",
    "forming.step": "moved most here",
    "compare.total": "Total",
    "compare.ratio": "Recurrent layers: the GRU has {gru} of the LSTM's parameters (3/4 of the weights).",
    "table.model": "Model",
    "table.recurrent": "{cell} layer {n}",
    "table.recurrent.block": "Block {b} · {cell} layer {n}",
    "table.layer": "Layer",
    "table.formula": "Formula (PyTorch)",
    "table.numbers": "With the numbers",
    "table.count": "Parameters",
    "table.keras": "Keras",
    "note.lstm-two-biases":
      "LSTM: 4 blocks (i, f, g, o). PyTorch keeps two bias vectors per block (b_ih and b_hh), hence 2h; Keras's LSTM has one, so Keras counts 4 × (h × (i + h) + h).",
    "note.gru-reset-after":
      "GRU: 3 blocks (r, z, n). Keras's GRU (reset_after=True, the default) has two biases like PyTorch; with reset_after=False, the notes' equation, it has one: 3 × (h × (i + h) + h).",
    "note.rnn-two-biases": "RNN: 1 block. Keras's SimpleRNN has one bias: h × (i + h) + h.",
    "note.lstm-projection": "LSTM with projection (proj_size p): h has p numbers; Keras has no such layer.",
    "note.embedding": "Embedding: one vector of d numbers for each of the V word indices.",
    "note.dense": "Dense: a weight for every input and output, and one bias per output.",
    "symbols": "i: inputs per step · h: units · V: vocabulary · d: embedding size",
    "gradient.sensitivity": "How much h_T still feels each step: ‖∂h_T/∂x_t‖ (log scale)",
    "gradient.retention": "What the keep gate carries to the end (log scale)",
    "gradient.axis.sensitivity": "‖∂h_T/∂x_t‖",
    "gradient.axis.retention": "∏ keep gate, mean over units",
    "gradient.keep.forget": "forget gate f",
    "gradient.keep.update": "update gate z",
    "gradient.nornn": "A plain RNN has no gate that keeps its state, so it is not on this chart.",
    "gradient.summary.most":
      "On this input the {cell} kept the most gradient: at its first {unit} (step {step}), ‖∂h_T/∂x_t‖ is {ratio} of its last step's, {factor}× the {runner}'s.",
    "gradient.summary.alone": "At its first {unit} (step {step}), ‖∂h_T/∂x_t‖ is {ratio} of its last step's.",
    "gradient.summary.each": "Kept at the first {unit}: {list}.",
    "gradient.summary.word": "word",
    "gradient.summary.step": "step",
    "gradient.summary.holds": "Here the textbook picture shows: the plain RNN kept the least.",
    "gradient.summary.not":
      "So the textbook picture (a plain RNN's gradient falls fastest) does not show here: the input is short ({steps} steps) and the models are small. It shows on tasks with long dependencies, such as the playground's long-dependency tasks (adding, latch, copy).",
    "gradient.summary.nornn":
      "There is no plain RNN beside this model, so the textbook picture (a plain RNN's gradient falls fastest) cannot be checked here; it shows on tasks with long dependencies, such as the playground's long-dependency tasks (adding, latch, copy).",
    "gradient.chain":
      "{model} chains {blocks} recurrent blocks. Its sensitivity ‖∂h_T/∂x_t‖ is the whole chain's: from the top layer's last h back through every block to the input at step t. The retention follows the top layer's keep gate ({top}).",
    "saturation.hover.block": "{gate} · {where} · unit %{customdata[3]}<br>shut %{x:.2f} · open %{y:.2f}",
    "gradient.playground":
      "The shipped models read 40 steps, too few for the plain RNN to lose much. Train a network yourself on a task with a long dependency (adding, copy, latch) and watch the RNN stay at the baseline while the LSTM and GRU learn:",
    "gradient.playground.link": "the playground",
    "saturation.heading": "Left- vs right-saturated, per unit and gate",
    "saturation.click": "Click a point to follow that unit in the explorer.",
    "saturation.x": "fraction of steps < {low} (shut)",
    "saturation.y": "fraction of steps > {high} (open)",
    "saturation.layer": "layer {n}",
    "saturation.hover": "{gate} · layer {layer} · unit %{customdata[3]}<br>shut %{x:.2f} · open %{y:.2f}",
    "padding.summary": "How much the gates move per step: mean |change| over units",
    "padding.variant.pre": "pre-padded (Keras's default)",
    "padding.variant.post": "post-padded",
    "padding.variant.masked": "masked: real tokens only",
    "padding.trained": "the model was trained like this",
    "padding.padsteps": "{n} pad steps",
    "padding.change": "mean |change| per step",
    "padding.onpads": "on pad steps",
    "padding.onwords": "on word steps",
    "padding.series": "series",
    "padding.prediction": "Prediction",
    "state.carry": "Carry the state (stateful=True)",
    "state.stack": "return_sequences=True: every step of layer 1 feeds layer 2",
    "state.carryHeading": "stateful: the second part from the carried state, or from zeros",
    "state.inputs": "Input (scaled): what layer 1 reads",
    "state.layer": "Layer {n}: h at every step",
    "state.layerFeeds": "Layer {n}: h at every step = layer {m}'s input",
    "state.final": "Last h of layer {n}: the Dense head's input",
    "state.layer.named": "{name}: h at every step",
    "state.layerFeeds.named": "{name}: h at every step = the input of {next}",
    "state.final.named": "Last h of {name}: the Dense head's input",
    "state.head": "Dense head",
    "state.whole": "whole input at once",
    "state.first": "first part (from zeros)",
    "state.carried": "second part, carried state",
    "state.fresh": "second part, from zeros",
    "state.split": "the second part starts here",
    "state.second": "Second part: h ({mode})",
    "state.mode.carried": "carried state",
    "state.mode.fresh": "from zeros",
    "state.secondPrediction": "Second part's prediction",
    "state.equal": "equals the whole input read at once",
    "state.differs": "differs from the whole input by {d}",
    "axis.feature": "feature",
    "axis.step": "step",
    "na.padding_needs_text": "Padding and masking are about sentences: pick a text model (sentiment-…).",
    "na.state_needs_numbers": "This view is for the time-series models: pick weather-gru or weather-lstm.",
    "na.state_needs_two_steps": "Cutting the input in two needs at least 2 steps.",
    "na.state_bad_split": "The split must leave at least one step in each part.",
    "na.saturation_needs_gates": "A plain RNN has no gates to saturate: pick an LSTM or a GRU model.",
  },
  ko: {
    "links.label": "이 입력으로 보기:",
    "teaching.explorer.title": "탐색기",
    "teaching.compare.title": "셀 비교",
    "teaching.gradient.title": "기울기 소실",
    "teaching.saturation.title": "게이트 포화",
    "teaching.padding.title": "패딩과 마스킹",
    "teaching.state.title": "층 쌓기와 상태",
    "teaching.whatif.title": "만약에 (개입)",
    "teaching.whatif.explain":
      "<p>게이트의 값을 보는 것만으로는 그 값이 중요했는지 알 수 없습니다. 값을 바꾸고 무엇이 따라 바뀌는지 보세요. " +
      "<b>손잡이</b>는 해당 셀의 모든 층에서 게이트 하나를 고정합니다. <b>개입</b>은 게이트나 상태의 일부 유닛을 일부 스텝에서 " +
      "설정, 배율, 더하기, 0으로, 평균으로 바꾸거나 다른 입력에서 가져옵니다(패치). 계산은 정확합니다: 첫 변경 이전 스텝은 원래 실행 그대로이고, " +
      "그 뒤의 스텝, 위층, 반대 방향, 출력층이 모두 따라갑니다.</p>" +
      "<p>히트맵은 한 층의 게이트나 상태를 원래, 개입 후, 그 차이(개입 후 − 원래)로 보여 줍니다. " +
      "<b>패칭</b>은 오염된 입력(단어 하나를 바꾼 문장)을 실행하면서 한 번에 한 곳만 원래 실행의 값으로 바꿉니다: " +
      "1은 그곳 하나로 원래 예측이 돌아온다는 뜻, 0은 아무 변화가 없다는 뜻입니다. " +
      "<b>기여도</b>는 각 토큰이 예측에 얼마나 기여했는지 보여 줍니다.</p>",
    "teaching.run": "보기",
    "teaching.running": "계산 중…",
    "teaching.explain": "무엇을 보고 있나요?",
    "teaching.compare.explain":
      "<p>같은 입력을 같은 과제와 데이터로 학습한 짝 모델들에 넣어 봅니다: <b>LSTM</b>, <b>GRU</b>, " +
      "그리고 영어 감성 분류에는 <b>SimpleRNN</b>도 있습니다. " +
      "SimpleRNN에는 게이트가 없습니다: h<sub>t</sub> = tanh(W<sub>ih</sub> x<sub>t</sub> + W<sub>hh</sub> h<sub>t−1</sub> + b). " +
      "LSTM은 가중치 블록이 4개(input, forget, 후보, output)이고 장기 기억인 cell state c가 있습니다. " +
      "GRU는 블록이 3개(reset, update, 후보)이고 c가 없습니다.</p>" +
      "<p>그래서 크기가 같으면 GRU 층의 파라미터는 LSTM 층의 <b>3/4</b>, SimpleRNN은 1/4입니다. " +
      "아래 표가 수업 질문 “GRU가 LSTM보다 학습할 파라미터가 적을까?”에 이 모델의 숫자로 답합니다. " +
      "선은 스텝마다 각 모델이 내놓는 예측이고, 큰 표시는 예측을 가장 크게 움직인 스텝입니다.</p>",
    "teaching.gradient.explain":
      "<p>마지막 은닉 상태 h<sub>T</sub>는 스텝 t의 입력에 아직 얼마나 영향을 받을까요? " +
      "왼쪽 그래프는 스텝마다 기울기의 크기 ‖∂h<sub>T</sub>/∂x<sub>t</sub>‖를 로그 눈금으로 보여 줍니다. " +
      "이 입력에서 숫자가 말하는 것은 그래프 위에 적혀 있습니다.</p>" +
      "<p><b>배경, 교과서의 그림:</b> 한 스텝 거슬러 갈 때마다 행렬이 하나씩 더 곱해지는데, 긴 시퀀스에서 SimpleRNN은 이 곱이 빠르게 작아져서 " +
      "앞쪽 단어가 끝까지 거의 전달되지 않습니다. 이것이 <b>기울기 소실(vanishing gradient)</b>입니다. " +
      "긴 의존성에 대한 설명이지, 모든 그래프에 대한 주장은 아닙니다.</p>" +
      "<p>오른쪽 그래프는 게이트가 지키는 양입니다: 스텝 t+1부터 끝까지 forget 게이트 f(LSTM) 또는 PyTorch의 update 게이트 z(GRU)를 " +
      "곱한 값을 유닛에 대해 평균했습니다. 1에 가까우면 스텝 t의 정보가 끝까지 그대로 전달됩니다. " +
      "(PyTorch의 z는 노트의 1 − z입니다. z가 1에 가까우면 과거 기억을 유지합니다.)</p>",
    "teaching.saturation.explain":
      "<p>점 하나가 한 게이트의 유닛 하나입니다 (Karpathy, Johnson, Fei-Fei, 2015). " +
      "x: 게이트 값이 0.1보다 작은(거의 닫힌) 스텝의 비율, y: 0.9보다 큰(활짝 열린) 스텝의 비율.</p>" +
      "<p>왼쪽 위: 늘 열려 있는 게이트(여기 있는 forget 게이트는 장기 기억을 유지합니다). 오른쪽 아래: 늘 닫혀 있는 게이트. " +
      "x + y = 1 선 근처: 두 상태를 오가는 게이트. 원점 근처: 중간 값으로 일하는 게이트. " +
      "입력이 짧으면 비율이 1/T 단위로만 나옵니다. 점을 누르면 탐색기에서 그 유닛을 따라갑니다.</p>",
    "teaching.padding.explain":
      "<p>Keras의 <code>pad_sequences</code>는 짧은 문장을 maxlen까지 0으로 채웁니다. 기본값은 앞쪽 채우기(<code>padding='pre'</code>)입니다. " +
      "마스킹(<code>Embedding(mask_zero=True)</code>)을 하지 않으면 신경망은 패딩 스텝도 단어처럼 읽습니다.</p>" +
      "<p><b>pre</b>: 패딩이 먼저 오고 그동안 상태가 안정된 뒤, 예측 직전에 단어를 읽습니다. " +
      "<b>post</b>: 마지막 단어 뒤에도 패딩을 계속 읽으므로 상태가 단어의 내용에서 멀어질 수 있습니다. " +
      "<b>masked</b>: 실제 토큰만 읽습니다. 세 예측과, 패딩 스텝에서 게이트가 얼마나 움직이는지 비교해 보세요.</p>",
    "teaching.state.explain":
      "<p><code>return_sequences=True</code>: 1층은 <b>모든</b> 스텝의 h를 2층에 넘깁니다. 1층의 출력 행렬 전체가 2층의 입력입니다. " +
      "Dense 층에는 맨 위층의 마지막 h만 들어갑니다(<code>return_sequences=False</code>).</p>" +
      "<p><code>stateful=True</code>: 다음 입력을 0이 아니라 이전 입력의 마지막 상태에서 시작합니다. " +
      "여기서는 입력을 둘로 나눠, 뒷부분을 한 번은 앞부분의 마지막 상태에서, 한 번은 0에서 읽습니다. " +
      "상태를 이어 주면 입력 전체를 한 번에 읽은 결과와 정확히 같습니다.</p>",
    "compare.predictions": "스텝마다의 예측",
    "compare.parameters": "층별 파라미터 수",
    "compare.gates": "게이트: 스텝마다 유닛 평균",
    "compare.nogates": "게이트 없음: h_t = tanh(W_ih x_t + W_hh h_{t−1} + b)",
    "compare.hidden": "은닉 상태 h (단기 기억)",
    "compare.alone": "다른 셀로 학습한 짝 모델이 없어 이 모델만 보여 줍니다.",
    "compare.alone.chain":
      "이 모델은 서로 다른 셀의 블록을 이어 붙였기 때문에 셀 하나만 다른 짝 모델이 없어 이 모델만 보여 줍니다. 위에서 층을 고르면 블록마다 게이트를 볼 수 있습니다.",
    "compare.tipped": "가장 크게 움직임",
    "compare.nosteps":
      "이 모델에는 입력의 끝에서부터 거꾸로도 읽는 층이 있어서, 스텝마다 “지금까지의” 예측이 없고 마지막 예측만 있습니다.",
    "forming.word": "‘{token}’에서 가장 크게 바뀜",
    "forming.step": "여기서 가장 크게 바뀜",
    "compare.total": "합계",
    "compare.ratio": "순환층: GRU의 파라미터는 LSTM의 {gru}입니다 (가중치 3/4).",
    "table.model": "모델",
    "table.recurrent": "{cell} {n}층",
    "table.recurrent.block": "블록 {b} · {cell} {n}층",
    "table.layer": "층",
    "table.formula": "공식 (PyTorch)",
    "table.numbers": "숫자를 넣으면",
    "table.count": "파라미터",
    "table.keras": "Keras",
    "note.lstm-two-biases":
      "LSTM: 블록 4개(i, f, g, o). PyTorch는 블록마다 편향이 두 개(b_ih, b_hh)라서 2h입니다. Keras LSTM은 편향이 하나라서 4 × (h × (i + h) + h)로 셉니다.",
    "note.gru-reset-after":
      "GRU: 블록 3개(r, z, n). Keras GRU(reset_after=True, 기본값)도 PyTorch처럼 편향이 둘이고, reset_after=False(노트의 식)이면 하나입니다: 3 × (h × (i + h) + h).",
    "note.rnn-two-biases": "RNN: 블록 1개. Keras SimpleRNN은 편향이 하나입니다: h × (i + h) + h.",
    "note.lstm-projection": "투영(proj_size p)이 있는 LSTM: h가 p개입니다. Keras에는 이런 층이 없습니다.",
    "note.embedding": "Embedding: 단어 인덱스 V개마다 d개의 숫자로 된 벡터 하나.",
    "note.dense": "Dense: 입력과 출력 쌍마다 가중치 하나, 출력마다 편향 하나.",
    "symbols": "i: 스텝당 입력 수 · h: 유닛 수 · V: 어휘 크기 · d: 임베딩 크기",
    "gradient.sensitivity": "h_T가 각 스텝에 아직 얼마나 반응하나: ‖∂h_T/∂x_t‖ (로그 눈금)",
    "gradient.retention": "유지 게이트가 끝까지 전하는 양 (로그 눈금)",
    "gradient.axis.sensitivity": "‖∂h_T/∂x_t‖",
    "gradient.axis.retention": "∏ 유지 게이트, 유닛 평균",
    "gradient.keep.forget": "forget 게이트 f",
    "gradient.keep.update": "update 게이트 z",
    "gradient.nornn": "SimpleRNN에는 상태를 유지하는 게이트가 없어 이 그래프에 없습니다.",
    "gradient.summary.most":
      "이 입력에서는 {cell}이(가) 기울기를 가장 많이 지켰습니다: 첫 {unit}(스텝 {step})에서 ‖∂h_T/∂x_t‖가 마지막 스텝의 {ratio}배로, {runner}의 {factor}배입니다.",
    "gradient.summary.alone": "첫 {unit}(스텝 {step})에서 ‖∂h_T/∂x_t‖는 마지막 스텝의 {ratio}배입니다.",
    "gradient.summary.each": "첫 {unit}에서 남은 비율: {list}.",
    "gradient.summary.word": "단어",
    "gradient.summary.step": "스텝",
    "gradient.summary.holds": "여기서는 교과서의 그림대로 SimpleRNN이 가장 적게 지켰습니다.",
    "gradient.summary.not":
      "그래서 교과서의 그림(SimpleRNN의 기울기가 가장 빨리 줄어든다)은 여기서 보이지 않습니다: 입력이 짧고({steps} 스텝) 모델이 작기 때문입니다. 이 그림은 장기 의존성이 있는 과제(플레이그라운드의 adding, latch, copy 같은 장기 의존성 과제)에서 드러납니다.",
    "gradient.summary.nornn":
      "이 모델 옆에는 SimpleRNN이 없어 교과서의 그림(SimpleRNN의 기울기가 가장 빨리 줄어든다)을 여기서 확인할 수 없습니다. 이 그림은 장기 의존성이 있는 과제(플레이그라운드의 adding, latch, copy 같은 장기 의존성 과제)에서 드러납니다.",
    "gradient.chain":
      "{model}은(는) 순환 블록 {blocks}개를 이어 붙인 모델입니다. 민감도 ‖∂h_T/∂x_t‖는 체인 전체의 것입니다: 맨 위 층의 마지막 h에서 모든 블록을 거쳐 스텝 t의 입력까지 거슬러 갑니다. 유지 비율은 맨 위 층의 유지 게이트({top})를 따릅니다.",
    "saturation.hover.block": "{gate} · {where} · 유닛 %{customdata[3]}<br>닫힘 %{x:.2f} · 열림 %{y:.2f}",
    "gradient.playground":
      "제공된 모델은 40스텝만 읽어서 SimpleRNN도 크게 잊지 않습니다. 의존 거리가 긴 과제(adding, copy, latch)로 직접 학습시켜 보면 RNN은 기준선에 머무는 동안 LSTM과 GRU는 배웁니다:",
    "gradient.playground.link": "놀이터",
    "saturation.heading": "유닛·게이트별 왼쪽 포화 대 오른쪽 포화",
    "saturation.click": "점을 누르면 탐색기에서 그 유닛을 따라갑니다.",
    "saturation.x": "{low}보다 작은 스텝 비율 (닫힘)",
    "saturation.y": "{high}보다 큰 스텝 비율 (열림)",
    "saturation.layer": "{n}층",
    "saturation.hover": "{gate} · {layer}층 · 유닛 %{customdata[3]}<br>닫힘 %{x:.2f} · 열림 %{y:.2f}",
    "padding.summary": "스텝마다 게이트가 움직이는 정도: 유닛 평균 |변화|",
    "padding.variant.pre": "앞쪽 패딩 (Keras 기본값)",
    "padding.variant.post": "뒤쪽 패딩",
    "padding.variant.masked": "마스킹: 실제 토큰만",
    "padding.trained": "모델은 이 방식으로 학습했습니다",
    "padding.padsteps": "패딩 스텝 {n}개",
    "padding.change": "스텝당 평균 |변화|",
    "padding.onpads": "패딩 스텝에서",
    "padding.onwords": "단어 스텝에서",
    "padding.series": "값",
    "padding.prediction": "예측",
    "state.carry": "상태 이어 주기 (stateful=True)",
    "state.stack": "return_sequences=True: 1층의 모든 스텝이 2층에 들어갑니다",
    "state.carryHeading": "stateful: 뒷부분을 이어받은 상태에서, 또는 0에서",
    "state.inputs": "입력 (스케일됨): 1층이 읽는 값",
    "state.layer": "{n}층: 모든 스텝의 h",
    "state.layerFeeds": "{n}층: 모든 스텝의 h = {m}층의 입력",
    "state.final": "{n}층의 마지막 h: Dense 층의 입력",
    "state.layer.named": "{name}: 모든 스텝의 h",
    "state.layerFeeds.named": "{name}: 모든 스텝의 h = {next}의 입력",
    "state.final.named": "{name}의 마지막 h: Dense 층의 입력",
    "state.head": "Dense 층",
    "state.whole": "입력 전체를 한 번에",
    "state.first": "앞부분 (0에서 시작)",
    "state.carried": "뒷부분, 상태 이어받음",
    "state.fresh": "뒷부분, 0에서 시작",
    "state.split": "뒷부분이 여기서 시작",
    "state.second": "뒷부분: h ({mode})",
    "state.mode.carried": "상태 이어받음",
    "state.mode.fresh": "0에서 시작",
    "state.secondPrediction": "뒷부분의 예측",
    "state.equal": "입력 전체를 한 번에 읽은 결과와 같습니다",
    "state.differs": "입력 전체를 한 번에 읽은 결과와 {d} 다릅니다",
    "axis.feature": "특성",
    "axis.step": "스텝",
    "na.padding_needs_text": "패딩과 마스킹은 문장에 대한 것입니다. 텍스트 모델(sentiment-…)을 고르세요.",
    "na.state_needs_numbers": "이 화면은 시계열 모델용입니다. weather-gru 또는 weather-lstm을 고르세요.",
    "na.state_needs_two_steps": "입력을 둘로 나누려면 스텝이 2개 이상 필요합니다.",
    "na.state_bad_split": "나눈 두 부분에 스텝이 하나 이상씩 있어야 합니다.",
    "na.saturation_needs_gates": "SimpleRNN에는 포화될 게이트가 없습니다. LSTM이나 GRU 모델을 고르세요.",
  },
};

/** The text for `key` in the page's language; the page's own strings for keys not here. */
export function t(key, params = {}) {
  const text = TEXT[lang()]?.[key] ?? TEXT.en[key];
  if (text === undefined) return pageText(key, params);
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Whether this module has the key (else it is the page's). */
export function has(key) {
  return key in TEXT.en;
}

/** Fill [data-teaching-i18n] (text) and [data-teaching-i18n-html] (this module's own markup). */
export function applyTeachingText(root = document) {
  applyStatic(root);
  root.querySelectorAll("[data-teaching-i18n]").forEach((element) => {
    element.textContent = t(element.dataset.teachingI18n);
  });
  root.querySelectorAll("[data-teaching-i18n-html]").forEach((element) => {
    element.innerHTML = t(element.dataset.teachingI18nHtml); // our own static strings only
  });
}
