/* Pulse clientside callbacks. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pulse: {
    /* Mirror the drill-down in the URL without reloading: opening a metric or switching view pushes a
       history entry (so Back closes the modal or returns to the previous view); filter changes replace it. */
    syncDrilldownUrl: function (isOpen, state, view, rep, segment, start, end) {
      const noUpdate = window.dash_clientside.no_update;
      const open = Boolean(isOpen && state && state.metric);
      if (open && !view) { return noUpdate; }  // tabs not rendered yet
      const params = new URLSearchParams();
      if (open) {
        params.set("metric", state.metric);
        params.set("view", view);
        (rep || []).forEach(function (r) { params.append("rep", r); });
        (segment || []).forEach(function (s) { params.append("segment", s); });
        if (start) { params.set("start", start); }
        if (end) { params.set("end", end); }
      }
      const query = params.toString();
      const next = window.location.pathname + (query ? "?" + query : "");
      if (next === window.location.pathname + window.location.search) { return noUpdate; }
      const current = new URLSearchParams(window.location.search);
      const sameView = current.get("metric") === params.get("metric") && current.get("view") === params.get("view");
      if (sameView) { window.history.replaceState(null, "", next); } else { window.history.pushState(null, "", next); }
      return query;
    }
  }
});
