// The admin page's "Lobby notice and holidays" section: post or take down
// the lobby display's notice, and keep the calendar of holidays and special
// opening hours.
"use strict";

(() => {
  const T = {
    posted: "Notice posted · 已发布",
    cleared: "Notice taken down · 已撤下",
    saved: "Calendar saved · 已保存",
    badLine: (n, line) => `line ${n}: “${line}” — write YYYY-MM-DD closed, or YYYY-MM-DD 09:00-12:00`,
    shown: (text, until) => `Showing: “${text}”` + (until ? ` until ${new Date(until).toLocaleTimeString()}` : "") + " · 当前公告",
  };
  const $ = (id) => document.getElementById(id);

  function msg(id, text, kind) {
    const m = $(id);
    m.textContent = text;
    m.className = "section-msg " + (kind || "");
  }

  function fieldError(form, err) {
    form.querySelectorAll("[data-error-for]").forEach((n) => { n.textContent = ""; });
    const m = /^(special_days|until|text|notice)/.exec(err.message);
    const field = m ? (m[1] === "notice" ? "text" : m[1]) : "";
    (form.querySelector(`[data-error-for="${field}"]`) || form.querySelector('[data-error-for=""]')).textContent = err.message;
  }

  // Days are shown one a line, "closed" for a holiday.
  function daysText(days) {
    return Object.keys(days || {}).sort().map((d) => `${d} ${days[d] === "" ? "closed" : days[d]}`).join("\n");
  }

  function parseDays(text) {
    const out = {};
    const lines = text.split("\n");
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i].trim();
      if (!line) continue;
      const m = /^(\d{4}-\d{2}-\d{2})\s+(.+)$/.exec(line);
      if (!m) throw new Error("special_days " + T.badLine(i + 1, line));
      out[m[1]] = /^(closed|休息|关闭)$/i.test(m[2].trim()) ? "" : m[2].replace(/\s+/g, "");
    }
    return out;
  }

  async function load() {
    const st = await QB.api("GET", "/settings");
    $("days-text").value = daysText(st.special_days);
    if (st.notice && (!st.notice_until || Date.parse(st.notice_until) > QB.now())) {
      $("notice-text").value = st.notice;
      msg("notice-msg", T.shown(st.notice, st.notice_until), "ok");
    }
  }

  async function postNotice(text, minutes) {
    const body = { text };
    if (text && minutes > 0) body.until = new Date(QB.now() + minutes * 60000).toISOString();
    return QB.api("PUT", "/notice", body);
  }

  $("notice-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const n = await postNotice(f.elements.text.value.trim(), parseInt(f.elements.minutes.value, 10) || 0);
      fieldError(f, { message: "" });
      msg("notice-msg", n.text ? T.shown(n.text, n.until) : T.cleared, "ok");
    } catch (err) {
      fieldError(f, err);
    }
  });

  $("notice-clear").addEventListener("click", async () => {
    try {
      await postNotice("", 0);
      $("notice-text").value = "";
      msg("notice-msg", T.cleared, "ok");
    } catch (err) {
      fieldError($("notice-form"), err);
    }
  });

  $("days-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const f = e.target;
    try {
      const st = await QB.api("PUT", "/special-days", { special_days: parseDays(f.elements.days.value) });
      fieldError(f, { message: "" });
      f.elements.days.value = daysText(st.special_days);
      msg("days-msg", T.saved, "ok");
    } catch (err) {
      fieldError(f, err);
    }
  });

  load().catch((err) => msg("notice-msg", err.message, "error"));
})();
