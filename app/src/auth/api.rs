//! The auth server functions; each one is a public endpoint under /api/auth/.
use super::CurrentUser;
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "auth/sign_up")]
pub async fn sign_up(
    name: String,
    email: String,
    password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            let next = crate::domain::validate::local_path(&next).unwrap_or_default();
            super::service::sign_up(&state()?, &name, &email, password, next).await?;
            redirect("/check-email");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/sign_in")]
pub async fn sign_in(
    email: String,
    password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::sign_in(&state()?, &email, password).await?;
            let to = crate::domain::validate::local_path(&next).unwrap_or("/accounts");
            redirect(to);
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/sign_out")]
pub async fn sign_out() -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::sign_out(&state()?).await?;
            redirect("/");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/verify_email")]
pub async fn verify_email(
    token: String,
    #[server(default)] password: String,
    #[server(default)] next: String,
) -> Result<(), AppError> {
    use crate::domain::validate::{local_path, query_value};
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::verify_email(&state()?, &token, password).await?;
            match local_path(&next) {
                Some(n) => redirect(&format!("/signin?verified=1&next={}", query_value(n))),
                None => redirect("/signin?verified=1"),
            }
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/resend_verification")]
pub async fn resend_verification() -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::resend_verification(&state()?).await?;
            redirect("/check-email");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/request_password_reset")]
pub async fn request_password_reset(email: String) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::request_password_reset(&state()?, &email).await?;
            redirect("/forgot/sent");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/reset_password")]
pub async fn reset_password(token: String, password: String) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::reset_password(&state()?, &token, password).await?;
            redirect("/signin?reset=1");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "auth/whoami")]
pub async fn whoami() -> Result<Option<CurrentUser>, AppError> {
    use crate::server::{respond, state};
    respond(
        async {
            // Through the browser door, as every other read: the caller resolved once per
            // request (a page asks from its top bar and its screen), from a kept session
            // while nothing it rests on changed.
            let st = state()?;
            Ok(crate::server::door::browser_optional(&st)
                .await?
                .map(|me| me.user))
        }
        .await,
    )
}
