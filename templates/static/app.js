// gitbrag page behaviour: live job progress (SSE, polling fallback), swapping in the finished
// report without a manual reload, copy-link, relative times, and loading the pages of long
// lists (a repository's pull requests, more repositories, the issues opened) in place.
(function () {
  "use strict";

  function $(root, selector) { return root.querySelector(selector); }

  // ------------------------------------------------------------------ relative times
  // Cached pages say when a report was generated as an absolute time (the same for every
  // viewer); the browser says how long ago that is, and keeps it current.
  var UNITS = [["year", 31536000], ["month", 2592000], ["week", 604800], ["day", 86400],
               ["hour", 3600], ["minute", 60]];

  function ago(seconds) {
    if (Math.abs(seconds) < 60) return "just now";
    var future = seconds < 0;
    seconds = Math.abs(seconds);
    for (var i = 0; i < UNITS.length; i++) {
      if (seconds >= UNITS[i][1]) {
        var count = Math.floor(seconds / UNITS[i][1]);
        var words = count + " " + UNITS[i][0] + (count === 1 ? "" : "s");
        return future ? "in " + words : words + " ago";
      }
    }
    return "just now";
  }

  function relativeTimes(root) {
    root.querySelectorAll("time[data-relative]").forEach(function (element) {
      var moment = Date.parse(element.getAttribute("datetime"));
      if (!isNaN(moment)) element.textContent = ago((Date.now() - moment) / 1000);
    });
  }
  setInterval(function () { relativeTimes(document); }, 60000);

  // ------------------------------------------------------------------ paged lists in place
  // "Show all N pull requests" and "Show more repositories" are links to paged pages (they
  // work without JavaScript); here they fetch those pages and move their rows or
  // repositories into this page, one page per click, until the list is complete.
  function fetchPage(url) {
    return fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
  }

  function nextLink(doc) {
    var next = doc.querySelector('.pager a[rel="next"]');
    return next ? next.getAttribute("href") : null;
  }

  function pagedLink(link, load) {
    link.addEventListener("click", function (event) {
      if (event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
      event.preventDefault();
      if (link.getAttribute("aria-busy") === "true") return;
      link.setAttribute("aria-busy", "true");
      fetchPage(link.getAttribute("href"))
        .then(function (doc) {
          var next = load(doc);
          link.removeAttribute("aria-busy");
          if (next) link.setAttribute("href", next);
          else link.parentNode.remove();
        })
        .catch(function () { window.location.href = link.getAttribute("href"); });
    });
  }

  function showAll(link) {
    var article = link.closest(".repo");
    var body = article && $(article, "tbody[data-pr-rows]");
    if (!body) return;
    var total = parseInt(link.dataset.total, 10);
    var first = true;
    pagedLink(link, function (doc) {
      var rows = doc.querySelectorAll("tbody[data-pr-rows] tr");
      if (first) { body.textContent = ""; first = false; }  // page 1 starts with the recent ones
      rows.forEach(function (row) { body.appendChild(document.importNode(row, true)); });
      var left = total - body.rows.length;
      link.textContent = "Show more (" + left.toLocaleString() + " left)";
      return left > 0 ? nextLink(doc) : null;
    });
  }

  function showAllIssues(link) {
    var panel = link.closest("[data-issues]");
    var list = panel && $(panel, "ul[data-issue-rows]");
    if (!list) return;
    var total = parseInt(link.dataset.total, 10);
    var first = true;
    pagedLink(link, function (doc) {
      var items = doc.querySelectorAll("ul[data-issue-rows] > li");
      if (first) { list.textContent = ""; first = false; }  // page 1 starts with the recent ones
      items.forEach(function (item) { list.appendChild(document.importNode(item, true)); });
      var left = total - list.children.length;
      link.textContent = "Show more (" + left.toLocaleString() + " left)";
      return left > 0 ? nextLink(doc) : null;
    });
  }

  function moreRepositories(link) {
    var list = link.closest("[data-repositories]");
    if (!list) return;
    pagedLink(link, function (doc) {
      var holder = link.parentNode;
      doc.querySelectorAll("[data-repositories] > .repo").forEach(function (repo) {
        var copy = document.importNode(repo, true);
        list.insertBefore(copy, holder);
        init(copy);
      });
      return nextLink(doc);
    });
  }

  // ------------------------------------------------------------------ copy buttons
  // A button with data-copy puts that text on the clipboard: the report's link, the
  // highlights as Markdown bullets, a README snippet.
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-copy]");
    if (!button) return;
    var text = button.getAttribute("data-copy");
    var copiedLabel = button.getAttribute("data-copied-label") || "Link copied";
    var done = function () {
      var label = button.textContent;
      button.textContent = copiedLabel;
      button.classList.add("is-copied");
      setTimeout(function () { button.textContent = label; button.classList.remove("is-copied"); }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () { window.prompt("Copy this", text); });
    } else {
      window.prompt("Copy this", text);
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
      if (job.status === "done") {
        // A comparison waits for both of its reports: the last one to finish loads the page.
        var others = document.querySelectorAll('.progress-panel[data-mode="generating"]');
        for (var i = 0; i < others.length; i++) {
          var running = ["queued", "running", "waiting_rate_limit"].indexOf(others[i].dataset.status) >= 0;
          if (others[i] !== panel && running) return;
        }
        loadReport(panel.dataset.reportUrl, 0);
        return;
      }
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
        // CLOSED: the server refused the stream (429: too many open), so no reconnect comes.
        var refused = source && source.readyState === EventSource.CLOSED;
        if (!finished && (refused || failures >= 3)) { stop(); poll(); }
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
    relativeTimes(root);
    root.querySelectorAll("a[data-show-all]").forEach(showAll);
    root.querySelectorAll("a[data-show-all-issues]").forEach(showAllIssues);
    root.querySelectorAll("a[data-more-repositories]").forEach(moreRepositories);
    root.querySelectorAll(".progress-panel[data-job-id]").forEach(function (panel) {
      var status = panel.dataset.status;
      if (status === "done" || status === "failed" || status === "cancelled" || status === "not_found") return;
      watch(panel);
    });
  }

  init(document);
})();
