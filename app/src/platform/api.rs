//! Operator server functions (the browser door): recent event deliveries, resend one.
use super::Delivery;
use crate::error::AppError;
use leptos::prelude::*;
use uuid::Uuid;

#[server(endpoint = "platform/deliveries")]
pub async fn deliveries() -> Result<Vec<Delivery>, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::events::deliveries(&st, &me).await
        }
        .await,
    )
}

/// Send a delivery again now, with the same event id.
#[server(endpoint = "platform/resend")]
pub async fn resend(event_id: Uuid, endpoint_id: Uuid) -> Result<(), AppError> {
    use crate::server::{plain_form, redirect, respond};
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::events::resend(&st, &me, event_id, endpoint_id).await?;
            if plain_form() {
                redirect("/operator/events?resent=1");
            }
            Ok(())
        }
        .await,
    )
}
