// Tokens live in sessionStorage (this tab only, gone when it closes) and travel only in the
// Authorization header: no cookies, so no cross-site request can act for the user.
const KEY = "hyperion.tokens";

export function tokens() {
  try { return JSON.parse(sessionStorage.getItem(KEY)) || null; } catch { return null; }
}

export function saveTokens(t) { sessionStorage.setItem(KEY, JSON.stringify(t)); }
export function clearTokens() { sessionStorage.removeItem(KEY); }

export class APIError extends Error {
  constructor(status, body) {
    super((body && (body.detail || (body.error && body.error.message))) || `HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function refresh() {
  const t = tokens();
  if (!t || !t.refresh_token) return false;
  const r = await fetch("/api/v1/auth/refresh", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ refresh_token: t.refresh_token }),
  });
  if (!r.ok) { clearTokens(); return false; }
  saveTokens(await r.json());
  return true;
}

/** Calls the API with the access token; refreshes it once on 401; sends to sign-in when that fails. */
export async function api(path, { method = "GET", body, raw = false, signal, headers = {} } = {}, retried = false) {
  const t = tokens();
  const h = { ...headers };
  if (t) h.Authorization = `Bearer ${t.access_token}`;
  if (body !== undefined && !(body instanceof FormData)) h["Content-Type"] = "application/json";
  const r = await fetch(path, { method, headers: h, signal, body: body === undefined || body instanceof FormData ? body : JSON.stringify(body) });
  if (r.status === 401 && !retried && await refresh()) return api(path, { method, body, raw, signal, headers }, true);
  if (r.status === 401) { location.href = "/ui/login"; throw new APIError(401, null); }
  if (raw) return r;
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new APIError(r.status, data);
  return data;
}

/** Requires a signed-in user on app pages; fills the header. */
export async function requireUser() {
  if (!tokens()) { location.href = "/ui/login"; return null; }
  const me = await api("/api/v1/auth/me");
  const who = document.getElementById("whoami");
  if (who) who.textContent = me.email;
  const admin = document.getElementById("nav-admin");
  if (admin) admin.hidden = me.role !== "admin";
  const out = document.getElementById("signout");
  if (out) out.addEventListener("click", async () => {
    const t = tokens();
    try { await api("/api/v1/auth/logout", { method: "POST", body: { refresh_token: t && t.refresh_token } }); } catch { /* signed out anyway */ }
    clearTokens();
    location.href = "/ui/login";
  });
  return me;
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
