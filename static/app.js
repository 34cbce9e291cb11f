// The pages' own script, served by the binary: keyboard shortcuts and the
// back button after sign-out. Loaded from a file because the
// Content-Security-Policy allows no inline script.
(function () {
  "use strict";

  // A page restored from the browser's back-forward cache is asked for
  // again: after sign-out the back button then shows the sign-in page,
  // never the page of names that was there before.
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      window.location.reload();
    }
  });

  // One key, one action: an element with data-shortcut="r" is clicked when
  // R is pressed, unless the desk is typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    if (!/^[a-z]$/.test(key)) {
      return;
    }
    var elements = document.querySelectorAll('[data-shortcut="' + key + '"]');
    if (elements.length === 0) {
      return;
    }
    event.preventDefault();
    for (var i = 0; i < elements.length; i++) {
      elements[i].click();
    }
  });

  // The line is bad: a request htmx sent got no answer at all (the
  // connection dropped, or the service is down). The banner says so
  // plainly; the form stays as it was, with its idempotency key, so
  // sending it again does the work once. Any answer hides the banner.
  function offline(shown) {
    var banner = document.getElementById("offline");
    if (banner) {
      banner.hidden = !shown;
    }
  }
  document.addEventListener("htmx:sendError", function () { offline(true); });
  document.addEventListener("htmx:timeout", function () { offline(true); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.xhr && event.detail.xhr.status > 0) {
      offline(false);
    }
  });
})();

// ---- The guest slip (issue 16, templates/slip.html) ----
// A button with data-print prints the page (the print stylesheet leaves
// the slip alone on the paper); a listener here, since the policy allows
// no inline script.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target;
    var button = target && target.closest ? target.closest("[data-print]") : null;
    if (button) {
      event.preventDefault();
      window.print();
    }
  });
})();

// ---- The desk (issue 16): tonight's list kept live, and its keys.
(function () {
  "use strict";

  // The I key puts the cursor in the check-in-by-bed field (an element
  // with data-focus-key="i"), unless the desk is typing in a field.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) {
      return;
    }
    var target = event.target;
    if (target && (target.isContentEditable ||
        /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    var key = (event.key || "").toLowerCase();
    var field = document.querySelector('[data-focus-key="' + key + '"]');
    if (field && /^[a-z]$/.test(key)) {
      event.preventDefault();
      field.focus();
    }
  });

  // Whether the desk is in the middle of something in the list: a field
  // with text, or a part opened to move or end a stay. A fetch of the
  // list then waits, so nothing typed is lost.
  function busy(section) {
    // A request of the list on its way, or its answer being swapped in:
    // htmx gives the new buttons their handlers only when the swap has
    // settled, so a click before then would be lost.
    if (section.matches(".htmx-swapping, .htmx-settling, .htmx-added") ||
        section.querySelector(".htmx-request, .htmx-added")) {
      return true;
    }
    var active = document.activeElement;
    if (active && section.contains(active) &&
        /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName) &&
        active.type !== "hidden" && active.value) {
      return true;
    }
    if (section.querySelector(".confirm-end")) {
      return true;
    }
    return section.querySelector("details.more[open]") !== null;
  }

  // Fetches a shelter's list again through its refresh button (the same
  // request as the R key), now or as soon as the desk is done.
  var pending = {};
  function refresh(shelter) {
    var section = document.getElementById("tonight-" + shelter);
    if (!section) {
      return;
    }
    if (busy(section)) {
      pending[shelter] = true;
      return;
    }
    pending[shelter] = false;
    var button = section.querySelector("button.refresh");
    if (button) {
      button.click();
    }
  }
  function refreshPending() {
    for (var shelter in pending) {
      if (pending[shelter]) {
        refresh(shelter);
      }
    }
  }
  // As soon as a swap has settled, and every 2 s while the desk types.
  document.addEventListener("htmx:afterSettle", function () {
    window.setTimeout(refreshPending, 0);
  });
  window.setInterval(refreshPending, 2000);

  // The bed field keeps the cursor when the list around it is swapped (a
  // live refresh while the desk waits for the next guest). htmx keeps
  // the focus of an element by its id; the field has none (htmx would
  // copy a style attribute across by it, which the CSP forbids).
  var refocus = null;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail && event.detail.target;
    var active = document.activeElement;
    refocus = null;
    if (target && target.id && active && active.hasAttribute("data-focus-key") &&
        target.contains(active)) {
      refocus = target.id;
    }
  });
  document.addEventListener("htmx:afterSettle", function () {
    if (refocus === null) {
      return;
    }
    var field = document.querySelector("#" + refocus + " [data-focus-key]");
    refocus = null;
    if (field && document.activeElement !== field) {
      field.focus();
    }
  });

  // One stream per shelter on the page (it outlives the swaps of the
  // list). When the stream is lost the list is fetched every 60 s until
  // it is back; EventSource reconnects by itself.
  var SLOW_POLL_MS = 60000;
  function listen(section) {
    var shelter = section.getAttribute("data-shelter");
    var url = section.getAttribute("data-live");
    var poll = null;
    function startPolling() {
      if (poll === null) {
        poll = window.setInterval(function () { refresh(shelter); }, SLOW_POLL_MS);
      }
    }
    if (!window.EventSource) {
      startPolling();
      return;
    }
    var source = new EventSource(url);
    source.addEventListener("change", function () { refresh(shelter); });
    source.addEventListener("open", function () {
      if (poll !== null) {
        window.clearInterval(poll);
        poll = null;
        // Whatever changed while the stream was lost.
        refresh(shelter);
      }
    });
    source.addEventListener("error", startPolling);
  }
  function start() {
    var sections = document.querySelectorAll("section[data-live]");
    for (var i = 0; i < sections.length; i++) {
      listen(sections[i]);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
