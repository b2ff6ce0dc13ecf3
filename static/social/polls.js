// feedhub polls and questions: renders them into each feed item's extras slot (app.js calls every
// function in window.feedhubItemExtras with the activity and the slot), with vote buttons and live
// tallies. Uses the page's socket (window.feedhubSocket) and REST helper (window.feedhubApi).
(function () {
  "use strict";

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  function renderPoll(a, poll) {
    const block = el("div", "poll");
    block.dataset.poll = a.object.id;
    block.dataset.stream = "post:" + a.object.id;
    if (poll.closed) block.dataset.closed = "";
    const list = el("ol", "poll-choices");
    for (const choice of poll.choices) {
      const li = el("li");
      const button = el("button", "poll-choice", choice.label);
      button.type = "button";
      button.dataset.choice = choice.position;
      button.setAttribute("aria-pressed", String(poll.my_vote === choice.position));
      button.disabled = Boolean(poll.closed);
      const tally = el("span", "poll-tally", String(choice.votes));
      tally.dataset.tally = choice.position;
      li.append(button, " ", tally);
      list.append(li);
    }
    const meta = el("p", "poll-meta");
    const total = el("span", null, String(poll.votes));
    total.dataset.pollTotal = "";
    meta.append(total, " votes");
    if (poll.closed) {
      const state = el("span", null, "closed");
      state.dataset.pollState = "";
      meta.append(" · ", state);
    }
    const error = el("p", "poll-error");
    error.setAttribute("role", "alert");
    error.hidden = true;
    block.append(list, meta, error);
    return block;
  }

  window.feedhubItemExtras = window.feedhubItemExtras || [];
  window.feedhubItemExtras.push((a, slot) => {
    if (!slot || !a.object) return;
    if (a.poll) slot.append(renderPoll(a, a.poll));
    if (a.question) {
      const q = el("p", "question");
      q.append(a.question.best_answer
        ? el("span", "best-answer", "✓ Best answer chosen")
        : el("span", "unanswered", "Question · no best answer yet"));
      slot.append(q);
    }
    slot.hidden = !slot.childElementCount;
  });

  const subscribed = new WeakMap(); // socket -> Set of streams it was asked to watch

  function update(block, state) {
    const tallies = state.choices ? state.choices.map((c) => c.votes) : state.tallies;
    block.querySelectorAll("[data-tally]").forEach((el) => {
      el.textContent = String(tallies[Number(el.dataset.tally)] || 0);
    });
    const total = block.querySelector("[data-poll-total]");
    if (total) total.textContent = String(state.votes);
    if (state.my_vote !== undefined) {
      block.querySelectorAll(".poll-choice").forEach((b) => {
        b.setAttribute("aria-pressed", String(Number(b.dataset.choice) === state.my_vote));
      });
    }
    if (state.closed) {
      block.dataset.closed = "";
      block.querySelectorAll(".poll-choice").forEach((b) => { b.disabled = true; });
      const label = block.querySelector("[data-poll-state]");
      if (label) label.textContent = "closed";
    }
  }

  async function vote(button) {
    const block = button.closest("[data-poll]");
    const error = block.querySelector(".poll-error");
    error.hidden = true;
    try {
      const state = await window.feedhubApi(
        "/api/v1/posts/" + block.dataset.poll + "/poll/vote/", "POST", { choice: Number(button.dataset.choice) });
      update(block, state);
    } catch (e) {
      const d = e.data || {};
      error.textContent = d.fields ? Object.values(d.fields).flat().join(" ") : (d.detail || "Could not vote.");
      error.hidden = false;
    }
  }

  function watch() {
    const ws = window.feedhubSocket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    let streams = subscribed.get(ws);
    if (!streams) {
      streams = new Set();
      subscribed.set(ws, streams);
      ws.addEventListener("message", (ev) => {
        const msg = JSON.parse(ev.data);
        if (msg.type !== "poll") return;
        document.querySelectorAll('[data-poll="' + msg.poll + '"]').forEach((block) => update(block, msg));
      });
    }
    document.querySelectorAll("[data-poll]:not([data-closed])").forEach((block) => {
      const stream = block.dataset.stream;
      if (streams.has(stream)) return;
      streams.add(stream);
      ws.send(JSON.stringify({ type: "subscribe", stream: stream }));
    });
  }

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest && ev.target.closest(".poll-choice");
    if (button && !button.disabled) vote(button);
  });
  // The socket reconnects as a new object and feed items arrive over time: look again now and then.
  setInterval(watch, 1000);
  document.addEventListener("DOMContentLoaded", watch);
})();
