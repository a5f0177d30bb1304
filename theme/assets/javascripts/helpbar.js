/*
 * Help bar: Material's search box, answered by the service's /api/search as the buyer types.
 *
 * Our results go in a list of our own, drawn with Material's result classes, next to Material's
 * list. When the service cannot be reached (the site hosted alone, the index missing) we hide our
 * list, show Material's and release Material's search index (search-fallback.js holds it back
 * until then): the buyer sees a search box that works either way, and downloads Material's index
 * only when it is needed.
 */
(function () {
  "use strict";

  // The first keystroke after a pause asks at once; keys typed closer together than this are
  // coalesced into one request when the typing pauses (a newer request aborts an older one).
  var DEBOUNCE_MS = 50;
  var TIMEOUT_MS = 2500;
  // After a failure, leave the box to Material's search for a while before asking again.
  var RETRY_AFTER_MS = 30000;
  var LIMIT = 10;

  // The site root and the service's address: config.js, read once at the first page load.
  var site = window.helpcenter;
  var translations = site.readJSON("__config").translations || {};
  var siteRoot = site.siteRoot;
  var endpoint = site.api("/api/search");
  // Material's index waits for us (search-fallback.js): released at the service's first failure.
  var fallback = window.helpcenterSearchFallback || { released: true, release: function () {} };
  if (fallback.claim) fallback.claim();

  function translate(key, count) {
    var text = translations[key] || "";
    return count === undefined ? text : text.replace("#", String(count));
  }

  // Keep only text and <mark> from a server snippet: it is escaped already, but we do not have to
  // trust the server (api_base may point at another host) to put it in the page.
  function snippetNodes(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var out = document.createDocumentFragment();
    template.content.childNodes.forEach(function (node) {
      if (node.nodeType === Node.TEXT_NODE) {
        out.appendChild(document.createTextNode(node.textContent));
      } else if (node.nodeName === "MARK") {
        var mark = document.createElement("mark");
        mark.textContent = node.textContent;
        out.appendChild(mark);
      } else {
        out.appendChild(document.createTextNode(node.textContent || ""));
      }
    });
    return out;
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  function renderItem(result) {
    var link = element("a", "md-search-result__link");
    link.href = new URL(String(result.url || "").replace(/^\//, ""), siteRoot).href;
    link.tabIndex = -1;
    link.setAttribute("data-helpbar-result", "");
    var article = element("article", "md-search-result__article md-typeset");
    article.setAttribute("data-md-score", Number(result.score || 0).toFixed(2));
    article.appendChild(element("h2", "", result.title || result.page || ""));
    var path = [result.breadcrumb, result.page].filter(function (part, i, all) {
      return part && all.indexOf(part) === i && part !== result.title;
    });
    if (path.length) article.appendChild(element("nav", "helpbar__path", path.join(" › ")));
    if (result.snippet) {
      var snippet = element("p", "helpbar__snippet");
      snippet.appendChild(snippetNodes(result.snippet));
      article.appendChild(snippet);
    }
    link.appendChild(article);
    var item = element("li", "md-search-result__item");
    item.appendChild(link);
    return item;
  }

  function mount() {
    var input = document.querySelector("[data-md-component=search-query]");
    var material = document.querySelector("[data-md-component=search-result]");
    if (!input || !material || input.hasAttribute("data-helpbar")) return;
    input.setAttribute("data-helpbar", "");

    var panel = element("div", "md-search-result helpbar");
    panel.setAttribute("data-helpbar-results", "");
    panel.hidden = true;
    var meta = element("div", "md-search-result__meta");
    // "3 matching documents" is read out as the buyer types; the results wait for the arrows.
    meta.setAttribute("aria-live", "polite");
    var list = element("ol", "md-search-result__list");
    list.setAttribute("role", "list");
    panel.appendChild(meta);
    panel.appendChild(list);
    material.parentElement.insertBefore(panel, material);

    var timer = 0;
    var lastInput = 0;
    var sequence = 0;
    var controller = null;
    var downUntil = 0;
    // ── Click beacon (issue 9): the query whose results are shown, for counting clicks on them ──
    var shownQuery = "";

    function showMaterial() {
      panel.hidden = true;
      material.hidden = false;
    }

    function showOurs() {
      material.hidden = true;
      panel.hidden = false;
    }

    function links() {
      return panel.hidden ? [] : Array.prototype.slice.call(list.querySelectorAll("a[href]"));
    }

    function render(answer) {
      var results = Array.isArray(answer.results) ? answer.results : [];
      meta.textContent = "";
      if (results.length === 0) meta.textContent = translate("search.result.none");
      else if (results.length === 1) meta.textContent = translate("search.result.one");
      else meta.textContent = translate("search.result.other", results.length);
      if (answer.suggestion) {
        var hint = element("span", "helpbar__suggestion");
        var apply = element("a", "", answer.suggestion);
        apply.href = "#";
        apply.setAttribute("data-helpbar-suggestion", "");
        apply.addEventListener("click", function (ev) {
          ev.preventDefault();
          ev.stopPropagation();
          input.value = answer.suggestion;
          input.focus();
          ask(input.value);
        });
        hint.appendChild(document.createTextNode(" Did you mean "));
        hint.appendChild(apply);
        hint.appendChild(document.createTextNode("?"));
        meta.appendChild(hint);
      }
      list.textContent = "";
      // ── Lookup link (issue 13): a question the order lookup answers for the buyer's own order
      // ("where is my order", "return by when") gets the lookup page first. ──
      var lookup = answer.lookup;
      if (lookup && typeof lookup.url === "string" && lookup.url.charAt(0) === "/") {
        var first = renderItem({ title: lookup.title, url: lookup.url, snippet: lookup.snippet });
        first.querySelector("a").setAttribute("data-helpbar-lookup", lookup.step || "");
        list.appendChild(first);
      }
      // ── end lookup link ──
      results.forEach(function (result) {
        list.appendChild(renderItem(result));
      });
      shownQuery = typeof answer.query === "string" ? answer.query : "";
      // Which question the shown results answer: a settled state tests (and tools) can wait for.
      panel.setAttribute("data-query", shownQuery);
      showOurs();
    }

    // An empty box. Until Material's index is released its list could only say "Initializing
    // search", so ours says what Material's says once ready.
    function idle() {
      if (fallback.released) {
        showMaterial();
        return;
      }
      list.textContent = "";
      var placeholder = translate("search.result.placeholder");
      if (meta.textContent !== placeholder) meta.textContent = placeholder;
      shownQuery = "";
      panel.setAttribute("data-query", "");
      showOurs();
    }

    function fail() {
      downUntil = Date.now() + RETRY_AFTER_MS;
      fallback.release();
      showMaterial();
    }

    function ask(value) {
      var query = value.trim();
      if (controller) controller.abort();
      controller = null;
      if (!query) {
        idle();
        return;
      }
      if (Date.now() < downUntil) {
        showMaterial();
        return;
      }
      var mine = ++sequence;
      var current = new AbortController();
      controller = current;
      var timeout = setTimeout(function () { current.abort(); }, TIMEOUT_MS);
      var url = endpoint + "?q=" + encodeURIComponent(query) + "&limit=" + LIMIT;
      // A page's language picks the articles searched: a Korean page searches /ko/.
      var lang = (document.documentElement.lang || "").split("-")[0].toLowerCase();
      if (lang) url += "&lang=" + encodeURIComponent(lang);
      fetch(url, { signal: current.signal, headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("search answered " + response.status);
          return response.json();
        })
        .then(function (answer) {
          if (mine !== sequence) return;
          if (!answer || !Array.isArray(answer.results)) throw new Error("not a search answer");
          render(answer);
        })
        .catch(function () {
          // A newer keystroke aborted this one: that is not the service failing.
          if (mine === sequence) fail();
        })
        .finally(function () {
          clearTimeout(timeout);
          if (controller === current) controller = null;
        });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      if (!input.value.trim()) {
        timer = 0;
        sequence++;
        ask("");
        return;
      }
      var now = Date.now();
      var paused = !timer && now - lastInput >= DEBOUNCE_MS;
      lastInput = now;
      if (paused) {
        ask(input.value);
        return;
      }
      timer = setTimeout(function () {
        timer = 0;
        ask(input.value);
      }, DEBOUNCE_MS);
    });
    input.form.addEventListener("reset", function () {
      clearTimeout(timer);
      timer = 0;
      sequence++;
      ask("");
    });

    // ── Click beacon: tell the service which section was opened for this query, so the operator
    // sees queries whose answers nobody opens and search learns what buyers choose. Query text
    // and the section's path only, no cookies; keepalive lets it outlive the navigation. ──
    list.addEventListener("click", function (ev) {
      var link = ev.target.closest && ev.target.closest("a[data-helpbar-result]");
      if (!link || !shownQuery) return;
      var target = new URL(link.href, location.href);
      fetch(endpoint + "/click", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ query: shownQuery.slice(0, 200),
                               url: (target.pathname + target.hash).slice(0, 300) }),
        credentials: "omit",
        keepalive: true
      }).catch(function () {});
    });
    // ── end click beacon ──

    // Our keys are handled here, before they bubble to Material's window-level handler, which
    // only knows its own list: arrows move through our results, Enter opens the first one.
    function move(from, step) {
      var stops = [input].concat(links());
      var i = stops.indexOf(from);
      var next = stops[(Math.max(0, i) + step + stops.length) % stops.length];
      next.focus();
    }

    input.addEventListener("keydown", function (ev) {
      var found = links();
      if (!found.length) return;
      if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
        move(input, ev.key === "ArrowDown" ? 1 : -1);
      } else if (ev.key === "Enter") {
        found[0].click();
      } else {
        return;
      }
      ev.preventDefault();
      ev.stopPropagation();
    });

    panel.addEventListener("keydown", function (ev) {
      // Escape closes the results, by Material's own handler further up; the focus goes back to
      // the box first, so it is not left on a result that is no longer shown.
      if (ev.key === "Escape") input.focus();
      if (ev.key !== "ArrowDown" && ev.key !== "ArrowUp") return;
      move(document.activeElement, ev.key === "ArrowDown" ? 1 : -1);
      ev.preventDefault();
      ev.stopPropagation();
    });

    // A query already in the box (Material's ?q= deep link) is answered too.
    if (input.value.trim()) ask(input.value);
    else idle();
  }

  if (window.document$ && typeof window.document$.subscribe === "function") {
    window.document$.subscribe(mount);
  } else if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
