# Sourced by main.sh and test.sh: installs what ws2uring needs on Debian
# bookworm when it is missing, and configures build folders.

# Debian packages the build, the tests and the benchmarks need.
# netbase: /etc/services and /etc/protocols for getservbyname & co.
WS2URING_PACKAGES="gcc meson ninja-build pkg-config liburing-dev check libwine-dev netbase wine wine64 wine64-tools gcc-mingw-w64-x86-64-posix"

ws2u_ensure_packages() {
    local missing=() p
    for p in $WS2URING_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "ws2uring: installing ${missing[*]}"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || { echo "ws2uring: need root or sudo to install ${missing[*]}" >&2; return 1; }
        sudo=sudo
    fi
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
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
