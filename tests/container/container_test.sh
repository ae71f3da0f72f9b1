#!/usr/bin/env bash
# The container test (ctest container, part of `make test`): builds
# docker/Dockerfile with rootful podman on a base image made locally with
# mmdebstrap (no image registry is needed), then checks what a shop relies on:
#   1. init prints the admin token exactly once; a second init refuses;
#   2. the server becomes healthy through the image's HEALTHCHECK
#      (`contact-vault healthcheck`), listening on 8443 with the mounted
#      certificate, published on a free port of 127.0.0.1;
#   3. a customer created through that port is found there;
#   4. every process runs as uid/gid 10001 with no capabilities and
#      no_new_privs, on a read-only root file system;
#   5. SIGTERM (podman stop) stops it cleanly (exit 0, well before the kill);
#      a new container on the same volume finds the customer again;
#   6. docker/compose.yaml through podman-compose: run --rm vault init,
#      up -d, healthy, create and find, down and up again, find again.
# Everything it makes is named after this run and removed by name on exit,
# failed or not. The base image is cached by the hash of what makes it, in
# CONTACT_VAULT_TEST_CACHE (default /var/cache/contact-vault-test, else
# ~/.cache/contact-vault-test); without the cache it is made again (~40-90 s).
#
# usage: container_test.sh SOURCE_DIR BINARY_DIR  (BINARY_DIR holds the host's
# contact-vault CLI, the client the test drives the server with)
set -euo pipefail

src=$(cd "${1:?source dir}" && pwd)
bin=$(cd "${2:?binary dir}" && pwd)
cli=$bin/contact-vault
started=$(date +%s)

say() { printf '[container %3ds] %s\n' "$(($(date +%s) - started))" "$*"; }
die() {
  say "FAIL: $*" >&2
  exit 1
}

for tool in podman podman-compose mmdebstrap openssl; do
  command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
done
[ -x "$cli" ] || die "no CLI at $cli"
sudo=()
if [ "$(id -u)" -ne 0 ]; then sudo=(sudo -n --preserve-env=CONTAINERS_CONF); fi

run_id=cvt-$(date +%s)-$$
work=$(mktemp -d "${TMPDIR:-/tmp}/$run_id.XXXX")
image=localhost/contact-vault-test:$run_id
volume=$run_id-data
container=$run_id-vault
project=${run_id//-/}  # podman-compose names: ${project}_vault_1, ${project}_data
compose=("${sudo[@]}" podman-compose -p "$project" -f "$src/docker/compose.yaml")

# A private engine configuration: runc (crun fails on this cgroup setup),
# cgroupfs and a file events log (no systemd), ulimits the host allows.
hard_nofile=$(ulimit -Hn)
[ "$hard_nofile" = unlimited ] && hard_nofile=1048576
cat >"$work/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$hard_nofile:$hard_nofile", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF
export CONTAINERS_CONF=$work/containers.conf
pm() { "${sudo[@]}" podman "$@"; }

# podman rm -f can race a container that is still stopping: try again.
remove_container() {
  local name=$1
  for _ in 1 2 3 4 5; do
    pm container exists "$name" 2>/dev/null || return 0
    pm rm -f -t 5 "$name" >/dev/null 2>&1 && return 0
    sleep 1
  done
  say "could not remove container $name"
}

teardown() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    for c in $(pm ps -a --format '{{.Names}}' | grep -E "^($container|${project}_)"); do
      say "logs of $c:"
      pm logs --tail 30 "$c" 2>&1 | sed 's/^/    /'
    done
  fi
  for c in $(pm ps -a --format '{{.Names}}' | grep -E "^($container|${project}_)"); do
    remove_container "$c"
  done
  pm volume rm -f "$volume" "${project}_data" >/dev/null 2>&1
  pm network rm -f "${project}_default" >/dev/null 2>&1
  pm pod rm -f "pod_$project" >/dev/null 2>&1
  pm rmi -f "$image" >/dev/null 2>&1
  rm -rf "$work"
  say "$([ $rc -eq 0 ] && echo PASS || echo "FAIL (exit $rc)"), torn down"
  exit $rc
}
trap teardown EXIT
trap 'exit 130' INT TERM

# --- 1. The base image: Debian bookworm minbase from this machine's apt
# sources, cached by the hash of the sources and of the command that makes it.
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -f "$f" ] && grep -qE '(^|[[:space:]])bookworm([[:space:]]|$)' "$f" && grep -q debian "$f" &&
    sources+=("$f")
done
[ ${#sources[@]} -gt 0 ] || die "no Debian bookworm apt source in /etc/apt"
# Like Debian's slim images: no manuals, documentation or translations.
mmdebstrap_args=(--variant=minbase --quiet
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias'
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright'
  bookworm)
base_hash=$(
  {
    echo "${mmdebstrap_args[*]}"
    cat "${sources[@]}"
  } | sha256sum | cut -c1-16
)
base=localhost/contact-vault-test-base:$base_hash
cache=${CONTACT_VAULT_TEST_CACHE:-/var/cache/contact-vault-test}
mkdir -p "$cache" 2>/dev/null && [ -w "$cache" ] || cache=$HOME/.cache/contact-vault-test
mkdir -p "$cache"
if pm image exists "$base"; then
  say "base image $base (cached)"
else
  tarball=$cache/base-$base_hash.tar
  if [ ! -s "$tarball" ]; then
    say "making the base image with mmdebstrap from ${sources[*]}"
    "${sudo[@]}" mmdebstrap "${mmdebstrap_args[@]}" "$work/base.tar" "${sources[@]}" ||
      die "mmdebstrap failed"
    mv "$work/base.tar" "$tarball.$$" && mv "$tarball.$$" "$tarball"
  fi
  pm import --quiet "$tarball" "$base" >/dev/null || die "podman import failed"
  say "base image $base imported from $tarball"
fi

# --- 2. The image, exactly docker/Dockerfile. The host's ccache is lent to
# the builder (same compiler, flags and relative paths as the host build).
build_args=(--build-arg "BASE_IMAGE=$base")
ccache_dir=$(ccache -k cache_dir 2>/dev/null || true)
if [ -n "$ccache_dir" ] && [ "$(id -u)" -eq 0 ]; then
  mkdir -p "$ccache_dir"
  build_args+=(--volume "$ccache_dir:/root/.cache/ccache")
fi
if [ -n "${CI:-}" ] || grep -qE '^VAULT_WERROR:[A-Z]+=(ON|on|1|TRUE|true|YES|yes)$' \
  "$bin/CMakeCache.txt" 2>/dev/null; then
  build_args+=(--build-arg VAULT_WERROR=ON)
fi
say "building $image"
pm build --format docker "${build_args[@]}" -f "$src/docker/Dockerfile" -t "$image" "$src" \
  >"$work/build.log" 2>&1 || {
  tail -40 "$work/build.log"
  die "podman build failed"
}
size=$(pm image inspect --format '{{.Size}}' "$image")
say "image built: $((size / 1024 / 1024)) MiB"
pm image inspect --format '{{.Config.User}} {{json .Config.Healthcheck}}' "$image" |
  grep -q '^10001:10001 .*healthcheck' || die "image lacks USER 10001:10001 or HEALTHCHECK"

# --- Secrets, made by the script the README gives shops.
secrets=$work/secrets
"${sudo[@]}" "$src/docker/make-secrets.sh" "$secrets" >/dev/null || die "make-secrets.sh failed"
ca=$secrets/tls_cert
"${sudo[@]}" "$src/docker/make-secrets.sh" "$secrets" >/dev/null 2>&1 &&
  die "make-secrets.sh replaced a root key"

hardening=(--read-only --cap-drop ALL --security-opt no-new-privileges)
mounts=(-v "$volume:/var/lib/contact-vault"
  -v "$secrets/root_key:/run/secrets/root_key:ro"
  -v "$secrets/tls_cert:/run/secrets/tls_cert:ro"
  -v "$secrets/tls_key:/run/secrets/tls_key:ro")

# Prints the one admin token of an init's output; fails unless exactly one.
token_of() {
  local tokens
  tokens=$(grep -oE 'cvk_[A-Za-z0-9_-]+' "$1" || true)
  [ "$(printf '%s' "$tokens" | grep -c .)" -eq 1 ] || {
    cat "$1"
    die "init printed $(printf '%s' "$tokens" | grep -c .) tokens, not one"
  }
  printf '%s' "$tokens"
}

wait_healthy() {
  local name=$1 deadline=$(($(date +%s) + 90))
  until pm healthcheck run "$name" >/dev/null 2>&1; do
    [ "$(pm inspect --format '{{.State.Running}}' "$name" 2>/dev/null)" = true ] ||
      die "$name is not running"
    [ "$(date +%s)" -lt $deadline ] || die "$name not healthy within 90 s"
    sleep 1
  done
}

host_port() {
  pm port "$1" 8443/tcp | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -n1
}

# An admin token makes a pos service account and its token (admins see no
# customer data); the pos token creates a customer. Prints "POS_TOKEN ID".
create_customer() {
  local port=$1 admin=$2 email=$3 remote pos id
  remote=(--server "https://127.0.0.1:$port" --ca-cert "$ca")
  "$cli" service-account add "till-$port" --roles pos "${remote[@]}" --token "$admin" >/dev/null ||
    die "service-account add failed"
  pos=$("$cli" token create --service-account "till-$port" "${remote[@]}" --token "$admin" |
    grep -oE 'cvk_[A-Za-z0-9_-]+' | head -n1)
  [ -n "$pos" ] || die "token create printed no token"
  id=$(printf '%s\n' "$email" | "$cli" customer add --email - "${remote[@]}" --token "$pos" |
    grep -oE '"id": *"cus_[A-Za-z0-9_-]+"' | head -n1 | grep -oE 'cus_[A-Za-z0-9_-]+')
  [ -n "$id" ] || die "customer add returned no id"
  printf '%s %s' "$pos" "$id"
}

expect_found() {
  local port=$1 pos=$2 email=$3 id=$4 out
  out=$(printf '%s\n' "$email" | "$cli" customer search --email - \
    --server "https://127.0.0.1:$port" --ca-cert "$ca" --token "$pos") ||
    die "search failed on port $port"
  grep -q "\"$id\"" <<<"$out" || {
    echo "$out"
    die "search on port $port did not find $id"
  }
  grep -q "$email" <<<"$out" && die "search answered the plaintext email"
  return 0
}

# uid/gid 10001, no capabilities, no_new_privs, tini as PID 1, read-only root.
check_hardening() {
  local c=$1 procs
  [ "$(pm inspect --format '{{.HostConfig.ReadonlyRootfs}}' "$c")" = true ] ||
    die "$c: root file system is not read-only"
  # As the kernel sees it (uid 10001 could not write /usr anyway).
  pm exec "$c" sed -n 's|^[^ ]* / [^ ]* \(r[ow]\)[, ].*|\1|p' /proc/1/mounts | grep -qx ro ||
    die "$c: / is not mounted read-only"
  procs=$(pm exec "$c" sh -c \
    'for s in /proc/[0-9]*/status; do
       [ "$s" = "/proc/$$/status" ] && continue
       n=$(sed -n "s/^Name:\t//p" "$s"); u=$(sed -n "s/^Uid:\t//p" "$s"); g=$(sed -n "s/^Gid:\t//p" "$s")
       c=$(sed -n "s/^CapEff:\t//p" "$s"); p=$(sed -n "s/^NoNewPrivs:\t//p" "$s")
       [ -n "$n" ] && echo "$n|$u|$g|$c|$p"
     done' 2>/dev/null)
  grep -q '^contact-vault-s' <<<"$procs" || die "$c: no server process in: $procs"
  [ "$(pm exec "$c" sed -n 's/^Name:\t//p' /proc/1/status)" = tini ] || die "$c: PID 1 is not tini"
  while IFS='|' read -r name uids gids caps nnp; do
    case "$name" in sh | sed) continue ;; esac
    [ "$(tr -s '\t ' '\n' <<<"$uids" | sort -u)" = 10001 ] || die "$c: $name runs as uid $uids"
    [ "$(tr -s '\t ' '\n' <<<"$gids" | sort -u)" = 10001 ] || die "$c: $name runs as gid $gids"
    [ "$caps" = 0000000000000000 ] || die "$c: $name has capabilities $caps"
    [ "$nnp" = 1 ] || die "$c: $name lacks no_new_privs"
  done <<<"$procs"
}

# --- 3. init: the token once; a second init refuses and prints none.
pm volume create "$volume" >/dev/null
pm run --rm "${hardening[@]}" "${mounts[@]}" "$image" init >"$work/init.out" 2>&1 ||
  {
    cat "$work/init.out"
    die "init failed"
  }
admin=$(token_of "$work/init.out")
say "init printed the admin token once"
if pm run --rm "${hardening[@]}" "${mounts[@]}" "$image" init >"$work/init2.out" 2>&1; then
  die "a second init succeeded"
fi
grep -q cvk_ "$work/init2.out" && die "a second init printed a token"

# --- 4. start, healthy, create and find through 127.0.0.1.
start_server() {
  # (Without systemd podman logs that it cannot time the health checks.)
  pm run -d --name "$container" "${hardening[@]}" "${mounts[@]}" \
    -p 127.0.0.1::8443 "$image" >/dev/null 2>>"$work/podman.err" || {
    cat "$work/podman.err"
    die "podman run failed"
  }
  wait_healthy "$container"
  port=$(host_port "$container")
  [ -n "$port" ] || die "no published port on 127.0.0.1"
}
start_server
say "healthy on https://127.0.0.1:$port/"
email="docker.$run_id@example.com"
read -r pos id <<<"$(create_customer "$port" "$admin" "$email")"
[ -n "${id:-}" ] || die "could not create a customer"
expect_found "$port" "$pos" "$email" "$id"
say "created and found $id"

# --- 5. uid 10001, no capabilities, no_new_privs, read-only root.
check_hardening "$container"
say "uid/gid 10001, no capabilities, no_new_privs, tini as PID 1, read-only root"

# --- 6. SIGTERM stops it cleanly; a new container on the volume finds the customer.
t0=$(date +%s)
pm stop -t 15 "$container" >/dev/null 2>>"$work/podman.err"
stop_s=$(($(date +%s) - t0))
code=$(pm inspect --format '{{.State.ExitCode}}' "$container")
[ "$code" = 0 ] || die "server exited with $code after SIGTERM"
[ "$stop_s" -lt 10 ] || die "stop took $stop_s s (SIGTERM not handled?)"
pm logs "$container" 2>&1 | grep -q stopped || die "server did not log that it stopped"
remove_container "$container"
say "stopped cleanly by SIGTERM in $stop_s s"
start_server
expect_found "$port" "$pos" "$email" "$id"
say "after restart on the same volume: found $id on port $port"
remove_container "$container"

# --- 7. docker/compose.yaml through podman-compose.
export CONTACT_VAULT_IMAGE=$image CONTACT_VAULT_SECRETS=$secrets CONTACT_VAULT_PUBLISH=127.0.0.1:
# --no-deps: podman-compose 1.0.3 would otherwise `up` every service first.
(cd "$src/docker" && "${compose[@]}" run --rm --no-deps -T vault init) >"$work/compose-init.out" 2>&1 || {
  cat "$work/compose-init.out"
  die "compose run --rm vault init failed"
}
admin=$(token_of "$work/compose-init.out")
say "compose: init printed the admin token once"
compose_up() {
  (cd "$src/docker" && "${compose[@]}" up -d) >"$work/compose-up.out" 2>&1 || {
    cat "$work/compose-up.out"
    die "compose up failed"
  }
  wait_healthy "${project}_vault_1"
  port=$(host_port "${project}_vault_1")
  [ -n "$port" ] || die "compose: no published port on 127.0.0.1"
}
compose_up
check_hardening "${project}_vault_1"
read -r pos id <<<"$(create_customer "$port" "$admin" "$email")"
[ -n "${id:-}" ] || die "could not create a customer"
expect_found "$port" "$pos" "$email" "$id"
say "compose: healthy on port $port, hardened as above, created and found $id"
(cd "$src/docker" && "${compose[@]}" down) >"$work/compose-down.out" 2>&1 || {
  cat "$work/compose-down.out"
  die "compose down failed"
}
pm volume exists "${project}_data" || die "compose down removed the data volume"
compose_up
expect_found "$port" "$pos" "$email" "$id"
say "compose: after down and up, found $id on port $port"
(cd "$src/docker" && "${compose[@]}" down) >/dev/null 2>&1
say "all checks passed in $(($(date +%s) - started)) s"
