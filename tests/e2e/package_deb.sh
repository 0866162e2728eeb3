#!/usr/bin/env bash
# `make package`'s .deb as a user meets it: contents and metadata checked,
# lintian without errors, then installed on this machine, the packaged unit's
# ExecStart run under socket activation (systemd-socket-activate: this
# machine's PID 1 is not systemd), a file fetched with curl, `man zcp-get`
# and bash completion tried, and the package purged leaving nothing behind.
source "$(dirname "$0")/../support/e2e.sh"
build=${ZCP_BUILD_DIR:-$(dirname "$ZCP")}
[ -f "$build/CPackConfig.cmake" ] || skip "no CPack config in $build"
grep -q '^ZCP_SANITIZE:STRING=.' "$build/CMakeCache.txt" && skip "sanitized build: not a package to ship"
command -v dpkg-deb >/dev/null || skip "dpkg-deb not installed"

(cd "$build" && cpack -G DEB -B "$SCRATCH/pkg") >"$SCRATCH/cpack.log" 2>&1 || fail "cpack: $(tail -20 "$SCRATCH/cpack.log")"
deb=$(ls "$SCRATCH"/pkg/zcp_*_amd64.deb 2>/dev/null | head -1)
[ -n "$deb" ] || fail "no .deb produced: $(tail -5 "$SCRATCH/cpack.log")"

dpkg-deb -c "$deb" | awk '{print $6}' | sed 's|^\./|/|' >"$SCRATCH/contents"
for path in /usr/bin/zcp /usr/lib/libzcp.so.0 /usr/lib/libzcp.a /usr/include/zcp/server.h \
    /usr/include/zcp/downloader.h /usr/lib/cmake/zcp/zcpConfig.cmake /usr/lib/pkgconfig/zcp.pc \
    /usr/share/man/man1/zcp.1.gz /usr/share/man/man1/zcp-get.1.gz /usr/share/man/man1/zcp-serve.1.gz \
    /usr/share/man/man1/zcp-put.1.gz /usr/share/man/man1/zcp-bench.1.gz \
    /usr/share/bash-completion/completions/zcp /usr/share/zsh/vendor-completions/_zcp \
    /usr/lib/systemd/system/zcp-serve@.service /usr/lib/systemd/system/zcp-serve@.socket \
    /usr/share/doc/zcp/copyright /usr/share/doc/zcp/changelog.gz; do
  grep -qx "$path" "$SCRATCH/contents" || fail "package lacks $path"
done
grep -q '^/usr/include/zcp/.*/' "$SCRATCH/contents" && fail "private header folders in the package"
grep -qE '^/(tmp|home|root|work)' "$SCRATCH/contents" && fail "build paths in the package"

dpkg-deb -I "$deb" >"$SCRATCH/info"
depends=$(sed -n 's/^ Depends: //p' "$SCRATCH/info")
for lib in libc6 libstdc++6 libssl3 libfmt9 libhttp-parser2.9; do
  echo "$depends" | grep -q "$lib" || fail "Depends lacks $lib: $depends"
done

if command -v lintian >/dev/null; then
  lintian "$deb" >"$SCRATCH/lintian" 2>&1 || true
  grep -q '^E:' "$SCRATCH/lintian" && fail "lintian errors: $(grep '^E:' "$SCRATCH/lintian")"
fi

# --- installed on this machine, then removed -------------------------------
[ "$(id -u)" = 0 ] || { echo "ok (not root: install steps skipped)"; exit 0; }
if dpkg-query -W -f='${Status}' zcp 2>/dev/null | grep -q "install ok installed"; then
  echo "ok (a zcp package is already installed here: install steps skipped)"; exit 0
fi
on_exit "dpkg --purge zcp"
dpkg -i "$deb" >"$SCRATCH/dpkg.log" 2>&1 || fail "dpkg -i: $(cat "$SCRATCH/dpkg.log")"
dpkg -L zcp >"$SCRATCH/owned"
[ -x /usr/bin/zcp ] || fail "/usr/bin/zcp missing after install"
/usr/bin/zcp --version | grep -q "zcp 0" || fail "installed binary does not run"

# The packaged service: the unit's own ExecStart, its environment defaults,
# under socket activation as systemd would start it.
unit=/usr/lib/systemd/system/zcp-serve@.service
exec_start=$(sed -n 's/^ExecStart=//p' "$unit")
[ -n "$exec_start" ] || fail "no ExecStart in $unit"
grep -q '^DynamicUser=yes' "$unit" && grep -q '^ProtectSystem=strict' "$unit" &&
  grep -q '^NoNewPrivileges=yes' "$unit" && grep -q '^Restart=on-failure' "$unit" || fail "unit not hardened"
# systemd's own check of the installed units (works without systemd as PID 1).
if command -v systemd-analyze >/dev/null; then
  out=$(cd / && systemd-analyze verify --man=no zcp-serve@8080.service zcp-serve@8080.socket 2>&1) ||
    fail "systemd-analyze verify: $out"
  [ -z "$out" ] || fail "systemd-analyze verify: $out"
fi
mkdir -p "$SCRATCH/srv"
head -c 1000003 /dev/urandom >"$SCRATCH/srv/a.bin"
chmod -R a+rX "$SCRATCH"
port=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
: >"$SCRATCH/service.log"
# systemd-socket-activate passes on only the variables named with -E.
systemd-socket-activate -l "127.0.0.1:$port" -E ZCP_ROOT="$SCRATCH/srv" -E ZCP_SERVE_OPTS="--workers 2" \
  sh -c "exec $exec_start" 2>>"$SCRATCH/service.log" &
svc=$!
on_exit "kill -9 $svc"
for _ in $(seq 100); do grep -q "^Listening on" "$SCRATCH/service.log" && break; sleep 0.05; done
curl -sf -m 20 -o "$SCRATCH/got.bin" "http://127.0.0.1:$port/a.bin" || fail "curl via the packaged service: $(cat "$SCRATCH/service.log")"
cmp -s "$SCRATCH/got.bin" "$SCRATCH/srv/a.bin" || fail "bytes differ through the packaged service"
grep -q "serving $SCRATCH/srv at http://127.0.0.1:$port/ .*socket activation" "$SCRATCH/service.log" ||
  fail "service did not say it serves the activated socket: $(cat "$SCRATCH/service.log")"
kill -TERM "$svc"; wait "$svc" || true

# man and completion as a user has them.
MANWIDTH=80 man zcp-get 2>/dev/null | grep -q -- "--continue" || fail "man zcp-get does not render"
man -w zcp-serve | grep -q /usr/share/man/man1/zcp-serve.1.gz || fail "man -w zcp-serve"
if [ -f /usr/share/bash-completion/bash_completion ]; then
  words=$(bash -c 'source /usr/share/bash-completion/bash_completion; source /usr/share/bash-completion/completions/zcp
    COMP_WORDS=(zcp ""); COMP_CWORD=1; COMP_LINE="zcp "; COMP_POINT=4; _zcp; echo "${COMPREPLY[*]}"')
  for w in serve get put bench; do [[ " $words " == *" $w "* ]] || fail "zcp <TAB> lacks $w: $words"; done
  opts=$(bash -c 'source /usr/share/bash-completion/bash_completion; source /usr/share/bash-completion/completions/zcp
    COMP_WORDS=(zcp get --con); COMP_CWORD=2; COMP_LINE="zcp get --con"; COMP_POINT=13; _zcp; echo "${COMPREPLY[*]}"')
  [ "$opts" = "--continue" ] || fail "zcp get --con<TAB> gave '$opts'"
fi

dpkg --purge zcp >"$SCRATCH/purge.log" 2>&1 || fail "dpkg --purge: $(cat "$SCRATCH/purge.log")"
while read -r path; do
  [ -d "$path" ] && continue  # shared directories (/usr/bin) stay
  [ -e "$path" ] && fail "left behind after purge: $path"
done <"$SCRATCH/owned"
[ -e /usr/bin/zcp ] && fail "/usr/bin/zcp left behind"
[ -d /usr/include/zcp ] && fail "/usr/include/zcp left behind"
echo "ok"
