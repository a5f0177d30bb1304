/*
 * The site's configuration for our scripts (order-lookup.js, helpbar.js, feedback.js), read in
 * one place: the JSON tag #__helpcenter that theme/main.html writes.
 *
 * Read once, at the first page load, like Material's __config: instant navigation never replaces
 * the tag, and its "base" (the site root, relative to the page that carried it) must be resolved
 * against that first page. Loaded before the scripts that use it (theme/main.html).
 */
(function () {
  "use strict";

  function readJSON(id) {
    var el = document.getElementById(id);
    if (!el) return {};
    try {
      return JSON.parse(el.textContent) || {};
    } catch (err) {
      return {};
    }
  }

  var config = readJSON("__helpcenter");
  var apiBase = String(config.api_base || "").replace(/\/+$/, "");

  window.helpcenter = {
    readJSON: readJSON,
    // The site root as a URL ending in "/": links from the service ("/returns/") go under it.
    siteRoot: new URL(String(config.base || ".").replace(/\/?$/, "/"), location.href),
    // The address of one of the service's endpoints ("/api/search"): on api_base when the
    // service has a host of its own, else on this site's host.
    api: function (path) {
      return apiBase ? apiBase + path : new URL(path, location.href).href;
    },
  };
})();
