//! Outgoing mail through lettre, with the transport picked from a URL:
//! `smtp://[user:pass@]host:port[?tls=none|starttls|tls]`, `file://DIR` (one
//! `.eml` per mail, the local default) or the in-memory outbox of tests.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

pub use lettre::message::Mailbox;
use lettre::message::MultiPart;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use url::Url;

/// The local default outbox.
pub const DEFAULT_MAIL_URL: &str = "file://data/outbox";

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("unsupported mail URL {0:?}: use smtp://host:port or file://DIR")]
    BadUrl(String),
    #[error("invalid address or header: {0}")]
    Build(String),
    #[error("mail not sent: {0}")]
    Send(String),
    /// The receiving server refused the mailbox for good (SMTP 550, 551 or 553:
    /// no such mailbox, not here, bad name). Other 5xx answers (a relay's
    /// authentication, an unverified sender, a paused account) say nothing of
    /// the address: they are `Send` errors.
    #[error("address refused for good: {0}")]
    Rejected(String),
}

/// One mail to send; the body comes as plain text and HTML.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub to: String,
    pub reply_to: Option<Mailbox>,
    /// The From's name instead of the site's, at the site's address (a relayed
    /// message: « Léa via Entraide »).
    pub sender_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Sent by the platform itself (confirmation, link): marked `Auto-Submitted`.
    pub automatic: bool,
    /// Mail of a list the person subscribed to (an alert): where one click
    /// unsubscribes (`List-Unsubscribe`, RFC 8058), and the list's id.
    pub list: Option<List>,
}

/// What a list mail carries besides its body.
#[derive(Debug, Clone)]
pub struct List {
    /// `List-Id`, e.g. `alertes.entraide.example`.
    pub id: String,
    /// The https URL whose POST unsubscribes.
    pub unsubscribe: String,
}

/// An error's text with every word holding an `@` replaced: SMTP servers quote
/// the recipient in their refusals, and errors are logged.
fn without_addresses(error: &impl std::fmt::Display) -> String {
    error
        .to_string()
        .split(' ')
        .map(|word| {
            if word.contains('@') {
                "<adresse>"
            } else {
                word
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl Outgoing {
    /// The platform's own mail to `to`, drawn from the theme's `mail/<template>.txt`
    /// and `.html`.
    pub fn themed(
        site: &generator::Site,
        template: &str,
        to: &str,
        subject: String,
        context: &impl serde::Serialize,
    ) -> Result<Outgoing, generator::BuildError> {
        let (text, html) = site.render_mail(template, context)?;
        Ok(Outgoing {
            to: to.to_owned(),
            reply_to: None,
            sender_name: None,
            subject,
            text,
            html,
            automatic: true,
            list: None,
        })
    }
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// The transport and its folder.
    File(AsyncFileTransport<Tokio1Executor>, PathBuf),
    Memory(Arc<Mutex<Vec<Message>>>),
}

pub struct Mailer {
    transport: Transport,
    from: Mailbox,
}

fn bad(url: &str) -> MailError {
    MailError::BadUrl(url.to_owned())
}

/// `smtp://[user:pass@]host:port[?tls=none|starttls|tls]` (STARTTLS unless
/// told), said in lettre's own words (`smtp://` in clear, `?tls=required` for
/// STARTTLS, `smtps://` for TLS) for lettre to build the transport, credentials
/// percent-decoded (SES passwords hold '/' and '+').
fn smtp(url: &str) -> Result<AsyncSmtpTransport<Tokio1Executor>, MailError> {
    let mut parsed = Url::parse(url).map_err(|_| bad(url))?;
    // A port always; a password with any user; no path (lettre's EHLO name).
    let ours = parsed.port().is_some()
        && (parsed.username().is_empty() || parsed.password().is_some())
        && parsed.path().is_empty()
        && parsed.fragment().is_none();
    if !ours {
        return Err(bad(url));
    }
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, mode)| mode.into_owned());
    let (scheme, query) = match tls.as_deref().unwrap_or("starttls") {
        "none" => ("smtp", None),
        "starttls" => ("smtp", Some("tls=required")),
        "tls" => ("smtps", None),
        _ => return Err(bad(url)),
    };
    parsed.set_scheme(scheme).map_err(|()| bad(url))?;
    parsed.set_query(query);
    AsyncSmtpTransport::<Tokio1Executor>::from_url(parsed.as_str())
        .map(|builder| builder.build())
        .map_err(|_| bad(url))
}

impl Mailer {
    /// A mailer for the transport `url` names, sending from `from`.
    pub fn from_url(url: &str, from: Mailbox) -> Result<Mailer, MailError> {
        let transport = if url.starts_with("smtp://") {
            Transport::Smtp(smtp(url)?)
        } else if let Some(dir) = url.strip_prefix("file://").filter(|d| !d.is_empty()) {
            let dir = PathBuf::from(dir);
            // Mails carry addresses and private links: owner-only.
            store::private_files::create_private_dir(&dir)
                .map_err(|e| MailError::BadUrl(format!("{}: {e}", dir.display())))?;
            Transport::File(AsyncFileTransport::new(dir.clone()), dir)
        } else {
            return Err(bad(url));
        };
        Ok(Mailer { transport, from })
    }

    /// A mailer that keeps mails in memory, and the outbox to read them from.
    pub fn in_memory(from: Mailbox) -> (Mailer, Arc<Mutex<Vec<Message>>>) {
        let outbox = Arc::new(Mutex::new(Vec::new()));
        (
            Mailer {
                transport: Transport::Memory(Arc::clone(&outbox)),
                from,
            },
            outbox,
        )
    }

    pub fn from_address(&self) -> &Mailbox {
        &self.from
    }

    pub async fn send(&self, mail: Outgoing) -> Result<(), MailError> {
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| MailError::Build(without_addresses(&e)))?;
        let message_id = format!("<{}@{}>", offers::Ulid::new(), self.from.email.domain());
        let mut builder = Message::builder()
            .message_id(Some(message_id))
            .from(match mail.sender_name {
                Some(name) => Mailbox::new(Some(name), self.from.email.clone()),
                None => self.from.clone(),
            })
            .to(to)
            .subject(mail.subject);
        if let Some(reply_to) = mail.reply_to {
            builder = builder.reply_to(reply_to);
        }
        let mut message = builder
            .multipart(MultiPart::alternative_plain_html(mail.text, mail.html))
            .map_err(|e| MailError::Build(without_addresses(&e)))?;
        let mut raw = |name: &'static str, value: String| {
            message.headers_mut().insert_raw(HeaderValue::new(
                HeaderName::new_from_ascii_str(name),
                value,
            ));
        };
        if mail.automatic {
            raw("Auto-Submitted", "auto-generated".to_owned());
        }
        if let Some(list) = mail.list {
            raw("List-Id", format!("<{}>", list.id));
            raw("List-Unsubscribe", format!("<{}>", list.unsubscribe));
            raw(
                "List-Unsubscribe-Post",
                "List-Unsubscribe=One-Click".to_owned(),
            );
        }
        match &self.transport {
            Transport::Smtp(smtp) => smtp.send(message).await.map(drop).map_err(|e| {
                let code = e.status().map(|code| code.to_string());
                if e.is_permanent() && matches!(code.as_deref(), Some("550" | "551" | "553")) {
                    MailError::Rejected(without_addresses(&e))
                } else {
                    MailError::Send(without_addresses(&e))
                }
            }),
            Transport::File(file, dir) => {
                let id = file
                    .send(message)
                    .await
                    .map_err(|e| MailError::Send(without_addresses(&e)))?;
                store::private_files::make_private(&dir.join(format!("{id}.eml")))
                    .map_err(|e| MailError::Send(without_addresses(&e)))
            }
            Transport::Memory(outbox) => {
                outbox
                    .lock()
                    .map_err(|_| MailError::Send("outbox lock poisoned".into()))?
                    .push(message);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from() -> Mailbox {
        "Entraide <ne-pas-repondre@entraide.example>"
            .parse()
            .unwrap()
    }

    fn mail() -> Outgoing {
        Outgoing {
            to: "annonceur@exemple.org".into(),
            reply_to: Some("Visiteur <visiteur@exemple.org>".parse().unwrap()),
            sender_name: None,
            subject: "Votre annonce « Aide aux devoirs »".into(),
            text: "Bonjour,\nvoici le lien.".into(),
            html: "<p>Bonjour,</p>".into(),
            automatic: true,
            list: None,
        }
    }

    #[tokio::test]
    async fn can_send_to_memory_with_headers_and_both_bodies() {
        let (mailer, outbox) = Mailer::in_memory(from());
        mailer.send(mail()).await.unwrap();
        let sent = String::from_utf8(outbox.lock().unwrap()[0].formatted()).unwrap();
        for header in [
            "Message-ID: ",
            "Date: ",
            "Auto-Submitted: auto-generated",
            "Reply-To: ",
            "From: ",
        ] {
            assert!(sent.contains(header), "{header} missing in\n{sent}");
        }
        assert!(sent.contains("text/plain") && sent.contains("text/html"));
    }

    #[tokio::test]
    async fn can_send_a_list_mail_that_unsubscribes_in_one_click() {
        let (mailer, outbox) = Mailer::in_memory(from());
        let list = List {
            id: "alertes.entraide.example".into(),
            unsubscribe: "https://entraide.example/api/alerts/unsubscribe?token=abc".into(),
        };
        mailer
            .send(Outgoing {
                list: Some(list),
                ..mail()
            })
            .await
            .unwrap();
        let sent = String::from_utf8(outbox.lock().unwrap()[0].formatted()).unwrap();
        for header in [
            "List-Id: <alertes.entraide.example>",
            "List-Unsubscribe: <https://entraide.example/api/alerts/unsubscribe?token=abc>",
            "List-Unsubscribe-Post: List-Unsubscribe=One-Click",
        ] {
            assert!(sent.contains(header), "{header} missing in\n{sent}");
        }
    }

    #[tokio::test]
    async fn can_write_an_outbox_file() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("outbox");
        let mailer = Mailer::from_url(&format!("file://{}", outbox.display()), from()).unwrap();
        mailer.send(mail()).await.unwrap();
        let files: Vec<_> = std::fs::read_dir(&outbox)
            .unwrap()
            .map(|f| f.unwrap().path())
            .collect();
        assert_eq!(files.len(), 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |path: &std::path::Path| {
                std::fs::metadata(path).unwrap().permissions().mode() & 0o777
            };
            assert_eq!(mode(&outbox), 0o700, "the outbox is the owner's");
            assert_eq!(mode(&files[0]), 0o600, "and so is every mail");
        }
    }

    #[test]
    fn errors_name_no_address() {
        assert_eq!(
            without_addresses(&"550 5.1.1 <lea@exemple.org>: Recipient address rejected"),
            "550 5.1.1 <adresse> Recipient address rejected"
        );
    }

    #[tokio::test]
    async fn errors_on_bad_urls() {
        for url in [
            "ftp://x",
            "smtp://host",
            "smtp://host:port",
            "smtp://host:25?tls=maybe",
            "smtp://user:%FF@host:25",
            "file://",
        ] {
            assert!(
                matches!(Mailer::from_url(url, from()), Err(MailError::BadUrl(_))),
                "{url}"
            );
        }
        assert!(Mailer::from_url("smtp://user:pass@127.0.0.1:2525?tls=none", from()).is_ok());
        let ses = "smtp://AKIAEXAMPLE:BKx%2Fq%2B9z@127.0.0.1:2525?tls=none";
        assert!(
            Mailer::from_url(ses, from()).is_ok(),
            "percent-encoded password"
        );
    }

    #[tokio::test]
    async fn can_read_every_documented_smtp_url_and_nothing_more() {
        let read = |url: &str| Mailer::from_url(url, from()).is_ok();
        assert!(read("smtp://relay.example.org:587"), "STARTTLS by default");
        assert!(read("smtp://relay.example.org:587?tls=starttls"));
        assert!(read("smtp://user:pass@relay.example.org:465?tls=tls"));
        assert!(!read("smtp://user@relay.example.org:587"), "no password");
        assert!(!read("smtp://relay.example.org:587/helo"), "a path");
        assert!(!read("smtps://relay.example.org:465"), "lettre's own form");
    }

    #[tokio::test]
    async fn errors_on_header_injection_in_addresses() {
        let (mailer, _) = Mailer::in_memory(from());
        let injected = Outgoing {
            to: "a@exemple.org\r\nBcc: b@exemple.org".into(),
            ..mail()
        };
        assert!(matches!(
            mailer.send(injected).await,
            Err(MailError::Build(_))
        ));
    }
}
