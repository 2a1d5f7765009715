// gitbrag page behaviour: live job progress (SSE, polling fallback), swapping in the finished
// report without a manual reload, copy-link, and collapsing long PR tables.
(function () {
  "use strict";

  function $(root, selector) { return root.querySelector(selector); }

  // ------------------------------------------------------------------ long tables
  function collapseTables(root) {
    root.querySelectorAll("[data-collapsible]").forEach(function (body) {
      var article = body.closest(".repo, [data-collapsible-scope]");
      var button = article && $(article, "[data-show-more]");
      if (!button) return;
      body.classList.add("is-collapsed");
      button.hidden = false;
      button.addEventListener("click", function () {
        body.classList.remove("is-collapsed");
        button.hidden = true;
      });
    });
  }

  // ------------------------------------------------------------------ copy link
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var done = function () {
      var label = button.textContent;
      button.textContent = "Link copied";
      button.classList.add("is-copied");
      setTimeout(function () { button.textContent = label; button.classList.remove("is-copied"); }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { window.prompt("Copy this link", text); });
    } else {
      window.prompt("Copy this link", text);
    }
  });

  // ------------------------------------------------------------------ job progress
  function watch(panel) {
    var bar = $(panel, ".job-progress");
    var percent = $(panel, ".job-percent");
    var message = $(panel, ".job-message");
    var headline = $(panel, ".job-headline");
    var finished = false;
    var source = null;
    var pollTimer = null;

    function apply(job) {
      panel.dataset.status = job.status;
      panel.dataset.phase = job.status === "done" ? "build" : (job.progress ? job.progress.phase : "");
      bar.value = job.percent;
      bar.textContent = Math.round(job.percent) + "%";
      percent.textContent = Math.round(job.percent) + "%";
      message.textContent = job.message;
      headline.textContent = job.headline;
      var title = document.querySelector(".generating-title");
      if (title && job.finished) title.textContent = job.headline;
      if (job.finished && !finished) {
        finished = true;
        stop();
        onFinished(job);
      }
    }

    function stop() {
      if (source) { source.close(); source = null; }
      if (pollTimer) { clearTimeout(pollTimer); pollTimer = null; }
    }

    function onFinished(job) {
      var cancel = $(panel, ".job-cancel");
      if (cancel) cancel.hidden = true;
      if (job.status === "done") { loadReport(panel.dataset.reportUrl, 0); return; }
      // Unknown user (404 page) or a rejected token (the page ends the session and asks
      // for a new login): the server renders the right page.
      if (job.status === "not_found" || job.login_again) { window.location.reload(); return; }
      var retry = document.querySelector(".job-failed");
      if (retry) retry.hidden = false;
    }

    function poll() {
      fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (response.status === 404) { window.location.reload(); return null; }
          return response.ok ? response.json() : null;
        })
        .then(function (job) { if (job) apply(job); })
        .catch(function () { /* transient: try again below */ })
        .then(function () { if (!finished) pollTimer = setTimeout(poll, 2000); });
    }

    function listen() {
      if (!window.EventSource) { poll(); return; }
      var failures = 0;
      source = new EventSource(panel.dataset.eventsUrl);
      source.addEventListener("job", function (event) {
        failures = 0;
        apply(JSON.parse(event.data));
      });
      source.addEventListener("gone", function () { stop(); window.location.reload(); });
      source.onerror = function () {
        failures += 1;
        if (!finished && failures >= 3) { stop(); poll(); }
      };
    }

    listen();
  }

  function loadReport(url, attempt) {
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var doc = new DOMParser().parseFromString(html, "text/html");
        var main = doc.querySelector("main");
        var stillGenerating = main && main.querySelector('[data-job-id][data-mode="generating"]');
        if (!main || stillGenerating) {
          if (attempt < 5) { setTimeout(function () { loadReport(url, attempt + 1); }, 1000); }
          else { window.location.reload(); }
          return;
        }
        var current = document.querySelector("main");
        current.replaceWith(main);
        document.title = doc.title;
        init(main);
      })
      .catch(function () { window.location.reload(); });
  }

  function init(root) {
    collapseTables(root);
    root.querySelectorAll(".progress-panel[data-job-id]").forEach(function (panel) {
      var status = panel.dataset.status;
      if (status === "done" || status === "failed" || status === "cancelled" || status === "not_found") return;
      watch(panel);
    });
  }

  init(document);
})();
