// Record sharing: change who may see a record, share it with people and groups, stop sharing.
// Every change is an activity on the record, so the feed below shows it once the server answers.
(function () {
  "use strict";
  const card = document.getElementById("sharing");
  if (!card || card.dataset.canManage !== "true") return;
  // app.js (which defines the API helper) is deferred after this script; look it up when used.
  const api = (...args) => window.feedhubApi(...args);
  const base = card.dataset.apiUrl;
  const error = document.getElementById("sharing-error");
  const saved = document.getElementById("sharing-saved");

  function done(text) { error.hidden = true; saved.textContent = text; }
  function failed(err) {
    const fields = (err.data && err.data.fields) || {};
    const first = Object.values(fields)[0];
    error.textContent = (first && first[0]) || err.message;
    error.hidden = false;
  }
  function renderShares(items) {
    const list = document.getElementById("shares");
    list.replaceChildren();
    if (!items.length) {
      const li = document.createElement("li");
      li.className = "muted"; li.id = "no-shares"; li.textContent = "Not shared with anyone in particular.";
      list.append(li);
    }
    for (const share of items) {
      const li = document.createElement("li");
      li.dataset.type = share.type === "user" ? "users" : "groups";
      li.dataset.id = share.id;
      const name = document.createElement("span");
      name.textContent = share.type === "user" ? share.name : share.name + " (group)";
      const button = document.createElement("button");
      button.type = "button"; button.className = "link unshare"; button.textContent = "Remove";
      button.setAttribute("aria-label", "Stop sharing with " + share.name);
      li.append(name, button);
      list.append(li);
    }
  }

  document.getElementById("visibility").addEventListener("change", async (event) => {
    try {
      const record = await api(base, "PATCH", { visibility: event.target.value });
      done("Now visible to: " + record.visibility_display.toLowerCase());
    } catch (err) { failed(err); }
  });

  const person = document.getElementById("share-person");
  const people = document.getElementById("share-people");
  person.addEventListener("input", async () => {
    const q = person.value.trim();
    if (!q) return;
    try {
      const found = await api("/api/v1/people/?q=" + encodeURIComponent(q), "GET");
      people.replaceChildren(...found.orderedItems.map((p) => {
        const option = document.createElement("option");
        option.value = p.username; option.label = p.name;
        return option;
      }));
    } catch (err) { /* suggestions are a convenience; the share itself reports errors */ }
  });

  document.getElementById("share-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {};
    const username = person.value.trim();
    try {
      if (username) {
        const found = await api("/api/v1/people/?q=" + encodeURIComponent(username), "GET");
        const match = found.orderedItems.find((p) => p.username.toLowerCase() === username.toLowerCase());
        if (!match) throw new Error("Nobody is called " + username + ".");
        body.users = [match.id];
      }
      const group = document.getElementById("share-group");
      if (group && group.value) body.groups = [Number(group.value)];
      const result = await api(base + "shares/", "POST", body);
      renderShares(result.orderedItems);
      person.value = "";
      if (group) group.value = "";
      done("Shared.");
    } catch (err) { failed(err); }
  });

  document.getElementById("shares").addEventListener("click", async (event) => {
    const button = event.target.closest("button.unshare");
    if (!button) return;
    const li = button.closest("li");
    try {
      await api(base + "shares/" + li.dataset.type + "/" + li.dataset.id + "/", "DELETE");
      const result = await api(base + "shares/", "GET");
      renderShares(result.orderedItems);
      done("No longer shared with " + li.querySelector("span").textContent + ".");
    } catch (err) { failed(err); }
  });
})();
