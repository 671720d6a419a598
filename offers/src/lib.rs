//! The Entraide domain, shared by the generator, the functions and the CLI: the
//! offer, its validation, French communes, the Markdown subset, demo data and the
//! JSON Lines form of offers, searches and alerts. No I/O: where offers live is the `store` crate's.

pub mod alerts;
pub mod communes;
pub mod conversations;
pub mod demo;
pub mod jsonl;
pub mod markdown;
pub mod model;
pub mod search;
pub mod slug;
pub mod validate;
pub mod words;

pub use model::{
    AuthorKind, Engagement, Followup, Kind, Offer, PENDING_HOURS, PublicOffer, Status,
};
pub use ulid::Ulid;
