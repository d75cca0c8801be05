#!/usr/bin/env python3
"""A fault-injecting HTTP proxy for the team vault's tests (issue 17): forwards each request to an S3 server
on 127.0.0.1, except that a share of them (RATE) fail in one of four ways, chosen at random:

  500      answers 500 Internal Server Error without forwarding;
  drop     closes the connection without forwarding or answering;
  lost     forwards the request, then closes the connection without answering (the server did the work,
           the client never hears of it: the hardest case for a conditional create);
  slow     waits DELAY seconds (longer than the client waits), then closes the connection.

With MODE "endless-listing", every ListObjectsV2 answer that ends is turned into one that does not, with the
same continuation token each time (an endpoint that would keep a client listing forever).

The Host header is passed on unchanged, so SigV4 signatures made for the proxy's address still verify.
Usage: fault-proxy.py LISTEN_PORT UPSTREAM_PORT RATE DELAY SEED [MODE]. Prints one line per fault to stderr and a
count of requests and faults on exit (SIGTERM or SIGKILL)."""
import http.client
import http.server
import random
import signal
import sys
import threading

listen_port, upstream_port = int(sys.argv[1]), int(sys.argv[2])
rate, delay = float(sys.argv[3]), float(sys.argv[4])
rng = random.Random(int(sys.argv[5]))
mode = sys.argv[6] if len(sys.argv) > 6 else ""
lock = threading.Lock()
counts = {"requests": 0, "500": 0, "drop": 0, "lost": 0, "slow": 0}


def choose():
    with lock:
        counts["requests"] += 1
        if rng.random() >= rate:
            return None
        fault = rng.choice(["500", "drop", "lost", "slow"])
        counts[fault] += 1
        return fault


class Proxy(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_any(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        fault = choose()
        if fault:
            print(f"fault-proxy: {fault} {self.command} {self.path}", file=sys.stderr, flush=True)
        if fault == "500":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if fault == "drop":
            self.close_connection = True
            return
        if fault == "slow":
            threading.Event().wait(delay)
            self.close_connection = True
            return
        upstream = http.client.HTTPConnection("127.0.0.1", upstream_port, timeout=120)
        headers = {name: value for name, value in self.headers.items()}
        upstream.request(self.command, self.path, body=body, headers=headers)
        answer = upstream.getresponse()
        data = answer.read()
        upstream.close()
        if fault == "lost":
            self.close_connection = True
            return
        if mode == "endless-listing" and self.command == "GET" and "list-type=2" in self.path:
            ended = b"<IsTruncated>false</IsTruncated>"
            if ended in data:
                data = data.replace(ended, b"<IsTruncated>true</IsTruncated><NextContinuationToken>again</NextContinuationToken>")
                print(f"fault-proxy: endless {self.path}", file=sys.stderr, flush=True)
        self.send_response(answer.status)
        for name, value in answer.getheaders():
            if name.lower() not in ("transfer-encoding", "content-length", "connection"):
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = handle_any


def report(*_):
    print(f"fault-proxy: {counts}", file=sys.stderr, flush=True)
    sys.exit(0)


signal.signal(signal.SIGTERM, report)
server = http.server.ThreadingHTTPServer(("127.0.0.1", listen_port), Proxy)
server.daemon_threads = True
print(f"fault-proxy: listening on {listen_port}", file=sys.stderr, flush=True)
server.serve_forever()
