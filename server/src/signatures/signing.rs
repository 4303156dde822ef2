//! Signing a document version (contract v2, "Signatures"): who may sign which block, in which
//! order, and the two phases of a signature whose key never comes here. `prepare` appends an
//! empty signature to the current version and keeps it as a pending signing; `complete`
//! checks the signer's signature against their certificate, writes the CMS into the hole and
//! records the result as the document's next version, with an audit chain entry.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use der::{Decode, Encode};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use x509_cert::Certificate;

use super::cades::{self, KeyKind};
use super::incremental::{self, FieldSpec, Placement, Prepared};
use super::rooms;
use crate::auth::AuthUser;
use crate::db::schema::signings as s;
use crate::db::{self, DbConnection};
use crate::documents::{self, DocumentRow};
use crate::error::ApiError;
use crate::meetings::MeetingRole;
use crate::meetings::access::{self, Access};

/// How long a prepared signing waits for its signature.
pub const PENDING_MINUTES: i64 = 30;
/// Certificates in a chain, at most.
const CHAIN_MAX: usize = 8;

/// A signature block of the meeting's record (Nghị định 30/2020, Phụ lục I).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Block {
    Secretary,
    Chair,
    Organization,
}

impl Block {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Secretary => "secretary",
            Self::Chair => "chair",
            Self::Organization => "organization",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "secretary" => Some(Self::Secretary),
            "chair" => Some(Self::Chair),
            "organization" => Some(Self::Organization),
            _ => None,
        }
    }

    /// The field's name in the PDF.
    fn field_name(block: Option<Self>) -> &'static str {
        match block {
            Some(Self::Secretary) => "ThuKy",
            Some(Self::Chair) => "ChuToa",
            Some(Self::Organization) => "DauCoQuan",
            None => "KySo",
        }
    }
}

/// `POST /api/v1/documents/{id}/signing`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SigningRequest {
    /// Base64 DER certificates, the signer's first.
    pub certificate_chain: Vec<String>,
    pub reason: Option<String>,
    pub location: Option<String>,
    pub block: Option<Block>,
}

/// What the signer signs.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Started {
    pub signing_id: String,
    /// Base64 of the DER of the CMS signed attributes (a SET, first byte 0x31), to be signed
    /// with SHA-256 (ECDSA: DER `(r, s)`; RSA: PKCS#1 v1.5).
    pub to_sign: String,
}

/// `POST /api/v1/signings/{id}/complete`.
#[derive(Debug, Clone, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Completion {
    /// Base64 of the signature over `to_sign`.
    pub signature: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct SigningRow {
    pub id: String,
    pub document_id: String,
    pub base_version: i32,
    pub block: Option<String>,
    pub user_id: String,
    pub field: String,
    pub prepared: String,
    pub hole_start: i64,
    pub hole_end: i64,
    pub signed_attributes: String,
    pub certificate_chain: String,
    pub created_at: NaiveDateTime,
    pub completed_at: Option<NaiveDateTime>,
    pub version: Option<i32>,
}

/// The order a record's blocks are signed in; other documents have none.
fn order(kind: &str) -> &'static [Block] {
    match kind {
        "minutes" => &[Block::Secretary, Block::Chair, Block::Organization],
        "conclusions" => &[Block::Chair, Block::Organization],
        _ => &[],
    }
}

/// Whether the caller may sign `block` of a document of this meeting.
fn may_sign(access: &Access, block: Option<Block>) -> Result<(), ApiError> {
    let role = access.own_role();
    let allowed = match block {
        Some(Block::Chair) => role == Some(MeetingRole::Chair),
        Some(Block::Secretary) => role == Some(MeetingRole::Secretary),
        Some(Block::Organization) => {
            access.system_role == crate::users::Role::Admin || role == Some(MeetingRole::Secretary)
        }
        None => access.is_presider(),
    };
    if allowed {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "signing_not_allowed",
            match block {
                Some(Block::Chair) => "only the meeting's chair signs the chair's block",
                Some(Block::Secretary) => {
                    "only the meeting's secretary signs the secretary's block"
                }
                Some(Block::Organization) => {
                    "only an admin or the meeting's secretary seals for the organisation"
                }
                None => "only the meeting's chair and its managers sign its documents",
            },
        ))
    }
}

/// Blocks already signed on a document.
fn signed_blocks(conn: &mut DbConnection, document_id: &str) -> Result<Vec<Block>, ApiError> {
    let blocks: Vec<Option<String>> = s::table
        .filter(s::document_id.eq(document_id))
        .filter(s::completed_at.is_not_null())
        .select(s::block)
        .load(conn)?;
    Ok(blocks
        .into_iter()
        .flatten()
        .filter_map(|b| Block::parse(&b))
        .collect())
}

/// Refuses a block signed before, or signed before its turn.
fn check_turn(
    conn: &mut DbConnection,
    row: &DocumentRow,
    block: Option<Block>,
) -> Result<(), ApiError> {
    let Some(block) = block else {
        return Ok(());
    };
    let done = signed_blocks(conn, &row.id)?;
    if done.contains(&block) {
        return Err(ApiError::conflict(
            "block_signed",
            format!("the {} block is signed already", block.as_str()),
        ));
    }
    // A record signs in its blocks' order; a block it has no room for (the summary of a
    // meeting held in writing has no secretary's) is not waited for. The seal needs no room.
    let rooms = super::rooms::blocks(conn, &row.id)?;
    let sequence: Vec<Block> = order(&row.kind)
        .iter()
        .copied()
        .filter(|b| {
            *b == Block::Organization || rooms.is_empty() || rooms.iter().any(|r| r == b.as_str())
        })
        .collect();
    if !sequence.is_empty() {
        let Some(at) = sequence.iter().position(|b| *b == block) else {
            return Err(ApiError::invalid(
                "invalid_block",
                format!("this document has no {} block", block.as_str()),
            ));
        };
        if let Some(missing) = sequence[..at].iter().find(|b| !done.contains(b)) {
            return Err(ApiError::conflict(
                "signing_order",
                format!(
                    "the {} block is signed before the {} block",
                    missing.as_str(),
                    block.as_str()
                ),
            ));
        }
    }
    Ok(())
}

fn invalid_certificate(detail: impl Into<String>) -> ApiError {
    ApiError::invalid("invalid_certificate", detail)
}

/// Reads and checks a signer's chain: DER certificates, a leaf whose key we sign with, valid
/// now, allowed to sign (digitalSignature or nonRepudiation, when it says).
pub fn read_chain(encoded: &[String]) -> Result<Vec<Certificate>, ApiError> {
    if encoded.is_empty() || encoded.len() > CHAIN_MAX {
        return Err(invalid_certificate(format!(
            "certificate_chain holds 1 to {CHAIN_MAX} certificates, the signer's first"
        )));
    }
    let chain = encoded
        .iter()
        .map(|c| {
            let der = B64
                .decode(c.trim())
                .map_err(|_| invalid_certificate("a certificate is not base64"))?;
            Certificate::from_der(&der)
                .map_err(|_| invalid_certificate("a certificate is not an X.509 certificate"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = &chain[0];
    if KeyKind::of(leaf).is_none() {
        return Err(invalid_certificate(
            "the signer's key is neither RSA nor ECDSA P-256",
        ));
    }
    let now = std::time::SystemTime::now();
    let validity = &leaf.tbs_certificate.validity;
    if now < validity.not_before.to_system_time() || now > validity.not_after.to_system_time() {
        return Err(invalid_certificate(
            "the signer's certificate is not valid now",
        ));
    }
    if !super::cms::may_sign_documents(leaf) {
        return Err(invalid_certificate(
            "the signer's certificate is not for signatures (key usage)",
        ));
    }
    Ok(chain)
}

fn encode_chain(chain: &[Certificate]) -> Result<String, ApiError> {
    let list = chain
        .iter()
        .map(|c| c.to_der().map(|d| B64.encode(d)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(ApiError::internal)?;
    serde_json::to_string(&list).map_err(ApiError::internal)
}

fn decode_chain(text: &str) -> Result<Vec<Certificate>, ApiError> {
    let list: Vec<String> = serde_json::from_str(text).map_err(ApiError::internal)?;
    list.iter()
        .map(|c| {
            let der = B64.decode(c).map_err(ApiError::internal)?;
            Certificate::from_der(&der).map_err(ApiError::internal)
        })
        .collect()
}

/// What `plan` found: the document, its version, where the signature goes.
#[derive(Debug)]
pub struct Plan {
    pub row: DocumentRow,
    pub version: documents::VersionRow,
    pub placement: Option<Placement>,
    pub zone: FixedOffset,
    pub organization: String,
    /// The picture the box shows (a PNG): the signer's own for a person's block, the seal's
    /// for the organisation's (set by the caller).
    pub image: Option<Vec<u8>>,
}

/// Checks that `user` may sign `block` of the document now, and finds where.
pub fn plan(
    conn: &mut DbConnection,
    document_id: &str,
    user: &AuthUser,
    block: Option<Block>,
    configured: &crate::config::OrganizationSettings,
) -> Result<Plan, ApiError> {
    let row = documents::get(conn, document_id)?;
    let access = access::load(conn, &row.meeting_id, user)
        .map_err(|_| ApiError::NotFound { what: "document" })?;
    if !access.can_view() {
        return Err(ApiError::NotFound { what: "document" });
    }
    may_sign(&access, block)?;
    check_turn(conn, &row, block)?;
    let version = documents::version(conn, &row.id, row.current_version)?;
    let placement = rooms::placement(conn, &row.id, block)?;
    let names = crate::organization::names(conn, configured)?;
    let image = match block {
        Some(Block::Organization) => None,
        _ => super::images::load(conn, &user.id)?,
    };
    Ok(Plan {
        row,
        version,
        placement,
        zone: FixedOffset::east_opt(names.utc_offset_minutes * 60)
            .unwrap_or_else(|| chrono::Offset::fix(&chrono::Utc)),
        organization: names.name,
        image,
    })
}

/// What the visible box says.
fn lines(
    block: Option<Block>,
    signer: &str,
    organization: &str,
    at: &DateTime<FixedOffset>,
) -> Vec<String> {
    let when = at.to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    match block {
        Some(Block::Organization) => vec![
            organization.to_owned(),
            format!("Đóng dấu số: {signer}"),
            when,
        ],
        _ => vec![format!("Ký số bởi: {signer}"), when],
    }
}

/// Appends an empty signature by `chain` to `bytes` (the version `plan` found).
pub fn prepare_bytes(
    bytes: &[u8],
    plan: &Plan,
    chain: &[Certificate],
    block: Option<Block>,
    reason: Option<String>,
    location: Option<String>,
) -> Result<(Prepared, Vec<u8>), ApiError> {
    let leaf = &chain[0];
    let signer = super::cms::common_name(&leaf.tbs_certificate.subject)
        .unwrap_or_else(|| leaf.tbs_certificate.subject.to_string());
    let at = chrono::Utc::now().with_timezone(&plan.zone);
    let spec = FieldSpec {
        name: Block::field_name(block).to_owned(),
        placement: plan.placement.clone(),
        lines: lines(block, &signer, &plan.organization, &at),
        image: match &plan.image {
            Some(png) => Some(super::images::decode(png)?),
            None => None,
        },
        color: if block == Some(Block::Organization) {
            [0.8, 0.05, 0.05]
        } else {
            [0.05, 0.2, 0.6]
        },
        signer_name: Some(signer),
        reason,
        location,
        signed_at: at,
    };
    let room = cades::contents_room(chain).map_err(ApiError::internal)?;
    let prepared = incremental::prepare(bytes, &spec, room).map_err(|e| match e {
        incremental::Unsignable::Encrypted | incremental::Unsignable::Unreadable(_) => {
            ApiError::invalid("unsignable_document", e.to_string())
        }
        other => ApiError::internal(anyhow::anyhow!(other)),
    })?;
    let attrs = cades::signed_attributes(&prepared.digest(), leaf).map_err(ApiError::internal)?;
    let to_sign = cades::to_sign(&attrs).map_err(ApiError::internal)?;
    Ok((prepared, to_sign))
}

/// Records a pending signing; refuses it when the document gained a version meanwhile.
pub fn record_pending(
    conn: &mut DbConnection,
    plan: &Plan,
    user: &AuthUser,
    block: Option<Block>,
    prepared: &Prepared,
    to_sign: &[u8],
    chain: &[Certificate],
) -> Result<String, ApiError> {
    let fresh = documents::get(conn, &plan.row.id)?;
    if fresh.current_version != plan.row.current_version {
        return Err(stale(fresh.current_version));
    }
    // Pending signings nobody finished are forgotten.
    let cutoff = db::now() - chrono::Duration::minutes(PENDING_MINUTES);
    diesel::delete(
        s::table
            .filter(s::completed_at.is_null())
            .filter(s::created_at.lt(cutoff)),
    )
    .execute(conn)?;
    let id = db::new_id();
    diesel::insert_into(s::table)
        .values((
            s::id.eq(&id),
            s::document_id.eq(&plan.row.id),
            s::base_version.eq(plan.row.current_version),
            s::block.eq(block.map(Block::as_str)),
            s::user_id.eq(&user.id),
            s::field.eq(&prepared.field),
            s::prepared.eq(B64.encode(&prepared.bytes)),
            s::hole_start.eq(i64::try_from(prepared.hole.0).map_err(ApiError::internal)?),
            s::hole_end.eq(i64::try_from(prepared.hole.1).map_err(ApiError::internal)?),
            s::signed_attributes.eq(B64.encode(to_sign)),
            s::certificate_chain.eq(encode_chain(chain)?),
            s::created_at.eq(db::now()),
        ))
        .execute(conn)?;
    Ok(id)
}

fn stale(current_version: i32) -> ApiError {
    ApiError::Stale {
        detail: "the document gained a version since the signing was prepared; prepare it again"
            .into(),
        current_version: current_version.into(),
    }
}

/// A pending signing of `user`.
pub fn pending(conn: &mut DbConnection, id: &str, user: &AuthUser) -> Result<SigningRow, ApiError> {
    let row: SigningRow = s::table
        .find(id)
        .select(SigningRow::as_select())
        .first(conn)
        .optional()?
        .filter(|r| r.user_id == user.id)
        .ok_or(ApiError::NotFound { what: "signing" })?;
    if row.completed_at.is_some() {
        return Err(ApiError::conflict(
            "signing_done",
            "this signing is complete already",
        ));
    }
    if row.created_at < db::now() - chrono::Duration::minutes(PENDING_MINUTES) {
        return Err(ApiError::conflict(
            "signing_expired",
            format!(
                "a signing waits {PENDING_MINUTES} minutes for its signature; prepare it again"
            ),
        ));
    }
    Ok(row)
}

/// The signed file: `signature` checked against the leaf over the attributes, the CMS
/// written into the hole. Pure: no database.
pub fn finish(row: &SigningRow, signature: &[u8]) -> Result<(Vec<u8>, String), ApiError> {
    let chain = decode_chain(&row.certificate_chain)?;
    let attrs_der = B64
        .decode(&row.signed_attributes)
        .map_err(ApiError::internal)?;
    if !super::cms::verify_with(&chain[0], &attrs_der, signature) {
        return Err(ApiError::invalid(
            "invalid_signature",
            "the signature does not verify with the signer's certificate over to_sign",
        ));
    }
    let attrs = cades::attributes_from(&attrs_der).map_err(ApiError::internal)?;
    let cms = cades::signed_data(&chain, attrs, signature).map_err(ApiError::internal)?;
    let prepared = Prepared {
        bytes: B64.decode(&row.prepared).map_err(ApiError::internal)?,
        hole: (
            usize::try_from(row.hole_start).map_err(ApiError::internal)?,
            usize::try_from(row.hole_end).map_err(ApiError::internal)?,
        ),
        field: row.field.clone(),
    };
    let bytes = prepared
        .embed(&cms)
        .map_err(|e| ApiError::internal(anyhow::anyhow!(e)))?;
    let fingerprint = hex::encode(Sha256::digest(
        chain[0].to_der().map_err(ApiError::internal)?,
    ));
    Ok((bytes, fingerprint))
}

/// Records the signed file as the document's next version; call with the meeting locked.
pub fn record_signed(
    conn: &mut DbConnection,
    row: &SigningRow,
    user: &AuthUser,
    file: &documents::StoredFile,
    fingerprint: &str,
) -> Result<(documents::Document, Vec<crate::events::Event>), ApiError> {
    let doc_row = documents::get(conn, &row.document_id)?;
    if doc_row.current_version != row.base_version {
        return Err(stale(doc_row.current_version));
    }
    let block = row.block.as_deref().and_then(Block::parse);
    if let Some(block) = block
        && signed_blocks(conn, &doc_row.id)?.contains(&block)
    {
        return Err(ApiError::conflict(
            "block_signed",
            format!("the {} block is signed already", block.as_str()),
        ));
    }
    let (doc, events) = documents::add_signed_version(conn, &doc_row, &user.id, file)?;
    diesel::update(s::table.find(&row.id))
        .set((
            s::completed_at.eq(Some(db::now())),
            s::version.eq(Some(doc.version)),
            s::prepared.eq(""),
        ))
        .execute(conn)?;
    crate::audit::append(
        conn,
        &doc.meeting_id,
        "document.signed",
        &serde_json::json!({
            "document_id": doc.id,
            "version": doc.version,
            "sha256": doc.sha256,
            "block": row.block,
            "field": row.field,
            "certificate_sha256": fingerprint,
        }),
    )?;
    Ok((doc, events))
}
