//! App-instance server functions, under /api/instances/.
use super::{ConfigEntry, InstanceDetail, InstancesPage};
use crate::domain::roles::InstanceAccess;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "instances/list_instances")]
pub async fn list_instances() -> Result<InstancesPage, AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::list(&state()?).await }.await)
}

#[server(endpoint = "instances/get_instance")]
pub async fn get_instance(id: Uuid) -> Result<InstanceDetail, AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::detail(&state()?, id).await }.await)
}

/// The caller's access now (None: none any more); open pages poll it.
#[server(endpoint = "instances/my_access")]
pub async fn my_access(id: Uuid) -> Result<Option<InstanceAccess>, AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::access(&state()?, id).await }.await)
}

#[server(endpoint = "instances/install_instance")]
pub async fn install_instance(
    name: String,
    app: String,
    #[server(default)] config: Vec<ConfigEntry>,
    #[server(default)] username: String,
    #[server(default)] secret: String,
) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            let id =
                super::service::install(&state()?, &name, &app, config, &username, secret).await?;
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
    use crate::server::{respond, state};
    respond(async { super::service::edit(&state()?, id, &name, config).await }.await)
}

#[server(endpoint = "instances/delete_instance")]
pub async fn delete_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::delete(&state()?, id).await?;
            redirect("/instances?deleted=1");
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/run_instance")]
pub async fn run_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::set_running(&state()?, id, true).await }.await)
}

#[server(endpoint = "instances/stop_instance")]
pub async fn stop_instance(id: Uuid) -> Result<(), AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::set_running(&state()?, id, false).await }.await)
}

#[server(endpoint = "instances/clone_instance")]
pub async fn clone_instance(id: Uuid) -> Result<Uuid, AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            let new_id = super::service::clone(&state()?, id).await?;
            redirect(&format!("/instances/{new_id}?cloned=1"));
            Ok(new_id)
        }
        .await,
    )
}

#[server(endpoint = "instances/share_instance")]
pub async fn share_instance(id: Uuid, email: String, access: String) -> Result<(), AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::share(&state()?, id, &email, &access).await }.await)
}

#[server(endpoint = "instances/cancel_invite")]
pub async fn cancel_instance_invite(id: Uuid, email: String) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::cancel_invite(&state()?, id, &email).await?;
            redirect(&format!("/instances/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/revoke_share")]
pub async fn revoke_share(id: Uuid, user_id: Uuid) -> Result<(), AppError> {
    use crate::server::{redirect, respond, state};
    respond(
        async {
            super::service::revoke(&state()?, id, user_id).await?;
            redirect(&format!("/instances/{id}"));
            Ok(())
        }
        .await,
    )
}

#[server(endpoint = "instances/add_login")]
pub async fn add_login(id: Uuid, username: String, secret: String) -> Result<Uuid, AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::add_login(&state()?, id, &username, secret).await }.await)
}

#[server(endpoint = "instances/replace_secret")]
pub async fn replace_secret(id: Uuid, login_id: Uuid, secret: String) -> Result<(), AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::replace_secret(&state()?, id, login_id, secret).await }.await)
}

#[server(endpoint = "instances/delete_login")]
pub async fn delete_login(id: Uuid, login_id: Uuid) -> Result<(), AppError> {
    use crate::server::{respond, state};
    respond(async { super::service::delete_login(&state()?, id, login_id).await }.await)
}
