/*
 * queuebox live client: one websocket topic that never needs F5.
 *
 *   var conn = QBLive.connect({
 *     topic: "display",            // "display", "queue" or "status"
 *     params: {token: "..."},      // extra query parameters
 *     onSnapshot: function (data, seq) {},
 *     onEvent: function (type, data, seq) {},
 *     onState: function (state) {}, // "connecting", "live", "reconnecting", "gone", "ended"
 *     hello: {device: "TOKEN"}      // a paired kiosk or display reports in
 *   });
 *
 * With hello, each connection starts by sending {"type":"hello", ...hello}
 * and then {"type":"heartbeat"} every 30 s, so the box knows the device is
 * alive (its admin page shows it online; staff are alerted when it is not).
 *
 * It resumes with since=<last seq> after a drop, backs off 0.5 s → 15 s
 * (×1.5 a try, with jitter),
 * reconnects at once when a phone is unlocked (visibilitychange) or the
 * network comes back, and stops for good on close code 4404 (unknown ticket,
 * state "gone") and 4401 (the session or device that opened it lost its
 * rights, state "ended": a staff page goes back to its login).
 * Plain ES5 on purpose: lobby TVs run old Chromium-based browsers.
 */
(function (global) {
  "use strict";

  var UNKNOWN_KEY = 4404;
  var ENDED = 4401;
  var HEARTBEAT_MS = 30000;

  function connect(opts) {
    var seq = null;
    var ws = null;
    var delay = 500;
    var timer = null;
    var stopped = false;
    var state = "";

    function setState(s) {
      if (s === state) { return; }
      state = s;
      if (opts.onState) { opts.onState(s); }
    }

    function url() {
      var proto = location.protocol === "https:" ? "wss:" : "ws:";
      var q = "topic=" + encodeURIComponent(opts.topic);
      var p = opts.params || {};
      for (var k in p) {
        if (Object.prototype.hasOwnProperty.call(p, k)) {
          q += "&" + encodeURIComponent(k) + "=" + encodeURIComponent(p[k]);
        }
      }
      if (seq !== null) { q += "&since=" + seq; }
      return proto + "//" + location.host + "/api/v1/live?" + q;
    }

    function schedule() {
      if (stopped || timer) { return; }
      setState("reconnecting");
      // Jitter spreads a crowd of phones that all lost the box at once.
      var wait = delay * (0.8 + Math.random() * 0.4);
      timer = setTimeout(function () { timer = null; open(); }, wait);
      delay = Math.min(delay * 1.5, 15000);
    }

    function open() {
      if (stopped) { return; }
      if (ws) { try { ws.close(); } catch (e) {} }
      if (state === "") { setState("connecting"); }
      var sock;
      try { sock = new WebSocket(url()); } catch (e) { schedule(); return; }
      ws = sock;
      sock.onopen = function () {
        delay = 500;
        if (opts.hello) { sayHello(sock); }
      };
      sock.onmessage = function (ev) {
        if (sock !== ws) { return; }
        var m;
        try { m = JSON.parse(ev.data); } catch (e) { return; }
        if (m.type === "snapshot") {
          seq = m.seq;
          setState("live");
          if (opts.onSnapshot) { opts.onSnapshot(m.data, m.seq); }
          return;
        }
        // Only numbered events move the resume point; anything else (a
        // keep-alive, say) must not reset it.
        if (typeof m.seq !== "number") { return; }
        if (seq !== null && m.seq <= seq) { return; }
        seq = m.seq;
        setState("live");
        if (opts.onEvent) { opts.onEvent(m.type, m.data, m.seq); }
      };
      sock.onclose = function (ev) {
        if (sock !== ws) { return; }
        ws = null;
        if (ev.code === UNKNOWN_KEY) {
          stopped = true;
          setState("gone");
          return;
        }
        if (ev.code === ENDED) {
          stopped = true;
          setState("ended");
          return;
        }
        schedule();
      };
      // A resume that is already current gets no snapshot: mark it live once open.
      sock.addEventListener("open", function () {
        if (seq !== null) { setState("live"); }
      });
    }

    function sayHello(sock) {
      var m = {type: "hello"};
      for (var k in opts.hello) {
        if (Object.prototype.hasOwnProperty.call(opts.hello, k)) { m[k] = opts.hello[k]; }
      }
      try { sock.send(JSON.stringify(m)); } catch (e) { return; }
      var beat = setInterval(function () {
        if (sock !== ws || sock.readyState !== 1) { clearInterval(beat); return; }
        try { sock.send('{"type":"heartbeat"}'); } catch (e) { clearInterval(beat); }
      }, HEARTBEAT_MS);
    }

    function kick(force) {
      // Back from a locked phone or a network change: try now, not after the backoff.
      if (stopped) { return; }
      if (force || !ws || ws.readyState > 1) {
        if (timer) { clearTimeout(timer); timer = null; }
        delay = 500;
        open();
      }
    }

    // A phone that slept for a while often keeps a socket that looks open but
    // is dead (the network dropped it silently); resuming with since= is cheap.
    var hiddenAt = 0;
    document.addEventListener("visibilitychange", function () {
      if (document.hidden) { hiddenAt = Date.now(); return; }
      kick(hiddenAt > 0 && Date.now() - hiddenAt > 20000);
      hiddenAt = 0;
    });
    global.addEventListener("online", function () { kick(false); });
    global.addEventListener("pageshow", function () { kick(false); });

    open();
    return {
      close: function () {
        stopped = true;
        if (timer) { clearTimeout(timer); }
        if (ws) { ws.close(); }
      },
      seq: function () { return seq; },
      state: function () { return state; }
    };
  }

  global.QBLive = { connect: connect };
})(window);
