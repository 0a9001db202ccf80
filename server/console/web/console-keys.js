// The console's keyboard: one key per action, Esc to back out; Space belongs
// to a focused button, and single-key shortcuts can be turned off (WCAG
// 2.1.4).
"use strict";

(() => {
  const C = window.QBConsole;
  const { S, $ } = C;

  // --- keyboard ---

  const KEYS = {
    " ": "next", r: "recall", s: "start", f: "finish", n: "noshow", t: "transfer", k: "park",
    b: "callback", c: "cancel", "#": "bynumber", i: "issue", e: "notes", p: "pause",
  };

  const FOCUSING = new Set(["notes", "bynumber"]);
  let focusOnKeyUp = "";

  function typing(target) {
    if (!target || !target.tagName) return false;
    return ["INPUT", "SELECT", "TEXTAREA"].includes(target.tagName) || target.isContentEditable;
  }

  // Space belongs to whatever has the focus (a button, a link, the list):
  // calling the next customer while Space presses a focused button would be
  // two actions for one key (WCAG 2.1.4). With the focus on the page, or on
  // "Call next" itself, Space calls.
  function ownsSpace(target) {
    if (!target || target === document.body || target.id === "next") return false;
    return target.matches("button, a[href], summary, [role=button], [role=radio], [tabindex]");
  }

  // Staff may turn single-key shortcuts off (WCAG 2.1.4): then only the
  // buttons and ordinary keyboard use act.
  const KEYS_KEY = "qb.console.keys";
  const keysOn = () => $("keys-on").checked;

  document.addEventListener("keydown", (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.isComposing) return;
    if (typing(e.target)) {
      if (e.key !== "Escape") return;
      // Esc leaves a field: the notes are saved on the way out.
      e.preventDefault();
      if (e.target.id === "notes") e.target.blur();
      else if (S.panel === "bynumber" && $("bynumber").contains(e.target)) C.closePanel();
      else e.target.blur();
      return;
    }
    const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    if (!$("chooser").hidden) {
      if (/^[1-9]$/.test(k) && S.counters[+k - 1]) { e.preventDefault(); C.selectCounter(S.counters[+k - 1].id); }
      return;
    }
    if (!keysOn()) return;
    if (S.panel && C.panelKey(k)) { e.preventDefault(); return; }
    const name = KEYS[k];
    if (!name) return;
    if (k === " " && ownsSpace(e.target)) return;
    // Space on the page would scroll it: one key, one action.
    e.preventDefault();
    if (e.repeat) return;
    // A key that moves focus into a field waits for its keyup, or its own
    // character could land in the field.
    if (FOCUSING.has(name)) focusOnKeyUp = name;
    else C.run(name);
  });
  document.addEventListener("keyup", (e) => {
    // Space already called on keydown: the focused "Call next" must not
    // take the keyup as a second click.
    if (e.key === " " && e.target && e.target.id === "next") e.preventDefault();
    if (focusOnKeyUp) {
      const name = focusOnKeyUp;
      focusOnKeyUp = "";
      C.run(name);
    }
  });

  Object.assign(C, { KEYS, FOCUSING, typing, ownsSpace, KEYS_KEY, keysOn });
})();
