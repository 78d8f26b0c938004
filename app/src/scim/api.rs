//! SCIM settings server functions (the browser door): the page, make, reveal, revoke.
use super::{NewScimToken, ScimSettings};
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "scim/settings")]
pub async fn get_scim_settings(account_id: Uuid) -> Result<ScimSettings, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::tokens::settings(&st, &me, account_id).await
        }
        .await,
    )
}

/// The cookie that carries a SCIM token made without JavaScript to the page that shows it.
#[cfg(feature = "ssr")]
const REVEAL_COOKIE: &str = "gatehouse_new_scim_token";

#[server(endpoint = "scim/create_token")]
pub async fn create_scim_token(
    account_id: Uuid,
    name: String,
    days: i32,
) -> Result<NewScimToken, AppError> {
    use crate::server::{plain_form, redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let made = super::tokens::create(&st, &me, account_id, &name, days).await?;
            if plain_form() {
                crate::server::auth::stash_secret(
                    REVEAL_COOKIE,
                    &made.token,
                    super::tokens::REVEAL_MINUTES,
                    st.config.secure_cookies(),
                );
                redirect(&format!("/accounts/{account_id}/scim?made=1"));
            }
            Ok(made)
        }
        .await,
    )
}

/// The SCIM token a plain form just made, once (see `create_scim_token`).
#[server(endpoint = "scim/reveal_token")]
pub async fn reveal_scim_token(account_id: Uuid) -> Result<Option<NewScimToken>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let Some(text) =
                crate::server::auth::take_secret(REVEAL_COOKIE, st.config.secure_cookies())
            else {
                return Ok(None);
            };
            super::tokens::reveal(&st, &me, account_id, &text).await
        }
        .await,
    )
}

#[server(endpoint = "scim/revoke_token")]
pub async fn revoke_scim_token(account_id: Uuid, id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::tokens::revoke(&st, &me, account_id, id).await?;
            redirect(&format!("/accounts/{account_id}/scim?revoked=1"));
            Ok(())
        }
        .await,
    )
}
