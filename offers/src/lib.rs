//! The Entraide domain, shared by the generator, the functions and the CLI.

pub mod communes;
pub mod demo;
pub mod markdown;
pub mod model;
pub mod slug;
mod sqlite;
pub mod store;
pub mod validate;

pub use model::{AuthorKind, Engagement, Kind, Offer, PublicOffer, Status};
pub use store::{Changes, DEFAULT_STORE_URL, Store, StoreError, open_store};
pub use ulid::Ulid;
