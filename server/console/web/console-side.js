// The console's side boxes: tickets parked at this counter, today's
// appointments, and the printer's state.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $, enc } = C;

  // --- parked tickets ---

  function saveParked() {
    if (!S.counterId) return;
    const list = [...S.parked.values()].map((p) => ({ id: p.t.id, at: p.at }));
    try { localStorage.setItem(PARKED_KEY + S.counterId, JSON.stringify(list)); } catch (e) { /* not remembered */ }
  }

  function addParked(t, at) {
    if (t.counter_id !== S.counterId) return;
    const old = S.parked.get(t.id);
    S.parked.set(t.id, { t, at: (old && old.at) || at || new Date(QB.now()).toISOString() });
    saveParked();
    renderParked();
  }

  function dropParked(id) {
    if (!S.parked.delete(id)) return;
    saveParked();
    if (S.panel === "parked" && S.parked.size === 0) C.closePanel();
    renderParked();
  }

  // loadParked asks the box which tickets are parked at this counter, so
  // every desk PC of the counter shows the same list.
  async function loadParked() {
    const id = S.counterId;
    let res;
    try {
      res = await QB.api("GET", `/counters/${enc(id)}/parked`);
    } catch (e) {
      if (e.status === 401) QB.toLogin();
      return; // unreachable: keep what is shown until the box can say
    }
    if (id !== S.counterId) return;
    S.parked = new Map((res.parked || []).map((t) => [t.id, { t, at: t.parked_at }]));
    saveParked();
    renderParked();
  }

  function parkedList() {
    return [...S.parked.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  }

  // --- appointments ---

  async function loadAppts() {
    try {
      S.appts = await QB.api("GET", "/appointments") || [];
    } catch (e) {
      if (e.status === 401) QB.toLogin();
      return;
    }
    renderAppts();
  }

  // --- printer ---

  let printerTimer = 0, printerRetried = false;
  async function pollPrinter() {
    let st;
    try {
      st = await QB.api("GET", "/printer");
    } catch (e) {
      if (e.status === 401) QB.toLogin();
      return;
    }
    renderPrinter(st);
    // A queue that has not reached its printer yet says "unknown": ask
    // again soon rather than hide a problem for a whole poll interval.
    if (st && st.state === "unknown" && !printerRetried) {
      printerRetried = true;
      checkPrinterSoon(2000);
    }
  }

  // checkPrinterSoon polls once more shortly: a kiosk ticket was just issued
  // and its print shows the printer's state within a moment.
  function checkPrinterSoon(ms) {
    if (printerTimer) return;
    printerTimer = setTimeout(() => { printerTimer = 0; pollPrinter(); }, ms);
  }

  function renderPrinter(st) {
    const banner = $("printer-banner");
    const what = st && ("printer_" + st.state) in T ? T.w("printer_" + st.state) : null;
    const low = st && st.near_end && !what;
    banner.hidden = !what && !low;
    banner.dataset.state = st ? st.state : "";
    banner.classList.toggle("warn", !!low);
    if (banner.hidden) return;
    $("printer-text").textContent = T.printerNeeds({ what: what || T.w("paperLow") });
    $("printer-detail").textContent = st.queued > 0 ? "— " + T.printQueued({ n: st.queued }) : "";
    banner.title = st.last_error || "";
  }

  function renderParked() {
    const list = parkedList();
    $("parked-box").hidden = list.length === 0;
    $("parked-box").classList.toggle("picking", S.panel === "parked");
    $("parked-count").textContent = String(list.length);
    $("parked").replaceChildren(...list.map((p, i) => QB.el("li", { dataset: { ticketId: p.t.id, number: p.t.number } },
      i < 9 ? QB.el("kbd", { text: String(i + 1) }) : QB.el("span", { class: "kbd-gap" }),
      QB.el("span", { class: "num", text: p.t.number }),
      QB.el("span", { class: "svc", text: C.serviceName(p.t.service_id) }),
      QB.el("span", { class: "waited", title: T.parkedAgo, dataset: { since: p.at }, text: QB.duration(QB.secondsSince(p.at)) }),
      QB.el("button", { type: "button", class: "callback", text: T.callBack, onclick: () => callBack(p.t.id) }))));
  }

  function renderAppts() {
    const c = C.counter();
    const mine = S.appts.filter((a) => !c || (c.service_ids || []).includes(a.service_id));
    $("appts-count").textContent = String(mine.filter((a) => a.status === "booked" || a.status === "checked_in").length);
    $("appts-empty").hidden = mine.length > 0;
    const now = QB.now();
    $("appts").replaceChildren(...mine.map((a) => QB.el("li", {
      class: "appt-" + a.status + (Date.parse(a.end) < now ? " past" : ""), dataset: { code: a.code },
    },
    QB.el("span", { class: "time", text: C.hm(a.start) }),
    QB.el("span", { class: "code", text: a.code }),
    QB.el("span", { class: "who", text: a.name || C.serviceName(a.service_id), title: C.serviceName(a.service_id) }),
    QB.el("span", { class: "state", text: (T["appt_" + a.status] || a.status) }),
    a.status === "no_show" ? QB.el("button", { type: "button", class: "link", dataset: { revertAppt: a.code }, text: T.revertNoShow }) : null)));
  }

  async function callBack(id) {
    if (S.busy) return;
    C.closePanel();
    const pre = await C.settle();
    if (!pre) return;
    C.act(async () => {
      await C.finishFirst(pre);
      const t = await QB.api("POST", `/counters/${enc(S.counterId)}/call`, { ticket_id: id, reason: T.backFromParking });
      dropParked(id);
      C.setCurrent(t);
      C.setMsg(T.calledBack({ n: t.number }), "ok");
    });
  }

  Object.assign(C, { saveParked, addParked, dropParked, loadParked, parkedList, loadAppts, pollPrinter, checkPrinterSoon, renderPrinter, renderParked, renderAppts, callBack });
})();
