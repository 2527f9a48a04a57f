// "Use your own model": upload a Keras or PyTorch file (picked or dropped) with its tokenizer and
// settings, then select the new model. Labels in English and Korean, switched with the page's
// language (i18n.js); this module keeps its own strings, under data-upload-i18n attributes.
//
// After a successful upload it dispatches a cancelable CustomEvent "gatescope:model-added" on
// document (detail: the model's summary, as GET /api/v1/models lists it) and adds the model to
// the model select (data-testid="model-select") and selects it. A listener that takes the model
// into the page's own state calls event.preventDefault(); without one, the page reloads on
// ?model=<id> so the explorer loads and selects it itself.

import { getToken } from "./api.js";
import { lang, onLangChange, t as pageText } from "./i18n.js";
import { modelLabel } from "./models.js";

const UPLOAD_URL = "/api/v1/models";
const FLASH_KEY = "gatescope.upload.added";
const FORM_FIELDS = ["file", "tokenizer", "config", "id", "title", "maxlen", "padding", "features"];

const TEXT = {
  en: {
    "upload.heading": "Use your own model",
    "upload.drop": "Drop a Keras (.keras, .h5) or PyTorch (.safetensors, .pt) file here, or",
    "upload.pick": "choose a file",
    "upload.none": "No file chosen",
    "upload.tokenizer": "Tokenizer JSON (tokenizer.to_json(), text models)",
    "upload.config": "config.json (PyTorch weights; names and min-max for Keras)",
    "upload.id": "Id (optional)",
    "upload.id.placeholder": "from the file name",
    "upload.title": "Title (optional)",
    "upload.maxlen": "maxlen (pad_sequences length)",
    "upload.padding": "Padding",
    "upload.padding.default": "pre (Keras's default)",
    "upload.features": "Feature names (numeric models, comma-separated)",
    "upload.features.placeholder": "open, high, low, close",
    "upload.submit": "Upload and select",
    "upload.sending": "Uploading and checking the model…",
    "upload.done": "Model “{title}” ({id}) was added and selected.",
    "upload.failed": "The model was not added:",
    "upload.need.file": "Choose a model file first.",
    "upload.token": "This server needs an access token: enter it in the box above, then upload again.",
    "upload.offline": "The server did not answer. Is it running?",
  },
  ko: {
    "upload.heading": "내 모델 사용하기",
    "upload.drop": "Keras(.keras, .h5) 또는 PyTorch(.safetensors, .pt) 파일을 여기에 끌어다 놓거나",
    "upload.pick": "파일을 선택하세요",
    "upload.none": "선택한 파일 없음",
    "upload.tokenizer": "토크나이저 JSON (tokenizer.to_json(), 텍스트 모델)",
    "upload.config": "config.json (PyTorch 가중치용; Keras는 특성 이름·최소-최대 값)",
    "upload.id": "아이디 (선택)",
    "upload.id.placeholder": "파일 이름에서 만듦",
    "upload.title": "제목 (선택)",
    "upload.maxlen": "maxlen (pad_sequences 길이)",
    "upload.padding": "패딩",
    "upload.padding.default": "pre (Keras 기본값)",
    "upload.features": "특성 이름 (수치 모델, 쉼표로 구분)",
    "upload.features.placeholder": "시가, 고가, 저가, 종가",
    "upload.submit": "업로드하고 선택",
    "upload.sending": "모델을 업로드하고 확인하는 중…",
    "upload.done": "모델 “{title}”({id})을 추가하고 선택했습니다.",
    "upload.failed": "모델을 추가하지 못했습니다:",
    "upload.need.file": "먼저 모델 파일을 선택하세요.",
    "upload.token": "이 서버는 접근 토큰이 필요합니다. 위 칸에 토큰을 입력한 뒤 다시 업로드하세요.",
    "upload.offline": "서버가 응답하지 않습니다. 서버가 켜져 있나요?",
  },
};

function t(key, params = {}) {
  const text = TEXT[lang()]?.[key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (match, name) => (name in params ? String(params[name]) : match));
}

const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

export class UploadForm {
  constructor(panel) {
    this.panel = panel;
    this.form = panel.querySelector("form");
    this.drop = byTestId("upload-drop");
    this.file = byTestId("upload-file");
    this.chosen = byTestId("upload-chosen");
    this.submit = byTestId("upload-submit");
    this.status = byTestId("upload-status");
    this.busy = false;
    this.last = null; // the status shown, to re-render when the language changes
  }

  bind() {
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.upload();
    });
    this.file.addEventListener("change", () => this.showChosen());
    for (const name of ["dragenter", "dragover"]) {
      this.drop.addEventListener(name, (event) => {
        event.preventDefault();
        this.drop.classList.add("dragging");
      });
    }
    this.drop.addEventListener("dragleave", () => this.drop.classList.remove("dragging"));
    this.drop.addEventListener("drop", (event) => this.onDrop(event));
    this.form.addEventListener("input", (event) => event.target.removeAttribute("aria-invalid"));
    onLangChange(() => {
      this.applyText();
      if (this.last) this.showMessage(...this.last);
    });
    this.applyText();
    this.showFlash();
  }

  /** Fill every label this module owns in the page's current language. */
  applyText() {
    this.panel.querySelectorAll("[data-upload-i18n]").forEach((element) => {
      if (element === this.chosen && this.file.files.length) return;
      element.textContent = t(element.dataset.uploadI18n);
    });
    this.panel.querySelectorAll("[data-upload-i18n-attr]").forEach((element) => {
      for (const pair of element.dataset.uploadI18nAttr.split(",")) {
        const [attr, key] = pair.split(":");
        element.setAttribute(attr.trim(), t(key.trim()));
      }
    });
  }

  onDrop(event) {
    event.preventDefault();
    this.drop.classList.remove("dragging");
    const files = event.dataTransfer?.files;
    if (!files?.length) return;
    this.file.files = files;
    this.showChosen();
  }

  showChosen() {
    const file = this.file.files[0];
    this.chosen.textContent = file ? `${file.name} · ${formatSize(file.size)}` : t("upload.none");
    this.file.removeAttribute("aria-invalid");
  }

  /** The form as multipart data, leaving out empty fields so the server uses its defaults. */
  formData() {
    const data = new FormData();
    for (const name of FORM_FIELDS) {
      const field = this.form.elements.namedItem(name);
      if (field.type === "file") {
        if (field.files.length) data.append(name, field.files[0]);
      } else if (field.value.trim() !== "") {
        data.append(name, field.value.trim());
      }
    }
    return data;
  }

  async upload() {
    if (this.busy) return;
    if (!this.file.files.length) {
      this.file.setAttribute("aria-invalid", "true");
      this.showMessage("upload.need.file", {}, [], true);
      return;
    }
    this.setBusy(true);
    this.showMessage("upload.sending", {}, [], false);
    try {
      const response = await send(this.formData());
      const payload = await response.json().catch(() => null);
      if (!response.ok) {
        this.showFailure(response.status, payload);
        return;
      }
      this.showMessage("upload.done", { title: payload.title, id: payload.id }, [], false);
      announceModel(payload);
    } catch (error) {
      this.showMessage("upload.offline", {}, [String(error?.message || error)], true);
    } finally {
      this.setBusy(false);
    }
  }

  showFailure(status, payload) {
    const problems = Array.isArray(payload?.detail) ? payload.detail : [];
    for (const problem of problems) {
      const field = this.form.elements.namedItem(problem.field);
      if (field instanceof Element) field.setAttribute("aria-invalid", "true");
    }
    const lines = problems.map((problem) => problem.msg ?? String(problem));
    if (!lines.length) lines.push(payload?.message ?? `HTTP ${status}`);
    const headline = status === 401 ? "upload.token" : "upload.failed";
    this.showMessage(headline, {}, lines, true);
  }

  /** The status line (a TEXT key and its params, kept to re-render in another language). */
  showMessage(key, params, lines, failed) {
    this.last = [key, params, lines, failed];
    const headline = t(key, params);
    this.status.classList.toggle("failed", failed);
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    const title = document.createElement("p");
    title.textContent = headline;
    title.style.margin = "0";
    this.status.replaceChildren(title, ...(lines.length ? [list] : []));
  }

  setBusy(busy) {
    this.busy = busy;
    this.submit.disabled = busy;
    this.submit.setAttribute("aria-busy", String(busy));
  }

  /** After the reload that selected an uploaded model: say so once. */
  showFlash() {
    let flash = null;
    try {
      flash = JSON.parse(sessionStorage.getItem(FLASH_KEY) || "null");
      sessionStorage.removeItem(FLASH_KEY);
    } catch {
      flash = null;
    }
    if (!flash?.id) return;
    this.panel.open = true;
    this.showMessage("upload.done", { title: flash.title, id: flash.id }, [], false);
  }
}

function send(data) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(UPLOAD_URL, { method: "POST", body: data, headers, credentials: "same-origin" });
}

function formatSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** Tell the page about the new model, put it in the model select and select it. */
export function announceModel(summary) {
  const event = new CustomEvent("gatescope:model-added", { detail: summary, cancelable: true });
  const handled = !document.dispatchEvent(event);
  addToSelect(byTestId("model-select"), summary);
  if (handled) return;
  try {
    sessionStorage.setItem(FLASH_KEY, JSON.stringify({ id: summary.id, title: summary.title }));
  } catch {
    // no flash message after the reload; the model is still selected
  }
  const url = new URL(window.location.href);
  url.search = new URLSearchParams({ model: summary.id }).toString();
  window.location.assign(url.toString());
}

/** Add (or update) the model's option in the "Uploaded" group and select it. */
export function addToSelect(select, summary) {
  if (!select) return;
  const label = pageText("group.uploaded");
  let group = [...select.querySelectorAll("optgroup")].find((item) => item.label === label);
  if (!group) {
    group = document.createElement("optgroup");
    group.label = label;
    select.append(group);
  }
  let option = [...select.options].find((item) => item.value === summary.id);
  if (!option) {
    option = document.createElement("option");
    option.value = summary.id;
    group.append(option);
  }
  option.textContent = modelLabel(summary);
  select.disabled = false;
  select.value = summary.id;
}

const panel = byTestId("upload-panel");
if (panel) new UploadForm(panel).bind();
