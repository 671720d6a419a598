//! The two-way relay. Each side of a conversation writes to its own address on
//! the reply domain, `<side letter><conversation id><signature>@reply_domain`,
//! and the platform passes the text on to the other side from its own address:
//! neither learns the other's address unless they write it. Mail comes in
//! through `entraide serve --inbound-smtp` or SES (the `relay` function); both
//! look the address up with [`recipient`], then hand the mail to [`relay`].

use mail_parser::{Message, MessageParser, MimeHeaders};
use offers::conversations::{Conversation, HeldMessage, Side};
use offers::{Offer, Status, Ulid};
use serde_json::json;

use crate::alerts_run::refuses_our_mail;
use crate::conversations_api::{conversation_links, is_blocked};
use crate::limits;
use crate::mailer::{Mailbox, Outgoing};
use crate::offers_store::change_followup;
use crate::state::AppState;
use crate::tokens::Secret;

/// Characters of a reply address's local part: a side letter, a ULID, a tag.
const LOCAL_PART_LENGTH: usize = 1 + 26 + 20;
/// How long a poster's block of a visitor holds: longer than any offer and
/// its conversations.
pub const BLOCK_DAYS: i64 = 400;
/// The longest subject passed on.
const SUBJECT_CHARS: usize = 200;

/// Who writes to an address, in which conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyAddress {
    pub conversation: Ulid,
    pub writer: Side,
}

impl ReplyAddress {
    fn signed_text(self) -> String {
        format!("{}.{}", self.writer.letter(), self.conversation)
    }

    /// The local part, in lower case: some servers fold it.
    pub fn local_part(self, secret: &Secret) -> String {
        format!(
            "{}{}{}",
            self.writer.letter(),
            self.conversation.to_string().to_lowercase(),
            secret.address_tag(&self.signed_text())
        )
    }

    /// The address a local part names, if the platform signed it.
    pub fn parse(local_part: &str, secret: &Secret) -> Option<ReplyAddress> {
        if local_part.len() != LOCAL_PART_LENGTH || !local_part.is_ascii() {
            return None;
        }
        let writer = Side::from_letter(local_part.chars().next()?)?;
        let conversation = Ulid::from_string(&local_part[1..27].to_ascii_uppercase()).ok()?;
        let address = ReplyAddress {
            conversation,
            writer,
        };
        secret
            .is_address_tag(&address.signed_text(), &local_part[27..])
            .then_some(address)
    }
}

/// The address `writer` answers to in a conversation, showing `name`; none
/// when the site has no reply domain.
pub(crate) fn reply_mailbox(
    state: &AppState,
    conversation: Ulid,
    writer: Side,
    name: &str,
) -> Option<Mailbox> {
    let domain = state.site().config.reply_domain.clone()?;
    let local = ReplyAddress {
        conversation,
        writer,
    }
    .local_part(&state.secret);
    let address = lettre::Address::new(local, domain).ok()?;
    Some(Mailbox::new(Some(name.to_owned()), address))
}

/// Why an incoming mail is not passed on. The sending server is told (at the
/// SMTP conversation), and so its sender, in French.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("no such reply address")]
    UnknownAddress,
    #[error("conversation closed")]
    Closed,
    #[error("sender is not the party the address was given to")]
    NotAParty,
    #[error("text longer than relay_max_bytes")]
    TooLong,
    #[error("too many messages")]
    TooMany,
    #[error("unreadable message")]
    Unreadable,
    #[error("store or mail failure: {0}")]
    Unavailable(String),
}

impl Refusal {
    /// Why, in French, for the person who wrote.
    pub fn explanation(&self) -> &'static str {
        match self {
            Refusal::UnknownAddress => "Adresse inconnue : cette adresse de réponse n'existe pas.",
            Refusal::Closed => {
                "Conversation close : elle a pris fin, ou l'annonce n'est plus en ligne. Pour écrire de nouveau, passez par le site."
            }
            Refusal::NotAParty => {
                "Cette adresse de réponse n'accepte que les messages de la personne à qui elle a été donnée, depuis l'adresse qui a reçu le message."
            }
            Refusal::TooLong => {
                "Message trop long : raccourcissez le texte (les pièces jointes ne sont jamais transmises)."
            }
            Refusal::TooMany => {
                "Trop de messages en peu de temps dans cette conversation : réessayez plus tard."
            }
            Refusal::Unreadable => "Message illisible.",
            Refusal::Unavailable(_) => {
                "Le service est momentanément indisponible : réessayez plus tard."
            }
        }
    }

    /// The SMTP answer: code, enhanced status, and the explanation without
    /// its accents (SMTP replies are ASCII).
    pub fn smtp_reply(&self) -> (u16, [u8; 3], String) {
        let (code, status) = match self {
            Refusal::UnknownAddress | Refusal::Closed => (550, [5, 1, 1]),
            Refusal::NotAParty => (550, [5, 7, 1]),
            Refusal::TooLong => (552, [5, 3, 4]),
            Refusal::TooMany => (450, [4, 7, 1]),
            Refusal::Unreadable => (550, [5, 6, 0]),
            Refusal::Unavailable(_) => (451, [4, 3, 0]),
        };
        (code, status, deunicode::deunicode(self.explanation()))
    }
}

fn unavailable(error: impl std::fmt::Display) -> Refusal {
    Refusal::Unavailable(error.to_string())
}

/// An open conversation's address, as found at RCPT time.
#[derive(Debug, Clone)]
pub struct Recipient {
    pub address: ReplyAddress,
    pub conversation: Conversation,
    pub offer: Offer,
}

impl Recipient {
    /// The address the writer must send from, and the one the mail goes to.
    fn addresses(&self) -> (&str, &str) {
        let (poster, visitor) = (&self.offer.email, &self.conversation.visitor_email);
        match self.address.writer {
            Side::Poster => (poster, visitor),
            Side::Visitor => (visitor, poster),
        }
    }

    fn name_of(&self, side: Side) -> &str {
        match side {
            Side::Poster => &self.offer.author_name,
            Side::Visitor => &self.conversation.visitor_name,
        }
    }
}

/// The open conversation `address` (a full address) writes to.
pub async fn recipient(state: &AppState, address: &str) -> Result<Recipient, Refusal> {
    let (local, domain) = address
        .trim()
        .rsplit_once('@')
        .ok_or(Refusal::UnknownAddress)?;
    let site = state.site();
    let ours = site
        .config
        .reply_domain
        .as_deref()
        .is_some_and(|reply_domain| reply_domain.eq_ignore_ascii_case(domain));
    if !ours {
        return Err(Refusal::UnknownAddress);
    }
    let address = ReplyAddress::parse(local, &state.secret).ok_or(Refusal::UnknownAddress)?;
    let conversation = state
        .store
        .get_conversation(address.conversation)
        .await
        .map_err(unavailable)?
        .ok_or(Refusal::Closed)?;
    // Erased, or hidden by the moderators: the conversation ends with it.
    let offer = state
        .store
        .get(conversation.offer)
        .await
        .map_err(unavailable)?
        .filter(|offer| offer.status != Status::Removed)
        .ok_or(Refusal::Closed)?;
    if !conversation.is_open(state.now(), site.config.conversation_days) {
        return Err(Refusal::Closed);
    }
    Ok(Recipient {
        address,
        conversation,
        offer,
    })
}

/// What became of a mail that was not refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relayed {
    Sent,
    /// A poster's reply kept until the visitor confirms their address.
    Held,
    /// An automatic reply or a bounce: accepted, and dropped.
    Automatic,
}

/// Passes `raw`, sent by `envelope_sender` to `to`, on to the other side.
pub async fn relay(
    state: &AppState,
    to: &Recipient,
    envelope_sender: &str,
    raw: &[u8],
) -> Result<Relayed, Refusal> {
    let message = MessageParser::default()
        .parse(raw)
        .ok_or(Refusal::Unreadable)?;
    // Before anything that could answer: an answer to an automatic mail loops.
    if is_automatic(&message, envelope_sender) {
        tracing::info!(conversation = %to.conversation.id, "automatic reply not relayed");
        return Ok(Relayed::Automatic);
    }
    let (writer_address, reader_address) = to.addresses();
    // A blocked visitor's other conversations with that poster end too.
    if to.address.writer == Side::Visitor
        && is_blocked(state, &to.offer.email, &to.conversation.visitor_email).await
    {
        return Err(Refusal::Closed);
    }
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|from| from.address())
        .unwrap_or_default();
    if limits::mailbox(from) != limits::mailbox(writer_address) {
        return Err(Refusal::NotAParty);
    }
    // A reader who refused our mail (a complaint, a dead mailbox) gets no more.
    if refuses_our_mail(state, reader_address)
        .await
        .map_err(unavailable)?
    {
        return Err(Refusal::Closed);
    }
    let text = masked(
        &without_private_links(&text_of(&message), &state.base_url()),
        &[writer_address, reader_address],
    );
    if text.len() > state.site().config.relay_max_bytes {
        return Err(Refusal::TooLong);
    }
    for (limit, who) in [
        (
            &limits::RELAYED_PER_CONVERSATION,
            to.conversation.id.to_string(),
        ),
        (
            &limits::RELAYED_PER_ADDRESS,
            limits::quota_key(writer_address),
        ),
    ] {
        limits::count(state, limit, &who)
            .await
            .map_err(|_| Refusal::TooMany)?;
    }
    let subject = masked(
        &subject_of(&message, &to.offer),
        &[writer_address, reader_address],
    );
    let outgoing = HeldMessage {
        subject,
        text,
        attachments: message.attachment_count(),
    };
    let writer = to.address.writer;
    let relayed = if writer == Side::Poster && !to.conversation.visitor_confirmed {
        hold(state, to.conversation.id, outgoing).await?;
        tracing::info!(conversation = %to.conversation.id, "reply held until the visitor confirms");
        Relayed::Held
    } else {
        pass_on(state, to, &outgoing).await?;
        tracing::info!(conversation = %to.conversation.id, "message relayed");
        Relayed::Sent
    };
    record(state, to.conversation.id, writer).await;
    if message.attachment_count() > 0 {
        tell_attachments_dropped(state, to, writer_address).await;
    }
    Ok(relayed)
}

/// Sends a message of the writer of `to` to the other side, from the
/// platform, answering to the other side's own address.
pub(crate) async fn pass_on(
    state: &AppState,
    to: &Recipient,
    message: &HeldMessage,
) -> Result<(), Refusal> {
    let (_, reader_address) = to.addresses();
    let writer = to.address.writer;
    let reader = writer.other();
    let writer_name = to.name_of(writer);
    let links = conversation_links(state, to.conversation.id, reader);
    let context = json!({
        "writer": writer_name,
        "reader": to.name_of(reader),
        "offer": { "title": to.offer.title },
        "offer_url": format!("{}/annonces/{}/", state.base_url(), to.offer.id),
        "text": message.text,
        "attachments": message.attachments,
        "close_url": links.close,
        "block_url": links.block,
    });
    let site = state.site();
    let mail = Outgoing::themed(
        &site,
        "relay",
        reader_address,
        message.subject.clone(),
        &context,
    )
    .map_err(unavailable)?;
    let mail = Outgoing {
        reply_to: reply_mailbox(state, to.conversation.id, reader, writer_name),
        sender_name: Some(format!("{writer_name} via {}", site.config.name)),
        // A person wrote it: their correspondent's replies must go.
        automatic: false,
        ..mail
    };
    state.mailer.send(mail).await.map_err(unavailable)
}

/// Keeps a poster's reply in the conversation until the visitor confirms.
async fn hold(state: &AppState, id: Ulid, message: HeldMessage) -> Result<(), Refusal> {
    for _ in 0..3 {
        let mut conversation = state
            .store
            .get_conversation(id)
            .await
            .map_err(unavailable)?
            .ok_or(Refusal::Closed)?;
        if !conversation.hold(message.clone()) {
            return Err(Refusal::TooMany);
        }
        match state.store.update_conversation(&conversation).await {
            Err(store::StoreError::VersionConflict { .. }) => {}
            Err(error) => return Err(unavailable(error)),
            Ok(_) => return Ok(()),
        }
    }
    Err(Refusal::Unavailable(
        "the conversation kept changing".into(),
    ))
}

/// Counts the message in the conversation, and a poster's first reply on the
/// offer (its page tells how fast they come); a failure is only logged: the
/// message left.
async fn record(state: &AppState, id: Ulid, writer: Side) {
    let first_reply = match count_message(state, id, writer).await {
        Ok(first_reply) => first_reply,
        Err(error) => {
            tracing::error!("conversation not counted: {error}");
            return;
        }
    };
    let Some((offer, hours)) = first_reply else {
        return;
    };
    let shown = |followup: &offers::Followup| followup.reply_days();
    let before = state
        .store
        .get(offer)
        .await
        .ok()
        .flatten()
        .map(|o| shown(&o.followup));
    match change_followup(state, offer, |followup| followup.answered(hours)).await {
        Ok(Some(stored)) if before != Some(shown(&stored.followup)) => {
            state.rebuild.changed().await;
        }
        Ok(_) => {}
        Err(error) => tracing::error!("first reply not counted: {error}"),
    }
}

/// Counts the message; for the poster's first reply, the offer and the hours
/// it took.
async fn count_message(
    state: &AppState,
    id: Ulid,
    writer: Side,
) -> Result<Option<(Ulid, u32)>, store::StoreError> {
    for _ in 0..3 {
        let Some(stored) = state.store.get_conversation(id).await? else {
            return Ok(None);
        };
        let first = writer == Side::Poster && stored.first_reply.is_none();
        let mut counted = stored;
        let now = state.now();
        counted.record(writer, now);
        match state.store.update_conversation(&counted).await {
            Err(store::StoreError::VersionConflict { .. }) => {}
            Err(error) => return Err(error),
            Ok(_) if first => {
                let hours =
                    u32::try_from((now - counted.opened).num_hours().max(0)).unwrap_or(u32::MAX);
                return Ok(Some((counted.offer, hours)));
            }
            Ok(_) => return Ok(None),
        }
    }
    Ok(None)
}

/// The sender learns that their attachments stayed behind.
async fn tell_attachments_dropped(state: &AppState, to: &Recipient, writer_address: &str) {
    let context = json!({
        "offer": { "title": to.offer.title },
        "reader": to.name_of(to.address.writer.other()),
    });
    let subject = format!("Pièces jointes non transmises (« {} »)", to.offer.title);
    let notice = Outgoing::themed(
        &state.site(),
        "relay_attachments",
        writer_address,
        subject,
        &context,
    );
    let sent = match notice {
        Ok(notice) => state.mailer.send(notice).await.map_err(|e| e.to_string()),
        Err(error) => Err(error.to_string()),
    };
    if let Err(error) = sent {
        tracing::error!("attachment notice not sent: {error}");
    }
}

/// The incoming subject, cleaned of control characters and cut; the offer's
/// title when there is none.
fn subject_of(message: &Message, offer: &Offer) -> String {
    let subject: String = message
        .subject()
        .unwrap_or_default()
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(SUBJECT_CHARS)
        .collect();
    let subject = subject.trim();
    if subject.is_empty() {
        format!("Re: « {} »", offer.title)
    } else {
        subject.to_owned()
    }
}

/// `text` with the two parties' addresses masked, whatever their case: a mail
/// client's quote header (« À : … ») or a signature would show them.
fn masked(text: &str, addresses: &[&str]) -> String {
    let mut text = text.to_owned();
    for address in addresses.iter().filter(|address| !address.is_empty()) {
        let wanted = address.as_bytes();
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let (mut rest, mut at) = (0, 0);
        // ASCII bytes never stand inside a multi-byte character: a match of
        // an ASCII address starts and ends on character boundaries.
        while at + wanted.len() <= bytes.len() {
            if address.is_ascii() && bytes[at..at + wanted.len()].eq_ignore_ascii_case(wanted) {
                out.push_str(&text[rest..at]);
                out.push_str("[adresse masquée]");
                at += wanted.len();
                rest = at;
            } else {
                at += 1;
            }
        }
        out.push_str(&text[rest..]);
        text = out;
    }
    text
}

/// `text` with the platform's private links taken out: a reply quoting the
/// mail it answers carries the links of its reader (close, block), which are
/// not for the other side.
fn without_private_links(text: &str, base_url: &str) -> String {
    let private = format!("{base_url}/api/");
    text.split_inclusive(char::is_whitespace)
        .map(|word| {
            let trimmed = word.trim_start_matches(['<', '(', '"', '[', '>']);
            if trimmed.starts_with(&private) {
                let end = &word[word.trim_end().len()..];
                format!("[lien retiré]{end}")
            } else {
                word.to_owned()
            }
        })
        .collect()
}

/// The message's text parts (an HTML-only message made text), joined, with
/// Unix line ends.
fn text_of(message: &Message) -> String {
    let parts: Vec<String> = (0..message.text_body_count().max(1))
        .filter_map(|part| message.body_text(part))
        .map(|text| text.replace("\r\n", "\n"))
        .collect();
    parts.join("\n\n").trim_end().to_owned()
}

/// Words that start the subject of an out-of-office reply, lower case.
const AUTOMATIC_SUBJECTS: [&str; 12] = [
    "absence",
    "absent",
    "réponse automatique",
    "reponse automatique",
    "message automatique",
    "automatic reply",
    "auto-reply",
    "autoreply",
    "auto:",
    "out of office",
    "en congé",
    "en conge",
];

/// Whether a raw mail is automatic (or unreadable: nothing to answer either).
pub fn is_automatic_raw(raw: &[u8], envelope_sender: &str) -> bool {
    MessageParser::default()
        .parse(raw)
        .is_none_or(|message| is_automatic(&message, envelope_sender))
}

/// Whether a machine wrote it: an out-of-office, a bounce, a list's mail.
pub fn is_automatic(message: &Message, envelope_sender: &str) -> bool {
    let bounce = envelope_sender.trim().trim_matches(['<', '>']).is_empty();
    let header = |wanted: &str| {
        message
            .headers_raw()
            .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
            .map(|(_, value)| value.trim().to_ascii_lowercase())
    };
    let auto_submitted = header("Auto-Submitted").is_some_and(|value| value != "no");
    let precedence = header("Precedence")
        .is_some_and(|value| matches!(value.as_str(), "bulk" | "junk" | "list" | "auto_reply"));
    let flagged = ["X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"]
        .iter()
        .any(|name| header(name).is_some());
    let list = ["List-Id", "List-Unsubscribe"]
        .iter()
        .any(|name| header(name).is_some());
    let report = message.root_part().content_type().is_some_and(|kind| {
        kind.c_type.eq_ignore_ascii_case("multipart")
            && kind
                .subtype()
                .is_some_and(|sub| sub.eq_ignore_ascii_case("report"))
    });
    let subject = message.subject().unwrap_or_default().trim().to_lowercase();
    let vacation = AUTOMATIC_SUBJECTS
        .iter()
        .any(|start| subject.starts_with(start));
    bounce || auto_submitted || precedence || flagged || list || report || vacation
}

#[cfg(test)]
mod tests {
    use super::{masked, without_private_links};

    #[test]
    fn the_parties_addresses_are_masked_whatever_their_case() {
        let text = "Merci.\n\nDe : Léa <Lea.Martin@Exemple.org>\nÀ : poster@exemple.org\nlea.martin@exemple.org écrit";
        assert_eq!(
            masked(text, &["lea.martin@exemple.org", "poster@exemple.org"]),
            "Merci.\n\nDe : Léa <[adresse masquée]>\nÀ : [adresse masquée]\n[adresse masquée] écrit"
        );
    }

    #[test]
    fn a_quoted_private_link_does_not_reach_the_other_side() {
        let text = "Merci !\n\n> Clore : https://entraide.example/api/conversations/close?token=abc\n> <https://entraide.example/api/conversations/block?token=def>\nVoir https://entraide.example/annonces/01X/ demain.";
        let cleaned = without_private_links(text, "https://entraide.example");
        assert_eq!(
            cleaned,
            "Merci !\n\n> Clore : [lien retiré]\n> [lien retiré]\nVoir https://entraide.example/annonces/01X/ demain."
        );
    }
}
