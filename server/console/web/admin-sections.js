// The admin app's frame: one section on screen at a time, chosen by the
// address's #hash (so a section can be bookmarked, and Back works), with a
// navigation built from the sections themselves.
//
// Adding a section takes two steps:
//   1. In admin.html, inside <main>, a section with a nav label:
//        <section class="admin-section" id="reports" aria-labelledby="reports-h"
//                 data-nav="Reports · 报表">
//          <h2 id="reports-h">Reports · 报表</h2> …
//        </section>
//      Its place in <main> is its place in the navigation.
//   2. Its script (admin-reports.js, loaded after this file) registers what
//      to do each time the section is opened:
//        QBAdmin.section("reports", { load: async () => { … } });
//      load's errors are shown in the section's [data-section-msg] element
//      if it has one. A section without a script is plain HTML.
"use strict";

(() => {
  const specs = {};
  let current = "";

  const sections = () => [...document.querySelectorAll("main section.admin-section")];

  function buildNav() {
    const nav = document.getElementById("admin-nav");
    const list = QB.el("ul", {}, sections().map((s) => QB.el("li", {},
      QB.el("a", { href: "#" + s.id, dataset: { section: s.id }, text: s.dataset.nav || s.id }))));
    nav.replaceChildren(list);
  }

  function wanted() {
    const id = decodeURIComponent(location.hash.slice(1));
    const all = sections();
    return all.some((s) => s.id === id) ? id : (all[0] ? all[0].id : "");
  }

  function run(id) {
    const spec = specs[id];
    if (!spec || !spec.load) return;
    Promise.resolve().then(spec.load).catch((err) => {
      if (err && err.status === 401) { QB.toLogin(); return; }
      const box = document.querySelector(`#${CSS.escape(id)} [data-section-msg]`);
      if (box) {
        box.textContent = (err && err.message) || String(err);
        box.dataset.kind = "error";
      }
    });
  }

  function show() {
    const id = wanted();
    const changed = id !== current;
    current = id;
    for (const s of sections()) s.hidden = s.id !== id;
    for (const a of document.querySelectorAll("#admin-nav a")) {
      if (a.dataset.section === id) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    const sec = document.getElementById(id);
    const h = sec && sec.querySelector("h2");
    document.title = (h ? h.textContent + " — " : "") + "Admin · 管理 — queuebox";
    if (changed) {
      // Keyboard and screen-reader users land on the section they opened.
      if (h && document.body.dataset.ready === "1") {
        h.tabIndex = -1;
        h.focus({ preventScroll: true });
      }
      run(id);
    }
  }

  window.QBAdmin = {
    // section registers a section's behaviour; see the top of this file.
    section(id, spec) {
      specs[id] = spec;
      if (id === current) run(id);
    },
    // current is the id of the section on screen.
    current: () => current,
    // nameOf is a service's, counter's or tier's name in both languages
    // ("General banking · 综合业务"), as the admin shows names.
    nameOf(x) {
      const zh = x.names && x.names.zh;
      return zh && zh !== x.name ? `${x.name} · ${zh}` : x.name;
    },
  };

  buildNav();
  show();
  window.addEventListener("hashchange", show);
})();
