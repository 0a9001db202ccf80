// The counter console's core: its words, its state, what it loads from the
// box, and the counter chooser. The panels are in console-*.js (loaded after
// this file, console-start.js last); they share this file's state through
// window.QBConsole.
"use strict";

(() => {
  const C = window.QBConsole = {};

  // The words are in console.i18n.js; T.x is "English · 中文".
  const T = QB.words("console");
  T.level = (p) => (p >= 0 && p <= 2 ? T["level" + p] : T.levelN({ p }));
  T.levelChip = (p) => (p === 2 ? "VIP" : "P" + p);
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

  // reasonText words why the box called (or would call) t from its
  // reason's code and parameters (call_reason_code, call_reason_args: the
  // box's API.md lists them), English with the Chinese beside it ("waited
  // past the 30-min cap · 等候超过 30 分钟上限"). What staff typed when
  // calling by number is shown as typed. A ticket without a code (called
  // before codes were kept) shows the box's English words.
  function reasonText(t) {
    const code = t && t.call_reason_code;
    if (!code) return (t && t.call_reason) || "";
    const a = t.call_reason_args || {};
    if (code === "by_number") return `${T.reason_by_number({ by: a.by || "" })}: ${a.text || ""}`;
    const key = "reason_" + code;
    if (!QB.text.table("console", "en")[key]) return t.call_reason || code;
    const level = (lang, l) => QB.text.table("console", lang)["level_" + l] || l;
    const vars = {
      min: (lang) => T.in(lang, (a.minutes || 0) < 1 ? "reasonUnderMin" : "reasonMin", { n: a.minutes || 0 }),
      cap: a.cap_minutes || 0,
      at: a.at || "",
      share: a.share || 0,
      priority: a.priority || 0,
      tier: (lang) => (lang === "zh" && window.QBTiers && QBTiers.zh ? QBTiers.zh(a.tier_name || a.tier) : a.tier_name || a.tier || ""),
      level: (lang) => level(lang, a.level),
      weights: (lang) => (a.weights || []).map((w) => `${w.weight} ${level(lang, w.level)}`).join(" : "),
    };
    const one = (lang) => T.in(lang, key, vars) + (a.before_booked ? T.in(lang, "reasonBeforeBooked", { at: a.before_booked }) : "");
    const en = one("en"), zh = one("zh");
    return zh && zh !== en ? `${en} · ${zh}` : en;
  }

  function outcomeCodes(t) {
    const s = t && S.services.get(t.service_id);
    return (s && s.outcome_codes) || [];
  }

  // outcomeLabel words an outcome code of t's service for people, in both
  // languages as the admin labelled it ("Account opened · 已开户"); a code
  // without labels is shown as it is.
  function outcomeLabel(t, code) {
    const s = t && S.services.get(t.service_id);
    const l = (s && s.outcome_labels && s.outcome_labels[code]) || {};
    const words = [l.en, l.zh].filter(Boolean);
    return words.length ? words.join(" · ") : code;
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
    C.renderCurrent();
    C.renderWaiting();
    C.renderParked();
    C.renderAppts();
  }
  async function loadSettings() {
    S.settings = await QB.api("GET", "/settings") || S.settings;
    $("branch").textContent = S.settings.branch_name || "";
    C.renderLegend();
    C.renderWaiting();
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
      C.setCurrent(pickCurrent(r && r.active));
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
    C.renderWaiting();
  }

  function softError(e) {
    if (e.status === 401) { QB.toLogin(); return; }
    if (e.status !== 0) setMsg(errorText(e), "error");
  }

  // errorText words a refusal of the box in both languages from its code
  // (err_<code> in console.i18n.js); a code without words there is shown
  // in the box's own English.
  function errorText(e) {
    const key = "err_" + (e && e.code);
    return QB.text.table("console", "en")[key] ? T[key] : (e && e.message) || "";
  }

  // --- counter choice ---

  function selectCounter(id) {
    S.counterId = id;
    S.current = null;
    S.waiting = [];
    S.parked = new Map();
    S.gen++;
    store(id);
    C.closePanel();
    setMsg("");
    $("chooser").hidden = true;
    $("console").hidden = false;
    renderCounters();
    C.renderCurrent();
    C.renderWaiting();
    C.renderParked();
    C.renderAppts();
    loadCurrent();
    refreshQueue();
    C.loadParked();
    takeSeat();
  }

  // takeSeat tells the box this console is at the counter, and warns when
  // another clerk's console is at it too: both would call customers to the
  // same desk. Said again every minute while the console is open.
  async function takeSeat() {
    const id = S.counterId;
    if (!id) return;
    let r;
    try {
      r = await QB.api("POST", `/counters/${enc(id)}/seat`);
    } catch (e) {
      return; // the warning is a help, not a gate: the next minute tries again
    }
    if (S.counterId !== id) return;
    const also = (r && r.also) || [];
    const banner = $("seat-banner");
    banner.hidden = also.length === 0;
    if (also.length) {
      const c = counter();
      banner.textContent = T.seatShared({ who: also.map((m) => m.username).join(", "), ctr: c ? c.name : id });
    }
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
    const opts = S.counters.map((c) => QB.el("option", { value: c.id, text: c.name + (c.paused ? ` (${T.pausedTag})` : "") }));
    if (!S.counterId) opts.unshift(QB.el("option", { value: "", text: "—" }));
    sel.replaceChildren(...opts);
    sel.value = S.counterId;
    const c = counter();
    const paused = !!(c && c.paused);
    $("paused-banner").hidden = !paused;
    const key = paused ? "resume" : "pause";
    $("pause-label").replaceChildren(T.in("en", key), QB.el("small", { text: T.in("zh", key) }));
    $("pause-btn").classList.toggle("on", paused);
    C.renderButtons();
  }

  Object.assign(C, { T, STORE_KEY, PARKED_KEY, PRINTER_POLL_MS, APPTS_POLL_MS, DEFAULT_RED_MINUTES, GREEN_MINUTES, $, enc, S, counter, serviceName, outcomeCodes, outcomeLabel, hm, redMinutes, waitClass, setMsg, store, stored, takeSeat, reasonText, errorText, loadCounters, loadServices, loadSettings, pickCurrent, loadCurrent, refreshQueue, softError, selectCounter, showChooser, renderCounters });
})();
