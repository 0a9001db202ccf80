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

  const RULES = [
    ["tickets_per_phone_per_day", "Tickets per phone per day · 每个手机号每日取号上限", "A customer who identifies at the kiosk may take this many tickets a day; more gets a friendly refusal. 0 = no cap."],
    ["grace_seconds", "Grace after a call (seconds) · 呼叫后等待(秒)", "A called customer who has not come to the counter by then is put back in the queue, so the counter can call the next one. 0 = off."],
    ["push_back_places", "Put back by (places) · 顺延(位)", "How many other customers are called before a late customer is called again."],
    ["max_recalls", "Returns before no-show · 顺延次数", "After this many returns, missing the call once more makes the ticket a no-show."],
    ["no_show_limit", "No-shows that pause booking · 爽约次数", "This many no-shows (missed calls or booked visits) within the window pause online booking. Walk-in tickets stay welcome. 0 = off."],
    ["no_show_window_days", "…within (days) · 统计天数", "The window the no-shows are counted in."],
    ["booking_block_days", "Booking paused for (days) · 暂停预约(天)", "From the last no-show. Staff can forgive a customer at any time in the look-up below."],
    ["retention_months", "Forget customers unseen for (months) · 客户数据保留(月)", "Customers not seen for this long are erased every night; counts in reports stay. 0 = keep."],
  ];

  const TIER_FIELDS = [
    ["id", "Id", "text", "gold"],
    ["name", "Name · 名称", "text", "Gold"],
    ["min_spend", "Spent at least · 消费满", "number", ""],
    ["min_visits", "Visits at least · 到访满", "number", ""],
    ["window_days", "In the last (days) · 统计天数", "number", "365"],
    ["share", "Share · 权重", "number", "auto"],
    ["sla_minutes", "Called within (min) · 目标等候(分)", "number", ""],
    ["sla_percent", "For % of tickets · 达标率(%)", "number", ""],
    ["counters", "Only at counters · 专属窗口", "text", "c5, c6"],
    ["prefer_counters", "First at counters · 优先窗口", "text", ""],
  ];

  function build() {
    root.replaceChildren(
      el("h2", { id: "customers-h", text: "Customers and tiers · 客户与等级" }),
      el("p", { class: "muted", text: "Tiers are tried best first: a customer gets the first tier whose every condition holds in its window (spend from purchases, visits from tickets). The last tier is everyone else and takes no conditions. Share makes a tier's waiting time count more (auto: 1.5 for the top tier, 1 for the others); a tier with a target is called first when a ticket is about to miss it, as far as the day's on-time share needs; nobody waits past the branch's max wait. · 等级由上到下匹配，最后一级为默认等级。" }),
      el("form", { id: "tiers-form", novalidate: true },
        el("table", { class: "tiers" },
          el("thead", {}, el("tr", {}, ...TIER_FIELDS.map(([, label]) => el("th", { text: label })), el("th", {}))),
          el("tbody", { id: "tiers-body" })),
        el("p", { class: "form-error", id: "tiers-error", role: "alert" }),
        el("div", { class: "buttons" },
          el("button", { type: "button", id: "tier-add", text: "Add a tier · 添加等级" }),
          el("button", { type: "submit", class: "primary", id: "tiers-save", text: "Save tiers · 保存等级" }),
          el("span", { class: "section-msg", id: "tiers-msg", role: "status" }))),
      el("h3", { text: "Protecting the branch · 防止滥用" }),
      el("form", { id: "rules-form", class: "grid", novalidate: true },
        ...RULES.map(([key, label, hint]) => el("div", { class: "field" },
          el("label", { for: "rule-" + key, text: label }),
          el("input", { id: "rule-" + key, name: key, type: "number", min: "0" }),
          el("span", { class: "hint", text: hint }),
          el("p", { class: "field-error", dataset: { errorFor: key } }))),
        el("p", { class: "form-error wide", id: "rules-error", role: "alert" }),
        el("div", { class: "buttons" },
          el("button", { type: "submit", class: "primary", text: "Save rules · 保存" }),
          el("span", { class: "section-msg", id: "rules-msg", role: "status" }))),
      el("h3", { text: "Upload purchases (CSV) · 导入消费记录" }),
      el("p", { class: "muted", text: "Columns phone,name,amount,at,ref with a header row. A new phone makes a customer; a row with an amount is a purchase, counted once per ref however often the file is uploaded. Bad rows are listed by line; the good ones are kept. · 每个 ref 只计一次。" }),
      el("form", { id: "import-form", novalidate: true },
        el("input", { type: "file", id: "import-file", accept: ".csv,text/csv" }),
        el("button", { type: "submit", class: "primary", id: "import-submit", text: "Upload · 上传" }),
        el("p", { class: "section-msg", id: "import-msg", role: "status" }),
        el("ul", { class: "import-errors", id: "import-errors" })),
      el("h3", { text: "Look up a customer · 查询客户" }),
      el("form", { id: "lookup-form", novalidate: true },
        el("input", { id: "lookup-phone", placeholder: "138 0013 8000", inputmode: "tel", autocomplete: "off" }),
        el("button", { type: "submit", id: "lookup-submit", text: "Find · 查找" }),
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
      id: t.id || "", name: t.name || "",
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
        ...TIER_FIELDS.map(([key, label, type, ph]) => {
          const off = last && ["min_spend", "min_visits", "window_days"].includes(key);
          return el("td", {}, el("input", {
            name: key, type, value: off ? "" : r[key], placeholder: off ? "—" : ph, disabled: off,
            "aria-label": label + " (" + (i + 1) + ")", step: type === "number" ? "any" : undefined, size: type === "number" ? 6 : 10,
          }));
        }),
        el("td", {}, last ? el("span", { class: "muted", text: "default · 默认" })
          : el("button", { type: "button", class: "link", text: "Remove · 删除", onclick: () => { readTiers(); S.tiers.splice(i, 1); renderTiers(); } })));
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
      const old = S.tiers[i];
      if (old && old.names) t.names = old.names;
      return t;
    });
    return S.tiers;
  }

  async function saveTiers(e) {
    e.preventDefault();
    const err = document.getElementById("tiers-error");
    err.textContent = "";
    try {
      S.tiers = await api("PUT", "/tiers", readTiers());
      renderTiers();
      document.getElementById("tiers-msg").textContent = "Saved; customers re-tiered · 已保存";
    } catch (x) {
      err.textContent = x.message;
    }
  }

  // --- rules ---

  function renderRules() {
    for (const [key] of RULES) document.getElementById("rule-" + key).value = String(S.settings[key] || 0);
  }

  async function saveRules(e) {
    e.preventDefault();
    const body = {};
    for (const [key] of RULES) body[key] = num(document.getElementById("rule-" + key).value);
    document.getElementById("rules-error").textContent = "";
    for (const p of root.querySelectorAll("#rules-form [data-error-for]")) p.textContent = "";
    try {
      S.settings = await api("PUT", "/settings", body);
      renderRules();
      document.getElementById("rules-msg").textContent = "Saved · 已保存";
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
    if (!f) { msg.textContent = "Pick a CSV file first · 请选择文件"; return; }
    msg.textContent = "Uploading… · 上传中";
    let res, data = null;
    try {
      res = await fetch("/api/v1/customers/import", { method: "POST", headers: { "Content-Type": "text/csv", Accept: "application/json" }, body: await f.text(), credentials: "same-origin" });
      data = await res.json();
    } catch (x) {
      msg.textContent = "The box cannot be reached · 无法连接";
      return;
    }
    if (!res.ok) {
      msg.textContent = (data && data.error && data.error.message) || "Upload refused · 上传失败";
      return;
    }
    msg.textContent = `${data.imported} rows imported, ${data.skipped} already known, ${data.errors.length} with errors · 导入 ${data.imported} 行`;
    errs.replaceChildren(...data.errors.map((x) => el("li", { dataset: { line: String(x.line) }, text: `line ${x.line}: ${x.message}` })));
  }

  // --- look-up ---

  const day = (iso) => (iso ? new Date(iso).toLocaleDateString() : "—");

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
        err.textContent = "No customer with that phone number · 未找到";
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
    const tierSel = el("select", { id: "override-tier", "aria-label": "Tier override" },
      el("option", { value: "", text: "computed · 按规则" }),
      ...S.tiers.map((t) => el("option", { value: t.id, text: t.name, selected: c.tier_override === t.id })));
    box.replaceChildren(el("div", { class: "customer-card", dataset: { customerId: c.id } },
      el("p", {}, el("strong", { text: c.name || "(no name)" }), " · ", el("span", { text: c.phone })),
      el("p", {}, el("span", { class: "tier-badge", dataset: { tier: c.tier }, text: c.tier_name || c.tier }), " ", el("span", { class: "muted", dataset: { tierReason: "" }, text: c.tier_reason })),
      el("p", { text: `Visits ${c.visits} · spent ${c.spend.toLocaleString()} · no-shows ${c.no_shows} · first seen ${day(c.first_seen)} · last seen ${day(c.last_seen)}` }),
      el("p", { dataset: { booking: "" }, text: c.booking.can_book ? "May book online · 可在线预约" : c.booking.reason }),
      el("div", { class: "buttons" },
        tierSel,
        el("input", { id: "override-reason", placeholder: "reason · 原因", maxlength: "200" }),
        el("button", { type: "button", id: "override-save", text: "Set tier · 设置等级", onclick: setOverride }),
        el("button", { type: "button", id: "customer-forgive", text: "Forgive no-shows · 免除爽约", onclick: () => act("POST", "/forgive") }),
        el("a", { href: "/api/v1/customers/" + encodeURIComponent(c.id) + "/export", download: "", text: "Export data · 导出" }),
        el("button", { type: "button", class: "danger", id: "customer-erase", text: "Erase customer · 删除客户", onclick: erase })),
      el("ol", { class: "tier-history" }, ...(c.tier_history || []).map((h) => el("li", { text: `${day(h.at)}: ${h.from || "—"} → ${h.to} (${h.reason})` })))));
  }

  async function setOverride() {
    const tier = document.getElementById("override-tier").value;
    const reason = document.getElementById("override-reason").value.trim();
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
    if (!confirm("Erase this customer for good? Their phone, name, purchases and history are deleted now; counts in reports stay. " +
      "Tonight's maintenance also writes over the freed space of the database file, so the data leaves the disk by the next night at the latest " +
      "(backups made before keep it until they are deleted). · 确定删除？客户的手机号、姓名、消费和历史立即删除，报表中的计数保留；" +
      "今晚的维护会覆盖数据库文件中的空闲空间，最迟次夜数据即从磁盘上消失（此前的备份仍含该数据，直至备份被删除）。")) return;
    try {
      await api("DELETE", "/customers/" + encodeURIComponent(S.customer.id));
      S.customer = null;
      renderCustomer();
      document.getElementById("lookup-error").textContent = "Erased · 已删除";
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
