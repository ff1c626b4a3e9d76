// ridebuy cyclist app: where can I park right now? Plain JavaScript, no build step; Leaflet and
// Leaflet.markercluster are vendored from npm (api/static/vendor, see scripts/vendor-web.sh), nothing from a CDN.
"use strict";

(function () {
  const LANGS = ["fr", "nl", "en"];
  const FILTERS = ["free", "covered", "secure", "cargo", "charging"];
  const OFFLINE_AFTER_MS = 4000;
  const RELOAD_MS = 5 * 60 * 1000;

  const TEXT = {
    fr: {
      title: "Parkings vélo",
      subtitle: "Où se garer maintenant",
      skip: "Aller à la liste des parkings",
      locate: "Me localiser",
      mapTitle: "Carte des parkings",
      order: "Où se garer maintenant : ouverts avec places libres d’abord",
      loading: "Chargement…",
      empty: "Aucun parking ne correspond à ces filtres.",
      footer: "Données des capteurs, mises à jour en direct.",
      api: "API ouverte",
      filtersTitle: "Seulement",
      filterFree: "places libres",
      filterCovered: "couvert",
      filterSecure: "sécurisé",
      filterCargo: "vélo cargo",
      filterCharging: "recharge vélo électrique",
      originCentre: "Distances depuis le centre-ville.",
      originCentreRefused: "Position non disponible : distances depuis le centre-ville.",
      originYou: "Distances depuis votre position.",
      locating: "Recherche de votre position…",
      insecure: "La localisation ne fonctionne que sur une page sécurisée (https://). Distances depuis le centre-ville.",
      live: "En direct",
      connecting: "Connexion…",
      offline: "Hors ligne",
      offlineBanner: (since) => `Hors ligne depuis ${since} : les chiffres ci-dessous peuvent être dépassés. Nouvel essai…`,
      offlineCached: (age) => `Hors ligne : derniers chiffres connus, reçus ${age}.`,
      loadError: "Impossible de charger les parkings. Nouvel essai…",
      free: (n) => (n === 1 ? "place libre" : "places libres"),
      freeShort: (n) => (n === 1 ? "libre" : "libres"),
      full: "complet",
      unknown: "inconnu",
      unknownLong: "Places libres inconnues : capteurs muets",
      closed: "fermé",
      closedLong: "Parking fermé",
      closedNow: "Fermé à cette heure",
      covered: "couvert",
      places: (n) => `${n} places`,
      unknownSpaces: (n) => (n === 1 ? "1 place sans mesure" : `${n} places sans mesure`),
      never: "aucune mesure reçue",
      justNow: "à l’instant",
      updated: (age) => `mis à jour ${age}`,
      old: "chiffre ancien",
      details: "Détails",
      hours: "Horaires",
      alwaysOpen: "Toujours ouvert",
      openNow: "ouvert maintenant",
      secure: { none: "non", locker: "casiers", bike_room: "local vélo fermé", guarded: "gardé" },
      secureLabel: "Sécurisé",
      placesLabel: "Places",
      placeKinds: (p) => `${p.regular} classiques · ${p.cargo} cargo · ${p.ebike} électriques`,
      charging: "Bornes de recharge",
      price: "Prix",
      priceFree: "gratuit",
      maxStay: "Durée maximale",
      hoursValue: (h) => (h >= 24 && h % 24 === 0 ? `${h / 24} j` : `${h} h`),
      address: "Adresse",
      photo: (name) => `Photo : ${name}`,
      usuallyFull: (days, hour) => `Habituellement complet vers ${hour} ${days === "weekend" ? "le week-end" : "en semaine"}`,
      rarelyFull: "Rarement complet ces dernières semaines",
      directions: (name) => `Itinéraire à vélo vers ${name}`,
      directionsShort: "Itinéraire à vélo",
      geo: "Ouvrir dans une app de cartes",
      share: "Lien à partager",
      announce: (name, text) => `${name} : ${text}`,
      legend: { good: "3 places ou plus", low: "1 ou 2 places", full: "complet", unknown: "inconnu", closed: "fermé" },
      you: "Vous êtes ici",
    },
    nl: {
      title: "Fietsenstallingen",
      subtitle: "Waar kan ik nu parkeren",
      skip: "Naar de lijst van stallingen",
      locate: "Mijn locatie",
      mapTitle: "Kaart van de stallingen",
      order: "Waar nu parkeren: open met vrije plaatsen eerst",
      loading: "Laden…",
      empty: "Geen stalling voldoet aan deze filters.",
      footer: "Sensorgegevens, live bijgewerkt.",
      api: "Open API",
      filtersTitle: "Alleen",
      filterFree: "vrije plaatsen",
      filterCovered: "overdekt",
      filterSecure: "beveiligd",
      filterCargo: "bakfiets",
      filterCharging: "laadpunt e-bike",
      originCentre: "Afstanden vanaf het centrum.",
      originCentreRefused: "Locatie niet beschikbaar: afstanden vanaf het centrum.",
      originYou: "Afstanden vanaf uw locatie.",
      locating: "Uw locatie zoeken…",
      insecure: "Locatie werkt alleen op een beveiligde pagina (https://). Afstanden vanaf het centrum.",
      live: "Live",
      connecting: "Verbinden…",
      offline: "Offline",
      offlineBanner: (since) => `Offline sinds ${since}: de cijfers hieronder kunnen verouderd zijn. Opnieuw proberen…`,
      offlineCached: (age) => `Offline: laatst bekende cijfers, ontvangen ${age}.`,
      loadError: "Kan de stallingen niet laden. Opnieuw proberen…",
      free: (n) => (n === 1 ? "vrije plaats" : "vrije plaatsen"),
      freeShort: () => "vrij",
      full: "vol",
      unknown: "onbekend",
      unknownLong: "Vrije plaatsen onbekend: sensoren stil",
      closed: "gesloten",
      closedLong: "Stalling gesloten",
      closedNow: "Nu gesloten",
      covered: "overdekt",
      places: (n) => `${n} plaatsen`,
      unknownSpaces: (n) => (n === 1 ? "1 plaats niet gemeten" : `${n} plaatsen niet gemeten`),
      never: "nog geen meting",
      justNow: "zonet",
      updated: (age) => `bijgewerkt ${age}`,
      old: "oud cijfer",
      details: "Details",
      hours: "Openingsuren",
      alwaysOpen: "Altijd open",
      openNow: "nu open",
      secure: { none: "nee", locker: "fietskluizen", bike_room: "afgesloten fietsenberging", guarded: "bewaakt" },
      secureLabel: "Beveiligd",
      placesLabel: "Plaatsen",
      placeKinds: (p) => `${p.regular} gewone · ${p.cargo} bakfiets · ${p.ebike} e-bike`,
      charging: "Laadpunten",
      price: "Prijs",
      priceFree: "gratis",
      maxStay: "Maximale duur",
      hoursValue: (h) => (h >= 24 && h % 24 === 0 ? `${h / 24} d` : `${h} u`),
      address: "Adres",
      photo: (name) => `Foto: ${name}`,
      usuallyFull: (days, hour) => `Meestal vol rond ${hour} ${days === "weekend" ? "in het weekend" : "op weekdagen"}`,
      rarelyFull: "Zelden vol de voorbije weken",
      directions: (name) => `Fietsroute naar ${name}`,
      directionsShort: "Fietsroute",
      geo: "Openen in een kaart-app",
      share: "Link om te delen",
      announce: (name, text) => `${name}: ${text}`,
      legend: { good: "3 plaatsen of meer", low: "1 of 2 plaatsen", full: "vol", unknown: "onbekend", closed: "gesloten" },
      you: "U bent hier",
    },
    en: {
      title: "Bike parking",
      subtitle: "Where to park right now",
      skip: "Skip to the list of parkings",
      locate: "Use my location",
      mapTitle: "Map of the parkings",
      order: "Where to park now: open with free places first",
      loading: "Loading…",
      empty: "No parking matches these filters.",
      footer: "Sensor data, updated live.",
      api: "Open API",
      filtersTitle: "Only",
      filterFree: "free places",
      filterCovered: "covered",
      filterSecure: "secure",
      filterCargo: "cargo bike",
      filterCharging: "e-bike charging",
      originCentre: "Distances from the town centre.",
      originCentreRefused: "Location unavailable: distances from the town centre.",
      originYou: "Distances from your location.",
      locating: "Finding your location…",
      insecure: "Location only works on a secure page (https://). Distances from the town centre.",
      live: "Live",
      connecting: "Connecting…",
      offline: "Offline",
      offlineBanner: (since) => `Offline since ${since}: the figures below may be out of date. Retrying…`,
      offlineCached: (age) => `Offline: last known figures, received ${age}.`,
      loadError: "Could not load the parkings. Retrying…",
      free: (n) => (n === 1 ? "free place" : "free places"),
      freeShort: () => "free",
      full: "full",
      unknown: "unknown",
      unknownLong: "Free places unknown: sensors silent",
      closed: "closed",
      closedLong: "Parking closed",
      closedNow: "Closed at this hour",
      covered: "covered",
      places: (n) => `${n} places`,
      unknownSpaces: (n) => (n === 1 ? "1 place not measured" : `${n} places not measured`),
      never: "no reading yet",
      justNow: "just now",
      updated: (age) => `updated ${age}`,
      old: "old figure",
      details: "Details",
      hours: "Opening hours",
      alwaysOpen: "Always open",
      openNow: "open now",
      secure: { none: "no", locker: "lockers", bike_room: "locked bike room", guarded: "guarded" },
      secureLabel: "Secure",
      placesLabel: "Places",
      placeKinds: (p) => `${p.regular} regular · ${p.cargo} cargo · ${p.ebike} e-bike`,
      charging: "Charging points",
      price: "Price",
      priceFree: "free",
      maxStay: "Longest stay",
      hoursValue: (h) => (h >= 24 && h % 24 === 0 ? `${h / 24} d` : `${h} h`),
      address: "Address",
      photo: (name) => `Photo: ${name}`,
      usuallyFull: (days, hour) => `Usually full around ${hour} ${days === "weekend" ? "at weekends" : "on weekdays"}`,
      rarelyFull: "Rarely full in recent weeks",
      directions: (name) => `Cycling directions to ${name}`,
      directionsShort: "Cycling directions",
      geo: "Open in a maps app",
      share: "Link to share",
      announce: (name, text) => `${name}: ${text}`,
      legend: { good: "3 places or more", low: "1 or 2 places", full: "full", unknown: "unknown", closed: "closed" },
      you: "You are here",
    },
  };

  const config = JSON.parse((document.getElementById("ridebuy-config") || {}).textContent || "{}");
  const centre = config.centre || { lat: 0, lon: 0 };
  const state = {
    lang: pickLanguage(),
    parkings: new Map(),
    origin: centre,
    originKind: "centre",
    connection: "connecting",
    offlineSince: null,
    cachedAt: null,
    filters: new Set(FILTERS.filter((f) => new URLSearchParams(location.search).get(f) === "1")),
    openId: config.focus || null,
    trends: new Map(),
    pendingAnnouncements: new Map(),
  };

  // Language: ?lang= wins, then the remembered choice, then the browser's languages, then French.
  function pickLanguage() {
    const asked = new URLSearchParams(location.search).get("lang");
    if (LANGS.includes(asked)) return asked;
    try {
      const saved = localStorage.getItem("ridebuy.lang");
      if (LANGS.includes(saved)) return saved;
    } catch (e) { /* storage may be off */ }
    for (const tag of navigator.languages || [navigator.language || ""]) {
      const primary = String(tag).toLowerCase().split("-")[0];
      if (LANGS.includes(primary)) return primary;
    }
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

  // What a parking is right now ------------------------------------------------------------------------------
  function isClosed(p) {
    return p.status === "closed" || p.open_now === false;
  }

  function isOld(p) {
    if (state.connection === "offline") return true;
    if (!p.last_updated || !p.stale_after_s) return false;
    return Date.now() - Date.parse(p.last_updated) > p.stale_after_s * 1000;
  }

  function level(p) {
    if (isClosed(p)) return "closed";
    if (p.status === "unknown") return "unknown";
    if (p.free >= 3) return "good";
    if (p.free >= 1) return "low";
    return "full";
  }

  // "Where can I park now": open with free places and fresh figures, then free but old figures, then full, then
  // unknown, then closed; nearest first within each group.
  function rank(p) {
    const lv = level(p);
    if (lv === "good" || lv === "low") return isOld(p) ? 1 : 0;
    return { full: 2, unknown: 3, closed: 4 }[lv];
  }

  function matches(p) {
    for (const f of state.filters) {
      if (f === "free" && !(rank(p) <= 1)) return false;
      if (f === "covered" && !p.covered) return false;
      if (f === "secure" && (!p.secure || p.secure === "none")) return false;
      if (f === "cargo" && !(p.places && p.places.cargo > 0)) return false;
      if (f === "charging" && !(p.charging_points > 0)) return false;
    }
    return true;
  }

  function ordered() {
    return [...state.parkings.values()]
      .filter(matches)
      .map((p) => ({ p, d: distanceM(state.origin, p), r: rank(p) }))
      .sort((a, b) => a.r - b.r || a.d - b.d || a.p.name.localeCompare(b.p.name));
  }

  // Words ----------------------------------------------------------------------------------------------------
  function relative(iso) {
    const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
    if (seconds < 45) return t().justNow;
    const format = new Intl.RelativeTimeFormat(state.lang, { numeric: "auto", style: "short" });
    if (seconds < 3600) return format.format(-Math.round(seconds / 60), "minute");
    if (seconds < 86400) return format.format(-Math.round(seconds / 3600), "hour");
    return format.format(-Math.round(seconds / 86400), "day");
  }

  function age(p) {
    if (!p.last_updated) return t().never;
    const text = t().updated(relative(p.last_updated));
    return isOld(p) ? `${text} · ${t().old}` : text;
  }

  function summary(p) {
    const lv = level(p);
    if (lv === "closed") return p.status === "closed" ? t().closedLong : t().closedNow;
    if (lv === "unknown") return t().unknownLong;
    if (lv === "full") return t().full;
    return `${p.free} ${t().free(p.free)}`;
  }

  function badgeText(p) {
    const lv = level(p);
    if (lv === "closed") return ["×", t().closed];
    if (lv === "unknown") return ["?", t().unknown];
    return [String(p.free), lv === "full" ? t().full : t().freeShort(p.free)];
  }

  function hourText(hour) {
    return new Intl.DateTimeFormat(state.lang, { hour: "numeric", minute: "2-digit" })
      .format(new Date(2024, 0, 1, hour, 0));
  }

  // Links ----------------------------------------------------------------------------------------------------
  function directionsUrl(p) {
    const from = state.originKind === "you" ? `${state.origin.lat}%2C${state.origin.lon}` : "";
    return `https://www.openstreetmap.org/directions?engine=fossgis_osrm_bike&route=${from}%3B${p.lat}%2C${p.lon}`;
  }

  function geoUrl(p) {
    return `geo:${p.lat},${p.lon}?q=${p.lat},${p.lon}(${encodeURIComponent(p.name)})`;
  }

  // Static text ----------------------------------------------------------------------------------------------
  function applyStaticText() {
    document.documentElement.lang = state.lang;
    const town = config.town ? ` – ${config.town}` : "";
    document.title = `${t().title}${town} – ${t().subtitle}`;
    document.getElementById("town").textContent = config.town ? `– ${config.town}` : "";
    document.querySelectorAll("[data-i18n]").forEach((el) => {
      const value = t()[el.dataset.i18n];
      if (typeof value === "string") el.textContent = value;
    });
    document.querySelectorAll(".lang button").forEach((b) => {
      b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
    });
    document.getElementById("legend").replaceChildren(
      ...Object.entries(t().legend).map(([lv, label]) => {
        const span = document.createElement("span");
        span.className = "swatch";
        span.dataset.level = lv;
        span.textContent = label;
        return span;
      })
    );
    if (map) map.getContainer().setAttribute("aria-label", t().mapTitle);
  }

  function renderOrigin() {
    const key = { centre: "originCentre", refused: "originCentreRefused", you: "originYou", locating: "locating" };
    document.getElementById("origin").textContent = t()[key[state.originKind]];
  }

  function renderConnection() {
    const el = document.getElementById("connection");
    el.dataset.state = state.connection;
    el.textContent = t()[state.connection];
    document.body.classList.toggle("is-offline", state.connection === "offline");
    const banner = document.getElementById("offline");
    if (state.connection === "offline") {
      banner.textContent = state.cachedAt
        ? t().offlineCached(relative(state.cachedAt))
        : t().offlineBanner(new Intl.DateTimeFormat(state.lang, { timeStyle: "short" }).format(state.offlineSince));
      banner.hidden = false;
    } else {
      banner.hidden = true;
    }
  }

  // Cards ----------------------------------------------------------------------------------------------------
  const cards = new Map();

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function cardFor(p) {
    const li = el("li", "parking");
    li.dataset.id = p.id;
    const head = el("button", "card-head");
    head.type = "button";
    head.setAttribute("aria-expanded", "false");
    head.setAttribute("aria-controls", `details-${p.id}`);
    const badge = el("span", "badge");
    badge.setAttribute("aria-hidden", "true");
    badge.append(el("span", "count"), el("span", "word"));
    const info = el("span", "info");
    info.append(el("span", "name"), el("span", "meta"), el("span", "note"), el("span", "age"));
    head.append(badge, info);
    head.addEventListener("click", () => toggleCard(p.id));
    const details = el("div", "details");
    details.id = `details-${p.id}`;
    details.hidden = true;
    li.append(head, details);
    cards.set(p.id, li);
    return li;
  }

  function fillCard(li, p, d) {
    li.dataset.level = level(p);
    li.dataset.status = p.status;
    li.dataset.fresh = isOld(p) ? "old" : "fresh";
    const [count, word] = badgeText(p);
    li.querySelector(".count").textContent = count;
    li.querySelector(".word").textContent = word;
    li.querySelector(".name").textContent = p.name;
    const meta = [formatDistance(d), t().places(p.capacity)];
    if (p.covered) meta.push(t().covered);
    li.querySelector(".meta").textContent = meta.join(" · ");
    const unknownNote = p.status === "stale" && p.unknown > 0 ? ` · ${t().unknownSpaces(p.unknown)}` : "";
    li.querySelector(".note").textContent = summary(p) + (level(p) === "closed" ? "" : unknownNote);
    li.querySelector(".age").textContent = age(p);
    const open = state.openId === p.id;
    li.classList.toggle("open", open);
    li.querySelector(".card-head").setAttribute("aria-expanded", String(open));
    const details = li.querySelector(".details");
    details.hidden = !open;
    // Rebuilt only when something it shows changed: a periodic refresh must not take the focus off its links.
    const key = open ? JSON.stringify([p, state.lang, state.originKind, state.origin, state.trends.get(p.id)]) : "";
    if (open && details.dataset.key !== key) fillDetails(details, p);
    details.dataset.key = key;
  }

  function row(list, label, value) {
    if (value === null || value === undefined || value === "") return;
    const item = el("li");
    const separator = state.lang === "fr" ? " : " : ": "; // French puts a space before the colon
    item.append(el("span", "label", label + separator), el("span", "value", value));
    list.append(item);
  }

  function fillDetails(details, p) {
    const attrs = el("ul", "attrs");
    const hours = p.opening_hours ? `${p.opening_hours}${p.open_now ? ` (${t().openNow})` : ""}` : t().alwaysOpen;
    row(attrs, t().hours, hours);
    if (p.secure && p.secure !== "none") row(attrs, t().secureLabel, t().secure[p.secure]);
    if (p.places) row(attrs, t().placesLabel, t().placeKinds(p.places));
    if (p.charging_points > 0) row(attrs, t().charging, String(p.charging_points));
    if (p.price) row(attrs, t().price, p.price === "free" ? t().priceFree : p.price);
    if (p.max_stay_h) row(attrs, t().maxStay, t().hoursValue(p.max_stay_h));
    row(attrs, t().address, p.address);
    const children = [attrs];
    if (p.photo_url) {
      const img = el("img", "photo");
      img.loading = "lazy";
      img.alt = t().photo(p.name);
      img.src = p.photo_url;
      children.push(img);
    }
    const trend = el("p", "trend");
    const known = state.trends.get(p.id);
    if (known && known.enough_history) {
      const spell = known.usually_full[0];
      trend.textContent = spell ? t().usuallyFull(spell.days, hourText(spell.start_hour)) : t().rarelyFull;
    }
    trend.hidden = !trend.textContent;
    children.push(trend);
    const links = el("p", "links");
    const directions = el("a", "directions", t().directionsShort);
    directions.href = directionsUrl(p);
    directions.rel = "noopener";
    directions.setAttribute("aria-label", t().directions(p.name));
    const geo = el("a", "geo", t().geo);
    geo.href = geoUrl(p);
    const share = el("a", "share", t().share);
    share.href = `/p/${encodeURIComponent(p.id)}`;
    links.append(directions, geo, share);
    children.push(links);
    details.replaceChildren(...children);
    if (!state.trends.has(p.id)) loadTrend(p.id);
  }

  async function loadTrend(id) {
    state.trends.set(id, null);
    try {
      const response = await fetch(`/v1/parkings/${encodeURIComponent(id)}/trend`);
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      state.trends.set(id, await response.json());
      const p = state.parkings.get(id);
      if (p && state.openId === id) renderList();
    } catch (e) {
      state.trends.delete(id); // try again next time the card opens
    }
  }

  function toggleCard(id, fromMap) {
    state.openId = state.openId === id && !fromMap ? null : id;
    renderList();
    const li = cards.get(id);
    if (li && fromMap) {
      li.scrollIntoView({ block: "nearest" });
      li.querySelector(".card-head").focus({ preventScroll: true });
    }
    highlightMarker();
  }

  function renderList() {
    const list = document.getElementById("parkings");
    const items = ordered();
    const nodes = items.map(({ p, d }) => {
      const li = cards.get(p.id) || cardFor(p);
      fillCard(li, p, d);
      return li;
    });
    const current = [...list.children];
    if (current.length !== nodes.length || current.some((n, i) => n !== nodes[i])) list.replaceChildren(...nodes);
    document.getElementById("loading").hidden = state.parkings.size > 0;
    document.getElementById("empty").hidden = state.parkings.size === 0 || items.length > 0;
    renderMarkers();
  }

  function flash(id) {
    const li = cards.get(id);
    if (!li) return;
    li.classList.remove("changed");
    void li.offsetWidth; // restart the highlight animation
    li.classList.add("changed");
  }

  function refreshAges() {
    renderList();
    renderConnection();
  }

  // Map ------------------------------------------------------------------------------------------------------
  let map = null;
  let cluster = null;
  let youMarker = null;
  const markers = new Map();

  function initMap() {
    if (!window.L) return; // the list works without the map
    map = L.map("map", { zoomControl: true, attributionControl: true, maxZoom: 19, minZoom: 3 });
    map.getContainer().setAttribute("aria-label", t().mapTitle);
    if (config.tiles && config.tiles.url) {
      // The page sends no Referer anywhere (Referrer-Policy: no-referrer) except to the tile server, whose usage
      // policy asks for one: the page's origin, nothing more.
      L.tileLayer(config.tiles.url, {
        maxZoom: 19,
        attribution: config.tiles.attribution || "",
        referrerPolicy: "strict-origin",
      }).addTo(map);
    }
    map.attributionControl.setPrefix(false);
    cluster = L.markerClusterGroup({
      maxClusterRadius: 36,
      disableClusteringAtZoom: 17,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      iconCreateFunction: (group) => {
        const free = group.getAllChildMarkers().reduce((sum, m) => sum + (m.options.free || 0), 0);
        return L.divIcon({
          html: `<span class="pin cluster-pin">${free}</span>`,
          className: "pin-wrap",
          iconSize: [48, 48],
        });
      },
    });
    map.addLayer(cluster);
    map.setView([centre.lat, centre.lon], 15);
  }

  function markerIcon(p) {
    const lv = level(p);
    const [count] = badgeText(p);
    const fresh = isOld(p) ? "old" : "fresh";
    const selected = state.openId === p.id ? " selected" : "";
    return L.divIcon({
      html: `<span class="pin${selected}" data-id="${encodeURIComponent(p.id)}" data-level="${lv}" data-fresh="${fresh}">${count}</span>`,
      className: "pin-wrap",
      iconSize: [44, 44],
    });
  }

  let fitted = false;
  function renderMarkers() {
    if (!map) return;
    const shown = new Set();
    for (const { p } of ordered()) {
      shown.add(p.id);
      let marker = markers.get(p.id);
      const free = level(p) === "good" || level(p) === "low" ? p.free : 0;
      if (!marker) {
        marker = L.marker([p.lat, p.lon], { icon: markerIcon(p), title: p.name, alt: p.name, keyboard: true, free });
        marker.on("click", () => toggleCard(p.id, true));
        markers.set(p.id, marker);
      } else {
        marker.options.free = free;
        const icon = markerIcon(p);
        // Only a marker whose look changed is redrawn: a busy town sends many updates.
        if (icon.options.html !== marker.options.icon.options.html) marker.setIcon(icon);
      }
      if (!cluster.hasLayer(marker)) cluster.addLayer(marker);
    }
    for (const [id, marker] of markers) {
      if (!shown.has(id) && cluster.hasLayer(marker)) cluster.removeLayer(marker);
    }
    cluster.refreshClusters();
    if (!fitted && state.parkings.size > 0) {
      fitted = true; // once: the whole town (whatever the filters), or the parking of /p/{id}
      const focus = state.openId && state.parkings.get(state.openId);
      if (focus) map.setView([focus.lat, focus.lon], 17);
      else map.fitBounds(L.latLngBounds([...state.parkings.values()].map((p) => [p.lat, p.lon])), { padding: [24, 24] });
    }
  }

  function highlightMarker() {
    const p = state.openId && state.parkings.get(state.openId);
    if (map && p) cluster.zoomToShowLayer(markers.get(p.id), () => {});
  }

  function renderYou() {
    if (!map) return;
    if (youMarker) youMarker.remove();
    youMarker = null;
    if (state.originKind !== "you") return;
    youMarker = L.circleMarker([state.origin.lat, state.origin.lon], {
      radius: 9, className: "you", weight: 3,
    }).addTo(map);
    youMarker.bindTooltip(t().you, { permanent: false });
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
  let focusShown = false;
  function setAll(parkings) {
    state.parkings = new Map(parkings.map((p) => [p.id, p]));
    renderList();
    if (state.openId && !focusShown && cards.has(state.openId)) {
      focusShown = true; // /p/{id}: that parking's card, open and in view
      cards.get(state.openId).scrollIntoView({ block: "start" });
      highlightMarker();
    }
  }

  async function load() {
    try {
      const response = await fetch("/v1/parkings", { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      // The service worker answers from its cache when the network fails, and says when it stored that copy.
      state.cachedAt = response.headers.get("X-Ridebuy-Cached-At");
      if (state.cachedAt) goOffline();
      setAll((await response.json()).parkings);
    } catch (e) {
      document.getElementById("loading").textContent = t().loadError;
      setTimeout(load, 5000);
    }
  }

  let offlineTimer = null;
  function goOffline() {
    if (state.connection === "offline") return;
    state.connection = "offline";
    state.offlineSince = new Date();
    renderConnection();
    renderList();
  }

  function connect() {
    const source = new EventSource("/v1/stream");
    source.addEventListener("open", () => {
      clearTimeout(offlineTimer);
      offlineTimer = null;
      const wasOffline = state.connection === "offline";
      state.connection = "live";
      state.cachedAt = null;
      renderConnection();
      if (wasOffline) renderList();
    });
    source.addEventListener("error", () => {
      if (state.connection === "live") {
        state.connection = "connecting";
        renderConnection();
      }
      // A few seconds without the stream: say so plainly and mark every figure as old.
      if (!offlineTimer && state.connection !== "offline") offlineTimer = setTimeout(goOffline, OFFLINE_AFTER_MS);
      if (source.readyState === EventSource.CLOSED) setTimeout(connect, 5000);
    });
    source.addEventListener("snapshot", (event) => setAll(JSON.parse(event.data).parkings));
    source.addEventListener("availability", (event) => {
      const p = JSON.parse(event.data);
      const old = state.parkings.get(p.id);
      state.parkings.set(p.id, p);
      renderList();
      flash(p.id);
      if (!old || old.free !== p.free || old.status !== p.status) announce(p);
    });
  }

  // Geolocation: only when asked (the button), and only possible on a secure page ----------------------------
  function locate() {
    const note = document.getElementById("geo-note");
    if (!window.isSecureContext || !("geolocation" in navigator)) {
      note.textContent = t().insecure;
      note.hidden = false;
      return;
    }
    state.originKind = state.originKind === "you" ? "you" : "locating";
    renderOrigin();
    navigator.geolocation.getCurrentPosition(
      (position) => {
        state.origin = { lat: position.coords.latitude, lon: position.coords.longitude };
        state.originKind = "you";
        renderOrigin();
        renderList();
        renderYou();
      },
      () => {
        state.origin = centre;
        state.originKind = "refused";
        renderOrigin();
        renderList();
        renderYou();
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

  function setFilter(name, on) {
    if (on) state.filters.add(name); else state.filters.delete(name);
    const params = new URLSearchParams(location.search);
    FILTERS.forEach((f) => (state.filters.has(f) ? params.set(f, "1") : params.delete(f)));
    const query = params.toString();
    history.replaceState(null, "", `${location.pathname}${query ? `?${query}` : ""}${location.hash}`);
    renderList();
  }

  document.querySelectorAll(".lang button").forEach((b) => b.addEventListener("click", () => setLanguage(b.dataset.lang)));
  document.getElementById("locate").addEventListener("click", locate);
  document.querySelectorAll("#filters input").forEach((input) => {
    input.checked = state.filters.has(input.name);
    input.addEventListener("change", () => setFilter(input.name, input.checked));
  });
  if ("serviceWorker" in navigator && window.isSecureContext) {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => { /* the page works without it */ });
  }
  initMap();
  applyStaticText();
  renderOrigin();
  renderConnection();
  load().then(connect);
  setInterval(refreshAges, 20000);
  setInterval(load, RELOAD_MS); // opening hours turn with the clock, not with sensor messages
})();
