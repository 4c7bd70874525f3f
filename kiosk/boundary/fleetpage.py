"""The office's page of every screen: a static HTML file that `kiosk publish` writes into the site.

It needs nothing of ours on the server: the boxes PUT their reports into
`fleet/<box>/` (kiosk.boundary.upload) and nginx lists `fleet/` as JSON
(autoindex). The page reads that list, each box's status.json and its
screenshot, and refreshes itself. No build step, no framework, no external
URL: the office network may be offline. A box stands out when it is stale
(no report for STALE_SECONDS), dark (the screen off or nothing shown), on
the fallback card, or reports files it cannot show.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.boundary.files import write_atomically

FLEET_PAGE = "fleet.html"
STALE_SECONDS = 300  # five heartbeats of the default 60 s
REFRESH_SECONDS = 30

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Seoul Plaza · every screen</title>
<style>
  body { font-family: "Noto Sans", "Nanum Gothic", sans-serif; margin: 0; background: #14181f; color: #e8e8e8; }
  header { padding: 12px 20px; display: flex; justify-content: space-between; align-items: baseline; }
  h1 { font-size: 20px; margin: 0; }
  #summary { font-size: 14px; color: #b8c0cc; }
  main { display: grid; grid-template-columns: repeat(auto-fill, minmax(300px, 1fr)); gap: 14px; padding: 0 20px 20px; }
  .box { background: #1f2530; border-radius: 8px; overflow: hidden; border: 3px solid #2e7d32; }
  .box img { width: 100%; height: 200px; object-fit: contain; display: block; background: #000; }
  .box .body { padding: 8px 12px; font-size: 13px; line-height: 1.5; }
  .box h2 { font-size: 16px; margin: 0 0 4px; display: flex; justify-content: space-between; }
  .flags span { display: inline-block; margin-right: 6px; padding: 1px 6px; border-radius: 4px; font-weight: bold; }
  .box.stale { border-color: #c62828; } .flags .stale { background: #c62828; }
  .box.dark { border-color: #6d4c41; } .flags .dark { background: #6d4c41; }
  .box.fallback { border-color: #ef6c00; } .flags .fallback { background: #ef6c00; }
  .box.unusable { border-color: #f9a825; } .flags .unusable { background: #f9a825; color: #111; }
  .muted { color: #9aa4b2; }
  #error { color: #ff8a80; padding: 0 20px; }
</style>
</head>
<body>
<header><h1>Seoul Plaza · every screen</h1><div id="summary">loading…</div></header>
<div id="error"></div>
<main id="boxes"></main>
<script>
"use strict";
const STALE_SECONDS = __STALE__, REFRESH_SECONDS = __REFRESH__;
const FLEET = "fleet/";

function text(tag, content, cls) {
  const node = document.createElement(tag);
  node.textContent = content;
  if (cls) node.className = cls;
  return node;
}

function ago(seconds) {
  if (!isFinite(seconds)) return "never";
  if (seconds < 90) return Math.round(seconds) + " s ago";
  if (seconds < 5400) return Math.round(seconds / 60) + " min ago";
  return Math.round(seconds / 3600) + " h ago";
}

async function listing(url) {
  const response = await fetch(url, {cache: "no-store"});
  if (!response.ok) throw new Error(url + ": HTTP " + response.status);
  return response.json();
}

function card(name, status, reported, problem) {
  const age = (Date.now() - reported) / 1000;
  const flags = [];
  if (!(age < STALE_SECONDS) || status.running === false) flags.push(["stale", "stale"]);
  const shown = status.on_screen;
  if (status.screen && status.screen !== "on") flags.push(["dark", "dark: " + status.screen]);
  else if (!shown) flags.push(["dark", "dark"]);
  if (shown && shown.kind === "fallback") flags.push(["fallback", "fallback card"]);
  const unusable = (status.errors || {}).unusable_count || 0;
  if (unusable > 0) flags.push(["unusable", unusable + " unusable"]);
  const box = document.createElement("section");
  box.className = "box " + flags.map(f => f[0]).join(" ");
  box.dataset.box = name;
  const img = document.createElement("img");
  img.alt = "what " + name + " shows";
  img.src = FLEET + encodeURIComponent(name) + "/screen.jpg?" + reported;
  box.appendChild(img);
  const body = document.createElement("div");
  body.className = "body";
  const title = document.createElement("h2");
  title.appendChild(text("span", name));
  title.appendChild(text("span", status.role || "no role", "muted"));
  body.appendChild(title);
  const flagLine = document.createElement("div");
  flagLine.className = "flags";
  flags.forEach(f => flagLine.appendChild(text("span", f[1], f[0])));
  body.appendChild(flagLine);
  const content = status.content || {};
  const frames = status.frames || {};
  const sync = status.sync || {};
  const lines = [
    ["on screen", shown ? shown.path + " (" + shown.kind + ")" : "nothing"],
    ["content", (content.contribute || 0) + " contribute, " + (content.answer || 0) + " answers" +
      (content.arriving ? ", " + content.arriving + " arriving" : "")],
    ["last sync", sync.configured ? (sync.last_result || "not yet") + (sync.last_time ? " · " + sync.last_time : "")
      : "not configured"],
    ["frame rate", frames.fade_gap_seconds ? Math.round(1 / frames.fade_gap_seconds["0.5"]) + " fps in fades, p99 gap " +
      Math.round(1000 * frames.fade_gap_seconds["0.99"]) + " ms" : "no fade yet"],
    ["reported", ago(age)],
  ];
  if (problem) lines.push(["problem", problem]);
  lines.forEach(([key, value]) => {
    const row = document.createElement("div");
    row.appendChild(text("span", key + ": ", "muted"));
    row.appendChild(text("span", value, key.replace(" ", "-")));
    body.appendChild(row);
  });
  box.appendChild(body);
  return [box, flags.length === 0];
}

async function refresh() {
  const error = document.getElementById("error");
  try {
    const boxes = (await listing(FLEET)).filter(entry => entry.type === "directory");
    const cards = await Promise.all(boxes.map(async entry => {
      const name = entry.name;
      let files = [], status = {}, problem = "";
      try { files = await listing(FLEET + encodeURIComponent(name) + "/"); } catch (e) { problem = String(e); }
      const file = files.find(f => f.name === "status.json");
      if (file) {
        try { status = await (await fetch(FLEET + encodeURIComponent(name) + "/status.json", {cache: "no-store"})).json(); }
        catch (e) { problem = "status.json unreadable"; }
      } else { problem = problem || "no status yet"; }
      return card(name, status, file ? Date.parse(file.mtime) : NaN, problem);
    }));
    const main = document.getElementById("boxes");
    main.replaceChildren(...cards.map(c => c[0]));
    const healthy = cards.filter(c => c[1]).length;
    document.getElementById("summary").textContent =
      cards.length + " screens · " + healthy + " healthy · " + (cards.length - healthy) + " need a look · " +
      "updated " + new Date().toLocaleTimeString();
    error.textContent = "";
  } catch (e) {
    error.textContent = "cannot read the reports: " + e;
  }
  setTimeout(refresh, REFRESH_SECONDS * 1000);
}
refresh();
</script>
</body>
</html>
"""


def fleet_page() -> str:
    return _PAGE.replace("__STALE__", str(STALE_SECONDS)).replace("__REFRESH__", str(REFRESH_SECONDS))


def write_fleet_page(site: Path) -> None:
    """Writes fleet.html into the published site (the same for every publish)."""
    path = site / FLEET_PAGE
    page = fleet_page()
    try:
        if path.read_text(encoding="utf-8") == page:
            return
    except (OSError, UnicodeDecodeError):
        pass
    write_atomically(path, page)
