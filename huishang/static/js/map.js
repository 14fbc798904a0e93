// Breakfast map: draws the server-rendered list on a Leaflet map served from the app. The list
// items carry coordinates already converted to the tile layer's datum (GCJ-02 for Chinese
// providers). With no tile URL configured the page has no map at all (the list is the page). The
// attribution names only the map data's source (no library credit).
(function () {
  "use strict";
  var box = document.getElementById("bf-map");
  if (!box || typeof L === "undefined") { return; }
  var items = document.querySelectorAll(".bf-point[data-lat]");
  if (!items.length) { return; }
  var tiles = box.getAttribute("data-tile-url");
  if (!tiles) { return; }
  box.hidden = false;
  var map = L.map(box, {scrollWheelZoom: false});
  map.attributionControl.setPrefix(false);
  L.tileLayer(tiles, {maxZoom: 18, subdomains: box.getAttribute("data-subdomains") || "abc",
                      attribution: box.getAttribute("data-attribution") || ""}).addTo(map);
  var origin = [parseFloat(box.getAttribute("data-origin-lat")), parseFloat(box.getAttribute("data-origin-lng"))];
  var bounds = L.latLngBounds([origin]);
  L.circleMarker(origin, {radius: 8, className: "bf-you"}).addTo(map)
    .bindTooltip(box.getAttribute("data-you"));
  Array.prototype.forEach.call(items, function (item, index) {
    var point = [parseFloat(item.getAttribute("data-lat")), parseFloat(item.getAttribute("data-lng"))];
    bounds.extend(point);
    var link = document.createElement("a");
    link.href = item.getAttribute("data-url");
    link.textContent = (index + 1) + ". " + item.getAttribute("data-name");
    L.circleMarker(point, {radius: 9, className: "bf-marker"}).addTo(map).bindPopup(link);
  });
  map.fitBounds(bounds, {padding: [24, 24], maxZoom: 17});
}());
