// ridebuy cyclist page: live free places, nearest first. Plain JavaScript, no build step, nothing from elsewhere.
"use strict";

(function () {
  const TEXT = {
    fr: {
      title: "Parkings vélo",
      subtitle: "Places libres en direct",
      skip: "Aller à la liste des parkings",
      locate: "Me localiser",
      mapTitle: "Plan schématique des parkings",
      nearest: "Du plus proche au plus loin",
      loading: "Chargement…",
      footer: "Données des capteurs, mises à jour en direct.",
      api: "API ouverte",
      originCentre: "Distances depuis le centre-ville.",
      originCentreRefused: "Position non disponible : distances depuis le centre-ville.",
      originYou: "Distances depuis votre position.",
      locating: "Recherche de votre position…",
      live: "En direct",
      connecting: "Connexion…",
      offline: "Hors ligne : les chiffres peuvent être anciens. Nouvel essai…",
      loadError: "Impossible de charger les parkings. Nouvel essai…",
      free: (n) => (n === 1 ? "place libre" : "places libres"),
      freeShort: (n) => (n === 1 ? "libre" : "libres"),
      full: "complet",
      unknown: "inconnu",
      unknownLong: "Places libres inconnues : capteurs muets",
      closed: "fermé",
      closedLong: "Parking fermé",
      covered: "couvert",
      places: (n) => `${n} places`,
      unknownSpaces: (n) => (n === 1 ? "1 place sans mesure" : `${n} places sans mesure`),
      never: "aucune mesure reçue",
      justNow: "à l’instant",
      updated: (age) => `mis à jour ${age}`,
      directions: (name) => `Itinéraire vers ${name}`,
      directionsShort: "Itinéraire",
      announce: (name, text) => `${name} : ${text}`,
      legend: { good: "3 places ou plus", low: "1 ou 2 places", full: "complet", unknown: "inconnu", closed: "fermé" },
      you: "Vous",
    },
    en: {
      title: "Bike parking",
      subtitle: "Free places, live",
      skip: "Skip to the list of parkings",
      locate: "Use my location",
      mapTitle: "Schematic map of the parkings",
      nearest: "Nearest first",
      loading: "Loading…",
      footer: "Sensor data, updated live.",
      api: "Open API",
      originCentre: "Distances from the town centre.",
      originCentreRefused: "Location unavailable: distances from the town centre.",
      originYou: "Distances from your location.",
      locating: "Finding your location…",
      live: "Live",
      connecting: "Connecting…",
      offline: "Offline: figures may be old. Retrying…",
      loadError: "Could not load the parkings. Retrying…",
      free: (n) => (n === 1 ? "free place" : "free places"),
      freeShort: () => "free",
      full: "full",
      unknown: "unknown",
      unknownLong: "Free places unknown: sensors silent",
      closed: "closed",
      closedLong: "Parking closed",
      covered: "covered",
      places: (n) => `${n} places`,
      unknownSpaces: (n) => (n === 1 ? "1 place not measured" : `${n} places not measured`),
      never: "no reading yet",
      justNow: "just now",
      updated: (age) => `updated ${age}`,
      directions: (name) => `Directions to ${name}`,
      directionsShort: "Directions",
      announce: (name, text) => `${name}: ${text}`,
      legend: { good: "3 places or more", low: "1 or 2 places", full: "full", unknown: "unknown", closed: "closed" },
      you: "You",
    },
  };
  const LEVEL_COLOURS = { good: "#17743a", low: "#ffd24d", full: "#b3261e", unknown: "#e4e4e4", closed: "#3a3a3a" };
  const LEVEL_INK = { good: "#ffffff", low: "#1a1a1a", full: "#ffffff", unknown: "#1a1a1a", closed: "#ffffff" };

  const config = JSON.parse((document.getElementById("ridebuy-config") || {}).textContent || "{}");
  const centre = config.centre || { lat: 0, lon: 0 };
  const state = {
    lang: pickLanguage(),
    parkings: new Map(),
    origin: centre,
    originKind: "centre",
    connection: "connecting",
    pendingAnnouncements: new Map(),
  };

  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (asked === "fr" || asked === "en") return asked;
    try {
      const saved = localStorage.getItem("ridebuy.lang");
      if (saved === "fr" || saved === "en") return saved;
    } catch (e) { /* storage may be off */ }
    return "fr";
  }

  const t = () => TEXT[state.lang];

  // Geometry -------------------------------------------------------------------------------------------------
  function distanceM(a, b) {
    const rad = Math.PI / 180;
    const dLat = (b.lat - a.lat) * rad;
    const dLon = (b.lon - a.lon) * rad;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
  }

  function formatDistance(m) {
    const number = new Intl.NumberFormat(state.lang, { maximumFractionDigits: m < 1000 ? 0 : 1 });
    if (m < 1000) return `${number.format(Math.round(m / 10) * 10)} m`;
    return `${number.format(m / 1000)} km`;
  }

  // Words ----------------------------------------------------------------------------------------------------
  function level(p) {
    if (p.status === "closed") return "closed";
    if (p.status === "unknown") return "unknown";
    if (p.free >= 3) return "good";
    if (p.free >= 1) return "low";
    return "full";
  }

  function age(iso) {
    if (!iso) return t().never;
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 45) return t().updated(t().justNow);
    const format = new Intl.RelativeTimeFormat(state.lang, { numeric: "auto", style: "short" });
    if (seconds < 3600) return t().updated(format.format(-Math.round(seconds / 60), "minute"));
    if (seconds < 86400) return t().updated(format.format(-Math.round(seconds / 3600), "hour"));
    return t().updated(format.format(-Math.round(seconds / 86400), "day"));
  }

  function summary(p) {
    const lv = level(p);
    if (lv === "closed") return t().closedLong;
    if (lv === "unknown") return t().unknownLong;
    if (lv === "full") return t().full;
    return `${p.free} ${t().free(p.free)}`;
  }

  // Rendering ------------------------------------------------------------------------------------------------
  function applyStaticText() {
    document.documentElement.lang = state.lang;
    document.title = `${t().title} – ${t().subtitle}`;
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const value = t()[el.dataset.i18n];
      if (typeof value === "string") el.textContent = value;
    });
    document.querySelectorAll(".lang button").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
    });
    const legend = document.getElementById("legend");
    legend.replaceChildren(
      ...Object.entries(t().legend).map(([lv, label]) => {
        const span = document.createElement("span");
        span.style.setProperty("--swatch", LEVEL_COLOURS[lv]);
        span.textContent = label;
        return span;
      })
    );
  }

  function renderOrigin() {
    const key = { centre: "originCentre", refused: "originCentreRefused", you: "originYou", locating: "locating" };
    document.getElementById("origin").textContent = t()[key[state.originKind]];
  }

  function renderConnection() {
    const el = document.getElementById("connection");
    el.dataset.state = state.connection;
    el.textContent = t()[state.connection];
  }

  function sorted() {
    return [...state.parkings.values()]
      .map((p) => ({ p, d: distanceM(state.origin, p) }))
      .sort((a, b) => a.d - b.d || a.p.name.localeCompare(b.p.name));
  }

  function cardFor(p, d) {
    const li = document.createElement("li");
    li.className = "parking";
    li.dataset.id = p.id;
    li.innerHTML = `
      <div class="badge"><span class="count"></span><span class="word"></span></div>
      <div class="info">
        <h3 class="name"></h3>
        <p class="meta"></p>
        <p class="note"></p>
        <p class="age"></p>
        <p><a class="directions"></a></p>
      </div>`;
    fillCard(li, p, d);
    return li;
  }

  function fillCard(li, p, d) {
    const lv = level(p);
    li.dataset.level = lv;
    li.dataset.status = p.status;
    const count = li.querySelector(".count");
    const word = li.querySelector(".word");
    if (lv === "closed") {
      count.textContent = "×";
      word.textContent = t().closed;
    } else if (lv === "unknown") {
      count.textContent = "?";
      word.textContent = t().unknown;
    } else {
      count.textContent = String(p.free);
      word.textContent = lv === "full" ? t().full : t().freeShort(p.free);
    }
    // The coloured badge is hidden from screen readers; they read this sentence instead.
    li.querySelector(".badge").setAttribute("aria-hidden", "true");
    li.querySelector(".name").textContent = p.name;
    const meta = [formatDistance(d), t().places(p.capacity)];
    if (p.covered) meta.push(t().covered);
    li.querySelector(".meta").textContent = meta.join(" · ");
    const note = li.querySelector(".note");
    note.textContent = summary(p) + (p.status === "stale" && p.unknown > 0 ? ` · ${t().unknownSpaces(p.unknown)}` : "");
    li.querySelector(".age").textContent = age(p.last_updated);
    li.querySelector(".age").dataset.time = p.last_updated || "";
    const link = li.querySelector(".directions");
    link.href = `https://www.openstreetmap.org/directions?to=${p.lat}%2C${p.lon}`;
    link.textContent = t().directionsShort;
    link.setAttribute("aria-label", t().directions(p.name));
  }

  function renderList() {
    const list = document.getElementById("parkings");
    const items = sorted();
    list.replaceChildren(...items.map(({ p, d }) => cardFor(p, d)));
    document.getElementById("loading").hidden = state.parkings.size > 0;
    renderMap(items);
  }

  function updateOne(p) {
    const li = document.querySelector(`.parking[data-id="${CSS.escape(p.id)}"]`);
    if (!li) { renderList(); return; }
    fillCard(li, p, distanceM(state.origin, p));
    li.classList.remove("changed");
    void li.offsetWidth; // restart the highlight animation
    li.classList.add("changed");
    renderMap(sorted());
  }

  function refreshAges() {
    document.querySelectorAll(".parking .age").forEach((el) => { el.textContent = age(el.dataset.time || null); });
  }

  const SVG = "http://www.w3.org/2000/svg";
  function renderMap(items) {
    const svg = document.getElementById("map");
    [...svg.querySelectorAll("g, circle.you")].forEach((n) => n.remove());
    const points = items.map(({ p }) => p);
    if (points.length === 0) return;
    const all = points.map((p) => ({ lat: p.lat, lon: p.lon }));
    if (state.originKind === "you") all.push(state.origin);
    const lats = all.map((p) => p.lat), lons = all.map((p) => p.lon);
    const minLat = Math.min(...lats), maxLat = Math.max(...lats), minLon = Math.min(...lons), maxLon = Math.max(...lons);
    const cosLat = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
    const spanX = Math.max((maxLon - minLon) * cosLat, 1e-6), spanY = Math.max(maxLat - minLat, 1e-6);
    const scale = Math.min(360 / spanX, 200 / spanY);
    const x = (lon) => 200 + ((lon - (minLon + maxLon) / 2) * cosLat) * scale;
    const y = (lat) => 120 - (lat - (minLat + maxLat) / 2) * scale;
    points.forEach((p) => {
      const lv = level(p);
      const g = document.createElementNS(SVG, "g");
      g.setAttribute("class", "dot");
      const title = document.createElementNS(SVG, "title");
      title.textContent = `${p.name} – ${summary(p)}`;
      const c = document.createElementNS(SVG, "circle");
      c.setAttribute("cx", x(p.lon)); c.setAttribute("cy", y(p.lat)); c.setAttribute("r", 12);
      c.setAttribute("fill", LEVEL_COLOURS[lv]); c.setAttribute("stroke", "#1a1a1a");
      if (lv === "unknown") c.setAttribute("stroke-dasharray", "3 2");
      const label = document.createElementNS(SVG, "text");
      label.setAttribute("x", x(p.lon)); label.setAttribute("y", y(p.lat)); label.setAttribute("fill", LEVEL_INK[lv]);
      label.textContent = lv === "unknown" ? "?" : lv === "closed" ? "×" : String(p.free);
      g.append(title, c, label);
      svg.append(g);
    });
    if (state.originKind === "you") {
      const you = document.createElementNS(SVG, "circle");
      you.setAttribute("class", "you");
      you.setAttribute("cx", x(state.origin.lon)); you.setAttribute("cy", y(state.origin.lat)); you.setAttribute("r", 17);
      svg.append(you);
    }
  }

  // Screen reader announcements, batched so that a busy town does not flood the listener ---------------------
  let announceTimer = null;
  function announce(p) {
    state.pendingAnnouncements.set(p.id, p);
    if (announceTimer) return;
    announceTimer = setTimeout(() => {
      const text = [...state.pendingAnnouncements.values()].map((q) => t().announce(q.name, summary(q))).join(". ");
      state.pendingAnnouncements.clear();
      announceTimer = null;
      document.getElementById("announcer").textContent = text;
    }, 1500);
  }

  // Data -----------------------------------------------------------------------------------------------------
  function setAll(parkings) {
    state.parkings = new Map(parkings.map((p) => [p.id, p]));
    renderList();
  }

  async function load() {
    try {
      const response = await fetch("/v1/parkings", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      setAll((await response.json()).parkings);
    } catch (e) {
      document.getElementById("loading").textContent = t().loadError;
      setTimeout(load, 5000);
    }
  }

  function connect() {
    const source = new EventSource("/v1/stream");
    source.addEventListener("open", () => { state.connection = "live"; renderConnection(); });
    source.addEventListener("error", () => {
      state.connection = source.readyState === EventSource.CLOSED ? "offline" : "connecting";
      renderConnection();
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    });
    source.addEventListener("snapshot", (event) => setAll(JSON.parse(event.data).parkings));
    source.addEventListener("availability", (event) => {
      const p = JSON.parse(event.data);
      const old = state.parkings.get(p.id);
      state.parkings.set(p.id, p);
      updateOne(p);
      if (!old || old.free !== p.free || old.status !== p.status) announce(p);
    });
  }

  function locate() {
    if (!("geolocation" in navigator)) { state.originKind = "refused"; renderOrigin(); return; }
    state.originKind = state.originKind === "you" ? "you" : "locating";
    renderOrigin();
    navigator.geolocation.getCurrentPosition(
      (position) => {
        state.origin = { lat: position.coords.latitude, lon: position.coords.longitude };
        state.originKind = "you";
        renderOrigin();
        renderList();
      },
      () => {
        state.origin = centre;
        state.originKind = "refused";
        renderOrigin();
        renderList();
      },
      { enableHighAccuracy: false, timeout: 10000, maximumAge: 60000 }
    );
  }

  function setLanguage(lang) {
    state.lang = lang;
    try { localStorage.setItem("ridebuy.lang", lang); } catch (e) { /* storage may be off */ }
    applyStaticText();
    renderOrigin();
    renderConnection();
    renderList();
  }

  document.querySelectorAll(".lang button").forEach((b) => b.addEventListener("click", () => setLanguage(b.dataset.lang)));
  document.getElementById("locate").addEventListener("click", locate);
  applyStaticText();
  renderOrigin();
  renderConnection();
  load().then(connect);
  locate();
  setInterval(refreshAges, 20000);
})();
