// polyregion sandbox dashboard: renders the view model streamed by the dashboard app.
// No framework and no build step. Data only ever reaches the page through textContent and
// setAttribute (never innerHTML), so a region or event detail cannot inject markup.
"use strict";

(() => {
  const SVG_NS = "http://www.w3.org/2000/svg";
  const STATE_WORD = {
    healthy: "healthy", degraded: "degraded", unhealthy: "unhealthy",
    down: "down (killed)", unknown: "unknown",
  };
  const STATE_MARK = { healthy: "✓", degraded: "!", unhealthy: "✗", down: "✗", unknown: "?" };
  const STALE_AFTER_MS = 5000;
  const WATCHDOG_MS = 10000; // the server pings every second while nothing changes
  const $ = (id) => document.getElementById(id);
  const csrf = document.querySelector('meta[name="polyregion-csrf"]').content;

  let view = null;

  // -- DOM helpers (text only) ------------------------------------------------------------
  function build(ns, tag, attrs, children) {
    const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(key, String(value));
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const h = (tag, attrs, ...children) => build(null, tag, attrs, children);
  const s = (tag, attrs, ...children) => build(SVG_NS, tag, attrs, children);
  const state = (name) => (name in STATE_WORD ? name : "unknown");
  const stateLabel = (name) => `${STATE_MARK[state(name)]} ${STATE_WORD[state(name)]}`;
  const stateBadge = (name) => h("span", { class: `badge state-${state(name)}` }, stateLabel(name));
  const fmtMs = (ms) => (ms === null || ms === undefined ? "–" : `${Math.round(ms)} ms`);
  const safeUrl = (url) => (/^https?:\/\//.test(url || "") ? url : null);

  function clock(epochS) {
    if (epochS === null || epochS === undefined) return "–";
    const d = new Date(epochS * 1000);
    const pad = (n, w = 2) => String(n).padStart(w, "0");
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  }

  // -- a control as the control API's fault and as its CLI command ------------------------
  // (mirrors polyregion/sandbox/faults.py: Fault.to_json and Fault.command)
  function faultBody(f) {
    if (f.action === "heal") return { action: "heal" };
    if (f.action === "partition") return { action: "partition", regions: [f.region, f.other] };
    if (f.action === "dependency") {
      return { action: f.action, region: f.region, dependency: f.dependency, mode: f.mode };
    }
    return { action: f.action, region: f.region };
  }

  function cliCommand(f) {
    const parts = ["polyregion", "fault", f.action];
    if (f.action === "kill" || f.action === "revive") parts.push(f.region);
    else if (f.action === "dependency") parts.push(f.region, f.dependency, f.mode);
    else if (f.action === "partition") parts.push(f.region, f.other);
    return parts.join(" ");
  }

  // -- panels -----------------------------------------------------------------------------
  function renderFacts(v) {
    $("fact-app").textContent = v.app_hostname || "–";
    $("fact-origin").textContent = v.origin_hostname || "–";
    $("fact-dns").textContent = v.dns && v.dns.port ? `${v.dns.host}:${v.dns.port}` : "–";
    $("fact-profile").textContent = v.profile || "–";
    const banner = $("banner");
    banner.hidden = !v.error;
    banner.textContent = v.error ? `Sandbox unreachable: ${v.error}` : "";
  }

  function routePath(x1, y1, x2, y2, avoid) {
    // A curve, bent to whichever side passes farther from the other regions, so a route to
    // a far region does not seem to end in a nearer one drawn on the way.
    const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    const dx = x2 - x1, dy = y2 - y1;
    const along = (cx, cy) => {
      let best = Infinity;
      for (let i = 1; i < 20; i += 1) {
        const t = i / 20, u = 1 - t;
        const px = u * u * x1 + 2 * u * t * cx + t * t * x2;
        const py = u * u * y1 + 2 * u * t * cy + t * t * y2;
        for (const [ax, ay] of avoid) best = Math.min(best, Math.hypot(px - ax, py - ay));
      }
      return best;
    };
    const sides = [1, -1].map((k) => [mx - dy * 0.22 * k, my + dx * 0.22 * k]);
    const [cx, cy] = along(...sides[0]) >= along(...sides[1]) ? sides[0] : sides[1];
    return `M${x1},${y1} Q${cx.toFixed(1)},${cy.toFixed(1)} ${x2},${y2}`;
  }

  function renderMap(v) {
    const map = $("map");
    const { width, height } = v.map;
    map.setAttribute("viewBox", `0 0 ${width} ${height}`);
    const regionsByName = Object.fromEntries(v.regions.map((r) => [r.name, r]));
    const layers = [
      s("title", { id: "map-svg-title" }, "Map of regions and user locations"),
      s("desc", { id: "map-svg-desc" }, v.locations.map((l) =>
        `${l.name} is routed to ${l.traffic_region || "nowhere"}`).join("; ") || "No locations."),
      s("defs", {}, ...["healthy", "degraded", "unhealthy", "down", "unknown"].map((st) =>
        s("marker", { id: `arrow-${st}`, viewBox: "0 0 10 10", refX: 9, refY: 5,
          markerWidth: 7, markerHeight: 7, orient: "auto-start-reverse" },
          s("path", { d: "M0,0 L10,5 L0,10 z", class: `arrow state-${st}` })))),
      s("rect", { class: "ocean", x: 0, y: 0, width, height }),
    ];
    for (const [x, lon] of v.map.graticule.meridians) {
      layers.push(s("line", { class: "grid", x1: x, y1: 0, x2: x, y2: height }));
      layers.push(s("text", { class: "grid-label", x: x + 3, y: height - 4 }, `${lon}°`));
    }
    for (const [y, lat] of v.map.graticule.parallels) {
      layers.push(s("line", { class: "grid", x1: 0, y1: y, x2: width, y2: y }));
      layers.push(s("text", { class: "grid-label", x: 3, y: y - 3 }, `${lat}°`));
    }
    for (const d of v.map.land) layers.push(s("path", { class: "land", d }));

    const routes = s("g", { class: "routes" });
    const places = s("g", { class: "places" });
    for (const loc of v.locations) {
      if (loc.x === null) continue;
      const ex = loc.x + 14, ey = loc.y - 14; // the location's edge, drawn beside it
      const target = regionsByName[loc.traffic_region];
      const st = state(loc.region_state);
      const group = s("g", { class: `location route-${loc.route}`, "data-location": loc.name,
        "data-region": loc.region || "" });
      group.append(s("line", { class: "edge-link", x1: loc.x, y1: loc.y, x2: ex, y2: ey }));
      if (target && target.x !== null) {
        routes.append(s("path", {
          class: `route state-${st}${loc.route === "bad" ? " route-bad" : ""}`,
          d: routePath(ex, ey, target.x, target.y, v.regions
            .filter((r) => r.name !== target.name && r.x !== null).map((r) => [r.x, r.y])),
          "marker-end": `url(#arrow-${st})`,
          "data-location": loc.name,
        }, s("title", {}, `${loc.name} → edge → ${loc.traffic_region} (${STATE_WORD[st]})`)));
      }
      // Users' labels go right of the dot, regions' left of theirs: a city next to its
      // region (New York, N. Virginia) stays readable.
      group.append(
        s("circle", { class: "user", cx: loc.x, cy: loc.y, r: 7 }),
        s("rect", { class: "edge", x: ex - 5, y: ey - 5, width: 10, height: 10 },
          s("title", {}, `edge for ${loc.name}`)),
        s("text", { class: "place-label", x: loc.x + 12, y: loc.y + 19 }, loc.name),
        s("text", { class: `route-label state-${st}`, x: loc.x + 12, y: loc.y + 35 },
          `→ ${loc.traffic_region || "no answer"}`),
      );
      if (loc.edge_region && loc.region && loc.edge_region !== loc.region) {
        // DNS has moved but this edge still uses its cached answer: the TTL at work.
        group.append(s("text", { class: "route-note", x: loc.x + 12, y: loc.y + 50 },
          `DNS now says ${loc.region}; edge cache until TTL`));
      }
      places.append(group);
    }
    for (const r of v.regions) {
      if (r.x === null) continue;
      const st = state(r.state);
      places.append(s("g", { class: `region state-${st}`, "data-region": r.name, "data-state": st },
        s("circle", { class: "region-dot", cx: r.x, cy: r.y, r: 15 }),
        s("text", { class: "region-mark", x: r.x, y: r.y + 5, "text-anchor": "middle" },
          STATE_MARK[st]),
        s("text", { class: "region-label", x: r.x - 21, y: r.y - 3, "text-anchor": "end" },
          r.name),
        s("text", { class: `region-state state-${st}`, x: r.x - 21, y: r.y + 13,
          "text-anchor": "end" }, STATE_WORD[st]),
      ));
    }
    map.replaceChildren(...layers, routes, places);
  }

  function renderHealth(v) {
    const head = h("tr", {}, h("th", { scope: "col" }, "region"),
      h("th", { scope: "col" }, "overall"),
      ...v.checkers.map((c) => h("th", { scope: "col", title: `as seen by the checker in ${c}` },
        `seen from ${c}`)),
      h("th", { scope: "col" }, "faults"), h("th", { scope: "col" }, "quick"));
    const rows = v.regions.map((r) => {
      const seen = Object.fromEntries(r.checkers.map((c) => [c.checker, c]));
      return h("tr", { "data-region": r.name, "data-state": state(r.state) },
        h("th", { scope: "row" }, r.name, h("div", { class: "sub mono" }, r.origin_ip || "")),
        h("td", {}, stateBadge(r.state), ...r.notes.map((n) => h("div", { class: "sub" }, n))),
        ...v.checkers.map((c) => {
          const obs = seen[c];
          return h("td", { title: obs ? obs.detail : "" }, obs ? stateBadge(obs.verdict) : "–");
        }),
        h("td", {}, r.faults.length ? r.faults.join(", ") : "none"),
        h("td", {}, quickButton(r.alive === false ? "revive" : "kill", r.name)),
      );
    });
    $("health-table").replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  function renderProcesses(v) {
    const head = h("tr", {}, ...["process", "pid", "state", "restarts"]
      .map((t) => h("th", { scope: "col" }, t)));
    const rows = v.processes.map((p) => h("tr", { "data-process": p.name },
      h("th", { scope: "row", class: "mono" }, p.name),
      h("td", { class: "mono" }, p.pid === null ? "–" : String(p.pid)),
      h("td", {}, p.held ? "killed (fault)" : p.alive ? "running" : "restarting"),
      h("td", { "data-restarts": String(p.restarts) }, String(p.restarts))));
    $("processes-table").replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  function quickButton(action, region) {
    const button = h("button", { type: "button", class: "quick" }, `${action}…`);
    button.addEventListener("click", () => {
      const form = $("fault-form");
      form.elements.action.value = action;
      form.elements.region.value = region;
      updateForm();
      askConfirm();
    });
    return button;
  }

  function renderDns(v) {
    const head = h("tr", {}, ...["location", "DNS answer", "edge sends to", "TTL"]
      .map((t) => h("th", { scope: "col" }, t)));
    const regionState = Object.fromEntries(v.regions.map((r) => [r.name, r.state]));
    const rows = v.locations.map((l) => {
      const url = safeUrl(l.entry_url);
      const edgeRegion = l.edge_region || l.region;
      return h("tr", { "data-location": l.name, "data-region": l.region || "",
        "data-traffic": l.traffic_region || "" },
        h("th", { scope: "row" }, l.name,
          h("div", { class: "sub mono" }, `from ${l.subnet || "?"}`),
          url ? h("div", { class: "sub" },
            h("a", { href: url, rel: "noopener" }, "browse as this user")) : null),
        h("td", {}, h("span", { class: "mono" }, l.answer_ip || "–"),
          h("div", {}, l.region || "–", " ", l.region ? stateBadge(regionState[l.region]) : "")),
        h("td", {}, edgeRegion || "–", " ", edgeRegion ? stateBadge(regionState[edgeRegion]) : "",
          l.edge_region && l.region && l.edge_region !== l.region
            ? h("div", { class: "sub" }, "still the cached answer") : null),
        h("td", {}, l.ttl === null ? "–" : `${l.ttl} s`));
    });
    $("dns-table").replaceChildren(h("thead", {}, head), h("tbody", {}, ...rows));
  }

  function sparkline(points, index, now, windowS, label, cls) {
    // A fixed time axis (the last `windowS` seconds, now at the right edge) so the trail
    // grows from the right and a gap means a gap. The box stretches; the line width does not.
    const w = 300, hgt = 40;
    const chart = s("svg", { class: `spark ${cls}`, viewBox: `0 0 ${w} ${hgt}`, role: "img",
      "aria-label": label, preserveAspectRatio: "none" });
    const shown = points.filter((p) => p[index] !== null && now - p[0] <= windowS);
    const top = Math.max(...shown.map((p) => p[index]), 0);
    const scale = Math.max(top, 1); // a flat zero line sits at the bottom, not mid-air
    if (shown.length >= 2) {
      chart.append(s("polyline", { points: shown.map((p) => [
        (w * (1 - (now - p[0]) / windowS)).toFixed(1),
        (hgt - 2 - (p[index] / scale) * (hgt - 6)).toFixed(1),
      ].join(",")).join(" ") }));
    }
    return { chart, top, empty: shown.length < 2 };
  }

  function renderReplication(v) {
    const box = $("replication");
    if (!v.replication.length) {
      box.replaceChildren(h("p", { class: "empty" },
        "No replication figures yet: they appear once the replicator reports lag."));
      return;
    }
    const now = v.updated_at || Date.now() / 1000;
    // The time axis grows with the history (at least a minute) up to the kept window, so a
    // fresh sandbox's first samples are not squeezed into the right edge.
    const firsts = v.replication.filter((p) => p.history.length).map((p) => p.history[0][0]);
    const span = Math.min(v.lag_window_s, Math.max(60, now - Math.min(now, ...firsts)));
    const spanText = span < 120 ? `${Math.round(span)} s` : `${Math.round(span / 60)} min`;
    box.replaceChildren(...v.replication.map((p) => {
      const backlog = p.backlog || 0;
      const lag = sparkline(p.history, 1, now, span,
        `p99 lag ${p.source} to ${p.target}, last ${spanText}`, "lag");
      const queue = sparkline(p.history, 2, now, span,
        `backlog ${p.source} to ${p.target}, last ${spanText}`, "backlog-chart");
      return h("div", { class: "pair", "data-pair": `${p.source}->${p.target}` },
        h("h3", {}, `${p.source} → ${p.target}`, p.partitioned
          ? h("span", { class: "badge state-unhealthy" }, "✗ partitioned") : null),
        h("p", { class: "figures" },
          `p50 ${fmtMs(p.p50_ms)} · p99 ${fmtMs(p.p99_ms)} · max ${fmtMs(p.max_ms)} · `,
          h("span", { class: backlog > 0 ? "backlog backlog-on" : "backlog" },
            `backlog ${p.backlog === null ? "–" : backlog}${backlog > 0 ? " writes waiting" : ""}`)),
        h("div", { class: "spark-row" }, h("span", { class: "spark-label" }, "p99 lag"), lag.chart,
          h("span", { class: "spark-top" }, lag.empty ? "collecting…" : `top ${fmtMs(lag.top)}`)),
        h("div", { class: "spark-row" }, h("span", { class: "spark-label" }, "backlog"),
          queue.chart, h("span", { class: "spark-top" },
            queue.empty ? "collecting…" : `top ${Math.round(queue.top)}`)),
        h("p", { class: "sub" }, `last ${spanText}, newest on the right`));
    }));
  }

  function renderTimeline(v) {
    const items = v.events.map((e) => h("li", { class: `event kind-${e.kind.replace(/[^a-z0-9-]/gi, "-")}` },
      h("time", { datetime: e.time ? new Date(e.time * 1000).toISOString() : "" }, clock(e.time)),
      h("span", { class: "kind" }, e.kind),
      h("span", { class: "where" }, [e.region, e.location].filter(Boolean).join(" · ")),
      h("span", { class: "detail" }, e.message || e.detail,
        e.message && e.detail ? h("span", { class: "sub" }, ` (${e.detail})`) : null)));
    $("timeline").replaceChildren(...(items.length ? items :
      [h("li", { class: "empty" }, "Nothing yet. Faults, health flips and DNS changes appear here.")]));
  }

  function setOptions(select, names) {
    const current = select.value;
    const same = select.options.length === names.length &&
      names.every((n, i) => select.options[i].value === n);
    if (!same) select.replaceChildren(...names.map((n) => h("option", { value: n }, n)));
    if (names.includes(current)) select.value = current;
  }

  function renderControls(v) {
    const form = $("fault-form");
    setOptions(form.elements.region, v.controls.regions);
    setOptions(form.elements.other, v.controls.regions);
    if (form.elements.other.value === form.elements.region.value && v.controls.regions.length > 1) {
      form.elements.other.value = v.controls.regions.find((n) => n !== form.elements.region.value);
    }
    updateForm();
  }

  function render(v) {
    view = v;
    renderFacts(v);
    renderMap(v);
    renderHealth(v);
    renderProcesses(v);
    renderDns(v);
    renderReplication(v);
    renderTimeline(v);
    renderControls(v);
    tick();
  }

  // -- fault controls: choose, confirm, run -----------------------------------------------
  function currentFault() {
    const f = $("fault-form").elements;
    return { action: f.action.value, region: f.region.value, dependency: f.dependency.value,
      mode: f.mode.value, other: f.other.value };
  }

  function updateForm() {
    const f = currentFault();
    const needs = {
      region: f.action !== "heal", dependency: f.action === "dependency",
      mode: f.action === "dependency", other: f.action === "partition",
    };
    for (const label of document.querySelectorAll("#fault-form [data-field]")) {
      label.hidden = !needs[label.dataset.field];
    }
    $("fault-cli").textContent = cliCommand(f);
  }

  function askConfirm() {
    $("fault-confirm-cli").textContent = cliCommand(currentFault());
    $("fault-confirm").hidden = false;
    $("fault-yes").focus();
  }

  async function runFault() {
    const f = currentFault();
    $("fault-confirm").hidden = true;
    const result = $("fault-result");
    result.textContent = `running ${cliCommand(f)}…`;
    try {
      const response = await fetch("api/fault", {
        method: "POST",
        headers: { "content-type": "application/json", "x-polyregion-csrf": csrf },
        body: JSON.stringify(faultBody(f)),
      });
      const body = await response.json();
      result.textContent = body.ok ? `done: ${body.cli}` : `refused: ${body.error}`;
      result.className = body.ok ? "ok" : "error";
    } catch (err) {
      result.textContent = `could not reach the dashboard: ${err}`;
      result.className = "error";
    }
  }

  function wireControls() {
    const form = $("fault-form");
    form.addEventListener("change", updateForm);
    form.addEventListener("submit", (e) => { e.preventDefault(); askConfirm(); });
    $("fault-yes").addEventListener("click", runFault);
    $("fault-no").addEventListener("click", () => {
      $("fault-confirm").hidden = true;
      $("fault-apply").focus();
    });
    updateForm();
  }

  // -- live connection: EventSource with our own reconnect and watchdog ------------------
  let source = null, backoffMs = 1000, lastMessage = 0, retryTimer = null;

  function setConnection(text, cls) {
    // Only on change: the indicator is a live region, and screen readers announce rewrites.
    if ($("connection-text").textContent !== text) $("connection-text").textContent = text;
    $("connection").className = `connection ${cls}`;
  }

  function connect() {
    clearTimeout(retryTimer);
    if (source) source.close();
    source = new EventSource("api/stream");
    const alive = () => { lastMessage = Date.now(); backoffMs = 1000; };
    source.addEventListener("state", (e) => { alive(); render(JSON.parse(e.data)); });
    source.addEventListener("ping", (e) => {
      alive();
      const beat = JSON.parse(e.data);
      if (view) {
        view.updated_at = beat.updated_at;
        if (Boolean(beat.error) !== Boolean(view.error)) {
          view.error = beat.error;
          view.connected = !beat.error;
          renderFacts(view);
        }
      }
      tick();
    });
    source.onopen = () => { alive(); setConnection("live", "live"); };
    source.onerror = () => {
      setConnection("reconnecting…", "down");
      // The browser retries by itself unless the stream is CLOSED (e.g. an HTTP error):
      // then we reconnect with a growing delay.
      if (source.readyState === EventSource.CLOSED) scheduleReconnect();
    };
  }

  function scheduleReconnect() {
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, backoffMs);
    backoffMs = Math.min(backoffMs * 2, 10000);
  }

  function tick() {
    const updated = view && view.updated_at ? view.updated_at * 1000 : null;
    const age = updated ? Date.now() - updated : null;
    $("fact-updated").textContent = age === null ? "–" :
      `${clock(updated / 1000)} (${Math.max(0, age / 1000).toFixed(1)} s ago)`;
    if (view && !view.connected) setConnection("sandbox unreachable", "down");
    else if (age !== null && age > STALE_AFTER_MS) setConnection("stale", "down");
    else if (source && source.readyState === EventSource.OPEN) setConnection("live", "live");
    if (lastMessage && Date.now() - lastMessage > WATCHDOG_MS) connect();
  }

  wireControls();
  connect();
  setInterval(tick, 1000);
})();
