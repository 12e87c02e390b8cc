import { api, el, requireUser, showError, when } from "./api.js";

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
  document.querySelector("#users tbody").replaceChildren(...page.items.map((u) => {
    const role = el("select", { "aria-label": `Role of ${u.email}`, onchange: (e) => change(u, { role: e.target.value }) },
      ...["user", "admin"].map((r) => el("option", { value: r, selected: u.role === r }, r)));
    const disabled = el("input", { type: "checkbox", "aria-label": `${u.email} disabled`, checked: u.is_disabled,
      onchange: (e) => change(u, { is_disabled: e.target.checked }) });
    return el("tr", { "data-user-id": u.id }, el("td", {}, u.email), el("td", {}, role), el("td", {}, disabled), el("td", {}, when(u.created_at)));
  }));
}

async function change(user, patch) {
  showError("users-error", null);
  try { await api(`/api/v1/users/${user.id}`, { method: "PATCH", body: patch }); } catch (error) { showError("users-error", error); }
  await Promise.all([users(), audit()]);
}

async function audit() {
  const page = await api("/api/v1/logs?limit=50");
  document.querySelector("#audit tbody").replaceChildren(...page.items.map((e) => el("tr", {},
    el("td", {}, when(e.created_at)), el("td", {}, e.type), el("td", {}, e.email || ""), el("td", {}, e.client_address || ""))));
}

const me = await requireUser();
if (me && me.role === "admin") {
  document.getElementById("admin-body").hidden = false;
  await Promise.all([status(), users(), audit()]);
} else if (me) {
  document.getElementById("admin-only").hidden = false;
}
