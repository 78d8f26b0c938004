//! CSV of a user's Zaps and connections (OF-4): `Type, ID, Name, Link, Private, App`.
//! Rows are streamed from Postgres into the writer, one at a time.
use crate::error::AppError;
use crate::server::config::Config;
use futures_util::stream::BoxStream;
use futures_util::TryStreamExt;
use sqlx::PgConnection;
use uuid::Uuid;

pub const HEADER: [&str; 6] = ["Type", "ID", "Name", "Link", "Private", "App"];

type Row = (String, Uuid, String, bool, String, Uuid);

/// A cell a spreadsheet will not read as a formula: text starting with `=`, `+`, `-`,
/// `@`, a tab or a carriage return gets a leading `'` (OWASP's advice for CSV injection).
pub fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{text}").into(),
        _ => text.into(),
    }
}

async fn write(
    config: &Config,
    mut rows: BoxStream<'_, Result<Row, sqlx::Error>>,
) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(HEADER).map_err(AppError::internal)?;
    while let Some((kind, id, name, private, app, account)) = rows.try_next().await? {
        let link = match kind.as_str() {
            "Zap" => config.link(&format!("/accounts/{account}/work#zap-{id}")),
            _ => config.link(&format!("/accounts/{account}/work#connection-{id}")),
        };
        let private = if private { "True" } else { "False" };
        w.write_record([
            kind.as_str(),
            &id.to_string(),
            &cell(&name),
            &link,
            private,
            &cell(&app),
        ])
        .map_err(AppError::internal)?;
    }
    w.into_inner().map_err(AppError::internal)
}

/// Everything `user` owns in `account` now.
pub async fn member_csv(
    conn: &mut PgConnection,
    config: &Config,
    account: Uuid,
    user: Uuid,
) -> Result<Vec<u8>, AppError> {
    let rows = sqlx::query_as::<_, Row>(
        "SELECT 'Auth', id, name, private, app, account_id FROM app_connections WHERE account_id = $1 AND owner_id = $2 \
         UNION ALL \
         SELECT 'Zap', id, name, private, '', account_id FROM zaps WHERE account_id = $1 AND owner_id = $2 \
         ORDER BY 1, 3, 2",
    )
    .bind(account)
    .bind(user)
    .fetch(conn);
    write(config, rows).await
}

/// The items one transfer moved that `owner` still owns, as they are named now: what was
/// passed on since (OF-6) is no longer theirs to read.
pub async fn transfer_csv(
    conn: &mut PgConnection,
    config: &Config,
    transfer: Uuid,
    owner: Uuid,
) -> Result<Vec<u8>, AppError> {
    let rows = sqlx::query_as::<_, Row>(
        "SELECT t.kind, t.item_id, coalesce(c.name, z.name), coalesce(c.private, z.private), coalesce(c.app, ''), \
                coalesce(c.account_id, z.account_id) \
         FROM transfer_items t \
         LEFT JOIN app_connections c ON t.kind = 'Auth' AND c.id = t.item_id \
         LEFT JOIN zaps z ON t.kind = 'Zap' AND z.id = t.item_id \
         WHERE t.transfer_id = $1 AND coalesce(c.owner_id, z.owner_id) = $2 \
         ORDER BY 1, 3, 2",
    )
    .bind(transfer)
    .bind(owner)
    .fetch(conn);
    write(config, rows).await
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn formulas_are_defused() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(bad), format!("'{bad}"), "{bad:?}");
        }
        for fine in ["Billing", "", "a=b", "O'Brien - CRM"] {
            assert_eq!(cell(fine), fine);
        }
    }
}
