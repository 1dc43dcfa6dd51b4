// Refreshes the queue's rows in place every few seconds (no full reload), keeping the
// filters of the page's own address. The rows come rendered and escaped by the server.
(function () {
  "use strict";
  var body = document.getElementById("queue-rows");
  if (!body) { return; }
  var source = body.getAttribute("data-src") + window.location.search;
  function refresh() {
    fetch(source, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (answer) { return answer.ok ? answer.text() : null; })
      .then(function (html) { if (html !== null) { body.innerHTML = html; } })
      .catch(function () { /* the next round tries again */ })
      .finally(function () { window.setTimeout(refresh, 2000); });
  }
  window.setTimeout(refresh, 2000);
}());
