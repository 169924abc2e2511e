// A small W3C WebDriver client for tests: starts Debian's chromedriver on a free
// loopback port, opens a headless Chromium session and drives it over HTTP with
// Node's built-in fetch. No npm packages.
//
//   const browser = await startBrowser();          // driver + session
//   try {
//     await browser.navigate(url);
//     const el = await browser.find("#verify-button");
//     await browser.click(el);
//     await browser.screenshot("target/test-artifacts/x.png");
//   } finally {
//     await browser.close();                        // always: quits, kills, cleans up
//   }
//
// Every request has a timeout; `close()` is idempotent and also kills chromedriver's
// child processes (Chromium) by pid if the session could not be deleted cleanly.
// A missing chromedriver or chromium is an error, never a skip.

import { spawn } from "node:child_process";
import fs from "node:fs";
import fsp from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";

export const CHROMEDRIVER = process.env.POR_CHROMEDRIVER || "/usr/bin/chromedriver";
export const CHROMIUM = process.env.POR_CHROMIUM || "/usr/bin/chromium";
const ELEMENT_KEY = "element-6066-11e4-a52e-4f735466cecf";

/** The flags this machine needs (no network, no sandbox, no GPU). */
export function chromiumArgs(userDataDir) {
  return [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    `--user-data-dir=${userDataDir}`,
  ];
}

function sleep(ms) {
  return new Promise((r) => setTimeout(r, ms));
}

/** A free TCP port on 127.0.0.1 (bound then released). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

function requireExecutable(file, what, pkg) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
  } catch {
    throw new Error(`${what} not found at ${file}: install Debian's ${pkg} (bash scripts/setup-test-deps.sh)`);
  }
}

/** Pids of all live descendants of `pid` (Linux /proc), children first. */
function descendants(pid) {
  const children = new Map();
  let entries = [];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(e));
    } catch {
      // the process went away
    }
  }
  const out = [];
  const walk = (p) => {
    for (const c of children.get(p) || []) {
      out.push(c);
      walk(c);
    }
  };
  walk(pid);
  return out;
}

function killPids(pids, signal) {
  for (const p of pids) {
    try {
      process.kill(p, signal);
    } catch {
      // already gone
    }
  }
}

/**
 * Starts chromedriver on a free loopback port and waits (bounded) until `/status`
 * says ready. Returns `{ url, pid, stop(), log() }`.
 */
export async function startDriver({ driverPath = CHROMEDRIVER, readyTimeoutMs = 20000 } = {}) {
  requireExecutable(driverPath, "chromedriver", "chromium-driver");
  let lastErr = null;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const proc = spawn(driverPath, [`--port=${port}`, "--allowed-ips=127.0.0.1"], {
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    let output = "";
    const keep = (d) => {
      output = (output + d).slice(-8000);
    };
    proc.stdout.on("data", keep);
    proc.stderr.on("data", keep);
    let exited = false;
    proc.on("exit", () => (exited = true));
    proc.on("error", (e) => {
      exited = true;
      keep(String(e));
    });
    const url = `http://127.0.0.1:${port}`;
    const known = new Set();
    const onExit = () => killPids([...known, proc.pid], "SIGKILL");
    process.on("exit", onExit);
    const driver = {
      url,
      pid: proc.pid,
      log: () => output,
      /** Remembers chromedriver's children so they can be killed even if it dies first. */
      track() {
        for (const p of descendants(proc.pid)) known.add(p);
      },
      async stop() {
        process.off("exit", onExit);
        this.track();
        if (!exited) {
          try {
            process.kill(-proc.pid, "SIGTERM"); // its own process group (detached)
          } catch {
            killPids([proc.pid], "SIGTERM");
          }
          for (let i = 0; i < 30 && !exited; i++) await sleep(100);
        }
        if (!exited) killPids([proc.pid], "SIGKILL");
        await sleep(50);
        killPids([...known].filter((p) => fs.existsSync(`/proc/${p}`)), "SIGKILL");
      },
    };
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline && !exited) {
      try {
        const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(1000) });
        const body = await res.json();
        if (body.value && body.value.ready) return driver;
      } catch (e) {
        lastErr = e;
      }
      await sleep(100);
    }
    await driver.stop();
    lastErr = new Error(`chromedriver did not become ready on ${url}: ${exited ? "it exited" : "timeout"}\n${output}`);
  }
  throw lastErr;
}

async function wd(method, url, body, timeoutMs = 30000) {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json; charset=utf-8" },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`WebDriver ${method} ${url}: HTTP ${res.status}, not JSON: ${text.slice(0, 300)}`);
  }
  // W3C: errors come with a 4xx/5xx status (a script may well return `{ error }`).
  if (!res.ok) {
    const v = json.value || {};
    throw new Error(`WebDriver ${method} ${url.replace(/^.*\/session\/[^/]+/, "")}: ${v.error || res.status}: ${v.message || text.slice(0, 300)}`);
  }
  return json.value;
}

/** A WebDriver session. Element references are the W3C element id strings. */
export class Session {
  constructor(driver, id) {
    this.driver = driver;
    this.id = id;
    this.base = `${driver.url}/session/${id}`;
  }
  cmd(method, rel, body, timeoutMs) {
    return wd(method, `${this.base}${rel}`, body, timeoutMs);
  }
  navigate(url) {
    return this.cmd("POST", "/url", { url });
  }
  setTimeouts({ script = 60000, pageLoad = 30000, implicit = 0 } = {}) {
    return this.cmd("POST", "/timeouts", { script, pageLoad, implicit });
  }
  setWindowSize(width, height) {
    return this.cmd("POST", "/window/rect", { width, height });
  }
  /** Runs `script` (a function body; `arguments` are `args`) and returns its value. */
  executeScript(script, args = [], timeoutMs = 60000) {
    return this.cmd("POST", "/execute/sync", { script, args }, timeoutMs);
  }
  /** Async script: the body must call `arguments[arguments.length - 1](value)`. */
  executeAsyncScript(script, args = [], timeoutMs = 90000) {
    return this.cmd("POST", "/execute/async", { script, args }, timeoutMs);
  }
  async find(css) {
    const v = await this.cmd("POST", "/element", { using: "css selector", value: css });
    return v[ELEMENT_KEY];
  }
  async findAll(css) {
    const v = await this.cmd("POST", "/elements", { using: "css selector", value: css });
    return v.map((e) => e[ELEMENT_KEY]);
  }
  /** Types `text` into an element; for `<input type=file>` pass an absolute path. */
  sendKeys(el, text) {
    return this.cmd("POST", `/element/${el}/value`, { text });
  }
  clear(el) {
    return this.cmd("POST", `/element/${el}/clear`, {});
  }
  click(el) {
    return this.cmd("POST", `/element/${el}/click`, {});
  }
  attribute(el, name) {
    return this.cmd("GET", `/element/${el}/attribute/${encodeURIComponent(name)}`);
  }
  property(el, name) {
    return this.cmd("GET", `/element/${el}/property/${encodeURIComponent(name)}`);
  }
  text(el) {
    return this.cmd("GET", `/element/${el}/text`);
  }
  displayed(el) {
    return this.cmd("GET", `/element/${el}/displayed`);
  }
  /** Polls `fn` until it returns a truthy value or `timeoutMs` passes. */
  async waitFor(fn, { timeoutMs = 15000, intervalMs = 100, what = "condition" } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
      try {
        last = await fn();
        if (last) return last;
      } catch (e) {
        last = e;
      }
      await sleep(intervalMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
  }
  /** Saves a PNG screenshot of the viewport, creating the folder. */
  async screenshot(file) {
    const b64 = await this.cmd("GET", "/screenshot");
    await fsp.mkdir(path.dirname(file), { recursive: true });
    await fsp.writeFile(file, Buffer.from(b64, "base64"));
    return file;
  }
  /** Browser console entries, when chromedriver offers them (best effort). */
  async consoleLog() {
    try {
      return await this.cmd("POST", "/se/log", { type: "browser" }, 5000);
    } catch {
      return [];
    }
  }
  async quit() {
    await this.cmd("DELETE", "", undefined, 10000);
  }
}

/** Opens a new headless Chromium session on a started driver. */
export async function newSession(driver, { binary = CHROMIUM, userDataDir, extraArgs = [] } = {}) {
  requireExecutable(binary, "chromium", "chromium");
  const value = await wd(
    "POST",
    `${driver.url}/session`,
    {
      capabilities: {
        alwaysMatch: {
          browserName: "chrome",
          "goog:chromeOptions": { binary, args: [...chromiumArgs(userDataDir), ...extraArgs] },
          "goog:loggingPrefs": { browser: "ALL" },
        },
      },
    },
    60000,
  );
  driver.track();
  return new Session(driver, value.sessionId);
}

/**
 * chromedriver + a session with a fresh profile folder. The returned session has
 * `close()`: quits the session, stops chromedriver, kills leftovers, removes the
 * profile. Safe to call twice; never throws.
 */
export async function startBrowser({ width = 1100, height = 1400, ...opts } = {}) {
  requireExecutable(opts.driverPath || CHROMEDRIVER, "chromedriver", "chromium-driver");
  requireExecutable(opts.binary || CHROMIUM, "chromium", "chromium");
  const userDataDir = await fsp.mkdtemp(path.join(os.tmpdir(), "por-chromium-"));
  let driver = null;
  let session = null;
  const close = async () => {
    if (session) {
      const s = session;
      session = null;
      await s.quit().catch(() => {});
    }
    if (driver) {
      const d = driver;
      driver = null;
      await d.stop().catch(() => {});
    }
    await fsp.rm(userDataDir, { recursive: true, force: true, maxRetries: 3 }).catch(() => {});
  };
  try {
    driver = await startDriver(opts);
    session = await newSession(driver, { ...opts, userDataDir });
    await session.setTimeouts();
    await session.setWindowSize(width, height).catch(() => {});
  } catch (e) {
    const log = driver ? driver.log() : "";
    await close();
    throw new Error(`could not start headless Chromium: ${e.message}${log ? `\nchromedriver log:\n${log}` : ""}`);
  }
  const s = session;
  s.close = close;
  return s;
}
