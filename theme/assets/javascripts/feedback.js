/*
 * "Was this page helpful?": Material's feedback form (partials/feedback.html), sent to our own
 * service instead of a third-party analytics provider.
 *
 * Material calls __md_analytics() for the configured provider (extra.analytics.provider: custom,
 * see partials/integrations/analytics/custom.html). We then wire the form on every page instant
 * navigation loads: a vote goes to POST /api/feedback with a random token made for this page view
 * (one vote per view; no cookies, nothing about the reader), and an optional comment follows to
 * POST /api/feedback/comment. Material's note for the rating is shown as soon as the reader votes:
 * for "no" it is the contact path, prefilled with the page, whether or not the service answers.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 5000;
  var MAX_COMMENT = 500;

  var siteRoot = null;
  var endpoint = null;

  // The site root and the service's address come from config.js, which the page's scripts block
  // loads after this file (Material puts analytics in <head>): ready by DOMContentLoaded.
  function configure() {
    siteRoot = window.helpcenter.siteRoot;
    endpoint = window.helpcenter.api;
  }

  // A fresh random token per page view: the server refuses a second vote with the same one.
  function viewToken() {
    if (window.crypto && typeof crypto.randomUUID === "function") return crypto.randomUUID();
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  // The page's path from the site root, as the built site names it ("/returns/policy/").
  function pagePath() {
    var path = location.pathname;
    var root = siteRoot.pathname;
    if (path.indexOf(root) === 0) path = "/" + path.slice(root.length);
    try {
      return decodeURIComponent(path);
    } catch (err) {
      return path;
    }
  }

  function post(path, body) {
    var controller = new AbortController();
    var timeout = setTimeout(function () { controller.abort(); }, TIMEOUT_MS);
    return fetch(endpoint(path), {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      credentials: "omit",
      keepalive: true,
      signal: controller.signal
    }).then(function (response) {
      return response.status;
    }, function () {
      return 0;
    }).finally(function () {
      clearTimeout(timeout);
    });
  }

  function element(tag, className, text) {
    var el = document.createElement(tag);
    if (className) el.className = className;
    if (text) el.textContent = text;
    return el;
  }

  // The notes come from mkdocs.yml with root paths ("/sellers/contact/…"): point them at the
  // site root, wherever the site is hosted.
  function rebase(note) {
    note.querySelectorAll("a[href^='/']").forEach(function (link) {
      link.href = new URL(link.getAttribute("href").slice(1), siteRoot).href;
    });
  }

  function commentBox(view, status) {
    var box = element("div", "helpcenter-feedback__comment");
    box.setAttribute("data-feedback-comment", "");
    var id = "helpcenter-feedback-comment";
    var label = element("label", "", "Anything we should add or fix? (optional)");
    label.htmlFor = id;
    var text = element("textarea");
    text.id = id;
    text.rows = 3;
    text.maxLength = MAX_COMMENT;
    var hint = element("p", "helpcenter-feedback__hint",
      "Please leave out your name, email, phone or order number.");
    var send = element("button", "md-button", "Send comment");
    send.type = "button";
    send.addEventListener("click", function () {
      var comment = text.value.trim();
      if (!comment) {
        text.focus();
        return;
      }
      send.disabled = true;
      post("/api/feedback/comment", { view: view, comment: comment }).then(function (code) {
        if (code === 200 || code === 409) {
          box.hidden = true;
          status.textContent = "Thank you, your comment was sent.";
        } else {
          send.disabled = false;
          status.textContent = "Your comment could not be sent. Please try again later.";
        }
      });
    });
    box.appendChild(label);
    box.appendChild(text);
    box.appendChild(hint);
    box.appendChild(send);
    return box;
  }

  function mount() {
    var form = document.forms.feedback;
    if (!form || form.hasAttribute("data-feedback")) return;
    form.setAttribute("data-feedback", "");
    var fieldset = form.querySelector("fieldset");
    var view = viewToken();
    var voted = false;
    var status = element("p", "helpcenter-feedback__status");
    status.setAttribute("role", "status");
    form.appendChild(status);
    form.addEventListener("submit", function (ev) { ev.preventDefault(); });

    form.querySelectorAll("[type=submit][data-md-value]").forEach(function (button) {
      button.addEventListener("click", function (ev) {
        ev.preventDefault();
        // One vote per view, whatever the buttons' state.
        if (voted) return;
        voted = true;
        var value = button.getAttribute("data-md-value");
        if (fieldset) fieldset.disabled = true;
        var note = form.querySelector(".md-feedback__note [data-md-value='" + value + "']");
        if (note) {
          rebase(note);
          note.hidden = false;
        }
        var vote = { page: pagePath(), helpful: value === "1", view: view };
        post("/api/feedback", vote).then(function (code) {
          if (code === 201) {
            form.insertBefore(commentBox(view, status), status);
          } else if (code !== 409) {
            status.textContent = "Your vote could not be sent, but thank you all the same.";
          }
        });
      });
    });
    form.hidden = false;
  }

  window.__md_analytics = function () {
    function start() {
      configure();
      if (window.document$ && typeof window.document$.subscribe === "function") {
        window.document$.subscribe(mount);
      } else {
        mount();
      }
    }
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", start);
    } else {
      start();
    }
  };
})();
