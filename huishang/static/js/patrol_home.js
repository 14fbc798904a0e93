// The inspector's home: sorts today's visits nearest first once the phone knows where it is
// (without permission the list keeps the server's order, most overdue first), and the scan
// button reads a plate with the camera inside the page — the browser's BarcodeDetector where it
// exists, otherwise the jsQR decoder served by the app (static/vendor/jsqr, loaded on demand).
(function () {
  "use strict";
  var list = document.getElementById("visits");
  var order = document.getElementById("visit-order");
  var words = document.getElementById("distance-words");

  function metres(lat1, lng1, lat2, lng2) {
    var r = 6371008.8, rad = Math.PI / 180;
    var dp = (lat2 - lat1) * rad, dl = (lng2 - lng1) * rad;
    var a = Math.sin(dp / 2) * Math.sin(dp / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dl / 2) * Math.sin(dl / 2);
    return 2 * r * Math.asin(Math.sqrt(a));
  }

  function sortByDistance(lat, lng) {
    var items = Array.prototype.slice.call(list.querySelectorAll("li.visit"));
    items.forEach(function (li) {
      var la = parseFloat(li.getAttribute("data-lat")), ln = parseFloat(li.getAttribute("data-lng"));
      var d = isNaN(la) || isNaN(ln) ? Infinity : metres(lat, lng, la, ln);
      li.setAttribute("data-distance", String(d));
      var out = li.querySelector(".visit-distance");
      if (out && isFinite(d)) {
        out.textContent = d < 1000 ? words.getAttribute("data-m").replace("%(n)s", Math.round(d))
          : words.getAttribute("data-km").replace("%(n)s", (d / 1000).toFixed(1));
      }
    });
    items.sort(function (a, b) {
      var done = (a.classList.contains("visit-done") ? 1 : 0) - (b.classList.contains("visit-done") ? 1 : 0);
      return done || parseFloat(a.getAttribute("data-distance")) - parseFloat(b.getAttribute("data-distance"));
    });
    items.forEach(function (li) { list.appendChild(li); });
    if (order) { order.textContent = order.getAttribute("data-near"); }
  }

  if (list && list.querySelector("li.visit[data-lat]") && "geolocation" in navigator) {
    navigator.geolocation.getCurrentPosition(function (pos) {
      sortByDistance(pos.coords.latitude, pos.coords.longitude);
    }, function () { /* no permission: the list's own order stays */ },
    {enableHighAccuracy: true, timeout: 15000, maximumAge: 120000});
  }

  // -- the scan button ----------------------------------------------------------------------
  var button = document.getElementById("scan-button");
  var view = document.getElementById("scan-view");
  var video = document.getElementById("scan-video");
  var status = document.getElementById("scan-status");
  var stop = document.getElementById("scan-stop");
  if (!button || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) { return; }
  button.hidden = false;
  var stream = null, timer = null, detector = null, canvas = null;

  function close() {
    if (timer) { window.clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); stream = null; }
    view.hidden = true;
    button.disabled = false;
  }

  function target(text) {
    // A plate holds this site's scan URL (…/s/<code>); a bare code is looked up.
    var match = /\/s\/([A-Za-z0-9_-]{4,40})\/?(?:[?#].*)?$/.exec(text || "");
    if (match) { return "/s/" + match[1]; }
    if (/^[A-Za-z0-9 -]{6,40}$/.test(text || "")) { return "/s?code=" + encodeURIComponent(text); }
    return null;
  }

  function found(text) {
    var url = target(text);
    if (!url) { status.textContent = button.getAttribute("data-unknown"); return false; }
    close();
    window.location.href = url;
    return true;
  }

  function loadDecoder() {
    if (window.jsQR) { return Promise.resolve(); }
    return new Promise(function (resolve, reject) {
      var s = document.createElement("script");
      s.src = button.getAttribute("data-decoder");
      s.onload = resolve;
      s.onerror = reject;
      document.head.appendChild(s);
    });
  }

  function tick() {
    if (!stream) { return; }
    if (video.readyState < 2) { timer = window.setTimeout(tick, 200); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length && found(codes[0].rawValue)) { return; }
        timer = window.setTimeout(tick, 250);
      }, function () { timer = window.setTimeout(tick, 500); });
      return;
    }
    canvas = canvas || document.createElement("canvas");
    var w = video.videoWidth, h = video.videoHeight, scale = Math.min(1, 640 / Math.max(w, h));
    canvas.width = Math.round(w * scale);
    canvas.height = Math.round(h * scale);
    var ctx = canvas.getContext("2d", {willReadFrequently: true});
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    var code = window.jsQR(ctx.getImageData(0, 0, canvas.width, canvas.height).data, canvas.width, canvas.height,
                           {inversionAttempts: "dontInvert"});
    if (code && found(code.data)) { return; }
    timer = window.setTimeout(tick, 250);
  }

  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = button.getAttribute("data-looking");
    var ready = ("BarcodeDetector" in window)
      ? window.BarcodeDetector.getSupportedFormats().then(function (formats) {
          if (formats.indexOf("qr_code") === -1) { return loadDecoder(); }
          detector = new window.BarcodeDetector({formats: ["qr_code"]});
          return null;
        })
      : loadDecoder();
    ready.then(function () {
      return navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    }).then(function (s) {
      stream = s;
      video.srcObject = s;
      view.hidden = false;
      return video.play();
    }).then(tick).catch(function () {
      close();
      status.textContent = button.getAttribute("data-denied");
    });
  });
  if (stop) { stop.addEventListener("click", close); }
}());
