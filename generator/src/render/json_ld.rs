//! schema.org descriptions of offer pages, for search engines.

use crate::config::SiteConfig;
use crate::prepared::Prepared;
use crate::view::OfferView;

/// schema.org description of an offer page: a `JobPosting` for a structure's need,
/// a `Service` for help offered.
pub fn json_ld(prepared: &Prepared, view: &OfferView, config: &SiteConfig) -> String {
    let offer = prepared.offer;
    let url = format!("{}{}", config.base_url, view.url);
    let place = || schema::Place {
        kind: "Place",
        address: schema::Address {
            kind: "PostalAddress",
            address_country: "FR",
            address_locality: view.commune.as_ref().map(|c| c.label.as_str()),
            address_region: view.region.as_ref().map(|r| r.label.as_str()),
            postal_code: view.postcode,
        },
    };
    let france = schema::Named {
        kind: "Country",
        name: "France",
    };
    let author = schema::Named {
        kind: if offer.author_kind == offers::AuthorKind::Individual {
            "Person"
        } else {
            "Organization"
        },
        name: &view.author_name,
    };
    let data = if offer.kind == offers::Kind::Request {
        serde_json::to_string(&schema::JobPosting {
            context: schema::CONTEXT,
            kind: "JobPosting",
            applicant_location_requirements: offer.remote.then_some(france),
            date_posted: &view.published_iso,
            description: &view.description_html,
            employment_type: if offer.engagement == offers::Engagement::Volunteer {
                "VOLUNTEER"
            } else {
                "OTHER"
            },
            hiring_organization: author,
            industry: &view.domain.label,
            job_location: (!offer.remote).then(place),
            job_location_type: offer.remote.then_some("TELECOMMUTE"),
            title: &view.title,
            url: &url,
            valid_through: &view.expires_iso,
        })
    } else {
        serde_json::to_string(&schema::Service {
            context: schema::CONTEXT,
            kind: "Service",
            area_served: if offer.remote {
                schema::Area::Country(france)
            } else {
                schema::Area::Place(place())
            },
            category: &view.domain.label,
            description: &view.summary,
            name: &view.title,
            provider: author,
            url: &url,
        })
    };
    // "</" would end the script element that carries the JSON: every "<" is
    // written as its JSON escape, which a one-character search finds fast.
    data.unwrap_or_default().replace('<', "\\u003c")
}

/// schema.org's types as this site writes them. Fields in alphabetical order:
/// the order of the `serde_json::Value` maps they replaced (same bytes).
mod schema {
    use serde::Serialize;

    pub const CONTEXT: &str = "https://schema.org";

    #[derive(Serialize)]
    pub struct Named<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub name: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Address<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub address_country: &'static str,
        pub address_locality: Option<&'a str>,
        pub address_region: Option<&'a str>,
        pub postal_code: Option<&'a str>,
    }

    #[derive(Serialize)]
    pub struct Place<'a> {
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub address: Address<'a>,
    }

    #[derive(Serialize)]
    #[serde(untagged)]
    pub enum Area<'a> {
        Country(Named<'a>),
        Place(Place<'a>),
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct JobPosting<'a> {
        #[serde(rename = "@context")]
        pub context: &'static str,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub applicant_location_requirements: Option<Named<'a>>,
        pub date_posted: &'a str,
        pub description: &'a str,
        pub employment_type: &'static str,
        pub hiring_organization: Named<'a>,
        pub industry: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub job_location: Option<Place<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        pub job_location_type: Option<&'static str>,
        pub title: &'a str,
        pub url: &'a str,
        pub valid_through: &'a str,
    }

    #[derive(Serialize)]
    #[serde(rename_all = "camelCase")]
    pub struct Service<'a> {
        #[serde(rename = "@context")]
        pub context: &'static str,
        #[serde(rename = "@type")]
        pub kind: &'static str,
        pub area_served: Area<'a>,
        pub category: &'a str,
        pub description: &'a str,
        pub name: &'a str,
        pub provider: Named<'a>,
        pub url: &'a str,
    }
}
