/*
 * Material's search is the help bar's fallback: its index (search/search_index.json, megabytes on
 * a large help center) is downloaded only when that fallback is needed.
 *
 * Material's bundle asks for the index once, at startup, with XMLHttpRequest, and its search
 * worker waits for it. Loaded in the page head, before the bundle, this script lets that request
 * be opened as usual but holds back its send() until release(): the help bar (helpbar.js) calls
 * it when the service first fails. If no help bar claims the index by the time the page is parsed
 * (its script missing or broken), the index is released at once, so Material's search works as
 * it always did. The request itself is untouched: same object, URL and listeners, only sent later.
 *
 * The bundle starts once and instant navigation never runs it again, so neither does this script.
 */
(function () {
  "use strict";

  var INDEX_PATH = "search/search_index.json";
  // Material resolves its base against the page the bundle started on: this one.
  var firstPage = location.href;
  var XHR = XMLHttpRequest.prototype;
  var open = XHR.open;
  var send = XHR.send;
  var abort = XHR.abort;
  var indexURL = null;
  var opened = new WeakSet();
  var waiting = [];
  var claimed = false;

  function drop(xhr) {
    waiting = waiting.filter(function (held) { return held.xhr !== xhr; });
  }

  var fallback = {
    released: false,
    // The help bar will release the index when the service fails.
    claim: function () {
      claimed = true;
    },
    // Send the held request (and let later ones through): Material's search starts.
    release: function () {
      if (fallback.released) return;
      fallback.released = true;
      waiting.splice(0).forEach(function (held) {
        send.apply(held.xhr, held.args);
      });
    },
  };
  window.helpcenterSearchFallback = fallback;

  // The address Material asks for: new URL("search/search_index.json", config.base), its base
  // from #__config (parsed after this script, so read at the first request).
  function isIndex(url) {
    if (indexURL === null) {
      var config = document.getElementById("__config");
      if (!config) return false;
      try {
        var base = new URL(JSON.parse(config.textContent).base, firstPage);
        indexURL = new URL(INDEX_PATH, base).href;
      } catch (err) {
        return false;
      }
    }
    return new URL(String(url), location.href).href === indexURL;
  }

  XHR.open = function (method, url) {
    drop(this);
    if (!fallback.released && String(method).toUpperCase() === "GET" && isIndex(url)) {
      opened.add(this);
    } else {
      opened.delete(this);
    }
    return open.apply(this, arguments);
  };

  XHR.send = function () {
    if (fallback.released || !opened.has(this)) return send.apply(this, arguments);
    waiting.push({ xhr: this, args: arguments });
  };

  // A held request Material gives up on is dropped, not sent later.
  XHR.abort = function () {
    drop(this);
    return abort.apply(this, arguments);
  };

  document.addEventListener("DOMContentLoaded", function () {
    // Our scripts run before this event and Material opens the request in its own handler, after
    // this one: unclaimed, nothing would ever release the index, so it is not held at all.
    if (!claimed) fallback.release();
  });
})();
