# Sourced by main.sh and test.sh: installs what ws2uring needs on Debian
# bookworm when it is missing, and configures build folders.

# Debian packages the build, the tests and the benchmarks need.
# netbase: /etc/services and /etc/protocols for getservbyname & co.
# dpkg-dev: dpkg-source, to unpack Wine's source package for its
# conformance tests (tests/conformance).
# golang-go: Go programs for Windows, run under Wine (tests/go).
# cmake: builds libuv's own tests for Windows from its source package (tests/libuv).
WS2URING_PACKAGES="gcc meson ninja-build pkg-config liburing-dev check libwine-dev netbase wine wine64 wine64-tools gcc-mingw-w64-x86-64-posix dpkg-dev golang-go cmake"

ws2u_ensure_packages() {
    local missing=() p
    for p in $WS2URING_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "ws2uring: installing ${missing[*]}"
    local sudo
    sudo=$(ws2u_root "install ${missing[*]}") || return 1
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# Prints "sudo" or nothing (root); fails, saying why, without either.
ws2u_root() {
    [ "$(id -u)" -eq 0 ] && return 0
    command -v sudo >/dev/null && { echo sudo; return 0; }
    echo "ws2uring: need root or sudo to $1" >&2
    return 1
}

# The Wine conformance suite is built from Debian's wine source package
# (apt-get source): when apt knows no deb-src entry for it, add one for the
# archive the installed wine64 comes from (as `apt-cache policy` names it).
ws2u_ensure_deb_src() {
    apt-get source --print-uris -qq wine >/dev/null 2>&1 && return 0
    local line uri suite comp sudo
    line=$(apt-cache policy wine64 | awk '$1 ~ /^[0-9]+$/ && $2 ~ /^(https?|file):/ && $NF == "Packages" { print $2, $3; exit }')
    [ -n "$line" ] || { echo "ws2uring: cannot tell which archive wine64 comes from (apt-cache policy wine64)" >&2; return 1; }
    uri=${line%% *}
    suite=${line#* }
    comp=${suite#*/}
    suite=${suite%%/*}
    [ "$comp" != "$suite" ] || comp=main
    # The entry must name the key the archive's deb entry names (apt refuses
    # two Signed-By values for one source).
    local key
    key=$(python3 - "$uri" <<'PY'
import glob, re, sys
uri = sys.argv[1].rstrip("/")
for path in ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*")):
    try:
        text = open(path).read()
    except OSError:
        continue
    if path.endswith(".sources"):
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"^([\w-]+):\s*(.*)$", stanza, re.M))
            if uri in [u.rstrip("/") for u in fields.get("URIs", "").split()] and "Signed-By" in fields:
                print(fields["Signed-By"]); sys.exit()
    else:
        for line in text.splitlines():
            m = re.match(r"deb\s+\[([^]]*)\]\s+(\S+)", line)
            if m and m.group(2).rstrip("/") == uri:
                k = re.search(r"signed-by=(\S+)", m.group(1))
                if k:
                    print(k.group(1)); sys.exit()
PY
)
    echo "ws2uring: adding 'deb-src $uri $suite $comp' (Wine's source package, for its conformance tests)"
    sudo=$(ws2u_root "add a deb-src entry") || return 1
    echo "deb-src ${key:+[signed-by=$key] }$uri $suite $comp" |
        $sudo tee /etc/apt/sources.list.d/ws2uring-deb-src.list >/dev/null
    if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq; then
        $sudo rm -f /etc/apt/sources.list.d/ws2uring-deb-src.list
        echo "ws2uring: apt-get update failed with the deb-src entry; removed it" >&2
        return 1
    fi
}

# ws2u_configure DIR [meson options...]: set up once, reconfigure after.
ws2u_configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@" >/dev/null
    fi
}
