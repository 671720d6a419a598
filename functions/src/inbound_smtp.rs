//! `entraide serve --inbound-smtp ADDR`: the reply domain's mail, received by a
//! small SMTP server. smtp-proto parses the protocol; this loop refuses at RCPT
//! time every address that is not an open conversation, caps the message's
//! size, its recipients, the connections and their idle time, and hands each
//! accepted mail to the relay. It is meant to sit behind a standard MTA, which
//! speaks to the world (TLS, DMARC): no TLS, no AUTH here, nothing relayed
//! elsewhere than the conversations.

use std::sync::Arc;
use std::time::Duration;

use smtp_proto::request::receiver::{DataReceiver, RequestReceiver};
use smtp_proto::{Request, Response};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Semaphore;

use crate::relay::{self, Refusal, Relayed};
use crate::state::AppState;

/// The largest mail taken in, attachments included (they are dropped, the
/// text is then held to `relay_max_bytes`).
pub const MAX_MESSAGE_BYTES: usize = 10 * 1024 * 1024;
/// Recipients of one mail.
const MAX_RECIPIENTS: usize = 10;
/// Connections served at once (each may hold a mail of `MAX_MESSAGE_BYTES`);
/// the next ones are told to come back.
const MAX_CONNECTIONS: usize = 16;
/// Silence after which a connection is closed, reading or writing.
const IDLE: Duration = Duration::from_secs(60);
/// The longest a connection lives, however it trickles.
const SESSION: Duration = Duration::from_secs(600);
/// Commands refused in one connection before it is closed.
const MAX_ERRORS: usize = 10;

/// Serves SMTP on `listener` until the task is dropped.
pub async fn serve(listener: TcpListener, state: AppState) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let mut socket = match listener.accept().await {
            Ok((socket, _)) => socket,
            // Out of file descriptors, a connection reset before it was
            // taken…: the server goes on, after a breath.
            Err(error) => {
                tracing::warn!("inbound SMTP connection not accepted: {error}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let Ok(permit) = Arc::clone(&permits).try_acquire_owned() else {
            let busy = reply(421, [4, 3, 2], "Trop de connexions : reessayez plus tard.");
            let _ = socket.write_all(&busy).await;
            continue;
        };
        // Answers are small and each waits for the client: never held back.
        let _ = socket.set_nodelay(true);
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

/// One mail's envelope; the recipients as accepted at RCPT time, looked up
/// again once the mail is in (a conversation may close meanwhile).
#[derive(Default)]
struct Envelope {
    sender: Option<String>,
    recipients: Vec<String>,
}

/// Writes an answer, within the idle delay: a client that stops reading is
/// let go.
async fn answer(socket: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
    tokio::time::timeout(IDLE, socket.write_all(bytes))
        .await
        .map_err(|_| std::io::Error::from(std::io::ErrorKind::TimedOut))?
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
    // The greeting names the server first (no enhanced status there).
    answer(&mut socket, format!("220 {hostname} ESMTP\r\n").as_bytes()).await?;
    let ends = tokio::time::Instant::now() + SESSION;
    let mut requests = RequestReceiver::default();
    let mut envelope = Envelope::default();
    let mut incoming: Option<Incoming> = None;
    let mut errors = 0;
    let mut buffer = vec![0; 16 * 1024];
    loop {
        let wait = IDLE.min(ends.saturating_duration_since(tokio::time::Instant::now()));
        let read = tokio::time::timeout(wait, socket.read(&mut buffer)).await;
        let Ok(read) = read else {
            let bye = reply(421, [4, 4, 2], "Delai depasse.");
            return answer(&mut socket, &bye).await;
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
                    let reply_bytes = match incoming.take() {
                        Some(body) if !body.too_big => {
                            deliver(state, &envelope, &body.message).await
                        }
                        _ => refused(&Refusal::TooLong),
                    };
                    envelope = Envelope::default();
                    answer(&mut socket, &reply_bytes).await?;
                }
                continue;
            }
            let request = match requests.ingest(&mut bytes) {
                Ok(request) => request.into_owned(),
                Err(smtp_proto::Error::NeedsMoreData { .. }) => break,
                Err(error) => {
                    errors += 1;
                    let refusal = match error {
                        smtp_proto::Error::ResponseTooLong => {
                            reply(500, [5, 5, 2], "Ligne trop longue.")
                        }
                        smtp_proto::Error::UnknownCommand => {
                            reply(500, [5, 5, 1], "Commande inconnue.")
                        }
                        _ => reply(501, [5, 5, 4], "Syntaxe incorrecte."),
                    };
                    answer(&mut socket, &refusal).await?;
                    if errors >= MAX_ERRORS {
                        return Ok(());
                    }
                    continue;
                }
            };
            let response = match request {
                Request::Quit => {
                    return answer(&mut socket, &reply(221, [2, 0, 0], "Au revoir.")).await;
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
            answer(&mut socket, &response).await?;
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
            format!(
                "250-{hostname}\r\n250-SIZE {MAX_MESSAGE_BYTES}\r\n250-8BITMIME\r\n250 ENHANCEDSTATUSCODES\r\n"
            )
            .into_bytes()
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
            Ok(_) => {
                // The same address twice gets the mail once.
                let address = to.address.to_ascii_lowercase();
                if !envelope.recipients.contains(&address) {
                    envelope.recipients.push(address);
                }
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
    for address in &envelope.recipients {
        let relayed = match relay::recipient(state, address).await {
            Ok(recipient) => relay::relay(state, &recipient, sender, message).await,
            Err(error) => Err(error),
        };
        match relayed {
            Ok(Relayed::Sent | Relayed::Held | Relayed::Automatic) => accepted = true,
            Err(error) => {
                tracing::info!("relay refused: {error}");
                refusal.get_or_insert(error);
            }
        }
    }
    match refusal {
        Some(refusal) if !accepted => refused(&refusal),
        _ => reply(250, [2, 0, 0], "Message transmis."),
    }
}
