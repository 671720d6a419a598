//! Builds of the fixture site (`tests/fixture`) with the default theme.
//!
//! Over 600 lines on purpose: one test per property of a build, sharing the
//! fixture and its helpers.

#![allow(clippy::unwrap_used)] // test helpers, like tests, may unwrap

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use generator::{BuildOptions, BuildReport, LiveSite, Site};
use offers::Offer;
use offers::demo::demo_offers;

fn now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-24T00:00:00Z")
        .unwrap()
        .to_utc()
}

fn fixture_site() -> Site {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Site::load(&root.join("tests/fixture"), &root.join("../themes/default")).unwrap()
}

fn fixture_offers() -> Vec<Offer> {
    demo_offers(60, 42, now()).unwrap()
}

fn build_into(out: &Path, offers: &[Offer]) -> BuildReport {
    build_with(&fixture_site(), out, offers)
}

fn options(out: &Path, search: bool) -> BuildOptions<'static> {
    options_at(out, search, now())
}

fn options_at(out: &Path, search: bool, now: DateTime<Utc>) -> BuildOptions<'static> {
    BuildOptions {
        out: out.to_owned(),
        now,
        force: false,
        search,
        progress: None,
    }
}

fn build_with(site: &Site, out: &Path, offers: &[Offer]) -> BuildReport {
    generator::build(site, offers, &options(out, true)).unwrap()
}

/// Every file of a build (the manifest aside), path → bytes.
fn files(out: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(out)
        .into_iter()
        .map(Result::unwrap)
        .filter(|e| e.file_type().is_file() && e.file_name() != ".manifest.json")
        .map(|e| {
            (
                e.path().strip_prefix(out).unwrap().to_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// Asserts that two outputs hold the same files with the same bytes, naming the
/// files that differ (a byte dump of whole sites says nothing).
fn assert_same_files(left: &Path, right: &Path) {
    let (left, right) = (files(left), files(right));
    let differing: Vec<&PathBuf> = left
        .keys()
        .chain(right.keys().filter(|path| !left.contains_key(*path)))
        .filter(|path| left.get(*path) != right.get(*path))
        .collect();
    let first_difference = |path: &PathBuf| {
        let lines = |files: &BTreeMap<PathBuf, Vec<u8>>| {
            let text = files
                .get(path)
                .map(|bytes| text_of(bytes))
                .unwrap_or_default();
            text.lines().map(str::to_owned).collect::<Vec<_>>()
        };
        let (left, right) = (lines(&left), lines(&right));
        let line = (0..).find(|&i| left.get(i) != right.get(i)).unwrap_or(0);
        format!(
            "{path:?} line {}: {:?} / {:?}",
            line + 1,
            left.get(line),
            right.get(line)
        )
    };
    let details: Vec<String> = differing
        .iter()
        .take(3)
        .map(|p| first_difference(p))
        .collect();
    assert!(
        differing.is_empty(),
        "files that differ: {differing:?}\n{details:#?}"
    );
}

/// A file's text; the search index's gzipped files are read decompressed.
fn text_of(bytes: &[u8]) -> String {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = Vec::new();
        std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(bytes), &mut text).unwrap();
        return String::from_utf8_lossy(&text).into_owned();
    }
    String::from_utf8_lossy(bytes).into_owned()
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn can_build_every_page_type() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    let report = build_into(dir.path(), &offers);
    assert_eq!(report.unchanged, 0);
    for path in [
        "index.html",
        "404.html",
        "robots.txt",
        "sitemap.xml",
        "annonces/index.html",
        "annonces/page/1/index.html",
        "annonces/page/2/index.html",
        "annonces/atom.xml",
        "domaines/index.html",
        "domaines/medical/index.html",
        "domaines/medical/atom.xml",
        "departements/index.html",
        "departements/29-finistere/index.html",
        "departements/29-finistere/atom.xml",
        "regions/index.html",
        "regions/bretagne/index.html",
        "publier/index.html",
        "a-propos/index.html",
        "donnees/annonces.json",
        "donnees/annonces.csv",
    ] {
        assert!(dir.path().join(path).is_file(), "{path} missing");
    }
    let listed: Vec<&Offer> = offers.iter().filter(|o| o.is_listed(now())).collect();
    let first = listed[0];
    let commune = offers::communes::geography()
        .commune(first.commune.as_deref().unwrap_or("29178"))
        .unwrap();
    assert!(
        dir.path()
            .join(format!("villes/{}/index.html", commune.slug))
            .is_file()
    );
    let domain_department = offers::communes::geography()
        .department(first.department_code().unwrap())
        .unwrap();
    assert!(
        dir.path()
            .join(format!(
                "domaines/{}/{}/index.html",
                first.domain, domain_department.slug
            ))
            .is_file()
    );
    let overridden = read(dir.path(), "a-propos/index.html");
    assert!(
        overridden.contains("prose overridden"),
        "site templates override the theme"
    );
}

#[test]
fn listings_show_only_listed_offers_and_pages_follow_status() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let listing: String = std::iter::once("annonces/index.html".to_owned())
        .chain((1..=20).map(|n| format!("annonces/page/{n}/index.html")))
        .filter_map(|p| std::fs::read_to_string(dir.path().join(p)).ok())
        .collect();
    for offer in &offers {
        let page = dir.path().join(format!("annonces/{}/index.html", offer.id));
        let link = format!("href=\"/annonces/{}/\"", offer.id);
        match offer.visible_status(now()) {
            offers::Status::Published => {
                assert!(listing.contains(&link), "{} listed", offer.id);
                assert!(
                    !read(dir.path(), &format!("annonces/{}/index.html", offer.id))
                        .contains("noindex")
                );
            }
            offers::Status::Filled | offers::Status::Expired if offer.is_public(now(), 30) => {
                assert!(!listing.contains(&link), "{} not listed", offer.id);
                let html = std::fs::read_to_string(&page).unwrap();
                assert!(
                    html.contains("class=\"banner\"") && html.contains("noindex"),
                    "{} has a banner",
                    offer.id
                );
            }
            _ => {
                assert!(!listing.contains(&link), "{} not listed", offer.id);
                assert!(!page.exists(), "{} has no page", offer.id);
            }
        }
    }
}

#[test]
fn never_writes_a_contact_email() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let built = files(dir.path());
    assert!(built.len() > 50);
    assert!(built.keys().any(|p| p.starts_with("pagefind")));
    let texts: Vec<(&PathBuf, String)> = built.iter().map(|(p, b)| (p, text_of(b))).collect();
    for offer in &offers {
        for (path, text) in &texts {
            assert!(
                !text.contains(&offer.email),
                "{} leaks in {}",
                offer.email,
                path.display()
            );
        }
    }
    // and the manifest neither
    assert!(!read(dir.path(), ".manifest.json").contains('@'));
}

#[test]
fn same_input_same_bytes_and_an_unchanged_rebuild_writes_nothing() {
    let (one, two) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let offers = fixture_offers();
    build_into(one.path(), &offers);
    build_into(two.path(), &offers);
    assert_same_files(one.path(), two.path());

    let before: BTreeMap<PathBuf, std::time::SystemTime> = files(one.path())
        .keys()
        .map(|p| {
            (
                p.clone(),
                std::fs::metadata(one.path().join(p))
                    .unwrap()
                    .modified()
                    .unwrap(),
            )
        })
        .collect();
    let again = build_into(one.path(), &offers);
    assert_eq!((again.written, again.removed), (0, 0), "{again}");
    for (path, modified) in before {
        assert_eq!(
            std::fs::metadata(one.path().join(&path))
                .unwrap()
                .modified()
                .unwrap(),
            modified,
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_change_rewrites_only_what_shows_it_and_removes_stale_files() {
    let dir = tempfile::tempdir().unwrap();
    let mut offers = fixture_offers();
    let first = build_into(dir.path(), &offers);
    let index = offers.iter().position(|o| o.is_listed(now())).unwrap();
    offers[index].title = "Titre modifié pour le test de reconstruction".into();
    let edited = build_into(dir.path(), &offers);
    assert!(
        edited.written > 0 && edited.written < first.written / 4,
        "{edited}"
    );
    let page = read(
        dir.path(),
        &format!("annonces/{}/index.html", offers[index].id),
    );
    assert!(page.contains("Titre modifié pour le test de reconstruction"));

    let removed = offers.remove(index);
    let after = build_into(dir.path(), &offers);
    assert!(after.removed >= 1, "{after}");
    assert!(
        !dir.path().join(format!("annonces/{}", removed.id)).exists(),
        "the folder goes too"
    );
}

#[test]
fn the_map_links_every_department_with_its_count_and_a_shade_the_legend_explains() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let geo = offers::communes::geography();
    let listed_in = |code: &str| {
        offers
            .iter()
            .filter(|o| o.is_listed(now()) && o.department_code() == Some(code))
            .count()
    };
    for page in ["index.html", "departements/index.html"] {
        let html = read(dir.path(), page);
        let map =
            &html[html.find("<svg class=\"france-map\"").unwrap()..html.find("</svg>").unwrap()];
        // Every department of a region (the overseas collectivities, each a
        // region of its own with a three-digit code, are not drawn).
        let linked = map.matches("<a href=\"/departements/").count();
        let drawn = geo
            .departments()
            .iter()
            .filter(|d| d.region.len() == 2)
            .count();
        assert_eq!(linked, drawn, "{page}");
        let finistere = listed_in("29");
        let name = if finistere == 1 {
            "annonce"
        } else {
            "annonces"
        };
        assert!(
            map.contains(&format!("aria-label=\"Finistère : {finistere} {name}\"")),
            "{page}: {map:.600}"
        );
        // Each shade drawn is one of the legend's.
        let legend = &html[html.find("map-legend").unwrap()..];
        for shade in 0..5 {
            if map.contains(&format!("class=\"shade-{shade}\"")) {
                assert!(
                    legend.contains(&format!("swatch shade-{shade}")),
                    "{page}: shade {shade}"
                );
            }
        }
        assert!(
            !map.contains("shade-\""),
            "{page}: a department without its shade"
        );
    }
    // The same figures as a table.
    let index = read(dir.path(), "departements/index.html");
    let table = &index[index.find("<table class=\"figures\">").unwrap()..];
    assert_eq!(
        table.matches("<th scope=\"row\">").count(),
        geo.departments().len()
    );
}

#[test]
fn open_data_has_public_fields_only() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let records: Vec<serde_json::Value> =
        serde_json::from_str(&read(dir.path(), "donnees/annonces.json")).unwrap();
    assert_eq!(
        records.len(),
        offers.iter().filter(|o| o.is_listed(now())).count()
    );
    for record in &records {
        for private in ["email", "version", "created", "status"] {
            assert!(record.get(private).is_none(), "{private} published");
        }
        // Every offer in a commune has the commune's position, to 3 decimals.
        let placed = !record["commune"].is_null();
        for axis in ["latitude", "longitude"] {
            let degrees = record[axis].as_f64();
            assert_eq!(degrees.is_some(), placed, "{axis} of {record}");
            if let Some(degrees) = degrees {
                assert_eq!((degrees * 1e3).round() / 1e3, degrees, "{axis} of {record}");
            }
        }
    }
    let csv = read(dir.path(), "donnees/annonces.csv");
    assert_eq!(
        csv.lines().next().unwrap(),
        generator::OPEN_DATA_COLUMNS.join(",")
    );
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    assert_eq!(reader.records().count(), records.len());
}

#[test]
fn open_data_csv_cells_are_inert_in_spreadsheets() {
    let dir = tempfile::tempdir().unwrap();
    let mut offers = fixture_offers();
    let listed = offers.iter().position(|o| o.is_listed(now())).unwrap();
    offers[listed].title = "=HYPERLINK(\"https://piege.example\",\"Cliquez\")".into();
    offers[listed].author_name = "@SOMME(A1:A9)".into();
    offers[listed].description = "- une liste\n- en Markdown, comme il se doit".into();
    offers[listed].skills = vec!["+33 en tête".into()];
    offers[listed].commune = Some("29019".into());
    offers[listed].remote = false;
    build_into(dir.path(), &offers);
    let csv = read(dir.path(), "donnees/annonces.csv");
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let id = offers[listed].id.to_string();
    let row = reader
        .records()
        .map(Result::unwrap)
        .find(|row| row[0] == id)
        .unwrap();
    assert_eq!(&row[5], "'@SOMME(A1:A9)");
    assert_eq!(
        &row[7],
        "'=HYPERLINK(\"https://piege.example\",\"Cliquez\")"
    );
    assert_eq!(&row[8], "'- une liste\n- en Markdown, comme il se doit");
    assert_eq!(&row[9], "'+33 en tête");
    // Brest's town hall, 48.3917 -4.4845 in the table: a western longitude is a
    // number, not a formula.
    assert_eq!((&row[12], &row[13]), ("48.392", "-4.485"));
    // The JSON keeps the text as written: only spreadsheets need the apostrophe.
    let json = read(dir.path(), "donnees/annonces.json");
    assert!(json.contains("\"title\":\"=HYPERLINK("), "{json}");
}

#[test]
fn can_build_the_same_bytes_whatever_the_order_of_the_offers() {
    let (given, reversed) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut offers = fixture_offers();
    build_into(given.path(), &offers);
    offers.reverse();
    build_into(reversed.path(), &offers);
    assert_same_files(given.path(), reversed.path());
    assert_eq!(
        read(given.path(), ".manifest.json"),
        read(reversed.path(), ".manifest.json")
    );
}

#[test]
fn golden_pages() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let request = offers
        .iter()
        .find(|o| o.is_listed(now()) && o.kind == offers::Kind::Request)
        .unwrap();
    insta::assert_snapshot!("home", read(dir.path(), "index.html"));
    insta::assert_snapshot!(
        "offer",
        read(dir.path(), &format!("annonces/{}/index.html", request.id))
    );
    insta::assert_snapshot!("domain", read(dir.path(), "domaines/medical/index.html"));
    insta::assert_snapshot!("feed", read(dir.path(), "domaines/medical/atom.xml"));
    insta::assert_snapshot!("robots", read(dir.path(), "robots.txt"));
    insta::assert_snapshot!("archived", read(dir.path(), "annonces/page/2/index.html"));
}

#[test]
fn a_new_offer_leaves_archived_pages_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    let mut offers = fixture_offers();
    build_into(dir.path(), &offers);
    let archived = |dir: &Path| -> Vec<String> {
        (1..)
            .map(|n| format!("annonces/page/{n}/index.html"))
            .take_while(|path| dir.join(path).is_file())
            .map(|path| read(dir, &path))
            .collect()
    };
    let before = archived(dir.path());
    assert!(before.len() >= 3, "the fixture fills several pages");
    let newest = offers.iter().find(|o| o.is_listed(now())).unwrap().clone();
    let id = offers::Ulid::new();
    let newest_link = format!("href=\"/annonces/{id}/\"");
    offers.push(Offer {
        id,
        published: Some(now()),
        ..newest
    });
    build_into(dir.path(), &offers);
    let after = archived(dir.path());
    assert_eq!(after[..before.len()], before[..]);
    assert!(read(dir.path(), "annonces/index.html").contains(&newest_link));
}

/// One change a poster or the platform makes to the offers.
type Change<'a> = Box<dyn Fn(&mut Vec<Offer>) + 'a>;

#[test]
fn rebuilds_after_each_change_give_the_bytes_of_a_full_build() {
    let (incremental, full) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut offers = fixture_offers();
    let extra = demo_offers(65, 42, now()).unwrap();
    build_into(incremental.path(), &offers);
    let listed = |offers: &[Offer]| offers.iter().position(|o| o.is_listed(now())).unwrap();
    let steps: Vec<Change> = vec![
        Box::new(|offers| offers.push(extra[64].clone())), // create
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].title = "Un titre modifié par son auteur".into(); // edit
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].status = offers::Status::Filled; // mark as filled
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].domain = "transport".into(); // move to another domain
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers.remove(i); // erase
        }),
    ];
    for step in steps {
        step(&mut offers);
        build_into(incremental.path(), &offers);
    }
    build_into(full.path(), &offers);
    assert_same_files(incremental.path(), full.path());
}

#[test]
fn a_running_site_after_each_change_gives_the_bytes_of_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let (running, full) = (dir.path().join("running"), dir.path().join("full"));
    let site = fixture_site();
    let mut offers = fixture_offers();
    let extra = demo_offers(70, 42, now()).unwrap();
    let (mut live, first) =
        LiveSite::build(&site, offers.clone(), &options(&running, true)).unwrap();
    let listed = |offers: &[Offer]| offers.iter().position(|o| o.is_listed(now())).unwrap();
    let commune = |offers: &[Offer]| {
        // An offer alone in its commune: moving it away removes that listing.
        let mut counts = BTreeMap::new();
        for offer in offers.iter().filter(|o| o.is_listed(now())) {
            *counts.entry(offer.commune.clone()).or_insert(0) += 1;
        }
        offers
            .iter()
            .position(|o| o.is_listed(now()) && o.commune.is_some() && counts[&o.commune] == 1)
            .unwrap()
    };
    // Each step changes the offers and says which one.
    type Step<'s> = Box<dyn Fn(&mut Vec<Offer>) -> offers::Ulid + 's>;
    // New offers up to a multiple of the page size: the last one opens a new
    // archived page of every listing, and the fill below closes it.
    let page_size = site.config.page_size;
    let listed_count = offers.iter().filter(|o| o.is_listed(now())).count();
    let mut steps: Vec<Step<'_>> = extra
        .iter()
        .filter(|new| new.is_listed(now()) && offers.iter().all(|o| o.id != new.id))
        .take(page_size - listed_count % page_size)
        .map(|new| -> Step<'_> {
            Box::new(move |offers| {
                offers.push(new.clone()); // create
                new.id
            })
        })
        .collect();
    assert_eq!(
        (listed_count + steps.len()) % page_size,
        0,
        "enough new offers"
    );
    steps.extend::<Vec<Step<'_>>>(vec![
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].title = "Un titre modifié par son auteur".into(); // edit
            offers[i].id
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].status = offers::Status::Filled; // mark as filled
            offers[i].id
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers[i].domain = "transport".into(); // move to another domain
            offers[i].id
        }),
        Box::new(|offers| {
            let i = commune(offers);
            offers[i].commune = Some("29212".into()); // move to Brest
            offers[i].id
        }),
        Box::new(|offers| {
            let i = listed(offers);
            offers.remove(i).id // erase
        }),
    ]);
    let mut when = now();
    let same_as_a_full_build = |site: &Site, offers: &[Offer], when| {
        let _ = std::fs::remove_dir_all(&full);
        let whole = generator::build(site, offers, &options_at(&full, true, when)).unwrap();
        assert_same_files(&running, &full);
        assert_eq!(
            read(&running, ".manifest.json"),
            read(&full, ".manifest.json")
        );
        whole
    };
    for step in steps {
        let id = step(&mut offers);
        let change = (id, offers.iter().find(|o| o.id == id).cloned());
        // When the waiting requests are released, the offer's page is there if it
        // is public, gone if it was erased.
        let page = running.join(generator::urls::file_of(&generator::urls::offer(id)));
        let page_then = std::sync::Mutex::new(None);
        let report = live
            .update(
                &site,
                vec![change.clone()],
                &options_at(&running, true, when),
                || *page_then.lock().unwrap() = Some(page.exists()),
            )
            .unwrap();
        let public = change
            .1
            .as_ref()
            .is_some_and(|offer| offer.is_public(when, site.config.keep_closed_days));
        assert_eq!(page_then.into_inner().unwrap(), Some(public), "{id}");
        let whole = same_as_a_full_build(&site, &offers, when);
        assert!(
            report.written + report.unchanged < whole.written / 2,
            "only what shows the change is drawn: {report}"
        );
    }
    // A new config redraws everything, cards and open data records included.
    let mut moved = fixture_site();
    moved.config.base_url = "https://ailleurs.example".into();
    let report = live
        .update(&moved, Vec::new(), &options_at(&running, true, when), || {})
        .unwrap();
    let whole = same_as_a_full_build(&moved, &offers, when);
    assert_eq!(report.written + report.unchanged, whole.written, "{report}");
    assert!(report.offers > 50, "{report}");
    // Time passes: offers expire, the pages of closed ones go.
    when += chrono::Duration::days(200);
    let report = live
        .update(&moved, Vec::new(), &options_at(&running, true, when), || {})
        .unwrap();
    same_as_a_full_build(&moved, &offers, when);
    assert!(report.removed > 50, "{report}");
    assert!(first.written > 100, "{first}");
}

#[test]
fn an_offer_page_tells_it_is_still_needed_how_fast_its_poster_answers_and_how_contact_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut offers = fixture_offers();
    let index = offers.iter().position(|o| o.is_listed(now())).unwrap();
    offers[index].followup.still_needed = Some(now());
    for hours in [30, 50, 10] {
        offers[index].followup.answered(hours);
    }
    let path = format!("annonces/{}/index.html", offers[index].id);
    let mut site = fixture_site();
    build_with(&site, dir.path(), &offers);
    let page = read(dir.path(), &path);
    assert!(
        page.contains("Toujours d'actualité, confirmé le 24 novembre 2026"),
        "{page}"
    );
    assert!(page.contains("Répond en général sous 2 jours"), "{page}");
    assert!(page.contains("voit votre nom et votre adresse"));

    // Two replies only: nothing said yet; a site with the relay says so.
    offers[index].followup.reply_hours.pop();
    site.config.reply_domain = Some("reponses.exemple.fr".into());
    build_with(&site, dir.path(), &offers);
    let page = read(dir.path(), &path);
    assert!(!page.contains("Répond en général"), "{page}");
    assert!(page.contains("ni lui ni vous ne voyez l'adresse de l'autre"));
}

#[test]
fn a_new_base_url_redraws_the_pages() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let mut site = fixture_site();
    site.config.base_url = "https://ailleurs.example".into();
    let options = BuildOptions {
        out: dir.path().to_owned(),
        now: now(),
        force: false,
        search: true,
        progress: None,
    };
    let report = generator::build(&site, &offers, &options).unwrap();
    assert!(report.written > 50, "{report}");
    assert!(
        read(dir.path(), "index.html")
            .contains("<link rel=\"canonical\" href=\"https://ailleurs.example/\">")
    );
}

#[test]
fn offer_pages_drawn_while_loading_give_the_bytes_of_a_full_build() {
    let dir = tempfile::tempdir().unwrap();
    let (streamed, whole) = (dir.path().join("streamed"), dir.path().join("whole"));
    let offers = fixture_offers();
    let options = BuildOptions {
        out: streamed.clone(),
        now: now(),
        force: false,
        search: true,
        progress: None,
    };
    let site = fixture_site();
    let build = generator::Build::start(&site, &options);
    for batch in offers.chunks(17) {
        build.draw_offer_pages(batch).unwrap();
    }
    let report = build.finish(&offers).unwrap();
    assert!(
        report
            .phases
            .iter()
            .any(|(phase, _)| *phase == "offer pages while loading")
    );
    let full = build_into(&whole, &offers);
    assert_eq!(report.written, full.written, "every file counted once");
    assert_same_files(&streamed, &whole);
    assert_eq!(
        read(&streamed, ".manifest.json"),
        read(&whole, ".manifest.json")
    );
    assert_eq!(build_into(&streamed, &offers).written, 0);
}

/// The decompressed text of every file of the search index, by path.
fn index_texts(out: &Path) -> BTreeMap<PathBuf, String> {
    files(out)
        .into_iter()
        .filter(|(path, _)| path.starts_with("pagefind"))
        .map(|(path, bytes)| (path, text_of(&bytes)))
        .collect()
}

#[test]
fn can_index_listed_offers_in_buckets_of_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    let mut site = fixture_site();
    site.config.search_bucket_size = 12;
    let offers = fixture_offers();
    build_with(&site, dir.path(), &offers);
    let buckets: serde_json::Value =
        serde_json::from_str(&read(dir.path(), "pagefind/buckets.json")).unwrap();
    // A query reads by itself the newest buckets that hold two buckets' worth.
    let automatic = buckets["automatic"].as_u64().unwrap() as usize;
    let buckets = buckets["buckets"].as_array().unwrap();
    let counts_read = |n: usize| -> u64 {
        buckets[..n]
            .iter()
            .map(|b| b["count"].as_u64().unwrap())
            .sum()
    };
    assert!(automatic >= 1 && automatic < buckets.len(), "{automatic}");
    assert!(automatic == 1 || counts_read(automatic) <= 24);
    assert!(counts_read(automatic + 1) > 24);
    let listed: Vec<&Offer> = offers.iter().filter(|o| o.is_listed(now())).collect();
    let counts: Vec<u64> = buckets
        .iter()
        .map(|b| b["count"].as_u64().unwrap())
        .collect();
    assert!(counts.len() > 2, "{counts:?}");
    assert!(counts.iter().all(|&c| (1..=12).contains(&c)), "{counts:?}");
    assert_eq!(counts.iter().sum::<u64>(), listed.len() as u64);
    // The script, its worker and the French WebAssembly once, at the root; no UI.
    for root_file in ["pagefind.js", "pagefind-worker.js", "wasm.fr.pagefind"] {
        assert!(dir.path().join("pagefind").join(root_file).is_file());
    }
    let texts = index_texts(dir.path());
    assert!(!texts.keys().any(|p| p.to_string_lossy().contains("-ui")));
    for bucket in buckets {
        let folder = bucket["path"].as_str().unwrap().trim_matches('/');
        assert!(
            dir.path()
                .join(folder)
                .join("pagefind-entry.json")
                .is_file()
        );
        assert!(!dir.path().join(folder).join("pagefind.js").exists());
    }
    // Fragments carry the offers' URLs and titles: listed offers only.
    let fragments: String = texts
        .iter()
        .filter(|(path, _)| path.to_string_lossy().contains("/fragment/"))
        .map(|(_, text)| text.as_str())
        .collect();
    for offer in &offers {
        let url = format!("/annonces/{}/", offer.id);
        assert_eq!(
            fragments.contains(&url),
            offer.is_listed(now()),
            "{url} {:?}",
            offer.status
        );
    }
}

#[test]
fn a_change_reindexes_only_the_bucket_that_holds_the_offer() {
    let dir = tempfile::tempdir().unwrap();
    let mut site = fixture_site();
    site.config.search_bucket_size = 12;
    let mut offers = fixture_offers();
    build_with(&site, dir.path(), &offers);
    // Bytes are deterministic: a rebuilt bucket shows in its files' times, not bytes.
    let times = |out: &Path| -> BTreeMap<PathBuf, std::time::SystemTime> {
        files(out)
            .into_keys()
            .filter(|path| path.starts_with("pagefind"))
            .map(|path| {
                let modified = std::fs::metadata(out.join(&path))
                    .unwrap()
                    .modified()
                    .unwrap();
                (path, modified)
            })
            .collect()
    };
    let before = times(dir.path());
    std::thread::sleep(std::time::Duration::from_millis(20));
    let index = offers.iter().rposition(|o| o.is_listed(now())).unwrap();
    offers[index].title = "Maraîchère cherche renfort zygomatique".into();
    build_with(&site, dir.path(), &offers);
    let changed_folders: std::collections::BTreeSet<String> = times(dir.path())
        .into_iter()
        .filter(|(path, modified)| before.get(path) != Some(modified))
        .map(|(path, _)| path.iter().nth(1).unwrap().to_string_lossy().into_owned())
        .collect();
    // One bucket's folder, and the list of buckets that names its new tag.
    assert_eq!(changed_folders.len(), 2, "{changed_folders:?}");
    assert!(changed_folders.contains("buckets.json"));
    let texts = index_texts(dir.path());
    assert!(texts.values().any(|t| t.contains("zygomatique")));
}

#[test]
fn can_build_without_the_search_index() {
    let dir = tempfile::tempdir().unwrap();
    let offers = fixture_offers();
    build_into(dir.path(), &offers);
    let report = generator::build(&fixture_site(), &offers, &options(dir.path(), false)).unwrap();
    assert!(report.removed > 0, "{report}");
    assert!(!dir.path().join("pagefind").exists());
    assert!(dir.path().join("recherche/index.html").is_file());
}
