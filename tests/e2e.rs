//! The whole platform as its users meet it: the real `entraide serve` binary on a
//! free port, a real SMTP server on 127.0.0.1 (aiosmtpd, installed by the test
//! command) as its mail transport, and HTTP requests as a browser sends them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers, like tests, may unwrap

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use testkit::{Running, free_port, wait_for_port};

/// An SMTP server that drops every mail it receives into a Maildir.
fn smtp_server(maildir: &Path) -> (Running, u16) {
    python_smtp(|port| {
        let listen = format!("127.0.0.1:{port}");
        let args = ["-m", "aiosmtpd", "-n", "-l", &listen, "-c"];
        let mut args: Vec<OsString> = args.into_iter().map(OsString::from).collect();
        args.extend(["aiosmtpd.handlers.Mailbox".into(), maildir.into()]);
        args
    })
}

/// Runs `python3` with the arguments `args` gives for a free port (an aiosmtpd
/// server listening there), and waits for the port.
fn python_smtp(args: impl FnOnce(u16) -> Vec<OsString>) -> (Running, u16) {
    let port = free_port();
    let child = Command::new("python3")
        .args(args(port))
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 with aiosmtpd (scripts/install-test-deps.sh installs it)");
    let running = Running(child);
    wait_for_port(port);
    (running, port)
}

/// Waits for the `count`-th mail to arrive in a Maildir and returns all of
/// them, oldest first.
fn mails(maildir: &Path, count: usize) -> Vec<String> {
    mails_in(&maildir.join("new"), count)
}

/// Waits for the `count`-th mail file in `folder` (a Maildir's `new`, a file
/// outbox) and returns all of them, oldest first.
fn mails_in(folder: &Path, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
            .map(|dir| dir.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        if files.len() >= count {
            files.sort_by_key(|f| std::fs::metadata(f).unwrap().modified().unwrap());
            let mails: Vec<String> = files
                .iter()
                .map(|f| std::fs::read_to_string(f).unwrap())
                .collect();
            // A file outbox's mail shows before it is written whole: every
            // mail ends with its multipart's closing boundary.
            if mails.iter().all(|mail| mail.trim_end().ends_with("--")) {
                return mails;
            }
        }
        assert!(Instant::now() < deadline, "mail {count} never arrived");
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn link_in(mail: &str, path: &str) -> String {
    let unfolded = mail
        .replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=");
    let start = unfolded.find(path).unwrap();
    let end = unfolded[start..]
        .find(|c: char| c.is_whitespace() || matches!(c, '"' | '<' | '>'))
        .unwrap();
    unfolded[start..start + end].to_owned()
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .max_redirects(0)
        .http_status_as_error(false)
        .build()
        .into()
}

/// Status, `Location` and body of an answer.
fn answer(mut response: ureq::http::Response<ureq::Body>) -> (u16, String, String) {
    let location = response
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        response.status().as_u16(),
        location,
        response.body_mut().read_to_string().unwrap(),
    )
}

fn get(url: &str) -> (u16, String, String) {
    answer(agent().get(url).call().unwrap())
}

fn post(url: &str, origin: &str, form: &str) -> (u16, String, String) {
    answer(
        agent()
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("origin", origin)
            .send(form)
            .unwrap(),
    )
}

/// `entraide serve` for the site folder `site`, its store and output in `dir`,
/// listening on `port`, sending mail through `mail`, logging to `dir/serve.log`;
/// stopped when dropped.
fn serve(site: &Path, dir: &Path, port: u16, mail: &str) -> Running {
    serve_with(site, dir, port, mail, &[])
}

/// `serve` with more arguments for `entraide serve`.
fn serve_with(site: &Path, dir: &Path, port: u16, mail: &str, more: &[&str]) -> Running {
    let log = std::fs::File::create(dir.join("serve.log")).unwrap();
    let child = Command::new(env!("CARGO_BIN_EXE_entraide"))
        .arg("--site")
        .arg(site)
        .arg("--store")
        .arg(format!("sqlite://{}", dir.join("entraide.db").display()))
        .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
        .arg("--out")
        .arg(dir.join("public"))
        .args(["--mail", mail])
        .args(more)
        .env(
            "ENTRAIDE_SECRET",
            "une clé de test assez longue pour être acceptée",
        )
        .stdin(Stdio::null())
        .stderr(log)
        .spawn()
        .unwrap();
    Running(child)
}

/// A visitor writes about the offer `id`: the poster receives it with Reply-To
/// the visitor, the visitor gets a trace, and nothing the visitor sees (the
/// offer's `page` included) carries the poster's address.
fn a_visitor_writes(base: &str, maildir: &Path, id: &str, poster_email: &str, page: &str) {
    // A visitor writes; the poster receives it with Reply-To the visitor.
    let message = format!(
        "offer={id}&name=Marie+Le+Gall&email=marie%40exemple.org\
         &message=Bonjour%2C+je+peux+tenir+un+point+de+collecte+le+samedi+13.&website=&form_token="
    );
    let (status, location, visitor_saw) = post(&format!("{base}/api/contact"), base, &message);
    assert_eq!((status, location.as_str()), (303, "/contact/merci/"));
    // The message to the poster, and the visitor's copy.
    let all = mails(maildir, 4);
    let to = |address: &str| {
        all.iter()
            .rev()
            .find(|m| m.lines().any(|l| l == format!("To: {address}")))
            .unwrap_or_else(|| panic!("no mail to {address}"))
    };
    let relayed = all
        .iter()
        .find(|m| m.contains(&format!("To: {poster_email}")) && m.contains("Reply-To:"))
        .expect("the relayed message");
    assert!(
        !to("marie@exemple.org").contains(poster_email),
        "the copy hides the poster"
    );
    assert!(
        relayed
            .lines()
            .any(|l| l.starts_with("Reply-To:") && l.contains("marie@exemple.org")),
        "{relayed}"
    );
    assert!(relayed.contains("Subject: "));
    assert!(relayed.contains("samedi 13"));

    // Nothing the visitor saw carries the poster's address.
    let (_, _, thanks) = get(&format!("{base}/contact/merci/"));
    for seen in [page, &visitor_saw, &thanks] {
        assert!(!seen.contains(poster_email));
    }
}

#[test]
fn a_poster_publishes_and_a_visitor_writes_to_them() {
    let dir = tempfile::tempdir().unwrap();
    let maildir = dir.path().join("maildir");
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _serve = serve(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        dir.path(),
        port,
        &format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
    );
    wait_for_port(port);

    // The poster opens the form and sends it.
    let (status, _, form) = get(&format!("{base}/publier/"));
    assert_eq!(status, 200);
    assert!(form.contains("action=\"/api/offers\""));
    let poster_email = "poster.e2e@exemple.org";
    let offer_form = format!(
        "kind=request&engagement=volunteer&author_kind=association&author_name=Banque+alimentaire+du+L%C3%A9on\
         &domain=associatif&title=B%C3%A9n%C3%A9voles+pour+la+collecte+de+d%C3%A9cembre\
         &description=Nous+cherchons+des+b%C3%A9n%C3%A9voles+pour+tenir+les+points+de+collecte+le+week-end.\
         &skills=Accueil%2C+Manutention&commune=29830&department=&email={}&consent=on&website=&form_token=",
        poster_email.replace('@', "%40")
    );
    let (status, location, _) = post(&format!("{base}/api/offers"), &base, &offer_form);
    assert_eq!(
        status, 422,
        "29830 serves several communes: the poster must choose"
    );
    // As the page's script does: a signed timestamp, then the form sent once a
    // person could have filled it (min_fill_seconds = 3 in site.toml).
    let (status, _, token) = get(&format!("{base}/api/form-token"));
    assert_eq!(status, 200);
    let token: serde_json::Value = serde_json::from_str(&token).unwrap();
    let token = token["token"].as_str().unwrap().to_owned();
    let (status, _, too_fast) = post(
        &format!("{base}/api/offers"),
        &base,
        &format!("{offer_form}{token}"),
    );
    assert_eq!(status, 422);
    assert!(too_fast.contains("envoyé trop vite"));
    std::thread::sleep(Duration::from_secs(3));
    let offer_form = offer_form.replace("commune=29830", "commune=Ploudalmezeau");
    let (status, location_ok, _) = post(
        &format!("{base}/api/offers"),
        &base,
        &format!("{offer_form}{token}"),
    );
    assert_eq!(
        (status, location_ok.as_str()),
        (303, "/publier/merci/"),
        "{location}"
    );

    // The confirmation mail arrives through SMTP; its link publishes the offer.
    let confirm_mail = &mails(&maildir, 1)[0];
    assert!(confirm_mail.contains(&format!("To: {poster_email}")));
    let confirm = link_in(confirm_mail, &format!("{base}/api/offers/confirm?token="));
    // Opened (by the person, or first by a mail scanner): a button, nothing done.
    let (status, _, button) = get(&confirm);
    assert_eq!(status, 200);
    assert!(button.contains("Publier mon annonce"), "{button}");
    let (status, location, _) = post(&confirm, &base, "");
    let offer_path = location.trim_end_matches("#publiee").to_owned();
    assert!(location.ends_with("#publiee"), "{location}");
    assert_eq!(status, 303);
    assert!(offer_path.starts_with("/annonces/"), "{offer_path}");
    let (status, _, page) = get(&format!("{base}{offer_path}"));
    assert_eq!(
        status, 200,
        "the offer is live as soon as the link is followed"
    );
    assert!(page.contains("Bénévoles pour la collecte de décembre"));
    let management_mail = &mails(&maildir, 2)[1];
    assert!(management_mail.contains("/api/offers/manage?token="));

    let id = offer_path
        .trim_start_matches("/annonces/")
        .trim_end_matches('/');
    a_visitor_writes(&base, &maildir, id, poster_email, &page);

    // The poster edits, marks as filled, then deletes through the private link.
    let manage = link_in(management_mail, &format!("{base}/api/offers/manage?token="));
    let version = |page: &str| {
        let marker = "name=\"version\" value=\"";
        let start = page.find(marker).unwrap() + marker.len();
        page[start..].split('"').next().unwrap().to_owned()
    };
    let (status, _, manage_page) = get(&manage);
    assert_eq!(status, 200);
    let edit = offer_form
        .replace(
            "B%C3%A9n%C3%A9voles+pour+la+collecte+de+d%C3%A9cembre",
            "B%C3%A9n%C3%A9voles+pour+la+grande+collecte",
        )
        .replace("&consent=on&website=&form_token=", "")
        + &format!("&action=edit&version={}", version(&manage_page));
    let (status, _, answer) = post(&manage, &base, &edit);
    assert_eq!(status, 303, "{answer}");
    let (_, _, page) = get(&format!("{base}{offer_path}"));
    assert!(
        page.contains("Bénévoles pour la grande collecte"),
        "the edit is live"
    );

    let (_, _, manage_page) = get(&manage);
    let (status, _, _) = post(
        &manage,
        &base,
        &format!("action=fill&version={}", version(&manage_page)),
    );
    assert_eq!(status, 303);
    let (status, _, page) = get(&format!("{base}{offer_path}"));
    assert_eq!(status, 200);
    assert!(
        page.contains("class=\"banner\"") && page.contains("pourvue"),
        "a filled offer keeps its page, with a banner"
    );
    let (_, _, listing) = get(&format!("{base}/annonces/"));
    assert!(!listing.contains(&offer_path), "and leaves the listings");

    let (_, _, manage_page) = get(&manage);
    let (status, _, _) = post(
        &manage,
        &base,
        &format!(
            "action=delete&confirm=oui&version={}",
            version(&manage_page)
        ),
    );
    assert_eq!(status, 200);
    let (status, _, _) = get(&format!("{base}{offer_path}"));
    assert_eq!(status, 404, "erased from the site");

    // The log names offers, never a private link or an address.
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(log.contains(id), "{log}");
    for secret in ["token=", poster_email, "marie@exemple.org"] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Polls `url` until its body contains `text`.
fn eventually_contains(url: &str, text: &str) -> bool {
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if get(url).2.contains(text) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    false
}

#[test]
fn serve_rebuilds_when_content_or_theme_files_change() {
    let dir = tempfile::tempdir().unwrap();
    let site = dir.path().join("site");
    for folder in ["content", "themes"] {
        std::fs::create_dir_all(site.join(folder)).unwrap();
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
            &site.join(folder),
        );
    }
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let outbox = format!("file://{}", dir.path().join("outbox").display());
    let _serve = serve(&site, dir.path(), port, &outbox);
    wait_for_port(port);

    // At rest, it stays at rest: reading its own files is no change.
    std::thread::sleep(Duration::from_secs(10));
    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    assert!(
        !log.contains("site modifié") && !log.contains("pages en ligne"),
        "an idle serve rebuilt:\n{log}"
    );

    let page = site.join("content/a-propos.md");
    let text = std::fs::read_to_string(&page).unwrap();
    std::fs::write(
        &page,
        format!("{text}\nUne phrase ajoutée pendant que le site tourne.\n"),
    )
    .unwrap();
    assert!(eventually_contains(
        &format!("{base}/a-propos/"),
        "Une phrase ajoutée pendant que le site tourne."
    ));

    // A broken config is reported and the running site kept.
    let config = site.join("content/site.toml");
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, format!("{good}\nclé_inconnue = 1\n")).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(get(&format!("{base}/a-propos/")).0, 200);

    // The theme too: a template change shows on the next rebuild.
    std::fs::write(&config, good).unwrap();
    let template = site.join("themes/default/templates/404.html");
    let html = std::fs::read_to_string(&template).unwrap();
    std::fs::write(
        &template,
        html.replace("Page introuvable", "Page vraiment introuvable"),
    )
    .unwrap();
    assert!(eventually_contains(
        &format!("{base}/nulle-part/"),
        "Page vraiment introuvable"
    ));
}

/// Every file under `root` except the build's manifest, by relative path.
fn site_files(root: &Path) -> std::collections::BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .map(|entry| entry.unwrap())
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            let path = entry.path().strip_prefix(root).unwrap().to_owned();
            (path, std::fs::read(entry.path()).unwrap())
        })
        .collect()
}

#[test]
fn a_serve_killed_in_the_middle_of_a_rebuild_restarts_to_the_site_of_its_store() {
    let dir = tempfile::tempdir().unwrap();
    let site = Path::new(env!("CARGO_MANIFEST_DIR"));
    let store = format!("sqlite://{}", dir.path().join("entraide.db").display());
    let entraide = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_entraide"))
            .arg("--site")
            .arg(site)
            .args(["--store", &store])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap()
    };
    entraide(&["demo", "--count", "400", "--seed", "5"]);
    let pending: Vec<String> = entraide(&["export"])
        .lines()
        .map(|line| serde_json::from_str::<serde_json::Value>(line).unwrap())
        .filter(|offer| offer["status"] == "pending")
        .map(|offer| offer["id"].as_str().unwrap().to_owned())
        .collect();
    let secret = functions::tokens::Secret::new("une clé de test assez longue pour être acceptée");
    let outbox = format!("file://{}", dir.path().join("outbox").display());
    // Each round publishes one offer and kills serve at a different moment of
    // the rebuild that follows (SIGKILL: nothing is flushed, no clean-up runs).
    for (round, id) in pending.iter().take(4).enumerate() {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut serve = serve(site, dir.path(), port, &outbox);
        wait_for_port(port);
        let now = chrono::Utc::now().timestamp();
        let token = secret.sign(functions::tokens::Purpose::Confirm, id, 1, now, now + 3600);
        let confirm = format!("{base}/api/offers/confirm?token={token}");
        let origin = base.clone();
        let publish = std::thread::spawn(move || {
            let _ = agent().post(&confirm).header("origin", &origin).send("");
        });
        std::thread::sleep(Duration::from_millis(5 + 15 * round as u64));
        serve.0.kill().unwrap();
        serve.0.wait().unwrap();
        publish.join().unwrap();
    }
    // Restarted, it serves the site a full build of the store gives.
    let port = free_port();
    let _serve = serve(site, dir.path(), port, &outbox);
    wait_for_port(port);
    let fresh = dir.path().join("fresh");
    let base = format!("http://127.0.0.1:{port}");
    entraide(&[
        "build",
        "--out",
        fresh.to_str().unwrap(),
        "--base-url",
        &base,
    ]);
    let (served, built) = (site_files(&dir.path().join("public")), site_files(&fresh));
    let differ: Vec<&PathBuf> = served
        .keys()
        .chain(built.keys())
        .filter(|path| served.get(*path) != built.get(*path))
        .take(10)
        .collect();
    assert!(
        differ.is_empty(),
        "files that differ from a full build: {differ:?}"
    );
    let published = entraide(&["export"])
        .lines()
        .filter(|line| pending.iter().take(4).any(|id| line.contains(id.as_str())))
        .filter(|line| line.contains("\"status\":\"published\""))
        .count();
    eprintln!("offers published before a kill: {published} of 4");
}

/// A copy of the site whose alerts are matched and mailed every 2 seconds.
fn quick_alerts_site(dir: &Path) -> PathBuf {
    site_copy(
        dir,
        &[
            ("alert_interval_seconds = 900", "alert_interval_seconds = 2"),
            (
                "alert_mails_per_minute = 60",
                "alert_mails_per_minute = 6000",
            ),
        ],
    )
}

/// A copy of the site in `dir`, its site.toml changed by `(from, to)` pairs.
fn site_copy(dir: &Path, changes: &[(&str, &str)]) -> PathBuf {
    let site = dir.join("site");
    for folder in ["content", "themes"] {
        std::fs::create_dir_all(site.join(folder)).unwrap();
        copy_tree(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join(folder),
            &site.join(folder),
        );
    }
    let config = site.join("content/site.toml");
    let mut text = std::fs::read_to_string(&config).unwrap();
    for (from, to) in changes {
        assert!(text.contains(from), "{from} not in site.toml");
        text = text.replace(from, to);
    }
    std::fs::write(&config, text).unwrap();
    site
}

/// Posts an offer in `commune` and confirms it from its mail (the `count`-th
/// in `inbox`).
fn a_confirmed_offer(base: &str, inbox: &Path, count: usize, title: &str, commune: &str) {
    let form = format!(
        "kind=request&engagement=volunteer&author_kind=association&author_name=Association+du+bourg\
         &domain=associatif&title={title}\
         &description=Nous+cherchons+des+b%C3%A9n%C3%A9voles+pour+tenir+les+points+de+collecte+le+week-end.\
         &skills=Accueil&commune={commune}&department=&email=association%40exemple.org&consent=on&website=&form_token="
    );
    let (status, _, _) = post(&format!("{base}/api/offers"), base, &form);
    assert_eq!(status, 303, "{title}");
    let mail = mails_in(inbox, count).pop().unwrap();
    let confirm = link_in(&mail, &format!("{base}/api/offers/confirm?token="));
    assert_eq!(post(&confirm, base, "").0, 303, "{title} confirmed");
}

/// Subscribes from a department's listing, confirms, gets the matching offer
/// (and not the other) by mail, unsubscribes in one click, and gets nothing
/// more; `inbox` is where the mails land (a file outbox, or a Maildir's `new`).
fn a_visitor_follows_a_department(base: &str, inbox: &Path, dir: &Path) {
    let (status, _, listing) = get(&format!("{base}/departements/29-finistere/"));
    assert_eq!(status, 200);
    assert!(
        listing.contains("action=\"/api/alerts\""),
        "the form is on the listing"
    );
    assert!(listing.contains("name=\"recherche\" value=\"departement=29\""));
    let form = "recherche=departement%3D29&email=alerte.e2e%40exemple.org&frequence=immediate&website=&form_token=";
    let (status, _, page) = post(&format!("{base}/api/alerts"), base, form);
    assert_eq!(status, 200, "{page}");
    let confirm_mail = mails_in(inbox, 1).pop().unwrap();
    let confirm = link_in(&confirm_mail, &format!("{base}/api/alerts/confirm?token="));
    assert_eq!(get(&confirm).0, 200, "a button, nothing done");
    let (status, _, active) = post(&confirm, base, "");
    assert_eq!(status, 200);
    assert!(active.contains("Votre alerte est active"));

    // Two offers: one in Finistère, one in Lyon; each confirmed, then the
    // poster's « en ligne » mail.
    a_confirmed_offer(base, inbox, 2, "Collecte+au+bourg", "Ploudalmezeau");
    a_confirmed_offer(base, inbox, 4, "Collecte+en+ville", "Lyon");
    let all = mails_in(inbox, 6);
    let alert_mail = all
        .iter()
        .find(|mail| mail.contains("pour votre alerte"))
        .expect("the alert mail");
    assert!(alert_mail.contains("To: alerte.e2e@exemple.org"));
    assert!(alert_mail.contains("Collecte au bourg") && !alert_mail.contains("Collecte en ville"));
    assert!(alert_mail.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    assert!(
        !alert_mail.contains("association@exemple.org"),
        "never the poster's address"
    );

    // One click, as a mailbox provider posts it: no origin of ours.
    let unsubscribe = link_in(alert_mail, &format!("{base}/api/alerts/unsubscribe?token="));
    let (status, _, _) = answer(
        agent()
            .post(&unsubscribe)
            .header("content-type", "application/x-www-form-urlencoded")
            .send("List-Unsubscribe=One-Click")
            .unwrap(),
    );
    assert_eq!(status, 200);
    a_confirmed_offer(base, inbox, 7, "Encore+au+bourg", "Ploudalmezeau");
    std::thread::sleep(Duration::from_secs(5));
    let after = mails_in(inbox, 8);
    assert_eq!(after.len(), 8, "the offer's two mails, no alert mail");
    assert!(
        !exported(dir).contains("alerte.e2e@"),
        "the address is gone from the store"
    );
}

#[test]
fn a_visitor_gets_new_offers_by_mail_through_the_file_outbox() {
    let dir = tempfile::tempdir().unwrap();
    let site = quick_alerts_site(dir.path());
    let outbox = dir.path().join("outbox");
    let port = free_port();
    let _serve = serve(
        &site,
        dir.path(),
        port,
        &format!("file://{}", outbox.display()),
    );
    wait_for_port(port);
    a_visitor_follows_a_department(&format!("http://127.0.0.1:{port}"), &outbox, dir.path());
}

#[test]
fn a_visitor_gets_new_offers_by_mail_through_smtp() {
    let dir = tempfile::tempdir().unwrap();
    let site = quick_alerts_site(dir.path());
    let maildir = dir.path().join("maildir");
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let port = free_port();
    let mail = format!("smtp://127.0.0.1:{smtp_port}?tls=none");
    let _serve = serve(&site, dir.path(), port, &mail);
    wait_for_port(port);
    a_visitor_follows_a_department(
        &format!("http://127.0.0.1:{port}"),
        &maildir.join("new"),
        dir.path(),
    );
}

/// An SMTP server that refuses for good (550, at RCPT time) the addresses
/// written in the file `refused`, and drops the other mails into a Maildir.
fn refusing_smtp_server(maildir: &Path, refused: &Path) -> (Running, u16) {
    const SERVER: &str = r#"
import pathlib, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
port, maildir, refused = int(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
class Refusing(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if refused.exists() and address in refused.read_text().split():
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"
Controller(Refusing(maildir), hostname="127.0.0.1", port=port).start()
threading.Event().wait()
"#;
    python_smtp(|port| {
        vec![
            "-c".into(),
            SERVER.into(),
            port.to_string().into(),
            maildir.into(),
            refused.into(),
        ]
    })
}

/// What `entraide export` writes of the store in `dir`.
fn exported(dir: &Path) -> String {
    let export = Command::new(env!("CARGO_BIN_EXE_entraide"))
        .arg("--store")
        .arg(format!("sqlite://{}", dir.join("entraide.db").display()))
        .arg("export")
        .output()
        .unwrap();
    String::from_utf8(export.stdout).unwrap()
}

#[test]
fn an_address_a_real_smtp_server_refuses_for_good_loses_its_alerts() {
    let dir = tempfile::tempdir().unwrap();
    let site = quick_alerts_site(dir.path());
    let maildir = dir.path().join("maildir");
    let refused = dir.path().join("refused");
    let (_smtp, smtp_port) = refusing_smtp_server(&maildir, &refused);
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _serve = serve(
        &site,
        dir.path(),
        port,
        &format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
    );
    wait_for_port(port);
    let inbox = maildir.join("new");
    let form = "recherche=departement%3D29&email=partie%40exemple.org&frequence=immediate&website=&form_token=";
    assert_eq!(post(&format!("{base}/api/alerts"), &base, form).0, 200);
    let confirm_mail = mails_in(&inbox, 1).pop().unwrap();
    let confirm = link_in(&confirm_mail, &format!("{base}/api/alerts/confirm?token="));
    assert_eq!(post(&confirm, &base, "").0, 200);
    assert!(exported(dir.path()).contains("partie@exemple.org"));

    // The mailbox is gone: the alert mail is refused with a 550.
    std::fs::write(&refused, "partie@exemple.org").unwrap();
    a_confirmed_offer(&base, &inbox, 2, "Collecte+au+bourg", "Ploudalmezeau");
    let deadline = Instant::now() + Duration::from_secs(30);
    while exported(dir.path()).contains("partie@exemple.org") {
        assert!(
            Instant::now() < deadline,
            "the refused address is still stored"
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    assert_eq!(mails_in(&inbox, 3).len(), 3, "the offer's two mails only");

    // Even once the server takes it again, the address gets nothing for a year,
    // and the form says what it says for any address.
    std::fs::remove_file(&refused).unwrap();
    let (status, _, page) = post(&format!("{base}/api/alerts"), &base, form);
    assert_eq!(status, 200);
    assert!(page.contains("Vérifiez votre messagerie"));
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(mails_in(&inbox, 3).len(), 3, "no confirmation mailed");
    assert!(!exported(dir.path()).contains("partie@exemple.org"));
}

/// Sends `raw` by SMTP (Python's smtplib, a client of its own) from `from` to
/// `to` through the server on `port`: `OK`, or the server's refusal.
fn smtp_send(port: u16, from: &str, to: &str, raw: &str) -> String {
    const CLIENT: &str = r#"
import smtplib, sys
port, sender, recipient = int(sys.argv[1]), sys.argv[2], sys.argv[3]
raw = sys.stdin.buffer.read()
try:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        smtp.sendmail(sender, [recipient], raw)
    print("OK")
except smtplib.SMTPRecipientsRefused as refused:
    code, text = list(refused.recipients.values())[0]
    print("REFUSED", code, text.decode())
except smtplib.SMTPDataError as refused:
    print("REFUSED", refused.smtp_code, refused.smtp_error.decode())
"#;
    let mut child = Command::new("python3")
        .args(["-c", CLIENT, &port.to_string(), from, to])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(raw.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

/// The address a mail's `Reply-To` names.
fn reply_to(mail: &str) -> String {
    let line = mail
        .lines()
        .find(|line| line.starts_with("Reply-To:"))
        .unwrap_or_else(|| panic!("no Reply-To in {mail}"));
    line.rsplit('<')
        .next()
        .unwrap()
        .trim_end_matches('>')
        .to_owned()
}

/// A plain reply as a mail client writes it.
fn reply(from: &str, to: &str, subject: &str, text: &str, extra_headers: &str) -> String {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\n{extra_headers}\
         MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: 8bit\r\n\r\n{text}\r\n"
    )
}

/// The headers of a mail and the text the platform wrote in it, as a reader
/// sees them (quoted-printable undone).
fn readable(mail: &str) -> String {
    mail.replace("=\r\n", "")
        .replace("=\n", "")
        .replace("=3D", "=")
        .replace("=40", "@")
}

#[test]
fn a_poster_and_a_visitor_write_to_each_other_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    let site = site_copy(
        dir.path(),
        &[(
            "# reply_domain = \"reponses.exemple.fr\"",
            "reply_domain = \"reponses.entraide.test\"",
        )],
    );
    let maildir = dir.path().join("maildir");
    let (_smtp, smtp_port) = smtp_server(&maildir);
    let port = free_port();
    let inbound = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let _serve = serve_with(
        &site,
        dir.path(),
        port,
        &format!("smtp://127.0.0.1:{smtp_port}?tls=none"),
        &["--inbound-smtp", &format!("127.0.0.1:{inbound}")],
    );
    wait_for_port(port);
    wait_for_port(inbound);
    let inbox = maildir.join("new");
    let poster = "association@exemple.org";
    let visitor = "marie@exemple.org";
    a_confirmed_offer(&base, &inbox, 1, "Collecte+au+bourg", "Ploudalmezeau");
    let published = &mails_in(&inbox, 2)[1];
    let offer_page = link_in(published, &format!("{base}/annonces/"));
    let id = offer_page
        .trim_start_matches(&format!("{base}/annonces/"))
        .trim_end_matches('/')
        .to_owned();

    // A visitor writes: the poster's mail answers to the reply domain and
    // carries no visitor address.
    let message = format!(
        "offer={id}&name=Marie&email=marie%40exemple.org\
         &message=Bonjour%2C+je+peux+tenir+un+point+de+collecte+le+samedi+13.&website=&form_token="
    );
    let (status, _, _) = post(&format!("{base}/api/contact"), &base, &message);
    assert_eq!(status, 303);
    let all = mails_in(&inbox, 4);
    let to_poster = all
        .iter()
        .find(|mail| mail.contains(&format!("To: {poster}")) && mail.contains("Reply-To:"))
        .expect("the visitor's message");
    let poster_writes_to = reply_to(to_poster);
    assert!(
        poster_writes_to.ends_with("@reponses.entraide.test"),
        "{poster_writes_to}"
    );
    assert!(!readable(to_poster).contains(visitor), "{to_poster}");

    // The poster answers by SMTP: the visitor gets it from the platform,
    // without the poster's address anywhere.
    let answer = reply(
        &format!("Association du bourg <{poster}>"),
        &poster_writes_to,
        "Re: Message",
        "Merci Marie, rendez-vous samedi à 9 h devant la mairie.",
        "",
    );
    assert_eq!(smtp_send(inbound, poster, &poster_writes_to, &answer), "OK");
    // Held until the visitor proves the address is theirs (anyone can type
    // one): the link of their copy, then its button.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        mails_in(&inbox, 4).len(),
        4,
        "nothing sent before the proof"
    );
    let copy = mails_in(&inbox, 4)
        .into_iter()
        .find(|mail| mail.contains(&format!("To: {visitor}")))
        .expect("the visitor's copy");
    let confirm = link_in(&copy, &format!("{base}/api/conversations/confirm?token="));
    let (status, _, _) = post(&confirm, &base, "");
    assert_eq!(status, 200);
    let all = mails_in(&inbox, 5);
    let to_visitor = all
        .iter()
        .find(|mail| mail.contains(&format!("To: {visitor}")) && mail.contains("Reply-To:"))
        .expect("the poster's answer");
    assert!(
        readable(to_visitor).contains("rendez-vous samedi"),
        "{to_visitor}"
    );
    assert!(!readable(to_visitor).contains(poster), "{to_visitor}");
    assert!(
        to_visitor.contains("From: \"Association du bourg via Entraide\""),
        "{to_visitor}"
    );
    let visitor_writes_to = reply_to(to_visitor);
    assert_ne!(visitor_writes_to, poster_writes_to);

    // The visitor answers back.
    let back = reply(
        visitor,
        &visitor_writes_to,
        "Re: Re: Message",
        "Parfait, à samedi !",
        "",
    );
    assert_eq!(smtp_send(inbound, visitor, &visitor_writes_to, &back), "OK");
    let all = mails_in(&inbox, 6);
    assert!(
        all.iter()
            .any(|mail| mail.contains(&format!("To: {poster}"))
                && readable(mail).contains("Parfait")
                && !readable(mail).contains(visitor))
    );

    // An out-of-office reply is taken, and not relayed.
    let away = reply(
        visitor,
        &visitor_writes_to,
        "Absence du bureau",
        "Je suis absente jusqu'au 5 janvier.",
        "Auto-Submitted: auto-replied\r\n",
    );
    assert_eq!(smtp_send(inbound, visitor, &visitor_writes_to, &away), "OK");

    // The visitor closes the conversation from the mail's link: the next
    // reply bounces with the reason, in French.
    let close = link_in(
        to_visitor,
        &format!("{base}/api/conversations/close?token="),
    );
    let (status, _, _) = post(&close, &base, "");
    assert_eq!(status, 200);
    let late = smtp_send(inbound, poster, &poster_writes_to, &answer);
    assert!(late.starts_with("REFUSED 550"), "{late}");
    assert!(late.contains("Conversation close"), "{late}");
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(
        mails_in(&inbox, 6).len(),
        6,
        "the auto-reply was not relayed"
    );

    let log = std::fs::read_to_string(dir.path().join("serve.log")).unwrap();
    for secret in [poster, visitor, "token="] {
        assert!(!log.contains(secret), "{secret} logged:\n{log}");
    }
}
