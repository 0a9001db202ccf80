// The console's actions: call next, recall, start, finish (with the outcome),
// no-show, cancel, park, call back and call by number.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $, enc } = C;

  // --- actions ---

  async function act(fn) {
    if (S.busy) return;
    S.busy = true;
    S.gen++;
    C.renderButtons();
    try {
      // Notes typed for a ticket reach the box before the ticket moves on.
      await C.saveNotes();
      await fn();
    } catch (e) {
      if (e.status === 401) { QB.toLogin(); return; }
      C.setMsg(C.errorText(e), "error");
      // A 409 or 404 means this screen was behind the box: catch up.
      if (e.status === 409 || e.status === 404) { S.gen++; queueMicrotask(C.loadCurrent); }
    } finally {
      S.busy = false;
      S.gen++;
      C.renderButtons();
    }
    C.refreshQueue();
    const q = S.queued;
    S.queued = "";
    if (q) C.run(q);
  }

  const tid = () => enc(S.current.id);

  // finishTicket ends t with an outcome and the notes on the card. A ticket
  // only called is started first: staff should not need two keys for a
  // customer who simply came and went.
  async function finishTicket(t, outcome) {
    if (t.status === "called") await QB.api("POST", `/tickets/${enc(t.id)}/start`);
    const body = {};
    if (outcome) body.outcome = outcome;
    if (S.notes.id === t.id) body.notes = $("notes").value;
    return QB.api("POST", `/tickets/${enc(t.id)}/finish`, body);
  }

  // settle asks for the outcome of the ticket in service before another
  // customer is called to this counter (calling finishes it). It resolves to
  // null when staff back out, else to what to finish first, if anything.
  async function settle() {
    const cur = S.current;
    if (!cur || cur.status !== "serving" || C.outcomeCodes(cur).length === 0) return {};
    const code = await C.pickOutcome(cur, T.outcomeBefore({ n: cur.number }));
    return code === null ? null : { ticket: cur, code };
  }

  async function finishFirst(pre) {
    if (pre && pre.ticket) await finishTicket(pre.ticket, pre.code);
  }

  const actions = {
    next: async () => {
      const pre = await settle();
      if (!pre) return;
      act(async () => {
        const c = C.counter();
        if (!c) return;
        if (c.paused) { C.setMsg(T.paused, "error"); return; }
        await finishFirst(pre);
        const prev = pre.ticket ? null : S.current;
        const t = await QB.api("POST", `/counters/${enc(c.id)}/next`);
        if (!t) {
          if (pre.ticket) C.setCurrent(null);
          C.setMsg(T.nobody, "info");
          return;
        }
        C.setCurrent(t);
        C.setMsg(prev && prev.id !== t.id ? T.autoDone({ n: prev.number }) : "", "ok");
      });
    },
    recall: () => act(async () => {
      C.setCurrent(await QB.api("POST", `/tickets/${tid()}/recall`));
      C.setMsg(T.recalled({ n: S.current.number }), "ok");
    }),
    start: () => act(async () => {
      C.setCurrent(await QB.api("POST", `/tickets/${tid()}/start`));
      C.setMsg(T.started({ n: S.current.number }), "ok");
    }),
    finish: async () => {
      const cur = S.current;
      let code = "";
      if (C.outcomeCodes(cur).length) {
        code = await C.pickOutcome(cur, T.outcomeFor({ n: cur.number }));
        if (code === null) return;
      }
      act(async () => {
        const t = await finishTicket(cur, code);
        C.setCurrent(null);
        C.setMsg(code ? T.doneWith({ n: t.number, o: C.outcomeLabel(cur, code) }) : T.done({ n: t.number }), "ok");
      });
    },
    noshow: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/no-show`);
      C.setCurrent(null);
      C.setMsg(T.noShow({ n: t.number }), "ok");
      // The customer may turn up a moment later: one click puts them back.
      $("msg").append(" ", QB.el("button", { type: "button", class: "link", dataset: { revertNoShow: t.id }, text: T.undoNoShow }));
    }),
    cancel: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/cancel`);
      C.setCurrent(null);
      C.setMsg(T.cancelled({ n: t.number }), "ok");
    }),
    park: () => act(async () => {
      const t = await QB.api("POST", `/tickets/${tid()}/park`);
      C.addParked(t);
      C.setCurrent(null);
      C.setMsg(T.parkedMsg({ n: t.number }), "ok");
    }),
    callback: async () => {
      const list = C.parkedList();
      if (list.length === 0) { C.setMsg(T.nothingParked, "info"); return; }
      if (list.length === 1) { C.callBack(list[0].t.id); return; }
      if (S.panel === "parked") { C.closePanel(); return; }
      C.openPanel("parked");
      C.setMsg(T.pickParked, "info");
    },
    transfer: () => { if (S.panel === "transfer") C.closePanel(); else C.openTransfer(); },
    bynumber: async () => {
      if (S.panel === "bynumber") { $("bynumber-number").focus(); return; }
      C.openPanel("bynumber");
      $("bynumber-error").textContent = "";
      $("bynumber-number").focus();
      $("bynumber-number").select();
    },
    issue: () => C.openIssue(),
    notes: () => {
      if (!S.current) { C.setMsg(T.notNow, "info"); return; }
      $("notes").focus();
    },
    pause: () => act(async () => {
      const c = C.counter();
      const out = await QB.api("POST", `/counters/${enc(c.id)}/${c.paused ? "resume" : "pause"}`);
      C.upsertCounter(out);
      C.setMsg(out.paused ? T.pausedMsg : T.resumedMsg, "ok");
    }),
  };

  async function callByNumber(e) {
    e.preventDefault();
    if (S.busy) return;
    const num = $("bynumber-number").value.trim().toUpperCase();
    const reason = $("bynumber-reason").value.trim();
    const err = $("bynumber-error");
    for (const i of [$("bynumber-number"), $("bynumber-reason")]) i.removeAttribute("aria-invalid");
    if (!num || !reason) {
      const bad = num ? $("bynumber-reason") : $("bynumber-number");
      err.textContent = num ? T.needReason : T.needNumber;
      bad.setAttribute("aria-invalid", "true");
      bad.focus();
      return;
    }
    err.textContent = "";
    const pre = await settle();
    if (!pre) { C.openPanel("bynumber"); $("bynumber-reason").focus(); return; }
    act(async () => {
      await finishFirst(pre);
      let t;
      try {
        t = await QB.api("POST", `/counters/${enc(S.counterId)}/call`, { number: num, reason });
      } catch (e) {
        if (e.status === 401) throw e;
        if (pre.ticket) C.setCurrent(null);
        C.openPanel("bynumber");
        err.textContent = e.status === 404 ? T.noSuchNumber({ n: num }) : C.errorText(e);
        const bad = e.status === 400 ? $("bynumber-reason") : $("bynumber-number");
        bad.setAttribute("aria-invalid", "true");
        bad.focus();
        return;
      }
      C.closePanel();
      $("bynumber-number").value = "";
      $("bynumber-reason").value = "";
      C.dropParked(t.id);
      C.setCurrent(t);
      C.setMsg(T.calledByNumber({ n: t.number, why: t.call_reason }), "ok");
    });
  }

  Object.assign(C, { act, tid, finishTicket, settle, finishFirst, actions, callByNumber });
})();
