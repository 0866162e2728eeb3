#!/usr/bin/env bash
# zcp get -r from a server whose archive holds 04755, 02755, 01777, 06777,
# 0777 and 0666 files and directories: the modes must be GNU tar's, run by
# the same user with the same umask and flag on the same bytes (an ordinary
# user: the umask applies and setuid/setgid/sticky go; -p keeps them; root
# keeps them unless --no-preserve-permissions). docs/DESIGN.md has the table.
source "$(dirname "$0")/../support/hostile_client.sh"
command -v tar >/dev/null || skip "no tar"
for _ in $(seq 100); do [ -s "$SCRATCH/fake/modes.tar" ] && break; sleep 0.05; done
chmod 0755 "$SCRATCH" "$SCRATCH/fake"
mkdir -p -m 0777 "$SCRATCH/c"
chmod 0777 "$SCRATCH/c"

# An ordinary user: nobody when we are root, else ourselves.
if [ "$(id -u)" -eq 0 ]; then
  command -v setpriv >/dev/null || skip "no setpriv to run as nobody"
  ORDINARY=(setpriv --reuid=65534 --regid=65534 --clear-groups)
else
  ORDINARY=()
fi

modes_of() { (cd "$1" && find . -mindepth 1 -printf '%P %m %y\n' | LC_ALL=C sort); }

# case_modes NAME UMASK WHO ZCP_FLAGS TAR_FLAGS: zcp get -r and tar -x, as WHO
# (ordinary or root) with UMASK, must give the same modes; MODES holds zcp's.
case_modes() {
  local name=$1 mask=$2 who=$3 zflags=$4 tflags=$5
  if [ "$who" = ordinary ]; then AS_USER=("${ORDINARY[@]}"); else AS_USER=(); fi
  local old
  old=$(umask)
  umask "$mask"
  # shellcheck disable=SC2086
  run_zcp "$name" 20 get -q $zflags -r "$BASE/modes/" dest
  local t=$SCRATCH/c/$name.tar
  mkdir -p -m 0777 "$t"
  # shellcheck disable=SC2086
  (cd "$t" && "${AS_USER[@]}" tar -x $tflags -f "$SCRATCH/fake/modes.tar") 2>"$t.err" ||
    bad "tar -x $tflags failed: $(cat "$t.err")"
  umask "$old"
  AS_USER=()
  MODES=""
  want_rc 0
  [ -d "$DIR/dest" ] || { bad "no dest"; return 0; }
  MODES=$(modes_of "$DIR/dest")
  local tar_modes
  tar_modes=$(modes_of "$t")
  [ "$MODES" = "$tar_modes" ] ||
    bad "modes differ from GNU tar's (tar $tflags, umask $mask):"$'\n'"$(diff <(echo "$tar_modes") <(echo "$MODES"))"
}
# mode_is PATH WANT: one entry's mode in MODES.
mode_is() {
  local got
  got=$(awk -v p="$1" '$1 == p {print $2}' <<<"$MODES")
  [ "$got" = "$2" ] || bad "$1 is $got, want $2"
}

# An ordinary user, default: umask applies, special bits dropped.
case_modes ordinary-umask-022 022 ordinary "" ""
mode_is f4755 755; mode_is f2755 755; mode_is f1777 755; mode_is f6777 755
mode_is f0777 755; mode_is f0666 644; mode_is f0400 400
mode_is d4755 755; mode_is d2755 755; mode_is d1777 755; mode_is d0777 755; mode_is d1777/inner 755
case_modes ordinary-umask-077 077 ordinary "" ""
mode_is f0666 600; mode_is f4755 700; mode_is d1777 700; mode_is d0777 700
case_modes ordinary-umask-027 027 ordinary "" ""
mode_is f0777 750; mode_is d2755 750
# -p / --preserve-permissions: as archived, umask ignored (tar -p keeps
# setuid and setgid too: the files belong to the user who extracts).
case_modes ordinary-p 077 ordinary "-p" "-p"
mode_is f6777 6777; mode_is d1777 1777; mode_is f0666 666
case_modes ordinary-preserve-long 022 ordinary "--preserve-permissions" "--preserve-permissions"
mode_is f4755 4755; mode_is d0777 777
# --no-preserve-permissions: the ordinary user's default, said out loud.
case_modes ordinary-no-preserve 022 ordinary "--no-preserve-permissions" "--no-same-permissions"
mode_is f4755 755

if [ "$(id -u)" -eq 0 ]; then
  # Root, default: tar's superuser default keeps every permission bit
  # (ownership is not restored by zcp, so tar runs with --no-same-owner).
  case_modes root-default 077 root "" "--no-same-owner"
  mode_is f4755 4755; mode_is d1777 1777; mode_is f0666 666
  case_modes root-no-preserve 022 root "--no-preserve-permissions" "--no-same-owner --no-same-permissions"
  mode_is f4755 755; mode_is f6777 755; mode_is d1777 755; mode_is f0666 644
  case_modes root-no-preserve-077 077 root "--no-preserve-permissions" "--no-same-owner --no-same-permissions"
  mode_is f0777 700; mode_is d0700 700
fi
finish
