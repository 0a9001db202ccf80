// The console's clock alert (the box distrusts its clock; admins confirm it)
// and undoing a no-show, of a ticket or of a booking.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $ } = C;

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
    $("clock-text").textContent = T.clockWrong({ says });
    $("clock-confirm").hidden = !S.me || S.me.role !== "admin";
  }

  async function confirmClock() {
    try {
      renderClock(await QB.api("POST", "/clock/confirm"));
    } catch (e) {
      C.setMsg(C.errorText(e), "error");
    }
  }

  async function revertNoShow(id) {
    try {
      const t = await QB.api("POST", `/tickets/${id}/revert-no-show`);
      C.setMsg(T.reverted({ n: t.number }), "ok");
      C.refreshQueue();
    } catch (e) {
      C.setMsg(C.errorText(e), "error");
    }
  }

  async function revertAppt(code) {
    try {
      await QB.api("POST", `/appointments/${encodeURIComponent(code)}/revert-no-show`);
      C.loadAppts();
    } catch (e) {
      C.setMsg(C.errorText(e), "error");
    }
  }

  Object.assign(C, { renderClock, confirmClock, revertNoShow, revertAppt });
})();
