/*
 * Lobby display: the current call, the last calls, waiting per service, and
 * a chime plus a spoken announcement for each call.
 * Plain ES5 on purpose: lobby TVs run old Chromium-based browsers.
 */
(function () {
  "use strict";

  var T = QB.text.page("display");
  var LANG_KEY = "qb.display.lang";
  var SOUND_KEY = "qb.display.sound";
  var RECENT_MAX = 8;
  var FLASH_MS = 4000;
  // A call older than this when it reaches the screen (after a long outage)
  // is shown but not announced: nobody is waiting for it any more.
  var STALE_MS = 90 * 1000;

  var langs = pickLangs();
  var state = {
    branch: "",
    tz: "",
    calls: [], // newest first
    services: [],
    lastCallSeq: -1,
    have: false
  };

  function $(id) { return document.getElementById(id); }

  function store(key, val) { return QB.store(key, val); }

  // ---- languages ---------------------------------------------------------

  function parseLangs(s) {
    var out = [];
    var parts = String(s || "").toLowerCase().split(/[,\s]+/);
    for (var i = 0; i < parts.length; i++) {
      var p = parts[i].slice(0, 2);
      if ((p === "zh" || p === "en") && out.indexOf(p) < 0) { out.push(p); }
    }
    return out;
  }

  function pickLangs() {
    var m = /[?&]lang=([^&]*)/.exec(location.search);
    if (m) {
      var raw = m[1];
      try { raw = decodeURIComponent(raw); } catch (e) {}
      var fromURL = parseLangs(raw);
      if (fromURL.length) {
        store(LANG_KEY, fromURL.join(","));
        return fromURL;
      }
    }
    var saved = parseLangs(store(LANG_KEY));
    return saved.length ? saved : ["zh", "en"];
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined) { e.appendChild(document.createTextNode(text)); }
    return e;
  }

  // bilingual fills e with one span per language, so CSS can size them apart.
  function bilingual(e, fn) {
    while (e.firstChild) { e.removeChild(e.firstChild); }
    for (var i = 0; i < langs.length; i++) {
      var s = el("span", "l-" + langs[i] + (i ? " second" : " first"), fn(langs[i]));
      s.setAttribute("lang", T.tag(langs[i]));
      if (i) { e.appendChild(document.createTextNode(" ")); }
      e.appendChild(s);
    }
  }

  // counterText names the counter of call c in the screen's languages; one
  // name when they agree ("VIP"), so the biggest text is never doubled.
  function counterText(e, c) {
    if (!c) {
      bilingual(e, function () { return ""; });
      return e;
    }
    bilingual(e, function (l) { return T.counter(l, c); });
    if (langs.length > 1 && T.counter("zh", c) === T.counter("en", c)) {
      e.textContent = T.counter(langs[0], c);
    }
    return e;
  }

  function applyLabels() {
    var nodes = document.querySelectorAll("[data-label]");
    for (var i = 0; i < nodes.length; i++) {
      (function (n) {
        var key = n.getAttribute("data-label");
        bilingual(n, function (l) { return T.t(l, key); });
      })(nodes[i]);
    }
    bilingual($("reconnecting"), function (l) { return T.t(l, "reconnecting"); });
    bilingual($("soundText"), function (l) { return T.t(l, "enableSound"); });
    document.documentElement.lang = T.tag(langs[0]);
    document.body.className += " langs-" + langs.length;
  }

  // ---- clock -------------------------------------------------------------

  // The box's clock is the one to show: TVs are often set wrong. QB.api
  // keeps QB.now() on it from every answer's Date header.
  function boxNow() { return new Date(QB.now()); }

  var fmtCache = {};
  function formatter(lang, kind) {
    var key = lang + kind + state.tz;
    if (fmtCache[key] !== undefined) { return fmtCache[key]; }
    var opts = kind === "time" ?
      { hour: "2-digit", minute: "2-digit", hour12: false } :
      { month: lang === "zh" ? "long" : "short", day: "numeric", weekday: "short" };
    var locale = lang === "zh" ? "zh-CN" : "en-GB";
    var f = null;
    if (window.Intl && Intl.DateTimeFormat) {
      if (state.tz) {
        try { opts.timeZone = state.tz; f = new Intl.DateTimeFormat(locale, opts); } catch (e) { f = null; }
        delete opts.timeZone;
      }
      if (!f) {
        try { f = new Intl.DateTimeFormat(locale, opts); } catch (e2) { f = null; }
      }
    }
    fmtCache[key] = f;
    return f;
  }

  function pad(n) { return n < 10 ? "0" + n : "" + n; }

  // renderClock shows the box's time in the branch's zone. It runs every
  // second and as soon as the zone is known: until then the clock is the
  // TV's own zone, and a first screen showed 03:48 for 11:48 for a second.
  function renderClock() {
    var now = boxNow();
    var tf = formatter(langs[0], "time");
    $("time").textContent = tf ? tf.format(now) : pad(now.getHours()) + ":" + pad(now.getMinutes());
    bilingual($("date"), function (l) {
      var df = formatter(l, "date");
      return df ? df.format(now) : now.toDateString();
    });
  }

  function tick() {
    renderNotice();
    renderClock();
    setTimeout(tick, 1000 - (Date.now() % 1000) + 20);
  }

  // ---- rendering ---------------------------------------------------------

  function renderBranch() {
    $("branch").textContent = state.branch || "";
    renderNotice();
  }

  // renderNotice shows the manager's notice until its end time (by the
  // box's clock); tick calls it every second.
  function renderNotice() {
    var n = $("notice");
    var until = state.noticeUntil ? parseTime(state.noticeUntil) : NaN;
    var show = !!state.notice && (isNaN(until) || boxNow().getTime() < until);
    if (n.textContent !== (show ? state.notice : "")) { n.textContent = show ? state.notice : ""; }
    n.hidden = !show;
  }

  // fitNum shrinks the called number to its panel when it would run out of
  // it (a three-letter prefix: "LNS001"); otherwise the style's size stays.
  function fitNum() {
    var n = $("nowNum");
    n.style.fontSize = "";
    var w = n.clientWidth, sw = n.scrollWidth;
    if (w > 0 && sw > w) {
      n.style.fontSize = Math.floor(parseFloat(window.getComputedStyle(n).fontSize) * w / sw) + "px";
    }
  }

  function renderNow(flash) {
    var c = state.calls[0];
    var now = $("now");
    $("nowNum").textContent = c ? c.number : "—";
    fitNum();
    counterText($("nowCtr"), c);
    now.className = "now" + (c ? "" : " empty") + (c && c.recall ? " recall" : "");
    var hint = $("nowHint");
    if (c) {
      bilingual(hint, function (l) {
        var s = l === "en" ? "" : T.t(l, "goTo", { c: T.counter(l, c) });
        if (c.recall) { s = T.t(l, "recall") + (s ? " · " + s : ""); }
        return s;
      });
    } else {
      bilingual(hint, function (l) { return T.t(l, "noCalls"); });
    }
    if (flash) {
      // Restart the animation even when a flash is still running.
      now.className = now.className.replace(/\s*flash/g, "");
      void now.offsetWidth;
      now.className += " flash";
      clearTimeout(renderNow.timer);
      renderNow.timer = setTimeout(function () {
        now.className = now.className.replace(/\s*flash/g, "");
      }, FLASH_MS);
    }
  }

  function renderRecent() {
    var ol = $("recent");
    while (ol.firstChild) { ol.removeChild(ol.firstChild); }
    var seen = {};
    if (state.calls[0]) { seen[state.calls[0].ticket_id] = true; }
    var n = 0;
    for (var i = 1; i < state.calls.length && n < RECENT_MAX; i++) {
      var c = state.calls[i];
      if (seen[c.ticket_id]) { continue; }
      seen[c.ticket_id] = true;
      var li = el("li", "row");
      li.appendChild(el("span", "num", c.number));
      li.appendChild(el("span", "arrow", "→"));
      // One language per row: the list is narrow, and a cut name helps
      // nobody. The call itself above carries both.
      li.appendChild(el("span", "ctr", T.counter(langs[0], c)));
      ol.appendChild(li);
      n++;
    }
    trimRecent();
  }

  // trimRecent drops the oldest rows that do not fit the screen whole: a
  // half-cut row reads worse than one row fewer.
  function trimRecent() {
    var ol = $("recent");
    var box = ol.parentNode.getBoundingClientRect();
    while (ol.lastChild && ol.lastChild.getBoundingClientRect().bottom > box.bottom + 1) {
      ol.removeChild(ol.lastChild);
    }
  }

  function renderServices() {
    var f = $("services");
    while (f.firstChild) { f.removeChild(f.firstChild); }
    var list = state.services || [];
    for (var i = 0; i < list.length; i++) {
      var s = list[i];
      var tile = el("div", "svc");
      tile.setAttribute("data-service-id", s.id);
      var name = el("div", "name");
      bilingual(name, (function (svc) {
        return function (l) { return T.name(l, svc); };
      })(s));
      if (langs.length > 1 && T.name("zh", s) === T.name("en", s)) {
        name.textContent = T.name(langs[0], s);
      }
      tile.appendChild(name);
      var line = el("div", "figs");
      line.appendChild(el("b", "count", String(s.waiting || 0)));
      var words = el("span", "words");
      bilingual(words, function (l) { return T.t(l, "waitingWord"); });
      line.appendChild(words);
      tile.appendChild(line);
      var wait = el("div", "wait");
      bilingual(wait, (function (svc) {
        return function (l) {
          return svc.waiting > 0 || svc.ewt_seconds >= 60
            ? T.waitRange(l, svc.ewt_seconds, svc.ewt_low_seconds, svc.ewt_high_seconds) : T.t(l, "noWait");
        };
      })(s));
      tile.appendChild(wait);
      f.appendChild(tile);
    }
    f.className = "services n" + list.length;
  }

  // A call takes a ticket out of its queue, but the display topic sends only
  // the call itself; ask for the new counts and estimates.
  var servicesTimer = null;
  function refreshServices() {
    if (servicesTimer) { return; }
    servicesTimer = setTimeout(function () {
      servicesTimer = null;
      QB.api("GET", "/services").then(function (list) {
        state.services = list || [];
        renderServices();
      }, function () {});
    }, 250);
  }

  function renderAll(flash) {
    renderBranch();
    renderNow(flash);
    renderRecent();
    renderServices();
  }

  // ---- calls -------------------------------------------------------------

  function addCall(c) {
    state.calls.unshift(c);
    if (state.calls.length > 30) { state.calls.length = 30; }
    if (c.seq > state.lastCallSeq) { state.lastCallSeq = c.seq; }
  }

  function callFromEvent(d, seq) {
    if (d.call && d.call.number) {
      var c = d.call;
      if (!c.seq) { c.seq = seq; }
      return c;
    }
    return {
      seq: seq,
      at: "",
      ticket_id: d.ticket ? d.ticket.id : "",
      number: d.ticket ? d.ticket.number : "",
      service_id: d.ticket ? d.ticket.service_id : "",
      counter_id: d.counter ? d.counter.id : "",
      counter_name: d.counter ? d.counter.name : "",
      counter_names: d.counter ? d.counter.names : null,
      recall: !!d.recall
    };
  }

  function parseTime(s) {
    if (!s) { return NaN; }
    // Old engines parse only milliseconds; RFC 3339 from Go may carry nanoseconds.
    return Date.parse(String(s).replace(/(\.\d{3})\d+/, "$1"));
  }

  function fresh(c) {
    var at = parseTime(c.at);
    return isNaN(at) || boxNow().getTime() - at < STALE_MS;
  }

  function onSnapshot(v, seq) {
    state.branch = v.branch_name || "";
    state.notice = v.notice || "";
    state.noticeUntil = v.notice_until || "";
    state.tz = v.timezone || "";
    fmtCache = {};
    renderClock();
    state.services = v.services || [];
    var calls = v.calls || [];
    var missed = [];
    if (state.have) {
      for (var i = calls.length - 1; i >= 0; i--) {
        if (calls[i].seq > state.lastCallSeq) { missed.push(calls[i]); }
      }
    }
    state.calls = calls.slice(0);
    for (var j = 0; j < calls.length; j++) {
      if (calls[j].seq > state.lastCallSeq) { state.lastCallSeq = calls[j].seq; }
    }
    renderAll(missed.length > 0);
    for (var k = 0; k < missed.length; k++) {
      if (fresh(missed[k])) { announce(missed[k]); }
    }
    state.have = true;
  }

  function onEvent(type, d, seq) {
    switch (type) {
    case "called":
      var c = callFromEvent(d, seq);
      addCall(c);
      renderNow(true);
      renderRecent();
      if (fresh(c)) { announce(c); }
      refreshServices();
      break;
    case "services":
      state.services = d || [];
      renderServices();
      break;
    case "branch":
      state.branch = d.branch_name || state.branch;
      state.notice = d.notice || "";
      state.noticeUntil = d.notice_until || "";
      if (d.timezone && d.timezone !== state.tz) { state.tz = d.timezone; fmtCache = {}; renderClock(); }
      if (d.services) { state.services = d.services; }
      renderBranch();
      renderServices();
      break;
    }
  }

  // ---- connection --------------------------------------------------------

  var badgeTimer = null;
  function onState(s) {
    var dot = $("dot");
    dot.className = "dot " + s;
    var badge = $("reconnecting");
    if (s === "live") {
      clearTimeout(badgeTimer);
      badgeTimer = null;
      badge.hidden = true;
      document.body.className = document.body.className.replace(/\s*offline/g, "");
      return;
    }
    if (s === "reconnecting" && !badgeTimer && badge.hidden) {
      // A blip that heals within a second is not worth alarming anyone.
      badgeTimer = setTimeout(function () {
        badgeTimer = null;
        badge.hidden = false;
        document.body.className += " offline";
      }, 1000);
    }
  }

  // ---- sound -------------------------------------------------------------

  var chime = null;
  var queue = [];
  var busy = false;
  var spoken = []; // what was announced, newest last; read by tests and curious staff
  var keep = []; // utterances must stay referenced or some engines drop their events

  function getChime() {
    if (!chime && window.Audio) {
      chime = new Audio("/assets/chime.wav");
      chime.preload = "auto";
    }
    return chime;
  }

  function isBlocked(err) {
    return !!err && err.name === "NotAllowedError";
  }

  function playChime(done) {
    var a = getChime();
    if (!a) { done(); return; }
    var finished = false;
    function fin() {
      if (finished) { return; }
      finished = true;
      clearTimeout(guard);
      a.onended = null;
      done();
    }
    var guard = setTimeout(fin, 2500);
    a.onended = fin;
    try {
      a.volume = 1;
      a.currentTime = 0;
      var p = a.play();
      if (p && p.then) {
        p.then(null, function (err) {
          if (isBlocked(err)) { soundBlocked(); }
          fin();
        });
      }
    } catch (e) { fin(); }
  }

  function voiceFor(lang) {
    var ss = window.speechSynthesis;
    var vs = ss && ss.getVoices ? ss.getVoices() : [];
    if (!vs || !vs.length) { return { ok: true, voice: null }; }
    var best = null;
    for (var i = 0; i < vs.length; i++) {
      var vl = String(vs[i].lang || "").replace("_", "-").toLowerCase();
      if (vl.indexOf(lang) !== 0) { continue; }
      if (!best || (lang === "zh" && vl === "zh-cn") || (lang === "en" && vl === "en-us" && best.lang.toLowerCase() !== "en-us")) {
        best = vs[i];
      }
    }
    // With voices known but none for this language, a foreign voice would
    // garble the text: better the chime alone.
    return { ok: !!best, voice: best };
  }

  var ZH_DIGITS = "零一二三四五六七八九";

  // speechText is what is said for c in lang: Chinese reads the ticket's
  // digits one by one as characters, English spells them with spaces.
  function speechText(lang, c) {
    var num = String(c.number || "");
    if (lang === "zh") {
      var said = num.replace(/\d/g, function (d) { return ZH_DIGITS.charAt(+d); });
      return "请 " + said + " 号到 " + T.counter("zh", c);
    }
    return "Number " + num.split("").join(" ") + ", please go to " + (T.counter("en", c) || "the counter");
  }

  function say(text, lang, done) {
    var ss = window.speechSynthesis;
    var v = voiceFor(lang);
    if (!ss || !window.SpeechSynthesisUtterance || !v.ok) { done(); return; }
    var u = new SpeechSynthesisUtterance(text);
    u.lang = lang === "zh" ? T.tag("zh") : "en-US";
    if (v.voice) { u.voice = v.voice; }
    u.rate = 0.9;
    var finished = false;
    function fin() {
      if (finished) { return; }
      finished = true;
      clearTimeout(guard);
      var i = keep.indexOf(u);
      if (i >= 0) { keep.splice(i, 1); }
      done();
    }
    // Some engines never report the end: move on after a generous bound.
    var guard = setTimeout(function () {
      try { ss.cancel(); } catch (e) {}
      fin();
    }, 2500 + text.length * 180);
    u.onend = fin;
    u.onerror = function (e) {
      if (e && e.error === "not-allowed") { soundBlocked(); }
      fin();
    };
    keep.push(u);
    try { ss.speak(u); } catch (e) { fin(); }
  }

  function announce(c) {
    queue.push(c);
    if (queue.length > 6) { queue.splice(0, queue.length - 6); }
    pump();
  }

  function pump() {
    if (busy || !queue.length) { return; }
    busy = true;
    var c = queue.shift();
    var texts = [];
    for (var i = 0; i < langs.length; i++) {
      texts.push({ lang: langs[i], text: speechText(langs[i], c) });
    }
    spoken.push({ number: c.number, counter: c.counter_name, recall: !!c.recall, texts: texts });
    if (spoken.length > 20) { spoken.shift(); }
    var step = 0;
    function next() {
      if (step >= texts.length) {
        // A breath between announcements keeps them apart to the ear.
        setTimeout(function () { busy = false; pump(); }, 400);
        return;
      }
      var s = texts[step++];
      say(s.text, s.lang, next);
    }
    playChime(next);
  }

  function soundBlocked() {
    $("sound").hidden = false;
  }

  function enableSound() {
    store(SOUND_KEY, "on");
    $("sound").hidden = true;
    // Playing and speaking inside the tap is what unlocks both for later.
    var a = getChime();
    if (a) {
      try {
        a.currentTime = 0;
        var p = a.play();
        if (p && p.then) { p.then(null, function () {}); }
      } catch (e) {}
    }
    if (window.speechSynthesis && window.SpeechSynthesisUtterance) {
      try {
        var u = new SpeechSynthesisUtterance(" ");
        u.volume = 0;
        window.speechSynthesis.speak(u);
      } catch (e2) {}
    }
  }

  // probeSound checks, without a sound, whether this TV lets the page play
  // audio now; only when it does not does the header ask for a tap. A TV
  // started with --autoplay-policy=no-user-gesture-required (configs/
  // display-mode.md) never asks: nobody touches a wall TV.
  function probeSound() {
    if (navigator.getAutoplayPolicy) {
      try {
        if (navigator.getAutoplayPolicy("mediaelement") !== "allowed") { soundBlocked(); }
        return;
      } catch (e) {}
    }
    var a = getChime();
    if (!a) { return; }
    try {
      a.volume = 0;
      var p = a.play();
      if (p && p.then) {
        p.then(function () {
          a.pause();
          a.currentTime = 0;
          a.volume = 1;
        }, function (err) {
          a.volume = 1;
          if (isBlocked(err)) { soundBlocked(); }
        });
      }
    } catch (e2) {}
  }

  function wireSound() {
    var s = $("sound");
    s.onclick = function (e) { e.stopPropagation(); enableSound(); };
    s.onkeydown = function (e) {
      if (e.keyCode === 13 || e.keyCode === 32) { enableSound(); }
    };
    // A TV remote has no pointer: any key while the overlay shows enables sound too.
    document.addEventListener("keydown", function () { if (!s.hidden) { enableSound(); } });
    document.addEventListener("click", function () { if (!s.hidden) { enableSound(); } });
    // Some engines load their voices only once asked; ask early so the
    // first announcement can pick a Chinese one.
    if (window.speechSynthesis && window.speechSynthesis.getVoices) {
      try { window.speechSynthesis.getVoices(); } catch (e) {}
    }
  }

  // ---- pairing -------------------------------------------------------------

  // deviceToken keeps the token of the pairing link (/display/?device=…) and
  // takes it out of the address bar: it is the display's key. With it the
  // display reports in, so the admin sees it online.
  function deviceToken() {
    var key = "queuebox.display.device";
    try {
      var m = /[?&]device=([^&#]*)/.exec(location.search);
      if (m) {
        window.localStorage.setItem(key, decodeURIComponent(m[1]));
        var rest = location.search.replace(/([?&])device=[^&#]*&?/, "$1").replace(/[?&]$/, "");
        window.history.replaceState(null, "", location.pathname + rest + location.hash);
      }
      return window.localStorage.getItem(key);
    } catch (e) {
      return null;
    }
  }

  // ---- start -------------------------------------------------------------

  applyLabels();
  renderAll(false);
  window.addEventListener("resize", function () { renderRecent(); fitNum(); });
  setInterval(QB.syncClock, 10 * 60 * 1000);
  tick();
  wireSound();
  probeSound();

  window.qbDisplay = {
    langs: langs,
    spoken: spoken,
    speechText: speechText
  };

  // The first screen is on the box's clock: the live feed starts once the
  // box has told its time (or could not), not beside that request, whose
  // answer could come after the snapshot and leave the TV's own time shown.
  QB.syncClock().then(function () {
    window.QBLive.connect({
      topic: "display",
      onSnapshot: onSnapshot,
      onEvent: onEvent,
      onState: onState,
      hello: deviceToken() ? {device: deviceToken()} : null
    });
  });
})();
