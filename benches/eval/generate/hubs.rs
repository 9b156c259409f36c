//! The recipes every other recipe builds on: the native tools, the cross
//! toolchain, the C library and the few dozen libraries that most packages
//! of a distribution need (zlib, openssl, glib, ...). They are written by
//! hand, not drawn at random, so that the names the classes and includes
//! add (`pkgconfig-native`, `virtual/libc`, `virtual/kernel`, ...) all have
//! exactly one recipe, or a `PREFERRED_PROVIDER_*` in the distro
//! configuration when several provide them.

/// One hand-written recipe.
pub struct Hub {
    pub pn: &'static str,
    pub pv: &'static str,
    pub group: &'static str,
    /// The classes, a layer class first (it pulls in `core` when the recipe
    /// is evaluated alone).
    pub inherit: &'static str,
    pub depends: &'static str,
    /// Other lines: `PROVIDES`, `BASEDEPENDS`, `BPN`, ...
    pub extra: &'static [&'static str],
}

const fn hub(
    pn: &'static str,
    pv: &'static str,
    group: &'static str,
    inherit: &'static str,
    depends: &'static str,
    extra: &'static [&'static str],
) -> Hub {
    Hub { pn, pv, group, inherit, depends, extra }
}

const DEV: &str = "recipes-devtools";
const CORE: &str = "recipes-core";
const SUPPORT: &str = "recipes-support";
const EXT: &str = "recipes-extended";
const GFX: &str = "recipes-graphics";
const CONN: &str = "recipes-connectivity";
const KERNEL: &str = "recipes-kernel";

/// The hand-written recipes, each after every recipe it needs.
#[rustfmt::skip]
pub const HUBS: &[Hub] = &[
    // Native tools: built for the build host, needed by other builds.
    hub("m4-native", "1.4.19", DEV, "native autotools", "", &["BPN = \"m4\""]),
    hub("autoconf-native", "2.72", DEV, "native autotools", "m4-native", &["BPN = \"autoconf\""]),
    hub("automake-native", "1.16.5", DEV, "native autotools", "autoconf-native", &["BPN = \"automake\""]),
    hub("libtool-native", "2.4.7", DEV, "native autotools", "automake-native", &["BPN = \"libtool\""]),
    hub("pkgconfig-native", "0.29.2", DEV, "native autotools", "", &["BPN = \"pkgconfig\""]),
    hub("gettext-native", "0.22.5", CORE, "native autotools", "libtool-native", &["BPN = \"gettext\""]),
    hub("flex-native", "2.6.4", DEV, "native autotools", "m4-native", &["BPN = \"flex\""]),
    hub("bison-native", "3.8.2", DEV, "native autotools", "m4-native flex-native", &["BPN = \"bison\""]),
    hub("quilt-native", "0.67", DEV, "native autotools", "", &["BPN = \"quilt\""]),
    hub("ninja-native", "1.12.1", DEV, "native cmake", "", &["BPN = \"ninja\""]),
    hub("cmake-native", "3.28.3", DEV, "native cmake", "ninja-native", &["BPN = \"cmake\""]),
    hub("zlib-native", "1.3.1", CORE, "native make", "", &["BPN = \"zlib\""]),
    hub("openssl-native", "3.2.1", CONN, "native make", "zlib-native", &["BPN = \"openssl\""]),
    hub("libffi-native", "3.4.6", SUPPORT, "native autotools", "libtool-native", &["BPN = \"libffi\""]),
    hub("python3-native", "3.12.3", DEV, "native autotools", "zlib-native openssl-native libffi-native", &["BPN = \"python3\""]),
    hub("python3-setuptools-native", "69.1.1", DEV, "native", "python3-native", &["BPN = \"python3-setuptools\""]),
    hub("python3-wheel-native", "0.42.0", DEV, "native", "python3-setuptools-native", &["BPN = \"python3-wheel\""]),
    hub("python3-installer-native", "0.7.0", DEV, "native", "python3-native", &["BPN = \"python3-installer\""]),
    hub("meson-native", "1.4.0", DEV, "native", "python3-native ninja-native", &["BPN = \"meson\""]),
    hub("perl-native", "5.38.2", DEV, "native make", "zlib-native", &["BPN = \"perl\""]),
    hub("shadow-native", "4.14.5", EXT, "native autotools", "", &["BPN = \"shadow\""]),
    hub("gmp-native", "6.3.0", SUPPORT, "native autotools", "m4-native", &["BPN = \"gmp\""]),
    hub("mpfr-native", "4.2.1", SUPPORT, "native autotools", "gmp-native", &["BPN = \"mpfr\""]),
    hub("libmpc-native", "1.3.1", SUPPORT, "native autotools", "mpfr-native", &["BPN = \"libmpc\""]),
    hub("gperf-native", "3.1", SUPPORT, "native autotools", "", &["BPN = \"gperf\""]),
    hub("rust-native", "1.77.2", DEV, "native", "python3-native cmake-native ninja-native openssl-native", &["BPN = \"rust\""]),
    hub("cargo-native", "1.77.2", DEV, "native", "rust-native openssl-native zlib-native", &["BPN = \"cargo\""]),
    hub("go-native", "1.22.2", DEV, "native", "", &["BPN = \"go\""]),
    // The cross toolchain and the C library.
    hub("binutils-cross", "2.42", DEV, "cross autotools", "flex-native bison-native zlib-native", &["BPN = \"binutils\""]),
    hub("gcc-cross", "13.2.0", DEV, "cross autotools", "binutils-cross gmp-native mpfr-native libmpc-native", &[
        "BPN = \"gcc\"",
        "PROVIDES = \"virtual/cc virtual/c++\"",
    ]),
    hub("linux-libc-headers", "6.6", KERNEL, "pkgconfig make", "", &["BASEDEPENDS = \"\""]),
    hub("glibc", "2.39", CORE, "pkgconfig autotools", "linux-libc-headers bison-native", &[
        "PROVIDES = \"virtual/libc virtual/libintl virtual/libiconv\"",
        "BASEDEPENDS = \"virtual/cc\"",
    ]),
    hub("musl", "1.2.5", CORE, "pkgconfig make", "linux-libc-headers", &[
        "PROVIDES = \"virtual/libc virtual/libiconv\"",
        "BASEDEPENDS = \"virtual/cc\"",
    ]),
    // Libraries and programs most packages need.
    hub("zlib", "1.3.1", CORE, "pkgconfig make", "", &[]),
    hub("xz", "5.4.6", EXT, "pkgconfig autotools", "", &[]),
    hub("bzip2", "1.0.8", EXT, "pkgconfig autotools", "", &[]),
    hub("zstd", "1.5.6", EXT, "pkgconfig make", "zlib xz", &[]),
    hub("libffi", "3.4.6", SUPPORT, "pkgconfig autotools", "", &[]),
    hub("ncurses", "6.4", CORE, "pkgconfig autotools", "", &[]),
    hub("readline", "8.2", CORE, "pkgconfig autotools", "ncurses", &[]),
    hub("attr", "2.5.2", SUPPORT, "pkgconfig autotools", "", &[]),
    hub("acl", "2.3.2", SUPPORT, "pkgconfig autotools", "attr", &[]),
    hub("libcap", "2.69", SUPPORT, "pkgconfig make", "attr", &[]),
    hub("libxcrypt", "4.4.36", CORE, "pkgconfig autotools", "", &["PROVIDES = \"virtual/crypt\""]),
    hub("openssl", "3.2.1", CONN, "pkgconfig make", "zlib", &[]),
    hub("expat", "2.6.2", CORE, "pkgconfig cmake", "", &[]),
    hub("libxml2", "2.12.6", CORE, "pkgconfig autotools", "zlib xz", &[]),
    hub("util-linux", "2.39.3", CORE, "pkgconfig autotools", "ncurses zlib libcap virtual/crypt", &[]),
    hub("sqlite3", "3.45.3", SUPPORT, "pkgconfig autotools", "zlib readline", &[]),
    hub("libpcre2", "10.43", SUPPORT, "pkgconfig cmake", "zlib bzip2", &[]),
    hub("glib-2.0", "2.78.4", CORE, "pkgconfig meson", "libffi zlib util-linux libpcre2 python3-native", &[]),
    hub("dbus", "1.14.10", CORE, "pkgconfig autotools", "expat", &[]),
    hub("systemd", "255.4", CORE, "pkgconfig meson", "libcap util-linux acl dbus libxcrypt gperf-native", &[]),
    hub("base-files", "3.0.14", CORE, "lib_package", "", &[]),
    hub("base-passwd", "3.6.3", CORE, "lib_package autotools", "", &[]),
    hub("shadow-sysroot", "4.6", EXT, "lib_package", "", &[]),
    hub("shadow", "4.14.5", EXT, "pkgconfig autotools", "acl attr virtual/crypt", &[]),
    hub("bash", "5.2.21", EXT, "pkgconfig autotools", "readline ncurses bison-native", &[]),
    hub("bash-completion", "2.12.0", EXT, "pkgconfig autotools", "bash", &[]),
    hub("coreutils", "9.4", CORE, "pkgconfig autotools", "acl attr libcap openssl", &[]),
    hub("perl", "5.38.2", DEV, "pkgconfig make", "zlib virtual/crypt perl-native", &[]),
    hub("make", "4.4.1", DEV, "pkgconfig autotools", "", &[]),
    hub("ca-certificates", "20240203", SUPPORT, "lib_package make", "openssl python3-native", &[]),
    hub("ptest-runner", "2.4.4", SUPPORT, "pkgconfig make", "", &[]),
    hub("python3", "3.12.3", DEV, "pkgconfig autotools", "zlib openssl libffi readline ncurses xz bzip2 expat sqlite3", &[]),
    hub("curl", "8.7.1", SUPPORT, "pkgconfig autotools", "openssl zlib zstd", &[]),
    hub("libdrm", "2.4.120", GFX, "pkgconfig meson", "", &[]),
    hub("libxcb", "1.16", GFX, "pkgconfig autotools", "python3-native", &[]),
    hub("libx11", "1.8.9", GFX, "pkgconfig autotools", "libxcb", &["PROVIDES = \"virtual/libx11\""]),
    hub("mesa", "24.0.5", GFX, "pkgconfig meson", "expat zlib libdrm virtual/libx11 python3-native", &[
        "PROVIDES = \"virtual/libgl virtual/egl virtual/libgles2\"",
    ]),
    hub("mesa-gl", "24.0.5", GFX, "pkgconfig meson", "expat zlib libdrm virtual/libx11", &["PROVIDES = \"virtual/libgl\""]),
    hub("freetype", "2.13.2", GFX, "pkgconfig autotools", "zlib bzip2", &[]),
    hub("fontconfig", "2.15.0", GFX, "pkgconfig autotools", "freetype expat util-linux gperf-native", &[]),
    hub("pixman", "0.42.2", GFX, "pkgconfig meson", "", &[]),
    hub("cairo", "1.18.0", GFX, "pkgconfig meson", "glib-2.0 freetype fontconfig pixman virtual/libgl virtual/libx11", &[]),
    hub("linux-yocto", "6.6.21", KERNEL, "pkgconfig make", "bison-native flex-native openssl-native", &[
        "PROVIDES = \"virtual/kernel\"",
    ]),
    hub("linux-dummy", "1.0", KERNEL, "pkgconfig make", "", &["PROVIDES = \"virtual/kernel\""]),
];

/// What the distro configuration chooses among several providers.
pub const PREFERRED_PROVIDERS: &[(&str, &str)] = &[
    ("virtual/libc", "glibc"),
    ("virtual/libiconv", "glibc"),
    ("virtual/kernel", "linux-yocto"),
    ("virtual/libgl", "mesa"),
];

/// Libraries generated recipes build against, with how often: a few are
/// needed by very many recipes, most by some.
#[rustfmt::skip]
pub const LIBRARIES: &[(&str, usize)] = &[
    ("zlib", 14), ("glib-2.0", 10), ("openssl", 8), ("libxml2", 5), ("curl", 4), ("util-linux", 4), ("dbus", 4),
    ("systemd", 3), ("sqlite3", 3), ("expat", 3), ("ncurses", 3), ("readline", 2), ("libffi", 2), ("xz", 2),
    ("zstd", 2), ("bzip2", 2), ("libcap", 2), ("acl", 1), ("attr", 1), ("python3", 3), ("perl", 1), ("freetype", 2),
    ("fontconfig", 2), ("cairo", 2), ("pixman", 1), ("virtual/libx11", 2), ("virtual/libgl", 2), ("libdrm", 1),
    ("virtual/crypt", 1), ("libpcre2", 2), ("virtual/libiconv", 1),
];

/// Native tools generated recipes' builds run.
#[rustfmt::skip]
pub const TOOLS: &[&str] = &[
    "pkgconfig-native", "gettext-native", "python3-native", "perl-native", "flex-native", "bison-native",
    "cmake-native", "ninja-native", "meson-native", "autoconf-native", "automake-native", "libtool-native",
    "m4-native", "quilt-native", "zlib-native", "openssl-native", "gperf-native", "libffi-native",
];

/// What generated recipes need at run time.
pub const RUNTIME: &[&str] = &["bash", "perl", "python3", "coreutils", "ca-certificates", "util-linux", "systemd"];

/// Every name the hand-written recipes take (a generated recipe must not
/// take one, nor its `-native` twin).
pub fn taken(name: &str) -> bool {
    HUBS.iter().any(|h| h.pn == name || h.pn.strip_suffix("-native") == Some(name))
        || PREFERRED_PROVIDERS.iter().any(|(v, _)| *v == name)
}
