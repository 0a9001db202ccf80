// Shared by the staff pages (login, console, admin): one way to call the API,
// to build DOM nodes and to format durations.
"use strict";

(() => {
  // The API client and the box's clock are the toolkit's (assets/api.js);
  // what only the staff pages need is added to the same QB.
  const QB = window.QB;
  const now = QB.now;

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
    try { await QB.api("DELETE", "/seat"); } catch (e) { /* a seat lapses by itself */ }
    try { await QB.api("DELETE", "/session"); } catch (e) { /* the cookie is gone either way */ }
    location.replace("/login/");
  }

  // The staff pages are English with Chinese beside it ("Finish · 完成").
  // Every run of Chinese is tagged lang="zh-CN", so a screen reader reads
  // it with a Chinese voice: the static page once, whatever the scripts add
  // as it comes. Elements that may only hold text are left alone.
  const HAN = /[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+(?:[\s\d·、，。：；（）()]*[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+)*/g;
  const TEXT_ONLY = new Set(["OPTION", "TITLE", "TEXTAREA", "SCRIPT", "STYLE"]);
  const ZH = QB.text ? QB.text.tag("zh") : "zh-CN";

  function tagText(node) {
    const parent = node.parentElement;
    if (!parent || TEXT_ONLY.has(parent.tagName)) return;
    const s = node.nodeValue;
    HAN.lastIndex = 0;
    if (!HAN.test(s)) return;
    const inZh = parent.closest("[lang]");
    if (inZh && inZh.getAttribute("lang").startsWith("zh")) return;
    const frag = document.createDocumentFragment();
    let at = 0;
    HAN.lastIndex = 0;
    for (let m = HAN.exec(s); m; m = HAN.exec(s)) {
      if (m.index > at) frag.append(s.slice(at, m.index));
      const span = document.createElement("span");
      span.lang = ZH;
      span.textContent = m[0];
      frag.append(span);
      at = m.index + m[0].length;
    }
    if (at < s.length) frag.append(s.slice(at));
    parent.replaceChild(frag, node);
  }

  function tagChinese(root) {
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    const found = [];
    for (let n = walk.nextNode(); n; n = walk.nextNode()) found.push(n);
    found.forEach(tagText);
    // Attributes read aloud cannot hold a tag; they stay as written.
  }

  function watchChinese() {
    tagChinese(document.body);
    new MutationObserver((records) => {
      for (const r of records) {
        if (r.type === "characterData") tagText(r.target);
        for (const n of r.addedNodes) {
          if (n.nodeType === Node.TEXT_NODE) tagText(n);
          else if (n.nodeType === Node.ELEMENT_NODE) tagChinese(n);
        }
      }
    }).observe(document.body, { childList: true, subtree: true, characterData: true });
  }
  if (document.body) watchChinese();
  else document.addEventListener("DOMContentLoaded", watchChinese);

  Object.assign(QB, { secondsSince, duration, el, toLogin, logout, tagChinese });
})();
