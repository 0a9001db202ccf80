// Appointment check-in: the customer types the 8-digit booking code on the
// keypad, or holds the booking's QR code to a USB scanner, which "types" the
// code and Enter like a keyboard. Registered through the kiosk's hook, so the
// kiosk keeps the screens, idle reset and language around it. A classic
// script in the pages' dialect (assets/README.md), loaded after kiosk.js;
// the body is not indented under the wrapper.
(function () {
'use strict';

const T = QB.text.page('kiosk');

const CODE_LEN = 8;

let root = null;   // the check-in screen, drawn once
let api = null;
let ui = null;
const s = {
  code: '',
  // stale marks a code that was already sent: the next digit starts a new
  // code, so a second scan after "we can't find this code" just works.
  stale: false,
  busy: false,
  pending: -1,     // which message button is waiting for its answer
  view: 'keypad',  // or 'message'
  message: null,
  walkInKey: null, // one walk-in wish, one ticket, however often it is retried
  gen: 0,          // bumped when the kiosk leaves: late answers are dropped
  listening: false,
  typed: 0,        // keys typed since the focus last moved
};

// --- text ------------------------------------------------------------------

// A text is a function of the language, so one message can be drawn in both.
const str = (key, vars) => lang => T.t(lang, key, vars);
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function serviceName(svc, lang) { return T.name(lang, svc); }

// Drawn with the kiosk's own helpers (kiosk.js), shared with member.js.
const { bilingual, keypad, labelKeypad } = window.queueboxKiosk.ui;
const make = QB.el;

// --- drawing -----------------------------------------------------------------

function build(el) {
  const box = make('div', { class: 'checkin' });
  const head = make('div', { class: 'checkin-head' });
  const title = make('h2', { class: 'checkin-title', id: 'checkin-title' });
  const hint = make('p', { class: 'checkin-hint' });
  head.append(title, hint);

  const code = make('div', { class: 'checkin-code', id: 'checkin-code', 'aria-live': 'polite', 'aria-atomic': 'true' });
  const spoken = make('span', { class: 'sr-only' });
  const cells = make('div', { class: 'code-cells', 'aria-hidden': 'true' });
  const cellEls = [];
  for (let i = 0; i < CODE_LEN; i++) {
    const c = make('span', { class: 'code-cell' });
    cellEls.push(c);
    cells.append(c);
  }
  code.append(spoken, cells);

  const kp = keypad('data-key');
  const pad = kp.pad;
  const keyEls = kp.keys;
  const submit = make('button', { class: 'btn btn-primary checkin-submit', type: 'button', 'data-key': 'submit' });
  keyEls.submit = submit;

  const msg = make('div', { class: 'checkin-message', id: 'checkin-message', role: 'alert' });
  const msgText = make('p', { class: 'checkin-message-text' });
  const msgHint = make('p', { class: 'checkin-message-hint' });
  const actions = make('div', { class: 'checkin-actions' });
  msg.append(msgText, msgHint, actions);

  const home = make('button', { class: 'btn btn-quiet checkin-home', type: 'button', 'data-action': 'home' });

  box.append(head, code, pad, submit, msg, home);
  el.replaceChildren(box);
  el.setAttribute('aria-labelledby', 'checkin-title');

  box.addEventListener('click', e => {
    const b = e.target.closest('button');
    if (!b || b.disabled) return;
    if (b.dataset.key) press(b.dataset.key);
    else if (b.dataset.action === 'home') leave();
    else if (b.dataset.index) runAction(Number(b.dataset.index));
  });
  return { box, title, hint, code, spoken, cells: cellEls, kp, keys: keyEls, submit, msg, msgText, msgHint, actions, home };
}

function render() {
  if (!ui) return;
  const t = api.t;
  ui.title.textContent = t('checkinTitle');
  ui.hint.textContent = t('checkinHint');
  labelKeypad(ui.kp);
  ui.submit.textContent = s.busy && s.view === 'keypad' ? t('checkinBusy') : t('keySubmit');
  ui.home.textContent = t('back');

  ui.cells.forEach((c, i) => {
    c.textContent = s.code[i] || '';
    c.classList.toggle('filled', i < s.code.length);
    c.classList.toggle('next', !s.stale && s.view === 'keypad' && i === s.code.length);
  });
  ui.code.classList.toggle('stale', s.stale);
  ui.spoken.textContent = t('checkinEntered', { n: s.code.length, digits: s.code.split('').join(' ') });

  const keypad = s.view === 'keypad';
  // The message covers the keypad in place (CSS), so the code above it
  // stays where the customer was looking.
  ui.box.classList.toggle('is-message', !keypad);
  ui.msg.hidden = keypad;
  for (const [k, b] of Object.entries(ui.keys)) {
    b.disabled = s.busy || (k === 'submit' && s.code.length !== CODE_LEN);
  }
  ui.submit.setAttribute('aria-busy', String(s.busy && keypad));

  const m = s.message;
  if (!keypad && m) {
    ui.msg.dataset.reason = m.reason;
    bilingual(ui.msgText, m.text);
    ui.msgHint.hidden = !m.hint;
    if (m.hint) bilingual(ui.msgHint, m.hint);
    ui.actions.replaceChildren(...m.actions.map((a, i) => {
      const b = make('button', { class: 'btn btn-primary checkin-action', type: 'button', 'data-index': String(i) });
      if (a.serviceId) b.dataset.walkinService = a.serviceId;
      bilingual(b, s.pending === i ? str('pending') : a.label);
      b.disabled = s.busy;
      b.setAttribute('aria-busy', String(s.pending === i));
      return b;
    }));
  }
  // Leaving is always possible, but beside a message whose own way forward
  // is going home it would be a second button saying the same.
  ui.home.classList.toggle('is-away', !keypad && !!(m && m.goesHome));
}

// --- input -----------------------------------------------------------------

function active() {
  return !!root && !root.hidden && !root.closest('[inert]');
}

function onKeyDown(e) {
  if (!active() || e.ctrlKey || e.altKey || e.metaKey) return;
  let key = '';
  if (/^[0-9]$/.test(e.key)) key = e.key;
  else if (e.key === 'Enter') key = 'submit';
  else if (e.key === 'Backspace') key = 'back';
  else if (e.key === 'Escape') key = 'clear';
  if (!key) return;
  e.preventDefault();
  if (key === 'submit') {
    // Enter on a key the customer moved to with the keyboard (Tab) presses
    // that key: Clear clears, Back deletes. Enter after typed digits is a
    // scanner (or a typist) finishing a code, wherever the last tap left
    // the focus: it submits.
    const b = document.activeElement;
    if (s.typed === 0 && b && b.dataset && b.dataset.key && ui && ui.box.contains(b)) {
      if (!b.disabled) press(b.dataset.key);
      return;
    }
  } else if (key !== 'clear') {
    s.typed++;
  }
  press(key);
}

// A new focus starts a new count of typed keys (see onKeyDown).
function onFocusIn() { s.typed = 0; }

// Some keyboards and scanners deliver Enter's keypress even when its
// keydown was taken; a focused button would still take it as a click.
function onKeyPress(e) {
  if (active() && e.key === 'Enter') e.preventDefault();
}

function press(key) {
  if (s.busy) return;
  const digit = /^\d$/.test(key);
  if (s.view === 'message') {
    // Only a digit leaves a message: a fresh scan or a fresh start. A stray
    // Enter must not repeat what the message just answered.
    if (!digit) return;
    s.view = 'keypad';
    s.message = null;
    s.code = '';
    s.stale = false;
  }
  if (digit) {
    if (s.stale) {
      s.code = '';
      s.stale = false;
    }
    if (s.code.length < CODE_LEN) s.code += key;
  } else if (key === 'back') {
    s.stale = false;
    s.code = s.code.slice(0, -1);
  } else if (key === 'clear') {
    s.stale = false;
    s.code = '';
  } else if (key === 'submit') {
    if (s.code.length === CODE_LEN) return void submit();
    ui.code.classList.remove('short');
    void ui.code.offsetWidth; // restart the animation on a repeated press
    ui.code.classList.add('short');
  }
  render();
}

// --- talking to the box ------------------------------------------------------

function newKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return 'kiosk-' + Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

// request returns the box's answer, or null when the box did not answer.
async function request(path, opts) {
  try {
    return await api.request(path, opts);
  } catch (e) {
    return null;
  }
}

async function submit() {
  const gen = s.gen;
  s.busy = true;
  s.view = 'keypad';
  s.message = null;
  render();
  const r = await request('/api/v1/checkin', { method: 'POST', body: { code: s.code } });
  if (gen !== s.gen) return;
  if (r && r.ok && r.data && r.data.number) {
    finish();
    api.showTicket(r.data);
    return;
  }
  s.stale = true;
  await explain(r, gen);
}

const RETRY_CHECKIN = { label: str('tryAgain'), run: () => { s.stale = false; submit(); } };
const GO_HOME = { label: str('back'), run: () => leave() };

// explain turns a refused check-in into one sentence and one way forward.
async function explain(r, gen) {
  let m;
  const code = (r && r.code) || '';
  const said = (r && r.data && r.data.error && r.data.error.message) || '';
  if (!r || r.status >= 500 || r.status === 429) {
    m = { reason: 'failed', text: str('checkinFailed'), actions: [RETRY_CHECKIN] };
  } else if (code === 'too_early') {
    // The box says from when, in the branch's time: "… come back after 10:05",
    // or "… come back on 2026-12-08 after 09:45" for another day.
    const hhmm = (said.match(/\b(\d{1,2}:\d{2})\b/) || [])[1];
    const day = said.match(/\b\d{4}-(\d{2})-(\d{2})\b/);
    const text = !hhmm ? str('tooEarly')
      : day ? str('tooEarlyOn', { hhmm, m: +day[1], d: +day[2], mon: MONTHS[+day[1] - 1] })
      : str('tooEarlyAt', { hhmm });
    m = { reason: code, text, actions: [GO_HOME], goesHome: true };
  } else if (code === 'too_late' || code === 'appointment_cancelled') {
    m = {
      reason: code, text: str(code === 'too_late' ? 'tooLate' : 'apptCancelled'), hint: str('walkInHint'),
      actions: await walkInActions(),
    };
    if (gen !== s.gen) return;
  } else if (code === 'already_checked_in') {
    // The box names the ticket it was checked in as: say the number again.
    const num = (said.match(/ as ([A-Za-z]*\d+)$/) || [])[1];
    m = { reason: code, text: num ? str('alreadyCheckedInAs', { num }) : str('alreadyCheckedIn'), actions: [GO_HOME], goesHome: true };
  } else if (code === 'clock_untrusted') {
    m = { reason: code, text: str('errClock'), actions: [RETRY_CHECKIN] };
  } else if (code === 'unknown_code' || r.status === 400) {
    m = { reason: 'unknown_code', text: str('unknownCode'), actions: [{ label: str('enterAgain'), run: () => reenter() }] };
  } else {
    m = { reason: 'refused', text: str('checkinStaff'), actions: [GO_HOME], goesHome: true };
  }
  s.busy = false;
  s.view = 'message';
  s.message = m;
  render();
}

// The refusal does not name the appointment's service, so every bookable
// service is offered; most branches have one or two.
async function walkInActions() {
  const r = await request('/api/v1/services');
  const list = r && r.ok && Array.isArray(r.data) ? r.data.filter(v => v.slot_minutes > 0 && v.slot_capacity > 0) : [];
  if (list.length === 0) {
    // Home has every service's tile: the customer picks there.
    return [{ label: str('walkIn'), run: () => leave() }];
  }
  return list.map(svc => ({
    serviceId: svc.id,
    label: lang => T.t(lang, 'walkInTo', { name: serviceName(svc, lang) }),
    run: () => walkIn(svc.id),
  }));
}

async function walkIn(serviceId) {
  if (s.busy) return;
  if (!s.walkInKey || s.walkInKey.serviceId !== serviceId) s.walkInKey = { serviceId, key: newKey() };
  const gen = s.gen;
  const m = s.message;
  s.busy = true;
  s.pending = m.actions.findIndex(a => a.serviceId === serviceId);
  render();
  const r = await request('/api/v1/tickets', { method: 'POST', body: { service_id: serviceId }, key: s.walkInKey.key });
  if (gen !== s.gen) return;
  s.busy = false;
  s.pending = -1;
  if (r && r.ok && r.data && r.data.number) {
    finish();
    api.showTicket(r.data);
    return;
  }
  if (!r || r.status >= 500 || r.status === 429) {
    s.message = { reason: 'failed', text: str('checkinFailed'), actions: [{ label: str('tryAgain'), run: () => walkIn(serviceId) }] };
  } else if (r.status === 409 && r.code === 'closed') {
    s.message = { reason: 'closed', text: str('walkInClosed'), actions: [GO_HOME], goesHome: true };
  } else if (r.status === 409 && r.code === 'clock_untrusted') {
    s.message = { reason: 'clock_untrusted', text: str('errClock'), actions: [GO_HOME], goesHome: true };
  } else {
    s.message = { reason: 'refused', text: str('checkinStaff'), actions: [GO_HOME], goesHome: true };
  }
  render();
}

function runAction(i) {
  const a = s.message && s.message.actions[i];
  if (a && !s.busy) a.run();
}

// reenter shows the keypad with the code that was not found, so it can be
// compared with the booking; the next digit starts over.
function reenter() {
  s.view = 'keypad';
  s.message = null;
  render();
}

function leave() {
  finish();
  api.home();
}

// --- lifecycle ---------------------------------------------------------------

function finish() {
  s.gen++;
  s.busy = false;
  s.pending = -1;
  if (s.listening) {
    document.removeEventListener('keydown', onKeyDown);
    document.removeEventListener('keypress', onKeyPress);
    document.removeEventListener('focusin', onFocusIn);
    s.listening = false;
  }
}

if (window.queueboxKiosk) window.queueboxKiosk.registerCheckin({
  start(el, kioskAPI) {
    api = kioskAPI;
    if (root !== el) {
      root = el;
      ui = build(el);
    }
    finish();
    Object.assign(s, { code: '', stale: false, view: 'keypad', message: null, walkInKey: null });
    // The tile that opened this screen keeps the focus while hidden: a
    // scanner's Enter must not open the screen again over a sent code.
    if (document.activeElement instanceof HTMLElement) document.activeElement.blur();
    document.addEventListener('keydown', onKeyDown);
    document.addEventListener('keypress', onKeyPress);
    document.addEventListener('focusin', onFocusIn);
    s.listening = true;
    render();
  },
  render,
  stop: finish,
});
})();
