// Offline patrol: registers the service worker (/sw.js), and queues an inspection submitted
// without a connection in IndexedDB — its fields, and its photos resized on the phone to at most
// 1600 px — then sends it when the connection returns. Each queued inspection is posted to the
// ordinary checklist form with its client id, so a retry (a lost answer, a second tab, the retry
// button) never records it twice: the server answers a known client id with the first record.
// The queue is shown on the inspector's home and on the checklist ("2 条待上传") with a retry button.
(function () {
  "use strict";
  var DB_NAME = "huishang-patrol", STORE = "queue", MAX_SIDE = 1600;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no offline: fine */ });
  }

  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = window.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, {keyPath: "id"}); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var result = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(result && result.result !== undefined ? result.result : result); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return tx("readwrite", function (s) { s.put(entry); }); }
  function remove(id) { return tx("readwrite", function (s) { s["delete"](id); }); }

  // -- photos: at most 1600 px on the longer side, JPEG --------------------------------------
  function loadImage(file) {
    if (window.createImageBitmap) { return window.createImageBitmap(file); }
    return new Promise(function (resolve, reject) {
      var img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = reject;
      img.src = URL.createObjectURL(file);
    });
  }

  function resize(file) {
    return loadImage(file).then(function (img) {
      var w = img.width, h = img.height, scale = Math.min(1, MAX_SIDE / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      canvas.getContext("2d").drawImage(img, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", 0.85); });
    }).catch(function () { return file; });  // unreadable here: send as chosen; the server checks it
  }

  // -- the queue on screen -----------------------------------------------------------------
  var panel = document.getElementById("patrol-queue");
  var text = document.getElementById("patrol-queue-text");
  var retry = document.getElementById("patrol-retry");
  var sending = false;

  function say(words) { if (text) { text.textContent = words; } }

  function render(note) {
    if (!panel) { return Promise.resolve(); }
    return all().then(function (entries) {
      panel.hidden = !entries.length && !note;
      panel.setAttribute("data-count", String(entries.length));
      var words = entries.length ? panel.getAttribute("data-waiting").replace("%(n)s", entries.length) : "";
      var failed = entries.filter(function (e) { return e.error; });
      if (failed.length) { words += " · " + panel.getAttribute("data-failed") + "（" + failed.map(function (e) {
        return e.shopName + "：" + e.error; }).join("；") + "）"; }
      if (!navigator.onLine && entries.length) { words += " · " + panel.getAttribute("data-offline"); }
      say(note ? (words ? note + " · " + words : note) : words);
      if (retry) { retry.hidden = !entries.length; }
    }).catch(function () { /* no IndexedDB: nothing queued */ });
  }

  // -- sending -----------------------------------------------------------------------------
  function freshToken(url) {
    return fetch(url, {credentials: "same-origin", cache: "no-store"}).then(function (r) {
      if (!r.ok || r.redirected) { throw new Error(r.redirected ? "login" : "HTTP " + r.status); }
      return r.text();
    }).then(function (html) {
      var doc = new DOMParser().parseFromString(html, "text/html");
      var input = doc.querySelector("input[name=csrf_token]");
      if (!input) { throw new Error("no token"); }
      return input.value;
    });
  }

  function sendOne(entry) {
    return freshToken(entry.url).then(function (token) {
      var body = new FormData();
      entry.fields.forEach(function (pair) { if (pair[0] !== "csrf_token") { body.append(pair[0], pair[1]); } });
      body.append("csrf_token", token);
      entry.files.forEach(function (f) { body.append(f.name, f.blob, f.filename); });
      return fetch(entry.url, {method: "POST", body: body, credentials: "same-origin"});
    }).then(function (r) {
      if (r.ok && /\/inspections\/\d+/.test(r.url)) { return remove(entry.id).then(function () { return true; }); }
      if (r.status >= 400 && r.status < 500) {
        return r.text().then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var problems = doc.querySelector(".errors");
          entry.error = problems ? problems.textContent.replace(/\s+/g, " ").trim().slice(0, 200) : "HTTP " + r.status;
          return put(entry).then(function () { return false; });
        });
      }
      return false;
    });
  }

  function flush() {
    if (sending || !navigator.onLine) { return render(); }
    sending = true;
    return all().then(function (entries) {
      if (!entries.length) { return 0; }
      say(panel ? panel.getAttribute("data-sending") : "");
      var sent = 0;
      return entries.reduce(function (chain, entry) {
        return chain.then(function () {
          return sendOne(entry).then(function (ok) { if (ok) { sent += 1; } }).catch(function () { /* still offline */ });
        });
      }, Promise.resolve()).then(function () { return sent; });
    }).then(function (sent) {
      sending = false;
      return render(sent ? panel && panel.getAttribute("data-sent") : "");
    }, function () { sending = false; return render(); });
  }

  window.addEventListener("online", flush);
  window.addEventListener("offline", function () { render(); });
  if (retry) { retry.addEventListener("click", function () {
    all().then(function (entries) {
      return Promise.all(entries.map(function (e) { e.error = ""; return put(e); }));
    }).then(flush);
  }); }

  // -- the checklist form: queue instead of posting while offline ----------------------------
  var form = document.getElementById("inspection-form");
  if (form && form.getAttribute("data-offline-queue") === "1") {
    form.addEventListener("submit", function (event) {
      if (navigator.onLine) { return; }
      event.preventDefault();
      var button = form.querySelector("button[type=submit]");
      var fields = [], pending = [];
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.disabled) { return; }
        if (el.type === "file") {
          Array.prototype.forEach.call(el.files || [], function (file) {
            pending.push(resize(file).then(function (blob) {
              return {name: el.name, blob: blob, filename: file.name.replace(/\.[^.]*$/, "") + ".jpg"};
            }));
          });
        } else if ((el.type === "radio" || el.type === "checkbox") && !el.checked) {
          return;
        } else if (el.type !== "submit" && el.type !== "button") {
          fields.push([el.name, el.value]);
        }
      });
      var id = document.getElementById("client_id").value;
      Promise.all(pending).then(function (files) {
        return put({id: id, url: window.location.pathname, shop: form.getAttribute("data-shop"),
                    shopName: form.getAttribute("data-shop-name") || "", fields: fields, files: files,
                    queuedAt: new Date().toISOString(), error: ""});
      }).then(function () {
        try { window.localStorage.removeItem(form.getAttribute("data-draft-key")); } catch (e) { /* none */ }
        form.reset();
        var clear = document.getElementById("signature-clear");
        if (clear) { clear.click(); }
        if (window.huishangNewClientId) { document.getElementById("client_id").value = window.huishangNewClientId(); }
        form.dispatchEvent(new Event("change"));
        window.setTimeout(function () { if (button) { button.disabled = false; } }, 10);
        window.scrollTo(0, 0);
        return render();
      }).catch(function () {
        if (button) { button.disabled = false; }
        say(panel ? panel.getAttribute("data-failed") : "");
      });
    });
  }

  // -- the home: ask the worker to keep today's shops ---------------------------------------
  var keep = document.getElementById("patrol-keep");
  if (keep && "serviceWorker" in navigator && navigator.onLine) {
    var urls = Array.prototype.map.call(keep.querySelectorAll("[data-url]"), function (li) {
      return li.getAttribute("data-url");
    });
    urls.push(window.location.pathname);
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.active) { reg.active.postMessage({type: "keep", urls: urls}); }
    });
  }

  render();
  if (navigator.onLine) { flush(); }
}());
