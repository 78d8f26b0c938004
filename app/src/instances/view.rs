//! The instance pages. Controls follow the policy; every form works without JavaScript,
//! and destructive actions ask first (a confirm step reached by a link, so it works without JS too).
use super::api::*;
use super::{ConfigEntry, InstanceDetail, InstanceSummary};
use crate::components::{last_error, Field, FormError, LoadError, Loading, Notice};
use crate::domain::policy::{self, InstanceAction};
use crate::domain::roles::InstanceAccess;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// Key/value inputs for a configuration, plus `blank` empty rows to add more.
#[component]
fn ConfigFields(entries: Vec<ConfigEntry>, blank: usize) -> impl IntoView {
    let rows: Vec<ConfigEntry> = entries
        .into_iter()
        .chain(std::iter::repeat_n(ConfigEntry::default(), blank))
        .collect();
    view! {
        <fieldset class="config-fields">
            <legend>"Configuration"</legend>
            <p class="hint">"One setting per row. Leave a row empty to skip it."</p>
            {rows.into_iter().enumerate().map(|(i, e)| view! {
                <div class="kv-row">
                    <input name=format!("config[{i}][key]") value=e.key aria-label=format!("Key {}", i + 1) placeholder="key" />
                    <input name=format!("config[{i}][value]") value=e.value aria-label=format!("Value {}", i + 1) placeholder="value" />
                </div>
            }).collect_view()}
        </fieldset>
    }
}

fn instance_table(list: Vec<InstanceSummary>, shared: bool) -> AnyView {
    view! {
        <table>
            <thead>
                <tr>
                    <th scope="col">"Name"</th><th scope="col">"App"</th><th scope="col">"Status"</th>
                    {shared.then(|| view! { <th scope="col">"Owner"</th><th scope="col">"Your access"</th> })}
                </tr>
            </thead>
            <tbody>
                {list.into_iter().map(|i| view! {
                    <tr>
                        <td><a href=format!("/instances/{}", i.id)>{i.name}</a></td>
                        <td>{i.app}</td>
                        <td><span class=format!("status {}", i.status)>{i.status.clone()}</span></td>
                        {shared.then(|| view! { <td>{i.owner_name.clone()}</td><td>{i.access.as_str()}</td> })}
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
pub fn InstancesPage() -> impl IntoView {
    let install = ServerAction::<InstallInstance>::new();
    let error = last_error(install.value());
    let page = Resource::new(|| (), |_| list_instances());
    view! {
        <h1>"App instances"</h1>
        <Notice key="deleted" text="The instance was deleted." />
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => view! {
                        <section aria-labelledby="mine-title">
                            <h2 id="mine-title">"Mine"</h2>
                            {if p.mine.is_empty() {
                                view! { <p class="empty">"You have not installed an instance yet. Use the form below."</p> }.into_any()
                            } else { instance_table(p.mine, false) }}
                        </section>
                        <section aria-labelledby="shared-title">
                            <h2 id="shared-title">"Shared with me"</h2>
                            {if p.shared.is_empty() {
                                view! { <p class="empty">"Nobody has shared an instance with you."</p> }.into_any()
                            } else { instance_table(p.shared, true) }}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="install-title">
            <h2 id="install-title">"Install an instance"</h2>
            <ActionForm action=install>
                <FormError error=error />
                <Field label="Name" name="name" required=true error=error />
                <Field label="App" name="app" hint="The app's identifier, e.g. jira or google-sheets." required=true error=error />
                <ConfigFields entries=Vec::new() blank=4 />
                <p class="field-error" role="alert">{move || error.get().and_then(|e| e.field_message("config"))}</p>
                <fieldset>
                    <legend>"Login (optional)"</legend>
                    <Field label="Username" name="username" autocomplete="off" error=error />
                    <Field label="Secret" name="secret" kind="password" autocomplete="new-password"
                        hint="Stored encrypted. Nobody, you included, can read it back here." error=error />
                </fieldset>
                <button type="submit" disabled=move || install.pending().get()>
                    {move || if install.pending().get() { "Installing…" } else { "Install" }}
                </button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn InstancePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id =
        Memo::new(move |_| params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok())));

    let run = ServerAction::<RunInstance>::new();
    let stop = ServerAction::<StopInstance>::new();
    let edit = ServerAction::<EditInstance>::new();
    let clone = ServerAction::<CloneInstance>::new();
    let delete = ServerAction::<DeleteInstance>::new();
    let share = ServerAction::<ShareInstance>::new();
    // After a share the form starts empty again; without JavaScript the fresh page does that.
    let share_form = NodeRef::<leptos::html::Form>::new();
    Effect::new(move |_| {
        if matches!(share.value().get(), Some(Ok(()))) {
            if let Some(form) = share_form.get_untracked() {
                form.reset();
            }
        }
    });
    let revoke = ServerAction::<RevokeShare>::new();
    let cancel_invite = ServerAction::<CancelInstanceInvite>::new();
    let add_login = ServerAction::<AddLogin>::new();
    let replace = ServerAction::<ReplaceSecret>::new();
    let del_login = ServerAction::<DeleteLogin>::new();
    let versions = move || {
        run.version().get()
            + stop.version().get()
            + edit.version().get()
            + share.version().get()
            + revoke.version().get()
            + cancel_invite.version().get()
            + add_login.version().get()
            + replace.version().get()
            + del_login.version().get()
    };
    let detail = Resource::new(
        move || (id.get(), versions()),
        |(id, _)| async move {
            match id {
                Some(id) => get_instance(id).await,
                None => Err(AppError::NotFound),
            }
        },
    );

    // An open page checks every few seconds whether the viewer still has access (IN-4).
    let tick = RwSignal::new(0u32);
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let handle = set_interval_with_handle(
            move || tick.update(|t| *t += 1),
            std::time::Duration::from_secs(3),
        )
        .ok();
        on_cleanup(move || {
            if let Some(h) = handle {
                h.clear();
            }
        });
    });
    let probe = Resource::new(
        move || (id.get(), tick.get()),
        |(id, _)| async move {
            match id {
                Some(id) => my_access(id).await,
                None => Ok(None),
            }
        },
    );

    let errors = [
        last_error(run.value()),
        last_error(stop.value()),
        last_error(clone.value()),
        last_error(delete.value()),
    ];
    let action_error = Signal::derive(move || errors.iter().find_map(|e| e.get()));

    view! {
        <Transition fallback=Loading>
            {move || Suspend::new(async move {
                let d: InstanceDetail = match detail.await {
                    Err(e) => return view! { <LoadError error=e /> }.into_any(),
                    Ok(d) => d,
                };
                let can = move |a: InstanceAction| policy::instance(Some(d.access), a).is_ok();
                let (can_write, can_share, can_login) = (can(InstanceAction::Stop), can(InstanceAction::Share), can(InstanceAction::EditLogin));
                let id = d.id;
                let name = d.name.clone();
                let confirm = query.with(|q| q.get("confirm"));
                let confirm_user = query.with(|q| q.get("user").and_then(|u| Uuid::parse_str(&u).ok()));
                let confirm_email = query.with(|q| q.get("email"));
                let my_access = d.access;
                view! {
                    <p class="crumbs"><a href="/instances">"App instances"</a></p>
                    {move || match probe.get() {
                        Some(Ok(None)) => Some(view! {
                            <p class="access-ended" role="alert">"Your access to this instance has ended. The owner revoked it."</p>
                        }.into_any()),
                        Some(Ok(Some(a))) if a != my_access => Some(view! {
                            <p class="notice" role="status">{format!("Your access changed to {}. ", a.as_str())}<a href="">"Reload"</a></p>
                        }.into_any()),
                        _ => None,
                    }}
                    <Notice key="cloned" text="This is your copy. Logins are never copied: add your own below." />
                    <header class="instance-head">
                        <h1>{d.name.clone()}</h1>
                        <p>
                            <span class="app">{d.app.clone()}</span>" · "
                            <span class=format!("status {}", d.status)>{d.status.clone()}</span>" · owned by "
                            {d.owner_name.clone()}" · your access: "<strong>{d.access.as_str()}</strong>
                        </p>
                    </header>
                    <FormError error=action_error />
                    <div class="toolbar">
                        // Only what the state allows: Stop while it runs, Run while it is stopped.
                        {(can_write && d.status == "running").then(|| view! {
                            <ActionForm action=stop><input type="hidden" name="id" value=id.to_string() /><button type="submit">"Stop"</button></ActionForm>
                        })}
                        {(can_write && d.status != "running").then(|| view! {
                            <ActionForm action=run><input type="hidden" name="id" value=id.to_string() /><button type="submit">"Run"</button></ActionForm>
                        })}
                        <ActionForm action=clone><input type="hidden" name="id" value=id.to_string() /><button type="submit">"Clone"</button></ActionForm>
                        {can_write.then(|| view! { <a class="button danger" href="?confirm=delete">"Delete…"</a> })}
                    </div>
                    {(can_write && confirm.as_deref() == Some("delete")).then(|| view! {
                        <section class="card confirm" role="alertdialog" aria-labelledby="confirm-delete">
                            <h2 id="confirm-delete">{format!("Delete {name}?")}</h2>
                            <p>"The instance, its logins and its share list are removed for everyone. This cannot be undone."</p>
                            <ActionForm action=delete>
                                <input type="hidden" name="id" value=id.to_string() />
                                <button type="submit" class="danger">"Delete for good"</button>
                                " " <a href="?">"Cancel"</a>
                            </ActionForm>
                        </section>
                    })}

                    <section aria-labelledby="config-title">
                        <h2 id="config-title">"Configuration"</h2>
                        {if d.config.is_empty() {
                            view! { <p class="empty">"No configuration yet."</p> }.into_any()
                        } else {
                            view! {
                                <table class="config">
                                    <thead><tr><th scope="col">"Key"</th><th scope="col">"Value"</th></tr></thead>
                                    <tbody>{d.config.clone().into_iter().map(|e| view! { <tr><td>{e.key}</td><td>{e.value}</td></tr> }).collect_view()}</tbody>
                                </table>
                            }.into_any()
                        }}
                        {can_write.then(|| {
                            let error = last_error(edit.value());
                            view! {
                                <details class="card" aria-labelledby="edit-instance-summary">
                                    <summary id="edit-instance-summary">"Edit name and configuration"</summary>
                                    <ActionForm action=edit>
                                        <FormError error=error />
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <Field label="Name" name="name" value=d.name.clone() required=true error=error />
                                        <ConfigFields entries=d.config.clone() blank=3 />
                                        <p class="field-error" role="alert">{move || error.get().and_then(|e| e.field_message("config"))}</p>
                                        <button type="submit">"Save changes"</button>
                                    </ActionForm>
                                </details>
                            }
                        })}
                    </section>

                    <section aria-labelledby="logins-title">
                        <h2 id="logins-title">"Logins"</h2>
                        {if d.logins.is_empty() {
                            view! { <p class="empty">"No logins. The owner adds them; they are never copied by a clone."</p> }.into_any()
                        } else {
                            view! {
                                <table class="logins">
                                    <thead><tr><th scope="col">"Username"</th><th scope="col">"Secret"</th>{can_login.then(|| view! { <th scope="col">"Change"</th> })}</tr></thead>
                                    <tbody>
                                        {d.logins.clone().into_iter().map(|l| {
                                            let (secret_label, replace_what) = (format!("New secret for {}", l.username), format!(" the secret of {}", l.username));
                                            view! {
                                            <tr>
                                                <td>{l.username.clone()}</td>
                                                <td>{if l.secret_set { "secret set" } else { "no secret" }}</td>
                                                {can_login.then(|| view! {
                                                    <td>
                                                        <ActionForm action=replace attr:class="inline-form">
                                                            <input type="hidden" name="id" value=id.to_string() />
                                                            <input type="hidden" name="login_id" value=l.id.to_string() />
                                                            <label for=format!("secret-{}", l.id)>{secret_label}</label>
                                                            <input id=format!("secret-{}", l.id) name="secret" type="password" autocomplete="new-password" required />
                                                            <button type="submit">"Replace"<span class="visually-hidden">{replace_what}</span></button>
                                                        </ActionForm>
                                                        <ActionForm action=del_login>
                                                            <input type="hidden" name="id" value=id.to_string() />
                                                            <input type="hidden" name="login_id" value=l.id.to_string() />
                                                            <button type="submit" class="link-button">{format!("Remove {}", l.username)}</button>
                                                        </ActionForm>
                                                    </td>
                                                })}
                                            </tr>
                                        }}).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any()
                        }}
                        <FormError error=last_error(replace.value()) />
                        {can_login.then(|| {
                            let error = last_error(add_login.value());
                            view! {
                                <details class="card" aria-labelledby="add-login-summary">
                                    <summary id="add-login-summary">"Add a login"</summary>
                                    <ActionForm action=add_login>
                                        <FormError error=error />
                                        <input type="hidden" name="id" value=id.to_string() />
                                        <Field label="Username" name="username" autocomplete="off" required=true error=error />
                                        <Field label="Secret" name="secret" kind="password" autocomplete="new-password" required=true error=error />
                                        <button type="submit">"Add login"</button>
                                    </ActionForm>
                                </details>
                            }
                        })}
                    </section>

                    {can_share.then(|| {
                        let error = last_error(share.value());
                        let shares = d.shares.clone();
                        let revoking = confirm_user.filter(|_| confirm.as_deref() == Some("revoke"))
                            .and_then(|u| shares.iter().find(|s| s.user_id == u).cloned());
                        let invites = d.invites.clone();
                        let cancelling = confirm_email.clone().filter(|_| confirm.as_deref() == Some("cancel-invite"))
                            .and_then(|e| invites.iter().find(|i| i.email == e).cloned());
                        view! {
                            <section aria-labelledby="sharing-title">
                                <h2 id="sharing-title">"Sharing"</h2>
                                <p class="hint">"Read: view and clone. Write: also edit, delete, stop and run. Only you edit logins; nobody sees a secret. Anyone can be invited by address: without a Gatehouse login, they get a mail to sign up first. Each person is listed as invited until they open the instance, so the list never tells whether an address has a login."</p>
                                <Notice key="shared" text="Shared. We mailed them: a person with a Gatehouse login gets a link to the instance, anyone else an invitation to sign up and see it." />
                                <Notice key="changed" text="Access changed. It applies from their next request." />
                                {revoking.map(|s| view! {
                                    <section class="card confirm" role="alertdialog" aria-labelledby="confirm-revoke">
                                        <h3 id="confirm-revoke">{format!("Revoke access of {}?", s.name)}</h3>
                                        <p>{format!("{} ({}) loses {} access at their next request.", s.name, s.email, s.access.as_str())}</p>
                                        <ActionForm action=revoke>
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <input type="hidden" name="user_id" value=s.user_id.to_string() />
                                            <button type="submit" class="danger">"Revoke access"</button>
                                            " " <a href="?">"Cancel"</a>
                                        </ActionForm>
                                    </section>
                                })}
                                {cancelling.map(|i| view! {
                                    <section class="card confirm" role="alertdialog" aria-labelledby="confirm-cancel-invite">
                                        <h3 id="confirm-cancel-invite">{format!("Cancel the invitation to {}?", i.email)}</h3>
                                        <p>"The link in their mail will no longer give them access."</p>
                                        <ActionForm action=cancel_invite>
                                            <input type="hidden" name="id" value=id.to_string() />
                                            <input type="hidden" name="email" value=i.email.clone() />
                                            <button type="submit" class="danger">"Cancel invitation"</button>
                                            " " <a href="?">"Keep it"</a>
                                        </ActionForm>
                                    </section>
                                })}
                                {(!invites.is_empty()).then(|| view! {
                                    <h3>"Invited, not opened yet"</h3>
                                    <ul class="invites">
                                        {invites.iter().map(|i| view! {
                                            <li>
                                                {format!("{} · {} · until {} ", i.email, i.access.as_str(), i.expires_at.format("%Y-%m-%d"))}
                                                <a href=format!("?confirm=cancel-invite&email={}", crate::domain::validate::query_value(&i.email))>{format!("Cancel invitation to {}…", i.email)}</a>
                                            </li>
                                        }).collect_view()}
                                    </ul>
                                })}
                                <p><a href=format!("/instances/{id}/access")>"Who can reach this instance, and until when"</a></p>
                                {if shares.is_empty() {
                                    view! { <p class="empty">"Not shared with anyone yet."</p> }.into_any()
                                } else {
                                    view! {
                                        <table class="shares">
                                            <thead><tr><th scope="col">"Person"</th><th scope="col">"Access"</th><th scope="col">"Change"</th></tr></thead>
                                            <tbody>
                                                {shares.into_iter().map(|s| {
                                                    let (access_label, change_what) = (format!("Access of {}", s.name), format!(" {}'s access", s.name));
                                                    view! {
                                                    <tr>
                                                        <td>{s.name.clone()}" "<span class="hint">{s.email.clone()}</span></td>
                                                        <td>{s.access.as_str()}</td>
                                                        <td>
                                                            <ActionForm action=share attr:class="inline-form">
                                                                <input type="hidden" name="id" value=id.to_string() />
                                                                <input type="hidden" name="email" value=s.email.clone() />
                                                                <input type="hidden" name="change" value="true" />
                                                                <label for=format!("access-{}", s.user_id)>{access_label}</label>
                                                                <select id=format!("access-{}", s.user_id) name="access">
                                                                    <option value="read" selected=s.access == InstanceAccess::Read>"read"</option>
                                                                    <option value="write" selected=s.access == InstanceAccess::Write>"write"</option>
                                                                </select>
                                                                <button type="submit">"Change"<span class="visually-hidden">{change_what}</span></button>
                                                            </ActionForm>
                                                            <a href=format!("?confirm=revoke&user={}", s.user_id)>{format!("Revoke {}…", s.name)}</a>
                                                        </td>
                                                    </tr>
                                                }}).collect_view()}
                                            </tbody>
                                        </table>
                                    }.into_any()
                                }}
                                <ActionForm action=share node_ref=share_form attr:class="card">
                                    <FormError error=error />
                                    <input type="hidden" name="id" value=id.to_string() />
                                    <Field label="Share with (email)" name="email" kind="email" required=true error=error />
                                    <div class="field">
                                        <label for="share-access">"Access"</label>
                                        <select id="share-access" name="access">
                                            <option value="read">"read: view and clone"</option>
                                            <option value="write">"write: also edit, delete, stop and run"</option>
                                        </select>
                                    </div>
                                    <div class="field">
                                        <label for="share-ends">"Access ends (optional, UTC)"</label>
                                        <input id="share-ends" name="ends_at" type="datetime-local" />
                                        <p class="field-error" role="alert">{move || error.get().and_then(|e| e.field_message("ends_at"))}</p>
                                    </div>
                                    <button type="submit" disabled=move || share.pending().get()>{move || if share.pending().get() { "Sharing…" } else { "Share" }}</button>
                                </ActionForm>
                            </section>
                        }
                    })}

                    <section aria-labelledby="runs-title">
                        <h2 id="runs-title">"Recent runs"</h2>
                        {if d.runs.is_empty() {
                            view! { <p class="empty">"Not run yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="runs">
                                    {d.runs.into_iter().map(|r| view! { <li>{r.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()}" by "{r.by}</li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}
