// Every customer-facing string of the kiosk, in both languages. A key missing
// from one language is a half-translated screen: kiosk_test.go checks that
// both maps have the same keys.

export const DEFAULT_LANG = 'zh';

export const HTML_LANG = { zh: 'zh-Hans', en: 'en' };

const zhBand = b =>
  b.kind === 'none' ? '无需等候'
    : b.kind === 'under' ? `约 ${b.max} 分钟以内`
      : b.kind === 'over' ? `约 ${b.hours} 小时以上`
        : `约 ${b.lo}–${b.hi} 分钟`;

const enBand = b =>
  b.kind === 'none' ? 'no wait'
    : b.kind === 'under' ? `under ${b.max} min`
      : b.kind === 'over' ? `more than ${b.hours} hours`
        : `about ${b.lo}–${b.hi} min`;

export const STRINGS = {
  zh: {
    langName: '中文',
    loading: '正在加载…',
    unpaired: '此自助机尚未配对',
    unpairedHint: '请工作人员在管理页面中配对此自助机。',
    reconnecting: '正在重新连接…',
    reconnectingHint: '请稍候，连接恢复后即可继续取号。',
    choose: '请选择您要办理的业务',
    waiting: n => (n === 0 ? '无人等候' : `${n} 人等候`),
    band: zhBand,
    pending: '正在取号…',
    tileLabel: (name, status) => `${name}，${status}。点按取号`,
    appointment: '我有预约',
    appointmentHint: '输入预约码签到',
    yourNumber: '您的号码',
    ahead: n => (n === 0 ? '下一位就是您' : `前面还有 ${n} 人`),
    ewt: b => (b.kind === 'none' ? '' : `预计等候${zhBand(b)}`),
    scanQR: '扫码在手机上查看进度',
    qrAlt: n => `${n} 号的进度二维码`,
    printing: '正在打印…',
    printed: '已打印，请取走您的号票',
    printFailed: '打印机不可用 — 请扫描二维码',
    done: '完成',
    countdown: s => `${s} 秒后返回首页`,
    closedTitle: '现在不在营业时间',
    closedHint: '暂不取号，请在营业时间内再来。',
    today: h => `今天营业时间：${h}`,
    closedToday: '今天休息',
    weekHours: '每周营业时间',
    days: { mon: '星期一', tue: '星期二', wed: '星期三', thu: '星期四', fri: '星期五', sat: '星期六', sun: '星期日' },
    dayClosed: '休息',
    allDay: '全天营业',
    errGeneric: '抱歉，暂时无法取号，请再试一次。',
    errService: '该业务现在无法取号，请选择其他业务。',
    errForbidden: '此自助机现在不能取号，请联系工作人员。',
    tryAgain: '再试一次',
    back: '返回首页',
  },
  en: {
    langName: 'English',
    loading: 'Loading…',
    unpaired: 'This kiosk is not paired',
    unpairedHint: 'Please ask staff to pair it in the admin page.',
    reconnecting: 'Reconnecting…',
    reconnectingHint: 'Please wait — you can take a ticket again as soon as we are back.',
    choose: 'Please choose a service',
    waiting: n => (n === 0 ? 'No one waiting' : `${n} waiting`),
    band: enBand,
    pending: 'Getting your ticket…',
    tileLabel: (name, status) => `${name}, ${status}. Tap to take a ticket`,
    appointment: 'I have an appointment',
    appointmentHint: 'Check in with your booking code',
    yourNumber: 'Your number',
    ahead: n => (n === 0 ? 'You are next' : n === 1 ? '1 person ahead' : `${n} people ahead`),
    ewt: b => (b.kind === 'none' ? '' : `Estimated wait: ${enBand(b)}`),
    scanQR: 'Scan to follow your turn on your phone',
    qrAlt: n => `QR code to follow number ${n}`,
    printing: 'Printing your ticket…',
    printed: 'Your ticket is printed — please take it',
    printFailed: 'Printer unavailable — scan the QR code',
    done: 'Done',
    countdown: s => `Back to the start in ${s} s`,
    closedTitle: 'We are closed now',
    closedHint: 'No tickets now. Please come back during opening hours.',
    today: h => `Today: ${h}`,
    closedToday: 'Closed today',
    weekHours: 'Opening hours',
    days: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
    dayClosed: 'Closed',
    allDay: 'Open all day',
    errGeneric: 'Sorry, we could not give you a ticket just now. Please try again.',
    errService: 'This service cannot give tickets right now. Please choose another one.',
    errForbidden: 'This kiosk cannot give tickets right now. Please ask a member of staff.',
    tryAgain: 'Try again',
    back: 'Back to start',
  },
};
