//! The open data: every listed offer's public fields in JSON and CSV.

use offers::communes::geography;
use serde::Serialize;

use super::{RenderEnv, buffer_for};
use crate::jobs::Job;
use crate::prepared::Prepared;

/// `/donnees/annonces.json`.
pub fn json(job: &Job, env: &RenderEnv, expected_size: usize) -> Result<Vec<u8>, String> {
    let file = OpenDataFile {
        start: b"[",
        separator: b",",
        end: b"]",
    };
    file.draw(
        job,
        env,
        expected_size,
        |p| &p.drawn.open_data_json,
        |p, out| {
            serde_json::to_writer(out, &OpenDataRecord::new(p, env)).map_err(|e| e.to_string())
        },
    )
}

/// `/donnees/annonces.csv`.
pub fn csv(job: &Job, env: &RenderEnv, expected_size: usize) -> Result<Vec<u8>, String> {
    let mut header = Vec::new();
    csv_row(&mut header, CSV_COLUMNS.map(str::to_owned))?;
    let file = OpenDataFile {
        start: &header,
        separator: b"",
        end: b"",
    };
    file.draw(
        job,
        env,
        expected_size,
        |p| &p.drawn.open_data_csv,
        |p, out| csv_row(out, OpenDataRecord::new(p, env).csv_fields()),
    )
}

/// How an open data file wraps its records.
struct OpenDataFile<'a> {
    start: &'a [u8],
    separator: &'a [u8],
    end: &'a [u8],
}

impl OpenDataFile<'_> {
    /// The file of the job's offers: each record the one kept by an earlier build,
    /// or drawn now, straight into the file unless the build keeps records (160 MB
    /// at 100,000 offers: every record apart, then the file, would be twice that).
    fn draw<'p>(
        &self,
        job: &Job<'p>,
        env: &RenderEnv,
        expected_size: usize,
        slot: impl Fn(&'p Prepared<'p>) -> &'p std::sync::OnceLock<Vec<u8>>,
        record: impl Fn(&Prepared, &mut Vec<u8>) -> Result<(), String>,
    ) -> Result<Vec<u8>, String> {
        let guess = job.offers.len() * OPEN_DATA_RECORD_GUESS;
        let mut bytes = buffer_for(expected_size, guess);
        bytes.extend_from_slice(self.start);
        for (index, prepared) in job.offers.iter().enumerate() {
            if index > 0 {
                bytes.extend_from_slice(self.separator);
            }
            let slot = slot(prepared);
            match slot.get() {
                Some(kept) => bytes.extend_from_slice(kept),
                None if env.keep_records => {
                    let mut drawn = Vec::new();
                    record(prepared, &mut drawn)?;
                    bytes.extend_from_slice(slot.get_or_init(|| drawn));
                }
                None => record(prepared, &mut bytes)?,
            }
        }
        bytes.extend_from_slice(self.end);
        Ok(bytes)
    }
}

/// An upper bound of one offer's open data record (about 950 bytes in JSON).
const OPEN_DATA_RECORD_GUESS: usize = 2048;

/// One offer as published in the open data: public fields only.
#[derive(Serialize)]
struct OpenDataRecord<'a> {
    id: String,
    url: String,
    kind: &'static str,
    engagement: &'static str,
    author_kind: &'static str,
    author_name: &'a str,
    domain: &'a str,
    title: &'a str,
    description: &'a str,
    skills: &'a [String],
    commune: Option<&'a str>,
    commune_name: Option<&'static str>,
    /// The commune's position, to 3 decimals (about 100 m).
    latitude: Option<f64>,
    longitude: Option<f64>,
    department: Option<&'a str>,
    region: Option<&'static str>,
    remote: bool,
    start: Option<String>,
    end: Option<String>,
    published: String,
    updated: String,
    expires: String,
}

impl<'a> OpenDataRecord<'a> {
    /// The record's fields in the order of `CSV_COLUMNS`.
    fn csv_fields(self) -> [String; 22] {
        let text = |v: Option<&str>| v.unwrap_or_default().to_owned();
        let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
        [
            self.id,
            self.url,
            self.kind.to_owned(),
            self.engagement.to_owned(),
            self.author_kind.to_owned(),
            self.author_name.to_owned(),
            self.domain.to_owned(),
            self.title.to_owned(),
            self.description.to_owned(),
            self.skills.join("; "),
            text(self.commune),
            text(self.commune_name),
            number(self.latitude),
            number(self.longitude),
            text(self.department),
            text(self.region),
            self.remote.to_string(),
            self.start.unwrap_or_default(),
            self.end.unwrap_or_default(),
            self.published,
            self.updated,
            self.expires,
        ]
    }

    /// Straight from the stored offer: the open data of 100,000 offers needs no view.
    fn new(prepared: &'a Prepared, env: &RenderEnv) -> Self {
        let offer = prepared.offer;
        let geo = geography();
        let department = offer.department_code();
        let commune = offer.commune.as_deref().and_then(|c| geo.commune(c));
        let position = commune.and_then(|c| c.position).map(|p| p.to_thousandths());
        OpenDataRecord {
            id: offer.id.to_string(),
            url: format!("{}{}", env.config.base_url, crate::urls::offer(offer.id)),
            kind: offer.kind.as_str(),
            engagement: offer.engagement.as_str(),
            author_kind: offer.author_kind.as_str(),
            author_name: &offer.author_name,
            domain: &offer.domain,
            title: &offer.title,
            description: &offer.description,
            skills: &offer.skills,
            commune: offer.commune.as_deref(),
            commune_name: commune.map(|c| c.name),
            latitude: position.map(|(latitude, _)| latitude),
            longitude: position.map(|(_, longitude)| longitude),
            department,
            region: department.and_then(|d| geo.region_of(d)).map(|r| r.name),
            remote: offer.remote,
            start: offer.start.map(|d| d.to_string()),
            end: offer.end.map(|d| d.to_string()),
            published: crate::view::iso_seconds(prepared.published),
            updated: crate::view::iso_seconds(offer.updated),
            expires: crate::view::iso_date(offer.expires),
        }
    }
}

pub const CSV_COLUMNS: [&str; 22] = [
    "id",
    "url",
    "kind",
    "engagement",
    "author_kind",
    "author_name",
    "domain",
    "title",
    "description",
    "skills",
    "commune",
    "commune_name",
    "latitude",
    "longitude",
    "department",
    "region",
    "remote",
    "start",
    "end",
    "published",
    "updated",
    "expires",
];

/// Appends one CSV line, quoted as the CSV writer does, every cell inert in a
/// spreadsheet.
fn csv_row<const N: usize>(out: &mut Vec<u8>, fields: [String; N]) -> Result<(), String> {
    // The writer's own buffer is 8 KB by default, zeroed for every line.
    let mut writer = csv::WriterBuilder::new()
        .buffer_capacity(CSV_LINE_BUFFER)
        .from_writer(out);
    writer
        .write_record(fields.map(spreadsheet_inert))
        .map_err(|e| e.to_string())?;
    writer.flush().map_err(|e| e.to_string())
}

const CSV_LINE_BUFFER: usize = 1024;

/// A cell a spreadsheet would read as a formula (`=`, `+`, `-`, `@`, tab or
/// carriage return first) gets a leading apostrophe, which spreadsheets show as
/// text (OWASP's advice against CSV injection). A plain number (a western
/// longitude) is no formula and stays a number.
fn spreadsheet_inert(cell: String) -> String {
    let plain_number = cell.strip_prefix('-').is_some_and(|digits| {
        digits.chars().all(|c| c.is_ascii_digit() || c == '.') && digits.parse::<f64>().is_ok()
    });
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) && !plain_number {
        format!("'{cell}")
    } else {
        cell
    }
}
