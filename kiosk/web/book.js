// The public booking page: service → day and time → name and phone → code.
// A plain script, not a module, so that older phone browsers run it too; it
// talks only to the box that served it.
'use strict';

(function () {
  var T = QB.text.page('book');

  var LOCALE = { zh: 'zh-CN', en: 'en-GB' };
  var LANG_KEY = 'queuebox.book.lang';
  var DAYS_SHOWN = 14;
  var BEIJING = ['Asia/Shanghai', 'Asia/Chongqing', 'Asia/Chungking', 'Asia/Harbin', 'PRC'];
  var WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
  var STATUS_KEYS = { booked: 'statusBooked', checked_in: 'statusCheckedIn', no_show: 'statusNoShow', cancelled: 'statusCancelled' };

  var state = {
    lang: initialLang(),
    view: 'loading',
    settings: null,
    tz: undefined,
    services: {}, // every service by id, for names in "Manage my booking"
    bookable: [],
    service: null,
    days: [],
    date: null,
    slots: null,
    slotSeq: 0,
    slot: null,
    busy: false,
    booking: null, // {appt, phone}
    manage: null, // {appt, phone, confirming, cancelled}
    moving: null, // {appt, phone} while a booking is moved to another time
    moved: false, // the confirmation shows a moved booking
    errors: {}, // field id → message key
    alert: null // {key, action, fn}
  };

  var $ = function (id) { return document.getElementById(id); };

  function initialLang() {
    try {
      var saved = localStorage.getItem(LANG_KEY);
      if (saved === 'zh' || saved === 'en') return saved;
    } catch (e) { /* storage blocked: fall back to the browser's language */ }
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || '';
    return /^zh/i.test(nav) ? 'zh' : 'en';
  }

  function t(key, vars) { return T.t(state.lang, key, vars); }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the box's API: QB.api, which also keeps QB.now() on the box's clock ---

  function api(method, path, body) { return QB.api(method, path, body); }

  function serverNow() { return QB.now(); }

  // --- dates and times, always in the branch's time zone ---

  var formatters = {};
  function fmt(name, opts) {
    var key = state.lang + '|' + name;
    if (!formatters[key]) formatters[key] = new Intl.DateTimeFormat(LOCALE[state.lang], opts);
    return formatters[key];
  }

  function validZone(tz) {
    try {
      new Intl.DateTimeFormat('en', { timeZone: tz });
      return tz;
    } catch (e) {
      return undefined;
    }
  }

  // ymdInZone is the calendar date of a moment in the branch's zone.
  function ymdInZone(ms) {
    return QB.dateIn(ms, state.tz);
  }

  // Calendar dates are handled as noon UTC, so adding days never trips
  // over a DST change and formatting them in UTC gives the same date back.
  function ymdToDate(ymd) {
    var a = ymd.split('-');
    return new Date(Date.UTC(+a[0], +a[1] - 1, +a[2], 12));
  }

  function addDays(ymd, n) {
    var d = ymdToDate(ymd);
    d.setUTCDate(d.getUTCDate() + n);
    return d.toISOString().slice(0, 10);
  }

  function fmtTime(iso) {
    return fmt('time', { timeZone: state.tz, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(iso));
  }

  function fmtRange(a) { return fmtTime(a.start) + '–' + fmtTime(a.end); }

  function fmtDateOf(iso) {
    return fmt('dateTz', { timeZone: state.tz, weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(new Date(iso));
  }

  function fmtDay(ymd) {
    return fmt('dayLong', { timeZone: 'UTC', weekday: 'long', month: 'long', day: 'numeric' }).format(ymdToDate(ymd));
  }

  function tzNote() {
    var tz = state.settings.timezone || '';
    if (BEIJING.indexOf(tz) >= 0) return t('tzBeijing');
    var name = tz;
    try {
      var parts = new Intl.DateTimeFormat(LOCALE[state.lang], { timeZone: state.tz, timeZoneName: 'long' }).formatToParts(new Date());
      parts.forEach(function (p) { if (p.type === 'timeZoneName') name = p.value; });
    } catch (e) { /* keep the zone's id */ }
    return t('tzOther', { name: name, tz: tz });
  }

  function serviceName(id) {
    var s = state.services[id];
    if (!s) return id;
    return (s.names && s.names[state.lang]) || s.name || id;
  }

  // --- input checks, the same rules as the box's ---

  function checkName(v) {
    if (!v) return 'errName';
    if (Array.from(v).length > 64) return 'errNameLong';
    return null;
  }

  function checkPhone(v) {
    if (!/^\+?[0-9 ().-]*$/.test(v)) return 'errPhoneChars';
    var digits = v.replace(/\D/g, '').length;
    if (digits < 6 || digits > 15) return 'errPhoneLen';
    return null;
  }

  function checkCode(v) { return /^\d{8}$/.test(v) ? null : 'errCode'; }

  function cleanCode(v) { return v.replace(/[\s-]/g, ''); }

  // The box answers "phone must have …" or "name is required …" for a
  // field it refuses: show that next to the field, in the page's words.
  function fieldFromInvalid(msg) {
    if (/^phone\b/.test(msg)) return ['phone', /digits,/.test(msg) ? 'errPhoneChars' : 'errPhoneLen'];
    if (/^name\b/.test(msg)) return ['name', 'errName'];
    return null;
  }

  // --- views ---

  var VIEWS = ['loading', 'service', 'slot', 'details', 'done', 'manage'];

  function firstView() { return state.bookable.length === 1 ? 'slot' : 'service'; }

  function allowed(view) {
    switch (view) {
      case 'loading': return true;
      case 'service': return state.settings !== null;
      case 'slot': return state.service !== null;
      case 'details': return state.slot !== null;
      case 'done': return state.booking !== null;
      case 'manage': return state.settings !== null;
    }
    return false;
  }

  // go shows a view. Each step is a history entry, so a phone's back
  // gesture goes back one step instead of leaving the page.
  function go(view, how) {
    if (!allowed(view)) view = firstView();
    // Moving a booking lasts while its time is being chosen.
    if (view !== 'slot') state.moving = null;
    var changed = state.view !== view;
    state.view = view;
    if (how === 'push' && changed) history.pushState({ view: view }, '');
    else if (how === 'replace') history.replaceState({ view: view }, '');
    clearAlert();
    render();
    // Coming back to the grid: show what is free now, not what was.
    if (changed && view === 'slot' && state.slots !== null && state.date) loadDay(state.date, true);
    if (changed) {
      window.scrollTo(0, 0);
      var h = $('view-' + view).querySelector('h1');
      if (h && how) h.focus({ preventScroll: true });
    }
  }

  window.addEventListener('popstate', function (e) {
    var view = e.state && e.state.view;
    if (!view || !allowed(view)) view = firstView();
    go(view, null);
  });

  function render() {
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== state.view; });
    renderStatic();
    renderSteps();
    if (state.view === 'service') renderServices();
    if (state.view === 'slot') renderSlotView();
    if (state.view === 'details') renderDetails();
    if (state.view === 'done') renderDone();
    if (state.view === 'manage') renderManage();
    renderErrors();
    renderAlert();
    var booking = state.view === 'manage';
    // One way to manage a booking at a time: the confirmation has its own link.
    $('to-manage').hidden = booking || state.view === 'loading' || state.view === 'done';
    $('to-book').hidden = !booking || !state.bookable.length;
  }

  function renderStatic() {
    document.documentElement.lang = T.tag(state.lang);
    document.title = t('docTitle') + (state.settings && state.settings.branch_name ? ' · ' + state.settings.branch_name : '');
    document.querySelectorAll('[data-t]').forEach(function (e) {
      e.textContent = t(e.getAttribute('data-t'));
    });
    document.querySelectorAll('[data-lang]').forEach(function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === state.lang));
    });
    $('branch').textContent = state.settings ? state.settings.branch_name || '' : '';
  }

  function renderSteps() {
    var steps = [];
    if (state.bookable.length > 1) steps.push(['service', 'stepService']);
    steps.push(['slot', 'stepTime'], ['details', 'stepDetails']);
    var at = -1;
    // Moving a booking is one step: the new time.
    if (!state.moving) steps.forEach(function (s, i) { if (s[0] === state.view) at = i; });
    $('steps').hidden = at < 0;
    if (at < 0) return;
    $('steps').setAttribute('aria-label', t('stepOf', { i: at + 1, total: steps.length }));
    var list = $('steps-list');
    list.textContent = '';
    steps.forEach(function (s, i) {
      var li = el('li', i < at ? 'step done' : i === at ? 'step now' : 'step');
      li.appendChild(el('span', 'step-n', String(i + 1)));
      li.appendChild(el('span', 'step-name', t(s[1])));
      if (i === at) li.setAttribute('aria-current', 'step');
      list.appendChild(li);
    });
  }

  function renderServices() {
    var box = $('services');
    box.textContent = '';
    $('services-empty').hidden = state.bookable.length > 0;
    state.bookable.forEach(function (s) {
      var b = el('button', 'choice');
      b.type = 'button';
      b.setAttribute('data-service-id', s.id);
      b.appendChild(el('span', 'choice-name', serviceName(s.id)));
      b.appendChild(el('span', 'choice-meta', t('slotLength', { m: s.slot_minutes })));
      b.addEventListener('click', function () { pickService(s); });
      box.appendChild(b);
    });
  }

  function renderSlotView() {
    var mv = state.moving;
    $('slot-service').textContent = serviceName(state.service.id);
    $('change-service').hidden = state.bookable.length < 2 || !!mv;
    $('moving-note').hidden = !mv;
    $('moving-note').textContent = mv ? t('movingNote', { code: mv.appt.code, when: fmtDateOf(mv.appt.start) + ' ' + fmtRange(mv.appt) }) : '';
    $('tz').textContent = tzNote();
    renderDays();
    $('day-title').textContent = state.date ? fmtDay(state.date) : '';
    renderSlots();
  }

  function renderDays() {
    var box = $('days');
    var focused = box.contains(document.activeElement) ? document.activeElement.getAttribute('data-date') : null;
    box.setAttribute('aria-label', t('daysLabel'));
    box.textContent = '';
    var hours = state.settings.hours || {};
    state.days.forEach(function (ymd, i) {
      var d = ymdToDate(ymd);
      var b = el('button', 'day');
      b.type = 'button';
      b.setAttribute('data-date', ymd);
      b.setAttribute('aria-pressed', String(ymd === state.date));
      var special = state.settings.special_days || {};
      // A holiday (or special hours) overrides the weekday's hours.
      var closed = (state.settings.closed_dates || []).indexOf(ymd) >= 0 ||
        (Object.prototype.hasOwnProperty.call(special, ymd) ? special[ymd] === '' : hours[WEEKDAYS[d.getUTCDay()]] === '');
      if (closed) b.classList.add('closed');
      var top = i === 0 ? t('today') : i === 1 ? t('tomorrow') : fmt('dow', { timeZone: 'UTC', weekday: 'short' }).format(d);
      b.appendChild(el('span', 'day-dow', top));
      b.appendChild(el('span', 'day-num', String(d.getUTCDate())));
      b.appendChild(el('span', 'day-mon', closed ? t('closed') : fmt('mon', { timeZone: 'UTC', month: 'short' }).format(d)));
      // The spoken name is the words on the button, then the whole date.
      b.appendChild(el('span', 'qb-sr', ', ' + fmtDay(ymd)));
      b.addEventListener('click', function () { pickDay(ymd); });
      box.appendChild(b);
    });
    // The row is drawn afresh: keep a keyboard user's place in it.
    if (focused) box.querySelector('[data-date="' + focused + '"]').focus({ preventScroll: true });
    var sel = box.querySelector('[aria-pressed=true]');
    if (sel) {
      // Keep the chosen day in view in the scrolling row, without moving the page.
      var left = sel.offsetLeft - box.offsetLeft;
      if (left < box.scrollLeft || left + sel.offsetWidth > box.scrollLeft + box.clientWidth) {
        box.scrollLeft = left - 16;
      }
    }
  }

  function renderSlots() {
    var box = $('slots');
    box.textContent = '';
    var note = $('slots-note');
    $('slots-loading').hidden = state.slots !== null;
    if (state.slots === null) {
      note.hidden = true;
      return;
    }
    var now = serverNow();
    var free = 0;
    var shown = 0;
    state.slots.forEach(function (s) {
      // Times already gone are not choices: today's grid starts at the
      // next time that can still be booked.
      if (Date.parse(s.start) <= now) return;
      shown++;
      var status = s.available > 0 ? t('left', { n: s.available }) : t('full');
      var b = el('button', 'slot' + (s.available > 0 ? '' : ' full'));
      b.type = 'button';
      b.setAttribute('data-start', s.start);
      b.disabled = !(s.available > 0);
      var time = fmtTime(s.start);
      b.appendChild(el('span', 'slot-time', time));
      b.appendChild(el('span', 'qb-sr', ', '));
      b.appendChild(el('span', 'slot-left', status));
      if (state.slot && state.slot.start === s.start) b.classList.add('chosen');
      if (s.available > 0) {
        free++;
        b.addEventListener('click', function () { pickSlot(s); });
      }
      box.appendChild(b);
    });
    note.hidden = free > 0;
    note.textContent = state.slots.length === 0 ? t('noSlots') : shown === 0 ? t('noneLeftToday') : t('noneLeft');
  }

  function summaryRows(dl, a) {
    dl.textContent = '';
    [['service', serviceName(a.service_id)], ['date', fmtDateOf(a.start)], ['time', fmtRange(a)]].forEach(function (r) {
      var row = el('div', 'row');
      row.appendChild(el('dt', '', t(r[0])));
      row.appendChild(el('dd', 'sum-' + r[0], r[1]));
      dl.appendChild(row);
    });
  }

  function renderDetails() {
    summaryRows($('details-summary'), { service_id: state.service.id, start: state.slot.start, end: state.slot.end });
    var b = $('confirm');
    b.disabled = state.busy;
    b.textContent = state.busy ? t('booking') : t('confirm');
  }

  function renderDone() {
    var a = state.booking.appt;
    $('done-title').textContent = state.moved ? t('moved') : t('booked');
    var code = $('code');
    code.textContent = '';
    // Two groups of four read more easily; the text stays the bare code.
    code.appendChild(el('span', '', a.code.slice(0, 4)));
    code.appendChild(el('span', 'code-2', a.code.slice(4)));
    var qr = $('qr');
    var src = '/api/v1/qr.png?text=' + encodeURIComponent(a.code);
    if (qr.getAttribute('src') !== src) qr.setAttribute('src', src);
    qr.alt = t('qrAlt', { code: a.code });
    summaryRows($('done-summary'), a);
    var early = state.settings.checkin_early_minutes > 0 ? state.settings.checkin_early_minutes : 15;
    $('checkin-note').textContent = t('checkin', { m: early });
    $('ics').href = '/api/v1/appointments/' + encodeURIComponent(a.code) + '/calendar.ics?phone=' + encodeURIComponent(state.booking.phone);
  }

  function renderManage() {
    var m = state.manage;
    $('manage-form').hidden = !!m;
    $('manage-result').hidden = !m;
    var find = $('find');
    find.disabled = state.busy;
    find.textContent = state.busy && !m ? t('finding') : t('find');
    if (!m) return;
    var a = m.appt;
    $('m-result-code').textContent = t('bookingCode', { code: a.code });
    summaryRows($('manage-summary'), a);
    var st = $('m-status');
    st.textContent = m.cancelled ? t('cancelledNow') : t('status') + ': ' + t(STATUS_KEYS[a.status] || 'statusBooked');
    st.className = 'status status-' + a.status;
    st.setAttribute('data-status', a.status);
    var can = a.status === 'booked';
    $('move').hidden = !can || m.confirming;
    $('move').disabled = state.busy;
    $('cancel').hidden = !can || m.confirming;
    $('cancel-confirm').hidden = !can || !m.confirming;
    var yes = $('cancel-yes');
    yes.disabled = state.busy;
    yes.textContent = state.busy ? t('cancelling') : t('cancelYes');
    $('cancel-no').disabled = state.busy;
  }

  var FIELDS = ['name', 'phone', 'm-code', 'm-phone'];

  function renderErrors() {
    FIELDS.forEach(function (id) {
      var key = state.errors[id];
      var input = $(id);
      var msg = $(id + '-error');
      msg.hidden = !key;
      msg.textContent = key ? t(key) : '';
      if (key) input.setAttribute('aria-invalid', 'true');
      else input.removeAttribute('aria-invalid');
    });
  }

  function focusFirstError(ids) {
    for (var i = 0; i < ids.length; i++) {
      if (state.errors[ids[i]]) {
        $(ids[i]).focus();
        return;
      }
    }
  }

  // --- alerts: one friendly sentence and at most one way forward ---

  // text, when given, is the box's own sentence (English): it replaces the
  // translation while the page is in English.
  function showAlert(key, action, fn, text) {
    state.alert = { key: key, action: action, fn: fn, text: text };
    renderAlert();
    var a = $('alert');
    if (a.getBoundingClientRect().top < 0) a.scrollIntoView({ block: 'start' });
  }

  function clearAlert() {
    state.alert = null;
    renderAlert();
  }

  function renderAlert() {
    var a = state.alert;
    $('alert').hidden = !a;
    $('view-loading').hidden = state.view !== 'loading' || !!a;
    if (!a) return;
    $('alert-text').textContent = a.text && state.lang === 'en' ? a.text : t(a.key);
    var b = $('alert-action');
    b.hidden = !a.action;
    b.textContent = a.action ? t(a.action) : '';
  }

  $('alert-action').addEventListener('click', function () {
    var fn = state.alert && state.alert.fn;
    clearAlert();
    if (fn) fn();
  });

  // showProblem is the answer to an error no step handles itself.
  function showProblem(e, retry) {
    if (e.status === 0) showAlert('errNetwork', 'tryAgain', retry);
    else if (e.code === 'rate_limited') showAlert('errRateLimited', null, null);
    else showAlert('errGeneric', retry ? 'tryAgain' : null, retry);
  }

  // --- steps ---

  function start(then) {
    go('loading', null);
    Promise.all([api('GET', '/settings'), api('GET', '/services')]).then(function (r) {
      state.settings = r[0] || {};
      state.tz = validZone(state.settings.timezone);
      formatters = {}; // the zone may have changed since the last load
      state.services = {};
      state.bookable = [];
      (r[1] || []).forEach(function (s) {
        state.services[s.id] = s;
        if (s.slot_minutes > 0 && s.slot_capacity > 0) state.bookable.push(s);
      });
      state.bookable.sort(function (a, b) { return (a.position || 0) - (b.position || 0); });
      if (state.bookable.length === 1) {
        state.service = state.bookable[0];
        enterSlots();
      }
      go(firstView(), 'replace');
      if (then) then();
    }, function (e) {
      showProblem(e, function () { start(then); });
    });
  }

  function pickService(s) {
    if (!state.service || state.service.id !== s.id) state.slot = null;
    state.service = s;
    enterSlots();
    go('slot', 'push');
  }

  // enterSlots lays out the fortnight from the branch's today and opens
  // the first day with a free time, so a late evening does not greet
  // people with a day of greyed-out times.
  function enterSlots() {
    var today = ymdInZone(serverNow());
    state.days = [];
    for (var i = 0; i < DAYS_SHOWN; i++) state.days.push(addDays(today, i));
    var seq = ++state.slotSeq;
    var wanted = state.slot ? ymdInZone(Date.parse(state.slot.start)) : null;
    if (wanted && state.days.indexOf(wanted) >= 0) {
      loadDay(wanted);
      return;
    }
    state.date = today;
    state.slots = null;
    var first = null;
    var next = function (i) {
      if (i >= state.days.length) {
        state.slots = first;
        if (state.view === 'slot') renderSlotView();
        return;
      }
      var d = state.days[i];
      fetchSlots(d).then(function (slots) {
        if (seq !== state.slotSeq) return;
        if (first === null) first = slots;
        if (slots.some(function (s) { return s.available > 0; })) {
          state.date = d;
          state.slots = slots;
          if (state.view === 'slot') renderSlotView();
          return;
        }
        next(i + 1);
      }, function (e) {
        if (seq !== state.slotSeq) return;
        showProblem(e, enterSlots);
      });
    };
    next(0);
  }

  function fetchSlots(date) {
    return api('GET', '/slots?service_id=' + encodeURIComponent(state.service.id) + '&date=' + date);
  }

  // loadDay shows a day's times; quiet keeps the old grid up while the
  // fresh one loads, so a refresh does not flash.
  function loadDay(date, quiet) {
    var seq = ++state.slotSeq;
    state.date = date;
    if (!quiet) {
      state.slots = null;
      if (state.view === 'slot') renderSlotView();
    }
    return fetchSlots(date).then(function (slots) {
      if (seq !== state.slotSeq) return;
      state.slots = slots;
      if (state.view === 'slot') renderSlotView();
    }, function (e) {
      if (seq !== state.slotSeq) return;
      if (e.code === 'not_bookable' || e.code === 'unknown_service') {
        serviceGone();
        return;
      }
      if (quiet) return;
      showProblem(e, function () { loadDay(date); });
    });
  }

  function pickDay(date) {
    clearAlert();
    loadDay(date);
  }

  function pickSlot(s) {
    if (state.moving) {
      moveTo(s);
      return;
    }
    state.slot = s;
    state.errors.name = state.errors.phone = null;
    go('details', 'push');
  }

  function serviceGone() {
    state.service = null;
    state.slot = null;
    // Reload the list: the service may have been removed or made unbookable.
    start(function () { showAlert('errNotBookable', null, null); });
  }

  function submitBooking(ev) {
    ev.preventDefault();
    if (state.busy) return;
    var name = $('name').value.trim();
    var phone = $('phone').value.trim();
    state.errors.name = checkName(name);
    state.errors.phone = checkPhone(phone);
    renderErrors();
    if (state.errors.name || state.errors.phone) {
      focusFirstError(['name', 'phone']);
      return;
    }
    book(name, phone);
  }

  function book(name, phone) {
    clearAlert();
    state.busy = true;
    renderDetails();
    var slot = state.slot;
    api('POST', '/appointments', { service_id: state.service.id, start: slot.start, name: name, phone: phone }).then(function (a) {
      state.busy = false;
      state.booking = { appt: a, phone: phone };
      state.moved = false;
      state.slot = null;
      // Replace the form's history entry: going back must not offer to
      // book the same time again.
      go('done', 'replace');
    }, function (e) {
      state.busy = false;
      renderDetails();
      bookingFailed(e, slot, function () { book(name, phone); });
    });
  }

  function bookingFailed(e, slot, retry) {
    var field = e.code === 'invalid' ? fieldFromInvalid(e.message) : null;
    if (field) {
      state.errors[field[0]] = field[1];
      renderErrors();
      focusFirstError([field[0]]);
      return;
    }
    if (e.code === 'slot_full' || (e.code === 'invalid' && /^start\b/.test(e.message))) {
      state.slot = null;
      state.slots = null;
      go('slot', 'replace');
      loadDay(ymdInZone(Date.parse(slot.start)));
      showAlert(e.code === 'slot_full' ? 'errSlotFull' : 'errSlotPast', null, null);
      return;
    }
    if (e.code === 'booking_limit') {
      showAlert('errBookingLimit', 'manage', openManage);
      return;
    }
    if (e.code === 'booking_blocked') {
      // The box's sentence says until when; the translation says why.
      showAlert('errBookingBlocked', null, null, e.message);
      return;
    }
    if (e.code === 'not_bookable' || e.code === 'unknown_service') {
      serviceGone();
      return;
    }
    showProblem(e, retry);
  }

  function bookAnother() {
    state.booking = null;
    state.moved = false;
    state.slot = null;
    if (state.bookable.length === 1) enterSlots();
    go(firstView(), 'push');
  }

  function openManage() { go('manage', 'push'); }

  function manageFromDone() {
    state.manage = { appt: state.booking.appt, phone: state.booking.phone, confirming: false };
    go('manage', 'push');
  }

  function findBooking(ev) {
    ev.preventDefault();
    if (state.busy) return;
    var code = cleanCode($('m-code').value);
    var phone = $('m-phone').value.trim();
    state.errors['m-code'] = checkCode(code);
    state.errors['m-phone'] = checkPhone(phone);
    renderErrors();
    if (state.errors['m-code'] || state.errors['m-phone']) {
      focusFirstError(['m-code', 'm-phone']);
      return;
    }
    lookUp(code, phone);
  }

  function lookUp(code, phone) {
    clearAlert();
    state.busy = true;
    renderManage();
    api('GET', '/appointments/' + encodeURIComponent(code) + '?phone=' + encodeURIComponent(phone)).then(function (a) {
      state.busy = false;
      state.manage = { appt: a, phone: phone, confirming: false };
      renderManage();
      $('m-result-code').focus();
    }, function (e) {
      state.busy = false;
      renderManage();
      if (e.code === 'unknown_code') showAlert('errUnknownCode', null, null);
      else if (e.code === 'invalid' && fieldFromInvalid(e.message)) {
        state.errors['m-phone'] = fieldFromInvalid(e.message)[1];
        renderErrors();
      } else showProblem(e, function () { lookUp(code, phone); });
    });
  }

  // startMove shows the time grid of the booking's service, from its day,
  // to pick the new time; the booking keeps its old time until then.
  function startMove() {
    var m = state.manage;
    if (state.busy || !m) return;
    var svc = null;
    state.bookable.forEach(function (s) { if (s.id === m.appt.service_id) svc = s; });
    if (!svc) {
      showAlert('errNotBookable', null, null);
      return;
    }
    state.service = svc;
    state.slot = null;
    state.slots = null;
    enterSlots();
    go('slot', 'push');
    state.moving = { appt: m.appt, phone: m.phone };
    var day = ymdInZone(Date.parse(m.appt.start));
    if (state.days.indexOf(day) >= 0) loadDay(day);
    renderSteps();
    renderSlotView();
  }

  function moveTo(slot) {
    var mv = state.moving;
    if (state.busy || !mv) return;
    clearAlert();
    state.busy = true;
    api('POST', '/appointments/' + encodeURIComponent(mv.appt.code) + '/move', { phone: mv.phone, start: slot.start }).then(function (a) {
      state.busy = false;
      state.booking = { appt: a, phone: mv.phone };
      state.manage = null;
      state.moved = true;
      go('done', 'replace');
    }, function (e) {
      state.busy = false;
      if (e.code === 'slot_full' || (e.code === 'invalid' && /^start\b/.test(e.message))) {
        loadDay(ymdInZone(Date.parse(slot.start)));
        showAlert(e.code === 'slot_full' ? 'errSlotFull' : 'errSlotPast', null, null);
      } else if (e.code === 'not_movable' || e.code === 'unknown_code') {
        showAlert('errNotMovable', null, null);
      } else showProblem(e, function () { moveTo(slot); });
    });
  }

  function cancelBooking() {
    var m = state.manage;
    if (state.busy || !m) return;
    clearAlert();
    state.busy = true;
    renderManage();
    api('POST', '/appointments/' + encodeURIComponent(m.appt.code) + '/cancel', { phone: m.phone }).then(function (a) {
      state.busy = false;
      m.appt = a;
      m.confirming = false;
      m.cancelled = true;
      if (state.booking && state.booking.appt.code === a.code) state.booking = null;
      renderManage();
    }, function (e) {
      state.busy = false;
      renderManage();
      if (e.code === 'not_cancellable') {
        m.confirming = false;
        showAlert('errNotCancellable', null, null);
        // Show the state it is really in.
        api('GET', '/appointments/' + encodeURIComponent(m.appt.code) + '?phone=' + encodeURIComponent(m.phone)).then(function (a) {
          m.appt = a;
          renderManage();
        }, function () {});
        renderManage();
      } else showProblem(e, cancelBooking);
    });
  }

  function setLang(lang) {
    if (lang === state.lang) return;
    state.lang = lang;
    try { localStorage.setItem(LANG_KEY, lang); } catch (e) { /* not remembered, still switched */ }
    render();
  }

  // Fix a field's message as soon as the input is right again.
  function liveCheck(id, check) {
    $(id).addEventListener('input', function () {
      if (!state.errors[id]) return;
      var v = $(id).value.trim();
      state.errors[id] = check(id === 'm-code' ? cleanCode(v) : v);
      renderErrors();
    });
  }

  document.querySelectorAll('[data-lang]').forEach(function (b) {
    b.addEventListener('click', function () { setLang(b.getAttribute('data-lang')); });
  });
  $('change-service').addEventListener('click', function () { go('service', 'push'); });
  $('change-time').addEventListener('click', function () { go('slot', 'push'); });
  $('details-form').addEventListener('submit', submitBooking);
  $('again').addEventListener('click', bookAnother);
  $('done-manage').addEventListener('click', manageFromDone);
  $('to-manage').addEventListener('click', openManage);
  $('to-book').addEventListener('click', function () {
    if (state.service && state.bookable.length === 1) enterSlots();
    go(firstView(), 'push');
  });
  $('manage-form').addEventListener('submit', findBooking);
  $('cancel').addEventListener('click', function () {
    state.manage.confirming = true;
    renderManage();
    $('cancel-no').focus();
  });
  $('cancel-no').addEventListener('click', function () {
    state.manage.confirming = false;
    renderManage();
    $('cancel').focus();
  });
  $('cancel-yes').addEventListener('click', cancelBooking);
  $('move').addEventListener('click', startMove);
  $('manage-other').addEventListener('click', function () {
    state.manage = null;
    clearAlert();
    renderManage();
    $('m-code').focus();
  });
  liveCheck('name', checkName);
  liveCheck('phone', checkPhone);
  liveCheck('m-code', checkCode);
  liveCheck('m-phone', checkPhone);

  start();
})();
