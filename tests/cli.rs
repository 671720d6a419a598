//! The `entraide` command, driven as an operator would.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

use std::path::Path;
use std::process::{Command, Output, Stdio};

fn entraide(store: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entraide"))
        .arg("--site")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--store")
        .arg(format!("sqlite://{}", store.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn ok(output: Output) -> Output {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn can_round_trip_a_full_export() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(entraide(&first, &["demo", "--count", "300", "--seed", "4"]));
    let export = ok(entraide(&first, &["export"])).stdout;
    assert_eq!(export.iter().filter(|&&b| b == b'\n').count(), 300);
    let file = dir.path().join("backup.jsonl");
    std::fs::write(&file, &export).unwrap();
    ok(entraide(&second, &["import", file.to_str().unwrap()]));
    let again = ok(entraide(&second, &["export"])).stdout;
    assert_eq!(
        String::from_utf8(again).unwrap(),
        String::from_utf8(export).unwrap()
    );
}

#[test]
fn public_export_drops_private_fields_and_offers() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a.db");
    ok(entraide(&store, &["demo", "--count", "300"]));
    let full = String::from_utf8(ok(entraide(&store, &["export"])).stdout).unwrap();
    let public = String::from_utf8(ok(entraide(&store, &["export", "--public"])).stdout).unwrap();
    assert!(full.contains("\"email\":"));
    assert!(!public.contains('@'), "no email address in a public export");
    assert!(public.lines().count() < full.lines().count());
    for line in public.lines() {
        let record: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(record.get("version").is_none() && record.get("created").is_none());
        assert_ne!(record["status"], "pending");
    }
}

#[test]
fn errors_on_a_bad_import_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (source, target) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(entraide(&source, &["demo", "--count", "5"]));
    let export = String::from_utf8(ok(entraide(&source, &["export"])).stdout).unwrap();
    let broken = export.replacen("\"domain\":\"", "\"domain\":\"inconnu-", 1);
    let file = dir.path().join("broken.jsonl");
    std::fs::write(&file, format!("{broken}{{pas du json\n")).unwrap();
    let output = entraide(&target, &["import", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("rien n'a été écrit"), "{message}");
    assert!(
        message.contains("ligne 1") && message.contains("Choisissez un domaine"),
        "{message}"
    );
    assert!(message.contains("ligne 6 : JSON invalide"), "{message}");
    assert!(ok(entraide(&target, &["export"])).stdout.is_empty());
}

#[test]
fn can_build_and_an_unchanged_rebuild_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("a.db");
    let out = dir.path().join("public");
    ok(entraide(&store, &["demo", "--count", "200"]));
    let first = stderr(&ok(entraide(
        &store,
        &["build", "--out", out.to_str().unwrap()],
    )));
    assert!(first.contains("site construit"), "{first}");
    assert!(out.join("index.html").is_file());
    let second = stderr(&ok(entraide(
        &store,
        &["build", "--out", out.to_str().unwrap()],
    )));
    assert!(
        second.contains(" 0 fichiers écrits") && second.contains(" 0 supprimés"),
        "{second}"
    );
}

#[test]
fn errors_on_a_broken_site_config_with_its_position() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("site/content")).unwrap();
    std::fs::write(
        dir.path().join("site/content/site.toml"),
        "name = \"x\"\nbase_url = 3\n",
    )
    .unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_entraide"))
        .args(["--site", dir.path().join("site").to_str().unwrap()])
        .args([
            "--store",
            &format!("sqlite://{}", dir.path().join("a.db").display()),
        ])
        .args([
            "build",
            "--out",
            dir.path().join("public").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("site.toml") && message.contains("2"),
        "{message}"
    );
    assert!(message.starts_with("erreur"), "{message}");
}

#[test]
fn errors_on_an_unknown_store() {
    let output = Command::new(env!("CARGO_BIN_EXE_entraide"))
        .args(["--store", "mysql://x", "export"])
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("impossible d'ouvrir la base mysql://x"));
}
