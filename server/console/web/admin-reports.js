// The Reports section of the admin page: any range of business days, by
// service, counter, staff member, hour, day, weekday or tier; charts drawn by
// the box as SVG (no script library, no CDN); CSV downloads; customers'
// comments; and staffing advice for a weekday.
"use strict";

(() => {
  const T = QB.words("admin.reports"); // admin.i18n.js
  const BY = ["service", "counter", "staff", "hour", "day", "weekday", "tier"];
  const CHARTS = ["hourly", "waits", "heatmap", "trend"];
  const COLS = ["issued", "served", "no_show", "cancelled", "walk_outs", "expired", "wait_p50", "wait_p90", "wait_max",
    "service_p50", "service_p90", "sla", "ratings", "rating", "mae", "within5"].map((c) => T["col_" + c]);
  const $ = (id) => document.getElementById(id);
  const el = QB.el;
  const dur = (s) => (s === null || s === undefined ? T.none : QB.duration(Math.round(s)));
  const pct = (f) => (f === null || f === undefined ? T.none : Math.round(f * 100) + "%");
  // tenth rounds a count of counters to one decimal: 3.8 open on average.
  const tenth = (x) => Math.round(x * 10) / 10;

  $("reports").innerHTML = `
  <h2 id="reports-h">Reports · 报表</h2>
  <form id="report-form" class="grid" novalidate>
    <div class="field"><label for="rep-from">From · 开始日期</label><input id="rep-from" name="from" type="date" required></div>
    <div class="field"><label for="rep-to">To · 结束日期</label><input id="rep-to" name="to" type="date" required></div>
    <div class="field"><label for="rep-by">By · 分组</label><select id="rep-by" name="by"></select></div>
    <div class="field"><label for="rep-lang">Chart language · 图表语言</label><select id="rep-lang" name="lang"><option value="en">English</option><option value="zh">中文</option></select></div>
    <p class="form-error wide" data-error-for=""></p>
    <div class="buttons"><button type="submit" class="primary">Show · 显示</button>
      <a id="rep-csv" href="#" download>Table as CSV · 下载表格</a>
      <a id="rep-tickets" href="#" download>Every ticket as CSV · 下载全部票据</a></div>
  </form>
  <div class="charts" id="rep-charts"></div>
  <h3>Figures · 数据</h3>
  <div class="table-scroll" tabindex="0" role="region" aria-label="Figures · 数据"><table id="report-table"><thead id="report-head"></thead><tbody id="report-rows"></tbody></table></div>
  <p class="hint">Waits run from issue to the first call; p50/p90 are nearest-rank percentiles. “Within target” counts called tickets and walk-outs against the wait target (the tier's promise where it has one, else the branch's max wait, or 15 min). Estimate error needs the promised wait on each ticket. · 等候从取号到首次叫号计算；p50/p90 为最近秩百分位数。“达标率”统计已叫号和离开的票是否在目标等候时间内（等级有承诺的按其承诺，否则按本网点最长等候，或 15 分钟）。预估误差需要每张票当时承诺的等候时间。</p>
  <h3>Customers' comments · 客户留言</h3>
  <ul class="comments" id="rep-comments"></ul>
  <h3>Staffing advice · 排班建议</h3>
  <form id="staffing-form" class="grid" novalidate>
    <div class="field"><label for="st-day">Weekday · 星期</label><select id="st-day" name="weekday">
      <option value="mon">Mon · 一</option><option value="tue">Tue · 二</option><option value="wed">Wed · 三</option><option value="thu">Thu · 四</option><option value="fri">Fri · 五</option><option value="sat">Sat · 六</option><option value="sun">Sun · 日</option></select></div>
    <div class="field"><label for="st-target">Share within target · 达标比例</label><input id="st-target" name="share" type="number" min="50" max="99" value="80"><span class="hint">percent of customers called within the wait target · 在目标等候时间内叫号的客户百分比</span></div>
    <p class="form-error wide" data-error-for=""></p>
    <div class="buttons"><button type="submit">Advise · 计算</button></div>
  </form>
  <p class="hint" id="staffing-note"></p>
  <div class="table-scroll" tabindex="0" role="region" aria-label="Staffing advice · 排班建议"><table id="staffing-table"><thead></thead><tbody id="staffing-rows"></tbody></table></div>`;

  for (const k of BY) $("rep-by").append(el("option", { value: k, text: T["by_" + k] }));
  if ((navigator.language || "").toLowerCase().startsWith("zh")) $("rep-lang").value = "zh";

  function query() {
    return new URLSearchParams({ from: $("rep-from").value, to: $("rep-to").value, by: $("rep-by").value }).toString();
  }

  function showError(form, err) {
    if (err.status === 401) { QB.toLogin(); return; }
    form.querySelector('[data-error-for=""]').textContent = err.message;
  }

  function renderCharts() {
    const q = new URLSearchParams({ from: $("rep-from").value, to: $("rep-to").value, lang: $("rep-lang").value }).toString();
    $("rep-charts").replaceChildren(...CHARTS.map((name) => [name, T["chart_" + name]]).map(([name, label]) =>
      el("figure", { class: "chart" },
        el("img", { src: `/api/v1/reports/charts/${name}.svg?${q}`, alt: label, dataset: { chart: name }, loading: "lazy" }),
        el("figcaption", { text: label }))));
  }

  // labeller names a row's key as the manager knows it: a service, counter
  // or tier by its name, a weekday by its name; hours, days and staff
  // members are their own names.
  async function labeller(by, services) {
    let list = services;
    if (by === "counter" || by === "tier") list = await QB.api("GET", "/" + by + "s");
    else if (by !== "service") return by === "weekday" ? (key) => T["wd_" + key] || key : (key) => key;
    const names = {};
    for (const x of list) names[x.id] = QBAdmin.nameOf(x);
    return (key) => names[key] || key;
  }

  function cells(r) {
    return [r.issued, r.served, r.no_show, r.cancelled, r.walk_outs, r.expired, dur(r.wait_p50_seconds), dur(r.wait_p90_seconds),
      dur(r.wait_max_seconds), dur(r.service_p50_seconds), dur(r.service_p90_seconds), pct(r.sla_met_share), r.ratings,
      r.rating_avg === null ? T.none : r.rating_avg.toFixed(2), dur(r.estimate_mae_seconds), pct(r.estimate_within_5min_share)]
      .map((v) => el("td", { class: "num", text: String(v) }));
  }

  async function show(e) {
    if (e) e.preventDefault();
    const form = $("report-form");
    form.querySelector('[data-error-for=""]').textContent = "";
    try {
      const [sum, comments, services] = await Promise.all([
        QB.api("GET", "/reports/summary?" + query()),
        QB.api("GET", "/reports/comments?" + query()),
        QB.api("GET", "/services"),
      ]);
      const label = await labeller(sum.by, services);
      const service = await labeller("service", services);
      $("report-head").replaceChildren(el("tr", {}, el("th", { text: T["by_" + sum.by] || sum.by }), COLS.map((c) => el("th", { text: c }))));
      const rows = sum.rows.map((r) => el("tr", { dataset: { reportRow: r.key } }, el("td", { text: label(r.key) }), cells(r)));
      if (!rows.length) rows.push(el("tr", {}, el("td", { colspan: String(COLS.length + 1), text: T.noRows })));
      rows.push(el("tr", { class: "total", dataset: { reportRow: "total" } }, el("td", { text: T.total }), cells(sum.total)));
      $("report-rows").replaceChildren(...rows);
      $("rep-comments").replaceChildren(...(comments.length ? comments.map((c) =>
        el("li", {}, el("span", { class: "stars", "aria-label": `${c.rating} / 5`, text: "★".repeat(c.rating) + "☆".repeat(5 - c.rating) }),
          " ", el("strong", { text: c.number }), ` ${c.date} · ${service(c.service_id)}${c.staff ? " · " + c.staff : ""} — `,
          el("span", { class: "comment-text", text: c.comment }))) : [el("li", { class: "muted", text: T.noComments })]));
      $("rep-csv").href = "/api/v1/reports/summary.csv?" + query();
      $("rep-tickets").href = "/api/v1/reports/tickets.csv?" + query();
      renderCharts();
      $("reports").dataset.ready = "1";
    } catch (err) { showError(form, err); }
  }

  async function staffing(e) {
    if (e) e.preventDefault();
    const form = $("staffing-form");
    form.querySelector('[data-error-for=""]').textContent = "";
    try {
      const q = new URLSearchParams({ weekday: $("st-day").value, share: String(Number($("st-target").value) / 100), to: $("rep-to").value });
      const adv = await QB.api("GET", "/reports/staffing?" + q.toString());
      const S = { hour: T.st_hour, arrivals: T.st_arrivals, aht: T.st_aht, abandon: T.st_abandon, needed: T.st_needed, open: T.st_open, gap: T.st_gap, none: T.st_none };
      $("staffing-note").textContent = T.st_note({ days: adv.days, weekday: T.w("st_days_" + adv.weekday, { n: adv.days }), from: adv.from, to: adv.to, target: QB.duration(adv.target_seconds), share: pct(adv.share) });
      $("staffing-table").querySelector("thead").replaceChildren(el("tr", {}, [S.hour, S.arrivals, S.aht, S.abandon, S.needed, S.open, S.gap].map((h) => el("th", { text: h }))));
      const rows = adv.hours.map((h) => [h, tenth(h.needed - h.open)]).map(([h, gap]) => el("tr", { class: gap > 0 ? "alert" : "", dataset: { staffingHour: String(h.hour) } },
        el("td", { text: String(h.hour).padStart(2, "0") + ":00" }),
        el("td", { class: "num", text: h.arrivals_per_hour.toFixed(1) }),
        el("td", { class: "num", text: dur(h.avg_service_seconds) }),
        el("td", { class: "num", text: pct(h.walk_out_share) }),
        el("td", { class: "num", text: String(h.needed) }),
        el("td", { class: "num", text: String(tenth(h.open)) }),
        el("td", { class: "num", text: gap > 0 ? "+" + gap : String(gap) })));
      $("staffing-rows").replaceChildren(...(rows.length ? rows : [el("tr", {}, el("td", { colspan: "7", text: S.none }))]));
    } catch (err) { showError(form, err); }
  }

  // boxToday is the branch's business date as the box sees it: what GET
  // /issuing says, or, when that fails, the box's clock (every answer's
  // Date header sets QB.now) in the branch's time zone. Never this PC's
  // date, nor the UTC one: at 01:30 in Shanghai the UTC date is yesterday.
  async function boxToday() {
    try {
      return (await QB.api("GET", "/issuing")).date;
    } catch (e) {
      if (e.status === 401) throw e;
    }
    const st = await QB.api("GET", "/settings");
    return QB.dateIn(QB.now(), st.timezone || "UTC");
  }

  async function init() {
    let today;
    try {
      today = await boxToday();
    } catch (err) {
      // No date to start from: say so, rather than guess one.
      if (err.status === 401) { QB.toLogin(); return; }
      showError($("report-form"), new Error(T.noDate({ why: err.message })));
      return;
    }
    const from = new Date(today + "T00:00:00Z");
    from.setUTCDate(from.getUTCDate() - 29);
    $("rep-from").value = from.toISOString().slice(0, 10);
    $("rep-to").value = today;
    $("st-day").value = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"][new Date(today + "T00:00:00Z").getUTCDay()];
    await show();
  }

  $("report-form").addEventListener("submit", show);
  $("rep-lang").addEventListener("change", renderCharts);
  $("staffing-form").addEventListener("submit", staffing);
  init();
})();
