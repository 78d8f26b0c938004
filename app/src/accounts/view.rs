//! The accounts list (with the create form) and the Members screen.
use super::api::*;
use crate::components::{last_error, Field, FormError, LoadError, Loading};
use crate::domain::roles::AccountRole;
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
    let change_role = ServerAction::<super::api::ChangeMemberRole>::new();
    let hand_over = ServerAction::<super::api::HandOver>::new();
    let row_error = Signal::derive(move || {
        last_error(change_role.value())
            .get()
            .or_else(|| last_error(hand_over.value()).get())
    });
    let invite = ServerAction::<InviteToAccount>::new();
    let resend = ServerAction::<ResendAccountInvite>::new();
    let cancel = ServerAction::<CancelAccountInvite>::new();
    let invite_error = last_error(invite.value());
    let invites_error = Signal::derive(move || {
        last_error(resend.value())
            .get()
            .or_else(|| last_error(cancel.value()).get())
    });
    let query = leptos_router::hooks::use_query_map();
    let page = Resource::new(
        move || {
            (
                account_id(),
                scim.version().get()
                    + change_role.version().get()
                    + hand_over.version().get()
                    + invite.version().get()
                    + resend.version().get()
                    + cancel.version().get(),
            )
        },
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
                        let can_hand_over = policy::account(Some(my_role), AccountAction::HandOverOwnership).is_ok();
                        let account_name = p.account.name.clone();
                        // The roles this caller may invite with (AM-1); none while SCIM is on (AM-4).
                        let invite_roles: Vec<AccountRole> = if scim_on { Vec::new() } else {
                            [AccountRole::Member, AccountRole::Admin, AccountRole::SuperAdmin].into_iter()
                                .filter(|&role| policy::account(Some(my_role), AccountAction::Invite { role }).is_ok())
                                .collect()
                        };
                        let invitations = p.invitations.clone();
                        let cancelling = query.with(|q| q.get("cancel_invite").and_then(|s| Uuid::parse_str(&s).ok()))
                            .and_then(|i| invitations.iter().find(|x| x.id == i).cloned());
                        let handing = query.with(|q| q.get("hand_over").and_then(|s| Uuid::parse_str(&s).ok()))
                            .filter(|_| can_hand_over)
                            .and_then(|u| p.members.iter().find(|m| m.user_id == u && m.user_id != me).cloned());
                        view! {
                            <section aria-labelledby="members-title">
                                <p class="crumbs"><a href="/accounts">"Accounts"</a> " / " {p.account.name.clone()}</p>
                                <h1 id="members-title">"Members of " {p.account.name.clone()}</h1>
                                <p>{format!("{count} member{}", if count == 1 { "" } else { "s" })} " · You are " {p.account.role.label().to_lowercase()}
                                   " · " <a href=format!("/accounts/{aid}/work")>"Zaps and connections"</a>
                                   {policy::account(Some(my_role), AccountAction::ViewHistory).is_ok().then(|| view! { " · " <a href=format!("/accounts/{aid}/history")>"History"</a> })}
                                   {policy::account(Some(my_role), AccountAction::ViewAccess).is_ok().then(|| view! { " · " <a href=format!("/accounts/{aid}/access")>"Access"</a> })}</p>
                                <crate::components::Notice key="removed" text="The member was removed and their work transferred. Both confirmation mails are on their way." />
                                <crate::components::Notice key="role_changed" text="The role was changed. It applies from their next request; they were mailed." />
                                <crate::components::Notice key="handed_over" text="The account was handed over. You are a super admin of it now; you both were mailed." />
                                {scim_on.then(|| view! {
                                    <p class="notice" role="note">"SCIM provisioning is on: membership is managed by your identity provider, where people are added, removed and given roles, so this page cannot change it."
                                        {can_scim.then(|| view! { " " <a href=format!("/accounts/{aid}/scim")>"SCIM settings"</a> })}</p>
                                })}
                                <crate::components::Notice key="invited" text="Invitation sent. It is valid for 14 days, for that address only." />
                                <crate::components::Notice key="resent" text="Invitation sent again with a new link; the old link no longer works." />
                                <crate::components::Notice key="invite_cancelled" text="The invitation was cancelled: its link no longer works." />
                                <crate::components::Notice key="joined" text="Welcome: you are a member of this account now." />
                                <FormError error=row_error />
                                {handing.map(|m| view! {
                                    <section class="card confirm" role="alertdialog" aria-labelledby="hand-over-title">
                                        <h2 id="hand-over-title">{format!("Hand {} over to {}?", account_name, m.name)}</h2>
                                        <p>{format!("{} ({}) becomes the account's owner; you become a super admin. Only the owner can hand it back. You both get a mail.", m.name, m.email)}</p>
                                        <ActionForm action=hand_over>
                                            <input type="hidden" name="account_id" value=aid.to_string() />
                                            <input type="hidden" name="user_id" value=m.user_id.to_string() />
                                            <div class="field">
                                                <label for="hand-over-reason">"Reason (optional, kept in the account's history)"</label>
                                                <input id="hand-over-reason" name="reason" type="text" maxlength="500" />
                                            </div>
                                            <button type="submit" class="danger">{format!("Hand the account over to {}", m.name)}</button>
                                            " " <a href="?">"Keep ownership"</a>
                                        </ActionForm>
                                    </section>
                                })}
                                <table class="members">
                                    <caption class="visually-hidden">"Members and their roles"</caption>
                                    <thead>
                                        <tr><th scope="col">"Name"</th><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Joined"</th><th scope="col">"Actions"</th></tr>
                                    </thead>
                                    <tbody>
                                        {p.members.into_iter().map(|m| {
                                            let can_remove = !scim_on && policy::account(Some(my_role), AccountAction::RemoveMember { target: m.role, is_self: m.user_id == me }).is_ok();
                                            // The roles this caller may give this member (AM-2); none while SCIM is on (AM-4).
                                            let roles: Vec<AccountRole> = if scim_on { Vec::new() } else {
                                                [AccountRole::SuperAdmin, AccountRole::Admin, AccountRole::Member].into_iter()
                                                    .filter(|&to| to != m.role && policy::account(Some(my_role), AccountAction::ChangeRole { target: m.role, to, is_self: m.user_id == me }).is_ok())
                                                    .collect()
                                            };
                                            let can_hand = can_hand_over && !scim_on && m.user_id != me;
                                            let role_id = format!("role-{}", m.user_id);
                                            let (role_label, role_button) = (format!("New role for {}", m.name), format!("Change {}'s role", m.name));
                                            view! {
                                                <tr>
                                                    <td>{m.name.clone()}</td>
                                                    <td>{m.email.clone()}</td>
                                                    <td>{m.role.label()}</td>
                                                    <td>{m.joined_at.format("%Y-%m-%d").to_string()}</td>
                                                    <td class="row-actions">
                                                        {(can_csv || can_remove || !roles.is_empty() || can_hand).then(|| view! {
                                                            // The help page's three-dot menu; a disclosure, so it opens with
                                                            // the keyboard and without JavaScript.
                                                            <details class="row-menu">
                                                                <summary aria-label=format!("Actions for {} ({})", m.name, m.email)><span aria-hidden="true">"⋯"</span></summary>
                                                                <ul>
                                                                    {can_csv.then(|| view! {
                                                                        <li><a href=format!("/accounts/{aid}/members/{}/export.csv", m.user_id) download="">{format!("Download a CSV of {}'s work", m.name)}</a></li>
                                                                    })}
                                                                    {(!roles.is_empty()).then(|| view! {
                                                                        <li>
                                                                            <ActionForm action=change_role attr:class="menu-form">
                                                                                <input type="hidden" name="account_id" value=aid.to_string() />
                                                                                <input type="hidden" name="user_id" value=m.user_id.to_string() />
                                                                                <label for=role_id.clone()>{role_label.clone()}</label>
                                                                                <select id=role_id.clone() name="role">
                                                                                    {roles.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                                                                                </select>
                                                                                <button type="submit">{role_button.clone()}</button>
                                                                            </ActionForm>
                                                                        </li>
                                                                    })}
                                                                    {can_hand.then(|| view! {
                                                                        <li><a href=format!("?hand_over={}", m.user_id)>{format!("Hand over ownership to {}…", m.name)}</a></li>
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
                                {(!invite_roles.is_empty()).then(|| view! {
                                    <section class="card narrow" aria-labelledby="invite-title">
                                        <h2 id="invite-title">"Invite people"</h2>
                                        <p class="hint">"They get a link by mail, valid 14 days, which only that address can accept (after signing up with it, if they have no login)."</p>
                                        <ActionForm action=invite>
                                            <FormError error=invite_error />
                                            <input type="hidden" name="account_id" value=aid.to_string() />
                                            <div class="field">
                                                <label for="invite-email">"Email address"</label>
                                                <input id="invite-email" name="email" type="email" required autocomplete="off" />
                                                <p class="field-error" role="alert">{move || invite_error.get().and_then(|e| e.field_message("email"))}</p>
                                            </div>
                                            <div class="field">
                                                <label for="invite-role">"Role"</label>
                                                <select id="invite-role" name="role">
                                                    {invite_roles.iter().map(|r| view! { <option value=r.as_str()>{r.label()}</option> }).collect_view()}
                                                </select>
                                            </div>
                                            <button type="submit" disabled=move || invite.pending().get()>{move || if invite.pending().get() { "Sending…" } else { "Send invitation" }}</button>
                                        </ActionForm>
                                    </section>
                                })}
                                {(!p.invitations.is_empty()).then(|| view! {
                                    <section aria-labelledby="pending-title">
                                        <h2 id="pending-title">"Pending invitations"</h2>
                                        <FormError error=invites_error />
                                        {cancelling.map(|i| view! {
                                            <section class="card confirm" role="alertdialog" aria-labelledby="cancel-account-invite-title">
                                                <h3 id="cancel-account-invite-title">{format!("Cancel the invitation to {}?", i.email)}</h3>
                                                <p>"Its link stops working at once. You can invite them again later."</p>
                                                <ActionForm action=cancel>
                                                    <input type="hidden" name="account_id" value=aid.to_string() />
                                                    <input type="hidden" name="invite_id" value=i.id.to_string() />
                                                    <button type="submit" class="danger">{format!("Cancel the invitation to {}", i.email)}</button>
                                                    " " <a href="?">"Keep it"</a>
                                                </ActionForm>
                                            </section>
                                        })}
                                        <table class="invites">
                                            <thead><tr><th scope="col">"Email"</th><th scope="col">"Role"</th><th scope="col">"Invited"</th><th scope="col">"Valid until"</th><th scope="col">"Actions"</th></tr></thead>
                                            <tbody>
                                                {p.invitations.clone().into_iter().map(|i| {
                                                    let resend_name = format!("Resend the invitation to {}", i.email);
                                                    view! {
                                                    <tr>
                                                        <td>{i.email.clone()}</td>
                                                        <td>{i.role.label()}</td>
                                                        <td>{format!("{}{}", i.invited_by.clone().map(|b| format!("by {b}, ")).unwrap_or_default(), i.invited_at.format("%Y-%m-%d"))}</td>
                                                        <td>{if i.expired { "expired".to_string() } else { i.expires_at.format("%Y-%m-%d").to_string() }}</td>
                                                        <td class="row-actions">
                                                            <ActionForm action=resend attr:class="inline">
                                                                <input type="hidden" name="account_id" value=aid.to_string() />
                                                                <input type="hidden" name="invite_id" value=i.id.to_string() />
                                                                <button type="submit" class="link-button">{resend_name}</button>
                                                            </ActionForm>
                                                            <a href=format!("?cancel_invite={}", i.id)>{format!("Cancel the invitation to {}…", i.email)}</a>
                                                        </td>
                                                    </tr>
                                                }}).collect_view()}
                                            </tbody>
                                        </table>
                                    </section>
                                })}
                                {can_scim.then(|| view! {
                                    // Outside the disclosure, which is closed again after the answer.
                                    <FormError error=scim_error />
                                    <p><a href=format!("/accounts/{aid}/scim")>"SCIM settings: tokens, base URL, latest provisioning"</a></p>
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

/// The page an account invitation's link opens (AM-1): what it is, then Accept.
#[component]
pub fn AccountInvitePage() -> impl IntoView {
    let params = leptos_router::hooks::use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let landing = Resource::new(token, get_account_invite_landing);
    let accept = ServerAction::<AcceptAccountInvite>::new();
    let error = last_error(accept.value());
    view! {
        <Suspense fallback=Loading>
            {move || Suspend::new(async move {
                match landing.await {
                    Err(crate::error::AppError::Unauthenticated) => {
                        let next = format!("/account-invite/{}", token());
                        view! {
                            <section class="card narrow">
                                <h1>"You are invited to an account"</h1>
                                <p>"Sign in with the invited address, or create a login with it, to see the invitation and accept it."</p>
                                <p class="actions">
                                    <a class="button" href=format!("/signin?next={next}")>"Sign in"</a>
                                    <a href=format!("/signup?next={next}")>"Create a login"</a>
                                </p>
                            </section>
                        }.into_any()
                    }
                    Err(e) => view! { <section class="card narrow"><h1>"Invitation"</h1><LoadError error=e /></section> }.into_any(),
                    Ok(l) => view! {
                        <section class="card narrow" aria-labelledby="account-invite-title">
                            <h1 id="account-invite-title">{format!("Join {}", l.account)}</h1>
                            <p>{format!("{} invited {} to the account as {}.", l.inviter.clone().unwrap_or_else(|| "Someone".into()), l.email, l.role.label().to_lowercase())}</p>
                            {if l.already_member {
                                view! { <p class="notice">"You are a member of this account already. "<a href=format!("/accounts/{}/members", l.account_id)>"Open it"</a></p> }.into_any()
                            } else {
                                view! {
                                    <ActionForm action=accept>
                                        <FormError error=error />
                                        <input type="hidden" name="token" value=token() />
                                        <button type="submit">{format!("Accept and join {}", l.account)}</button>
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
