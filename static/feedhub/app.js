// feedhub browser client. No dependencies: pages are server-rendered; this fills feeds from the
// REST API, keeps them live over one websocket, and runs the composer, inline actions and the bell.
(function () {
  "use strict";

  const me = {
    id: Number(document.body.dataset.userId),
    staff: document.body.dataset.staff === "true",
  };
  if (!me.id) return;
  const API = "/api/v1/";

  // ---- helpers ---------------------------------------------------------------------------

  function csrf() {
    const m = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }
  async function api(url, method, body) {
    const res = await fetch(url, {
      method: method || "GET", credentials: "same-origin",
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
  function plural(n, one, many) { return n + " " + (n === 1 ? one : many); }
  function errorText(e, fallback) {
    const d = (e && e.data) || {};
    return d.fields ? Object.values(d.fields).flat().join(" ") : (d.detail || fallback);
  }
  function showError(node, e, fallback) {
    if (!node) return;
    node.textContent = errorText(e, fallback);
    node.hidden = false;
  }
  let uid = 0;
  function nextId(prefix) { uid += 1; return prefix + "-" + uid; }

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
  function setTime(t, iso) {
    t.dateTime = iso;
    t.dataset.relative = "";
    t.textContent = relative(iso);
    t.title = new Date(iso).toLocaleString();
  }
  setInterval(() => {
    document.querySelectorAll("time[data-relative]").forEach((t) => { t.textContent = relative(t.dateTime); });
  }, 30000);

  // Bodies arrive as HTML the server already sanitised (nh3). They are parsed again here into an
  // inert <template> and rebuilt from an allowlist, so a server bug still cannot run script.
  const SAFE_TAGS = new Set(["A", "P", "BR", "HR", "STRONG", "EM", "B", "I", "DEL", "CODE", "PRE",
    "BLOCKQUOTE", "UL", "OL", "LI", "H1", "H2", "H3", "H4", "H5", "H6", "TABLE", "THEAD", "TBODY",
    "TR", "TH", "TD"]);
  const SAFE_HREF = /^(https?:|mailto:|\/(?!\/)|#)/i;
  function safeCopy(node, into) {
    node.childNodes.forEach((child) => {
      if (child.nodeType === Node.TEXT_NODE) { into.appendChild(document.createTextNode(child.data)); return; }
      if (child.nodeType !== Node.ELEMENT_NODE) return;
      if (!SAFE_TAGS.has(child.tagName)) {
        if (child.tagName !== "SCRIPT" && child.tagName !== "STYLE") safeCopy(child, into);
        return;
      }
      const copy = document.createElement(child.tagName.toLowerCase());
      if (child.tagName === "A") {
        const href = (child.getAttribute("href") || "").trim();
        if (SAFE_HREF.test(href)) copy.setAttribute("href", href);
        copy.rel = "nofollow noopener";
      }
      if ((child.tagName === "TH" || child.tagName === "TD") && child.getAttribute("align")) {
        copy.setAttribute("align", child.getAttribute("align"));
      }
      safeCopy(child, copy);
      into.appendChild(copy);
    });
  }
  function setRich(node, html) {
    const parsed = document.createElement("template");
    parsed.innerHTML = html || "";
    node.replaceChildren();
    safeCopy(parsed.content, node);
  }

  // ---- the socket: one per page, shared by the feed and the bell ------------------------

  const statusEl = document.getElementById("live-status");
  function setStatus(state, text) {
    if (!statusEl) return;
    statusEl.hidden = false;
    statusEl.dataset.state = state;
    statusEl.className = "status " + state;
    statusEl.querySelector(".status-text").textContent = text;
  }

  // Streams this page watches besides its own: the objects of the items on show (for live like
  // counts), capped so a long feed stays within the server's subscription limit, and streams
  // other scripts pin (polls). Re-sent on every new socket.
  const WATCH_LIMIT = 40;
  const hub = {
    handlers: [],
    resumeNews: false,     // only the news page replays the inbox on reconnect
    cursor: null,          // last news cursor seen
    stream: null,          // the stream this page shows live, if any
    socket: null,
    watched: new Set(),
    pinned: new Set(),
    on(fn) { this.handlers.push(fn); },
  };
  function sendNow(msg) {
    if (hub.socket && hub.socket.readyState === WebSocket.OPEN) hub.socket.send(JSON.stringify(msg));
  }
  function isWanted(stream) { return stream === hub.stream || hub.watched.has(stream) || hub.pinned.has(stream); }
  // `streams`: the object streams of the items shown, top first; the first WATCH_LIMIT are watched.
  function watchItems(streams) {
    const next = new Set();
    for (const s of streams) {
      if (next.size >= WATCH_LIMIT) break;
      if (s && s !== hub.stream) next.add(s);
    }
    hub.watched.forEach((s) => {
      if (next.has(s)) return;
      hub.watched.delete(s);
      if (!isWanted(s)) sendNow({ type: "unsubscribe", stream: s });
    });
    next.forEach((s) => {
      if (hub.watched.has(s)) return;
      const already = isWanted(s);
      hub.watched.add(s);
      if (!already) sendNow({ type: "subscribe", stream: s });
    });
  }
  // For other scripts (polls.js): every message the page's socket receives, and streams to keep watched.
  window.feedhubOn = (fn) => hub.on(fn);
  window.feedhubWatchStream = (stream) => {
    if (!stream || hub.pinned.has(stream)) return;
    const already = isWanted(stream);
    hub.pinned.add(stream);
    if (!already) sendNow({ type: "subscribe", stream: stream });
  };
  let backoff = 500;
  let connected = false;
  let ackTimer = null;
  let sessionEnded = false;
  // Acknowledge received items (batched) so the server knows this page keeps up; a page that
  // stops acknowledging is sent "resync" rather than buffered for without bound.
  function scheduleAck(ws) {
    if (ackTimer) return;
    ackTimer = setTimeout(() => {
      ackTimer = null;
      if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify({ type: "ack", cursor: hub.cursor }));
    }, 250);
  }
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const qs = hub.resumeNews && hub.cursor !== null ? "?since=" + hub.cursor : "";
    const ws = new WebSocket(proto + "//" + location.host + "/ws/feed/" + qs);
    window.feedhubSocket = ws;
    hub.socket = ws;
    const reconnected = connected;
    // The page is live once the server has answered the subscriptions sent on opening (they
    // are answered after `ready`): "Live" must not show while an item on the page's stream, or
    // a like on an item on show, could still be missed.
    let ready = false;
    let unanswered = 0;
    const settle = () => { if (ready && unanswered === 0) setStatus("live", "Live"); };
    ws.onopen = () => {
      backoff = 500;
      new Set([hub.stream, ...hub.watched, ...hub.pinned]).forEach((stream) => {
        if (!stream) return;
        unanswered += 1;
        ws.send(JSON.stringify({ type: "subscribe", stream: stream }));
      });
    };
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === "ready") {
        connected = true;
        ready = true;
        settle();
        if (hub.cursor === null) hub.cursor = msg.cursor;
        if (reconnected) hub.handlers.forEach((fn) => fn({ type: "reconnected" }));
      } else if (unanswered > 0 && (msg.type === "subscribed" || msg.type === "error")) {
        unanswered -= 1;
        settle();
      } else if (msg.type === "activity") {
        scheduleAck(ws);
        // The server delivers the news feed in inbox arrival order; resume from the last one seen.
        if (msg.feed === "news") hub.cursor = msg.cursor;
      } else if (msg.type === "resync") {
        location.reload();
        return;
      } else if (msg.type === "session_ended") {
        // Signed out elsewhere, or deactivated: reconnecting cannot help.
        sessionEnded = true;
        location.href = "/login/?next=" + encodeURIComponent(location.pathname);
        return;
      } else if (msg.type === "unsubscribed" && msg.reason && msg.stream === hub.stream) {
        // Access to what this page shows was withdrawn: its items stop, and a reconnect must not ask again.
        hub.stream = null;
        setStatus("offline", "No longer shared with you");
        return;
      } else if (msg.type === "unsubscribed" && msg.reason) {
        hub.watched.delete(msg.stream);
        hub.pinned.delete(msg.stream);
      }
      hub.handlers.forEach((fn) => fn(msg));
    };
    ws.onclose = () => {
      if (sessionEnded) return;
      setStatus("offline", "Offline · reconnecting");
      setTimeout(connect, backoff + Math.random() * 250);
      backoff = Math.min(backoff * 2, 15000);
    };
  }

  // ---- @mention and #topic autocomplete ---------------------------------------------------

  // The token being typed just before the caret: "@ma" or "#pri" (not inside a word or e-mail).
  function tokenBeforeCaret(input) {
    const upto = input.value.slice(0, input.selectionStart);
    const m = upto.match(/(?:^|[^\w@#&/.+-])([@#])([\w.+-]{0,50})$/);
    if (!m) return null;
    return { sigil: m[1], q: m[2], start: upto.length - m[2].length - 1, end: upto.length };
  }

  // A listbox of options under a text box (a combobox): ↑/↓ move, Enter or Tab picks, Escape
  // closes. `show(options)` lists `{label, hint?}` objects; `onPick(option)` gets the chosen one.
  function comboListbox(input, name, onPick) {
    const list = el("ul", "suggestions");
    list.id = nextId("suggestions");
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", name);
    list.hidden = true;
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    const anchor = input.closest("label") || input;
    anchor.insertAdjacentElement("afterend", list);
    let options = [];
    let active = -1;

    function close() {
      list.hidden = true;
      options = [];
      active = -1;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
    }
    function highlight(i) {
      active = i;
      list.querySelectorAll("[role=option]").forEach((li, j) => li.setAttribute("aria-selected", String(j === i)));
      if (i >= 0) input.setAttribute("aria-activedescendant", list.children[i].id);
    }
    function choose(i) {
      const opt = options[i];
      if (!opt) return;
      close();
      onPick(opt);
    }
    function show(found) {
      options = found;
      if (!options.length) { close(); return; }
      list.replaceChildren(...options.map((o, i) => {
        const li = el("li", "suggestion");
        li.id = list.id + "-" + i;
        li.setAttribute("role", "option");
        li.append(el("span", "label", o.label));
        if (o.hint) li.append(" ", el("span", "muted", o.hint));
        // mousedown, not click: keep focus (and the caret) in the text box.
        li.addEventListener("mousedown", (ev) => { ev.preventDefault(); choose(i); });
        return li;
      }));
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      highlight(0);
    }
    input.addEventListener("blur", () => setTimeout(close, 150));
    input.addEventListener("keydown", (ev) => {
      if (list.hidden) return;
      if (ev.key === "ArrowDown") { ev.preventDefault(); highlight((active + 1) % options.length); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); highlight((active - 1 + options.length) % options.length); }
      else if ((ev.key === "Enter" || ev.key === "Tab") && active >= 0) { ev.preventDefault(); choose(active); }
      else if (ev.key === "Escape") { ev.preventDefault(); ev.stopPropagation(); close(); }
    });
    return { show, close };
  }

  // `streamOf()` names the feed being written on, so only people who may see it are suggested.
  function attachAutocomplete(input, streamOf) {
    let token = null;
    let seq = 0;
    const box = comboListbox(input, "Suggestions", (opt) => {
      if (!token) return;
      const insert = token.sigil + opt.value + " ";
      input.value = input.value.slice(0, token.start) + insert + input.value.slice(token.end);
      const caret = token.start + insert.length;
      input.setSelectionRange(caret, caret);
      input.focus();
    });
    async function suggest() {
      const typed = tokenBeforeCaret(input);
      const mine = ++seq;
      if (!typed) { token = null; box.close(); return; }
      const stream = typed.sigil === "@" && streamOf ? streamOf() : null;
      const url = (typed.sigil === "@" ? API + "people/?q=" : API + "topics/?q=") + encodeURIComponent(typed.q)
        + (stream ? "&stream=" + encodeURIComponent(stream) : "");
      let data;
      try { data = await api(url); } catch (e) { box.close(); return; }
      // A later keystroke has asked again: its answer wins.
      if (mine !== seq) return;
      token = typed;
      box.show(data.orderedItems.map((x) => typed.sigil === "@"
        ? { value: x.username, label: x.name, hint: "@" + x.username }
        : { value: x.slug, label: "#" + x.slug, hint: "" }));
    }
    input.addEventListener("input", suggest);
  }

  // Ctrl/Cmd+Enter submits a text box's form.
  function submitOnCtrlEnter(textarea) {
    textarea.addEventListener("keydown", (ev) => {
      if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); textarea.form.requestSubmit(); }
    });
  }
  function prepareTextBoxes(root, streamOf) {
    root.querySelectorAll("textarea[data-autocomplete]").forEach((t) => attachAutocomplete(t, streamOf));
    root.querySelectorAll("textarea").forEach(submitOnCtrlEnter);
  }

  // Where I can post or share: my profile and the groups I may see.
  let choicesPromise = null;
  function streamChoices() {
    if (!choicesPromise) {
      choicesPromise = api(API + "groups/").then(
        (data) => [{ value: "user:" + me.id, label: "My profile" }]
          .concat(data.orderedItems.map((g) => ({ value: g.stream, label: "Group: " + g.name }))),
        () => [{ value: "user:" + me.id, label: "My profile" }],
      );
    }
    return choicesPromise;
  }
  // The composer's "Post to" box: my profile and my groups, and, as I type, clients, briefs and
  // deals I may see (their list APIs' `?q=` name search). Picking one sets the hidden `stream`.
  const RECORD_KINDS = [["clients", "Client"], ["briefs", "Brief"], ["deals", "Deal"]];
  function attachTargetPicker(input, hidden) {
    let chosen = input.value;
    let seq = 0;
    const box = comboListbox(input, "Places to post", (opt) => {
      hidden.value = opt.value;
      chosen = input.value = opt.label;
      input.dispatchEvent(new Event("feedhub:target"));
    });
    async function search() {
      const mine = ++seq;
      const q = input.value === chosen ? "" : input.value.trim();
      const mineOnly = (await streamChoices()).filter((c) => c.label.toLowerCase().includes(q.toLowerCase()));
      let records = [];
      if (q) {
        const pages = await Promise.all(RECORD_KINDS.map(([path]) =>
          api(API + path + "/?limit=5&q=" + encodeURIComponent(q)).catch(() => ({ orderedItems: [] }))));
        records = pages.flatMap((page, i) => page.orderedItems.map(
          (r) => ({ value: r.stream, label: RECORD_KINDS[i][1] + ": " + r.name })));
      }
      if (mine !== seq) return;
      box.show(mineOnly.concat(records).slice(0, 15));
    }
    input.addEventListener("input", search);
    input.addEventListener("focus", () => { input.select(); search(); });
    // Enter picks from the list; it never posts from this box.
    input.addEventListener("keydown", (ev) => { if (ev.key === "Enter") ev.preventDefault(); });
    // Leaving the box without picking keeps the place picked before.
    input.addEventListener("blur", () => setTimeout(() => { if (document.activeElement !== input) input.value = chosen; }, 160));
  }

  function fillSelect(select, choices) {
    const current = select.value;
    select.replaceChildren(...choices.map((c) => {
      const o = el("option", null, c.label);
      o.value = c.value;
      return o;
    }));
    if (current && choices.some((c) => c.value === current)) select.value = current;
  }

  // ---- notifications: the bell, its dropdown and the full page --------------------------

  const bell = document.getElementById("bell");
  const bellCount = document.getElementById("bell-count");
  const bellPanel = document.getElementById("bell-panel");
  const bellList = document.getElementById("bell-list");
  const pageList = document.getElementById("notification-list");
  let bellLoaded = false;

  function setUnread(n) {
    if (!bell) return;
    bell.dataset.unread = String(n);
    bellCount.textContent = n > 99 ? "99+" : String(n);
    bellCount.hidden = n <= 0;
    bell.setAttribute("aria-label", n > 0 ? "Notifications, " + n + " unread" : "Notifications");
  }

  function renderNotification(n) {
    const li = el("li", "notification" + (n.unread ? " unread" : ""));
    li.dataset.id = n.id;
    const av = el("span", "avatar small", initials(n.actor && n.actor.name));
    av.setAttribute("aria-hidden", "true");
    const link = el("a", "notification-link");
    link.href = n.url || "/notifications/";
    link.append(el("span", "title", n.title));
    if (n.unread) link.append(el("span", "sr-only", " (unread)"));
    const t = el("time");
    setTime(t, n.updated_at || n.created_at);
    link.append(" ", t);
    link.addEventListener("click", async (ev) => {
      if (!li.classList.contains("unread")) return;
      ev.preventDefault();
      try {
        const res = await api(API + "notifications/" + n.id + "/read/", "POST");
        setUnread(res.unread);
      } catch (e) { /* still follow the link */ }
      markRead(n.id);
      location.href = link.href;
    });
    li.append(av, link);
    return li;
  }
  function markRead(id) {
    document.querySelectorAll('.notification[data-id="' + id + '"]').forEach((li) => {
      li.classList.remove("unread");
      const sr = li.querySelector(".sr-only");
      if (sr) sr.remove();
    });
  }
  function upsertNotification(list, n) {
    if (!list) return;
    const old = list.querySelector('.notification[data-id="' + n.id + '"]');
    if (old) old.remove();
    const empty = list.querySelector(".empty");
    if (empty) empty.remove();
    const li = renderNotification(n);
    li.classList.add("fresh");
    list.insertBefore(li, list.firstChild);
  }
  async function readAll() {
    const res = await api(API + "notifications/read-all/", "POST", {});
    setUnread(res.unread);
    document.querySelectorAll(".notification.unread").forEach((li) => markRead(li.dataset.id));
  }

  if (bell) {
    api(API + "notifications/unread-count/").then((d) => setUnread(d.unread), () => {});
    const closePanel = (focusBell) => {
      bellPanel.hidden = true;
      bell.setAttribute("aria-expanded", "false");
      if (focusBell) bell.focus();
    };
    bell.addEventListener("click", async () => {
      if (!bellPanel.hidden) { closePanel(false); return; }
      bellPanel.hidden = false;
      bell.setAttribute("aria-expanded", "true");
      if (bellLoaded) return;
      try {
        const page = await api(API + "notifications/?limit=8");
        bellLoaded = true;
        bellList.replaceChildren(...page.orderedItems.map(renderNotification));
        if (!page.orderedItems.length) bellList.append(el("li", "empty", "No notifications yet."));
        setUnread(page.unread);
      } catch (e) { bellList.replaceChildren(el("li", "error", "Could not load notifications.")); }
    });
    bellPanel.addEventListener("keydown", (ev) => { if (ev.key === "Escape") closePanel(true); });
    bell.addEventListener("keydown", (ev) => { if (ev.key === "Escape" && !bellPanel.hidden) closePanel(true); });
    document.addEventListener("click", (ev) => {
      if (!bellPanel.hidden && !ev.target.closest(".bell")) closePanel(false);
    });
    document.getElementById("bell-read-all").addEventListener("click", readAll);
    hub.on((msg) => {
      if (msg.type === "notification") {
        setUnread(msg.unread);
        if (bellLoaded) upsertNotification(bellList, msg.data);
        upsertNotification(pageList, msg.data);
      } else if (msg.type === "unread") {
        setUnread(msg.count);
      }
    });
  }

  if (pageList) {
    const more = document.getElementById("notifications-more");
    const end = document.getElementById("notifications-end");
    let next = pageList.dataset.url + "?limit=20";
    const load = async () => {
      if (!next) return;
      const page = await api(next);
      page.orderedItems.forEach((n) => {
        if (!pageList.querySelector('.notification[data-id="' + n.id + '"]')) pageList.append(renderNotification(n));
      });
      next = page.next;
      more.hidden = !next;
      end.hidden = !!next || !pageList.children.length;
      if (!pageList.children.length) pageList.append(el("li", "empty", "No notifications yet."));
    };
    more.addEventListener("click", load);
    document.getElementById("page-read-all").addEventListener("click", readAll);
    load();
  }

  // ---- feed items ------------------------------------------------------------------------

  const itemTemplate = document.getElementById("item-template");
  const commentTemplate = document.getElementById("comment-template");
  // Renderers for per-item extras (polls, questions): fn(activity, container) fills the
  // `[data-extras]` slot of templates/social/_item_extras.html.
  window.feedhubItemExtras = window.feedhubItemExtras || [];

  function mayChange(author) { return !!author && (author.id === me.id || me.staff); }
  function isPost(a) { return a.type === "Create" && a.object && a.object.type === "post"; }

  function renderChanges(ul, changes) {
    changes.forEach((c) => {
      const row = el("li");
      row.append(el("span", "label", c.label + ":"), " ", el("del", "old", c.old_display || "—"),
        " ", el("span", "arrow", "→"), " ", el("ins", "new", c.new_display || "—"));
      ul.appendChild(row);
    });
    ul.hidden = false;
  }

  function setLikes(li, count, liked) {
    const like = li.querySelector(".actions .like");
    like.setAttribute("aria-pressed", String(liked));
    like.textContent = liked ? "Liked" : "Like";
    setLikeCount(li, count);
  }
  function setLikeCount(li, count) {
    li.dataset.likes = String(count);
    const likers = li.querySelector(".actions .likers");
    likers.hidden = count <= 0;
    likers.textContent = plural(count, "like", "likes");
    li.querySelector(".likers-list").hidden = true;
    likers.setAttribute("aria-expanded", "false");
  }
  // Someone liked or unliked an item (or a comment in its thread) on show: a `likes` message.
  function liveLikes(msg) {
    feedEl.querySelectorAll('.item[data-id="' + msg.activity + '"]').forEach((li) => {
      if (msg.comment === null || msg.comment === undefined) {
        if (Number(li.dataset.likes) !== msg.count) setLikeCount(li, msg.count);
        return;
      }
      const node = li.querySelector('.comment[data-id="' + msg.comment + '"]');
      if (node && !node.classList.contains("deleted")) fillComment(node, { ...node.feedhubComment, like_count: msg.count });
    });
  }
  function setMuted(li, muted) {
    const button = li.querySelector(".actions .mute");
    button.dataset.muted = String(muted);
    button.textContent = muted ? "Unmute thread" : "Mute thread";
    li.querySelector(".meta .muted-tag").hidden = !muted;
    li.feedhubActivity.muted = muted;
  }
  function setCommentCount(li, count) {
    li.dataset.comments = String(count);
    li.querySelector(".actions .comments-toggle").textContent = count > 0 ? plural(count, "comment", "comments") : "Comment";
  }
  function setTombstone(li) {
    const content = li.querySelector(".content");
    content.replaceChildren(el("em", "tombstone", "This post was deleted."));
    content.hidden = false;
    li.classList.add("deleted");
    li.querySelector(".actions").hidden = true;
  }

  function renderItem(a) {
    const li = itemTemplate.content.firstElementChild.cloneNode(true);
    li.dataset.id = a.id;
    li.dataset.type = a.type;
    if (a.object) li.dataset.object = a.object.stream;
    li.querySelector(".avatar").textContent = initials(a.actor && a.actor.name);
    const summary = li.querySelector(".summary");
    if (a.object && a.object.url) {
      const link = el("a", null, a.summary || a.type);
      link.href = a.object.url;
      summary.appendChild(link);
    } else { summary.textContent = a.summary || a.type; }
    if (a.changes && a.changes.length) renderChanges(li.querySelector(".changes"), a.changes);
    if (a.deleted) setTombstone(li);
    else if (a.content) { const c = li.querySelector(".content"); setRich(c, a.content); c.hidden = false; }
    if (a.type === "Announce" && a.object && a.object.content) {
      const q = li.querySelector(".shared");
      setRich(q, a.object.content);
      q.hidden = false;
    }
    const meta = li.querySelector(".meta");
    if (a.actor) {
      const who = el("a", null, a.actor.name);
      who.href = a.actor.url;
      meta.append(who, " · ");
    }
    const time = el("time");
    setTime(time, a.published);
    meta.appendChild(time);
    const edited = el("span", "edited", " · edited");
    edited.hidden = !a.edited;
    meta.appendChild(edited);
    const muted = el("span", "muted-tag", " · Thread muted");
    muted.hidden = true;
    meta.appendChild(muted);

    const likeable = !a.deleted;
    setLikes(li, a.like_count || 0, !!a.liked);
    setCommentCount(li, a.comment_count || 0);
    const bookmark = li.querySelector(".bookmark");
    bookmark.setAttribute("aria-pressed", String(!!a.bookmarked));
    bookmark.textContent = a.bookmarked ? "Bookmarked" : "Bookmark";
    // Comments on a comment are refused by the API; a comment item links to its thread instead.
    const isComment = a.object && a.object.type === "comment";
    li.querySelector(".comments-toggle").hidden = isComment;
    li.querySelector(".share").hidden = isComment;
    li.querySelector(".mute").hidden = !isPost(a);
    const own = isPost(a) && mayChange(a.actor) && likeable;
    li.querySelector(".edit").hidden = !own;
    li.querySelector(".delete").hidden = !own;
    prepareTextBoxes(li, () => a.object && a.object.stream);
    li.querySelector(".item-extras").hidden = true;
    window.feedhubItemExtras.forEach((fn) => fn(a, li.querySelector("[data-extras]")));
    li.feedhubActivity = a;
    if (isPost(a)) setMuted(li, !!a.muted);
    return li;
  }

  // Inline actions, delegated from the feed list so items added later work the same way.
  async function onItemClick(ev) {
    const button = ev.target.closest("button");
    const li = ev.target.closest(".item");
    if (!button || !li || !li.feedhubActivity) return;
    const a = li.feedhubActivity;
    const err = li.querySelector(".item-body > .error");
    err.hidden = true;
    const c = button.closest(".comment");
    try {
      if (c) await onCommentAction(button, c, li);
      else if (button.classList.contains("like")) await toggleLike(li, a);
      else if (button.classList.contains("likers")) await toggleLikers(li, a, button);
      else if (button.classList.contains("comments-toggle")) await toggleThread(li, a);
      else if (button.classList.contains("more-comments")) await loadComments(li, a);
      else if (button.classList.contains("bookmark")) await toggleBookmark(button, a);
      else if (button.classList.contains("share")) await openShare(li, button);
      else if (button.classList.contains("mute")) await toggleMute(button, a);
      else if (button.classList.contains("edit") && button.closest(".actions")) await editPost(li, a);
      else if (button.classList.contains("delete") && button.closest(".actions")) askDelete(li);
      else if (button.classList.contains("yes")) await deletePost(li, a);
      else if (button.classList.contains("no")) { li.querySelector(".confirm-delete").hidden = true; li.querySelector(".actions .delete").focus(); }
      else if (button.classList.contains("cancel")) closeForm(button.closest("form"), li);
    } catch (e) { showError(err, e, "That did not work. Please try again."); }
  }

  function closeForm(form, li) {
    form.hidden = true;
    if (form.classList.contains("share-form")) {
      li.querySelector(".actions .share").setAttribute("aria-expanded", "false");
      li.querySelector(".actions .share").focus();
    } else {
      li.querySelector(".content").hidden = false;
    }
  }

  async function toggleLike(li, a) {
    const liked = li.querySelector(".actions .like").getAttribute("aria-pressed") === "true";
    const res = await api(API + "activities/" + a.id + "/like/", liked ? "DELETE" : "POST");
    setLikes(li, res.like_count, res.liked);
  }
  async function toggleLikers(li, a, button) {
    const box = li.querySelector(".likers-list");
    if (!box.hidden) { box.hidden = true; button.setAttribute("aria-expanded", "false"); return; }
    const data = await api(API + "activities/" + a.id + "/likes/");
    box.textContent = "Liked by " + data.orderedItems.map((p) => p.name).join(", ");
    box.hidden = false;
    button.setAttribute("aria-expanded", "true");
  }
  async function toggleBookmark(button, a) {
    const on = button.getAttribute("aria-pressed") === "true";
    await api(API + "activities/" + a.id + "/bookmark/", on ? "DELETE" : "POST");
    button.setAttribute("aria-pressed", String(!on));
    button.textContent = on ? "Bookmark" : "Bookmarked";
  }
  async function toggleMute(button, a) {
    const muted = button.dataset.muted !== "true";
    await api(API + "follows/", "POST", { stream: a.object.stream, muted: muted });
    // The same thread may be on show more than once (a post and a share of it).
    feedEl.querySelectorAll('.item[data-object="' + a.object.stream + '"]').forEach((li) => {
      if (isPost(li.feedhubActivity)) setMuted(li, muted);
    });
  }
  async function openShare(li, button) {
    const form = li.querySelector(".share-form");
    if (!form.hidden) { closeForm(form, li); return; }
    fillSelect(form.elements.stream, await streamChoices());
    form.hidden = false;
    button.setAttribute("aria-expanded", "true");
    form.elements.stream.focus();
  }
  async function share(li, form) {
    const where = form.elements.stream.selectedOptions[0].textContent;
    await api(API + "activities/" + li.feedhubActivity.id + "/share/", "POST",
      { stream: form.elements.stream.value, body: form.elements.body.value });
    form.elements.body.value = "";
    closeForm(form, li);
    li.querySelector(".item-status").textContent = "Shared to " + where + ".";
  }
  async function editPost(li, a) {
    const form = li.querySelector(".edit-form");
    const post = await api(API + "posts/" + a.object.id + "/");
    form.elements.body.value = post.body || "";
    form.hidden = false;
    li.querySelector(".content").hidden = true;
    form.elements.body.focus();
  }
  async function savePost(li, form) {
    const post = await api(API + "posts/" + li.feedhubActivity.object.id + "/", "PATCH", { body: form.elements.body.value });
    const content = li.querySelector(".content");
    setRich(content, post.body_html);
    content.hidden = false;
    form.hidden = true;
    li.querySelector(".meta .edited").hidden = false;
  }
  function askDelete(li) {
    const box = li.querySelector(".confirm-delete");
    box.hidden = false;
    box.querySelector(".yes").focus();
  }
  async function deletePost(li, a) {
    await api(API + "posts/" + a.object.id + "/", "DELETE");
    li.querySelector(".confirm-delete").hidden = true;
    li.querySelector(".thread").hidden = true;
    setTombstone(li);
  }

  // ---- comments --------------------------------------------------------------------------

  function threadOf(li) {
    if (!li.feedhubThread) li.feedhubThread = { ids: new Set(), next: null, loaded: false };
    return li.feedhubThread;
  }
  function renderComment(c) {
    const node = commentTemplate.content.firstElementChild.cloneNode(true);
    node.dataset.id = c.id;
    node.feedhubComment = c;
    node.querySelector(".avatar").textContent = initials(c.author && c.author.name);
    const author = node.querySelector(".author");
    if (c.author) { author.textContent = c.author.name; author.href = c.author.url; } else author.remove();
    setTime(node.querySelector("time"), c.created_at);
    node.querySelector(".edited").hidden = !c.edited_at;
    fillComment(node, c);
    prepareTextBoxes(node);
    return node;
  }
  function fillComment(node, c) {
    node.feedhubComment = c;
    const text = node.querySelector(".text");
    if (c.deleted) {
      text.replaceChildren(el("em", "tombstone", "This comment was deleted."));
      node.classList.add("deleted");
      node.querySelector(".comment-actions").hidden = true;
      return;
    }
    setRich(text, c.body_html);
    const like = node.querySelector(".like");
    like.setAttribute("aria-pressed", String(!!c.liked));
    like.textContent = (c.liked ? "Liked" : "Like") + (c.like_count ? " · " + c.like_count : "");
    const own = mayChange(c.author);
    node.querySelector(".edit").hidden = !own;
    node.querySelector(".delete").hidden = !own;
  }
  function appendComment(li, c) {
    const thread = threadOf(li);
    if (thread.ids.has(String(c.id))) return false;
    thread.ids.add(String(c.id));
    const node = renderComment(c);
    li.querySelector(".comments").appendChild(node);
    markAnswers(li);
    return node;
  }

  // Questions: the best answer wears a badge; the asker (or staff) can mark another one.
  function markAnswers(li) {
    const a = li.feedhubActivity;
    const q = a && a.question;
    li.querySelectorAll(".comment").forEach((node) => {
      const best = !!q && q.best_answer === Number(node.dataset.id);
      node.classList.toggle("best-answer", best);
      node.querySelector(".best-badge").hidden = !best;
      node.querySelector(".best").hidden = !q || best || node.classList.contains("deleted") || !mayChange(a.actor);
    });
  }
  function setBestAnswer(li, commentId) {
    li.feedhubActivity.question.best_answer = commentId;
    markAnswers(li);
    // polls.js shows the question's state in the item's extras.
    li.dispatchEvent(new CustomEvent("feedhub:question", { bubbles: true, detail: li.feedhubActivity }));
  }
  // A best answer chosen elsewhere (a `question.best_answer` activity, object: the comment,
  // target: the question), on any item of that question on show.
  function answerChosen(a) {
    if (!feedEl || !a.target || !a.object) return;
    feedEl.querySelectorAll('.item[data-object="' + a.target.stream + '"]').forEach((li) => {
      if (isPost(li.feedhubActivity) && li.feedhubActivity.question) setBestAnswer(li, Number(a.object.id));
    });
  }
  async function loadComments(li, a) {
    const thread = threadOf(li);
    const url = thread.next || API + "activities/" + a.id + "/comments/?limit=50";
    const page = await api(url);
    page.orderedItems.forEach((c) => appendComment(li, c));
    thread.next = page.next;
    thread.loaded = true;
    li.querySelector(".more-comments").hidden = !page.next;
    setCommentCount(li, page.totalItems);
  }
  async function toggleThread(li, a, opening) {
    const section = li.querySelector(".thread");
    const button = li.querySelector(".actions .comments-toggle");
    const open = opening === undefined ? section.hidden : opening;
    section.hidden = !open;
    button.setAttribute("aria-expanded", String(open));
    if (!open) return;
    if (!threadOf(li).loaded) await loadComments(li, a);
    if (opening === undefined) section.querySelector("textarea").focus();
  }
  async function addComment(li, form) {
    const body = form.elements.body;
    const c = await api(API + "activities/" + li.feedhubActivity.id + "/comments/", "POST", { body: body.value });
    body.value = "";
    if (appendComment(li, c)) setCommentCount(li, Number(li.dataset.comments) + 1);
  }
  // A comment activity pushed live: thread it under its item if that item is on the page.
  function liveComment(a) {
    if (!a.in_reply_to || !a.object || a.object.type !== "comment") return false;
    const li = feedEl && feedEl.querySelector('.item[data-id="' + a.in_reply_to + '"]');
    if (!li) return false;
    const thread = threadOf(li);
    if (thread.ids.has(String(a.object.id))) return true;
    if (thread.loaded) {
      appendComment(li, { id: a.object.id, author: a.actor, body_html: a.content, created_at: a.published,
        like_count: 0, liked: false, deleted: false });
    }
    setCommentCount(li, Number(li.dataset.comments) + 1);
    return true;
  }
  async function onCommentAction(button, node, li) {
    const c = node.feedhubComment;
    if (button.classList.contains("like")) {
      const liked = button.getAttribute("aria-pressed") === "true";
      fillComment(node, await api(API + "comments/" + c.id + "/like/", liked ? "DELETE" : "POST"));
    } else if (button.classList.contains("best")) {
      const post = await api(API + "posts/" + li.feedhubActivity.object.id + "/best-answer/", "PUT", { comment: c.id });
      setBestAnswer(li, post.best_answer);
    } else if (button.classList.contains("edit")) {
      const form = node.querySelector(".edit-form");
      form.elements.body.value = c.body || node.querySelector(".text").textContent;
      form.hidden = false;
      node.querySelector(".text").hidden = true;
      form.elements.body.focus();
    } else if (button.classList.contains("delete")) {
      fillComment(node, await api(API + "comments/" + c.id + "/", "DELETE"));
      setCommentCount(li, Math.max(0, Number(li.dataset.comments) - 1));
    } else if (button.classList.contains("cancel")) {
      button.closest("form").hidden = true;
      node.querySelector(".text").hidden = false;
    }
  }

  async function onItemSubmit(ev) {
    const form = ev.target;
    const li = form.closest(".item");
    if (!li) return;
    ev.preventDefault();
    const err = li.querySelector(".item-body > .error");
    err.hidden = true;
    const submit = form.querySelector("[type=submit]");
    submit.disabled = true;
    try {
      if (form.classList.contains("comment-form")) await addComment(li, form);
      else if (form.classList.contains("share-form")) await share(li, form);
      else if (form.closest(".comment")) {
        const node = form.closest(".comment");
        fillComment(node, await api(API + "comments/" + node.feedhubComment.id + "/", "PATCH", { body: form.elements.body.value }));
        form.hidden = true;
        node.querySelector(".text").hidden = false;
        node.querySelector(".edited").hidden = false;
      } else if (form.classList.contains("edit-form")) await savePost(li, form);
    } catch (e) { showError(err, e, "That did not work. Please try again."); }
    finally { submit.disabled = false; }
  }

  // ---- the feed list ---------------------------------------------------------------------

  const feedEl = document.getElementById("feed");
  let feed = null;
  if (feedEl) feed = startFeed();

  function startFeed() {
    const moreBtn = document.getElementById("load-more");
    const endEl = document.getElementById("feed-end");
    const pill = document.getElementById("new-items");
    const liveFeed = feedEl.dataset.live;           // "news", "stream" or "" (not live)
    const liveStream = feedEl.dataset.stream || null;
    const firstPageUrl = feedEl.dataset.feedUrl;
    const shown = new Set();
    let nextUrl = firstPageUrl || null;
    let pending = 0;
    let loading = false;
    hub.resumeNews = liveFeed === "news";
    if (liveFeed === "stream") hub.stream = liveStream;

    feedEl.addEventListener("click", onItemClick);
    feedEl.addEventListener("submit", onItemSubmit);

    function showEmpty() {
      if (feedEl.children.length) return;
      feedEl.appendChild(el("li", "empty", feedEl.dataset.empty || (liveFeed === "news"
        ? "Nothing here yet. Follow a client, brief, deal, person or topic to fill your feed."
        : "No activity yet.")));
    }

    // A comment whose item is on the same page is shown in that item's thread, not on its own.
    function foldable(a, ids) { return a.in_reply_to && a.object && a.object.type === "comment" && ids.has(a.in_reply_to); }

    function appendPage(items) {
      const ids = new Set(items.map((a) => a.id));
      shown.forEach((id) => ids.add(id));
      items.forEach((a) => {
        if (shown.has(a.id)) return;
        shown.add(a.id);
        if (liveFeed === "news" && (hub.cursor === null || a.id > hub.cursor)) hub.cursor = a.id;
        if (foldable(a, ids)) return;
        feedEl.appendChild(renderItem(a));
      });
      watchShown();
    }

    // Watch the streams of the items on show, top first, so their like counts stay live.
    function watchShown() {
      watchItems(Array.from(feedEl.querySelectorAll(".item[data-object]"), (li) => li.dataset.object));
    }

    // A stream page keeps its items newest first even when pushes overtake each other; the news
    // feed shows items in inbox arrival order, which is the order they are pushed in.
    function insertionPoint(a) {
      if (liveFeed !== "stream") return feedEl.firstChild;
      for (const li of feedEl.querySelectorAll(":scope > .item")) {
        if (Number(li.dataset.id) < a.id) return li;
      }
      return null;
    }

    async function loadMore() {
      if (!nextUrl || loading) return;
      loading = true;
      try {
        const page = await api(nextUrl);
        appendPage(page.orderedItems);
        nextUrl = page.next;
      } finally { loading = false; }
      moreBtn.hidden = !nextUrl;
      endEl.hidden = !!nextUrl || !shown.size;
      showEmpty();
    }

    // Someone else changed this record: show its new values without a reload. Pushes can arrive
    // out of order (fan-outs run in parallel), so a field only takes a change newer than the
    // last one it took.
    const recordEl = document.getElementById("record");
    const fieldVersion = {};
    function applyChanges(a) {
      if (!recordEl || !a.object || a.object.stream !== recordEl.dataset.stream) return;
      (a.changes || []).forEach((c) => {
        if (a.id <= (fieldVersion[c.field] || 0)) return;
        fieldVersion[c.field] = a.id;
        const sel = recordEl.querySelector('select[data-field="' + c.field + '"]');
        // A field with saves of mine still on their way shows my choice: the server takes it last.
        if (sel && document.activeElement !== sel && !Number(sel.dataset.saving || 0)) {
          sel.value = c.new;
          sel.dispatchEvent(new Event("feedhub:synced"));
        }
        const shownValue = recordEl.querySelector('[data-show="' + c.field + '"]');
        if (shownValue) shownValue.textContent = c.new_display || "—";
      });
    }

    function scrolledAway() { return window.scrollY > 200; }
    function prepend(a) {
      if (shown.has(a.id)) return;
      shown.add(a.id);
      if (liveComment(a)) return;
      const empty = feedEl.querySelector(".empty");
      if (empty) empty.remove();
      applyChanges(a);
      const li = renderItem(a);
      li.classList.add("fresh");
      // Keep the reader's place: new items above them must not push the page down. The browser's
      // scroll anchoring may already have compensated by the time the height is read, so the
      // place is set absolutely (a relative scrollBy would move the reader down a second time).
      const before = document.documentElement.scrollHeight;
      const y = window.scrollY;
      const away = scrolledAway();
      feedEl.insertBefore(li, insertionPoint(a));
      watchShown();
      if (away) {
        window.scrollTo(0, y + document.documentElement.scrollHeight - before);
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

    // A stream's events are not kept in the inbox, so after a reconnect the page catches up by
    // re-reading the newest page of the stream; `shown` drops duplicates.
    async function catchUp() {
      if (!firstPageUrl) return;
      const page = await api(firstPageUrl);
      page.orderedItems.slice().reverse().forEach(prepend);
    }

    // Catch up whenever the page's stream is (re)subscribed, the first time too: an item
    // written between reading the first page and the subscription taking effect is read here.
    // A failed catch-up is left to the next one (the server went away: it reconnects; a 404:
    // the stream was withdrawn, which the socket reports).
    hub.on((msg) => {
      if (msg.type === "subscribed" && liveFeed === "stream" && msg.stream === liveStream) catchUp().catch(() => {});
      else if (msg.type === "activity" && msg.feed === liveFeed && (liveFeed === "news" || msg.stream === liveStream)) prepend(msg.data);
      else if (msg.type === "likes") liveLikes(msg);
      // Whatever feed it came on: a page watching the question's stream shows it too.
      if (msg.type === "activity" && msg.data && msg.data.type === "question.best_answer") answerChosen(msg.data);
    });

    const initial = document.getElementById("initial-items");
    async function start() {
      if (initial) {
        appendPage(JSON.parse(initial.textContent));
        showEmpty();
        const first = feedEl.querySelector(".item");
        if (first && feedEl.dataset.expand) await toggleThread(first, first.feedhubActivity, true);
        return;
      }
      await loadMore();
    }
    return { start, catchUp, shown };
  }

  // ---- the composer ----------------------------------------------------------------------

  const composer = document.getElementById("composer");
  if (composer) {
    const body = composer.elements.body;
    const status = document.getElementById("composer-status");
    const err = document.getElementById("composer-error");
    const streamSel = composer.elements.stream;
    prepareTextBoxes(composer, () => streamSel.value);
    const target = document.getElementById("composer-target");
    if (target) attachTargetPicker(target, streamSel);
    composer.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      err.hidden = true;
      const submit = composer.querySelector("[type=submit]");
      submit.disabled = true;
      status.textContent = "Posting…";
      try {
        const post = await api(API + "posts/", "POST", { body: body.value, stream: streamSel.value });
        body.value = "";
        status.textContent = "Posted.";
        // The post normally arrives over the socket; if it has not shortly, read the newest page.
        if (feed && post.activity) {
          setTimeout(() => { if (!feed.shown.has(post.activity)) feed.catchUp().catch(() => {}); }, 2500);
        }
      } catch (e) {
        status.textContent = "";
        showError(err, e, "Could not post. Please try again.");
      } finally { submit.disabled = false; }
    });
  }

  // ---- follow buttons and group membership ----------------------------------------------

  // Show (or stop showing) me in a list of people after following or joining.
  function listMe(list, present) {
    const mine = list.querySelector('[data-user="' + me.id + '"]');
    if (!present && mine) mine.remove();
    if (present && !mine) {
      const li = el("li");
      li.dataset.user = me.id;
      const av = el("span", "avatar small", initials(document.querySelector(".me-link").textContent));
      av.setAttribute("aria-hidden", "true");
      const a = el("a");
      a.href = "/people/" + me.id + "/";
      a.append(av, document.querySelector(".me-link").textContent);
      li.append(a);
      list.prepend(li);
    }
    const nobody = list.parentElement.querySelector(".nobody");
    if (nobody) nobody.hidden = list.children.length > 0;
  }

  // A two-state button (follow, join): send the change, then flip its label, a count and my
  // place in the list of people next to it.
  function bindToggle({ button, err, labels, count, list, send, after }) {
    button.addEventListener("click", async () => {
      err.hidden = true;
      const on = button.getAttribute("aria-pressed") === "true";
      try { await send(on); } catch (e) { showError(err, e, "Could not save."); return; }
      button.setAttribute("aria-pressed", String(!on));
      button.textContent = labels[on ? 0 : 1];
      count.textContent = String(Number(count.textContent) + (on ? -1 : 1));
      listMe(list, !on);
      if (after) after();
    });
  }

  document.querySelectorAll(".generic-follow").forEach((box) => {
    const card = box.closest(".followers");
    bindToggle({
      button: box.querySelector(".follow-toggle"),
      err: box.querySelector(".error"),
      labels: ["Follow", "Following"],
      count: card.querySelector(".follower-count"),
      list: card.querySelector(".people"),
      send: (on) => api(API + "follows/", on ? "DELETE" : "POST", { stream: box.dataset.stream }),
    });
  });

  const membership = document.getElementById("group-membership");
  if (membership) {
    bindToggle({
      button: membership,
      err: document.getElementById("group-error"),
      labels: ["Join group", "Leave group"],
      count: document.getElementById("member-count"),
      list: document.getElementById("members"),
      send: (member) => api(membership.dataset.membersUrl, member ? "DELETE" : "POST", {}),
      after: () => { choicesPromise = null; },  // my groups changed: so do the places I can post
    });
  }

  // ---- record pages: follow with an event filter, and inline field edits -----------------

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
      } catch (e) { showError(errEl, e, "Could not save."); return; }
      setFollow(!on);
      countEl.textContent = String(Number(countEl.textContent) + (on ? -1 : 1));
      listMe(document.querySelector("#followers .people"), !on);
    });
    // Changing the filter while following updates the follow in place.
    verbsSel.addEventListener("change", async () => {
      if (!following()) return;
      try { await follow(); savedEl.textContent = "Follow settings saved."; } catch (e) { showError(errEl, e, "Could not save."); }
    });
    // A field's saves go one at a time, in the order chosen: two quick choices sent at once could
    // reach the server the other way round and leave the record on the first.
    record.querySelectorAll("select[data-field]").forEach((sel) => {
      let saved = sel.value;
      let saving = Promise.resolve();
      sel.addEventListener("feedhub:synced", () => { saved = sel.value; });
      sel.addEventListener("change", () => {
        const value = sel.value;
        errEl.hidden = true;
        savedEl.textContent = "Saving…";
        sel.dataset.saving = String(Number(sel.dataset.saving || 0) + 1);
        saving = saving.then(async () => {
          try {
            await api(record.dataset.apiUrl, "PATCH", { [sel.dataset.field]: value });
            saved = value;
            if (sel.value === value) savedEl.textContent = "Saved.";
          } catch (e) {
            if (sel.value === value) sel.value = saved;
            savedEl.textContent = "";
            showError(errEl, e, "Could not save.");
          } finally {
            sel.dataset.saving = String(Number(sel.dataset.saving) - 1);
          }
        });
      });
    });
  }

  setStatus("connecting", "Connecting…");
  const ready = feed ? feed.start() : Promise.resolve();
  ready.then(connect, connect);
})();
