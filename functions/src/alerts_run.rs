//! One pass of the alerts (every `alert_interval_seconds` in `entraide serve`,
//! on a schedule on AWS): offers listed since the last pass are matched against
//! the confirmed alerts and queued on each, then every alert whose mail is due
//! gets one mail with what is still listed of its queue, at the mailer's pace.
//!
//! Nothing is lost on a crash: the change-feed cursor moves once the matches
//! are stored (a pass run again queues nothing twice), and a queue is emptied
//! once its mail has left.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, Utc};
use generator::Site;
use offers::alerts::{Alert, AlertIndex, AlertStatus, Hit, candidate_keys};
use offers::communes::geography;
use offers::search::{Criteria, distance_km};
use offers::{Offer, Ulid};
use rayon::prelude::*;
use serde::Serialize;

use crate::alerts_api::{change_alert, suppressed};
use crate::error::AppError;
use crate::limits;
use crate::mailer::{List, MailError, Outgoing};
use crate::signed_links::alert_link;
use crate::state::AppState;
use crate::tokens::Purpose;

/// The change-feed cursor of the alerts.
const CURSOR: &str = "alerts";
/// Where the previous pass began reading: each pass reads again what the
/// previous one read. On DynamoDB a writer takes its change number, then
/// writes, so a pass may see number N+1 before N is written and move past N;
/// read again one pass later, N is found (an alert never takes an offer twice).
const SETTLED: &str = "alerts-settled";
/// Offers listed in one mail; a link leads to the rest.
pub const MAIL_OFFERS: usize = 20;
/// How long an address that refused our mail stays refused.
pub const SUPPRESSED_DAYS: i64 = 365;

/// What a pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct AlertsRun {
    /// (alert, offer) pairs queued.
    pub queued: usize,
    pub mailed: usize,
    /// Due alerts left for the next pass (the pace allows so many mails a pass).
    pub deferred: usize,
    /// What the hourly follow-up of the offers did.
    pub followed: crate::followups::Followed,
}

/// A domain's label (its slug if the site no longer has it).
fn domain_label(site: &Site, slug: &str) -> String {
    site.config
        .domain(slug)
        .map_or_else(|| slug.to_owned(), |d| d.label.clone())
}

/// An alert's criteria in words, the site's domain labels used.
pub fn describe(site: &Site, criteria: &Criteria) -> String {
    criteria.describe(|slug| domain_label(site, slug))
}

fn interval(state: &AppState) -> Duration {
    let seconds = state.site().config.alert_interval_seconds;
    Duration::seconds(i64::try_from(seconds).unwrap_or(i64::MAX / 1000))
}

/// When an active alert with offers waiting may next be mailed: its previous
/// mail plus its period (`alert_interval_seconds`, a day, a week), or now.
pub(crate) fn next_due(
    state: &AppState,
    alert: &Alert,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (alert.status == AlertStatus::Active && !alert.queued.is_empty()).then(|| {
        let period = alert.frequency.period(interval(state));
        alert.last_sent.map_or(now, |last| (last + period).max(now))
    })
}

/// One pass: match, then mail.
pub async fn run_alerts(state: &AppState) -> Result<AlertsRun, AppError> {
    // The interval less a minute, from the start of the pass: a pass ends
    // before the next one starts (and within a Lambda's 15 minutes), however
    // slow the store or the mail server is.
    let seconds = state.site().config.alert_interval_seconds;
    let deadline =
        tokio::time::Instant::now() + StdDuration::from_secs(seconds.saturating_sub(60).max(60));
    let queued = match_new_offers(state).await?;
    let mut pace = Pace::new(state.site().config.alert_mails_per_minute, deadline);
    let (mailed, deferred) = mail_due_alerts(state, &mut pace).await?;
    let followed = crate::followups::run_followups(state, &mut pace).await?;
    let run = AlertsRun {
        queued,
        mailed,
        deferred,
        followed,
    };
    if run != AlertsRun::default() {
        tracing::info!(?run, "alerts");
    }
    Ok(run)
}

/// Queues the offers listed since the last pass on the alerts they match.
async fn match_new_offers(state: &AppState) -> Result<usize, AppError> {
    let store = &state.store;
    let internal = AppError::internal;
    let latest = store.cursor(CURSOR).await.map_err(internal)?;
    // Saved plus one, so that a store that never had it (0) starts where the
    // alerts are, not with the whole feed.
    let settled = store.cursor(SETTLED).await.map_err(internal)?;
    let from = settled.checked_sub(1).map_or(latest, |s| s.min(latest));
    let changes = store.changes_since(from).await.map_err(internal)?;
    if from == latest && changes.cursor == latest {
        return Ok(0);
    }
    let now = state.now();
    let mut offers = Vec::new();
    for id in &changes.ids {
        if let Some(offer) = store.get(*id).await.map_err(internal)?
            && offer.is_listed(now)
            && offer.listed.is_some()
        {
            offers.push(offer);
        }
    }
    let keys: BTreeSet<String> = offers.iter().flat_map(candidate_keys).collect();
    let mut alerts = Vec::new();
    for key in &keys {
        alerts.extend(store.alerts_by_key(key).await.map_err(internal)?);
    }
    let (alerts, offers, found) = tokio::task::spawn_blocking(move || {
        let found = match_offers(&alerts, &offers);
        (alerts, offers, found)
    })
    .await
    .map_err(AppError::internal)?;
    let mut queued = 0;
    for (position, matched) in found {
        queued += matched.len();
        let ids: Vec<Ulid> = matched.iter().map(|&offer| offers[offer].id).collect();
        let matched = alerts[position].criteria.clone();
        change_alert(state, alerts[position].clone(), |alert| {
            // Changed or paused meanwhile: these matches are not for it.
            if alert.status != AlertStatus::Active || alert.criteria != matched {
                return;
            }
            alert.enqueue(&ids);
            if alert.due.is_none() {
                alert.due = next_due(state, alert, now);
            }
        })
        .await?;
    }
    store
        .save_cursor(CURSOR, changes.cursor.max(latest))
        .await
        .map_err(internal)?;
    store
        .save_cursor(SETTLED, latest.saturating_add(1))
        .await
        .map_err(internal)?;
    Ok(queued)
}

/// The offers each alert matches, by position in `alerts` and in `offers`,
/// the offers shared out between the cores.
pub fn match_offers(alerts: &[Alert], offers: &[Offer]) -> HashMap<usize, Vec<usize>> {
    let index = AlertIndex::new(alerts);
    let hits: Vec<Vec<Hit>> = offers.par_iter().map(|offer| index.hits(offer)).collect();
    let mut found: HashMap<usize, Vec<usize>> = HashMap::new();
    for (offer, hits) in hits.into_iter().enumerate() {
        for hit in hits {
            found.entry(hit.alert).or_default().push(offer);
        }
    }
    found
}

/// The mailer's pace (`alert_mails_per_minute`) through one pass, shared by
/// every mail the pass sends: one attempt a tick, the time spent sending
/// included, as many as the minutes left before the deadline allow.
pub(crate) struct Pace {
    ticks: Option<tokio::time::Interval>,
    budget: usize,
    attempts: usize,
    deadline: tokio::time::Instant,
}

impl Pace {
    pub(crate) fn new(per_minute: u32, deadline: tokio::time::Instant) -> Pace {
        // Beyond 60,000 a minute (finer than tokio's timers), no pause at all.
        let period = StdDuration::from_secs(60) / per_minute.max(1);
        let ticks = (period >= StdDuration::from_millis(1)).then(|| {
            let mut ticks = tokio::time::interval(period);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticks
        });
        let minutes = deadline
            .saturating_duration_since(tokio::time::Instant::now())
            .as_secs()
            .div_ceil(60);
        let per_minute = usize::try_from(per_minute).unwrap_or(usize::MAX);
        Pace {
            ticks,
            budget: per_minute.saturating_mul(usize::try_from(minutes).unwrap_or(usize::MAX)),
            attempts: 0,
            deadline,
        }
    }

    /// Waits for the next attempt's turn; `false` once the pass must stop.
    pub(crate) async fn next(&mut self) -> bool {
        if self.attempts < self.budget
            && let Some(ticks) = self.ticks.as_mut()
        {
            ticks.tick().await;
        }
        if self.attempts >= self.budget || self.is_over() {
            return false;
        }
        self.attempts += 1;
        true
    }

    pub(crate) fn is_over(&self) -> bool {
        tokio::time::Instant::now() >= self.deadline
    }
}

/// Mails the alerts whose mail is due, the longest waiting first, at the
/// pace; returns how many were mailed and how many wait.
async fn mail_due_alerts(state: &AppState, pace: &mut Pace) -> Result<(usize, usize), AppError> {
    let now = state.now();
    let mut due = state
        .store
        .due_alerts(now)
        .await
        .map_err(AppError::internal)?;
    // None waits behind newer alerts for ever when a pass cannot mail them all.
    due.sort_by_key(|alert| alert.due);
    let per_minute = usize::try_from(state.site().config.alert_mails_per_minute).unwrap_or(1);
    let (mut mailed, mut waiting) = (0, 0);
    let mut stopped = false;
    // Many alerts get the same new offers: each is read once a pass.
    let mut read = HashMap::new();
    // The mails of a minute (or of COMPOSE_AHEAD alerts) are composed on
    // every core, then sent at the pace.
    for alerts in due.chunks(per_minute.clamp(1, COMPOSE_AHEAD)) {
        if stopped || pace.is_over() {
            stopped = true;
            waiting += alerts.len();
            continue;
        }
        let mut ready = Vec::with_capacity(alerts.len());
        for alert in alerts {
            ready.extend(due_mail(state, alert.clone(), now, &mut read).await?);
        }
        let composing = state.clone();
        let (ready, mails) = tokio::task::spawn_blocking(move || {
            let mails = compose_mails(&composing, &ready);
            (ready, mails)
        })
        .await
        .map_err(AppError::internal)?;
        let mut ready = ready.into_iter().zip(mails);
        for (due, mail) in ready.by_ref() {
            // Attempts are paced, not only the mails that left: a server that
            // refuses every mail is not called in a burst.
            if matches!(mail, Ok(Some(_))) && !pace.next().await {
                stopped = true;
                waiting += 1;
                break;
            }
            match deliver(state, due, mail, now).await? {
                Delivery::Mailed => mailed += 1,
                Delivery::Deferred => waiting += 1,
                Delivery::Nothing => {}
            }
        }
        waiting += ready.count();
    }
    Ok((mailed, waiting))
}

/// Alerts whose mails are composed together, at most.
pub const COMPOSE_AHEAD: usize = 256;

/// An active alert whose mail is due, and what is still listed of its queue.
pub struct DueMail {
    pub alert: Alert,
    /// The queue when it was read: what the mail empties.
    pub queue: Vec<Ulid>,
    pub offers: Vec<Arc<Offer>>,
}

/// What is still listed of a due alert's queue (none for a paused alert:
/// its queue waits for it to resume). `read` keeps the offers read so far in
/// the pass.
async fn due_mail(
    state: &AppState,
    alert: Alert,
    now: DateTime<Utc>,
    read: &mut HashMap<Ulid, Option<Arc<Offer>>>,
) -> Result<Option<DueMail>, AppError> {
    if alert.status != AlertStatus::Active {
        change_alert(state, alert, |alert| alert.due = None).await?;
        return Ok(None);
    }
    let queue = alert.queued.clone();
    for id in &queue {
        if !read.contains_key(id) {
            let offer = state.store.get(*id).await.map_err(AppError::internal)?;
            read.insert(*id, offer.map(Arc::new));
        }
    }
    let offers = queue
        .iter()
        .filter_map(|id| read.get(id).cloned().flatten())
        .filter(|offer| offer.is_listed(now))
        .collect();
    Ok(Some(DueMail {
        alert,
        queue,
        offers,
    }))
}

/// The mails of due alerts, composed on every core (none for an alert with
/// nothing listed left).
pub fn compose_mails(state: &AppState, due: &[DueMail]) -> Vec<Result<Option<Outgoing>, AppError>> {
    due.par_iter()
        .map(|due| {
            if due.offers.is_empty() {
                return Ok(None);
            }
            let offers: Vec<&Offer> = due.offers.iter().map(AsRef::as_ref).collect();
            alert_mail(state, &due.alert, &offers).map(Some)
        })
        .collect()
}

/// What became of a due alert.
enum Delivery {
    Mailed,
    /// Nothing left to mail (its queue emptied), or its address refused for
    /// good (its alerts erased).
    Nothing,
    /// Its mail could not be composed or left: kept queued, due again after
    /// an interval, so that it does not stay first in line and hold the
    /// others up.
    Deferred,
}

/// Sends a due alert its mail, if it has one, then empties its queue.
async fn deliver(
    state: &AppState,
    due: DueMail,
    mail: Result<Option<Outgoing>, AppError>,
    now: DateTime<Utc>,
) -> Result<Delivery, AppError> {
    let DueMail { alert, queue, .. } = due;
    let (mailed, failure) = match mail {
        Ok(None) => (false, None),
        Ok(Some(mail)) => match state.mailer.send(mail).await {
            Ok(()) => (true, None),
            Err(MailError::Rejected(reason)) => {
                tracing::warn!(alert = %alert.id, "address refused for good: {reason}");
                suppress(state, &alert.email, now).await?;
                return Ok(Delivery::Nothing);
            }
            Err(error) => (false, Some(error.to_string())),
        },
        Err(error) => (false, Some(error.to_string())),
    };
    if let Some(failure) = failure {
        tracing::warn!(alert = %alert.id, "alert mail deferred: {failure}");
        let again = now + interval(state);
        change_alert(state, alert, |alert| {
            alert.due = alert.due.map(|due| due.max(again));
        })
        .await?;
        return Ok(Delivery::Deferred);
    }
    let outcome = if mailed {
        Delivery::Mailed
    } else {
        Delivery::Nothing
    };
    change_alert(state, alert, |alert| {
        alert.record_sent(&queue, now);
        if mailed {
            alert.last_sent = Some(now);
        }
        // Offers queued by another pass meanwhile wait for the next mail.
        alert.due = next_due(state, alert, now);
    })
    .await?;
    Ok(outcome)
}

/// An alert's mail, as its templates read it.
#[derive(Serialize)]
struct Digest<'a> {
    description: String,
    /// Offers matched, shown or not.
    count: usize,
    offers: &'a [MailedOffer],
    /// Matched offers beyond the ones shown.
    more: usize,
    search_url: String,
    manage_link: String,
    unsubscribe_link: &'a str,
}

/// One offer in an alert's mail.
#[derive(Serialize)]
struct MailedOffer {
    title: String,
    kind: &'static str,
    domain: String,
    place: String,
    distance: Option<u32>,
    url: String,
}

/// The mail of an alert: its offers nearest first (when it has a place), then
/// newest, at most [`MAIL_OFFERS`].
pub fn alert_mail(
    state: &AppState,
    alert: &Alert,
    offers: &[&Offer],
) -> Result<Outgoing, AppError> {
    let site = state.site();
    let base = state.base_url();
    let criteria = &alert.criteria;
    let centre = criteria.centre();
    let mut listed: Vec<(Option<u32>, &Offer)> = offers
        .iter()
        .map(|offer| (distance_km(offer, centre), *offer))
        .collect();
    listed.sort_by(|(a, x), (b, y)| {
        a.unwrap_or(u32::MAX)
            .cmp(&b.unwrap_or(u32::MAX))
            .then(y.listed.cmp(&x.listed))
    });
    let more = listed.len().saturating_sub(MAIL_OFFERS);
    let shown: Vec<MailedOffer> = listed
        .into_iter()
        .take(MAIL_OFFERS)
        .map(|(distance, offer)| MailedOffer {
            kind: offer.kind.label(),
            domain: domain_label(&site, &offer.domain),
            place: offer.place_label(),
            distance,
            url: format!("{base}/annonces/{}/", offer.id),
            title: offer.title.clone(),
        })
        .collect();
    let unsubscribe = alert_link(state, alert, Purpose::Unsubscribe);
    let subject = if shown.len() > 1 {
        format!(
            "{} nouvelles annonces pour votre alerte",
            shown.len() + more
        )
    } else {
        "Une nouvelle annonce pour votre alerte".to_owned()
    };
    let context = Digest {
        description: describe(&site, criteria),
        count: shown.len() + more,
        offers: &shown,
        more,
        search_url: search_url(&base, criteria),
        manage_link: alert_link(state, alert, Purpose::AlertManage),
        unsubscribe_link: &unsubscribe,
    };
    let host = site
        .config
        .base_url
        .split("://")
        .nth(1)
        .unwrap_or("localhost");
    let host = host.split(['/', ':']).next().unwrap_or(host);
    let mail = Outgoing::themed(&site, "alert", &alert.email, subject, &context)
        .map_err(AppError::internal)?;
    Ok(Outgoing {
        list: Some(List {
            id: format!("alertes.{host}"),
            unsubscribe,
        }),
        ..mail
    })
}

/// The page that lists what an alert finds: its commune's listing for an
/// alert saved there (the search page has no commune filter), else the search.
fn search_url(base: &str, criteria: &Criteria) -> String {
    match criteria
        .commune
        .as_deref()
        .and_then(|c| geography().commune(c))
    {
        Some(commune) => format!("{base}{}", generator::urls::commune(commune)),
        None => format!("{base}/recherche/?{}", criteria.to_query()),
    }
}

/// Whether `address` refused our mail (a bounce for good, a complaint): the
/// platform writes to it no more.
pub(crate) async fn refuses_our_mail(state: &AppState, address: &str) -> Result<bool, AppError> {
    let mailbox = state.secret.digest(&limits::mailbox(address));
    state
        .store
        .is_marked(&suppressed(&mailbox), "", state.now())
        .await
        .map_err(AppError::internal)
}

/// An address that refused our mail for good, or complained: its alerts are
/// erased, and no new one is mailed for a year. The mailbox itself counts, not
/// its `+tag` family: a tagged address that bounces takes nothing from the
/// untagged one.
pub async fn suppress(state: &AppState, address: &str, now: DateTime<Utc>) -> Result<(), AppError> {
    let store = &state.store;
    let mailbox = limits::mailbox(address);
    store
        .mark(
            &suppressed(&state.secret.digest(&mailbox)),
            "",
            now,
            now + Duration::days(SUPPRESSED_DAYS),
        )
        .await
        .map_err(AppError::internal)?;
    let owner = state.secret.digest(&limits::quota_key(address));
    for alert in store
        .alerts_of_owner(&owner)
        .await
        .map_err(AppError::internal)?
    {
        if limits::mailbox(&alert.email) == mailbox {
            store
                .delete_alert(alert.id)
                .await
                .map_err(AppError::internal)?;
        }
    }
    Ok(())
}
