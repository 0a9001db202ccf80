// Shared by the staff pages (login, console, admin): one way to call the API,
// to build DOM nodes and to format durations.
"use strict";

const QB = (() => {
  // Server clock minus this machine's clock, in ms. Waiting times are measured
  // against the box's clock: a counter PC with a wrong clock must not show a
  // customer as waiting for an hour, or for minus two minutes.
  let skew = 0;

  class APIError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  function learnClock(res) {
    const d = res.headers.get("Date");
    if (!d) return;
    // Date has one-second resolution; +500 ms centres the error.
    const s = Date.parse(d) + 500 - Date.now();
    if (Number.isFinite(s) && Math.abs(s - skew) > 2000) skew = s;
  }

  // api calls /api/v1 and returns the decoded JSON (null for 204). Errors are
  // thrown as APIError; status 0 means the box could not be reached.
  async function api(method, path, body) {
    const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
    if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch("/api/v1" + path, init);
    } catch (e) {
      throw new APIError(0, "offline", "The box cannot be reached · 无法连接");
    }
    learnClock(res);
    if (res.status === 204) return null;
    const text = await res.text();
    let data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      throw new APIError(res.status, e.code || "http_" + res.status, e.message || res.statusText || "request failed");
    }
    return data;
  }

  function now() { return Date.now() + skew; }

  // secondsSince is the whole seconds from an RFC 3339 time to now (never negative).
  function secondsSince(iso) {
    const t = Date.parse(iso);
    if (!Number.isFinite(t)) return 0;
    return Math.max(0, Math.floor((now() - t) / 1000));
  }

  function duration(sec) {
    sec = Math.max(0, Math.floor(sec));
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    const ss = String(s).padStart(2, "0");
    if (h > 0) return h + ":" + String(m).padStart(2, "0") + ":" + ss;
    return m + ":" + ss;
  }

  // el builds an element; text goes through textContent, never innerHTML,
  // since names and messages come from users.
  function el(tag, props, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") n.className = v;
      else if (k === "text") n.textContent = v;
      else if (k === "dataset") Object.assign(n.dataset, v);
      else if (k.startsWith("on")) n.addEventListener(k.slice(2), v);
      else if (k in n && typeof v !== "string") n[k] = v;
      else n.setAttribute(k, v === true ? "" : v);
    }
    for (const kid of kids.flat()) {
      if (kid === null || kid === undefined || kid === false) continue;
      n.append(kid instanceof Node ? kid : String(kid));
    }
    return n;
  }

  function toLogin() {
    location.replace("/login/?next=" + encodeURIComponent(location.pathname));
  }

  async function logout() {
    try { await api("DELETE", "/session"); } catch (e) { /* the cookie is gone either way */ }
    location.replace("/login/");
  }

  return { api, APIError, now, secondsSince, duration, el, toLogin, logout };
})();
