//! Where a package's code runs, from its manifest (`package.json`, `Cargo.toml`): a browser,
//! mobile or desktop client serves one user per process, so what it keeps in memory is not
//! state that other instances of a service lack.

use super::nearest::Nearest;
use crate::models::Models;
use std::collections::HashSet;
use std::path::Path;

/// Whether the nearest manifest above a file describes a client, by the framework packages
/// the models name (`client_packages`, `server_packages`).
pub struct Manifests {
    nearest: Nearest<bool>,
    clients: HashSet<String>,
    servers: HashSet<String>,
}

impl Manifests {
    pub fn new(models: &Models) -> Manifests {
        let (clients, servers) = models.framework_packages();
        Manifests {
            nearest: Nearest::new(&["package.json", "Cargo.toml"]),
            clients,
            servers,
        }
    }

    pub fn client_only(&self, file: &Path) -> bool {
        let client = |manifest: &Path| {
            let deps = dependencies(manifest)?;
            Some(
                deps.iter().any(|d| self.clients.contains(d))
                    && !deps.iter().any(|d| self.servers.contains(d)),
            )
        };
        self.nearest.for_file(file, client).unwrap_or(false)
    }
}

/// The names a manifest depends on, or nothing when it does not parse.
fn dependencies(manifest: &Path) -> Option<Vec<String>> {
    let text = std::fs::read_to_string(manifest).ok()?;
    let tables = ["dependencies", "devDependencies", "peerDependencies"];
    let names = if manifest.extension().is_some_and(|e| e == "json") {
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        tables
            .iter()
            .filter_map(|t| json.get(t)?.as_object())
            .flat_map(|deps| deps.keys().cloned())
            .collect()
    } else {
        let toml: toml::Table = toml::from_str(&text).ok()?;
        toml.get("dependencies")?
            .as_table()?
            .keys()
            .cloned()
            .collect()
    };
    Some(names)
}
