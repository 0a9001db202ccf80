"use strict";

(() => {
  // The words are in admin.i18n.js; T.x is "English · 中文".
  const T = QB.words("admin");
  T.level = (p) => (p >= 0 && p <= 2 ? T["level" + p] : T.levelN({ p }));
  T.seconds = (s) => (s % 60 === 0 ? T.minutes({ m: s / 60 }) : T.secondsN({ s }));
  T.aids = (guide, n) => [guide ? T.guide : "", n ? T.outcomes({ n }) : ""].filter(Boolean).join(" · ") || "—";
  const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
  // The weight inputs, in the order the form shows them: VIP first.
  const WEIGHT_LEVELS = [2, 1, 0];

  const $ = (id) => document.getElementById(id);
  const enc = encodeURIComponent;
  const S = { me: null, services: [], counters: [], users: [], devices: [], health: {}, editService: null, editCounter: null, weights: [] };

  // --- form errors ---

  function clearErrors(form) {
    for (const p of form.querySelectorAll("[data-error-for]")) p.textContent = "";
    for (const i of form.querySelectorAll("[aria-invalid]")) i.removeAttribute("aria-invalid");
  }

  // showError puts an API error next to the input it is about. A 400 names
  // its field first ("prefix must be …"), so the longest input name the
  // message starts with is the field.
  function showError(form, err) {
    if (err.status === 401) { QB.toLogin(); return; }
    const names = [...new Set([...form.elements].map((e) => e.name).filter(Boolean))]
      .sort((a, b) => b.length - a.length);
    let field = "";
    if (err.status === 400) field = names.find((n) => err.message === n || err.message.startsWith(n + " ")) || "";
    if (!field && err.code === "exists") field = ["id", "username"].find((n) => names.includes(n)) || "";
    // A list field (priority_weights) has one input per item, named
    // field.N, and one error slot; "level N" in the message picks the item.
    let inputs = field ? [form.querySelector(`[name="${CSS.escape(field)}"]`)] : [];
    if (!field && err.status === 400) {
      const group = err.message.split(" ")[0];
      const items = names.filter((n) => n.startsWith(group + "."));
      if (items.length) {
        field = group;
        const m = /\blevel (\d+)/.exec(err.message);
        const one = m && form.querySelector(`[name="${CSS.escape(group + "." + m[1])}"]`);
        inputs = one ? [one] : items.map((n) => form.querySelector(`[name="${CSS.escape(n)}"]`));
      }
    }
    const slot = field && form.querySelector(`[data-error-for="${CSS.escape(field)}"]`);
    if (!slot) {
      form.querySelector('[data-error-for=""]').textContent = err.message;
      return;
    }
    slot.textContent = err.message;
    inputs = inputs.filter(Boolean);
    for (const i of inputs) i.setAttribute("aria-invalid", "true");
    if (inputs.length) inputs[0].focus();
  }

  function sectionMsg(id, text, kind) {
    const m = $(id);
    m.textContent = text || "";
    m.dataset.kind = kind || "ok";
  }

  function failed(msgID) {
    return (err) => {
      if (err.status === 401) { QB.toLogin(); return; }
      sectionMsg(msgID, err.message, "error");
    };
  }

  // twoStep asks for a second click instead of a modal dialog.
  function twoStep(btn, fn) {
    if (btn.dataset.armed) {
      delete btn.dataset.armed;
      fn();
      return;
    }
    const label = btn.textContent;
    btn.dataset.armed = "1";
    btn.textContent = T.confirm;
    setTimeout(() => {
      if (btn.dataset.armed) { delete btn.dataset.armed; btn.textContent = label; }
    }, 4000);
  }

  const int = (v) => {
    const n = parseInt(v, 10);
    return Number.isFinite(n) ? n : 0;
  };

  // --- services ---

  async function loadServices() {
    S.services = await QB.api("GET", "/services") || [];
    renderServices();
    renderCounterChecks();
  }

  function renderServices() {
    const rows = S.services.map((s) => QB.el("tr", { dataset: { serviceId: s.id } },
      QB.el("td", { text: s.id }),
      QB.el("td", { text: s.prefix }),
      QB.el("td", { text: s.name }),
      QB.el("td", { text: (s.names && s.names.zh) || "" }),
      QB.el("td", { text: (s.names && s.names.en) || "" }),
      QB.el("td", { class: "num", text: T.seconds(s.avg_service_seconds) }),
      QB.el("td", { class: "num", text: s.slot_minutes > 0 ? T.slots({ m: s.slot_minutes, c: s.slot_capacity }) : T.notBookable }),
      QB.el("td", { text: s.priority > 0 ? T.level(s.priority) : "—", title: T.level(s.priority || 0) }),
      QB.el("td", { text: T.aids(s.guide, (s.outcome_codes || []).length), title: (s.outcome_codes || []).join(", ") }),
      QB.el("td", { class: "num", text: String(s.waiting || 0) }),
      QB.el("td", {}, QB.el("div", { class: "row-actions" },
        QB.el("button", { type: "button", text: T.edit, onclick: () => editService(s) }),
        QB.el("button", { type: "button", class: "danger", text: T.del, onclick: (e) => twoStep(e.currentTarget, () => deleteService(s)) })))));
    if (!rows.length) rows.push(QB.el("tr", {}, QB.el("td", { colspan: 11, class: "muted", text: T.noServices })));
    $("services-body").replaceChildren(...rows);
  }

  function editService(s) {
    const f = $("service-form");
    clearErrors(f);
    S.editService = s;
    f.elements.id.value = s.id;
    f.elements.id.readOnly = true;
    f.elements.prefix.value = s.prefix;
    f.elements.name.value = s.name;
    f.elements["names.zh"].value = (s.names && s.names.zh) || "";
    f.elements["names.en"].value = (s.names && s.names.en) || "";
    f.elements.avg_service_seconds.value = s.avg_service_seconds;
    f.elements.slot_minutes.value = s.slot_minutes;
    f.elements.slot_capacity.value = s.slot_capacity;
    levelOption(f.elements.priority, s.priority || 0);
    f.elements.priority.value = String(s.priority || 0);
    f.elements.guide.value = s.guide || "";
    f.elements.outcome_codes.value = (s.outcome_codes || []).join(", ");
    $("svc-outcome-labels").replaceChildren();
    renderOutcomeLabels(s.outcome_labels);
    $("service-form-title").textContent = T.editServiceTitle({ id: s.id });
    $("service-submit").textContent = T.saveService;
    $("service-cancel").hidden = false;
    f.elements.prefix.focus();
  }

  // levelOption makes sure a level set in the config file (3–9) can be
  // shown and kept, though the form offers only the usual three.
  function levelOption(sel, level) {
    if (![...sel.options].some((o) => +o.value === level)) sel.append(QB.el("option", { value: String(level), text: T.level(level) }));
  }

  function splitCodes(v) {
    const seen = new Set();
    return v.split(/[,，\n]/).map((c) => c.trim()).filter((c) => c && !seen.has(c) && seen.add(c));
  }

  function resetServiceForm() {
    const f = $("service-form");
    f.reset();
    clearErrors(f);
    S.editService = null;
    renderOutcomeLabels(null);
    f.elements.id.readOnly = false;
    $("service-form-title").textContent = T.addServiceTitle;
    $("service-submit").textContent = T.addService;
    $("service-cancel").hidden = true;
  }

  // namesFrom reads a form's names.zh and names.en over old's names:
  // languages other than zh and en may come from the config file and stay.
  function namesFrom(f, old) {
    const names = Object.assign({}, old || {});
    for (const lang of ["zh", "en"]) {
      const v = f.elements["names." + lang].value.trim();
      if (v) names[lang] = v; else delete names[lang];
    }
    return names;
  }

  // renderOutcomeLabels draws a row of label fields for each outcome code
  // typed so far, keeping what was typed into rows that stay.
  function renderOutcomeLabels(labels) {
    const box = $("svc-outcome-labels");
    const typed = {};
    for (const i of box.querySelectorAll("input")) typed[i.name] = i.value;
    const codes = splitCodes($("svc-outcomes").value);
    box.hidden = codes.length === 0;
    box.replaceChildren(...codes.map((code) => QB.el("div", { class: "label-row", dataset: { code } },
      QB.el("code", { text: code }),
      ...["en", "zh"].map((lang) => {
        const name = `outcome_labels.${code}.${lang}`;
        const id = `svc-ol-${code}-${lang}`.replace(/[^A-Za-z0-9_-]/g, "_");
        const value = name in typed ? typed[name] : ((labels && labels[code] && labels[code][lang]) || "");
        return QB.el("span", { class: "field" },
          QB.el("label", { for: id, text: lang === "en" ? "English" : "中文" }),
          QB.el("input", { id, name, value, maxlength: 64, lang: lang === "zh" ? "zh-CN" : "en" }));
      }))));
  }

  function labelsFrom(f, codes) {
    const out = {};
    for (const code of codes) {
      for (const lang of ["en", "zh"]) {
        const i = f.elements[`outcome_labels.${code}.${lang}`];
        const v = i ? i.value.trim() : "";
        if (v) (out[code] = out[code] || {})[lang] = v;
      }
    }
    return out;
  }

  async function saveService(e) {
    e.preventDefault();
    const f = e.currentTarget;
    clearErrors(f);
    const old = S.editService;
    const names = namesFrom(f, old && old.names);
    const codes = splitCodes(f.elements.outcome_codes.value);
    const body = {
      id: f.elements.id.value.trim(),
      prefix: f.elements.prefix.value.trim(),
      name: f.elements.name.value.trim(),
      names,
      avg_service_seconds: int(f.elements.avg_service_seconds.value),
      slot_minutes: int(f.elements.slot_minutes.value),
      slot_capacity: int(f.elements.slot_capacity.value),
      priority: int(f.elements.priority.value),
      guide: f.elements.guide.value.trim(),
      outcome_codes: codes,
      outcome_labels: labelsFrom(f, codes),
    };
    if (old) body.position = old.position;
    try {
      if (old) await QB.api("PUT", `/services/${enc(old.id)}`, body);
      else await QB.api("POST", "/services", body);
    } catch (err) {
      showError(f, err);
      return;
    }
    sectionMsg("services-msg", old ? T.saved : T.created({ what: body.id }), "ok");
    resetServiceForm();
    await loadServices().catch(failed("services-msg"));
  }

  async function deleteService(s) {
    try {
      await QB.api("DELETE", `/services/${enc(s.id)}`);
      sectionMsg("services-msg", T.deleted({ what: s.id }), "ok");
      if (S.editService && S.editService.id === s.id) resetServiceForm();
    } catch (err) {
      failed("services-msg")(err);
    }
    await Promise.all([loadServices(), loadCounters()]).catch(failed("services-msg"));
  }

  // --- counters ---

  async function loadCounters() {
    S.counters = await QB.api("GET", "/counters") || [];
    renderCounters();
  }

  function serviceLabel(id) {
    const s = S.services.find((x) => x.id === id);
    return s ? s.name : id;
  }

  // scheduleText sums a desk's week up, days with the same hours together
  // ("Mon–Fri · 一至五 09:00-12:00,13:00-17:30"); days off are left out,
  // and a desk without a plan is "—".
  function scheduleText(week) {
    if (!week || !DAYS.some((d) => week[d])) return "—";
    const parts = [];
    for (let i = 0; i < DAYS.length;) {
      let j = i;
      while (j + 1 < DAYS.length && (week[DAYS[j + 1]] || "") === (week[DAYS[i]] || "")) j++;
      const days = (lang, sep) => T.in(lang, "day_" + DAYS[i]) + (j > i ? sep + T.in(lang, "day_" + DAYS[j]) : "");
      if (week[DAYS[i]]) parts.push(`${days("en", "–")} · ${days("zh", "至")} ${week[DAYS[i]]}`);
      i = j + 1;
    }
    return parts.join("; ");
  }

  function renderCounters() {
    const rows = S.counters.map((c) => QB.el("tr", { dataset: { counterId: c.id } },
      QB.el("td", { text: c.id }),
      QB.el("td", { text: c.name }),
      QB.el("td", { text: (c.names && c.names.zh) || "" }),
      QB.el("td", { text: (c.names && c.names.en) || "" }),
      QB.el("td", { text: (c.service_ids || []).map(serviceLabel).join(", ") }),
      QB.el("td", { dataset: { schedule: "" }, text: scheduleText(c.schedule) }),
      QB.el("td", {}, QB.el("span", { class: "tag", text: c.paused ? T.paused : T.open })),
      QB.el("td", {}, QB.el("div", { class: "row-actions" },
        QB.el("button", { type: "button", text: T.edit, onclick: () => editCounter(c) }),
        QB.el("button", { type: "button", class: "danger", text: T.del, onclick: (e) => twoStep(e.currentTarget, () => deleteCounter(c)) })))));
    if (!rows.length) rows.push(QB.el("tr", {}, QB.el("td", { colspan: 8, class: "muted", text: T.noCounters })));
    $("counters-body").replaceChildren(...rows);
  }

  function renderCounterChecks() {
    const box = $("ctr-services");
    const checked = new Set([...box.querySelectorAll("input:checked")].map((i) => i.value));
    box.replaceChildren(...S.services.map((s) => QB.el("label", {},
      QB.el("input", { type: "checkbox", name: "service_ids", value: s.id, checked: checked.has(s.id) }),
      `${s.name} (${s.id})`)));
  }

  function buildSchedule() {
    $("ctr-schedule").replaceChildren(...DAYS.map((d) => QB.el("div", { class: "field" },
      QB.el("label", { for: "ctr-schedule-" + d, text: T["day_" + d] }),
      QB.el("input", { id: "ctr-schedule-" + d, name: "schedule." + d, placeholder: "09:00-12:00,13:00-17:00", spellcheck: "false" }),
      QB.el("p", { class: "field-error", "data-error-for": "schedule." + d }))));
  }

  // counterSchedule is the form's week, or undefined when no day is set.
  function counterSchedule(f) {
    const week = {};
    let any = false;
    for (const d of DAYS) {
      week[d] = f.elements["schedule." + d].value.trim();
      if (week[d]) any = true;
    }
    // {} clears it: a PUT keeps what its body leaves out.
    return any ? week : {};
  }

  function editCounter(c) {
    const f = $("counter-form");
    clearErrors(f);
    for (const d of DAYS) f.elements["schedule." + d].value = (c.schedule || {})[d] || "";
    S.editCounter = c;
    f.elements.id.value = c.id;
    f.elements.id.readOnly = true;
    f.elements.name.value = c.name;
    f.elements["names.zh"].value = (c.names && c.names.zh) || "";
    f.elements["names.en"].value = (c.names && c.names.en) || "";
    for (const i of f.querySelectorAll('input[name="service_ids"]')) i.checked = (c.service_ids || []).includes(i.value);
    $("counter-form-title").textContent = T.editCounterTitle({ id: c.id });
    $("counter-submit").textContent = T.saveCounter;
    $("counter-cancel").hidden = false;
    f.elements.name.focus();
  }

  function resetCounterForm() {
    const f = $("counter-form");
    f.reset();
    clearErrors(f);
    S.editCounter = null;
    f.elements.id.readOnly = false;
    $("counter-form-title").textContent = T.addCounterTitle;
    $("counter-submit").textContent = T.addCounter;
    $("counter-cancel").hidden = true;
  }

  async function saveCounter(e) {
    e.preventDefault();
    const f = e.currentTarget;
    clearErrors(f);
    const old = S.editCounter;
    const body = {
      id: f.elements.id.value.trim(),
      name: f.elements.name.value.trim(),
      names: namesFrom(f, old && old.names),
      service_ids: [...f.querySelectorAll('input[name="service_ids"]:checked')].map((i) => i.value),
      // Sent as it was: editing the name must not resume a paused counter.
      paused: !!(old && old.paused),
      schedule: counterSchedule(f),
    };
    try {
      if (old) await QB.api("PUT", `/counters/${enc(old.id)}`, body);
      else await QB.api("POST", "/counters", body);
    } catch (err) {
      showError(f, err);
      return;
    }
    sectionMsg("counters-msg", old ? T.saved : T.created({ what: body.id }), "ok");
    resetCounterForm();
    await loadCounters().catch(failed("counters-msg"));
  }

  async function deleteCounter(c) {
    try {
      await QB.api("DELETE", `/counters/${enc(c.id)}`);
      sectionMsg("counters-msg", T.deleted({ what: c.id }), "ok");
      if (S.editCounter && S.editCounter.id === c.id) resetCounterForm();
    } catch (err) {
      failed("counters-msg")(err);
    }
    await loadCounters().catch(failed("counters-msg"));
  }

  // --- users ---

  async function loadUsers() {
    S.users = await QB.api("GET", "/users") || [];
    renderUsers();
  }

  function renderUsers() {
    $("users-body").replaceChildren(...S.users.map((u) => {
      const msg = QB.el("span", { class: "row-msg", role: "status" });
      const say = (text, ok) => { msg.textContent = text; msg.classList.toggle("ok", !!ok); };
      const put = async (body, okText) => {
        try {
          await QB.api("PUT", `/users/${enc(u.username)}`, body);
          await loadUsers();
          const row = $("users-body").querySelector(`tr[data-username="${CSS.escape(u.username)}"] .row-msg`);
          if (row) { row.textContent = okText; row.classList.add("ok"); }
        } catch (err) {
          if (err.status === 401) { QB.toLogin(); return; }
          say(err.code === "wrong_password" ? T.wrongPw : err.message, false);
          renderRoleSelect();
        }
      };
      const role = QB.el("select", { "aria-label": "role", onchange: (e) => put({ role: e.target.value }, T.roleChanged) },
        QB.el("option", { value: "staff", text: T.staff }), QB.el("option", { value: "admin", text: T.admin }));
      const renderRoleSelect = () => { role.value = u.role; };
      renderRoleSelect();

      // Whoever changes their own password gives the current one, admins
      // too: a session left open must not be enough to take the account.
      const self = !!S.me && S.me.username === u.username;
      const cur = self ? QB.el("input", { type: "password", class: "pw-current", placeholder: T.curPw,
        autocomplete: "current-password", "aria-label": T.curPw, required: true }) : null;
      const pw = QB.el("input", { type: "password", class: "pw-new", placeholder: T.newPw, autocomplete: "new-password", "aria-label": T.newPw });
      const pwForm = QB.el("form", { class: "row-actions", hidden: true, onsubmit: (e) => {
        e.preventDefault();
        put(cur ? { password: pw.value, current_password: cur.value } : { password: pw.value }, T.pwChanged);
      } }, cur, pw, QB.el("button", { type: "submit", text: T.setPw }));

      return QB.el("tr", { class: u.disabled ? "off" : "", dataset: { username: u.username } },
        QB.el("td", {}, QB.el("strong", { text: u.username }), self ? ` (${T.you})` : ""),
        QB.el("td", {}, role),
        QB.el("td", {}, QB.el("span", { class: "tag" + (u.disabled ? " bad" : ""), text: u.disabled ? T.disabled : T.active })),
        QB.el("td", {}, QB.el("div", { class: "row-actions" },
          QB.el("button", { type: "button", text: T.resetPw, onclick: () => { pwForm.hidden = !pwForm.hidden; if (!pwForm.hidden) (cur || pw).focus(); } }),
          QB.el("button", { type: "button", class: u.disabled ? "" : "danger", text: u.disabled ? T.enable : T.disable,
            onclick: () => put({ disabled: !u.disabled }, T.saved) })), pwForm),
        QB.el("td", {}, msg));
    }));
  }

  async function addUser(e) {
    e.preventDefault();
    const f = e.currentTarget;
    clearErrors(f);
    const body = { username: f.elements.username.value.trim(), password: f.elements.password.value, role: f.elements.role.value };
    try {
      await QB.api("POST", "/users", body);
    } catch (err) {
      showError(f, err);
      return;
    }
    f.reset();
    sectionMsg("users-msg", T.created({ what: body.username }), "ok");
    await loadUsers().catch(failed("users-msg"));
  }

  // --- devices ---

  async function loadDevices() {
    S.devices = await QB.api("GET", "/devices") || [];
    $("devices-body").replaceChildren(...S.devices.map((d) => QB.el("tr", { class: d.revoked ? "off" : "", dataset: { deviceId: d.id } },
      QB.el("td", { text: d.id }),
      QB.el("td", { text: T[d.kind] || d.kind }),
      QB.el("td", { text: d.name }),
      QB.el("td", {}, QB.el("span", { class: "tag" + (d.revoked ? " bad" : ""), text: d.revoked ? T.revoked : T.paired })),
      QB.el("td", { dataset: { deviceSeen: "" } }, d.revoked ? "" : seenText(S.health[d.id])),
      QB.el("td", {}, d.revoked ? null : QB.el("button", { type: "button", class: "danger", text: T.revoke,
        onclick: (e) => twoStep(e.currentTarget, () => revokeDevice(d)) })))));
    if (window.QBDevices) window.QBDevices.poll();
  }

  // seenText is a device's online state from GET /devices/health, which the
  // alert script polls and announces (qb:devices).
  function seenText(h) {
    if (!h || h.kind === "pos") return "—"; // a till calls only when something is sold
    if (h.online) return T.online;
    const when = h.last_seen ? new Date(h.last_seen).toLocaleString() : T.notSeen;
    return `${T.offline} · ${when}` + (h.alert ? " ⚠" : "");
  }

  document.addEventListener("qb:devices", (e) => {
    S.health = Object.fromEntries(e.detail.map((h) => [h.id, h]));
    for (const row of document.querySelectorAll("#devices-body tr[data-device-id]")) {
      const cell = row.querySelector("[data-device-seen]");
      const d = S.devices.find((x) => x.id === row.dataset.deviceId);
      if (cell && d && !d.revoked) {
        cell.textContent = seenText(S.health[d.id]);
        row.classList.toggle("alert", !!(S.health[d.id] && S.health[d.id].alert));
      }
    }
  });

  async function revokeDevice(d) {
    try {
      await QB.api("DELETE", `/devices/${enc(d.id)}`);
      sectionMsg("devices-msg", T.revoked + ": " + d.name, "ok");
    } catch (err) {
      failed("devices-msg")(err);
    }
    await loadDevices().catch(failed("devices-msg"));
  }

  async function addDevice(e) {
    e.preventDefault();
    const f = e.currentTarget;
    clearErrors(f);
    let d;
    try {
      d = await QB.api("POST", "/devices", { kind: f.elements.kind.value, name: f.elements.name.value.trim() });
    } catch (err) {
      showError(f, err);
      return;
    }
    f.elements.name.value = "";
    // A kiosk or display opens its pairing link; a till has no page, it
    // sends its key with each purchase.
    const link = d.pairing_url || "";
    $("pairing-title").textContent = (link ? T.pairTitle : T.keyTitle)({ kind: T.w(d.kind), name: d.name });
    const a = $("pairing-url");
    a.href = link || "#";
    a.textContent = link || d.token;
    $("pairing-how").textContent = link ? T.pairHow : T.keyHow;
    $("pairing-copy").textContent = link ? T.copyLink : T.copyKey;
    $("pairing").classList.toggle("no-qr", !link);
    $("pairing-copied").textContent = "";
    const qr = $("pairing-qr");
    qr.hidden = !link;
    if (link) qr.src = "/api/v1/qr.png?text=" + enc(link);
    $("pairing").hidden = false;
    await loadDevices().catch(failed("devices-msg"));
  }

  async function copyPairing() {
    const url = $("pairing-url").textContent;
    try {
      // The clipboard API exists only on secure origins; the box is often
      // reached over plain http on the LAN, hence the selection fallback.
      await navigator.clipboard.writeText(url);
      $("pairing-copied").textContent = T.copied;
    } catch (e) {
      const r = document.createRange();
      r.selectNodeContents($("pairing-url"));
      const sel = getSelection();
      sel.removeAllRanges();
      sel.addRange(r);
      $("pairing-copied").textContent = document.execCommand && document.execCommand("copy") ? T.copied : T.copyFailed;
    }
  }

  // --- settings ---

  function buildHours() {
    QBAdminHours.build();
    try {
      const zones = Intl.supportedValuesOf("timeZone");
      $("tz-list").replaceChildren(...zones.map((z) => QB.el("option", { value: z })));
    } catch (e) { /* older browsers: the field is still a plain text input */ }
  }

  function showSettings(st) {
    const f = $("settings-form");
    f.elements.branch_name.value = st.branch_name || "";
    f.elements.timezone.value = st.timezone || "";
    f.elements.max_wait_minutes.value = st.max_wait_minutes || 0;
    f.elements.checkin_early_minutes.value = st.checkin_early_minutes || 0;
    f.elements.checkin_late_minutes.value = st.checkin_late_minutes || 0;
    f.elements.appointment_hold_minutes.value = st.appointment_hold_minutes || 0;
    f.elements.near_turn_place.value = st.near_turn_place || 0;
    const w = st.priority_weights || [];
    for (const l of WEIGHT_LEVELS) f.elements["priority_weights." + l].value = w.length ? String(w[l] || 0) : "";
    S.weights = w;
    QBAdminHours.set(st.hours);
    $("branch").textContent = st.branch_name || "";
  }

  // weightsFrom reads the three level inputs into the settings' list
  // (index = level). Levels above VIP set in the config file are kept.
  // Nothing above 0 means strict priority, which the box spells [].
  function weightsFrom(f) {
    const w = S.weights.slice();
    for (const l of WEIGHT_LEVELS) {
      const input = f.elements["priority_weights." + l];
      const v = input.value.trim();
      if (input.validity.badInput || (v !== "" && !/^\d+$/.test(v))) return { bad: l };
      while (w.length <= l) w.push(0);
      w[l] = v === "" ? 0 : +v;
    }
    return { weights: w.some((x) => x > 0) ? w : [] };
  }

  async function loadSettings() {
    const st = await QB.api("GET", "/settings");
    showSettings(st);
    sectionMsg("settings-msg", st.open_now ? T.openNow : T.closedNow, "ok");
  }

  async function saveSettings(e) {
    e.preventDefault();
    const f = e.currentTarget;
    clearErrors(f);
    sectionMsg("settings-msg", "");
    const { hours } = QBAdminHours.read();
    const body = {
      branch_name: f.elements.branch_name.value.trim(),
      timezone: f.elements.timezone.value.trim(),
      max_wait_minutes: int(f.elements.max_wait_minutes.value),
      checkin_early_minutes: int(f.elements.checkin_early_minutes.value),
      checkin_late_minutes: int(f.elements.checkin_late_minutes.value),
      appointment_hold_minutes: int(f.elements.appointment_hold_minutes.value),
      near_turn_place: int(f.elements.near_turn_place.value),
      hours,
    };
    const w = weightsFrom(f);
    if (w.bad !== undefined) {
      showError(f, new QB.APIError(400, "invalid", T.badWeight({ level: w.bad })));
      return;
    }
    body.priority_weights = w.weights;
    let st;
    try {
      st = await QB.api("PUT", "/settings", body);
    } catch (err) {
      showError(f, err);
      return;
    }
    showSettings(st);
    sectionMsg("settings-msg", T.saved + " · " + (st.open_now ? T.openNow : T.closedNow), "ok");
  }

  // --- wiring ---

  $("service-form").addEventListener("submit", saveService);
  $("service-cancel").addEventListener("click", resetServiceForm);
  $("svc-outcomes").addEventListener("input", () => renderOutcomeLabels(S.editService && S.editService.outcome_labels));
  $("counter-form").addEventListener("submit", saveCounter);
  $("counter-cancel").addEventListener("click", resetCounterForm);
  $("user-form").addEventListener("submit", addUser);
  $("device-form").addEventListener("submit", addDevice);
  $("pairing-copy").addEventListener("click", copyPairing);
  $("pairing-qr").addEventListener("error", (e) => { e.target.hidden = true; });
  $("settings-form").addEventListener("submit", saveSettings);
  $("logout").addEventListener("click", QB.logout);
  // Typing into a field clears its old error: the message described the old value.
  document.addEventListener("input", (e) => {
    const n = e.target.name;
    const f = e.target.form;
    if (!n || !f || !e.target.hasAttribute("aria-invalid")) return;
    e.target.removeAttribute("aria-invalid");
    const slot = f.querySelector(`[data-error-for="${CSS.escape(n)}"]`) ||
      f.querySelector(`[data-error-for="${CSS.escape(n.split(".")[0])}"]`);
    if (slot) slot.textContent = "";
  });

  // The box's clock: when it distrusts it, say so and let the admin confirm.
  async function loadClock() {
    let st;
    try {
      st = await QB.api("GET", "/clock");
    } catch (e) {
      return;
    }
    $("clock-banner").hidden = !!st.trusted;
    if (!st.trusted) {
      $("clock-text").textContent = T.clockWrong({ at: new Date(st.wall).toISOString().slice(0, 16).replace("T", " ") });
    }
  }
  $("clock-confirm").addEventListener("click", async () => {
    try {
      await QB.api("POST", "/clock/confirm");
    } catch (e) {
      $("clock-text").textContent = e.message;
      return;
    }
    loadClock();
  });

  async function init() {
    buildHours();
    buildSchedule();
    loadClock();
    setInterval(loadClock, 5000);
    try {
      const s = await QB.api("GET", "/session");
      S.me = s.user;
    } catch (e) {
      if (e.status === 401) { QB.toLogin(); return; }
    }
    $("who").textContent = S.me ? S.me.username : "";
    await Promise.all([
      loadServices().then(loadCounters).catch(failed("services-msg")),
      loadUsers().catch(failed("users-msg")),
      loadDevices().catch(failed("devices-msg")),
      loadSettings().catch(failed("settings-msg")),
    ]);
    document.body.dataset.ready = "1";
    // Opening a section again shows it fresh.
    QBAdmin.section("devices", { load: loadDevices });
  }

  init();
})();
