// A small Markdown renderer for answers that builds DOM nodes and never parses HTML: whatever the model writes
// (a <script> tag included) ends up as text. Covers what LLM answers use: paragraphs, headings, lists, quotes,
// fenced and inline code, bold, italics, links (http and https only) and the [n] citation markers, which become
// whatever `cite(n)` returns (a button) or stay text.
import { el } from "./api.js";

const INLINE = new RegExp([
  "`([^`\\n]+)`",                                   // 1 code
  "\\*\\*([^*\\n]+?)\\*\\*|__([^_\\n]+?)__",         // 2, 3 strong
  "\\[([^\\]\\n]+)\\]\\((https?://[^\\s)]+)\\)",     // 4 text, 5 url
  "\\[(\\d+(?:\\s*,\\s*\\d+)*)\\]",                  // 6 citation numbers
  "(?<![\\w*])\\*(?![\\s*])([^*\\n]+?)(?<!\\s)\\*(?![\\w*])", // 7 em
  "(?<![\\w_])_(?![\\s_])([^_\\n]+?)(?<!\\s)_(?![\\w_])",    // 8 em
].join("|"), "g");

/** Inline Markdown of one block as nodes. */
export function inline(text, cite) {
  const out = [];
  let last = 0;
  for (const m of text.matchAll(INLINE)) {
    if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
    if (m[1] !== undefined) out.push(el("code", {}, m[1]));
    else if (m[2] !== undefined || m[3] !== undefined) out.push(el("strong", {}, ...inline(m[2] ?? m[3], cite)));
    else if (m[4] !== undefined) out.push(el("a", { href: m[5], rel: "noopener noreferrer nofollow", target: "_blank" }, ...inline(m[4], cite)));
    else if (m[6] !== undefined) {
      for (const n of m[6].split(",").map((x) => parseInt(x, 10))) out.push(cite?.(n) || document.createTextNode(`[${n}]`));
    } else out.push(el("em", {}, ...inline(m[7] ?? m[8], cite)));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(document.createTextNode(text.slice(last)));
  return out;
}

const LIST_ITEM = /^\s{0,3}([-*+]|\d{1,9}[.)])\s+(.*)$/;

/** Renders `text` into `node`, replacing what it held. */
export function renderMarkdown(node, text, cite) {
  const blocks = [];
  const lines = text.replace(/\r\n?/g, "\n").split("\n");
  let paragraph = [];
  const flush = () => {
    if (paragraph.length) blocks.push(el("p", {}, ...inline(paragraph.join(" "), cite)));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const fence = line.match(/^\s{0,3}(```|~~~)\s*([\w+-]*)\s*$/);
    if (fence) {
      flush();
      const code = [];
      while (++i < lines.length && !lines[i].trim().startsWith(fence[1])) code.push(lines[i]);
      blocks.push(el("pre", {}, el("code", fence[2] ? { "data-language": fence[2] } : {}, code.join("\n"))));
      continue;
    }
    const heading = line.match(/^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/);
    if (heading) {
      flush();
      blocks.push(el(`h${Math.min(heading[1].length + 2, 6)}`, {}, ...inline(heading[2], cite)));
      continue;
    }
    const item = line.match(LIST_ITEM);
    if (item) {
      flush();
      const ordered = /\d/.test(item[1]);
      const list = el(ordered ? "ol" : "ul");
      if (ordered && parseInt(item[1], 10) !== 1) list.setAttribute("start", parseInt(item[1], 10));
      let m = item;
      while (m && /\d/.test(m[1]) === ordered) {
        const parts = [m[2]];
        // Continuation lines (indented, not a new item) belong to the item.
        while (i + 1 < lines.length && /^\s{2,}\S/.test(lines[i + 1]) && !LIST_ITEM.test(lines[i + 1])) parts.push(lines[++i].trim());
        list.append(el("li", {}, ...inline(parts.join(" "), cite)));
        m = i + 1 < lines.length ? lines[i + 1].match(LIST_ITEM) : null;
        if (m && /\d/.test(m[1]) === ordered) i++;
      }
      blocks.push(list);
      continue;
    }
    const quote = line.match(/^\s{0,3}>\s?(.*)$/);
    if (quote) {
      flush();
      const parts = [quote[1]];
      while (i + 1 < lines.length && /^\s{0,3}>/.test(lines[i + 1])) parts.push(lines[++i].replace(/^\s{0,3}>\s?/, ""));
      blocks.push(el("blockquote", {}, ...inline(parts.join(" "), cite)));
      continue;
    }
    if (!line.trim()) flush();
    else paragraph.push(line.trim());
  }
  flush();
  node.replaceChildren(...blocks);
}
