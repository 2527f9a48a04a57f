// The JSON API client: same origin only, bearer token from sessionStorage when the server wants one.

const BASE = "/api/v1";
const TOKEN_KEY = "gatescope.token";
// A request with no answer after this long is given up (a trace of the longest input takes seconds).
export const TIMEOUT_MS = 120_000;

export class ApiError extends Error {
  /** status 0 means the request never got an answer (server down, offline). */
  constructor(status, detail, { timeout = false } = {}) {
    super(typeof detail === "string" ? detail : `HTTP ${status}`);
    this.status = status;
    this.detail = detail;
    this.timeout = timeout; // status 0 because the server took longer than TIMEOUT_MS
  }

  /** FastAPI's detail as a list of {field, path, message}; a string detail has no field. */
  get problems() {
    if (Array.isArray(this.detail)) {
      return this.detail.map((item) => {
        const loc = item.loc || [];
        const path = ["body", "path", "query"].includes(loc[0]) ? loc.slice(1) : loc;
        const problem = { field: item.field ?? fieldName(path), path, message: item.msg ?? String(item) };
        // a stable code (and its params) lets the page say it in its own language
        if (item.code) Object.assign(problem, { code: item.code, params: item.params || {} });
        return problem;
      });
    }
    const message = typeof this.detail === "string" ? this.detail : this.message;
    return [{ field: null, path: [], message }];
  }
}

/** ["input", 3, 1] -> "input[3][1]". */
export function fieldName(path) {
  return path.reduce(
    (name, part) => (typeof part === "number" ? `${name}[${part}]` : name ? `${name}.${part}` : part),
    "",
  );
}

export function getToken() {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token) {
  try {
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage disabled: the token lasts as long as this call chain
  }
}

async function request(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let response;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), TIMEOUT_MS);
  try {
    response = await fetch(BASE + path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: "same-origin",
      signal: controller.signal,
    });
  } catch (error) {
    throw new ApiError(0, error.message, { timeout: controller.signal.aborted });
  } finally {
    clearTimeout(timer);
  }
  const payload = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, payload?.detail ?? response.statusText);
  return payload;
}

export const api = {
  models: () => request("GET", "/models"),
  model: (id) => request("GET", `/models/${encodeURIComponent(id)}`),
  trace: (id, input) => request("POST", `/models/${encodeURIComponent(id)}/trace`, { input }),
  /** GET any path under /api/v1 (e.g. /knobs). */
  get: (path) => request("GET", path),
  /** A language model writes after `prompt`: {text, steps, trace}. */
  generate: (id, body) => request("POST", `/models/${encodeURIComponent(id)}/generate`, body),
  /** POST a JSON body to any path under /api/v1 (e.g. a teaching series). */
  post: (path, body) => request("POST", path, body),
};
