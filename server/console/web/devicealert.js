// Shared by the console and the admin page: a banner when a kiosk or the
// lobby display has been away for over a minute during opening hours. The
// box decides (GET /api/v1/devices/health); this only shows it.
"use strict";

(() => {
  const POLL_MS = 15000;
  const banner = QB.el("div", { class: "banner device-alert", role: "alert", hidden: true, dataset: { deviceAlert: "" } });
  const top = document.querySelector(".topbar");
  if (top) top.after(banner);

  function ago(sec) {
    if (sec < 3600) return `${Math.max(1, Math.floor(sec / 60))} min`;
    return `${Math.floor(sec / 3600)} h ${Math.floor((sec % 3600) / 60)} min`;
  }

  const kinds = { kiosk: "Kiosk · 取号机", display: "Display · 显示屏" };

  async function poll() {
    let list;
    try {
      list = await QB.api("GET", "/devices/health");
    } catch (e) {
      return; // the page shows its own connection state
    }
    const away = (list || []).filter((d) => d.alert);
    banner.hidden = away.length === 0;
    banner.textContent = away.length === 0 ? "" : "Offline · 离线: " + away.map((d) =>
      `${kinds[d.kind] || d.kind} “${d.name}” (${ago(d.offline_seconds)})`).join(", ") +
      " — check its power and network · 请检查电源和网络";
    document.dispatchEvent(new CustomEvent("qb:devices", { detail: list || [] }));
  }

  poll();
  setInterval(poll, POLL_MS);
  window.QBDevices = { poll };
})();
