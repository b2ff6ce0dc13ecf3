// feedhub browser client: renders a feed from the REST API and keeps it live over the socket.
(function () {
  "use strict";
  const feedEl = document.getElementById("feed");
  if (!feedEl) return;
  const moreBtn = document.getElementById("load-more");
  const pill = document.getElementById("new-items");
  const statusEl = document.getElementById("live-status");
  const liveFeed = feedEl.dataset.live;          // "news" or "stream"
  const liveStream = feedEl.dataset.stream || null;
  const shown = new Set();
  let nextUrl = feedEl.dataset.feedUrl;
  let cursor = null;                               // highest news cursor seen, for resume
  let pending = 0;

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  window.feedhubApi = async function (url, method, body) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? null : await res.json();
    if (!res.ok) throw Object.assign(new Error(data && data.detail), { data });
    return data;
  };

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined) n.textContent = text;
    return n;
  }
  function initials(name) { return (name || "?").split(/\s+/).map((p) => p[0]).slice(0, 2).join("").toUpperCase(); }

  function render(a) {
    const li = el("li", "item");
    li.dataset.id = a.id;
    const av = el("div", "avatar", initials(a.actor && a.actor.name));
    av.setAttribute("aria-hidden", "true");
    const body = el("div");
    const p = el("p", "summary");
    if (a.object && a.object.url) {
      const link = el("a", null, a.summary || a.type);
      link.href = a.object.url;
      p.appendChild(link);
    } else { p.textContent = a.summary || a.type; }
    body.appendChild(p);
    if (a.changes && a.changes.length) {
      const ul = el("ul", "changes");
      a.changes.forEach((c) => {
        const row = el("li");
        row.append(el("span", null, c.label + ": "), el("span", "old", c.old_display), " → ", el("strong", null, c.new_display));
        ul.appendChild(row);
      });
      body.appendChild(ul);
    }
    const when = new Date(a.published);
    const meta = el("p", "meta");
    const time = el("time", null, when.toLocaleString());
    time.dateTime = a.published;
    meta.append((a.actor ? a.actor.name + " · " : ""), time);
    body.appendChild(meta);
    li.append(av, body);
    return li;
  }

  async function loadMore() {
    if (!nextUrl) return;
    const url = nextUrl; nextUrl = null;
    const page = await window.feedhubApi(url, "GET");
    page.orderedItems.forEach((a) => {
      if (shown.has(a.id)) return;
      shown.add(a.id);
      if (liveFeed === "news" && (cursor === null || a.id > cursor)) cursor = a.id;
      feedEl.appendChild(render(a));
    });
    nextUrl = page.next;
    moreBtn.hidden = !nextUrl;
    if (!feedEl.children.length) feedEl.appendChild(el("li", "empty", "Nothing here yet. Follow a record to fill your feed."));
  }

  function prepend(a) {
    if (shown.has(a.id)) return;
    shown.add(a.id);
    const empty = feedEl.querySelector(".empty");
    if (empty) empty.remove();
    const li = render(a);
    li.classList.add("fresh");
    feedEl.insertBefore(li, feedEl.firstChild);
    if (window.scrollY > 200) {
      pending += 1;
      pill.textContent = pending + (pending === 1 ? " new item" : " new items");
      pill.hidden = false;
    }
  }
  pill && pill.addEventListener("click", () => { pending = 0; pill.hidden = true; window.scrollTo({ top: 0, behavior: "smooth" }); });
  moreBtn.addEventListener("click", loadMore);
  new IntersectionObserver((entries) => { if (entries[0].isIntersecting) loadMore(); }).observe(moreBtn);

  let backoff = 500;
  let ackTimer = null;
  // Acknowledge received items (batched) so the server knows this page keeps up.
  function scheduleAck(ws) {
    if (ackTimer) return;
    ackTimer = setTimeout(() => {
      ackTimer = null;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ack", cursor: cursor }));
    }, 250);
  }
  function setStatus(text, cls) { if (statusEl) { statusEl.textContent = text; statusEl.className = "status " + cls; } }
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const qs = cursor !== null ? "?since=" + cursor : "";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/feed/" + qs);
    window.feedhubSocket = ws;
    ws.onopen = () => { backoff = 500; if (liveStream) ws.send(JSON.stringify({ type: "subscribe", stream: liveStream })); };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "ready") { setStatus("live", "live"); if (cursor === null) cursor = msg.cursor; }
      else if (msg.type === "activity") {
        scheduleAck(ws);
        if (msg.feed === "news" && (cursor === null || msg.cursor > cursor)) cursor = msg.cursor;
        if (msg.feed === liveFeed && (liveFeed === "news" || msg.stream === liveStream)) prepend(msg.data);
      } else if (msg.type === "resync") { location.reload(); }
    };
    ws.onclose = () => {
      setStatus("offline — reconnecting", "offline");
      setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  const record = document.getElementById("record");
  if (record) {
    const followBtn = document.getElementById("follow");
    const errEl = document.getElementById("record-error");
    const setFollow = (on) => { followBtn.textContent = on ? "Following" : "Follow"; followBtn.setAttribute("aria-pressed", String(on)); };
    window.feedhubApi(record.dataset.apiUrl, "GET").then((r) => setFollow(r.following));
    followBtn.addEventListener("click", async () => {
      const on = followBtn.getAttribute("aria-pressed") === "true";
      await window.feedhubApi(record.dataset.apiUrl + "follow/", on ? "DELETE" : "POST", on ? undefined : {});
      setFollow(!on);
    });
    record.querySelectorAll("select[data-field]").forEach((sel) => sel.addEventListener("change", async () => {
      errEl.hidden = true;
      try { await window.feedhubApi(record.dataset.apiUrl, "PATCH", { [sel.dataset.field]: sel.value }); }
      catch (e) { errEl.textContent = (e.data && JSON.stringify(e.data.fields || e.data.detail)) || "Could not save."; errEl.hidden = false; }
    }));
  }

  loadMore().then(connect);
})();
