// The touchscreen kiosk: pick a service, get a ticket. Served by the box
// itself, so it needs nothing from the internet. A classic script in the
// pages' dialect (assets/README.md); the body is not indented under the
// wrapper.
(function () {
'use strict';

const T = QB.text.page('kiosk');
const DEFAULT_LANG = 'zh';

const REFRESH_MS = 10000;         // waiting counts go stale fast at a busy branch
const REQUEST_TIMEOUT_MS = 8000;  // a hung box must not freeze the screen
const TICKET_MS = 15000;          // ticket screen stays this long after the last touch
const IDLE_MS = 30000;            // any other screen returns home after this
const IDLE_WARN_MS = 10000;       // and says so this long before
const LANG_IDLE_MS = 60000;       // the next customer starts in the default language
const INTENT_TTL_MS = 60000;      // after this, whoever tapped has probably left
const MAX_BACKOFF_MS = 5000;      // the box is on the same LAN: asking often costs nothing
const PRINT_POLL_MS = 700;         // a healthy printer is done in about a second
const PRINT_WATCH_MS = 8000;      // then the customer needs an answer, not "printing…"

const TOKEN_KEY = 'queuebox.kiosk.device';
const LANG_KEY = 'queuebox.kiosk.lang';

const $ = id => document.getElementById(id);

const state = {
  token: null,
  lang: DEFAULT_LANG,
  screen: 'loading',
  settings: null,
  services: [],
  ticket: null,
  offline: false,
  backoff: 0,
  // busy is set synchronously on the first tap, so a second tap that lands
  // before the request ends is ignored rather than sent.
  busy: false,
  // intent is one customer's wish for a ticket; its key goes with every
  // retry of that wish, so the box issues at most one ticket for it.
  intent: null,
  error: null,
  lastActivity: Date.now(),
  ticketDeadline: 0,
  refreshTimer: 0,
  checkin: null,
  member: null,
  printWatch: null,
  presence: null, // the live connection that reports this kiosk in
};

const t = (key, vars) => T.t(state.lang, key, vars);

// --- pairing -------------------------------------------------------------

function takeTokenFromURL() {
  const url = new URL(location.href);
  const tok = url.searchParams.get('device');
  if (tok) {
    localStorage.setItem(TOKEN_KEY, tok);
    url.searchParams.delete('device');
    // The token is a credential: keep it out of the address bar and history.
    history.replaceState(null, '', url.pathname + url.search + url.hash);
  }
  return localStorage.getItem(TOKEN_KEY);
}

function showUnpaired() {
  localStorage.removeItem(TOKEN_KEY);
  state.token = null;
  if (state.presence) {
    state.presence.close();
    state.presence = null;
  }
  clearTimeout(state.refreshTimer);
  setOffline(false);
  state.screen = 'unpaired';
  $('app').hidden = true;
  $('screen-unpaired').hidden = false;
  render();
}

// --- HTTP ----------------------------------------------------------------

// unreachable is true for an error that means the box did not answer: the
// kiosk shows "Reconnecting…" and tries again, the same wish with the same key.
const unreachable = e => e instanceof QB.APIError && e.status === 0;

// api asks the box and answers {status, ok, data, code}: the kiosk decides
// on the status. Only a box that did not answer throws. A success whose body
// was lost on the way is not a success we can show: that counts as no answer.
async function api(path, { method = 'GET', body, auth = false, key } = {}) {
  try {
    const data = await QB.api(method, path, body, {
      token: auth ? state.token : '', key, timeout: REQUEST_TIMEOUT_MS, needBody: true,
    });
    return { status: 200, ok: true, data, code: '' };
  } catch (e) {
    if (unreachable(e)) throw e;
    return { status: e.status, ok: false, data: e.data, code: e.code };
  }
}

function newKey() {
  // crypto.randomUUID needs a secure context; a kiosk on http://box-ip has not.
  const b = crypto.getRandomValues(new Uint8Array(16));
  return 'kiosk-' + Array.from(b, x => x.toString(16).padStart(2, '0')).join('');
}

// --- language ------------------------------------------------------------

function loadLang() {
  try {
    const saved = JSON.parse(localStorage.getItem(LANG_KEY) || 'null');
    if (saved && QB.text.langs.includes(saved.lang) && Date.now() - saved.at < LANG_IDLE_MS) return saved.lang;
  } catch (e) { /* a damaged entry just means the default */ }
  return DEFAULT_LANG;
}

function saveLang() {
  localStorage.setItem(LANG_KEY, JSON.stringify({ lang: state.lang, at: Date.now() }));
}

function setLang(lang) {
  if (!QB.text.langs.includes(lang)) return;
  state.lang = lang;
  saveLang();
  render();
}

// --- screens -------------------------------------------------------------

const SCREENS = ['loading', 'home', 'ticket', 'closed', 'error', 'checkin', 'member'];

function show(name) {
  if (name !== 'ticket') stopPrintWatch();
  const changed = state.screen !== name;
  state.screen = name;
  state.lastActivity = Date.now();
  for (const s of SCREENS) $('screen-' + s).hidden = s !== name;
  $('bar').hidden = name === 'loading';
  $('idle-note').hidden = true;
  updateOverlay();
  render();
  if (changed) focusScreen(name);
}

// focusScreen puts the focus at the top of a new screen, so a keyboard or
// screen-reader user starts there instead of on the page's body (or on a
// button of the screen just hidden). Touch users see no ring: a heading
// taken programmatically draws none.
function focusScreen(name) {
  const screen = $('screen-' + name);
  const target = screen.querySelector('h1, h2, [data-focus]') || screen;
  if (!target.hasAttribute('tabindex')) target.tabIndex = -1;
  target.focus({ preventScroll: true });
}

function render() {
  document.documentElement.lang = T.tag(state.lang);
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === state.lang));
  }
  for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
  for (const el of document.querySelectorAll('[data-both]')) bilingual(el, el.dataset.both);
  $('branch').textContent = (state.settings && state.settings.branch_name) || '';
  switch (state.screen) {
    case 'home': renderTiles(); break;
    case 'ticket': renderTicket(); break;
    case 'closed': renderClosed(); break;
    case 'error': renderError(); break;
    case 'checkin': if (state.checkin && state.checkin.render) state.checkin.render(); break;
    case 'member': if (state.member && state.member.render) state.member.render(); break;
  }
}

function goHome() {
  state.intent = null;
  state.busy = false;
  state.ticket = null;
  state.error = null;
  if (state.checkin && state.checkin.stop) state.checkin.stop();
  show(shut(state.settings) ? 'closed' : 'home');
}

// shut: outside opening hours, or the manager stopped issuing for today.
function shut(settings) {
  return !!settings && (!settings.open_now || !!settings.issuing_stopped);
}

function idleHome() {
  state.lang = DEFAULT_LANG;
  saveLang();
  goHome();
}

// --- home ----------------------------------------------------------------

function serviceName(s) { return T.name(state.lang, s); }

// ewtBand is the range the box promises (lowSec–highSec, learned from how
// long people really waited), in whole minutes; without one, a band around
// the point estimate.
function ewtBand(sec, lowSec, highSec) {
  if (!(sec > 0)) return { kind: 'none' };
  if (highSec > 0) {
    const lo = Math.floor(Math.max(0, lowSec || 0) / 60);
    const hi = Math.max(lo + 1, Math.ceil(highSec / 60));
    if (lo >= 120) return { kind: 'over', hours: 2 };
    if (lo === 0) return { kind: 'under', max: hi };
    return { kind: 'range', lo, hi };
  }
  const min = sec / 60;
  if (min < 5) return { kind: 'under', max: 5 };
  if (min >= 120) return { kind: 'over', hours: 2 };
  // Minute-exact estimates promise more than the box knows: show a band.
  const step = min < 60 ? 5 : 15;
  const lo = Math.floor(min / step) * step;
  return { kind: 'range', lo, hi: lo + step };
}

// bandText words a band: "about 10–15 min".
function bandText(b, lang = state.lang) {
  const key = { none: 'bandNone', under: 'bandUnder', over: 'bandOver', range: 'bandRange' }[b.kind];
  return T.t(lang, key, Object.assign({ n: b.hours }, b));
}

function tileStatus(s) {
  return `${t('waiting', { n: s.waiting || 0 })} · ${bandText(ewtBand(s.ewt_seconds, s.ewt_low_seconds, s.ewt_high_seconds))}`;
}

function makeTile(cls) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'tile ' + cls;
  for (const part of ['mark', 'name', 'meta', 'hint']) {
    const span = document.createElement('span');
    span.className = 'tile-' + part;
    if (part === 'mark') span.setAttribute('aria-hidden', 'true');
    // What a tap does, for a screen reader; the name it reads starts with
    // the words on the tile.
    if (part === 'hint') span.className += ' sr-only';
    b.append(span);
  }
  return b;
}

function renderTiles() {
  const box = $('tiles');
  // Buttons are reused, not rebuilt: a refresh that replaced a button between
  // a finger's down and up would swallow the tap.
  const have = new Map();
  for (const b of box.querySelectorAll('[data-service-id]')) have.set(b.dataset.serviceId, b);
  const list = [...state.services].sort((a, b) => (a.position || 0) - (b.position || 0));
  const wanted = [];
  for (const s of list) {
    let b = have.get(s.id);
    if (!b) {
      b = makeTile('tile-service');
      b.dataset.serviceId = s.id;
    }
    have.delete(s.id);
    const pending = !!state.intent && state.intent.serviceId === s.id;
    const name = serviceName(s);
    const meta = pending ? t('pending') : tileStatus(s);
    const mark = b.querySelector('.tile-mark');
    mark.textContent = s.prefix || '';
    mark.dataset.len = String(mark.textContent.length);
    b.querySelector('.tile-name').textContent = name;
    b.querySelector('.tile-meta').textContent = meta;
    b.querySelector('.tile-hint').textContent = pending ? '' : t('tileHint');
    b.classList.toggle('pending', pending);
    b.setAttribute('aria-busy', String(pending));
    wanted.push(b);
  }
  for (const b of have.values()) b.remove();
  let appt = box.querySelector('[data-checkin]');
  if (state.checkin) {
    if (!appt) {
      appt = makeTile('tile-appointment');
      appt.dataset.checkin = '';
    }
    appt.querySelector('.tile-mark').textContent = '✓';
    appt.querySelector('.tile-name').textContent = t('appointment');
    appt.querySelector('.tile-meta').textContent = t('appointmentHint');
    wanted.push(appt);
  } else if (appt) {
    appt.remove();
  }
  wanted.forEach((b, i) => {
    if (box.children[i] !== b) box.insertBefore(b, box.children[i] || null);
  });
  box.dataset.count = String(wanted.length);
  updateEnabled();
}

function updateEnabled() {
  const off = state.busy || state.offline;
  for (const b of $('tiles').querySelectorAll('button')) b.disabled = off;
}

// --- issuing -------------------------------------------------------------

function tap(serviceId) {
  if (state.busy || state.offline || state.screen !== 'home') return;
  state.busy = true;
  state.intent = { serviceId, key: newKey(), at: Date.now() };
  if (state.member && state.settings && state.settings.members) {
    // Members may identify first; skipping is one tap.
    state.busy = false;
    show('member');
    state.member.start($('screen-member'), {
      t, lang: () => state.lang,
      submit: phone => {
        if (!state.intent || state.busy) return;
        state.intent.phone = phone || undefined;
        state.busy = true;
        show('home');
        issue();
      },
      home: goHome,
    });
    return;
  }
  renderTiles();
  issue();
}

async function issue() {
  const intent = state.intent;
  if (!intent) return;
  state.busy = true;
  updateEnabled();
  let r;
  try {
    const body = { service_id: intent.serviceId };
    if (intent.phone) body.phone = intent.phone;
    r = await api('/api/v1/tickets', { method: 'POST', auth: true, key: intent.key, body });
  } catch (e) {
    if (!unreachable(e)) throw e;
    // Keep the intent: the reconnect loop sends it again with the same key.
    setOffline(true);
    scheduleRefresh(0);
    return;
  }
  if (state.intent !== intent) return; // the customer went home meanwhile
  if (r.ok && r.data && r.data.number) {
    state.intent = null;
    state.busy = false;
    showTicket(r.data);
    scheduleRefresh(500);
    return;
  }
  if (r.status === 401) return showUnpaired();
  if (r.status === 409 && (r.code === 'closed' || r.code === 'issuing_stopped')) {
    if (state.settings && r.code === 'closed') state.settings.open_now = false;
    if (state.settings && r.code === 'issuing_stopped') state.settings.issuing_stopped = true;
    goHome();
    scheduleRefresh(0);
    return;
  }
  // The box distrusts its clock: a friendly sentence, and the customer may
  // try again in a moment (staff see the alert and fix the time).
  if (r.status === 409 && r.code === 'clock_untrusted') return showError('errClock', 'retry');
  if (r.status === 409 && r.code === 'ticket_limit') return showError('errTicketLimit', 'back');
  if (r.status === 400 && intent.phone && state.member) {
    // A mistyped number: back to the keypad, with a fresh key for the next try.
    state.busy = false;
    intent.phone = undefined;
    intent.key = newKey();
    show('member');
    state.member.error('errPhone');
    return;
  }
  if (r.status === 400 || r.status === 404 || r.status === 409) return showError('errService', 'back');
  if (r.status === 403) return showError('errForbidden', 'back');
  // 5xx, 429 and the unexpected: the same intent may be tried again.
  showError('errGeneric', 'retry');
}

function showError(message, action) {
  if (action !== 'retry') state.intent = null;
  state.busy = false;
  state.error = { message, action };
  show('error');
}

// bilingual writes a text in the customer's language first and the other
// one under it, for whoever stands there and reads the other. text is a
// key of the kiosk's words, or a function of the language.
function bilingual(el, text) {
  const say = typeof text === 'function' ? text : lang => T.t(lang, text);
  const langs = [state.lang, ...QB.text.langs.filter(l => l !== state.lang)];
  el.replaceChildren(...langs.map((lang, i) =>
    QB.el('span', { lang: T.tag(lang), class: i === 0 ? 'first' : 'second', text: say(lang) })));
}

// The back key is drawn, not typed: a kiosk's fonts may lack ⌫.
function backIcon() {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  svg.setAttribute('viewBox', '0 0 48 32');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'key-icon');
  const path = document.createElementNS(ns, 'path');
  path.setAttribute('d', 'M16 3h27a2 2 0 0 1 2 2v22a2 2 0 0 1-2 2H16L3 16zM24 10l12 12M36 10L24 22');
  svg.append(path);
  return svg;
}

// keypad draws the big number pad the check-in and member screens share:
// digits, then Clear and Back around 0. Each key carries its name in the
// data attribute attr (data-key="7", data-key="back"); keys maps the names
// to the buttons, for labelKeypad and for enabling them.
const PAD = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'clear', '0', 'back'];
function keypad(attr) {
  const keys = {};
  const pad = QB.el('div', { class: 'keypad', role: 'group' }, PAD.map(k => {
    const digit = /\d/.test(k);
    keys[k] = QB.el('button', { type: 'button', class: digit ? 'key' : 'key key-fn', [attr]: k },
      k === 'back' ? backIcon() : digit ? k : null);
    return keys[k];
  }));
  return { pad, keys };
}

// labelKeypad names the pad and its Clear and Back keys in the language
// on screen (screen readers read the labels).
function labelKeypad(kp) {
  kp.pad.setAttribute('aria-label', t('keypad'));
  kp.keys.clear.textContent = t('keyClear');
  kp.keys.back.setAttribute('aria-label', t('keyBack'));
}

function renderError() {
  if (!state.error) return;
  const { message, action } = state.error;
  const msg = $('error-message');
  bilingual(msg, message);
  const btn = $('error-action');
  bilingual(btn, action === 'retry' ? 'tryAgain' : 'back');
  btn.dataset.action = action;
}

// --- ticket --------------------------------------------------------------

function showTicket(tk) {
  state.ticket = tk;
  const img = $('ticket-qr');
  $('ticket-qr-box').hidden = !tk.token;
  // The phone page opens in the language the customer chose here.
  if (tk.token) img.src = '/t/' + encodeURIComponent(tk.token) + '/qr.png?lang=' + state.lang;
  else img.removeAttribute('src');
  state.ticketDeadline = Date.now() + TICKET_MS;
  state.ticketWarned = false;
  show('ticket');
  watchPrint(tk);
  tick();
}

// A printer that reports one of these will not print while the customer
// waits: the job stays queued until it expires.
const PRINTER_DOWN = new Set(['offline', 'paper_out', 'cover_open']);

function printState(tk) {
  const p = tk.print;
  const v = typeof p === 'string' ? p : p && p.state;
  if (v === 'queued' || v === 'printing') {
    return tk.printGaveUp || PRINTER_DOWN.has(tk.printer && tk.printer.state) ? 'printFailed' : 'printing';
  }
  if (v === 'printed') return 'printed';
  // "none": the box no longer knows the job (it restarted): nothing prints.
  if (v === 'failed' || v === 'expired' || v === 'none') return 'printFailed';
  return '';
}

// watchPrint follows the kiosk's own print job while its ticket is on
// screen, so "printing…" turns into "printed" or into the QR as the way out.
function watchPrint(tk) {
  stopPrintWatch();
  if (!tk.id || printState(tk) !== 'printing') return;
  const watch = { until: Date.now() + PRINT_WATCH_MS, timer: 0 };
  state.printWatch = watch;
  const poll = async () => {
    let r = null;
    try {
      r = await api('/api/v1/tickets/' + encodeURIComponent(tk.id) + '/print', { auth: true });
    } catch (e) {
      if (!unreachable(e)) throw e;
      // Not answering now is not an answer: ask again until the deadline.
    }
    if (state.printWatch !== watch || state.ticket !== tk) return;
    if (r && r.ok && r.data && r.data.print) {
      tk.print = r.data.print;
      tk.printer = r.data.printer;
    }
    // A printer that is down may come back while the customer still
    // stands there: only the job's own end, or the deadline, stops the watch.
    const v = typeof tk.print === 'string' ? tk.print : tk.print && tk.print.state;
    const settled = v !== 'queued' && v !== 'printing';
    if (!settled && Date.now() >= watch.until) tk.printGaveUp = true;
    renderTicket();
    if (settled || tk.printGaveUp) {
      state.printWatch = null;
      return;
    }
    watch.timer = setTimeout(poll, PRINT_POLL_MS);
  };
  watch.timer = setTimeout(poll, PRINT_POLL_MS);
}

function stopPrintWatch() {
  if (state.printWatch) clearTimeout(state.printWatch.timer);
  state.printWatch = null;
}

function renderTicket() {
  const tk = state.ticket;
  if (!tk) return;
  $('ticket-number').textContent = tk.number;
  $('ticket-number').classList.toggle('long', tk.number.length > 4);
  $('ticket-number').setAttribute('aria-label', `${t('yourNumber')} ${tk.number}`);
  const svc = state.services.find(s => s.id === tk.service_id);
  $('ticket-service').textContent = svc ? serviceName(svc) : '';
  $('ticket-ahead').textContent = t('ahead', { n: tk.ahead || 0 });
  // A member who typed their phone sees it was taken (never the number).
  $('ticket-member').hidden = !tk.customer_id;
  $('ticket-member').textContent = tk.customer_id ? t('memberKnown') : '';
  // "You are next" already says it; an estimate beside it would be noise.
  // Nobody ahead but every desk busy is still a wait, not "no wait".
  $('ticket-ewt').textContent = tk.ahead > 0 || tk.ewt_seconds >= 60
    ? t('ewt', { band: bandText(ewtBand(tk.ewt_seconds || 1, tk.ewt_low_seconds, tk.ewt_high_seconds)) }) : '';
  $('ticket-qr').alt = t('qrAlt', { num: tk.number });
  const ps = printState(tk);
  const line = $('ticket-print');
  line.hidden = !ps;
  line.textContent = ps ? t(ps) : '';
  line.classList.toggle('bad', ps === 'printFailed');
}

// --- closed --------------------------------------------------------------

const WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

// todayKey is today's weekday key by the box's clock in the branch's zone
// (this machine's own clock may be off, or past midnight when the box is not).
function todayKey() {
  return nowInBranch().day;
}

function hoursText(spec) {
  const s = (spec || '').trim();
  if (!s) return '';
  if (s === '00:00-24:00') return t('allDay');
  return s.split(',').map(r => r.trim().replace('-', '–')).join(', ');
}

// nowInBranch is the weekday key and "HH:MM" of the box's clock in the
// branch's time zone.
function nowInBranch() {
  const tz = (state.settings && state.settings.timezone) || undefined;
  let parts;
  try {
    parts = new Intl.DateTimeFormat('en-US', { timeZone: tz, ...PARTS }).formatToParts(new Date(QB.now()));
  } catch (e) {
    parts = new Intl.DateTimeFormat('en-US', PARTS).formatToParts(new Date(QB.now()));
  }
  const p = {};
  for (const x of parts) p[x.type] = x.value;
  return { day: p.weekday.slice(0, 3).toLowerCase(), hm: p.hour + ':' + p.minute, ymd: `${p.year}-${p.month}-${p.day}` };
}

const PARTS = { weekday: 'short', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' };

// addDays moves a "YYYY-MM-DD" date by n days (as noon UTC, so no DST trips).
function addDays(ymd, n) {
  const [y, m, d] = ymd.split('-').map(Number);
  return new Date(Date.UTC(y, m - 1, d + n, 12)).toISOString().slice(0, 10);
}

// nextOpening finds when the branch opens next from hoursOn(date, weekday),
// the hours of a date (holidays and special days included): {in: 0 today,
// 1 tomorrow, …; day; at "HH:MM"}, or null if not within a month.
function nextOpening(hoursOn, now) {
  const start = WEEK.indexOf(now.day);
  for (let i = 0; i < 31; i++) {
    const day = WEEK[(start + i) % 7];
    const ranges = hoursOn(addDays(now.ymd, i), day).split(',').map(r => r.trim().split('-')[0]).filter(Boolean).sort();
    const at = ranges.find(a => i > 0 || a > now.hm);
    if (at) return { in: i, day, at };
  }
  return null;
}

function renderClosed() {
  const hours = (state.settings && state.settings.hours) || {};
  const today = todayKey();
  const now = nowInBranch();
  const special = (state.settings && state.settings.special_days) || {};
  const closedDates = (state.settings && state.settings.closed_dates) || [];
  // A holiday or a short day overrides the weekday's hours.
  const hoursOn = (ymd, day) => closedDates.includes(ymd) ? ''
    : Object.prototype.hasOwnProperty.call(special, ymd) ? special[ymd] : (hours[day] || '');
  const h = hoursText(hoursOn(now.ymd, today));
  const next = nextOpening(hoursOn, now);
  const opens = !next ? '' : next.in === 0 ? t('opensToday', { at: next.at })
    : next.in === 1 ? t('opensTomorrow', { at: next.at })
      // A week or more away, the weekday alone would be the wrong one: add the date.
      : t('opensOn', { day: t('day_' + next.day) + (next.in >= 7 ? ' ' + addDays(now.ymd, next.in) : ''), at: next.at });
  // Closing early is said kindly: it is not the hours' fault.
  const closing = !!state.settings && !!state.settings.issuing_stopped && !!state.settings.open_now;
  $('closed-next').textContent = closing ? '' : opens;
  $('closed-next').hidden = closing || !opens;
  $('closed-today').textContent = h ? t('today', { h }) : t('closedToday');
  document.querySelector('.closed-title').textContent = t(closing ? 'closingTitle' : 'closedTitle');
  document.querySelector('.closed-hint').textContent = t(closing ? 'closingHint' : 'closedHint');
  $('screen-closed').dataset.closing = closing ? '1' : '0';
  const body = $('hours-body');
  body.replaceChildren();
  for (const d of WEEK) {
    const tr = document.createElement('tr');
    if (d === today) tr.className = 'today';
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = t('day_' + d);
    const td = document.createElement('td');
    td.textContent = hoursText(hours[d]) || t('dayClosed');
    tr.append(th, td);
    body.append(tr);
  }
}

// --- check-in hook -------------------------------------------------------

// Appointment check-in is its own flow, added by a separate script that
// calls window.queueboxKiosk.registerCheckin(flow) with
//   flow.start(el, api)  draw into el (the check-in screen); api has
//                        t, lang(), request(path, opts) (device-authorised),
//                        showTicket(ticket), home()
//   flow.render()        optional: redraw after a language change
//   flow.stop()          optional: called when the kiosk leaves the screen
// Home shows the "I have an appointment" tile only once a flow is registered.
function showCheckin() {
  if (!state.checkin || state.busy || state.offline) return;
  show('checkin');
  state.checkin.start($('screen-checkin'), {
    t, lang: () => state.lang,
    request: (path, opts = {}) => api(path, { ...opts, auth: true }),
    showTicket, home: goHome,
  });
  focusScreen('checkin');
}

window.queueboxKiosk = {
  registerCheckin(flow) {
    state.checkin = flow;
    if (state.screen === 'home') renderTiles();
  },
  // registerMember(flow): flow.start(el, api) draws the member keypad (api
  // has t, lang(), submit(phone or ''), home()); flow.render(), flow.error(key).
  registerMember(flow) {
    state.member = flow;
  },
  showCheckin,
  // What the flows draw with, so each is drawn once for all of them.
  ui: { bilingual, keypad, labelKeypad },
};

// --- refresh and reconnect -----------------------------------------------

function setOffline(off) {
  state.offline = off;
  updateOverlay();
  updateEnabled();
}

// A ticket already on screen stays readable through an outage: its holder
// may still be copying the number.
function updateOverlay() {
  const cover = state.offline && state.screen !== 'ticket';
  $('reconnecting').hidden = !cover;
  $('app').inert = cover;
}

function scheduleRefresh(ms) {
  clearTimeout(state.refreshTimer);
  if (state.screen === 'unpaired') return;
  state.refreshTimer = setTimeout(refreshLoop, ms);
}

async function refreshLoop() {
  let next = REFRESH_MS;
  try {
    await refresh();
    state.backoff = 0;
    if (state.offline) {
      setOffline(false);
      resumeIntent();
    }
  } catch (e) {
    if (!unreachable(e)) console.error(e);
    setOffline(true);
    state.backoff = Math.min(MAX_BACKOFF_MS, state.backoff ? state.backoff * 2 : 500);
    next = state.backoff;
  }
  if (state.screen !== 'unpaired') scheduleRefresh(next);
}

// resumeIntent sends again a ticket request cut off by the outage: with the
// same key it cannot make a second ticket if the first one got through.
function resumeIntent() {
  const intent = state.intent;
  if (!intent) return;
  if (Date.now() - intent.at < INTENT_TTL_MS) {
    issue();
  } else {
    goHome();
  }
}

async function refresh() {
  const [dev, settings, services] = await Promise.all([
    api('/api/v1/device', { auth: true }),
    api('/api/v1/settings'),
    api('/api/v1/services'),
  ]);
  if (dev.status === 401) return showUnpaired();
  for (const r of [dev, settings, services]) {
    // The box answered but not as it should: for the customer that is the
    // same as not answering, and retrying is the way out.
    if (!r.ok) throw new QB.APIError(0, 'offline', 'status ' + r.status);
  }
  state.settings = settings.data;
  state.services = Array.isArray(services.data) ? services.data : [];
  // While a request is out its answer decides the next screen, not this.
  if (!state.busy && (state.screen === 'loading' || state.screen === 'home' || state.screen === 'closed')) {
    const want = shut(state.settings) ? 'closed' : 'home';
    if (want !== state.screen) {
      show(want);
    } else {
      render();
    }
  } else if (state.screen === 'home') {
    renderTiles();
  } else {
    $('branch').textContent = state.settings.branch_name || '';
  }
}

// --- clock ---------------------------------------------------------------

function tick() {
  if (state.screen === 'unpaired') return;
  const now = Date.now();
  if (state.screen === 'ticket') {
    const left = Math.max(0, state.ticketDeadline - now);
    $('countdown-text').textContent = t('countdown', { s: Math.ceil(left / 1000) });
    // The last seconds are said aloud too: with no printer this screen is
    // all the customer gets, and a touch keeps it.
    if (left > 0 && left <= IDLE_WARN_MS && !state.ticketWarned) {
      state.ticketWarned = true;
      $('idle-note').textContent = t('ticketKeep');
      $('idle-note').hidden = false;
    } else if (left > IDLE_WARN_MS && state.ticketWarned) {
      state.ticketWarned = false;
      $('idle-note').hidden = true;
    }
    $('countdown-bar').style.width = (100 * left / TICKET_MS).toFixed(1) + '%';
    if (left === 0) idleHome();
    return;
  }
  const idle = now - state.lastActivity;
  if (state.offline || state.busy) return;
  const resets = state.screen === 'error' || state.screen === 'checkin' || state.screen === 'member';
  // A screen that will reset says so first, and a touch keeps it.
  const note = $('idle-note');
  if (resets && idle > IDLE_MS - IDLE_WARN_MS && idle <= IDLE_MS) {
    note.textContent = t('idleWarn', { s: Math.ceil((IDLE_MS - idle) / 1000) });
    note.hidden = false;
  } else if (!note.hidden && state.screen !== 'ticket') {
    note.hidden = true;
  }
  if (resets && idle > IDLE_MS) {
    idleHome();
  } else if (state.lang !== DEFAULT_LANG && idle > LANG_IDLE_MS) {
    idleHome();
  }
}

function activity() {
  const now = Date.now();
  state.lastActivity = now;
  if (state.screen === 'ticket') state.ticketDeadline = now + TICKET_MS;
  if (state.lang !== DEFAULT_LANG) saveLang();
}

// --- start ---------------------------------------------------------------

function boot() {
  state.token = takeTokenFromURL();
  state.lang = loadLang();
  // A long press would open the browser's menu on a touch screen.
  document.addEventListener('contextmenu', e => e.preventDefault());
  for (const ev of ['pointerdown', 'keydown', 'touchstart']) {
    document.addEventListener(ev, activity, { capture: true, passive: true });
  }
  $('tiles').addEventListener('click', e => {
    const b = e.target.closest('button');
    if (!b) return;
    if (b.dataset.serviceId) tap(b.dataset.serviceId);
    else if ('checkin' in b.dataset) showCheckin();
  });
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => setLang(b.dataset.lang));
  }
  $('done').addEventListener('click', goHome);
  $('error-action').addEventListener('click', e => {
    if (e.currentTarget.dataset.action === 'retry' && state.intent) {
      state.busy = true;
      show('home');
      issue();
    } else {
      goHome();
      scheduleRefresh(0);
    }
  });
  $('ticket-qr').addEventListener('error', () => { $('ticket-qr-box').hidden = true; });
  if (!state.token) return showUnpaired();
  render();
  setInterval(tick, 250);
  refreshLoop();
  reportIn();
}

// reportIn keeps a live connection that tells the box this kiosk is alive
// (the admin sees it online; staff are alerted when it has been away for a
// minute). It shows nothing, so it is left out of the kiosk's own offline
// handling.
function reportIn() {
  if (!window.QBLive) return;
  state.presence = window.QBLive.connect({ topic: 'device', hello: { device: state.token } });
}

boot();
})();
