//! The links at the foot of every relayed mail: close the conversation, or
//! close it and block the other side; and the visitor's link that confirms
//! their address, after which the poster's replies reach them. Opened, they
//! show one button; its POST acts, from the site's own page.

use axum::extract::State;
use axum::response::Response;
use chrono::Duration;
use offers::Ulid;
use offers::conversations::{Conversation, Side};
use store::StoreError;

use crate::error::AppError;
use crate::extract::{Link, LinkTarget};
use crate::limits;
use crate::pages::{self, Button};
use crate::relay::{BLOCK_DAYS, Recipient, ReplyAddress, pass_on};
use crate::signed_links::signed;
use crate::state::AppState;
use crate::tokens::Purpose;

/// The links of one side of a conversation (`confirm`: the visitor's, in
/// their copy of the first message).
pub(crate) struct ConversationLinks {
    pub close: String,
    pub block: String,
    pub confirm: String,
}

/// The links `side` finds in the mails it receives; they live as long as the
/// conversation can.
pub(crate) fn conversation_links(state: &AppState, id: Ulid, side: Side) -> ConversationLinks {
    let lifetime = Duration::days(state.site().config.conversation_days + 30);
    let subject = format!("{id}:{}", side.letter());
    let link = |path| signed(state, path, Purpose::Conversation, &subject, 0, lifetime);
    ConversationLinks {
        close: link("/api/conversations/close"),
        block: link("/api/conversations/block"),
        confirm: link("/api/conversations/confirm"),
    }
}

/// The conversation a link names, and who holds the link.
pub(crate) struct ConversationLink {
    conversation: Conversation,
    side: Side,
    /// The offer's title, if it is still stored.
    title: Option<String>,
}

impl LinkTarget for ConversationLink {
    async fn open(state: &AppState, token: &str) -> Result<Self, AppError> {
        let bad = || AppError::BadLink(Purpose::Conversation);
        let claims = state
            .secret
            .verify(token, Purpose::Conversation, state.now().timestamp())
            .map_err(|_| bad())?;
        let (id, letter) = claims.subject.split_once(':').ok_or_else(bad)?;
        let id = Ulid::from_string(id).map_err(|_| bad())?;
        let side = letter
            .chars()
            .next()
            .and_then(Side::from_letter)
            .ok_or_else(bad)?;
        let conversation = state
            .store
            .get_conversation(id)
            .await
            .map_err(AppError::internal)?
            .ok_or_else(bad)?;
        let title = state
            .store
            .get(conversation.offer)
            .await
            .map_err(AppError::internal)?
            .map(|offer| offer.title);
        Ok(ConversationLink {
            conversation,
            side,
            title,
        })
    }
}

impl ConversationLink {
    fn about(&self) -> String {
        match &self.title {
            Some(title) => format!("Conversation à propos de l'annonce « {title} »."),
            None => "Conversation à propos d'une annonce qui n'est plus en ligne.".into(),
        }
    }

    /// The other side as this side knows it.
    fn other(&self) -> &str {
        match self.side {
            Side::Poster => &self.conversation.visitor_name,
            Side::Visitor => "la personne qui a publié l'annonce",
        }
    }
}

/// `GET /api/conversations/close?token=…`: one button; nothing changes.
pub(crate) async fn close_page(
    State(state): State<AppState>,
    Link { token, target }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    pages::button(
        &state,
        &Button {
            title: "Clore la conversation",
            paragraphs: &[
                &target.about(),
                "Une fois la conversation close, plus aucun message ne passera par elle, dans un sens comme dans l'autre.",
            ],
            action: &format!("/api/conversations/close?token={token}"),
            label: "Clore la conversation",
            link: None,
        },
    )
}

/// `GET /api/conversations/confirm?token=…`: one button; nothing changes.
pub(crate) async fn confirm_page(
    State(state): State<AppState>,
    Link { token, target }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    visitors_only(&target)?;
    pages::button(
        &state,
        &Button {
            title: "Recevoir les réponses",
            paragraphs: &[
                &target.about(),
                "Confirmez que cette adresse est la vôtre : les réponses de la personne qui a publié l'annonce vous parviendront alors par Entraide, sans qu'elle voie votre adresse.",
            ],
            action: &format!("/api/conversations/confirm?token={token}"),
            label: "C'est mon adresse",
            link: None,
        },
    )
}

/// `POST /api/conversations/confirm?token=…`: the visitor's address is
/// theirs; the replies held meanwhile leave.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Link { target, .. }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    visitors_only(&target)?;
    let (read, conversation) = rewrite(&state, target.conversation, |conversation| {
        conversation.held.clear();
        conversation.visitor_confirmed = true;
    })
    .await?;
    let held = read.held;
    let offer = state
        .store
        .get(conversation.offer)
        .await
        .map_err(AppError::internal)?;
    let mut sent = 0;
    if let Some(offer) = offer {
        let to = Recipient {
            address: ReplyAddress {
                conversation: conversation.id,
                writer: Side::Poster,
            },
            conversation,
            offer,
        };
        for message in &held {
            match pass_on(&state, &to, message).await {
                Ok(()) => sent += 1,
                Err(error) => tracing::error!("held reply not sent: {error}"),
            }
        }
    }
    let waiting = match sent {
        0 => "Pas encore de réponse : elle vous parviendra dès qu'elle sera écrite.".to_owned(),
        1 => "Une réponse vous attendait : elle vient de partir vers votre messagerie.".to_owned(),
        n => format!(
            "{n} réponses vous attendaient : elles viennent de partir vers votre messagerie."
        ),
    };
    pages::message(
        &state,
        "Adresse confirmée",
        "/api/conversations/confirm",
        &[&waiting],
        Some(("Retour à l'accueil", "/")),
    )
}

/// Writes `change` of a conversation; when a relayed message wrote it
/// meanwhile, changes what is stored now. Returns it as it was read, and as
/// stored.
async fn rewrite(
    state: &AppState,
    mut conversation: Conversation,
    change: impl Fn(&mut Conversation),
) -> Result<(Conversation, Conversation), AppError> {
    for _ in 0..3 {
        let mut changed = conversation.clone();
        change(&mut changed);
        match state.store.update_conversation(&changed).await {
            Err(StoreError::VersionConflict { .. }) => {
                conversation = state
                    .store
                    .get_conversation(conversation.id)
                    .await
                    .map_err(AppError::internal)?
                    .ok_or(AppError::BadLink(Purpose::Conversation))?;
            }
            Err(error) => return Err(AppError::internal(error)),
            Ok(stored) => return Ok((conversation, stored)),
        }
    }
    Err(AppError::internal("the conversation kept changing"))
}

/// A link only the visitor's side holds.
fn visitors_only(target: &ConversationLink) -> Result<(), AppError> {
    if target.side == Side::Visitor {
        Ok(())
    } else {
        Err(AppError::BadLink(Purpose::Conversation))
    }
}

/// `GET /api/conversations/block?token=…`: one button; nothing changes.
pub(crate) async fn block_page(
    State(state): State<AppState>,
    Link { token, target }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    let consequence = match target.side {
        Side::Poster => format!(
            "La conversation sera close, et {} ne pourra plus vous écrire au sujet de vos annonces depuis cette adresse.",
            target.other()
        ),
        Side::Visitor => "La conversation sera close, et la personne qui a publié l'annonce ne pourra plus vous écrire : elle n'a jamais eu votre adresse.".into(),
    };
    pages::button(
        &state,
        &Button {
            title: "Bloquer et clore la conversation",
            paragraphs: &[&target.about(), &consequence],
            action: &format!("/api/conversations/block?token={token}"),
            label: "Bloquer",
            link: None,
        },
    )
}

/// `POST /api/conversations/close?token=…`.
pub(crate) async fn close(
    State(state): State<AppState>,
    Link { target, .. }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    end(&state, target, false).await
}

/// `POST /api/conversations/block?token=…`: closes it, and a poster who blocks
/// also refuses that visitor's new messages through the contact form.
pub(crate) async fn block(
    State(state): State<AppState>,
    Link { target, .. }: Link<ConversationLink>,
) -> Result<Response, AppError> {
    if target.side == Side::Poster {
        let offer = state
            .store
            .get(target.conversation.offer)
            .await
            .map_err(AppError::internal)?;
        if let Some(offer) = offer {
            let now = state.now();
            state
                .store
                .mark(
                    &blocked_key(&state, &offer.email),
                    &state
                        .secret
                        .digest(&limits::quota_key(&target.conversation.visitor_email)),
                    now,
                    now + Duration::days(BLOCK_DAYS),
                )
                .await
                .map_err(AppError::internal)?;
        }
    }
    end(&state, target, true).await
}

/// The set of the visitors a poster's address blocked (keyed digests).
fn blocked_key(state: &AppState, poster: &str) -> String {
    format!(
        "blocked:{}",
        state.secret.digest(&limits::quota_key(poster))
    )
}

/// Whether the poster at `poster` blocked the visitor at `visitor`.
pub(crate) async fn is_blocked(state: &AppState, poster: &str, visitor: &str) -> bool {
    let member = state.secret.digest(&limits::quota_key(visitor));
    state
        .store
        .is_marked(&blocked_key(state, poster), &member, state.now())
        .await
        .unwrap_or_else(|error| {
            tracing::error!("block not read: {error}");
            false
        })
}

async fn end(
    state: &AppState,
    target: ConversationLink,
    blocked: bool,
) -> Result<Response, AppError> {
    let now = state.now();
    let (_, conversation) = rewrite(state, target.conversation, |conversation| {
        conversation.close(target.side, blocked, now);
    })
    .await?;
    tracing::info!(conversation = %conversation.id, blocked, "conversation closed");
    pages::message(
        state,
        if blocked {
            "Conversation close et bloquée"
        } else {
            "Conversation close"
        },
        "/api/conversations/close",
        &[
            "Plus aucun message ne passera par cette conversation. Ses adresses de réponse renvoient désormais les messages à leur expéditeur.",
        ],
        Some(("Retour à l'accueil", "/")),
    )
}
