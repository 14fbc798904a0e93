// The citizen's confirmation page: copy the ticket or the key, and save both as a picture the
// phone keeps in its photos (a canvas drawn here, downloaded as PNG: no CDN, no inline script).
(function () {
  function copied(button) {
    var label = button.textContent;
    button.textContent = button.dataset.done || "OK";
    setTimeout(function () { button.textContent = label; }, 1500);
  }

  function copy(text, button) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { copied(button); }, function () { fallback(text, button); });
    } else {
      fallback(text, button);
    }
  }

  function fallback(text, button) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "fb-offscreen";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); copied(button); } catch (e) { /* the code stays on screen */ }
    document.body.removeChild(area);
  }

  document.querySelectorAll("button.fb-copy").forEach(function (button) {
    button.addEventListener("click", function () { copy(button.dataset.copy, button); });
  });

  function picture(data) {
    var scale = 2, width = 600, height = 360;
    var canvas = document.createElement("canvas");
    canvas.width = width * scale;
    canvas.height = height * scale;
    var ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.fillStyle = "#ffffff";
    ctx.fillRect(0, 0, width, height);
    ctx.fillStyle = "#1d5fbf";
    ctx.fillRect(0, 0, width, 64);
    ctx.fillStyle = "#ffffff";
    ctx.font = "bold 26px sans-serif";
    ctx.fillText(data.title, 24, 42);
    ctx.fillStyle = "#5b6470";
    ctx.font = "20px sans-serif";
    ctx.fillText(data.shop || "", 24, 104);
    ctx.fillText(data.ticketLabel, 24, 156);
    ctx.fillText(data.keyLabel, 24, 236);
    ctx.fillStyle = "#111111";
    ctx.font = "bold 44px monospace";
    ctx.fillText(data.ticket, 24, 200);
    ctx.fillText(data.key, 24, 280);
    ctx.fillStyle = "#5b6470";
    ctx.font = "18px sans-serif";
    ctx.fillText(data.hint, 24, 330);
    return canvas;
  }

  document.querySelectorAll("button.fb-save-image").forEach(function (button) {
    button.addEventListener("click", function () {
      var canvas = picture(button.dataset);
      canvas.toBlob(function (blob) {
        var link = document.createElement("a");
        link.href = URL.createObjectURL(blob);
        link.download = button.dataset.filename || "huishang.png";
        document.body.appendChild(link);
        link.click();
        setTimeout(function () { URL.revokeObjectURL(link.href); document.body.removeChild(link); }, 1000);
      }, "image/png");
    });
  });
})();
