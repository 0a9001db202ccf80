"use strict";

(() => {
  const T = {
    connecting: "Connecting… · 连接中",
    live: "Live · 实时",
    reconnecting: "Reconnecting… · 重新连接中",
    gone: "Disconnected — reload · 已断开",
    nobody: "Nobody is waiting · 暂无等候",
    paused: "The counter is paused — press P to resume · 窗口已暂停，按 P 恢复",
    counterGone: "This counter was removed — choose another · 该窗口已删除，请重新选择",
    noServices: "serves no service yet · 暂无业务",
    noCounters: "No counters yet — an admin adds them under Admin → Counters · 尚无窗口，请管理员添加",
    called: "Called · 已呼叫",
    serving: "Serving · 办理中",
    pause: ["Pause", "暂停"],
    resume: ["Resume", "恢复"],
    pausedTag: " (paused · 暂停)",
    notNow: "Nothing to do that to now · 当前无法执行",
    sinceCall: "since the call · 呼叫后",
    inService: "in service · 办理",
    nextIs: (n, why) => `Next: ${n} — ${why} · 下一位`,
    done: (n) => `${n} finished · 已完成`,
    autoDone: (n) => `${n} finished, next called · 已完成并叫下一位`,
    recalled: (n) => `${n} called again · 已重呼`,
    started: (n) => `${n} in service · 开始办理`,
    noShow: (n) => `${n} marked no-show · 已记为未到`,
    reverted: (n) => `${n} is back in the queue · 已重新排队`,
    undoNoShow: "Undo · 撤销",
    revertNoShow: "Came after all · 已到，撤销未到",
    clockWrong: (says) => `The box's clock seems wrong: it says ${says}; check the time or confirm. New numbers wait; waiting customers are still served. · 本机时间似乎有误（显示 ${says}），请核对时间或确认。暂停取号，等候的客户照常办理。`,
    cancelled: (n) => `${n} cancelled · 已取消`,
    transferred: (n, s) => `${n} moved to ${s} · 已转移`,
    pausedMsg: "Counter paused · 窗口已暂停",
    resumedMsg: "Counter resumed · 窗口已恢复",
    recalls: (n) => `called ${n + 1}× · 呼叫 ${n + 1} 次`,
    from: (s) => `transferred from ${s} · 转自`,
    legend: (g, cap, capped) => `Waited: green under ${g} min · amber · red past ${cap} min` +
      (capped ? " (the branch's cap) · 超时标红" : " · 超时标红"),
    waitedFor: "waited · 已等",
    level: (p) => (p >= 0 && p <= 2 ? ["Normal · 普通", "Priority · 优先", "VIP · 贵宾"][p] : `level ${p} · 级别 ${p}`),
    levelChip: (p) => (p === 2 ? "VIP" : "P" + p),
    outcomeFor: (n) => `Outcome for ${n} · 办理结果`,
    outcomeBefore: (n) => `Outcome for ${n} before the next customer · 先记录 ${n} 的办理结果`,
    doneWith: (n, o) => `${n} finished: ${o} · 已完成`,
    parkedMsg: (n) => `${n} parked — B calls it back · 已暂挂，按 B 叫回`,
    parkedAgo: "parked · 暂挂",
    callBack: "Call back · 叫回",
    backFromParking: "back from parking",
    calledBack: (n) => `${n} called back · 已叫回`,
    nothingParked: "Nothing is parked at this counter · 本窗口无暂挂",
    pickParked: "Which parked ticket? Press its number (1–9), Esc to stop · 按序号叫回",
    calledByNumber: (n, why) => `${n} called — ${why} · 已指定叫号`,
    needNumber: "Type the ticket number, e.g. A023 · 请输入号码",
    needReason: "Say why this ticket goes first — it is logged · 请填写原因（会被记录）",
    noSuchNumber: (n) => `No active ticket ${n} · 没有号码为 ${n} 的有效票`,
    issued: (n) => `${n} issued · 已取号`,
    sentToPrinter: "Sent to the printer · 已发送打印",
    waitingN: (n) => `${n} waiting · ${n} 人等候`,
    notesSaving: "saving… · 保存中",
    notesSaved: "saved · 已保存",
    notesUnsaved: "not saved yet · 未保存",
    notesFailed: "not saved · 保存失败",
    appointment: (hm) => `Appointment ${hm} · 预约`,
    guideNone: "The guide of the ticket's service shows here when you call · 叫号后在此显示办理指引",
    guideMissing: (s) => `No guide for ${s} yet — an admin can add one · 该业务暂无指引`,
    apptStatus: { booked: "booked · 已预约", checked_in: "checked in · 已签到", no_show: "no-show · 未到", cancelled: "cancelled · 已取消" },
    printerNeeds: (what) => `Printer needs attention: ${what}`,
    printerState: {
      paper_out: "paper out · 打印机缺纸",
      cover_open: "cover open · 打印机盖未关",
      offline: "offline — check power and cable · 打印机离线",
    },
    paperLow: "paper running low · 打印纸即将用完",
    printQueued: (n) => `${n} ticket${n === 1 ? "" : "s"} waiting to print · ${n} 张待打印`,
  };
  const STORE_KEY = "qb.console.counter";
  // Parked tickets are not in the queue snapshot: each counter remembers its
  // own, and the box confirms them on load.
  const PARKED_KEY = "qb.console.parked.";
  const PRINTER_POLL_MS = 10000;
  const APPTS_POLL_MS = 5 * 60 * 1000;
  // Without a branch cap the list still needs a point where amber turns red.
  const DEFAULT_RED_MINUTES = 30;
  const GREEN_MINUTES = 10;

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;

  const S = {
    me: null,
    counters: [],
    services: new Map(),
    settings: { max_wait_minutes: 0 },
    counterId: "",
    current: null,
    waiting: [],
    busy: false,
    // gen changes whenever a local action runs, so an /active answer that was
    // in flight meanwhile cannot bring back a ticket just finished here.
    gen: 0,
    // panel is the one open helper below the actions: "", "transfer",
    // "outcome", "bynumber", "issue" or "parked" (choosing what to call back).
    panel: "",
    outcome: null, // { codes, resolve } while the outcome picker is open
    parked: new Map(), // id → { t, at }
    issueLevel: 0,
    issued: null,
    queued: "", // a key pressed while a request was out, run after it
    appts: [],
    // notes belong to one ticket: what the box has, and a save in flight.
    notes: { id: "", saved: "", saving: null },
  };

  function counter() { return S.counters.find((c) => c.id === S.counterId) || null; }

  function serviceName(id) {
    const s = S.services.get(id);
    if (!s) return id;
    const zh = s.names && s.names.zh;
    return zh && zh !== s.name ? `${s.name} · ${zh}` : s.name;
  }

  function outcomeCodes(t) {
    const s = t && S.services.get(t.service_id);
    return (s && s.outcome_codes) || [];
  }

  // hm shows a time as the branch's wall clock, whatever this PC's zone is.
  function hm(iso) {
    const d = new Date(iso);
    const o = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    try {
      return new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: S.settings.timezone || undefined }, o)).format(d);
    } catch (e) {
      return new Intl.DateTimeFormat("en-GB", o).format(d);
    }
  }

  function redMinutes() {
    return S.settings.max_wait_minutes > 0 ? S.settings.max_wait_minutes : DEFAULT_RED_MINUTES;
  }

  function waitClass(sec) {
    const red = redMinutes(), green = Math.min(GREEN_MINUTES, red);
    if (sec > red * 60) return "late";
    if (sec >= green * 60) return "warn";
    return "ok";
  }

  function setMsg(text, kind) {
    const m = $("msg");
    m.textContent = text || "";
    m.dataset.kind = kind || "info";
  }

  function store(id) {
    try { localStorage.setItem(STORE_KEY, id); } catch (e) { /* private mode: just not remembered */ }
  }
  function stored() {
    try { return localStorage.getItem(STORE_KEY) || ""; } catch (e) { return ""; }
  }

  // --- loading ---

  async function loadCounters() {
    S.counters = await QB.api("GET", "/counters") || [];
  }
  async function loadServices() {
    const list = await QB.api("GET", "/services") || [];
    S.services = new Map(list.map((s) => [s.id, s]));
    renderCurrent();
    renderWaiting();
    renderParked();
    renderAppts();
  }
  async function loadSettings() {
    S.settings = await QB.api("GET", "/settings") || S.settings;
    $("branch").textContent = S.settings.branch_name || "";
    renderLegend();
    renderWaiting();
  }

  function pickCurrent(active) {
    return (active || []).find((t) => t.counter_id === S.counterId &&
      (t.status === "called" || t.status === "serving")) || null;
  }

  async function loadCurrent() {
    if (!S.counterId) return;
    const gen = S.gen, id = S.counterId;
    try {
      const r = await QB.api("GET", "/active");
      if (gen !== S.gen || id !== S.counterId || S.busy) return;
      setCurrent(pickCurrent(r && r.active));
    } catch (e) {
      softError(e);
    }
  }

  let qBusy = false, qAgain = false;
  // refreshQueue coalesces bursts of live events into one request at a time.
  async function refreshQueue() {
    if (!S.counterId) return;
    if (qBusy) { qAgain = true; return; }
    qBusy = true;
    try {
      do {
        qAgain = false;
        const id = S.counterId;
        const r = await QB.api("GET", `/counters/${enc(id)}/queue`);
        if (id === S.counterId) S.waiting = (r && r.waiting) || [];
      } while (qAgain);
    } catch (e) {
      softError(e);
    } finally {
      qBusy = false;
    }
    renderWaiting();
  }

  function softError(e) {
    if (e.status === 401) { QB.toLogin(); return; }
    if (e.status !== 0) setMsg(e.message, "error");
  }

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
    if (S.panel === "parked" && S.parked.size === 0) closePanel();
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
    const what = st && T.printerState[st.state];
    const low = st && st.near_end && !what;
    banner.hidden = !what && !low;
    banner.dataset.state = st ? st.state : "";
    banner.classList.toggle("warn", !!low);
    if (banner.hidden) return;
    $("printer-text").textContent = T.printerNeeds(what || T.paperLow);
    $("printer-detail").textContent = st.queued > 0 ? "— " + T.printQueued(st.queued) : "";
    banner.title = st.last_error || "";
  }

  // --- counter choice ---

  function selectCounter(id) {
    S.counterId = id;
    S.current = null;
    S.waiting = [];
    S.parked = new Map();
    S.gen++;
    store(id);
    closePanel();
    setMsg("");
    $("chooser").hidden = true;
    $("console").hidden = false;
    renderCounters();
    renderCurrent();
    renderWaiting();
    renderParked();
    renderAppts();
    loadCurrent();
    refreshQueue();
    loadParked();
  }

  function showChooser(note) {
    S.counterId = "";
    $("console").hidden = true;
    $("chooser").hidden = false;
    const list = $("chooser-list");
    list.replaceChildren(...S.counters.map((c, i) => QB.el("button", {
      type: "button", class: "choice", dataset: { counterId: c.id },
      onclick: () => selectCounter(c.id),
    }, QB.el("span", {}, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", c.name),
    QB.el("small", { text: (c.service_ids || []).map(serviceName).join(", ") || T.noServices }))));
    const empty = $("chooser-empty");
    empty.textContent = note || T.noCounters;
    empty.hidden = !note && S.counters.length > 0;
    renderCounters();
  }

  // --- rendering ---

  function renderCounters() {
    const sel = $("counter");
    const opts = S.counters.map((c) => QB.el("option", { value: c.id, text: c.name + (c.paused ? T.pausedTag : "") }));
    if (!S.counterId) opts.unshift(QB.el("option", { value: "", text: "—" }));
    sel.replaceChildren(...opts);
    sel.value = S.counterId;
    const c = counter();
    const paused = !!(c && c.paused);
    $("paused-banner").hidden = !paused;
    const [en, zh] = paused ? T.resume : T.pause;
    $("pause-label").replaceChildren(en, QB.el("small", { text: zh }));
    $("pause-btn").classList.toggle("on", paused);
    renderButtons();
  }

  function renderButtons() {
    $("console").dataset.busy = S.busy ? "1" : "";
    const st = S.current ? S.current.status : "";
    const c = counter();
    const can = {
      recall: st === "called",
      start: st === "called",
      finish: st === "called" || st === "serving",
      noshow: st === "called",
      transfer: st === "called" || st === "serving",
      park: st === "called" || st === "serving",
      cancel: st === "called",
      bynumber: !!c,
      issue: true,
      pause: !!c,
    };
    for (const b of document.querySelectorAll("#actions [data-action]")) {
      b.disabled = S.busy || !can[b.dataset.action];
    }
    $("next").disabled = S.busy || !c || c.paused;
  }

  function setCurrent(t) {
    S.current = t;
    if (!t && (S.panel === "transfer" || S.panel === "outcome")) closePanel();
    renderCurrent();
  }

  function renderCurrent() {
    const t = S.current;
    const card = $("current");
    card.dataset.state = t ? t.status : "none";
    card.dataset.ticketId = t ? t.id : "";
    $("current-empty").hidden = !!t;
    $("current-filled").hidden = !t;
    if (t) {
      $("current-number").textContent = t.number;
      $("current-status").textContent = t.status === "serving" ? T.serving : T.called;
      $("current-service").textContent = serviceName(t.service_id);
      const appt = $("current-appt");
      appt.hidden = !t.appointment_at;
      appt.textContent = t.appointment_at ? T.appointment(hm(t.appointment_at)) : "";
      const waited = t.called_at ? (Date.parse(t.called_at) - Date.parse(t.issued_at)) / 1000 : QB.secondsSince(t.issued_at);
      $("current-waited").textContent = QB.duration(waited);
      $("current-reason").textContent = t.call_reason || "—";
      const extra = [];
      if (t.priority > 0) extra.push(T.level(t.priority));
      if (t.recalls > 0) extra.push(T.recalls(t.recalls));
      if (t.transfers && t.transfers.length) extra.push(T.from(t.transfers.map(serviceName).join(" → ")));
      $("current-extra").textContent = extra.join(" · ");
      $("current-extra-row").hidden = extra.length === 0;
    }
    renderNotes();
    renderGuide();
    tick();
    renderButtons();
  }

  // renderNotes shows the current ticket's notes without overwriting what
  // staff are typing: a live update of the same ticket must not eat a word.
  function renderNotes() {
    const t = S.current, box = $("notes"), N = S.notes;
    if (!t) {
      if (N.id) { N.id = ""; N.saved = ""; box.value = ""; $("notes-state").textContent = ""; }
      return;
    }
    if (N.id !== t.id) {
      N.id = t.id;
      N.saved = t.notes || "";
      box.value = N.saved;
      $("notes-state").textContent = "";
      return;
    }
    if (document.activeElement !== box && box.value === N.saved && (t.notes || "") !== N.saved) {
      N.saved = t.notes || "";
      box.value = N.saved;
    }
  }

  function renderGuide() {
    const t = S.current;
    const svc = t && S.services.get(t.service_id);
    const guide = (svc && svc.guide) || "";
    $("guide").dataset.empty = guide ? "" : "1";
    $("guide-text").textContent = guide;
    $("guide-text").hidden = !guide;
    const empty = $("guide-empty");
    empty.hidden = !!guide;
    empty.textContent = t ? T.guideMissing(serviceName(t.service_id)) : T.guideNone;
  }

  function renderWaiting() {
    const list = $("waiting");
    const w = S.waiting;
    $("waiting-count").textContent = String(w.length);
    $("waiting-empty").hidden = w.length > 0;
    $("next-reason").textContent = w.length ? T.nextIs(w[0].number, w[0].call_reason || "next in line") : "";
    list.replaceChildren(...w.map((t, i) => {
      const sec = QB.secondsSince(t.issued_at);
      return QB.el("li", { class: "wait-" + waitClass(sec) + (i === 0 ? " first" : ""), dataset: { ticketId: t.id, number: t.number } },
        QB.el("span", { class: "num", text: t.number }),
        QB.el("span", { class: "svc", text: serviceName(t.service_id) }),
        t.appointment_at ? QB.el("span", { class: "appt", text: hm(t.appointment_at), title: T.appointment(hm(t.appointment_at)) }) : null,
        t.priority > 0 ? QB.el("span", { class: "prio", text: T.levelChip(t.priority), title: T.level(t.priority) }) : null,
        window.QBTiers ? window.QBTiers.chip(t) : null,
        i > 0 && t.call_reason && t.call_reason !== "next in line" ? QB.el("span", { class: "why", text: t.call_reason, title: t.call_reason }) : null,
        QB.el("span", { class: "waited", title: T.waitedFor, dataset: { since: t.issued_at }, text: QB.duration(sec) }));
    }));
  }

  function renderParked() {
    const list = parkedList();
    $("parked-box").hidden = list.length === 0;
    $("parked-box").classList.toggle("picking", S.panel === "parked");
    $("parked-count").textContent = String(list.length);
    $("parked").replaceChildren(...list.map((p, i) => QB.el("li", { dataset: { ticketId: p.t.id, number: p.t.number } },
      i < 9 ? QB.el("kbd", { text: String(i + 1) }) : QB.el("span", { class: "kbd-gap" }),
      QB.el("span", { class: "num", text: p.t.number }),
      QB.el("span", { class: "svc", text: serviceName(p.t.service_id) }),
      QB.el("span", { class: "waited", title: T.parkedAgo, dataset: { since: p.at }, text: QB.duration(QB.secondsSince(p.at)) }),
      QB.el("button", { type: "button", class: "callback", text: T.callBack, onclick: () => callBack(p.t.id) }))));
  }

  function renderAppts() {
    const c = counter();
    const mine = S.appts.filter((a) => !c || (c.service_ids || []).includes(a.service_id));
    $("appts-count").textContent = String(mine.filter((a) => a.status === "booked" || a.status === "checked_in").length);
    $("appts-empty").hidden = mine.length > 0;
    const now = QB.now();
    $("appts").replaceChildren(...mine.map((a) => QB.el("li", {
      class: "appt-" + a.status + (Date.parse(a.end) < now ? " past" : ""), dataset: { code: a.code },
    },
    QB.el("span", { class: "time", text: hm(a.start) }),
    QB.el("span", { class: "code", text: a.code }),
    QB.el("span", { class: "who", text: a.name || serviceName(a.service_id), title: serviceName(a.service_id) }),
    QB.el("span", { class: "state", text: T.apptStatus[a.status] || a.status }),
    a.status === "no_show" ? QB.el("button", { type: "button", class: "link", dataset: { revertAppt: a.code }, text: T.revertNoShow }) : null)));
  }

  function renderLegend() {
    const red = redMinutes();
    $("legend").textContent = T.legend(Math.min(GREEN_MINUTES, red), red, S.settings.max_wait_minutes > 0);
  }

  // tick keeps the running clocks moving without rebuilding the lists.
  function tick() {
    const t = S.current;
    if (t && t.called_at) {
      const lines = [QB.duration(QB.secondsSince(t.called_at)) + " " + T.sinceCall];
      if (t.status === "serving" && t.started_at) lines.push(QB.duration(QB.secondsSince(t.started_at)) + " " + T.inService);
      const box = $("current-timer");
      if (box.textContent !== lines.join("")) box.replaceChildren(...lines.map((l) => QB.el("span", { text: l })));
    }
    for (const li of $("waiting").children) {
      const w = li.querySelector(".waited");
      const sec = QB.secondsSince(w.dataset.since);
      w.textContent = QB.duration(sec);
      const cls = "wait-" + waitClass(sec);
      if (!li.classList.contains(cls)) {
        li.classList.remove("wait-ok", "wait-warn", "wait-late");
        li.classList.add(cls);
      }
    }
    for (const w of $("parked").querySelectorAll(".waited")) w.textContent = QB.duration(QB.secondsSince(w.dataset.since));
  }

  // --- notes ---

  function notesDirty() {
    return !!S.current && S.notes.id === S.current.id && $("notes").value !== S.notes.saved;
  }

  async function saveNotes() {
    if (S.notes.saving) await S.notes.saving;
    if (!notesDirty()) return;
    const id = S.current.id, text = $("notes").value;
    $("notes-state").textContent = T.notesSaving;
    S.notes.saving = (async () => {
      try {
        const t = await QB.api("POST", `/tickets/${enc(id)}/notes`, { notes: text });
        if (S.notes.id === id) {
          S.notes.saved = t.notes || "";
          $("notes-state").textContent = $("notes").value === S.notes.saved ? T.notesSaved : T.notesUnsaved;
        }
        if (S.current && S.current.id === id) S.current.notes = t.notes;
      } catch (e) {
        if (e.status === 401) { QB.toLogin(); return; }
        if (S.notes.id === id) {
          $("notes-state").textContent = T.notesFailed;
          setMsg(e.message, "error");
        }
      } finally {
        S.notes.saving = null;
      }
    })();
    await S.notes.saving;
  }

  // --- actions ---

  async function act(fn) {
    if (S.busy) return;
    S.busy = true;
    S.gen++;
    renderButtons();
    try {
      // Notes typed for a ticket reach the box before the ticket moves on.
      await saveNotes();
      await fn();
    } catch (e) {
      if (e.status === 401) { QB.toLogin(); return; }
      setMsg(e.message, "error");
      // A 409 or 404 means this screen was behind the box: catch up.
      if (e.status === 409 || e.status === 404) { S.gen++; queueMicrotask(loadCurrent); }
    } finally {
      S.busy = false;
      S.gen++;
      renderButtons();
    }
    refreshQueue();
    const q = S.queued;
    S.queued = "";
    if (q) run(q);
  }

  const tid = () => enc(S.current.id);

  // finishTicket ends t with an outcome and the notes on the card. A ticket
  // only called is started first: staff should not need two keys for a
  // customer who simply came and went.
  async function finishTicket(t, outcome) {
    if (t.status === "called") await QB.api("POST", `/tickets/${enc(t.id)}/start`);
    const body = {};
    if (outcome) body.outcome = outcome;
    if (S.notes.id === t.id) body.notes = $("notes").value;
    return QB.api("POST", `/tickets/${enc(t.id)}/finish`, body);
  }

  // settle asks for the outcome of the ticket in service before another
  // customer is called to this counter (calling finishes it). It resolves to
  // null when staff back out, else to what to finish first, if anything.
  async function settle() {
    const cur = S.current;
    if (!cur || cur.status !== "serving" || outcomeCodes(cur).length === 0) return {};
    const code = await pickOutcome(cur, T.outcomeBefore(cur.number));
    return code === null ? null : { ticket: cur, code };
  }

  async function finishFirst(pre) {
    if (pre && pre.ticket) await finishTicket(pre.ticket, pre.code);
  }

  const actions = {
    next: async () => {
      const pre = await settle();
      if (!pre) return;
      act(async () => {
        const c = counter();
        if (!c) return;
        if (c.paused) { setMsg(T.paused, "error"); return; }
        await finishFirst(pre);
        const prev = pre.ticket ? null : S.current;
        const t = await QB.api("POST", `/counters/${enc(c.id)}/next`);
        if (!t) {
          if (pre.ticket) setCurrent(null);
          setMsg(T.nobody, "info");
          return;
        }
        setCurrent(t);
        setMsg(prev && prev.id !== t.id ? T.autoDone(prev.number) : "", "ok");
      });
    },
    recall: () => act(async () => {
      setCurrent(await QB.api("POST", `/tickets/${tid()}/recall`));
      setMsg(T.recalled(S.current.number), "ok");
    }),
    start: () => act(async () => {
      setCurrent(await QB.api("POST", `/tickets/${tid()}/start`));
      setMsg(T.started(S.current.number), "ok");
    }),
    finish: async () => {
      const cur = S.current;
      let code = "";
      if (outcomeCodes(cur).length) {
        code = await pickOutcome(cur, T.outcomeFor(cur.number));
        if (code === null) return;
      }
      act(async () => {
        const t = await finishTicket(cur, code);
        setCurrent(null);
        setMsg(code ? T.doneWith(t.number, code) : T.done(t.number), "ok");
      });
    },
    noshow: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/no-show`);
      setCurrent(null);
      setMsg(T.noShow(t.number), "ok");
      // The customer may turn up a moment later: one click puts them back.
      $("msg").append(" ", QB.el("button", { type: "button", class: "link", dataset: { revertNoShow: t.id }, text: T.undoNoShow }));
    }),
    cancel: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/cancel`);
      setCurrent(null);
      setMsg(T.cancelled(t.number), "ok");
    }),
    park: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/park`);
      addParked(t);
      setCurrent(null);
      setMsg(T.parkedMsg(t.number), "ok");
    }),
    callback: async () => {
      const list = parkedList();
      if (list.length === 0) { setMsg(T.nothingParked, "info"); return; }
      if (list.length === 1) { callBack(list[0].t.id); return; }
      if (S.panel === "parked") { closePanel(); return; }
      openPanel("parked");
      setMsg(T.pickParked, "info");
    },
    transfer: () => { if (S.panel === "transfer") closePanel(); else openTransfer(); },
    bynumber: async () => {
      if (S.panel === "bynumber") { $("bynumber-number").focus(); return; }
      openPanel("bynumber");
      $("bynumber-error").textContent = "";
      $("bynumber-number").focus();
      $("bynumber-number").select();
    },
    issue: () => openIssue(),
    notes: () => {
      if (!S.current) { setMsg(T.notNow, "info"); return; }
      $("notes").focus();
    },
    pause: () => act(async () => {
      const c = counter();
      const out = await QB.api("POST", `/counters/${enc(c.id)}/${c.paused ? "resume" : "pause"}`);
      upsertCounter(out);
      setMsg(out.paused ? T.pausedMsg : T.resumedMsg, "ok");
    }),
  };

  async function callBack(id) {
    if (S.busy) return;
    closePanel();
    const pre = await settle();
    if (!pre) return;
    act(async () => {
      await finishFirst(pre);
      const t = await QB.api("POST", `/counters/${enc(S.counterId)}/call`, { ticket_id: id, reason: T.backFromParking });
      dropParked(id);
      setCurrent(t);
      setMsg(T.calledBack(t.number), "ok");
    });
  }

  async function callByNumber(e) {
    e.preventDefault();
    if (S.busy) return;
    const num = $("bynumber-number").value.trim().toUpperCase();
    const reason = $("bynumber-reason").value.trim();
    const err = $("bynumber-error");
    for (const i of [$("bynumber-number"), $("bynumber-reason")]) i.removeAttribute("aria-invalid");
    if (!num || !reason) {
      const bad = num ? $("bynumber-reason") : $("bynumber-number");
      err.textContent = num ? T.needReason : T.needNumber;
      bad.setAttribute("aria-invalid", "true");
      bad.focus();
      return;
    }
    err.textContent = "";
    const pre = await settle();
    if (!pre) { openPanel("bynumber"); $("bynumber-reason").focus(); return; }
    act(async () => {
      await finishFirst(pre);
      let t;
      try {
        t = await QB.api("POST", `/counters/${enc(S.counterId)}/call`, { number: num, reason });
      } catch (e) {
        if (e.status === 401) throw e;
        if (pre.ticket) setCurrent(null);
        openPanel("bynumber");
        err.textContent = e.status === 404 ? T.noSuchNumber(num) : e.message;
        const bad = e.status === 400 ? $("bynumber-reason") : $("bynumber-number");
        bad.setAttribute("aria-invalid", "true");
        bad.focus();
        return;
      }
      closePanel();
      $("bynumber-number").value = "";
      $("bynumber-reason").value = "";
      dropParked(t.id);
      setCurrent(t);
      setMsg(T.calledByNumber(t.number, t.call_reason), "ok");
    });
  }

  // --- panels ---

  const PANELS = { transfer: "transfer", outcome: "outcome", bynumber: "bynumber", issue: "issue" };

  function openPanel(name) {
    closePanel();
    S.panel = name;
    if (PANELS[name]) $(PANELS[name]).hidden = false;
    renderParked();
  }

  function closePanel() {
    const was = S.panel;
    S.panel = "";
    for (const id of Object.values(PANELS)) $(id).hidden = true;
    if (was === "outcome" && S.outcome) {
      const { resolve } = S.outcome;
      S.outcome = null;
      resolve(null);
    }
    // Focus left in a closed form would swallow the next shortcut.
    if (was === "bynumber" && $("bynumber").contains(document.activeElement)) document.activeElement.blur();
    if (was === "parked") renderParked();
  }

  // pickOutcome shows the service's outcome codes and resolves to the one
  // chosen, or null when staff press Esc.
  function pickOutcome(t, title) {
    const codes = outcomeCodes(t);
    openPanel("outcome");
    $("outcome-title").textContent = title;
    return new Promise((resolve) => {
      S.outcome = { codes, resolve };
      $("outcome-list").replaceChildren(...codes.map((c, i) => QB.el("button", {
        type: "button", dataset: { outcome: c }, class: i === 0 ? "first" : "", onclick: () => chooseOutcome(i),
      }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", c)));
    });
  }

  function chooseOutcome(i) {
    const o = S.outcome;
    if (!o || i < 0 || i >= o.codes.length) return;
    S.outcome = null;
    closePanel();
    o.resolve(o.codes[i]);
  }

  function transferTargets() {
    const from = S.current ? S.current.service_id : "";
    return [...S.services.values()].filter((s) => s.id !== from);
  }

  function openTransfer() {
    if (!S.current) return;
    const list = transferTargets();
    $("transfer-list").replaceChildren(...list.map((s, i) => QB.el("button", {
      type: "button", dataset: { transferService: s.id }, onclick: () => transferTo(s.id),
    }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", serviceName(s.id))));
    openPanel("transfer");
  }

  function transferTo(serviceID) {
    closePanel();
    return act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/transfer`, { service_id: serviceID });
      setCurrent(null);
      setMsg(T.transferred(t.number, serviceName(serviceID)), "ok");
    });
  }

  function issueServices() { return [...S.services.values()]; }

  function openIssue() {
    openPanel("issue");
    S.issued = null;
    $("issue-pick").hidden = false;
    $("issue-done").hidden = true;
    setLevel(0);
    $("issue-services").replaceChildren(...issueServices().map((s, i) => QB.el("button", {
      type: "button", dataset: { issueService: s.id }, onclick: () => issueFor(s.id),
    }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", serviceName(s.id),
    QB.el("small", { text: T.waitingN(s.waiting || 0) }))));
  }

  function setLevel(l) {
    S.issueLevel = l;
    for (const b of $("issue-levels").children) {
      const on = +b.dataset.level === l;
      b.setAttribute("aria-checked", on ? "true" : "false");
      b.classList.toggle("on", on);
    }
  }

  function issueFor(serviceID) {
    if (S.panel !== "issue" || S.issued) return;
    const level = S.issueLevel;
    return act(async () => {
      const t = await QB.api("POST", "/tickets", { service_id: serviceID, priority: level });
      S.issued = t;
      $("issue-pick").hidden = true;
      $("issue-done").hidden = false;
      $("issued-number").textContent = t.number;
      $("issued-service").textContent = serviceName(t.service_id);
      $("issued-level").textContent = T.level(t.priority);
      setMsg(T.issued(t.number), "ok");
    });
  }

  async function printIssued() {
    const t = S.issued;
    if (!t) return;
    try {
      await QB.api("POST", `/tickets/${enc(t.id)}/print`);
      setMsg(T.sentToPrinter, "ok");
    } catch (e) {
      softError(e);
    }
  }

  // panelKey handles a key meant for the open panel; true when it took it.
  function panelKey(k) {
    switch (S.panel) {
      case "transfer":
        if (k === "Escape" || k === "t") { closePanel(); return true; }
        if (/^[1-9]$/.test(k)) {
          const s = transferTargets()[+k - 1];
          if (s) transferTo(s.id);
          return true;
        }
        return false;
      case "outcome":
        if (k === "Escape") { closePanel(); return true; }
        if (k === "Enter") { chooseOutcome(0); return true; }
        if (/^[1-9]$/.test(k)) { chooseOutcome(+k - 1); return true; }
        // The picker stands between staff and the next customer: other
        // shortcuts wait until it is answered.
        return k in KEYS || k === "Enter";
      case "issue":
        if (k === "Escape") { closePanel(); return true; }
        if (S.issued) {
          if (k === "Enter") { closePanel(); return true; }
          if (k === "i") { openIssue(); return true; }
          return false;
        }
        if (k === "n" || k === "p" || k === "v") { setLevel({ n: 0, p: 1, v: 2 }[k]); return true; }
        if (/^[1-9]$/.test(k)) {
          const s = issueServices()[+k - 1];
          if (s) issueFor(s.id);
          return true;
        }
        return k in KEYS;
      case "parked":
        if (k === "Escape" || k === "b") { closePanel(); setMsg(""); return true; }
        if (/^[1-9]$/.test(k)) {
          const p = parkedList()[+k - 1];
          if (p) callBack(p.t.id);
          return true;
        }
        return false;
      case "bynumber":
        if (k === "Escape") { closePanel(); return true; }
        return false;
    }
    return false;
  }

  function run(name) {
    if (S.busy) {
      // Type-ahead: S then F at once still finishes. Never for Space: a
      // double tap would mark the next customer done unseen.
      if (name !== "next") S.queued = name;
      return;
    }
    const b = name === "next" ? $("next") : document.querySelector(`#actions [data-action="${name}"]`);
    if (b && b.disabled) {
      setMsg(name === "next" && counter() && counter().paused ? T.paused : T.notNow, "info");
      return;
    }
    actions[name]();
  }

  function upsertCounter(c) {
    const i = S.counters.findIndex((x) => x.id === c.id);
    if (i >= 0) S.counters[i] = c; else S.counters.push(c);
    S.counters.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    renderCounters();
  }

  // --- clock ---

  function renderClock(st) {
    if (!st) return;
    S.clock = st;
    $("clock-banner").hidden = !!st.trusted;
    if (st.trusted) return;
    const o = { year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    let says;
    try {
      says = new Intl.DateTimeFormat("en-CA", Object.assign({ timeZone: (S.settings && S.settings.timezone) || undefined }, o)).format(new Date(st.wall));
    } catch (e) {
      says = new Intl.DateTimeFormat("en-CA", o).format(new Date(st.wall));
    }
    $("clock-text").textContent = T.clockWrong(says);
    $("clock-confirm").hidden = !S.me || S.me.role !== "admin";
  }

  async function confirmClock() {
    try {
      renderClock(await QB.api("POST", "/clock/confirm"));
    } catch (e) {
      setMsg(e.message, "error");
    }
  }

  async function revertNoShow(id) {
    try {
      const t = await QB.api("POST", `/tickets/${id}/revert-no-show`);
      setMsg(T.reverted(t.number), "ok");
      refreshQueue();
    } catch (e) {
      setMsg(e.message, "error");
    }
  }

  async function revertAppt(code) {
    try {
      await QB.api("POST", `/appointments/${encodeURIComponent(code)}/revert-no-show`);
      loadAppts();
    } catch (e) {
      setMsg(e.message, "error");
    }
  }

  // --- live ---

  function onSnapshot(data) {
    renderClock(data.clock);
    if (data.counters) {
      S.counters = data.counters;
      if (S.counterId && !counter()) { showChooser(T.counterGone); return; }
      renderCounters();
    }
    if (S.counterId && !S.busy) {
      S.gen++;
      setCurrent(pickCurrent(data.active));
    }
    refreshQueue();
    // Events missed while away may have moved parked tickets or bookings.
    if (S.counterId) loadParked();
    loadAppts();
  }

  function onEvent(type, data) {
    data = data || {};
    const tk = data.ticket, ctr = data.counter;
    switch (type) {
      case "counter_changed":
        if (ctr) {
          if (data.deleted) {
            S.counters = S.counters.filter((c) => c.id !== ctr.id);
            if (ctr.id === S.counterId) { showChooser(T.counterGone); return; }
            renderCounters();
          } else {
            upsertCounter(ctr);
            renderAppts();
          }
        }
        break;
      case "service_changed":
        loadServices().catch(softError);
        break;
      case "settings_changed":
        loadSettings().catch(softError);
        break;
      case "parked":
        if (tk) addParked(tk, data.at);
        break;
      case "issued":
        // A kiosk ticket goes to the printer: its state is news soon.
        checkPrinterSoon(3000);
        break;
    }
    if (type.startsWith("clock_")) renderClock(data.clock);
    if (type.startsWith("appointment_")) loadAppts();
    if (tk && tk.status !== "parked") dropParked(tk.id);
    refreshQueue();
    const mine = (ctr && ctr.id === S.counterId && type !== "counter_changed") ||
      (tk && S.current && tk.id === S.current.id);
    if (mine && !S.busy) loadCurrent();
  }

  function onState(st) {
    $("conn").dataset.state = st;
    $("conn-text").textContent = T[st] || st;
    $("reconnecting").hidden = st !== "reconnecting" && st !== "gone";
    // The box closed the socket because this session ended (logout
    // elsewhere, disabled, new password): back to the login page.
    if (st === "ended") { QB.toLogin(); return; }
    // A socket refused for an expired session looks like a network drop;
    // the API tells the two apart.
    if (st === "reconnecting") QB.api("GET", "/session").catch((e) => { if (e.status === 401) QB.toLogin(); });
  }

  // --- keyboard ---

  const KEYS = {
    " ": "next", r: "recall", s: "start", f: "finish", n: "noshow", t: "transfer", k: "park",
    b: "callback", c: "cancel", "#": "bynumber", i: "issue", e: "notes", p: "pause",
  };

  const FOCUSING = new Set(["notes", "bynumber"]);
  let focusOnKeyUp = "";

  function typing(target) {
    if (!target || !target.tagName) return false;
    return ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) || target.isContentEditable;
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target)) {
      if (e.key !== "Escape") return;
      // Esc leaves a field: the notes are saved on the way out.
      e.preventDefault();
      if (e.target.id === "notes") e.target.blur();
      else if (S.panel === "bynumber" && $("bynumber").contains(e.target)) closePanel();
      else e.target.blur();
      return;
    }
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (!$("chooser").hidden) {
      if (/^[1-9]$/.test(k) && S.counters[+k - 1]) { e.preventDefault(); selectCounter(S.counters[+k - 1].id); }
      return;
    }
    if (S.panel && panelKey(k)) { e.preventDefault(); return; }
    const name = KEYS[k];
    if (!name) return;
    // Space on a focused button would also click it: one key, one action.
    e.preventDefault();
    if (e.repeat) return;
    // A key that moves focus into a field waits for its keyup, or its own
    // character could land in the field.
    if (FOCUSING.has(name)) focusOnKeyUp = name;
    else run(name);
  });
  document.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target && e.target.tagName === "BUTTON") e.preventDefault();
    if (focusOnKeyUp) {
      const name = focusOnKeyUp;
      focusOnKeyUp = "";
      run(name);
    }
  });

  // --- wiring ---

  $("next").addEventListener("click", () => run("next"));
  for (const b of document.querySelectorAll("#actions [data-action]")) {
    b.addEventListener("click", () => run(b.dataset.action));
  }
  $("counter").addEventListener("change", (e) => {
    if (e.target.value) selectCounter(e.target.value);
    e.target.blur();
  });
  $("notes").addEventListener("input", () => {
    $("notes-state").textContent = notesDirty() ? T.notesUnsaved : "";
  });
  $("notes").addEventListener("blur", () => { saveNotes(); });
  $("bynumber").addEventListener("submit", callByNumber);
  for (const b of $("issue-levels").children) b.addEventListener("click", () => setLevel(+b.dataset.level));
  $("issued-close").addEventListener("click", closePanel);
  $("issued-print").addEventListener("click", printIssued);
  $("logout").addEventListener("click", QB.logout);
  $("clock-confirm").addEventListener("click", confirmClock);
  $("msg").addEventListener("click", (e) => {
    const id = e.target.dataset && e.target.dataset.revertNoShow;
    if (id) revertNoShow(id);
  });
  $("appts").addEventListener("click", (e) => {
    const code = e.target.dataset && e.target.dataset.revertAppt;
    if (code) revertAppt(code);
  });

  // --- my password ---

  function showPasswordForm(open) {
    const f = $("pw-form");
    f.hidden = !open;
    $("pw-open").setAttribute("aria-expanded", String(open));
    $("pw-error").textContent = "";
    if (open) {
      f.reset();
      $("pw-ok").hidden = true;
      $("pw-current").focus();
    }
  }

  async function changePassword(e) {
    e.preventDefault();
    const cur = $("pw-current").value, pw = $("pw-new").value;
    if (pw.length < 8) { $("pw-error").textContent = "The new password needs at least 8 characters · 新密码至少8位"; return; }
    if (pw !== $("pw-again").value) { $("pw-error").textContent = "The two new passwords differ · 两次输入的新密码不一致"; return; }
    try {
      await QB.api("PUT", `/users/${encodeURIComponent(S.me.username)}`, { password: pw, current_password: cur });
    } catch (err) {
      if (err.status === 401) { QB.toLogin(); return; }
      $("pw-error").textContent = err.code === "wrong_password"
        ? "The current password is wrong · 当前密码不正确" : err.message;
      return;
    }
    $("pw-form").reset();
    $("pw-error").textContent = "";
    $("pw-ok").hidden = false;
  }

  $("pw-open").addEventListener("click", () => showPasswordForm($("pw-form").hidden));
  $("pw-cancel").addEventListener("click", () => showPasswordForm(false));
  $("pw-form").addEventListener("submit", changePassword);
  $("pw-form").addEventListener("keydown", (e) => {
    if (e.key === "Escape") { e.preventDefault(); e.stopPropagation(); showPasswordForm(false); }
  });

  async function init() {
    try {
      const s = await QB.api("GET", "/session");
      S.me = s.user;
    } catch (e) {
      if (e.status === 401) { QB.toLogin(); return; }
      setMsg(e.message, "error");
      return;
    }
    $("who").textContent = S.me.username;
    $("admin-link").hidden = S.me.role !== "admin";
    try {
      await Promise.all([loadCounters(), loadServices(), loadSettings()]);
    } catch (e) {
      softError(e);
    }
    const saved = stored();
    if (saved && S.counters.some((c) => c.id === saved)) selectCounter(saved);
    else showChooser(S.counters.length ? "" : T.noCounters);
    QBLive.connect({ topic: "queue", onSnapshot, onEvent, onState });
    setInterval(tick, 1000);
    pollPrinter();
    setInterval(pollPrinter, PRINTER_POLL_MS);
    setInterval(loadAppts, APPTS_POLL_MS);
  }

  init();
})();
