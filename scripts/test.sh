#!/usr/bin/env bash
# Every test of Entraide, on a fresh machine: installs what the tests need
# (Chromium and a Java runtime from Debian, the npm packages of tests/browser,
# moto and cfn-lint from PyPI), lints the deploy template, checks formatting and
# lints, runs the Rust tests (real SQLite files, child processes killed with
# SIGKILL, DynamoDB served by moto on 127.0.0.1, the real `entraide` binary), builds a
# demo site and checks its pages with the Nu HTML Checker and axe-core in
# headless Chromium.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

step() { printf '\n== %s\n' "$*"; }

step "installing test dependencies"
bash scripts/install-test-deps.sh

step "open data checks"
python3 scripts/check-demo-scenarios.py
python3 scripts/department-neighbours.py --check
python3 scripts/commune-coordinates.py --check

step "cfn-lint infra/template.yaml"
bash infra/lint.sh

if cargo fmt --version >/dev/null 2>&1; then
  step "cargo fmt --check"
  cargo fmt --all -- --check
fi
if cargo clippy --version >/dev/null 2>&1; then
  step "cargo clippy"
  cargo clippy --workspace --all-targets --all-features --locked -- -D warnings
  # The default build (embedded store only, what the README's first command runs).
  cargo clippy --locked --bin entraide -- -D warnings
fi

step "cargo test"
cargo test --workspace --all-features --locked

step "browser and HTML checks of a demo site"
cargo build --locked --all-features --bin entraide
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# A copy of the site whose search index is split in buckets of 100 offers, so
# that the browser's searches merge several of them.
site="$work/site"
mkdir -p "$site"
cp -r content themes "$site/"
sed -i 's/^search_bucket_size = .*/search_bucket_size = 100/' "$site/content/site.toml"
entraide() { target/debug/entraide --site "$site" --store "sqlite://$work/entraide.db" "$@"; }
entraide demo --count 400 --seed 7
entraide build --out "$work/public"
# One page of every type (a listing with nothing left in it too), and offers in
# every state visitors can see.
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
# (sed reads to the end: `head` would close the pipe early, and pipefail would see SIGPIPE.)
first() { find "$public/$1" -mindepth "$2" -maxdepth "$2" -name index.html | sort | sed -n "1{s|^$public||; s|index.html$||; p}"; }
pages="/ /annonces/ /annonces/page/2/ $offers /domaines/ /domaines/medical/ $(first domaines/medical 2)
/departements/ /departements/29-finistere/ /regions/ /regions/bretagne/ $(first villes 2)
/domaines/impression-3d/976-mayotte/ /publier/ /recherche/ /gerer/ /a-propos/ /charte/ /faq/ /mentions-legales/ /confidentialite/ /404.html"
# Pages the functions draw (a refused form, a refused message) are checked too.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
ENTRAIDE_SECRET="a test secret long enough for entraide serve" \
  target/debug/entraide --site "$site" --store "sqlite://$work/entraide.db" serve --bind "127.0.0.1:$port" \
  --out "$public" --mail "file://$work/outbox" >"$work/serve.log" 2>&1 &
serve_pid=$!
# Stop the server and wait for it to exit before removing what it serves.
trap 'kill "$serve_pid" 2>/dev/null; wait "$serve_pid" 2>/dev/null; rm -rf "$work" || true' EXIT
for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.2; done
listed_offer=$(entraide export | python3 -c '
import json, sys, datetime
now = datetime.datetime.now(datetime.timezone.utc).isoformat()
listed = [o["id"] for o in map(json.loads, sys.stdin) if o["status"] == "published" and o["expires"] > now]
print(listed[0])
')
mkdir -p "$public/controle/publier" "$public/controle/contact"
curl -s -o "$public/controle/publier/index.html" -H "Origin: http://127.0.0.1:$port" \
  --data 'kind=offer&title=Court&description=Trop+court&commune=29830&email=pas-une-adresse' \
  "http://127.0.0.1:$port/api/offers"
curl -s -o "$public/controle/contact/index.html" -H "Origin: http://127.0.0.1:$port" \
  --data "offer=$listed_offer&name=L&email=x&message=Court" "http://127.0.0.1:$port/api/contact"
grep -q "Le formulaire contient" "$public/controle/publier/index.html"
grep -q "Le formulaire contient" "$public/controle/contact/index.html"
# The private management page: post an offer, follow the links the mails carry.
base="http://127.0.0.1:$port"
curl -s -o /dev/null -H "Origin: $base" --data 'kind=offer&engagement=volunteer&author_kind=individual&author_name=Test&domain=medical&title=Infirmier+disponible+pour+un+renfort&description=Infirmier+pendant+trente+ans%2C+je+peux+aider+un+EHPAD.&commune=29178&email=controle%40exemple.org&consent=on' "$base/api/offers"
link_in_outbox() { # the newest link to $1 in the mails of the outbox
  python3 - "$work/outbox" "$1" <<'PY'
import email, pathlib, re, sys
mails = sorted(pathlib.Path(sys.argv[1]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
for path in reversed(mails):
    for part in email.message_from_bytes(path.read_bytes()).walk():
        if part.get_content_type() == "text/plain":
            found = re.search(re.escape(sys.argv[2]) + r"\S+", part.get_payload(decode=True).decode())
            if found:
                print(found.group(0)); sys.exit(0)
sys.exit(1)
PY
}
confirm=$(link_in_outbox "$base/api/offers/confirm?token=")
# The link opens a page with one button (mail scanners open links); the button posts.
mkdir -p "$public/controle/confirmer" "$public/controle/gerer"
curl -s -o "$public/controle/confirmer/index.html" "$confirm"
grep -q "Publier mon annonce" "$public/controle/confirmer/index.html"
curl -s -o /dev/null -H "Origin: $base" -X POST "$confirm"
curl -s -o "$public/controle/gerer/index.html" "$(link_in_outbox "$base/api/offers/manage?token=")"
grep -q "Gérer votre annonce" "$public/controle/gerer/index.html"
# An alert refused (the form refilled), then one confirmed and its private page.
mkdir -p "$public/controle/alerte" "$public/controle/alerte-privee"
curl -s -o "$public/controle/alerte/index.html" -H "Origin: $base" \
  --data 'recherche=departement%3D29&email=pas-une-adresse&frequence=immediate' "$base/api/alerts"
grep -q "Le formulaire contient" "$public/controle/alerte/index.html"
curl -s -o /dev/null -H "Origin: $base" \
  --data 'recherche=pres%3Dbrest-29%26rayon%3D20%26q%3Dinfirmier&email=alerte%40exemple.org&frequence=daily' "$base/api/alerts"
manage=$(curl -s -H "Origin: $base" -X POST "$(link_in_outbox "$base/api/alerts/confirm?token=")" | python3 -c '
import html, re, sys
print(re.search(r"href=\"([^\"]*api(?:/|&#x2F;)alerts(?:/|&#x2F;)manage\?token=[^\"]*)\"", sys.stdin.read()).group(1).replace("&#x2F;", "/"))
')
curl -s -o "$public/controle/alerte-privee/index.html" "$manage"
grep -q "Votre alerte" "$public/controle/alerte-privee/index.html"
pages="$pages /controle/publier/ /controle/contact/ /controle/confirmer/ /controle/gerer/ /controle/alerte/ /controle/alerte-privee/"
# Offer pages that left the site answer 404: keep only the ones that were built.
checked=""
for page in $pages; do
  file="$public${page}"
  case "$page" in */) file="${file}index.html" ;; esac
  [ -f "$file" ] && checked="$checked $page"
done
echo "pages checked:$checked"
# `entraide serve` keeps serving the site and its functions to the browser.
SITE_DIR="$public" SITE_URL="http://127.0.0.1:$port" SITE_PAGES="$checked" OUTBOX="$work/outbox" \
  npm test --prefix tests/browser
