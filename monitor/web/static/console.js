// The queue page's live part: a server-sent event per new alert event (/events) reloads the rows in place
// (first page only, keeping the ticked boxes); nothing else here. htmx (vendored) does the rest.
(function () {
  "use strict";
  function ready(fn) { if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn); }
  ready(function () {
    var rows = document.getElementById("rows");
    if (!rows || !window.EventSource || !window.htmx) return;
    var pending = null;
    var live = document.getElementById("live");
    function reload() {
      pending = null;
      if (rows.dataset.offset && rows.dataset.offset !== "0") { if (live) live.textContent = "new alerts: go to the first page"; return; }
      var ticked = Array.prototype.map.call(rows.querySelectorAll("input[name=ids]:checked"), function (x) { return x.value; });
      var query = new URLSearchParams(new FormData(document.getElementById("filters"))).toString();
      htmx.ajax("GET", "/rows?" + query, { target: "#rows", swap: "innerHTML" }).then(function () {
        ticked.forEach(function (id) {
          var box = rows.querySelector('input[name=ids][value="' + CSS.escape(id) + '"]');
          if (box) box.checked = true;
        });
        if (live) live.textContent = "updated " + new Date().toLocaleTimeString();
      });
    }
    var source = new EventSource("/events");
    source.addEventListener("alert", function () { if (!pending) pending = setTimeout(reload, 150); });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      if (e.detail.target === rows) {
        var m = /[?&]offset=(\d+)/.exec(e.detail.pathInfo ? e.detail.pathInfo.requestPath : "");
        rows.dataset.offset = m ? m[1] : "0";
      }
    });
  });
})();
