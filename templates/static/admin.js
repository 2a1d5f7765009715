/* The operations console, live: Server-Sent Events from /admin/events replace the live part
   of the page when it changes; without EventSource, or when the server refuses the stream,
   /admin/live is polled instead. No build step, no framework. */
(function () {
  "use strict";
  var live = document.querySelector("[data-admin-live]");
  if (!live) { return; }
  var state = document.querySelector("[data-admin-state]");
  var POLL_MS = 2000;

  function show(html) {
    // Keep what the admin is typing in a form of the live part (the purge field).
    var active = document.activeElement;
    if (active && live.contains(active) && active.tagName === "INPUT" && active.type !== "hidden") { return; }
    live.innerHTML = html;
  }

  function setState(text) { if (state) { state.textContent = text; } }

  function poll() {
    setState("Live (polling)");
    fetch(live.dataset.liveUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) { if (html !== null) { show(html); } })
      .catch(function () { setState("Reconnecting…"); })
      .then(function () { setTimeout(poll, POLL_MS); });
  }

  function listen() {
    if (!window.EventSource) { poll(); return; }
    var failures = 0;
    var source = new EventSource(live.dataset.eventsUrl);
    source.addEventListener("live", function (event) {
      failures = 0;
      setState("Live");
      show(JSON.parse(event.data).html);
    });
    source.onerror = function () {
      failures += 1;
      var refused = source.readyState === EventSource.CLOSED;
      if (refused || failures >= 3) { source.close(); poll(); }
    };
  }

  listen();
})();
