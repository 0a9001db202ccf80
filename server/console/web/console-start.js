// The console's start: the live feed, the buttons' wiring, and init. Loaded
// last.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $ } = C;

  // --- live ---

  function onSnapshot(data) {
    C.renderClock(data.clock);
    if (data.counters) {
      S.counters = data.counters;
      if (S.counterId && !C.counter()) { C.showChooser(T.counterGone); return; }
      C.renderCounters();
    }
    if (S.counterId && !S.busy) {
      S.gen++;
      C.setCurrent(C.pickCurrent(data.active));
    }
    C.refreshQueue();
    // Events missed while away may have moved parked tickets or bookings.
    if (S.counterId) C.loadParked();
    C.loadAppts();
  }

  function onEvent(type, data) {
    data = data || {};
    const tk = data.ticket, ctr = data.counter;
    switch (type) {
      case "counter_changed":
        if (ctr) {
          if (data.deleted) {
            S.counters = S.counters.filter((c) => c.id !== ctr.id);
            if (ctr.id === S.counterId) { C.showChooser(T.counterGone); return; }
            C.renderCounters();
          } else {
            C.upsertCounter(ctr);
            C.renderAppts();
          }
        }
        break;
      case "service_changed":
        C.loadServices().catch(C.softError);
        break;
      case "settings_changed":
        C.loadSettings().catch(C.softError);
        break;
      case "parked":
        if (tk) C.addParked(tk, data.at);
        break;
      case "issued":
        // A kiosk ticket goes to the printer: its state is news soon.
        C.checkPrinterSoon(3000);
        break;
      case "pushed_back":
      case "no_show":
        // The box's clock (the grace time) took the ticket off this card:
        // say why, or the card just empties.
        if (tk && data.actor === "clock" && S.current && tk.id === S.current.id) {
          C.setMsg((type === "pushed_back" ? T.pushedBack : T.clockNoShow)({ n: tk.number }), "info");
        }
        break;
    }
    if (type.startsWith("clock_")) C.renderClock(data.clock);
    if (type.startsWith("appointment_")) C.loadAppts();
    if (tk && tk.status !== "parked") C.dropParked(tk.id);
    C.refreshQueue();
    const mine = (ctr && ctr.id === S.counterId && type !== "counter_changed") ||
      (tk && S.current && tk.id === S.current.id);
    if (mine && !S.busy) C.loadCurrent();
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

  // --- wiring ---

  $("next").addEventListener("click", () => C.run("next"));
  for (const b of document.querySelectorAll("#actions [data-action]")) {
    b.addEventListener("click", () => C.run(b.dataset.action));
  }
  $("counter").addEventListener("change", (e) => {
    if (e.target.value) C.selectCounter(e.target.value);
    e.target.blur();
  });
  $("notes").addEventListener("input", () => {
    $("notes-state").textContent = C.notesDirty() ? T.notesUnsaved : "";
  });
  $("notes").addEventListener("blur", () => { C.saveNotes(); });
  $("bynumber").addEventListener("submit", C.callByNumber);
  for (const b of $("issue-levels").children) b.addEventListener("click", () => C.setLevel(+b.dataset.level));
  $("issued-close").addEventListener("click", C.closePanel);
  // A corrected phone number takes its error away.
  $("issue-phone").addEventListener("input", () => {
    $("issue-error").textContent = "";
    $("issue-phone").removeAttribute("aria-invalid");
  });
  $("issued-print").addEventListener("click", C.printIssued);
  $("logout").addEventListener("click", QB.logout);
  $("clock-confirm").addEventListener("click", C.confirmClock);
  $("msg").addEventListener("click", (e) => {
    const id = e.target.dataset && e.target.dataset.revertNoShow;
    if (id) C.revertNoShow(id);
  });
  $("appts").addEventListener("click", (e) => {
    const code = e.target.dataset && e.target.dataset.revertAppt;
    if (code) C.revertAppt(code);
  });
  $("keys-on").checked = localStorage.getItem(C.KEYS_KEY) !== "off";
  $("keys-on").addEventListener("change", (e) => {
    localStorage.setItem(C.KEYS_KEY, e.target.checked ? "on" : "off");
    e.target.blur();
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
      C.setMsg(C.errorText(e), "error");
      return;
    }
    $("who").textContent = S.me.username;
    $("admin-link").hidden = S.me.role !== "admin";
    try {
      await Promise.all([C.loadCounters(), C.loadServices(), C.loadSettings()]);
    } catch (e) {
      C.softError(e);
    }
    const saved = C.stored();
    if (saved && S.counters.some((c) => c.id === saved)) C.selectCounter(saved);
    else C.showChooser(S.counters.length ? "" : T.noCounters);
    QBLive.connect({ topic: "queue", onSnapshot, onEvent, onState });
    setInterval(C.tick, 1000);
    setInterval(C.takeSeat, 60 * 1000);
    C.pollPrinter();
    setInterval(C.pollPrinter, C.PRINTER_POLL_MS);
    setInterval(C.loadAppts, C.APPTS_POLL_MS);
  }

  init();
})();
