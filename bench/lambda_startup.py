#!/usr/bin/env python3
"""Start-up time of a Lambda binary (`api` or `rebuild`): from process start to its
first call to the Lambda runtime API (a local stand-in), median of N runs.

    cargo build --release -p functions --bin api -p publish --bin rebuild
    python3 bench/lambda_startup.py target/release/api [RUNS]
    python3 bench/lambda_startup.py target/release/rebuild [RUNS]

The binary may also be a `bootstrap` unpacked from cargo-lambda's zip; its name is
then given as a third argument (`api` or `rebuild`).
"""
import http.server
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def first_request_time(port, result):
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            result.append(time.monotonic())
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", port), Handler)
    server.handle_request()
    server.server_close()


def one_run(binary, name, work):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = []
    thread = threading.Thread(target=first_request_time, args=(port, result))
    thread.start()
    env = dict(
        os.environ,
        AWS_LAMBDA_RUNTIME_API=f"127.0.0.1:{port}",
        AWS_LAMBDA_FUNCTION_NAME=name,
        AWS_LAMBDA_FUNCTION_MEMORY_SIZE="128",
        AWS_LAMBDA_FUNCTION_VERSION="1",
        ENTRAIDE_SITE=str(ROOT),
        ENTRAIDE_STORE=f"sqlite://{work}/entraide.db",
        ENTRAIDE_SECRET="a benchmark secret that is long enough",
        ENTRAIDE_MAIL=f"file://{work}/outbox",
        ENTRAIDE_BASE_URL="https://entraide.example",
        # rebuild: the publishing target (clients only: nothing is contacted).
        ENTRAIDE_BUCKET="entraide-site",
        ENTRAIDE_OUT=f"{work}/public",
        AWS_REGION="eu-west-3",
        AWS_ACCESS_KEY_ID="benchmark",
        AWS_SECRET_ACCESS_KEY="benchmark",
        AWS_EC2_METADATA_DISABLED="true",
    )
    start = time.monotonic()
    process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    thread.join(timeout=10)
    process.kill()
    process.wait()
    return (result[0] - start) * 1000 if result else float("nan")


def main():
    binary = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 11
    name = sys.argv[3] if len(sys.argv) > 3 else pathlib.Path(binary).name
    with tempfile.TemporaryDirectory() as work:
        one_run(binary, name, work)  # warm the page cache and create the store
        times = [one_run(binary, name, work) for _ in range(runs)]
    print(f"{name} start-up to first runtime call: median {statistics.median(times):.1f} ms "
          f"(min {min(times):.1f}, max {max(times):.1f}, {runs} runs)")


if __name__ == "__main__":
    main()
