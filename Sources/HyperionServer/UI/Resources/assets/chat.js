import { APIError, api, authFetch, el, readEvents, requireUser, showError } from "./api.js";
import { renderMarkdown } from "./markdown.js";

const select = document.getElementById("model-select");
const llmSelect = document.getElementById("llm-select");
const sessionsList = document.getElementById("sessions");
const search = document.getElementById("session-search");
const messages = document.getElementById("messages");
const form = document.getElementById("ask-form");
const question = document.getElementById("question");
const askButton = document.getElementById("ask");
const stopButton = document.getElementById("stop");
const panel = document.getElementById("source-panel");
const DRAFT = "hyperion.draft";
let me = null;
let session = null;
let sessions = [];
let running = null; // { controller, queryId }
let llmDefault = "extractive";

// The open conversation lives in the URL, so a reload (or a shared link) reopens it.
function syncURL() {
  const params = new URLSearchParams();
  if (select.value) params.set("model", select.value);
  if (session) params.set("session", session);
  history.replaceState(null, "", `/ui/chat?${params}`);
}

/** The passage sentence that best matches the answer's words around the marker, by shared words. */
function bestSentence(snippet, context) {
  const words = (t) => new Set(t.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) || []);
  const wanted = words(context);
  let best = null;
  let score = 0;
  for (const s of snippet.match(/[^.!?]+[.!?]*/g) || []) {
    let shared = 0;
    for (const w of words(s)) if (wanted.has(w)) shared++;
    if (shared > score) { score = shared; best = s.trim(); }
  }
  return score >= 2 ? best : null;
}

async function download(source) {
  try {
    const r = await api(`/api/v1/documents/${source.document_id}/content`, { raw: true });
    if (!r.ok) throw new APIError(r.status, await r.json().catch(() => null));
    const name = (r.headers.get("Content-Disposition") || "").match(/filename="?([^";]+)"?/)?.[1] || source.title;
    const url = URL.createObjectURL(await r.blob());
    const a = el("a", { href: url, download: name, hidden: true });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  } catch (error) {
    showError("chat-error", error);
  }
}

function openSource(source, context) {
  document.getElementById("source-title").textContent = source.title;
  document.getElementById("source-page").textContent = source.page ? `Page ${source.page}` : "";
  const text = document.getElementById("source-text");
  const quote = context ? bestSentence(source.snippet, context) : null;
  if (quote) {
    const at = source.snippet.indexOf(quote);
    text.replaceChildren(source.snippet.slice(0, at), el("mark", {}, quote), source.snippet.slice(at + quote.length));
  } else {
    text.textContent = source.snippet;
  }
  const link = document.getElementById("source-download");
  link.onclick = () => download(source);
  panel.hidden = false;
  document.getElementById("source-close").focus();
}

function closeSource() { panel.hidden = true; }
document.getElementById("source-close").addEventListener("click", closeSource);
document.addEventListener("keydown", (e) => { if (e.key === "Escape" && !panel.hidden) closeSource(); });

/** The sentence a citation marker at `at` belongs to: the one it ends ("… failed. [1]" or "… failed [1].").  */
function sentenceAround(text, at) {
  let end = at;
  while (end > 0 && /[\s"”'’)\]]/.test(text[end - 1])) end--;
  if (end > 0 && /[.!?]/.test(text[end - 1])) end--;
  const start = Math.max(...[".", "!", "?", "\n"].map((c) => text.lastIndexOf(c, end - 1))) + 1;
  return text.slice(start, at);
}

/** Renders an answer as Markdown with [n] buttons, and the list of its sources under it. */
function renderAnswer(bubble, text, sources) {
  const markers = [];
  renderMarkdown(bubble.content, text, (n) => {
    const source = sources.get(n);
    if (!source) return null;
    markers.push(n);
    const button = el("button", { type: "button", class: "citation", "data-n": n, "aria-label": `Source ${n}: ${source.title}` }, `[${n}]`);
    button.addEventListener("click", () => {
      const plain = bubble.content.textContent;
      openSource(source, sentenceAround(plain, plain.indexOf(`[${n}]`)));
    });
    return button;
  });
  const cited = [...new Set(markers)].map((n) => sources.get(n));
  const listed = cited.length ? cited : [...sources.values()];
  bubble.sources.replaceChildren(...listed.map((s) => el("li", {},
    el("button", { type: "button", class: "link", onclick: () => openSource(s, text) }, `[${s.n}] ${s.title}${s.page ? `, page ${s.page}` : ""}`))));
  bubble.sources.hidden = !listed.length;
}

function addUserMessage(text) {
  const item = el("li", { class: "message user" }, el("span", { class: "sr-only" }, "You: "), el("div", { class: "content" }, text));
  messages.append(item);
  item.scrollIntoView({ block: "end" });
}

function addAnswer() {
  const content = el("div", { class: "content" });
  const sources = el("ol", { class: "sources", "aria-label": "Sources", hidden: true });
  const actions = el("div", { class: "actions" });
  const item = el("li", { class: "message assistant" }, el("span", { class: "sr-only" }, "Answer: "), content, sources, actions);
  messages.append(item);
  item.scrollIntoView({ block: "end" });
  const bubble = { item, content, sources, actions, text: "" };
  const copy = el("button", { type: "button", class: "link copy" }, "Copy");
  copy.addEventListener("click", async () => {
    try { await navigator.clipboard.writeText(bubble.text); copy.textContent = "Copied"; } catch { copy.textContent = "Copy failed"; }
    setTimeout(() => { copy.textContent = "Copy"; }, 1500);
  });
  actions.append(copy);
  return bubble;
}

function typing(bubble, on) {
  bubble.item.toggleAttribute("aria-busy", on);
  bubble.content.querySelector(".typing")?.remove();
  if (on && !bubble.text) bubble.content.append(el("span", { class: "typing", role: "status", "aria-label": "Answering" }, el("span"), el("span"), el("span")));
}

function markRegenerate() {
  for (const b of messages.querySelectorAll("button.regenerate")) b.remove();
  const last = messages.querySelector(".message.assistant:last-child .actions");
  const lastQuestion = [...messages.querySelectorAll(".message.user .content")].pop()?.textContent;
  if (last && lastQuestion) last.append(el("button", { type: "button", class: "link regenerate", onclick: () => ask(lastQuestion, true) }, "Regenerate"));
}

async function loadModels() {
  const [page, providers] = await Promise.all([api("/api/v1/models?limit=100"), api("/api/v1/llm/models").catch(() => null)]);
  if (providers) {
    llmDefault = providers.default_provider;
    const kept = llmSelect.value;
    llmSelect.replaceChildren(el("option", { value: "" }, "The knowledge base's LLM"), el("option", { value: "extractive" }, "No LLM: quote the passages"),
      ...providers.items.map((p) => el("option", { value: p.name }, p.default_model ? `${p.name} (${p.default_model})` : p.name)));
    llmSelect.value = kept;
  }
  const wanted = new URLSearchParams(location.search).get("model");
  select.replaceChildren(...page.items.map((m) => el("option", { value: m.id, selected: m.id === wanted, "data-provider": m.llm?.provider || "" }, m.name)));
  if (wanted && !page.items.some((m) => m.id === wanted)) showError("chat-error", new Error("That knowledge base does not exist or is not shared with you."));
  else if (!page.items.length) showError("chat-error", new Error("Create a knowledge base first."));
  updateNote();
}

/** Says so when answers will be quoted passages because no language model answers for this knowledge base. */
function updateNote(extractive) {
  const option = select.selectedOptions[0];
  const provider = llmSelect.value || option?.dataset.provider || llmDefault;
  const none = extractive ?? (provider === "extractive");
  const note = document.getElementById("llm-note");
  const parts = ["Quoted passages: no language model is connected, so answers quote the best-matching sentences."];
  if (me?.role === "admin") parts.push(" ", el("a", { href: "/ui/admin#llm" }, "Connect one"));
  note.replaceChildren(...parts);
  note.hidden = !none || !option;
}

async function loadSessions() {
  if (!select.value) { sessionsList.replaceChildren(); return; }
  const page = await api(`/api/v1/sessions?model_id=${select.value}&limit=100`);
  sessions = page.items;
  showSessions();
}

function showSessions() {
  const needle = search.value.trim().toLowerCase();
  const shown = sessions.filter((s) => !needle || s.title.toLowerCase().includes(needle));
  sessionsList.replaceChildren(...shown.map((s) => el("li", { class: "session" },
    el("button", { type: "button", class: `link${session === s.id ? " current" : ""}`, "data-session-id": s.id, "aria-current": session === s.id ? "true" : false, onclick: () => openSession(s.id) }, s.title),
    el("button", { type: "button", class: "link icon", "aria-label": `Rename ${s.title}`, onclick: () => rename(s) }, "✎"),
    el("button", { type: "button", class: "link icon", "aria-label": `Delete ${s.title}`, onclick: () => removeSession(s) }, "🗑"))));
  if (!shown.length) sessionsList.append(el("li", { class: "muted" }, needle ? "No conversation matches." : "No conversation yet."));
}

async function rename(s) {
  const title = prompt("New name of the conversation", s.title);
  if (!title || !title.trim() || title.trim() === s.title) return;
  try { await api(`/api/v1/sessions/${s.id}`, { method: "PATCH", body: { title: title.trim().slice(0, 200) } }); } catch (error) { showError("chat-error", error); }
  await loadSessions();
}

async function removeSession(s) {
  if (!confirm(`Delete the conversation “${s.title}”? Its messages are deleted too.`)) return;
  try { await api(`/api/v1/sessions/${s.id}`, { method: "DELETE" }); } catch (error) { showError("chat-error", error); }
  if (session === s.id) { session = null; messages.replaceChildren(); syncURL(); }
  await loadSessions();
}

async function openSession(id) {
  session = id;
  syncURL();
  messages.replaceChildren();
  showError("chat-error", null);
  let page;
  try { page = await api(`/api/v1/sessions/${id}/messages?limit=100`); } catch (error) {
    session = null;
    syncURL();
    showError("chat-error", error.status === 404 ? new Error("That conversation does not exist any more.") : error);
    return;
  }
  // Each answer's sources come from its query record, so citations work as they did when it was asked.
  const records = await Promise.all(page.items.map((m) => (m.role === "assistant" && m.query_id ? api(`/api/v1/query/${m.query_id}`).catch(() => null) : null)));
  page.items.forEach((m, i) => {
    if (m.role === "user") return addUserMessage(m.content);
    const bubble = addAnswer();
    bubble.text = m.content;
    const sources = new Map((records[i]?.sources || []).map((s) => [s.n, s]));
    renderAnswer(bubble, m.content, sources);
  });
  markRegenerate();
  showSessions();
}

async function ensureSession(title) {
  if (session) return session;
  const s = await api("/api/v1/sessions", { method: "POST", body: { model_id: select.value, title: title.slice(0, 80) } });
  session = s.id;
  syncURL();
  await loadSessions();
  return session;
}

async function ask(text, regenerate = false) {
  if (!text || !select.value || running) return;
  showError("chat-error", null);
  if (!regenerate) addUserMessage(text);
  const bubble = addAnswer();
  typing(bubble, true);
  const sources = new Map();
  running = { controller: new AbortController(), queryId: null };
  askButton.hidden = true;
  stopButton.hidden = false;
  let failed = false;
  try {
    const id = await ensureSession(text);
    const response = await authFetch("/api/v1/query", {
      method: "POST", signal: running.controller.signal,
      headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
      body: JSON.stringify({ model_id: select.value, query: text, session_id: id, stream: true, provider: llmSelect.value || undefined }),
    });
    if (!response.ok) throw new APIError(response.status, await response.json().catch(() => null));
    await readEvents(response, (name, data) => {
      if (name === "sources") { running.queryId = data.query_id; data.sources.forEach((s) => sources.set(s.n, s)); }
      else if (name === "delta") { bubble.text += data.text; typing(bubble, false); renderAnswer(bubble, bubble.text, sources); }
      else if (name === "citations") renderAnswer(bubble, bubble.text, sources);
      else if (name === "done") { bubble.item.dataset.queryId = data.query_id; updateNote(data.extractive); }
      else if (name === "error") throw new APIError(500, data);
    });
    renderAnswer(bubble, bubble.text, sources);
    sessionStorage.removeItem(DRAFT);
  } catch (error) {
    if (error.name === "AbortError") {
      bubble.item.classList.add("stopped");
      bubble.content.append(el("em", { class: "muted" }, " (stopped)"));
    } else {
      failed = true;
      showError("chat-error", error);
    }
  } finally {
    typing(bubble, false);
    askButton.hidden = false;
    stopButton.hidden = true;
    running = null;
  }
  if (failed && !bubble.text) {
    // Nothing was answered: take the empty bubble away and give the question back to edit or send again.
    bubble.item.remove();
    if (!regenerate) {
      messages.lastElementChild?.remove();
      if (!question.value) question.value = text;
    }
  }
  markRegenerate();
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const text = question.value.trim();
  if (!text || !select.value || running) return;
  question.value = "";
  ask(text);
});

stopButton.addEventListener("click", () => {
  if (!running) return;
  const { controller, queryId } = running;
  // The server stops the answer even when this stream runs through another instance; the abort ends it here.
  if (queryId) api(`/api/v1/query/${queryId}/stop`, { method: "POST" }).catch(() => {});
  controller.abort();
});
question.addEventListener("keydown", (e) => { if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); } });
// What the user is typing survives a reload or a trip through the sign-in page.
question.addEventListener("input", () => sessionStorage.setItem(DRAFT, question.value));
question.value = sessionStorage.getItem(DRAFT) || "";
search.addEventListener("input", showSessions);
llmSelect.addEventListener("change", () => updateNote());
document.getElementById("new-session").addEventListener("click", () => { session = null; syncURL(); messages.replaceChildren(); showSessions(); question.focus(); });
select.addEventListener("change", () => { session = null; syncURL(); messages.replaceChildren(); updateNote(); loadSessions(); });

me = await requireUser();
if (me) {
  await loadModels();
  await loadSessions();
  const wanted = new URLSearchParams(location.search).get("session");
  if (wanted) await openSession(wanted);
}
