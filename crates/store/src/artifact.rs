//! Artifacts: for each derivation, its outputs (`runtime`, `devel`,
//! `debug`, ...) as trees, plus what the build was. Written once per
//! derivation under that derivation's lock, so two processes never make
//! the same artifact twice.

use std::fs;
use std::path::PathBuf;

use crate::Store;
use crate::error::{Result, StoreError, corrupt, io_err};
use crate::fsutil;
use crate::id::{DrvId, LogId, TreeId};
use crate::text;

const MAGIC: &str = "grove-artifact 1";

/// One output of an artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// `runtime`, `devel`, `debug`, ...: lowercase letters, digits, `_`, `-`.
    pub name: String,
    pub tree: TreeId,
    /// Bytes of content in the tree.
    pub size: u64,
}

/// What a derivation's build produced. The metadata fields end up in
/// export file names, so they are restricted to `A-Za-z0-9._+~-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    pub drv: DrvId,
    pub recipe: String,
    pub version: String,
    /// The release series, e.g. `3.2`.
    pub series: String,
    pub flavor: String,
    pub arch: String,
    /// Where the recipe came from, e.g. the branch `master`.
    pub origin: String,
    /// When it was built, seconds since the epoch.
    pub built: u64,
    pub log: Option<LogId>,
    /// Sorted by name, names unique.
    pub outputs: Vec<Output>,
}

fn check_field(field: &'static str, value: &str) -> Result<()> {
    let why = if value.is_empty() {
        Some("it is empty")
    } else if !value
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b"._+~-".contains(&b))
    {
        Some("only letters, digits and `._+~-` may appear (the value becomes part of file names)")
    } else if value.len() > 128 {
        Some("it is longer than 128 characters")
    } else {
        None
    };
    match why {
        Some(why) => Err(StoreError::BadMetadata {
            field,
            value: value.to_string(),
            why,
        }),
        None => Ok(()),
    }
}

impl Artifact {
    /// The one-line text fields, by their record keys, in record order.
    fn text_fields(&self) -> [(&'static str, &String); 6] {
        [
            ("recipe", &self.recipe),
            ("version", &self.version),
            ("series", &self.series),
            ("flavor", &self.flavor),
            ("arch", &self.arch),
            ("origin", &self.origin),
        ]
    }

    /// Checks every field; sorts the outputs.
    pub fn validate(&mut self) -> Result<()> {
        for (field, value) in self.text_fields() {
            check_field(field, value)?;
        }
        self.outputs.sort_by(|a, b| a.name.cmp(&b.name));
        for o in &self.outputs {
            if o.name.is_empty()
                || !o
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_-".contains(&b))
            {
                return Err(StoreError::BadMetadata {
                    field: "output",
                    value: o.name.clone(),
                    why: "output names are lowercase letters, digits, `_` and `-`",
                });
            }
        }
        if self.outputs.is_empty() {
            return Err(StoreError::BadMetadata {
                field: "output",
                value: String::new(),
                why: "an artifact has at least one output",
            });
        }
        if let Some(w) = self.outputs.windows(2).find(|w| w[0].name == w[1].name) {
            return Err(StoreError::BadMetadata {
                field: "output",
                value: w[0].name.clone(),
                why: "the output is given twice",
            });
        }
        Ok(())
    }

    pub fn output(&self, name: &str) -> Option<&Output> {
        self.outputs.iter().find(|o| o.name == name)
    }

    /// The export file name of one output, e.g.
    /// `zlib-devel,o=master,r=3.2-opt-x86_64,b=opt,v=1.2.13,.tar.zst`.
    pub fn file_name(&self, output: &str) -> String {
        format!(
            "{}-{output},o={},r={}-{}-{},b={},v={},.tar.zst",
            self.recipe,
            self.origin,
            self.series,
            self.flavor,
            self.arch,
            self.flavor,
            self.version
        )
    }

    /// The record, one `key value` line per field (FORMAT.md).
    pub fn encode(&self) -> String {
        let mut out = format!("{MAGIC}\nderivation {}\n", self.drv);
        for (k, v) in self.text_fields() {
            out.push_str(&format!("{k} {}\n", text::escape(v)));
        }
        out.push_str(&format!("built {}\n", self.built));
        if let Some(log) = &self.log {
            out.push_str(&format!("log {log}\n"));
        }
        for o in &self.outputs {
            out.push_str(&format!("output {} {} {}\n", o.name, o.tree, o.size));
        }
        out
    }

    pub fn decode(record: &str) -> Result<Artifact, String> {
        let mut drv = None;
        let mut a = Artifact {
            drv: DrvId(crate::Hash([0; 32])),
            recipe: String::new(),
            version: String::new(),
            series: String::new(),
            flavor: String::new(),
            arch: String::new(),
            origin: String::new(),
            built: 0,
            log: None,
            outputs: Vec::new(),
        };
        let bad = |k: &str| format!("bad `{k}` line");
        for (k, v) in text::fields(record, MAGIC)? {
            let val = || text::unescape(v).ok_or_else(|| bad(k));
            match k {
                "derivation" => drv = Some(DrvId::parse(v).map_err(|_| bad(k))?),
                "recipe" => a.recipe = val()?,
                "version" => a.version = val()?,
                "series" => a.series = val()?,
                "flavor" => a.flavor = val()?,
                "arch" => a.arch = val()?,
                "origin" => a.origin = val()?,
                "built" => a.built = v.parse().map_err(|_| bad(k))?,
                "log" => a.log = Some(LogId::parse(v).map_err(|_| bad(k))?),
                "output" => {
                    let mut parts = v.split(' ');
                    let (Some(name), Some(tree), Some(size), None) =
                        (parts.next(), parts.next(), parts.next(), parts.next())
                    else {
                        return Err(bad(k));
                    };
                    let tree = TreeId::parse(tree).map_err(|_| bad(k))?;
                    a.outputs.push(Output {
                        name: name.to_string(),
                        tree,
                        size: size.parse().map_err(|_| bad(k))?,
                    });
                }
                _ => return Err(format!("unknown field `{k}`")),
            }
        }
        a.drv = drv.ok_or("no `derivation` line")?;
        let mut check = a.clone();
        check.validate().map_err(|e| e.to_string())?;
        if check.encode() != record {
            return Err("the record is not in canonical form".into());
        }
        Ok(a)
    }
}

impl Store {
    pub fn artifact_path(&self, drv: &DrvId) -> PathBuf {
        fsutil::fanout(&self.dir("artifacts"), &drv.to_hex(), "")
    }

    /// The artifact of `drv`, if it was built.
    pub fn artifact(&self, drv: &DrvId) -> Result<Option<Artifact>> {
        let path = self.artifact_path(drv);
        let text = match fs::read(&path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            r => r.map_err(io_err("read", &path))?,
        };
        let text =
            String::from_utf8(text).map_err(|_| corrupt("artifact", &path, "it is not UTF-8"))?;
        let a = Artifact::decode(&text).map_err(|d| corrupt("artifact", &path, d))?;
        if a.drv != *drv {
            return Err(corrupt("artifact", &path, "it names another derivation"));
        }
        Ok(Some(a))
    }

    /// The artifact of `drv`: the stored one, or the one `make` produces,
    /// run only while holding the derivation's lock and only if no other
    /// process has stored it meanwhile. Returns it and whether it is new.
    pub fn artifact_or_insert_with(
        &self,
        drv: &DrvId,
        make: impl FnOnce(&Store) -> Result<Artifact>,
    ) -> Result<(Artifact, bool)> {
        let _lock = self.lock_item(&format!("artifact-{drv}"), &format!("artifact {drv}"))?;
        if let Some(a) = self.artifact(drv)? {
            return Ok((a, false));
        }
        let a = make(self)?;
        if a.drv != *drv {
            return Err(StoreError::BadMetadata {
                field: "derivation",
                value: a.drv.to_hex(),
                why: "it is not the derivation asked for",
            });
        }
        self.write_artifact(a).map(|a| (a, true))
    }

    /// Stores `artifact` unless the same one is there already; a different
    /// one for the same derivation is a conflict. Returns whether it is new.
    pub fn put_artifact(&self, artifact: Artifact) -> Result<bool> {
        let drv = artifact.drv;
        let _lock = self.lock_item(&format!("artifact-{drv}"), &format!("artifact {drv}"))?;
        let mut artifact = artifact;
        artifact.validate()?;
        match self.artifact(&drv)? {
            Some(existing) if existing == artifact => Ok(false),
            Some(_) => Err(StoreError::ArtifactConflict { drv: drv.to_hex() }),
            None => self.write_artifact(artifact).map(|_| true),
        }
    }

    fn write_artifact(&self, mut a: Artifact) -> Result<Artifact> {
        a.validate()?;
        for o in &mut a.outputs {
            o.size = self.read_tree(&o.tree)?.size();
        }
        if let Some(log) = &a.log {
            if !self.has_log(log) {
                return Err(StoreError::NotFound {
                    what: "log",
                    id: log.to_hex(),
                });
            }
        }
        fsutil::write_atomic(
            &self.tmp(),
            &self.artifact_path(&a.drv),
            a.encode().as_bytes(),
            0o444,
        )?;
        Ok(a)
    }
}
