// "Use my position" on the report form: only when the phone offers it and the
// user agrees. Without this script the form works the same, by choosing a place.
(function () {
  var button = document.getElementById("locate");
  if (!button || !navigator.geolocation) { return; }
  var status = document.getElementById("locate-status");
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.geolocation.getCurrentPosition(function (pos) {
      document.getElementById("lat").value = pos.coords.latitude.toFixed(6);
      document.getElementById("lon").value = pos.coords.longitude.toFixed(6);
      status.textContent = button.getAttribute("data-ok");
    }, function () {
      status.textContent = button.getAttribute("data-fail");
    }, { enableHighAccuracy: true, timeout: 15000 });
  });
})();
