#!/usr/bin/env bash
# Installs what the tests need: the SMTP server of tests/e2e.rs (aiosmtpd, PyPI),
# moto's server (PyPI: DynamoDB with streams and TTL, S3, CloudFront on 127.0.0.1),
# cfn-lint (PyPI) for the deploy template, and,
# for the browser / HTML-validation tests (tests/browser):
#   - Debian's chromium (used by playwright-core; no browser is downloaded)
#   - a Java runtime (for the Nu HTML Checker, vnu.jar)
#   - the npm packages pinned in tests/browser/package-lock.json
# Idempotent and non-interactive (works with CI=true and no stdin).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BROWSER_DIR="$ROOT/tests/browser"

export DEBIAN_FRONTEND=noninteractive

log() { printf '[install-test-deps] %s\n' "$*"; }

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    SUDO="sudo -n"
  else
    log "not root and no sudo: cannot install system packages" >&2
  fi
fi

missing=()
if [ ! -x /usr/bin/chromium ]; then
  missing+=(chromium)
fi
if ! command -v java >/dev/null 2>&1; then
  missing+=(default-jre-headless)
fi
if ! command -v curl >/dev/null 2>&1; then
  missing+=(curl)
fi

if [ "${#missing[@]}" -gt 0 ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    log "apt-get not found; please install: ${missing[*]}" >&2
    exit 1
  fi
  log "apt-get update"
  $SUDO apt-get update -qq </dev/null
  # The JRE's postinst fails on slim images that lack this folder.
  $SUDO mkdir -p /usr/share/man/man1
  log "apt-get install ${missing[*]}"
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
else
  log "chromium and java already present"
fi

[ -x /usr/bin/chromium ] || { log "chromium still missing at /usr/bin/chromium" >&2; exit 1; }
command -v java >/dev/null 2>&1 || { log "java still missing" >&2; exit 1; }
log "chromium: $(/usr/bin/chromium --version 2>/dev/null | head -n1)"
log "java: $(java -version 2>&1 | head -n1)"

if ! command -v npm >/dev/null 2>&1; then
  log "npm not found (Node.js 20+ is required)" >&2
  exit 1
fi

# The end-to-end test's SMTP server (tests/e2e.rs starts and stops it).
if ! python3 -c "import aiosmtpd" >/dev/null 2>&1; then
  log "pip install aiosmtpd"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "aiosmtpd==1.4.6" </dev/null
fi
log "aiosmtpd: $(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)')"

# The local AWS of the store, rebuild and publish tests (testkit starts and stops
# it), and the linter of infra/template.yaml. Pinned: new rules or behaviours
# must not change a green run.
if ! command -v moto_server >/dev/null 2>&1 || ! python3 -c "import cfnlint" >/dev/null 2>&1; then
  log "pip install moto[server] cfn-lint"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    "moto[server]==5.2.1" "cfn-lint==1.51.0" </dev/null
fi
command -v moto_server >/dev/null 2>&1 || { log "moto_server is not on PATH" >&2; exit 1; }
log "moto: $(python3 -c 'import moto; print(moto.__version__)')"

log "npm ci in tests/browser"
# Never let anything download a browser build or a JRE (vnu-jar's postinstall
# would fetch one when no system Java is found; ours comes from apt above).
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
(cd "$BROWSER_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error </dev/null)
log "done"
