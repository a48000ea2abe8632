// CSR console: live transcript and queue by polling server-rendered (escaped) fragments.
"use strict";

(function () {
  const TRANSCRIPT_EVERY_MS = 3000;
  const QUEUE_EVERY_MS = 10000;

  function every(ms, fn) {
    window.setInterval(function () {
      if (!document.hidden) fn();
    }, ms);
  }

  function fetchFragment(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } }).then(
      function (response) {
        if (response.redirected || !response.ok) throw new Error("poll " + response.status);
        return response;
      }
    );
  }

  const transcript = document.getElementById("transcript");
  if (transcript) {
    const lastId = function () {
      const items = transcript.querySelectorAll("li[data-id]");
      return items.length ? items[items.length - 1].dataset.id : "0";
    };
    transcript.scrollTop = transcript.scrollHeight;
    every(TRANSCRIPT_EVERY_MS, function () {
      fetchFragment(transcript.dataset.poll + "?after=" + encodeURIComponent(lastId()))
        .then(function (response) {
          const status = document.getElementById("handoff-status");
          const now = response.headers.get("X-Handoff-Status");
          if (status && now) status.textContent = now;
          return response.text();
        })
        .then(function (html) {
          if (html.trim()) {
            transcript.insertAdjacentHTML("beforeend", html);
            transcript.scrollTop = transcript.scrollHeight;
          }
        })
        .catch(function () {});
    });
  }

  const queue = document.getElementById("queue");
  if (queue) {
    every(QUEUE_EVERY_MS, function () {
      fetchFragment(queue.dataset.poll)
        .then(function (response) { return response.text(); })
        .then(function (html) { queue.innerHTML = html; })
        .catch(function () {});
    });
  }

  document.querySelectorAll("select[data-canned-for]").forEach(function (select) {
    select.addEventListener("change", function () {
      const option = select.options[select.selectedIndex];
      const box = document.getElementById(select.dataset.cannedFor);
      if (box && option && option.dataset.text) {
        box.value = option.dataset.text;
        box.focus();
      }
    });
  });
})();
