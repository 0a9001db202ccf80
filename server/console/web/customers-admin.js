"use strict";

// The admin's customers section: the tier editor, the rules that protect
// the branch (per-phone cap, the no-show chain, booking rights, retention),
// the CSV upload of purchases, and looking a customer up by phone. It draws
// itself into <section id="customers"> so admin.html and admin.js stay as
// they are.
(() => {
  const { api, el } = QB;
  const root = document.getElementById("customers");
  if (!root) return;

  const S = { tiers: [], counters: [], settings: null, customer: null };

  const T = QB.words("admin.customers"); // admin.i18n.js
  const W = QB.text.page("admin.customers"); // one language at a time
  // Each rule is a setting; its label and hint are rule_<key>, hint_<key>.
  const RULES = ["tickets_per_phone_per_day", "grace_seconds", "push_back_places", "max_recalls",
    "no_show_limit", "no_show_window_days", "booking_block_days", "retention_months"];

  // The tier table's columns: setting, input type, placeholder; the
  // heading is col_<key>.
  const TIER_FIELDS = [
    ["id", "text", "gold"],
    ["name", "text", "Gold"],
    ["name_zh", "text", "金卡"],
    ["min_spend", "number", ""],
    ["min_visits", "number", ""],
    ["window_days", "number", "365"],
    ["share", "number", "auto"],
    ["sla_minutes", "number", ""],
    ["sla_percent", "number", ""],
    ["counters", "text", "c5, c6"],
    ["prefer_counters", "text", ""],
  ];
  const colName = (key) => T["col_" + key];
  // The API's names of the fields the table edits under another name.
  const FIELD_COLUMN = { "names.zh": "name_zh", sla_wait_seconds: "sla_minutes", sla_target: "sla_percent" };

  function build() {
    root.replaceChildren(
      el("h2", { id: "customers-h", text: T.title }),
      el("p", { class: "muted", text: T.intro }),
      el("form", { id: "tiers-form", novalidate: true },
        el("table", { class: "tiers", tabindex: "0" },
          el("thead", {}, el("tr", {}, ...TIER_FIELDS.map(([key]) => el("th", { text: colName(key) })), el("th", {}))),
          el("tbody", { id: "tiers-body" })),
        el("p", { class: "form-error", id: "tiers-error", role: "alert" }),
        el("div", { class: "buttons" },
          el("button", { type: "button", id: "tier-add", text: T.addTier }),
          el("button", { type: "submit", class: "primary", id: "tiers-save", text: T.saveTiers }),
          el("span", { class: "section-msg", id: "tiers-msg", role: "status" }))),
      el("h3", { text: T.protect }),
      el("form", { id: "rules-form", class: "grid", novalidate: true },
        ...RULES.map((key) => el("div", { class: "field" },
          el("label", { for: "rule-" + key, text: T["rule_" + key] }),
          el("input", { id: "rule-" + key, name: key, type: "number", min: "0" }),
          el("span", { class: "hint", text: T["hint_" + key] }),
          el("p", { class: "field-error", dataset: { errorFor: key } }))),
        el("p", { class: "form-error wide", id: "rules-error", role: "alert" }),
        el("div", { class: "buttons" },
          el("button", { type: "submit", class: "primary", text: T.saveRules }),
          el("span", { class: "section-msg", id: "rules-msg", role: "status" }))),
      el("h3", { text: T.upload }),
      el("p", { class: "muted", text: T.uploadIntro }),
      el("form", { id: "import-form", novalidate: true },
        el("input", { type: "file", id: "import-file", accept: ".csv,text/csv", "aria-label": T.upload }),
        el("button", { type: "submit", class: "primary", id: "import-submit", text: T.uploadBtn }),
        el("p", { class: "section-msg", id: "import-msg", role: "status" }),
        el("ul", { class: "import-errors", id: "import-errors" })),
      el("h3", { text: T.lookupTitle }),
      el("form", { id: "lookup-form", novalidate: true },
        el("input", { id: "lookup-phone", placeholder: "138 0013 8000", inputmode: "tel", autocomplete: "off" }),
        el("button", { type: "submit", id: "lookup-submit", text: T.find }),
        el("p", { class: "field-error", id: "lookup-error", role: "alert" })),
      el("div", { id: "lookup-result", hidden: true }));
    document.getElementById("tier-add").addEventListener("click", () => { readTiers(); S.tiers.splice(S.tiers.length - 1, 0, { id: "", name: "" }); renderTiers(); });
    document.getElementById("tiers-form").addEventListener("submit", saveTiers);
    document.getElementById("rules-form").addEventListener("submit", saveRules);
    document.getElementById("import-form").addEventListener("submit", upload);
    document.getElementById("lookup-form").addEventListener("submit", lookup);
  }

  // --- tiers ---

  function toRow(t) {
    return {
      id: t.id || "", name: t.name || "", name_zh: (t.names && t.names.zh) || "",
      min_spend: t.min_spend || "", min_visits: t.min_visits || "", window_days: t.window_days || "",
      share: t.share || "",
      sla_minutes: t.sla_wait_seconds ? String(t.sla_wait_seconds / 60) : "",
      sla_percent: t.sla_target ? String(Math.round(t.sla_target * 100)) : "",
      counters: (t.counters || []).join(", "), prefer_counters: (t.prefer_counters || []).join(", "),
      names: t.names,
    };
  }

  function renderTiers() {
    const body = document.getElementById("tiers-body");
    body.replaceChildren(...S.tiers.map((t, i) => {
      const r = toRow(t);
      const last = i === S.tiers.length - 1;
      return el("tr", { dataset: { tierRow: String(i) } },
        ...TIER_FIELDS.map(([key, type, ph]) => {
          const off = last && ["min_spend", "min_visits", "window_days"].includes(key);
          return el("td", {}, el("input", {
            name: key, type, value: off ? "" : r[key], placeholder: off ? "—" : ph, disabled: off, lang: key === "name_zh" ? "zh-CN" : undefined,
            "aria-label": colName(key) + " (" + (i + 1) + ")", step: type === "number" ? "any" : undefined, size: type === "number" ? 6 : 10,
          }));
        }),
        el("td", {}, last ? el("span", { class: "muted", text: T.default })
          : el("button", { type: "button", class: "link", text: T.remove, onclick: () => { readTiers(); S.tiers.splice(i, 1); renderTiers(); } })));
    }));
  }

  const num = (v) => (v === "" ? 0 : Number(v));
  const list = (v) => v.split(/[\s,]+/).filter(Boolean);

  function readTiers() {
    const rows = [...document.querySelectorAll("#tiers-body tr")];
    S.tiers = rows.map((tr, i) => {
      const v = (k) => tr.querySelector(`[name="${k}"]`).value.trim();
      const t = {
        id: v("id"), name: v("name"), min_spend: num(v("min_spend")), min_visits: num(v("min_visits")),
        window_days: num(v("window_days")), share: num(v("share")),
        sla_wait_seconds: Math.round(num(v("sla_minutes")) * 60), sla_target: num(v("sla_percent")) / 100,
        counters: list(v("counters")), prefer_counters: list(v("prefer_counters")),
      };
      // Names in other languages than the two edited here are kept.
      const old = S.tiers[i];
      const names = Object.assign({}, old && old.names);
      if (v("name_zh")) names.zh = v("name_zh");
      else delete names.zh;
      if (Object.keys(names).length) t.names = names;
      return t;
    });
    return S.tiers;
  }

  async function saveTiers(e) {
    e.preventDefault();
    const err = document.getElementById("tiers-error");
    err.textContent = "";
    for (const i of document.querySelectorAll("#tiers-body [aria-invalid]")) i.removeAttribute("aria-invalid");
    try {
      S.tiers = await api("PUT", "/tiers", readTiers());
      renderTiers();
      document.getElementById("tiers-msg").textContent = T.tiersSaved;
    } catch (x) {
      err.textContent = x.message;
      // "tiers[0].sla_target …" names a field the page shows as a cell:
      // say which row and column, and take the manager there.
      const m = /^tiers\[(\d+)\]\.([\w.]+)/.exec(x.message || "");
      const key = m && (FIELD_COLUMN[m[2]] || m[2]);
      const input = m && document.querySelector(`#tiers-body tr[data-tier-row="${m[1]}"] [name="${key}"]`);
      if (input) {
        err.textContent = `${T.tierCell({ row: Number(m[1]) + 1, col: (lang) => W.t(lang, "col_" + key) })}: ${x.message}`;
        input.setAttribute("aria-invalid", "true");
        input.focus();
      }
    }
  }

  // --- rules ---

  function renderRules() {
    for (const key of RULES) document.getElementById("rule-" + key).value = String(S.settings[key] || 0);
  }

  async function saveRules(e) {
    e.preventDefault();
    const body = {};
    for (const key of RULES) body[key] = num(document.getElementById("rule-" + key).value);
    document.getElementById("rules-error").textContent = "";
    for (const p of root.querySelectorAll("#rules-form [data-error-for]")) p.textContent = "";
    try {
      S.settings = await api("PUT", "/settings", body);
      renderRules();
      document.getElementById("rules-msg").textContent = T.saved;
    } catch (x) {
      const field = (x.message.split(" ")[0] || "");
      const slot = root.querySelector(`#rules-form [data-error-for="${field}"]`);
      (slot || document.getElementById("rules-error")).textContent = x.message;
    }
  }

  // --- CSV upload ---

  async function upload(e) {
    e.preventDefault();
    const f = document.getElementById("import-file").files[0];
    const msg = document.getElementById("import-msg");
    const errs = document.getElementById("import-errors");
    errs.replaceChildren();
    if (!f) { msg.textContent = T.pickFile; return; }
    msg.textContent = T.uploading;
    let data;
    try {
      data = await api("POST", "/customers/import", await f.text(), { contentType: "text/csv" });
    } catch (x) {
      msg.textContent = x.status === 0 ? T.offline : x.message || T.uploadRefused;
      return;
    }
    msg.textContent = T.imported({ n: data.imported, skipped: data.skipped, errors: data.errors.length });
    errs.replaceChildren(...data.errors.map((x) => el("li", { dataset: { line: String(x.line) }, text: T.importLine({ line: String(x.line), message: x.message }) })));
  }

  // --- look-up ---

  const day = (iso) => (iso ? new Date(iso).toLocaleDateString() : "—");

  // The box words a tier's reason in English ("spent 52,300 in the last 365
  // days ≥ 50,000"), from a few fixed phrases; reasonZh says the same in
  // Chinese, so the page stays bilingual, or gives "" for a phrase it does
  // not know (the English then stands alone).
  const zh = (key, vars) => W.t("zh", key, vars);
  function tierZh(name) {
    const t = S.tiers.find((x) => x.name === name || x.id === name);
    return (t && t.names && t.names.zh) || name;
  }
  function condZh(c) {
    let m = /^spent ([\d,.]+) in the last (\d+) days ([≥<]) ([\d,.]+)$/.exec(c);
    if (m) return zh("why_spent", { spent: m[1], days: m[2], op: m[3], min: m[4] });
    m = /^(\d+) visits? in the last (\d+) days ([≥<]) (\d+)$/.exec(c);
    if (m) return zh("why_visits", { n: m[1], days: m[2], op: m[3], min: m[4] });
    return "";
  }
  function heldZh(s) {
    const parts = s.split(" and ").map(condZh);
    return parts.every(Boolean) ? parts.join(zh("why_and")) : "";
  }
  function reasonZh(s) {
    if (!s) return "";
    if (s === W.t("en", "why_default")) return zh("why_default");
    let m = /^set by an admin: (.*)$/.exec(s);
    if (m) return zh("why_admin", { why: m[1] === W.t("en", "why_noReason") ? zh("why_noReason") : m[1] });
    m = /^(.+) has no conditions$/.exec(s);
    if (m) return zh("why_none", { tier: tierZh(m[1]) });
    m = /^no other tier's rule met: (.*)$/.exec(s);
    if (m) {
      const misses = m[1].split("; ").map((x) => {
        const mm = /^(.+?): (.*)$/.exec(x);
        const why = mm && heldZh(mm[2]);
        return why ? zh("why_tier", { tier: tierZh(mm[1]), why }) : "";
      });
      return misses.every(Boolean) ? zh("why_missed", { list: misses.join(zh("why_sep")) }) : "";
    }
    return heldZh(s);
  }
  const reason = (s) => {
    const z = reasonZh(s);
    return z ? `${s} · ${z}` : s;
  };
  const when = (iso) => new Date(iso).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
  // byWhom says who made a tier change: an admin by name, the nightly
  // re-tiering, or a kiosk or till (a visit, a purchase).
  const byWhom = (by) => {
    const [kind, name] = (by || "").split(/:(.*)/);
    if (kind === "user") return T.byUser({ name });
    if (kind === "device") return T.byDevice;
    if (kind === "nightly") return T.byNightly;
    return by || "—";
  };
  const tierLabel = (id) => {
    const t = S.tiers.find((x) => x.id === id);
    return t ? QBAdmin.nameOf(t) : id || "—";
  };

  async function lookup(e) {
    if (e) e.preventDefault();
    const err = document.getElementById("lookup-error");
    err.textContent = "";
    const phone = document.getElementById("lookup-phone").value.trim();
    if (!phone) return;
    try {
      const found = await api("GET", "/customers?phone=" + encodeURIComponent(phone));
      if (!found.length) {
        S.customer = null;
        err.textContent = T.notFound;
      } else {
        S.customer = await api("GET", "/customers/" + encodeURIComponent(found[0].id));
      }
    } catch (x) {
      S.customer = null;
      err.textContent = x.message;
    }
    renderCustomer();
  }

  function renderCustomer() {
    const box = document.getElementById("lookup-result");
    const c = S.customer;
    box.hidden = !c;
    if (!c) return box.replaceChildren();
    const tierSel = el("select", { id: "override-tier", "aria-label": T.tierOverride },
      el("option", { value: "", text: T.computed }),
      ...S.tiers.map((t) => el("option", { value: t.id, text: QBAdmin.nameOf(t), selected: c.tier_override === t.id })));
    box.replaceChildren(el("div", { class: "customer-card", dataset: { customerId: c.id } },
      el("p", {}, el("strong", { text: c.name || T.noName }), " · ", el("span", { text: c.phone })),
      el("p", {}, el("span", { class: "tier-badge", dataset: { tier: c.tier }, text: tierLabel(c.tier) }), " ", el("span", { class: "muted", dataset: { tierReason: "" }, text: reason(c.tier_reason) })),
      el("p", { text: T.facts({ visits: c.visits, spend: c.spend, noShows: c.no_shows, first: day(c.first_seen), last: day(c.last_seen) }) }),
      el("p", { dataset: { booking: "" }, text: c.booking.can_book ? T.mayBook : T.bookingPaused({ until: day(c.booking.until), n: c.booking.counted }) }),
      el("div", { class: "buttons" },
        tierSel,
        el("input", { id: "override-reason", placeholder: T.reason, maxlength: "200" }),
        el("button", { type: "button", id: "override-save", text: T.setTier, onclick: setOverride }),
        el("button", { type: "button", id: "customer-forgive", text: T.forgive, onclick: () => act("POST", "/forgive") }),
        el("a", { href: "/api/v1/customers/" + encodeURIComponent(c.id) + "/export", download: "", text: T.exportData }),
        el("button", { type: "button", class: "danger", id: "customer-erase", text: T.erase, onclick: erase })),
      el("ol", { class: "tier-history" }, ...(c.tier_history || []).map((h) => el("li", { text: `${when(h.at)}: ${h.from ? tierLabel(h.from) : "—"} → ${tierLabel(h.to)} (${reason(h.reason)}) — ${byWhom(h.by)}` })))));
  }

  async function setOverride() {
    const tier = document.getElementById("override-tier").value;
    const input = document.getElementById("override-reason");
    const reason = input.value.trim();
    // A tier set by hand is kept in the history with its reason: ask for one.
    if (tier && !reason) {
      document.getElementById("lookup-error").textContent = T.reasonNeeded;
      input.setAttribute("aria-invalid", "true");
      input.focus();
      return;
    }
    await act("PUT", "", { tier_override: tier || null, override_reason: reason });
  }

  async function act(method, suffix, body) {
    const err = document.getElementById("lookup-error");
    err.textContent = "";
    try {
      await api(method, "/customers/" + encodeURIComponent(S.customer.id) + suffix, body);
      S.customer = await api("GET", "/customers/" + encodeURIComponent(S.customer.id));
      renderCustomer();
    } catch (x) {
      err.textContent = x.message;
    }
  }

  async function erase() {
    if (!confirm(T.eraseConfirm)) return;
    try {
      await api("DELETE", "/customers/" + encodeURIComponent(S.customer.id));
      S.customer = null;
      renderCustomer();
      document.getElementById("lookup-error").textContent = T.erased;
    } catch (x) {
      document.getElementById("lookup-error").textContent = x.message;
    }
  }

  async function load() {
    build();
    try {
      [S.tiers, S.settings] = await Promise.all([api("GET", "/tiers"), api("GET", "/settings")]);
    } catch (x) {
      document.getElementById("tiers-error").textContent = x.message;
      return;
    }
    renderTiers();
    renderRules();
    root.dataset.ready = "1";
  }

  load();
})();
