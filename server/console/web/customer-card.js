"use strict";

// The customer card on the counter console: when the ticket being served
// belongs to a known customer, staff see their tier, how often they came
// and when last (the phone stays masked, as staff views always show it).
// It also lends the waiting list a tier chip. Kept apart from console.js:
// it watches the ticket card rather than being wired into it.
(() => {
  const { api, el } = QB;
  const T = QB.words("console"); // console.i18n.js
  const tiers = { list: [], byId: new Map(), deflt: "" };
  let shownFor = "";

  async function loadTiers() {
    try {
      tiers.list = await api("GET", "/tiers");
      tiers.byId = new Map(tiers.list.map((t) => [t.id, t]));
      tiers.deflt = tiers.list.length ? tiers.list[tiers.list.length - 1].id : "";
    } catch (e) { /* no chips then: the list still works */ }
  }

  window.QBTiers = {
    // chip is the waiting list's tier badge; the default tier has none.
    chip(t) {
      if (!t.tier || t.tier === tiers.deflt || !tiers.byId.has(t.tier)) return null;
      const name = both(tiers.byId.get(t.tier));
      return el("span", { class: "tier-chip", dataset: { tier: t.tier }, text: name, title: T.tierTitle({ name }) });
    },
    // zh is the Chinese name of the tier named name (in English), or name.
    zh(name) {
      const t = tiers.list.find((x) => x.name === name);
      return (t && t.names && t.names.zh) || name;
    },
    // name is a tier's name ("" for the default tier or an unknown one).
    name(id) {
      return id && id !== tiers.deflt && tiers.byId.has(id) ? tiers.byId.get(id).name : "";
    },
  };

  // day writes a date as 2026-12-07 in the branch's zone: the PC's own
  // locale wrote 12/7/2026, which a reader of 2026/12/7 takes for July.
  // both is a tier's name as the console says everything: "Gold · 金卡".
  function both(tier) {
    const zh = tier.names && tier.names.zh;
    return zh && zh !== tier.name ? `${tier.name} · ${zh}` : tier.name;
  }

  const day = (iso) => {
    if (!iso) return "—";
    const tz = window.QBConsole && QBConsole.S && QBConsole.S.settings && QBConsole.S.settings.timezone;
    try {
      return QB.dateIn(Date.parse(iso), tz);
    } catch (e) {
      return new Date(iso).toISOString().slice(0, 10);
    }
  };

  async function show(ticketId) {
    const box = document.getElementById("customer-card");
    if (!box) return;
    shownFor = ticketId;
    if (!ticketId) { box.hidden = true; box.replaceChildren(); return; }
    let c = null;
    try {
      const t = await api("GET", "/tickets/" + encodeURIComponent(ticketId));
      if (t.customer_id) c = await api("GET", "/customers/" + encodeURIComponent(t.customer_id));
    } catch (e) { c = null; }
    if (shownFor !== ticketId) return; // another ticket came meanwhile
    box.hidden = !c;
    if (!c) return box.replaceChildren();
    box.dataset.customerId = c.id;
    box.replaceChildren(...[
      el("span", { class: "tier-badge", dataset: { tier: c.tier }, text: tiers.byId.has(c.tier) ? both(tiers.byId.get(c.tier)) : (c.tier_name || c.tier), title: c.tier_reason }),
      el("span", { class: "cust-visits", text: T.visits({ n: c.visits }) }),
      el("span", { class: "cust-last", text: T.lastVisit({ day: day(c.last_seen) }) }),
      el("span", { class: "cust-phone muted", text: c.phone }),
      c.booking && !c.booking.can_book ? el("span", { class: "cust-blocked", title: c.booking.reason, text: T.bookingPaused }) : null,
      c.booking && !c.booking.can_book ? el("button", { type: "button", class: "link", dataset: { forgive: "" }, text: T.forgive, onclick: () => forgive(c.id, ticketId) }) : null,
    ].filter(Boolean));
  }

  // forgive lets staff give back online booking to a customer who missed
  // visits (e.g. with a good reason they told the clerk).
  async function forgive(id, ticketId) {
    try {
      await api("POST", "/customers/" + encodeURIComponent(id) + "/forgive");
    } catch (e) { return; }
    shownFor = "";
    show(ticketId);
  }

  function watch() {
    const card = document.getElementById("current");
    if (!card) return;
    const update = () => {
      const id = card.dataset.ticketId || "";
      if (id !== shownFor) show(id);
    };
    new MutationObserver(update).observe(card, { attributes: true, attributeFilter: ["data-ticket-id"] });
    update();
  }

  loadTiers();
  watch();
})();
