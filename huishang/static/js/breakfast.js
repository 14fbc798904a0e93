// Breakfast page: offer "use my location" when the browser can, then reload the server-rendered
// list for that point. Without JavaScript the street picker does the same job.
(function () {
  "use strict";
  var button = document.getElementById("bf-locate");
  var status = document.getElementById("bf-status");
  if (!button || !("geolocation" in navigator)) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    status.textContent = "…";
    navigator.geolocation.getCurrentPosition(function (pos) {
      var url = button.getAttribute("data-url");
      // Browsers report WGS-84, the datum the server stores and searches in.
      window.location.href = url + "?lat=" + pos.coords.latitude.toFixed(6) +
        "&lng=" + pos.coords.longitude.toFixed(6);
    }, function () {
      button.disabled = false;
      status.textContent = button.getAttribute("data-denied");
    }, {enableHighAccuracy: true, timeout: 10000, maximumAge: 60000});
  });
}());
