"""Loopback stand-ins for the AWS services the dbhost Lambda runtime talks to.

Each speaks the real protocol on 127.0.0.1 (an ephemeral port):
  RuntimeApi      the Lambda Runtime API (2018-06-01): invocation/next hands out
                  queued events with Lambda's headers, response/error/init-error are
                  recorded and answered 202; a second answer for one request is a 403.
  ResponseBucket  the pre-signed CloudFormation ResponseURL (S3): records every PUT;
                  can answer 500 to the first N attempts.
  SecretsManager  Secrets Manager's JSON 1.1 GetSecretValue. Every request's SigV4
                  signature is recomputed with botocore's signer (not dbhost's) from the
                  headers the request says it signed; a mismatch, a scope for another
                  region or service, or a date more than 5 minutes off is a 403, as AWS
                  answers.
Used by lambda_e2e.py and bench/lambda.sh; nothing here is a mock of PostgreSQL.
"""
import calendar
import json
import os
import queue
import select
import signal
import socket
import sys
import threading
import time
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import botocore.auth
import botocore.awsrequest
import botocore.credentials


def stop_runtime(p):
    """End a bootstrap started with start_new_session=True and the dbhost it forks, and wait
    until both are gone: dbhost dies with bootstrap (a parent-death signal) only a moment
    later, and meanwhile its long poll of invocation/next could take the next event, which
    would then never be answered. A bootstrap already reaped is not signalled (its pid is no
    longer known to be ours). False when the group did not go within 10 s."""
    if p.poll() is not None:
        return True
    try:
        os.killpg(p.pid, signal.SIGKILL)   # not reaped: the group id is still bootstrap's
    except ProcessLookupError:
        pass
    p.wait()
    end = time.time() + 10
    while time.time() < end:
        try:
            os.killpg(p.pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.002)
    return False


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # a runtime killed by the test drops its long poll: not an error
        if not isinstance(sys.exc_info()[1], (ConnectionError, BrokenPipeError)):
            super().handle_error(request, client_address)


class _Base:
    def __init__(self, handler_cls):
        self.httpd = _Server(("127.0.0.1", 0), handler_cls)
        self.httpd.owner = self
        self.port = self.httpd.server_address[1]
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def reply(self, status, body=b"", headers=()):
        if isinstance(body, str):
            body = body.encode()
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


# ----------------------------------------------------------------- Runtime API

class RuntimeApi(_Base):
    PREFIX = "/2018-06-01/runtime/"

    def __init__(self):
        self.events = queue.Queue()
        self.answers = {}          # request id -> {"kind":, "body":, "headers":, "at":}
        self.init_errors = []
        self.next_calls = []       # times of GET next
        self.answered = threading.Condition()
        super().__init__(_RuntimeHandler)

    def push(self, request_id, body, deadline_s, headers=None):
        """Queue an event; deadline_s is the time left (seconds) when it is handed out."""
        self.events.put((request_id, body, deadline_s, headers or {}))

    def wait_answer(self, request_id, timeout):
        end = time.time() + timeout
        with self.answered:
            while request_id not in self.answers:
                left = end - time.time()
                if left <= 0:
                    return None
                self.answered.wait(left)
            return self.answers[request_id]

    def next_calls_since(self, t):
        return [c for c in self.next_calls if c >= t]

    def wait_init_error(self, timeout):
        end = time.time() + timeout
        with self.answered:
            while not self.init_errors and time.time() < end:
                self.answered.wait(max(0.01, end - time.time()))
            return self.init_errors[0] if self.init_errors else None


class _RuntimeHandler(_Handler):
    def _client_gone(self):
        r, _, _ = select.select([self.connection], [], [], 0)
        if not r:
            return False
        try:
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except OSError:
            return True

    def do_GET(self):
        api = self.server.owner
        if self.path != api.PREFIX + "invocation/next":
            return self.reply(404, '{"errorMessage":"not found"}')
        api.next_calls.append(time.time())
        while True:
            try:
                item = api.events.get(timeout=0.2)
            except queue.Empty:
                item = None
            if self._client_gone():
                if item is not None:
                    api.events.put(item)   # a killed runtime's long poll: keep the event for the next one
                return
            if item is not None:
                rid, body, deadline_s, extra = item
                break
        if isinstance(body, (dict, list)):
            body = json.dumps(body)
        headers = [("Lambda-Runtime-Aws-Request-Id", rid),
                   ("Lambda-Runtime-Deadline-Ms", str(int((time.time() + deadline_s) * 1000))),
                   ("Lambda-Runtime-Invoked-Function-Arn",
                    "arn:aws:lambda:us-east-1:123456789012:function:dbhost-migrator"),
                   ("Lambda-Runtime-Trace-Id", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1"),
                   ("Content-Type", "application/json")]
        # extra headers replace the defaults of the same name; None drops one
        names = {k.lower() for k in extra}
        headers = [h for h in headers if h[0].lower() not in names]
        headers += [(k, v) for k, v in extra.items() if v is not None]
        self.reply(200, body, headers)

    def do_POST(self):
        api = self.server.owner
        body = self.body()
        path = self.path
        if path == api.PREFIX + "init/error":
            with api.answered:
                api.init_errors.append({"body": body, "headers": dict(self.headers), "at": time.time()})
                api.answered.notify_all()
            return self.reply(202, '{"status":"OK"}')
        prefix = api.PREFIX + "invocation/"
        if path.startswith(prefix):
            rid, _, kind = path[len(prefix):].partition("/")
            if kind in ("response", "error"):
                with api.answered:
                    if rid in api.answers:
                        return self.reply(403, '{"errorType":"InvalidStateTransition"}')
                    api.answers[rid] = {"kind": kind, "body": body, "headers": dict(self.headers),
                                        "at": time.time()}
                    api.answered.notify_all()
                return self.reply(202, '{"status":"OK"}')
        self.reply(404, '{"errorMessage":"not found"}')


# ---------------------------------------------------------- pre-signed ResponseURL

class ResponseBucket(_Base):
    def __init__(self):
        self.puts = []            # every attempt: {"path":, "query":, "headers":, "body":, "status":, "at":}
        self.fail_next = 0
        self.arrived = threading.Condition()
        super().__init__(_BucketHandler)

    def url(self, name):
        q = urllib.parse.urlencode({"X-Amz-Algorithm": "AWS4-HMAC-SHA256", "X-Amz-Date": "20260101T000000Z",
                                    "X-Amz-Expires": "7200", "X-Amz-SignedHeaders": "host",
                                    "X-Amz-Signature": "0123456789abcdef" * 4})
        return "http://127.0.0.1:%d/cfn-responses/%s?%s" % (self.port, name, q)

    def delivered(self, name):
        return [p for p in self.puts if p["path"] == "/cfn-responses/" + name and p["status"] == 200]

    def attempts(self, name):
        return [p for p in self.puts if p["path"] == "/cfn-responses/" + name]

    def wait(self, name, timeout, nth=1):
        """The nth delivered answer for name, waiting for it at most timeout seconds."""
        end = time.time() + timeout
        with self.arrived:
            while len(self.delivered(name)) < nth and time.time() < end:
                self.arrived.wait(max(0.01, end - time.time()))
            got = self.delivered(name)
            return got[nth - 1] if len(got) >= nth else None


class _BucketHandler(_Handler):
    def do_PUT(self):
        b = self.server.owner
        body = self.body()
        path, _, query = self.path.partition("?")
        with b.arrived:
            status = 200
            if b.fail_next > 0:
                b.fail_next -= 1
                status = 500
            b.puts.append({"path": path, "query": query, "headers": dict(self.headers), "body": body,
                           "raw_headers": self.headers.items(), "status": status, "at": time.time(),
                           "method": "PUT"})
            b.arrived.notify_all()
        self.reply(status, "" if status == 200 else "<Error><Code>InternalError</Code></Error>")

    def do_POST(self):
        self.reply(405, "<Error><Code>MethodNotAllowed</Code></Error>")


# --------------------------------------------------------------- Secrets Manager

class SecretsManager(_Base):
    def __init__(self, access_key, secret_key, session_token, region):
        self.creds = botocore.credentials.Credentials(access_key, secret_key, session_token)
        self.region = region
        self.clock_offset = 0.0
        self.secrets = {}
        self.requests = []        # {"ok":, "why":, "target":, "at":}
        super().__init__(_SecretsHandler)

    def verify(self, method, path, headers, body):
        """None when the SigV4 signature is valid, else why not (AWS's wording)."""
        auth = headers.get("Authorization", "")
        if not auth.startswith("AWS4-HMAC-SHA256 "):
            return "MissingAuthenticationTokenException", "Missing Authentication Token"
        fields = dict(p.strip().split("=", 1) for p in auth[len("AWS4-HMAC-SHA256 "):].split(","))
        akid, date, region, service, term = fields["Credential"].split("/")
        if akid != self.creds.access_key:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        if headers.get("X-Amz-Security-Token") != self.creds.token:
            return "UnrecognizedClientException", "The security token included in the request is invalid."
        amz_date = headers.get("X-Amz-Date", "")
        try:
            t = calendar.timegm(time.strptime(amz_date, "%Y%m%dT%H%M%SZ"))
        except ValueError:
            return "IncompleteSignatureException", "X-Amz-Date is missing or malformed"
        if abs((time.time() + self.clock_offset) - t) > 300:
            return "InvalidSignatureException", "Signature expired: %s is now earlier than the allowed time" % amz_date
        if region != self.region or service != "secretsmanager" or term != "aws4_request" or date != amz_date[:8]:
            return "InvalidSignatureException", "Credential should be scoped to a valid region, not '%s'" % region
        signed = fields["SignedHeaders"].split(";")
        if "host" not in signed or "x-amz-date" not in signed:
            return "IncompleteSignatureException", "host and x-amz-date must be signed"
        lower = {k.lower(): v for k, v in headers.items()}
        req = botocore.awsrequest.AWSRequest(
            method=method, url="http://127.0.0.1:%d%s" % (self.port, path),
            headers={k: lower[k] for k in signed if k in lower}, data=body)
        req.context["timestamp"] = amz_date
        signer = botocore.auth.SigV4Auth(self.creds, "secretsmanager", self.region)
        creq = signer.canonical_request(req)
        sts = signer.string_to_sign(req, creq)
        expected = signer.signature(sts, req)
        if expected != fields["Signature"]:
            return "InvalidSignatureException", ("The request signature we calculated does not match the "
                                                 "signature you provided.")
        return None


class _SecretsHandler(_Handler):
    def do_POST(self):
        sm = self.server.owner
        body = self.body()
        headers = {k: v for k, v in self.headers.items()}
        bad = sm.verify("POST", self.path, headers, body)
        target = headers.get("X-Amz-Target")
        sm.requests.append({"ok": bad is None, "why": bad, "target": target, "at": time.time()})
        if bad:
            kind, msg = bad
            return self.reply(403, json.dumps({"__type": kind, "message": msg}),
                              [("x-amzn-ErrorType", kind + ":"), ("Content-Type", "application/x-amz-json-1.1")])
        if target != "secretsmanager.GetSecretValue":
            return self.reply(400, json.dumps({"__type": "UnknownOperationException"}))
        try:
            doc = json.loads(body)
        except ValueError:
            return self.reply(400, json.dumps({"__type": "SerializationException"}))
        sid = doc.get("SecretId")
        if sid not in sm.secrets:
            return self.reply(400, json.dumps({"__type": "ResourceNotFoundException",
                                               "message": "Secrets Manager can't find the specified secret."}),
                              [("x-amzn-ErrorType", "ResourceNotFoundException:")])
        self.reply(200, json.dumps({"ARN": sid, "Name": sid.rsplit(":", 1)[-1], "VersionId": "v1",
                                    "SecretString": sm.secrets[sid], "VersionStages": ["AWSCURRENT"],
                                    "CreatedDate": 1.523477145713E9}),
                   [("Content-Type", "application/x-amz-json-1.1")])


class BlackHole:
    """A TCP listener that accepts connections and never says a word (an unreachable database)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()
