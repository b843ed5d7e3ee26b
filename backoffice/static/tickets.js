/* The intake form's look-ups (served by the app, no CDN): units by the beginning of their
   serial number, and the sites of the customer whose code is typed. Without scripts the
   form still works: the serial is typed in full, the sites come with the first reply. */
(function () {
  "use strict";
  var form = document.querySelector("form.ticket-intake");
  if (!form) { return; }
  var serial = form.querySelector("#serial");
  var options = document.getElementById("serial-options");
  var customer = form.querySelector("#customer_code");
  var site = form.querySelector("#site");
  var pending = null;

  function get(url, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.setRequestHeader("Accept", "application/json");
    request.onload = function () {
      if (request.status === 200) { done(JSON.parse(request.responseText)); }
    };
    request.send();
  }

  if (serial && options) {
    serial.addEventListener("input", function () {
      var prefix = serial.value.trim();
      window.clearTimeout(pending);
      if (prefix.length < 2) { return; }
      pending = window.setTimeout(function () {
        get(form.dataset.serials + "?q=" + encodeURIComponent(prefix), function (units) {
          options.textContent = "";
          units.forEach(function (unit) {
            var option = document.createElement("option");
            option.value = unit.serial;
            option.label = unit.label;
            options.appendChild(option);
          });
        });
      }, 200);
    });
  }

  if (customer && site) {
    customer.addEventListener("change", function () {
      get(form.dataset.sites + "?customer=" + encodeURIComponent(customer.value.trim()),
          function (sites) {
            site.textContent = "";
            sites.forEach(function (entry) {
              var option = document.createElement("option");
              option.value = entry.id;
              option.textContent = entry.name;
              site.appendChild(option);
            });
          });
    });
  }
}());
