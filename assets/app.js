// FitnessCRM — progressive enhancement. Every page works without this script; it only makes some
// things quicker: search as you type, confirmations, select-all, auto-submitting filters.
(function () {
  "use strict";

  // Forms and buttons with data-confirm ask first ("Erase this client?").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.getAttribute("data-confirm")) || form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
    }
  });

  // A checkbox with data-select-all="name" ticks every checkbox of that name.
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-select-all");
    if (name) {
      document.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (b) {
        b.checked = box.checked;
      });
    }
    // Selects in a form with data-autosubmit submit it when changed.
    if (box.tagName === "SELECT" && box.form && box.form.hasAttribute("data-autosubmit")) {
      box.form.requestSubmit();
    }
  });

  // Search as you type: an input with data-live="#region" in a GET form reloads that region only.
  var timer = null;
  var pending = null;
  document.addEventListener("input", function (event) {
    var input = event.target;
    var target = input.getAttribute && input.getAttribute("data-live");
    if (!target || !input.form) {
      return;
    }
    window.clearTimeout(timer);
    timer = window.setTimeout(function () {
      var form = input.form;
      var params = new URLSearchParams(new FormData(form));
      params.delete("cursor");
      var url = form.getAttribute("action") + "?" + params.toString();
      if (pending) {
        pending.abort();
      }
      pending = new AbortController();
      fetch(url, { headers: { Accept: "text/html" }, signal: pending.signal, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector(target);
          var current = document.querySelector(target);
          if (fresh && current) {
            current.replaceWith(fresh);
            history.replaceState(null, "", url);
          }
        })
        .catch(function () { /* the form still works by submitting it */ });
    }, 250);
  });

  // The trainer picker: a search box (data-picker-for="select id") above a select with
  // data-picker="/app/trainers/picker" narrows its options as one types; the chosen one stays.
  document.querySelectorAll("input[data-picker-for]").forEach(function (search) {
    var select = document.getElementById(search.getAttribute("data-picker-for"));
    if (!select || !select.getAttribute("data-picker")) {
      return;
    }
    search.hidden = false;
    var wait = null;
    var inflight = null;
    search.addEventListener("input", function () {
      window.clearTimeout(wait);
      wait = window.setTimeout(function () {
        var params = new URLSearchParams({ q: search.value, selected: select.value });
        if (inflight) {
          inflight.abort();
        }
        inflight = new AbortController();
        fetch(select.getAttribute("data-picker") + "?" + params.toString(),
          { headers: { Accept: "text/html" }, signal: inflight.signal, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
          .then(function (html) {
            var doc = new DOMParser().parseFromString("<select>" + html + "</select>", "text/html");
            var keep = Array.prototype.filter.call(select.options, function (o) { return o.value === ""; });
            select.replaceChildren.apply(select, keep.concat(Array.prototype.slice.call(doc.querySelectorAll("option"))));
          })
          .catch(function () { /* the full list still works */ });
      }, 200);
    });
  });
})();
