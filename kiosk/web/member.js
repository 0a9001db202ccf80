// Member identification: after picking a service, a customer may type
// their phone number on a big keypad (or hold a member code to the USB
// scanner, which types it and Enter); skipping is one tap. The number goes
// with the ticket request only: the kiosk keeps nothing. A classic script
// in the pages' dialect (assets/README.md), loaded after kiosk.js; the body
// is not indented under the wrapper.
(function () {
'use strict';

const T = QB.text.page('kiosk');

const MAX_DIGITS = 15;
// Drawn with the kiosk's own helpers (kiosk.js), shared with checkin.js.
const { bilingual, keypad, labelKeypad } = window.queueboxKiosk.ui;
const make = QB.el;

let root = null;
let api = null;
const s = { digits: '', message: '', listening: false };

const text = (key, lang) => T.t(lang, key);

function build(el) {
  const box = make('div', { class: 'checkin member' });
  const head = make('div', { class: 'checkin-head' });
  const title = make('h2', { class: 'checkin-title', id: 'member-title' });
  const hint = make('p', { class: 'checkin-hint' });
  head.append(title, hint);
  const phone = make('div', { class: 'checkin-code member-phone', 'data-member-phone': '', 'aria-live': 'polite' });
  const kp = keypad('data-member-key');
  const go = make('button', { class: 'btn btn-primary checkin-submit', type: 'button', 'data-member': 'go' });
  const msg = make('p', { class: 'member-message', role: 'alert', 'data-member-message': '' });
  const skip = make('button', { class: 'btn btn-primary member-skip', type: 'button', 'data-member': 'skip' });
  // A tap on the wrong tile: back to the start, no ticket taken.
  const home = make('button', { class: 'btn btn-quiet checkin-home member-home', type: 'button', 'data-member': 'home' });
  box.append(head, phone, kp.pad, go, msg, skip, home);
  el.replaceChildren(box);
  el.setAttribute('aria-labelledby', 'member-title');
  box.addEventListener('click', e => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.memberKey) press(b.dataset.memberKey);
    else if (b.dataset.member === 'skip') api.submit('');
    else if (b.dataset.member === 'go') submit();
    else if (b.dataset.member === 'home') api.home();
  });
  root = { box, title, hint, phone, kp, go, msg, skip, home };
}

function press(k) {
  s.message = '';
  if (k === 'clear') s.digits = '';
  else if (k === 'back') s.digits = s.digits.slice(0, -1);
  else if (/^\d$/.test(k) && s.digits.length < MAX_DIGITS) s.digits += k;
  render();
}

function submit() {
  if (s.digits.length < 5) return;
  api.submit(s.digits);
}

// A scanner types the code and Enter; a keyboard works the same way.
function onKey(e) {
  if (!root || root.box.closest('.screen').hidden) return;
  if (/^\d$/.test(e.key)) press(e.key);
  else if (e.key === 'Backspace') press('back');
  else if (e.key === 'Enter') submit();
  else return;
  e.preventDefault();
}

function render() {
  if (!root || !api) return;
  bilingual(root.title, 'memberTitle');
  bilingual(root.hint, 'memberHint');
  labelKeypad(root.kp);
  root.phone.textContent = s.digits.replace(/(\d{3})(\d{0,4})(\d*)/, (m, a, b, c) => [a, b, c].filter(Boolean).join(' ')) || '—';
  root.go.textContent = text('memberGo', api.lang());
  root.go.disabled = s.digits.length < 5;
  root.skip.textContent = text('memberSkip', api.lang());
  root.home.textContent = text('back', api.lang());
  root.msg.hidden = !s.message;
  if (s.message) bilingual(root.msg, s.message);
}

if (window.queueboxKiosk) window.queueboxKiosk.registerMember({
  start(el, a) {
    api = a;
    s.digits = '';
    s.message = '';
    if (!root || !el.contains(root.box)) build(el);
    if (!s.listening) {
      document.addEventListener('keydown', onKey);
      s.listening = true;
    }
    render();
  },
  render,
  error(key) {
    s.message = key;
    s.digits = '';
    render();
  },
});
})();
