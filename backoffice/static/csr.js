// CSR console: live transcript and queue by polling server-rendered (escaped) fragments.
"use strict";

(function () {
  const TRANSCRIPT_EVERY_MS = 3000;
  const QUEUE_EVERY_MS = 30000;

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
    const refreshQueue = function () {
      fetchFragment(queue.dataset.poll)
        .then(function (response) { return response.text(); })
        .then(function (html) { queue.innerHTML = html; })
        .catch(function () {});
    };
    // At once when the alerts see a change; now and then for the minutes waited.
    document.addEventListener("queuechange", refreshQueue);
    every(QUEUE_EVERY_MS, refreshQueue);
  }

  const alerts = document.getElementById("alerts");
  if (alerts) watchQueue(alerts);

  // The queue, watched from every console tab by long polling: the number waiting in
  // the tab's title, and (when the CSR turned them on) a sound and a notification for a
  // new or overdue chat.
  function watchQueue(box) {
    const LONG_POLL_SECONDS = 20;
    const RETRY_MS = 5000;
    const baseTitle = document.title;
    const count = document.getElementById("alert-count");
    const prefs = JSON.parse(window.localStorage.getItem("csr-alerts") || "{}");
    let audio = null;
    let seen = "";
    let known = null;
    let knownLate = new Set();

    box.querySelectorAll("button[data-alert]").forEach(function (button) {
      const kind = button.dataset.alert;
      button.setAttribute("aria-pressed", prefs[kind] ? "true" : "false");
      button.addEventListener("click", function () {
        prefs[kind] = !prefs[kind];
        if (kind === "notify" && prefs.notify && "Notification" in window) {
          Notification.requestPermission();
        }
        if (kind === "sound" && prefs.sound) beep();
        button.setAttribute("aria-pressed", prefs[kind] ? "true" : "false");
        window.localStorage.setItem("csr-alerts", JSON.stringify(prefs));
      });
    });

    function beep() {
      const Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) return;
      audio = audio || new Context();
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.1;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.25);
    }

    function announce(fresh, late) {
      const text = fresh ? fresh + " new chat" + (fresh > 1 ? "s" : "") + " waiting"
                         : late + " chat" + (late > 1 ? "s" : "") + " waiting too long";
      if (prefs.sound) beep();
      if (prefs.notify && "Notification" in window && Notification.permission === "granted") {
        new Notification(text, { tag: "csr-queue", body: document.title });
      }
    }

    function show(state) {
      const waiting = state.waiting.length;
      document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
      count.textContent = waiting ? waiting + " waiting" : "";
      if (known !== null) {
        const fresh = state.waiting.filter(function (id) { return !known.has(id); }).length;
        const late = state.overdue.filter(function (id) { return !knownLate.has(id); }).length;
        if (fresh || late) announce(fresh, late);
      }
      known = new Set(state.waiting);
      knownLate = new Set(state.overdue);
    }

    function poll(wait) {
      const asked = Date.now();
      const url = box.dataset.poll + "?seen=" + encodeURIComponent(seen) + "&wait=" + wait;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (response.redirected || !response.ok) throw new Error("alerts " + response.status);
          return response.json();
        })
        .then(function (state) {
          const changed = seen !== "" && state.token !== seen;
          seen = state.token;
          show(state);
          if (changed) document.dispatchEvent(new CustomEvent("queuechange"));
          // A server that cannot hold requests open (sync workers) answers at once:
          // then ask again after a pause rather than at once.
          const quick = wait > 0 && !changed && Date.now() - asked < 1000;
          window.setTimeout(function () { poll(LONG_POLL_SECONDS); }, quick ? RETRY_MS : 0);
        })
        .catch(function () { window.setTimeout(function () { poll(LONG_POLL_SECONDS); }, RETRY_MS); });
    }
    poll(0);
  }

  // Column headings as labels of their cells, for the stacked tables on a phone.
  document.querySelectorAll("main table").forEach(function (table) {
    const rows = Array.from(table.rows);
    const head = rows.find(function (row) {
      return row.cells.length > 1 && Array.from(row.cells).every(function (c) { return c.tagName === "TH"; });
    });
    if (!head) return;
    head.classList.add("head-row");
    const headings = Array.from(head.cells).map(function (th) { return th.textContent.trim(); });
    rows.forEach(function (row) {
      if (row === head) return;
      Array.from(row.cells).forEach(function (cell, index) {
        if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", headings[index] || "");
      });
    });
  });

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
