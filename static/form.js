// Autosave and inline findings for the update form. Everything works without this file:
// it only saves as the officer types and shows what the rules say, next to each field.
(function () {
  "use strict";
  var form = document.getElementById("update-form");
  if (!form || !window.fetch || !window.JSON) return;
  var status = document.getElementById("save-status");
  var version = document.getElementById("f-version");
  var csrf = form.querySelector("input[name=_csrf]").value;
  var timer = null, busy = false, again = false, paused = false, dirty = false;
  var multi = {};
  form.querySelectorAll("fieldset.choices input[type=hidden]").forEach(function (h) { multi[h.name] = true; });

  function collect() {
    var answers = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name.charAt(0) === "_") return;
      if (multi[el.name]) {
        answers[el.name] = answers[el.name] || [];
        if (el.type === "checkbox" && el.checked) answers[el.name].push(el.value);
      } else if (el.type === "checkbox") {
        if (el.checked) answers[el.name] = el.value;
      } else {
        answers[el.name] = el.value;
      }
    });
    return answers;
  }

  function box(field) { return form.querySelector('[data-messages-for="' + field + '"]'); }

  function say(field, cls, text) {
    var b = box(field);
    if (!b) return null;
    var p = document.createElement("p");
    p.className = "msg " + cls;
    p.textContent = text;
    b.appendChild(p);
    return p;
  }

  function clear(cls) {
    form.querySelectorAll(".messages .msg" + (cls ? "." + cls : "")).forEach(function (p) { p.remove(); });
  }

  // Findings are shown for the sections the officer has worked on in this sitting (and all
  // of them after a save or a refused submit, which the server renders).
  var touched = {};
  function sectionOf(el) {
    var s = el && el.closest && el.closest("fieldset.section");
    return s ? s.id : null;
  }
  function remember(e) { var id = sectionOf(e.target); if (id) touched[id] = true; }

  function showFindings(findings) {
    clear("error"); clear("warning"); clear("info");
    form.querySelectorAll(".field-row.invalid").forEach(function (r) { r.classList.remove("invalid"); });
    findings.forEach(function (f) {
      var b = box(f.field);
      if (!b || !touched[sectionOf(b)]) return;
      say(f.field, f.severity, f.message);
      if (f.severity === "error") {
        var row = form.querySelector('[data-field="' + f.field + '"]');
        if (row) row.classList.add("invalid");
      }
    });
  }

  function showConflicts(conflicts) {
    clear("conflict");
    paused = true;
    conflicts.forEach(function (c) {
      var p = say(c.field, "conflict", c.label + " — " + (c.theirs || "∅"));
      if (!p) return;
      var use = document.createElement("button");
      use.type = "button";
      use.className = "secondary";
      use.textContent = "↺";
      use.setAttribute("aria-label", c.theirs || "");
      use.addEventListener("click", function () {
        var input = form.querySelector('[name="' + c.field + '"]:not([type=hidden])');
        if (input && input.type !== "checkbox") input.value = c.theirs || "";
        p.remove();
        resume();
      });
      p.appendChild(document.createTextNode(" "));
      p.appendChild(use);
    });
  }

  function resume() {
    if (!form.querySelector(".messages .msg.conflict")) { paused = false; schedule(); }
  }

  /** The error's message, in the API's shape {"error": {"status", "message"}}. */
  function message(body) {
    return body && body.error && body.error.message;
  }

  function save() {
    timer = null;
    if (paused) return;
    if (busy) { again = true; return; }
    busy = true;
    dirty = false;
    status.textContent = status.dataset.saving;
    fetch(form.dataset.draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "x-csrf-token": csrf },
      body: JSON.stringify({ version: parseInt(version.value, 10), answers: collect() })
    }).then(function (res) {
      return res.json().then(function (body) { return { res: res, body: body }; });
    }).then(function (r) {
      if (r.res.ok) {
        version.value = r.body.version;
        clear("conflict");
        status.textContent = status.dataset.saved + " " + new Date().toLocaleTimeString();
        showFindings(r.body.findings || []);
      } else if (r.res.status === 409 && r.body.conflicts) {
        version.value = r.body.version;
        showConflicts(r.body.conflicts);
        status.textContent = message(r.body);
      } else if (r.res.status === 429) {
        // Saving too often: nothing is lost, the save is tried again when the wait is over.
        status.textContent = message(r.body) || status.dataset.failed;
        dirty = true;
        if (timer) clearTimeout(timer);
        timer = setTimeout(save, ((r.body && r.body.retry_after) || 5) * 1000);
      } else if (r.res.status === 422 && r.body.errors) {
        clear("error");
        r.body.errors.forEach(function (e) { say(e.field, "error", e.message); });
        status.textContent = status.dataset.invalid;
        dirty = true;
      } else {
        status.textContent = message(r.body) || status.dataset.failed;
        dirty = true;
      }
    }).catch(function () {
      status.textContent = status.dataset.failed;
      dirty = true;
    }).then(function () {
      busy = false;
      if (again) { again = false; save(); }
    });
  }

  function schedule() {
    dirty = true;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, 1200);
  }

  form.addEventListener("input", function (e) { remember(e); schedule(); });
  form.addEventListener("change", function (e) { remember(e); schedule(); });

  // Questions of a compact the chosen scope does not report to are hidden (their answers kept).
  var scope = document.getElementById("f-compact_scope");
  function showScope() {
    var code = scope.value;
    form.querySelectorAll("[data-compact]").forEach(function (row) {
      var reports = (form.dataset[row.dataset.compact] || "").split(" ");
      row.hidden = code !== "" && reports.indexOf(code) < 0;
    });
  }
  if (scope) scope.addEventListener("change", showScope);

  // The sticky Save/Submit bar never covers the field that has the focus (WCAG 2.4.11).
  var bar = document.querySelector(".form-actions");
  document.addEventListener("focusin", function (e) {
    if (!bar || bar.contains(e.target)) return;
    var box = e.target.getBoundingClientRect(), top = bar.getBoundingClientRect().top;
    if (box.bottom > top - 8) window.scrollBy(0, box.bottom - top + 16);
  });
  form.addEventListener("submit", function () { if (timer) clearTimeout(timer); paused = true; dirty = false; });
  window.addEventListener("beforeunload", function (e) {
    if (dirty || busy) { e.preventDefault(); e.returnValue = ""; }
  });
})();
