//! Validation of what a poster typed: every field checked, every error reported at
//! once with a French message for the person filling the form.
//!
//! Over 600 lines on purpose: one check per field of the form, each short, read
//! side by side, and their tests (a third of the file) next to them.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use email_address::EmailAddress;
use serde::{Deserialize, Serialize};
use ulid::Ulid;
use unicode_normalization::UnicodeNormalization;

use crate::communes::geography;
use crate::model::{AuthorKind, Engagement, Followup, Kind, Offer, Status};

pub const TITLE_CHARS: (usize, usize) = (10, 120);
pub const AUTHOR_NAME_CHARS: (usize, usize) = (2, 80);
pub const DESCRIPTION_CHARS: (usize, usize) = (30, 5000);
pub const SKILL_CHARS: (usize, usize) = (2, 40);
pub const MAX_SKILLS: usize = 10;
pub const MAX_LINKS: usize = 3;
pub const MAX_EMAIL_CHARS: usize = 254;
/// What the commune field may hold, in bytes: a name with its department, or a code.
const MAX_COMMUNE_BYTES: usize = 200;
pub const REPORT_MESSAGE_CHARS: usize = 1000;
/// How far ahead start and end dates may go, and how far back a start may lie.
pub const MAX_DAYS_AHEAD: i64 = 366;
pub const MAX_DAYS_BEHIND: i64 = 31;

/// The fields as typed in the form (or sent as JSON), before any check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfferInput {
    pub kind: String,
    pub engagement: String,
    pub author_kind: String,
    pub author_name: String,
    pub domain: String,
    pub title: String,
    pub description: String,
    pub skills: Vec<String>,
    /// INSEE code, postcode or commune name.
    pub commune: String,
    pub remote: bool,
    pub department: String,
    pub start: String,
    pub end: String,
    pub email: String,
}

/// What a field's value is checked against.
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    /// Domain slugs of the site.
    pub domains: &'a [String],
    pub today: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

/// A valid, normalised offer that has no identity yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    pub kind: Kind,
    pub engagement: Engagement,
    pub author_kind: AuthorKind,
    pub author_name: String,
    pub domain: String,
    pub title: String,
    pub description: String,
    pub skills: Vec<String>,
    pub commune: Option<String>,
    pub remote: bool,
    pub department: Option<String>,
    pub start: Option<NaiveDate>,
    pub end: Option<NaiveDate>,
    pub email: String,
}

impl From<&Offer> for OfferInput {
    fn from(offer: &Offer) -> Self {
        fn word<T: Serialize>(value: T) -> String {
            serde_json::to_value(value)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        }
        OfferInput {
            kind: word(offer.kind),
            engagement: word(offer.engagement),
            author_kind: word(offer.author_kind),
            author_name: offer.author_name.clone(),
            domain: offer.domain.clone(),
            title: offer.title.clone(),
            description: offer.description.clone(),
            skills: offer.skills.clone(),
            commune: offer.commune.clone().unwrap_or_default(),
            remote: offer.remote,
            department: offer.department.clone().unwrap_or_default(),
            start: offer.start.map(|d| d.to_string()).unwrap_or_default(),
            end: offer.end.map(|d| d.to_string()).unwrap_or_default(),
            email: offer.email.clone(),
        }
    }
}

struct Checker {
    errors: Vec<FieldError>,
}

impl Checker {
    fn email(&mut self, field: &'static str, raw: &str) -> String {
        let email = raw.trim();
        if email.len() > MAX_EMAIL_CHARS {
            self.fail(
                field,
                "L'adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr).",
            );
            return String::new();
        }
        let email = email.to_owned();
        if email.is_empty() {
            self.fail(field, "L'adresse électronique est obligatoire.");
        } else if !EmailAddress::is_valid(&email) || email.chars().any(|c| refused_char(c, false)) {
            self.fail(
                field,
                "L'adresse électronique n'est pas valide (exemple : prenom.nom@exemple.fr).",
            );
        }
        email
    }

    fn fail(&mut self, field: &'static str, message: impl Into<String>) {
        self.errors.push(FieldError {
            field,
            message: message.into(),
        });
    }

    /// NFC-normalised, trimmed text, bounded in characters; control, invisible
    /// and direction-changing characters refused (line breaks only where
    /// `multiline`). A text far over its bound is refused before any other work.
    fn text(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        bounds: (usize, usize),
        multiline: bool,
    ) -> String {
        // Decomposed accents may halve the count once composed: twice the bound
        // is the most a valid text can have.
        if raw.chars().nth(2 * bounds.1 + 16).is_some() {
            self.too_long(field, label, bounds);
            return String::new();
        }
        let text: String = raw
            .replace("\r\n", "\n")
            .nfc()
            .map(|c| match c {
                '\u{2028}' | '\u{2029}' | '\r' if multiline => '\n',
                other => other,
            })
            .collect::<String>()
            .trim()
            .to_owned();
        if let Some(bad) = first_refused_char(&text, multiline) {
            self.fail(field, refused_char_message(label, bad));
            return text;
        }
        let count = text.chars().count();
        if count == 0 {
            self.fail(field, format!("{label} est obligatoire."));
        } else if count < bounds.0 || count > bounds.1 {
            self.too_long(field, label, bounds);
        }
        text
    }

    /// Like `text`, but may be left empty.
    fn optional_text(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        max: usize,
        multiline: bool,
    ) -> String {
        if raw.trim().is_empty() {
            return String::new();
        }
        self.text(field, label, raw, (1, max), multiline)
    }

    fn too_long(&mut self, field: &'static str, label: &str, bounds: (usize, usize)) {
        self.fail(
            field,
            format!(
                "{label} doit faire entre {} et {} caractères.",
                bounds.0, bounds.1
            ),
        );
    }

    fn choice<T: for<'de> Deserialize<'de>>(
        &mut self,
        field: &'static str,
        raw: &str,
        message: &str,
    ) -> Option<T> {
        let parsed = serde_json::from_value(serde_json::Value::String(raw.trim().to_owned())).ok();
        if parsed.is_none() {
            self.fail(field, message);
        }
        parsed
    }

    fn date(
        &mut self,
        field: &'static str,
        label: &str,
        raw: &str,
        rules: &Rules,
    ) -> Option<NaiveDate> {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") else {
            self.fail(
                field,
                format!("{label} doit être une date au format AAAA-MM-JJ."),
            );
            return None;
        };
        if date < rules.today - Duration::days(MAX_DAYS_BEHIND)
            || date > rules.today + Duration::days(MAX_DAYS_AHEAD)
        {
            self.fail(
                field,
                format!("{label} doit tomber dans les douze prochains mois."),
            );
            return None;
        }
        Some(date)
    }
}

/// The first character no field may hold: controls (line breaks only in
/// multi-line fields), line and paragraph separators, and invisible format
/// characters — direction overrides and isolates (U+202A–U+202E, U+2066–U+2069)
/// that reorder what a reader sees, zero-width characters, the byte-order mark.
/// What visible text needs stays: the soft hyphen French text pasted from a word
/// processor carries, the joiner inside an emoji sequence (👩‍⚕️), the tags of a
/// subdivision flag (🏴 then tag letters).
fn first_refused_char(text: &str, multiline: bool) -> Option<char> {
    let chars: Vec<char> = text.chars().collect();
    let mut in_flag = false;
    for (at, &c) in chars.iter().enumerate() {
        in_flag = c == '\u{1F3F4}' || (in_flag && ('\u{E0020}'..='\u{E007F}').contains(&c));
        let allowed = match c {
            '\u{AD}' => true,
            '\u{200D}' => {
                // Emoji and their modifiers are neither letters, digits nor spaces.
                let pictographic = |c: Option<&char>| {
                    c.is_some_and(|&c| !c.is_ascii() && !c.is_alphanumeric() && !c.is_whitespace())
                };
                pictographic(at.checked_sub(1).and_then(|i| chars.get(i)))
                    && pictographic(chars.get(at + 1))
            }
            '\u{E0020}'..='\u{E007F}' => in_flag,
            _ => false,
        };
        if !allowed && refused_char(c, multiline) {
            return Some(c);
        }
    }
    None
}

fn refused_char(c: char, multiline: bool) -> bool {
    use icu_properties::CodePointMapData;
    use icu_properties::props::GeneralCategory;
    if c.is_ascii() {
        return c.is_ascii_control() && !(multiline && c == '\n');
    }
    matches!(
        CodePointMapData::<GeneralCategory>::new().get(c),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
            | GeneralCategory::Surrogate
    )
}

fn refused_char_message(label: &str, bad: char) -> String {
    if bad.is_control() && !matches!(bad, '\u{80}'..='\u{9F}') {
        return format!(
            "{label} contient des caractères non autorisés (retour à la ligne, tabulation ou caractère de contrôle)."
        );
    }
    format!(
        "{label} contient un caractère invisible ou de mise en forme non autorisé (U+{:04X}) : retirez-le, par exemple en retapant ce passage.",
        u32::from(bad)
    )
}

/// A visitor's message to a poster, checked: every field bounded, no control
/// character (so nothing can slip into a mail header), links capped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactMessage {
    pub name: String,
    pub email: String,
    pub message: String,
}

pub const CONTACT_NAME_CHARS: (usize, usize) = (2, 80);
pub const CONTACT_MESSAGE_CHARS: (usize, usize) = (20, 3000);

pub fn validate_contact(
    name: &str,
    email: &str,
    message: &str,
) -> Result<ContactMessage, Vec<FieldError>> {
    let mut check = Checker { errors: Vec::new() };
    let name = check.text("name", "Votre nom", name, CONTACT_NAME_CHARS, false);
    let email = check.email("email", email);
    let message = check.text(
        "message",
        "Le message",
        message,
        CONTACT_MESSAGE_CHARS,
        true,
    );
    if crate::markdown::link_count(&message) > MAX_LINKS {
        check.fail(
            "message",
            format!("Le message ne peut pas contenir plus de {MAX_LINKS} liens."),
        );
    }
    if check.errors.is_empty() {
        Ok(ContactMessage {
            name,
            email,
            message,
        })
    } else {
        Err(check.errors)
    }
}

/// An address typed alone (to receive one's private links again).
pub fn validate_email(email: &str) -> Result<String, FieldError> {
    let mut check = Checker { errors: Vec::new() };
    let email = check.email("email", email);
    match check.errors.pop() {
        Some(error) => Err(error),
        None => Ok(email),
    }
}

/// A report's optional details and the reporter's optional address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportText {
    pub message: String,
    pub email: Option<String>,
}

pub fn validate_report(message: &str, email: &str) -> Result<ReportText, Vec<FieldError>> {
    let mut check = Checker { errors: Vec::new() };
    let message = check.optional_text(
        "message",
        "Les précisions",
        message,
        REPORT_MESSAGE_CHARS,
        true,
    );
    let email = (!email.trim().is_empty()).then(|| check.email("email", email));
    if check.errors.is_empty() {
        Ok(ReportText { message, email })
    } else {
        Err(check.errors)
    }
}

/// Checks every field and returns all the errors found, in form order.
pub fn validate(input: &OfferInput, rules: &Rules) -> Result<Draft, Vec<FieldError>> {
    let mut check = Checker { errors: Vec::new() };
    let kind = check.choice(
        "kind",
        &input.kind,
        "Indiquez si vous proposez ou recherchez de l'aide.",
    );
    let engagement = check.choice(
        "engagement",
        &input.engagement,
        "Indiquez s'il s'agit de bénévolat ou d'un travail rémunéré.",
    );
    let author_kind = check.choice(
        "author_kind",
        &input.author_kind,
        "Indiquez qui publie l'annonce.",
    );
    let author_name = check.text(
        "author_name",
        "Le nom affiché",
        &input.author_name,
        AUTHOR_NAME_CHARS,
        false,
    );
    let domain = input.domain.trim().to_owned();
    if !rules.domains.contains(&domain) {
        check.fail("domain", "Choisissez un domaine dans la liste.");
    }
    let title = check.text("title", "Le titre", &input.title, TITLE_CHARS, false);
    let description = check.text(
        "description",
        "La description",
        &input.description,
        DESCRIPTION_CHARS,
        true,
    );
    if crate::markdown::link_count(&description) > MAX_LINKS {
        check.fail(
            "description",
            format!("La description ne peut pas contenir plus de {MAX_LINKS} liens."),
        );
    }
    let skills = skills(&mut check, &input.skills);
    let (commune, department) = place(&mut check, input);
    let start = check.date("start", "La date de début", &input.start, rules);
    let end = check.date("end", "La date de fin", &input.end, rules);
    if let (Some(start), Some(end)) = (start, end)
        && end < start
    {
        check.fail("end", "La date de fin doit suivre la date de début.");
    }
    if end.is_some_and(|end| end < rules.today) {
        check.fail("end", "La date de fin est déjà passée.");
    }
    let email = check.email("email", &input.email);
    match (kind, engagement, author_kind) {
        (Some(kind), Some(engagement), Some(author_kind)) if check.errors.is_empty() => Ok(Draft {
            kind,
            engagement,
            author_kind,
            author_name,
            domain,
            title,
            description,
            skills,
            commune,
            remote: input.remote,
            department,
            start,
            end,
            email,
        }),
        _ => Err(check.errors),
    }
}

fn skills(check: &mut Checker, raw: &[String]) -> Vec<String> {
    let typed: Vec<&String> = raw.iter().filter(|s| !s.trim().is_empty()).collect();
    // Counted before anything else: a form with thousands of skills costs nothing.
    if typed.len() > 2 * MAX_SKILLS {
        check.fail(
            "skills",
            format!("Indiquez au plus {MAX_SKILLS} compétences."),
        );
        return Vec::new();
    }
    let mut skills: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for skill in typed {
        let skill = check.text("skills", "Chaque compétence", skill, SKILL_CHARS, false);
        if seen.insert(skill.to_lowercase()) {
            skills.push(skill);
        }
    }
    if skills.len() > MAX_SKILLS {
        check.fail(
            "skills",
            format!("Indiquez au plus {MAX_SKILLS} compétences."),
        );
    }
    skills
}

/// A commune (INSEE code, or a postcode or name that names exactly one), or remote
/// help optionally tied to a department.
fn place(check: &mut Checker, input: &OfferInput) -> (Option<String>, Option<String>) {
    let geo = geography();
    let typed = input.commune.trim();
    let department = input.department.trim();
    // The longest commune name, with its department, is under 60 characters.
    if typed.len() > MAX_COMMUNE_BYTES || department.len() > 3 {
        check.fail(
            if typed.len() > MAX_COMMUNE_BYTES {
                "commune"
            } else {
                "department"
            },
            "Commune introuvable : indiquez son nom ou son code postal.",
        );
        return (None, None);
    }
    if input.remote {
        if department.is_empty() {
            return (None, None);
        }
        return match geo.department(&department.to_uppercase()) {
            Some(d) => (None, Some(d.code.to_owned())),
            None => {
                check.fail("department", "Ce département n'existe pas.");
                (None, None)
            }
        };
    }
    if typed.is_empty() {
        check.fail("commune", "Indiquez une commune, ou cochez « À distance ».");
        return (None, None);
    }
    if let Some(commune) = geo.commune(&typed.to_uppercase()) {
        return (Some(commune.insee.to_owned()), None);
    }
    let candidates = if typed.chars().all(|c| c.is_ascii_digit()) {
        geo.by_postcode(typed)
    } else if let Some((name, department)) = name_and_department(typed) {
        // "Saint-Denis (974)": as the completion and the list of homonyms write it.
        geo.by_name(name, Some(department))
    } else {
        geo.by_name(typed, (!department.is_empty()).then_some(department))
    };
    match candidates.as_slice() {
        [one] => (Some(one.insee.to_owned()), None),
        [] => {
            // « Plouguernau (29) »: the name to correct, within its department.
            let (name, within) = name_and_department(typed).map_or(
                (typed, (!department.is_empty()).then_some(department)),
                |(name, department)| (name, Some(department)),
            );
            let guesses: Vec<String> = geo
                .nearest(name, within, 3)
                .iter()
                .map(|c| format!("{} ({})", c.name, c.department))
                .collect();
            let message = match guesses.as_slice() {
                [] => "Commune introuvable : indiquez son nom ou son code postal.".to_owned(),
                [one] => format!("Commune introuvable. Vouliez-vous dire {one} ?"),
                [several @ .., last] => format!(
                    "Commune introuvable. Vouliez-vous dire {} ou {last} ?",
                    several.join(", ")
                ),
            };
            check.fail("commune", message);
            (None, None)
        }
        several => {
            let names: Vec<String> = several
                .iter()
                .take(8)
                .map(|c| format!("{} ({})", c.name, c.department))
                .collect();
            check.fail(
                "commune",
                format!(
                    "Plusieurs communes correspondent : {}. Précisez laquelle.",
                    names.join(", ")
                ),
            );
            (None, None)
        }
    }
}

/// "Name (department)" split in two.
fn name_and_department(typed: &str) -> Option<(&str, &str)> {
    let (name, rest) = typed.strip_suffix(')')?.rsplit_once(" (")?;
    let department = rest.trim();
    let plausible = (2..=3).contains(&department.len())
        && department.chars().all(|c| c.is_ascii_alphanumeric());
    plausible.then_some((name.trim(), department))
}

/// When an offer published (or renewed) `now` leaves the listings: after its
/// lifetime, or at the end of its end date if that comes first.
pub fn expiry(now: DateTime<Utc>, end: Option<NaiveDate>, lifetime_days: i64) -> DateTime<Utc> {
    let end_of_end = end.map(|end| (end + Duration::days(1)).and_time(NaiveTime::MIN).and_utc());
    let lifetime = now + Duration::days(lifetime_days);
    end_of_end.map_or(lifetime, |end| end.min(lifetime))
}

impl Draft {
    /// A new pending offer, expiring after `lifetime_days` or at the end of its end date.
    pub fn into_offer(self, id: Ulid, now: DateTime<Utc>, lifetime_days: i64) -> Offer {
        let expires = expiry(now, self.end, lifetime_days);
        Offer {
            id,
            kind: self.kind,
            engagement: self.engagement,
            author_kind: self.author_kind,
            author_name: self.author_name,
            domain: self.domain,
            title: self.title,
            description: self.description,
            skills: self.skills,
            commune: self.commune,
            remote: self.remote,
            department: self.department,
            start: self.start,
            end: self.end,
            email: self.email,
            status: Status::Pending,
            created: now,
            published: None,
            listed: None,
            updated: now,
            expires,
            version: 1,
            token_version: 0,
            hidden: None,
            followup: Followup::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec!["medical".into(), "agricole".into()]
    }

    fn good_input() -> OfferInput {
        OfferInput {
            kind: "offer".into(),
            engagement: "volunteer".into(),
            author_kind: "individual".into(),
            author_name: "Aurélien".into(),
            domain: "medical".into(),
            title: "Infirmier retraité disponible en renfort".into(),
            description: "Infirmier pendant trente ans, je peux aider un EHPAD ou un cabinet."
                .into(),
            skills: vec!["Soins".into(), "soins".into(), "Écoute".into()],
            commune: "29178".into(),
            remote: false,
            department: String::new(),
            start: "2026-12-01".into(),
            end: "2027-01-15".into(),
            email: "aurelien@example.org".into(),
        }
    }

    fn rules(domains: &[String]) -> Rules<'_> {
        Rules {
            domains,
            today: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default(),
        }
    }

    fn errors(input: &OfferInput) -> Vec<FieldError> {
        let domains = domains();
        validate(input, &rules(&domains)).err().unwrap_or_default()
    }

    #[test]
    fn can_validate_and_normalise_a_good_offer() {
        let domains = domains();
        let mut input = good_input();
        input.commune = "Ploudalmezeau".into();
        input.title = "  Infirmier retraite\u{301} disponible  ".into();
        let draft = validate(&input, &rules(&domains)).unwrap();
        assert_eq!(draft.commune.as_deref(), Some("29178"));
        assert_eq!(
            draft.title, "Infirmier retraité disponible",
            "NFC and trimmed"
        );
        assert_eq!(
            draft.skills,
            vec!["Soins".to_owned(), "Écoute".to_owned()],
            "duplicates dropped"
        );
    }

    #[test]
    fn errors_on_every_bad_field_at_once() {
        let input = OfferInput {
            skills: vec!["x".into(); 3],
            ..OfferInput::default()
        };
        let fields: Vec<&str> = errors(&input).iter().map(|e| e.field).collect();
        for field in [
            "kind",
            "engagement",
            "author_kind",
            "author_name",
            "domain",
            "title",
            "description",
            "skills",
            "commune",
            "email",
        ] {
            assert!(fields.contains(&field), "{field} missing from {fields:?}");
        }
    }

    #[test]
    fn errors_on_short_title_with_a_french_message() {
        let input = OfferInput {
            title: "Aide".into(),
            ..good_input()
        };
        assert_eq!(
            errors(&input),
            vec![FieldError {
                field: "title",
                message: "Le titre doit faire entre 10 et 120 caractères.".into()
            }]
        );
    }

    #[test]
    fn errors_on_control_characters_but_keeps_line_breaks_in_description() {
        let input = OfferInput {
            title: "Un titre\u{7} piégé ici".into(),
            ..good_input()
        };
        assert_eq!(errors(&input)[0].field, "title");
        let input = OfferInput {
            description: "Première ligne assez longue.\r\n- un point\n- deux".into(),
            ..good_input()
        };
        assert!(errors(&input).is_empty());
    }

    #[test]
    fn errors_on_invisible_and_direction_characters_in_every_text_field() {
        for bad in [
            '\u{202E}', '\u{2066}', '\u{200B}', '\u{FEFF}', '\u{2028}', '\0',
        ] {
            let input = OfferInput {
                title: format!("Un titre {bad}piégé ici"),
                author_name: format!("Lé{bad}a"),
                skills: vec![format!("Soi{bad}ns")],
                email: format!("lea{bad}@exemple.org"),
                ..good_input()
            };
            let fields: Vec<&str> = errors(&input).iter().map(|e| e.field).collect();
            assert_eq!(
                fields,
                ["author_name", "title", "skills", "email"],
                "U+{:04X}",
                u32::from(bad)
            );
        }
        let input = OfferInput {
            description: "Une description assez longue\u{202E} pour passer.".into(),
            ..good_input()
        };
        let found = errors(&input);
        assert!(found[0].message.contains("U+202E"), "{found:?}");
    }

    #[test]
    fn french_text_keeps_its_spaces_soft_hyphens_and_paragraphs() {
        let domains = domains();
        let input = OfferInput {
            title: "Besoin d\u{2019}aide\u{202F}: ren\u{AD}fort urgent".into(),
            description: "Premier paragraphe assez long.\u{2029}Second\u{00A0}paragraphe.".into(),
            ..good_input()
        };
        let draft = validate(&input, &rules(&domains)).unwrap();
        assert_eq!(
            draft.description,
            "Premier paragraphe assez long.\nSecond\u{00A0}paragraphe."
        );
    }

    #[test]
    fn emoji_sequences_and_flags_are_not_invisible_characters() {
        let domains = domains();
        for title in [
            "Infirmière 👩\u{200D}⚕️ disponible le week-end",
            "Entraide 🧑\u{200D}🤝\u{200D}🧑 dans le quartier",
            "Bénévoles 🏴\u{E0067}\u{E0062}\u{E0077}\u{E006C}\u{E0073}\u{E007F} bienvenus",
        ] {
            let input = OfferInput {
                title: title.into(),
                ..good_input()
            };
            assert!(validate(&input, &rules(&domains)).is_ok(), "{title}");
        }
        for title in [
            "Un joiner\u{200D} seul ici",
            "Un mot é\u{200D}crit en deux",
            "Une étiquette \u{E0067} perdue",
        ] {
            let input = OfferInput {
                title: title.into(),
                ..good_input()
            };
            assert_eq!(errors(&input)[0].field, "title", "{title}");
        }
    }

    #[test]
    fn errors_at_once_on_huge_fields() {
        let input = OfferInput {
            skills: vec!["Soins".into(); 15_500],
            commune: "a".repeat(60_000),
            title: "é".repeat(60_000),
            ..good_input()
        };
        let found = errors(&input);
        let fields: Vec<&str> = found.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["title", "skills", "commune"], "{found:?}");
        assert_eq!(found[1].message, "Indiquez au plus 10 compétences.");
    }

    #[test]
    fn can_validate_a_report_with_or_without_details() {
        assert_eq!(
            validate_report("", ""),
            Ok(ReportText {
                message: String::new(),
                email: None
            })
        );
        let report = validate_report(" Arnaque \r\n évidente ", "Lea@Exemple.org").unwrap();
        assert_eq!(report.message, "Arnaque \n évidente");
        assert_eq!(report.email.as_deref(), Some("Lea@Exemple.org"));
        let fields: Vec<&str> = validate_report(&"x".repeat(1001), "pas une adresse")
            .unwrap_err()
            .iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["message", "email"]);
    }

    #[test]
    fn errors_on_dates_out_of_order_or_out_of_range() {
        let input = OfferInput {
            start: "2027-01-15".into(),
            end: "2027-01-01".into(),
            ..good_input()
        };
        assert_eq!(
            errors(&input)[0].message,
            "La date de fin doit suivre la date de début."
        );
        let input = OfferInput {
            start: "2030-01-01".into(),
            end: String::new(),
            ..good_input()
        };
        assert_eq!(errors(&input)[0].field, "start");
        let input = OfferInput {
            start: "01/12/2026".into(),
            ..good_input()
        };
        assert!(errors(&input)[0].message.contains("AAAA-MM-JJ"));
    }

    #[test]
    fn errors_on_ambiguous_commune_with_candidates() {
        let input = OfferInput {
            commune: "Saint-Denis".into(),
            ..good_input()
        };
        let found = errors(&input);
        assert!(
            found[0]
                .message
                .starts_with("Plusieurs communes correspondent"),
            "{found:?}"
        );
        assert!(found[0].message.contains("(974)"));
        let input = OfferInput {
            commune: "Saint-Denis".into(),
            department: "974".into(),
            ..good_input()
        };
        assert!(errors(&input).is_empty());
    }

    #[test]
    fn can_resolve_a_commune_written_with_its_department() {
        let input = OfferInput {
            commune: "Saint-Denis (974)".into(),
            ..good_input()
        };
        assert!(errors(&input).is_empty());
        let input = OfferInput {
            commune: "Saint-Denis (29)".into(),
            ..good_input()
        };
        assert!(errors(&input)[0].message.starts_with("Commune introuvable"));
    }

    #[test]
    fn can_read_st_and_ste_and_suggest_the_commune_a_typo_means() {
        for typed in ["St Pabu", "st-pabu", "ST PABU"] {
            let input = OfferInput {
                commune: typed.into(),
                ..good_input()
            };
            assert!(errors(&input).is_empty(), "{typed}");
        }
        let input = OfferInput {
            commune: "Plouguernau".into(),
            ..good_input()
        };
        assert_eq!(
            errors(&input)[0].message,
            "Commune introuvable. Vouliez-vous dire Plouguerneau (29) ?"
        );
        let input = OfferInput {
            commune: "Zzzzzzzzzz".into(),
            ..good_input()
        };
        assert_eq!(
            errors(&input)[0].message,
            "Commune introuvable : indiquez son nom ou son code postal."
        );
    }

    #[test]
    fn remote_offers_need_no_commune() {
        let input = OfferInput {
            commune: String::new(),
            remote: true,
            department: "29".into(),
            ..good_input()
        };
        assert!(errors(&input).is_empty());
        let input = OfferInput {
            commune: String::new(),
            remote: true,
            department: "99".into(),
            ..good_input()
        };
        assert_eq!(errors(&input)[0].field, "department");
    }

    #[test]
    fn errors_on_bad_email_and_too_many_skills_or_links() {
        let input = OfferInput {
            email: "pas une adresse".into(),
            ..good_input()
        };
        assert_eq!(errors(&input)[0].field, "email");
        let skills = (0..11).map(|i| format!("Compétence {i}")).collect();
        let input = OfferInput {
            skills,
            ..good_input()
        };
        assert_eq!(
            errors(&input)[0].message,
            "Indiquez au plus 10 compétences."
        );
        let links = "Voir [a](https://a.fr) [b](https://b.fr) [c](https://c.fr) [d](https://d.fr)";
        let input = OfferInput {
            description: links.into(),
            ..good_input()
        };
        assert!(errors(&input)[0].message.contains("3 liens"));
    }

    #[test]
    fn errors_on_bad_contact_messages() {
        assert!(
            validate_contact(
                "Léa",
                "lea@exemple.org",
                "Bonjour, je suis disponible samedi matin."
            )
            .is_ok()
        );
        let errors = validate_contact("L\r\nBcc: x@y.z", "pas une adresse", "Court").unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "email", "message"]);
    }

    #[test]
    fn expiry_is_the_lifetime_or_the_end_date() {
        let domains = domains();
        let now = NaiveDate::from_ymd_opt(2026, 11, 24)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap()
            .and_utc();
        let draft = validate(&good_input(), &rules(&domains)).unwrap();
        let offer = draft.clone().into_offer(Ulid::nil(), now, 60);
        assert_eq!(
            offer.expires.date_naive(),
            NaiveDate::from_ymd_opt(2027, 1, 16).unwrap()
        );
        let offer = draft.into_offer(Ulid::nil(), now, 30);
        assert_eq!(offer.expires, now + Duration::days(30));
        assert_eq!(offer.status, Status::Pending);
    }
}
