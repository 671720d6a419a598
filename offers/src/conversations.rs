//! A conversation the relay carries between a poster and a visitor who wrote
//! about an offer: who the two parties are, its dates, and how many messages
//! each side sent and when — never what they said (bodies are kept only until
//! relayed). The poster's address is the offer's: it is not copied here.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use ulid::Ulid;

/// Days a conversation stays open after its last message, unless site.toml says.
pub const DEFAULT_CONVERSATION_DAYS: i64 = 90;

/// One of the two parties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    Poster,
    Visitor,
}

impl Side {
    pub fn other(self) -> Side {
        match self {
            Side::Poster => Side::Visitor,
            Side::Visitor => Side::Poster,
        }
    }

    /// The letter that starts the side's reply address and private links.
    pub fn letter(self) -> char {
        match self {
            Side::Poster => 'p',
            Side::Visitor => 'v',
        }
    }

    pub fn from_letter(letter: char) -> Option<Side> {
        match letter.to_ascii_lowercase() {
            'p' => Some(Side::Poster),
            'v' => Some(Side::Visitor),
            _ => None,
        }
    }
}

/// A poster's reply kept until the visitor confirms their address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeldMessage {
    pub subject: String,
    pub text: String,
    /// Attachments it had (left behind).
    pub attachments: usize,
}

/// Replies held at most, and their bytes at most (a DynamoDB item holds
/// 400 KB).
pub const HELD_MESSAGES: usize = 3;
pub const HELD_BYTES: usize = 300 * 1024;

/// How a conversation ended before its time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    pub at: DateTime<Utc>,
    pub by: Side,
    /// The closing side also refuses new messages from the other one.
    pub blocked: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversation {
    pub id: Ulid,
    pub offer: Ulid,
    /// The visitor's address and name, as typed in the contact form.
    pub visitor_email: String,
    pub visitor_name: String,
    pub opened: DateTime<Utc>,
    pub last_message: DateTime<Utc>,
    /// Messages each side sent through the relay (the visitor's first included).
    pub from_visitor: u32,
    pub from_poster: u32,
    /// When the poster first answered: the responsiveness figure's input.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_reply: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub closed: Option<Closure>,
    /// The visitor proved the address is theirs (the link of their copy):
    /// until then the poster's replies wait here, never sent to an address
    /// anyone could have typed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub visitor_confirmed: bool,
    /// The poster's replies waiting for that proof (erased once relayed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub held: Vec<HeldMessage>,
    /// Counted once among its poster's unanswered conversations.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub counted_unanswered: bool,
    /// Bumped on every write; a write from an older read is refused.
    pub version: u64,
}

impl Conversation {
    /// A conversation opened by a visitor's first message, at `now`.
    pub fn open(offer: Ulid, visitor_email: &str, visitor_name: &str, now: DateTime<Utc>) -> Self {
        Conversation {
            id: Ulid::new(),
            offer,
            visitor_email: visitor_email.trim().to_owned(),
            visitor_name: visitor_name.trim().to_owned(),
            opened: now,
            last_message: now,
            from_visitor: 1,
            from_poster: 0,
            first_reply: None,
            closed: None,
            visitor_confirmed: false,
            held: Vec::new(),
            counted_unanswered: false,
            version: 0,
        }
    }

    /// When it closes (or closed) by itself: `days` after its last message.
    pub fn lapses(&self, days: i64) -> DateTime<Utc> {
        self.last_message + Duration::days(days)
    }

    /// Whether a message may still go through at `now`.
    pub fn is_open(&self, now: DateTime<Utc>, days: i64) -> bool {
        self.closed.is_none() && now < self.lapses(days)
    }

    /// Counts a message `from` one side, relayed at `now`.
    pub fn record(&mut self, from: Side, now: DateTime<Utc>) {
        match from {
            Side::Visitor => self.from_visitor += 1,
            Side::Poster => {
                self.from_poster += 1;
                self.first_reply.get_or_insert(now);
            }
        }
        self.last_message = now;
    }

    /// Keeps a reply of the poster until the visitor confirms; `false` when
    /// too much already waits.
    pub fn hold(&mut self, message: HeldMessage) -> bool {
        let bytes: usize = self.held.iter().map(|held| held.text.len()).sum();
        if self.held.len() >= HELD_MESSAGES || bytes + message.text.len() > HELD_BYTES {
            return false;
        }
        self.held.push(message);
        true
    }

    /// Ends it now, for both sides.
    pub fn close(&mut self, by: Side, blocked: bool, now: DateTime<Utc>) {
        if self.closed.is_none() {
            self.closed = Some(Closure {
                at: now,
                by,
                blocked,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(day: u32) -> DateTime<Utc> {
        format!("2026-12-{day:02}T10:00:00Z").parse().unwrap()
    }

    #[test]
    fn a_conversation_lapses_days_after_its_last_message() {
        let mut conversation = Conversation::open(Ulid::new(), "lea@exemple.org", "Léa", at(1));
        assert!(conversation.is_open(at(10), 10));
        assert!(!conversation.is_open(at(11), 10));
        conversation.record(Side::Poster, at(5));
        assert!(conversation.is_open(at(14), 10));
        assert!(!conversation.is_open(at(15), 10));
    }

    #[test]
    fn the_first_reply_is_the_posters_first_message_only() {
        let mut conversation = Conversation::open(Ulid::new(), "lea@exemple.org", "Léa", at(1));
        conversation.record(Side::Visitor, at(2));
        assert_eq!(conversation.first_reply, None);
        conversation.record(Side::Poster, at(3));
        conversation.record(Side::Poster, at(4));
        assert_eq!(conversation.first_reply, Some(at(3)));
        assert_eq!(
            (conversation.from_visitor, conversation.from_poster),
            (2, 2)
        );
    }

    #[test]
    fn a_closed_conversation_keeps_who_closed_it_first() {
        let mut conversation = Conversation::open(Ulid::new(), "lea@exemple.org", "Léa", at(1));
        conversation.close(Side::Visitor, true, at(2));
        conversation.close(Side::Poster, false, at(3));
        assert_eq!(
            conversation.closed,
            Some(Closure {
                at: at(2),
                by: Side::Visitor,
                blocked: true
            })
        );
        assert!(!conversation.is_open(at(2), 90));
    }
}
