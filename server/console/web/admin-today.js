// The manager's first screen: today's figures, live. The figures come from
// GET /reports/today; the queue topic of the live socket says when anything
// changed, and the page asks again (at most every 250 ms) — no polling. The
// longest wait ticks on this page between events.
"use strict";

(() => {
  const T = QB.words("admin.today"); // admin.i18n.js
  const $ = (id) => document.getElementById(id);
  const el = QB.el;

  // The section's frame is static markup (no data from users): it lives here
  // so admin.html holds only the empty section.
  $("today").innerHTML = `
  <h2 id="today-h">Today, live · 今日实时 <span class="muted" id="today-date"></span> <span class="live-state" id="today-live" role="status"></span></h2>
  <div class="kpis" id="today-kpis" aria-live="polite"></div>
  <div class="today-alerts" id="today-alerts" role="status"></div>
  <table tabindex="0">
    <thead><tr><th>Service · 业务</th><th>Waiting · 等候</th><th>Longest · 最长</th><th>Issued · 取号</th><th>Served · 已办</th><th>No-show · 过号</th><th>p50</th><th>p90</th><th>Within target · 达标率</th><th>Target · 目标</th></tr></thead>
    <tbody id="today-services"></tbody>
  </table>
  <h3>Closing the day · 日终</h3>
  <div class="closing">
    <button type="button" id="issuing-toggle"></button>
    <button type="button" class="danger" id="send-home"></button>
    <button type="button" id="day-end-btn"></button>
    <span class="section-msg" id="closing-msg" role="status"></span>
  </div>
  <p class="muted" id="issuing-state"></p>
  <p class="hint">Waiting customers are still served after issuing stops; end their tickets only if the branch cannot reach them today. · 停止取号后仍可继续叫号；只有今天确实无法为等候的客户办理时，才结束他们的票。</p>
  <div id="day-end" hidden></div>`;
  $("send-home").textContent = T.sendHome;
  $("day-end-btn").textContent = T.dayEnd;
  const dur = (s) => (s === null || s === undefined ? T.none : QB.duration(s));
  const pct = (f) => (f === null || f === undefined ? T.none : Math.round(f * 100) + "%");
  let view = null;
  let timer = null;

  const nameOf = QBAdmin.nameOf;
  // Alerts about a tier name it as the manager does ("Gold · 金卡"), not by its id.
  let tierNames = {};
  QB.api("GET", "/tiers").then((ts) => {
    tierNames = {};
    for (const t of ts) tierNames[t.id] = nameOf(t);
    if (view) render();
  }, () => {});

  function kpi(key, label, value, extra) {
    return el("div", { class: "kpi" + (extra ? " " + extra : ""), dataset: { todayKpi: key } },
      el("span", { class: "kpi-label", text: label }),
      el("span", { class: "kpi-value", text: value }));
  }

  function render() {
    const v = view;
    const t = v.total || {};
    const longest = v.oldest_issued_at ? QB.secondsSince(v.oldest_issued_at) : 0;
    $("today-kpis").replaceChildren(
      kpi("waiting_now", T.waiting, String(v.waiting_now)),
      kpi("longest_wait_now", T.longest, v.oldest_issued_at ? QB.duration(longest) : T.none, v.alerts.some((a) => a.reason === "waiting_too_long") ? "bad" : ""),
      kpi("served", T.served, String(t.served || 0)),
      kpi("no_show", T.noShow, String(t.no_show || 0)),
      kpi("walk_outs", T.walkOuts, String(t.walk_outs || 0)),
      kpi("wait_avg", T.avgWait, dur(t.wait_avg_seconds === null ? null : Math.round(t.wait_avg_seconds))),
      kpi("wait_p90", T.p90Wait, dur(t.wait_p90_seconds)),
      kpi("counters_open", T.counters, `${v.counters_open} / ${v.counters_total} (${v.counters_busy} ${T.busy})`));
    const names = {};
    for (const s of v.services) names[s.id] = nameOf(s);
    const alerts = v.alerts.map((a) => {
      const target = QB.duration(a.target_seconds);
      const name = (a.kind === "tier" ? tierNames : names)[a.key] || a.key;
      const text = a.reason === "waiting_too_long"
        ? T.tooLong({ name, wait: QB.duration(a.longest_wait_now_seconds), target })
        : T.shareLow({ kind: T.w(a.kind === "tier" ? "tier" : "svc"), name, share: pct(a.sla_met_share), target });
      return el("li", { dataset: { alert: a.kind + ":" + a.key }, text });
    });
    const box = $("today-alerts");
    box.replaceChildren(alerts.length ? el("ul", {}, alerts) : el("p", { class: "ok", text: T.allGood }));
    box.dataset.kind = alerts.length ? "alert" : "ok";
    $("today-services").replaceChildren(...v.services.map((s) => el("tr", { class: s.alert ? "alert" : "", dataset: { todayService: s.id } },
      el("td", { text: nameOf(s) }),
      el("td", { class: "num", text: String(s.waiting_now) }),
      el("td", { class: "num", dataset: { oldest: s.oldest_issued_at || "" }, text: s.oldest_issued_at ? QB.duration(QB.secondsSince(s.oldest_issued_at)) : T.none }),
      el("td", { class: "num", text: String(s.issued) }),
      el("td", { class: "num", text: String(s.served) }),
      el("td", { class: "num", text: String(s.no_show) }),
      el("td", { class: "num", text: dur(s.wait_p50_seconds) }),
      el("td", { class: "num", text: dur(s.wait_p90_seconds) }),
      el("td", { class: "num", text: pct(s.sla_met_share) }),
      el("td", { class: "num", text: QB.duration(s.target_seconds) }))));
    $("today-date").textContent = v.date;
    $("issuing-toggle").textContent = v.issuing_stopped ? T.resumeIssuing : T.stopIssuing;
    $("issuing-state").textContent = v.issuing_stopped ? T.stopped : "";
    $("today").dataset.issuingStopped = v.issuing_stopped ? "1" : "0";
    $("today").dataset.seq = String(v.seq);
  }

  // tick moves the waiting clocks on between events.
  function tick() {
    if (!view) return;
    const longest = document.querySelector('[data-today-kpi="longest_wait_now"] .kpi-value');
    if (longest && view.oldest_issued_at) longest.textContent = QB.duration(QB.secondsSince(view.oldest_issued_at));
    for (const td of document.querySelectorAll("#today-services td[data-oldest]")) {
      if (td.dataset.oldest) td.textContent = QB.duration(QB.secondsSince(td.dataset.oldest));
    }
  }

  async function load() {
    timer = null;
    try {
      view = await QB.api("GET", "/reports/today");
      render();
      $("today").dataset.ready = "1";
    } catch (e) {
      if (e.status === 401) QB.toLogin();
    }
  }

  function soon() {
    if (!timer) timer = setTimeout(load, 250);
  }

  function twoStep(btn, fn) {
    if (btn.dataset.armed) {
      delete btn.dataset.armed;
      btn.textContent = T.sendHome;
      fn();
      return;
    }
    btn.dataset.armed = "1";
    btn.textContent = T.confirm;
    setTimeout(() => {
      if (btn.dataset.armed) { delete btn.dataset.armed; btn.textContent = T.sendHome; }
    }, 4000);
  }

  function message(text, kind) {
    const m = $("closing-msg");
    m.textContent = text;
    m.dataset.kind = kind || "ok";
  }

  async function toggleIssuing() {
    try {
      await QB.api("PUT", "/issuing", { stopped: !(view && view.issuing_stopped) });
      await load();
    } catch (e) { message(e.message, "error"); }
  }

  async function sendHome(btn) {
    twoStep(btn, async () => {
      try {
        const r = await QB.api("POST", "/queue/send-home");
        message(T.sentHome({ n: r.sent_home }));
        await load();
      } catch (e) { message(e.message, "error"); }
    });
  }

  async function dayEnd() {
    try {
      const d = await QB.api("GET", "/reports/day-end");
      const row = (key, r) => el("tr", {},
        el("td", { text: key }), el("td", { class: "num", text: String(r.issued) }), el("td", { class: "num", text: String(r.served) }),
        el("td", { class: "num", text: String(r.no_show) }), el("td", { class: "num", text: String(r.cancelled) }),
        el("td", { class: "num", text: String(r.expired) }),
        el("td", { class: "num", text: dur(r.wait_p50_seconds) }), el("td", { class: "num", text: dur(r.wait_p90_seconds) }),
        el("td", { class: "num", text: pct(r.sla_met_share) }),
        el("td", { class: "num", text: r.rating_avg === null ? T.none : r.rating_avg.toFixed(2) + " (" + r.ratings + ")" }));
      const head = (first) => el("thead", {}, el("tr", {}, [first, T.issued, T.colServed, T.colNoShow, T.colCancelled, T.colExpired, "p50", "p90", T.sla, T.rating].map((h) => el("th", { text: h }))));
      $("day-end").replaceChildren(
        el("h3", { text: `${T.dayEnd} — ${d.date}` }),
        el("p", { text: T.stillOpen({ w: d.still_waiting, a: d.still_active - d.still_waiting }) + " · " + T.comments({ n: d.comments }) }),
        el("table", { tabindex: "0", dataset: { dayEnd: "services" } }, head(T.service), el("tbody", {}, d.services.map((r) => row(r.key, r)), row(T.total, d.total))),
        el("table", { tabindex: "0", dataset: { dayEnd: "staff" } }, head(T.staff), el("tbody", {}, d.staff.map((r) => row(r.key, r)))));
      $("day-end").hidden = false;
    } catch (e) { message(e.message, "error"); }
  }

  function onState(st) {
    $("today-live").textContent = st === "live" ? T.live : T.reconnecting;
    $("today-live").dataset.state = st;
  }

  $("issuing-toggle").addEventListener("click", toggleIssuing);
  $("send-home").addEventListener("click", (e) => sendHome(e.currentTarget));
  $("day-end-btn").addEventListener("click", dayEnd);
  setInterval(tick, 1000);
  load();
  QBLive.connect({ topic: "queue", onSnapshot: soon, onEvent: soon, onState });
})();
