// The public booking page: service → day and time → name and phone → code.
// A plain script, not a module, so that older phone browsers run it too; it
// talks only to the box that served it.
'use strict';

(function () {
  // Every string of the page in both languages. A key missing from one of
  // them would leave a half-translated screen; book_test.go reads both.
  var STRINGS = {
    zh: {
      docTitle: '预约办理',
      title: '预约办理',
      stepService: '业务',
      stepTime: '时间',
      stepDetails: '信息',
      stepOf: function (i, n) { return '第 ' + i + ' 步，共 ' + n + ' 步'; },
      chooseService: '您要预约哪项业务？',
      slotLength: function (m) { return '每次 ' + m + ' 分钟'; },
      noServices: '目前没有可在线预约的业务，请直接到网点办理。',
      changeService: '换一项业务',
      chooseTime: '选择日期和时间',
      tzBeijing: '时间为北京时间',
      tzOther: function (name, tz) { return '时间为' + name + '（' + tz + '）'; },
      daysLabel: '日期',
      today: '今天',
      tomorrow: '明天',
      closed: '休息',
      left: function (n) { return '剩 ' + n + ' 个'; },
      full: '已满',
      past: '已过',
      slotAria: function (time, status) { return time + '，' + status; },
      loadingTimes: '正在加载可预约时间…',
      noSlots: '这一天不接受预约，请选择其他日期。',
      noneLeft: '这一天已约满，请选择其他日期。',
      yourDetails: '填写您的信息',
      changeTime: '修改时间',
      service: '业务',
      date: '日期',
      time: '时间',
      name: '姓名',
      phone: '电话号码',
      phoneHint: '查看或取消预约时需要用到。',
      privacy: '您的姓名和电话只用于这次预约。',
      confirm: '确认预约',
      booking: '正在预约…',
      errName: '请填写您的姓名。',
      errNameLong: '姓名最多 64 个字。',
      errPhoneChars: '电话号码只能包含数字、空格、短横线和开头的 +。',
      errPhoneLen: '请填写 6 到 15 位数字的电话号码。',
      errCode: '请填写 8 位数字的预约码。',
      booked: '预约成功',
      codeLabel: '您的预约码',
      qrAlt: function (code) { return '预约码 ' + code + ' 的二维码'; },
      checkin: function (m) { return '请在预约时间前' + m + '分钟内到自助机凭此码签到'; },
      keepCode: '请保存这个预约码（可以截图），签到和取消预约都要用到。',
      addCalendar: '添加到日历',
      bookAnother: '再预约一个',
      changeOrCancel: '需要取消？管理我的预约',
      manage: '管理我的预约',
      manageIntro: '请输入预约码和预约时填写的电话号码。',
      code: '预约码（8 位数字）',
      find: '查找预约',
      finding: '正在查找…',
      bookingCode: function (code) { return '预约码 ' + code; },
      status: '状态',
      statusBooked: '已预约',
      statusCheckedIn: '已签到',
      statusNoShow: '已过期，未签到',
      statusCancelled: '已取消',
      cancelBooking: '取消这个预约',
      cancelQuestion: '确定要取消这个预约吗？取消后这个时间会留给其他人。',
      cancelYes: '是的，取消预约',
      cancelNo: '保留预约',
      cancelling: '正在取消…',
      cancelledNow: '您的预约已取消。',
      findOther: '查找其他预约',
      backToBooking: '预约新的时间',
      errNetwork: '无法连接到网点系统，请检查网络后再试一次。',
      errSlotFull: '刚刚有人约了这个时间 — 请选择其他时间。',
      errSlotPast: '这个时间刚刚过去了 — 请选择其他时间。',
      errBookingLimit: '这个电话号码的未到期预约已达上限。请先在“管理我的预约”中取消一个，或使用其他号码。',
      errBookingBlocked: '由于多次预约或叫号未到，这个电话号码的在线预约暂时暂停。现场取号不受影响，欢迎您随时到店。',
      errRateLimited: '这个网络的预约次数太多了，请过一段时间再试。',
      errNotBookable: '这项业务现在不能预约了，请选择其他业务。',
      errUnknownCode: '没有找到与这个预约码和电话号码相符的预约，请检查后再试。',
      errNotCancellable: '这个预约已签到或已过期，不能再取消。',
      errGeneric: '抱歉，出了点问题，请再试一次。',
      tryAgain: '再试一次',
      chooseOther: '选择其他业务',
      ok: '知道了'
    },
    en: {
      docTitle: 'Book an appointment',
      title: 'Book an appointment',
      stepService: 'Service',
      stepTime: 'Time',
      stepDetails: 'Details',
      stepOf: function (i, n) { return 'Step ' + i + ' of ' + n; },
      chooseService: 'What would you like to book?',
      slotLength: function (m) { return m + '-minute appointments'; },
      noServices: 'Nothing can be booked online at the moment. Please visit the branch.',
      changeService: 'Change service',
      chooseTime: 'Choose a day and time',
      tzBeijing: 'Times are Beijing time (Asia/Shanghai)',
      tzOther: function (name, tz) { return 'Times are ' + name + ' (' + tz + ')'; },
      daysLabel: 'Day',
      today: 'Today',
      tomorrow: 'Tomorrow',
      closed: 'Closed',
      left: function (n) { return n + ' left'; },
      full: 'Full',
      past: 'Passed',
      slotAria: function (time, status) { return time + ', ' + status; },
      loadingTimes: 'Loading times…',
      noSlots: 'No appointments on this day. Please choose another day.',
      noneLeft: 'This day is fully booked. Please choose another day.',
      yourDetails: 'Your details',
      changeTime: 'Change time',
      service: 'Service',
      date: 'Date',
      time: 'Time',
      name: 'Name',
      phone: 'Phone number',
      phoneHint: 'You need it to look up or cancel your booking.',
      privacy: 'Your name and phone number are used for this booking only.',
      confirm: 'Confirm booking',
      booking: 'Booking…',
      errName: 'Please enter your name.',
      errNameLong: 'Your name can have at most 64 characters.',
      errPhoneChars: 'Use only digits, spaces, dashes and a leading +.',
      errPhoneLen: 'Enter a phone number with 6 to 15 digits.',
      errCode: 'Enter the 8-digit booking code.',
      booked: 'You are booked',
      codeLabel: 'Your booking code',
      qrAlt: function (code) { return 'QR code of booking code ' + code; },
      checkin: function (m) { return 'Check in at the kiosk with this code from ' + m + ' minutes before your time'; },
      keepCode: 'Keep this code (a screenshot is fine): you need it to check in and to cancel.',
      addCalendar: 'Add to calendar',
      bookAnother: 'Book another',
      changeOrCancel: 'Need to cancel? Manage my booking',
      manage: 'Manage my booking',
      manageIntro: 'Enter your booking code and the phone number you booked with.',
      code: 'Booking code (8 digits)',
      find: 'Find my booking',
      finding: 'Looking…',
      bookingCode: function (code) { return 'Booking code ' + code; },
      status: 'Status',
      statusBooked: 'Booked',
      statusCheckedIn: 'Checked in',
      statusNoShow: 'Missed (not checked in)',
      statusCancelled: 'Cancelled',
      cancelBooking: 'Cancel this booking',
      cancelQuestion: 'Cancel this booking? The time will be given to someone else.',
      cancelYes: 'Yes, cancel it',
      cancelNo: 'Keep my booking',
      cancelling: 'Cancelling…',
      cancelledNow: 'Your booking is cancelled.',
      findOther: 'Find another booking',
      backToBooking: 'Book an appointment',
      errNetwork: 'We could not reach the branch. Check your connection and try again.',
      errSlotFull: 'Someone just took that time — please pick another.',
      errSlotPast: 'That time has just passed — please pick another.',
      errBookingLimit: 'This phone number already has the most upcoming bookings allowed. Cancel one under “Manage my booking”, or use another number.',
      errBookingBlocked: 'Online booking is paused for this phone number after missed visits. Walk-in tickets are always welcome.',
      errRateLimited: 'Too many bookings were made from this network. Please try again later.',
      errNotBookable: 'This service can no longer be booked. Please choose another.',
      errUnknownCode: 'No booking matches this code and phone number. Please check both.',
      errNotCancellable: 'This booking is checked in or over, so it can no longer be cancelled.',
      errGeneric: 'Sorry, something went wrong. Please try again.',
      tryAgain: 'Try again',
      chooseOther: 'Choose another service',
      ok: 'OK'
    }
  };

  var LOCALE = { zh: 'zh-CN', en: 'en-GB' };
  var HTML_LANG = { zh: 'zh-Hans', en: 'en' };
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
    skew: 0, // the box's clock minus ours, so "today" is the branch's today
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

  function t(key) {
    var v = STRINGS[state.lang][key];
    if (typeof v === 'function') return v.apply(null, Array.prototype.slice.call(arguments, 1));
    return v === undefined ? key : v;
  }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // --- the box's API ---

  function ApiError(status, code, message) {
    this.status = status;
    this.code = code;
    this.message = message || '';
  }

  function api(method, path, body) {
    var opts = { method: method, cache: 'no-store', credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch('/api/v1' + path, opts).then(function (res) {
      var date = Date.parse(res.headers.get('Date') || '');
      if (!isNaN(date)) state.skew = date - Date.now();
      return res.json().then(null, function () { return null; }).then(function (data) {
        if (res.ok) return data;
        var e = (data && data.error) || {};
        throw new ApiError(res.status, e.code || 'http_' + res.status, e.message);
      });
    }, function () {
      throw new ApiError(0, 'network', '');
    });
  }

  function serverNow() { return Date.now() + state.skew; }

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
    var parts = new Intl.DateTimeFormat('en-US', { timeZone: state.tz, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(new Date(ms));
    var p = {};
    parts.forEach(function (x) { p[x.type] = x.value; });
    return p.year + '-' + p.month + '-' + p.day;
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
    return t('tzOther', name, tz);
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
    $('to-manage').hidden = booking || state.view === 'loading';
    $('to-book').hidden = !booking || !state.bookable.length;
  }

  function renderStatic() {
    document.documentElement.lang = HTML_LANG[state.lang];
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
    steps.forEach(function (s, i) { if (s[0] === state.view) at = i; });
    $('steps').hidden = at < 0;
    if (at < 0) return;
    $('steps').setAttribute('aria-label', t('stepOf', at + 1, steps.length));
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
      b.appendChild(el('span', 'choice-meta', t('slotLength', s.slot_minutes)));
      b.addEventListener('click', function () { pickService(s); });
      box.appendChild(b);
    });
  }

  function renderSlotView() {
    $('slot-service').textContent = serviceName(state.service.id);
    $('change-service').hidden = state.bookable.length < 2;
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
      var closed = Object.prototype.hasOwnProperty.call(special, ymd) ? special[ymd] === '' : hours[WEEKDAYS[d.getUTCDay()]] === '';
      if (closed) b.classList.add('closed');
      var top = i === 0 ? t('today') : i === 1 ? t('tomorrow') : fmt('dow', { timeZone: 'UTC', weekday: 'short' }).format(d);
      b.appendChild(el('span', 'day-dow', top));
      b.appendChild(el('span', 'day-num', String(d.getUTCDate())));
      b.appendChild(el('span', 'day-mon', closed ? t('closed') : fmt('mon', { timeZone: 'UTC', month: 'short' }).format(d)));
      b.setAttribute('aria-label', fmtDay(ymd) + (closed ? ', ' + t('closed') : ''));
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
    state.slots.forEach(function (s) {
      var past = Date.parse(s.start) <= now;
      var status = s.available > 0 ? t('left', s.available) : past ? t('past') : t('full');
      var b = el('button', 'slot' + (s.available > 0 ? '' : past ? ' past' : ' full'));
      b.type = 'button';
      b.setAttribute('data-start', s.start);
      b.disabled = !(s.available > 0);
      var time = fmtTime(s.start);
      b.appendChild(el('span', 'slot-time', time));
      b.appendChild(el('span', 'slot-left', status));
      b.setAttribute('aria-label', t('slotAria', time, status));
      if (state.slot && state.slot.start === s.start) b.classList.add('chosen');
      if (s.available > 0) {
        free++;
        b.addEventListener('click', function () { pickSlot(s); });
      }
      box.appendChild(b);
    });
    note.hidden = free > 0;
    note.textContent = state.slots.length === 0 ? t('noSlots') : t('noneLeft');
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
    var code = $('code');
    code.textContent = '';
    // Two groups of four read more easily; the text stays the bare code.
    code.appendChild(el('span', '', a.code.slice(0, 4)));
    code.appendChild(el('span', 'code-2', a.code.slice(4)));
    var qr = $('qr');
    var src = '/api/v1/qr.png?text=' + encodeURIComponent(a.code);
    if (qr.getAttribute('src') !== src) qr.setAttribute('src', src);
    qr.alt = t('qrAlt', a.code);
    summaryRows($('done-summary'), a);
    var early = state.settings.checkin_early_minutes > 0 ? state.settings.checkin_early_minutes : 15;
    $('checkin-note').textContent = t('checkin', early);
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
    $('m-result-code').textContent = t('bookingCode', a.code);
    summaryRows($('manage-summary'), a);
    var st = $('m-status');
    st.textContent = m.cancelled ? t('cancelledNow') : t('status') + ': ' + t(STATUS_KEYS[a.status] || 'statusBooked');
    st.className = 'status status-' + a.status;
    st.setAttribute('data-status', a.status);
    var can = a.status === 'booked';
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
    $('alert-text').textContent = a.text || t(a.key);
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
    if (e.code === 'network') showAlert('errNetwork', 'tryAgain', retry);
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
      showAlert('errBookingBlocked', null, null, state.lang === 'en' ? e.message : '');
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
