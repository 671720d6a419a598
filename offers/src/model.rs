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
