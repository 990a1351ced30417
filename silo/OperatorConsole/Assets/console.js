// Parley console: polls /console/api/snapshot and renders it. Every value is written as text (never as HTML), and the
// page loads nothing but this script and its style sheet (the Content-Security-Policy allows nothing else).
"use strict";

const api = {
  session: "api/session",
  snapshot: "api/snapshot",
  context: id => `api/conversations/${encodeURIComponent(id)}/context`,
  limits: id => `api/users/${encodeURIComponent(id)}/limits`,
  enable: (provider, id) => `api/upstream-keys/${encodeURIComponent(provider)}/${encodeURIComponent(id)}/enable`,
};
const signIn = "../admin/sign-in?returnUrl=" + encodeURIComponent(location.pathname);
const limitFields = ["requests_per_minute", "tokens_per_minute", "concurrent_requests", "tokens_per_day", "tokens_per_month", "usd_per_day", "usd_per_month"];

let session = null;
let snapshot = null;
let refreshMs = 2000;
let timer = 0;
let editing = null;

const $ = id => document.getElementById(id);
const number = n => (n === null || n === undefined) ? "–" : Number(n).toLocaleString("en-US");
const usd = n => (n === null || n === undefined) ? "–" : "$" + Number(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 6 });
const clock = iso => iso ? new Date(iso).toLocaleTimeString("en-GB") : "–";

function el(tag, text, attrs) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  return node;
}

function cell(row, text, field, attrs) {
  const td = el("td", text, Object.assign({ "data-field": field }, attrs));
  row.appendChild(td);
  return td;
}

// "in 1.5 s" against the server's clock, so a browser clock that is off does not matter.
function relative(iso) {
  if (!iso || !snapshot) return "–";
  const ms = Date.parse(iso) - Date.parse(snapshot.generated_at);
  if (ms <= 0) return "now";
  return ms < 60000 ? `in ${(ms / 1000).toFixed(1)} s` : `in ${Math.round(ms / 60000)} min`;
}

async function call(url, init) {
  const response = await fetch(url, Object.assign({ credentials: "same-origin", cache: "no-store", headers: { Accept: "application/json" } }, init));
  if (response.status === 401) {
    location.assign(signIn);
    throw new Error("Signed out.");
  }
  const body = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) {
    const message = body && body.error ? body.error.message : `HTTP ${response.status}`;
    throw new Error(message);
  }
  return body;
}

async function change(method, url, body) {
  if (!session) session = await call(api.session);
  const headers = { Accept: "application/json", [session.antiforgery_header]: session.antiforgery_token };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return call(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

// --- users ---------------------------------------------------------------------------------------------------------

function usageCell(row, used, limit, field, format) {
  const td = cell(row, "", field);
  td.appendChild(el("span", format(used), { class: "used", "data-value": used ?? "" }));
  if (limit !== null && limit !== undefined) {
    td.appendChild(el("span", " / " + format(limit), { class: "limit" }));
    const meter = el("meter", null, { min: "0", max: String(limit), value: String(Math.min(used ?? 0, limit)), low: String(limit * 0.5), high: String(limit * 0.8), optimum: "0" });
    td.appendChild(meter);
  }
}

function renderUsers(users) {
  const body = $("users-table").tBodies[0];
  body.replaceChildren();
  $("users-count").textContent = users.total > users.data.length ? `(${users.data.length} of ${users.total})` : `(${users.total})`;
  $("users-error").hidden = !users.error;
  $("users-error").textContent = users.error || "";
  for (const user of users.data) {
    const row = el("tr", null, { "data-user-id": user.id });
    const who = cell(row, "", "user");
    who.appendChild(el("strong", user.name));
    who.appendChild(el("code", user.id));
    if (user.disabled) who.appendChild(el("span", "disabled", { class: "badge bad" }));
    const u = user.usage || {};
    const l = user.limits;
    // Admission skips the ledger for a user without any limit: nothing is counted for it.
    if (!Object.values(l).some(v => v !== null)) who.appendChild(el("span", "not metered", { class: "badge", title: "No limit applies, so no usage is counted" }));
    usageCell(row, u.requests_last_minute, l.requests_per_minute, "requests_last_minute", number);
    usageCell(row, u.tokens_last_minute, l.tokens_per_minute, "tokens_last_minute", number);
    usageCell(row, u.concurrent_requests, l.concurrent_requests, "concurrent_requests", number);
    usageCell(row, u.tokens_today, l.tokens_per_day, "tokens_today", number);
    usageCell(row, u.tokens_this_month, l.tokens_per_month, "tokens_this_month", number);
    usageCell(row, u.usd_today, l.usd_per_day, "usd_today", usd);
    usageCell(row, u.usd_this_month, l.usd_per_month, "usd_this_month", usd);
    const actions = cell(row, "", "actions");
    const edit = el("button", "Set limits", { type: "button", "aria-label": `Set limits of ${user.name}` });
    edit.addEventListener("click", () => openLimits(user));
    actions.appendChild(edit);
    body.appendChild(row);
  }
}

function openLimits(user) {
  editing = user;
  $("limits-user").textContent = `${user.name} (${user.id})`;
  const form = $("limits-form");
  for (const name of limitFields) {
    const value = user.own_limits[name];
    form.elements[name].value = value === null || value === undefined ? "" : String(value);
  }
  $("limits-error").hidden = true;
  $("limits-dialog").showModal();
}

async function saveLimits(event) {
  event.preventDefault();
  const form = $("limits-form");
  const body = {};
  for (const name of limitFields) {
    const text = form.elements[name].value.trim();
    body[name] = text === "" ? null : Number(text);
  }
  try {
    await change("PUT", api.limits(editing.id), body);
    $("limits-dialog").close();
    editing = null;
    await refresh();
  } catch (e) {
    $("limits-error").textContent = e.message;
    $("limits-error").hidden = false;
  }
}

// --- upstream keys -------------------------------------------------------------------------------------------------

function renderKeys(keys) {
  const body = $("keys-table").tBodies[0];
  body.replaceChildren();
  for (const key of keys) {
    const row = el("tr", null, { "data-key": `${key.provider}/${key.id}`, "data-state": key.state });
    cell(row, `${key.provider} / ${key.id}`, "key");
    cell(row, key.fingerprint ? "sha256:" + key.fingerprint : "–", "fingerprint");
    const state = cell(row, "", "state");
    state.appendChild(el("span", key.state, { class: "badge " + (key.state === "active" ? "good" : key.state === "disabled" ? "bad" : "warn") }));
    if (key.reason) state.appendChild(el("small", key.reason));
    if (key.error) state.appendChild(el("small", key.error, { class: "error" }));
    cell(row, key.until ? `${clock(key.until)} (${relative(key.until)})` : "–", "until");
    cell(row, relative(key.next_allowed_at), "next_allowed_at");
    const limits = [];
    if (key.requests_per_minute) limits.push(`${number(key.requests_per_minute)} req/min`);
    if (key.tokens_per_minute) limits.push(`${number(key.tokens_per_minute)} tok/min`);
    if (key.max_concurrent) limits.push(`${number(key.max_concurrent)} concurrent`);
    limits.push(`weight ${key.weight}`);
    cell(row, limits.join(", "), "limits");
    const learnt = [];
    if (key.held_until) learnt.push(`held ${relative(key.held_until)}`);
    if (key.window_remaining !== null && key.window_remaining !== undefined) learnt.push(`${number(key.window_remaining)} left until ${clock(key.window_until)}`);
    learnt.push(`window ${Number(key.upstream_window_seconds).toLocaleString("en-US")} s`);
    cell(row, learnt.join(", "), "learnt");
    cell(row, number(key.in_flight), "in_flight");
    const actions = cell(row, "", "actions");
    if (key.state !== "active" && key.state !== "unknown") {
      const enable = el("button", "Re-enable", { type: "button", "aria-label": `Re-enable ${key.provider}/${key.id}` });
      enable.addEventListener("click", () => enableKey(key, enable));
      actions.appendChild(enable);
    }
    body.appendChild(row);
  }
}

async function enableKey(key, button) {
  button.disabled = true;
  const message = $("keys-message");
  try {
    const result = await change("POST", api.enable(key.provider, key.id));
    message.textContent = `${key.provider}/${key.id} is ${result.state} again.`;
    message.className = "note";
  } catch (e) {
    message.textContent = `Re-enabling ${key.provider}/${key.id} failed: ${e.message}`;
    message.className = "error";
  }
  message.hidden = false;
  await refresh();
}

// --- deployments ---------------------------------------------------------------------------------------------------

function renderDeployments(deployments, bySilo) {
  const members = new Map();
  for (const model of deployments.models) {
    for (const m of model.deployments) {
      if (!members.has(m.deployment)) members.set(m.deployment, []);
      members.get(m.deployment).push(`${model.id} (${m.weight}, p${m.priority})`);
    }
  }
  const body = $("deployments-table").tBodies[0];
  body.replaceChildren();
  for (const d of deployments.data) {
    let first = true;
    for (const silo of bySilo) {
      const row = el("tr", null, { "data-deployment": d.id, "data-silo": silo.silo, "data-local": String(silo.local), class: first ? "group" : null });
      cell(row, first ? d.id : "", "id");
      cell(row, first ? `${d.type} · ${(members.get(d.id) || []).join(", ")}` : "", "models");
      const name = cell(row, silo.silo, "silo");
      if (silo.local) name.appendChild(el("span", "this page's", { class: "badge" }));
      const view = silo.data ? silo.data.find(v => v.id === d.id) : null;
      if (!view) {
        cell(row, silo.error || "–", "circuit", { colspan: "4", class: silo.error ? "error" : null });
      } else {
        const circuit = cell(row, "", "circuit");
        circuit.appendChild(el("span", view.circuit, { class: "badge " + (view.circuit === "closed" ? "good" : view.circuit === "open" ? "bad" : "warn") }));
        cell(row, view.open_until ? clock(view.open_until) : "–", "open_until");
        cell(row, Number(view.latency_ms).toLocaleString("en-US", { maximumFractionDigits: 1 }), "latency_ms");
        cell(row, number(view.in_flight), "in_flight");
      }
      body.appendChild(row);
      first = false;
    }
  }
}

// --- conversations -------------------------------------------------------------------------------------------------

function renderConversations(conversations) {
  $("conversations-error").hidden = !conversations.error;
  $("conversations-error").textContent = conversations.error || "";
  const body = $("conversations-table").tBodies[0];
  body.replaceChildren();
  for (const c of conversations.data) {
    const row = el("tr", null, { "data-conversation-id": c.id, class: "clickable" });
    const idCell = cell(row, "", "id");
    const open = el("button", c.id, { type: "button", class: "link", "aria-label": `Working context of ${c.id}` });
    open.addEventListener("click", () => showContext(c.id));
    idCell.appendChild(open);
    cell(row, c.owner_user_id ?? "–", "owner");
    cell(row, c.model ?? "–", "model");
    cell(row, c.loaded ? number(c.items) : "idle", "items");
    cell(row, c.loaded ? number(c.context_tokens) : "–", "context_tokens");
    cell(row, c.loaded ? number(c.budget) : "–", "budget");
    cell(row, c.loaded ? (c.summary === "none" ? "none" : `${c.summary} (${number(c.summarized_messages)} folded)`) : "–", "summary");
    cell(row, clock(c.last_used_at), "last_used_at");
    body.appendChild(row);
  }
}

async function showContext(id) {
  const panel = $("context");
  try {
    const w = await call(api.context(id));
    $("context-id").textContent = w.conversation_id;
    const facts = $("context-facts");
    facts.replaceChildren();
    const fact = (name, value) => { facts.appendChild(el("dt", name)); facts.appendChild(el("dd", value ?? "–")); };
    fact("Owner", w.owner_user_id);
    fact("Model", w.model);
    fact("Encoding", w.encoding);
    fact("Budget", number(w.budget));
    fact("Context tokens", number(w.context_tokens));
    fact("Transcript items", number(w.transcript_items));
    fact("Dropped items", number(w.dropped_items));
    fact("Summary being written", w.summary_pending ? "yes" : "no");
    fact("Activated on", w.silo);
    $("context-system").textContent = w.system_prompt ? `${w.system_prompt.text}\n(${number(w.system_prompt.tokens)} tokens)` : "none";
    $("context-summary").textContent = w.summary ? `${w.summary.text}\n(${number(w.summary.tokens)} tokens, folds ${number(w.summary.summarized_messages)} messages through #${w.summary.covers_through_seq})` : "none";
    const items = $("context-items").tBodies[0];
    items.replaceChildren();
    for (const item of w.items) {
      const row = el("tr");
      cell(row, item.seq, "seq");
      cell(row, item.id, "item");
      cell(row, item.role, "role");
      cell(row, number(item.tokens), "tokens");
      items.appendChild(row);
    }
    panel.hidden = false;
  } catch (e) {
    showError(`Working context of ${id}: ${e.message}`);
  }
}

// --- the loop ------------------------------------------------------------------------------------------------------

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = !message;
}

async function refresh() {
  clearTimeout(timer);
  try {
    snapshot = await call(api.snapshot);
    refreshMs = snapshot.refresh_ms;
    $("silo").textContent = `· answered by silo ${snapshot.silo}`;
    renderUsers(snapshot.users);
    renderKeys(snapshot.upstream_keys);
    renderDeployments(snapshot.deployments, snapshot.deployments_by_silo);
    renderConversations(snapshot.conversations);
    $("live").textContent = `live · updated ${clock(snapshot.generated_at)}`;
    $("live").className = "live";
    showError("");
  } catch (e) {
    $("live").textContent = "not updating";
    $("live").className = "live stale";
    showError(`The console could not be refreshed: ${e.message}`);
  } finally {
    timer = setTimeout(refresh, refreshMs);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("limits-form").addEventListener("submit", saveLimits);
  $("limits-cancel").addEventListener("click", () => $("limits-dialog").close());
  $("context-close").addEventListener("click", () => { $("context").hidden = true; });
  refresh();
});
