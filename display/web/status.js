/*
 * Phone status page for one ticket: where it stands, and a loud change of
 * colour (and a buzz) when it is called. The token is the last part of the
 * page's own address; the page holds no personal data.
 * Plain ES5, like the display: cheap phones run old browsers too.
 */
(function () {
  "use strict";

  var T = QB.text.page("status");
  var LANG_KEY = "qb.lang";
  var token = location.pathname.replace(/\/+$/, "").split("/").pop() || "";
  var lang = pickLang();
  var cur = null; // the latest StatusView
  var gotLive = false;
  var gone = false;
  var services = {}; // id → Service, for names in both languages
  var branch = "";

  function $(id) { return document.getElementById(id); }

  function store(key, val) { return QB.store(key, val); }

  function pickLang() {
    // The kiosk passes the language its customer chose (?lang=en in the QR).
    var m = /[?&]lang=(zh|en)\b/.exec(location.search);
    if (m) {
      store(LANG_KEY, m[1]);
      return m[1];
    }
    var saved = store(LANG_KEY);
    if (saved === "zh" || saved === "en") { return saved; }
    var nav = String(navigator.language || (navigator.languages && navigator.languages[0]) || "en").toLowerCase();
    return nav.indexOf("zh") === 0 ? "zh" : "en";
  }

  function t(key, vars) { return T.t(lang, key, vars); }

  function show(id, on) { $(id).hidden = !on; }

  function text(id, s) { $(id).textContent = s; }

  function loadService(id) {
    if (!id || services[id]) { return; }
    services[id] = { id: id };
    QB.api("GET", "/services/" + encodeURIComponent(id)).then(function (s) {
      if (s) {
        services[id] = s;
        render();
      }
    }, function () {});
  }

  // ---- progress ----------------------------------------------------------

  // The bar measures from the longest queue this tab has seen for the
  // ticket, so it only ever moves forward.
  function startAhead(ahead) {
    var key = "qb.start." + token.slice(0, 16);
    var start = 0;
    try { start = parseInt(window.sessionStorage.getItem(key), 10) || 0; } catch (e) {}
    if (ahead > start) {
      start = ahead;
      try { window.sessionStorage.setItem(key, String(start)); } catch (e2) {}
    }
    return start;
  }

  // ---- rendering ---------------------------------------------------------

  function counterSay(v) {
    return T.counter(lang, v);
  }

  function setStatus(s) {
    document.body.setAttribute("data-status", s);
    document.body.className = "status st-" + s;
  }

  function renderStatic() {
    document.documentElement.lang = T.tag(lang);
    var other = lang === "zh" ? "en" : "zh";
    var btn = $("lang");
    btn.textContent = T.t(lang, "langToggle");
    btn.setAttribute("lang", T.tag(other));
    // The name starts with the visible word, in the language it is written in.
    btn.setAttribute("aria-label", T.t(lang, "langToggle") + " · " + T.t(other, "switchTo"));
    text("loadingText", t("loading"));
    text("yourNumber", t("yourNumber"));
    text("keep", t("keepOpen"));
    text("cancelBtn", t("cancelBtn"));
    text("cancelAsk", t("cancelAsk"));
    text("cancelYes", t("cancelYes"));
    text("cancelNo", t("cancelNo"));
    text("cancelErr", t("cancelFailed"));
    text("unknownTitle", t("unknownTitle"));
    text("unknownText", t("unknownText"));
    text("offline", t("reconnecting"));
    text("branch", branch);
    $("progress").setAttribute("aria-label", t("progressLabel"));
  }

  // fitNumber shrinks the number to its card on a narrow phone (a 320-pixel
  // screen, a three-letter prefix): the size the state's style gives, or
  // less, never cut off.
  function fitNumber() {
    var n = $("number");
    n.style.fontSize = "";
    var w = n.clientWidth, sw = n.scrollWidth;
    if (w > 0 && sw > w) {
      n.style.fontSize = Math.floor(parseFloat(getComputedStyle(n).fontSize) * w / sw) + "px";
    }
  }

  function render() {
    renderStatic();
    if (gone) {
      setStatus("unknown");
      show("loading", false);
      show("ticket", false);
      show("cancel", false);
      show("unknown", true);
      document.title = t("unknownTitle");
      return;
    }
    if (!cur) { return; }
    var v = cur;
    show("loading", false);
    show("unknown", false);
    show("ticket", true);
    setStatus(v.status);
    text("number", v.number);
    fitNumber();
    // A known customer of a better tier is greeted by it (never by name or phone).
    show("greet", !!v.tier_name);
    if (v.tier_name) {
      text("greet", t("greetTier", { tier: (v.tier_names && v.tier_names[lang]) || v.tier_name }));
    }
    var svc = services[v.service_id];
    text("service", svc && svc.name ? T.name(lang, svc) : (v.service_name || ""));
    text("heading", t("ticketHeading", { num: v.number }));

    var waiting = v.status === "waiting";
    var called = v.status === "called";
    show("waiting", waiting);
    show("go", called);
    show("turn", called);
    show("final", !waiting && !called);
    show("cancel", waiting);
    if (!waiting) { closeConfirm(); }

    // Put back after a missed call (the no-show chain): say so, or the
    // page that had turned green would just show a place again.
    show("pushed", waiting && v.push_backs > 0);
    if (waiting && v.push_backs > 0) { text("pushed", t("pushedBack")); }
    if (waiting) {
      var ahead = v.ahead || 0;
      var a = $("ahead");
      a.setAttribute("data-ahead", String(ahead));
      a.textContent = t("ahead", { n: ahead });
      // Next in line with a desk about to free up: stay close. Next in line
      // while every desk is busy still has a wait, and is told it.
      $("ewt").textContent = ahead === 0 && !(v.ewt_seconds >= 60) ? t("stayClose")
        : t("waitLabel") + " · " + T.waitRange(lang, v.ewt_seconds, v.ewt_low_seconds, v.ewt_high_seconds);
      var start = startAhead(ahead);
      // Being next is most of the way, not all of it: the call fills the screen.
      var pct = Math.round((start - ahead + 1) / (start + 2) * 100);
      pct = Math.max(6, Math.min(100, pct));
      $("fill").style.width = pct + "%";
      $("progress").setAttribute("aria-valuenow", String(pct));
      document.title = v.number + " · " + a.textContent;
    } else if (called) {
      text("turn", t("calledTitle"));
      text("goto", v.counter_name ? t("calledGo", { c: counterSay(v) }) : t("calledGoNow"));
      text("missed", v.counter_name ? t("missed", { c: counterSay(v), num: v.number }) : t("missedNoCounter", { num: v.number }));
      document.title = t("yourTurnTitle", { num: v.number });
    } else {
      var title = "", body = "";
      switch (v.status) {
      case "serving":
        title = t("servingTitle");
        body = v.counter_name ? t("servingAt", { c: counterSay(v) }) : "";
        break;
      case "done":
        title = t("doneTitle");
        body = t("doneText");
        break;
      case "no_show":
        title = t("noShowTitle");
        body = t("noShowText");
        break;
      case "expired":
        title = t("expiredTitle");
        body = t("expiredText");
        break;
      default:
        title = t("cancelledTitle");
        body = t("cancelledText");
      }
      text("finalTitle", title);
      text("finalText", body);
      document.title = v.number + " · " + title;
    }
    renderRate(v);
    announce(v);
  }

  // announce tells a screen reader what changed, once per change: the
  // number and place while waiting, the counter when called.
  var announced = "";
  function announce(v) {
    var s;
    if (v.status === "waiting") {
      s = t("ticketHeading", { num: v.number }) + " · " + $("ahead").textContent;
    } else if (v.status === "called") {
      s = t("calledTitle") + " " + $("goto").textContent;
    } else {
      s = $("finalTitle").textContent + " · " + $("finalText").textContent;
    }
    if (s === announced) { return; }
    announced = s;
    $("announce").textContent = s;
  }

  // ---- rating ------------------------------------------------------------

  var RATE_KEY = "qb.rate." + token;
  var rated = false;

  function renderRate(v) {
    var done = v.status === "done";
    var isRated = rated || v.rated || store(RATE_KEY) === "rated";
    var skipped = store(RATE_KEY) === "skipped";
    show("rate", done && !isRated && !skipped);
    show("rateThanks", done && isRated);
    text("rateAsk", t("rateAsk"));
    text("rateSkip", t("rateSkip"));
    text("rateThanks", t("rateThanks"));
    text("rateErr", t("rateFailed"));
    $("rateComment").setAttribute("placeholder", t("rateComment"));
    $("rateComment").setAttribute("aria-label", t("rateComment"));
    $("stars").setAttribute("aria-label", t("rateAsk"));
    var stars = $("stars").getElementsByTagName("button");
    for (var i = 0; i < stars.length; i++) {
      stars[i].setAttribute("aria-label", t("rateStar", { n: i + 1 }));
    }
  }

  function sendRating(n) {
    var stars = $("stars").getElementsByTagName("button");
    var enable = function (on) {
      for (var i = 0; i < stars.length; i++) { stars[i].disabled = !on; }
    };
    enable(false);
    var ok = function () {
      enable(true);
      rated = true;
      store(RATE_KEY, "rated");
      show("rateErr", false);
      render();
    };
    QB.api("POST", "/status/" + encodeURIComponent(token) + "/feedback", { rating: n, comment: $("rateComment").value }).then(ok, function (err) {
      // Already rated (another tab) counts as rated too.
      if (err.code === "already_rated") { ok(); return; }
      enable(true);
      show("rateErr", true);
    });
  }


  function wireRate() {
    var stars = $("stars").getElementsByTagName("button");
    for (var i = 0; i < stars.length; i++) {
      stars[i].onclick = (function (n) { return function () { sendRating(n); }; })(i + 1);
    }
    $("rateSkip").onclick = function () {
      store(RATE_KEY, "skipped");
      render();
    };
  }

  // ---- being called ------------------------------------------------------

  var chime = null;
  function alertCalled() {
    buzz([400, 150, 400, 150, 800]);
  }

  // alertNear is the box's near_turn message: a ticket moved up to the
  // branch's near-turn place. A shorter buzz than the call, and the chime.
  function alertNear() {
    document.body.setAttribute("data-near-turn", "1");
    buzz([200, 100, 200]);
  }

  function buzz(pattern) {
    if (navigator.vibrate) {
      try { navigator.vibrate(pattern); } catch (e) {}
    }
    // The chime may be refused without a tap on the page; the colour and
    // the buzz carry the message anyway.
    try {
      if (!chime && window.Audio) { chime = new Audio("/assets/chime.wav"); }
      if (chime) {
        var p = chime.play();
        if (p && p.then) { p.then(null, function () {}); }
      }
    } catch (e2) {}
  }

  function apply(v) {
    if (!v || !v.number) { return; }
    var was = cur ? cur.status : "";
    cur = v;
    loadService(v.service_id);
    render();
    if (v.status === "called" && was !== "called" && was !== "") { alertCalled(); }
  }

  // ---- cancelling --------------------------------------------------------

  function closeConfirm() {
    show("confirm", false);
    show("cancelBtn", true);
    show("cancelErr", false);
  }

  function wire() {
    // A phone turned sideways (or back) gives the number another width.
    window.addEventListener("resize", function () { if (cur) { fitNumber(); } });
    $("lang").onclick = function () {
      lang = lang === "zh" ? "en" : "zh";
      store(LANG_KEY, lang);
      render();
      if (!cur && !gone) { renderStatic(); }
    };
    $("cancelBtn").onclick = function () {
      show("cancelBtn", false);
      show("confirm", true);
      $("cancelNo").focus();
    };
    $("cancelNo").onclick = closeConfirm;
    $("cancelYes").onclick = function () {
      var btn = $("cancelYes");
      btn.disabled = true;
      QB.api("DELETE", "/status/" + encodeURIComponent(token)).then(function (body) {
        btn.disabled = false;
        if (body && body.number) {
          closeConfirm();
          apply(body);
          return;
        }
        show("cancelErr", true);
      }, function (err) {
        btn.disabled = false;
        var st = err.status;
        if (st === 404) {
          gone = true;
          render();
          return;
        }
        if (st === 409) {
          // Called or changed meanwhile: show what it is now.
          closeConfirm();
          fetchStatus();
          return;
        }
        show("cancelErr", true);
      });
    };
  }

  // ---- start -------------------------------------------------------------

  function fetchStatus() {
    QB.api("GET", "/status/" + encodeURIComponent(token)).then(function (v) {
      // The live feed may already have sent something newer.
      if (v && !gotLive) { apply(v); }
    }, function (err) {
      if (err.status === 404) {
        gone = true;
        render();
      }
    });
  }

  function loadBranch() {
    QB.api("GET", "/settings").then(function (s) {
      if (s && s.branch_name) {
        branch = s.branch_name;
        text("branch", branch);
      }
    }, function () {});
  }

  var offlineTimer = null;
  function onState(s) {
    if (s === "gone") {
      gone = true;
      render();
      return;
    }
    if (s === "live") {
      clearTimeout(offlineTimer);
      offlineTimer = null;
      show("offline", false);
      return;
    }
    if (s === "reconnecting" && !offlineTimer) {
      offlineTimer = setTimeout(function () {
        offlineTimer = null;
        if (!gone) { show("offline", true); }
      }, 1500);
    }
  }

  wire();
  wireRate();
  renderStatic();
  if (!/^[A-Za-z0-9_-]{16,64}$/.test(token)) {
    gone = true;
    render();
    return;
  }
  fetchStatus();
  loadBranch();
  window.QBLive.connect({
    topic: "status",
    params: { token: token },
    onSnapshot: function (v) { gotLive = true; apply(v); },
    onEvent: function (type, v) {
      if (type === "status") { gotLive = true; apply(v); }
      if (type === "near_turn") { gotLive = true; apply(v); alertNear(); }
    },
    onState: onState
  });
})();
