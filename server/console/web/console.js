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
    pause: "Pause · 暂停",
    resume: "Resume · 恢复",
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
    cancelled: (n) => `${n} cancelled · 已取消`,
    transferred: (n, s) => `${n} moved to ${s} · 已转移`,
    pausedMsg: "Counter paused · 窗口已暂停",
    resumedMsg: "Counter resumed · 窗口已恢复",
    priority: (p) => `priority ${p} · 优先`,
    recalls: (n) => `called ${n + 1}× · 呼叫 ${n + 1} 次`,
    from: (s) => `transferred from ${s} · 转自`,
    legend: (g, cap, capped) => `Waited: green under ${g} min · amber · red past ${cap} min` +
      (capped ? " (the branch's cap) · 超时标红" : " · 超时标红"),
    waitedFor: "waited · 已等",
  };
  const STORE_KEY = "qb.console.counter";
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
    transferOpen: false,
  };

  function counter() { return S.counters.find((c) => c.id === S.counterId) || null; }

  function serviceName(id) {
    const s = S.services.get(id);
    if (!s) return id;
    const zh = s.names && s.names.zh;
    return zh && zh !== s.name ? `${s.name} · ${zh}` : s.name;
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

  // --- counter choice ---

  function selectCounter(id) {
    S.counterId = id;
    S.current = null;
    S.waiting = [];
    S.gen++;
    store(id);
    closeTransfer();
    setMsg("");
    $("chooser").hidden = true;
    $("console").hidden = false;
    renderCounters();
    renderCurrent();
    renderWaiting();
    loadCurrent();
    refreshQueue();
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
    $("pause-label").textContent = paused ? T.resume : T.pause;
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
      cancel: st === "called",
      pause: !!c,
    };
    for (const b of document.querySelectorAll("#actions [data-action]")) {
      b.disabled = S.busy || !can[b.dataset.action];
    }
    $("next").disabled = S.busy || !c || c.paused;
  }

  function setCurrent(t) {
    S.current = t;
    if (!t) closeTransfer();
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
      const waited = t.called_at ? (Date.parse(t.called_at) - Date.parse(t.issued_at)) / 1000 : QB.secondsSince(t.issued_at);
      $("current-waited").textContent = QB.duration(waited);
      $("current-reason").textContent = t.call_reason || "—";
      const extra = [];
      if (t.priority > 0) extra.push(T.priority(t.priority));
      if (t.recalls > 0) extra.push(T.recalls(t.recalls));
      if (t.transfers && t.transfers.length) extra.push(T.from(t.transfers.map(serviceName).join(" → ")));
      $("current-extra").textContent = extra.join(" · ");
      $("current-extra-row").hidden = extra.length === 0;
    }
    tick();
    renderButtons();
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
        t.priority > 0 ? QB.el("span", { class: "prio", text: "P" + t.priority, title: T.priority(t.priority) }) : null,
        i > 0 && t.call_reason && t.call_reason !== "next in line" ? QB.el("span", { class: "why", text: t.call_reason }) : null,
        QB.el("span", { class: "waited", title: T.waitedFor, dataset: { since: t.issued_at }, text: QB.duration(sec) }));
    }));
  }

  function renderLegend() {
    const red = redMinutes();
    $("legend").textContent = T.legend(Math.min(GREEN_MINUTES, red), red, S.settings.max_wait_minutes > 0);
  }

  // tick keeps the running clocks moving without rebuilding the list.
  function tick() {
    const t = S.current;
    if (t && t.called_at) {
      let txt = QB.duration(QB.secondsSince(t.called_at)) + " " + T.sinceCall;
      if (t.status === "serving" && t.started_at) txt += " · " + QB.duration(QB.secondsSince(t.started_at)) + " " + T.inService;
      $("current-timer").textContent = txt;
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
  }

  // --- actions ---

  async function act(fn) {
    if (S.busy) return;
    S.busy = true;
    S.gen++;
    renderButtons();
    try {
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
  }

  const tid = () => enc(S.current.id);

  const actions = {
    next: () => act(async () => {
      const c = counter();
      if (!c) return;
      if (c.paused) { setMsg(T.paused, "error"); return; }
      const prev = S.current;
      const t = await QB.api("POST", `/counters/${enc(c.id)}/next`);
      if (!t) { setMsg(T.nobody, "info"); return; }
      setCurrent(t);
      setMsg(prev && prev.id !== t.id ? T.autoDone(prev.number) : "", "ok");
    }),
    recall: () => act(async () => {
      setCurrent(await QB.api("POST", `/tickets/${tid()}/recall`));
      setMsg(T.recalled(S.current.number), "ok");
    }),
    start: () => act(async () => {
      setCurrent(await QB.api("POST", `/tickets/${tid()}/start`));
      setMsg(T.started(S.current.number), "ok");
    }),
    // Finish on a ticket that was only called records the start too: staff
    // should not need two keys for a customer who simply came and went.
    finish: () => act(async () => {
      if (S.current.status === "called") setCurrent(await QB.api("POST", `/tickets/${tid()}/start`));
      const t = await QB.api("POST", `/tickets/${tid()}/finish`);
      setCurrent(null);
      setMsg(T.done(t.number), "ok");
    }),
    noshow: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/no-show`);
      setCurrent(null);
      setMsg(T.noShow(t.number), "ok");
    }),
    cancel: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/cancel`);
      setCurrent(null);
      setMsg(T.cancelled(t.number), "ok");
    }),
    transfer: () => { if (S.transferOpen) closeTransfer(); else openTransfer(); },
    pause: () => act(async () => {
      const c = counter();
      const out = await QB.api("POST", `/counters/${enc(c.id)}/${c.paused ? "resume" : "pause"}`);
      upsertCounter(out);
      setMsg(out.paused ? T.pausedMsg : T.resumedMsg, "ok");
    }),
  };

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
    $("transfer").hidden = false;
    S.transferOpen = true;
  }

  function closeTransfer() {
    $("transfer").hidden = true;
    S.transferOpen = false;
  }

  function transferTo(serviceID) {
    closeTransfer();
    return act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/transfer`, { service_id: serviceID });
      setCurrent(null);
      setMsg(T.transferred(t.number, serviceName(serviceID)), "ok");
    });
  }

  function run(name) {
    const b = name === "next" ? $("next") : document.querySelector(`#actions [data-action="${name}"]`);
    if (b && b.disabled) {
      if (!S.busy) setMsg(name === "next" && counter() && counter().paused ? T.paused : T.notNow, "info");
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

  // --- live ---

  function onSnapshot(data) {
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
          }
        }
        break;
      case "service_changed":
        loadServices().catch(softError);
        break;
      case "settings_changed":
        loadSettings().catch(softError);
        break;
    }
    refreshQueue();
    const mine = (ctr && ctr.id === S.counterId && type !== "counter_changed") ||
      (tk && S.current && tk.id === S.current.id);
    if (mine && !S.busy) loadCurrent();
  }

  function onState(st) {
    $("conn").dataset.state = st;
    $("conn-text").textContent = T[st] || st;
    $("reconnecting").hidden = st !== "reconnecting" && st !== "gone";
    // A socket refused for an expired session looks like a network drop;
    // the API tells the two apart.
    if (st === "reconnecting") QB.api("GET", "/session").catch((e) => { if (e.status === 401) QB.toLogin(); });
  }

  // --- keyboard ---

  const KEYS = { " ": "next", r: "recall", s: "start", f: "finish", n: "noshow", t: "transfer", c: "cancel", p: "pause" };

  function typing(target) {
    if (!target || !target.tagName) return false;
    return ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) || target.isContentEditable;
  }

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing || typing(e.target)) return;
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (!$("chooser").hidden) {
      if (/^[1-9]$/.test(k) && S.counters[+k - 1]) { e.preventDefault(); selectCounter(S.counters[+k - 1].id); }
      return;
    }
    if (S.transferOpen) {
      if (k === "Escape" || k === "t") { e.preventDefault(); closeTransfer(); return; }
      if (/^[1-9]$/.test(k)) {
        e.preventDefault();
        const s = transferTargets()[+k - 1];
        if (s) transferTo(s.id);
        return;
      }
    }
    const name = KEYS[k];
    if (!name) return;
    // Space on a focused button would also click it: one key, one action.
    e.preventDefault();
    if (!e.repeat) run(name);
  });
  document.addEventListener("keyup", (e) => {
    if (e.key === " " && e.target && e.target.tagName === "BUTTON") e.preventDefault();
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
  $("logout").addEventListener("click", QB.logout);

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
  }

  init();
})();
