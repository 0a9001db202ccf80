/*
 * Words shared by the staff pages (console and admin) in Chinese and
 * English (shape: assets/README.md): "staff.devices" for devicealert.js,
 * the banner when a kiosk or the lobby display has been away.
 */
QB.text.define("staff.devices", {
  zh: {
    kiosk: "取号机",
    display: "显示屏",
    minutes: "{m} 分钟",
    hours: "{h} 小时 {m} 分钟",
    away: "{kind}“{name}”（{ago}）",
    offline: "离线：{list} — 请检查电源和网络"
  },
  en: {
    kiosk: "Kiosk",
    display: "Display",
    minutes: "{m} min",
    hours: "{h} h {m} min",
    away: "{kind} “{name}” ({ago})",
    offline: "Offline: {list} — check its power and network"
  }
});
