// The phone order form: find products (price, stock at the chosen store), keep the lines
// with a running total. The server previews and places; this only edits the form.
(function () {
  "use strict";
  const form = document.getElementById("phone-order");
  if (!form) return;
  const query = document.getElementById("product-query");
  const results = document.getElementById("product-results");
  const body = document.querySelector("#order-lines tbody");
  const total = document.getElementById("order-total");
  const location = document.getElementById("order-location");
  const money = new Intl.NumberFormat(document.documentElement.lang || "en", {
    style: "currency", currency: form.dataset.currency || "USD"
  });
  let timer = null;

  function cell(text, className) {
    const td = document.createElement("td");
    if (className) td.className = className;
    td.textContent = text;
    return td;
  }

  function hidden(name, value) {
    const input = document.createElement("input");
    input.type = "hidden";
    input.name = name;
    input.value = value;
    return input;
  }

  function addLine(product) {
    const existing = body.querySelector('tr[data-sku="' + CSS.escape(product.sku) + '"]');
    if (existing) {
      const qty = existing.querySelector("input[name=qty]");
      qty.value = String(Number(qty.value || 0) + 1);
      recount();
      qty.focus();
      return;
    }
    const row = document.createElement("tr");
    row.dataset.sku = product.sku;
    row.dataset.price = product.price;
    const name = cell(product.name);
    name.append(hidden("sku", product.sku), hidden("name", product.name), hidden("price", product.price));
    const qtyCell = document.createElement("td");
    const qty = document.createElement("input");
    qty.type = "number"; qty.name = "qty"; qty.min = "1"; qty.value = "1";
    qty.setAttribute("aria-label", "Quantity of " + product.sku);
    qtyCell.append(qty);
    const removeCell = document.createElement("td");
    const remove = document.createElement("button");
    remove.type = "button"; remove.className = "remove"; remove.textContent = "Remove";
    removeCell.append(remove);
    row.append(name, cell("", "price"), qtyCell, cell("", "line-total"), removeCell);
    body.append(row);
    recount();
    qty.focus();
  }

  function recount() {
    let sum = 0;
    body.querySelectorAll("tr").forEach(function (row) {
      const price = Number(row.dataset.price);
      const qty = Math.max(0, Number(row.querySelector("input[name=qty]").value) || 0);
      row.querySelector(".price").textContent = money.format(price);
      row.querySelector(".line-total").textContent = money.format(price * qty);
      sum += price * qty;
    });
    total.textContent = body.rows.length ? money.format(sum) : "–";
  }

  function search() {
    const q = query.value.trim();
    if (q.length < 2) { results.replaceChildren(); return; }
    const url = form.dataset.search + "?q=" + encodeURIComponent(q) +
      (form.elements.namedItem("method").value === "pickup" ? "&location=" + encodeURIComponent(location.value) : "");
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        results.replaceChildren.apply(results, data.products.map(function (product) {
          const item = document.createElement("li");
          const add = document.createElement("button");
          add.type = "button";
          add.textContent = "Add";
          add.setAttribute("aria-label", "Add " + product.name);
          add.addEventListener("click", function () { addLine(product); });
          const text = document.createElement("span");
          text.textContent = product.name + " · " + product.price_text + " · " + product.available + " available";
          item.append(add, text);
          return item;
        }));
        if (!data.products.length) results.textContent = "Nothing matches.";
      })
      .catch(function () {});
  }

  query.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(search, 200);
  });
  query.addEventListener("keydown", function (event) {
    if (event.key === "Enter") { event.preventDefault(); search(); }
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "method" || event.target === location) search();
    recount();
  });
  form.addEventListener("input", function (event) {
    if (event.target.name === "qty") recount();
  });
  body.addEventListener("click", function (event) {
    if (event.target.classList.contains("remove")) {
      event.target.closest("tr").remove();
      recount();
    }
  });
  recount();
})();
