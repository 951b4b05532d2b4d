//! graphql-codegen's typed client, as a front-end team would generate it:
//! from `schema/schema.graphql` and the example operations of
//! `schema/operations`, with no scalar or key mapping written by hand
//! (`tests/audit/codegen.yml`), its types then compile, strict, with a
//! typed Apollo Client call over them (`tests/audit/typed.ts`,
//! `tests/audit/tsconfig.json`). Without node or the packages it is
//! skipped, except under CI, which installs them.

use std::process::Command;

use tests::node::audit_packages;

#[test]
fn codegen_types_compile_strict_with_no_hand_written_mappings() {
    let packages = [
        "@graphql-codegen/cli",
        "@graphql-codegen/typescript",
        "@graphql-codegen/typescript-operations",
        "typescript",
        "@apollo/client",
    ];
    let Some(dir) = audit_packages(&packages, "the graphql-codegen test") else {
        return;
    };
    for (what, args) in [
        (
            "graphql-codegen",
            [
                "node_modules/@graphql-codegen/cli/cjs/bin.js",
                "--config",
                "codegen.yml",
            ],
        ),
        ("tsc", ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json"]),
    ] {
        let out = Command::new("node")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{what} failed:\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
