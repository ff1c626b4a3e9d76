// ridebuy display panel: live free places for a screen in the street. Plain JavaScript, nothing from elsewhere.
//
// Runs for days: the rows are built once per layout and only their text nodes change afterwards; one EventSource
// at a time, reopened with a growing delay when it fails; timers are set once. A figure is shown only while the
// page is in touch with the API (stream or poll) and the parking is fully measured (status ok): otherwise "—".
"use strict";

(function () {
  const WORDS = {
    fr: {
      locale: "fr-BE",
      free: (n) => (n === 1 ? "place libre" : "places libres"),
      full: "complet",
      closed: "fermé",
      unknown: "inconnu",
      updated: (time) => `Mis à jour à ${time}`,
      never: "Pas encore de mesure",
      live: "En direct",
      connecting: "Connexion…",
      offline: "Connexion perdue : chiffres masqués",
      rideAndBuy: (visits, co2) => `Ce mois-ci : ${visits} visites à vélo au centre · ${co2} de CO₂ évités (estimation)`,
    },
    nl: {
      locale: "nl-BE",
      free: (n) => (n === 1 ? "vrije plaats" : "vrije plaatsen"),
      full: "vol",
      closed: "gesloten",
      unknown: "onbekend",
      updated: (time) => `Bijgewerkt om ${time}`,
      never: "Nog geen meting",
      live: "Live",
      connecting: "Verbinden…",
      offline: "Verbinding verbroken: cijfers verborgen",
      rideAndBuy: (visits, co2) => `Deze maand: ${visits} fietsbezoeken aan het centrum · ${co2} CO₂ vermeden (schatting)`,
    },
    de: {
      locale: "de-BE",
      free: (n) => (n === 1 ? "freier Platz" : "freie Plätze"),
      full: "voll",
      closed: "geschlossen",
      unknown: "unbekannt",
      updated: (time) => `Aktualisiert um ${time}`,
      never: "Noch keine Messung",
      live: "Live",
      connecting: "Verbinde…",
      offline: "Verbindung unterbrochen: Zahlen ausgeblendet",
      rideAndBuy: (visits, co2) => `Diesen Monat: ${visits} Radbesuche im Zentrum · ${co2} CO₂ vermieden (Schätzung)`,
    },
    en: {
      locale: "en-GB",
      free: (n) => (n === 1 ? "free place" : "free places"),
      full: "full",
      closed: "closed",
      unknown: "unknown",
      updated: (time) => `Updated at ${time}`,
      never: "No reading yet",
      live: "Live",
      connecting: "Connecting…",
      offline: "Connection lost: figures hidden",
      rideAndBuy: (visits, co2) => `This month: ${visits} cycle visits to the centre · ${co2} CO₂ avoided (estimate)`,
    },
  };
  const ARROWS = {
    ahead: "↑", "ahead-right": "↗", right: "→", "back-right": "↘",
    back: "↓", "back-left": "↙", left: "←", "ahead-left": "↖",
  };
  const NO_FIGURE = "—";
  const LOW = 2; // 1 or 2 free places: shown in yellow

  const config = JSON.parse((document.getElementById("ridebuy-panel-config") || {}).textContent || "{}");
  const params = new URLSearchParams(location.search);
  function seconds(name, fallback, minimum) {
    const value = Number(params.get(name));
    return params.has(name) && Number.isFinite(value) && value >= minimum ? value : fallback;
  }
  const STALE_AFTER_MS = seconds("stale_after_s", config.stale_after_s || 90, 1) * 1000;
  const POLL_MS = seconds("poll_s", Math.min(30, STALE_AFTER_MS / 3000), 0.2) * 1000;
  const SHIFT_MS = seconds("shift_s", 60, 0.1) * 1000;
  const ROTATE_OVERRIDE_MS = params.has("rotate_s") ? seconds("rotate_s", 8, 0.1) * 1000 : null;
  const PANEL_URL = `/v1/panels/${encodeURIComponent(config.panel || "")}`;

  const el = {
    stage: document.getElementById("stage"),
    panel: document.getElementById("panel"),
    title: document.getElementById("title"),
    clock: document.getElementById("clock"),
    rows: document.getElementById("rows"),
    message: document.getElementById("message"),
    rideAndBuy: document.getElementById("ride-and-buy"),
    updated: document.getElementById("updated"),
    connection: document.getElementById("connection"),
  };
  const state = {
    panel: null, // the last body of GET /v1/panels/{id}
    layout: "", // the parking ids the rows were built for
    rows: new Map(), // parking id -> {li, arrow, name, direction, count, unit}
    figures: new Map(), // parking id -> {free, status, last_updated}
    languageIndex: 0,
    contactAt: 0,
    source: null,
    retryMs: 1000,
    shiftStep: 0,
  };

  // Text without creating nodes: each element keeps one text node whose data changes.
  function setText(node, text) {
    const child = node.firstChild;
    if (child === null) node.appendChild(document.createTextNode(text));
    else if (child.data !== text) child.data = text;
  }
  function setData(node, key, value) {
    if (node.dataset[key] !== value) node.dataset[key] = value;
  }
  function setHidden(node, hidden) {
    if (node.hidden !== hidden) node.hidden = hidden;
  }

  function languages() {
    return (state.panel && state.panel.languages.length && state.panel.languages) || ["fr"];
  }
  function language() {
    const list = languages();
    return list[state.languageIndex % list.length];
  }
  function words() {
    return WORDS[language()] || WORDS.fr;
  }
  function local(text) {
    if (text === null || text === undefined) return "";
    if (typeof text === "string") return text;
    return text[language()] || Object.values(text)[0] || "";
  }

  const formats = new Map(); // one Intl formatter per language and kind, made once
  function format(kind) {
    const key = `${language()}:${kind}`;
    let formatter = formats.get(key);
    if (!formatter) {
      const locale = words().locale;
      const zone = config.timezone || undefined;
      if (kind === "clock") formatter = new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone: zone });
      else if (kind === "number") formatter = new Intl.NumberFormat(locale, { maximumFractionDigits: 0 });
      else formatter = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
      formats.set(key, formatter);
    }
    return formatter;
  }

  // Contact with the API ---------------------------------------------------------------------------------
  function inTouch() {
    return Date.now() - state.contactAt <= STALE_AFTER_MS;
  }
  function contact() {
    const wasOut = !inTouch();
    state.contactAt = Date.now();
    if (wasOut) renderAll();
  }

  // Rows -------------------------------------------------------------------------------------------------
  function buildRows(parkings) {
    state.rows.clear();
    const items = parkings.map((p) => {
      const li = document.createElement("li");
      li.className = "row";
      li.dataset.id = p.id;
      const arrow = document.createElement("span");
      arrow.className = "arrow";
      arrow.setAttribute("aria-hidden", "true");
      const place = document.createElement("span");
      place.className = "place";
      const name = document.createElement("span");
      name.className = "name";
      const direction = document.createElement("span");
      direction.className = "direction";
      place.append(name, direction);
      const figure = document.createElement("span");
      figure.className = "figure";
      const count = document.createElement("span");
      count.className = "count";
      const unit = document.createElement("span");
      unit.className = "unit";
      figure.append(count, unit);
      li.append(arrow, place, figure);
      state.rows.set(p.id, { li, arrow, name, direction, count, unit });
      return li;
    });
    el.rows.replaceChildren(...items);
    el.panel.style.setProperty("--rows", String(Math.max(parkings.length, 1)));
  }

  function renderRow(entry, row) {
    const known = state.figures.get(entry.id);
    const w = words();
    let figureState;
    let count;
    let unit = "";
    if (known && known.status === "closed") {
      figureState = "closed";
      count = w.closed;
    } else if (!inTouch() || !known || known.status !== "ok" || known.free === null) {
      figureState = "unknown";
      count = NO_FIGURE;
      unit = w.unknown;
    } else if (known.free === 0) {
      figureState = "full";
      count = w.full;
    } else {
      figureState = known.free <= LOW ? "low" : "free";
      count = String(known.free);
      unit = w.free(known.free);
    }
    setData(row.li, "state", figureState);
    setText(row.count, count);
    setText(row.unit, unit);
    setText(row.name, entry.name);
    setText(row.arrow, entry.arrow ? ARROWS[entry.arrow] || "" : "");
    setText(row.direction, local(entry.direction));
  }

  function renderRows() {
    if (!state.panel) return;
    for (const entry of state.panel.parkings) {
      const row = state.rows.get(entry.id);
      if (row) renderRow(entry, row);
    }
  }

  function renderText() {
    const w = words();
    document.documentElement.lang = language();
    if (!state.panel) return;
    const title = local(state.panel.title);
    setText(el.title, title);
    if (document.title !== title) document.title = title;
    const message = local(state.panel.message);
    setText(el.message, message);
    setHidden(el.message, message === "");
    const rab = state.panel.ride_and_buy;
    if (rab) {
      const co2 = rab.co2_avoided_kg >= 1000
        ? `${format("decimal").format(rab.co2_avoided_kg / 1000)} t`
        : `${format("number").format(rab.co2_avoided_kg)} kg`;
      setText(el.rideAndBuy, w.rideAndBuy(format("number").format(rab.visits), co2));
    }
    setHidden(el.rideAndBuy, !rab);
  }

  function renderStatus() {
    const w = words();
    const touch = inTouch();
    const connection = !touch ? "offline" : state.source && state.source.readyState === EventSource.OPEN ? "live" : "connecting";
    setData(el.panel, "connection", connection);
    setText(el.connection, w[connection]);
    let latest = 0;
    for (const known of state.figures.values()) {
      const at = known.last_updated ? Date.parse(known.last_updated) : 0;
      if (at > latest) latest = at;
    }
    setText(el.updated, latest ? w.updated(format("clock").format(latest)) : w.never);
    setText(el.clock, format("clock").format(Date.now()));
  }

  function renderAll() {
    renderText();
    renderRows();
    renderStatus();
  }

  // Data -------------------------------------------------------------------------------------------------
  function remember(p) {
    // The stream sends every parking of the town; keep only this panel's. A figure counts only when every
    // space is measured (status ok), as GET /v1/panels/{id} says with free: null.
    if (!state.rows.has(p.id)) return false;
    state.figures.set(p.id, { free: p.status === "ok" ? p.free : null, status: p.status, last_updated: p.last_updated });
    return true;
  }

  function applyPanel(body) {
    const layout = body.parkings.map((p) => p.id).join("\n");
    state.panel = body;
    if (layout !== state.layout) {
      state.layout = layout;
      state.figures.clear();
      buildRows(body.parkings);
    }
    body.parkings.forEach(remember);
    renderAll();
  }

  async function poll() {
    try {
      const response = await fetch(PANEL_URL, { cache: "no-cache", headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      applyPanel(await response.json());
      contact();
    } catch (error) {
      renderAll(); // the figures turn to "—" once out of touch
    }
    setTimeout(poll, POLL_MS);
  }

  function onOpen() {
    state.retryMs = 1000;
    contact();
    renderStatus();
  }
  function onSnapshot(event) {
    contact();
    JSON.parse(event.data).parkings.forEach(remember);
    renderRows();
    renderStatus();
  }
  function onAvailability(event) {
    contact();
    if (remember(JSON.parse(event.data))) {
      renderRows();
      renderStatus();
    }
  }
  function onError() {
    const source = state.source;
    if (source && source.readyState === EventSource.CLOSED) {
      // The browser gave up (an HTTP error from a proxy, say): start again later, for ever.
      closeStream();
      setTimeout(openStream, state.retryMs * (0.5 + Math.random() / 2));
      state.retryMs = Math.min(state.retryMs * 2, 30000);
    }
    renderStatus();
  }
  function openStream() {
    if (state.source) return;
    const source = new EventSource("/v1/stream");
    source.addEventListener("open", onOpen);
    source.addEventListener("snapshot", onSnapshot);
    source.addEventListener("availability", onAvailability);
    source.addEventListener("error", onError);
    state.source = source;
  }
  function closeStream() {
    const source = state.source;
    if (!source) return;
    source.removeEventListener("open", onOpen);
    source.removeEventListener("snapshot", onSnapshot);
    source.removeEventListener("availability", onAvailability);
    source.removeEventListener("error", onError);
    source.close();
    state.source = null;
  }

  // Clock, staleness, languages, burn-in -------------------------------------------------------------------
  let wasInTouch = false;
  function tick() {
    const touch = inTouch();
    if (touch !== wasInTouch) {
      wasInTouch = touch;
      renderRows();
      if (!touch && state.source && state.source.readyState === EventSource.OPEN) {
        // Open but silent past the limit (a half-open connection): start a fresh one.
        closeStream();
        openStream();
      }
    }
    renderStatus();
  }

  function rotate() {
    state.languageIndex = (state.languageIndex + 1) % languages().length;
    renderAll();
    scheduleRotation();
  }
  function scheduleRotation() {
    const every = ROTATE_OVERRIDE_MS || ((state.panel && state.panel.rotate_s) || 8) * 1000;
    setTimeout(rotate, every);
  }

  // Burn-in: move everything by a few pixels around a small circle, one step at a time.
  const SHIFT_STEPS = 16;
  const SHIFT_RADIUS_PX = 5;
  function shift() {
    state.shiftStep = (state.shiftStep + 1) % SHIFT_STEPS;
    const angle = (2 * Math.PI * state.shiftStep) / SHIFT_STEPS;
    const dx = Math.round(SHIFT_RADIUS_PX * Math.cos(angle));
    const dy = Math.round(SHIFT_RADIUS_PX * Math.sin(angle));
    el.panel.style.transform = `translate(${dx}px, ${dy}px)`;
  }

  // Preview (?size=1920x1080): the panel at that size, scaled to fit an ordinary browser window.
  function preview() {
    const match = /^(\d{2,5})x(\d{2,5})$/.exec(params.get("size") || "");
    if (!match) return;
    const width = Number(match[1]);
    const height = Number(match[2]);
    document.body.classList.add("preview");
    el.stage.style.width = `${width}px`;
    el.stage.style.height = `${height}px`;
    const fit = () => {
      const scale = Math.min(window.innerWidth / width, window.innerHeight / height);
      el.stage.style.transform = `scale(${scale})`;
    };
    window.addEventListener("resize", fit);
    fit();
  }

  preview();
  renderStatus();
  poll();
  openStream();
  setInterval(tick, 1000);
  setInterval(shift, SHIFT_MS);
  scheduleRotation();
})();
