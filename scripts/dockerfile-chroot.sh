#!/usr/bin/env bash
# Builds signet's Dockerfile without a container engine, in chroots: an
# APPROXIMATION of `docker build` for this project's Dockerfile only. Each
# stage is a copy of BASE, a Debian 12 root made by
#   debootstrap --variant=minbase bookworm BASE http://deb.debian.org/debian
# standing in for debian:12-slim (this script adds the slim image's dpkg
# path excludes and policy-rc.d). It interprets FROM, ARG, ENV, LABEL,
# WORKDIR, COPY (from the context or --from a stage), RUN (shell form, run
# by chroot as the current USER), USER and CMD; anything else stops it.
# Unlike an engine: no layers or cache, no isolation (RUN steps share the
# host's network, kernel and /proc), no .dockerignore (pass a clean context,
# for example `git ls-files` copied out), labels and CMD only recorded.
# Needs root.
#   dockerfile-chroot.sh build BASE CONTEXT WORK   builds the stages under WORK
#   dockerfile-chroot.sh run WORK COMMAND...       runs COMMAND in the last
#       stage as `docker run` would: its USER, WORKDIR, ENV and HOME
# Exit: 0 built/ran (run: COMMAND's status), 2 usage or an unknown
# instruction, 3 a step failed.
set -euo pipefail
die() { echo "dockerfile-chroot: $2" >&2; exit "$1"; }
[ "$(id -u)" = 0 ] || die 3 "needs root (chroot)"

# user_ids ROOT USER: "UID:GID HOME" of USER (a name or number) in ROOT's passwd.
user_ids() {
  awk -F: -v u="$2" '$1 == u || $3 == u { print $3 ":" $4 " " $6; found = 1; exit }
    END { if (!found) exit 1 }' "$1/etc/passwd" || die 3 "no user $2 in $1/etc/passwd"
}

# in_root ROOT USER DIR ENVFILE COMMAND...: COMMAND in ROOT as USER in DIR,
# with the environment in ENVFILE (NAME=VALUE lines) and the user's HOME.
in_root() {
  local root=$1 user=$2 dir=$3 envfile=$4 ids home
  shift 4
  read -r ids home < <(user_ids "$root" "$user")
  local -a envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "HOME=$home")
  local kv
  while IFS= read -r kv; do [ -n "$kv" ] && envs+=("$kv"); done <"$envfile"
  chroot --userspec="$ids" --groups="${ids#*:}" "$root" \
    /usr/bin/env -i "${envs[@]}" /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$dir" "$@"
}

if [ "${1:-}" = run ]; then
  [ $# -ge 3 ] || die 2 "usage: dockerfile-chroot.sh run WORK COMMAND..."
  work=$2
  shift 2
  [ -f "$work/image" ] || die 2 "$work: no image built there"
  root=$(cat "$work/image")
  in_root "$root" "$(cat "$root.user")" "$(cat "$root.workdir")" "$root.env" "$@"
  exit
fi
[ "${1:-}" = build ] && [ $# = 4 ] || die 2 "usage: dockerfile-chroot.sh build BASE CONTEXT WORK"
base=$(cd "$2" && pwd)
context=$(cd "$3" && pwd)
mkdir -p "$4"
work=$(cd "$4" && pwd)
[ -x "$base/bin/sh" ] || die 2 "$base: not a root file system"
[ -f "$context/Dockerfile" ] || die 2 "$context: no Dockerfile"

mounted=()
cleanup() { local m; for m in "${mounted[@]}"; do umount "$m" 2>/dev/null || true; done; }
trap cleanup EXIT

# new_stage N: ROOT for stage N, a copy of base made slim-like.
new_stage() {
  root="$work/stage-$1"
  rm -rf "$root"
  cp -a "$base" "$root"
  cp -L /etc/resolv.conf "$root/etc/resolv.conf"
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  printf '%s\n' 'path-exclude /usr/share/doc/*' 'path-include /usr/share/doc/*/copyright' \
    'path-exclude /usr/share/man/*' 'path-exclude /usr/share/info/*' 'path-exclude /usr/share/locale/*' \
    >"$root/etc/dpkg/dpkg.cfg.d/docker"
  if mount -t proc proc "$root/proc" 2>/dev/null; then mounted+=("$root/proc"); fi
  : >"$root.env"
  echo root >"$root.user"
  echo / >"$root.workdir"
  : >"$root.labels"
}

# expand TEXT: $NAME and ${NAME} from the stage's ARGs and ENVs.
expand() {
  local text=$1 kv
  while IFS= read -r kv; do
    [ -n "$kv" ] || continue
    text=${text//"\${${kv%%=*}}"/${kv#*=}}
    text=${text//"\$${kv%%=*}"/${kv#*=}}
  done < <(cat "$root.env" "$root.args" 2>/dev/null)
  printf '%s' "$text"
}

# The Dockerfile's instructions, one per line: continuations joined,
# comments and blank lines dropped.
instructions=$(sed -e '/^[[:space:]]*#/d' "$context/Dockerfile" | sed -e ':a' -e '/\\$/{N;s/\\\n//;ba' -e '}' |
  grep -v '^[[:space:]]*$')
stage=-1
declare -A stage_of=()
start=$SECONDS
while IFS= read -r line; do
  read -r op rest <<<"$line"
  op=${op^^}
  echo "dockerfile-chroot: [$((SECONDS - start)) s] $op ${rest:0:100}" >&2
  case $op in
    FROM)
      stage=$((stage + 1))
      new_stage "$stage"
      : >"$root.args"
      [[ "$rest" =~ [[:space:]][Aa][Ss][[:space:]]+([A-Za-z0-9_.-]+) ]] && stage_of[${BASH_REMATCH[1]}]=$root
      stage_of[$stage]=$root
      ;;
    ARG) [[ "$rest" == *=* ]] && echo "$rest" >>"$root.args" || echo "$rest=" >>"$root.args" ;;
    ENV) for kv in $rest; do expand "$kv" >>"$root.env"; echo >>"$root.env"; done ;;
    LABEL | CMD | ENTRYPOINT) printf '%s %s\n' "$op" "$(expand "$rest")" >>"$root.labels" ;;
    USER) expand "$rest" >"$root.user" ;;
    WORKDIR)
      dir=$(expand "$rest")
      [[ "$dir" == /* ]] || dir="$(cat "$root.workdir")/$dir"
      mkdir -p "$root$dir"
      echo "$dir" >"$root.workdir"
      ;;
    COPY)
      read -r -a words <<<"$rest"
      from=$context
      if [[ "${words[0]}" == --from=* ]]; then
        from=${stage_of[${words[0]#--from=}]:-} || true
        [ -n "$from" ] || die 2 "COPY ${words[0]}: no such stage"
        words=("${words[@]:1}")
      fi
      [ ${#words[@]} = 2 ] || die 2 "COPY $rest: one source and one destination only"
      src=${words[0]} dst=${words[1]}
      [[ "$dst" == /* ]] || dst="$(cat "$root.workdir")/$dst"
      mkdir -p "$root$dst"
      # A directory's contents are copied, as docker does.
      cp -a "$from/${src#/}/." "$root$dst/" 2>/dev/null || cp -a "$from/${src#/}" "$root$dst/"
      ;;
    RUN)
      [[ "$rest" != \[* ]] || die 2 "RUN $rest: only the shell form is interpreted"
      cat "$root.args" >"$root.runenv"
      cat "$root.env" >>"$root.runenv"
      in_root "$root" "$(cat "$root.user")" "$(cat "$root.workdir")" "$root.runenv" /bin/sh -c "$rest" </dev/null ||
        die 3 "RUN failed (stage $stage): ${rest:0:200}"
      ;;
    *) die 2 "$op: not interpreted by this script (it knows this project's Dockerfile only)" ;;
  esac
done <<<"$instructions"
[ "$stage" -ge 0 ] || die 2 "$context/Dockerfile: no FROM"
echo "$root" >"$work/image"
echo "dockerfile-chroot: built in $((SECONDS - start)) s: the image's root is $root" >&2
