// Web chat: plain DOM, text only through textContent (customer text is never HTML).
(function () {
  "use strict";
  const token = document.querySelector('meta[name="csrf-token"]').content;
  const log = document.getElementById("log");
  const choices = document.getElementById("choices");
  const form = document.getElementById("form");
  const input = document.getElementById("text");
  let lastId = 0;

  function show(messages) {
    for (const message of messages) {
      if (message.id <= lastId) continue;
      lastId = message.id;
      const item = document.createElement("li");
      item.className = message.from;
      item.textContent = message.text;
      log.appendChild(item);
      choices.replaceChildren();
      for (const label of message.choices) {
        const button = document.createElement("button");
        button.type = "button";
        button.textContent = label;
        button.addEventListener("click", () => send(label));
        choices.appendChild(button);
      }
    }
    window.scrollTo(0, document.body.scrollHeight);
  }

  async function send(text) {
    const response = await fetch("chat/messages?after=" + lastId, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ text: text }),
      credentials: "same-origin",
    });
    if (response.ok) show((await response.json()).messages);
  }

  async function poll() {
    const response = await fetch("chat/messages?after=" + lastId, { credentials: "same-origin" });
    if (response.ok) show((await response.json()).messages);
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = input.value.trim();
    input.value = "";
    if (text) send(text);
  });
  poll();
  setInterval(poll, 3000);
})();
