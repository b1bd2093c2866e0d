// "Use my position" on the report form: only when the phone offers it and the
// user agrees. Without this script the form works the same, by choosing a place.
// With a position, the places near it are listed first and the nearest is
// chosen unless the resident has chosen one already.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { return; }
  var status = document.getElementById("locate-status");
  var select = document.getElementById("unit");
  button.hidden = false;

  function listNear(lat, lon) {
    if (!select || !window.fetch) { return; }
    fetch("/api/v1/public/places?lat=" + lat + "&lon=" + lon, { headers: { Accept: "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        if (!data.items || data.items.length === 0) { return; }
        var old = document.getElementById("near-places");
        if (old) { old.parentNode.removeChild(old); }
        var group = document.createElement("optgroup");
        group.id = "near-places";
        group.label = button.getAttribute("data-near");
        data.items.forEach(function (p) {
          var o = document.createElement("option");
          o.value = p.code;
          o.textContent = p.name + "(" + button.getAttribute("data-away").replace("{m}", p.distance_m) + ")";
          group.appendChild(o);
        });
        // After the "choose" option, before the full list.
        select.insertBefore(group, select.children[1] || null);
        if (select.value === "") {
          var first = data.items[0];
          select.value = first.code;
          status.textContent = button.getAttribute("data-chosen")
            .replace("{name}", first.name).replace("{m}", first.distance_m);
        }
      })
      .catch(function () { /* the position alone still places the report */ });
  }

  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      var lat = pos.coords.latitude.toFixed(6), lon = pos.coords.longitude.toFixed(6);
      document.getElementById("lat").value = lat;
      document.getElementById("lon").value = lon;
      status.textContent = button.getAttribute("data-ok");
      listNear(lat, lon);
    }, function () {
      status.textContent = button.getAttribute("data-fail");
    }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
