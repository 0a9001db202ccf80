// The console's pop-in panels: outcome picker, transfer, call by number, a new
// ticket at the desk; and run(), which every button and key goes through.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $, enc } = C;

  // --- panels ---

  const PANELS = { transfer: "transfer", outcome: "outcome", bynumber: "bynumber", issue: "issue" };

  function openPanel(name) {
    closePanel();
    S.panel = name;
    if (PANELS[name]) {
      $(PANELS[name]).hidden = false;
      // It opens under the buttons: on a 768-pixel screen, below the fold.
      $(PANELS[name]).scrollIntoView({ block: "nearest" });
    }
    C.renderParked();
  }

  function closePanel() {
    const was = S.panel;
    S.panel = "";
    for (const id of Object.values(PANELS)) $(id).hidden = true;
    if (was === "outcome" && S.outcome) {
      const { resolve } = S.outcome;
      S.outcome = null;
      resolve(null);
    }
    // Focus left in a closed form would swallow the next shortcut.
    if (was === "bynumber" && $("bynumber").contains(document.activeElement)) document.activeElement.blur();
    if (was === "parked") C.renderParked();
  }

  // pickOutcome shows the service's outcome codes and resolves to the one
  // chosen, or null when staff press Esc.
  function pickOutcome(t, title) {
    const codes = C.outcomeCodes(t);
    openPanel("outcome");
    $("outcome-title").textContent = title;
    return new Promise((resolve) => {
      S.outcome = { codes, resolve };
      $("outcome-list").replaceChildren(...codes.map((c, i) => QB.el("button", {
        type: "button", dataset: { outcome: c }, class: i === 0 ? "first" : "", onclick: () => chooseOutcome(i),
      }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", C.outcomeLabel(t, c))));
    });
  }

  function chooseOutcome(i) {
    const o = S.outcome;
    if (!o || i < 0 || i >= o.codes.length) return;
    S.outcome = null;
    closePanel();
    o.resolve(o.codes[i]);
  }

  function transferTargets() {
    const from = S.current ? S.current.service_id : "";
    return [...S.services.values()].filter((s) => s.id !== from);
  }

  function openTransfer() {
    if (!S.current) return;
    const list = transferTargets();
    $("transfer-list").replaceChildren(...list.map((s, i) => QB.el("button", {
      type: "button", dataset: { transferService: s.id }, onclick: () => transferTo(s.id),
    }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", C.serviceName(s.id))));
    openPanel("transfer");
  }

  function transferTo(serviceID) {
    closePanel();
    return C.act(async () => {
      const t = await QB.api("POST", `/tickets/${C.tid()}/transfer`, { service_id: serviceID });
      C.setCurrent(null);
      C.setMsg(T.transferred({ n: t.number, s: C.serviceName(serviceID) }), "ok");
    });
  }

  function issueServices() { return [...S.services.values()]; }

  function openIssue() {
    openPanel("issue");
    S.issued = null;
    $("issue-pick").hidden = false;
    $("issue-done").hidden = true;
    $("issue-phone").value = "";
    $("issue-phone").removeAttribute("aria-invalid");
    $("issue-error").textContent = "";
    setLevel(0);
    // Focus into the panel: the next Tab reaches the level and the phone
    // field, not the top of the page; the panel's keys still work.
    $("issue").focus({ preventScroll: true });
    $("issue-services").replaceChildren(...issueServices().map((s, i) => QB.el("button", {
      type: "button", dataset: { issueService: s.id }, onclick: () => issueFor(s.id),
    }, i < 9 ? QB.el("kbd", { text: String(i + 1) }) : null, " ", C.serviceName(s.id),
    QB.el("small", { text: T.waitingN({ n: s.waiting || 0 }) }))));
  }

  function setLevel(l) {
    S.issueLevel = l;
    for (const b of $("issue-levels").children) {
      const on = +b.dataset.level === l;
      b.setAttribute("aria-checked", on ? "true" : "false");
      b.classList.toggle("on", on);
    }
  }

  function issueFor(serviceID) {
    if (S.panel !== "issue" || S.issued) return;
    const level = S.issueLevel;
    // A phone links the ticket to a known customer (or makes one): their
    // tier counts in the queue and their visit is recorded.
    const phone = $("issue-phone").value.trim();
    const body = { service_id: serviceID, priority: level };
    if (phone) body.phone = phone;
    return C.act(async () => {
      let t;
      try {
        t = await QB.api("POST", "/tickets", body);
      } catch (e) {
        // A number the box cannot read, or one past its daily cap, is said
        // next to the field; the panel stays for a corrected number.
        if (!phone || !(e.code === "ticket_limit" || (e.status === 400 && /phone/.test(e.message)))) throw e;
        $("issue-error").textContent = e.code === "ticket_limit" ? T.phoneLimit : T.phoneInvalid;
        $("issue-phone").setAttribute("aria-invalid", "true");
        $("issue-phone").focus();
        return;
      }
      $("issue-error").textContent = "";
      $("issue-phone").removeAttribute("aria-invalid");
      S.issued = t;
      $("issue-pick").hidden = true;
      $("issue-done").hidden = false;
      $("issued-number").textContent = t.number;
      $("issued-service").textContent = C.serviceName(t.service_id);
      $("issued-level").textContent = T.level(t.priority);
      const tier = window.QBTiers ? QBTiers.name(t.tier) : "";
      $("issued-customer").textContent = t.customer_id ? T.issuedFor({ tier: tier || t.tier || "—" }) : (phone ? "" : T.issuedAnon);
      C.setMsg(T.issued({ n: t.number }), "ok");
    });
  }

  async function printIssued() {
    const t = S.issued;
    if (!t) return;
    try {
      await QB.api("POST", `/tickets/${enc(t.id)}/print`);
      C.setMsg(T.sentToPrinter, "ok");
    } catch (e) {
      C.softError(e);
    }
  }

  // panelKey handles a key meant for the open panel; true when it took it.
  function panelKey(k) {
    switch (S.panel) {
      case "transfer":
        if (k === "Escape" || k === "t") { closePanel(); return true; }
        if (/^[1-9]$/.test(k)) {
          const s = transferTargets()[+k - 1];
          if (s) transferTo(s.id);
          return true;
        }
        return false;
      case "outcome":
        if (k === "Escape") { closePanel(); return true; }
        if (k === "Enter") { chooseOutcome(0); return true; }
        if (/^[1-9]$/.test(k)) { chooseOutcome(+k - 1); return true; }
        // The picker stands between staff and the next customer: other
        // shortcuts wait until it is answered.
        return k in KEYS || k === "Enter";
      case "issue":
        if (k === "Escape") { closePanel(); return true; }
        if (S.issued) {
          if (k === "Enter") { closePanel(); return true; }
          if (k === "i") { openIssue(); return true; }
          return false;
        }
        if (k === "n" || k === "p" || k === "v") { setLevel({ n: 0, p: 1, v: 2 }[k]); return true; }
        if (/^[1-9]$/.test(k)) {
          const s = issueServices()[+k - 1];
          if (s) issueFor(s.id);
          return true;
        }
        return k in C.KEYS;
      case "parked":
        if (k === "Escape" || k === "b") { closePanel(); C.setMsg(""); return true; }
        if (/^[1-9]$/.test(k)) {
          const p = C.parkedList()[+k - 1];
          if (p) C.callBack(p.t.id);
          return true;
        }
        return false;
      case "bynumber":
        if (k === "Escape") { closePanel(); return true; }
        return false;
    }
    return false;
  }

  function run(name) {
    if (S.busy) {
      // Type-ahead: S then F at once still finishes. Never for Space: a
      // double tap would mark the next customer done unseen.
      if (name !== "next") S.queued = name;
      return;
    }
    const b = name === "next" ? $("next") : document.querySelector(`#actions [data-action="${name}"]`);
    if (b && b.disabled) {
      C.setMsg(name === "next" && C.counter() && C.counter().paused ? T.paused : T.notNow, "info");
      return;
    }
    C.actions[name]();
  }

  function upsertCounter(c) {
    const i = S.counters.findIndex((x) => x.id === c.id);
    if (i >= 0) S.counters[i] = c; else S.counters.push(c);
    S.counters.sort((a, b) => a.id.localeCompare(b.id, undefined, { numeric: true }));
    C.renderCounters();
  }

  Object.assign(C, { PANELS, openPanel, closePanel, pickOutcome, chooseOutcome, transferTargets, openTransfer, transferTo, issueServices, openIssue, setLevel, issueFor, printIssued, panelKey, run, upsertCounter });
})();
