/* The facility page's map: progressive enhancement over the address and coordinates that the
   page always shows as text. The map appears only once a first tile has actually loaded, so
   offline, with blocked tiles or without a tile server nothing broken is ever shown. */
(function () {
  "use strict";
  var box = document.getElementById("facility-map");
  if (!box || !window.L || navigator.onLine === false) return;
  var lat = parseFloat(box.dataset.lat), lng = parseFloat(box.dataset.lng), zoom = 15;
  var template = box.dataset.tiles;
  if (!template || isNaN(lat) || isNaN(lng)) return;

  // The tile that will hold the marker, fetched first as a probe.
  var n = Math.pow(2, zoom), rad = lat * Math.PI / 180;
  var x = Math.floor((lng + 180) / 360 * n);
  var y = Math.floor((1 - Math.log(Math.tan(rad) + 1 / Math.cos(rad)) / Math.PI) / 2 * n);
  var probe = new Image();
  var timer = setTimeout(function () { probe.src = ""; }, 8000);
  probe.onload = function () {
    clearTimeout(timer);
    box.hidden = false;
    var map = L.map(box, {scrollWheelZoom: false}).setView([lat, lng], zoom);
    L.tileLayer(template, {attribution: box.dataset.attribution, maxZoom: 19}).addTo(map);
    L.marker([lat, lng], {title: box.dataset.name, alt: box.dataset.name, keyboard: false}).addTo(map);
  };
  probe.onerror = function () { clearTimeout(timer); };
  probe.src = template.replace("{s}", "a").replace("{z}", zoom).replace("{x}", x).replace("{y}", y).replace("{r}", "");
})();
