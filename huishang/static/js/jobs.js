// The job page's progress: fetch the page again every 1.5 s and swap in its progress section,
// until the job has finished. Without scripts the page refreshes itself (<noscript> meta refresh).
(function () {
  "use strict";
  var INTERVAL = 1500;
  function section(doc) { return doc.getElementById("job-progress"); }
  function finished(el) { return !el || el.getAttribute("data-finished") === "1"; }
  function poll() {
    fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) {
        var fresh = section(new DOMParser().parseFromString(html, "text/html"));
        var current = section(document);
        if (fresh && current) { current.replaceWith(fresh); }
        if (!finished(fresh)) { window.setTimeout(poll, INTERVAL); }
      })
      .catch(function () { window.setTimeout(poll, INTERVAL * 4); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    if (!finished(section(document))) { window.setTimeout(poll, INTERVAL); }
  });
})();
