// A tiny static file server for browser tests: serves one folder on 127.0.0.1 at
// a random port, GET/HEAD only, no directory listings, nothing outside the folder.

import http from "node:http";
import fsp from "node:fs/promises";
import path from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".txt": "text/plain; charset=utf-8",
  ".csv": "text/csv; charset=utf-8",
};

/** Serves `root`; resolves to `{ url, close() }` (`url` ends with "/"). */
export function serveDir(root) {
  const base = path.resolve(root);
  const server = http.createServer(async (req, res) => {
    const send = (status, body, type = "text/plain; charset=utf-8") => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store" });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return send(405, "method not allowed");
    let rel;
    try {
      rel = decodeURIComponent(new URL(req.url, "http://x").pathname);
    } catch {
      return send(400, "bad path");
    }
    let file = path.resolve(base, "." + rel);
    if (file !== base && !file.startsWith(base + path.sep)) return send(403, "forbidden");
    try {
      if ((await fsp.stat(file)).isDirectory()) file = path.join(file, "index.html");
      const body = await fsp.readFile(file);
      send(200, body, TYPES[path.extname(file)] || "application/octet-stream");
    } catch {
      send(404, "not found");
    }
  });
  server.keepAliveTimeout = 1000;
  return new Promise((resolve, reject) => {
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      resolve({
        url: `http://127.0.0.1:${port}/`,
        close: () =>
          new Promise((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      });
    });
  });
}
