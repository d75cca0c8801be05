"""An offline RFC 3161 time-stamping authority for the tests: `openssl ts -reply` (which has no server mode)
behind a small HTTP handler on 127.0.0.1. On start it makes, in FOLDER, an EC P-256 key and a self-signed
certificate with the critical extended key usage timeStamping (tsa.key, tsa.crt), then prints "PORT <n>" and
answers each POST of an `application/timestamp-query` with the `application/timestamp-reply`.

Usage: tsa_server.py FOLDER
"""
import http.server
import os
import subprocess
import sys

FOLDER = sys.argv[1]
CONFIG = """[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
serial = ./tsaserial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256
accuracy = secs:1
ess_cert_id_alg = sha256
"""


def openssl(*arguments: str) -> None:
    subprocess.run(["openssl", *arguments], cwd=FOLDER, check=True, capture_output=True)


def prepare() -> None:
    os.makedirs(FOLDER, exist_ok=True)
    with open(os.path.join(FOLDER, "ts.cnf"), "w") as config:
        config.write(CONFIG)
    with open(os.path.join(FOLDER, "tsaserial"), "w") as serial:
        serial.write("01\n")
    openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "tsa.key")
    openssl("req", "-new", "-x509", "-key", "tsa.key", "-out", "tsa.crt", "-days", "30", "-subj", "/CN=Test TSA",
            "-addext", "extendedKeyUsage=critical,timeStamping", "-addext", "basicConstraints=critical,CA:FALSE")


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        length = int(self.headers.get("Content-Length", "0"))
        query = self.rfile.read(length)
        with open(os.path.join(FOLDER, "q.tsq"), "wb") as file:
            file.write(query)
        result = subprocess.run(["openssl", "ts", "-reply", "-config", "ts.cnf", "-queryfile", "q.tsq", "-signer", "tsa.crt",
                                 "-inkey", "tsa.key", "-out", "r.tsr"], cwd=FOLDER, capture_output=True)
        if result.returncode != 0:
            self.send_response(400)
            self.end_headers()
            return
        with open(os.path.join(FOLDER, "r.tsr"), "rb") as file:
            reply = file.read()
        self.send_response(200)
        self.send_header("Content-Type", "application/timestamp-reply")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *arguments) -> None:
        pass


if __name__ == "__main__":
    prepare()
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(f"PORT {server.server_address[1]}", flush=True)
    server.serve_forever()
