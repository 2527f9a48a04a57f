// The what-if page's words in English and Korean (issue 13); keys not here are the teaching
// views' (text.js) or the page's (i18n.js). Elements with data-whatif-i18n get their text here.

import { lang } from "../i18n.js";
import { t as teachingText } from "./text.js";

const TEXT = {
  en: {
    "knobs.title": "Teaching knobs",
    "knobs.none": "This model has no {cell} layer.",
    "list.title": "Interventions",
    "list.empty": "No interventions: the patched run is the clean run.",
    "list.remove": "Remove",
    "list.item": "{site} · units {units} · steps {steps} · {op}",
    "add.title": "Add an intervention",
    "add.site": "Where",
    "add.units": "Units",
    "add.steps": "Steps",
    "add.op": "Operation",
    "add.value": "Value",
    "add.source": "From the input",
    "add.button": "Add",
    "add.hint": "Units and steps count from 1: all, 3, 1,4,7 or 2-5.",
    "add.invalid": "Check the units and steps (all, 3, 1,4,7 or 2-5), the value, and for patch the input to take values from.",
    reset: "Clear all",
    "op.set": "set to",
    "op.scale": "scale by",
    "op.add": "add",
    "op.mean": "its mean over this input",
    "op.zero": "zero",
    "op.patch": "patch from another input",
    "prediction.title": "The prediction before and after",
    "prediction.before": "Clean",
    "prediction.after": "With the interventions",
    "prediction.score": "Score ({scored})",
    "prediction.changed": "the predicted label changed",
    "prediction.same": "the predicted label is the same",
    "prediction.class": "{label}",
    "attribution.title": "Attribution: which tokens drove the prediction",
    "attribution.method": "Method",
    "attribution.ig": "integrated gradients",
    "attribution.all": "all methods side by side",
    "heatmaps.title": "Clean, patched and their difference",
    "heatmaps.show": "Show",
    "heatmaps.clean": "Clean run",
    "heatmaps.patched": "With the interventions",
    "heatmaps.diff": "Difference: patched − clean",
    "patching.title": "Activation patching",
    "patching.hint":
      "Type a corrupted input (the same one with a word swapped): every (step, unit) of the site is patched from the clean run into the corrupted one. 1: that place alone restores the clean prediction; 0: it changes nothing.",
    "patching.corrupted": "Corrupted input",
    "patching.run": "Run the sweep",
    "patching.running": "Patching {runs} runs…",
    "patching.done": "{runs} patched runs · score ({scored}): clean {clean}, corrupted {corrupted}",
    "patching.empty": "Type the corrupted input first.",
    "patching.axis": "unit",
  },
  ko: {
    "knobs.title": "수업용 손잡이",
    "knobs.none": "이 모델에는 {cell} 층이 없습니다.",
    "list.title": "개입 목록",
    "list.empty": "개입이 없습니다: 개입 후 실행은 원래 실행과 같습니다.",
    "list.remove": "삭제",
    "list.item": "{site} · 유닛 {units} · 스텝 {steps} · {op}",
    "add.title": "개입 추가",
    "add.site": "위치",
    "add.units": "유닛",
    "add.steps": "스텝",
    "add.op": "연산",
    "add.value": "값",
    "add.source": "값을 가져올 입력",
    "add.button": "추가",
    "add.hint": "유닛과 스텝은 1부터 셉니다: all, 3, 1,4,7 또는 2-5.",
    "add.invalid": "유닛과 스텝(all, 3, 1,4,7 또는 2-5), 값, 그리고 패치라면 값을 가져올 입력을 확인하세요.",
    reset: "모두 지우기",
    "op.set": "값으로 설정",
    "op.scale": "배율",
    "op.add": "더하기",
    "op.mean": "이 입력에서의 평균",
    "op.zero": "0으로",
    "op.patch": "다른 입력에서 패치",
    "prediction.title": "개입 전후의 예측",
    "prediction.before": "원래",
    "prediction.after": "개입 후",
    "prediction.score": "점수 ({scored})",
    "prediction.changed": "예측한 레이블이 바뀌었습니다",
    "prediction.same": "예측한 레이블은 그대로입니다",
    "prediction.class": "{label}",
    "attribution.title": "기여도: 어떤 토큰이 예측을 이끌었나",
    "attribution.method": "방법",
    "attribution.ig": "적분 그래디언트",
    "attribution.all": "모든 방법 나란히",
    "heatmaps.title": "원래, 개입 후, 그리고 그 차이",
    "heatmaps.show": "보기",
    "heatmaps.clean": "원래 실행",
    "heatmaps.patched": "개입 후",
    "heatmaps.diff": "차이: 개입 후 − 원래",
    "patching.title": "활성값 패칭",
    "patching.hint":
      "오염된 입력(같은 문장에서 단어 하나를 바꾼 것)을 입력하세요. 위치의 모든 (스텝, 유닛)을 하나씩 원래 실행의 값으로 바꿔 오염된 입력을 실행합니다. 1: 그곳 하나로 원래 예측이 돌아옴, 0: 아무 변화 없음.",
    "patching.corrupted": "오염된 입력",
    "patching.run": "패칭 실행",
    "patching.running": "패치한 실행 {runs}개 계산 중…",
    "patching.done": "패치한 실행 {runs}개 · 점수({scored}): 원래 {clean}, 오염 {corrupted}",
    "patching.empty": "먼저 오염된 입력을 입력하세요.",
    "patching.axis": "유닛",
  },
};

/** The text for `key` in the page's language; the teaching views' strings for keys not here. */
export function t(key, params = {}) {
  const text = TEXT[lang()]?.[key] ?? TEXT.en[key];
  if (text === undefined) return teachingText(key, params);
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

/** Fill every [data-whatif-i18n] under root. */
export function applyWhatifText(root = document) {
  root.querySelectorAll("[data-whatif-i18n]").forEach((node) => {
    node.textContent = t(node.dataset.whatifI18n);
  });
}
