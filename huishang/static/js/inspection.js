// Inspection and self-check forms on a phone with a flaky connection:
// - keeps a draft of every answer in localStorage (keyed by shop code), restores it on load and
//   clears it once the result page confirms the save, so a dropped connection loses nothing;
// - keeps the client id of the draft, so re-sending after a timeout never makes a second record;
// - shows the outcome the answers lead to, and records the GPS fix when the inspector allows it.
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

  function preview() {
    var out = document.getElementById("outcome-preview");
    if (!out) { return; }
    var sets = form.querySelectorAll("fieldset.answer");
    var answered = 0, keyFail = false, fail = false;
    Array.prototype.forEach.call(sets, function (set) {
      var chosen = set.querySelector("input[type=radio]:checked");
      set.classList.toggle("is-fail", !!chosen && chosen.value === "fail");
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

  if (!clientId.value && window.crypto && window.crypto.randomUUID) {
    clientId.value = window.crypto.randomUUID();
  }
  restore();
  preview();
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
