"""End-to-end test of the dbhost Lambda layer and the DBSchemaMigration handler, all on 127.0.0.1.

Run by tests/e2e/lambda_pg.sh, which builds the zips and passes:
  lambda_e2e.py WORKDIR LAYER_ZIP FUNCTION_ZIPS_DIR PG_SOCKET_DIR PG_PORT NEEDS_GONE_LIB
FUNCTION_ZIPS_DIR holds v1.zip, v2.zip, fail.zip and slow.zip (dbhost bundle-lambda
--only function of four migration directories) plus their hashes in hashes.json.
NEEDS_GONE_LIB is an executable linked against a shared library that no longer
exists: put in place of bin/dbhost, the dynamic loader refuses to start it.

The layer and each function zip are extracted with unzip into temp folders and
bootstrap is started as Lambda starts it (its own environment only, cwd the task
root, LD_LIBRARY_PATH listing the system's folders first). The Runtime API, the
ResponseURL and Secrets Manager are the stand-ins of standins.py; PostgreSQL is real.
"""
import json
import os
import shutil
import stat
import subprocess
import sys
import time

from standins import BlackHole, ResponseBucket, RuntimeApi, SecretsManager, stop_runtime

WORK, LAYER_ZIP, FN_DIR, PG_SOCKET, PG_PORT, NEEDS_GONE_LIB = sys.argv[1:7]
ACCESS_KEY = "AKIDLAMBDAE2E0000001"
SECRET_KEY = "lambdaE2eSecretKey/K7MDENG+bPxRfiCYzzzzzzzz"
SESSION_TOKEN = "IQoJb3JpZ2luX2VjEFAKESESSIONTOKENlambdae2e//////////wEaCXVzLWVhc3QtMSJHMEUCIQ=="
DB_PASSWORD = "pw-Lambda-e2e-7f3a9c"
REGION = "us-east-1"
SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-e2e-AbCdEf"
STACK = "arn:aws:cloudformation:us-east-1:123456789012:stack/app/5b3a-e2e"
HASHES = json.load(open(os.path.join(FN_DIR, "hashes.json")))
DBHOST = os.environ["DBHOST"]     # the binary under test, for `dbhost apply` on the same databases

checks = 0
failures = []


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, file=sys.stderr, flush=True)


def psql(db, query):
    out = subprocess.run(["psql", "-h", PG_SOCKET, "-p", PG_PORT, "-U", "postgres", "-d", db, "-qAtX",
                          "-v", "ON_ERROR_STOP=1", "-c", query], capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("psql: " + out.stderr)
    return out.stdout.strip()


def unzip(zip_path, dest):
    os.makedirs(dest, exist_ok=True)
    subprocess.run(["unzip", "-q", "-o", zip_path, "-d", dest], check=True)
    return dest


def new_db(name):
    psql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name)
    psql("postgres", 'CREATE DATABASE "%s" OWNER migrator' % name)
    CREATED.append(name)
    return name


CREATED = []
psql("postgres", "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'migrator') THEN "
                 "CREATE ROLE migrator LOGIN PASSWORD '%s'; END IF; END$$" % DB_PASSWORD)

runtime = RuntimeApi()
bucket = ResponseBucket()
secrets = SecretsManager(ACCESS_KEY, SECRET_KEY, SESSION_TOKEN, REGION)
secrets.secrets[SECRET_ARN] = json.dumps({"username": "migrator", "password": DB_PASSWORD, "engine": "postgres"})
hole = BlackHole()

layer = unzip(LAYER_ZIP, os.path.join(WORK, "opt"))
outputs = []      # every bootstrap's stdout+stderr file
procs = []


def start_bootstrap(fn_zip, handler="migrate", tag=None, extra_files=None, layer_dir=None, env_extra=None,
                    task_setup=None):
    task = unzip(os.path.join(FN_DIR, fn_zip), os.path.join(WORK, "task-" + (tag or fn_zip)))
    for rel, text in (extra_files or {}).items():
        os.makedirs(os.path.dirname(os.path.join(task, rel)), exist_ok=True)
        with open(os.path.join(task, rel), "w") as f:
            f.write(text)
    if task_setup:
        task_setup(task)
    env = {
        "PATH": "/usr/local/bin:/usr/bin/:/bin:/opt/bin",
        "LD_LIBRARY_PATH": "/usr/lib/x86_64-linux-gnu:/lib64:/usr/lib64:/var/runtime:/var/task:/opt/lib",
        "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:%d" % runtime.port,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": task,
        "LAMBDA_RUNTIME_DIR": "/var/runtime",
        "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY, "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "AWS_LAMBDA_FUNCTION_NAME": "dbhost-migrator", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": "http://127.0.0.1:%d" % secrets.port,
        "TZ": ":/etc/localtime", "LANG": "en_US.UTF-8",
    }
    env.update(env_extra or {})
    for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):   # a sanitizer build's settings, not Lambda's
        if k in os.environ:
            env[k] = os.environ[k]
    log = open(os.path.join(WORK, "bootstrap-%s.log" % (tag or fn_zip)), "w+b")
    outputs.append(log.name)
    # its own process group: stop() ends bootstrap and the dbhost it forks together
    p = subprocess.Popen([os.path.join(layer_dir or layer, "bootstrap")], env=env, cwd=task, stdout=log, stderr=log,
                         start_new_session=True)
    procs.append(p)
    return p


def dbhost_pid(p):
    """The pid of bootstrap's child, bin/dbhost (bootstrap forks to watch its start)."""
    for _ in range(100):
        kids = open("/proc/%d/task/%d/children" % (p.pid, p.pid)).read().split()
        if kids:
            return int(kids[0])
        time.sleep(0.05)
    return p.pid


def layer_variant(tag, change):
    """A copy of the extracted layer, changed by change(root) -> root."""
    root = os.path.join(WORK, "opt-" + tag)
    shutil.copytree(layer, root, symlinks=True)
    change(root)
    return root


def stop(p):
    stop_runtime(p)


def event(kind, rid, props, old=None, physical=None):
    e = {"RequestType": kind, "ServiceToken": "arn:aws:lambda:us-east-1:123456789012:function:dbhost-migrator",
         "ResponseURL": bucket.url(rid), "StackId": STACK, "RequestId": rid,
         "LogicalResourceId": "DBSchemaMigration", "ResourceType": "Custom::DBSchemaMigration",
         "ResourceProperties": dict(props, ServiceToken="arn:aws:lambda:...:dbhost-migrator", ServiceTimeout="900")}
    if old is not None:
        e["OldResourceProperties"] = old
    if physical is not None:
        e["PhysicalResourceId"] = physical
    return e


def props(db, version, **extra):
    # no SslMode: the default (require; libpq uses no TLS on a unix socket)
    p = {"MigrationHash": HASHES[version], "DbSecretArn": SECRET_ARN, "DbHost": PG_SOCKET,
         "DbPort": PG_PORT, "DbName": db}
    p.update(extra)
    return p


def invoke(e, deadline=30, wait=40, lambda_id=None, nth=1):
    """Queue the event and return (the nth delivered PUT's JSON, the PUT record, the runtime answer, start)."""
    rid = e["RequestId"]
    t0 = time.time()
    runtime.push(lambda_id or rid, e, deadline)
    put = bucket.wait(rid, wait, nth)
    answer = runtime.wait_answer(lambda_id or rid, wait)
    doc = json.loads(put["body"]) if put else None
    return doc, put, answer, t0


def check_put_shape(put, e, what):
    check(put["method"] == "PUT", what + ": the answer is a PUT")
    ct = [v for k, v in put["raw_headers"] if k.lower() == "content-type"]
    check(ct == [] or ct == [""], what + ": Content-Type is empty (got %r)" % ct)
    check(int(put["headers"].get("Content-Length", -1)) == len(put["body"]), what + ": Content-Length matches")
    check(len(put["body"]) <= 4096, what + ": body <= 4096 bytes")
    doc = json.loads(put["body"])
    for k in ("StackId", "RequestId", "LogicalResourceId"):
        check(doc.get(k) == e[k], what + ": %s echoed" % k)
    check(isinstance(doc.get("PhysicalResourceId"), str) and doc["PhysicalResourceId"] != "",
          what + ": PhysicalResourceId set")
    check("X-Amz-Signature=" in put["query"], what + ": the pre-signed query was kept verbatim")
    return doc


REV = "atlas_schema_revisions.atlas_schema_revisions"

# ---------------------------------------------------------------- init error
p = start_bootstrap("v1.zip", handler="no_such_handler", tag="initerr")
err = runtime.wait_init_error(10)
check(err is not None, "init: a missing handler is reported to /runtime/init/error")
if err:
    doc = json.loads(err["body"])
    check(doc["errorType"] == "Runtime.InitError" and "no_such_handler" in doc["errorMessage"],
          "init: the error names the handler (%s)" % doc)
try:
    p.wait(10)
except subprocess.TimeoutExpired:
    pass
check(p.poll() is not None and p.returncode != 0, "init: bootstrap exits after an init error")
stop(p)

# bootstrap itself reports what keeps bin/dbhost from starting, then exits non-zero
def no_dbhost(root):
    os.remove(os.path.join(root, "bin", "dbhost"))


def not_executable(root):
    os.chmod(os.path.join(root, "bin", "dbhost"), 0o644)


def gone_library(root):
    shutil.copy(NEEDS_GONE_LIB, os.path.join(root, "bin", "dbhost"))
    os.chmod(os.path.join(root, "bin", "dbhost"), 0o755)


for tag, change, words, errno_text in (
        ("nodbhost", no_dbhost, "bin/dbhost", "No such file or directory"),
        ("noexec", not_executable, "bin/dbhost", "Permission denied"),
        ("gonelib", gone_library, "libdbhost_gone.so", "could not start")):
    runtime.init_errors.clear()
    p = start_bootstrap("v1.zip", tag="init-" + tag, layer_dir=layer_variant(tag, change))
    err = runtime.wait_init_error(10)
    check(err is not None, "init %s: bootstrap posts /runtime/init/error" % tag)
    if err:
        try:
            doc = json.loads(err["body"])
        except ValueError:
            doc = {}
        check(doc.get("errorType") == "Runtime.InitError" and doc.get("stackTrace") == []
              and words in doc.get("errorMessage", "") and errno_text in doc.get("errorMessage", ""),
              "init %s: the documented body, naming what failed (%s)" % (tag, err["body"]))
        check(err["headers"].get("Lambda-Runtime-Function-Error-Type") == "Runtime.InitError",
              "init %s: Lambda-Runtime-Function-Error-Type header (%s)" % (tag, err["headers"]))
        check(err["headers"].get("Content-Type") == "application/json", "init %s: JSON content type" % tag)
    try:
        p.wait(10)
    except subprocess.TimeoutExpired:
        pass
    check(p.poll() is not None and p.returncode != 0, "init %s: bootstrap exits non-zero (%s)" % (tag, p.poll()))
    check(len(runtime.init_errors) == 1, "init %s: exactly one init/error" % tag)
    check(not runtime.next_calls_since(err["at"] if err else 0), "init %s: no invocation/next after it" % tag)
    stop(p)
runtime.init_errors.clear()

# ------------------------------------------------- v1: create, retries, no-op update
db1 = new_db("lambda_e2e_a")
p = start_bootstrap("v1.zip", tag="v1")
t_start = time.time()
bucket.fail_next = 1          # the first PUT attempt meets a 500: the answer is retried
e_create = event("Create", "req-create-1", props(db1, "v1"))
n_secret = len(secrets.requests)
doc, put, answer, t0 = invoke(e_create)
check(doc is not None, "create: an answer arrived")
if doc:
    check_put_shape(put, e_create, "create")
    check(doc["Status"] == "SUCCESS", "create: SUCCESS (%s)" % doc.get("Reason"))
    check(doc.get("Data") == {"AppliedVersion": "2", "FilesApplied": "2"}, "create: Data %s" % doc.get("Data"))
    check(doc["PhysicalResourceId"] == "dbhost-migrations:%s/%s" % (PG_SOCKET, db1), "create: stable physical id")
    check(len(bucket.attempts("req-create-1")) == 2, "create: the PUT was retried after a 500")
check(answer and answer["kind"] == "response", "create: the invocation got a response")
check(psql(db1, "SELECT count(*) FROM items") == "1", "create: migrations ran (items has its row)")
check(psql(db1, "SELECT tableowner FROM pg_tables WHERE tablename = 'items'") == "migrator",
      "create: connected as the secret's user")
check(secrets.requests[n_secret:] and all(r["ok"] for r in secrets.requests[n_secret:]),
      "create: the Secrets Manager request carried a valid signature (botocore)")
physical = doc["PhysicalResourceId"] if doc else "x"
# /proc/<pid>/maps: the layer's libraries are the ones loaded, though LD_LIBRARY_PATH lists the system's first
maps = open("/proc/%d/maps" % dbhost_pid(p)).read()
for lib in ("/lib/libpq.so.5", "/lib/libcurl.so.4", "/lib/lua/5.4/cjson.so", "/lib/libyaml-0.so.2"):
    check(os.path.realpath(layer) + lib in maps, "layer: %s is loaded from the layer" % lib)

# the same request again (Lambda's async retry: the same event, a new invocation): nothing applied twice
doc, put, answer, _ = invoke(e_create, lambda_id="lambda-retry-of-create-1", nth=2)
check(doc and doc["Status"] == "SUCCESS" and doc["Data"]["FilesApplied"] == "0" and doc["Data"]["AppliedVersion"] == "2",
      "retry: SUCCESS, nothing applied (%s)" % (doc and doc.get("Data")))
check(doc and doc["PhysicalResourceId"] == physical, "retry: same physical id")
check(psql(db1, "SELECT count(*) FROM items") == "1", "retry: no migration ran twice")
rev_count = psql(db1, "SELECT count(*) FROM %s" % REV)

# an Update with an unchanged hash: no database, no secret
n_secret = len(secrets.requests)
e = event("Update", "req-update-same", props(db1, "v1"), old=props(db1, "v1"), physical=physical)
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "2", "FilesApplied": "0"},
      "update same hash: SUCCESS no-op (%s)" % (doc and doc.get("Data")))
check(len(secrets.requests) == n_secret, "update same hash: Secrets Manager not called")
check(psql(db1, "SELECT count(*) FROM %s" % REV) == rev_count, "update same hash: revisions unchanged")

# the same request id answered twice by the runtime would be a 403: check we never did
check(all(a["kind"] in ("response", "error") for a in runtime.answers.values()), "runtime: answers well formed")

# IAM authentication: an RDS token as the password of DbUser, no secret read
psql("postgres", "DO $$BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'iam_user') THEN "
                 "CREATE ROLE iam_user LOGIN; END IF; END$$")
db_iam = new_db("lambda_e2e_iam")
psql("postgres", 'ALTER DATABASE "%s" OWNER TO iam_user' % db_iam)
n_secret = len(secrets.requests)
p_iam = props(db_iam, "v1", IamAuth="true", DbUser="iam_user")
del p_iam["DbSecretArn"]
doc, put, answer, _ = invoke(event("Create", "req-iam", p_iam))
check(doc and doc["Status"] == "SUCCESS" and doc["Data"]["FilesApplied"] == "2",
      "iam auth: SUCCESS (%s)" % (doc and doc.get("Reason")))
check(psql(db_iam, "SELECT tableowner FROM pg_tables WHERE tablename = 'items'") == "iam_user",
      "iam auth: connected as DbUser")
check(len(secrets.requests) == n_secret, "iam auth: no secret read")
p_iam["DbUser"] = ""
doc, put, answer, _ = invoke(event("Create", "req-iam-nouser", p_iam))
check(doc and doc["Status"] == "FAILED" and "DbUser" in doc.get("Reason", ""), "iam auth: DbUser required")

# malformed events
runtime.push("req-not-json", "{not json", 30)
answer = runtime.wait_answer("req-not-json", 20)
check(answer and answer["kind"] == "error" and b"Runtime.InvalidEvent" in answer["body"],
      "malformed: a non-JSON event is an invocation error")
e = event("Bogus", "req-bogus", props(db1, "v1"))
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "FAILED" and "Bogus" in doc.get("Reason", ""),
      "malformed: an unknown RequestType is answered FAILED (%s)" % (doc and doc.get("Reason")))
check(answer and answer["kind"] == "response", "malformed: the invocation itself completed")
e = event("Create", "req-noprops", {})
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "FAILED" and "MigrationHash" not in (doc.get("Reason") or "x") or
      (doc and doc["Status"] == "FAILED"), "malformed: a Create without properties is FAILED")

# signatures AWS would refuse: another region, a clock 20 minutes away
secrets.region = "eu-west-1"
db_sig = new_db("lambda_e2e_sig")
doc, put, answer, _ = invoke(event("Create", "req-wrong-region", props(db_sig, "v1")))
check(doc and doc["Status"] == "FAILED" and "InvalidSignatureException" in doc.get("Reason", ""),
      "signature: a wrong-region signature is refused (%s)" % (doc and doc.get("Reason")))
check(secrets.requests and not secrets.requests[-1]["ok"], "signature: the stand-in refused it")
secrets.region = REGION
secrets.clock_offset = 20 * 60
doc, put, answer, _ = invoke(event("Create", "req-expired", props(db_sig, "v1")))
check(doc and doc["Status"] == "FAILED" and "expired" in doc.get("Reason", ""),
      "signature: an expired signature is refused (%s)" % (doc and doc.get("Reason")))
secrets.clock_offset = 0
check(psql(db_sig, "SELECT count(*) FROM pg_tables WHERE tablename = 'items'") == "0",
      "signature: nothing applied without credentials")

# the database unreachable: FAILED before the deadline
t = time.time()
doc, put, answer, t0 = invoke(event("Create", "req-unreachable",
                                    props("app", "v1", DbHost="127.0.0.1", DbPort=str(hole.port))), deadline=6)
check(doc and doc["Status"] == "FAILED" and "cannot connect" in doc.get("Reason", ""),
      "unreachable: FAILED (%s)" % (doc and doc.get("Reason")))
check(put and put["at"] < t0 + 6, "unreachable: answered before the deadline (%.2fs)" % ((put["at"] - t0) if put else -1))
stop(p)

# ------------------------------------------------------- v2: update applies the new file
p = start_bootstrap("v2.zip", tag="v2")
e = event("Update", "req-update-v2", props(db1, "v2", SslMode="prefer"), old=props(db1, "v1"), physical=physical)
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "1"},
      "update v2: only the new file applied (%s %s)" % (doc and doc.get("Data"), doc and doc.get("Reason")))
check(doc and doc["PhysicalResourceId"] == physical, "update v2: physical id echoed")
stop(p)

# a rollback: the v1 function gets an Update back to v1's hash while the database is at v2
p = start_bootstrap("v1.zip", tag="v1-rollback")
e = event("Update", "req-rollback", props(db1, "v1"), old=props(db1, "v2"), physical=physical)
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "0"},
      "rollback update: SUCCESS, nothing undone (%s %s)" % (doc and doc.get("Data"), doc and doc.get("Reason")))
check(psql(db1, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'") == "1",
      "rollback update: the v2 column stays")
check(psql(db1, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'items' AND column_name = 'note'") == "1",
      "update v2: the new column exists")
# rollback-style Update back to v1's hash with v1's code would be a no-op; here: a Delete
n_secret = len(secrets.requests)
e = event("Delete", "req-delete", props(db1, "v2"), physical=physical)
doc, put, answer, _ = invoke(e)
check(doc and doc["Status"] == "SUCCESS" and doc["PhysicalResourceId"] == physical, "delete: SUCCESS, same id")
check(len(secrets.requests) == n_secret, "delete: the database and the secret were not touched")
check(psql(db1, "SELECT count(*) FROM items") == "1", "delete: the schema stays")
stop(p)

# ----------------------------------------------------- a failing migration
p = start_bootstrap("fail.zip", tag="fail")
db2 = new_db("lambda_e2e_fail")
doc, put, answer, _ = invoke(event("Create", "req-fail", props(db2, "fail")))
check(doc and doc["Status"] == "FAILED" and "3_broken.sql" in doc.get("Reason", ""),
      "failing migration: FAILED naming the file (%s)" % (doc and doc.get("Reason")))
check(psql(db2, "SELECT count(*) FROM pg_tables WHERE tablename = 'half_done'") == "0",
      "failing migration: the failed file left nothing behind")
check(psql(db2, "SELECT string_agg(version, ',' ORDER BY version) FROM %s" % REV) == "1,2",
      "failing migration: the earlier files are recorded, the failed one is not")
stop(p)

# ----------------------------------------------------- a deadline shorter than a slow migration
p = start_bootstrap("slow.zip", tag="slow")
db3 = new_db("lambda_e2e_slow")
doc, put, answer, t0 = invoke(event("Create", "req-slow", props(db3, "slow")), deadline=5)
check(doc and doc["Status"] == "FAILED", "slow: FAILED (%s)" % (doc and doc.get("Reason")))
check(put and put["at"] < t0 + 5, "slow: answered before the deadline (%.2fs)" % ((put["at"] - t0) if put else -1))
check(psql(db3, "SELECT count(*) FROM pg_tables WHERE tablename = 'slow_table'") == "0",
      "slow: nothing half-applied")
time.sleep(0.5)
check(psql("postgres", "SELECT count(*) FROM pg_stat_activity WHERE datname = '%s' AND query LIKE '%%pg_sleep%%'" % db3) == "0",
      "slow: the statement was canceled on the server")
check(len(bucket.attempts("req-slow")) == 1, "slow: exactly one answer (the watchdog stayed quiet)")
stop(p)

# ------------------------------------------------------- the watchdog answers when the work overruns
# a replaceable handler in the function code: the migrate handler, with Secrets Manager stalled past the deadline
STALL = """
local secrets = require "dbhost.aws.secrets"
local proc = require "dbhost.proc"
secrets.get_secret_value = function() proc.sleep(6) return nil, "stalled", "ESTALLED" end
return require "handlers.migrate"
"""
p = start_bootstrap("v1.zip", handler="stall", tag="stall", extra_files={"scripts/handlers/stall.lua": STALL})
db4 = new_db("lambda_e2e_stall")
doc, put, answer, t0 = invoke(event("Create", "req-stall", props(db4, "v1")), deadline=4)
check(doc and doc["Status"] == "FAILED" and "deadline" in doc.get("Reason", ""),
      "watchdog: FAILED about the deadline (%s)" % (doc and doc.get("Reason")))
check(put and put["at"] < t0 + 4, "watchdog: answered before the deadline (%.2fs)" % ((put["at"] - t0) if put else -1))
check(answer and answer["kind"] == "response" and b'"Watchdog":true' in answer["body"],
      "watchdog: the handler saw that the watchdog answered (%s)" % (answer and answer["body"]))
check(len(bucket.attempts("req-stall")) == 1, "watchdog: exactly one answer")
stop(p)

# ------------------------------------------------------- a team's own handler from the function code
p = start_bootstrap("v1.zip", handler="hello.handler", tag="hello", extra_files={
    "scripts/handlers/hello.lua": "return { handler = function(event) return { hello = event.name } end }\n"})
runtime.push("req-hello", {"name": "e2e"}, 10)
answer = runtime.wait_answer("req-hello", 15)
check(answer and answer["kind"] == "response" and json.loads(answer["body"]) == {"hello": "e2e"},
      "custom handler: scripts/handlers/hello.lua of the function code ran (%s)" % (answer and answer["body"]))
stop(p)

# ------------------------------------------------------- the package's atlas.hcl, as `dbhost apply` reads it
def dbhost(*args, cwd=None):
    return subprocess.run([DBHOST] + list(args), capture_output=True, text=True, cwd=cwd)


def local_url(db):
    return "postgres://migrator:%s@/%s?host=%s&port=%s" % (DB_PASSWORD, db, PG_SOCKET, PG_PORT)


# env "lambda" keeps its migrations in db/migrations (v2's three files; migrations/ holds v1's two),
# its revisions table in schema app_revisions, and skips files added out of order
ATLAS_HCL = """
env "local" {
  url = "postgres://localhost/other"
  migration {
    dir = "file://migrations"
  }
}
env "lambda" {
  migration {
    dir              = "file://db/migrations"
    revisions_schema = "app_revisions"
    exec_order       = LINEAR_SKIP
  }
}
"""
v2_dir = os.path.join(unzip(os.path.join(FN_DIR, "v2.zip"), os.path.join(WORK, "v2-unzipped")), "migrations")


def with_db_migrations(extra=None):
    def setup(task):
        dest = os.path.join(task, "db", "migrations")
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(v2_dir, dest)
        for name, text in (extra or {}).items():
            with open(os.path.join(dest, name), "w") as f:
                f.write(text)
        if extra:
            out = dbhost("migrate", "hash", "--dir", dest)
            check(out.returncode == 0, "atlas.hcl: migrate hash of the changed directory (%s)" % out.stderr)
    return setup


db_hcl = new_db("lambda_e2e_hcl")
p = start_bootstrap("v1.zip", tag="hcl", extra_files={"atlas.hcl": ATLAS_HCL}, env_extra={"DBHOST_ENV": "lambda"},
                    task_setup=with_db_migrations())
doc, put, answer, _ = invoke(event("Create", "req-hcl", props(db_hcl, "v2")))
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "3"},
      "atlas.hcl: the env's migration dir was applied (%s %s)" % (doc and doc.get("Data"), doc and doc.get("Reason")))
check(psql(db_hcl, "SELECT string_agg(version, ',' ORDER BY version) FROM app_revisions.atlas_schema_revisions")
      == "1,2,3", "atlas.hcl: the revisions are in migration.revisions_schema")
check(psql(db_hcl, "SELECT count(*) FROM pg_namespace WHERE nspname = 'atlas_schema_revisions'") == "0",
      "atlas.hcl: no default revisions schema was created")
stop(p)
# `dbhost apply` with the same atlas.hcl finds the database up to date (the same revisions table)
proj = os.path.join(WORK, "hcl-project")
with_db_migrations()(proj)
with open(os.path.join(proj, "atlas.hcl"), "w") as f:
    f.write(ATLAS_HCL)
out = dbhost("apply", "--env", "lambda", "--url", local_url(db_hcl), cwd=proj)
check(out.returncode == 0 and "No migration files to execute" in out.stdout,
      "atlas.hcl: dbhost apply sees what Lambda applied (%s%s)" % (out.stdout, out.stderr))
# a file added before the last applied one: exec_order LINEAR_SKIP skips it, as dbhost apply's would
late = {"2.5_late.sql": "CREATE TABLE late_table (id int);\n"}
p = start_bootstrap("v1.zip", tag="hcl-late", extra_files={"atlas.hcl": ATLAS_HCL}, env_extra={"DBHOST_ENV": "lambda"},
                    task_setup=with_db_migrations(late))
late_hash = open(os.path.join(WORK, "task-hcl-late", "db", "migrations", "atlas.sum")).readline().strip()
doc, put, answer, _ = invoke(event("Update", "req-hcl-late", props(db_hcl, "v2", MigrationHash=late_hash),
                                   old=props(db_hcl, "v2"), physical="dbhost-migrations:x"))
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "0"},
      "atlas.hcl: exec_order LINEAR_SKIP skips a file added out of order (%s %s)"
      % (doc and doc.get("Data"), doc and doc.get("Reason")))
check(psql(db_hcl, "SELECT count(*) FROM pg_tables WHERE tablename = 'late_table'") == "0",
      "atlas.hcl: the skipped file did not run")
stop(p)
# the same package without the env (no DBHOST_ENV, two envs: none applies): the default
# order refuses the out-of-order file, and the default revisions schema is empty
p = start_bootstrap("v1.zip", tag="hcl-noenv", extra_files={"atlas.hcl": ATLAS_HCL},
                    task_setup=with_db_migrations(late))
doc, put, answer, _ = invoke(event("Update", "req-hcl-noenv", props(db_hcl, "v1"),
                                   old=props(db_hcl, "v2"), physical="dbhost-migrations:x"))
check(doc and doc["Status"] == "FAILED" and "not clean" in doc.get("Reason", ""),
      "atlas.hcl: without DBHOST_ENV the env's revisions schema is not used (%s)" % (doc and doc.get("Reason")))
stop(p)
# a broken atlas.hcl is FAILED naming the file and line
p = start_bootstrap("v1.zip", tag="hcl-broken", extra_files={"atlas.hcl": 'env "lambda" {\n  migration {\n    exec_order = SOMETIMES\n  }\n}\n'})
doc, put, answer, _ = invoke(event("Create", "req-hcl-broken", props(new_db("lambda_e2e_hcl_broken"), "v1")))
check(doc and doc["Status"] == "FAILED" and "atlas.hcl:3:" in doc.get("Reason", "")
      and "exec_order" in doc.get("Reason", ""), "atlas.hcl: a bad file is FAILED with its place (%s)"
      % (doc and doc.get("Reason")))
stop(p)

# ------------------------------------------------------- Baseline: a first Create on an existing database
db_base = new_db("lambda_e2e_baseline")
psql(db_base, "CREATE TABLE items (id bigint PRIMARY KEY, name text); INSERT INTO items VALUES (7, 'old'); "
              "ALTER TABLE items OWNER TO migrator")
p = start_bootstrap("v2.zip", tag="baseline")
doc, put, answer, _ = invoke(event("Create", "req-nobaseline", props(db_base, "v2")))
check(doc and doc["Status"] == "FAILED" and "not clean" in doc.get("Reason", "") and "baseline" in doc.get("Reason", ""),
      "baseline: a non-empty database without Baseline is FAILED (%s)" % (doc and doc.get("Reason")))
doc, put, answer, _ = invoke(event("Create", "req-badbaseline", props(db_base, "v2", Baseline="9")))
check(doc and doc["Status"] == "FAILED" and "Baseline 9" in doc.get("Reason", ""),
      "baseline: an unknown version is FAILED naming it (%s)" % (doc and doc.get("Reason")))
doc, put, answer, _ = invoke(event("Create", "req-baseline", props(db_base, "v2", Baseline="2")))
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "1"},
      "baseline: only the files after Baseline run (%s %s)" % (doc and doc.get("Data"), doc and doc.get("Reason")))
check(psql(db_base, "SELECT string_agg(version, ',' ORDER BY version) FROM %s" % REV) == "2,3",
      "baseline: the baseline and the applied file are recorded")
check(psql(db_base, "SELECT name FROM items") == "old", "baseline: the existing data stays")
# a later Update still carrying Baseline: the revisions decide, Baseline is ignored
doc, put, answer, _ = invoke(event("Update", "req-baseline-again", props(db_base, "v2", Baseline="1"),
                                   old=props(db_base, "v1", Baseline="2"), physical="dbhost-migrations:x"))
check(doc and doc["Status"] == "SUCCESS" and doc["Data"] == {"AppliedVersion": "3", "FilesApplied": "0"},
      "baseline: ignored once revisions exist (%s %s)" % (doc and doc.get("Data"), doc and doc.get("Reason")))
stop(p)

# ------------------------------------------------------- _X_AMZN_TRACE_ID follows each invocation's header
TRACE = """
local proc = require "dbhost.proc"
return { handler = function()
  local r = assert(proc.run { argv = { "sh", "-c", 'printf %s "${_X_AMZN_TRACE_ID-unset}"' } })
  return { lua = os.getenv("_X_AMZN_TRACE_ID") or "unset", child = r.stdout }
end }
"""
p = start_bootstrap("v1.zip", handler="trace", tag="trace", extra_files={"scripts/handlers/trace.lua": TRACE})
for rid, trace in (("req-trace-1", "Root=1-65f0a1b2-0123456789abcdef01234567;Parent=53995c3f42cd8ad8;Sampled=1"),
                   ("req-trace-2", "Root=1-65f0a1b3-fedcba9876543210fedcba98;Sampled=0"),
                   ("req-trace-none", None)):
    runtime.push(rid, {}, 10, headers={"Lambda-Runtime-Trace-Id": trace})
    answer = runtime.wait_answer(rid, 15)
    want = trace or "unset"
    check(answer and answer["kind"] == "response" and json.loads(answer["body"]) == {"lua": want, "child": want},
          "trace id: %s sees _X_AMZN_TRACE_ID=%s in Lua and in a child (%s)" % (rid, want, answer and answer["body"]))
stop(p)

# ------------------------------------------------------- no secret anywhere
texts = [open(f, "rb").read() for f in outputs]
texts += [p_["body"] for p_ in bucket.puts]
texts += [a["body"] for a in runtime.answers.values()]
for t in texts:
    for s in (DB_PASSWORD, SECRET_KEY, SESSION_TOKEN):
        check(s.encode() not in t, "no secret in any output, response or answer")

for p_ in procs:
    stop(p_)
for d in CREATED:
    psql("postgres", 'DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % d)
psql("postgres", "DROP ROLE IF EXISTS iam_user")
runtime.close(); bucket.close(); secrets.close(); hole.close()
print("lambda e2e: %d checks, %d failed" % (checks, len(failures)))
sys.exit(1 if failures else 0)
