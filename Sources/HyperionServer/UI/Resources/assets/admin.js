import { APIError, api, authFetch, el, readEvents, requireUser, showError, when } from "./api.js";

let emails = new Map();

async function status() {
  const ready = await (await fetch("/ready")).json();
  const providers = await api("/api/v1/llm/models");
  const rows = Object.entries(ready.checks || {}).map(([name, state]) => el("li", {}, `${name}: ${state}`));
  rows.push(el("li", {}, `answers: ${providers.default_provider === "extractive" ? "extractive (no LLM by default)" : `default LLM ${providers.default_provider}`}`));
  for (const p of providers.items) rows.push(el("li", {}, `LLM ${p.name} (${p.kind}): ${p.reachable ? `reachable, ${p.models.length} models` : `unreachable: ${p.error}`}`));
  // Index sizes: every knowledge base (an administrator sees all) with its documents and indexed chunks.
  const models = await api("/api/v1/models?limit=100");
  for (const m of models.items) {
    const detail = await api(`/api/v1/models/${m.id}`);
    rows.push(el("li", { class: "index-size" }, `index ${m.name}: ${detail.document_count} documents, ${detail.chunk_count} chunks (generation ${detail.generation}, ${detail.status.replace("_", " ")})`));
  }
  document.getElementById("status").replaceChildren(...rows);
}

async function users() {
  const page = await api("/api/v1/users?limit=100");
  emails = new Map(page.items.map((u) => [u.id, u.email]));
  document.querySelector("#users tbody").replaceChildren(...page.items.map((u) => {
    const role = el("select", { "aria-label": `Role of ${u.email}`, onchange: (e) => change(u, { role: e.target.value }) },
      ...["user", "admin"].map((r) => el("option", { value: r, selected: u.role === r }, r)));
    const disabled = el("input", { type: "checkbox", "aria-label": `${u.email} disabled`, checked: u.is_disabled,
      onchange: (e) => change(u, { is_disabled: e.target.checked }) });
    const reset = el("button", { type: "button", class: "link", "aria-label": `Reset the password of ${u.email}`, onclick: () => resetPassword(u) }, "Reset password");
    return el("tr", { "data-user-id": u.id }, el("td", {}, u.email), el("td", {}, role), el("td", {}, disabled), el("td", {}, when(u.created_at)), el("td", {}, reset));
  }));
}

async function change(user, patch) {
  showError("users-error", null);
  try { await api(`/api/v1/users/${user.id}`, { method: "PATCH", body: patch }); } catch (error) { showError("users-error", error); }
  await Promise.all([users(), audit()]);
}

async function resetPassword(user) {
  const password = prompt(`New password for ${user.email} (8 to 72 characters). Every session of theirs is signed out.`);
  if (!password) return;
  showError("users-error", null);
  const state = document.getElementById("users-status");
  try {
    await api(`/api/v1/users/${user.id}/password`, { method: "POST", body: { new_password: password } });
    state.textContent = `The password of ${user.email} was reset.`;
  } catch (error) {
    state.textContent = "";
    showError("users-error", error);
  }
  await audit();
}

document.getElementById("create-user-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("users-error", null);
  const email = document.getElementById("new-user-email");
  const password = document.getElementById("new-user-password");
  const role = document.getElementById("new-user-role");
  try {
    await api("/api/v1/users", { method: "POST", body: { email: email.value.trim(), password: password.value, role: role.value } });
    document.getElementById("users-status").textContent = `${email.value.trim()} can now sign in.`;
    email.value = "";
    password.value = "";
  } catch (error) {
    showError("users-error", error);
  }
  await Promise.all([users(), audit()]);
});

/** A user by email when known (deleted users show their id's start). */
const who = (id) => (id ? emails.get(id) || `user ${id.slice(0, 8)}` : "");

async function audit() {
  const page = await api("/api/v1/audit?limit=50");
  document.querySelector("#audit tbody").replaceChildren(...page.items.map((e) => el("tr", {},
    el("td", {}, when(e.created_at)), el("td", {}, e.type.replaceAll("_", " ")),
    // The actor is who did it: an admin acting on someone, else the user themself (or nobody known, for a failed sign-in).
    el("td", { class: "actor" }, e.actor_id ? who(e.actor_id) : e.user_id ? who(e.user_id) : ""),
    el("td", { class: "target" }, e.email || who(e.user_id)),
    el("td", { class: "detail" }, e.detail || ""), el("td", {}, e.client_address || ""))));
}

const milliseconds = (latency) => `${latency.p50_ms.toFixed(1)} / ${latency.p95_ms.toFixed(1)} ms`;

/** GET /api/v1/stats: this instance's latency per route, retrieval mode and LLM; recent ingestion; the queue. */
async function performance() {
  const s = await api("/api/v1/stats");
  const rows = [el("li", {}, `version ${s.version}, up ${Math.round(s.uptime_seconds / 60)} minutes`)];
  const oldest = s.queue.oldest_queued_age_seconds;
  rows.push(el("li", { class: "queue" }, `jobs: ${s.queue.queued} waiting, ${s.queue.running} running${oldest ? `, the oldest waiting for ${Math.round(oldest)} s` : ""}`));
  rows.push(el("li", { class: "ingestion" }, `ingested here: ${s.ingestion.documents_last_5_minutes} documents in the last 5 minutes, ${s.ingestion.documents_last_hour} in the hour`));
  for (const r of s.retrieval) rows.push(el("li", {}, `retrieval (${r.mode}): p50 / p95 ${milliseconds(r.latency)} over ${r.latency.count}`));
  for (const p of s.llm) {
    rows.push(el("li", { class: "llm-latency" }, `LLM ${p.provider}: p50 / p95 ${milliseconds(p.latency)}${p.first_token ? `, first token ${milliseconds(p.first_token)}` : ""} over ${p.latency.count} calls`));
  }
  document.getElementById("performance").replaceChildren(...rows);
  document.querySelector("#routes tbody").replaceChildren(...s.routes.slice(0, 12).map((r) => el("tr", {},
    el("td", {}, r.method), el("td", {}, r.route), el("td", {}, String(r.latency.count)),
    el("td", {}, r.latency.p50_ms.toFixed(1)), el("td", {}, r.latency.p95_ms.toFixed(1)))));
}

/** One log line as a table row (metadata as key=value). */
function logRow(line) {
  const fields = Object.entries(line.metadata).map(([k, v]) => `${k}=${v}`);
  // The trace id leads to the request's or job's trace in Phoenix (or any OTLP backend).
  if (line.trace_id) fields.unshift(`trace_id=${line.trace_id}`);
  const detail = fields.join(" ");
  return el("tr", { class: `level-${line.level}` }, el("td", {}, when(line.timestamp)), el("td", {}, line.level),
    el("td", {}, line.message), el("td", { class: "request" }, line.request_id || ""), el("td", { class: "detail" }, detail));
}

async function logs() {
  showError("logs-error", null);
  const level = document.getElementById("log-level").value;
  try {
    const page = await api(`/api/v1/logs?limit=100&level=${level}`);
    document.querySelector("#logs tbody").replaceChildren(...page.items.map(logRow));
  } catch (error) { showError("logs-error", error); }
}

// The live tail: newest lines on top, at most 200 kept on screen; unticking "Live" (or leaving) ends the stream.
let tail = null;
async function follow() {
  tail?.abort();
  tail = null;
  if (!document.getElementById("log-live").checked) return;
  const controller = new AbortController();
  tail = controller;
  const body = document.querySelector("#logs tbody");
  try {
    const level = document.getElementById("log-level").value;
    const response = await authFetch(`/api/v1/logs/stream?level=${level}`, { signal: controller.signal, headers: { Accept: "text/event-stream" } });
    if (!response.ok) throw new APIError(response.status, await response.json());
    await readEvents(response, (event, line) => {
      if (event !== "log") return;
      body.prepend(logRow(line));
      while (body.rows.length > 200) body.lastElementChild.remove();
    });
  } catch (error) {
    if (error.name !== "AbortError") showError("logs-error", error);
  }
}
document.getElementById("log-level").addEventListener("change", async () => { await logs(); follow(); });
document.getElementById("log-live").addEventListener("change", () => follow());

const me = await requireUser();
if (me && me.role === "admin") {
  document.getElementById("admin-body").hidden = false;
  await users();
  await Promise.all([status(), audit(), performance(), logs()]);
} else if (me) {
  document.getElementById("admin-only").hidden = false;
}

// LLM connections: the configuration's (read-only) and those added here; test, remove, choose the default.
async function providers() {
  const list = await api("/api/v1/llm/providers");
  const body = document.querySelector("#providers tbody");
  body.replaceChildren(...list.items.map((p) => {
    const actions = [el("button", { type: "button", class: "link", "aria-label": `Test ${p.name}`, onclick: () => testProvider(p.name) }, "Test")];
    if (p.kind === "ollama") actions.push(" ", el("button", { type: "button", class: "link", "aria-label": `Pull a model into ${p.name}`, onclick: () => pull(p.name) }, "Pull model"));
    if (p.editable) actions.push(" ", el("button", { type: "button", class: "link", "aria-label": `Remove ${p.name}`, onclick: () => removeProvider(p.name) }, "Remove"));
    return el("tr", { "data-provider": p.name },
      el("td", {}, p.name), el("td", {}, p.kind), el("td", {}, p.base_url || ""),
      el("td", {}, p.model || ""), el("td", {}, p.error ? `${p.source}: ${p.error}` : p.source + (p.has_api_key ? " · key set" : "")),
      el("td", {}, p.is_default ? "yes" : ""), el("td", {}, ...actions));
  }));
  const select = document.getElementById("default-provider");
  select.replaceChildren(el("option", { value: "extractive", selected: list.default_provider === "extractive" }, "None: quote the passages (extractive)"),
    ...list.items.filter((p) => !p.error).map((p) => el("option", { value: p.name, selected: list.default_provider === p.name }, p.name)));
  document.getElementById("p-key").disabled = !list.secrets_configured;
  document.getElementById("p-key").placeholder = list.secrets_configured ? "" : "needs secrets.master_key on the server";
}

async function testProvider(name) {
  const state = document.getElementById("providers-status");
  state.textContent = `Testing ${name}…`;
  showError("providers-error", null);
  try {
    const t = await api(`/api/v1/llm/providers/${encodeURIComponent(name)}/test`, { method: "POST" });
    state.textContent = t.reachable ? `${name} answers (${t.milliseconds} ms): ${t.models.length} models${t.models.length ? `: ${t.models.slice(0, 8).join(", ")}` : ""}.`
      : `${name} does not answer: ${t.error}`;
    document.getElementById("p-models").replaceChildren(...t.models.map((m) => el("option", { value: m })));
  } catch (error) {
    state.textContent = "";
    showError("providers-error", error);
  }
}

/** Downloads a model into an Ollama provider, showing Ollama's progress as it comes. */
async function pull(name) {
  const model = prompt(`Model to download into ${name} (e.g. llama3.2:1b)`);
  if (!model || !model.trim()) return;
  showError("providers-error", null);
  const state = document.getElementById("providers-status");
  const bar = el("progress", { max: 100, "aria-label": `Download of ${model}` });
  const text = el("span", {}, ` ${model}: starting…`);
  state.replaceChildren(bar, text);
  try {
    const r = await authFetch(`/api/v1/llm/providers/${encodeURIComponent(name)}/pull`, {
      method: "POST", headers: { "Content-Type": "application/json", Accept: "text/event-stream" }, body: JSON.stringify({ model: model.trim() }),
    });
    if (!r.ok) throw new APIError(r.status, await r.json().catch(() => null));
    await readEvents(r, (event, data) => {
      if (event === "progress") {
        if (data.total) bar.value = Math.round((100 * (data.completed || 0)) / data.total);
        text.textContent = ` ${model}: ${data.status}${data.total ? ` (${Math.round((data.completed || 0) / 1e6)} of ${Math.round(data.total / 1e6)} MB)` : ""}`;
      } else if (event === "done") {
        bar.value = 100;
        text.textContent = ` ${model}: pulled into ${name}.`;
      } else if (event === "error") {
        throw new APIError(502, data);
      }
    });
  } catch (error) {
    bar.classList.add("failed");
    text.textContent = ` ${model}: failed.`;
    showError("providers-error", error);
  }
}

async function removeProvider(name) {
  if (!confirm(`Remove the LLM connection “${name}”?`)) return;
  showError("providers-error", null);
  const path = `/api/v1/llm/providers/${encodeURIComponent(name)}`;
  try {
    await api(path, { method: "DELETE" });
  } catch (error) {
    // Knowledge bases still answer through it: the server names them; going ahead sends them to the default.
    if (error.body && error.body.code === "provider_in_use" && confirm(`${error.message}.\n\nRemove it anyway?`)) {
      try { await api(`${path}?force=true`, { method: "DELETE" }); } catch (again) { showError("providers-error", again); }
    } else {
      showError("providers-error", error);
    }
  }
  await Promise.all([providers(), status(), audit()]);
}

document.getElementById("provider-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  showError("providers-error", null);
  const value = (id) => document.getElementById(id).value.trim();
  const body = { name: value("p-name"), kind: value("p-kind") };
  if (value("p-url")) body.base_url = value("p-url");
  if (value("p-model")) body.model = value("p-model");
  if (document.getElementById("p-key").value) body.api_key = document.getElementById("p-key").value;
  try {
    await api("/api/v1/llm/providers", { method: "POST", body });
    document.getElementById("p-key").value = "";
    for (const id of ["p-name", "p-url", "p-model"]) document.getElementById(id).value = "";
    await providers();
    await testProvider(body.name);
    await status();
  } catch (error) {
    showError("providers-error", error);
  }
});

document.getElementById("default-provider").addEventListener("change", async (e) => {
  showError("providers-error", null);
  try {
    const now = await api("/api/v1/llm/default", { method: "PUT", body: { provider: e.target.value } });
    document.getElementById("providers-status").textContent = `Default LLM: ${now.provider}.`;
  } catch (error) {
    showError("providers-error", error);
  }
  await providers();
});

if (me && me.role === "admin") await providers();
