/* Order-status widget: posts the form to the lookup API and shows the answer in place.
   Without JavaScript the same form posts to the service's page (lookup/pages.py), which
   renders the same content; keep the two in step (lookup/templates/order_status_answer.html). */
(() => {
  "use strict";

  // Read once, like Material's __config: instant navigation never replaces this tag, and the
  // relative base must be resolved against the page that carried it.
  const tag = document.getElementById("__helpcenter");
  const cfg = tag ? JSON.parse(tag.textContent) : {};
  const site = new URL(cfg.base || "/", location.href);
  const api = String(cfg.api_base || "").replace(/\/+$/, "") + "/api/orders/lookup";

  // The stages a buyer sees; the same table as STAGES in lookup/pages.py.
  const FLOW = ["Ordered", "Paid", "Preparing", "Shipped", "Delivered", "Completed"];
  const CANCEL = ["Ordered", "Cancelled", "Refunded"];
  const RETURN = ["Delivered", "Return requested", "Returned", "Refunded"];
  const AT = {
    awaiting_payment: [FLOW, 0], paid: [FLOW, 1], preparing_shipment: [FLOW, 2],
    shipped: [FLOW, 3], out_for_delivery: [FLOW, 3], delivery_exception: [FLOW, 3],
    delivered: [FLOW, 4], completed: [FLOW, 5], cancelled: [CANCEL, 1],
    return_requested: [RETURN, 1], returned: [RETURN, 2], refunded: [RETURN, 3],
  };
  // "Return by Sat 6 Dec": the verb each dated step starts with.
  const VERB = {
    pay: "Pay", cancel: "Cancel", return: "Return", exchange: "Exchange",
    not_as_described: "Report it", not_received: "Report it", confirm_receipt: "Confirm",
  };
  const DAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

  const esc = (s) => String(s == null ? "" : s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // Only links a buyer can safely follow: the web, mail, and paths of this site.
  const href = (u) => esc(/^(https?:|mailto:|\/|#)/i.test(u || "") ? u : "#");
  const link = (l, cls) => `<a${cls ? ` class="${cls}"` : ""} href="${href(l.url)}">${esc(l.label)}</a>`;

  // Dates as written in the ISO string: a carrier's event keeps its own local time.
  const parts = (iso) => {
    const m = /^(\d{4})-(\d\d)-(\d\d)(?:T(\d\d):(\d\d))?/.exec(iso || "");
    return m && { y: +m[1], mo: +m[2], d: +m[3], t: m[4] ? `${m[4]}:${m[5]}` : "" };
  };
  const today = () => {
    const n = new Date();
    return Date.UTC(n.getFullYear(), n.getMonth(), n.getDate());
  };
  const day = (iso, withTime) => {
    const p = parts(iso);
    if (!p) return esc(iso);
    const at = new Date(Date.UTC(p.y, p.mo - 1, p.d));
    const year = p.y === new Date().getFullYear() ? "" : ` ${p.y}`;
    return `${DAYS[at.getUTCDay()]} ${p.d} ${MONTHS[p.mo - 1]}${year}${withTime && p.t ? `, ${p.t}` : ""}`;
  };
  const left = (iso) => {
    const p = parts(iso);
    if (!p) return "";
    const n = Math.round((Date.UTC(p.y, p.mo - 1, p.d) - today()) / 864e5);
    return n > 1 ? `${n} days left` : n === 1 ? "1 day left" : n === 0 ? "last day today" : "closed";
  };
  const due = (s) => `${VERB[s.id] ? `${VERB[s.id]} by` : "By"} ${day(s.deadline)} — ${left(s.deadline)}`;

  const stages = (code, shipped) => {
    // A refund before shipping ends a cancellation, not a return.
    const [names, now] = code === "refunded" && !shipped ? [CANCEL, 2] : AT[code] || [FLOW, -1];
    return `<ol class="hc-stages" aria-label="Order progress">${names.map((name, i) => {
      const state = i < now ? "done" : i === now ? "now" : "todo";
      const mark = state === "done" ? "✓" : state === "now" ? "●" : "○";
      const label = state === "done" ? "done" : state === "now" ? "current stage" : "to come";
      return `<li class="hc-stage hc-stage--${state}"${state === "now" ? ' aria-current="step"' : ""}>` +
        `<span class="hc-stage__mark" aria-hidden="true">${mark}</span>${esc(name)}` +
        `<span class="hc-sr"> (${label})</span>${state === "now" ? '<span class="hc-stage__now" aria-hidden="true">Now</span>' : ""}</li>`;
    }).join("")}</ol>`;
  };

  const event = (e) => `<li><time datetime="${esc(e.at)}">${day(e.at, true)}</time> ` +
    `<strong>${esc(e.title)}</strong>${e.location ? ` · ${esc(e.location)}` : ""}</li>`;

  const timeline = (events) => {
    if (!events.length) return "<p>No tracking updates yet.</p>";
    const older = events.slice(1);
    return `<ol class="hc-timeline">${event(events[0])}</ol>` + (older.length
      ? `<details class="hc-older"><summary>Earlier updates (${older.length})</summary>` +
        `<ol class="hc-timeline">${older.map(event).join("")}</ol></details>` : "");
  };

  const card = (s) => `<li class="hc-card"><h5 class="hc-card__title">${esc(s.title)}</h5>` +
    (s.deadline ? `<p class="hc-card__due"><time datetime="${esc(s.deadline)}">${due(s)}</time></p>` : "") +
    (s.detail ? `<p>${esc(s.detail)}</p>` : "") +
    ((s.links || []).length ? `<p class="hc-card__links">${s.links.map((l) => link(l)).join(" ")}</p>` : "") + "</li>";

  // The seller's buttons first; support is for when the seller does not answer.
  const contact = (c) => {
    const links = c.links || [];
    const support = links.find((l) => l.id === "support");
    return "<h4>Contact the seller</h4>" + (c.seller_name ? `<p>Sold by <strong>${esc(c.seller_name)}</strong></p>` : "") +
      `<p class="hc-contact__links">${links.filter((l) => l !== support).map((l) => link(l, "md-button")).join(" ")}</p>` +
      (support ? `<p>Seller not answering? ${link(support)}</p>` : "");
  };

  const answer = (data) => {
    const order = data.order || {};
    const status = data.status || {};
    const steps = data.next_steps || [];
    return `<div class="hc-answer"><h3 class="hc-answer__title" tabindex="-1">` +
      `Order ${esc(order.order_number)}: ${esc(status.label || status.code)}</h3>` +
      `<p class="hc-answer__meta">Placed ${day(order.placed_at)}` +
      (order.items || []).map((i) => ` · ${esc(i.quantity)} × ${esc(i.name)}`).join("") + "</p>" +
      stages(status.code, (order.shipping || {}).shipped_at) +
      `<section class="hc-answer__part"><h4>Tracking</h4>${timeline(data.timeline || [])}</section>` +
      `<section class="hc-answer__part"><h4>What you can do next</h4>` +
      (steps.length ? `<ul class="hc-cards">${steps.map(card).join("")}</ul>` : "<p>Nothing to do: all is on its way.</p>") +
      `</section><section class="hc-answer__part hc-contact">${contact(data.contact || {})}</section></div>`;
  };

  const problem = (title, body) => `<div class="hc-problem"><h3 class="hc-answer__title" tabindex="-1">` +
    `<span aria-hidden="true">⚠ </span>${esc(title)}</h3>${body}</div>`;

  const NOT_FOUND = problem("We could not find that order",
    "<p>No order matches that order number and email together. Check that:</p><ul>" +
    "<li>the order number is copied from your confirmation email (e.g. CM-100234);</li>" +
    "<li>the email is the one you ordered with, not another address of yours;</li>" +
    "<li>the order was placed on this marketplace, not directly in a seller's own shop.</li></ul>");

  // Retry-After is seconds or an HTTP date; either way say when, in words and on the clock.
  const wait = (value) => {
    let s = Number(value);
    if (!value || isNaN(s)) s = Math.max(0, (Date.parse(value) - Date.now()) / 1e3) || 60;
    const at = new Date(Date.now() + s * 1e3).toTimeString().slice(0, 5);
    const span = s < 60 ? `${Math.ceil(s)} seconds` : `${Math.ceil(s / 60)} minute${s > 60 ? "s" : ""}`;
    return problem("Too many attempts", `<p>For your safety we pause look-ups after several misses. ` +
      `Try again in ${span} (at ${at}).</p>`);
  };

  const UNREACHABLE = () => problem("The order service is not answering",
    "<p>We cannot look up orders right now. Please try again in a few minutes.</p>" +
    `<p>You can still reach the seller: <a class="md-button" href="${esc(new URL("sellers/contact/", site))}">How to contact a seller</a></p>`);

  // The answer goes into the live region in one piece, then the region stops being busy: screen
  // readers announce it once. Focus moves to its heading, where keyboard users carry on.
  const show = (out, html, focus) => {
    out.innerHTML = html;
    out.removeAttribute("aria-busy");
    (focus || out.querySelector(".hc-answer__title")).focus();
  };

  // A field's error, in words under it and tied to it; an empty message clears it.
  const FIELD_ERRORS = {
    order_number: "Enter the order number from your confirmation email, e.g. CM-100234.",
    email: "Enter the email you ordered with, e.g. name@example.com.",
  };
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
  // The fields that cannot be sent as typed: the same blanks and leading "#" the service ignores.
  const invalid = (form) => [
    [form.order_number, !form.order_number.value.trim().replace(/^#+/, "").trim()],
    [form.email, !/^[^\s@]+@[^\s@]+$/.test(form.email.value.trim())],
  ].filter(([, bad]) => bad).map(([input]) => input);

  const submit = async (form, out) => {
    if (out.getAttribute("aria-busy")) return;
    const wrong = invalid(form);
    [form.order_number, form.email].forEach((input) => mark(input, wrong.includes(input) ? FIELD_ERRORS[input.name] : ""));
    if (wrong.length) return wrong[0].focus();
    out.setAttribute("aria-busy", "true");
    out.innerHTML = '<p class="hc-loading">Looking up your order…</p>';
    const body = { order_number: form.order_number.value, email: form.email.value };
    let res;
    try {
      res = await fetch(api, {
        method: "POST", credentials: "omit", cache: "no-store",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
      });
    } catch (err) {
      return show(out, UNREACHABLE());
    }
    if (res.status === 200) return show(out, answer(await res.json()));
    if (res.status === 404) return show(out, NOT_FOUND);
    if (res.status === 429) return show(out, wait(res.headers.get("Retry-After")));
    if (res.status >= 500) return show(out, UNREACHABLE());
    const err = ((await res.json().catch(() => ({}))).error) || {};
    // The service names the field it refused ("email: ..."): mark it and send the buyer there.
    const field = form.elements[(/^(order_number|email):/.exec(err.detail || "") || [])[1]];
    if (field) mark(field, FIELD_ERRORS[field.name]);
    show(out, problem("Please check what you typed", `<p>${esc(err.detail || "The order number or the email is not valid.")}</p>`), field);
  };

  const mount = (root) => {
    if (root.dataset.hcReady) return;
    root.dataset.hcReady = "1";
    const form = root.querySelector("form");
    const out = root.querySelector(".hc-lookup__result");
    // Our own messages, tied to the fields, replace the browser's bubbles (which no screen reader
    // keeps); without JavaScript the browser's own checks still apply.
    form.noValidate = true;
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      submit(form, out);
    });
  };

  // Material re-renders the content on every instant navigation and emits on document$.
  const ready = () => document.querySelectorAll("[data-hc-lookup]").forEach(mount);
  if (window.document$) window.document$.subscribe(ready);
  else ready();
})();
