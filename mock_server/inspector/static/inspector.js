// The inspector's live part: one EventSource (server-sent events from /_mock/ui/events).
// Every page is whole without it; this only keeps the task table, the clock and an open
// task's page current without a reload. Rows are built with the DOM, never innerHTML.
(function () {
  "use strict";
  var body = document.body;
  var live = document.getElementById("live");
  if (!window.EventSource || !body.dataset.events) { return; }
  var base = body.dataset.events.replace(/\/events$/, "");
  var source = new EventSource(body.dataset.events + "?after=" + body.dataset.seq);
  var offline = null;

  source.onopen = function () {
    clearTimeout(offline);
    live.textContent = "live";
    live.className = "live on";
  };
  source.onerror = function () {  // each answer ends with a reconnect: only a long gap counts
    clearTimeout(offline);
    offline = setTimeout(function () {
      live.textContent = "reconnecting";
      live.className = "live";
    }, 2000);
  };
  source.addEventListener("change", function (event) {
    var change = JSON.parse(event.data);
    if (change.reload) { location.reload(); return; }
    showClock(change.clock);
    var page = body.dataset.page;
    if (page === "tasks") {
      updateRows(change.rows);
    } else if (page === "task") {
      var id = body.dataset.task;
      var moved = change.rows.some(function (row) { return row.task_id === id; });
      if (moved || change.deliveries.indexOf(id) >= 0) { reloadSoon(); }
    } else if (page === "requests" && change.requests) {
      document.getElementById("new-requests").hidden = false;
    }
  });

  function showClock(clock) {
    document.getElementById("clock-now").textContent = clock.now;
    document.getElementById("clock-mode").textContent = clock.mode;
    document.getElementById("clock-pending").textContent = clock.pending_events;
  }

  var reloading = null;
  function reloadSoon() {
    if (reloading === null) { reloading = setTimeout(function () { location.reload(); }, 150); }
  }

  function updateRows(rows) {
    var tbody = document.querySelector("#tasks tbody");
    var empty = tbody.querySelector("tr.empty");
    var isLive = body.dataset.live === "yes";
    for (var i = rows.length - 1; i >= 0; i--) {  // oldest first, each new one to the top
      var row = rows[i];
      var old = tbody.querySelector('tr[data-task="' + CSS.escape(row.task_id) + '"]');
      if (old) {
        tbody.replaceChild(rowElement(row), old);
      } else if (isLive) {
        if (empty) { empty.remove(); empty = null; }
        tbody.insertBefore(rowElement(row), tbody.firstChild);
        var count = document.getElementById("task-count");
        count.textContent = parseInt(count.textContent, 10) + 1;
      }
    }
    var limit = parseInt(body.dataset.limit, 10);
    while (isLive && tbody.rows.length > limit) { tbody.deleteRow(-1); }
  }

  function cell(tr, child) {
    var td = document.createElement("td");
    if (child) { td.appendChild(child); }
    tr.appendChild(td);
    return td;
  }
  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined) { node.textContent = text; }
    if (className) { node.className = className; }
    return node;
  }

  function rowElement(row) {
    var tr = el("tr", undefined, "status-" + row.status);
    tr.dataset.task = row.task_id;
    var link = el("a");
    link.href = base + "/tasks/" + encodeURIComponent(row.task_id);
    link.appendChild(el("code", row.task_id));
    cell(tr, link);
    cell(tr, el("code", row.key));
    cell(tr, el("span", row.model));
    cell(tr, el("span", row.aspect_ratio + " · " + row.quality));
    var status = cell(tr, el("span", row.status, "badge"));
    status.className = "status";
    var bar = el("progress", row.progress + "%");
    bar.max = 100;
    bar.value = row.progress;
    status.append(" ", bar, " " + row.progress + "%");
    if (row.error) { status.append(" ", el("code", row.error)); }
    cell(tr, el("span", row.age)).className = "age";
    return tr;
  }
}());
