//! The accounts list (with the create form) and the Members screen.
use super::api::*;
use crate::components::{last_error, Field, FormError, LoadError, Loading};
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use uuid::Uuid;

#[component]
pub fn AccountsPage() -> impl IntoView {
    let create = ServerAction::<CreateAccount>::new();
    let error = last_error(create.value());
    let accounts = Resource::new(move || create.version().get(), |_| my_accounts());
    view! {
        <section aria-labelledby="accounts-title">
            <h1 id="accounts-title">"Your accounts"</h1>
            <Suspense fallback=Loading>
                {move || Suspend::new(async move {
                    match accounts.await {
                        Err(e) => view! { <LoadError error=e /> }.into_any(),
                        Ok(list) if list.is_empty() => view! {
                            <p class="empty">
                                "You are not in any account yet. Create one below, or ask an admin of your company to add you."
                            </p>
                        }.into_any(),
                        Ok(list) => view! {
                            <ul class="account-list">
                                {list.into_iter().map(|a| view! {
                                    <li>
                                        <a href=format!("/accounts/{}/members", a.id)>{a.name}</a>
                                        <span class="role">{a.role.label()}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card narrow" aria-labelledby="create-title">
            <h2 id="create-title">"Create an account"</h2>
            <p>"An account is your company's workspace. You will be its owner."</p>
            <ActionForm action=create>
                <FormError error=error />
                <Field label="Account name" name="name" required=true error=error />
                <button type="submit" disabled=move || create.pending().get()>"Create account"</button>
            </ActionForm>
        </section>
    }
}

#[component]
pub fn MembersPage() -> impl IntoView {
    use crate::domain::policy::{self, AccountAction};
    let params = use_params_map();
    let account_id = move || params.with(|p| p.get("id").and_then(|s| Uuid::parse_str(&s).ok()));
    let scim = ServerAction::<crate::members::api::SetScim>::new();
    let scim_error = last_error(scim.value());
    let page = Resource::new(
        move || (account_id(), scim.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => list_members(id).await,
                None => Err(crate::error::AppError::NotFound),
            }
        },
    );
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match page.await {
                    Err(e) => view! { <LoadError error=e /> }.into_any(),
                    Ok(p) => {
                        let count = p.members.len();
                        let aid = p.account.id;
                        let my_role = p.account.role;
                        let can_csv = policy::account(Some(my_role), AccountAction::ExportMemberCsv).is_ok();
                        let can_scim = policy::account(Some(my_role), AccountAction::ManageScim).is_ok();
                        let scim_on = p.scim_enabled;
                        let me = p.me;
                        view! {
                            <section aria-labelledby="members-title">
                                <p class="crumbs"><a href="/accounts">"Accounts"</a> " / " {p.account.name.clone()}</p>
                                <h1 id="members-title">"Members of " {p.account.name.clone()}</h1>
                                <p>{format!("{count} member{}", if count == 1 { "" } else { "s" })} " · You are " {p.account.role.label().to_lowercase()}
                                   " · " <a href=format!("/accounts/{aid}/work")>"Zaps and connections"</a>
                                   {policy::account(Some(my_role), AccountAction::ViewHistory).is_ok().then(|| view! { " · " <a href=format!("/accounts/{aid}/history")>"History"</a> })}</p>
                                <crate::components::Notice key="removed" text="The member was removed and their work transferred. Both confirmation mails are on their way." />
                                {scim_on.then(|| view! {
                                    <p class="notice" role="note">"SCIM provisioning is on: people are added and removed in your identity provider, so this page cannot remove members."</p>
                                })}
                                <table class="members">
                                    <caption class="visually-hidden">"Members and their roles"</caption>
                                    <thead>
                                        <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Joined"</th><th scope="col">"Actions"</th></tr>
                                    </thead>
                                    <tbody>
                                        {p.members.into_iter().map(|m| {
                                            let can_remove = !scim_on && policy::account(Some(my_role), AccountAction::RemoveMember { target: m.role, is_self: m.user_id == me }).is_ok();
                                            view! {
                                                <tr>
                                                    <td>{m.name.clone()}</td>
                                                    <td>{m.email.clone()}</td>
                                                    <td>{m.role.label()}</td>
                                                    <td>{m.joined_at.format("%Y-%m-%d").to_string()}</td>
                                                    <td class="row-actions">
                                                        {(can_csv || can_remove).then(|| view! {
                                                            // The help page's three-dot menu; a disclosure, so it opens with
                                                            // the keyboard and without JavaScript.
                                                            <details class="row-menu">
                                                                <summary aria-label=format!("Actions for {} ({})", m.name, m.email)><span aria-hidden="true">"⋯"</span></summary>
                                                                <ul>
                                                                    {can_csv.then(|| view! {
                                                                        <li><a href=format!("/accounts/{aid}/members/{}/export.csv", m.user_id) download="">{format!("Download a CSV of {}'s work", m.name)}</a></li>
                                                                    })}
                                                                    {can_remove.then(|| view! {
                                                                        <li><a href=format!("/accounts/{aid}/members/{}/remove", m.user_id)>{format!("Remove {}…", m.name)}</a></li>
                                                                    })}
                                                                </ul>
                                                            </details>
                                                        })}
                                                    </td>
                                                </tr>
                                            }
                                        }).collect_view()}
                                    </tbody>
                                </table>
                                {can_scim.then(|| view! {
                                    // Outside the disclosure, which is closed again after the answer.
                                    <FormError error=scim_error />
                                    // A confirmation first, saying what changes (works without JavaScript).
                                    <details class="confirm scim-switch">
                                        <summary>{if scim_on { "Switch SCIM provisioning off…" } else { "Switch SCIM provisioning on…" }}</summary>
                                        {if scim_on {
                                            view! { <p>"Switching off gives membership back to this page: owners, super admins and admins can remove members here again. Your identity provider's changes stop applying to this account."</p> }.into_any()
                                        } else {
                                            view! {
                                                <p>"Switching on hands membership to your company's identity provider (Okta, Microsoft Entra ID): people join and leave there, and this page stops offering removal. When the identity provider removes someone, their work moves to the account owner exactly as a removal here does."</p>
                                                <p>"Switch on once your identity provider is set up to provision this account, so that people who leave are still removed."</p>
                                            }.into_any()
                                        }}
                                        <ActionForm action=scim attr:class="inline-form">
                                            <input type="hidden" name="account_id" value=aid.to_string() />
                                            <input type="hidden" name="on" value=(!scim_on).to_string() />
                                            <button type="submit" class=if scim_on { "" } else { "danger" }>{if scim_on { "Yes, switch SCIM provisioning off" } else { "Yes, switch SCIM provisioning on" }}</button>
                                        </ActionForm>
                                    </details>
                                })}
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
