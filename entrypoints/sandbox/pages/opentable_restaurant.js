// Renders the times of the restaurant page after load, as OpenTable's own
// page does: the HTML arrives without them and a script asks for them.
(function () {
  "use strict";
  var body = document.body;
  var current = body.dataset.layout === "current";
  var box = document.getElementById("times");
  var query = new URLSearchParams(window.location.search);
  var covers = query.get("covers") || "2";
  var slug = body.dataset.slug;

  function label(dateTime) {
    var parts = dateTime.slice(11, 16).split(":");
    var hour = Number(parts[0]);
    var suffix = hour < 12 ? " AM" : " PM";
    return ((hour + 11) % 12 + 1) + ":" + parts[1] + suffix;
  }

  function detailsUrl(dateTime) {
    var params = new URLSearchParams({
      slug: slug, dateTime: dateTime, partySize: covers
    });
    return "/booking/details?" + params.toString();
  }

  function slotNode(slot) {
    var node = document.createElement(current ? "button" : "a");
    if (current) {
      node.type = "button";
      node.className = "ot-slot";
      node.setAttribute("data-test", "time-slot");
      node.setAttribute("data-datetime", slot.dateTime);
    } else {
      node.className = "rt-chip rt-chip--available";
      node.setAttribute("role", "button");
      node.setAttribute("data-slot-time", slot.dateTime);
    }
    node.textContent = label(slot.dateTime);
    node.addEventListener("click", function () {
      window.location.assign(detailsUrl(slot.dateTime));
    });
    return node;
  }

  function note(marker, text) {
    var node = document.createElement("p");
    if (current) {
      node.setAttribute("data-test", marker);
    } else {
      node.className = "rt-" + marker;
    }
    node.textContent = text;
    return node;
  }

  function finish() {
    if (box.hasAttribute("aria-busy")) {
      box.setAttribute("aria-busy", "false");
    } else {
      box.setAttribute("data-state", "ready");
    }
  }

  function show(answer) {
    var slots = answer.availability.timeslots.filter(function (s) {
      return s.available;
    });
    box.replaceChildren();
    if (slots.length === 0) {
      box.appendChild(note("no-availability", "No online availability for this date and party size."));
    } else {
      slots.forEach(function (slot) { box.appendChild(slotNode(slot)); });
    }
    finish();
  }

  function fail() {
    box.replaceChildren(note("availability-error", "We could not load times. Please try again."));
    finish();
  }

  function load() {
    var params = new URLSearchParams({
      slug: slug, covers: covers, dateTime: query.get("dateTime") || ""
    });
    fetch("/dapi/availability?" + params.toString(), {credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(show, fail);
  }

  document.querySelector('[data-test="search-form"]').addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var params = new URLSearchParams({
      covers: form.covers.value, dateTime: form.day.value + "T" + form.time.value
    });
    window.location.assign("/r/" + slug + "?" + params.toString());
  });

  window.setTimeout(load, Number(body.dataset.renderDelayMs));
})();
