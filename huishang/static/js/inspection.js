// Inspection and self-check forms on a phone with a flaky connection:
// - keeps a draft of every answer in localStorage (keyed by shop code), restores it on load and
//   clears it once the result page confirms the save, so a dropped connection loses nothing;
// - keeps the client id of the draft, so re-sending after a timeout never makes a second record;
// - shows the outcome the answers lead to, and records the GPS fix when the inspector allows it;
// - "全部符合" answers every unanswered item 符合, then the inspector marks the exceptions; an
//   item's note and photo open only for an answer that needs evidence (data-evidence: 不符合, and
//   当场整改 where the checklist has it), so any such value added later needs no change here;
// - the merchant signs on a canvas; its PNG goes in the hidden "signature" field.
(function () {
  "use strict";
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }

  var done = document.getElementById("draft-clear");
  if (done && store) { store.removeItem(done.getAttribute("data-clear-draft")); }

  var form = document.getElementById("inspection-form");
  if (!form) { return; }
  var key = form.getAttribute("data-draft-key");
  var template = form.getAttribute("data-template");
  var clientId = document.getElementById("client_id");
  var status = document.getElementById("draft-status");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "file" && el.type !== "hidden" && el.type !== "submit" &&
        el.type !== "button";
    });
  }

  function save() {
    if (!store) { return; }
    var data = {template: template, client_id: clientId.value, values: {}};
    fields().forEach(function (el) {
      if (el.type === "radio") { if (el.checked) { data.values[el.name] = el.value; } }
      else { data.values[el.name] = el.value; }
    });
    ["lat", "lng"].forEach(function (id) {
      var el = document.getElementById(id);
      if (el) { data.values[id] = el.value; }
    });
    try {
      store.setItem(key, JSON.stringify(data));
      if (status) { status.textContent = status.getAttribute("data-saved"); }
    } catch (e) { /* storage full or disabled: the form still works */ }
  }

  function restore() {
    if (!store) { return; }
    var raw = store.getItem(key);
    if (!raw) { return; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { return; }
    if (!data || data.template !== template) { return; }
    if (data.client_id) { clientId.value = data.client_id; }
    var values = data.values || {};
    Object.keys(values).forEach(function (name) {
      var els = form.querySelectorAll("[name='" + name.replace(/'/g, "") + "']");
      Array.prototype.forEach.call(els, function (el) {
        if (el.type === "radio") { el.checked = el.value === values[name]; }
        else if (!el.value || el.type === "hidden") { el.value = values[name]; }
      });
    });
    if (status) { status.textContent = status.getAttribute("data-restored"); }
  }

  function needsEvidence(input) {
    return !!input && (input.hasAttribute("data-evidence") || (input.value !== "pass" && input.value !== "na"));
  }

  function preview() {
    var sets = form.querySelectorAll("fieldset.answer");
    Array.prototype.forEach.call(sets, function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      var box = set.querySelector(".evidence");
      var open = needsEvidence(chosen);
      if (box) {
        var note = box.querySelector("textarea");
        box.hidden = !open && !(note && note.value);
      }
    });
    var out = document.getElementById("outcome-preview");
    if (!out) { return; }
    var answered = 0, keyFail = false, fail = false;
    Array.prototype.forEach.call(sets, function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      set.classList.toggle("is-fail", needsEvidence(chosen));
      if (!chosen) { return; }
      answered += 1;
      if (chosen.value === "fail") {
        fail = true;
        if (set.getAttribute("data-key") === "1") { keyFail = true; }
      }
    });
    var outcome = keyFail ? "fail" : (fail ? "partial" : "pass");
    out.className = "outcome-preview outcome-" + outcome;
    out.textContent = out.getAttribute("data-progress") + " " + answered + "/" + sets.length +
      (answered ? " · " + out.getAttribute("data-" + outcome) : "");
  }

  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  window.huishangNewClientId = newId;

  // A fresh form (not one re-shown with errors) gets an id made on the phone: a page kept by the
  // service worker for offline use must not give two inspections the same id.
  if (!clientId.value || form.getAttribute("data-fresh") === "1") { clientId.value = newId(); }
  restore();
  preview();
  var allPass = document.getElementById("all-pass");
  if (allPass) {
    allPass.hidden = false;
    allPass.addEventListener("click", function () {
      Array.prototype.forEach.call(form.querySelectorAll("fieldset.answer"), function (set) {
        if (set.querySelector("input[type=radio]:checked")) { return; }
        var pass = set.querySelector("input[type=radio][value=pass]");
        if (pass) { pass.checked = true; }
      });
      save();
      preview();
    });
  }

  var pad = document.getElementById("signature-pad");
  var signature = document.getElementById("signature");
  if (pad && signature && pad.getContext) {
    var ctx = pad.getContext("2d");
    var drawing = false, inked = false;
    ctx.lineWidth = 4;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.strokeStyle = "#111";
    var at = function (event) {
      var box = pad.getBoundingClientRect();
      return [(event.clientX - box.left) * pad.width / box.width, (event.clientY - box.top) * pad.height / box.height];
    };
    pad.addEventListener("pointerdown", function (event) {
      drawing = true;
      pad.setPointerCapture(event.pointerId);
      var p = at(event);
      ctx.beginPath();
      ctx.moveTo(p[0], p[1]);
      event.preventDefault();
    });
    pad.addEventListener("pointermove", function (event) {
      if (!drawing) { return; }
      var p = at(event);
      ctx.lineTo(p[0], p[1]);
      ctx.stroke();
      inked = true;
      event.preventDefault();
    });
    var finish = function () {
      if (!drawing) { return; }
      drawing = false;
      if (inked) { signature.value = pad.toDataURL("image/png"); }
    };
    pad.addEventListener("pointerup", finish);
    pad.addEventListener("pointercancel", finish);
    var clear = document.getElementById("signature-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, pad.width, pad.height);
        inked = false;
        signature.value = "";
      });
    }
  }

  form.addEventListener("change", function () { save(); preview(); });
  form.addEventListener("input", save);
  form.addEventListener("submit", function () {
    save();
    var button = form.querySelector("button[type=submit]");
    if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
  });

  var gps = document.getElementById("gps-button");
  var gpsStatus = document.getElementById("gps-status");
  if (gps && "geolocation" in navigator) {
    gps.hidden = false;
    gps.addEventListener("click", function () {
      gps.disabled = true;
      navigator.geolocation.getCurrentPosition(function (pos) {
        document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
        document.getElementById("lng").value = pos.coords.longitude.toFixed(6);
        gpsStatus.textContent = gpsStatus.getAttribute("data-done");
        gps.disabled = false;
        save();
      }, function () {
        gpsStatus.textContent = gpsStatus.getAttribute("data-denied");
        gps.disabled = false;
      }, {enableHighAccuracy: true, timeout: 15000, maximumAge: 60000});
    });
  }
}());
