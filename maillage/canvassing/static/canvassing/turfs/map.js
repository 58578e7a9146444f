/* Turf maps with Leaflet (vendored): a turf's outline and doors ("view"), or drawing a turf's
   polygon by clicking its corners over the people's geocoded addresses ("draw").
   No tile server unless the campaign configured one: then points and shapes sit on a blank
   background and the browser asks nobody else for anything. */
(function () {
  "use strict";
  var FRANCE = [[41.3, -5.2], [51.1, 9.6]];

  function baseMap(element) {
    var map = L.map(element, { preferCanvas: false, attributionControl: !!element.dataset.tiles });
    if (element.dataset.tiles) {
      L.tileLayer(element.dataset.tiles, {
        maxZoom: 19,
        attribution: element.dataset.attribution || ""
      }).addTo(map);
    }
    map.fitBounds(FRANCE);
    return map;
  }

  function getJSON(url, done) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) { if (data) { done(data); } })
      .catch(function () { /* the map stays empty; the walk list below still works */ });
  }

  function viewTurf(element) {
    var map = baseMap(element);
    getJSON(element.dataset.mapUrl, function (data) {
      var layers = [];
      if (data.outline) {
        layers.push(L.geoJSON(data.outline, { style: { color: "#b3261e", weight: 2, fillOpacity: 0.08 } }).addTo(map));
      }
      data.points.forEach(function (p) {
        layers.push(
          L.circleMarker([p[1], p[0]], { radius: 5, color: "#1f4e79", weight: 1, fillOpacity: 0.8 })
            .bindTooltip(String(p[2]), { className: "turf-door-label" })
            .addTo(map)
        );
      });
      if (layers.length) {
        map.fitBounds(L.featureGroup(layers).getBounds(), { padding: [20, 20], maxZoom: 18 });
      }
      element.dataset.ready = String(data.points.length);
    });
  }

  function drawTurf(element) {
    var map = baseMap(element);
    var form = element.closest("form");
    var input = form.querySelector("[data-map-geometry]");
    var status = form.querySelector("[data-map-status]");
    var pointsLayer = L.layerGroup().addTo(map);
    var corners = [];
    var outline = null;
    var closed = false;

    function say(text) { if (status) { status.textContent = text; } }

    function redraw() {
      if (outline) { map.removeLayer(outline); outline = null; }
      if (!corners.length) { return; }
      outline = closed
        ? L.polygon(corners, { color: "#b3261e", weight: 2, fillOpacity: 0.1 })
        : L.polyline(corners, { color: "#b3261e", weight: 2, dashArray: "4 4" });
      outline.addTo(map);
    }

    function loadPoints() {
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) { return v.toFixed(6); });
      getJSON(element.dataset.pointsUrl + "?bbox=" + bbox.join(","), function (data) {
        pointsLayer.clearLayers();
        data.points.forEach(function (p) {
          L.circleMarker([p[1], p[0]], { radius: 3, color: "#1f4e79", weight: 1, fillOpacity: 0.7, interactive: false }).addTo(pointsLayer);
        });
        element.dataset.points = String(data.points.length);
      });
    }

    map.on("click", function (event) {
      if (closed) { return; }
      corners.push([event.latlng.lat, event.latlng.lng]);
      redraw();
      say(corners.length + " " + (element.dataset.cornersLabel || "sommet(s)"));
    });
    map.on("moveend", loadPoints);

    form.querySelector("[data-map-close]").addEventListener("click", function () {
      if (corners.length < 3) { return; }
      closed = true;
      redraw();
      var ring = corners.map(function (c) { return [c[1], c[0]]; });
      ring.push(ring[0]);
      input.value = JSON.stringify({ type: "Polygon", coordinates: [ring] });
      say("✓");
    });
    form.querySelector("[data-map-clear]").addEventListener("click", function () {
      corners = [];
      closed = false;
      input.value = "";
      redraw();
      say("");
    });
    if (input.value) {
      try {
        var previous = JSON.parse(input.value);
        corners = previous.coordinates[0].slice(0, -1).map(function (c) { return [c[1], c[0]]; });
        closed = true;
        redraw();
        map.fitBounds(outline.getBounds());
      } catch (e) { input.value = ""; }
    } else if (element.dataset.view) {
      var v = element.dataset.view.split(",").map(Number);
      map.fitBounds([[v[1], v[0]], [v[3], v[2]]]);
    }
    loadPoints();
  }

  document.querySelectorAll(".turf-map").forEach(function (element) {
    if (element.dataset.mode === "draw") { drawTurf(element); } else { viewTurf(element); }
  });
})();
