//! Integration pages: yours and the directory, an integration, its Sharing screen, and the
//! invite-link landing page. Collaborators see everything read-only (TM-2).
use super::api::*;
use super::IntegrationSummary;
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use crate::domain::policy::{self, TeamAction};
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

pub fn id_param() -> impl Fn() -> Option<Uuid> + Copy + Send + Sync + 'static {
    let params = use_params_map();
    move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()))
}

/// The screens of one integration, for its team (TM-2). Collaborators see every tab
/// read-only, except Access, which is for admins (AX-1): a screen that knows the caller
/// is a collaborator says so and the tab is not offered.
#[component]
pub fn IntegrationTabs(
    id: Uuid,
    current: &'static str,
    #[prop(optional)] collaborator: bool,
) -> impl IntoView {
    const TABS: [(&str, &str, &str); 8] = [
        ("overview", "Overview", ""),
        ("team", "Team", "/team"),
        ("sharing", "Sharing", "/sharing"),
        ("access", "Access", "/access"),
        ("performance", "Performance", "/performance"),
        ("history", "History", "/history"),
        ("feedback", "Feedback", "/feedback"),
        ("embed", "Embed tools", "/embed"),
    ];
    view! {
        <nav class="tabs" aria-label="Integration screens">
            <ul>
                {TABS.into_iter().filter(move |(key, ..)| !(collaborator && *key == "access")).map(|(key, label, path)| view! {
                    <li><a href=format!("/integrations/{id}{path}") aria-current=(key == current).then_some("page")>{label}</a></li>
                }).collect_view()}
            </ul>
        </nav>
    }
}

fn list(items: Vec<IntegrationSummary>) -> AnyView {
    view! {
        <ul class="account-list">
            {items.into_iter().map(|i| {
                let href = if i.role.is_some() { format!("/integrations/{}", i.id) } else { format!("/integrations/{}/use", i.id) };
                view! {
                    <li>
                        <span><a href=href>{i.name.clone()}</a>" "<span class="hint">{i.description.clone()}</span></span>
                        <span class="role">{i.visibility.clone()}{i.role.map(|r| format!(" · {}", r.as_str()))}
                            " · "<a href=format!("/integrations/{}/feedback/new", i.id)>{format!("Send feedback on {}", i.name)}</a></span>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let create = ServerAction::<CreateIntegration>::new();
    let error = last_error(create.value());
    let mine = Resource::new(|| (), |_| list_my_integrations());
    view! {
        <h1>"Integrations"</h1>
        <Notice key="joined" text="You have joined. The integration is listed under “Shared with you”." />
        <Notice key="left" text="You have left the team." />
        <p><a href="/directory">"Search the directory of public integrations"</a></p>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match mine.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(m) => view! {
                        <section aria-labelledby="team-title">
                            <h2 id="team-title">"Your teams"</h2>
                            {if m.team.is_empty() { view! { <p class="empty">"You are not on any integration team. Create an integration below."</p> }.into_any() } else { list(m.team) }}
                        </section>
                        <section aria-labelledby="shared-title">
                            <h2 id="shared-title">"Shared with you"</h2>
                            {if m.shared.is_empty() { view! { <p class="empty">"No private integration is shared with you."</p> }.into_any() } else { list(m.shared) }}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section class="card narrow" aria-labelledby="create-int-title">
            <h2 id="create-int-title">"Create an integration"</h2>
            <p class="hint">"You become the first admin of its team. It starts private."</p>
            <ActionForm action=create>
                <FormError error=error />
                <Field label="Integration name" name="name" required=true error=error />
                <Field label="Description" name="description" error=error />
                <button type="submit">"Create integration"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn DirectoryPage() -> impl IntoView {
    let q = use_query_map();
    let term = move || q.with(|q| q.get("q").unwrap_or_default());
    let results = Resource::new(term, search_directory);
    view! {
        <h1>"Directory"</h1>
        <form method="get" class="inline-form" role="search">
            <label for="dir-q">"Search public integrations"</label>
            <input id="dir-q" name="q" type="search" value=term />
            <button type="submit">"Search"</button>
        </form>
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match results.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(r) if r.is_empty() => view! { <p class="empty">"No public integration matches."</p> }.into_any(),
                    Ok(r) => list(r),
                }
            })}
        </Suspense>
    }
}

/// An integration as someone who may use it sees it: its versions, how they got access,
/// and where to send feedback. Opened from "Shared with you" and the directory.
#[component]
pub fn UsePage() -> impl IntoView {
    let id = id_param();
    let page = Resource::new(id, |id| async move {
        match id {
            Some(id) => get_usable(id).await,
            None => Err(AppError::NotFound),
        }
    });
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <p class="crumbs"><a href="/integrations">"Integrations"</a></p><LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{p.name.clone()}</h1>
                    {(!p.description.is_empty()).then(|| view! { <p>{p.description.clone()}</p> })}
                    {p.on_team.then(|| view! { <p class="notice" role="note">"You are on this integration's team: "<a href=format!("/integrations/{}", p.id)>"open its team screens"</a>"."</p> })}
                    <section aria-labelledby="use-versions-title">
                        <h2 id="use-versions-title">"Versions you can use in a Zap"</h2>
                        {if p.versions.is_empty() {
                            view! { <p class="empty">{if p.on_team {
                                "None yet: a team role is for building it. Using a version in a Zap needs an invitation or a link, as for anyone, until it is public."
                            } else {
                                "No version yet. Versions the team publishes appear here when your access covers them."
                            }}</p> }.into_any()
                        } else {
                            view! { <ul class="versions">{p.versions.iter().map(|v| view! { <li>{v.clone()}</li> }).collect_view()}</ul> }.into_any()
                        }}
                    </section>
                    <section aria-labelledby="use-access-title">
                        <h2 id="use-access-title">"How you have access"</h2>
                        {if p.roads.is_empty() {
                            view! { <p>{if p.visibility == "public" { "It is public: everyone may use it." } else { "Through its team." }}</p> }.into_any()
                        } else {
                            view! {
                                <ul>{p.roads.iter().map(|r| view! {
                                    <li>{format!("{}, through {}, since {}", r.version.as_ref().map(|v| format!("Version {v}")).unwrap_or_else(|| "All versions (present and future)".into()),
                                        r.how(), r.granted_at.format("%Y-%m-%d"))}</li>
                                }).collect_view()}</ul>
                            }.into_any()
                        }}
                    </section>
                    <p><a class="button" href=format!("/integrations/{}/feedback/new", p.id)>{format!("Send feedback on {}", p.name)}</a></p>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn IntegrationPage() -> impl IntoView {
    let id = id_param();
    let add = ServerAction::<AddVersion>::new();
    let edit = ServerAction::<EditIntegration>::new();
    let vis = ServerAction::<SetVisibility>::new();
    let page = Resource::new(
        move || {
            (
                id(),
                add.version().get() + edit.version().get() + vis.version().get(),
            )
        },
        |(id, _)| async move {
            match id {
                Some(id) => get_integration(id).await,
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
                let admin = policy::team(Some(p.role), TeamAction::EditIntegration).is_ok();
                let iid = p.id.to_string();
                let iid2 = iid.clone();
                let iid3 = iid.clone();
                let add_error = last_error(add.value());
                let edit_error = last_error(edit.value());
                let to = if p.visibility == "public" { "private" } else { "public" };
                view! {
                    <p class="crumbs"><a href="/integrations">"Integrations"</a></p>
                    <h1>{p.name.clone()}</h1>
                    <IntegrationTabs id=p.id current="overview" collaborator=p.role != crate::domain::roles::TeamRole::Admin />
                    <p>{p.description.clone()}</p>
                    <p>"Visibility: "<strong>{p.visibility.clone()}</strong>" · your role: "{p.role.as_str()}</p>
                    <section aria-labelledby="versions-title">
                        <h2 id="versions-title">"Versions"</h2>
                        {if p.versions.is_empty() { view! { <p class="empty">"No versions yet."</p> }.into_any() } else { view! {
                            <ul class="versions">{p.versions.iter().map(|v| view! { <li>{v.version.clone()}</li> }).collect_view()}</ul>
                        }.into_any() }}
                        {admin.then(|| view! {
                            <ActionForm action=add attr:class="card narrow">
                                <FormError error=add_error />
                                <input type="hidden" name="id" value=iid.clone() />
                                <Field label="New version" name="version" hint="Semantic version, e.g. 1.4.0" required=true error=add_error />
                                <button type="submit">"Add version"</button>
                            </ActionForm>
                        })}
                    </section>
                    {admin.then(|| view! {
                        <section aria-labelledby="settings-title">
                            <h2 id="settings-title">"Settings"</h2>
                            <ActionForm action=edit attr:class="card narrow">
                                <FormError error=edit_error />
                                <input type="hidden" name="id" value=iid2 />
                                <Field label="Name" name="name" value=p.name.clone() required=true error=edit_error />
                                <Field label="Description" name="description" value=p.description.clone() error=edit_error />
                                <button type="submit">"Save"</button>
                            </ActionForm>
                            <ActionForm action=vis>
                                <input type="hidden" name="id" value=iid3 />
                                <input type="hidden" name="visibility" value=to />
                                <button type="submit">{format!("Make it {to}")}</button>
                            </ActionForm>
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

/// A link in a read-only field, with a Copy button once the page is interactive.
#[component]
pub fn CopyField(label: String, value: String) -> impl IntoView {
    let field_id = format!(
        "link-{}",
        value.len()
            ^ value
                .bytes()
                .fold(0usize, |a, b| a.wrapping_mul(31).wrapping_add(b as usize))
    );
    let interactive = RwSignal::new(false);
    let copied = RwSignal::new(false);
    Effect::new(move |_| interactive.set(true));
    let fid = field_id.clone();
    // The button names what it copies ("Copy the link to version 1.0.0"): several sit on one page.
    let what = {
        let mut l = label.clone();
        if let Some(first) = l.get(..1) {
            l = format!("{}{}", first.to_lowercase(), &l[1..]);
        }
        format!(" the {l}")
    };
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let doc = document();
            if let Some(input) = doc
                .get_element_by_id(&fid)
                .and_then(|e| e.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                input.select();
                if let Ok(html) = doc.dyn_into::<web_sys::HtmlDocument>() {
                    copied.set(html.exec_command("copy").unwrap_or(false));
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = &fid;
    };
    view! {
        <div class="copy-field">
            <label for=field_id.clone()>{label}</label>
            <input id=field_id readonly value=value />
            {move || interactive.get().then(|| {
                let what = what.clone();
                view! { <button type="button" on:click=copy.clone()>{move || if copied.get() { "Copied" } else { "Copy" }}<span class="visually-hidden">{what}</span></button> }
            })}
        </div>
    }
}

#[component]
pub fn SharingPage() -> impl IntoView {
    let id = id_param();
    let q = use_query_map();
    let rotate = ServerAction::<RotateLink>::new();
    let revoke = ServerAction::<RevokeAccess>::new();
    let invite = ServerAction::<InviteByEmail>::new();
    let resend = ServerAction::<ResendInvite>::new();
    let cancel = ServerAction::<CancelInvite>::new();
    let changes = move || {
        rotate.version().get()
            + revoke.version().get()
            + invite.version().get()
            + resend.version().get()
            + cancel.version().get()
    };
    let page = Resource::new(
        move || (id(), changes()),
        |(id, _)| async move {
            match id {
                Some(id) => get_sharing(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );
    let revoking = move || {
        q.with(|q| {
            let user = q.get("revoke").and_then(|s| Uuid::parse_str(&s).ok())?;
            let version = q.get("version").and_then(|s| Uuid::parse_str(&s).ok());
            Some((user, version))
        })
    };
    let preview = Resource::new(
        move || (id(), revoking()),
        |(id, r)| async move {
            match (id, r) {
                (Some(id), Some((user, version))) => {
                    preview_revoke(id, user, version).await.map(Some)
                }
                _ => Ok(None),
            }
        },
    );
    let revoke_error = last_error(revoke.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                let p = match page.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => p,
                };
                let admin = policy::team(Some(p.role), TeamAction::ManageSharing).is_ok();
                let iid = p.id;
                let revoked = q.with(|q| q.get("revoked"));
                let preview = preview.await;
                view! {
                    <p class="crumbs"><a href=format!("/integrations/{iid}")>{p.name.clone()}</a></p>
                    <h1>{format!("Sharing {}", p.name)}</h1>
                    <IntegrationTabs id=iid current="sharing" collaborator=!admin />
                    {revoked.map(|n| view! { <p class="notice" role="status">{format!("Access revoked; {n} of their Zaps were paused.")}</p> })}
                    {(!admin).then(|| view! { <p class="hint">"You are a collaborator: you see who has access; admins manage it."</p> })}
                    {match preview {
                        Ok(Some(r)) if admin => {
                            let (user, version) = revoking().unwrap_or_default();
                            view! {
                                <section class="card confirm" role="alertdialog" aria-labelledby="revoke-title">
                                    <h2 id="revoke-title">{format!("Revoke {}'s access to {}?", r.name, r.scope)}</h2>
                                    <p>{format!("{} ({}) loses access at once, and {} of their Zaps that use it will be paused.", r.name, r.email, r.zaps_to_pause)}</p>
                                    <p class="hint">"Invite links will no longer admit them; they come back only through a new email invitation (or if the integration goes public)."</p>
                                    <ActionForm action=revoke>
                                        <FormError error=revoke_error />
                                        <input type="hidden" name="id" value=iid.to_string() />
                                        <input type="hidden" name="user_id" value=user.to_string() />
                                        {version.map(|v| view! { <input type="hidden" name="version_id" value=v.to_string() /> })}
                                        <div class="field">
                                            <label for="revoke-reason">"Reason (optional, kept in the history)"</label>
                                            <input id="revoke-reason" name="reason" type="text" maxlength="500" />
                                        </div>
                                        <button type="submit" class="danger">"Revoke access"</button>
                                        " " <a href="?">"Cancel"</a>
                                    </ActionForm>
                                </section>
                            }.into_any()
                        }
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        _ => ().into_any(),
                    }}
                    <section aria-labelledby="links-title">
                        <h2 id="links-title">"Invite links"</h2>
                        <p class="hint">"Anyone with a link can join after signing in. Rotating a link stops it admitting new people; those who joined keep access."</p>
                        {p.links.is_empty().then(|| view! { <p class="empty">"No invite link yet: links are made when the integration and each version are created, and at the server's next start for older ones."</p> })}
                        {p.links.into_iter().map(|l| {
                            let label = match &l.version { Some(v) => format!("Link to version {v}"), None => "Link to all versions (present and future)".into() };
                            view! {
                                <div class="card link">
                                    <h3>{label.clone()}{l.rotated.then_some(" (rotated)")}</h3>
                                    {l.url.clone().map(|u| view! { <CopyField label=label.clone() value=u /> })}
                                    {(admin && !l.rotated).then(|| view! {
                                        <ActionForm action=rotate>
                                            <input type="hidden" name="id" value=iid.to_string() />
                                            <input type="hidden" name="link_id" value=l.id.to_string() />
                                            <button type="submit">{format!("Rotate: {}", label.to_lowercase())}</button>
                                        </ActionForm>
                                    })}
                                    {if l.joined.is_empty() { view! { <p class="hint">"Nobody joined through this link yet."</p> }.into_any() } else { view! {
                                        <ul class="joined">{l.joined.iter().map(|j| view! { <li>{format!("{} ({}) joined {}{}", j.name, j.email, j.at.format("%Y-%m-%d"), if j.active { "" } else { " · access revoked" })}</li> }).collect_view()}</ul>
                                    }.into_any() }}
                                </div>
                            }
                        }).collect_view()}
                    </section>
                    <InvitesSection admin=admin id=iid invites=p.invites.clone() versions=p.versions.clone() invite=invite resend=resend cancel=cancel />
                    <section aria-labelledby="access-title">
                        <h2 id="access-title">"People with access"</h2>
                        {if p.access.is_empty() { view! { <p class="empty">"Nobody has been given access yet."</p> }.into_any() } else { view! {
                            <table class="access">
                                <thead><tr><th scope="col">"Person"</th><th scope="col">"Versions"</th><th scope="col">"Through"</th><th scope="col">"Since"</th>{admin.then(|| view! { <th scope="col">"Revoke"</th> })}</tr></thead>
                                <tbody>
                                    {p.access.into_iter().map(|a| {
                                        let href = match a.version_id { Some(v) => format!("?revoke={}&version={v}", a.user_id), None => format!("?revoke={}", a.user_id) };
                                        view! {
                                            <tr>
                                                <td>{a.name.clone()}" "<span class="hint">{a.email.clone()}</span></td>
                                                <td>{a.version.clone().unwrap_or_else(|| "all versions".into())}</td>
                                                <td>{a.via.replace('_', " ")}</td>
                                                <td>{a.granted_at.format("%Y-%m-%d").to_string()}</td>
                                                {admin.then(|| view! {
                                                    <td>
                                                        <a href=href>{format!("Revoke {} ({})…", a.name, a.version.clone().unwrap_or_else(|| "all".into()))}</a>
                                                        " " <a href=format!("?revoke={}", a.user_id)>{format!("Remove {} from all versions…", a.name)}</a>
                                                    </td>
                                                })}
                                            </tr>
                                        }
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any() }}
                    </section>
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
pub fn JoinPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let landing = Resource::new(token, link_landing);
    let accept = ServerAction::<AcceptLink>::new();
    let error = last_error(accept.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match landing.await {
                    Err(AppError::Unauthenticated) => view! {
                        <SignInToAccept next=format!("/join/{}", token()) text="Sign in, or create a login, to see it and accept." />
                    }.into_any(),
                    Err(e) => view! { <section class="card narrow"><h1>"Invite link"</h1><LoadError error=e /></section> }.into_any(),
                    Ok(l) => view! {
                        <section class="card narrow" aria-labelledby="landing-title">
                            <h1 id="landing-title">{l.name.clone()}</h1>
                            <LandingInfo l=l.clone() />
                            {if l.has_access {
                                view! { <p class="notice">"You already have access."</p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=accept>
                                        <FormError error=error />
                                        <input type="hidden" name="token" value=token() />
                                        <button type="submit">"Accept"</button>
                                    </ActionForm>
                                }.into_any()
                            }}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn InvitesSection(
    admin: bool,
    id: Uuid,
    invites: Vec<super::InviteView>,
    versions: Vec<super::VersionView>,
    invite: ServerAction<InviteByEmail>,
    resend: ServerAction<ResendInvite>,
    cancel: ServerAction<CancelInvite>,
) -> impl IntoView {
    let q = use_query_map();
    let sort = q.with_untracked(|q| q.get("sort").unwrap_or_else(|| "invited".into()));
    let status = q.with_untracked(|q| q.get("status").unwrap_or_default());
    let mut rows: Vec<_> = invites
        .into_iter()
        .filter(|i| status.is_empty() || i.status == status)
        .collect();
    match sort.as_str() {
        "email" => rows.sort_by(|a, b| a.email.cmp(&b.email)),
        "status" => rows.sort_by(|a, b| a.status.cmp(&b.status).then(a.email.cmp(&b.email))),
        _ => rows.sort_by_key(|r| std::cmp::Reverse(r.invited_at)),
    }
    let error = last_error(invite.value());
    let row_error = Signal::derive(move || {
        last_error(resend.value())
            .get()
            .or_else(|| last_error(cancel.value()).get())
    });
    let sorted = |key: &str, label: &'static str| {
        let href = format!(
            "?sort={key}{}",
            if status.is_empty() {
                String::new()
            } else {
                format!("&status={status}")
            }
        );
        view! { <a href=href aria-current=(sort == key).then_some("true")>{label}</a> }
    };
    let count = rows.len();
    // Cancelling asks first: the row's link opens this confirmation (works without JavaScript).
    let confirm_cancel = q
        .with_untracked(|q| q.get("cancel").and_then(|s| Uuid::parse_str(&s).ok()))
        .and_then(|c| {
            rows.iter()
                .find(|i| i.id == c && (i.status == "pending" || i.status == "expired"))
                .cloned()
        })
        .filter(|_| admin);
    let cancelled = q.with_untracked(|q| q.get("cancelled").is_some());
    view! {
        <section aria-labelledby="invites-title">
            <h2 id="invites-title">"Email invitations"</h2>
            {admin.then(|| view! {
                <ActionForm action=invite attr:class="card">
                    <FormError error=error />
                    <input type="hidden" name="id" value=id.to_string() />
                    <div class="field">
                        <label for="invite-emails">"Email addresses"</label>
                        <p class="hint" id="invite-emails-hint">"One per line, or separated by commas. At most 200 people per integration, pending and accepted."</p>
                        <textarea id="invite-emails" name="emails" rows="4" required aria-describedby="invite-emails-hint invite-emails-error"></textarea>
                        <p class="field-error" id="invite-emails-error" role="alert">{move || error.get().and_then(|e| e.field_message("emails"))}</p>
                    </div>
                    <div class="field">
                        <label for="invite-version">"Versions"</label>
                        <select id="invite-version" name="version_id">
                            <option value="all">"All versions (present and future)"</option>
                            {versions.iter().map(|v| view! { <option value=v.id.to_string()>{format!("Version {}", v.version)}</option> }).collect_view()}
                        </select>
                    </div>
                    <fieldset class="dates">
                        <legend>"Dates (optional, UTC)"</legend>
                        <div class="field">
                            <label for="invite-starts">"Access starts"</label>
                            <input id="invite-starts" name="starts_at" type="datetime-local" aria-describedby="invite-dates-error" />
                        </div>
                        <div class="field">
                            <label for="invite-ends">"Access ends"</label>
                            <input id="invite-ends" name="ends_at" type="datetime-local" aria-describedby="invite-dates-error" />
                        </div>
                        <p class="field-error" id="invite-dates-error" role="alert">{move || error.get().and_then(|e| e.field_message("ends_at").or_else(|| e.field_message("starts_at")))}</p>
                    </fieldset>
                    <button type="submit" disabled=move || invite.pending().get()>{move || if invite.pending().get() { "Sending…" } else { "Send invitations" }}</button>
                    {move || match invite.value().get() {
                        Some(Ok(r)) => Some(view! {
                            <p class="notice" role="status">
                                {format!("Invited {}.", if r.invited.is_empty() { "nobody new".to_string() } else { r.invited.join(", ") })}
                                {(!r.skipped.is_empty()).then(|| format!(" Skipped: {}.", r.skipped.iter().map(|(e, why)| format!("{e} ({why})")).collect::<Vec<_>>().join(", ")))}
                            </p>
                        }),
                        _ => None,
                    }}
                </ActionForm>
            })}
            <form method="get" class="inline-form">
                <input type="hidden" name="sort" value=sort.clone() />
                <label for="invite-status">"Status"</label>
                <select id="invite-status" name="status">
                    {[("", "all"), ("pending", "pending"), ("accepted", "accepted"), ("expired", "expired"), ("revoked", "cancelled or revoked")].into_iter().map(|(s, label)| view! {
                        <option value=s selected=s == status>{label}</option>
                    }).collect_view()}
                </select>
                <button type="submit">"Filter"</button>
            </form>
            <FormError error=row_error />
            {cancelled.then(|| view! { <p class="notice" role="status">"The invitation was cancelled: its link no longer works."</p> })}
            {confirm_cancel.map(|i| view! {
                <section class="card confirm" role="alertdialog" aria-labelledby="cancel-invite-title">
                    <h3 id="cancel-invite-title">{format!("Cancel the invitation to {}?", i.email)}</h3>
                    <p>{format!("The link mailed to {} stops working at once. You can invite them again later.", i.email)}</p>
                    <ActionForm action=cancel>
                        <input type="hidden" name="id" value=id.to_string() />
                        <input type="hidden" name="invite_id" value=i.id.to_string() />
                        <button type="submit" class="danger">{format!("Cancel the invitation to {}", i.email)}</button>
                        " " <a href="?">"Keep it"</a>
                    </ActionForm>
                </section>
            })}
            {if count == 0 { view! { <p class="empty">"No invitations here."</p> }.into_any() } else { view! {
                <table class="invites">
                    <thead><tr>
                        <th scope="col">{sorted("email", "Email")}</th>
                        <th scope="col">"Versions"</th>
                        <th scope="col">{sorted("status", "Status")}</th>
                        <th scope="col">{sorted("invited", "Invited")}</th>
                        <th scope="col">"Accepted"</th>
                        {admin.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr></thead>
                    <tbody>
                        {rows.into_iter().map(|i| {
                            let open = i.status == "pending" || i.status == "expired";
                            // Names that tell rows apart: an expired and a new invitation to one address may both be open.
                            let what = format!("{} invitation to {} ({})", i.status_label(), i.email,
                                i.version.as_ref().map(|v| format!("version {v}")).unwrap_or_else(|| "all versions".into()));
                            let resend_name = format!("Resend the {what}");
                            // An accepted invitation's access is revoked in place (the confirmation above).
                            let revoke_href = (i.status == "accepted").then_some(i.accepted_user_id).flatten().map(|u| match i.version_id {
                                Some(v) => format!("?revoke={u}&version={v}"),
                                None => format!("?revoke={u}"),
                            });
                            view! {
                                <tr>
                                    <td>{i.email.clone()}</td>
                                    <td>{i.version.clone().unwrap_or_else(|| "all".into())}</td>
                                    <td><span class=format!("status {}", i.status)>{i.status_label().to_string()}</span></td>
                                    <td>{i.invited_at.format("%Y-%m-%d %H:%M").to_string()}</td>
                                    <td>{i.accepted_at.map(|t| t.format("%Y-%m-%d %H:%M").to_string()).unwrap_or_default()}</td>
                                    {(admin && open).then(|| view! {
                                        <td class="row-actions">
                                            <ActionForm action=resend>
                                                <input type="hidden" name="id" value=id.to_string() />
                                                <input type="hidden" name="invite_id" value=i.id.to_string() />
                                                <button type="submit" class="link-button">{resend_name}</button>
                                            </ActionForm>
                                            <a href=format!("?cancel={}", i.id)>{format!("Cancel the {what}…")}</a>
                                        </td>
                                    })}
                                    {(admin && !open).then(|| view! {
                                        <td class="row-actions">
                                            {revoke_href.clone().map(|h| view! { <a href=h>{format!("Revoke {}'s access…", i.email)}</a> })}
                                        </td>
                                    })}
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any() }}
        </section>
    }
}

#[component]
pub fn InvitePage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let landing = Resource::new(token, get_invite_landing);
    let accept = ServerAction::<AcceptInvite>::new();
    let error = last_error(accept.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match landing.await {
                    Err(AppError::Unauthenticated) => view! {
                        <SignInToAccept next=format!("/invite/{}", token()) text="Sign in with the address the invitation was sent to, or create a login with it, to see it and accept." />
                    }.into_any(),
                    Err(e) => view! { <section class="card narrow"><h1>"Invitation"</h1><LoadError error=e /></section> }.into_any(),
                    Ok(l) => view! {
                        <section class="card narrow" aria-labelledby="invite-title">
                            <h1 id="invite-title">{l.name.clone()}</h1>
                            <LandingInfo l=l.clone() />
                            <ActionForm action=accept>
                                <FormError error=error />
                                <input type="hidden" name="token" value=token() />
                                <button type="submit">"Accept invitation"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
pub fn SignInToAccept(next: String, text: &'static str) -> impl IntoView {
    view! {
        <section class="card narrow">
            <h1>"You are invited to an integration"</h1>
            <p>{text}</p>
            <p class="actions">
                <a class="button" href=format!("/signin?next={next}")>"Sign in"</a>
                <a href=format!("/signup?next={next}")>"Create a login"</a>
            </p>
        </section>
    }
}

/// The description, the version and the marketing contact (TM-9) of an invitation.
#[component]
fn LandingInfo(l: super::Landing) -> impl IntoView {
    view! {
        <p>{l.description.clone()}</p>
        <p>
            {match &l.version {
                Some(v) => format!("This invitation is for version {v}."),
                None => "This invitation is for all versions, present and future.".into(),
            }}
        </p>
        {l.marketing_contact.clone().map(|(n, e)| view! { <p class="contact">"Marketing contact: "{n}" "<a href=format!("mailto:{e}")>{e.clone()}</a></p> })}
    }
}
