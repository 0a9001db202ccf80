/*
 * QB.el: the one way page scripts build DOM nodes.
 *
 *   QB.el("button", { type: "button", class: "key", dataset: { key: "1" },
 *                     onclick: press }, "1")
 *
 * props: "class", "text" (textContent: never innerHTML, since names and
 * messages come from people), "dataset", "on…" listeners, a property of
 * the element when the value is not a string (checked: true, hidden: …),
 * else an attribute (true is the empty attribute; null, undefined and
 * false leave it out). Children are nodes or strings, nested arrays
 * flattened, null/undefined/false skipped.
 *
 * Plain ES5 like the rest of the toolkit (assets/README.md).
 */
(function (global) {
  "use strict";

  var QB = global.QB || (global.QB = {});

  function append(n, kids) {
    for (var i = 0; i < kids.length; i++) {
      var kid = kids[i];
      if (kid === null || kid === undefined || kid === false) { continue; }
      if (Array.isArray(kid)) { append(n, kid); continue; }
      n.appendChild(kid instanceof Node ? kid : document.createTextNode(String(kid)));
    }
  }

  function el(tag, props) {
    var n = document.createElement(tag);
    var p = props || {};
    Object.keys(p).forEach(function (k) {
      var v = p[k];
      if (v === undefined || v === null || v === false) { return; }
      if (k === "class") { n.className = v; }
      else if (k === "text") { n.textContent = v; }
      else if (k === "dataset") { Object.keys(v).forEach(function (d) { n.dataset[d] = v[d]; }); }
      else if (k.indexOf("on") === 0) { n.addEventListener(k.slice(2), v); }
      else if (k in n && typeof v !== "string") { n[k] = v; }
      else { n.setAttribute(k, v === true ? "" : v); }
    });
    append(n, Array.prototype.slice.call(arguments, 2));
    return n;
  }

  QB.el = el;
})(window);
