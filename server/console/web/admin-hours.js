// The opening-hours editor of the admin's Settings: for each weekday open or
// closed, and its opening times as ranges (a lunch break is two ranges). It
// reads and writes the settings' shape: hours {"mon": "09:00-12:00,13:00-17:00"}.
// Holidays and special days have their own editor (calendar.js), which
// draws its time ranges with rangeRow below.
"use strict";

(() => {
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  const W = QB.words("admin.hours"); // admin.i18n.js
  const A = QB.words("admin");
  const dayName = (d) => A["day_" + d];
  const $ = (id) => document.getElementById(id);

  // "24:00" cannot be typed into a time field: midnight as an end is 00:00.
  const toField = (hm) => (hm === "24:00" ? "00:00" : hm);
  const fromField = (hm) => (hm === "00:00" ? "24:00" : hm);

  // rangeRow is one "from – to" pair with its remove button; label names
  // the pair for screen readers ("Mon · 一 1").
  function rangeRow(label, from, to, onRemove) {
    const row = QB.el("div", { class: "range" },
      QB.el("input", { type: "time", class: "from", value: toField(from || "09:00"), "aria-label": `${label} ${W.from}` }),
      QB.el("span", { "aria-hidden": "true", text: "–" }),
      QB.el("input", { type: "time", class: "to", value: toField(to || "17:00"), "aria-label": `${label} ${W.to}` }),
      QB.el("button", { type: "button", class: "link", text: W.remove, onclick: () => { row.remove(); onRemove(); } }));
    return row;
  }

  // spec turns a box of range rows into "09:00-12:00,13:00-17:00".
  function spec(box) {
    return [...box.children]
      .map((r) => `${r.querySelector(".from").value}-${fromField(r.querySelector(".to").value)}`)
      .join(",");
  }

  // fill puts a spec's ranges into a box of range rows.
  function fill(box, hours, label, onRemove) {
    box.replaceChildren();
    for (const r of hours ? hours.split(",") : []) {
      const [from, to] = r.trim().split("-");
      box.append(rangeRow(`${label} ${box.children.length + 1}`, from, to, onRemove));
    }
  }

  function dayRow(day, from, to) {
    const box = $(`hours-${day}-ranges`);
    return rangeRow(`${dayName(day)} ${box.children.length + 1}`, from, to, () => sync(day));
  }

  // sync keeps a day's controls consistent: a closed day has no times, an
  // open day at least one range.
  function sync(day) {
    const open = $(`hours-${day}-open`).checked;
    const ranges = $(`hours-${day}-ranges`);
    if (open && ranges.children.length === 0) ranges.append(dayRow(day));
    ranges.hidden = !open;
    $(`hours-${day}-add`).hidden = !open;
    $(`hours-${day}-state`).textContent = open ? "" : W.closed;
  }

  function build() {
    $("hours").replaceChildren(...DAYS.map((d) => QB.el("fieldset", { class: "day", name: "hours." + d, id: "hours-" + d },
      QB.el("legend", { text: dayName(d) }),
      QB.el("label", { class: "check" },
        QB.el("input", { type: "checkbox", id: `hours-${d}-open`, onchange: () => sync(d) }), " ", W.open),
      QB.el("span", { class: "muted", id: `hours-${d}-state` }),
      QB.el("div", { class: "ranges", id: `hours-${d}-ranges` }),
      QB.el("button", { type: "button", class: "link", id: `hours-${d}-add`, text: W.add,
        onclick: () => { $(`hours-${d}-ranges`).append(dayRow(d)); } }),
      QB.el("p", { class: "field-error", "data-error-for": "hours." + d }))));
  }

  // set shows the settings' weekly hours.
  function set(hours) {
    for (const d of DAYS) {
      const h = ((hours && hours[d]) || "").trim();
      $(`hours-${d}-open`).checked = h !== "";
      fill($(`hours-${d}-ranges`), h, dayName(d), () => sync(d));
      sync(d);
    }
  }

  // read returns hours as the settings want them; the box checks the times
  // (order, overlaps) and names the day that is wrong.
  function read() {
    const hours = {};
    for (const d of DAYS) hours[d] = $(`hours-${d}-open`).checked ? spec($(`hours-${d}-ranges`)) : "";
    return { hours };
  }

  window.QBAdminHours = { build, set, read, rangeRow, spec, fill, dayName, DAYS };
})();
