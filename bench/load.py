#!/usr/bin/env python3
"""Open-loop load on a running `entraide serve`: N requests per second on
`POST /api/offers` and `POST /api/contact`, each from its own client address
(`X-Forwarded-For`, believed because serve trusts loopback as its proxy here)
so that rate limits do not hide the work; prints throughput and latency
percentiles.

    target/release/entraide --store sqlite:///tmp/load/db serve --demo \\
        --bind 127.0.0.1:8099 --out /tmp/load/public --mail file:///tmp/load/outbox \\
        --trusted-proxy 127.0.0.1 &
    python3 bench/load.py http://127.0.0.1:8099 offers 200 20
    python3 bench/load.py http://127.0.0.1:8099 contact 200 20 sqlite:///tmp/load/db
"""
import asyncio
import json
import statistics
import subprocess
import sys
import time
import urllib.parse


def offer_body(n):
    return urllib.parse.urlencode({
        "kind": "offer", "engagement": "volunteer", "author_kind": "individual",
        "author_name": f"Bénévole {n}", "domain": "medical",
        "title": "Infirmier retraité disponible en renfort",
        "description": "Infirmier pendant trente ans, je peux aider un EHPAD ou un cabinet médical.",
        "skills": "Soins, Écoute", "commune": "29178", "email": f"charge{n}@exemple.org",
        "consent": "on", "website": "", "form_token": "",
    })


def contact_body(n, offer):
    return urllib.parse.urlencode({
        "offer": offer, "name": f"Visiteur {n}", "email": f"visiteur{n}@exemple.org",
        "message": "Bonjour, je suis disponible samedi matin pour vous aider.", "website": "", "form_token": "",
    })


async def one(host, port, path, body, n, latencies, statuses):
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {host}:{port}\r\nOrigin: http://{host}:{port}\r\n"
        f"X-Forwarded-For: 10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n{body}"
    ).encode()
    start = time.monotonic()
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(request)
    await writer.drain()
    status = (await reader.readline()).split()[1].decode()
    await reader.read()
    latencies.append((time.monotonic() - start) * 1000)
    statuses[status] = statuses.get(status, 0) + 1
    writer.close()


async def run(base, kind, rate, seconds, offer):
    url = urllib.parse.urlparse(base)
    path = "/api/offers" if kind == "offers" else "/api/contact"
    latencies, statuses, tasks = [], {}, []
    start = time.monotonic()
    for n in range(rate * seconds):
        await asyncio.sleep(max(0.0, start + n / rate - time.monotonic()))
        body = offer_body(n) if kind == "offers" else contact_body(n, offer)
        tasks.append(asyncio.create_task(one(url.hostname, url.port, path, body, n, latencies, statuses)))
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - start
    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))]
    print(f"{kind}: {len(latencies)} requests in {elapsed:.1f} s ({len(latencies) / elapsed:.0f}/s), "
          f"statuses {statuses}, latency median {statistics.median(latencies):.1f} ms, "
          f"p90 {p(0.90):.1f} ms, p99 {p(0.99):.1f} ms, max {latencies[-1]:.1f} ms")


def main():
    base, kind, rate, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    offer = ""
    if kind == "contact":
        store = sys.argv[5] if len(sys.argv) > 5 else ""
        exported = subprocess.run(["target/release/entraide", "--store", store, "export"],
                                  capture_output=True, text=True, check=True).stdout
        offer = next(o["id"] for o in map(json.loads, exported.splitlines())
                     if o["status"] == "published" and o["expires"] > time.strftime("%Y-%m-%dT%H:%M:%S"))
    asyncio.run(run(base, kind, rate, seconds, offer))


if __name__ == "__main__":
    main()
