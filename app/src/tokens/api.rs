//! Token server functions (the browser door): list, create, revoke.
use super::{ApiTokenView, NewApiToken};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "tokens/list_tokens")]
pub async fn list_tokens() -> Result<Vec<ApiTokenView>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::list(&st, &me).await
        }
        .await,
    )
}

/// The cookie that carries a token made without JavaScript to the page that shows it.
#[cfg(feature = "ssr")]
const REVEAL_COOKIE: &str = "gatehouse_new_token";

#[server(endpoint = "tokens/create_token")]
pub async fn create_token(name: String, scope: String, days: i32) -> Result<NewApiToken, AppError> {
    use crate::server::{plain_form, redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            // A plain form's answer is a redirect, which carries no data: the token rides
            // to the next page in a short-lived cookie, and is shown there once.
            let later = plain_form();
            let made = super::service::create(&st, &me, &name, &scope, days, later).await?;
            if later {
                crate::server::auth::stash_secret(
                    REVEAL_COOKIE,
                    &made.token,
                    super::service::REVEAL_MINUTES,
                    st.config.secure_cookies(),
                );
                redirect("/settings/tokens?made=1");
            }
            Ok(made)
        }
        .await,
    )
}

/// The token a plain form just made, once (see `create_token`).
#[server(endpoint = "tokens/reveal_token")]
pub async fn reveal_token() -> Result<Option<NewApiToken>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let Some(text) =
                crate::server::auth::take_secret(REVEAL_COOKIE, st.config.secure_cookies())
            else {
                return Ok(None);
            };
            super::service::reveal(&st, &me, &text).await
        }
        .await,
    )
}

#[server(endpoint = "tokens/revoke_token")]
pub async fn revoke_token(id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::revoke(&st, &me, id).await?;
            redirect("/settings/tokens?revoked=1");
            Ok(())
        }
        .await,
    )
}
