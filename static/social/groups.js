// feedhub groups: create a group, ask to join a private one, and (admins) approve or reject
// requests to join. Uses the page's REST helper (window.feedhubApi, from app.js).
(function () {
  "use strict";

  const api = window.feedhubApi;
  if (!api) return;

  function errorText(e, fallback) {
    const d = (e && e.data) || {};
    return d.fields ? Object.values(d.fields).flat().join(" ") : (d.detail || fallback);
  }
  function showError(node, e, fallback) {
    node.textContent = errorText(e, fallback);
    node.hidden = false;
  }

  const create = document.getElementById("group-create");
  if (create) {
    const err = document.getElementById("group-create-error");
    create.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const submit = create.querySelector("[type=submit]");
      submit.disabled = true;
      try {
        const group = await api(create.dataset.url, "POST", {
          name: create.elements.name.value,
          description: create.elements.description.value,
          is_private: create.elements.visibility.value === "private",
        });
        location.href = group.url;
      } catch (e) {
        showError(err, e, "Could not create the group.");
        submit.disabled = false;
      }
    });
  }

  const ask = document.getElementById("ask-to-join");
  if (ask) {
    const status = document.getElementById("ask-status");
    const err = document.getElementById("group-error");
    ask.addEventListener("click", async () => {
      err.hidden = true;
      ask.disabled = true;
      try {
        const answer = await api(ask.dataset.membersUrl, "POST", {});
        if (answer.status === "pending") {
          ask.textContent = "Request sent";
          status.textContent = "An admin of the group will decide.";
        } else {
          location.reload();  // admitted at once (staff): the members' page has more to show
        }
      } catch (e) {
        ask.disabled = false;
        showError(err, e, "Could not ask to join.");
      }
    });
  }

  const requests = document.getElementById("join-request-list");
  if (requests) {
    const count = document.getElementById("join-request-count");
    const status = document.getElementById("join-request-status");
    const err = document.getElementById("join-request-error");
    const nobody = requests.parentElement.querySelector(".nobody");
    const members = document.getElementById("members");
    const memberCount = document.getElementById("member-count");

    function addMember(row) {
      if (members.querySelector('[data-user="' + row.dataset.user + '"]')) return;
      const li = document.createElement("li");
      li.dataset.user = row.dataset.user;
      li.append(row.querySelector("a").cloneNode(true));
      members.append(li);
      memberCount.textContent = String(Number(memberCount.textContent) + 1);
    }

    requests.addEventListener("click", async (ev) => {
      const button = ev.target.closest("button");
      const row = button && button.closest("[data-request]");
      if (!row) return;
      const approve = button.classList.contains("approve");
      err.hidden = true;
      row.querySelectorAll("button").forEach((b) => { b.disabled = true; });
      try {
        await api(row.dataset.url, "POST", { decision: approve ? "approve" : "reject" });
      } catch (e) {
        row.querySelectorAll("button").forEach((b) => { b.disabled = false; });
        showError(err, e, "Could not save the decision.");
        return;
      }
      if (approve) addMember(row);
      status.textContent = (approve ? "Approved " : "Rejected ") + row.dataset.name + ".";
      row.remove();
      count.textContent = String(requests.children.length);
      nobody.hidden = requests.children.length > 0;
    });
  }
})();
