//! `ecabinet sign`: the desktop signer for a secretary's or a chair's PC. It signs in to the
//! server, asks it to prepare a signing of a document's block, signs what the server sends
//! with a key that stays on the PC (a PKCS#12 file, or a USB token through its PKCS#11 module:
//! `token`), and completes the signing: the two phases of contract v2, "Signatures", from the
//! signer's side. A client of the public API only; it shares nothing with the server but the
//! PKCS#12 reader.

mod token;

use std::io::BufRead;
use std::path::PathBuf;

use anyhow::{Context, bail};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use der::Encode;
use serde_json::{Value, json};

use crate::signatures::seal::Seal;

/// What `ecabinet sign` was told.
#[derive(Debug, clap::Args)]
pub struct SignArgs {
    /// The server's address, e.g. http://ecabinet.ubnd.local:8080.
    #[arg(long)]
    pub server: String,
    /// The document to sign.
    #[arg(long)]
    pub document: String,
    /// The signature block: secretary, chair or organization; none for an invisible signature.
    #[arg(long)]
    pub block: Option<String>,
    /// The PKCS#12 file holding the signer's key and certificate chain.
    #[arg(
        long,
        required_unless_present = "pkcs11_module",
        conflicts_with = "pkcs11_module"
    )]
    pub p12: Option<PathBuf>,
    /// The token's PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so, or the CA's).
    #[arg(long, requires = "pkcs11_slot")]
    pub pkcs11_module: Option<PathBuf>,
    /// The token's slot: its id, or its index among the slots holding a token.
    #[arg(long)]
    pub pkcs11_slot: Option<u64>,
    /// The account to sign in with.
    #[arg(long)]
    pub username: String,
    #[arg(long)]
    pub reason: Option<String>,
    #[arg(long)]
    pub location: Option<String>,
}

/// Where the key is.
enum Key {
    File(Seal),
    Token(Box<token::Token>),
}

impl Key {
    fn chain(&self) -> &[x509_cert::Certificate] {
        match self {
            Self::File(k) => k.chain(),
            Self::Token(t) => t.chain(),
        }
    }

    fn sign(&self, message: &[u8]) -> anyhow::Result<Vec<u8>> {
        match self {
            Self::File(k) => Ok(k.sign(message)),
            Self::Token(t) => t.sign(message),
        }
    }
}

/// Reads one line of standard input (secrets: never flags, never echoed back).
fn line(what: &str) -> anyhow::Result<String> {
    eprint!("{what}: ");
    let mut text = String::new();
    std::io::stdin().lock().read_line(&mut text)?;
    let text = text.trim_end_matches(['\r', '\n']).to_owned();
    if text.is_empty() {
        bail!("no {what} on standard input");
    }
    Ok(text)
}

async fn answer(res: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = res.status();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    if !status.is_success() {
        bail!(
            "{what}: {} {} ({})",
            status.as_u16(),
            body["detail"].as_str().unwrap_or(""),
            body["code"].as_str().unwrap_or("")
        );
    }
    Ok(body)
}

/// Signs in, prepares, signs, completes; prints the new version.
pub async fn run(args: SignArgs) -> anyhow::Result<()> {
    let base = args.server.trim_end_matches('/').to_owned();
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()?;
    let password = line("account password")?;
    let key = match (&args.p12, &args.pkcs11_module) {
        (Some(p12), _) => Key::File(Seal::read(p12, &line("PKCS#12 password")?)?),
        (None, Some(module)) => Key::Token(Box::new(token::Token::open(
            module,
            args.pkcs11_slot.unwrap_or(0),
            &line("token PIN")?,
        )?)),
        (None, None) => bail!("--p12 or --pkcs11-module"),
    };
    let login = answer(
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({"username": args.username, "password": password}))
            .send()
            .await
            .context("signing in")?,
        "signing in",
    )
    .await?;
    let login = if login["mfa_required"] == true {
        let code = line("authenticator code")?;
        answer(
            http.post(format!("{base}/api/v1/auth/mfa"))
                .json(&json!({"mfa_token": login["mfa_token"], "code": code}))
                .send()
                .await?,
            "second factor",
        )
        .await?
    } else {
        login
    };
    let token = login["access_token"]
        .as_str()
        .context("the server sent no access token")?
        .to_owned();
    let chain = key
        .chain()
        .iter()
        .map(|c| c.to_der().map(|d| B64.encode(d)))
        .collect::<Result<Vec<_>, _>>()?;
    let started = answer(
        http.post(format!("{base}/api/v1/documents/{}/signing", args.document))
            .bearer_auth(&token)
            .json(&json!({
                "certificate_chain": chain,
                "block": args.block,
                "reason": args.reason,
                "location": args.location,
            }))
            .send()
            .await?,
        "preparing the signing",
    )
    .await?;
    let to_sign = B64.decode(started["to_sign"].as_str().unwrap_or_default())?;
    if to_sign.first() != Some(&0x31) {
        bail!("the server sent something other than signed attributes to sign");
    }
    let signature = key.sign(&to_sign)?;
    let signing = started["signing_id"].as_str().unwrap_or_default();
    let done = answer(
        http.post(format!("{base}/api/v1/signings/{signing}/complete"))
            .bearer_auth(&token)
            .json(&json!({"signature": B64.encode(signature)}))
            .send()
            .await?,
        "completing the signing",
    )
    .await?;
    println!(
        "signed: document {} is now version {}",
        done["id"].as_str().unwrap_or(&args.document),
        done["version"]
    );
    Ok(())
}
