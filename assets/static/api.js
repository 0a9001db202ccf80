/*
 * queuebox API client: the one way every page talks to the box.
 *
 *   QB.api("POST", "/tickets", {service_id: "general"}, {token: t, key: k})
 *     .then(function (data) { ... })          // decoded JSON, null for 204
 *     .catch(function (err) { err.status, err.code, err.message });
 *
 * Paths are under /api/v1 unless they start with /api/ or /healthz.
 * Every failure rejects with a QB.APIError carrying the server's
 * {"error":{code,message}}; status 0 means the box was not reached
 * (code "offline", or "timeout" when it did not answer in time).
 * Every answer's Date header keeps QB.now() on the box's clock, so a kiosk,
 * TV or counter PC with a wrong clock still counts waits correctly.
 *
 * Plain ES5 and XMLHttpRequest on purpose: lobby TVs run old Chromium-based
 * browsers (see assets/README.md).
 */
(function (global) {
  "use strict";

  var QB = global.QB || (global.QB = {});
  // Generous: a login hashes a password, slow on a small box under load. A
  // page that must answer a customer sooner passes its own (the kiosk: 8 s).
  var DEFAULT_TIMEOUT = 30000;
  var skew = 0; // the box's clock minus ours, in ms

  function APIError(status, code, message, data) {
    this.name = "APIError";
    this.status = status;
    this.code = code;
    this.message = message || code;
    this.data = data || null;
  }
  APIError.prototype = Object.create(Error.prototype);
  APIError.prototype.constructor = APIError;

  function learnClock(xhr, sent) {
    var d = Date.parse(xhr.getResponseHeader("Date") || "");
    if (isNaN(d)) { return; }
    // Date has one-second resolution: +500 ms centres it; the request's
    // midpoint is the best guess for when the box wrote it.
    var s = d + 500 - (sent + Date.now()) / 2;
    // Jitter under two seconds is noise; moving the clock for it would
    // make counting timers hop.
    if (Math.abs(s - skew) > 2000) { skew = s; }
  }

  function url(path) {
    if (path.indexOf("/api/") === 0 || path.indexOf("/healthz") === 0) { return path; }
    return "/api/v1" + path;
  }

  // api sends one request. opts: token (a device's bearer token), key (an
  // Idempotency-Key), timeout (ms), needBody (a 2xx without a JSON body is
  // treated as lost on the way: status 0, code "offline"), contentType (the
  // body is a string sent as it is, e.g. "text/csv"; otherwise it is JSON).
  function api(method, path, body, opts) {
    opts = opts || {};
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      var sent = Date.now();
      xhr.open(method, url(path), true);
      xhr.timeout = opts.timeout || DEFAULT_TIMEOUT;
      xhr.setRequestHeader("Accept", "application/json");
      if (opts.token) { xhr.setRequestHeader("Authorization", "Bearer " + opts.token); }
      if (opts.key) { xhr.setRequestHeader("Idempotency-Key", opts.key); }
      var hasBody = body !== undefined && body !== null;
      if (hasBody) {
        xhr.setRequestHeader("Content-Type", opts.contentType || "application/json");
      }
      xhr.onload = function () {
        learnClock(xhr, sent);
        var data = null;
        if (xhr.responseText) {
          try { data = JSON.parse(xhr.responseText); } catch (e) { data = null; }
        }
        if (xhr.status >= 200 && xhr.status < 300) {
          if (opts.needBody && data === null && xhr.status !== 204) {
            reject(new APIError(0, "offline", "empty answer"));
            return;
          }
          resolve(data);
          return;
        }
        var e = (data && data.error) || {};
        reject(new APIError(xhr.status, e.code || "http_" + xhr.status,
          e.message || xhr.statusText || "request failed", data));
      };
      xhr.onerror = function () { reject(new APIError(0, "offline", "The box cannot be reached · 无法连接")); };
      xhr.ontimeout = function () { reject(new APIError(0, "timeout", "The box did not answer in time · 连接超时")); };
      xhr.send(!hasBody ? null : opts.contentType ? body : JSON.stringify(body));
    });
  }

  QB.APIError = APIError;
  QB.api = api;
  // now is the box's time in ms since the epoch.
  QB.now = function () { return Date.now() + skew; };
  // dateIn is the calendar date (YYYY-MM-DD) of the moment ms in the time
  // zone tz (an IANA name; this machine's zone when empty).
  QB.dateIn = function (ms, tz) {
    var parts = new Intl.DateTimeFormat("en-US", { timeZone: tz || undefined, year: "numeric", month: "2-digit", day: "2-digit" })
      .formatToParts(new Date(ms));
    var p = {};
    parts.forEach(function (x) { p[x.type] = x.value; });
    return p.year + "-" + p.month + "-" + p.day;
  };
  // skew is the box's clock minus this machine's, in ms.
  QB.skew = function () { return skew; };
  // syncClock asks the box for its time once (pages that make no other
  // request early, like the lobby display, call it at start).
  QB.syncClock = function () { return api("GET", "/healthz").then(null, function () {}); };

  // store reads (one argument) or writes a value in localStorage; a browser
  // that refuses storage (private mode, a locked-down TV) just forgets.
  QB.store = function (key, val) {
    try {
      if (val === undefined) { return global.localStorage.getItem(key); }
      global.localStorage.setItem(key, val);
    } catch (e) {}
    return null;
  };
})(window);
