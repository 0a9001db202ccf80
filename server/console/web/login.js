"use strict";

(() => {
  const T = QB.words("login"); // login.i18n.js

  // next is honoured only as a path on this site: a login page that forwards
  // anywhere would let a crafted link send staff to a look-alike site.
  function nextPath() {
    const n = new URLSearchParams(location.search).get("next") || "";
    if (n.startsWith("/") && !n.startsWith("//") && !n.includes("\\") && !/[\u0000-\u001f]/.test(n)) {
      // The section asked for (/admin/#customers) rides along: the box
      // never sees an address's #part, so it stays on the login page's.
      return n.includes("#") || !/^#[\w-]+$/.test(location.hash) ? n : n + location.hash;
    }
    return "/console/";
  }

  const form = document.getElementById("login-form");
  const user = document.getElementById("username");
  const pass = document.getElementById("password");
  const err = document.getElementById("login-error");
  const btn = document.getElementById("login-submit");

  function showError(msg) {
    err.textContent = msg;
    err.hidden = !msg;
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    const username = user.value.trim();
    if (!username || !pass.value) {
      showError(T.missing);
      (username ? pass : user).focus();
      return;
    }
    showError("");
    btn.disabled = true;
    btn.textContent = T.busy;
    try {
      await QB.api("POST", "/session", { username, password: pass.value });
      location.replace(nextPath());
      return;
    } catch (ex) {
      if (ex.status === 401) showError(T.wrong);
      else if (ex.status === 429) showError(T.limited);
      else if (ex.status === 0) showError(T.offline);
      else showError(T.failed({ why: ex.message }));
      pass.select();
      pass.focus();
    }
    btn.disabled = false;
    btn.textContent = T.submit;
  });

  // Someone already logged in (a second tab, the back button) goes straight on.
  QB.api("GET", "/session").then(() => location.replace(nextPath()), () => {});
})();
