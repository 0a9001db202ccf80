// The opening-hours editor of the admin's Settings: for each weekday open or
// closed, and its opening times as ranges (a lunch break is two ranges);
// then the dates the branch is closed whatever the weekday says (holidays).
// It reads and writes the settings' shapes: hours {"mon": "09:00-12:00,13:00-17:00"}
// and closed_dates ["2026-12-25"].
"use strict";

(() => {
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const DAY_NAMES = { mon: "Mon · 一", tue: "Tue · 二", wed: "Wed · 三", thu: "Thu · 四", fri: "Fri · 五", sat: "Sat · 六", sun: "Sun · 日" };
  const W = {
    open: "Open · 营业",
    closed: "Closed · 休息",
    from: "Opens at · 开始",
    to: "Closes at · 结束",
    add: "+ Add hours · 添加时段",
    remove: "Remove · 删除",
    removeDate: (d) => `Remove ${d} · 删除`,
    noDates: "No closed dates · 无休息日",
  };
  const $ = (id) => document.getElementById(id);
  let closed = [];

  // "24:00" cannot be typed into a time field: midnight as an end is 00:00.
  const toField = (hm) => (hm === "24:00" ? "00:00" : hm);
  const fromField = (hm) => (hm === "00:00" ? "24:00" : hm);

  function rangeRow(day, from, to) {
    const n = $(`hours-${day}-ranges`).children.length + 1;
    const row = QB.el("div", { class: "range" },
      QB.el("input", { type: "time", class: "from", value: from || "09:00", "aria-label": `${DAY_NAMES[day]} ${n} ${W.from}` }),
      QB.el("span", { "aria-hidden": "true", text: "–" }),
      QB.el("input", { type: "time", class: "to", value: to || "17:00", "aria-label": `${DAY_NAMES[day]} ${n} ${W.to}` }),
      QB.el("button", { type: "button", class: "link", text: W.remove, onclick: () => { row.remove(); sync(day); } }));
    return row;
  }

  // sync keeps a day's controls consistent: a closed day has no times, an
  // open day at least one range.
  function sync(day) {
    const open = $(`hours-${day}-open`).checked;
    const ranges = $(`hours-${day}-ranges`);
    if (open && ranges.children.length === 0) ranges.append(rangeRow(day));
    ranges.hidden = !open;
    $(`hours-${day}-add`).hidden = !open;
    $(`hours-${day}-state`).textContent = open ? "" : W.closed;
  }

  function build() {
    $("hours").replaceChildren(...DAYS.map((d) => QB.el("fieldset", { class: "day", name: "hours." + d, id: "hours-" + d },
      QB.el("legend", { text: DAY_NAMES[d] }),
      QB.el("label", { class: "check" },
        QB.el("input", { type: "checkbox", id: `hours-${d}-open`, onchange: () => sync(d) }), " ", W.open),
      QB.el("span", { class: "muted", id: `hours-${d}-state` }),
      QB.el("div", { class: "ranges", id: `hours-${d}-ranges` }),
      QB.el("button", { type: "button", class: "link", id: `hours-${d}-add`, text: W.add,
        onclick: () => { $(`hours-${d}-ranges`).append(rangeRow(d)); } }),
      QB.el("p", { class: "field-error", "data-error-for": "hours." + d }))));
    $("closed-date-add").addEventListener("click", () => {
      const v = $("closed-date-new").value;
      if (v && !closed.includes(v)) closed = [...closed, v].sort();
      $("closed-date-new").value = "";
      drawDates();
    });
  }

  function drawDates() {
    const list = $("closed-dates");
    list.replaceChildren(...closed.map((d) => QB.el("li", { dataset: { date: d } },
      QB.el("span", { text: d }), " ",
      QB.el("button", { type: "button", class: "link", text: "✕", "aria-label": W.removeDate(d),
        onclick: () => { closed = closed.filter((x) => x !== d); drawDates(); } }))));
    $("closed-dates-none").hidden = closed.length > 0;
    $("closed-dates-none").textContent = W.noDates;
  }

  // set shows the settings' hours and closed dates.
  function set(hours, closedDates) {
    for (const d of DAYS) {
      const spec = ((hours && hours[d]) || "").trim();
      const ranges = $(`hours-${d}-ranges`);
      ranges.replaceChildren();
      $(`hours-${d}-open`).checked = spec !== "";
      for (const r of spec ? spec.split(",") : []) {
        const [from, to] = r.trim().split("-");
        ranges.append(rangeRow(d, from, toField(to)));
      }
      sync(d);
    }
    closed = (closedDates || []).slice().sort();
    drawDates();
  }

  // read returns {hours, closed_dates} as the settings want them; the box
  // checks the times (order, overlaps) and names the day that is wrong.
  function read() {
    const hours = {};
    for (const d of DAYS) {
      if (!$(`hours-${d}-open`).checked) { hours[d] = ""; continue; }
      hours[d] = [...$(`hours-${d}-ranges`).children]
        .map((r) => `${r.querySelector(".from").value}-${fromField(r.querySelector(".to").value)}`)
        .join(",");
    }
    return { hours, closed_dates: closed.slice() };
  }

  window.QBAdminHours = { build, set, read };
})();
