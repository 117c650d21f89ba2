// imapprobe live probe page: posts the form to /ui/probe and reads the
// answer as Server-Sent Events (one "step" event a step, then "result").
// The secret goes only in the POST body and the field is emptied as soon
// as it is sent; server text goes in through textContent, and the report
// fragment is htmlreport's escaped HTML.
"use strict";

const $ = (id) => document.getElementById(id);
let uiToken = sessionStorage.getItem("imapprobe-ui-token") || "";
let jsonURL = "", jsonBlob = null; // the link's report, as a download

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  Object.assign(e, props || {});
  for (const c of children) e.append(c);
  return e;
}

function showError(msg) {
  $("form-error").textContent = msg;
  $("form-error").hidden = !msg;
}

function addStep(s) {
  let text = `${s.name}: ${s.status}`;
  if (s.status !== "skipped" && s.status !== "not_requested") text += ` (${s.duration_ms.toFixed(1)} ms)`;
  if (s.code) text += ` ${s.code}: ${s.summary}`;
  else if (s.note) text += ` · ${s.note}`;
  const li = el("li", { className: s.status, textContent: text });
  li.dataset.step = s.name;
  li.dataset.status = s.status;
  $("live-steps").append(li);
}

function showResult(r) {
  $("live-status").textContent = r.status === "fail" ? `failed at ${r.step} (${r.code})` : r.status;
  $("live-status").dataset.done = "true";
  // htmlreport.WriteFragment's output: every value in it is escaped.
  $("report").innerHTML = r.html;
  if (jsonURL) URL.revokeObjectURL(jsonURL);
  jsonBlob = new Blob([JSON.stringify(r.report, null, 2)], { type: "application/json" });
  jsonURL = URL.createObjectURL(jsonBlob);
  $("json-link").href = jsonURL;
  $("result").hidden = false;
}

// readEvents parses a text/event-stream body and calls on(name, data).
async function readEvents(body, on) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let end;
    while ((end = buf.indexOf("\n\n")) >= 0) {
      const block = buf.slice(0, end);
      buf = buf.slice(end + 2);
      let name = "message", data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      on(name, JSON.parse(data));
    }
  }
}

async function probe(ev) {
  ev.preventDefault();
  const form = $("probe-form");
  const data = new FormData(form);
  $("secret").value = ""; // sent once, then forgotten
  showError("");
  $("live-steps").replaceChildren();
  $("live-status").textContent = "running…";
  delete $("live-status").dataset.done;
  $("live").hidden = false;
  $("result").hidden = true;
  $("run").disabled = true;
  const headers = { "X-Imapprobe-UI": "1" };
  if (uiToken) headers["Authorization"] = "Bearer " + uiToken;
  try {
    const resp = await fetch("/ui/probe", { method: "POST", body: data, headers, cache: "no-store", credentials: "omit" });
    if (resp.status === 401) $("token-box").hidden = false;
    if (!resp.ok) throw new Error((await resp.text()).trim() || resp.status + " " + resp.statusText);
    await readEvents(resp.body, (name, d) => {
      if (name === "step") addStep(d);
      else if (name === "result") showResult(d);
      else if (name === "failure") showError(d.error);
    });
  } catch (e) {
    showError(e.message);
    $("live-status").textContent = "not run";
  } finally {
    $("run").disabled = false;
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("probe-form").addEventListener("submit", probe);
  $("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    uiToken = $("ui-token").value;
    sessionStorage.setItem("imapprobe-ui-token", uiToken);
    $("ui-token").value = "";
    $("token-box").hidden = true;
  });
});
