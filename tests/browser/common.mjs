// What the browser tests share: how Chromium is launched, axe-core and its report.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const LAUNCH_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-gpu',
  '--no-first-run',
];
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const MAX_NODES_PER_RULE = 10;

export function formatViolations(urlPath, mode, violations) {
  const lines = [`axe-core: ${violations.length} violation(s) on ${urlPath} [${mode}]:`];
  for (const v of violations) {
    lines.push(`  - ${v.id} (${v.impact ?? 'n/a'}): ${v.help} [${urlPath}, ${mode}]`);
    lines.push(`    ${v.helpUrl}`);
    for (const n of v.nodes.slice(0, MAX_NODES_PER_RULE)) {
      const target = n.target.map((t) => (Array.isArray(t) ? t.join(' >>> ') : t)).join(' | ');
      const summary = (n.failureSummary || '').replace(/\s+/g, ' ').trim();
      lines.push(`      ${target}`);
      if (summary) lines.push(`        ${summary.slice(0, 300)}`);
    }
    if (v.nodes.length > MAX_NODES_PER_RULE) {
      lines.push(`      … and ${v.nodes.length - MAX_NODES_PER_RULE} more element(s)`);
    }
  }
  return lines.join('\n');
}

/// Loads axe-core into the page through the DevTools protocol, which the page's
/// Content-Security-Policy does not govern (a script tag would be refused, as
/// it should be).
export async function injectAxe(page) {
  await page.evaluate(AXE_SOURCE);
}

/// Runs axe-core on the page as it is now; fails with the report.
export async function assertAccessible(page, label) {
  await injectAxe(page);
  const results = await page.evaluate(
    (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }),
    AXE_TAGS,
  );
  if (results.violations.length) {
    throw new Error(formatViolations(label, 'widget open', results.violations));
  }
}

/// Collects into `problems` every Content-Security-Policy violation Chromium
/// reports on `page` (a blocked script, style, frame, WebAssembly compilation…).
export function recordCspViolations(page, problems) {
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy/i.test(message.text())) {
      problems.push(`CSP violation: ${message.text()}`);
    }
  });
}

/// The mails `entraide serve` wrote (OUTBOX), newest first, quoted-printable undone.
export function outboxMails() {
  const outbox = process.env.OUTBOX || '';
  return readdirSync(outbox)
    .filter((name) => name.endsWith('.eml'))
    .map((name) => path.join(outbox, name))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
    // Quoted-printable soft breaks and escapes, as the mailer may write them.
    .map((mail) => readFileSync(mail, 'utf8').replace(/=\r?\n/g, '').replace(/=3D/g, '='));
}

/// The newest link starting with `prefix` in the outbox's mails.
export function linkInOutbox(prefix) {
  const pattern = new RegExp(`${prefix.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}[^\\s"<>]+`);
  for (const text of outboxMails()) {
    const found = text.match(pattern);
    if (found) return found[0];
  }
  throw new Error(`no link to ${prefix} in the outbox`);
}
