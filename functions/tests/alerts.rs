//! Alerts through the router and one pass of `run_alerts`: subscribe, confirm by
//! POST only, matching offers mailed once, others never, one-click
//! unsubscription, the private page, refusals that keep what was typed.

#![allow(clippy::unwrap_used)]

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::*;
use functions::alerts_run::{AlertsRun, run_alerts};
use offers::alerts::{Alert, AlertStatus};
use offers::demo::demo_offers;
use offers::{Offer, Status};

const FORM: &str =
    "recherche=departement%3D29&email=lea%40exemple.org&frequence=immediate&website=&form_token=";

/// A harness whose alert mails leave without a pause.
fn quick() -> Harness {
    harness_with(|config| config.alert_mails_per_minute = 60_000)
}

/// A listed offer in `commune` (INSEE), titled `title`.
fn listed_offer(seed: u64, commune: &str, title: &str) -> Offer {
    let mut offer = demo_offers(1, seed, clock()).unwrap().remove(0);
    offer.title = title.into();
    offer.commune = Some(commune.into());
    offer.department = None;
    offer.remote = false;
    offer.status = Status::Published;
    offer.published = Some(clock());
    offer.listed = Some(clock());
    offer.expires = clock() + Duration::days(10);
    offer.start = None;
    offer.end = None;
    offer
}

async fn alerts(h: &Harness) -> Vec<Alert> {
    h.store.list_alerts().await.unwrap()
}

/// Subscribes with `form`, confirms from the mail, and returns the alert.
async fn subscribed(h: &Harness, form: &str) -> Alert {
    let sent = h.send(post_to("/api/alerts", form)).await;
    assert_eq!(sent.status(), StatusCode::OK);
    assert!(text(sent).await.contains("Vérifiez votre messagerie"));
    let mail = h.mails().pop().unwrap();
    assert!(mail.contains("Subject: Confirmez votre alerte"), "{mail}");
    let link = link_in(&mail, "/api/alerts/confirm?token=");
    // A mail scanner's GET changes nothing.
    let page = h
        .send(Request::get(&link).body(Body::empty()).unwrap())
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(text(page).await.contains("Activer l&#x27;alerte"));
    let pending = alerts(h).await;
    let pending = pending.iter().find(|a| a.status == AlertStatus::Pending);
    let id = pending.unwrap().id;
    let confirmed = h.send(post_to(&link, "")).await;
    assert_eq!(confirmed.status(), StatusCode::OK);
    assert!(text(confirmed).await.contains("Votre alerte est active"));
    let alert = h.store.get_alert(id).await.unwrap().unwrap();
    assert_eq!(alert.status, AlertStatus::Active);
    alert
}

#[tokio::test]
async fn can_subscribe_confirm_and_receive_only_new_matching_offers_once() {
    let h = quick();
    subscribed(&h, FORM).await;
    assert_eq!(h.mails().len(), 1, "nothing but the confirmation before it");
    let near = listed_offer(1, "29178", "Aide aux devoirs au bourg");
    let far = listed_offer(2, "69123", "Jardinage partage a Lyon");
    h.store.import(&[near.clone(), far.clone()]).await.unwrap();

    let run = run_alerts(&h.state).await.unwrap();
    assert_eq!(run.mailed, 1, "{run:?}");
    let mail = unfolded(&h.mails().pop().unwrap());
    assert!(
        mail.contains("Une nouvelle annonce pour votre alerte"),
        "{mail}"
    );
    assert!(
        mail.contains(&near.title) && !mail.contains(&far.title),
        "{mail}"
    );
    assert!(!mail.contains(&near.email), "never a poster's address");
    for header in [
        "List-Unsubscribe: <http://127.0.0.1:8080/api/alerts/unsubscribe?token=",
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        "List-Id: <alertes.127.0.0.1>",
        "Auto-Submitted: auto-generated",
    ] {
        assert!(mail.contains(header), "{header} in {mail}");
    }
    assert!(mail.contains("/api/alerts/manage?token="));

    // The same offers again (an edit), or nothing new: no mail.
    let mut edited = near.clone();
    edited.title = "Aide aux devoirs, le mercredi".into();
    h.store.import(&[edited]).await.unwrap();
    assert_eq!(run_alerts(&h.state).await.unwrap(), AlertsRun::default());
    assert_eq!(h.mails().len(), 2);

    // One click, by POST from the mailbox provider (no origin of ours).
    let unsubscribe = link_in(&mail, "/api/alerts/unsubscribe?token=");
    let scanned = h
        .send(Request::get(&unsubscribe).body(Body::empty()).unwrap())
        .await;
    assert!(text(scanned).await.contains("Arrêter l&#x27;alerte"));
    assert_eq!(alerts(&h).await.len(), 1, "a GET erases nothing");
    let one_click = Request::post(&unsubscribe)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("List-Unsubscribe=One-Click"))
        .unwrap();
    assert_eq!(h.send(one_click).await.status(), StatusCode::OK);
    assert!(
        alerts(&h).await.is_empty(),
        "the alert and its address are gone"
    );
    let stored = h.store.list_alerts().await.unwrap();
    assert!(!format!("{stored:?}").contains("lea@exemple.org"));
    h.store
        .import(&[listed_offer(3, "29178", "Une autre annonce au bourg")])
        .await
        .unwrap();
    run_alerts(&h.state).await.unwrap();
    assert_eq!(h.mails().len(), 2, "nothing after unsubscribing");
}

#[tokio::test]
async fn leaves_out_an_offer_filled_before_the_mail_and_waits_for_the_day() {
    let h = quick();
    let form = FORM.replace("immediate", "daily");
    let alert = subscribed(&h, &form).await;
    let filled = listed_offer(1, "29178", "Pourvue avant le courriel");
    h.store.import(std::slice::from_ref(&filled)).await.unwrap();
    // Mailed yesterday: today's offers wait for tomorrow's mail.
    let mut mailed_yesterday = h.store.get_alert(alert.id).await.unwrap().unwrap();
    mailed_yesterday.last_sent = Some(clock() - Duration::hours(1));
    h.store.update_alert(&mailed_yesterday).await.unwrap();
    let run = run_alerts(&h.state).await.unwrap();
    assert_eq!((run.queued, run.mailed), (1, 0), "{run:?}");
    let mut closed = h.store.get(filled.id).await.unwrap().unwrap();
    closed.status = Status::Filled;
    h.store.update(&closed).await.unwrap();
    let mut due = h.store.get_alert(alert.id).await.unwrap().unwrap();
    due.due = Some(clock());
    h.store.update_alert(&due).await.unwrap();
    assert_eq!(run_alerts(&h.state).await.unwrap().mailed, 0);
    assert_eq!(h.mails().len(), 1, "only the confirmation");
    let after = h.store.get_alert(alert.id).await.unwrap().unwrap();
    assert!(after.queued.is_empty() && after.due.is_none(), "{after:?}");
}

#[tokio::test]
async fn errors_on_bad_alert_forms_keeping_what_was_typed() {
    let h = quick();
    let bad_address = FORM.replace("lea%40exemple.org", "lea-at-exemple");
    let refused = h.send(post_to("/api/alerts", &bad_address)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(refused).await;
    assert!(
        page.contains("value=\"lea-at-exemple\""),
        "refilled: {page}"
    );
    assert!(
        page.contains("Finistère (29)"),
        "the search in words: {page}"
    );

    let unknown = FORM.replace("departement%3D29", "departement%3D999");
    let refused = h.send(post_to("/api/alerts", &unknown)).await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let no_frequency = FORM.replace("frequence=immediate", "frequence=souvent");
    let refused = h.send(post_to("/api/alerts", &no_frequency)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let elsewhere = Request::post("/api/alerts")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("origin", "https://ailleurs.example")
        .body(Body::from(FORM))
        .unwrap();
    assert_eq!(h.send(elsewhere).await.status(), StatusCode::FORBIDDEN);

    let robot = FORM.replace("website=", "website=http%3A%2F%2Fspam.example");
    assert_eq!(
        h.send(post_to("/api/alerts", &robot)).await.status(),
        StatusCode::OK
    );
    assert!(h.mails().is_empty() && alerts(&h).await.is_empty());
}

#[tokio::test]
async fn an_address_past_its_alerts_is_told_by_mail_and_the_page_tells_nothing() {
    let h = harness_with(|config| config.max_alerts_per_address = 2);
    for department in ["29", "22"] {
        let form = FORM.replace("29", department);
        let sent = h.send(post_to("/api/alerts", &form)).await;
        assert_eq!(sent.status(), StatusCode::OK);
    }
    let third = FORM.replace("29", "56").replace("lea%40", "Lea%2Bautre%40");
    let refused = h.send(post_to("/api/alerts", &third)).await;
    // The page tells nothing apart; the address's owner is told by mail.
    assert_eq!(refused.status(), StatusCode::OK);
    assert!(text(refused).await.contains("Vérifiez votre messagerie"));
    assert_eq!(alerts(&h).await.len(), 2);
    let told = unfolded(&h.mails().pop().unwrap());
    assert!(told.contains("To: Lea+autre@exemple.org"), "{told}");
    assert!(told.contains("Morbihan (56)"), "{told}");
    assert!(told.contains("d=C3=A9j=C3=A0 2, le plus"), "{told}");
}

#[tokio::test]
async fn can_change_pause_and_delete_an_alert_from_its_private_page() {
    let h = quick();
    // The private link is in every alert mail.
    let alert = subscribed(&h, FORM).await;
    h.store
        .import(&[listed_offer(1, "29178", "Collecte alimentaire")])
        .await
        .unwrap();
    run_alerts(&h.state).await.unwrap();
    let mail = unfolded(
        &h.mails()
            .into_iter()
            .find(|m| m.contains("Collecte alimentaire"))
            .unwrap(),
    );
    let manage = link_in(&mail, "/api/alerts/manage?token=");
    let shown = text(
        h.send(Request::get(&manage).body(Body::empty()).unwrap())
            .await,
    )
    .await;
    assert!(shown.contains("Finistère (29)"), "{shown}");

    let mut month_old = h.store.get_alert(alert.id).await.unwrap().unwrap();
    month_old.confirmed = Some(clock() - Duration::days(30));
    h.store.update_alert(&month_old).await.unwrap();
    let near =
        "action=save&frequence=weekly&q=infirmier&pres=Brest+%2829%29&rayon=50&a-distance=oui";
    let saved = h.send(post_to(&manage, near)).await;
    assert_eq!(saved.status(), StatusCode::OK);
    let stored = h.store.get_alert(alert.id).await.unwrap().unwrap();
    assert_eq!(
        stored.confirmed,
        Some(clock()),
        "a new search starts now, not with the month's offers"
    );
    let criteria = stored.criteria.clone();
    assert_eq!(criteria.keywords, "infirmier");
    let place = criteria.near.unwrap();
    assert_eq!(
        (place.commune.as_str(), place.radius, place.remote),
        ("29019", 50, true)
    );
    assert_eq!(stored.frequency.as_str(), "weekly");

    let nowhere = "action=save&frequence=weekly&pres=Nulle+Part+%2899%29&rayon=20";
    let refused = h.send(post_to(&manage, nowhere)).await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        text(refused).await.contains("Nulle Part (99)"),
        "kept as typed"
    );

    h.send(post_to(&manage, "action=pause&frequence=weekly"))
        .await;
    let paused = h.store.get_alert(alert.id).await.unwrap().unwrap();
    assert_eq!(paused.status, AlertStatus::Paused);
    assert!(
        paused.index_key().is_none(),
        "a paused alert is matched by nothing"
    );

    let gone = h.send(post_to(&manage, "action=delete")).await;
    assert!(text(gone).await.contains("Alerte supprimée"));
    assert!(h.store.get_alert(alert.id).await.unwrap().is_none());
    let dead = h
        .send(Request::get(&manage).body(Body::empty()).unwrap())
        .await;
    assert_eq!(dead.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn an_address_that_refused_our_mail_gets_no_more_alerts() {
    let h = quick();
    subscribed(&h, FORM).await;
    // SES's notification of a permanent bounce, as SNS hands it to the function.
    let bounce = |address: &str| {
        let bounce = serde_json::json!({ "eventType": "Bounce", "bounce": {
            "bounceType": "Permanent",
            "bouncedRecipients": [{ "emailAddress": address }] } });
        serde_json::json!({ "Records": [
            { "EventSource": "aws:sns", "Sns": { "Message": bounce.to_string() } }] })
    };
    // A tagged address that bounces takes nothing from the untagged one.
    functions::mail_events::handle(&h.state, &bounce("lea+essai@exemple.org"))
        .await
        .unwrap();
    assert_eq!(alerts(&h).await.len(), 1);
    // The address itself, however it is cased.
    functions::mail_events::handle(&h.state, &bounce("Lea@Exemple.org"))
        .await
        .unwrap();
    assert!(alerts(&h).await.is_empty(), "its alerts are erased");
    let mails = h.mails().len();
    let again = h.send(post_to("/api/alerts", FORM)).await;
    assert_eq!(again.status(), StatusCode::OK, "nothing tells it apart");
    assert_eq!(h.mails().len(), mails, "but nothing is sent");
    assert!(alerts(&h).await.is_empty());
}

#[tokio::test]
async fn a_mail_the_server_defers_stays_queued_and_holds_no_other_up() {
    let h = quick();
    let alert = subscribed(&h, FORM).await;
    // A mailer whose outbox cannot take a mail for now (a file where its
    // folder was: even root cannot write there).
    let outbox = h.dir.path().join("boite");
    let from = "Entraide <ne-pas-repondre@entraide.example>"
        .parse()
        .unwrap();
    let mailer =
        functions::mailer::Mailer::from_url(&format!("file://{}", outbox.display()), from).unwrap();
    let state = functions::AppState {
        mailer: std::sync::Arc::new(mailer),
        ..h.state.clone()
    };
    std::fs::remove_dir(&outbox).unwrap();
    std::fs::write(&outbox, "").unwrap();
    h.store
        .import(&[listed_offer(1, "29178", "Collecte du samedi")])
        .await
        .unwrap();
    let run = run_alerts(&state).await.unwrap();
    assert_eq!((run.queued, run.mailed), (1, 0), "{run:?}");
    let waiting = h.store.get_alert(alert.id).await.unwrap().unwrap();
    assert_eq!(waiting.queued.len(), 1, "nothing lost");
    assert!(waiting.due.is_some());
    // Due again after an interval: it does not stay first in line.
    assert!(waiting.due.unwrap() >= clock() + Duration::seconds(900));
    // The outbox back, an interval later: the next pass mails it.
    std::fs::remove_file(&outbox).unwrap();
    std::fs::create_dir(&outbox).unwrap();
    fn later() -> chrono::DateTime<chrono::Utc> {
        clock() + Duration::minutes(15)
    }
    let state = functions::AppState {
        clock: later,
        ..state
    };
    assert_eq!(run_alerts(&state).await.unwrap().mailed, 1);
}

#[tokio::test]
async fn mails_the_longest_waiting_alerts_first_when_a_pass_cannot_mail_them_all() {
    // One mail a minute, one minute a pass: one mail a pass.
    let h = harness_with(|config| {
        config.alert_mails_per_minute = 1;
        config.alert_interval_seconds = 60;
    });
    let first = subscribed(&h, FORM).await;
    let second = subscribed(&h, &FORM.replace("lea%40", "noe%40")).await;
    let offer = listed_offer(1, "29178", "Visites du mardi");
    h.store.import(std::slice::from_ref(&offer)).await.unwrap();
    for (alert, waited) in [(&first, 1), (&second, 5)] {
        let mut due = h.store.get_alert(alert.id).await.unwrap().unwrap();
        due.queued = vec![offer.id];
        due.due = Some(clock() - Duration::hours(waited));
        h.store.update_alert(&due).await.unwrap();
    }
    let run = run_alerts(&h.state).await.unwrap();
    assert_eq!((run.mailed, run.deferred), (1, 1), "{run:?}");
    let mail = h.mails().pop().unwrap();
    assert!(mail.contains("To: noe@exemple.org"), "{mail}");
    let run = run_alerts(&h.state).await.unwrap();
    assert_eq!((run.mailed, run.deferred), (1, 0), "{run:?}");
    assert!(h.mails().pop().unwrap().contains("To: lea@exemple.org"));
}

#[tokio::test]
async fn a_commune_alert_leads_to_its_commune_for_the_rest() {
    let h = quick();
    subscribed(&h, &FORM.replace("departement%3D29", "commune%3D29178")).await;
    let offers: Vec<Offer> = (0..21)
        .map(|n| listed_offer(n, "29178", &format!("Permanence numero {n}")))
        .collect();
    h.store.import(&offers).await.unwrap();
    assert_eq!(run_alerts(&h.state).await.unwrap().mailed, 1);
    let mail = unfolded(&h.mails().pop().unwrap());
    assert!(mail.contains("Et 1 de plus"), "{mail}");
    assert!(
        mail.contains("http://127.0.0.1:8080/villes/ploudalmezeau-29/"),
        "{mail}"
    );
}

#[tokio::test]
async fn an_offer_whose_change_shows_after_a_later_one_still_reaches_its_alerts() {
    let h = quick();
    subscribed(&h, FORM).await;
    let late = listed_offer(2, "29178", "Arrivee en retard");
    h.store
        .import(&[
            listed_offer(1, "69123", "Avant, a Lyon"),
            late.clone(),
            listed_offer(3, "69123", "Apres, a Lyon"),
        ])
        .await
        .unwrap();
    // The middle change is not visible yet when the pass reads the feed (as
    // when a DynamoDB writer took its number before another, and wrote after).
    let db = rusqlite::Connection::open(h.dir.path().join("test.db")).unwrap();
    let id = late.id.to_string();
    let seq: i64 = db
        .query_row(
            "SELECT seq FROM changes WHERE offer_id = ?1",
            [&id],
            |row| row.get(0),
        )
        .unwrap();
    db.execute("DELETE FROM changes WHERE seq = ?1", [seq])
        .unwrap();
    assert_eq!(run_alerts(&h.state).await.unwrap(), AlertsRun::default());
    db.execute(
        "INSERT INTO changes (seq, offer_id) VALUES (?1, ?2)",
        rusqlite::params![seq, id],
    )
    .unwrap();
    let run = run_alerts(&h.state).await.unwrap();
    assert_eq!((run.queued, run.mailed), (1, 1), "{run:?}");
    assert!(unfolded(&h.mails().pop().unwrap()).contains("Arrivee en retard"));
    assert_eq!(run_alerts(&h.state).await.unwrap(), AlertsRun::default());
    // A matching offer queued, then read again by the next pass: never twice.
    let next = listed_offer(4, "29178", "Encore au bourg");
    h.store.import(std::slice::from_ref(&next)).await.unwrap();
    assert_eq!(run_alerts(&h.state).await.unwrap().queued, 1);
    h.store
        .import(&[listed_offer(5, "69123", "Ailleurs, a Lyon")])
        .await
        .unwrap();
    assert_eq!(
        run_alerts(&h.state).await.unwrap(),
        AlertsRun::default(),
        "read again, never queued twice"
    );
    assert_eq!(run_alerts(&h.state).await.unwrap(), AlertsRun::default());
}

#[tokio::test(start_paused = true)]
async fn mails_leave_at_the_pace_of_the_site() {
    // Ten a minute: one every six seconds (tokio's clock, paused, moves to
    // each pause at once).
    let h = harness_with(|config| config.alert_mails_per_minute = 10);
    for name in ["lea", "noe", "ana"] {
        subscribed(&h, &FORM.replace("lea%40", &format!("{name}%40"))).await;
    }
    h.store
        .import(&[listed_offer(1, "29178", "Visites du jeudi")])
        .await
        .unwrap();
    let started = tokio::time::Instant::now();
    assert_eq!(run_alerts(&h.state).await.unwrap().mailed, 3);
    let spent = started.elapsed();
    assert!(
        spent >= std::time::Duration::from_secs(12) && spent < std::time::Duration::from_secs(18),
        "three mails, two pauses: {spent:?}"
    );
}
