//! A clone holds everything it refers to: no tracked file points at a
//! document outside the repository (the design notes it was built from, a
//! sibling checkout, a path on the machine it was written on), and every
//! relative link of its Markdown names a tracked file.

use std::collections::BTreeSet;
use std::path::{Component, Path, PathBuf};
use std::process::Command;

/// What refers outside: spelt in pieces so this file does not name them.
fn outside() -> [String; 4] {
    [
        ["..", "/shared"].concat(),
        ["shared", "/DESIGN"].concat(),
        ["DESIGN", ".md"].concat(),
        ["/work", "/"].concat(),
    ]
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The tracked files, or `None` (skipped, failing under CI) outside a git
/// checkout.
fn tracked() -> Option<Vec<String>> {
    let listed = Command::new("git")
        .args(["ls-files", "-z"])
        .current_dir(root())
        .output()
        .ok()
        .filter(|o| o.status.success());
    let Some(listed) = listed else {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must check the tracked files: run it in a git checkout with git installed"
        );
        eprintln!("skipped: the repository's references, for want of git or a git checkout");
        return None;
    };
    Some(
        String::from_utf8(listed.stdout)
            .unwrap()
            .split('\0')
            .filter(|f| !f.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// A tracked file's text, `None` for a binary one.
fn text(file: &str) -> Option<String> {
    let bytes = std::fs::read(root().join(file)).ok()?;
    if bytes.contains(&0) {
        return None;
    }
    String::from_utf8(bytes).ok()
}

#[test]
fn no_tracked_file_refers_outside_the_repository() {
    let Some(files) = tracked() else { return };
    let patterns = outside();
    let offending: Vec<String> = files
        .iter()
        .filter_map(|f| Some((f, text(f)?)))
        .flat_map(|(f, body)| {
            body.lines()
                .enumerate()
                .filter(|(_, line)| patterns.iter().any(|p| line.contains(p.as_str())))
                .map(|(n, line)| format!("{f}:{}: {}", n + 1, line.trim()))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        offending.is_empty(),
        "these lines refer to files outside the repository (document it in docs/ instead):\n{}",
        offending.join("\n")
    );
}

/// `a/b/../c` as `a/c`; `None` when it climbs out of the repository.
fn normalize(path: &Path) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p.to_str()?),
            Component::ParentDir => {
                parts.pop()?;
            }
            Component::CurDir => {}
            _ => return None,
        }
    }
    Some(parts.join("/"))
}

/// The relative targets of `[text](target)` links and images.
fn links(markdown: &str) -> Vec<&str> {
    markdown
        .match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &markdown[at + 2..];
            let target = &rest[..rest.find(')')?];
            let target = target.split_whitespace().next()?;
            let local = !(target.contains("://")
                || target.starts_with('#')
                || target.starts_with("mailto:")
                || target.starts_with('<'));
            local.then(|| target.split('#').next().unwrap_or(target))
        })
        .collect()
}

#[test]
fn every_relative_markdown_link_names_a_tracked_file() {
    let Some(files) = tracked() else { return };
    let known: BTreeSet<&str> = files.iter().map(String::as_str).collect();
    let folders: BTreeSet<String> = files
        .iter()
        .flat_map(|f| {
            Path::new(f)
                .ancestors()
                .skip(1)
                .filter_map(|a| a.to_str().map(str::to_owned))
                .collect::<Vec<_>>()
        })
        .collect();
    let broken: Vec<String> = files
        .iter()
        .filter(|f| f.ends_with(".md"))
        .filter_map(|f| Some((f, text(f)?)))
        .flat_map(|(f, body)| {
            let dir = Path::new(f).parent().unwrap_or(Path::new("")).to_owned();
            links(&body)
                .into_iter()
                .filter(|target| {
                    normalize(&dir.join(target)).is_none_or(|t| {
                        !known.contains(t.trim_end_matches('/')) && !folders.contains(t.trim_end_matches('/'))
                    })
                })
                .map(|target| format!("{f}: ({target})"))
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(
        broken.is_empty(),
        "these Markdown links name no tracked file:\n{}",
        broken.join("\n")
    );
}
