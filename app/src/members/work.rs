//! An account's Zaps, folders and connections as one member sees them, and later
//! owner changes of shared ones (OF-6).
use crate::components::{last_error, FormError, LoadError, Loading, Notice};
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
    /// What starts it: `none`, `catch_hook` or `catch_raw_hook`.
    pub trigger: String,
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
    /// The viewer may delete it: their own, or another's private one for admins (OF-2).
    #[cfg_attr(feature = "ssr", sqlx(default))]
    pub may_delete: bool,
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
    /// The cursor of the next page of Zaps, when there is one.
    pub next: Option<String>,
    /// The integration versions the viewer may use in a new Zap, named "Integration 1.0.0".
    pub versions: Vec<(Uuid, String)>,
    /// The cursor of the next page of connections, when there is one.
    pub next_connections: Option<String>,
    /// The connections the viewer may use in a new Zap (their own and the shared ones),
    /// named "Name (App)".
    pub usable_connections: Vec<(Uuid, String)>,
}

/// One page of the Zaps a member sees, by name.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ZapPage {
    pub zaps: Vec<ZapView>,
    /// The cursor of the next page, when there is one.
    pub next: Option<String>,
}

#[server(endpoint = "work/account_work")]
pub async fn account_work(
    account_id: Uuid,
    after: Option<String>,
    connections_after: Option<String>,
) -> Result<WorkPage, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::service::work(
                &st,
                &me,
                account_id,
                after.as_deref(),
                connections_after.as_deref(),
            )
            .await
        }
        .await,
    )
}

/// An optional id from a form's select ("" is none).
#[cfg(feature = "ssr")]
fn picked(value: &str, field: &str) -> Result<Option<Uuid>, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Uuid::parse_str(v)
        .map(Some)
        .map_err(|_| AppError::validation(field, "Choose one of the options offered."))
}

/// A trigger picked in a form.
#[cfg(feature = "ssr")]
fn trigger_field(value: &str) -> Result<wire::platform::Trigger, AppError> {
    wire::platform::Trigger::parse(value.trim())
        .ok_or_else(|| AppError::validation("trigger", "Choose one of the triggers offered."))
}

/// The triggers a form offers, `current` chosen.
fn trigger_options(current: &str) -> impl IntoView {
    [
        ("none", "None"),
        ("catch_hook", "Catch hook (a webhook URL)"),
        ("catch_raw_hook", "Catch raw hook (a webhook URL)"),
    ]
    .map(|(value, label)| view! { <option value=value selected=value == current>{label}</option> })
    .collect_view()
}

/// Come back to the work page after a plain form's post.
#[cfg(feature = "ssr")]
fn back(account_id: Uuid, notice: &str) {
    if crate::server::plain_form() {
        crate::server::redirect(&format!("/accounts/{account_id}/work?{notice}=1"));
    }
}

#[server(endpoint = "work/create_connection")]
pub async fn create_connection(
    account_id: Uuid,
    app: String,
    name: String,
    shared: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let input = wire::platform::NewConnection {
                app,
                name,
                private: shared.is_none(),
            };
            let id = super::zaps::create_connection(&st, &me, account_id, &input).await?;
            back(account_id, "connected");
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "work/create_folder")]
pub async fn create_folder(
    account_id: Uuid,
    name: String,
    shared: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let input = wire::platform::NewFolder {
                name,
                shared: shared.is_some(),
            };
            let id = super::zaps::create_folder(&st, &me, account_id, &input).await?;
            back(account_id, "foldered");
            Ok(id)
        }
        .await,
    )
}

/// A new Zap of one's own on a version one may use (PL-2), switched on.
#[server(endpoint = "work/create_zap")]
#[allow(clippy::too_many_arguments)]
pub async fn create_zap(
    account_id: Uuid,
    name: String,
    folder_id: String,
    version_id: String,
    connection_id: String,
    trigger: String,
    shared: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let trigger = trigger_field(&trigger)?;
            let input = wire::platform::NewZap {
                name,
                folder_id: picked(&folder_id, "folder_id")?,
                versions: picked(&version_id, "version_id")?.into_iter().collect(),
                connections: picked(&connection_id, "connection_id")?
                    .into_iter()
                    .collect(),
                trigger,
                private: shared.is_none(),
            };
            let id = super::zaps::create_zap(&st, &me, account_id, &input).await?;
            back(account_id, "created");
            Ok(id)
        }
        .await,
    )
}

#[server(endpoint = "work/move_zap")]
pub async fn move_zap(account_id: Uuid, zap_id: Uuid, folder_id: String) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let folder = picked(&folder_id, "folder_id")?;
            super::zaps::move_zap(&st, &me, account_id, zap_id, folder).await?;
            back(account_id, "moved");
            Ok(())
        }
        .await,
    )
}

/// Rename a Zap of one's own, or change its trigger (a new hook trigger gets a new
/// webhook URL, which the platform hears of; the trigger it has already changes nothing).
#[server(endpoint = "work/edit_zap")]
pub async fn edit_zap(
    account_id: Uuid,
    zap_id: Uuid,
    name: String,
    trigger: String,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let change = wire::platform::ZapChange {
                name: Some(name),
                trigger: Some(trigger_field(&trigger)?),
                enabled: None,
            };
            super::zaps::change_zap(&st, &me, account_id, zap_id, &change).await?;
            back(account_id, "saved");
            Ok(())
        }
        .await,
    )
}

/// Delete a Zap of one's own; the form asks for a tick first.
#[server(endpoint = "work/delete_zap")]
pub async fn delete_zap(
    account_id: Uuid,
    zap_id: Uuid,
    confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            if confirm.is_none() {
                return Err(AppError::validation(
                    "confirm",
                    "Tick the box to confirm: a deleted Zap cannot be brought back.",
                ));
            }
            super::zaps::delete_zap(&st, &me, account_id, zap_id).await?;
            back(account_id, "deleted");
            Ok(())
        }
        .await,
    )
}

/// What deleting a connection would do: the Zaps it pauses (the confirmation's text).
#[server(endpoint = "work/connection_deletion")]
pub async fn connection_deletion(
    account_id: Uuid,
    connection_id: Uuid,
) -> Result<wire::platform::ConnectionDeletion, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            super::zaps::delete_connection(&st, &me, account_id, connection_id, true).await
        }
        .await,
    )
}

#[server(endpoint = "work/delete_connection")]
pub async fn delete_connection(
    account_id: Uuid,
    connection_id: Uuid,
) -> Result<wire::platform::ConnectionDeletion, AppError> {
    use crate::server::respond;
    respond(
        async {
            let (st, me) = crate::server::caller().await?;
            let done =
                super::zaps::delete_connection(&st, &me, account_id, connection_id, false).await?;
            crate::server::redirect(&format!("/accounts/{account_id}/work?disconnected=1"));
            Ok(done)
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

/// The work screen at a place in each list (cursors are URL-safe base64).
fn work_href(account: Uuid, zaps: Option<&str>, connections: Option<&str>) -> String {
    let mut query: Vec<String> = Vec::new();
    if let Some(z) = zaps {
        query.push(format!("after={z}"));
    }
    if let Some(c) = connections {
        query.push(format!("connections_after={c}"));
    }
    match query.is_empty() {
        true => format!("/accounts/{account}/work"),
        false => format!("/accounts/{account}/work?{}", query.join("&")),
    }
}

#[component]
pub fn WorkPage() -> impl IntoView {
    let params = use_params_map();
    let account = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let query = leptos_router::hooks::use_query_map();
    let after = move || query.with(|q| q.get("after"));
    let conns_after = move || query.with(|q| q.get("connections_after"));
    let change = ServerAction::<ChangeOwner>::new();
    let toggle = ServerAction::<SetZapEnabled>::new();
    let new_conn = ServerAction::<CreateConnection>::new();
    let new_folder = ServerAction::<CreateFolder>::new();
    let new_zap = ServerAction::<CreateZap>::new();
    let mover = ServerAction::<MoveZap>::new();
    let deleter = ServerAction::<DeleteZap>::new();
    let editor = ServerAction::<EditZap>::new();
    let error = Signal::derive(move || {
        last_error(change.value())
            .get()
            .or_else(|| last_error(editor.value()).get())
            .or_else(|| last_error(toggle.value()).get())
            .or_else(|| last_error(mover.value()).get())
            .or_else(|| last_error(deleter.value()).get())
    });
    let page = Resource::new(
        move || {
            (
                account(),
                after(),
                conns_after(),
                change.version().get()
                    + toggle.version().get()
                    + new_conn.version().get()
                    + new_folder.version().get()
                    + new_zap.version().get()
                    + mover.version().get()
                    + deleter.version().get()
                    + editor.version().get(),
            )
        },
        |(id, after, conns, _)| async move {
            match id {
                Some(id) => account_work(id, after, conns).await,
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
                    // The screen lists the shared folders and the viewer's own only.
                    let my_folders: Vec<FolderView> = p.folders.clone();
                    move |z: ZapView| {
                        let mine = z.owner_id == me;
                        let manage = mine.then(|| {
                            let (zid, folder, private) = (z.id, z.folder_id, z.private);
                            let move_id = format!("move-{zid}");
                            let (name_id, trig_id) = (format!("name-{zid}"), format!("trigger-{zid}"));
                            let del_id = format!("delete-{zid}");
                            // Each form's children are a closure of their own: each owns its copy.
                            let of_name = format!(" of {}", z.name);
                            let (of_name2, of_name3) = (of_name.clone(), of_name.clone());
                            let sp_name = format!(" {}", z.name);
                            let (sp_name0, sp_name2) = (sp_name.clone(), sp_name.clone());
                            let current_name = z.name.clone();
                            let trigger = z.trigger.clone();
                            let del_label = format!("Yes, delete “{}”", z.name);
                            let options = my_folders.iter().filter(|f| !private || f.kind != "shared").map(|f| view! { <option value=f.id.to_string() selected=Some(f.id) == folder>{f.name.clone()}</option> }).collect_view();
                            view! {
                                <ActionForm action=editor attr:class="inline-form">
                                    <input type="hidden" name="account_id" value=aid.to_string() />
                                    <input type="hidden" name="zap_id" value=zid.to_string() />
                                    <label for=name_id.clone()>"Name"<span class="visually-hidden">{of_name2}</span></label>
                                    <input id=name_id name="name" required maxlength="200" value=current_name />
                                    <label for=trig_id.clone()>"Trigger"<span class="visually-hidden">{of_name3}</span></label>
                                    <select id=trig_id name="trigger">{trigger_options(&trigger)}</select>
                                    <button type="submit">"Save"<span class="visually-hidden">{sp_name0}</span></button>
                                </ActionForm>
                                <ActionForm action=mover attr:class="inline-form">
                                    <input type="hidden" name="account_id" value=aid.to_string() />
                                    <input type="hidden" name="zap_id" value=zid.to_string() />
                                    <label for=move_id.clone()>"Folder"<span class="visually-hidden">{of_name}</span></label>
                                    <select id=move_id name="folder_id">
                                        <option value="" selected=folder.is_none()>"No folder"</option>
                                        {options}
                                    </select>
                                    <button type="submit">"Move"<span class="visually-hidden">{sp_name}</span></button>
                                </ActionForm>
                                <ActionForm action=deleter attr:class="inline-form">
                                    <input type="hidden" name="account_id" value=aid.to_string() />
                                    <input type="hidden" name="zap_id" value=zid.to_string() />
                                    <input type="checkbox" id=del_id.clone() name="confirm" value="yes" required />
                                    <label for=del_id>{del_label}</label>
                                    <button type="submit" class="danger">"Delete"<span class="visually-hidden">{sp_name2}</span></button>
                                </ActionForm>
                            }
                        });
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
                                {manage}
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
                    <Notice key="created" text="The Zap is made and switched on." />
                    <Notice key="connected" text="The connection is made." />
                    <Notice key="disconnected" text="The connection is deleted; the Zaps that used it are paused." />
                    <Notice key="deleted" text="The Zap is deleted." />
                    <Notice key="saved" text="The Zap is saved." />
                    <FormError error=error />
                    <NewWork account=aid folders=p.folders.clone() versions=p.versions.clone() connections=p.usable_connections.clone() new_conn new_folder new_zap />
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
                    {p.next.clone().map(|n| view! { <p><a href=work_href(aid, Some(&n), conns_after().as_deref())>"Next Zaps"</a></p> })}
                    {(after().is_some() || conns_after().is_some()).then(|| view! { <p><a href=work_href(aid, None, None)>"First page"</a></p> })}
                    <section aria-labelledby="connections-title">
                        <h2 id="connections-title">"App connections"</h2>
                        {if p.connections.is_empty() {
                            view! { <p class="empty">"No app connections yet."</p> }.into_any()
                        } else {
                            let members = p.members.clone();
                            view! {
                                <table class="connections">
                                    <thead><tr><th scope="col">"Name"</th><th scope="col">"App"</th><th scope="col">"Private"</th><th scope="col">"Owner"</th><th scope="col">"Expires"</th><th scope="col"><span class="visually-hidden">"Actions"</span></th></tr></thead>
                                    <tbody>
                                        {p.connections.into_iter().map(|c| {
                                            let form = (can_move && !c.private).then(|| view! { <OwnerForm account=aid kind="connection" item=c.id current=c.owner_id members=members.clone() action=change what=format!("the connection “{}” of {}", c.name, c.owner_name) /> });
                                            view! {
                                                <tr id=format!("connection-{}", c.id)>
                                                    <td>{c.name.clone()}</td>
                                                    <td>{c.app}</td>
                                                    <td>{if c.private { "yes" } else { "no (shared)" }}</td>
                                                    <td>{c.owner_name}{form}</td>
                                                    <td>{c.expires_at.map(|t| t.format("%Y-%m-%d").to_string()).unwrap_or_else(|| "never".into())}</td>
                                                    <td>{c.may_delete.then(|| view! { <a href=format!("/accounts/{aid}/connections/{}/delete", c.id)>"Delete…"<span class="visually-hidden">{format!(" {}", c.name)}</span></a> })}</td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        {p.next_connections.clone().map(|n| view! { <p><a href=work_href(aid, after().as_deref(), Some(&n))>"Next connections"</a></p> })}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

/// The forms that make a connection, a folder and a Zap (PL-2).
#[component]
fn NewWork(
    account: Uuid,
    folders: Vec<FolderView>,
    versions: Vec<(Uuid, String)>,
    connections: Vec<(Uuid, String)>,
    new_conn: ServerAction<CreateConnection>,
    new_folder: ServerAction<CreateFolder>,
    new_zap: ServerAction<CreateZap>,
) -> impl IntoView {
    let (a1, a2, a3) = (
        account.to_string(),
        account.to_string(),
        account.to_string(),
    );
    view! {
        <section aria-labelledby="new-title" class="card">
            <h2 id="new-title">"New"</h2>
            <ActionForm action=new_conn attr:class="stacked" attr:aria-label="New connection">
                <h3>"A connection to an app"</h3>
                <input type="hidden" name="account_id" value=a1 />
                <label for="conn-app">"App"</label>
                <input id="conn-app" name="app" required maxlength="100" placeholder="Slack" />
                <label for="conn-name">"Connection name"</label>
                <input id="conn-name" name="name" required maxlength="300" />
                <label><input type="checkbox" name="shared" value="yes" />" Shared with the account (otherwise private)"</label>
                <FormError error=last_error(new_conn.value()) />
                <button type="submit">"Add connection"</button>
            </ActionForm>
            <ActionForm action=new_folder attr:class="stacked" attr:aria-label="New folder">
                <h3>"A folder"</h3>
                <input type="hidden" name="account_id" value=a2 />
                <label for="folder-name">"Folder name"</label>
                <input id="folder-name" name="name" required maxlength="200" />
                <label><input type="checkbox" name="shared" value="yes" />" Shared folder"</label>
                <FormError error=last_error(new_folder.value()) />
                <button type="submit">"Add folder"</button>
            </ActionForm>
            <ActionForm action=new_zap attr:class="stacked" attr:aria-label="New Zap">
                <h3>"A Zap"</h3>
                <input type="hidden" name="account_id" value=a3 />
                <label for="zap-name">"Zap name"</label>
                <input id="zap-name" name="name" required maxlength="200" />
                <label for="zap-version">"Integration version"</label>
                <select id="zap-version" name="version_id">
                    <option value="">"None"</option>
                    {versions.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
                <label for="zap-connection">"Connection"</label>
                <select id="zap-connection" name="connection_id">
                    <option value="">"None"</option>
                    {connections.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
                <label for="zap-folder">"Folder"</label>
                <select id="zap-folder" name="folder_id">
                    <option value="">"No folder"</option>
                    {folders.into_iter().map(|f| view! { <option value=f.id.to_string()>{format!("{} ({})", f.name, f.kind)}</option> }).collect_view()}
                </select>
                <label for="zap-trigger">"Trigger"</label>
                <select id="zap-trigger" name="trigger">{trigger_options("none")}</select>
                <label><input type="checkbox" name="shared" value="yes" />" Shared Zap"</label>
                <FormError error=last_error(new_zap.value()) />
                <button type="submit">"Create Zap"</button>
            </ActionForm>
        </section>
    }
}

/// The confirmation before a connection is deleted: its owner and the Zaps that pause.
#[component]
pub fn DeleteConnectionPage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        params.with(|p| {
            let a = p.get("id").and_then(|s| Uuid::parse_str(&s).ok());
            let c = p.get("cid").and_then(|s| Uuid::parse_str(&s).ok());
            a.zip(c)
        })
    };
    let delete = ServerAction::<DeleteConnection>::new();
    let preview = Resource::new(ids, |ids| async move {
        match ids {
            Some((a, c)) => connection_deletion(a, c).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let d = match preview.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(d) => d,
                };
                let (aid, cid) = ids().unwrap_or_default();
                view! {
                    <h1>{format!("Delete the connection “{}”?", d.connection)}</h1>
                    <p>{format!("It belongs to {}.", d.owner_name)}</p>
                    {if d.zaps.is_empty() {
                        view! { <p>"No Zap uses it."</p> }.into_any()
                    } else {
                        view! {
                            <p>{format!("{} Zap(s) use it; those that are on pause, with the reason, and their owners see why:", d.zaps.len())}</p>
                            <ul class="paused-zaps">{d.zaps.iter().map(|z| view! { <li>{z.clone()}{d.zaps_paused.contains(z).then_some(" (pauses)")}</li> }).collect_view()}</ul>
                        }.into_any()
                    }}
                    <ActionForm action=delete>
                        <input type="hidden" name="account_id" value=aid.to_string() />
                        <input type="hidden" name="connection_id" value=cid.to_string() />
                        <FormError error=last_error(delete.value()) />
                        <button type="submit" class="danger">"Delete connection"</button>
                        " "<a href=format!("/accounts/{aid}/work")>"Cancel"</a>
                    </ActionForm>
                }.into_any()
            })}
        </Suspense>
    }
}
