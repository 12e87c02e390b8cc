import { api, el, requireUser, showError, upload as send } from "./api.js";

const id = document.getElementById("model-page").dataset.modelId;
const jobs = new Set();
/** Per-file status lines waiting for their job, by job id. */
const waiting = new Map();

let settingsLoaded = false;

let pendingDocuments = 0;

async function loadModel() {
  const m = await api(`/api/v1/models/${id}`);
  if (!settingsLoaded) { settingsLoaded = true; await fillSettings(m); }
  document.getElementById("model-title").textContent = m.name;
  document.title = `${m.name} · Hyperion`;
  // While documents wait or are being read the knowledge base is not "ready" yet, whatever its index says.
  const status = m.status === "ready" && (pendingDocuments > 0 || jobs.size > 0) ? "ingesting" : m.status.replace("_", " ");
  document.getElementById("model-meta").textContent =
    `${m.document_count} documents · ${m.chunk_count} chunks · ${status} · ${m.visibility}`;
}

async function loadDocuments() {
  const page = await api(`/api/v1/models/${id}/documents?limit=100`);
  pendingDocuments = page.items.filter((d) => d.status === "queued" || d.status === "processing").length;
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

async function refreshAll() { await loadDocuments(); await loadModel(); }

/** Uploads the files chosen (or dropped) together in one request: one ingestion job, whose progress counts them all. */
async function upload(files) {
  if (!files.length) return;
  const lines = files.map((file) => {
    const bar = el("progress", { max: 100, value: 0, "aria-label": `Upload of ${file.name}` });
    const state = el("span", { class: "muted" }, " uploading…");
    const item = el("li", { "data-file": file.name }, file.name + " ", bar, state);
    document.getElementById("upload-list").append(item);
    return { file, item, bar, state };
  });
  const form = new FormData();
  for (const { file } of lines) form.append("file", file, file.name);
  let result;
  try {
    result = await send(`/api/v1/models/${id}/documents`, form, (share) => { for (const l of lines) l.bar.value = Math.round(100 * share); });
  } catch {
    return; // sent to sign in
  }
  const { status, body } = result;
  if (status !== 202) {
    for (const line of lines) fail(line, body.detail || `HTTP ${status}`);
    return;
  }
  const byName = new Map();
  for (const d of body.documents || []) byName.set(d.filename, [...(byName.get(d.filename) || []), d]);
  for (const line of lines) {
    line.bar.value = 100;
    const d = (byName.get(line.file.name) || []).shift();
    if (!d) line.state.textContent = " accepted";
    else if (d.status === "rejected") fail(line, d.error ? d.error.detail : "refused");
    else if (d.status === "duplicate") line.state.textContent = " already in this knowledge base";
    else {
      line.state.textContent = " queued for ingestion";
      line.documentID = d.document_id;
      waiting.set(body.job_id, [...(waiting.get(body.job_id) || []), line]);
    }
  }
  if (body.job_id) watch(body.job_id);
  refreshAll();
}

/** Marks a file's line as failed, saying why. */
function fail(line, reason) {
  line.item.classList.add("failed");
  line.bar.classList.add("failed");
  line.state.className = "error";
  line.state.textContent = ` failed: ${reason}`;
}

async function watch(job) {
  jobs.add(job);
  const line = document.getElementById("job-progress");
  while (jobs.has(job)) {
    const j = await api(`/api/v1/jobs/${job}`);
    line.textContent = `${j.kind === "train" ? "Training" : "Ingesting"}: ${j.progress.done}/${j.progress.total} documents · ${j.status}`;
    if (["succeeded", "failed", "canceled"].includes(j.status)) {
      jobs.delete(job);
      // Each file's own outcome: a job succeeds even when one of its documents could not be read.
      const documents = new Map((await api(`/api/v1/models/${id}/documents?limit=100`)).items.map((d) => [d.id, d]));
      for (const l of waiting.get(job) || []) {
        const d = documents.get(l.documentID);
        if (d && d.status === "failed") {
          fail(l, d.error || "could not be read");
        } else {
          l.state.textContent = j.status === "succeeded" ? " ingested" : ` ${j.status}${j.error ? `: ${j.error}` : ""}`;
        }
      }
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
zone.addEventListener("drop", (e) => { e.preventDefault(); zone.classList.remove("over"); upload([...e.dataTransfer.files]); });
zone.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); } });
input.addEventListener("change", () => { const files = [...input.files]; input.value = ""; upload(files); });
document.getElementById("train").addEventListener("click", async () => {
  try { watch((await api(`/api/v1/models/${id}/train`, { method: "POST" })).id); } catch (e) {
    document.getElementById("train-progress").textContent = e.message;
  }
});

document.getElementById("delete-model").addEventListener("click", async () => {
  const name = document.getElementById("model-title").textContent;
  if (!confirm(`Delete the knowledge base “${name}” with all its documents, conversations and index? This cannot be undone.`)) return;
  try {
    await api(`/api/v1/models/${id}`, { method: "DELETE" });
    location.href = "/ui/";
  } catch (error) {
    showError("model-error", error);
  }
});

if (await requireUser()) {
  try {
    await refreshAll();
  } catch (error) {
    // Not there, or not visible to this user: say so instead of showing an empty page with buttons.
    document.getElementById("model-body").hidden = true;
    document.getElementById("model-title").textContent = "Knowledge base not found";
    showError("model-error", error.status === 404 ? new Error("This knowledge base does not exist, or it is not shared with you.") : error);
  }
}
