//! The breaking-change check CI runs (`tests/audit/breaking.mjs`): a field
//! removed from the released schema fails it unless CHANGELOG.md announces
//! the removal with its deprecation date; the current schema passes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn check(current: &Path, changelog: &Path) -> Output {
    let root = root();
    Command::new("node")
        .arg(root.join("tests/audit/breaking.mjs"))
        .arg(root.join("schema/released.graphql"))
        .arg(current)
        .arg(changelog)
        .output()
        .unwrap()
}

/// The current schema without the first field of `Query` that takes no
/// arguments, its description included.
fn without_a_field() -> (String, String) {
    const QUOTES: &str = "\t\"\"\"";
    let sdl = std::fs::read_to_string(root().join("schema/schema.graphql")).unwrap();
    let mut lines: Vec<&str> = sdl.lines().collect();
    let start = lines.iter().position(|l| *l == "type Query {").unwrap();
    let (mut inside, mut opened) = (false, start);
    let mut found = None;
    for (i, line) in lines.iter().enumerate().skip(start + 1) {
        if *line == QUOTES {
            inside = !inside;
            if inside {
                opened = i;
            }
        } else if !inside
            && !line.starts_with("\t\t")
            && !line.starts_with("\t)")
            && line.contains(':')
            && !line.contains('(')
        {
            let from = if lines[i - 1] == QUOTES { opened } else { i };
            found = Some((from, i));
            break;
        }
    }
    let (from, at) = found.unwrap();
    let field = lines[at].trim().split(':').next().unwrap().to_owned();
    lines.drain(from..=at);
    (lines.join("\n"), format!("Query.{field}"))
}

#[test]
fn a_removed_field_fails_the_check_unless_the_changelog_announces_it() {
    let dir = root().join("tests/audit");
    let node = Command::new("node").arg("--version").output();
    if node.is_err() || !dir.join("node_modules/graphql/package.json").exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must run this test: install node and `npm install` in tests/audit"
        );
        eprintln!("skipped: the breaking-change check needs node and `npm install` in tests/audit");
        return;
    }
    let changelog = root().join("CHANGELOG.md");
    let current = check(&root().join("schema/schema.graphql"), &changelog);
    assert!(
        current.status.success(),
        "{}",
        String::from_utf8_lossy(&current.stdout)
    );

    let tmp = std::env::temp_dir().join(format!("cp_breaking_{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    let (removed, field) = without_a_field();
    let schema = tmp.join("schema.graphql");
    std::fs::write(&schema, removed).unwrap();
    let out = check(&schema, &changelog);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains(&format!("FIELD_REMOVED: {field} was removed")),
        "{said}"
    );

    // Named without a date is no announcement; with one, it passes.
    let announced = tmp.join("CHANGELOG.md");
    std::fs::write(&announced, format!("# Changelog\n\n- `{field}` removed\n")).unwrap();
    assert_eq!(check(&schema, &announced).status.code(), Some(1));
    std::fs::write(
        &announced,
        format!("# Changelog\n\n- `{field}` removed; deprecated on 2025-01-31\n"),
    )
    .unwrap();
    let out = check(&schema, &announced);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let _ = std::fs::remove_dir_all(&tmp);
}
