//! Where a package's code runs, from its manifest (`package.json`, `Cargo.toml`): a browser,
//! mobile or desktop client serves one user per process, so what it keeps in memory is not
//! state that other instances of a service lack.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Dependencies that make a package a user-interface client.
const CLIENTS: &[&str] = &[
    "react-dom",
    "react-native",
    "expo",
    "vue",
    "svelte",
    "@angular/core",
    "solid-js",
    "preact",
    "electron",
    "@tauri-apps/api",
    "tauri",
];

/// Dependencies that make a package (also) a server, whatever else it depends on.
const SERVERS: &[&str] = &[
    "express",
    "fastify",
    "koa",
    "@nestjs/core",
    "hono",
    "next",
    "nuxt",
    "@sveltejs/kit",
    "@remix-run/node",
    "@hapi/hapi",
    "h3",
    "@trpc/server",
    "@apollo/server",
    "axum",
    "actix-web",
    "warp",
    "rocket",
    "poem",
    "tide",
    "salvo",
];

/// Whether each directory's nearest manifest describes a client, read once per directory.
#[derive(Default)]
pub struct Manifests {
    by_dir: Mutex<HashMap<PathBuf, bool>>,
}

impl Manifests {
    pub fn client_only(&self, file: &Path) -> bool {
        let Some(dir) = std::path::absolute(file)
            .ok()
            .and_then(|f| f.parent().map(Path::to_path_buf))
        else {
            return false;
        };
        if let Some(&known) = self
            .by_dir
            .lock()
            .ok()
            .and_then(|c| c.get(&dir).copied())
            .as_ref()
        {
            return known;
        }
        let client = dir
            .ancestors()
            .find_map(|d| {
                ["package.json", "Cargo.toml"]
                    .iter()
                    .map(|m| d.join(m))
                    .find(|m| m.is_file())
            })
            .and_then(|m| dependencies(&m))
            .is_some_and(|deps| {
                deps.iter().any(|d| CLIENTS.contains(&d.as_str()))
                    && !deps.iter().any(|d| SERVERS.contains(&d.as_str()))
            });
        if let Ok(mut cache) = self.by_dir.lock() {
            cache.insert(dir, client);
        }
        client
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
