// A tiny static file server for a built site, used by site.test.mjs.
// Binds 127.0.0.1 on a free port; `/dir/` serves `/dir/index.html`, `/dir`
// redirects to `/dir/`, anything missing answers 404 with the site's
// 404.html (when it has one). Stop it with `await stop()`.

import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import path from 'node:path';

function isFile(p) {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

function isDir(p) {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

export const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.rss': 'application/rss+xml; charset=utf-8',
  '.atom': 'application/atom+xml; charset=utf-8',
  '.xsl': 'application/xml; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
};

function contentType(file) {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

/** A static file server for root on 127.0.0.1 and a free port. */
export async function startStaticServer(siteDir) {
  const root = path.resolve(siteDir);
  const notFoundPage = path.join(root, '404.html');
  const server = createServer((req, res) => {
    const send = (status, headers, file) => {
      res.writeHead(status, { 'cache-control': 'no-store', ...headers });
      if (req.method === 'HEAD' || !file) return res.end();
      createReadStream(file).on('error', () => res.destroy()).pipe(res);
    };
    const notFound = () => {
      if (isFile(notFoundPage)) send(404, { 'content-type': CONTENT_TYPES['.html'] }, notFoundPage);
      else {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
        res.end('404 Not Found\n');
      }
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' });
      return res.end();
    }
    let pathname;
    try {
      pathname = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    } catch {
      res.writeHead(400);
      return res.end();
    }
    if (pathname.includes('\0')) return notFound();
    const abs = path.resolve(root, '.' + path.posix.normalize('/' + pathname));
    if (abs !== root && !abs.startsWith(root + path.sep)) return notFound();
    let file = abs;
    if (isDir(abs)) {
      if (!pathname.endsWith('/')) {
        const u = new URL(req.url, 'http://127.0.0.1');
        res.writeHead(301, { location: u.pathname + '/' + u.search });
        return res.end();
      }
      file = path.join(abs, 'index.html');
    }
    if (!isFile(file)) return notFound();
    send(200, { 'content-type': contentType(file) }, file);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  const stop = () =>
    new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    });
  return { server, origin: `http://127.0.0.1:${port}`, stop };
}
