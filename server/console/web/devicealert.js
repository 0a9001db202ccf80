// Shared by the console and the admin page: a banner when a kiosk or the
// lobby display has been away for over a minute during opening hours. The
// box decides (GET /api/v1/devices/health); this only shows it.
"use strict";

(() => {
  const POLL_MS = 15000;
  const banner = QB.el("div", { class: "banner device-alert", role: "alert", hidden: true, dataset: { deviceAlert: "" } });
  const top = document.querySelector(".topbar");
  if (top) top.after(banner);

  const T = QB.words("staff.devices"); // staff.i18n.js

  // In each language its own words: "Kiosk “Door” (3 min) · 取号机“Door”（3 分钟）".
  const ago = (sec) => (lang) => sec < 3600
    ? T.in(lang, "minutes", { m: Math.max(1, Math.floor(sec / 60)) })
    : T.in(lang, "hours", { h: Math.floor(sec / 3600), m: Math.floor((sec % 3600) / 60) });
  const kind = (k) => (lang) => (k === "kiosk" || k === "display") ? T.in(lang, k) : k;
  const names = (away) => (lang) => away.map((d) =>
    T.in(lang, "away", { kind: kind(d.kind), name: d.name, ago: ago(d.offline_seconds) })).join(lang === "zh" ? "、" : ", ");

  async function poll() {
    let list;
    try {
      list = await QB.api("GET", "/devices/health");
    } catch (e) {
      return; // the page shows its own connection state
    }
    const away = (list || []).filter((d) => d.alert);
    banner.hidden = away.length === 0;
    banner.textContent = away.length === 0 ? "" : T.offline({ list: names(away) });
    document.dispatchEvent(new CustomEvent("qb:devices", { detail: list || [] }));
  }

  poll();
  setInterval(poll, POLL_MS);
  window.QBDevices = { poll };
})();
