//! How a file's bare import specifiers (`@/lib/db`, `@acme/db`) name files of the project:
//! through its `tsconfig.json` aliases, then as packages of its workspace.

use super::tsconfig::{Aliases, TsConfigs};
use super::workspaces::{Packages, Workspaces};
use std::path::{Path, PathBuf};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub struct BareImports {
    aliases: Option<Aliases>,
    packages: Option<Arc<Packages>>,
}

impl BareImports {
    /// The paths a bare specifier may name, as written or without extension.
    pub fn candidates(&self, spec: &str) -> Vec<PathBuf> {
        let mut out = self
            .aliases
            .as_ref()
            .map(|a| a.candidates(spec))
            .unwrap_or_default();
        out.extend(self.packages.iter().flat_map(|p| p.candidates(spec)));
        out
    }
}

/// The configurations read for the files of one scan, each once.
#[derive(Default)]
pub struct Configs {
    tsconfigs: TsConfigs,
    workspaces: Workspaces,
}

impl Configs {
    pub fn for_file(&self, file: &Path) -> BareImports {
        BareImports {
            aliases: self.tsconfigs.for_file(file),
            packages: self.workspaces.for_file(file),
        }
    }
}
