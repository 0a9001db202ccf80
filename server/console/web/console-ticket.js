// The console's ticket card: the current ticket, its notes, the service guide
// and which action buttons apply.
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, T, $, enc } = C;

  function renderButtons() {
    $("console").dataset.busy = S.busy ? "1" : "";
    const st = S.current ? S.current.status : "";
    const c = C.counter();
    const can = {
      recall: st === "called",
      start: st === "called",
      finish: st === "called" || st === "serving",
      noshow: st === "called",
      transfer: st === "called" || st === "serving",
      park: st === "called" || st === "serving",
      cancel: st === "called",
      bynumber: !!c,
      issue: true,
      pause: !!c,
    };
    for (const b of document.querySelectorAll("#actions [data-action]")) {
      b.disabled = S.busy || !can[b.dataset.action];
    }
    $("next").disabled = S.busy || !c || c.paused;
  }

  function setCurrent(t) {
    S.current = t;
    if (!t && (S.panel === "transfer" || S.panel === "outcome")) C.closePanel();
    renderCurrent();
  }

  function renderCurrent() {
    const t = S.current;
    const card = $("current");
    card.dataset.state = t ? t.status : "none";
    card.dataset.ticketId = t ? t.id : "";
    $("current-empty").hidden = !!t;
    $("current-filled").hidden = !t;
    if (t) {
      $("current-number").textContent = t.number;
      $("current-status").textContent = t.status === "serving" ? T.serving : T.called;
      $("current-service").textContent = C.serviceName(t.service_id);
      const appt = $("current-appt");
      appt.hidden = !t.appointment_at;
      appt.textContent = t.appointment_at ? T.appointment({ hm: C.hm(t.appointment_at) }) : "";
      const waited = t.called_at ? (Date.parse(t.called_at) - Date.parse(t.issued_at)) / 1000 : QB.secondsSince(t.issued_at);
      $("current-waited").textContent = QB.duration(waited);
      $("current-reason").textContent = C.reasonText(t) || "—";
      const extra = [];
      if (t.priority > 0) extra.push(T.level(t.priority));
      if (t.recalls > 0) extra.push(T.recalls({ n: t.recalls + 1 }));
      if (t.transfers && t.transfers.length) extra.push(T.from({ s: t.transfers.map(C.serviceName).join(" → ") }));
      $("current-extra").textContent = extra.join(" · ");
      $("current-extra-row").hidden = extra.length === 0;
    }
    renderNotes();
    renderGuide();
    C.tick();
    renderButtons();
  }

  // renderNotes shows the current ticket's notes without overwriting what
  // staff are typing: a live update of the same ticket must not eat a word.
  function renderNotes() {
    const t = S.current, box = $("notes"), N = S.notes;
    if (!t) {
      if (N.id) { N.id = ""; N.saved = ""; box.value = ""; $("notes-state").textContent = ""; }
      return;
    }
    if (N.id !== t.id) {
      N.id = t.id;
      N.saved = t.notes || "";
      box.value = N.saved;
      $("notes-state").textContent = "";
      return;
    }
    if (document.activeElement !== box && box.value === N.saved && (t.notes || "") !== N.saved) {
      N.saved = t.notes || "";
      box.value = N.saved;
    }
  }

  function renderGuide() {
    const t = S.current;
    const svc = t && S.services.get(t.service_id);
    const guide = (svc && svc.guide) || "";
    $("guide").dataset.empty = guide ? "" : "1";
    $("guide-text").textContent = guide;
    $("guide-text").hidden = !guide;
    const empty = $("guide-empty");
    empty.hidden = !!guide;
    empty.textContent = t ? T.guideMissing({ s: C.serviceName(t.service_id) }) : T.guideNone;
  }

  // --- notes ---

  function notesDirty() {
    return !!S.current && S.notes.id === S.current.id && $("notes").value !== S.notes.saved;
  }

  async function saveNotes() {
    if (S.notes.saving) await S.notes.saving;
    if (!notesDirty()) return;
    const id = S.current.id, text = $("notes").value;
    $("notes-state").textContent = T.notesSaving;
    S.notes.saving = (async () => {
      try {
        const t = await QB.api("POST", `/tickets/${enc(id)}/notes`, { notes: text });
        if (S.notes.id === id) {
          S.notes.saved = t.notes || "";
          $("notes-state").textContent = $("notes").value === S.notes.saved ? T.notesSaved : T.notesUnsaved;
        }
        if (S.current && S.current.id === id) S.current.notes = t.notes;
      } catch (e) {
        if (e.status === 401) { QB.toLogin(); return; }
        if (S.notes.id === id) {
          $("notes-state").textContent = T.notesFailed;
          C.setMsg(C.errorText(e), "error");
        }
      } finally {
        S.notes.saving = null;
      }
    })();
    await S.notes.saving;
  }

  Object.assign(C, { renderButtons, setCurrent, renderCurrent, renderNotes, renderGuide, notesDirty, saveNotes });
})();
