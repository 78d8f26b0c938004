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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
pub struct FolderView {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub owner_name: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema, sqlx::FromRow))]
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
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
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

#[server(endpoint = "work/account_work")]
pub async fn account_work(account_id: Uuid) -> Result<WorkPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::work(&st, &me, account_id).await
        }
        .await,
    )
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
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::change_owner(&st, &me, account_id, &kind, item_id, new_owner).await
        }
        .await,
    )
}

/// Switch one's own Zap on or off. Switching on needs access to every integration
/// version it uses: a Zap paused by a revocation stays off until access returns (SH-6).
#[server(endpoint = "work/set_zap_enabled")]
pub async fn set_zap_enabled(account_id: Uuid, zap_id: Uuid, on: bool) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::set_zap_enabled(&st, &me, account_id, zap_id, on).await
        }
        .await,
    )
}

#[component]
fn OwnerForm(
    account: Uuid,
    kind: &'static str,
    item: Uuid,
    current: Uuid,
    members: Vec<(Uuid, String)>,
    action: ServerAction<ChangeOwner>,
    /// What it changes, named for screen readers: "“Weekly report” of Sam Super".
    what: String,
) -> impl IntoView {
    let id = format!("owner-{kind}-{item}");
    view! {
        <ActionForm action=action attr:class="inline-form">
            <input type="hidden" name="account_id" value=account.to_string() />
            <input type="hidden" name="kind" value=kind />
            <input type="hidden" name="item_id" value=item.to_string() />
            <label for=id.clone()>"Owner"<span class="visually-hidden">{format!(" of {what}")}</span></label>
            <select id=id name="new_owner">
                {members.into_iter().map(|(uid, name)| view! { <option value=uid.to_string() selected=uid == current>{name}</option> }).collect_view()}
            </select>
            <button type="submit">"Change owner"<span class="visually-hidden">{format!(" of {what}")}</span></button>
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
                        let form = (can_move && !z.private).then(|| view! { <OwnerForm account=aid kind="zap" item=z.id current=z.owner_id members=members.clone() action=change what=format!("the Zap “{}” of {}", z.name, z.owner_name) /> });
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
                                            let form = (can_move && !c.private).then(|| view! { <OwnerForm account=aid kind="connection" item=c.id current=c.owner_id members=members.clone() action=change what=format!("the connection “{}” of {}", c.name, c.owner_name) /> });
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
