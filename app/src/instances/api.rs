//! App-instance server functions, under /api/instances/.
use super::{ConfigEntry, InstanceDetail, InstancesPage};
use crate::domain::roles::InstanceAccess;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "instances/list_instances")]
pub async fn list_instances() -> Result<InstancesPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::list(&st, &me).await
        }
        .await,
    )
}

#[server(endpoint = "instances/get_instance")]
pub async fn get_instance(id: Uuid) -> Result<InstanceDetail, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::detail(&st, &me, id).await
        }
        .await,
    )
}

/// The caller's access now (None: none any more); open pages poll it.
#[server(endpoint = "instances/my_access")]
pub async fn my_access(id: Uuid) -> Result<Option<InstanceAccess>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::access(&st, &me, id).await
        }
        .await,
    )
}

#[server(endpoint = "instances/install_instance")]
pub async fn install_instance(
    name: String,
    app: String,
    #[server(default)] config: Vec<ConfigEntry>,
    #[server(default)] username: String,
    #[server(default)] secret: String,
) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let id =
                super::service::install(&st, &me, &name, &app, config, &username, secret).await?;
            redirect(&format!("/instances/{id}"));
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "instances/edit_instance")]
pub async fn edit_instance(
    id: Uuid,
    name: String,
    #[server(default)] config: Vec<ConfigEntry>,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::edit(&st, &me, id, &name, config).await
        }
        .await,
    )
}

#[server(endpoint = "instances/delete_instance")]
pub async fn delete_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::delete(&st, &me, id).await?;
            redirect("/instances?deleted=1");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/run_instance")]
pub async fn run_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_running(&st, &me, id, true).await
        }
        .await,
    )
}

#[server(endpoint = "instances/stop_instance")]
pub async fn stop_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_running(&st, &me, id, false).await
        }
        .await,
    )
}

#[server(endpoint = "instances/clone_instance")]
pub async fn clone_instance(id: Uuid) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let new_id = super::service::clone(&st, &me, id).await?;
            redirect(&format!("/instances/{new_id}?cloned=1"));
            Ok(new_id)
        }
        .await,
    )
}

#[server(endpoint = "instances/share_instance")]
pub async fn share_instance(
    id: Uuid,
    email: String,
    access: String,
    #[server(default)] change: bool,
    #[server(default)] starts_at: String,
    #[server(default)] ends_at: String,
) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let dates = crate::access::service::dates_from_form(&starts_at, &ends_at, None)?;
            super::service::share_dated(&st, &me, id, &email, &access, &dates).await?;
            // A fresh page: the form is empty again and the notice confirms (with or without JS).
            redirect(&format!(
                "/instances/{id}?{}=1",
                if change { "changed" } else { "shared" }
            ));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/cancel_invite")]
pub async fn cancel_instance_invite(id: Uuid, email: String) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::cancel_invite(&st, &me, id, &email).await?;
            redirect(&format!("/instances/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/revoke_share")]
pub async fn revoke_share(id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::revoke(&st, &me, id, user_id).await?;
            redirect(&format!("/instances/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/add_login")]
pub async fn add_login(id: Uuid, username: String, secret: String) -> Result<Uuid, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::add_login(&st, &me, id, &username, secret).await
        }
        .await,
    )
}

#[server(endpoint = "instances/replace_secret")]
pub async fn replace_secret(id: Uuid, login_id: Uuid, secret: String) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::replace_secret(&st, &me, id, login_id, secret).await
        }
        .await,
    )
}

#[server(endpoint = "instances/delete_login")]
pub async fn delete_login(id: Uuid, login_id: Uuid) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::delete_login(&st, &me, id, login_id).await
        }
        .await,
    )
}
