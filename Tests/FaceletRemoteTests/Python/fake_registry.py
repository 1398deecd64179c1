#!/usr/bin/env python3
"""A fake Facelet registry for the client tests: serves a static mirror folder (as written by
`facelet-registry mirror`) over HTTP on 127.0.0.1, with single-range support and fault modes.

Usage: fake_registry.py ROOT LOGFILE [FAULT ...]; prints the port on the first line of stdout.

Faults (each names what it breaks):
  corrupt-blobs      every blob answer has one byte changed (same length)
  truncate-blobs     every blob answer stops early, Content-Length says so (a short file)
  ignore-range       a Range request is answered 200 with the whole blob
  wrong-range        a Range request is answered 206 with a Content-Range for other bytes
  html-200           blob requests answer an HTML page with status 200
  html-500           blob requests answer an HTML page with status 500
  drop-after=N       a request without Range for a blob over N bytes sends its headers and N
                     bytes, then closes the connection (a killed transfer)
  token=SECRET       every request needs "Authorization: Bearer SECRET" (else 401 JSON)
  publish=STATUS     POST /v1/publish answers STATUS (201 by default) after reading the body

Every request is appended to LOGFILE as one JSON line: method, path, range, and for uploads
the body length and Facelet-Signature headers.
"""
import hashlib
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROOT = os.path.abspath(sys.argv[1])
LOG = sys.argv[2]
FAULTS = {}
for arg in sys.argv[3:]:
    key, _, value = arg.partition("=")
    FAULTS[key] = value
LOCK = threading.Lock()
HTML = b"<html><body><h1>Oops</h1><p>Something went wrong.</p></body></html>\n" * 4


def log(entry):
    with LOCK:
        with open(LOG, "a") as handle:
            handle.write(json.dumps(entry, sort_keys=True) + "\n")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def send_json(self, status, body):
        data = json.dumps(body, sort_keys=True).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if status == 401:
            self.send_header("WWW-Authenticate", "Bearer")
        self.end_headers()
        self.wfile.write(data)

    def error(self, status, code, message):
        self.send_json(status, {"error": {"code": code, "message": message}})

    def authorised(self):
        token = FAULTS.get("token")
        if token is None:
            return True
        if self.headers.get("Authorization") == "Bearer " + token:
            return True
        self.error(401, "remote.unauthorized", "missing or wrong bearer token")
        return False

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        log({"method": "GET", "path": path, "range": self.headers.get("Range")})
        if not self.authorised():
            return
        relative = path.lstrip("/")
        parts = relative.split("/")
        if ".." in parts or not relative.startswith("v1/"):
            return self.error(400, "bad_request", "bad path")
        file = os.path.join(ROOT, relative)
        if not os.path.isfile(file):
            return self.error(404, "remote.not_found", "no such resource")
        with open(file, "rb") as handle:
            data = handle.read()
        if relative.startswith("v1/blobs/"):
            return self.blob(data)
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def blob(self, data):
        if "html-200" in FAULTS or "html-500" in FAULTS:
            self.send_response(200 if "html-200" in FAULTS else 500)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(HTML)))
            self.end_headers()
            self.wfile.write(HTML)
            return
        if "corrupt-blobs" in FAULTS and data:
            middle = len(data) // 2
            data = data[:middle] + bytes([data[middle] ^ 0x01]) + data[middle + 1:]
        if "truncate-blobs" in FAULTS:
            data = data[: len(data) // 2]
        total = len(data)
        wanted = self.headers.get("Range")
        if wanted and "ignore-range" not in FAULTS:
            spec = wanted.strip()
            if not spec.startswith("bytes=") or "," in spec:
                return self.error(400, "bad_request", "one range only")
            first, _, last = spec[len("bytes="):].partition("-")
            start = int(first)
            end = int(last) if last else total - 1
            if start >= total:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % total)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            end = min(end, total - 1)
            body = data[start:end + 1]
            shown = (start + 1, end, total) if "wrong-range" in FAULTS else (start, end, total)
            self.send_response(206)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Range", "bytes %d-%d/%d" % shown)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        if "drop-after" in FAULTS and not wanted and total > int(FAULTS["drop-after"]):
            self.wfile.write(data[: int(FAULTS["drop-after"])])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(2)
            return
        self.wfile.write(data)

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        signatures = self.headers.get_all("Facelet-Signature") or []
        length = self.headers.get("Content-Length")
        entry = {"method": "POST", "path": path, "signatures": signatures,
                 "content_length": length}
        if not self.authorised():
            log(entry)
            return
        if path != "/v1/publish":
            log(entry)
            return self.error(404, "remote.not_found", "no such endpoint")
        if length is None:
            log(entry)
            return self.error(411, "bad_request", "Content-Length is required")
        remaining = int(length)
        digest = hashlib.sha256()
        received = 0
        while remaining > 0:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            digest.update(chunk)
            received += len(chunk)
            remaining -= len(chunk)
        entry["received"] = received
        log(entry)
        status = int(FAULTS.get("publish", "201"))
        if status in (200, 201):
            return self.send_json(status, {"reference": "uploaded:1",
                                           "digest": "sha256:" + digest.hexdigest(),
                                           "already_present": status == 200})
        codes = {409: "store.version_conflict", 413: "remote.too_large",
                 422: "package.bad_manifest", 424: "store.backbone_missing",
                 403: "remote.forbidden"}
        self.error(status, codes.get(status, "internal"), "refused by the fake registry")


def exit_when_stdin_closes():
    # The test holds our stdin open; when it closes it (or dies), stop.
    sys.stdin.buffer.read()
    os._exit(0)


def main():
    # The test runner may start us with SIGTERM ignored (dispositions survive exec).
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    threading.Thread(target=exit_when_stdin_closes, daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
