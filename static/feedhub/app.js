// feedhub browser client: renders a feed from the REST API and keeps it live over the socket.
// No dependencies: pages are server-rendered, this only fills and updates the feed list.
(function () {
  "use strict";

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function api(url, method, body) {
    const res = await fetch(url, {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf() },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = res.status === 204 ? null : await res.json();
    if (!res.ok) throw Object.assign(new Error((data && data.detail) || res.statusText), { data });
    return data;
  }
  window.feedhubApi = api;

  function el(tag, cls, text) {
    const n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }
  function initials(name) {
    return (name || "?").split(/\s+/).filter(Boolean).map((p) => p[0]).slice(0, 2).join("").toUpperCase();
  }

  // Relative times ("3 min ago"), refreshed in place; the exact time stays in the tooltip.
  const rtf = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  function relative(iso) {
    const secs = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
    const abs = Math.abs(secs);
    if (abs < 45) return "just now";
    if (abs < 3600) return rtf.format(Math.round(secs / 60), "minute");
    if (abs < 86400) return rtf.format(Math.round(secs / 3600), "hour");
    if (abs < 7 * 86400) return rtf.format(Math.round(secs / 86400), "day");
    return new Date(iso).toLocaleDateString(undefined, { day: "numeric", month: "short", year: "numeric" });
  }
  function refreshTimes() {
    document.querySelectorAll("time[data-relative]").forEach((t) => { t.textContent = relative(t.dateTime); });
  }
  setInterval(refreshTimes, 30000);

  const statusEl = document.getElementById("live-status");
  function setStatus(state, text) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.dataset.state = state;
    statusEl.className = "status " + state;
    statusEl.querySelector(".status-text").textContent = text;
  }

  const feedEl = document.getElementById("feed");
  if (!feedEl) return;
  const moreBtn = document.getElementById("load-more");
  const endEl = document.getElementById("feed-end");
  const pill = document.getElementById("new-items");
  const liveFeed = feedEl.dataset.live;           // "news" or "stream"
  const liveStream = feedEl.dataset.stream || null;
  const firstPageUrl = feedEl.dataset.feedUrl;
  const shown = new Set();
  let nextUrl = firstPageUrl;
  let cursor = null;                                // last news cursor seen, for resume
  let pending = 0;
  let loading = false;

  function render(a) {
    const li = el("li", "item");
    li.dataset.id = a.id;
    const av = el("div", "avatar", initials(a.actor && a.actor.name));
    av.setAttribute("aria-hidden", "true");
    const body = el("div", "item-body");
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
        const oldV = el("del", "old", c.old_display || "—");
        const newV = el("ins", "new", c.new_display || "—");
        row.append(el("span", "label", c.label + ":"), " ", oldV, " ", el("span", "arrow", "→"), " ", newV);
        ul.appendChild(row);
      });
      body.appendChild(ul);
    }
    if (a.content) body.appendChild(el("p", "content", a.content));
    const meta = el("p", "meta");
    if (a.actor) {
      const who = el("a", null, a.actor.name);
      who.href = a.actor.url;
      meta.append(who, " · ");
    }
    const time = el("time", null, relative(a.published));
    time.dateTime = a.published;
    time.dataset.relative = "";
    time.title = new Date(a.published).toLocaleString();
    meta.appendChild(time);
    body.appendChild(meta);
    li.append(av, body);
    return li;
  }

  function showEmpty() {
    if (!feedEl.children.length) {
      feedEl.appendChild(el("li", "empty", liveFeed === "news"
        ? "Nothing here yet. Follow a client, brief or deal to fill your feed."
        : "No activity yet."));
    }
  }

  async function loadMore() {
    if (!nextUrl || loading) return;
    loading = true;
    try {
      const page = await api(nextUrl, "GET");
      page.orderedItems.forEach((a) => {
        if (shown.has(a.id)) return;
        shown.add(a.id);
        if (liveFeed === "news" && (cursor === null || a.id > cursor)) cursor = a.id;
        feedEl.appendChild(render(a));
      });
      nextUrl = page.next;
    } finally { loading = false; }
    moreBtn.hidden = !nextUrl;
    endEl.hidden = !!nextUrl || !shown.size;
    showEmpty();
  }

  // Someone else changed this record: show its new values without a reload.
  const recordEl = document.getElementById("record");
  function applyChanges(a) {
    if (!recordEl || !a.object || a.object.stream !== recordEl.dataset.stream) return;
    (a.changes || []).forEach((c) => {
      const sel = recordEl.querySelector('select[data-field="' + c.field + '"]');
      if (sel && document.activeElement !== sel) { sel.value = c.new; sel.dispatchEvent(new Event("feedhub:synced")); }
      const shownValue = recordEl.querySelector('[data-show="' + c.field + '"]');
      if (shownValue) shownValue.textContent = c.new_display || "—";
    });
  }

  function scrolledAway() { return window.scrollY > 200; }
  function prepend(a) {
    if (shown.has(a.id)) return;
    shown.add(a.id);
    const empty = feedEl.querySelector(".empty");
    if (empty) empty.remove();
    applyChanges(a);
    const li = render(a);
    li.classList.add("fresh");
    // Keep the reader's place: new items above them must not push the page down.
    const before = document.documentElement.scrollHeight;
    feedEl.insertBefore(li, feedEl.firstChild);
    if (scrolledAway()) {
      window.scrollBy(0, document.documentElement.scrollHeight - before);
      pending += 1;
      pill.textContent = "↑ " + pending + (pending === 1 ? " new item" : " new items");
      pill.hidden = false;
    }
  }
  function clearPill() { pending = 0; pill.hidden = true; }
  pill.addEventListener("click", () => {
    clearPill();
    window.scrollTo({ top: 0, behavior: "smooth" });
    feedEl.focus({ preventScroll: true });
  });
  window.addEventListener("scroll", () => { if (!scrolledAway() && pending) clearPill(); }, { passive: true });
  moreBtn.addEventListener("click", loadMore);
  // Infinite scroll: the "Load older" button doubles as the sentinel; it stays for keyboard users.
  new IntersectionObserver((entries) => {
    if (entries[0].isIntersecting) loadMore();
  }, { rootMargin: "400px" }).observe(moreBtn);

  // A stream's events are not kept in the inbox, so after a reconnect the record (or person)
  // page catches up by re-reading the newest page of the stream; `shown` drops duplicates.
  async function catchUpStream() {
    const page = await api(firstPageUrl, "GET");
    page.orderedItems.slice().reverse().forEach(prepend);
  }

  let backoff = 500;
  let connected = false;
  let ackTimer = null;
  // Acknowledge received items (batched) so the server knows this page keeps up; a page that
  // stops acknowledging is sent "resync" rather than buffered for without bound.
  function scheduleAck(ws) {
    if (ackTimer) return;
    ackTimer = setTimeout(() => {
      ackTimer = null;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ack", cursor: cursor }));
    }, 250);
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const qs = cursor !== null ? "?since=" + cursor : "";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/feed/" + qs);
    window.feedhubSocket = ws;
    const wasConnected = connected;
    ws.onopen = () => {
      backoff = 500;
      if (liveStream) ws.send(JSON.stringify({ type: "subscribe", stream: liveStream }));
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "ready") {
        connected = true;
        setStatus("live", "Live");
        if (cursor === null) cursor = msg.cursor;
      } else if (msg.type === "subscribed") {
        if (wasConnected && liveFeed === "stream") catchUpStream();
      } else if (msg.type === "activity") {
        scheduleAck(ws);
        // The server delivers the news feed in inbox arrival order; resume from the last one seen.
        if (msg.feed === "news") cursor = msg.cursor;
        if (msg.feed === liveFeed && (liveFeed === "news" || msg.stream === liveStream)) prepend(msg.data);
      } else if (msg.type === "resync") {
        location.reload();
      }
    };
    ws.onclose = () => {
      setStatus("offline", "Offline · reconnecting");
      setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  const record = document.getElementById("record");
  if (record) {
    const followBtn = document.getElementById("follow");
    const verbsSel = document.getElementById("follow-verbs");
    const countEl = document.getElementById("follower-count");
    const errEl = document.getElementById("record-error");
    const savedEl = document.getElementById("record-saved");
    const following = () => followBtn.getAttribute("aria-pressed") === "true";
    const setFollow = (on) => {
      followBtn.textContent = on ? "Following" : "Follow";
      followBtn.setAttribute("aria-pressed", String(on));
      followBtn.classList.toggle("primary", !on);
    };
    const showError = (e) => {
      const d = e.data || {};
      errEl.textContent = d.fields ? Object.values(d.fields).flat().join(" ") : (d.detail || "Could not save.");
      errEl.hidden = false;
    };
    async function follow() {
      const body = verbsSel.value ? { verbs: [verbsSel.value] } : {};
      await api(record.dataset.apiUrl + "follow/", "POST", body);
    }
    setFollow(following());
    followBtn.addEventListener("click", async () => {
      errEl.hidden = true;
      const on = following();
      try {
        if (on) await api(record.dataset.apiUrl + "follow/", "DELETE");
        else await follow();
      } catch (e) { showError(e); return; }
      setFollow(!on);
      countEl.textContent = String(Number(countEl.textContent) + (on ? -1 : 1));
    });
    // Changing the filter while following updates the follow in place.
    verbsSel.addEventListener("change", async () => {
      if (!following()) return;
      try { await follow(); savedEl.textContent = "Follow settings saved."; } catch (e) { showError(e); }
    });
    record.querySelectorAll("select[data-field]").forEach((sel) => {
      let saved = sel.value;
      sel.addEventListener("feedhub:synced", () => { saved = sel.value; });
      sel.addEventListener("change", async () => {
        errEl.hidden = true;
        savedEl.textContent = "Saving…";
        try {
          await api(record.dataset.apiUrl, "PATCH", { [sel.dataset.field]: sel.value });
          saved = sel.value;
          savedEl.textContent = "Saved.";
        } catch (e) {
          sel.value = saved;
          savedEl.textContent = "";
          showError(e);
        }
      });
    });
  }

  setStatus("connecting", "Connecting…");
  loadMore().then(connect, () => { showEmpty(); connect(); });
})();
