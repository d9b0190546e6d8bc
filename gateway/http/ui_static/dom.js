// The dashboard's two tools: `el` builds elements (every value becomes text, never markup) and
// `api` calls the gateway's JSON API with the session cookie and the page's CSRF token.

const CSRF = document.querySelector('meta[name="csrf-token"]').content;
const SAFE = new Set(["GET", "HEAD"]);

export class ApiError extends Error {
  constructor(status, body) {
    super(body && body.error ? body.error : `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

// el("a", {href: url, class: "x", onclick: fn}, "text", child...): strings become text nodes.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else if (name === "text") node.textContent = String(value);
    else if (name === "style") node.style.cssText = String(value); // CSSOM: allowed by the CSP
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function query(path, params = {}) {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== "") search.set(name, value);
  }
  const text = search.toString();
  return text ? `${path}?${text}` : path;
}

export function seg(text) {
  return encodeURIComponent(text);
}

export async function api(method, url, { body, type, raw } = {}) {
  const headers = {};
  if (!SAFE.has(method)) headers["X-CSRF-Token"] = CSRF;
  if (type) headers["Content-Type"] = type;
  const answer = await fetch(url, { method, headers, body, credentials: "same-origin" });
  if (answer.status === 401) {
    location.reload(); // the session ended: the login form
    throw new ApiError(401, { error: "logged out" });
  }
  if (raw) {
    if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => null));
    return answer;
  }
  const data = answer.status === 204 ? null : await answer.json().catch(() => null);
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

// Upload with progress (fetch has no upload progress): resolves with the JSON answer.
export function upload(url, file, onProgress) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open("PUT", url);
    request.setRequestHeader("X-CSRF-Token", CSRF);
    request.setRequestHeader("Content-Type", file.type || "application/octet-stream");
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    });
    request.addEventListener("load", () => {
      let data = null;
      try { data = JSON.parse(request.responseText); } catch { data = null; }
      if (request.status >= 200 && request.status < 300) resolve(data);
      else reject(new ApiError(request.status, data));
    });
    request.addEventListener("error", () => reject(new ApiError(0, { error: "network error" })));
    request.send(file);
  });
}

export function flash(message) {
  const box = document.getElementById("flash");
  box.textContent = message;
  box.hidden = !message;
}

export function when(seconds) {
  return seconds ? new Date(seconds * 1000).toLocaleTimeString() : "";
}

export function secs(value) {
  return value === null || value === undefined ? "" : `${value.toFixed(2)} s`;
}

export function statusBadge(status) {
  return el("span", { class: `status status-${status}` }, status);
}

// The bucket and the key prefix of a service's `input.path` or `output.path` ("bucket/prefix").
export function splitPath(path) {
  const [bucket, ...rest] = path.split("/");
  const prefix = rest.join("/");
  return { bucket, prefix: prefix && !prefix.endsWith("/") ? `${prefix}/` : prefix };
}

export const STATUSES = ["queued", "running", "succeeded", "dead"];
