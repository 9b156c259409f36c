//! The layer's classes.

/// The layer's classes: `(name, text)`. `core` is the distribution's
/// configuration (what `bitbake.conf` and the distro's global classes
/// provide in OpenEmbedded). The workspace's configuration inherits it once
/// (`conf/distro/grovix.conf`), so every recipe starts from it; every other
/// class of this layer also says `inherit core`, which then costs nothing,
/// and which lets a recipe be evaluated alone (`grove getvar --file`, the
/// benchmark's `eval` phase). Build systems also come from grove's standard
/// library (`autotools`, `cmake`, `meson`, `make`).
pub const CLASSES: &[(&str, &str)] = &[
    (
        "core",
        r#"# core: the distribution's configuration, shared by every recipe (what
# bitbake.conf and the distro configuration provide in OpenEmbedded). The
# distro configuration inherits it; it inherits grove's base class for the
# standard tasks.

inherit base

# The configuration's axes (grove's defaults set them too; the command line
# and the roots override them).
ARCH ??= "x86_64"
FLAVOR ??= "opt"
KIND ??= "runtime"

DISTRO ??= "grovix"
DISTRO_NAME ??= "Grovix Reference Distribution"
DISTRO_VERSION ??= "4.2"
MACHINE ??= "qemu${ARCH}"
TARGET_ARCH ??= "${ARCH}"
TARGET_OS ??= "linux"
TARGET_VENDOR ??= "-grovix"
TARGET_SYS ??= "${TARGET_ARCH}${TARGET_VENDOR}-${TARGET_OS}"
TCLIBC ??= "glibc"
BUILD_MODE ??= "${FLAVOR}"
MACHINEOVERRIDES ??= "qemuall:${MACHINE}"
DISTROOVERRIDES ??= "${DISTRO}"
CLASSOVERRIDE ??= "class-target"
OVERRIDES = "${TARGET_OS}:${ARCH}:${KIND}:pn-${PN}:libc-${TCLIBC}:${MACHINEOVERRIDES}:${DISTROOVERRIDES}:${CLASSOVERRIDE}:${BUILD_MODE}:forcevariable"
OVERRIDES[vardepsexclude] = "MACHINEOVERRIDES"

# Every target recipe builds with the cross compiler and the C library
# (OpenEmbedded's BASEDEPENDS); the toolchain's own recipes set it empty.
BASEDEPENDS ??= "virtual/cc virtual/libc"
BASEDEPENDS:class-native = ""
BASEDEPENDS:class-cross = ""
DEPENDS:prepend = "${BASEDEPENDS} "

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
DEPENDS:append = " gettext-native"
DEPENDS:append:class-target = " virtual/libintl"
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
        "native",
        r#"# native: a tool built for the build host, which other recipes' builds run.
inherit core

CLASSOVERRIDE = "class-native"
BUILD_CFLAGS ??= "-O2 -pipe"
BUILD_LDFLAGS ??= "-Wl,-O1"
CFLAGS = "${BUILD_CFLAGS}"
LDFLAGS = "${BUILD_LDFLAGS}"
prefix = "/usr/native"
PACKAGES = "${PN}"
FILES:${PN} = "${prefix}"
"#,
    ),
    (
        "cross",
        r#"# cross: a tool that runs on the build host and targets ${TARGET_SYS}.
inherit core

CLASSOVERRIDE = "class-cross"
CFLAGS = "-O2 -pipe"
prefix = "/usr/cross"
EXTRA_OECONF:append = " --target=${TARGET_SYS} --with-sysroot=/sysroot"
PACKAGES = "${PN}"
FILES:${PN} = "${prefix}"
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

