#!/usr/bin/env python3
"""A misbehaving registry for capsa's pull tests. Serves the first image of an OCI layout as <mode>/bb:1
(read-only distribution API over plain HTTP on 127.0.0.1) and misbehaves on layer blobs by mode:
  good       serves everything as it is
  truncate   announces the full Content-Length, sends half of the layer and closes the connection
  baddigest  sends a layer of the right length whose bytes are not the ones named by the digest
  oversize   sends more bytes than the descriptor's size
  flaky      truncates the first request of each layer, serves later ones correctly
  schema1    answers manifests with a Docker schema 1 manifest
  mismatch   sends an index as the body with an image manifest Content-Type
  bearer     wants a Bearer token from /token (anonymous: scope pull of bearer/bb only)
  bearerauth wants a Bearer token that /token gives only for Basic user:secret
  redirect   answers blob requests with a 307 to /store/<digest> (as registries do to object stores)
Usage: badregistry.py LAYOUT PORTFILE [NAME=LAYOUT...]
  binds a free port and writes it to PORTFILE once listening; NAME=LAYOUT serves another layout's first image
  as <mode>/NAME:1 (bb is LAYOUT's)
"""
import base64
import http.server
import json
import os
import socketserver
import sys
import threading

portfile = sys.argv[2]
layouts = {"bb": sys.argv[1]}
for extra in sys.argv[3:]:
    name, path = extra.split("=", 1)
    layouts[name] = path
tops = {n: json.load(open(os.path.join(p, "index.json")))["manifests"][0] for n, p in layouts.items()}
seen = {}
lock = threading.Lock()


def layers_of(layout, top):
    with open(os.path.join(layout, "blobs", "sha256", top["digest"].split(":")[1])) as f:
        return [l["digest"] for l in json.load(f)["layers"]]


def blob(digest):
    if ":" not in digest:
        return None
    algo, hexd = digest.split(":", 1)
    if algo != "sha256" or len(hexd) != 64 or not all(c in "0123456789abcdef" for c in hexd):
        return None
    for layout in layouts.values():
        path = os.path.join(layout, "blobs", algo, hexd)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                return f.read()
    return None


layer_digests = {d for n, p in layouts.items() for d in layers_of(p, tops[n])}


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        sys.stderr.write("%s\n" % (fmt % args))

    def send(self, code, body, ctype="application/json", extra=None):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def error(self, code, err, msg):
        self.send(code, json.dumps({"errors": [{"code": err, "message": msg}]}).encode())

    def challenge(self, mode, repo):
        realm = "http://%s:%d/token" % self.server.server_address
        hdr = 'Bearer realm="%s",service="capsa-test",scope="repository:%s/%s:pull"' % (realm, repo,
                                                                                      self.path.split("/")[3])
        self.send(401, json.dumps({"errors": [{"code": "UNAUTHORIZED", "message": "authentication required"}]})
                  .encode(), extra={"WWW-Authenticate": hdr})

    def token(self):
        from urllib.parse import urlparse, parse_qs
        q = parse_qs(urlparse(self.path).query)
        scope = q.get("scope", [""])[0]
        user = None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            user = base64.b64decode(auth[6:]).decode(errors="replace")
        if q.get("service") != ["capsa-test"] or not scope.endswith(":pull"):
            return self.error(400, "DENIED", "bad service or scope")
        if scope.startswith("repository:bearerauth"):
            if user != "user:secret":
                return self.error(401, "UNAUTHORIZED", "incorrect username or password")
            return self.send(200, json.dumps({"access_token": "tok-auth"}).encode())
        return self.send(200, json.dumps({"token": "tok-anon", "expires_in": 300}).encode())

    def do_GET(self):
        parts = self.path.split("/")
        if self.path in ("/v2/", "/v2"):
            return self.send(200, b"{}")
        if self.path.startswith("/token?"):
            return self.token()
        if parts[1:2] == ["store"] and len(parts) == 3:
            data = blob(parts[2])
            if data is None:
                return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
            return self.send(200, data, "application/octet-stream")
        # /v2/<mode>[-suffix]/bb/<kind>/<ref>
        if len(parts) != 6 or parts[1] != "v2" or parts[3] not in layouts:
            return self.error(404, "NAME_UNKNOWN", "repository name not known to registry")
        # "flaky-7" behaves as flaky with a failure count of its own: each test picks a fresh name.
        repo, kind, ref = parts[2], parts[4], parts[5]
        top = tops[parts[3]]
        mode = repo.split("-")[0]
        want = {"bearer": "Bearer tok-anon", "bearerauth": "Bearer tok-auth"}.get(mode)
        if want and self.headers.get("Authorization") != want:
            return self.challenge(mode, repo)
        if mode == "redirect" and kind == "blobs":
            self.send_response(307)
            self.send_header("Location", "/store/" + ref)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if kind == "manifests":
            if mode == "schema1":
                body = json.dumps({"schemaVersion": 1, "name": repo + "/bb", "tag": "1",
                                   "fsLayers": [], "history": []}).encode()
                return self.send(200, body, "application/vnd.docker.distribution.manifest.v1+prettyjws")
            if ref not in ("1", top["digest"]):
                return self.error(404, "MANIFEST_UNKNOWN", "manifest unknown")
            body = blob(top["digest"])
            ctype = top["mediaType"]
            if mode == "mismatch":
                body = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                                   "manifests": []}).encode()
                ctype = "application/vnd.oci.image.manifest.v1+json"
                return self.send(200, body, ctype)
            return self.send(200, body, ctype, {"Docker-Content-Digest": top["digest"]})
        if kind != "blobs":
            return self.error(404, "UNSUPPORTED", "unsupported")
        data = blob(ref)
        if data is None:
            return self.error(404, "BLOB_UNKNOWN", "blob unknown to registry")
        if ref not in layer_digests or mode == "good":
            return self.send(200, data, "application/octet-stream")
        with lock:
            key = (repo, parts[3], ref)
            seen[key] = seen.get(key, 0) + 1
            first = seen[key] == 1
        if mode == "truncate" or (mode == "flaky" and first):
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "baddigest":
            data = bytes(b ^ 0x5A for b in data)
        if mode == "oversize":
            data = data + b"\0" * 4096
        self.send(200, data, "application/octet-stream")


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = Server(("127.0.0.1", 0), Handler)
tmp = portfile + ".tmp"
with open(tmp, "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(tmp, portfile)
srv.serve_forever()
