//! The `entraide` command, driven as an operator would.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

#[cfg(feature = "aws")]
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output, Stdio};

#[cfg(feature = "aws")]
use testkit::Moto;

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

/// `entraide` on a DynamoDB table served by moto.
#[cfg(feature = "aws")]
fn entraide_on_dynamodb(moto: &Moto, table: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_entraide"))
        .arg("--site")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--store")
        .arg(format!("dynamodb://{table}"))
        .args(args)
        .envs(moto.aws_env())
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// Every file under `root`, by relative path, with its bytes.
#[cfg(feature = "aws")]
fn tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let path = entry.path();
            let name = path.strip_prefix(root).unwrap().display().to_string();
            (name, std::fs::read(path).unwrap())
        })
        .collect()
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

/// Two alerts as a backup holds them, one line each.
fn alert_lines() -> String {
    use offers::alerts::{Alert, AlertStatus, Frequency};
    let domains = ["medical".to_owned()];
    let mut lines = Vec::new();
    for (n, query) in [
        "departement=29&domaine=medical",
        "pres=brest-29&rayon=50&q=infirmier",
    ]
    .into_iter()
    .enumerate()
    {
        let criteria = offers::search::Criteria::from_query(query, &domains).unwrap();
        let (email, owner) = (format!("alerte{n}@exemple.org"), format!("empreinte{n}"));
        let alert = Alert {
            id: offers::Ulid::from_parts(1_800_000_000_000 + n as u64, 0),
            status: AlertStatus::Active,
            confirmed: Some(chrono::Utc::now()),
            version: 2,
            ..Alert::new(email, owner, criteria, Frequency::Daily, chrono::Utc::now())
        };
        let mut line = Vec::new();
        offers::jsonl::write_alert_line(&mut line, &alert).unwrap();
        lines.push(String::from_utf8(line).unwrap());
    }
    lines.concat()
}

#[test]
fn can_round_trip_a_full_export_with_its_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let (first, second) = (dir.path().join("a.db"), dir.path().join("b.db"));
    ok(entraide(&first, &["demo", "--count", "300", "--seed", "4"]));
    let offers = ok(entraide(&first, &["export"])).stdout;
    assert_eq!(offers.iter().filter(|&&b| b == b'\n').count(), 300);
    let export = format!("{}{}", String::from_utf8(offers).unwrap(), alert_lines());
    let file = dir.path().join("backup.jsonl");
    std::fs::write(&file, &export).unwrap();
    let imported = ok(entraide(&second, &["import", file.to_str().unwrap()]));
    assert!(stderr(&imported).contains("300 annonces et 2 alertes importées"));
    let again = ok(entraide(&second, &["export"])).stdout;
    assert_eq!(String::from_utf8(again).unwrap(), export);
    let public = ok(entraide(&second, &["export", "--public"])).stdout;
    let public = String::from_utf8(public).unwrap();
    assert!(
        !public.contains("\"alert\"") && !public.contains("alerte0@"),
        "never an alert"
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
    let alert = alert_lines()
        .lines()
        .next()
        .unwrap()
        .replace("medical", "inconnu");
    std::fs::write(&file, format!("{broken}{{pas du json\n{alert}\n")).unwrap();
    let output = entraide(&target, &["import", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("rien n'a été écrit"), "{message}");
    assert!(
        message.contains("ligne 1") && message.contains("Choisissez un domaine"),
        "{message}"
    );
    assert!(message.contains("ligne 6 : JSON invalide"), "{message}");
    assert!(message.contains("ligne 7 (alerte "), "{message}");
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
    assert!(out.join("pagefind/buckets.json").is_file());
    // --no-search leaves the pages and takes the index away.
    let pages_only = stderr(&ok(entraide(
        &store,
        &["build", "--no-search", "--out", out.to_str().unwrap()],
    )));
    assert!(!pages_only.contains("search "), "{pages_only}");
    assert!(!out.join("pagefind").exists());
    assert!(out.join("recherche/index.html").is_file());
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

/// DynamoDB and S3 need the `aws` build (the test command builds with every feature).
#[cfg(feature = "aws")]
#[test]
fn can_build_a_byte_identical_site_from_either_store() {
    let moto = Moto::start();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = dir.path().join("a.db");
    let init = ok(entraide_on_dynamodb(&moto, "site", &["store", "init"])).stdout;
    assert!(String::from_utf8_lossy(&init).contains("créée"));
    let again = ok(entraide_on_dynamodb(&moto, "site", &["store", "init"])).stdout;
    assert!(String::from_utf8_lossy(&again).contains("existe déjà"));

    ok(entraide(
        &sqlite,
        &["demo", "--count", "400", "--seed", "8"],
    ));
    let export = dir.path().join("offers.jsonl");
    std::fs::write(&export, ok(entraide(&sqlite, &["export"])).stdout).unwrap();
    let import = ["import", export.to_str().unwrap()];
    ok(entraide_on_dynamodb(&moto, "site", &import));

    let (from_sqlite, from_dynamodb) = (dir.path().join("s"), dir.path().join("d"));
    ok(entraide(
        &sqlite,
        &["build", "--out", from_sqlite.to_str().unwrap()],
    ));
    let build = ["build", "--out", from_dynamodb.to_str().unwrap()];
    ok(entraide_on_dynamodb(&moto, "site", &build));
    let (expected, built) = (tree(&from_sqlite), tree(&from_dynamodb));
    assert!(
        expected.len() > 400,
        "a whole site: {} files",
        expected.len()
    );
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        built.keys().collect::<Vec<_>>()
    );
    for (name, bytes) in &expected {
        assert!(built[name] == *bytes, "{name} differs");
    }
}

#[cfg(feature = "aws")]
#[test]
fn can_publish_a_build_to_s3_and_then_only_changes() {
    let moto = Moto::start();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(moto.bucket("site"));
    let dir = tempfile::tempdir().unwrap();
    let (store, out) = (dir.path().join("a.db"), dir.path().join("public"));
    ok(entraide(&store, &["demo", "--count", "100"]));
    ok(entraide(&store, &["build", "--out", out.to_str().unwrap()]));
    let publish = |out: &Path| {
        Command::new(env!("CARGO_BIN_EXE_entraide"))
            .args(["--store", &format!("sqlite://{}", store.display())])
            .args([
                "publish",
                "--bucket",
                "site",
                "--out",
                out.to_str().unwrap(),
            ])
            .envs(moto.aws_env())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    let first = stderr(&ok(publish(&out)));
    assert!(
        first.contains("site publié sur s3://site") && first.contains(" 0 inchangés"),
        "{first}"
    );
    let again = stderr(&ok(publish(&out)));
    assert!(again.contains(" 0 fichiers envoyés"), "{again}");
    let home = runtime.block_on(
        moto.s3()
            .get_object()
            .bucket("site")
            .key("index.html")
            .send(),
    );
    assert_eq!(
        home.unwrap().content_type(),
        Some("text/html; charset=utf-8")
    );
    let missing = stderr(&publish(&dir.path().join("nothing")));
    assert!(
        missing.contains("ne contient pas de site construit"),
        "{missing}"
    );
}

#[cfg(unix)]
#[test]
fn errors_on_a_short_or_shared_signing_key_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("secret");
    let serve = || {
        Command::new(env!("CARGO_BIN_EXE_entraide"))
            .arg("--site")
            .arg(env!("CARGO_MANIFEST_DIR"))
            .arg("--store")
            .arg(format!(
                "sqlite://{}",
                dir.path().join("entraide.db").display()
            ))
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env_remove("ENTRAIDE_SECRET")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    std::fs::write(&key, "x".repeat(64)).unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = serve();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("chmod 600"), "{}", stderr(&output));

    std::fs::write(&key, "trop courte").unwrap();
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = serve();
    assert!(!output.status.success());
    assert!(
        stderr(&output).contains("trop courte"),
        "{}",
        stderr(&output)
    );
}

#[cfg(unix)]
#[test]
fn serve_creates_its_signing_key_for_the_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let mut serve = Command::new(env!("CARGO_BIN_EXE_entraide"))
        .arg("--site")
        .arg(env!("CARGO_MANIFEST_DIR"))
        .arg("--store")
        .arg(format!(
            "sqlite://{}",
            dir.path().join("data/entraide.db").display()
        ))
        .args(["serve", "--bind", "127.0.0.1:0", "--out"])
        .arg(dir.path().join("public"))
        .env_remove("ENTRAIDE_SECRET")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let key = dir.path().join("data/secret");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !key.exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = serve.kill();
    let _ = serve.wait();
    let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    assert!(std::fs::read(&key).unwrap().len() >= 32);
    let folder = std::fs::metadata(dir.path().join("data"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(folder, 0o700, "the store's folder is the owner's");
}
