// The order assistant's web chat. On a shop's page, one
//   <script src="https://ASSISTANT/chat/widget.js" defer></script>
// adds a chat bubble; on /chat the same script fills the page (data-mode="page").
// Plain DOM in a shadow root; customer text only ever through textContent; no inline
// scripts, styles or handlers, so a strict Content-Security-Policy holds.
(function () {
  "use strict";

  const script = document.currentScript;
  if (!script || window.orderAssistantChat) return; // loaded twice: one widget is enough
  window.orderAssistantChat = true;

  const base = script.src.replace(/\/chat\/widget\.js(?:[?#].*)?$/, "");
  const pageMode = script.dataset.mode === "page";
  const TOKEN_HEADER = "X-Chat-Token";
  const TOKEN_KEY = "order-assistant-chat:" + base;
  const RETRY_DELAYS_MS = [1000, 2000, 5000, 10000, 30000];
  const SHORT_POLL_MS = 3000; // when the server answers a long poll at once (wait off)
  // A closed widget only looks for news (the unread count) once a minute, unless the
  // visitor wrote in the last few minutes: every page of a shop carries the widget, and
  // a past visitor's open tabs must not keep the server busy.
  const IDLE_POLL_MS = 60000;
  const RECENT_MS = 10 * 60 * 1000;

  // The visitor's token lives in the page's localStorage (a header, never a cookie):
  // it survives page loads, and no other site's request can carry it.
  const tokenStore = {
    memory: null,
    get() {
      try {
        return window.localStorage.getItem(TOKEN_KEY);
      } catch (e) {
        return this.memory; // storage blocked: the chat lasts as long as the page
      }
    },
    set(token) {
      this.memory = token;
      try {
        if (token) window.localStorage.setItem(TOKEN_KEY, token);
        else window.localStorage.removeItem(TOKEN_KEY);
      } catch (e) {
        /* kept in memory */
      }
    },
  };

  let texts = {};
  let lastId = 0;
  let polling = false;
  let wakePoller = null;
  let lastSentAt = 0;
  let historyShown = false; // what was there before this page is not "unread"
  let unread = 0;
  const ui = {};

  // Wait `ms`, or less if the widget is opened meanwhile.
  function nap(ms) {
    return new Promise(function (resolve) {
      wakePoller = resolve;
      window.setTimeout(resolve, ms);
    });
  }

  function element(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (name === "text") node.textContent = value;
      else node.setAttribute(name, value);
    }
    for (const child of children || []) node.appendChild(child);
    return node;
  }

  function request(path, options) {
    const headers = Object.assign({}, (options && options.headers) || {});
    const token = tokenStore.get();
    if (token) headers[TOKEN_HEADER] = token;
    return fetch(base + path, Object.assign({}, options, {
      headers: headers,
      mode: "cors",
      credentials: "omit",
      cache: "no-store",
    }));
  }

  // --- building the widget ------------------------------------------------------------

  function build(host) {
    const shadow = host.attachShadow({ mode: "open" });
    const root = element("div", { class: "root", hidden: "" });
    const stylesheet = element("link", { rel: "stylesheet", href: base + "/chat/static/chat.css" });
    const reveal = function () {
      root.hidden = false;
    };
    stylesheet.addEventListener("load", reveal);
    stylesheet.addEventListener("error", reveal);
    shadow.append(stylesheet, root);

    const title = element("h2", { id: "chat-title", text: texts.title });
    const header = element("header", {}, [title]);
    ui.person = element("button", { type: "button", class: "person", text: texts.person });
    ui.log = element("ol", {
      class: "log",
      role: "log",
      "aria-live": "polite",
      "aria-labelledby": "chat-title",
      tabindex: "0",
    });
    ui.choices = element("div", { class: "choices", role: "group", "aria-label": texts.choices });
    ui.status = element("p", { class: "status", role: "status" });
    ui.input = element("input", {
      id: "chat-text",
      name: "text",
      maxlength: "2000",
      autocomplete: "off",
      placeholder: texts.placeholder,
    });
    ui.send = element("button", { type: "submit", text: texts.send });
    const label = element("label", { for: "chat-text", class: "visually-hidden", text: texts.label });
    // No action or method: without this script nothing is submitted, and text never
    // travels in a URL.
    ui.form = element("form", { class: "compose" }, [label, ui.input, ui.send]);
    ui.panel = element("section", { class: "panel", "aria-labelledby": "chat-title" }, [
      header,
      ui.log,
      ui.choices,
      ui.status,
      ui.form,
      element("div", { class: "tools" }, [ui.person]),
    ]);

    if (pageMode) {
      host.dataset.mode = "page";
      root.append(ui.panel);
    } else {
      host.dataset.mode = "bubble";
      ui.close = element("button", {
        type: "button",
        class: "close",
        "aria-label": texts.close,
        title: texts.close,
        text: "\u00d7",
      });
      header.append(ui.close);
      ui.panel.id = "chat-panel";
      ui.panel.setAttribute("role", "dialog");
      ui.panel.hidden = true;
      ui.unread = element("span", { class: "unread", hidden: "" });
      ui.bubble = element(
        "button",
        { type: "button", class: "bubble", "aria-expanded": "false", "aria-controls": "chat-panel" },
        [element("span", { text: texts.open }), ui.unread]
      );
      ui.bubble.addEventListener("click", function () {
        setOpen(ui.panel.hidden);
      });
      ui.close.addEventListener("click", function () {
        setOpen(false);
      });
      ui.panel.addEventListener("keydown", function (event) {
        if (event.key === "Escape") setOpen(false);
      });
      root.append(ui.panel, ui.bubble);
    }

    ui.form.addEventListener("submit", function (event) {
      event.preventDefault();
      const text = ui.input.value.trim();
      if (text) send("/chat/messages", text);
    });
    ui.person.addEventListener("click", function () {
      send("/chat/handoff", null);
    });
  }

  function setOpen(open) {
    ui.panel.hidden = !open;
    ui.bubble.setAttribute("aria-expanded", String(open));
    if (open) {
      if (wakePoller) wakePoller();
      unread = 0;
      ui.unread.hidden = true;
      ui.log.scrollTop = ui.log.scrollHeight;
      ui.input.focus();
    } else {
      ui.bubble.focus();
    }
  }

  // --- messages -----------------------------------------------------------------------

  function speaker(from) {
    if (from === "you") return texts.you;
    if (from === "csr") return texts.team;
    return texts.shop;
  }

  function show(messages) {
    let latest = null;
    for (const message of messages) {
      if (message.id <= lastId) continue;
      lastId = message.id;
      latest = message;
      const who = element("span", { class: "visually-hidden", text: speaker(message.from) + ": " });
      const item = element("li", { class: "msg " + message.from, "data-id": String(message.id) }, [who]);
      item.append(document.createTextNode(message.text));
      ui.log.appendChild(item);
      if (historyShown && message.from !== "you" && ui.bubble && ui.panel.hidden) {
        unread += 1;
        ui.unread.textContent = String(unread);
        ui.unread.hidden = false;
      }
    }
    if (latest) {
      showChoices(latest.from === "you" ? [] : latest.choices);
      ui.log.scrollTop = ui.log.scrollHeight;
    }
  }

  function showChoices(labels) {
    ui.choices.replaceChildren();
    for (const label of labels) {
      const button = element("button", { type: "button", text: label });
      button.addEventListener("click", function () {
        send("/chat/messages", label);
      });
      ui.choices.appendChild(button);
    }
  }

  function busy(on) {
    ui.send.disabled = on;
    ui.person.disabled = on;
    for (const button of ui.choices.querySelectorAll("button")) button.disabled = on;
  }

  // `text` null: the endpoint takes no body (the "talk to a person" button).
  async function send(path, text) {
    busy(true);
    ui.status.textContent = "";
    const typed = ui.input.value;
    if (text !== null && typed.trim() === text) ui.input.value = "";
    try {
      let response = await post(path, text);
      if (response.status === 401) {
        forget(); // an expired chat: start a new one, and say it there
        response = await post(path, text);
      }
      if (!response.ok) throw new Refusal(await refusal(response));
      const answer = await response.json();
      tokenStore.set(answer.token);
      lastSentAt = Date.now();
      show(answer.messages);
      historyShown = true;
      poll();
    } catch (e) {
      ui.status.textContent = (e instanceof Refusal && e.message) || texts.error;
      if (!ui.input.value) ui.input.value = typed; // nothing typed is lost
    } finally {
      busy(false);
      ui.input.focus();
    }
  }

  // The server said no: with its words when it gave some (e.g. "slow down", over a limit).
  class Refusal extends Error {}

  // The message of an {"error": {"message"}} answer, else "" (our own "not sent" then).
  async function refusal(response) {
    try {
      const message = (await response.json()).error.message;
      return typeof message === "string" ? message : "";
    } catch (e) {
      return "";
    }
  }

  function post(path, text) {
    return request(path + "?after=" + lastId, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(text === null ? {} : { text: text }),
    });
  }

  function forget() {
    tokenStore.set(null);
    lastId = 0;
    ui.log.replaceChildren();
    showChoices([]);
  }

  function live() {
    return pageMode || !ui.panel.hidden || Date.now() - lastSentAt < RECENT_MS;
  }

  // Live updates by long polling: each request waits on the server until there is
  // something new (a CSR's reply, an order notice) or its time is up, then asks again.
  async function poll() {
    if (polling) return;
    polling = true;
    let failures = 0;
    try {
      while (tokenStore.get() && !document.hidden) {
        const started = Date.now();
        const waiting = live();
        try {
          const response = await request(
            "/chat/messages?after=" + lastId + (waiting ? "&wait=1" : "")
          );
          if (response.status === 401) {
            forget();
            break;
          }
          if (!response.ok) throw new Error("status " + response.status);
          const found = (await response.json()).messages;
          failures = 0;
          ui.status.textContent = "";
          show(found);
          historyShown = true;
          if (!waiting) await nap(IDLE_POLL_MS);
          else if (!found.length && Date.now() - started < 1000) await nap(SHORT_POLL_MS);
        } catch (e) {
          if (failures > 0) ui.status.textContent = texts.offline;
          await nap(RETRY_DELAYS_MS[Math.min(failures, RETRY_DELAYS_MS.length - 1)]);
          failures += 1;
        }
      }
    } finally {
      polling = false;
    }
  }

  async function start() {
    let response;
    try {
      response = await request("/chat/config");
    } catch (e) {
      response = null; // a site not in CHAT_ALLOWED_ORIGINS: the browser refuses the answer
    }
    if (!response || !response.ok) {
      console.warn(
        "Chat: " + base + " does not allow this site to embed its chat (CHAT_ALLOWED_ORIGINS)," +
          " or cannot be reached."
      );
      return;
    }
    texts = (await response.json()).texts;
    let host;
    if (pageMode) {
      host = document.getElementById(script.dataset.target);
      host.replaceChildren();
    } else {
      host = element("div", { class: "order-assistant-chat" });
      document.body.appendChild(host);
    }
    build(host);
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden) poll();
    });
    historyShown = !tokenStore.get(); // a new visitor has no history
    poll(); // a returning visitor's conversation, then whatever comes next
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
