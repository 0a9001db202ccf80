// The console's waiting list: who waits for this counter, for how long
// (coloured against the branch's target), and the clock that keeps the timers
// running.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $ } = C;

  function renderWaiting() {
    const list = $("waiting");
    const w = S.waiting;
    $("waiting-count").textContent = String(w.length);
    $("waiting-empty").hidden = w.length > 0;
    $("next-reason").textContent = w.length ? `${T.next}: ${w[0].number} — ${C.reasonText(w[0].call_reason ? w[0] : { call_reason_code: "next_in_line" })}` : "";
    list.replaceChildren(...w.map((t, i) => {
      const sec = QB.secondsSince(t.issued_at);
      return QB.el("li", { class: "wait-" + C.waitClass(sec) + (i === 0 ? " first" : ""), dataset: { ticketId: t.id, number: t.number } },
        QB.el("span", { class: "num", text: t.number }),
        QB.el("span", { class: "svc", text: C.serviceName(t.service_id), title: C.serviceName(t.service_id) }),
        t.appointment_at ? QB.el("span", { class: "appt", text: C.hm(t.appointment_at), title: T.appointment({ hm: C.hm(t.appointment_at) }) }) : null,
        t.priority > 0 ? QB.el("span", { class: "prio", text: T.levelChip(t.priority), title: T.level(t.priority) }) : null,
        window.QBTiers ? window.QBTiers.chip(t) : null,
        i > 0 && t.call_reason && t.call_reason !== "next in line" ? QB.el("span", { class: "why", text: C.reasonText(t), title: C.reasonText(t) }) : null,
        QB.el("span", { class: "waited", title: T.waitedFor, dataset: { since: t.issued_at }, text: QB.duration(sec) }));
    }));
  }

  function renderLegend() {
    const red = C.redMinutes();
    $("legend").textContent = (S.settings.max_wait_minutes > 0 ? T.legendCap : T.legend)({ g: Math.min(C.GREEN_MINUTES, red), cap: red });
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
      const cls = "wait-" + C.waitClass(sec);
      if (!li.classList.contains(cls)) {
        li.classList.remove("wait-ok", "wait-warn", "wait-late");
        li.classList.add(cls);
      }
    }
    for (const w of $("parked").querySelectorAll(".waited")) w.textContent = QB.duration(QB.secondsSince(w.dataset.since));
  }

  Object.assign(C, { renderWaiting, renderLegend, tick });
})();
