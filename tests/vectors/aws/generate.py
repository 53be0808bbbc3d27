"""Writes botocore-made cross-check data for dbhost's AWS requests (see README.md).

Run with Debian's python3-botocore:  /usr/bin/python3 tests/vectors/aws/generate.py > tests/vectors/aws/botocore.json
Fake credentials and a fixed clock: nothing here talks to AWS.
"""
import datetime
import json
from unittest import mock

import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.session

FIXED = datetime.datetime(2026, 1, 2, 3, 4, 5)


class FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED


out = {"botocore_version": botocore.__version__, "time": "2026-01-02T03:04:05Z",
       "access_key": "AKIDEXAMPLE", "secret_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
       "session_token": "FwoGZXIvYXdzEXAMPLE/TOKEN+with=chars"}
creds = botocore.credentials.Credentials(out["access_key"], out["secret_key"], out["session_token"])

with mock.patch("botocore.auth.datetime.datetime", FixedDatetime):
    # RDS IAM authentication tokens
    session = botocore.session.get_session()
    session._credentials = creds
    tokens = []
    for host, port, user, region in [("db.example.eu-west-1.rds.amazonaws.com", 5432, "migrator", "eu-west-1"),
                                     ("127.0.0.1", 15432, "app user+1", "us-east-1")]:
        rds = session.create_client("rds", region_name=region, aws_access_key_id=creds.access_key,
                                    aws_secret_access_key=creds.secret_key, aws_session_token=creds.token)
        tokens.append({"host": host, "port": port, "user": user, "region": region,
                       "token": rds.generate_db_auth_token(host, port, user)})
    out["rds_tokens"] = tokens

    # a Secrets Manager GetSecretValue request, signed in the header form
    body = json.dumps({"SecretId": "arn:aws:secretsmanager:us-east-1:123456789012:secret:rds!db-1-AbCdEf"})
    req = botocore.awsrequest.AWSRequest(
        method="POST", url="http://127.0.0.1:4566/",
        headers={"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "secretsmanager.GetSecretValue"},
        data=body)
    botocore.auth.SigV4Auth(creds, "secretsmanager", "us-east-1").add_auth(req)
    out["secretsmanager"] = {"url": "http://127.0.0.1:4566/", "body": body, "region": "us-east-1",
                             "headers": [["Content-Type", "application/x-amz-json-1.1"],
                                         ["X-Amz-Target", "secretsmanager.GetSecretValue"]],
                             "authorization": req.headers["Authorization"]}
print(json.dumps(out, indent=2, sort_keys=True))
