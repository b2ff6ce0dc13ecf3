// feedhub polls and questions: renders them into each feed item's extras slot (app.js calls every
// function in window.feedhubItemExtras with the activity and the slot), with vote buttons and live
// tallies. Uses the page's socket hub (window.feedhubOn, window.feedhubWatchStream) and REST helper
// (window.feedhubApi), all from app.js.
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
    if (a.poll) {
      slot.append(renderPoll(a, a.poll));
      // The page's socket watches the post for new tallies, across reconnects too (app.js).
      if (!a.poll.closed && window.feedhubWatchStream) window.feedhubWatchStream("post:" + a.object.id);
    }
    if (a.question) slot.append(renderQuestion(a.question));
    slot.hidden = !slot.childElementCount;
  });

  function renderQuestion(question) {
    const q = el("p", "question");
    q.append(question.best_answer
      ? el("span", "best-answer", "✓ Best answer chosen")
      : el("span", "unanswered", "Question · no best answer yet"));
    return q;
  }
  // app.js tells when a question's best answer changed (chosen here, or pushed from elsewhere).
  document.addEventListener("feedhub:question", (ev) => {
    const old = ev.target.querySelector("[data-extras] .question");
    if (old) old.replaceWith(renderQuestion(ev.detail.question));
  });

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

  document.addEventListener("click", (ev) => {
    const button = ev.target.closest && ev.target.closest(".poll-choice");
    if (button && !button.disabled) vote(button);
  });
  // app.js (loaded after this script) defines the page's socket hub.
  document.addEventListener("DOMContentLoaded", () => {
    if (!window.feedhubOn) return;
    window.feedhubOn((msg) => {
      if (msg.type !== "poll") return;
      document.querySelectorAll('[data-poll="' + msg.poll + '"]').forEach((block) => update(block, msg));
    });
  });
})();
