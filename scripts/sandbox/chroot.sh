# Sourced by scripts/sandbox.sh: the Debian chroot that runs a PostgreSQL major the host (Debian 12)
# cannot install, because its suite needs a newer libc. One chroot per suite and package list,
# built once under $CHROOT_CACHE and reused; a build happens in a temporary directory renamed
# into place only when complete, so an interrupted build leaves nothing that looks usable.
#
# Processes enter it through chroot_exec: a private mount namespace (unshare -m) in which /proc,
# /dev/shm and the sandbox's run directory are mounted for that process and its children only.
# Those mounts vanish with the last process, so `down` has nothing to unmount and sandboxes
# sharing one chroot never see each other's mounts.
#
# The host also needs some of the major's binaries (restore --start, drills, tests start a
# restored server on the host): chroot_build writes wrappers under <chroot>/host/... that run the
# chroot's binaries in the host's filesystem: a newer suite's with the chroot's own dynamic loader
# and libraries, an older suite's (bullseye) with the host's loader and libc, which are newer and
# so run them, and the chroot's other libraries.

CHROOT_CACHE="${PGBACKUP_CHROOT_CACHE:-/var/cache/pgbackup/chroots}"
# Bump when the way a chroot is built changes: the hash below then names a new one.
CHROOT_RECIPE=1

# suite_of MAJOR: the Debian suite serving PostgreSQL MAJOR (15 is the host's own).
suite_of() {
  case "$1" in
    13) echo bullseye ;;
    15) echo bookworm ;;
    17) echo trixie ;;
    18) echo forky ;;
    *) return 1 ;;
  esac
}

# older_libc SUITE: whether the suite's glibc is older than the host's (Debian 12's 2.36). Its
# loader then cannot run its binaries on the host (ld.so's --argv0 came with glibc 2.33), and need
# not: the host's loader and libc run binaries built against an older glibc.
older_libc() { [[ "$1" == bullseye ]]; }

# python3-etcd: Patroni's etcd3 support imports it, and apt would pick the consul alternative.
chroot_packages() { echo "postgresql-$1 patroni python3-etcd etcd-server"; }

# The mirror the host's apt uses (deb822 URIs: or one-line `deb URL suite`).
host_mirror() {
  local m
  m="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -m1 '/debian/*$' || true)"
  [[ -n "$m" ]] || m="$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list | awk '{print $2}' | grep -m1 '/debian/*$' || true)"
  echo "${m:-http://deb.debian.org/debian}"
}

# chroot_dir MAJOR: where its chroot lives (whether built or not). The uid/gid of postgres are
# part of the name: files in PGDATA are shared between host and chroot, so they must agree.
chroot_dir() {
  local suite; suite="$(suite_of "$1")"
  local key="$CHROOT_RECIPE $suite $(chroot_packages "$1") $(id -u postgres):$(id -g postgres) $(host_mirror)"
  # Wrappers with the host's loader came later: only those chroots are named anew.
  ! older_libc "$suite" || key+=" host-loader"
  echo "$CHROOT_CACHE/$suite-$(printf '%s' "$key" | sha256sum | cut -c1-12)"
}

# chroot_build MAJOR: builds the chroot unless it exists; prints its directory.
chroot_build() {
  local major="$1" dir suite mirror tmp script start=$SECONDS
  dir="$(chroot_dir "$major")"; suite="$(suite_of "$major")"; mirror="$(host_mirror)"
  [[ -f "$dir/.complete" ]] && { echo "$dir"; return 0; }
  command -v debootstrap >/dev/null || {
    log "installing debootstrap (apt-get)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap >/dev/null
  }
  mkdir -p "$CHROOT_CACHE"; chmod 0755 "$CHROOT_CACHE" "$(dirname "$CHROOT_CACHE")"
  exec 8>"$CHROOT_CACHE/.$suite.lock"
  flock -w 1800 8 || die "could not lock $CHROOT_CACHE/.$suite.lock"
  [[ -f "$dir/.complete" ]] && { exec 8>&-; echo "$dir"; return 0; }
  # Leftovers of interrupted builds: nothing is mounted in them (see chroot_exec), so rm is safe.
  rm -rf "$CHROOT_CACHE/.$suite-"*.building
  tmp="$(mktemp -d "$CHROOT_CACHE/.$suite-XXXXXX.building")"; chmod 0755 "$tmp"
  # Debian 12's debootstrap predates forky: any suite after trixie bootstraps like sid.
  script="/usr/share/debootstrap/scripts/$suite"
  [[ -e "$script" ]] || script=/usr/share/debootstrap/scripts/sid
  log "building the $suite chroot for PostgreSQL $major from $mirror (once; cached in $dir)"
  debootstrap --variant=minbase "$suite" "$tmp" "$mirror" "$script" >"$tmp.log" 2>&1 \
    || { tail -5 "$tmp.log" >&2; die "debootstrap $suite failed (log: $tmp.log)"; }
  # The host's uid/gid for postgres, before any package creates it with others.
  chroot "$tmp" groupadd --system --gid "$(id -g postgres)" postgres
  chroot "$tmp" useradd --system --uid "$(id -u postgres)" --gid postgres --home-dir /var/lib/postgresql --shell /bin/bash postgres
  mkdir -p "$tmp/etc/postgresql-common"
  echo "create_main_cluster = false" >"$tmp/etc/postgresql-common/createcluster.conf"
  printf '#!/bin/sh\nexit 101\n' >"$tmp/usr/sbin/policy-rc.d"; chmod 0755 "$tmp/usr/sbin/policy-rc.d"
  # shellcheck disable=SC2046
  chroot_with_proc "$tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    $(chroot_packages "$major") >>"$tmp.log" 2>&1 \
    || { tail -5 "$tmp.log" >&2; die "installing $(chroot_packages "$major") into the $suite chroot failed (log: $tmp.log)"; }
  chroot "$tmp" apt-get clean
  write_host_wrappers "$tmp" "$dir" "$major"
  date -u +%FT%TZ >"$tmp/.complete"
  mv "$tmp.log" "$tmp/.build.log"
  mv -T "$tmp" "$dir"
  exec 8>&-
  log "built $dir in $((SECONDS - start))s"
  echo "$dir"
}

# chroot_with_proc DIR command...: chroot with /proc mounted in a private mount namespace, so the
# mount vanishes with the command (newer suites' maintainer scripts need /proc).
chroot_with_proc() {
  unshare --mount --propagation private /bin/sh -c 'mount -t proc proc "$1/proc" && exec chroot "$@"' chroot-with-proc "$@"
}

# write_host_wrappers TREE FINAL_DIR MAJOR: <chroot>/host/usr/lib/postgresql/MAJOR/bin/X runs the
# chroot's X on the host.
write_host_wrappers() {
  local tree="$1" final="$2" major="$3" bin f
  bin="$tree/host/usr/lib/postgresql/$major/bin"
  mkdir -p "$bin"
  if older_libc "$(suite_of "$major")"; then
    write_host_loader_wrappers "$tree" "$final" "$major" "$bin"
    return
  fi
  # The chroot's loader runs each binary under the wrapper's name (--argv0). The layout mirrors the
  # real one and share/ and lib/ are symlinks, so PostgreSQL's paths computed from its own location
  # (share, pkglib, and pg_ctl finding postgres) land on the wrappers and the chroot's files.
  mkdir -p "$tree/host/usr/share/postgresql"
  ln -s "$final/usr/lib/postgresql/$major/lib" "$tree/host/usr/lib/postgresql/$major/lib"
  ln -s "$final/usr/share/postgresql/$major" "$tree/host/usr/share/postgresql/$major"
  for f in "$tree/usr/lib/postgresql/$major/bin/"*; do
    cat >"$bin/${f##*/}" <<EOF
#!/bin/sh
# Runs the $(basename "$final") chroot's ${f##*/} on the host with that chroot's loader and libraries.
exec $final/lib64/ld-linux-x86-64.so.2 --library-path $final/usr/lib/x86_64-linux-gnu:$final/lib/x86_64-linux-gnu --argv0 "\$0" $final/usr/lib/postgresql/$major/bin/${f##*/} "\$@"
EOF
    chmod 0755 "$bin/${f##*/}"
  done
}

# write_host_loader_wrappers TREE FINAL_DIR MAJOR BIN: wrappers that exec the chroot's real binaries
# with the host's loader, LD_LIBRARY_PATH naming <chroot>/host/lib: links to every library of the
# chroot but glibc's own (libc6's files), which the host's newer ones replace. The binaries keep their
# real location, so PostgreSQL finds its share/ and lib/, and pg_ctl its postgres, in the chroot;
# children (pg_ctl's postgres) inherit LD_LIBRARY_PATH.
write_host_loader_wrappers() {
  local tree="$1" final="$2" major="$3" bin="$4" libs="$1/host/lib" glibc f
  mkdir -p "$libs"
  glibc="$(chroot "$tree" dpkg-query -L libc6 | grep -E '/lib[^/]*\.so' | xargs -n1 basename | sort -u)"
  for f in "$tree"/usr/lib/x86_64-linux-gnu/*.so* "$tree"/lib/x86_64-linux-gnu/*.so*; do
    [[ -e "$f" ]] || continue
    grep -qxF "${f##*/}" <<<"$glibc" && continue
    ln -sfn "$final/${f#"$tree"/}" "$libs/${f##*/}"
  done
  for f in "$tree/usr/lib/postgresql/$major/bin/"*; do
    cat >"$bin/${f##*/}" <<EOF
#!/bin/sh
# Runs the $(basename "$final") chroot's ${f##*/} on the host with the host's loader and libc and that chroot's other libraries.
LD_LIBRARY_PATH=$final/host/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH} exec $final/usr/lib/postgresql/$major/bin/${f##*/} "\$@"
EOF
    chmod 0755 "$bin/${f##*/}"
  done
}

# Processes enter a chroot through scripts/sandbox/in-chroot (an executable, so setsid can start it).
