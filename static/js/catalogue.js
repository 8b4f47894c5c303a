/* The catalogue's map: a marker for each card on the page that has coordinates, read from the
   cards' data attributes, beside the list (which stays the way to choose). The map appears
   only once a first tile has loaded, so offline or with blocked tiles the list is all there is. */
(function () {
  "use strict";
  var box = document.getElementById("catalogue-map");
  if (!box || !window.L || navigator.onLine === false) return;
  var template = box.dataset.tiles;
  var cards = Array.prototype.slice.call(document.querySelectorAll(".facility-card[data-lat]"));
  var points = cards.map(function (card) {
    return {lat: parseFloat(card.dataset.lat), lng: parseFloat(card.dataset.lng),
            name: card.dataset.name, url: card.dataset.url};
  }).filter(function (p) { return !isNaN(p.lat) && !isNaN(p.lng); });
  if (!template || !points.length) return;

  function tileOf(lat, lng, zoom) {
    var n = Math.pow(2, zoom), rad = lat * Math.PI / 180;
    return {x: Math.floor((lng + 180) / 360 * n),
            y: Math.floor((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * n)};
  }

  function show() {
    box.hidden = false;
    document.querySelector(".catalogue-results").classList.add("map-shown");
    var map = L.map(box, {scrollWheelZoom: false});
    L.tileLayer(template, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
    var bounds = [];
    points.forEach(function (p) {
      var marker = L.marker([p.lat, p.lng], {title: p.name, alt: p.name, keyboard: false}).addTo(map);
      var link = document.createElement("a");
      link.href = p.url;
      link.textContent = p.name;
      marker.bindPopup(link);
      bounds.push([p.lat, p.lng]);
    });
    if (bounds.length === 1) map.setView(bounds[0], 14);
    else map.fitBounds(bounds, {padding: [24, 24], maxZoom: 15});
  }

  // Probe one tile (the first place's, at a city-wide zoom) before showing anything.
  var zoom = 12, t = tileOf(points[0].lat, points[0].lng, zoom);
  var probe = new Image();
  var timer = setTimeout(function () { probe.src = ""; }, 8000);
  probe.onload = function () { clearTimeout(timer); show(); };
  probe.onerror = function () { clearTimeout(timer); };
  probe.src = template.replace("{s}", "a").replace("{z}", zoom).replace("{x}", t.x).replace("{y}", t.y).replace("{r}", "");
})();
