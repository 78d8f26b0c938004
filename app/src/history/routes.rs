//! History exports as plain downloads (HI-3): `…/history.csv` and `…/history.jsonl`,
//! with the same filters as the screen, for whoever may read that history.
use super::service::{self, Format};
use super::{HistoryFilter, Scope};
use crate::error::AppError;
use crate::members::routes::{caller, download};
use crate::server::AppState;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::Response;
use std::net::SocketAddr;
use uuid::Uuid;

/// The filters of an export link; dates as `YYYY-MM-DD`.
#[derive(serde::Deserialize, Default)]
pub struct ExportQuery {
    #[serde(default)]
    action: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    person: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
}

impl ExportQuery {
    pub fn filter(&self) -> Result<HistoryFilter, AppError> {
        Ok(HistoryFilter {
            action: self.action.clone(),
            q: self.q.clone(),
            person: self.person.clone(),
            from: service::parse_day("from", &self.from)?,
            to: service::parse_day("to", &self.to)?,
        })
    }
}

async fn export(
    st: AppState,
    headers: HeaderMap,
    client: SocketAddr,
    scope: Scope,
    format: Format,
    q: ExportQuery,
) -> Response {
    download(
        async {
            let me = caller(&st, &headers, client).await?;
            service::export(&st, &me, scope, &q.filter()?, format).await
        }
        .await,
    )
}

macro_rules! export_route {
    ($name:ident, $scope:path, $format:expr) => {
        pub async fn $name(
            State(st): State<AppState>,
            Path(id): Path<Uuid>,
            Query(q): Query<ExportQuery>,
            ConnectInfo(client): ConnectInfo<SocketAddr>,
            headers: HeaderMap,
        ) -> Response {
            export(st, headers, client, $scope(id), $format, q).await
        }
    };
}

export_route!(account_csv, Scope::Account, Format::Csv);
export_route!(account_jsonl, Scope::Account, Format::JsonLines);
export_route!(integration_csv, Scope::Integration, Format::Csv);
export_route!(integration_jsonl, Scope::Integration, Format::JsonLines);
