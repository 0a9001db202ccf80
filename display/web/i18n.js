/*
 * Translations and wording helpers for the lobby display and the phone
 * status page. Plain ES5: the lobby TV may run an old Chromium.
 * Placeholders: {n} a count, {c} a counter, {num} a ticket number.
 */
(function (global) {
  "use strict";

  var T = {
    zh: {
      nowCalling: "正在叫号",
      recent: "最近叫号",
      waitingWord: "人等候",
      noWait: "无需等待",
      recall: "再次呼叫",
      goTo: "请到 {c}",
      reconnecting: "正在重新连接…",
      enableSound: "点击开启声音",
      noCalls: "请稍候",
      // status page
      yourNumber: "您的号码",
      greetTier: "欢迎您，{tier}会员",
      aheadN: "前面还有 {n} 人",
      aheadOne: "前面还有 1 人",
      aheadNext: "下一位就是您",
      stayClose: "请留意叫号，不要走远",
      waitLabel: "预计等候",
      keepOpen: "请保持此页面打开，轮到您时手机会振动提醒",
      calledTitle: "轮到您了！",
      calledGo: "请到 {c}",
      calledGoNow: "请现在前往",
      servingTitle: "正在为您办理",
      servingAt: "{c}",
      doneTitle: "办理完成",
      doneText: "感谢您的光临，祝您愉快！",
      rateAsk: "这次服务怎么样？点一颗星即可",
      rateStar: "{n} 星",
      rateComment: "想说点什么？（可选，点星时一并发送）",
      rateSkip: "跳过",
      rateThanks: "谢谢您的评价！",
      rateFailed: "发送失败，请再试一次。",
      noShowTitle: "您错过了叫号",
      noShowText: "请到服务台咨询，或在取号机重新取号。",
      expiredTitle: "本号已过期",
      expiredText: "这张号码属于已结束的营业日，不会再被叫到。请在取号机重新取号。",
      cancelledTitle: "此号码已取消",
      cancelledText: "如需办理，请在取号机重新取号。",
      unknownTitle: "找不到这张号票",
      unknownText: "号票可能已过期，或链接不完整。如需办理，请在取号机重新取号。",
      cancelBtn: "我不需要这个号了",
      cancelAsk: "确定取消这个号码吗？取消后将失去当前排位。",
      cancelYes: "是，取消",
      cancelNo: "保留我的排位",
      cancelFailed: "暂时无法取消，请稍后再试。",
      loading: "正在加载…",
      langToggle: "English",
      yourTurnTitle: "轮到您了 · {num}",
      progressLabel: "排队进度"
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
      noCalls: "Please wait",
      yourNumber: "Your number",
      greetTier: "Welcome back, {tier} member",
      aheadN: "{n} people ahead of you",
      aheadOne: "1 person ahead of you",
      aheadNext: "You're next",
      stayClose: "Please stay close to the counters",
      waitLabel: "Estimated wait",
      keepOpen: "Keep this page open — it will buzz when it's your turn",
      calledTitle: "It's your turn!",
      calledGo: "Go to {c} now",
      calledGoNow: "Please go now",
      servingTitle: "You're being served",
      servingAt: "at {c}",
      doneTitle: "All done",
      doneText: "Thank you for your visit. Have a nice day!",
      rateAsk: "How did we do? One tap on a star",
      rateStar: "{n} of 5 stars",
      rateComment: "Anything to tell us? (optional, sent with your tap)",
      rateSkip: "Skip",
      rateThanks: "Thank you for your rating!",
      rateFailed: "That did not go through; please try again.",
      noShowTitle: "We missed you",
      noShowText: "Your number was called but we couldn't find you. Please ask at the desk or take a new ticket.",
      expiredTitle: "This ticket has expired",
      expiredText: "It belongs to a business day that has ended and will not be called. Please take a new ticket at the kiosk.",
      cancelledTitle: "This ticket is cancelled",
      cancelledText: "If you still need us, please take a new ticket at the kiosk.",
      unknownTitle: "We can't find this ticket",
      unknownText: "It may have expired, or the link is incomplete. Please take a new ticket at the kiosk.",
      cancelBtn: "I no longer need this ticket",
      cancelAsk: "Cancel this ticket? You will lose your place in the queue.",
      cancelYes: "Yes, cancel it",
      cancelNo: "Keep my place",
      cancelFailed: "Could not cancel right now. Please try again.",
      loading: "Loading…",
      langToggle: "中文",
      yourTurnTitle: "Your turn · {num}",
      progressLabel: "Queue progress"
    }
  };

  function fill(s, vars) {
    return String(s).replace(/\{(\w+)\}/g, function (m, k) {
      return vars && vars[k] !== undefined ? vars[k] : m;
    });
  }

  // t looks a key up in lang, falling back to English so a missing string
  // shows words, never a key.
  function t(lang, key, vars) {
    var s = (T[lang] && T[lang][key]) || T.en[key] || key;
    return fill(s, vars);
  }

  // waitRange turns an estimate into a range: the estimate is an average, and
  // a precise minute would promise more than the box knows.
  // With low and high (the range the box promises, learned from how long
  // people really waited) it shows that range in whole minutes.
  function waitRange(lang, seconds, low, high) {
    var m = Math.max(0, seconds || 0) / 60;
    var zh = lang === "zh";
    if (high > 0) {
      var l = Math.floor(Math.max(0, low || 0) / 60);
      var h = Math.max(l + 1, Math.ceil(high / 60));
      if (l >= 180) { return zh ? "超过 3 小时" : "over 3 hours"; }
      if (l === 0) { return zh ? "约 " + h + " 分钟以内" : "under " + h + " min"; }
      return zh ? "约 " + l + "–" + h + " 分钟" : "about " + l + "–" + h + " min";
    }
    if (m < 5) { return zh ? "不到 5 分钟" : "under 5 min"; }
    if (m >= 180) { return zh ? "超过 3 小时" : "over 3 hours"; }
    var step = m < 60 ? 5 : 15;
    var lo = Math.floor(m / step) * step;
    var hi = lo + step;
    return zh ? "约 " + lo + "–" + hi + " 分钟" : "about " + lo + "–" + hi + " min";
  }

  // counterDigits finds the number in a counter name ("Counter 3" → "3") so
  // that Chinese can say "3 号窗口"; "" when the name has none.
  function counterDigits(name) {
    var m = /(\d+)/.exec(name || "");
    return m ? m[1] : "";
  }

  // counterZh names a counter the Chinese way when its name holds a number.
  function counterZh(name) {
    var d = counterDigits(name);
    return d ? d + " 号窗口" : (name || "");
  }

  function counterIn(lang, name) {
    return lang === "zh" ? counterZh(name) : (name || "");
  }

  // serviceName prefers the service's name in lang, then its default name.
  function serviceName(lang, svc) {
    if (!svc) { return ""; }
    if (svc.names && svc.names[lang]) { return svc.names[lang]; }
    return svc.name || svc.id || "";
  }

  global.QBText = {
    strings: T,
    t: t,
    waitRange: waitRange,
    counterDigits: counterDigits,
    counterZh: counterZh,
    counterIn: counterIn,
    serviceName: serviceName
  };
})(window);
