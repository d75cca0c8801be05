# Sourced by scripts/demo-team.sh and scripts/bench-sync.sh (not run on its own).
#
# demo_keys OUT: copies keys-example/ into OUT/keys made private (git keeps no file modes, and amanah refuses
# key and passphrase files others can read) and sets AMANAH_PASSPHRASE_FILE; defines pub NAME.
demo_keys() {
  keys="$1/keys"
  mkdir -m 700 "$keys"
  cp -R "$root/keys-example/." "$keys/"
  chmod 600 "$keys"/*.key "$keys"/*.agekey "$keys/DEMO-ONLY-passphrase.txt"
  export AMANAH_PASSPHRASE_FILE="$keys/DEMO-ONLY-passphrase.txt"
}
pub() { cat "$keys/$1.pub"; }

# start_seaweedfs FOLDER VOLUME_MB BUCKET [INBOX]: starts the pinned SeaweedFS (.build/tools-venv, installed by
# scripts/install-deps.sh) on free loopback ports (each port + 10000 free too: its gRPC ports), with one
# random access key exported as AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, waits for its S3 gateway, creates
# BUCKET as an administrator would (Amanah never creates buckets) and sets `endpoint`. Killed on exit. With
# INBOX (BUCKET/PREFIX/inbox), a second key that may only write under it (a field collector's) is set in
# field_key and field_secret.
start_seaweedfs() {
  local folder=$1 volume_mb=$2 bucket=$3 inbox=${4:-} s3 master volume filer field=""
  mkdir -p "$folder/data"
  read -r s3 master volume filer < <(python3 - <<'PY'
import random, socket
def free(p):
    for q in (p, p + 10000):
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", q))
        except OSError:
            return False
        finally:
            s.close()
    return True
found = []
while len(found) < 4:
    p = random.randint(20000, 45000)
    if p not in found and free(p):
        found.append(p)
print(" ".join(map(str, found)))
PY
)
  export AWS_ACCESS_KEY_ID="amanah-demo" AWS_DEFAULT_REGION="us-east-1"
  AWS_SECRET_ACCESS_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
  export AWS_SECRET_ACCESS_KEY
  field_key="amanah-field" field_secret="$(python3 -c 'import secrets; print(secrets.token_hex(20))')"
  [ -z "$inbox" ] || field=$(printf ',{"name":"field","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Write:%s/*"]}' \
    "$field_key" "$field_secret" "$inbox")
  printf '{"identities":[{"name":"demo","credentials":[{"accessKey":"%s","secretKey":"%s"}],"actions":["Admin","Read","Write","List","Tagging"]}%s]}' \
    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$field" > "$folder/s3.json"
  "$root/.build/tools-venv/bin/weed" server -ip=127.0.0.1 -ip.bind=127.0.0.1 -dir="$folder/data" \
    -master.volumeSizeLimitMB="$volume_mb" -volume.max=16 -s3 -s3.port="$s3" -s3.config="$folder/s3.json" \
    -master.port="$master" -volume.port="$volume" -filer.port="$filer" > "$folder/weed.log" 2>&1 &
  weed_pid=$!
  trap 'kill -9 $weed_pid 2>/dev/null || true' EXIT
  for _ in $(seq 1 120); do
    if curl -s -o /dev/null "http://127.0.0.1:$s3/"; then break; fi
    sleep 0.5
  done
  endpoint="http://127.0.0.1:$s3"
  curl -sf --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" -X PUT "$endpoint/$bucket" >/dev/null
}
