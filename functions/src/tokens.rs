//! Signed, expiring tokens: HMAC-SHA256 over what the token allows (its purpose),
//! on what (an offer id), at which token version, and until when.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a token lets its bearer do; a token for one purpose is refused for another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Publish a pending offer (in the confirmation mail).
    Confirm,
    /// Edit, renew, close or delete an offer (the poster's private link).
    Manage,
    /// Hide a reported offer (in the moderators' mail).
    Hide,
    /// Restore a hidden offer (in the moderators' mail).
    Restore,
    /// Give an offer back its previous address (in the mail to that address).
    UndoAddress,
    /// Prove a form was loaded some seconds before it was sent.
    Form,
    /// Activate an alert (in its confirmation mail).
    AlertConfirm,
    /// Change, pause or delete an alert (its private page).
    AlertManage,
    /// Stop an alert in one click (in every alert mail, RFC 8058).
    Unsubscribe,
    /// Close a conversation or block its other side (in every relayed mail).
    Conversation,
    /// Renew an offer or mark it filled (the « still needed? » mail).
    StillNeeded,
}

impl Purpose {
    fn tag(self) -> &'static str {
        match self {
            Purpose::Confirm => "confirm",
            Purpose::Manage => "manage",
            Purpose::Hide => "hide",
            Purpose::Restore => "restore",
            Purpose::UndoAddress => "undo-address",
            Purpose::Form => "form",
            Purpose::AlertConfirm => "alert-confirm",
            Purpose::AlertManage => "alert-manage",
            Purpose::Unsubscribe => "unsubscribe",
            Purpose::Conversation => "conversation",
            Purpose::StillNeeded => "still-needed",
        }
    }
}

/// Bytes of HMAC in a reply address: unguessable, and short enough for a local
/// part (64 characters at most) beside a side letter and a ULID.
const ADDRESS_TAG_BYTES: usize = 10;

/// What a valid token says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claims {
    pub subject: String,
    pub version: u64,
    pub issued: i64,
    pub expires: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("malformed token")]
    Malformed,
    #[error("bad signature")]
    BadSignature,
    #[error("token expired")]
    Expired,
}

/// The server's signing key, from `ENTRAIDE_SECRET` or a file kept beside the store.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl Secret {
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        Secret(bytes.into())
    }

    fn mac(&self, payload: &str) -> HmacSha256 {
        // HMAC takes keys of any length.
        let mut mac = HmacSha256::new_from_slice(&self.0).unwrap_or_else(|_| unreachable!());
        mac.update(payload.as_bytes());
        mac
    }

    /// A keyed hash of `text`, to count or compare it without keeping it in clear.
    pub fn digest(&self, text: &str) -> String {
        let bytes = self.mac(&format!("digest.{text}")).finalize().into_bytes();
        URL_SAFE_NO_PAD.encode(&bytes[..16])
    }

    /// The signature of a reply address: 80 bits of HMAC over `text` in
    /// lower-case hex, since mail servers may fold the case of a local part.
    pub fn address_tag(&self, text: &str) -> String {
        let bytes = self.mac(&format!("address.{text}")).finalize().into_bytes();
        bytes[..ADDRESS_TAG_BYTES]
            .iter()
            .map(|byte| format!("{byte:02x}"))
            .collect()
    }

    /// Whether `tag` signs `text` (compared in constant time).
    pub fn is_address_tag(&self, text: &str, tag: &str) -> bool {
        if tag.len() != ADDRESS_TAG_BYTES * 2 || !tag.is_ascii() {
            return false;
        }
        let bytes: Option<Vec<u8>> = (0..tag.len())
            .step_by(2)
            .map(|at| u8::from_str_radix(&tag[at..at + 2], 16).ok())
            .collect();
        bytes.is_some_and(|bytes| {
            self.mac(&format!("address.{text}"))
                .verify_truncated_left(&bytes)
                .is_ok()
        })
    }

    /// A token for `purpose` on `subject`, valid from `issued` until `expires` (Unix seconds).
    pub fn sign(
        &self,
        purpose: Purpose,
        subject: &str,
        version: u64,
        issued: i64,
        expires: i64,
    ) -> String {
        let payload = format!("{}.{subject}.{version}.{issued}.{expires}", purpose.tag());
        let signature = self.mac(&payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// Checks signature (in constant time), purpose and expiry.
    pub fn verify(&self, token: &str, purpose: Purpose, now: i64) -> Result<Claims, TokenError> {
        let (payload, signature) = token.trim().split_once('.').ok_or(TokenError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| TokenError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| TokenError::Malformed)?;
        let payload = String::from_utf8(payload).map_err(|_| TokenError::Malformed)?;
        self.mac(&payload)
            .verify_slice(&signature)
            .map_err(|_| TokenError::BadSignature)?;
        let mut parts = payload.split('.');
        let (Some(tag), Some(subject), Some(version), Some(issued), Some(expires), None) = (
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
            parts.next(),
        ) else {
            return Err(TokenError::Malformed);
        };
        if tag != purpose.tag() {
            return Err(TokenError::BadSignature);
        }
        let claims = Claims {
            subject: subject.to_owned(),
            version: version.parse().map_err(|_| TokenError::Malformed)?,
            issued: issued.parse().map_err(|_| TokenError::Malformed)?,
            expires: expires.parse().map_err(|_| TokenError::Malformed)?,
        };
        if now >= claims.expires {
            return Err(TokenError::Expired);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_795_000_000;

    #[test]
    fn can_sign_and_verify() {
        let secret = Secret::new("clé de test");
        let token = secret.sign(Purpose::Manage, "01ABC", 3, NOW, NOW + 60);
        let claims = secret.verify(&token, Purpose::Manage, NOW + 10).unwrap();
        assert_eq!(
            claims,
            Claims {
                subject: "01ABC".into(),
                version: 3,
                issued: NOW,
                expires: NOW + 60
            }
        );
    }

    #[test]
    fn an_address_tag_is_checked_whatever_its_case_says() {
        let secret = Secret::new("clé de test");
        let tag = secret.address_tag("p.01ABC");
        assert_eq!(tag.len(), 20);
        assert!(secret.is_address_tag("p.01ABC", &tag));
        assert!(secret.is_address_tag("p.01ABC", &tag.to_uppercase()));
        assert!(!secret.is_address_tag("v.01ABC", &tag));
        assert!(!Secret::new("autre clé").is_address_tag("p.01ABC", &tag));
        assert!(!secret.is_address_tag("p.01ABC", &tag[..18]));
        assert!(!secret.is_address_tag("p.01ABC", "zz".repeat(10).as_str()));
        assert!(!secret.is_address_tag("p.01ABC", "éé".repeat(5).as_str()));
    }

    #[test]
    fn errors_on_other_purpose_expiry_tampering_or_key() {
        let secret = Secret::new("clé de test");
        let token = secret.sign(Purpose::Confirm, "01ABC", 1, NOW, NOW + 60);
        assert_eq!(
            secret.verify(&token, Purpose::Manage, NOW),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            secret.verify(&token, Purpose::Confirm, NOW + 60),
            Err(TokenError::Expired)
        );
        assert_eq!(
            Secret::new("autre clé").verify(&token, Purpose::Confirm, NOW),
            Err(TokenError::BadSignature)
        );
        let (payload, signature) = token.split_once('.').unwrap();
        let forged = URL_SAFE_NO_PAD.encode("confirm.01XYZ.1.0.9999999999");
        assert_eq!(
            secret.verify(&format!("{forged}.{signature}"), Purpose::Confirm, NOW),
            Err(TokenError::BadSignature)
        );
        assert_eq!(
            secret.verify(payload, Purpose::Confirm, NOW),
            Err(TokenError::Malformed)
        );
        assert_eq!(
            secret.verify("n'importe quoi", Purpose::Confirm, NOW),
            Err(TokenError::Malformed)
        );
    }
}
