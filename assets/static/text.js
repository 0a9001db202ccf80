/*
 * queuebox translations: one shape for every page.
 *
 * Each page has one file, <page>.i18n.js, that holds only data:
 *
 *   QB.text.define("status", {
 *     zh: { ahead: { zero: "下一位就是您", other: "前面还有 {n} 人" } },
 *     en: { ahead: { zero: "You're next", one: "1 person ahead of you",
 *                    other: "{n} people ahead of you" } }
 *   });
 *
 * and the page reads it with
 *
 *   var T = QB.text.page("status");
 *   T.t("en", "ahead", {n: 3});                    // "3 people ahead of you"
 *
 * A value is a string with {name} placeholders, or a plural set chosen by
 * the number in vars.n: "zero" (when n is 0, if given), then the language's
 * plural category ("one", "other", …), then "other". Numbers in vars are
 * formatted for the language. zh and en must have the same keys: the pages'
 * browser tests ask QB.text.missing() and want an empty list. A key missing
 * at run time shows the English words, never the key.
 *
 * Words shared by several pages (wait ranges, counters, "reconnecting")
 * live in the "common" table below; a page's own table wins over it.
 *
 * Plain ES5 on purpose: lobby TVs run old Chromium-based browsers.
 */
(function (global) {
  "use strict";

  var QB = global.QB || (global.QB = {});
  var LANGS = ["zh", "en"];
  // One tag for Chinese everywhere (html lang, lang= on Chinese runs, the
  // voice of the display and the Intl formatters).
  var TAGS = { zh: "zh-CN", en: "en" };
  var tables = {};

  function has(o, k) { return Object.prototype.hasOwnProperty.call(o, k); }

  function define(page, t) {
    tables[page] = t;
    return translator(page);
  }

  var numFmt = {};
  function number(lang, n) {
    if (typeof n !== "number") { return n; }
    if (!has(numFmt, lang)) {
      numFmt[lang] = null;
      try { numFmt[lang] = new Intl.NumberFormat(TAGS[lang] || lang); } catch (e) {}
    }
    return numFmt[lang] ? numFmt[lang].format(n) : String(n);
  }

  var pluralRules = {};
  function category(lang, n) {
    if (!has(pluralRules, lang)) {
      pluralRules[lang] = null;
      try { pluralRules[lang] = new Intl.PluralRules(TAGS[lang] || lang); } catch (e) {}
    }
    if (pluralRules[lang]) { return pluralRules[lang].select(n); }
    return n === 1 && lang !== "zh" ? "one" : "other";
  }

  function pick(lang, v, vars) {
    if (typeof v === "string") { return v; }
    var n = vars && typeof vars.n === "number" ? vars.n : 0;
    if (n === 0 && has(v, "zero")) { return v.zero; }
    var c = category(lang, n);
    return has(v, c) ? v[c] : v.other;
  }

  function fill(lang, s, vars) {
    return String(s).replace(/\{(\w+)\}/g, function (m, k) {
      return vars && vars[k] !== undefined && vars[k] !== null ? number(lang, vars[k]) : m;
    });
  }

  function lookup(page, lang, key) {
    var order = [page, "common"];
    for (var i = 0; i < order.length; i++) {
      var tb = tables[order[i]];
      if (tb && tb[lang] && has(tb[lang], key)) { return tb[lang][key]; }
    }
    for (var j = 0; j < order.length; j++) {
      var en = tables[order[j]] && tables[order[j]].en;
      if (en && has(en, key)) { return en[key]; }
    }
    return null;
  }

  function t(page, lang, key, vars) {
    var v = lookup(page, lang, key);
    if (v === null) { return key; }
    return fill(lang, pick(lang, v, vars), vars);
  }

  // waitRange turns an estimate in seconds into a range: the estimate is an
  // average, and a precise minute would promise more than the box knows.
  // With low and high (the range the box promises, learned from how long
  // people really waited) it shows that range in whole minutes.
  function waitRange(page, lang, seconds, low, high) {
    var m = Math.max(0, seconds || 0) / 60;
    if (high > 0) {
      var l = Math.floor(Math.max(0, low || 0) / 60);
      var h = Math.max(l + 1, Math.ceil(high / 60));
      if (l >= 180) { return t(page, lang, "waitOver", { n: 3 }); }
      if (l === 0) { return t(page, lang, "waitWithin", { n: h }); }
      return t(page, lang, "waitRange", { lo: l, hi: h });
    }
    if (m < 5) { return t(page, lang, "waitUnder", { n: 5 }); }
    if (m >= 180) { return t(page, lang, "waitOver", { n: 3 }); }
    var step = m < 60 ? 5 : 15;
    var lo = Math.floor(m / step) * step;
    return t(page, lang, "waitRange", { lo: lo, hi: lo + step });
  }

  // name is an object's name in lang (services and counters carry names
  // per language), then its default name.
  function name(lang, o) {
    if (!o) { return ""; }
    if (o.names && o.names[lang]) { return o.names[lang]; }
    return o.name || o.id || "";
  }

  // counter names a counter in lang: its own name in that language when it
  // has one, else for Chinese "3 号窗口" when its default name holds a
  // number ("Counter 3"), else its default name. c is a counter, or a call
  // carrying counter_name and counter_names.
  function counter(lang, c) {
    if (!c) { return ""; }
    if (typeof c === "string") { c = { name: c }; }
    var names = c.names || c.counter_names;
    if (names && names[lang]) { return names[lang]; }
    var n = c.name || c.counter_name || "";
    if (lang === "zh") {
      var m = /(\d+)/.exec(n);
      if (m) { return m[1] + " 号窗口"; }
    }
    return n;
  }

  function translator(page) {
    return {
      t: function (lang, key, vars) { return t(page, lang, key, vars); },
      waitRange: function (lang, seconds, low, high) { return waitRange(page, lang, seconds, low, high); },
      name: name,
      counter: counter,
      number: number,
      tag: tag
    };
  }

  function tag(lang) { return TAGS[lang] || lang; }

  // missing lists "page.lang.key" for every key one language has and the
  // other lacks, and every plural set without "other".
  function missing() {
    var out = [];
    for (var p in tables) {
      if (!has(tables, p)) { continue; }
      for (var i = 0; i < LANGS.length; i++) {
        var a = tables[p][LANGS[i]] || {};
        var b = tables[p][LANGS[1 - i]] || {};
        for (var k in a) {
          if (!has(a, k)) { continue; }
          if (!has(b, k)) { out.push(p + "." + LANGS[1 - i] + "." + k); }
          if (typeof a[k] !== "string" && !has(a[k], "other")) { out.push(p + "." + LANGS[i] + "." + k + ".other"); }
        }
      }
    }
    return out;
  }

  // table is a page's raw table in lang (for pages that build their own
  // views of it, like the bilingual staff pages); never change it.
  function table(page, lang) {
    return (tables[page] && tables[page][lang]) || {};
  }

  QB.text = {
    define: define,
    table: table,
    page: translator,
    tag: tag,
    name: name,
    counter: counter,
    number: number,
    missing: missing,
    langs: LANGS
  };

  define("common", {
    zh: {
      waitUnder: "不到 {n} 分钟",
      waitWithin: "约 {n} 分钟以内",
      waitOver: "超过 {n} 小时",
      waitRange: "约 {lo}–{hi} 分钟",
      reconnecting: "正在重新连接…",
      loading: "正在加载…"
    },
    en: {
      waitUnder: "under {n} min",
      waitWithin: "under {n} min",
      waitOver: { one: "over {n} hour", other: "over {n} hours" },
      waitRange: "about {lo}–{hi} min",
      reconnecting: "Reconnecting…",
      loading: "Loading…"
    }
  });
})(window);
