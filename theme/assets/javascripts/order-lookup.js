/* Order-status widget: posts the form to the lookup API and shows the answer in place.
   It only prints: the answer brings its own words (heading, stages, dates, deadlines, steps) in
   the page's language, and the widget's markup brings the rest (data-hc-words, from the
   catalogue in lookup/messages). Without JavaScript the same form posts to the service's page
   (lookup/web/pages.py), which prints the same answer with the same markup
   (lookup/web/templates/order_status_answer.html). */
(() => {
  "use strict";

  const site = window.helpcenter;
  const api = site.api("/api/orders/lookup");

  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // Only links a buyer can safely follow: the web, mail, and paths of this site.
  const href = (u) => esc(/^(https?:|mailto:|\/|#)/i.test(u || "") ? u : "#");
  const link = (l, cls) => `<a${cls ? ` class="${cls}"` : ""} href="${href(l.url)}">${esc(l.label)}</a>`;
  // "{n} minutes" filled in: the catalogue's placeholders, by name.
  const fill = (text, values) => String(text || "").replace(/\{(\w+)\}/g, (m, k) => (k in values ? values[k] : m));

  const MARKS = { done: "✓", now: "●", todo: "○" };

  const stages = (list, w) => `<ol class="hc-stages" aria-label="${esc(w.progress)}">${list.map((s) =>
    `<li class="hc-stage hc-stage--${esc(s.state)}"${s.state === "now" ? ' aria-current="step"' : ""}>` +
    `<span class="hc-stage__mark" aria-hidden="true">${MARKS[s.state] || ""}</span>${esc(s.name)}` +
    `<span class="hc-sr"> (${esc(w[`stage_${s.state}`])})</span>` +
    (s.state === "now" ? `<span class="hc-stage__now" aria-hidden="true">${esc(w.now)}</span>` : "") + "</li>"
  ).join("")}</ol>`;

  const event = (e) => `<li><time datetime="${esc(e.at)}">${esc(e.when || e.at)}</time> ` +
    `<strong>${esc(e.title)}</strong>${e.location ? ` · ${esc(e.location)}` : ""}</li>`;

  const timeline = (events, w) => {
    if (!events.length) return `<p>${esc(w.no_tracking)}</p>`;
    const older = events.slice(1);
    return `<ol class="hc-timeline">${event(events[0])}</ol>` + (older.length
      ? `<details class="hc-older"><summary>${esc(fill(w.earlier, { n: older.length }))}</summary>` +
        `<ol class="hc-timeline">${older.map(event).join("")}</ol></details>` : "");
  };

  const card = (s) => `<li class="hc-card"><h5 class="hc-card__title">${esc(s.title)}</h5>` +
    (s.deadline ? `<p class="hc-card__due"><time datetime="${esc(s.deadline)}">${esc(s.due)}</time></p>` : "") +
    (s.detail ? `<p>${esc(s.detail)}</p>` : "") +
    ((s.links || []).length ? `<p class="hc-card__links">${s.links.map((l) => link(l)).join(" ")}</p>` : "") + "</li>";

  // The seller's buttons first; support is for when the seller does not answer.
  const contact = (c, w) => {
    const links = c.links || [];
    const support = links.find((l) => l.id === "support");
    return `<h4>${esc(w.contact)}</h4>` +
      (c.seller_name ? `<p>${esc(w.sold_by)} <strong>${esc(c.seller_name)}</strong></p>` : "") +
      `<p class="hc-contact__links">${links.filter((l) => l !== support).map((l) => link(l, "md-button")).join(" ")}</p>` +
      (support ? `<p>${esc(w.seller_silent)} ${link(support)}</p>` : "");
  };

  const answer = (data, w) => {
    const order = data.order || {};
    const steps = data.next_steps || [];
    return `<div class="hc-answer"><h3 class="hc-answer__title" tabindex="-1">${esc(data.heading)}</h3>` +
      `<p class="hc-answer__meta">${esc(data.placed)}` +
      (order.items || []).map((i) => ` · ${esc(i.quantity)} × ${esc(i.name)}`).join("") + "</p>" +
      stages(data.stages || [], w) +
      `<section class="hc-answer__part"><h4>${esc(w.tracking)}</h4>${timeline(data.timeline || [], w)}</section>` +
      `<section class="hc-answer__part"><h4>${esc(w.next)}</h4>` +
      (steps.length ? `<ul class="hc-cards">${steps.map(card).join("")}</ul>` : `<p>${esc(w.nothing_to_do)}</p>`) +
      `</section><section class="hc-answer__part hc-contact">${contact(data.contact || {}, w)}</section></div>`;
  };

  const problem = (title, body) => `<div class="hc-problem"><h3 class="hc-answer__title" tabindex="-1">` +
    `<span aria-hidden="true">⚠ </span>${esc(title)}</h3>${body}</div>`;

  const notFound = (w) => problem(w.not_found_title, `<p>${esc(w.not_found_intro)}</p><ul>` +
    [w.not_found_number, w.not_found_email, w.not_found_shop].map((x) => `<li>${esc(x)}</li>`).join("") + "</ul>");

  // Retry-After is seconds or an HTTP date; either way say when, in words and on the clock.
  const wait = (value, w) => {
    let s = Number(value);
    if (!value || isNaN(s)) s = Math.max(0, (Date.parse(value) - Date.now()) / 1e3) || 60;
    const at = new Date(Date.now() + s * 1e3).toTimeString().slice(0, 5);
    const minutes = Math.ceil(s / 60);
    const span = s < 60 ? fill(w.seconds, { n: Math.ceil(s) })
      : fill(minutes === 1 ? w.minute_one : w.minute_other, { n: minutes });
    return problem(w.limited_title, `<p>${esc(fill(w.limited_at, { wait: span, at }))}</p>`);
  };

  // The seller-contact article of the page's language, a path from the site root.
  const unreachable = (w) => problem(w.unreachable_title, `<p>${esc(w.unreachable)}</p>` +
    `<p>${esc(w.still_reach)} <a class="md-button" href="${esc(new URL(String(w.contact_page || "").replace(/^\//, ""), site.siteRoot))}">` +
    `${esc(w.how_to_contact)}</a></p>`);

  // The answer goes into the live region in one piece, then the region stops being busy: screen
  // readers announce it once. Focus moves to its heading, where keyboard users carry on.
  const show = (out, html, focus) => {
    out.innerHTML = html;
    out.removeAttribute("aria-busy");
    (focus || out.querySelector(".hc-answer__title")).focus();
  };

  // A field's error, in words under it and tied to it; an empty message clears it.
  const mark = (input, message) => {
    const id = `${input.id}-error`;
    let note = document.getElementById(id);
    if (!note) {
      note = document.createElement("p");
      note.id = id;
      note.className = "hc-lookup__error";
      input.parentElement.appendChild(note);
    }
    note.textContent = message ? `⚠ ${message}` : "";
    note.hidden = !message;
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((x) => x && x !== id);
    if (message) input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
    input.setAttribute("aria-describedby", described.concat(message ? [id] : []).join(" "));
  };
  const fieldError = (input, w) => w[`${input.name}_error`];
  // The fields that cannot be sent as typed: the same blanks and leading "#" the service ignores.
  const invalid = (form) => [
    [form.order_number, !form.order_number.value.trim().replace(/^#+/, "").trim()],
    [form.email, !/^[^\s@]+@[^\s@]+$/.test(form.email.value.trim())],
  ].filter(([, bad]) => bad).map(([input]) => input);

  const submit = async (form, out, w) => {
    if (out.getAttribute("aria-busy")) return;
    const wrong = invalid(form);
    [form.order_number, form.email].forEach((input) => mark(input, wrong.includes(input) ? fieldError(input, w) : ""));
    if (wrong.length) return wrong[0].focus();
    out.setAttribute("aria-busy", "true");
    out.innerHTML = `<p class="hc-loading">${esc(w.loading)}</p>`;
    // The page's language, which the widget's markup carries; the service answers in it.
    const lang = form.elements.lang ? form.elements.lang.value : document.documentElement.lang;
    const body = { order_number: form.order_number.value, email: form.email.value };
    if (lang) body.lang = lang;
    let res;
    try {
      res = await fetch(api, {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return show(out, unreachable(w));
    }
    if (res.status === 200) return show(out, answer(await res.json(), w));
    if (res.status === 404) return show(out, notFound(w));
    if (res.status === 429) return show(out, wait(res.headers.get("Retry-After"), w));
    if (res.status >= 500) return show(out, unreachable(w));
    const err = ((await res.json().catch(() => ({}))).error) || {};
    // The service names the field it refused ("email: ..."): mark it and send the buyer there.
    const field = form.elements[(/^(order_number|email):/.exec(err.detail || "") || [])[1]];
    if (field) mark(field, fieldError(field, w));
    show(out, problem(w.check_title, `<p>${esc(err.detail || w.check_default)}</p>`), field);
  };

  const mount = (root) => {
    if (root.dataset.hcReady) return;
    root.dataset.hcReady = "1";
    const form = root.querySelector("form");
    const out = root.querySelector(".hc-lookup__result");
    let words = {};
    try {
      words = JSON.parse(root.dataset.hcWords || "{}");
    } catch (err) {
      words = {};
    }
    // Our own messages, tied to the fields, replace the browser's bubbles (which no screen reader
    // keeps); without JavaScript the browser's own checks still apply.
    form.noValidate = true;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(form, out, words);
    });
  };

  // Material re-renders the content on every instant navigation and emits on document$.
  const ready = () => document.querySelectorAll("[data-hc-lookup]").forEach(mount);
  if (window.document$) window.document$.subscribe(ready);
  else ready();
})();
