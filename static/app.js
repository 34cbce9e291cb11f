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
