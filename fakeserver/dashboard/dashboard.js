// fakeimapd dashboard: a thin client of the control API on the same origin.
// Every change sends X-Imapprobe-Control: 1, as the API demands of changes;
// a page on another origin cannot send it without a preflight the API
// never grants. Server text (specs, transcripts) goes in through
// textContent only, never as HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let token = sessionStorage.getItem("fakeimapd-token") || "";

async function api(method, path, body) {
  const headers = { "X-Imapprobe-Control": "1" };
  if (token) headers["Authorization"] = "Bearer " + token;
  if (body !== undefined) headers["Content-Type"] = "text/plain";
  const resp = await fetch(path, { method, headers, body, cache: "no-store", credentials: "omit" });
  if (resp.status === 401) $("token-box").hidden = false;
  if (!resp.ok) throw new Error((await resp.text()).trim() || resp.status + " " + resp.statusText);
  return resp.status === 204 ? null : resp.json();
}

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

function showFaults(list) {
  const body = $("faults").tBodies[0];
  body.replaceChildren(...list.map((f) => {
    const remove = el("button", { type: "button", textContent: "Remove", className: "remove" });
    remove.dataset.name = f.name;
    remove.addEventListener("click", () => change(() => api("DELETE", "/faults/" + encodeURIComponent(f.name))));
    const row = el("tr", {}, el("td", { textContent: f.name }), el("td", { textContent: f.spec, className: "spec" }),
      el("td", { textContent: String(f.fired), className: "num fired-count" }), el("td", {}, remove));
    row.dataset.name = f.name;
    return row;
  }));
  $("no-faults").hidden = list.length > 0;
}

function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

function lineClass(dir) { return dir === "C" ? "c" : dir === "S" ? "s" : "x"; }

function showConnections(list) {
  const open = new Set([...document.querySelectorAll("#connections details[open]")].map((d) => d.dataset.id));
  const items = list.slice().reverse().map((c) => {
    const fired = (c.faults || []).map((f) => f.spec + " ×" + f.count).join(", ");
    const summary = el("summary", {}, `#${c.id} ${c.remote} → ${c.port}${c.tls ? " (TLS)" : ""}` +
      (c.user ? ` user ${c.user}` : "") + ` · ${plural((c.commands || []).length, "command")} · ` + (c.closed ? "closed by " + c.closed : "open"));
    if (fired) summary.append(" · ", el("span", { className: "fired", textContent: "faults: " + fired }));
    const pre = el("pre", {}, ...(c.transcript || []).map((l) =>
      el("span", { className: lineClass(l.dir), textContent: `+${(l.at_ns / 1e9).toFixed(3)}s ${l.dir}: ${l.text}\n` })));
    const d = el("details", { className: c.closed ? "" : "open" }, summary, pre);
    d.dataset.id = String(c.id);
    d.open = open.has(d.dataset.id);
    return d;
  });
  $("connections").replaceChildren(...items);
  $("no-connections").hidden = list.length > 0;
}

async function refresh() {
  try {
    const [faults, conns] = await Promise.all([api("GET", "/faults"), api("GET", "/connections")]);
    showFaults(faults);
    showConnections(conns);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (e) {
    $("status").textContent = "cannot reach the control API: " + e.message;
  }
}

async function change(action) {
  try {
    await action();
    $("add-error").hidden = true;
  } catch (e) {
    $("add-error").textContent = e.message;
    $("add-error").hidden = false;
  }
  await refresh();
}

$("add-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  let ok = false;
  await change(async () => { await api("POST", "/faults", $("spec").value); ok = true; });
  if (ok) $("spec").value = "";
});
$("clear").addEventListener("click", () => change(() => api("DELETE", "/faults")));
$("forget").addEventListener("click", () => change(() => api("DELETE", "/connections")));
$("token-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  token = $("token").value;
  sessionStorage.setItem("fakeimapd-token", token);
  $("token").value = "";
  $("token-box").hidden = true;
  refresh();
});

refresh();
setInterval(refresh, 1000);
