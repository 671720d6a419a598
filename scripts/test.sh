#!/usr/bin/env bash
# Every test of Entraide, on a fresh machine: installs what the tests need
# (Chromium and a Java runtime from Debian, the npm packages of tests/browser),
# then checks formatting and lints, runs the Rust tests (real SQLite files,
# child processes killed with SIGKILL, the real `entraide` binary), builds a
# demo site and checks its pages with the Nu HTML Checker and axe-core in
# headless Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "installing test dependencies"
bash scripts/install-test-deps.sh

if cargo fmt --version >/dev/null 2>&1; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
fi
if cargo clippy --version >/dev/null 2>&1; then
  step "cargo clippy"
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi

step "cargo test"
cargo test --workspace --locked

step "browser and HTML checks of a demo site"
cargo build --locked --bin entraide
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
entraide() { target/debug/entraide --store "sqlite://$work/entraide.db" "$@"; }
entraide demo --count 400 --seed 7
entraide build --out "$work/public"
# One page of every type, and offers in every state visitors can see.
offers=$(entraide export | python3 -c '
import json, sys
seen = {}
for line in sys.stdin:
    offer = json.loads(line)
    key = (offer["status"], offer["kind"], offer["remote"])
    seen.setdefault(key, offer["id"])
print(" ".join(f"/annonces/{id}/" for (status, _, _), id in sorted(seen.items()) if status != "pending" and status != "removed"))
')
public="$work/public"
first() { find "$public/$1" -mindepth "$2" -maxdepth "$2" -name index.html | sort | head -n 1 | sed "s|^$public||; s|index.html$||"; }
pages="/ /annonces/ /annonces/page/2/ $offers /domaines/ /domaines/medical/ $(first domaines/medical 2)
/departements/ /departements/29-finistere/ /regions/ /regions/bretagne/ $(first villes 2)
/publier/ /a-propos/ /charte/ /faq/ /mentions-legales/ /confidentialite/ /404.html"
# Offer pages that left the site answer 404: keep only the ones that were built.
checked=""
for page in $pages; do
  file="$public${page}"
  case "$page" in */) file="${file}index.html" ;; esac
  [ -f "$file" ] && checked="$checked $page"
done
echo "pages checked:$checked"
SITE_DIR="$public" SITE_PAGES="$checked" npm test --prefix tests/browser
