// Browser and HTML-validation checks of a built static site.
//
//   SITE_DIR=<built site> SITE_PAGES="/ /annonces/ /404.html" npm test --prefix tests/browser
//
// 1. Every .html file under SITE_DIR (at most HTML_CHECK_LIMIT, default 400:
//    the SITE_PAGES files plus a deterministic sample) goes through the
//    Nu HTML Checker (vnu.jar from the vnu-jar package, run with `java`).
// 2. SITE_DIR is served on 127.0.0.1 (random port) and each SITE_PAGES path
//    is loaded in headless Chromium (Debian's, through playwright-core) and
//    checked with axe-core against WCAG 2.0/2.1 A and AA, in light and dark
//    colour schemes, plus a 375px-wide mobile viewport for the first path.
//
// Optional env: CHROMIUM (default /usr/bin/chromium), JAVA (default java),
// HTML_CHECK_LIMIT (default 400), SITE_URL (a server already serving SITE_DIR
// with the platform's functions, e.g. `entraide serve`, instead of the static one).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { statSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { startStaticServer } from './static-server.mjs';
import { AXE_TAGS, CHROMIUM, LAUNCH_ARGS, formatViolations, injectAxe, recordCspViolations } from './common.mjs';

const require = createRequire(import.meta.url);

const JAVA = process.env.JAVA || 'java';
const HTML_CHECK_LIMIT = Number.parseInt(process.env.HTML_CHECK_LIMIT || '400', 10);
const MAX_LISTED = 200; // errors listed in one failure message

// ---------------------------------------------------------------- inputs

const SITE_DIR = process.env.SITE_DIR ? path.resolve(process.env.SITE_DIR) : '';
const SITE_PAGES = (process.env.SITE_PAGES || '/').split(/\s+/).filter(Boolean);

function checkSiteDir() {
  assert.ok(SITE_DIR, 'SITE_DIR is not set: point it at a built site directory');
  let st;
  try {
    st = statSync(SITE_DIR);
  } catch {
    assert.fail(`SITE_DIR does not exist: ${SITE_DIR}`);
  }
  assert.ok(st.isDirectory(), `SITE_DIR is not a directory: ${SITE_DIR}`);
}

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

/** All .html files under dir, as sorted paths relative to dir (with '/'). */
function listHtmlFiles(dir) {
  const out = [];
  const walk = (rel) => {
    const entries = readdirSync(path.join(dir, rel), { withFileTypes: true });
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) walk(r);
      else if (e.isFile() && e.name.endsWith('.html')) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

/** The file (relative to SITE_DIR) a URL path maps to, or null. */
function fileForUrlPath(urlPath) {
  let p;
  try {
    p = decodeURIComponent(urlPath.split(/[?#]/)[0]);
  } catch {
    return null;
  }
  const abs = path.resolve(SITE_DIR, '.' + path.posix.normalize('/' + p));
  if (abs !== SITE_DIR && !abs.startsWith(SITE_DIR + path.sep)) return null;
  let file = abs;
  if (p.endsWith('/') || isDir(abs)) file = path.join(abs, 'index.html');
  if (!isFile(file)) return null;
  return path.relative(SITE_DIR, file).split(path.sep).join('/');
}

/**
 * The files to validate: all of them when there are at most `limit`;
 * otherwise the SITE_PAGES files, one file from each top-level folder, then
 * evenly spaced files of the sorted list until `limit` is reached.
 */
function selectHtmlFiles(all, pages, limit) {
  if (all.length <= limit) return { files: all, sampled: false };
  const chosen = new Set();
  for (const p of pages) {
    const f = fileForUrlPath(p);
    if (f && f.endsWith('.html') && chosen.size < limit) chosen.add(f);
  }
  const seenTop = new Set();
  for (const f of all) {
    if (chosen.size >= limit) break;
    const top = f.includes('/') ? f.slice(0, f.indexOf('/')) : '';
    if (!seenTop.has(top)) {
      seenTop.add(top);
      chosen.add(f);
    }
  }
  const rest = all.filter((f) => !chosen.has(f));
  const room = limit - chosen.size;
  if (room > 0 && rest.length > 0) {
    const step = rest.length / room;
    for (let i = 0; i < room && i < rest.length; i++) chosen.add(rest[Math.floor(i * step)]);
  }
  return { files: [...chosen].sort(), sampled: true };
}

// ---------------------------------------------------------------- vnu

const VNU_JAR = String(require('vnu-jar'));

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { maxBuffer: 256 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error); // could not start
      else resolve({ code: error ? error.code : 0, stdout, stderr });
    });
  });
}

/** Splits files into batches whose joined length stays under maxChars. */
function batches(files, maxFiles = 100, maxChars = 24000) {
  const out = [];
  let cur = [];
  let len = 0;
  for (const f of files) {
    if (cur.length && (cur.length >= maxFiles || len + f.length + 1 > maxChars)) {
      out.push(cur);
      cur = [];
      len = 0;
    }
    cur.push(f);
    len += f.length + 1;
  }
  if (cur.length) out.push(cur);
  return out;
}

function relFromVnuUrl(url) {
  if (!url) return '(unknown file)';
  let p = url;
  if (p.startsWith('file:')) {
    try {
      p = new URL(p).pathname;
      p = decodeURIComponent(p);
    } catch {
      p = p.replace(/^file:/, '');
    }
  }
  const rel = path.relative(SITE_DIR, p);
  return rel.startsWith('..') ? p : rel.split(path.sep).join('/');
}

async function validateHtml(absFiles) {
  const messages = [];
  for (const batch of batches(absFiles)) {
    const { code, stderr, stdout } = await run(JAVA, [
      '-jar', VNU_JAR, '--errors-only', '--skip-non-html', '--format', 'json', ...batch,
    ]);
    const raw = (stderr || stdout || '').trim();
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch {
      throw new Error(`vnu.jar exited with ${code} and output that is not JSON:\n${raw.slice(0, 4000)}`);
    }
    for (const m of parsed.messages || []) {
      if (m.type === 'info') continue; // warnings (not expected with --errors-only)
      messages.push({
        file: relFromVnuUrl(m.url),
        line: m.lastLine ?? m.firstLine ?? 0,
        column: m.firstColumn ?? m.lastColumn ?? 0,
        type: m.type,
        message: m.message,
        extract: m.extract,
      });
    }
  }
  messages.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
  return messages;
}

function formatVnuErrors(errors, checkedCount) {
  const files = new Set(errors.map((e) => e.file));
  const lines = [
    `Nu HTML Checker: ${errors.length} error(s) in ${files.size} of ${checkedCount} checked file(s):`,
  ];
  for (const e of errors.slice(0, MAX_LISTED)) {
    const kind = e.type === 'error' ? '' : ` [${e.type}]`;
    lines.push(`  ${e.file}:${e.line}:${e.column}${kind}: ${e.message}`);
    if (e.extract) lines.push(`      ${e.extract.replace(/\s+/g, ' ').trim().slice(0, 160)}`);
  }
  if (errors.length > MAX_LISTED) lines.push(`  … and ${errors.length - MAX_LISTED} more`);
  return lines.join('\n');
}

// ---------------------------------------------------------------- axe


const MODES = [
  { name: 'light', options: { colorScheme: 'light', viewport: { width: 1280, height: 800 } } },
  { name: 'dark', options: { colorScheme: 'dark', viewport: { width: 1280, height: 800 } } },
  {
    name: 'mobile-375',
    firstPathOnly: true,
    options: { colorScheme: 'light', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true },
  },
  {
    name: 'mobile-375-dark',
    firstPathOnly: true,
    options: { colorScheme: 'dark', viewport: { width: 375, height: 812 }, isMobile: true, hasTouch: true },
  },
];


// ---------------------------------------------------------------- tests

describe('static site', { concurrency: true }, () => {
  describe('HTML validation (Nu HTML Checker)', { concurrency: 1 }, () => {
    test('every checked .html file is valid HTML', { timeout: 30 * 60_000 }, async (t) => {
      checkSiteDir();
      const all = listHtmlFiles(SITE_DIR);
      assert.ok(all.length > 0, `no .html file under SITE_DIR (${SITE_DIR})`);
      const { files, sampled } = selectHtmlFiles(all, SITE_PAGES, HTML_CHECK_LIMIT);
      const started = Date.now();
      const errors = await validateHtml(files.map((f) => path.join(SITE_DIR, f)));
      t.diagnostic(
        `vnu checked ${files.length} of ${all.length} .html file(s)` +
          `${sampled ? ' (SITE_PAGES + deterministic sample)' : ''} in ${((Date.now() - started) / 1000).toFixed(1)}s`,
      );
      assert.equal(errors.length, 0, formatVnuErrors(errors, files.length));
    });
  });

  describe('accessibility (axe-core in Chromium)', { concurrency: 1 }, () => {
    let browser;
    let site;
    const contexts = new Map();

    before(async () => {
      checkSiteDir();
      site = process.env.SITE_URL
        ? { origin: process.env.SITE_URL.replace(/\/$/, ''), stop: async () => {} }
        : await startStaticServer(SITE_DIR);
      const { chromium } = await import('playwright-core');
      browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS });
    });

    after(async () => {
      for (const ctx of contexts.values()) await ctx.close().catch(() => {});
      if (browser) await browser.close().catch(() => {});
      if (site) await site.stop();
    });

    async function contextFor(mode) {
      if (!contexts.has(mode.name)) {
        contexts.set(mode.name, await browser.newContext(mode.options));
      }
      return contexts.get(mode.name);
    }

    SITE_PAGES.forEach((urlPath, index) => {
      for (const mode of MODES) {
        if (mode.firstPathOnly && index !== 0) continue;
        test(`${urlPath} [${mode.name}]`, { timeout: 5 * 60_000 }, async (t) => {
          const context = await contextFor(mode);
          const page = await context.newPage();
          const problems = [];
          page.on('pageerror', (err) => problems.push(`uncaught error in page: ${err.message}`));
          recordCspViolations(page, problems);
          page.on('response', (r) => {
            const u = new URL(r.url());
            const navigation = r.request().isNavigationRequest() && r.frame() === page.mainFrame();
            if (u.origin === site.origin && r.status() >= 400 && !navigation && u.pathname !== '/favicon.ico') {
              problems.push(`${r.status()} for ${u.pathname} (requested by the page)`);
            }
          });
          let response;
          try {
            response = await page.goto(site.origin + urlPath, { waitUntil: 'load', timeout: 60_000 });
            assert.ok(response, `no response for ${urlPath}`);
            assert.equal(response.status(), 200, `${urlPath} answered ${response.status()}, not 200`);
            const type = response.headers()['content-type'] || '';
            if (!type.startsWith('text/html')) {
              t.skip(`not an HTML page (${type})`);
              return;
            }
            if (process.env.SITE_URL) {
              // Served by `entraide serve`: the page is held to its policy.
              const policy = response.headers()['content-security-policy'] || '';
              assert.match(policy, /frame-ancestors 'none'/, `${urlPath} has no Content-Security-Policy`);
            }
            await injectAxe(page);
            const results = await page.evaluate(
              (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
              AXE_TAGS,
            );
            if (results.incomplete.length) {
              t.diagnostic(
                `${urlPath} [${mode.name}]: ${results.incomplete.length} rule(s) need manual review: ` +
                  results.incomplete.map((r) => r.id).join(', '),
              );
            }
            const failures = [];
            if (problems.length) {
              failures.push(`${urlPath} [${mode.name}]: problems while loading:\n  ${problems.join('\n  ')}`);
            }
            if (results.violations.length) failures.push(formatViolations(urlPath, mode.name, results.violations));
            assert.ok(failures.length === 0, failures.join('\n'));
          } finally {
            await page.close().catch(() => {});
          }
        });
      }
    });
  });
});
