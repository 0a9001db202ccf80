// Shared by the staff pages (login, console, admin): durations, the session,
// their bilingual words and Chinese tagged for screen readers. The API
// client (api.js) and QB.el (dom.js) are the toolkit's.
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

  function toLogin() {
    location.replace("/login/?next=" + encodeURIComponent(location.pathname) + location.hash);
  }

  async function logout() {
    try { await QB.api("DELETE", "/seat"); } catch (e) { /* a seat lapses by itself */ }
    try { await QB.api("DELETE", "/session"); } catch (e) { /* the cookie is gone either way */ }
    location.replace("/login/");
  }

  // words gives a staff page's words from its <page>.i18n.js (the shape of
  // every page's translations, assets/README.md) as the staff pages show
  // them: English with the Chinese beside it ("Finish · 完成"). A word with
  // {placeholders} or plural forms is a function of its vars,
  // T.done({ n: "A023" }); the others are strings, T.nobody. A var may be a
  // function of the language (T.w(key) is one) to put each language's word
  // in its own half. T.in(lang, key, vars) gives one language only.
  function words(page) {
    const P = QB.text.page(page);
    const en = QB.text.table(page, "en"), zh = QB.text.table(page, "zh");
    const one = (lang, key, vars) => {
      const v = {};
      for (const [k, x] of Object.entries(vars || {})) v[k] = typeof x === "function" ? x(lang) : x;
      return P.t(lang, key, v);
    };
    const both = (key, vars) => {
      const e = one("en", key, vars), z = one("zh", key, vars);
      return e === z || !z ? e : `${e} · ${z}`;
    };
    const dynamic = (v) => typeof v !== "string" || /\{\w+\}/.test(v);
    const T = {
      in: one,
      w: (key, vars) => (lang) => one(lang, key, vars),
      both,
    };
    for (const k of Object.keys(en)) T[k] = dynamic(en[k]) || dynamic(zh[k] || "") ? (vars) => both(k, vars) : both(k);
    return T;
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

  Object.assign(QB, { secondsSince, duration, toLogin, logout, tagChinese, words });
})();
