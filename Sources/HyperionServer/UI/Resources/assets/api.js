// One token manager for every request of the UI.
// - The access token (15 minutes by default) lives in sessionStorage: this tab only, sent only in the
//   Authorization header.
// - The refresh token never reaches a script: the server keeps it in an HttpOnly, SameSite=Strict cookie that only
//   /api/v1/auth/session receives, and that endpoint also wants a custom header (no cross-site form can send one).
//   A new tab or a reload gets its access token from that cookie, so signing in survives both.
// - Refreshing is single-flight: concurrent callers share one refresh, and tabs take turns (Web Locks), because
//   the server rotates the refresh token and treats a second use of an old one as theft.
// - A request refused with 401 is refreshed and sent once more; the sign-in page comes only when the refresh
//   itself is refused, and it brings the user back to where they were.
const KEY = "hyperion.access";
const SESSION_HEADER = { "X-Hyperion-Session": "1" };
let refreshing = null;

function stored() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}

/** The current access token, or null. */
export function accessToken() { return stored()?.token || null; }

function save(body) {
  sessionStorage.setItem(KEY, JSON.stringify({ token: body.access_token, expires: Date.now() + body.expires_in * 1000 }));
}

export function clearAccess() { sessionStorage.removeItem(KEY); }

export class APIError extends Error {
  constructor(status, body) {
    super((body && (body.detail || (body.error && body.error.message))) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

/** Exchanges the session cookie for a new access token; true when it worked. Shared by concurrent callers. */
export function refreshAccess() {
  if (!refreshing) {
    const run = async () => {
      try {
        const r = await fetch("/api/v1/auth/session", { method: "POST", headers: SESSION_HEADER, credentials: "same-origin" });
        if (!r.ok) { clearAccess(); return false; }
        save(await r.json());
        return true;
      } catch { return false; }
    };
    // Web Locks exist in secure contexts (HTTPS, localhost); elsewhere tabs refresh on their own.
    refreshing = (navigator.locks ? navigator.locks.request("hyperion-session", run) : run()).finally(() => { refreshing = null; });
  }
  return refreshing;
}

/** Sends the user to sign in, to come back here afterwards. */
export function toSignIn() {
  const here = location.pathname + location.search;
  location.href = `/ui/login?next=${encodeURIComponent(here)}`;
  return new APIError(401, { detail: "signed out" });
}

/** A token that will still be valid for a moment: refreshed first when missing or about to expire. */
async function freshToken() {
  const t = stored();
  if (t && t.expires - Date.now() > 5000) return t.token;
  if (await refreshAccess()) return accessToken();
  throw toSignIn();
}

/** `fetch` with the access token: refreshed before it expires, and the request sent again once after a 401. */
export async function authFetch(path, init = {}) {
  const send = (token) => fetch(path, { ...init, headers: { ...(init.headers || {}), Authorization: `Bearer ${token}` } });
  const token = await freshToken();
  let r = await send(token);
  if (r.status === 401) {
    // Refreshed meanwhile by a concurrent call (its refresh finished before this answer came): use that token.
    if (!(accessToken() !== token && accessToken()) && !(await refreshAccess())) throw toSignIn();
    r = await send(accessToken());
    if (r.status === 401) throw toSignIn();
  }
  return r;
}

/** Calls the JSON API; errors come back as APIError with the envelope's detail. */
export async function api(path, { method = "GET", body, raw = false, signal, headers = {} } = {}) {
  const h = { ...headers };
  if (body !== undefined && !(body instanceof FormData)) h["Content-Type"] = "application/json";
  const r = await authFetch(path, { method, headers: h, signal, body: body === undefined || body instanceof FormData ? body : JSON.stringify(body) });
  if (raw) return r;
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text.slice(0, 200) }; }
  if (!r.ok) throw new APIError(r.status, data);
  return data;
}

/** Posts a form with XMLHttpRequest (the only browser API that reports upload progress), with the same token
 * handling as `authFetch`: the form (the user's chosen files) is sent again after a refresh, never dropped. */
export async function upload(path, form, onProgress) {
  const send = (token) => new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) onProgress(e.loaded / e.total); };
    xhr.onload = () => {
      let body = null;
      try { body = JSON.parse(xhr.responseText); } catch { body = { detail: `HTTP ${xhr.status}` }; }
      resolve({ status: xhr.status, body });
    };
    xhr.onerror = () => resolve({ status: 0, body: { detail: "network error: the upload did not reach the server" } });
    xhr.send(form);
  });
  const token = await freshToken();
  let result = await send(token);
  if (result.status === 401) {
    if (!(accessToken() !== token && accessToken()) && !(await refreshAccess())) throw toSignIn();
    onProgress(0);
    result = await send(accessToken());
  }
  return result;
}

/** Signs in with email and password; the refresh token goes into the session cookie. */
export async function signIn(email, password) {
  const r = await fetch("/api/v1/auth/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ email, password, cookie: true }),
  });
  const body = await r.json().catch(() => ({}));
  if (!r.ok) throw new APIError(r.status, body);
  save(body);
}

/** Ends the session (its cookie included) and goes to the sign-in page. */
export async function signOut() {
  try { await fetch("/api/v1/auth/session", { method: "DELETE", headers: SESSION_HEADER, credentials: "same-origin" }); } catch { /* signed out locally anyway */ }
  clearAccess();
  location.href = "/ui/login";
}

/** Requires a signed-in user on app pages; fills the header. */
export async function requireUser() {
  let me;
  try { me = await api("/api/v1/auth/me"); } catch (error) { if (error.status === 401) return null; throw error; }
  const who = document.getElementById("whoami");
  if (who) who.textContent = me.email;
  const admin = document.getElementById("nav-admin");
  if (admin) admin.hidden = me.role !== "admin";
  document.getElementById("signout")?.addEventListener("click", signOut);
  return me;
}

/** Reads an SSE body, calling `on(event, data)` for each event. */
export async function readEvents(response, on) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, { stream: true });
    let cut;
    while ((cut = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, cut);
      buffer = buffer.slice(cut + 2);
      let event = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) on(event, JSON.parse(data));
    }
  }
}

/** A text node, so nothing from the server is ever parsed as HTML. */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export function showError(id, error) {
  const p = document.getElementById(id);
  if (!p) return;
  p.textContent = error ? (error.message || String(error)) : "";
  p.hidden = !error;
}

/** A date as the reader's locale shows it. */
export function when(iso) { return iso ? new Date(iso).toLocaleString() : "never"; }
