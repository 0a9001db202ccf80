// The admin page's "Lobby notice and holidays" section: post or take down
// the lobby display's notice, and keep the one calendar of holidays and
// special opening hours. Each date is either closed all day or open at its
// own hours. The settings' older closed_dates list is shown here as closed
// days, and saving moves it into special_days (PUT /special-days with
// "closed_dates": []), so special_days is the one source.
"use strict";

(() => {
  const T = QB.words("admin.calendar"); // admin.i18n.js
  const H = window.QBAdminHours;
  const $ = (id) => document.getElementById(id);
  // days: date → "" (closed) or "09:00-12:00"; drawn rows hold the edits.
  let days = {};

  function msg(id, text, kind) {
    const m = $(id);
    m.textContent = text;
    m.className = "section-msg " + (kind || "");
  }

  function fieldError(form, err) {
    form.querySelectorAll("[data-error-for]").forEach((n) => { n.textContent = ""; });
    form.querySelectorAll("[aria-invalid]").forEach((n) => n.removeAttribute("aria-invalid"));
    if (!err.message) return;
    const m = /^(special_days\.\d{4}-\d{2}-\d{2}|special_days|closed_dates|until|text|notice)/.exec(err.message);
    const field = m ? (m[1] === "notice" ? "text" : m[1]) : "";
    const slot = form.querySelector(`[data-error-for="${CSS.escape(field)}"]`) || form.querySelector('[data-error-for=""]');
    slot.textContent = err.message;
    const row = slot.closest("li");
    if (row) {
      const first = row.querySelector("input");
      if (first) { first.setAttribute("aria-invalid", "true"); first.focus(); }
    }
  }

  function shown(text, until) {
    return until ? T.shownUntil({ text, until: new Date(until).toLocaleTimeString() }) : T.shown({ text });
  }

  // weekday names a date's weekday ("Fri · 五"), for the admin to check
  // the date is the one meant.
  function weekday(date) {
    const d = new Date(date + "T12:00:00Z");
    return Number.isFinite(d.getTime()) ? H.dayName(H.DAYS[(d.getUTCDay() + 6) % 7]) : "";
  }

  // dayRow draws one date: closed all day, or special hours as ranges.
  function dayRow(date, hours) {
    const closed = hours === "";
    const name = "kind-" + date;
    const ranges = QB.el("div", { class: "ranges", dataset: { ranges: "" } });
    const add = QB.el("button", { type: "button", class: "link", text: QB.words("admin.hours").add });
    const sync = () => {
      const open = row.querySelector(`input[value="hours"]`).checked;
      if (open && ranges.children.length === 0) ranges.append(H.rangeRow(`${date} 1`, "09:00", "12:00", sync));
      ranges.hidden = !open;
      add.hidden = !open;
    };
    add.addEventListener("click", () => ranges.append(H.rangeRow(`${date} ${ranges.children.length + 1}`, "", "", sync)));
    const row = QB.el("li", { class: "day-row", dataset: { date } },
      QB.el("div", { class: "day-date" }, QB.el("strong", { text: date }), " ", QB.el("span", { class: "muted", text: weekday(date) })),
      QB.el("fieldset", { class: "day-kind" },
        QB.el("legend", { class: "qb-sr", text: date }),
        QB.el("label", {}, QB.el("input", { type: "radio", name, value: "closed", checked: closed, onchange: () => sync() }), " ", T.dateClosed),
        QB.el("label", {}, QB.el("input", { type: "radio", name, value: "hours", checked: !closed, onchange: () => sync() }), " ", T.dateHours)),
      ranges, add,
      QB.el("button", { type: "button", class: "link danger", text: "✕", "aria-label": T.removeDate({ date }),
        onclick: () => { row.remove(); drawEmpty(); } }),
      QB.el("p", { class: "field-error", "data-error-for": "special_days." + date }));
    if (!closed) H.fill(ranges, hours, date, sync);
    sync();
    return row;
  }

  function drawEmpty() {
    const none = $("days-none");
    none.textContent = T.noDates;
    none.hidden = $("days-list").children.length > 0;
  }

  function draw() {
    $("days-list").replaceChildren(...Object.keys(days).sort().map((d) => dayRow(d, days[d])));
    drawEmpty();
  }

  // read returns the calendar as drawn: date → "" or its hours.
  function read() {
    const out = {};
    for (const row of $("days-list").children) {
      const hours = row.querySelector('input[value="hours"]').checked;
      out[row.dataset.date] = hours ? H.spec(row.querySelector("[data-ranges]")) : "";
    }
    return out;
  }

  function addDate() {
    const input = $("day-new");
    const form = $("days-form");
    const d = input.value;
    if (!d) { fieldError(form, { message: "special_days " + T.needDate }); input.focus(); return; }
    const current = read();
    if (d in current) { fieldError(form, { message: "special_days " + T.dupDate({ date: d }) }); return; }
    fieldError(form, { message: "" });
    current[d] = "";
    days = current;
    draw();
    input.value = "";
    const row = $("days-list").querySelector(`[data-date="${CSS.escape(d)}"]`);
    if (row) row.querySelector("input").focus();
  }

  function setDays(st) {
    days = Object.assign({}, st.special_days || {});
    // The older list: a closed date wins over special hours on the same day.
    for (const d of st.closed_dates || []) days[d] = "";
    draw();
  }

  async function load() {
    const st = await QB.api("GET", "/settings");
    setDays(st);
    if (st.notice && (!st.notice_until || Date.parse(st.notice_until) > QB.now())) {
      $("notice-text").value = st.notice;
      msg("notice-msg", shown(st.notice, st.notice_until), "ok");
    }
  }

  async function postNotice(text, minutes) {
    const body = { text };
    if (text && minutes > 0) body.until = new Date(QB.now() + minutes * 60000).toISOString();
    return QB.api("PUT", "/notice", body);
  }

  $("notice-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const n = await postNotice(f.elements.text.value.trim(), parseInt(f.elements.minutes.value, 10) || 0);
      fieldError(f, { message: "" });
      msg("notice-msg", n.text ? shown(n.text, n.until) : T.cleared, "ok");
    } catch (err) {
      fieldError(f, err);
    }
  });

  $("notice-clear").addEventListener("click", async () => {
    try {
      await postNotice("", 0);
      $("notice-text").value = "";
      msg("notice-msg", T.cleared, "ok");
    } catch (err) {
      fieldError($("notice-form"), err);
    }
  });

  $("days-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const st = await QB.api("PUT", "/special-days", { special_days: read(), closed_dates: [] });
      fieldError(f, { message: "" });
      setDays(st);
      msg("days-msg", T.saved, "ok");
    } catch (err) {
      fieldError(f, err);
    }
  });

  $("day-add").addEventListener("click", addDate);
  $("day-new").addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); addDate(); } });

  load().catch((err) => msg("notice-msg", err.message, "error"));
})();
