//! Rows into the storage's types, and the database's errors into the storage's: what every
//! statement's answer goes through.

use super::*;

/// A failed statement as the engine needs it: the database refusing the data (a value it
/// cannot store, a constraint: SQLSTATE classes 22 and 23, and 54 for a value too large) is the
/// request's fault and changes nothing when tried again; anything else is the database being
/// unavailable.
pub(crate) fn unavailable(err: impl std::error::Error + 'static) -> StorageError {
    let refused = (&err as &dyn std::error::Error)
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::code)
        .is_some_and(|code| {
            let class = &code.code()[..2];
            matches!(class, "22" | "23" | "54")
        });
    if refused {
        StorageError::Refused(describe(&err))
    } else {
        StorageError::Unavailable(describe(&err))
    }
}

/// An error with its causes (tokio-postgres says only "db error" at the top; the server's
/// message is in the source).
pub(super) fn describe(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(inner) = source {
        text = format!("{text}: {inner}");
        source = inner.source();
    }
    text
}

/// Why a connection could not be made, with what to check when it is the certificate.
pub(super) fn connect_error(err: &dyn std::error::Error) -> String {
    let text = describe(err);
    if text.contains("invalid peer certificate") || text.contains("certificate") {
        format!(
            "the database's certificate was refused ({text}): check sslrootcert (the CA that signed it) and, with sslmode=verify-full, that the certificate names the host in the URL"
        )
    } else if text.contains("server does not support TLS") {
        format!("{text}: the URL's sslmode asks for TLS, which this database does not offer")
    } else {
        text
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(what.to_string())
}

pub(crate) fn uuid(id: Id) -> Uuid {
    id.as_uuid()
}

pub(crate) fn id(uuid: Uuid) -> Id {
    Id::from(uuid)
}

pub(super) fn version(n: i64) -> u64 {
    n.max(0) as u64
}

pub(super) fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn get<'a, T: tokio_postgres::types::FromSql<'a>>(
    row: &'a Row,
    column: &str,
) -> StorageResult<T> {
    row.try_get(column).map_err(corrupt)
}

pub(super) fn kind(text: &str) -> StorageResult<Kind> {
    text.parse().map_err(corrupt)
}

fn object(value: Value) -> StorageResult<Map<String, Value>> {
    match value {
        Value::Object(map) => Ok(map),
        other => Err(corrupt(format!("expected an object, found {other}"))),
    }
}

pub(super) fn item_of(row: &Row) -> StorageResult<StoredItem> {
    Ok(StoredItem {
        kind: kind(get(row, "kind")?)?,
        id: id(get(row, "id")?),
        fields: object(get(row, "fields")?)?,
        versions: serde_json::from_value(get(row, "versions")?).map_err(corrupt)?,
    })
}

pub(super) fn change_of(row: &Row) -> StorageResult<Change> {
    let client: Option<Uuid> = get(row, "client_id")?;
    let seq: Option<i64> = get(row, "client_seq")?;
    Ok(Change {
        version: version(get(row, "version")?),
        kind: kind(get(row, "kind")?)?,
        item_id: id(get(row, "item_id")?),
        author: get(row, "author_name")?,
        at: get(row, "at")?,
        made_at: get(row, "made_at")?,
        fields: object(get(row, "fields")?)?,
        origin: client.zip(seq).map(|(client, seq)| Origin {
            client_id: id(client),
            seq: version(seq),
        }),
    })
}

/// A conflict as its row holds it: the body without the sides' times of making, which are in
/// the `made_at` column (the previous release reads the body strictly).
pub(super) fn conflict_row(conflict: &Conflict) -> StorageResult<(Value, Option<Value>)> {
    let mut body = conflict.clone();
    let made = (conflict.theirs.made_at.is_some() || conflict.mine.made_at.is_some()).then(
        || serde_json::json!({"theirs": conflict.theirs.made_at, "mine": conflict.mine.made_at}),
    );
    body.theirs.made_at = None;
    body.mine.made_at = None;
    Ok((serde_json::to_value(body).map_err(corrupt)?, made))
}

/// A conflict from the `body` and `made_at` columns of its row.
pub(super) fn conflict_of(row: &Row) -> StorageResult<Conflict> {
    let mut conflict: Conflict = serde_json::from_value(get(row, "body")?).map_err(corrupt)?;
    if let Some(made) = get::<Option<Value>>(row, "made_at")? {
        let at = |side: &str| made.get(side).and_then(Value::as_str).map(str::to_owned);
        conflict.theirs.made_at = at("theirs");
        conflict.mine.made_at = at("mine");
    }
    Ok(conflict)
}

/// The columns [`program_row`] reads.
pub(super) const PROGRAM_COLUMNS: &str =
    "id, name, head, floor, documents_head, fork, published_client, published_head, published_seq";

pub(super) fn program_row(row: &Row) -> StorageResult<ProgramRow> {
    let published: Option<Uuid> = get(row, "published_client")?;
    Ok(ProgramRow {
        id: id(get(row, "id")?),
        name: get(row, "name")?,
        head: version(get(row, "head")?),
        floor: version(get(row, "floor")?),
        documents: version(get(row, "documents_head")?),
        fork: version(get(row, "fork")?),
        published: published
            .map(|client| {
                Ok::<_, StorageError>(Published {
                    client: id(client),
                    head: version(get(row, "published_head")?),
                    seq: version(get(row, "published_seq")?),
                })
            })
            .transpose()?,
    })
}

pub(super) fn recorded_of(row: &Row) -> StorageResult<Recorded> {
    Ok(Recorded {
        mutation_id: id(get(row, "mutation_id")?),
        result: serde_json::from_value(get(row, "result")?).map_err(corrupt)?,
    })
}
