// The admin page's webhooks section: list, add (the secret is shown once),
// send a test event, read the delivery log, delete.
"use strict";

(() => {
  const T = QB.words("admin.webhooks"); // admin.i18n.js
  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const el = QB.el;

  function msg(text, kind) {
    const m = $("webhooks-msg");
    m.textContent = text;
    m.className = "section-msg " + (kind || "");
  }

  function when(iso) {
    const d = new Date(iso);
    return Number.isFinite(d.getTime()) ? d.toLocaleString() : "";
  }

  function result(a) {
    if (!a) return T.never;
    return (a.ok ? T.ok : T.failed) + (a.status ? ` · HTTP ${a.status}` : "") + (a.error && !a.ok ? ` · ${a.error}` : "");
  }

  async function load() {
    const list = await QB.api("GET", "/webhooks") || [];
    const rows = list.map((w) => {
      const del = el("button", { type: "button", text: T.del, dataset: { action: "delete" } });
      del.addEventListener("click", () => {
        if (del.dataset.armed) return remove(w);
        del.dataset.armed = "1";
        del.textContent = T.confirm;
      });
      return el("tr", { dataset: { webhookId: w.id }, class: w.last_attempt && !w.last_attempt.ok ? "off" : "" },
        el("td", { class: "url", text: w.url }),
        el("td", { text: w.events.join(", ") }),
        el("td", { dataset: { webhookResult: "" } }, w.last_attempt ? when(w.last_attempt.at) + " · " : "", result(w.last_attempt)),
        el("td", {},
          el("button", { type: "button", text: T.test, dataset: { action: "test" }, onclick: () => test(w) }), " ",
          el("button", { type: "button", text: T.log, dataset: { action: "log" }, onclick: () => showLog(w) }), " ",
          del));
    });
    $("webhooks-body").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, class: "muted", text: T.none }))]));
  }

  async function test(w) {
    try {
      const a = await QB.api("POST", `/webhooks/${enc(w.id)}/test`);
      msg(a.ok ? T.testOK({ status: String(a.status) }) : T.testFailed({ why: a.error }), a.ok ? "ok" : "error");
    } catch (err) {
      msg(err.message, "error");
    }
    await load().catch((err) => msg(err.message, "error"));
  }

  async function showLog(w) {
    try {
      const log = await QB.api("GET", `/webhooks/${enc(w.id)}/deliveries`) || [];
      $("webhook-log-title").textContent = T.logTitle({ url: w.url });
      const rows = log.map((a) => el("tr", { class: a.ok ? "" : "off" },
        el("td", { text: when(a.at) }), el("td", { text: a.type }), el("td", { text: String(a.attempt) }), el("td", { text: result(a) })));
      $("webhook-log-body").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: 4, class: "muted", text: T.noLog }))]));
      $("webhook-log").hidden = false;
    } catch (err) {
      msg(err.message, "error");
    }
  }

  async function remove(w) {
    try {
      await QB.api("DELETE", `/webhooks/${enc(w.id)}`);
      msg(T.deleted, "ok");
      $("webhook-log").hidden = true;
    } catch (err) {
      msg(err.message, "error");
    }
    await load().catch((err) => msg(err.message, "error"));
  }

  async function add(e) {
    e.preventDefault();
    const f = e.target;
    f.querySelectorAll("[data-error-for]").forEach((n) => { n.textContent = ""; });
    const events = f.elements.events.value.split(",").map((s) => s.trim()).filter(Boolean);
    let w;
    try {
      w = await QB.api("POST", "/webhooks", { url: f.elements.url.value.trim(), events: events.length ? events : ["*"] });
    } catch (err) {
      if (err.code === "webhook_exists") {
        const id = (err.data && err.data.error && err.data.error.id) || "";
        f.querySelector('[data-error-for="url"]').textContent = T.exists({ id });
        return;
      }
      // The message names the field: url or events[i].
      const field = /^events/.test(err.message) ? "events" : /url/.test(err.message) ? "url" : "";
      f.querySelector(`[data-error-for="${field}"]`).textContent = err.message;
      return;
    }
    f.reset();
    $("webhook-secret-value").textContent = w.secret;
    $("webhook-secret").hidden = false;
    msg(T.added, "ok");
    await load().catch((err) => msg(err.message, "error"));
  }

  $("webhook-form").addEventListener("submit", add);
  load().catch((err) => msg(err.message, "error"));
})();
