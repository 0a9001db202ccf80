/*
 * The lobby display's words in Chinese and English (shape: assets/README.md).
 * Placeholders: {n} a count, {c} a counter, {num} a ticket number.
 * Plain ES5: the lobby TV may run an old Chromium.
 */
QB.text.define("display", {
  zh: {
    nowCalling: "正在叫号",
    recent: "最近叫号",
    waitingWord: "人等候",
    noWait: "无需等待",
    recall: "再次呼叫",
    goTo: "请到 {c}",
    reconnecting: "正在重新连接…",
    enableSound: "点击开启声音",
    noCalls: "请稍候"
  },
  en: {
    nowCalling: "Now calling",
    recent: "Recent calls",
    waitingWord: "waiting",
    noWait: "No wait",
    recall: "Recall",
    goTo: "Please go to {c}",
    reconnecting: "Reconnecting…",
    enableSound: "Tap to enable sound",
    noCalls: "Please wait"
  }
});
