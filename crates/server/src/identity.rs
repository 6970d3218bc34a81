//! Verified contacts. A site that knows its visitor (signed in there) signs the visitor's
//! identity as a JWT and hands it to the widget (`embed.js`'s `data-identity`); the server checks
//! it here when the chat starts. Only a verified e-mail links a contact's chats, so an agent
//! sees earlier chats only of someone the site vouched for. An e-mail typed into the pre-chat
//! form is shown to agents as typed, marked unverified, and links nothing.
//!
//! The token: HS256 (a secret shared with the site) or ES256 (the site's key pair; the server
//! holds the public key), with `sub`, `email`, `exp` and `aud` required and `name` optional; a
//! clock skew of `leeway_secs` is allowed.

use crate::config::IdentityConfig;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

/// The longest token taken, in bytes.
const MAX_TOKEN: usize = 4096;

/// Who the site says the visitor is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    pub subject: String,
    pub email: String,
    pub name: Option<String>,
}

#[derive(Deserialize)]
struct Claims {
    sub: String,
    email: String,
    #[serde(default)]
    name: Option<String>,
}

/// Checks identities against the configured keys.
pub struct Verifier {
    hs256: Option<DecodingKey>,
    es256: Option<DecodingKey>,
    audience: String,
    leeway: u64,
}

impl Verifier {
    /// The verifier of this configuration, or why its keys cannot be used.
    pub fn new(config: &IdentityConfig) -> Result<Self, String> {
        let hs256 = match &config.hs256_secret {
            Some(secret) if secret.chars().count() < 32 => {
                return Err("identity.hs256_secret needs at least 32 characters".into())
            }
            Some(secret) => Some(
                DecodingKey::from_secret(secret.as_bytes())
                    .map_err(|e| format!("identity.hs256_secret: {e}"))?,
            ),
            None => None,
        };
        let es256 = match &config.es256_public_key {
            Some(pem) => Some(DecodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| {
                format!("identity.es256_public_key is not an EC public key in PEM: {e}")
            })?),
            None => None,
        };
        if config.audience.trim().is_empty() {
            return Err("identity.audience is empty".into());
        }
        Ok(Self {
            hs256,
            es256,
            audience: config.audience.clone(),
            leeway: config.leeway_secs,
        })
    }

    /// The identity a token vouches for, or why it does not.
    pub fn verify(&self, token: &str) -> Result<Identity, String> {
        if token.len() > MAX_TOKEN {
            return Err("the identity token is too long".into());
        }
        let header = jsonwebtoken::decode_header(token)
            .map_err(|_| "the identity is not a JWT".to_owned())?;
        let key = match header.alg {
            Algorithm::HS256 => self.hs256.as_ref(),
            Algorithm::ES256 => self.es256.as_ref(),
            _ => None,
        }
        .ok_or_else(|| format!("identities signed with {:?} are not accepted", header.alg))?;
        let mut validation = Validation::new(header.alg);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "aud", "sub"]);
        validation.leeway = self.leeway;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &validation)
            .map_err(|e| {
                use jsonwebtoken::errors::ErrorKind;
                match e.kind() {
                    ErrorKind::ExpiredSignature => "the identity has expired".to_owned(),
                    ErrorKind::InvalidSignature => "the identity's signature is wrong".to_owned(),
                    ErrorKind::InvalidAudience => "the identity is for another audience".to_owned(),
                    _ => format!("the identity could not be verified ({e})"),
                }
            })?
            .claims;
        let email = claims.email.trim().to_owned();
        if !email.contains('@') || email.chars().count() > 200 || claims.sub.is_empty() {
            return Err("the identity has no valid e-mail or subject".into());
        }
        Ok(Identity {
            subject: claims.sub,
            email,
            name: claims
                .name
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{encode, EncodingKey, Header};
    use serde::Serialize;

    const SECRET: &str = "a-site-secret-of-at-least-32-chars!";

    #[derive(Serialize)]
    struct Token<'a> {
        sub: &'a str,
        email: &'a str,
        aud: &'a str,
        exp: i64,
    }

    fn hs256(aud: &str, exp: i64, secret: &str) -> String {
        let claims = Token {
            sub: "u-1",
            email: "mark@example.com",
            aud,
            exp,
        };
        encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret(secret.as_bytes()).expect("a key"),
        )
        .expect("signs")
    }

    fn verifier() -> Verifier {
        Verifier::new(&IdentityConfig {
            hs256_secret: Some(SECRET.into()),
            ..IdentityConfig::default()
        })
        .expect("keys")
    }

    #[test]
    fn a_signed_identity_is_verified_and_a_forged_or_old_one_is_not() {
        let now = crate::now_ms() / 1000;
        let v = verifier();
        let ok = v
            .verify(&hs256("parley", now + 300, SECRET))
            .expect("valid");
        assert_eq!(
            (ok.subject.as_str(), ok.email.as_str()),
            ("u-1", "mark@example.com")
        );
        // Within the allowed skew, and past it.
        assert!(v.verify(&hs256("parley", now - 30, SECRET)).is_ok());
        let old = v
            .verify(&hs256("parley", now - 600, SECRET))
            .expect_err("expired");
        assert!(old.contains("expired"), "{old}");
        let forged = v
            .verify(&hs256(
                "parley",
                now + 300,
                "another-secret-of-at-least-32-chars",
            ))
            .expect_err("forged");
        assert!(forged.contains("signature"), "{forged}");
        assert!(v.verify(&hs256("shop", now + 300, SECRET)).is_err());
        assert!(v.verify("not.a.jwt").is_err());
        assert!(v.verify(&"x".repeat(5000)).is_err());
        // No ES256 key configured: an ES256 token is not accepted.
        let none = Verifier::new(&IdentityConfig::default()).expect("no keys");
        assert!(none.verify(&hs256("parley", now + 300, SECRET)).is_err());
    }

    #[test]
    fn unusable_keys_are_refused_at_start() {
        let short = IdentityConfig {
            hs256_secret: Some("short".into()),
            ..IdentityConfig::default()
        };
        assert!(Verifier::new(&short).is_err());
        let pem = IdentityConfig {
            es256_public_key: Some(
                "-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----".into(),
            ),
            ..IdentityConfig::default()
        };
        assert!(Verifier::new(&pem).is_err());
    }
}
