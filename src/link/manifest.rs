//! Where a package's code runs, from its manifest (`package.json`, `Cargo.toml`): a browser,
//! mobile or desktop client serves one user per process, so what it keeps in memory is not
//! state that other instances of a service lack.

use super::nearest::Nearest;
use std::path::Path;

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

/// Whether the nearest manifest above a file describes a client.
pub struct Manifests(Nearest<bool>);

impl Default for Manifests {
    fn default() -> Self {
        Manifests(Nearest::new(&["package.json", "Cargo.toml"]))
    }
}

impl Manifests {
    pub fn client_only(&self, file: &Path) -> bool {
        let client = |manifest: &Path| {
            let deps = dependencies(manifest)?;
            Some(
                deps.iter().any(|d| CLIENTS.contains(&d.as_str()))
                    && !deps.iter().any(|d| SERVERS.contains(&d.as_str())),
            )
        };
        self.0.for_file(file, client).unwrap_or(false)
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
