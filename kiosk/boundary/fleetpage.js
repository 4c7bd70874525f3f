/* The office's fleet page: every box's uploads, read in the browser, and one verdict per box.
 *
 * kiosk publish writes this file beside fleet.html (kiosk/boundary/fleetpage.py), which gives the limits
 * below as <body data-…> attributes. Whatever a box uploaded is hostile: each file is read with a size cap,
 * status.json is checked field by field against the shape kiosk/core/showstatus.py writes, box text is shown
 * only as text (textContent), and whatever goes wrong with one box goes on that box's card alone.
 */
"use strict";

const FLEET = "fleet/";
const LEVELS = ["ok", "warning", "problem"];
const NO = Symbol("no");  // a value of the wrong shape

function readLimits(data) {
  const limits = {};
  for (const name of ["staleSeconds", "skewSeconds", "refreshSeconds", "fetchSeconds", "syncFailingSeconds",
    "firstSyncSeconds", "statusBytes", "listingBytes", "screenBytes", "textChars", "listItems", "boxes"]) {
    limits[name] = Number(data[name]);
    if (!Number.isFinite(limits[name])) throw new Error("the page gives no " + name);
  }
  return limits;
}

const LIMITS = readLimits(document.body.dataset);

// --- reading what a box wrote -----------------------------------------------------------------------------

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function own(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
}

function clip(text, chars = LIMITS.textChars) {
  if (text.length <= chars) return text;
  let cut = text.slice(0, chars - 1);
  if (/[\ud800-\udbff]$/.test(cut)) cut = cut.slice(0, -1);  // never half of a character
  return cut + "…";
}

const KINDS = {
  string: value => typeof value === "string" ? clip(value) : NO,
  number: value => typeof value === "number" && Number.isFinite(value) ? value : NO,
  count: value => Number.isSafeInteger(value) && value >= 0 ? value : NO,
  boolean: value => typeof value === "boolean" ? value : NO,
  null: value => value === null ? null : NO,
  texts: value => Array.isArray(value) && value.every(item => typeof item === "string")
    ? value.slice(0, LIMITS.listItems).map(item => clip(item)) : NO,
};

function nullable(shape) {
  return Object.assign({}, shape, {[NO]: true});
}

// What status.json holds (kiosk/core/showstatus.py and kiosk/app/show.py); absent fields are fine (an older box).
const THREAD = {running: "boolean", failing: "string null"};
const SHAPE = {
  box: "string", version: "string", role: "string null", time: "string", uptime_seconds: "number",
  running: "boolean", screen: "string", paused: "boolean", paused_since: "string null",
  on_screen: nullable({path: "string", kind: "string"}),
  content: {contribute: "count", answer: "count", arriving: "count"},
  sync: {configured: "boolean", ok: "boolean", failures: "count", consecutive_failures: "count",
    last_success: "string null", last_success_unix: "number", last_result: "string", last_time: "string"},
  errors: {unusable_count: "count", retrying_count: "count", content_problem_count: "count"},
  frames: {fade_gap_seconds: {"0.5": "number", "0.99": "number"}},
  video_frames: {shown: "count", late: "count", skipped: "count"},
  threads: "threads",
  worker_stuck: "boolean", worker_stuck_on: "string null", clock_synchronised: "boolean null",
  state_problems: "texts",
  fleet: nullable({version: "string null", refused: "texts"}),
  trust: nullable({pinned: "boolean", state: "string", version: "count null", expires: "string null",
    refused: "string null"}),
};

/* The value if it has the shape, else undefined with its name added to `bad`. */
function read(value, shape, name, bad) {
  const wrong = () => { bad.push(name); return undefined; };
  if (value === undefined) return undefined;
  if (shape === "threads") {
    if (!isObject(value)) return wrong();
    return Object.keys(value).slice(0, LIMITS.listItems).map(thread => Object.assign(
      {name: clip(thread, 60)}, read(value[thread], THREAD, name + "." + clip(thread, 60), bad)));
  }
  if (typeof shape === "string") {
    for (const kind of shape.split(" ")) {
      const taken = KINDS[kind](value);
      if (taken !== NO) return taken;
    }
    return wrong();
  }
  if (value === null && shape[NO]) return null;
  if (!isObject(value)) return wrong();
  const taken = {};
  for (const key of Object.keys(shape)) taken[key] = read(own(value, key), shape[key], name ? name + "." + key : key, bad);
  return taken;
}

function when(text) {
  return typeof text === "string" && text.length <= 64 ? Date.parse(text) : NaN;
}

/* A box's ISO time as people read it ("2026-12-18 21:05"), in the box's own zone; other text as it is. */
function shortTime(text) {
  const match = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d)/.exec(text);
  return match ? match[1] + " " + match[2] : text;
}

function duration(seconds) {
  if (seconds < 90) return Math.round(seconds) + " s";
  if (seconds < 5400) return Math.round(seconds / 60) + " min";
  if (seconds < 172800) return Math.round(seconds / 3600) + " h";
  if (seconds < 3 * 31557600) return Math.round(seconds / 86400) + " days";
  return Math.round(seconds / 31557600) + " years";
}

function describe(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return "a " + typeof value;
}

function andMore(items, shown) {
  return items.length > shown ? " (and " + (items.length - shown) + " more)" : "";
}

// --- the verdict ----------------------------------------------------------------------------------------

/* One box's health: {level: "ok" | "warning" | "problem", reasons: [{level, text}], status: the checked fields}.
 * `raw` is status.json parsed (undefined if there is none), `trouble` why it could not be read, `reported`
 * when the server received it (ms, NaN if unknown) and `now` the office's time (ms). Pure. */
function verdict(raw, reported, now, limits = LIMITS, trouble = null) {
  const reasons = [];
  const say = (level, text) => reasons.push({level, text: clip(text, 2 * limits.textChars)});
  const result = status => {
    const level = reasons.reduce((worst, r) => LEVELS.indexOf(r.level) > LEVELS.indexOf(worst) ? r.level : worst, "ok");
    return {level, reasons, status};
  };
  if (trouble) say("problem", trouble);
  let late = false;
  if (Number.isFinite(reported)) {
    const age = (now - reported) / 1000;
    if (age < -limits.skewSeconds) say("problem", "received " + duration(-age) + " in the future: a clock is wrong");
    else if (age > limits.staleSeconds) { say("problem", "no report for " + duration(age)); late = true; }
  }
  if (raw === undefined) return result({});
  if (!isObject(raw)) {
    say("problem", "status.json holds " + describe(raw) + ", not a status");
    return result({});
  }
  const bad = [];
  const s = read(raw, SHAPE, "", bad);
  if (bad.length) say("problem", "status.json is malformed: " + bad.slice(0, 6).join(", ") + andMore(bad, 6));

  const written = when(s.time);
  if (s.time === undefined && !bad.includes("time")) say("warning", "status.json gives no time");
  else if (s.time !== undefined && !Number.isFinite(written)) say("problem", "status.json's time is not a time: " + s.time);
  else if (Number.isFinite(written)) {
    const age = (now - written) / 1000;
    if (age < -limits.skewSeconds) say("problem", "its clock is " + duration(-age) + " ahead (status written " + s.time + ")");
    else if (age > limits.staleSeconds && !late) {
      say("problem", "status written " + duration(age) + " ago: its clock is behind, or its show stopped");
    }
  }
  const boxNow = Number.isFinite(written) ? written : now;
  const since = text => {
    const then = when(text);
    if (!Number.isFinite(then)) return "";
    return " for " + duration(Math.max(0, boxNow - then) / 1000) + " (since " + shortTime(text) + ")";
  };

  if (s.running === false) say("problem", "the kiosk has stopped (its last status says so)");
  if (s.paused === true) say("problem", "paused" + since(s.paused_since) + ": one slide stands still");
  if (s.worker_stuck === true) {
    say("problem", "the decode worker is stuck" + (s.worker_stuck_on ? " on " + s.worker_stuck_on : "") +
      ": systemd restarts the kiosk");
  }
  const threads = s.threads || [];
  for (const thread of threads.filter(t => t.failing).slice(0, 4)) {
    say("problem", "thread " + thread.name + " failing: " + thread.failing);
  }
  if (s.running !== false) {
    for (const thread of threads.filter(t => !t.failing && t.running === false).slice(0, 4)) {
      say("problem", "thread " + thread.name + " is not running");
    }
  }
  const stateProblems = s.state_problems || [];
  if (stateProblems.length) say("problem", "state: " + stateProblems[0] + andMore(stateProblems, 1));
  const fleet = s.fleet || {};
  if (fleet.refused && fleet.refused.length) {
    say("problem", "fleet.yaml refused (the last good one applies): " + fleet.refused[0] + andMore(fleet.refused, 1));
  }
  judgeTrust(s.trust, boxNow, say);
  judgeSync(s, boxNow, limits, say);
  if (s.clock_synchronised === false) say("warning", "clock not synchronised: the schedule waits for it");
  if (s.running !== false && s.screen === "on" && s.on_screen === null) say("warning", "nothing on screen");
  if (s.on_screen && s.on_screen.kind === "fallback") say("warning", "the fallback card: no slide to show");
  const errors = s.errors || {};
  if (errors.unusable_count > 0) say("warning", errors.unusable_count + " unusable files");
  if (errors.retrying_count > 0) say("warning", errors.retrying_count + " files being retried");
  if (errors.content_problem_count > 0) say("warning", errors.content_problem_count + " content problems");
  return result(s);
}

function judgeTrust(trust, boxNow, say) {
  if (!trust) return;
  if (trust.state === "refused") {
    say("problem", "published content refused: " + (trust.refused || "no reason given") + "; it shows the last good content");
  } else if (trust.state === "unpinned") {
    say("warning", "unsigned content accepted: no root key pinned");
  } else if (trust.state === "none") {
    if (trust.pinned) say("warning", "no signed content accepted yet");
  } else if (trust.state === "accepted") {
    if (when(trust.expires) < boxNow) {
      say("problem", "the content it shows expired at " + shortTime(trust.expires) + ": re-sign");
    }
  } else if (trust.state !== undefined) {
    say("problem", "unknown trust state: " + trust.state);
  }
}

function judgeSync(s, boxNow, limits, say) {
  const sync = s.sync;
  if (!sync) return;
  if (sync.configured === false) {
    say("warning", "sync not configured: takedowns do not reach it");
    return;
  }
  if (sync.configured !== true) return;
  const tries = sync.consecutive_failures !== undefined ? sync.consecutive_failures : 0;
  const result = sync.last_result ? ": " + sync.last_result : "";
  const success = sync.last_success_unix > 0 ? sync.last_success_unix * 1000 : when(sync.last_success);
  if (!(success > 0)) {
    if (sync.last_result !== undefined || tries > 0 || s.uptime_seconds > limits.firstSyncSeconds) {
      say("problem", "sync has never succeeded" + (tries ? " (" + tries + " tries)" : "") +
        ": takedowns do not reach it" + result);
    } else {
      say("warning", "first sync not done yet");
    }
  } else if (sync.ok === false || tries > 0) {
    const seconds = Math.max(0, boxNow - success) / 1000;
    const level = seconds > limits.syncFailingSeconds ? "problem" : "warning";
    say(level, "sync failing for " + duration(seconds) + (tries ? " (" + tries + " tries)" : "") +
      (level === "problem" ? ": takedowns do not reach it" : "") + result);
  }
}

// --- fetching, each file with a size cap ----------------------------------------------------------------

async function fetchText(url, maxBytes, signal) {
  const response = await fetch(url, {cache: "no-store", redirect: "error", signal});
  if (!response.ok) throw new Error("HTTP " + response.status);
  const length = Number(response.headers.get("Content-Length"));
  if (length > maxBytes) throw new Error("is too big (" + length + " bytes)");
  const reader = response.body.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      reader.cancel();
      throw new Error("is too big (over " + maxBytes + " bytes)");
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  try { return new TextDecoder("utf-8", {fatal: true}).decode(bytes); }
  catch (e) { throw new Error("is not UTF-8"); }
}

function parseJson(text) {
  try { return JSON.parse(text); }
  catch (e) { throw new Error("is not valid JSON"); }
}

/* nginx's JSON autoindex of a folder: name -> {type, mtime (ms), size}. */
function listing(text) {
  const entries = parseJson(text);
  if (!Array.isArray(entries)) throw new Error("is not a listing");
  const files = new Map();
  for (const entry of entries.slice(0, 100000)) {
    if (!isObject(entry) || typeof entry.name !== "string" || entry.name.length > 255) continue;
    const size = KINDS.count(entry.size);
    files.set(entry.name, {type: entry.type, mtime: when(entry.mtime), size: size === NO ? NaN : size});
  }
  return files;
}

function reason(error) {
  return error && error.name === "TimeoutError" ? "took too long" : clip(String(error && error.message || error));
}

async function readBox(name) {
  const folder = FLEET + encodeURIComponent(name) + "/";
  const signal = AbortSignal.timeout(LIMITS.fetchSeconds * 1000);
  const box = {name, folder, raw: undefined, trouble: null, reported: NaN, screen: null};
  let files;
  try { files = listing(await fetchText(folder, LIMITS.listingBytes, signal)); }
  catch (e) { box.trouble = "its folder's listing " + reason(e); return box; }
  box.screen = files.get("screen.jpg") || null;
  const status = files.get("status.json");
  if (!status) { box.trouble = "no status.json uploaded"; return box; }
  box.reported = status.mtime;
  try { box.raw = parseJson(await fetchText(folder + "status.json", LIMITS.statusBytes, signal)); }
  catch (e) { box.trouble = "status.json " + reason(e); }
  return box;
}

// --- the page -----------------------------------------------------------------------------------------------

function element(tag, content, className) {
  const node = document.createElement(tag);
  if (content !== undefined) node.textContent = content;
  if (className) node.className = className;
  return node;
}

function screenOf(box) {
  const screen = box.screen;
  if (!screen) return element("div", "no screenshot uploaded", "noscreen");
  if (!(screen.size <= LIMITS.screenBytes)) return element("div", "screenshot too big to show", "noscreen");
  const img = element("img");
  img.alt = "what " + clip(box.name, 80) + " shows";
  img.addEventListener("error", () => img.replaceWith(element("div", "screenshot unreadable", "noscreen")));
  img.src = box.folder + "screen.jpg?" + (Number.isFinite(screen.mtime) ? screen.mtime : Date.now());
  return img;
}

/* Frames of video slides as they reached the screen: what a stutter looks like from the office. */
function videoFrames(counts) {
  if (!counts || !(counts.shown > 0 || counts.skipped > 0)) return "no video yet";
  const all = (counts.shown || 0) + (counts.skipped || 0);
  const onTime = all > 0 ? Math.floor(1000 * ((counts.shown || 0) - (counts.late || 0)) / all) / 10 : 0;
  return (counts.shown || 0) + " shown, " + (counts.late || 0) + " late, " + (counts.skipped || 0) +
    " skipped (" + onTime + " % on time)";
}

function facts(s, box, now) {
  const shown = s.on_screen;
  const content = s.content || {};
  const sync = s.sync || {};
  const gap = (s.frames || {}).fade_gap_seconds || {};
  const lines = [
    ["on screen", !shown ? (s.screen || "unknown") : shown.kind === "fallback" ? "the fallback card"
      : shown.path + " (" + shown.kind + ")"],
    ["content", (content.contribute || 0) + " contribute, " + (content.answer || 0) + " answers" +
      (content.arriving ? ", " + content.arriving + " arriving" : "")],
    ["last sync", sync.configured ? (sync.last_result || "not yet") + (sync.last_time ? " · " + shortTime(sync.last_time) : "")
      : "not configured"],
    ["frame rate", gap["0.5"] > 0 && gap["0.99"] > 0 ? Math.round(1 / gap["0.5"]) + " fps in fades, p99 gap " +
      Math.round(1000 * gap["0.99"]) + " ms" : "no fade yet"],
    ["video frames", videoFrames(s.video_frames)],
    ["reported", Number.isFinite(box.reported) ? duration(Math.abs(now - box.reported) / 1000) +
      (now >= box.reported ? " ago" : " ahead") : "never"],
  ];
  if (s.version) lines.push(["version", s.version]);
  return lines;
}

function card(box, judged, now) {
  const section = element("section", undefined, "box " + judged.level);
  section.dataset.box = box.name;
  section.dataset.verdict = judged.level;
  section.appendChild(screenOf(box));
  const body = element("div", undefined, "body");
  const title = element("h2");
  title.appendChild(element("span", clip(box.name, 80)));
  title.appendChild(element("span", judged.level, "verdict"));
  body.appendChild(title);
  body.appendChild(element("div", judged.status.role || "no role", "muted"));
  if (judged.reasons.length) {
    const list = element("ul", undefined, "reasons");
    judged.reasons.forEach(r => list.appendChild(element("li", r.text, r.level)));
    body.appendChild(list);
  }
  for (const [key, value] of facts(judged.status, box, now)) {
    const row = element("div");
    row.appendChild(element("span", key + ": ", "muted"));
    row.appendChild(element("span", value, key.replace(" ", "-")));
    body.appendChild(row);
  }
  section.appendChild(body);
  return section;
}

/* A card whatever happens: a fault of this page with one box's data shows on that box alone. */
function cardOf(box, now) {
  try {
    const judged = verdict(box.raw, box.reported, now, LIMITS, box.trouble);
    return {level: judged.level, name: box.name, node: card(box, judged, now)};
  } catch (e) {
    const judged = {level: "problem", reasons: [{level: "problem", text: "this page cannot show it: " + reason(e)}],
      status: {}};
    return {level: "problem", name: box.name, node: card(Object.assign({}, box, {screen: null}), judged, now)};
  }
}

async function refresh() {
  const error = document.getElementById("error");
  try {
    const names = [...listing(await fetchText(FLEET, LIMITS.listingBytes, AbortSignal.timeout(LIMITS.fetchSeconds * 1000)))]
      .filter(([, entry]) => entry.type === "directory").map(([name]) => name).sort();
    const boxes = await Promise.all(names.slice(0, LIMITS.boxes).map(name => readBox(name).catch(
      e => ({name, folder: "", raw: undefined, trouble: reason(e), reported: NaN, screen: null}))));
    const now = Date.now();
    const cards = boxes.map(box => cardOf(box, now));
    cards.sort((a, b) => LEVELS.indexOf(b.level) - LEVELS.indexOf(a.level) || (a.name < b.name ? -1 : 1));
    document.getElementById("boxes").replaceChildren(...cards.map(c => c.node));
    const counted = level => cards.filter(c => c.level === level).length;
    document.getElementById("summary").textContent = cards.length + " screens · " + counted("ok") + " ok · " +
      counted("warning") + " warning · " + counted("problem") + " problem · updated " + new Date(now).toLocaleTimeString();
    error.textContent = names.length > LIMITS.boxes ? names.length - LIMITS.boxes + " more boxes not shown" : "";
  } catch (e) {
    error.textContent = "cannot read the reports: the fleet folder's listing " + reason(e);
  }
  setTimeout(refresh, LIMITS.refreshSeconds * 1000);
}

if (document.getElementById("boxes")) refresh();
