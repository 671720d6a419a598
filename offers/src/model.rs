//! The offer: what a poster publishes, and the words the site uses for each field.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// Whether the poster offers help or asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// "Je propose mon aide."
    Offer,
    /// "Nous recherchons de l'aide."
    Request,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Engagement {
    Volunteer,
    Paid,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthorKind {
    Individual,
    Association,
    Company,
    PublicBody,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Posted, waiting for its poster to confirm by mail.
    Pending,
    Published,
    /// The poster found what they needed.
    Filled,
    Expired,
    /// Taken down by a moderator.
    Removed,
}

impl Kind {
    pub const ALL: [Kind; 2] = [Kind::Offer, Kind::Request];
    /// The value in forms, exports and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Offer => "offer",
            Kind::Request => "request",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Kind::Offer => "Propose son aide",
            Kind::Request => "Recherche de l'aide",
        }
    }
}

impl Engagement {
    pub const ALL: [Engagement; 2] = [Engagement::Volunteer, Engagement::Paid];
    /// The value in forms, exports and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            Engagement::Volunteer => "volunteer",
            Engagement::Paid => "paid",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            Engagement::Volunteer => "Bénévolat",
            Engagement::Paid => "Rémunéré",
        }
    }
}

impl AuthorKind {
    pub const ALL: [AuthorKind; 4] = [
        AuthorKind::Individual,
        AuthorKind::Association,
        AuthorKind::Company,
        AuthorKind::PublicBody,
    ];
    /// The value in forms, exports and URLs.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorKind::Individual => "individual",
            AuthorKind::Association => "association",
            AuthorKind::Company => "company",
            AuthorKind::PublicBody => "public_body",
        }
    }
    pub fn label(self) -> &'static str {
        match self {
            AuthorKind::Individual => "Particulier",
            AuthorKind::Association => "Association",
            AuthorKind::Company => "Entreprise",
            AuthorKind::PublicBody => "Organisme public",
        }
    }
}

impl Status {
    pub const ALL: [Status; 5] = [
        Status::Pending,
        Status::Published,
        Status::Filled,
        Status::Expired,
        Status::Removed,
    ];
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Published => "published",
            Status::Filled => "filled",
            Status::Expired => "expired",
            Status::Removed => "removed",
        }
    }
    pub fn parse(text: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// How long an unconfirmed offer is kept.
pub const PENDING_HOURS: i64 = 48;

/// One offer, as stored. Field names are the export's JSON keys.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Offer {
    pub id: Ulid,
    pub kind: Kind,
    pub engagement: Engagement,
    pub author_kind: AuthorKind,
    pub author_name: String,
    pub domain: String,
    pub title: String,
    /// Markdown subset, rendered by [`crate::markdown::render_description`].
    pub description: String,
    pub skills: Vec<String>,
    /// INSEE code of the commune; `None` for remote help.
    pub commune: Option<String>,
    pub remote: bool,
    /// For remote help that is tied to one department.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    /// Private: never rendered, exported publicly or logged.
    pub email: String,
    pub status: Status,
    pub created: DateTime<Utc>,
    pub published: Option<DateTime<Utc>>,
    /// When it last became listed (confirmed, renewed, back online): alerts
    /// confirmed later do not get it, alerts confirmed before get it once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub listed: Option<DateTime<Utc>>,
    pub updated: DateTime<Utc>,
    pub expires: DateTime<Utc>,
    /// Bumped by every stored write; an update must name the version it read.
    pub version: u64,
    /// The version of the poster's private links: bumping it kills every link
    /// mailed before (e.g. when the offer's address changes).
    #[serde(default)]
    pub token_version: u64,
    /// When moderation hid the offer (status `removed`): it is erased a set
    /// delay after that, whatever its poster does meanwhile.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hidden: Option<DateTime<Utc>>,
    /// The « still needed? » reminders and the poster's answers.
    #[serde(default, skip_serializing_if = "Followup::is_empty")]
    pub followup: Followup,
}

/// What the platform follows of an offer once it is online: the « still
/// needed? » mail of each period, and how its poster answers the relay's
/// conversations (times only, never what was said).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Followup {
    /// The expiry the last « still needed? » mail was about.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reminded_for: Option<DateTime<Utc>>,
    /// When its poster said, from that mail, that it is still needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub still_needed: Option<DateTime<Utc>>,
    /// Hours from each conversation's opening to the poster's first reply,
    /// the latest last (at most [`REPLY_TIMES_KEPT`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply_hours: Vec<u32>,
    /// Conversations in a row the poster left unanswered.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub unanswered: u32,
}

fn is_zero(count: &u32) -> bool {
    *count == 0
}

/// First replies kept per offer: the median follows how its poster answers now.
pub const REPLY_TIMES_KEPT: usize = 15;
/// First replies an offer needs before its page tells how fast they come.
pub const REPLIES_BEFORE_SHOWN: usize = 3;

impl Followup {
    pub fn is_empty(&self) -> bool {
        *self == Followup::default()
    }

    /// Counts a conversation's first reply, `hours` after it opened.
    pub fn answered(&mut self, hours: u32) {
        self.reply_hours.push(hours);
        if self.reply_hours.len() > REPLY_TIMES_KEPT {
            self.reply_hours.remove(0);
        }
        self.unanswered = 0;
    }

    /// « Répond en général sous N jours »: the median first reply, in whole
    /// days rounded up (at least 1), once there are enough.
    pub fn reply_days(&self) -> Option<u32> {
        if self.reply_hours.len() < REPLIES_BEFORE_SHOWN {
            return None;
        }
        let mut hours = self.reply_hours.clone();
        hours.sort_unstable();
        let middle = hours.len() / 2;
        let median = if hours.len().is_multiple_of(2) {
            (hours[middle - 1] + hours[middle]).div_ceil(2)
        } else {
            hours[middle]
        };
        Some(median.div_ceil(24).max(1))
    }
}

/// The fields anyone may see: what `export --public` and the open data contain.
#[derive(Debug, Clone, Serialize)]
pub struct PublicOffer<'a> {
    pub id: Ulid,
    pub kind: Kind,
    pub engagement: Engagement,
    pub author_kind: AuthorKind,
    pub author_name: &'a str,
    pub domain: &'a str,
    pub title: &'a str,
    pub description: &'a str,
    pub skills: &'a [String],
    pub commune: Option<&'a str>,
    pub remote: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<&'a str>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub status: Status,
    pub published: Option<DateTime<Utc>>,
    pub updated: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

impl Offer {
    /// The department the offer is tied to: its commune's, or the one a remote offer names.
    pub fn department_code(&self) -> Option<&str> {
        match &self.commune {
            Some(insee) => crate::communes::geography()
                .commune(insee)
                .map(|c| c.department),
            None => self.department.as_deref(),
        }
    }

    /// Where the offer is, as people read it: « Plouguerneau (29) », « À distance
    /// (Finistère) », « À distance ».
    pub fn place_label(&self) -> String {
        let geo = crate::communes::geography();
        match (
            self.commune.as_deref().and_then(|c| geo.commune(c)),
            self.department_code().and_then(|d| geo.department(d)),
        ) {
            (Some(commune), _) => format!("{} ({})", commune.name, commune.department),
            (None, Some(department)) => format!("À distance ({})", department.name),
            (None, None) => "À distance".to_owned(),
        }
    }

    /// Shown in listings: published and not past its expiry date.
    pub fn is_listed(&self, now: DateTime<Utc>) -> bool {
        self.status == Status::Published && self.expires > now
    }

    /// The status visitors see: a published offer past its date reads as expired
    /// even before a sweep rewrites it.
    pub fn visible_status(&self, now: DateTime<Utc>) -> Status {
        if self.status == Status::Published && self.expires <= now {
            Status::Expired
        } else {
            self.status
        }
    }

    /// Public: listed, or filled / expired and still within `keep_days` of its end.
    pub fn is_public(&self, now: DateTime<Utc>, keep_days: i64) -> bool {
        match self.visible_status(now) {
            Status::Published => true,
            Status::Filled => self.updated + chrono::Duration::days(keep_days) > now,
            Status::Expired => {
                self.expires.max(self.updated) + chrono::Duration::days(keep_days) > now
            }
            Status::Pending | Status::Removed => false,
        }
    }

    pub fn public(&self) -> PublicOffer<'_> {
        PublicOffer {
            id: self.id,
            kind: self.kind,
            engagement: self.engagement,
            author_kind: self.author_kind,
            author_name: &self.author_name,
            domain: &self.domain,
            title: &self.title,
            description: &self.description,
            skills: &self.skills,
            commune: self.commune.as_deref(),
            remote: self.remote,
            department: self.department.as_deref(),
            start: self.start,
            end: self.end,
            status: self.status,
            published: self.published,
            updated: self.updated,
            expires: self.expires,
        }
    }
}

#[cfg(test)]
mod followup_tests {
    use super::*;

    #[test]
    fn the_reply_time_shows_once_three_conversations_were_answered() {
        let mut followup = Followup::default();
        followup.answered(5);
        followup.answered(70);
        assert_eq!(followup.reply_days(), None);
        followup.answered(30);
        // Median of 5, 30 and 70 hours: 30 hours, within 2 days.
        assert_eq!(followup.reply_days(), Some(2));
        followup.answered(1);
        // Median of 1, 5, 30, 70: 17.5 hours, within a day.
        assert_eq!(followup.reply_days(), Some(1));
    }

    #[test]
    fn an_answer_ends_a_run_of_unanswered_conversations_and_only_the_latest_count() {
        let mut followup = Followup {
            unanswered: 2,
            ..Followup::default()
        };
        for _ in 0..REPLY_TIMES_KEPT {
            followup.answered(200);
        }
        assert_eq!(followup.unanswered, 0);
        assert_eq!(followup.reply_days(), Some(9));
        for _ in 0..REPLY_TIMES_KEPT {
            followup.answered(10);
        }
        assert_eq!(followup.reply_hours.len(), REPLY_TIMES_KEPT);
        assert_eq!(followup.reply_days(), Some(1));
    }
}
