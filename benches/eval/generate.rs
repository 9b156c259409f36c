//! Generates a layer of realistic recipes for the evaluation benchmark.
//!
//! The layer is modelled on an OpenEmbedded layer: `classes/` (a distro
//! configuration class that inherits grove's `base`, build-system classes
//! using `EXPORT_FUNCTIONS`, feature classes such as `systemd` or `ptest`),
//! shared `.inc` files (per recipe family beside the recipes, and layer-wide
//! ones under `conf/include/`), and `recipes/<group>/<name>_<version>.gr`
//! files of 20–60 lines each. Everything is derived from one seed with a
//! small xorshift generator, so a given `(count, seed)` always produces the
//! same bytes.
//!
//! The content only uses what grove evaluates (no inline or anonymous
//! python), and nothing in it fails to evaluate or expand: the benchmark
//! treats any error as a broken generator.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// What was written.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Every recipe, sorted.
    pub recipes: Vec<PathBuf>,
    pub classes: usize,
    pub includes: usize,
    /// All files written (recipes, classes, includes).
    pub files: usize,
    /// Lines of all files written.
    pub lines: usize,
    /// Lines of the recipe files alone.
    pub recipe_lines: usize,
    pub bytes: usize,
}

// ---------------------------------------------------------------------------
// Randomness

/// xorshift64*: tiny, deterministic, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng((seed ^ 0x9E37_79B9_7F4A_7C15) | 1);
        for _ in 0..8 {
            r.next();
        }
        r
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// `0..n`.
    pub fn below(&mut self, n: usize) -> usize {
        ((self.next() >> 11) % n as u64) as usize
    }

    /// `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `pct` percent.
    pub fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }

    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }

    pub fn hex(&mut self, len: usize) -> String {
        const DIGITS: &[u8] = b"0123456789abcdef";
        (0..len).map(|_| DIGITS[self.below(16)] as char).collect()
    }

    /// Between `lo` and `hi` distinct items of `items`, in their order.
    pub fn some<T: Copy>(&mut self, items: &[T], lo: usize, hi: usize) -> Vec<T> {
        let k = self.range(lo, hi);
        self.subset(items, k)
    }

    /// `k` distinct items of `items`, in the order they appear there.
    pub fn subset<T: Copy>(&mut self, items: &[T], k: usize) -> Vec<T> {
        let mut chosen: Vec<usize> = Vec::new();
        while chosen.len() < k.min(items.len()) {
            let i = self.below(items.len());
            if !chosen.contains(&i) {
                chosen.push(i);
            }
        }
        chosen.sort_unstable();
        chosen.into_iter().map(|i| items[i]).collect()
    }
}

// ---------------------------------------------------------------------------
// Word lists

#[rustfmt::skip]
const STEMS: &[&str] = &[
    "xml", "yaml", "json", "png", "jpeg", "tiff", "webp", "ssh", "curl", "archive", "lzma", "zstd", "bz", "ffi",
    "usb", "pci", "udev", "input", "evdev", "drm", "inotify", "cap", "seccomp", "selinux", "audit", "pam", "nl",
    "mnl", "nftnl", "pcap", "net", "dbus", "glib", "gobject", "soup", "proxy", "notify", "secret", "gcrypt", "gpg",
    "assuan", "ksba", "tasn", "idn", "unistring", "iconv", "intl", "readline", "ncurses", "edit", "event", "uv", "ev",
    "uring", "aio", "numa", "hwloc", "sensors", "gpiod", "i2c", "spi", "serial", "modbus", "can", "bluetooth", "wifi",
    "nm", "mbim", "qmi", "ppp", "vpn", "wireguard", "ipsec", "dns", "dhcp", "ntp", "chrony", "syslog", "journal",
    "log", "trace", "perf", "bpf", "elf", "dwarf", "unwind", "backtrace", "sqlite", "lmdb", "db", "redis", "mqtt",
    "coap", "amqp", "zmq", "grpc", "protobuf", "capnp", "msgpack", "cbor", "toml", "ini", "config", "opt", "arg",
    "term", "tty", "pty", "vte", "font", "freetype", "harfbuzz", "cairo", "pango", "pixman", "epoxy", "egl", "gles",
    "vulkan", "wayland", "xkb", "xcb", "x11", "xext", "xrandr", "xinerama", "alsa", "pulse", "pipewire", "opus",
    "vorbis", "ogg", "flac", "mp3", "aac", "vpx", "dav1d", "x264", "theora", "speex", "sndfile", "samplerate", "sox",
    "v4l", "camera", "gphoto", "exif", "raw", "lcms", "color", "icu", "boost", "fmt", "spdlog", "gtest", "catch",
    "check", "cmocka", "unity", "yajl", "jansson", "cjson", "expat", "mxml", "tinyxml", "pugixml", "rapidjson",
    "nettle", "gmp", "mpfr", "mpc", "isl", "tls", "ssl", "crypto", "sodium", "argon", "scrypt", "keyutils", "tpm",
    "fido", "smartcard", "nfc", "rfid", "gps", "geo", "proj", "shape", "mesh", "tiles", "map", "route", "svg", "pdf",
    "ps", "djvu", "epub", "mobi", "zip", "tar", "cpio", "squash", "erofs", "ext", "xfs", "btrfs", "fuse", "nfs",
    "smb", "iscsi", "nvme", "lvm", "dm", "crypt", "part", "blk", "mount", "fstab", "init", "rc", "service",
    "watchdog", "reboot", "power", "acpi", "thermal", "battery", "led", "backlight", "touch", "gesture", "haptic",
    "sound", "mixer", "tone", "beep", "clock",
];

#[rustfmt::skip]
const PREFIXES: &[&str] = &[
    "", "", "", "", "lib", "lib", "lib", "lib", "lib", "python3-", "python3-", "perl-", "go-", "rust-", "gst-plugin-",
    "xf86-input-", "font-", "kernel-module-", "node-",
];

const SUFFIXES: &[&str] = &[
    "", "", "", "", "", "", "", "", "-utils", "-tools", "d", "-daemon", "-glib", "-qt", "-bin", "-dev", "-extra",
    "-compat", "-helper", "mm", "-cli", "-server", "-client", "-ng", "2", "3",
];

#[rustfmt::skip]
const GROUPS: &[&str] = &[
    "recipes-core", "recipes-support", "recipes-devtools", "recipes-connectivity", "recipes-extended",
    "recipes-graphics", "recipes-multimedia", "recipes-kernel", "recipes-bsp", "recipes-sato",
];

/// Per-family includes: `(group, name)`, placed beside the group's recipes.
const FAMILY_INCS: &[(&str, &str)] = &[
    ("recipes-graphics", "xorg-lib-common"),
    ("recipes-graphics", "xorg-app-common"),
    ("recipes-graphics", "xorg-font-common"),
    ("recipes-graphics", "wayland-common"),
    ("recipes-graphics", "mesa-common"),
    ("recipes-multimedia", "gstreamer-plugins-common"),
    ("recipes-multimedia", "alsa-common"),
    ("recipes-multimedia", "ffmpeg-common"),
    ("recipes-devtools", "gcc-common"),
    ("recipes-devtools", "binutils-common"),
    ("recipes-devtools", "python3-common"),
    ("recipes-devtools", "perl-common"),
    ("recipes-devtools", "rust-common"),
    ("recipes-devtools", "go-common"),
    ("recipes-devtools", "llvm-common"),
    ("recipes-core", "glibc-common"),
    ("recipes-core", "busybox-common"),
    ("recipes-core", "systemd-units-common"),
    ("recipes-core", "util-linux-common"),
    ("recipes-support", "gnupg-common"),
    ("recipes-support", "boost-common"),
    ("recipes-support", "icu-common"),
    ("recipes-support", "curl-common"),
    ("recipes-connectivity", "openssl-common"),
    ("recipes-connectivity", "bluez-common"),
    ("recipes-connectivity", "networkmanager-common"),
    ("recipes-connectivity", "openssh-common"),
    ("recipes-extended", "shadow-common"),
    ("recipes-extended", "sudo-common"),
    ("recipes-extended", "cups-common"),
    ("recipes-kernel", "kernel-module-common"),
    ("recipes-kernel", "linux-firmware-common"),
    ("recipes-bsp", "u-boot-common"),
    ("recipes-sato", "gtk-apps-common"),
];

/// Layer-wide includes, under `conf/include/`.
#[rustfmt::skip]
const LAYER_INCS: &[&str] = &[
    "security-flags", "no-static-libs", "lto", "hardening", "ptest-packagelists", "cve-status-common",
    "license-exceptions", "mirrors", "upstream-check", "reproducible-build", "multilib-config", "toolchain-clang",
    "tune-x86-64", "tune-aarch64", "debug-tweaks", "packageconfig-defaults",
];

#[rustfmt::skip]
const LICENSES: &[&str] = &[
    "MIT", "MIT", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-2.0-or-later", "LGPL-2.1-or-later", "LGPL-2.1-only",
    "Apache-2.0", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause", "ISC", "Zlib", "MPL-2.0", "GPL-3.0-or-later",
    "LGPL-3.0-only",
];

const LICENSE_FILES: &[&str] = &["COPYING", "LICENSE", "LICENSE.txt", "COPYING.LIB", "LICENSE-MIT", "LICENCE"];

#[rustfmt::skip]
const SUMMARY_TEMPLATES: &[&str] = &[
    "Library for {} handling", "{} command line utilities", "Lightweight {} implementation",
    "C library providing {} support", "Daemon that manages {} devices", "Python bindings for {}",
    "Tools to inspect and convert {} data", "Portable {} abstraction layer", "Fast {} parser and serializer",
    "Userspace helpers for {}",
];

const DESCRIPTIONS: &[&str] = &[
    "It is designed to be small, portable and easy to embed in other programs.",
    "The package provides a shared library, development headers and a small set of tools.",
    "This is the reference implementation maintained by the upstream project.",
    "It supports both synchronous and asynchronous operation and is thread safe.",
    "The daemon is configured through a file in the system configuration directory.",
    "It has no dependencies beyond the C library and is suitable for constrained systems.",
];

#[rustfmt::skip]
const CONF_OPTS: &[&str] = &[
    "--disable-static", "--enable-shared", "--disable-gtk-doc", "--without-python", "--with-pic", "--disable-werror",
    "--enable-largefile", "--disable-rpath", "--with-zlib", "--without-selinux", "--disable-introspection",
    "--enable-ipv6", "--disable-examples", "--with-systemdsystemunitdir=${systemd_system_unitdir}",
];

const CMAKE_OPTS: &[&str] = &[
    "-DBUILD_SHARED_LIBS=ON",
    "-DBUILD_TESTING=OFF",
    "-DENABLE_DOCS=OFF",
    "-DCMAKE_SKIP_RPATH=ON",
    "-DWITH_EXAMPLES=OFF",
    "-DUSE_SYSTEM_ZLIB=ON",
    "-DENABLE_LTO=OFF",
    "-DINSTALL_PKGCONFIG_DIR=${libdir}/pkgconfig",
];

const MESON_OPTS: &[&str] = &[
    "-Ddocs=disabled",
    "-Dtests=false",
    "-Dintrospection=disabled",
    "-Dexamples=false",
    "-Dman=false",
    "-Dvapi=false",
    "-Ddefault_library=shared",
    "-Dsystemdsystemunitdir=${systemd_system_unitdir}",
];

#[rustfmt::skip]
const FEATURES: &[&str] = &[
    "ssl", "zlib", "lzma", "zstd", "systemd", "x11", "wayland", "opengl", "pam", "ipv6", "nls", "bluetooth", "gnutls",
    "readline", "libxml2", "curl", "sqlite", "dbus", "udev", "acl", "xattr", "selinux", "pulseaudio", "alsa", "gtk",
    "qt", "python", "lua", "doc", "tests",
];

#[rustfmt::skip]
const PATCH_TOPICS: &[&str] = &[
    "fix-cross-compilation", "do-not-use-host-paths", "add-musl-support", "fix-build-with-gcc-14",
    "configure-allow-overriding-pkg-config", "makefile-respect-ldflags", "disable-tests-requiring-network",
    "use-pkg-config-for-ssl", "fix-reproducibility", "remove-hardcoded-usr-include",
];

const OVERRIDES: &[&str] = &["debug", "class-target", "class-native", "aarch64", "x86-64", "libc-musl", "qemuall"];

// ---------------------------------------------------------------------------
// Classes

/// The layer's classes: `(name, text)`. `core` is the distro configuration
/// (what `bitbake.conf` provides in OpenEmbedded); every other class of
/// this layer inherits it. Build systems also come from grove's standard
/// library (`autotools`, `cmake`, `meson`, `make`).
const CLASSES: &[(&str, &str)] = &[
    (
        "core",
        r#"# core: the distribution's configuration, shared by every class of this
# layer (what bitbake.conf and the distro configuration provide in
# OpenEmbedded). It inherits grove's base class for the standard tasks.

inherit base

DISTRO ??= "grovix"
DISTRO_NAME ??= "Grovix Reference Distribution"
DISTRO_VERSION ??= "4.2"
MACHINE ??= "qemux86-64"
TARGET_ARCH ??= "x86_64"
TRANSLATED_TARGET_ARCH ??= "x86-64"
TARGET_OS ??= "linux"
TARGET_VENDOR ??= "-grovix"
TARGET_SYS ??= "${TARGET_ARCH}${TARGET_VENDOR}-${TARGET_OS}"
TCLIBC ??= "glibc"
BUILD_MODE ??= "release"
MACHINEOVERRIDES ??= "qemuall:${MACHINE}"
DISTROOVERRIDES ??= "${DISTRO}"
CLASSOVERRIDE ??= "class-target"
OVERRIDES = "${TARGET_OS}:${TRANSLATED_TARGET_ARCH}:pn-${PN}:libc-${TCLIBC}:${MACHINEOVERRIDES}:${DISTROOVERRIDES}:${CLASSOVERRIDE}:${BUILD_MODE}:forcevariable"
OVERRIDES[vardepsexclude] = "MACHINEOVERRIDES"

PE ??= ""
PR ??= "r0"
EXTENDPE ??= ""
PKGV ??= "${PV}"
PKGR ??= "${PR}"
EXTENDPKGV ??= "${EXTENDPE}${PKGV}-${PKGR}"
P = "${PN}-${PV}"
PF = "${PN}-${EXTENDPE}${PV}-${PR}"
SUMMARY ??= "${PN} version ${PV}-${PR}"
DESCRIPTION ??= "${SUMMARY}."
HOMEPAGE ??= ""
BUGTRACKER ??= ""
SECTION ??= "base"
LICENSE ??= "CLOSED"
SUMMARY[doc] = "A one-line description of the package."
LICENSE[doc] = "The SPDX license expression of the source."

TMPDIR ??= "/build/tmp"
DL_DIR ??= "/build/downloads"
STAGING_DIR_TARGET ??= "${WORKDIR}/recipe-sysroot"
STAGING_DIR_NATIVE ??= "${WORKDIR}/recipe-sysroot-native"
STAGING_BINDIR_NATIVE ??= "${STAGING_DIR_NATIVE}/usr/bin"
STAGING_INCDIR ??= "${STAGING_DIR_TARGET}/usr/include"
STAGING_LIBDIR ??= "${STAGING_DIR_TARGET}/usr/lib"
base_prefix ??= ""
base_bindir ??= "${base_prefix}/bin"
base_sbindir ??= "${base_prefix}/sbin"
base_libdir ??= "${base_prefix}/lib"
nonarch_base_libdir ??= "${base_prefix}/lib"
systemd_unitdir ??= "${nonarch_base_libdir}/systemd"
systemd_system_unitdir ??= "${systemd_unitdir}/system"
NPROC ??= "8"

GNU_MIRROR ??= "https://ftp.gnu.org/gnu"
SOURCEFORGE_MIRROR ??= "https://downloads.sourceforge.net"
KERNELORG_MIRROR ??= "https://cdn.kernel.org/pub"
XORG_MIRROR ??= "https://www.x.org/releases"
GITHUB_ORG ??= "${BPN}"

TARGET_CFLAGS ??= "-O2 -pipe -g -feliminate-unused-debug-types"
TARGET_CFLAGS:debug = "-Og -g3 -pipe"
TARGET_LDFLAGS ??= "-Wl,-O1 -Wl,--hash-style=gnu -Wl,--as-needed"
CFLAGS ??= "${TARGET_CFLAGS}"
CXXFLAGS ??= "${CFLAGS}"
LDFLAGS ??= "${TARGET_LDFLAGS}"
CFLAGS[doc] = "Flags passed to the C compiler for the target."
export CFLAGS
export CXXFLAGS
export LDFLAGS

PACKAGES = "${PN}-src ${PN}-dbg ${PN}-staticdev ${PN}-dev ${PN}-doc ${PN}-locale ${PN}"
FILES:${PN} = "${bindir}/* ${sbindir}/* ${libexecdir}/* ${libdir}/lib*.so.* ${sysconfdir} ${datadir}/${BPN}"
FILES:${PN}-dev = "${includedir} ${libdir}/lib*.so ${libdir}/pkgconfig ${datadir}/aclocal"
FILES:${PN}-staticdev = "${libdir}/*.a"
FILES:${PN}-doc = "${docdir} ${mandir} ${datadir}/info ${datadir}/gtk-doc"
FILES:${PN}-dbg = "/usr/lib/debug /usr/src/debug"
FILES:${PN}-locale = "${datadir}/locale"
RDEPENDS:${PN}-dev ??= "${PN} (= ${EXTENDPKGV})"

do_fetch() {
    grove-fetch --dest ${DL_DIR} ${SRC_URI}
}
do_fetch[dirs] = "${DL_DIR}"
do_fetch[network] = "1"

do_unpack() {
    grove-unpack --dest ${WORKDIR} ${SRC_URI}
}
do_unpack[dirs] = "${WORKDIR}"

do_patch() {
    for p in ${WORKDIR}/*.patch; do
        [ -e "$p" ] || continue
        patch -p1 -d ${S} < "$p"
    done
}
do_patch[dirs] = "${S}"

do_package() {
    grove-package --packages "${PACKAGES}" --image ${D} --dest ${WORKDIR}/packages-split
}
do_package[dirs] = "${WORKDIR}/packages-split"
do_package[vardeps] = "PACKAGES"

addtask fetch
addtask unpack after do_fetch
addtask patch after do_unpack before do_configure
addtask package after do_install
"#,
    ),
    (
        "pkgconfig",
        r#"# pkgconfig: the package finds its dependencies with pkg-config.
inherit core

DEPENDS:prepend = "pkgconfig-native "
PKG_CONFIG_PATH ??= "${STAGING_LIBDIR}/pkgconfig:${STAGING_DIR_TARGET}/usr/share/pkgconfig"
PKG_CONFIG_SYSROOT_DIR ??= "${STAGING_DIR_TARGET}"
PKG_CONFIG_DIR ??= "${STAGING_LIBDIR}/pkgconfig"
export PKG_CONFIG_PATH
export PKG_CONFIG_SYSROOT_DIR
export PKG_CONFIG_DIR
"#,
    ),
    (
        "gettext",
        r#"# gettext: the package is translated with GNU gettext.
inherit core

USE_NLS ??= "yes"
USE_NLS:class-native = "no"
DEPENDS:append = " gettext-native virtual/libintl"
EXTRA_OECONF:append = " --enable-nls"
EXTRA_OECONF:remove:libc-musl = "--enable-nls"
EXTRA_OECONF:append:libc-musl = " --disable-nls"
FILES:${PN}-locale:append = " ${datadir}/gettext"
"#,
    ),
    (
        "systemd",
        r#"# systemd: install the package's service units and enable them.
inherit core

SYSTEMD_PACKAGES ??= "${PN}"
SYSTEMD_AUTO_ENABLE ??= "enable"
SYSTEMD_SERVICE ??= ""
SYSTEMD_SERVICE[doc] = "The units of each package, as SYSTEMD_SERVICE:PKG."
RDEPENDS:${PN}:append = " systemd"
FILES:${PN}:append = " ${systemd_system_unitdir} ${nonarch_base_libdir}/tmpfiles.d"
PACKAGE_WRITE_DEPS:append = " systemd-systemctl-native"

systemd_postinst() {
    if [ "${SYSTEMD_AUTO_ENABLE}" = "enable" ]; then
        systemctl --root="$D" enable ${SYSTEMD_SERVICE}
    fi
}

do_install:append() {
    install -d ${D}${systemd_system_unitdir}
    for unit in ${SYSTEMD_SERVICE}; do
        if [ -f ${WORKDIR}/$unit ]; then
            install -m 0644 ${WORKDIR}/$unit ${D}${systemd_system_unitdir}/
        fi
    done
}
"#,
    ),
    (
        "useradd",
        r#"# useradd: create system users and groups when the package is installed.
inherit core

USERADD_PACKAGES ??= "${PN}"
USERADD_PARAM ??= ""
GROUPADD_PARAM ??= ""
USERADD_UID_TABLES ??= "files/passwd"
USERADD_GID_TABLES ??= "files/group"
DEPENDS:append:class-target = " base-files shadow-native shadow-sysroot base-passwd"
PACKAGE_WRITE_DEPS:append = " shadow-native"

useradd_preinst() {
    OPT=""
    SYSROOT=""
    if test "x$D" != "x"; then
        OPT="--root $D"
        SYSROOT="$D"
    fi
    bbnote "Performing useradd with [${USERADD_PARAM}] and groupadd with [${GROUPADD_PARAM}]"
}

useradd_sysroot() {
    export PSEUDO="${STAGING_BINDIR_NATIVE}/pseudo"
    useradd_preinst
}
do_install[postfuncs] += "useradd_sysroot"
do_install[vardeps] += "USERADD_PARAM GROUPADD_PARAM"
"#,
    ),
    (
        "update-alternatives",
        r#"# update-alternatives: several packages may provide the same command.
inherit core

ALTERNATIVE_PRIORITY ??= "10"
UPDALTVARS = "ALTERNATIVE ALTERNATIVE_LINK_NAME ALTERNATIVE_TARGET ALTERNATIVE_PRIORITY"
PACKAGE_WRITE_DEPS:append = " virtual/update-alternatives-native"
do_package[vardeps] += "${UPDALTVARS}"

update_alternatives_postinst() {
    update-alternatives --install ${ALTERNATIVE_LINK_NAME} ${ALTERNATIVE} ${ALTERNATIVE_TARGET} ${ALTERNATIVE_PRIORITY}
}
"#,
    ),
    (
        "autotools-brokensep",
        r#"# autotools-brokensep: autotools for packages that cannot build out of
# their source tree.
inherit core autotools

B = "${S}"
EXTRA_AUTORECONF ??= "--exclude=autopoint"
"#,
    ),
    (
        "cargo_common",
        r#"# cargo_common: configuration shared by everything that builds with cargo.
inherit core

CARGO_HOME = "${WORKDIR}/cargo_home"
export CARGO_HOME
RUST_TARGET_SYS ??= "${TARGET_ARCH}-unknown-linux-gnu"
RUST_TARGET_SYS:libc-musl = "${TARGET_ARCH}-unknown-linux-musl"
CARGO_BUILD_FLAGS ??= "-v --frozen --target ${RUST_TARGET_SYS} --release"
CARGO_BUILD_FLAGS:remove:debug = "--release"
CARGO_SRC_DIR ??= ""
CARGO_MANIFEST_PATH ??= "${S}/${CARGO_SRC_DIR}/Cargo.toml"
CARGO_RUST_TARGET_CCLD ??= "${TARGET_SYS}-gcc"
RUSTFLAGS ??= "-C debuginfo=2 --remap-path-prefix=${WORKDIR}=/usr/src/debug/${PN}/${PV}"

cargo_common_do_configure() {
    mkdir -p ${CARGO_HOME}/bitbake
    cat <<- EOF >> ${CARGO_HOME}/config.toml
	[source.bitbake]
	directory = "${CARGO_HOME}/bitbake"
	EOF
    echo "[target.${RUST_TARGET_SYS}]" >> ${CARGO_HOME}/config.toml
    echo "linker = '${CARGO_RUST_TARGET_CCLD}'" >> ${CARGO_HOME}/config.toml
}

EXPORT_FUNCTIONS do_configure
"#,
    ),
    (
        "cargo",
        r#"# cargo: build and install a Rust package with cargo.
inherit core cargo_common

DEPENDS:append = " cargo-native"
CARGO_BUILD_PROFILE ??= "release"
CARGO_BUILD_PROFILE:debug = "debug"
CARGO_TARGET_SUBDIR = "${RUST_TARGET_SYS}/${CARGO_BUILD_PROFILE}"
B = "${WORKDIR}/build"
export CARGO_TARGET_DIR = "${B}/target"

oe_cargo_build() {
    export RUSTFLAGS="${RUSTFLAGS}"
    bbnote "cargo = $(which cargo)"
    cargo build ${CARGO_BUILD_FLAGS} --manifest-path=${CARGO_MANIFEST_PATH} "$@"
}

cargo_do_compile() {
    oe_cargo_build
}

cargo_do_install() {
    install -d ${D}${bindir}
    for tgt in ${B}/target/${CARGO_TARGET_SUBDIR}/*; do
        if [ -f "$tgt" ] && [ -x "$tgt" ]; then
            install -m755 "$tgt" ${D}${bindir}
        fi
    done
}
do_compile[network] = "0"

EXPORT_FUNCTIONS do_compile do_install
"#,
    ),
    (
        "go",
        r#"# go: build Go packages in GOPATH mode.
inherit core

GO_IMPORT ??= ""
GOARCH ??= "amd64"
GOARCH:aarch64 = "arm64"
GOOS ??= "linux"
GOROOT ??= "${STAGING_DIR_NATIVE}/usr/lib/go"
GO111MODULE ??= "off"
GO_LDFLAGS ??= '-ldflags="-s -w"'
GOBUILDFLAGS ??= "-v ${GO_LDFLAGS} -trimpath"
GOBUILDFLAGS:append:debug = " -gcflags=all=-N"
GO_INSTALL ??= "${GO_IMPORT}/..."
B = "${WORKDIR}/build"
DEPENDS:append = " go-native"
export GOARCH
export GOOS
export GOROOT
export GO111MODULE
export GOPATH = "${B}"

go_do_configure() {
    ln -snf ${S}/src ${B}/
}

go_do_compile() {
    export TMPDIR="${WORKDIR}/build-tmp"
    mkdir -p ${WORKDIR}/build-tmp
    go install ${GOBUILDFLAGS} ${GO_INSTALL}
}
do_compile[dirs] = "${B}/src/${GO_IMPORT}"
do_compile[cleandirs] = "${B}/bin ${B}/pkg"

go_do_install() {
    install -d ${D}${bindir}
    cp -a ${B}/bin/* ${D}${bindir}/ || true
}

EXPORT_FUNCTIONS do_configure do_compile do_install
"#,
    ),
    (
        "python3native",
        r#"# python3native: the build runs the native python3.
inherit core

PYTHON_BASEVERSION ??= "3.12"
PYTHON_PN ??= "python3"
PYTHON ??= "${STAGING_BINDIR_NATIVE}/python3-native/python3"
PYTHON_SITEPACKAGES_DIR ??= "${libdir}/python${PYTHON_BASEVERSION}/site-packages"
DEPENDS:append = " python3-native"
export PYTHONNOUSERSITE = "1"
export STAGING_INCDIR
export STAGING_LIBDIR
"#,
    ),
    (
        "setuptools3",
        r#"# setuptools3: build a wheel with setuptools and install it.
inherit core python3native

DEPENDS:append = " python3-setuptools-native python3-wheel-native python3-installer-native"
SETUPTOOLS_SETUP_PATH ??= "${S}"
SETUPTOOLS_BUILD_ARGS ??= ""
PEP517_WHEEL_PATH ??= "${WORKDIR}/dist"
FILES:${PN} += "${PYTHON_SITEPACKAGES_DIR}"

setuptools3_do_configure() {
    :
}

setuptools3_do_compile() {
    cd ${SETUPTOOLS_SETUP_PATH}
    ${PYTHON} setup.py bdist_wheel --verbose --dist-dir ${PEP517_WHEEL_PATH} ${SETUPTOOLS_BUILD_ARGS}
}
do_compile[cleandirs] += "${PEP517_WHEEL_PATH}"

setuptools3_do_install() {
    ${PYTHON} -m installer --destdir=${D} --interpreter ${bindir}/python3 ${PEP517_WHEEL_PATH}/*.whl
    find ${D} -name __pycache__ -type d -exec rm -rf {} +
}

EXPORT_FUNCTIONS do_configure do_compile do_install
"#,
    ),
    (
        "ptest",
        r#"# ptest: package the upstream test suite to run on the target.
inherit core

PTEST_PATH ??= "${libdir}/${BPN}/ptest"
PTEST_ENABLED ??= "1"
PTEST_ENABLED:class-native = ""
PACKAGES:prepend = "${PN}-ptest "
FILES:${PN}-ptest = "${PTEST_PATH}"
RDEPENDS:${PN}-ptest:append = " ptest-runner"

do_install_ptest() {
    :
}

do_install_ptest_base() {
    if [ -f ${WORKDIR}/run-ptest ]; then
        install -D ${WORKDIR}/run-ptest ${D}${PTEST_PATH}/run-ptest
    fi
    do_install_ptest
}
do_install_ptest_base[dirs] = "${B}"
do_install_ptest_base[cleandirs] = "${D}${PTEST_PATH}"
addtask install_ptest_base after do_install before do_package
"#,
    ),
    (
        "bash-completion",
        r#"# bash-completion: ship the package's completions in their own package.
inherit core

DEPENDS:append:class-target = " bash-completion"
PACKAGES:prepend = "${PN}-bash-completion "
FILES:${PN}-bash-completion = "${datadir}/bash-completion"
RDEPENDS:${PN}-bash-completion = "bash-completion"
"#,
    ),
    (
        "lib_package",
        r#"# lib_package: a library whose programs go to a separate -bin package.
inherit core

PACKAGES:prepend = "${PN}-bin "
FILES:${PN}-bin = "${bindir}/* ${sbindir}/*"
LEAD_SONAME ??= ""
"#,
    ),
    (
        "module",
        r#"# module: build out-of-tree Linux kernel modules.
inherit core

DEPENDS:append = " virtual/kernel"
STAGING_KERNEL_DIR ??= "${TMPDIR}/work-shared/${MACHINE}/kernel-source"
STAGING_KERNEL_BUILDDIR ??= "${TMPDIR}/work-shared/${MACHINE}/kernel-build-artifacts"
KERNEL_VERSION ??= "6.6.21"
KERNEL_CC ??= "${TARGET_SYS}-gcc"
KERNEL_LD ??= "${TARGET_SYS}-ld.bfd"
MODULES_INSTALL_TARGET ??= "modules_install"
EXTRA_OEMAKE:append = " KERNEL_SRC=${STAGING_KERNEL_DIR} KERNEL_VERSION=${KERNEL_VERSION}"
PACKAGES:prepend = "kernel-module-${BPN} "
FILES:kernel-module-${BPN} = "${nonarch_base_libdir}/modules"

module_do_compile() {
    unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
    oe_runmake KERNEL_PATH=${STAGING_KERNEL_DIR} KERNEL_VERSION=${KERNEL_VERSION} \
        CC="${KERNEL_CC}" LD="${KERNEL_LD}" O=${STAGING_KERNEL_BUILDDIR}
}

module_do_install() {
    unset CFLAGS CPPFLAGS CXXFLAGS LDFLAGS
    oe_runmake DEPMOD=echo MODLIB="${D}${nonarch_base_libdir}/modules/${KERNEL_VERSION}" \
        O=${STAGING_KERNEL_BUILDDIR} ${MODULES_INSTALL_TARGET}
}
do_configure[depends] += "virtual/kernel:do_shared_workdir"

EXPORT_FUNCTIONS do_compile do_install
"#,
    ),
    (
        "github-releases",
        r#"# github-releases: the source is a release tarball on GitHub.
inherit core

GITHUB_BASE_URI ??= "https://github.com/${GITHUB_ORG}/${BPN}/releases"
UPSTREAM_CHECK_URI ??= "${GITHUB_BASE_URI}"
UPSTREAM_CHECK_REGEX ??= "releases/tag/v?(?P<pver>\d+(\.\d+)+)"
"#,
    ),
];

/// How a recipe is built.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Build {
    Autotools,
    AutotoolsBrokensep,
    Cmake,
    Meson,
    Make,
    Cargo,
    Go,
    Setuptools,
    Module,
}

impl Build {
    fn class(self) -> &'static str {
        match self {
            Build::Autotools => "autotools",
            Build::AutotoolsBrokensep => "autotools-brokensep",
            Build::Cmake => "cmake",
            Build::Meson => "meson",
            Build::Make => "make",
            Build::Cargo => "cargo",
            Build::Go => "go",
            Build::Setuptools => "setuptools3",
            Build::Module => "module",
        }
    }

    /// Classes from grove's standard library do not inherit `core`.
    fn is_stdlib(self) -> bool {
        matches!(self, Build::Autotools | Build::Cmake | Build::Meson | Build::Make)
    }

    /// The variable holding extra configure arguments, and a pool of them.
    fn options(self) -> Option<(&'static str, &'static [&'static str])> {
        match self {
            Build::Autotools | Build::AutotoolsBrokensep => Some(("EXTRA_OECONF", CONF_OPTS)),
            Build::Cmake => Some(("EXTRA_OECMAKE", CMAKE_OPTS)),
            Build::Meson => Some(("EXTRA_OEMESON", MESON_OPTS)),
            Build::Make | Build::Module => {
                Some(("EXTRA_OEMAKE", &["V=1", "STRIP=true", "PREFIX=${prefix}", "CROSS=${TARGET_SYS}-"]))
            }
            Build::Cargo => Some(("CARGO_BUILD_FLAGS", &["--features=vendored", "--no-default-features", "--locked"])),
            Build::Go => Some(("GOBUILDFLAGS", &["-mod=vendor", "-buildmode=pie", "-tags=netgo"])),
            Build::Setuptools => Some(("SETUPTOOLS_BUILD_ARGS", &["--plat-name=linux", "--py-limited-api=cp38"])),
        }
    }
}

#[rustfmt::skip]
const FEATURE_CLASSES: &[&str] = &[
    "pkgconfig", "pkgconfig", "pkgconfig", "gettext", "systemd", "useradd", "update-alternatives", "ptest",
    "bash-completion", "lib_package", "github-releases",
];

// ---------------------------------------------------------------------------
// The plan of the layer

struct RecipePlan {
    name: String,
    version: String,
    git: bool,
    group: &'static str,
    build: Build,
}

fn plan(rng: &mut Rng, count: usize) -> Vec<RecipePlan> {
    let mut names: HashSet<String> = HashSet::new();
    let mut files: HashSet<(String, String)> = HashSet::new();
    let mut out: Vec<RecipePlan> = Vec::with_capacity(count);
    while out.len() < count {
        // A few recipes are another version of an existing one.
        if !out.is_empty() && rng.chance(3) {
            let i = rng.below(out.len());
            let base = &out[i];
            let version = if base.git {
                format!("{}.{}", rng.range(0, 5), rng.range(0, 30))
            } else {
                format!("{}.{}", base.version, rng.range(1, 9))
            };
            if files.insert((base.name.clone(), version.clone())) {
                let p =
                    RecipePlan { name: base.name.clone(), version, git: false, group: base.group, build: base.build };
                out.push(p);
            }
            continue;
        }
        let mut name = String::new();
        for attempt in 0.. {
            let prefix = rng.pick(PREFIXES);
            let stem = rng.pick(STEMS);
            let mut n = format!("{prefix}{stem}");
            if rng.chance(45) {
                n.push('-');
                n.push_str(rng.pick(STEMS));
            }
            n.push_str(rng.pick(SUFFIXES));
            if attempt > 20 {
                n.push_str(&attempt.to_string());
            }
            if names.insert(n.clone()) {
                name = n;
                break;
            }
        }
        let build = if name.starts_with("python3-") {
            Build::Setuptools
        } else if name.starts_with("rust-") {
            Build::Cargo
        } else if name.starts_with("go-") {
            Build::Go
        } else if name.starts_with("kernel-module-") {
            Build::Module
        } else {
            match rng.below(100) {
                0..35 => Build::Autotools,
                35..45 => Build::AutotoolsBrokensep,
                45..68 => Build::Cmake,
                68..85 => Build::Meson,
                85..93 => Build::Make,
                93..97 => Build::Cargo,
                _ => Build::Go,
            }
        };
        let group =
            if name.starts_with("python3-") || name.starts_with("perl-") || matches!(build, Build::Cargo | Build::Go) {
                "recipes-devtools"
            } else if name.starts_with("kernel-module-") {
                "recipes-kernel"
            } else if name.starts_with("xf86-") || name.starts_with("font-") {
                "recipes-graphics"
            } else if name.starts_with("gst-") {
                "recipes-multimedia"
            } else {
                rng.pick(GROUPS)
            };
        let git = rng.chance(15);
        let version = if git {
            "git".to_string()
        } else {
            match rng.below(10) {
                0..6 => format!("{}.{}.{}", rng.range(0, 9), rng.range(0, 30), rng.range(0, 20)),
                6..9 => format!("{}.{}", rng.range(1, 40), rng.range(0, 99)),
                _ => format!("{}{:02}{:02}", rng.range(2015, 2026), rng.range(1, 12), rng.range(1, 28)),
            }
        };
        files.insert((name.clone(), version.clone()));
        out.push(RecipePlan { name, version, git, group, build });
    }
    out
}

// ---------------------------------------------------------------------------
// Writing

struct Writer {
    files: usize,
    lines: usize,
    bytes: usize,
}

impl Writer {
    fn write(&mut self, path: &Path, text: &str) -> io::Result<()> {
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(path, text)?;
        self.files += 1;
        self.lines += text.lines().count();
        self.bytes += text.len();
        Ok(())
    }
}

/// Writes a layer of `count` recipes under `root` (which should be empty).
pub fn generate(root: &Path, count: usize, seed: u64) -> io::Result<Layer> {
    let mut rng = Rng::new(seed);
    let mut w = Writer { files: 0, lines: 0, bytes: 0 };

    for (name, text) in CLASSES {
        w.write(&root.join("classes").join(format!("{name}.grclass")), text)?;
    }
    for (i, (group, name)) in FAMILY_INCS.iter().enumerate() {
        let text = family_inc(&mut Rng::new(seed ^ ((i as u64 + 1) * 0x1000_0001)), name);
        w.write(&root.join("recipes").join(group).join(format!("{name}.inc")), &text)?;
    }
    for (i, name) in LAYER_INCS.iter().enumerate() {
        let text = layer_inc(&mut Rng::new(seed ^ ((i as u64 + 1) * 0x2000_0003)), name);
        w.write(&root.join("conf/include").join(format!("{name}.inc")), &text)?;
    }
    let (classes, includes) = (CLASSES.len(), FAMILY_INCS.len() + LAYER_INCS.len());

    let plans = plan(&mut rng, count);
    let mut recipes = Vec::with_capacity(count);
    let mut recipe_lines = 0;
    for (i, p) in plans.iter().enumerate() {
        let lines = recipe(&mut rng, p, &plans[..i]);
        assert!((20..=60).contains(&lines.len()), "{} has {} lines", p.name, lines.len());
        recipe_lines += lines.len();
        let mut text = lines.join("\n");
        text.push('\n');
        let path = root.join("recipes").join(p.group).join(format!("{}_{}.gr", p.name, p.version));
        assert!(!path.exists(), "{} generated twice", path.display());
        w.write(&path, &text)?;
        recipes.push(path);
    }
    recipes.sort();
    Ok(Layer { recipes, classes, includes, files: w.files, lines: w.lines, recipe_lines, bytes: w.bytes })
}

fn topic_of(name: &str) -> &str {
    let mut t = name;
    for p in PREFIXES.iter().filter(|p| !p.is_empty()) {
        if let Some(rest) = t.strip_prefix(p) {
            t = rest;
            break;
        }
    }
    t.split('-').next().filter(|s| !s.is_empty()).unwrap_or(name)
}

/// An overridden append, `:append:<override>`.
fn some_override(rng: &mut Rng) -> &'static str {
    rng.pick(OVERRIDES)
}

fn recipe(rng: &mut Rng, p: &RecipePlan, earlier: &[RecipePlan]) -> Vec<String> {
    let target = rng.range(20, 60);
    let topic = topic_of(&p.name);
    let mut l: Vec<String> = Vec::with_capacity(64);

    // Header.
    let summary = rng.pick(SUMMARY_TEMPLATES).replace("{}", topic);
    l.push(format!("SUMMARY = \"{summary}\""));
    if rng.chance(60) {
        if rng.chance(40) {
            l.push(format!("DESCRIPTION = \"{} {} \\", summary, rng.pick(DESCRIPTIONS)));
            l.push(format!("               {}\"", rng.pick(DESCRIPTIONS)));
        } else {
            l.push(format!("DESCRIPTION = \"{}\"", rng.pick(DESCRIPTIONS)));
        }
    }
    let org = rng.pick(STEMS);
    l.push(format!("HOMEPAGE = \"https://github.com/{org}/{}\"", p.name));
    if rng.chance(30) {
        l.push(format!("BUGTRACKER = \"https://github.com/{org}/{}/issues\"", p.name));
    }
    let section = match p.build {
        Build::Setuptools => "devel/python",
        Build::Module => "kernel/modules",
        _ => rng.pick(&["libs", "console/utils", "net", "support", "multimedia", "x11/libs", "devel", "base"]),
    };
    l.push(format!("SECTION = \"{section}\""));
    let license = if rng.chance(20) {
        format!("{} & {}", rng.pick(LICENSES), rng.pick(LICENSES))
    } else {
        rng.pick(LICENSES).to_string()
    };
    l.push(format!("LICENSE = \"{license}\""));
    if license.contains('&') && rng.chance(70) {
        l.push(format!("LIC_FILES_CHKSUM = \"file://{};md5={} \\", rng.pick(LICENSE_FILES), rng.hex(32)));
        l.push(format!("                    file://src/main.c;beginline=1;endline=20;md5={}\"", rng.hex(32)));
    } else {
        l.push(format!("LIC_FILES_CHKSUM = \"file://{};md5={}\"", rng.pick(LICENSE_FILES), rng.hex(32)));
    }

    l.push(String::new());

    l.push(format!("PN = \"{}\"", p.name));
    let pv = if p.git { format!("{}.{}+git", rng.range(0, 5), rng.range(0, 30)) } else { p.version.clone() };
    l.push(format!("PV = \"{pv}\""));
    if rng.chance(50) {
        l.push(format!("PR = \"r{}\"", rng.range(0, 4)));
    }
    if rng.chance(5) {
        l.push(format!("PE = \"{}\"", rng.range(1, 3)));
    }
    l.push(String::new());

    // Dependencies: other generated recipes.
    let mut deps: Vec<String> = Vec::new();
    if !earlier.is_empty() {
        for _ in 0..rng.range(0, 6) {
            let d = &earlier[rng.below(earlier.len())];
            let dep = if rng.chance(20) { format!("{}-native", d.name) } else { d.name.clone() };
            if !deps.contains(&dep) && d.name != p.name {
                deps.push(dep);
            }
        }
    }
    l.push(format!("DEPENDS = \"{}\"", deps.join(" ")));
    if rng.chance(30) {
        l.push(format!(
            "RDEPENDS:${{PN}} += \"{}\"",
            rng.pick(&["bash", "perl", "python3-core", "coreutils", "ca-certificates"])
        ));
    }
    l.push(String::new());

    // Sources.
    let patches: Vec<&str> = rng.some(PATCH_TOPICS, 0, 2);
    if p.git {
        let host = if p.build == Build::Go { "go.googlesource.com" } else { "github.com" };
        l.push(format!(
            "SRC_URI = \"git://{host}/{org}/{}.git;protocol=https;branch={} \\",
            p.name,
            rng.pick(&["main", "master", "stable"])
        ));
    } else {
        let url = match p.build {
            Build::Setuptools => {
                "https://files.pythonhosted.org/packages/source/${PYPI_PACKAGE}/${PYPI_PACKAGE}-${PV}.tar.gz"
            }
            Build::Cargo => "crate://crates.io/${BPN}/${PV}",
            _ => rng.pick(&[
                "${GNU_MIRROR}/${BPN}/${BP}.tar.xz",
                "${SOURCEFORGE_MIRROR}/${BPN}/${BP}.tar.gz",
                "https://github.com/${GITHUB_ORG}/${BPN}/releases/download/v${PV}/${BP}.tar.gz",
                "${KERNELORG_MIRROR}/linux/utils/${BPN}/${BP}.tar.xz",
                "https://download.example.org/${BPN}/${BP}.tar.bz2",
            ]),
        };
        l.push(format!("SRC_URI = \"{url} \\"));
    }
    for (i, t) in patches.iter().enumerate() {
        l.push(format!("           file://{:04}-{t}.patch \\", i + 1));
    }
    l.push("           \"".to_string());
    if p.git {
        l.push(format!("SRCREV = \"{}\"", rng.hex(40)));
        l.push("S = \"${WORKDIR}/git\"".to_string());
    } else {
        l.push(format!("SRC_URI[sha256sum] = \"{}\"", rng.hex(64)));
    }
    if p.build == Build::Setuptools {
        l.push(format!("PYPI_PACKAGE = \"{}\"", p.name.trim_start_matches("python3-")));
    }
    if p.build == Build::Go {
        l.push(format!("GO_IMPORT = \"github.com/{org}/{}\"", p.name));
    }
    l.push(String::new());

    // Classes: 1–3, the first always one of this layer's (which pulls in
    // `core`, and with it `base`, before any build-system class).
    let mut features: Vec<&str> = Vec::new();
    let wanted = if p.build.is_stdlib() { rng.range(1, 2) } else { rng.range(0, 2) };
    while features.len() < wanted {
        let f = rng.pick(FEATURE_CLASSES);
        if !features.contains(&f) {
            features.push(f);
        }
    }
    let mut classes: Vec<&str> = Vec::new();
    if p.build.is_stdlib() {
        classes.push(features[0]);
        classes.push(p.build.class());
        classes.extend(&features[1..]);
    } else {
        classes.push(p.build.class());
        classes.extend(&features);
    }
    l.push(format!("inherit {}", classes.join(" ")));
    // A family include: beside the recipe, shared by its group.
    let family: Vec<&str> = FAMILY_INCS.iter().filter(|(g, _)| *g == p.group).map(|(_, n)| *n).collect();
    if !family.is_empty() && rng.chance(35) {
        l.push(format!("require {}.inc", rng.pick(&family)));
    }
    if rng.chance(20) {
        l.push(format!("require conf/include/{}.inc", rng.pick(LAYER_INCS)));
    }
    if rng.chance(8) {
        l.push(rng.pick(&["include ${BPN}-crates.inc", "include conf/include/${DISTRO}-${BPN}.inc"]).to_string());
    }

    // Optional blocks, in a fixed order, while they fit.
    let mut blocks: Vec<Vec<String>> = Vec::new();
    if let Some((var, pool)) = p.build.options() {
        let mut b = Vec::new();
        let opts = rng.some(pool, 1, 3.min(pool.len()));
        if opts.len() > 1 && rng.chance(50) {
            b.push(format!("{var} = \"{} \\", opts[0]));
            for o in &opts[1..opts.len() - 1] {
                b.push(format!("    {o} \\"));
            }
            b.push(format!("    {}\"", opts[opts.len() - 1]));
        } else {
            b.push(format!("{var} += \"{}\"", opts.join(" ")));
        }
        if rng.chance(60) {
            b.push(format!("{var}:append:debug = \" {}\"", rng.pick(pool)));
        }
        if rng.chance(30) {
            b.push(format!("{var}:remove = \"{}\"", opts[0]));
        }
        if rng.chance(25) {
            b.push(format!("{var}:append:{} = \" {}\"", some_override(rng), rng.pick(pool)));
        }
        blocks.push(b);
    }
    if rng.chance(55) {
        let feats = rng.some(FEATURES, 2, 5);
        let mut b = vec![format!("PACKAGECONFIG ??= \"{}\"", feats[..feats.len() - 1].join(" "))];
        for f in &feats {
            let dep = &earlier.get(rng.below(earlier.len().max(1))).map_or("zlib", |d| d.name.as_str());
            let line = match p.build {
                Build::Cmake => {
                    format!("PACKAGECONFIG[{f}] = \"-DWITH_{0}=ON,-DWITH_{0}=OFF,{dep}\"", f.to_uppercase())
                }
                Build::Meson => format!("PACKAGECONFIG[{f}] = \"-D{f}=enabled,-D{f}=disabled,{dep}\""),
                _ => format!("PACKAGECONFIG[{f}] = \"--enable-{f},--disable-{f},{dep}\""),
            };
            b.push(line);
        }
        if rng.chance(30) {
            b.push(format!("PACKAGECONFIG:remove:class-native = \"{}\"", feats[0]));
        }
        blocks.push(b);
    }
    if rng.chance(45) {
        let mut b =
            vec![format!("CFLAGS:append = \" -D{}_NO_WERROR\"", topic.to_uppercase().replace(['-', '+', '.'], "_"))];
        if rng.chance(50) {
            b.push("CFLAGS:append:aarch64 = \" -mno-outline-atomics\"".to_string());
        }
        if rng.chance(40) {
            b.push("LDFLAGS:append:libc-musl = \" -lssp_nonshared\"".to_string());
        }
        blocks.push(b);
    }
    if rng.chance(50) {
        let mut b = Vec::new();
        if rng.chance(50) {
            b.push("PACKAGES =+ \"${PN}-examples\"".to_string());
            b.push("FILES:${PN}-examples = \"${datadir}/${BPN}/examples\"".to_string());
        }
        b.push(format!(
            "FILES:${{PN}} += \"{}\"",
            rng.pick(&[
                "${datadir}/${BPN}",
                "${libdir}/${BPN}/plugins",
                "${sysconfdir}/${BPN}",
                "${nonarch_base_libdir}/udev/rules.d"
            ])
        ));
        if rng.chance(40) {
            b.push("INSANE_SKIP:${PN} += \"dev-so\"".to_string());
        }
        if rng.chance(40) {
            b.push("RRECOMMENDS:${PN}:append:class-target = \" ${PN}-locale\"".to_string());
        }
        blocks.push(b);
    }
    if classes.contains(&"systemd") {
        let mut b = vec!["SYSTEMD_SERVICE:${PN} = \"${BPN}.service\"".to_string()];
        if rng.chance(30) {
            b.push("SYSTEMD_AUTO_ENABLE = \"disable\"".to_string());
        }
        blocks.push(b);
    }
    if classes.contains(&"useradd") {
        blocks.push(vec![
            "USERADD_PARAM:${PN} = \"--system --home ${localstatedir}/lib/${BPN} --no-create-home --shell /bin/false ${BPN}\"".to_string(),
            "GROUPADD_PARAM:${PN} = \"--system ${BPN}\"".to_string(),
        ]);
    }
    if classes.contains(&"update-alternatives") {
        blocks.push(vec![
            format!("ALTERNATIVE:${{PN}} = \"{topic}\""),
            format!("ALTERNATIVE_LINK_NAME[{topic}] = \"${{bindir}}/{topic}\""),
            format!("ALTERNATIVE_PRIORITY = \"{}\"", rng.range(10, 200)),
        ]);
    }
    if classes.contains(&"ptest") {
        blocks.push(vec![
            "RDEPENDS:${PN}-ptest += \"make bash\"".to_string(),
            "do_install_ptest() {".to_string(),
            "    install -d ${D}${PTEST_PATH}/tests".to_string(),
            "    cp -r ${S}/tests/* ${D}${PTEST_PATH}/tests/".to_string(),
            "}".to_string(),
        ]);
    }
    // Shell tasks.
    {
        let mut b = vec![String::new(), "do_install:append() {".to_string()];
        let candidates = [
            "    install -d ${D}${sysconfdir}/${BPN}",
            "    install -m 0644 ${WORKDIR}/${BPN}.conf ${D}${sysconfdir}/${BPN}/",
            "    rm -rf ${D}${datadir}/doc/${BPN}/html",
            "    install -m 0755 ${S}/contrib/${BPN}-helper ${D}${bindir}/",
            "    sed -i -e 's:${STAGING_DIR_TARGET}::g' ${D}${libdir}/pkgconfig/*.pc",
            "    ln -sf ${BPN} ${D}${bindir}/${BPN}-compat",
            "    chmod 0755 ${D}${libexecdir}/${BPN}/*",
        ];
        for line in rng.some(&candidates, 1, 4) {
            b.push(line.to_string());
        }
        b.push("}".to_string());
        blocks.push(b);
    }
    if rng.chance(40) {
        let task = rng.pick(&["configure:prepend", "compile:prepend", "configure:append"]);
        blocks.push(vec![
            String::new(),
            format!("do_{task}() {{"),
            "    # Upstream's scripts look for the host's tools.".to_string(),
            "    export PKG_CONFIG=\"pkg-config --static\"".to_string(),
            format!(
                "    sed -i -e 's:/usr/include:${{STAGING_INCDIR}}:g' ${{S}}/{}",
                rng.pick(&["Makefile.in", "CMakeLists.txt", "meson.build", "configure.ac"])
            ),
            "}".to_string(),
        ]);
    }
    if rng.chance(25) {
        let name = rng.pick(&["generate_docs", "gen_manpages", "install_extra", "check_abi"]);
        blocks.push(vec![
            String::new(),
            format!("do_{name}() {{"),
            format!("    ${{B}}/tools/{name} --output ${{B}}/{name}"),
            "}".to_string(),
            format!("addtask {name} after do_compile before do_install"),
            format!("do_{name}[dirs] = \"${{B}}/{name}\""),
        ]);
    }
    if rng.chance(40) {
        let mut b = vec![format!("do_compile[dirs] = \"${{B}}/{}\"", rng.pick(&["src", "build", "lib", "."]))];
        if rng.chance(50) {
            b.push("do_install[cleandirs] += \"${D}${datadir}/${BPN}\"".to_string());
        }
        blocks.push(b);
    }
    if rng.chance(40) {
        blocks.push(vec![format!("BBCLASSEXTEND = \"{}\"", rng.pick(&["native", "native nativesdk", "nativesdk"]))]);
    }
    if rng.chance(10) {
        blocks.push(vec!["BUILD_MODE = \"debug\"".to_string()]);
    }
    if rng.chance(15) {
        blocks.push(vec![
            format!("SHRT_VER := \"${{PV}}\""),
            format!(
                "DEPENDS:append:{} = \" {}\"",
                some_override(rng),
                rng.pick(&["libcap", "zlib", "openssl", "util-linux"])
            ),
        ]);
    }
    if rng.chance(15) {
        blocks.push(vec![
            format!(
                "export {}_CONFIG_DIR = \"${{sysconfdir}}/${{BPN}}\"",
                topic.to_uppercase().replace(['-', '+', '.'], "_")
            ),
            "EXTRA_OEMAKE .= \" V=1\"".to_string(),
        ]);
    }
    if rng.chance(10) {
        blocks.push(vec![format!(
            "COMPATIBLE_HOST = \"{}\"",
            rng.pick(&["(x86_64|aarch64).*-linux", "(i.86|x86_64).*-linux", "aarch64.*-linux"])
        )]);
    }

    for b in blocks {
        if l.len() + b.len() <= target {
            l.extend(b);
        }
    }
    // Pad with the small one-liners real recipes are full of.
    let mut cve = rng.range(1000, 60000);
    while l.len() < target {
        let line = match rng.below(6) {
            0 => {
                cve += rng.range(1, 500);
                format!(
                    "CVE_STATUS[CVE-20{}-{cve}] = \"not-applicable-config: the affected code is not built\"",
                    rng.range(15, 25)
                )
            }
            1 => format!("FILES:${{PN}}-doc += \"${{datadir}}/{topic}/{}\"", rng.pick(&["html", "examples", "manual"])),
            2 => format!(
                "SRC_URI += \"file://{topic}-{}.{}\"",
                rng.range(1, 99),
                rng.pick(&["conf", "service", "rules", "init"])
            ),
            3 => format!("RDEPENDS:${{PN}}-dev += \"{}\"", rng.pick(&["bash", "perl", "${PN}-bin"])),
            4 => format!("UPSTREAM_CHECK_REGEX = \"{}-(?P<pver>\\d+(\\.\\d+)+)\\.tar\"", p.name),
            _ => format!("DEPENDS:append:{} = \" {}-native\"", some_override(rng), rng.pick(STEMS)),
        };
        l.push(line);
    }
    l
}

/// A family include: what every recipe of a family shares.
fn family_inc(rng: &mut Rng, name: &str) -> String {
    let family = name.trim_end_matches("-common");
    let upper = family.to_uppercase().replace(['-', '+', '.'], "_");
    let mut t = String::new();
    let _ = writeln!(t, "# {name}.inc: settings shared by the {family} recipes.");
    let _ = writeln!(t, "HOMEPAGE ?= \"https://{family}.example.org\"");
    let _ = writeln!(t, "BUGTRACKER = \"https://gitlab.example.org/{family}/issues\"");
    let _ = writeln!(t, "{upper}_VERSION_MAJOR ??= \"{}\"", rng.range(1, 20));
    let _ = writeln!(t, "{upper}_DATADIR = \"${{datadir}}/{family}\"");
    let _ = writeln!(t, "DEPENDS:append = \" {}\"", rng.subset(STEMS, 2).join(" "));
    if rng.chance(60) {
        let _ =
            writeln!(t, "inherit {}", rng.pick(&["pkgconfig", "gettext", "lib_package", "pkgconfig github-releases"]));
    }
    if rng.chance(50) {
        let _ = writeln!(t, "require conf/include/{}.inc", rng.pick(LAYER_INCS));
    }
    let _ = writeln!(t);
    for _ in 0..rng.range(2, 6) {
        let f = rng.pick(FEATURES);
        let _ = writeln!(t, "EXTRA_OECONF:append = \" --with-{f}\"");
    }
    let _ = writeln!(t, "EXTRA_OECONF:append:debug = \" --enable-debug --enable-assertions\"");
    let _ = writeln!(t, "EXTRA_OECONF:remove:class-native = \"--with-{}\"", rng.pick(FEATURES));
    let _ = writeln!(t, "CFLAGS:append:{} = \" -DNDEBUG\"", some_override(rng));
    let _ = writeln!(t, "FILES:${{PN}} += \"${{{upper}_DATADIR}}\"");
    let _ = writeln!(t, "FILES:${{PN}}-dev += \"${{libdir}}/{family}/include\"");
    let _ = writeln!(t, "RDEPENDS:${{PN}}:append:class-target = \" {}\"", rng.pick(STEMS));
    let _ = writeln!(t);
    let _ = writeln!(t, "do_configure:prepend() {{");
    let _ = writeln!(t, "    # {family} ships a stale libtool.m4; regenerate it.");
    let _ = writeln!(t, "    rm -f ${{S}}/m4/libtool.m4 ${{S}}/m4/lt*.m4");
    let _ = writeln!(t, "}}");
    let _ = writeln!(t);
    let _ = writeln!(t, "do_install:append() {{");
    let _ = writeln!(t, "    install -d ${{D}}${{{upper}_DATADIR}}");
    let _ = writeln!(t, "    rm -f ${{D}}${{libdir}}/*.la");
    let _ = writeln!(t, "}}");
    let _ = writeln!(t, "do_install[dirs] += \"${{B}}/{family}\"");
    for _ in 0..rng.range(0, 8) {
        let _ = writeln!(t, "PACKAGECONFIG[{0}] = \"--enable-{0},--disable-{0},lib{0}\"", rng.pick(FEATURES));
    }
    if rng.chance(30) {
        let _ = writeln!(t, "include {family}-${{MACHINE}}.inc");
    }
    t
}

/// A layer-wide include under `conf/include/`.
fn layer_inc(rng: &mut Rng, name: &str) -> String {
    let upper = name.to_uppercase().replace(['-', '+', '.'], "_");
    let mut t = String::new();
    let _ = writeln!(t, "# {name}.inc: layer-wide policy, required by the recipes that opt in.");
    let _ = writeln!(t, "{upper}_ENABLED ??= \"1\"");
    let _ = writeln!(t, "{upper}_ENABLED[doc] = \"Set to 0 to opt a recipe out of {name}.\"");
    match name {
        "security-flags" | "hardening" => {
            let _ = writeln!(
                t,
                "SECURITY_CFLAGS ??= \"-fstack-protector-strong -D_FORTIFY_SOURCE=2 -Wformat -Wformat-security\""
            );
            let _ = writeln!(t, "SECURITY_LDFLAGS ??= \"-fstack-protector-strong -Wl,-z,relro,-z,now\"");
            let _ = writeln!(t, "SECURITY_CFLAGS:debug = \"-fstack-protector-strong -Wformat\"");
            let _ = writeln!(t, "TARGET_CFLAGS:append:class-target = \" ${{SECURITY_CFLAGS}}\"");
            let _ = writeln!(t, "TARGET_LDFLAGS:append:class-target = \" ${{SECURITY_LDFLAGS}}\"");
        }
        "no-static-libs" => {
            let _ = writeln!(t, "DISABLE_STATIC ??= \" --disable-static\"");
            let _ = writeln!(t, "EXTRA_OECONF:append = \"${{DISABLE_STATIC}}\"");
            let _ = writeln!(t, "EXTRA_OECMAKE:append = \" -DBUILD_STATIC_LIBS=OFF\"");
            let _ = writeln!(t, "EXTRA_OEMESON:append = \" -Ddefault_library=shared\"");
        }
        "lto" | "toolchain-clang" => {
            let _ = writeln!(t, "LTO ??= \"-flto=auto -ffat-lto-objects\"");
            let _ = writeln!(t, "TARGET_CFLAGS:append = \" ${{LTO}}\"");
            let _ = writeln!(t, "TARGET_LDFLAGS:append = \" ${{LTO}}\"");
            let _ = writeln!(t, "LTO:debug = \"\"");
        }
        "tune-x86-64" | "tune-aarch64" => {
            let arch = if name.ends_with("x86-64") { "x86-64" } else { "aarch64" };
            let _ = writeln!(t, "TUNE_CCARGS ??= \"-march={arch} -mtune=generic\"");
            let _ = writeln!(t, "TARGET_CFLAGS:append:{arch} = \" ${{TUNE_CCARGS}}\"");
            let _ = writeln!(t, "TUNE_FEATURES ??= \"m64 {arch}\"");
        }
        _ => {}
    }
    for _ in 0..rng.range(3, 12) {
        let line = match rng.below(5) {
            0 => format!(
                "{upper}_{} ??= \"{}\"",
                rng.pick(&["LEVEL", "MODE", "EXTRA", "PATHS", "OPTS"]),
                rng.pick(STEMS)
            ),
            1 => format!("DEPENDS:append:{} = \" {}-native\"", some_override(rng), rng.pick(STEMS)),
            2 => format!(
                "CVE_STATUS[CVE-20{}-{}] = \"cpe-incorrect: a different product\"",
                rng.range(15, 25),
                rng.range(1000, 50000)
            ),
            3 => format!(
                "INSANE_SKIP:${{PN}}:append = \" {}\"",
                rng.pick(&["ldflags", "already-stripped", "textrel", "dev-so"])
            ),
            _ => format!("{upper}_FLAGS[{}] = \"{}\"", rng.pick(FEATURES), rng.pick(CONF_OPTS)),
        };
        let _ = writeln!(t, "{line}");
    }
    t
}
