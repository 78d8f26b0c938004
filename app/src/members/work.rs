//! An account's Zaps, folders and connections as one member sees them, and later
//! owner changes of shared ones (OF-6).
use crate::components::{last_error, FormError, LoadError, Loading};
use crate::domain::roles::AccountRole;
use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZapView {
    pub id: Uuid,
    pub name: String,
    pub enabled: bool,
    pub private: bool,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub folder_id: Option<Uuid>,
    /// Only the Zap's owner sees its webhook URL.
    pub webhook_url: Option<String>,
    /// Why it was switched off, when the system did it (SH-6).
    pub paused_reason: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub owner_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectionView {
    pub id: Uuid,
    pub name: String,
    pub app: String,
    pub private: bool,
    pub owner_id: Uuid,
    pub owner_name: String,
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkPage {
    pub account_name: String,
    pub my_role: AccountRole,
    pub folders: Vec<FolderView>,
    pub zaps: Vec<ZapView>,
    pub connections: Vec<ConnectionView>,
    /// Filled when the viewer may move shared items to another member (OF-6).
    pub members: Vec<(Uuid, String)>,
    pub me: Uuid,
}

#[cfg(feature = "ssr")]
type ZapRow = (
    Uuid,
    String,
    bool,
    bool,
    Uuid,
    String,
    Option<Uuid>,
    Option<String>,
    Option<String>,
);
#[cfg(feature = "ssr")]
type ConnectionRow = (
    Uuid,
    String,
    String,
    bool,
    Uuid,
    String,
    Option<DateTime<Utc>>,
);

#[server(endpoint = "work/account_work")]
pub async fn account_work(account_id: Uuid) -> Result<WorkPage, AppError> {
    use crate::domain::policy::{self, AccountAction};
    use crate::server::respond;
    respond(async {
        let (st, me) = crate::server::caller().await?;
        let mut conn = st.pool.acquire().await?;
        let role = crate::accounts::repo::role_of(&mut conn, account_id, me.id).await?;
        policy::account(role, AccountAction::ManageOwnWork)?;
        let my_role = role.ok_or(AppError::NotFound)?;
        let (account_name, _) = crate::accounts::repo::account(&mut conn, account_id).await?;
        let folders: Vec<(Uuid, String, String, String)> = sqlx::query_as(
            "SELECT f.id, f.name, f.kind, u.name FROM folders f JOIN users u ON u.id = f.owner_id \
             WHERE f.account_id = $1 AND f.abandoned_at IS NULL AND (f.kind = 'shared' OR f.owner_id = $2) \
             ORDER BY f.kind DESC, lower(f.name), f.id",
        )
        .bind(account_id)
        .bind(me.id)
        .fetch_all(&mut *conn)
        .await?;
        let zaps: Vec<ZapRow> = sqlx::query_as(
            "SELECT z.id, z.name, z.enabled, z.private, z.owner_id, u.name, z.folder_id, z.webhook_token, z.paused_reason \
             FROM zaps z JOIN users u ON u.id = z.owner_id \
             WHERE z.account_id = $1 AND (z.owner_id = $2 OR NOT z.private) ORDER BY lower(z.name), z.id LIMIT 1000",
        )
        .bind(account_id)
        .bind(me.id)
        .fetch_all(&mut *conn)
        .await?;
        let connections: Vec<ConnectionRow> = sqlx::query_as(
            "SELECT c.id, c.name, c.app, c.private, c.owner_id, u.name, c.expires_at FROM app_connections c \
             JOIN users u ON u.id = c.owner_id WHERE c.account_id = $1 AND (c.owner_id = $2 OR NOT c.private) \
             ORDER BY lower(c.name), c.id LIMIT 1000",
        )
        .bind(account_id)
        .bind(me.id)
        .fetch_all(&mut *conn)
        .await?;
        let members = if policy::account(role, AccountAction::TransferOwnership).is_ok() {
            crate::accounts::repo::members(&mut conn, account_id).await?.into_iter().map(|m| (m.user_id, m.name)).collect()
        } else {
            Vec::new()
        };
        Ok(WorkPage {
            me: me.id,
            account_name,
            my_role,
            folders: folders.into_iter().map(|(id, name, kind, owner_name)| FolderView { id, name, kind, owner_name }).collect(),
            zaps: zaps
                .into_iter()
                .map(|(id, name, enabled, private, owner_id, owner_name, folder_id, token, paused_reason)| ZapView {
                    id,
                    name,
                    enabled,
                    private,
                    owner_id,
                    owner_name,
                    folder_id,
                    webhook_url: token.filter(|_| owner_id == me.id).map(|t| super::transfer::hook_url(&st.config, &t)),
                    paused_reason,
                })
                .collect(),
            connections: connections
                .into_iter()
                .map(|(id, name, app, private, owner_id, owner_name, expires_at)| ConnectionView {
                    id,
                    name,
                    app,
                    private,
                    owner_id,
                    owner_name,
                    expires_at,
                })
                .collect(),
            members,
        })
    }
    .await)
}

/// Give a shared Zap or connection to another member (OF-6). A catch-hook Zap gets a
/// new webhook URL, since the URL is tied to its owner.
#[server(endpoint = "work/change_owner")]
pub async fn change_owner(
    account_id: Uuid,
    kind: String,
    item_id: Uuid,
    new_owner: Uuid,
) -> Result<(), AppError> {
    use crate::domain::policy::{self, AccountAction};
    use crate::server::history::{self, Entry};
    use crate::server::respond;
    respond(async {
        let (st, me) = crate::server::caller().await?;
        let mut tx = st.pool.begin().await?;
        let role = crate::accounts::repo::role_of(&mut tx, account_id, me.id).await?;
        policy::account(role, AccountAction::TransferOwnership)?;
        if crate::accounts::repo::role_of(&mut tx, account_id, new_owner).await?.is_none() {
            return Err(AppError::validation("new_owner", "The new owner must be a member of this account."));
        }
        let (table, action) = match kind.as_str() {
            "zap" => ("zaps", "zap.owner_changed"),
            "connection" => ("app_connections", "connection.owner_changed"),
            _ => return Err(AppError::validation("kind", "Choose a Zap or a connection.")),
        };
        let hook = if table == "zaps" {
            ", webhook_token = CASE WHEN trigger = 'none' THEN NULL ELSE replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '') END"
        } else {
            ""
        };
        // Only shared items, and only in this account; the old owner comes back for the history.
        let old: Option<(Uuid,)> = sqlx::query_as(&format!(
            "WITH old AS (SELECT id, owner_id FROM {table} WHERE id = $1 AND account_id = $2 AND NOT private FOR UPDATE) \
             UPDATE {table} t SET owner_id = $3{hook} FROM old WHERE t.id = old.id RETURNING old.owner_id"
        ))
        .bind(item_id)
        .bind(account_id)
        .bind(new_owner)
        .fetch_optional(&mut *tx)
        .await?;
        let (old,) = old.ok_or(AppError::NotFound)?;
        history::record(
            &mut tx,
            Entry {
                actor_id: Some(me.id),
                action,
                account_id: Some(account_id),
                subject: Some(format!("{kind}:{item_id}")),
                target: Some(format!("user:{new_owner}")),
                before: Some(serde_json::json!({ "owner": old })),
                after: Some(serde_json::json!({ "owner": new_owner })),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

/// Switch one's own Zap on or off. Switching on needs access to every integration
/// version it uses: a Zap paused by a revocation stays off until access returns (SH-6).
#[server(endpoint = "work/set_zap_enabled")]
pub async fn set_zap_enabled(account_id: Uuid, zap_id: Uuid, on: bool) -> Result<(), AppError> {
    use crate::domain::policy::{self, AccountAction};
    use crate::server::history::{self, Entry};
    use crate::server::respond;
    respond(async {
        let (st, me) = crate::server::caller().await?;
        let mut tx = st.pool.begin().await?;
        let role = crate::accounts::repo::role_of(&mut tx, account_id, me.id).await?;
        policy::account(role, AccountAction::ManageOwnWork)?;
        let found: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM zaps WHERE id = $1 AND account_id = $2 AND owner_id = $3 FOR UPDATE")
            .bind(zap_id)
            .bind(account_id)
            .bind(me.id)
            .fetch_optional(&mut *tx)
            .await?;
        found.ok_or(AppError::NotFound)?;
        if on {
            let blocked: Vec<(String, String)> = sqlx::query_as(&format!(
                "SELECT i.name, v.version FROM zap_versions zv JOIN integration_versions v ON v.id = zv.version_id \
                 JOIN integrations i ON i.id = v.integration_id WHERE zv.zap_id = $1 AND NOT {} ORDER BY 1, 2",
                crate::integrations::repo::may_use_sql("$2")
            ))
            .bind(zap_id)
            .bind(me.id)
            .fetch_all(&mut *tx)
            .await?;
            if let Some((name, version)) = blocked.first() {
                return Err(crate::error::Refusal::VersionAccessGone {
                    integration: name.clone(),
                    version: version.clone(),
                }
                .into());
            }
        }
        sqlx::query("UPDATE zaps SET enabled = $2, paused_reason = NULL, updated_at = now() WHERE id = $1")
            .bind(zap_id)
            .bind(on)
            .execute(&mut *tx)
            .await?;
        history::record(
            &mut tx,
            Entry {
                actor_id: Some(me.id),
                action: if on { "zap.switched_on" } else { "zap.switched_off" },
                account_id: Some(account_id),
                subject: Some(format!("zap:{zap_id}")),
                ..Default::default()
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
    .await)
}

#[component]
fn OwnerForm(
    account: Uuid,
    kind: &'static str,
    item: Uuid,
    current: Uuid,
    members: Vec<(Uuid, String)>,
    action: ServerAction<ChangeOwner>,
) -> impl IntoView {
    let id = format!("owner-{kind}-{item}");
    view! {
        <ActionForm action=action attr:class="inline-form">
            <input type="hidden" name="account_id" value=account.to_string() />
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="item_id" value=item.to_string() />
            <label for=id.clone()>"Owner"</label>
            <select id=id name="new_owner">
                {members.into_iter().map(|(uid, name)| view! { <option value=uid.to_string() selected=uid == current>{name}</option> }).collect_view()}
            </select>
            <button type="submit">"Change owner"</button>
        </ActionForm>
    }
}

#[component]
pub fn WorkPage() -> impl IntoView {
    let params = use_params_map();
    let account = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let change = ServerAction::<ChangeOwner>::new();
    let toggle = ServerAction::<SetZapEnabled>::new();
    let error = Signal::derive(move || {
        last_error(change.value())
            .get()
            .or_else(|| last_error(toggle.value()).get())
    });
    let page = Resource::new(
        move || (account(), change.version().get() + toggle.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => account_work(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let aid = account().unwrap_or_default();
                let can_move = !p.members.is_empty();
                let me = p.me;
                let zap_row = {
                    let members = p.members.clone();
                    move |z: ZapView| {
                        let form = (can_move && !z.private).then(|| view! { <OwnerForm account=aid kind="zap" item=z.id current=z.owner_id members=members.clone() action=change /> });
                        let label = format!("Switch {} {}", if z.enabled { "off" } else { "on" }, z.name);
                        let switch = (z.owner_id == me).then(|| view! {
                            <ActionForm action=toggle attr:class="inline-form">
                                <input type="hidden" name="account_id" value=aid.to_string() />
                                <input type="hidden" name="zap_id" value=z.id.to_string() />
                                <input type="hidden" name="on" value=(!z.enabled).to_string() />
                                <button type="submit" class="link-button">{label}</button>
                            </ActionForm>
                        });
                        view! {
                            <li id=format!("zap-{}", z.id) class="zap">
                                <strong>{z.name.clone()}</strong>
                                " · " {if z.enabled { "on".to_string() } else { z.paused_reason.clone().map(|r| format!("paused: {r}")).unwrap_or_else(|| "off".into()) }}
                                " · " {if z.private { "private" } else { "shared" }}
                                " · owner " {z.owner_name.clone()}
                                {z.webhook_url.clone().map(|u| view! { <div class="hint">"Webhook URL: "<code>{u}</code></div> })}
                                {switch}
                                {form}
                            </li>
                        }
                    }
                };
                let folders = p.folders.clone();
                let zaps = p.zaps.clone();
                let unfiled: Vec<ZapView> = zaps.iter().filter(|z| !folders.iter().any(|f| Some(f.id) == z.folder_id)).cloned().collect();
                view! {
                    <p class="crumbs"><a href=format!("/accounts/{aid}/members")>{p.account_name.clone()}</a></p>
                    <h1>"Zaps and connections"</h1>
                    <FormError error=error />
                    <section aria-labelledby="folders-title">
                        <h2 id="folders-title">"Folders"</h2>
                        {if folders.is_empty() && unfiled.is_empty() {
                            view! { <p class="empty">"No Zaps yet."</p> }.into_any()
                        } else {
                            view! {
                                {folders.into_iter().map(|f| {
                                    let inside: Vec<ZapView> = zaps.iter().filter(|z| z.folder_id == Some(f.id)).cloned().collect();
                                    let zap_row = zap_row.clone();
                                    view! {
                                        <section class="folder card" aria-label=format!("Folder {}", f.name)>
                                            <h3>{f.name.clone()} <span class="hint">{format!(" · {} folder of {}", f.kind, f.owner_name)}</span></h3>
                                            {if inside.is_empty() {
                                                view! { <p class="empty">"Empty folder."</p> }.into_any()
                                            } else {
                                                view! { <ul class="zaps">{inside.into_iter().map(zap_row).collect_view()}</ul> }.into_any()
                                            }}
                                        </section>
                                    }
                                }).collect_view()}
                                {(!unfiled.is_empty()).then(|| view! {
                                    <section class="folder card" aria-label="Not in a folder">
                                        <h3>"Not in a folder"</h3>
                                        <ul class="zaps">{unfiled.into_iter().map(zap_row.clone()).collect_view()}</ul>
                                    </section>
                                })}
                            }.into_any()
                        }}
                    </section>
                    <section aria-labelledby="connections-title">
                        <h2 id="connections-title">"App connections"</h2>
                        {if p.connections.is_empty() {
                            view! { <p class="empty">"No app connections yet."</p> }.into_any()
                        } else {
                            let members = p.members.clone();
                            view! {
                                <table class="connections">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"App"</th><th scope="col">"Private"</th><th scope="col">"Owner"</th><th scope="col">"Expires"</th></tr></thead>
                                    <tbody>
                                        {p.connections.into_iter().map(|c| {
                                            let form = (can_move && !c.private).then(|| view! { <OwnerForm account=aid kind="connection" item=c.id current=c.owner_id members=members.clone() action=change /> });
                                            view! {
                                                <tr id=format!("connection-{}", c.id)>
                                                    <td>{c.name}</td>
                                                    <td>{c.app}</td>
                                                    <td>{if c.private { "yes" } else { "no (shared)" }}</td>
                                                    <td>{c.owner_name}{form}</td>
                                                    <td>{c.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}
