/* Pulse clientside callbacks. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  pulse: {
    /* The light/dark switch: flip the choice kept in localStorage (dcc.Store). */
    toggleTheme: function (_clicks, theme) {
      return theme === "dark" ? "light" : "dark";
    },
    /* Apply the stored choice (on load too) to Bootstrap's data-bs-theme; the button offers the other. */
    applyTheme: function (theme) {
      const dark = theme === "dark";
      document.documentElement.setAttribute("data-bs-theme", dark ? "dark" : "light");
      return dark ? "☀ Light" : "☾ Dark";
    },
    /* "Export page": the print dialog; the print stylesheet lays the cards out (Save as PDF). */
    printPage: function (clicks) {
      if (!(clicks || []).some(Boolean)) { return window.dash_clientside.no_update; }
      window.print();
      return Date.now();
    },
    /* The navbar's "as of" picker shows the URL's ?as_of= (none: today). */
    asOfFromUrl: function (search) {
      return new URLSearchParams(search || "").get("as_of") || null;
    },
    /* Picking a day reloads the page with ?as_of=YYYY-MM-DD; clearing it goes back to today. */
    goAsOf: function (date) {
      const current = new URLSearchParams(window.location.search).get("as_of") || null;
      const wanted = date ? String(date).slice(0, 10) : null;
      if (wanted === current) { return window.dash_clientside.no_update; }
      window.location.assign(window.location.pathname + (wanted ? "?as_of=" + wanted : ""));
      return wanted;
    },
    /* Mirror the drill-down in the URL without reloading: opening a metric or switching view pushes a
       history entry (so Back closes the modal or returns to the previous view); filter changes replace it. */
    syncDrilldownUrl: function (isOpen, state, view, rep, segment, start, end) {
      const noUpdate = window.dash_clientside.no_update;
      const open = Boolean(isOpen && state && state.metric);
      if (open && !view) { return noUpdate; }  // tabs not rendered yet
      const params = new URLSearchParams();
      const asOf = new URLSearchParams(window.location.search).get("as_of");
      if (asOf) { params.set("as_of", asOf); }  // a past day's page stays on that day
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
