//! Word lists the generated names, values and lines are drawn from.


#[rustfmt::skip]
pub const STEMS: &[&str] = &[
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
pub const PREFIXES: &[&str] = &[
    "", "", "", "", "lib", "lib", "lib", "lib", "lib", "python3-", "python3-", "perl-", "go-", "rust-", "gst-plugin-",
    "xf86-input-", "font-", "kernel-module-", "node-",
];

pub const SUFFIXES: &[&str] = &[
    "", "", "", "", "", "", "", "", "-utils", "-tools", "d", "-daemon", "-glib", "-qt", "-bin", "-dev", "-extra",
    "-compat", "-helper", "mm", "-cli", "-server", "-client", "-ng", "2", "3",
];

#[rustfmt::skip]
pub const GROUPS: &[&str] = &[
    "recipes-core", "recipes-support", "recipes-devtools", "recipes-connectivity", "recipes-extended",
    "recipes-graphics", "recipes-multimedia", "recipes-kernel", "recipes-bsp", "recipes-sato",
];

/// Per-family includes: `(group, name)`, placed beside the group's recipes.
pub const FAMILY_INCS: &[(&str, &str)] = &[
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
pub const LAYER_INCS: &[&str] = &[
    "security-flags", "no-static-libs", "lto", "hardening", "ptest-packagelists", "cve-status-common",
    "license-exceptions", "mirrors", "upstream-check", "reproducible-build", "multilib-config", "toolchain-clang",
    "tune-x86-64", "tune-aarch64", "debug-tweaks", "packageconfig-defaults",
];

#[rustfmt::skip]
pub const LICENSES: &[&str] = &[
    "MIT", "MIT", "GPL-2.0-only", "GPL-2.0-or-later", "GPL-2.0-or-later", "LGPL-2.1-or-later", "LGPL-2.1-only",
    "Apache-2.0", "Apache-2.0", "BSD-3-Clause", "BSD-2-Clause", "ISC", "Zlib", "MPL-2.0", "GPL-3.0-or-later",
    "LGPL-3.0-only",
];

pub const LICENSE_FILES: &[&str] = &["COPYING", "LICENSE", "LICENSE.txt", "COPYING.LIB", "LICENSE-MIT", "LICENCE"];

#[rustfmt::skip]
pub const SUMMARY_TEMPLATES: &[&str] = &[
    "Library for {} handling", "{} command line utilities", "Lightweight {} implementation",
    "C library providing {} support", "Daemon that manages {} devices", "Python bindings for {}",
    "Tools to inspect and convert {} data", "Portable {} abstraction layer", "Fast {} parser and serializer",
    "Userspace helpers for {}",
];

pub const DESCRIPTIONS: &[&str] = &[
    "It is designed to be small, portable and easy to embed in other programs.",
    "The package provides a shared library, development headers and a small set of tools.",
    "This is the reference implementation maintained by the upstream project.",
    "It supports both synchronous and asynchronous operation and is thread safe.",
    "The daemon is configured through a file in the system configuration directory.",
    "It has no dependencies beyond the C library and is suitable for constrained systems.",
];

#[rustfmt::skip]
pub const CONF_OPTS: &[&str] = &[
    "--disable-static", "--enable-shared", "--disable-gtk-doc", "--without-python", "--with-pic", "--disable-werror",
    "--enable-largefile", "--disable-rpath", "--with-zlib", "--without-selinux", "--disable-introspection",
    "--enable-ipv6", "--disable-examples", "--with-systemdsystemunitdir=${systemd_system_unitdir}",
];

pub const CMAKE_OPTS: &[&str] = &[
    "-DBUILD_SHARED_LIBS=ON",
    "-DBUILD_TESTING=OFF",
    "-DENABLE_DOCS=OFF",
    "-DCMAKE_SKIP_RPATH=ON",
    "-DWITH_EXAMPLES=OFF",
    "-DUSE_SYSTEM_ZLIB=ON",
    "-DENABLE_LTO=OFF",
    "-DINSTALL_PKGCONFIG_DIR=${libdir}/pkgconfig",
];

pub const MESON_OPTS: &[&str] = &[
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
pub const FEATURES: &[&str] = &[
    "ssl", "zlib", "lzma", "zstd", "systemd", "x11", "wayland", "opengl", "pam", "ipv6", "nls", "bluetooth", "gnutls",
    "readline", "libxml2", "curl", "sqlite", "dbus", "udev", "acl", "xattr", "selinux", "pulseaudio", "alsa", "gtk",
    "qt", "python", "lua", "doc", "tests",
];

#[rustfmt::skip]
pub const PATCH_TOPICS: &[&str] = &[
    "fix-cross-compilation", "do-not-use-host-paths", "add-musl-support", "fix-build-with-gcc-14",
    "configure-allow-overriding-pkg-config", "makefile-respect-ldflags", "disable-tests-requiring-network",
    "use-pkg-config-for-ssl", "fix-reproducibility", "remove-hardcoded-usr-include",
];

pub const OVERRIDES: &[&str] = &["debug", "class-target", "class-native", "aarch64", "x86_64", "libc-musl", "qemuall"];

