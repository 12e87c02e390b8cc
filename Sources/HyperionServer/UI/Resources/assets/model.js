import { api, el, requireUser, tokens } from "./api.js";

const id = document.getElementById("model-page").dataset.modelId;
const jobs = new Set();
/** Per-file status lines waiting for their job, by job id. */
const waiting = new Map();

let settingsLoaded = false;

async function loadModel() {
  const m = await api(`/api/v1/models/${id}`);
  if (!settingsLoaded) { settingsLoaded = true; await fillSettings(m); }
  document.getElementById("model-title").textContent = m.name;
  document.getElementById("model-meta").textContent =
    `${m.document_count} documents · ${m.chunk_count} chunks · ${m.status.replace("_", " ")} · ${m.visibility}`;
}

async function loadDocuments() {
  const page = await api(`/api/v1/models/${id}/documents?limit=100`);
  const body = document.querySelector("#documents tbody");
  body.replaceChildren(...page.items.map((d) => el("tr", { "data-document-id": d.id },
    el("td", {}, d.title),
    el("td", { class: `status ${d.status}` }, d.status + (d.error ? `: ${d.error}` : "")),
    el("td", {}, d.chunk_count),
    el("td", {}, el("button", { type: "button", class: "link", "aria-label": `Delete ${d.title}`, onclick: () => remove(d) }, "Delete")))));
}

async function remove(d) {
  if (!confirm(`Delete ${d.title}?`)) return;
  await api(`/api/v1/documents/${d.id}`, { method: "DELETE" });
  await refreshAll();
}

const field = (name) => document.getElementById(`s-${name}`);

async function fillSettings(m) {
  const providers = await api("/api/v1/llm/models");
  const select = field("provider");
  const options = [el("option", { value: "" }, `Default (${providers.default_provider})`), el("option", { value: "extractive" }, "None: quote the passages (extractive)")];
  for (const p of providers.items) options.push(el("option", { value: p.name }, `${p.name} (${p.kind})`));
  select.replaceChildren(...options);
  field("name").value = m.name;
  field("description").value = m.description || "";
  field("visibility").value = m.visibility;
  field("size").value = m.chunking.size_tokens;
  field("overlap").value = m.chunking.overlap_tokens;
  field("mode").value = m.retrieval.mode;
  field("topk").value = m.retrieval.top_k;
  select.value = m.llm.provider || "";
  field("llm-model").value = m.llm.model || "";
  field("temperature").value = m.llm.temperature;
  field("system").value = m.llm.system_prompt || "";
}

document.getElementById("settings-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = document.getElementById("settings-status");
  const text = (name) => field(name).value.trim() || null;
  try {
    const m = await api(`/api/v1/models/${id}`, { method: "PATCH", body: {
      name: field("name").value.trim(), description: field("description").value.trim(), visibility: field("visibility").value,
      chunking: { size_tokens: Number(field("size").value), overlap_tokens: Number(field("overlap").value) },
      retrieval: { mode: field("mode").value, top_k: Number(field("topk").value) },
      llm: { provider: text("provider"), model: text("llm-model"), temperature: Number(field("temperature").value), system_prompt: text("system") },
    } });
    status.className = "";
    status.textContent = m.status === "needs_training" ? "Saved. The chunking changed: train to rebuild the index." : "Saved.";
    await refreshAll();
  } catch (error) {
    status.className = "error";
    status.textContent = error.message;
  }
});

async function refreshAll() { await Promise.all([loadModel(), loadDocuments()]); }

/** Uploads one file with XMLHttpRequest, the only browser API that reports upload progress. */
function upload(file) {
  const bar = el("progress", { max: 100, value: 0, "aria-label": `Upload of ${file.name}` });
  const state = el("span", { class: "muted" }, " uploading…");
  document.getElementById("upload-list").append(el("li", { "data-file": file.name }, file.name + " ", bar, state));
  const form = new FormData();
  form.append("file", file, file.name);
  const xhr = new XMLHttpRequest();
  xhr.open("POST", `/api/v1/models/${id}/documents`);
  xhr.setRequestHeader("Authorization", `Bearer ${tokens().access_token}`);
  xhr.upload.onprogress = (e) => { if (e.lengthComputable) bar.value = Math.round((100 * e.loaded) / e.total); };
  xhr.onload = () => {
    bar.value = 100;
    let body = {};
    try { body = JSON.parse(xhr.responseText); } catch { /* shown as status */ }
    const result = (body.documents || [])[0];
    state.textContent = xhr.status === 202 ? ` ${result ? result.status : "accepted"}` : ` failed: ${body.detail || xhr.status}`;
    if (body.job_id && result && result.status === "queued") {
      state.textContent = " queued for ingestion";
      waiting.set(body.job_id, [...(waiting.get(body.job_id) || []), state]);
      watch(body.job_id);
    }
    refreshAll();
  };
  xhr.onerror = () => { state.textContent = " failed: network error"; };
  xhr.send(form);
}

async function watch(job) {
  jobs.add(job);
  const line = document.getElementById("job-progress");
  while (jobs.has(job)) {
    const j = await api(`/api/v1/jobs/${job}`);
    line.textContent = `${j.kind === "train" ? "Training" : "Ingesting"}: ${j.progress.done}/${j.progress.total} documents · ${j.status}`;
    if (["succeeded", "failed", "canceled"].includes(j.status)) {
      jobs.delete(job);
      for (const state of waiting.get(job) || []) state.textContent = j.status === "succeeded" ? " ingested" : ` ${j.status}${j.error ? `: ${j.error}` : ""}`;
      waiting.delete(job);
      await refreshAll();
      break;
    }
    await refreshAll();
    await new Promise((r) => setTimeout(r, 700));
  }
}

const zone = document.getElementById("dropzone");
const input = document.getElementById("file-input");
zone.addEventListener("dragover", (e) => { e.preventDefault(); zone.classList.add("over"); });
zone.addEventListener("dragleave", () => zone.classList.remove("over"));
zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); [...e.dataTransfer.files].forEach(upload); });
zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
input.addEventListener("change", () => { [...input.files].forEach(upload); input.value = ""; });
document.getElementById("train").addEventListener("click", async () => {
  try { watch((await api(`/api/v1/models/${id}/train`, { method: "POST" })).id); } catch (e) {
    document.getElementById("train-progress").textContent = e.message;
  }
});

if (await requireUser()) await refreshAll();
