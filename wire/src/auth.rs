//! Who is signed in.
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The signed-in person, as pages see them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurrentUser {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub email_verified: bool,
}
