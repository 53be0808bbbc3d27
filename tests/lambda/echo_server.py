"""A loopback HTTP server for tests/lua/http_spec.lua.

Prints its port on stdout, then serves until killed:
  any method /echo...        200, JSON {method, path, headers: [[name, value]...], body}
  GET /status/NNN            status NNN
  GET /slow                  answers after 3 s
  PUT /record/NAME           keeps the request (its number of attempts too); 200
  GET /record/NAME           JSON {count, method, headers, body} or 404
"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

records = {}
lock = threading.Lock()


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def reply(self, status, body, ctype="application/json"):
        body = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("X-Echo", "yes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def handle_any(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        if self.path.startswith("/status/"):
            return self.reply(int(self.path[8:]), "")
        if self.path == "/slow":
            time.sleep(3)
            return self.reply(200, "late")
        if self.path.startswith("/record/"):
            name = self.path[8:]
            with lock:
                if self.command == "PUT":
                    r = records.setdefault(name, {"count": 0})
                    r.update(count=r["count"] + 1, method=self.command, headers=self.headers.items(),
                             body=body.decode())
                    return self.reply(200, "")
                if name not in records:
                    return self.reply(404, "{}")
                return self.reply(200, json.dumps(records[name]))
        self.reply(200, json.dumps({"method": self.command, "path": self.path,
                                    "headers": self.headers.items(), "body": body.decode("latin-1")}))

    do_GET = do_PUT = do_POST = do_DELETE = handle_any


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
srv.serve_forever()
