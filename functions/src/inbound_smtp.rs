//! `entraide serve --inbound-smtp ADDR`: the reply domain's mail, received by a
//! small SMTP server. smtp-proto parses the protocol; this loop refuses at RCPT
//! time every address that is not an open conversation, caps the message's
//! size, its recipients, the connections and their idle time, and hands each
//! accepted mail to the relay. It is meant to sit behind a standard MTA (or to
//! be the MX itself on a small server): no TLS, no AUTH, nothing relayed
//! elsewhere than the conversations.

use std::sync::Arc;
use std::time::Duration;

use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{
    EXT_8BIT_MIME, EXT_ENHANCED_STATUS_CODES, EXT_SIZE, EhloResponse, Request, Response,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::relay::{self, Recipient, Refusal, Relayed};
use crate::state::AppState;

/// The largest mail taken in, attachments included (they are dropped, the
/// text is then held to `relay_max_bytes`).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Recipients of one mail.
const MAX_RECIPIENTS: usize = 10;
/// Connections served at once; the next ones are told to come back.
const MAX_CONNECTIONS: usize = 64;
/// Silence after which a connection is closed.
const IDLE: Duration = Duration::from_secs(60);
/// Commands refused in one connection before it is closed.
const MAX_ERRORS: usize = 10;

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, state: AppState) -> std::io::Result<()> {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (mut socket, _) = listener.accept().await?;
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            let busy = reply(421, [4, 3, 2], "Trop de connexions : reessayez plus tard.");
            let _ = socket.write_all(&busy).await;
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            if let Err(error) = session(socket, &state).await {
                tracing::debug!("inbound SMTP session ended: {error}");
            }
            drop(permit);
        });
    }
}

fn reply(code: u16, status: [u8; 3], text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let [class, subject, detail] = status;
    // Writing into a Vec cannot fail.
    let _ = Response::new(code, class, subject, detail, text).write(&mut out);
    out
}

fn refused(refusal: &Refusal) -> Vec<u8> {
    let (code, status, text) = refusal.smtp_reply();
    reply(code, status, &text)
}

/// One mail's envelope.
#[derive(Default)]
struct Envelope {
    sender: Option<String>,
    recipients: Vec<Recipient>,
}

/// The body being received, and whether it already passed the cap.
struct Incoming {
    receiver: DataReceiver,
    message: Vec<u8>,
    too_big: bool,
}

async fn session(mut socket: TcpStream, state: &AppState) -> std::io::Result<()> {
    let hostname = state
        .site()
        .config
        .reply_domain
        .clone()
        .unwrap_or_else(|| "localhost".into());
    socket
        .write_all(&reply(220, [2, 0, 0], &format!("{hostname} pret")))
        .await?;
    let mut requests = RequestReceiver::default();
    let mut envelope = Envelope::default();
    let mut incoming: Option<Incoming> = None;
    let mut errors = 0;
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let read = tokio::time::timeout(IDLE, socket.read(&mut buffer)).await;
        let Ok(read) = read else {
            let bye = reply(421, [4, 4, 2], "Delai depasse.");
            return socket.write_all(&bye).await;
        };
        let read = read?;
        if read == 0 {
            return Ok(());
        }
        let mut bytes = buffer[..read].iter();
        while bytes.len() > 0 {
            if let Some(body) = incoming.as_mut() {
                let done = body.receiver.ingest(&mut bytes, &mut body.message);
                if body.message.len() > MAX_MESSAGE_BYTES {
                    body.too_big = true;
                    body.message.clear();
                }
                if done {
                    let answer = match incoming.take() {
                        Some(body) if !body.too_big => {
                            deliver(state, &envelope, &body.message).await
                        }
                        _ => refused(&Refusal::TooLong),
                    };
                    envelope = Envelope::default();
                    socket.write_all(&answer).await?;
                }
                continue;
            }
            let request = match requests.ingest(&mut bytes) {
                Ok(request) => request.into_owned(),
                Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                Err(error) => {
                    errors += 1;
                    let answer = match error {
                        smtp_proto::Error::ResponseTooLong => {
                            reply(500, [5, 5, 2], "Ligne trop longue.")
                        }
                        smtp_proto::Error::UnknownCommand => {
                            reply(500, [5, 5, 1], "Commande inconnue.")
                        }
                        _ => reply(501, [5, 5, 4], "Syntaxe incorrecte."),
                    };
                    socket.write_all(&answer).await?;
                    if errors >= MAX_ERRORS {
                        return Ok(());
                    }
                    continue;
                }
            };
            let answer = match request {
                Request::Quit => {
                    return socket.write_all(&reply(221, [2, 0, 0], "Au revoir.")).await;
                }
                Request::Data if envelope.recipients.is_empty() => {
                    reply(503, [5, 5, 1], "Aucun destinataire accepte.")
                }
                Request::Data => {
                    incoming = Some(Incoming {
                        receiver: DataReceiver::new(),
                        message: Vec::new(),
                        too_big: false,
                    });
                    reply(
                        354,
                        [0, 0, 0],
                        "Envoyez le message, termine par une ligne avec un point.",
                    )
                }
                request => command(state, request, &hostname, &mut envelope).await,
            };
            socket.write_all(&answer).await?;
        }
    }
}

/// The answer to a command other than DATA and QUIT.
async fn command(
    state: &AppState,
    request: Request<String>,
    hostname: &str,
    envelope: &mut Envelope,
) -> Vec<u8> {
    match request {
        Request::Ehlo { .. } => {
            *envelope = Envelope::default();
            let mut ehlo = EhloResponse::new(hostname);
            ehlo.capabilities = EXT_SIZE | EXT_8BIT_MIME | EXT_ENHANCED_STATUS_CODES;
            ehlo.size = MAX_MESSAGE_BYTES;
            let mut out = Vec::new();
            let _ = ehlo.write(&mut out);
            out
        }
        Request::Helo { .. } => {
            *envelope = Envelope::default();
            reply(250, [2, 0, 0], hostname)
        }
        Request::Mail { .. } if envelope.sender.is_some() => {
            reply(503, [5, 5, 1], "Expediteur deja donne.")
        }
        Request::Mail { from } if from.size > MAX_MESSAGE_BYTES => refused(&Refusal::TooLong),
        Request::Mail { from } => {
            envelope.sender = Some(from.address);
            reply(250, [2, 1, 0], "Expediteur accepte.")
        }
        Request::Rcpt { .. } if envelope.sender.is_none() => {
            reply(503, [5, 5, 1], "Donnez d'abord l'expediteur (MAIL FROM).")
        }
        Request::Rcpt { .. } if envelope.recipients.len() >= MAX_RECIPIENTS => {
            reply(452, [4, 5, 3], "Trop de destinataires.")
        }
        Request::Rcpt { to } => match relay::recipient(state, &to.address).await {
            Ok(recipient) => {
                envelope.recipients.push(recipient);
                reply(250, [2, 1, 5], "Destinataire accepte.")
            }
            Err(refusal) => refused(&refusal),
        },
        Request::Rset => {
            *envelope = Envelope::default();
            reply(250, [2, 0, 0], "Remis a zero.")
        }
        Request::Noop { .. } => reply(250, [2, 0, 0], "OK."),
        _ => reply(502, [5, 5, 1], "Commande non prise en charge."),
    }
}

/// Relays the mail to each recipient: accepted if one of them took it,
/// otherwise refused with the first reason.
async fn deliver(state: &AppState, envelope: &Envelope, message: &[u8]) -> Vec<u8> {
    let sender = envelope.sender.as_deref().unwrap_or_default();
    let mut refusal = None;
    let mut accepted = false;
    for recipient in &envelope.recipients {
        match relay::relay(state, recipient, sender, message).await {
            Ok(Relayed::Sent | Relayed::Automatic) => accepted = true,
            Err(error) => {
                tracing::info!(conversation = %recipient.conversation.id, "relay refused: {error}");
                refusal.get_or_insert(error);
            }
        }
    }
    match refusal {
        Some(refusal) if !accepted => refused(&refusal),
        _ => reply(250, [2, 0, 0], "Message transmis."),
    }
}
