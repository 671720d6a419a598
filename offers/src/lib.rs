//! The Entraide domain, shared by the generator, the functions and the CLI.

pub mod communes;
pub mod demo;
pub mod dynamodb;
pub mod jsonl;
pub mod markdown;
pub mod model;
pub mod private_files;
pub mod slug;
pub mod sqlite;
pub mod store;
pub mod validate;

pub use dynamodb::DynamoStore;
pub use model::{AuthorKind, Engagement, Kind, Offer, PENDING_HOURS, PublicOffer, Status};
pub use sqlite::SqliteStore;
pub use store::{Changes, DEFAULT_STORE_URL, Marked, Store, StoreError, open_store};
pub use ulid::Ulid;
