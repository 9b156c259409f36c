//! The text of recipes and includes.

use std::fmt::Write as _;

use super::Rng;
use super::hubs::{Hub, LIBRARIES, TOOLS};
use super::plan::{Build, RecipePlan};
use super::words::{
    CONF_OPTS, DESCRIPTIONS, FAMILY_INCS, FEATURES, LAYER_INCS, LICENSE_FILES, LICENSES, OVERRIDES, PATCH_TOPICS, PREFIXES,
    STEMS, SUMMARY_TEMPLATES,
};

#[rustfmt::skip]
const FEATURE_CLASSES: &[&str] = &[
    "pkgconfig", "pkgconfig", "pkgconfig", "gettext", "systemd", "useradd", "update-alternatives", "ptest",
    "bash-completion", "lib_package", "github-releases",
];

/// What a tool built for the build host may inherit besides its build
/// system (no services, users or test packages).
const NATIVE_FEATURE_CLASSES: &[&str] = &["pkgconfig", "pkgconfig", "gettext", "lib_package", "github-releases"];

pub fn topic_of(name: &str) -> &str {
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

/// A small patch, as `git format-patch` writes them.
fn patch(rng: &mut Rng, bpn: &str, file: &str) -> String {
    let subject = file.trim_end_matches(".patch").split_once('-').map_or(file, |(_, rest)| rest).replace('-', " ");
    let (commit, line) = (rng.hex(40), rng.range(1, 400));
    format!(
        "From {commit} Mon Sep 17 00:00:00 2001\nSubject: [PATCH] {bpn}: {subject}\n\nUpstream-Status: Pending\n\n\
         --- a/Makefile.in\n+++ b/Makefile.in\n@@ -{line},3 +{line},3 @@\n-CFLAGS = -O2\n+CFLAGS ?= -O2\n"
    )
}

/// A hand-written recipe's text, and its local files.
pub fn hub_recipe(rng: &mut Rng, h: &Hub) -> (String, Vec<(String, String)>) {
    let bpn = h.pn.strip_suffix("-native").or(h.pn.strip_suffix("-cross")).unwrap_or(h.pn);
    let mut t = String::new();
    let _ = writeln!(t, "SUMMARY = \"{}\"", rng.pick(SUMMARY_TEMPLATES).replace("{}", bpn));
    let _ = writeln!(t, "HOMEPAGE = \"https://{bpn}.example.org\"");
    let _ = writeln!(t, "LICENSE = \"{}\"", rng.pick(LICENSES));
    let _ = writeln!(t, "LIC_FILES_CHKSUM = \"file://{};md5={}\"", rng.pick(LICENSE_FILES), rng.hex(32));
    let _ = writeln!(t);
    for line in h.extra {
        let _ = writeln!(t, "{line}");
    }
    let _ = writeln!(t, "DEPENDS = \"{}\"", h.depends);
    let mut local = Vec::new();
    let file = format!("0001-{}.patch", rng.pick(PATCH_TOPICS));
    let _ = writeln!(t, "SRC_URI = \"https://downloads.example.org/{bpn}/{bpn}-${{PV}}.tar.xz \\");
    let _ = writeln!(t, "           file://{file} \\");
    let _ = writeln!(t, "           \"");
    let _ = writeln!(t, "SRC_URI[sha256sum] = \"{}\"", rng.hex(64));
    local.push((file.clone(), patch(rng, bpn, &file)));
    let _ = writeln!(t);
    let _ = writeln!(t, "inherit {}", h.inherit);
    let _ = writeln!(t);
    let _ = writeln!(t, "EXTRA_OECONF += \"{}\"", rng.some(CONF_OPTS, 1, 3).join(" "));
    let _ = writeln!(t, "CFLAGS:append:debug = \" -DDEBUG_{}\"", bpn.to_uppercase().replace(['-', '+', '.'], "_"));
    let _ = writeln!(t);
    let _ = writeln!(t, "do_install:append() {{");
    let _ = writeln!(t, "    rm -rf ${{D}}${{datadir}}/doc/{bpn}");
    let _ = writeln!(t, "}}");
    (t, local)
}

/// A generated recipe's lines, and the local files its `SRC_URI` names
/// (which go beside it, in `<group>/<BPN>/`).
pub fn recipe(rng: &mut Rng, p: &RecipePlan) -> (Vec<String>, Vec<(String, String)>) {
    let target = rng.range(20, 60);
    let topic = topic_of(&p.bpn);
    let mut local: Vec<(String, String)> = Vec::new();
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
    l.push(format!("HOMEPAGE = \"https://github.com/{org}/{}\"", p.bpn));
    if rng.chance(30) {
        l.push(format!("BUGTRACKER = \"https://github.com/{org}/{}/issues\"", p.bpn));
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
    if p.native {
        l.push(format!("BPN = \"{}\"", p.bpn));
    }
    let pv = if p.git { format!("{}.{}+git", rng.range(0, 5), rng.range(0, 30)) } else { p.version.clone() };
    l.push(format!("PV = \"{pv}\""));
    if rng.chance(50) {
        l.push(format!("PR = \"r{}\"", rng.range(0, 4)));
    }
    if rng.chance(5) {
        l.push(format!("PE = \"{}\"", rng.range(1, 3)));
    }
    l.push(String::new());

    // Dependencies: the plan's; the classes and includes add more.
    l.push(format!("DEPENDS = \"{}\"", p.deps.join(" ")));
    if !p.rdeps.is_empty() {
        l.push(format!("RDEPENDS += \"{}\"", p.rdeps.join(" ")));
    }
    l.push(String::new());

    // Sources.
    let patches: Vec<&str> = rng.some(PATCH_TOPICS, 0, 2);
    if p.git {
        let host = if p.build == Build::Go { "go.googlesource.com" } else { "github.com" };
        l.push(format!(
            "SRC_URI = \"git://{host}/{org}/{}.git;protocol=https;branch={} \\",
            p.bpn,
            rng.pick(&["main", "master", "stable"])
        ));
    } else {
        let url = match p.build {
            Build::Setuptools => {
                "https://files.pythonhosted.org/packages/source/${PYPI_PACKAGE}/${PYPI_PACKAGE}-${PV}.tar.gz"
            }
            Build::Cargo => "https://crates.io/api/v1/crates/${BPN}/${PV}/download;downloadfilename=${BP}.crate",
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
        let file = format!("{:04}-{t}.patch", i + 1);
        l.push(format!("           file://{file} \\"));
        local.push((file.clone(), patch(rng, &p.bpn, &file)));
    }
    l.push("           \"".to_string());
    if p.git {
        l.push(format!("SRCREV = \"{}\"", rng.hex(40)));
        l.push("S = \"${WORKDIR}/git\"".to_string());
    } else {
        l.push(format!("SRC_URI[sha256sum] = \"{}\"", rng.hex(64)));
    }
    if p.build == Build::Setuptools {
        l.push(format!("PYPI_PACKAGE = \"{}\"", p.bpn.trim_start_matches("python3-")));
    }
    if p.build == Build::Go {
        l.push(format!("GO_IMPORT = \"github.com/{org}/{}\"", p.bpn));
    }
    l.push(String::new());

    // Classes: 1–3, the first always one of this layer's (which pulls in
    // `core`, and with it `base`, before any build-system class, when the
    // recipe is evaluated alone).
    let mut features: Vec<&str> = Vec::new();
    let pool = if p.native { NATIVE_FEATURE_CLASSES } else { FEATURE_CLASSES };
    let wanted = if p.build.is_stdlib() && !p.native { rng.range(1, 2) } else { rng.range(0, 2) };
    while features.len() < wanted {
        let f = rng.pick(pool);
        if !features.contains(&f) {
            features.push(f);
        }
    }
    let mut classes: Vec<&str> = Vec::new();
    if p.native {
        classes.push("native");
        classes.push(p.build.class());
        classes.extend(&features);
    } else if p.build.is_stdlib() {
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
            let dep = if p.deps.is_empty() { "zlib" } else { p.deps[rng.below(p.deps.len())].as_str() };
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
            2 => {
                let file = format!("{topic}-{}.{}", rng.range(1, 99), rng.pick(&["conf", "service", "rules", "init"]));
                local.push((file.clone(), format!("# {file}: installed by {}\nenabled={}\n", p.bpn, rng.range(0, 1))));
                format!("SRC_URI += \"file://{file}\"")
            }
            3 => format!("RDEPENDS:${{PN}}-dev += \"{}\"", rng.pick(&["bash", "perl", "${PN}-bin"])),
            4 => format!("UPSTREAM_CHECK_REGEX = \"{}-(?P<pver>\\d+(\\.\\d+)+)\\.tar\"", p.bpn),
            _ => format!("DEPENDS:append:{} = \" {}\"", some_override(rng), rng.pick(TOOLS)),
        };
        l.push(line);
    }
    (l, local)
}

/// A family include: what every recipe of a family shares.
pub fn family_inc(rng: &mut Rng, name: &str) -> String {
    let family = name.trim_end_matches("-common");
    let upper = family.to_uppercase().replace(['-', '+', '.'], "_");
    let mut t = String::new();
    let _ = writeln!(t, "# {name}.inc: settings shared by the {family} recipes.");
    let _ = writeln!(t, "HOMEPAGE ?= \"https://{family}.example.org\"");
    let _ = writeln!(t, "BUGTRACKER = \"https://gitlab.example.org/{family}/issues\"");
    let _ = writeln!(t, "{upper}_VERSION_MAJOR ??= \"{}\"", rng.range(1, 20));
    let _ = writeln!(t, "{upper}_DATADIR = \"${{datadir}}/{family}\"");
    let libs: Vec<&str> = LIBRARIES.iter().map(|(n, _)| *n).collect();
    let _ = writeln!(t, "DEPENDS:append:class-target = \" {}\"", rng.subset(&libs, 2).join(" "));
    let _ = writeln!(t, "DEPENDS:append:class-native = \" {}\"", rng.pick(TOOLS));
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
pub fn layer_inc(rng: &mut Rng, name: &str) -> String {
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
            let (arch, march) = if name.ends_with("x86-64") { ("x86_64", "x86-64") } else { ("aarch64", "armv8-a") };
            let _ = writeln!(t, "TUNE_CCARGS ??= \"-march={march} -mtune=generic\"");
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
            1 => format!("DEPENDS:append:{} = \" {}\"", some_override(rng), rng.pick(TOOLS)),
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
