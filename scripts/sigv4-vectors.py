#!/usr/bin/env python3
"""Writes the AWS Signature Version 4 test vectors of Tests/VaultRemoteTests/Vectors/sigv4.json with
botocore's own S3 signer (botocore.auth.S3SigV4Auth) at a fixed time, so that Amanah's signer (VaultRemote,
SigV4) is checked against an independent implementation. Run it in a virtual environment with the pinned
botocore:

    python3 -m venv /tmp/sigv4 && /tmp/sigv4/bin/pip install botocore==1.35.99
    /tmp/sigv4/bin/python scripts/sigv4-vectors.py > Tests/VaultRemoteTests/Vectors/sigv4.json
"""
import datetime
import json
import sys

import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

FIXED = datetime.datetime(2026, 12, 7, 10, 30, 15)


class FixedDatetime(datetime.datetime):
    @classmethod
    def utcnow(cls):
        return FIXED


class FixedModule:
    datetime = FixedDatetime


botocore.auth.datetime = FixedModule


class RecordingSigner(botocore.auth.S3SigV4Auth):
    """S3SigV4Auth that keeps the canonical request and string to sign it computed while signing."""

    def canonical_request(self, request):
        self.recorded_canonical = super().canonical_request(request)
        return self.recorded_canonical

    def string_to_sign(self, request, canonical_request):
        self.recorded_string = super().string_to_sign(request, canonical_request)
        return self.recorded_string

ENDPOINT = "http://127.0.0.1:8333"
CASES = [
    {"name": "get-object", "method": "GET", "path": "/evidence/vault-1/blobs/ab/abcdef0123", "query": [], "headers": {}, "body": ""},
    {"name": "head-object", "method": "HEAD", "path": "/evidence/vault-1/entries/0000000000000042", "query": [], "headers": {}, "body": ""},
    {"name": "put-conditional-with-lock", "method": "PUT", "path": "/evidence/vault-1/entries/0000000000000043", "query": [],
     "headers": {"If-None-Match": "*", "Content-Type": "application/octet-stream",
                 "x-amz-object-lock-mode": "COMPLIANCE", "x-amz-object-lock-retain-until-date": "2027-01-06T10:30:15Z"},
     "body": "a signed entry\n"},
    {"name": "list-v2", "method": "GET", "path": "/evidence", "query": [("list-type", "2"), ("prefix", "vault-1/entries/"),
     ("continuation-token", "1/abc+def=="), ("max-keys", "1000")], "headers": {}, "body": ""},
    {"name": "multipart-create", "method": "POST", "path": "/evidence/vault-1/blobs/cd/cdef", "query": [("uploads", "")],
     "headers": {}, "body": ""},
    {"name": "multipart-part", "method": "PUT", "path": "/evidence/vault-1/blobs/cd/cdef",
     "query": [("partNumber", "3"), ("uploadId", "2~Zx/y z")], "headers": {}, "body": "part bytes"},
    {"name": "key-with-space-and-unicode", "method": "GET", "path": "/evidence/inbox/collector 1/\u00e9t\u00e9+x", "query": [],
     "headers": {"Range": "bytes=0-99"}, "body": ""},
    {"name": "session-token", "method": "GET", "path": "/evidence/vault-1/checkpoint", "query": [], "headers": {}, "body": "",
     "token": "IQoJb3JpZ2luX2VjEXAMPLE//token=="},
]


def main():
    out = {"source": f"botocore {botocore.__version__} S3SigV4Auth, scripts/sigv4-vectors.py", "time": "20261207T103015Z",
           "accessKey": "AKIDEXAMPLE", "secretKey": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "region": "eu-central-1",
           "service": "s3", "endpoint": ENDPOINT, "cases": []}
    for case in CASES:
        credentials = Credentials(out["accessKey"], out["secretKey"], case.get("token"))
        signer = RecordingSigner(credentials, "s3", out["region"])
        from urllib.parse import quote
        url = ENDPOINT + quote(case["path"], safe="/~")
        if case["query"]:
            url += "?" + "&".join(quote(k, safe="-_.~") + ("=" + quote(v, safe="-_.~") if v != "" or k != "uploads" else "")
                                  for k, v in case["query"])
        request = AWSRequest(method=case["method"], url=url, data=case["body"].encode(), headers=dict(case["headers"]))
        signer.add_auth(request)
        out["cases"].append({
            "name": case["name"], "method": case["method"], "path": case["path"],
            "query": [[k, v] for k, v in case["query"]], "headers": case["headers"], "body": case["body"],
            "sessionToken": case.get("token"),
            "canonicalRequest": signer.recorded_canonical,
            "stringToSign": signer.recorded_string,
            "authorization": request.headers["Authorization"],
            "payloadSHA256": request.headers["X-Amz-Content-SHA256"],
        })
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
